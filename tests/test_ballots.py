"""Ballot rules and per-unit sums, checked against hand-counted files, the generator's labels and a
second, plain-Python implementation of the rules (`reference` below)."""
import csv
import math
import random
import re
import unicodedata
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis.indices import ballots as ballot_rules
from analysis.indices.ballots import REASONS, summarise_ballots
from analysis.inputs.sources import INTEGER_PATTERN, empty_lines, whole_number
from analysis.inputs.errors import InputError

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
    from analysis.inputs.dataset import load_dataset
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
    from analysis.inputs.dataset import load_dataset
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


# --- a second hand-made file: every table written out in full, counted by hand ----------------
UNITS_3 = pd.DataFrame({"unit_id": ["U1", "U2", "U3"],
                        "valid_from": pd.array([None, 2020, 2025], dtype="Int64"),
                        "valid_to": pd.array([None, 2024, None], dtype="Int64")})
HAND = [  # (line, text); line 8 is empty, so the lines after it are one further than their index
    (1, "year,unit_id,ballot_id,channel,submitted_at,q_1,q_2,q_3"),
    (2, "2024,U1,b01,web,2024-03-01,5,4,3"),       # U1: m=3 y=2
    (3, "2024,U1,b02,paper,,2,,5"),                # U1: m=2 y=1
    (4, '2024,"U2",b03,web,,4,4,4'),               # U2: m=3 y=3
    (5, ",U1,b04,web,,5,5,5"),                     # missing_year
    (6, "2024,U9,b05,web,,5,5,5"),                 # unknown_unit
    (7, "2024,U3,b06,paper,,5,5,5"),               # outside_validity (U3 from 2025)
    (8, ""),
    (9, "2024,U1,b01,web,,1,1,1"),                 # duplicate_ballot (b01 on line 2)
    (10, "2024,U2,b07,,,,,"),                      # no_answer (blank channel)
    (11, "2024,U2,b08,web,,4,6,"),                 # answer_out_of_scale
    (12, '2023,U1,b01,web,,4.0," 3 ",'),           # 2023 U1: m=2 y=1 (b01 again, other year)
    (13, "2024,U2,,paper,,5,,"),                   # U2: m=1 y=1 (no id: never a repeat)
    (14, "2024,U2,,paper,,3,3,"),                  # U2: m=2 y=0
    (15, "2024,U9,b03,web,,,,"),                   # unknown_unit first, though also a repeat, no answer
    (16, "2024,U2,b10,web,,x,,"),                  # answer_out_of_scale, not no_answer
]


def hand_units():
    return pd.DataFrame({
        "year": [2023, 2024, 2024], "unit_id": ["U1", "U1", "U2"],
        "n_ballots": [1, 2, 3], "n_valid": [2, 5, 6], "n_satisfied": [1, 3, 4],
        "s_yy": [1, 2 * 2 + 1, 3 * 3 + 1 + 0], "s_mm": [4, 3 * 3 + 2 * 2, 3 * 3 + 1 + 2 * 2],
        "s_ym": [2, 2 * 3 + 1 * 2, 3 * 3 + 1 * 1 + 0]}).astype({"unit_id": "str"})


def hand_questions():
    return pd.DataFrame({
        "year": [2023] * 3 + [2024] * 6, "unit_id": ["U1"] * 6 + ["U2"] * 3,
        "question": ["1", "2", "3"] * 3,
        "n_valid": [1, 1, 0, 2, 1, 2, 3, 2, 1], "n_satisfied": [1, 0, 0, 1, 1, 1, 2, 1, 1],
    }).astype({"unit_id": "str", "question": "str"})


def hand_channels():
    return pd.DataFrame({"year": [2023, 2024, 2024, 2024], "channel": ["web", "", "paper", "web"],
                         "n_ballots": [1, 1, 4, 7], "n_counted": [1, 0, 3, 2],
                         "n_rejected": [0, 1, 1, 5]}).astype({"channel": "str"})


