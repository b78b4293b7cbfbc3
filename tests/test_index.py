"""Index tables against hand-worked values and against the published source files."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.inputs.dataset import load_dataset
from analysis.inputs.errors import InputError
from analysis.indices.composite import assign_bands, index_groups, index_units
from analysis.indices.results import compute_results

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
    assert set(results["rejected"]["year"]) == {2014}   # the year of the blank rows, shown in the audit trail


def test_ministries_score_is_the_published_total_and_the_parts_agree_within_rounding():
    """Issue 12: the published total is the ministry's score and rank (Bộ Tư pháp 89.95, not the
    89.96 of its rounded parts); appraisal + survey is within the parts' rounding of it for all
    17 (README "Check": 9 differ by 0.01, within 3 × 0.005)."""
    results = compute_results(load_dataset(ROOT / "data" / "par-ministries"), 2023)
    u = results["index_units"].set_index("unit_id")
    assert u.at["MOJ", "points"] == 89.95 and u.at["MOJ", "score"] == 89.95 and u.at["MOJ", "rank"] == 1
    assert u.at["MOJ", "points_parts"] == pytest.approx(61.86 + 28.10)
    assert u["parts_agree"].all()
    off = (u["points_parts"] - u["points"]).round(6)
    assert sorted(off[off != 0].index) == sorted(["MOJ", "SBV", "MOHA", "MONRE", "MARD", "MOLISA",
                                                  "MOCST", "MOST", "MOFA"])
    assert (off.abs() <= 0.01 + 1e-9).all()
    rec = results["reconciliation"]
    assert rec["matches"].all()
    assert "total" not in set(results["index_components"]["component"])


def test_parts_farther_from_the_total_than_their_rounding_do_not_agree(tmp_path):
    (tmp_path / "dataset.yaml").write_text(YAML, encoding="utf-8")
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    (tmp_path / "index_scores.csv").write_text(
        "year,unit_id,component,points,max_points\n"
        "2024,U1,a,50.12,60\n2024,U1,b,30.11,40\n2024,U1,total,80.24,100\n"   # off 0.01 ≤ 3 × 0.005
        "2024,U2,a,50.1,60\n2024,U2,b,30.1,40\n2024,U2,total,80.30,100\n"     # off 0.1 ≤ 0.05 + 0.05 + 0.005
        "2024,U3,a,50.12,60\n2024,U3,b,30.11,40\n2024,U3,total,80.26,100\n",  # off 0.03 > 0.015
        encoding="utf-8")
    u = index_units(load_dataset(tmp_path), 2024).set_index("unit_id")
    assert u["score"].tolist() == [80.24, 80.30, 80.26]
    assert u["rank"].tolist() == [3, 1, 2]
    assert u["parts_agree"].tolist() == [True, True, False]


# --- A second hand-worked dataset: two groups, two regions, two years, bands of both kinds --------
# Components c1 (max 60) and c2 (max 40); index = 100 × (c1 + c2) ÷ 100. B2's parts are 50% and
# 100%: its index is 70, not the 75 a mean of the two percentages would give.
#
#            group region | 2023 c1+c2 = index | 2024 c1+c2 = index
#   A1       g1    north  |  42  +33   = 75    |  54   +36    = 90
#   A2       g1    north  |  51  +34   = 85    |  45.5 +34.5  = 80   (tie with B1)
#   B1       g2    north  |  39  +21   = 60    |  50.25+29.75 = 80   (tie with A2)
#   B2       g2    south  |  33  +32   = 65    |  30   +40    = 70
#   B3       g2    south  |  48  +24   = 72    |  40   + blank -> no index
TWO_YEARS_UNITS = """unit_id,name_vi,name_en,group,region,valid_from,valid_to
A1,Đơn vị A1,Unit A1,g1,north,,
A2,Đơn vị A2,Unit A2,g1,north,,
B1,Đơn vị B1,Unit B1,g2,north,,
B2,Đơn vị B2,Unit B2,g2,south,,
B3,Đơn vị B3,Unit B3,g2,south,,
"""
TWO_YEARS_POINTS = {2023: {"A1": (42, 33), "A2": (51, 34), "B1": (39, 21), "B2": (33, 32), "B3": (48, 24)},
                    2024: {"A1": (54, 36), "A2": (45.5, 34.5), "B1": (50.25, 29.75), "B2": (30, 40),
                           "B3": (40, "")}}
FIXED_BANDS = """bands:
  - {min_score: 90, label_vi: Cao, label_en: Top}
  - {min_score: 80, label_vi: Khá, label_en: Mid}
  - {min_score: 0, label_vi: Thấp, label_en: Low}
