"""Which ballots count (CONTRACT "Which ballots count") and per-unit sums over those that do.

DuckDB reads the ballot file (`ballots.csv`, `ballots.parquet`, or a folder of Parquet files)
with every cell as text, so nothing is coerced silently, and applies the rules in SQL; only the
aggregated sums and the rejected rows come back to pandas, so files of national scale are fine.
A cell is trimmed of surrounding spaces; nothing left means blank. An integer is written with
digits only, optionally with a zero decimal part ("4", "4.0"; a NaN in a Parquet float column
is blank). unit_id, ballot_id and channel are compared in Unicode NFC.

Row numbers. Parquet: DuckDB's `file_row_number` (0-based) + 1. CSV: the reader has no line
number, so we rely on DuckDB's documented order preservation (sql/dialect/order_preservation):
with `preserve_insertion_order` (set explicitly), `row_number() OVER ()` over a single-table scan
numbers the rows in file order. Two things separate that number from the line a user sees: the
header (line 1) and empty lines, which the reader skips without a trace; `_empty_lines` finds
those by scanning the bytes. Lines the reader cannot parse (wrong number of fields, not UTF-8)
raise an InputError listing them, so they never shift the numbering. Fields holding a line
break are not supported.
"""
from __future__ import annotations

import csv
import re
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from tqdm import tqdm

from analysis.errors import InputError, Problem

REASONS = ("missing_year", "unknown_unit", "outside_validity", "duplicate_ballot", "no_answer",
           "answer_out_of_scale")
KEY_COLUMNS = ("year", "unit_id", "ballot_id", "channel")
# A whole number, optionally written with a zero decimal part ("4", "4.0"); not "2.5" or "x".
INTEGER_PATTERN = r"[+-]?[0-9]+(\.0*)?"
INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                 "UINTEGER", "UBIGINT")
SUMS = ("n_ballots", "n_valid", "n_satisfied", "s_yy", "s_mm", "s_ym")


@dataclass(frozen=True)
class BallotSummary:
    """Per-unit sums over the ballots that count, per-channel counts, and the rejected ballots."""

    units: pd.DataFrame      # year, unit_id, n_ballots, n_valid, n_satisfied, s_yy, s_mm, s_ym
    questions: pd.DataFrame  # year, unit_id, question, n_valid, n_satisfied
    channels: pd.DataFrame   # year, channel, n_ballots, n_counted, n_rejected
    rejected: pd.DataFrame   # file, row, year, unit_id, ballot_id, channel, reason
    questions_found: tuple[str, ...]


@dataclass(frozen=True)
class _Source:
    name: str                        # the input as the user names it, e.g. "ballots.csv"
    files: tuple[str, ...]           # file names relative to the dataset folder, by `_file`
    relation: str                    # SQL giving `_file`, `_pos` and the raw columns
    cells: dict[str, str]            # normalised column name -> SQL of its cell as text
    empty_lines: np.ndarray | None   # CSV only: line numbers of empty lines
    integers: dict[str, str] = field(default_factory=dict)  # Parquet integer columns -> SQL

    def whole(self, column: str) -> str:
        """SQL of the cell as a whole number (BIGINT); NULL when blank or not a whole number.
        Integer Parquet columns are read as they are (the fast path of national files)."""
        if column in self.integers:
            return f"CAST({self.integers[column]} AS BIGINT)"
        text = self.text(column)
        return (f"CASE WHEN regexp_full_match({text}, '{INTEGER_PATTERN}') "
                f"THEN TRY_CAST({text} AS BIGINT) END")

    def present(self, column: str) -> str:
        """SQL: the cell is not blank."""
        return f"{self.integers.get(column) or self.text(column)} IS NOT NULL"

    def text(self, column: str) -> str:
        """SQL of the cell as trimmed text, NULL when blank."""
        return f"nullif(trim({self.cells[column]}), '')"


def summarise_ballots(path, units: pd.DataFrame, satisfied_answers=(4, 5), scale=(1, 5),
                      years=None, progress: bool = False) -> BallotSummary:
    """Apply the ballot rules to the file or folder at `path` and sum the ballots that count.

    `units` is the registry (unit_id, valid_from, valid_to; empty years are open-ended). Per
    counted ballot, m = its non-blank answers and y = those in `satisfied_answers`; a unit-year
    gets n_ballots, Σm, Σy, Σy², Σm², Σym. A rejected ballot gets the first reason of `REASONS`
    that applies; the first copy of a repeated (year, ballot_id) in file order is the only one
    that can count; a blank ballot_id is never a repeat. With `years`, only those years are
    read, plus the rows without a readable year (always rejected as missing_year). `questions`
    has a row for every question of every unit-year in `units` (zeros included). `progress`
    shows a bar while the query runs, if it runs over 2 s.
    """
    path = Path(path)
    satisfied = sorted({int(v) for v in satisfied_answers})
    if not satisfied:
        raise ValueError("satisfied_answers is empty")
    with open_source(path, units) as (con, source, questions):
        groups = run_query(con, _query(source, questions, satisfied, scale, years),
                           "ballots: rules and sums" if progress else None)
        if source.empty_lines is not None:
            _raise_unreadable_lines(con, source.name)
    return _summary(groups, source.files, [q[2:] for q in questions], source.empty_lines)


