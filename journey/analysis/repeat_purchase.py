"""Orders: the repeat-purchase rate with honest censoring, per segment, and the time between purchases."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..engine.core import Analysis, run, segment_ranks, segment_value, span_codes
from ..engine.partials import Keyed
from ..errors import JourneyError, option
from ..io.aliases import Duration
from ..io.events import duration_ns, time_ns
from ..io.facts import Facts
from ..io.orders import read_orders
from ..stats.intervals import newcombe_interval, newcombe_pvalue, wilson_interval
from ..stats.proportions import ProportionResult
from ..stats.results import TableResult, check_level, format_value
from ..stats.significance import Adjustment, adjust_pvalues, adjustment_label, check_adjust

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["repeat_rate", "RepeatRate", "inter_purchase_times", "plot_repeat_rate", "RepeatRateAnalysis"]

DAY_NS = 86_400 * 10**9

#: Columns of :meth:`RepeatRate.to_frame` after the segment column (with ``by=``, the difference ones follow).
RATE_COLUMNS = ["customers", "repeaters", "repeat_rate", "ci_low", "ci_high"]
DIFFERENCE_COLUMNS = ["difference", "difference_ci_low", "difference_ci_high", "p_value", "p_adjusted", "significant"]


@dataclass(frozen=True, repr=False, eq=False)
class RepeatRate(TableResult):
    """The share of customers who buy again, for all customers or per segment.

    One row per segment of ``by`` (sorted, the segment of customers with no value last), or a single row
    for all customers without ``by``. The same type either way: ``overall`` is the rate of all customers.

    Attributes
    ----------
    overall : ProportionResult
        Repeaters ``k`` out of customers ``n`` over every segment, with its Wilson interval.
    by : str or None
        The segment column, as named in the orders.
    within : str, pandas.Timedelta or None
        The repurchase window, as given.
    level : float
        Confidence level of ``ci_low``/``ci_high`` and of the difference intervals.
    adjust : {"bh", "holm", "by"}
        How ``p_adjusted`` adjusts the p-values across segments (Benjamini-Hochberg by default).

    Examples
    --------
    >>> import pandas as pd, journey
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "c"], "plan": ["pro", "pro", "free", "free", "free"],
    ...                        "timestamp": ["2025-01-01", "2025-02-01", "2025-01-03", "2025-01-04", "2025-01-09"]})
    >>> r = journey.repeat_rate(orders, by="plan")
    >>> r.to_frame()[["plan", "customers", "repeaters", "repeat_rate", "difference"]]
       plan  customers  repeaters  repeat_rate  difference
    0  free          2          1          0.5        -0.5
    1   pro          1          1          1.0         0.5
    >>> r.overall.k, r.overall.n
    (2, 3)
    """

    _table: pd.DataFrame
    overall: ProportionResult
    by: str | None = None
    within: Duration | None = None
    level: float = 0.95
    adjust: Adjustment = "bh"

    _successes = "repeaters"
    _trials = "customers"
    _formats = {
        "customers": "count",
        "repeaters": "count",
        "repeat_rate": "share",
        "ci_low": "share",
        "ci_high": "share",
        "difference": "share",
        "difference_ci_low": "share",
        "difference_ci_high": "share",
        "p_value": "p",
        "p_adjusted": "p",
    }

    def _headline(self) -> str:
        low, high = self.overall.confidence_interval(self.level)
        what = "repeat rate" + (f" within {self.within}" if self.within is not None else "")
        text = (
            f"{what} {format_value(self.overall.proportion, 'share')} ({self.level:.0%} CI "
            f"{format_value(low, 'share')} to {format_value(high, 'share')}, n = {self.overall.n:,} customers)"
        )
        if self.by is None:
            return text
        differ = int(self._table["significant"].sum())
        return (
            f"{text}; {len(self._table):,} segments of {self.by}, {differ:,} differing from the other "
            f"customers ({adjustment_label(self.adjust, self.level)})"
        )

    def plot(self, ax: Axes | None = None) -> Axes:
        """The repeat rate of each segment (or of all customers) as bars with their intervals and counts.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when not given.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from ..plot.intervals import draw_interval_bars

        table = self._table
        labels = ["all customers"] if self.by is None else [format_value(v) for v in table[self.by]]
        notes = [f"{k:,} of {n:,}" for k, n in zip(table["repeaters"], table["customers"])]
        what = f"repeat rate{f' within {self.within}' if self.within is not None else ''}"
        return draw_interval_bars(
            labels,
            table["repeat_rate"],
            table["ci_low"],
            table["ci_high"],
            ax=ax,
            xlabel=f"{what}: customers who ordered again ({self.level:.0%} CI)",
            title=what.capitalize() + (f" by {self.by}" if self.by is not None else ""),
            notes=notes,
        )


