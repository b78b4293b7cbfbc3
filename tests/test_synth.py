"""The synthetic MPS dataset: reproducible, contract-shaped, realistic, with its planted cases."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.synth.demo_mps import make_demo_mps

FILES = ("dataset.yaml", "groups.csv", "regions.csv", "units.csv", "index_scores.csv",
         "ballots.csv", "planted.csv")
Q_COLS = ["q_access", "q_procedure", "q_staff", "q_result", "q_feedback"]
PUBLISHED_MEANS_2023 = {"no_procedures": 83.18, "procedures": 86.72, "provincial": 91.16}
PUBLISHED_SATISFACTION = {"2023": 0.9771, "2024": 0.9874, "2025": 0.9637}


def read(folder, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo-mps")
    return folder, make_demo_mps(folder)


@pytest.fixture(scope="module")
def ballots(demo) -> pd.DataFrame:
    return read(demo[0], "ballots.csv")


@pytest.fixture(scope="module")
def planted(demo) -> pd.DataFrame:
    return read(demo[0], "planted.csv")


def answers(frame: pd.DataFrame) -> np.ndarray:
    """Answers as numbers, NaN for a blank."""
    return frame[Q_COLS].replace("", np.nan).astype(float).to_numpy()


def satisfied(frame: pd.DataFrame) -> tuple[int, int]:
    """Satisfied (4–5) and valid (1–5) answers."""
    a = answers(frame)
    valid = (a >= 1) & (a <= 5)
    return int((valid & (a >= 4)).sum()), int(valid.sum())


def case(planted: pd.DataFrame, code: str) -> pd.DataFrame:
    return planted[planted["case"] == code]


def unit_year(ballots: pd.DataFrame, unit: str, year: str) -> pd.DataFrame:
    return ballots[(ballots["unit_id"] == unit) & (ballots["year"] == year)]


def test_rerun_is_byte_identical(demo, tmp_path):
    folder, planted = demo
    again = make_demo_mps(tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name
    pd.testing.assert_frame_equal(again, planted)


def test_returns_the_labels_it_writes(demo, planted):
    assert demo[1].astype(str).equals(planted)


def test_dataset_yaml_has_the_contract_keys(demo):
    config = yaml.safe_load((demo[0] / "dataset.yaml").read_text(encoding="utf-8"))
    assert config["name"] == "demo-mps" and config["synthetic"] is True
    assert config["default_year"] == 2025
    assert {"title_vi", "title_en", "seed"} <= set(config)
    assert (config["satisfied_answers"], config["leader_share"], config["alpha"],
            config["bootstrap"]) == ([4, 5], 0.25, 0.05, 10000)
    components = config["methodology"]["components"]
    assert sum(c["max_points"] for c in components) == 100
    assert all({"code", "label_vi", "label_en", "max_points"} <= set(c) for c in components)
    assert [b["min_score"] for b in config["bands"]] == [95, 80, 70, 50]
    survey = config["survey"]
    assert [f"q_{q['code']}" for q in survey["questions"]] == Q_COLS
    assert {q["element"] for q in survey["questions"]} == {e["code"] for e in survey["elements"]}
    methods = {year: c["method"] for year, c in survey["collection"].items()}
    assert methods == {2023: "paper", 2024: "paper", 2025: "vneid_app"}


def test_units_groups_and_regions(demo):
    folder = demo[0]
    units, groups, regions = (read(folder, f"{n}.csv") for n in ("units", "groups", "regions"))
    assert list(units.columns) == ["unit_id", "name_vi", "name_en", "group", "region",
                                   "valid_from", "valid_to"]
    assert units["unit_id"].is_unique
    assert units["group"].value_counts().to_dict() == {
        "provincial": 63, "no_procedures": 25, "procedures": 12}
    assert set(units["group"]) == set(groups["group"])
    provincial = units["group"] == "provincial"
    assert set(units.loc[provincial, "region"]) == set(regions["region"])
    assert (units.loc[~provincial, "region"] == "").all()
    hanoi = units.set_index("unit_id").loc["CA01"]
    assert (hanoi["name_vi"], hanoi["name_en"]) == ("Công an thành phố Hà Nội", "Hanoi City Police")
    assert units.loc[units["valid_to"] != "", "unit_id"].tolist() == ["P11"]


def test_index_scores(demo):
    folder = demo[0]
    scores = read(folder, "index_scores.csv")
    assert list(scores.columns) == ["year", "unit_id", "component", "points", "max_points"]
    assert scores["points"].str.fullmatch(r"\d+\.\d\d").all()
    points, maxima = scores["points"].astype(float), scores["max_points"].astype(float)
    assert ((points >= 0) & (points <= maxima)).all()
    units = read(folder, "units.csv")[["unit_id", "group"]]
    totals = (scores.assign(points=points).groupby(["year", "unit_id"], as_index=False)["points"]
              .sum().merge(units, on="unit_id"))
    assert totals["points"].between(55, 100).all()
    means = totals.groupby(["group", "year"])["points"].mean().unstack()
    for group, published in PUBLISHED_MEANS_2023.items():
        assert means.loc[group, "2023"] == pytest.approx(published, abs=0.5)
        assert means.loc[group, "2023"] < means.loc[group, "2024"] < means.loc[group, "2025"]
    assert totals["year"].value_counts().to_dict() == {"2023": 100, "2024": 100, "2025": 99}


def test_ballot_counts_and_size(demo, ballots):
    assert list(ballots.columns) == ["year", "unit_id", "ballot_id", "channel", "submitted_at",
                                     *Q_COLS]
    assert 120_000 <= len(ballots) <= 180_000
    assert (demo[0] / "ballots.csv").stat().st_size < 8_000_000
    per_year = ballots["year"].value_counts()
    assert 2 < per_year["2025"] / per_year["2024"] < 4
    sizes = ballots[ballots["year"] != ""].groupby(["year", "unit_id"]).size()
    assert sizes.min() < 30 and sizes.max() > 2000
    units = read(demo[0], "units.csv")
    served = units.loc[units["group"] != "no_procedures", "unit_id"]
    departments = units.loc[units["group"] == "no_procedures", "unit_id"]
    assert set(served) <= set(ballots["unit_id"])
    assert not ballots["unit_id"].isin(departments).any()


def test_satisfaction_near_published(ballots):
    for year, published in PUBLISHED_SATISFACTION.items():
        n_satisfied, n_valid = satisfied(ballots[ballots["year"] == year])
        assert n_satisfied / n_valid == pytest.approx(published, abs=0.003)


def test_channels_and_timestamps(ballots):
    shares = ballots.groupby("year")["channel"].value_counts(normalize=True)
    assert shares["2023", "paper"] > 0.75 and shares["2024", "paper"] > 0.75
    assert shares["2025", "vneid"] > 0.9 and "paper" not in shares["2025"]
    paper = ballots["channel"] == "paper"
    assert ballots.loc[paper, "submitted_at"].str.fullmatch(r"\d{4}-\d\d-\d\d").all()
    assert ballots.loc[~paper, "submitted_at"].str.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d").all()
    dated = ballots[ballots["year"] != ""]
    assert (dated["submitted_at"].str[:4] == dated["year"]).all()


def test_invalid_ballots_are_exactly_the_planted_ones(demo, ballots, planted):
    text = ballots[Q_COLS]
    in_scale = text.isin(["", "1", "2", "3", "4", "5"])
    known = read(demo[0], "units.csv")["unit_id"]
    checks = {
        "invalid_out_of_scale": ~in_scale.all(axis=1),
        "invalid_blank": (text == "").all(axis=1),
        "invalid_unknown_unit": ~ballots["unit_id"].isin(known),
        "invalid_missing_year": ballots["year"] == "",
        "invalid_outside_validity": (ballots["unit_id"] == "P11") & (ballots["year"] == "2025"),
    }
    for code, rows in checks.items():
        labelled = case(planted, code)
        assert len(labelled) > 0, code
        assert sorted(ballots.loc[rows, "ballot_id"]) == sorted(labelled["ballot_id"]), code
    assert set(text.to_numpy()[~in_scale.to_numpy()]) == {"0", "6", "9"}


def test_duplicates_are_exact_copies(ballots, planted):
    repeated = ballots[ballots.duplicated(["year", "ballot_id"], keep=False)]
    labelled = case(planted, "duplicate_ballot_id")
    assert 20 <= len(labelled) <= 60
    assert sorted(repeated["ballot_id"].unique()) == sorted(labelled["ballot_id"])
    assert repeated.duplicated(keep=False).all()
    later = ballots.duplicated(["year", "ballot_id"])
    assert ballots.index[later].min() > repeated.index.min()


def test_planted_labels_point_at_ballots(ballots, planted):
    rows = planted[planted["ballot_id"] != ""]
    keys = set(zip(ballots["year"], ballots["unit_id"], ballots["ballot_id"]))
    assert set(zip(rows["year"], rows["unit_id"], rows["ballot_id"])) <= keys
    assert set(planted["case"]) == {
        "invalid_out_of_scale", "invalid_blank", "invalid_unknown_unit",
        "invalid_outside_validity", "invalid_missing_year", "duplicate_ballot_id",
        "real_decline", "nonsignificant_drop", "tiny_unit_all_satisfied", "method_change",
        "copied_forms", "straight_lining", "burst"}


def two_proportion_p(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Two-sided p of the z test for two proportions given as (successes, trials)."""
    pooled = (a[0] + b[0]) / (a[1] + b[1])
    se = math.sqrt(pooled * (1 - pooled) * (1 / a[1] + 1 / b[1]))
    z = (a[0] / a[1] - b[0] / b[1]) / se
    return math.erfc(abs(z) / math.sqrt(2))


