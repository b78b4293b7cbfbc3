"""How robust a composite ranking is: uncertainty and sensitivity analysis of its assumptions.

The index is an aggregate of dimension scores x_ij ∈ (0, 1] (points ÷ max_points) with nominal
weights w_j (Σw = 1). Two assumptions are made uncertain, as in the OECD/JRC *Handbook on
Constructing Composite Indicators* (2008, §1.7 and Step 7) and Saisana, Saltelli & Tarantola
(2005, J. R. Stat. Soc. A 168(2), 307–323):

- each weight w_j × u_j with u_j ~ U(1 − spread, 1 + spread), renormalised to Σ = 1;
- the aggregation, arithmetic Σ w_j x_ij or geometric Π x_ij^w_j, each with probability ½
  (a uniform input thresholded at ½, the usual coding of a discrete trigger).

**Uncertainty**: over N seeded draws, each unit's median rank, 5th and 95th percentile ranks
(numpy's linear interpolation) and largest shift |rank − nominal rank|; ranks as published,
1 = highest, ties sharing the smallest rank (scores compared to 9 decimals, so that two units
tied in the data stay tied whatever the order of the floating-point sums).

**Sensitivity**: Sobol indices of the output R̄ = mean over units of |rank − nominal rank|
(Saisana et al. 2005, eq. 9), from Saltelli's radial design: matrices A and B (N draws each)
and, per factor i, A_B(i) = A with factor i's columns taken from B (N(k + 2) evaluations).
With V = var(f(A) ∪ f(B)):
first order  S_i  = mean(f(B) (f(A_B(i)) − f(A))) ÷ V   (Saltelli et al. 2010, Table 2 (b));
total        ST_i = mean((f(A) − f(A_B(i)))²) ÷ 2V      (Jansen 1999; Saltelli et al. 2010 (f)).
The factors are each weight, the aggregation, and all the weights as one group.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

UNIT_COLUMNS = ["unit_id", "rank_nominal", "rank_median", "rank_p05", "rank_p95", "max_shift"]
SOBOL_COLUMNS = ["factor", "first_order", "total_order"]
AGGREGATIONS = ("arithmetic", "geometric")
DECIMALS = 9   # scores are ranked rounded to 1e-9: float noise must not break a tie in the data


def sobol_indices(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First-order (Saltelli 2010) and total (Jansen 1999) Sobol indices of each factor.

    f_a, f_b: the model on A and B (N each); f_ab: (factors, N), the model on each A_B(i)."""
    variance = np.var(np.concatenate([f_a, f_b]))
    first = np.mean(f_b * (f_ab - f_a), axis=1) / variance
    total = 0.5 * np.mean((f_a - f_ab) ** 2, axis=1) / variance
    return first, total


def row_ranks(values: np.ndarray) -> np.ndarray:
    """Rank within each row, 1 = highest, ties sharing the smallest rank (1, 2, 2, 4)."""
    rows = np.arange(len(values))[:, None]
    order = np.argsort(-values, axis=1)
    ordered = values[rows, order]
    starts = np.ones(ordered.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    position = np.arange(1, values.shape[1] + 1)
    first_of_tie = np.maximum.accumulate(np.where(starts, position, 0), axis=1)
    ranks = np.empty_like(first_of_tie)
    ranks[rows, order] = first_of_tie
    return ranks


def aggregate(x: np.ndarray, weights: np.ndarray, geometric: np.ndarray) -> np.ndarray:
    """Scores of every unit under each draw: (draws, units).

    x: (units, dims) in (0, 1]; weights: (draws, dims), rows summing to 1; geometric: (draws,)
    booleans. Arithmetic Σ w x; geometric Π x^w = exp(Σ w ln x) (0 when a dimension is 0)."""
    with np.errstate(divide="ignore"):
        log_x = np.log(x)
    scores = np.empty((len(weights), len(x)))
    scores[~geometric] = weights[~geometric] @ x.T
    scores[geometric] = np.exp(weights[geometric] @ log_x.T)
    return scores


def _model(x, nominal_weights, spread, inputs, nominal_ranks):
    """Ranks and mean absolute rank shift for rows of inputs in [0, 1]^(dims + 1)."""
    factors = nominal_weights * (1 - spread + 2 * spread * inputs[:, :-1])
    weights = factors / factors.sum(axis=1, keepdims=True)
    ranks = row_ranks(np.round(aggregate(x, weights, inputs[:, -1] >= 0.5), DECIMALS))
    return ranks, np.abs(ranks - nominal_ranks).mean(axis=1)


def rank_sensitivity(scores: pd.DataFrame, nominal_weights: pd.Series, draws: int, seed: int,
                     spread: float = 0.25, aggregations: tuple[str, ...] = AGGREGATIONS
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-unit rank uncertainty, Sobol indices) of a composite ranking.

    scores: one row per unit (index unit_id), one column per dimension, values in (0, 1]
    (points ÷ max_points), units with a gap left out by the caller; nominal_weights: per
    dimension (the nominal index is their arithmetic aggregate, e.g. max_points ÷ Σmax_points).
    `aggregations` are those drawn from: both (each with probability ½) or one of them."""
    dims = list(scores.columns)
    x = scores[dims].to_numpy(dtype=float)
    w0 = nominal_weights.reindex(dims).to_numpy(dtype=float)
    w0 = w0 / w0.sum()
    nominal_ranks = row_ranks(np.round(x @ w0, DECIMALS)[None, :])[0]
    k = len(dims) + 1
    rng = np.random.default_rng(seed)
    a, b = rng.random((draws, k)), rng.random((draws, k))
    if tuple(aggregations) != AGGREGATIONS:   # one aggregation only: fix the trigger
        a[:, -1] = b[:, -1] = 1.0 if aggregations[0] == "geometric" else 0.0
    groups = [[j] for j in range(k)] + [list(range(k - 1))]
    names = [f"weight:{d}" for d in dims] + ["aggregation", "weights"]
    ranks_a, f_a = _model(x, w0, spread, a, nominal_ranks)
    _, f_b = _model(x, w0, spread, b, nominal_ranks)
    f_ab = np.empty((len(groups), draws))
    for i, columns in enumerate(groups):
        mixed = a.copy()
        mixed[:, columns] = b[:, columns]
        f_ab[i] = _model(x, w0, spread, mixed, nominal_ranks)[1]
    if np.var(np.concatenate([f_a, f_b])) > 0:
        first, total = sobol_indices(f_a, f_b, f_ab)
    else:   # no rank ever moves: nothing to apportion
        first = total = np.full(len(groups), np.nan)
    units = pd.DataFrame({
        "unit_id": scores.index.astype(str), "rank_nominal": nominal_ranks,
        "rank_median": np.median(ranks_a, axis=0),
        "rank_p05": np.percentile(ranks_a, 5, axis=0),
        "rank_p95": np.percentile(ranks_a, 95, axis=0),
        "max_shift": np.abs(ranks_a - nominal_ranks).max(axis=0)})
    sobol = pd.DataFrame({"factor": names, "first_order": first, "total_order": total})
    return units.sort_values("unit_id", kind="stable").reset_index(drop=True), sobol
