"""The unit profiles: one page per unit, in each edition, with the unit's own figures, and what
the yearly report says of them: the unofficial notice of the year and the caution on an unusual
change."""
import re

import pytest
from pypdf import PdfReader

from analysis.cli import main
from analysis.indices.panel import profile_tables
from analysis.indices.results import compute_results
from analysis.inputs.dataset import load_dataset
from analysis.paths import DATA
from analysis.publication.unit_profiles import Profiles


@pytest.fixture(scope="module")
def book():
    ds = load_dataset(DATA / "papi-provinces")
    book = Profiles(ds, 2024, compute_results(ds, 2024), profile_tables(ds, 2024))
    book.scored = book.scored.loc[["22", "01", "79"]]   # Quảng Ninh, Hà Nội, Hồ Chí Minh City
    return book


@pytest.mark.parametrize("lang, points, rank, change", [
    ("vi", "47,82 / 80", "1/61", "Không có điểm năm 2023"),   # Quảng Ninh: a gap in 2023
    ("en", "47.82 / 80", "1 of 61", "No score in 2023")])
def test_each_unit_gets_one_page_with_its_own_figures(book, tmp_path, lang, points, rank, change):
    book.publish(lang, tmp_path)
    whole = PdfReader(tmp_path / "profiles.pdf")
    assert len(whole.pages) == 3
    for unit_id in ("22", "01", "79"):
        pages = PdfReader(tmp_path / "profiles" / f"{unit_id}.pdf").pages
        assert len(pages) == 1
    def text_of(unit_id):   # words as a reader sees them, whatever the line breaks
        return " ".join(PdfReader(tmp_path / "profiles" / f"{unit_id}.pdf").pages[0].extract_text().split())
    text = text_of("22")
    name = book.ds.units.set_index("unit_id").at["22", f"name_{lang}"]
    for expected in (name, points, rank, change):
        assert expected in text, expected
    # the dimensions of the 2024 method, all eight, and the 2011–2024 history
    for component in book.method["components"]:
        assert component[f"label_{lang}"] in text
    assert "2011" in text and "2024" in text
    # the year's scores are not the authors' own release (the yearly cover's notice), and
    # Quảng Ninh's change is not unusual (it has none)
    # (and neither are the 2023 scores it is compared with)
    assert ("Không chính thức: điểm số 2023–2024" if lang == "vi" else "Unofficial: the 2023–2024 scores") in text
    assert ("bất thường" if lang == "vi" else "Unusual change") not in text
    hanoi = text_of("01")
    u = book.units.loc["01"]
    places = int(u["rank_change"])
    assert ("so với 2023" if lang == "vi" else "on 2023") in hanoi
    assert (f"{abs(places)} bậc" if lang == "vi" else f"{abs(places)} places") in hanoi
    # tagged PDF/UA-1 with its metadata, the book and each unit's page alike
    for path in (tmp_path / "profiles.pdf", tmp_path / "profiles" / "22.pdf"):
        reader = PdfReader(path)
        root = reader.trailer["/Root"]
        assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"], path
        assert root["/Lang"] == lang
        assert reader.metadata.title == book.title(lang)
        assert reader.metadata.author == book.ds.config.raw["publisher"][f"prepared_by_{lang}"]
        assert reader.metadata.subject and "2024" in reader.metadata.subject


def test_the_means_drawn_are_the_national_and_regional_means(book):
    """The bars' ticks: each component's mean over the units scored that year, and over those
    of the unit's region (Quảng Ninh: Red River Delta)."""
    components = book.components.merge(book.ds.units[["unit_id", "region"]], on="unit_id")
    rows = book.rows("22", "en", "components")["rows"]
    maximum = max(c["max_points"] for c in book.method["components"])
    for spec, row in zip(book.method["components"], rows):
        mine = components[components["component"] == spec["code"]]
        national = mine["points"].mean()
        regional = mine[mine["region"] == book.units.at["22", "region"]]["points"].mean()
        assert row["national"] == pytest.approx(100 * national / maximum, abs=0.01)
        assert row["region"] == pytest.approx(100 * regional / maximum, abs=0.01)


