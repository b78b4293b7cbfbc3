"""One page per unit (`par-report run --year Y --profiles`), in the register of the authority's
own province profiles: the unit's points, rank, band and change from last year; its points and
rank over the years; its components (and sub-components where the dataset has them) against the
national mean and its region's. Under its title, as on the yearly report's cover, whose data these
are, who prepared the page and where the year's scores were taken from, with the notice when they
are not the authority's own (`cover.publisher_parts`); and, for a unit whose change is unusual
that year, the yearly report's caution for it (`cover.unusual_changes`, `cover.outlier_caution`).

Each edition gets `profiles.pdf` (every unit with a score that year, in alphabetical order of the
edition's language) and `profiles/<unit_id>.pdf` (that unit's pages of the same rendering: one
layout per edition). The history chart has only numbers as text and is drawn once for both
editions; the charts are plain SVG (`panel_charts`), which WeasyPrint draws quickly.
"""
from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd

from analysis.indices.panel import methods as year_methods
from analysis.inputs.dataset import Dataset
from analysis.publication import panel_charts, pdf, publish
from analysis.publication.cover import compared_year, outlier_caution, publisher_parts, unusual_changes
from analysis.publication.formatting import fmt_number, fmt_points, name_sort_key
from analysis.publication.i18n import dataset_wording, t
from analysis.publication.markup import render


PITCH = {"components": 11.0, "subcomponents": 8.5}   # row heights (pt) of the two bar lists


def _uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


