import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.stats.sensitivity import rank_sensitivity, row_ranks, sobol_indices


def test_sobol_estimators_recover_the_ishigami_indices():
    """Ishigami & Homma (1990), f = sin x1 + a sin² x2 + b x3⁴ sin x1, x ~ U(−π, π)³; the
    analytic variances (Saltelli et al. 2008, Global Sensitivity Analysis, §4.8):
    V1 = bπ⁴/5 + b²π⁸/50 + ½, V2 = a²/8, V3 = 0, V13 = b²π⁸/18 − b²π⁸/50,
    V = a²/8 + bπ⁴/5 + b²π⁸/18 + ½. For a = 7, b = 0.1: S = (0.3139, 0.4424, 0),
    ST = (0.5576, 0.4424, 0.2437)."""
    a, b, pi = 7.0, 0.1, math.pi
    v1 = b * pi**4 / 5 + b**2 * pi**8 / 50 + 0.5
    v2 = a**2 / 8
    v13 = b**2 * pi**8 / 18 - b**2 * pi**8 / 50
    v = v1 + v2 + v13
    expected_first = np.array([v1, v2, 0]) / v
    expected_total = np.array([v1 + v13, v2, v13]) / v

    def f(x):
        return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])

    rng = np.random.default_rng(1)
    n = 2**16
    xa, xb = rng.uniform(-pi, pi, (n, 3)), rng.uniform(-pi, pi, (n, 3))
    f_ab = []
    for i in range(3):
        mixed = xa.copy()
        mixed[:, i] = xb[:, i]
        f_ab.append(f(mixed))
    first, total = sobol_indices(f(xa), f(xb), np.array(f_ab))
    assert first == pytest.approx(expected_first, abs=0.02)
    assert total == pytest.approx(expected_total, abs=0.02)
    assert expected_first == pytest.approx([0.3139, 0.4424, 0], abs=5e-5)
    assert expected_total == pytest.approx([0.5576, 0.4424, 0.2437], abs=5e-5)


def test_row_ranks_are_min_ranks_of_each_row():
    rng = np.random.default_rng(3)
    values = rng.integers(0, 6, (200, 9)).astype(float)   # many ties
    expected = np.array([stats.rankdata(-row, method="min") for row in values])
    assert (row_ranks(values) == expected).all()


# Four units, three dimensions with max_points 10, 10, 20 (nominal weights ¼, ¼, ½), values
# chosen exact in binary. Arithmetic (the nominal index):
#   u1 = ¼·1 + ¼·½ + ½·¼ = 0.5,  u2 = 0.5,  u3 = ¼·¼ + ¼·¾ + ½·¾ = 0.625,  u4 = ¼·¾ + ¼·¼ + ½·½ = 0.5
#   → ranks u1 2, u2 2, u3 1, u4 2 (three tied at 2).
# Geometric: u1 = 1^¼ ½^¼ ¼^½ = 0.4204, u2 = 0.5, u3 = ¼^¼ ¾^¼ ¾^½ = 0.5699,
#   u4 = ¾^¼ ¼^¼ ½^½ = 0.4653 → ranks 4, 2, 1, 3.
SCORES = pd.DataFrame({"a": [1.0, 0.5, 0.25, 0.75], "b": [0.5, 0.5, 0.75, 0.25],
                       "c": [0.25, 0.5, 0.75, 0.5]}, index=["u1", "u2", "u3", "u4"])
WEIGHTS = pd.Series({"a": 10, "b": 10, "c": 20})


def test_nominal_weights_and_arithmetic_mean_reproduce_the_nominal_ranks():
    units, sobol = rank_sensitivity(SCORES, WEIGHTS, draws=500, seed=7, spread=0.0,
                                    aggregations=("arithmetic",))
    assert units["unit_id"].tolist() == ["u1", "u2", "u3", "u4"]
    for column in ("rank_nominal", "rank_median", "rank_p05", "rank_p95"):
        assert units[column].tolist() == [2, 2, 1, 2]
    assert units["max_shift"].tolist() == [0, 0, 0, 0]
    assert sobol["first_order"].isna().all()   # nothing moves: no variance to apportion


def test_geometric_mean_gives_the_hand_computed_ranks():
    units, _ = rank_sensitivity(SCORES, WEIGHTS, draws=200, seed=7, spread=0.0,
                                aggregations=("geometric",))
    assert units["rank_nominal"].tolist() == [2, 2, 1, 2]
    assert units["rank_median"].tolist() == [4, 2, 1, 3]
    assert units["max_shift"].tolist() == [2, 0, 0, 1]


def test_only_the_aggregation_matters_when_the_weights_are_fixed():
    """With spread 0 the output depends on the aggregation alone: its first-order and total
    indices are 1 (up to sampling error of the first-order estimator) and every weight's 0."""
    units, sobol = rank_sensitivity(SCORES, WEIGHTS, draws=4000, seed=11, spread=0.0)
    s = sobol.set_index("factor")
    assert s.loc["aggregation", "total_order"] == pytest.approx(1.0, abs=0.05)
    assert s.loc["aggregation", "first_order"] == pytest.approx(1.0, abs=0.05)
    weights = s.drop(index="aggregation")
    assert (weights["first_order"] == 0).all() and (weights["total_order"] == 0).all()
    # half the draws geometric: u1 at 2 or 4, so its 5th–95th percentiles span both
    u1 = units.set_index("unit_id").loc["u1"]
    assert (u1["rank_p05"], u1["rank_p95"], u1["max_shift"]) == (2, 4, 2)


