"""Engagement: active users, stickiness, churn and retention cohorts, with stated definitions.

Conventions (tools disagree on these silently; here they are fixed and written down)
------------------------------------------------------------------------------------
* Periods are calendar periods in UTC: ``"D"`` days, ``"W"`` ISO weeks (starting Monday), ``"M"`` months.
  A period is indexed by its start.
* The data end at the last event of the log. A period that has not finished by then is *unfinished*: it is
  marked, its cells in retention triangles are NaN (not observable yet, never 0), and it is left out of
  averages. Nothing that has not had the chance to happen is counted as churn.
* Rolling windows (``window="rolling"``, stickiness) count a user on day ``d`` when they were active on one
  of the window's days ending at ``d``: 7 days for ``"W"``, 30 days for ``"M"`` (MAU; 28 on request).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from ..errors import JourneyError
from ..io.events import EventLog, duration_ns, session_starts
from ..stats.intervals import wilson_interval
from ..engine.core import Analysis, run
from ..io.facts import Facts
from ..engine.partials import Parts
from ..stats.proportions import ProportionResult
from ..stats.proportions import _check_level as check_level

__all__ = ["active_users", "stickiness", "Stickiness", "churn", "retention", "Retention", "period_index",
           "period_start"]

FREQS = ("D", "W", "M")
DAY_NS = 86_400 * 10**9
ROLLING_DAYS = {"D": 1, "W": 7, "M": 30}


def period_index(t_ns: np.ndarray, freq: str) -> np.ndarray:
    """Integer index of the UTC calendar period holding each time (days, ISO weeks or months since 1970)."""
    _check_freq(freq)
    days = np.floor_divide(t_ns, DAY_NS)
    if freq == "D":
        return days
    if freq == "W":
        return np.floor_divide(days + 3, 7)  # 1970-01-01 was a Thursday: weeks counted from Monday 1969-12-29
    return t_ns.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)


def period_start(index, freq: str) -> pd.DatetimeIndex:
    """Start (UTC) of each period index from :func:`period_index`."""
    index = np.asarray(index, dtype=np.int64)
    if freq == "D":
        starts = index.astype("datetime64[D]")
    elif freq == "W":
        starts = (index * 7 - 3).astype("datetime64[D]")
    else:
        starts = index.astype("datetime64[M]").astype("datetime64[D]")
    return pd.DatetimeIndex(starts.astype("datetime64[ns]")).tz_localize("UTC")


def _check_freq(freq: str) -> None:
    if freq not in FREQS:
        raise JourneyError(f'period must be "D", "W" or "M", not {freq!r}')


def _events(log: EventLog, event=None) -> tuple[np.ndarray, np.ndarray]:
    """(user codes, times in ns) of the log's events, or of one touchpoint's events (none if it is absent)."""
    users, t = log.user_codes, log.time_ns
    if event is None:
        return users, t
    names = log.events
    keep = log.event_codes == (names.index(str(event)) if str(event) in names else -1)
    return users[keep], t[keep]


def active_users(log, *, freq: str = "D", window: str = "calendar") -> pd.Series:
    """Distinct active users per period.

    Parameters
    ----------
    freq : {"D", "W", "M"}
        Daily, weekly (ISO weeks) or monthly active users.
    window : {"calendar", "rolling"}
        ``"calendar"``: users active in each calendar period, indexed by the period's start.
        ``"rolling"``: for each day, users active on one of the last 1, 7 or 30 days (``freq``) ending
        that day, indexed by the day.

    The last period holds the end of the data, so it is unfinished: later events could still fall in it.
    Its start is in ``attrs["unfinished"]``.

    Returns
    -------
    pandas.Series
        Counts (int), every period from the first to the last event (periods with nobody are 0).

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["x"] * 3,
    ...                    "timestamp": ["2025-01-01T10:00Z", "2025-01-03T10:00Z", "2025-01-03T11:00Z"]})
    >>> journey.active_users(df).tolist()
    [1, 0, 2]
    """
    return run(ActiveUsersAnalysis(freq=freq, window=window), log)


def _day_span(facts: Facts) -> tuple[int, int]:
    return int(facts.start_ns // DAY_NS), int(facts.end_ns // DAY_NS)


class ActiveUsersAnalysis(Analysis):
    """Distinct active users per period over the whole data's span: users are disjoint across parts."""

    def __init__(self, *, freq: str, window: str):
        _check_freq(freq)
        if window not in ("calendar", "rolling"):
            raise JourneyError(f'window must be "calendar" or "rolling", not {window!r}')
        self.freq, self.window = freq, window

    def partial(self, log, facts: Facts) -> np.ndarray:
        users, t = _events(log)
        if self.window == "rolling":
            return _rolling(users, t, ROLLING_DAYS[self.freq], *_day_span(facts))
        first, last = (int(i) for i in period_index(np.array([facts.start_ns, facts.end_ns]), self.freq))
        index = period_index(t, self.freq)
        pairs = np.unique(users.astype(np.int64) * (last - first + 1) + (index - first))
        return np.bincount(pairs % (last - first + 1), minlength=last - first + 1)

    def finish(self, counts: np.ndarray, facts: Facts) -> pd.Series:
        if self.window == "rolling":
            first, _ = _day_span(facts)
            days = ROLLING_DAYS[self.freq]
            return pd.Series(counts, index=period_start(np.arange(first, first + len(counts)), "D"),
                             name=f"active users (rolling {days} days)")
        first = int(period_index(np.array([facts.start_ns]), self.freq)[0])
        series = pd.Series(counts, index=period_start(np.arange(first, first + len(counts)), self.freq),
                           name=f"active users ({self.freq})")
        series.attrs["unfinished"] = series.index[-1]  # the data stop inside the last period
        return series


