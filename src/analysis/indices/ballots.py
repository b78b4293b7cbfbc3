"""Which ballots count (CONTRACT "Which ballots count") and per-unit sums over those that do.

DuckDB reads the ballot file (`ballots.csv`, `ballots.parquet`, or a folder of Parquet files)
with every cell as text, so nothing is coerced silently, once, into a narrow in-memory table
(`read_ballots`: each answer reduced to a small integer, the rules applied); the sums and the
integrity screen run on that table, and only aggregates and the rejected rows come back to
pandas, so files of national scale are fine (beyond DuckDB's memory limit the table spills to disk).
A cell is trimmed of surrounding spaces; nothing left means blank. An integer is written with
digits only, optionally with a zero decimal part ("4", "4.0"; a NaN in a Parquet float column
is blank). unit_id, ballot_id and channel are compared in Unicode NFC (an integer ballot_id
column of Parquet as integers).

Integer Parquet columns are read as numbers (the fast path). Rows are numbered as
`analysis.inputs.sources` explains (file lines for CSV, 1-based positions in each Parquet file).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analysis.inputs.errors import InputError, Problem
from analysis.inputs.sources import (Source, connection, csv_lines, nfc, damaged, out_of_memory,
                                     raise_unreadable_lines, run_query, unreadable)
from analysis.inputs.sources import open_source as read_source

REASONS = ("missing_year", "unknown_unit", "outside_validity", "duplicate_ballot", "no_answer",
           "answer_out_of_scale")
REASON_CODE = {reason: i + 1 for i, reason in enumerate(REASONS)}  # the table's `reason`
REASON_TEXT = "[" + ", ".join(f"'{reason}'" for reason in REASONS) + "]"  # SQL: code -> reason
KEY_COLUMNS = ("year", "unit_id", "ballot_id", "channel")
SUMS = ("n_ballots", "n_valid", "n_satisfied", "s_yy", "s_mm", "s_ym")
# a 32-bit hash of a ballot's (year, id); NULL without a readable year or an id, never a repeat
ID_HASH = "IF(year IS NULL OR ballot_id IS NULL, NULL, (hash(year, ballot_id) >> 32)::UINTEGER)"
ID_TEXT = "coalesce(CAST(ballot_id AS VARCHAR), '')"  # the id as the user wrote it; '' when blank


@dataclass(frozen=True)
class BallotSummary:
    """Per-unit sums over the ballots that count, per-channel counts, and the rejected ballots."""

    units: pd.DataFrame      # year, unit_id, n_ballots, n_valid, n_satisfied, s_yy, s_mm, s_ym
    questions: pd.DataFrame  # year, unit_id, question, n_valid, n_satisfied
    channels: pd.DataFrame   # year, channel, n_ballots, n_counted, n_rejected
    rejected: pd.DataFrame   # file, row, year, unit_id, ballot_id, channel, reason
    questions_found: tuple[str, ...]
    integrity: object = None  # the integrity screen (`integrity.Screen`) when asked for


def summarise_ballots(path, units: pd.DataFrame, satisfied_answers=(4, 5), scale=(1, 5),
                      years=None, progress: bool = False, screen=None,
                      screen_year: int | None = None) -> BallotSummary:
    """Apply the ballot rules to the file or folder at `path` and sum the ballots that count.

    `units` is the registry (unit_id, valid_from, valid_to; empty years are open-ended). Per
    counted ballot, m = its non-blank answers and y = those in `satisfied_answers`; a unit-year
    gets n_ballots, Σm, Σy, Σy², Σm², Σym. A rejected ballot gets the first reason of `REASONS`
    that applies; the first copy of a repeated (year, ballot_id) in file order is the only one
    that can count; a blank ballot_id is never a repeat. With `years`, only those years are
    read, plus the rows without a readable year (always rejected as missing_year). `questions`
    has a row for every question of every unit-year in `units` (zeros included). `progress`
    shows bars on the long steps (from 2 s on). The file is read once, into
    the in-memory table of `read_ballots`; with `screen`, a function of (connection, source,
    questions) such as the integrity screen of `screen_year`, that table serves it too; its
    result is `integrity`.
    """
    path = Path(path)
    satisfied = sorted({int(v) for v in satisfied_answers})
    if not satisfied:
        raise ValueError("satisfied_answers is empty")
    screened = None
    with open_source(path, units) as (con, source, questions):
        read_ballots(con, source, questions, scale, satisfied, years, screen_year, progress)
        groups = con.sql(_query(len(questions))).df()
        if screen is not None:
            screened = screen(con, source, questions)
    summary = _summary(groups, source.files, [q[2:] for q in questions], source.empty_lines)
    return replace(summary, integrity=screened)


@contextmanager
def open_source(path: Path, units: pd.DataFrame):
    """A DuckDB connection with the registry and the ballot source (CSV file, Parquet file or
    folder) registered, its question columns checked; unreadable input becomes an InputError."""
    with connection() as con:
        con.register("registry", _registry(units))
        source = read_source(con, path, "ballot")
        questions = [c for c in source.raw if c.startswith("q_") and len(c) > 2]
        _require_columns(source, questions)
        try:
            yield con, source, questions
        except duckdb.OutOfMemoryException:
            raise out_of_memory(source.name) from None
        except duckdb.Error as err:
            if not damaged(err):
                raise
            raise unreadable(source.name, err, "save it again as CSV UTF-8 or Parquet") from None


def _registry(units: pd.DataFrame) -> pd.DataFrame:
    """unit_id (NFC), valid_from, valid_to and `code`, the unit's place in code-point order of
    unit_id (the order DuckDB sorts text in), as the ballots table stores units."""
    frame = pd.DataFrame({
        "unit_id": [nfc(str(u)) for u in units["unit_id"]],
        "valid_from": pd.to_numeric(units["valid_from"]).astype("Int64").to_numpy(),
        "valid_to": pd.to_numeric(units["valid_to"]).astype("Int64").to_numpy(),
    })
    if frame["unit_id"].duplicated().any():
        raise ValueError("the unit registry repeats a unit_id")
    frame = frame.sort_values("unit_id", ignore_index=True)
    return frame.assign(code=np.arange(len(frame), dtype=np.int32))


def _require_columns(source: Source, questions: list[str]) -> None:
    problems = []
    try:
        source.require(KEY_COLUMNS)
    except InputError as err:
        problems += err.problems
    if not questions:
        problems.append(Problem(source.name, source.header_row, None,
                                "no question column (named q_<code>)",
                                "add one column per question, named q_ followed by its code"))
    if problems:
        raise InputError(problems)


def read_ballots(con, source: Source, questions: list[str], scale=(1, 5), satisfied_answers=(4, 5),
                 years=None, timed_year: int | None = None, progress: bool = False) -> None:
    """The one read of the ballot file: table `ballots` (in the connection's private in-memory
    database; not a temporary table, so that cursors see it), one narrow row per ballot (of
    `years`, if given) with _file, _pos (`Source.numbered`), year, u (the unit's `code` in the
    table `registry`; NULL for a unit not in it, whose id as written is then `unlisted_id`),
    ballot_id (of a CSV file only, see `read_ids`; NULL when blank; `Source.identifier`),
    channel, a0… (each answer's code: 0 when blank or off the scale, else its place on the
    scale, 1 for the lowest answer, so answer = code + low − 1; never NULL, which makes the sums
    several times cheaper), m (answers on the scale), `reason` (the code, in `REASON_CODE`, of
    the first of `REASONS` that applies; NULL when the ballot counts), h (a hash of year and
    ballot_id, for the repeated ids below; NULL for a ballot without a readable year or an id,
    which no other repeats) and minute (submitted_at in whole minutes since 1970 when it has a
    time of day; read for the ballots of `timed_year` only, the year the integrity screen looks
    for bursts in). Each column is as narrow as its values allow (year and minute INTEGER: a
    year beyond it is no readable year; _file and _pos UINTEGER: a file of more than 4 × 10⁹ rows is
    refused as unreadable), since at national scale the table outgrows memory and spills to
    disk. Units are integer codes in the table, so the grouping runs on integers; names are
    joined to the few rows that come out.

    Then temp table `unit_sums`, one row per (year, unit_id, channel) of the ballots that
    count, with the sums of the rules (n_ballots, n_valid = Σm, n_satisfied = Σy, s_yy, s_mm,
    s_ym, valid<i> and satisfied<i> per question) and those the integrity screen reads (s = the
    sum of a ballot's answers, t = its answers at the top of the scale: s_s, s_ss, s_sm, n_low
    (y < m), n_three (m ≥ 3), n_straight (m ≥ 3, one answer throughout), n_top (m ≥ 3, all at
    the top), t_other and m_other (Σt and Σm over the others)); and temp table `rejected`, the
    ballots that do not count (r, their rowid in `ballots`, _file, _pos, year, u, unlisted_id,
    channel, reason, candidate, and ballot_id from `read_ids`), so that what is asked of them
    later reads this small table, not the file's.

    Repeated ids: a 32-bit hash of (year, ballot_id) per ballot, sorted in numpy (4 bytes a
    ballot, where a hash aggregate in DuckDB needed a table of every id), gives the hashes seen
    twice. One pass over the table copies out the ballots already rejected and these candidates
    (a hash collision just adds candidates: about n²/2³³ pairs, 12,000 among 10 M ids); the
    exact file-order window over the candidates' ids finds the later copies, which are marked in
    both tables, and the candidates that count leave `rejected`. (At 100 M ballots, a table
    spilled to disk, a pass of its own for each took 1.8 s longer.)"""
    low, high = (int(v) for v in scale)
    k = range(len(questions))
    cells = ", ".join(f"{source.present(c)} AS p{i}, {source.number(c)} AS w{i}"
                      for i, c in enumerate(questions))
    values = ", ".join(f"CASE WHEN w{i} BETWEEN {low} AND {high} "
                       f"THEN (w{i} - {low - 1})::{code_type(scale)} ELSE 0 END AS a{i}" for i in k)
    answered = "0::SMALLINT + " + " + ".join(f"(a{i} > 0)::SMALLINT" for i in k)
    present = "0::SMALLINT + " + " + ".join(f"p{i}::SMALLINT" for i in k)
    submitted, ts = _minute(source, timed_year)
    chosen = (f"WHERE year IS NULL OR year IN ({', '.join(str(int(y)) for y in years)})"
              if years else "")
    code = REASON_CODE
    numbered = source.numbered(con, f"""
               TRY_CAST({source.whole('year')} AS INTEGER) AS year,
               {source.key('unit_id')} AS unit_id,
               {source.identifier('ballot_id')} AS ballot_id, {source.key('channel')} AS channel
               {submitted}, {cells}""", "ballots: reading" if progress else None)
    run_query(con, f"""
    CREATE OR REPLACE TABLE ballots AS
    WITH cells AS ({numbered}),
    answers AS (
        SELECT * EXCLUDE (submitted, {', '.join(f"w{i}" for i in k)}), {values}{ts}
        FROM cells {chosen}
    ),
    counted AS (
        SELECT * EXCLUDE ({', '.join(f"p{i}" for i in k)}), ({answered}) AS m,
               ({present}) AS n_present
        FROM answers
    )
    SELECT a.* EXCLUDE (n_present, unit_id{", ballot_id" if source.columnar else ""}), r.code AS u,
           IF(r.code IS NULL, a.unit_id, NULL) AS unlisted_id, {ID_HASH} AS h,
           CASE
        WHEN a.year IS NULL THEN {code['missing_year']}
        WHEN r.code IS NULL THEN {code['unknown_unit']}
        WHEN a.year < r.valid_from OR a.year > r.valid_to THEN {code['outside_validity']}
        WHEN a.n_present = 0 THEN {code['no_answer']}
        WHEN a.n_present > a.m THEN {code['answer_out_of_scale']}
    END::TINYINT AS reason
    FROM counted a LEFT JOIN registry r ON a.unit_id = r.unit_id
    """, ("ballots: reading" if source.columnar else "ballots: rules") if progress else None)
    if not source.columnar:
        con.execute("DROP TABLE numbered")
        raise_unreadable_lines(con, source.name, "ballot")
    # the rejected ballots and the candidates for repeated ids, in one pass over the table
    con.register("repeated", pd.DataFrame({"h": _repeated_hashes(con)}))
    run_query(con, """
    CREATE OR REPLACE TEMP TABLE chosen AS
    SELECT rowid AS r, _file, _pos, year, u, unlisted_id, channel, reason,
           h IN (SELECT h FROM repeated) AS candidate
    FROM ballots WHERE reason IS NOT NULL OR h IN (SELECT h FROM repeated)
    """, "ballots: rejected and repeated ids" if progress else None)
    con.unregister("repeated")
    read_ids(con, source, "chosen", "ballots: their ids" if progress else None)
    con.execute("""
    CREATE OR REPLACE TEMP TABLE rejected AS
    SELECT c.*, i.ballot_id FROM chosen c LEFT JOIN ids i USING (_file, _pos);
    DROP TABLE chosen; DROP TABLE ids""")
    # later copies of a (year, ballot_id) in file order; the rules before duplicate_ballot keep
    # precedence. The candidates' hashes repeat; their ids are compared exactly here
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE later_copies AS
    SELECT r FROM (
        SELECT r, reason,
               row_number() OVER (PARTITION BY year, ballot_id ORDER BY _file, _pos) AS copy
        FROM rejected WHERE candidate AND year IS NOT NULL AND ballot_id IS NOT NULL
    ) WHERE copy > 1
    AND (reason IS NULL OR reason IN ({code['no_answer']}, {code['answer_out_of_scale']}));
    UPDATE ballots SET reason = {code['duplicate_ballot']}
    WHERE rowid IN (SELECT r FROM later_copies);
    UPDATE rejected SET reason = {code['duplicate_ballot']} WHERE r IN (SELECT r FROM later_copies);
    DELETE FROM rejected WHERE reason IS NULL;
    DROP TABLE later_copies""")
    run_query(con, _unit_sums(len(questions), satisfied_codes(scale, satisfied_answers), scale),
              "ballots: sums" if progress else None)