def hand_rejected(file="ballots.csv", rows=(5, 6, 7, 9, 10, 11, 15, 16)):
    return pd.DataFrame({
        "file": file, "row": list(rows),
        "year": pd.array([None] + [2024] * 7, dtype="Int64"),
        "unit_id": ["U1", "U9", "U3", "U1", "U2", "U2", "U9", "U2"],
        "ballot_id": ["b04", "b05", "b06", "b01", "b07", "b08", "b03", "b10"],
        "channel": ["web", "web", "paper", "web", "", "web", "web", "web"],
        "reason": ["missing_year", "unknown_unit", "outside_validity", "duplicate_ballot",
                   "no_answer", "answer_out_of_scale", "unknown_unit", "answer_out_of_scale"],
    }).astype({"file": "str", "unit_id": "str", "ballot_id": "str", "channel": "str", "reason": "str"})


def hand_frame() -> pd.DataFrame:
    """The hand-made ballots as text, one row per ballot (empty line left out)."""
    lines = [text for _, text in HAND if text]
    return pd.DataFrame(list(csv.reader(lines[1:])), columns=next(csv.reader(lines[:1])))


@pytest.fixture
def hand_csv(tmp_path):
    path = tmp_path / "ballots.csv"
    path.write_bytes(("\ufeff" + "\r\n".join(text for _, text in HAND) + "\r\n").encode())
    return path


def assert_hand(summary, rejected):
    pd.testing.assert_frame_equal(summary.units, hand_units())
    pd.testing.assert_frame_equal(summary.questions, hand_questions())
    pd.testing.assert_frame_equal(summary.channels, hand_channels())
    pd.testing.assert_frame_equal(summary.rejected, rejected)
    assert summary.questions_found == ("1", "2", "3")


def test_hand_made_csv_every_table(hand_csv):
    """BOM, CRLF, an empty line, quoted cells: every table equals the hand count."""
    assert_hand(summarise_ballots(hand_csv, UNITS_3), hand_rejected())


def test_hand_made_csv_when_every_id_hash_collides(hand_csv, monkeypatch):
    """Repeated ids are found from a hash, then checked exactly: with one hash for every
    ballot (all collide), the exact check alone decides, and every table is the same."""
    monkeypatch.setattr(ballot_rules, "ID_HASH", "0::UINTEGER")
    assert_hand(summarise_ballots(hand_csv, UNITS_3), hand_rejected())


def test_hand_made_rejected_rows_are_the_lines_of_the_file(hand_csv):
    lines = hand_csv.read_text(encoding="utf-8-sig").splitlines()
    rejected = summarise_ballots(hand_csv, UNITS_3).rejected
    for row, ballot in zip(rejected["row"], rejected["ballot_id"]):
        assert next(csv.reader([lines[row - 1]]))[2] == ballot


def test_hand_made_parquet_text_and_typed_columns(tmp_path):
    """Same ballots as Parquet, once all text and once typed (integers, floats with NaN)."""
    frame = hand_frame()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "ballots.parquet")
    rows = [4, 5, 6, 7, 8, 9, 13, 14]   # positions in the file: no header, no empty line
    assert_hand(summarise_ballots(tmp_path / "ballots.parquet", UNITS_3),
                hand_rejected("ballots.parquet", rows))

    typed = pa.table({
        **{c: pa.array(frame[c].to_numpy(dtype=object), pa.string())
           for c in ("unit_id", "ballot_id", "channel", "q_1")},
        "year": pa.array(pd.to_numeric(frame["year"]).astype("Int64"), pa.int32()),
        "q_2": pa.array(pd.to_numeric(frame["q_2"].str.strip()).astype("Int64"), pa.int64()),
        # floats keep their NaN (written as NaN, not as null): NaN is blank
        "q_3": pa.array(pd.to_numeric(frame["q_3"]).to_numpy(dtype=float), pa.float64()),
    })
    assert pc_is_nan_somewhere(typed["q_3"])
    pq.write_table(typed, tmp_path / "typed.parquet")
    assert_hand(summarise_ballots(tmp_path / "typed.parquet", UNITS_3),
                hand_rejected("typed.parquet", rows))


def pc_is_nan_somewhere(column: pa.ChunkedArray) -> bool:
    return column.null_count == 0 and any(math.isnan(v) for v in column.to_pylist())


