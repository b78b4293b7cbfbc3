import itertools
import math
import statistics

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.stats.change import COLUMNS, index_change_tests

TESTS = [
    "beta_convergence", "dispersion_cv", "dispersion_iqr", "dispersion_sd", "paired_t",
    "pitman_morgan", "wilcoxon_signed_rank",
]

# Student (1908) / Cushny & Peebles sleep data, R's `sleep`: extra hours of sleep, drug 1 and 2.
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]

# Hollander & Wolfe (1973), Table 3.1: Hamilton depression scale before (x) and after (y)
# tranquilizer; R's ?wilcox.test example gives V = 40, one-sided p = 0.01953 (exact).
HW_X = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
HW_Y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]


def _series(values, prefix="u"):
    return pd.Series(values, index=[f"{prefix}{i:02d}" for i in range(len(values))], dtype=float)


def _row(frame, test):
    return frame.set_index("test").loc[test]


def test_columns_and_sorted_rows():
    frame = index_change_tests(_series(SLEEP_2), _series(SLEEP_1), metric="satisfaction")
    assert list(frame.columns) == COLUMNS
    assert frame["test"].tolist() == TESTS
    assert set(frame["metric"]) == {"satisfaction"}


def test_paired_t_against_student_sleep_data():
    row = _row(index_change_tests(_series(SLEEP_2), _series(SLEEP_1)), "paired_t")
    # R: t.test(extra ~ group, paired = TRUE): t = -4.0621, df = 9, p = 0.002833,
    # 95% CI -2.4598858 -0.7001142, mean difference -1.58 (group 1 minus group 2)
    assert row["statistic"] == pytest.approx(4.0621, abs=1e-4)
    assert row["p_value"] == pytest.approx(0.002833, abs=1e-6)
    assert row["effect"] == pytest.approx(1.58)
    assert row["ci_low"] == pytest.approx(0.7001142, abs=1e-7)
    assert row["ci_high"] == pytest.approx(2.4598858, abs=1e-7)
    assert row["n"] == 10


def test_paired_t_against_formula_at_other_alpha():
    rng = np.random.default_rng(4)
    prev = rng.normal(70, 8, 25)
    cur = prev + rng.normal(1.0, 3.0, 25)
    row = _row(index_change_tests(_series(cur), _series(prev), alpha=0.1), "paired_t")
    d = cur - prev
    se = statistics.stdev(d) / math.sqrt(25)
    t = statistics.fmean(d) / se
    half = stats.t.ppf(0.95, 24) * se
    assert row["statistic"] == pytest.approx(t)
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), 24))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((d.mean() - half, d.mean() + half))


def test_wilcoxon_against_hollander_wolfe():
    row = _row(index_change_tests(_series(HW_X), _series(HW_Y)), "wilcoxon_signed_rank")
    # T+ = 40 of 45, so min(T+, T-) = 5; P(T- <= 5) = 10 / 2^9; two-sided doubles it
    assert row["statistic"] == 5
    assert row["p_value"] == pytest.approx(2 * 10 / 512)
    assert row["p_value"] == pytest.approx(2 * 0.01953, abs=1e-5)
    assert row["effect"] == pytest.approx(np.median(np.subtract(HW_X, HW_Y)))


def test_wilcoxon_against_enumerated_null():
    d = np.array([1.5, -0.3, 2.2, 0.7, -1.1, 3.4, 2.9, 0.4, -2.6, 1.9])
    prev = np.linspace(60, 80, len(d))
    row = _row(index_change_tests(_series(prev + d), _series(prev)), "wilcoxon_signed_rank")
    ranks = np.argsort(np.argsort(np.abs(d))) + 1  # no ties in |d|
    t_plus = ranks[d > 0].sum()
    null = np.array([sum(r for r, s in zip(range(1, 11), signs) if s) for signs in itertools.product([0, 1], repeat=10)])
    p = min(1.0, 2 * min(np.mean(null <= t_plus), np.mean(null >= t_plus)))
    assert row["statistic"] == min(t_plus, 55 - t_plus)
    assert row["p_value"] == pytest.approx(p)