def read_ids(con, source: Source, rows: str, label: str | None = None) -> None:
    """Temp table `ids`: _file, _pos and ballot_id (as in `read_ballots`) of the ballots at the
    places (_file, _pos) in table `rows`: those whose id is compared or shown. The ids of a
    Parquet source are read again from its id column, since the table `ballots` keeps none:
    at national scale, where that table spills to disk, this saves more than the second read
    costs (100 M ballots with text ids: benchmarks/README.md). A CSV file would have to be
    parsed whole again; its ids stay in the table. `label` names a progress bar."""
    every = "SELECT _file, _pos, ballot_id FROM ballots" if not source.columnar else (
        f"SELECT _file::UINTEGER AS _file, _pos::UINTEGER AS _pos, "
        f"{source.identifier('ballot_id')} AS ballot_id FROM ({source.relation})")
    run_query(con, f"""CREATE OR REPLACE TEMP TABLE ids AS
                       SELECT * FROM ({every}) SEMI JOIN {rows} USING (_file, _pos)""", label)


def _minute(source: Source, year: int | None) -> tuple[str, str]:
    """SQL for `read_ballots`: the column `submitted` of its `cells` and `minute` of `answers`,
    submitted_at in whole minutes since 1970 (floored) for the ballots of `year` with a time
    of day. A text cell (ISO 8601) has one when it holds a 'T'; it is read untrimmed, since
    the cast ignores spaces around the value as `text` would have trimmed them (0.15 s of CPU
    at 10 M ballots). A Parquet TIMESTAMP column always has one (it was read as text, whose
    space before the time has no 'T', so such a file was never screened for bursts); a DATE
    column never has one, nor does a time with a zone, whose clock time depends on the reader."""
    kinds = ("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS")
    if year is None or "submitted_at" not in source.raw or source.types["submitted_at"] == "DATE":
        return ", NULL AS submitted", ", NULL::INTEGER AS minute"
    if source.types["submitted_at"] in kinds:
        submitted = f", {source.raw['submitted_at']}::TIMESTAMP AS submitted"
        stamp = f"IF(year = {int(year)}, submitted, NULL)"
    else:
        submitted = f", {source.cell('submitted_at')} AS submitted"
        stamp = (f"IF(year = {int(year)} AND contains(submitted, 'T'), "
                 "TRY_CAST(submitted AS TIMESTAMP), NULL)")
    return submitted, (f", TRY_CAST(epoch(date_trunc('minute', {stamp}))::BIGINT // 60 "
                       "AS INTEGER) AS minute")


