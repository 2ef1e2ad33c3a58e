"""path_variants: exact distinct paths, counted and ranked deterministically."""

import matplotlib
import pandas as pd
import pytest
from hypothesis import given
from scipy.stats import binomtest
from test_graph import event_logs, log_of

import journey
from journey.errors import JourneyError

matplotlib.use("Agg")


@pytest.fixture
def log():
    return log_of(
        [
            ("a", "10:00:00", "home"),
            ("a", "10:00:10", "product"),
            ("a", "10:00:20", "product"),
            ("a", "10:01:00", "buy"),
            ("b", "10:00:00", "home"),
            ("b", "10:00:30", "product"),
            ("b", "10:02:00", "buy"),
            ("c", "10:00:00", "home"),
            ("c", "10:00:05", "product"),
            ("d", "10:00:00", "home"),
            ("d", "10:00:15", "product"),
        ]
    )


def test_variants_are_counted_with_conversions_and_durations(log):
    result = journey.path_variants(log, goal="buy")
    assert isinstance(result, journey.PathVariants) and result.n_journeys == 4 and result.n_variants == 3
    v = result.to_frame()
    assert v["sequence"].tolist() == [
        ("home", "product"),
        ("home", "product", "buy"),
        ("home", "product", "product", "buy"),
    ]
    assert v["journeys"].tolist() == [2, 1, 1]
    assert v["share"].tolist() == [0.5, 0.25, 0.25]
    assert v["conversions"].tolist() == [0, 1, 1]
    assert v["median_seconds"].tolist() == [10.0, 120.0, 60.0]
    assert v["n"].tolist() == [4, 4, 4]
    # Every interval is the Wilson interval of its own counts: shares out of n, conversions out of journeys.
    for row in v.itertuples():
        share = binomtest(row.journeys, row.n).proportion_ci(method="wilson")
        conversion = binomtest(row.conversions, row.journeys).proportion_ci(method="wilson")
        assert (row.ci_low, row.ci_high) == pytest.approx((share.low, share.high))
        assert (row.conversion_ci_low, row.conversion_ci_high) == pytest.approx((conversion.low, conversion.high))


def test_intervals_at_another_level_or_method_are_recomputed_from_the_counts(log):
    result = journey.path_variants(log, goal="buy", level=0.9)
    low, high = result.confidence_interval()
    assert low.tolist() == pytest.approx(result.to_frame()["ci_low"].tolist())
    exact = result.confidence_interval(0.99, "exact", estimate="conversion_rate")
    reference = [binomtest(k, n).proportion_ci(0.99, method="exact") for k, n in [(0, 2), (1, 1), (1, 1)]]
    assert exact.low.tolist() == pytest.approx([r.low for r in reference])
    assert exact.high.tolist() == pytest.approx([r.high for r in reference])
    with pytest.raises(JourneyError, match="goal"):
        journey.path_variants(log).confidence_interval(estimate="conversion_rate")


def test_by_counts_variants_within_each_segment_with_shares_of_the_segment():
    log = journey.read_events(
        pd.DataFrame(
            {
                "user_id": ["a", "a", "b", "b", "c", "d"],
                "event": ["home", "buy", "home", "buy", "home", "home"],
                "timestamp": pd.date_range("2025-01-01", periods=6, freq="min", tz="UTC"),
                "platform": ["web", "web", "app", "app", "web", None],
            }
        )
    )
    v = journey.path_variants(log, by="platform", goal="buy").to_frame()
    assert v.columns[0] == "platform"
    assert v["platform"].tolist()[:3] == ["app", "web", "web"] and pd.isna(v["platform"].iloc[3])
    assert v["sequence"].tolist() == [("home", "buy"), ("home",), ("home", "buy"), ("home",)]
    assert v["n"].tolist() == [1, 2, 2, 1] and v["share"].tolist() == [1.0, 0.5, 0.5, 1.0]
    assert journey.path_variants(log, by="platform", top=1).to_frame()["sequence"].tolist() == [
        ("home", "buy"),
        ("home",),
        ("home",),
    ]
    with pytest.raises(JourneyError, match="'plattform'.*Did you mean 'platform'"):
        journey.path_variants(log, by="plattform")
    with pytest.raises(JourneyError, match="unit must be"):
        journey.path_variants(log, unit="platform")


def test_the_display_names_the_most_common_path_with_its_interval(log):
    result = journey.path_variants(log)
    assert repr(result).startswith(
        "PathVariants: 3 distinct paths of 4 journeys by user; the most common, "
        "home → product, is taken by 50.0% (95% CI 15.0% to 85.0%)"
    )
    assert "0x" not in repr(result) and "<table" in result._repr_html_()


def test_the_sankey_counts_every_variant_even_beyond_top(log):
    ax = journey.path_variants(log, top=1).plot(steps=3)
    assert ax.get_title() == "The first 3 steps of 4 journeys"
    labels = {t.get_text() for t in ax.texts}
    assert {"home (4)", "product (4)", "buy (1)", "ended (2)", "product (1)"} <= labels
    with pytest.raises(JourneyError, match="path_variants"):
        journey.plot_sankey(log)


def test_collapsing_repeats_merges_product_product(log):
    v = journey.path_variants(log, goal="buy", collapse_repeats=True).to_frame()
    assert v["sequence"].tolist() == [("home", "product"), ("home", "product", "buy")]
    assert v["journeys"].tolist() == [2, 2] and v["conversions"].tolist() == [0, 2]


def test_top_limits_rows_and_ties_are_ordered_by_sequence(log):
    v = journey.path_variants(log, top=2).to_frame()
    assert len(v) == 2 and v["sequence"].iloc[1] == ("home", "product", "buy")
    assert "conversions" not in v.columns
    with pytest.raises(JourneyError, match="top"):
        journey.path_variants(log, top=0)
    with pytest.raises(JourneyError, match="top"):
        journey.path_variants(log, top=True)


@given(event_logs())
def test_variants_partition_the_journeys(log):
    v = journey.path_variants(log, top=None).to_frame()
    assert v["journeys"].sum() == log.n_users
    assert v["share"].sum() == pytest.approx(1.0)
    assert v["sequence"].is_unique
    assert (v["journeys"].diff().dropna() <= 0).all()
    lengths = log.frame.groupby("user", sort=False).size()
    assert (v["steps"] * v["journeys"]).sum() == lengths.sum()