def test_real_decline_is_large_and_significant(ballots, planted):
    unit = case(planted, "real_decline")["unit_id"].item()
    before, after = (unit_year(ballots, unit, y) for y in ("2024", "2025"))
    assert 1400 <= len(before) <= 1600 and 1400 <= len(after) <= 1600
    (s0, n0), (s1, n1) = satisfied(before), satisfied(after)
    assert s0 / n0 == pytest.approx(0.98, abs=0.01) and s1 / n1 == pytest.approx(0.85, abs=0.01)
    assert two_proportion_p((s0, n0), (s1, n1)) < 1e-6


def test_small_drop_is_not_significant(ballots, planted):
    unit = case(planted, "nonsignificant_drop")["unit_id"].item()
    before, after = (satisfied(unit_year(ballots, unit, y)) for y in ("2024", "2025"))
    assert before[0] / before[1] > after[0] / after[1]
    # Treating answers as independent overstates significance; even so it is not significant.
    assert two_proportion_p(before, after) > 0.05


def test_tiny_unit_has_seven_very_satisfied_ballots(ballots, planted):
    unit = case(planted, "tiny_unit_all_satisfied")["unit_id"].item()
    tiny = unit_year(ballots, unit, "2025")
    assert len(tiny) == 7 and (tiny[Q_COLS] == "5").all().all()


