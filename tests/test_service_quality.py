"""Decision 766 service index: record rules, rates, points, ranks and the 2025 crosswalk,
checked against small files whose answers are worked out by hand in the comments."""
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis.inputs.errors import InputError
from analysis.indices.service_quality import (
    DEFAULT_SERVICE_INDEX,
    previous_period,
    read_dossier_counts,
    read_dossiers,
    rejected_by_reason,
    service_index,
    service_mapping,
)

HEADER = ("unit_id,procedure,received_at,due_at,resolved_at,online,fee,paid_online,digitised,"
          "published,rating,complaint\n")
UNITS = pd.DataFrame({
    "unit_id": ["A", "B", "C", "D", "M1", "M2", "O"],
    "name_vi": ["A", "B", "C", "D", "Bộ 1", "Bộ 2", "Cũ"],
    "name_en": ["A", "B", "C", "D", "Ministry 1", "Ministry 2", "Old"],
    "group": ["province"] * 4 + ["ministry"] * 2 + ["province"],
    "region": ["r1", "r1", "r2", "r2", "", "", "r2"],
    "valid_from": [""] * 7, "valid_to": [""] * 6 + ["2025"],
    "valid_to_month": [""] * 6 + ["2025-06"],
})
# Twelve dossiers of unit A received in October 2025 (line numbers of the file in brackets).
TWELVE = HEADER + """\
A,p1,2025-10-01,2025-10-05,2025-10-04,1,1,1,1,1,satisfied,0
A,p1,2025-10-02,2025-10-06,2025-10-06T16:00:00,1,1,0,1,1,,0
A,p1,2025-10-03T09:00:00,2025-10-07T17:00:00,2025-10-07T17:30:00,0,1,0,0,1,,0
A,p2,2025-10-03,2025-10-10,2025-10-12,0,0,,0,1,dissatisfied,0
A,p2,2025-10-04,2025-10-10,,1,0,,1,0,,0
A,p3,2025-10-05,,2025-10-20,1,0,,0,1,,1
A,p3,2025-10-06,,,0,0,,0,0,dissatisfied,1
A,p1,2025-10-07,2025-10-09,2025-10-08,1,1,1,1,1,satisfied,0
A,p1,2025-10-08,2025-10-10,2025-10-10,0,1,0,0,1,,0
A,p2,2025-10-09,2025-10-15,2025-10-14,1,0,0,1,1,,0
A,p2,2025-10-10,2025-10-15,2025-10-20,1,0,,0,1,satisfied,0
A,p1,2025-10-31T23:59:00,2025-11-05,2025-11-03,0,1,1,1,1,,0
"""
# By hand, dossiers numbered 1-12 in file order:
# published: all but 5 and 7 -> 10 of 12
# resolved: all but 5 and 7 (pending) -> 10; with a due date: not 6 -> 9
# on time: 1 (4th ≤ 5th), 2 (due a date only: the whole 6th), 8, 9 (same day), 10, 12 -> 6;
#          late: 3 (17:30 > 17:00), 4, 11 -> 6 of 9
# digitised: 1, 2, 5, 8, 10, 12 -> 6 of 12; online: 1, 2, 5, 6, 8, 10, 11 -> 7 of 12
# fee: 1, 2, 3, 8, 9, 12 -> 6; paid online among them: 1, 8, 12 -> 3 of 6
# dissatisfied: 4, 7; complaint: 6, 7; either: 4, 6, 7 -> 3 (7 once), satisfaction 9 of 12
EXPECTED_COUNTS = dict(n_received=12, n_published=10, n_resolved=10, n_resolved_due=9,
                       n_on_time=6, n_digitised=6, n_online=7, n_fee=6, n_paid_online=3,
                       n_dissatisfied=2, n_complaint=2, n_not_dissatisfied=9)
# points: 18·10/12 = 15; 20·6/9 = 13.333…; 22·6/12 = 11; 22·mean(7/12, 3/6) = 22·13/24 =
# 11.91666…; 18·9/12 = 13.5; total = 15 + 40/3 + 11 + 143/12 + 13.5 = 64.75
EXPECTED_RATES = dict(rate_transparency=10 / 12, rate_on_time=6 / 9, rate_digitisation=0.5,
                      rate_online_submission=7 / 12, rate_online_payment=0.5,
                      rate_satisfaction=0.75)
