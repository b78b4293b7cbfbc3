"""Every result table of a run, computed once (both editions read the same tables)."""
from __future__ import annotations

import pandas as pd

from analysis.indices import composite as index
from analysis.indices import satisfaction
from analysis.stats.change import index_change_tests
from analysis.inputs.dataset import Dataset
from analysis.inputs.errors import InputError, Problem
from analysis.stats.funnel import funnel_table
from analysis.stats.gaps import leader_laggard
from analysis.indices.integrity import screen
from analysis.stats.rank_intervals import bootstrap_rank_intervals
from analysis.audit.reconcile import reconcile
from analysis.indices.service_quality import (period_months, previous_period, read_dossier_counts,
                                      read_dossiers, service_index)

MIN_BALLOTS = 30
REJECTED_COLUMNS = ["file", "row", "year", "unit_id", "ballot_id", "channel", "reason"]


def check_year(ds: Dataset, year: int, years: list[int]) -> None:
    if year not in years:
        available = ", ".join(map(str, years)) or "none"
        raise InputError([Problem(ds.root.name, None, "year", f"no data for {year} "
                                  f"(years with data: {available})", "choose one of those years "
                                  "with --year, or add the year's rows to the dataset")])


def _gap(values: pd.Series, previous: pd.Series | None, metric: str, ds: Dataset,
         counts: pd.DataFrame | None = None) -> dict:
    cfg = ds.config
    return leader_laggard(values.dropna(), metric, share=float(cfg.leader_share),
                          n_boot=int(cfg.bootstrap), seed=int(cfg.seed), alpha=float(cfg.alpha),
                          previous=None if previous is None else previous.dropna(), counts=counts)


def min_sample(ds: Dataset) -> int:
    """`min_ballots` of dataset.yaml (default 30): the sample a unit needs before it is named
    leader or laggard or enters the leader-laggard gap."""
    value = ds.config.raw.get("min_ballots", MIN_BALLOTS)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError([Problem("dataset.yaml", None, "min_ballots", f"{value!r} is not a "
                                  "whole number ≥ 1", "write e.g. min_ballots: 30")])
    return value


def sample_size(units: pd.DataFrame) -> pd.Series:
    """A unit's sample: its ballots, or its respondents where only counts are known."""
    return units["n_ballots"].fillna(units["n_valid"])


def index_tables(ds: Dataset, year: int) -> tuple[dict, list[dict], pd.DataFrame | None]:
    """index_units, index_groups, index_components (and index_subcomponents), the index's gap
    row and its change tests. Across a method-version break the change rows say
    `like_for_like` false, and tests on the shared components (metric `index_shared`) are added."""
    units = index.index_units(ds, year)
    out = {"index_units": units, "index_groups": index.index_groups(units),
           "index_components": index.index_components(ds, year)}
    if ds.subcomponent_scores is not None:
        out["index_subcomponents"] = index.index_subcomponents(ds, year)
    robustness = index.sensitivity(ds, year)
    if robustness is not None:
        out["sensitivity"], out["sensitivity_sobol"] = robustness
    scores = units.set_index("unit_id")
    has_prev = scores["score_prev"].notna().any()
    like = bool(scores["like_for_like"].all()) if has_prev else pd.NA
    gap = _gap(scores["score"], scores["score_prev"] if has_prev else None, "index", ds)
    gaps = [{**gap, "like_for_like": like}]
    tests = None
    if has_prev:
        alpha = float(ds.config.alpha)
        tests = index_change_tests(scores["score"], scores["score_prev"], "index", alpha).assign(
            like_for_like=like)
        if scores["shared_score_prev"].notna().any():
            shared = index_change_tests(scores["shared_score"], scores["shared_score_prev"],
                                        "index_shared", alpha).assign(like_for_like=True)
            tests = pd.concat([tests, shared], ignore_index=True)
    return out, gaps, tests


