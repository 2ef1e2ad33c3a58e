"""Proportions, CSAT and differences: published values, the result protocol, and validation."""

import numpy as np
import pytest
from scipy.stats import binomtest

import journey
import journey.stats.proportions as proportions
from journey.errors import InvalidValuesError, JourneyError
from journey.stats.intervals import newcombe_interval, newcombe_pvalue
from journey.stats.proportions import DifferenceResult, ProportionResult, compare_proportions
from journey.stats.results import ConfidenceInterval, Result
from journey.stats.significance import independence_test

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


@pytest.mark.parametrize("level", [0.8, 0.9, 0.99])
@pytest.mark.parametrize("method", ["wilson", "exact"])
def test_the_result_level_is_the_default_and_any_level_matches_scipy(level, method):
    r = journey.proportion(15, 148, level=level)
    reference = binomtest(15, 148).proportion_ci(confidence_level=level, method=method)
    assert r.level == level
    assert r.confidence_interval(method=method) == pytest.approx((reference.low, reference.high), abs=1e-12)
    at_95 = binomtest(15, 148).proportion_ci(confidence_level=0.95, method=method)
    assert r.confidence_interval(0.95, method) == pytest.approx((at_95.low, at_95.high), abs=1e-12)


def test_jeffreys_interval_is_the_beta_quantiles():
    from scipy.stats import beta

    low, high = journey.proportion(15, 148).confidence_interval(method="jeffreys")
    assert low == pytest.approx(beta.ppf(0.025, 15.5, 133.5)) and high == pytest.approx(beta.ppf(0.975, 15.5, 133.5))
    assert journey.proportion(0, 20).confidence_interval(method="jeffreys").low == 0.0


def test_a_proportion_follows_the_result_protocol():
    r = journey.proportion(81, 263, level=0.9)
    assert isinstance(r, Result) and r.estimate == r.proportion == 81 / 263 and r.unit == "share"
    assert isinstance(r.confidence_interval(), ConfidenceInterval)
    frame = r.to_frame()
    assert list(frame.columns) == ["k", "n", "n_missing", "proportion", "ci_low", "ci_high"]
    assert (frame.loc[0, "ci_low"], frame.loc[0, "ci_high"]) == r.confidence_interval()
    assert repr(r) == "ProportionResult: proportion 30.8% (90% CI 26.3% to 35.7%, 81 of 263)"


def test_the_interval_class_is_the_one_of_the_result_protocol():
    assert proportions.ConfidenceInterval is ConfidenceInterval


def test_difference_uses_newcombe_hybrid_score_and_has_a_pvalue():
    d = journey.compare_proportions(56, 70, 48, 80)  # Newcombe (1998b), Table II, example (a)
    assert d.difference == d.estimate == pytest.approx(0.2) and d.unit == "share"
    assert tuple(round(x, 4) for x in d.confidence_interval()) == (0.0524, 0.3339)
    assert 0 < d.pvalue < 0.05
    wald = d.confidence_interval(method="wald")
    assert wald.low == pytest.approx(0.2 - 1.959964 * np.sqrt(0.8 * 0.2 / 70 + 0.6 * 0.4 / 80), abs=1e-6)


def every_table(largest):
    """Every 2x2 table with 1..largest trials a side: (k1, n1, k2, n2) as float arrays."""
    sizes = range(1, largest + 1)
    rows = [(k1, a, k2, b) for a in sizes for b in sizes for k1 in range(a + 1) for k2 in range(b + 1)]
    return np.array(rows, dtype=float).T


def test_the_pvalue_and_the_newcombe_interval_agree_about_0_on_every_table_up_to_20_a_side_at_any_level():
    k1, n1, k2, n2 = every_table(20)  # 52,900 tables
    p = newcombe_pvalue(k1, n1, k2, n2)
    for level in (0.8, 0.9, 0.95, 0.99, 0.999):
        low, high = newcombe_interval(k1, n1, k2, n2, level)
        excludes = (low > 0) | (high < 0)
        assert ((p < 1 - level) == excludes).all(), level
    # Large tables too: 20,000 random ones with up to a million trials a side.
    rng = np.random.default_rng(4)
    n1, n2 = rng.integers(1, 10**6, 20_000), rng.integers(1, 10**6, 20_000)
    k1, k2 = rng.binomial(n1, 0.3), rng.binomial(n2, rng.uniform(0.29, 0.31, 20_000))
    low, high = newcombe_interval(k1, n1, k2, n2)
    assert ((newcombe_pvalue(k1, n1, k2, n2) < 0.05) == ((low > 0) | (high < 0))).all()