def _rolling(users: np.ndarray, t: np.ndarray, days: int, first: int, last: int) -> np.ndarray:
    """Per day from ``first`` to ``last`` (days since the epoch), users active on one of the ``days`` days
    ending that day (merged intervals, a difference array)."""
    day = np.floor_divide(t, DAY_NS)
    n = last - first + 1
    pairs = np.unique(users.astype(np.int64) * n + (day - first))
    user, d = pairs // n, pairs % n
    # Each active day d counts on days d .. d + days - 1; merge a user's overlapping spans first.
    new_span = np.r_[True, (user[1:] != user[:-1]) | (d[1:] - d[:-1] > days)]
    starts = d[new_span]
    ends = np.r_[d[np.flatnonzero(new_span)[1:] - 1], d[-1:]] + days  # exclusive
    delta = np.zeros(n + days + 1, dtype=np.int64)
    np.add.at(delta, starts, 1)
    np.add.at(delta, ends, -1)
    return np.cumsum(delta)[:n]


class Stickiness(NamedTuple):
    """DAU/MAU per day (``series``: dau, mau, stickiness) and the mean over days with a full MAU window."""

    series: pd.DataFrame
    mean: float


def stickiness(log, *, mau_days: int = 30) -> Stickiness:
    """DAU / MAU per day, with MAU over a rolling ``mau_days``-day window ending that day.

    The first ``mau_days - 1`` days have an incomplete MAU window: their ratio is shown (``full_window`` is
    False) but left out of the mean.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["a", "b", "a"], "event": ["x"] * 3,
    ...                    "timestamp": ["2025-01-01T10:00Z", "2025-01-01T11:00Z", "2025-01-02T10:00Z"]})
    >>> journey.stickiness(df, mau_days=2).series["stickiness"].tolist()
    [1.0, 0.5]
    """
    return run(StickinessAnalysis(mau_days=mau_days), log)


class StickinessAnalysis(Analysis):
    """Daily and rolling-window active users over the whole data's days; they add across parts."""

    def __init__(self, *, mau_days: int):
        if isinstance(mau_days, bool) or not isinstance(mau_days, (int, np.integer)) or mau_days < 1:
            raise JourneyError(f"mau_days must be a positive whole number, not {mau_days!r}")
        self.mau_days = int(mau_days)

    def partial(self, log, facts: Facts) -> Parts:
        users, t = _events(log)
        return Parts(dau=_rolling(users, t, 1, *_day_span(facts)),
                     mau=_rolling(users, t, self.mau_days, *_day_span(facts)))

    def finish(self, total: Parts, facts: Facts) -> Stickiness:
        first, _ = _day_span(facts)
        index = period_start(np.arange(first, first + len(total["dau"])), "D")
        frame = pd.DataFrame({"dau": total["dau"], "mau": total["mau"]}, index=index)
        frame["stickiness"] = frame["dau"] / frame["mau"]
        frame["full_window"] = np.arange(len(frame)) >= self.mau_days - 1
        full = frame.loc[frame["full_window"], "stickiness"]
        return Stickiness(frame, float(full.mean()) if len(full) else float("nan"))


