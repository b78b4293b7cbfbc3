import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.stats.panel import COLUMNS, panel_tests

# Five units over four years; years 2017 → 2018 cross a method break (v1 → v2).
WIDE = pd.DataFrame({
    2016: [50.0, 40.0, 30.0, 20.0, 10.0],
    2017: [48.0, 42.0, 29.0, 25.0, 12.0],
    2018: [30.0, 45.0, 35.0, 20.0, np.nan],
    2019: [33.0, 44.0, 34.0, 21.0, 15.0],
}, index=["a", "b", "c", "d", "e"])
METHODS = {2016: "v1", 2017: "v1", 2018: "v2", 2019: "v2"}


def _rows(table, test):
    return table[table["test"] == test].set_index("year")


def test_rank_persistence_is_spearman_by_the_textbook_formula():
    """ρ = 1 − 6 Σd² ⁄ (n (n² − 1)) without ties (Spearman 1904). 2016 → 2017: same order,
    ρ = 1. 2017 → 2018 over a–d: ranks (1, 2, 3, 4) and (3, 1, 2, 4), Σd² = 4 + 1 + 1 + 0 = 6,
    ρ = 1 − 36 ⁄ 60 = 0.4."""
    table = panel_tests(WIDE, METHODS, 0.05)
    assert list(table.columns) == COLUMNS
    rows = _rows(table, "rank_persistence")
    assert rows.loc[2017, "statistic"] == pytest.approx(1.0)
    assert rows.loc[2018, ["statistic", "n", "prev_year", "method"]].tolist() == [
        pytest.approx(0.4), 4, 2017, "v2"]
    # the t approximation's p-value: t = ρ √((n − 2) ⁄ (1 − ρ²)), n − 2 df
    t = 0.4 * math.sqrt(2 / (1 - 0.16))
    assert rows.loc[2018, "p_value"] == pytest.approx(2 * stats.t.sf(t, 2))


def test_sigma_convergence_uses_the_balanced_panel_and_fits_no_trend_across_a_break():
    table = panel_tests(WIDE, METHODS, 0.05)
    sd = _rows(table, "sigma_sd")
    # unit e misses 2018: the balanced panel is a–d every year
    assert (sd["n"] == 4).all()
    for year in WIDE.columns:
        values = WIDE.loc[["a", "b", "c", "d"], year]
        mean = values.mean()
        by_hand = math.sqrt(((values - mean) ** 2).sum() / 3)
        assert sd.loc[year, "statistic"] == pytest.approx(by_hand)
        assert _rows(table, "sigma_cv").loc[year, "statistic"] == pytest.approx(by_hand / mean)
    # each version has two years only: no trend is fitted
    trend = table[table["test"] == "sigma_trend"]
    assert trend["method"].tolist() == ["v1", "v2"]
    assert trend["statistic"].isna().all() and trend["n"].tolist() == [2, 2]


def test_sigma_trend_is_the_least_squares_slope_with_its_t_interval():
    """SD falling 10, 8, 7, 5 over four years: slope Σ(x−x̄)(y−ȳ) ⁄ Σ(x−x̄)² by hand."""
    rng = np.random.default_rng(0)
    base = rng.normal(size=40)
    wide = pd.DataFrame({2020 + i: 50 + s * base for i, s in enumerate([10, 8, 7, 5])})
    table = panel_tests(wide, {y: "only" for y in wide.columns}, 0.05)
    trend = table[table["test"] == "sigma_trend"].iloc[0]
    x = np.array([2020, 2021, 2022, 2023.0])
    y = np.array([10, 8, 7, 5.0]) * base.std(ddof=1)
    slope = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
    residuals = y - (y.mean() + slope * (x - x.mean()))
    se = math.sqrt((residuals ** 2).sum() / 2 / ((x - x.mean()) ** 2).sum())
    assert trend["statistic"] == pytest.approx(slope)
    assert (trend["year"], trend["prev_year"], trend["n"]) == (2023, 2020, 4)
    assert trend["ci_low"] == pytest.approx(slope - stats.t.ppf(0.975, 2) * se)
    assert trend["p_value"] == pytest.approx(2 * stats.t.sf(abs(slope / se), 2))


def test_too_few_units_give_empty_rows_not_errors():
    wide = WIDE.loc[["a", "b"]]
    table = panel_tests(wide, METHODS, 0.05)
    assert table["statistic"].isna().all()
    assert len(table) == 3 + 2 * 4 + 2
