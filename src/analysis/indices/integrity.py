"""Integrity screening of the ballots of one year: the integrity.csv and integrity_ballots.csv tables.

Each check is a prompt to look at the forms, never a verdict: a flag says that a unit's ballots
look unlike what its own other ballots, or comparable units, make likely; the evidence gives the
numbers, the ballots involved, and the unit's satisfaction without them.

Which ballots are screened. The ballots that count under the rules of `analysis.indices.ballots`
(known unit, valid that year, first copy of a repeated (year, ballot_id), at least one answer, no
answer outside the scale), of the chosen year (and of the latest earlier year, for `year_shift`).
`duplicates` counts the later copies, rejected as duplicate_ballot. Everything is computed in
DuckDB over the in-memory table of the ballot file that the rules use
(`analysis.indices.ballots.read_ballots`); only aggregates come back to pandas.

Thresholds. Every statistic below is scaled so that one threshold fits units of every size; the
thresholds of the calibrated checks are the 99th percentile of the statistic over the clean units
of five generator seeds (`benchmarks/calibrate_integrity.py`, seeds 101–105, not used to design
the checks or in the tests): about 1% of clean units are flagged by each. The tests plant
tampering with code of their own (not the generator's) and report detection and false alarms.

Checks, one row per (unit_id, check):

1. identical_patterns (copied forms). For each answer pattern (blanks part of it) seen c ≥ 3
   times among a unit's paper forms, or among its digital ballots, two references say how
   often it should appear there: (a) the unit's own ballots of the other channel, when both have
   ≥ 30 ballots: if channel labels were shuffled among the unit's ballots, c ~ Binomial(c +
   c_other, n / (n + n_other)); (b) comparable units, the other units in the same decile of
   satisfaction: c ~ Binomial(c + c_peers, n / (n + n_peers)). A common pattern ("all 5") is
   common in the reference too, so it needs no exclusion. Surprise = −log10 P(X ≥ c) under the
   reference that makes c least likely, less log10(2 × patterns tested in the unit)
   (Bonferroni). statistic = the largest surprise; the patterns at or above the threshold
   are the ones listed. Evidence counts the ballots with an exact twin (maximum percent match
   100%, Kuriakose & Robbins 2016).
2. channel_gap (erased dissatisfaction). d = logit of the share of digital ballots with a low
   answer (one not in `satisfied_answers`) − the same for paper forms (empirical logits, Cox
   1970, variance 1/(a + ½) + 1/(b + ½)); statistic = the random-effects z of d across units
   (DerSimonian–Laird: how the channels differ everywhere, over-dispersion allowed for; refitted
   without the units beyond |z| > 3). Both channels need ≥ 30 ballots.
3. all_top (perfection): share of ballots with ≥ 3 answers all at the top of the scale, on the
   logit scale, against what the unit's share of top answers on its other ballots predicts
   (weighted least squares across units); statistic = the residual's z with the between-unit
   variance of the residuals allowed for (method of moments; refitted without |z| > 3).
4. year_shift: change of the unit's mean answer since the latest earlier year (ratio over
   ballots, cluster variances), random-effects z across units (refitted without |z| > 3); only
   rises are flagged.
5. burst: for windows of 10, 30 and 60 minutes starting at each minute with a timed ballot,
   the busiest 5 windows of each length against the unit's rate at that time of day (ballots
   in that clock hour over all days ÷ 60 × days with a timed ballot; the busier of the hours a
   window touches): −log10 P(Poisson(rate · W) ≥ count) − log10(3 × windows examined); the
   largest. A burst is flagged only with ≥ 10 ballots.
6. straight_lining: share of ballots with ≥ 3 answers giving one answer throughout, against
   the median share of the other units; flagged at median + 0.4 with ≥ 30 such ballots.
7. duplicates: ballots rejected as duplicate_ballot; flagged at ≥ 5.
8. perfect_results: 100% satisfied on ≥ 30 ballots while same-size-decile units average < 97%.
9. paper_share: share of ballots on paper; statistic only (never flagged).

Per row: `facts` (JSON) holds the numbers of the evidence sentence (catalog key
`evidence.<check>` in both languages; `evidence` is its English text), `n_involved` the ballots
listed for a flag in integrity_ballots, `p_published` the unit's satisfaction and `p_without` the
same without the ballots involved.
"""
from __future__ import annotations

import copy
import json
import math
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analysis.indices.ballots import (ID_TEXT, REASON_CODE, is_satisfied, open_source, read_ballots,
                                      read_ids, satisfied_codes)
from analysis.inputs.sources import csv_lines, use_packed
from analysis.stats.dispersion import random_effects, ratio_variance

CHECKS = ("all_top", "burst", "channel_gap", "duplicates", "identical_patterns", "paper_share",
          "perfect_results", "straight_lining", "year_shift")
COLUMNS = ["unit_id", "check", "statistic", "threshold", "flagged", "evidence", "facts",
           "n_involved", "p_published", "p_without"]
BALLOT_COLUMNS = ["unit_id", "check", "ballot_id", "file", "row", "channel", "answers"]

# calibrated thresholds (99th percentile over clean units of seeds 101–105)
THRESHOLDS = {"identical_patterns": 3.5, "channel_gap": 2.4, "all_top": 2.0,
              "year_shift": 2.0, "burst": 2.4}