def test_wilcoxon_all_positive_textbook_floor():
    # five positive changes: the only sign pattern as extreme each side has p = 2 / 2^5
    row = _row(index_change_tests(_series([2.0, 4.0, 7.0, 11.0, 16.0]), _series([1.0, 2.0, 3.0, 4.0, 5.0])),
               "wilcoxon_signed_rank")
    assert row["statistic"] == 0 and row["p_value"] == pytest.approx(0.0625)


def test_pitman_morgan_against_formula():
    """Pitman (1939), Morgan (1939): r = corr(x + y, x - y); t = r sqrt(n - 2) / sqrt(1 - r^2)."""
    rng = np.random.default_rng(9)
    prev = rng.normal(75, 9, 30)
    cur = 0.6 * prev + rng.normal(30, 3, 30)  # paired, less spread
    frame = index_change_tests(_series(cur), _series(prev))
    row = _row(frame, "pitman_morgan")
    s, d = cur + prev, cur - prev
    r = np.sum((s - s.mean()) * (d - d.mean())) / math.sqrt(np.sum((s - s.mean()) ** 2) * np.sum((d - d.mean()) ** 2))
    t = r * math.sqrt(28) / math.sqrt(1 - r**2)
    assert row["statistic"] == pytest.approx(r)
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), 28))
    assert row["effect"] == pytest.approx(statistics.stdev(cur) / statistics.stdev(prev))
    assert row["n"] == 30 and row["p_value"] < 1e-4
    # equivalently (Snedecor & Cochran): the F ratio of the two variances with the correlation
    f, rho = np.var(cur, ddof=1) / np.var(prev, ddof=1), np.corrcoef(cur, prev)[0, 1]
    t_f = (f - 1) * math.sqrt(28) / (2 * math.sqrt(f * (1 - rho**2)))
    assert abs(t) == pytest.approx(abs(t_f))


def test_different_unit_sets_use_the_balanced_panel():
    rng = np.random.default_rng(3)
    prev = _series(rng.normal(75, 9, 30))
    cur = _series(rng.normal(78, 5, 27))  # u00..u26 are in both years
    frame = index_change_tests(cur, prev)
    assert set(frame["n"]) == {27}
    assert _row(frame, "dispersion_sd")["effect"] == pytest.approx(
        statistics.stdev(cur) - statistics.stdev(prev.iloc[:27]))
    # no common units: every row is NaN, never an error
    other = index_change_tests(_series(cur, "c"), prev)
    assert other["statistic"].isna().all() and (other["n"] == 0).all()


def test_dispersion_rows_against_statistics_module():
    prev = [60.0, 72.0, 75.0, 81.0, 90.0, 66.0]
    cur = [70.0, 74.0, 78.0, 80.0, 86.0, 73.0]
    frame = index_change_tests(_series(cur), _series(prev))
    # quartiles by the "inclusive" method = linear interpolation (Hyndman & Fan type 7)
    iqr = lambda x: np.subtract(*statistics.quantiles(x, n=4, method="inclusive")[::-2])  # noqa: E731
    cv = lambda x: statistics.stdev(x) / statistics.fmean(x)  # noqa: E731
    expected = {"dispersion_sd": statistics.stdev, "dispersion_iqr": iqr, "dispersion_cv": cv}
    for test, f in expected.items():
        row = _row(frame, test)
        assert row["statistic"] == pytest.approx(f(cur))
        assert row["effect"] == pytest.approx(f(cur) - f(prev))
        assert math.isnan(row["p_value"]) and row["n"] == 6
    # hand check of one: sorted cur 70 73 74 78 80 86 -> Q1 = 73.25, Q3 = 79.5
    assert _row(frame, "dispersion_iqr")["statistic"] == pytest.approx(6.25)


def test_beta_convergence_against_polyfit():
    rng = np.random.default_rng(2)
    prev = rng.uniform(55, 95, 40)
    cur = prev + 10 - 0.15 * (prev - 55) + rng.normal(0, 2, 40)
    row = _row(index_change_tests(_series(cur), _series(prev), alpha=0.1), "beta_convergence")
    d = cur - prev
    slope, intercept = np.polyfit(prev, d, 1)
    residuals = d - (intercept + slope * prev)
    se = math.sqrt(residuals @ residuals / 38 / np.sum((prev - prev.mean()) ** 2))
    assert row["statistic"] == pytest.approx(slope) and row["effect"] == pytest.approx(slope)
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(abs(slope / se), 38))
    half = stats.t.ppf(0.95, 38) * se
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((slope - half, slope + half))
    assert row["statistic"] < 0 and row["n"] == 40