def repeat_rate(
    orders: pd.DataFrame | str,
    *,
    user: str = "user_id",
    time: str = "timestamp",
    order_id: str | None = None,
    start: Any = None,
    end: Any = None,
    within: Duration | None = None,
    by: str | None = None,
    level: float = 0.95,
    adjust: Adjustment = "bh",
) -> RepeatRate:
    """Share of customers who buy again, with its interval, for all customers or per segment.

    Parameters
    ----------
    orders : pandas.DataFrame, str or Dask DataFrame
        The orders: a DataFrame, a file (see :func:`journey.io.orders.read_orders`) or a Dask DataFrame.
    user : str
        Column of the customer; ``"customer_id"`` is used when the default ``"user_id"`` is absent.
    time : str
        Column of the order time.
    order_id : str, optional
        Column of the order id: rows of one order (order lines) then count as one order.
    start, end : str, datetime.date or pandas.Timestamp, optional
        The window of orders considered, ``start`` included, ``end`` excluded; a date without a time of day
        as ``end`` includes that whole day (``end="2025-03-31"``, ``"2025/03/31"``, ``"20250331"``,
        ``datetime.date(2025, 3, 31)`` or ``numpy.datetime64("2025-03-31")`` count orders on March 31), while
        a time is an instant (``"2025-03-31T00:00"`` and a ``pandas.Timestamp`` stop at its moment). Naive
        times are UTC.
    within : str or pandas.Timedelta, optional
        A repurchase window such as ``"90D"``: the share of customers who order again within it after
        their first order (see Notes).
    by : str, optional
        A segment column; a customer's segment is its value on their first order.
    level : float
        Confidence level of every interval (0.95 for 95%).
    adjust : {"bh", "holm", "by"}
        How the p-values of the segments (with ``by``) are adjusted: Benjamini-Hochberg (the false discovery
        rate, the default), Holm (the family-wise error rate) or Benjamini-Yekutieli.

    Returns
    -------
    RepeatRate
        ``to_frame()``: one row per segment, or a single row without ``by``: [``by``], ``customers``,
        ``repeaters``, ``repeat_rate`` (share 0-1), ``ci_low``, ``ci_high`` (Wilson); with ``by``,
        ``difference`` from the other customers (share) with Newcombe's ``difference_ci_low`` and
        ``difference_ci_high``, ``p_value`` (inverting that interval), ``p_adjusted``
        (across segments, by ``adjust``) and ``significant`` (``p_adjusted < 1 - level``).
        ``overall`` is the rate of all customers.

    Raises
    ------
    MissingColumnError
        A named column is not in the orders.
    InvalidValuesError
        Missing customers or unreadable times (see :func:`~journey.io.orders.read_orders`).
    JourneyError
        No customer is left in the window, or an argument is invalid.

    See Also
    --------
    inter_purchase_times : the days between consecutive orders.
    journey.survival : the time to a second order with ``outcome="next_purchase"``, censoring included.

    Notes
    -----
    An order is a row, or a distinct ``order_id`` when given. Without ``within``, the repeat rate is the
    share of customers with one or more orders in [``start``, ``end``) who have two or more there. With
    ``within``, it is the share of customers whose *first* order falls in the window and who ordered again
    at most ``within`` after it, among those observed for the whole ``within`` (first order + ``within``
    no later than the last order of the data). Customers observed for less are censored: left out rather
    than counted as one-time buyers, who might still come back.

    Customers are the independent units: each counts once, so the Wilson score interval (Wilson 1927,
    "Probable inference, the law of succession, and statistical inference") applies. A segment is compared
    with all other customers by Newcombe's hybrid score interval for a difference of proportions (Newcombe
    1998, "Interval estimation for the difference between independent proportions", method 10) and the
    p-value that inverts it (below 1 - level exactly when the interval excludes 0), with p-values adjusted
    across segments by Benjamini-Hochberg unless ``adjust`` says otherwise (Benjamini & Hochberg 1995,
    "Controlling the false discovery rate").

    Examples
    --------
    >>> import pandas as pd, journey
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "c", "c"],
    ...                        "timestamp": ["2025-01-01", "2025-03-01", "2025-01-05",
    ...                                      "2025-02-01", "2025-02-10", "2025-06-01"]})
    >>> journey.repeat_rate(orders)
    RepeatRate: repeat rate 66.7% (95% CI 20.8% to 93.9%, n = 3 customers)
    customers repeaters repeat_rate ci_low ci_high
            3         2       66.7%  20.8%   93.9%
    >>> journey.repeat_rate(orders, within="30D").overall.k
    1
    """
    return run(
        RepeatRateAnalysis(
            user=user,
            time=time,
            order_id=order_id,
            start=start,
            end=end,
            within=within,
            by=by,
            level=level,
            adjust=adjust,
        ),
        orders,
        argument="orders",
    )


