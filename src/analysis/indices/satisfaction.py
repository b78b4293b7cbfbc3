"""Satisfaction per unit and its change between years, from ballots or from counts.

Satisfied share = satisfied answers ÷ valid answers (SIPAS rule, DOMAIN.md; unconfirmed, so
`satisfied_answers` is a setting). From counts (`satisfaction.csv`): Wilson 95% interval.
From ballots: the ballot is the sampling unit, so each unit's proportion carries its
ballot-level (cluster) variance, expressed as an effective sample size n_eff (Kish design
effect); every downstream comparison (Newcombe interval, z test, funnel, rank intervals) uses
the effective counts x_eff = p·n_eff, n_eff — for counts n_eff = n, so one code path serves both.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from analysis.indices.ballots import summarise_ballots
from analysis.indices.integrity import screen_source
from analysis.indices.ballots_pandas import summarise_ballots_pandas
from analysis.inputs.dataset import Dataset
from analysis.stats.proportions import (bh_adjust, cluster_proportion, fcr_alpha,
                                        newcombe_diff_interval, two_proportion_ztest,
                                        wilson_interval)

UNIT_COLUMNS = ["unit_id", "n_ballots", "n_valid", "n_satisfied", "p", "ci_low", "ci_high",
                "deff", "n_eff"]
YOY_COLUMNS = ["unit_id", "p", "p_prev", "diff", "ci_low", "ci_high", "p_value", "p_adjusted",
               "significant", "n_eff", "n_eff_prev", "year", "prev_year", "like_for_like",
               "ci_low_fcr", "ci_high_fcr"]


@dataclass(frozen=True)
class Satisfaction:
    """Every year's per-unit proportions, plus what the ballots said along the way."""

    by_year: dict[int, pd.DataFrame]
    source: str                       # "ballots" or "counts"
    sums: pd.DataFrame | None = None  # per unit-year ballot sums (to pool a population row)
    questions: pd.DataFrame | None = None
    channels: pd.DataFrame | None = None
    rejected: pd.DataFrame | None = None
    integrity: object = None          # the integrity screen, when read in the same pass


def load(ds: Dataset, engine: str = "duckdb", progress: bool = False,
         screen_year: int | None = None) -> Satisfaction | None:
    """Per-unit proportions of every year; ballots are summed by `engine` ("duckdb", the
    columnar path, with a progress bar on request, or "pandas", the in-memory reference of
    `analysis.indices.ballots_pandas`). With `screen_year`, the DuckDB path also screens that
    year's ballots for integrity in the same read of the file."""
    alpha = float(ds.config.alpha)
    if ds.ballots_path is not None:
        scale = tuple((ds.config.raw.get("survey") or {}).get("scale", (1, 5)))
        args = (ds.ballots_path, ds.units, ds.config.satisfied_answers, scale)
        summary = (summarise_ballots_pandas(*args) if engine == "pandas"
                   else summarise_ballots(*args, progress=progress, screen=None if screen_year is None
                                          else partial(screen_source, year=int(screen_year),
                                                       scale=scale, satisfied_answers=args[2],
                                                       progress=progress),
                                          screen_year=screen_year))
        by_year = {int(y): _from_sums(part, alpha) for y, part in summary.units.groupby("year")}
        return Satisfaction(by_year, "ballots", summary.units, summary.questions,
                            summary.channels, summary.rejected, summary.integrity)
    if ds.satisfaction is not None:
        by_year = {int(y): _from_counts(part, alpha) for y, part in ds.satisfaction.groupby("year")}
        return Satisfaction(by_year, "counts")
    return None


def _from_sums(sums: pd.DataFrame, alpha: float) -> pd.DataFrame:
    est = cluster_proportion(sums["n_satisfied"], sums["n_valid"], sums["s_yy"], sums["s_mm"],
                             sums["s_ym"], sums["n_ballots"], alpha)
    out = sums[["unit_id", "n_ballots", "n_valid", "n_satisfied"]].reset_index(drop=True)
    out = pd.concat([out, est[["p", "ci_low", "ci_high", "deff", "n_eff"]]], axis=1)
    return out[UNIT_COLUMNS].sort_values("unit_id", kind="stable", ignore_index=True)


def _from_counts(counts: pd.DataFrame, alpha: float) -> pd.DataFrame:
    n, x = counts["n_respondents"].to_numpy(float), counts["n_satisfied"].to_numpy(float)
    low, high = wilson_interval(x, n, alpha)
    rate = counts["satisfied_pct"].to_numpy(float) / 100 if "satisfied_pct" in counts else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, x / n, rate)  # sample size unknown: the published rate, no interval
    out = pd.DataFrame({"unit_id": counts["unit_id"].to_numpy(), "n_ballots": np.nan, "n_valid": n,
                        "n_satisfied": x, "p": p, "ci_low": low, "ci_high": high, "deff": 1.0,
                        "n_eff": n})
    return out.sort_values("unit_id", kind="stable", ignore_index=True)