# as measured by tests/test_integrity_planted.py (tampering planted on a fresh seed): flagged / planted
# per kind by the check meant for it, and the highest false-alarm share of a calibrated check
MEASURED_RATES = {"copies": "12/12", "erasure": "12/12", "stuffing": "12/12", "false_alarms": 0.013}
MIN_BALLOTS = 30          # channel_gap: per channel; all_top, straight_lining: ballots with ≥ 3 answers
BURST_WINDOWS = (10, 30, 60)
BURST_CANDIDATES = 5      # busiest windows per unit and length whose surprise is computed
BURST_MIN = 10            # a burst is at least this many ballots
BURST_BATCH = 1 << 21     # timed ballots fetched at once
TRIM = 3.0                # random-effects checks: units beyond |z| > 3 left out of the yardstick
STRAIGHT_MARGIN = 0.4
DUPLICATES_MIN = 5
PERFECT_PEERS_BELOW = 0.97

EVIDENCE = {  # English evidence sentences; the catalog's evidence.<check> in both languages
    "identical_patterns": "{observed} ballots repeat {patterns} answer pattern(s) that the unit's "
                          "other ballots (or comparable units) make likely about {expected} "
                          "times; {twins} of {n} ballots have an exact twin",
    "channel_gap": "{low_paper} of paper forms ({n_paper}) carry a low answer against "
                   "{low_digital} of digital ballots ({n_digital}); across units the odds of a low "
                   "answer are {usual_ratio} times as high on digital ballots as on paper",
    "all_top": "{n_top} of {n} ballots ({share}) give the top answer to every question; its other "
               "ballots predict about {expected}",
    "year_shift": "mean answer {mean} against {mean_prev} in {prev_year}; units change by "
                  "{usual_change} on average",
    "burst": "{count} ballots within {window} minutes from {start}; at that time of day the "
             "unit averages {rate} per {window} minutes",
    "straight_lining": "{n_straight} of {n_three} ballots with 3 or more answers ({share}) give one "
                       "answer to every question; median of other units {median}",
    "duplicates": "{count} ballots repeat the id of an earlier ballot and were rejected as "
                  "duplicates",
    "perfect_results": "{share} satisfied on {n} ballots; units of similar size (decile "
                       "{decile}) average {peers}",
    "paper_share": "{n_paper} of {n} ballots on paper ({share})",
}


@dataclass(frozen=True)
class Screen:
    table: pd.DataFrame     # integrity.csv: one row per (unit_id, check)
    ballots: pd.DataFrame   # integrity_ballots.csv: the ballots behind each flag


def screen_ballots(path, units: pd.DataFrame, year: int, scale=(1, 5),
                   satisfied_answers=(4, 5), progress: bool = False) -> pd.DataFrame:
    """The integrity table of `year` for the ballot file or folder at `path` (see module doc)."""
    return screen(path, units, year, scale, satisfied_answers, progress).table


def screen(path, units: pd.DataFrame, year: int, scale=(1, 5), satisfied_answers=(4, 5),
           progress: bool = False) -> Screen:
    """Both integrity tables of `year`; `progress` shows a bar while the ballots are read."""
    with open_source(Path(path), units) as (con, source, questions):
        read_ballots(con, source, questions, scale, satisfied_answers, timed_year=int(year),
                     progress=progress)
        return screen_source(con, source, questions, int(year), scale, satisfied_answers)


def screen_source(con, source, questions: list[str], year: int, scale, satisfied_answers,
                  progress: bool = False) -> Screen:
    """Both integrity tables of `year` from the table `ballots` of `source` on connection `con`
    (`analysis.indices.ballots.read_ballots`, read with `timed_year=year`; `progress` is not
    used: the file has been read)."""
    years = _screened_view(con, len(questions), year, scale)
    return _screen_table(con, len(questions), year, years, scale, satisfied_answers, source)


def _screen_table(con, k: int, year: int, years: str, scale, satisfied_answers, source) -> Screen:
    """The screen over the view `screened` (see `_screened_view`) of connection `con`."""
    low, high = (int(v) for v in scale)
    satisfied = sorted({int(v) for v in satisfied_answers})
    ctx = _Context(con, k, year, years, low, high, satisfied)
    if ctx.units.empty and ctx.dupes.empty:
        return Screen(_frame([]), pd.DataFrame(columns=BALLOT_COLUMNS))
    rows, involved = [], []
    # the bursts run beside the other checks, on a cursor of their own: DuckDB runs the two
    # threads' queries side by side, and numpy's window sums fill the other checks' waits
    with con.cursor() as cursor, ThreadPoolExecutor(max_workers=1) as pool:  # thread ends first
        use_packed(cursor)
        bursts = pool.submit(_burst, copy.copy(ctx).on(cursor))
        for check in (_identical, _channel_gap, _all_top, _year_shift, _straight, _duplicates,
                      _perfect, _paper):
            found_rows, found_ballots = _beside(check, ctx, bursts)
            rows += found_rows
            involved += found_ballots
        try:
            found_rows, found_ballots = bursts.result()
        except duckdb.OutOfMemoryException:
            found_rows, found_ballots = _burst(ctx)  # alone, now that the other checks are done
        rows += found_rows
        involved += found_ballots
    table = _frame(rows)
    ballots = _involved_ballots(ctx, involved, source)
    table = _recompute(table, ballots, ctx)
    return Screen(table, ballots.reindex(columns=BALLOT_COLUMNS).reset_index(drop=True))


