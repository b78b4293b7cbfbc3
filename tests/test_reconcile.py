"""Reconciliation of published figures with computed ones: against hand-made tables, and on the
real datasets against what their READMEs say independently (par-ministries: the 9 ministries
whose published parts do not add up to their published total; PAPI 2016: all 13 press figures)."""
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.inputs.dataset import load_dataset
from analysis.indices.composite import index_groups, index_units
from analysis.audit.reconcile import COLUMNS, decimals, matching_rule, reconcile

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("text, places", [
    ("84.38", 2), ("17", 0), ("0", 0), ("0.10", 2), ("89.950", 3), ("-3.5", 1), ("38.53", 2),
    ("100.0", 1)])
def test_decimals(text, places):
    assert decimals(text) == places


# --- hand-made tables ---------------------------------------------------------------------------

def hand_results() -> dict[str, pd.DataFrame]:
    units = pd.DataFrame({
        "unit_id": ["U1", "U2", "U3", "U4"],
        "group": ["g1", "g1", "g2", "g2"], "region": ["r1", "r2", "r1", ""],
        "score": [89.96, 84.3765, 62.5, np.nan],
        "rank": pd.array([1, 2, 3, pd.NA], dtype="Int64"),
        "points": [53.976, 50.6259, 37.5, np.nan],
        "band": pd.array(["B", "B", "C", pd.NA], dtype="string"),
    })
    groups = pd.DataFrame({"scope": ["all", "group", "group", "region"], "key": ["", "g1", "g2", "r1"],
                           "n_units": [3, 2, 1, 2], "mean": [78.9455, 87.16825, 62.5, 76.23]})
    return {"index_units": units, "index_groups": groups}


def published(rows: list[tuple]) -> pd.DataFrame:
    """(year, scope, key, metric, value as written) -> the frame dataset.py builds."""
    frame = pd.DataFrame(rows, columns=["year", "scope", "key", "metric", "value_text"])
    frame["value"] = frame["value_text"].astype(float)
    frame["source"], frame["note"] = "hand", ""
    return frame


def test_hand_made_reconciliation():
    pub = published([
        (2023, "unit", "U1", "index", "89.95"),     # 89.96 -> 89.96 ≠ 89.95
        (2023, "unit", "U2", "index", "84.38"),     # 84.3765 -> 84.38
        (2023, "unit", "U2", "index_x", "1"),       # unknown metric: nothing computed
        (2023, "unit", "U1", "rank", "1"),
        (2023, "unit", "U2", "rank", "3"),          # computed 2
        (2023, "unit", "U9", "index", "50"),        # unknown unit
        (2023, "unit", "U2", "points", "50.63"),    # 50.6259 -> 50.63
        (2023, "all", "", "index", "78.9"),         # 78.9455 -> 78.9
        (2023, "all", "", "n_units", "3"),
        (2023, "group", "g1", "index", "87.17"),    # 87.16825 -> 87.17
        (2023, "region", "r1", "index", "76.2"),    # 76.23 -> 76.2
        (2023, "all", "", "band_count:B", "2"),
        (2023, "group", "g2", "band_count:C", "1"),
        (2023, "group", "g2", "band_count:B", "1"),  # computed 0
        (2022, "unit", "U1", "index", "1"),         # another year: left out
    ])
    rec = reconcile(pub, 2023, hand_results())
    assert list(rec.columns) == COLUMNS
    assert len(rec) == 14
    got = {(r.scope, r.key, r.metric, r.published): r for r in rec.itertuples()}
    expected = {  # (scope, key, metric, published): (computed, matches)
        ("unit", "U1", "index", 89.95): (89.96, False),
        ("unit", "U2", "index", 84.38): (84.3765, True),
        ("unit", "U2", "index_x", 1.0): (None, False),
        ("unit", "U1", "rank", 1.0): (1.0, True),
        ("unit", "U2", "rank", 3.0): (2.0, False),
        ("unit", "U9", "index", 50.0): (None, False),
        ("unit", "U2", "points", 50.63): (50.6259, True),
        ("all", "", "index", 78.9): (78.9455, True),
        ("all", "", "n_units", 3.0): (3.0, True),
        ("group", "g1", "index", 87.17): (87.16825, True),
        ("region", "r1", "index", 76.2): (76.23, True),
        ("all", "", "band_count:B", 2.0): (2.0, True),
        ("group", "g2", "band_count:C", 1.0): (1.0, True),
        ("group", "g2", "band_count:B", 1.0): (0.0, False),
    }
    assert set(got) == set(expected)
    for key, (computed, matches) in expected.items():
        row = got[key]
        assert bool(row.matches) == matches, key
        if computed is None:
            assert np.isnan(row.computed) and np.isnan(row.difference), key
        else:
            assert row.computed == pytest.approx(computed) and \
                row.difference == pytest.approx(computed - key[3]), key
    # sorted by scope, key, metric
    order = list(zip(rec["scope"], rec["key"], rec["metric"]))
    assert order == sorted(order)