# --- a second implementation of the rules, in plain Python, on seeded random files ------------
KEYS = ("year", "unit_id", "ballot_id", "channel")
HANOI = "Hà Nội"
REGISTRY_R = pd.DataFrame({"unit_id": ["U1", "U2", "U3", "U4", HANOI],
                           "valid_from": pd.array([None, 2024, None, 2020, None], dtype="Int64"),
                           "valid_to": pd.array([None, None, 2023, 2030, None], dtype="Int64")})


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def random_ballots(seed: int, n: int, questions: int = 4) -> tuple[list[str], list[list[str]]]:
    """Header and rows of text, with every kind of bad row planted at random."""
    rng = random.Random(seed)
    header = ["year", "unit_id", "ballot_id", "submitted_at", "channel",
              *(f"q_{c}" for c in "abcdefgh"[:questions])]
    answers = ["1", "2", "3", "4", "5"] * 8 + [""] * 10 + ["0", "6", "2.5", "x", "4.0", " 3 ", "+4",
                                                          "-1", "5.", "1e1"]
    rows = []
    for _ in range(n):
        year = rng.choice(["2023", "2024", "2024", "2025"] * 10 + ["", " ", "20x4", "2024.0", " 2023 "])
        unit = rng.choice(["U1", "U2", "U3", "U4", HANOI, nfd(HANOI)] * 6 + ["ZZ", "", " U1 "])
        ballot = rng.choice([f"b{rng.randrange(3 * n)}"] * 12 + [""])
        channel = rng.choice(["web", "paper", "", nfd("trực tuyến"), "trực tuyến"])
        cells = [rng.choice(answers) for _ in range(questions)]
        if rng.random() < 0.05:
            cells = [rng.choice(["", " "]) for _ in range(questions)]
        rows.append([year, unit, ballot, "", channel, *cells])
    return header, rows


def write_csv(path: Path, header, rows, seed: int) -> None:
    """CSV with a few empty lines planted between the rows."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            if rng.random() < 0.01:
                handle.write("\n")
            writer.writerow(row)


def csv_records(path: Path):
    """(file, line, cells) per ballot, line numbers counted by Python's csv module."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        for fields in reader:
            if fields:
                yield path.name, reader.line_num, dict(zip(header, fields))


def parquet_records(path: Path):
    files = sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
    for file in files:
        for row, cells in enumerate(pq.read_table(file).to_pylist(), start=1):
            yield file.relative_to(path.parent).as_posix(), row, cells


def is_blank(value) -> bool:
    return (value is None or (isinstance(value, float) and math.isnan(value))
            or (isinstance(value, str) and value.strip(" ") == ""))


def as_integer(value):
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = value.strip(" ")
    return int(text.split(".")[0]) if re.fullmatch(r"[+-]?[0-9]+(\.0*)?", text) else None


def as_label(value) -> str:
    return "" if is_blank(value) else unicodedata.normalize("NFC", str(value).strip(" "))


def reference(records, registry, satisfied=(4, 5), scale=(1, 5), years=None) -> dict:
    """The rules of CONTRACT "Which ballots count", one ballot at a time, in file order."""
    validity = {u: (f, t) for u, f, t in registry[["unit_id", "valid_from", "valid_to"]].itertuples(index=False)}
    seen, counted, rejected, questions = set(), [], [], None
    for file, row, cells in records:
        questions = questions or [c for c in cells if c.startswith("q_")]
        year = None if is_blank(cells["year"]) else as_integer(cells["year"])
        if years and year is not None and year not in years:
            continue
        unit, ballot, channel = (as_label(cells[k]) for k in ("unit_id", "ballot_id", "channel"))
        values = [None if is_blank(cells[q]) else as_integer(cells[q]) for q in questions]
        given = [not is_blank(cells[q]) for q in questions]
        repeat = year is not None and ballot != "" and (year, ballot) in seen
        seen.add((year, ballot))
        low, high = validity.get(unit, (pd.NA, pd.NA))
        if year is None:
            reason = "missing_year"
        elif unit not in validity:
            reason = "unknown_unit"
        elif (not pd.isna(low) and year < low) or (not pd.isna(high) and year > high):
            reason = "outside_validity"
        elif repeat:
            reason = "duplicate_ballot"
        elif not any(given):
            reason = "no_answer"
        elif any(g and (v is None or not scale[0] <= v <= scale[1]) for g, v in zip(given, values)):
            reason = "answer_out_of_scale"
        else:
            reason = None
        record = {"file": file, "row": row, "year": year, "unit_id": unit, "ballot_id": ballot,
                  "channel": channel, "reason": reason}
        if reason:
            rejected.append(record)
        else:
            counted.append({**record, **{f"valid_{q[2:]}": int(g) for q, g in zip(questions, given)},
                            **{f"sat_{q[2:]}": int(v in satisfied) for q, v in zip(questions, values)}})
    return frames(counted, rejected, [q[2:] for q in questions])


