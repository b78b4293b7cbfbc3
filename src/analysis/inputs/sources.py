"""Large record files (ballots, dossiers) as DuckDB relations that keep each row's place.

A source is a CSV file, a Parquet file or a folder of Parquet files. `Source.numbered` gives
each row's `_file` (index into `files`) and `_pos` beside the columns asked for; column names
are compared in Unicode NFC, trimmed, and a name given twice is an error.

Row numbers. Parquet: DuckDB's `file_row_number` (0-based) + 1. CSV: every cell is read as
text, and the reader has no line number, so we rely on DuckDB's documented order preservation
(sql/dialect/order_preservation): with `preserve_insertion_order` (which `connection` sets), a
single-table scan with projections keeps file order, so in a table created from it a row's
rowid + 1 is its place (`Source.numbered`). Two things
separate that number from the line a user sees: the header (line 1) and empty lines, which the
reader skips without a trace; `empty_lines` finds those by scanning the bytes. Lines the reader
cannot parse (wrong number of fields, not UTF-8) are raised by `raise_unreadable_lines`, so they
never shift the numbering. Fields holding a line break are not supported.
"""
from __future__ import annotations

import csv
import os
import re
import tempfile
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from tqdm import tqdm

from analysis.inputs.errors import InputError, Problem

# A whole number, optionally written with a zero decimal part ("4", "4.0"); not "2.5" or "x".
INTEGER_PATTERN = r"[+-]?[0-9]+(\.0*)?"
# DuckDB's working memory for one record file: with the Python side, a run at 100 M ballots
# peaks at 2.8 GiB (at 1.5 GB it peaked at 2.8–3.1 GiB, over 3 GiB once in five runs) in the
# same time (86–101 s against 92–101 s); 10 M ballots as fast (benchmarks/bench_ballots.py)
MEMORY_LIMIT = "1.25GB"
MEMORY_SETTING = "PAR_REPORT_MEMORY_LIMIT"  # environment variable that overrides MEMORY_LIMIT
INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                 "UINTEGER", "UBIGINT")
BIGINT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")


@dataclass(frozen=True)
class Source:
    name: str                        # the input as the user names it, e.g. "ballots.csv"
    files: tuple[str, ...]           # file names relative to the dataset folder, by `_file`
    relation: str                    # SQL of the rows: Parquet with `_file` and `_pos`, CSV unnumbered
    raw: dict[str, str]              # normalised column name -> SQL of the raw column
    types: dict[str, str]            # normalised column name -> DuckDB type (CSV: VARCHAR)
    empty_lines: np.ndarray | None   # CSV only: line numbers of empty lines

    def numbered(self, con: duckdb.DuckDBPyConnection, columns: str, label: str | None = None) -> str:
        """SQL of a relation of `_file`, `_pos` (UINTEGER) and `columns` (SQL over the raw columns,
        named as in `raw`), one row per row of the source. Parquet numbers its rows as it reads
        them, in parallel. A CSV file is first read into the temporary table `numbered` (drop it
        when done), in file order: DuckDB keeps insertion order for a single-table FROM with
        projections (`connection` sets preserve_insertion_order), so a row's rowid there is its
        data-row position. The file is still read in parallel, where row_number() OVER () would
        run the whole read on one thread (10 M ballots: 5.4 s against 8.6 s).
        `label` names a progress bar (`run_query`)."""
        if self.columnar:
            return (f"SELECT _file::UINTEGER AS _file, _pos::UINTEGER AS _pos, {columns} "
                    f"FROM ({self.relation})")
        run_query(con, f"CREATE OR REPLACE TEMP TABLE numbered AS SELECT {columns} FROM {self.relation}",
                  label)
        return "SELECT 0::UINTEGER AS _file, (rowid + 1)::UINTEGER AS _pos, * FROM numbered"

    @property
    def columnar(self) -> bool:
        """Whether a column can be read again on its own (Parquet), not only by parsing every
        line of the file again (CSV)."""
        return self.empty_lines is None

    @property
    def header_row(self) -> int | None:
        """Where a missing column is reported: line 1 of a CSV file, no row in Parquet."""
        return 1 if self.empty_lines is not None else None

    def cell(self, column: str) -> str:
        """SQL of the cell as text (a float NaN, how some tools write "no value", is NULL)."""
        text = f"CAST({self.raw[column]} AS VARCHAR)"
        if self.types[column] in ("FLOAT", "DOUBLE"):   # tested on the text: isnan() was
            text = f"IF({text} IN ('nan', '-nan'), NULL, {text})"   # unreliable
        return text

    def text(self, column: str) -> str:
        """SQL of the cell as text trimmed of spaces; NULL when blank. Only a cell that starts
        or ends with a space is trimmed (a copy of every cell cost more than the test; LIKE
        tests 3% cheaper than starts_with/ends_with at 10 M ballots)."""
        cell = self.cell(column)
        return (f"nullif(CASE WHEN {cell} LIKE ' %' OR {cell} LIKE '% ' "
                f"THEN trim({cell}) ELSE {cell} END, '')")

    def key(self, column: str) -> str:
        """SQL of an id or label cell: trimmed, in NFC, '' when blank (so ids compare as users
        read them)."""
        return f"coalesce(nfc_normalize({self.text(column)}), '')"

    def identifier(self, column: str) -> str:
        """SQL of an id cell that only equality and output need, NULL when blank: an integer
        Parquet column (of at most 64 bits) as BIGINT, since two integers are equal exactly when
        their digits are (its text, `CAST(… AS VARCHAR)`, is what `key` would give) and an integer
        costs a fraction of a text to read, hash and store; any other column as `key`."""
        if self.types[column] in BIGINT_TYPES:
            return f"CAST({self.raw[column]} AS BIGINT)"
        return f"nfc_normalize({self.text(column)})"

    def whole(self, column: str) -> str:
        """SQL of the cell as a whole number (BIGINT); NULL when blank or not a whole number.
        Integer Parquet columns are read as they are (the fast path of national files)."""
        if self.types[column] in INTEGER_TYPES:
            return f"CAST({self.raw[column]} AS BIGINT)"
        return whole_number(self.text(column))

    def number(self, column: str) -> str:
        """SQL of the cell as `whole`, but an integer column as stored (not widened to BIGINT):
        comparing a small integer costs less than casting every cell."""
        if self.types[column] in INTEGER_TYPES:
            return self.raw[column]
        return self.whole(column)

    def present(self, column: str) -> str:
        """SQL: the cell is not blank."""
        if self.types[column] in INTEGER_TYPES:
            return f"{self.raw[column]} IS NOT NULL"
        return f"{self.text(column)} IS NOT NULL"

    def require(self, columns, fix: str = "") -> None:
        """InputError naming each missing column and the columns found."""
        found = ", ".join(self.raw) or "none"
        missing = [c for c in columns if c not in self.raw]
        if missing:
            raise InputError([Problem(self.name, self.header_row, c, "required column is missing",
                                      f"add a column '{c}' (columns found: {found}){fix}")
                              for c in missing])


