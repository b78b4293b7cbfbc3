"""The publication's service-quality section (Decision 766/QĐ-TTg), mixed into `Report`.

Reads the run's `service_index` table (`analysis.indices.service_quality.service_index`): one row per
unit ranked in the period, with its previous-period figures recomputed on the same units. The
sentences follow the register of the published monthly results ("Hưng Yên xếp thứ 5/63 với
87,69 điểm, tăng 10,85 điểm so với tháng trước").
"""
from __future__ import annotations

from functools import cached_property

import pandas as pd
from IPython.display import HTML

from analysis.publication import charts
from analysis.publication.formatting import fmt_int, fmt_ordinal, fmt_period, fmt_points
from analysis.publication.markup import Table, direction, signed_int
from analysis.inputs.service_mapping import MIN_DOSSIERS, indicator_rules, service_mapping

GAINERS = 3  # units named for the largest rise in points, per group


class ServiceSections:
    """Needs of the host: ds, lang, tables, names, t(), num(), pct(), table(), figure(),
    section(); the markup is `templates/sections/service_quality.html.j2`."""

    @property
    def service(self) -> pd.DataFrame | None:
        return self.tables.get("service_index")

    @cached_property
    def _mapping(self) -> dict:
        """The dataset's checked `service_index` mapping (the default when it gives none)."""
        return service_mapping(self.ds.config.raw.get("service_index"))

    def _service_groups(self) -> list[str]:
        """The groups of the table, in the order of groups.csv (then alphabetical)."""
        present = set(self.service["group"])
        listed = list(self.ds.groups["group"]) if self.ds.groups is not None else []
        return [g for g in listed if g in present] + sorted(present - set(listed))

    def _min_dossiers(self) -> int:
        return int(self._mapping.get("min_dossiers", MIN_DOSSIERS))

    def _named(self, part: pd.DataFrame) -> pd.DataFrame:
        """The ranked units with the minimum volume of dossiers: only they are named."""
        return part[part["eligible"].astype(str).str.lower() == "true"] if "eligible" in part else part

    def _prev_word(self) -> str:
        return self.t("service.prev_month" if "-" in str(self.service["period"].iloc[0])
                      else "service.prev_year")

    # --- sentences ------------------------------------------------------------------------
    def rank_sentence(self, row) -> str:
        """'{unit} xếp thứ 5/63 với 87,69 điểm, tăng 10,85 điểm so với tháng trước.'"""
        fields = dict(unit=self.name(row["unit_id"]),
                      rank=fmt_ordinal(row["rank"], self.lang), n=int(row["n_ranked"]),
                      points=self.num(row["total"]))
        change = row["points_change"]
        if pd.isna(change):
            return self.t("finding.service_rank_no_prev", **fields)
        return self.t("finding.service_rank", **fields, direction=self.t(direction(change)),
                      change=self.num(abs(change)), prev=self._prev_word())

    def unit_profile(self, unit_id: str) -> str:
        """The unit's rates against the national rates, its rank and its rank in its region."""
        row = self.service.set_index("unit_id").loc[unit_id]
        parts = []
        for code, indicator in self._mapping["indicators"].items():
            rate, national = row.get(f"rate_{code}"), row.get(f"national_{code}")
            if rate is None or pd.isna(rate):
                continue
            label = indicator[f"label_{self.lang}"]
            label = label[0].lower() + label[1:]
            parts.append(self.t("finding.service_rate" if pd.isna(national) else
                                "finding.service_rate_national", label=label,
                                rate=self.pct(100 * rate), national=self.pct(100 * national)))
        fields = dict(unit=self.name(unit_id), rates="; ".join(parts),
                      rank=fmt_ordinal(row["rank"], self.lang), n=int(row["n_ranked"]))
        if pd.isna(row.get("rank_region")):
            return self.t("finding.service_profile", **fields)
        return self.t("finding.service_profile_region", **fields,
                      rank_region=fmt_ordinal(row["rank_region"], self.lang))

    def service_findings(self) -> list[str]:
        s = self.service
        period = fmt_period(s["period"].iloc[0], self.lang, spoken=True)
        sentences = []
        for group in self._service_groups():
            part = s[(s["group"] == group) & s["rank"].notna()].sort_values(["rank", "unit_id"])
            if part.empty:
                continue
            sentences.append(self.t("finding.service_overview", period=period, n=len(part),
                                    group=self.label(self.ds.groups, group, "group"),
                                    mean=self.num(part["national_average"].iloc[0])))
            eligible = self._named(part)
            if eligible.empty:
                continue
            # each named unit with the reason it is named: first, largest rises, last
            first, last = eligible.iloc[0], eligible.iloc[-1]
            risers = eligible[eligible["points_change"] > 0].sort_values(
                ["points_change", "unit_id"], ascending=[False, True]).head(GAINERS)
            named = [("first", first)] + [("riser", r) for _, r in risers.iterrows()
                                          if r["unit_id"] not in (first["unit_id"], last["unit_id"])]
            if len(eligible) > 1:
                named.append(("last", last))
            sentences += [self.t(f"finding.service_role_{role}", min=self._min_dossiers(),
                                 sentence=self.rank_sentence(r)) for role, r in named]
        recomputed = s[s["prev_basis"].isin(["recomputed_from_records", "weighted_aggregates"])]
        if len(recomputed):
            sentences.append(self.t("finding.service_recomputed", n=len(recomputed),
                                    prev=fmt_period(s["prev_period"].iloc[0], self.lang, spoken=True)))
        return sentences

    def service_headlines(self):
        """(figure, what it is) for the first group: its national average, the units ranked, the
        first unit with the minimum volume of dossiers (the findings name no other); the chart of the average share of each group of criteria's maximum."""
        s = self.service
        group = self._service_groups()[0]
        part = s[(s["group"] == group) & s["rank"].notna()].sort_values(["rank", "unit_id"])
        label = self.label(self.ds.groups, group, "group")
        eligible = self._named(part)  # a unit with too few dossiers is not singled out as first
        lead = eligible.iloc[0] if len(eligible) else part.iloc[0]
        first = (self.t("headline.first", unit=self.name(lead["unit_id"])) if lead["unit_id"] == part["unit_id"].iloc[0]
                 else self.t("headline.first_named", unit=self.name(lead["unit_id"]), min=self._min_dossiers()))
        headlines = [
            (self.t("value.points", points=self.num(part["national_average"].iloc[0])),
             self.t("headline.service_mean", group=label)),
            (fmt_int(len(part), self.lang), self.t("headline.service_units", group=label)),
            (self.t("value.points", points=self.num(lead["total"])), first),
            (fmt_int(s["n_received"].sum(), self.lang), self.t("headline.dossiers"))]
        ranked = s[s["rank"].notna()]
        groups = self._mapping["groups"]
        shares = [100 * ranked[f"points_{g['code']}"].mean() / g["max_points"] for g in groups]
        overall = float(ranked["total"].mean())
        # the mean of every ranked unit's total (points of 100, so a share of the maximum), said so:
        # the headlines give each group's national average
        fig = charts.group_means([g[f"label_{self.lang}"] for g in groups], shares, overall,
                                 self.t("chart.mean_all_units", mean=self.pct(overall)),
                                 self.t("col.share_of_max"), self.pct, tick_fmt=lambda v: self.pct(v, 0))
        chart = self.figure(fig, "summary-groups", self.t("chart.service_groups_alt"),
                            self.t("chart.service_groups_caption", period=fmt_period(s["period"].iloc[0], self.lang)),
                            narrow=True)
        return headlines, chart

    # --- the section ----------------------------------------------------------------------
    def service_quality(self) -> HTML:
        s = self.service
        mapping = self._mapping
        period = fmt_period(s["period"].iloc[0], self.lang, spoken=True)
        prev = fmt_period(s["prev_period"].iloc[0], self.lang, spoken=True)
        groups = [self._group_ranking(group, period) for group in self._service_groups()]
        return self.section("service_quality", intro=self.t("service.intro", period=period, prev=prev),
                            unconfirmed=not mapping.get("confirmed", False), merged=self._merged(),
                            groups=[g for g in groups if g], missing=self._missing(mapping),
                            national=self._national_rates(mapping), points=self._group_points(mapping))

    def _missing(self, mapping: dict) -> str:
        """Units without a total because an indicator has no denominator: said, never filled."""
        s = self.service
        if "missing_indicators" not in s:
            return ""
        gaps = s[s["missing_indicators"].fillna("") != ""]
        if gaps.empty:
            return ""
        labels = {c: i[f"label_{self.lang}"] for c, i in mapping["indicators"].items()}
        units = "; ".join(f"{self.name(r.unit_id)} ("
                          + ", ".join(labels.get(c, c) for c in r.missing_indicators.split(";")) + ")"
                          for r in gaps.sort_values("unit_id").itertuples())
        return self.t("service.missing", n=len(gaps), units=units)

    def _merged(self) -> dict | None:
        s = self.service
        moved = s[s["prev_basis"].isin(["recomputed_from_records", "weighted_aggregates"])]
        if moved.empty:
            return None
        prev = fmt_period(s["prev_period"].iloc[0], self.lang, spoken=True)
        text = self.t("service.recomputed", n=len(s), k=len(moved), prev=prev)
        if (moved["prev_basis"] == "weighted_aggregates").any():
            text += " " + self.t("service.weighted")
        rows = [[self.name(r.unit_id),
                 ", ".join(self.name(f) for f in str(r.prev_former_units).split(";")),
                 self.t("basis." + r.prev_basis)]
                for r in moved.sort_values("unit_id").itertuples()]
        headers = [self.t("col.new_unit"), self.t("col.former_units"), self.t("col.prev_basis")]
        return dict(text=text, table=self.table(rows, headers, caption=self.t("table.service_merged_caption")))

    def _group_ranking(self, group: str, period: str) -> dict | None:
        """One group's heading, chart, ranking table and the profiles of its first and last unit."""
        s = self.service
        part = s[(s["group"] == group) & s["rank"].notna()].sort_values(["rank", "unit_id"])
        if part.empty:
            return None
        label = self.label(self.ds.groups, group, "group")
        names = [self.name(u) for u in part["unit_id"]]
        mean = part["national_average"].iloc[0]
        fig = charts.ranked_bars(names, part["total"].to_numpy(), [charts.BAND_COLOURS[1]] * len(part),
                                 mean, self.t("chart.mean_line", mean=self.num(mean)),
                                 self.t("chart.points_axis"), lambda v: self.num(v, 0),
                                 gap_label=self.gap_label(len(part)))
        chart = self.figure(fig, f"service-{group}", self.t(
            "chart.service_alt", n=len(part), leader=names[0], last=names[-1]),
            self.t("chart.service_caption", period=period, group=label)
            + self.ends_note(len(part), "table"))
        regional = part["rank_region"].notna().any()
        intervals = "rank_low" in part and part["rank_low"].notna().any()
        rows = []
        for r in part.itertuples():
            row = [int(r.rank), self.name(r.unit_id), fmt_int(r.n_received, self.lang),
                   self.num(r.total), fmt_points(r.points_change, self.lang, signed=True),
                   signed_int(r.rank_change), fmt_points(r.vs_national_average, self.lang, signed=True)]
            if intervals:
                row.append(f"{int(r.rank_low)}–{int(r.rank_high)}")
            if regional:
                row.append("–" if pd.isna(r.rank_region) else f"{int(r.rank_region)}/{int(r.n_region)}")
            rows.append(row)
        headers = [self.t(k) for k in ("col.rank", "col.name", "col.n_received", "col.total_points",
                                       "col.points_change", "col.rank_change", "col.vs_national")]
        if intervals:
            headers.append(self.t("col.rank_range"))
        if regional:
            headers.append(self.t("col.rank_region"))
        caption = self.t("table.service_ranking_caption", group=label, period=period)
        no_region = part[part["rank_region"].isna()] if regional else part.iloc[:0]
        if len(no_region):   # say why a unit has no regional rank (a merger across regions)
            caption += ". " + self.t("service.no_region", count=fmt_int(len(no_region), self.lang),
                                     names=", ".join(self.name(u) for u in no_region["unit_id"]))
        table = self.table(rows, headers, set(range(len(headers))) - {1}, caption)
        eligible = self._named(part)
        ends = dict.fromkeys([eligible["unit_id"].iloc[0], eligible["unit_id"].iloc[-1]]) if len(eligible) else {}
        small = part[~part["unit_id"].isin(eligible["unit_id"])]
        note = "" if small.empty else self.t(
            "service.min_volume", min=self._min_dossiers(), count=len(small),
            names=", ".join(self.name(u) for u in small["unit_id"]))
        return dict(label=label, chart=chart, table=table, note=note,
                    profiles=[self.unit_profile(u) for u in ends])

    def _national_rates(self, mapping: dict) -> Table:
        s = self.service
        rows = []
        for code, indicator in mapping["indicators"].items():
            national = s[f"national_{code}"].iloc[0]
            rates = s[f"rate_{code}"].dropna()
            rows.append([indicator[f"label_{self.lang}"],
                         self.pct(100 * national) if pd.notna(national) else "–",
                         self.pct(100 * rates.min()) if len(rates) else "–",
                         self.pct(100 * rates.max()) if len(rates) else "–"])
        headers = [self.t(k) for k in ("col.indicator", "col.national_rate", "col.min", "col.max")]
        total = fmt_int(s["n_received"].sum(), self.lang)
        return self.table(rows, headers, {1, 2, 3},
                          self.t("table.service_national_caption", n=total))

    def _group_points(self, mapping: dict) -> Table:
        s = self.service[self.service["rank"].notna()]
        rows = [[g[f"label_{self.lang}"], self.maximum(g["max_points"]),
                 self.num(s[f"points_{g['code']}"].mean()),
                 self.pct(100 * s[f"points_{g['code']}"].mean() / g["max_points"])]
                for g in mapping["groups"]]
        headers = [self.t(k) for k in ("col.component", "col.max_points", "col.group_points",
                                       "col.share_of_max")]
        return self.table(rows, headers, {1, 2, 3}, self.t("table.service_groups_caption"))

    def service_methods(self) -> list[str]:
        mapping = self._mapping
        groups = ", ".join(f'{g[f"label_{self.lang}"]} ({self.num(g["max_points"], 0)})'
                           for g in mapping["groups"])
        items = [self.t("methods.service", groups=groups), self.t("methods.service_periods")]
        rules = indicator_rules(mapping)
        for code, ind in mapping["indicators"].items():
            formula = self.t("methods.service_rule_linear" if rules[code]["target"] == 1 else
                             "methods.service_rule_target", target=self.pct(100 * rules[code]["target"], 0))
            evidence = ind.get(f"rule_{self.lang}")
            items.append(self.t("methods.service_indicator", label=ind[f"label_{self.lang}"],
                                numerator=self.t(f"col.{ind['numerator']}"),
                                denominator=self.t(f"col.{ind['denominator']}"),
                                points=self.num(rules[code]["max_points"], 0 if rules[code]["max_points"] % 1 == 0 else 2),
                                formula=formula)
                         + (" " + self.t("methods.service_evidence", rule=evidence) if evidence else ""))
        items.append(self.t("methods.service_min_volume", min=self._min_dossiers()))
        if not mapping.get("confirmed", False):
            items.append(self.t("service.unconfirmed"))
        source = mapping.get(f"source_{self.lang}") or mapping.get("source", "")
        items.append(self.t("methods.source", source=" ".join(str(source).split())))
        return items
