"""Excel as people send it: Vietnamese headers, a title row, a totals row, Vietnamese thousands
separators, ids that lost their leading zeros; every message names the sheet it read. And the
template workbooks of data/templates/ load as a dataset once filled in."""
import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from analysis.inputs.dataset import load_dataset
from analysis.inputs.errors import InputError
from analysis.inputs.headers import ALIASES, canonical

ROOT = Path(__file__).resolve().parents[1]
VALID = ROOT / "tests" / "corpus" / "valid"
TEMPLATES = ROOT / "data" / "templates"


def workbook(path: Path, rows: list[list], sheet: str = "Trang tính1") -> Path:
    book = Workbook()
    book.active.title = sheet
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


@pytest.fixture
def folder(tmp_path):
    """The valid corpus dataset with satisfaction.csv to be replaced by a workbook."""
    shutil.copytree(VALID, tmp_path / "d")
    (tmp_path / "d" / "satisfaction.csv").unlink()
    return tmp_path / "d"


def problems(folder: Path) -> list[str]:
    with pytest.raises(InputError) as err:
        load_dataset(folder)
    return [str(p) for p in err.value.problems]


def test_vietnamese_headers_are_read_as_the_contract_columns(folder):
    workbook(folder / "satisfaction.xlsx", [["Năm", "Mã đơn vị", "Số phiếu hợp lệ", "Số phiếu hài lòng"],
                                            [2023, "HN", 100, 90], [2023, "HP", 50, 45]])
    ds = load_dataset(folder)
    assert ds.satisfaction[["unit_id", "n_respondents", "n_satisfied"]].values.tolist() == [
        ["HN", 100, 90], ["HP", 50, 45]]


def test_header_aliases_map_to_one_column_each():
    assert canonical("Mã đơn vị") == canonical("mã  ĐƠN VỊ") == canonical("Mã đơn vị (unit_id)") == "unit_id"
    assert canonical("Số phiếu hợp lệ") == "n_respondents" and canonical("Ghi chú riêng") is None
    seen = {}
    for column, aliases in ALIASES.items():
        for alias in aliases:
            assert canonical(alias) == column, alias
            assert seen.setdefault(alias.casefold(), column) == column, f"'{alias}' maps twice"


def test_a_title_row_says_the_header_must_be_on_row_1_and_names_the_sheet(folder):
    workbook(folder / "satisfaction.xlsx", [["Kết quả khảo sát mức độ hài lòng năm 2023"],
                                            ["year", "unit_id", "n_respondents", "n_satisfied"],
                                            [2023, "HN", 100, 90]], sheet="Khảo sát")
    found = problems(folder)
    assert found == ["satisfaction.xlsx, sheet 'Khảo sát', row 1: the header must be on row 1 (it looks "
                     "like row 2); row 1 holds 'Kết quả khảo sát mức độ hài lòng năm 2023' and empty cells"
                     " — delete the title rows above the header, and give every column a header"]
    assert not any("Unnamed" in p for p in found)


def test_a_totals_row_is_recognised_once(folder):
    workbook(folder / "satisfaction.xlsx", [["year", "unit_id", "n_respondents", "n_satisfied"],
                                            [2023, "HN", 100, 90], [2023, "HP", 50, 45],
                                            ["", "Tổng cộng", 150, 135]])
    assert problems(folder) == ["satisfaction.xlsx, sheet 'Trang tính1', row 4: this looks like a totals "
                                "row — delete it: the report computes totals and means itself"]


def test_vietnamese_thousands_separator_in_a_count(folder):
    workbook(folder / "satisfaction.xlsx", [["year", "unit_id", "n_respondents", "n_satisfied"],
                                            [2023, "HN", "1.234", "1.100"], [2023, "HP", 50, 45]])
    found = problems(folder)
    assert ("satisfaction.xlsx, sheet 'Trang tính1', row 2, column 'n_respondents': '1.234' uses a "
            "thousands separator (Vietnamese '1.234' = 1234) — write 1234 without separators") in found
    assert not any("decimal point" in p for p in found)


def test_dropped_leading_zeros_are_diagnosed_once(tmp_path):
    shutil.copytree(ROOT / "data" / "papi-provinces", tmp_path / "papi")
    scores = load_workbook_rows(ROOT / "data" / "papi-provinces" / "index_scores.csv")
    rows = [[int(r[0]), str(int(r[1])), r[2], float(r[3]) if r[3] else None, int(r[4])] for r in scores[1:]]
    workbook(tmp_path / "papi" / "index_scores.xlsx", [scores[0], *rows])
    (tmp_path / "papi" / "index_scores.csv").unlink()
    found = problems(tmp_path / "papi")
    assert len(found) == 1, found[:3]
    assert "rows give unit ids without their leading zeros ('1' for '01', '2' for '02', '4' for '04')" in found[0]
    assert "format the unit_id column as Text" in found[0]


def load_workbook_rows(path: Path) -> list[list[str]]:
    return [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()]


def test_templates_have_bilingual_headers_on_row_1_and_load_when_filled(tmp_path):
    names = {p.stem for p in TEMPLATES.glob("*.xlsx")}
    assert names == {"units", "groups", "regions", "index_scores", "satisfaction", "published",
                     "crosswalk", "tiles"}
    for path in TEMPLATES.glob("*.xlsx"):
        sheet = load_workbook(path).worksheets[0]
        headers = [c.value for c in sheet[1]]
        assert all(canonical(h) and f"({canonical(h)})" in h for h in headers), (path.name, headers)
    folder = tmp_path / "filled"
    shutil.copytree(VALID, folder)
    for name, rows in (("units", [["HN", "Hà Nội", "Ha Noi", "province", "", "", ""],
                                  ["HP", "Hải Phòng", "Hai Phong", "province", "", "", 2024]]),
                       ("satisfaction", [[2023, "HN", 100, 90, None], [2023, "HP", 50, 45, None]])):
        book = load_workbook(TEMPLATES / f"{name}.xlsx")
        for row in rows:
            book.worksheets[0].append(row)
        book.save(folder / f"{name}.xlsx")
        (folder / f"{name}.csv").unlink()
    ds = load_dataset(folder)
    reference = load_dataset(VALID)
    assert ds.satisfaction[["unit_id", "n_respondents"]].values.tolist() == \
        reference.satisfaction[["unit_id", "n_respondents"]].values.tolist()
    assert ds.units["name_vi"].tolist() == ["Hà Nội", "Hải Phòng"]
