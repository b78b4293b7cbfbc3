import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.regression.linear_model import OLS
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from analysis.stats.proportions import (
    bh_adjust,
    cluster_proportion,
    fcr_alpha,
    newcombe_diff_interval,
    two_proportion_ztest,
    wilson_interval,
)

Z95 = stats.norm.ppf(0.975)  # 1.959964, the published two-sided 95% normal quantile


# --- independent references written in the tests -------------------------------------------

def wilson_by_root(x: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson limits as the roots of the score equation (p̂ − π)² = z²π(1 − π)/n, by brentq."""
    p = x / n
    score = lambda pi: (p - pi) ** 2 - z * z * pi * (1 - pi) / n  # noqa: E731
    # p itself is a root when p is 0 or 1: step off it to bracket the other one
    low = 0.0 if x == 0 else optimize.brentq(score, 0.0, min(p, 1 - 1e-12), xtol=1e-14)
    high = 1.0 if x == n else optimize.brentq(score, max(p, 1e-12), 1.0, xtol=1e-14)
    return low, high


def newcombe_by_hand(x1, n1, x0, n0):
    l1, u1 = wilson_by_root(x1, n1)
    l0, u0 = wilson_by_root(x0, n0)
    p1, p0 = x1 / n1, x0 / n0
    return p1 - p0 - math.hypot(p1 - l1, u0 - p0), p1 - p0 + math.hypot(u1 - p1, p0 - l0)


# --- Wilson ---------------------------------------------------------------------------------

# Newcombe (1998a), Stat Med 17:857-872, Table I, method 3 (score, no continuity correction)
NEWCOMBE_1998A = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("x", "n", "low", "high"), NEWCOMBE_1998A)
def test_wilson_matches_newcombe_1998a(x, n, low, high):
    got = wilson_interval(x, n)
    assert round(float(got[0]), 4) == low
    assert round(float(got[1]), 4) == high


def test_wilson_vectorised_float_sizes_match_score_roots():
    rng = np.random.default_rng(1)
    n = rng.uniform(1.0, 300.0, 40)
    x = n * rng.uniform(0.0, 1.0, 40)
    x[:2] = 0.0
    x[2] = n[2]
    low, high = wilson_interval(x, n)
    reference = np.array([wilson_by_root(a, b) for a, b in zip(x, n)])
    np.testing.assert_allclose(low, reference[:, 0], atol=1e-7)
    np.testing.assert_allclose(high, reference[:, 1], atol=1e-7)


def test_wilson_zero_size_is_nan_and_scalar_stays_scalar():
    low, high = wilson_interval(np.array([0, 3]), np.array([0, 10]))
    assert np.isnan(low[0]) and np.isnan(high[0]) and 0 < low[1] < 0.3 < high[1]
    single = wilson_interval(3, 10)
    assert np.ndim(single[0]) == 0
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


# --- Newcombe difference --------------------------------------------------------------------

# Newcombe (1998b), Stat Med 17:873-890, Table II, method 10 (hybrid score, no CC)
NEWCOMBE_1998B = [
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0000),
]


@pytest.mark.parametrize(("x1", "n1", "x0", "n0", "low", "high"), NEWCOMBE_1998B)
def test_newcombe_matches_table_ii(x1, n1, x0, n0, low, high):
    got = newcombe_diff_interval(x1, n1, x0, n0)
    assert round(float(got[0]), 4) == low
    assert round(float(got[1]), 4) == high


def test_newcombe_vectorised_float_counts_match_hand_formula():
    rng = np.random.default_rng(2)
    n1, n0 = rng.uniform(2.0, 200.0, (2, 30))
    x1, x0 = n1 * rng.uniform(0, 1, 30), n0 * rng.uniform(0, 1, 30)
    x0[0] = 0.0
    x1[1] = n1[1]
    low, high = newcombe_diff_interval(x1, n1, x0, n0)
    reference = np.array([newcombe_by_hand(*args) for args in zip(x1, n1, x0, n0)])
    np.testing.assert_allclose(low, reference[:, 0], atol=1e-7)
    np.testing.assert_allclose(high, reference[:, 1], atol=1e-7)


def test_newcombe_zero_size_is_nan():
    low, high = newcombe_diff_interval([3, 3], [10, 10], [0, 2], [0, 10])
    assert np.isnan(low[0]) and np.isnan(high[0])
    assert low[1] < 0.1 < high[1]


# --- z test ---------------------------------------------------------------------------------

def test_ztest_by_hand():
    # 56/70 vs 48/80: pooled 104/150; z = 0.2 / sqrt(p(1-p)(1/70 + 1/80))
    pooled = 104 / 150
    z = 0.2 / math.sqrt(pooled * (1 - pooled) * (1 / 70 + 1 / 80))
    got_z, got_p = two_proportion_ztest(56, 70, 48, 80)
    assert got_z == pytest.approx(z, rel=1e-12)
    assert got_p == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), rel=1e-10)
    assert round(z, 4) == 2.6502


def test_ztest_is_uncorrected_chi_square():
    # second route: z² is Pearson's chi-square of the 2x2 table without Yates' correction
    counts = [(9, 10, 3, 10), (40, 120, 55, 130), (3, 50, 0, 40)]
    z, p = two_proportion_ztest(*np.array(counts, dtype=float).T)
    for (x1, n1, x0, n0), zi, pi in zip(counts, z, p):
        chi2, p_chi, _, _ = stats.chi2_contingency([[x1, n1 - x1], [x0, n0 - x0]], correction=False)
        assert zi**2 == pytest.approx(chi2, rel=1e-10)
        assert pi == pytest.approx(p_chi, rel=1e-10)
    assert z[0] > 0 and z[1] < 0


def test_ztest_undefined_is_nan():
    z, p = two_proportion_ztest([0, 10, 0, 4], [10, 10, 0, 10], [0, 20, 1, 5], [20, 20, 5, 10])
    assert np.isnan(z[:3]).all() and np.isnan(p[:3]).all()
    assert np.isfinite(z[3]) and 0 < p[3] <= 1


# --- cluster (ballot-level) proportion ------------------------------------------------------

def sums(y, m):
    y, m = np.asarray(y, dtype=float), np.asarray(m, dtype=float)
    return dict(sum_y=y.sum(), sum_m=m.sum(), s_yy=(y * y).sum(), s_mm=(m * m).sum(),
                s_ym=(y * m).sum(), n_ballots=y.size)


def direct(y, m):
    """Per-ballot computation: residuals e_i = y_i - p m_i, then the same definitions."""
    y, m = np.asarray(y, dtype=float), np.asarray(m, dtype=float)
    p = y.sum() / m.sum()
    e = y - p * m
    var = y.size / (y.size - 1) * np.sum(e**2) / m.sum() ** 2
    deff = var / (p * (1 - p) / (m.sum() - 1))
    n_eff = m.sum() / max(deff, 1.0)
    if y.size < 30:  # Korn & Graubard (1998): (z / t_{n-1})^2 below 30 ballots
        n_eff *= (stats.norm.ppf(0.975) / stats.t.ppf(0.975, max(y.size - 1, 1))) ** 2
    return p, var, deff, n_eff, *wilson_by_root(p * n_eff, n_eff)


def random_ballots(rng, n_ballots):
    m = rng.integers(1, 8, n_ballots)
    propensity = rng.beta(2, 1, n_ballots)  # ballot-level correlation of the answers
    return rng.binomial(m, propensity), m


def test_sums_formula_matches_per_ballot_computation():
    rng = np.random.default_rng(3)
    for size in (2, 5, 40, 500):
        y, m = random_ballots(rng, size)
        row = cluster_proportion(**sums(y, m)).iloc[0]
        expected = direct(y, m)
        np.testing.assert_allclose(
            row[["p", "var", "deff", "n_eff", "ci_low", "ci_high"]].to_numpy(dtype=float), expected, rtol=1e-9
        )


def test_variance_matches_statsmodels_cluster_robust_ols():
    # answer-level rows, intercept-only OLS, cluster-robust by ballot: its small-sample factor
    # G/(G-1) * (N-1)/(N-K) is n/(n-1) when K = 1, so its variance is the linearised one.
    rng = np.random.default_rng(4)
    y, m = random_ballots(rng, 60)
    answers = np.concatenate([np.r_[np.ones(a), np.zeros(b - a)] for a, b in zip(y, m)])
    ballot = np.repeat(np.arange(y.size), m)
    fit = OLS(answers, np.ones_like(answers)).fit(cov_type="cluster", cov_kwds={"groups": ballot})
    row = cluster_proportion(**sums(y, m)).iloc[0]
    assert row["p"] == pytest.approx(fit.params[0], rel=1e-12)
    assert row["var"] == pytest.approx(fit.bse[0] ** 2, rel=1e-9)


def test_one_answer_per_ballot_is_exactly_wilson_on_n():
    # m_i = 1: var = p(1-p)/(n-1) = the reference p(1-p)/(Σm - 1): deff = 1, n_eff = n
    y = np.array([1] * 37 + [0] * 13)
    row = cluster_proportion(**sums(y, np.ones_like(y))).iloc[0]
    assert row["var"] == pytest.approx(0.74 * 0.26 / 49)
    assert row["deff"] == pytest.approx(1.0) and row["n_eff"] == pytest.approx(50)
    low, high = wilson_interval(37, 50)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), rel=1e-12)


def test_korn_graubard_factor_below_30_ballots():
    # 20 ballots, one answer each: n_eff = 20 (z_0.975 / t_19,0.975)^2 = 20 (1.959964 / 2.093024)^2
    y = np.array([1] * 15 + [0] * 5)
    row = cluster_proportion(**sums(y, np.ones_like(y))).iloc[0]
    n_eff = 20 * (1.959964 / 2.093024) ** 2
    assert row["n_eff"] == pytest.approx(n_eff, rel=1e-6)
    low, high = wilson_interval(0.75 * row["n_eff"], row["n_eff"])
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), rel=1e-12)
    assert row["ci_low"] < wilson_interval(15, 20)[0]


def test_fallbacks_and_cap():
    units = pd.DataFrame([
        sums([3, 5, 2], [3, 5, 2]),        # every answer satisfied: var 0
        sums([2], [4]),                    # one ballot
        sums([1, 1, 1], [2, 2, 2]),        # every ballot at 1/2: var 0 although p = 1/2
        sums([1, 2, 1, 2], [2, 3, 3, 2]),  # answers more varied than independent: deff < 1
        sums([], []),                      # no ballots
    ])
    out = cluster_proportion(**units)
    assert out.loc[0, "p"] == 1 and out.loc[0, "var"] == 0
    kg = lambda n: (Z95 / stats.t.ppf(0.975, n - 1)) ** 2  # noqa: E731 (Korn-Graubard factor)
    assert out.loc[0, "deff"] == pytest.approx(10 / 3) and out.loc[0, "n_eff"] == pytest.approx(3 * kg(3))
    n0 = 3 * kg(3)
    assert out.loc[0, "ci_high"] == pytest.approx(1) and out.loc[0, "ci_low"] == pytest.approx(n0 / (n0 + Z95**2))
    # one ballot: the factor of 1 df, n_eff = kg(2); var = deff p(1-p)/(Σm - 1) = 4 * 0.25 / 3
    assert out.loc[1, "deff"] == 4 and out.loc[1, "n_eff"] == pytest.approx(kg(2))
    assert out.loc[1, "var"] == pytest.approx(1 / 3)
    assert out.loc[2, "deff"] == 2 and out.loc[2, "n_eff"] == pytest.approx(3 * kg(3))
    assert out.loc[3, "deff"] < 1 and out.loc[3, "n_eff"] == pytest.approx(10 * kg(4))
    n3 = 10 * kg(4)
    assert out.loc[3, ["ci_low", "ci_high"]].tolist() == pytest.approx(list(wilson_interval(0.6 * n3, n3)))
    assert out.loc[4].isna().all()


ballots = st.lists(
    st.integers(1, 6).flatmap(lambda m: st.tuples(st.integers(0, m), st.just(m))), min_size=1, max_size=40
)


@settings(max_examples=60, deadline=None)
@given(ballots, st.randoms(use_true_random=False))
def test_properties(pairs, random):
    y, m = (np.array(v) for v in zip(*pairs))
    row = cluster_proportion(**sums(y, m)).iloc[0]
    assert row["ci_low"] - 1e-12 <= row["p"] <= row["ci_high"] + 1e-12
    assert 0 < row["n_eff"] <= m.sum() + 1e-9

    order = list(range(y.size))
    random.shuffle(order)
    shuffled = cluster_proportion(**sums(y[order], m[order])).iloc[0]
    np.testing.assert_allclose(shuffled.to_numpy(dtype=float), row.to_numpy(dtype=float), rtol=1e-9, atol=1e-12)

    doubled = cluster_proportion(**sums(np.tile(y, 2), np.tile(m, 2))).iloc[0]
    if not 0 < row["p"] < 1:
        return
    assert doubled["p"] == pytest.approx(row["p"])
    assert doubled["ci_high"] - doubled["ci_low"] < row["ci_high"] - row["ci_low"]


# --- Benjamini-Hochberg ---------------------------------------------------------------------

# Benjamini & Hochberg (1995), JRSS B 57:289, section 4: 15 p-values; at q = 0.05 the
# procedure rejects the four smallest (Bonferroni only three).
BH_1995 = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459,
           0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0000]


def bh_by_loop(p):
    m = len(p)
    return [min(1.0, min(m * p[j] / (sorted(p).index(p[j]) + 1) for j in range(m) if p[j] >= p[i]))
            for i in range(m)]


def test_bh_1995_example():
    adjusted = bh_adjust(BH_1995)
    assert (adjusted < 0.05).sum() == 4
    np.testing.assert_allclose(adjusted, bh_by_loop(BH_1995), rtol=1e-12)


def test_bh_hand_example_and_nan():
    # sorted 0.01, 0.035, 0.04, 0.2 -> 4p/j = 0.04, 0.07, 0.0533, 0.2 -> running min from the top
    p = [0.01, np.nan, 0.04, 0.035, 0.2, np.nan]
    np.testing.assert_allclose(
        bh_adjust(p), [0.04, np.nan, 0.16 / 3, 0.16 / 3, 0.2, np.nan], rtol=1e-12
    )
    assert bh_adjust([]).size == 0
    assert np.isnan(bh_adjust([np.nan, np.nan])).all()


def test_fcr_level_benjamini_yekutieli():
    # BY (2005): R of m selected -> intervals at 1 - R alpha / m; NaN (not tested) left out of m
    assert fcr_alpha([True, False, True, None, False], 0.05) == pytest.approx(0.05 * 2 / 4)
    assert math.isnan(fcr_alpha([False, False], 0.05))
