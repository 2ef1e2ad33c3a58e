"""markov: exact absorbing-chain answers, checked by hand, by brute force and against a planted chain."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import journey
from journey import END, START
from journey.errors import JourneyError


def log_from_paths(paths, start="2025-01-01"):
    rows = [(f"u{i:05d}", e) for i, p in enumerate(paths) for e in p]
    return journey.read_events(pd.DataFrame(rows, columns=["user_id", "event"]).assign(
        timestamp=pd.date_range(start, periods=len(rows), freq="s", tz="UTC")))


HAND = [["ad", "buy"], ["ad", "cart", "buy"], ["ad"], ["email", "cart"]]


def test_hand_computed_chain():
    m = journey.markov(log_from_paths(HAND), goal="buy")
    # ad -> buy 1/3, -> cart 1/3, -> exit 1/3; cart -> buy 1/2, -> exit 1/2.
    assert m.conversion_probability["cart"] == pytest.approx(1 / 2)
    assert m.conversion_probability["ad"] == pytest.approx(1 / 3 + 1 / 3 * 1 / 2)
    assert m.overall_conversion == pytest.approx(0.5)
    # Without ad only START -> email (1/4) -> cart -> buy (1/2) remains: 1/8, a drop of 3/4.
    assert m.removal_effect["ad"] == pytest.approx(0.75)
    assert m.removal_effect["cart"] == pytest.approx(1 - (3 / 4 * 1 / 3) / 0.5)
    assert m.expected_steps["cart"] == pytest.approx(1.0)
    assert m.expected_steps["ad"] == pytest.approx(1 + 1 / 3)
    assert m.transition_matrix.loc["ad", "buy"] == pytest.approx(1 / 3)
    assert m.transition_matrix.loc["buy", "buy"] == 1.0 and m.transition_matrix.loc[END, END] == 1.0
    assert m.attribution.sum() == pytest.approx(1.0)


def test_overall_conversion_equals_the_observed_share_exactly():
    log = journey.read_events("data/events.csv.gz")
    for by in ("user", "session"):
        m = journey.markov(log, goal="purchase", by=by)
        g = journey.journey_graph(log, goal="purchase", by=by)
        assert m.overall_conversion == pytest.approx(g.graph["n_conversions"] / g.graph["n_journeys"], abs=1e-12)


def test_journeys_are_cut_at_their_first_conversion():
    after = journey.markov(log_from_paths([["ad", "buy", "ad", "ad"], ["ad"]]), goal="buy")
    plain = journey.markov(log_from_paths([["ad", "buy"], ["ad"]]), goal="buy")
    assert after.conversion_probability["ad"] == plain.conversion_probability["ad"] == 0.5


def brute_force_removal(paths, goal, touchpoint):
    """Remove the touchpoint from the chain (its in-flow to exit), rebuild P and solve with networkx-free algebra."""
    m = journey.markov(log_from_paths(paths), goal=goal)
    p = m.transition_matrix.copy()
    states = [s for s in p.index if s not in (goal, END)]
    p[END] += p[touchpoint]
    p[touchpoint] = 0.0
    p.loc[touchpoint] = 0.0
    p.loc[touchpoint, END] = 1.0
    q = p.loc[states, states].to_numpy()
    r = p.loc[states, goal].to_numpy()
    b = np.linalg.solve(np.eye(len(states)) - q, r)
    return 1 - b[states.index(START)] / m.overall_conversion


@pytest.mark.parametrize("seed", range(5))
def test_removal_effects_agree_with_brute_force_on_small_random_chains(seed):
    rng = np.random.default_rng(seed)
    touchpoints = ["a", "b", "c", "d"]
    paths = [list(rng.choice(touchpoints, size=rng.integers(1, 6))) + (["buy"] if rng.random() < 0.4 else [])
             for _ in range(60)]
    m = journey.markov(log_from_paths(paths), goal="buy")
    for t in m.touchpoints:
        assert m.removal_effect[t] == pytest.approx(max(0.0, brute_force_removal(paths, "buy", t)), abs=1e-12)


# --- planted truth -----------------------------------------------------------------------------------

TRUE_CHAIN = {  # touchpoint -> [(next, probability)]; "buy" converts, None exits
    START: [("ad", 0.6), ("search", 0.4)],
    "ad": [("product", 0.5), ("ad", 0.1), (None, 0.4)],
    "search": [("product", 0.7), (None, 0.3)],
    "product": [("cart", 0.4), ("search", 0.1), (None, 0.5)],
    "cart": [("buy", 0.6), ("product", 0.2), (None, 0.2)],
}


def simulate_chain(n, seed):
    rng = np.random.default_rng(seed)
    paths = []
    for _ in range(n):
        here, path = START, []
        while True:
            options = TRUE_CHAIN[here]
            nxt = options[rng.choice(len(options), p=[p for _, p in options])][0]
            if nxt is None:
                break
            path.append(nxt)
            if nxt == "buy":
                break
            here = nxt
        if path:
            paths.append(path)
    return paths


def analytic(removed=None):
    states = [START, "ad", "search", "product", "cart"]
    q = np.zeros((5, 5))
    r = np.zeros(5)
    for i, s in enumerate(states):
        for nxt, p in TRUE_CHAIN[s]:
            if nxt == "buy":
                r[i] += p
            elif nxt is not None and nxt != removed:
                q[i, states.index(nxt)] += p
    if removed:
        q[states.index(removed)] = 0
        r[states.index(removed)] = 0
    return dict(zip(states, np.linalg.solve(np.eye(5) - q, r)))


def test_a_planted_chain_is_recovered_within_bootstrap_intervals():
    paths = simulate_chain(6000, seed=11)
    # Journeys that exit before their first touchpoint leave no events: condition the truth on starting.
    m = journey.markov(log_from_paths(paths), goal="buy")
    boot = m.bootstrap(n_boot=300, seed=3)
    truth = analytic()
    for t in ["ad", "search", "product", "cart"]:
        assert boot.loc[t, "conversion_low"] <= truth[t] <= boot.loc[t, "conversion_high"], t
        expected_removal = 1 - analytic(removed=t)[START] / truth[START]
        assert boot.loc[t, "removal_low"] <= expected_removal <= boot.loc[t, "removal_high"], t


def test_bootstrap_is_identical_for_the_same_seed_and_brackets_the_estimate():
    m = journey.markov(log_from_paths(simulate_chain(800, seed=2)), goal="buy")
    a, b = m.bootstrap(n_boot=50, seed=7), m.bootstrap(n_boot=50, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(m.bootstrap(n_boot=50, seed=8))
    assert (a["conversion_low"] <= a["conversion_high"]).all() and (a["replicates"] == 50).all()


# --- degenerate chains and other input ---------------------------------------------------------------

def test_a_goal_never_reached_is_a_clear_error():
    # From a log a goal always occurs (an absent one is refused as a typo); a graph can hold a goal no path reaches.
    g = nx.DiGraph()
    g.add_edge(START, "a", count=3)
    g.add_edge("a", END, count=3)
    g.add_node("buy")
    with pytest.raises(JourneyError, match="no journey reaches the goal"):
        journey.markov(g, goal="buy")


def test_a_touchpoint_that_never_leaves_is_a_clear_error():
    g = nx.DiGraph()
    g.add_edge(START, "a", count=2)
    g.add_edge("a", "trap", count=1)
    g.add_edge("trap", "trap", count=5)
    g.add_edge("a", "buy", count=1)
    g.add_edge("buy", END, count=1)
    g.add_node(END)
    with pytest.raises(JourneyError, match="'trap'"):
        journey.markov(g, goal="buy")


def test_from_a_graph_first_order_only_and_no_bootstrap():
    log = log_from_paths(HAND)
    m = journey.markov(journey.journey_graph(log, goal="buy"), goal="buy")
    assert m.conversion_probability["ad"] == pytest.approx(0.5)
    with pytest.raises(JourneyError, match="bootstrap"):
        m.bootstrap(n_boot=5)
    with pytest.raises(JourneyError, match="order"):
        journey.markov(journey.journey_graph(log), goal="buy", order=2)
    with pytest.raises(JourneyError, match="order"):
        journey.markov(log, goal="buy", order=4)


def test_second_order_states_remember_the_previous_touchpoint():
    # After "ad", cart always converts; after "email", never: a first-order chain averages this away.
    paths = [["ad", "cart", "buy"]] * 10 + [["email", "cart"]] * 10
    m2 = journey.markov(log_from_paths(paths), goal="buy", order=2)
    assert m2.transition_matrix.loc["ad > cart", "buy"] == 1.0
    assert m2.transition_matrix.loc["email > cart", END] == 1.0
    assert m2.removal_effect["ad"] == 1.0 and m2.removal_effect["email"] == 0.0
    assert m2.overall_conversion == pytest.approx(0.5)


def test_reprs_show_figures_without_addresses():
    m = journey.markov(log_from_paths(HAND), goal="buy")
    text, page = repr(m), m._repr_html_()
    assert "overall conversion 50.0%" in text and "0x" not in text and "0x" not in page
    assert "np.float64" not in text


def test_journeys_going_straight_to_the_goal():
    m = journey.markov(log_from_paths([["buy"], ["buy"], ["ad"]]), goal="buy")
    assert m.overall_conversion == pytest.approx(2 / 3) and list(m.removal_effect.index) == ["ad"]
    only_goal = journey.markov(log_from_paths([["buy"]]), goal="buy")
    assert only_goal.overall_conversion == 1.0 and only_goal.removal_effect.empty
    assert repr(only_goal) == ("MarkovModel (first-order, goal 'buy', 1 journeys): overall conversion 100.0%\n"
                               "no touchpoints: every journey reaches the goal at its first event")
    assert "no touchpoints" in only_goal._repr_html_() and "<table>" not in only_goal._repr_html_()
