import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.stats.gaps import WITHDRAWN, leader_laggard, row_gaps

# 8 units; by hand: k = ceil(0.25 * 8) = 2. Order (value desc, unit_id asc):
# B 95, G 95, A 90, E 85, C 80, H 75, F 70, D 60 -> top {B, G}, bottom {F, D}.
EIGHT = pd.Series(
    [90.0, 95.0, 80.0, 60.0, 85.0, 70.0, 95.0, 75.0], index=list("ABCDEFGH")
)

CONTRACT_KEYS = [
    "metric", "k", "leader_unit", "laggard_unit", "leader_value", "laggard_value",
    "top_mean", "bottom_mean", "gap", "gap_ci_low", "gap_ci_high", "welch_p",
    "mannwhitney_p", "cliffs_delta", "gap_prev", "gap_change", "gap_change_ci_low",
    "gap_change_ci_high", "gap_change_p",
]


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        a[key] == b[key] or (isinstance(a[key], float) and math.isnan(a[key]) and math.isnan(b[key]))
        for key in a
    )


def test_hand_worked_eight_units():
    row = leader_laggard(EIGHT, "index", n_boot=200)
    assert list(row)[: len(CONTRACT_KEYS)] == CONTRACT_KEYS
    assert row["n"] == 8 and row["k"] == 2
    assert row["leader_unit"] == "B"  # B and G tie at 95: unit_id ascending
    assert row["laggard_unit"] == "D"
    assert row["leader_value"] == 95.0 and row["laggard_value"] == 60.0
    assert row["top_mean"] == 95.0
    assert row["bottom_mean"] == 65.0
    assert row["gap"] == 30.0
    # tests between groups chosen by the outcome are withdrawn: the columns stay, empty
    assert all(math.isnan(row[key]) for key in WITHDRAWN)
    assert math.isnan(row["gap_prev"]) and math.isnan(row["gap_change_p"])


def test_ties_broken_by_unit_id():
    # five units share the top value and k = 2: the two smallest unit_ids lead
    values = pd.Series([5.0, 5.0, 5.0, 5.0, 5.0, 1.0, 1.0, 0.0], index=["z", "b", "y", "a", "c", "m", "k", "q"])
    row = leader_laggard(values, "index", n_boot=10)
    assert row["leader_unit"] == "a"
    assert row["laggard_unit"] == "q"
    # bottom = last two: m (1.0, after k) and q (0.0)
    assert row["bottom_mean"] == 0.5
    tied_last = pd.Series([3.0, 1.0, 1.0, 1.0], index=["x", "p", "b", "n"])
    assert leader_laggard(tied_last, "index", n_boot=10)["laggard_unit"] == "p"


def test_nan_values_are_left_out():
    with_nan = pd.concat([EIGHT, pd.Series([np.nan, np.nan], index=["I", "J"])])
    assert _same(leader_laggard(with_nan, "index", n_boot=100), leader_laggard(EIGHT, "index", n_boot=100))


def test_bootstrap_is_deterministic_with_seed():
    values = pd.Series(np.random.default_rng(0).gamma(2.0, 5.0, 12), index=[f"u{i:02d}" for i in range(12)])
    a = leader_laggard(values, "index", n_boot=500, seed=7)
    b = leader_laggard(values, "index", n_boot=500, seed=7)
    c = leader_laggard(values, "index", n_boot=500, seed=8)
    assert (a["gap_ci_low"], a["gap_ci_high"]) == (b["gap_ci_low"], b["gap_ci_high"])
    assert (a["gap_ci_low"], a["gap_ci_high"]) != (c["gap_ci_low"], c["gap_ci_high"])


def _gap_statistic(x, axis=-1):
    """Top-k mean minus bottom-k mean along ``axis``, k = ceil(0.25 n), written out for scipy."""
    x = np.sort(np.moveaxis(np.asarray(x, dtype=float), axis, -1), axis=-1)
    k = math.ceil(0.25 * x.shape[-1])
    return x[..., -k:].mean(axis=-1) - x[..., :k].mean(axis=-1)


@pytest.mark.parametrize("seed", [3, 4])
def test_bca_interval_matches_scipy(seed):
    # scipy draws its resamples as rng.integers(0, n, (B, n)), the same draws as ours
    values = pd.Series(np.random.default_rng(seed).gamma(2.0, 5.0, 30), index=[f"u{i:02d}" for i in range(30)])
    ordered = values.sort_index().sort_values(ascending=False, kind="stable").to_numpy()
    row = leader_laggard(values, "index", n_boot=2000, seed=seed, alpha=0.1)
    ref = stats.bootstrap((ordered,), _gap_statistic, n_resamples=2000, method="BCa",
                          confidence_level=0.9, rng=np.random.default_rng(seed), vectorized=True)
    assert row["gap"] == pytest.approx(_gap_statistic(ordered))
    assert row["gap_ci_low"] == pytest.approx(ref.confidence_interval.low, rel=1e-12)
    assert row["gap_ci_high"] == pytest.approx(ref.confidence_interval.high, rel=1e-12)


