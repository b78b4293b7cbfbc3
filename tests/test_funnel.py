import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.stats.funnel import binomial_cdf, exact_limit, funnel_limits, funnel_table, overdispersion

# published normal quantiles for two-sided 95% and 99.8% limits
Z95, Z998 = 1.959964, 3.090232

CONTRACT_COLUMNS = ["unit_id", "metric", "n", "p", "p0", "lower95", "upper95", "lower998", "upper998", "outside"]
ADDED_COLUMNS = ["phi", "tau", "lower998_adj", "upper998_adj", "outside_adj"]


def spiegelhalter_exact(n: int, p0: float, q: float) -> float:
    """Spiegelhalter (2005) appendix A.1.1 with scipy's binomial: r = the q-quantile,
    a = (F(r) - q) / (F(r) - F(r - 1)), limit = (r - a) / n."""
    r = stats.binom.ppf(q, n, p0)
    f_r, f_before = stats.binom.cdf(r, n, p0), stats.binom.cdf(r - 1, n, p0)
    return (r - (f_r - q) / (f_r - f_before)) / n


@pytest.mark.parametrize("n", [1, 7, 30, 213, 1000])
@pytest.mark.parametrize("p0", [0.5, 0.8, 0.96369])
def test_exact_limits_against_scipy_binomial(n, p0):
    for q in (0.001, 0.025, 0.975, 0.999):
        assert exact_limit(np.array([float(n)]), p0, q)[0] == pytest.approx(
            min(1.0, max(0.0, spiegelhalter_exact(n, p0, q))), abs=1e-12)


def test_binomial_cdf_for_integer_and_effective_sizes():
    for r in range(-1, 12):
        assert binomial_cdf(r, 10, 0.3) == pytest.approx(stats.binom.cdf(r, 10, 0.3), abs=1e-14)
    # a non-integer n lies between its neighbours
    assert binomial_cdf(7, 10, 0.6) < binomial_cdf(7, 10.5, 0.6) < binomial_cdf(7, 11, 0.6) or \
        binomial_cdf(7, 10, 0.6) > binomial_cdf(7, 10.5, 0.6) > binomial_cdf(7, 11, 0.6)


def test_large_n_limits_approach_the_normal_ones():
    got = funnel_limits(np.array([1e6]), 0.8)
    se = math.sqrt(0.8 * 0.2 / 1e6)
    assert got["lower998"][0] == pytest.approx(0.8 - Z998 * se, abs=2e-6)
    assert got["upper95"][0] == pytest.approx(0.8 + Z95 * se, abs=2e-6)


def test_limits_clipped_and_undefined():
    got = funnel_limits(np.array([4.0, 0.0]), 0.95)
    # n = 4: F(3) = 1 - 0.95^4 = 0.18549..., upper 97.5%: r = 4, (4 - 0.025/0.81450...)/4
    assert got["upper95"][0] == pytest.approx((4 - 0.025 / 0.95**4) / 4, abs=1e-12)
    assert got["upper998"][0] == pytest.approx((4 - 0.001 / 0.95**4) / 4, abs=1e-12)
    # an effective size may put r = ceil(n) above n: the limit is clipped to 1
    assert funnel_limits(np.array([4.5]), 0.9999)["upper998"][0] == 1.0
    assert got["lower998"][0] == pytest.approx(spiegelhalter_exact(4, 0.95, 0.001), abs=1e-12)
    assert all(np.isnan(v[1]) for v in got.values())
    assert sorted(funnel_limits(10.0, 0.5, levels=(0.9,))) == ["lower90", "lower90_adj", "upper90", "upper90_adj"]


def test_overdispersion_hand_worked():
    # five units, p0 = 0.5: z_i = (p_i - 0.5) / sqrt(0.25 / n_i)
    p = np.array([0.30, 0.45, 0.50, 0.58, 0.80])
    n = np.array([100.0, 400.0, 100.0, 625.0, 25.0])
    z = (p - 0.5) / np.sqrt(0.25 / n)  # -4, -2, 0, 4, 3
    np.testing.assert_allclose(z, [-4, -2, 0, 4, 3], atol=1e-12)
    # 10th and 90th percentiles (linear): sorted -4, -2, 0, 3, 4 -> h = 0.4 -> -3.2; h = 3.6 -> 3.6
    winsorised = np.array([-3.2, -2, 0, 3.6, 3])
    phi = np.mean(winsorised**2)  # (10.24 + 4 + 0 + 12.96 + 9) / 5 = 7.24
    assert phi == pytest.approx(7.24)
    w = n / 0.25
    tau2 = (5 * phi - 4) / (w.sum() - (w**2).sum() / w.sum())
    got = overdispersion(p, n, 0.5)
    np.testing.assert_allclose(got["z"], z)
    assert got["phi"] == pytest.approx(7.24)
    assert got["tau"] == pytest.approx(math.sqrt(tau2))
    assert got["phi_p"] == pytest.approx(stats.chi2.sf(5 * 7.24, 4))
    # no over-dispersion: tau = 0
    calm = overdispersion(np.array([0.49, 0.51, 0.5]), np.array([100.0, 100.0, 100.0]), 0.5)
    assert calm["tau"] == 0.0