def _repeated_hashes(con) -> np.ndarray:
    """The hashes `h` seen more than once in the table `ballots`, in order (reading h only): each
    half of the hash range is sorted on a thread of its own (numpy's sort releases the GIL, so
    two cores take half the time of one sort)."""
    halves = [con.sql(f"SELECT h FROM ballots WHERE h {test} 2147483648")
              .fetchnumpy()["h"] for test in ("<", ">=")]

    def repeated(h: np.ndarray) -> np.ndarray:
        h.sort()
        return np.unique(h[1:][h[1:] == h[:-1]])

    with ThreadPoolExecutor(max_workers=2) as pool:
        return np.concatenate(list(pool.map(repeated, halves)))


def _unit_sums(k: int, satisfied: list[int], scale) -> str:
    """SQL creating `unit_sums` (see `read_ballots`) from the table `ballots`; `satisfied` are
    the answer codes of the satisfied answers (`satisfied_codes`)."""
    low, high = (int(v) for v in scale)
    q = range(k)
    codes = "0::INTEGER + " + " + ".join(f"a{i}" for i in q)  # Σ codes = s − m·(low − 1)
    top = high - low + 1  # the code of the top answer
    t = "0::INTEGER + " + " + ".join(f"(a{i} = {top})::INTEGER" for i in q)
    listed = ", ".join(f"a{i}" for i in q)
    return f"""
    CREATE OR REPLACE TEMP TABLE unit_sums AS
    WITH i AS (  -- per ballot: each answer satisfied or not, the codes' sum, answers at the top
        SELECT year, u, channel, m::INTEGER AS m, {listed},
               {', '.join(f"{is_satisfied(f'a{i}', satisfied, top)} AS y{i}" for i in q)},
               ({codes}) AS c, ({t}) AS t
        FROM ballots WHERE reason IS NULL
    ),
    b AS (  -- y satisfied answers, s their sum, one answer throughout, every answer at the top
        SELECT *, {' + '.join(f"y{i}" for i in q)} AS y, c + m * {low - 1} AS s,
               m >= 3 AND c = m * greatest({listed}) AS straight, m >= 3 AND t = m AS all_top
        FROM i
    ),
    sums AS (
        SELECT year, u, channel,
           count(*) AS n_ballots, sum(m)::BIGINT AS n_valid, sum(y)::BIGINT AS n_satisfied,
           sum(y * y)::BIGINT AS s_yy, sum(m * m)::BIGINT AS s_mm, sum(y * m)::BIGINT AS s_ym,
           {', '.join(f"count_if(a{i} > 0)::BIGINT AS valid{i}, sum(y{i})::BIGINT AS satisfied{i}"
                      for i in q)},
           sum(s)::BIGINT AS s_s, sum(s * s)::BIGINT AS s_ss, sum(s * m)::BIGINT AS s_sm,
           count_if(y < m)::BIGINT AS n_low, count_if(m >= 3)::BIGINT AS n_three,
           count_if(straight)::BIGINT AS n_straight, count_if(all_top)::BIGINT AS n_top,
           sum(t) FILTER (NOT all_top)::BIGINT AS t_other,
           sum(m) FILTER (NOT all_top)::BIGINT AS m_other
        FROM b GROUP BY year, u, channel
    )
    SELECT sums.* EXCLUDE (u), r.unit_id FROM sums JOIN registry r ON r.code = sums.u
    """