def satisfaction_tables(ds: Dataset, year: int, sat) -> tuple[dict, list[dict]]:
    cfg = ds.config
    enough = min_sample(ds)
    units = sat.by_year[year].copy()
    out = {"satisfaction_yoy": previous_counts(satisfaction.year_over_year(ds, sat, year), sat)}
    sized = units[units["n_eff"] > 0]
    pooled = sized["n_satisfied"].sum() / sized["n_valid"].sum() if len(sized) else None
    out["funnel"] = funnel_table(pd.DataFrame({"unit_id": sized["unit_id"], "n": sized["n_eff"],
                                               "x": sized["p"] * sized["n_eff"]}), "satisfaction",
                                 p0=pooled)
    ranks = bootstrap_rank_intervals(
        sized["unit_id"], sized["p"] * sized["n_eff"], sized["n_eff"], seed=int(cfg.seed),
        n_boot=int(cfg.bootstrap), metric="satisfaction", alpha=float(cfg.alpha))
    sample = sample_size(sized).set_axis(sized["unit_id"])
    ranks["n_sample"] = ranks["unit_id"].map(sample)
    ranks["eligible"] = ranks["n_sample"] >= enough
    out["rank_intervals"] = ranks
    prev_year = satisfaction.previous_year(sat, year)
    previous = None
    if prev_year is not None:
        before = sat.by_year[prev_year]
        before = before[sample_size(before) >= enough]
        previous = before.set_index("unit_id")["p"] * 100
    named = units[(sample_size(units) >= enough) & (units["n_eff"] > 0)].set_index("unit_id")
    counts = pd.DataFrame({"x": named["p"] * named["n_eff"], "n": named["n_eff"]})
    if named["n_valid"].isna().any():  # a published rate without its sample: no counts
        counts = None
    like = pd.NA if prev_year is None else satisfaction.like_for_like(ds, year, prev_year)
    gaps = [{**_gap(named["p"] * 100, previous, "satisfaction", ds, counts), "like_for_like": like}]
    if sat.questions is not None:
        q = sat.questions[sat.questions["year"] == year].copy()
        q["p"] = q["n_satisfied"] / q["n_valid"].where(q["n_valid"] > 0)
        out["satisfaction_questions"] = q.reset_index(drop=True)
        element_of = {x["code"]: x.get("element", x["code"])
                      for x in (cfg.raw.get("survey") or {}).get("questions") or []}
        if element_of:
            q["element"] = q["question"].map(element_of)
            e = q.groupby(["unit_id", "element"], as_index=False)[["n_valid", "n_satisfied"]].sum()
            e["p"] = e["n_satisfied"] / e["n_valid"].where(e["n_valid"] > 0)
            out["satisfaction_elements"] = e
            units["p_balanced"] = units["unit_id"].map(satisfaction.element_balanced(e))
        out["ballot_channels"] = sat.channels[sat.channels["year"].isin(
            [year] + ([prev_year] if prev_year else []))].reset_index(drop=True)
    out["satisfaction_units"] = units
    return out, gaps


def previous_counts(yoy: pd.DataFrame, sat) -> pd.DataFrame:
    """The year-over-year table with both years' counts beside the rates (n_ballots, n_valid,
    n_satisfied, and the same `_prev`; the population row, unit_id empty, their sums), so a
    reader can recompute each difference from the counts."""
    if yoy.empty:
        return yoy.reindex(columns=[*yoy.columns, *COUNT_COLUMNS])
    year, prev_year = int(yoy["year"].iloc[0]), int(yoy["prev_year"].iloc[0])
    counts = []
    for y, suffix in ((year, ""), (prev_year, "_prev")):
        table = sat.by_year[y].set_index("unit_id")[["n_ballots", "n_valid", "n_satisfied"]]
        table.loc[""] = table.sum(min_count=1)
        counts.append(table.add_suffix(suffix))
    return yoy.join(pd.concat(counts, axis=1)[COUNT_COLUMNS].astype("Int64"), on="unit_id")


COUNT_COLUMNS = ["n_ballots", "n_valid", "n_satisfied", "n_ballots_prev", "n_valid_prev",
                 "n_satisfied_prev"]


def with_names(results: dict[str, pd.DataFrame], units: pd.DataFrame) -> None:
    """Every table keyed by unit_id gets the unit's name_vi and name_en beside it (a reader of
    the CSV sees who a row is about without a lookup); tables that have them keep theirs."""
    names = units.drop_duplicates("unit_id").set_index("unit_id")[["name_vi", "name_en"]]
    for key, table in results.items():
        if "unit_id" in table.columns and "name_vi" not in table.columns:
            at = list(table.columns).index("unit_id") + 1
            joined = table.join(names, on="unit_id")
            order = [*table.columns[:at], "name_vi", "name_en", *table.columns[at:]]
            results[key] = joined[order]