EXPECTED_POINTS = dict(points_transparency=15.0, points_progress=40 / 3, points_digitisation=11.0,
                       points_online_services=143 / 12, points_satisfaction=13.5, total=64.75)


# The mapping before the indicator rules: every indicator linear, a group's maximum shared
# equally among its indicators (online services: 22 × mean of the two rates).
LINEAR = {"rule": "linear", "confirmed": False, "source": "test", "notes": "",
          "indicators": {code: {k: v for k, v in ind.items()
                                if k in ("numerator", "denominator", "label_vi", "label_en")}
                         for code, ind in DEFAULT_SERVICE_INDEX["indicators"].items()},
          "groups": DEFAULT_SERVICE_INDEX["groups"]}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def twelve(tmp_path):
    return write(tmp_path / "dossiers.csv", TWELVE)


def a_row(table: pd.DataFrame, unit: str = "A") -> pd.Series:
    return table.set_index("unit_id").loc[unit]


def test_counts_of_twelve_dossiers_by_hand(twelve):
    read = read_dossiers(twelve, UNITS)
    assert read.rejected.empty
    row = read.counts.set_index(["unit_id", "period"]).loc[("A", "2025-10")]
    assert row.drop("source").to_dict() == EXPECTED_COUNTS


def test_rates_points_and_total_by_hand(twelve):
    table = service_index(read_dossiers(twelve, UNITS).counts, UNITS, "2025-10", mapping=LINEAR)
    a = a_row(table)
    for column, value in {**EXPECTED_RATES, **EXPECTED_POINTS}.items():
        assert a[column] == pytest.approx(value), column
    assert a["rank"] == 1 and a["n_ranked"] == 1          # the only province with dossiers
    assert a["vs_national_average"] == pytest.approx(0)
    assert a["national_online_submission"] == pytest.approx(7 / 12)
    assert pd.isna(a_row(table, "B")["total"]) and pd.isna(a_row(table, "B")["rank"])


def test_complement_rule_counts_a_dossier_once(tmp_path):
    # 4 dossiers: one dissatisfied, one complained about, one both, one neither.
    # Decision 766: (4 − |dissatisfied ∪ complaint|) ÷ 4 = (4 − 3) ÷ 4 = 0.25, not (4 − 2 − 2) ÷ 4.
    rows = ["dissatisfied,0", ",1", "dissatisfied,1", "satisfied,0"]
    path = write(tmp_path / "d.csv", HEADER + "".join(
        f"A,p,2025-10-0{i + 1},,,0,0,,0,0,{r}\n" for i, r in enumerate(rows)))
    a = a_row(service_index(read_dossiers(path, UNITS).counts, UNITS, "2025-10"))
    assert (a["n_dissatisfied"], a["n_complaint"], a["n_not_dissatisfied"]) == (2, 2, 1)
    assert a["rate_satisfaction"] == 0.25


def test_typed_parquet_gives_the_same_counts(tmp_path, twelve):
    frame = pd.read_csv(twelve, dtype=str, keep_default_na=False)
    # dossier 2 is due "on the 6th": as a timestamp that is the end of the day
    frame.loc[1, "due_at"] = "2025-10-06T23:59:59"
    table = pa.table({
        **{c: pa.array(frame[c].tolist()) for c in ("unit_id", "procedure")},
        **{c: pa.array(pd.to_datetime([v or None for v in frame[c]], format="ISO8601"),
                       pa.timestamp("us")) for c in ("received_at", "due_at", "resolved_at")},
        **{c: pa.array(pd.to_numeric(frame[c]).astype("Int8"), pa.int8())
           for c in ("online", "fee", "digitised", "published", "complaint")},
        "paid_online": pa.array(pd.to_numeric(frame["paid_online"]), pa.float64()),  # NaN = empty
        "rating": pa.array([r or None for r in frame["rating"]], pa.string()),
    })
    folder = tmp_path / "dossiers"
    folder.mkdir()
    pq.write_table(table.slice(0, 5), folder / "part-1.parquet")
    pq.write_table(table.slice(5), folder / "part-2.parquet")
    read = read_dossiers(folder, UNITS)
    assert read.rejected.empty
    assert read.counts.drop(columns=["unit_id", "period", "source"]).iloc[0].to_dict() \
        == EXPECTED_COUNTS