def code_type(scale) -> str:
    """The SQL type of the answer codes 0 … high − low + 1 of the scale."""
    low, high = (int(v) for v in scale)
    return "TINYINT" if high - low + 1 <= 127 else "BIGINT"


def satisfied_codes(scale, satisfied_answers) -> list[int]:
    """The codes (answer − low + 1) of the satisfied answers on the scale."""
    low, high = (int(v) for v in scale)
    return sorted({int(v) - low + 1 for v in satisfied_answers if low <= int(v) <= high})


def is_satisfied(a: str, codes: list[int], top: int) -> str:
    """SQL: 1 when the answer code `a` (0 … `top`) is one of `codes`, else 0 (a blank, code 0,
    never is). Scales of up to 62 answers test a bit of a mask, (M >> a) & 1 with M = Σ 2^c
    over `codes`: half the cost of an IN list, which longer scales use."""
    if not codes:
        return "0"
    if top <= 62:
        return f"(({sum(1 << c for c in codes)}::BIGINT >> {a}) & 1)"
    return f"({a} IN ({', '.join(map(str, codes))}))::INTEGER"


def _query(k: int) -> str:
    """The counted ballots, one row per (year, unit, channel) of `unit_sums`, and each rejected
    ballot as a row of its own (with its file, row and ballot_id; its sums are not used)."""
    sums = ", ".join([*SUMS, *(f"{kind}{i}" for i in range(k) for kind in ("valid", "satisfied"))])
    zeros = ", ".join(["0"] * (len(SUMS) - 1 + 2 * k))
    return f"""
    SELECT year, unit_id, channel, NULL AS reason, NULL AS file, NULL AS row, NULL AS ballot_id,
           {sums}
    FROM unit_sums
    UNION ALL
    SELECT b.year, coalesce(r.unit_id, b.unlisted_id), b.channel,
           list_extract({REASON_TEXT}, b.reason), b._file, b._pos, {ID_TEXT}, 1, {zeros}
    FROM rejected b LEFT JOIN registry r ON r.code = b.u
    """


