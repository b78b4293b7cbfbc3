"""Integrity screening: the planted cases of demo-mps are found, clean units are rarely flagged,
hand-made files give the statistics written out here, the evidence reads the same as the
catalog in both languages, and the output is deterministic. (Tampering planted independently
of the generator: test_integrity_planted.py.)"""
import json
import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from analysis.indices import integrity
from analysis.indices.ballots import summarise_ballots
from analysis.indices.integrity import (BALLOT_COLUMNS, CHECKS, COLUMNS, screen,
                                        screen_ballots, shown_facts)
from analysis.publication.i18n import t

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
        assert set(table["check"]) <= set(CHECKS)
        # no year before 2023; in 2025 hardly any paper forms, so no channel comparison
        assert set(table["check"]) >= set(CHECKS) - {"year_shift", "channel_gap"}
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
    assert json.loads(burst["facts"])["count"] >= 200 and "2025-10-17 14:0" in burst["evidence"]
    assert math.isfinite(burst["statistic"])


def test_false_positive_rate(demo):
    """Among unit-years without a planted case of the kind a check looks for, ≤ 5% are flagged
    (demo-mps is small: 75–100 units a year)."""
    _, tables = demo
    planted = pd.read_csv(DEMO / "planted.csv", dtype=str)
    for check in CHECKS:
        case = PLANTED.get(check)
        marked = set(zip(planted.loc[planted["case"] == case, "year"].astype(int),
                         planted.loc[planted["case"] == case, "unit_id"]))
        screened = flags = 0
        for year, table in tables.items():
            rows = table[table["check"] == check]
            clean = rows[np.array([(year, u) not in marked for u in rows["unit_id"]], dtype=bool)]
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


def timed(i):
    return f"2024-10-{1 + i % 28:02d}T{8 + i % 9:02d}:{i % 60:02d}:00"


def test_identical_ballots_flagged(tmp_path):
    """40 paper forms copy one pattern that no digital ballot gives: against the unit's other
    channel, P(all 40 on paper) = (n_paper / n)^40, less log10 of twice the patterns tested."""
    rows = [f"2024,A,{i},paper,2024-10-01,5,4,5,\n" for i in range(40)]
    rows += [f"2024,A,{100 + i},paper,2024-10-01,{','.join(map(str, varied(i)))}\n"
             for i in range(60)]
    rows += [f"2024,A,{200 + i},qr,{timed(i)},{','.join(map(str, varied(60 + i)))}\n"
             for i in range(100)]
    result = screen(write(tmp_path, rows), REGISTRY, 2024)
    row = result.table.set_index(["unit_id", "check"]).loc[("A", "identical_patterns")]
    patterns = pd.DataFrame([[r.split(",")[3] == "paper", ",".join(r.strip().split(",")[5:])]
                             for r in rows], columns=["paper", "pattern"])
    tested = int((patterns.value_counts() >= 3).sum())
    assert row["flagged"]
    assert row["statistic"] == pytest.approx(-40 * math.log10(0.5) - math.log10(2 * tested))
    assert json.loads(row["facts"])["observed"] == 40
    listed = result.ballots[result.ballots["check"] == "identical_patterns"]
    assert list(listed.columns) == BALLOT_COLUMNS
    assert sorted(listed["ballot_id"].astype(int)) == list(range(40))
    assert set(listed["answers"]) == {"5|4|5|"}
    # satisfaction without the 40 forms: recounted here from the answers
    answers = pd.DataFrame([r.strip().split(",")[5:] for r in rows]).replace("", np.nan).astype(float)
    kept = answers.iloc[40:]
    assert row["p_published"] == pytest.approx(answers.isin([4, 5]).sum().sum() / answers.notna().sum().sum())
    assert row["p_without"] == pytest.approx(kept.isin([4, 5]).sum().sum() / kept.notna().sum().sum())
    assert row["n_involved"] == 40


@pytest.mark.parametrize("integer_ids", [False, True])
def test_listed_ballots_of_parquet_carry_the_ids_at_their_rows(tmp_path, integer_ids):
    """The ballots table keeps no ids of a Parquet file: the listed ballots' ids are read again
    by position. Each must be the id at its row of the file (read here with pandas)."""
    rows = [f"2024,A,{i},paper,2024-10-01,5,4,5,\n" for i in range(40)]
    rows += [f"2024,A,{100 + i},paper,2024-10-01,{','.join(map(str, varied(i)))}\n"
             for i in range(60)]
    rows += [f"2024,A,{200 + i},qr,{timed(i)},{','.join(map(str, varied(60 + i)))}\n"
             for i in range(100)]
    frame = pd.read_csv(write(tmp_path, rows), dtype=str, keep_default_na=False)
    frame["ballot_id"] = (frame["ballot_id"].astype("int64") if integer_ids
                          else "Phiếu-" + frame["ballot_id"])
    frame.iloc[::-1].to_parquet(tmp_path / "ballots.parquet", index=False)  # rows reversed
    listed = screen(tmp_path / "ballots.parquet", REGISTRY, 2024).ballots
    written = pd.read_parquet(tmp_path / "ballots.parquet")["ballot_id"].astype(str).to_numpy()
    copied = listed[listed["check"] == "identical_patterns"]
    assert len(copied) == 40
    assert listed["ballot_id"].tolist() == [written[r - 1] for r in listed["row"]]
    assert sorted(copied["ballot_id"]) == sorted(frame["ballot_id"].astype(str).iloc[:40])


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
    result = screen(write(tmp_path, rows), REGISTRY, 2024)
    table = result.table.set_index("check")
    assert table.loc["burst", "flagged"] and json.loads(table.loc["burst", "facts"])["count"] >= 60
    burst = result.ballots[result.ballots["check"] == "burst"]
    assert set(range(1000, 1060)) <= set(burst["ballot_id"].astype(int))
    assert table.loc["duplicates", "flagged"] and table.loc["duplicates", "statistic"] == 6
    assert not table["flagged"].get("identical_patterns", False)