def test_copied_forms_block(ballots, planted):
    labelled = case(planted, "copied_forms")
    assert len(labelled) == 60 and labelled[["year", "unit_id"]].nunique().max() == 1
    block = ballots[ballots["ballot_id"].isin(labelled["ballot_id"])]
    assert len(block.drop_duplicates(Q_COLS)) == 1 and (block[Q_COLS] == "").any(axis=1).all()
    numbers = block["ballot_id"].str[5:].astype(int)
    assert numbers.max() - numbers.min() == len(block) - 1


def straight_lined(frame: pd.DataFrame) -> pd.Series:
    text = frame[Q_COLS]
    return (text != "").all(axis=1) & text.eq(text["q_access"], axis=0).all(axis=1)


def test_straight_lining_beyond_peers(ballots, planted):
    row = case(planted, "straight_lining")
    year, unit = row["year"].item(), row["unit_id"].item()
    of_year = ballots[ballots["year"] == year]
    rates = straight_lined(of_year).groupby(of_year["unit_id"]).mean()
    assert rates[unit] > 0.7 and rates[unit] > 3 * rates.drop(unit).median()


def test_burst_within_ten_minutes(ballots, planted):
    labelled = case(planted, "burst")
    assert len(labelled) == 200 and labelled[["year", "unit_id"]].nunique().max() == 1
    times = pd.to_datetime(ballots.loc[ballots["ballot_id"].isin(labelled["ballot_id"]),
                                       "submitted_at"])
    assert times.max() - times.min() <= pd.Timedelta(minutes=10)
    unit_ballots = unit_year(ballots, labelled["unit_id"].iloc[0], labelled["year"].iloc[0])
    assert len(unit_ballots) >= 3 * len(labelled)


def test_committed_demo_is_current(demo):
    committed = Path(__file__).resolve().parents[1] / "data" / "demo-mps"
    if not committed.is_dir():
        pytest.skip("data/demo-mps is not there")
    for name in FILES:
        assert (committed / name).read_bytes() == (demo[0] / name).read_bytes(), name
