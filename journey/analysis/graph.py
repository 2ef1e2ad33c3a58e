"""The journey graph: touchpoints as a ``networkx.DiGraph`` with the numbers analysts reason about.

What every number means is in :func:`journey_graph`'s Notes. The computation is numpy over integer codes
(sorts of packed int64 keys and ``np.bincount``, no Python loop per event or per journey); a part's
summary holds only sums over its journeys, so user-disjoint parts of a log add up.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

import networkx as nx
import numpy as np
import pandas as pd

from ..engine.core import run
from ..engine.journeys import JourneyAnalysis, Journeys, distinct_pairs, in_parallel, observed_codes
from ..engine.partials import Keyed, Parts, aligned, timings
from ..errors import JourneyError, UnknownEventError
from ..io import events as event_io
from ..io.aliases import Duration, Goal, Unit
from ..io.events import END, START, EventLog, LogLike
from ..io.facts import Facts
from ..plot.journey_map import draw_diff_map, draw_journey_map
from ..stats.proportions import ProportionMethod, ProportionResult
from ..stats.results import ConfidenceInterval, Result, check_level

__all__ = [
    "journey_graph",
    "prune",
    "JourneyGraph",
    "plot_journey_map",
    "GraphAnalysis",
    "JourneyAnalysis",
    "summarize",
    "START",
    "END",
]

NODE_ATTRIBUTES = (
    "visits",
    "journeys",
    "entries",
    "exits",
    "conversions",
    "journeys_before_goal",
    "exits_without_goal",
)
EDGE_ATTRIBUTES = ("count", "journeys", "share", "median_seconds")


def journey_graph(log: LogLike, *, goal: Goal = None, unit: Unit = "user", gap: Duration = "30min") -> JourneyGraph:
    """Build the journey graph of a log.

    Parameters
    ----------
    log : EventLog, pandas.DataFrame or dask.dataframe.DataFrame
        The events; a DataFrame is read with :func:`journey.read_events` and its default columns. A Dask
        DataFrame (e.g. from ``read_events(..., engine="dask")``) is summarised partition by partition on
        the cluster with identical counts (see :mod:`journey.engine.dask_backend`).
    goal : str or list of str, optional
        The conversion event(s). A journey converts when it reaches any of them. A goal that never
        occurs in the log is an error (it is most often a typo): the message lists the events.
    unit : {"user", "session"}
        What one journey is: everything a user did, or one session (see :meth:`EventLog.sessions`).
    gap : str or pandas.Timedelta
        Inactivity that ends a session, with ``unit="session"``, when the log has no sessions of its source
        (a log read from a GA4, Amplitude or PostHog export follows their session ids instead).

    Returns
    -------
    JourneyGraph
        A ``networkx.DiGraph`` (with a summary display in Jupyter). Nodes: touchpoints plus
        :data:`journey.START` and :data:`journey.END`, with ``visits``, ``journeys``, ``entries``,
        ``exits``, ``conversions``, ``journeys_before_goal``, ``exits_without_goal`` and ``kind`` ("start",
        "end", "goal", "touchpoint"). Edges: ``count``,
        ``journeys``, ``share`` (0-1), ``median_seconds``. Graph: ``n_journeys``, ``n_events``, ``goal``,
        ``n_conversions``, ``n_transitions``, ``unit``, ``gap``, ``sessions`` (the source field sessions
        came from, such as ``ga_session_id``, or None).

    Raises
    ------
    JourneyError
        Input that is not a log, an unknown ``unit``, a ``gap`` that is not a positive duration, or a goal
        that never occurs (the message lists the touchpoints and suggests the closest one).

    See Also
    --------
    prune : simplify the graph without breaking journeys apart.
    plot_journey_map : draw it.
    to_frames : its nodes and edges as two tables.

    Notes
    -----
    The log is cut into journeys (``unit``); each is the path ``START -> e1 -> ... -> en -> END``, and
    the graph sums these paths:

    - edge ``count``: how many times the transition occurs. Between real touchpoints this is exactly the
      directly-follows relation of process mining (van der Aalst 2016, *Process Mining: Data Science in
      Action*, ch. 6); ``START -> x`` counts journeys that start at ``x``, ``x -> END`` those that end there.
    - edge ``journeys``: distinct journeys making the transition (a loop ``a -> a`` repeated in one journey
      counts once); ``share``: count / all transitions out of the source (shares out of a node sum to 1);
      ``median_seconds``: the median time between the two events (NaN on START and END edges); exact in
      memory, within 0.5% on Dask (log-spaced histograms).
    - node ``visits`` (events), ``journeys`` (distinct journeys visiting), ``entries`` (journeys starting
      there), ``exits`` (journeys ending there), ``conversions`` (distinct converted journeys visiting it).
      A journey converts when it reaches a goal event anywhere in it.
    - node ``journeys_before_goal`` (journeys visiting it before or at their first goal event, or anywhere
      when they never reach it) and ``exits_without_goal`` (journeys ending there that never reached the
      goal): the ``journeys`` and ``exits`` of :func:`journey.drop_off`, so the journey map's exit rate
      ``exits_without_goal / journeys_before_goal`` is drop-off's. Without a goal they equal ``journeys``
      and ``exits``.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["a", "a", "a", "b", "b"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=5, freq="min", tz="UTC"),
    ...                    "event": ["home", "cart", "buy", "home", "home"]})
    >>> g = journey.journey_graph(df, goal="buy")
    >>> g.edges["home", "cart"]["count"], g.edges["home", "home"]["count"], g.edges[journey.START, "home"]["count"]
    (1, 1, 2)
    >>> g.nodes["home"]["conversions"], g.graph["n_conversions"]
    (1, 1)
    """
    return run(GraphAnalysis(goal=goal, unit=unit, gap=gap), log)


class GraphAnalysis(JourneyAnalysis):
    """The journey graph: node and edge sums keyed by touchpoint names, times per edge."""

    def partial(self, log: EventLog, facts: Facts) -> Parts:
        journeys, goals = self.journeys(log)
        # A large part is summarised as two halves of its journeys on two threads (numpy frees the GIL):
        # halves are journey-disjoint, so their sums add up to the whole part's, edge medians included.
        halves = journeys.halves() if len(journeys.events) > event_io.PARALLEL_ROWS else [journeys]
        if len(halves) == 1:
            return summarize(journeys, goals, exact=facts.exact)
        first, second = in_parallel(*(partial(summarize, half, goals, exact=facts.exact) for half in halves))
        return first + second

    def finish(self, total: Parts, facts: Facts) -> JourneyGraph:
        graph = _graph(total, set(self.goals))
        by_source = self.unit == "session" and facts.sessions is not None
        graph.graph.update(
            goal=self.goal if self.goal is None or isinstance(self.goal, (str, int, float)) else list(self.goal),
            unit=self.unit,
            gap=str(self.gap) if self.unit == "session" and not by_source else None,
            sessions=facts.sessions if by_source else None,
        )
        return graph


def summarize(journeys: Journeys, goals: np.ndarray, exact: bool = True) -> Parts:
    """Visits, entries, exits, transitions and distinct journeys of ``journeys``, keyed by names.

    Transitions are coded from the edges that occur (sparse): the cost follows the observed edges, never
    touchpoints squared. Distinct journeys per edge come from sorting (journey, edge) keys, which are in
    journey order already; per touchpoint, from a 64-bit word per journey with a bit per touchpoint it
    visits (up to 63 touchpoints), or from sorting (journey, touchpoint) keys beyond that.
    """
    k, j = len(journeys.names), journeys.n_journeys
    width = k + 2  # codes k and k + 1 are START and END
    ev, jid = journeys.events, journeys.journey
    starts, ends = journeys.starts, journeys.ends
    converted = journeys.converted(goals)

    visits = np.bincount(ev, minlength=k)
    step = journeys.inner()[:-1]  # row i -> i + 1 stays in one journey
    inner = ev[:-1][step].astype(np.int64) * width + ev[1:][step]
    first_edge = k * width + ev[starts].astype(np.int64)
    last_edge = ev[ends].astype(np.int64) * width + (k + 1)
    observed, ids = observed_codes(np.concatenate([inner, first_edge, last_edge]), width * width)
    n_inner = len(inner)
    inner_ids = ids[:n_inner]
    n_edges = len(observed)
    edge_count = np.bincount(ids, minlength=n_edges)
    # Each journey has one START and one END edge, and those never occur inside a journey: only inner
    # edges can repeat within a journey.
    if k <= _MASK_TOUCHPOINTS:
        (node_journeys, node_conversions, before_goal), inner_pairs = in_parallel(
            lambda: _journeys_by_mask(journeys, goals, converted),
            lambda: distinct_pairs(jid[:-1][step], inner_ids, n_edges),
        )
    else:
        node_journeys, node_conversions, before_goal, inner_pairs = _journeys_by_pairs(
            journeys, goals, converted, step, inner_ids, n_edges
        )
    edge_journeys = edge_count.copy()
    edge_journeys -= np.bincount(inner_ids, minlength=n_edges)
    edge_journeys += np.bincount(inner_pairs % n_edges, minlength=n_edges)

    names = np.array([*journeys.names, START, END], dtype=object)
    edge_index = pd.MultiIndex(
        levels=[names, names],
        codes=[observed // width, observed % width],
        names=["source", "target"],
        verify_integrity=False,
    )
    gaps = np.diff(journeys.time)[step]
    paths = JourneyEdges(inner_pairs, ids[n_inner : n_inner + j], ids[n_inner + j :], edge_index) if exact else None
    return Parts(
        nodes=Keyed(
            pd.Index(journeys.names, dtype=object),
            {
                "visits": visits,
                "journeys": node_journeys,
                "entries": np.bincount(ev[starts], minlength=k),
                "exits": np.bincount(ev[ends], minlength=k),
                "conversions": node_conversions,
                "journeys_before_goal": before_goal,
                "exits_without_goal": np.bincount(ev[ends][~converted], minlength=k),
            },
        ),
        edges=Keyed(edge_index, {"count": edge_count, "journeys": edge_journeys}),
        times=timings(edge_index, inner_ids, gaps, exact),
        n_journeys=j,
        n_events=len(ev),
        n_conversions=int(converted.sum()),
        paths=paths,
    )


#: Up to this many touchpoints, the touchpoints each journey visits are one bit each of a 64-bit word.
_MASK_TOUCHPOINTS = 63


def _journeys_by_mask(
    journeys: Journeys, goals: np.ndarray, converted: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct journeys visiting each touchpoint, converted ones, and those visiting it before or at their
    first goal event (or anywhere, never converting), for at most 63 touchpoints.

    Each journey's visits are OR-ed into one word with a bit per touchpoint, so a touchpoint repeated in a
    journey is counted once with no sort; the journeys having a bit are counted a byte at a time.
    """
    k = len(journeys.names)
    bits = np.left_shift(np.uint64(1), journeys.events.astype(np.uint64))
    visited = np.bitwise_or.reduceat(bits, journeys.starts) if len(bits) else np.zeros(0, dtype=np.uint64)
    node_journeys = _bit_counts(visited, k)
    node_conversions = _bit_counts(visited[converted], k)
    if not len(goals):
        return node_journeys, node_conversions, node_journeys
    bits[_after_first_goal(journeys, goals)] = 0
    return node_journeys, node_conversions, _bit_counts(np.bitwise_or.reduceat(bits, journeys.starts), k)


