"""Funnels: how many customers go from each step to the next, with intervals and honest censoring."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from ..engine.core import Analysis, run, segment_value, span_codes
from ..engine.journeys import distinct
from ..engine.partials import Keyed, Parts, timings
from ..errors import JourneyError, option
from ..io.aliases import Duration, StepOrder
from ..io.events import EventLog, LogLike, duration_ns, user_starts
from ..io.facts import Facts
from ..stats.intervals import wilson_interval
from ..stats.proportions import ProportionResult
from ..stats.results import ConfidenceInterval, TableResult, check_level, format_value

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..plot.funnels import FunnelView
    from .conversion_time import TimeToConvert

__all__ = ["funnel", "Funnel", "Step", "plot_funnel", "FunnelAnalysis", "Windows"]

STEP_ORDERS = ("sequential", "strict", "any")

#: Conversion windows: one for the whole funnel, a list with one per step after the first, or a dict
#: from a step (its touchpoint, or its number from 1) to its window.
Windows: TypeAlias = Duration | Sequence[Duration | None] | Mapping[Any, Duration | None]


@dataclass(frozen=True)
class Step:
    """One step of a funnel, when it is more than a touchpoint: optional, with its own window or exclusions.

    Parameters
    ----------
    touchpoint : str
        The event of the step.
    optional : bool
        Customers may skip it: the funnel goes on to the next step without it (see :func:`funnel`).
        The first and the last step cannot be optional.
    within : str or pandas.Timedelta, optional
        This step must happen within this time of the previous required step's event.
    exclude : str or list of str
        Events that end the attempt when they come between the previous required step and this one.

    Examples
    --------
    >>> from journey.analysis.funnels import Step
    >>> Step("coupon", optional=True)
    Step(touchpoint='coupon', optional=True, within=None, exclude=())
    """

    touchpoint: str
    optional: bool = False
    within: Duration | None = None
    exclude: str | Sequence[str] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.optional, (bool, np.bool_)):
            raise JourneyError(f"Step({self.touchpoint!r}, optional=...) is True or False, not {self.optional!r}")
        object.__setattr__(self, "touchpoint", str(self.touchpoint))


def funnel(
    log: LogLike,
    steps: Iterable[str | Step],
    *,
    within: Windows | None = None,
    step_order: StepOrder = "sequential",
    exclude: str | Iterable[str] | None = None,
    by: str | None = None,
    level: float = 0.95,
) -> Funnel:
    """Step-by-step conversion of customers through ``steps``, with Wilson score intervals.

    Parameters
    ----------
    log : EventLog, pandas.DataFrame or a log on Dask
        The events; a journey here is everything one customer (user) did.
    steps : list of str or Step
        Two or more steps, in funnel order (any number): touchpoints, or :class:`journey.Step` for a step
        that is optional or has its own window or exclusions (``journey.Step("coupon", optional=True)``).
    within : str, pandas.Timedelta, list or dict, optional
        Conversion windows. One duration (``"7D"``, ``"24h"``) is the window from step 1: every later step
        must happen within this time of the attempt's step-1 event. A list gives one window per step after
        the first (None: none for that step), a dict maps steps (touchpoints, or step numbers from 1) to
        theirs: each step must then happen within its window of the previous required step's event (as
        ``Step(within=)`` says). Customers whose window is still open at the end of the data are
        censored (see Notes). Without any window nobody is censored.
    step_order : {"sequential", "strict", "any"}
        ``"sequential"``: the steps in order, other events may come between them; ``"strict"``: each step
        the customer's very next event; ``"any"``: every step, in any order. ``"loose"``, the old name of
        ``"sequential"``, still works and warns.
    exclude : str or list of str, optional
        Events that end an attempt when they come between two required steps (any two: from step 1 to the
        last). ``Step(exclude=)`` limits an exclusion to the gap before that step.
    by : str, optional
        A segment column of the log (``log.with_period("M")`` adds ``period``); a customer's segment is
        its value at the first event of the customer's counted attempt. Missing values form a segment of
        their own.
    level : float
        Confidence level of the intervals, a share (0.95 for 95%).

    Returns
    -------
    Funnel
        The step table (see :class:`Funnel`), ``overall`` (the share of customers completing the last
        step, censored customers left out, see Notes) and :meth:`Funnel.time_to_convert`.

    Raises
    ------
    JourneyError
        Fewer than two steps, an unknown ``step_order``, a window that is not a positive duration, an
        optional first or last step, an excluded event that is a step, or options that ``step_order``
        cannot honour: with ``"any"`` no optional steps, per-step windows or per-step exclusions and no
        repeated touchpoint; with ``"strict"`` no exclusions (nothing comes between two steps).
    UnknownEventError
        A step or an excluded event that never occurs in the log (most often a typo; the message suggests
        the closest name).
    MissingColumnError
        A ``by`` column that is not in the log.

    See Also
    --------
    compare_funnels : each segment's funnel against a baseline's, with tests.
    drop_off : where journeys end without converting, whatever path they took.
    plot_funnel : the step-to-step conversion bars with their intervals.

    Notes
    -----
    Each event of step 1 starts an *attempt* (with ``"any"``, each event of any step). Matching, with
    ``p`` and ``q`` two consecutive *required* (not optional) steps:

    * ``"sequential"``: ``q`` is matched at the customer's first event of ``q`` after the event matched
      for ``p``. It must be within ``within`` of the attempt's step 1 and within its own window of ``p``'s
      event. An *excluded* event (``exclude=``, or ``q``'s ``Step(exclude=)``) after ``p``'s event and
      before that ``q`` ends the attempt at ``p``: the customer counts as having reached ``p`` and
      dropped there. (PostHog removes such customers from the whole funnel instead; here they are a
      drop-off at that step, so excluding does not raise the conversion of the steps before.)
    * ``"strict"``: ``q`` must be the very next event after ``p``'s (or after the optional steps taken
      in between), with the same windows.
    * ``"any"``: step ``k`` is reached when each of steps 1 to ``k`` occurs at or after the attempt's
      first event, within ``within`` of it and before the first excluded event after it; it is reached
      at the time the last of them occurs. An attempt that never does step 1 is not an attempt.

    An *optional* step ``o`` between ``p`` and ``q`` never changes how ``p`` and ``q`` are matched. It is
    taken when its event occurs after ``p``'s event (and after the optional step taken before it, if
    any) and before ``q``'s matched event (when ``q`` is not reached: before the attempt ended, at an
    excluded event or at the customer's last event), within ``within`` of step 1 and within its own
    window of ``p``'s event; with ``"strict"``, when it is the very next event. The conversion of a step
    goes to the next *required* step (column ``next``): ``p``'s rate is the share of customers at ``p``
    reaching ``q`` whether or not they took ``o``, and ``o``'s the share of those taking ``o`` who
    reach ``q``. A customer counts once, with their deepest attempt (most required steps; the earliest
    among equally deep ones).

    *Censoring*: an attempt's *horizon* is ``within`` (one overall window), else the sum of every
    required step's own window when they all have one (the latest the last step can come), the smaller
    of the two when both are given. An attempt whose start is less than the horizon before the end of
    the data (the log's last event) has not had its whole window observed. Such an attempt is left out
    whether or not it has already gone on, and a customer whose every attempt is still open is
    *censored*: shown in ``entered`` and ``censored`` at each step their attempt has reached so far, but
    left out of every rate (numerator and denominator), of ``overall`` and of the times to the next step.
    Who is censored thus depends on start times alone, never on what the customer did next: when
    customers behave alike whenever they start, each rate is an unbiased estimate of the chance of going
    on within the windows (counting a customer whose window is open once they have converted, and
    leaving them out until then, would bias it upward). Without a horizon nobody is censored: every
    journey is taken as it is at the end of the data.

    The conversion rate of step ``k`` is ``converted / at_risk``, the uncensored customers reaching its
    next step out of the uncensored customers reaching step ``k`` (``at_risk = entered - censored``);
    its interval is the Wilson score interval [1]_. ``overall`` is the number of uncensored customers who
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

    An optional step, and an event that ends an attempt:

    >>> df = pd.DataFrame({"user_id": list("aaabbbcc"),
    ...                    "event": ["home", "coupon", "buy", "home", "help", "buy", "home", "buy"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=8, freq="h", tz="UTC")})
    >>> from journey.analysis.funnels import Step
    >>> steps = ["home", Step("coupon", optional=True), "buy"]
    >>> f = journey.funnel(df, steps, exclude="help")
    >>> f.to_frame()[["touchpoint", "next", "entered", "converted"]]
      touchpoint next  entered  converted
    0       home  buy        3          2
    1     coupon  buy        1          1
    2        buy  NaN        2       <NA>
    """
    analysis = FunnelAnalysis(steps=steps, within=within, step_order=step_order, by=by, level=level, exclude=exclude)
    return run(analysis, log)


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
    step_order : {"sequential", "strict", "any"}
        How the steps had to follow each other.
    within : pandas.Timedelta or None
        The conversion window from step 1, or None.
    optional : tuple of bool
        Per step, whether customers could skip it.
    step_within : tuple of pandas.Timedelta or None
        Per step, its own window from the previous required step (None: none; always None for step 1).
    exclude : tuple of tuple of str
        Per step, the events that end an attempt before it (empty for step 1 and optional steps).
    n_censored : int
        Customers censored because every attempt of theirs still has its window open at the end of the
        data (all segments; 0 without ``within``): left out of every rate and of ``overall``.

    Notes
    -----
    :meth:`to_frame` has one row per step (and segment): [the ``by`` column], ``step`` (1, 2, ...),
    ``touchpoint``, ``next`` (the step its conversion goes to: the next required step, see
    :func:`funnel`; shown in the display only when a step is optional), ``entered`` (customers reaching the step), ``censored`` (of those, customers whose every
    attempt still has its window open at the end of the data, see :func:`funnel`), ``at_risk``
    (``entered - censored``), ``converted`` (of those at risk, customers reaching ``next``), ``dropped``
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
    step_order: str = "sequential"
    within: pd.Timedelta | None = None
    optional: tuple[bool, ...] = ()
    step_within: tuple[pd.Timedelta | None, ...] = ()
    exclude: tuple[tuple[str, ...], ...] = ()
    _waits: Keyed | None = field(default=None, repr=False)

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

    def _shown(self) -> pd.DataFrame:
        # Without optional steps ``next`` is the following row's touchpoint: the display leaves it out.
        return self._table if any(self.optional) else self._table.drop(columns="next")

    def time_to_convert(self, level: float | None = None, method: str = "linear") -> TimeToConvert:
        """Kaplan-Meier curves of the time from step 1 to each later step, with intervals and medians.

        Parameters
        ----------
        level : float, optional
            Confidence level of the pointwise intervals and of the medians' intervals; the funnel's own
            ``level`` when not given.
        method : {"linear", "log-log"}
            Greenwood's variance on the curve (clipped to [0, 1]) or on log(-log S), as
            :func:`journey.kaplan_meier`.

        Returns
        -------
        TimeToConvert
            Per step after the first, the share of customers who have reached it by each time, its
            pointwise interval, and the median time with its interval (``medians()``); ``.plot()``.

        Notes
        -----
        Every customer who entered step 1 counts, with the attempt the funnel counts them with: the time
        runs from the attempt's start (its step-1 event; with ``step_order="any"``, its first event) to
        the moment it reaches the step. A customer who has not reached it is *censored*: at the attempt's
        horizon (see :func:`funnel`) when that has passed, since no later event could count, and at the
        end of the data while the window is still open, as :attr:`n_censored` counts them. Without a
        horizon the window never closes: everyone is observed up to the end of the data. The curve is
        the Kaplan-Meier estimate (Kaplan & Meier 1958) of the chance of having reached the step by then,
        with Greenwood's pointwise interval; the median is the first time that chance is at least one
        half, its interval where the band crosses one half (Brookmeyer & Crowley 1982). Customers of
        every segment are pooled.

        Examples
        --------
        >>> import pandas as pd, journey
        >>> df = pd.DataFrame({"user_id": list("aabbc"), "event": ["home", "cart", "home", "cart", "home"],
        ...                    "timestamp": pd.to_datetime(["2025-01-01 10:00", "2025-01-01 10:10",
        ...                        "2025-01-01 11:00", "2025-01-01 11:30", "2025-01-01 12:00"], utc=True)})
        >>> waits = journey.funnel(df, ["home", "cart"]).time_to_convert()
        >>> waits.medians()[["touchpoint", "n", "reached", "censored", "median_seconds"]]
          touchpoint  n  reached  censored  median_seconds
        0       cart  3        2         1           600.0
        """
        from .conversion_time import TimeToConvert

        chosen = self.level if level is None else check_level(level)
        if self._waits is None:
            raise JourneyError("this funnel keeps no times to convert: make it again with journey.funnel")
        return TimeToConvert.from_counts(self._waits, self.steps, chosen, method)

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
    """Per segment and step: customers entered, converted and censored; times to the next step; the
    Kaplan-Meier counts of the time from step 1 to each step.
    """

    def __init__(
        self,
        *,
        steps: Iterable[str | Step],
        within: Windows | None,
        step_order: StepOrder,
        by: str | None,
        level: float,
        exclude: str | Iterable[str] | None = None,
    ) -> None:
        self.spec = _spec(steps, within, step_order, exclude)
        self.steps, self.by, self.step_order = list(self.spec.names), by, self.spec.order
        self.within = None if self.spec.overall is None else pd.Timedelta(self.spec.overall)
        self.level = check_level(level)

    def prepare(self, facts: Facts) -> None:
        facts.require_column(self.by, "by", "segment")
        facts.require_events(self.steps, "steps")  # an unknown step is most often a typo: say so
        facts.require_events(sorted({e for step in self.spec.exclude for e in step}), "exclude")

    def partial(self, log: EventLog, facts: Facts) -> Parts:
        spec, n = self.spec, len(self.steps)
        found = _match(log, spec)
        users = log.user_codes
        best = _counted_attempts(found, users[found["start_row"]], spec.horizon, facts.end_ns)
        segment = np.zeros(len(best["start_row"]), dtype=np.int64)
        index = pd.Index([_ALL], dtype=object)
        if self.by is not None:
            segment, index = span_codes(log.column_at(self.by, best["start_row"]))
        reached, censored, when = best["reached"], best["censored"], best["when"]
        s = len(index)
        nxt = spec.next_step
        went_on = np.zeros_like(reached)
        went_on[:, :-1] = reached[:, :-1] & reached[:, nxt[:-1]]
        cells = segment[:, None] * n + np.arange(n)[None, :]

        def per_cell(mask: np.ndarray) -> np.ndarray:
            return np.bincount(cells[mask], minlength=s * n).reshape(s, n)

        # Times from each step to the next, keyed by (segment, step), of the customers who are not censored:
        # a censored customer's times so far are the quick ones only.
        keys = pd.Index([(v, k) for v in index for k in range(n - 1)], dtype=object, tupleize_cols=False)
        who, step = np.nonzero(went_on[:, :-1] & ~censored[:, None])
        gaps = when[who, nxt[step]] - when[who, step]
        return Parts(
            counts=Keyed(
                index,
                {
                    "entered": per_cell(reached),
                    "censored": per_cell(reached & censored[:, None]),
                    "converted": per_cell(went_on & ~censored[:, None]),
                },
            ),
            times=timings(keys, segment[who] * (n - 1) + step, gaps, facts.exact),
            waits=_waits(reached, when, best["start_time"], spec.horizon, facts.end_ns),
        )

    def finish(self, total: Parts, facts: Facts) -> Funnel:
        counts, times = total["counts"], total["times"]
        n = len(self.steps) - 1
        wanted = pd.Index([(v, k) for v in counts.index for k in range(n)], dtype=object, tupleize_cols=False)
        medians = pd.Series(times.medians(), index=times.index).reindex(wanted).to_numpy().reshape(-1, n)
        values = counts.values
        table = _step_table(self.spec, values["entered"], values["censored"], values["converted"], medians, self.level)
        if self.by is not None:
            segments = np.repeat(np.array([segment_value(v) for v in counts.index], dtype=object), len(self.steps))
            table.insert(0, self.by, pd.Series(segments).infer_objects())
            table = table.sort_values([self.by, "step"], kind="stable", na_position="last", ignore_index=True)
        evaluable = values["entered"].sum(axis=0) - values["censored"].sum(axis=0)
        overall = ProportionResult(int(evaluable[-1]), int(evaluable[0]))
        spec = self.spec
        return Funnel(
            table,
            tuple(self.steps),
            overall,
            self.by,
            self.level,
            spec.order,
            self.within,
            optional=tuple(bool(o) for o in spec.optional),
            step_within=tuple(None if w is None else pd.Timedelta(w) for w in spec.windows),
            exclude=tuple(spec.exclude),
            _waits=total["waits"],
        )


_ALL = "all customers"


@dataclass(frozen=True)
class _Spec:
    """A funnel's steps as the matcher reads them (every window in nanoseconds)."""

    names: tuple[str, ...]
    optional: np.ndarray  # bool per step
    windows: tuple[int | None, ...]  # per step, from the previous required step (None for step 1 and no window)
    exclude: tuple[tuple[str, ...], ...]  # per step: events that end the attempt before it (none for step 1)
    overall: int | None
    order: str

    @property
    def required(self) -> list[int]:
        return [k for k in range(len(self.names)) if not self.optional[k]]

    @property
    def next_step(self) -> np.ndarray:
        """Per step, the step its conversion goes to: the next required one (itself for the last)."""
        req = self.required
        return np.array([next((q for q in req if q > k), k) for k in range(len(self.names))], dtype=np.int64)

    @property
    def horizon(self) -> int | None:
        """The longest an attempt can take: the overall window, else the sum of every required step's window."""
        windows = [self.windows[k] for k in self.required[1:]]
        chained = None if any(w is None for w in windows) or not windows else sum(w for w in windows if w)
        if self.overall is None:
            return chained
        return self.overall if chained is None else min(self.overall, chained)


def _spec(
    steps: Iterable[str | Step], within: Windows | None, step_order: str, exclude: str | Iterable[str] | None
) -> _Spec:
    """Check the funnel's arguments (no data needed) and read them into a :class:`_Spec`."""
    listed = [steps] if isinstance(steps, (str, Step)) else list(steps)
    parsed = [s if isinstance(s, Step) else Step(str(s)) for s in listed]
    if len(parsed) < 2:
        raise JourneyError(f"steps must list at least two touchpoints, not {listed!r}")
    order = _step_order(step_order)
    names = tuple(s.touchpoint for s in parsed)
    n = len(names)
    optional = np.array([s.optional for s in parsed], dtype=bool)
    if optional[0] or optional[-1]:
        which = names[0] if optional[0] else names[-1]
        raise JourneyError(
            f"steps: the first and the last step cannot be optional ({which!r} is): a funnel starts and ends "
            "at a step every converting customer takes"
        )
    overall, per_step = _windows(within, names)
    windows: list[int | None] = [None] * n
    for k, step in enumerate(parsed):
        own = None if step.within is None else duration_ns(step.within, f"Step({step.touchpoint!r}).within")
        if k == 0 and own is not None:
            raise JourneyError(
                f"Step({step.touchpoint!r}, within=...): the first step has no previous step to time from"
            )
        if own is not None and per_step[k] is not None:
            raise JourneyError(f"steps: {step.touchpoint!r} has a window both in Step(within=) and in within=")
        windows[k] = own if own is not None else per_step[k]
    everywhere = _names(exclude, "exclude")
    own_exclude = [_names(step.exclude, f"Step({step.touchpoint!r}).exclude") for step in parsed]
    for k, step in enumerate(parsed):
        if own_exclude[k] and (k == 0 or step.optional):
            what = "the first step" if k == 0 else "an optional step"
            raise JourneyError(
                f"Step({step.touchpoint!r}, exclude=...): {what} cannot end an attempt; exclude events at the "
                "next required step"
            )
    clash = sorted((set(everywhere) | {e for own in own_exclude for e in own}) & set(names))
    if clash:
        raise JourneyError(f"exclude: {clash[0]!r} is a step of the funnel; an excluded event must be another event")
    excluded = tuple(
        () if k == 0 or optional[k] else tuple(dict.fromkeys([*everywhere, *own_exclude[k]])) for k in range(n)
    )
    if order == "any":
        if optional.any() or any(w is not None for w in windows) or any(own_exclude):
            raise JourneyError(
                'step_order="any" takes one overall within= and exclude= for the whole funnel: optional '
                "steps and a step's own window or exclusions need an order of steps"
            )
        if len(set(names)) < n:
            raise JourneyError(f'step_order="any": each step must be another touchpoint, not {list(names)!r}')
    if order == "strict" and any(excluded):
        raise JourneyError(
            'step_order="strict" leaves no event between two steps, so an excluded event could never end an '
            'attempt: use step_order="sequential" with exclude='
        )
    return _Spec(names, optional, tuple(windows), excluded, overall, order)


def _step_order(step_order: str) -> str:
    if step_order == "loose":
        warnings.warn(
            'step_order="loose" is now called step_order="sequential"; "loose" will be removed',
            DeprecationWarning,
            stacklevel=5,
        )
        return "sequential"
    if step_order not in STEP_ORDERS:
        raise JourneyError(
            f'{option("step_order")} must be "sequential" (in order, other events may come between steps), '
            f'"strict" (each step the very next event) or "any" (every step, in any order), not {step_order!r}'
        )
    return step_order


def _windows(within: Windows | None, names: tuple[str, ...]) -> tuple[int | None, list[int | None]]:
    """``within`` read as one overall window, or as a window per step (a list for steps 2.. or a dict)."""
    n = len(names)
    if within is None or isinstance(within, (str, pd.Timedelta, timedelta)):
        return (None if within is None else duration_ns(within, "within")), [None] * n
    per: list[int | None] = [None] * n
    if isinstance(within, Mapping):
        for key, value in within.items():
            if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
                k = int(key) - 1
                if not 1 <= k < n:
                    raise JourneyError(f"within: step {key!r} is not a step after the first (2 to {n})")
            else:
                at = [i for i, name in enumerate(names) if name == str(key)]
                if len(at) != 1 or at[0] == 0:
                    why = "is not a step after the first" if not at or at == [0] else "names several steps: use numbers"
                    raise JourneyError(f"within: {key!r} {why}")
                k = at[0]
            per[k] = None if value is None else duration_ns(value, f"within[{key!r}]")
        return None, per
    windows = list(within)
    if len(windows) != n - 1:
        raise JourneyError(
            f"within: a list gives one window per step after the first ({n - 1} here), not {len(windows)}"
        )
    for k, value in enumerate(windows, start=1):
        per[k] = None if value is None else duration_ns(value, f"within[{k - 1}]")
    return None, per


def _names(value: str | Iterable[str] | None, keyword: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    try:
        return tuple(str(v) for v in value)
    except TypeError:
        raise JourneyError(f"{keyword} takes an event name or a list of them, not {value!r}") from None


def _next_at(
    candidates: np.ndarray, rows: np.ndarray, users: np.ndarray, side: Literal["left", "right"] = "right"
) -> np.ndarray:
    """The first of ``candidates`` (sorted rows) after each of ``rows`` (at or after, ``side="left"``) by the
    same user; -1 where there is none.
    """
    if not len(candidates) or not len(rows):
        return np.full(len(rows), -1, dtype=np.int64)
    at = np.searchsorted(candidates, rows, side=side)
    hit = candidates[np.minimum(at, len(candidates) - 1)]
    ok = (at < len(candidates)) & (users[hit] == users[rows])
    return np.where(ok, hit, -1)


def _match(log: EventLog, spec: _Spec) -> dict[str, np.ndarray]:
    """Every attempt matched as far as it goes: per attempt, its start row and time, which steps it
    reached and when (ns), and its depth (the required steps reached).
    """
    events, users, t = log.event_codes, log.user_codes, log.time_ns
    names = {name: i for i, name in enumerate(log.events)}
    codes = [names.get(step, -1) for step in spec.names]  # a step missing from this part matches nothing
    rows_of: dict[int, np.ndarray] = {}

    def rows(code: int) -> np.ndarray:
        if code not in rows_of:
            rows_of[code] = np.flatnonzero(events == code) if code >= 0 else np.zeros(0, dtype=np.int64)
        return rows_of[code]

    def rows_of_any(excluded: tuple[str, ...]) -> np.ndarray:
        wanted = [names[e] for e in excluded if e in names]
        return np.flatnonzero(np.isin(events, wanted)) if wanted else np.zeros(0, dtype=np.int64)

    if spec.order == "any":
        return _match_any(events, users, t, codes, spec, rows_of_any(spec.exclude[-1]))
    return _match_ordered(events, users, t, codes, spec, rows, rows_of_any)


def _match_ordered(
    events: np.ndarray,
    users: np.ndarray,
    t: np.ndarray,
    codes: list[int],
    spec: _Spec,
    rows: Any,
    rows_of_any: Any,
) -> dict[str, np.ndarray]:
    n, size = len(codes), len(events)
    first = rows(codes[0])
    when = np.full((len(first), n), -1, dtype=np.int64)
    when[:, 0] = t[first]
    user_ends = np.append(np.flatnonzero(users[1:] != users[:-1]), size - 1) if size else first  # last rows
    if size and int(users[-1]) - int(users[0]) + 1 == len(user_ends):  # codes run u0, u0 + 1, ...: a lookup
        last_row = user_ends[users[first] - users[0]]
    else:
        last_row = np.searchsorted(users, users[first], side="right") - 1  # each attempt's user's last row
    current, alive = first.copy(), np.arange(len(first))
    start_t = t[first]
    strict = spec.order == "strict"
    required = spec.required

    def in_time(row: np.ndarray, who: np.ndarray, since: np.ndarray, window: int | None) -> np.ndarray:
        ok = np.ones(len(row), dtype=bool)
        if spec.overall is not None:
            ok &= t[row] <= start_t[who] + spec.overall
        if window is not None:
            ok &= t[row] <= since + window
        return ok

    def very_next(after: np.ndarray, code: int) -> np.ndarray:
        nxt = np.minimum(after + 1, size - 1)
        ok = (after + 1 < size) & (events[nxt] == code) & (users[nxt] == users[np.minimum(after, size - 1)])
        return np.where(ok, nxt, -1)

    for p, q in zip(required[:-1], required[1:]):
        here, since = current[alive], t[current[alive]]
        between = range(p + 1, q)
        if strict:
            cursor = here.copy()
            for o in between:
                c = very_next(cursor, codes[o])
                ok = c >= 0
                ok[ok] &= in_time(c[ok], alive[ok], since[ok], spec.windows[o])
                when[alive[ok], o] = t[c[ok]]
                cursor = np.where(ok, c, cursor)
            target = very_next(cursor, codes[q])
        else:
            target = _next_at(rows(codes[q]), here, users)
            blocked = _next_at(rows_of_any(spec.exclude[q]), here, users) if spec.exclude[q] else None
            ok = target >= 0
            ok[ok] &= in_time(target[ok], alive[ok], since[ok], spec.windows[q])
            if blocked is not None:
                # An excluded event before step q ends the attempt at step p (see funnel's Notes).
                ok &= ~((blocked >= 0) & (blocked < target))
            limit = np.where(ok, target, last_row[alive] + 1)
            if blocked is not None:
                limit = np.where(~ok & (blocked >= 0), np.minimum(limit, blocked), limit)
            cursor = here.copy()
            for o in between:
                c = _next_at(rows(codes[o]), cursor, users)
                good = (c >= 0) & (c < limit)
                good[good] &= in_time(c[good], alive[good], since[good], spec.windows[o])
                when[alive[good], o] = t[c[good]]
                cursor = np.where(good, c, cursor)
            target = np.where(ok, target, -1)
        ok = target >= 0
        if strict:
            ok[ok] &= in_time(target[ok], alive[ok], since[ok], spec.windows[q])
        when[alive[ok], q] = t[target[ok]]
        current[alive[ok]] = target[ok]
        alive = alive[ok]
    reached = when >= 0
    depth = np.cumprod(reached[:, required], axis=1).sum(axis=1)
    return {"start_row": first, "start_time": start_t, "when": when, "reached": reached, "depth": depth}


def _match_any(
    events: np.ndarray, users: np.ndarray, t: np.ndarray, codes: list[int], spec: _Spec, excluded: np.ndarray
) -> dict[str, np.ndarray]:
    """Every funnel event starts an attempt; step k is reached when steps 1..k all occur from the start on,
    within the window and before the first excluded event; it is reached when the last of them occurs.
    Attempts that never reach step 1 are dropped.
    """
    n = len(codes)
    start = np.flatnonzero(np.isin(events, [c for c in codes if c >= 0]))
    start_t = t[start]
    cap = np.searchsorted(users, users[start], side="right")  # each user's end (exclusive)
    if len(excluded):
        stop = _next_at(excluded, start, users)
        cap = np.where(stop >= 0, stop, cap)
    found = np.full((len(start), n), -1, dtype=np.int64)
    for k, code in enumerate(codes):
        candidates = np.flatnonzero(events == code) if code >= 0 else np.zeros(0, dtype=np.int64)
        if not len(candidates):
            continue
        at = np.searchsorted(candidates, start, side="left")
        hit = candidates[np.minimum(at, len(candidates) - 1)]
        ok = (at < len(candidates)) & (hit < cap)
        if spec.overall is not None:
            ok &= t[hit] <= start_t + spec.overall
        found[ok, k] = t[hit[ok]]
    reached = np.cumprod(found >= 0, axis=1).astype(bool)
    when = np.where(reached, np.maximum.accumulate(found, axis=1), -1)
    entered = reached[:, 0]  # an attempt that never does step 1 is no attempt at this funnel
    return {
        "start_row": start[entered],
        "start_time": start_t[entered],
        "when": when[entered],
        "reached": reached[entered],
        "depth": reached[entered].sum(axis=1),
    }


def _counted_attempts(
    attempts: dict[str, np.ndarray], user: np.ndarray, horizon: int | None, data_end: int
) -> dict[str, np.ndarray]:
    """Per customer: the attempt that counts, and whether the customer is censored (see funnel's Notes).

    With a horizon (the longest an attempt can take), an attempt is closed when it started at least that
    long before the end of the data, whatever happened after it. A customer with a closed attempt counts
    with the deepest closed one (the earliest among ties); a customer with none is censored and shown with
    their deepest attempt so far. Who counts depends on start times only, never on what the customer did next.
    """
    depth, start_t = attempts["depth"], attempts["start_time"]
    closed = np.ones(len(depth), dtype=bool) if horizon is None else start_t + horizon <= data_end
    if len(user) and (user[1:] >= user[:-1]).all():
        # Attempts come in row order, so by customer: per-customer figures are reductions over runs.
        begins = user_starts(user)
        runs, customer = np.flatnonzero(begins), np.cumsum(begins) - 1
        evaluable = np.logical_or.reduceat(closed, runs)[customer]
        counts = closed | ~evaluable
        ranked = np.where(counts, depth, -1)
        at_max = counts & (ranked == np.maximum.reduceat(ranked, runs)[customer])
        candidates = np.flatnonzero(at_max)
        first = candidates[user_starts(user[candidates])]  # each customer's earliest attempt at their deepest
    else:
        evaluable = pd.Series(closed).groupby(user, sort=False).transform("any").to_numpy()
        counts = closed | ~evaluable
        ranked = np.where(counts, depth, -1)
        deepest = pd.Series(ranked).groupby(user, sort=False).transform("max").to_numpy()
        at_max = counts & (ranked == deepest)
        first = pd.Series(np.arange(len(depth)))[at_max].groupby(user[at_max], sort=False).first().to_numpy()
    return {
        "start_row": attempts["start_row"][first],
        "start_time": start_t[first],
        "reached": attempts["reached"][first],
        "when": attempts["when"][first],
        "censored": ~evaluable[first],
    }


def _waits(reached: np.ndarray, when: np.ndarray, start: np.ndarray, horizon: int | None, end: int) -> Keyed:
    """Kaplan-Meier counts per (step, nanoseconds from the start): customers reaching the step then
    (``events``) and customers last seen without it then (``censored``: at the horizon when their attempt
    has closed, at the end of the data when it is still open).
    """
    n = reached.shape[1]
    seen = end - start if horizon is None else np.minimum(horizon, end - start)
    step = np.broadcast_to(np.arange(1, n)[None, :], (len(start), n - 1)).ravel()
    wait = np.where(reached[:, 1:], when[:, 1:] - start[:, None], seen[:, None]).ravel()
    hit = reached[:, 1:].ravel()
    wait_bits = max(int(wait.max()).bit_length(), 1) if len(wait) else 1
    if int(n).bit_length() + wait_bits + 1 <= 63:
        # step | wait | reached packed in one int64: a sort of values, several times faster than a lexsort
        key = step.astype(np.int64) << (wait_bits + 1)
        key |= wait.astype(np.int64) << 1
        key |= hit
        key.sort()
        hit = (key & 1).astype(bool)
        key >>= 1
        step, wait = key >> wait_bits, key & ((1 << wait_bits) - 1)
        del key
    else:
        order = np.lexsort((wait, step))
        step, wait, hit = step[order], wait[order], hit[order]
    first = np.flatnonzero(np.r_[True, (step[1:] != step[:-1]) | (wait[1:] != wait[:-1])]) if len(step) else step
    events = np.add.reduceat(hit.astype(np.int64), first) if len(step) else np.zeros(0, dtype=np.int64)
    sizes = np.diff(np.r_[first, len(step)])
    # Sorted by step, then wait: the index is made from its levels and codes, with no hashing of the waits.
    steps, waits = step[first], wait[first]
    wait_levels = distinct(waits)
    index = pd.MultiIndex(
        levels=[distinct(steps), wait_levels],
        codes=[np.cumsum(user_starts(steps)) - 1, np.searchsorted(wait_levels, waits)],
        names=["step", "ns"],
        verify_integrity=False,
    )
    return Keyed(index, {"events": events, "censored": sizes - events})


def _step_table(
    spec: _Spec, entered: np.ndarray, censored: np.ndarray, converted: np.ndarray, medians: np.ndarray, level: float
) -> pd.DataFrame:
    """The step rows of every segment at once: ``entered``, ``censored``, ``converted`` are segment x step,
    ``medians`` segment x (step - 1); rows segment by segment, then step.
    """
    s, n = entered.shape
    at_risk = entered[:, :-1] - censored[:, :-1]
    went_on = converted[:, :-1]  # the customers at risk at a step who reached its next step
    low, high = wilson_interval(went_on, at_risk, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(at_risk > 0, went_on / np.maximum(at_risk, 1), np.nan)

    def to_next(values: np.ndarray, dtype: str | None = None) -> Any:
        """Per step, with nothing for the last step, which has no next one."""
        padded = np.column_stack([values.astype(float), np.full(s, np.nan)]).ravel()
        return padded if dtype is None else pd.array(padded, dtype=dtype)

    names = np.array(spec.names, dtype=object)
    following = np.array([*names[spec.next_step[:-1]], None], dtype=object)
    return pd.DataFrame(
        {
            "step": np.tile(np.arange(1, n + 1), s),
            "touchpoint": np.tile(names, s),
            "next": np.tile(following, s),
            "entered": entered.ravel(),
            "censored": censored.ravel(),
            "at_risk": to_next(at_risk, "Int64"),
            "converted": to_next(went_on, "Int64"),
            "dropped": to_next(at_risk - went_on, "Int64"),
            "conversion_rate": to_next(rate),
            "ci_low": to_next(low),
            "ci_high": to_next(high),
            "median_seconds_to_next": to_next(medians),
        }
    )
