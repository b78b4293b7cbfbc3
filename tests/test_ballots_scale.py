"""Large ballot files: the columnar (DuckDB) path against the pandas reference, the seeded
generator, and the integrity screen measured on the generator's planted anomalies."""
import hashlib
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.indices.ballots import open_source, read_ballots, summarise_ballots
from analysis.indices.ballots_pandas import summarise_ballots_pandas
from analysis.inputs.dataset import load_dataset
from analysis.indices.integrity import screen_ballots
from analysis.indices.results import compute_results
from analysis.synth.ballots import KINDS, make_ballot_dataset
from analysis.indices.tables import write_tables

ROOT = Path(__file__).resolve().parents[1]
# the check that should find each planted kind
CHECK_OF = {"copied_forms": "identical_patterns", "straight_lining": "straight_lining",
            "burst": "burst", "duplicates": "duplicates", "perfect_results": "perfect_results"}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp("scale") / "synthetic-ballots"
    planted = make_ballot_dataset(root, 300_000, n_units=200, chunk_rows=100_000)
    return root, planted


def assert_same_summary(path, units, **kwargs):
    columnar = summarise_ballots(path, units, **kwargs)
    reference = summarise_ballots_pandas(path, units, **kwargs)
    for name in ("units", "questions", "channels", "rejected"):
        pd.testing.assert_frame_equal(getattr(columnar, name), getattr(reference, name),
                                      check_dtype=False, obj=name)
    assert columnar.questions_found == reference.questions_found
    return columnar


def test_demo_tables_identical_on_both_paths(tmp_path):
    """Every result table of the demo, written as CSV, is byte-identical on both paths."""
    ds = load_dataset(ROOT / "data" / "demo-mps")
    for engine in ("duckdb", "pandas"):
        write_tables(compute_results(ds, 2025, engine=engine), tmp_path / engine)
    files = sorted(p.name for p in (tmp_path / "duckdb").iterdir())
    assert "satisfaction_units.csv" in files and "rejected.csv" in files
    assert files == sorted(p.name for p in (tmp_path / "pandas").iterdir())
    for name in files:
        assert (tmp_path / "duckdb" / name).read_bytes() == (tmp_path / "pandas" / name).read_bytes(), name


def test_partitioned_parquet_same_on_both_paths(synthetic):
    root, _ = synthetic
    ds = load_dataset(root)
    summary = assert_same_summary(ds.ballots_path, ds.units)
    assert len(list((root / "ballots").glob("part-*.parquet"))) >= 3
    assert set(summary.rejected["reason"]) >= {"unknown_unit", "answer_out_of_scale",
                                               "no_answer", "duplicate_ballot"}
    # the integer fast path agrees with reading the same ballots as text
    csv = root.parent / "as-text.csv"
    pd.concat([pd.read_parquet(p) for p in sorted((root / "ballots").glob("*.parquet"))]).to_csv(
        csv, index=False)
    as_text = summarise_ballots(csv, ds.units)
    for name in ("units", "questions", "channels"):
        pd.testing.assert_frame_equal(getattr(summary, name), getattr(as_text, name), obj=name)
    assert (summary.rejected["reason"].value_counts().to_dict()
            == as_text.rejected["reason"].value_counts().to_dict())


def test_a_large_csv_is_numbered_in_file_order(synthetic, tmp_path):
    """A CSV file is read in parallel into a table whose rowid gives each row's place
    (`Source.numbered`). Four copies of the synthetic ballots, 1.2 M rows and 80 MB, are read
    by several threads. Every ballot of the later copies repeats an id and is rejected, and
    each rejected ballot's row must be the line of the file that holds its id (read here
    with pandas)."""
    root, _ = synthetic
    ds = load_dataset(root)
    frame = pd.concat([pd.read_parquet(p) for p in sorted((root / "ballots").glob("*.parquet"))])
    path = tmp_path / "ballots.csv"
    pd.concat([frame] * 4).to_csv(path, index=False)
    assert path.stat().st_size > 64e6
    rejected = summarise_ballots(path, ds.units).rejected
    ids = pd.read_csv(path, dtype=str, keep_default_na=False)["ballot_id"].to_numpy()
    listed = [unicodedata.normalize("NFC", ids[row - 2].strip()) for row in rejected["row"]]
    assert listed == rejected["ballot_id"].tolist()
    assert (rejected["row"] > len(frame) + 1).sum() >= 3 * (frame["ballot_id"].notna()).sum() * 0.99