def whole_number(text: str) -> str:
    """SQL: the text `text` (an SQL expression) as a BIGINT when it is a whole number, else NULL.
    A single digit, an answer's usual cell, is read without the pattern (10 M ballots of 8
    answers as CSV: 1 s less)."""
    return (f"CASE WHEN length({text}) = 1 AND {text} BETWEEN '0' AND '9' "
            f"THEN (ascii({text}) - 48)::BIGINT "
            f"WHEN regexp_full_match({text}, '{INTEGER_PATTERN}') "
            f"THEN TRY_CAST({text} AS BIGINT) END")


@contextmanager
def connection():
    """A DuckDB connection whose memory is bounded by MEMORY_LIMIT: beyond it, sorts, joins and
    windows spill to a private temporary folder, removed afterwards (100 M ballots: under
    3 GiB instead of 15 GiB; benchmarks/bench_ballots.py)."""
    with tempfile.TemporaryDirectory(prefix="par-report-duckdb-") as spill:
        limit = memory_limit()
        try:
            con = duckdb.connect(config={"memory_limit": limit, "temp_directory": spill,
                                         "preserve_insertion_order": True})
        except duckdb.Error:
            if limit == MEMORY_LIMIT:
                raise
            raise InputError([Problem(MEMORY_SETTING, None, None,
                                      f"'{limit}' is not a memory size",
                                      "write it like 4GB or 1500MB, or unset it")]) from None
        # tables in a compressed in-memory database (PACKED): at national scale they outgrow the
        # memory limit and spill, and compressed they spill less (100 M ballots with text ids:
        # 56 s instead of 58–59 s; benchmarks/README.md). A cursor starts in DuckDB's own
        # database: `use_packed` it.
        con.execute(f"ATTACH ':memory:' AS {PACKED} (COMPRESS)")
        use_packed(con)
        # progress is tracked for run_query's bar, but DuckDB's own bar (on stdout) stays off;
        # inside a Jupyter kernel DuckDB refuses any progress setting without ipywidgets (not a
        # dependency): there tracking stays at its default, off, and run_query's bar stays still
        try:
            con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
        except duckdb.InvalidInputException:
            pass
        try:
            yield con
        finally:
            con.close()


PACKED = "packed"


def use_packed(con: duckdb.DuckDBPyConnection) -> None:
    """Make the compressed in-memory database PACKED (`connection` attaches it) the one that
    unqualified table names of `con` (a connection or a cursor of it) refer to."""
    con.execute(f"USE {PACKED}")


def open_source(con: duckdb.DuckDBPyConnection, path: Path, kind: str) -> Source:
    """The CSV file, Parquet file or folder at `path`; `kind` names its records in messages."""
    if path.is_file() and path.suffix.lower() == ".csv":
        return _csv_source(path)
    return _parquet_source(con, path, kind)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _named(name: str, names: list[str], values: list[str], row: int | None) -> dict[str, str]:
    """Values by normalised column name; a name given twice is a problem."""
    normalised = [nfc(n) for n in names]
    repeated = sorted({n for n in normalised if normalised.count(n) > 1})
    if repeated:
        raise InputError([Problem(name, row, n, "the column appears more than once",
                                  "keep one column of that name") for n in repeated])
    return dict(zip(normalised, values))


