"""drop_off and compare_paths: hand answers, interval coverage, the planted drop-off in the sample, their results."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import beta, binomtest
from test_markov import log_from_paths

import journey
from journey.analysis.dropoff import DropOff, PathComparison
from journey.errors import JourneyError, MissingColumnError
from journey.stats.intervals import newcombe_interval
from journey.stats.significance import adjust_pvalues, independence_test

PATHS = [["home", "cart", "buy"], ["home", "cart"], ["home", "cart"], ["home"], ["home", "cart", "buy", "home"]]


def test_hand_computed_drop_off_and_expected_lost_conversions():
    d = journey.drop_off(log_from_paths(PATHS), goal="buy").to_frame().set_index("touchpoint")
    # cart: 4 journeys, 2 converted, 2 exits (the two ending at cart unconverted).
    assert d.loc["cart", ["journeys", "exits", "conversions"]].tolist() == [4, 2, 2]
    assert d.loc["cart", "exit_rate"] == 0.5
    # The exiting journeys would have converted like those that went on: 2 x 2 / (4 - 2) = 2.
    assert d.loc["cart", "expected_lost_conversions"] == 2.0
    # home: 5 journeys, 1 exit (path 4; path 5 ends at home but had converted), 2 conversions.
    assert d.loc["home", ["journeys", "exits", "conversions"]].tolist() == [5, 1, 2]
    assert d.loc["home", "expected_lost_conversions"] == pytest.approx(1 * 2 / 4)
    assert "buy" not in d.index
    assert list(d.index) == ["cart", "home"]  # by expected loss


def test_a_touchpoint_every_journey_leaves_from_loses_nothing_known_with_the_widest_interval():
    d = journey.drop_off(log_from_paths([["a"], ["a"], ["b", "buy"]]), goal="buy").to_frame().set_index("touchpoint")
    # No journey through a converted, none went on from it: 0 lost, but its continuers' rate could be
    # anything, so as many as its 2 exits.
    assert d.loc["a", "expected_lost_conversions"] == 0.0
    assert d.loc["a", ["expected_lost_conversions_ci_low", "expected_lost_conversions_ci_high"]].tolist() == [0.0, 2.0]
    assert list(d.index) == ["a", "b"]  # both 0: by name


def test_visits_after_the_goal_count_nowhere():
    # issue 18: converters see help only after buying; the others leave from it. help used to score
    # 50 x 50 / 50 = 50 lost conversions, the converters' later visits counting as journeys that went on.
    paths = [["home", "cart", "buy", "help"]] * 50 + [["home", "cart", "help"]] * 50
    log = log_from_paths(paths)
    d = journey.drop_off(log, goal="buy").to_frame().set_index("touchpoint")
    assert d.loc["help", ["journeys", "exits", "conversions"]].tolist() == [50, 50, 0]
    assert d.loc["help", "expected_lost_conversions"] == 0.0
    removal = journey.markov(log, goal="buy").to_frame().set_index("touchpoint")["removal_effect"]
    assert removal.get("help", 0.0) == 0.0  # the Markov model agrees: no conversion goes through help
    assert d.loc["cart", ["journeys", "exits", "conversions", "expected_lost_conversions"]].tolist() == [100, 0, 50, 0]
    # A touchpoint seen only after the goal is not visited by any journey as cut: it is not listed.
    after_only = journey.drop_off(log_from_paths([["home", "buy", "faq"], ["home"]]), goal="buy").to_frame()
    assert after_only["touchpoint"].tolist() == ["home"]
    # A journey that converts and comes back is not an exit at the page it comes back to.
    back = (
        journey.drop_off(
            log_from_paths([["home", "cart", "buy", "cart"], ["home", "cart"], ["home", "cart", "buy"]]), goal="buy"
        )
        .to_frame()
        .set_index("touchpoint")
    )
    assert back.loc["cart", ["journeys", "exits", "conversions"]].tolist() == [3, 1, 2]
    assert back.loc["cart", "expected_lost_conversions"] == 1.0


def test_expected_lost_conversions_interval_is_the_exits_times_the_continuers_wilson_interval():
    d = journey.drop_off(log_from_paths(PATHS), goal="buy", level=0.9).to_frame().set_index("touchpoint")
    # cart: 2 exits; of the 2 journeys that went on, 2 converted. home: 1 exit; 2 of 4 went on to convert.
    for touchpoint, exits, k, n in [("cart", 2, 2, 2), ("home", 1, 2, 4)]:
        ci = binomtest(k, n).proportion_ci(0.9, method="wilson")
        row = d.loc[touchpoint]
        assert row["expected_lost_conversions"] == pytest.approx(exits * k / n)
        assert (row["expected_lost_conversions_ci_low"], row["expected_lost_conversions_ci_high"]) == pytest.approx(
            (exits * ci.low, exits * ci.high)
        )


def test_expected_lost_conversions_is_unbiased_and_its_interval_covers_a_planted_truth():
    # 2,000 replicates of 100 journeys: a (exit 0.3) -> b (exit 0.25) -> c (exit 0.5) -> buy, and half the
    # converters go back to a after buying. Had the exits gone on, they would have converted with the
    # chance of the journeys going on: 0.75 x 0.5 from a, 0.5 from b. The truth of a replicate is its exits
    # times that chance. Monte Carlo error of the coverage: 0.0049. Measured: at a, bias -0.012 conversions
    # (Monte Carlo error 0.039), coverage 0.952; at b, +0.006 (0.028), coverage 0.954.
    rng = np.random.default_rng(18)
    n = 2000 * 100
    leave_a, leave_b, leave_c = (rng.random(n) < p for p in (0.3, 0.25, 0.5))
    depth = np.where(leave_a, 1, np.where(leave_b, 2, np.where(leave_c, 3, 4)))
    back = (depth == 4) & (rng.random(n) < 0.5)
    length = depth + back
    events = np.array(["a", "b", "c", "buy", "a"], dtype=object)[np.concatenate([np.arange(m) for m in length])]
    user = np.repeat(np.arange(n), length)
    df = pd.DataFrame(
        {
            "user_id": user,
            "event": events,
            "rep": user // 100,
            "timestamp": pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(np.arange(len(user)), unit="s"),
        }
    )
    d = journey.drop_off(df, goal="buy", by="rep").to_frame()
    measured = {}
    for touchpoint, chance in [("a", 0.375), ("b", 0.5)]:
        rows = d[d["touchpoint"] == touchpoint]
        truth = rows["exits"].to_numpy() * chance
        error = rows["expected_lost_conversions"].to_numpy() - truth
        monte_carlo_error = error.std(ddof=1) / np.sqrt(len(error))
        coverage = (
            (rows["expected_lost_conversions_ci_low"] <= truth) & (truth <= rows["expected_lost_conversions_ci_high"])
        ).mean()
        measured[touchpoint] = (error.mean(), monte_carlo_error, coverage)
        assert len(rows) == 2000 and abs(error.mean()) < 3 * monte_carlo_error, measured
        assert 0.93 <= coverage <= 0.97, measured


def test_wilson_exit_rate_intervals_cover_the_true_exit_probability():
    # 1,000 independent replicates of 150 journeys: a (exit 0.3) -> b (exit 0.5) -> buy.
    rng = np.random.default_rng(2024)
    rows = []
    for rep in range(1000):
        for j in range(150):
            path = ["a"] if rng.random() < 0.3 else (["a", "b"] if rng.random() < 0.5 else ["a", "b", "buy"])
            rows += [(f"r{rep}-{j}", e, rep) for e in path]
    df = pd.DataFrame(rows, columns=["user_id", "event", "rep"]).assign(
        timestamp=pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(np.arange(len(rows)), unit="s")
    )
    d = journey.drop_off(df, goal="buy", by="rep").to_frame()
    for touchpoint, truth in [("a", 0.3), ("b", 0.5)]:
        rows = d[d["touchpoint"] == touchpoint]
        coverage = ((rows["ci_low"] <= truth) & (truth <= rows["ci_high"])).mean()
        assert len(rows) == 1000 and 0.93 <= coverage <= 0.97, (touchpoint, coverage)


def test_segments_get_tests_with_bh_adjustment():
    paths = (
        [["home", "pay", "buy"]] * 40 + [["home", "pay"]] * 10 + [["home", "pay", "buy"]] * 20 + [["home", "pay"]] * 30
    )
    log = journey.read_events(
        log_from_paths(paths)
        .frame.rename(columns={"user": "user_id", "time": "timestamp"})
        .assign(device=lambda f: np.where(f["user_id"].str[1:].astype(int) < 50, "desktop", "mobile"))
    )
    result = journey.drop_off(log, goal="buy", by="device")
    d = result.to_frame()
    assert list(d.columns[:2]) == ["device", "touchpoint"] and result.by == "device"
    assert list(d.columns[-11:]) == [
        "p_value",
        "p_adjusted",
        "significant",
        "test",
        "baseline_exit_rate",
        "difference",
        "difference_ci_low",
        "difference_ci_high",
        "difference_p_value",
        "difference_p_adjusted",
        "difference_significant",
    ]
    pay = d[d["touchpoint"] == "pay"].set_index("device")
    assert pay.loc["desktop", "exit_rate"] == 0.2 and pay.loc["mobile", "exit_rate"] == 0.6
    p, test = independence_test([[10, 40], [30, 20]])
    assert pay["p_value"].iloc[0] == pytest.approx(p) and pay["test"].iloc[0] == test == "chi-square"
    assert pay["significant"].all()
    assert np.isnan(d.loc[d["touchpoint"] == "home", "p_value"]).all()  # nobody exits at home: no test
    # mobile loses 30 x 20 / 20 = 30 conversions at pay, desktop 10 x 40 / 40 = 10.
    assert "most lost at pay (device = mobile): exit rate 60.0%" in repr(result)
    assert "exit rates differ by device at 1 of 1 tested touchpoints" in repr(result)


def test_each_segment_is_compared_with_the_baseline_as_compare_funnels_does():
    paths = (
        [["home", "pay", "buy"]] * 40 + [["home", "pay"]] * 10 + [["home", "pay", "buy"]] * 20 + [["home", "pay"]] * 30
    )
    frame = log_from_paths(paths).frame.rename(columns={"user": "user_id", "time": "timestamp"})
    frame["device"] = np.where(frame["user_id"].str[1:].astype(int) < 50, "desktop", "mobile")
    result = journey.drop_off(frame, goal="buy", by="device")
    assert result.baseline == "desktop"  # 50 journeys each: the first in sort order
    d = result.to_frame().set_index(["device", "touchpoint"])
    mobile = d.loc[("mobile", "pay")]
    low, high = newcombe_interval([30], [50], [10], [50])
    assert mobile["baseline_exit_rate"] == 0.2 and mobile["difference"] == pytest.approx(0.4)
    assert (mobile["difference_ci_low"], mobile["difference_ci_high"]) == pytest.approx((low[0], high[0]))
    p_pay = journey.compare_proportions(30, 50, 10, 50).pvalue
    p_home = journey.compare_proportions(0, 50, 0, 50).pvalue
    assert mobile["difference_p_value"] == pytest.approx(p_pay)
    # Benjamini-Hochberg over the two compared rows (mobile at home and at pay), by hand.
    assert mobile["difference_p_adjusted"] == pytest.approx(min(2 * p_pay, max(p_pay, p_home)))
    assert mobile["difference_significant"]
    assert d.loc[("mobile", "home"), "difference"] == 0.0 and not d.loc[("mobile", "home"), "difference_significant"]
    assert d.loc["desktop", "difference"].isna().all() and not d.loc["desktop", "difference_significant"].any()
    assert "against device = desktop (baseline), 1 of 2 exit rates differ" in repr(result)
    # Another baseline, and Holm instead of BH: the same differences with the sign turned, adjusted Holm's way.
    other = journey.drop_off(frame, goal="buy", by="device", baseline="mobile", adjust="holm").to_frame()
    desktop = other.set_index(["device", "touchpoint"]).loc[("desktop", "pay")]
    assert desktop["difference"] == pytest.approx(-0.4)
    assert desktop["difference_p_adjusted"] == pytest.approx(min(1.0, 2 * p_pay))


def test_a_baseline_needs_segments_and_must_exist():
    log = log_from_paths([["a", "buy"], ["a"]])
    with pytest.raises(JourneyError, match=r"baseline=.*give by="):
        journey.drop_off(log, goal="buy", baseline="web")
    frame = log.frame.rename(columns={"user": "user_id", "time": "timestamp"}).assign(device="app")
    with pytest.raises(JourneyError, match=r"baseline='web'.*no journey has device = 'web'"):
        journey.drop_off(frame, goal="buy", by="device", baseline="web")


def test_a_missing_segment_column_is_named():
    with pytest.raises(MissingColumnError, match="'plan'"):
        journey.drop_off(log_from_paths([["a", "buy"]]), goal="buy", by="plan")


def test_the_sample_recovers_the_planted_mobile_payment_drop_off():
    log = journey.read_events(journey.datasets.sample_path("events"))
    d = journey.drop_off(log, goal="purchase", by="device").to_frame()
    per_touchpoint = d.drop_duplicates("touchpoint").sort_values("p_value")
    assert per_touchpoint["touchpoint"].iloc[0] == "payment" and per_touchpoint["significant"].iloc[0]
    assert per_touchpoint["significant"].sum() <= 2  # payment and at most one other
    pay = d[d["touchpoint"] == "payment"].set_index("device")
    assert pay.loc["mobile", "ci_low"] > pay.loc["desktop", "ci_high"]


def test_compare_paths_on_a_known_split():
    paths = [["ad", "cart", "buy"]] * 30 + [["ad", "faq"]] * 25 + [["ad", "cart"]] * 5 + [["email", "faq"]] * 10
    result = journey.compare_paths(log_from_paths(paths), goal="buy")
    assert isinstance(result, PathComparison) and (result.n_converted, result.n_other) == (30, 40)
    c = result.to_frame().set_index(["source", "target"])
    row = c.loc[("ad", "cart")]
    assert (row["converted_journeys"], row["other_journeys"], row["n_converted"], row["n_other"]) == (30, 5, 30, 40)
    assert row["converted_share"] == 1.0 and row["other_share"] == 5 / 40 and row["direction"] == "more"
    assert row["difference_ci_low"] <= row["difference"] <= row["difference_ci_high"] and row["significant"]
    assert ("cart", "buy") not in c.index and not any(t == journey.END for _, t in c.index)
    assert c.loc[(journey.START, "email"), "direction"] == "less"


def test_adjusted_pvalues_are_benjamini_hochberg():
    p = [0.01, 0.04, 0.03, np.nan, 0.2]
    # By hand: sorted 0.01, 0.03, 0.04, 0.2 (m = 4) -> 0.04, min(0.06, 0.16/3), 0.16/3, 0.2.
    assert adjust_pvalues(p)[[0, 1, 2, 4]] == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2])
    assert np.isnan(adjust_pvalues(p)[3])


def test_small_tables_use_fisher():
    p, test = independence_test([[1, 9], [6, 4]])
    assert test == "fisher" and 0 < p < 0.06


def test_fisher_on_more_than_two_segments_is_exact_and_repeatable():
    # Enumerating every 3 x 2 table with these margins by hand gives 0.113178 (see the function's docstring).
    values = {independence_test([[1, 9], [5, 5], [3, 3]]) for _ in range(3)}
    assert len(values) == 1 and values.pop() == (pytest.approx(0.1131779, abs=1e-6), "fisher")


def test_drop_off_with_three_tiny_segments():
    df = pd.DataFrame(
        {
            "user_id": list("aabc"),
            "event": ["home", "buy", "home", "home"],
            "seg": list("xxyz"),
            "timestamp": pd.date_range("2025-01-01", periods=4, freq="min", tz="UTC"),
        }
    )
    d = journey.drop_off(df, goal="buy", by="seg").to_frame()
    assert d["test"].iloc[0] == "fisher" and 0 <= d["p_value"].iloc[0] <= 1


def test_the_result_is_a_drop_off_with_its_journeys_and_conversions():
    d = journey.drop_off(log_from_paths(PATHS), goal="buy")
    assert isinstance(d, DropOff) and len(d) == 2
    assert d.goal == ("buy",) and d.by is None and d.unit == "user" and d.level == 0.95
    assert (d.n_journeys, d.n_converted) == (5, 2)
    assert list(d.to_frame().columns) == [
        "touchpoint",
        "journeys",
        "exits",
        "exit_rate",
        "ci_low",
        "ci_high",
        "conversions",
        "conversion_rate",
        "conversion_ci_low",
        "conversion_ci_high",
        "expected_lost_conversions",
        "expected_lost_conversions_ci_low",
        "expected_lost_conversions_ci_high",
    ]
    ci = binomtest(2, 4).proportion_ci(0.95, method="wilson")
    assert repr(d).splitlines()[0] == (
        f"DropOff: 5 journeys (one per user), 2 reach buy; most lost at cart: exit rate 50.0% "
        f"(95% CI {ci.low:.1%} to {ci.high:.1%}, n = 4)"
    )


def test_level_sets_the_intervals_and_confidence_interval_recomputes_them():
    d = journey.drop_off(log_from_paths(PATHS), goal="buy", level=0.9)
    cart = d.to_frame().set_index("touchpoint").loc["cart"]
    # cart: 2 exits and 2 conversions out of 4 journeys.
    expected = binomtest(2, 4).proportion_ci(0.9, "wilson")
    assert (cart["ci_low"], cart["ci_high"]) == pytest.approx((expected.low, expected.high))
    assert (cart["conversion_ci_low"], cart["conversion_ci_high"]) == pytest.approx((expected.low, expected.high))
    assert "90% CI" in repr(d)
    low, high = d.confidence_interval(level=0.95, method="jeffreys")
    # Jeffreys: the equal-tailed interval of Beta(k + 1/2, n - k + 1/2); cart is 2 exits of 4 journeys.
    assert (low[0], high[0]) == pytest.approx((beta.ppf(0.025, 2.5, 2.5), beta.ppf(0.975, 2.5, 2.5)))


def test_unit_session_makes_each_session_a_journey():
    rows = [
        ("a", "10:00", "home"),
        ("a", "10:01", "cart"),
        ("a", "12:00", "home"),
        ("a", "12:01", "buy"),
        ("b", "10:00", "home"),
        ("b", "10:05", "cart"),
    ]
    df = pd.DataFrame(rows, columns=["user_id", "timestamp", "event"]).assign(
        timestamp=lambda f: pd.to_datetime("2025-01-01 " + f["timestamp"], utc=True)
    )
    by_user = journey.drop_off(df, goal="buy").to_frame().set_index("touchpoint")
    # By user: a converts (its last event is the goal); b exits at cart.
    assert by_user.loc["cart", ["journeys", "exits", "conversions"]].tolist() == [2, 1, 1]
    assert by_user.loc["home", ["journeys", "exits", "conversions"]].tolist() == [2, 0, 1]
    sessions = journey.drop_off(df, goal="buy", unit="session", gap="30min")
    # By session (a new one after 30 minutes idle): a's first session and b's both end at cart unconverted.
    assert sessions.unit == "session" and (sessions.n_journeys, sessions.n_converted) == (3, 1)
    table = sessions.to_frame().set_index("touchpoint")
    assert table.loc["cart", ["journeys", "exits", "conversions"]].tolist() == [2, 2, 0]
    assert table.loc["home", ["journeys", "exits", "conversions"]].tolist() == [3, 0, 1]
    # Every session through cart ended there: nothing known to be lost, as much as its 2 exits at most.
    assert table.loc[
        "cart", ["expected_lost_conversions", "expected_lost_conversions_ci_low", "expected_lost_conversions_ci_high"]
    ].tolist() == [0.0, 0.0, 2.0]
    assert "one per session" in repr(sessions)
    with pytest.raises(JourneyError, match="unit"):
        journey.drop_off(df, goal="buy", unit="device")


def test_a_drop_off_without_a_goal_or_with_a_bad_level_is_refused():
    log = log_from_paths(PATHS)
    with pytest.raises(JourneyError, match=r"needs a goal.*goal=\.\.\."):
        journey.drop_off(log, goal=[])
    with pytest.raises(JourneyError, match="level"):
        journey.drop_off(log, goal="buy", level=1.5)
    with pytest.raises(JourneyError, match=r"needs a goal"):
        journey.compare_paths(log, goal=None)


def test_drop_off_repr_has_no_address_and_html_escapes_names():
    df = pd.DataFrame(
        {
            "user_id": list("aab"),
            "event": ["<b>home", "buy", "<b>home"],
            "seg": ["<b>x", "<b>x", "y"],
            "timestamp": pd.date_range("2025-01-01", periods=3, freq="min", tz="UTC"),
        }
    )
    d = journey.drop_off(df, goal="buy", by="seg")
    assert "0x" not in repr(d) and "<b>home" in repr(d)
    page = d._repr_html_()
    assert "<b>home" not in page and "&lt;b&gt;home" in page and "&lt;b&gt;x" in page
    c = journey.compare_paths(df, goal="buy")
    assert "0x" not in repr(c) and "<b>home" not in c._repr_html_() and "&lt;b&gt;home" in c._repr_html_()


def errorbar_spans(ax, axis):
    """(low, high) of every interval drawn on ``ax``, along ``axis`` (0: x, 1: y), in drawing order."""
    from matplotlib.container import ErrorbarContainer

    spans = [
        (s[0][axis], s[1][axis])
        for c in ax.containers
        if isinstance(c, ErrorbarContainer)
        for s in c.lines[2][0].get_segments()
    ]
    return np.array(spans).reshape(-1, 2)


def test_drop_off_plot_draws_each_exit_rate_with_its_interval():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.close("all")
    d = journey.drop_off(log_from_paths(PATHS), goal="buy")
    _, given = plt.subplots()
    assert d.plot(ax=given) is given
    table = d.to_frame()  # drawn in order, the largest loss at the top
    assert errorbar_spans(given, 0) == pytest.approx(table[["ci_low", "ci_high"]].to_numpy())
    assert [t.get_text() for t in given.get_yticklabels()] == ["cart", "home"]  # from the top
    assert [t.get_text() for t in d.plot(top=1).get_yticklabels()] == ["cart"]
    with pytest.raises(JourneyError, match=r"top=\.\.\. must be a whole number"):
        d.plot(top=0)
    with pytest.raises(JourneyError, match=r"journey\.drop_off\(\.\.\.\), not a DataFrame"):
        journey.plot_drop_off(d.to_frame())
    plt.close("all")


def test_drop_off_plot_labels_segments():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.close("all")
    paths = [["home", "pay", "buy"], ["home", "pay"]] * 3
    df = (
        log_from_paths(paths)
        .frame.rename(columns={"user": "user_id", "time": "timestamp"})
        .assign(device=lambda f: np.where(f["user_id"].str[1:].astype(int) % 2, "mobile", "desktop"))
    )
    ax = journey.drop_off(df, goal="buy", by="device").plot()
    assert {t.get_text() for t in ax.get_yticklabels()} == {"pay", "home"}  # one bar per segment at each
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["desktop", "mobile"]
    plt.close("all")


SPLIT = [["ad", "cart", "buy"]] * 30 + [["ad", "faq"]] * 25 + [["ad", "cart"]] * 5 + [["email", "faq"]] * 10


def newcombe_by_hand(k1, n1, k2, n2, level):
    """Newcombe (1998) method 10 from scipy's Wilson bounds of each share."""
    a, b = binomtest(k1, n1).proportion_ci(level, "wilson"), binomtest(k2, n2).proportion_ci(level, "wilson")
    p1, p2 = k1 / n1, k2 / n2
    return (p1 - p2 - np.hypot(p1 - a.low, b.high - p2), p1 - p2 + np.hypot(a.high - p1, p2 - b.low))


