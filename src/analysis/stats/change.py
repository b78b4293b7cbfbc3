"""Change of an index between two years: the rows of tests.csv.

Every row uses the balanced panel: the units with a value in both years (``n`` = pairs), so
both years' dispersion is measured on the same units. Change ``d = current - previous``.

| test | answers | statistic | p_value | effect | ci | method |
|---|---|---|---|---|---|---|
| ``paired_t`` | did the mean score change? | t | two-sided | mean d | t-based CI of mean d | Student (1908): `paired_t` |
| ``wilcoxon_signed_rank`` | did the typical unit move? | min(T+, T-) | two-sided | median d | NaN | Wilcoxon (1945), zeros dropped: `signed_rank` |
| ``pitman_morgan`` | did the spread between units change (sigma-convergence)? | r(x + y, x - y) | two-sided t test of r with n - 2 df | SD_cur / SD_prev | NaN | Pitman (1939, Biometrika 31:9), Morgan (1939, Biometrika 31:13) |
| ``dispersion_sd`` / ``_iqr`` / ``_cv`` | how spread out are the units? | current value | NaN | current - previous | NaN | SD (ddof 1), `quartile_range` (Hyndman & Fan 1996 type 7), `variation` = SD / mean |
| ``beta_convergence`` | do low scorers gain more? | slope b of d = a + b previous | slope's t test | b | t-based CI of b | least squares: `slope_test` (Barro & Sala-i-Martin 1992) |

Pitman–Morgan: for paired x (current) and y (previous), Var(x) = Var(y) exactly when
Cov(x + y, x − y) = 0, so the test of equal variances is the test of zero correlation between
the sums and the differences: t = r·√(n − 2)/√(1 − r²) on n − 2 degrees of freedom. Unlike
Brown–Forsythe it uses the pairing (the same units, correlated across years).
beta-convergence is never read alone: a negative slope follows from regression to the mean
whenever scores carry measurement error, even when the spread does not fall (Friedman 1992,
J Econ Lit 30:2129; Quah 1993, Scand J Econ 95:427), so it is reported beside the
Pitman–Morgan test of sigma-convergence.
Rows with fewer than 3 pairs hold NaN: nothing raises.

The formulas are written out below on ``scipy.special``'s distribution functions (``stdtr``,
``stdtrit``, ``ndtr``, ``betaincc``), in the order of operations of ``scipy.stats``
(ttest_rel, wilcoxon, pearsonr, iqr, variation) and statsmodels' OLS: every figure is theirs
to the last bit (tests/test_change.py compares them), without importing either, which cost
0.5 s of CPU on the path of every run (`pipeline.run`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import betaincc, ndtr, stdtr, stdtrit

COLUMNS = ["test", "metric", "statistic", "p_value", "effect", "ci_low", "ci_high", "n"]


def _clean(values: pd.Series, name: str) -> pd.Series:
    s = pd.Series(values.to_numpy(dtype=float, na_value=np.nan), index=values.index.astype(str))
    if s.index.has_duplicates:
        raise ValueError(f"{name}: duplicated unit_id: {sorted(set(s.index[s.index.duplicated()]))}")
    return s.dropna()


def _row(test, statistic=math.nan, p_value=math.nan, effect=math.nan, ci=(math.nan, math.nan), n=0):
    return {"test": test, "statistic": float(statistic), "p_value": float(p_value),
            "effect": float(effect), "ci_low": float(ci[0]), "ci_high": float(ci[1]), "n": int(n)}


def paired_t(d: np.ndarray, alpha: float) -> tuple[float, float, tuple[float, float]]:
    """(t, two-sided p, CI of the mean change at 1 − alpha) of Student's paired t test of the
    changes d: t = mean d / √(s²/n), s² = Σ(d − mean d)²/(n − 1), on n − 1 degrees of freedom;
    CI mean d ± t(1 − alpha/2, n − 1)·√(s²/n)."""
    n = len(d)
    mean = np.mean(d)
    se = np.sqrt(np.mean((d - mean) ** 2) * (n / (n - 1)) / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = mean / se
    df = float(n - 1)
    tail = (1 - np.float64(1 - alpha)) / 2
    low, high = stdtrit(df, np.array([tail, 1 - tail]))
    return t, 2 * stdtr(df, -np.abs(t)), (low * se + mean, high * se + mean)


def signed_rank(d: np.ndarray) -> tuple[float, float]:
    """(min(T+, T−), two-sided p) of Wilcoxon's signed-rank test of the changes d, zeros
    dropped: T+ (T−) the sum of the average ranks of |d| over the positive (negative) d.
    n ≤ 50 changes, none zero and no |d| tied: p from the exact null distribution of T+
    (`_signed_rank_null`). Otherwise the normal approximation z = (T+ − m(m + 1)/4) /
    √((m(m + 1)(2m + 1) − Σ(t³ − t)/2) / 24), m the non-zero changes and t the sizes of the
    groups of tied |d|; but n ≤ 13 with ties or zeros: the share of all 2ⁿ sign patterns as
    extreme (``scipy.stats.wilcoxon``'s permutation test, imported for that case only)."""
    nonzero = d[d != 0]
    m = len(nonzero)
    size = np.sort(np.abs(nonzero))
    first = np.ones(m, dtype=bool)   # where each group of equal |d| starts
    first[1:] = size[1:] != size[:-1]
    starts = np.flatnonzero(first)
    groups = np.diff(np.r_[starts, m])
    average = starts + 1 + (groups - 1) / 2   # each group's average rank
    ranks = average[np.searchsorted(size[starts], np.abs(nonzero))]
    t_plus, t_minus = ranks[nonzero > 0].sum(), ranks[nonzero < 0].sum()
    ties, zeros = bool((groups > 1).any()), m < len(d)
    if len(d) <= 50 and not (ties or zeros):
        null, k = _signed_rank_null(m), int(t_plus)
        p = 2 * min(_signed_rank_tail(null, k, upper=True), _signed_rank_tail(null, k, upper=False))
        return min(t_plus, t_minus), float(np.clip(p, 0, 1))
    if len(d) <= 13:
        from scipy import stats
        with np.errstate(divide="ignore", invalid="ignore"):   # its unused z, when all d are 0
            w = stats.wilcoxon(d)
        return w.statistic, w.pvalue
    count = float(m)
    var24 = count * (count + 1.0) * (2.0 * count + 1.0) - np.sum(groups.astype(float) ** 3 - groups) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (t_plus - count * (count + 1.0) * 0.25) / np.sqrt(var24 / 24)
    return min(t_plus, t_minus), 2 * ndtr(-np.abs(z))


def _signed_rank_null(n: int) -> np.ndarray:
    """P(T+ = s), s = 0 … n(n + 1)/2, for n untied non-zero changes: rank k is positive with
    probability ½, so P_k(s) = ½·P_{k−1}(s) + ½·P_{k−1}(s − k)."""
    p = np.ones(1)
    for k in range(1, n + 1):
        before, p = p, np.zeros(k * (k + 1) // 2 + 1)
        p[:len(before)] = before * 0.5
        p[k:] += before * 0.5
    return p


def _signed_rank_tail(p: np.ndarray, k: int, upper: bool) -> float:
    """P(T+ ≥ k) (`upper`) or P(T+ ≤ k) under the null distribution `p` (`_signed_rank_null`):
    summed over the tail when k is at most the mean n(n + 1)/4 (half of T+'s largest value,
    len(p) − 1), else taken from 1 with the other."""
    near = k <= (len(p) - 1) / 2
    if upper:
        return p[k:].sum() if near else 1 - p[:k].sum()
    return p[:k + 1].sum() if near else 1 - p[k + 1:].sum()


def slope_test(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[float, float, tuple[float, float]]:
    """(b, two-sided p, CI at 1 − alpha) of the least-squares slope of y = a + b·x: the
    coefficients X⁺y, X = [1 x] and X⁺ its pseudo-inverse from the SVD (singular values below
    10⁻¹⁵ of the largest taken as zero); their covariance s²·X⁺X⁺ᵀ, s² = the residuals' sum
    of squares / (n − rank X); t on n − rank X degrees of freedom."""
    design = np.column_stack([np.ones(len(x)), x])
    u, s, vt = np.linalg.svd(design, full_matrices=False)
    inverse = np.where(s > 1e-15 * s.max(), 1.0 / s, 0.0)
    pinv = np.dot(vt.T, inverse[:, np.newaxis] * u.T)
    coef = np.dot(pinv, y)
    resid = y - np.dot(design, coef)
    df = len(x) - np.linalg.matrix_rank(np.diag(s))
    se = np.sqrt(np.diag(np.dot(pinv, pinv.T) * (np.dot(resid, resid) / df)))
    b, se_b = coef[1], se[1]
    q = stdtrit(df, 1 - alpha / 2)
    return b, 2 * stdtr(df, -np.abs(b / se_b)), (b - q * se_b, b + q * se_b)


def _paired_rows(cur: np.ndarray, prev: np.ndarray, alpha: float) -> list[dict]:
    m = len(cur)
    if m < 3:
        return [_row(t, n=m) for t in ("paired_t", "wilcoxon_signed_rank", "beta_convergence")]
    d = cur - prev
    t, p, ci = paired_t(d, alpha)
    w, p_w = signed_rank(d)
    rows = [_row("paired_t", t, p, d.mean(), ci, m),
            _row("wilcoxon_signed_rank", w, p_w, np.median(d), n=m)]
    if np.ptp(prev) == 0 or np.ptp(d) == 0:  # slope undefined, or an exact fit with no error
        rows.append(_row("beta_convergence", n=m))
    else:
        b, p_b, ci_b = slope_test(prev, d, alpha)
        rows.append(_row("beta_convergence", b, p_b, b, ci_b, m))
    return rows


def pitman_morgan(cur: np.ndarray, prev: np.ndarray) -> tuple[float, float]:
    """(r, two-sided p) of the Pitman–Morgan test of Var(cur) = Var(prev) for paired values:
    r = corr(cur + prev, cur − prev); with no correlation, (r + 1)/2 ~ Beta(n/2 − 1, n/2 − 1),
    the p of the t test of r on n − 2 df. Each centred vector is divided by its largest
    magnitude before its length is taken (no overflow)."""
    def direction(v):
        centred = v - np.mean(v)
        top = np.max(np.abs(centred))
        return centred / (top * np.linalg.norm(centred / top, ord=2, axis=-1))
    r = np.clip(np.vecdot(direction(cur + prev), direction(cur - prev)), -1.0, 1.0)
    half = len(cur) / 2 - 1
    return float(r), float(2 * betaincc(half, half, (np.abs(r) + 1) / 2))


def quartile_range(x: np.ndarray) -> float:
    """Q3 − Q1, the quartiles of Hyndman & Fan (1996) type 7: Q(p) = (1 − g)·x₍ⱼ₎ + g·x₍ⱼ₊₁₎,
    j + g = p·n + 1 − p (order statistics counted from 1)."""
    x = np.sort(x)
    last = len(x) - 1

    def quantile(p: float) -> float:
        at = p * float(len(x)) + (1 - p)
        j, g = int(at // 1) - 1, at % 1
        return (1 - g) * x[min(j, last)] + g * x[min(j + 1, last)]
    return quantile(0.75) - quantile(0.25)


def variation(x: np.ndarray) -> float:
    """Coefficient of variation: SD (ddof 1) / mean."""
    n = len(x)
    return np.std(x) * np.sqrt(n / (n - 1)) / np.mean(x)


def _dispersion_rows(cur: np.ndarray, prev: np.ndarray) -> list[dict]:
    n = len(cur)
    names = ("pitman_morgan", "dispersion_sd", "dispersion_iqr", "dispersion_cv")
    if n < 3:
        return [_row(t, n=n) for t in names]
    measures = {
        "dispersion_sd": lambda x: np.std(x, ddof=1),
        "dispersion_iqr": quartile_range,
        "dispersion_cv": variation,
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
