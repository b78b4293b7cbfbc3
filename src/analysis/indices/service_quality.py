"""Decision 766/QĐ-TTg service-quality index per unit and month or year, from dossier records.

Decision 766/QĐ-TTg (23/6/2022) scores ministries and provinces from the records of their
administrative dossiers on the National Public Service Portal in five groups, 100 points:
transparency 18, progress and results 20, digitisation 22, online services 22, satisfaction 18.
Which indicator feeds which group, the maxima and the rule are data (`service_index` in
dataset.yaml, default `DEFAULT_SERVICE_INDEX`), marked `confirmed: false` until the Decision's
annex is at hand.

## `dossiers.csv` / `dossiers.parquet` (a file, or a folder of `*.parquet` files)
One row per dossier received. Every column is required (a missing one is an InputError naming
the file, the column and the fix); extra columns are ignored.

| column | content |
|---|---|
| `unit_id` | the receiving unit, an id of `units.csv` (text: `01` is not `1`) |
| `procedure` | the administrative procedure's code (kept for audit, not scored) |
| `received_at` | ISO date or datetime (`2025-10-05`, `2025-10-05T08:30:00`); the dossier belongs to the month and year of this date |
| `due_at` | ISO date/datetime of the deadline; empty for procedures without one. A date without a time means the end of that day |
| `resolved_at` | ISO date/datetime of the result; empty while pending |
| `online` | 1 = submitted online, 0 otherwise |
| `fee` | 1 if the procedure charges a fee, else 0 |
| `paid_online` | 1/0 when `fee` is 1; empty (or 0) when there is no fee |
| `digitised` | 1 if the dossier's documents were digitised, else 0 |
| `published` | 1 if its status was published/synchronised on the portal, else 0 |
| `rating` | `satisfied`, `dissatisfied` or empty (case and surrounding spaces ignored) |
| `complaint` | 1 if a complaint or petition was filed about it, else 0 |

CSV cells are read as text; a 0/1 cell may also be written `1.0`. Parquet columns may be typed
(integers, booleans or floats for 0/1, DATE or TIMESTAMP for dates; a NaN is empty) or text;
`unit_id` and `rating` must be text. Times are taken as written (local time; a UTC offset is
ignored). A row is counted or rejected with the first reason of `REASONS` that applies —
unknown unit; `received_at` empty or not a date; unit outside its validity in that month;
`due_at`/`resolved_at` not a date; resolved on a day before it was received; a 0/1 column
holding anything else (or `paid_online` 1 without a fee); an unknown rating — and rejected rows
are listed (file, row, unit_id, month, reason), never dropped silently. Row numbers are file
lines for CSV (header = 1) and 1-based row positions within each Parquet file.

## `dossier_counts.csv` (optional): aggregates where there are no records
`unit_id`, `period` (`YYYY-MM` or `YYYY`) and the counts of `COUNTS`. A unit's aggregates for a
period are used only when the records have no dossier of that unit in that period.

## Units and the crosswalk (extensions of data/README.md)
`units.csv` may add `valid_from_month`/`valid_to_month` (`YYYY-MM`): month precision where a
unit starts or ends mid-year (the 2025 merger: former provinces to `2025-06`, new ones from
`2025-07`); empty, they default to January of `valid_from` and December of `valid_to`.
`crosswalk.csv` may add `effective_from` (`YYYY-MM` or `YYYY-MM-DD`; default January of
`effective_year`).

## dataset.yaml `service_index` (default `DEFAULT_SERVICE_INDEX`, written by the generator)
| key | meaning |
|---|---|
| `rule` | `linear`, the only rule: group points = `max_points` × the mean of its indicators' rates |
| `confirmed` | `false` while the mapping is this project's reading rather than the annex's text |
| `source`, `notes` | citation and caveats, for the methods appendix |
| `indicators` | code → `numerator`, `denominator` (names in `COUNTS`), `label_vi`, `label_en` |
| `groups` | list of `code`, `label_vi`, `label_en`, `max_points`, `indicators` (codes above) |
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analysis.inputs.errors import InputError, Problem
from analysis.inputs.service_mapping import (COUNTS, DEFAULT_SERVICE_INDEX,  # noqa: F401
                                             MIN_DOSSIERS, indicator_rules, service_mapping)
from analysis.stats.ranks import min_rank
from analysis.inputs.sources import (connection, csv_lines, damaged, open_source, out_of_memory,
                              raise_unreadable_lines, run_query, unreadable)

COLUMNS = ("unit_id", "procedure", "received_at", "due_at", "resolved_at", "online", "fee",
           "paid_online", "digitised", "published", "rating", "complaint")
FLAGS = ("online", "fee", "paid_online", "digitised", "published", "complaint")
DATES = ("received_at", "due_at", "resolved_at")
REASONS = ("unknown_unit", "bad_received_at", "outside_validity", "bad_date",
           "resolved_before_received", "bad_flag", "bad_rating")
BASES = ("same_unit", "recomputed_from_records", "weighted_aggregates")
POINT_DECIMALS = 2  # the portal publishes points to 2 decimals and ranks on them
TEXT_TYPES = ("VARCHAR",)
TIME_TYPES = ("DATE", "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS",
              "TIMESTAMP WITH TIME ZONE")

@dataclass(frozen=True)
class DossierCounts:
    """Counts per unit and month over the dossiers that count, and the rejected rows."""

    counts: pd.DataFrame    # unit_id, period (YYYY-MM), source ("records"), *COUNTS
    rejected: pd.DataFrame  # file, row, unit_id, month, reason


# --- periods ---------------------------------------------------------------------------------

def period_months(period: str) -> list[str]:
    """The months (`YYYY-MM`) of a month `YYYY-MM` or a year `YYYY`."""
    period = str(period)
    if re.fullmatch(r"\d{4}", period):
        return [f"{period}-{m:02d}" for m in range(1, 13)]
    if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        return [period]
    raise ValueError(f"period '{period}' is neither a month (YYYY-MM) nor a year (YYYY)")


def previous_period(period: str) -> str:
    """The month before a month; the year before a year."""
    months = period_months(period)
    year, month = int(months[0][:4]), int(months[0][5:])
    if len(months) == 12:
        return str(year - 1)
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


# --- settings, registry, crosswalk -----------------------------------------------------------

def _month(value, default: str | None = None) -> str | None:
    """`YYYY-MM` from a month, a date or (with `default` "-01"/"-12") a year; None when empty."""
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    text = text.strip()
    if default and re.fullmatch(r"\d{4}(\.0)?", text):
        return text[:4] + default
    if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])(-\d{2})?", text):
        return text[:7]
    if text in ("", "<NA>", "nan"):
        return None
    raise ValueError(f"'{text}' is not a year, a month (YYYY-MM) or a date (YYYY-MM-DD)")


def unit_months(units: pd.DataFrame) -> pd.DataFrame:
    """The registry with `first_month`/`last_month` (`YYYY-MM`, None = open): the optional
    `valid_from_month`/`valid_to_month`, else January of valid_from and December of valid_to."""
    u = units.copy()
    for column in ("name_vi", "name_en", "group", "region"):
        u[column] = u[column].fillna("").astype(str) if column in u else ""
    u["unit_id"] = u["unit_id"].astype(str).str.strip().str.normalize("NFC")
    if u["unit_id"].duplicated().any():
        raise InputError([Problem("units.csv", None, "unit_id", "a unit_id is repeated",
                                  "keep one row per unit")])
    for edge, year, default in (("first_month", "valid_from", "-01"),
                                ("last_month", "valid_to", "-12")):
        exact = u.get(f"{year}_month", pd.Series(None, index=u.index, dtype=object))
        years = u.get(year, pd.Series(None, index=u.index, dtype=object))
        try:
            u[edge] = [_month(m) or _month(y, default) for m, y in zip(exact, years)]
        except ValueError as err:
            raise InputError([Problem("units.csv", None, f"{year}(_month)", str(err),
                                      "give a year in valid_from/valid_to, a month YYYY-MM in "
                                      "valid_from_month/valid_to_month")]) from None
    return u


def _valid_in(units: pd.DataFrame, month: str) -> pd.Series:
    return (units["first_month"].isna() | (units["first_month"] <= month)) & (
        units["last_month"].isna() | (units["last_month"] >= month))


def _links(crosswalk: pd.DataFrame | None, end: str) -> pd.DataFrame:
    """Crosswalk rows in force by month `end` (from `effective_from`, else January of
    `effective_year`): from_unit_id, to_unit_id, weight."""
    if crosswalk is None or crosswalk.empty:
        return pd.DataFrame({"from_unit_id": pd.Series(dtype=object),
                             "to_unit_id": pd.Series(dtype=object),
                             "weight": pd.Series(dtype=float)})
    start = crosswalk.get("effective_from", pd.Series(None, index=crosswalk.index, dtype=object))
    month = [_month(m) or _month(y, "-01") for m, y in zip(start, crosswalk["effective_year"])]
    links = pd.DataFrame({"from_unit_id": crosswalk["from_unit_id"].astype(str),
                          "to_unit_id": crosswalk["to_unit_id"].astype(str),
                          "weight": pd.to_numeric(crosswalk["weight"]).astype(float)})
    return links[[m <= end for m in month]]


def _period_units(units: pd.DataFrame, period: str, links: pd.DataFrame) -> pd.DataFrame:
    """The units ranked in a period: valid in at least one of its months, except former units
    whose crosswalk row is in force by its end (their dossiers count for the new unit)."""
    valid = np.logical_or.reduce([_valid_in(units, m) for m in period_months(period)])
    ranked = units[valid & ~units["unit_id"].isin(links["from_unit_id"])]
    return ranked.sort_values("unit_id", kind="mergesort", ignore_index=True)


# --- reading the records ---------------------------------------------------------------------

def read_dossiers(path, units: pd.DataFrame, months=None, progress: bool = False) -> DossierCounts:
    """Apply the record rules to the CSV file, Parquet file or folder at `path` and count the
    dossiers that count per unit and month (DuckDB; only these aggregates reach pandas).

    With `months` (`YYYY-MM` strings), only dossiers received from the earliest to the latest
    of them are read, plus the rows without a readable `received_at` (always rejected).
    `progress` shows a bar while the records are read, if that takes over 2 s.
    """
    path = Path(path)
    with connection() as con:
        con.register("registry", _registry(unit_months(units)))
        source = open_source(con, path, "dossier")
        cells = _typed_cells(source)
        try:
            numbered = source.numbered(con, ", ".join(f"{sql} AS {name}" for name, sql in cells.items()),
                                       "dossiers: reading" if progress else None)
            groups = run_query(con, _query(numbered, months),
                               "dossiers: rules and counts" if progress else None)
        except duckdb.OutOfMemoryException:
            raise out_of_memory(source.name) from None
        except duckdb.Error as err:
            if not damaged(err):
                raise
            raise unreadable(source.name, err, "save it again as CSV UTF-8 or Parquet") from None
        if source.empty_lines is not None:
            raise_unreadable_lines(con, source.name, "dossier")
    return _counts(groups, source)


def _registry(units: pd.DataFrame) -> pd.DataFrame:
    def first_day(months: pd.Series) -> pd.Series:
        return pd.to_datetime(months.astype(object) + "-01", format="%Y-%m-%d")
    return pd.DataFrame({"unit_id": units["unit_id"].to_numpy(),
                         "first_day": first_day(units["first_month"]),
                         "last_day": first_day(units["last_month"])})


def _typed_cells(source) -> dict[str, str]:
    """SQL per column: unit_id and rating as text; dates as TIMESTAMP plus `<col>_bad` (a value
    that is not a date) and `<col>_day` (a date without a time); 0/1 flags as 0, 1, NULL
    (empty) or 9 (anything else). CSV cells are text; Parquet columns keep their type."""
    source.require(COLUMNS)
    row = source.header_row
    problems, out = [], {}
    for column in COLUMNS:
        raw, kind, text = source.raw[column], source.types[column], source.text(column)
        if column in ("unit_id", "procedure", "rating") and kind not in TEXT_TYPES:
            problems.append(Problem(source.name, row, column, f"the column has type {kind}",
                                    "write it as text (ids keep their leading zeros)"))
        elif column == "unit_id":
            out[column] = source.key(column)
        elif column == "rating":
            out[column] = (f"CASE lower({text}) WHEN 'satisfied' THEN 1 WHEN 'dissatisfied' "
                           f"THEN 2 ELSE IF({text} IS NULL, 0, 9) END")
        elif column in DATES and kind in TEXT_TYPES:
            out[column] = f"TRY_CAST({text} AS TIMESTAMP)"
            out[f"{column}_bad"] = f"({text} IS NOT NULL AND TRY_CAST({text} AS TIMESTAMP) IS NULL)"
            out[f"{column}_day"] = f"(strpos({text}, ':') = 0)"
        elif column in DATES and kind in TIME_TYPES:
            out[column] = f"CAST({raw} AS TIMESTAMP)"
            out[f"{column}_bad"] = "false"
            out[f"{column}_day"] = "true" if kind == "DATE" else "false"
        elif column in DATES:
            problems.append(Problem(source.name, row, column, f"the column has type {kind}",
                                    "write ISO dates as text, or as Parquet DATE/TIMESTAMP"))
        elif column in FLAGS and kind in TEXT_TYPES:
            out[column] = (f"CASE WHEN {text} IS NULL THEN NULL WHEN {text} IN ('0', '1') THEN "
                           f"{text}::TINYINT ELSE coalesce(CASE TRY_CAST({text} AS DOUBLE) "
                           "WHEN 0 THEN 0 WHEN 1 THEN 1 END, 9) END")
        elif column in FLAGS:
            number = f"CAST({raw} AS DOUBLE)"
            out[column] = (f"CASE WHEN {raw} IS NULL OR isnan({number}) THEN NULL WHEN {number} "
                           f"= 1 THEN 1 WHEN {number} = 0 THEN 0 ELSE 9 END")
    if problems:
        raise InputError(problems)
    return out


def _query(numbered: str, months) -> str:
    """One pass over the typed cells (`Source.numbered`): counted dossiers collapse into one
    row per (unit, month); each rejected dossier stays a row of its own, with its file and row."""
    chosen = ""
    if months:
        start = f"TIMESTAMP '{min(months)}-01'"
        end = f"TIMESTAMP '{max(months)}-01' + INTERVAL 1 MONTH"
        chosen = f"WHERE received_at IS NULL OR (received_at >= {start} AND received_at < {end})"
    required = " OR ".join(f"coalesce({f}, 9) = 9" for f in FLAGS if f != "paid_online")
    on_time = "IF(due_at_day, resolved_at::DATE <= due_at::DATE, resolved_at <= due_at)"
    return f"""
    WITH cells AS ({numbered}),
    classified AS (
        SELECT c.*, date_trunc('month', received_at)::DATE AS month, CASE
            WHEN r.unit_id IS NULL THEN 'unknown_unit'
            WHEN received_at IS NULL THEN 'bad_received_at'
            WHEN month < r.first_day OR month > r.last_day THEN 'outside_validity'
            WHEN due_at_bad OR resolved_at_bad THEN 'bad_date'
            WHEN resolved_at::DATE < received_at::DATE THEN 'resolved_before_received'
            WHEN {required} OR (fee = 1 AND coalesce(paid_online, 9) = 9)
                 OR (fee = 0 AND coalesce(paid_online, 0) <> 0) THEN 'bad_flag'
            WHEN rating = 9 THEN 'bad_rating'
        END AS reason
        FROM (SELECT * FROM cells {chosen}) c LEFT JOIN registry r ON c.unit_id = r.unit_id
    )
    SELECT unit_id, strftime(month, '%Y-%m') AS month, reason,
           IF(reason IS NULL, NULL, _file) AS file, IF(reason IS NULL, NULL, _pos) AS row,
           count(*) AS n_received,
           count(*) FILTER (published = 1) AS n_published,
           count(resolved_at) AS n_resolved,
           count(*) FILTER (resolved_at IS NOT NULL AND due_at IS NOT NULL) AS n_resolved_due,
           count(*) FILTER ({on_time}) AS n_on_time,
           count(*) FILTER (digitised = 1) AS n_digitised,
           count(*) FILTER (online = 1) AS n_online,
           count(*) FILTER (fee = 1) AS n_fee,
           count(*) FILTER (fee = 1 AND paid_online = 1) AS n_paid_online,
           count(*) FILTER (rating = 2) AS n_dissatisfied,
           count(*) FILTER (complaint = 1) AS n_complaint,
           count(*) FILTER (rating <> 2 AND complaint = 0) AS n_not_dissatisfied
    FROM classified
    GROUP BY ALL
    """


def _counts(groups: pd.DataFrame, source) -> DossierCounts:
    kept = groups[groups["reason"].isna()]
    counts = (kept.groupby(["unit_id", "month"], as_index=False)[list(COUNTS)].sum()
              .rename(columns={"month": "period"}).assign(source="records"))
    counts = counts[["unit_id", "period", "source", *COUNTS]].astype({c: "int64" for c in COUNTS})
    rejected = groups[groups["reason"].notna()]
    rows = rejected["row"].to_numpy(dtype=np.int64)
    if source.empty_lines is not None:
        rows = csv_lines(rows, source.empty_lines)
    rejected = pd.DataFrame({
        "file": [source.files[int(i)] for i in rejected["file"]], "row": rows,
        "unit_id": rejected["unit_id"].to_numpy(), "month": rejected["month"].fillna("").to_numpy(),
        "reason": rejected["reason"].to_numpy()}).astype({"file": "str", "unit_id": "str"})
    return DossierCounts(counts.sort_values(["unit_id", "period"], ignore_index=True),
                         rejected.sort_values(["file", "row"], ignore_index=True))


def rejected_by_reason(rejected: pd.DataFrame) -> pd.DataFrame:
    """reason, n_rows: every reason of REASONS, in that order, zeros included."""
    n = rejected["reason"].value_counts().reindex(list(REASONS), fill_value=0)
    return pd.DataFrame({"reason": list(REASONS), "n_rows": n.to_numpy(dtype=np.int64)})


def read_dossier_counts(path) -> pd.DataFrame:
    """`dossier_counts.csv` (aggregates without records) as a counts table, source "aggregates"."""
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("unit_id", "period", *COUNTS) if c not in raw]
    if missing:
        raise InputError([Problem(path.name, 1, c, "required column is missing",
                                  f"add a column '{c}'") for c in missing])
    problems = []
    for i, period in enumerate(raw["period"]):
        if not re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2]))?", period.strip()):
            problems.append(Problem(path.name, i + 2, "period", f"'{period}' is not a period",
                                    "write a month YYYY-MM or a year YYYY"))
    numbers = raw[list(COUNTS)].apply(pd.to_numeric, errors="coerce")
    for i, column in zip(*np.nonzero((numbers.isna() | (numbers < 0)).to_numpy())):
        problems.append(Problem(path.name, int(i) + 2, COUNTS[column], "not a count",
                                "write a number ≥ 0"))
    if problems:
        raise InputError(problems)
    return pd.DataFrame({"unit_id": raw["unit_id"].str.strip(), "period": raw["period"].str.strip(),
                         "source": "aggregates", **numbers})


# --- the index -------------------------------------------------------------------------------

def service_index(counts: pd.DataFrame, units: pd.DataFrame, period: str,
                  crosswalk: pd.DataFrame | None = None,
                  mapping: dict | None = None, *, seed: int = 0, n_boot: int = 0,
                  alpha: float = 0.05) -> pd.DataFrame:
    """One row per unit ranked in `period` (a month or a year), with the previous period's
    figures recomputed on the same units.

    counts: unit_id, period (a month, or a year for aggregates), source ("records" or
    "aggregates"), *COUNTS — from `read_dossiers` and/or `read_dossier_counts`.
    Rate = numerator ÷ denominator (undefined when the denominator is 0); indicator points by
    the mapping's rules (`service_mapping`); group points = Σ its indicators' points; total =
    Σ group points, none when an indicator is missing (never filled from another indicator):
    ``missing_indicators`` names them (';'-separated) for units with dossiers. ``eligible``:
    at least ``min_dossiers`` dossiers received (30), the volume a unit needs before the
    report names it. ``rank_low``/``rank_high``: the rank interval (`rank_intervals`) with
    ``n_boot`` replicates (none when 0). rank: within the unit's group (ministries, provinces),
    1 = highest total, ties (totals equal at the published 2 decimals) share the smallest rank; n_ranked the
    units of the group with a total; national_average the mean total of those units;
    rank_region/n_region the same within its region. national_<indicator>: the rate pooled over
    every dossier of the period. Previous period: the month (year) before; its counts are put
    on this period's units (`_on_units`); rank_change = rank_prev − rank (positive = moved up),
    points_change = total − total_prev.
    """
    spec = service_mapping(mapping)
    registry = unit_months(units)
    links = _links(crosswalk, period_months(period)[-1])
    ranked = _period_units(registry, period, links)
    targets = ranked.set_index("unit_id")[["name_vi", "name_en", "group", "region"]]
    prev_period = previous_period(period)
    now = _score(_on_units(_in_period(counts, period), targets, links), spec)
    before = _score(_on_units(_in_period(counts, prev_period), targets, links), spec)
    table = now.assign(period=period, prev_period=prev_period,
                       **_national(now, spec)).join(_previous(before))
    table["rank_change"] = (table["rank_prev"] - table["rank"]).astype("Int64")
    table["points_change"] = table["total"] - table["total_prev"]
    table["eligible"] = table["n_received"] >= spec.get("min_dossiers", MIN_DOSSIERS)
    table = table.join(rank_intervals(now, spec, seed=seed, n_boot=n_boot, alpha=alpha))
    return _ordered(table.reset_index(), spec)


def _in_period(counts: pd.DataFrame, period: str) -> pd.DataFrame:
    """Rows of the period (its months, or the period itself for aggregates); a unit's aggregates
    only where it has no records in the period."""
    rows = counts[counts["period"].isin({period, *period_months(period)})]
    recorded = rows.loc[rows["source"] == "records", "unit_id"].unique()
    return rows[(rows["source"] == "records") | ~rows["unit_id"].isin(recorded)]


def _on_units(rows: pd.DataFrame, targets: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Counts on the period's units. A ranked unit's own rows count as they are (basis
    same_unit); a former unit's rows go to its new unit via the crosswalk, counts × weight.
    Relabelling every dossier and counting again is the same as adding the former units'
    counts, since each count is a sum over dossiers: with weight 1 and records this is the
    exact recomputation (recomputed_from_records); with aggregates or a weight below 1 (a split
    unit) it is an apportionment (weighted_aggregates). basis is empty without any dossier;
    former_units lists the former units' ids, ';'-separated."""
    own = rows[rows["unit_id"].isin(targets.index)].assign(
        to_unit_id=lambda r: r["unit_id"], weight=1.0, moved=False)
    moved = rows[~rows["unit_id"].isin(targets.index)].merge(
        links[links["to_unit_id"].isin(targets.index)], left_on="unit_id",
        right_on="from_unit_id").assign(moved=True)
    both = pd.concat([own, moved], ignore_index=True)
    both[list(COUNTS)] = both[list(COUNTS)].astype(float).mul(both["weight"], axis=0)
    both["apportioned"] = both["moved"] & ((both["source"] != "records") | (both["weight"] != 1))
    by_unit = both.groupby("to_unit_id")
    out = targets.join(by_unit[list(COUNTS)].sum()).rename_axis("unit_id")
    out[list(COUNTS)] = _whole(out[list(COUNTS)].fillna(0))
    flags = by_unit[["moved", "apportioned"]].any().reindex(targets.index)
    out["basis"] = pd.Series(np.select([flags["apportioned"] == True, flags["moved"] == True,
                                        flags["moved"] == False], list(BASES[::-1]), ""),
                             index=out.index).replace("", pd.NA)
    former = both[both["moved"]].groupby("to_unit_id")["unit_id"].agg(
        lambda s: ";".join(sorted(set(s))))
    out["former_units"] = former.reindex(out.index).fillna("")
    return out