def test_nothing_published_gives_an_empty_table():
    rec = reconcile(None, 2023, hand_results())
    assert list(rec.columns) == COLUMNS and rec.empty


def test_a_published_rank_of_a_unit_without_score_does_not_match():
    rec = reconcile(published([(2023, "unit", "U4", "rank", "4")]), 2023, hand_results())
    assert not rec.at[0, "matches"] and np.isnan(rec.at[0, "computed"])


def test_points_of_all_is_the_mean_of_the_unit_totals():
    rec = reconcile(published([(2023, "all", "", "points", "47.37")]), 2023, hand_results())
    # (53.976 + 50.6259 + 37.5) / 3 = 47.3673
    assert rec.at[0, "computed"] == pytest.approx(47.3673) and rec.at[0, "matches"]


def test_a_half_is_rounded_up_like_the_publisher():
    rec = reconcile(published([(2023, "unit", "U3", "index", "63")]), 2023, hand_results())
    assert rec.at[0, "matches"] and rec.at[0, "rule"] == "round"


@pytest.mark.parametrize("text, rule", [
    ("50.63", "round"),      # 50.6259: half-up to 2 decimals
    ("50.62", "truncate"),   # cut after 2 decimals
    ("50.6", "round"),       # both give 50.6: rounding is named first
    ("50.625", "truncate"),  # 3 decimals: rounds to 50.626, cuts to 50.625
    ("50.64", ""),           # neither: a mismatch
])
def test_the_rule_that_turns_the_computed_value_into_the_published_one(text, rule):
    rec = reconcile(published([(2023, "unit", "U2", "points", text)]), 2023, hand_results())
    assert rec.at[0, "rule"] == rule and bool(rec.at[0, "matches"]) == (rule != "")


def test_binary_noise_does_not_decide_the_rule():
    # 0.1 + 0.2 is 0.30000000000000004 in binary; the published 0.3 is its rounding and its cut
    assert matching_rule(0.1 + 0.2, "0.3") == "round"
    # 45.78749999999999 (a sum of four-decimal parts) is 45.7875: rounds to 45.79, cuts to 45.78
    assert matching_rule(45.78749999999999, "45.79") == "round"
    assert matching_rule(45.78749999999999, "45.78") == "truncate"
    assert matching_rule(float("nan"), "1") == ""


# --- real data ------------------------------------------------------------------------------