def churn(log, *, period: str = "M", inactive_after=None, level: float = 0.95) -> pd.DataFrame:
    """Churn per period: customers at the start, customers lost, churn rate = lost / at start.

    Parameters
    ----------
    period : {"D", "W", "M"}
    inactive_after : str or pandas.Timedelta, optional
        Without it, a customer is *at the start* of a period when they were active in the previous period,
        and *lost* when they are not active in this one. With it (e.g. ``"30D"``), a customer is active from
        each event until ``inactive_after`` has passed without another; they are at the start of a period
        when active at its first instant, and lost in the period when their inactivity reaches
        ``inactive_after`` within it.

    Returns
    -------
    pandas.DataFrame
        ``period`` (start), ``customers_at_start``, ``lost``, ``churn_rate`` (share 0-1), ``ci_low``,
        ``ci_high`` (Wilson) and ``complete``. A period that has not ended by the end of the data (the last
        event) is ``complete=False``: its figures are partial and it is left out of ``attrs["average"]``, the
        pooled rate over complete periods (a :class:`~journey.stats.proportions.ProportionResult`).

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["a", "b", "a", "a"], "event": ["x"] * 4,
    ...                    "timestamp": ["2025-01-05T00:00Z", "2025-01-09T00:00Z", "2025-02-03T00:00Z", "2025-03-31T00:00Z"]})
    >>> journey.churn(df)[["customers_at_start", "lost", "complete"]].values.tolist()
    [[0, 0, True], [2, 1, True], [1, 0, False]]
    """
    return run(ChurnAnalysis(period=period, inactive_after=inactive_after, level=level), log)


class ChurnAnalysis(Analysis):
    """Customers at the start of, and lost in, each period of the whole data's span."""

    def __init__(self, *, period: str, inactive_after, level: float):
        _check_freq(period)
        check_level(level)
        self.period, self.level = period, level
        self.window = None if inactive_after is None else duration_ns(inactive_after, "inactive_after")

    def span(self, facts: Facts) -> tuple[int, int, int]:
        first, last = (int(i) for i in period_index(np.array([facts.start_ns, facts.end_ns]), self.period))
        return first, last, facts.end_ns

    def partial(self, log, facts: Facts) -> Parts:
        at_start, lost = _churn_counts(log, self.period, self.window, self.span(facts))
        return Parts(at_start=at_start, lost=lost)

    def finish(self, total: Parts, facts: Facts) -> pd.DataFrame:
        return _churn_table(total["at_start"], total["lost"], self.period, self.span(facts), self.level)


