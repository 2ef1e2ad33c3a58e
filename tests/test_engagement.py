"""Engagement metrics on tiny logs computed by hand: boundaries, time zones, unfinished periods, intervals."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.container import ErrorbarContainer
from scipy.special import beta as beta_function
from scipy.stats import beta, binomtest

import journey
from journey.analysis.engagement import (
    ActiveUsers,
    Churn,
    ChurnRate,
    Retention,
    _design_effect,
    _PoissonWeights,
)
from journey.errors import JourneyError, UnknownEventError


def log_at(rows, event="visit"):
    return journey.read_events(pd.DataFrame(rows, columns=["user_id", "timestamp"]).assign(event=event))


def wilson(k, n, z=1.959963984540054):
    """The Wilson score interval written out (Wilson 1927), for any k and n, even fractional."""
    p = k / n
    centre, half = (
        (p + z * z / (2 * n)) / (1 + z * z / n),
        z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)),
    )
    return centre - half, centre + half


# -- active users ------------------------------------------------------------------------------------------------


def test_monthly_active_users_respect_utc_month_boundaries_and_flag_the_unfinished_month():
    log = log_at(
        [
            ("a", "2025-01-31T23:30:00-02:00"),  # 2025-02-01 01:30 UTC: February
            ("b", "2025-01-31T23:30:00Z"),
            ("a", "2025-03-02T00:00Z"),
        ]
    )
    mau = journey.active_users(log, period="M")
    frame = mau.to_frame()
    assert isinstance(mau, ActiveUsers) and list(frame.columns) == ["period", "active_users", "complete"]
    assert frame["active_users"].tolist() == [1, 1, 1] and list(frame["period"].dt.month) == [1, 2, 3]
    assert str(frame["period"].dt.tz) == "UTC" and frame["complete"].tolist() == [True, True, False]
    assert frame.attrs == {} and len(mau) == 3


def test_weekly_periods_start_on_monday():
    wau = journey.active_users(log_at([("a", "2025-01-05T12:00Z"), ("b", "2025-01-06T12:00Z")]), period="W").to_frame()
    assert list(wau["period"].dt.strftime("%Y-%m-%d %a")) == ["2024-12-30 Mon", "2025-01-06 Mon"]
    assert wau["active_users"].tolist() == [1, 1]


def test_rolling_window_counts_a_user_for_the_days_of_the_window():
    log = log_at([("a", "2025-01-01T10:00Z"), ("b", "2025-01-03T10:00Z"), ("a", "2025-01-09T10:00Z")])
    weekly = journey.active_users(log, period="W", rolling=True)
    # a: Jan 1 counts through Jan 7, Jan 9 through Jan 15 (data end Jan 9); b: Jan 3 through Jan 9.
    assert weekly.to_frame()["active_users"].tolist() == [1, 1, 2, 2, 2, 2, 2, 1, 2]
    assert weekly.to_frame()["complete"].tolist() == [True] * 8 + [False] and weekly.window_days == 7


def test_active_users_display_and_picture():
    log = log_at(
        [("a", "2025-01-01T10:00Z"), ("b", "2025-01-02T10:00Z"), ("a", "2025-01-02T11:00Z"), ("b", "2025-01-03T10:00Z")]
    )
    result = journey.active_users(log)
    assert repr(result).startswith(
        "ActiveUsers: daily active users: 2 on the latest complete day (2025-01-02); mean 1.5 over 2 complete days"
    )
    assert "0x" not in repr(result) and "<table" in result._repr_html_()
    plt.close("all")
    _, ax = plt.subplots()
    assert result.plot(ax=ax) is ax
    assert [line.get_linestyle() for line in ax.lines] == ["-", "--"]  # the unfinished last day dashed
    assert journey.plot_active_users(result).get_title() == "Daily active users"
    with pytest.raises(JourneyError, match="active_users"):
        journey.plot_active_users(result.to_frame())


# -- stickiness --------------------------------------------------------------------------------------------------


def six_days():
    days = pd.date_range("2025-01-01T10:00Z", periods=6, freq="D")
    return log_at([("a", d) for d in days] + [("b", days[0]), ("b", days[3])])


def test_stickiness_by_hand_with_warm_up_and_unfinished_day_left_out_of_the_average():
    s = journey.stickiness(six_days(), mau_days=3)
    frame = s.to_frame()
    # a every day, b on days 1 and 4; MAU over 3 days holds both on every day.
    assert frame["dau"].tolist() == [2, 1, 1, 2, 1, 1] and frame["mau"].tolist() == [2] * 6
    assert frame["full_window"].tolist() == [False, False, True, True, True, True]
    assert frame["complete"].tolist() == [True] * 5 + [False]
    assert frame["in_average"].tolist() == [False, False, True, True, True, False]
    assert s.estimate == pytest.approx((0.5 + 1.0 + 0.5) / 3) and (s.n, s.n_days, s.unit) == (2, 3, "share")
    low, high = frame.loc[1, ["ci_low", "ci_high"]]
    assert (low, high) == pytest.approx(binomtest(1, 2).proportion_ci(method="wilson"))  # that day: 1 of 2 MAU users


def test_stickiness_interval_is_seeded_and_follows_level():
    log = journey.read_events(journey.datasets.load_sample().events.head(20000))
    s = journey.stickiness(log, n_boot=300)
    again = journey.stickiness(log, n_boot=300)
    other = journey.stickiness(log, n_boot=300, seed=1)
    low, high = s.confidence_interval()
    assert (low, high) == again.confidence_interval() and (low, high) != other.confidence_interval()
    assert low < s.estimate < high and len(s.replicates) == 300
    narrow = s.confidence_interval(level=0.8)
    assert low < narrow.low < narrow.high < high
    assert journey.stickiness(log, n_boot=300, level=0.8).confidence_interval() == narrow
    assert "DAU/MAU" in repr(s) and "0x" not in repr(s) and "n = " in s._repr_html_()
    with pytest.raises(JourneyError, match="percentile"):
        s.confidence_interval(method="bca")


def test_bootstrap_weights_belong_to_the_user_not_to_the_part():
    # The same user has the same weights whoever else is in the part: parts add up as the whole does.
    alone = _PoissonWeights(np.array(["u7"], dtype=object), 64, 0).of(np.array([0]))
    among = _PoissonWeights(np.array(["a", "u7", "zz"], dtype=object), 64, 0).of(np.array([1]))
    assert (alone == among).all()
    assert not (alone == _PoissonWeights(np.array(["u7"], dtype=object), 64, 5).of(np.array([0]))).all()


def test_bootstrap_weights_are_poisson_one():
    weights = _PoissonWeights(np.array([f"user {i}" for i in range(4000)], dtype=object), 250, 0).of(np.arange(4000))
    shares = np.bincount(weights.ravel(), minlength=4)[:4] / weights.size
    # Poisson(1): P(0) = P(1) = 1/e, P(2) = 1/(2e), P(3) = 1/(6e); 10^6 draws give them to about 0.001.
    assert shares == pytest.approx(np.exp(-1) * np.array([1, 1, 1 / 2, 1 / 6]), abs=0.002)
    assert abs(np.corrcoef(weights[:, 0], weights[:, 125])[0, 1]) < 0.05  # replicates sharing a hash are independent


def test_stickiness_interval_covers_a_planted_truth():
    # Users with a personal daily activity probability p ~ Beta(1, 4), active each day independently: on every
    # day with a full K-day window, E[DAU] / E[MAU] = E[p] / (1 - E[(1 - p)^K]) (Beta moments).
    users, days, window, a, b = 100, 16, 7, 1.0, 4.0
    truth = (a / (a + b)) / (1 - beta_function(a, b + window) / beta_function(a, b))
    rng = np.random.default_rng(20250101)
    start = pd.Timestamp("2025-01-01T12:00Z")
    hits, runs = 0, 150
    for run in range(runs):
        active = rng.random((users, days)) < rng.beta(a, b, users)[:, None]
        user, day = np.nonzero(active)
        df = pd.DataFrame({"user_id": user, "event": "x", "timestamp": start + pd.to_timedelta(day, unit="D")})
        low, high = journey.stickiness(df, mau_days=window, n_boot=400, seed=run).confidence_interval()
        hits += low <= truth <= high
    assert 0.89 <= hits / runs <= 0.99, hits / runs


def test_stickiness_needs_a_full_window_before_the_last_day():
    with pytest.raises(JourneyError, match="mau_days"):
        journey.stickiness(six_days(), mau_days=6)
    with pytest.raises(JourneyError, match="n_boot"):
        journey.stickiness(six_days(), mau_days=3, n_boot=0)


def test_stickiness_picture_draws_the_daily_intervals_and_the_average():
    plt.close("all")
    ax = journey.stickiness(six_days(), mau_days=3).plot()
    assert any(isinstance(c, ErrorbarContainer) and c.has_yerr for c in ax.containers)  # a few days: error bars
    assert any(line.get_label() == "average (bootstrap CI)" for line in ax.lines)


# -- churn -------------------------------------------------------------------------------------------------------


def test_churn_by_period_with_an_unfinished_last_month():
    log = log_at(
        [
            ("a", "2025-01-10T00:00Z"),
            ("b", "2025-01-20T00:00Z"),
            ("c", "2025-01-25T00:00Z"),
            ("a", "2025-02-05T00:00Z"),
            ("b", "2025-02-06T00:00Z"),
            ("a", "2025-03-03T00:00Z"),
            ("d", "2025-03-04T00:00Z"),
        ]
    )  # d: active only in the unfinished month
    c = journey.churn(log)
    frame = c.to_frame()
    assert isinstance(c, Churn) and list(frame.columns) == [
        "period",
        "customers_at_start",
        "lost",
        "churn_rate",
        "ci_low",
        "ci_high",
        "complete",
    ]
    assert frame["customers_at_start"].tolist() == [0, 3, 2] and frame["lost"].tolist() == [0, 1, 1]
    assert frame["complete"].tolist() == [True, True, False] and frame.attrs == {}
    assert frame.loc[1, "churn_rate"] == pytest.approx(1 / 3)
    assert (c.overall.lost, c.overall.at_start, c.overall.n) == (1, 3, 3)  # March (unfinished) left out
    assert isinstance(c.overall, ChurnRate) and c.overall.estimate == pytest.approx(1 / 3)


def test_churn_by_inactivity_window():
    log = log_at(
        [
            ("a", "2025-01-01T08:00Z"),
            ("a", "2025-01-20T00:00Z"),
            ("b", "2025-01-02T00:00Z"),
            ("c", "2025-02-25T00:00Z"),
            ("c", "2025-04-10T00:00Z"),
        ]
    )
    c = journey.churn(log, inactive_after="30D").to_frame()
    # a: active from Jan 1 08:00, lapses Feb 19 (30 days after Jan 20). b: lapses at Feb 1 00:00 exactly, so is
    # not active at the start of February and was never at the start of a period: never counted.
    # c: active from Feb 25, lapses Mar 27, back Apr 10. April is unfinished.
    assert c["customers_at_start"].tolist() == [0, 1, 1, 0]
    assert c["lost"].tolist() == [0, 1, 1, 0]


def test_churn_rows_have_wilson_intervals_at_any_level():
    log = journey.read_events(journey.datasets.load_sample().events)
    c = journey.churn(log, level=0.9)
    frame = c.to_frame()
    row = frame[frame["customers_at_start"] > 0].iloc[2]
    ci = binomtest(int(row["lost"]), int(row["customers_at_start"])).proportion_ci(0.9, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high))
    exact = c.confidence_interval(level=0.99, method="exact")
    i = int(row.name)
    ci = binomtest(int(row["lost"]), int(row["customers_at_start"])).proportion_ci(0.99, method="exact")
    assert (exact.low[i], exact.high[i]) == pytest.approx((ci.low, ci.high))


def test_overall_churn_counts_customers_as_clusters():
    # a is lost three times (Feb, Apr, Jun), b never (at the start of Feb..Jun), c once (at the start of Feb, Mar).
    months = lambda *ms: [f"2025-{m:02d}-10T00:00Z" for m in ms]  # noqa: E731
    log = log_at(
        [("a", t) for t in months(1, 3, 5)]
        + [("b", t) for t in months(1, 2, 3, 4, 5, 6, 7)]
        + [("c", t) for t in months(1, 2)]
    )
    overall = journey.churn(log).overall
    assert (overall.lost, overall.at_start, overall.n) == (4, 10, 3)
    # Ratio 0.4; residuals l - 0.4 s: a 1.8, b -2.0, c 0.2; clustered variance 3/2 * 7.28 / 10^2 = 0.1092
    # against the binomial 0.4 * 0.6 / 10 = 0.024: design effect 4.55, so 10 / 4.55 trials.
    assert overall.design_effect == pytest.approx(4.55)
    n_eff = 10 / 4.55
    assert overall.confidence_interval() == pytest.approx(wilson(0.4 * n_eff, n_eff))
    assert "n = 3 customers" in repr(overall)


def test_with_each_customer_once_the_overall_interval_is_wilsons_with_n_minus_one():
    # Eight customers at the start of February only, three of them lost.
    log = log_at(
        [(f"u{i}", "2025-01-10T00:00Z") for i in range(8)]
        + [(f"u{i}", "2025-02-10T00:00Z") for i in range(5)]
        + [("z", "2025-03-02T00:00Z")]
    )
    overall = journey.churn(log).overall
    assert (overall.lost, overall.at_start) == (3, 8) and overall.design_effect == pytest.approx(8 / 7)
    assert overall.confidence_interval() == pytest.approx(wilson(3 / 8 * 7, 7))


def test_the_clustered_churn_interval_covers_a_planted_truth_where_wilson_on_customer_periods_does_not():
    # Customers at the start of 1-12 periods each, with a personal churn probability q ~ Beta(1, 3) per period:
    # the pooled rate estimates E[l] / E[s] = E[q] = 0.25. Heterogeneous customers make the periods clustered.
    rng = np.random.default_rng(7)
    runs, customers, truth = 2000, 60, 0.25
    s = rng.integers(1, 13, size=(runs, customers))
    lost = rng.binomial(s, rng.beta(1, 3, size=(runs, customers)))
    clustered = naive = 0
    for k_u, n_u in zip(lost, s):
        k, n = int(k_u.sum()), int(n_u.sum())
        deff = _design_effect(k, n, customers, int(k_u @ k_u), int(k_u @ n_u), int(n_u @ n_u))
        low, high = ChurnRate(k, n, customers, deff).confidence_interval()
        clustered += low <= truth <= high
        low, high = wilson(k, n)
        naive += low <= truth <= high
    assert 0.93 <= clustered / runs <= 0.97 and naive / runs < 0.85, (clustered / runs, naive / runs)


def test_overall_churn_of_simulated_logs_covers_its_estimand_with_customers_as_clusters():
    # 100 customers over 13 months, each with a personal monthly churn probability q ~ Beta(1, 3); a lost
    # customer comes back the next month with probability 1/2, so customers are lost again and again. The
    # estimand E[lost_u] / E[at_start_u] over the 12 complete months follows from the two-state chain:
    # E[at_start | q] = sum of P(active in month m - 1), E[lost | q] = q E[at_start | q].
    from scipy import integrate
    from scipy.stats import beta as beta_law

    months, back, customers = 12, 0.5, 100

    def at_start(q):
        active, total = 1.0, 0.0
        for _ in range(months):
            total += active
            active = active * (1 - q) + (1 - active) * back
        return total

    density = beta_law(1, 3).pdf
    truth = (
        integrate.quad(lambda q: q * at_start(q) * density(q), 0, 1)[0]
        / integrate.quad(lambda q: at_start(q) * density(q), 0, 1)[0]
    )
    assert truth == pytest.approx(0.2107, abs=1e-4)
    when = pd.date_range("2025-01-01", periods=months + 1, freq="MS", tz="UTC") + pd.Timedelta(days=9)  # the 10th
    # One more customer on 2026-02-09 ends the data there: January 2026 is complete, February is not.
    last = pd.DataFrame({"user_id": ["last"], "timestamp": [when[-1] + pd.Timedelta(days=30)], "event": "visit"})
    rng = np.random.default_rng(3)
    runs, estimates, clustered, naive = 200, [], 0, 0
    for _ in range(runs):
        q = rng.beta(1, 3, customers)
        active = np.ones((customers, months + 1), dtype=bool)
        for m in range(1, months + 1):
            u = rng.random(customers)
            active[:, m] = np.where(active[:, m - 1], u >= q, u < back)
        who, month = np.nonzero(active)
        events = pd.DataFrame({"user_id": who.astype(str), "timestamp": when[month], "event": "visit"})
        overall = journey.churn(pd.concat([events, last], ignore_index=True)).overall
        estimates.append(overall.estimate)
        low, high = overall.confidence_interval()
        clustered += low <= truth <= high
        low, high = wilson(overall.lost, overall.at_start)
        naive += low <= truth <= high
    bias, error = np.mean(estimates) - truth, np.std(estimates) / np.sqrt(runs)
    assert abs(bias) < 3 * error, (bias, error)
    assert 0.93 <= clustered / runs <= 0.97 and naive / runs < 0.88, (clustered / runs, naive / runs)


def test_churn_picture_draws_every_period_with_its_interval():
    plt.close("all")
    c = journey.churn(journey.read_events(journey.datasets.load_sample().events))
    ax = c.plot()
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    drawn = sum(len(c.lines[2][0].get_segments()) for c in bars)
    assert drawn == int((c.to_frame()["customers_at_start"] > 0).sum())  # every period with customers, done or not
    assert any(line.get_label() == "average over complete periods" for line in ax.lines)
    assert "monthly churn" in repr(c) and "0x" not in repr(c)


# -- retention ---------------------------------------------------------------------------------------------------


RETENTION_ROWS = [
    ("a", "2025-01-05T00:00Z"),
    ("b", "2025-01-20T00:00Z"),
    ("a", "2025-02-03T00:00Z"),
    ("b", "2025-03-03T00:00Z"),
    ("c", "2025-02-10T00:00Z"),
    ("d", "2025-03-28T00:00Z"),
]


def test_retention_triangle_by_hand_with_unobservable_cells():
    r = journey.retention(log_at(RETENTION_ROWS))
    # Cohort Jan {a, b}: month 0 both, month 1 a, month 2 (March, unfinished) not observable.
    assert isinstance(r, Retention) and r.sizes.tolist() == [2, 1, 1]
    assert r.shares.iloc[0, :2].tolist() == [1.0, 0.5] and np.isnan(r.shares.iloc[0, 2])
    assert r.shares.iloc[1].isna().tolist() == [False, True, True]
    assert r.shares.iloc[2].isna().all()  # the March cohort has no observable cell at all
    assert r.counts.iloc[0, 1] == 1 and pd.isna(r.counts.iloc[2, 0])
    unbounded = journey.retention(log_at(RETENTION_ROWS), mode="on_or_after")
    assert unbounded.shares.iloc[0, 1] == 1.0  # b came back later (March) so counts at month 1


def test_retention_table_holds_the_observable_cells_sorted_by_cohort_then_period():
    frame = journey.retention(log_at(RETENTION_ROWS)).to_frame()
    assert list(frame.columns) == [
        "cohort",
        "periods_after",
        "cohort_size",
        "retained",
        "retention",
        "ci_low",
        "ci_high",
    ]
    assert list(zip(frame["cohort"].dt.month, frame["periods_after"])) == [(1, 0), (1, 1), (2, 0)]
    assert frame["retained"].tolist() == [2, 1, 1] and frame["retention"].tolist() == [1.0, 0.5, 1.0]


def test_retention_intervals_follow_the_rows_at_any_level():
    log = log_at(
        [(f"u{i}", "2025-01-05T00:00Z") for i in range(20)]
        + [(f"u{i}", "2025-02-05T00:00Z") for i in range(5)]
        + [("z", "2025-03-05T00:00Z")]
    )
    r = journey.retention(log)
    frame = r.to_frame()
    low, high = r.confidence_interval()
    assert len(low) == len(frame) and low[1] < 0.25 < high[1]
    ci = binomtest(5, 20).proportion_ci(0.8, method="wilson")
    assert r.confidence_interval(level=0.8).low[1] == pytest.approx(ci.low)
    assert r.confidence_interval(method="jeffreys").high[1] == pytest.approx(beta.ppf(0.975, 5.5, 15.5))
    assert "25.0% active 1 month after joining" in repr(r)


def test_retention_of_one_touchpoint_with_weekly_periods_in_monthly_cohorts():
    rows = [
        ("a", "2025-01-06T10:00Z", "buy"),
        ("a", "2025-01-14T10:00Z", "buy"),
        ("a", "2025-01-15T10:00Z", "view"),
        ("b", "2025-01-08T10:00Z", "view"),
        ("b", "2025-01-09T10:00Z", "buy"),
        ("b", "2025-01-29T10:00Z", "buy"),
        ("c", "2025-02-20T10:00Z", "view"),
    ]
    log = journey.read_events(pd.DataFrame(rows, columns=["user_id", "timestamp", "event"]))
    r = journey.retention(log, period="W", cohort_period="M", touchpoint="buy")
    # One January cohort of buyers {a, b}; weeks from the week of Jan 1 (Mon Dec 30): a buys in weeks 1 and 2,
    # b in weeks 1 and 4.
    assert r.sizes.tolist() == [2] and (r.cohort_period, r.period) == ("M", "W")
    assert r.counts.iloc[0, :6].tolist() == [0, 2, 1, 0, 1, 0]
    with pytest.raises(UnknownEventError, match="touchpoint"):
        journey.retention(log, touchpoint="buyy")


def test_retention_picture_writes_each_share_with_its_interval():
    plt.close("all")
    r = journey.retention(log_at(RETENTION_ROWS))
    _, ax = plt.subplots()
    assert journey.plot_retention(r, ax=ax) is ax
    low, high = r.confidence_interval()
    assert [t.get_text() for t in ax.texts] == [
        f"{v:.0%}\n{lo * 100:.0f}–{hi * 100:.0f}" for v, lo, hi in zip(r.to_frame()["retention"], low, high)
    ]
    with pytest.raises(JourneyError, match="journey.retention"):
        journey.plot_retention(r.shares)


# -- arguments and the sample ------------------------------------------------------------------------------------


def test_bad_arguments_are_named():
    log = log_at([("a", "2025-01-05T00:00Z")])
    with pytest.raises(JourneyError, match="period"):
        journey.churn(log, period="Q")
    with pytest.raises(JourneyError, match="cohort_period"):
        journey.retention(log, cohort_period="Q")
    with pytest.raises(JourneyError, match="mode"):
        journey.retention(log, mode="after")
    with pytest.raises(JourneyError, match="inactive_after"):
        journey.churn(log, inactive_after="soon")
    with pytest.raises(JourneyError, match="rolling"):
        journey.active_users(log, rolling="yes")
    with pytest.raises(JourneyError, match="level"):
        journey.churn(log, level=95)


def test_the_sample_gives_sane_engagement_figures():
    log = journey.read_events(journey.datasets.sample_path("events"))
    s = journey.stickiness(log)
    assert 0.01 < s.confidence_interval().low < s.estimate < s.confidence_interval().high < 0.2
    c = journey.churn(log).to_frame()
    complete = c[c["complete"] & (c["customers_at_start"] > 0)]
    assert (
        len(complete) >= 6
        and ((complete["ci_low"] <= complete["churn_rate"]) & (complete["churn_rate"] <= complete["ci_high"])).all()
    )
    assert not c["complete"].iloc[-1]