@contextmanager
def open_source(path: Path, units: pd.DataFrame):
    """A DuckDB connection with the registry and the ballot source (CSV file, Parquet file or
    folder) registered, its question columns checked; unreadable input becomes an InputError."""
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET enable_progress_bar = false")   # it writes to stdout; see run_query
        con.register("registry", _registry(units))
        is_csv = path.is_file() and path.suffix.lower() == ".csv"
        source = _csv_source(path) if is_csv else _parquet_source(con, path)
        questions = [c for c in source.cells if c.startswith("q_") and len(c) > 2]
        _require_columns(source, questions)
        try:
            yield con, source, questions
        except (duckdb.InvalidInputException, duckdb.IOException) as err:
            raise _unreadable(source.name, err, "save it again as CSV UTF-8 or Parquet") from None
    finally:
        con.close()


def run_query(con: duckdb.DuckDBPyConnection, sql: str, label: str | None) -> pd.DataFrame:
    """The query's result; with a `label`, a tqdm bar (on stderr, from 2 s on) follows DuckDB's
    own estimate of its progress while it runs in a worker thread."""
    if label is None:
        return con.sql(sql).df()
    with ThreadPoolExecutor(max_workers=1) as pool, \
            tqdm(total=100, desc=label, unit="%", delay=2, leave=False,
                 bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}") as bar:
        result = pool.submit(lambda: con.execute(sql).df())
        while not result.done():
            time.sleep(0.25)
            done = con.query_progress()
            if done > bar.n:
                bar.update(done - bar.n)
        return result.result()


