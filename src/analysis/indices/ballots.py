"""Which ballots count (CONTRACT "Which ballots count") and per-unit sums over those that do.

DuckDB reads the ballot file (`ballots.csv`, `ballots.parquet`, or a folder of Parquet files)
with every cell as text, so nothing is coerced silently, and applies the rules in SQL; only the
aggregated sums and the rejected rows come back to pandas, so files of national scale are fine.
A cell is trimmed of surrounding spaces; nothing left means blank. An integer is written with
digits only, optionally with a zero decimal part ("4", "4.0"; a NaN in a Parquet float column
is blank). unit_id, ballot_id and channel are compared in Unicode NFC.

Integer Parquet columns are read as numbers (the fast path). Rows are numbered as
`analysis.inputs.sources` explains (file lines for CSV, 1-based positions in each Parquet file).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analysis.inputs.errors import InputError, Problem
from analysis.inputs.sources import (INTEGER_TYPES, Source, connection, csv_lines, nfc,
                              damaged, raise_unreadable_lines, run_query, unreadable,
                              whole_number)
from analysis.inputs.sources import open_source as read_source

REASONS = ("missing_year", "unknown_unit", "outside_validity", "duplicate_ballot", "no_answer",
           "answer_out_of_scale")
KEY_COLUMNS = ("year", "unit_id", "ballot_id", "channel")
SUMS = ("n_ballots", "n_valid", "n_satisfied", "s_yy", "s_mm", "s_ym")


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
                      years=None, progress: bool = False, screen=None) -> BallotSummary:
    """Apply the ballot rules to the file or folder at `path` and sum the ballots that count.

    `units` is the registry (unit_id, valid_from, valid_to; empty years are open-ended). Per
    counted ballot, m = its non-blank answers and y = those in `satisfied_answers`; a unit-year
    gets n_ballots, Σm, Σy, Σy², Σm², Σym. A rejected ballot gets the first reason of `REASONS`
    that applies; the first copy of a repeated (year, ballot_id) in file order is the only one
    that can count; a blank ballot_id is never a repeat. With `years`, only those years are
    read, plus the rows without a readable year (always rejected as missing_year). `questions`
    has a row for every question of every unit-year in `units` (zeros included). `progress`
    shows a bar while the query runs, if it runs over 2 s. With `screen`, a function of
    (connection, source, questions) such as the integrity screen, the file is read once into an
    in-memory table that both the rules and `screen` use; its result is `integrity`.
    """
    path = Path(path)
    satisfied = sorted({int(v) for v in satisfied_answers})
    if not satisfied:
        raise ValueError("satisfied_answers is empty")
    screened = None
    with open_source(path, units) as (con, source, questions):
        if screen is not None:
            run_query(con, f"CREATE TEMP TABLE ballot_file AS {source.relation}",
                      "ballots: reading" if progress else None)
            source = replace(source, relation="SELECT * FROM ballot_file")
        groups = run_query(con, _query(source, questions, satisfied, scale, years),
                           "ballots: rules and sums" if progress else None)
        if source.empty_lines is not None:
            raise_unreadable_lines(con, source.name, "ballot")
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
        except duckdb.Error as err:
            if not damaged(err):
                raise
            raise unreadable(source.name, err, "save it again as CSV UTF-8 or Parquet") from None


def _registry(units: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame({
        "unit_id": [nfc(str(u)) for u in units["unit_id"]],
        "valid_from": pd.to_numeric(units["valid_from"]).astype("Int64").to_numpy(),
        "valid_to": pd.to_numeric(units["valid_to"]).astype("Int64").to_numpy(),
    })
    if frame["unit_id"].duplicated().any():
        raise ValueError("the unit registry repeats a unit_id")
    return frame


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


def _query(source: Source, questions: list[str], satisfied: list[int], scale, years) -> str:
    """One pass: counted ballots collapse into one row per (year, unit, channel); each rejected
    ballot stays a row of its own (with its file, row and ballot_id)."""
    low, high = (int(v) for v in scale)
    q = range(len(questions))

    # text: the usual spellings ('1' … '5') are looked up; only other texts go through the pattern
    pleasing = ", ".join(f"'{v}'" for v in range(low, high + 1) if v in satisfied) or "NULL"
    plain = ", ".join(f"'{v}'" for v in range(low, high + 1) if v not in satisfied) or "NULL"
    wanted = ", ".join(map(str, satisfied))

    def typed(i: int) -> bool:
        return source.types[questions[i]] in INTEGER_TYPES

    def answer(i: int) -> str:
        return source.raw[questions[i]] if typed(i) else source.text(questions[i])

    def code(i: int) -> str:  # 0 blank, 1 valid, 2 valid and satisfied, 3 outside the scale
        a = f"a{i}"
        if typed(i):
            return f"""CASE WHEN {a} IS NULL THEN 0 WHEN {a} IN ({wanted}) THEN 2
                WHEN {a} BETWEEN {low} AND {high} THEN 1 ELSE 3 END::TINYINT AS c{i}"""
        value = whole_number(a)
        return f"""CASE WHEN {a} IS NULL THEN 0 WHEN {a} IN ({pleasing}) THEN 2
            WHEN {a} IN ({plain}) THEN 1 WHEN NOT coalesce({value} BETWEEN {low} AND {high}, false)
            THEN 3 WHEN {value} IN ({wanted}) THEN 2 ELSE 1
            END::TINYINT AS c{i}"""

    def count(condition: str) -> str:
        return " + ".join(f"(c{i} {condition})::INTEGER" for i in q)

    chosen = (f"WHERE year IS NULL OR year IN ({', '.join(str(int(y)) for y in years)})"
              if years else "")
    return f"""
    WITH raw AS ({source.relation}),
    cells AS (
        SELECT _file, _pos, {source.whole('year')} AS year, {source.key('unit_id')} AS unit_id,
               {source.key('ballot_id')} AS ballot_id, {source.key('channel')} AS channel,
               {', '.join(f"{answer(i)} AS a{i}" for i in q)}
        FROM raw
    ),
    ballots AS (  -- narrow rows (answers reduced to codes) keep the window below cheap
        SELECT _file, _pos, year, unit_id, ballot_id, channel,
               {', '.join(code(i) for i in q)}
        FROM cells
    ),
    scored AS (
        SELECT b.*, r.unit_id IS NOT NULL AS known, r.valid_from, r.valid_to,
               row_number() OVER (PARTITION BY b.year, b.ballot_id ORDER BY b._file, b._pos) AS copy,
               {count("IN (1, 2)")} AS m, {count("= 2")} AS y, {count("= 3")} AS n_bad
        FROM (SELECT * FROM ballots {chosen}) b LEFT JOIN registry r ON b.unit_id = r.unit_id
    ),
    classified AS (
        SELECT *, CASE
            WHEN year IS NULL THEN 'missing_year'
            WHEN NOT known THEN 'unknown_unit'
            WHEN year < valid_from OR year > valid_to THEN 'outside_validity'
            WHEN ballot_id <> '' AND copy > 1 THEN 'duplicate_ballot'
            WHEN m + n_bad = 0 THEN 'no_answer'
            WHEN n_bad > 0 THEN 'answer_out_of_scale'
        END AS reason
        FROM scored
    )
    SELECT year, unit_id, channel, reason,
           IF(reason IS NULL, NULL, _file) AS file, IF(reason IS NULL, NULL, _pos) AS row,
           IF(reason IS NULL, NULL, ballot_id) AS ballot_id,
           count(*) AS n_ballots, sum(m)::BIGINT AS n_valid, sum(y)::BIGINT AS n_satisfied,
           sum(y * y)::BIGINT AS s_yy, sum(m * m)::BIGINT AS s_mm, sum(y * m)::BIGINT AS s_ym,
           {', '.join(f"count(*) FILTER (c{i} IN (1, 2)) AS valid{i}, "
                      f"count(*) FILTER (c{i} = 2) AS satisfied{i}" for i in q)}
    FROM classified
    GROUP BY ALL
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
