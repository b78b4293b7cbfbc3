"""Funnel plots for units' proportions, with over-dispersion (Spiegelhalter 2005, Stat Med
24:1185; Spiegelhalter, Sherlaw-Johnson, Bardsley et al. 2012, JRSS A 175:1).

Around the pooled proportion p0 = Σx ÷ Σn, with s_i = √(p0(1 − p0)/n_i) and
z = Φ⁻¹(1 − (1 − L)/2) (1.959964 at 95%, 3.090232 at 99.8%):

- Plain limits at level L (``lower95``…``upper998``): exact binomial limits with interpolation
  (Spiegelhalter 2005, appendix A.1.1): r = the smallest count with F(r) ≥ q, where F is the
  Binomial(n, p0) distribution function; the limit is (r − a)/n with
  a = (F(r) − q)/(F(r) − F(r − 1)), for q = (1 − L)/2 and 1 − (1 − L)/2. F(r) is written as
  the regularised incomplete beta function I_{1−p0}(n − r, r + 1), which also serves an
  effective (non-integer) n. For large n they approach the normal limits p0 ± z·s_i.
- Over-dispersion: z-scores z_i = (p_i − p0)/s_i, winsorised at 10% (those below the 10th
  percentile set to it, those above the 90th set to it; ``numpy.quantile``, linear
  interpolation); φ̂ = Σ z_w² / I over the I units with n > 0. Under the null of no
  over-dispersion I·φ̂ ~ χ²(I − 1): ``phi_p`` = P(χ²(I − 1) ≥ I·φ̂).
- Additive random effects: τ̂² = (I·φ̂ − (I − 1)) / (Σw − Σw²/Σw), w_i = 1/s_i², and 0 when
  I·φ̂ ≤ I − 1 (Spiegelhalter 2005, section 3.2.2, a DerSimonian–Laird moment estimator on
  winsorised z-scores). Adjusted limits: p0 ± z·√(s_i² + τ̂²), never inside the exact plain
  limits (so with τ̂ = 0 they are the plain limits, and small units keep the exact limits'
  asymmetry), clipped to [0, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betainc

LEVELS = (0.95, 0.998)
WINSOR = 0.10
COLUMNS = ["unit_id", "metric", "n", "p", "p0", "lower95", "upper95", "lower998", "upper998",
           "outside", "z", "phi", "phi_p", "tau", "lower998_adj", "upper998_adj", "outside_adj"]


def _suffix(level: float) -> str:
    """0.95 -> "95", 0.998 -> "998" (the contract's column suffixes)."""
    return f"{level * 100:g}".replace(".", "")


def binomial_cdf(r, n, p):
    """P(X ≤ r) for X ~ Binomial(n, p), any real n ≥ 0: I_{1−p}(n − r, r + 1); 0 below r = 0,
    1 from r ≥ n."""
    r, n = np.broadcast_arrays(np.asarray(r, dtype=float), np.asarray(n, dtype=float))
    inside = (r >= 0) & (r < n)
    with np.errstate(invalid="ignore"):
        value = betainc(np.where(inside, n - r, 1.0), np.where(inside, r + 1, 1.0), 1 - p)
    return np.where(r < 0, 0.0, np.where(inside, value, 1.0))


def exact_limit(n, p0: float, q: float) -> np.ndarray:
    """The interpolated binomial quantile q of x/n under p0 (Spiegelhalter 2005, A.1.1)."""
    n = np.asarray(n, dtype=float)
    high = np.ceil(n)
    # smallest whole r in [0, ceil(n)] with F(r) >= q, by bisection on the whole numbers
    low = np.full(n.shape, -1.0)
    while np.any(high - low > 1):
        mid = np.floor((low + high) / 2)
        ok = binomial_cdf(mid, n, p0) >= q
        high = np.where(ok, mid, high)
        low = np.where(ok, low, mid)
    r = high
    f_r, f_before = binomial_cdf(r, n, p0), binomial_cdf(r - 1, n, p0)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(f_r > f_before, (f_r - q) / (f_r - f_before), 0.0)
        return np.clip((r - a) / n, 0.0, 1.0)


def funnel_limits(n, p0: float, levels=LEVELS, tau: float = 0.0) -> dict[str, np.ndarray]:
    """Exact limits ``lower<L>``/``upper<L>`` for each level (e.g. lower95, upper998) and, with
    ``tau``, the over-dispersion-adjusted ``lower<L>_adj``/``upper<L>_adj``; NaN where n ≤ 0."""
    n = np.asarray(n, dtype=float)
    sized = n > 0
    safe = np.where(sized, n, 1.0)
    se = np.sqrt(p0 * (1 - p0) / safe)
    limits = {}
    for level in levels:
        from scipy.stats import norm
        z = norm.ppf(1 - (1 - level) / 2)
        lower = exact_limit(safe, p0, (1 - level) / 2)
        upper = exact_limit(safe, p0, 1 - (1 - level) / 2)
        spread = z * np.sqrt(se**2 + tau**2)
        suffix = _suffix(level)
        limits[f"lower{suffix}"] = np.where(sized, lower, np.nan)
        limits[f"upper{suffix}"] = np.where(sized, upper, np.nan)
        limits[f"lower{suffix}_adj"] = np.where(sized, np.clip(np.minimum(lower, p0 - spread), 0, 1), np.nan)
        limits[f"upper{suffix}_adj"] = np.where(sized, np.clip(np.maximum(upper, p0 + spread), 0, 1), np.nan)
    return limits


def overdispersion(p, n, p0: float, share: float = WINSOR) -> dict[str, float]:
    """z-scores, winsorised φ̂, its χ² p-value and the additive τ̂ (see the module docstring).

    ``p`` and ``n`` are the units' proportions and sizes (all n > 0). Returns ``z`` (array),
    ``phi``, ``phi_p``, ``tau``; φ̂ and τ̂ are NaN with fewer than 2 units or p0 at 0 or 1.
    """
    p, n = np.asarray(p, dtype=float), np.asarray(n, dtype=float)
    units = p.size
    if units < 2 or not 0 < p0 < 1:
        return {"z": np.full(units, np.nan), "phi": np.nan, "phi_p": np.nan, "tau": np.nan}
    w = n / (p0 * (1 - p0))  # 1 / s_i²
    z = (p - p0) * np.sqrt(w)
    low, high = np.quantile(z, [share, 1 - share])
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    excess = units * phi - (units - 1)
    tau2 = max(0.0, excess / (w.sum() - (w**2).sum() / w.sum()))
    from scipy.stats import chi2
    return {"z": z, "phi": phi, "phi_p": float(chi2.sf(units * phi, units - 1)),
            "tau": float(np.sqrt(tau2))}


def funnel_table(units: pd.DataFrame, metric: str, p0: float | None = None) -> pd.DataFrame:
    """The rows of ``funnel.csv`` for one metric.

    ``units`` has ``unit_id``, ``n`` (size, possibly effective) and ``x`` (count). p = x/n;
    p0 = the given pooled proportion (the contract's Σ satisfied ÷ Σ valid, whatever the
    effective sizes), else Σx/Σn over units with n > 0; ``outside`` is "above" when p > upper998, "below" when p < lower998, else ""
    (also for units with n = 0, whose p and limits are NaN); ``outside_adj`` the same against
    the adjusted limits. ``phi``, ``phi_p``, ``tau`` repeat on every row. Sorted by ``unit_id``.
    """
    if units["unit_id"].duplicated().any():
        raise ValueError("duplicated unit_id")
    n = units["n"].to_numpy(dtype=float)
    x = units["x"].to_numpy(dtype=float)
    sized = n > 0
    p = np.where(sized, x / np.where(sized, n, 1.0), np.nan)
    if p0 is None:
        p0 = x[sized].sum() / n[sized].sum() if sized.any() else np.nan
    spread = overdispersion(p[sized], n[sized], p0)
    z = np.full(n.shape, np.nan)
    z[sized] = spread["z"]
    tau = spread["tau"] if np.isfinite(spread["tau"]) else 0.0
    limits = funnel_limits(n, p0, tau=tau)

    def side(lower, upper):
        return np.where(p > upper, "above", np.where(p < lower, "below", ""))

    table = pd.DataFrame(
        {"unit_id": units["unit_id"].astype(str).to_numpy(), "metric": metric, "n": n, "p": p, "p0": p0,
         **{k: v for k, v in limits.items() if not k.endswith("_adj")},
         "outside": side(limits["lower998"], limits["upper998"]), "z": z,
         "phi": spread["phi"], "phi_p": spread["phi_p"], "tau": spread["tau"],
         "lower998_adj": limits["lower998_adj"], "upper998_adj": limits["upper998_adj"],
         "outside_adj": side(limits["lower998_adj"], limits["upper998_adj"])}
    )
    return table[COLUMNS].sort_values("unit_id", kind="stable", ignore_index=True)
