"""Funnel.time_to_convert: Kaplan-Meier curves by hand with censoring, and the median's interval by simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_graph import log_of

import journey
from journey.analysis.conversion_time import TimeToConvert
from journey.errors import JourneyError


@pytest.fixture
def log():
    # The data end at 12:00 (z). With a 1-hour window: a and b buy after 10 and 30 minutes; c's window
    # closed without a buy (censored at the hour, it can no longer count); d's window is still open at the
    # end (censored after the 30 minutes seen); e started 20 minutes before the end and bought already.
    return log_of(
        [
            ("a", "10:00:00", "home"),
            ("a", "10:10:00", "buy"),
            ("b", "10:00:00", "home"),
            ("b", "10:30:00", "buy"),
            ("c", "10:00:00", "home"),
            ("d", "11:30:00", "home"),
            ("e", "11:40:00", "home"),
            ("e", "11:50:00", "buy"),
            ("z", "12:00:00", "x"),
        ]
    )


def test_kaplan_meier_by_hand_with_both_kinds_of_censoring(log):
    f = journey.funnel(log, ["home", "buy"], within="1h")
    assert f.n_censored == 2  # d and e: their windows are open, so the step table leaves both out
    waits = f.time_to_convert()
    assert isinstance(waits, TimeToConvert) and waits.n == 5
    table = waits.to_frame()
    assert table["seconds"].tolist() == [600.0, 1800.0, 3600.0]
    assert table[["at_risk", "reached", "censored"]].values.tolist() == [[5, 2, 0], [3, 1, 1], [1, 0, 1]]
    # S(600) = 3/5; S(1800) = 3/5 x (1 - 1/3) = 2/5; converted share = 1 - S.
    assert table["converted_share"].tolist() == pytest.approx([0.4, 0.6, 0.6])
    # Greenwood: var S(600) = 0.6^2 x 2/(5 x 3) = 0.048; var S(1800) = 0.4^2 x (2/15 + 1/(3 x 2)) = 0.048.
    half = 1.959964 * np.sqrt(0.048)
    assert table["ci_low"].tolist()[:2] == pytest.approx([0.0, max(0.0, 0.6 - half)], abs=1e-6)
    assert table["ci_high"].tolist()[:2] == pytest.approx([0.4 + half, min(1.0, 0.6 + half)], abs=1e-6)
    medians = waits.medians()
    row = medians.iloc[0]
    assert (row["n"], row["reached"], row["censored"]) == (5, 3, 2)
    # The median: the first time S is at or below one half (1,800 s); its interval where the band crosses
    # one half: the lower band already at 600 s, the upper band never (not reached).
    assert row["median_seconds"] == 1800.0 and row["median_ci_low"] == 600.0 and np.isnan(row["median_ci_high"])
    assert repr(waits).splitlines()[0] == (
        "TimeToConvert: time from home to buy: median 30m 00s (95% CI 10m 00s to not reached; "
        "5 customers, 3 reach it, 2 censored)"
    )


def test_without_a_window_everyone_not_converted_is_censored_at_the_end_of_the_data(log):
    table = journey.funnel(log, ["home", "buy"]).time_to_convert().to_frame()
    # c is now observed for 2 hours, d for 30 minutes: censored there, not at a window.
    assert table["seconds"].tolist() == [600.0, 1800.0, 7200.0]
    assert table["censored"].tolist() == [0, 1, 1]


def test_each_later_step_has_its_curve_and_the_level_and_method_can_change(log):
    three = log_of(
        [
            ("a", "10:00:00", "home"),
            ("a", "10:05:00", "cart"),
            ("a", "10:20:00", "buy"),
            ("b", "10:00:00", "home"),
            ("b", "10:10:00", "cart"),
            ("c", "10:00:00", "home"),
        ]
    )
    waits = journey.funnel(three, ["home", "cart", "buy"]).time_to_convert(level=0.9, method="log-log")
    assert waits.level == 0.9 and waits.method == "log-log"
    medians = waits.medians().set_index("touchpoint")
    assert medians.loc["cart", "median_seconds"] == 600.0  # 300 s and 600 s of three: S reaches 1/3 at 600
    assert np.isnan(medians.loc["buy", "median_seconds"])  # one of three: not reached
    # The data end at a's buy (10:20): b and c are censored at that same 1,200 s.
    assert waits.curve("buy").to_frame()[["time", "events", "censored"]].values.tolist() == [[1200.0, 1, 2]]
    low, high = waits.confidence_interval()
    assert len(low) == len(waits.to_frame()) and (low <= waits.to_frame()["converted_share"] + 1e-12).all()
    with pytest.raises(JourneyError, match="step number from 2 to 3"):
        waits.curve(1)
    with pytest.raises(JourneyError, match="'home' is not a step after the first"):
        waits.curve("home")


def test_plot_draws_each_curve_with_its_band_and_median(log):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.close("all")
    waits = journey.funnel(log, ["home", "buy"], within="1h").time_to_convert()
    _, given = plt.subplots()
    ax = waits.plot(ax=given)
    assert ax is given and ax.get_title() == "Time to convert from home"
    curve, median = ax.lines
    assert curve.get_label() == "buy" and median.get_label() == "median buy: 30m 00s"
    x, y = curve.get_data()
    assert list(x) == pytest.approx([0, 10, 30, 60]) and list(y) == pytest.approx([0, 0.4, 0.6, 0.6])  # minutes
    assert ax.get_xlabel() == "minutes since home" and len(ax.collections) == 1
    plt.close("all")


# Coverage of the median's interval by simulation against a planted distribution. Customers start
# uniformly over 10 days; 80% of them buy after an exponential delay of mean 1 day; a 4-day window. The
# chance of having bought by t days is 0.8 (1 - exp(-t)), one half at t = -ln(0.375) = 0.981 days.
# Customers who started less than 4 days before the end are censored at the end of the data.

START = pd.Timestamp("2025-01-01", tz="UTC")


def _replicate(rng, customers):
    start = rng.uniform(0, 10, customers)
    buys = rng.random(customers) < 0.8
    bought = start + rng.exponential(1.0, customers)
    seen = buys & (bought <= 10)
    frame = pd.DataFrame(
        {
            "user_id": np.r_[np.arange(customers), np.flatnonzero(seen), -1],
            "event": ["visit"] * customers + ["buy"] * int(seen.sum()) + ["elsewhere"],
            "timestamp": START + pd.to_timedelta(np.r_[start, bought[seen], 10.0], unit="D"),
        }
    )
    return journey.read_events(frame)


def test_the_median_interval_covers_the_planted_median():
    # 1,000 logs of 200 customers (Monte Carlo error of a coverage near 0.95: 0.007).
    truth = -np.log(0.375) * 86_400
    rng = np.random.default_rng(16)
    covered, medians = [], []
    for _ in range(1000):
        row = journey.funnel(_replicate(rng, 200), ["visit", "buy"], within="4D").time_to_convert().medians().iloc[0]
        low, high = row["median_ci_low"], row["median_ci_high"]
        covered.append(low <= truth and (np.isnan(high) or truth <= high))
        medians.append(row["median_seconds"])
    coverage = float(np.mean(covered))
    assert 0.93 <= coverage <= 0.97, coverage
    assert abs(np.median(medians) / truth - 1) < 0.05
