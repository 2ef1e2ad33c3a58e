"""Orders: repeat-purchase rate with honest censoring, per segment, and the time between purchases."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.core import MISSING, Analysis, run, segment_value, span_codes
from ..io.facts import Facts
from ..engine.partials import Keyed
from ..errors import JourneyError
from ..io.events import duration_ns, time_ns
from ..io.orders import read_orders
from ..stats.proportions import DifferenceResult, ProportionResult
from ..stats.proportions import _check_level as check_level
from ..stats.significance import adjust_pvalues

__all__ = ["repeat_rate", "inter_purchase_times", "RepeatRateAnalysis"]

DAY_NS = 86_400 * 10**9


def repeat_rate(orders, *, customer: str = "customer_id", time: str = "timestamp", order: str | None = None,
                start=None, end=None, within=None, by: str | None = None, level: float = 0.95):
    """Share of customers who buy again.

    An order is a row, or a distinct ``order`` id when given (several rows of one order count once).

    * Without ``within``: customers with two or more orders in [``start``, ``end``) / customers with one
      or more.
    * With ``within`` (e.g. ``"90D"``): among customers whose *first* order falls in the window and who
      were observed for ``within`` after it (first order + within <= end of the data), the share who ordered
      again within ``within``. Customers not observed that long are censored: left out, not counted as
      one-time buyers.

    Returns
    -------
    ProportionResult
        ``k``, ``n``, ``proportion`` and Wilson ``confidence_interval()``. With ``by=``, a DataFrame instead:
        one row per segment (a customer's segment is its value on their first order): ``customers``,
        ``repeaters``, ``repeat_rate``, ``ci_low``, ``ci_high``, ``difference`` from the other customers
        (share) with Newcombe's interval, ``p_value``, Benjamini-Hochberg ``p_adjusted``, ``significant``.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "c", "c"],
    ...                        "timestamp": pd.to_datetime(["2025-01-01", "2025-03-01", "2025-01-05",
    ...                                                     "2025-02-01", "2025-02-10", "2025-06-01"], utc=True)})
    >>> journey.repeat_rate(orders)
    ProportionResult: 66.7% (2 of 3); 95% CI (Wilson) 20.8% to 93.9%
    >>> journey.repeat_rate(orders, within="30D").k
    1
    """
    return run(RepeatRateAnalysis(customer=customer, time=time, order=order, start=start, end=end, within=within,
                                  by=by, level=level), orders, argument="orders")


class RepeatRateAnalysis(Analysis):
    """Customers and repeaters per segment (of each customer's first order), over customer-disjoint parts."""

    source = "orders"

    def __init__(self, *, customer: str, time: str, order: str | None, start, end, within, by: str | None,
                 level: float):
        check_level(level)
        self.options = {"customer": customer, "time": time, "order": order}
        self.window = (_instant(start, "start", None), _instant(end, "end", None))
        self.within = within
        self.gap = None if within is None else pd.Timedelta(duration_ns(within, "within"), "ns")
        self.by, self.level = by, level

    def reader_options(self) -> dict:
        return dict(self.options)

    def prepare(self, facts: Facts) -> None:
        facts.require_column(self.by, "by", "segment")

    def partial(self, orders: pd.DataFrame, facts: Facts) -> Keyed:
        customers = _customers(orders, self.options["order"] is not None, self.window, self.by)
        data_end = pd.Timestamp(facts.end_ns, tz="UTC")
        if self.gap is None:
            eligible = customers[customers["orders_inside"] >= 1]
            repeated = (eligible["orders_inside"] >= 2).to_numpy()
        else:
            start, end = self.window
            first = customers["first"]
            first_in = (first >= start if start is not None else True) & (first < end if end is not None else True)
            # Customers not observed for the whole window after their first order are censored: left out.
            eligible = customers[first_in & (first + self.gap <= data_end)]
            second = eligible["second"]
            repeated = (second.notna() & (second - eligible["first"] <= self.gap)).to_numpy()
        if self.by is None:
            labels, segments = np.zeros(len(eligible), dtype=np.int64), pd.Index([_ALL], dtype=object)
        else:
            labels, segments = span_codes(eligible[self.by].to_numpy())
        return Keyed(segments, {"customers": np.bincount(labels, minlength=len(segments)),
                                "repeaters": np.bincount(labels[repeated], minlength=len(segments))})

    def finish(self, total: Keyed, facts: Facts):
        counts = total.frame()
        if int(counts["customers"].sum()) == 0:
            raise JourneyError("no customer in the window"
                               + (f" observed for {self.within} after a first order" if self.within else ""))
        if self.by is None:
            return ProportionResult(int(counts["repeaters"].sum()), int(counts["customers"].sum()),
                                    label="repeat rate")
        counts = counts[counts["customers"] > 0]
        keys = list(counts.index)
        # Segments in sorted order, the missing one last (partials may add them up in any order).
        order = sorted(range(len(keys)), key=lambda i: (keys[i] is MISSING, 0 if keys[i] is MISSING else keys[i]))
        segments = [segment_value(v) for v in keys]
        return _by_segment([segments[i] for i in order], counts["customers"].to_numpy()[order],
                           counts["repeaters"].to_numpy()[order], self.by, self.level)


_ALL = "all customers"


def _customers(frame: pd.DataFrame, has_order_ids: bool, window: tuple, by: str | None) -> pd.DataFrame:
    """One row per customer of validated orders: first, second and last order times, orders inside the
    window, and the segment of their first order."""
    if has_order_ids:
        frame = frame.drop_duplicates(["customer", "order"], keep="first", ignore_index=True)
    start, end = window
    inside = (frame["time"] >= start if start is not None else True) & (frame["time"] < end if end is not None else True)
    groups = frame.assign(inside=inside).groupby("customer", sort=True)
    table = pd.DataFrame({"first": groups["time"].min(), "last": groups["time"].max(),
                          "second": groups["time"].nth(1).set_axis(frame.loc[groups["time"].nth(1).index, "customer"]),
                          "orders_inside": groups["inside"].sum()})
    if by is not None:
        # The value on each customer's first order, even when it is missing (groupby().first() would skip it).
        table[by] = frame.drop_duplicates("customer", keep="first").set_index("customer")[by]
    return table


def _instant(value, argument: str, default):
    """A window bound as a UTC Timestamp (naive ones read as UTC); ``default`` when not given."""
    if value is None:
        return default
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise JourneyError(f"{argument}={value!r} is not a date or time such as '2025-01-31'") from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _by_segment(segments: list, customers: np.ndarray, repeaters: np.ndarray, by: str, level: float) -> pd.DataFrame:
    total_k, total_n = int(repeaters.sum()), int(customers.sum())
    rows = []
    for value, n, k in zip(segments, customers.tolist(), repeaters.tolist()):
        result = ProportionResult(k, n)
        low, high = result.confidence_interval(level)
        row = {by: value, "customers": n, "repeaters": k, "repeat_rate": result.proportion, "ci_low": low, "ci_high": high}
        if n < total_n:
            diff = DifferenceResult(k, n, total_k - k, total_n - n)
            d_low, d_high = diff.confidence_interval(level)
            row.update(difference=diff.difference, diff_ci_low=d_low, diff_ci_high=d_high, p_value=diff.pvalue)
        rows.append(row)
    table = pd.DataFrame(rows).reindex(columns=[by, "customers", "repeaters", "repeat_rate", "ci_low", "ci_high",
                                                "difference", "diff_ci_low", "diff_ci_high", "p_value"])
    table["p_adjusted"] = adjust_pvalues(table["p_value"])
    table["significant"] = (table["p_adjusted"] < 1 - level).fillna(False).astype(bool)
    return table


def inter_purchase_times(orders, *, customer: str = "customer_id", time: str = "timestamp",
                         order: str | None = None) -> pd.Series:
    """Days between each customer's consecutive orders (one value per repeat order), named ``days``.

    ``.describe()`` summarises the distribution; :func:`journey.survival` with ``event="next_purchase"``
    gives the time to a second order with censoring taken into account.
    """
    frame = read_orders(orders, customer=customer, time=time, order=order)
    if order is not None:
        frame = frame.drop_duplicates(["customer", "order"], keep="first", ignore_index=True)
    t = time_ns(frame["time"])
    codes = frame["customer_code"].to_numpy()
    repeat = np.r_[False, codes[1:] == codes[:-1]]
    return pd.Series(np.diff(t, prepend=t[0])[repeat] / DAY_NS, name="days")