def _beside(check, ctx: _Context, bursts: Future):
    """`check(ctx)` while the bursts' sort runs beside it. The two share DuckDB's memory limit,
    which at national scale they can outgrow together though not alone (50 M ballots a year:
    the copied forms' counts failed beside the bursts in 2 tries of 5); the check then runs
    again once the bursts are done."""
    try:
        return check(ctx)
    except duckdb.OutOfMemoryException:
        wait([bursts])
        return check(ctx)


# --- the screened ballots --------------------------------------------------------------------

def _screened_view(con, k: int, year: int, scale) -> str:
    """View `screened` (not a temporary one: cursors see it): the ballots that count, of `year`
    and of the latest earlier year with ballots of a known unit valid that year; `u` the
    unit's code in `registry`, `channel` in lower case, `paper`, `pattern` the code of the
    answers (blanks part of it). Returns the years screened, as an SQL list."""
    low, high = (int(v) for v in scale)
    base = high - low + 2
    pattern = " + ".join(f"a{i}::BIGINT * {base ** i}" for i in range(k))  # a: answer codes
    unusable = ", ".join(str(REASON_CODE[r]) for r in ("missing_year", "unknown_unit",
                                                        "outside_validity"))
    previous = con.execute(f"""SELECT max(year) FROM (
                                   SELECT year FROM unit_sums
                                   UNION ALL SELECT year FROM rejected WHERE reason NOT IN ({unusable})
                               ) WHERE year < {year}""").fetchone()[0]
    years = f"({year}{'' if previous is None else f', {previous}'})"
    con.execute(f"""
    CREATE OR REPLACE VIEW screened AS
    SELECT year, u, _file, _pos, lower(channel) AS channel,
           lower(channel) = 'paper' AS paper, minute, m, {', '.join(f"a{i}" for i in range(k))},
           {pattern} AS pattern
    FROM ballots WHERE reason IS NULL AND year IN {years}
    """)
    return years


class _Context:
    """Per-unit sums of the screened ballots, shared by the checks."""

    def __init__(self, con, k: int, year: int, years: str, low: int, high: int,
                 satisfied: list[int]):
        self.con, self.k, self.year, self.low, self.high = con, k, year, low, high
        self.satisfied = satisfied
        sums = {"n": "n_ballots", "s_m": "n_valid", "s_y": "n_satisfied", "s_s": "s_s",
                "s_mm": "s_mm", "s_ss": "s_ss", "s_sm": "s_sm", "n_low": "n_low",
                "n_three": "n_three", "n_straight": "n_straight", "n_top": "n_top",
                "t_other": "t_other", "m_other": "m_other"}  # (see `read_ballots`)
        self.cells = con.sql(f"""
        SELECT year, unit_id, lower(channel) = 'paper' AS paper,
               {', '.join(f"sum({column})::BIGINT AS {name}" for name, column in sums.items())}
        FROM unit_sums WHERE year IN {years} GROUP BY ALL ORDER BY ALL
        """).df()
        this = self.cells[self.cells["year"] == year]
        sums = [c for c in this.columns if c not in ("year", "unit_id", "paper")]
        self.units = this.groupby("unit_id", as_index=False)[sums].sum()
        self.units["p"] = self.units["s_y"] / self.units["s_m"]
        # the units of the registry by their code in the ballots table, and the codes by name
        names = con.sql("SELECT unit_id FROM registry ORDER BY code").df()["unit_id"]
        self.names = names.to_numpy()
        self.code = pd.Series(np.arange(len(self.names)), index=self.names)
        self.dupes = con.sql(f"""SELECT r.unit_id, n AS n_duplicates FROM (
                                     SELECT u, count(*) AS n FROM rejected
                                     WHERE year = {year}
                                     AND reason = {REASON_CODE['duplicate_ballot']}
                                     GROUP BY u) JOIN registry r ON r.code = u
                                 ORDER BY r.unit_id""").df()
        self.previous = self.cells.loc[self.cells["year"] < year, "year"].max()

    def on(self, con) -> "_Context":
        """This context, its queries sent to `con` (a cursor, for a check run in a thread)."""
        self.con = con
        return self


def _frame(rows: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=COLUMNS).astype(
        {"unit_id": "str", "check": "str", "statistic": "float64", "threshold": "float64",
         "flagged": "bool", "evidence": "str", "facts": "str", "n_involved": "int64",
         "p_published": "float64", "p_without": "float64"})
    return table.sort_values(["unit_id", "check"], ignore_index=True)


def _row(unit, check, statistic, threshold, flagged, facts: dict) -> dict:
    facts = {key: (round(float(v), 4) if isinstance(v, (float, np.floating)) else
                   int(v) if isinstance(v, (np.integer,)) else v) for key, v in facts.items()}
    return {"unit_id": unit, "check": check, "statistic": float(statistic),
            "threshold": float(threshold), "flagged": bool(flagged),
            "evidence": evidence_text(check, facts, "en"),
            "facts": json.dumps(facts, ensure_ascii=False, sort_keys=True),
            "n_involved": 0, "p_published": math.nan, "p_without": math.nan}


def evidence_text(check: str, facts: dict, lang: str = "en") -> str:
    """The English evidence sentence of a row from its facts (numbers formatted for reading);
    the publication formats the catalog's `evidence.<check>` the same way in each language."""
    return EVIDENCE[check].format(**shown_facts(facts, lang))