def test_adjusted_limits_by_formula():
    n, p0, tau = np.array([200.0, 5000.0]), 0.9, 0.02
    got = funnel_limits(n, p0, tau=tau)
    spread = Z998 * np.sqrt(p0 * (1 - p0) / n + tau**2)
    np.testing.assert_allclose(got["upper998_adj"], np.minimum(1, np.maximum(got["upper998"], p0 + spread)), atol=1e-6)
    np.testing.assert_allclose(got["lower998_adj"], np.minimum(got["lower998"], p0 - spread), atol=1e-6)
    assert got["lower998_adj"][1] == pytest.approx(p0 - spread[1], abs=1e-6)  # tau dominates at large n
    same = funnel_limits(n, p0, tau=0.0)
    np.testing.assert_array_equal(same["lower998_adj"], same["lower998"])


def test_worked_table():
    units = pd.DataFrame({"unit_id": ["C", "A", "B", "D"], "n": [200, 100, 1000, 0], "x": [118, 95, 700, 0]})
    table = funnel_table(units, "satisfaction")
    assert list(table.columns[: len(CONTRACT_COLUMNS)]) == CONTRACT_COLUMNS
    assert set(ADDED_COLUMNS) <= set(table.columns)
    assert table["unit_id"].tolist() == ["A", "B", "C", "D"]
    # p0 = (95 + 700 + 118) / (100 + 1000 + 200) = 913 / 1300 = 0.7023077
    assert table["p0"].iloc[0] == pytest.approx(0.7023077, abs=1e-7)
    p0 = 913 / 1300
    assert table["upper998"].iloc[0] == pytest.approx(spiegelhalter_exact(100, p0, 0.999), abs=1e-12)
    assert table["lower998"].iloc[2] == pytest.approx(spiegelhalter_exact(200, p0, 0.001), abs=1e-12)
    assert table["outside"].tolist() == ["above", "", "below", ""]
    assert np.isnan(table["p"].iloc[3]) and np.isnan(table["upper95"].iloc[3])
    assert table["p"].iloc[:3].tolist() == [0.95, 0.7, 0.59]
    # three units, each 10% winsorised: phi and tau repeat on every row
    assert table["phi"].nunique() == 1 and table["tau"].iloc[0] > 0
    # a given p0 (the contract's Σ satisfied ÷ Σ valid) is used as is
    assert (funnel_table(units, "satisfaction", p0=0.7)["p0"] == 0.7).all()


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


@pytest.fixture(scope="module")
def demo_2025():
    from analysis.indices import satisfaction
    from analysis.inputs.dataset import load_dataset

    units = satisfaction.load(load_dataset("data/demo-mps")).by_year[2025]
    return units[units["n_eff"] > 0]


def test_demo_mps_2025_reference(demo_2025):
    """The issue's reference: phi ≈ 31, tau ≈ 0.015, 41 units outside the plain 99.8% limits,
    4 outside the adjusted ones, CA40 (the planted decline) among them."""
    u = demo_2025
    p0 = u["n_satisfied"].sum() / u["n_valid"].sum()
    assert p0 == pytest.approx(0.96369, abs=1e-5)
    table = funnel_table(pd.DataFrame({"unit_id": u["unit_id"], "n": u["n_eff"],
                                       "x": u["p"] * u["n_eff"]}), "satisfaction", p0=p0)
    assert table["phi"].iloc[0] == pytest.approx(31.4, abs=0.1)
    assert table["tau"].iloc[0] == pytest.approx(0.0151, abs=1e-4)
    assert (table["outside"] != "").sum() == 41
    flagged = table.loc[table["outside_adj"] != "", "unit_id"].tolist()
    assert len(flagged) == 4 and "CA40" in flagged
