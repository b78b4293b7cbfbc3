"""Integrity screening of the ballots of one year: the integrity.csv table.

Each check is a prompt to look at the forms, never a verdict: a flag says that a unit's ballots
look unlike what honest, independent respondents usually give, and the evidence gives the numbers.

Which ballots are screened. The ballots that count under the rules of `analysis.indices.ballots`
(known unit, valid that year, first copy of a repeated (year, ballot_id), at least one answer,
no answer outside the scale), of the chosen year only. The `duplicates` check counts the later
copies, which are rejected as duplicate_ballot. Everything is computed in DuckDB over the file
(read with `analysis.indices.ballots`' own readers, every cell as text); only per-unit aggregates come
back to pandas.

Checks, one row per (unit_id, check), columns unit_id, check, statistic, threshold, flagged,
evidence:

1. identical_patterns: the largest number of ballots sharing one mixed answer pattern (at
   least two different answers; blanks part of the pattern), against the count that independent
   questions would give the same pattern: expected = n · Π_q P̂(answer_q = modal answer_q), with
   the unit's own answer shares over its n ballots. Flagged when observed ≥ 20 and observed >
   4 × expected + 10. statistic = observed, threshold = max(20, 4 × expected + 10).
   Patterns with one answer throughout ("all 5") are left to straight_lining: honest
   respondents' answers are correlated, so on 8 questions "all 5" runs at 10× the independence
   count in clean synthetic units, and a copied "all 5" form cannot be told from enthusiasm.
   (Tuned on demo-mps: the 60 copied forms of CA35 2023 sit in their own unit's answer shares and
   so raise their own expectation; factor 5 missed them, factor 4 finds them.)
2. straight_lining: share of ballots with ≥ 3 answers that give the same answer to every
   answered question, against the median share of the other units that year. Flagged when
   share ≥ median + 0.4 and the unit has ≥ 30 ballots with ≥ 3 answers. threshold = median + 0.4.
3. burst: the largest number of timed ballots (submitted_at holding a time, 'T') in any
   10-minute window [t, t + 10 min] starting at a ballot, against the unit's average per
   10 minutes over its active span (first to last timed ballot, at least 10 minutes). Flagged
   when max ≥ 50 and max ≥ 10 × average. threshold = max(50, 10 × average).
4. duplicates: ballots rejected as duplicate_ballot (recounted with the rule of
   `summarise_ballots`). Flagged when ≥ 5.
5. perfect_results: unit satisfaction (satisfied answers / valid answers) of 100% on ≥ 30
   ballots while the other units of the same size decile (of n ballots, that year) average
   < 97%. statistic = satisfaction, threshold = 1.0.
6. paper_share: share of ballots on paper. Statistic only: threshold NaN, never flagged.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.indices.ballots import open_source
from analysis.inputs.sources import run_query

CHECKS = ("burst", "duplicates", "identical_patterns", "paper_share", "perfect_results",
          "straight_lining")
COLUMNS = ["unit_id", "check", "statistic", "threshold", "flagged", "evidence"]

PATTERN_MIN = 20          # identical_patterns: at least this many identical ballots …
PATTERN_FACTOR = 4        # … and more than FACTOR × expected + SLACK (tuned on demo-mps)
PATTERN_SLACK = 10
STRAIGHT_MARGIN = 0.4     # straight_lining: share ≥ peer median + margin …
STRAIGHT_MIN = 30         # … on at least this many ballots with ≥ 3 answers
BURST_WINDOW_MINUTES = 10
BURST_MIN = 50            # burst: at least this many in one window …
BURST_FACTOR = 10         # … and ≥ FACTOR × the unit's average per window
DUPLICATES_MIN = 5
PERFECT_MIN = 30          # perfect_results: n_ballots ≥ this …
PERFECT_PEERS_BELOW = 0.97  # … and same-decile peers average below this


def screen_ballots(path, units: pd.DataFrame, year: int, scale=(1, 5),
                   satisfied_answers=(4, 5), progress: bool = False) -> pd.DataFrame:
    """The integrity table of `year` for the ballot file or folder at `path` (see module doc);
    `progress` shows a bar while the ballots are read, if that takes over 2 s."""
    path = Path(path)
    year = int(year)
    satisfied = sorted({int(v) for v in satisfied_answers})
    with open_source(path, units) as (con, source, questions):
        _build(con, source, questions, year, scale, progress)
        per_unit = _per_unit(con, len(questions), satisfied)
        patterns = _patterns(con, len(questions))
        bursts = _bursts(con)
    rows: list[dict] = []
    if per_unit.empty:
        return pd.DataFrame(columns=COLUMNS).astype(
            {"statistic": "float64", "threshold": "float64", "flagged": "bool"})
    per_unit = per_unit.merge(patterns, on="unit_id", how="left").merge(bursts, on="unit_id",
                                                                        how="left")
    per_unit = per_unit.sort_values("unit_id", ignore_index=True)
    rows += _identical_rows(per_unit)
    rows += _straight_rows(per_unit)
    rows += _burst_rows(per_unit)
    rows += _duplicate_rows(per_unit)
    rows += _perfect_rows(per_unit)
    rows += _paper_rows(per_unit)
    table = pd.DataFrame(rows, columns=COLUMNS).astype(
        {"unit_id": "str", "check": "str", "statistic": "float64", "threshold": "float64",
         "flagged": "bool", "evidence": "str"})
    return table.sort_values(["unit_id", "check"], ignore_index=True)


# --- SQL -------------------------------------------------------------------------------------

def _build(con, source, questions: list[str], year: int, scale, progress: bool) -> None:
    """Temp table `screened` (the ballots that count, answers as whole numbers or NULL, `ts` the
    submission time if it has one) and `dupes` (duplicate_ballot copies per unit)."""
    low, high = (int(v) for v in scale)

    k = range(len(questions))
    answers = ", ".join(f"{source.present(c)} AS p{i}, {source.whole(c)} AS v{i}"
                        for i, c in enumerate(questions))
    # an answer is bad when present but not a whole number on the scale
    bad = " + ".join(f"(p{i} AND coalesce(NOT v{i} BETWEEN {low} AND {high}, true))::INTEGER"
                     for i in k)
    answered = " + ".join(f"(v{i} IS NOT NULL)::INTEGER" for i in k)
    submitted = source.text("submitted_at") if "submitted_at" in source.raw else "NULL::VARCHAR"
    run_query(con, f"""
    CREATE TEMP TABLE all_rows AS
    WITH raw AS ({source.relation}),
    this_year AS (
        SELECT _file, _pos, {source.key('unit_id')} AS unit_id, {source.key('ballot_id')} AS ballot_id,
               {source.key('channel')} AS channel, {submitted} AS submitted_at, {answers}
        FROM raw WHERE {source.whole('year')} = {year}
    )
    SELECT t.*, r.unit_id IS NOT NULL AND coalesce(r.valid_from <= {year}, true)
               AND coalesce(r.valid_to >= {year}, true) AS valid,
           row_number() OVER (PARTITION BY t.ballot_id ORDER BY t._file, t._pos) AS copy,
           {bad} AS n_bad, {answered} AS m
    FROM this_year t LEFT JOIN registry r ON t.unit_id = r.unit_id
    """, f"integrity screen {year}" if progress else None)
    con.execute("""CREATE TEMP TABLE dupes AS SELECT unit_id, count(*) AS n_duplicates
                   FROM all_rows WHERE valid AND ballot_id <> '' AND copy > 1 GROUP BY unit_id""")
    con.execute(f"""
    CREATE TEMP TABLE screened AS
    SELECT unit_id, lower(channel) AS channel,
           IF(contains(submitted_at, 'T'), TRY_CAST(submitted_at AS TIMESTAMP), NULL) AS ts,
           m, {', '.join(f'v{i}' for i in range(len(questions)))},
           concat_ws('|', {', '.join(f"coalesce(CAST(v{i} AS VARCHAR), '')"
                                     for i in range(len(questions)))}) AS pattern
    FROM all_rows
    WHERE valid AND NOT (ballot_id <> '' AND copy > 1) AND n_bad = 0 AND m > 0
    """)


def _per_unit(con, k: int, satisfied: list[int]) -> pd.DataFrame:
    values = [f"v{i}" for i in range(k)]
    listed = ", ".join(values)
    sat = ", ".join(map(str, satisfied)) or "NULL"
    n_sat = " + ".join(f"coalesce(v{i} IN ({sat}), false)::INTEGER" for i in range(k))
    # same answer to every answered question: least = greatest over the non-blank answers
    straight = f"least({listed}) = greatest({listed})"
    return con.sql(f"""
    WITH u AS (
        SELECT unit_id, count(*) AS n_ballots,
               count(*) FILTER (channel = 'paper') AS n_paper,
               sum(m)::BIGINT AS n_valid, sum({n_sat})::BIGINT AS n_satisfied,
               count(*) FILTER (m >= 3) AS n_three,
               count(*) FILTER (m >= 3 AND {straight}) AS n_straight
        FROM screened GROUP BY unit_id
    )
    SELECT u.*, coalesce(d.n_duplicates, 0) AS n_duplicates
    FROM u LEFT JOIN dupes d USING (unit_id)
    UNION ALL  -- units with only rejected copies still get a duplicates row
    SELECT d.unit_id, 0, 0, 0, 0, 0, 0, d.n_duplicates
    FROM dupes d ANTI JOIN u USING (unit_id)
    ORDER BY unit_id
    """).df()


def _patterns(con, k: int) -> pd.DataFrame:
    """The modal mixed pattern per unit (ties: the smallest pattern text) and its expectation."""
    values = ", ".join(f"v{i}" for i in range(k))
    shares = " * ".join(
        f"(count(*) FILTER (s.v{i} IS NOT DISTINCT FROM m.v{i}))::DOUBLE / count(*)"
        for i in range(k))
    return con.sql(f"""
    WITH counts AS (
        SELECT unit_id, pattern, {values}, count(*) AS n_pattern FROM screened
        WHERE least({values}) < greatest({values}) GROUP BY ALL
    ),
    modal AS (
        SELECT * FROM counts
        QUALIFY row_number() OVER (PARTITION BY unit_id ORDER BY n_pattern DESC, pattern) = 1
    )
    SELECT m.unit_id, any_value(m.pattern) AS modal_pattern,
           any_value(m.n_pattern) AS n_modal, count(*) * {shares} AS expected_modal
    FROM screened s JOIN modal m USING (unit_id)
    GROUP BY m.unit_id
    """).df()


def _bursts(con) -> pd.DataFrame:
    return con.sql(f"""
    WITH timed AS (
        SELECT unit_id, ts, count(*) OVER (
            PARTITION BY unit_id ORDER BY ts
            RANGE BETWEEN CURRENT ROW AND INTERVAL {BURST_WINDOW_MINUTES} MINUTES FOLLOWING) AS n_window
        FROM screened WHERE ts IS NOT NULL
    )
    SELECT unit_id, count(*) AS n_timed, max(n_window) AS burst_max,
           arg_min(ts, (-n_window, ts)) AS burst_start,
           epoch(max(ts) - min(ts)) / 60.0 AS span_minutes
    FROM timed GROUP BY unit_id
    """).df()


# --- rows ------------------------------------------------------------------------------------

def _row(unit, check, statistic, threshold, flagged, evidence) -> dict:
    return {"unit_id": unit, "check": check, "statistic": float(statistic),
            "threshold": float(threshold), "flagged": bool(flagged), "evidence": evidence}


def _pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def _identical_rows(u: pd.DataFrame) -> list[dict]:
    rows = []
    for r in u.itertuples():
        if r.n_ballots == 0 or pd.isna(r.n_modal):
            continue
        observed, expected = int(r.n_modal), float(r.expected_modal)
        threshold = max(PATTERN_MIN, PATTERN_FACTOR * expected + PATTERN_SLACK)
        flagged = observed >= PATTERN_MIN and observed > PATTERN_FACTOR * expected + PATTERN_SLACK
        shown = r.modal_pattern.replace("||", "|blank|").replace("|", ", ")
        shown = ("blank, " + shown[2:]) if shown.startswith(", ") else shown
        shown = (shown + "blank") if shown.endswith(", ") else shown
        rows.append(_row(r.unit_id, "identical_patterns", observed, threshold, flagged,
                         f"{observed} of {r.n_ballots} ballots give the same answers ({shown}); "
                         f"independent questions would give about {expected:.1f}"))
    return rows


def _straight_rows(u: pd.DataFrame) -> list[dict]:
    rows = []
    share = (u["n_straight"] / u["n_three"].where(u["n_three"] > 0)).to_numpy(dtype=float)
    for i, r in enumerate(u.itertuples()):
        if r.n_three == 0:
            continue
        others = np.delete(share, i)
        others = others[~np.isnan(others)]
        median = float(np.median(others)) if len(others) else math.nan
        threshold = median + STRAIGHT_MARGIN
        flagged = r.n_three >= STRAIGHT_MIN and share[i] >= threshold
        rows.append(_row(r.unit_id, "straight_lining", share[i], threshold, flagged,
                         f"{r.n_straight} of {r.n_three} ballots with 3 or more answers "
                         f"({_pct(share[i])}) give one answer to every question; "
                         f"median of other units {_pct(median)}"))
    return rows


def _burst_rows(u: pd.DataFrame) -> list[dict]:
    rows = []
    for r in u.itertuples():
        if pd.isna(r.n_timed) or r.n_timed == 0:
            continue
        windows = max(float(r.span_minutes), BURST_WINDOW_MINUTES) / BURST_WINDOW_MINUTES
        average = r.n_timed / windows
        threshold = max(BURST_MIN, BURST_FACTOR * average)
        flagged = r.burst_max >= threshold
        start = pd.Timestamp(r.burst_start).strftime("%Y-%m-%d %H:%M")
        rows.append(_row(r.unit_id, "burst", r.burst_max, threshold, flagged,
                         f"{int(r.burst_max)} ballots within {BURST_WINDOW_MINUTES} minutes from "
                         f"{start}; the unit averages {average:.2f} per {BURST_WINDOW_MINUTES} "
                         f"minutes over {int(r.n_timed)} timed ballots"))
    return rows


def _duplicate_rows(u: pd.DataFrame) -> list[dict]:
    return [_row(r.unit_id, "duplicates", r.n_duplicates, DUPLICATES_MIN,
                 r.n_duplicates >= DUPLICATES_MIN,
                 f"{int(r.n_duplicates)} ballots repeat the id of an earlier ballot and were "
                 "rejected as duplicates")
            for r in u.itertuples()]


def _perfect_rows(u: pd.DataFrame) -> list[dict]:
    counted = u[u["n_valid"] > 0].copy()
    if counted.empty:
        return []
    counted["rate"] = counted["n_satisfied"] / counted["n_valid"]
    # size deciles by n_ballots, ties broken by unit_id so the grouping is deterministic
    order = counted.sort_values(["n_ballots", "unit_id"]).index
    rank = pd.Series(np.arange(len(order)), index=order)
    counted["decile"] = (rank.reindex(counted.index) * 10 // len(counted)).astype(int)
    rows = []
    for r in counted.itertuples():
        peers = counted[(counted["decile"] == r.decile) & (counted["unit_id"] != r.unit_id)]
        peer_mean = float(peers["rate"].mean()) if len(peers) else math.nan
        flagged = (r.n_satisfied == r.n_valid and r.n_ballots >= PERFECT_MIN
                   and not math.isnan(peer_mean) and peer_mean < PERFECT_PEERS_BELOW)
        rows.append(_row(r.unit_id, "perfect_results", r.rate, 1.0, flagged,
                         f"{_pct(r.rate)} satisfied on {r.n_ballots} ballots; units of similar "
                         f"size (decile {r.decile + 1}) average {_pct(peer_mean)}"))
    return rows


def _paper_rows(u: pd.DataFrame) -> list[dict]:
    rows = []
    for r in u.itertuples():
        if r.n_ballots == 0:
            continue
        share = r.n_paper / r.n_ballots
        if share == 0:
            note = ("no paper ballots: people without a smartphone or internet access may not "
                    "be covered")
        elif share >= 0.5:
            note = ("mostly paper: the survey reaches people without smartphones, but paper forms "
                    "carry no time and are easier to copy or fill in on someone's behalf")
        else:
            note = "a minority on paper: people without smartphones are partly covered"
        rows.append(_row(r.unit_id, "paper_share", share, math.nan, False,
                         f"{r.n_paper} of {r.n_ballots} ballots on paper ({_pct(share)}); {note}"))
    return rows
