"""Reading tabular inputs as users really have them, reporting every problem with its place.

A table is read entirely as text (nothing is coerced silently), then each column is converted
by a typed parser that records a `Problem` (file, row, column, expected vs found, fix) for
every cell it cannot accept. Row numbers are those a user sees: the header is row 1.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.inputs.errors import Problem

TABLE_SUFFIXES = (".csv", ".xlsx")


def find_table(root: Path, name: str) -> Path | None:
    """The file holding table `name` in `root` (`name.csv` or `name.xlsx`), if any."""
    for suffix in TABLE_SUFFIXES:
        path = root / f"{name}{suffix}"
        if path.is_file():
            return path
    return None


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


class TableReader:
    """Reads one table and converts its columns, collecting problems instead of raising."""

    def __init__(self, path: Path, problems: list[Problem], root: Path | None = None):
        self.path = path
        self.name = str(path.relative_to(root)) if root else path.name
        self.problems = problems
        self.malformed = False  # a row could not be read: checks across rows would mislead
        self.frame = self._read()
        if self.frame is not None and "_row" not in self.frame:
            self.frame["_row"] = np.arange(2, len(self.frame) + 2)

    def problem(self, row: int | None, column: str | None, message: str, fix: str) -> None:
        self.problems.append(Problem(self.name, row, column, message, fix))

    def _read(self) -> pd.DataFrame | None:
        if self.path.suffix == ".xlsx":
            frame = pd.read_excel(self.path, dtype=str, keep_default_na=False, engine="openpyxl")
            frame.columns = [str(c).strip() for c in frame.columns]
            frame = frame.map(lambda v: nfc(str(v)).strip())
            frame["_row"] = np.arange(2, len(frame) + 2)   # Excel's row numbers, header = 1
            return frame[(frame.drop(columns="_row") != "").any(axis=1)].reset_index(drop=True)
        raw = self.path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            line = raw[: err.start].count(b"\n") + 1
            self.problem(line, None, f"the file is not UTF-8 (byte {raw[err.start]:#04x} at position "
                         f"{err.start}); it looks like a legacy encoding such as Windows-1258 or TCVN3",
                         "save the file as 'CSV UTF-8' (in Excel: Save As → CSV UTF-8)")
            return None
        header = text.split("\n", 1)[0]
        if not text.strip():
            self.problem(None, None, "the file is empty", "add a header row and the data rows")
            return None
        if ";" in header and "," not in header:
            self.problem(1, None, "the columns are separated by semicolons",
                         "save it comma-separated (with '.' as the decimal point)")
            return None
        reader = csv.reader(io.StringIO(text, newline=""))
        columns = [nfc(c).strip() for c in next(reader)]
        body = []
        for row in reader:
            number = reader.line_num  # the line where this record ends (quoted cells may span lines)
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                self.problem(number, None, f"{len(row)} fields where the header has {len(columns)}",
                             "check for a stray comma or quote on this line")
                self.malformed = True
                continue
            body.append([nfc(cell).strip() for cell in row] + [number])
        frame = pd.DataFrame(body, columns=[*columns, "_row"], dtype=object)
        return frame.astype({c: "string" for c in columns})

    def rows(self) -> pd.Series:
        """The row number a user sees for each record (header = row 1)."""
        return self.frame["_row"].astype(int)

    def require(self, columns: list[str]) -> bool:
        """True when every required column is present; otherwise one problem per missing one."""
        if self.frame is None:
            return False
        missing = [c for c in columns if c not in self.frame.columns]
        for column in missing:
            self.problem(1, column, "required column is missing",
                         f"add a column '{column}' (columns found: {', '.join(c for c in self.frame.columns if c != '_row')})")
        return not missing

    def text(self, column: str, required: bool = True) -> pd.Series:
        values = self.frame[column] if column in self.frame else pd.Series("", index=self.frame.index)
        values = values.fillna("").astype("string")
        if required:
            for row in self.rows()[values == ""]:
                self.problem(int(row), column, "empty value", f"fill in '{column}'")
        return values

    def number(self, column: str, required: bool = True, integer: bool = False,
               minimum: float | None = None) -> pd.Series:
        """Parse a numeric column with '.' as decimal point; empty cells are NaN."""
        kind = "a whole number" if integer else "a number with '.' as decimal point"
        values = self.text(column, required=False)
        parsed = pd.to_numeric(values.where(values != ""), errors="coerce").astype(float)
        rows = self.rows()
        for idx in values.index:
            found, row = values[idx], int(rows[idx])
            if found == "":
                if required:
                    self.problem(row, column, f"empty value where {kind} is expected",
                                 f"fill in '{column}'")
                continue
            if np.isnan(parsed[idx]):
                fix = (f"write {found.replace(',', '.')} with a decimal point"
                       if _is_decimal_comma(found) else f"replace '{found}' by {kind}")
                self.problem(row, column, f"expected {kind}, found '{found}'", fix)
            elif integer and parsed[idx] != round(parsed[idx]):
                self.problem(row, column, f"expected {kind}, found '{found}'", "use a whole number")
            elif minimum is not None and parsed[idx] < minimum:
                self.problem(row, column, f"expected at least {minimum:g}, found '{found}'",
                             "correct the value")
        return parsed

    def month(self, column: str) -> pd.Series:
        """An optional `YYYY-MM` column (a full date `YYYY-MM-DD` is cut to its month)."""
        values = self.text(column, required=False).str.strip()
        bad = (values != "") & ~values.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])(-\d{2})?").fillna(False)
        for row, value in zip(self.rows()[bad], values[bad]):
            self.problem(int(row), column, f"'{value}' is not a month",
                         "write the month as YYYY-MM (e.g. 2025-07), or leave it empty")
        return values.str.slice(0, 7)

    def year(self, column: str = "year", required: bool = True) -> pd.Series:
        return self.number(column, required=required, integer=True).astype("Int64")

    def duplicates(self, keys: list[str]) -> None:
        dup = self.frame.duplicated(subset=keys, keep="first")
        rows = self.rows()
        for idx in self.frame.index[dup]:
            key = ", ".join(f"{k}={self.frame.at[idx, k]}" for k in keys)
            self.problem(int(rows[idx]), keys[-1], f"duplicate key ({key}) already given on an "
                         "earlier row", "keep one row per key (remove or merge the copies)")


def _is_decimal_comma(text: str) -> bool:
    head, _, tail = text.partition(",")
    return head.lstrip("-").isdigit() and tail.isdigit() and "," not in tail
