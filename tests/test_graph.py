"""journey_graph: known graphs built by hand, and invariants that hold for any log."""

import statistics

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import journey
from journey import END, START
from journey.errors import JourneyError, UnknownEventError


def log_of(rows):
    """rows: (user, 'HH:MM:SS' on 2025-01-01 UTC or full ISO, event)."""
    return journey.read_events(
        pd.DataFrame(
            [(u, t if "T" in t else f"2025-01-01T{t}Z", e) for u, t, e in rows],
            columns=["user_id", "timestamp", "event"],
        )
    )


@pytest.fixture
def hand_log():
    return log_of(
        [
            ("u1", "10:00:00", "home"),
            ("u1", "10:00:10", "product"),
            ("u1", "10:00:40", "product"),  # self-loop
            ("u1", "10:01:00", "buy"),
            ("u1", "10:02:00", "home"),  # goal mid-journey
            ("u2", "09:00:00", "home"),
            ("u2", "09:00:20", "product"),
            ("u3", "08:00:00", "café ☕"),  # single event, unicode
            ("u4", "07:00:00", "home"),
            ("u4", "07:00:00", "product"),  # tie: input order
        ]
    )


def test_hand_built_log_gives_the_known_graph(hand_log):
    g = journey.journey_graph(hand_log, goal="buy")
    edges = {(a, b): (d["count"], d["journeys"]) for a, b, d in g.edges(data=True)}
    assert edges == {
        (START, "home"): (3, 3),
        (START, "café ☕"): (1, 1),
        ("home", "product"): (3, 3),
        ("product", "product"): (1, 1),
        ("product", "buy"): (1, 1),
        ("buy", "home"): (1, 1),
        ("home", END): (1, 1),
        ("product", END): (2, 2),
        ("café ☕", END): (1, 1),
    }
    home = g.nodes["home"]
    assert (home["visits"], home["journeys"], home["entries"], home["exits"], home["conversions"]) == (4, 3, 3, 1, 1)
    assert g.nodes["buy"]["kind"] == "goal" and g.nodes["home"]["kind"] == "touchpoint"
    assert g.graph["n_journeys"] == 4 and g.graph["n_events"] == 10 and g.graph["n_conversions"] == 1
    assert g.graph["goal"] == "buy"


def test_nodes_count_journeys_and_exits_as_drop_off_does():
    # a converts and then visits help (after the goal: not drop-off's); b leaves at cart; c converts.
    steps = [("a", "home"), ("a", "buy"), ("a", "help"), ("b", "home"), ("b", "cart"), ("c", "home"), ("c", "buy")]
    log = log_of([(user, f"10:00:0{i}", event) for i, (user, event) in enumerate(steps)])
    g = journey.journey_graph(log, goal="buy")
    got = {n: (g.nodes[n]["journeys_before_goal"], g.nodes[n]["exits_without_goal"]) for n in g.touchpoints()}
    assert got == {"home": (3, 0), "cart": (1, 1), "help": (0, 0), "buy": (2, 0)}
    assert (g.nodes["help"]["journeys"], g.nodes["help"]["exits"]) == (1, 1)  # the plain counts keep it
    table = journey.drop_off(log, goal="buy").to_frame().set_index("touchpoint")
    for n in ("home", "cart"):
        assert got[n] == tuple(table.loc[n, ["journeys", "exits"]])
    plain = journey.journey_graph(log)  # without a goal, nothing is cut: they are journeys and exits
    assert all(
        (d["journeys_before_goal"], d["exits_without_goal"]) == (d["journeys"], d["exits"])
        for _, d in plain.nodes(data=True)
    )


def test_median_seconds_and_shares(hand_log):
    g = journey.journey_graph(hand_log)
    # home -> product gaps: 10 s (u1), 20 s (u2), 0 s (u4 tie) -> median 10 s.
    assert g.edges["home", "product"]["median_seconds"] == 10.0
    assert g.edges["product", "product"]["median_seconds"] == 30.0
    assert np.isnan(g.edges[START, "home"]["median_seconds"])
    # product out-flow: product (1), buy (1), END (2).
    assert g.edges["product", END]["share"] == 0.5 and g.edges["product", "buy"]["share"] == 0.25


def test_a_loop_repeated_in_one_journey_counts_once_in_journeys():
    g = journey.journey_graph(log_of([("u", f"10:00:0{i}", "a") for i in range(4)]))
    assert g.edges["a", "a"]["count"] == 3 and g.edges["a", "a"]["journeys"] == 1
    assert g.nodes["a"]["visits"] == 4 and g.nodes["a"]["journeys"] == 1


