"""Engagement: active users, stickiness, churn and retention cohorts, with stated definitions.

Every function here shares three conventions (tools disagree on them silently; here they are fixed):

* Periods are calendar periods in UTC: ``"D"`` days, ``"W"`` ISO weeks (starting Monday), ``"M"`` months,
  each indexed by its start.
* The data end at the last event of the log. A period that has not finished by then is *unfinished*: it
  is flagged (``complete`` False), its retention cells are not observable yet (never 0), and it is left
  out of averages. Nothing that has not had the chance to happen is counted as churn.
* Users are the independent units of every interval.

The definitions of the metrics are in the Notes of each function.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd

from ..engine.core import Analysis, run
from ..engine.journeys import distinct
from ..engine.partials import Parts
from ..errors import JourneyError, option
from ..io.aliases import Duration, Period
from ..io.events import EventLog, LogLike, duration_ns, session_starts, user_starts
from ..io.facts import Facts
from ..stats.intervals import PROPORTION_METHODS, proportion_interval, wilson_interval
from ..stats.results import ConfidenceInterval, Result, TableResult, check_level, format_value

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "active_users",
    "ActiveUsers",
    "plot_active_users",
    "stickiness",
    "Stickiness",
    "churn",
    "Churn",
    "ChurnRate",
    "retention",
    "Retention",
    "plot_retention",
    "period_index",
    "period_start",
]

FREQS = ("D", "W", "M")
DAY_NS = 86_400 * 10**9
#: Days of the rolling window of each period (``rolling=True``): a day, 7 days, 30 days.
ROLLING_DAYS = {"D": 1, "W": 7, "M": 30}
PERIOD_NAMES = {"D": "day", "W": "week", "M": "month"}
PERIOD_ADJECTIVES = {"D": "daily", "W": "weekly", "M": "monthly"}
RetentionMode = Literal["on", "on_or_after"]


def period_index(t_ns: np.ndarray, freq: str) -> np.ndarray:
    """Integer index of the UTC calendar period holding each time (days, ISO weeks or months since 1970).

    Examples
    --------
    >>> period_index(np.array([0, 4 * DAY_NS]), "W").tolist()   # 1970-01-01 (Thu) and 1970-01-05 (Mon)
    [0, 1]
    """
    _check_period(freq)
    days = np.floor_divide(t_ns, DAY_NS)
    if freq == "D":
        return days
    if freq == "W":
        return np.floor_divide(days + 3, 7)  # 1970-01-01 was a Thursday: weeks counted from Monday 1969-12-29
    if len(days) > 1000:
        low, high = int(days.min()), int(days.max())
        if high - low < len(days):  # fewer days than times: numpy's calendar arithmetic once per day, not per time
            months = np.arange(low, high + 1).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
            return months[days - low]
    return t_ns.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)


def period_start(index: Any, freq: str) -> pd.DatetimeIndex:
    """Start (UTC) of each period index from :func:`period_index`.

    Examples
    --------
    >>> period_start([0, 1], "M").strftime("%Y-%m-%d").tolist()
    ['1970-01-01', '1970-02-01']
    """
    index = np.asarray(index, dtype=np.int64)
    if freq == "D":
        starts = index.astype("datetime64[D]")
    elif freq == "W":
        starts = (index * 7 - 3).astype("datetime64[D]")
    else:
        starts = index.astype("datetime64[M]").astype("datetime64[D]")
    return pd.DatetimeIndex(starts.astype("datetime64[ns]")).tz_localize("UTC")


def _check_period(value: str, keyword: str = "period") -> None:
    if value not in FREQS:
        raise JourneyError(f'{keyword} must be "D", "W" or "M", not {value!r}')


def _events(log: EventLog, touchpoint: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(user codes, times in ns) of the log's events, or of one touchpoint's events (none if it is absent)."""
    users, t = log.user_codes, log.time_ns
    if touchpoint is None:
        return users, t
    names = log.events
    keep = log.event_codes == (names.index(touchpoint) if touchpoint in names else -1)
    return users[keep], t[keep]


