"""Change of an index between two years: the rows of tests.csv.

Every row uses the balanced panel: the units with a value in both years (``n`` = pairs), so
both years' dispersion is measured on the same units. Change ``d = current - previous``.

| test | answers | statistic | p_value | effect | ci | source |
|---|---|---|---|---|---|---|
| ``paired_t`` | did the mean score change? | t | two-sided | mean d | t-based CI of mean d | ``scipy.stats.ttest_rel`` |
| ``wilcoxon_signed_rank`` | did the typical unit move? | min(T+, T-) | two-sided | median d | NaN | ``scipy.stats.wilcoxon`` (zeros dropped, exact for n <= 50 without ties) |
| ``pitman_morgan`` | did the spread between units change (sigma-convergence)? | r(x + y, x - y) | two-sided t test of r with n - 2 df | SD_cur / SD_prev | NaN | Pitman (1939, Biometrika 31:9), Morgan (1939, Biometrika 31:13) |
| ``dispersion_sd`` / ``_iqr`` / ``_cv`` | how spread out are the units? | current value | NaN | current - previous | NaN | SD (ddof 1), ``scipy.stats.iqr``, ``scipy.stats.variation(ddof=1)`` = SD / mean |
| ``beta_convergence`` | do low scorers gain more? | slope b of d = a + b previous | slope's t test | b | t-based CI of b | statsmodels OLS (Barro & Sala-i-Martin 1992) |

Pitman–Morgan: for paired x (current) and y (previous), Var(x) = Var(y) exactly when
Cov(x + y, x − y) = 0, so the test of equal variances is the test of zero correlation between
the sums and the differences: t = r·√(n − 2)/√(1 − r²) on n − 2 degrees of freedom. Unlike
Brown–Forsythe it uses the pairing (the same units, correlated across years).
beta-convergence is never read alone: a negative slope follows from regression to the mean
whenever scores carry measurement error, even when the spread does not fall (Friedman 1992,
J Econ Lit 30:2129; Quah 1993, Scand J Econ 95:427), so it is reported beside the
Pitman–Morgan test of sigma-convergence.
Rows with fewer than 3 pairs hold NaN: nothing raises.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.tools import add_constant

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
        fit = OLS(d, add_constant(prev)).fit()
        rows.append(_row("beta_convergence", fit.params[1], fit.pvalues[1], fit.params[1],
                         fit.conf_int(alpha)[1], m))
    return rows


def pitman_morgan(cur: np.ndarray, prev: np.ndarray) -> tuple[float, float]:
    """(r, two-sided p) of the Pitman–Morgan test of Var(cur) = Var(prev) for paired values."""
    r = stats.pearsonr(cur + prev, cur - prev)
    return float(r.statistic), float(r.pvalue)


def _dispersion_rows(cur: np.ndarray, prev: np.ndarray) -> list[dict]:
    n = len(cur)
    names = ("pitman_morgan", "dispersion_sd", "dispersion_iqr", "dispersion_cv")
    if n < 3:
        return [_row(t, n=n) for t in names]
    measures = {
        "dispersion_sd": lambda x: np.std(x, ddof=1),
        "dispersion_iqr": stats.iqr,
        "dispersion_cv": lambda x: stats.variation(x, ddof=1),
    }
    sd_cur, sd_prev = np.std(cur, ddof=1), np.std(prev, ddof=1)
    if np.ptp(cur + prev) == 0 or np.ptp(cur - prev) == 0:  # r undefined
        rows = [_row("pitman_morgan", effect=sd_cur / sd_prev if sd_prev else math.nan, n=n)]
    else:
        r, p = pitman_morgan(cur, prev)
        rows = [_row("pitman_morgan", r, p, sd_cur / sd_prev, n=n)]
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
    pairs = cur[common].to_numpy(), prev[common].to_numpy()
    rows = _paired_rows(*pairs, alpha) + _dispersion_rows(*pairs)
    frame = pd.DataFrame(rows).assign(metric=metric)[COLUMNS]
    return frame.sort_values("test", kind="stable", ignore_index=True)
