"""Loading a dataset folder: the broken-input corpus (tests/corpus/) and the real datasets.

Each corpus case is the `valid` case changed in one way. A broken case must be refused with
exactly the problems listed here (file, row as the user sees it with the header as row 1,
column, distinctive words), and `par-report validate` must exit 1 and print them on stderr
without a traceback. The other cases (BOM, CRLF, NFD, Excel) must load with the right values.
Expectations are written by hand from the files, never taken from the code's output.
"""
import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from analysis import cli
from analysis.inputs.dataset import load_dataset
from analysis.inputs.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parent / "corpus"

# case: [(file, row, column, words in the message, words in the fix or None), ...] — every
# problem the case must produce, in the order they are reported.
REFUSED = {
    # units.csv saved as Windows-1258: "Hà" is b"H\xe0" on line 2.
    "legacy_encoding": [("units.csv", 2, None, "not UTF-8", "CSV UTF-8")],
    # "50,5" quoted, so the row has 5 fields and the comma sits in the number.
    "decimal_comma": [("index_scores.csv", 2, "points", "found '50,5'", "write 50.5 with a decimal point")],
    # 50,5 unquoted: the row splits into 6 fields.
    "decimal_comma_unquoted": [("index_scores.csv", 2, None, "6 fields where the header has 5", None)],
    "semicolons": [("index_scores.csv", 1, None, "separated by semicolons", "comma-separated")],
    "text_in_number": [("index_scores.csv", 3, "points", "found 'thirty'", "replace 'thirty'")],
    # A blank line 4 is skipped but still counted: 'thirty' is on line 6 of the file.
    "blank_line_before_error": [("index_scores.csv", 6, "points", "found 'thirty'", None)],
    # Line 6 repeats 2023/HN/a of line 2.
    "duplicate_key": [("index_scores.csv", 6, "component",
                       "duplicate key (year=2023, unit_id=HN, component=a)", None)],
    "points_over_max": [("index_scores.csv", 5, "points", "points 45 exceed max_points 40", None)],
    "counts_do_not_add_up": [("satisfaction.csv", 3, "n_satisfied",
                              "55 satisfied out of 50 respondents", "must not exceed")],
    "unknown_unit": [("index_scores.csv", 6, "unit_id", "unknown unit 'DN'", None)],
    # HP is valid to 2024; both 2025 rows (lines 6 and 7) are outside.
    "outside_validity": [("index_scores.csv", 6, "year", "unit 'HP' is not valid in 2025 (valid –2024)", None),
                         ("index_scores.csv", 7, "year", "unit 'HP' is not valid in 2025 (valid –2024)", None)],
    # units.csv has 'grp' for 'group'.
    "missing_column": [("units.csv", 1, "group", "required column is missing", "add a column 'group'")],
    "missing_units": [("units.csv", None, None, "required file is missing", None)],
    "missing_yaml": [(str(CORPUS / "missing_yaml"), None, None, "no dataset.yaml", None)],
    "bands_not_highest_first": [("dataset.yaml", None, "bands", "highest first", None)],
    "missing_title_en": [("dataset.yaml", None, "title_en", "required text is missing", None)],
    "yaml_syntax_error": [("dataset.yaml", None, None, "not valid YAML", None)],
}

# Cases that show bugs in the modules (reported, not fixed here): (expected problems, reason).
REFUSED_BUGS = {
    "blank_alpha": (
        [("dataset.yaml", None, "alpha", "(0, 1)", None)],
        "dataset.load_config: `alpha:` left empty gives float(None) -> TypeError traceback"),
    "band_threshold_as_text": (
        [("dataset.yaml", None, "bands[1].min_score", "number", None)],
        "dataset.load_config: min_score '90%' (text) makes sorted() compare str with int -> "
        "TypeError traceback"),
    "bands_mixed_kinds": (
        [("dataset.yaml", None, "bands", "min_quantile", None)],
        "dataset.load_config: one band with min_score and another with min_quantile is accepted "
        "(data/README.md: a dataset uses one kind or the other, never both)"),
    "methodology_without_components": (
        [("dataset.yaml", None, "methodology.components", "expected a list of components", None)],
        "dataset.load_config: `methodology:` holding a list calls .get on it -> AttributeError traceback"),
    "duplicate_unit_id": (
        [("units.csv", 4, "unit_id", "duplicate key (unit_id=HN)", None)],
        "dataset._check_units: with a unit_id twice in units.csv, units.at[unit, 'valid_from'] is a "
        "Series and `pd.notna(start) and ...` raises ValueError (traceback)"),
}