BAD = HEADER + """\
A,p1,2025-10-01,,,0,0,,0,0,,0
Z,p1,2025-10-01,,,0,0,,0,0,,0

A,p1,2025-13-01,,,0,0,,0,0,,0
O,p1,2025-10-02,,,0,0,,0,0,,0
A,p1,2025-10-02,soon,,0,0,,0,0,,0
A,p1,2025-10-05,,2025-10-01,0,0,,0,0,,0
A,p1,2025-10-05,,,2,0,,0,0,,0
A,p1,2025-10-05,,,0,0,1,0,0,,0
A,p1,2025-10-05,,,0,1,,0,0,,0
A,p1,2025-10-05,,,0,0,,0,0,ok,0
O,p1,2025-06-30,,,1.0,0,,0,0, Satisfied ,0
"""
# line: reason (line 4 is empty; lines 2 and 13 count)
BAD_LINES = [(3, "unknown_unit"), (5, "bad_received_at"), (6, "outside_validity"),
             (7, "bad_date"), (8, "resolved_before_received"), (9, "bad_flag"),
             (10, "bad_flag"), (11, "bad_flag"), (12, "bad_rating")]


def test_bad_rows_are_rejected_by_reason_with_their_line(tmp_path):
    read = read_dossiers(write(tmp_path / "dossiers.csv", BAD), UNITS)
    assert list(zip(read.rejected["row"], read.rejected["reason"])) == BAD_LINES
    assert set(read.rejected["file"]) == {"dossiers.csv"}
    assert read.rejected.set_index("row").loc[3, "unit_id"] == "Z"
    by_reason = rejected_by_reason(read.rejected).set_index("reason")["n_rows"]
    assert by_reason.to_dict() == {"unknown_unit": 1, "bad_received_at": 1, "outside_validity": 1,
                                   "bad_date": 1, "resolved_before_received": 1, "bad_flag": 3,
                                   "bad_rating": 1}
    counts = read.counts.set_index(["unit_id", "period"])
    assert counts.loc[("A", "2025-10"), "n_received"] == 1
    # O is valid until June 2025: "1.0" is a 1 and " Satisfied " a rating
    assert counts.loc[("O", "2025-06"), ["n_received", "n_online"]].tolist() == [1, 1]


def test_reading_some_months_still_rejects_unreadable_dates(tmp_path):
    read = read_dossiers(write(tmp_path / "dossiers.csv", BAD), UNITS, months=["2025-10"])
    assert read.counts["period"].tolist() == ["2025-10"]
    assert 5 in read.rejected["row"].tolist()


def test_missing_column_names_file_column_and_fix(tmp_path):
    text = TWELVE.replace(",complaint\n", "\n", 1)
    with pytest.raises(InputError) as caught:
        read_dossiers(write(tmp_path / "dossiers.csv", text), UNITS)
    [problem] = caught.value.problems
    assert (problem.file, problem.column) == ("dossiers.csv", "complaint")
    assert "add a column 'complaint'" in problem.fix


def test_unreadable_line_is_an_input_error_with_its_line(tmp_path):
    text = TWELVE.replace("A,p3,2025-10-05,,2025-10-20,1,0,,0,1,,1",
                          "A,p3,2025-10-05,,2025-10-20,1,0,,0,1,,1,extra")
    with pytest.raises(InputError) as caught:
        read_dossiers(write(tmp_path / "dossiers.csv", text), UNITS)
    assert [(p.file, p.row) for p in caught.value.problems] == [("dossiers.csv", 7)]


def test_unit_id_written_as_a_number_is_refused(tmp_path):
    frame = pd.read_csv(write(tmp_path / "d.csv", TWELVE), dtype=str, keep_default_na=False)
    frame["unit_id"] = 1
    frame.to_parquet(tmp_path / "dossiers.parquet")
    with pytest.raises(InputError) as caught:
        read_dossiers(tmp_path / "dossiers.parquet", UNITS)
    assert [(p.file, p.column) for p in caught.value.problems] == [("dossiers.parquet", "unit_id")]


