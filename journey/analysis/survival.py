"""Time to churn, or to the next purchase, as a Kaplan-Meier curve with censoring done right."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from ..engine.core import Analysis, run
from ..engine.partials import Keyed
from ..errors import JourneyError, option
from ..io.aliases import Duration
from ..io.events import EventLog, LogLike, duration_ns, session_starts, time_ns
from ..io.facts import Facts
from ..stats.results import check_level
from ..stats.survival import SurvivalMethod, SurvivalResult, _check_method, kaplan_meier

__all__ = ["survival", "Outcome"]

DAY_NS = 86_400 * 10**9

#: What the curve waits for: churn (inactivity) in an event log, or a second order in an orders table.
Outcome = Literal["churn", "next_purchase"]


def survival(
    log_or_orders: LogLike | pd.DataFrame | str,
    *,
    inactive_after: Duration = "30D",
    outcome: Outcome = "churn",
    user: str = "user_id",
    time: str = "timestamp",
    order_id: str | None = None,
    level: float = 0.95,
    method: SurvivalMethod = "linear",
) -> SurvivalResult:
    """Kaplan-Meier curve of the days from a customer's first activity to churn, or to their next order.

    Parameters
    ----------
    log_or_orders : EventLog, pandas.DataFrame, str or Dask collection
        With ``outcome="churn"``: the events (an EventLog, or a DataFrame with the default columns of
        :func:`journey.read_events`). With ``outcome="next_purchase"``: the orders (see
        :func:`journey.io.orders.read_orders`).
    inactive_after : str or pandas.Timedelta
        With ``outcome="churn"``: the inactivity that makes a customer churned (``"30D"``).
    outcome : {"churn", "next_purchase"}
        What the curve waits for.
    user, time : str
        With ``outcome="next_purchase"``: the orders' customer and time columns (``"customer_id"`` is used
        when the default ``"user_id"`` is absent). A log's columns are named in :func:`journey.read_events`.
    order_id : str, optional
        With ``outcome="next_purchase"``: the order id column, so the lines of one order are one order.
    level : float
        Confidence level of the pointwise intervals (0.95 for 95%).
    method : {"linear", "log-log"}
        Greenwood's variance on the curve (clipped to [0, 1]) or on log(-log S).

    Returns
    -------
    SurvivalResult
        ``to_frame()`` with one row per distinct time (``time`` in days), ``confidence_interval()``,
        ``median`` and ``median_confidence_interval()``, ``.plot()``.

    Raises
    ------
    JourneyError
        An unknown ``outcome`` or ``method``, a bad ``inactive_after`` or ``level``, orders' options given
        with ``outcome="churn"``, or no event observed at all.
    MissingColumnError, InvalidValuesError
        As :func:`journey.io.orders.read_orders`, for orders.

    See Also
    --------
    kaplan_meier : the estimator on durations you computed.
    churn : churn per calendar period.
    repeat_rate : the share of customers who order again (within a window).

    Notes
    -----
    With ``outcome="churn"`` a customer churns when ``inactive_after`` passes without an event: the time to
    churn runs from their first event to the end of their first spell of activity (its last event plus
    ``inactive_after``). With ``outcome="next_purchase"`` it runs from a customer's first order to their
    second. Customers for whom that moment lies after the end of the data (the last event or order) have
    not had it *yet*: they are censored at the end of the data, never counted as having it nor left out,
    and the Kaplan-Meier estimator (Kaplan & Meier 1958) uses them as far as they were observed.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "c"],
    ...                        "timestamp": ["2025-01-01", "2025-01-11", "2025-01-05", "2025-01-02", "2025-01-04"]})
    >>> km = journey.survival(orders, outcome="next_purchase")
    >>> km.to_frame()[["time", "at_risk", "events", "censored", "survival"]].round(3)
       time  at_risk  events  censored  survival
    0   2.0        3       1         0     0.667
    1   6.0        2       0         1     0.667
    2  10.0        1       1         0     0.000
    """
    if outcome == "churn":
        defaults = {"user": (user, "user_id"), "time": (time, "timestamp"), "order_id": (order_id, None)}
        given = [keyword for keyword, (value, default) in defaults.items() if value != default]
        if given:
            raise JourneyError(
                f"{', '.join(option(k) for k in given)} name columns of orders, for "
                f"{option('outcome', 'next_purchase')}; for churn, name the log's columns when "
                f"reading it with journey.read_events"
            )
        analysis: _TimeToEvent = TimeToChurn(inactive_after=inactive_after, level=level, method=method)
    elif outcome == "next_purchase":
        analysis = TimeToNextPurchase(user=user, time=time, order_id=order_id, level=level, method=method)
    else:
        raise JourneyError(f'outcome must be "churn" or "next_purchase", not {outcome!r}')
    return run(analysis, log_or_orders, argument="log_or_orders")


class _TimeToEvent(Analysis):
    """Kaplan-Meier input as counts of events and censorings per distinct duration (nanoseconds).

    Those counts add across parts and are all the estimator needs; the curve is drawn in ``finish``.
    """

    outcome: Outcome

    def __init__(self, *, level: float, method: SurvivalMethod):
        self.method = _check_method(method)
        self.level = check_level(level)

    def durations(self, part: Any, end: int) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def partial(self, part: Any, facts: Facts) -> Keyed:
        durations, observed = self.durations(part, facts.end_ns)
        index, inverse = np.unique(durations, return_inverse=True)
        return Keyed(
            pd.Index(index),
            {
                "events": np.bincount(inverse[observed], minlength=len(index)),
                "censored": np.bincount(inverse[~observed], minlength=len(index)),
            },
        )

    def finish(self, total: Keyed, facts: Facts) -> SurvivalResult:
        order = np.argsort(total.index.to_numpy(dtype=np.int64), kind="stable")  # parts add in any order
        days = total.index.to_numpy(dtype=np.int64)[order] / DAY_NS
        events, censored = total.values["events"][order], total.values["censored"][order]
        durations = np.concatenate([np.repeat(days, events), np.repeat(days, censored)])
        observed = np.repeat([True, False], [int(events.sum()), int(censored.sum())])
        return kaplan_meier(durations, observed, level=self.level, method=self.method, outcome=self.outcome)


class TimeToChurn(_TimeToEvent):
    """Time from a customer's first event to churn (``inactive_after`` without an event)."""

    outcome: Outcome = "churn"

    def __init__(self, *, inactive_after: Duration, level: float, method: SurvivalMethod):
        super().__init__(level=level, method=method)
        self.window = duration_ns(inactive_after, "inactive_after")

    def durations(self, log: EventLog, end: int) -> tuple[np.ndarray, np.ndarray]:
        return _time_to_churn(log, self.window, end)


