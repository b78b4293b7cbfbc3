import math

import numpy as np
import pandas as pd
import pytest

from analysis.stats.funnel import funnel_limits, funnel_table

# published normal quantiles for two-sided 95% and 99.8% limits
Z95, Z998 = 1.959964, 3.090232

CONTRACT_COLUMNS = ["unit_id", "metric", "n", "p", "p0", "lower95", "upper95", "lower998", "upper998", "outside"]


def test_limits_by_hand():
    n = np.array([49.0, 100.0, 2500.0])
    got = funnel_limits(n, 0.8)
    for i, size in enumerate(n):
        se = math.sqrt(0.8 * 0.2 / size)
        assert got["lower95"][i] == pytest.approx(0.8 - Z95 * se, abs=1e-7)
        assert got["upper95"][i] == pytest.approx(0.8 + Z95 * se, abs=1e-7)
        assert got["lower998"][i] == pytest.approx(0.8 - Z998 * se, abs=1e-7)
        assert got["upper998"][i] == pytest.approx(0.8 + Z998 * se, abs=1e-7)
    # n = 100: se = 0.04, 99.8% limits 0.8 -/+ 0.1236093
    assert got["upper998"][1] == pytest.approx(0.9236093, abs=1e-7)


def test_limits_clipped_and_undefined():
    got = funnel_limits(np.array([4.0, 0.0]), 0.95)
    # n = 4: se = sqrt(0.0475)/2 = 0.108972; 0.95 + 1.96 se > 1
    assert got["upper95"][0] == 1.0 and got["upper998"][0] == 1.0
    assert got["lower998"][0] == pytest.approx(0.95 - Z998 * math.sqrt(0.95 * 0.05 / 4), abs=1e-7)
    assert all(np.isnan(v[1]) for v in got.values())
    assert sorted(funnel_limits(10.0, 0.5, levels=(0.9,))) == ["lower90", "upper90"]


def test_worked_table():
    units = pd.DataFrame({"unit_id": ["C", "A", "B", "D"], "n": [200, 100, 1000, 0], "x": [120, 95, 700, 0]})
    table = funnel_table(units, "satisfaction")
    assert list(table.columns) == CONTRACT_COLUMNS
    assert table["unit_id"].tolist() == ["A", "B", "C", "D"]
    assert (table["metric"] == "satisfaction").all()
    # p0 = (95 + 700 + 120) / (100 + 1000 + 200) = 915 / 1300 = 0.7038462
    assert table["p0"].iloc[0] == pytest.approx(0.7038462, abs=1e-7)
    # A: 0.95 against upper998 = 0.7038462 + 3.090232 * sqrt(0.7038462 * 0.2961538 / 100) = 0.8449337
    assert table["upper998"].iloc[0] == pytest.approx(0.8449337, abs=1e-6)
    # C: 0.60 against lower998 = 0.7038462 - 3.090232 * sqrt(... / 200) = 0.6040822
    assert table["lower998"].iloc[2] == pytest.approx(0.6040822, abs=1e-6)
    assert table["outside"].tolist() == ["above", "", "below", ""]
    assert np.isnan(table["p"].iloc[3]) and np.isnan(table["upper95"].iloc[3])
    assert table["p"].iloc[:3].tolist() == [0.95, 0.7, 0.6]


def test_inside_95_outside_998_is_not_flagged():
    # p0 = 0.5 over 2 x 400; unit X at 0.56 (n = 400, se = 0.025): z = 2.4 -> outside 95%, inside 99.8%
    units = pd.DataFrame({"unit_id": ["X", "Y"], "n": [400.0, 400.0], "x": [224.0, 176.0]})
    table = funnel_table(units, "satisfaction")
    x = table.iloc[0]
    assert x["p"] > x["upper95"] and x["p"] < x["upper998"]
    assert table["outside"].tolist() == ["", ""]


def test_duplicate_unit_rejected():
    with pytest.raises(ValueError):
        funnel_table(pd.DataFrame({"unit_id": ["A", "A"], "n": [1, 2], "x": [0, 1]}), "satisfaction")
