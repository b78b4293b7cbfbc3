"""The report's words: key findings against hand-written sentences in both languages, and
every catalog key used by the sections of the real and demo datasets."""
import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

import pytest

from analysis.inputs.dataset import Config, load_dataset
from analysis.publication.i18n import load_catalog, used_keys
from analysis.publication.report import SECTIONS, Report
from analysis.indices.results import compute_results
from test_crosswalk_change import write_merged
from test_tiles_34 import write_34

ROOT = Path(__file__).resolve().parents[1]

UNITS = """unit_id,name_vi,name_en,group,region,valid_from,valid_to
A,Đơn vị An,Unit An,g,,,
B,Đơn vị Bình,Unit Binh,g,,,
C,Đơn vị Cường,Unit Cuong,g,,,
D,Đơn vị Dũng,Unit Dung,g,,,
"""
YAML = """name: tiny
title_vi: Chỉ số thử
title_en: Test index
index_name_vi: thử nghiệm
index_name_en: test index
methodology:
  components: [{code: total, label_vi: Tổng, label_en: Total, max_points: 100}]
bands:
  - {min_score: 90, label_vi: Xuất sắc, label_en: Excellent}
  - {min_score: 0, label_vi: Khá, label_en: Fair}
bootstrap: 200
seed: 1
"""
# Year 2022: 80, 82, 84, 86 (mean 83); 2023: 92.5, 85, 83, 80.5 (mean 85.25, up 2.25 points)
SCORES = {2022: {"A": 80, "B": 82, "C": 84, "D": 86}, 2023: {"A": 92.5, "B": 85, "C": 83, "D": 80.5}}


