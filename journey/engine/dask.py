"""Analyses on Dask: the same single-machine code on user-disjoint partitions, added up.

What runs on Dask (a Dask DataFrame where the functions take a log or orders): ``journey_graph``,
``drop_off``, ``path_variants``, ``funnel``, ``active_users``, ``stickiness``, ``churn``, ``retention`` and
``repeat_rate``. Counts are identical to the pandas path; median times come from mergeable histograms
(below). Single-machine only, and why: ``markov`` (its bootstrap resamples whole journeys; the point
estimate would decompose and is the next step), ``compare_paths`` (decomposes, not done yet),
``survival`` (needs every customer's duration; collect them first), ``nps*``/``csat`` (survey tables are
small), plots and ``prune`` (they take results, which are small).

The journey graph on Dask

How it works
------------
The log is shuffled by user, so every journey lies whole in one partition. Each partition is validated
and summarised by exactly the code of the single-machine path (:func:`journey.analysis.graph.summarize`); the
partial summaries are keyed by touchpoint name and added up on the client. Counts and distinct journeys
are therefore identical to the pandas path.

Median times are the one figure that does not add up: each partition sends, per edge, a histogram of its
transition times on log-spaced bins (ratio 1.01 from 1 ns to about 31 years, plus an exact bin for 0), and
the median is read from the merged histogram as the geometric middle of its bin: within 0.5% of the
exact median (bins ratio 1.01 from 1 ns to about 31 years, plus an exact bin for 0). Graphs from Dask do not keep per-journey paths, so :func:`journey.prune` reports
``kept_journey_share`` as None for them.

Any ``dask.distributed`` cluster works: ``Client(LocalCluster())`` on one machine, or
``Client("tcp://scheduler:8786")`` for a remote scheduler; without a client, Dask's local scheduler runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import JourneyError, UnknownEventError
from ..io.events import END, START, check_clashes, read_events, resolve_column
from .journeys import split_journeys

__all__ = ["is_dask", "read_events_dask", "journey_graph_dask", "map_user_partitions", "map_partitions_by", "compute",
           "time_bins", "histogram_median", "N_TIME_BINS", "MEDIAN_RELATIVE_ERROR"]

BIN_RATIO = 1.01
LOWEST_SECONDS = 1e-9  # times are nanoseconds: below this there is only 0, which has its own exact bin
N_BINS = int(np.ceil(np.log(1e18) / np.log(BIN_RATIO)))  # 1 ns .. 1e9 s (about 31 years)
#: Bins of a time histogram: one for no time at all, then the log-spaced ones.
N_TIME_BINS = N_BINS + 1
#: Largest relative error of a median read from the histograms (half a bin on the log scale).
MEDIAN_RELATIVE_ERROR = float(np.sqrt(BIN_RATIO) - 1)
CANONICAL = ("user", "time", "event")


def is_dask(obj) -> bool:
    """Is ``obj`` a Dask collection (without importing Dask when it is not)?"""
    return type(obj).__module__.split(".")[0] in ("dask", "dask_expr")


def read_events_dask(source, **options):
    """A Dask DataFrame of canonical events (``user``, ``time``, ``event`` as text, other columns), lazily.

    ``source`` is a Parquet or CSV path or glob (``"events/*.parquet"``) or a Dask DataFrame. Each partition
    is validated by :func:`journey.read_events` with the same ``options`` when it is computed, so bad rows
    raise the same errors (row numbers count within the partition).

    Known limit: checks that compare rows run within a partition. A column whose timestamps carry a UTC
    offset in one partition and none in another is not caught (each partition alone is consistent); give
    every timestamp an offset, or none, when the data are exported.
    """
    import dask.dataframe as dd

    if isinstance(source, str):
        from pathlib import Path

        parquet = source.lower().endswith((".parquet", ".pq")) or Path(source).is_dir()
        # One partition per row group keeps partitions small enough for workers to shuffle them. In CSV only
        # the named columns are read as text (ids stay "007"); the others keep their inferred types.
        named = {options.get(role, default): "str" for role, default in
                 (("user", "user_id"), ("time", "timestamp"), ("event", "event"))}
        raw = dd.read_parquet(source, split_row_groups=True) if parquet else dd.read_csv(source, dtype=named)
    elif is_dask(source):
        raw = source
    else:
        raise JourneyError("engine='dask' reads a path or glob of Parquet/CSV files, or a Dask DataFrame")
    # The columns are checked once, up front, with the same messages as the pandas path.
    names = {role: resolve_column(role, options.get(role, default), raw.columns)
             for role, default in (("user", "user_id"), ("time", "timestamp"), ("event", "event"))}
    check_clashes(names, raw.columns)
    return raw.map_partitions(_canonical, options, meta=_canonical(raw._meta, options))


def _canonical(part: pd.DataFrame, options: dict) -> pd.DataFrame:
    """One partition, validated and canonical; an empty one (Dask's meta) gives the empty canonical frame."""
    if part.empty:
        names = {options.get(role, default) for role, default in (("user", "user_id"), ("time", "timestamp"),
                                                                 ("event", "event"))}
        empty = pd.DataFrame({"user": pd.Series(dtype="str"), "time": pd.Series(dtype="datetime64[ns, UTC]"),
                              "event": pd.Series(dtype="str")})
        return pd.concat([empty, part[[c for c in part.columns if c not in names]].iloc[:0]], axis=1)
    frame = read_events(part.reset_index(drop=True), **options).frame
    return frame.assign(event=frame["event"].astype("str"))


def is_canonical(ddf) -> bool:
    """Does ``ddf`` already hold canonical events (from ``read_events(..., engine="dask")``)?

    The column names are not enough: a raw export may call its columns user, time and event.
    """
    return all(c in ddf.columns for c in CANONICAL) and str(ddf["time"].dtype) == "datetime64[ns, UTC]"


def canonical(ddf):
    """``ddf`` as canonical events: as it is, or read with the default columns."""
    return ddf if is_canonical(ddf) else read_events_dask(ddf)


def compute(*tasks) -> tuple:
    """``dask.compute(*tasks)``, with a progress bar when a person is watching a terminal.

    On a ``dask.distributed`` client, ``distributed.progress``; otherwise Dask's local ``ProgressBar``.
    In notebooks and logs (stderr not a terminal) nothing is printed, so outputs stay the same run to run.
    """
    import sys

    import dask

    try:
        from distributed import get_client, progress

        client = get_client()
    except (ImportError, ValueError):
        client = None
    if not sys.stderr.isatty():
        return dask.compute(*tasks)
    if client is not None:
        futures = client.compute(list(tasks))
        progress(futures)
        return tuple(client.gather(futures))
    from dask.diagnostics import ProgressBar

    with ProgressBar():
        return dask.compute(*tasks)


def map_user_partitions(ddf, work, *args) -> list:
    """Run ``work(log, *args)`` on every partition of ``ddf`` shuffled by user, as an EventLog; the results.

    Every user's events lie in one partition, so per-user figures (counts of journeys, of active users, of
    customers lost) can simply be added across the results. Empty partitions give None.
    """
    import dask

    return map_partitions_by(canonical(ddf), "user", _on_partition, work, *args)


def map_partitions_by(ddf, column: str, work, *args) -> list:
    """Shuffle ``ddf`` on ``column`` and run ``work(pandas partition, *args)`` on each non-empty partition."""
    import dask

    shuffled = ddf.shuffle(on=column, npartitions=2 * ddf.npartitions)
    return list(compute(*[dask.delayed(_non_empty)(part, work, args) for part in shuffled.to_delayed()]))


def _non_empty(part: pd.DataFrame, work, args):
    return None if part.empty else work(part.reset_index(drop=True), *args)


def _on_partition(part: pd.DataFrame, work, *args):
    return work(read_events(part, user="user", time="time", event="event"), *args)


def journey_graph_dask(ddf, *, goal=None, by: str = "user", gap="30min"):
    """The journey graph of a Dask DataFrame (see the module notes); identical counts to the pandas path."""
    import dask

    ddf = canonical(ddf)
    goals = [] if goal is None else [str(goal)] if isinstance(goal, (str, int, float)) else [str(g) for g in goal]
    shuffled = ddf[list(CANONICAL)].shuffle(on="user", npartitions=2 * ddf.npartitions)
    partials = compute(*[dask.delayed(_partial)(part, goals, by, gap) for part in shuffled.to_delayed()])
    nodes = pd.concat([p[0] for p in partials]).groupby(level=0).sum()
    edges = pd.concat([p[1] for p in partials]).groupby(level=[0, 1]).sum()
    gaps = pd.concat([p[2] for p in partials]).groupby(level=[0, 1, 2]).sum()
    totals = pd.DataFrame([p[3] for p in partials]).sum()
    for g in goals:
        if g not in nodes.index:
            raise UnknownEventError("goal", g, list(nodes.index))
    return _graph(nodes, edges, gaps, totals, goal, goals, by, gap)


def _partial(part: pd.DataFrame, goals: list, by: str, gap) -> tuple:
    """Name-keyed sums of one user-disjoint partition: nodes, edges, edge-time histograms, totals."""
    from ..analysis.graph import summarize

    empty_nodes = pd.DataFrame(columns=["visits", "journeys", "entries", "exits", "conversions"], dtype=np.int64)
    empty_edges = pd.DataFrame(columns=["count", "journeys"], dtype=np.int64,
                               index=pd.MultiIndex.from_arrays([[], []], names=["source", "target"]))
    empty_gaps = pd.Series(dtype=np.int64, index=pd.MultiIndex.from_arrays([[], [], []], names=["source", "target", "bin"]))
    if part.empty:
        return empty_nodes, empty_edges, empty_gaps, {"n_journeys": 0, "n_events": 0, "n_conversions": 0}
    log = read_events(part.reset_index(drop=True), user="user", time="time", event="event")
    journeys = split_journeys(log, by=by, gap=gap)
    present = np.array(sorted(journeys.names.index(g) for g in goals if g in journeys.names), dtype=np.int32)
    s = summarize(journeys, present)
    names = list(s.names)
    nodes = pd.DataFrame({"visits": s.visits, "journeys": s.node_journeys, "entries": s.entries, "exits": s.exits,
                          "conversions": s.node_conversions}, index=names)
    width = len(names) + 2
    labels = names + [START, END]
    codes = np.flatnonzero(s.edge_count)
    edges = pd.DataFrame({"count": s.edge_count[codes], "journeys": s.edge_journeys[codes]},
                         index=pd.MultiIndex.from_arrays([[labels[c // width] for c in codes],
                                                          [labels[c % width] for c in codes]], names=["source", "target"]))
    step = journeys.inner()[:-1]
    edge = journeys.events[:-1][step].astype(np.int64) * width + journeys.events[1:][step]
    seconds = np.diff(journeys.time)[step] / 1e9
    cell = edge * N_TIME_BINS + time_bins(seconds)
    unique, counts = np.unique(cell, return_counts=True)
    gaps = pd.Series(counts, index=pd.MultiIndex.from_arrays(
        [[labels[c // width] for c in unique // N_TIME_BINS], [labels[c % width] for c in unique // N_TIME_BINS],
         unique % N_TIME_BINS], names=["source", "target", "bin"]))
    return nodes, edges, gaps, {"n_journeys": s.n_journeys, "n_events": s.n_events, "n_conversions": s.n_conversions}


def time_bins(seconds: np.ndarray) -> np.ndarray:
    """Histogram bin of each time (seconds): 0 for no time at all, then log-spaced bins of ratio BIN_RATIO."""
    with np.errstate(divide="ignore"):
        index = np.floor(np.log(np.maximum(seconds, LOWEST_SECONDS) / LOWEST_SECONDS) / np.log(BIN_RATIO)).astype(np.int64) + 1
    return np.where(seconds <= 0, 0, np.clip(index, 1, N_BINS))


def _bin_middle(b: np.ndarray) -> np.ndarray:
    return np.where(b == 0, 0.0, LOWEST_SECONDS * BIN_RATIO ** (b - 1 + 0.5))


def histogram_median(counts: np.ndarray) -> float:
    """Median (seconds) of a dense time histogram (mean of the two middle values' bin middles); NaN if empty."""
    cumulative = np.cumsum(counts)
    total = int(cumulative[-1]) if len(cumulative) else 0
    if total == 0:
        return float("nan")
    low = np.searchsorted(cumulative, (total + 1) // 2)
    high = np.searchsorted(cumulative, total // 2 + 1)
    return float((_bin_middle(np.array([low]))[0] + _bin_middle(np.array([high]))[0]) / 2)


def _histogram_median(gaps: pd.Series) -> pd.Series:
    """Median per edge from merged sparse histograms ((source, target, bin) -> count)."""
    out = {}
    for edge, histogram in gaps.groupby(level=[0, 1]):
        dense = np.zeros(N_TIME_BINS, dtype=np.int64)
        np.add.at(dense, histogram.index.get_level_values(2).to_numpy(), histogram.to_numpy())
        out[edge] = histogram_median(dense)
    return pd.Series(out, dtype=float)


def _graph(nodes, edges, gaps, totals, goal, goals, by, gap):
    from ..analysis.graph import JourneyGraph

    graph = JourneyGraph()
    n_journeys, n_conversions = int(totals["n_journeys"]), int(totals["n_conversions"])
    graph.graph.update(n_journeys=n_journeys, n_events=int(totals["n_events"]), n_conversions=n_conversions,
                       n_transitions=int(edges["count"].sum()), goal=goal if goal is None or isinstance(goal, (str, int, float)) else list(goal),
                       by=by, gap=str(gap) if by == "session" else None)
    ends = {"visits": n_journeys, "journeys": n_journeys, "entries": 0, "exits": 0, "conversions": n_conversions}
    graph.add_node(START, kind="start", **ends)
    for name, row in nodes.sort_index().iterrows():
        if row["visits"]:
            graph.add_node(name, kind="goal" if name in goals else "touchpoint",
                           **{k: int(row[k]) for k in ("visits", "journeys", "entries", "exits", "conversions")})
    graph.add_node(END, kind="end", **ends)
    medians = _histogram_median(gaps) if len(gaps) else pd.Series(dtype=float)
    out_of = edges["count"].groupby(level=0).sum()
    order = {n: i for i, n in enumerate(graph.nodes)}
    for (a, b), row in sorted(edges.iterrows(), key=lambda item: (order[item[0][0]], order[item[0][1]])):
        graph.add_edge(a, b, count=int(row["count"]), journeys=int(row["journeys"]), share=int(row["count"]) / int(out_of[a]),
                       median_seconds=float(medians.get((a, b), np.nan)))
    graph._journey_edges = None  # not kept on Dask: prune reports kept_journey_share as None
    return graph
