import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.stats.gaps import cliffs_delta, leader_laggard

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
    # every top value beats every bottom value
    assert row["cliffs_delta"] == 1.0
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


def test_welch_against_formula():
    values = pd.Series(np.arange(20, dtype=float) ** 1.5, index=[f"u{i:02d}" for i in range(20)])
    row = leader_laggard(values, "index", n_boot=10)
    ordered = np.sort(values.to_numpy())[::-1]
    top, bottom = ordered[:5], ordered[-5:]
    va, vb = top.var(ddof=1) / 5, bottom.var(ddof=1) / 5
    t = (top.mean() - bottom.mean()) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / 4 + vb**2 / 4)  # Welch–Satterthwaite
    assert row["welch_p"] == pytest.approx(2 * stats.t.sf(abs(t), df), rel=1e-10)


def _exact_mann_whitney_p(a, b):
    """Two-sided exact p by enumerating every split of the pooled values (no ties)."""
    pooled = np.concatenate([a, b])
    u = lambda x, y: sum(xi > yi for xi in x for yi in y)  # noqa: E731
    null = np.array([
        u(pooled[list(idx)], np.delete(pooled, list(idx)))
        for idx in itertools.combinations(range(len(pooled)), len(a))
    ])
    u_obs = u(a, b)
    return min(1.0, 2 * min(np.mean(null <= u_obs), np.mean(null >= u_obs)))


@pytest.mark.parametrize("n", [12, 16])
def test_mannwhitney_against_brute_force_permutation(n):
    values = pd.Series(np.random.default_rng(n).permutation(n) * 1.5, index=[f"u{i:02d}" for i in range(n)])
    row = leader_laggard(values, "index", n_boot=10)
    ordered = np.sort(values.to_numpy())[::-1]
    k = row["k"]
    assert row["mannwhitney_p"] == pytest.approx(_exact_mann_whitney_p(ordered[:k], ordered[-k:]))
    # top beats bottom in every pair, so p = 2 / C(2k, k): 0.1 for k = 3, 2/70 for k = 4
    assert row["mannwhitney_p"] == pytest.approx(2 / math.comb(2 * k, k))


def test_cliffs_delta_hand_worked():
    # pairs (a, b): 3>1, 3>2, 3=3 | 5>1, 5>2, 5>3 | 2>1, 2=2, 2<3  -> (6 - 1) / 9
    assert cliffs_delta([3, 5, 2], [1, 2, 3]) == pytest.approx(5 / 9)
    assert cliffs_delta([1, 2], [3, 4]) == -1.0
    assert math.isnan(cliffs_delta([], [1.0]))


@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=12),
    st.lists(st.integers(0, 6), min_size=1, max_size=12),
)
def test_cliffs_delta_equals_rescaled_mann_whitney_u(a, b):
    # scipy's U counts ties as 1/2, so delta = 2 U / (n_a n_b) - 1
    u = stats.mannwhitneyu(a, b).statistic
    assert cliffs_delta(a, b) == pytest.approx(2 * u / (len(a) * len(b)) - 1)


def test_bootstrap_is_deterministic_with_seed():
    a = leader_laggard(EIGHT, "index", n_boot=500, seed=7)
    b = leader_laggard(EIGHT, "index", n_boot=500, seed=7)
    c = leader_laggard(EIGHT, "index", n_boot=500, seed=8)
    assert (a["gap_ci_low"], a["gap_ci_high"]) == (b["gap_ci_low"], b["gap_ci_high"])
    assert (a["gap_ci_low"], a["gap_ci_high"]) != (c["gap_ci_low"], c["gap_ci_high"])


def test_bootstrap_against_loop_reference():
    # second route: loop over replicates, re-rank with pandas by (value desc, unit_id asc)
    n_boot = 300
    row = leader_laggard(EIGHT, "index", n_boot=n_boot, seed=3, alpha=0.1)
    ordered = EIGHT.sort_index().sort_values(ascending=False, kind="stable")
    draws = np.random.default_rng(3).integers(0, 8, size=(n_boot, 8))
    gaps = []
    for d in draws:
        sample = ordered.iloc[d]
        frame = pd.DataFrame({"unit": sample.index, "v": sample.to_numpy()})
        ranked = frame.sort_values(["v", "unit"], ascending=[False, True])["v"].to_numpy()
        gaps.append(ranked[:2].mean() - ranked[-2:].mean())
    low, high = np.percentile(gaps, [5, 95])
    assert row["gap_ci_low"] == pytest.approx(low) and row["gap_ci_high"] == pytest.approx(high)


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


def test_gap_change_hand_worked_and_paired_bootstrap():
    previous = pd.Series([80.0, 82.0, 70.0, 65.0, 78.0, 72.0, 88.0, 60.0], index=list("ABCDEFGH"))
    # previous order: G 88, B 82, A 80, E 78, F 72, C 70, D 65, H 60 -> gap (88+82)/2 - (65+60)/2
    row = leader_laggard(EIGHT, "index", n_boot=400, seed=5, previous=previous)
    assert row["gap_prev"] == pytest.approx(85.0 - 62.5)
    assert row["gap_change"] == pytest.approx(30.0 - 22.5)
    # loop reference: same draws for both years, each year ranked on its own
    ids = sorted(EIGHT.index)
    rng = np.random.default_rng(5)
    rng.integers(0, 8, size=(400, 8))  # the gap replicates come first
    draws = rng.integers(0, 8, size=(400, 8))
    diffs = []
    for d in draws:
        chosen = [ids[i] for i in d]
        now = np.sort(EIGHT[chosen].to_numpy())[::-1]
        before = np.sort(previous[chosen].to_numpy())[::-1]
        diffs.append((now[:2].mean() - now[-2:].mean()) - (before[:2].mean() - before[-2:].mean()))
    diffs = np.array(diffs)
    low, high = np.percentile(diffs, [2.5, 97.5])
    assert row["gap_change_ci_low"] == pytest.approx(low)
    assert row["gap_change_ci_high"] == pytest.approx(high)
    assert row["gap_change_p"] == pytest.approx(min(1, 2 * min((diffs <= 0).mean(), (diffs >= 0).mean())))


def test_gap_change_needs_two_k_common_units():
    previous = pd.Series([1.0, 2.0, 3.0], index=["A", "B", "Z"])  # 2 common < 2k = 4
    row = leader_laggard(EIGHT, "index", n_boot=50, previous=previous)
    assert all(math.isnan(row[key]) for key in CONTRACT_KEYS[-5:])
    assert row["gap"] == 30.0


def test_small_samples_give_nan_not_errors():
    one = leader_laggard(pd.Series([5.0], index=["a"]), "index", n_boot=10)
    assert one["n"] == 1 and one["leader_unit"] is None
    assert all(math.isnan(one[key]) for key in CONTRACT_KEYS[4:])
    empty = leader_laggard(pd.Series([], dtype=float), "index", n_boot=10)
    assert empty["n"] == 0 and math.isnan(empty["gap"])
    three = leader_laggard(pd.Series([3.0, 1.0, 2.0], index=["a", "b", "c"]), "index", n_boot=10)
    assert three["k"] == 1 and three["gap"] == 2.0
    assert math.isnan(three["welch_p"])  # undefined with one unit per group
    assert three["mannwhitney_p"] == 1.0  # exact: U = 1 of 1, two-sided p = 2 * 1/2


def test_rejects_bad_share_and_duplicate_ids():
    with pytest.raises(ValueError):
        leader_laggard(EIGHT, "index", share=0.6)
    with pytest.raises(ValueError):
        leader_laggard(pd.Series([1.0, 2.0], index=["a", "a"]), "index")