def test_hand_made_file_on_both_paths(tmp_path):
    """Every rule and odd spelling at once, on a file small enough to read."""
    path = tmp_path / "ballots.csv"
    path.write_text(
        "year,unit_id,ballot_id,channel,q_a,q_b\n"
        "2024,A,1,paper,5,4\n"
        "2024, A ,2,qr,4.0,\n"          # spaces around the unit, "4.0" is 4, blank answer
        "\n"                            # empty line: skipped, not a ballot
        "2024,A,1,paper,5,5\n"          # repeated id: duplicate
        "2024,B,3,paper,5,5\n"          # unknown unit
        "2024,A,4,paper,,\n"            # no answer
        "2024,A,5,paper,6,5\n"          # out of scale
        "2024,A,6,paper,2.5,5\n"        # not a whole number
        ",A,7,paper,5,5\n"              # missing year
        "2030,A,8,paper,5,5\n"          # outside validity
        "2024,A,,kiosk,1,3\n"           # blank id: never a repeat
        "2024,A,,kiosk,+5,2\n",
        encoding="utf-8")
    units = pd.DataFrame({"unit_id": ["A"], "valid_from": pd.array([None], "Int64"),
                          "valid_to": pd.array([2025], "Int64")})
    summary = assert_same_summary(path, units)
    assert summary.rejected[["row", "reason"]].values.tolist() == [
        [5, "duplicate_ballot"], [6, "unknown_unit"], [7, "no_answer"],
        [8, "answer_out_of_scale"], [9, "answer_out_of_scale"], [10, "missing_year"],
        [11, "outside_validity"]]
    unit = summary.units.iloc[0]
    # counted: (5,4) (4,blank) (1,3) (+5,2) → 7 valid answers, 4 satisfied (5, 4, 4, 5)
    assert (unit["n_ballots"], unit["n_valid"], unit["n_satisfied"]) == (4, 7, 4)


@pytest.mark.parametrize("dtype, big", [("Int64", 2 ** 40), ("Int32", 70_000), ("UInt64", 2 ** 63 + 5)])
def test_integer_ballot_ids(tmp_path, dtype, big):
    """An integer ballot_id column is compared as integers (up to 64 bits signed; a UInt64
    column as text): a blank id is never a repeat, a repeat is a later copy, and the id is
    written as its digits. Checked against the pandas reference and the rows written out here."""
    frame = pd.DataFrame({
        "year": pd.array([2024] * 8, "Int64"), "unit_id": "A",
        "ballot_id": pd.array([1, 2, 1, None, None, big, big, 3], dtype),
        "channel": "paper", "q_a": pd.array([5, 4, 3, 5, 5, 4, 4, None], "Int64")})
    path = tmp_path / "ballots.parquet"
    frame.to_parquet(path)
    units = pd.DataFrame({"unit_id": ["A"], "valid_from": pd.array([None], "Int64"),
                          "valid_to": pd.array([None], "Int64")})
    summary = assert_same_summary(path, units)
    assert summary.rejected[["row", "ballot_id", "reason"]].values.tolist() == [
        [3, "1", "duplicate_ballot"], [7, str(big), "duplicate_ballot"], [8, "3", "no_answer"]]
    assert summary.units.iloc[0]["n_ballots"] == 5  # ids 1, 2, blank, blank, big
    with open_source(path, units) as (con, source, questions):  # the fast path is taken
        read = con.execute(f"SELECT typeof({source.identifier('ballot_id')}) "
                           f"FROM ({source.relation}) LIMIT 1").fetchone()[0]
    assert read == ("VARCHAR" if dtype == "UInt64" else "BIGINT")


def test_generator_integer_ids_same_ballots(tmp_path):
    """`integer_ids` writes the same ballots with the ids as numbers (2024-000000017 as
    2024000000017): the integer path gives the text path's tables, ids aside."""
    summaries = {}
    for integer_ids in (False, True):
        root = tmp_path / str(integer_ids)
        make_ballot_dataset(root, 20_000, n_units=40, chunk_rows=8_000, integer_ids=integer_ids)
        ds = load_dataset(root)
        summaries[integer_ids] = summarise_ballots(ds.ballots_path, ds.units)
    text, numbers = summaries[False], summaries[True]
    for name in ("units", "questions", "channels"):
        pd.testing.assert_frame_equal(getattr(numbers, name), getattr(text, name), obj=name)
    assert (text.rejected["reason"] == "duplicate_ballot").sum() >= 10
    as_numbers = text.rejected.assign(ballot_id=text.rejected["ballot_id"].str.replace("-", ""))
    pd.testing.assert_frame_equal(numbers.rejected, as_numbers)


def test_generator_is_seeded(tmp_path):
    def digest(root):
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}
    a = make_ballot_dataset(tmp_path / "a", 20_000, n_units=30, seed=7)
    b = make_ballot_dataset(tmp_path / "b", 20_000, n_units=30, seed=7)
    make_ballot_dataset(tmp_path / "c", 20_000, n_units=30, seed=8)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")
    pd.testing.assert_frame_equal(a, b)
    assert load_dataset(tmp_path / "a").config.raw["synthetic"] is True
    total = sum(len(pd.read_parquet(p)) for p in (tmp_path / "a" / "ballots").glob("*.parquet"))
    assert 20_000 <= total <= 20_000 + 30 * len(a)   # plus the re-entered duplicates


