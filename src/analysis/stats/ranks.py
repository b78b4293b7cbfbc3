"""Ranks as the authorities publish them: 1 = highest, ties share the smallest rank.

Ranks are taken from rounded values, so that two scores that are the same decimal (92.52 and
92.52) share a rank even when their float sums differ in the last bits (92.51999999999998 and
92.52000000000001). By default the rounding is to ``EXACT_DECIMALS`` (9) places: the exact
decimal of a sum of published figures, float noise removed, without merging scores that differ
at the precision an index publishes (PAPI totals to 4 decimals of points). Where the authority
ranks on a rounded figure, pass its precision (Decision 766 points: 2 decimals). Rounding is
half away from zero on the shortest decimal form of the float, as the report prints them
(``publication.formatting``).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

EXACT_DECIMALS = 9


def published(values: pd.Series, decimals: int = EXACT_DECIMALS) -> pd.Series:
    """The values rounded half away from zero to ``decimals`` places, as floats (NaN stays NaN)."""
    step = Decimal(1).scaleb(-decimals)

    def rounded(x):
        if pd.isna(x):
            return float("nan")
        return float(Decimal(repr(float(x))).quantize(step, rounding=ROUND_HALF_UP))

    return pd.Series([rounded(x) for x in values], index=values.index, dtype=float)


def min_rank(values: pd.Series, decimals: int = EXACT_DECIMALS) -> pd.Series:
    """Rank of the values rounded to ``decimals`` places (`published`): 1 = highest; ties
    share the smallest rank (1, 2, 2, 4); NaN stays unranked."""
    return published(values, decimals).rank(method="min", ascending=False).astype("Int64")
