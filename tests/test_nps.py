"""NPS: known answers, validation, interval methods and their coverage by exact enumeration."""

import warnings

import numpy as np
import pandas as pd
import pytest

import journey
from journey.errors import InvalidValuesError, JourneyError, JourneyWarning, MissingColumnError
from journey.stats.net_promoter import NPSDifference, NPSTable, nps_coverage, nps_interval
from journey.stats.results import ConfidenceInterval, Result, TableResult


def test_counts_score_and_variance_by_hand():
    r = journey.nps([10, 9, 9, 8, 7, 6, 5, 0, None, np.nan])
    assert (r.promoters, r.passives, r.detractors, r.n, r.n_missing) == (3, 2, 3, 8, 2)
    assert r.score == 0.0
    # Each answer scores +100/0/-100: variance = 100^2 (3/8 + 3/8 - 0^2).
    assert r.variance == pytest.approx(100**2 * 0.75)
    assert r.standard_error == pytest.approx(np.sqrt(7500 / 8))


def test_text_and_float_scores_are_accepted():
    assert journey.nps(["9", 9.0, "10", 6]).promoters == 3


@pytest.mark.parametrize("bad", [9.5, 11, -1, "ten"])
def test_invalid_scores_raise_listing_value_and_position(bad):
    with pytest.raises(InvalidValuesError) as err:
        journey.nps([10, 8, bad, 3])
    assert err.value.rows == [2] and err.value.values == [bad]
    assert "whole numbers from 0 to 10" in str(err.value) and f"row 2 ({bad!r})" in str(err.value)


def test_wald_and_adjusted_wald_by_hand():
    r = journey.nps_from_counts(promoters=45, passives=30, detractors=25)
    # Wald: 0.20 +/- 1.96 sqrt((0.45 + 0.25 - 0.04) / 100).
    half = 1.959964 * np.sqrt(0.66 / 100)
    assert r.confidence_interval(method="wald") == pytest.approx((100 * (0.2 - half), 100 * (0.2 + half)), abs=1e-4)
    # Adjusted Wald (Rocks 2016): 45.75 / 31.5 / 25.75 of 103.
    p, d = 45.75 / 103, 25.75 / 103
    half = 1.959964 * np.sqrt((p + d - (p - d) ** 2) / 103)
    assert r.confidence_interval() == pytest.approx((100 * (p - d - half), 100 * (p - d + half)), abs=1e-4)


def tango_statistic(b, c, n, delta):
    slope = -b - c + (2 * n - b + c) * delta
    q = (np.sqrt(slope**2 + 8 * n * c * delta * (1 - delta)) - slope) / (4 * n)
    return (b - c - n * delta) / np.sqrt(n * (2 * q + delta * (1 - delta)))


@pytest.mark.parametrize("counts", [(45, 30, 25), (3, 10, 7), (0, 5, 15), (18, 2, 0)])
def test_tango_bounds_solve_the_score_equation(counts):
    p, a, d = counts
    low, high = journey.nps_from_counts(promoters=p, passives=a, detractors=d).confidence_interval(method="score")
    n = p + a + d
    if low > -100:
        assert tango_statistic(p, d, n, low / 100) == pytest.approx(1.959964, abs=1e-5)
    if high < 100:
        assert tango_statistic(p, d, n, high / 100) == pytest.approx(-1.959964, abs=1e-5)
    assert low <= 100 * (p - d) / n <= high


def test_resampling_methods_repeat_for_a_seed_and_agree_with_wald_at_large_n():
    r = journey.nps_from_counts(promoters=900, passives=600, detractors=500)
    for method in ("bootstrap", "bayes"):
        a, b = r.confidence_interval(method=method), r.confidence_interval(method=method)
        assert a == b and a != r.confidence_interval(method=method, seed=1)
        assert a == pytest.approx(r.confidence_interval(method="wald"), abs=0.8)


