"""Engagement metrics on tiny logs computed by hand: boundaries, time zones, unfinished periods."""

import numpy as np
import pandas as pd
import pytest

import journey
from journey.errors import JourneyError


def log_at(rows):
    return journey.read_events(pd.DataFrame(rows, columns=["user_id", "timestamp"]).assign(event="visit"))


def test_monthly_active_users_respect_utc_month_boundaries():
    log = log_at([("a", "2025-01-31T23:30:00-02:00"),   # 2025-02-01 01:30 UTC: February
                  ("b", "2025-01-31T23:30:00Z"), ("a", "2025-03-02T00:00Z")])
    mau = journey.active_users(log, freq="M")
    assert mau.tolist() == [1, 1, 1] and list(mau.index.month) == [1, 2, 3]
    assert str(mau.index.tz) == "UTC" and mau.attrs["unfinished"] == mau.index[-1]


def test_weekly_periods_start_on_monday():
    wau = journey.active_users(log_at([("a", "2025-01-05T12:00Z"), ("b", "2025-01-06T12:00Z")]), freq="W")
    assert list(wau.index.strftime("%Y-%m-%d %a")) == ["2024-12-30 Mon", "2025-01-06 Mon"] and wau.tolist() == [1, 1]


def test_rolling_window_counts_a_user_for_the_days_of_the_window():
    log = log_at([("a", "2025-01-01T10:00Z"), ("b", "2025-01-03T10:00Z"), ("a", "2025-01-09T10:00Z")])
    weekly = journey.active_users(log, freq="W", window="rolling")
    # a: Jan 1 counts through Jan 7, Jan 9 through Jan 15 (data end Jan 9); b: Jan 3 through Jan 9.
    assert weekly.tolist() == [1, 1, 2, 2, 2, 2, 2, 1, 2]


def test_stickiness_by_hand_and_warm_up_left_out():
    log = log_at([("a", "2025-01-01T10:00Z"), ("b", "2025-01-01T11:00Z"), ("a", "2025-01-02T10:00Z"),
                  ("a", "2025-01-03T10:00Z")])
    s = journey.stickiness(log, mau_days=2)
    assert s.series["stickiness"].tolist() == [1.0, 0.5, 1.0]
    assert s.series["full_window"].tolist() == [False, True, True] and s.mean == 0.75


def test_churn_by_period_with_an_unfinished_last_month():
    log = log_at([("a", "2025-01-10T00:00Z"), ("b", "2025-01-20T00:00Z"), ("c", "2025-01-25T00:00Z"),
                  ("a", "2025-02-05T00:00Z"), ("b", "2025-02-06T00:00Z"),
                  ("a", "2025-03-03T00:00Z"), ("d", "2025-03-04T00:00Z")])  # d: active only in the unfinished month
    c = journey.churn(log)
    assert c["customers_at_start"].tolist() == [0, 3, 2] and c["lost"].tolist() == [0, 1, 1]
    assert c["complete"].tolist() == [True, True, False]
    assert c.loc[1, "churn_rate"] == pytest.approx(1 / 3)
    avg = c.attrs["average"]
    assert (avg.k, avg.n) == (1, 3)  # March (unfinished) left out of the average


def test_churn_by_inactivity_window():
    log = log_at([("a", "2025-01-01T08:00Z"), ("a", "2025-01-20T00:00Z"), ("b", "2025-01-02T00:00Z"),
                  ("c", "2025-02-25T00:00Z"), ("c", "2025-04-10T00:00Z")])
    c = journey.churn(log, inactive_after="30D")
    # a: active from Jan 1 08:00, lapses Feb 19 (30 days after Jan 20). b: lapses at Feb 1 00:00 exactly, so is
    # not active at the start of February and was never at the start of a period: never counted.
    # c: active from Feb 25, lapses Mar 27, back Apr 10. April is unfinished.
    assert c["customers_at_start"].tolist() == [0, 1, 1, 0]
    assert c["lost"].tolist() == [0, 1, 1, 0]


def test_retention_triangle_by_hand_with_unobservable_cells():
    log = log_at([("a", "2025-01-05T00:00Z"), ("b", "2025-01-20T00:00Z"), ("a", "2025-02-03T00:00Z"),
                  ("b", "2025-03-03T00:00Z"), ("c", "2025-02-10T00:00Z"), ("d", "2025-03-28T00:00Z")])
    r = journey.retention(log)
    # Cohort Jan {a, b}: month 0 both, month 1 a, month 2 (March, unfinished) not observable.
    assert r.sizes.tolist() == [2, 1, 1]
    assert r.shares.iloc[0, :2].tolist() == [1.0, 0.5] and np.isnan(r.shares.iloc[0, 2])
    assert r.shares.iloc[1].isna().tolist() == [False, True, True]
    assert r.shares.iloc[2].isna().all()  # the March cohort has no observable cell at all
    assert r.counts.iloc[0, 1] == 1 and pd.isna(r.counts.iloc[2, 0])
    unbounded = journey.retention(log, mode="on_or_after")
    assert unbounded.shares.iloc[0, 1] == 1.0  # b came back later (March) so counts at month 1


def test_retention_intervals_follow_the_cells():
    log = log_at([(f"u{i}", "2025-01-05T00:00Z") for i in range(20)] + [(f"u{i}", "2025-02-05T00:00Z") for i in range(5)]
                 + [("z", "2025-03-05T00:00Z")])
    low, high = journey.retention(log).confidence_interval()
    assert low.iloc[0, 1] < 0.25 < high.iloc[0, 1] and np.isnan(low.iloc[0, 2])


def test_bad_arguments():
    log = log_at([("a", "2025-01-05T00:00Z")])
    with pytest.raises(JourneyError, match="period"):
        journey.churn(log, period="Q")
    with pytest.raises(JourneyError, match="mode"):
        journey.retention(log, mode="after")
    with pytest.raises(JourneyError, match="inactive_after"):
        journey.churn(log, inactive_after="soon")


def test_the_sample_gives_sane_engagement_figures():
    log = journey.read_events("data/events.csv.gz")
    s = journey.stickiness(log)
    assert 0.01 < s.mean < 0.2
    c = journey.churn(log)
    complete = c[c["complete"] & (c["customers_at_start"] > 0)]
    assert len(complete) >= 6 and ((complete["ci_low"] <= complete["churn_rate"]) & (complete["churn_rate"] <= complete["ci_high"])).all()
    assert not c["complete"].iloc[-1]
