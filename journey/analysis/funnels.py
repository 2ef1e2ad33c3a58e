"""Funnels: how many customers go from each step to the next, with intervals and honest censoring.

How a customer moves through the funnel
---------------------------------------
Each event of step 1 starts an *attempt*. ``order="loose"``: step ``k + 1`` is matched at the customer's
first event of that step after the event matched for step ``k`` (other events may come between).
``order="strict"``: step ``k + 1`` must be the customer's very next event. With ``within``, every step
must happen within that time of the attempt's step 1. A customer counts with their deepest attempt (the
earliest one among equally deep attempts).

A customer who stopped at step ``k`` while an attempt of that depth still has its ``within`` window open
at the end of the data has not had the chance to go on: they are *censored* at step ``k``, left out of
that step's conversion rate, not counted as a drop-off. Without ``within`` the window never closes and
nobody is censored: every journey is taken as it is at the end of the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import JourneyError, MissingColumnError, UnknownEventError
from ..io.events import duration_ns, time_ns
from ..stats.intervals import wilson_interval
from ..engine.journeys import as_event_log, goal_codes

__all__ = ["funnel"]

ORDERS = ("loose", "strict")


def funnel(log, steps, *, within=None, order: str = "loose", by: str | None = None) -> pd.DataFrame:
    """Step-by-step conversion of customers through ``steps``, with Wilson 95% intervals.

    Parameters
    ----------
    log : EventLog or pandas.DataFrame
        The events; a journey here is a customer (user).
    steps : list of str
        Two or more touchpoints, in funnel order.
    within : str or pandas.Timedelta, optional
        Conversion window from step 1 (e.g. ``"7D"``). Customers whose window is still open at the end
        of the data and who have not gone on yet are censored, not counted as drop-offs.
    order : {"loose", "strict"}
        ``"loose"``: other events may come between steps; ``"strict"``: each step is the very next event.
    by : str, optional
        A column of the log to segment by; a customer's segment is its value at their step-1 event.

    Returns
    -------
    pandas.DataFrame
        One row per step (and segment): [segment column], ``step`` (1, 2, ...), ``event``, ``entered``
        (customers reaching the step), ``converted`` (of those, reaching the next step), ``censored``,
        ``dropped`` (entered - converted - censored), ``conversion_rate`` = converted / (entered -
        censored), ``ci_low``, ``ci_high`` (Wilson 95%) and ``median_seconds_to_next``. The last step has
        no next step: its conversion columns are empty. Sorted by segment, then step.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": list("aaabbc"),
    ...                    "event": ["home", "cart", "buy", "home", "cart", "home"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=6, freq="h", tz="UTC")})
    >>> f = journey.funnel(df, ["home", "cart", "buy"])
    >>> f[["event", "entered", "converted"]].values.tolist()
    [['home', 3, 2], ['cart', 2, 1], ['buy', 1, <NA>]]
    """
    from ..engine.dask import is_dask

    steps = [steps] if isinstance(steps, str) else list(steps)
    if len(steps) < 2:
        raise JourneyError(f"steps must list at least two touchpoints, not {steps!r}")
    if order not in ORDERS:
        raise JourneyError(f'order must be "loose" or "strict", not {order!r}')
    window = None if within is None else duration_ns(within, "within")
    strict = order == "strict"
    if is_dask(log):
        return _funnel_dask(log, steps, window, strict, by)
    log = as_event_log(log)
    if by is not None and by not in log.frame.columns:
        raise MissingColumnError("segment (by=)", by, [str(c) for c in log.frame.columns])
    for step in steps:
        goal_codes(step, log.events, "steps")  # an unknown step is most often a typo: say so
    data_end = int(time_ns(log.frame["time"]).max())
    parts = [(segment, counts, [float(np.median(g)) if len(g) else np.nan for g in gaps])
             for segment, counts, gaps in _funnel_counts(log, steps, window, strict, by, data_end)]
    return _funnel_table(steps, parts, by)


def _funnel_counts(log, steps, window, strict: bool, by, data_end: int) -> list:
    """Per segment: (segment, (entered, converted, censored) arrays, seconds to the next step per step).

    Counts add up over user-disjoint parts of a log; ``data_end`` is the end of the whole data (censoring).
    A step missing from this part of the log simply matches nothing.
    """
    names = {name: i for i, name in enumerate(log.events)}
    codes = [names.get(str(step), -1) for step in steps]
    events = log.frame["event"].cat.codes.to_numpy()
    users = log.user_codes
    t = time_ns(log.frame["time"])
    best = _best_attempts(_attempts(events, users, t, codes, window, strict), users, t, window, data_end, len(steps))
    if by is None:
        return [(None, *_counts(len(steps), best))]
    labels, segments = pd.factorize(log.frame[by].to_numpy()[best["row"]], use_na_sentinel=False)
    return [(segment, *_counts(len(steps), {k: (v if k == "times" else v[labels == i]) for k, v in best.items()}))
            for i, segment in enumerate(segments)]


def _counts(n: int, best: dict) -> tuple:
    depth, censored, rows, times = best["depth"], best["censored"], best["step_rows"], best["times"]
    entered = np.array([(depth >= k + 1).sum() for k in range(n)], dtype=np.int64)
    converted = np.array([(depth >= k + 2).sum() for k in range(n - 1)], dtype=np.int64)
    stopped_censored = np.array([((depth == k + 1) & censored).sum() for k in range(n - 1)], dtype=np.int64)
    gaps = [(times[rows[rows[:, k + 1] >= 0, k + 1]] - times[rows[rows[:, k + 1] >= 0, k]]) / 1e9 for k in range(n - 1)]
    return (entered, converted, stopped_censored), gaps


def _funnel_table(steps, parts: list, by) -> pd.DataFrame:
    tables = []
    for segment, (entered, converted, censored), medians in parts:
        table = _step_table(steps, entered, converted, censored, medians)
        if by is not None:
            table.insert(0, by, segment)
        tables.append(table)
    table = pd.concat(tables, ignore_index=True)
    if by is None:
        return table
    return table.sort_values([by, "step"], kind="stable", na_position="last", ignore_index=True)


def _funnel_dask(ddf, steps, window, strict: bool, by) -> pd.DataFrame:
    """Counts add up over user-shuffled partitions; median times come from merged log-spaced histograms."""
    from ..engine.dask import N_TIME_BINS, canonical, compute, histogram_median, map_user_partitions, time_bins

    ddf = canonical(ddf)
    if by is not None and by not in ddf.columns:
        raise MissingColumnError("segment (by=)", by, [str(c) for c in ddf.columns])
    data_end, present = compute(ddf["time"].max(), ddf["event"].unique())
    for step in steps:
        if str(step) not in set(present):
            raise UnknownEventError("steps", step, sorted(present))

    def summarise(log):
        return [(segment, counts, [np.bincount(time_bins(g), minlength=N_TIME_BINS) for g in gaps])
                for segment, counts, gaps in _funnel_counts(log, steps, window, strict, by, int(data_end.value))]

    merged: dict = {}
    for part in (p for p in map_user_partitions(ddf, summarise) if p is not None):
        for segment, counts, histograms in part:
            key = "\x00nan" if pd.isna(segment) and segment is not None else segment
            if key in merged:
                old_counts, old_histograms = merged[key][1:]
                counts = tuple(a + b for a, b in zip(old_counts, counts))
                histograms = [a + b for a, b in zip(old_histograms, histograms)]
            merged[key] = (segment, counts, histograms)
    parts = [(segment, counts, [histogram_median(h) for h in histograms]) for segment, counts, histograms in merged.values()]
    return _funnel_table(steps, parts, by)


def _attempts(events, users, t, codes, window, strict: bool) -> dict:
    """Match every attempt (each step-1 event) as deep as it goes: the row of each matched step (-1: none)."""
    first = np.flatnonzero(events == codes[0])
    step_rows = np.full((len(first), len(codes)), -1, dtype=np.int64)
    step_rows[:, 0] = first
    alive, current = np.arange(len(first)), first
    for k, code in enumerate(codes[1:], start=1):
        if strict:
            nxt = np.minimum(current + 1, len(events) - 1)
            ok = (current + 1 < len(events)) & (events[nxt] == code)
        else:
            candidates = np.flatnonzero(events == code)
            at = np.searchsorted(candidates, current, side="right")
            ok = at < len(candidates)
            nxt = candidates[np.minimum(at, len(candidates) - 1)] if len(candidates) else current
        ok &= users[nxt] == users[current]
        if window is not None:
            ok &= t[nxt] <= t[first[alive]] + window
        alive, current = alive[ok], nxt[ok]
        step_rows[alive, k] = current
    return {"rows": step_rows, "depth": (step_rows >= 0).sum(axis=1)}


def _best_attempts(attempts: dict, users, t, window, data_end: int, n_steps: int) -> dict:
    """Per customer: the deepest attempt (earliest among ties), and whether that depth is censored."""
    rows, depth = attempts["rows"], attempts["depth"]
    user = users[rows[:, 0]]
    frame = pd.DataFrame({"user": user, "depth": depth})
    deepest = frame.groupby("user", sort=False)["depth"].transform("max").to_numpy()
    at_max = depth == deepest
    first = pd.Series(np.arange(len(depth)))[at_max].groupby(user[at_max], sort=False).first().to_numpy()
    if window is None:
        censored = np.zeros(len(first), dtype=bool)
    else:
        open_window = (t[rows[:, 0]] + window > data_end) & (depth < n_steps) & at_max
        censored = pd.Series(open_window).groupby(user, sort=False).any().to_numpy()
    return {"row": rows[first, 0], "depth": depth[first], "censored": censored, "step_rows": rows[first], "times": t}


def _step_table(steps, entered, converted, censored, medians) -> pd.DataFrame:
    at_risk = entered[:-1] - censored
    low, high = wilson_interval(converted, at_risk)
    return pd.DataFrame({
        "step": np.arange(1, len(steps) + 1),
        "event": list(steps),
        "entered": entered,
        "converted": pd.array([*converted, pd.NA], dtype="Int64"),
        "censored": pd.array([*censored, pd.NA], dtype="Int64"),
        "dropped": pd.array([*(at_risk - converted), pd.NA], dtype="Int64"),
        "conversion_rate": np.append(np.where(at_risk > 0, converted / np.maximum(at_risk, 1), np.nan), np.nan),
        "ci_low": np.append(low, np.nan),
        "ci_high": np.append(high, np.nan),
        "median_seconds_to_next": np.append(medians, np.nan),
    })