@pytest.mark.filterwarnings("ignore:the NPS bootstrap interval rests on")
def test_intervals_are_clipped_to_the_scale():
    r = journey.nps_from_counts(promoters=5, passives=0, detractors=0)
    for method in ("wald", "adjusted-wald", "score", "bootstrap", "bayes"):
        low, high = r.confidence_interval(method=method)
        assert -100 <= low <= high <= 100


@pytest.mark.parametrize("n", [20, 50, 200])
def test_adjusted_wald_holds_its_level_by_exact_enumeration_and_wald_does_not(n):
    adjusted, wald = (nps_coverage(n, method)["coverage"] for method in ("adjusted-wald", "wald"))
    assert 0.94 <= adjusted.mean() <= 0.96 and adjusted.min() >= 0.89
    assert wald.min() < adjusted.min() and wald.mean() < adjusted.mean()


def test_coverage_enumeration_is_exact_on_a_case_worked_by_hand():
    # n = 1: three outcomes. At true shares (1/2, 0, 1/2) the true NPS is 0; each outcome has its own interval.
    c = nps_coverage(1, "wald", step=0.5).set_index(["promoter_share", "detractor_share"])
    # Wald from one answer has zero width at +-100 and at 0, so it covers 0 only on the passive outcome.
    assert c.loc[(0.5, 0.5), "coverage"] == 0.0 and c.loc[(0.0, 0.0), "coverage"] == 1.0


def test_bayes_interval_reaches_the_boundary_when_every_answer_is_a_promoter_or_a_detractor():
    # Jeffreys prior: the posterior of (promoters, passives, detractors) is Dirichlet(5.5, 0.5, 0.5). It piles up
    # at +100, so the upper bound is +100 and the lower one the equal-tailed 2.5% quantile of the same draws.
    draws = np.random.default_rng(0).dirichlet([5.5, 0.5, 0.5], size=10_000)
    lower = 100 * np.quantile(draws[:, 0] - draws[:, 2], 0.025)
    low, high = journey.nps_from_counts(promoters=5, passives=0, detractors=0).confidence_interval(method="bayes")
    assert high == 100 and low == pytest.approx(lower)
    draws = np.random.default_rng(0).dirichlet([0.5, 0.5, 5.5], size=10_000)
    low, high = journey.nps_from_counts(promoters=0, passives=0, detractors=5).confidence_interval(method="bayes")
    assert low == -100 and high == pytest.approx(100 * np.quantile(draws[:, 0] - draws[:, 2], 0.975))
    # One passive among them: no pile-up at the boundary (a true NPS of +100 cannot give a passive).
    assert journey.nps_from_counts(promoters=5, passives=1, detractors=0).confidence_interval(method="bayes").high < 100


@pytest.mark.parametrize("n", [10, 20])
def test_bayes_interval_covers_every_true_nps_including_plus_and_minus_100_by_exact_enumeration(n):
    c = nps_coverage(n, "bayes").set_index(["promoter_share", "detractor_share"])["coverage"]
    # The equal-tailed interval never reached +-100: coverage 0 there. Now both boundaries are always covered.
    assert c.loc[(1.0, 0.0)] == 1.0 and c.loc[(0.0, 1.0)] == 1.0
    for shares in [(0.5, 0.2), (0.2, 0.5), (0.3, 0.3), (0.9, 0.05), (0.05, 0.9), (0.6, 0.35)]:  # NPS +30 ... +25
        assert 0.92 <= c.loc[shares] <= 0.97, (shares, c.loc[shares])
    assert 0.945 <= c.mean() <= 0.955 and c.min() >= 0.87


def test_percentile_bootstrap_falls_short_of_its_level_at_small_n_by_exact_enumeration():
    # Mean exact coverage of the 95% interval over true shares: 0.88 at n = 10, 0.93 at 20 (0.94 at 30, 0.95 at
    # 40, too slow to enumerate here), hence the warning below 30 answers.
    ten, twenty = (nps_coverage(n, "bootstrap")["coverage"].mean() for n in (10, 20))
    assert 0.87 <= ten <= 0.89 and 0.925 <= twenty <= 0.94, (ten, twenty)


