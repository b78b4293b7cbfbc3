"""The series report: an index over a span of years, in one language (`par-report run --years`).

Rendered in this process from the run's tables (panel_units, panel_tests), without a notebook:
each section's data (catalog strings, locale-formatted numbers, `markup.Table`, `markup.Figure`)
goes to its template in `templates/sections/series_*.html.j2`; the document is written as
report.html and, through WeasyPrint, report.pdf. Every chart draws the method version breaks,
and every sentence comparing years across a break says it is not like for like.
"""
from __future__ import annotations

import base64
import statistics
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.indices.panel import methods, movers
from analysis.audit.manifest import report_date
from analysis.inputs.dataset import Dataset
from analysis.publication import charts, panel_charts, pdf, publish
from analysis.publication.cover import publisher_parts
from analysis.publication.formatting import fmt_date, fmt_int, fmt_number, fmt_p_value, fmt_span, unbroken
from analysis.publication.i18n import LANGS, dataset_wording, t
from analysis.publication.markup import Figure, Table, render, signed_int

SECTIONS = ["summary", "series_trajectories", "series_ranks", "series_movers",
            "series_persistence", "series_convergence", "series_methods"]


class SeriesReport:
    def __init__(self, ds: Dataset, span: tuple[int, int], lang: str,
                 tables: dict[str, pd.DataFrame], out_dir: Path | None = None):
        self.ds, self.lang, self.out_dir = ds, lang, out_dir
        self.wording = dataset_wording(ds)
        self.first, self.last = span
        self.units = tables["panel_units"]
        self.tests = tables["panel_tests"]
        self.years = sorted(int(y) for y in self.units["year"].unique())
        self.methods = methods(ds, self.years)
        self.breaks = [y for prev, y in zip(self.years, self.years[1:])
                       if self.methods[y] != self.methods[prev]]
        self.names = ds.units.set_index("unit_id")[f"name_{lang}"].to_dict()
        self._figure = 0

    # --- helpers --------------------------------------------------------------------------
    def t(self, key: str, **fields) -> str:
        return t(key, self.lang, self.wording, **fields)

    def num(self, value, decimals: int = 2) -> str:
        return fmt_number(value, self.lang, decimals)

    def version_label(self, year: int) -> str:
        method = self.ds.config.method(year)
        return method.get(f"label_{self.lang}") or method["id"]

    def figure(self, fig, name: str, alt: str, caption: str) -> Figure:
        svg = charts.to_svg(fig)
        self._figure += 1
        if self.out_dir:
            folder = self.out_dir / "figures"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{self._figure:02d}-{name}.svg").write_text(svg, encoding="utf-8")
        data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        return Figure(f"data:image/svg+xml;base64,{data}", alt,
                      self.t("report.figure", n=self._figure), caption)

    def section(self, key: str, **data) -> str:
        return render(f"{key}.html.j2", key=key, heading=self.t("section." + key), t=self.t, **data)

    def break_note(self) -> str:
        """The sentence every chart's caption ends with: where the method changed."""
        if not self.breaks:
            return ""
        return self.t("series.break_note", years=", ".join(str(y) for y in self.breaks))

    def title(self) -> str:
        return self.t("series.title", title=self.ds.config.title(self.lang), first=self.first,
                      last=self.last)

    def running_title(self) -> str:
        """The PDF's running header: the index's short name and the span, else the title."""
        name = self.ds.config.raw.get(f"index_name_{self.lang}")
        return (self.t("series.running_title", name=name, first=self.first, last=self.last)
                if name else self.title())

    # --- sections -------------------------------------------------------------------------
    def title_page(self) -> str:
        """The cover, framed as the yearly report's (publisher, number, colophon)."""
        span = f"{self.years[0]}-{self.years[-1]}"
        parts = publisher_parts(self.ds, self.lang, span, self.title())
        facts = parts["facts"] + [(self.t("report.number"), parts["number"]),
                  (self.t("series.years"), f"{self.years[0]}–{self.years[-1]}"),
                  (self.t("report.edition"), self.t(f"lang.{self.lang}")),
                  (self.t("report.date"), fmt_date(report_date(), self.lang))]
        other = [lang for lang in LANGS if lang != self.lang]
        links = [dict(href=f"../{o}/report.html", lang=o, text=self.t("report.other_edition"))
                 for o in other]
        banner = self.t("report.synthetic_banner") if self.ds.config.synthetic else ""
        return render("title_page.html.j2", banner=banner, links=links, facts=facts,
                      edition=self.t("lang." + self.lang), kicker=self.t("report.kicker_series"),
                      title=unbroken(self.title(), self.lang),
                      running=unbroken(self.running_title(), self.lang), logo=parts["logo"],
                      logo_alt=parts["name"], draft="",
                      colophon=parts["colophon"], notice=parts["notice"])

    def contents(self) -> str:
        items = [(s, self.t("section." + s)) for s in SECTIONS]
        return render("contents.html.j2", heading=self.t("report.toc"), items=items)

    def summary(self) -> str:
        scored = self.units[self.units["score"].notna()]
        findings = [self.t("series.finding_span", n=scored["unit_id"].nunique(),
                           first=self.years[0], last=self.years[-1], years=len(self.years))]
        if self.breaks:
            findings.append(self.t("series.finding_breaks", breaks=self.break_years_text(),
                                   versions=len(set(self.methods.values()))))
        rho = self.tests[self.tests["test"] == "rank_persistence"].dropna(subset=["statistic"])
        within = rho[~rho["year"].isin(self.breaks)]["statistic"]
        if len(within):
            findings.append(self.t("series.finding_persistence", low=self.num(within.min()),
                                   high=self.num(within.max()),
                                   median=self.num(statistics.median(within))))
        findings += self.trend_sentences()
        m = movers(self.units, self.years[0], self.years[-1], n=1)
        if len(m) >= 2:
            up, down = m.iloc[0], m.iloc[-1]
            key = "series.finding_movers" if not self.breaks else "series.finding_movers_break"
            findings.append(self.t(key, first=self.years[0], last=self.years[-1],
                                   up=self.names[up.unit_id], up_from=int(up.rank_first),
                                   up_to=int(up.rank_last), down=self.names[down.unit_id],
                                   down_from=int(down.rank_first), down_to=int(down.rank_last)))
        return self.section("summary", headlines=[], chart=None, findings=findings, notice="")

    def break_years_text(self) -> str:
        return ", ".join(f"{prev}→{y}" for prev, y in
                         ((self.years[self.years.index(b) - 1], b) for b in self.breaks))

    def trend_sentences(self) -> list[str]:
        out = []
        for r in self.tests[self.tests["test"] == "sigma_trend"].itertuples():
            if pd.isna(r.statistic):
                continue
            n = int(self.tests[(self.tests["test"] == "sigma_sd") & (self.tests["year"] == r.year)]["n"].iloc[0])
            key = "series.finding_sigma_down" if r.statistic < 0 else "series.finding_sigma_up"
            out.append(self.t(key, version=self.version_label(int(r.year)), first=int(r.prev_year),
                              last=int(r.year), n=n, slope=self.num(abs(r.statistic), 3),
                              p=fmt_p_value(r.p_value, self.lang)))
        return out

    def trajectories(self) -> str:
        wide = self.by_latest_rank("points")
        panels = [(self.names[u], wide.loc[u].to_numpy(dtype=float)) for u in wide.index]
        mean = wide.mean().to_numpy(dtype=float)
        scale = "; ".join(dict.fromkeys(self.scale_label(y) for y in self.years))
        fig = panel_charts.small_multiples(panels, self.years, [self.methods[y] for y in self.years],
                                           self.breaks, mean, scale, lambda v: self.num(v, 0))
        chart = self.figure(fig, "trajectories", self.t("series.trajectories_alt", n=len(panels)),
                            " ".join(filter(None, [self.t("series.trajectories_caption", first=self.years[0],
                                                           last=self.years[-1]), self.break_note()])))
        return self.section("series_trajectories", intro=self.t("series.trajectories_intro"), chart=chart)

    def by_latest_rank(self, value: str) -> pd.DataFrame:
        """`value` by unit (rows, in the order of the latest rank each has) and year (columns)."""
        wide = self.units.pivot(index="unit_id", columns="year", values=value).reindex(columns=self.years)
        ranks = self.units.pivot(index="unit_id", columns="year", values="rank").reindex(columns=self.years)
        latest = ranks.ffill(axis=1).iloc[:, -1].astype(float).fillna(np.inf)
        return wide.loc[sorted(wide.index, key=lambda u: (latest[u], u))]

    def scale_label(self, year: int) -> str:
        scale = self.ds.config.scale(year)
        return scale[f"label_{self.lang}"] if scale else self.t("chart.score_axis")

    def ranks(self) -> str:
        wide = self.by_latest_rank("rank")
        fig = panel_charts.rank_heat_map([self.names[u] for u in wide.index], self.years,
                                         wide.to_numpy(dtype=float), self.breaks, self.t("col.rank"))
        chart = self.figure(fig, "rank-history", self.t("series.ranks_alt", n=len(wide)),
                            " ".join(filter(None, [self.t("series.ranks_caption", last=self.years[-1]),
                                                   self.break_note()])))
        return self.section("series_ranks", chart=chart)

    def movers_section(self) -> str:
        first, last = self.years[0], self.years[-1]
        tables = [self.movers_table(first, last)]
        if self.breaks:   # the same within the latest method version: like for like
            tables.append(self.movers_table(self.breaks[-1], last))
        note = self.t("series.movers_not_like", first=first, last=last) if self.breaks else ""
        return self.section("series_movers", tables=[x for x in tables if x], note=note)

    def movers_table(self, first: int, last: int) -> Table | None:
        m = movers(self.units, first, last)
        if not len(m):
            return None
        rows = [[self.names[r.unit_id], r.rank_first, r.rank_last, signed_int(r.places)]
                for r in m.itertuples()]
        like = self.methods[first] == self.methods[last]
        caption = self.t("series.movers_caption", first=first, last=last) + (
            "" if like else " " + self.t("series.not_like_for_like"))
        return Table(rows, [self.t("col.name"), str(first), str(last), self.t("col.rank_change")],
                     {1, 2, 3}, caption)

    def persistence(self) -> str:
        rho = self.tests[self.tests["test"] == "rank_persistence"]
        like = [self.methods[int(r.year)] == self.methods[int(r.prev_year)] for r in rho.itertuples()]
        fig = panel_charts.yearly_statistic(rho["year"].tolist(), rho["statistic"].to_numpy(),
                                            [self.methods[int(y)] for y in rho["year"]], self.breaks,
                                            self.t("series.rho_axis"), lambda v: self.num(v, 1),
                                            self.t("series.break_label"), like)
        chart = self.figure(fig, "persistence", self.t("series.persistence_alt"),
                            " ".join(filter(None, [self.t("series.persistence_caption"), self.break_note()])))
        rows = [[f"{int(r.prev_year)}→{int(r.year)}", self.num(r.statistic, 3),
                 fmt_p_value(r.p_value, self.lang), fmt_int(r.n, self.lang),
                 self.t("word.yes" if same else "word.no")]
                for r, same in zip(rho.itertuples(), like)]
        table = Table(rows, [self.t("series.col_years"), self.t("series.col_rho"), self.t("col.p_value"),
                             self.t("col.n"), self.t("series.col_like")], {1, 2, 3})
        return self.section("series_persistence", intro=self.t("series.persistence_intro"),
                            chart=chart, table=table)

    def convergence(self) -> str:
        sd = self.tests[self.tests["test"] == "sigma_sd"]
        cv = self.tests[self.tests["test"] == "sigma_cv"].set_index("year")["statistic"]
        trend = self.tests[self.tests["test"] == "sigma_trend"].dropna(subset=["statistic"])
        lines = []
        for r in trend.itertuples():
            x = np.array([y for y in self.years if r.prev_year <= y <= r.year], dtype=float)
            anchor = sd.set_index("year")["statistic"].loc[x.astype(int)]
            lines.append((x, anchor.mean() + r.statistic * (x - x.mean())))
        fig = panel_charts.yearly_statistic(sd["year"].tolist(), sd["statistic"].to_numpy(),
                                            [self.methods[int(y)] for y in sd["year"]], self.breaks,
                                            self.t("series.sd_axis"), lambda v: self.num(v, 1),
                                            self.t("series.break_label"), trends=lines)
        n = int(sd["n"].iloc[0]) if len(sd) else 0
        chart = self.figure(fig, "convergence", self.t("series.convergence_alt", n=n),
                            " ".join(filter(None, [self.t("series.convergence_caption", n=n), self.break_note()])))
        rows = [[str(int(r.year)), self.num(r.statistic), self.num(cv.get(r.year), 3), self.version_label(int(r.year))]
                for r in sd.itertuples()]
        table = Table(rows, [self.t("col.year"), self.t("col.sd"), self.t("series.col_cv"),
                             self.t("series.col_version")], {1, 2})
        trend_rows = [[self.version_label(int(r.year)), f"{int(r.prev_year)}–{int(r.year)}",
                       self.num(r.statistic, 3),
                       fmt_span(self.num(r.ci_low, 3), self.num(r.ci_high, 3), self.lang),
                       fmt_p_value(r.p_value, self.lang)] for r in trend.itertuples()]
        trends = Table(trend_rows, [self.t("series.col_version"), self.t("series.col_years"),
                                    self.t("series.col_slope"), self.t("col.ci"), self.t("col.p_value")],
                       {2, 3, 4}, self.t("series.trend_caption"))
        return self.section("series_convergence", intro=self.t("series.convergence_intro", n=n),
                            sentences=self.trend_sentences(), chart=chart, table=table, trends=trends)

    def methods_section(self) -> str:
        items = [self.t("series.methods_panel"), self.t("series.methods_persistence"),
                 self.t("series.methods_convergence")]
        seen = set()
        for year in self.years:
            method = self.ds.config.method(year)
            if method["id"] in seen:
                continue
            seen.add(method["id"])
            span = [y for y in self.years if self.methods[y] == method["id"]]
            source = self.ds.config.method_text(span[-1], "source", self.lang)
            items.append(self.t("series.methods_version", version=self.version_label(year),
                                first=span[0], last=span[-1], source=source or ""))
        return self.section("series_methods", items=items)

    def body(self) -> str:
        return "".join([self.title_page(), self.contents(), self.summary(), self.trajectories(),
                        self.ranks(), self.movers_section(), self.persistence(), self.convergence(),
                        self.methods_section()])


def publish_edition(ds: Dataset, span: tuple[int, int], lang: str, tables: dict, out: Path,
                    formats) -> None:
    """report.html and report.pdf of one edition into `out` (the charts in figures/)."""
    report = SeriesReport(ds, span, lang, tables, out)
    body = report.body()
    synthetic = bool(ds.config.synthetic)
    for fmt, for_pdf in (("html", False), ("pdf", True)):
        if fmt in formats:
            page = render("document.html.j2", lang=lang, title=report.title(), body=body,
                          css=publish.css(lang, synthetic, for_pdf),
                          meta=publish.document_meta(ds, lang, f"{span[0]}–{span[1]}"))
            if for_pdf:
                pdf.write_pdf(page, out / "report.pdf")
            else:
                (out / "report.html").write_text(page, encoding="utf-8")
