"""Random-effects standardisation and the ratio estimator's variance against statsmodels and
formulas written out here."""
import numpy as np
import pytest
from statsmodels.stats.meta_analysis import combine_effects

from analysis.stats.dispersion import random_effects, ratio_variance


def test_dersimonian_laird_matches_statsmodels():
    rng = np.random.default_rng(3)
    d = rng.normal(0.2, 0.3, 40)
    v = rng.uniform(0.01, 0.09, 40)
    mu, tau2, z = random_effects(d, v)
    reference = combine_effects(d, v, method_re="dl")
    assert tau2 == pytest.approx(reference.tau2)
    assert mu == pytest.approx(reference.mean_effect_re)
    np.testing.assert_allclose(z, (d - reference.mean_effect_re) / np.sqrt(v + reference.tau2))


def test_trim_refits_without_the_outliers():
    rng = np.random.default_rng(4)
    d = np.append(rng.normal(0.0, 0.1, 50), [3.0, 2.5])
    v = np.full(52, 0.01)
    mu, tau2, z = random_effects(d, v, trim=3.0)
    inner = combine_effects(d[:50], v[:50], method_re="dl")
    assert mu == pytest.approx(inner.mean_effect_re) and tau2 == pytest.approx(inner.tau2)
    assert z[-1] == pytest.approx((2.5 - mu) / np.sqrt(0.01 + tau2))
    assert random_effects([1.0], [0.1])[2].tolist() != [0.0]      # one entry: no fit, NaN
    assert np.isnan(random_effects([1.0, np.nan], [0.1, 0.1])[0])


def test_ratio_variance_from_sums():
    y = np.array([3, 0, 2, 5, 1])
    m = np.array([5, 4, 2, 5, 3])
    r, var = ratio_variance(len(y), y.sum(), m.sum(), (y * y).sum(), (m * m).sum(), (y * m).sum())
    ratio = y.sum() / m.sum()
    by_hand = len(y) / (len(y) - 1) * np.sum((y - ratio * m) ** 2) / m.sum() ** 2
    assert r == pytest.approx(ratio) and var == pytest.approx(by_hand)
    assert np.isnan(ratio_variance(1, 1, 2, 1, 4, 2)[1])