def test_bootstrap_intervals_below_30_answers_warn_naming_the_groups_and_their_n():
    with pytest.warns(JourneyWarning, match=r"rests on 12 answers, fewer than 30"):
        journey.nps_from_counts(promoters=6, passives=3, detractors=3).confidence_interval(method="bootstrap")
    small, large = (
        journey.nps_from_counts(promoters=6, passives=3, detractors=3),
        journey.nps_from_counts(promoters=60, passives=30, detractors=30),
    )
    with pytest.warns(JourneyWarning, match=r"1 of 2 groups have fewer than 30 answers: 'b' \(n = 12\)"):
        journey.nps_compare(large, small).confidence_interval(method="bootstrap")
    df = pd.DataFrame({"score": [10] * 40 + [3] * 5, "plan": ["basic"] * 40 + ["pro"] * 5})
    with pytest.warns(JourneyWarning, match=r"'pro' \(n = 5\)") as caught:
        journey.nps_by(df, by="plan").confidence_interval(method="bootstrap")
    assert "'basic'" not in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # enough answers, or another method: no warning
        large.confidence_interval(method="bootstrap")
        small.confidence_interval(method="bayes")
        journey.nps_compare(large, large).confidence_interval(method="bootstrap")


def test_bayes_prior_must_be_positive():
    with pytest.raises(JourneyError, match="prior"):
        journey.nps_from_counts(promoters=1, passives=0, detractors=0).confidence_interval(method="bayes", prior=0)


def test_compare_two_groups():
    a = journey.nps_from_counts(promoters=60, passives=20, detractors=20)
    b = journey.nps_from_counts(promoters=30, passives=30, detractors=40)
    d = journey.nps_compare(a, b)
    assert d.difference == pytest.approx(50.0)
    from scipy.stats import norm

    def adjusted(p, a_, dt):  # Rocks' pseudo-counts, as in the default interval
        p, a_, dt = p + 0.75, a_ + 1.5, dt + 0.75
        n = p + a_ + dt
        return (p - dt) / n, ((p + dt) / n - ((p - dt) / n) ** 2) / n

    (ca, va), (cb, vb) = adjusted(60, 20, 20), adjusted(30, 30, 40)
    assert d.pvalue == pytest.approx(2 * (1 - norm.cdf(abs(ca - cb) / np.sqrt(va + vb))))
    low, high = d.confidence_interval()
    assert low < 50 < high and d.confidence_interval(method="bootstrap", seed=3) == d.confidence_interval(
        method="bootstrap", seed=3
    )
    with pytest.raises(JourneyError):
        journey.nps_compare(a, journey.nps_from_counts(promoters=0, passives=0, detractors=0))


def test_reprs_have_plain_floats_and_no_addresses():
    r = journey.nps([10, 9, 3])
    for text in (repr(r), r._repr_html_(), repr(journey.nps_compare(r, r))):
        assert "np.float64" not in text and "0x" not in text


def test_no_answers_give_no_interval_rather_than_a_made_up_one():
    empty = journey.nps_from_counts(promoters=0, passives=0, detractors=0)
    for method in ("adjusted-wald", "wald", "score"):
        low, high = empty.confidence_interval(method=method)
        assert np.isnan(low) and np.isnan(high)


def test_the_test_agrees_with_the_interval_for_tiny_groups():
    # Two promoters against six others: plain Wald would have a zero standard error and call it significant.
    df = pd.DataFrame({"score": [10, 9, 0, 5, 8, 10, 3, 7], "seg": ["a", "a", "b", "b", "b", "b", "b", "b"]})
    t = journey.nps_by(df, by="seg").to_frame().set_index("seg")
    assert t.loc["a", "difference_ci_low"] < 0 < t.loc["a", "difference_ci_high"] and t.loc["a", "p_value"] > 0.05
    assert not t.loc["a", "significant"]