class Profiles:
    """The profile pages of one year, for every edition (the history charts shared)."""

    def __init__(self, ds: Dataset, year: int, results: dict[str, pd.DataFrame],
                 extra: dict[str, pd.DataFrame]):
        self.ds, self.year = ds, year
        self.wording = dataset_wording(ds)
        self.units = results["index_units"].set_index("unit_id")
        self.unusual = unusual_changes(results["index_units"])
        self.reconciliation = results.get("reconciliation")
        self.compared = compared_year(results)
        self.scored = self.units[self.units["score"].notna()]
        self.n_ranked = len(self.scored)
        self.components = results["index_components"]
        self.subcomponents = results.get("index_subcomponents")
        self.history = extra["history"]
        self.means = {"components": extra["component_means"],
                      "subcomponents": extra.get("subcomponent_means")}
        self.method = ds.config.method(year)
        years = sorted(int(y) for y in self.history["year"].unique())
        self.history_years = years
        self.history_methods = year_methods(ds, years)
        self.breaks = [y for p, y in zip(years, years[1:])
                       if self.history_methods[y] != self.history_methods[p]]
        self._history: dict[str, str] = {}
        self._cover: dict[str, dict] = {}

    def t(self, key: str, lang: str, **fields) -> str:
        return t(key, lang, self.wording, **fields)

    def history_chart(self, unit_id: str) -> str:
        """The unit's points and ranks over the years (drawn once, shared by the editions)."""
        if unit_id not in self._history:
            h = self.history[self.history["unit_id"] == unit_id].set_index("year").reindex(self.history_years)
            svg = panel_charts.history_svg(
                self.history_years, h["points"].to_numpy(dtype=float),
                h["rank"].to_numpy(dtype=float), [self.history_methods[y] for y in self.history_years],
                self.breaks, self.n_ranked, lambda v: f"{v:.0f}")
            self._history[unit_id] = _uri(svg)
        return self._history[unit_id]

    def _means(self, kind: str, region: str) -> tuple[dict, dict]:
        m = self.means[kind]
        national = m[m["region"] == ""].set_index("component")["mean"].to_dict()
        regional = m[m["region"] == region].set_index("component")["mean"].to_dict()
        return national, regional

    def rows(self, unit_id: str, lang: str, kind: str) -> dict | None:
        """The components (or sub-components) of the unit as bars (percent of the axis) with
        ticks at the national and the region's means, and the value in the edition's format."""
        if kind == "components":
            specs, frame = self.method["components"], self.components
            maximum = max(float(c["max_points"]) for c in specs)
        else:
            specs, frame = self.method.get("subcomponents") or [], self.subcomponents
            if frame is None or not specs:
                return None
            maximum = float(frame["points"].max())
        national, regional = self._means(kind, self.units.at[unit_id, "region"] or "")
        mine = frame[frame["unit_id"] == unit_id].set_index("component")["points"]

        def at(value):
            return None if pd.isna(value) else round(100 * min(max(value / maximum, 0), 1), 2)
        rows = [{"label": s[f"label_{lang}"], "value": fmt_number(mine.get(s["code"]), lang),
                 "bar": at(mine.get(s["code"])), "national": at(national.get(s["code"])),
                 "region": at(regional.get(s["code"]))} for s in specs]
        pitch = PITCH[kind]
        note = "" if kind == "components" else self.t(   # parts of unequal maxima on one axis
            "profile.subcomponents_note", lang, max=fmt_number(maximum, lang)) + (
            " " + self.t("profile.no_value", lang) if any(r["bar"] is None for r in rows) else "")
        return {"rows": rows, "pitch": pitch, "note": note,
                "bars": _uri(panel_charts.bars_svg(rows, pitch))}

    def change_text(self, unit_id: str, lang: str) -> str:
        u = self.units.loc[unit_id]
        if pd.isna(u["prev_year"]):
            return self.t("profile.no_prev", lang)
        prev = int(u["prev_year"])
        if pd.isna(u["score_prev"]):
            return self.t("profile.no_prev_score", lang, prev_year=prev)
        if pd.notna(u.get("prev_from")) and u.get("prev_from") != "":   # merged: former units restated
            points = u["change"] * u["max_points"] / 100
            return self.t("profile.change_crosswalk", lang, prev_year=prev,
                     change=fmt_points(points, lang, signed=True))
        if pd.notna(u["like_for_like"]) and not bool(u["like_for_like"]):
            shared = u.get("shared_change")
            if pd.notna(shared):
                return self.t("profile.change_shared", lang, prev_year=prev,
                         change=fmt_points(shared, lang, signed=True))
            return self.t("profile.change_not_like", lang, prev_year=prev)
        places = int(u["rank_change"])
        rank = self.t("profile.rank_up" if places > 0 else "profile.rank_down" if places < 0
                 else "profile.rank_same", lang, places=abs(places))
        points = u["change"] * u["max_points"] / 100   # one version: the same maximum
        return self.t("profile.change", lang, prev_year=prev,
                 change=fmt_points(points, lang, signed=True), rank=rank)

    def cover(self, lang: str) -> dict:
        """The yearly cover's `facts` (data by, prepared by, scores taken from) and `notice`."""
        if lang not in self._cover:
            self._cover[lang] = publisher_parts(self.ds, lang, str(self.year), self.title(lang),
                                             self.compared)
        return self._cover[lang]

    def caution(self, unit_id: str, lang: str) -> str:
        """The yearly report's caution for the unit when its change is unusual, else empty."""
        flagged = self.unusual[self.unusual["unit_id"] == unit_id]
        if flagged.empty:
            return ""
        return outlier_caution(self.ds, lang, self.year, int(flagged["prev_year"].iloc[0]),
                               flagged, lambda _: self.units.loc[unit_id, f"name_{lang}"],
                               self.reconciliation, self.wording)

    def page(self, unit_id: str, lang: str) -> str:
        u = self.units.loc[unit_id]
        regions = self.ds.regions.set_index("region")[f"label_{lang}"] if self.ds.regions is not None else {}
        region = regions.get(u["region"], "") if u["region"] else ""
        scale = self.ds.config.scale(self.year)
        index_name = self.ds.config.raw.get(f"index_name_{lang}") or self.t("metric.index", lang)
        points = fmt_number(u["points"], lang)
        if scale:
            points = self.t("profile.points_of", lang, points=points, high=fmt_number(scale["max"], lang, 0))
        facts = [(self.t("profile.points", lang), points),
                 (self.t("col.rank", lang),
                  self.t("profile.rank_of", lang, rank=int(u["rank"]), n=self.n_ranked)),
                 (self.t("col.band", lang), u["band_vi"] if lang == "vi" else u["band"]),
                 (self.t("profile.change_label", lang), self.change_text(unit_id, lang))]
        return render("profile.html.j2", unit_id=unit_id, name=u[f"name_{lang}"],
                      subtitle=self.t("profile.subtitle", lang, index_name=index_name, year=self.year,
                                 region=region) if region else f"{index_name} {self.year}",
                      facts=facts, credit=self.cover(lang)["facts"],
                      notice=self.cover(lang)["notice"], caution=self.caution(unit_id, lang),
                      history_title=self.t("profile.history_title", lang, first=self.history_years[0],
                                      last=self.history_years[-1]),
                      history=self.history_chart(unit_id),
                      history_caption=self.t("profile.history_caption", lang) + (
                          " " + self.t("profile.break_note", lang) if self.breaks else ""),
                      components_title=self.t("profile.components_title", lang, year=self.year),
                      components=self.rows(unit_id, lang, "components"),
                      subcomponents_title=self.t("profile.subcomponents_title", lang, year=self.year),
                      subcomponents=self.rows(unit_id, lang, "subcomponents"),
                      legend={"unit": u[f"name_{lang}"],
                              "national": self.t("profile.legend_national", lang),
                              "region": self.t("profile.legend_region", lang, region=region)
                              if region else ""})

    def order(self, lang: str) -> list[str]:
        """Units with a score, in alphabetical order of the edition (`name_sort_key`)."""
        names = self.scored[f"name_{lang}"]
        return sorted(self.scored.index, key=lambda i: (name_sort_key(names[i], lang), i))

    def title(self, lang: str) -> str:
        return self.t("profile.book_title", lang, title=self.ds.config.title(lang), year=self.year)

    def publish(self, lang: str, out: Path) -> None:
        """profiles.pdf and profiles/<unit_id>.pdf of one edition into `out`."""
        order = self.order(lang)
        body = "".join(self.page(u, lang) for u in order)
        meta = publish.document_meta(self.ds, lang, str(self.year))
        page = render("document.html.j2", lang=lang, title=self.title(lang), body=body,
                      css=publish.css(lang, bool(self.ds.config.synthetic), True),
                      meta={**meta, "description": self.title(lang)})
        out.mkdir(parents=True, exist_ok=True)
        document = pdf.write_pdf(page, out / "profiles.pdf")
        starts = {}
        for number, p in enumerate(document.pages):
            for anchor in p.anchors:
                if anchor.startswith("profile-"):
                    starts.setdefault(anchor.removeprefix("profile-"), number)
        (out / "profiles").mkdir(exist_ok=True)
        bounds = sorted(starts.values()) + [len(document.pages)]
        for unit_id, first in starts.items():
            pages = document.pages[first:next(b for b in bounds if b > first)]
            document.copy(pages).write_pdf(out / "profiles" / f"{unit_id}.pdf", pdf_variant=pdf.PDFUA)
