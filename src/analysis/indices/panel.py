"""The index over a span of years: every unit's yearly row, and the tests of the series.

`panel_units`: each year's index_units (score, points on that year's own scale, rank, band,
whether the comparison with the year before is like for like), stacked; gaps stay as rows
with no score. `panel_tests`: rank persistence and σ-convergence (stats.panel), each year
labelled with its method version so no trend is fitted across a break.
"""
from __future__ import annotations

import pandas as pd

from analysis.indices.composite import index_components, index_subcomponents, index_units
from analysis.inputs.dataset import Dataset
from analysis.inputs.errors import InputError, Problem
from analysis.stats.panel import panel_tests

UNIT_COLUMNS = ["unit_id", "year", "score", "points", "rank", "band", "like_for_like", "method"]


def series_years(ds: Dataset, first: int, last: int) -> list[int]:
    """The years from `first` to `last` that have index scores (at least two), or an InputError."""
    have = sorted(int(y) for y in ds.index_scores["year"].unique()) if ds.index_scores is not None else []
    years = [y for y in have if first <= y <= last]
    if len(years) < 2:
        available = ", ".join(map(str, have)) or "none"
        raise InputError([Problem(ds.root.name, None, "year", f"fewer than two years with index "
                                  f"scores in {first}–{last} (years with scores: {available})",
                                  "choose a span with --years FIRST-LAST covering at least two "
                                  "of those years")])
    return years


def panel_units(ds: Dataset, years: list[int]) -> pd.DataFrame:
    """panel_units.csv: one row per unit and year, sorted by unit_id then year."""
    frames = [index_units(ds, year)[UNIT_COLUMNS] for year in years]
    table = pd.concat(frames, ignore_index=True)
    return table.sort_values(["unit_id", "year"], kind="stable").reset_index(drop=True)


def methods(ds: Dataset, years: list[int]) -> dict[int, str]:
    """Each year's method version id."""
    return {year: ds.config.method(year)["id"] for year in years}


def panel_tables(ds: Dataset, first: int, last: int) -> dict[str, pd.DataFrame]:
    """The result tables of a series run: panel_units and panel_tests."""
    years = series_years(ds, first, last)
    units = panel_units(ds, years)
    wide = units.pivot(index="unit_id", columns="year", values="score")
    return {"panel_units": units,
            "panel_tests": panel_tests(wide, methods(ds, years), float(ds.config.alpha))}


def movers(units: pd.DataFrame, first: int, last: int, n: int = 5) -> pd.DataFrame:
    """The n units that gained and the n that lost most places from `first` to `last` (units
    ranked in both), largest gain first: unit_id, rank_first, rank_last, places (+ = up)."""
    a = units[units["year"] == first].set_index("unit_id")["rank"]
    b = units[units["year"] == last].set_index("unit_id")["rank"]
    both = pd.DataFrame({"rank_first": a, "rank_last": b}).dropna().astype(int)
    both["places"] = both["rank_first"] - both["rank_last"]
    both = both.reset_index().sort_values(["places", "unit_id"], ascending=[False, True],
                                          kind="stable")
    return pd.concat([both.head(n), both.tail(n)]).drop_duplicates("unit_id").reset_index(drop=True)


def _means(frame: pd.DataFrame, units: pd.DataFrame, key: str, value: str) -> pd.DataFrame:
    """Mean of `value` by `key`, over all units (region "") and by region (gaps skipped)."""
    frame = frame.merge(units[["unit_id", "region"]], on="unit_id", how="left")
    national = frame.groupby(key, sort=False)[value].mean().reset_index().assign(region="")
    regional = (frame[frame["region"].fillna("") != ""]
                .groupby([key, "region"], sort=False)[value].mean().reset_index())
    return pd.concat([national, regional], ignore_index=True).rename(columns={value: "mean"})


def profile_tables(ds: Dataset, year: int) -> dict[str, pd.DataFrame]:
    """What a unit's page needs beyond the year's tables: its history (panel_units of every year
    up to `year`), and the national and regional means of each component's points (and of
    each sub-component's, where the dataset has them): columns component, region ("" =
    national), mean."""
    history = panel_units(ds, [y for y in sorted(ds.index_scores["year"].unique()) if y <= year])
    components = index_components(ds, year)
    out = {"history": history,
           "component_means": _means(components, ds.units, "component", "points")}
    if ds.subcomponent_scores is not None:
        sub = index_subcomponents(ds, year)
        out["subcomponent_means"] = _means(sub, ds.units, "component", "points")
    return out
