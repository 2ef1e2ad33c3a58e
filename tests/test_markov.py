"""markov: exact absorbing-chain answers, checked by hand, by brute force and against a planted chain."""

import warnings
from collections import Counter, defaultdict

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import journey
from journey import END, START
from journey.errors import JourneyError


def log_from_paths(paths, start="2025-01-01"):
    rows = [(f"u{i:05d}", e) for i, p in enumerate(paths) for e in p]
    return journey.read_events(
        pd.DataFrame(rows, columns=["user_id", "event"]).assign(
            timestamp=pd.date_range(start, periods=len(rows), freq="s", tz="UTC")
        )
    )


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
    log = journey.read_events(journey.datasets.sample_path("events"))
    for by in ("user", "session"):
        m = journey.markov(log, goal="purchase", unit=by)
        g = journey.journey_graph(log, goal="purchase", unit=by)
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
    paths = [
        list(rng.choice(touchpoints, size=rng.integers(1, 6))) + (["buy"] if rng.random() < 0.4 else [])
        for _ in range(60)
    ]
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
    result = m.bootstrap(n_boot=300, seed=3)
    boot = result.to_frame().set_index("touchpoint")
    truth = analytic()
    for t in ["ad", "search", "product", "cart"]:
        assert boot.loc[t, "ci_low"] <= truth[t] <= boot.loc[t, "ci_high"], t
        expected_removal = 1 - analytic(removed=t)[START] / truth[START]
        assert boot.loc[t, "removal_ci_low"] <= expected_removal <= boot.loc[t, "removal_ci_high"], t
    assert result.overall_interval.low <= truth[START] <= result.overall_interval.high


def test_bootstrap_is_identical_for_the_same_seed_and_brackets_the_estimate():
    m = journey.markov(log_from_paths(simulate_chain(800, seed=2)), goal="buy")
    a, b = m.bootstrap(n_boot=50, seed=7), m.bootstrap(n_boot=50, seed=7)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert repr(a) == repr(b) and a.replicates == 50 and a.n_boot == 50
    assert not a.to_frame().equals(m.bootstrap(n_boot=50, seed=8).to_frame())
    frame = a.to_frame()
    assert (frame["ci_low"] <= frame["conversion_probability"]).all()
    assert (frame["conversion_probability"] <= frame["ci_high"]).all()
    low, high = a.confidence_interval(estimate="removal_effect")
    assert (low <= frame["removal_effect"]).all() and (frame["removal_effect"] <= high).all()
    with pytest.raises(JourneyError, match="level"):
        a.confidence_interval(0.9)


def test_bootstrap_reports_each_touchpoints_journeys_and_warns_below_20_naming_them():
    # ad: 10 journeys of ["ad", "buy"] + 10 of ["ad", "ad", "cart", "buy"] (counted once each) + 10 of ["ad"];
    # cart: those 10 + 10 of ["email", "cart"]; email: 10; help only after the goal: not a touchpoint at all.
    paths = (
        [["ad", "buy", "help"]] * 10
        + [["ad", "ad", "cart", "buy"]] * 10
        + [["ad"]] * 10
        + [["email", "cart"]] * 10
        + [["faq", "buy"]] * 3
    )
    m = journey.markov(log_from_paths(paths), goal="buy")
    with pytest.warns(journey.JourneyWarning) as caught:
        boot = m.bootstrap(n_boot=20, seed=1)
    frame = boot.to_frame().set_index("touchpoint")
    assert frame["journeys"].to_dict() == {"ad": 30, "cart": 20, "email": 10, "faq": 3}
    assert list(boot.to_frame().columns[:3]) == ["touchpoint", "journeys", "conversion_probability"]
    message = str(caught[0].message)
    assert "2 of 4 touchpoints have fewer than 20 journeys: 'email' (n = 10), 'faq' (n = 3)" in message
    assert "'ad'" not in message and "'cart'" not in message
    # The same n for a second-order chain: a journey visits a touchpoint whatever states it passes through.
    with pytest.warns(journey.JourneyWarning):
        second = journey.markov(log_from_paths(paths), goal="buy", order=2).bootstrap(n_boot=5, seed=1)
    assert second.to_frame().set_index("touchpoint")["journeys"].to_dict() == frame["journeys"].to_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every touchpoint visited by 20 journeys or more: no warning
        journey.markov(log_from_paths(paths[:40] + [["email", "cart"]] * 10), goal="buy").bootstrap(n_boot=5)


RARE = {"r1": 0.2, "r2": 0.4, "r3": 0.6, "r4": 0.8}  # conversion probability of each rarely visited touchpoint