"""
QUANTILE_BANDS = """bands:
  - {min_quantile: 0.8, label_vi: Nhóm 4, label_en: Q4}
  - {min_quantile: 0.6, label_vi: Nhóm 3, label_en: Q3}
  - {min_quantile: 0.3, label_vi: Nhóm 2, label_en: Q2}
  - {min_quantile: 0, label_vi: Nhóm 1, label_en: Q1}
"""


def two_years(folder: Path, bands: str):
    folder.mkdir()
    (folder / "dataset.yaml").write_text(
        "name: two-years\ntitle_vi: Hai năm\ntitle_en: Two years\nmethodology:\n  components:\n"
        "    - {code: c1, label_vi: Phần 1, label_en: Part 1, max_points: 60}\n"
        "    - {code: c2, label_vi: Phần 2, label_en: Part 2, max_points: 40}\n" + bands,
        encoding="utf-8")
    (folder / "units.csv").write_text(TWO_YEARS_UNITS, encoding="utf-8")
    lines = ["year,unit_id,component,points,max_points"]
    for year, units in TWO_YEARS_POINTS.items():
        for unit, (c1, c2) in units.items():
            lines += [f"{year},{unit},c1,{c1},60", f"{year},{unit},c2,{c2},40"]
    (folder / "index_scores.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_dataset(folder)


def column(table: pd.DataFrame, name: str) -> list:
    """The column in unit order A1, A2, B1, B2, B3, with None for a missing value."""
    assert table["unit_id"].tolist() == ["A1", "A2", "B1", "B2", "B3"]
    return [None if pd.isna(v) else v for v in table[name]]


def test_two_years_scores_ranks_and_change(tmp_path):
    u = index_units(two_years(tmp_path / "d", FIXED_BANDS), 2024)
    assert column(u, "score") == [90.0, 80.0, 80.0, 70.0, None]
    assert column(u, "points") == [90.0, 80.0, 80.0, 70.0, None]
    assert column(u, "max_points") == [100.0] * 5
    assert column(u, "rank") == [1, 2, 2, 4, None]            # ties share the smallest rank
    assert column(u, "rank_in_group") == [1, 2, 1, 2, None]   # g1: 90, 80; g2: 80, 70, -
    assert column(u, "rank_in_region") == [1, 2, 2, 1, None]  # north: 90, 80, 80; south: 70, -
    # fixed bands: a unit's band is the first whose min_score <= score (A1 is exactly 90)
    assert column(u, "band") == ["Top", "Mid", "Mid", "Low", None]
    assert column(u, "band_vi") == ["Cao", "Khá", "Khá", "Thấp", None]
    # 2023: A1 75, A2 85, B1 60, B2 65, B3 72 -> ranks 2, 1, 5, 4, 3
    assert column(u, "score_prev") == [75.0, 85.0, 60.0, 65.0, 72.0]
    assert column(u, "change") == [15.0, -5.0, 20.0, 5.0, None]
    assert column(u, "rank_prev") == [2, 1, 5, 4, 3]
    assert set(u["prev_year"]) == {2023}


def test_first_year_has_no_previous(tmp_path):
    u = index_units(two_years(tmp_path / "d", FIXED_BANDS), 2023)
    assert column(u, "score") == [75.0, 85.0, 60.0, 65.0, 72.0]
    assert column(u, "rank") == [2, 1, 5, 4, 3]
    assert column(u, "band") == ["Low", "Mid", "Low", "Low", "Low"]
    assert column(u, "score_prev") == [None] * 5 and column(u, "rank_prev") == [None] * 5
    assert column(u, "change") == [None] * 5


def test_quantile_bands_use_linear_quantiles_of_the_scored_units(tmp_path):
    ds = two_years(tmp_path / "d", QUANTILE_BANDS)
    # 2024, scored units only (B3 has no index): 70, 80, 80, 90; position q × (4 − 1):
    #   q 0.8 -> 2.4 -> 80 + 0.4 × (90 − 80) = 84;  q 0.6 -> 1.8 -> 80 + 0.8 × 0 = 80
    #   q 0.3 -> 0.9 -> 70 + 0.9 × (80 − 70) = 79;  q 0   -> 70
    assert column(index_units(ds, 2024), "band") == ["Q4", "Q3", "Q3", "Q1", None]
    # 2023: 60, 65, 72, 75, 85; position q × (5 − 1):
    #   q 0.8 -> 3.2 -> 75 + 0.2 × 10 = 77;  q 0.6 -> 2.4 -> 72 + 0.4 × 3 = 73.2
    #   q 0.3 -> 1.2 -> 65 + 0.2 × 7 = 66.4; q 0   -> 60
    # (A1 = 75 is Q3, not Q4: the lower order statistic, 75, is not the 0.8 threshold;
    #  B3 = 72 is Q2, not Q3: 72 < 73.2.)
    u = index_units(ds, 2023)
    assert column(u, "band") == ["Q3", "Q4", "Q1", "Q1", "Q2"]
    assert column(u, "band_vi") == ["Nhóm 3", "Nhóm 4", "Nhóm 1", "Nhóm 1", "Nhóm 2"]


def test_two_years_group_statistics(tmp_path):
    g = index_groups(index_units(two_years(tmp_path / "d", FIXED_BANDS), 2024))
    assert list(zip(g["scope"], g["key"])) == [("all", ""), ("group", "g1"), ("group", "g2"),
                                               ("region", "north"), ("region", "south")]
    expected = {  # n_units, n_missing, mean, median, sd (n − 1), min, max
        # 90, 80, 80, 70: deviations 10, 0, 0, −10 -> SS 200, ÷ 3
        ("all", ""): (4, 1, 80, 80, (200 / 3) ** 0.5, 70, 90),
        ("group", "g1"): (2, 0, 85, 85, 50 ** 0.5, 80, 90),       # 90, 80: SS 50, ÷ 1
        ("group", "g2"): (2, 1, 75, 75, 50 ** 0.5, 70, 80),       # 80, 70 (B3 missing)
        # 90, 80, 80: mean 250/3, deviations 20/3, −10/3, −10/3 -> SS 600/9, ÷ 2
        ("region", "north"): (3, 0, 250 / 3, 80, (600 / 9 / 2) ** 0.5, 80, 90),
        ("region", "south"): (1, 1, 70, 70, None, 70, 70),        # one unit: no SD
    }
    for row in g.itertuples():
        n, missing, mean, median, sd, lo, hi = expected[(row.scope, row.key)]
        assert (row.n_units, row.n_missing) == (n, missing)
        assert (row.mean, row.median, row.min, row.max) == pytest.approx((mean, median, lo, hi))
        assert np.isnan(row.sd) if sd is None else row.sd == pytest.approx(sd)


def test_a_unit_without_a_component_row_has_no_index(tmp_path):
    folder = tmp_path / "d"
    two_years(folder, FIXED_BANDS)
    path = folder / "index_scores.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("2024,B2,c2,40,40\n", ""), encoding="utf-8")
    try:
        ds = load_dataset(folder)
    except InputError as err:  # refusing the file is an acceptable fix too
        assert any(p.row is None or "B2" in p.message for p in err.problems)
        return
    assert np.isnan(index_units(ds, 2024).set_index("unit_id").at["B2", "score"])  # not 30/60 = 50


# --- PAPI, the real data ----------------------------------------------------------------------
PAPI = ROOT / "data" / "papi-provinces"
DIMENSIONS = ["participation", "transparency", "vertical_accountability", "control_of_corruption",
              "public_admin_procedures", "public_service_delivery"]


@pytest.fixture(scope="module")
def papi():
    return load_dataset(PAPI)


def test_papi_every_total_is_the_published_score(papi):
    source = pd.read_csv(PAPI / "sources" / "papi_provinces_2011_2016.csv", dtype={"province_code": str})
    source["unit_id"] = source["province_code"].str.zfill(2)
    scored = source.dropna(subset=["score"])
    assert len(scored) == 63 * 6 - 2
    for year, published in scored.groupby("year"):
        u = index_units(papi, int(year)).set_index("unit_id").loc[published["unit_id"]]
        # index % × 60 ÷ 100 is the PAPI total on its 6–60 scale, i.e. the sum of the dimensions
        total = u["score"].to_numpy() * 60 / 100
        np.testing.assert_allclose(u["points"].to_numpy(), total, rtol=0, atol=1e-9)
        np.testing.assert_allclose(total, published[DIMENSIONS].sum(axis=1).to_numpy(), rtol=0, atol=1e-9)
        # The source rounded the score and each dimension to 4 decimals separately; the README
        # records that they differ by at most 0.0002 (7 roundings of ≤ 0.00005 allow 0.00035).
        assert np.abs(total - published["score"].to_numpy()).max() <= 0.0002 + 1e-9


def test_papi_2014_gaps_have_no_score_rank_or_band(papi):
    u = index_units(papi, 2014).set_index("unit_id")
    for unit in ("24", "87"):  # Bắc Giang, Đồng Tháp
        row = u.loc[unit]
        assert np.isnan(row["score"]) and np.isnan(row["points"])
        assert pd.isna(row["rank"]) and pd.isna(row["rank_in_region"]) and pd.isna(row["band"])
        assert not np.isnan(row["score_prev"]) and np.isnan(row["change"])
    assert u["rank"].notna().sum() == 61 and u["rank"].max() <= 61
    nxt = index_units(papi, 2015).set_index("unit_id")
    assert np.isnan(nxt.loc[["24", "87"], "score_prev"]).all()
    assert nxt.loc[["24", "87"], "rank_prev"].isna().all()
    # README: with linear quantiles the 61 scored provinces of 2014 fall 16/15/15/15.
    assert u["band"].value_counts().to_dict() == {"Best performers": 16, "High average": 15,
                                                  "Low average": 15, "Poor performers": 15}


def test_bands_take_published_sizes_in_rank_order():
    """Worked by hand: scores 90, 80, 80, 70, 60 rank 1, 2, 2, 4, 5; sizes 2/1/2 put ranks
    ≤ 2 in A, ≤ 3 in B, ≤ 5 in C. The tie at rank 2 straddles the first boundary, so both 80s
    take A and B gets nobody; a unit without a score gets no band."""
    bands = [{"label_en": x, "label_vi": x.lower()} for x in "ABC"]
    en, vi = assign_bands(pd.Series([90.0, 80.0, 80.0, 70.0, 60.0, np.nan]), bands, [2, 1, 2])
    assert en.iloc[:5].tolist() == ["A", "A", "A", "C", "C"] and pd.isna(en.iloc[5])
    assert vi.iloc[:5].tolist() == ["a", "a", "a", "c", "c"]


BANDS = ["Best performers", "High average", "Low average", "Poor performers"]


def test_papi_groups_have_the_sizes_papi_published(papi):
    """PAPI's published group sizes (VNA for 2020, vietnam.vn for 2024, SOURCES.md for 2019 and
    2023): the quartile rule gives 16/15/15/15 for the 61 provinces of 2023 and 2024."""
    published = {2019: [16, 16, 15, 16], 2020: [16, 16, 15, 16], 2023: [15, 15, 15, 16],
                 2024: [15, 15, 15, 16]}
    for year, sizes in published.items():
        counts = index_units(papi, year)["band"].value_counts()
        assert [int(counts.get(band, 0)) for band in BANDS] == sizes, year
    u = index_units(papi, 2024).set_index("unit_id")
    # the 15th, 16th, 30th, 31st, 45th and 46th: Thái Bình, Bắc Giang, Hà Giang, Lai Châu,
    # Long An, Yên Bái; with the quartile rule Bắc Giang, Lai Châu and Yên Bái were a group up
    for unit, rank, band in (("34", 15, 0), ("24", 16, 1), ("02", 30, 1), ("12", 31, 2),
                             ("80", 45, 2), ("15", 46, 3)):
        assert (u.at[unit, "rank"], u.at[unit, "band"]) == (rank, BANDS[band])
    # sizes that do not add up to the year's scored provinces leave the quartile rule
    assert papi.config.published_band_sizes(2024, 61) == [15, 15, 15, 16]
    assert papi.config.published_band_sizes(2024, 60) is None
    assert papi.config.published_band_sizes(2014, 61) is None


def test_papi_2024_published_figures_reconcile(papi):
    """The three 2024 leaders' totals and ranks, the four group sizes and the three provinces
    named in the last group as released (published.csv) match this data; Bình Thuận's 47.1268
    was printed truncated, 47.126."""
    rec = compute_results(papi, 2024)["reconciliation"]
    assert len(rec) == 13 and rec["matches"].all()
    assert rec.set_index(["key", "metric"]).at[("60", "points"), "rule"] == "truncate"


def test_band_sizes_are_checked(tmp_path):
    import shutil
    folder = tmp_path / "papi"
    shutil.copytree(PAPI, folder)
    yaml = folder / "dataset.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("2024: [15, 15, 15, 16]",
                                                             "2024: [15, 15, 31]"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_dataset(folder)
    problem, = err.value.problems
    assert (problem.file, problem.column) == ("dataset.yaml", "band_sizes.2024")
    assert "one whole number per band (4)" in problem.message


def test_papi_2016_ranks_63_provinces_in_quartile_groups(papi):
    u = index_units(papi, 2016)
    assert len(u) == 63 and u["rank"].notna().sum() == 63
    assert u["rank"].min() == 1 and u["rank"].max() <= 63
    assert u["prev_year"].iloc[0] == 2015
    # README / dataset.yaml: 63 provinces with quantiles 0.75/0.5/0.25/0 give 16/16/15/16.
    assert u["band"].value_counts().to_dict() == {"Best performers": 16, "High average": 16,
                                                  "Low average": 15, "Poor performers": 16}
    g = index_groups(u).set_index(["scope", "key"])
    assert g.at[("all", ""), "n_units"] == 63 and g.at[("group", "province"), "n_units"] == 63