def _bit_counts(words: np.ndarray, k: int) -> np.ndarray:
    """How many of the 64-bit ``words`` have each of the bits 0 .. k - 1 set."""
    counts = np.zeros(64, dtype=np.int64)
    table = (np.arange(256)[:, None] >> np.arange(8)) & 1  # byte value -> its 8 bits
    for byte in range((k + 7) // 8):  # little-endian words: byte b holds bits 8b .. 8b + 7
        values = ((words >> np.uint64(8 * byte)) & np.uint64(255)).astype(np.intp)
        counts[8 * byte : 8 * byte + 8] = np.bincount(values, minlength=256) @ table
    return counts[:k]


def _journeys_by_pairs(
    journeys: Journeys, goals: np.ndarray, converted: np.ndarray, step: np.ndarray, inner_ids: np.ndarray, n_edges: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What :func:`_journeys_by_mask` gives, for any number of touchpoints, from the distinct (journey,
    touchpoint) pairs; and the distinct (journey, edge) keys, sorted on the other thread meanwhile.
    """
    k, ev, jid = len(journeys.names), journeys.events, journeys.journey
    # Each (journey, touchpoint) key carries a low bit "after the journey's first goal event"; a pair whose
    # smallest key has the bit set is visited only after converting, which drop_off does not count.
    # Without a goal every visit counts for drop_off: the plain (journey, touchpoint) pairs, no flag bit.
    flag = len(goals) > 0
    if flag:
        items = ev.astype(np.int64)
        items <<= 1
        items |= _after_first_goal(journeys, goals)
    flagged, inner_pairs = in_parallel(
        lambda: distinct_pairs(jid, items, 2 * k) if flag else distinct_pairs(jid, ev, k),
        lambda: distinct_pairs(jid[:-1][step], inner_ids, n_edges),
    )
    if flag:
        del items
        pair = flagged >> 1
        first = np.empty(len(pair), dtype=bool)
        first[:1] = True
        np.not_equal(pair[1:], pair[:-1], out=first[1:])
        node_pairs, late_only = pair[first], (flagged[first] & 1).astype(bool)
        del pair, first
    else:
        node_pairs, late_only = flagged, None
    del flagged
    node_journeys = np.bincount(node_pairs % k, minlength=k)
    node_conversions = np.bincount(node_pairs[converted[node_pairs // k]] % k, minlength=k)
    before_goal = (
        node_journeys if late_only is None else node_journeys - np.bincount(node_pairs[late_only] % k, minlength=k)
    )
    return node_journeys, node_conversions, before_goal, inner_pairs


def _after_first_goal(journeys: Journeys, goals: np.ndarray) -> np.ndarray:
    """Per event: whether a goal event comes before it in its journey (the goal event itself is not after)."""
    hit = np.isin(journeys.events, goals)
    earlier = np.cumsum(hit, dtype=np.int64)
    earlier -= hit  # goal events before each event, in the whole log
    return earlier > earlier[journeys.starts][journeys.journey]


@dataclass
class JourneyEdges:
    """Which edges each journey uses, kept on the local path so :func:`prune` can tell whole journeys.

    ``inner`` holds distinct ``journey * n_edges + edge`` keys of transitions inside journeys; ``first`` and
    ``last`` the START and END edge of each journey; edges are positions in ``index``.
    """

    inner: np.ndarray
    first: np.ndarray
    last: np.ndarray
    index: pd.MultiIndex

    def __add__(self, other: JourneyEdges) -> JourneyEdges:
        """The edges of both parts' journeys, ``other``'s numbered after this one's."""
        union, mine, theirs = aligned(self.index, other.index)
        width, other_width, n = len(self.index), len(other.index), len(union)
        if union is self.index and other_width == width:  # the same edges (most often): no codes to move
            return JourneyEdges(
                np.concatenate([self.inner, other.inner + len(self.first) * width]),
                np.concatenate([self.first, other.first]),
                np.concatenate([self.last, other.last]),
                union,
            )
        inner = np.concatenate(
            [
                self.inner // width * n + mine[self.inner % width],
                (other.inner // other_width + len(self.first)) * n + theirs[other.inner % other_width],
            ]
        )
        first = np.concatenate([mine[self.first], theirs[other.first]])
        return JourneyEdges(inner, first, np.concatenate([mine[self.last], theirs[other.last]]), union)

    def broken_share(self, kept: set) -> float:
        """Share of journeys that use at least one edge outside ``kept`` (a set of (source, target))."""
        n_edges = len(self.index)
        keep = np.asarray(self.index.isin(list(kept)), dtype=bool)
        broken = np.zeros(len(self.first), dtype=bool)
        broken[self.inner[~keep[self.inner % n_edges]] // n_edges] = True
        broken |= ~keep[self.first] | ~keep[self.last]
        return float(broken.mean()) if len(broken) else 0.0


def _graph(total: Parts, goals: set) -> JourneyGraph:
    """The JourneyGraph of summed parts: START, touchpoints by name, END; edges in that order."""
    nodes, edges = total["nodes"].frame(), total["edges"].frame()
    n_journeys, n_conversions = int(total["n_journeys"]), int(total["n_conversions"])
    graph = JourneyGraph()
    graph.graph.update(
        n_journeys=n_journeys,
        n_events=int(total["n_events"]),
        n_conversions=n_conversions,
        n_transitions=int(edges["count"].sum()),
    )
    ends = {
        "visits": n_journeys,
        "journeys": n_journeys,
        "entries": 0,
        "exits": 0,
        "conversions": n_conversions,
        "journeys_before_goal": n_journeys,
        "exits_without_goal": 0,
    }
    graph.add_node(START, kind="start", **ends)
    nodes = nodes[nodes["visits"] > 0].sort_index()
    for name, row in zip(nodes.index, nodes.itertuples(index=False)):
        graph.add_node(
            name,
            kind="goal" if name in goals else "touchpoint",
            visits=int(row.visits),
            journeys=int(row.journeys),
            entries=int(row.entries),
            exits=int(row.exits),
            conversions=int(row.conversions),
            journeys_before_goal=int(row.journeys_before_goal),
            exits_without_goal=int(row.exits_without_goal),
        )
    graph.add_node(END, kind="end", **ends)
    rank = {name: i for i, name in enumerate([*nodes.index, START, END])}
    sources = edges.index.get_level_values(0).tolist()
    targets = edges.index.get_level_values(1).tolist()
    counts = edges["count"].to_numpy()
    source_rank = np.array([rank[s] for s in sources], dtype=np.int64)
    target_rank = np.array([rank[s] for s in targets], dtype=np.int64)
    out_of = np.bincount(source_rank, weights=counts, minlength=len(rank))[source_rank]
    times = total["times"]
    medians = pd.Series(times.medians(), index=times.index).reindex(edges.index).to_numpy().tolist()
    shares = (counts / out_of).tolist()
    counts_list, journeys = counts.tolist(), edges["journeys"].to_numpy().tolist()
    graph.add_edges_from(
        (
            sources[i],
            targets[i],
            {"count": counts_list[i], "journeys": journeys[i], "share": shares[i], "median_seconds": medians[i]},
        )
        for i in np.lexsort((target_rank, source_rank)).tolist()
    )
    graph._journey_edges = total.get("paths")
    return graph


# ---------------------------------------------------------------------------------------------------
# the graph object


class JourneyGraph(Result, nx.DiGraph):
    """The journey graph: a ``networkx.DiGraph`` of touchpoints that is also a `journey` result.

    It is a plain DiGraph for every networkx function (``nx.shortest_path(graph, ...)``, ``graph.edges``,
    ``graph.subgraph``); its text and HTML displays are the shared result displays (networkx's own shows a
    memory address), and it adds the result protocol: :meth:`to_frame`, :meth:`conversion_rate` (with
    ``overall`` and :meth:`confidence_interval` for the same rate) and :meth:`plot`.

    Attributes
    ----------
    graph : dict
        ``n_journeys``, ``n_events``, ``n_conversions``, ``n_transitions``, ``goal``, ``unit``, ``gap``.

    See Also
    --------
    journey_graph : builds it.
    prune : simplifies it without breaking journeys apart.
    plot_journey_map : draws it.
    """

    _journey_edges: JourneyEdges | None = None  # which edges each journey uses (local path), for prune
    _formats: ClassVar[dict[str, str]] = {
        "count": "count",
        "journeys": "count",
        "share": "share",
        "median_seconds": "seconds",
    }

    def touchpoints(self) -> list[str]:
        """Real touchpoints: every node but :data:`journey.START` and :data:`journey.END`."""
        return [n for n in self.nodes if n not in (START, END)]

    def conversion_rate(self, level: float = 0.95) -> ProportionResult:
        """Share of journeys that reached the goal, with its interval (Wilson score by default).

        Parameters
        ----------
        level : float
            Confidence level of the interval (0.95: 95%).

        Returns
        -------
        ProportionResult
            ``k`` converted journeys out of ``n``; ``confidence_interval(level, method)``.

        Raises
        ------
        JourneyError
            When the graph was built without a goal.

        Examples
        --------
        >>> import pandas as pd, journey
        >>> df = pd.DataFrame({"user_id": list("aabc"), "event": ["home", "buy", "home", "home"],
        ...                    "timestamp": pd.date_range("2025-01-01", periods=4, freq="min", tz="UTC")})
        >>> journey.journey_graph(df, goal="buy").conversion_rate()
        ProportionResult: conversion 33.3% (95% CI 6.1% to 79.2%, 1 of 3)
        """
        if self.graph.get("goal") is None:
            raise JourneyError(
                "this journey graph has no goal; build it with journey_graph(log, goal=...) to get a conversion rate"
            )
        return ProportionResult(
            int(self.graph.get("n_conversions", 0)),
            int(self.graph.get("n_journeys", 0)),
            label="conversion",
            level=check_level(level),
        )

    @property
    def overall(self) -> ProportionResult:
        """The conversion rate of all journeys (:meth:`conversion_rate` at 95%), for :func:`journey.kpi`."""
        return self.conversion_rate()

    def confidence_interval(
        self, level: float | None = None, method: ProportionMethod | None = None
    ) -> ConfidenceInterval:
        """Interval of the conversion rate (see :meth:`conversion_rate`): ``ConfidenceInterval(low, high)``."""
        return self.conversion_rate(0.95 if level is None else level).confidence_interval(method=method)

    def to_frame(self) -> pd.DataFrame:
        """The transitions as a table: ``source``, ``target``, ``count``, ``journeys``, ``share`` (0-1 of the
        source's out-flow) and ``median_seconds``; most frequent first, then by source and target name.

        Node figures are in :func:`journey.to_frames`, which returns both tables.
        """
        rows = [(a, b, d["count"], d["journeys"], d["share"], d["median_seconds"]) for a, b, d in self.edges(data=True)]
        table = pd.DataFrame(rows, columns=["source", "target", "count", "journeys", "share", "median_seconds"])
        order = np.lexsort((table["target"].astype(str), table["source"].astype(str), -table["count"].to_numpy()))
        return table.take(order).reset_index(drop=True)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the journey map (:func:`journey.plot_journey_map`, whose options ``kwargs`` are); the Axes."""
        return plot_journey_map(self, ax=ax, **kwargs)

    def _headline(self) -> str:
        g = self.graph
        n_edges = sum(1 for a, b in self.edges if a != START and b != END)
        unit = (
            g.get("unit", "user")
            + (f" (gap {g['gap']})" if g.get("gap") else "")
            + (f" (from {g['sessions']})" if g.get("sessions") else "")
        )
        text = (
            f"{len(self.touchpoints()):,} touchpoints, {n_edges:,} transitions between them; "
            f"{g.get('n_journeys', 0):,} journeys by {unit}, {g.get('n_events', 0):,} events"
        )
        if g.get("goal") is not None:
            rate = self.conversion_rate()
            low, high = rate.confidence_interval()
            text += (
                f"; goal {g['goal']!r}: {rate.proportion:.1%} converted "
                f"(95% CI {low:.1%} to {high:.1%}, n = {rate.n:,})"
            )
        if "kept_transition_share" in g:
            whole = g.get("kept_journey_share")
            text += f"; pruned: keeps {g['kept_transition_share']:.1%} of transitions and " + (
                f"{whole:.1%} of journeys whole" if whole is not None else "an unknown share of journeys whole"
            )
        return text

    def _shown(self) -> pd.DataFrame:
        return self.to_frame()

    # networkx's DiGraph.__str__ would bypass the shared display.
    __str__ = Result.__repr__


def plot_journey_map(
    graph: nx.DiGraph,
    *,
    ax: Any = None,
    color_by: str = "exit_rate",
    width_by: str = "count",
    max_nodes: int = 40,
    label: str | None = "count",
    node_label: str = "journeys",
    title: str | None = None,
) -> Any:
    """Draw a journey graph as a layered map, left (start) to right (end), and return the Axes.

    Parameters
    ----------
    graph : JourneyGraph or networkx.DiGraph
        From :func:`journey_graph` or :func:`prune`; or a :class:`JourneyDiff` from :func:`compare_graphs`,
        drawn as the map of changes (colour: the difference; significant transitions bold; the options
        ``color_by``, ``width_by`` and ``label`` do not apply to it).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure otherwise.
    color_by : {"exit_rate", "conversion_rate", "visits"}
        Node colour, with a colour bar. ``exit_rate`` is :func:`drop_off`'s: journeys ending at the
        touchpoint without reaching the goal / journeys visiting it (before reaching the goal); START, END
        and goals are not coloured.
    width_by : {"count", "journeys"}
        Edge widths, in proportion, with a legend.
    max_nodes : int
        A graph with more touchpoints is pruned (:func:`prune`, most frequent transitions kept) to about
        this many, and the title says so.
    label : {"count", "share", None}
        What the labels on the main transitions show: their count or their share of the source's out-flow,
        with the median time between the two events (the largest transitions, where a label fits).
    node_label : {"journeys", "visits"}
        The number under each touchpoint: distinct journeys visiting it, or its visits (events); the
        legend says which.
    title : str, optional
        The title; by default the number of journeys and the goal.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    JourneyError
        An unknown option, or a graph that is not a journey graph.

    See Also
    --------
    JourneyGraph.plot : the same, as a method.
    save_figure : writes the picture with the same bytes every time.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": list("aabb"), "event": ["home", "buy", "home", "cart"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=4, freq="min", tz="UTC")})
    >>> ax = journey.plot_journey_map(journey.journey_graph(df, goal="buy"))
    >>> ax.get_title()
    'Journey map: 2 journeys, goal buy'
    """
    if not isinstance(graph, nx.DiGraph):
        raise JourneyError(
            f"plot_journey_map draws the graph journey.journey_graph(...) returns, not {type(graph).__name__}"
        )
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, (int, np.integer)) or max_nodes < 1:
        raise JourneyError(f"max_nodes must be a positive whole number, not {max_nodes!r}")
    note = ""
    touchpoints = [n for n in graph.nodes if n not in (START, END)]
    if graph.graph.get("kind") == "difference":  # a JourneyDiff from compare_graphs: the map of changes
        if len(touchpoints) > max_nodes:
            kept = sorted(touchpoints, key=lambda n: (-graph.nodes[n].get("visits", 0), str(n)))[:max_nodes]
            note = f" (the {max_nodes} most visited of {len(touchpoints)} touchpoints)"
            graph = graph.subgraph([START, *kept, END])
        return draw_diff_map(graph, ax=ax, title=title, note=note)
    if len(touchpoints) > max_nodes:
        visits = sorted((graph.nodes[n].get("visits", 0) for n in touchpoints), reverse=True)
        graph = prune(graph, min_count=visits[max_nodes - 1])
        note = f" (simplified: {len(graph) - 2} of {len(touchpoints)} touchpoints)"
    return draw_journey_map(
        graph, ax=ax, color_by=color_by, width_by=width_by, label=label, node_label=node_label, title=title, note=note
    )


# ---------------------------------------------------------------------------------------------------
# simplification


def prune(
    graph: nx.DiGraph,
    *,
    min_count: int | None = None,
    min_share: float | None = None,
    top_edges: int | None = None,
    keep: Iterable[str] = (),
) -> JourneyGraph:
    """Simplify a journey graph, like Disco's activity and path sliders, without breaking it apart.

    Parameters
    ----------
    graph : networkx.DiGraph
        A graph from :func:`journey_graph` (or any DiGraph with its ``count`` and ``visits`` attributes).
    min_count : int, optional
        Drop touchpoints visited fewer times and transitions made fewer times.
    min_share : float, optional
        Drop transitions whose share of their source's out-flow is below this (0-1).
    top_edges : int, optional
        Keep at most this many transitions (START and END ones included), the most frequent first.
    keep : iterable of str
        Touchpoints never dropped; goal touchpoints are never dropped either.

    Returns
    -------
    JourneyGraph
        A new graph; attributes are those of the full graph (shares stay shares of the full out-flow).
        Graph attributes record what was kept: ``kept_transition_share`` (share of all transitions, START
        and END ones included) and ``kept_journey_share`` (share of journeys whose every transition is
        kept; None when the graph does not come from :func:`journey_graph`).

    Raises
    ------
    JourneyError
        A negative or fractional ``min_count``/``top_edges``, a ``min_share`` outside 0-1, a graph without
        START and END, or a ``keep`` touchpoint that is not in the graph.

    See Also
    --------
    journey_graph : the full graph.
    plot_journey_map : prunes large graphs itself (``max_nodes``).

    Notes
    -----
    Every kept touchpoint stays reachable from START and able to reach END: where the filters cut a
    touchpoint off, the most frequent transition that reconnects it is put back (and, for a goal or a
    ``keep`` touchpoint, the dropped touchpoints on the widest path to it). Touchpoints that could only
    be reached through dropped ones are dropped. This is the simplification of process-mining tools
    (Günther and van der Aalst 2007, "Fuzzy mining: adaptive process simplification based on
    multi-perspective metrics", BPM 2007), restricted to keeping the graph connected. It costs a sort of the
    edges and one heap operation per edge, so graphs of thousands of touchpoints prune in about a second.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": list("aaabbbccd"),
    ...                    "timestamp": pd.date_range("2025-01-01", periods=9, freq="min", tz="UTC"),
    ...                    "event": ["home", "cart", "buy", "home", "cart", "buy", "home", "faq", "home"]})
    >>> small = journey.prune(journey.journey_graph(df, goal="buy"), min_count=2)
    >>> sorted(small.touchpoints()), round(small.graph["kept_journey_share"], 2)
    (['buy', 'cart', 'home'], 0.5)
    """
    for name, value in (("min_count", min_count), ("top_edges", top_edges)):
        if value is not None and (not isinstance(value, (int, np.integer)) or value < 0):
            raise JourneyError(f"{name} must be a non-negative whole number, not {value!r}")
    if min_share is not None and not 0 <= min_share <= 1:
        raise JourneyError(f"min_share must be a share between 0 and 1, not {min_share!r}")
    if START not in graph or END not in graph:
        raise JourneyError("prune needs a journey graph with journey.START and journey.END nodes")
    keep = [keep] if isinstance(keep, str) else list(keep)
    for name in keep:
        if name not in graph:
            raise UnknownEventError("keep", name, [str(n) for n in graph.nodes if n not in (START, END)])
    protected = {START, END, *keep} | {n for n, d in graph.nodes(data=True) if d.get("kind") == "goal"}

    nodes = {
        n for n, d in graph.nodes(data=True) if n in protected or min_count is None or d.get("visits", 0) >= min_count
    }
    rank = _edge_ranks(graph)
    chosen = [
        (a, b)
        for a, b in rank  # in rank order
        if a in nodes
        and b in nodes
        and (min_count is None or graph[a][b]["count"] >= min_count)
        and (min_share is None or graph[a][b]["share"] >= min_share)
    ]
    if top_edges is not None:
        chosen = chosen[:top_edges]
    kept = _reconnect(graph, nodes, set(chosen), protected, rank)
    return _pruned_graph(graph, kept)


def _edge_ranks(graph: nx.DiGraph) -> dict:
    """Each edge's position when the most frequent come first (ties by source, then target name), in that order."""
    keys = sorted((-count, str(a), str(b), i) for i, (a, b, count) in enumerate(graph.edges(data="count")))
    edges = list(graph.edges)
    return {edges[key[-1]]: position for position, key in enumerate(keys)}


def _reconnect(graph: nx.DiGraph, nodes: set, edges: set, protected: set, rank: dict) -> set:
    """Add back the most frequent edges needed so every kept node lies on a START-to-END path."""
    for forward in (True, False):
        edges = _connect(graph, nodes, edges, protected, rank, forward)
    return edges


def _connect(graph: nx.DiGraph, nodes: set, edges: set, protected: set, rank: dict, forward: bool) -> set:
    """Edges that connect every node of ``nodes`` from START (``forward``) or to END; ``nodes`` is updated.

    The reached set grows as in Prim's algorithm: a heap holds the graph edges leaving it, most frequent
    first, and the best one that leads to a kept node not yet reached is put back, so every edge is ranked
    once and every node reached once (rescanning the reached set for each edge put back was quadratic).
    Nodes that can only be reached through dropped ones leave ``nodes``, except goals and ``keep``
    touchpoints, which the widest path through dropped touchpoints reconnects.
    """
    step = graph.successors if forward else graph.predecessors
    edges = {e for e in edges if e[0] in nodes and e[1] in nodes}
    along: dict = {}  # the kept edges, in the direction of travel
    reached: set = set()
    frontier: list = []

    def add(edge: tuple) -> None:
        edges.add(edge)
        frm, to = edge if forward else edge[::-1]
        along.setdefault(frm, []).append(to)

    def grow(starts: Iterable) -> None:
        stack = [n for n in starts if n not in reached]
        reached.update(stack)
        while stack:
            here = stack.pop()
            for there in along.get(here, ()):
                if there not in reached:
                    reached.add(there)
                    stack.append(there)
            for there in step(here):  # a node joining ``nodes`` later does so on a path, reached
                if there in nodes and there not in reached:
                    edge = (here, there) if forward else (there, here)
                    heapq.heappush(frontier, (rank[edge], edge))

    for edge in edges.copy():
        add(edge)
    grow([START if forward else END])
    while len(reached) < len(nodes):
        best = None
        while frontier and best is None:
            edge = heapq.heappop(frontier)[1]
            target = edge[1] if forward else edge[0]
            best = edge if target in nodes and target not in reached else None
        if best is not None:
            add(best)
            grow([best[1] if forward else best[0]])
            continue
        missing = nodes - reached
        if not missing & protected:  # reachable only through dropped touchpoints
            nodes -= missing
            return {e for e in edges if e[0] in nodes and e[1] in nodes}
        path = _widest_path(graph, reached, missing & protected, forward)
        nodes |= set(path)
        for a, b in zip(path, path[1:]):
            add((a, b) if forward else (b, a))
        grow(path)
    return edges


def _widest_path(graph: nx.DiGraph, reached: set, targets: set, forward: bool) -> list:
    """Path from the reached set to the nearest target maximising its smallest edge count (Dijkstra)."""
    step = graph.successors if forward else graph.predecessors
    width = {n: float("inf") for n in reached}
    parent: dict = {}
    heap = [(-float("inf"), i, n) for i, n in enumerate(sorted(reached, key=str))]
    tie = len(heap)
    while heap:
        w, _, here = heapq.heappop(heap)
        if here in targets:
            path = [here]
            while path[-1] in parent:
                path.append(parent[path[-1]])
            return path[::-1]
        for nxt in step(here):
            count = graph.edges[(here, nxt) if forward else (nxt, here)]["count"]
            new = min(-w, count)
            if new > width.get(nxt, -1):
                width[nxt], parent[nxt] = new, here
                tie += 1
                heapq.heappush(heap, (-new, tie, nxt))
    raise JourneyError("a goal or kept touchpoint cannot be connected to START and END")  # not in a journey graph


def _pruned_graph(graph: nx.DiGraph, edges: set) -> JourneyGraph:
    nodes = {n for e in edges for n in e}
    pruned = JourneyGraph()
    pruned.graph.update(graph.graph)
    pruned.add_nodes_from((n, d) for n, d in graph.nodes(data=True) if n in nodes)
    pruned.add_edges_from((a, b, d) for a, b, d in graph.edges(data=True) if (a, b) in edges)
    total = graph.graph.get("n_transitions") or sum(d["count"] for *_, d in graph.edges(data=True))
    pruned.graph["kept_transition_share"] = sum(d["count"] for *_, d in pruned.edges(data=True)) / total
    pruned.graph["kept_journey_share"] = _surviving_journey_share(graph, edges)
    pruned._journey_edges = getattr(graph, "_journey_edges", None)
    return pruned


def _surviving_journey_share(graph: nx.DiGraph, edges: set) -> float | None:
    stored = getattr(graph, "_journey_edges", None)
    if stored is None or not graph.graph.get("n_journeys"):
        return None
    return 1 - stored.broken_share(edges)