def test_pairs_matched_by_unit_id_and_nan_dropped():
    cur = _series(SLEEP_2 + [np.nan, 50.0])
    prev = _series(SLEEP_1 + [3.0, np.nan])
    shuffled = prev.iloc[np.random.default_rng(0).permutation(len(prev))]
    a = index_change_tests(cur, shuffled)
    b = index_change_tests(_series(SLEEP_2), _series(SLEEP_1))
    paired = ["beta_convergence", "paired_t", "wilcoxon_signed_rank"]
    pd.testing.assert_frame_equal(a[a["test"].isin(paired)], b[b["test"].isin(paired)])
    assert _row(a, "pitman_morgan")["n"] == 10


def test_too_few_pairs_give_nan_rows():
    frame = index_change_tests(_series([80.0, 82.0]), _series([79.0, 85.0]))
    assert frame["test"].tolist() == TESTS
    assert frame[["statistic", "p_value", "effect", "ci_low", "ci_high"]].isna().all().all()
    assert frame["n"].tolist() == [2, 2, 2, 2, 2, 2, 2]
    empty = index_change_tests(pd.Series(dtype=float), pd.Series(dtype=float))
    assert empty["statistic"].isna().all() and (empty["n"] == 0).all()


def test_duplicated_unit_id_rejected():
    with pytest.raises(ValueError):
        index_change_tests(pd.Series([1.0, 2.0, 3.0], index=["a", "a", "b"]), _series([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("n", [3, 5, 9, 13, 14, 30, 50, 51, 63, 200])
def test_written_out_formulas_give_scipy_and_statsmodels_figures_to_the_bit(n):
    """change.py writes the tests out on scipy.special (no scipy.stats or statsmodels import on
    a run's path); every figure must still be exactly theirs: the published tables do not move.
    Samples with ties, zeros, exact and asymptotic Wilcoxon branches, the permutation case."""
    from statsmodels.regression.linear_model import OLS
    from statsmodels.tools.tools import add_constant

    from analysis.stats import change

    def flat(v):
        return [u for x in v for u in flat(x)] if isinstance(v, tuple) else list(np.ravel(v))

    def same(a, b):   # equal to the bit (NaN where NaN)
        return np.array_equal(flat(a), flat(b), equal_nan=True)
    rng = np.random.default_rng(n)
    for case in range(40):
        prev = rng.normal(70, 8, n)
        cur = prev + rng.normal(rng.normal(0, 1), 3, n)
        if case % 4:   # published scores: rounded, so tied changes and some zero changes
            cur, prev = np.round(cur, case % 4 - 1), np.round(prev, case % 4 - 1)
        if case % 4 == 3:
            cur[: n // 3] = prev[: n // 3]
        d = cur - prev
        if case == 39:   # no unit moved
            cur, d = prev.copy(), np.zeros(n)
        t, ci = stats.ttest_rel(cur, prev), stats.ttest_rel(cur, prev).confidence_interval(0.9)
        assert same(change.paired_t(d, 0.1), (t.statistic, t.pvalue, (ci.low, ci.high)))
        with np.errstate(divide="ignore", invalid="ignore"):   # no change at all: z = 0/0
            w = stats.wilcoxon(cur, prev)
        assert same(change.signed_rank(d), (w.statistic, w.pvalue))
        if np.ptp(d) > 0:
            fit = OLS(d, add_constant(prev)).fit()
            assert same(change.slope_test(prev, d, 0.05), (fit.params[1], fit.pvalues[1], fit.conf_int(0.05)[1]))
            r = stats.pearsonr(cur + prev, cur - prev)
            assert same(change.pitman_morgan(cur, prev), (r.statistic, r.pvalue))
        for x in (cur, prev):
            assert same(change.quartile_range(x), stats.iqr(x))
            assert same(change.variation(x), stats.variation(x, ddof=1))