class RepeatRateAnalysis(Analysis):
    """Customers and repeaters per segment (of each customer's first order), over customer-disjoint parts."""

    source = "orders"

    def __init__(
        self,
        *,
        user: str,
        time: str,
        order_id: str | None,
        start: Any,
        end: Any,
        within: Duration | None,
        by: str | None,
        level: float,
        adjust: Adjustment = "bh",
    ):
        self.level, self.adjust = check_level(level), check_adjust(adjust)
        self.options = {"user": user, "time": time, "order_id": order_id}
        self.window = (_instant(start, "start", end=False), _instant(end, "end", end=True))
        self.within = within
        self.gap = None if within is None else pd.Timedelta(duration_ns(within, "within"), "ns")
        self.by = by

    def reader_options(self) -> dict:
        return dict(self.options)

    def prepare(self, facts: Facts) -> None:
        facts.require_column(self.by, "by", "segment")

    def partial(self, orders: pd.DataFrame, facts: Facts) -> Keyed:
        customers = _customers(orders, "order" in orders.columns, self.window, self.by)
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
        return Keyed(
            segments,
            {
                "customers": np.bincount(labels, minlength=len(segments)),
                "repeaters": np.bincount(labels[repeated], minlength=len(segments)),
            },
        )

    def finish(self, total: Keyed, facts: Facts) -> RepeatRate:
        counts = total.frame()
        counts = counts[counts["customers"] > 0]
        if not len(counts):
            raise JourneyError(
                "no customer in the window"
                + (f" observed for {self.within} after a first order" if self.within else "")
            )
        keys = list(counts.index)
        order = np.argsort(segment_ranks(keys), kind="stable")  # sorted, the missing segment last, on any backend
        customers = counts["customers"].to_numpy()[order]
        repeaters = counts["repeaters"].to_numpy()[order]
        table = _rates(customers, repeaters, self.level)
        if self.by is not None:
            table.insert(0, self.by, [segment_value(keys[i]) for i in order])
            table = pd.concat([table, _differences(customers, repeaters, self.level, self.adjust)], axis=1)
        overall = ProportionResult(int(repeaters.sum()), int(customers.sum()), label="repeat rate")
        return RepeatRate(table, overall, by=self.by, within=self.within, level=self.level, adjust=self.adjust)


_ALL = "all customers"


def _rates(customers: np.ndarray, repeaters: np.ndarray, level: float) -> pd.DataFrame:
    low, high = wilson_interval(repeaters, customers, level)
    return pd.DataFrame(
        {
            "customers": customers,
            "repeaters": repeaters,
            "repeat_rate": repeaters / customers,
            "ci_low": low,
            "ci_high": high,
        }
    )


def _differences(customers: np.ndarray, repeaters: np.ndarray, level: float, adjust: Adjustment) -> pd.DataFrame:
    """Each segment against all other customers: Newcombe interval, its p-value, adjusted across segments."""
    others_n, others_k = customers.sum() - customers, repeaters.sum() - repeaters
    compared = others_n > 0  # a segment holding every customer has no one to be compared with
    with np.errstate(invalid="ignore", divide="ignore"):
        difference = np.where(compared, repeaters / customers - others_k / np.maximum(others_n, 1), np.nan)
    low, high = newcombe_interval(repeaters, customers, others_k, np.where(compared, others_n, np.nan), level)
    p = newcombe_pvalue(repeaters, customers, others_k, others_n)  # NaN where there are no others
    adjusted = adjust_pvalues(p, adjust)
    return pd.DataFrame(
        {
            "difference": difference,
            "difference_ci_low": low,
            "difference_ci_high": high,
            "p_value": p,
            "p_adjusted": adjusted,
            "significant": np.nan_to_num(adjusted, nan=1.0) < 1 - level,
        }
    )


