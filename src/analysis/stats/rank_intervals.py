"""Rank intervals for units' proportions (rows of ``rank_intervals.csv``).

How sure is a league-table position (Goldstein & Spiegelhalter 1996, JRSS A 159:385)? In each
of B replicates every unit draws p* ~ Beta(x + ½, n − x + ½) — the posterior of its proportion
under the Jeffreys prior, which, unlike Binomial(n, x/n), still varies when x/n is 0 or 1 —
and the units are ranked by p*, 1 = highest, ties sharing the smallest rank. n may be an
effective size (x = p·n_eff).

- Marginal interval (``rank_low``, ``rank_high``): the α/2 and 1 − α/2 quantiles of the unit's
  replicate ranks, taken as order statistics below and above (``numpy.quantile`` methods
  "lower" and "higher"), so the bounds are whole ranks. Each covers its own unit's rank.
- Simultaneous interval (``rank_low_joint``, ``rank_high_joint``): the same quantiles at the
  largest level γ ≤ α/2 (on the grid j/B) at which every unit's rank lies inside its interval
  in at least 1 − α of the replicates together (a max-type joint region; cf. Hall & Miller
  2009, J Comput Graph Stat 18:280; Klein, Wright & Wieczorek 2020, JRSS C 69:917; Mogstad,
  Romano, Shaikh & Wilhelm 2024, Rev Econ Stud 91:476). Use it to say "unit A is among the top
  five" for several units at once.
- ``rank``: the observed rank of the proportion in percent, float noise removed
  (``analysis.stats.ranks``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.stats.ranks import min_rank

COLUMNS = ["unit_id", "metric", "rank", "rank_low", "rank_high", "rank_low_joint", "rank_high_joint"]


def rank_bounds(ranks: np.ndarray, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """Per column of ``ranks`` (replicates × units): the gamma quantile (order statistic below)
    and the 1 − gamma quantile (order statistic above)."""
    return (np.quantile(ranks, gamma, axis=0, method="lower"),
            np.quantile(ranks, 1 - gamma, axis=0, method="higher"))


def joint_level(ranks: np.ndarray, alpha: float) -> float:
    """The largest gamma ≤ alpha/2 on the grid j/B with every unit inside its
    [gamma, 1 − gamma] bounds together in at least 1 − alpha of the B replicates."""
    replicates = ranks.shape[0]

    def coverage(j: int) -> float:
        low, high = rank_bounds(ranks, j / replicates)
        return float(np.mean(np.all((ranks >= low) & (ranks <= high), axis=1)))

    lo, hi = 0, int(np.floor(alpha / 2 * replicates))  # coverage(0) = 1; find the largest j that covers
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if coverage(mid) >= 1 - alpha:
            lo = mid
        else:
            hi = mid - 1
    return lo / replicates


def rank_draws(x, n, *, seed: int, n_boot: int) -> np.ndarray:
    """Replicate ranks (n_boot × units) of p* ~ Beta(x + ½, n − x + ½), 1 = highest, ties min."""
    draws = np.random.default_rng(seed).beta(x + 0.5, n - x + 0.5, size=(n_boot, len(x)))
    from scipy.stats import rankdata
    return rankdata(-draws, method="min", axis=1)


def bootstrap_rank_intervals(
    unit_id, x, n, *, seed: int, n_boot: int = 10000, metric: str = "satisfaction",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """``COLUMNS`` sorted by ``unit_id`` (see the module docstring).

    Replicates are drawn as one (n_boot × units) array from ``numpy.random.default_rng(seed)``.
    Every unit needs n > 0 and 0 ≤ x ≤ n (else ``ValueError``).
    """
    ids = pd.Series(unit_id).astype(str).to_numpy()
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    if len(set(ids)) != ids.size:
        raise ValueError("duplicated unit_id")
    bad = ~((n > 0) & (x >= 0) & (x <= n))
    if bad.any():
        raise ValueError(f"units without a proportion (need n > 0 and 0 <= x <= n): {sorted(ids[bad])}")
    ranks = rank_draws(x, n, seed=seed, n_boot=n_boot)
    low, high = rank_bounds(ranks, alpha / 2)
    joint_low, joint_high = rank_bounds(ranks, joint_level(ranks, alpha))
    table = pd.DataFrame(
        {"unit_id": ids, "metric": metric,
         "rank": min_rank(pd.Series(100 * x / n)).to_numpy(dtype=np.int64),
         "rank_low": low, "rank_high": high, "rank_low_joint": joint_low,
         "rank_high_joint": joint_high}
    )
    return table.sort_values("unit_id", kind="stable", ignore_index=True)