def problems_of(folder: Path) -> list:
    with pytest.raises(InputError) as err:
        load_dataset(folder)
    return err.value.problems


def check_refused(case: str, expected: list, capsys) -> None:
    folder = CORPUS / case
    problems = problems_of(folder)
    assert len(problems) == len(expected), [str(p) for p in problems]
    for problem, (file, row, column, words, fix_words) in zip(problems, expected):
        assert (problem.file, problem.row, problem.column) == (file, row, column), str(problem)
        assert words in problem.message, str(problem)
        assert problem.fix, str(problem)
        if fix_words:
            assert fix_words in problem.fix, str(problem)
    capsys.readouterr()
    assert cli.main(["validate", "--data", str(folder)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    for file, row, column, words, _ in expected:
        assert file in err and words in err
        if row is not None:
            assert f"row {row}" in err
        if column is not None:
            assert f"'{column}'" in err


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_broken_input_is_refused_with_every_problem_in_its_place(case, capsys):
    check_refused(case, REFUSED[case], capsys)


@pytest.mark.parametrize("case", [
    case for case in sorted(REFUSED_BUGS)])
def test_broken_input_that_once_gave_a_traceback_is_refused(case, capsys):
    check_refused(case, REFUSED_BUGS[case][0], capsys)


LOADABLE = ["valid", "bom_and_crlf", "nfd_names"]


def test_each_case_changes_the_valid_case_in_one_file():
    base = {p.name: p.read_bytes() for p in (CORPUS / "valid").iterdir()}
    cases = {p.name for p in CORPUS.iterdir() if p.is_dir()} - {"valid"}
    assert set(REFUSED) | set(REFUSED_BUGS) | set(LOADABLE) | {"line_break_in_quoted_cell"} >= cases
    for case in sorted(cases):
        files = {p.name: p.read_bytes() for p in (CORPUS / case).iterdir()}
        changed = {n for n in base.keys() | files.keys() if base.get(n) != files.get(n)}
        # bom_and_crlf is one change (saved by Excel on Windows) applied to both CSV files.
        assert len(changed) == (2 if case == "bom_and_crlf" else 1), (case, changed)


@pytest.mark.parametrize("case", LOADABLE)
def test_loadable_cases_validate(case, capsys):
    assert cli.main(["validate", "--data", str(CORPUS / case)]) == 0
    out, err = capsys.readouterr()
    assert "valid (corpus)" in out and err == ""


def test_the_valid_case_loads_its_values():
    ds = load_dataset(CORPUS / "valid")
    assert ds.name == "corpus" and ds.years() == [2023]
    assert ds.units["unit_id"].tolist() == ["HN", "HP"]
    assert ds.units["valid_to"].tolist() == [pd.NA, 2024]
    s = ds.index_scores
    assert s["points"].tolist() == [50.5, 30.0, 55.0, 35.0]
    assert s["max_points"].tolist() == [60.0, 40.0, 60.0, 40.0]
    assert s["row"].tolist() == [2, 3, 4, 5]
    assert ds.satisfaction["n_satisfied"].tolist() == [90, 45]
    assert ds.config.alpha == 0.05 and ds.config.satisfied_answers == [4, 5]  # contract defaults


def test_a_loaded_dataset_survives_pickling():
    """A run hands its dataset to the report kernels as a pickle (`report.preload`)."""
    import pickle
    ds = load_dataset(CORPUS / "valid")
    copy = pickle.loads(pickle.dumps(ds))
    assert copy.name == "corpus" and copy.config.alpha == 0.05
    pd.testing.assert_frame_equal(copy.index_scores, ds.index_scores)


def test_bom_and_crlf_load_like_the_valid_case():
    raw = (CORPUS / "bom_and_crlf" / "units.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    ds = load_dataset(CORPUS / "bom_and_crlf")
    assert ds.units.columns[0] == "unit_id"  # not "\ufeffunit_id"
    assert ds.units["unit_id"].tolist() == ["HN", "HP"]
    assert ds.units["name_vi"].tolist() == ["Hà Nội", "Hải Phòng"]
    assert ds.units["valid_to"].tolist() == [pd.NA, 2024]  # last column: no stray '\r'
    assert ds.index_scores["max_points"].tolist() == [60.0, 40.0, 60.0, 40.0]
    assert ds.index_scores["points"].tolist() == [50.5, 30.0, 55.0, 35.0]


def test_nfd_text_is_normalised_to_nfc():
    raw = (CORPUS / "nfd_names" / "units.csv").read_text(encoding="utf-8")
    assert unicodedata.normalize("NFD", "Hà Nội") in raw  # the file really is decomposed
    ds = load_dataset(CORPUS / "nfd_names")
    assert ds.units["name_vi"].tolist() == ["H\u00e0 N\u1ed9i", "H\u1ea3i Ph\u00f2ng"]


def excel_copy(tmp_path: Path, rows: list[list]) -> Path:
    folder = tmp_path / "xlsx"
    shutil.copytree(CORPUS / "valid", folder)
    (folder / "index_scores.csv").unlink()
    wb = Workbook()
    sheet = wb.active
    sheet.append(["year", "unit_id", "component", "points", "max_points"])
    for row in rows:
        sheet.append(row)
    wb.save(folder / "index_scores.xlsx")
    return folder


VALID_ROWS = [[2023, "HN", "a", 50.5, 60], [2023, "HN", "b", 30, 40],
              [2023, "HP", "a", 55, 60], [2023, "HP", "b", 35, 40]]


def test_an_excel_index_scores_loads_like_the_csv(tmp_path):
    folder = excel_copy(tmp_path, VALID_ROWS)
    from_xlsx = load_dataset(folder)
    assert from_xlsx.file_name("index_scores") == "index_scores.xlsx"
    pd.testing.assert_frame_equal(from_xlsx.index_scores, load_dataset(CORPUS / "valid").index_scores)


def test_an_excel_problem_has_the_spreadsheet_row(tmp_path):
    folder = excel_copy(tmp_path, [VALID_ROWS[0], [2023, "HN", "b", "thirty", 40], *VALID_ROWS[2:]])
    [problem] = problems_of(folder)
    assert (problem.file, problem.row, problem.column) == ("index_scores.xlsx, sheet 'Sheet'", 3, "points")
    assert "found 'thirty'" in problem.message


def test_a_blank_excel_row_is_skipped_like_a_blank_csv_line(tmp_path):
    folder = excel_copy(tmp_path, [*VALID_ROWS[:2], [], *VALID_ROWS[2:]])
    ds = load_dataset(folder)
    assert ds.index_scores["row"].tolist() == [2, 3, 5, 6]


def test_a_column_named_twice_is_refused_in_a_csv_and_a_workbook(tmp_path):
    """Was a TypeError traceback (a DataFrame where a column was expected)."""
    csv_copy = tmp_path / "csv"
    shutil.copytree(CORPUS / "valid", csv_copy)
    header, *rows = (csv_copy / "index_scores.csv").read_text(encoding="utf-8").split()
    (csv_copy / "index_scores.csv").write_text(
        "\n".join([header + ",points", *(row + ",1" for row in rows)]) + "\n", encoding="utf-8")
    folder = excel_copy(tmp_path, VALID_ROWS)
    book = Workbook()
    for row in [["year", "unit_id", "points", "component", "points", "max_points"],
                *[[y, u, p, c, p, m] for y, u, c, p, m in VALID_ROWS]]:
        book.active.append(row)
    book.save(folder / "index_scores.xlsx")
    for case, file in ((csv_copy, "index_scores.csv"), (folder, "index_scores.xlsx, sheet 'Sheet'")):
        [problem] = problems_of(case)
        assert (problem.file, problem.row, problem.column) == (file, 1, "points")
        assert "2 columns named 'points'" in problem.message


def test_trailing_empty_columns_load_and_are_checked_for_invisible_characters(tmp_path):
    folder = tmp_path / "trailing"
    shutil.copytree(CORPUS / "valid", folder)
    lines = (folder / "index_scores.csv").read_text(encoding="utf-8").split("\n")
    (folder / "index_scores.csv").write_text(
        "\n".join(line + ",," if line else line for line in lines), encoding="utf-8")
    pd.testing.assert_frame_equal(load_dataset(folder).index_scores,
                                  load_dataset(CORPUS / "valid").index_scores)
    lines = (folder / "index_scores.csv").read_text(encoding="utf-8").split("\n")
    lines[2] = lines[2][:-1] + "\u200b,"   # a zero-width space in the first unnamed column
    (folder / "index_scores.csv").write_text("\n".join(lines), encoding="utf-8")
    [problem] = problems_of(folder)
    assert (problem.file, problem.row) == ("index_scores.csv", 3)
    assert "U+200B" in problem.message


def test_a_line_break_inside_a_quoted_cell_is_kept():
    ds = load_dataset(CORPUS / "line_break_in_quoted_cell")
    assert ds.units["name_en"].tolist() == ["Ha Noi\n(capital)", "Hai Phong"]


# --- the real datasets -------------------------------------------------------------------

# SOURCES.md: province-years blank in the source (kept as gaps, never filled).
PAPI_GAPS = {(2014, "24"), (2014, "87"),                 # Bắc Giang, Đồng Tháp
             (2018, "22"), (2018, "87"),                 # Quảng Ninh, Đồng Tháp (dimensions 2, 4)
             (2021, "22"), (2021, "24"), (2021, "27"),   # Quảng Ninh, Bắc Giang, Bắc Ninh
             (2022, "24"), (2022, "27"),                 # Bắc Giang, Bắc Ninh
             (2023, "22"), (2023, "74"),                 # Quảng Ninh, Bình Dương
             (2024, "26"), (2024, "82")}                 # Vĩnh Phúc, Tiền Giang


def test_papi_loads_with_ids_as_text_and_gaps_as_empty():
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    assert ds.units["unit_id"].iloc[0] == "01"  # not 1
    s = ds.index_scores
    assert len(s) == 63 * 6 * 7 + 63 * 8 * 7  # six dimensions 2011–2017, eight 2018–2024
    blank = s[s["points"].isna()]
    assert set(zip(blank["year"], blank["unit_id"])) == PAPI_GAPS
    assert not (s["points"] == 0).any()  # an empty cell is not 0
    assert s["row"].iloc[0] == 2
    assert ds.years() == list(range(2011, 2025))
    assert set(s.loc[s["year"] == 2017, "component"]) == {c["code"] for c in ds.config.method(2017)["components"]}
    assert len(ds.config.method(2018)["components"]) == 8 and ds.config.method(2017)["scale"]["max"] == 60
    assert ds.config.method(2024)["scale"] == {"min": 8, "max": 80, "label_vi": "Điểm PAPI (8–80)",
                                               "label_en": "PAPI score (8–80)"}


def test_papi_sub_dimensions_add_up_to_their_dimension():
    """SOURCES.md: a dimension is the sum of its sub-dimensions (to the 4 decimals of the
    dimension file)."""
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    sub = ds.subcomponent_scores.dropna(subset=["points"])
    sums = sub.groupby(["year", "unit_id", "parent"])["points"].sum()
    dims = ds.index_scores.set_index(["year", "unit_id", "component"])["points"]
    both = pd.concat([sums, dims.reindex(sums.index)], axis=1, keys=["sum", "dim"]).dropna()
    assert len(both) > 63 * 6 * 12 and (both["sum"] - both["dim"]).abs().max() < 5e-4


def test_papi_registry_has_the_63_provinces_to_2024_and_34_from_july_2025():
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    assert len(ds.valid_units(2024)) == 63 and len(ds.valid_units(2025)) == 34
    new = ds.units[ds.units["valid_from"] == 2025]
    assert len(new) == 23 and set(new["valid_from_month"]) == {"2025-07"}
    cw = ds.crosswalk
    assert len(cw) == 52 and set(cw["effective_from"]) == {"2025-07"}
    # every former province that is gone in 2025 maps onto a 2025 unit
    gone = set(ds.valid_units(2024)["unit_id"]) - set(ds.valid_units(2025)["unit_id"])
    assert gone == set(cw["from_unit_id"]) and set(cw["to_unit_id"]) <= set(ds.valid_units(2025)["unit_id"])


def test_a_year_outside_every_method_version_is_refused(tmp_path):
    (tmp_path / "dataset.yaml").write_text(
        "name: v\ntitle_vi: V\ntitle_en: V\nmethodology:\n  versions:\n"
        "    - {id: one, from: 2020, to: 2021, components: [{code: a, label_vi: A, label_en: A, max_points: 10}]}\n"
        "    - {id: two, from: 2021, components: [{code: a, label_vi: A, label_en: A, max_points: 10},\n"
        "                                         {code: b, label_vi: B, label_en: B, max_points: 10}],\n"
        "       scale: {min: 0, max: 30, label_vi: S, label_en: S}}\n", encoding="utf-8")
    (tmp_path / "units.csv").write_text("unit_id,name_vi,name_en,group\nU,U,U,g\n", encoding="utf-8")
    problems = [str(p) for p in pytest.raises(InputError, load_dataset, tmp_path).value.problems]
    assert any("methodology.versions" in p and "must end before" in p for p in problems)
    assert any("versions[2].scale" in p and "20" in p for p in problems)


def test_a_score_without_its_year_is_refused_where_the_method_has_versions(tmp_path):
    """Was a TypeError traceback: the row's method version was looked up with no year."""
    (tmp_path / "dataset.yaml").write_text(
        "name: v\ntitle_vi: V\ntitle_en: V\nmethodology:\n  versions:\n"
        "    - {id: one, from: 2020, to: 2021, components: [{code: a, label_vi: A, label_en: A, max_points: 10}]}\n"
        "    - {id: two, from: 2022, components: [{code: a, label_vi: A, label_en: A, max_points: 10}]}\n",
        encoding="utf-8")
    (tmp_path / "units.csv").write_text("unit_id,name_vi,name_en,group\nU,U,U,g\n", encoding="utf-8")
    (tmp_path / "index_scores.csv").write_text("year,unit_id,component,points,max_points\n"
                                               "2021,U,a,5,10\n,U,a,6,10\n", encoding="utf-8")
    problems = pytest.raises(InputError, load_dataset, tmp_path).value.problems
    assert [(p.file, p.row, p.column) for p in problems] == [("index_scores.csv", 3, "year")]
    assert "empty value" in problems[0].message


def test_par_ministries_loads():
    ds = load_dataset(ROOT / "data" / "par-ministries")
    assert len(ds.units) == 17 and len(ds.index_scores) == 17 * 3
    moj = ds.index_scores[ds.index_scores["unit_id"] == "MOJ"].set_index("component")["points"]
    assert moj.to_dict() == {"appraisal": 61.86, "survey": 28.10, "total": 89.95}  # README table
    assert ds.published["note"].iloc[0] != ""  # extra columns are kept
    assert np.isclose(ds.config.components[0]["max_points"], 68.5)


def test_the_legacy_case_really_is_windows_1258():
    raw = (CORPUS / "legacy_encoding" / "units.csv").read_bytes()
    text = unicodedata.normalize("NFC", raw.decode("cp1258"))
    assert "HN,Hà Nội,Ha Noi" in text and text.splitlines()[1].startswith("HN,Hà Nội")