def _customers(frame: pd.DataFrame, has_order_ids: bool, window: tuple, by: str | None) -> pd.DataFrame:
    """One row per customer of validated orders: first, second and last order times, orders inside the
    window, and the segment of their first order.
    """
    if has_order_ids:
        frame = frame.drop_duplicates(["user", "order"], keep="first", ignore_index=True)
    start, end = window
    inside = (frame["time"] >= start if start is not None else True) & (
        frame["time"] < end if end is not None else True
    )
    groups = frame.assign(inside=inside).groupby("user", sort=True)
    second = groups["time"].nth(1)
    table = pd.DataFrame(
        {
            "first": groups["time"].min(),
            "last": groups["time"].max(),
            "second": second.set_axis(frame.loc[second.index, "user"]),
            "orders_inside": groups["inside"].sum(),
        }
    )
    if by is not None:
        # The value on each customer's first order, even when it is missing (groupby().first() would skip it).
        table[by] = frame.drop_duplicates("user", keep="first").set_index("user")[by]
    return table


#: Dates written without a time of day: 2025-03-31, 2025-3-31, 2025/03/31, 20250331.
_DATE_ONLY = re.compile(r"\s*(\d{4}([-/])\d{1,2}\2\d{1,2}|\d{8})\s*")


def _instant(value: Any, argument: str, *, end: bool) -> pd.Timestamp | None:
    """A window bound as a UTC Timestamp (naive ones read as UTC); None when not given.

    A date without a time of day as an ``end`` means the end of that day (DESIGN.md: the whole day counts).
    """
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise JourneyError(f"{option(argument, value)} is not a date or time such as '2025-01-31'") from None
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    whole_day = (
        (isinstance(value, str) and _DATE_ONLY.fullmatch(value) is not None)
        or (isinstance(value, dt.date) and not isinstance(value, dt.datetime))
        or (isinstance(value, np.datetime64) and np.datetime_data(value.dtype)[0] == "D")
    )
    return stamp + pd.Timedelta(days=1) if end and whole_day else stamp


def plot_repeat_rate(result: RepeatRate, *, ax: Axes | None = None) -> Axes:
    """Draw a :func:`repeat_rate` result: each segment's rate as a bar with its interval.

    Parameters
    ----------
    result : RepeatRate
        What :func:`repeat_rate` returned.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    JourneyError
        ``result`` is not a :class:`RepeatRate`.

    See Also
    --------
    RepeatRate.plot : the same drawing.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import pandas as pd, journey
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"], "timestamp": ["2025-01-01", "2025-01-05", "2025-01-02"]})
    >>> ax = journey.plot_repeat_rate(journey.repeat_rate(orders))
    >>> [t.get_text() for t in ax.texts]   # beside the bar with its interval
    ['1 of 2']
    """
    if not isinstance(result, RepeatRate):
        raise JourneyError(f"plot_repeat_rate takes what journey.repeat_rate(...) returns, not {type(result).__name__}")
    return result.plot(ax=ax)


def inter_purchase_times(
    orders: pd.DataFrame | str, *, user: str = "user_id", time: str = "timestamp", order_id: str | None = None
) -> pd.Series:
    """Days between each customer's consecutive orders: one value per repeat order.

    Parameters
    ----------
    orders : pandas.DataFrame or str
        The orders (see :func:`journey.io.orders.read_orders`); a local table: one value per repeat order
        is not a sum that a Dask backend could add up.
    user : str
        Column of the customer; ``"customer_id"`` is used when the default ``"user_id"`` is absent.
    time : str
        Column of the order time.
    order_id : str, optional
        Column of the order id: rows of one order count as one order.

    Returns
    -------
    pandas.Series
        Days (float) named ``days``, in the order of customers then time. ``.describe()`` summarises them.

    Raises
    ------
    MissingColumnError, InvalidValuesError
        As :func:`~journey.io.orders.read_orders`.

    See Also
    --------
    journey.survival : with ``outcome="next_purchase"``, the time to a second order with customers who have
        not ordered again censored, not left out.

    Notes
    -----
    Only customers who did order again contribute, so these times describe repeat buyers and understate
    the wait of customers in general: the Kaplan-Meier curve of :func:`journey.survival` does not.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b", "a"],
    ...                        "timestamp": ["2025-01-01", "2025-01-03T12:00", "2025-01-01", "2025-01-04T12:00"]})
    >>> journey.inter_purchase_times(orders).tolist()
    [2.5, 1.0]
    """
    frame = read_orders(orders, user=user, time=time, order_id=order_id)
    if order_id is not None:
        frame = frame.drop_duplicates(["user", "order"], keep="first", ignore_index=True)
    t = time_ns(frame["time"])
    codes = frame["user_code"].to_numpy()
    repeat = np.r_[False, codes[1:] == codes[:-1]]
    return pd.Series(np.diff(t, prepend=t[0])[repeat] / DAY_NS, name="days")
