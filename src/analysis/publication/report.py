"""The sections of the publication, in one language, from the run's result tables.

Each section method builds only the section's data (every visible string from the catalog,
`i18n.t`; every number formatted with the edition's locale, `formatting`; every name the unit's
name in the edition's language; tables as `markup.Table`, charts as `markup.Figure`) and hands it
to the section's Jinja2 template (`templates/sections/<section>.html.j2`, autoescaped), which
owns the markup. It returns an `HTML` object a notebook cell displays; a section whose tables the
run does not have returns an empty string (and is left out of the contents).
"""
from __future__ import annotations

import base64
import datetime as dt
import gc
import json
import pickle
import re
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import HTML

from analysis.publication import change_tests, charts
from analysis.inputs.dataset import Dataset, load_dataset
from analysis.inputs.readers import visible
from analysis.publication.formatting import (ascii_codes, edition_title, fmt_date, fmt_int, fmt_number,
                                             fmt_p_value, fmt_percent, fmt_period, fmt_points, fmt_span,
                                             mid_sentence, name_list, name_sort_key, running_title,
                                             sort_names, unbroken, vi_sort_key, header_lines, vi_words)
from analysis.publication.i18n import LANGS, dataset_wording, load_catalog, t
from analysis.audit.manifest import report_date, sha256
from analysis.audit.release import draft_reasons
from analysis.audit.reconcile import published_decimals
from analysis.publication.markup import Figure, Table, direction, render, signed_int
from analysis.paths import ROOT
from analysis.publication.cover import (WHOLE_METRICS, chart_credit, compared_year, flagged_changes, is_group,
                                        like_for_like, outlier_caution, publisher_parts,
                                        reconciled_rules, unusual_changes, unusual_names)
from analysis.publication.service_report import ServiceSections
from analysis.indices.tables import read_tables

SECTIONS = ["summary", "service_quality", "ranking", "groups", "regions", "components", "change", "satisfaction",
            "gaps", "sensitivity", "funnel", "integrity", "directory", "methods", "audit"]


MAX_ROWS = 20  # longer lists are cut to the most extreme rows; the CSV has them all
BALLOTS_SHOWN = 5  # ballots listed per integrity flag; tables/integrity_ballots.csv has them all
MOVERS = 5  # the largest rises and as many falls, marked in the change chart and listed below it
WIDEST = 10  # the units of widest rank range listed under the sensitivity chart, with any tied


def widest_ranges(s: pd.DataFrame, k: int = WIDEST) -> tuple[pd.DataFrame, float]:
    """The rows of `s` (table sensitivity) whose rank range (rank_p95 − rank_p05, in places) is
    at least the `k`-th widest, so every unit tied with the last of the `k` is listed too;
    widest first, then by nominal rank; and that cut (the narrowest range listed)."""
    width = s["rank_p95"] - s["rank_p05"]
    cut = width.nlargest(k).min()
    listed = s.assign(width=width)[width >= cut]
    return listed.sort_values(["width", "rank_nominal"], ascending=[False, True], kind="stable"), cut


SHORT_NAME = 20   # characters of a name kept on one line in a narrow column (Bà Rịa - Vũng Tàu: 17)

_preloaded: dict[Path, Dataset] = {}


def preload(data_dir, pickled) -> None:
    """The dataset of `data_dir` as the run loaded and checked it (`pickled`, a pickle the run
    wrote in its own folder), for the next `Report.load` of that folder: a run's kernel does not
    load the dataset again (about 0.4 s of CPU an edition)."""
    _preloaded[Path(data_dir).resolve()] = pickle.loads(Path(pickled).read_bytes())


def warm_up() -> None:
    """Pay ahead what the first report of a process pays once: the catalog, every section
    template compiled, Babel's number and date formats of both languages, one chart drawn as
    SVG and as a 300-dpi PNG (fonts, renderers). The report kernels' parent calls it before it
    forks them (`kernel_parent.main`), while the run is still computing the tables: both
    editions then start warm (about 0.2 s of each notebook)."""
    from analysis.publication import markup
    load_catalog()
    env = markup.environment()
    for name in env.list_templates():
        env.get_template(name)
    for lang in LANGS:
        fmt_number(-1.5, lang), fmt_int(1000, lang), fmt_date(report_date(), lang)
    fig = charts.band_counts(["Cao nhất", "Thấp nhất"], [1, 2], "Số đơn vị")
    _svg, content = charts.svg_text(fig, "Nguồn")
    charts.png_copy(fig, content, "Nguồn")
    charts.plt.close(fig)


def min_sample(ds: Dataset) -> int:
    """`indices.results.min_sample`, imported when first asked for: the tables' statistics stack
    (scipy, statsmodels, DuckDB) stays out of a report kernel that is given the run's tables."""
    from analysis.indices.results import min_sample as rule
    return rule(ds)


def row_runs(rejected: pd.DataFrame) -> pd.DataFrame:
    """The rejected rows as runs (file, first, last, unit_id, reason): consecutive rows of one
    file with the same unit and reason make one run ("5800–5807", one unit's eight blank parts)."""
    r = rejected.sort_values(["file", "row"], kind="stable")
    key = r[["file", "unit_id", "reason"]].astype(str).agg("\x1f".join, axis=1)
    rows = r["row"].astype(int)
    new = (key != key.shift()) | (rows != rows.shift() + 1)
    runs = r.assign(run=new.cumsum().to_numpy(), row=rows)
    return (runs.groupby("run", sort=True)
            .agg(file=("file", "first"), first=("row", "min"), last=("row", "max"),
                 unit_id=("unit_id", "first"), reason=("reason", "first")).reset_index(drop=True))


def png_title(caption: str) -> str:
    """A PNG copy's title: its caption's first clause (up to the first ";", ":" or sentence
    end), what the chart shows: "Chỉ số năm 2024 của 61 địa phương, xếp từ cao xuống thấp"."""
    return re.split(r"[;:]\s|\.(?:\s|$)", caption.strip(), maxsplit=1)[0]


def _mean_change(units: pd.DataFrame) -> float:
    """The mean change of `units` scored in both years: the difference of the two years' means
    (the paired t test's estimate, as the key findings give it)."""
    return units["score"].mean() - units["score_prev"].mean()


