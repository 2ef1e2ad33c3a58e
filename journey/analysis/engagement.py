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

from ..errors import JourneyError, UnknownEventError
from ..io.events import EventLog, duration_ns, session_starts, time_ns
from ..stats.intervals import wilson_interval
from ..engine.journeys import as_event_log
from ..stats.proportions import ProportionResult

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
    """(user codes, times in ns) of the log's events, or of one touchpoint's events."""
    users, t = log.user_codes, time_ns(log.frame["time"])
    if event is None:
        return users, t
    if str(event) not in log.events:  # names are text: event=3 means the touchpoint "3"
        raise UnknownEventError("event", event, log.events)
    keep = (log.frame["event"] == str(event)).to_numpy()
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
    from ..engine.dask import is_dask

    if is_dask(log):
        return _active_users_dask(log, freq, window)
    log = as_event_log(log)
    _check_freq(freq)
    users, t = _events(log)
    if window == "calendar":
        index = period_index(t, freq)
        first, last = int(index.min()), int(index.max())
        pairs = np.unique(users.astype(np.int64) * (last - first + 1) + (index - first))
        counts = np.bincount(pairs % (last - first + 1), minlength=last - first + 1)
        series = pd.Series(counts, index=period_start(np.arange(first, last + 1), freq), name=f"active users ({freq})")
        series.attrs["unfinished"] = series.index[-1]  # the data stop inside the last period
        return series
    if window == "rolling":
        return _rolling(users, t, ROLLING_DAYS[freq], f"active users (rolling {ROLLING_DAYS[freq]} days)")
    raise JourneyError(f'window must be "calendar" or "rolling", not {window!r}')


def _active_users_dask(ddf, freq: str, window: str) -> pd.Series:
    """Users are disjoint across user-shuffled partitions, so distinct active users add up exactly."""
    from ..engine.dask import map_user_partitions

    _check_freq(freq)
    if window == "rolling":
        return _rolling_dask(ddf, ROLLING_DAYS[freq], f"active users (rolling {ROLLING_DAYS[freq]} days)")
    if window != "calendar":
        raise JourneyError(f'window must be "calendar" or "rolling", not {window!r}')
    parts = [p for p in map_user_partitions(ddf, _calendar_users, freq) if p is not None]
    series = _added_up(parts, freq).rename(parts[0].name)
    series.attrs["unfinished"] = series.index[-1]
    return series


