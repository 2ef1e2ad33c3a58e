"""Orders: repeat-purchase rate with honest censoring, per segment, and the time between purchases."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InvalidValuesError, JourneyError, MissingColumnError
from .events import duration_ns, load_table, parse_times, refuse_mixed_types, resolve_column, time_ns
from .proportions import DifferenceResult, ProportionResult
from .significance import adjust_pvalues

__all__ = ["read_orders", "repeat_rate", "inter_purchase_times"]

DAY_NS = 86_400 * 10**9


def read_orders(orders, *, customer: str = "customer_id", time: str = "timestamp", order: str | None = None,
                tz: str = "UTC") -> pd.DataFrame:
    """Validated orders sorted by customer then time: ``customer``, ``time`` (UTC), [``order``], other columns,
    and ``customer_code`` (0, 0, 1, ...). Missing customers or unreadable times raise, naming the rows."""
    raw, _ = load_table(orders, {"user": customer, "time": time, "event": order}, "utf-8")
    arguments = {"user": "customer", "time": "time", "event": "order"}
    names = {role: resolve_column(role, name, raw.columns, arguments[role]) for role, name in
             (("user", customer), ("time", time), ("event", order)) if name is not None}
    if not len(raw):
        raise JourneyError("the orders table holds no rows")
    problems: list = []
    who = raw[names["user"]]
    if who.dtype == object and pd.api.types.infer_dtype(who, skipna=True).startswith("mixed"):
        refuse_mixed_types(who, names["user"])  # 1 and "1" would silently be two customers
    if who.isna().any():
        rows = np.flatnonzero(who.isna().to_numpy())
        problems.append((rows, names["user"], "missing values", who.iloc[rows]))
    when = parse_times(raw[names["time"]], names["time"], tz, None, problems)
    if problems:
        rows, column, reason, values = problems[0]
        raise InvalidValuesError(column, reason, rows.tolist(), values.tolist())
    frame = pd.DataFrame({"customer": who.array, "time": when.array}, copy=False)
    if order is not None:
        frame["order"] = raw[names["event"]].array
    for column in raw.columns:
        if column not in names.values():
            frame[column] = raw[column].array
    frame = frame.sort_values(["customer", "time"], kind="stable", ignore_index=True)
    codes = frame["customer"].to_numpy()
    frame["customer_code"] = np.cumsum(np.r_[True, codes[1:] != codes[:-1]]) - 1
    return frame


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
    frame = read_orders(orders, customer=customer, time=time, order=order)
    if order is not None:
        frame = frame.drop_duplicates(["customer", "order"], keep="first", ignore_index=True)
    data_end = frame["time"].max()
    window_start = _instant(start, "start", frame["time"].min())
    window_end = _instant(end, "end", data_end + pd.Timedelta(1, "ns"))
    inside = frame[(frame["time"] >= window_start) & (frame["time"] < window_end)]
    if within is None:
        per_customer = inside.groupby("customer", sort=True).agg(orders=("time", "size"), first=("customer_code", "first"))
        repeated = (per_customer["orders"] >= 2).to_numpy()
    else:
        gap = duration_ns(within, "within")
        first_orders = frame.groupby("customer", sort=True)["time"].agg(["min", "size"])
        second = frame.groupby("customer", sort=True)["time"].nth(1)
        second = pd.Series(second.to_numpy(), index=frame.loc[second.index, "customer"].to_numpy()).reindex(first_orders.index)
        first_in = (first_orders["min"] >= window_start) & (first_orders["min"] < window_end)
        observed = first_orders["min"] + pd.Timedelta(gap, "ns") <= data_end
        per_customer = first_orders[first_in & observed]
        second = second[per_customer.index]
        repeated = (second.notna() & (second - per_customer["min"] <= pd.Timedelta(gap, "ns"))).to_numpy()
    if not len(per_customer):
        raise JourneyError("no customer in the window" + (f" observed for {within} after a first order" if within else ""))
    if by is None:
        return ProportionResult(int(repeated.sum()), len(per_customer), label="repeat rate")
    if by not in frame.columns:
        raise MissingColumnError("segment (by=)", by, [str(c) for c in frame.columns])
    # The value on each customer's first order, even when it is missing (groupby().first() would skip it).
    segment = frame.drop_duplicates("customer", keep="first").set_index("customer")[by].reindex(per_customer.index)
    return _by_segment(segment, repeated, by, level)


def _instant(value, argument: str, default: pd.Timestamp) -> pd.Timestamp:
    """A window bound as a UTC Timestamp (naive ones read as UTC)."""
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