def uniform(unit: str, period: str, pct: int, n: int = 100, source: str = "records") -> dict:
    """Counts where every rate is pct %, so the total is pct (18+20+22+22+18 = 100 points)."""
    k = pct * n // 100
    return dict(unit_id=unit, period=period, source=source, n_received=n, n_published=k,
                n_resolved=n, n_resolved_due=n, n_on_time=k, n_digitised=k, n_online=k, n_fee=n,
                n_paid_online=k, n_dissatisfied=n - k, n_complaint=0, n_not_dissatisfied=k)


TWO_MONTHS = pd.DataFrame([
    uniform("A", "2025-09", 80), uniform("B", "2025-09", 90), uniform("C", "2025-09", 70),
    uniform("D", "2025-09", 60, n=300), uniform("M1", "2025-09", 50), uniform("M2", "2025-09", 40),
    uniform("A", "2025-10", 90), uniform("B", "2025-10", 90), uniform("C", "2025-10", 95),
    uniform("D", "2025-10", 60, n=300), uniform("M1", "2025-10", 70), uniform("M2", "2025-10", 80),
])


def test_ranks_ties_changes_average_and_region_by_hand():
    t = service_index(TWO_MONTHS, UNITS, "2025-10", mapping=LINEAR).set_index("unit_id")
    # provinces in October: C 95, A 90, B 90, D 60 -> ranks 1, 2, 2, 4 (ties share the lowest)
    # September: B 90, A 80, C 70, D 60 -> 1, 2, 3, 4; rank_change = rank_prev − rank
    expected = {"C": (95, 1, 3, 2, 25, 11.25), "A": (90, 2, 2, 0, 10, 6.25),
                "B": (90, 2, 1, -1, 0, 6.25), "D": (60, 4, 4, 0, 0, -23.75)}
    for unit, (total, rank, prev, change, points, distance) in expected.items():
        row = t.loc[unit]
        assert row["total"] == pytest.approx(total)
        assert (row["rank"], row["rank_prev"], row["rank_change"]) == (rank, prev, change)
        assert row["points_change"] == pytest.approx(points)
        # national average of provinces: (95 + 90 + 90 + 60) / 4 = 83.75
        assert row["national_average"] == pytest.approx(83.75)
        assert row["vs_national_average"] == pytest.approx(distance)
        assert row["n_ranked"] == 4 and row["prev_basis"] == "same_unit"
    # regions: r1 = A, B (tied first of 2); r2 = C first, D second
    assert t.loc[["A", "B", "C", "D"], "rank_region"].tolist() == [1, 1, 1, 2]
    assert t.loc[["A", "C"], "n_region"].tolist() == [2, 2]
    # ministries are ranked apart: M2 80 first (was 2nd), M1 70 second (was 1st)
    assert t.loc[["M2", "M1"], "rank"].tolist() == [1, 2]
    assert t.loc[["M2", "M1"], "rank_change"].tolist() == [1, -1]
    assert t.loc["M1", "national_average"] == pytest.approx(75)
    assert pd.isna(t.loc["M1", "rank_region"])
    # online submission pooled over every October dossier: (90+90+95+180+70+80) / 800
    assert t["national_online_submission"].iloc[0] == pytest.approx(605 / 800)
    assert (t.loc["D", "n_received"], t.loc["D", "n_online"]) == (300, 180)


def test_previous_period():
    assert [previous_period(p) for p in ("2025-10", "2025-01", "2025")] == [
        "2025-09", "2024-12", "2024"]


MERGER_UNITS = pd.DataFrame({
    "unit_id": ["30", "31", "22", "n25_hai_phong", "m_x"],
    "name_vi": ["Hải Dương", "Hải Phòng", "Quảng Ninh", "Hải Phòng", "Bộ X"],
    "name_en": ["Hai Duong", "Hai Phong", "Quang Ninh", "Hai Phong", "Ministry X"],
    "group": ["province"] * 4 + ["ministry"],
    "region": ["red_river_delta"] * 4 + [""],
    "valid_from": ["", "", "", "2025", ""], "valid_to": ["2025", "2025", "", "", ""],
    "valid_from_month": ["", "", "", "2025-07", ""],
    "valid_to_month": ["2025-06", "2025-06", "", "", ""],
})
CROSSWALK = pd.DataFrame({"from_unit_id": ["30", "31"], "to_unit_id": ["n25_hai_phong"] * 2,
                          "effective_year": ["2025", "2025"], "weight": ["1", "1"],
                          "effective_from": ["2025-07-01", "2025-07-01"]})


