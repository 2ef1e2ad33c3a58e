"""Proportions, CSAT and differences: published values and validation."""

import numpy as np
import pytest

import journey
from journey.errors import InvalidValuesError, JourneyError

# Newcombe RG (1998). Two-sided confidence intervals for the single proportion: comparison of seven methods.
# Statistics in Medicine 17:857-872, Table I: method 3 (Wilson score) and method 5 (Clopper-Pearson exact).
NEWCOMBE_SINGLE = [
    ((81, 263), (0.2553, 0.3662), (0.2527, 0.3676)),
    ((15, 148), (0.0624, 0.1605), (0.0578, 0.1617)),
    ((0, 20), (0.0000, 0.1611), (0.0000, 0.1684)),
    ((1, 29), (0.0061, 0.1718), (0.0009, 0.1776)),
]


@pytest.mark.parametrize("counts, wilson, exact", NEWCOMBE_SINGLE)
def test_single_proportion_intervals_match_newcombe_1998(counts, wilson, exact):
    r = journey.proportion(*counts)
    assert tuple(round(x, 4) for x in r.confidence_interval()) == wilson
    assert tuple(round(x, 4) for x in r.confidence_interval(method="exact")) == exact


def test_jeffreys_interval_is_the_beta_quantiles():
    from scipy.stats import beta

    low, high = journey.proportion(15, 148).confidence_interval(method="jeffreys")
    assert low == pytest.approx(beta.ppf(0.025, 15.5, 133.5)) and high == pytest.approx(beta.ppf(0.975, 15.5, 133.5))
    assert journey.proportion(0, 20).confidence_interval(method="jeffreys").low == 0.0


def test_difference_uses_newcombe_hybrid_score_and_has_a_pvalue():
    d = journey.compare_proportions(56, 70, 48, 80)  # Newcombe (1998b), Table II, example (a)
    assert d.difference == pytest.approx(0.2)
    assert tuple(round(x, 4) for x in d.confidence_interval()) == (0.0524, 0.3339)
    assert 0 < d.pvalue < 0.05
    wald = d.confidence_interval(method="wald")
    assert wald.low == pytest.approx(0.2 - 1.959964 * np.sqrt(0.8 * 0.2 / 70 + 0.6 * 0.4 / 80), abs=1e-6)


def test_csat_counts_the_satisfied_share_and_missing_answers():
    r = journey.csat([5, 4, 3, None, 5, "4", 2.0])
    assert (r.k, r.n, r.n_missing) == (4, 6, 1)
    assert journey.csat([7, 6, 1], scale=(1, 7), satisfied=(6, 7)).k == 2


@pytest.mark.parametrize("bad", [4.5, 6, 0, "five"])
def test_csat_refuses_values_off_the_scale_naming_them(bad):
    with pytest.raises(InvalidValuesError, match=r"row 1 \(") as err:
        journey.csat([5, bad, 4])
    assert err.value.rows == [1] and err.value.values == [bad]


def test_bad_counts_are_refused():
    for k, n in [(5, 3), (-1, 3), (1.5, 3)]:
        with pytest.raises(JourneyError):
            journey.proportion(k, n)
    with pytest.raises(JourneyError, match="method"):
        journey.proportion(1, 2).confidence_interval(method="agresti")


def test_reprs_are_plain():
    text = repr(journey.proportion(81, 263))
    assert text == "ProportionResult: 30.8% (81 of 263); 95% CI (Wilson) 25.5% to 36.6%"
    assert "np.float64" not in repr(journey.compare_proportions(3, 10, 5, 10))