def test_level_is_stored_and_is_the_default_of_the_interval():
    r = journey.nps_from_counts(promoters=45, passives=30, detractors=25, level=0.9)
    # Adjusted Wald at 90%: 45.75 / 31.5 / 25.75 of 103, z = 1.644854.
    p, d = 45.75 / 103, 25.75 / 103
    half = 1.6448536 * np.sqrt((p + d - (p - d) ** 2) / 103)
    assert r.level == 0.9 and r.confidence_interval() == pytest.approx((100 * (p - d - half), 100 * (p - d + half)))
    assert (
        r.confidence_interval(0.95)
        == journey.nps_from_counts(promoters=45, passives=30, detractors=25).confidence_interval()
    )
    assert journey.nps([10, 9, 0], level=0.8).level == 0.8
    assert repr(r).startswith("NPSResult: NPS +20.0 points (90% CI +6.3 to +32.5, n = 100):")


@pytest.mark.parametrize("level", [0.8, 0.9])
def test_the_default_interval_holds_any_level_by_exact_enumeration(level):
    grid = nps_coverage(100, level=level, step=0.1)
    # At the two vertices (every answer a promoter, or every one a detractor) the truth is +-100 exactly,
    # which the pseudo-counts pull the interval away from at low levels: they are judged apart.
    coverage = grid.loc[grid["true_nps"].abs() < 100, "coverage"]
    assert abs(coverage.mean() - level) < 0.01 and coverage.min() > level - 0.03


def test_nps_results_follow_the_protocol():
    r = journey.nps([10, 9, 8, 3, None])
    assert isinstance(r, Result) and r.estimate == r.score == 25.0 and r.unit == "points"
    assert isinstance(r.confidence_interval(), ConfidenceInterval)
    frame = r.to_frame()
    assert list(frame.columns) == [
        "n",
        "n_missing",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "standard_error",
        "ci_low",
        "ci_high",
    ]
    assert frame.loc[0, ["n", "n_missing", "nps"]].tolist() == [4, 1, 25.0]
    d = journey.nps_compare(r, journey.nps([0, 0, 10]), level=0.9)
    assert isinstance(d, NPSDifference) and d.estimate == d.difference and d.unit == "points" and d.level == 0.9
    assert d.confidence_interval() == d.confidence_interval(0.9) != d.confidence_interval(0.95)
    assert list(d.to_frame().columns) == [
        "n",
        "nps",
        "other_n",
        "other_nps",
        "difference",
        "difference_ci_low",
        "difference_ci_high",
        "p_value",
    ]


def test_difference_interval_by_hand_at_another_level():
    a = journey.nps_from_counts(promoters=60, passives=20, detractors=20)
    b = journey.nps_from_counts(promoters=30, passives=30, detractors=40)

    def adjusted(p, a_, dt):
        p, a_, dt = p + 0.75, a_ + 1.5, dt + 0.75
        n = p + a_ + dt
        return (p - dt) / n, ((p + dt) / n - ((p - dt) / n) ** 2) / n

    (ca, va), (cb, vb) = adjusted(60, 20, 20), adjusted(30, 30, 40)
    half = 2.5758293 * np.sqrt(va + vb)
    expected = (100 * (ca - cb - half), 100 * (ca - cb + half))
    assert journey.nps_compare(a, b).confidence_interval(0.99) == pytest.approx(expected)
    assert journey.nps_compare(a, b, level=0.99).confidence_interval() == pytest.approx(expected)


def segments():
    return pd.DataFrame(
        {
            "score": [10] * 30 + [0] * 10 + [10] * 10 + [0] * 30 + [8] * 20 + [None] * 3,
            "plan": ["pro"] * 40 + ["free"] * 40 + [None] * 20 + ["pro"] * 3,
        }
    )


