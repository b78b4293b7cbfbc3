"""Year-over-year satisfaction from counts, against hand-worked values."""
import math

import pytest

from analysis.inputs.dataset import load_dataset
from analysis.indices.results import compute_results

YAML = """name: sat
title_vi: Thử
title_en: Test
methodology:
  components: [{code: total, label_vi: Tổng, label_en: Total, max_points: 100}]
bootstrap: 200
seed: 3
"""
UNITS = "unit_id,name_vi,name_en,group,region,valid_from,valid_to\nA,A,A,g,,,\nB,B,B,g,,,\n"
COUNTS = """year,unit_id,n_respondents,n_satisfied
2022,A,200,150
2023,A,200,170
2022,B,100,90
2023,B,100,90
"""


def wilson(x, n, z=1.959963984540054):
    p = x / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


@pytest.fixture
def yoy(tmp_path):
    (tmp_path / "dataset.yaml").write_text(YAML, encoding="utf-8")
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    (tmp_path / "satisfaction.csv").write_text(COUNTS, encoding="utf-8")
    return compute_results(load_dataset(tmp_path), 2023)["satisfaction_yoy"].set_index("unit_id")


def test_unit_change_by_hand(yoy):
    a = yoy.loc["A"]
    assert a["diff"] == pytest.approx(0.10)
    # pooled p = 320/400 = 0.8; se = sqrt(0.8·0.2·(1/200 + 1/200)) = 0.04; z = 2.5
    assert a["p_value"] == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(2.5 / math.sqrt(2)))), rel=1e-6)
    # Newcombe (1998) method 10 from the two Wilson intervals, written out
    l1, u1 = wilson(170, 200)
    l0, u0 = wilson(150, 200)
    low = 0.10 - math.sqrt((0.85 - l1) ** 2 + (u0 - 0.75) ** 2)
    high = 0.10 + math.sqrt((u1 - 0.85) ** 2 + (0.75 - l0) ** 2)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((low, high), rel=1e-9)


def test_population_row_pools_the_counts_and_bh_adjusts_units(yoy):
    whole = yoy.loc[""]
    assert whole["p"] == pytest.approx(260 / 300) and whole["p_prev"] == pytest.approx(240 / 300)
    # B did not change: p = 1; BH over two units: A's adjusted p = min(1, 2/1 · p_A)
    assert yoy.loc["B", "p_value"] == pytest.approx(1.0)
    assert yoy.loc["A", "p_adjusted"] == pytest.approx(2 * yoy.loc["A", "p_value"])
    assert yoy.loc["A", "significant"] and not yoy.loc["B", "significant"]


def test_fcr_interval_for_the_selected_unit(yoy):
    # A alone is selected by BH (R = 1 of m = 2): its interval at 1 - 0.05 · 1/2 (Benjamini &
    # Yekutieli 2005), Newcombe's method 10 with z = Φ⁻¹(1 - 0.0125) = 2.241403
    z = 2.241402727604947
    l1, u1 = wilson(170, 200, z)
    l0, u0 = wilson(150, 200, z)
    a = yoy.loc["A"]
    assert a["ci_low_fcr"] == pytest.approx(0.10 - math.sqrt((0.85 - l1) ** 2 + (u0 - 0.75) ** 2), rel=1e-9)
    assert a["ci_high_fcr"] == pytest.approx(0.10 + math.sqrt((u1 - 0.85) ** 2 + (0.75 - l0) ** 2), rel=1e-9)
    assert math.isnan(yoy.loc["B", "ci_low_fcr"]) and math.isnan(yoy.loc["", "ci_low_fcr"])


def test_no_significance_verdict_across_a_method_change(tmp_path):
    survey = ("survey:\n  collection:\n    2022: {method: paper, label_vi: Giấy, label_en: Paper}\n"
              "    2023: {method: app, label_vi: Ứng dụng, label_en: App}\n")
    (tmp_path / "dataset.yaml").write_text(YAML + survey, encoding="utf-8")
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    (tmp_path / "satisfaction.csv").write_text(COUNTS, encoding="utf-8")
    yoy = compute_results(load_dataset(tmp_path), 2023)["satisfaction_yoy"].set_index("unit_id")
    assert not yoy["like_for_like"].any()
    assert yoy["significant"].isna().all() and yoy["ci_low_fcr"].isna().all()
    assert yoy.loc["A", "p_adjusted"] < 0.05  # the test itself is still there to read


def test_units_below_the_minimum_sample_are_not_named(tmp_path):
    (tmp_path / "dataset.yaml").write_text(YAML + "min_ballots: 150\n", encoding="utf-8")
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    (tmp_path / "satisfaction.csv").write_text(COUNTS, encoding="utf-8")
    results = compute_results(load_dataset(tmp_path), 2023)
    gap = results["gaps"].set_index("metric").loc["satisfaction"]
    assert gap["n"] == 1 and math.isnan(gap["gap"]) and gap["leader_unit"] is None  # B has 100
    ranks = results["rank_intervals"].set_index("unit_id")
    assert ranks["eligible"].tolist() == [True, False] and ranks["n_sample"].tolist() == [200, 100]


def test_bad_minimum_sample_is_an_input_error(tmp_path):
    from analysis.inputs.errors import InputError

    (tmp_path / "dataset.yaml").write_text(YAML + "min_ballots: many\n", encoding="utf-8")
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    (tmp_path / "satisfaction.csv").write_text(COUNTS, encoding="utf-8")
    with pytest.raises(InputError, match="min_ballots"):
        compute_results(load_dataset(tmp_path), 2023)


def test_element_balanced_rate_by_hand():
    import pandas as pd

    from analysis.indices.satisfaction import element_balanced

    # unit A: access 90/100, staff 1/2 -> pooled 91/102 = 0.892, balanced (0.9 + 0.5)/2 = 0.7
    elements = pd.DataFrame({"unit_id": ["A", "A", "B"], "element": ["access", "staff", "access"],
                             "n_valid": [100, 2, 0], "n_satisfied": [90, 1, 0], "p": [0.9, 0.5, float("nan")]})
    got = element_balanced(elements)
    assert got["A"] == pytest.approx(0.7) and math.isnan(got["B"])
