"""Repeat purchases, Kaplan-Meier against published values, and the KPI scorecard."""

import numpy as np
import pandas as pd
import pytest

import journey
from journey.errors import InvalidValuesError, JourneyError, MissingColumnError


def orders_of(rows, **extra):
    return pd.DataFrame(rows, columns=["customer_id", "timestamp"]).assign(**extra)


def test_repeat_rate_counts_orders_or_distinct_order_ids():
    o = orders_of([("a", "2025-01-01T10:00Z"), ("a", "2025-01-01T10:00Z"), ("b", "2025-01-02T10:00Z")],
                  order_id=["o1", "o1", "o2"])
    assert journey.repeat_rate(o).k == 1  # rows: a has two
    assert journey.repeat_rate(o, order="order_id").k == 0  # one order in two rows


def test_repeat_rate_within_censors_customers_not_observed_long_enough():
    o = orders_of([("a", "2025-01-01T00:00Z"), ("a", "2025-01-20T00:00Z"),   # repeats within 30 days
                   ("b", "2025-01-05T00:00Z"), ("b", "2025-03-01T00:00Z"),   # repeats, but after 30 days
                   ("c", "2025-03-20T00:00Z"),                               # first order 12 days before the end
                   ("d", "2025-04-01T00:00Z")])
    r = journey.repeat_rate(o, within="30D")
    assert (r.k, r.n) == (1, 2)  # a yes, b no; c and d censored
    windowed = journey.repeat_rate(o, start="2025-01-03", end="2025-04-02")  # a's Jan 1 order falls outside
    assert (windowed.k, windowed.n) == (1, 4)  # b has two orders in the window


def test_repeat_rate_by_segment_and_validation():
    o = orders_of([(c, f"2025-01-0{i}T00:00Z") for i, c in enumerate("aabbccd", start=1)],
                  plan=["pro", "pro", "pro", "pro", "free", "free", "free"])
    t = journey.repeat_rate(o, by="plan").set_index("plan")
    assert t.loc["pro", "repeat_rate"] == 1.0 and t.loc["free", "repeat_rate"] == 0.5
    with pytest.raises(MissingColumnError, match="'customer_id'"):
        journey.repeat_rate(o.rename(columns={"customer_id": "client"}))
    with pytest.raises(InvalidValuesError, match="'timestamp'"):
        journey.repeat_rate(o.assign(timestamp="someday"))
    with pytest.raises(JourneyError, match="no customer"):
        journey.repeat_rate(o, start="2030-01-01")


def test_inter_purchase_times_in_days():
    o = orders_of([("a", "2025-01-01T00:00Z"), ("a", "2025-01-03T12:00Z"), ("b", "2025-01-01T00:00Z"),
                   ("a", "2025-01-04T12:00Z")])
    assert journey.inter_purchase_times(o).tolist() == [2.5, 1.0]


# Freireich EJ et al. (1963), 6-MP arm of the acute leukaemia remission trial (weeks in remission; + censored),
# as tabulated with Kaplan-Meier estimates and Greenwood standard errors in Klein JP & Moeschberger ML (2003),
# Survival Analysis, 2nd ed., Table 4.1A.
SIX_MP = [6, 6, 6, 7, 10, 13, 16, 22, 23, (6,), (9,), (10,), (11,), (17,), (19,), (20,), (25,), (32,), (32,), (34,), (35,)]
PUBLISHED = {6: (0.857, 0.0764), 7: (0.807, 0.0869), 10: (0.753, 0.0963), 13: (0.690, 0.1068),
             16: (0.627, 0.1141), 22: (0.538, 0.1282), 23: (0.448, 0.1346)}


def test_kaplan_meier_and_greenwood_match_the_published_6mp_table():
    durations = [x[0] if isinstance(x, tuple) else x for x in SIX_MP]
    observed = [not isinstance(x, tuple) for x in SIX_MP]
    table = journey.kaplan_meier(durations, observed).table().set_index("time")
    z = 1.959964
    for time, (s, se) in PUBLISHED.items():
        assert round(table.loc[time, "survival"], 3) == s
        # Greenwood ("linear") bounds are S -/+ z SE; the upper one is clipped at 1, so read SE from the lower.
        assert (table.loc[time, "survival"] - table.loc[time, "ci_low"]) / z == pytest.approx(se, abs=6e-5)
    assert table.loc[6, "at_risk"] == 21 and table.loc[6, "events"] == 3
    assert journey.kaplan_meier(durations, observed).median == 23.0