def test_nps_by_segment_against_the_rest_with_bh():
    t = journey.nps_by(segments(), by="plan")
    assert isinstance(t, NPSTable) and isinstance(t, TableResult) and t.group == "plan" and len(t) == 3
    frame = t.to_frame()
    assert frame["plan"].tolist()[:2] == ["free", "pro"] and pd.isna(frame["plan"].iloc[2])  # sorted, missing last
    assert list(frame.columns) == [
        "plan",
        "n",
        "n_missing",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "ci_low",
        "ci_high",
        "other_n",
        "other_nps",
        "difference",
        "difference_ci_low",
        "difference_ci_high",
        "p_value",
        "p_adjusted",
        "significant",
    ]
    pro = frame.iloc[1]
    assert (pro["n"], pro["n_missing"], pro["nps"]) == (40, 3, 50.0)
    # The rest of "pro": 10 promoters, 20 passives, 30 detractors: NPS -33.3.
    assert (pro["other_n"], pro["other_nps"]) == (60, pytest.approx(-100 / 3))
    assert pro["difference"] == pytest.approx(50 + 100 / 3) and pro["significant"]
    expected = journey.nps_compare(journey.nps([10] * 30 + [0] * 10), journey.nps([10] * 10 + [0] * 30 + [8] * 20))
    assert (pro["difference_ci_low"], pro["difference_ci_high"]) == pytest.approx(expected.confidence_interval())
    assert (frame["p_adjusted"] >= frame["p_value"]).all()
    assert (t.overall.n, t.overall.n_missing, t.overall.score) == (100, 3, 0.0)


def test_nps_by_intervals_at_another_level_or_method_are_recomputed_from_the_counts():
    t = journey.nps_by(segments(), by="plan", level=0.9)
    frame = t.to_frame()
    assert t.level == 0.9 and (t.confidence_interval().low == frame["ci_low"].to_numpy()).all()
    counts = [frame[c].to_numpy() for c in ("promoters", "passives", "detractors")]
    for level, method in ((0.95, "adjusted-wald"), (0.9, "score"), (0.99, "wald")):
        low, high = t.confidence_interval(level, method)
        ref_low, ref_high = nps_interval(*counts, level, method)
        assert low == pytest.approx(ref_low) and high == pytest.approx(ref_high)
    single = journey.nps([10] * 10 + [0] * 30, level=0.9).confidence_interval()
    assert (frame.loc[0, "ci_low"], frame.loc[0, "ci_high"]) == pytest.approx(single)


def test_nps_by_names_the_users_columns_in_errors():
    df = pd.DataFrame({"rating": [10, 11, 3], "plan": ["a", "b", "a"]})
    with pytest.raises(InvalidValuesError, match=r"column 'rating'.*row 1 \(11\)"):
        journey.nps_by(df, score="rating", by="plan")
    with pytest.raises(MissingColumnError, match=r"'tier' \(the segment column\).*by=\.\.\."):
        journey.nps_by(df, score="rating", by="tier")
    with pytest.raises(JourneyError, match="'nps' has the name of a column of the result"):
        journey.nps_by(df.rename(columns={"plan": "nps"}), score="rating", by="nps")
    with pytest.raises(JourneyError, match="DataFrame"):
        journey.nps_by([10, 9], by="plan")


def test_nps_table_display():
    t = journey.nps_by(segments().assign(plan=lambda f: f["plan"].replace("pro", "<b>pro</b>")), by="plan")
    text = repr(t)
    assert text.startswith(
        "NPSTable: NPS by plan, each value of 'plan' against the rest: 2 of 3 differ from the rest "
        "(Benjamini-Hochberg, false discovery rate 5%); overall NPS +0.0 points"
    )
    assert "0x" not in text and "<b>pro</b>" in text
    assert "&lt;b&gt;pro&lt;/b&gt;" in t._repr_html_() and "<b>pro</b>" not in t._repr_html_()


def test_no_answers_give_no_interval_and_no_difference():
    empty = journey.nps_from_counts(promoters=0, passives=0, detractors=0)
    assert repr(empty) == "NPSResult: NPS: no answers"
    t = journey.nps_by(pd.DataFrame({"score": [None, 9, 3], "seg": ["x", "y", "y"]}), by="seg").to_frame()
    x = t.set_index("seg").loc["x"]
    assert x["n"] == 0 and np.isnan(x["ci_low"]) and np.isnan(x["difference"]) and not x["significant"]


