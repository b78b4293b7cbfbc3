"""Index tables against hand-worked values and against the published source files."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.dataset import load_dataset
from analysis.index import index_groups, index_units
from analysis.results import compute_results

ROOT = Path(__file__).resolve().parents[1]
YAML = """name: hand
title_vi: Thử
title_en: Test
methodology:
  components:
    - {code: a, label_vi: A, label_en: A, max_points: 60}
    - {code: b, label_vi: B, label_en: B, max_points: 40}
bands:
  - {min_score: 90, label_vi: Giỏi, label_en: Top}
  - {min_score: 80, label_vi: Khá, label_en: Mid}
  - {min_score: 0, label_vi: Thấp, label_en: Low}
"""
UNITS = """unit_id,name_vi,name_en,group,region,valid_from,valid_to
U1,Một,One,g1,r1,,
U2,Hai,Two,g1,r2,,
U3,Ba,Three,g2,r1,,
U4,Bốn,Four,g2,r2,,
U5,Năm,Five,g2,,,
"""
# 2024 points (a, b) and hand-worked index = a + b (maxima add to 100):
# U1 55+36=91, U2 50+35=85, U3 48+37=85, U4 40+30=70, U5 a blank -> no index
SCORES = """year,unit_id,component,points,max_points
2023,U1,a,50,60
2023,U1,b,30,40
2023,U2,a,52,60
2023,U2,b,36,40
2023,U3,a,45,60
2023,U3,b,30,40
2023,U4,a,41,60
2023,U4,b,30,40
2024,U1,a,55,60
2024,U1,b,36,40
2024,U2,a,50,60
2024,U2,b,35,40
2024,U3,a,48,60
2024,U3,b,37,40
2024,U4,a,40,60
2024,U4,b,30,40
2024,U5,a,,60
2024,U5,b,20,40
"""


@pytest.fixture
def hand(tmp_path):
    (tmp_path / "dataset.yaml").write_text(YAML, encoding="utf-8")
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    (tmp_path / "index_scores.csv").write_text(SCORES, encoding="utf-8")
    return load_dataset(tmp_path)


def test_scores_ranks_bands_and_change_by_hand(hand):
    u = index_units(hand, 2024).set_index("unit_id")
    assert u["score"].tolist()[:4] == [91.0, 85.0, 85.0, 70.0] and np.isnan(u.at["U5", "score"])
    assert u["rank"].tolist()[:4] == [1, 2, 2, 4] and pd.isna(u.at["U5", "rank"])
    assert u["rank_in_group"].tolist()[:4] == [1, 2, 1, 2]
    assert u["rank_in_region"].tolist()[:4] == [1, 1, 2, 2] and pd.isna(u.at["U5", "rank_in_region"])
    assert u["band"].tolist()[:4] == ["Top", "Mid", "Mid", "Low"]
    assert u["band_vi"].tolist()[:4] == ["Giỏi", "Khá", "Khá", "Thấp"]
    # 2023: U1 80, U2 88, U3 75, U4 71 -> ranks 2, 1, 3, 4
    assert u["score_prev"].tolist()[:4] == [80.0, 88.0, 75.0, 71.0]
    assert u["change"].tolist()[:4] == [11.0, -3.0, 10.0, -1.0]
    assert u["rank_prev"].tolist()[:4] == [2, 1, 3, 4]


def test_group_statistics_by_hand(hand):
    g = index_groups(index_units(hand, 2024)).set_index(["scope", "key"])
    overall = g.loc[("all", "")]
    assert overall["n_units"] == 4 and overall["n_missing"] == 1
    assert overall["mean"] == pytest.approx(82.75) and overall["median"] == pytest.approx(85)
    # sample SD of 91, 85, 85, 70: deviations 8.25, 2.25, 2.25, -12.75 -> SS 240.75, /3
    assert overall["sd"] == pytest.approx((240.75 / 3) ** 0.5)
    assert (overall["min"], overall["max"]) == (70, 91)
    assert g.loc[("group", "g2"), "mean"] == pytest.approx(77.5)
    assert g.loc[("region", "r1"), "mean"] == pytest.approx(88)


def test_quantile_bands(hand):
    raw = dict(hand.config.raw)
    raw["bands"] = [{"min_quantile": 0.5, "label_vi": "Trên", "label_en": "Upper"},
                    {"min_quantile": 0, "label_vi": "Dưới", "label_en": "Lower"}]
    hand.config = type(hand.config)(raw)
    u = index_units(hand, 2024).set_index("unit_id")
    # median of 91, 85, 85, 70 is 85: units at or above it are "Upper"
    assert u["band"].tolist()[:4] == ["Upper", "Upper", "Upper", "Lower"]


def test_papi_totals_equal_the_published_totals():
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    source = pd.read_csv(ROOT / "data" / "papi-provinces" / "sources" / "papi_provinces_2011_2016.csv",
                         dtype={"province_code": str})
    for year in (2011, 2016):
        u = index_units(ds, year).set_index("unit_id")
        rows = source[source["year"] == year]
        published = rows.set_index(rows["province_code"].str.zfill(2))["score"]
        ours = (u["score"] * 60 / 100).reindex(published.index)
        assert (ours - published).abs().max() < 5e-4
        assert u["rank"].notna().sum() == 63


def test_papi_2014_gaps_are_kept_and_reported():
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    results = compute_results(ds, 2014)
    u = results["index_units"].set_index("unit_id")
    for unit in ("24", "87"):   # Bắc Giang, Đồng Tháp: blank in the source
        assert np.isnan(u.at[unit, "score"]) and pd.isna(u.at[unit, "rank"])
    assert u["rank"].notna().sum() == 61
    assert set(results["rejected"]["unit_id"]) == {"24", "87"}
    assert set(results["rejected"]["reason"]) == {"missing_points"}


def test_ministries_reconcile_with_the_published_table():
    results = compute_results(load_dataset(ROOT / "data" / "par-ministries"), 2023)
    rec = results["reconciliation"]
    ranks = rec[rec["metric"] == "rank"]
    assert len(ranks) == 17 and ranks["matches"].all()
    mean = rec[(rec["scope"] == "all") & (rec["metric"] == "index")].iloc[0]
    assert mean["published"] == 84.38 and mean["matches"]
    # The README lists the 9 ministries whose published parts do not add up to their total.
    off = rec[(rec["metric"] == "index") & (rec["scope"] == "unit") & ~rec["matches"]]
    assert sorted(off["key"]) == sorted(["MOJ", "SBV", "MOHA", "MONRE", "MARD", "MOLISA", "MOCST",
                                         "MOST", "MOFA"])
    assert (off["difference"].abs() - 0.01).abs().max() < 1e-9
