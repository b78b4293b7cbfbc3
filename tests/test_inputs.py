"""The broken-input corpus (tests/corpus/): each case is refused with the message it must show —
file, row, column and a fix — and exit status 1, never a traceback; inputs as users really have
them (BOM, CRLF, NFD text, Excel workbooks) load correctly."""
import shutil
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli
from analysis.inputs.dataset import load_dataset
from analysis.inputs.errors import InputError

CORPUS = Path(__file__).resolve().parent / "corpus"

CASES = {  # case: (file, row, column, distinctive words of the message)
    "legacy_encoding": ("units.csv", 2, None, "not UTF-8"),
    "decimal_comma": ("index_scores.csv", 2, "points", "write 50.5 with a decimal point"),
    "semicolons": ("index_scores.csv", 1, None, "separated by semicolons"),
    "text_in_number": ("index_scores.csv", 3, "points", "found 'thirty'"),
    "duplicate_key": ("index_scores.csv", 6, "component", "duplicate key"),
    "points_over_max": ("index_scores.csv", 5, "points", "points 45 exceed max_points 40"),
    "counts_do_not_add_up": ("satisfaction.csv", 3, "n_satisfied", "do not add up"),
    "unknown_unit": ("index_scores.csv", 6, "unit_id", "unknown unit 'DN'"),
    "outside_validity": ("index_scores.csv", 6, "year", "not valid in 2025"),
    "missing_column": ("units.csv", 1, "group", "required column is missing"),
    "missing_units": ("units.csv", None, None, "required file is missing"),
    "missing_yaml": (str(CORPUS / "missing_yaml"), None, None, "no dataset.yaml"),
    "bands_not_highest_first": ("dataset.yaml", None, "bands", "highest first"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_input_is_refused_with_its_place_and_fix(case, capsys):
    file, row, column, words = CASES[case]
    with pytest.raises(InputError) as err:
        load_dataset(CORPUS / case)
    first = err.value.problems[0]
    assert (first.file, first.row, first.column) == (file, row, column)
    assert words in first.message or words in first.fix
    assert first.fix
    assert cli.main(["validate", "--data", str(CORPUS / case)]) == 1
    printed = capsys.readouterr().err
    assert words in printed and "Traceback" not in printed


def test_every_problem_is_listed_not_only_the_first():
    with pytest.raises(InputError) as err:
        load_dataset(CORPUS / "outside_validity")
    assert [p.row for p in err.value.problems] == [6, 7]


def test_bom_and_windows_line_endings_load():
    ds = load_dataset(CORPUS / "bom_and_crlf")
    assert list(ds.units.columns[:2]) == ["unit_id", "name_vi"]
    assert ds.units["name_vi"].tolist() == ["Hà Nội", "Hải Phòng"]
    assert ds.index_scores["points"].tolist() == [50.5, 30.0, 55.0, 35.0]


def test_nfd_text_is_normalised_to_nfc():
    ds = load_dataset(CORPUS / "nfd_names")
    assert all(unicodedata.is_normalized("NFC", n) for n in ds.units["name_vi"])
    assert ds.units["name_vi"].tolist() == ["Hà Nội", "Hải Phòng"]


def test_an_excel_workbook_loads_like_the_csv(tmp_path):
    folder = tmp_path / "xlsx"
    shutil.copytree(CORPUS / "valid", folder)
    scores = pd.read_csv(folder / "index_scores.csv", dtype=str)
    (folder / "index_scores.csv").unlink()
    scores.to_excel(folder / "index_scores.xlsx", index=False)
    from_xlsx, from_csv = load_dataset(folder), load_dataset(CORPUS / "valid")
    pd.testing.assert_frame_equal(from_xlsx.index_scores, from_csv.index_scores)


def test_the_valid_case_loads():
    ds = load_dataset(CORPUS / "valid")
    assert ds.years() == [2023] and len(ds.units) == 2