def test_bad_levels_and_methods_are_refused():
    r = journey.nps([10, 3])
    for call in (
        lambda: journey.nps([10], level=95),
        lambda: journey.nps_from_counts(promoters=1, passives=0, detractors=0, level=0.0),
        lambda: journey.nps_compare(r, r, level=2),
        lambda: journey.nps_by(segments(), by="plan", level=-1),
        lambda: r.confidence_interval(1.0),
    ):
        with pytest.raises(JourneyError, match="level"):
            call()
    with pytest.raises(JourneyError, match="method"):
        r.confidence_interval(method="jeffreys")
    with pytest.raises(JourneyError, match="method"):
        journey.nps_compare(r, r).confidence_interval(method="score")


def test_sample_sizes_match_the_published_textbook_figures():
    # Cochran (1977), chapter 4: n = z^2 p (1 - p) / d^2 at p = 0.5, 95%: 385 for +-5 points, 1,068 for +-3.
    assert (journey.sample_size(5), journey.sample_size(3), journey.sample_size(2)) == (385, 1068, 2401)
    assert round(journey.margin_of_error(400), 1) == 4.9 and round(journey.margin_of_error(1000), 1) == 3.1
    # An NPS answer varies on -1..1 (variance at most 1): about four times the answers for the same margin.
    assert journey.sample_size(5, metric="nps") == 1537
    assert journey.sample_size(5, metric="nps") / journey.sample_size(5) == pytest.approx(4, rel=0.01)
    assert journey.sample_size(5, metric="nps", shares=(0.3, 0.4, 0.3)) == 922  # v = 0.6: 1.96^2 0.6 / 0.05^2
    assert journey.sample_size(5, level=0.99) == 664  # 2.5758^2 / 4 / 0.05^2 = 663.5


def test_sample_size_and_margin_are_inverse():
    for margin in (1, 2.5, 4, 7):
        n = journey.sample_size(margin, metric="nps", level=0.9)
        assert (
            journey.margin_of_error(n, metric="nps", level=0.9)
            <= margin
            < journey.margin_of_error(n - 1, metric="nps", level=0.9)
        )


def test_sample_size_refuses_bad_arguments():
    for call in (
        lambda: journey.sample_size(0),
        lambda: journey.sample_size(5, metric="csat"),
        lambda: journey.sample_size(5, p=1.5),
        lambda: journey.sample_size(5, metric="nps", shares=(0.5, 0.5, 0.5)),
        lambda: journey.margin_of_error(0),
        lambda: journey.sample_size(5, level=95),
    ):
        with pytest.raises(JourneyError):
            call()


def test_answers_without_variance_get_an_error_instead_of_a_sample_size_of_0():
    # p = 0 made Cochran's n = z^2 p (1 - p) / d^2 equal 0: "no answers needed".
    for call in (
        lambda: journey.sample_size(5, p=0),
        lambda: journey.sample_size(5, p=1),
        lambda: journey.sample_size(5, metric="nps", shares=(0.0, 1.0, 0.0)),
        lambda: journey.margin_of_error(100, p=0),
        lambda: journey.margin_of_error(100, metric="nps", shares=(1, 0, 0)),
    ):
        with pytest.raises(JourneyError, match="every answer is the same"):
            call()
    # The advice: the exact one-sided bound 1 - 0.05^(1/n) with no success among n is below 5 points from
    # n = ln(0.05) / ln(0.95) = 58.4, so 59 answers; at 99% within 3 points, ln(0.01) / ln(0.97) = 151.2.
    with pytest.raises(JourneyError, match="59 answers all without it suffice"):
        journey.sample_size(5, p=0)
    with pytest.raises(JourneyError, match="152 answers all with it suffice"):
        journey.sample_size(3, p=1, level=0.99)
    assert journey.sample_size(5, p=0.01) == 16  # 1.96^2 x 0.0099 / 0.05^2 = 15.2: small variances still count