def merger_dossiers(tmp_path) -> Path:
    """Every dossier published, due and resolved on time, with a fee paid online, not digitised,
    no complaint: total = 18 + 20 + 0 + 22 × mean(online share, 1) + 18 = 67 + 11 × online share
    (LINEAR mapping)."""
    online = {("31", "2025-06"): [1, 1, 1, 0], ("30", "2025-06"): [0], ("22", "2025-06"): [1],
              ("m_x", "2025-06"): [1], ("n25_hai_phong", "2025-07"): [1, 1],
              ("22", "2025-07"): [0], ("m_x", "2025-07"): [0]}
    lines = [f"{unit},p,{month}-10,{month}-20,{month}-15,{flag},1,1,0,1,,0\n"
             for (unit, month), flags in online.items() for flag in flags]
    return write(tmp_path / "dossiers.csv", HEADER + "".join(lines))


def test_previous_month_recomputed_on_the_new_province_from_records(tmp_path):
    counts = read_dossiers(merger_dossiers(tmp_path), MERGER_UNITS).counts
    t = service_index(counts, MERGER_UNITS, "2025-07", CROSSWALK, mapping=LINEAR).set_index("unit_id")
    assert sorted(t.index) == ["22", "m_x", "n25_hai_phong"]
    new = t.loc["n25_hai_phong"]
    # June on the new unit: 31's and 30's five dossiers pooled, 3 online -> 67 + 11 × 3/5 = 73.6
    # (not the mean of the two provinces' totals, (75.25 + 67) / 2 = 71.125)
    assert new["total"] == pytest.approx(78) and new["total_prev"] == pytest.approx(73.6)
    assert (new["prev_basis"], new["prev_former_units"]) == ("recomputed_from_records", "30;31")
    assert (new["basis"], new["former_units"]) == ("same_unit", "")
    # June ranks on July's units: 22 (78) first, the new unit (73.6) second; July the reverse
    assert (new["rank"], new["rank_prev"], new["rank_change"]) == (1, 2, 1)
    assert new["points_change"] == pytest.approx(78 - 73.6)
    kept = t.loc["22"]
    assert (kept["prev_basis"], kept["rank_change"]) == ("same_unit", -1)
    assert kept["points_change"] == pytest.approx(67 - 78)
    ministry = t.loc["m_x"]
    assert (ministry["prev_basis"], ministry["rank"]) == ("same_unit", 1)
    assert ministry["total_prev"] == pytest.approx(78)


def test_before_the_merger_the_former_provinces_are_ranked(tmp_path):
    counts = read_dossiers(merger_dossiers(tmp_path), MERGER_UNITS).counts
    t = service_index(counts, MERGER_UNITS, "2025-06", CROSSWALK, mapping=LINEAR).set_index("unit_id")
    assert sorted(t.index) == ["22", "30", "31", "m_x"]
    # 22: 78; 31: 67 + 11 × 3/4 = 75.25; 30: 67
    assert t.loc[["22", "31", "30"], "rank"].tolist() == [1, 2, 3]
    assert t.loc["31", "total"] == pytest.approx(75.25)


def test_a_year_spanning_the_merger_counts_on_the_new_units(tmp_path):
    counts = read_dossiers(merger_dossiers(tmp_path), MERGER_UNITS).counts
    t = service_index(counts, MERGER_UNITS, "2025", CROSSWALK, mapping=LINEAR).set_index("unit_id")
    new = t.loc["n25_hai_phong"]
    # 2025 on the new unit: June's 5 dossiers of 30 and 31 + July's 2 -> 7, of which 5 online
    assert (new["n_received"], new["n_online"]) == (7, 5)
    assert (new["basis"], new["former_units"]) == ("recomputed_from_records", "30;31")
    assert new["total"] == pytest.approx(67 + 11 * 5 / 7)
    assert pd.isna(new["total_prev"]) and pd.isna(new["prev_basis"])   # no 2024 records


