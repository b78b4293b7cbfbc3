"""A yearly index over many years: rank persistence and σ-convergence (the rows of panel_tests.csv).

Input: a wide table of scores, one row per unit, one column per year (NaN = no score).

| test | year, prev_year | statistic | p_value | ci | n | source |
|---|---|---|---|---|---|---|
| ``rank_persistence`` | each year and the one before | Spearman's ρ of the two years' scores | two-sided (t approximation) | NaN | units in both | ``scipy.stats.spearmanr`` (Spearman 1904) |
| ``sigma_sd`` | each year | SD (ddof 1) of the balanced panel | NaN | NaN | units | σ-convergence (Barro & Sala-i-Martin 1992; Sala-i-Martin 1996) |
| ``sigma_cv`` | each year | SD ÷ mean of the balanced panel | NaN | NaN | units | ``scipy.stats.variation(ddof=1)`` |
| ``sigma_trend`` | last and first year of a stretch | OLS slope of the SD on the year | slope's t test | t-based CI | years | ``scipy.stats.linregress``; slope < 0: σ-convergence |

The balanced panel is the units with a score in every year given; a stretch is a run of years
under one method version (the trend is not fitted across a break). Rows with fewer than 3
values hold NaN.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy import stats

COLUMNS = ["test", "method", "year", "prev_year", "statistic", "p_value", "ci_low", "ci_high", "n"]


def _row(test, method, year, prev_year=None, statistic=np.nan, p_value=np.nan,
         ci=(np.nan, np.nan), n=0) -> dict:
    return {"test": test, "method": method, "year": year, "prev_year": prev_year,
            "statistic": float(statistic), "p_value": float(p_value), "ci_low": float(ci[0]),
            "ci_high": float(ci[1]), "n": int(n)}


def rank_persistence(wide: pd.DataFrame, methods: dict[int, str]) -> list[dict]:
    """Spearman's ρ between each year's scores and the previous year's (units in both);
    `methods` maps each year to its method version (the row's `method` is the later year's)."""
    years = sorted(wide.columns)
    rows = []
    for prev, year in zip(years, years[1:]):
        both = wide[[prev, year]].dropna()
        if len(both) < 3:
            rows.append(_row("rank_persistence", methods[year], year, prev, n=len(both)))
            continue
        rho = stats.spearmanr(both[prev], both[year])
        rows.append(_row("rank_persistence", methods[year], year, prev, rho.statistic, rho.pvalue,
                         n=len(both)))
    return rows


def sigma_convergence(wide: pd.DataFrame, methods: dict[int, str], alpha: float) -> list[dict]:
    """Dispersion of the balanced panel each year, and its linear trend within each stretch of
    years under one method version (with a (1 − alpha) CI of the slope)."""
    balanced = wide.dropna()
    years = sorted(wide.columns)
    rows, sd = [], {}
    for year in years:
        values = balanced[year].to_numpy(dtype=float)
        enough = len(values) >= 3
        sd[year] = values.std(ddof=1) if enough else np.nan
        rows.append(_row("sigma_sd", methods[year], year, statistic=sd[year], n=len(values)))
        rows.append(_row("sigma_cv", methods[year], year, n=len(values),
                         statistic=stats.variation(values, ddof=1) if enough else np.nan))
    for method, stretch in itertools.groupby(years, key=methods.get):
        span = list(stretch)
        points = [(y, sd[y]) for y in span if not np.isnan(sd[y])]
        if len(points) < 3:
            rows.append(_row("sigma_trend", method, span[-1], span[0], n=len(points)))
            continue
        x, y = np.array(points).T
        fit = stats.linregress(x, y)
        half = stats.t.ppf(1 - alpha / 2, len(x) - 2) * fit.stderr
        rows.append(_row("sigma_trend", method, span[-1], span[0], fit.slope, fit.pvalue,
                         (fit.slope - half, fit.slope + half), len(x)))
    return rows


def panel_tests(wide: pd.DataFrame, methods: dict[int, str], alpha: float) -> pd.DataFrame:
    """Every row of panel_tests.csv (see the module's table), years ascending."""
    frame = pd.DataFrame(rank_persistence(wide, methods) + sigma_convergence(wide, methods, alpha),
                         columns=COLUMNS)
    frame["prev_year"] = frame["prev_year"].astype("Int64")
    return frame
