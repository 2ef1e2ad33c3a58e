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
from ..stats.survival import SurvivalResult, kaplan_meier
from ..engine.journeys import as_event_log

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
        log = as_event_log(log_or_orders, "log_or_orders")
        durations, observed = _time_to_churn(log, duration_ns(inactive_after, "inactive_after"))
        return kaplan_meier(durations, observed, level=level, method=method, what=f"time to churn ({inactive_after} inactive)")
    if event == "next_purchase":
        from ..io.orders import read_orders

        orders = read_orders(log_or_orders, customer=customer, time=time)
        t = time_ns(orders["time"])
        codes = orders["customer_code"].to_numpy()
        first = np.r_[True, codes[1:] != codes[:-1]]
        second = np.r_[False, ~first[1:]] & np.r_[True, first[:-1]]  # the row right after a customer's first
        n = int(first.sum())
        start = t[first]
        again = np.full(n, -1, dtype=np.int64)
        again[codes[second]] = t[second]
        end = int(t.max())
        observed = again >= 0
        durations = (np.where(observed, again, end) - start) / DAY_NS
        return kaplan_meier(durations, observed, level=level, method=method, what="time to next purchase")
    raise JourneyError(f'event must be "churn" or "next_purchase", not {event!r}')


def _time_to_churn(log: EventLog, window: int) -> tuple[np.ndarray, np.ndarray]:
    users, t = log.user_codes, time_ns(log.frame["time"])
    end = int(t.max())
    first_row = np.r_[True, users[1:] != users[:-1]]
    first = t[first_row]
    # A customer's first spell ends when `window` passes without an event.
    spell_start = session_starts(users, t, window - 1)
    spell_end_rows = np.r_[np.flatnonzero(spell_start)[1:] - 1, len(t) - 1]
    first_spell_end = t[spell_end_rows][np.searchsorted(np.flatnonzero(spell_start), np.flatnonzero(first_row))]
    lapse = first_spell_end + window
    observed = lapse <= end
    durations = (np.where(observed, lapse, end) - first) / DAY_NS
    return durations, observed