def test_weighted_aggregates_when_there_are_no_records(tmp_path):
    units = pd.concat([MERGER_UNITS, pd.DataFrame({
        "unit_id": ["n25_k"], "name_vi": ["K"], "name_en": ["K"], "group": ["province"],
        "region": ["red_river_delta"], "valid_from": ["2025"], "valid_to": [""],
        "valid_from_month": ["2025-07"], "valid_to_month": [""]})], ignore_index=True)
    # 31 goes whole to the new unit; 30 is split half and half between it and K
    crosswalk = pd.DataFrame({"from_unit_id": ["31", "30", "30"],
                              "to_unit_id": ["n25_hai_phong", "n25_hai_phong", "n25_k"],
                              "effective_year": ["2025"] * 3, "weight": ["1", "0.5", "0.5"]})
    crosswalk["effective_from"] = "2025-07"
    aggregates = pd.DataFrame([uniform("31", "2025-06", 80), uniform("30", "2025-06", 50, n=50)])
    aggregates.drop(columns="source").to_csv(tmp_path / "dossier_counts.csv", index=False)
    counts = pd.concat([read_dossier_counts(tmp_path / "dossier_counts.csv"), pd.DataFrame(
        [uniform("n25_hai_phong", "2025-07", 90), uniform("n25_k", "2025-07", 70)])])
    t = service_index(counts, units, "2025-07", crosswalk, mapping=LINEAR).set_index("unit_id")
    # new unit, June: 1 × 31 + 0.5 × 30 -> received 100 + 25 = 125, each numerator 80 + 12.5
    # = 92.5, every rate 0.74 -> 74 points; K: 0.5 × 30 -> 12.5 ÷ 25 = 0.5 -> 50 points
    new, k = t.loc["n25_hai_phong"], t.loc["n25_k"]
    assert new["total_prev"] == pytest.approx(74) and k["total_prev"] == pytest.approx(50)
    assert (new["prev_basis"], new["prev_former_units"]) == ("weighted_aggregates", "30;31")
    assert (k["prev_basis"], k["prev_former_units"]) == ("weighted_aggregates", "30")
    assert (new["rank_prev"], k["rank_prev"]) == (1, 2)
    assert new["points_change"] == pytest.approx(90 - 74)


def test_mapping_is_data_and_checked():
    assert service_mapping(None) == DEFAULT_SERVICE_INDEX
    assert sum(g["max_points"] for g in DEFAULT_SERVICE_INDEX["groups"]) == 100
    assert DEFAULT_SERVICE_INDEX["confirmed"] is False
    bad = {**DEFAULT_SERVICE_INDEX, "rule": "quadratic"}
    with pytest.raises(InputError) as caught:
        service_mapping(bad)
    assert caught.value.problems[0].column == "service_index.rule"
    # halving the satisfaction group's maximum halves its points (mapping read, not hard-coded)
    half = {**LINEAR, "groups": [
        {**g, "max_points": 9} if g["code"] == "satisfaction" else g
        for g in LINEAR["groups"]]}
    t = service_index(TWO_MONTHS, UNITS, "2025-10", mapping=half).set_index("unit_id")
    assert t.loc["A", "points_satisfaction"] == pytest.approx(9 * 0.9)


def test_indicator_rules_of_the_default_mapping_by_hand(twelve):
    """The portal's rules (shared/data/decision766): online submission full from 50%,
    satisfaction full from 90%, online services 12 + online payment 10."""
    a = a_row(service_index(read_dossiers(twelve, UNITS).counts, UNITS, "2025-10"))
    # transparency 18 × 10/12 = 15; on time 20 × 6/9; digitisation 22 × 6/12 = 11;
    # online submission 7/12 ≥ 50% -> 12, payment 10 × 3/6 = 5 -> 17; satisfaction 18 × 0.75/0.9 = 15
    assert a["points_online_services"] == pytest.approx(17.0)
    assert a["points_satisfaction"] == pytest.approx(15.0)
    assert a["total"] == pytest.approx(15 + 40 / 3 + 11 + 17 + 15)
    assert a["missing_indicators"] == "" and not a["eligible"]  # 12 dossiers < 30