def service_tables(ds: Dataset, period: str,
                   progress: bool = False) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The Decision 766 index of `period` (a month YYYY-MM or a year) from the dossier records
    (and `dossier_counts.csv` where a unit has no records), and the dossiers rejected."""
    months = period_months(previous_period(period)) + period_months(period)
    read = read_dossiers(ds.dossiers_path, ds.units, months, progress)
    counts = read.counts
    if ds.dossier_counts_path is not None:
        counts = pd.concat([counts, read_dossier_counts(ds.dossier_counts_path)], ignore_index=True)
    cfg = ds.config
    table = service_index(counts, ds.units, period, ds.crosswalk, cfg.raw.get("service_index"),
                          seed=int(cfg.seed), n_boot=int(cfg.bootstrap), alpha=float(cfg.alpha))
    if table["n_received"].sum() == 0:
        found = sorted(read_dossiers(ds.dossiers_path, ds.units).counts["period"].unique())
        span = f" (months with dossiers: {found[0]} to {found[-1]})" if found else ""
        raise InputError([Problem(ds.dossiers_path.name, None, "received_at",
                                  f"no dossier received in {period}{span}",
                                  "choose a period with records, e.g. --period "
                                  + (found[-1] if found else "YYYY-MM"))])
    rejected = read.rejected
    rejected = pd.DataFrame({"file": rejected["file"], "row": rejected["row"],
                             "year": pd.to_numeric(rejected["month"].str[:4]).astype("Int64"),
                             "unit_id": rejected["unit_id"], "ballot_id": "", "channel": "",
                             "reason": rejected["reason"]})
    return {"service_index": table}, rejected


def compute_results(ds: Dataset, year: int, engine: str = "duckdb", progress: bool = False,
                    period: str | None = None) -> dict[str, pd.DataFrame]:
    """All contract tables for `year` whose inputs the dataset has (`engine`: how ballots are
    summed, see `satisfaction.load`; the integrity screen always runs in DuckDB; `progress`:
    bars on the long ballot steps). With dossier records, the service index of `period`
    (default: the year)."""
    results: dict[str, pd.DataFrame] = {}
    rejected, gaps, tests = [], [], []
    years = set(ds.years())
    if ds.dossiers_path is not None:
        tables, dossiers_rejected = service_tables(ds, period or str(year), progress)
        results.update(tables)
        rejected.append(dossiers_rejected)
        years.add(year)
    if ds.index_scores is not None and (ds.index_scores["year"] == year).any():
        tables, index_gaps, index_tests = index_tables(ds, year)
        results.update(tables)
        gaps += index_gaps
        if index_tests is not None:
            tests.append(index_tests)
        rejected.append(index.missing_scores(ds, year))
    sat = satisfaction.load(ds, engine, progress, screen_year=year)  # one read of the ballots
    if sat is not None:
        years |= set(sat.by_year)
        if sat.rejected is not None:
            rejected.append(sat.rejected)  # every year of the ballot file was screened
        if year in sat.by_year:
            tables, sat_gaps = satisfaction_tables(ds, year, sat)
            results.update(tables)
            gaps += sat_gaps
            if ds.ballots_path is not None:
                screened = sat.integrity if sat.integrity is not None else screen(
                    ds.ballots_path, ds.units, year,
                    tuple((ds.config.raw.get("survey") or {}).get("scale", (1, 5))),
                    ds.config.satisfied_answers, progress)
                results["integrity"] = screened.table
                results["integrity_ballots"] = screened.ballots
    check_year(ds, year, sorted(years))
    present = ds.present(year)
    if sat is not None and sat.source == "ballots" and year in sat.by_year:
        present[ds.ballots_path.name] = set(sat.by_year[year]["unit_id"])
    missing = ds.without_data(year, present)
    if len(missing):
        results["units_without_data"] = missing
    if gaps:
        results["gaps"] = pd.DataFrame(gaps)
    if tests:
        results["tests"] = pd.concat(tests, ignore_index=True)
    if "index_units" in results or "satisfaction_yoy" in results:
        results["reconciliation"] = reconcile(ds.published, year, results)
    frames = [f for f in rejected if len(f)]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    results["rejected"] = table.reindex(columns=REJECTED_COLUMNS).sort_values(
        ["file", "row"], kind="stable").reset_index(drop=True)
    with_names(results, ds.units)
    return results