def _rolling_dask(ddf, days: int, name: str) -> pd.Series:
    """A rolling window runs on past a partition's own last day: every partition counts to the global one."""
    from ..engine.dask import canonical, compute, map_user_partitions

    ddf = canonical(ddf)
    last_day = int(compute(ddf["time"].max())[0].value // DAY_NS)
    parts = [p for p in map_user_partitions(ddf, _rolling_users, days, name, last_day) if p is not None]
    return _added_up(parts, "D").rename(name)


def _added_up(parts: list, step: str) -> pd.Series:
    merged = pd.concat(parts).groupby(level=0).sum().sort_index()
    first, last = period_index(merged.index[[0, -1]].asi8, step)
    return merged.reindex(period_start(np.arange(first, last + 1), step), fill_value=0)


def _calendar_users(log: EventLog, freq: str) -> pd.Series:
    return active_users(log, freq=freq, window="calendar")


def _rolling_users(log: EventLog, days: int, name: str, last_day: int) -> pd.Series:
    users, t = _events(log)
    return _rolling(users, t, days, name, last_day)


def _rolling(users: np.ndarray, t: np.ndarray, days: int, name: str, last_day: int | None = None) -> pd.Series:
    """Per day, users active on one of the ``days`` days ending that day (merged intervals, a difference array).

    The series runs to the last active day, or to ``last_day`` when given (the end of the whole data).
    """
    day = np.floor_divide(t, DAY_NS)
    first, last = int(day.min()), int(day.max()) if last_day is None else max(int(day.max()), last_day)
    pairs = np.unique(users.astype(np.int64) * (last - first + 1) + (day - first))
    user, d = pairs // (last - first + 1), pairs % (last - first + 1)
    # Each active day d counts on days d .. d + days - 1; merge a user's overlapping spans first.
    new_span = np.r_[True, (user[1:] != user[:-1]) | (d[1:] - d[:-1] > days)]
    starts = d[new_span]
    ends = np.r_[d[np.flatnonzero(new_span)[1:] - 1], d[-1]] + days  # exclusive
    delta = np.zeros(last - first + days + 1, dtype=np.int64)
    np.add.at(delta, starts, 1)
    np.add.at(delta, ends, -1)
    counts = np.cumsum(delta)[: last - first + 1]
    return pd.Series(counts, index=period_start(np.arange(first, last + 1), "D"), name=name)


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
    from ..engine.dask import is_dask

    if not isinstance(mau_days, (int, np.integer)) or mau_days < 1:
        raise JourneyError(f"mau_days must be a positive whole number, not {mau_days!r}")
    if is_dask(log):
        dau, mau = _rolling_dask(log, 1, "dau"), _rolling_dask(log, mau_days, "mau")
    else:
        log = as_event_log(log)
        users, t = _events(log)
        dau = _rolling(users, t, 1, "dau")
        mau = _rolling(users, t, mau_days, "mau")
    frame = pd.DataFrame({"dau": dau, "mau": mau, "stickiness": dau / mau})
    frame["full_window"] = np.arange(len(frame)) >= mau_days - 1
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
    from ..engine.dask import is_dask

    _check_freq(period)
    window = None if inactive_after is None else duration_ns(inactive_after, "inactive_after")
    if is_dask(log):
        from ..engine.dask import map_user_partitions

        span = _span_dask(log, period)
        parts = [p for p in map_user_partitions(log, _churn_counts, period, window, span) if p is not None]
        at_start, lost = (np.sum([p[i] for p in parts], axis=0) for i in (0, 1))
    else:
        log = as_event_log(log)
        users, t = _events(log)
        span = (int(period_index(t, period).min()), int(period_index(t, period).max()), int(t.max()))
        at_start, lost = _churn_counts(log, period, window, span)
    return _churn_table(at_start, lost, period, span, level)


def _span_dask(ddf, period: str) -> tuple[int, int, int]:
    """(first period index, last period index, end of the data in ns) of a Dask log: the global frame."""
    from ..engine.dask import canonical, compute

    ddf = canonical(ddf)
    low, high = compute(ddf["time"].min(), ddf["time"].max())
    return int(period_index(np.array([low.value]), period)[0]), int(period_index(np.array([high.value]), period)[0]), int(high.value)


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
    from ..engine.dask import is_dask

    _check_freq(cohort), _check_freq(period)
    if mode not in ("on", "on_or_after"):
        raise JourneyError(f'mode must be "on" or "on_or_after", not {mode!r}')
    if is_dask(log):
        from ..engine.dask import canonical, compute, map_user_partitions

        ddf = canonical(log)
        if event is not None:
            present = set(compute(ddf["event"].unique())[0])
            if str(event) not in present:
                raise UnknownEventError("event", event, sorted(present))
            event = str(event)
        span = _span_dask(ddf if event is None else ddf[ddf["event"] == event], cohort)
        parts = [p for p in map_user_partitions(ddf, _retention_counts, cohort, period, mode, event, span) if p is not None]
        counts, sizes = (np.sum([p[i] for p in parts], axis=0) for i in (0, 1))
    else:
        log = as_event_log(log)
        users, t = _events(log, event)
        first_times = pd.Series(t).groupby(users).min().to_numpy()
        span = (int(period_index(first_times, cohort).min()), int(period_index(first_times, cohort).max()), int(t.max()))
        counts, sizes = _retention_counts(log, cohort, period, mode, event, span)
    return _retention_result(counts, sizes, cohort, period, span)


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
