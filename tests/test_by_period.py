"""Every by= takes a period: ``log.with_period("M")`` adds ``period``, and each analysis compares the months."""

import pandas as pd
import pytest

import journey

EVENTS = [
    # user, time, event: a starts in January and converts in February; d starts and stops in January.
    ("a", "2025-01-31T23:00Z", "home"),
    ("a", "2025-02-01T01:00Z", "cart"),
    ("d", "2025-01-05T10:00Z", "home"),
    ("b", "2025-02-02T10:00Z", "home"),
    ("c", "2025-02-03T10:00Z", "home"),
    ("c", "2025-02-03T10:05Z", "cart"),
    ("e", "2025-02-04T10:00Z", "home"),
    ("e", "2025-02-04T10:05Z", "cart"),
]


@pytest.fixture
def log():
    frame = pd.DataFrame(EVENTS, columns=["user_id", "timestamp", "event"])
    return journey.read_events(frame).with_period("M")


def test_funnel_by_period_puts_a_customer_in_the_month_of_their_first_step(log):
    table = journey.funnel(log, ["home", "cart"], by="period").to_frame()
    first = table[table["step"] == 1].set_index("period")
    assert first.index.tolist() == ["2025-01", "2025-02"]
    assert first[["entered", "converted"]].astype(int).values.tolist() == [[2, 1], [3, 2]]


def test_compare_funnels_by_period(log):
    result = journey.compare_funnels(log, ["home", "cart"], by="period")
    assert result.baseline == "2025-02"  # the month with more customers entering step 1
    row = result.to_frame().query("period == '2025-01' and measure == 'step'").iloc[0]
    assert row["difference"] == pytest.approx(1 / 2 - 2 / 3)


def test_drop_off_by_period_compares_each_month_with_the_baseline(log):
    result = journey.drop_off(log, goal="cart", by="period", baseline="2025-01")
    home = result.to_frame().set_index(["period", "touchpoint"]).loc[("2025-02", "home")]
    # January: a converts, d leaves from home (1 of 2); February: b leaves (1 of 3).
    assert (home["exit_rate"], home["baseline_exit_rate"]) == pytest.approx((1 / 3, 1 / 2))
    assert home["difference"] == pytest.approx(1 / 3 - 1 / 2)


def test_path_variants_and_compare_variants_by_period(log):
    variants = journey.path_variants(log, by="period").to_frame()
    assert variants["period"].unique().tolist() == ["2025-01", "2025-02"]
    table = journey.compare_variants(log, by="period", baseline="2025-01").to_frame()
    row = table[(table["period"] == "2025-02") & (table["sequence"] == ("home", "cart"))].iloc[0]
    assert (row["share"], row["baseline_share"]) == pytest.approx((2 / 3, 1 / 2))


def test_compare_graphs_by_period(log):
    diff = journey.compare_graphs(log, by="period", goal="cart")
    assert (diff.graph["baseline"], diff.graph["versus"]) == ("2025-02", "2025-01")
    edge = diff.edges["home", "cart"]
    assert (edge["versus_share"], edge["baseline_share"]) == pytest.approx((1 / 2, 2 / 3))