def test_compare_paths_columns_intervals_and_headline():
    result = journey.compare_paths(log_from_paths(SPLIT), goal="buy")
    c = result.to_frame()
    assert list(c.columns) == [
        "source",
        "target",
        "converted_share",
        "converted_share_ci_low",
        "converted_share_ci_high",
        "other_share",
        "other_share_ci_low",
        "other_share_ci_high",
        "difference",
        "difference_ci_low",
        "difference_ci_high",
        "ratio",
        "p_value",
        "p_adjusted",
        "significant",
        "direction",
        "converted_journeys",
        "other_journeys",
        "n_converted",
        "n_other",
    ]
    row = c.set_index(["source", "target"]).loc[("ad", "cart")]
    other = binomtest(5, 40).proportion_ci(0.95, "wilson")
    assert (row["other_share_ci_low"], row["other_share_ci_high"]) == pytest.approx((other.low, other.high))
    assert (row["difference_ci_low"], row["difference_ci_high"]) == pytest.approx(newcombe_by_hand(30, 30, 5, 40, 0.95))
    assert result.goal == ("buy",) and result.unit == "user" and result.level == 0.95
    assert repr(result).startswith("PathComparison: 30 converting and 40 other journeys (one per user); ")


def test_compare_paths_confidence_interval_is_newcombe_at_any_level():
    result = journey.compare_paths(log_from_paths(SPLIT), goal="buy", level=0.9)
    c = result.to_frame()
    low, high = result.confidence_interval()
    assert low == pytest.approx(c["difference_ci_low"]) and high == pytest.approx(c["difference_ci_high"])
    at = c.index[(c["source"] == "ad") & (c["target"] == "faq")][0]
    low, high = result.confidence_interval(level=0.99)
    assert (low[at], high[at]) == pytest.approx(newcombe_by_hand(0, 30, 25, 40, 0.99))
    assert c["significant"].equals(c["p_adjusted"] < 0.1)
    with pytest.raises(JourneyError, match="newcombe"):
        result.confidence_interval(method="wald")