def frames(counted, rejected, codes) -> dict:
    every = pd.DataFrame(counted + rejected)
    ballots = pd.DataFrame(counted)
    ballots["m"] = sum(ballots[f"valid_{c}"] for c in codes)
    ballots["y"] = sum(ballots[f"sat_{c}"] for c in codes)
    ballots = ballots.assign(yy=ballots.y ** 2, mm=ballots.m ** 2, ym=ballots.y * ballots.m)
    units = ballots.groupby(["year", "unit_id"]).agg(
        n_ballots=("m", "size"), n_valid=("m", "sum"), n_satisfied=("y", "sum"),
        s_yy=("yy", "sum"), s_mm=("mm", "sum"), s_ym=("ym", "sum")).reset_index()
    questions = pd.concat([ballots.groupby(["year", "unit_id"]).agg(
        n_valid=(f"valid_{c}", "sum"), n_satisfied=(f"sat_{c}", "sum")).reset_index().assign(question=c)
        for c in codes])[["year", "unit_id", "question", "n_valid", "n_satisfied"]]
    dated = every[every["year"].notna()].astype({"year": "int64"})
    channels = dated.groupby(["year", "channel"]).agg(
        n_ballots=("reason", "size"), n_counted=("reason", lambda r: int(r.isna().sum()))).reset_index()
    channels["n_rejected"] = channels["n_ballots"] - channels["n_counted"]
    out = pd.DataFrame(rejected)[["file", "row", "year", "unit_id", "ballot_id", "channel", "reason"]]
    text = {c: "str" for c in ("unit_id", "ballot_id", "channel", "reason", "file", "question")}
    return {
        "units": units.sort_values(["year", "unit_id"], ignore_index=True).astype({"unit_id": "str"}),
        "questions": questions.sort_values(["year", "unit_id", "question"], ignore_index=True)
        .astype({k: v for k, v in text.items() if k in ("unit_id", "question")}),
        "channels": channels.sort_values(["year", "channel"], ignore_index=True).astype({"channel": "str"}),
        "rejected": out.astype({"year": "Int64", **{k: v for k, v in text.items() if k in out}})
        .sort_values(["file", "row"], ignore_index=True),
    }


def assert_same(summary, expected: dict, drop_place: bool = False) -> None:
    for name in ("units", "questions", "channels"):
        pd.testing.assert_frame_equal(getattr(summary, name), expected[name].astype(
            {c: "int64" for c in expected[name] if c.startswith(("n_", "s_")) or c == "year"}), obj=name)
    got, want = summary.rejected, expected["rejected"]
    if drop_place:
        key = ["year", "unit_id", "ballot_id", "channel", "reason"]
        got = got[key].sort_values(key, ignore_index=True)
        want = want[key].sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(got, want, obj="rejected")


@pytest.mark.parametrize("satisfied, scale", [((4, 5), (1, 5)), ((3, 4), (0, 4))])
def test_random_csv_agrees_with_the_python_reference(tmp_path, satisfied, scale):
    header, rows = random_ballots(seed=7, n=3000)
    path = tmp_path / "ballots.csv"
    write_csv(path, header, rows, seed=8)
    summary = summarise_ballots(path, REGISTRY_R, satisfied, scale)
    expected = reference(csv_records(path), REGISTRY_R, satisfied, scale)
    assert set(expected["rejected"]["reason"]) == set(REASONS)   # every rule is exercised
    assert_same(summary, expected)
    assert summary.questions_found == ("a", "b", "c", "d")