def test_sessions_across_midnight_make_one_journey_and_a_long_gap_two():
    log = log_of(
        [
            ("u", "2025-01-01T23:50:00Z", "home"),
            ("u", "2025-01-02T00:10:00Z", "cart"),
            ("u", "2025-01-02T09:00:00Z", "home"),
        ]
    )
    g = journey.journey_graph(log, unit="session", gap="30min")
    assert g.graph["n_journeys"] == 2 and g.graph["unit"] == "session" and g.graph["gap"] == "30min"
    assert g.edges["home", "cart"]["count"] == 1 and not g.has_edge("cart", "home")
    assert g.edges["cart", END]["count"] == 1 and g.edges[START, "home"]["count"] == 2
    assert journey.journey_graph(log).edges["cart", "home"]["count"] == 1  # by user: one journey


def test_a_list_of_goals_converts_on_any_of_them(hand_log):
    g = journey.journey_graph(hand_log, goal=["buy", "café ☕"])
    assert g.graph["n_conversions"] == 2 and g.graph["goal"] == ["buy", "café ☕"]


def test_an_unknown_goal_is_an_error_with_a_suggestion(hand_log):
    with pytest.raises(UnknownEventError, match="'bye'.*Did you mean 'buy'"):
        journey.journey_graph(hand_log, goal="bye")


def test_a_dataframe_is_read_with_the_default_columns_and_other_input_is_refused():
    df = pd.DataFrame(
        {"user_id": ["a", "a"], "timestamp": ["2025-01-01T10:00Z", "2025-01-01T10:01Z"], "event": ["x", "y"]}
    )
    assert journey.journey_graph(df).edges["x", "y"]["count"] == 1
    with pytest.raises(JourneyError, match="EventLog"):
        journey.journey_graph([1, 2, 3])
    with pytest.raises(JourneyError, match="unit"):
        journey.journey_graph(df, unit="day")


def test_the_graph_is_a_networkx_digraph_with_a_summary_display(hand_log):
    g = journey.journey_graph(hand_log, goal="buy")
    assert isinstance(g, nx.DiGraph)
    assert nx.has_path(g, START, "buy")
    text, page = repr(g), g._repr_html_()
    assert "0x" not in text and "0x" not in page
    assert "4 journeys by user" in text and "goal 'buy': 25.0% converted (95% CI 4.6% to 69.9%, n = 4)" in text
    assert text.startswith("JourneyGraph: ") and str(g) == text
    edges = g.to_frame()
    assert edges.columns.tolist() == ["source", "target", "count", "journeys", "share", "median_seconds"]
    assert (edges["count"].diff().dropna() <= 0).all()
    rate = g.conversion_rate()
    assert (rate.k, rate.n) == (1, 4) and g.overall.confidence_interval() == g.confidence_interval()
    with pytest.raises(JourneyError, match="no goal"):
        journey.journey_graph(hand_log).conversion_rate()


def test_the_html_display_escapes_touchpoint_names():
    g = journey.journey_graph(log_of([("u", "10:00:00", "<b>x</b>"), ("u", "10:00:01", "a&b")]))
    page = g._repr_html_()
    assert "<b>x</b>" not in page and "<td>&lt;b&gt;x&lt;/b&gt;</td>" in page and "<td>a&amp;b</td>" in page


# --- invariants for any log -------------------------------------------------------------------------


@st.composite
def event_logs(draw):
    n = draw(st.integers(1, 60))
    users = draw(st.lists(st.sampled_from(["u1", "u2", "u3", "u4", "u5"]), min_size=n, max_size=n))
    events = draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=n, max_size=n))
    seconds = draw(st.lists(st.integers(0, 7200), min_size=n, max_size=n))
    times = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(seconds, unit="s")
    return journey.read_events(pd.DataFrame({"user_id": users, "timestamp": times, "event": events}))


def reference_dfg(log, by="user", gap="30min"):
    """Directly-follows counts, distinct journeys and median gaps, the slow obvious way."""
    frame = log.sessions(gap).frame if by == "session" else log.frame.assign(session=1)
    counts, owners, gaps = {}, {}, {}
    for j, (_, rows) in enumerate(frame.groupby(["user", "session"], sort=False)):
        path = [START, *rows["event"].astype(str), END]
        times = [None, *rows["time"], None]
        for i, edge in enumerate(zip(path, path[1:])):
            counts[edge] = counts.get(edge, 0) + 1
            owners.setdefault(edge, set()).add(j)
            if times[i] is not None and times[i + 1] is not None:
                gaps.setdefault(edge, []).append((times[i + 1] - times[i]).total_seconds())
    return counts, {e: len(o) for e, o in owners.items()}, {e: statistics.median(g) for e, g in gaps.items()}


@given(event_logs(), st.sampled_from(["user", "session"]))
def test_edges_equal_the_directly_follows_relation_computed_naively(log, by):
    g = journey.journey_graph(log, unit=by, gap="30min")
    counts, journeys, medians = reference_dfg(log, by)
    assert {(a, b): d["count"] for a, b, d in g.edges(data=True)} == counts
    assert {(a, b): d["journeys"] for a, b, d in g.edges(data=True)} == journeys
    for edge, median in medians.items():
        assert g.edges[edge]["median_seconds"] == pytest.approx(median)


