"""The unit profiles: one page per unit, in each edition, with the unit's own figures."""
import pandas as pd
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
