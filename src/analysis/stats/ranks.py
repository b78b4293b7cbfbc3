"""Ranks as the authorities publish them: 1 = highest, ties share the smallest rank."""
from __future__ import annotations

import pandas as pd


def min_rank(values: pd.Series) -> pd.Series:
    """Rank with 1 = highest; ties share the smallest rank (1, 2, 2, 4); NaN stays unranked."""
    return values.rank(method="min", ascending=False).astype("Int64")