def _whole(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts back to integers where every value is whole (weights of 1)."""
    return frame.apply(lambda c: c.astype("int64") if (c % 1 == 0).all() else c)


def indicator_points(rate: np.ndarray, has_denominator: np.ndarray, rule: dict) -> np.ndarray:
    """Points of one indicator (`service_mapping.indicator_rules`): max × min(1, rate ÷ target);
    without a denominator NaN, 0 or max by `if_no_denominator`."""
    with np.errstate(invalid="ignore"):
        points = rule["max_points"] * np.minimum(1.0, rate / rule["target"])
    fallback = {"missing": np.nan, "zero": 0.0, "full": rule["max_points"]}[rule["if_no_denominator"]]
    return np.where(has_denominator, points, fallback)


def _points(t: pd.DataFrame, spec: dict, rates: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Group points (sum of their indicators' points; NaN if one is missing) for given rates."""
    rules = indicator_rules(spec)
    out = {}
    for group in spec["groups"]:
        parts = [indicator_points(rates[c], t[spec["indicators"][c]["denominator"]].to_numpy(float) > 0,
                                 rules[c]) for c in group["indicators"]]
        out[group["code"]] = np.sum(parts, axis=0)
    return out


def _score(t: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """Rates, group points, total, ranks and the indicators left missing (see service_index)."""
    t = t.copy()
    rates = {}
    for code, ind in spec["indicators"].items():
        denominator = t[ind["denominator"]].astype(float)
        t[f"rate_{code}"] = t[ind["numerator"]] / denominator.where(denominator > 0)
        rates[code] = t[f"rate_{code}"].to_numpy(dtype=float)
    points = []
    for code, values in _points(t, spec, rates).items():
        points.append(f"points_{code}")
        t[points[-1]] = values
    t["total"] = t[points].sum(axis=1, min_count=len(points))
    rules = indicator_rules(spec)
    missing = [t[f"rate_{c}"].isna() & (rules[c]["if_no_denominator"] == "missing")
               for c in rules]
    t["missing_indicators"] = [";".join(c for c, m in zip(rules, row) if m) if received else ""
                               for received, row in zip(t["n_received"] > 0, zip(*missing))]
    key = t["total"]
    published = lambda v: min_rank(v, POINT_DECIMALS)  # noqa: E731
    t["rank"] = key.groupby(t["group"]).transform(published).astype("Int64")
    t["n_ranked"] = key.groupby(t["group"]).transform("count").astype("int64")
    t["national_average"] = t["total"].groupby(t["group"]).transform("mean")
    t["vs_national_average"] = t["total"] - t["national_average"]
    regional = t["region"] != ""
    t["rank_region"] = pd.Series(pd.NA, index=t.index, dtype="Int64")
    t["n_region"] = pd.Series(pd.NA, index=t.index, dtype="Int64")
    by_region = key[regional].groupby([t["group"][regional], t["region"][regional]])
    t.loc[regional, "rank_region"] = by_region.transform(published).astype("Int64")
    t.loc[regional, "n_region"] = by_region.transform("count").astype("Int64")
    return t


def rank_intervals(t: pd.DataFrame, spec: dict, *, seed: int, n_boot: int,
                   alpha: float = 0.05) -> pd.DataFrame:
    """``rank_low``, ``rank_high`` of each ranked unit within its group: in each of ``n_boot``
    replicates every indicator's rate is drawn from Beta(x + ½, n − x + ½) (x, n its numerator
    and denominator: the Jeffreys posterior), the points and totals recomputed by the
    mapping's rules and the units re-ranked (1 = highest, ties min); the α/2 and 1 − α/2
    order statistics below and above of each unit's ranks (cf. Goldstein & Spiegelhalter 1996).
    One generator ``default_rng(seed)``, indicators drawn in the mapping's order."""
    ranked = t[t["rank"].notna()]
    out = pd.DataFrame({"rank_low": pd.Series(pd.NA, index=t.index, dtype="Int64"),
                        "rank_high": pd.Series(pd.NA, index=t.index, dtype="Int64")})
    if ranked.empty or n_boot <= 0:
        return out
    rng = np.random.default_rng(seed)
    rates = {}
    for code, ind in spec["indicators"].items():
        x = ranked[ind["numerator"]].to_numpy(float)
        n = ranked[ind["denominator"]].to_numpy(float)
        safe = np.where(n > 0, n, 1.0)
        rates[code] = np.where(n > 0, rng.beta(x + 0.5, np.maximum(safe - x, 0) + 0.5,
                                               size=(n_boot, len(ranked))), np.nan)
    totals = np.sum(list(_points(ranked, spec, rates).values()), axis=0)
    for group in ranked["group"].unique():
        cols = np.flatnonzero(ranked["group"].to_numpy() == group)
        from scipy.stats import rankdata
        ranks = rankdata(-totals[:, cols], method="min", axis=1)
        out.loc[ranked.index[cols], "rank_low"] = np.quantile(ranks, alpha / 2, axis=0, method="lower")
        out.loc[ranked.index[cols], "rank_high"] = np.quantile(ranks, 1 - alpha / 2, axis=0, method="higher")
    return out


def _national(t: pd.DataFrame, spec: dict) -> dict[str, float]:
    """national_<indicator>: Σ numerator ÷ Σ denominator over every dossier of the period."""
    out = {}
    for code, ind in spec["indicators"].items():
        denominator = t[ind["denominator"]].sum()
        out[f"national_{code}"] = t[ind["numerator"]].sum() / denominator if denominator else np.nan
    return out


def _previous(before: pd.DataFrame) -> pd.DataFrame:
    return before[["basis", "former_units", "total", "rank", "n_ranked"]].rename(columns={
        "basis": "prev_basis", "former_units": "prev_former_units", "total": "total_prev",
        "rank": "rank_prev", "n_ranked": "n_ranked_prev"})


def _ordered(table: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """Columns in reading order; rows by group, rank (unranked last), unit_id."""
    codes = list(spec["indicators"])
    columns = ["period", "prev_period", "unit_id", "name_vi", "name_en", "group", "region",
               "basis", "former_units", *COUNTS, *(f"rate_{c}" for c in codes),
               *(f"points_{g['code']}" for g in spec["groups"]), "total", "rank", "n_ranked",
               "national_average", "vs_national_average", "rank_region", "n_region",
               "prev_basis", "prev_former_units", "total_prev", "rank_prev", "n_ranked_prev",
               "rank_change", "points_change", *(f"national_{c}" for c in codes),
               "missing_indicators", "eligible", "rank_low", "rank_high"]
    table = table.sort_values("unit_id", kind="mergesort")
    table = table.sort_values(["group", "rank"], kind="mergesort", na_position="last")
    return table[columns].reset_index(drop=True)