class TimeToNextPurchase(_TimeToEvent):
    """Time from a customer's first order to their second."""

    source = "orders"
    outcome: Outcome = "next_purchase"

    def __init__(self, *, user: str, time: str, order_id: str | None, level: float, method: SurvivalMethod):
        super().__init__(level=level, method=method)
        self.options = {"user": user, "time": time, "order_id": order_id}

    def reader_options(self) -> dict:
        return dict(self.options)

    def durations(self, orders: pd.DataFrame, end: int) -> tuple[np.ndarray, np.ndarray]:
        if "order" in orders.columns:  # order lines (order_id=, or read_orders with it): one order each
            orders = orders.drop_duplicates(["user", "order"], keep="first", ignore_index=True)
        t = time_ns(orders["time"])
        codes = orders["user_code"].to_numpy()
        first = np.r_[True, codes[1:] != codes[:-1]]
        second = np.r_[False, ~first[1:]] & np.r_[True, first[:-1]]  # the row right after a customer's first
        start = t[first]
        again = np.full(len(start), -1, dtype=np.int64)
        again[codes[second] - codes[0]] = t[second]
        observed = again >= 0
        return np.where(observed, again, end) - start, observed


def _time_to_churn(log: EventLog, window: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """Per customer: nanoseconds from the first event to churn (or to ``end``, censored), and whether churned."""
    users, t = log.user_codes, log.time_ns
    first_row = np.r_[True, users[1:] != users[:-1]]
    first = t[first_row]
    # A customer's first spell ends when `window` passes without an event.
    spell_start = session_starts(users, t, window - 1)
    spell_end_rows = np.r_[np.flatnonzero(spell_start)[1:] - 1, len(t) - 1]
    first_spell_end = t[spell_end_rows][np.searchsorted(np.flatnonzero(spell_start), np.flatnonzero(first_row))]
    lapse = first_spell_end + window
    observed = lapse <= end
    return np.where(observed, lapse, end) - first, observed
