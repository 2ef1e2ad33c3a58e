"""Orders: repeat-purchase rate with honest censoring, per segment, and the time between purchases."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import JourneyError, MissingColumnError
from ..io.events import duration_ns, time_ns
from ..io.orders import read_orders
from ..stats.proportions import DifferenceResult, ProportionResult
from ..stats.significance import adjust_pvalues

__all__ = ["repeat_rate", "inter_purchase_times"]

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
    from ..engine.dask import is_dask

    window = (_instant(start, "start", None), _instant(end, "end", None))
    options = {"customer": customer, "time": time, "order": order}
    if is_dask(orders):
        from ..engine.dask import map_partitions_by

        for name, role in ((customer, "customer"), (by, "segment (by=)")):
            if name is not None and name not in orders.columns:
                raise MissingColumnError(role, name, [str(c) for c in orders.columns])
        parts = [p for p in map_partitions_by(orders, customer, _customers, options, window, by) if p is not None]
        if not parts:
            raise JourneyError("the orders table holds no rows")
        customers = pd.concat(parts).sort_index()
    else:
        customers = _customers(orders, options, window, by)
    return _finish(customers, window, within, by, level)


def _customers(orders, options: dict, window: tuple, by: str | None) -> pd.DataFrame:
    """One row per customer: first, second and last order times, orders inside the window, first segment.

    Additive over customer-disjoint parts of the orders (the parts are simply stacked).
    """
    frame = read_orders(orders, **options)
    if options["order"] is not None:
        frame = frame.drop_duplicates(["customer", "order"], keep="first", ignore_index=True)
    if by is not None and by not in frame.columns:
        raise MissingColumnError("segment (by=)", by, [str(c) for c in frame.columns])
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


def _finish(customers: pd.DataFrame, window: tuple, within, by: str | None, level: float):
    data_end = customers["last"].max()
    if within is None:
        per_customer = customers[customers["orders_inside"] >= 1]
        repeated = (per_customer["orders_inside"] >= 2).to_numpy()
    else:
        gap = pd.Timedelta(duration_ns(within, "within"), "ns")
        start, end = window
        first = customers["first"]
        first_in = (first >= start if start is not None else True) & (first < end if end is not None else True)
        per_customer = customers[first_in & (first + gap <= data_end)]
        second = per_customer["second"]
        repeated = (second.notna() & (second - per_customer["first"] <= gap)).to_numpy()
    if not len(per_customer):
        raise JourneyError("no customer in the window" + (f" observed for {within} after a first order" if within else ""))
    if by is None:
        return ProportionResult(int(repeated.sum()), len(per_customer), label="repeat rate")
    return _by_segment(per_customer[by], repeated, by, level)


def _instant(value, argument: str, default):
    """A window bound as a UTC Timestamp (naive ones read as UTC); ``default`` when not given."""
    if value is None:
        return default
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise JourneyError(f"{argument}={value!r} is not a date or time such as '2025-01-31'") from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _by_segment(segment: pd.Series, repeated: np.ndarray, by: str, level: float) -> pd.DataFrame:
    labels, values = pd.factorize(segment, sort=True, use_na_sentinel=False)
    total_k, total_n = int(repeated.sum()), len(repeated)
    rows = []
    for i, value in enumerate(values):
        inside = labels == i
        k, n = int(repeated[inside].sum()), int(inside.sum())
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
