"""Every result table of a run, computed once (both editions read the same tables)."""
from __future__ import annotations

import pandas as pd

from analysis import index
from analysis.dataset import Dataset
from analysis.errors import InputError, Problem
from analysis.reconcile import reconcile

REJECTED_COLUMNS = ["file", "row", "year", "unit_id", "ballot_id", "channel", "reason"]


def check_year(ds: Dataset, year: int, years: list[int]) -> None:
    if year not in years:
        available = ", ".join(map(str, years)) or "none"
        raise InputError([Problem(ds.root.name, None, "year", f"no data for {year} "
                                  f"(years with data: {available})", "choose one of those years "
                                  "with --year, or add the year's rows to the dataset")])


def compute_results(ds: Dataset, year: int) -> dict[str, pd.DataFrame]:
    """All contract tables for `year` whose inputs the dataset has."""
    results: dict[str, pd.DataFrame] = {}
    rejected = []
    years = set(ds.years())
    if ds.index_scores is not None and (ds.index_scores["year"] == year).any():
        units = index.index_units(ds, year)
        results["index_units"] = units
        results["index_groups"] = index.index_groups(units)
        results["index_components"] = index.index_components(ds, year)
        rejected.append(index.missing_scores(ds, year))
    check_year(ds, year, sorted(years))
    if "index_units" in results:
        results["reconciliation"] = reconcile(ds.published, year, results)
    frames = [f for f in rejected if len(f)]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    results["rejected"] = table.reindex(columns=REJECTED_COLUMNS).sort_values(
        ["file", "row"], kind="stable").reset_index(drop=True)
    return results