def test_compare_paths_by_session():
    rows = [
        ("a", "10:00", "ad"),
        ("a", "10:01", "cart"),
        ("a", "12:00", "ad"),
        ("a", "12:01", "buy"),
        ("b", "10:00", "ad"),
        ("b", "10:05", "faq"),
    ]
    df = pd.DataFrame(rows, columns=["user_id", "timestamp", "event"]).assign(
        timestamp=lambda f: pd.to_datetime("2025-01-01 " + f["timestamp"], utc=True)
    )
    counts = ["converted_journeys", "other_journeys", "n_converted", "n_other"]
    by_user = journey.compare_paths(df, goal="buy").to_frame().set_index(["source", "target"])
    assert by_user.loc[("ad", "cart"), counts].tolist() == [1, 0, 1, 1]
    sessions = journey.compare_paths(df, goal="buy", unit="session")
    # a's first session (ad -> cart) does not convert; its second (ad -> buy) does.
    table = sessions.to_frame().set_index(["source", "target"])
    assert table.loc[("ad", "cart"), counts].tolist() == [0, 1, 1, 2]
    assert ("cart", "ad") not in table.index and sessions.unit == "session"


def test_compare_paths_plot_is_a_forest_of_the_largest_differences():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.close("all")
    result = journey.compare_paths(log_from_paths(SPLIT), goal="buy")
    c = result.to_frame()
    _, given = plt.subplots()
    assert result.plot(ax=given, top=3) is given
    largest = c.iloc[np.argsort(-c["difference"].abs().to_numpy(), kind="stable")[:3]]
    shown = [t.get_text() for t in given.get_yticklabels()][::-1]  # the largest is drawn at the top
    assert shown == [f"{s} → {t}" for s, t in zip(largest["source"], largest["target"])]
    spans = {tuple(np.round(s, 12)) for s in errorbar_spans(given, 0)}
    assert spans == {tuple(np.round(s, 12)) for s in largest[["difference_ci_low", "difference_ci_high"]].to_numpy()}
    assert len(result.plot(top=100).get_yticklabels()) == len(c)
    with pytest.raises(JourneyError, match=r"journey\.compare_paths\(\.\.\.\), not a DataFrame"):
        journey.plot_compare_paths(c)
    plt.close("all")
