"""Proportions: Wilson, Newcombe, two-proportion z test, ballot-level (cluster) interval, BH,
and false-coverage-rate adjusted intervals.

All functions are vectorised: counts and sizes broadcast as numpy arrays (scalars give numpy
scalars back). Sizes may be non-integer (an effective sample size). Where a statistic is not
defined (a size of 0, a missing input) the result is NaN rather than a warning or an error;
an impossible input (a count below 0 or above its size) raises ``ValueError``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


KG_BALLOTS = 30


def _counts(*pairs):
    """Broadcast (x, n) pairs to float arrays; the mask of entries where every n > 0."""
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=float) for pair in pairs for a in pair))
    defined = np.ones(arrays[0].shape, dtype=bool)
    for x, n in zip(arrays[::2], arrays[1::2]):
        if np.any((x < 0) | (x > n)):
            raise ValueError("a count is below 0 or above its size (a size below 0 included)")
        defined &= np.isfinite(x) & np.isfinite(n) & (n > 0)
    return arrays, defined


def _fill(shape, defined, *values):
    """Scatter results computed on the defined entries into NaN arrays of ``shape``."""
    out = []
    for value in values:
        full = np.full(shape, np.nan)
        full[defined] = value
        out.append(full[()])
    return tuple(out)


def wilson_interval(x, n, alpha: float = 0.05):
    """Wilson score interval for x/n (Wilson 1927; Newcombe 1998a, method 3).

    (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n), z = Φ⁻¹(1 − alpha/2), computed by
    ``statsmodels.stats.proportion.proportion_confint(method="wilson")``. Returns (low, high);
    NaN where n is 0 or missing.
    """
    (x, n), defined = _counts((x, n))
    from statsmodels.stats.proportion import proportion_confint
    low, high = proportion_confint(x[defined], n[defined], alpha=alpha, method="wilson")
    return _fill(x.shape, defined, low, high)


def newcombe_diff_interval(x1, n1, x0, n0, alpha: float = 0.05):
    """Newcombe (1998b, Stat Med 17:873, method 10) hybrid score interval for p1 − p0.

    With (l_i, u_i) the Wilson limits of p_i (no continuity correction) and d = p1 − p0:
    low = d − √((p1 − l1)² + (u0 − p0)²), high = d + √((u1 − p1)² + (p0 − l0)²).
    Computed by ``statsmodels.stats.proportion.confint_proportions_2indep(method="newcomb",
    compare="diff")``, which reproduces Newcombe's Table II and accepts non-integer counts
    and sizes. Returns (low, high); NaN where either size is 0 or missing.
    """
    (x1, n1, x0, n0), defined = _counts((x1, n1), (x0, n0))
    from statsmodels.stats.proportion import confint_proportions_2indep
    low, high = confint_proportions_2indep(
        x1[defined], n1[defined], x0[defined], n0[defined],
        method="newcomb", compare="diff", alpha=alpha,
    )
    return _fill(x1.shape, defined, low, high)


def two_proportion_ztest(x1, n1, x0, n0):
    """Pooled two-sided z test of p1 = p0.

    z = (p1 − p0) / √(p̄(1 − p̄)(1/n1 + 1/n0)), p̄ = (x1 + x0)/(n1 + n0); p = 2(1 − Φ(|z|)).
    Computed by ``statsmodels.stats.proportion.test_proportions_2indep(method="score",
    correction=False)``: for a difference of 0 the score test's restricted estimate is the
    pooled p̄, so it is this test, and unlike ``proportions_ztest`` it is vectorised.
    Returns (z, p_value); NaN where a size is 0 or p̄ is 0 or 1 (no variance).
    """
    from statsmodels.stats.proportion import test_proportions_2indep
    (x1, n1, x0, n0), defined = _counts((x1, n1), (x0, n0))
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (x1 + x0) / (n1 + n0)
    defined &= (pooled > 0) & (pooled < 1)
    with np.errstate(divide="ignore"):  # statsmodels also forms odds ratios, infinite at p = 0 or 1
        result = test_proportions_2indep(
            x1[defined], n1[defined], x0[defined], n0[defined],
            method="score", compare="diff", value=0, correction=False, alternative="two-sided",
        )
    return _fill(x1.shape, defined, result.statistic, result.pvalue)


def cluster_proportion(sum_y, sum_m, s_yy, s_mm, s_ym, n_ballots, alpha: float = 0.05) -> pd.DataFrame:
    """Ballot-level (cluster) proportion from per-unit sums over its ballots.

    Ballot i has m_i valid answers, y_i of them satisfied; the arguments are Σy, Σm, Σy²,
    Σm², Σym and the number of ballots n (one entry per unit, broadcast).

    - p = Σy / Σm (ratio estimator).
    - var = n/(n−1) · Σ(y_i − p·m_i)² / (Σm)², the Taylor-linearisation (with-replacement)
      variance of a ratio (Cochran 1977, ch. 6; Wolter 2007, ch. 6), with
      Σ(y_i − p·m_i)² = Σy² − 2p·Σym + p²·Σm².
    - deff = var / (p(1−p)/(Σm − 1)) (Kish 1965, against the unbiased variance of Σm
      independent answers), so that with one answer per ballot (m_i = 1, var = p(1−p)/(n−1))
      deff is exactly 1 and the interval is Wilson's on n; n_eff = Σm / max(deff, 1).
    - Below ``KG_BALLOTS`` (30) ballots the Korn–Graubard degrees-of-freedom factor applies:
      n_eff × (z_{α/2} / t_{n−1, α/2})² (Korn & Graubard 1998, Survey Methodology 24:193),
      so a few ballots give a wider interval (a single ballot, with no degrees of freedom,
      takes the factor of two: t with 1 df).
    - ci = Wilson interval with x = p·n_eff and n = n_eff (the effective-sample-size Wilson
      interval of Korn & Graubard 1998).

    deff below 1 (answers on a ballot looking more varied than independent ones) is kept in
    ``deff`` but n_eff is capped at Σm, so the interval is never narrower than one treating
    answers as independent. Where the variance estimate is 0 (p is 0 or 1, or every ballot
    has the same y_i/m_i) or there are fewer than 2 ballots, deff = Σm/n (answers on a
    ballot fully correlated), so n_eff = n before the df factor; ``var`` is then deff·p(1−p)/(Σm − 1), or 0
    with a single answer. A "zero" residual sum is one within rounding of its terms (8 ulp of
    their magnitude). Returns a DataFrame with p, var, deff, n_eff, ci_low, ci_high (NaN where
    Σm or n is 0).
    """
    sum_y, sum_m, s_yy, s_mm, s_ym, n_ballots = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(a, dtype=float)) for a in (sum_y, sum_m, s_yy, s_mm, s_ym, n_ballots))
    )
    defined = (sum_m > 0) & (n_ballots > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(defined, sum_y / sum_m, np.nan)
        terms = (s_yy, 2 * p * s_ym, p**2 * s_mm)
        residual = terms[0] - terms[1] + terms[2]
        degenerate = (residual <= 8 * np.finfo(float).eps * sum(np.abs(t) for t in terms)) | (n_ballots < 2)
        var_srs = np.where(sum_m > 1, p * (1 - p) / (sum_m - 1), 0.0)
        linearised = n_ballots / (n_ballots - 1) * residual / sum_m**2
        deff = np.where(degenerate, sum_m / n_ballots, linearised / var_srs)
        var = np.where(degenerate, deff * var_srs, linearised)
        n_eff = sum_m / np.maximum(deff, 1.0)
        few = n_ballots < KG_BALLOTS
        df = np.maximum(n_ballots - 1, 1.0)
        from scipy.stats import norm, t as t_dist
        n_eff = np.where(few, n_eff * (norm.ppf(1 - alpha / 2) / t_dist.ppf(1 - alpha / 2, df)) ** 2, n_eff)
    low, high = wilson_interval(np.where(defined, p * n_eff, np.nan), np.where(defined, n_eff, np.nan), alpha)
    columns = {"p": p, "var": var, "deff": deff, "n_eff": n_eff, "ci_low": low, "ci_high": high}
    return pd.DataFrame({name: np.where(defined, value, np.nan) for name, value in columns.items()})


def bh_adjust(p_values) -> np.ndarray:
    """Benjamini–Hochberg (1995) adjusted p-values: min over j ≥ i of min(1, m·p_(j)/j).

    Computed by ``statsmodels.stats.multitest.multipletests(method="fdr_bh")`` among the
    non-NaN p-values (m counts only those); NaN stays NaN in place.
    """
    from statsmodels.stats.multitest import multipletests
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    present = ~np.isnan(p)
    if present.any():
        out[present] = multipletests(p[present], method="fdr_bh")[1]
    return out


def fcr_alpha(selected, alpha: float = 0.05) -> float:
    """Level for the intervals of selected units: alpha·R/m (Benjamini & Yekutieli 2005, JASA
    100:71), R selected among m (``selected``: booleans, NaN/None = not tested, left out of
    m). Intervals at 1 − alpha·R/m for the R units selected by BH at ``alpha`` keep the
    expected share of non-covering intervals among them at most alpha. NaN when R = 0."""
    s = pd.Series(selected, dtype="boolean")
    m, r = int(s.notna().sum()), int(s.fillna(False).sum())
    return alpha * r / m if r else float("nan")