@given(event_logs(), st.sampled_from(["user", "session"]), st.data())
def test_flow_is_conserved_and_counts_are_consistent(log, by, data):
    goal = data.draw(
        st.one_of(st.none(), st.sampled_from(log.events), st.lists(st.sampled_from(log.events), min_size=1))
    )
    g = journey.journey_graph(log, unit=by, goal=goal)
    n = g.graph["n_journeys"]
    for node in g.touchpoints():
        inflow = sum(d["count"] for *_, d in g.in_edges(node, data=True))
        outflow = sum(d["count"] for *_, d in g.out_edges(node, data=True))
        assert inflow == g.nodes[node]["visits"] == outflow
        assert g.nodes[node]["conversions"] <= g.nodes[node]["journeys"] <= g.nodes[node]["visits"]
        assert g.edges.get((START, node), {"count": 0})["count"] == g.nodes[node]["entries"]
        assert g.edges.get((node, END), {"count": 0})["count"] == g.nodes[node]["exits"]
    assert sum(d["count"] for *_, d in g.out_edges(START, data=True)) == n
    assert sum(d["count"] for *_, d in g.in_edges(END, data=True)) == n
    assert sum(g.nodes[t]["visits"] for t in g.touchpoints()) == g.graph["n_events"] == len(log)
    for *_, d in g.edges(data=True):
        assert 1 <= d["journeys"] <= d["count"]
    for node in [START, *g.touchpoints()]:
        assert sum(d["share"] for *_, d in g.out_edges(node, data=True)) == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(event_logs(), st.sampled_from(["user", "session"]), st.data())
def test_touchpoint_journeys_from_bit_words_equal_those_from_sorted_pairs(log, by, data):
    # Up to 63 touchpoints, each journey's visits are OR-ed into a word; beyond that (or forced here), the
    # distinct (journey, touchpoint) pairs are sorted. Both must give every node figure alike.
    import journey.analysis.graph as graph_module

    goal = data.draw(st.one_of(st.none(), st.lists(st.sampled_from(log.events), min_size=1, max_size=2)))
    words = journey.journey_graph(log, unit=by, goal=goal)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(graph_module, "_MASK_TOUCHPOINTS", 0)
        pairs = journey.journey_graph(log, unit=by, goal=goal)
    assert dict(words.nodes(data=True)) == dict(pairs.nodes(data=True))
    assert dict(words.graph) == dict(pairs.graph)


def test_numeric_event_names_can_be_named_as_numbers():
    df = pd.DataFrame(
        {
            "user_id": ["a"] * 3,
            "event": [1, 2, 3],
            "timestamp": pd.date_range("2025-01-01", periods=3, freq="min", tz="UTC"),
        }
    )
    assert journey.journey_graph(df, goal=3).graph["n_conversions"] == 1
    assert journey.funnel(df, [2, 3]).to_frame()["entered"].tolist() == [1, 1]
    assert journey.funnel(df, (s for s in ["1", "2"])).to_frame()["entered"].tolist() == [1, 1]


@pytest.mark.parametrize("goal", [None, "purchase"])
@pytest.mark.parametrize("shape", ["sample", "wide"])
def test_a_large_log_summarised_in_two_halves_gives_the_graph_and_the_pruning_of_one_pass(monkeypatch, goal, shape):
    import journey.io.events as events_module

    if shape == "sample":
        log = journey.read_events(journey.datasets.load_sample().events)
    else:  # 3,000 pages: each half sees edges the other does not, so the halves' edge codes must be merged
        rng = np.random.default_rng(4)
        n = 20_000
        log = journey.read_events(
            pd.DataFrame(
                {
                    "user_id": rng.integers(0, 2_000, n).astype(str),
                    "event": np.where(
                        rng.random(n) < 0.05, "purchase", np.char.add("/p/", rng.integers(0, 3_000, n).astype(str))
                    ),
                    "timestamp": pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 10**6, n), "s"),
                }
            )
        )
    whole = journey.journey_graph(log, goal=goal)
    monkeypatch.setattr(events_module, "PARALLEL_ROWS", 1)  # every log is "large": two halves on two threads
    halves = journey.journey_graph(log, goal=goal)
    assert dict(halves.graph) == dict(whole.graph)
    assert dict(halves.nodes(data=True)) == dict(whole.nodes(data=True))
    assert list(halves.edges) == list(whole.edges)  # the same edges in the same order
    for a, b, d in whole.edges(data=True):
        assert halves.edges[a, b] == pytest.approx(d, nan_ok=True)
    for options in ({"min_share": 0.05}, {"top_edges": 30}):
        cut, cut_halves = journey.prune(whole, **options), journey.prune(halves, **options)
        assert list(cut_halves.edges) == list(cut.edges)
        assert cut_halves.graph == pytest.approx(cut.graph, nan_ok=True)
