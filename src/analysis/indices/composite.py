"""The yearly index of each unit, its ranks and band, and the means by group, region and overall.

A unit's index for a year is 100 × Σ points ⁄ Σ max_points over the components of that year's
method version (data/README.md; for the PAR INDEX, Decision 876/QĐ-BNV: "index % = points
achieved ÷ 100"); `points` is Σ points, the total on the index's own scale (PAPI 8–80). Where
the authority publishes a total beside its rounded parts (a `total` row), the published total
is the unit's points, score and rank, and the parts are its breakdown: their sum is checked
against the total within the parts' rounding (each value rounded half-up is off by at most half
a unit in its last decimal, so |Σ parts − total| ≤ Σ ½·10^−decimals over the parts and the
total). A unit with any component left blank in the source has no index that year (a reported
gap, never filled in). Two years compare like for like only under the same method version
(OECD/JRC Handbook on Constructing Composite Indicators, 2008, §1.1: a changed framework breaks
the series); across a break the change is also given on the components both versions share.

Units that merged between the previous year and this one (`crosswalk.csv` rows with
`effective_year` in (previous year, year]) are compared with their predecessors restated on this
year's units: a new unit's previous score is the mean of its former units' scores weighted by
the crosswalk weight, Σ wᵢ·sᵢ ⁄ Σ wᵢ (whole units merged, w = 1: the equally weighted mean; the
registry holds no population to weight by), and none when a former unit has no score (a gap is
not filled in); its previous rank is that restated score's rank among this year's units
(`rank_prev` of every unit then is). Such a unit is not like for like (`like_for_like` false,
`prev_from` naming its former units): its territory changed (the restated-boundary comparison
of official statistics, e.g. GSO series on the 34 provinces of July 2025).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.inputs.dataset import Dataset
from analysis.stats.ranks import min_rank
from analysis.stats.sensitivity import AGGREGATIONS, rank_sensitivity

GROUP_STATS = ["n_units", "n_missing", "mean", "median", "sd", "min", "max"]


def _sum_or_nan(points: pd.Series) -> float:
    return points.sum() if points.notna().all() else np.nan


def unit_scores(scores: pd.DataFrame, year: int) -> pd.DataFrame:
    """unit_id, points, max_points, score, points_parts, parts_agree for one year; NaN where a
    component is blank. `points_parts` is Σ of the parts; `parts_agree` (only where a published
    `total` row stands beside its parts) says whether Σ parts is within the rounding of the total."""
    s = scores[scores["year"] == year]
    half = 0.5 * 10.0 ** -s["decimals"] if "decimals" in s else pd.Series(0.0, index=s.index)
    s = s.assign(half=half)
    is_total = s["component"] == "total"
    parts = s[~is_total].groupby("unit_id", sort=True).agg(
        points_parts=("points", _sum_or_nan), max_parts=("max_points", "sum"),
        half_parts=("half", "sum"))
    totals = s[is_total].set_index("unit_id")[["points", "max_points", "half"]]
    table = parts.join(totals, how="outer").sort_index()
    has_total = table.index.isin(totals.index)
    table["points"] = table["points"].where(has_total, table["points_parts"])
    table["max_points"] = table["max_points"].where(has_total, table["max_parts"])
    table["score"] = 100 * table["points"] / table["max_points"]
    both = has_total & table["points"].notna() & table["points_parts"].notna()
    off = (table["points_parts"] - table["points"]).abs()
    table["parts_agree"] = pd.Series(pd.NA, index=table.index, dtype="boolean")
    table.loc[both, "parts_agree"] = off[both] <= table["half_parts"][both] + table["half"][both] + 1e-9
    table.index.name = "unit_id"
    return table[["points", "max_points", "score", "points_parts", "parts_agree"]].reset_index()


def shared_components(ds: Dataset, year: int, other: int) -> list[str]:
    """Codes of the components that the method versions of both years have, in `year`'s order."""
    theirs = {c["code"] for c in ds.config.method(other)["components"]}
    return [c["code"] for c in ds.config.method(year)["components"] if c["code"] in theirs]


def previous_year(ds: Dataset, year: int) -> int | None:
    """The latest year before `year` that has index scores."""
    earlier = [y for y in ds.years() if y < year and ds.index_scores is not None
               and (ds.index_scores["year"] == y).any()]
    return max(earlier) if earlier else None


def merged_into(ds: Dataset, year: int, prev_year: int) -> pd.DataFrame:
    """Crosswalk rows taking effect after `prev_year` and by `year` (from_unit_id, to_unit_id,
    weight): the units of `year` made of former units of `prev_year`."""
    c = ds.crosswalk
    if c is None or c.empty:
        return pd.DataFrame(columns=["from_unit_id", "to_unit_id", "weight"])
    due = (c["effective_year"] > prev_year) & (c["effective_year"] <= year)
    return c.loc[due, ["from_unit_id", "to_unit_id", "weight"]].astype({"weight": float})


