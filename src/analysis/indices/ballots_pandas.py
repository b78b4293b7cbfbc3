"""The ballot rules of `analysis.indices.ballots`, written plainly in pandas: the whole file in memory.

A second, independent implementation of the same numbers: the tests check that it gives the same
tables as the DuckDB path, and the ballot benchmark times it as the "straightforward pandas"
baseline. Runs use the DuckDB path (`summarise_ballots`), which keeps memory bounded.

Same reading rules: a cell is text, trimmed of spaces ("" = blank); unit_id, ballot_id and
channel are compared in NFC; a whole number may carry a zero decimal part; in Parquet, numeric
columns are used as numbers (a float NaN is blank); a hive folder name `key=value` adds a column.
Row numbers: Parquet row + 1; CSV line numbers, the header being line 1 and empty lines skipped.
Unlike the DuckDB path, a malformed CSV line raises pandas' own error.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from analysis.indices.ballots import KEY_COLUMNS, REASONS, BallotSummary, _summary
from analysis.inputs.sources import INTEGER_PATTERN, empty_lines
from analysis.inputs.errors import InputError, Problem


def summarise_ballots_pandas(path, units: pd.DataFrame, satisfied_answers=(4, 5), scale=(1, 5),
                             years=None) -> BallotSummary:
    """Same contract as `analysis.indices.ballots.summarise_ballots`."""
    path = Path(path)
    frame, files = _read(path)
    questions = [c for c in frame.columns if c.startswith("q_") and len(c) > 2]
    missing = [c for c in KEY_COLUMNS if c not in frame.columns]
    if missing or not questions:
        raise InputError([Problem(path.name, None, c, "required column is missing",
                                  f"add a column '{c}'") for c in missing or ["q_<code>"]])
    year = _values(frame["year"])[1]
    if years:
        keep = year.isna() | year.isin([int(y) for y in years])
        frame, year = frame[keep], year[keep]
    keys = {c: _text(frame[c]).fillna("").str.normalize("NFC") for c in KEY_COLUMNS[1:]}
    low, high = (int(v) for v in scale)
    satisfied = sorted({int(v) for v in satisfied_answers})
    codes = np.column_stack([_code(frame[q], low, high, satisfied) for q in questions])
    valid = (codes == 1) | (codes == 2)
    m, y, n_bad = valid.sum(1), (codes == 2).sum(1), (codes == 3).sum(1)

    registry = units.assign(unit_id=units["unit_id"].astype(str).str.normalize("NFC").str.strip())
    registry = registry.set_index("unit_id")
    known = keys["unit_id"].isin(registry.index).to_numpy()
    valid_from = keys["unit_id"].map(pd.to_numeric(registry["valid_from"])).to_numpy(dtype=float)
    valid_to = keys["unit_id"].map(pd.to_numeric(registry["valid_to"])).to_numpy(dtype=float)
    copy = pd.DataFrame({"year": year, "id": keys["ballot_id"]}).groupby(
        ["year", "id"], dropna=False, sort=False).cumcount().to_numpy() + 1
    y_num = year.to_numpy(dtype=float)
    reason = np.select(
        [np.isnan(y_num), ~known, (y_num < valid_from) | (y_num > valid_to),
         (keys["ballot_id"] != "").to_numpy() & (copy > 1), m + n_bad == 0, n_bad > 0],
        list(REASONS), default="")
    ballots = pd.DataFrame({
        "year": year.to_numpy(), "unit_id": keys["unit_id"].to_numpy(),
        "channel": keys["channel"].to_numpy(), "reason": reason,
        "file": frame["_file"].to_numpy(), "row": frame["_row"].to_numpy(),
        "ballot_id": keys["ballot_id"].to_numpy(), "n_ballots": 1, "n_valid": m,
        "n_satisfied": y, "s_yy": y * y, "s_mm": m * m, "s_ym": y * m,
        **{f"{kind}{i}": part[:, i] for i in range(len(questions))
           for kind, part in (("valid", valid), ("satisfied", codes == 2))},
    })
    counted = ballots[ballots["reason"] == ""]
    sums = [c for c in ballots.columns if c not in ("year", "unit_id", "channel", "reason", "file",
                                                    "row", "ballot_id")]
    counted = counted.groupby(["year", "unit_id", "channel"], as_index=False)[sums].sum()
    rejected = ballots[ballots["reason"] != ""]
    groups = pd.concat([counted.assign(reason=None), rejected], ignore_index=True)
    return _summary(groups, files, [q[2:] for q in questions])


def _read(path: Path) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """All cells as text (None = no value), plus `_file` (index into the file names) and `_row`."""
    if path.is_file() and path.suffix.lower() == ".csv":
        frame = pd.read_csv(path, dtype=str, na_filter=False, skip_blank_lines=False,
                            encoding="utf-8-sig")
        frame.columns = [str(c).strip() for c in frame.columns]
        lines = np.arange(len(frame)) + 2
        frame = frame.assign(_file=0, _row=lines)[~np.isin(lines, empty_lines(path))]
        return frame.reset_index(drop=True), (path.name,)
    files = sorted(path.rglob("*.parquet"), key=lambda f: f.relative_to(path).as_posix()) \
        if path.is_dir() else [path]
    parts = []
    for i, file in enumerate(files):
        part = pq.read_table(file).to_pandas()
        for folder in file.relative_to(path).parts[:-1] if path.is_dir() else ():
            if "=" in folder:
                key, value = folder.split("=", 1)
                part[key] = value
        parts.append(part.assign(_file=i, _row=np.arange(len(part)) + 1))
    names = tuple(f.relative_to(path.parent).as_posix() for f in files)
    return pd.concat(parts, ignore_index=True), names


def _text(column: pd.Series) -> pd.Series:
    """The cell as text (a float NaN is no value), trimmed of spaces; blank is NA."""
    text = column.astype("string").str.strip(" ")
    return text.where(text != "")


def _values(column: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(present, whole number or NA) per cell; numeric Parquet columns are used as numbers."""
    if pd.api.types.is_integer_dtype(column):
        return column.notna().to_numpy(), column.astype("Int64")
    if pd.api.types.is_float_dtype(column):
        return column.notna().to_numpy(), column.where(column % 1 == 0).astype("Int64")
    text = _text(column)
    return text.notna().to_numpy(), _whole(text)


def _whole(text: pd.Series) -> pd.Series:
    """Whole numbers ("4", "4.0", "+4"), else NA."""
    whole = text.str.fullmatch(INTEGER_PATTERN).fillna(False).astype(bool)
    digits = text.where(whole).str.replace(r"\.0*$", "", regex=True)
    return pd.to_numeric(digits, errors="coerce").astype("Int64")


def _code(column: pd.Series, low: int, high: int, satisfied: list[int]) -> np.ndarray:
    """0 blank, 1 valid, 2 valid and satisfied, 3 present but not a whole number on the scale."""
    present, whole = _values(column)
    value = whole.to_numpy(dtype=float, na_value=np.nan)
    on_scale = (value >= low) & (value <= high)
    return np.select([~present, on_scale & np.isin(value, satisfied), on_scale], [0, 2, 1],
                     default=3)