def test_percentile_intervals_of_rarely_visited_touchpoints_fall_short_of_their_level_by_simulation():
    # 160 journeys: 90% start at "ad" (converts 30%), each rare touchpoint gets about 4. The touchpoints' true
    # conversion probabilities are known; how often do the 95% bootstrap intervals cover them?
    rng = np.random.default_rng(5)
    rare, common = [], []
    for run in range(20):
        first = rng.choice(["ad", *RARE], size=160, p=[0.9] + [0.025] * 4)
        converts = rng.random(160) < np.array([0.3 if f == "ad" else RARE[f] for f in first])
        m = journey.markov(log_from_paths([[f, "buy"] if c else [f] for f, c in zip(first, converts)]), goal="buy")
        with pytest.warns(journey.JourneyWarning, match="fewer than 20 journeys"):
            frame = m.bootstrap(n_boot=100, seed=run).to_frame().set_index("touchpoint")
        for name in frame.index:
            low, high, n = frame.loc[name, ["ci_low", "ci_high", "journeys"]]
            (common if name == "ad" else rare).append(low <= (0.3 if name == "ad" else RARE[name]) <= high)
            assert (n < 20) == (name != "ad")
    # About 0.6 for the rare ones (0.61 at n <= 5 in a larger simulation, 0.91 at 6-20, 0.95 above).
    assert np.mean(rare) < 0.7 and np.mean(common) >= 0.85, (np.mean(rare), np.mean(common))


def test_the_bootstrap_plot_draws_every_removal_effect_with_its_interval():
    import matplotlib

    matplotlib.use("Agg")
    m = journey.markov(log_from_paths(simulate_chain(400, seed=2)), goal="buy")
    boot = m.bootstrap(n_boot=30, seed=1)
    ax = boot.plot()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == boot.to_frame()["touchpoint"].tolist()  # the first row is drawn on top
    bars = ax.containers[-1]  # the errorbar container: one interval per touchpoint
    assert len(bars.lines[2][0].get_segments()) == len(labels)


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
    table = m.to_frame()
    assert table.columns.tolist() == ["touchpoint", "conversion_probability", "removal_effect", "attribution"]
    assert (table["removal_effect"].diff().dropna() <= 0).all()
    # The overall conversion's interval is the Wilson interval of the journeys that converted.
    assert m.overall.k == 2 and m.overall.n == 4
    assert m.confidence_interval() == pytest.approx((0.15003898915214947, 0.8499610108478506))


def test_journeys_going_straight_to_the_goal():
    m = journey.markov(log_from_paths([["buy"], ["buy"], ["ad"]]), goal="buy")
    assert m.overall_conversion == pytest.approx(2 / 3) and list(m.removal_effect.index) == ["ad"]
    only_goal = journey.markov(log_from_paths([["buy"]]), goal="buy")
    assert only_goal.overall_conversion == 1.0 and only_goal.removal_effect.empty
    assert repr(only_goal) == (
        "MarkovModel: first-order, goal 'buy', 1 journeys: overall conversion 100.0% "
        "(95% CI 20.7% to 100.0%); no touchpoints: every journey reaches the goal at its "
        "first event"
    )
    assert "no touchpoints" in only_goal._repr_html_() and "<table" not in only_goal._repr_html_()


# --- wide chains: the sparse solver against direct solves with the touchpoint removed ----------------


def wide_paths(n_touchpoints, n_journeys, links, seed):
    """Seeded journeys over ``p0000, p0001, ...`` as numpy arrays: event codes, journey of each row, and
    whether each journey converts (its last event is then ``buy``). With ``links`` a journey walks 1-3
    touchpoints ahead (a sparse chain); otherwise each step is uniform over all touchpoints.
    """
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 12, n_journeys)
    journey_of = np.repeat(np.arange(n_journeys), lengths)
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    if links:
        steps = rng.integers(1, 4, len(journey_of))
        steps[starts] = rng.integers(0, n_touchpoints, n_journeys)
        walked = np.cumsum(steps)
        codes = (walked - np.repeat(walked[starts] - steps[starts], lengths)) % n_touchpoints
    else:
        codes = rng.integers(0, n_touchpoints, len(journey_of))
    return codes, journey_of, rng.random(n_journeys) < 0.3


def wide_log(codes, journey_of, converts):
    names = np.array([f"p{i:04d}" for i in range(codes.max() + 1)] + ["buy"])
    ends = np.flatnonzero(np.r_[journey_of[1:] != journey_of[:-1], True])
    events = np.insert(names[codes], ends[converts] + 1, "buy")
    users = np.insert(journey_of, ends[converts] + 1, np.flatnonzero(converts))
    return journey.read_events(
        pd.DataFrame(
            {
                "user_id": pd.Series(users).map("u{:06d}".format),
                "event": events,
                "timestamp": pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(np.arange(len(users)), unit="s"),
            }
        )
    )