def test_parquet_matches_csv(tmp_path):
    rows = [f"2024,A,{i},paper,2024-10-01,5,4,5,\n" for i in range(40)]
    rows += [f"2024,A,{100 + i},kiosk,2024-10-02T09:{i % 60:02d}:00,"
             f"{','.join(map(str, varied(i)))}\n" for i in range(60)]
    csv_path = write(tmp_path, rows)
    parquet = tmp_path / "ballots.parquet"
    pd.read_csv(csv_path, dtype=str).to_parquet(parquet)
    pd.testing.assert_frame_equal(screen_ballots(parquet, REGISTRY, 2024),
                                  screen_ballots(csv_path, REGISTRY, 2024))


def test_evidence_reads_as_the_catalog_in_both_languages(demo):
    """The English evidence column is the catalog's `evidence.<check>` filled with the row's
    facts; the Vietnamese sentence fills every field and uses a decimal comma."""
    _, tables = demo
    for table in tables.values():
        for r in table.drop_duplicates("check").itertuples():
            facts = json.loads(r.facts)
            assert t(f"evidence.{r.check}", "en", **shown_facts(facts, "en")) == r.evidence
            vi = t(f"evidence.{r.check}", "vi", **shown_facts(facts, "vi"))
            assert "{" not in vi and "}" not in vi
            assert not any(ch.isdigit() and nxt == "." and after.isdigit()
                           for ch, nxt, after in zip(vi, vi[1:], vi[2:])), vi


def test_negative_facts_carry_the_true_minus_sign():
    """"bình quân các đơn vị thay đổi -0,05" printed a hyphen; the editions use U+2212."""
    assert shown_facts({"change": -0.05, "share": -0.1}, "vi") == {"change": "−0,05", "share": "−10,0%"}
    assert shown_facts({"change": -0.05}, "en") == {"change": "−0.05"}


def test_median_of_the_other_units_against_numpy():
    """straight_lining's yardstick, each unit's median of the other units' shares (missing
    shares left out), equals np.median of the array with that unit deleted, ties and gaps
    included."""
    from analysis.indices.integrity import _median_of_others
    rng = np.random.default_rng(3)
    for trial in range(600):
        n = int(rng.integers(0, 9))
        x = (rng.choice([0.1, 0.2, 0.25, 0.5, np.nan], n) if trial % 2 else rng.random(n))
        got = _median_of_others(x)
        for i in range(n):
            others = np.delete(x, i)
            others = others[~np.isnan(others)]
            want = np.median(others) if len(others) else np.nan
            assert got[i] == want or (np.isnan(want) and np.isnan(got[i]))


def test_busiest_windows_against_counting_every_window():
    """`_top_windows` keeps, of each unit and window length, the BURST_CANDIDATES windows with
    the most ballots (ties: the earliest start), as counting each window's ballots one by one
    and sorting by (−count, start) gives; units with fewer minutes keep all of them."""
    from analysis.indices.integrity import BURST_CANDIDATES, BURST_WINDOWS, _top_windows
    rng = np.random.default_rng(11)
    for _ in range(40):
        rows = {(int(u), int(m)): int(c) for u, m, c in zip(
            rng.integers(0, 6, 120), rng.integers(0, 200, 120), rng.integers(1, 4, 120))}
        unit, minute = (np.array(v, dtype=np.int64) for v in zip(*sorted(rows)))
        c = np.array([rows[k] for k in sorted(rows)], dtype=np.int64)
        got = sorted(zip(*(np.concatenate(col).tolist() for col in zip(*_top_windows(unit, minute, c)))))
        want = []
        for width in BURST_WINDOWS:
            for u in np.unique(unit):
                windows = [(-sum(n for (v, s), n in rows.items() if v == u and m <= s < m + width), m)
                           for (v, m) in rows if v == u]
                want += [(int(u), m, width, -count) for count, m in sorted(windows)[:BURST_CANDIDATES]]
        assert got == sorted(want)


