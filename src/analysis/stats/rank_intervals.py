"""Bootstrap rank intervals for units' proportions (rows of ``rank_intervals.csv``).

Parametric bootstrap of the ranks (cf. Goldstein & Spiegelhalter 1996, JRSS A 159:385, on
the uncertainty of league tables): in each replicate every unit draws x* ~ Binomial(m, x/n) with
m = max(round(n), 1) (n may be an effective size), p* = x*/m, and the units are ranked by p*,
1 = highest, ties sharing the smallest rank (``scipy.stats.rankdata(method="min")``). A unit's
interval is the 2.5th and 97.5th percentiles of its replicate ranks (``numpy.percentile``,
default linear interpolation between order statistics, so bounds may be fractional).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata


def bootstrap_rank_intervals(
    unit_id, x, n, *, seed: int, n_boot: int = 10000, metric: str = "satisfaction"
) -> pd.DataFrame:
    """``unit_id, metric, rank, rank_low, rank_high`` sorted by ``unit_id``.

    ``rank`` is the observed rank of x/n (1 = highest, ties min). Replicates are drawn as one
    (n_boot × units) array from ``numpy.random.default_rng(seed)`` and ranked along rows.
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
    p = x / n
    m = np.maximum(np.round(n), 1).astype(np.int64)
    draws = np.random.default_rng(seed).binomial(m, p, size=(n_boot, ids.size)) / m
    ranks = rankdata(-draws, method="min", axis=1)
    rank_low, rank_high = np.percentile(ranks, [2.5, 97.5], axis=0)
    table = pd.DataFrame(
        {"unit_id": ids, "metric": metric, "rank": rankdata(-p, method="min").astype(np.int64),
         "rank_low": rank_low, "rank_high": rank_high}
    )
    return table.sort_values("unit_id", kind="stable", ignore_index=True)