def shown_facts(facts: dict, lang: str = "en") -> dict:
    """Facts as text: shares (keys starting share_/low_/p_ or named share) as percentages with
    one decimal, other decimals with two; a comma decimal mark in Vietnamese; the true minus
    sign (U+2212), never the hyphen, before a negative number."""
    out = {}
    for key, value in facts.items():
        if isinstance(value, float):
            if key in ("share", "median", "peers", "expected_share", "usual_gap") or \
                    key.startswith(("low_", "share_")):
                text = "n/a" if math.isnan(value) else f"{100 * value:.1f}%"
            else:
                text = "n/a" if math.isnan(value) else f"{value:.2f}"
            text = text.replace("-", "\u2212")
            out[key] = text.replace(".", ",") if lang == "vi" else text
        else:
            out[key] = value
    return out


def _surprise(distribution, count, *args) -> np.ndarray:
    """−log10 P(X ≥ count) for a scipy discrete `distribution`; where the tail underflows, the
    probability of X = count (a lower bound of the tail) stands in, so the value stays finite."""
    count = np.asarray(count, dtype=float)
    tail = distribution.logsf(count - 1, *args)
    return -np.where(np.isfinite(tail), tail, distribution.logpmf(count, *args)) / math.log(10)


# --- 1. copied forms -------------------------------------------------------------------------

def _identical(ctx: _Context):
    pc = _pattern_surprise(ctx)
    if pc.empty:
        return [], []
    threshold = THRESHOLDS["identical_patterns"]
    unit, c, e, surprise, paper, pattern, reference, twins, n_unit = (
        pc[name].to_numpy() for name in ("unit_id", "c", "e", "surprise", "paper", "pattern",
                                         "reference", "twins", "n_unit"))
    starts = np.flatnonzero(np.r_[True, unit[1:] != unit[:-1]])  # pc is sorted by unit
    rows, involved = [], []
    for a, b in zip(starts, np.r_[starts[1:], len(pc)]):
        best = a + int(np.argmax(surprise[a:b]))  # the first of the largest
        hit = a + np.flatnonzero(surprise[a:b] >= threshold)
        shown = hit if len(hit) else np.array([best])
        rows.append(_row(unit[a], "identical_patterns", surprise[best], threshold, len(hit) > 0, {
            "observed": int(c[shown].sum()), "patterns": len(shown),
            "expected": float(e[shown].sum()),
            "channel": "paper" if bool(paper[shown[0]]) else "digital",
            "reference": str(reference[best]), "twins": int(twins[best]),
            "n": int(n_unit[best])}))
        involved += [("identical_patterns", unit[a], {"paper": bool(paper[i]),
                                                      "pattern": int(pattern[i])}) for i in hit]
    return rows, involved


def _pattern_surprise(ctx: _Context) -> pd.DataFrame:
    """Patterns seen at least 3 times in a cell (unit × paper or digital), with e, their
    expected count, and their Bonferroni surprise (see the module doc). The counts of every
    pattern, and the sums the references need, are taken in SQL; only the tested patterns come
    back."""
    units = ctx.units.sort_values(["p", "unit_id"])
    decile = np.arange(len(units)) * 10 // max(len(units), 1)
    n_decile = units.groupby(decile)["n"].sum()
    ctx.con.register("deciles", pd.DataFrame({"u": ctx.code[units["unit_id"]].to_numpy(),
                                              "decile": decile}))
    # a temporary table, not a materialised CTE: at 100 M ballots it holds tens of millions of
    # patterns, which a table may spill to disk under the memory limit and a CTE may not
    ctx.con.execute(f"""
    CREATE OR REPLACE TEMP TABLE pc AS
        SELECT u, decile, paper, pattern, c
        FROM (SELECT u, paper, pattern, count(*) AS c FROM screened WHERE year = {ctx.year}
              GROUP BY ALL) JOIN deciles USING (u)
    """)
    ctx.con.unregister("deciles")
    pc = ctx.con.sql("""
    WITH tested AS (SELECT * FROM pc WHERE c >= 3),
    per_unit AS (SELECT u, sum(c)::BIGINT AS n_unit,
                        coalesce(sum(c) FILTER (c >= 2), 0)::BIGINT AS twins
                 FROM pc GROUP BY ALL),
    per_cell AS (SELECT u, paper, sum(c)::BIGINT AS n_cell FROM pc GROUP BY ALL),
    in_decile AS (  -- the tested patterns' counts in each decile
        SELECT decile, pattern, sum(c)::BIGINT AS c_decile
        FROM pc WHERE (decile, pattern) IN (SELECT (decile, pattern) FROM tested) GROUP BY ALL
    )
    SELECT t.u, t.paper, t.pattern, t.c, n_cell, n_unit, twins,
           t.c + coalesce(o.c, 0) AS c_unit, t.decile, c_decile
    FROM tested t JOIN per_unit USING (u) JOIN per_cell USING (u, paper)
         LEFT JOIN pc o ON o.u = t.u AND o.pattern = t.pattern AND o.paper <> t.paper
         JOIN in_decile d ON d.decile = t.decile AND d.pattern = t.pattern
    ORDER BY t.u, t.paper, t.pattern
    """).df()
    ctx.con.execute("DROP TABLE pc")
    u = pc.pop("u").to_numpy()
    pc.insert(0, "unit_id", ctx.names[u])
    c, c_unit, c_decile = (pc[name].to_numpy() for name in ("c", "c_unit", "c_decile"))
    n_cell, n_unit = pc["n_cell"].to_numpy(), pc["n_unit"].to_numpy()
    own = (n_cell >= MIN_BALLOTS) & (n_unit - n_cell >= MIN_BALLOTS)
    # two references: the unit's other channel (where both have ≥ 30 ballots), comparable units
    references = {"other_channel": (c_unit - c, n_unit - n_cell, own),
                  "comparable_units": (c_decile - c_unit,
                                       pc["decile"].map(n_decile).to_numpy() - n_unit,
                                       np.ones(len(pc), bool))}
    surprise, e = np.full(len(pc), -np.inf), np.full(len(pc), np.nan)
    reference = np.full(len(pc), "", dtype=object)
    from scipy import stats
    for name, (c_ref, n_ref, usable) in references.items():
        usable = usable & (n_ref > 0)
        share = np.where(usable, n_cell / (n_cell + np.maximum(n_ref, 1)), 0.5)
        tail = _surprise(stats.binom, c, c + c_ref, share)
        better = usable & (tail > surprise)
        surprise = np.where(better, tail, surprise)
        e = np.where(better, (c + c_ref) * share, e)
        reference[better] = name
    tested = np.isfinite(surprise)
    u = u[tested]
    tests = 2 * np.bincount(u)[u]  # the patterns tested in the unit, in both cells
    return pc[tested].assign(surprise=surprise[tested] - np.log10(tests), e=e[tested],
                             reference=reference[tested])


