"""The publisher's part of a cover, the same for the yearly, monthly and series reports: its
name, the report number (`<report_prefix>-<period>-<LANG>`, e.g. PARINDEX-2023-VI), the logo
(a file of the dataset folder, as a data URI) and the colophon (citation, contact, licence),
all from `publisher:` in dataset.yaml, and where the period's scores were taken from
(`score_sources`); and the caution on an unusual year-on-year change with the same sources,
shared by the yearly report's changes page and the unit profiles."""
from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd

from analysis.audit.manifest import report_date
from analysis.publication.formatting import fmt_period, fmt_points, name_list
from analysis.publication.i18n import t
from analysis.stats.outliers import outlying


def logo_uri(root: Path, file) -> str:
    """The publisher's logo (a file of the dataset folder) as a data URI, or nothing."""
    if not file:
        return ""
    path = root / file
    mime = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg"}.get(path.suffix.lower())
    if mime is None or not path.is_file():
        return ""
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def report_author(ds, lang: str) -> str:
    """Who the edition is by (the PDF's and workbook's author): `publisher.prepared_by_<lang>`
    when the report is not the authority's own, else `publisher.name_<lang>`."""
    publisher = ds.config.raw.get("publisher") or {}
    return publisher.get(f"prepared_by_{lang}") or publisher.get(f"name_{lang}", "")


def chart_credit(ds, lang: str, period: str, compared: int | None = None) -> str:
    """The line under every chart, so that a chart reused on its own (a newspaper's PNG copy)
    still says whose figures it shows, of which period, whether they are the authority's own
    release (`score_sources`, with the `compared` year's; where not, whose copy they are) and
    who drew it: "Chỉ số: CECODES, VFF-CRT, RTA và UNDP, PAPI 2024. Điểm số 2023–2024 lấy từ kho
    GitHub hnks-gh/ml-mcdm (không nêu nguồn số liệu), không phải từ công bố chính thức. Biểu
    đồ: Nhóm phát triển PAR Reports." ("Nguồn:" where the scores are the authority's release.)
    Synthetic data: the synthetic banner."""
    cfg = ds.config
    if cfg.synthetic:
        return t("report.synthetic_banner", lang)
    publisher = cfg.raw.get("publisher") or {}
    index = cfg.raw.get(f"index_name_{lang}")
    when = period.replace("-", "–") if len(period) == 9 else fmt_period(period, lang)
    sources = score_sources(cfg, period, compared)
    unofficial = [year for year, source in sources.items() if not source["official"]]
    # the authority's index; its "source" only where the scores are the authority's own release
    credit = t("chart.credit_index" if unofficial else "chart.credit", lang,
               authority=publisher.get(f"name_{lang}") or cfg.title(lang), what=f"{index} {when}" if index else when)
    if unofficial:   # and where they are from: the credit must not only disown the release
        copies = dict.fromkeys(sources[year].get(f"label_{lang}") or str(year) for year in unofficial)
        credit += " " + t("chart.credit_unofficial", lang, years=year_spans(unofficial),
                          source="; ".join(copies))
    if publisher.get(f"prepared_by_{lang}"):
        credit += " " + t("chart.credit_by", lang, by=publisher[f"prepared_by_{lang}"])
    return credit


def score_sources(cfg, period: str, compared: int | None = None) -> dict[int, dict]:
    """Where each year's scores of `period` ("2023", "2025-07", "2011-2024") and of the year it
    is `compared` with (a yearly report's changes show that year's scores too) were taken from
    (`Config.score_source`), for the years that record it."""
    first, last = (int(p[:4]) for p in (period.split("-") if len(period) == 9 else [period] * 2))
    years = ([] if compared is None else [int(compared)]) + list(range(first, last + 1))
    sources = {year: cfg.score_source(year) for year in sorted(set(years))}
    return {year: source for year, source in sources.items() if source is not None}


def compared_year(tables: dict) -> int | None:
    """The year whose scores a yearly edition compares its year's with (`index_units`'
    prev_year), if any."""
    units = tables.get("index_units")
    earlier = units["prev_year"].dropna() if units is not None and "prev_year" in units else []
    return int(earlier.iloc[0]) if len(earlier) else None


def year_spans(years) -> str:
    """Years as spans: 2017, 2018, 2019, 2021 → "2017–2019, 2021"."""
    spans = []
    for year in sorted(years):
        if spans and year == spans[-1][1] + 1:
            spans[-1][1] = year
        else:
            spans.append([year, year])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)