def _summary(groups: pd.DataFrame, files: tuple[str, ...], codes: list[str],
             empty_lines: np.ndarray | None = None) -> BallotSummary:
    """The summary from one row per (year, unit, channel) of counted ballots and one per rejected
    ballot; `row` is a line number, or a CSV data-row position when `empty_lines` is given."""
    counted = groups[groups["reason"].isna()].astype({"year": "int64"})
    units = (counted.groupby(["year", "unit_id"], as_index=False)[list(SUMS)].sum()
             .sort_values(["year", "unit_id"], ignore_index=True))
    per_question = counted.groupby(["year", "unit_id"])[[f"{k}{i}" for i in range(len(codes))
                                                         for k in ("valid", "satisfied")]].sum()
    questions = pd.concat(
        [pd.DataFrame({"question": code, "n_valid": per_question[f"valid{i}"],
                       "n_satisfied": per_question[f"satisfied{i}"]}).reset_index()
         for i, code in enumerate(codes)], ignore_index=True)
    questions = questions.astype({"year": "int64", "unit_id": "str", "question": "str"})
    questions = questions.sort_values(["year", "unit_id", "question"], ignore_index=True)

    dated = groups[groups["year"].notna()].astype({"year": "int64"})
    dated = dated.assign(n_counted=dated["n_ballots"].where(dated["reason"].isna(), 0))
    channels = (dated.groupby(["year", "channel"], as_index=False)[["n_ballots", "n_counted"]].sum()
                .sort_values(["year", "channel"], ignore_index=True))
    channels["n_rejected"] = channels["n_ballots"] - channels["n_counted"]

    rejected = groups[groups["reason"].notna()]
    rows = rejected["row"].to_numpy(dtype=np.int64)
    if empty_lines is not None:
        rows = csv_lines(rows, empty_lines)
    rejected = pd.DataFrame({
        "file": [files[int(i)] for i in rejected["file"]], "row": rows,
        **{c: rejected[c].reset_index(drop=True)
           for c in ("year", "unit_id", "ballot_id", "channel", "reason")},
    }).astype({"file": "str", "year": "Int64", "unit_id": "str", "ballot_id": "str",
               "channel": "str", "reason": "str"})
    rejected = rejected.sort_values(["file", "row"], ignore_index=True)
    return BallotSummary(units, questions, channels, rejected, tuple(codes))
