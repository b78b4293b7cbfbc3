"""A year on new units compared with the previous year through the crosswalk (issue 14, item 8):
the previous score of a merged unit is the mean of its former units' scores weighted by the
crosswalk weight, not like for like; expected numbers worked by hand below."""
import pandas as pd
import pytest

from analysis.indices.composite import index_units
from analysis.inputs.dataset import load_dataset
from analysis.publication.report import Report

YAML = """name: merged
title_vi: Thử hợp nhất
title_en: Merger test
methodology:
  components:
    - {code: c1, label_vi: Phần 1, label_en: Part 1, max_points: 6}
    - {code: c2, label_vi: Phần 2, label_en: Part 2, max_points: 4}
"""
# A, B and (half of) G merge into N; D, E and the other half of G into M; C is unchanged.
UNITS = """unit_id,name_vi,name_en,group,region,valid_from,valid_to
A,Tỉnh A,Province A,p,,,2024
B,Tỉnh B,Province B,p,,,2024
C,Tỉnh C,Province C,p,,,
D,Tỉnh D,Province D,p,,,2024
E,Tỉnh E,Province E,p,,,2024
G,Tỉnh G,Province G,p,,,2024
N,Tỉnh N,Province N,p,,2025,
M,Tỉnh M,Province M,p,,2025,
"""
CROSSWALK = """from_unit_id,to_unit_id,effective_year,weight,effective_from
A,N,2025,1,2025-07-01
B,N,2025,1,2025-07-01
G,N,2025,0.5,2025-07-01
D,M,2025,1,2025-07-01
E,M,2025,1,2025-07-01
G,M,2025,0.5,2025-07-01
"""
# points (c1 of 6, c2 of 4); score = 100 × (c1 + c2) ÷ 10
POINTS = {2024: {"A": (5, 3), "B": (3, 3), "C": (4, 3), "D": (5, 4), "E": ("", 2), "G": (3, 2)},
          2025: {"N": (5, 2), "C": (4, 4), "M": (3, 3)}}


def write_merged(folder):
    """The dataset above written to `folder` (also used by test_report's catalog check)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dataset.yaml").write_text(YAML, encoding="utf-8")
    (folder / "units.csv").write_text(UNITS, encoding="utf-8")
    (folder / "crosswalk.csv").write_text(CROSSWALK, encoding="utf-8")
    lines = ["year,unit_id,component,points,max_points"]
    for year, units in POINTS.items():
        for unit, (c1, c2) in units.items():
            lines += [f"{year},{unit},c1,{c1},6", f"{year},{unit},c2,{c2},4"]
    (folder / "index_scores.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def merged(tmp_path):
    return load_dataset(write_merged(tmp_path))


def test_previous_score_of_a_merged_unit_is_the_crosswalk_weighted_mean(merged):
    u = index_units(merged, 2025).set_index("unit_id")
    assert u.index.tolist() == ["C", "M", "N"]
    # 2025: C 80, M 60, N 70 -> ranks 1, 3, 2
    assert u["score"].tolist() == [80.0, 60.0, 70.0]
    assert u["rank"].tolist() == [1, 3, 2]
    # 2024 restated: C its own 70; N = (1·80 + 1·60 + 0.5·50) ÷ 2.5 = 165 ÷ 2.5 = 66;
    # M none: E had no 2024 score (a gap is not filled in)
    assert u.at["C", "score_prev"] == pytest.approx(70.0)
    assert u.at["N", "score_prev"] == pytest.approx(66.0)
    assert pd.isna(u.at["M", "score_prev"])
    assert u.at["N", "change"] == pytest.approx(4.0) and u.at["C", "change"] == pytest.approx(10.0)
    # previous ranks among the 2025 units' restated scores: C 70 -> 1, N 66 -> 2, M none
    assert u["rank_prev"].tolist() == [1, pd.NA, 2]
    assert u.at["C", "rank_change"] == 0 and u.at["N", "rank_change"] == 0
    assert u["like_for_like"].tolist() == [True, False, False]
    assert u["prev_from"].tolist() == ["", "D+E+G", "A+B+G"]
    assert set(u["prev_year"]) == {2024}


def test_the_year_before_the_merger_is_untouched(merged):
    u = index_units(merged, 2024).set_index("unit_id")
    assert u["score"].dropna().to_dict() == pytest.approx(
        {"A": 80.0, "B": 60.0, "C": 70.0, "D": 90.0, "G": 50.0})
    assert (u["prev_from"] == "").all() and u["score_prev"].isna().all()


@pytest.mark.parametrize("lang, words", [
    ("vi", ["2 đơn vị năm 2025 được hợp nhất từ các đơn vị cũ", "trọng số bằng nhau",
            "không tương đương", "không có điểm năm 2024 (vì ít nhất một đơn vị cũ hợp thành không có điểm năm đó): 1."]),
    ("en", ["2 units of 2025 were formed by merging former units", "equal weights",
            "not like for like", "Merged units without a 2024 score (at least one of their former units had none that year): 1."])])
def test_the_page_says_how_the_previous_year_was_restated(merged, lang, words):
    from analysis.indices.results import compute_results

    tables = compute_results(merged, 2025)
    report = Report(merged, 2025, lang, tables)
    assert not report.like_for_like()
    page = report.change().data + " ".join(report.index_findings())
    for w in words:
        assert w in page, w
    assert "Tỉnh N †" in page if lang == "vi" else "Province N †" in page   # marked in the movers
    assert str(tables["gaps"]["like_for_like"].iloc[0]).lower() == "false"


def test_the_profile_of_a_merged_unit_says_so(merged):
    from analysis.indices.panel import profile_tables
    from analysis.indices.results import compute_results
    from analysis.publication.unit_profiles import Profiles

    book = Profiles(merged, 2025, compute_results(merged, 2025), profile_tables(merged, 2025))
    # N: 70 − 66 = +4 percent of 10 points = +0.40 points
    assert book.change_text("N", "en") == ("+0.40 points on the 2024 score restated from its former "
                                           "units (mean weighted by the crosswalk); not like for like")
    assert book.change_text("N", "vi").startswith("+0,40 điểm so với điểm năm 2024 tính lại")
    assert book.change_text("C", "en").startswith("+1.00 points on 2024")
