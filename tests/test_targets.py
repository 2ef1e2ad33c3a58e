"""KPIs and the scorecard: any result read through the protocol, statuses, and the display."""

from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

import journey
from journey.errors import JourneyError
from journey.stats.intervals import wilson_interval
from journey.stats.net_promoter import nps_interval
from journey.stats.results import Result
from journey.stats.targets import KPI, Scorecard, _inverted, _points_confidence, _share_confidence


def test_kpi_reads_every_single_estimate_result_through_the_protocol():
    score = journey.nps_from_counts(promoters=50, passives=30, detractors=20)
    share = journey.proportion(81, 263)
    gap = journey.compare_proportions(56, 70, 48, 80)
    for result, unit in (
        (score, "points"),
        (share, "share"),
        (gap, "share"),
        (journey.nps_compare(score, journey.nps([0, 10, 3])), "points"),
    ):
        k = journey.kpi("x", result, target=0, level=0.9)
        assert (k.estimate, k.unit, k.level) == (result.estimate, unit, 0.9)
        assert (k.low, k.high) == result.confidence_interval(0.9)


def test_kpi_of_a_table_result_reads_its_overall():
    answers = pd.DataFrame({"score": [10, 9, 9, 3, 8, 6, 0, 7], "plan": list("ppppffff")})
    table = journey.nps_by(answers, by="plan")
    k = journey.kpi("NPS", table, target=-20)
    assert k.estimate == table.overall.score == journey.nps(answers["score"]).score
    assert (k.low, k.high) == table.overall.confidence_interval()


def test_a_tuple_is_an_estimate_and_its_interval():
    k = journey.kpi("CSAT", (0.8, 0.75, 0.85), target=0.7)
    assert (k.estimate, k.low, k.high, k.unit) == (0.8, 0.75, 0.85, "")


def test_anything_else_is_refused_naming_what_kpi_needs():
    class OldStyle:  # the attribute names kpi used to guess from
        score = 10.0

        def confidence_interval(self, level=0.95):
            return (0.0, 20.0)

    with pytest.raises(
        JourneyError,
        match=r"kpi 'x' needs a result with estimate, unit and confidence_interval.*"
        r"OldStyle has no estimate, unit",
    ):
        journey.kpi("x", OldStyle(), target=1)
    with pytest.raises(JourneyError, match=r"not its to_frame\(\) table.*not a DataFrame"):
        journey.kpi("x", pd.DataFrame({"estimate": [1]}), target=1)
    with pytest.raises(JourneyError, match="three numbers"):
        journey.kpi("x", (1, 2), target=1)
    with pytest.raises(JourneyError, match="does not contain the estimate"):
        journey.kpi("x", (5.0, 1.0, 2.0), target=1)
    with pytest.raises(JourneyError, match="no estimate"):
        journey.kpi("x", journey.nps_from_counts(promoters=0, passives=0, detractors=0), target=1)
    for bad in ({"kind": "OKR"}, {"level": 95}, {"target": float("nan")}):
        with pytest.raises(JourneyError):
            journey.kpi("x", (1.0, 0.0, 2.0), **{"target": 1, **bad})


def test_statuses_follow_where_the_interval_lies():
    assert journey.kpi("a", (0.8, 0.7, 0.85), target=0.7).status == "met"  # the bound may touch the target
    assert journey.kpi("b", (0.2, 0.18, 0.22), target=0.1, higher_is_better=False).status == "missed"
    assert journey.kpi("c", (0.2, 0.18, 0.22), target=0.25, higher_is_better=False).status == "met"
    assert journey.kpi("d", (10.0, -4.0, 24.0), target=12).status == "inconclusive"


def test_a_tuple_is_read_as_a_normal_interval_about_its_midpoint():
    k = journey.kpi("NPS", (10.0, -4.0, 24.0), target=12, level=0.9)
    se = 28 / (2 * NormalDist().inv_cdf(0.95))
    assert k.confidence_met == pytest.approx(NormalDist(10, se).cdf(10 - 12 + 10))
    skewed = journey.kpi("churn", (0.2, 0.1, 0.4), target=0.3, higher_is_better=False)  # midpoint 0.25
    assert skewed.confidence_met == pytest.approx(NormalDist(0.25, 0.3 / (2 * 1.959964)).cdf(0.3), abs=1e-6)
    assert journey.kpi("x", (3.0, 3.0, 3.0), target=3).confidence_met == 1.0
    assert journey.kpi("x", (3.0, 3.0, 3.0), target=3.5).confidence_met == 0.0
    assert not hasattr(k, "probability_met")  # it was a normal centred on the estimate, not what it said