class Report(ServiceSections):
    def __init__(self, ds: Dataset, year: int, lang: str, tables: dict[str, pd.DataFrame],
                 out_dir: Path | None = None, period: str | None = None):
        self.ds, self.year, self.lang, self.tables = ds, year, lang, tables
        self.wording = dataset_wording(ds)
        self.period = period or str(year)
        self.out_dir = Path(out_dir) if out_dir else None
        self.units = tables.get("index_units")
        names = ds.units.set_index("unit_id")[f"name_{lang}"]
        self.names = names.to_dict()
        self._figure = 0

    @classmethod
    def load(cls, data_dir, year: int, lang: str, tables_dir: str = "", out_dir: str = "",
             period: str = ""):
        """Read the run's tables (or compute them, when the notebook runs on its own); `period`
        a month YYYY-MM of a dossier dataset (empty: the year)."""
        folder = Path(data_dir)
        folder = (folder if folder.is_absolute() else ROOT / folder).resolve()
        ds = _preloaded.pop(folder, None) or load_dataset(folder)
        year = int(period[:4]) if period else int(year)
        if tables_dir:
            tables = read_tables(Path(tables_dir))
        else:
            from analysis.indices.results import compute_results
            tables = compute_results(ds, year, period=period or None)
        return cls(ds, year, lang, tables, out_dir or None, period or None)

    # --- helpers --------------------------------------------------------------------------
    def t(self, key: str, **fields) -> str:
        return t(key, self.lang, self.wording, **fields)

    def pct(self, value, decimals: int = 2) -> str:
        return fmt_percent(value, self.lang, decimals)

    def num(self, value, decimals: int = 2) -> str:
        return fmt_number(value, self.lang, decimals)

    def span(self, low, high, decimals: int = 2, words: bool = False) -> str:
        """An interval of two numbers ("0,48 – 1,29"; "−0,59 đến −0,22", `fmt_span`)."""
        return fmt_span(self.num(low, decimals), self.num(high, decimals), self.lang, words)

    def maximum(self, value) -> str:
        """A maximum of points as the method states it: "10", "68,50" (never "10,00")."""
        return self.num(value, 0 if float(value).is_integer() else 2)

    def label(self, table: pd.DataFrame | None, key: str, column: str) -> str:
        if table is None or key not in set(table[column]):
            return key
        return table.set_index(column).at[key, f"label_{self.lang}"]

    def scale(self) -> dict | None:
        """The index's own scale in this year (its method version's `scale`), if declared."""
        return self.ds.config.scale(self.year)

    @cached_property
    def own_scale(self) -> dict | None:
        """The index's own scale in the year (dataset.yaml `scale`: min, max, label_vi, label_en)
        when the dataset declares one: scores are then led in points on it (the `points` column, e.g. PAPI
        6–60), the percent of the maximum second; otherwise scores are percents."""
        scale = self.scale()
        return scale if scale and self.units is not None and "points" in self.units else None

    def _factor(self) -> float:
        """Points of the scale per percent of the maximum (max_points ÷ 100)."""
        return float(self.units["max_points"].dropna().iloc[0]) / 100

    def score_text(self, score, points) -> str:
        """A unit's score as published: "39,57 điểm" on the index's own scale, else "65,95%"."""
        return self.t("value.points", points=self.num(points)) if self.own_scale else self.pct(score)

    def change_text(self, change, signed: bool = False, metric: str = "index", decimals: int = 2) -> str:
        """A change (or a gap, a spread) of `metric` with its unit: points of the index's own
        scale ("4,61 điểm"), else percentage points ("5,76 điểm phần trăm")."""
        factor = self.per_percent(metric)
        return self.t("value.points" if factor != 1.0 else "value.pp",
                      points=fmt_points(change * factor, self.lang, decimals, signed=signed))

    def per_percent(self, metric: str) -> float:
        """What one percentage point of `metric` is worth as shown: points of the index's own
        scale for the index where it has one (PAPI: 0,8 on 8–80), else 1 (percentage points)."""
        return self._factor() if self.own_scale and metric == "index" else 1.0

    def name(self, unit_id) -> str:
        """The unit's name in the edition's language (its id only if the dataset has no such unit)."""
        return self.names.get(str(unit_id), str(unit_id))

    def gap_metric(self, metric: str) -> str:
        """A compared measure's name: the index by its own scale ("Điểm PAPI (8–80)") or its own
        name where the dataset gives one."""
        if metric == "index" and self.own_scale:
            return self.own_scale[f"label_{self.lang}"]
        own = self.ds.config.raw.get(f"index_name_{self.lang}") if metric == "index" else None
        return own or self.t("metric." + metric)

    def index_name(self) -> str:
        return self.ds.config.raw.get(f"index_name_{self.lang}") or self.t("metric.index_name")

    def kicker(self, monthly: bool) -> str:
        """The cover's kicker: a monthly report, or a yearly one; a yearly one prepared by
        others than the index's authority (`publisher.prepared_by_<lang>`) says it is their
        analysis, so that it is not taken for the authority's own report (review 4)."""
        if monthly:
            return "report.kicker_month"
        return "report.kicker_independent" if self.independent else "report.kicker"

    @property
    def independent(self) -> bool:
        """Prepared by others than the index's authority (`publisher.prepared_by_<lang>`)."""
        return bool((self.ds.config.raw.get("publisher") or {}).get(f"prepared_by_{self.lang}"))

    def method(self) -> dict:
        """The method version of this year (dataset.yaml `methodology.versions`)."""
        return self.ds.config.method(self.year)

    def like_for_like(self) -> bool:
        """False when the previous year was scored under another method version, or some units
        are compared with former units restated through the crosswalk (`cover.like_for_like`)."""
        return like_for_like(self.units)

    def break_note(self) -> str:
        """Why the two years are not compared like for like: a method-version break (the
        components both versions share are compared; data/README.md, method versions) and/or
        units merged since the previous year, whose previous score is restated through the
        crosswalk (indices.composite)."""
        u = self.units
        prev_year = int(u["prev_year"].dropna().iloc[0])
        notes = []
        if "prev_from" in u and (u["prev_from"].fillna("") != "").any():
            merged = u[u["prev_from"].fillna("") != ""]
            notes.append(self.t("change.crosswalk", n=len(merged), year=self.year, prev_year=prev_year))
            gaps = int(merged["score_prev"].isna().sum())
            if gaps:
                notes.append(self.t("change.crosswalk_gap", n=gaps, prev_year=prev_year))
        if not self.ds.config.like_for_like(self.year, prev_year):
            notes.insert(0, self.version_note(prev_year))
        return " ".join(notes)

    def version_note(self, prev_year: int) -> str:
        """The two years are under different method versions, and their shared components."""
        u = self.units
        shared = u[u["shared_score"].notna() & u["shared_score_prev"].notna()]
        before = self.ds.config.method(prev_year)
        note = self.t("change.not_like_for_like", year=self.year, prev_year=prev_year,
                      method=self.method().get(f"label_{self.lang}") or self.method()["id"],
                      prev_method=before.get(f"label_{self.lang}") or before["id"])
        if len(shared):
            change = shared["shared_score"].mean() - shared["shared_score_prev"].mean()
            codes = {c["code"] for c in before["components"]}
            k = sum(c["code"] in codes for c in self.method()["components"])
            note += " " + self.t("change.shared", k=k, n=len(shared), prev_year=prev_year,
                                 direction=self.t(direction(change)), change=self.num(abs(change)))
        return note

    @cached_property
    def unusual(self) -> pd.DataFrame:
        """The rows of index_units whose change from the previous year is unusual
        (`flagged_changes`): named in the key findings and marked "*" wherever a table shows
        that change."""
        return flagged_changes(self.units)

    @cached_property
    def _unusual_ids(self) -> frozenset:
        return frozenset(self.unusual["unit_id"])

    def unusual_mark(self, unit_id) -> str:
        """" *" after the name of a unit whose change is unusual (`unusual`), else nothing."""
        return " *" if unit_id in self._unusual_ids else ""

    @cached_property
    def credit(self) -> str:
        """The source line under each chart (`cover.chart_credit`)."""
        return chart_credit(self.ds, self.lang, self.period, compared_year(self.tables))

    def figure(self, fig, name: str, alt: str, caption: str, narrow: bool = False, ends_of: int = 0) -> Figure:
        """Embed a chart (SVG, alt text) and keep it in the edition's figures/ as SVG and as a
        300-dpi PNG for re-use, titled by its caption's first clause; a ranking of `ends_of`
        units drawn as its top and bottom (`charts.ends`) says so in that title, which the
        caption's later sentence does on the page."""
        self._figure += 1
        title = png_title(caption)
        if ends_of and len(charts.ends(ends_of)) < ends_of:
            title += " (" + self.t("chart.ends_title", k=charts.ENDS) + ")"
        svg = charts.save(fig, self.out_dir / "figures" if self.out_dir else None,
                          f"{self._figure:02d}-{name}", self.credit, title)
        data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        return Figure(f"data:image/svg+xml;base64,{data}", alt, self.t("report.figure", n=self._figure),
                      caption, narrow)

    def gap_label(self, n: int) -> str:
        """The row between the top and the bottom of a ranking of `n` drawn as its ends."""
        return self.t("chart.gap_label", n=n - len(charts.ends(n)))

    def ends_note(self, n: int, where: str, **fields) -> str:
        """A sentence after a chart's caption when a ranking of `n` is drawn as its ends: top and
        bottom 10 shown, the full list `where` (table, workbook)."""
        if len(charts.ends(n)) == n:
            return ""
        return " " + self.t(f"chart.ends_note_{where}", k=charts.ENDS, **fields)

    def listed_in(self, table: str) -> str:
        """Where a reader of the PDF finds a whole table: its sheet of the edition's workbook
        (the sheet named by catalog key sheet.<table>), not a CSV path."""
        return self.t("report.listed_in", sheet=self.t(f"sheet.{table}"))

    def table(self, rows: list[list], headers: list[str], numeric: set[int] = frozenset(),
              caption: str = "", groups: list[tuple[str, int, int]] | None = None,
              nowrap: set[int] = frozenset()) -> Table:
        if self.lang == "vi":   # a Vietnamese word never broken between its syllables
            rows = [[vi_words(c) if isinstance(c, str) else c for c in row] for row in rows]
        return Table(rows, [header_lines(h, self.lang) for h in headers], set(numeric), caption,
                     set(nowrap), groups or [])

    def section(self, key: str, **data) -> HTML:
        """The section's template filled with its data (plus its key, heading and `t`)."""
        return HTML(render(f"{key}.html.j2", key=key, heading=self.t("section." + key),
                           t=self.t, **data))

    def has(self, section: str) -> bool:
        units = self.units
        if section == "summary":
            return (self.service is not None or (units is not None and units["score"].notna().any())
                    or "satisfaction_units" in self.tables)
        if section == "service_quality":
            return self.service is not None
        if section in ("ranking", "directory"):
            return units is not None and units["score"].notna().any()
        if section == "groups":  # one group's row would only repeat the ranking's mean
            return (units is not None and units["score"].notna().any()
                    and (self.tables["index_groups"]["scope"] == "group").sum() > 1)
        if section == "regions":
            return units is not None and (units["region"].fillna("") != "").any()
        if section == "components":
            return "index_components" in self.tables and len(self.method()["components"]) > 1
        if section == "change":
            return units is not None and units["score_prev"].notna().any()
        if section == "sensitivity":
            return "sensitivity" in self.tables and len(self.tables["sensitivity"]) > 1
        if section in ("satisfaction", "gaps", "funnel", "integrity"):
            return {"satisfaction": "satisfaction_units", "gaps": "gaps", "funnel": "funnel",
                    "integrity": "integrity"}[section] in self.tables
        return section in ("methods", "audit")

    # --- front matter ---------------------------------------------------------------------
    def title_page(self) -> HTML:
        """The cover: publisher (and logo), title, report number and date, the draft mark with
        its reasons, the other edition, and the colophon (citation, contact, licence)."""
        cfg = self.ds.config
        other = [lang for lang in LANGS if lang != self.lang]
        links = [dict(href=f"../{o}/report.html", lang=o, text=self.t("report.other_edition"))
                 for o in other]
        banner = self.t("report.synthetic_banner") if cfg.synthetic else ""
        monthly = len(self.period) > 4
        title = edition_title(cfg, self.lang, self.period)
        parts = self.publisher
        facts = parts["facts"] + [(self.t("report.number"), parts["number"]),
                  (self.t("report.period" if monthly else "report.year"), fmt_period(self.period, self.lang)),
                  (self.t("report.edition"), self.t(f"lang.{self.lang}")),
                  (self.t("report.date"), fmt_date(report_date(), self.lang))]
        return HTML(render("title_page.html.j2", banner=banner, links=links, facts=facts,
                           edition=self.t("lang." + self.lang),
                           kicker=self.t(self.kicker(monthly)),
                           title=unbroken(title, self.lang),
                           running=unbroken(running_title(cfg, self.lang, self.period, self.wording,
                                                          self.independent and not monthly), self.lang),
                           logo=parts["logo"], logo_alt=parts["name"],
                           draft=self._draft_text(), colophon=parts["colophon"], notice=parts["notice"]))

    @cached_property
    def publisher(self) -> dict:
        """Who made the edition and from what (`cover.publisher_parts`): the cover's facts,
        logo and colophon, and its notice, which the summary repeats."""
        return publisher_parts(self.ds, self.lang, self.period, edition_title(self.ds.config, self.lang, self.period),
                               compared_year(self.tables))

    @cached_property
    def draft(self) -> list:
        """Why this edition cannot be signed yet (audit.release); empty when it can."""
        return draft_reasons(self.ds, self.tables)

    def _draft_text(self) -> str:
        """The cover's draft notice with its reasons in words; empty when the edition can be signed."""
        if not self.draft:
            return ""
        codes = [r.code for r in self.draft]
        reasons = []
        if "unreconciled" in codes:
            n = codes.count("unreconciled")
            reasons.append(self.t("draft.unreconciled_one" if n == 1 else "draft.unreconciled", n=n))
        if "unconfirmed" in codes:
            reasons.append(self.t("draft.unconfirmed"))
        return self.t("draft.notice", reasons="; ".join(reasons))

    def contents(self) -> HTML:
        items = [(s, self.t("section." + s)) for s in SECTIONS if self.has(s)]
        return HTML(render("contents.html.j2", heading=self.t("report.toc"), items=items))

    # --- key findings ---------------------------------------------------------------------
    def findings(self) -> list[str]:
        index = self.index_findings() if self.has("ranking") else []
        headline = self.satisfaction_only_findings() if not index and self.has("satisfaction") else []
        return (index + self.satisfaction_findings() + headline
                + (self.service_findings() if self.service is not None else []))

    def satisfaction_findings(self) -> list[str]:
        """The pooled satisfaction of the year and its change, as the satisfaction section says it."""
        yoy = self.tables.get("satisfaction_yoy")
        if yoy is None or not len(yoy):
            return []
        whole = yoy[yoy["unit_id"].fillna("") == ""]
        return [self._overall_satisfaction(whole.iloc[0])] if len(whole) and pd.notna(whole.iloc[0]["p_value"]) else []

    def _overall_satisfaction(self, w) -> str:
        """The pooled satisfaction of the year against the previous one; across a change of the
        survey method no verdict, the caveat in the same sentence."""
        yoy = self.tables["satisfaction_yoy"]
        fields = dict(year=int(w.year), p=self.pct(100 * w.p), prev_year=int(w.prev_year),
                      p_prev=self.pct(100 * w.p_prev), direction=self.t(direction(100 * w["diff"])),
                      diff=self.num(abs(100 * w["diff"])), ci_low=self.num(100 * w.ci_low),
                      ci_high=self.num(100 * w.ci_high))
        if str(yoy["like_for_like"].iloc[0]).lower() == "true":
            return self.t("satisfaction.overall", **fields, significance=self.t(
                "word.significant" if str(w.significant).lower() == "true" else "word.not_significant"))
        return self.t("satisfaction.overall_no_verdict", **fields, method=self.method_label(int(w.year)),
                      method_prev=self.method_label(int(w.prev_year)))

    def satisfaction_only_findings(self) -> list[str]:
        """More findings where satisfaction is the headline (no index): the pooled rate (the
        mean of the rates when a sample size is unknown) when no change is told, the highest
        and lowest unit, and how many units changed significantly."""
        su = self.tables["satisfaction_units"]
        su = su[su["p"].notna()]
        sentences = []
        if not self.satisfaction_findings():
            counted = su["n_valid"].notna().all()
            overall = su["n_satisfied"].sum() / su["n_valid"].sum() if counted else su["p"].mean()
            key = "finding.sat_overall" if counted else "finding.sat_overall_mean"
            sentences.append(self.t(key, year=self.year, n=len(su), p=self.pct(100 * overall)))
        ranked = su.sort_values(["p", "unit_id"], ascending=[False, True], kind="stable")
        for key, row in (("finding.leader", ranked.iloc[0]), ("finding.laggard", ranked.iloc[-1])):
            sentences.append(self.t(key, unit=self.name(row["unit_id"]), score=self.pct(100 * row["p"])))
        yoy = self.tables.get("satisfaction_yoy")
        if yoy is not None and len(yoy):
            tested = yoy[(yoy["unit_id"].fillna("") != "") & yoy["p_value"].notna()]
            verdicts = tested["significant"].astype(str).str.lower()
            if len(tested) and verdicts.isin(["true", "false"]).all():
                sentences.append(self.t("finding.sat_significant", k=int(verdicts.eq("true").sum()),
                                        n=len(tested)))
        return sentences

    def index_findings(self) -> list[str]:
        u = self.units
        scored = u[u["score"].notna()]
        groups = self.tables["index_groups"]
        overall = groups[groups["scope"] == "all"].iloc[0]
        index_name = self.index_name()
        sentences = []
        prev_year = u["prev_year"].dropna()
        common = scored[scored["score_prev"].notna()]
        mean = self.score_text(overall["mean"], scored["points"].mean() if self.own_scale else None)
        if len(prev_year) and len(common) and not self.like_for_like():
            sentences.append(self.t("finding.mean_no_prev", year=self.year, index_name=index_name,
                                    n=len(scored), mean=mean))
            sentences.append(self.break_note())
        elif len(prev_year) and len(common):
            change = common["score"].mean() - common["score_prev"].mean()  # units in both years
            # the same units as the mean, or else the units the change is of, named; the mean
            # change is the paired t test's effect: written as the tests table writes it
            key = "finding.mean" if len(common) == len(scored) else "finding.mean_shared"
            sentence = self.t(key, year=self.year, index_name=index_name, n=len(scored),
                              mean=mean, direction=self.t(direction(change)), k=len(common),
                              change=self.change_text(abs(change),
                                                      decimals=change_tests.POINT_DECIMALS),
                              prev_year=int(prev_year.iloc[0]))
            rest = self.usual(common)
            if rest is not None:   # how much the unusual changes weigh
                sentence = sentence.removesuffix(".") + self.t(
                    "finding.mean_without_unusual", n=len(common) - len(rest),
                    change=self.change_text(_mean_change(rest), signed=True,
                                            decimals=change_tests.POINT_DECIMALS)) + "."
            sentences.append(sentence)
        else:
            sentences.append(self.t("finding.mean_no_prev", year=self.year, index_name=index_name,
                                    n=len(scored), mean=mean))
        ranked = scored.sort_values(["rank", "unit_id"], kind="stable")
        lead, last = ranked.iloc[0], ranked.iloc[-1]
        sentences.append(self.t("finding.leader", unit=self.name(lead["unit_id"]),
                                score=self.score_text(lead["score"], lead.get("points"))))
        sentences.append(self.t("finding.laggard", unit=self.name(last["unit_id"]),
                                score=self.score_text(last["score"], last.get("points"))))
        sentences.append(self.t("finding.range", gap=self.change_text(lead["score"] - last["score"])
                                if not self.own_scale else self.t("value.points", points=self.num(
                                    lead["points"] - last["points"]))))
        flagged = self.unusual
        if len(flagged):   # what a newspaper would lead with, and the changes page's caution on it
            sentences.append(self.t("finding.unusual", section=self.t("section.change"),
                                    names=unusual_names(self.ds, self.lang, self.year, flagged, self.name)))
        # a year whose groups take the sizes the authority published: their counts are known in
        # advance, so each group's sentence also gives the scores it spans
        imposed = self.ds.config.published_band_sizes(self.year, len(scored)) is not None
        for band in self.ds.config.bands:
            members = scored[scored["band"] == band["label_en"]]
            label = band[f"label_{self.lang}"]
            key = "finding.bands_group" if is_group(band["label_vi"]) else "finding.bands"
            if not len(members):
                key = "finding.bands_none"
            elif imposed and key == "finding.bands_group":
                key = "finding.bands_group_range"
            span = {}
            if key == "finding.bands_group_range":   # lowest and highest score, as published
                low, high = members.nsmallest(1, "score").iloc[0], members.nlargest(1, "score").iloc[0]
                span = dict(low=self.num(low["points"]) if self.own_scale else self.pct(low["score"]),
                            high=self.score_text(high["score"], high.get("points")))
            sentences.append(self.t(key, count=len(members), band=label, **span))
        missing = u[u["score"].isna()]
        if len(missing):
            sentences.append(self.t("finding.missing", count=len(missing), year=self.year, names=", ".join(
                sort_names([self.name(i) for i in missing["unit_id"]], self.lang))))
        return sentences

    def summary(self) -> HTML:
        """The executive summary, one page: 3–5 headline figures, one chart, the key findings;
        under the figures, the cover's notice where the scores are not the authority's own
        release, so that a figure quoted from this page is not taken for the authority's."""
        if self.has("ranking"):
            headlines, chart = self.index_headlines()
        elif self.service is not None:
            headlines, chart = self.service_headlines()
        else:   # satisfaction only: the findings carry it
            headlines, chart = [], None
        notice = self.publisher["notice"] if headlines else ""
        return self.section("summary", headlines=headlines, chart=chart, findings=self.findings(),
                            notice=notice)

    def index_headlines(self) -> tuple[list[tuple[str, str]], Figure | None]:
        """(figure, what it is) for the mean, the first and the last unit and the units assessed;
        the chart of units per band."""
        scored = self.units[self.units["score"].notna()].sort_values(["rank", "unit_id"], kind="stable")
        mean = self.tables["index_groups"].query("scope == 'all'")["mean"].iloc[0]
        lead, last = scored.iloc[0], scored.iloc[-1]
        headlines = [
            (self.score_text(mean, scored["points"].mean() if self.own_scale else None),
             self.t("headline.mean", index_name=self.index_name())),
            (self.score_text(lead["score"], lead["points"]), self.t("headline.first", unit=self.name(lead["unit_id"]))),
            (self.score_text(last["score"], last["points"]), self.t("headline.last", unit=self.name(last["unit_id"]))),
            (fmt_int(len(scored), self.lang), self.t("headline.units"))]
        bands = self.ds.config.bands
        if not bands:
            return headlines, None
        counts = [int((scored["band"] == b["label_en"]).sum()) for b in bands]
        values = scored["points"] if self.own_scale else scored["score"]
        spans = [self.span(members.min(), members.max()) if len(members) else ""
                 for members in (values[scored["band"] == b["label_en"]] for b in bands)]
        chart = self.figure(
            charts.band_counts([b[f"label_{self.lang}"] for b in bands], counts, self.t("chart.units_axis"),
                               lambda v: fmt_int(v, self.lang), spans),
            "summary-bands", self.t("chart.bands_alt", n=len(scored)),
            self.t("chart.bands_caption", year=self.year), narrow=True)
        return headlines, chart

    # --- index sections -------------------------------------------------------------------
    def _band_colours(self, bands: pd.Series) -> list[str]:
        order = [b["label_en"] for b in self.ds.config.bands]
        return [charts.BAND_COLOURS[order.index(b)] if isinstance(b, str) and b in order else charts.GREY
                for b in bands]

    def ranking(self) -> HTML:
        u = self.units.copy()
        u["name"] = u["unit_id"].map(self.names)
        scored = u[u["score"].notna()].sort_values(["rank", "unit_id"], kind="stable")
        mean = self.tables["index_groups"].query("scope == 'all'")["mean"].iloc[0]
        scale = self.own_scale
        floor = 0.0
        if scale:  # the bars on the index's own scale, from its least possible score
            values, mean = scored["points"].to_numpy(), scored["points"].mean()
            axis, floor = scale[f"label_{self.lang}"], float(scale.get("min") or 0)
        else:
            values, axis = scored["score"].to_numpy(), self.t("chart.score_axis")
        drawn = set(scored["band"].iloc[charts.ends(len(scored))])   # the bands of the bars drawn
        legend = [(b[f"label_{self.lang}"], c) for b, c in zip(self.ds.config.bands, charts.BAND_COLOURS)
                  if b["label_en"] in drawn]
        fig = charts.ranked_bars(
            scored["name"].tolist(), values, self._band_colours(scored["band"]), mean,
            self.t("chart.mean_line", mean=self.score_text(mean, mean)), axis, lambda v: self.num(v, 0),
            gap_label=self.gap_label(len(scored)), legend=legend, floor=floor)
        caption = (self.t("chart.ranking_caption", year=self.year, n=len(scored))
                   + (" " + self.t("chart.bars_from_floor", floor=self.num(floor, 0)) if floor else "")
                   + self.ends_note(len(scored), "table")
                   + (" " + self.t("chart.legend_drawn") if len(legend) < len(set(scored["band"].dropna())) else ""))
        alt = "chart.ranking_alt_ends" if len(scored) > charts.LONG else "chart.ranking_alt"
        chart = self.figure(fig, "ranking", self.t(alt, n=len(scored), ends=charts.ENDS,
                                                    leader=scored["name"].iloc[0],
                                                    last=scored["name"].iloc[-1]), caption,
                            ends_of=len(scored))
        headers = [self.t("col.rank"), self.t("col.name")]
        if scale:
            headers += [self.t("col.points_scale", label=scale[f"label_{self.lang}"]), self.t("col.share_of_max")]
        else:
            headers.append(self.t("col.score"))
        headers.append(self.t("col.band"))
        has_prev = u["score_prev"].notna().any()  # no change columns in a first year
        if has_prev:
            headers += [self.t("col.change_points" if scale else "col.change_pp"), self.t("col.rank_change")]
        rows = []
        for r in pd.concat([scored, u[u["score"].isna()]]).itertuples():
            missing = pd.isna(r.score)
            row = ["–" if missing else int(r.rank), r.name + self.unusual_mark(r.unit_id)]
            if scale:
                row.append(self.t("report.no_score") if missing else self.num(r.points))
            row.append("" if missing and scale else self.t("report.no_score") if missing else self.pct(r.score))
            row.append(getattr(r, "band_vi" if self.lang == "vi" else "band"))
            if has_prev:
                change = r.change * self._factor() if scale else r.change
                row += [fmt_points(change, self.lang, signed=True), signed_int(r.rank_change)]
            rows.append(row)
        first = 4 if scale else 3  # the band column
        numeric = set(range(first)) - {1} | ({first + 1, first + 2} if has_prev else set())
        table = self.table(rows, headers, numeric, self.t("table.ranking_caption", year=self.year), nowrap={first})
        return self.section("ranking", chart=chart, table=table,
                            notes=self.ranking_notes(u, scored, has_prev))

    def ranking_notes(self, u: pd.DataFrame, scored: pd.DataFrame, has_prev: bool) -> list[str]:
        """What the ranking table cannot say in its cells: the units without a previous score
        (their "–"), ranks of two years taken among different units, scores that print alike
        but rank apart (ranks are of the unrounded scores), and totals that print apart but
        whose shares of the maximum print alike (shares are of the unrounded totals)."""
        notes = []
        shown = [self.num(v) for v in (scored["points"] if self.own_scale else scored["score"])]
        alike = [f"{scored['name'].iloc[i - 1]} – {scored['name'].iloc[i]} ({shown[i]})"
                 for i in range(1, len(scored))
                 if shown[i] == shown[i - 1] and scored["rank"].iloc[i] != scored["rank"].iloc[i - 1]]
        if alike:
            notes.append(self.t("ranking.rounded_ties", pairs="; ".join(alike)))
        if self.own_scale:   # the other way round: totals that print apart, shares alike
            shares = [self.pct(v) for v in scored["score"]]
            apart = [f"{scored['name'].iloc[i - 1]} – {scored['name'].iloc[i]} ({shares[i]})"
                     for i in range(1, len(scored)) if shares[i] == shares[i - 1] and shown[i] != shown[i - 1]]
            if apart:
                notes.append(self.t("ranking.rounded_shares", pairs="; ".join(apart)))
        if not has_prev:
            return notes
        prev_year = int(u["prev_year"].dropna().iloc[0])
        new = scored[scored["score_prev"].isna()]["name"].tolist()
        if new:
            notes.append(self.t("ranking.no_prev", prev_year=prev_year, names=", ".join(new)))
        unscored = u[u["score"].isna()]
        if len(unscored):   # their rows show "–" too, for the other year
            notes.append(self.t("ranking.no_score", year=self.year,
                                names=", ".join(self.name(i) for i in unscored["unit_id"])))
        if len(self.unusual):
            notes.append(self.t("ranking.unusual", section=self.t("section.change")))
        before = u[u["score_prev"].notna()]
        only_prev = before[before["score"].isna()].sort_values(["rank_prev", "unit_id"], kind="stable")
        differences = [self.t(key, prev_year=prev_year, year=self.year,
                              names=name_list(names, self.lang, self.wording))
                       for key, names in (("ranking.only_prev", only_prev["name"]), ("ranking.only_now", new))
                       if len(names)]
        if differences:   # the two years ranked different sets of units: which, each way
            notes.append(self.t("ranking.other_units", prev_year=prev_year, year=self.year,
                                n_prev=len(before), n=len(scored), differences="; ".join(differences)))
        return notes

    def groups(self) -> HTML:
        g = self.tables["index_groups"]
        scored = self.units[self.units["score"].notna()]
        rows = []
        for scope in ("all", "group"):
            part = g[g["scope"] == scope]
            for r in part.itertuples():
                name = self.t("scope.all") if scope == "all" else self.label(self.ds.groups, r.key, "group")
                row = [name, fmt_int(r.n_units, self.lang)]
                if self.own_scale:
                    members = scored if scope == "all" else scored[scored["group"] == r.key]
                    row.append(self.num(members["points"].mean()))
                rows.append(row + [self.pct(r.mean), self.pct(r.median), self.num(r.sd),
                                   self.pct(r.min), self.pct(r.max)])
        headers = [self.t("col.scope"), self.t("col.n_units")]
        stats = ("col.mean", "col.median", "col.sd", "col.min", "col.max")
        if self.own_scale:  # points first; the percent statistics beside them say they are percents
            headers.append(self.t("col.mean_points", label=self.own_scale[f"label_{self.lang}"]))
            stats = tuple(k + "_share" for k in stats)
        headers += [self.t(k) for k in stats]
        return self.section("groups", table=self.table(rows, headers, set(range(1, len(headers)))))

    def regions(self) -> HTML:
        """Each region's mean, lowest and highest score, and its leader: in points on the index's
        own scale where the dataset declares one (the units' `points`), else in percent."""
        g = self.tables["index_groups"]
        part = g[g["scope"] == "region"].copy()
        part["label"] = [self.label(self.ds.regions, k, "region") for k in part["key"]]
        overall = g[g["scope"] == "all"]["mean"].iloc[0]
        value, axis, stats = self.pct, self.t("chart.score_axis"), ("col.mean", "col.min", "col.max")
        if self.own_scale:
            scored = self.units[self.units["points"].notna()]
            points = scored.groupby("region")["points"]
            for column, by in (("mean", points.mean()), ("min", points.min()), ("max", points.max())):
                part[column] = part["key"].map(by)
            overall, value = scored["points"].mean(), self.num
            axis = self.own_scale[f"label_{self.lang}"]
        part = part.sort_values("mean", ascending=False, kind="stable")
        fig = charts.group_means(part["label"].tolist(), part["mean"].to_numpy(), overall,
                                 self.t("chart.mean_line", mean=self.score_text(overall, overall)),
                                 axis, self.num, lambda v: self.num(v, 1))   # dots as in the table
        chart = self.figure(fig, "regions", self.t("chart.regions_alt"),
                            self.t("chart.regions_caption", year=self.year))
        u = self.units
        rows = []
        for r in part.itertuples():
            members = u[(u["region"] == r.key) & u["score"].notna()].sort_values("rank_in_region")
            first = members.iloc[0]["unit_id"] if len(members) else ""
            rows.append([r.label, fmt_int(r.n_units, self.lang), value(r.mean),
                         value(r.min), value(r.max), self.names.get(first, "")])
        headers = ([self.t("col.region"), self.t("col.n_units")] + [self.t(k) for k in stats]
                   + [self.t("col.region_leader")])
        # the scale's name once, over its mean, lowest and highest (it was in all three headers)
        groups = [(self.own_scale[f"label_{self.lang}"] if self.own_scale else self.t("chart.score_axis"),
                   2, 3)]
        unscored = u[u["score"].isna() & u["region"].isin(part["key"])]
        note = self.t("regions.unscored", year=self.year, names=", ".join(
            f"{self.name(r.unit_id)} ({self.label(self.ds.regions, r.region, 'region')})"
            for r in unscored.itertuples())) if len(unscored) else ""
        return self.section("regions", chart=chart, tile_map=self.tile_map(),
                            table=self.table(rows, headers, {1, 2, 3, 4}, groups=groups), note=note)

    def tile_map(self) -> Figure | None:
        """The units of the dataset's tile grid (tiles.csv) valid this year, coloured by band, if
        it has one; units of other years may share their tiles and codes (a merged unit on a
        former unit's tile). The English edition writes the codes unaccented (`ascii_codes`,
        settled over the whole grid so a code is the same every year and, the grid's codes
        being unique within each year, unique within this one)."""
        tiles = self.ds.tiles
        if tiles is None:
            return None
        if self.lang != "vi":
            tiles = tiles.assign(label=ascii_codes(tiles["label"].tolist(),
                                                   tiles["unit_id"].map(self.name).tolist()))
        t = tiles.merge(self.units[["unit_id", "band"]], on="unit_id", how="inner")
        if t.empty:
            return None
        legend = [(b[f"label_{self.lang}"], c) for b, c in zip(self.ds.config.bands, charts.BAND_COLOURS)]
        no_score = self.t("report.no_score")
        legend.append((no_score[:1].upper() + no_score[1:], charts.GREY))  # capitalised as the bands
        key = sorted(zip(t["label"], t["unit_id"].map(self.name)),
                     key=lambda k: vi_sort_key(k[0]) if self.lang == "vi" else k[0].casefold())
        # squares of units gone by this year that no unit of this year stands on (provinces
        # merged into one drawn on another's tile) are outlined: the grid keeps its shape
        ended = tiles["unit_id"].map(self.ds.units.drop_duplicates("unit_id").set_index("unit_id")["valid_to"])
        gone = tiles[(ended < self.year).fillna(False).astype(bool)]
        blank = sorted(set(zip(gone["row"], gone["col"])) - set(zip(t["row"], t["col"])))
        fig = charts.tile_map(t["row"], t["col"], t["label"], self._band_colours(t["band"]), legend, key,
                              blank=blank)
        caption = self.t("chart.tiles_caption", year=self.year)
        if blank:
            caption += " " + self.t("chart.tiles_blank", year=self.year)
        return self.figure(fig, "tile-map", self.t("chart.tiles_alt", n=len(t)), caption)

    def components(self) -> HTML:
        comps = self.tables["index_components"]
        structure = self.method()["components"]
        codes = [c["code"] for c in structure]
        labels = [vi_words(c["label_vi"]) if self.lang == "vi" else c[f"label_{self.lang}"] for c in structure]
        matrix = comps.pivot(index="unit_id", columns="component", values="subindex").reindex(columns=codes)
        order = self.units.sort_values(["rank", "unit_id"], kind="stable", na_position="last")["unit_id"]
        matrix = matrix.reindex(order).dropna(how="all")  # a unit without a score this year: no row
        fig = charts.heat_map([self.name(i) for i in matrix.index], labels, matrix.to_numpy(),
                              self.t("chart.subindex_axis"), lambda v: self.num(v, 0),
                              gap_label=self.gap_label(len(matrix)))
        chart = self.figure(fig, "components", self.t("chart.components_alt", n=len(codes)),
                            self.t("chart.components_caption", year=self.year)
                            + self.ends_note(len(matrix), "workbook", sheet=self.t("sheet.index_components")),
                            ends_of=len(matrix))
        # the table in points of each component's maximum where the index has its own scale
        # (PAPI: 5,39 of 10), else in percent of it; the heat map stays in percent (comparable colours)
        per = {c["code"]: float(c["max_points"]) / 100 if self.own_scale else 1.0 for c in structure}
        value = self.num if self.own_scale else self.pct
        rows = [[label, self.maximum(c["max_points"])] + [
                    value(v * per[c["code"]]) for v in (matrix[c["code"]].mean(),
                                                        matrix[c["code"]].min(), matrix[c["code"]].max())]
                for label, c in zip(labels, structure)]
        stats = ("col.mean_in_points", "col.min_in_points", "col.max_in_points") if self.own_scale \
            else ("col.mean", "col.min", "col.max")
        headers = [self.t(k) for k in ("col.component", "col.max_points", *stats)]
        return self.section("components", chart=chart, table=self.table(rows, headers, {1, 2, 3, 4}))

    def change(self) -> HTML:
        u = self.units[self.units["score"].notna() & self.units["score_prev"].notna()].copy()
        prev_year = int(self.units["prev_year"].dropna().iloc[0])
        u = u.sort_values(["change", "unit_id"], ascending=[False, True], kind="stable")
        # the largest rises and falls: coloured in the chart, listed in the table under it
        marked = set(u["unit_id"].head(MOVERS)) | set(u["unit_id"].tail(MOVERS))
        flagged = unusual_changes(u)
        marked |= set(flagged["unit_id"])
        if self.own_scale:  # chart and table in one unit: points of the scale, the previous converted
            before, after = u["score_prev"] * self._factor(), u["points"]
            axis = self.own_scale[f"label_{self.lang}"]
        else:
            before, after, axis = u["score_prev"], u["score"], self.t("chart.score_axis")
        fig = charts.slope([self.name(i) + self.unusual_mark(i) for i in u["unit_id"]],
                           before.to_numpy(), after.to_numpy(),
                           (prev_year, self.year), axis, lambda v: self.num(v, 1),
                           [i in marked for i in u["unit_id"]],
                           label_fmt=self.num if self.own_scale else None)  # as the table under it
        chart = self.figure(fig, "change", self.t("chart.change_alt", n=len(u), prev_year=prev_year,
                                                  year=self.year),
                            self.t("chart.change_caption", units=self.change_units(len(u), prev_year),
                                   prev_year=prev_year, year=self.year))
        up, down = int((u["change"] > 0).sum()), int((u["change"] < 0).sum())
        counts = self.t("change.counts", up=up, down=down, n=len(u), prev_year=prev_year)
        if self.own_scale:  # the movers on the index's own scale (the previous score converted)
            prev, now = u["score_prev"] * self._factor(), u["points"]
            value, change_col = self.num, "col.change_points"
        else:
            prev, now, value, change_col = u["score_prev"], u["score"], self.pct, "col.change_pp"
        merged = set(u.loc[u["prev_from"].fillna("") != "", "unit_id"]) if "prev_from" in u else set()
        u = u.assign(prev_shown=prev, now_shown=now)
        rows = [[self.name(r.unit_id) + (" †" if r.unit_id in merged else "")
                 + self.unusual_mark(r.unit_id), value(r.prev_shown), value(r.now_shown),
                 fmt_points(r.change * (self._factor() if self.own_scale else 1), self.lang, signed=True),
                 signed_int(r.rank_change)]
                for r in u[u["unit_id"].isin(marked)].itertuples()]
        headers = [self.t("col.name"), str(prev_year), str(self.year), self.t(change_col),
                   self.t("col.rank_change")]
        caption = self.t("table.movers_caption") + (
            " " + self.t("table.movers_merged", prev_year=prev_year) if merged else "") + (
            " " + self.t("table.movers_unusual") if len(self.unusual) else "")
        movers = self.table(rows, headers, {1, 2, 3, 4}, caption)
        note = "" if self.like_for_like() else self.break_note()
        tests, spread = self.tests_tables(prev_year)
        return self.section("change", counts=counts, chart=chart, movers=movers, tests=tests,
                            spread=spread, note=note, convergence=self.convergence(),
                            caution=outlier_caution(self.ds, self.lang, self.year, prev_year,
                                                    flagged, self.name,
                                                    self.tables.get("reconciliation"), self.wording,
                                                    self.without_unusual(u),
                                                    rule_in_methods=True))

    def usual(self, both: pd.DataFrame) -> pd.DataFrame | None:
        """The units scored in `both` years other than the unusual changes (`unusual`: none
        where the two years are not like for like); None when none or all are unusual."""
        rest = both[~both["unit_id"].isin(self.unusual["unit_id"])]
        return rest if 0 < len(rest) < len(both) else None

    def without_unusual(self, both: pd.DataFrame) -> str:
        """How much the mean change owes to the unusual changes: the mean change of the other
        units scored in `both` years beside that of all of them (the key findings' figure), each
        the difference of the two years' means, as the paired t test's estimate."""
        rest = self.usual(both)
        if rest is None:
            return ""
        shown = lambda change: self.change_text(change, signed=True,  # noqa: E731
                                                decimals=change_tests.POINT_DECIMALS)
        these = self.t("change.these_one" if len(both) - len(rest) == 1 else "change.these_many")
        return self.t("change.without_unusual", these=these, k=len(rest), n=len(both),
                      change=shown(_mean_change(rest)), all_change=shown(_mean_change(both)))

    def change_units(self, n: int, prev_year: int) -> str:
        """The changes chart's first sentence: it draws the `n` units scored in both years, and
        which of the year's scored units it leaves out (no score in `prev_year`), in rank order."""
        scored = self.units[self.units["score"].notna()]
        new = scored[scored["score_prev"].isna()].sort_values(["rank", "unit_id"], kind="stable")
        if new.empty:
            return self.t("chart.change_units_all", n=n, prev_year=prev_year, year=self.year)
        return self.t("chart.change_units", n=n, n_year=len(scored), prev_year=prev_year, year=self.year,
                      names=name_list([self.name(i) for i in new["unit_id"]], self.lang, self.wording))

    def convergence(self) -> str:
        """Sigma-convergence (Pitman–Morgan) with beta-convergence beside it, never alone; the
        SDs and the slope as the tables write them (`change_tests.decimals`)."""
        tests = self.tables.get("tests")
        if tests is None or not {"pitman_morgan", "beta_convergence", "dispersion_sd"} <= set(tests["test"]):
            return ""
        if not self.like_for_like():  # no verdict across a method change
            return ""
        row = change_tests.in_points(tests[tests["metric"] == "index"],
                                     self.per_percent("index")).set_index("test")
        sd, pm, beta = row.loc["dispersion_sd"], row.loc["pitman_morgan"], row.loc["beta_convergence"]
        if pd.isna(pm["p_value"]):
            return ""
        measure = (self.own_scale[f"label_{self.lang}"] if self.own_scale else self.t("change.measure_pct"))
        d = change_tests.decimals("dispersion_sd", "statistic")
        key = ("change.convergence" if pm["p_value"] < float(self.ds.config.alpha)
               else "change.convergence_not_significant")   # no "down" read off a noisy change
        return self.t(key, measure=mid_sentence(measure, self.lang),
                      sd_prev=self.num(sd["statistic"] - sd["effect"], d),
                      sd=self.t("value.points" if self.own_scale else "value.pp",
                                points=self.num(sd["statistic"], d)),
                      direction=self.t(direction(sd["effect"])),
                      n=int(sd["n"]), p=self.p_text(pm["p_value"]),
                      b=self.num(beta["effect"], change_tests.decimals("beta_convergence", "effect")))

    def p_text(self, p, below: bool = False) -> str:
        """"= 0,042", "< 0,001"; with `below` (a bootstrap p under 1/B), "< 1/B"."""
        if below:
            return "< " + fmt_number(p, self.lang, 4)
        text = fmt_p_value(p, self.lang)
        return text if text.startswith("<") else "= " + text

    def tests_tables(self, prev_year: int) -> tuple[Table | None, Table | None]:
        """The change's tests (each with its p-value) and, apart, the measures of spread between
        units (descriptive, no p-value: `prev_year`'s value, this year's and the change), levels
        and changes of the score in points of its own scale where it has one (`change_tests`)."""
        tests = self.tables.get("tests")
        if tests is None or not len(tests):
            return None, None
        # across a method break the like-for-like tests are those on the shared components
        metric = "index" if self.like_for_like() or "index_shared" not in set(tests["metric"]) \
            else "index_shared"
        f = self.per_percent(metric)
        tests = change_tests.ordered(change_tests.in_points(tests[tests["metric"] == metric], f))
        def d(r, column):
            return change_tests.decimals(r.test, column)

        def statistic(r):   # a rank sum (Wilcoxon W) is a whole number: 689, not 689,000
            v = r.statistic
            return fmt_int(round(v), self.lang) if pd.notna(v) and float(v).is_integer() \
                else self.num(v, d(r, "statistic"))
        kinds = tests["test"].map(change_tests.kind)
        tested = tests[kinds == "test"]
        words = bool((tested[["ci_low", "ci_high"]] < 0).any(axis=None))  # one style a column
        rows = [[self.t("test." + r.test), statistic(r), fmt_p_value(r.p_value, self.lang),
                 self.num(r.effect, d(r, "effect")),
                 "" if pd.isna(r.ci_low) else self.span(r.ci_low, r.ci_high, d(r, "effect"), words),
                 fmt_int(r.n, self.lang)] for r in tested.itertuples()]
        headers = [self.t(k) for k in ("col.test", "col.statistic", "col.p_value", "col.effect",
                                       "col.ci", "col.n")]
        shared = metric != "index"
        scale = {"low": self.num(self.own_scale["min"], 0), "high": self.num(self.own_scale["max"], 0)} \
            if f != 1.0 else {}
        caption = self.t("table.tests_shared_caption" if shared else "table.tests_caption") + (
            self.t("table.tests_points_note", **scale) if scale else self.t("table.tests_pp_note"))
        table = self.table(rows, headers, {1, 2, 3, 4, 5}, caption) if rows else None
        rows = [[self.t("spread." + r.test), self.num(r.statistic - r.effect, d(r, "statistic")),
                 self.num(r.statistic, d(r, "statistic")),
                 fmt_points(r.effect, self.lang, d(r, "effect"), signed=True), fmt_int(r.n, self.lang)]
                for r in tests[kinds == "spread"].itertuples()]
        headers = [self.t("col.measure"), str(prev_year), str(self.year), self.t("col.spread_change"),
                   self.t("col.n")]
        caption = self.t("table.spread_shared_caption" if shared else "table.spread_caption") + (
            self.t("table.spread_points_note", **scale) if scale else self.t("table.spread_pp_note"))
        return table, self.table(rows, headers, {1, 2, 3, 4}, caption) if rows else None

    # --- satisfaction and comparisons ------------------------------------------------------
    def method_label(self, year: int) -> str:
        m = self.ds.config.collection_method(year) or {}
        return m.get(f"label_{self.lang}", m.get("method", ""))

    def method_note(self) -> str:
        yoy = self.tables.get("satisfaction_yoy")
        if yoy is None or not len(yoy) or str(yoy["like_for_like"].iloc[0]).lower() == "true":
            return ""
        prev_year, year = int(yoy["prev_year"].iloc[0]), int(yoy["year"].iloc[0])
        return self.t("satisfaction.not_like_for_like", year=year, prev_year=prev_year,
                      method=self.method_label(year), method_prev=self.method_label(prev_year))

    def satisfaction(self) -> HTML:
        su = self.tables["satisfaction_units"].copy()
        su = su[su["p"].notna()].sort_values(["p", "unit_id"], ascending=[False, True], kind="stable")
        yoy = self.tables.get("satisfaction_yoy")
        whole = yoy[yoy["unit_id"].fillna("") == ""] if yoy is not None else None
        data = dict(no_test="", overall="", significant=None, small_units="", units_table=None)
        if yoy is not None and len(yoy):
            untestable = yoy[yoy["p_value"].isna() & yoy["diff"].notna() & (yoy["unit_id"].fillna("") != "")]
            if len(untestable):
                data["no_test"] = self.t("satisfaction.no_test", names=", ".join(
                    self.name(i) for i in untestable["unit_id"]))
        if whole is not None and len(whole) and pd.notna(whole.iloc[0]["p_value"]):
            data["overall"] = self._overall_satisfaction(whole.iloc[0])
        alike = yoy is None or not len(yoy) or str(yoy["like_for_like"].iloc[0]).lower() == "true"
        ballots = su["n_ballots"].notna().any()
        text_key = "satisfaction.how_ballots" if ballots else "satisfaction.how_counts"
        data["how"] = self.t(text_key, n=fmt_int(int(su["n_ballots"].sum() if ballots else su["n_valid"].sum()),
                                                 self.lang), units=len(su))
        fig = charts.ranked_bars([self.name(i) for i in su["unit_id"]], 100 * su["p"].to_numpy(),
                                 [charts.OKABE_ITO[0]] * len(su), 100 * float(su["n_satisfied"].sum() / su["n_valid"].sum()),
                                 self.t("chart.pooled_line"), self.t("chart.satisfaction_axis"),
                                 lambda v: self.num(v, 0), 100 * su["ci_low"].to_numpy(), 100 * su["ci_high"].to_numpy(),
                                 gap_label=self.gap_label(len(su)))
        data["chart"] = self.figure(fig, "satisfaction", self.t("chart.satisfaction_alt", n=len(su)),
                                    self.t("chart.satisfaction_caption" if ballots
                                           else "chart.satisfaction_caption_counts", year=self.year)
                                    + self.ends_note(len(su), "table"))
        if len(charts.ends(len(su))) < len(su) or not self.has("ranking"):
            # every unit in a table: when the chart shows only the ends, or satisfaction is the headline
            def count(v):
                return "–" if pd.isna(v) else fmt_int(v, self.lang)

            def interval(r):
                return "–" if pd.isna(r.ci_low) else self.span(100 * r.ci_low, 100 * r.ci_high)
            rows = [[i + 1, self.name(r.unit_id), count(r.n_valid), count(r.n_satisfied),
                     self.pct(100 * r.p), interval(r)] for i, r in enumerate(su.itertuples())]
            headers = [self.t(k) for k in ("col.order", "col.name", "col.n_valid", "col.n_satisfied",
                                           "col.p", "col.ci")]
            data["units_table"] = self.table(rows, headers, {0, 2, 3, 4, 5},
                                             self.t("table.satisfaction_units_caption", year=self.year))
        if yoy is not None and len(yoy):
            units = yoy[yoy["unit_id"].fillna("") != ""]
            sig = units[units["significant"].astype(str).str.lower() == "true"]
            significant = data["significant"] = dict(longest="", table=None, none="")
            if len(sig) > MAX_ROWS:
                significant["longest"] = self.t("report.longest_rows", shown=MAX_ROWS, n=len(sig),
                                                file=self.listed_in("satisfaction_yoy"))
                sig = sig.loc[sig["diff"].abs().sort_values(ascending=False, kind="stable").index[:MAX_ROWS]]
            sig = sig.sort_values("diff", kind="stable")
            if len(sig):
                rows = [[self.name(r.unit_id), self.pct(100 * r.p_prev), self.pct(100 * r.p),
                         fmt_points(100 * r.diff, self.lang, signed=True),
                         self.span(100 * r.ci_low, 100 * r.ci_high),
                         self.span(100 * r.ci_low_fcr, 100 * r.ci_high_fcr),
                         fmt_p_value(r.p_adjusted, self.lang)] for r in sig.itertuples()]
                headers = [self.t("col.name"), str(int(yoy["prev_year"].iloc[0])), str(self.year),
                           self.t("col.diff"), self.t("col.ci_unadjusted"), self.t("col.ci_fcr"),
                           self.t("col.p_adjusted")]
                significant["table"] = self.table(rows, headers, {1, 2, 3, 4, 5, 6})
            elif not alike:
                significant["none"] = self.t("satisfaction.no_verdict", where=self.listed_in("satisfaction_yoy"))
            else:
                significant["none"] = self.t("satisfaction.no_significant", n=len(units))
        enough = min_sample(self.ds)
        small = su[su["n_ballots"].fillna(su["n_valid"]).fillna(np.inf) < enough]
        if len(small):
            data["small_units"] = self.t("satisfaction.small_units", count=len(small), min=enough,
                                         names=", ".join(self.name(i) for i in small["unit_id"]))
        return self.section("satisfaction", **data, method_note=self.method_note(),
                            elements=self.elements(), balanced=self.balanced(),
                            channels=self.channels())

    def balanced(self) -> str:
        """The element-balanced overall rate (mean of the pooled element rates) beside the pooled."""
        el = self.tables.get("satisfaction_elements")
        if el is None or not len(el):
            return ""
        pooled = el.groupby("element")[["n_valid", "n_satisfied"]].sum()
        pooled = pooled[pooled["n_valid"] > 0]
        rate = (pooled["n_satisfied"] / pooled["n_valid"]).mean()
        return self.t("satisfaction.balanced", balanced=self.pct(100 * rate),
                      pooled=self.pct(100 * pooled["n_satisfied"].sum() / pooled["n_valid"].sum()))

    def elements(self) -> Table | None:
        """Pooled share satisfied by survey element (answers pooled over all units)."""
        el = self.tables.get("satisfaction_elements")
        if el is None or not len(el):
            return None
        labels = {e["code"]: e[f"label_{self.lang}"] for e in (self.ds.config.raw.get("survey") or {}).get("elements", [])}
        pooled = el.groupby("element", sort=False)[["n_valid", "n_satisfied"]].sum()
        pooled = pooled.reindex([c for c in labels if c in pooled.index] + [c for c in pooled.index if c not in labels])
        rows = [[labels.get(code, code), fmt_int(r.n_valid, self.lang),
                 self.pct(100 * r.n_satisfied / r.n_valid)] for code, r in pooled.iterrows()]
        headers = [self.t("col.element"), self.t("col.n_valid"), self.t("col.p")]
        return self.table(rows, headers, {1, 2})

    def channels(self) -> Table | None:
        ch = self.tables.get("ballot_channels")
        if ch is None or not len(ch):
            return None
        rows = [[int(r.year), self.channel(r.channel), fmt_int(r.n_ballots, self.lang), fmt_int(r.n_counted, self.lang),
                 fmt_int(r.n_rejected, self.lang)] for r in ch.itertuples()]
        headers = [self.t(k) for k in ("col.year", "col.channel", "col.ballot_channels.n_ballots", "col.n_counted",
                                       "col.n_rejected")]
        return self.table(rows, headers, {2, 3, 4})

    def channel(self, code) -> str:
        """A survey channel's label: the catalog's, else dataset.yaml's `survey.channels`, else
        the code as the ballots give it (a channel the report does not know is still shown)."""
        if not isinstance(code, str) or not code:
            return "–"
        if f"channel.{code}" in load_catalog():
            return self.t(f"channel.{code}")
        listed = {c.get("code"): c.get(f"label_{self.lang}") for c in
                  (self.ds.config.raw.get("survey") or {}).get("channels") or [] if isinstance(c, dict)}
        return listed.get(code) or visible(code)

    def sensitivity(self) -> HTML:
        """How robust the ranking is to its assumptions (tables sensitivity, sensitivity_sobol):
        a paragraph, the assumptions' Sobol indices and the units whose rank moves most."""
        s = self.tables["sensitivity"]
        settings = self.ds.config.raw.get("sensitivity") or {}
        width = s["rank_p95"] - s["rank_p05"]
        stable = int((width <= 2).sum())
        labels = {c["code"]: c[f"label_{self.lang}"] for c in self.method()["components"]}
        sobol = self.tables.get("sensitivity_sobol")
        rows = []
        if sobol is not None:
            for r in sobol.sort_values("total_order", ascending=False, kind="stable").itertuples():
                factor = str(r.factor)
                code = factor.partition(":")[2]
                name = (self.t("sensitivity.factor_weight", label=labels.get(code, code))  # as the workbook
                        if factor.startswith("weight:") else self.t(f"sensitivity.factor_{factor}"))
                rows.append([name, self.num(r.first_order), self.num(r.total_order)])
        moved, cut = widest_ranges(s)
        units = [[self.name(r.unit_id), fmt_int(r.rank_nominal, self.lang),
                  fmt_int(round(r.rank_median), self.lang),
                  f"{fmt_int(r.rank_p05, self.lang)}–{fmt_int(r.rank_p95, self.lang)}",
                  fmt_int(r.width, self.lang),   # the width the caption cuts at
                  fmt_int(r.max_shift, self.lang)] for r in moved.itertuples()]
        draws = fmt_int(int(settings.get("draws", 0)), self.lang)
        text = self.t("sensitivity.text", draws=draws,
                      spread=self.pct(100 * float(settings.get("weight_spread", 0.25)), 0),
                      n=len(s), stable=stable, moving=len(s) - stable)
        order = s.sort_values(["rank_nominal", "unit_id"], kind="stable")
        fig = charts.rank_ranges([self.name(i) for i in order["unit_id"]], order["rank_nominal"],
                                 order["rank_median"], order["rank_p05"], order["rank_p95"],
                                 self.t("sensitivity.rank_axis"),
                                 [self.t(f"sensitivity.legend_{k}") for k in ("range", "median", "nominal")],
                                 lambda v: fmt_int(int(v), self.lang))
        widest = moved.iloc[0]
        chart = self.figure(fig, "sensitivity", self.t(
            "sensitivity.chart_alt", n=len(s), widest=self.name(widest["unit_id"]),
            low=fmt_int(widest["rank_p05"], self.lang), high=fmt_int(widest["rank_p95"], self.lang)),
            self.t("sensitivity.chart_caption", n=len(s), draws=draws, year=self.year))
        return self.section(
            "sensitivity", texts=[text], chart=chart,
            sobol=self.table(rows, [self.t(k) for k in ("col.factor", "col.first_order", "col.total_order")],
                             {1, 2}, self.t("sensitivity.sobol_caption")) if rows else None,
            units=self.table(units, [self.t(k) for k in ("col.name", "col.rank_nominal", "col.rank_median",
                                                        "sensitivity.col_range", "sensitivity.col_width",
                                                        "col.max_shift")],
                             {1, 2, 3, 4, 5}, self.t("sensitivity.units_caption", n=len(moved),
                                                  width=fmt_int(cut, self.lang),
                                                  where=self.listed_in("sensitivity"))))

    def gaps(self) -> HTML:
        g = self.tables["gaps"]
        metrics = []
        labels, tops, bottoms = [], [], []
        level = self.pct(100 * (1 - float(self.ds.config.alpha)), 0)
        for r in g.itertuples():
            metric = self.gap_metric(r.metric)
            labels.append(metric)   # on the measure's scale as shown (`per_percent`)
            tops.append(r.top_mean * self.per_percent(r.metric))
            bottoms.append(r.bottom_mean * self.per_percent(r.metric))
            if pd.isna(r.gap):
                continue
            below = str(getattr(r, "gap_change_p_below", "")).lower() == "true"
            heterogeneity = "" if pd.isna(getattr(r, "q", np.nan)) else self.t(
                "gaps.heterogeneity", q=self.num(r.q), q_p=self.p_text(r.q_p), i2=self.pct(100 * r.i2, 0),
                tau=self.num(r.tau), tau_low=self.num(r.tau_ci_low), tau_high=self.num(r.tau_ci_high),
                fixed_low=self.num(r.gap_fixed_ci_low), fixed_high=self.num(r.gap_fixed_ci_high),
                min=min_sample(self.ds), n=int(r.n))
            f = self.per_percent(r.metric)
            metrics.append(dict(
                gap=self.t("finding.gap", k=int(r.k), gap=self.change_text(r.gap, metric=r.metric), level=level,
                           ci_low=self.num(f * r.gap_ci_low), ci_high=self.num(f * r.gap_ci_high)),
                ends=self.t("gaps.metric_line", metric=metric,
                            leader=self.name(r.leader_unit),
                            laggard=self.name(r.laggard_unit)),
                heterogeneity=heterogeneity,
                change="" if pd.isna(r.gap_change) else self.t(
                    "gaps.change" if r.gap_change_p < float(self.ds.config.alpha) else "gaps.change_not_significant",
                    direction=self.t("word.narrowed" if r.gap_change < 0 else "word.widened"),
                    change=self.change_text(abs(r.gap_change), metric=r.metric), ci_low=self.num(f * r.gap_change_ci_low),
                    ci_high=self.num(f * r.gap_change_ci_high), p=self.p_text(r.gap_change_p, below))))
        chart = None  # one measure's two means are said in the text and the table, not drawn
        if len(labels) > 1:
            fig = charts.dumbbell(labels, tops, bottoms, self.t("chart.top_group"), self.t("chart.bottom_group"),
                                  self.t("chart.value_axis"), lambda v: self.num(v, 1))
            chart = self.figure(fig, "gaps", self.t("chart.gaps_alt"), self.t("chart.gaps_caption", year=self.year))

        def interval(low, high, f=1.0):
            return "" if pd.isna(low) else self.span(f * low, f * high)

        def group_mean(value, metric):   # points of the own scale, else percent
            f = self.per_percent(metric)
            return self.num(f * value) if f != 1.0 else self.pct(value)

        rows = [[self.gap_metric(r.metric), int(r.k), group_mean(r.top_mean, r.metric),
                 group_mean(r.bottom_mean, r.metric),
                 self.num(self.per_percent(r.metric) * r.gap),
                 interval(r.gap_ci_low, r.gap_ci_high, self.per_percent(r.metric)),
                 interval(getattr(r, "gap_fixed_ci_low", np.nan), getattr(r, "gap_fixed_ci_high", np.nan)),
                 "" if pd.isna(getattr(r, "i2", np.nan)) else self.pct(100 * r.i2, 0),
                 "" if pd.isna(getattr(r, "tau", np.nan)) else self.num(r.tau)] for r in g.itertuples()]
        headers = [self.t(k) for k in ("col.metric", "col.k", "col.top_mean", "col.bottom_mean", "col.gap",
                                       "col.ci_over_units", "col.ci_units_fixed", "col.i2", "col.tau")]
        filled = [i for i in range(len(headers)) if any(row[i] != "" for row in rows)]  # no empty column
        rows, headers = [[row[i] for i in filled] for row in rows], [headers[i] for i in filled]
        table = self.table(rows, headers, set(range(1, len(headers))))
        fixed = "gap_fixed_ci_low" in g and g["gap_fixed_ci_low"].notna().any()  # the interval is shown
        return self.section("gaps", metrics=metrics, method_note=self.method_note(), chart=chart, table=table,
                            fixed=fixed)

    def funnel(self) -> HTML:
        from analysis.stats.funnel import funnel_limits
        f = self.tables["funnel"]
        p0 = float(f["p0"].iloc[0])
        tau = float(f["tau"].iloc[0]) if pd.notna(f["tau"].iloc[0]) else 0.0
        def limits(grid):
            lim = funnel_limits(grid, p0, tau=tau)
            return [(100 * lim["lower95"], 100 * lim["upper95"]), (100 * lim["lower998_adj"], 100 * lim["upper998_adj"])]
        fig = charts.funnel(f["n"].to_numpy(), 100 * f["p"].to_numpy(), 100 * p0, limits, f["outside_adj"].fillna("").tolist(),
                            [self.name(i) for i in f["unit_id"]], self.t("chart.n_axis"),
                            self.t("chart.satisfaction_axis"), lambda v: self.num(v, 0))
        chart = self.figure(fig, "funnel", self.t("chart.funnel_alt"), self.t("chart.funnel_caption", p0=self.pct(100 * p0)))
        sized = f[f["n"] > 0]
        explain = self.t("funnel.explain", count_plain=int((sized["outside"].fillna("") != "").sum()),
                         n=len(sized), expected=self.num(0.002 * len(sized), 2),
                         phi=self.num(sized["phi"].iloc[0]) if len(sized) else "–",
                         phi_p=self.p_text(sized["phi_p"].iloc[0]) if len(sized) else "–",
                         tau=self.num(100 * tau), count=int((sized["outside_adj"].fillna("") != "").sum()))
        out = f[f["outside_adj"].fillna("") != ""]
        ri = self.tables.get("rank_intervals")
        ri = ri.set_index("unit_id") if ri is not None else None
        longest, table = "", None
        if len(out) > MAX_ROWS:
            longest = self.t("report.longest_rows", shown=MAX_ROWS, n=len(out), file=self.listed_in("funnel"))
            distance = (out["p"] - out["p0"]).abs() / (out["upper998_adj"] - out["p0"]).abs()
            out = out.loc[distance.sort_values(ascending=False, kind="stable").index[:MAX_ROWS]]

        def rank(unit):
            if ri is None or unit not in ri.index:
                return ""
            r = ri.loc[unit]
            return (f"{int(r['rank'])} ({int(r['rank_low'])}–{int(r['rank_high'])}; "
                    f"{int(r['rank_low_joint'])}–{int(r['rank_high_joint'])})")

        if len(out):
            rows = [[self.name(r.unit_id), fmt_int(round(r.n), self.lang), self.pct(100 * r.p),
                     fmt_span(self.pct(100 * r.lower998_adj), self.pct(100 * r.upper998_adj), self.lang),
                     self.t("word." + r.outside_adj), rank(r.unit_id)]
                    for r in out.sort_values("p", kind="stable").itertuples()]
            headers = [self.t(k) for k in ("col.name", "col.n_eff", "col.p", "col.limits998", "col.outside", "col.rank_interval")]
            table = self.table(rows, headers, {1, 2, 3, 5})
        return self.section("funnel", explain=explain, chart=chart, longest=longest, table=table)

    def integrity(self) -> HTML:
        """Units the ballot screen points at: prompts to look, each with its evidence in the
        edition's language, the ballots involved, and the satisfaction without them."""
        from analysis.indices.integrity import MEASURED_RATES, shown_facts
        table = self.tables["integrity"]
        flagged = table[table["flagged"].astype(str).str.lower() == "true"]
        explain = self.t("integrity.explain", n=table["unit_id"].nunique(), count=len(flagged))
        per_check = table.groupby("check", sort=True)["flagged"].apply(
            lambda f: int(f.astype(str).str.lower().eq("true").sum()))
        per_check = self.table([[self.t("check." + c), fmt_int(n, self.lang)] for c, n in per_check.items()],
                               [self.t("col.check"), self.t("col.flagged")], {1})
        listed, evidence, ballots = None, [], None
        if len(flagged):
            rows = [[self.name(r.unit_id), self.t("check." + r.check),
                     self.num(r.statistic), self.num(r.threshold),
                     fmt_int(r.n_involved, self.lang) if r.n_involved else "–",
                     self.pct(100 * r.p_published, 1),
                     self.pct(100 * r.p_without, 1) if pd.notna(r.p_without) else "–"]
                    for r in flagged.itertuples()]
            headers = [self.t(k) for k in ("col.name", "col.check", "col.statistic", "col.threshold",
                                           "col.n_involved", "col.p_published", "col.p_without")]
            listed = self.table(rows, headers, {2, 3, 4, 5, 6})
            evidence = [f"{self.name(r.unit_id)} — {self.t('check.' + r.check)}: "
                        + self.t("evidence." + r.check, **shown_facts(json.loads(r.facts), self.lang))
                        for r in flagged.itertuples()]
            ballots = self.integrity_ballots(flagged)
        paper = table[table["check"] == "paper_share"]
        paper = self.t("integrity.paper", none=int((paper["statistic"] == 0).sum()), n=len(paper)) if len(paper) else ""
        return self.section("integrity", explain=explain, per_check=per_check, flagged=listed,
                            evidence=evidence, ballots=ballots, paper=paper,
                            calibration=self.t("integrity.calibration", **{
                                **MEASURED_RATES, "false_alarms": self.pct(100 * MEASURED_RATES["false_alarms"], 1)}))

    def integrity_ballots(self, flagged: pd.DataFrame) -> Table | None:
        """The first ballots behind each flag (all of them in tables/integrity_ballots.csv)."""
        listed = self.tables.get("integrity_ballots")
        if listed is None or listed.empty:
            return None
        shown = listed.groupby(["unit_id", "check"], sort=False).head(BALLOTS_SHOWN)
        rows = [[self.name(r.unit_id), self.t("check." + r.check), str(r.ballot_id),
                 self.t("channel." + r.channel) if f"channel.{r.channel}" in load_catalog() else r.channel,
                 "" if pd.isna(r.answers) else str(r.answers)]
                for r in shown.itertuples()]
        headers = [self.t(k) for k in ("col.name", "col.check", "col.ballot_id", "col.channel", "col.answers")]
        caption = self.t("integrity.ballots_shown", shown=fmt_int(len(shown), self.lang),
                         total=fmt_int(len(listed), self.lang))
        return self.table(rows, headers, caption=caption)

    # --- appendices -----------------------------------------------------------------------
    def directory(self) -> HTML:
        """Every unit in alphabetical order of the edition's language (Vietnamese collation in
        VI, "TP. Hồ Chí Minh" under H: `name_sort_key`), one table per group (captioned by the
        group's name, not repeated on every row); the region column only where a unit of the
        table has a region; the score in points on the index's own scale where it has one."""
        u = self.units.copy()
        u["name"] = u["unit_id"].map(self.names)
        u = u.iloc[sorted(range(len(u)), key=lambda i: (name_sort_key(u["name"].iloc[i], self.lang),
                                                         u["unit_id"].iloc[i]))]
        scale = self.own_scale
        groups = list(dict.fromkeys(u["group"]))
        if len(groups) > 1 and self.ds.groups is not None:  # the dataset's order of its groups
            order = list(self.ds.groups["group"])
            groups.sort(key=lambda g: order.index(g) if g in order else len(order))
        tables = []
        for group in groups:
            part = u[u["group"] == group]
            regions = part["region"].where(part["region"].map(lambda r: isinstance(r, str) and r != ""))
            with_region = regions.notna().any()
            rows = []
            for r, region in zip(part.itertuples(), regions):
                row = [r.name] + ([self.label(self.ds.regions, region, "region") if isinstance(region, str)
                                   else ""] if with_region else [])
                score = (self.t("report.no_score") if pd.isna(r.score) else
                         self.num(r.points) if scale else self.pct(r.score))
                rows.append(row + [score, "–" if pd.isna(r.rank) else int(r.rank)])
            headers = ([self.t("col.name")] + ([self.t("col.region")] if with_region else [])
                       + [self.t("col.points_scale", label=scale[f"label_{self.lang}"]) if scale
                          else self.t("col.score"), self.t("col.rank")])
            caption = self.label(self.ds.groups, group, "group") if len(groups) > 1 else ""
            tables.append(self.table(rows, headers, {len(headers) - 2, len(headers) - 1}, caption))
        return self.section("directory", tables=tables)

    def bands_method(self) -> str:
        """How this year's bands were drawn: fixed thresholds, quartiles, or the group sizes the
        authority published for the year (`Config.published_band_sizes`)."""
        cfg = self.ds.config
        if not any("min_quantile" in b for b in cfg.bands):
            return self.t("methods.bands_fixed")
        scored = int(self.tables["index_units"]["score"].notna().sum())
        sizes = cfg.published_band_sizes(self.year, scored)
        if sizes is None:
            return self.t("methods.bands_quantile")
        return self.t("methods.bands_published", year=self.year,
                      sizes="/".join(fmt_int(n, self.lang) for n in sizes))

    def later_mergers(self) -> list[str]:
        """A sentence when units of this year were merged later (crosswalk.csv), so that a reader
        after the merger knows the report uses the units of its year; else nothing."""
        cw = self.ds.crosswalk
        if cw is None or len(self.period) > 4:  # a month of dossiers: its own merger note
            return []
        later = cw[(cw["effective_year"] > self.year)
                   & cw["from_unit_id"].isin(self.units["unit_id"])
                   & (cw["from_unit_id"] != cw["to_unit_id"])]
        if not len(later):
            return []
        first = later.sort_values("effective_year").iloc[0]
        month = first.get("effective_from")  # YYYY-MM, or none: the year's first day
        start = (dt.date(int(month[:4]), int(month[5:7]), 1) if isinstance(month, str) and month
                 else dt.date(int(first["effective_year"]), 1, 1))
        return [self.t("methods.later_mergers", year=self.year, n=later["from_unit_id"].nunique(),
                       m=later["to_unit_id"].nunique(), date=fmt_date(start, self.lang))]

    def methods(self) -> HTML:
        cfg = self.ds.config
        comps = ", ".join(f'{c[f"label_{self.lang}"]} ({self.maximum(c["max_points"])})'
                          for c in self.method()["components"])
        items = [self.t("methods.index_points" if self.own_scale else "methods.index", components=comps),
                 self.t("methods.rank"), self.bands_method(),
                 self.t("methods.groups"), self.t("methods.change"),
                 *self.later_mergers()] if self.has("ranking") else []
        if self.service is not None:
            items += self.service_methods()
        items.append(self.t("methods.parameters", alpha=self.num(cfg.alpha),
                            share=self.pct(100 * cfg.leader_share, 0),
                            bootstrap=fmt_int(cfg.bootstrap, self.lang), seed=cfg.seed))
        su = self.tables.get("satisfaction_units")
        if su is not None:
            answers = ", ".join(str(a) for a in cfg.satisfied_answers)
            ballots = su["n_ballots"].notna().any()
            items.append(self.t("methods.satisfaction_rule" if ballots else "methods.satisfaction_counts",
                                answers=answers))
            items.append(self.t("methods.cluster" if su["n_ballots"].notna().any() else "methods.wilson"))
            items.append(self.t("methods.yoy"))
            items.append(self.t("methods.min_sample" if ballots else "methods.min_sample_counts",
                                min=min_sample(self.ds)))
            if "satisfaction_elements" in self.tables:
                items.append(self.t("methods.balanced"))
        if "gaps" in self.tables:
            items.append(self.t("methods.gaps", share=self.pct(100 * cfg.leader_share, 0)))
            if su is not None:
                items.append(self.t("methods.gaps_satisfaction"))
        if "funnel" in self.tables:
            items += [self.t("methods.funnel"), self.t("methods.rank_intervals")]
        if "tests" in self.tables:
            items.append(self.t("methods.tests"))
        u = self.units
        if u is not None and u["parts_agree"].notna().any():
            agree = u["parts_agree"].dropna().astype(str).str.lower().eq("true")
            items.append(self.t("methods.published_total", agree=int(agree.sum()), n=len(agree)))
        notes = cfg.method_text(self.year, "notes", self.lang)
        if notes:
            items.append(notes)
        source = cfg.method_text(self.year, "source", self.lang)
        if source:
            items.append(self.t("methods.source", source=source))
        return self.section("methods", items=items)

    def audit(self) -> HTML:
        reconciliation = rejected_data = None
        rec = self.tables.get("reconciliation")
        if rec is not None and len(rec):
            ok = int(rec["matches"].astype(str).str.lower().eq("true").sum())
            # a band count the bands are made to match: a consistency check only
            rec = rec.assign(rule=reconciled_rules(self.ds, self.year, self.units, rec))
            rows = [[self.t(("scope." if r.scope in ("all", "unit") else "col.") + r.scope),
                     self._key_name(r.scope, r.key), self._metric_label(r.metric),
                     *self._reconciled_values(r.metric, r.published, r.computed),
                     self.t("word.yes" if str(r.matches).lower() == "true" else "word.no"),
                     self.t("rule." + r.rule) if isinstance(r.rule, str) and r.rule else "–"]
                    for r in rec.itertuples()]
            by_construction = int(rec["rule"].eq("by_construction").sum())
            headers = [self.t(k) for k in ("col.scope", "col.key", "col.metric", "col.published",
                                           "col.computed", "col.matches", "col.rule")]
            # a province's name on one line ("Quảng / Ninh" in the narrow column); not a
            # region's, long enough to crowd the metric out
            short = all(len(row[1]) <= SHORT_NAME for row in rows)
            table = self.table(rows, headers, {3, 4}, nowrap={0, 1, 6} if short else {0, 6})
            table.kind = "reconciliation"   # its first column is a scope, not a unit's name
            summary = self.t("audit.reconciliation", ok=ok, n=len(rec)) + (
                " " + self.t("audit.band_counts_imposed", k=by_construction) if by_construction else "")
            reconciliation = dict(summary=summary, table=table)
        else:  # said, not left out: a reader must not wonder whether the year was checked
            period = fmt_period(self.period, self.lang, spoken=True)
            reconciliation = dict(summary=self.t("audit.nothing_published", year=period), table=None)
        rejected = self.tables.get("rejected")
        if rejected is not None and len(rejected):
            counts = rejected.assign(year=rejected["year"].fillna(-1)).groupby(
                ["file", "year", "reason"]).size().reset_index(name="n")
            rows = [[r.file, "–" if r.year < 0 else int(r.year), self.t("reason." + r.reason),
                     fmt_int(r.n, self.lang)] for r in counts.itertuples()]
            rejected_data = dict(rows=None, counts=self.table(
                rows, [self.t(k) for k in ("col.file", "col.year", "col.reason", "col.rows_rejected")], {1, 3}),
                files=self.t("audit.rejected_files", folder=self.ds.root.name))
            runs = row_runs(rejected)
            if len(runs) <= 20:
                rows = [[r.file, f"{r.first}–{r.last}" if r.last > r.first else str(r.first),
                         self.name(r.unit_id), self.t("reason." + r.reason)] for r in runs.itertuples()]
                rejected_data["rows"] = self.table(
                    rows, [self.t(k) for k in ("col.file", "col.row", "col.name", "col.reason")], {1})
        inputs = [(str(p.relative_to(self.ds.root)), sha256(p)) for p in self.ds.files]
        missing = self.tables.get("units_without_data")
        without_data = [] if missing is None else [
            self.t("audit.without_data", file=file, n=len(part), year=self.period,
                   units=", ".join(self.names.get(u, u) for u in part["unit_id"]))
            for file, part in missing.groupby("file", sort=True)]
        return self.section("audit", reconciliation=reconciliation, rejected=rejected_data, inputs=inputs,
                            without_data=without_data)

    def _metric_label(self, metric: str) -> str:
        """A reconciled metric in words: "points", "rank", "band_count:<band>", "in_band:<band>" …
        never its code."""
        kind, _, band = str(metric).partition(":")
        if kind in ("band_count", "in_band"):
            named = {b["label_en"]: b for b in self.ds.config.bands}.get(band, {})
            label = named.get(f"label_{self.lang}", band)
            group = is_group(named.get("label_vi", band))   # PAPI's "Nhóm …", in both editions
            return self.t(f"recon.{kind}_group" if group else f"recon.{kind}", band=label)
        keys = {"points": "col.points", "rank": "col.rank", "index": "col.score", "n_units": "col.n_units",
                "mean": "col.mean"}
        return self.t(keys[kind]) if kind in keys else self.t("metric." + kind)

    def _reconciled_values(self, metric: str, published, computed) -> list[str]:
        """Published and computed figures: counts and ranks as whole numbers, a place in a band as
        yes or no; a published score
        with the decimals it was released with (at least 2: PAPI's 47.821 as 47,821, which the
        rule "truncated" then visibly fits), the computed one to 4."""
        kind = str(metric).partition(":")[0]
        if kind == "in_band":   # in the band or not
            return [self.t("word.yes" if v == 1 else "word.no") if pd.notna(v) else "–" for v in (published, computed)]
        if kind in WHOLE_METRICS:
            return [fmt_int(round(v), self.lang) if pd.notna(v) else "–" for v in (published, computed)]
        return [self.num(published, published_decimals(published)), self.num(computed, 4)]

    def _key_name(self, scope: str, key) -> str:
        key = "" if pd.isna(key) else str(key)
        if scope == "unit":
            return self.name(key)
        if scope in ("group", "region"):
            return self.label(getattr(self.ds, scope + "s"), key, scope)
        return ""

    def render(self, section: str) -> HTML:
        """The section if the run has what it needs, otherwise nothing. Built with the cyclic
        garbage collector paused (and left as it was after): matplotlib makes tens of thousands
        of objects for a chart (artists, transforms, callback registries), and each collection
        they set off walked the notebook's other objects again, about 5% of an edition's chart
        time; what the charts leave is collected when the collector next runs."""
        collecting = gc.isenabled()
        gc.disable()
        try:
            return getattr(self, section)() if self.has(section) else HTML("")
        finally:
            if collecting:
                gc.enable()
