"""Between-unit heterogeneity of estimates that carry their own standard errors.

Do the units really differ, beyond what their sampling error explains, and by how much? For
estimates y_i with within-unit variances v_i (k units), w_i = 1/v_i, ȳ = Σw·y / Σw:

- Cochran's Q = Σ w_i (y_i − ȳ)²; under "no difference between units" Q ~ χ²(k − 1): ``q_p``.
- τ²: the variance of the units' true values (τ in the units of y). ``tau`` is the
  Paule–Mandel estimate (Paule & Mandel 1982, J Res NBS 87:377; DerSimonian & Kacker 2007,
  Contemp Clin Trials 28:105), the τ² at which the generalised Q below equals k − 1: the
  estimate that always lies inside the Q-profile interval. ``tau_dl`` is DerSimonian & Laird's
  (1986, Control Clin Trials 7:177) moment estimate max(0, (Q − (k − 1)) / (Σw − Σw²/Σw)),
  which falls short of it when units differ a lot.
- I² = max(0, (Q − (k − 1)) / Q) (Higgins & Thompson 2002, Stat Med 21:1539): the share of the
  observed spread that is between units rather than sampling error.
- Q-profile interval for τ² (Viechtbauer 2007, Stat Med 26:37): with the generalised
  Q(τ²) = Σ (y_i − μ̂(τ²))² / (v_i + τ²), μ̂(τ²) the mean weighted by 1/(v_i + τ²), which falls
  as τ² grows, the bounds solve Q(τ²) = χ²(k − 1) quantiles 1 − α/2 (lower) and α/2 (upper);
  a bound is 0 when Q(0) is already below its quantile. τ's interval is the square root.
"""

from __future__ import annotations

import math

import numpy as np

FIELDS = ("q", "q_p", "i2", "tau", "tau_ci_low", "tau_ci_high", "tau_dl")


def generalised_q(tau2: float, y: np.ndarray, v: np.ndarray) -> float:
    w = 1 / (v + tau2)
    mu = np.sum(w * y) / np.sum(w)
    return float(np.sum(w * (y - mu) ** 2))


def _solve(target: float, y: np.ndarray, v: np.ndarray) -> float:
    """τ² ≥ 0 with Q(τ²) = target (0 when Q(0) ≤ target)."""
    if generalised_q(0.0, y, v) <= target:
        return 0.0
    high = max(np.var(y), 1e-12)
    while generalised_q(high, y, v) > target:
        high *= 2
    from scipy.optimize import brentq
    return brentq(lambda t: generalised_q(t, y, v) - target, 0.0, high, xtol=1e-14, rtol=1e-12)


def heterogeneity(y, v, alpha: float = 0.05) -> dict[str, float]:
    """``q``, ``q_p``, ``i2``, ``tau`` (Paule–Mandel), ``tau_ci_low``/``tau_ci_high`` (Q-profile,
    level 1 − alpha) and ``tau_dl`` of estimates ``y`` with variances ``v`` (all v > 0).
    Every field NaN with fewer than 2 estimates."""
    y, v = np.asarray(y, dtype=float), np.asarray(v, dtype=float)
    k = y.size
    if k < 2:
        return dict.fromkeys(FIELDS, math.nan)
    if np.any(~(v > 0)):
        raise ValueError("every within-unit variance must be > 0")
    w = 1 / v
    q = generalised_q(0.0, y, v)
    tau2 = max(0.0, (q - (k - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    from scipy.stats import chi2
    low = _solve(chi2.ppf(1 - alpha / 2, k - 1), y, v)
    high = _solve(chi2.ppf(alpha / 2, k - 1), y, v)
    return {"q": q, "q_p": float(chi2.sf(q, k - 1)), "i2": max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0,
            "tau": math.sqrt(_solve(k - 1, y, v)), "tau_ci_low": math.sqrt(low),
            "tau_ci_high": math.sqrt(high), "tau_dl": math.sqrt(tau2)}
