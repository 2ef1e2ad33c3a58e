"""The vectorised Wilson interval equals scipy's, and covers as it promises."""

import numpy as np
import pytest
from scipy.stats import binomtest

from journey.stats.intervals import wilson_interval


@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
def test_wilson_equals_scipy_binomtest(level):
    for n in [1, 2, 5, 17, 100, 1000]:
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            low, high = wilson_interval([k], [n], level)
            ref = binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
            assert low[0] == pytest.approx(ref.low, abs=1e-12) and high[0] == pytest.approx(ref.high, abs=1e-12)


def test_empty_groups_have_no_interval():
    low, high = wilson_interval([0], [0])
    assert np.isnan(low[0]) and np.isnan(high[0])


def test_wilson_covers_about_95_percent_by_simulation():
    rng = np.random.default_rng(1)
    for p, n in [(0.05, 40), (0.3, 25), (0.5, 200), (0.9, 60)]:
        k = rng.binomial(n, p, size=20_000)
        low, high = wilson_interval(k, np.full(k.shape, n))
        coverage = ((low <= p) & (p <= high)).mean()
        assert 0.92 <= coverage <= 0.98, (p, n, coverage)


# Newcombe RG (1998). Interval estimation for the difference between independent proportions: comparison
# of eleven methods. Statistics in Medicine 17:873-890, Table II, method 10 (hybrid score), examples a, b, d-h.
NEWCOMBE_1998 = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize("counts, published", NEWCOMBE_1998)
def test_newcombe_hybrid_interval_matches_the_published_table(counts, published):
    from journey.stats.intervals import newcombe_interval

    low, high = newcombe_interval(*([c] for c in counts))
    assert (round(low[0], 4), round(high[0], 4)) == published


@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
def test_exact_interval_equals_scipy_clopper_pearson(level):
    from journey.stats.intervals import proportion_interval

    for k, n in [(0, 7), (1, 29), (15, 148), (81, 263), (12, 12)]:
        low, high = proportion_interval([k], [n], level, "exact")
        ref = binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
        assert low[0] == pytest.approx(ref.low, abs=1e-10) and high[0] == pytest.approx(ref.high, abs=1e-10)


def test_jeffreys_covers_about_its_level_by_simulation():
    from journey.stats.intervals import proportion_interval

    rng = np.random.default_rng(2)
    for p, n, level in [(0.1, 50, 0.9), (0.4, 30, 0.95), (0.7, 100, 0.8)]:
        k = rng.binomial(n, p, size=20_000)
        low, high = proportion_interval(k, np.full(k.shape, n), level, "jeffreys")
        coverage = ((low <= p) & (p <= high)).mean()
        assert abs(coverage - level) < 0.04, (p, n, level, coverage)