def test_weights_move_ranks_within_their_range_and_are_seeded():
    units, sobol = rank_sensitivity(SCORES, WEIGHTS, draws=2000, seed=5, spread=0.25,
                                    aggregations=("arithmetic",))
    again, sobol_again = rank_sensitivity(SCORES, WEIGHTS, draws=2000, seed=5, spread=0.25,
                                          aggregations=("arithmetic",))
    pd.testing.assert_frame_equal(units, again)
    pd.testing.assert_frame_equal(sobol, sobol_again)
    # u3 leads every weighted mean within ±25% (u1 reaches it only at the corner a × 1.25,
    # b and c × 0.75); any other weights break the three-way tie at 2 into 2, 3, 4
    by_unit = units.set_index("unit_id")
    assert by_unit.loc["u3"].tolist() == [1, 1, 1, 1, 0]
    for unit in ("u1", "u2", "u4"):
        assert by_unit.loc[unit, ["rank_p05", "rank_p95", "max_shift"]].tolist() == [2, 4, 2]
    # so the mean shift is always (0 + 1 + 2) ÷ 4 = 0.75: no variance, no Sobol index
    assert sobol["first_order"].isna().all() and sobol["total_order"].isna().all()


def test_sobol_indices_of_a_real_ranking_are_proper_shares():
    """Five units whose ranks the weights and the aggregation both move (seeded)."""
    scores = pd.DataFrame({"a": [0.9, 0.6, 0.3, 0.5, 0.7], "b": [0.2, 0.6, 0.9, 0.5, 0.4],
                           "c": [0.5, 0.55, 0.4, 0.7, 0.45]}, index=list("vwxyz"))
    _, sobol = rank_sensitivity(scores, pd.Series({"a": 1, "b": 1, "c": 1}), draws=20000, seed=2)
    s = sobol.set_index("factor")
    assert (s["total_order"] >= s["first_order"] - 0.02).all()
    assert (s["first_order"] > -0.02).all() and (s["total_order"] <= 1.02).all()
    # the group of all weights carries at least what its members carry alone
    assert s.loc["weights", "total_order"] >= s.loc[["weight:a", "weight:b", "weight:c"], "total_order"].max()


def test_papi_nominal_ranks_are_the_sum_of_the_dimensions_and_intervals_contain_them():
    from analysis.indices import composite
    from analysis.inputs.dataset import load_dataset
    from analysis.paths import ROOT

    ds = load_dataset(ROOT / "data" / "papi-provinces")
    units, sobol = composite.sensitivity(ds, 2016)
    # the nominal ranking is that of the sum of the dimensions (pandas, rounded to 4 decimals
    # as the data are: no float noise), 1 = highest, ties sharing the smallest rank
    parts = ds.index_scores.query("year == 2016 and component != 'total'")
    total = parts.groupby("unit_id")["points"].sum().round(4)
    by_hand = total.rank(method="min", ascending=False).astype(int)
    assert len(units) == 63
    assert (units.set_index("unit_id")["rank_nominal"] == by_hand).all()
    # the published ranking ranks PAPI's published totals, which can differ from the sum of
    # the rounded dimensions in the last decimal: at most a place, for a few provinces
    published = composite.index_units(ds, 2016).set_index("unit_id")["rank"]
    shift = (published - by_hand).abs()
    assert shift.max() <= 1 and (shift > 0).sum() <= 4
    assert (units["rank_p05"] <= units["rank_median"]).all()
    assert (units["rank_median"] <= units["rank_p95"]).all()
    assert set(sobol["factor"]) == {f"weight:{c['code']}" for c in ds.config.method(2016)["components"]} | {
        "aggregation", "weights"}
    # 2014 has two provinces with a gap: they are left out, not ranked on five dimensions
    assert len(composite.sensitivity(ds, 2014)[0]) == 61


@pytest.mark.parametrize("block, key", [
    ({"draws": 10}, "sensitivity.draws"),
    ({"draws": 1000, "weight_spread": 1.5}, "sensitivity.weight_spread"),
    ({"draws": 1000, "aggregations": ["harmonic"]}, "sensitivity.aggregations"),
    ("yes", "sensitivity"),
])
def test_bad_sensitivity_settings_are_named(tmp_path, block, key):
    import shutil

    import yaml

    from analysis.inputs.dataset import load_config
    from analysis.inputs.errors import InputError
    from analysis.paths import ROOT

    shutil.copy(ROOT / "data" / "papi-provinces" / "dataset.yaml", tmp_path / "dataset.yaml")
    raw = yaml.safe_load((tmp_path / "dataset.yaml").read_text(encoding="utf-8"))
    raw["sensitivity"] = block
    (tmp_path / "dataset.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_config(tmp_path)
    assert [p.column for p in err.value.problems] == [key]
