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
