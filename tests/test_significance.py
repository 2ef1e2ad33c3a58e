"""Adjusted p-values for many comparisons: Benjamini-Hochberg, Holm and Benjamini-Yekutieli by hand and against
scipy, and the adjust= keyword of every analysis that adjusts."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import false_discovery_control

import journey
from journey.errors import JourneyError
from journey.stats.significance import adjust_pvalues


def test_holm_by_hand():
    # Sorted 0.001, 0.03, 0.04, 0.5 times 4, 3, 2, 1: 0.004, 0.09, 0.08, 0.5; running maximum 0.004, 0.09, 0.09, 0.5.
    assert adjust_pvalues([0.04, 0.001, 0.5, 0.03], "holm") == pytest.approx([0.09, 0.004, 0.5, 0.09])
    # 0.01..0.05 times 5..1: 0.05, 0.08, 0.09, 0.08, 0.05, then the running maximum.
    assert adjust_pvalues([0.01, 0.02, 0.03, 0.04, 0.05], "holm") == pytest.approx([0.05, 0.08, 0.09, 0.09, 0.09])
    assert adjust_pvalues([0.3, 0.6], "holm").tolist() == [0.6, 0.6] and adjust_pvalues(
        [0.7, 0.8], "holm"
    ).tolist() == [1, 1]


def test_benjamini_hochberg_and_yekutieli_by_hand():
    # m p_(i) / i = 0.05 for every i: BH 0.05 each; BY multiplies by 1 + 1/2 + 1/3 + 1/4 + 1/5 = 2.28333.
    p = [0.01, 0.02, 0.03, 0.04, 0.05]
    assert adjust_pvalues(p) == pytest.approx([0.05] * 5)
    assert adjust_pvalues(p, "by") == pytest.approx([0.05 * (1 + 1 / 2 + 1 / 3 + 1 / 4 + 1 / 5)] * 5)


def test_every_adjustment_against_scipy_and_a_direct_holm_on_random_p_values():
    rng = np.random.default_rng(0)
    for m in (1, 2, 7, 50, 400):
        p = np.r_[rng.uniform(size=m // 2 + 1) ** 3, rng.uniform(size=m - m // 2 - 1)]
        assert adjust_pvalues(p, "bh") == pytest.approx(false_discovery_control(p, method="bh"))
        assert adjust_pvalues(p, "by") == pytest.approx(false_discovery_control(p, method="by"))
        order = np.argsort(p)
        holm = np.empty(m)
        running = 0.0
        for rank, i in enumerate(order):  # Holm (1979), step down
            running = max(running, min(1.0, (m - rank) * p[i]))
            holm[i] = running
        assert adjust_pvalues(p, "holm") == pytest.approx(holm)
        assert (adjust_pvalues(p, "by") >= adjust_pvalues(p, "bh") - 1e-15).all()


def test_missing_p_values_stay_missing_and_are_not_counted():
    assert adjust_pvalues([0.01, np.nan, 0.02], "holm")[[0, 2]] == pytest.approx([0.02, 0.02])
    assert np.isnan(adjust_pvalues([0.01, np.nan, 0.02], "by")[1]) and np.isnan(adjust_pvalues([np.nan], "holm")).all()
    with pytest.raises(JourneyError, match='adjust=... must be "bh"'):
        adjust_pvalues([0.1], "bonferroni")


def segments():
    # Three plans of 40 answers: pro mostly promoters, free mostly detractors, team in between.
    return pd.DataFrame(
        {
            "score": [10] * 26 + [0] * 14 + [10] * 14 + [0] * 26 + [10] * 21 + [0] * 19,
            "plan": ["pro"] * 40 + ["free"] * 40 + ["team"] * 40,
        }
    )


@pytest.mark.parametrize(
    "adjust, words",
    [
        ("bh", "Benjamini-Hochberg, false discovery rate 5%"),
        ("holm", "Holm, family-wise error rate 5%"),
        ("by", "Benjamini-Yekutieli, false discovery rate 5%"),
    ],
)
def test_nps_by_adjusts_as_asked_and_says_so(adjust, words):
    table = journey.nps_by(segments(), by="plan", adjust=adjust)
    frame = table.to_frame()
    assert frame["p_adjusted"].to_numpy() == pytest.approx(adjust_pvalues(frame["p_value"], adjust))
    assert (frame["significant"] == (frame["p_adjusted"] < 0.05)).all() and table.adjust == adjust
    assert words in repr(table)


def test_holm_and_by_are_stricter_than_bh_on_the_same_table():
    significant = {
        a: journey.nps_by(segments(), by="plan", adjust=a).to_frame()["significant"].sum() for a in ("bh", "holm", "by")
    }
    p = journey.nps_by(segments(), by="plan").to_frame()["p_value"].to_numpy()
    # p = 0.0125, 0.0262, 0.80. BH: 0.037, 0.039 (two); Holm: 0.037, 0.052 (one); BY x 11/6: 0.069, 0.072 (none).
    assert significant == {a: int((adjust_pvalues(p, a) < 0.05).sum()) for a in ("bh", "holm", "by")}
    assert significant == {"bh": 2, "holm": 1, "by": 0}


def test_every_analysis_that_adjusts_takes_adjust():
    events = pd.DataFrame(
        {
            "user_id": list("aabccdde"),
            "event": ["home", "buy", "home", "home", "help", "home", "buy", "help"],
            "timestamp": pd.date_range("2025-01-01", periods=8, freq="h", tz="UTC"),
        }
    )
    survey = pd.DataFrame({"user_id": list("abcde"), "score": [10, 7, 2, 9, 0]})
    for table in (
        journey.nps_by_touchpoint(events, survey, adjust="holm"),
        journey.nps_by_outcome(events, survey, goal="buy", adjust="holm"),
    ):
        frame = table.to_frame()
        assert table.adjust == "holm" and frame["p_adjusted"].to_numpy() == pytest.approx(
            adjust_pvalues(frame["p_value"], "holm"), nan_ok=True
        )
    orders = pd.DataFrame(
        {
            "customer_id": list("aabbccdde"),
            "plan": list("ppffffppf"),
            "timestamp": pd.date_range("2025-01-01", periods=9, freq="D", tz="UTC"),
        }
    )
    rates = journey.repeat_rate(orders, by="plan", adjust="by")
    frame = rates.to_frame()
    assert rates.adjust == "by" and "Benjamini-Yekutieli" in repr(rates)
    assert frame["p_adjusted"].to_numpy() == pytest.approx(adjust_pvalues(frame["p_value"], "by"))
    for call in (
        lambda: journey.nps_by(segments(), by="plan", adjust="fdr"),
        lambda: journey.repeat_rate(orders, by="plan", adjust="fdr"),
        lambda: journey.nps_by_touchpoint(events, survey, adjust="fdr"),
    ):
        with pytest.raises(JourneyError, match="adjust"):
            call()