# --- 2. channel discrepancy ------------------------------------------------------------------

def _channel_gap(ctx: _Context):
    cells = ctx.cells[ctx.cells["year"] == ctx.year]
    paper = cells[cells["paper"]].set_index("unit_id")
    digital = cells[~cells["paper"]].groupby("unit_id").sum(numeric_only=True)
    both = paper.index.intersection(digital.index)
    both = both[(paper.loc[both, "n"] >= MIN_BALLOTS) & (digital.loc[both, "n"] >= MIN_BALLOTS)]
    if len(both) < 3:
        return [], []
    p, d = paper.loc[both], digital.loc[both]
    (lp, vp), (ld, vd) = _logit_share(p["n_low"], p["n"]), _logit_share(d["n_low"], d["n"])
    mu, _, z = random_effects(ld - lp, vp + vd, trim=TRIM)
    threshold = THRESHOLDS["channel_gap"]
    rows, involved = [], []
    n_paper, n_digital = p["n"].to_numpy(), d["n"].to_numpy()
    low_paper, low_digital = p["n_low"].to_numpy() / n_paper, d["n_low"].to_numpy() / n_digital
    for i, unit in enumerate(both):
        flagged = z[i] >= threshold
        rows.append(_row(unit, "channel_gap", z[i], threshold, flagged, {
            "low_paper": float(low_paper[i]), "low_digital": float(low_digital[i]),
            "n_paper": int(n_paper[i]), "n_digital": int(n_digital[i]),
            "usual_ratio": float(math.exp(mu))}))
        if flagged:
            involved.append(("channel_gap", unit, {}))
    return rows, involved


def _logit_share(count, n) -> tuple[np.ndarray, np.ndarray]:
    """Empirical logit of count/n and its variance (Cox 1970: +0.5 on both counts)."""
    a, b = np.asarray(count, float) + 0.5, np.asarray(n, float) - np.asarray(count, float) + 0.5
    return np.log(a / b), 1 / a + 1 / b


# --- 3. perfection and shifts ----------------------------------------------------------------

def _logit(x):
    return np.log(x / (1 - x))


def _all_top(ctx: _Context):
    u = ctx.units[(ctx.units["n_three"] >= MIN_BALLOTS) & (ctx.units["m_other"] > 0)]
    if len(u) < 3:
        return [], []
    n, a = u["n_three"].to_numpy(float), u["n_top"].to_numpy(float)
    share = (a + 0.5) / (n + 1)
    y = _logit(share)
    x = _logit((u["t_other"].to_numpy(float) + 0.5) / (u["m_other"].to_numpy(float) + 1))
    var = 1 / ((n + 1) * share * (1 - share))
    # weighted least squares, then the residuals' extra variance τ² by the method of moments;
    # fitted again without the units beyond |z| > TRIM
    design = np.column_stack([np.ones_like(x), x])
    inside, tau2 = np.ones(len(y), bool), 0.0
    for _ in range(3):
        w = np.where(inside, 1 / (var + tau2), 0.0)
        coef = np.linalg.solve(design.T @ (design * w[:, None]), design.T @ (w * y))
        resid = y - design @ coef
        tau2 = max(0.0, float(np.mean((resid ** 2 - var)[inside])))
        z = resid / np.sqrt(var + tau2)
        inside = np.abs(z) <= TRIM
    expected = 1 / (1 + np.exp(-(design @ coef)))
    threshold = THRESHOLDS["all_top"]
    rows, involved = [], []
    for i, r in enumerate(u.itertuples()):
        flagged = z[i] >= threshold
        rows.append(_row(r.unit_id, "all_top", z[i], threshold, flagged, {
            "n_top": int(r.n_top), "n": int(r.n_three), "share": float(a[i] / n[i]),
            "expected": float(expected[i] * n[i])}))
        if flagged:
            involved.append(("all_top", r.unit_id, {}))
    return rows, involved