def direct_conversion(codes, journey_of, converts, removed=None, links=True):
    """Conversion from START, counted from the rows on its own and solved directly (scipy's spsolve, or
    LAPACK's dense solve for uniform traffic, ``links=False``); with ``removed``, every transition into that
    touchpoint goes to exit instead."""
    from scipy.sparse import csr_matrix, diags, identity
    from scipy.sparse.linalg import spsolve

    t = codes.max() + 2  # state 0 is START, touchpoint c is state c + 1
    first = np.r_[True, journey_of[1:] != journey_of[:-1]]
    last = np.r_[first[1:], True]
    source = np.where(first, 0, np.r_[0, codes[:-1] + 1])
    counts = csr_matrix((np.ones(len(codes)), (source, codes + 1)), shape=(t, t))
    total = np.asarray(counts.sum(axis=1)).ravel() + np.bincount(codes[last] + 1, minlength=t)  # + goal or exit
    share = diags(np.divide(1.0, total, out=np.zeros(t), where=total > 0))
    keep = np.ones(t)
    if removed is not None:
        keep[removed + 1] = 0.0
    q = share @ counts @ diags(keep)
    r = share @ np.bincount(codes[last][converts] + 1, minlength=t)
    system = (identity(t) - q).tocsc()
    if not links:  # uniform traffic: sparse LU fills in, and LAPACK's dense solve is many times faster
        return np.linalg.solve(system.toarray(), r)[0]
    return spsolve(system, r)[0]


@pytest.mark.parametrize("links, route", [(False, "natural"), (True, "natural"), (True, "dense")])
def test_wide_chain_removal_effects_equal_direct_solves(links, route, monkeypatch):
    import journey.analysis.markov as markov_model

    if route == "dense":  # the sparse chain again, through the dense-factor route it does not pick itself
        monkeypatch.setattr(markov_model, "_DENSE_FILL", 0.0)
        monkeypatch.setattr(markov_model, "_DENSE_MIN", 0)
    n = 3000 if links else 2000
    codes, journey_of, converts = wide_paths(n, 30_000, links, seed=5)
    m = journey.markov(wide_log(codes, journey_of, converts), goal="buy")
    assert len(m.touchpoints) == n and "transition_matrix" not in vars(m)  # never built unless asked
    # Each case runs the route it is named for: uniform traffic fills the factors in, links keep them sparse.
    lu = markov_model._Factorised(markov_model._probabilities(m._chain.counts)).lu
    filled = lu.nnz >= max(markov_model._DENSE_MIN, markov_model._DENSE_FILL * lu.shape[0] ** 2)
    assert filled == (not links or route == "dense")
    base = direct_conversion(codes, journey_of, converts, links=links)
    assert m.overall_conversion == pytest.approx(base, abs=1e-12) == converts.mean()
    sample = np.random.default_rng(1).choice(n, 20, replace=False)
    effects = m.removal_effect[[f"p{i:04d}" for i in sample]].to_numpy()
    expected = [1 - direct_conversion(codes, journey_of, converts, removed=i, links=links) / base for i in sample]
    np.testing.assert_allclose(effects, np.clip(expected, 0, 1), rtol=0, atol=1e-9)
    assert effects.max() > 0.001  # the sample holds touchpoints that matter, not only zeros


# --- orders 2 and 3 against a plain-Python chain -----------------------------------------------------


def brute_force_chain(paths, goal, order):
    """Transition counts of the order-k chain, in plain Python: a state is the tuple of the last k
    touchpoints (START-padded); journeys stop at their first goal."""
    start = (START,) * order
    counts = defaultdict(Counter)
    for path in paths:
        state = start
        for event in path:
            if event == goal:
                counts[state][goal] += 1
                break
            counts[state][(state + (event,))[-order:]] += 1
            state = (state + (event,))[-order:]
        else:
            counts[state][END] += 1
    return start, counts


def brute_force_solve(start, counts, goal, removed=None):
    """Conversion probability and expected steps of every state, by dense numpy algebra; with
    ``removed``, the states holding that touchpoint are removed (their in-flow goes to exit)."""
    states = [start, *sorted(set(counts) - {start})]
    index = {s: i for i, s in enumerate(states)}
    q, r = np.zeros((len(states), len(states))), np.zeros(len(states))
    for s, out in counts.items():
        total = sum(out.values())
        for nxt, n in out.items():
            if nxt == goal:
                r[index[s]] += n / total
            elif nxt != END and removed not in nxt:
                q[index[s], index[nxt]] += n / total
    a = np.eye(len(states)) - q
    return dict(zip(states, np.linalg.solve(a, r))), dict(zip(states, np.linalg.solve(a, np.ones(len(states)))))