def computed(folder: Path, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    ds = load_dataset(folder)
    units = index_units(ds, year)
    return ds.published, reconcile(ds.published, year, {"index_units": units,
                                                        "index_groups": index_groups(units)})


# data/par-ministries/README.md, "Check": appraisal + survey minus the published total.
MINISTRIES_OFF_BY_A_CENT = {"MOJ": +0.01, "SBV": -0.01, "MOHA": -0.01, "MONRE": -0.01,
                            "MARD": +0.01, "MOLISA": -0.01, "MOCST": +0.01, "MOST": -0.01,
                            "MOFA": -0.01}
# The Ministry's published totals (xaydungchinhsach.chinhphu.vn, 17/04/2024), rank order.
MINISTRIES_PUBLISHED = {"MOJ": 89.95, "SBV": 89.89, "MOF": 89.18, "MOHA": 87.04, "MONRE": 87.01,
                        "MARD": 86.41, "MOC": 86.28, "MOT": 86.18, "MIC": 85.83, "MOLISA": 85.81,
                        "MOCST": 83.56, "MOET": 80.53, "MOST": 80.38, "MPI": 80.07, "MOH": 79.80,
                        "MOFA": 78.48, "MOIT": 78.03}


def test_par_ministries_2023():
    """The published total is each ministry's score: all 17 totals, ranks, the mean and the
    band counts reconcile by rounding; the parts are checked separately (test_index)."""
    pub, rec = computed(ROOT / "data" / "par-ministries", 2023)
    assert len(rec) == len(pub) == 17 * 2 + 2 + 3
    assert rec["matches"].all() and set(rec["rule"]) == {"round"}
    ranks = rec[rec["metric"] == "rank"].set_index("key")["computed"]
    assert ranks.to_dict() == {k: i for i, k in enumerate(MINISTRIES_PUBLISHED, start=1)}
    index = rec[(rec["scope"] == "unit") & (rec["metric"] == "index")].set_index("key")
    assert index["computed"].to_dict() == pytest.approx(MINISTRIES_PUBLISHED)
    mean = rec[(rec["scope"] == "all") & (rec["metric"] == "index")].squeeze()
    # README: the mean of the 17 published totals is 84.3782, published 84.38
    assert mean["published"] == 84.38 and mean["computed"] == pytest.approx(84.3782, abs=1e-4)
    n = rec[rec["metric"] == "n_units"].squeeze()
    assert n["published"] == 17 and n["computed"] == 17 and n["matches"]
    bands = rec[rec["metric"].str.startswith("band_count:")].set_index("metric")
    assert bands["computed"].to_dict() == {"band_count:Group A (≥ 90%)": 0, "band_count:Group B (80–90%)": 14,
                                           "band_count:Group C (< 80%)": 3}
    # every one of them is a two-decimal figure
    assert set(pub.loc[pub["metric"] == "index", "value_text"].map(decimals)) == {2}


def test_papi_2020_totals_match_by_rounding():
    """PAPI 2020 as released (news.gov.vn, three decimals): Quảng Ninh 48.811, Đồng Tháp 46.961,
    Thái Nguyên 46.471, TP. Hồ Chí Minh 41.985, Hà Nội 41.629."""
    pub, rec = computed(ROOT / "data" / "papi-provinces", 2020)
    expected = {"22": 48.811, "87": 46.961, "19": 46.471, "79": 41.985, "01": 41.629}
    got = rec[rec["metric"] == "points"].set_index("key")
    assert got["published"].to_dict() == expected
    assert got["matches"].all() and set(got["rule"]) == {"round"}
    assert (got["difference"].abs() < 0.0005).all()


def test_papi_2023_thai_nguyen_is_printed_truncated():
    """SOURCES.md: PAPI 2023 printed Thái Nguyên's 45.7875 as 45.78 (truncated)."""
    ds = load_dataset(ROOT / "data" / "papi-provinces")
    units = index_units(ds, 2023)
    pub = published([(2023, "unit", "19", "points", "45.78")])
    rec = reconcile(pub, 2023, {"index_units": units, "index_groups": index_groups(units)})
    assert rec.at[0, "computed"] == pytest.approx(45.7875, abs=1e-9)
    assert rec.at[0, "rule"] == "truncate" and rec.at[0, "matches"]


def test_papi_2016_every_published_figure_matches():
    pub, rec = computed(ROOT / "data" / "papi-provinces", 2016)
    assert len(rec) == len(pub[pub["year"] == 2016]) == 17  # README: all 13 figures and 4 places agree
    assert set(rec["metric"]) == {"points", "rank", "in_band:Poor performers"}
    assert rec["matches"].all() and set(rec["rule"]) == {"round"}
    points = rec[rec["metric"] == "points"]
    # points are totals on the 6–60 scale with 2 decimals
    assert (points["difference"].abs() < 0.005).all()
    assert all(math.isclose(c, round(c)) for c in rec.loc[rec["metric"] == "rank", "computed"])


def test_a_place_in_a_band_is_one_when_the_unit_is_in_it_and_zero_when_not():
    """in_band:<band> (a release naming a group's members without their scores): 1 for a unit
    in that band, 0 for a unit in another (no match), nothing for a unit without a band."""
    pub = published([(2024, "unit", "U1", "in_band:B", "1"), (2024, "unit", "U3", "in_band:B", "1"),
                     (2024, "unit", "U4", "in_band:B", "1")])
    rec = reconcile(pub, 2024, hand_results()).set_index("key")
    assert rec.at["U1", "computed"] == 1 and rec.at["U1", "matches"]
    assert rec.at["U3", "computed"] == 0 and not rec.at["U3", "matches"]   # U3 is in band C
    assert np.isnan(rec.at["U4", "computed"]) and not rec.at["U4", "matches"]


@pytest.mark.parametrize("year, named", [(2016, {"22", "74", "91", "95"}), (2024, {"92", "62", "91"})])
def test_papi_the_provinces_the_release_puts_in_the_last_group_are_in_it(year, named):
    """The releases name the bottom group without scores: 2016 Quảng Ninh, Bình Dương, Kiên
    Giang, Bạc Liêu (the poorest performers); 2024 Cần Thơ, Kon Tum, Kiên Giang (the last
    group). Recomputed here from index_scores.csv: each year's totals (the sum of the
    dimensions) ranked, the last group being the lowest quarter (2016: the totals at or below
    the first quartile of the 63, linear interpolation; 2024: the lowest 16 of 61, PAPI's
    published size): every named province is in it, and its reconciliation rows match."""
    scores = pd.read_csv(ROOT / "data" / "papi-provinces" / "index_scores.csv", dtype={"unit_id": str})
    totals = scores[scores["year"] == year].groupby("unit_id")["points"].sum(min_count=1).dropna()
    if year == 2024:
        last = set(totals.sort_values().index[:16])
    else:
        last = set(totals[totals <= np.quantile(totals, 0.25)].index)
    assert named <= last
    _pub, rec = computed(ROOT / "data" / "papi-provinces", year)
    places = rec[rec["metric"] == "in_band:Poor performers"]
    assert set(places["key"]) == named and places["matches"].all() and (places["computed"] == 1).all()
