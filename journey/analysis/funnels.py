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

from ..errors import JourneyError
from ..io.events import duration_ns
from ..stats.intervals import wilson_interval
from ..engine.core import Analysis, run, segment_value, span_codes
from ..io.facts import Facts
from ..engine.partials import Keyed, Parts, timings

__all__ = ["funnel", "FunnelAnalysis"]

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
    return run(FunnelAnalysis(steps=steps, within=within, order=order, by=by), log)


class FunnelAnalysis(Analysis):
    """Per segment and step: customers entered, converted and censored; times to the next step."""

    def __init__(self, *, steps, within, order: str, by: str | None):
        steps = [steps] if isinstance(steps, str) else list(steps)
        if len(steps) < 2:
            raise JourneyError(f"steps must list at least two touchpoints, not {steps!r}")
        if order not in ORDERS:
            raise JourneyError(f'order must be "loose" or "strict", not {order!r}')
        self.steps, self.by, self.strict = steps, by, order == "strict"
        self.window = None if within is None else duration_ns(within, "within")

    def prepare(self, facts: Facts) -> None:
        facts.require_column(self.by, "by", "segment")
        facts.require_events(self.steps, "steps")  # an unknown step is most often a typo: say so

    def partial(self, log, facts: Facts) -> Parts:
        n = len(self.steps)
        names = {name: i for i, name in enumerate(log.events)}
        codes = [names.get(str(step), -1) for step in self.steps]  # a step missing from this part matches nothing
        users, t = log.user_codes, log.time_ns
        best = _best_attempts(_attempts(log.event_codes, users, t, codes, self.window, self.strict), users, t,
                              self.window, facts.end_ns, n)
        segment = np.zeros(len(best["row"]), dtype=np.int64)
        index = pd.Index([_ALL], dtype=object)
        if self.by is not None:
            segment, index = span_codes(log.column(self.by)[best["row"]])
        depth, censored, rows = best["depth"], best["censored"], best["step_rows"]
        s = len(index)
        entered = np.zeros((s, n), dtype=np.int64)
        converted = np.zeros((s, n - 1), dtype=np.int64)
        stopped = np.zeros((s, n - 1), dtype=np.int64)
        np.add.at(entered, (segment[:, None], np.arange(n)[None, :]), depth[:, None] >= np.arange(1, n + 1)[None, :])
        np.add.at(converted, (segment[:, None], np.arange(n - 1)[None, :]), depth[:, None] >= np.arange(2, n + 1)[None, :])
        np.add.at(stopped, (segment[:, None], np.arange(n - 1)[None, :]),
                  (depth[:, None] == np.arange(1, n)[None, :]) & censored[:, None])
        # Times from each step to the next, keyed by (segment, step).
        keys = pd.Index([(v, k) for v in index for k in range(n - 1)], dtype=object, tupleize_cols=False)
        went_on = rows[:, 1:] >= 0
        who, step = np.nonzero(went_on)
        gaps = t[rows[who, step + 1]] - t[rows[who, step]]
        return Parts(counts=Keyed(index, {"entered": entered, "converted": converted, "censored": stopped}),
                     times=timings(keys, segment[who] * (n - 1) + step, gaps, facts.exact))

    def finish(self, total: Parts, facts: Facts) -> pd.DataFrame:
        counts, times = total["counts"], total["times"]
        n = len(self.steps) - 1
        wanted = pd.Index([(v, k) for v in counts.index for k in range(n)], dtype=object, tupleize_cols=False)
        medians = pd.Series(times.medians(), index=times.index).reindex(wanted).to_numpy().reshape(-1, n)
        tables = []
        for i, segment in enumerate(counts.index):
            steps_medians = list(medians[i])
            table = _step_table(self.steps, counts.values["entered"][i], counts.values["converted"][i],
                                counts.values["censored"][i], steps_medians)
            if self.by is not None:
                table.insert(0, self.by, segment_value(segment))
            tables.append(table)
        table = pd.concat(tables, ignore_index=True)
        if self.by is None:
            return table
        return table.sort_values([self.by, "step"], kind="stable", na_position="last", ignore_index=True)


_ALL = "all customers"


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