def _day_span(facts: Facts) -> tuple[int, int]:
    return int(facts.start_ns // DAY_NS), int(facts.end_ns // DAY_NS)


def _when(stamp: Any) -> str:
    return pd.Timestamp(stamp).strftime("%Y-%m-%d")


# -- active users ----------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False, eq=False)
class ActiveUsers(Result):
    """Distinct active users per period (counts: no interval).

    Attributes
    ----------
    period : {"D", "W", "M"}
        The calendar period, or with ``rolling`` the length of the window (1, 7 or 30 days).
    rolling : bool
        False: users active in each calendar period. True: for each day, users active in the window of
        days ending that day.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["x"] * 3,
    ...                    "timestamp": ["2025-01-01T10:00Z", "2025-01-03T10:00Z", "2025-01-03T11:00Z"]})
    >>> journey.active_users(df)
    ActiveUsers: daily active users: 0 on the latest complete day (2025-01-02); mean 0.5 over 2 complete days
        period active_users complete
    2025-01-01            1      yes
    2025-01-02            0      yes
    2025-01-03            2       no
    """

    _table: pd.DataFrame
    period: Period = "D"
    rolling: bool = False

    _formats: ClassVar[dict[str, str]] = {"active_users": "count"}

    @property
    def window_days(self) -> int | None:
        """Days of the rolling window (1, 7 or 30), or None for calendar periods."""
        return ROLLING_DAYS[self.period] if self.rolling else None

    def to_frame(self) -> pd.DataFrame:
        """``period`` (start, UTC; with ``rolling`` the day the window ends), ``active_users``, ``complete``.

        One row per period from the first event to the last, periods with nobody as 0, in time order. The
        last period holds the end of the data: it is unfinished (``complete`` False).
        """
        return self._table.copy()

    def __len__(self) -> int:
        return len(self._table)

    def _shown(self) -> pd.DataFrame:
        return self._table

    def _what(self) -> str:
        if self.rolling:
            return f"active users in rolling {self.window_days}-day windows"
        return f"{PERIOD_ADJECTIVES[self.period]} active users"

    def _headline(self) -> str:
        done = self._table[self._table["complete"]]
        word = "day" if self.rolling else PERIOD_NAMES[self.period]
        if not len(done):
            return f"{self._what()}: no complete {word} yet ({int(self._table['active_users'].iloc[-1]):,} so far)"
        last = done.iloc[-1]
        return (
            f"{self._what()}: {int(last['active_users']):,} on the latest complete {word} "
            f"({_when(last['period'])}); mean {done['active_users'].mean():,.1f} over {len(done):,} complete "
            f"{word}s"
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Active users over time; the stretch to the unfinished last period dashed.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when not given.
        **kwargs
            Passed to matplotlib's ``plot``.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from ..plot.engagement import draw_active_users

        table = self._table
        return draw_active_users(
            table["period"],
            table["active_users"].to_numpy(),
            table["complete"].to_numpy(),
            ax=ax,
            ylabel=self._what(),
            title=self._what().capitalize(),
            **kwargs,
        )


def active_users(log: LogLike, *, period: Period = "D", rolling: bool = False) -> ActiveUsers:
    """Distinct active users per calendar period, or in a rolling window ending each day.

    Parameters
    ----------
    log : EventLog, pandas.DataFrame or Dask log
        The events (a DataFrame is read with :func:`journey.read_events`' default columns).
    period : {"D", "W", "M"}
        Daily, weekly (ISO weeks, from Monday) or monthly active users.
    rolling : bool
        False (default): users active in each calendar period, indexed by its start. True: for each day,
        users active on one of the 1, 7 or 30 days (``period``) ending that day.

    Returns
    -------
    ActiveUsers
        ``to_frame()``: ``period``, ``active_users``, ``complete``; ``.plot()`` draws them.

    Raises
    ------
    JourneyError
        ``period`` is not one of the three, or ``rolling`` is not True or False.

    See Also
    --------
    stickiness : daily over monthly active users.
    churn : customers lost per period.

    Notes
    -----
    A user is active in a period when they have at least one event in it (UTC calendar). The counts run
    from the period of the first event to the period of the last; that last period is unfinished, as later
    events could still fall in it. With ``rolling=True`` the first 6 or 29 days' windows reach back before
    the first event, so their counts hold only the days since then.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["x"] * 3,
    ...                    "timestamp": ["2025-01-01T10:00Z", "2025-01-03T10:00Z", "2025-01-03T11:00Z"]})
    >>> journey.active_users(df).to_frame()["active_users"].tolist()
    [1, 0, 2]
    >>> journey.active_users(df, period="W", rolling=True).to_frame()["active_users"].tolist()
    [1, 1, 2]
    """
    return run(ActiveUsersAnalysis(period=period, rolling=rolling), log)


class ActiveUsersAnalysis(Analysis):
    """Distinct active users per period over the whole data's span: users are disjoint across parts."""

    def __init__(self, *, period: Period, rolling: bool):
        _check_period(period)
        if not isinstance(rolling, (bool, np.bool_)):
            raise JourneyError(f"rolling must be True or False, not {rolling!r}")
        self.period, self.rolling = period, bool(rolling)

    def partial(self, log: EventLog, facts: Facts) -> np.ndarray:
        users, t = _events(log)
        if self.rolling:
            return _rolling(users, t, ROLLING_DAYS[self.period], *_day_span(facts))
        first, last = (int(i) for i in period_index(np.array([facts.start_ns, facts.end_ns]), self.period))
        index = period_index(t, self.period)
        pairs = distinct(users.astype(np.int64) * (last - first + 1) + (index - first))
        return np.bincount(pairs % (last - first + 1), minlength=last - first + 1)

    def finish(self, counts: np.ndarray, facts: Facts) -> ActiveUsers:
        freq = "D" if self.rolling else self.period
        first = int(period_index(np.array([facts.start_ns]), freq)[0])
        starts = period_start(np.arange(first, first + len(counts) + 1), freq)
        table = pd.DataFrame(
            {
                "period": starts[:-1],
                "active_users": counts.astype(np.int64),
                "complete": starts.asi8[1:] <= facts.end_ns,
            }
        )
        return ActiveUsers(table, period=self.period, rolling=self.rolling)


def _active_days(users: np.ndarray, t: np.ndarray, first: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(user code, day counted from ``first``) of every distinct active user-day, sorted by user then day."""
    pairs = distinct(users.astype(np.int64) * n + (np.floor_divide(t, DAY_NS) - first))
    return pairs // n, pairs % n


def _spans(user: np.ndarray, day: np.ndarray, days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merged windows of ``days`` days from each active day: (user, first day, day after the last).

    An active day ``d`` counts on days ``d .. d + days - 1``; a user's overlapping windows merge into one.
    """
    new_span = np.r_[True, (user[1:] != user[:-1]) | (day[1:] - day[:-1] > days)]
    ends = np.r_[day[np.flatnonzero(new_span)[1:] - 1], day[-1:]] + days
    return user[new_span], day[new_span], ends


def _rolling(users: np.ndarray, t: np.ndarray, days: int, first: int, last: int) -> np.ndarray:
    """Per day from ``first`` to ``last`` (days since the epoch), users active on one of the ``days`` days
    ending that day (merged windows, a difference array).
    """
    n = last - first + 1
    _, starts, ends = _spans(*_active_days(users, t, first, n), days)
    delta = np.zeros(n + days + 1, dtype=np.int64)
    np.add.at(delta, starts, 1)
    np.add.at(delta, ends, -1)
    return np.cumsum(delta)[:n]


def plot_active_users(result: ActiveUsers, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Draw an :func:`active_users` result: counts over time, the unfinished last period dashed.

    Parameters
    ----------
    result : ActiveUsers
        What :func:`active_users` returned.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.
    **kwargs
        Passed to matplotlib's ``plot``.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    JourneyError
        ``result`` is not an :class:`ActiveUsers`.

    See Also
    --------
    ActiveUsers.plot : the same drawing.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["a", "b"], "event": ["x", "x"], "timestamp": ["2025-01-01", "2025-01-03"]})
    >>> ax = journey.plot_active_users(journey.active_users(df))
    >>> ax.get_title()
    'Daily active users'
    """
    if not isinstance(result, ActiveUsers):
        raise JourneyError(
            f"plot_active_users takes what journey.active_users(...) returns, not {type(result).__name__}"
        )
    return result.plot(ax=ax, **kwargs)


# -- stickiness ------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False, eq=False)
class Stickiness(Result):
    """The average DAU/MAU over days, with a bootstrap interval that resamples users.

    Attributes
    ----------
    estimate : float
        Average over the days of the average (``in_average`` in ``to_frame()``) of DAU / MAU, a share 0-1.
    n : int
        Users in the log: the independent units the interval resamples.
    n_days : int
        Days averaged.
    mau_days : int
        Days of the MAU window.
    level : float
        Confidence level of :meth:`confidence_interval` by default.
    n_boot, seed : int
        Bootstrap replicates and the seed of their weights.
    replicates : numpy.ndarray
        The average of each bootstrap replicate (replicates with no day to average are left out).

    Examples
    --------
    >>> import pandas as pd, journey
    >>> days = pd.date_range("2025-01-01", periods=6, freq="D", tz="UTC")
    >>> df = pd.DataFrame({"user_id": ["a"] * 6 + ["b", "b"], "event": "x",
    ...                    "timestamp": list(days) + [days[0], days[3]]})
    >>> s = journey.stickiness(df, mau_days=3)
    >>> s
    Stickiness: DAU/MAU 66.7% on average over 3 days (95% CI 33.3% to 100.0%, n = 2 users; MAU over 3 days)
    >>> s.to_frame()["stickiness"].round(3).tolist()
    [1.0, 0.5, 0.5, 1.0, 0.5, 0.5]
    """

    estimate: float
    n: int
    n_days: int
    mau_days: int
    level: float
    n_boot: int
    seed: int
    replicates: np.ndarray
    _table: pd.DataFrame

    unit: ClassVar[str] = "share"
    _formats: ClassVar[dict[str, str]] = {
        "dau": "count",
        "mau": "count",
        "stickiness": "share",
        "ci_low": "share",
        "ci_high": "share",
    }

    def confidence_interval(self, level: float | None = None, method: str | None = None) -> ConfidenceInterval:
        """Bootstrap percentile interval of the average DAU/MAU (floats, shares 0-1).

        Parameters
        ----------
        level : float, optional
            Confidence level; the result's own ``level`` when not given.
        method : {"percentile"}, optional
            The percentile bootstrap interval, the only one.

        Returns
        -------
        ConfidenceInterval
            ``low`` and ``high``; NaN when no replicate has a day to average.
        """
        level = self.level if level is None else check_level(level)
        if method not in (None, "percentile"):
            raise JourneyError(f'method must be "percentile" (a bootstrap interval), not {method!r}')
        if not len(self.replicates):
            return ConfidenceInterval(float("nan"), float("nan"))
        low, high = np.quantile(self.replicates, [(1 - level) / 2, (1 + level) / 2])
        return ConfidenceInterval(float(low), float(high))

    def to_frame(self) -> pd.DataFrame:
        """One row per day in time order (a copy).

        Columns ``day`` (UTC), ``dau``, ``mau``, ``stickiness`` = dau / mau (share), ``ci_low``/``ci_high``
        (Wilson interval of that day's share of the MAU users who were active that day), ``full_window``
        (the MAU window lies inside the data), ``complete`` (the day ended before the data did) and
        ``in_average`` (both: the days :attr:`estimate` averages).
        """
        return self._table.copy()

    def __len__(self) -> int:
        return len(self._table)

    def _headline(self) -> str:
        low, high = self.confidence_interval()
        return (
            f"DAU/MAU {format_value(self.estimate, 'share')} on average over {self.n_days:,} days "
            f"({self.level:.0%} CI {format_value(low, 'share')} to {format_value(high, 'share')}, "
            f"n = {self.n:,} users; MAU over {self.mau_days} days)"
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """DAU/MAU per day with its band, and the average with its bootstrap interval.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when not given.
        **kwargs
            Passed to matplotlib's ``plot`` (or ``errorbar`` for a few days).

        Returns
        -------
        matplotlib.axes.Axes
        """
        from ..plot.engagement import draw_rate_series

        table = self._table
        low, high = self.confidence_interval()
        return draw_rate_series(
            table["day"],
            table["stickiness"].to_numpy(float),
            table["ci_low"].to_numpy(float),
            table["ci_high"].to_numpy(float),
            table["in_average"].to_numpy(),
            ax=ax,
            ylabel=f"DAU / MAU ({self.level:.0%} CI)",
            title=f"Stickiness: DAU / MAU, MAU over {self.mau_days} days",
            average=(self.estimate, low, high),
            average_label="average (bootstrap CI)",
            excluded_label="not in the average (partial window, unfinished day)",
            **kwargs,
        )


def stickiness(
    log: LogLike, *, mau_days: int = 30, level: float = 0.95, n_boot: int = 1000, seed: int = 0
) -> Stickiness:
    """DAU / MAU per day and its average over days, with an interval that resamples users.

    Parameters
    ----------
    log : EventLog, pandas.DataFrame or Dask log
        The events.
    mau_days : int
        Days of the rolling MAU window ending each day (30; 28 is also common).
    level : float
        Confidence level of the interval (0.95 for 95%).
    n_boot : int
        Bootstrap replicates. The work grows with users x ``n_boot``: 1,000 replicates of 20,000 users take
        about a second.
    seed : int
        Seed of the bootstrap weights: the same call gives the same digits.

    Returns
    -------
    Stickiness
        ``estimate`` (share 0-1) with its bootstrap ``confidence_interval()``; ``to_frame()`` has one row
        per day.

    Raises
    ------
    JourneyError
        A bad argument, or no day with a full MAU window that ended before the data did.

    See Also
    --------
    active_users : the counts per period.

    Notes
    -----
    DAU on day *d* counts users with an event that day (UTC), MAU those with an event on one of the
    ``mau_days`` days ending on *d*; stickiness is DAU / MAU, the share of the month's users who came that
    day. The average is taken over the days whose MAU window lies inside the data (the first
    ``mau_days - 1`` days have a partial window) and that ended before the data did (the last day is
    unfinished).

    The days share their users, so they are not independent observations: the interval resamples users,
    the independent units, with a Poisson bootstrap (Hanley & MacGibbon 2006, "Creating non-parametric
    bootstrap samples using Poisson frequencies"; Chamandy et al. 2012, "Estimating uncertainty for massive
    data streams"). Each replicate gives every user a Poisson(1) weight drawn from a hash of the user's id
    and ``seed``, recomputes every day's DAU and MAU as weighted counts and averages their ratio; the
    interval is the percentile interval of the replicates. The weights depend on nothing but the user and
    the seed, so a Dask log gives the same digits as a local one. The interval covers the variation of
    which users happened to be observed over these days, not the variation of days beyond them.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> days = pd.date_range("2025-01-01", periods=6, freq="D", tz="UTC")
    >>> df = pd.DataFrame({"user_id": ["a"] * 6 + ["b", "b"], "event": "x",
    ...                    "timestamp": list(days) + [days[0], days[3]]})
    >>> s = journey.stickiness(df, mau_days=3)
    >>> round(s.estimate, 4), s.n_days, s.n
    (0.6667, 3, 2)
    """
    return run(StickinessAnalysis(mau_days=mau_days, level=level, n_boot=n_boot, seed=seed), log)


class StickinessAnalysis(Analysis):
    """Daily and rolling-window active users, plain and bootstrap-weighted; all of them add across parts."""

    def __init__(self, *, mau_days: int, level: float, n_boot: int, seed: int):
        self.mau_days = _whole(mau_days, "mau_days", 1)
        self.n_boot = _whole(n_boot, "n_boot", 1)
        self.seed = _whole(seed, "seed", 0)
        self.level = check_level(level)

    def partial(self, log: EventLog, facts: Facts) -> Parts:
        first, last = _day_span(facts)
        n = last - first + 1
        user, day = _active_days(*_events(log), first, n)
        span_user, starts, ends = _spans(user, day, self.mau_days)
        weights = _PoissonWeights(log.column("user")[user_starts(log.user_codes)], self.n_boot, self.seed)
        boot_dau, boot_mau = weights.day_sums([(user, day, day + 1), (span_user, starts, ends)], n)
        return Parts(
            users=log.n_users,
            dau=np.bincount(day, minlength=n),
            mau=_window_counts(starts, ends, n),
            boot_dau=boot_dau,
            boot_mau=boot_mau,
        )

    def finish(self, total: Parts, facts: Facts) -> Stickiness:
        first, _ = _day_span(facts)
        dau, mau = total["dau"], total["mau"]
        starts = period_start(np.arange(first, first + len(dau) + 1), "D")
        low, high = wilson_interval(dau, mau, self.level)
        table = pd.DataFrame(
            {
                "day": starts[:-1],
                "dau": dau,
                "mau": mau,
                "stickiness": np.where(mau > 0, dau / np.maximum(mau, 1), np.nan),
                "ci_low": low,
                "ci_high": high,
                "full_window": np.arange(len(dau)) >= self.mau_days - 1,
                "complete": starts.asi8[1:] <= facts.end_ns,
            }
        )
        table["in_average"] = table["full_window"] & table["complete"] & (table["mau"] > 0)
        used = table["in_average"].to_numpy()
        if not used.any():
            raise JourneyError(
                f"stickiness needs a day with a full MAU window of {self.mau_days} days that ended "
                f"before the data did; the data cover {len(dau)} days. Pass a shorter "
                f"{option('mau_days')}"
            )
        with np.errstate(invalid="ignore", divide="ignore"):
            ratios = total["boot_dau"][:, used] / total["boot_mau"][:, used]
        # A replicate averages the days on which some weighted user is in the MAU window.
        valid = np.isfinite(ratios)
        days = valid.sum(axis=1)
        replicates = np.where(valid, ratios, 0.0).sum(axis=1)[days > 0] / days[days > 0]
        return Stickiness(
            float(table.loc[used, "stickiness"].mean()),
            int(total["users"]),
            int(used.sum()),
            self.mau_days,
            self.level,
            self.n_boot,
            self.seed,
            replicates,
            table,
        )


def _whole(value: Any, keyword: str, least: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < least:
        raise JourneyError(f"{keyword} must be a whole number of at least {least}, not {value!r}")
    return int(value)


def _window_counts(starts: np.ndarray, ends: np.ndarray, n: int) -> np.ndarray:
    """Per day 0..n-1, how many [start, end) windows hold it (a difference array)."""
    delta = np.zeros(n + 1, dtype=np.int64)
    np.add.at(delta, np.minimum(starts, n), 1)
    np.add.at(delta, np.minimum(ends, n), -1)
    return np.cumsum(delta)[:n]


_MASK64 = (1 << 64) - 1
#: Bits of the uniform draw behind each weight: Poisson(1) probabilities are exact to 2**-20 (1e-6).
WEIGHT_BITS = 20


def _mix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser (Steele, Lea & Flood 2014): a bijection of uint64 that scrambles every bit."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


@cache
def _poisson_table() -> np.ndarray:
    """Poisson(1) inverse distribution function on the 2**20 midpoints of [0, 1): uniform bits -> weight."""
    cdf = np.cumsum(np.exp(-1.0) / np.cumprod(np.r_[1.0, np.arange(1.0, 25.0)]))
    grid = (np.arange(2**WEIGHT_BITS) + 0.5) / 2**WEIGHT_BITS
    return np.searchsorted(cdf, grid, side="right").astype(np.int32)


class _PoissonWeights:
    """Poisson(1) bootstrap weights of users, each a function of the user's id, the replicate and the seed.

    The same user gets the same weights in any part of any partitioning, so weighted counts add across parts.
    One 64-bit hash of (user, replicate pair, seed) gives the uniform bits of two replicates' weights.
    """

    #: Users per block, so a block's weights (users x replicates) stay near 64 MB.
    BLOCK_CELLS = 8_000_000

    def __init__(self, names: np.ndarray, n_boot: int, seed: int):
        ids = pd.util.hash_array(pd.Series(names).astype(str).to_numpy(dtype=object), categorize=False)
        pairs = (n_boot + 1) // 2
        start = _mix64(np.array([seed & _MASK64], dtype=np.uint64))
        self.n_boot, self.ids = n_boot, ids.astype(np.uint64)
        self.streams = _mix64(start + np.arange(pairs, dtype=np.uint64))

    def of(self, users: np.ndarray) -> np.ndarray:
        """Weights (len(users) x n_boot, int32) of the users with these codes."""
        bits = _mix64(self.ids[users][:, None] ^ self.streams[None, :])
        table = _poisson_table()
        # The top and the next 20 bits of each hash are two uniform draws (int64 views index fastest).
        first = np.take(table, (bits >> np.uint64(64 - WEIGHT_BITS)).view(np.int64))
        bits >>= np.uint64(64 - 2 * WEIGHT_BITS)
        bits &= np.uint64(2**WEIGHT_BITS - 1)
        return np.concatenate([first, np.take(table, bits.view(np.int64))], axis=1)[:, : self.n_boot]

    def day_sums(self, windows: list[tuple[np.ndarray, np.ndarray, np.ndarray]], n: int) -> list[np.ndarray]:
        """For each (users, starts, ends) of [start, end) day windows (users sorted), the weighted count of
        users per day: an (n_boot x n) array each.
        """
        from scipy.sparse import csr_matrix

        totals = [np.zeros((n + 1, self.n_boot), dtype=np.int64) for _ in windows]
        everyone = distinct(np.concatenate([users for users, _, _ in windows]))
        block = max(1, self.BLOCK_CELLS // self.n_boot)
        for lo in range(0, len(everyone), block):
            chosen = everyone[lo : lo + block]
            weights = self.of(chosen)
            for total, (users, starts, ends) in zip(totals, windows):
                rows = slice(*np.searchsorted(users, [chosen[0], chosen[-1] + 1]))  # the users' rows are a slice
                at = np.searchsorted(chosen, users[rows])
                marks = np.r_[np.minimum(starts[rows], n), np.minimum(ends[rows], n)]
                signs = np.r_[np.ones(len(at), np.int32), -np.ones(len(at), np.int32)]
                matrix = csr_matrix((signs, (np.r_[at, at], marks)), shape=(len(chosen), n + 1))
                total += np.asarray(matrix.T @ weights)
        return [np.cumsum(total, axis=0)[:n].T.copy() for total in totals]


# -- churn -----------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False, eq=False)
class ChurnRate(Result):
    """Churn pooled over complete periods: customers lost / customers at the start, users as clusters.

    The estimand is the share of customer-periods at risk that end in churn,
    ``R = E[lost_u] / E[at_start_u]``: for a customer ``u`` of the population the log samples, the expected
    number of complete periods in which they are lost over the expected number at whose start they are
    active. Its estimate ``lost / at_start`` (sums over customers and complete periods) is the average of the
    period rates weighted by their customers at the start, not the plain mean of the period rates, which
    would give a quiet period the weight of a busy one.

    A customer at the start of several periods counts in each, so the counts are not independent trials:
    the interval is that of a proportion with the effective sample size of Kish's design effect, computed
    with customers as the clusters (the variance of a ratio estimator, Cochran 1977, section 6.4). In
    simulated logs where customers churn and return at personal rates, it covered ``R`` in 96% of 95%
    intervals where Wilson's on customer-periods covered 81% (tests/test_engagement.py).

    Attributes
    ----------
    lost : int
        Customers lost, summed over the complete periods.
    at_start : int
        Customers at the start, summed over the complete periods (customer-periods).
    n : int
        Customers at the start of at least one complete period: the independent units.
    design_effect : float
        Variance of the rate with customers as clusters over its binomial variance (1 without clustering).
    level : float
        Confidence level of :meth:`confidence_interval` by default.

    Examples
    --------
    >>> r = ChurnRate(lost=30, at_start=200, n=80, design_effect=1.5, level=0.95)
    >>> r
    ChurnRate: churn 15.0% on average over complete periods (95% CI 9.9% to 22.0%, n = 80 customers, 200 at the start of a period)
    >>> round(r.effective_n, 1)
    133.3
    """

    lost: int
    at_start: int
    n: int
    design_effect: float
    level: float = 0.95

    unit: ClassVar[str] = "share"

    @property
    def estimate(self) -> float:
        """``lost / at_start``, a share 0-1 (NaN when no customer was at the start of a complete period)."""
        return self.lost / self.at_start if self.at_start else float("nan")

    @property
    def effective_n(self) -> float:
        """``at_start / max(design_effect, 1)``: as many independent trials as the clustered counts are worth."""
        return self.at_start / max(self.design_effect, 1.0)

    def confidence_interval(self, level: float | None = None, method: str | None = None) -> ConfidenceInterval:
        """Interval of the pooled churn rate (floats, shares 0-1).

        Parameters
        ----------
        level : float, optional
            Confidence level; the result's own ``level`` when not given.
        method : {"wilson", "exact", "jeffreys"}, optional
            Interval of a proportion applied to the effective counts; Wilson score by default.

        Returns
        -------
        ConfidenceInterval
        """
        level = self.level if level is None else check_level(level)
        method = method or "wilson"
        if method not in PROPORTION_METHODS:
            raise JourneyError(f"method must be one of {', '.join(map(repr, PROPORTION_METHODS))}, not {method!r}")
        if not self.at_start:
            return ConfidenceInterval(float("nan"), float("nan"))
        n_eff = self.effective_n
        low, high = proportion_interval([self.estimate * n_eff], [n_eff], level, method)
        return ConfidenceInterval(float(low[0]), float(high[0]))

    def to_frame(self) -> pd.DataFrame:
        """One row: ``lost``, ``at_start``, ``customers`` (n), ``design_effect``, ``effective_n``, ``churn_rate``
        (share 0-1), ``ci_low``, ``ci_high``.
        """
        low, high = self.confidence_interval()
        return pd.DataFrame(
            [
                {
                    "lost": self.lost,
                    "at_start": self.at_start,
                    "customers": self.n,
                    "design_effect": self.design_effect,
                    "effective_n": self.effective_n,
                    "churn_rate": self.estimate,
                    "ci_low": low,
                    "ci_high": high,
                }
            ]
        )

    def _headline(self) -> str:
        low, high = self.confidence_interval()
        return (
            f"churn {format_value(self.estimate, 'share')} on average over complete periods "
            f"({self.level:.0%} CI {format_value(low, 'share')} to {format_value(high, 'share')}, "
            f"n = {self.n:,} customers, {self.at_start:,} at the start of a period)"
        )


@dataclass(frozen=True, repr=False, eq=False)
class Churn(TableResult):
    """Churn per period, with the average over complete periods as ``overall``.

    Attributes
    ----------
    overall : ChurnRate
        Customers lost over customers at the start, pooled over the complete periods.
    period : {"D", "W", "M"}
        The calendar period.
    inactive_after : str, pandas.Timedelta or None
        The inactivity that makes a customer lost, as given (None: a period without activity).
    level : float
        Confidence level of ``ci_low``/``ci_high``.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["a", "b", "a", "a"], "event": ["x"] * 4,
    ...                    "timestamp": ["2025-01-05", "2025-01-09", "2025-02-03", "2025-03-31"]})
    >>> c = journey.churn(df)
    >>> c.to_frame()[["period", "customers_at_start", "lost", "churn_rate", "complete"]]
                         period  customers_at_start  lost  churn_rate  complete
    0 2025-01-01 00:00:00+00:00                   0     0         NaN      True
    1 2025-02-01 00:00:00+00:00                   2     1         0.5      True
    2 2025-03-01 00:00:00+00:00                   1     0         0.0     False
    >>> (c.overall.lost, c.overall.at_start)
    (1, 2)
    """

    _table: pd.DataFrame
    overall: ChurnRate
    period: Period = "M"
    inactive_after: Duration | None = None
    level: float = 0.95

    _successes = "lost"
    _trials = "customers_at_start"
    _formats = {
        "customers_at_start": "count",
        "lost": "count",
        "churn_rate": "share",
        "ci_low": "share",
        "ci_high": "share",
    }

    def _what(self) -> str:
        rule = f" ({self.inactive_after} without an event)" if self.inactive_after is not None else ""
        return f"{PERIOD_ADJECTIVES[self.period]} churn{rule}"

    def _headline(self) -> str:
        low, high = self.overall.confidence_interval(self.level)
        done = int(self._table["complete"].sum())
        unfinished = "; the last period is unfinished" if not self._table["complete"].iloc[-1] else ""
        return (
            f"{self._what()} {format_value(self.overall.estimate, 'share')} on average over {done:,} complete "
            f"{PERIOD_NAMES[self.period]}s ({self.level:.0%} CI {format_value(low, 'share')} to "
            f"{format_value(high, 'share')}, n = {self.overall.n:,} customers){unfinished}"
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Churn per period with its interval (unfinished periods hollow) and the average with its interval.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when not given.
        **kwargs
            Passed to matplotlib's ``errorbar`` (or ``plot`` for many periods).

        Returns
        -------
        matplotlib.axes.Axes
        """
        from ..plot.engagement import draw_rate_series

        table = self._table[self._table["customers_at_start"] > 0]
        low, high = self.overall.confidence_interval(self.level)
        return draw_rate_series(
            table["period"],
            table["churn_rate"].to_numpy(float),
            table["ci_low"].to_numpy(float),
            table["ci_high"].to_numpy(float),
            table["complete"].to_numpy(),
            ax=ax,
            ylabel=f"churn: customers lost / at the start ({self.level:.0%} CI)",
            title=self._what().capitalize(),
            average=(self.overall.estimate, low, high),
            average_label="average over complete periods",
            **kwargs,
        )


def churn(log: LogLike, *, period: Period = "M", inactive_after: Duration | None = None, level: float = 0.95) -> Churn:
    """Churn per period: customers at the start, customers lost, and the rate with its interval.

    Parameters
    ----------
    log : EventLog, pandas.DataFrame or Dask log
        The events.
    period : {"D", "W", "M"}
        The calendar period.
    inactive_after : str or pandas.Timedelta, optional
        A length of inactivity (``"30D"``) that makes a customer lost; without it, a period without an event
        does (see Notes).
    level : float
        Confidence level of every interval (0.95 for 95%).

    Returns
    -------
    Churn
        ``to_frame()``: one row per period in time order: ``period`` (start, UTC), ``customers_at_start``,
        ``lost``, ``churn_rate`` (share 0-1, NaN with nobody at the start), ``ci_low``, ``ci_high``
        (Wilson) and ``complete`` (the period ended before the data did). ``overall``: the average over
        complete periods, a :class:`ChurnRate`.

    Raises
    ------
    JourneyError
        A bad ``period``, ``inactive_after`` or ``level``.

    See Also
    --------
    journey.survival : the time to churn as a Kaplan-Meier curve.
    retention : cohorts of users and the share still active.

    Notes
    -----
    Without ``inactive_after``, a customer is *at the start* of a period when they were active in the
    previous one, and *lost* when they have no event in this one. With it, a customer is active from each
    event until ``inactive_after`` passes without another; they are at the start of a period when active at
    its first instant, and lost in the period where their inactivity reaches ``inactive_after``. The churn
    rate is lost / at the start.

    ``overall`` pools the complete periods: lost / at the start summed over them, which estimates the share
    of customer-periods at risk that end in churn, ``E[lost_u] / E[at_start_u]`` over customers ``u`` (the
    period rates weighted by their customers at the start; see :class:`ChurnRate`).

    A period that has not ended by the end of the data (the last event) is ``complete=False``: its figures
    are partial and it is left out of ``overall``. Within a period each customer counts once, so its
    Wilson interval treats customers as independent trials. ``overall`` pools the complete periods, in
    which one customer counts once per period: its interval uses the design effect of the ratio with
    customers as clusters (Kish 1965, "Survey Sampling"; the variance of a ratio estimator by
    linearisation, Cochran 1977, "Sampling Techniques", section 6.4) and applies the Wilson interval to
    the effective sample size, never more than the counts themselves (Korn & Graubard 1998, "Confidence
    intervals for proportions with small expected number of positive counts estimated from survey data").

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["a", "b", "a", "a"], "event": ["x"] * 4,
    ...                    "timestamp": ["2025-01-05", "2025-01-09", "2025-02-03", "2025-03-31"]})
    >>> journey.churn(df).to_frame()[["customers_at_start", "lost", "complete"]].values.tolist()
    [[0, 0, True], [2, 1, True], [1, 0, False]]
    """
    return run(ChurnAnalysis(period=period, inactive_after=inactive_after, level=level), log)


class ChurnAnalysis(Analysis):
    """Customers at the start of, and lost in, each period, and per-customer sums for the design effect."""

    def __init__(self, *, period: Period, inactive_after: Duration | None, level: float):
        _check_period(period)
        self.level = check_level(level)
        self.period, self.inactive_after = period, inactive_after
        self.window = None if inactive_after is None else duration_ns(inactive_after, "inactive_after")

    def span(self, facts: Facts) -> tuple[int, int, int]:
        first, last = (int(i) for i in period_index(np.array([facts.start_ns, facts.end_ns]), self.period))
        return first, last, facts.end_ns

    def partial(self, log: EventLog, facts: Facts) -> Parts:
        first, last, end_ns = self.span(facts)
        starts_ns = period_start(np.arange(first, last + 2), self.period).asi8  # one more: the end of the last
        n_complete = int(np.sum(starts_ns[1:] <= end_ns))
        users, t = _events(log)
        if self.window is None:
            record = _churn_by_period(users, period_index(t, self.period) - first, last - first + 1)
        else:
            record = _churn_by_inactivity(users, t, self.window, starts_ns, end_ns)
        at_start, lost, per_user_start, per_user_lost = record.counts(last - first + 1, n_complete, log.n_users)
        s, k = per_user_start.astype(np.int64), per_user_lost.astype(np.int64)
        return Parts(
            at_start=at_start, lost=lost, users=int(np.count_nonzero(s)), ss=int(s @ s), kk=int(k @ k), ks=int(k @ s)
        )

    def finish(self, total: Parts, facts: Facts) -> Churn:
        first, last, end_ns = self.span(facts)
        starts = period_start(np.arange(first, last + 2), self.period)
        complete = starts.asi8[1:] <= end_ns
        at_start, lost = total["at_start"], total["lost"]
        low, high = wilson_interval(lost, at_start, self.level)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(at_start > 0, lost / np.maximum(at_start, 1), np.nan)
        table = pd.DataFrame(
            {
                "period": starts[:-1],
                "customers_at_start": at_start,
                "lost": lost,
                "churn_rate": rate,
                "ci_low": low,
                "ci_high": high,
                "complete": complete,
            }
        )
        n_lost, n_start = int(lost[complete].sum()), int(at_start[complete].sum())
        overall = ChurnRate(
            n_lost,
            n_start,
            int(total["users"]),
            _design_effect(n_lost, n_start, int(total["users"]), total["kk"], total["ks"], total["ss"]),
            self.level,
        )
        return Churn(table, overall, period=self.period, inactive_after=self.inactive_after, level=self.level)


def _design_effect(k: int, n: int, clusters: int, kk: int, ks: int, ss: int) -> float:
    """Variance of the ratio k / n with clusters (sums of squares kk, ks, ss) over its binomial variance.

    1 when it cannot be estimated: fewer than two clusters, or a rate of 0 or 1 (no binomial variance).
    """
    if clusters < 2 or n == 0 or k in (0, n):
        return 1.0
    r = k / n
    residual = kk - 2 * r * ks + r * r * ss  # sum over clusters of (k_u - r n_u)^2
    clustered = clusters / (clusters - 1) * residual / n**2
    return float(clustered / (r * (1 - r) / n))


@dataclass
class _ChurnRecords:
    """Customer-periods at the start: the user, the period, whether the customer was lost in it."""

    user: np.ndarray
    period: np.ndarray
    lost: np.ndarray

    def counts(self, n_periods: int, n_complete: int, n_users: int) -> tuple[np.ndarray, ...]:
        """Per period: at the start, lost. Per user, over complete periods only: at the start, lost."""
        done = self.period < n_complete
        return (
            np.bincount(self.period, minlength=n_periods),
            np.bincount(self.period[self.lost], minlength=n_periods),
            np.bincount(self.user[done], minlength=n_users),
            np.bincount(self.user[done & self.lost], minlength=n_users),
        )


def _churn_by_period(users: np.ndarray, idx: np.ndarray, n_periods: int) -> _ChurnRecords:
    """``idx``: each event's period counted from the first period of the span (0 .. n_periods - 1)."""
    pairs = distinct(users.astype(np.int64) * n_periods + idx)
    user, p = pairs // n_periods, pairs % n_periods
    # Active in p puts the customer at the start of p + 1; active again in p + 1 (the next distinct pair) keeps them.
    stays = np.r_[(user[1:] == user[:-1]) & (p[1:] == p[:-1] + 1), False]
    has_next = p + 1 < n_periods
    return _ChurnRecords(user[has_next], p[has_next] + 1, ~stays[has_next])


def _churn_by_inactivity(
    users: np.ndarray, t: np.ndarray, window: int, starts_ns: np.ndarray, end_ns: int
) -> _ChurnRecords:
    """Activity spells (events less than ``window`` apart) end ``window`` after their last event.

    ``users`` and ``t`` are in EventLog order (by user, then time).
    """
    begins = session_starts(users, t, window - 1)  # a gap of window or more ends the spell
    first = t[begins]
    lapse = np.r_[t[np.flatnonzero(begins)[1:] - 1], t[-1:]] + window  # the moment the customer is lost
    period_starts = starts_ns[:-1]
    # At the start of period p: first <= start_p < lapse, i.e. p in [lo, hi).
    lo = np.searchsorted(period_starts, first, side="left")
    hi = np.searchsorted(period_starts, lapse, side="left")
    length = np.maximum(hi - lo, 0)
    spell = np.repeat(np.arange(len(lo)), length)
    period = np.repeat(lo, length) + _ranges(length)
    # Lost in the period holding the last instant of activity (a lapse exactly at a period's start belongs to
    # the period before), once the lapse has been seen (before the end of the data).
    lost = (period == hi[spell] - 1) & (lapse[spell] <= end_ns)
    return _ChurnRecords(users[begins][spell], period, lost)


# -- retention -------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False, eq=False)
class Retention(TableResult):
    """Cohort retention: for each cohort and each period after joining, the share of its users active.

    Attributes
    ----------
    counts : pandas.DataFrame
        The triangle of retained users: index cohort start, columns periods after joining (0, 1, ...);
        missing (``<NA>``) where the cell is not observable yet.
    sizes : pandas.Series
        Users per cohort, indexed by cohort start.
    period, cohort_period : {"D", "W", "M"}
        The period counted after joining, and the period of the cohorts.
    mode : {"on", "on_or_after"}
        Active in that period, or in it or any later one.
    touchpoint : str or None
        The touchpoint that counts as activity (None: any event).
    level : float
        Confidence level of ``ci_low``/``ci_high``.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["a", "b", "a", "c"], "event": ["x"] * 4,
    ...                    "timestamp": ["2025-01-05", "2025-01-09", "2025-02-03", "2025-03-10"]})
    >>> r = journey.retention(df)
    >>> r.shares.to_numpy().tolist()   # January: 2 users, both in January, 1 in February; March is unfinished
    [[1.0, 0.5, nan], [nan, nan, nan], [nan, nan, nan]]
    >>> r.to_frame()[["periods_after", "cohort_size", "retained", "retention"]]   # the January cohort's cells
       periods_after  cohort_size  retained  retention
    0              0            2         2        1.0
    1              1            2         1        0.5
    """

    _table: pd.DataFrame
    counts: pd.DataFrame
    sizes: pd.Series
    period: Period = "M"
    cohort_period: Period = "M"
    mode: RetentionMode = "on"
    touchpoint: str | None = None
    level: float = 0.95

    _successes = "retained"
    _trials = "cohort_size"
    _formats = {
        "cohort_size": "count",
        "retained": "count",
        "retention": "share",
        "ci_low": "share",
        "ci_high": "share",
    }

    @property
    def shares(self) -> pd.DataFrame:
        """The triangle of retention shares (0-1) shaped as :attr:`counts`; NaN where not observable yet."""
        shares = self.counts.astype("Float64").div(self.sizes.where(self.sizes > 0), axis=0)
        return shares.astype(float)

    def _headline(self) -> str:
        word = PERIOD_NAMES[self.period]
        what = f"{PERIOD_ADJECTIVES[self.cohort_period]} cohorts ({len(self.sizes):,}, {int(self.sizes.sum()):,} users)"
        later = " or later" if self.mode == "on_or_after" else ""
        after = self._table[self._table["periods_after"] == 1]
        if not len(after):
            return f"retention of {what}: no cohort observable 1 {word} after joining yet"
        k, n = int(after["retained"].sum()), int(after["cohort_size"].sum())
        low, high = wilson_interval([k], [n], self.level)
        return (
            f"retention of {what}: {format_value(k / n, 'share')} active 1 {word} after joining{later} "
            f"({self.level:.0%} CI {format_value(low[0], 'share')} to {format_value(high[0], 'share')}, "
            f"n = {n:,} users)"
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """The retention triangle as a heatmap, each cell with its interval; cells not observable blank.

        Cohorts are named by their period (``2025-01``, ``2025-W03`` for an ISO week, ``2025-01-15``) with
        their number of users.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when not given.
        **kwargs
            Passed to matplotlib's ``imshow``.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from ..plot.engagement import draw_retention

        low, high = wilson_interval(
            self.counts.astype("Float64").to_numpy(dtype=float, na_value=np.nan),
            self.sizes.to_numpy()[:, None],
            self.level,
        )
        # Cohorts named as their period is: 2025-01, 2025-W03 (ISO week), 2025-01-15.
        shown = {"M": "%Y-%m", "W": "%G-W%V", "D": "%Y-%m-%d"}[self.cohort_period]
        cohorts = [f"{pd.Timestamp(c).strftime(shown)} (n={int(n):,})" for c, n in zip(self.counts.index, self.sizes)]
        return draw_retention(
            self.shares.to_numpy(),
            low,
            high,
            cohorts,
            list(self.counts.columns),
            ax=ax,
            title=f"Retention, {PERIOD_NAMES[self.period]}s after joining\n"
            f"({self.level:.0%} CI under each share; blank: not observable yet)",
            xlabel=f"{PERIOD_NAMES[self.period]}s after joining",
            ylabel=f"{PERIOD_ADJECTIVES[self.cohort_period]} cohort (users)",
            **kwargs,
        )


def retention(
    log: LogLike,
    *,
    period: Period = "M",
    cohort_period: Period | None = None,
    mode: RetentionMode = "on",
    touchpoint: str | None = None,
    level: float = 0.95,
) -> Retention:
    """Cohort retention: the share of each cohort's users active 0, 1, 2, ... periods after joining.

    Parameters
    ----------
    log : EventLog, pandas.DataFrame or Dask log
        The events.
    period : {"D", "W", "M"}
        The period counted after joining.
    cohort_period : {"D", "W", "M"}, optional
        The period that groups users into cohorts by their first activity; ``period`` when not given.
    mode : {"on", "on_or_after"}
        ``"on"``: active in that period. ``"on_or_after"``: in it or any later one (unbounded retention).
    touchpoint : str, optional
        Only this touchpoint counts as activity (a repeat purchase, say), for joining and for returning.
    level : float
        Confidence level of every interval (0.95 for 95%).

    Returns
    -------
    Retention
        ``to_frame()``: one row per observable cell, sorted by cohort then periods after joining:
        ``cohort`` (start, UTC), ``periods_after``, ``cohort_size``, ``retained``, ``retention`` (share
        0-1), ``ci_low``, ``ci_high`` (Wilson). Cells not observable yet, and cohorts without users, have
        no row; the triangles ``counts`` and ``shares`` show them as missing.

    Raises
    ------
    UnknownEventError
        ``touchpoint`` does not occur in the log.
    JourneyError
        A bad ``period``, ``cohort_period``, ``mode`` or ``level``.

    See Also
    --------
    churn : customers lost per period.
    plot_retention : the heatmap.

    Notes
    -----
    A user joins the cohort of the ``cohort_period`` holding their first activity. Cell *k* of a cohort is
    the share of its users active *k* periods (``period``) after the period holding the cohort's start
    (``mode="on"``), or active then or later (``"on_or_after"``). A cell whose period has not finished by
    the end of the data (the last event) is not observable yet: it has no row, never a 0. Each user is in
    one cohort, so every cell's Wilson interval treats users as independent trials.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["a", "b", "a", "c"], "event": ["x"] * 4,
    ...                    "timestamp": ["2025-01-05", "2025-01-09", "2025-02-03", "2025-03-10"]})
    >>> journey.retention(df).to_frame()["retention"].tolist()
    [1.0, 0.5]
    """
    return run(
        RetentionAnalysis(
            period=period,
            cohort_period=period if cohort_period is None else cohort_period,
            mode=mode,
            touchpoint=touchpoint,
            level=level,
        ),
        log,
    )


class RetentionAnalysis(Analysis):
    """Retained users per (cohort, period number) and cohort sizes over the whole data's cohorts.

    Rows cover every cohort period of the data and columns every period number that can occur, so the
    arrays of two parts have the same shape and add; ``finish`` trims what no user fills.
    """

    def __init__(
        self, *, period: Period, cohort_period: Period, mode: RetentionMode, touchpoint: str | None, level: float
    ):
        _check_period(period)
        _check_period(cohort_period, "cohort_period")
        if mode not in ("on", "on_or_after"):
            raise JourneyError(f'mode must be "on" or "on_or_after", not {mode!r}')
        self.level = check_level(level)
        self.cohort, self.period, self.mode = cohort_period, period, mode
        self.touchpoint = None if touchpoint is None else str(touchpoint)

    def prepare(self, facts: Facts) -> None:
        if self.touchpoint is not None:
            facts.require_events([self.touchpoint], "touchpoint")

    def span(self, facts: Facts) -> tuple[int, int, int]:
        first, last = (int(i) for i in period_index(np.array([facts.start_ns, facts.end_ns]), self.cohort))
        return first, last, facts.end_ns

    def partial(self, log: EventLog, facts: Facts) -> Parts:
        counts, sizes = _retention_counts(log, self.cohort, self.period, self.mode, self.touchpoint, self.span(facts))
        return Parts(counts=counts, sizes=sizes)

    def finish(self, total: Parts, facts: Facts) -> Retention:
        first, _, end_ns = self.span(facts)
        counts, sizes = total["counts"], total["sizes"]
        used = np.flatnonzero(sizes)
        if not len(used):
            raise JourneyError("no user has an event to start a cohort with")
        lead = int(used[0])  # with touchpoint=, the first cohort is the first with that touchpoint
        n_k = _periods_after(first + lead, self.cohort, self.period, end_ns)
        triangle, cohort_sizes = _triangle(
            counts[lead:, :n_k], sizes[lead:], self.cohort, self.period, first + lead, end_ns
        )
        return Retention(
            _cells(triangle, cohort_sizes, self.level),
            triangle,
            cohort_sizes,
            period=self.period,
            cohort_period=self.cohort,
            mode=self.mode,
            touchpoint=self.touchpoint,
            level=self.level,
        )


def _retention_counts(
    log: EventLog, cohort: str, period: str, mode: str, touchpoint: str | None, span: tuple[int, int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """(cohorts x periods) counts of retained users and cohort sizes over ``span``; additive over users."""
    first_cohort, last_cohort, end_ns = span
    cohorts = np.arange(first_cohort, last_cohort + 1)
    n_k = _periods_after(first_cohort, cohort, period, end_ns)
    counts = np.zeros((len(cohorts), n_k), dtype=np.int64)
    if touchpoint is not None and touchpoint not in log.events:
        return counts, np.zeros(len(cohorts), dtype=np.int64)  # this part of the log never has the touchpoint
    users, t = _events(log, touchpoint)
    # Rows are sorted by user, then time: a user's first row is their first event.
    starts = np.flatnonzero(user_starts(users))
    user = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(users))))  # 0, 0, 1, ... per row
    cohort_idx = period_index(t[starts], cohort)
    base = period_index(period_start(cohort_idx, cohort).asi8, period)  # period holding each user's cohort start
    k = period_index(t, period) - base[user]
    row = np.searchsorted(cohorts, cohort_idx)[user]
    pairs = distinct((user.astype(np.int64) * len(cohorts) + row) * n_k + k)
    cell_row, cell_k, cell_user = (pairs // n_k) % len(cohorts), pairs % n_k, pairs // n_k // len(cohorts)
    if mode == "on_or_after":  # a user counts in every cell up to their last active one
        last = (
            pd.DataFrame({"user": cell_user, "row": cell_row, "k": cell_k})
            .groupby("user")
            .agg(row=("row", "first"), k=("k", "max"))
        )
        cell_row = np.repeat(last["row"].to_numpy(), last["k"].to_numpy() + 1)
        cell_k = _ranges(last["k"].to_numpy() + 1)
    np.add.at(counts, (cell_row, cell_k), 1)
    return counts, np.bincount(np.searchsorted(cohorts, cohort_idx), minlength=len(cohorts))


def _periods_after(first_cohort: int, cohort: str, period: str, end_ns: int) -> int:
    """Period numbers 0.. up to the period holding the end of the data, counted from the first cohort."""
    base = period_index(period_start([first_cohort], cohort).asi8, period)[0]
    return int(period_index(np.array([end_ns]), period)[0] - base) + 1


def _triangle(
    counts: np.ndarray, sizes: np.ndarray, cohort: str, period: str, first_cohort: int, end_ns: int
) -> tuple[pd.DataFrame, pd.Series]:
    """Retained users per cohort and period number (missing where not observable) and the cohort sizes."""
    keep = len(sizes) - int(np.argmax(sizes[::-1] > 0))  # no empty cohorts after the last one with users
    counts, sizes = counts[:keep], sizes[:keep]
    cohorts = np.arange(first_cohort, first_cohort + keep)
    n_k = counts.shape[1]
    # Observable: the cell's period has finished by the end of the data.
    cohort_base = period_index(period_start(cohorts, cohort).asi8, period)
    cell_end = period_start((cohort_base[:, None] + np.arange(n_k)[None, :] + 1).ravel(), period).asi8
    observable = cell_end.reshape(len(cohorts), n_k) <= end_ns
    index = pd.Index(period_start(cohorts, cohort), name="cohort")
    columns = pd.RangeIndex(n_k, name="periods_after")
    triangle = pd.DataFrame(counts, index=index, columns=columns).astype("Int64").mask(~observable)
    return triangle, pd.Series(sizes, index=index, name="cohort_size")


def _cells(triangle: pd.DataFrame, sizes: pd.Series, level: float) -> pd.DataFrame:
    """The observable cells of cohorts with users as a tidy table, by cohort then period number."""
    long = triangle.stack(future_stack=True).rename("retained").reset_index()
    long.insert(2, "cohort_size", sizes.reindex(long["cohort"]).to_numpy())
    long = long[long["retained"].notna() & (long["cohort_size"] > 0)].reset_index(drop=True)
    long["retained"] = long["retained"].astype(np.int64)
    retained, size = long["retained"].to_numpy(), long["cohort_size"].to_numpy()
    low, high = wilson_interval(retained, size, level)
    return long.assign(retention=retained / size, ci_low=low, ci_high=high)


def _ranges(lengths: np.ndarray) -> np.ndarray:
    """0, 1, ..., n - 1 for each n in ``lengths``, concatenated."""
    ends = np.cumsum(lengths)
    return np.arange(ends[-1] if len(ends) else 0) - np.repeat(ends - lengths, lengths)


def plot_retention(result: Retention, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Draw a :func:`retention` result as a heatmap, each share with its interval.

    Parameters
    ----------
    result : Retention
        What :func:`retention` returned.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.
    **kwargs
        Passed to matplotlib's ``imshow``.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    JourneyError
        ``result`` is not a :class:`Retention` (a DataFrame of shares, say).

    See Also
    --------
    Retention.plot : the same drawing.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["a", "b", "a"], "event": "x", "timestamp": ["2025-01-05", "2025-01-09", "2025-03-03"]})
    >>> ax = journey.plot_retention(journey.retention(df))
    >>> [t.get_text() for t in ax.texts]
    ['100%\\n34–100', '0%\\n0–66']
    """
    if not isinstance(result, Retention):
        raise JourneyError(f"plot_retention takes what journey.retention(...) returns, not {type(result).__name__}")
    return result.plot(ax=ax, **kwargs)
