"""prune: simplification that never strands a touchpoint and says how much it kept."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_graph import event_logs, log_of

import journey
from journey import END, START
from journey.errors import JourneyError, UnknownEventError


@pytest.fixture
def shop():
    rows = []
    for i in range(6):
        rows += [(f"b{i}", "10:00:00", "home"), (f"b{i}", "10:01:00", "cart"), (f"b{i}", "10:02:00", "buy")]
    rows += [
        ("f1", "10:00:00", "home"),
        ("f1", "10:01:00", "faq"),
        ("f1", "10:02:00", "cart"),
        ("f1", "10:03:00", "buy"),
        ("w1", "10:00:00", "home"),
        ("w1", "10:01:00", "wishlist"),
    ]
    return journey.journey_graph(log_of(rows), goal="buy")


def connected(g):
    return all(nx.has_path(g, START, n) and nx.has_path(g, n, END) for n in g.nodes)


def test_min_count_drops_rare_touchpoints_and_reports_what_was_kept(shop):
    small = journey.prune(shop, min_count=2)
    assert sorted(small.touchpoints()) == ["buy", "cart", "home"]
    assert connected(small)
    # faq and wishlist (one visit each) go; f1 (home, faq, cart, buy) and w1 (home, wishlist) lose an
    # edge, so only the six b-journeys survive whole.
    assert small.graph["kept_journey_share"] == pytest.approx(6 / 8)
    kept = sum(d["count"] for *_, d in small.edges(data=True))
    assert small.graph["kept_transition_share"] == pytest.approx(kept / shop.graph["n_transitions"])


def test_goal_and_keep_are_never_dropped_and_stay_connected(shop):
    small = journey.prune(shop, min_count=100, keep=["wishlist"])
    assert {"buy", "wishlist"} <= set(small.touchpoints())
    assert connected(small)


def test_top_edges_keeps_the_most_frequent_and_repairs_connectivity(shop):
    small = journey.prune(shop, top_edges=1)
    assert connected(small)
    assert small.has_edge(START, "home")  # the most frequent edge (count 8)


def test_attributes_are_those_of_the_full_graph(shop):
    small = journey.prune(shop, min_share=0.5)
    for a, b, d in small.edges(data=True):
        assert d == shop.edges[a, b]


def test_bad_arguments_are_refused(shop):
    with pytest.raises(JourneyError, match="min_share"):
        journey.prune(shop, min_share=2)
    with pytest.raises(JourneyError, match="min_count"):
        journey.prune(shop, min_count=-1)
    with pytest.raises(UnknownEventError, match="keep"):
        journey.prune(shop, keep=["nope"])
    with pytest.raises(JourneyError, match="START"):
        journey.prune(nx.DiGraph([("a", "b")]))


def surviving_share_by_hand(log, pruned):
    whole = 0
    for _, rows in log.frame.groupby("user", sort=False):
        path = [START, *rows["event"].astype(str), END]
        whole += all(pruned.has_edge(a, b) for a, b in zip(path, path[1:]))
    return whole / log.n_users


@given(
    event_logs(),
    st.one_of(st.none(), st.integers(0, 6)),
    st.one_of(st.none(), st.floats(0, 1)),
    st.one_of(st.none(), st.integers(0, 10)),
    st.data(),
)
def test_any_pruning_keeps_goal_and_keep_connected_and_counts_survivors_exactly(log, min_count, min_share, top, data):
    goal = data.draw(st.sampled_from(log.events))
    keep = data.draw(st.lists(st.sampled_from(log.events), max_size=2))
    g = journey.journey_graph(log, goal=goal)
    small = journey.prune(g, min_count=min_count, min_share=min_share, top_edges=top, keep=keep)
    assert connected(small)
    assert {goal, *keep} <= set(small.nodes)
    assert 0 <= small.graph["kept_transition_share"] <= 1
    assert small.graph["kept_journey_share"] == pytest.approx(surviving_share_by_hand(log, small))
    if min_count is None and min_share is None and top is None:
        assert set(small.edges) == set(g.edges)


class CountingGraph(journey.JourneyGraph):
    """A journey graph that counts how often prune asks for a node's neighbours."""

    asked = 0

    def successors(self, n):
        CountingGraph.asked += 1
        return super().successors(n)

    def predecessors(self, n):
        CountingGraph.asked += 1
        return super().predecessors(n)


def test_reconnecting_thousands_of_cut_off_touchpoints_looks_at_each_node_once_per_direction():
    # 2,000 pages each reached from home by one journey: every home -> page edge has a share of 1/2,000, so
    # min_share drops all of them and each page must be put back. Rescanning the reached set after every
    # edge put back took 2,000 x 2,000 neighbour lists (30 s); growing it with a heap, one per node and pass.
    n = 2000
    t = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(np.tile([0, 60], n), unit="s")
    log = pd.DataFrame(
        {
            "user_id": np.repeat([f"u{i}" for i in range(n)], 2),
            "timestamp": t,
            "event": np.array([["home", f"page{i:04d}"] for i in range(n)]).ravel(),
        }
    )
    graph = CountingGraph(journey.journey_graph(log))
    CountingGraph.asked = 0
    small = journey.prune(graph, min_share=0.1)
    assert set(small.edges) == set(graph.edges) and connected(small)
    assert CountingGraph.asked <= 2 * graph.number_of_nodes()