def test_row_gaps_by_hand():
    rows = np.array([[1.0, 5.0, 3.0, np.nan, 2.0], [4.0, np.nan, np.nan, np.nan, np.nan]])
    # row 0: values 1, 2, 3, 5 -> k = 1: 5 - 1; row 1: one value -> NaN
    got = row_gaps(rows, 0.25)
    assert got[0] == 4.0 and math.isnan(got[1])
    # 6 values, k = ceil(0.5 * 6) = 3: (6+5+4)/3 - (1+2+3)/3 = 3
    assert row_gaps(np.arange(1.0, 7.0), 0.5)[0] == 3.0


def test_bootstrap_ci_contains_gap_for_separated_data():
    rng = np.random.default_rng(11)
    values = pd.Series(
        np.concatenate([rng.normal(90, 1, 20), rng.normal(60, 1, 20)]),
        index=[f"u{i:02d}" for i in range(40)],
    )
    row = leader_laggard(values, "index", n_boot=2000)
    assert row["gap_ci_low"] < row["gap"] < row["gap_ci_high"]
    assert row["gap_ci_low"] > 20


def test_bootstrap_is_fast_enough():
    import time

    values = pd.Series(np.random.default_rng(0).normal(size=100), index=[f"u{i:03d}" for i in range(100)])
    start = time.perf_counter()
    leader_laggard(values, "index", n_boot=10000, previous=values * 0.9)
    assert time.perf_counter() - start < 1.0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 20), min_size=2, max_size=15),
    st.randoms(use_true_random=False),
)
def test_result_does_not_depend_on_input_order(values, random):
    ids = [f"u{i:02d}" for i in range(len(values))]
    series = pd.Series([float(v) for v in values], index=ids)
    previous = series.iloc[::-1].set_axis(ids) + 1.0
    order = list(range(len(ids)))
    random.shuffle(order)
    shuffled, prev_shuffled = series.iloc[order], previous.iloc[order[::-1]]
    a = leader_laggard(series, "index", n_boot=200, previous=previous)
    b = leader_laggard(shuffled, "index", n_boot=200, previous=prev_shuffled)
    assert _same(a, b)


def test_gap_change_hand_worked_and_union_bootstrap():
    previous = pd.Series([80.0, 82.0, 70.0, 65.0, 78.0, 72.0, 88.0, 60.0, 99.0], index=list("ABCDEFGHZ"))
    # previous order: Z 99, G 88, B 82, A 80, E 78, F 72, C 70, D 65, H 60; k = ceil(9/4) = 3
    row = leader_laggard(EIGHT, "index", n_boot=400, seed=5, previous=previous, alpha=0.1)
    assert row["gap_prev"] == pytest.approx((99 + 88 + 82) / 3 - (70 + 65 + 60) / 3)
    assert row["gap_change"] == pytest.approx(30.0 - row["gap_prev"])
    # loop reference: draw from the union A..H, Z; each year keeps its drawn units with a value
    union = sorted(set(EIGHT.index) | set(previous.index))
    rng = np.random.default_rng(5)
    rng.integers(0, 8, size=(400, 8))  # the gap replicates come first
    draws = rng.integers(0, len(union), size=(400, len(union)))

    def gap(values):
        values = np.sort(values)[::-1]
        k = math.ceil(0.25 * len(values))
        return values[:k].mean() - values[-k:].mean() if len(values) >= 2 else np.nan

    diffs = np.array([gap([EIGHT[union[i]] for i in d if union[i] in EIGHT])
                      - gap([previous[union[i]] for i in d]) for d in draws])
    assert row["gap_change_p"] == pytest.approx(min(1, 2 * min((diffs <= 0).mean(), (diffs >= 0).mean())))
    assert row["gap_change_ci_low"] <= row["gap_change"] <= row["gap_change_ci_high"]
    # BCa written out: z0, acceleration from leaving each union unit out of both years
    z0 = stats.norm.ppf(((diffs < row["gap_change"]).sum() + (diffs <= row["gap_change"]).sum()) / 800)
    jack = np.array([gap([EIGHT[u] for u in union if u != out and u in EIGHT])
                     - gap([previous[u] for u in union if u != out]) for out in union])
    dev = jack.mean() - jack
    a = (dev**3).sum() / (6 * ((dev**2).sum()) ** 1.5)
    for q, key in ((0.05, "gap_change_ci_low"), (0.95, "gap_change_ci_high")):
        zq = z0 + stats.norm.ppf(q)
        assert row[key] == pytest.approx(np.quantile(diffs, stats.norm.cdf(z0 + zq / (1 - a * zq))))


