"""Integrity screening: the planted cases of demo-mps are found, clean units are rarely flagged,
hand-made files behave as expected and the output is deterministic."""
from pathlib import Path

import pandas as pd
import pytest

from analysis.indices.ballots import summarise_ballots
from analysis.indices.integrity import CHECKS, COLUMNS, screen_ballots

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo-mps"
YEARS = (2023, 2024, 2025)
# check -> planted case that it is meant to find
PLANTED = {"identical_patterns": "copied_forms", "straight_lining": "straight_lining",
           "burst": "burst", "duplicates": "duplicate_ballot_id"}


@pytest.fixture(scope="module")
def demo():
    from analysis.inputs.dataset import load_dataset
    ds = load_dataset(DEMO)
    tables = {y: screen_ballots(DEMO / "ballots.csv", ds.units, y) for y in YEARS}
    return ds, tables


def flagged(table, check):
    return set(table.loc[table["flagged"] & (table["check"] == check), "unit_id"])


def test_shape(demo):
    _, tables = demo
    for table in tables.values():
        assert list(table.columns) == COLUMNS
        assert set(table["check"]) == set(CHECKS)
        assert not table.duplicated(["unit_id", "check"]).any()
        assert table.equals(table.sort_values(["unit_id", "check"], ignore_index=True))
        assert table["flagged"].dtype == bool
        paper = table[table["check"] == "paper_share"]
        assert paper["threshold"].isna().all() and not paper["flagged"].any()
        assert paper["statistic"].between(0, 1).all()
        assert (table["evidence"].str.len() > 0).all()


def test_planted_cases_found(demo):
    _, tables = demo
    assert "CA35" in flagged(tables[2023], "identical_patterns")
    assert "CA37" in flagged(tables[2024], "straight_lining")
    assert "CA79" in flagged(tables[2025], "burst")
    burst = tables[2025].set_index(["unit_id", "check"]).loc[("CA79", "burst")]
    assert burst["statistic"] >= 200 and "2025-10-17 14:0" in burst["evidence"]


def test_false_positive_rate(demo):
    """Among unit-years without a planted case of the kind a check looks for, ≤ 5% are flagged."""
    _, tables = demo
    planted = pd.read_csv(DEMO / "planted.csv", dtype=str)
    for check in CHECKS:
        case = PLANTED.get(check)
        marked = set(zip(planted.loc[planted["case"] == case, "year"].astype(int),
                         planted.loc[planted["case"] == case, "unit_id"]))
        screened = flags = 0
        for year, table in tables.items():
            rows = table[table["check"] == check]
            clean = rows[[(year, u) not in marked for u in rows["unit_id"]]]
            screened += len(clean)
            flags += int(clean["flagged"].sum())
        assert screened > 0
        assert flags / screened <= 0.05, (check, flags, screened)


def test_duplicates_match_ballot_rules(demo):
    ds, tables = demo
    rejected = summarise_ballots(DEMO / "ballots.csv", ds.units).rejected
    for year, table in tables.items():
        expected = (rejected[(rejected["reason"] == "duplicate_ballot") & (rejected["year"] == year)]
                    .groupby("unit_id").size())
        got = table[table["check"] == "duplicates"].set_index("unit_id")["statistic"]
        got = got[got > 0].astype(int)
        assert got.sort_index().to_dict() == expected.sort_index().to_dict()


def test_deterministic(demo):
    ds, tables = demo
    again = screen_ballots(DEMO / "ballots.csv", ds.units, 2025)
    pd.testing.assert_frame_equal(again, tables[2025])


REGISTRY = pd.DataFrame({"unit_id": ["A"], "valid_from": pd.array([None], dtype="Int64"),
                         "valid_to": pd.array([None], dtype="Int64")})
HEADER = "year,unit_id,ballot_id,channel,submitted_at,q_a,q_b,q_c,q_d\n"


def write(tmp_path, rows, name="ballots.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def varied(i):
    # a deterministic spread of answers with no favourite pattern
    return [1 + (i * 7 + q * 3 + i // 5 * q) % 5 for q in range(4)]


def test_identical_ballots_flagged(tmp_path):
    rows = [f"2024,A,{i},paper,2024-10-01,5,4,5,\n" for i in range(40)]
    rows += [f"2024,A,{100 + i},paper,2024-10-01,{','.join(map(str, varied(i)))}\n"
             for i in range(60)]
    table = screen_ballots(write(tmp_path, rows), REGISTRY, 2024).set_index(["unit_id", "check"])
    row = table.loc[("A", "identical_patterns")]
    assert row["flagged"] and row["statistic"] == 40
    assert "5, 4, 5, blank" in row["evidence"]


def test_varied_ballots_not_flagged(tmp_path):
    rows = [f"2024,A,{i},qr,2024-10-{1 + i % 28:02d}T{8 + i % 9:02d}:{i % 60:02d}:00,"
            f"{','.join(map(str, varied(i)))}\n" for i in range(100)]
    table = screen_ballots(write(tmp_path, rows), REGISTRY, 2024)
    assert not table["flagged"].any(), table[table["flagged"]]
    assert (table.set_index("check").loc["paper_share", "statistic"]) == 0


def test_hand_made_burst_and_duplicates(tmp_path):
    rows = [f"2024,A,{i},vneid,2024-10-{1 + i % 28:02d}T{8 + i % 12:02d}:00:00,"
            f"{','.join(map(str, varied(i)))}\n" for i in range(300)]
    rows += [f"2024,A,{1000 + i},vneid,2024-10-15T14:0{i % 10}:{i % 60:02d},"
             f"{','.join(map(str, varied(i)))}\n" for i in range(60)]
    rows += [f"2024,A,{i},paper,2024-10-01,5,5,5,5\n" for i in range(6)]   # repeated ids
    rows += ["2023,A,x,vneid,2023-10-01T08:00:00,5,5,5,5\n"]              # another year
    table = screen_ballots(write(tmp_path, rows), REGISTRY, 2024).set_index("check")
    assert table.loc["burst", "flagged"] and table.loc["burst", "statistic"] >= 60
    assert table.loc["duplicates", "flagged"] and table.loc["duplicates", "statistic"] == 6
    assert not table.loc["identical_patterns", "flagged"]


def test_parquet_matches_csv(tmp_path):
    rows = [f"2024,A,{i},paper,2024-10-01,5,4,5,\n" for i in range(40)]
    rows += [f"2024,A,{100 + i},kiosk,2024-10-02T09:{i % 60:02d}:00,"
             f"{','.join(map(str, varied(i)))}\n" for i in range(60)]
    csv_path = write(tmp_path, rows)
    parquet = tmp_path / "ballots.parquet"
    pd.read_csv(csv_path, dtype=str).to_parquet(parquet)
    pd.testing.assert_frame_equal(screen_ballots(parquet, REGISTRY, 2024),
                                  screen_ballots(csv_path, REGISTRY, 2024))
