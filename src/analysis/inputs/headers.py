"""Vietnamese column headers: the one mapping from the headers people type to the contract's
column names (data/README.md, "Vietnamese headers"; the workbooks of data/templates/ use them).

A header is matched after NFC, case folding and collapsing spaces; a bilingual header of the
templates, "Mã đơn vị (unit_id)", is matched by either part. A header that is neither a contract
name nor an alias is kept as it is (extra columns are ignored).
"""
from __future__ import annotations

import re
import unicodedata

# contract column -> the Vietnamese headers accepted for it (the first is the templates' own)
ALIASES: dict[str, tuple[str, ...]] = {
    "unit_id": ("Mã đơn vị", "Mã ĐV", "Mã tỉnh", "Mã bộ"),
    "name_vi": ("Tên tiếng Việt", "Tên đơn vị (tiếng Việt)", "Tên đơn vị"),
    "name_en": ("Tên tiếng Anh", "Tên đơn vị (tiếng Anh)"),
    "group": ("Nhóm", "Khối"),
    "region": ("Vùng", "Khu vực"),
    "valid_from": ("Hiệu lực từ năm", "Từ năm"),
    "valid_to": ("Hiệu lực đến năm", "Đến năm"),
    "valid_from_month": ("Hiệu lực từ tháng", "Từ tháng"),
    "valid_to_month": ("Hiệu lực đến tháng", "Đến tháng"),
    "label_vi": ("Nhãn tiếng Việt", "Tên nhóm (tiếng Việt)"),
    "label_en": ("Nhãn tiếng Anh", "Tên nhóm (tiếng Anh)"),
    "year": ("Năm", "Năm đánh giá"),
    "component": ("Lĩnh vực", "Chỉ số thành phần", "Thành phần"),
    "points": ("Điểm", "Điểm đạt được", "Điểm đạt"),
    "max_points": ("Điểm tối đa",),
    "n_respondents": ("Số phiếu hợp lệ", "Số người trả lời", "Số phiếu"),
    "n_satisfied": ("Số phiếu hài lòng", "Số người hài lòng", "Số hài lòng"),
    "satisfied_pct": ("Tỷ lệ hài lòng", "Tỷ lệ hài lòng (%)", "Tỉ lệ hài lòng"),
    "scope": ("Phạm vi",),
    "key": ("Mã",),
    "metric": ("Chỉ tiêu",),
    "value": ("Giá trị",),
    "source": ("Nguồn",),
    "note": ("Ghi chú",),
    "note_vi": ("Ghi chú tiếng Việt", "Ghi chú (tiếng Việt)"),
    "from_unit_id": ("Mã đơn vị cũ",),
    "to_unit_id": ("Mã đơn vị mới",),
    "effective_year": ("Năm hiệu lực",),
    "effective_from": ("Ngày hiệu lực", "Hiệu lực từ"),
    "weight": ("Trọng số", "Tỷ trọng"),
    "row": ("Hàng",),
    "col": ("Cột",),
    "label": ("Nhãn", "Tên viết tắt"),
}


def fold(header: str) -> str:
    """The form headers are compared in: NFC, case-folded, single spaces."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(header))).strip().casefold()


_CANONICAL = {fold(alias): column for column, aliases in ALIASES.items()
              for alias in (column, *aliases)}


def canonical(header: str) -> str | None:
    """The contract column `header` names, or None: "Mã đơn vị", "mã  đơn vị", "unit_id" and
    "Mã đơn vị (unit_id)" all give unit_id."""
    folded = fold(header)
    if folded in _CANONICAL:
        return _CANONICAL[folded]
    bilingual = re.fullmatch(r"(.+?)\s*\(([a-z_]+)\)", folded)
    if bilingual and _CANONICAL.get(bilingual.group(2)) == bilingual.group(2):
        return bilingual.group(2)
    return None


def rename(columns: list[str]) -> list[str]:
    """Contract names for the headers that have one, unless that name is already a header."""
    present = set(columns)
    out = []
    for column in columns:
        name = canonical(column)
        if name is not None and name != column and name not in present:
            present.add(name)
            out.append(name)
        else:
            out.append(column)
    return out


TOTAL_WORDS = {"tổng", "tổng cộng", "tổng số", "cộng", "total", "totals", "grand total", "sum"}


def is_total(cell: str) -> bool:
    """A cell that labels a totals row ("Tổng cộng", "Total")."""
    return fold(cell).rstrip(":") in TOTAL_WORDS