def _churn_counts(log: EventLog, period: str, window: int | None, span: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Customers at the start of, and lost in, each period of ``span``; additive over user-disjoint parts."""
    first, last, end_ns = span
    users, t = _events(log)
    if window is None:
        return _churn_by_period(users, period_index(t, period) - first, last - first + 1)
    starts_ns = period_start(np.arange(first, last + 2), period).asi8  # one more: the end of the last period
    return _churn_by_inactivity(users, t, window, starts_ns, end_ns)


def _churn_table(at_start, lost, period: str, span: tuple, level: float) -> pd.DataFrame:
    first, last, end_ns = span
    starts_ns = period_start(np.arange(first, last + 2), period).asi8
    complete = starts_ns[1:] <= end_ns  # the period ended before the data did
    low, high = wilson_interval(lost, at_start, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(at_start > 0, lost / np.maximum(at_start, 1), np.nan)
    table = pd.DataFrame({"period": period_start(np.arange(first, last + 1), period), "customers_at_start": at_start,
                          "lost": lost, "churn_rate": rate, "ci_low": low, "ci_high": high, "complete": complete})
    done = table[table["complete"]]
    table.attrs["average"] = ProportionResult(int(done["lost"].sum()), int(done["customers_at_start"].sum()),
                                              label="churn rate")
    return table


def _churn_by_period(users: np.ndarray, idx: np.ndarray, n_periods: int) -> tuple[np.ndarray, np.ndarray]:
    """``idx``: each event's period counted from the first period of the span (0 .. n_periods - 1)."""
    pairs = np.unique(users.astype(np.int64) * n_periods + idx)
    user, p = pairs // n_periods, pairs % n_periods
    active = np.bincount(p, minlength=n_periods)
    # Active in p and again in p + 1: the same user on consecutive distinct pairs.
    stayed = np.bincount(p[:-1][(user[1:] == user[:-1]) & (p[1:] == p[:-1] + 1)] + 1, minlength=n_periods + 1)[:n_periods]
    at_start = np.r_[0, active[:-1]]
    return at_start, at_start - stayed


def _churn_by_inactivity(users, t, window, starts_ns, end_ns) -> tuple[np.ndarray, np.ndarray]:
    """Activity spells (events less than ``window`` apart) end ``window`` after their last event.

    ``users`` and ``t`` are in EventLog order (by user, then time).
    """
    begins = session_starts(users, t, window - 1)  # a gap of window or more ends the spell
    first = t[begins]
    lapse = np.r_[t[np.flatnonzero(begins)[1:] - 1], t[-1]] + window  # the moment the customer is lost
    n = len(starts_ns) - 1
    period_starts = starts_ns[:-1]
    # At the start of period p: first <= start_p < lapse.
    lo = np.searchsorted(period_starts, first, side="left")
    hi = np.searchsorted(period_starts, lapse, side="left")
    delta = np.zeros(n + 1, dtype=np.int64)
    np.add.at(delta, lo, 1)
    np.add.at(delta, hi, -1)
    at_start = np.cumsum(delta)[:n]
    # Lost in the period holding the last instant of activity (a lapse exactly at a period's start belongs to
    # the period before), counted only if the customer was there at that period's start, and only once seen.
    lapse_period = hi - 1
    counted = (hi > lo) & (lapse <= end_ns)
    lost = np.bincount(lapse_period[counted], minlength=n)
    return at_start, lost


class Retention(NamedTuple):
    """A retention triangle: ``shares`` (0-1), ``counts`` of retained users, ``sizes`` of the cohorts."""

    shares: pd.DataFrame
    counts: pd.DataFrame
    sizes: pd.Series

    def confidence_interval(self, level: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Wilson bounds for every cell (NaN where the cell cannot be observed yet)."""
        low, high = wilson_interval(self.counts.to_numpy(dtype=float), self.sizes.to_numpy()[:, None], level)
        observable = self.shares.notna().to_numpy()
        as_frame = lambda a: pd.DataFrame(np.where(observable, a, np.nan), index=self.shares.index,
                                          columns=self.shares.columns)
        return as_frame(low), as_frame(high)


def retention(log, *, cohort: str = "M", period: str = "M", mode: str = "on", event: str | None = None) -> Retention:
    """Cohort retention triangle.

    Users join the cohort of the period of their first activity (``cohort`` frequency). Cell ``k`` of a
    cohort is the share of its users active ``k`` periods (``period`` frequency) after the period holding
    the cohort's start: in that period (``mode="on"``) or in it or any later one (``"on_or_after"``,
    unbounded retention). With ``event``, only that touchpoint counts as activity (e.g. repeat purchases).
    A cell whose period has not finished by the end of the data cannot be observed: NaN, never 0.

    Returns
    -------
    Retention
        ``shares`` (index: cohort start; columns: period number 0..k), ``counts`` and ``sizes``;
        ``confidence_interval()`` gives Wilson bounds per cell.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["a", "b", "a", "c"], "event": ["x"] * 4,
    ...                    "timestamp": ["2025-01-05T00:00Z", "2025-01-09T00:00Z", "2025-02-03T00:00Z", "2025-02-10T00:00Z"]})
    >>> r = journey.retention(df)
    >>> r.shares.values.tolist()
    [[1.0, nan], [nan, nan]]
    """
    return run(RetentionAnalysis(cohort=cohort, period=period, mode=mode, event=event), log)


class RetentionAnalysis(Analysis):
    """Retained users per (cohort, period number) and cohort sizes over the whole data's cohorts.

    Rows cover every cohort period of the data and columns every period number that can occur, so the
    arrays of two parts have the same shape and add; ``finish`` trims what no user fills.
    """

    def __init__(self, *, cohort: str, period: str, mode: str, event):
        _check_freq(cohort), _check_freq(period)
        if mode not in ("on", "on_or_after"):
            raise JourneyError(f'mode must be "on" or "on_or_after", not {mode!r}')
        self.cohort, self.period, self.mode = cohort, period, mode
        self.event = None if event is None else str(event)

    def prepare(self, facts: Facts) -> None:
        if self.event is not None:
            facts.require_events([self.event], "event")

    def span(self, facts: Facts) -> tuple[int, int, int]:
        first, last = (int(i) for i in period_index(np.array([facts.start_ns, facts.end_ns]), self.cohort))
        return first, last, facts.end_ns

    def partial(self, log, facts: Facts) -> Parts:
        counts, sizes = _retention_counts(log, self.cohort, self.period, self.mode, self.event, self.span(facts))
        return Parts(counts=counts, sizes=sizes)

    def finish(self, total: Parts, facts: Facts) -> Retention:
        first, _, end_ns = self.span(facts)
        counts, sizes = total["counts"], total["sizes"]
        used = np.flatnonzero(sizes)
        if not len(used):
            raise JourneyError("no user has an event to start a cohort with")
        lead = int(used[0])  # with event=, the first cohort is the first with that event
        first_cohort = first + lead
        n_k = _periods_after(first_cohort, self.cohort, self.period, end_ns)
        return _retention_result(counts[lead:, :n_k], sizes[lead:], self.cohort, self.period,
                                 (first_cohort, None, end_ns))


def _retention_counts(log: EventLog, cohort: str, period: str, mode: str, event, span: tuple):
    """(cohorts x periods) counts of retained users and cohort sizes over ``span``; additive over users."""
    first_cohort, last_cohort, end_ns = span
    cohorts = np.arange(first_cohort, last_cohort + 1)
    n_k = _periods_after(first_cohort, cohort, period, end_ns)
    counts = np.zeros((len(cohorts), n_k), dtype=np.int64)
    if event is not None and event not in log.events:
        return counts, np.zeros(len(cohorts), dtype=np.int64)  # this part of the log never has the event
    users, t = _events(log, event)
    first_time = pd.Series(t).groupby(users).min()
    cohort_idx = period_index(first_time.to_numpy(), cohort)
    base = period_index(period_start(cohort_idx, cohort).asi8, period)  # period holding each user's cohort start
    k = period_index(t, period) - pd.Series(base, index=first_time.index).reindex(users).to_numpy()
    row = np.searchsorted(cohorts, pd.Series(cohort_idx, index=first_time.index).reindex(users).to_numpy())
    pairs = np.unique((users.astype(np.int64) * len(cohorts) + row) * n_k + k)
    cell_row, cell_k, cell_user = (pairs // n_k) % len(cohorts), pairs % n_k, pairs // n_k // len(cohorts)
    if mode == "on_or_after":  # a user counts in every cell up to their last active one
        last = pd.DataFrame({"user": cell_user, "row": cell_row, "k": cell_k}).groupby("user").agg(row=("row", "first"),
                                                                                                   k=("k", "max"))
        cell_row, cell_k = np.repeat(last["row"].to_numpy(), last["k"].to_numpy() + 1), _ranges(last["k"].to_numpy() + 1)
    np.add.at(counts, (cell_row, cell_k), 1)
    return counts, np.bincount(np.searchsorted(cohorts, cohort_idx), minlength=len(cohorts))


def _periods_after(first_cohort: int, cohort: str, period: str, end_ns: int) -> int:
    """Period numbers 0.. up to the period holding the end of the data, counted from the first cohort."""
    base = period_index(period_start([first_cohort], cohort).asi8, period)[0]
    return int(period_index(np.array([end_ns]), period)[0] - base) + 1


def _retention_result(counts, sizes, cohort: str, period: str, span: tuple) -> Retention:
    first_cohort, _, end_ns = span
    keep = len(sizes) - int(np.argmax(sizes[::-1] > 0))  # no empty cohorts after the last one with users
    counts, sizes = counts[:keep], sizes[:keep]
    cohorts = np.arange(first_cohort, first_cohort + keep)
    n_k = counts.shape[1]
    # Observable: the cell's period has finished by the end of the data.
    cohort_base = period_index(period_start(cohorts, cohort).asi8, period)
    cell_end = period_start((cohort_base[:, None] + np.arange(n_k)[None, :] + 1).ravel(), period).asi8.reshape(len(cohorts), n_k)
    observable = cell_end <= end_ns + 1
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(observable & (sizes[:, None] > 0), counts / np.maximum(sizes[:, None], 1), np.nan)
    index = period_start(cohorts, cohort)
    columns = pd.RangeIndex(n_k, name="period")
    return Retention(pd.DataFrame(shares, index=index, columns=columns),
                     pd.DataFrame(counts, index=index, columns=columns).astype("Int64").mask(~observable),
                     pd.Series(sizes, index=index, name="cohort size"))


def _ranges(lengths: np.ndarray) -> np.ndarray:
    """0, 1, ..., n - 1 for each n in ``lengths``, concatenated."""
    ends = np.cumsum(lengths)
    return np.arange(ends[-1]) - np.repeat(ends - lengths, lengths)