def test_chi_square_or_fisher_disagreed_with_the_interval_in_a_few_percent_of_small_tables():
    # What the p-value was before: Pearson's chi-square, Fisher's exact test below an expected count of 5.
    k1, n1, k2, n2 = (x[::53] for x in every_table(20))  # 1,000 of them
    low, high = newcombe_interval(k1, n1, k2, n2)
    old = np.array([independence_test([[a, b - a], [c, d - c]])[0] for a, b, c, d in zip(k1, n1, k2, n2)])
    disagree = np.mean((old < 0.05) != ((low > 0) | (high < 0)))
    assert 0.01 < disagree < 0.1, disagree


def test_the_pvalue_is_the_level_at_which_the_newcombe_bound_touches_0():
    for k1, n1, k2, n2 in [(56, 70, 48, 80), (9, 10, 3, 10), (5, 56, 0, 29), (1, 3, 30, 31)]:
        p = compare_proportions(k1, n1, k2, n2).pvalue
        low, high = newcombe_interval([k1], [n1], [k2], [n2], 1 - p)
        assert (low[0] if k1 / n1 > k2 / n2 else high[0]) == pytest.approx(0, abs=1e-12)
        assert p == pytest.approx(float(newcombe_pvalue(k2, n2, k1, n1)), rel=1e-12)  # symmetric in the groups
    assert compare_proportions(56, 70, 48, 80).pvalue == pytest.approx(0.0081331, abs=1e-7)
    assert newcombe_pvalue([3, 0, 5], [10, 10, 0], [6, 0, 5], [20, 7, 8]).tolist()[:2] == [1.0, 1.0]
    assert np.isnan(newcombe_pvalue(5, 0, 5, 8)) and newcombe_pvalue(10**6, 10**6, 0, 10**6) < 1e-300


def test_a_difference_keeps_its_level_and_names_its_columns_as_a_difference():
    d = journey.compare_proportions(56, 70, 48, 80, level=0.9)
    z = 1.6448536
    assert d.level == 0.9
    assert d.confidence_interval(method="wald").high == pytest.approx(
        0.2 + z * np.sqrt(0.8 * 0.2 / 70 + 0.6 * 0.4 / 80)
    )
    assert d.confidence_interval() != d.confidence_interval(0.95)
    frame = d.to_frame()
    assert list(frame.columns) == [
        "k1",
        "n1",
        "proportion1",
        "k2",
        "n2",
        "proportion2",
        "difference",
        "difference_ci_low",
        "difference_ci_high",
        "p_value",
    ]
    assert tuple(frame.loc[0, ["difference_ci_low", "difference_ci_high"]]) == d.confidence_interval()
    assert repr(d).startswith("DifferenceResult: difference +20.0 percentage points (90% CI")


def test_csat_counts_the_satisfied_share_and_missing_answers():
    r = journey.csat([5, 4, 3, None, 5, "4", 2.0], level=0.8)
    assert (r.k, r.n, r.n_missing, r.label, r.level) == (4, 6, 1, "CSAT", 0.8)
    assert journey.csat([7, 6, 1], scale=(1, 7), satisfied=(6, 7)).k == 2
    assert repr(r).startswith("ProportionResult: CSAT 66.7% (80% CI")


@pytest.mark.parametrize("bad", [4.5, 6, 0, "five"])
def test_csat_refuses_values_off_the_scale_naming_them(bad):
    with pytest.raises(InvalidValuesError, match=r"row 1 \(") as err:
        journey.csat([5, bad, 4])
    assert err.value.rows == [1] and err.value.values == [bad]


def test_bad_counts_levels_and_methods_are_refused():
    for k, n in [(5, 3), (-1, 3), (1.5, 3)]:
        with pytest.raises(JourneyError):
            journey.proportion(k, n)
    with pytest.raises(JourneyError, match="method"):
        journey.proportion(1, 2).confidence_interval(method="agresti")
    with pytest.raises(JourneyError, match="method"):
        journey.compare_proportions(1, 2, 1, 3).confidence_interval(method="wilson")
    for call in (
        lambda: journey.proportion(1, 2, level=95),
        lambda: journey.csat([5], level=0),
        lambda: journey.compare_proportions(1, 2, 1, 2, level=1.0),
        lambda: journey.proportion(1, 2).confidence_interval(1.5),
    ):
        with pytest.raises(JourneyError, match="level"):
            call()


def test_no_trials_give_no_interval():
    r = journey.proportion(0, 0)
    assert np.isnan(r.estimate) and all(np.isnan(x) for x in r.confidence_interval())
    assert repr(r) == "ProportionResult: proportion: no answers"


def test_reprs_are_plain_and_html_escapes_names():
    for result in (journey.proportion(81, 263), journey.compare_proportions(3, 10, 5, 10)):
        assert "np.float64" not in repr(result) and "0x" not in repr(result)
    html = ProportionResult(1, 4, label="<b>rate</b>")._repr_html_()
    assert "&lt;b&gt;rate&lt;/b&gt;" in html and "<b>rate</b>" not in html
    assert "0x" not in repr(DifferenceResult(1, 2, 1, 3))
