"""Path variants: the distinct sequences of touchpoints journeys take, most common first."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import JourneyError, UnknownEventError
from ..stats.intervals import wilson_interval
from ..engine.journeys import Journeys, as_event_log, goal_codes, split_journeys

__all__ = ["path_variants"]


def path_variants(log, *, top: int | None = 20, collapse_repeats: bool = False, goal=None,
                  by: str = "user", gap="30min") -> pd.DataFrame:
    """The most common paths (sequences of touchpoints) and how their journeys fare.

    Parameters
    ----------
    log : EventLog or pandas.DataFrame
        The events (a DataFrame is read with the default columns).
    top : int or None
        How many variants to return (None: all).
    collapse_repeats : bool
        Merge immediate repeats (``product, product, cart`` becomes ``product, cart``) before comparing.
    goal : str or list of str, optional
        Conversion event(s): adds ``conversions``, ``conversion_rate`` and its Wilson 95% interval.
    by, gap
        What a journey is, as in :func:`journey.journey_graph`.

    Returns
    -------
    pandas.DataFrame
        One row per variant: ``sequence`` (tuple of touchpoints), ``steps``, ``journeys``, ``share`` (of all
        journeys, 0-1), [``conversions``, ``conversion_rate``, ``ci_low``, ``ci_high``], ``median_seconds``
        (median journey duration, first to last event). Sorted by ``journeys`` (descending), then by
        sequence, so ties come out in the same order every time.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": list("aabbc"), "event": ["home", "cart", "home", "cart", "home"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=5, freq="min", tz="UTC")})
    >>> journey.path_variants(df)[["sequence", "journeys"]].values.tolist()
    [[('home', 'cart'), 2], [('home',), 1]]
    """
    if top is not None and (isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1):
        raise JourneyError(f"top must be a positive whole number or None, not {top!r}")
    from ..engine.dask import is_dask

    if is_dask(log):
        return _variants_dask(log, top, collapse_repeats, goal, by, gap)
    journeys, goals, converted, durations, variant, sequences = _variants(as_event_log(log), collapse_repeats, goal,
                                                                          by, gap, strict=True)
    grouped = pd.DataFrame({"variant": variant, "converted": converted, "seconds": durations}).groupby("variant")
    table = pd.DataFrame({
        "sequence": [tuple(journeys.names[c] for c in seq) for seq in sequences],
        "steps": [len(seq) for seq in sequences],
        "journeys": grouped.size().to_numpy(),
        "conversions": grouped["converted"].sum().to_numpy().astype(np.int64),
        "median_seconds": grouped["seconds"].median().to_numpy(),
    })
    return _finish(table, journeys.n_journeys, goal is not None, top)


def _variants(log, collapse_repeats: bool, goal, by: str, gap, strict: bool):
    """Journeys, goal codes, conversion and duration per journey, and each journey's variant."""
    journeys = split_journeys(log, by=by, gap=gap)
    goal_names = [] if goal is None else [goal] if isinstance(goal, (str, int, float)) else list(goal)
    present = goal_names if strict else [g for g in goal_names if str(g) in journeys.names]
    goals = goal_codes(present, journeys.names) if present else np.array([], dtype=np.int32)
    converted = journeys.converted(goals)
    durations = (journeys.time[journeys.ends] - journeys.time[journeys.starts]) / 1e9
    if collapse_repeats:
        journeys = _collapse(journeys)
    variant, sequences = _variant_ids(journeys)
    return journeys, goals, converted, durations, variant, sequences


def _finish(table: pd.DataFrame, n_journeys: int, with_goal: bool, top) -> pd.DataFrame:
    table = table.assign(share=table["journeys"] / n_journeys)
    columns = ["sequence", "steps", "journeys", "share"]
    if with_goal:
        table["conversion_rate"] = table["conversions"] / table["journeys"]
        table["ci_low"], table["ci_high"] = wilson_interval(table["conversions"], table["journeys"])
        columns += ["conversions", "conversion_rate", "ci_low", "ci_high"]
    table = table.assign(_key=table["sequence"].map(lambda s: "\x00".join(s)))
    table = table.sort_values(["journeys", "_key"], ascending=[False, True], kind="stable")
    return (table if top is None else table.head(top))[columns + ["median_seconds"]].reset_index(drop=True)


def _variants_dask(ddf, top, collapse_repeats: bool, goal, by: str, gap) -> pd.DataFrame:
    """Variant counts add up by sequence; median durations come from merged log-spaced histograms."""
    from ..engine.dask import histogram_median, map_user_partitions, time_bins, N_TIME_BINS

    def summarise(log):
        journeys, goals, converted, durations, variant, sequences = _variants(log, collapse_repeats, goal, by, gap,
                                                                              strict=False)
        names = [tuple(journeys.names[c] for c in seq) for seq in sequences]
        cells, counts = np.unique(variant.astype(np.int64) * N_TIME_BINS + time_bins(durations), return_counts=True)
        return (pd.DataFrame({"sequence": names, "journeys": np.bincount(variant, minlength=len(names)),
                              "conversions": np.bincount(variant, weights=converted, minlength=len(names)).astype(np.int64)}),
                pd.DataFrame({"sequence": [names[c // N_TIME_BINS] for c in cells], "bin": cells % N_TIME_BINS,
                              "n": counts}),
                set(log.events))

    parts = [p for p in map_user_partitions(ddf, summarise) if p is not None]
    seen = set().union(*(p[2] for p in parts))
    for g in [] if goal is None else [goal] if isinstance(goal, (str, int, float)) else list(goal):
        if str(g) not in seen:
            raise UnknownEventError("goal", g, sorted(seen))
    table = pd.concat([p[0] for p in parts]).groupby("sequence", sort=False).sum().reset_index()
    table["steps"] = table["sequence"].map(len)
    n_journeys = int(table["journeys"].sum())
    table = _finish(table.assign(median_seconds=np.nan), n_journeys, goal is not None, None)
    shown = table if top is None else table.head(top)
    histograms = pd.concat([p[1] for p in parts])
    histograms = histograms[histograms["sequence"].isin(set(shown["sequence"]))].groupby(["sequence", "bin"])["n"].sum()
    medians = {}
    for sequence, h in histograms.groupby(level=0):
        dense = np.zeros(N_TIME_BINS, dtype=np.int64)
        dense[h.index.get_level_values(1).to_numpy()] = h.to_numpy()
        medians[sequence] = histogram_median(dense)
    return shown.assign(median_seconds=shown["sequence"].map(medians)).reset_index(drop=True)


def _collapse(journeys: Journeys) -> Journeys:
    repeat = np.zeros(len(journeys.events), dtype=bool)
    repeat[1:] = (journeys.events[1:] == journeys.events[:-1]) & (journeys.journey[1:] == journeys.journey[:-1])
    return journeys.subset(~repeat)


def _variant_ids(journeys: Journeys) -> tuple[np.ndarray, list[np.ndarray]]:
    """Variant index of each journey and the code sequence of each variant, exactly (no hashing).

    Journeys of equal length are stacked into a matrix whose distinct rows are the variants.
    """
    lengths = journeys.lengths
    variant = np.empty(journeys.n_journeys, dtype=np.int64)
    sequences: list[np.ndarray] = []
    for length in np.unique(lengths):
        members = np.flatnonzero(lengths == length)
        matrix = journeys.events[journeys.starts[members, None] + np.arange(length)]
        distinct, inverse = np.unique(matrix, axis=0, return_inverse=True)
        variant[members] = len(sequences) + inverse.reshape(-1)
        sequences.extend(distinct)
    return variant, sequences
