"""Funnel plot limits for comparing units' proportions (Spiegelhalter 2005, Stat Med 24:1185).

Around the pooled proportion p0, the control limit at level L for a unit of size n is the
normal approximation p0 ± z·√(p0(1 − p0)/n), z = Φ⁻¹(1 − (1 − L)/2) (1.959964 at 95%,
3.090232 at 99.8%: roughly 2 and 3 standard errors), clipped to [0, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

LEVELS = (0.95, 0.998)
COLUMNS = ["unit_id", "metric", "n", "p", "p0", "lower95", "upper95", "lower998", "upper998", "outside"]


def _suffix(level: float) -> str:
    """0.95 -> "95", 0.998 -> "998" (the contract's column suffixes)."""
    return f"{level * 100:g}".replace(".", "")


def funnel_limits(n, p0: float, levels=LEVELS) -> dict[str, np.ndarray]:
    """Limits ``lower<L>``/``upper<L>`` for each level, e.g. lower95, upper998 (NaN where n ≤ 0)."""
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(n > 0, np.sqrt(p0 * (1 - p0) / n), np.nan)
    limits = {}
    for level in levels:
        z = norm.ppf(1 - (1 - level) / 2)
        limits[f"lower{_suffix(level)}"] = np.clip(p0 - z * se, 0.0, 1.0)
        limits[f"upper{_suffix(level)}"] = np.clip(p0 + z * se, 0.0, 1.0)
    return limits


def funnel_table(units: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The rows of ``funnel.csv`` for one metric.

    ``units`` has ``unit_id``, ``n`` (size, possibly an effective size) and ``x`` (count).
    p = x/n; p0 = Σx/Σn over units with n > 0; ``outside`` is "above" when p > upper998,
    "below" when p < lower998, else "" (also for units with n = 0, whose p and limits are
    NaN). Sorted by ``unit_id``.
    """
    if units["unit_id"].duplicated().any():
        raise ValueError("duplicated unit_id")
    n = units["n"].to_numpy(dtype=float)
    x = units["x"].to_numpy(dtype=float)
    sized = n > 0
    p = np.where(sized, x / np.where(sized, n, 1.0), np.nan)
    p0 = x[sized].sum() / n[sized].sum() if sized.any() else np.nan
    limits = funnel_limits(n, p0)
    outside = np.where(p > limits["upper998"], "above", np.where(p < limits["lower998"], "below", ""))
    table = pd.DataFrame(
        {"unit_id": units["unit_id"].astype(str).to_numpy(), "metric": metric, "n": n, "p": p, "p0": p0,
         **limits, "outside": outside}
    )
    return table[COLUMNS].sort_values("unit_id", kind="stable", ignore_index=True)
