"""Outlying values by the modified z-score (Iglewicz & Hoaglin 1993, *How to Detect and Handle
Outliers*, ASQC Quality Press, ch. 3).

    M_i = (x_i − median(x)) / (1.4826 · MAD),   MAD = median(|x_i − median(x)|)

1.4826 = 1/Φ⁻¹(0.75) makes 1.4826·MAD estimate the standard deviation of normal data (the
book writes the same score as 0.6745·(x_i − median)/MAD). A value is outlying when |M_i| > 3.5,
the book's recommended cut-off. Median and MAD are barely moved by the outliers themselves,
unlike the mean and standard deviation of an ordinary z-score. Missing values are ignored;
when MAD is 0 (more than half the values equal) the score is undefined: NaN, nothing flagged.
"""
from __future__ import annotations

import numpy as np

MAD_TO_SD = 1.4826
CUTOFF = 3.5


def robust_z(values) -> np.ndarray:
    """The modified z-score M_i of each value (NaN where the value is missing or MAD is 0)."""
    x = np.asarray(values, dtype=float)
    present = x[~np.isnan(x)]
    if not len(present):
        return np.full(x.shape, np.nan)
    median = np.median(present)
    mad = np.median(np.abs(present - median))
    if mad == 0:
        return np.full(x.shape, np.nan)
    return (x - median) / (MAD_TO_SD * mad)


def outlying(values, cutoff: float = CUTOFF) -> np.ndarray:
    """True where |M_i| > `cutoff` (3.5)."""
    z = robust_z(values)
    return np.abs(np.nan_to_num(z, nan=0.0)) > cutoff
