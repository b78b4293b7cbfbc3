"""Leader versus laggard: the gap between the top and the bottom units (one row of gaps.csv).

Order of units: value descending, ties broken by ``unit_id`` ascending (code-point order).
With ``n`` units, ``k = ceil(share * n)``; top = the first ``k``, bottom = the last ``k``;
leader = the first unit, laggard = the last; ``gap = mean(top) - mean(bottom)``.

The top and bottom groups are chosen by the outcome itself, so a test between them (Welch,
Mann–Whitney, Cliff's δ) answers no question: on pure noise it always "finds" a difference.
Those columns stay in the table, empty (contract 1.1). What is reported instead:

- ``gap_ci_*``: BCa bootstrap over units (Efron 1987, JASA 82:171; Efron & Tibshirani 1993,
  ch. 14): resample ``n`` units with replacement, re-rank, recompute the gap (k from the
  resample's size); bias correction z0 = Φ⁻¹((#{g* < g} + #{g* ≤ g}) / 2B), acceleration
  a = Σ(ḡ − g₍ᵢ₎)³ / (6 [Σ(ḡ − g₍ᵢ₎)²]^{3/2}) from the leave-one-unit-out gaps g₍ᵢ₎; bounds
  at the quantiles Φ(z0 + (z0 + z_q)/(1 − a(z0 + z_q))) of the replicates (linear
  interpolation). This is an interval *over units*: how much the gap would move with another
  set of units like these, not the sampling error of these units' figures.
- ``gap_fixed_ci_*`` (only with counts, i.e. satisfaction): units fixed, each unit's
  proportion drawn from Beta(x + ½, n − x + ½) (Jeffreys posterior), re-ranked, the gap
  recomputed; percentile interval: the sampling error of these units' own figures.
- Heterogeneity (only with counts): Cochran's Q, its p, I², τ with a Q-profile interval
  (``analysis.stats.heterogeneity``), on the values with variances 100²·p̃(1 − p̃)/n,
  p̃ = (x + ½)/(n + 1) (never 0 at p = 0 or 1).
- ``gap_change = gap - gap_prev``, each year over all its units. Its interval is a BCa
  bootstrap over the union of the two years' units: a replicate draws units from the union;
  each year's gap is computed on the drawn units that have a value that year (k from their
  count); the jackknife leaves one unit of the union out. ``gap_change_p =
  min(1, 2 min(P*(d ≤ 0), P*(d ≥ 0)))`` over the replicates; when no replicate falls on the
  other side of 0 it is reported as below 1/B: ``gap_change_p`` = 1/B and
  ``gap_change_p_below`` true.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from analysis.stats.heterogeneity import FIELDS, heterogeneity

WITHDRAWN = ("welch_p", "mannwhitney_p", "cliffs_delta")
_STATISTICS = (
    "leader_value", "laggard_value", "top_mean", "bottom_mean", "gap", "gap_ci_low", "gap_ci_high",
    *WITHDRAWN, "gap_prev", "gap_change", "gap_change_ci_low", "gap_change_ci_high", "gap_change_p",
    "gap_fixed_ci_low", "gap_fixed_ci_high", *FIELDS,
)


def _ranked(values: pd.Series) -> pd.Series:
    """The non-NaN values as floats indexed by str unit_id, value descending, unit_id ascending."""
    s = pd.Series(values.to_numpy(dtype=float, na_value=np.nan), index=values.index.astype(str))
    if s.index.has_duplicates:
        raise ValueError(f"duplicated unit_id: {sorted(set(s.index[s.index.duplicated()]))}")
    return s.dropna().sort_index().sort_values(ascending=False, kind="stable")


def row_gaps(rows: np.ndarray, share: float) -> np.ndarray:
    """Gap of each row of ``rows`` (NaN = no unit): over its c values, k = ceil(share·c),
    mean of the k largest − mean of the k smallest; NaN for rows with fewer than 2 values."""
    rows = np.atleast_2d(rows)
    ordered = np.sort(rows, axis=1)  # ascending, NaN last
    count = np.sum(~np.isnan(rows), axis=1)
    k = np.ceil(share * count).astype(np.int64)
    cum = np.concatenate([np.zeros((len(rows), 1)), np.cumsum(np.nan_to_num(ordered), axis=1)], axis=1)
    at = np.arange(len(rows))
    with np.errstate(invalid="ignore", divide="ignore"):
        bottom = cum[at, k] / k
        top = (cum[at, count] - cum[at, count - k]) / k
    return np.where(count >= 2, top - bottom, np.nan)


def bca_interval(replicates: np.ndarray, estimate: float, jackknife: np.ndarray,
                 alpha: float) -> tuple[float, float]:
    """BCa bounds (see the module docstring); NaN replicates and jackknife values are left
    out (a = 0 without a jackknife spread)."""
    reps = replicates[np.isfinite(replicates)]
    if reps.size == 0:
        return math.nan, math.nan
    z0 = ndtri((np.sum(reps < estimate) + np.sum(reps <= estimate)) / (2 * reps.size))
    jackknife = jackknife[np.isfinite(jackknife)]
    dev = jackknife.mean() - jackknife if jackknife.size else np.zeros(1)
    spread = np.sum(dev**2)
    a = np.sum(dev**3) / (6 * spread**1.5) if spread > 0 else 0.0
    bounds = []
    for q in (alpha / 2, 1 - alpha / 2):
        zq = z0 + ndtri(q)
        bounds.append(float(np.quantile(reps, ndtr(z0 + zq / (1 - a * zq)))) if np.isfinite(z0) else math.nan)
    return bounds[0], bounds[1]


def _leave_one_out(values: np.ndarray) -> np.ndarray:
    """Rows i = ``values`` without entry i (n × (n − 1))."""
    n = len(values)
    keep = ~np.eye(n, dtype=bool)
    return np.broadcast_to(values, (n, n))[keep].reshape(n, n - 1)


def leader_laggard(
    values: pd.Series,
    metric: str,
    share: float = 0.25,
    n_boot: int = 10000,
    seed: int = 0,
    alpha: float = 0.05,
    previous: pd.Series | None = None,
    counts: pd.DataFrame | None = None,
) -> dict:
    """One row of gaps.csv for ``values`` (indexed by unit_id; NaN values are left out).

    Returns a dict with the contract's columns in order (``metric, k, leader_unit,
    laggard_unit, leader_value, laggard_value, top_mean, bottom_mean, gap, gap_ci_low,
    gap_ci_high, welch_p, mannwhitney_p, cliffs_delta, gap_prev, gap_change,
    gap_change_ci_low, gap_change_ci_high, gap_change_p``), then ``gap_fixed_ci_low,
    gap_fixed_ci_high, q, q_p, i2, tau, tau_ci_low, tau_ci_high, gap_change_p_below, n``.

    ``counts`` (satisfaction): columns ``x`` and ``n`` (effective counts) indexed by unit_id,
    with values = 100·x/n, for the units-fixed interval and the heterogeneity fields.
    - ``n < 2``: every statistic NaN, units None.
    - Change fields NaN when ``previous`` is None or has fewer than 2 values.
    - One generator ``default_rng(seed)`` draws the gap replicates, then the change
      replicates, then the units-fixed draws.

    Raises ValueError if ``share`` is outside (0, 0.5] or a unit_id repeats.
    """
    if not 0 < share <= 0.5:
        raise ValueError(f"share must be in (0, 0.5], got {share}")
    current = _ranked(values)
    n = len(current)
    k = math.ceil(share * n)
    row = {"metric": metric, "k": k, "leader_unit": None, "laggard_unit": None}
    row |= dict.fromkeys(_STATISTICS, math.nan) | {"gap_change_p_below": None, "n": n}
    if n < 2:
        return row

    ordered = current.to_numpy()
    rng = np.random.default_rng(seed)
    boot = row_gaps(ordered[rng.integers(0, n, size=(n_boot, n))], share)
    row |= {
        "leader_unit": current.index[0],
        "laggard_unit": current.index[-1],
        "leader_value": float(ordered[0]),
        "laggard_value": float(ordered[-1]),
        "top_mean": float(ordered[:k].mean()),
        "bottom_mean": float(ordered[-k:].mean()),
        "gap": float(row_gaps(ordered, share)[0]),
    }
    jack = row_gaps(_leave_one_out(ordered), share) if n > 2 else np.zeros(n)
    row["gap_ci_low"], row["gap_ci_high"] = bca_interval(boot, row["gap"], jack, alpha)

    prev = None if previous is None else _ranked(previous)
    if prev is not None and len(prev) >= 2:
        union = current.index.union(prev.index).sort_values()
        by_year = np.stack([current.reindex(union).to_numpy(), prev.reindex(union).to_numpy()])
        row["gap_prev"] = float(row_gaps(prev.to_numpy(), share)[0])
        row["gap_change"] = row["gap"] - row["gap_prev"]
        draws = rng.integers(0, len(union), size=(n_boot, len(union)))
        diff = row_gaps(by_year[0][draws], share) - row_gaps(by_year[1][draws], share)
        jack = row_gaps(_leave_one_out(by_year[0]), share) - row_gaps(_leave_one_out(by_year[1]), share)
        row["gap_change_ci_low"], row["gap_change_ci_high"] = bca_interval(
            diff, row["gap_change"], jack, alpha)
        valid = diff[np.isfinite(diff)]
        p = min(1.0, 2 * min(np.mean(valid <= 0), np.mean(valid >= 0)))
        row["gap_change_p_below"] = bool(p == 0)
        row["gap_change_p"] = float(max(p, 1 / valid.size))

    if counts is not None:
        c = counts.loc[current.index]
        x, size = c["x"].to_numpy(dtype=float), c["n"].to_numpy(dtype=float)
        fixed = row_gaps(100 * rng.beta(x + 0.5, size - x + 0.5, size=(n_boot, n)), share)
        row["gap_fixed_ci_low"], row["gap_fixed_ci_high"] = (
            float(v) for v in np.quantile(fixed, [alpha / 2, 1 - alpha / 2]))
        smoothed = (x + 0.5) / (size + 1)
        row |= heterogeneity(ordered, 100**2 * smoothed * (1 - smoothed) / size, alpha)
    return row
