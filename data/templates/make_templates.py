"""Write the template workbooks of data/templates/: one per input table of data/README.md.

Each workbook's first sheet (the one `par-report` reads) has the header on row 1, every header
bilingual, "Mã đơn vị (unit_id)": the Vietnamese header and the contract's name, both accepted
(src/analysis/inputs/headers.py). Id columns are formatted as Text so Excel keeps leading
zeros ("01"). A second sheet, "Hướng dẫn - Guide", says what each column holds.

    .venv/bin/python data/templates/make_templates.py
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from analysis.inputs.headers import ALIASES

HERE = Path(__file__).resolve().parent
TEXT = {"unit_id", "from_unit_id", "to_unit_id", "key", "group", "region", "component",
        "valid_from_month", "valid_to_month", "effective_from"}

# table -> [(column, required, guide in Vietnamese, guide in English)]
TABLES = {
    "units": [
        ("unit_id", True, "mã đơn vị, dạng chữ (giữ số 0 đầu: 01)", "the unit's id, as text (keep leading zeros: 01)"),
        ("name_vi", True, "tên tiếng Việt", "name in Vietnamese"),
        ("name_en", True, "tên tiếng Anh", "name in English"),
        ("group", True, "mã nhóm (groups)", "group id (groups)"),
        ("region", False, "mã vùng (regions), có thể để trống", "region id (regions), may be empty"),
        ("valid_from", False, "năm bắt đầu hiệu lực, trống = không giới hạn", "first year, empty = no limit"),
        ("valid_to", False, "năm hết hiệu lực, trống = không giới hạn", "last year, empty = no limit")],
    "groups": [("group", True, "mã nhóm", "group id"),
               ("label_vi", True, "tên nhóm tiếng Việt", "label in Vietnamese"),
               ("label_en", True, "tên nhóm tiếng Anh", "label in English")],
    "regions": [("region", True, "mã vùng", "region id"),
                ("label_vi", True, "tên vùng tiếng Việt", "label in Vietnamese"),
                ("label_en", True, "tên vùng tiếng Anh", "label in English")],
    "index_scores": [
        ("year", True, "năm đánh giá", "assessment year"),
        ("unit_id", True, "mã đơn vị", "the unit's id"),
        ("component", True, "mã lĩnh vực (dataset.yaml) hoặc total", "component code (dataset.yaml) or total"),
        ("points", False, "điểm đạt được; để trống nếu thiếu (không ghi 0)", "points; empty when missing (never 0)"),
        ("max_points", True, "điểm tối đa", "maximum points")],
    "satisfaction": [
        ("year", True, "năm khảo sát", "survey year"),
        ("unit_id", True, "mã đơn vị", "the unit's id"),
        ("n_respondents", False, "số phiếu hợp lệ (số nguyên, không dấu phân cách)", "valid responses (whole number, no separators)"),
        ("n_satisfied", False, "số phiếu hài lòng", "satisfied responses"),
        ("satisfied_pct", False, "tỷ lệ hài lòng (%) khi không có số phiếu", "percent satisfied when the counts are unknown")],
    "published": [
        ("year", True, "năm", "year"),
        ("scope", True, "unit, group, region hoặc all", "unit, group, region or all"),
        ("key", False, "mã đơn vị, nhóm hoặc vùng; trống với all", "unit, group or region id; empty for all"),
        ("metric", True, "index, rank, n_units, satisfaction, ...", "index, rank, n_units, satisfaction, ..."),
        ("value", True, "giá trị đã công bố (dấu chấm thập phân)", "the published figure ('.' decimal point)"),
        ("source", True, "nguồn (URL hoặc trích dẫn)", "source (URL or citation)"),
        ("note", False, "ghi chú", "note")],
    "crosswalk": [
        ("from_unit_id", True, "mã đơn vị cũ", "former unit's id"),
        ("to_unit_id", True, "mã đơn vị mới", "new unit's id"),
        ("effective_year", True, "năm có hiệu lực", "year it takes effect"),
        ("weight", True, "tỷ trọng của đơn vị cũ (1 = toàn bộ)", "share of the former unit (1 = whole)"),
        ("effective_from", False, "tháng có hiệu lực YYYY-MM", "month it takes effect, YYYY-MM")],
    "tiles": [("unit_id", True, "mã đơn vị", "the unit's id"),
              ("row", True, "hàng trên bản đồ ô", "row on the tile map"),
              ("col", True, "cột trên bản đồ ô", "column on the tile map"),
              ("label", True, "nhãn ngắn", "short label")],
}


def header(column: str) -> str:
    return f"{ALIASES[column][0]} ({column})"


def write(table: str, columns: list, folder: Path = HERE) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = table
    for i, (column, required, _, _) in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=i, value=header(column))
        cell.font = Font(bold=True)
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(14, len(header(column)) + 2)
        if column in TEXT:   # the whole column formatted as Text: Excel keeps "01"
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"
    guide = book.create_sheet("Hướng dẫn - Guide")
    guide.append(["Cột / Column", "Bắt buộc / Required", "Tiếng Việt", "English"])
    for column, required, vi, en in columns:
        guide.append([header(column), "có / yes" if required else "không / no", vi, en])
    guide.append([])
    guide.append(["Tiêu đề ở hàng 1, không có hàng tiêu đề hay hàng tổng cộng; chỉ trang đầu tiên được đọc.",
                  "", "", "Header on row 1, no title or totals rows; only the first sheet is read."])
    for letter, width in zip("ABCD", (30, 18, 50, 50)):
        guide.column_dimensions[letter].width = width
    path = folder / f"{table}.xlsx"
    book.save(path)
    return path


if __name__ == "__main__":
    for name, spec in TABLES.items():
        print(write(name, spec))
