"""Change of an index between two years: the rows of tests.csv.

Paired rows use the units with a value in both years (``n`` = pairs); the dispersion rows
and Brown–Forsythe use every unit with a value in each year. Change ``d = current - previous``.

| test | statistic | p_value | effect | ci | source |
|---|---|---|---|---|---|
| ``paired_t`` | t | two-sided | mean d | t-based CI of mean d | ``scipy.stats.ttest_rel`` |
| ``wilcoxon_signed_rank`` | min(T+, T-) | two-sided | median d | NaN | ``scipy.stats.wilcoxon`` (zeros dropped, exact for n <= 50 without ties) |
| ``brown_forsythe`` | W | | SD_cur - SD_prev | NaN | ``scipy.stats.levene(center="median")`` (Brown & Forsythe 1974) |
| ``dispersion_sd`` / ``_iqr`` / ``_cv`` | current value | NaN | current - previous | NaN | SD (ddof 1), ``scipy.stats.iqr``, ``scipy.stats.variation(ddof=1)`` = SD / mean |
| ``beta_convergence`` | slope b of d = a + b previous | slope's t test | b | t-based CI of b | statsmodels OLS; b < 0: lagging units improve faster (Barro & Sala-i-Martin 1992) |

Sigma-convergence (falling dispersion) is read from the dispersion rows and Brown–Forsythe.
``n``: pairs for paired rows; units with a current value for dispersion rows; units in both
samples together for Brown–Forsythe. Rows with fewer than 3 values (pairs for paired rows,
values in either year for the others) hold NaN: nothing raises. (With 2 values a year the
absolute deviations from the median are equal and Brown–Forsythe is degenerate.)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

COLUMNS = ["test", "metric", "statistic", "p_value", "effect", "ci_low", "ci_high", "n"]


def _clean(values: pd.Series, name: str) -> pd.Series:
    s = pd.Series(values.to_numpy(dtype=float, na_value=np.nan), index=values.index.astype(str))
    if s.index.has_duplicates:
        raise ValueError(f"{name}: duplicated unit_id: {sorted(set(s.index[s.index.duplicated()]))}")
    return s.dropna()


def _row(test, statistic=math.nan, p_value=math.nan, effect=math.nan, ci=(math.nan, math.nan), n=0):
    return {"test": test, "statistic": float(statistic), "p_value": float(p_value),
            "effect": float(effect), "ci_low": float(ci[0]), "ci_high": float(ci[1]), "n": int(n)}


def _paired_rows(cur: np.ndarray, prev: np.ndarray, alpha: float) -> list[dict]:
    m = len(cur)
    if m < 3:
        return [_row(t, n=m) for t in ("paired_t", "wilcoxon_signed_rank", "beta_convergence")]
    d = cur - prev
    t = stats.ttest_rel(cur, prev)
    w = stats.wilcoxon(cur, prev)
    rows = [
        _row("paired_t", t.statistic, t.pvalue, d.mean(), t.confidence_interval(1 - alpha), m),
        _row("wilcoxon_signed_rank", w.statistic, w.pvalue, np.median(d), n=m),
    ]
    if np.ptp(prev) == 0 or np.ptp(d) == 0:  # slope undefined, or an exact fit with no error
        rows.append(_row("beta_convergence", n=m))
    else:
        fit = sm.OLS(d, sm.add_constant(prev)).fit()
        rows.append(_row("beta_convergence", fit.params[1], fit.pvalues[1], fit.params[1],
                         fit.conf_int(alpha)[1], m))
    return rows


def _dispersion_rows(cur: np.ndarray, prev: np.ndarray) -> list[dict]:
    n = len(cur)
    names = ("brown_forsythe", "dispersion_sd", "dispersion_iqr", "dispersion_cv")
    if n < 3 or len(prev) < 3:
        return [_row(t, n=n + len(prev) if t == "brown_forsythe" else n) for t in names]
    measures = {
        "dispersion_sd": lambda x: np.std(x, ddof=1),
        "dispersion_iqr": stats.iqr,
        "dispersion_cv": lambda x: stats.variation(x, ddof=1),
    }
    bf = stats.levene(cur, prev, center="median")
    rows = [_row("brown_forsythe", bf.statistic, bf.pvalue, np.std(cur, ddof=1) - np.std(prev, ddof=1),
                 n=n + len(prev))]
    for test, f in measures.items():
        rows.append(_row(test, f(cur), effect=f(cur) - f(prev), n=n))
    return rows


def index_change_tests(
    current: pd.Series, previous: pd.Series, metric: str = "index", alpha: float = 0.05
) -> pd.DataFrame:
    """tests.csv rows for the change of ``metric`` from ``previous`` to ``current``.

    Both series are indexed by unit_id (NaN = no value). Returns a DataFrame with columns
    ``test, metric, statistic, p_value, effect, ci_low, ci_high, n`` (see the module
    docstring for each row), sorted by ``test``; confidence intervals at level ``1 - alpha``.
    Raises ValueError if a unit_id repeats within a year.
    """
    cur, prev = _clean(current, "current"), _clean(previous, "previous")
    common = cur.index.intersection(prev.index).sort_values()
    rows = _paired_rows(cur[common].to_numpy(), prev[common].to_numpy(), alpha)
    rows += _dispersion_rows(cur.to_numpy(), prev.to_numpy())
    frame = pd.DataFrame(rows).assign(metric=metric)[COLUMNS]
    return frame.sort_values("test", kind="stable", ignore_index=True)
