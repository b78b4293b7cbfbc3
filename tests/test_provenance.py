"""What a reader is told about where the figures come from (review items 1, 12 and 19): the
cover and citation name the data's authors apart from who prepared the report and say when a
year's scores are not the authority's own; the English tile codes are unaccented and unique;
an outlying year-on-year change is named with a caution by a stated rule."""
import base64
import re
import shutil
import unicodedata
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import yaml

from analysis.indices.results import compute_results
from analysis.inputs.dataset import load_config, load_dataset
from analysis.inputs.errors import InputError
from analysis.publication.cover import publisher_parts, year_spans
from analysis.publication.formatting import ascii_codes
from analysis.publication.report import Report
from analysis.stats.outliers import outlying, robust_z

DATA = Path(__file__).resolve().parents[1] / "data"


@cache
def papi():
    return load_dataset(DATA / "papi-provinces")


@cache
def results(year):
    return compute_results(papi(), year)


def text_of(html) -> str:
    """The page's text as read: a block's tags are spaces, an inline span's nothing."""
    inline = re.sub(r"</?span[^>]*>", "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inline)).replace("&#39;", "'")


# --- item 19: the rule -----------------------------------------------------------------------
def test_robust_z_is_the_modified_z_score_of_iglewicz_and_hoaglin():
    x = [1.0, 2.0, 3.0, 4.0, 100.0, np.nan]
    # by hand: median of the five values 3; absolute deviations 2, 1, 0, 1, 97 -> MAD 1
    expected = [(v - 3) / (1.4826 * 1) for v in x[:5]]
    assert robust_z(x)[:5] == pytest.approx(expected)
    assert np.isnan(robust_z(x)[5])
    # the book's own form, 0.6745 (x − median) / MAD, agrees to its four digits
    assert robust_z(x)[:5] == pytest.approx([0.6745 * (v - 3) for v in x[:5]], rel=1e-4)
    assert outlying(x).tolist() == [False, False, False, False, True, False]


def test_the_cutoff_is_above_3_5_and_a_zero_mad_flags_nothing():
    # -1, -1, 0, 0, 1, 1 and one far value s: sorted, the 4th of 7 is 0 (median); deviations
    # 1, 1, 0, 0, 1, 1, |s| sorted 0, 0, 1, 1, 1, 1, |s|: MAD 1, so z(s) = s / 1.4826
    x = [-1, -1, 0, 0, 1, 1]
    assert not outlying(x + [3.5 * 1.4826 - 1e-9]).any()
    assert outlying(x + [3.5 * 1.4826 + 1e-3]).tolist() == [False] * 6 + [True]
    assert outlying([-3.5 * 1.4826 - 1e-3] + x).tolist() == [True] + [False] * 6
    assert not outlying([2, 2, 2, 2, 9]).any()   # MAD 0: undefined, nothing flagged


# --- item 19: the caution in the report ------------------------------------------------------
@pytest.mark.parametrize("lang, words", [
    ("vi", ["Thay đổi bất thường: Tây Ninh (+8,11 điểm)", "(điểm z bền vững của mức thay đổi lớn hơn 3,5; xem “Phương pháp”)",
            "không phải từ công bố của CECODES, VFF-CRT, RTA và UNDP; chỉ các số liệu nêu sau đây",
            "2023–2024",
            # published.csv: the 2024 totals of the top three as released (not Cà Mau's)
            "Tổng điểm năm 2024 của Tây Ninh và Bình Thuận khớp với số liệu đã công bố",
            # one end of the change checked, not the change (review 4)
            "Điểm năm 2024 của Cà Mau và điểm năm 2023 của Tây Ninh, Bình Thuận và Cà Mau chưa được "
            "đối chiếu, nên các mức thay đổi này chưa được kiểm chứng."]),
    ("en", ["Unusual change: Tay Ninh (+8.11 points)", "(a robust z-score of the change beyond 3.5; see “Methods”)",
            "not from the release of CECODES, VFF-CRT, RTA and UNDP; only the following figures",
            "2023–2024",
            "The 2024 totals of Tay Ninh and Binh Thuan match the published figures (sources in “Audit trail”).",
            "The 2024 score of Ca Mau and the 2023 scores of Tay Ninh, Binh Thuan and Ca Mau have "
            "not been checked, so these changes are unconfirmed."])])
def test_the_2024_changes_page_cautions_about_tay_ninh(lang, words):
    text = text_of(Report(papi(), 2024, lang, results(2024)).render("change").data)
    for w in words:
        assert w in text, w
    # the rule the caution names is spelled out in the methods
    methods = text_of(Report(papi(), 2024, lang, results(2024)).render("methods").data)
    assert ("(1,4826 × MAD)" if lang == "vi" else "(1.4826 × MAD)") in methods
    assert "Iglewicz" in methods


def test_the_caution_names_exactly_the_units_the_rule_flags():
    u = results(2024)["index_units"].dropna(subset=["score", "score_prev"])
    d = u["points"] - u["score_prev"] * 0.8          # change in points on 8–80
    z = (d - d.median()) / (1.4826 * (d - d.median()).abs().median())
    flagged = set(u.loc[z.abs() > 3.5, "name_en"])
    assert "Tay Ninh" in flagged
    caution = re.search(r"Unusual change: (.*?) moved", text_of(
        Report(papi(), 2024, "en", results(2024)).render("change").data)).group(1)
    assert set(re.findall(r"([A-Z][a-z]+(?: [A-Z][a-z]+)*) \(", caution)) == flagged
    # the key findings name the same units, the largest rise first
    finding = re.search(r"Unusual change: (.*?) moved", text_of(
        Report(papi(), 2024, "en", results(2024)).render("summary").data)).group(1)
    by_change = u.assign(d=d).sort_values("d", ascending=False)
    assert re.findall(r"([A-Z][a-z]+(?: [A-Z][a-z]+)*) \(", finding) == [
        n for n in by_change["name_en"] if n in flagged]


def test_the_caution_says_how_much_the_mean_change_owes_to_the_flagged_units():
    """The key findings' "+0.88 points on average" for the 59 provinces scored in 2023 and 2024
    includes Tây Ninh, Bình Thuận and Cà Mau (review 3): the caution gives the mean change
    without them. Recomputed from index_scores.csv: each province's total of the eight
    dimensions in both years, the robust z (median, MAD × 1.4826) of the change above 3.5, the
    mean of the others' changes."""
    import pandas as pd
    scores = pd.read_csv(DATA / "papi-provinces" / "index_scores.csv", dtype={"unit_id": str})
    totals = scores[scores["points"].notna()].groupby(["year", "unit_id"])["points"].sum().unstack(0)
    both = totals[[2023, 2024]].dropna()
    d = both[2024] - both[2023]
    z = (d - d.median()) / (1.4826 * (d - d.median()).abs().median())
    rest = d[z.abs() <= 3.5]
    assert (len(d), len(rest)) == (59, 56)
    for lang, sentence in [
            ("en", "Without them, the other 56 provinces changed by {} points on average, "
                   "against {} points for all 59."),
            ("vi", "Không tính các địa phương này, 56 địa phương còn lại thay đổi bình quân {} điểm, "
                   "so với {} điểm khi tính cả 59 địa phương.")]:
        shown = [f"{v:+.2f}".replace(".", "," if lang == "vi" else ".") for v in (rest.mean(), d.mean())]
        text = text_of(Report(papi(), 2024, lang, results(2024)).render("change").data)
        assert sentence.format(*shown) in text
    assert f"{rest.mean():+.2f}" == "+0.63" and f"{d.mean():+.2f}" == "+0.88"
    # the key findings give it beside the mean change
    summary = text_of(Report(papi(), 2024, "en", results(2024)).render("summary").data)
    assert (f"were up {d.mean():.2f} points on average ({rest.mean():+.2f} points without the 3 "
            "provinces with an unusual change).") in summary
    # no such sentence where nothing is flagged
    assert "Without them" not in text_of(Report(papi(), 2022, "en", results(2022)).render("change").data)


@pytest.mark.parametrize("lang, words", [
    ("vi", "khoảng này coi điểm số là chính xác, chưa tính sai số chọn mẫu của khảo sát tạo ra điểm số."),
    ("en", "it takes the scores as exact, without the sampling error of any survey behind them.")])
def test_the_gap_interval_says_it_leaves_out_the_scores_own_error(lang, words):
    """The BCa interval resamples provinces, each score taken as published; PAPI's scores are
    survey estimates with their own sampling error (review 3): the gaps page says so."""
    assert words in text_of(Report(papi(), 2024, lang, results(2024)).render("gaps").data)


@pytest.mark.parametrize("year, floor", [(2024, 8), (2016, 6)])
def test_the_ranking_bars_start_at_the_scales_least_score_and_say_so(year, floor):
    """The ranking's bars start at the least score of the year's scale (dataset.yaml: 8 on
    8–80 from 2018, 6 on 6–60 before), and the caption says so."""
    text = text_of(Report(papi(), year, "en", results(year)).render("ranking").data)
    assert f"The bars start at {floor}, the lowest score possible on the scale." in text


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_caution_in_a_year_without_an_outlying_change(lang):
    # 2022: the largest |z| of the changes is 3.18 (Soc Trang), under the cut-off
    for section in ("change", "summary"):
        text = text_of(Report(papi(), 2022, lang, results(2022)).render(section).data)
        assert "bất thường" not in text and "Unusual change" not in text


def test_a_change_between_official_years_says_so():
    text = text_of(Report(papi(), 2016, "en", results(2016)).render("change").data)
    assert "Unusual change: Quang Ngai" in text
    assert "The 2015 and 2016 scores are both taken from the index authors' own release" in text
    assert "Not checked" not in text


# --- item 1: cover and citation --------------------------------------------------------------
@pytest.mark.parametrize("lang, data_by, prepared, cite, notice", [
    ("vi", "Tổ chức xây dựng chỉ số", "Báo cáo do", "Trích dẫn: Nhóm phát triển PAR Reports (",
     "Không chính thức: điểm số 2023–2024 lấy từ bản sao của bên thứ ba, không phải từ công bố của CECODES, VFF-CRT, RTA và UNDP."),
    ("en", "Index by", "Prepared by", "Cite as: PAR Reports developers (",
     "Unofficial: the 2023–2024 scores come from a third party's copy, not from the official release by CECODES, VFF-CRT, RTA and UNDP.")])
def test_the_2024_cover_separates_the_data_from_who_prepared_the_report(lang, data_by, prepared, cite, notice):
    html = Report(papi(), 2024, lang, results(2024)).title_page().data
    text = text_of(html)
    facts = dict(re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', html))
    assert facts[data_by].startswith("CECODES")
    assert "PAR Reports" in facts[prepared]
    assert "hnks-gh/ml-mcdm" in " ".join(facts.values())
    assert notice in text
    assert cite in text and "CECODES" in text.split(cite)[1]
    assert "Publisher" not in facts and "Cơ quan phát hành" not in facts
    # not the authority's own report: the kicker says whose analysis it is (review 4)
    kicker = re.search(r'<p class="edition"[^>]*>(.*?)</p>', html).group(1)
    assert kicker == {"vi": "Phân tích độc lập hằng năm", "en": "Independent annual analysis"}[lang]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_an_official_year_reads_as_official(lang):
    html = Report(papi(), 2016, lang, results(2016)).title_page().data
    assert 'class="provenance"' not in html
    assert ("chính thức" if lang == "vi" else "official PAPI 2011–2016 data release") in text_of(html)


def test_a_yearly_cover_counts_the_compared_year_among_its_scores():
    """The 2024 report shows the 2023 scores beside 2024's (changes, ranks of the year before):
    both come from the third party's copy, and the cover says so. The 2017 report compares with
    the official 2016 release: only 2017 is unofficial, and the row on where the scores were
    taken from names both sources by year (data/papi-provinces/dataset.yaml score_sources)."""
    from analysis.publication.cover import chart_credit, compared_year
    assert compared_year(results(2024)) == 2023 and compared_year({}) is None
    assert publisher_parts(papi(), "en", "2024", "T", 2023)["notice"].startswith(
        "Unofficial: the 2023–2024 scores come")
    assert "The 2023–2024 scores are from GitHub hnks-gh/ml-mcdm" in chart_credit(papi(), "en", "2024", 2023)
    parts = publisher_parts(papi(), "en", "2017", "T", 2016)
    assert parts["notice"].startswith("Unofficial: the 2017 scores come")
    source = dict(parts["facts"])["Scores taken from"]
    assert source.startswith("2016: the official PAPI") and "; 2017: GitHub hnks-gh" in source
    # 2016 against 2015: both official, no notice
    assert publisher_parts(papi(), "en", "2016", "T", 2015)["notice"] == ""


def test_the_series_cover_names_the_unofficial_years():
    parts = publisher_parts(papi(), "en", "2011-2024", "T")
    assert parts["notice"] == "Unofficial: the 2017–2024 scores come from a third party's copy, not from the official release by CECODES, VFF-CRT, RTA and UNDP."
    assert dict(parts["facts"])["Scores taken from"].startswith("2011–2016: the official")


def test_other_datasets_keep_a_sensible_cover():
    ministries = publisher_parts(load_dataset(DATA / "par-ministries"), "en", "2023", "T")
    assert dict(ministries["facts"])["Index by"] == "Ministry of Home Affairs"
    assert ministries["notice"] == ""
    demo = publisher_parts(load_dataset(DATA / "demo-mps"), "en", "2025", "T")
    assert [k for k, _ in demo["facts"]] == ["Publisher"] and demo["notice"] == ""
    assert demo["colophon"][0].startswith("Cite as: PAR Reports developers (synthetic data")


def test_year_spans():
    assert year_spans([2019, 2017, 2018, 2021]) == "2017–2019, 2021"
    assert year_spans([2024]) == "2024"


def config_with(tmp_path, change) -> Path:
    folder = tmp_path / "d"
    shutil.copytree(DATA / "par-ministries", folder)
    raw = yaml.safe_load((folder / "dataset.yaml").read_text(encoding="utf-8"))
    change(raw)
    (folder / "dataset.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return folder


@pytest.mark.parametrize("change, column, words", [
    (lambda r: r["score_sources"][0].update(official="yes"), "score_sources[1].official", "true"),
    (lambda r: r["score_sources"].append({"from": 2020, "official": False}), "score_sources",
     "overlap"),
    (lambda r: r["score_sources"][0].update(to=2001), "score_sources[1].to", "from 2023"),
    (lambda r: r["score_sources"][0].pop("label_en"), "score_sources[1]", "label_vi and label_en"),
    (lambda r: r["publisher"].pop("prepared_by_en"), "publisher.prepared_by_en", "together"),
    (lambda r: r["publisher"].update(name_en=3), "publisher.name_en", "must be text"),
    (lambda r: r.update(publisher="MoHA"), "publisher", "mapping")])
def test_a_wrong_provenance_field_is_refused_by_name(tmp_path, change, column, words):
    with pytest.raises(InputError) as err:
        load_config(config_with(tmp_path, change))
    [problem] = err.value.problems
    assert (problem.file, problem.column) == ("dataset.yaml", column)
    assert words in problem.message


# --- item 12: tile codes ---------------------------------------------------------------------
def test_a_code_that_would_collide_once_unaccented_is_lengthened_deterministically():
    codes, names = ["BĐ", "BD", "ĐN", "LĐ"], ["Binh Dinh", "Binh Duong", "Da Nang", "Lam Dong"]
    assert ascii_codes(codes, names) == ["BDi", "BD", "DN", "LD"]
    assert ascii_codes(codes[::-1], names[::-1]) == ["LD", "DN", "BD", "BDi"]
    # a lengthened code that is taken too: the next letter, then a number
    assert ascii_codes(["BĐ", "BD", "BDi"], ["Binh Di", "Binh Duong", "X"]) == ["BD2", "BD", "BDi"]


def shipped_tiles():
    for folder in sorted(DATA.iterdir()):
        if (folder / "tiles.csv").is_file():
            yield folder.name


@pytest.mark.parametrize("name", list(shipped_tiles()))
def test_every_shipped_tile_grid_has_unique_unaccented_english_codes(name):
    """Unique among the units of each year (units never valid in the same year may share one:
    papi-provinces' new Gia Lai of 2025 keeps the former Gia Lai's GL, and its English code)."""
    ds = load_dataset(DATA / name)
    tiles = ds.tiles.merge(ds.units[["unit_id", "name_en"]], on="unit_id")
    assert len(tiles) == len(ds.tiles)
    en = ascii_codes(tiles["label"].tolist(), tiles["name_en"].tolist())
    years = set(ds.years()) | set(ds.units["valid_from"].dropna().astype(int))
    for year in sorted(years):
        valid = tiles["unit_id"].isin(ds.valid_units(year)["unit_id"]).to_numpy()
        codes = [c for c, v in zip(en, valid) if v]
        assert len(set(codes)) == len(codes) == tiles.loc[valid, "label"].nunique(), year
    # a label given to units of different years has one English code
    assert len(set(zip(tiles["label"], en))) == tiles["label"].nunique()
    assert all(c.isascii() and c.isalnum() for c in en)
    # each English code is its Vietnamese one unaccented, perhaps lengthened
    plain = [unicodedata.normalize("NFD", c.replace("Đ", "D")).encode("ascii", "ignore").decode()
             for c in tiles["label"]]
    assert all(e.startswith(p) for e, p in zip(en, plain))


def tile_texts(lang) -> list[str]:
    """The texts of the 2024 edition's tile map (its SVG), tiles and key."""
    html = Report(papi(), 2024, lang, results(2024)).render("regions").data
    uris = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    svg = next(s for s in (base64.b64decode(u).decode("utf-8") for u in uris) if ">BRVT<" in s)
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_the_english_tile_map_uses_the_unaccented_codes_and_vietnamese_keeps_its_own():
    en, vi = tile_texts("en"), tile_texts("vi")
    assert not [t for t in en if re.search(r"[ĐđÔô]", t)]
    for code in ("DNo", "BDi", "BD", "LD", "DNa"):
        assert en.count(code) == 2, code        # on its tile and in the key
    for code in ("ĐNô", "BĐ", "BD", "LĐ"):
        assert vi.count(code) == 2, code


def test_an_outlying_change_of_unrecorded_source_asks_for_a_check():
    import dataclasses

    from analysis.inputs.dataset import Config
    ds = dataclasses.replace(papi(), config=Config({**papi().config.raw, "score_sources": None}))
    text = text_of(Report(ds, 2024, "en", results(2024)).render("change").data)
    assert "Unusual change: Tay Ninh" in text
    assert "Check against the source of the scores before citing." in text
    assert "Not checked" not in text and "own release" not in text


@pytest.mark.parametrize("lang, words", [
    ("vi", ["Tổ chức xây dựng chỉ số", "Báo cáo do", "Không chính thức: điểm số 2023–2024"]),
    ("en", ["Index by", "Prepared by", "Unofficial: the 2023–2024 scores"])])
def test_the_workbook_says_what_the_cover_says(tmp_path, lang, words):
    from openpyxl import load_workbook

    from analysis.publication.xlsx import write_workbook
    write_workbook(results(2024), papi(), "T", lang, tmp_path / "r.xlsx", 2024)
    book = load_workbook(tmp_path / "r.xlsx")
    cells = " ".join(str(c.value) for row in book.worksheets[0].iter_rows() for c in row)
    for w in words:
        assert w in cells, w
    assert book.properties.creator == papi().config.raw["publisher"][f"prepared_by_{lang}"]


def test_a_tile_code_given_twice_is_refused_with_its_row(tmp_path):
    folder = tmp_path / "papi"
    shutil.copytree(DATA / "papi-provinces", folder)
    tiles = folder / "tiles.csv"
    tiles.write_text(tiles.read_text(encoding="utf-8").replace("02,0,3,HG", "02,0,3,HN"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_dataset(folder)
    [problem] = err.value.problems
    assert (problem.file, problem.row, problem.column) == ("tiles.csv", 3, "label")
    assert "label=HN" in problem.message


# --- the dataset's own words (dataset.yaml `wording`) -----------------------------------------
def test_papi_speaks_of_dimensions_and_the_par_index_of_components():
    """PAPI's eight parts are "chỉ số nội dung" / dimensions; the catalog's word, the PAR
    INDEX's, is "lĩnh vực thành phần" / component. The workbook's sheet has the name the PDF
    sends readers to."""
    from analysis.publication.xlsx import sheet_name
    from analysis.publication.i18n import dataset_wording
    vi = text_of(Report(papi(), 2024, "vi", results(2024)).render("components").data)
    en = text_of(Report(papi(), 2024, "en", results(2024)).render("components").data)
    assert "Kết quả theo chỉ số nội dung" in vi and "lĩnh vực" not in vi
    assert "Results by dimension" in en and "component" not in en.lower()
    assert f"“{sheet_name('index_components', 'en', dataset_wording(papi()))}” sheet" in en
    moha = load_dataset(DATA / "par-ministries")
    ministries = text_of(Report(moha, 2023, "vi", compute_results(moha, 2023)).render("components").data)
    assert "Kết quả theo lĩnh vực thành phần" in ministries and "chỉ số nội dung" not in ministries


def test_papi_speaks_of_provinces_and_other_datasets_of_units():
    """PAPI assesses provinces (dataset.yaml `unit_words`: "province"/"provinces", "địa phương"):
    no page of its report says "unit" or "đơn vị" but where the word means something else (a
    measure without unit, administrative units, a ballot as sampling unit); the PAR INDEX's
    ministries keep the catalog's "units"/"đơn vị"."""
    import re
    sections = ("summary", "ranking", "groups", "regions", "components", "change", "gaps",
                "sensitivity", "directory", "methods", "audit")
    allowed = {"en": r"without unit|administrative units|units-fixed|in the unit of|no unit|units\.csv",
               "vi": r"không có đơn vị|đơn vị hành chính|cùng đơn vị với|units\.csv"}
    for lang, word in (("en", r"\b[Uu]nits?\b"), ("vi", r"[Đđ]ơn vị")):
        report = Report(papi(), 2024, lang, results(2024))
        text = " ".join(text_of(report.render(s).data) for s in sections)
        assert re.findall(word, re.sub(allowed[lang], "", text)) == [], lang
        assert ("61 provinces" if lang == "en" else "61 địa phương") in text
    moha = load_dataset(DATA / "par-ministries")
    ministries = text_of(Report(moha, 2023, "en", compute_results(moha, 2023)).render("ranking").data)
    assert "Ranking of units" in ministries and "province" not in ministries


@pytest.mark.parametrize("words, column", [
    ({"vi": "địa phương"}, "unit_words.en"),
    ({"vi": "địa phương", "en": ["province"]}, "unit_words.en"),
    ({"vi": "", "en": "province"}, "unit_words.vi"),
])
def test_a_wrong_unit_words_entry_is_named_with_its_fix(tmp_path, words, column):
    found = wording_problem(tmp_path, "unit_words", words)
    assert (found.file, found.column) == ("dataset.yaml", column)
    assert "[province, provinces]" in found.fix


def wording_problem(tmp_path, key: str, value):
    """The one problem `dataset_wording` finds in PAPI's dataset.yaml with `key` set to `value`."""
    from analysis.publication.i18n import dataset_wording
    folder = tmp_path / "papi"
    shutil.copytree(DATA / "papi-provinces", folder)
    config = yaml.safe_load((folder / "dataset.yaml").read_text(encoding="utf-8"))
    config[key] = value
    (folder / "dataset.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError) as err:
        dataset_wording(load_dataset(folder))
    (found,) = err.value.problems
    return found


@pytest.mark.parametrize("entry, column, problem", [
    ({"no.such.key": {"vi": "a", "en": "b"}}, "wording.no.such.key", "not a text of the report"),
    ({"section.components": {"vi": "Kết quả"}}, "wording.section.components", "a language is missing"),
    ({"section.components": {"vi": "{year}", "en": "{year}"}}, "wording.section.components",
     "uses a field the report does not fill"),
])
def test_a_wrong_wording_entry_is_named_with_its_fix(tmp_path, entry, column, problem):
    found = wording_problem(tmp_path, "wording", entry)
    assert (found.file, found.column, found.message) == ("dataset.yaml", column, problem)
    assert found.fix


def test_the_caution_keeps_the_authoritys_hyphenated_names_on_one_line():
    """"VFF-CRT" broken after its hyphen read "VFF-" / "CRT" in the Vietnamese box (review 28)."""
    html = Report(papi(), 2024, "vi", results(2024)).render("change").data
    caution = re.search(r'<p class="note">(.*?)</p>', html, re.S).group(1)
    assert '<span class="nowrap">VFF-CRT</span>' in caution


def test_a_province_belongs_to_papis_group_and_a_unit_is_rated_a_grade():
    """PAPI's bands are groups (data/papi-provinces/dataset.yaml: "Nhóm đạt điểm cao nhất"): a
    province "thuộc" one; the synthetic ministries' bands are grades a unit "được xếp loại"
    (tests/test_report.py). The 2024 counts, 15/15/15/16, are the release's (the reconciliation)."""
    text = text_of(Report(papi(), 2024, "vi", results(2024)).render("summary").data)
    assert "15 địa phương thuộc Nhóm đạt điểm cao nhất, từ " in text
    assert "16 địa phương thuộc Nhóm đạt điểm thấp nhất, từ " in text
    assert "được xếp loại Nhóm" not in text
    assert "2 địa phương không có số liệu năm 2024 (bỏ trống trong nguồn)" in text


def test_the_rows_left_out_say_whose_files_and_rows_they_are():
    """The audit lists rows of index_scores.csv while the source is data/csv/2024.csv of another
    repository (review 32): the page says the files are the dataset folder's, header on row 1
    (the rows of Vĩnh Phúc, 5800–5807, are its 2024 rows with the header counted)."""
    text = text_of(Report(papi(), 2024, "en", results(2024)).render("audit").data)
    assert "Files and row numbers as in the dataset's folder (papi-provinces/); row 1 is the header." in text
    # a figure that matches only rounded down is said to, in the sentence and its row
    assert "rounded (or rounded down, as some years' releases print them)" in text
    assert re.search(r"Binh Thuan Points 47\.126 47\.1268 Yes rounded down", text)
    scores = (DATA / "papi-provinces" / "index_scores.csv").read_text(encoding="utf-8").splitlines()
    assert scores[5800 - 1].split(",")[:2] == ["2024", "26"]   # Vĩnh Phúc's id, row 5800 counting the header


def test_band_counts_the_bands_are_made_to_match_are_called_a_consistency_check():
    """PAPI 2024's bands take the sizes PAPI published (dataset.yaml band_sizes 15/15/15/16), so
    the four band counts of published.csv agree by construction unless ties straddle a
    boundary: "10 of 10 match" overstated what was checked (review 4, item 7)."""
    import yaml as _yaml
    config = _yaml.safe_load((DATA / "papi-provinces" / "dataset.yaml").read_text(encoding="utf-8"))
    assert config["band_sizes"][2024] == [15, 15, 15, 16]
    text = text_of(Report(papi(), 2024, "en", results(2024)).render("audit").data)
    assert ("Of these, 4 are the numbers of provinces in each band: the bands take the published "
            "sizes, so these can differ only where tied provinces straddle a boundary; they are a "
            "consistency check, not an independent one.") in text
    assert text.count("Yes by construction") == 4
    assert "by construction" not in text_of(Report(papi(), 2016, "en", results(2016)).render("audit").data)


def test_the_robustness_text_says_how_many_ranks_can_move_further():
    """"13 of the 61 keep a rank range of at most 2 places" left the reader to work out that 48
    can move more (review 4): both counts, recomputed from sensitivity.csv's 5th and 95th
    percentile ranks."""
    sens = results(2024)["sensitivity"]
    width = sens["rank_p95"] - sens["rank_p05"]
    stable, n = int((width <= 2).sum()), len(sens)
    text = text_of(Report(papi(), 2024, "en", results(2024)).render("sensitivity").data)
    assert (f"{stable} of the {n} provinces keep a rank range (5th to 95th percentile) of at most "
            f"2 places; the other {n - stable} can move further.") in text


def test_the_ranking_explains_every_row_with_dashes():
    """Vĩnh Phúc and Tiền Giang (no 2024 score in index_scores.csv, rows 5800–5807 and
    6080–6087) close the ranking with "–" in the change columns too; the note on "–" named only
    the provinces without a 2023 score (review 13)."""
    text = text_of(Report(papi(), 2024, "en", results(2024)).render("ranking").data)
    assert ("Provinces with no 2024 score in the source (Vinh Phuc, Tien Giang) close the table, "
            "unranked, with “–” in the change columns.") in text
    assert "“–” in the two change columns: no score in 2023 (Quang Ninh, Binh Duong)." in text


def test_the_pitman_morgan_row_says_its_statistic_is_a_correlation():
    """The tests table printed −0,098 as the Pitman–Morgan "statistic" beside p = 0,461: it is
    r, the correlation of the two years' sums and differences (Pitman 1939; its t would be
    about −0,75), here recomputed with numpy from the 2023 and 2024 totals of the 59 provinces."""
    import pandas as pd
    scores = pd.read_csv(DATA / "papi-provinces" / "index_scores.csv", dtype={"unit_id": str})
    totals = scores[scores["points"].notna()].groupby(["year", "unit_id"])["points"].sum().unstack(0)
    both = totals[[2023, 2024]].dropna()
    r = np.corrcoef(both[2024] + both[2023], both[2024] - both[2023])[0, 1]
    text = text_of(Report(papi(), 2024, "en", results(2024)).render("change").data)
    row = re.search(r"Pitman–Morgan test \(([^)]*)\) (\S+)", text)
    assert "statistic = correlation r of the two years' sums and differences" in row.group(1)
    assert row.group(2) == f"{r:.3f}".replace("-", "−")


def test_a_table_marks_the_unusual_changes_it_shows():
    """Tây Ninh's +58 places stood in the ranking's first rows with nothing to say its 2023
    score behind it is one the changes page cautions about (review 4): the three provinces of
    the caution (the robust z above 3.5 of test_tay_ninh… in test_profiles.py) carry "*"
    there and in the rises and falls, and a note says what it means; 2022 has none."""
    text = text_of(Report(papi(), 2024, "en", results(2024)).render("ranking").data)
    for name in ("Tay Ninh", "Binh Thuan", "Ca Mau"):
        assert f"{name} *" in text
    assert len(re.findall(r"\w \*", text)) == 3   # those three rows, no other
    assert "* after a name: an unusual change from the previous year; see the caution in “Change from the previous year” before citing it." in text
    change = text_of(Report(papi(), 2024, "en", results(2024)).render("change").data)
    assert "(* an unusual change: see the caution above)" in change
    quiet = text_of(Report(papi(), 2022, "en", results(2022)).render("ranking").data)
    assert " *" not in quiet
