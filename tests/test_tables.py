"""Result tables as files: the exact bytes written (hand-written here), reruns byte-identical,
booleans as true/false, spreadsheet formulas neutralised, Vietnamese UTF-8 NFC round trip."""
import unicodedata

import numpy as np
import pandas as pd

from analysis.indices.tables import read_tables, write_table, write_tables


def sample() -> pd.DataFrame:
    return pd.DataFrame({
        "unit_id": pd.array(["01", "02"], dtype="string"),
        "name_vi": ["Hà Nội", "Bộ Văn hóa, Thể thao và Du lịch"],
        "score": [0.1 + 0.2, 1 / 3],
        "rank": pd.array([1, pd.NA], dtype="Int64"),
        "change": [-2.5, np.nan],
        "matches": [True, False],
    })


EXPECTED = ("unit_id,name_vi,score,rank,change,matches\n"
            "01,Hà Nội,0.30000000000000004,1,-2.5,true\n"
            '02,"Bộ Văn hóa, Thể thao và Du lịch",0.3333333333333333,,,false\n')


def test_the_bytes_written(tmp_path):
    write_table(sample(), tmp_path / "t.csv")
    raw = (tmp_path / "t.csv").read_bytes()
    assert raw == EXPECTED.encode("utf-8")  # UTF-8 without BOM, '\n', full precision, empty NA
    assert b"\r" not in raw


def test_a_rerun_is_byte_identical(tmp_path):
    write_table(sample(), tmp_path / "a" / "t.csv")
    first = (tmp_path / "a" / "t.csv").read_bytes()
    write_table(sample(), tmp_path / "a" / "t.csv")
    write_table(sample(), tmp_path / "b" / "t.csv")
    assert (tmp_path / "a" / "t.csv").read_bytes() == first == (tmp_path / "b" / "t.csv").read_bytes()


def test_booleans_are_true_and_false(tmp_path):
    frame = pd.DataFrame({"significant": [True, False, True], "nullable": pd.array([True, None, False], dtype="boolean")})
    write_table(frame, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == \
        "significant,nullable\ntrue,true\nfalse,\ntrue,false\n"


def test_booleans_with_a_gap_are_true_and_false(tmp_path):
    frame = pd.DataFrame({"unit_id": ["a", "b", "c"], "flag": pd.Series([True, None, False], dtype=object)})
    write_table(frame, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == "unit_id,flag\na,true\nb,\nc,false\n"


def test_formula_like_text_is_neutralised_and_negative_numbers_are_not(tmp_path):
    frame = pd.DataFrame({
        "text": pd.array(["=SUM(A1)", "+1", "-2", "@x", "a=b", "Hà Nội"], dtype="string"),
        "mixed": pd.Series(["=1+1", -2, -2.5, "-3", None, "ok"], dtype=object),
        "number": [-2.0, -0.5, 3.0, -1e-07, 0.0, -100.25],
        "integer": [-2, -1, 0, 1, 2, -30],
    })
    write_table(frame, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == (
        "text,mixed,number,integer\n"
        "'=SUM(A1),'=1+1,-2.0,-2\n"
        "'+1,-2,-0.5,-1\n"
        "'-2,-2.5,3.0,0\n"
        "'@x,'-3,-1e-07,1\n"
        "a=b,,0.0,2\n"
        "Hà Nội,ok,-100.25,-30\n")


def test_vietnamese_text_survives_a_round_trip_in_nfc(tmp_path):
    names = ["Hà Nội", "Thừa Thiên Huế", "Đắk Lắk", "Bà Rịa - Vũng Tàu", "TP. Hồ Chí Minh"]
    frame = pd.DataFrame({"unit_id": ["01", "46", "66", "77", "79"], "name_vi": names,
                          "score": [61.5, 62.25, 59.0, 60.125, 58.75]})
    write_tables({"index_units": frame, "other": frame.head(1)}, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index_units.csv", "other.csv"]
    raw = (tmp_path / "index_units.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert "Thừa Thiên Huế".encode("utf-8") in raw  # precomposed ừ, ế (NFC), not decomposed
    assert unicodedata.normalize("NFD", "Thừa Thiên Huế").encode("utf-8") not in raw
    back = read_tables(tmp_path)["index_units"]
    assert back["unit_id"].tolist() == ["01", "46", "66", "77", "79"]  # text: the leading 0 stays
    assert back["name_vi"].tolist() == names
    assert all(unicodedata.is_normalized("NFC", n) for n in back["name_vi"])
    assert back["score"].tolist() == [61.5, 62.25, 59.0, 60.125, 58.75]