def test_random_rejected_rows_point_at_their_lines(tmp_path):
    header, rows = random_ballots(seed=11, n=2000)
    path = tmp_path / "ballots.csv"
    write_csv(path, header, rows, seed=12)
    lines = path.read_text(encoding="utf-8").split("\n")
    assert "" in lines[1:-1]                                  # empty lines were planted
    rejected = summarise_ballots(path, REGISTRY_R).rejected
    assert len(rejected) > 200
    for row, ballot in zip(rejected["row"], rejected["ballot_id"]):
        fields = next(csv.reader([lines[row - 1]]))
        assert unicodedata.normalize("NFC", fields[2].strip()) == ballot


def test_random_csv_equals_parquet_file_and_partitioned_folder(tmp_path):
    header, rows = random_ballots(seed=21, n=2500)
    write_csv(tmp_path / "ballots.csv", header, rows, seed=22)
    table = pa.table({c: pa.array([r[i] for r in rows], pa.string()) for i, c in enumerate(header)})
    pq.write_table(table, tmp_path / "ballots.parquet")
    folder = tmp_path / "parts" / "ballots"
    folder.mkdir(parents=True)
    for part, start in enumerate(range(0, len(rows), 1000)):   # file order = row order
        pq.write_table(table.slice(start, 1000), folder / f"part-{part}.parquet")
    from_csv = summarise_ballots(tmp_path / "ballots.csv", REGISTRY_R)
    for path in (tmp_path / "ballots.parquet", folder):
        summary = summarise_ballots(path, REGISTRY_R)
        assert_same(summary, reference(parquet_records(path), REGISTRY_R))
        for name in ("units", "questions", "channels"):
            pd.testing.assert_frame_equal(getattr(summary, name), getattr(from_csv, name))
        key = ["year", "unit_id", "ballot_id", "channel", "reason"]
        pd.testing.assert_frame_equal(summary.rejected[key], from_csv.rejected[key])
    assert set(summarise_ballots(folder, REGISTRY_R).rejected["file"]) == {
        "ballots/part-0.parquet", "ballots/part-1.parquet", "ballots/part-2.parquet"}


def test_years_keep_only_those_years_and_the_missing_ones(tmp_path):
    header, rows = random_ballots(seed=31, n=2000)
    path = tmp_path / "ballots.csv"
    write_csv(path, header, rows, seed=32)
    summary = summarise_ballots(path, REGISTRY_R, years=[2024])
    assert_same(summary, reference(csv_records(path), REGISTRY_R, years=[2024]))
    assert set(summary.units["year"]) == set(summary.channels["year"]) == {2024}
    assert set(summary.rejected["year"].dropna()) == {2024}
    assert summary.rejected["year"].isna().any()


def test_hive_partitioned_folder_takes_the_year_from_the_folder_names(tmp_path):
    frame = hand_frame()
    dated = frame[frame["year"] != ""]
    for year, part in dated.groupby("year"):
        (tmp_path / "ballots" / f"year={year}").mkdir(parents=True)
        pq.write_table(pa.Table.from_pandas(part.drop(columns="year"), preserve_index=False),
                       tmp_path / "ballots" / f"year={year}" / "part-0.parquet")
    summary = summarise_ballots(tmp_path / "ballots", UNITS_3)
    pd.testing.assert_frame_equal(summary.units, hand_units())
    pd.testing.assert_frame_equal(summary.channels, hand_channels())
    assert list(summary.rejected["file"].unique()) == ["ballots/year=2024/part-0.parquet"]


# --- details of the rules ---------------------------------------------------------------------
def test_how_answers_are_read(tmp_path):
    """Only whole numbers within the scale are answers; spaces around them do not matter."""
    spellings = {"4": True, " 4 ": True, "4.0": True, "4.": True, "+4": True, "04": True,
                 "0": False, "6": False, "2.5": False, "x": False, "4e0": False, "4,0": False,
                 "½": False, "٤": False}
    lines = ["year,unit_id,ballot_id,channel,q_1"] + [
        f'2024,U1,b{i},web,"{text}"' for i, text in enumerate(spellings)]
    path = tmp_path / "ballots.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = summarise_ballots(path, UNITS_3)
    bad = set(summary.rejected["ballot_id"])
    assert {b: b not in bad for b in (f"b{i}" for i in range(len(spellings)))} == {
        f"b{i}": ok for i, ok in enumerate(spellings.values())}
    assert summary.units["n_satisfied"].tolist() == [sum(spellings.values())]