def test_the_examples_of_issue_18_agree_with_their_status():
    # A normal centred on the estimate said "missed" with P(target met) 0.22 and "met" with 0.76.
    high = journey.kpi("uptime", journey.proportion(19, 20), target=0.995)
    low = journey.kpi("defects", journey.proportion(1, 20), target=0.0085)
    assert (high.status, low.status) == ("missed", "met")
    assert high.confidence_met == pytest.approx(NormalDist().cdf((0.95 - 0.995) / np.sqrt(0.995 * 0.005 / 20)))
    assert high.confidence_met == pytest.approx(0.00216, abs=1e-5) and high.confidence_met < 0.025
    assert low.confidence_met == pytest.approx(0.97839, abs=1e-5) and low.confidence_met >= 0.975
    # The confidence is where scipy's Wilson interval has its bound on the target.
    assert binomtest(19, 20).proportion_ci(1 - 2 * high.confidence_met, method="wilson").high == pytest.approx(0.995)
    assert binomtest(1, 20).proportion_ci(2 * low.confidence_met - 1, method="wilson").low == pytest.approx(0.0085)


def statuses(low, high, target, higher_is_better):
    """The documented rule, element-wise: met when the whole interval is on the good side (touching allowed)."""
    good_low, good_high = (low, high) if higher_is_better else (-high, -low)
    goal = target if higher_is_better else -target
    return np.where(good_low >= goal, "met", np.where(good_high < goal, "missed", "inconclusive"))


def agreement(status, confidence, level):
    """Whether each confidence says what its status says: met at (1 + level) / 2 or more, missed below (1 - level) / 2."""
    said = np.where(
        confidence >= (1 + level) / 2, "met", np.where(confidence < (1 - level) / 2, "missed", "inconclusive")
    )
    return said == status


def test_status_and_confidence_agree_on_50_000_shares_and_scores():
    rng = np.random.default_rng(18)
    checked = {"met": 0, "missed": 0, "inconclusive": 0}
    for level in (0.8, 0.9, 0.95, 0.99):
        for higher_is_better in (True, False):
            # Shares: 3,750 per level and direction; targets anywhere, at the ends and at the estimate.
            n = rng.integers(1, 300, 3750)
            k = rng.binomial(n, rng.uniform(0, 1, 3750))
            target = np.where(
                rng.random(3750) < 0.8, rng.uniform(-0.02, 1.02, 3750), rng.choice([0.0, 1.0, -1.0, 2.0], 3750)
            )
            target[:300] = k[:300] / n[:300]
            low, high = wilson_interval(k, n, level)
            status = statuses(low, high, target, higher_is_better)
            confidence = _share_confidence(k, n, target, higher_is_better)
            assert agreement(status, confidence, level).all()
            # NPS: 2,500 per level and direction, targets in points.
            p, a, d = rng.multinomial(rng.integers(1, 400), rng.dirichlet([1, 1, 1]), 2500).T
            target = np.where(
                rng.random(2500) < 0.8,
                rng.uniform(-105, 105, 2500),
                rng.choice([-100.0, 100.0, 0.0, -120.0, 120.0], 2500),
            )
            low, high = nps_interval(p, a, d, level)
            status_nps = statuses(low, high, target, higher_is_better)
            confidence_nps = _points_confidence(p, a, d, target, higher_is_better)
            assert agreement(status_nps, confidence_nps, level).all()
            for s in checked:
                checked[s] += int((status == s).sum() + (status_nps == s).sum())
    assert sum(checked.values()) == 50_000 and min(checked.values()) > 5_000


def test_the_confidence_is_the_level_at_which_the_bound_touches_the_target():
    rng = np.random.default_rng(7)
    n = rng.integers(5, 500, 2000)
    k = rng.binomial(n, rng.uniform(0.05, 0.95, 2000))
    for level in (0.5, 0.9, 0.99):
        low, high = wilson_interval(k, n, level)
        inside = (k > 0) & (k < n)
        assert _share_confidence(k, n, low, True)[inside] == pytest.approx((1 + level) / 2, abs=1e-9)
        assert _share_confidence(k, n, high, False)[inside] == pytest.approx((1 + level) / 2, abs=1e-9)
        assert _share_confidence(k, n, high, True)[inside] == pytest.approx((1 - level) / 2, abs=1e-9)
        p, a, d = rng.multinomial(200, [0.4, 0.3, 0.3], 500).T
        low, high = nps_interval(p, a, d, level)
        assert _points_confidence(p, a, d, low, True) == pytest.approx((1 + level) / 2, abs=1e-9)
        assert _points_confidence(p, a, d, high, False) == pytest.approx((1 + level) / 2, abs=1e-9)