def _csv_source(path: Path) -> Source:
    with path.open("rb") as handle:
        header = handle.readline()
    try:
        names = next(csv.reader([header.decode("utf-8-sig").rstrip("\r\n")]), [])
    except UnicodeDecodeError:
        raise InputError([Problem(path.name, 1, None, "the file is not UTF-8",
                                  "save it as 'CSV UTF-8'")]) from None
    internal = [f"c{i}" for i in range(len(names))]
    columns = ", ".join(f"'{c}': 'VARCHAR'" for c in internal)
    relation = (f"read_csv({sql_text(str(path))}, columns = {{{columns}}}, header = true, "
                "auto_detect = false, delim = ',', quote = '\"', escape = '\"', store_rejects = true)")
    raw = _named(path.name, names, internal, 1)
    return Source(path.name, (path.name,), relation, raw, dict.fromkeys(raw, "VARCHAR"),
                  empty_lines(path))


def _parquet_source(con: duckdb.DuckDBPyConnection, path: Path, kind: str) -> Source:
    if path.is_dir():
        files = sorted(path.rglob("*.parquet"), key=lambda f: f.relative_to(path).as_posix())
    else:
        files = [path] if path.is_file() else []
    if not files:
        raise InputError([Problem(path.name, None, None, f"no {kind} file found (.csv or .parquet)",
                                  f"give {kind}s.csv, {kind}s.parquet or a folder of .parquet "
                                  "files")])
    listed = ", ".join(sql_text(str(f)) for f in files)
    relation = (f"SELECT file_index AS _file, file_row_number + 1 AS _pos, * "
                f"EXCLUDE (file_row_number) FROM read_parquet([{listed}], file_row_number = true, "
                "union_by_name = true, hive_partitioning = true, hive_types_autocast = false)")
    try:
        described = con.sql(f"DESCRIBE {relation}").fetchall()[2:]
    except duckdb.Error as err:
        if not damaged(err):
            raise
        raise unreadable(path.name, err, "write it again as Parquet") from None
    names = [column for column, *_ in described]
    raw = _named(path.name, names, [_identifier(n) for n in names], None)
    types = dict(zip(raw, (dtype for _, dtype, *_ in described)))
    rel = tuple(f.relative_to(path.parent).as_posix() for f in files)
    return Source(path.name, rel, relation, raw, types, None)


def memory_limit() -> str:
    """DuckDB's memory limit for one record file: MEMORY_LIMIT, or the environment's
    PAR_REPORT_MEMORY_LIMIT (e.g. 4GB) where set."""
    return os.environ.get(MEMORY_SETTING, "").strip() or MEMORY_LIMIT


def out_of_memory(name: str) -> InputError:
    """The message when DuckDB needs more than its memory limit for the file `name` (what it
    cannot spill to disk)."""
    return InputError([Problem(name, None, None,
                               f"the file needs more memory than the limit of {memory_limit()}",
                               f"set the environment variable {MEMORY_SETTING} higher (e.g. 4GB) "
                               "on a machine with that much free memory, or split the file by "
                               "year")])


def damaged(err: duckdb.Error) -> bool:
    """Whether DuckDB's error is about a damaged or malformed file (invalid input, I/O, data
    conversion, or the unclassified errors of its readers: a corrupt Parquet page gives a bare
    `duckdb.Error: Out of buffer`), not about our SQL (parser, binder, catalog: bugs)."""
    return type(err) in (duckdb.Error, duckdb.DatabaseError) or isinstance(
        err, (duckdb.InvalidInputException, duckdb.IOException, duckdb.DataError))


def unreadable(name: str, err: duckdb.Error, fix: str) -> InputError:
    return InputError([Problem(name, None, None, f"the file cannot be read: {str(err).splitlines()[0]}",
                               fix)])


def empty_lines(path: Path, block: int = 1 << 24) -> np.ndarray:
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


def csv_lines(positions: np.ndarray, empty: np.ndarray) -> np.ndarray:
    """File lines of data rows 1, 2, … given the empty lines the reader skipped (header = 1):
    empty line j (0-based, at line E_j) has E_j − 2 − j data rows above it."""
    rows_before = empty - 2 - np.arange(len(empty))
    return positions + 1 + np.searchsorted(rows_before, positions, side="left")


def raise_unreadable_lines(con: duckdb.DuckDBPyConnection, name: str, what: str) -> None:
    """After a CSV scan: an InputError listing the lines the reader could not parse."""
    rows = con.sql("SELECT line, arg_min(error_type, column_idx), arg_min(error_message, column_idx) "
                   "FROM reject_errors GROUP BY line ORDER BY line").fetchall()
    if rows:
        raise InputError([Problem(name, int(line), None, f"the line cannot be read: {message}",
                                  f"save the file as CSV UTF-8, comma-separated, one line per {what}"
                                  if kind == "INVALID ENCODING" else
                                  "check for a stray comma or quote on this line")
                          for line, kind, message in rows])


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