def test_a_one_character_cell_is_read_as_the_pattern_reads_it():
    """`whole_number` reads a single digit without the pattern: every one-character cell (ASCII,
    and digits or numerals of other scripts) gives what the pattern rule gives (Python's re)."""
    cells = [chr(c) for c in range(32, 127)] + ["٤", "４", "½", "²", "๓", "Ⅳ"]
    got = [v for (v,) in duckdb.connect().execute(
        f"SELECT {whole_number('t')} FROM (SELECT unnest(?) AS t)", [cells]).fetchall()]
    assert got == [int(c) if re.fullmatch(INTEGER_PATTERN, c) else None for c in cells]
    assert got[cells.index("7")] == 7 and got[cells.index("+")] is None


def test_unit_ids_and_channels_are_compared_in_nfc(tmp_path):
    path = tmp_path / "ballots.csv"
    path.write_text(f"year,unit_id,ballot_id,channel,q_1\n2024,{nfd(HANOI)},1,{nfd('trực tuyến')},5\n"
                    f"2024,{HANOI},2,trực tuyến,4\n", encoding="utf-8")
    summary = summarise_ballots(path, REGISTRY_R)
    assert summary.units[["unit_id", "n_ballots"]].values.tolist() == [[HANOI, 2]]
    assert summary.channels["channel"].tolist() == ["trực tuyến"]


def test_missing_columns_are_all_listed(tmp_path):
    path = tmp_path / "ballots.csv"
    path.write_text("year,unit_id,submitted_at\n2024,U1,\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        summarise_ballots(path, UNITS_3)
    problems = err.value.problems
    assert [(p.file, p.row, p.column) for p in problems] == [
        ("ballots.csv", 1, "ballot_id"), ("ballots.csv", 1, "channel"), ("ballots.csv", 1, None)]
    assert "q_" in problems[-1].message


def test_missing_column_in_parquet(tmp_path):
    pq.write_table(pa.table({"year": ["2024"], "unit_id": ["U1"], "ballot_id": ["1"], "q_1": ["5"]}),
                   tmp_path / "ballots.parquet")
    with pytest.raises(InputError) as err:
        summarise_ballots(tmp_path / "ballots.parquet", UNITS_3)
    assert [(p.file, p.column) for p in err.value.problems] == [("ballots.parquet", "channel")]


def test_lines_that_cannot_be_read_are_listed_with_their_line(tmp_path):
    path = tmp_path / "ballots.csv"
    path.write_bytes(b"year,unit_id,ballot_id,channel,q_1\n2024,U1,1,web,5\n\n2024,U1,2,web,5,5\n"
                     b"2024,U1,3,web\n2024,U\xff,4,web,5\n")
    with pytest.raises(InputError) as err:
        summarise_ballots(path, UNITS_3)
    assert [p.row for p in err.value.problems] == [4, 5, 6]
    assert "UTF-8" in err.value.problems[-1].fix


def test_no_ballots_gives_empty_tables(tmp_path):
    path = tmp_path / "ballots.csv"
    path.write_text("year,unit_id,ballot_id,channel,q_1\n", encoding="utf-8")
    summary = summarise_ballots(path, UNITS_3)
    assert list(summary.units.columns) == ["year", "unit_id", "n_ballots", "n_valid", "n_satisfied",
                                           "s_yy", "s_mm", "s_ym"]
    assert list(summary.rejected.columns) == ["file", "row", "year", "unit_id", "ballot_id",
                                              "channel", "reason"]
    assert all(len(t) == 0 for t in (summary.units, summary.questions, summary.channels,
                                     summary.rejected))


@pytest.mark.parametrize("block", [1, 2, 3, 5, 64])
def test_empty_lines_are_found_across_block_boundaries(tmp_path, block):
    data = b"h\n\na,b\r\n\r\n\n\nc\n\r\nlast"
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    expected = [n for n, line in enumerate(data.split(b"\n")[:-1], start=1) if line in (b"", b"\r")]
    assert empty_lines(path, block).tolist() == expected == [2, 4, 5, 6, 8]