def _registry(units: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame({
        "unit_id": [_nfc(str(u)) for u in units["unit_id"]],
        "valid_from": pd.to_numeric(units["valid_from"]).astype("Int64").to_numpy(),
        "valid_to": pd.to_numeric(units["valid_to"]).astype("Int64").to_numpy(),
    })
    if frame["unit_id"].duplicated().any():
        raise ValueError("the unit registry repeats a unit_id")
    return frame


def _unreadable(name: str, err: duckdb.Error, fix: str) -> InputError:
    return InputError([Problem(name, None, None, f"the file cannot be read: {str(err).splitlines()[0]}",
                               fix)])


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cells(name: str, names: list[str], sql: list[str], row: int | None) -> dict[str, str]:
    """Cell SQL by normalised column name; a name given twice is a problem."""
    normalised = [_nfc(n) for n in names]
    repeated = sorted({n for n in normalised if normalised.count(n) > 1})
    if repeated:
        raise InputError([Problem(name, row, n, "the column appears more than once",
                                  "keep one column of that name") for n in repeated])
    return dict(zip(normalised, sql))


def _csv_source(path: Path) -> _Source:
    with path.open("rb") as handle:
        header = handle.readline()
    try:
        names = next(csv.reader([header.decode("utf-8-sig").rstrip("\r\n")]), [])
    except UnicodeDecodeError:
        raise InputError([Problem(path.name, 1, None, "the file is not UTF-8",
                                  "save it as 'CSV UTF-8'")]) from None
    internal = [f"c{i}" for i in range(len(names))]
    columns = ", ".join(f"'{c}': 'VARCHAR'" for c in internal)
    relation = (f"SELECT 0 AS _file, row_number() OVER () AS _pos, * FROM read_csv("
                f"{_sql_text(str(path))}, columns = {{{columns}}}, header = true, "
                "auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
                "store_rejects = true)")
    return _Source(path.name, (path.name,), relation, _cells(path.name, names, internal, 1),
                   _empty_lines(path))


def _empty_lines(path: Path, block: int = 1 << 24) -> np.ndarray:
    """Line numbers (1-based) of the empty lines of a file, which DuckDB's CSV reader skips."""
    found, line, rest = [], 1, b""
    with path.open("rb") as handle:
        while chunk := handle.read(block):
            data = rest + chunk
            end = data.rfind(b"\n") + 1        # scan whole lines only; the rest waits
            lines, rest = b"\n" + data[:end], data[end:]
            seen, counted = 0, 0               # newlines counted in lines[1:seen]
            for match in re.finditer(rb"\n(?=\r?\n)", lines):
                counted += lines.count(b"\n", seen + 1, match.start() + 1)
                seen = match.start()
                found.append(line + counted)
            line += lines.count(b"\n") - 1
    return np.array(found, dtype=np.int64)


def _parquet_source(con: duckdb.DuckDBPyConnection, path: Path) -> _Source:
    if path.is_dir():
        files = sorted(path.rglob("*.parquet"), key=lambda f: f.relative_to(path).as_posix())
    else:
        files = [path] if path.is_file() else []
    name = path.name
    if not files:
        raise InputError([Problem(name, None, None, "no ballot file found (.csv or .parquet)",
                                  "give ballots.csv, ballots.parquet or a folder of .parquet "
                                  "files")])
    listed = ", ".join(_sql_text(str(f)) for f in files)
    relation = (f"SELECT file_index AS _file, file_row_number + 1 AS _pos, * "
                f"EXCLUDE (file_row_number) FROM read_parquet([{listed}], file_row_number = true, "
                "union_by_name = true, hive_partitioning = true, hive_types_autocast = false)")
    try:
        described = con.sql(f"DESCRIBE {relation}").fetchall()
    except (duckdb.InvalidInputException, duckdb.IOException) as err:
        raise _unreadable(name, err, "write it again as Parquet") from None
    names, sql, integers = [], [], {}
    for column, dtype, *_ in described[2:]:
        text = f"CAST({_identifier(column)} AS VARCHAR)"
        if dtype in ("FLOAT", "DOUBLE"):   # NaN is how some tools write "no value"; tested on the
            text = f"IF({text} IN ('nan', '-nan'), NULL, {text})"   # text: isnan() was unreliable
        if dtype in INTEGER_TYPES:
            integers[_nfc(column)] = _identifier(column)
        names.append(column)
        sql.append(text)
    rel = tuple(f.relative_to(path.parent).as_posix() for f in files)
    return _Source(name, rel, relation, _cells(name, names, sql, None), None, integers)


def _require_columns(source: _Source, questions: list[str]) -> None:
    row = 1 if source.empty_lines is not None else None
    found = ", ".join(source.cells) or "none"
    problems = [Problem(source.name, row, c, "required column is missing",
                        f"add a column '{c}' (columns found: {found})")
                for c in KEY_COLUMNS if c not in source.cells]
    if not questions:
        problems.append(Problem(source.name, row, None, "no question column (named q_<code>)",
                                "add one column per question, named q_ followed by its code"))
    if problems:
        raise InputError(problems)


def _query(source: _Source, questions: list[str], satisfied: list[int], scale, years) -> str:
    """One pass: counted ballots collapse into one row per (year, unit, channel); each rejected
    ballot stays a row of its own (with its file, row and ballot_id)."""
    low, high = (int(v) for v in scale)
    q = range(len(questions))

    def label(column: str) -> str:
        return f"coalesce(nfc_normalize({source.text(column)}), '')"

    # text: the usual spellings ('1' … '5') are looked up; only other texts go through the pattern
    pleasing = ", ".join(f"'{v}'" for v in range(low, high + 1) if v in satisfied) or "NULL"
    plain = ", ".join(f"'{v}'" for v in range(low, high + 1) if v not in satisfied) or "NULL"
    wanted = ", ".join(map(str, satisfied))

    def answer(i: int) -> str:
        column = questions[i]
        return source.integers.get(column, source.text(column))

    def code(i: int) -> str:  # 0 blank, 1 valid, 2 valid and satisfied, 3 outside the scale
        a = f"a{i}"
        if questions[i] in source.integers:
            return f"""CASE WHEN {a} IS NULL THEN 0 WHEN {a} IN ({wanted}) THEN 2
                WHEN {a} BETWEEN {low} AND {high} THEN 1 ELSE 3 END::TINYINT AS c{i}"""
        value = (f"CASE WHEN regexp_full_match({a}, '{INTEGER_PATTERN}') "
                 f"THEN TRY_CAST({a} AS BIGINT) END")
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
        SELECT _file, _pos, {source.whole('year')} AS year, {label('unit_id')} AS unit_id,
               {label('ballot_id')} AS ballot_id, {label('channel')} AS channel,
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


def _raise_unreadable_lines(con: duckdb.DuckDBPyConnection, name: str) -> None:
    rows = con.sql("SELECT line, arg_min(error_type, column_idx), arg_min(error_message, column_idx) "
                   "FROM reject_errors GROUP BY line ORDER BY line").fetchall()
    if rows:
        raise InputError([Problem(name, int(line), None, f"the line cannot be read: {message}",
                                  "save the file as CSV UTF-8, comma-separated, one line per ballot"
                                  if kind == "INVALID ENCODING" else
                                  "check for a stray comma or quote on this line")
                          for line, kind, message in rows])


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
        rows = _csv_lines(rows, empty_lines)
    rejected = pd.DataFrame({
        "file": [files[int(i)] for i in rejected["file"]], "row": rows,
        **{c: rejected[c].reset_index(drop=True)
           for c in ("year", "unit_id", "ballot_id", "channel", "reason")},
    }).astype({"file": "str", "year": "Int64", "unit_id": "str", "ballot_id": "str",
               "channel": "str", "reason": "str"})
    rejected = rejected.sort_values(["file", "row"], ignore_index=True)
    return BallotSummary(units, questions, channels, rejected, tuple(codes))


def _csv_lines(positions: np.ndarray, empty_lines: np.ndarray) -> np.ndarray:
    """Line numbers of data rows 1, 2, … given the empty lines the reader skipped (header = 1)."""
    rows_before = empty_lines - 2 - np.arange(len(empty_lines))   # data rows above each empty line
    return positions + 1 + np.searchsorted(rows_before, positions, side="left")
