"""Power and sample size for comparing two groups: published values, the formula by hand, and simulation
of the package's own tests (compare_proportions' Newcombe p-value, nps_compare's adjusted-Wald p-value)."""

import numpy as np
import pytest
from scipy.stats import norm

import journey
from journey.errors import JourneyError
from journey.stats.intervals import newcombe_pvalue


def fleiss_n(p1, p2, level=0.95, power=0.8):
    """Fleiss, Levin & Paik (2003), eq. 4.14 without continuity correction, equal groups: n per group."""
    za, zb, pbar = norm.ppf(0.5 + level / 2), norm.ppf(power), (p1 + p2) / 2
    return (za * np.sqrt(2 * pbar * (1 - pbar)) + zb * np.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (p1 - p2) ** 2


def test_two_proportions_match_published_values():
    # R, ?power.prop.test: power.prop.test(n = 50, p1 = .50, p2 = .75) gives power = 0.7401659, and
    # power.prop.test(p1 = .50, p2 = .75, power = .90) gives n = 76.65294 per group.
    assert journey.power(50, 25, p=0.5) == pytest.approx(0.7401659, abs=2e-6)  # + 1.3e-6 from the far tail
    assert journey.sample_size_two_groups(25, p=0.5, power=0.9) == 77
    # The textbook 40% against 60% at 5% and 80% power: 96.9, so 97 a group (107 with continuity correction).
    assert fleiss_n(0.4, 0.6) == pytest.approx(96.9, abs=0.05)
    assert journey.sample_size_two_groups(20, p=0.4) == 97
    for p1, p2, level, target in [(0.1, 0.15, 0.95, 0.8), (0.3, 0.2, 0.99, 0.9), (0.02, 0.03, 0.9, 0.8)]:
        n = journey.sample_size_two_groups((p2 - p1) * 100, p=p1, level=level, power=target)
        assert n == int(np.ceil(fleiss_n(p1, p2, level, target))), (p1, p2)


def test_two_nps_by_hand():
    # First group 40/30/30 (NPS +10, variance 0.4 + 0.3 - 0.1^2 = 0.69); a 10-point difference turns 5 points of
    # detractors into promoters: 45/30/25 (NPS +20, variance 0.7 - 0.04 = 0.66).
    n = (norm.ppf(0.975) + norm.ppf(0.8)) ** 2 * (0.69 + 0.66) / 0.1**2
    assert journey.sample_size_two_groups(10, metric="nps", shares=(0.4, 0.3, 0.3)) == int(np.ceil(n)) == 1060
    se = np.sqrt(0.69 / 500 + 0.66 / 300)
    expected = norm.cdf(0.1 / se - norm.ppf(0.975)) + norm.cdf(-0.1 / se - norm.ppf(0.975))
    assert journey.power(500, 10, n2=300, metric="nps", shares=(0.4, 0.3, 0.3)) == pytest.approx(expected)
    # The worst case by default: half promoters, half detractors (variance 1), about four times a proportion's n.
    assert journey.sample_size_two_groups(10, metric="nps") == int(
        np.ceil((norm.ppf(0.975) + norm.ppf(0.8)) ** 2 * (1 + 1 - 0.1**2) / 0.1**2)
    )


@pytest.mark.parametrize(
    "difference, kw",
    [(5, {"p": 0.2}), (-8, {"p": 0.5, "power": 0.9}), (15, {"metric": "nps", "shares": (0.3, 0.4, 0.3), "level": 0.9})],
)
def test_the_sample_size_is_the_smallest_that_reaches_the_power(difference, kw):
    target = kw.pop("power", 0.8)
    n = journey.sample_size_two_groups(difference, power=target, **kw)
    assert journey.power(n, difference, **kw) >= target > journey.power(n - 1, difference, **kw)


def test_power_grows_from_the_false_positive_rate_with_the_answers():
    assert journey.power(100, 1e-6, p=0.3) == pytest.approx(0.05, abs=1e-6)
    assert journey.power(100, 1e-6, metric="nps", level=0.9) == pytest.approx(0.10, abs=1e-6)
    powers = [journey.power(n, 5, p=0.3) for n in (50, 200, 800, 3200, 6400)]
    assert powers == sorted(powers) and powers[-1] > 0.99


def test_proportion_power_matches_simulated_compare_proportions():
    # The package's p-value for a difference inverts Newcombe's interval; simulate it on 20,000 pairs of groups.
    rng = np.random.default_rng(2)
    for n1, n2, p1, p2 in [(97, 97, 0.4, 0.6), (200, 100, 0.3, 0.45), (1000, 1000, 0.1, 0.125)]:
        k1, k2 = rng.binomial(n1, p1, 20_000), rng.binomial(n2, p2, 20_000)
        simulated = np.mean(newcombe_pvalue(k1, n1, k2, n2) < 0.05)
        formula = journey.power(n1, (p2 - p1) * 100, n2=n2, p=p1)
        assert simulated == pytest.approx(formula, abs=0.012), (n1, n2, p1, p2, simulated, formula)
    assert journey.compare_proportions(40, 97, 58, 97).pvalue == pytest.approx(float(newcombe_pvalue(40, 97, 58, 97)))


def test_nps_power_matches_simulated_nps_compare():
    rng = np.random.default_rng(3)
    first, second, n1, n2 = (0.4, 0.3, 0.3), (0.45, 0.3, 0.25), 600, 400
    a, b = rng.multinomial(n1, first, 20_000).astype(float), rng.multinomial(n2, second, 20_000).astype(float)

    def adjusted(counts):  # nps_compare's test: Rocks' pseudo-counts 3/4, 3/2, 3/4 on each group
        c = counts + [0.75, 1.5, 0.75]
        n = c.sum(axis=1)
        p, d = c[:, 0] / n, c[:, 2] / n
        return p - d, (p + d - (p - d) ** 2) / n

    (ca, va), (cb, vb) = adjusted(a), adjusted(b)
    pvalues = 2 * norm.sf(np.abs(ca - cb) / np.sqrt(va + vb))
    for i in range(3):  # the same p-values as the package's
        g = [
            journey.nps_from_counts(promoters=int(x[0]), passives=int(x[1]), detractors=int(x[2])) for x in (a[i], b[i])
        ]
        assert journey.nps_compare(*g).pvalue == pytest.approx(pvalues[i])
    formula = journey.power(n1, 10, n2=n2, metric="nps", shares=first)
    assert np.mean(pvalues < 0.05) == pytest.approx(formula, abs=0.012), (np.mean(pvalues < 0.05), formula)


def test_bad_arguments_are_refused_with_their_keyword():
    for call, words in [
        (lambda: journey.power(0, 5), "n must"),
        (lambda: journey.power(10, 5, n2=0), "n2 must"),
        (lambda: journey.power(10, 0), "non-zero"),
        (lambda: journey.power(10, 60, p=0.5), "outside 0-1"),
        (lambda: journey.power(10, 50, metric="nps", shares=(0.5, 0.3, 0.2)), "cannot be reached"),
        (lambda: journey.power(10, 5, metric="csat"), "metric"),
        (lambda: journey.power(10, 100, p=0.0), "variance"),
        (lambda: journey.sample_size_two_groups(5, power=0.03), "power must"),
        (lambda: journey.sample_size_two_groups(5, power=1.0), "power must"),
        (lambda: journey.sample_size_two_groups(5, level=95), "level"),
    ]:
        with pytest.raises(JourneyError, match=words):
            call()