def _year_shift(ctx: _Context):
    if pd.isna(ctx.previous):
        return [], []
    before = ctx.cells[ctx.cells["year"] == ctx.previous].groupby("unit_id").sum(numeric_only=True)
    now = ctx.units.set_index("unit_id")
    both = now.index.intersection(before.index)
    both = both[(now.loc[both, "n"] >= MIN_BALLOTS) & (before.loc[both, "n"] >= MIN_BALLOTS)]
    if len(both) < 3:
        return [], []
    a, b = now.loc[both], before.loc[both]
    mean, var = ratio_variance(a["n"], a["s_s"], a["s_m"], a["s_ss"], a["s_mm"], a["s_sm"])
    mean0, var0 = ratio_variance(b["n"], b["s_s"], b["s_m"], b["s_ss"], b["s_mm"], b["s_sm"])
    mu, _, z = random_effects(mean - mean0, var + var0, trim=TRIM)
    threshold = THRESHOLDS["year_shift"]
    return [_row(unit, "year_shift", z[i], threshold, z[i] >= threshold, {
        "mean": float(mean[i]), "mean_prev": float(mean0[i]), "prev_year": int(ctx.previous),
        "usual_change": float(mu)}) for i, unit in enumerate(both) if np.isfinite(z[i])], []


# --- 4. bursts -------------------------------------------------------------------------------