def test_a_missing_indicator_is_reported_never_filled():
    # M1 has no fee-bearing dossier: online payment is missing, so is its group and total
    counts = TWO_MONTHS.copy()
    counts.loc[(counts["unit_id"] == "M1") & (counts["period"] == "2025-10"), ["n_fee", "n_paid_online"]] = 0
    t = service_index(counts, UNITS, "2025-10").set_index("unit_id")
    m1 = t.loc["M1"]
    assert m1["missing_indicators"] == "online_payment"
    assert pd.isna(m1["points_online_services"]) and pd.isna(m1["total"]) and pd.isna(m1["rank"])
    assert m1["points_transparency"] == pytest.approx(18 * 0.7)  # the rest is still shown
    assert t.loc["M2", "rank"] == 1 and t.loc["M2", "n_ranked"] == 1
    # the same unit with `full` points when there is no denominator
    full = {**DEFAULT_SERVICE_INDEX, "indicators": {**DEFAULT_SERVICE_INDEX["indicators"], "online_payment": {
        **DEFAULT_SERVICE_INDEX["indicators"]["online_payment"], "if_no_denominator": "full"}}}
    m1 = service_index(counts, UNITS, "2025-10", mapping=full).set_index("unit_id").loc["M1"]
    assert m1["points_online_services"] == pytest.approx(12 + 10) and m1["missing_indicators"] == ""


def test_indicator_rules_are_checked():
    def problems(**changes):
        ind = {**DEFAULT_SERVICE_INDEX["indicators"]["online_payment"], **changes}
        spec = {**DEFAULT_SERVICE_INDEX, "indicators": {**DEFAULT_SERVICE_INDEX["indicators"], "online_payment": ind}}
        with pytest.raises(InputError) as caught:
            service_mapping(spec)
        return [p.column for p in caught.value.problems]
    assert problems(target=1.5) == ["service_index.indicators.online_payment.target"]
    assert problems(if_no_denominator="guess") == ["service_index.indicators.online_payment.if_no_denominator"]
    assert problems(max_points=9) == ["service_index.groups[3].indicators"]  # 12 + 9 ≠ 22
    with pytest.raises(InputError):
        service_mapping({**LINEAR, "indicators": {**LINEAR["indicators"], "on_time": {
            **LINEAR["indicators"]["on_time"], "target": 0.8}}})


def test_rank_intervals_against_a_loop_and_the_minimum_volume():
    from scipy.stats import rankdata

    t = service_index(TWO_MONTHS, UNITS, "2025-10", seed=4, n_boot=300).set_index("unit_id")
    # loop reference: the same draws (indicators in the mapping's order, units in unit_id order)
    rng = np.random.default_rng(4)
    ids = sorted(UNITS["unit_id"][UNITS["unit_id"] != "O"])
    rows = TWO_MONTHS[TWO_MONTHS["period"] == "2025-10"].set_index("unit_id").loc[ids]
    spec = DEFAULT_SERVICE_INDEX
    draws = {c: rng.beta(rows[i["numerator"]] + 0.5, rows[i["denominator"]] - rows[i["numerator"]] + 0.5,
                         size=(300, len(ids))) for c, i in spec["indicators"].items()}
    points = {"transparency": (18, 1), "on_time": (20, 1), "digitisation": (22, 1),
              "online_submission": (12, 0.5), "online_payment": (10, 1), "satisfaction": (18, 0.9)}
    total = sum(m * np.minimum(1, draws[c] / target) for c, (m, target) in points.items())
    for group in ("province", "ministry"):
        cols = [k for k, u in enumerate(ids) if UNITS.set_index("unit_id").at[u, "group"] == group]
        ranks = rankdata(-total[:, cols], method="min", axis=1)
        for j, k in enumerate(cols):
            ordered = np.sort(ranks[:, j])
            assert t.loc[ids[k], "rank_low"] == ordered[int(np.floor(299 * 0.025))]
            assert t.loc[ids[k], "rank_high"] == ordered[int(np.ceil(299 * 0.975))]
    assert (t["rank_low"] <= t["rank"]).all() and (t["rank"] <= t["rank_high"]).all()
    # 100 dossiers a unit: eligible from 30, not from 150
    assert t["eligible"].all()
    strict = service_index(TWO_MONTHS, UNITS, "2025-10", mapping={**DEFAULT_SERVICE_INDEX, "min_dossiers": 150})
    assert strict.set_index("unit_id")["eligible"].to_dict() == {
        "A": False, "B": False, "C": False, "D": True, "M1": False, "M2": False}
