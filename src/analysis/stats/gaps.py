"""Leader versus laggard: the gap between the top and the bottom units (one row of gaps.csv).

Order of units: value descending, ties broken by ``unit_id`` ascending (code-point order).
With ``n`` units, ``k = ceil(share * n)``; top = the first ``k``, bottom = the last ``k``;
leader = the first unit, laggard = the last; ``gap = mean(top) - mean(bottom)``.

Uncertainty:
- ``gap_ci_*``: percentile bootstrap over units (Efron & Tibshirani 1993, ch. 13): resample
  ``n`` units with replacement, re-rank, recompute the gap; percentiles ``alpha/2`` and
  ``1 - alpha/2`` of the replicates (``numpy.quantile``, linear interpolation).
- ``welch_p``: Welch's t test, top versus bottom (``scipy.stats.ttest_ind(equal_var=False)``).
- ``mannwhitney_p``: Mann–Whitney U, two-sided (``scipy.stats.mannwhitneyu``).
- ``cliffs_delta``: Cliff (1993), top versus bottom.
- ``gap_change_*``: ``gap_change = gap - gap_prev`` (each year over all its units); interval
  and p-value from a paired bootstrap over the units present in both years.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats

_STATISTICS = (
    "leader_value", "laggard_value", "top_mean", "bottom_mean", "gap", "gap_ci_low", "gap_ci_high",
    "welch_p", "mannwhitney_p", "cliffs_delta",
    "gap_prev", "gap_change", "gap_change_ci_low", "gap_change_ci_high", "gap_change_p",
)


def cliffs_delta(a, b) -> float:
    """Cliff's delta: P(A > B) - P(A < B) over all pairs (Cliff 1993, Psychol. Bull. 114:494).

    Counted over the pairs directly; neither scipy nor statsmodels provides it. NaN if either
    sample is empty.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.size == 0 or b.size == 0:
        return math.nan
    return float(np.sign(a[:, None] - b[None, :]).mean())


def _ranked(values: pd.Series) -> pd.Series:
    """The non-NaN values as floats indexed by str unit_id, value descending, unit_id ascending."""
    s = pd.Series(values.to_numpy(dtype=float, na_value=np.nan), index=values.index.astype(str))
    if s.index.has_duplicates:
        raise ValueError(f"duplicated unit_id: {sorted(set(s.index[s.index.duplicated()]))}")
    return s.dropna().sort_index().sort_values(ascending=False, kind="stable")


def _gap(ordered: np.ndarray, k: int) -> float:
    return float(ordered[:k].mean() - ordered[-k:].mean())


def _boot_gaps(ordered: np.ndarray, positions: np.ndarray, k: int) -> np.ndarray:
    """Gap of each bootstrap replicate.

    ``positions`` (replicates x units) index ``ordered`` (the values in the documented order);
    sorting a row of positions re-ranks the replicate by the same rule, duplicates adjacent.
    """
    v = ordered[np.sort(positions, axis=1)]
    return v[:, :k].mean(axis=1) - v[:, -k:].mean(axis=1)


def _welch_p(top: np.ndarray, bottom: np.ndarray) -> float:
    """Welch's p-value; NaN for one-unit groups (no variance).

    A group of tied values is legitimate here (e.g. several units at 100%): scipy's
    precision-loss warning for it is silenced; scipy then returns p = 0 (t = inf) when both
    groups are constant and differ, NaN when all values are equal.
    """
    if len(top) < 2:
        return math.nan
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Precision loss", category=RuntimeWarning)
        return float(stats.ttest_ind(top, bottom, equal_var=False).pvalue)


def _percentiles(replicates: np.ndarray, alpha: float) -> tuple[float, float]:
    low, high = np.quantile(replicates, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def leader_laggard(
    values: pd.Series,
    metric: str,
    share: float = 0.25,
    n_boot: int = 10000,
    seed: int = 0,
    alpha: float = 0.05,
    previous: pd.Series | None = None,
) -> dict:
    """One row of gaps.csv for ``values`` (indexed by unit_id; NaN values are left out).

    Returns a dict with the contract's columns in order (``metric, k, leader_unit,
    laggard_unit, leader_value, laggard_value, top_mean, bottom_mean, gap, gap_ci_low,
    gap_ci_high, welch_p, mannwhitney_p, cliffs_delta, gap_prev, gap_change,
    gap_change_ci_low, gap_change_ci_high, gap_change_p``), then ``n`` (units with a value).

    - ``n < 2``: every statistic NaN, units None.
    - ``k = 1``: ``welch_p`` NaN (a one-unit group has no variance).
    - Change fields NaN when ``previous`` is None or fewer than ``2k`` units are common to
      both years. ``gap_prev`` uses every unit with a previous value; the paired bootstrap
      resamples the ``m`` common units (same draws for both years), ranks each year
      separately with ``k_m = ceil(share * m)`` and takes the difference of the two gaps. ``gap_change_p = min(1, 2 min(P*(d <= 0), P*(d >= 0)))``.
    - One generator ``default_rng(seed)`` draws the gap replicates, then the change replicates.

    Raises ValueError if ``share`` is outside (0, 0.5] or a unit_id repeats.
    """
    if not 0 < share <= 0.5:
        raise ValueError(f"share must be in (0, 0.5], got {share}")
    current = _ranked(values)
    n = len(current)
    k = math.ceil(share * n)
    row = {"metric": metric, "k": k, "leader_unit": None, "laggard_unit": None}
    row |= dict.fromkeys(_STATISTICS, math.nan) | {"n": n}
    if n < 2:
        return row

    ordered = current.to_numpy()
    top, bottom = ordered[:k], ordered[-k:]
    rng = np.random.default_rng(seed)
    boot = _boot_gaps(ordered, rng.integers(0, n, size=(n_boot, n)), k)
    row |= {
        "leader_unit": current.index[0],
        "laggard_unit": current.index[-1],
        "leader_value": float(ordered[0]),
        "laggard_value": float(ordered[-1]),
        "top_mean": float(top.mean()),
        "bottom_mean": float(bottom.mean()),
        "gap": _gap(ordered, k),
        "welch_p": _welch_p(top, bottom),
        "mannwhitney_p": float(stats.mannwhitneyu(top, bottom, alternative="two-sided").pvalue),
        "cliffs_delta": cliffs_delta(top, bottom),
    }
    row["gap_ci_low"], row["gap_ci_high"] = _percentiles(boot, alpha)

    if previous is None:
        return row
    prev = _ranked(previous)
    common = current.index.intersection(prev.index).sort_values()
    m = len(common)
    if m < 2 * k:
        return row
    row["gap_prev"] = _gap(prev.to_numpy(), math.ceil(share * len(prev)))
    row["gap_change"] = row["gap"] - row["gap_prev"]

    k_m = math.ceil(share * m)
    cur_m, prev_m = current[current.index.isin(common)], prev[prev.index.isin(common)]
    # position of each common unit (in unit_id order) within each year's ranking
    cur_pos = pd.Series(np.arange(m), index=cur_m.index)[common].to_numpy()
    prev_pos = pd.Series(np.arange(m), index=prev_m.index)[common].to_numpy()
    draws = rng.integers(0, m, size=(n_boot, m))
    diff = (_boot_gaps(cur_m.to_numpy(), cur_pos[draws], k_m)
            - _boot_gaps(prev_m.to_numpy(), prev_pos[draws], k_m))
    row["gap_change_ci_low"], row["gap_change_ci_high"] = _percentiles(diff, alpha)
    row["gap_change_p"] = float(min(1.0, 2 * min(np.mean(diff <= 0), np.mean(diff >= 0))))
    return row