def restate(values: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """`values` (indexed by unit_id) restated on the new units of `links`: each new unit's row is
    Σ wᵢ·vᵢ ⁄ Σ wᵢ over its former units, NaN where any of them is NaN or absent; other units
    keep their own row."""
    joined = links.join(values, on="from_unit_id")
    columns = list(values.columns)
    weighted = joined[columns].mul(joined["weight"], axis=0)
    by_new = weighted.groupby(joined["to_unit_id"]).sum(min_count=1)
    complete = joined[columns].notna().groupby(joined["to_unit_id"]).all()
    means = by_new.div(joined.groupby("to_unit_id")["weight"].sum(), axis=0).where(complete)
    return pd.concat([values.drop(index=means.index, errors="ignore"), means])


def assign_bands(score: pd.Series, bands: list[dict], sizes: list[int] | None = None
                 ) -> tuple[pd.Series, pd.Series]:
    """(label_en, label_vi) of the first band whose threshold ≤ score (bands highest first).

    A band's threshold is `min_score`, or for `min_quantile` bands (PAPI's quartile groups)
    the quantile of this year's scores (numpy's linear interpolation). With `sizes`, the number
    of units the authority put in each band that year (`Config.published_band_sizes`), the
    bands take those sizes in rank order instead: a unit ranked r is in the first band whose
    cumulative size is ≥ r (units tied across a boundary share the better rank, so both take
    the higher band)."""
    en = pd.Series(pd.NA, index=score.index, dtype="string")
    vi = en.copy()
    observed = score.dropna()
    if sizes is not None:
        rank = min_rank(score)
        for band, limit in reversed(list(zip(bands, np.cumsum(sizes)))):
            hit = (rank <= limit).fillna(False).astype(bool)
            en[hit], vi[hit] = band["label_en"], band["label_vi"]
        return en, vi
    for band in reversed(bands):
        if "min_score" in band:
            threshold = float(band["min_score"])
        elif len(observed):
            threshold = float(np.quantile(observed, float(band["min_quantile"])))
        else:
            continue
        hit = (score >= threshold - 1e-9).fillna(False).astype(bool)
        en[hit], vi[hit] = band["label_en"], band["label_vi"]
    return en, vi


def index_units(ds: Dataset, year: int) -> pd.DataFrame:
    """The contract's index_units table for `year`, sorted by unit_id."""
    cur = unit_scores(ds.index_scores, year)
    table = cur.merge(ds.units, on="unit_id", how="left")
    table["rank"] = min_rank(table["score"])
    table["rank_in_group"] = table.groupby("group")["score"].transform(min_rank).astype("Int64")
    has_region = table["region"].fillna("") != ""
    table["rank_in_region"] = pd.Series(pd.NA, index=table.index, dtype="Int64")
    table.loc[has_region, "rank_in_region"] = (
        table[has_region].groupby("region")["score"].transform(min_rank).astype("Int64"))
    sizes = ds.config.published_band_sizes(year, int(table["score"].notna().sum()))
    table["band"], table["band_vi"] = assign_bands(table["score"], ds.config.bands, sizes)
    prev_year = previous_year(ds, year)
    table["method"] = ds.config.method(year)["id"]
    table["like_for_like"] = pd.Series(pd.NA, index=table.index, dtype="boolean")
    for column in ("shared_score", "shared_score_prev"):
        table[column] = np.nan
    table["prev_from"] = ""
    if prev_year is None:
        table["score_prev"] = np.nan
        table["rank_prev"] = pd.Series(pd.NA, index=table.index, dtype="Int64")
    else:
        links = merged_into(ds, year, prev_year)
        links = links[links["to_unit_id"].isin(table["unit_id"])]
        prev = unit_scores(ds.index_scores, prev_year).set_index("unit_id")[["score"]].rename(
            columns={"score": "score_prev"})
        like = ds.config.like_for_like(year, prev_year)
        shared = shared_components(ds, year, prev_year)
        if not like and shared:
            on_shared = ds.index_scores[ds.index_scores["component"].isin(shared)]
            prev["shared_score_prev"] = unit_scores(on_shared, prev_year).set_index("unit_id")["score"]
            table["shared_score"] = table["unit_id"].map(unit_scores(on_shared, year).set_index("unit_id")["score"])
        if len(links):   # the previous year restated on this year's units
            prev = restate(prev, links).reindex(table["unit_id"])
            formers = links.groupby("to_unit_id")["from_unit_id"].agg(lambda ids: "+".join(sorted(ids)))
            table["prev_from"] = table["unit_id"].map(formers).fillna("")
        prev["rank_prev"] = min_rank(prev["score_prev"])
        table = table.drop(columns=[c for c in prev if c in table]).merge(
            prev, left_on="unit_id", right_index=True, how="left")
        table["like_for_like"] = like & (table["prev_from"] == "")
    table["change"] = table["score"] - table["score_prev"]
    table["rank_change"] = (table["rank_prev"] - table["rank"]).astype("Int64")
    table["shared_change"] = table["shared_score"] - table["shared_score_prev"]
    table["year"] = year
    table["prev_year"] = pd.Series(prev_year, index=table.index, dtype="Int64")
    columns = ["unit_id", "name_vi", "name_en", "group", "region", "score", "rank",
               "rank_in_group", "rank_in_region", "band", "band_vi", "score_prev", "change",
               "rank_prev", "rank_change", "points", "max_points", "year", "prev_year",
               "method", "like_for_like", "shared_score", "shared_score_prev", "shared_change",
               "points_parts", "parts_agree", "prev_from"]
    return table[columns].sort_values("unit_id", kind="stable").reset_index(drop=True)


def _describe(scores: pd.Series) -> dict:
    s = scores.dropna()
    return {"n_units": len(s), "n_missing": int(scores.isna().sum()),
            "mean": s.mean() if len(s) else np.nan, "median": s.median() if len(s) else np.nan,
            "sd": s.std(ddof=1) if len(s) > 1 else np.nan,
            "min": s.min() if len(s) else np.nan, "max": s.max() if len(s) else np.nan}


def index_groups(units: pd.DataFrame) -> pd.DataFrame:
    """Means, medians, SD (n − 1), min and max of the score: overall, by group, by region."""
    rows = [{"scope": "all", "key": "", **_describe(units["score"])}]
    for scope in ("group", "region"):
        keyed = units[units[scope].fillna("") != ""]
        for key, part in keyed.groupby(scope, sort=True):
            rows.append({"scope": scope, "key": key, **_describe(part["score"])})
    return pd.DataFrame(rows, columns=["scope", "key", *GROUP_STATS])


def index_components(ds: Dataset, year: int) -> pd.DataFrame:
    """Each unit's component points and sub-index (100 × points ⁄ max_points) for `year` (a
    published `total` row is the unit's total, not a component)."""
    s = ds.index_scores[(ds.index_scores["year"] == year) & (ds.index_scores["component"] != "total")]
    out = s[["unit_id", "component", "points", "max_points"]].copy()
    out["subindex"] = 100 * out["points"] / out["max_points"]
    return out.sort_values(["unit_id", "component"], kind="stable").reset_index(drop=True)


def index_subcomponents(ds: Dataset, year: int) -> pd.DataFrame:
    """Each unit's sub-component points for `year` with the component each belongs to."""
    s = ds.subcomponent_scores
    out = s.loc[s["year"] == year, ["unit_id", "parent", "component", "points"]]
    return out.sort_values(["unit_id", "parent", "component"], kind="stable").reset_index(drop=True)


def missing_scores(ds: Dataset, year: int) -> pd.DataFrame:
    """Rows of index_scores.csv left blank in the source: reported in rejected.csv."""
    s = ds.index_scores
    blank = s[(s["year"] == year) & s["points"].isna()]
    return pd.DataFrame({"file": ds.file_name("index_scores"), "row": blank["row"], "year": year,
                         "unit_id": blank["unit_id"], "reason": "missing_points",
                         "ballot_id": ""})


def sensitivity(ds: Dataset, year: int) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Rank uncertainty and Sobol indices of `year`'s index under the dataset's `sensitivity`
    settings (stats.sensitivity): each unit's dimension shares points ÷ max_points, nominal
    weights max_points ÷ Σmax_points (the contract's index is their weighted arithmetic mean);
    units with a gap are left out. None without settings or with fewer than two dimensions."""
    settings = ds.config.raw.get("sensitivity")
    s = ds.index_scores[(ds.index_scores["year"] == year) & (ds.index_scores["component"] != "total")]
    if not settings or s["component"].nunique() < 2:
        return None
    shares = (s.assign(share=s["points"] / s["max_points"])
              .pivot(index="unit_id", columns="component", values="share").dropna())
    weights = s.groupby("component")["max_points"].first()
    units, sobol = rank_sensitivity(
        shares, weights, draws=int(settings["draws"]), seed=int(ds.config.seed),
        spread=float(settings.get("weight_spread", 0.25)),
        aggregations=tuple(settings.get("aggregations", AGGREGATIONS)))
    units.insert(1, "year", year)
    sobol.insert(0, "year", year)
    return units, sobol
