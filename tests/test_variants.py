"""path_variants: exact distinct paths, counted and ranked deterministically."""

import pytest
from hypothesis import given

import journey
from journey.errors import JourneyError
from test_graph import event_logs, log_of


@pytest.fixture
def log():
    return log_of([
        ("a", "10:00:00", "home"), ("a", "10:00:10", "product"), ("a", "10:00:20", "product"), ("a", "10:01:00", "buy"),
        ("b", "10:00:00", "home"), ("b", "10:00:30", "product"), ("b", "10:02:00", "buy"),
        ("c", "10:00:00", "home"), ("c", "10:00:05", "product"),
        ("d", "10:00:00", "home"), ("d", "10:00:15", "product"),
    ])


def test_variants_are_counted_with_conversions_and_durations(log):
    v = journey.path_variants(log, goal="buy")
    assert v["sequence"].tolist() == [("home", "product"), ("home", "product", "buy"),
                                      ("home", "product", "product", "buy")]
    assert v["journeys"].tolist() == [2, 1, 1]
    assert v["share"].tolist() == [0.5, 0.25, 0.25]
    assert v["conversions"].tolist() == [0, 1, 1]
    assert v["median_seconds"].tolist() == [10.0, 120.0, 60.0]
    assert (v["ci_low"] <= v["conversion_rate"]).all() and (v["conversion_rate"] <= v["ci_high"]).all()


def test_collapsing_repeats_merges_product_product(log):
    v = journey.path_variants(log, goal="buy", collapse_repeats=True)
    assert v["sequence"].tolist() == [("home", "product"), ("home", "product", "buy")]
    assert v["journeys"].tolist() == [2, 2] and v["conversions"].tolist() == [0, 2]


def test_top_limits_rows_and_ties_are_ordered_by_sequence(log):
    v = journey.path_variants(log, top=2)
    assert len(v) == 2 and v["sequence"].iloc[1] == ("home", "product", "buy")
    assert "conversions" not in v.columns
    with pytest.raises(JourneyError, match="top"):
        journey.path_variants(log, top=0)
    with pytest.raises(JourneyError, match="top"):
        journey.path_variants(log, top=True)


@given(event_logs())
def test_variants_partition_the_journeys(log):
    v = journey.path_variants(log, top=None)
    assert v["journeys"].sum() == log.n_users
    assert v["share"].sum() == pytest.approx(1.0)
    assert v["sequence"].is_unique
    assert (v["journeys"].diff().dropna() <= 0).all()
    lengths = log.frame.groupby("user", sort=False).size()
    assert (v["steps"] * v["journeys"]).sum() == lengths.sum()