def test_constructed_panel_interval_contains_gap_change():
    """40 units identical in both years and 5 new low units: the issue's panel. Over the
    common units alone the change is 0 with interval [0, 0]; over the union it is not."""
    common = pd.Series(np.linspace(70.0, 89.5, 40), index=[f"u{i:02d}" for i in range(40)])
    # gap_prev = mean(top 10) - mean(bottom 10) = 15; with 5 new units at L, k = 12:
    # gap = mean(top 12) - (5 L + sum of the 7 lowest) / 12; L chosen so the change is 8.07
    top12, low7 = np.sort(common)[-12:].mean(), np.sort(common)[:7].sum()
    new_low = (12 * (top12 - 15.0 - 8.07) - low7) / 5
    current = pd.concat([common, pd.Series(new_low, index=[f"n{i}" for i in range(5)])])
    row = leader_laggard(current, "index", n_boot=10000, seed=1, previous=common)
    assert row["gap_prev"] == pytest.approx(15.0)
    assert row["gap_change"] == pytest.approx(8.07)
    assert row["gap_change_ci_low"] < 8.07 < row["gap_change_ci_high"]
    assert row["gap_change_ci_low"] > 0
    assert row["gap_change_p_below"] is False and 0 < row["gap_change_p"] < 0.05


def test_p_value_below_one_over_b_is_the_bound_never_zero():
    ids = [f"u{i:02d}" for i in range(20)]
    previous = pd.Series(80.0, index=ids)  # every previous gap is 0
    current = pd.Series(np.linspace(60.0, 100.0, 20), index=ids)
    row = leader_laggard(current, "index", n_boot=1000, seed=2, previous=previous)
    assert row["gap_change_p_below"] is True and row["gap_change_p"] == 1 / 1000


def test_units_fixed_interval_and_heterogeneity_with_counts():
    from statsmodels.stats.meta_analysis import combine_effects

    counts = pd.DataFrame({"x": [45.0, 80.0, 18.0, 150.0, 60.0, 20.0],
                           "n": [50.0, 100.0, 30.0, 200.0, 60.0, 25.0]}, index=list("abcdef"))
    values = 100 * counts["x"] / counts["n"]
    row = leader_laggard(values, "satisfaction", n_boot=3000, seed=9, counts=counts)
    # units-fixed draws: third use of the generator, after the gap replicates
    rng = np.random.default_rng(9)
    rng.integers(0, 6, size=(3000, 6))
    order = values.sort_index().sort_values(ascending=False, kind="stable").index
    x, n = counts.loc[order, "x"].to_numpy(), counts.loc[order, "n"].to_numpy()
    draws = 100 * rng.beta(x + 0.5, n - x + 0.5, size=(3000, 6))
    low, high = np.quantile([_gap_statistic(d) for d in draws], [0.025, 0.975])
    assert (row["gap_fixed_ci_low"], row["gap_fixed_ci_high"]) == pytest.approx((low, high))
    # heterogeneity against statsmodels, variances 100² p~(1 - p~)/n, p~ = (x + 1/2)/(n + 1)
    smooth = (x + 0.5) / (n + 1)
    v = 100**2 * smooth * (1 - smooth) / n
    y = 100 * x / n
    pm = combine_effects(y, v, method_re="pm")
    dl = combine_effects(y, v, method_re="dl")
    assert row["q"] == pytest.approx(pm.q) and row["i2"] == pytest.approx(pm.i2)
    assert row["tau"] == pytest.approx(math.sqrt(pm.tau2), rel=1e-4)
    assert row["tau_dl"] == pytest.approx(math.sqrt(dl.tau2))
    assert row["tau_ci_low"] <= row["tau"] <= row["tau_ci_high"]


def test_small_samples_give_nan_not_errors():
    one = leader_laggard(pd.Series([5.0], index=["a"]), "index", n_boot=10)
    assert one["n"] == 1 and one["leader_unit"] is None
    assert all(math.isnan(one[key]) for key in CONTRACT_KEYS[4:])
    empty = leader_laggard(pd.Series([], dtype=float), "index", n_boot=10)
    assert empty["n"] == 0 and math.isnan(empty["gap"])
    three = leader_laggard(pd.Series([3.0, 1.0, 2.0], index=["a", "b", "c"]), "index", n_boot=10)
    assert three["k"] == 1 and three["gap"] == 2.0
    two = leader_laggard(pd.Series([3.0, 1.0], index=["a", "b"]), "index", n_boot=10,
                         previous=pd.Series([1.0], index=["a"]))
    assert two["gap"] == 2.0 and math.isnan(two["gap_change"])  # one previous value: no change


def test_rejects_bad_share_and_duplicate_ids():
    with pytest.raises(ValueError):
        leader_laggard(EIGHT, "index", share=0.6)
    with pytest.raises(ValueError):
        leader_laggard(pd.Series([1.0, 2.0], index=["a", "a"]), "index")