def small_random_paths(seed, n=80):
    """Short journeys over four touchpoints; some convert at the end, some in the middle and go on."""
    rng = np.random.default_rng(seed)
    paths = []
    for _ in range(n):
        path = list(rng.choice(["a", "b", "c", "d"], size=rng.integers(1, 7)))
        if rng.random() < 0.15:
            path.insert(int(rng.integers(0, len(path))), "buy")
        paths.append(path + (["buy"] if rng.random() < 0.35 else []))
    return paths


@pytest.mark.parametrize("order", [2, 3])
@pytest.mark.parametrize("seed", range(4))
def test_higher_orders_agree_with_brute_force_on_small_random_logs(order, seed):
    paths = small_random_paths(seed)
    m = journey.markov(log_from_paths(paths), goal="buy", order=order)
    start, counts = brute_force_chain(paths, "buy", order)
    conversion, steps = brute_force_solve(start, counts, "buy")
    assert m.overall_conversion == pytest.approx(conversion[start], abs=1e-12)
    for state, value in steps.items():
        label = START if state == start else " > ".join(state)
        assert m.expected_steps[label] == pytest.approx(value, abs=1e-10)
    visits = {s: sum(out.values()) for s, out in counts.items()}
    for t in ["a", "b", "c", "d"]:
        ending = [s for s in counts if s[-1] == t]
        weighted = sum(conversion[s] * visits[s] for s in ending) / sum(visits[s] for s in ending)
        assert m.conversion_probability[t] == pytest.approx(weighted, abs=1e-12)
        without = brute_force_solve(start, counts, "buy", removed=t)[0][start]
        assert m.removal_effect[t] == pytest.approx(max(0.0, 1 - without / conversion[start]), abs=1e-12)
    assert len(m.transition_matrix) == len(counts) + 2  # the states, the goal and exit


@settings(max_examples=60)
@given(
    st.lists(st.lists(st.sampled_from(["a", "b", "c", "buy"]), min_size=1, max_size=6), min_size=1, max_size=25).filter(
        lambda paths: any("buy" in p for p in paths)
    )
)
def test_first_order_overall_conversion_is_the_observed_share_of_converting_journeys(paths):
    m = journey.markov(log_from_paths(paths), goal="buy")
    assert m.overall_conversion == pytest.approx(sum("buy" in p for p in paths) / len(paths), abs=1e-12)
    assert ((m.removal_effect >= 0) & (m.removal_effect <= 1)).all()


@pytest.mark.parametrize("order", [1, 2])
def test_bootstrap_percentiles_equal_refits_of_the_resampled_journeys(order):
    """The fast bootstrap (variant counts, the fitted sparsity pattern, one factorisation per replicate)
    gives the percentiles of plain refits on logs of the same resampled journeys."""
    rng = np.random.default_rng(4)
    paths = [
        list(rng.choice(["a", "b", "c"], size=rng.integers(1, 5))) + (["buy"] if rng.random() < 0.5 else [])
        for _ in range(150)
    ]
    m = journey.markov(log_from_paths(paths), goal="buy", order=order)
    boot = m.bootstrap(n_boot=20, seed=9, level=0.8)
    table = boot.to_frame()
    draws = np.random.default_rng(9)  # the bootstrap's own stream: n_journeys indices per replicate
    held = sorted(paths)  # the model holds journeys by their path (the same order on every backend)
    conversion, removal, overall = [], [], []
    for _ in range(20):
        again = journey.markov(
            log_from_paths([held[i] for i in draws.integers(0, len(held), len(held))]), goal="buy", order=order
        )
        conversion.append(again.conversion_probability.reindex(table["touchpoint"]))
        removal.append(again.removal_effect.reindex(table["touchpoint"]))
        overall.append(again.overall_conversion)
    for column, values, q in [
        ("ci_low", conversion, 10),
        ("ci_high", conversion, 90),
        ("removal_ci_low", removal, 10),
        ("removal_ci_high", removal, 90),
    ]:
        expected = np.percentile(np.array(values), q, axis=0)
        np.testing.assert_allclose(table[column].to_numpy(), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(boot.overall_interval, np.percentile(overall, [10, 90]), rtol=0, atol=1e-12)