def previous_year(sat: Satisfaction, year: int) -> int | None:
    earlier = [y for y in sat.by_year if y < year]
    return max(earlier) if earlier else None


def population(sat: Satisfaction, year: int, alpha: float) -> pd.Series:
    """The whole population's proportion: pooled counts, or pooled ballot sums."""
    if sat.source == "ballots":
        s = sat.sums[sat.sums["year"] == year][["n_ballots", "n_valid", "n_satisfied", "s_yy",
                                                 "s_mm", "s_ym"]].sum()
        return _from_sums(pd.DataFrame([{"unit_id": "", **s.to_dict()}]), alpha).iloc[0]
    if sat.by_year[year]["n_valid"].isna().any():  # some sample size unknown: no pooled rate
        return pd.Series({"p": np.nan, "n_eff": np.nan})
    t = sat.by_year[year][["n_valid", "n_satisfied"]].sum()
    frame = pd.DataFrame([{"unit_id": "", "n_respondents": t["n_valid"], "n_satisfied": t["n_satisfied"]}])
    return _from_counts(frame, alpha).iloc[0]


def like_for_like(ds: Dataset, year: int, prev_year: int) -> bool:
    """False when dataset.yaml records a different collection method for the two years."""
    now, before = ds.config.collection_method(year), ds.config.collection_method(prev_year)
    return not (now and before and now.get("method") != before.get("method"))


def year_over_year(ds: Dataset, sat: Satisfaction, year: int) -> pd.DataFrame:
    """p − p_prev per unit (units in both years) and for the population (unit_id empty):
    Newcombe (1998) hybrid score interval (method 10, unadjusted: each at 1 − alpha) and the
    pooled two-proportion z test, on effective counts; Benjamini–Hochberg across units (not
    the population row). ``significant`` = BH-adjusted p < alpha, and empty (no verdict) when
    the two years were not collected alike. ``ci_low_fcr``/``ci_high_fcr``: for the units
    found significant, the Newcombe interval at 1 − alpha·R/m (Benjamini & Yekutieli 2005,
    ``fcr_alpha``), the interval to show beside a BH selection."""
    prev_year = previous_year(sat, year)
    if prev_year is None:
        return pd.DataFrame(columns=YOY_COLUMNS)
    alpha = float(ds.config.alpha)
    cur = sat.by_year[year].set_index("unit_id")
    old = sat.by_year[prev_year].set_index("unit_id")
    common = sorted(set(cur.index) & set(old.index))
    both = pd.DataFrame({"p": cur.loc[common, "p"], "n_eff": cur.loc[common, "n_eff"],
                         "p_prev": old.loc[common, "p"], "n_eff_prev": old.loc[common, "n_eff"]})
    pop_now, pop_before = population(sat, year, alpha), population(sat, prev_year, alpha)
    both.loc[""] = [pop_now["p"], pop_now["n_eff"], pop_before["p"], pop_before["n_eff"]]
    x1, n1 = both["p"] * both["n_eff"], both["n_eff"]
    x0, n0 = both["p_prev"] * both["n_eff_prev"], both["n_eff_prev"]
    both["diff"] = both["p"] - both["p_prev"]
    both["ci_low"], both["ci_high"] = newcombe_diff_interval(x1, n1, x0, n0, alpha)
    both["p_value"] = two_proportion_ztest(x1, n1, x0, n0)[1]
    units = both.index != ""
    both["p_adjusted"] = np.nan
    both.loc[units, "p_adjusted"] = bh_adjust(both.loc[units, "p_value"].to_numpy())
    both.loc[~units, "p_adjusted"] = both.loc[~units, "p_value"]
    alike = like_for_like(ds, year, prev_year)
    verdict = pd.Series(both["p_adjusted"] < alpha, dtype="boolean")
    both["significant"] = verdict if alike else pd.Series(pd.NA, index=both.index, dtype="boolean")
    both["ci_low_fcr"], both["ci_high_fcr"] = np.nan, np.nan
    chosen = units & both["significant"].fillna(False).to_numpy(dtype=bool)
    if chosen.any():
        level = fcr_alpha(both.loc[units, "significant"], alpha)
        both.loc[chosen, "ci_low_fcr"], both.loc[chosen, "ci_high_fcr"] = newcombe_diff_interval(
            x1[chosen], n1[chosen], x0[chosen], n0[chosen], level)
    both["year"], both["prev_year"] = year, prev_year
    both["like_for_like"] = alike
    out = both.reset_index(names="unit_id")
    return out[YOY_COLUMNS].sort_values("unit_id", kind="stable", ignore_index=True)


def element_balanced(elements: pd.DataFrame) -> pd.Series:
    """The mean of a unit's per-element rates (``p`` of ``satisfaction_elements``, elements
    without a valid answer left out), by unit_id: every element weighs the same, as SIPAS
    reports by element, where the pooled rate weighs each by its number of answers."""
    return elements.groupby("unit_id")["p"].mean()
