"""How far one unit stands from the others once over-dispersion is allowed for.

Random-effects standardisation (DerSimonian & Laird 1986): unit i has an estimate d_i with
sampling variance v_i; the units scatter around a common mean μ with between-unit variance τ².
With w_i = 1/v_i, the fixed-effect mean d̄ = Σ w_i d_i / Σ w_i, Q = Σ w_i (d_i − d̄)²,
τ² = max(0, (Q − (k − 1)) / (Σ w_i − Σ w_i² / Σ w_i)), μ = Σ w*_i d_i / Σ w*_i with
w*_i = 1/(v_i + τ²), and z_i = (d_i − μ) / √(v_i + τ²).

Ratio estimators over clusters (Cochran 1977, §6.4; a ballot is the cluster): R = Σ y_b / Σ m_b
over n ballots, var(R) = n/(n − 1) · Σ (y_b − R m_b)² / (Σ m_b)², written with the sums
Σy², Σm², Σym so that only per-unit sums are needed.
"""
from __future__ import annotations

import numpy as np


def random_effects(d, v, trim: float | None = None) -> tuple[float, float, np.ndarray]:
    """(μ, τ², z) of the DerSimonian–Laird model for estimates `d` with variances `v`; entries
    with a NaN or a variance ≤ 0 are left out of the fit and get z = NaN. With `trim`, the model
    is fitted again without the entries whose |z| exceeds it (so that a few outlying units do
    not widen the yardstick they are judged by), and every z is taken from that second fit."""
    d, v = np.asarray(d, dtype=float), np.asarray(v, dtype=float)
    ok = np.isfinite(d) & np.isfinite(v) & (v > 0)
    mu, tau2, z = _dersimonian_laird(d, v, ok)
    if trim is not None and np.isfinite(mu):
        inside = ok & (np.abs(z) <= trim)
        if inside.sum() >= 2:
            mu, tau2, _ = _dersimonian_laird(d, v, inside)
            z = np.where(ok, (d - mu) / np.sqrt(v + tau2), np.nan)
    return mu, tau2, z


def _dersimonian_laird(d, v, ok) -> tuple[float, float, np.ndarray]:
    z = np.full(d.shape, np.nan)
    if ok.sum() < 2:
        return np.nan, np.nan, z
    w = 1.0 / v[ok]
    fixed = np.sum(w * d[ok]) / w.sum()
    q = np.sum(w * (d[ok] - fixed) ** 2)
    tau2 = max(0.0, (q - (ok.sum() - 1)) / (w.sum() - np.sum(w ** 2) / w.sum()))
    w_star = 1.0 / (v[ok] + tau2)
    mu = np.sum(w_star * d[ok]) / w_star.sum()
    z[ok] = (d[ok] - mu) / np.sqrt(v[ok] + tau2)
    return float(mu), float(tau2), z


def ratio_variance(n, s_y, s_m, s_yy, s_mm, s_ym) -> tuple[np.ndarray, np.ndarray]:
    """(R, var R) of the ratio estimator R = Σy / Σm over n clusters (NaN where n < 2 or Σm = 0)."""
    n, s_y, s_m = (np.asarray(a, dtype=float) for a in (n, s_y, s_m))
    s_yy, s_mm, s_ym = (np.asarray(a, dtype=float) for a in (s_yy, s_mm, s_ym))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(s_m > 0, s_y / s_m, np.nan)
        resid = np.maximum(s_yy - 2 * r * s_ym + r * r * s_mm, 0.0)
        var = np.where(n > 1, n / (n - 1) * resid / s_m ** 2, np.nan)
    return r, var
