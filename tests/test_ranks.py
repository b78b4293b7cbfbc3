"""Ranks from rounded values: float sums of the same decimal tie."""
import pandas as pd

from analysis.stats.ranks import min_rank, published


def test_float_sums_that_print_alike_share_the_smallest_rank():
    # five component points of two units, each published to 2 decimals, both totalling 92.52
    a = sum([17.39, 16.24, 21.29, 24.72, 12.88])
    b = sum([7.35, 5.71, 25.89, 15.82, 37.75])
    assert (a, b) == (92.51999999999998, 92.52000000000001)
    scores = pd.Series([a, 94.08, b, 90.0, 92.52], index=list("ABCDE"))
    assert scores.rank(method="min", ascending=False).tolist() == [4, 1, 2, 5, 3]  # the bug
    assert min_rank(scores).tolist() == [2, 1, 2, 5, 2]


def test_rounding_half_away_from_zero_on_the_printed_decimal():
    assert published(pd.Series([0.125, 2.675, -1.005, 92.515, float("nan")]), 2).tolist()[:4] == \
        [0.13, 2.68, -1.01, 92.52]
    # at the published 2 decimals 92.514999 is 92.51, not 92.52: a different score
    assert min_rank(pd.Series([92.514999, 92.515]), decimals=2).tolist() == [2, 1]
    assert min_rank(pd.Series([92.516, 92.524]), decimals=2).tolist() == [1, 1]
    # by default (9 decimals) only float noise ties: PAPI's 4-decimal points stay apart
    assert min_rank(pd.Series([92.516, 92.524])).tolist() == [2, 1]
    assert min_rank(pd.Series([38.0286 / 60 * 100, 38.0283 / 60 * 100])).tolist() == [1, 2]
    assert min_rank(pd.Series([1.0, float("nan")])).isna().tolist() == [False, True]
    assert min_rank(pd.Series([96.3691, 96.3749]), decimals=1).tolist() == [1, 1]