def test_screen_finds_planted_anomalies(synthetic):
    """At least 90% of the planted anomalies are flagged by the check meant for them, and at most
    5% of the units without an anomaly get any flag."""
    root, planted = synthetic
    ds = load_dataset(root)
    assert set(planted["case"]) == set(KINDS) and len(planted) >= 15
    table = screen_ballots(ds.ballots_path, ds.units, 2025)
    flags = table[table["flagged"]]
    found = [((flags["unit_id"] == r.unit_id) & (flags["check"] == CHECK_OF[r.case])).any()
             for r in planted.itertuples()]
    assert sum(found) / len(planted) >= 0.9, planted[[not f for f in found]]
    clean = set(table["unit_id"]) - set(planted["unit_id"])
    assert len(clean) >= 150
    wrongly = set(flags["unit_id"]) & clean
    assert len(wrongly) / len(clean) <= 0.05, flags[flags["unit_id"].isin(wrongly)]


@pytest.mark.parametrize("scale, satisfied", [((0, 10), (7, 8, 9, 10)), ((-2, 2), (1, 2)),
                                              ((1, 100), tuple(range(80, 101)))])
def test_other_scales_on_both_paths(tmp_path, scale, satisfied):
    """Answers are stored as codes (answer − low + 1; a bit mask tests the satisfied ones up to
    62 answers, an IN list beyond): scales starting at 0, below 0 and of 100 answers give the
    pandas reference's tables, and the screen's per-unit sums equal the formulas written out
    here (s = Σ answers, t = answers at the top, straight = one answer throughout, m ≥ 3)."""
    low, high = scale
    rng = np.random.default_rng(7)
    n, k = 3000, 4
    answers = rng.integers(low - 1, high + 2, size=(n, k)).astype(float)  # a few off the scale
    answers[rng.random((n, k)) < 0.1] = np.nan                                # blanks
    answers[rng.random(n) < 0.05] = rng.integers(low, high + 1)               # straight lines
    answers[rng.random(n) < 0.03] = high                                      # all at the top
    frame = pd.DataFrame({"year": 2024, "unit_id": rng.choice(["A", "B", "C"], n),
                          "ballot_id": np.arange(n).astype(str),
                          "channel": rng.choice(["paper", "vneid"], n)})
    for i in range(k):
        frame[f"q_{i}"] = pd.array(answers[:, i], dtype="Int64")
    path = tmp_path / "ballots.parquet"
    frame.to_parquet(path)
    units = pd.DataFrame({"unit_id": ["A", "B", "C"], "valid_from": pd.array([None] * 3, "Int64"),
                          "valid_to": pd.array([None] * 3, "Int64")})
    assert_same_summary(path, units, satisfied_answers=satisfied, scale=scale)

    on_scale = np.where((answers >= low) & (answers <= high), answers, np.nan)
    answered = ~np.isnan(on_scale)
    off_scale = (~np.isnan(answers) & ~answered).any(axis=1)
    counted = answered.any(axis=1) & ~off_scale
    m = answered.sum(axis=1)
    top = (m >= 3) & (np.where(answered, on_scale, high) == high).all(axis=1)
    lowest = np.where(answered, on_scale, np.inf).min(axis=1)
    highest = np.where(answered, on_scale, -np.inf).max(axis=1)
    s = np.nansum(on_scale, axis=1)
    expected = pd.DataFrame({
        "unit_id": frame["unit_id"], "channel": frame["channel"], "s_s": s, "s_ss": s ** 2,
        "n_top": top, "n_straight": (m >= 3) & (lowest == highest),
        "t_other": np.where(top, 0, (on_scale == high).sum(axis=1))})[counted]
    expected = expected.groupby(["unit_id", "channel"], as_index=False).sum()
    with open_source(path, units) as (con, source, questions):
        read_ballots(con, source, questions, scale, satisfied)
        sums = con.sql("SELECT unit_id, channel, s_s, s_ss, n_top, n_straight, t_other "
                       "FROM unit_sums ORDER BY unit_id, channel").df()
    pd.testing.assert_frame_equal(sums, expected, check_dtype=False)


@pytest.mark.parametrize("limit, said", [
    ("1MB", "ballots.csv: the file needs more memory than the limit of 1MB"),
    ("lots", "PAR_REPORT_MEMORY_LIMIT: 'lots' is not a memory size")])
def test_memory_limit_from_the_environment(tmp_path, monkeypatch, capsys, limit, said):
    """PAR_REPORT_MEMORY_LIMIT sets DuckDB's limit; a file that needs more than it can spill,
    or a value that is no size, ends the run with a message naming the fix (exit status 1),
    not a traceback."""
    from analysis.cli import main
    monkeypatch.setenv("PAR_REPORT_MEMORY_LIMIT", limit)
    code = main(["run", "--data", str(ROOT / "data" / "demo-mps"), "--format", "", "--quiet",
                 "--out", str(tmp_path / "reports")])
    assert code == 1
    err = capsys.readouterr().err
    assert said in err and "PAR_REPORT_MEMORY_LIMIT" in err and "Traceback" not in err
    assert not (tmp_path / "reports" / "demo-mps").exists()