def publisher_parts(ds, lang: str, period: str, title: str, compared: int | None = None) -> dict:
    """`name`, `number`, `logo`, `facts` (the cover's rows on who made it), `notice` and
    `colophon` (lines) of the cover of `period` ("2023", "2025-07", "2011-2024") of the
    dataset `ds` in `lang`. With `prepared_by_*` the cover and citation name the authority
    whose figures these are apart from who prepared the report (review item 1); the rows and
    the notice say where the scores of the period and of the year it is `compared` with were
    taken from (`score_sources`), and the notice which of those years are not from the
    authority's own release."""
    cfg = ds.config
    publisher = cfg.raw.get("publisher") or {}
    name = publisher.get(f"name_{lang}", "")
    prepared_by = publisher.get(f"prepared_by_{lang}", "")
    number = f'{publisher.get("report_prefix") or ds.name.upper()}-{period}-{lang.upper()}'
    if prepared_by:
        facts = [(t("cover.data_by", lang), name), (t("cover.prepared_by", lang), prepared_by)]
        citation = t("report.citation_data", lang, prepared_by=prepared_by, year=report_date().year,
                     title=title, number=number, publisher=name or cfg.title(lang))
    else:
        facts = [(t("report.publisher", lang), name)] if name else []
        citation = t("report.citation", lang, publisher=name or cfg.title(lang),
                     year=report_date().year, title=title, number=number)
    sources = score_sources(cfg, period, compared)
    labels: dict[str, list[int]] = {}
    for year, source in sources.items():
        labels.setdefault(source.get(f"label_{lang}", ""), []).append(year)
    labels.pop("", None)
    if labels:
        facts.append((t("cover.score_source", lang), "; ".join(
            label if len(labels) == 1 else f"{year_spans(years)}: {label}" for label, years in labels.items())))
    unofficial = [year for year, source in sources.items() if not source["official"]]
    notice = t("cover.unofficial", lang, years=year_spans(unofficial),
               authority=name or cfg.title(lang)) if unofficial else ""
    colophon = [citation]
    if publisher.get("contact"):
        colophon.append(t("report.contact", lang, contact=publisher["contact"]))
    if publisher.get(f"licence_{lang}"):
        colophon.append(t("report.licence", lang, licence=publisher[f"licence_{lang}"]))
    return {"name": name, "number": number, "logo": logo_uri(ds.root, publisher.get("logo")),
            "facts": facts, "notice": notice, "colophon": colophon}


def is_group(band: str) -> bool:
    """Whether a band is named as a group ("Nhóm đạt điểm cao nhất", given its Vietnamese
    label), which a unit belongs to ("thuộc"; "in the … group"), rather than a grade ("Tốt"),
    which it is rated ("được xếp loại")."""
    return band.startswith(("Nhóm ", "Group "))


WHOLE_METRICS = ("rank", "n_units", "band_count", "in_band")   # reconciled figures that are whole numbers


def reconciled_rules(ds, year: int | None, units: pd.DataFrame | None,
                     reconciliation: pd.DataFrame) -> pd.Series:
    """The reconciliation's matching rules as a reader is told them: "exact" for a whole number
    that matched (a rank, a count: nothing was rounded), and a band count's "by_construction"
    where the year's bands take the sizes the authority published (`composite.assign_bands`,
    `Config.published_band_sizes`): such a count matches the release unless tied units straddle
    a boundary, a consistency check, not an independent one."""
    imposed = (units is not None and year is not None and "score" in units
               and ds.config.published_band_sizes(year, int(units["score"].notna().sum())) is not None)
    kind = reconciliation["metric"].astype(str).str.split(":").str[0]
    matched = reconciliation["rule"].fillna("").astype(str).ne("")
    counts = kind.eq("band_count") & imposed
    return reconciliation["rule"].mask(kind.isin(WHOLE_METRICS) & matched, "exact").mask(counts, "by_construction")


def unusual_changes(units: pd.DataFrame) -> pd.DataFrame:
    """The rows of `units` (index_units) scored in both years whose change is outlying among
    those units' changes: |modified z| > 3.5 (stats.outliers; Iglewicz & Hoaglin 1993); the
    largest rise first, as the changes page lists them."""
    u = units[units["score"].notna() & units["score_prev"].notna()]
    return u[outlying(u["change"].to_numpy())].sort_values(["change", "unit_id"], ascending=[False, True],
                                                           kind="stable")


