"""PAPI's two method versions in the publication: each year its own components, scale and
source; 2017→2018 never compared like for like, the six shared dimensions compared instead.
Reference values come from the source file (data/papi-provinces/sources), not from the run."""
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis.indices.results import compute_results
from analysis.inputs.dataset import load_dataset
from analysis.publication.report import Report

ROOT = Path(__file__).resolve().parents[1]
PAPI = ROOT / "data" / "papi-provinces"
SIX = ["participation", "transparency", "vertical_accountability", "control_of_corruption",
       "public_admin_procedures", "public_service_delivery"]


def text(html) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.data))


@pytest.fixture(scope="module")
def papi():
    return load_dataset(PAPI)


@pytest.fixture(scope="module")
def run_2018(papi):
    return compute_results(papi, 2018)


def test_2018_marks_nothing_across_the_break_as_like_for_like(run_2018):
    assert not run_2018["index_units"]["like_for_like"].any()
    tests = run_2018["tests"]
    assert not tests.loc[tests["metric"] == "index", "like_for_like"].any()
    assert tests.loc[tests["metric"] == "index_shared", "like_for_like"].all()
    index_gap = run_2018["gaps"][run_2018["gaps"]["metric"] == "index"]
    assert not index_gap["like_for_like"].any()


def test_the_shared_comparison_is_the_six_dimensions_of_the_source(run_2018):
    source = pd.read_csv(PAPI / "sources" / "papi_provinces_2017_2024.csv", dtype={"province_code": str})
    source["unit_id"] = source["province_code"].str.zfill(2)
    six = source.set_index(["year", "unit_id"])[SIX]
    on_six = 100 * six.sum(axis=1, min_count=6) / 60
    both = pd.concat([on_six.loc[2018], on_six.loc[2017]], axis=1, keys=["now", "before"]).dropna()
    u = run_2018["index_units"].set_index("unit_id")
    assert len(both) == 61 and u["shared_score"].notna().sum() == 61
    assert (u.loc[both.index, "shared_score"] - both["now"]).abs().max() < 1e-9
    assert (u.loc[both.index, "shared_change"] - (both["now"] - both["before"])).abs().max() < 1e-9
    change = (both["now"] - both["before"]).mean()
    for lang, words in (("en", f"is down {abs(change):.2f} percentage points from 2017"),
                        ("vi", f"giảm {abs(change):.2f}".replace(".", ",") + " điểm phần trăm")):
        findings = " ".join(Report(load_dataset(PAPI), 2018, lang, run_2018).findings())
        assert change < 0 and words in findings
        assert ("not like for like" if lang == "en" else "không tương đương") in findings


def test_each_year_publishes_its_own_components_and_cites_its_own_source(papi):
    for year, n, scale, scores in ((2016, 6, "6–60", "PAPI_2011-2016.xlsx"),
                                   (2024, 8, "8–80", "data/csv/2024.csv")):
        tables = compute_results(papi, year)
        en = Report(papi, year, "en", tables)
        components = text(en.components())
        assert ("E-governance" in components) == (n == 8)
        assert "Participation at local levels" in components
        methods = text(en.methods())
        assert f"PAPI {year} report" in methods and scores in methods
        assert en.own_scale["label_en"] == f"PAPI score ({scale})"
        vi = text(Report(papi, year, "vi", tables).methods())
        assert f"Báo cáo PAPI {year}" in vi


def test_the_ministries_methods_say_the_published_total_is_the_score():
    ds = load_dataset(ROOT / "data" / "par-ministries")
    tables = compute_results(ds, 2023)
    assert "17 of 17 units" in text(Report(ds, 2023, "en", tables).methods())
    assert "17/17 đơn vị" in text(Report(ds, 2023, "vi", tables).methods())