def test_profiles_go_with_a_yearly_run_only(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--data", str(DATA / "papi-provinces"), "--years", "2011-2024", "--profiles"])
    assert exit_.value.code == 2
    assert "--profiles goes with a yearly run" in capsys.readouterr().err


@pytest.mark.parametrize("span", ["2024-2011", "2011", "2011-24"])
def test_a_bad_span_of_years_is_a_usage_error(capsys, span):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--data", str(DATA / "papi-provinces"), "--years", span])
    assert exit_.value.code == 2
    assert "span of years" in capsys.readouterr().err


def words(html: str) -> str:
    """The page's text as read: a block's tags are spaces, an inline span's nothing."""
    inline = re.sub(r"</?span[^>]*>", "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inline)).replace("&#39;", "'")


@pytest.mark.parametrize("lang, caution, unchecked, notice, credit", [
    ("vi", "Thay đổi bất thường: Tây Ninh (+8,11 điểm) thay đổi nhiều hơn hẳn",
     "Điểm số năm 2023–2024 lấy từ kho GitHub hnks-gh/ml-mcdm (không nêu nguồn số liệu), không phải từ công bố của CECODES, VFF-CRT, RTA và UNDP",
     "Không chính thức: điểm số 2023–2024 lấy từ bản sao của bên thứ ba, không phải từ công bố của CECODES, VFF-CRT, RTA và UNDP.",
     ["Tổ chức xây dựng chỉ số: CECODES, VFF-CRT, RTA và UNDP", "Báo cáo do: Nhóm phát triển PAR Reports"]),
    ("en", "Unusual change: Tay Ninh (+8.11 points) moved far more",
     "The 2023–2024 scores are taken from GitHub hnks-gh/ml-mcdm (source not stated), not from the release of CECODES, VFF-CRT, RTA and UNDP",
     "Unofficial: the 2023–2024 scores come from a third party's copy, not from the official release by CECODES, VFF-CRT, RTA and UNDP.",
     ["Index by: CECODES, VFF-CRT, RTA and UNDP", "PAR Reports developers"])])
def test_tay_ninh_2024_profile_has_the_caution_and_hanoi_s_has_not(book, lang, caution, unchecked,
                                                                    notice, credit):
    # by hand: the modified z of the 2024 changes in points on 8–80 (Iglewicz & Hoaglin 1993)
    u = book.units.dropna(subset=["score", "score_prev"])
    d = u["points"] - u["score_prev"] * 0.8
    z = (d - d.median()) / (1.4826 * (d - d.median()).abs().median())
    assert abs(z["72"]) > 3.5 and abs(z["01"]) < 3.5
    tay_ninh, hanoi = words(book.page("72", lang)), words(book.page("01", lang))
    assert caution in tay_ninh and unchecked in tay_ninh and "Iglewicz" in tay_ninh
    assert "bất thường" not in hanoi and "Unusual change" not in hanoi
    for page in (tay_ninh, hanoi):
        assert notice in page
        for c in credit:
            assert c in page, c


@pytest.mark.parametrize("lang, official", [
    ("vi", "Điểm số của cả hai năm 2015 và 2016 đều lấy từ công bố chính thức"),
    ("en", "The 2015 and 2016 scores are both taken from the index authors' own release")])
def test_a_2016_profile_has_no_unofficial_notice(lang, official):
    ds = load_dataset(DATA / "papi-provinces")
    book = Profiles(ds, 2016, compute_results(ds, 2016), profile_tables(ds, 2016))
    hanoi, quang_ngai = words(book.page("01", lang)), words(book.page("51", lang))
    for page in (hanoi, quang_ngai):
        assert "Không chính thức" not in page and "Unofficial" not in page
        assert ("Tổ chức xây dựng chỉ số: CECODES" if lang == "vi" else "Index by: CECODES") in page
    assert official in quang_ngai    # 2016's unusual change (as on the yearly changes page)
    assert official not in hanoi
