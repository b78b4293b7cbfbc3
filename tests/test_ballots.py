"""Ballot rules and per-unit sums, checked against hand-counted files and the generator's labels."""
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis.ballots import summarise_ballots
from analysis.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = pd.DataFrame({"unit_id": ["A", "B"], "valid_from": pd.array([None, None], dtype="Int64"),
                         "valid_to": pd.array([None, 2023], dtype="Int64")})
# line 1 is the header; every rejection reason appears once, in this order of lines
BALLOTS = """year,unit_id,ballot_id,channel,submitted_at,q_a,q_b,q_c
2024,A,1,paper,,5,4,2
2024,A,2,qr,2024-10-01T08:00:00,5,,5
2024,A,1,paper,,5,4,2
,A,3,paper,,5,5,5
2024,Z,4,paper,,5,5,5
2024,B,5,paper,,5,5,5
2024,A,6,kiosk,,,,
2024,A,7,paper,,6,5,5
2024,A,8,paper,,x,5,5
2024,A,9,paper,,2.5,5,5
2023,B,10,paper,,1,2,3
"""


@pytest.fixture
def ballots_csv(tmp_path):
    path = tmp_path / "ballots.csv"
    path.write_text(BALLOTS, encoding="utf-8")
    return path


def test_each_rule_rejects_the_right_line(ballots_csv):
    s = summarise_ballots(ballots_csv, REGISTRY)
    got = list(zip(s.rejected["row"], s.rejected["reason"]))
    assert got == [(4, "duplicate_ballot"), (5, "missing_year"), (6, "unknown_unit"),
                   (7, "outside_validity"), (8, "no_answer"), (9, "answer_out_of_scale"),
                   (10, "answer_out_of_scale"), (11, "answer_out_of_scale")]
    lines = ballots_csv.read_text().splitlines()
    for row, ballot in zip(s.rejected["row"], s.rejected["ballot_id"]):
        assert lines[row - 1].split(",")[2] == str(ballot)


def test_sums_over_counted_ballots_by_hand(ballots_csv):
    units = summarise_ballots(ballots_csv, REGISTRY).units.set_index(["year", "unit_id"])
    # 2024/A counts ballots 1 (m=3, y=2) and 2 (m=2, y=2); 2023/B ballot 10 (m=3, y=0)
    a = units.loc[(2024, "A")]
    assert (a.n_ballots, a.n_valid, a.n_satisfied) == (2, 5, 4)
    assert (a.s_yy, a.s_mm, a.s_ym) == (2 * 2 + 2 * 2, 3 * 3 + 2 * 2, 2 * 3 + 2 * 2)
    b = units.loc[(2023, "B")]
    assert (b.n_ballots, b.n_valid, b.n_satisfied) == (1, 3, 0)


def test_parquet_gives_the_same_counts(ballots_csv, tmp_path):
    frame = pd.read_csv(ballots_csv, dtype=str, keep_default_na=False)
    folder = tmp_path / "ballots"
    folder.mkdir()
    pq.write_table(pa.Table.from_pandas(frame.iloc[:5], preserve_index=False), folder / "part-0.parquet")
    pq.write_table(pa.Table.from_pandas(frame.iloc[5:], preserve_index=False), folder / "part-1.parquet")
    csv, parquet = summarise_ballots(ballots_csv, REGISTRY), summarise_ballots(folder, REGISTRY)
    pd.testing.assert_frame_equal(csv.units.reset_index(drop=True), parquet.units.reset_index(drop=True),
                                  check_dtype=False)
    assert sorted(csv.rejected["reason"]) == sorted(parquet.rejected["reason"])


def test_missing_column_is_an_input_error(tmp_path):
    path = tmp_path / "ballots.csv"
    path.write_text("year,unit_id,channel,q_a\n2024,A,paper,5\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        summarise_ballots(path, REGISTRY)
    assert "ballot_id" in str(err.value)


def test_demo_rejections_are_exactly_the_planted_invalid_ballots():
    """Independent reference: the generator's own labels of what it planted."""
    from analysis.dataset import load_dataset
    ds = load_dataset(ROOT / "data" / "demo-mps")
    rejected = summarise_ballots(ds.ballots_path, ds.units).rejected
    planted = pd.read_csv(ROOT / "data" / "demo-mps" / "planted.csv", dtype=str)
    expected = {"invalid_out_of_scale": "answer_out_of_scale", "invalid_blank": "no_answer",
                "invalid_unknown_unit": "unknown_unit", "invalid_outside_validity": "outside_validity",
                "duplicate_ballot_id": "duplicate_ballot", "invalid_missing_year": "missing_year"}
    labelled = planted[planted["case"].isin(expected)]
    assert rejected["reason"].value_counts().sort_index().to_dict() == \
        labelled["case"].map(expected).value_counts().sort_index().to_dict()
    with_id = labelled[labelled["case"] != "duplicate_ballot_id"]
    assert set(with_id["ballot_id"]) <= set(rejected["ballot_id"].astype(str))


def test_demo_counts_agree_with_a_pandas_reading():
    """Second implementation: the same rules in plain pandas on the demo file, for 2025."""
    from analysis.dataset import load_dataset
    ds = load_dataset(ROOT / "data" / "demo-mps")
    s = summarise_ballots(ds.ballots_path, ds.units)
    raw = pd.read_csv(ds.ballots_path, dtype=str, keep_default_na=False)
    raw = raw[raw["year"] == "2025"]
    raw = raw[~raw.duplicated(["ballot_id"], keep="first")]
    valid_units = ds.units[(ds.units["valid_to"].isna()) | (ds.units["valid_to"] >= 2025)]["unit_id"]
    raw = raw[raw["unit_id"].isin(set(valid_units))]
    answers = raw[[c for c in raw.columns if c.startswith("q_")]].replace("", pd.NA)
    ok = answers.notna().any(axis=1) & answers.apply(lambda c: c.isna() | c.isin(list("12345"))).all(axis=1)
    raw, answers = raw[ok], answers[ok].astype("Float64")
    m = answers.notna().sum(axis=1)
    y = answers.isin([4, 5]).sum(axis=1)
    by_unit = pd.DataFrame({"unit_id": raw["unit_id"], "m": m, "y": y}).groupby("unit_id").agg(
        n_ballots=("m", "size"), n_valid=("m", "sum"), n_satisfied=("y", "sum"))
    ours = s.units[s.units["year"] == 2025].set_index("unit_id")[["n_ballots", "n_valid", "n_satisfied"]]
    pd.testing.assert_frame_equal(ours.sort_index(), by_unit.sort_index(), check_dtype=False,
                                  check_names=False)