def test_time_to_churn_censors_customers_still_active():
    log = journey.read_events(pd.DataFrame({"user_id": ["a", "a", "b"], "event": "visit",
                                            "timestamp": ["2025-01-01T00:00Z", "2025-01-11T00:00Z", "2025-02-25T00:00Z"]}))
    km = journey.survival(log, inactive_after="30D")
    # a: active from Jan 1, lapses Feb 10 (40 days, observed); b: lapse Mar 27 is after the data end (censored).
    assert sorted(zip(km.durations.tolist(), km.observed.tolist())) == [(0.0, False), (40.0, True)]


def test_time_to_next_purchase():
    o = orders_of([("a", "2025-01-01T00:00Z"), ("a", "2025-01-11T00:00Z"), ("b", "2025-01-05T00:00Z"),
                   ("c", "2025-01-02T00:00Z"), ("c", "2025-01-04T00:00Z")])
    km = journey.survival(o, event="next_purchase")
    # a: 10 days to the second order; b: censored at the data's end (6 days); c: 2 days.
    assert sorted(zip(km.durations.tolist(), km.observed.tolist())) == [(2.0, True), (6.0, False), (10.0, True)]


def test_scorecard_statuses_and_probabilities():
    met = journey.kpi("CSAT", (0.8, 0.75, 0.85), target=0.7)
    missed = journey.kpi("churn", (0.2, 0.18, 0.22), target=0.1, higher_is_better=False)
    unsure = journey.kpi("NPS", (10.0, -4.0, 24.0), target=12, kind="KGI")
    assert (met.status, missed.status, unsure.status) == ("met", "missed", "inconclusive")
    # Normal approximation from the interval: se = 14 / 1.96, P(true > 12).
    from statistics import NormalDist
    assert unsure.probability_met == pytest.approx(1 - NormalDist(10, 14 / 1.959964).cdf(12), abs=1e-6)
    card = journey.scorecard([met, missed, unsure])
    assert card.table["indicator"].tolist() == ["NPS", "CSAT", "churn"]  # KGIs first
    assert "missed" in card._repr_html_() and "0x" not in repr(card)
    with pytest.raises(JourneyError):
        journey.kpi("x", object(), target=1)


def test_the_sample_repeat_rate_and_interval():
    sample = journey.datasets.load_sample()
    r = journey.repeat_rate(sample.orders)
    low, high = r.confidence_interval()
    assert 0.10 < low < r.proportion < high < 0.20 and r.n == sample.orders["customer_id"].nunique()


def test_segment_is_the_value_on_the_first_order_even_when_missing():
    orders = pd.DataFrame({"customer_id": list("aabccd"), "channel": [np.nan, "web", "web", "shop", "shop", np.nan],
                           "timestamp": pd.to_datetime(["2025-01-01", "2025-01-03", "2025-01-05", "2025-01-02",
                                                        "2025-01-22", "2025-01-07"], utc=True)})
    t = journey.repeat_rate(orders, by="channel")
    assert t.set_index("channel")["customers"].to_dict() == {"shop": 1, "web": 1, np.nan: 2} or \
        sorted(t["customers"].tolist()) == [1, 1, 2]
    assert t["customers"].sum() == 4 and t[t["channel"].isna()]["customers"].iloc[0] == 2


def test_orders_refuse_mixed_ids_and_name_the_right_option():
    with pytest.raises(InvalidValuesError, match="customer_id"):
        journey.repeat_rate(orders_of([(1, "2025-01-01T00:00Z"), ("1", "2025-01-02T00:00Z")]))
    with pytest.raises(MissingColumnError, match="customer="):
        journey.repeat_rate(orders_of([("a", "2025-01-01T00:00Z")]).rename(columns={"customer_id": "client"}))
    with pytest.raises(JourneyError, match="start="):
        journey.repeat_rate(orders_of([("a", "2025-01-01T00:00Z")]), start="garbage")