@pytest.mark.parametrize("batch", [1, 5, 64, 1 << 21])
def test_timed_minutes_count_every_minute_in_batches_of_whole_units(batch, monkeypatch):
    """`_timed_minutes` gives each (unit, minute) of the screened year's timed ballots with its
    number of ballots, as pandas counts them, in (unit, minute) order, and never splits a unit
    between two batches, whatever the batch size (ballots fetched at once)."""
    import duckdb
    from analysis.indices import integrity
    monkeypatch.setattr(integrity, "BURST_BATCH", batch)
    rng = np.random.default_rng(5)
    n = 400
    ballots = pd.DataFrame({
        "year": rng.choice([2024, 2025], n), "u": rng.choice([0, 1, 2, 7], n, p=[.1, .6, .1, .2]),
        "minute": pd.array(rng.integers(-3, 40, n), dtype="Int64")})
    ballots.loc[rng.random(n) < 0.2, "minute"] = pd.NA
    con = duckdb.connect()
    con.register("screened", ballots)
    batches = list(integrity._timed_minutes(con, 2025))
    con.close()
    units = [set(b[0].tolist()) for b in batches]
    assert all(not (a & b) for i, a in enumerate(units) for b in units[i + 1:])
    got = pd.DataFrame({name: np.concatenate([b[i] for b in batches])
                        for i, name in enumerate(("u", "minute", "c"))})
    timed = ballots[(ballots["year"] == 2025) & ballots["minute"].notna()]
    want = (timed.groupby(["u", "minute"]).size().rename("c").reset_index()
            .astype({"u": "int64", "minute": "int64", "c": "int64"}))
    pd.testing.assert_frame_equal(got, want)


def _minutes(path, year=2024) -> list:
    """The `minute` column of the ballots table read from `path`, in file order."""
    from analysis.indices.ballots import open_source, read_ballots
    with open_source(path, REGISTRY) as (con, source, questions):
        read_ballots(con, source, questions, timed_year=year)
        return con.sql("SELECT minute FROM ballots ORDER BY _file, _pos").fetchnumpy()["minute"].tolist()


def test_minutes_from_text_and_from_typed_timestamps(tmp_path):
    """The burst check's minute: submitted_at floored to the whole minute, counted since
    1970, for the screened year's ballots with a time of day. Text is read the same with spaces
    around it; a date alone, another year, a blank or text that is no time give none. A
    Parquet TIMESTAMP column (how database tools export times) gives the minutes of its ISO
    text; it had given none. Reference: pandas' floor to the minute."""
    stamps = ["2024-10-15T14:03:59", " 2024-10-15T14:04:00 ", "1969-12-31T23:59:30",
              "2024-02-29T00:00:01.5", "2024-10-01", "", "not a time T", "2023-10-15T14:03:59"]
    years = [2024] * 7 + [2023]
    rows = [f"{y},A,{i},vneid,{s},5,4,5,4\n" for i, (y, s) in enumerate(zip(years, stamps))]
    expected = [pd.Timestamp(s.strip()).floor("min").value // 60_000_000_000
                if y == 2024 and "T" in s and s.strip()[0].isdigit() else None
                for y, s in zip(years, stamps)]
    assert expected[2] == -1 and expected[4:] == [None] * 4  # floored before 1970; no time
    assert _minutes(write(tmp_path, rows)) == expected
    timed = [pd.Timestamp(s.strip()) if e is not None else pd.NaT for s, e in zip(stamps, expected)]
    frame = pd.read_csv(write(tmp_path, rows), dtype=str, keep_default_na=False)
    for unit in ("ms", "us", "ns"):
        frame["submitted_at"] = pd.Series(timed, dtype=f"datetime64[{unit}]")
        frame.to_parquet(tmp_path / f"{unit}.parquet")
        assert _minutes(tmp_path / f"{unit}.parquet") == expected, unit


@pytest.mark.parametrize("failing", ["_identical", "_burst"])
def test_a_check_out_of_memory_beside_the_bursts_runs_again_alone(demo, monkeypatch, failing):
    """Where DuckDB's memory runs out while the bursts' sort runs beside another check (seen at
    50 M ballots a year), the check that failed runs again alone: both tables are those of a
    screen without the failure."""
    ds, _ = demo
    expected = screen(DEMO / "ballots.csv", ds.units, 2025)
    original, calls = getattr(integrity, failing), []

    def fails_once(ctx):
        calls.append(ctx)
        if len(calls) == 1:
            raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate (test)")
        return original(ctx)

    monkeypatch.setattr(integrity, failing, fails_once)
    again = screen(DEMO / "ballots.csv", ds.units, 2025)
    assert len(calls) == 2
    pd.testing.assert_frame_equal(again.table, expected.table)
    pd.testing.assert_frame_equal(again.ballots, expected.ballots)
    assert expected.table["flagged"].any() and len(expected.ballots)
