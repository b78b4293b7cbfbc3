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


# --- the series of a real dataset: PAPI 2011–2024 (method break in 2018) ---------------------

@pytest.fixture(scope="module")
def papi():
    from analysis.inputs.dataset import load_dataset
    from analysis.paths import DATA

    return load_dataset(DATA / "papi-provinces")


@pytest.fixture(scope="module")
def papi_series(papi):
    from analysis.indices.panel import panel_tables

    return panel_tables(papi, 2011, 2024)


def test_panel_units_stack_each_years_ranking(papi, papi_series):
    from analysis.indices.composite import index_units

    units = papi_series["panel_units"]
    assert list(units.columns) == ["unit_id", "year", "score", "points", "rank", "band",
                                   "like_for_like", "method"]
    assert sorted(units["year"].unique()) == list(range(2011, 2025))
    y2024 = units[units["year"] == 2024].set_index("unit_id")
    # PAPI 2024 (published): Quảng Ninh first of the 61 provinces assessed, 47.82 points
    assert y2024["rank"].max() == 61 and y2024.loc["22", "rank"] == 1
    assert round(y2024.loc["22", "points"], 2) == 47.82
    # the method changed in 2018: that year's comparison with 2017 is not like for like
    like = units.groupby("year")["like_for_like"].first()
    assert like[2018] == False and like[2019] == True and pd.isna(like[2011])  # noqa: E712
    same = index_units(papi, 2016).set_index("unit_id")
    assert (units[units["year"] == 2016].set_index("unit_id")["rank"] == same["rank"]).all()


def test_rank_persistence_of_papi_is_scipys_spearman_on_the_published_scores(papi, papi_series):
    from analysis.indices.composite import index_units

    a = index_units(papi, 2017).set_index("unit_id")["score"]
    b = index_units(papi, 2018).set_index("unit_id")["score"]
    both = pd.concat([a, b], axis=1).dropna()
    expected = stats.spearmanr(both.iloc[:, 0], both.iloc[:, 1])
    row = papi_series["panel_tests"].query("test == 'rank_persistence' and year == 2018").iloc[0]
    assert row["statistic"] == pytest.approx(expected.statistic)
    assert row["n"] == len(both) and row["method"] == "papi-2018"
    trends = papi_series["panel_tests"].query("test == 'sigma_trend'")
    assert trends["method"].tolist() == ["papi-2011", "papi-2018"]
    assert trends[["prev_year", "year"]].values.tolist() == [[2011, 2017], [2018, 2024]]


def test_a_span_without_two_years_of_scores_is_refused(papi):
    from analysis.indices.panel import series_years
    from analysis.inputs.errors import InputError

    with pytest.raises(InputError, match="fewer than two years"):
        series_years(papi, 2030, 2035)


def test_movers_are_the_largest_gains_and_losses_of_places():
    from analysis.indices.panel import movers

    units = pd.DataFrame({"unit_id": list("abcd") * 2, "year": [1] * 4 + [2] * 4,
                          "rank": [1, 2, 3, 4, 4, 1, 2, 3]})
    m = movers(units, 1, 2, n=1)
    assert m.values.tolist() == [["b", 2, 1, 1], ["a", 1, 4, -3]]


def test_the_series_report_marks_the_break_in_both_editions(papi, papi_series, tmp_path):
    from analysis.publication.series import publish_edition

    for lang, words in (("vi", ["Đường đứt nét đỏ", "không so sánh tương đương", "2017→2018"]),
                        ("en", ["Red dashed line", "not like for like", "2017→2018"])):
        publish_edition(papi, (2011, 2024), lang, papi_series, tmp_path / lang, ("html",))
        page = (tmp_path / lang / "report.html").read_text(encoding="utf-8")
        assert all(w in page for w in words), lang
        assert page.count("<figure") == 4
        assert len(list((tmp_path / lang / "figures").glob("*.svg"))) == 4


def test_the_series_pdf_is_tagged_and_carries_its_metadata(papi, papi_series, tmp_path):
    from pypdf import PdfReader

    from analysis.publication.series import publish_edition

    publish_edition(papi, (2011, 2024), "vi", papi_series, tmp_path, ("pdf",))
    reader = PdfReader(tmp_path / "report.pdf")
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "vi"
    meta = reader.metadata
    assert meta.title == "Chỉ số Hiệu quả Quản trị và Hành chính công cấp tỉnh (PAPI): giai đoạn 2011–2024"
    assert meta.author == "Nhóm phát triển PAR Reports"      # who prepared it, not the PAPI authors
    assert "2011–2024" in meta.subject
    cover = reader.pages[0].extract_text()
    for expected in ("BÁO CÁO GIAI ĐOẠN", "PAPI-2011-2024-VI",
                     "Trích dẫn: Nhóm phát triển PAR Reports", "Chỉ số: CECODES, VFF-CRT, RTA và UNDP",
                     "Không chính thức: điểm số 2017–2024", "https://papi.org.vn"):
        assert expected in cover, expected
    assert "THƯỜNG NIÊN" not in cover                   # a series is not an annual report