@pytest.fixture
def tiny(tmp_path):
    (tmp_path / "dataset.yaml").write_text(YAML, encoding="utf-8")
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    rows = ["year,unit_id,component,points,max_points"]
    rows += [f"{y},{u},total,{v},100" for y, s in SCORES.items() for u, v in s.items()]
    (tmp_path / "index_scores.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    ds = load_dataset(tmp_path)
    return ds, compute_results(ds, 2023)


def test_key_findings_in_vietnamese(tiny):
    ds, tables = tiny
    assert Report(ds, 2023, "vi", tables).findings() == [
        "Năm 2023, chỉ số thử nghiệm trung bình của 4 đơn vị đạt 85,25%, tăng 2,25 điểm phần trăm so với năm 2022.",
        "Đơn vị An là đơn vị dẫn đầu với kết quả 92,50%.",
        "Đơn vị Dũng là đơn vị xếp cuối với kết quả 80,50%.",
        "Chênh lệch giữa đơn vị dẫn đầu và đơn vị xếp cuối là 12,00 điểm phần trăm.",
        "1 đơn vị được xếp loại Xuất sắc.",
        "3 đơn vị được xếp loại Khá.",
    ]


def test_key_findings_in_english(tiny):
    ds, tables = tiny
    assert Report(ds, 2023, "en", tables).findings() == [
        "In 2023 the average test index of the 4 units was 85.25%, up 2.25 percentage points from 2022.",
        "Unit An ranks first with 92.50%.",
        "Unit Dung ranks last with 80.50%.",
        "The leading and the last-ranked units are 12.00 percentage points apart.",
        "Units rated Excellent: 1.",
        "Units rated Fair: 3.",
    ]


def test_a_fall_is_worded_as_down(tiny):
    ds, _ = tiny
    scores = ds.root / "index_scores.csv"
    scores.write_text(scores.read_text().replace("2023,A,total,92.5", "2023,A,total,62.5"))
    ds = load_dataset(ds.root)
    sentence = Report(ds, 2023, "vi", compute_results(ds, 2023)).findings()[0]
    assert sentence == ("Năm 2023, chỉ số thử nghiệm trung bình của 4 đơn vị đạt 77,75%, giảm 5,25 điểm "
                        "phần trăm so với năm 2022.")


@pytest.fixture
def tiny_counts(tmp_path):
    """Aggregated counts, no real change: the report's 'nothing happened' wording."""
    folder = tmp_path / "counts"
    folder.mkdir()
    (folder / "dataset.yaml").write_text(YAML, encoding="utf-8")
    (folder / "units.csv").write_text(UNITS, encoding="utf-8")
    rows = ["year,unit_id,component,points,max_points"]
    rows += [f"{y},{u},total,{v},100" for y in (2022, 2023) for u, v in SCORES[2022].items()]
    (folder / "index_scores.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    counts = ["year,unit_id,n_respondents,n_satisfied,satisfied_pct"]
    counts += [f"{y},{u},200,{170 + i}," for y in (2022, 2023) for i, u in enumerate("ABC")]
    counts += ["2022,D,,,88.5", "2023,D,,,90"]  # a published rate, sample size unknown
    (folder / "satisfaction.csv").write_text("\n".join(counts) + "\n", encoding="utf-8")
    return folder


def test_every_catalog_key_is_used(tmp_path, tiny_counts):
    all_counts = tmp_path / "all_counts"   # every sample size known: a pooled, untestable-free run
    shutil.copytree(tiny_counts, all_counts)
    sat = all_counts / "satisfaction.csv"
    sat.write_text(sat.read_text().replace("2022,D,,,88.5", "2022,D,200,177,").replace(
        "2023,D,,,90", "2023,D,200,180,"), encoding="utf-8")
    only = []   # satisfaction-only editions of both: findings and methods without an index
    for source in (tiny_counts, all_counts):
        shutil.copytree(source, tmp_path / f"{source.name}-only")
        for name in ("index_scores.csv", "published.csv"):
            (tmp_path / f"{source.name}-only" / name).unlink(missing_ok=True)
        only.append((tmp_path / f"{source.name}-only", 2023))
    first = tmp_path / "first-year-only"   # one year, counts known: the pooled-rate finding
    shutil.copytree(tmp_path / "all_counts-only", first)
    lines = (first / "satisfaction.csv").read_text(encoding="utf-8").splitlines()
    (first / "satisfaction.csv").write_text("\n".join(
        [lines[0], *(row for row in lines[1:] if row.startswith("2023,"))]) + "\n", encoding="utf-8")
    only.append((first, 2023))
    datasets = [*only, (tiny_counts, 2023), (all_counts, 2023), (ROOT / "data" / "papi-provinces", 2016), (ROOT / "data" / "papi-provinces", 2014),
                (ROOT / "data" / "papi-provinces", 2018), (ROOT / "data" / "papi-provinces", 2024),
                (ROOT / "data" / "par-ministries", 2023),
                (write_merged(tmp_path / "merged"), 2025),   # a year compared through the crosswalk
                (write_34(tmp_path / "tiles34"), 2025)]   # the 34 provinces: gone units' tiles outlined
    demo = ROOT / "data" / "demo-mps"
    if demo.is_dir():  # 2025 vs 2024 is not like-for-like (no verdict), 2024 vs 2023 is;
        datasets += [(demo, 2025), (demo, 2024)]   # 2024: paper and digital (channel_gap)
    from analysis.publication import publish
    from analysis.publication import xlsx
    for folder, year in datasets:
        ds = load_dataset(folder)
        tables = compute_results(ds, year)
        if "funnel" in tables:  # more flagged units than a page lists: the longest-rows note
            many = tables["funnel"].assign(outside_adj="below")
            Report(ds, year, "vi", {**tables, "funnel": many}).render("funnel")
            Report(ds, year, "en", {**tables, "funnel": many}).render("funnel")
        if ds.name == "demo-mps" and year == 2024:   # a graded band's count and a unit's place in it
            band = ds.config.bands[1]["label_en"]     # reconciled ("xếp loại Tốt")
            unit = str(tables["index_units"]["unit_id"].iloc[0])
            tables["reconciliation"] = pd.DataFrame([{
                "scope": scope, "key": key, "metric": f"{kind}:{band}", "published": 1.0,
                "computed": 1.0, "difference": 0.0, "matches": True, "source": "", "note": "",
                "rule": "round"} for scope, key, kind in (("all", "", "band_count"), ("unit", unit, "in_band"))])
        if (ds.name, year) == ("papi-provinces", 2016):   # a figure matched by truncation
            tables["reconciliation"].loc[0, "rule"] = "truncate"
        if (ds.name, year) == ("par-ministries", 2023):  # two groups on an own scale: both means
            groups = tables["index_groups"]
            two = pd.concat([groups, groups[groups["scope"] == "group"].assign(key="other")])
            Report(ds, year, "vi", {**tables, "index_groups": two}).render("groups")
            Report(ds, year, "en", {**tables, "index_groups": two}).render("groups")
        if (ds.name, year) == ("papi-provinces", 2024):   # an outlying change of unrecorded source
            unrecorded = dataclasses.replace(ds, config=Config({**ds.config.raw, "score_sources": None}))
            Report(unrecorded, year, "vi", tables).render("change")
            Report(unrecorded, year, "en", tables).render("change")
            units = tables["index_units"].copy()   # more new units than a note names: "and 8 others"
            units.loc[units.index[:12], ["score_prev", "change", "rank_change"]] = float("nan")
            rec = tables["reconciliation"]   # one figure that does not reconcile: a draft, in the singular
            one = rec.assign(matches=[False] + [True] * (len(rec) - 1))
            for lang in ("vi", "en"):
                Report(ds, year, lang, {**tables, "index_units": units}).render("ranking")
                Report(ds, year, lang, {**tables, "reconciliation": one}).title_page()
        for lang in ("vi", "en"):
            report = Report(ds, year, lang, tables)
            report.title_page(), report.contents()
            for section in SECTIONS:
                report.render(section)
            publish.css(lang, True, True, draft=True), publish.document_meta(ds, lang, str(year))
            xlsx.write_workbook(tables, ds, str(year), lang, tmp_path / f"{ds.name}-{lang}.xlsx", year)
    dossiers = load_dataset(ROOT / "data" / "demo-dossiers")
    for period in ("2025-07", "2025"):
        tables = compute_results(dossiers, int(period[:4]), period=period)
        for variant in (tables, rare_service_cases(tables)):
            for lang in ("vi", "en"):
                report = Report(dossiers, int(period[:4]), lang, variant, period=period)
                report.title_page(), report.contents()
                for section in SECTIONS:
                    report.render(section)
                xlsx.write_workbook(variant, dossiers, period, lang, tmp_path / f"d-{lang}.xlsx")
    series_and_profiles_of_papi()
    from analysis.indices.panel import profile_tables
    from analysis.publication.unit_profiles import Profiles
    merged = load_dataset(tmp_path / "merged")   # a merged unit's profile
    book = Profiles(merged, 2025, compute_results(merged, 2025), profile_tables(merged, 2025))
    for lang in ("vi", "en"):
        for unit_id in book.scored.index:
            book.page(unit_id, lang)
    unused = sorted(set(load_catalog()) - used_keys())
    assert unused == []


def series_and_profiles_of_papi():
    """The series report across the 2018 break and within one version, and the profile pages
    of a first year, of a year across the break (and without shared components) and of 2024."""
    from analysis.indices.panel import panel_tables, profile_tables
    from analysis.publication.series import SeriesReport
    from analysis.publication.unit_profiles import Profiles
    papi = load_dataset(ROOT / "data" / "papi-provinces")
    for span in ((2011, 2024), (2011, 2017)):
        tables = panel_tables(papi, *span)
        for lang in ("vi", "en"):
            SeriesReport(papi, span, lang, tables).body()
    for year in (2011, 2018, 2024):
        book = Profiles(papi, year, compute_results(papi, year), profile_tables(papi, year))
        if year == 2018:
            book.units.loc[book.units.index[0], "shared_change"] = float("nan")
        for lang in ("vi", "en"):
            book.title(lang)
            for unit_id in book.scored.index:
                book.page(unit_id, lang)


def rare_service_cases(tables):
    """The demo's service tables with the cases it lacks: no previous figure, a previous figure
    apportioned by weight, no national rate, a unit without region, a rejected dossier of each
    reason, a published figure that does not reconcile."""
    from analysis.indices.service_quality import REASONS
    s = tables["service_index"].copy()
    s.loc[0, ["points_change", "rank_change"]] = float("nan")
    s.loc[1, "prev_basis"] = "weighted_aggregates"
    s["national_online_payment"] = float("nan")
    s.loc[s["rank"] == 1, ["rank_region", "n_region"]] = pd.NA
    s.loc[2, "missing_indicators"] = "online_payment"  # an indicator without a denominator
    rejected = pd.DataFrame({"file": "dossiers.csv", "row": range(2, 2 + len(REASONS)),
                             "year": 2025, "unit_id": "01", "ballot_id": "", "channel": "",
                             "reason": list(REASONS)})
    unreconciled = pd.DataFrame({"scope": ["unit", "unit"], "key": ["01", "01"], "metric": ["points", "rank"],
                                 "published": [50.0, 1.0], "computed": [49.0, 2.0], "difference": [-1.0, 1.0],
                                 "matches": [False, False], "source": ["", ""], "note": ["", ""],
                                 "rule": ["", ""]})  # a draft: two figures that do not reconcile
    return {**tables, "service_index": s, "rejected": rejected, "reconciliation": unreconciled}


def test_unknown_sample_size_gives_no_test_and_says_so(tiny_counts):
    ds = load_dataset(tiny_counts)
    tables = compute_results(ds, 2023)
    yoy = tables["satisfaction_yoy"].set_index("unit_id")
    assert yoy.at["D", "diff"] == pytest.approx(0.015)
    assert np.isnan(yoy.at["D", "p_value"]) and np.isnan(yoy.at["D", "ci_low"])
    assert not yoy.at["D", "significant"]
    assert np.isnan(yoy.at["", "p"])  # no pooled rate when a unit's sample size is unknown
    html = Report(ds, 2023, "en", tables).render("satisfaction").data
    assert "No test is possible for the change at Unit Dung" in html
    html = Report(ds, 2023, "vi", tables).render("satisfaction").data
    assert "Không thể kiểm định mức thay đổi của Đơn vị Dũng" in html


def test_papi_regions_and_components_are_in_points_on_papis_own_scale():
    """PAPI publishes points (6–60 in 2016), never percents: the regions table gives each
    region's mean, lowest and highest total in points, recomputed here from the dimension scores
    (total = the sum of the six dimensions, PAPI 2016 report); the Mekong Delta's highest is Cần
    Thơ's published 39.57. The components table gives each dimension's mean in points of 10."""
    import re

    ds = load_dataset(ROOT / "data" / "papi-provinces")
    scores = pd.read_csv(ROOT / "data" / "papi-provinces" / "index_scores.csv", dtype={"unit_id": str})
    units = pd.read_csv(ROOT / "data" / "papi-provinces" / "units.csv", dtype={"unit_id": str})
    year = scores[scores["year"] == 2016]
    totals = year.groupby("unit_id")["points"].sum().rename("total").reset_index().merge(units, on="unit_id")
    mekong = totals[totals["region"] == "mekong_delta"]["total"]
    assert round(mekong.max(), 2) == 39.57
    report = Report(ds, 2016, "vi", compute_results(ds, 2016))
    page = report.render("regions").data
    row = re.search(r"<tr>\s*<t[hd][^>]*>Đồng bằng sông Cửu Long</t[hd]>(.*?)</tr>", page, re.S).group(1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    assert cells[1:4] == [f"{mekong.mean():.2f}".replace(".", ","), f"{mekong.min():.2f}".replace(".", ","),
                          "39,57"], cells
    words = re.sub(r"<[^>]+>", "", page)   # the headers' ranges sit in nowrap spans
    assert "Chỉ số (%)" not in words
    # the scale named once, over the three columns in its points
    head = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    group = re.search(r'<th scope="colgroup" colspan="3" class="group">(.*?)</th>', head).group(1)
    assert re.sub(r"<[^>]+>", "", group) == "Điểm PAPI (6–60)"
    under = [re.sub(r"<[^>]+>", "", h).replace("\u00a0", " ")   # no-break spaces as spaces
             for h in re.findall(r"<th[^>]*>(.*?)</th>", head.split("</tr>")[1])]
    assert under == ["Trung bình", "Thấp nhất", "Cao nhất"]
    components = report.render("components").data
    participation = year[year["component"] == "participation"]["points"]
    assert f"<td class=\"num\">{participation.mean():.2f}".replace(".", ",") in components.replace("\n", "")
    assert "Trung bình (điểm)" in components.replace("\u00a0", " ")


def test_pdf_readers_are_sent_to_workbook_sheets_and_whole_statistics_print_whole():
    """A PDF reader has the workbook, not the run's tables/ folder: a full list is named by its
    sheet; and the Wilcoxon rank sum of PAPI 2016 prints as a whole number (689, not 689,000)."""
    import re

    ds = load_dataset(ROOT / "data" / "papi-provinces")
    tables = compute_results(ds, 2016)
    for lang, sheet in (("vi", "trang tính “Độ nhạy của thứ hạng” của tệp Excel"),
                        ("en", "the “Rank sensitivity” sheet of the Excel workbook")):
        report = Report(ds, 2016, lang, tables)
        page = "".join(report.render(s).data for s in SECTIONS)
        text = re.sub(r"<[^>]+>", " ", re.sub(r"<img[^>]*>", "", page))
        assert sheet in text and "tables/" not in text, lang
    wilcoxon = tables["tests"].query("test == 'wilcoxon_signed_rank' and metric == 'index'")["statistic"].iloc[0]
    assert float(wilcoxon).is_integer()
    page = Report(ds, 2016, "vi", tables).render("change").data
    assert f">{int(wilcoxon)}<" in page.replace(" ", "") and f"{int(wilcoxon)},000" not in page


def test_components_heat_map_draws_only_the_units_scored_that_year(monkeypatch):
    """PAPI 2024's scores list 63 provinces, two of them (Vĩnh Phúc, Tiền Giang) without points:
    the heat map of the components shows the 61 scored (top and bottom ten, "41 other units"
    between), no empty rows (counted here from data/papi-provinces/index_scores.csv)."""
    from analysis.publication import charts

    scores = pd.read_csv(ROOT / "data" / "papi-provinces" / "index_scores.csv", dtype={"unit_id": str})
    year = scores[scores["year"] == 2024]
    scored = year[year["points"].notna()]["unit_id"].nunique()
    assert (scored, year["unit_id"].nunique()) == (61, 63)
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    drawn = {}
    heat_map = charts.heat_map

    def spy(rows, *args, **kwargs):
        drawn["rows"], drawn["values"], drawn["gap"] = rows, args[1], kwargs["gap_label"]
        return heat_map(rows, *args, **kwargs)
    monkeypatch.setattr(charts, "heat_map", spy)
    Report(ds, 2024, "vi", compute_results(ds, 2024)).render("components")
    assert len(drawn["rows"]) == scored and not np.isnan(drawn["values"]).all(axis=1).any()
    assert drawn["gap"] == f"⋮ {scored - 20} địa phương khác"   # PAPI's word (unit_words)


def test_change_chart_colours_the_units_its_table_lists(monkeypatch):
    """The slope chart of the change colours the largest rises and falls, and the table under
    it lists the same units (PAPI 2024 against 2023: five each way), the unusual changes marked
    "*" in both (the table's caption, under the chart, says what the mark means)."""
    import re

    from analysis.publication import charts

    ds = load_dataset(ROOT / "data" / "papi-provinces")
    drawn = {}
    slope = charts.slope

    def spy(labels, before, after, years, axis, fmt, marked, **kwargs):
        drawn["marked"] = [name for name, m in zip(labels, marked) if m]
        return slope(labels, before, after, years, axis, fmt, marked, **kwargs)
    monkeypatch.setattr(charts, "slope", spy)
    page = Report(ds, 2024, "vi", compute_results(ds, 2024)).render("change").data
    start = page.index("Các địa phương tăng và giảm nhiều nhất")
    movers = page[start:page.index("</table>", start)]
    listed = re.findall(r"<tr><td>([^<]+)</td>", movers)
    # the three unusual changes (Tây Ninh, Bình Thuận, Cà Mau) carry the caution's mark
    assert sorted(n for n in listed if n.endswith(" *")) == ["Bình Thuận *", "Cà Mau *", "Tây Ninh *"]
    # the chart names them with the same mark
    assert len(drawn["marked"]) == 10 and sorted(listed) == sorted(drawn["marked"])
    assert "(* thay đổi bất thường: xem lưu ý ở trên)" in page   # said under the chart, over the table


def test_sobol_weights_are_named_as_weights_and_the_tile_legend_is_capitalised():
    """The Sobol table names a weight "Trọng số: <component>" (as the workbook does), not the
    bare component; the tile map's legend entry for units without a score is capitalised like
    the bands beside it."""
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    report = Report(ds, 2024, "vi", compute_results(ds, 2024))
    page = report.render("sensitivity").data
    assert "<td>Trọng số: Tham gia của người dân ở cấp cơ sở</td>" in page
    assert "<td>Tham gia của người dân ở cấp cơ sở</td>" not in page
    import base64
    svg = base64.b64decode(report.tile_map().src.partition(",")[2]).decode("utf-8")
    assert "Không có số liệu" in svg and "không có số liệu" not in svg


def test_the_change_in_the_headline_names_the_units_it_is_of():
    """PAPI 2024 has 61 scored provinces, 2023 another 61, and 59 in both: the headline gives the
    mean of the 61 and the mean change of the 59, saying so (recomputed here from the totals in
    data/papi-provinces/index_scores.csv, the sum of the eight dimensions)."""
    scores = pd.read_csv(ROOT / "data" / "papi-provinces" / "index_scores.csv", dtype={"unit_id": str})
    totals = scores[scores["points"].notna()].groupby(["year", "unit_id"])["points"].sum().unstack(0)
    both = totals[[2023, 2024]].dropna()
    change = (both[2024] - both[2023]).mean()
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    report = Report(ds, 2024, "vi", compute_results(ds, 2024))
    comma = lambda v, d=2: f"{v:.{d}f}".replace(".", ",")   # noqa: E731 (Vietnamese decimal comma)
    # the mean change is the paired t test's effect: in points, two decimals as the index's
    # own (43,43 điểm), in the sentence and in the tests table alike (0,88)
    assert report.findings()[0].startswith(
        f"Năm 2024, chỉ số PAPI trung bình của 61 địa phương đạt {comma(totals[2024].mean())} điểm; "
        f"điểm của {len(both)} địa phương có số liệu cả hai năm 2023 và 2024 tăng bình quân {comma(change)} điểm")
    assert f'<td class="num">{comma(change)}</td>' in report.render("change").data


def test_methods_and_notes_describe_only_what_the_edition_shows():
    """PAPI (scores, no ballots) is told its score is the sum of its dimensions, and is not told
    of satisfaction intervals, heterogeneity or a units-fixed interval it does not show; the
    demo ministry's edition (satisfaction ballots) still is."""
    papi = load_dataset(ROOT / "data" / "papi-provinces")
    report = Report(papi, 2024, "en", compute_results(papi, 2024))
    import re
    methods, gaps = (re.sub(r"<[^>]+>", "", report.render(s).data) for s in ("methods", "gaps"))  # as read
    assert "score = the sum of its dimensions" in methods
    assert "100 × points achieved ÷ maximum points" not in methods
    for shown_elsewhere in ("Cochran", "Beta(x", "minimum sample"):
        assert shown_elsewhere not in methods
    assert "units-fixed interval" not in gaps
    mps = load_dataset(ROOT / "data" / "demo-mps")
    report = Report(mps, 2025, "en", compute_results(mps, 2025))
    assert "Cochran" in report.render("methods").data
    assert "units-fixed interval" in re.sub(r"<[^>]+>", "", report.render("gaps").data)


def test_papi_gap_and_spread_are_in_points_of_its_own_scale():
    """PAPI is published in points (8–80 from 2018), so the gap section and the change's tests
    speak points too (the tables keep percent of the maximum): recomputed here from the dimension
    totals of data/papi-provinces/index_scores.csv — k = ⌈25% × 61⌉ = 16, the gap the mean of the
    top 16 totals minus that of the bottom 16; the spread the sample SD (n − 1) of the 59
    provinces scored in 2023 and 2024."""
    import math

    scores = pd.read_csv(ROOT / "data" / "papi-provinces" / "index_scores.csv", dtype={"unit_id": str})
    totals = scores[scores["points"].notna()].groupby(["year", "unit_id"])["points"].sum().unstack(0)
    now = totals[2024].dropna().sort_values(ascending=False)
    k = math.ceil(0.25 * len(now))
    top, bottom = now.head(k).mean(), now.tail(k).mean()
    both = totals[[2023, 2024]].dropna()
    comma = lambda v, d=2: f"{v:.{d}f}".replace(".", ",")   # noqa: E731
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    report = Report(ds, 2024, "vi", compute_results(ds, 2024))
    gaps = report.render("gaps").data
    assert f"{k} địa phương xếp cuối là {comma(top - bottom)} điểm (" in gaps
    assert f'<td class="num">{comma(top)}</td><td class="num">{comma(bottom)}</td>' in gaps
    change = report.render("change").data
    # points with two decimals, in the sentence and the tables alike; a ratio with three
    assert f"từ {comma(both[2023].std())} thành {comma(both[2024].std())} điểm" in change
    assert (f'<td>Độ lệch chuẩn</td><td class="num">{comma(both[2023].std())}</td>'
            f'<td class="num">{comma(both[2024].std())}</td>') in change   # the spread table
    assert f'<td class="num">{comma((both[2024] - both[2023]).mean())}</td>' in change   # paired t
    assert f'<td class="num">{comma((both[2024] - both[2023]).median())}</td>' in change   # Wilcoxon
    assert f'<td class="num">{comma(both[2024].std() / both[2023].std(), 3)}</td>' in change  # P–M
    # Pitman–Morgan: the SDs differ iff corr(x + y, x − y) ≠ 0 (Pitman 1939), Pearson's test on r;
    # here p ≈ 0.46, so the sentence gives no direction and says the change is not significant
    from scipy import stats
    p = stats.pearsonr(both[2024] + both[2023], both[2024] - both[2023]).pvalue
    assert p > 0.05
    sigma = next(s for s in change.split("</p>") if "Hội tụ sigma" in s)
    assert "một thay đổi không có ý nghĩa thống kê" in sigma and "(giảm)" not in sigma
    assert f"p = {comma(p, 3)}" in sigma


@pytest.mark.parametrize(("lang", "tests", "spread", "not_tests"), [
    ("en", ["Paired t test", "Wilcoxon signed-rank test", "Pitman–Morgan test", "Beta-convergence"],
     ["Standard deviation", "Interquartile range", "Coefficient of variation"],
     "descriptive measures, not tests, so no p-value"),
    ("vi", ["Kiểm định t ghép cặp", "Kiểm định hạng có dấu Wilcoxon", "Kiểm định Pitman–Morgan", "Hội tụ beta"],
     ["Độ lệch chuẩn", "Khoảng tứ phân vị", "Hệ số biến thiên"],
     "đây là thước đo mô tả, không phải kiểm định, nên không có giá trị p")])
def test_measures_of_spread_are_apart_from_the_tests(lang, tests, spread, not_tests):
    """The change's tests table held SD, IQR and CV rows with an empty p-value among the tests:
    now the tests (each with a p-value) are one table and the measures of spread another, with
    the previous year's value, this year's and the change, no p-value column, and a caption
    saying they are not tests. PAPI 2024: the 2023 and 2024 SDs of the 59 provinces in both
    years, recomputed from index_scores.csv (n − 1), in points."""
    import re

    scores = pd.read_csv(ROOT / "data" / "papi-provinces" / "index_scores.csv", dtype={"unit_id": str})
    totals = scores[scores["points"].notna()].groupby(["year", "unit_id"])["points"].sum().unstack(0)
    both = totals[[2023, 2024]].dropna()
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    page = Report(ds, 2024, lang, compute_results(ds, 2024)).render("change").data
    found = re.findall(r"<caption>(.*?)</caption>\s*<thead>(.*?)</thead>\s*<tbody>(.*?)</tbody>", page, re.S)
    first = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<tr><td>(.*?)</td>", found[1][2])]
    assert [f.split(" (")[0] for f in first] == tests
    (caption, head, body), = [f for f in found if not_tests in f[0]]
    assert not {"p-value", "giá trị p"} & {t.lower() for t in re.findall(r"<th[^>]*>(.*?)</th>",
                                                                          re.sub(r"</?span[^>]*>", "", head))}
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)]
    assert [c[0] for c in cells] == spread
    number = (lambda v: f"{v:.2f}") if lang == "en" else (lambda v: f"{v:.2f}".replace(".", ","))
    assert cells[0][1:3] == [number(both[2023].std()), number(both[2024].std())]   # points: 2
    assert ("8–80" in caption) and found.index((caption, head, body)) == 2


def test_ranking_notes_say_what_its_cells_cannot():
    """PAPI 2024's ranking: provinces whose totals print alike (two decimals) but rank apart are
    named, as are those without a 2023 score (their "–"), and the rank change is said to compare
    two different sets of provinces — all recomputed from index_scores.csv; the chart's own
    legend shows only the bands of the bars drawn (the top and bottom ten: the highest and the
    lowest quartile)."""
    import re

    scores = pd.read_csv(ROOT / "data" / "papi-provinces" / "index_scores.csv", dtype={"unit_id": str})
    totals = scores[scores["points"].notna()].groupby(["year", "unit_id"])["points"].sum().unstack(0)
    now = totals[2024].dropna().sort_values(ascending=False, kind="stable")
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    names = ds.units.drop_duplicates("unit_id").set_index("unit_id")["name_vi"]
    printed = now.map(lambda v: f"{v:.2f}")
    alike = {(names[a], names[b]) for a, b in zip(now.index[:-1], now.index[1:])
             if printed[a] == printed[b] and now[a] != now[b]}
    new = sorted(names[i] for i in now.index if pd.isna(totals.at[i, 2023]))
    page = Report(ds, 2024, "vi", compute_results(ds, 2024)).render("ranking").data
    notes = " ".join(re.findall(r'<p class="note">(.*?)</p>', page, re.S))
    assert len(alike) == 3 and all(f"{a} – {b}" in notes or f"{b} – {a}" in notes for a, b in alike)
    # totals that print apart whose shares of the 80-point maximum print alike (the reviewer's
    # Khánh Hòa 43,81 and Quảng Bình 43,80, both 54,76 %)
    shares = (now / 80 * 100).map(lambda v: f"{v:.2f}".replace(".", ","))
    apart = [(names[a], names[b], shares[a]) for a, b in zip(now.index[:-1], now.index[1:])
             if shares[a] == shares[b] and printed[a] != printed[b]]
    assert ("Khánh Hòa", "Quảng Bình", "54,76") in apart
    assert all(f"{a} – {b} ({share}%)" in notes for a, b, share in apart)
    assert new == ["Bình Dương", "Quảng Ninh"] and all(n in notes for n in new)
    assert "hai danh sách địa phương không hoàn toàn trùng nhau" in notes
    # which units each year's ranks hold that the other's do not, each way, in rank order
    gone = totals[2023].dropna().drop(now.index, errors="ignore").sort_values(ascending=False)
    assert sorted(names[i] for i in gone.index) == ["Tiền Giang", "Vĩnh Phúc"]
    first_new = [names[i] for i in now.index if pd.isna(totals.at[i, 2023])]
    assert (f"thứ hạng năm 2023 có cả {names[gone.index[0]]} và {names[gone.index[1]]}, không có điểm "
            f"năm 2024; thứ hạng năm 2024 có cả {first_new[0]} và {first_new[1]}, không có điểm năm 2023"
            in notes)
    import base64   # the legend is in the figure (it is reused alone): the two bands drawn only
    svg = base64.b64decode(re.search(r"data:image/svg\+xml;base64,([^\"]+)", page).group(1)).decode()
    assert "Nhóm đạt điểm cao nhất" in svg and "Nhóm đạt điểm thấp nhất" in svg
    assert "Nhóm đạt điểm trung bình" not in svg
    assert "Chú giải chỉ nêu các nhóm xếp loại có trong biểu đồ." in page   # and the caption says so


def test_regions_table_names_the_provinces_it_leaves_out():
    """The regions' counts and means are of the scored provinces; the two PAPI 2024 provinces
    without a score (blank in index_scores.csv) are named under the table with their region."""
    import re

    scores = pd.read_csv(ROOT / "data" / "papi-provinces" / "index_scores.csv", dtype={"unit_id": str})
    year = scores[scores["year"] == 2024]
    blank = set(year.groupby("unit_id")["points"].apply(lambda p: p.isna().all()).loc[lambda b: b].index)
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    names = ds.units.drop_duplicates("unit_id").set_index("unit_id")["name_vi"]
    page = Report(ds, 2024, "vi", compute_results(ds, 2024)).render("regions").data
    note = re.search(r'<p class="note">(.*?)</p>', page, re.S).group(1)
    assert blank == {"26", "82"} and all(names[i] in note for i in blank)


def test_a_scale_in_a_column_header_is_not_broken_after_its_dash():
    """PAPI's "Điểm PAPI (8–80)" heads narrow columns: the range is kept on one line (a
    nowrap span), the header still breaks between its words, and its text is unchanged."""
    import re

    ds = load_dataset(ROOT / "data" / "papi-provinces")
    page = Report(ds, 2024, "vi", compute_results(ds, 2024)).render("ranking").data
    header = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    assert 'Điểm PAPI <span class="nowrap">(8–80)</span>' in header
    assert "Điểm PAPI (8–80)" in re.sub(r"<[^>]+>", "", header)
    # nor "p-value" after its hyphen (the English tests table read "p-" / "value")
    tests = Report(ds, 2024, "en", compute_results(ds, 2024)).render("change").data
    header = next(h for h in re.findall(r"<thead>(.*?)</thead>", tests, re.S) if "Statistic" in h)
    assert '<span class="nowrap">p-value</span>' in header


def test_change_chart_caption_says_which_units_it_draws_and_what_its_colours_mean():
    """PAPI 2024: the changes chart draws the provinces scored in 2023 and 2024 (59 of the 61
    scored in 2024); its caption names the two scored in 2024 only (Quảng Ninh, ranked first, and
    Bình Dương) and says blue is a rise and vermilion a fall, as the chart colours the named
    units (each label's colour checked against the 2023 and 2024 totals of index_scores.csv)."""
    import base64
    import re

    scores = pd.read_csv(ROOT / "data" / "papi-provinces" / "index_scores.csv", dtype={"unit_id": str})
    totals = scores[scores["points"].notna()].groupby(["year", "unit_id"])["points"].sum().unstack(0)
    both = totals[[2023, 2024]].dropna()
    only_now = totals[2024].dropna().drop(both.index).sort_values(ascending=False)
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    tables = compute_results(ds, 2024)
    for lang, blue, vermilion in (("vi", "xanh lam là tăng", "đỏ cam là giảm"),
                                  ("en", "blue where the index rose", "vermilion where it fell")):
        names = ds.units.drop_duplicates("unit_id").set_index("unit_id")[f"name_{lang}"]
        page = Report(ds, 2024, lang, tables).render("change").data
        caption = re.sub(r"<[^>]+>", "", re.search(r"<figcaption>(.*?)</figcaption>", page, re.S).group(1))
        missing = f"{names[only_now.index[0]]} {'và' if lang == 'vi' else 'and'} {names[only_now.index[1]]}"
        if lang == "vi":
            assert (f"Các địa phương có số liệu cả năm 2023 và năm 2024 ({len(both)} trong {totals[2024].count()} "
                    f"địa phương có điểm năm 2024); không thể hiện {missing} vì không có số liệu năm 2023.") in caption
        else:
            assert (f"The provinces with scores in both 2023 and 2024 ({len(both)} of the {totals[2024].count()} "
                    f"scored in 2024); {missing}, with no 2023 score, are not drawn.") in caption
        assert blue in caption and vermilion in caption
        svg = base64.b64decode(re.search(r"data:image/svg\+xml;base64,([^\"]+)", page).group(1)).decode()
        labels = [(colour, name.removesuffix(" *"))   # the unusual changes' mark
                  for colour, name in re.findall(r"fill: (#[0-9a-f]{6})\"[^>]*>([^<(]+) \(", svg)]
        by_name = {names[i]: i for i in both.index}
        assert len(labels) == 10 and not {names[i] for i in only_now.index} & {n for _, n in labels}
        for colour, name in labels:
            rose = both.at[by_name[name], 2024] > both.at[by_name[name], 2023]
            assert colour == ("#0072b2" if rose else "#d55e00"), (lang, name)


def test_widest_rank_ranges_list_every_unit_tied_at_the_cut():
    """Twelve units' rank ranges (5th–95th percentile) of widths 11, 10, 9, 9, 9, 8, 8, 7, 7, 7,
    7, 7 and two narrower: the tenth widest is 7 places, and so are the eleventh and twelfth, so
    all twelve are listed (widest first, then by nominal rank) under a caption saying "7 or
    more places"; the two narrower are not. And in PAPI 2024 Bắc Kạn (17–24) and Đà Nẵng
    (33–40), 7 places like the last ones listed, are listed (review 4, item 2)."""
    import re

    ds = load_dataset(ROOT / "data" / "papi-provinces")
    tables = compute_results(ds, 2024)
    ids = tables["sensitivity"]["unit_id"].head(14).tolist()
    widths = [11, 10, 9, 9, 9, 8, 8, 7, 7, 7, 7, 7, 3, 2]
    nominal = [14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]   # the ties come last by width
    s = pd.DataFrame({"unit_id": ids, "name_vi": "", "name_en": "", "year": 2024, "rank_nominal": nominal,
                      "rank_median": nominal, "rank_p05": [20] * 14,
                      "rank_p95": [20 + w for w in widths], "max_shift": widths})
    # by hand: width 11, 10, then the 9s by nominal rank (10, 11, 12), the 8s (8, 9), the 7s (3–7)
    expected = [ids[0], ids[1], ids[4], ids[3], ids[2], ids[6], ids[5], *(ids[i] for i in (11, 10, 9, 8, 7))]
    for lang, caption in (("vi", "12 địa phương có khoảng xếp hạng rộng từ 7 bậc trở lên"),
                          ("en", "The 12 provinces whose rank range spans 7 or more places")):
        names = ds.units.drop_duplicates("unit_id").set_index("unit_id")[f"name_{lang}"]
        page = Report(ds, 2024, lang, {**tables, "sensitivity": s}).render("sensitivity").data
        start = page.index(caption)
        listed = re.findall(r"<tr><td>([^<]+)</td>", page[start:page.index("</table>", start)])
        assert listed == [names[i] for i in expected]
    real = tables["sensitivity"]
    width = (real["rank_p95"] - real["rank_p05"]).to_numpy()
    tenth = np.sort(width)[::-1][9]
    page = Report(ds, 2024, "en", tables).render("sensitivity").data
    start = page.index(f"provinces whose rank range spans {tenth:.0f} or more places")
    listed = re.findall(r"<tr><td>([^<]+)</td>", page[start:page.index("</table>", start)])
    assert {"Bac Kan", "Da Nang", "Soc Trang", "Bac Lieu"} <= set(listed)
    assert len(listed) == int((width >= tenth).sum()) > 10


def test_running_header_is_short_and_titles_break_as_a_reader_expects():
    """The PDF's running header is the index's short name and the year ("Báo cáo PAPI năm
    2024", one line; "PAPI năm 2024: phân tích độc lập" when others than the authority prepared
    the report, as its cover says), not the long title that wrapped "cấp / tỉnh"; the cover's title keeps
    "cấp tỉnh" and "năm 2024" (en: "2024 report") together with no-break spaces, and a dataset
    without a short name keeps its title in the header."""
    import re

    nbsp = "\u00a0"
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    tables = compute_results(ds, 2024)
    heads = {}
    for lang in ("vi", "en"):
        cover = Report(ds, 2024, lang, tables).title_page().data
        heads[lang] = re.search(r'<h1 class="doc-title" data-running="([^"]*)">([^<]*)</h1>', cover).groups()
    # papi-provinces is prepared by others than PAPI's authors: the header says so, as the cover
    assert heads["vi"][0] == f"PAPI năm{nbsp}2024: phân tích độc{nbsp}lập"
    assert heads["en"][0] == f"PAPI 2024: independent{nbsp}analysis"
    own = dict(ds.config.raw, publisher={k: v for k, v in ds.config.raw["publisher"].items()
                                         if not k.startswith("prepared_by")})
    for lang, header in (("vi", f"Báo cáo PAPI năm{nbsp}2024"), ("en", f"PAPI 2024{nbsp}report")):
        cover = Report(dataclasses.replace(ds, config=Config(own)), 2024, lang, tables).title_page().data
        assert re.search(r'data-running="([^"]*)"', cover).group(1) == header
    assert heads["vi"][1].endswith(f"cấp{nbsp}tỉnh (PAPI) năm{nbsp}2024")
    assert heads["en"][1].endswith(f"(PAPI): 2024{nbsp}report")
    from analysis.publication.publish import css
    assert "string-set: doctitle attr(data-running)" in css("vi", False, True)
    plain = dataclasses.replace(ds, config=Config({k: v for k, v in ds.config.raw.items()
                                                    if not k.startswith("index_name")}))
    cover = Report(plain, 2024, "vi", tables).title_page().data
    running = re.search(r'data-running="([^"]*)"', cover).group(1)
    assert running.replace(nbsp, " ") == ("Báo cáo Chỉ số Hiệu quả Quản trị và Hành chính công cấp tỉnh "
                                          "(PAPI) năm 2024")


def test_the_demo_dossiers_header_is_its_short_name_and_its_cover_keeps_the_month_with_its_year():
    """demo-dossiers has a short name as PAPI has ("Bộ chỉ số 766", "Decision 766 index"): the
    running header is one short line, not the 17-word title; the cover's title never breaks
    "December" from "2025" (en) nor "tháng" from "12/2025" (vi)."""
    import re

    nbsp, joiner = "\u00a0", "\u2060"
    ds = load_dataset(ROOT / "data" / "demo-dossiers")
    tables = compute_results(ds, 2025, period="2025-12")
    heads = {}
    for lang in ("vi", "en"):
        cover = Report(ds, 2025, lang, tables, period="2025-12").title_page().data
        heads[lang] = re.search(r'<h1 class="doc-title" data-running="([^"]*)">([^<]*)</h1>', cover).groups()
    assert heads["vi"][0] == f"Báo cáo Bộ chỉ số 766 tháng{nbsp}12/{joiner}2025"
    assert heads["en"][0] == f"Decision 766 index December{nbsp}2025{nbsp}report"
    assert heads["vi"][1].endswith(f"(dữ liệu giả lập) tháng{nbsp}12/{joiner}2025")
    assert heads["en"][1].endswith(f"(synthetic data): December{nbsp}2025{nbsp}report")


def test_the_directory_files_ho_chi_minh_city_under_h():
    """PAPI 2024 (vi): "TP. Hồ Chí Minh" is listed by its name, between Hòa Bình and Hưng Yên
    (ô after o, before ư), not after Thái Bình and Thanh Hóa; its full name is shown."""
    import re

    ds = load_dataset(ROOT / "data" / "papi-provinces")
    page = Report(ds, 2024, "vi", compute_results(ds, 2024)).render("directory").data
    names = re.findall(r"<tr><td>([^<]+)</td>", page)
    at = names.index("TP. Hồ Chí Minh")
    assert names[at - 1:at + 2] == ["Hòa Bình", "TP. Hồ Chí Minh", "Hưng Yên"]
    assert names.index("Thái Bình") > at and names[0] == "An Giang"


def test_rejected_rows_are_listed_as_runs():
    """Consecutive rows of one file with the same unit and reason make one line of the audit's
    list ("5800–5807"), a gap, another unit, reason or file starts a new one."""
    from analysis.publication.report import row_runs
    rejected = pd.DataFrame({
        "file": ["a.csv"] * 6 + ["b.csv"],
        "row": [5, 3, 4, 7, 8, 9, 10],
        "unit_id": ["U1", "U1", "U1", "U1", "U2", "U2", "U2"],
        "reason": ["points_missing"] * 7})
    runs = row_runs(rejected)
    assert runs.to_dict("records") == [
        {"file": "a.csv", "first": 3, "last": 5, "unit_id": "U1", "reason": "points_missing"},
        {"file": "a.csv", "first": 7, "last": 7, "unit_id": "U1", "reason": "points_missing"},
        {"file": "a.csv", "first": 8, "last": 9, "unit_id": "U2", "reason": "points_missing"},
        {"file": "b.csv", "first": 10, "last": 10, "unit_id": "U2", "reason": "points_missing"}]


def test_the_methods_say_the_units_are_the_years_and_how_the_groups_were_drawn():
    """PAPI 2024: the 63 provinces became 34 on 1 July 2025, 11 unchanged and 23 new
    (data/papi-provinces/README.md), so 63 − 11 = 52 were merged into 23; the groups take the
    sizes PAPI published for 2024, highest first 15/15/15/16; 2016 has none on file."""
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    report = Report(ds, 2024, "en", compute_results(ds, 2024))
    assert report.later_mergers() == [
        "The report uses the administrative units as they were in 2024. From 1 July 2025, 52 of "
        "them were merged into 23 new provinces (the dataset's crosswalk.csv)."]
    assert "(15/15/15/16, top band first)" in report.bands_method()
    older = Report(ds, 2016, "vi", compute_results(ds, 2016))
    assert older.bands_method().startswith("Xếp loại theo tứ phân vị")


def test_a_column_of_intervals_is_written_one_way():
    """PAPI 2024's tests table has a negative interval (beta-convergence), so every interval of
    the column reads "a to b", not "0.48 – 1.29" beside "−0.592 to −0.215"."""
    import re
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    html = Report(ds, 2024, "en", compute_results(ds, 2024)).render("change").data
    spans = re.findall(r"<td[^>]*>([−\d.]+ (?:to|–) [−\d.]+)</td>", html)
    assert len(spans) == 2 and any(s.startswith("−") for s in spans)
    assert all(" to " in s for s in spans), spans


def test_the_widest_rank_ranges_table_shows_each_width():
    """The caption says "whose rank range spans N or more places": each listed province's width
    (its 95th minus its 5th percentile rank, from tables/sensitivity.csv) is in its row, at
    least N, and equals the two ends its range column prints."""
    import re
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    tables = compute_results(ds, 2024)
    s = tables["sensitivity"]
    cut = (s["rank_p95"] - s["rank_p05"]).nlargest(10).min()
    page = Report(ds, 2024, "en", tables).render("sensitivity").data
    start = page.index(f"provinces whose rank range spans {cut:.0f} or more places")
    table = page[start:page.index("</table>", start)]
    assert ">Width (places)<" in table
    rows = re.findall(r"<tr><td>[^<]+</td>((?:<td[^>]*>[^<]*</td>)+)</tr>", table)
    assert rows
    for cells in rows:
        values = re.findall(r"<td[^>]*>([^<]*)</td>", cells)
        low, high = (int(v) for v in values[2].split("–"))
        assert int(values[3]) == high - low >= cut


def test_papi_2024_group_findings_give_each_groups_score_span():
    """PAPI 2024's groups take the sizes PAPI published (15/15/15/16), so their counts are known
    before any score: each group's key finding also gives the lowest and highest total in it.
    Recomputed here from index_scores.csv: the 61 totals (the sum of the eight dimensions),
    sorted from the top and cut 15/15/15/16, each span's ends rounded to 2 decimals."""
    from decimal import ROUND_HALF_UP, Decimal

    scores = pd.read_csv(ROOT / "data" / "papi-provinces" / "index_scores.csv", dtype={"unit_id": str})
    totals = scores[scores["year"] == 2024].groupby("unit_id")["points"].sum(min_count=1).dropna()
    ordered = totals.sort_values(ascending=False).to_numpy()
    cuts = np.cumsum([0, 15, 15, 15, 16])

    def two(x):
        return Decimal(repr(float(x))).quantize(Decimal("0.01"), ROUND_HALF_UP)
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    findings = Report(ds, 2024, "en", compute_results(ds, 2024)).findings()
    for (start, end), name in zip(zip(cuts[:-1], cuts[1:]), ("Best performers", "High average",
                                                             "Low average", "Poor performers")):
        group = ordered[start:end]
        assert (f"Provinces in the {name} group: {end - start}, from {two(group.min())} to "
                f"{two(group.max())} points.") in findings
    vi = Report(ds, 2024, "vi", compute_results(ds, 2024)).findings()
    assert f"16 địa phương thuộc Nhóm đạt điểm thấp nhất, từ {str(two(ordered[45:].min())).replace('.', ',')} đến " \
           f"{str(two(ordered[45:].max())).replace('.', ',')} điểm." in vi
    # and Figure 1, whose bars alone show only the imposed 15/15/15/16 (review 6), gives the
    # same span under each group's name
    import base64
    import re
    page = Report(ds, 2024, "en", compute_results(ds, 2024)).render("summary").data
    svg = base64.b64decode(re.search(r"data:image/svg\+xml;base64,([^\"]+)", page).group(1)).decode()
    for start, end in zip(cuts[:-1], cuts[1:]):
        group = ordered[start:end]
        assert f"{two(group.min())} – {two(group.max())}" in svg


def test_a_cut_rankings_png_copy_title_says_which_units_it_draws(monkeypatch):
    """The PNG copy of a ranking drawn as its ends (PAPI 2024: 61 provinces, the top and bottom
    10 drawn) is titled by its caption's first clause, which named all 61 (review 6): the title
    now says which are drawn; a chart of every unit keeps the clause alone."""
    from analysis.publication import charts

    titles = {}
    save = charts.save

    def spy(fig, folder, stem, credit="", title=""):
        titles[stem.split("-", 1)[1]] = title
        return save(fig, folder, stem, credit, title)
    monkeypatch.setattr(charts, "save", spy)
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    tables = compute_results(ds, 2024)
    report = Report(ds, 2024, "en", tables)
    for section in ("ranking", "components", "change"):
        report.render(section)
    assert titles["ranking"] == ("The 61 provinces' 2024 scores, highest first "
                                 "(the top 10 and the bottom 10 provinces)")
    assert titles["components"].endswith("(the top 10 and the bottom 10 provinces)")
    assert "top 10" not in titles["change"]   # every province with both years is drawn


def test_the_summary_says_under_its_figures_when_the_scores_are_not_the_authoritys_release():
    """The headline figures of PAPI 2024 come from a third party's copy (dataset.yaml
    score_sources, 2017–2024): the summary page carries the cover's notice under them, so that a
    figure quoted from that page is not taken for the authority's (review 6); PAPI 2016's scores
    are the official release: no notice."""
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    page = Report(ds, 2024, "vi", compute_results(ds, 2024)).render("summary").data
    notice = "Không chính thức: điểm số 2023–2024 lấy từ bản sao của bên thứ ba"
    assert notice in page and page.index(notice) < page.index("<figure")
    assert "Không chính thức" not in Report(ds, 2016, "vi", compute_results(ds, 2016)).render("summary").data
