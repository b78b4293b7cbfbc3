"""Result tables as files: deterministic CSV (byte-identical on rerun) and their reading back.

Machine-readable on purpose: UTF-8, '.' decimal point, full precision (Python's shortest
round-trip repr of each float), booleans as `true`/`false`, `\\n` line ends. Text cells a
spreadsheet would run as a formula (starting with = + - @) are neutralised with a leading
apostrophe (OWASP "CSV injection").
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as it is written: booleans as true/false, formula-like text neutralised."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        present = series.dropna()
        if pd.api.types.is_bool_dtype(series) or (len(present) and present.map(
                lambda v: isinstance(v, (bool, np.bool_))).all()):
            out[column] = series.map({True: "true", False: "false"})
        elif pd.api.types.is_string_dtype(series) or series.dtype == object:
            out[column] = series.map(neutralise)
    return out


def write_table(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    prepare(frame).to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def write_tables(results: dict[str, pd.DataFrame], folder: Path) -> None:
    for name in sorted(results):
        write_table(results[name], folder / f"{name}.csv")


def read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """Read back every table of a run (as written: neutralised text stays neutralised)."""
    return {p.stem: pd.read_csv(p, keep_default_na=True, dtype={"unit_id": "string", "key": "string"})
            for p in sorted(Path(folder).glob("*.csv"))}
