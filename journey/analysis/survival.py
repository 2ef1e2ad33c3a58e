"""Time to churn, or to the next purchase, as a Kaplan-Meier curve with censoring done right.

Customers still active at the end of the data have not churned yet: they are *censored* at the time
observed so far, not counted as churned, and the Kaplan-Meier estimator (``scipy.stats.ecdf`` on
``scipy.stats.CensoredData``) uses them exactly that far. Intervals are pointwise, from Greenwood's variance
(``method="linear"``, the classic one) or on the log-log scale (``"log-log"``, never outside [0, 1]).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import JourneyError
from ..io.events import EventLog, duration_ns, session_starts, time_ns
from ..stats.proportions import _check_level as check_level
from ..stats.survival import SurvivalResult, kaplan_meier
from ..engine.core import Analysis, run
from ..io.facts import Facts
from ..engine.partials import Keyed

__all__ = ["survival"]

DAY_NS = 86_400 * 10**9


def survival(log_or_orders, *, inactive_after="30D", event: str = "churn", customer: str = "customer_id",
             time: str = "timestamp", level: float = 0.95, method: str = "linear") -> SurvivalResult:
    """Kaplan-Meier curve of the time (days) from a customer's first activity to churn or to their next order.

    Parameters
    ----------
    log_or_orders : EventLog or pandas.DataFrame
        With ``event="churn"``: the events. A customer churns when ``inactive_after`` passes without an
        event; the time to churn runs from their first event to their last event plus ``inactive_after``.
        Customers whose churn moment lies after the end of the data are censored at the data's end.
        With ``event="next_purchase"``: an orders table (``customer``, ``time`` columns): time from each
        customer's first order to their second; customers without one are censored at the data's end.
    """
    if event == "churn":
        analysis = TimeToChurn(inactive_after=inactive_after, level=level, method=method)
    elif event == "next_purchase":
        analysis = TimeToNextPurchase(customer=customer, time=time, level=level, method=method)
    else:
        raise JourneyError(f'event must be "churn" or "next_purchase", not {event!r}')
    return run(analysis, log_or_orders, argument="log_or_orders")


class _TimeToEvent(Analysis):
    """Kaplan-Meier input as counts of events and censorings per distinct duration (nanoseconds).

    Those counts add across parts and are all the estimator needs; the curve is drawn in ``finish``.
    """

    what = "survival"

    def __init__(self, *, level: float, method: str):
        if method not in ("linear", "log-log"):
            raise JourneyError(f'method must be "linear" (Greenwood) or "log-log", not {method!r}')
        check_level(level)
        self.level, self.method = level, method

    def partial(self, part, facts: Facts) -> Keyed:
        durations, observed = self.durations(part, facts.end_ns)
        index, inverse = np.unique(durations, return_inverse=True)
        return Keyed(pd.Index(index), {"events": np.bincount(inverse[observed], minlength=len(index)),
                                       "censored": np.bincount(inverse[~observed], minlength=len(index))})

    def finish(self, total: Keyed, facts: Facts) -> SurvivalResult:
        days = total.index.to_numpy(dtype=np.int64) / DAY_NS
        events, censored = total.values["events"], total.values["censored"]
        durations = np.concatenate([np.repeat(days, events), np.repeat(days, censored)])
        observed = np.repeat([True, False], [int(events.sum()), int(censored.sum())])
        return kaplan_meier(durations, observed, level=self.level, method=self.method, what=self.what)


class TimeToChurn(_TimeToEvent):
    """Time from a customer's first event to churn (``inactive_after`` without an event)."""

    def __init__(self, *, inactive_after, level: float, method: str):
        super().__init__(level=level, method=method)
        self.window = duration_ns(inactive_after, "inactive_after")
        self.what = f"time to churn ({inactive_after} inactive)"

    def durations(self, log, end: int) -> tuple[np.ndarray, np.ndarray]:
        return _time_to_churn(log, self.window, end)


class TimeToNextPurchase(_TimeToEvent):
    """Time from a customer's first order to their second."""

    source = "orders"
    what = "time to next purchase"

    def __init__(self, *, customer: str, time: str, level: float, method: str):
        super().__init__(level=level, method=method)
        self.options = {"customer": customer, "time": time}

    def reader_options(self) -> dict:
        return dict(self.options)

    def durations(self, orders: pd.DataFrame, end: int) -> tuple[np.ndarray, np.ndarray]:
        t = time_ns(orders["time"])
        codes = orders["customer_code"].to_numpy()
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
