"""The report notebook's parameters, checked before anything is computed.

A notebook runs wherever Jupyter runs: from the repository root (papermill, `make report`),
from `notebooks/` (JupyterLab opens a kernel in the notebook's folder) or from a published run
folder (`reports/<dataset>/<year>/<lang>/`, whose notebook names its inputs relative to itself).
A relative path is therefore looked up from the kernel's folder first, then from the repository
root. A parameter that cannot work stops the notebook with a message naming it and the fix;
the report is never rendered from nothing.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from analysis.paths import ROOT
from analysis.publication.i18n import LANGS


class ParameterError(ValueError):
    """A notebook parameter that cannot work; the message names it and the fix."""


def find(path: str | Path, what: str, must_hold: str) -> Path:
    """`path` as an absolute folder holding `must_hold`: relative paths from the kernel's folder,
    then from the repository root; ParameterError naming `what` when neither holds it."""
    path = Path(path)
    tried = [path] if path.is_absolute() else [Path.cwd() / path, ROOT / path]
    for candidate in tried:
        if (candidate / must_hold).exists():
            return candidate.resolve()
    places = " or ".join(str(c) for c in dict.fromkeys(tried))
    raise ParameterError(f"{what} = '{path}': no {must_hold} in {places} — give the path of "
                         f"the folder (absolute, or relative to this notebook or to the repository)")


def relative(path: Path, start: Path) -> str:
    """`path` relative to `start` (so a run folder can move with its data); a folder of the
    repository seen from a run folder outside it, relative to the repository root (`find` looks
    there), so the kept notebook names no folder of the machine; else absolute."""
    if Path(path).resolve().is_relative_to(ROOT) and not Path(start).resolve().is_relative_to(ROOT):
        return Path(path).resolve().relative_to(ROOT).as_posix()
    try:
        return os.path.relpath(path, start)
    except ValueError:   # another drive (Windows)
        return str(path)


def check(data_dir, year, lang: str, tables_dir: str = "", out_dir: str = "",
          period: str = "") -> tuple[Path, int, Path | None, Path | None]:
    """(dataset folder, year, tables folder or None, chart folder or None), each checked.

    A tables folder must hold a run's tables (`rejected.csv` is always written) of this year:
    a wrong folder would otherwise give a report without its sections."""
    if lang not in LANGS:
        raise ParameterError(f"lang = '{lang}': unknown edition — use one of {', '.join(LANGS)}")
    if period and not (len(period) == 7 and period[4] == "-" and period[:4].isdigit()):
        raise ParameterError(f"period = '{period}': not a month — write YYYY-MM, or leave it empty")
    try:
        year = int(period[:4]) if period else int(year)
    except (TypeError, ValueError):
        raise ParameterError(f"year = '{year}': not a year — write e.g. 2024") from None
    data = find(data_dir, "data_dir", "dataset.yaml")
    tables = None
    if tables_dir:
        tables = find(tables_dir, "tables_dir", "rejected.csv")
        years = set()
        for name in ("index_units", "satisfaction_yoy", "service_index"):
            path = tables / f"{name}.csv"
            if path.is_file():
                column = pd.read_csv(path, usecols=lambda c: c in ("year", "period"))
                years |= {int(str(v)[:4]) for v in column.iloc[:, 0].dropna()} if len(column.columns) else set()
        if years and year not in years:
            raise ParameterError(f"tables_dir = '{tables_dir}' holds the tables of "
                                 f"{', '.join(map(str, sorted(years)))}, not of {year} — run "
                                 f"par-report run --year {year}, or leave tables_dir empty")
    out = None
    if out_dir:
        out = Path(out_dir) if Path(out_dir).is_absolute() else Path.cwd() / out_dir
    return data, year, tables, out