def _burst(ctx: _Context):
    names = ctx.names  # by the unit's code in the table `registry`
    n = len(names)
    days, starts = np.zeros(n, np.int64), np.zeros(n, np.int64)  # per unit
    per_hour = np.zeros(n * 24, np.int64)  # ballots per unit and clock hour, over all days
    parts = []
    for unit, minute, c in _timed_minutes(ctx.con, ctx.year):
        day = minute // 1440
        new_day = np.r_[True, (unit[1:] != unit[:-1]) | (day[1:] != day[:-1])]
        days += np.bincount(unit[new_day], minlength=n)
        starts += np.bincount(unit, minlength=n)
        per_hour += np.bincount(unit * 24 + (minute // 60) % 24, c, n * 24).astype(np.int64)
        parts += _top_windows(unit, minute, c)
    if not parts:
        return [], []
    top = _busiest(parts, names)
    # the unit's rate at that time of day: the busier of the clock hours the window touches
    u = ctx.code[top["unit_id"]].to_numpy()
    rate = np.zeros(len(top))
    for end in (top["minute"], top["minute"] + top["width"] - 1):
        hour = ((end // 60) % 24).to_numpy()
        rate = np.maximum(rate, per_hour[u * 24 + hour] / (60.0 * days[u]))
    top["expected"] = rate * top["width"]
    from scipy import stats
    top["surprise"] = (_surprise(stats.poisson, top["count"], top["expected"])
                       - np.log10(len(BURST_WINDOWS) * starts[u]))
    top = top.sort_values(["unit_id", "surprise", "width"], ascending=[True, False, True])
    threshold = THRESHOLDS["burst"]
    rows, involved = [], []
    for r in top.drop_duplicates("unit_id").itertuples():
        flagged = r.surprise >= threshold and r.count >= BURST_MIN
        rows.append(_row(r.unit_id, "burst", r.surprise, threshold, flagged, {
            "count": int(r.count), "window": int(r.width),
            "start": pd.Timestamp(int(r.minute) * 60, unit="s").strftime("%Y-%m-%d %H:%M"),
            "rate": float(r.expected)}))
        if flagged:
            involved.append(("burst", r.unit_id, {"start": int(r.minute),
                                                  "end": int(r.minute) + int(r.width)}))
    return rows, involved


def _timed_minutes(con, year: int):
    """The minutes (since 1970) with a timed ballot of `year`, in (unit, minute) order, as
    batches (unit, minute, c) of whole units, c the ballots in each minute: one sorted pass over
    the ballots, streamed about BURST_BATCH ballots at a time to bound memory."""
    reader = con.sql(f"""SELECT u, minute FROM screened WHERE year = {int(year)}
                         AND minute IS NOT NULL ORDER BY u, minute""").to_arrow_reader(BURST_BATCH)
    held, held_unit = [], None  # the ballots of the last unit read, which the next batch may go on
    for batch in reader:
        unit = batch.column(0).to_numpy().astype(np.int64)
        minute = batch.column(1).to_numpy().astype(np.int64)
        if not len(unit):
            continue
        if unit[-1] == held_unit:  # the whole batch goes on with the held unit
            held.append((unit, minute))
            continue
        cut = int(np.searchsorted(unit, unit[-1]))  # where the batch's last unit begins
        if held or cut:
            yield _per_minute(*(np.concatenate(x) for x in zip(*held, (unit[:cut], minute[:cut]))))
        held, held_unit = [(unit[cut:], minute[cut:])], unit[-1]
    if held:
        yield _per_minute(*(np.concatenate(x) for x in zip(*held)))


def _per_minute(unit: np.ndarray, minute: np.ndarray) -> tuple:
    """(unit, minute, c): each distinct (unit, minute) of the sorted pairs, c its ballots."""
    first = np.flatnonzero(np.r_[True, (unit[1:] != unit[:-1]) | (minute[1:] != minute[:-1])])
    return unit[first], minute[first], np.diff(np.r_[first, len(unit)])


def _busiest(parts: list[tuple], names) -> pd.DataFrame:
    """The busiest windows of `_top_windows` (per part), as a frame in (unit_id, width, minute)
    order."""
    unit, minute, width, count = (np.concatenate(column) for column in zip(*parts))
    order = np.lexsort((minute, width, unit))
    return pd.DataFrame({"unit_id": np.array(names, dtype=object)[unit[order]],
                         "minute": minute[order], "width": width[order], "count": count[order]})


def _top_windows(unit: np.ndarray, minute: np.ndarray, c: np.ndarray) -> list[tuple]:
    """(unit, start, width, count) of the busiest windows, for minutes sorted by (unit, minute):
    of each unit and width, the BURST_CANDIDATES largest counts, ties the earliest; picked one
    round at a time (each unit's largest count not yet taken, `maximum.reduceat`), which is
    linear where sorting all the windows by count was not."""
    if not len(unit):
        return []
    key = (unit << 40) + minute  # ordered like (unit, minute): |minute| < 2^39
    prefix = np.r_[0, np.cumsum(c)]
    starts = np.flatnonzero(np.r_[True, unit[1:] != unit[:-1]])  # each unit's first row
    of_unit = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(unit)]))
    parts = []
    for width in BURST_WINDOWS:
        count = prefix[np.searchsorted(key, key + width)] - prefix[:-1]
        left, kept = count.copy(), []   # left: the counts not yet taken (taken: −1)
        for _ in range(BURST_CANDIDATES):
            most = np.maximum.reduceat(left, starts)
            hits = np.flatnonzero((left == most[of_unit]) & (left >= 0))
            first = hits[np.unique(of_unit[hits], return_index=True)[1]]  # the earliest
            kept.append(first)
            left[first] = -1
        kept = np.concatenate(kept)
        parts.append((unit[kept], minute[kept], np.full(len(kept), width), count[kept]))
    return parts


# --- 5. the checks kept from before ----------------------------------------------------------

def _straight(ctx: _Context):
    u = ctx.units
    share = (u["n_straight"] / u["n_three"].where(u["n_three"] > 0)).to_numpy(dtype=float)
    medians = _median_of_others(share)
    rows, involved = [], []
    for i, r in enumerate(u.itertuples()):
        if r.n_three == 0:
            continue
        median = float(medians[i])
        threshold = median + STRAIGHT_MARGIN
        flagged = r.n_three >= MIN_BALLOTS and share[i] >= threshold
        rows.append(_row(r.unit_id, "straight_lining", share[i], threshold, flagged, {
            "n_straight": int(r.n_straight), "n_three": int(r.n_three), "share": float(share[i]),
            "median": median}))
        if flagged:
            involved.append(("straight_lining", r.unit_id, {}))
    return rows, involved


def _median_of_others(x: np.ndarray) -> np.ndarray:
    """For each i, the median of the values of x other than x[i], NaN left out (NaN when none
    is left). The values are sorted once: leaving x[i] out of n sorted values s takes s[p] out
    (p: a place of x[i]), so the j-th of the others is s[j] before p and s[j + 1] from p on."""
    s = np.sort(x[~np.isnan(x)])
    if not len(s):
        return np.full(len(x), np.nan)
    own = ~np.isnan(x)
    m = len(s) - own                                    # how many others each value has
    p = np.where(own, np.searchsorted(s, np.where(own, x, 0.0)), len(s))
    nth = lambda j: s[np.minimum(np.where(j < p, j, j + 1), len(s) - 1)]  # j-th of the others
    upper, lower = nth(m // 2), nth(np.maximum(m // 2 - 1, 0))
    return np.where(m == 0, np.nan, np.where(m % 2 == 1, upper, (lower + upper) / 2))


def _duplicates(ctx: _Context):
    counts = ctx.dupes.set_index("unit_id")["n_duplicates"]
    units = sorted(set(ctx.units["unit_id"]) | set(counts.index))
    return [_row(u, "duplicates", counts.get(u, 0), DUPLICATES_MIN,
                 counts.get(u, 0) >= DUPLICATES_MIN, {"count": int(counts.get(u, 0))})
            for u in units], []


def _perfect(ctx: _Context):
    counted = ctx.units[ctx.units["s_m"] > 0].copy()
    if counted.empty:
        return [], []
    order = counted.sort_values(["n", "unit_id"]).index
    rank = pd.Series(np.arange(len(order)), index=order)
    counted["decile"] = (rank.reindex(counted.index) * 10 // len(counted)).astype(int)
    # the mean of the other units of the decile: (decile sum − own) ÷ (decile count − 1)
    total = counted.groupby("decile")["p"].transform("sum")
    others = counted.groupby("decile")["p"].transform("size") - 1
    counted["peers"] = ((total - counted["p"]) / others.where(others > 0)).astype(float)
    rows = []
    for r in counted.itertuples():
        peer_mean = r.peers
        flagged = (r.s_y == r.s_m and r.n >= MIN_BALLOTS and not math.isnan(peer_mean)
                   and peer_mean < PERFECT_PEERS_BELOW)
        rows.append(_row(r.unit_id, "perfect_results", r.p, 1.0, flagged, {
            "share": float(r.p), "n": int(r.n), "decile": int(r.decile) + 1, "peers": peer_mean}))
    return rows, []


def _paper(ctx: _Context):
    return [_row(r.unit_id, "paper_share", r.n_paper / r.n, math.nan, False, {
        "n_paper": int(r.n_paper), "n": int(r.n), "share": float(r.n_paper / r.n)})
        for r in ctx.units.assign(n_paper=_paper_counts(ctx)).itertuples() if r.n > 0], []


def _paper_counts(ctx: _Context) -> np.ndarray:
    cells = ctx.cells[(ctx.cells["year"] == ctx.year) & ctx.cells["paper"]].set_index("unit_id")
    return cells["n"].reindex(ctx.units["unit_id"]).fillna(0).astype(int).to_numpy()


# --- evidence: the ballots involved, and satisfaction without them ---------------------------

def _involved_ballots(ctx: _Context, involved: list[tuple[str, str, dict]],
                      source) -> pd.DataFrame:
    """The screened ballots of the year behind each flag, from (check, unit, key) triples (key:
    the paper flag and pattern of a copied form; a burst's first minute and the minute after
    its last, counted since 1970): the flagged units' ballots, read once, joined with a table
    of the flags; then their ids (`read_ids`)."""
    k = range(ctx.k)
    if not involved:
        return pd.DataFrame(columns=BALLOT_COLUMNS + ["m", "y"])
    # answer codes (`analysis.indices.ballots.read_ballots`): 0 blank, answer − low + 1 else
    top = ctx.high - ctx.low + 1
    satisfied = satisfied_codes((ctx.low, ctx.high), ctx.satisfied)
    sat = ", ".join(map(str, [0, *satisfied]))
    total = "0::INTEGER + " + " + ".join(f"a{i}" for i in k)  # Σ codes
    listed = ", ".join(f"a{i}" for i in k)
    conditions = {  # which of a flagged unit's ballots are involved, by the other checks
        "channel_gap": "s.paper AND " + " AND ".join(f"a{i} IN ({sat})"
                                                     for i in k),  # no low answer on paper
        "all_top": f"s.m >= 3 AND ({total}) = s.m * {top}",
        "burst": "s.minute >= f.start AND s.minute < f.end",
        "straight_lining": f"s.m >= 3 AND ({total}) = s.m * greatest({listed})",
    }
    flags = pd.DataFrame({
        "u": ctx.code[[unit for _, unit, _ in involved]].to_numpy(),
        "check": [c for c, _, _ in involved],
        **{name: pd.array([key.get(name) for _, _, key in involved], dtype=dtype)
           for name, dtype in (("paper", "boolean"), ("pattern", "Int64"), ("start", "Int64"),
                               ("end", "Int64"))}})
    ctx.con.register("flags", flags)
    answers = ", ".join(f"IF(a{i} = 0, '', CAST(a{i} + {ctx.low - 1} AS VARCHAR))" for i in k)
    columns = f"""s.u, f."check", s._file, s._pos, s.channel,
                  concat_ws('|', {answers}) AS answers, s.m,
                  {' + '.join(is_satisfied(f"s.a{i}", satisfied, top) for i in k)} AS y"""
    # the flagged units' ballots: a copied form's flag names its pattern, which the join
    # matches (a unit may have many); the other checks flag a unit once, and the condition
    # picks its ballots. The units are listed as constants, which DuckDB checks against each
    # row group's range of units: where the file comes grouped by unit (as the synthetic files
    # do), only the flagged units' row groups are read, at 100 M ballots from a spilled table
    units = ", ".join(str(u) for u in sorted(set(flags["u"].tolist())))
    flagged = f"(SELECT * FROM screened WHERE year = {ctx.year} AND u IN ({units}))"
    ctx.con.execute(f"""
    CREATE OR REPLACE TEMP TABLE listed AS
    SELECT {columns} FROM {flagged} s JOIN flags f
        ON s.u = f.u AND s.paper = f.paper AND s.pattern = f.pattern
    WHERE f."check" = 'identical_patterns'
    UNION ALL
    SELECT {columns} FROM {flagged} s JOIN flags f ON s.u = f.u AND f."check" <> 'identical_patterns'
    WHERE CASE f."check"
        {' '.join(f"WHEN '{check}' THEN {condition}" for check, condition in conditions.items())}
        ELSE false
    END""")
    ctx.con.unregister("flags")
    read_ids(ctx.con, source, "listed")
    frame = ctx.con.sql(f"""
    SELECT l.*, {ID_TEXT} AS ballot_id FROM listed l LEFT JOIN ids USING (_file, _pos)
    ORDER BY l.u, l."check", l._file, l._pos
    """).to_arrow_table().to_pandas()  # through Arrow: a third of .df()'s time and memory
    ctx.con.execute("DROP TABLE listed; DROP TABLE ids")
    frame.insert(0, "unit_id", ctx.names[frame.pop("u").to_numpy()])
    rows = frame["_pos"].to_numpy(dtype=np.int64)
    if source.empty_lines is not None:
        rows = csv_lines(rows, source.empty_lines)
    frame["file"] = np.asarray(source.files, dtype=object)[frame["_file"].to_numpy()]
    frame["row"] = rows
    return frame


def _recompute(table: pd.DataFrame, ballots: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    """n_involved, p_published and p_without for every row (p_without only where a flag lists
    ballots): satisfied ÷ valid answers of the unit, then the same without those ballots."""
    published = ctx.units.set_index("unit_id")["p"]
    table["p_published"] = table["unit_id"].map(published).astype(float)
    if len(ballots):
        per = ballots.groupby(["unit_id", "check"]).agg(n=("m", "size"), m=("m", "sum"),
                                                         y=("y", "sum"))
        units = ctx.units.set_index("unit_id")
        at = pd.MultiIndex.from_frame(table[["unit_id", "check"]])
        found = per.reindex(at)
        left_m = units["s_m"].reindex(table["unit_id"]).to_numpy() - found["m"].to_numpy()
        left_y = units["s_y"].reindex(table["unit_id"]).to_numpy() - found["y"].to_numpy()
        listed = found["n"].notna().to_numpy()
        table.loc[listed, "n_involved"] = found["n"].to_numpy()[listed].astype("int64")
        with np.errstate(invalid="ignore", divide="ignore"):
            without = np.where(left_m > 0, left_y / np.where(left_m > 0, left_m, 1), np.nan)
        table.loc[listed, "p_without"] = without[listed]
    return table