def like_for_like(units: pd.DataFrame | None) -> bool:
    """False when index_units' previous year was scored under another method version, or some
    units are compared with former units restated through the crosswalk (its `like_for_like`)."""
    like = units["like_for_like"].dropna() if units is not None and "like_for_like" in units else []
    return not len(like) or bool(like.astype(str).str.lower().eq("true").all())


def flagged_changes(units: pd.DataFrame | None) -> pd.DataFrame:
    """The rows of index_units whose change from the previous year is unusual
    (`unusual_changes`), none where the two years are not like for like: the units the key
    findings name and every table showing that change marks (the report's "*", the workbook's
    column)."""
    if units is None or "score_prev" not in units:
        return pd.DataFrame(columns=["unit_id"])
    return unusual_changes(units) if like_for_like(units) else units.iloc[:0]


def unusual_names(ds, lang: str, year: int, flagged: pd.DataFrame, name) -> str:
    """The `flagged` units (rows of `unusual_changes`), each named by `name(unit_id)` with its
    change as shown: points of the index's own scale where it has one, else percentage points."""
    own_scale = bool(ds.config.scale(year)) and "points" in flagged

    def change(r) -> str:
        if own_scale:
            return t("value.points", lang,
                     points=fmt_points(r.change * (r.max_points / 100), lang, signed=True))
        return t("value.pp", lang, points=fmt_points(r.change, lang, signed=True))

    return ", ".join(f"{name(r.unit_id)} ({change(r)})" for r in flagged.itertuples())


def outlier_caution(ds, lang: str, year: int, prev_year: int, flagged: pd.DataFrame,
                    name, reconciliation: pd.DataFrame | None = None,
                    wording: dict | None = None, without: str = "", rule_in_methods: bool = False
                    ) -> str:
    """The caution on the `flagged` units (rows of `unusual_changes`, named as `unusual_names`
    writes them; empty: no caution), and whether the two years' scores are the authority's own
    release (`score_sources`: review item 19) unless the data are synthetic; from an unofficial
    source, which of the units' `year` totals the `reconciliation` found as released.
    `wording`: the dataset's own words (`i18n.dataset_wording`: PAPI's provinces); `without`:
    the sentence on the mean change without the flagged units, said next; `rule_in_methods`:
    the rule named and referred to the report's methods, which spell it out."""
    if flagged.empty:
        return ""
    cfg = ds.config
    text = t("change.outlier_short" if rule_in_methods else "change.outlier", lang, wording,
             names=unusual_names(ds, lang, year, flagged, name),
             n=len(flagged)) + (" " + without if without else "")
    if cfg.synthetic:   # made-up figures (said on every page): no source to check against
        return text
    sources = {y: cfg.score_source(y) for y in (prev_year, year)}
    authority = (cfg.raw.get("publisher") or {}).get(f"name_{lang}") or cfg.title(lang)
    label = lambda y: sources[y].get(f"label_{lang}") or str(y)  # noqa: E731
    unofficial = [y for y, s in sources.items() if s is not None and not s["official"]]
    if unofficial:
        rec = reconciliation
        released = set() if rec is None else set(
            rec.loc[(rec["scope"] == "unit") & rec["metric"].isin(["points", "index"])
                    & rec["matches"].astype(bool), "key"])
        confirmed = [name(u) for u in flagged["unit_id"] if u in released]
        text += " " + t("change.outlier_partly_checked" if confirmed else "change.outlier_unchecked",
                        lang, authority=authority, years=year_spans(unofficial),
                        source="; ".join(dict.fromkeys(label(y) for y in unofficial)))
        if confirmed:
            text += " " + t("change.outlier_released", lang, names=name_list(confirmed, lang),
                            year=year, authority=authority)
            if prev_year in unofficial:   # one end of the change checked: not the change
                others = [name(u) for u in flagged["unit_id"] if u not in released]
                every = name_list([name(u) for u in flagged["unit_id"]], lang)
                text += " " + (t("change.outlier_both_unchecked", lang, wording, year=year,
                                 prev_year=prev_year, others=name_list(others, lang), names=every)
                               if others else
                               t("change.outlier_prev_unchecked", lang, wording, prev_year=prev_year,
                                 names=every))
        return text
    if all(s is not None for s in sources.values()):
        return text + " " + t("change.outlier_official", lang, prev_year=prev_year, year=year,
                              source="; ".join(dict.fromkeys(label(y) for y in sources)))
    return text + " " + t("change.outlier_unknown", lang)
