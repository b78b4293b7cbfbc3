"""Reconciliation of what an authority published with what the run computes.

A published figure matches when the computed value, rounded half-up or truncated to as many
decimals as the published value was written with, equals it (data/README.md,
`reconciliation.csv`); `rule` says which (`round` when both do, empty when neither does).
Authorities use both: PAPI's releases print some years' totals rounded and others truncated
(PAPI 2023: Thái Nguyên 45.7875 printed 45.78). The computed value is first taken to 10
decimals, so binary noise in a sum (45.78749999999999) cannot decide the rule.
"""
from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from analysis.inputs.dataset import decimals

COLUMNS = ["scope", "key", "metric", "published", "computed", "difference", "matches", "source", "note",
           "rule"]
NOISE_PLACES = 10
RULES = {"round": ROUND_HALF_UP, "truncate": ROUND_DOWN}


def _to(value: float, places: int, rounding: str) -> Decimal:
    exact = Decimal(repr(value)).quantize(Decimal(1).scaleb(-NOISE_PLACES), rounding=ROUND_HALF_UP)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=rounding)


def round_half_up(value: float, places: int) -> Decimal:
    """Round as publishers and spreadsheets do (halves away from zero), on the decimal form."""
    return _to(value, places, ROUND_HALF_UP)


def truncate(value: float, places: int) -> Decimal:
    """Cut to `places` decimals (toward zero), as some releases print their totals."""
    return _to(value, places, ROUND_DOWN)


def published_decimals(value) -> int:
    """The decimals a published figure (as the reconciliation table holds it, a float) was
    written with, at least 2: the shortest text that reads back as 47.821 is "47.821"; 84.40
    comes back as 84.4, hence the floor of 2."""
    return max(2, decimals(repr(float(value)))) if pd.notna(value) else 2


def matching_rule(computed: float, published: str) -> str:
    """`round` or `truncate`: the first rule that turns `computed` into the `published` text
    (its number of decimals); '' when neither does or nothing was computed."""
    if not np.isfinite(computed):
        return ""
    places = decimals(published)
    return next((name for name, rounding in RULES.items()
                 if _to(computed, places, rounding) == Decimal(published)), "")


def _lookup(results: dict[str, pd.DataFrame], scope: str, key: str, metric: str) -> float:
    units = results["index_units"].set_index("unit_id")
    groups = results["index_groups"]
    if scope == "unit" and metric in ("index", "rank", "points"):
        column = {"index": "score", "rank": "rank", "points": "points"}[metric]
        value = units[column].get(key) if key in units.index else None
        return np.nan if value is None or pd.isna(value) else float(value)
    if metric == "points":
        table = units.reset_index()
        if scope != "all":
            table = table[table[scope] == key]
        return float(table["points"].mean()) if len(table) else np.nan
    if metric in ("index", "n_units"):
        row = groups[(groups["scope"] == scope) & (groups["key"] == (key if scope != "all" else ""))]
        return float(row[{"index": "mean", "n_units": "n_units"}[metric]].iloc[0]) if len(row) else np.nan
    if scope == "unit" and metric.startswith("in_band:"):   # 1 in that band, 0 in another
        band = units["band"].get(key) if key in units.index else None
        return np.nan if band is None or pd.isna(band) else float(band == metric.split(":", 1)[1])
    if metric.startswith("band_count:"):
        label = metric.split(":", 1)[1]
        table = units.reset_index()
        if scope != "all":
            table = table[table[scope] == key]
        return float((table["band"] == label).sum())
    if metric in ("satisfaction", "satisfaction_change") and "satisfaction_yoy" in results:
        yoy = results["satisfaction_yoy"]
        unit = key if scope == "unit" else ""
        row = yoy[yoy["unit_id"].fillna("") == unit]
        column = "p" if metric == "satisfaction" else "diff"
        return 100 * float(row[column].iloc[0]) if len(row) else np.nan
    return np.nan


def reconcile(published: pd.DataFrame | None, year: int, results: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per published figure of `year`, sorted by scope, key and metric."""
    if published is None:
        return pd.DataFrame(columns=COLUMNS)
    rows = []
    for rec in published[published["year"] == year].itertuples():
        computed = _lookup(results, rec.scope, rec.key, rec.metric)
        rule = matching_rule(computed, rec.value_text)
        rows.append({"scope": rec.scope, "key": rec.key, "metric": rec.metric,
                     "published": rec.value, "computed": computed,
                     "difference": computed - rec.value, "matches": rule != "", "source": rec.source,
                     "note": getattr(rec, "note", ""), "rule": rule})
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values(["scope", "key", "metric"], kind="stable").reset_index(drop=True)
