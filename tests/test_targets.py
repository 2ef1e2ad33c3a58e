"""KPIs and the scorecard: any result read through the protocol, statuses, and the display."""

from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

import journey
from journey.errors import JourneyError
from journey.stats.results import Result
from journey.stats.targets import KPI, Scorecard


def test_kpi_reads_every_single_estimate_result_through_the_protocol():
    score = journey.nps_from_counts(promoters=50, passives=30, detractors=20)
    share = journey.proportion(81, 263)
    gap = journey.compare_proportions(56, 70, 48, 80)
    for result, unit in ((score, "points"), (share, "share"), (gap, "share"),
                         (journey.nps_compare(score, journey.nps([0, 10, 3])), "points")):
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

    with pytest.raises(JourneyError, match=r"kpi 'x' needs a result with estimate, unit and confidence_interval.*"
                                           r"OldStyle has no estimate, unit"):
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


def test_probability_met_is_the_normal_approximation_from_the_interval():
    k = journey.kpi("NPS", (10.0, -4.0, 24.0), target=12, level=0.9)
    se = 28 / (2 * NormalDist().inv_cdf(0.95))
    assert k.probability_met == pytest.approx(1 - NormalDist(10, se).cdf(12))
    low = journey.kpi("churn", (0.2, 0.1, 0.3), target=0.25, higher_is_better=False)
    assert low.probability_met == pytest.approx(NormalDist(0.2, 0.2 / (2 * 1.959964)).cdf(0.25), abs=1e-6)
    assert journey.kpi("x", (3.0, 3.0, 3.0), target=3).probability_met == 1.0


def test_a_kpi_is_a_result_holding_its_interval_at_its_level():
    k = journey.kpi("CSAT", journey.csat([5, 4, 4, 2, 5, 3]), target=0.5, level=0.9)
    assert isinstance(k, KPI) and isinstance(k, Result)
    assert k.confidence_interval() == k.confidence_interval(0.9) == (k.low, k.high)
    with pytest.raises(JourneyError, match="holds its interval at 90% only"):
        k.confidence_interval(0.95)
    assert repr(k).startswith("KPI: CSAT 66.7% (90% CI ") and "0x" not in repr(k)


def card():
    return journey.scorecard([
        journey.kpi("CSAT", journey.proportion(160, 200), target=0.7),
        journey.kpi("churn", (0.2, 0.18, 0.22), target=0.1, higher_is_better=False),
        journey.kpi("NPS", journey.nps_from_counts(promoters=50, passives=30, detractors=20), target=35, kind="KGI"),
    ])


def test_scorecard_lists_kgis_first_with_stable_columns():
    c = card()
    assert isinstance(c, Scorecard) and isinstance(c, Result)
    frame = c.to_frame()
    assert list(frame.columns) == ["kind", "indicator", "estimate", "ci_low", "ci_high", "level", "unit", "target",
                                   "direction", "status", "probability_met"]
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
    mixed = journey.scorecard([journey.kpi("a", (1.0, 0.0, 2.0), target=0.5, level=0.9),
                               journey.kpi("b", (1.0, 0.0, 2.0), target=0.5)])
    assert "CI (level)" in repr(mixed) and "0 to 2 (90%)" in repr(mixed) and not np.isnan(mixed.to_frame()["level"]).any()
