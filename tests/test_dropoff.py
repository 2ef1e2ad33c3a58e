"""drop_off and compare_paths: hand answers, interval coverage, and the planted drop-off in the sample."""

import numpy as np
import pandas as pd
import pytest

import journey
from journey.errors import MissingColumnError
from journey.stats.significance import adjust_pvalues, independence_test
from test_markov import log_from_paths


def test_hand_computed_drop_off_and_expected_lost_conversions():
    paths = [["home", "cart", "buy"], ["home", "cart"], ["home", "cart"], ["home"], ["home", "cart", "buy", "home"]]
    d = journey.drop_off(log_from_paths(paths), goal="buy").set_index("touchpoint")
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


def test_every_journey_visiting_a_touchpoint_that_all_leave_gives_nan_loss():
    d = journey.drop_off(log_from_paths([["a"], ["a"], ["b", "buy"]]), goal="buy").set_index("touchpoint")
    assert np.isnan(d.loc["a", "expected_lost_conversions"]) and d.index[-1] == "a"


def test_wilson_exit_rate_intervals_cover_the_true_exit_probability():
    # 1,000 independent replicates of 150 journeys: a (exit 0.3) -> b (exit 0.5) -> buy.
    rng = np.random.default_rng(2024)
    rows = []
    for rep in range(1000):
        for j in range(150):
            path = ["a"] if rng.random() < 0.3 else (["a", "b"] if rng.random() < 0.5 else ["a", "b", "buy"])
            rows += [(f"r{rep}-{j}", e, rep) for e in path]
    df = pd.DataFrame(rows, columns=["user_id", "event", "rep"]).assign(
        timestamp=pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(np.arange(len(rows)), unit="s"))
    d = journey.drop_off(df, goal="buy", by="rep")
    for touchpoint, truth in [("a", 0.3), ("b", 0.5)]:
        rows = d[d["touchpoint"] == touchpoint]
        coverage = ((rows["ci_low"] <= truth) & (truth <= rows["ci_high"])).mean()
        assert len(rows) == 1000 and 0.93 <= coverage <= 0.97, (touchpoint, coverage)


def test_segments_get_tests_with_bh_adjustment():
    paths = [["home", "pay", "buy"]] * 40 + [["home", "pay"]] * 10 + [["home", "pay", "buy"]] * 20 + [["home", "pay"]] * 30
    log = journey.read_events(log_from_paths(paths).frame.rename(columns={"user": "user_id", "time": "timestamp"}).assign(
        device=lambda f: np.where(f["user_id"].str[1:].astype(int) < 50, "desktop", "mobile")))
    d = journey.drop_off(log, goal="buy", by="device")
    pay = d[d["touchpoint"] == "pay"].set_index("device")
    assert pay.loc["desktop", "exit_rate"] == 0.2 and pay.loc["mobile", "exit_rate"] == 0.6
    p, test = independence_test([[10, 40], [30, 20]])
    assert pay["p_value"].iloc[0] == pytest.approx(p) and pay["test"].iloc[0] == test == "chi-square"
    assert pay["significant"].all()
    assert np.isnan(d.loc[d["touchpoint"] == "home", "p_value"]).all()  # nobody exits at home: no test


def test_a_missing_segment_column_is_named():
    with pytest.raises(MissingColumnError, match="'plan'"):
        journey.drop_off(log_from_paths([["a", "buy"]]), goal="buy", by="plan")


def test_the_sample_recovers_the_planted_mobile_payment_drop_off():
    log = journey.read_events("data/events.csv.gz")
    d = journey.drop_off(log, goal="purchase", by="device")
    per_touchpoint = d.drop_duplicates("touchpoint").sort_values("p_value")
    assert per_touchpoint["touchpoint"].iloc[0] == "payment" and per_touchpoint["significant"].iloc[0]
    assert per_touchpoint["significant"].sum() <= 2  # payment and at most one other
    pay = d[d["touchpoint"] == "payment"].set_index("device")
    assert pay.loc["mobile", "ci_low"] > pay.loc["desktop", "ci_high"]


def test_compare_paths_on_a_known_split():
    paths = [["ad", "cart", "buy"]] * 30 + [["ad", "faq"]] * 25 + [["ad", "cart"]] * 5 + [["email", "faq"]] * 10
    c = journey.compare_paths(log_from_paths(paths), goal="buy").set_index(["source", "target"])
    row = c.loc[("ad", "cart")]
    assert (row["converted_journeys"], row["other_journeys"], row["n_converted"], row["n_other"]) == (30, 5, 30, 40)
    assert row["converted_share"] == 1.0 and row["other_share"] == 5 / 40 and row["direction"] == "more"
    assert row["ci_low"] <= row["difference"] <= row["ci_high"] and row["significant"]
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
    df = pd.DataFrame({"user_id": list("aabc"), "event": ["home", "buy", "home", "home"], "seg": list("xxyz"),
                       "timestamp": pd.date_range("2025-01-01", periods=4, freq="min", tz="UTC")})
    d = journey.drop_off(df, goal="buy", by="seg")
    assert d["test"].iloc[0] == "fisher" and 0 <= d["p_value"].iloc[0] <= 1
