"""Funnels: how many customers go from each step to the next, with intervals and honest censoring."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..engine.core import Analysis, run, segment_value, span_codes
from ..engine.partials import Keyed, Parts, timings
from ..errors import JourneyError, option
from ..io.aliases import Duration, StepOrder
from ..io.events import EventLog, LogLike, duration_ns
from ..io.facts import Facts
from ..stats.intervals import wilson_interval
from ..stats.proportions import ProportionResult
from ..stats.results import ConfidenceInterval, TableResult, check_level, format_value

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..plot.funnels import FunnelView

__all__ = ["funnel", "Funnel", "plot_funnel", "FunnelAnalysis"]

STEP_ORDERS = ("loose", "strict")


def funnel(
    log: LogLike,
    steps: Iterable[str],
    *,
    within: Duration | None = None,
    step_order: StepOrder = "loose",
    by: str | None = None,
    level: float = 0.95,
) -> Funnel:
    """Step-by-step conversion of customers through ``steps``, with Wilson score intervals.

    Parameters
    ----------
    log : EventLog, pandas.DataFrame or a log on Dask
        The events; a journey here is everything one customer (user) did.
    steps : list of str
        Two or more touchpoints, in funnel order.
    within : str or pandas.Timedelta, optional
        Conversion window from step 1 (``"7D"``, ``"24h"``): every later step must happen within this
        time of the attempt's step-1 event. Customers whose window is still open at the end of the data
        are censored (see Notes). Without it the window never closes and nobody is censored.
    step_order : {"loose", "strict"}
        ``"loose"``: other events may come between two steps; ``"strict"``: each step must be the
        customer's very next event.
    by : str, optional
        A segment column of the log; a customer's segment is its value at the step-1 event of the
        customer's counted attempt. Missing values form a segment of their own.
    level : float
        Confidence level of the intervals, a share (0.95 for 95%).

    Returns
    -------
    Funnel
        The step table (see :class:`Funnel`) and ``overall``, the share of customers completing the
        last step (censored customers left out, see Notes).

    Raises
    ------
    JourneyError
        Fewer than two steps, an unknown ``step_order``, a ``within`` that is not a positive duration,
        or a ``level`` outside (0, 1).
    UnknownEventError
        A step that never occurs in the log (most often a typo; the message suggests the closest name).
    MissingColumnError
        A ``by`` column that is not in the log.

    See Also
    --------
    drop_off : where journeys end without converting, whatever path they took.
    plot_funnel : the step-to-step conversion bars with their intervals.

    Notes
    -----
    Each event of step 1 starts an *attempt*. With ``step_order="loose"`` step ``k + 1`` is matched at
    the customer's first event of that step after the event matched for step ``k``; with ``"strict"``
    it must be the very next event. With ``within``, every step must happen within that time of the
    attempt's step 1. A customer counts once, with their deepest attempt (the earliest among equally
    deep ones).

    *Censoring* with ``within``: an attempt whose step 1 is less than ``within`` before the end of the
    data (the log's last event) has not had its whole window observed. Such an attempt is left out
    whether or not it has already gone on, and a customer whose every attempt is still open is
    *censored*: shown in ``entered`` and ``censored`` at each step their attempt has reached so far, but
    left out of every rate (numerator and denominator), of ``overall`` and of the times to the next step.
    Who is censored thus depends on the step-1 times alone, never on what the customer did next: when
    customers behave alike whenever they start, each rate is an unbiased estimate of the chance of going
    on within ``within`` (counting a customer whose window is open once they have converted, and leaving
    them out until then, would bias it upward). Without ``within`` nobody is censored: every journey is
    taken as it is at the end of the data.

    The conversion rate of step ``k`` is ``converted / at_risk``, the uncensored customers reaching step
    ``k + 1`` out of the uncensored customers reaching step ``k`` (``at_risk = entered - censored``); its
    interval is the Wilson score interval [1]_. ``overall`` is the number of uncensored customers who
    completed the last step out of the uncensored customers who entered step 1.

    References
    ----------
    .. [1] E. B. Wilson (1927), "Probable inference, the law of succession, and statistical inference",
       Journal of the American Statistical Association 22(158), 209-212.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": list("aaabbc"),
    ...                    "event": ["home", "cart", "buy", "home", "cart", "home"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=6, freq="h", tz="UTC")})
    >>> f = journey.funnel(df, ["home", "cart", "buy"])
    >>> f.to_frame()[["touchpoint", "entered", "converted", "conversion_rate"]]
      touchpoint  entered  converted  conversion_rate
    0       home        3          2         0.666667
    1       cart        2          1         0.500000
    2        buy        1       <NA>              NaN
    >>> print(f"{f.overall.proportion:.3f}")
    0.333
    """
    return run(FunnelAnalysis(steps=steps, within=within, step_order=step_order, by=by, level=level), log)


@dataclass(frozen=True, repr=False, eq=False)
class Funnel(TableResult):
    """The result of :func:`journey.funnel`: customers through each step, with intervals.

    Attributes
    ----------
    steps : tuple of str
        The funnel's touchpoints, in order.
    overall : ProportionResult
        Customers not censored who completed the last step, out of the customers not censored who entered
        step 1 (over all segments).
    by : str or None
        The segment column, or None.
    level : float
        Confidence level of the intervals.
    step_order : {"loose", "strict"}
        How the steps had to follow each other.
    within : pandas.Timedelta or None
        The conversion window from step 1, or None.
    n_censored : int
        Customers censored because every attempt of theirs still has its window open at the end of the
        data (all segments; 0 without ``within``): left out of every rate and of ``overall``.

    Notes
    -----
    :meth:`to_frame` has one row per step (and segment): [the ``by`` column], ``step`` (1, 2, ...),
    ``touchpoint``, ``entered`` (customers reaching the step), ``censored`` (of those, customers whose every
    attempt still has its window open at the end of the data, see :func:`funnel`), ``at_risk``
    (``entered - censored``), ``converted`` (of those at risk, customers reaching the next step), ``dropped``
    (``at_risk - converted``), ``conversion_rate`` (``converted / at_risk``, a share 0-1), ``ci_low``,
    ``ci_high`` (its Wilson interval) and ``median_seconds_to_next`` (of the customers not censored). The
    last step has no next step: its conversion columns are empty. Sorted by segment (missing last), then
    step. The headline gives the number of censored customers when there are any.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": list("aabbc"), "event": ["home", "cart", "home", "cart", "home"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=5, freq="h", tz="UTC")})
    >>> journey.funnel(df, ["home", "cart"])   # doctest: +NORMALIZE_WHITESPACE
    Funnel: home → cart: 66.7% of customers reach the last step (95% CI 20.8% to 93.9%, n = 3)
     step touchpoint entered censored at_risk converted dropped conversion_rate ci_low ci_high median_seconds_to_next
        1       home       3        0       3         2       1           66.7%  20.8%   93.9%                  1h 00m
        2       cart       2        0       –         –       –               –      –       –                       –
    """

    _table: pd.DataFrame
    steps: tuple[str, ...]
    overall: ProportionResult
    by: str | None
    level: float
    step_order: StepOrder = "loose"
    within: pd.Timedelta | None = None

    _successes = "converted"
    _trials = "at_risk"
    _formats = {
        "entered": "count",
        "censored": "count",
        "at_risk": "count",
        "converted": "count",
        "dropped": "count",
        "conversion_rate": "share",
        "ci_low": "share",
        "ci_high": "share",
        "median_seconds_to_next": "seconds",
    }

    @property
    def n_censored(self) -> int:
        """Customers censored (every attempt's window still open at the end of the data), all segments."""
        return int(self._table.loc[self._table["step"] == 1, "censored"].sum())

    def confidence_interval(self, level: float | None = None, method: str | None = None) -> ConfidenceInterval:
        """Interval of each step's conversion rate, as arrays aligned with the rows of :meth:`to_frame`.

        Parameters
        ----------
        level : float, optional
            Confidence level; the result's own ``level`` when not given.
        method : {"wilson", "exact", "jeffreys"}, optional
            Wilson score (the default), Clopper-Pearson or Jeffreys, from ``converted`` and ``at_risk``.

        Returns
        -------
        ConfidenceInterval
            ``low`` and ``high``, shares (0-1); NaN for the last step, which has no next step.

        Examples
        --------
        >>> import pandas as pd, journey
        >>> df = pd.DataFrame({"user_id": list("aabbc"), "event": ["home", "cart", "home", "cart", "home"],
        ...                    "timestamp": pd.date_range("2025-01-01", periods=5, freq="h", tz="UTC")})
        >>> low, high = journey.funnel(df, ["home", "cart"]).confidence_interval(method="exact")
        >>> print(f"{low[0]:.4f} {high[0]:.4f}", high[1])
        0.0943 0.9916 nan
        """
        low, high = super().confidence_interval(level, method)
        last = self._table[self._trials].isna().to_numpy()
        return ConfidenceInterval(np.where(last, np.nan, low), np.where(last, np.nan, high))

    def plot(self, ax: Axes | None = None, *, view: FunnelView = "cumulative", **kwargs: Any) -> Axes:
        """The funnel as bars with their intervals: reach from step 1 (falling bars), or step to step.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when not given.
        view : {"cumulative", "step"}
            ``"cumulative"``: at each step, the share of the customers entering step 1 who reach it
            (``converted`` of the step before out of ``at_risk`` of step 1, censored customers left out);
            ``"step"``: each step's conversion to the next (``conversion_rate``). Every bar has its Wilson
            interval and says how many of how many; with ``by``, one bar per segment, side by side.
        **kwargs
            Passed to :meth:`matplotlib.axes.Axes.bar` (``color``, ``alpha``, ...).

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        JourneyError
            An unknown ``view``.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import pandas as pd, journey
        >>> df = pd.DataFrame({"user_id": list("aabbc"), "event": ["home", "cart", "home", "cart", "home"],
        ...                    "timestamp": pd.date_range("2025-01-01", periods=5, freq="h", tz="UTC")})
        >>> f = journey.funnel(df, ["home", "cart"])
        >>> [t.get_text() for t in f.plot().texts]
        ['100%\\n3 of 3', '67%\\n2 of 3']
        >>> [t.get_text() for t in f.plot(view="step").get_xticklabels()]
        ['home →\\ncart']
        """
        from ..plot.funnels import FUNNEL_VIEWS, funnel_bars

        if view not in FUNNEL_VIEWS:
            raise JourneyError(
                f'{option("view")} must be "cumulative" (the share of step 1 reaching each step) or "step" '
                f"(conversion from each step to the next), not {view!r}"
            )
        table = self._table
        if view == "step":
            rows = table[table["at_risk"].notna()]
            k, n = rows["converted"], rows["at_risk"]
            labels = [f"{a} →\n{self.steps[s]}" for a, s in zip(rows["touchpoint"], rows["step"])]
        else:
            rows = table
            segment = (table["step"] == 1).cumsum()  # rows run by segment, each from step 1
            n = table["at_risk"].where(table["step"] == 1).groupby(segment).transform("first")
            k = table["converted"].groupby(segment).shift(1).where(table["step"] > 1, table["at_risk"])
            labels = [f"{s}. {t}" for s, t in zip(table["step"], table["touchpoint"])]
        k, n = k.astype("Float64").fillna(0).to_numpy(dtype=float), n.astype("Float64").fillna(0).to_numpy(dtype=float)
        low, high = wilson_interval(k, n, self.level)
        bars = pd.DataFrame(
            {
                "segment": rows[self.by].to_numpy() if self.by is not None else None,
                "label": labels,
                "k": k,
                "n": n,
                "rate": np.divide(k, n, out=np.full(len(k), np.nan), where=n > 0),
                "ci_low": low,
                "ci_high": high,
            }
        )
        return funnel_bars(bars, segment=self.by, level=self.level, view=view, first=self.steps[0], ax=ax, **kwargs)

    def _headline(self) -> str:
        k, n = self.overall.k, self.overall.n
        low, high = wilson_interval([k], [n], self.level)
        left_out = f"; {self.n_censored:,} censored (window still open)" if self.n_censored else ""
        return (
            f"{format_value(self.steps)}: {format_value(self.overall.proportion, 'share')} of customers "
            f"reach the last step ({self.level * 100:g}% CI {format_value(low[0], 'share')} to "
            f"{format_value(high[0], 'share')}, n = {n:,}){left_out}"
        )


def plot_funnel(result: Funnel, *, ax: Axes | None = None, view: FunnelView = "cumulative", **kwargs: Any) -> Axes:
    """Draw a :func:`journey.funnel` result as bars with their intervals: reach from step 1, or step to step.

    Parameters
    ----------
    result : Funnel
        What :func:`journey.funnel` returns.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.
    view : {"cumulative", "step"}
        The share of step 1 reaching each step (falling bars, the default), or each step's conversion to
        the next (see :meth:`Funnel.plot`).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.bar`.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    JourneyError
        ``result`` is not a :class:`Funnel` (a DataFrame, for instance), or an unknown ``view``.

    See Also
    --------
    Funnel.plot : the same picture, as a method.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": list("aabbc"), "event": ["home", "cart", "home", "cart", "home"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=5, freq="h", tz="UTC")})
    >>> journey.plot_funnel(journey.funnel(df, ["home", "cart"]), view="step").get_title()
    'Funnel: conversion from each step to the next'
    """
    if not isinstance(result, Funnel):
        raise JourneyError(f"plot_funnel draws the result of journey.funnel(...), not a {type(result).__name__}")
    return result.plot(ax=ax, view=view, **kwargs)


class FunnelAnalysis(Analysis):
    """Per segment and step: customers entered, converted and censored; times to the next step."""

    def __init__(
        self, *, steps: Iterable[str], within: Duration | None, step_order: StepOrder, by: str | None, level: float
    ) -> None:
        steps = [steps] if isinstance(steps, str) else list(steps)
        if len(steps) < 2:
            raise JourneyError(f"steps must list at least two touchpoints, not {steps!r}")
        if step_order not in STEP_ORDERS:
            raise JourneyError(
                f'{option("step_order")} must be "loose" (other events may come between steps) '
                f'or "strict" (each step the very next event), not {step_order!r}'
            )
        self.steps, self.by, self.step_order = [str(s) for s in steps], by, step_order
        self.within = None if within is None else pd.Timedelta(duration_ns(within, "within"))
        self.level = check_level(level)

    def prepare(self, facts: Facts) -> None:
        facts.require_column(self.by, "by", "segment")
        facts.require_events(self.steps, "steps")  # an unknown step is most often a typo: say so

    def partial(self, log: EventLog, facts: Facts) -> Parts:
        n = len(self.steps)
        names = {name: i for i, name in enumerate(log.events)}
        codes = [names.get(step, -1) for step in self.steps]  # a step missing from this part matches nothing
        users, t = log.user_codes, log.time_ns
        window = None if self.within is None else int(self.within.value)
        best = _counted_attempts(
            _attempts(log.event_codes, users, t, codes, window, self.step_order == "strict"),
            users,
            t,
            window,
            facts.end_ns,
        )
        segment = np.zeros(len(best["row"]), dtype=np.int64)
        index = pd.Index([_ALL], dtype=object)
        if self.by is not None:
            segment, index = span_codes(log.column(self.by)[best["row"]])
        depth, censored, rows = best["depth"], best["censored"], best["step_rows"]
        s = len(index)
        reached = depth[:, None] >= np.arange(1, n + 1)[None, :]  # customer x step
        cells = (np.broadcast_to(segment[:, None], reached.shape), np.broadcast_to(np.arange(n), reached.shape))
        entered = np.zeros((s, n), dtype=np.int64)
        stopped = np.zeros((s, n), dtype=np.int64)
        np.add.at(entered, cells, reached)
        np.add.at(stopped, cells, reached & censored[:, None])
        # Times from each step to the next, keyed by (segment, step), of the customers who are not censored:
        # a censored customer's times so far are the quick ones only.
        keys = pd.Index([(v, k) for v in index for k in range(n - 1)], dtype=object, tupleize_cols=False)
        went_on = (rows[:, 1:] >= 0) & ~censored[:, None]
        who, step = np.nonzero(went_on)
        gaps = t[rows[who, step + 1]] - t[rows[who, step]]
        return Parts(
            counts=Keyed(index, {"entered": entered, "censored": stopped}),
            times=timings(keys, segment[who] * (n - 1) + step, gaps, facts.exact),
        )

    def finish(self, total: Parts, facts: Facts) -> Funnel:
        counts, times = total["counts"], total["times"]
        n = len(self.steps) - 1
        wanted = pd.Index([(v, k) for v in counts.index for k in range(n)], dtype=object, tupleize_cols=False)
        medians = pd.Series(times.medians(), index=times.index).reindex(wanted).to_numpy().reshape(-1, n)
        table = _step_table(self.steps, counts.values["entered"], counts.values["censored"], medians, self.level)
        if self.by is not None:
            segments = np.repeat(np.array([segment_value(v) for v in counts.index], dtype=object), len(self.steps))
            table.insert(0, self.by, pd.Series(segments).infer_objects())
        if self.by is not None:
            table = table.sort_values([self.by, "step"], kind="stable", na_position="last", ignore_index=True)
        evaluable = counts.values["entered"].sum(axis=0) - counts.values["censored"].sum(axis=0)
        overall = ProportionResult(int(evaluable[-1]), int(evaluable[0]))
        return Funnel(table, tuple(self.steps), overall, self.by, self.level, self.step_order, self.within)


_ALL = "all customers"


def _attempts(
    events: np.ndarray, users: np.ndarray, t: np.ndarray, codes: list[int], window: int | None, strict: bool
) -> dict[str, np.ndarray]:
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


def _counted_attempts(
    attempts: dict[str, np.ndarray], users: np.ndarray, t: np.ndarray, window: int | None, data_end: int
) -> dict[str, np.ndarray]:
    """Per customer: the attempt that counts, and whether the customer is censored (see funnel's Notes).

    With a window, an attempt is closed when its step-1 event is at least the window before the end of the
    data, whatever happened after it. A customer with a closed attempt counts with the deepest closed one
    (the earliest among ties); a customer with none is censored and shown with their deepest attempt so far.
    Who counts depends on step-1 times only, never on what the customer did next.
    """
    rows, depth = attempts["rows"], attempts["depth"]
    user = users[rows[:, 0]]
    if window is None:
        closed = np.ones(len(depth), dtype=bool)
    else:
        closed = t[rows[:, 0]] + window <= data_end
    frame = pd.DataFrame({"user": user, "closed": closed})
    evaluable = frame.groupby("user", sort=False)["closed"].transform("any").to_numpy()
    counts = closed | ~evaluable
    ranked = np.where(counts, depth, -1)
    deepest = pd.Series(ranked).groupby(user, sort=False).transform("max").to_numpy()
    at_max = counts & (ranked == deepest)
    first = pd.Series(np.arange(len(depth)))[at_max].groupby(user[at_max], sort=False).first().to_numpy()
    return {"row": rows[first, 0], "depth": depth[first], "censored": ~evaluable[first], "step_rows": rows[first]}


def _step_table(
    steps: list[str], entered: np.ndarray, censored: np.ndarray, medians: np.ndarray, level: float
) -> pd.DataFrame:
    """The step rows of every segment at once: ``entered``, ``censored`` are segment x step, ``medians``
    segment x (step - 1); rows segment by segment, then step.
    """
    s, n = entered.shape
    at_risk = entered[:, :-1] - censored[:, :-1]
    converted = entered[:, 1:] - censored[:, 1:]  # the customers at risk at a step who reached the next one
    low, high = wilson_interval(converted, at_risk, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(at_risk > 0, converted / np.maximum(at_risk, 1), np.nan)

    def to_next(values: np.ndarray, dtype: str | None = None) -> Any:
        """Per step, with nothing for the last step, which has no next one."""
        padded = np.column_stack([values.astype(float), np.full(s, np.nan)]).ravel()
        return padded if dtype is None else pd.array(padded, dtype=dtype)

    return pd.DataFrame(
        {
            "step": np.tile(np.arange(1, n + 1), s),
            "touchpoint": np.tile(np.array(steps, dtype=object), s),
            "entered": entered.ravel(),
            "censored": censored.ravel(),
            "at_risk": to_next(at_risk, "Int64"),
            "converted": to_next(converted, "Int64"),
            "dropped": to_next(at_risk - converted, "Int64"),
            "conversion_rate": to_next(rate),
            "ci_low": to_next(low),
            "ci_high": to_next(high),
            "median_seconds_to_next": to_next(medians),
        }
    )
