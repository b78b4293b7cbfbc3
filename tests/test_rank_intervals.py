import math

import numpy as np
import pandas as pd
import pytest

from analysis.stats.rank_intervals import bootstrap_rank_intervals


def slow_reference(x, n, n_boot, seed, alpha=0.05):
    """Loop over replicates: Beta(x + 1/2, n - x + 1/2) draws, min-rank by counting strictly
    better units; order statistics below/above by hand; the joint level by trying every j/B."""
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    draws = np.random.default_rng(seed).beta(x + 0.5, n - x + 0.5, size=(n_boot, x.size))
    ranks = np.array([[1 + sum(other > value for other in row) for value in row] for row in draws])

    def bounds(gamma):  # numpy's "lower"/"higher": order statistics at floor/ceil of (B - 1) q
        ordered = np.sort(ranks, axis=0)
        return (ordered[math.floor((n_boot - 1) * gamma)],
                ordered[math.ceil((n_boot - 1) * (1 - gamma))])

    joint = max(j for j in range(int(alpha / 2 * n_boot) + 1)
                if np.mean(np.all((ranks >= bounds(j / n_boot)[0]) & (ranks <= bounds(j / n_boot)[1]), axis=1))
                >= 1 - alpha)
    return bounds(alpha / 2), bounds(joint / n_boot)


@pytest.mark.parametrize("n_boot", [40, 301])
def test_matches_slow_loop(n_boot):
    x = [12, 30, 7.5, 40, 0.5, 60, 18, 9]
    n = [20, 50, 10.4, 80, 0.6, 90, 30, 16]  # effective sizes are used as they are
    got = bootstrap_rank_intervals(list("abcdefgh"), x, n, n_boot=n_boot, seed=11)
    (low, high), (joint_low, joint_high) = slow_reference(x, n, n_boot, 11)
    np.testing.assert_array_equal(got["rank_low"], low)
    np.testing.assert_array_equal(got["rank_high"], high)
    np.testing.assert_array_equal(got["rank_low_joint"], joint_low)
    np.testing.assert_array_equal(got["rank_high_joint"], joint_high)
    assert (got["rank_low_joint"] <= got["rank_low"]).all() and (got["rank_high_joint"] >= got["rank_high"]).all()


def test_clear_leader_is_first_and_contract_columns():
    units = [f"u{i:02d}" for i in range(20)]
    x = [50.0] * 19 + [990_000.0]
    n = [100.0] * 19 + [1_000_000.0]
    got = bootstrap_rank_intervals(units[::-1], x, n, n_boot=2000, seed=3, metric="satisfaction")
    assert list(got.columns) == ["unit_id", "metric", "rank", "rank_low", "rank_high",
                                 "rank_low_joint", "rank_high_joint"]
    assert got["unit_id"].tolist() == units  # sorted by unit_id
    leader = got[got["unit_id"] == "u00"].iloc[0]  # the last input, reversed order
    assert (leader["rank"], leader["rank_low"], leader["rank_high"]) == (1, 1.0, 1.0)
    assert (got["rank_low"] >= 2).sum() == 19


def test_small_unit_at_100_percent_is_not_certain_of_first_place():
    """The issue's case: 7 ballots at 100% got [1, 1] from Binomial(7, 1) draws."""
    units = [f"u{i:02d}" for i in range(10)]
    x = [7.0] + [0.95 * 1000] * 8 + [6.0]
    n = [7.0] + [1000.0] * 8 + [7.0]
    got = bootstrap_rank_intervals(units, x, n, n_boot=4000, seed=8).set_index("unit_id")
    assert got.at["u00", "rank"] == 1 and got.at["u00", "rank_high"] >= 9
    # 6 of 7 (85.7%) is last, but Beta(6.5, 1.5) passes 95% in a fair share of draws
    assert got.at["u09", "rank"] == 10 and got.at["u09", "rank_low"] == 1


def test_observed_rank_ties_at_the_published_precision():
    # 0.96369 and 0.963690000001 print alike (96.37%): they share a rank
    got = bootstrap_rank_intervals(["a", "b", "c"], [96.369, 96.3690000001, 50.0], [100.0, 100.0, 100.0],
                                   n_boot=50, seed=1)
    assert got["rank"].tolist() == [1, 1, 3]


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