def test_every_result_gets_the_confidence_of_its_own_interval():
    rng = np.random.default_rng(3)
    cases = []
    for _ in range(10):
        k1, k2 = rng.integers(0, 41, 2)
        cases += [
            journey.proportion(int(k1), 40),
            journey.compare_proportions(int(k1), 40, int(k2), 50),
            journey.nps_from_counts(promoters=int(k1), passives=10, detractors=int(k2)),
            journey.nps_compare(
                journey.nps_from_counts(promoters=int(k1), passives=5, detractors=9),
                journey.nps_from_counts(promoters=12, passives=5, detractors=int(k2)),
            ),
        ]
    for result in cases:
        low, high = result.confidence_interval(0.95)
        for target in (low, high, result.estimate, *rng.uniform(low - (high - low), high + (high - low), 3)):
            for better in (True, False):
                k = journey.kpi("x", result, target=float(target), higher_is_better=better)
                said = agreement(np.array([k.status]), np.array([k.confidence_met]), 0.95)
                assert said.all(), (result, target, better, k.status, k.confidence_met)
                if isinstance(result, journey.ProportionResult):  # a target on a bound moves by rounding only
                    exact = float(_share_confidence(result.k, result.n, target, better))
                    assert k.confidence_met == pytest.approx(exact, abs=1e-12)
    # The bisection used for differences finds what the closed forms give.
    for result in cases[::4]:
        bounds = result.confidence_interval
        for target in (0.1, 0.5, 0.77):
            assert _inverted(bounds, target, True, 0.95) == pytest.approx(
                float(_share_confidence(result.k, result.n, target, True)), abs=1e-9
            )
    gap = journey.compare_proportions(56, 70, 48, 80)  # Newcombe (1998): 0.0524 to 0.3339 at 95%
    assert journey.kpi("gap", gap, target=gap.confidence_interval(0.9).low).confidence_met == pytest.approx(0.95)


def test_a_kpi_is_a_result_holding_its_interval_at_its_level():
    k = journey.kpi("CSAT", journey.csat([5, 4, 4, 2, 5, 3]), target=0.5, level=0.9)
    assert isinstance(k, KPI) and isinstance(k, Result)
    assert k.confidence_interval() == k.confidence_interval(0.9) == (k.low, k.high)
    with pytest.raises(JourneyError, match="holds its interval at 90% only"):
        k.confidence_interval(0.95)
    assert repr(k).startswith("KPI: CSAT 66.7% (90% CI ") and "0x" not in repr(k)


def card():
    return journey.scorecard(
        [
            journey.kpi("CSAT", journey.proportion(160, 200), target=0.7),
            journey.kpi("churn", (0.2, 0.18, 0.22), target=0.1, higher_is_better=False),
            journey.kpi(
                "NPS", journey.nps_from_counts(promoters=50, passives=30, detractors=20), target=35, kind="KGI"
            ),
        ]
    )


def test_scorecard_lists_kgis_first_with_stable_columns():
    c = card()
    assert isinstance(c, Scorecard) and isinstance(c, Result)
    frame = c.to_frame()
    assert list(frame.columns) == [
        "kind",
        "indicator",
        "estimate",
        "ci_low",
        "ci_high",
        "level",
        "unit",
        "target",
        "direction",
        "status",
        "confidence_met",
    ]
    assert frame["indicator"].tolist() == ["NPS", "CSAT", "churn"]
    assert frame["status"].tolist() == ["inconclusive", "met", "missed"]
    assert frame.loc[1, "estimate"] == 0.8 and frame.loc[0, "unit"] == "points"
    with pytest.raises(JourneyError):
        journey.scorecard([])
    with pytest.raises(JourneyError):
        journey.scorecard([(1.0, 0.0, 2.0)])


def test_scorecard_display_shows_the_actual_level_and_coloured_statuses():
    c = card()
    text = repr(c)
    assert text.startswith("Scorecard: 3 indicators: 1 met, 1 missed, 1 inconclusive") and "95% CI" in text
    assert "0x" not in text and "73.9% to 85.0%" in text
    html = c._repr_html_()
    assert "<th>95% CI</th>" in html and "color:#cf222e'><b>missed</b>" in html
    at_90 = journey.scorecard([journey.kpi("<b>x</b>", (1.0, 0.0, 2.0), target=0.5, level=0.9)])
    assert "<th>90% CI</th>" in at_90._repr_html_() and "&lt;b&gt;x&lt;/b&gt;" in at_90._repr_html_()
    assert "<b>x</b>" not in at_90._repr_html_()
    mixed = journey.scorecard(
        [journey.kpi("a", (1.0, 0.0, 2.0), target=0.5, level=0.9), journey.kpi("b", (1.0, 0.0, 2.0), target=0.5)]
    )
    assert (
        "CI (level)" in repr(mixed) and "0 to 2 (90%)" in repr(mixed) and not np.isnan(mixed.to_frame()["level"]).any()
    )
