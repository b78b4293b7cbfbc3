import math

import numpy as np
import pandas as pd
import pytest

from analysis.stats.rank_intervals import bootstrap_rank_intervals


def slow_reference(x, n, n_boot, seed):
    """Loop over replicates: min-rank by counting strictly better units; percentile by hand."""
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    m = np.maximum(np.round(n), 1).astype(int)
    draws = np.random.default_rng(seed).binomial(m, x / n, size=(n_boot, x.size)) / m
    ranks = [[1 + sum(other > value for other in row) for value in row] for row in draws]

    def percentile(values, q):  # linear interpolation between order statistics (Hyndman & Fan type 7)
        ordered = sorted(values)
        h = (len(ordered) - 1) * q
        lo = math.floor(h)
        return ordered[lo] + (h - lo) * (ordered[min(lo + 1, len(ordered) - 1)] - ordered[lo])

    columns = list(zip(*ranks))
    return [percentile(c, 0.025) for c in columns], [percentile(c, 0.975) for c in columns]


@pytest.mark.parametrize("n_boot", [21, 301])
def test_matches_slow_loop(n_boot):
    x = [12, 30, 7.5, 40, 0.5, 60, 18, 9]
    n = [20, 50, 10.4, 80, 0.6, 90, 30, 16]  # effective sizes: drawn on rounded n (10, and at least 1)
    got = bootstrap_rank_intervals(list("abcdefgh"), x, n, n_boot=n_boot, seed=11)
    low, high = slow_reference(x, n, n_boot, 11)
    np.testing.assert_allclose(got["rank_low"], low, rtol=1e-12)
    np.testing.assert_allclose(got["rank_high"], high, rtol=1e-12)
    if n_boot == 21:  # (21 - 1) * 0.025 = 0.5: halfway between the two smallest ranks
        assert (got["rank_low"] % 1 == 0.5).any()


def test_clear_leader_is_first_and_contract_columns():
    units = [f"u{i:02d}" for i in range(20)]
    x = [50.0] * 19 + [990_000.0]
    n = [100.0] * 19 + [1_000_000.0]
    got = bootstrap_rank_intervals(units[::-1], x, n, n_boot=2000, seed=3, metric="satisfaction")
    assert list(got.columns) == ["unit_id", "metric", "rank", "rank_low", "rank_high"]
    assert got["unit_id"].tolist() == units  # sorted by unit_id
    leader = got[got["unit_id"] == "u00"].iloc[0]  # the last input, reversed order
    assert (leader["rank"], leader["rank_low"], leader["rank_high"]) == (1, 1.0, 1.0)
    assert (got["rank_low"] >= 2).sum() == 19


def test_equal_small_units_have_wide_intervals():
    got = bootstrap_rank_intervals(list("abcdefghij"), [5] * 10, [10] * 10, n_boot=2000, seed=5)
    assert (got["rank"] == 1).all()  # observed tie: everyone shares rank 1
    assert (got["rank_low"] <= 2).all() and (got["rank_high"] >= 8).all()


def test_observed_ranks_min_ties():
    got = bootstrap_rank_intervals(["a", "b", "c", "d"], [5, 8, 10, 2], [10, 10, 20, 10], n_boot=50, seed=1)
    assert got["rank"].tolist() == [2, 1, 2, 4]


def test_deterministic_with_seed():
    args = (["a", "b", "c"], [30, 33, 36], [60, 60, 60])
    first = bootstrap_rank_intervals(*args, n_boot=500, seed=42)
    pd.testing.assert_frame_equal(first, bootstrap_rank_intervals(*args, n_boot=500, seed=42))


def test_rejects_units_without_a_proportion():
    with pytest.raises(ValueError, match="b"):
        bootstrap_rank_intervals(["a", "b"], [1, 0], [2, 0], n_boot=10, seed=0)
    with pytest.raises(ValueError):
        bootstrap_rank_intervals(["a", "a"], [1, 1], [2, 2], n_boot=10, seed=0)
