"""Reading tabular inputs as users really have them, reporting every problem with its place.

A table is read entirely as text (nothing is coerced silently), then each column is converted
by a typed parser that records a `Problem` (file, row, column, expected vs found, fix) for
every cell it cannot accept. Row numbers are those a user sees: the header is row 1.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.inputs import headers
from analysis.inputs.errors import Problem

TABLE_SUFFIXES = (".csv", ".xlsx")
LARGEST = 1e15   # the largest magnitude of any number read (counts, points): far from overflow
# C0 and C1 controls but tab and line breaks, DEL, the bidirectional controls (embeddings,
# overrides, isolates, marks) of Unicode TR #9, which can reorder what a reader sees, and the
# zero-width characters (U+200B–U+200D, U+2060, U+FEFF) that make "HN" differ from "HN".
INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f"
                       r"\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # encrypted .xlsx and .xls are OLE files


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
        frame = self._read_xlsx() if self.path.suffix == ".xlsx" else self._read_csv()
        if frame is None:
            return None
        frame.columns = [*headers.rename([c for c in frame.columns if c != "_row"]), "_row"]
        return self._drop_totals(frame)

    def _read_xlsx(self) -> pd.DataFrame | None:
        """The first sheet (named in every message), its header on row 1, row numbers Excel's."""
        try:
            with pd.ExcelFile(self.path, engine="openpyxl") as book:
                sheet = book.sheet_names[0]
                cells = pd.read_excel(book, sheet, header=None, dtype=str, keep_default_na=False)
        except Exception as err:   # openpyxl/zipfile raise many kinds for a damaged workbook
            self.problem(None, None, unreadable_workbook(self.path, err),
                         "open it in Excel, remove any password and save it again as .xlsx "
                         "(or save it as CSV UTF-8)")
            return None
        self.name += f", sheet '{sheet}'"
        cells = cells.map(lambda v: nfc(str(v)).strip())
        cells = cells.loc[:, (cells != "").any(axis=0)]   # columns Excel kept but left empty
        if cells.empty:
            self.problem(None, None, "the first sheet is empty", "put the table on the first sheet")
            return None
        header = list(cells.iloc[0])
        if "" in header:
            found = next((i + 1 for i in range(1, min(len(cells), 15))
                          if sum(headers.canonical(c) is not None for c in cells.iloc[i]) >= 2), None)
            where = f" (it looks like row {found})" if found else ""
            self.problem(1, None, f"the header must be on row 1{where}; row 1 holds "
                         f"{', '.join(repr(c) for c in header if c) or 'nothing'} and empty cells",
                         "delete the title rows above the header, and give every column a header")
            return None
        if not self._distinct(header):
            return None
        frame = cells.iloc[1:].copy()
        frame.columns = header
        frame["_row"] = np.arange(2, len(frame) + 2)   # Excel's row numbers, header = 1
        frame = frame[(frame.drop(columns="_row") != "").any(axis=1)].reset_index(drop=True)
        self._refuse_invisible(frame)
        return frame.astype({c: "string" for c in header})

    def _drop_totals(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A totals row ("Tổng cộng", "Total" where an id, a name or the first column is) is not
        a unit: one problem names it (a component coded `total` is not such a row)."""
        where = [c for c in dict.fromkeys([frame.columns[0], "unit_id", "key", "name_vi", "name_en"])
                 if c in frame.columns and c != "_row"]
        total = pd.Series(False, index=frame.index)
        for column in where:   # each distinct value once: a row-wise apply costs seconds
            totals = [v for v in frame[column].unique() if isinstance(v, str) and headers.is_total(v)]
            total |= frame[column].isin(totals).to_numpy(bool)
        for row in frame.loc[total, "_row"]:
            self.problem(int(row), None, "this looks like a totals row",
                         "delete it: the report computes totals and means itself")
        return frame[~total].reset_index(drop=True)

    def _read_csv(self) -> pd.DataFrame | None:
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
        # NFC of the whole text is that of each cell: a delimiter (, " CR LF) composes with nothing
        reader = csv.reader(io.StringIO(nfc(text), newline=""))
        columns = [c.strip() for c in next(reader)]
        if not self._distinct(columns):
            return None
        body = []
        for row in reader:
            number = reader.line_num  # the line where this record ends (quoted cells may span lines)
            if not "".join(row).strip():
                continue
            if len(row) != len(columns):
                self.problem(number, None, f"{len(row)} fields where the header has {len(columns)}",
                             "check for a stray comma or quote on this line")
                self.malformed = True
                continue
            body.append([cell.strip() for cell in row] + [number])
        frame = pd.DataFrame(body, columns=[*columns, "_row"], dtype=object)
        if INVISIBLE.search(text):   # a file clean as a whole has no such cell
            self._refuse_invisible(frame)
        return frame.astype({c: "string" for c in columns})

    def _distinct(self, header: list[str]) -> bool:
        """True unless the header names a column twice (one problem for each such name; empty
        headers, as of the trailing empty columns a spreadsheet may save, may repeat)."""
        repeated = {name: n for name, n in Counter(h for h in header if h).items() if n > 1}
        for name, n in repeated.items():
            self.problem(1, name, f"the header has {n} columns named '{name}'",
                         "keep one of them (delete or rename the others)")
        return not repeated

    def _refuse_invisible(self, frame: pd.DataFrame) -> None:
        """A problem for each cell holding a control character or a bidirectional control
        (`invisible`): they corrupt the XLSX and PDF and can disguise a name."""
        rows = frame["_row"].tolist()
        for position, column in enumerate(frame.columns[:-1]):   # all but _row, the last
            cells = frame.iloc[:, position].tolist()
            if not INVISIBLE.search("".join(c for c in cells if isinstance(c, str))):
                continue   # one search: a column clean as a whole
            for row, cell in zip(rows, cells):
                found = invisible(cell) if isinstance(cell, str) else None
                if found:
                    self.problem(int(row), column, "the text holds the "
                                 f"invisible character {found}", "delete it (retype the text "
                                 "if unsure)")

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
               minimum: float | None = None, maximum: float = LARGEST) -> pd.Series:
        """Parse a numeric column with '.' as decimal point; empty cells are NaN. Values must be
        finite and at most `maximum` (LARGEST by default: sums and products stay exact enough
        and far from overflow)."""
        kind = "a whole number" if integer else "a number with '.' as decimal point"
        values = self.text(column, required=False)
        parsed = pd.to_numeric(values.where(values != ""), errors="coerce").astype(float)
        rows = self.rows()
        empty = values == ""
        quiet = (empty & (not required)) | (~empty & np.isfinite(parsed) & (parsed.abs() <= maximum)
                                            & ((parsed == np.round(parsed)) | (not integer))
                                            & ((parsed >= minimum) if minimum is not None else True))
        for idx in values.index[~quiet]:   # the checks below, on the rows that fail one
            found, row = values[idx], int(rows[idx])
            if found == "":
                if required:
                    self.problem(row, column, f"empty value where {kind} is expected",
                                 f"fill in '{column}'")
                continue
            if _is_thousands(found, integer):
                whole = (found.replace(",", "") if re.fullmatch(r"-?\d{1,3}(,\d{3})+", found)
                         else found.replace(".", "").replace(" ", "").replace(",", "."))
                self.problem(row, column, f"'{found}' uses a thousands separator (Vietnamese "
                             f"'1.234' = 1234)", f"write {whole} without separators")
            elif np.isnan(parsed[idx]):
                fix = (f"write {found.replace(',', '.')} with a decimal point"
                       if _is_decimal_comma(found) else f"replace '{found}' by {kind}")
                self.problem(row, column, f"expected {kind}, found '{found}'", fix)
            elif integer and parsed[idx] != round(parsed[idx]):
                self.problem(row, column, f"expected {kind}, found '{found}'", "use a whole number")
            elif minimum is not None and parsed[idx] < minimum:
                self.problem(row, column, f"expected at least {minimum:g}, found '{found}'",
                             "correct the value")
            elif not abs(parsed[idx]) <= maximum:     # also inf
                self.problem(row, column, f"expected at most {maximum:g}, found '{found}'",
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
        return self.number(column, required=required, integer=True, minimum=1000,
                           maximum=9999).where(lambda y: (y >= 1000) & (y <= 9999)).astype("Int64")

    def duplicates(self, keys: list[str]) -> None:
        dup = self.frame.duplicated(subset=keys, keep="first")
        rows = self.rows()
        for idx in self.frame.index[dup]:
            key = ", ".join(f"{k}={self.frame.at[idx, k]}" for k in keys)
            self.problem(int(rows[idx]), keys[-1], f"duplicate key ({key}) already given on an "
                         "earlier row", "keep one row per key (remove or merge the copies)")


def _is_thousands(text: str, integer: bool) -> bool:
    """'1.234' / '1,234' / '1 234' in a count, or '1.234.567' / '1.234,5' anywhere: groups of
    three digits after a separator (Vietnamese writes '.' for thousands, ',' for decimals)."""
    if integer and re.fullmatch(r"-?\d{1,3}([.,\s]\d{3})+", text):
        return True
    return bool(re.fullmatch(r"-?\d{1,3}(\.\d{3}){2,}(,\d+)?|-?\d{1,3}(\.\d{3})+,\d+", text))


def invisible(text: str) -> str | None:
    """The first control or bidirectional-control character of `text`, named, or None. Line
    breaks and tabs are allowed (a quoted cell may span lines)."""
    match = INVISIBLE.search(text)
    if match is None:
        return None
    char = match.group()
    return f"U+{ord(char):04X} ({unicodedata.name(char, 'control character')})"


def visible(text: str) -> str:
    """`text` with each control or bidirectional-control character (`INVISIBLE`) replaced by
    U+FFFD, for record values shown as they are (a channel, a rejected row's unit id)."""
    return INVISIBLE.sub("\ufffd", text)


def unreadable_workbook(path: Path, err: Exception) -> str:
    """Why a workbook cannot be read: encrypted (a password) or damaged."""
    with open(path, "rb") as handle:
        if handle.read(8) == OLE_MAGIC:
            return ("the workbook is protected with a password (or is an old .xls file), so it "
                    "cannot be read")
    return f"the workbook cannot be read, it is damaged or not an .xlsx file ({type(err).__name__}: {err})"


def _is_decimal_comma(text: str) -> bool:
    head, _, tail = text.partition(",")
    return head.lstrip("-").isdigit() and tail.isdigit() and "," not in tail
