"""A satisfaction-only dataset is first-class: no made-up index component, key findings, a
per-unit table (name, n, satisfied, %, interval), methods text about counts, not ballots."""
import re
from pathlib import Path

import pytest

from analysis.indices.results import compute_results
from analysis.inputs.dataset import load_dataset
from analysis.inputs.errors import InputError
from analysis.publication.report import SECTIONS, Report

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "units.csv").write_text((ROOT / "tests" / "corpus" / "valid" / "units.csv").read_text())
    (tmp_path / "dataset.yaml").write_text("name: satonly\ntitle_vi: Mức độ hài lòng\n"
                                           "title_en: Satisfaction\n", encoding="utf-8")
    (tmp_path / "satisfaction.csv").write_text("year,unit_id,n_respondents,n_satisfied\n2023,HN,100,90\n"
                                               "2023,HP,50,45\n2024,HN,120,100\n2024,HP,60,40\n")
    return tmp_path


def text(html) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.data))


def test_no_methodology_needed_and_the_report_leads_with_satisfaction(folder):
    ds = load_dataset(folder)
    tables = compute_results(ds, 2024)
    en, vi = Report(ds, 2024, "en", tables), Report(ds, 2024, "vi", tables)
    # pooled 2024: (100 + 40) / (120 + 60) = 77.78%; 2023: (90 + 45) / 150 = 90.00%
    findings = en.findings()
    assert findings[0].startswith("In 2024 overall satisfaction reached 77.78%, down 12.22 percentage "
                                  "points from 2023 (90.00%)")
    assert findings[1:] == ["Ha Noi ranks first with 83.33%.", "Hai Phong ranks last with 66.67%.",
                            "Satisfaction changed significantly from the previous year in 1 of 2 units."]
    assert vi.findings()[1] == "Hà Nội là đơn vị dẫn đầu với kết quả 83,33%."
    # one year only: no change to tell, the pooled rate itself
    first = Report(ds, 2023, "en", compute_results(ds, 2023)).findings()[0]
    assert first == "In 2023, 90.00% of the answers of the 2 units were satisfied."   # (90 + 45) / 150
    assert [s for s in SECTIONS if en.has(s)][:2] == ["summary", "satisfaction"]
    assert not en.has("ranking") and not en.has("components")
    table = text(en.satisfaction())
    assert "1 Ha Noi 120 100 83.33%" in table and "2 Hai Phong 60 40 66.67%" in table
    assert "ballot" not in text(en.methods()).lower().replace("min_ballots", "")   # the setting keeps its name
    assert "aggregated counts" in text(en.methods()) and "ballot-level" not in table


def test_index_scores_without_components_is_named(folder):
    (folder / "index_scores.csv").write_text("year,unit_id,component,points,max_points\n2024,HN,a,5,10\n")
    with pytest.raises(InputError) as err:
        load_dataset(folder)
    assert "index_scores.csv needs the index's components" in str(err.value)
