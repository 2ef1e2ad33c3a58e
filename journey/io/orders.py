"""Orders: validated order tables for repeat-purchase and time-to-next-purchase analyses."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import InvalidValuesError, JourneyError, MissingColumnError
from .events import (
    check_separator,
    check_time_options,
    load_table,
    parse_times,
    refuse_duplicate_columns,
    refuse_mixed_types,
    resolve_column,
)

__all__ = ["read_orders", "user_column"]

#: The entity column of orders when ``user="user_id"`` (the default) is absent: shop exports call it so.
CUSTOMER_FALLBACK = "customer_id"


def user_column(name: str, columns: Sequence) -> str:
    """The column holding the user: ``name``, or ``customer_id`` when the default ``user_id`` is absent.

    Raises :class:`~journey.errors.MissingColumnError` (naming ``user=``) when neither is there.

    Examples
    --------
    >>> user_column("user_id", ["customer_id", "timestamp"]), user_column("client", ["client", "timestamp"])
    ('customer_id', 'client')
    """
    if name in columns:
        return name
    if name == "user_id" and CUSTOMER_FALLBACK in columns:
        return CUSTOMER_FALLBACK
    raise MissingColumnError("user", name, [str(c) for c in columns])


def read_orders(
    orders: pd.DataFrame | str,
    *,
    user: str = "user_id",
    time: str = "timestamp",
    order_id: str | None = None,
    tz: str = "UTC",
    time_format: str | None = None,
    encoding: str = "utf-8",
    sep: str | None = None,
) -> pd.DataFrame:
    """Read and validate an orders table: one row per order (or per order line, with ``order_id``).

    Parameters
    ----------
    orders : pandas.DataFrame or str
        A DataFrame (never modified) or a ``.csv``, ``.csv.gz`` or ``.parquet`` file. A table this function
        returned is read as it is (its ``user``, ``time`` and ``order`` columns), so that it can be passed
        on to :func:`journey.repeat_rate`, :func:`journey.survival` and the other order analyses.
    user : str
        Column holding the customer. When the default ``"user_id"`` is absent and ``"customer_id"`` is
        present, that one is used (the bundled orders file has ``customer_id``).
    time : str
        Column holding the order time. Timestamps with an offset or ``Z`` are converted to UTC.
    order_id : str, optional
        Column holding the order id, when one order may span several rows (order lines).
    tz : str
        Time zone of timestamps without an offset (naive ones).
    time_format : str, optional
        How times are written when they are not ISO 8601 (``"%d/%m/%Y %H:%M"``), as in
        :func:`journey.read_events`.
    encoding : str
        Text encoding of CSV files.
    sep : str, optional
        The field separator of CSV files; by default it is detected from the header line.

    Returns
    -------
    pandas.DataFrame
        Sorted by user, then time (ties in input order): ``user``, ``time`` (UTC), ``order`` (with
        ``order_id``), the other input columns unchanged, and ``user_code`` (0, 0, 1, ...: the user's rank).

    Raises
    ------
    MissingColumnError
        A named column is not in the table (the message names ``user=``, ``time=`` or ``order_id=``).
    InvalidValuesError
        Missing users, users of mixed types (``1`` and ``"1"``), or times that cannot be read; the message
        names the rows and their values.
    JourneyError
        The table holds no rows, or an input column is called like one the result adds (``user``,
        ``time``, ``order``, ``user_code``) but is not the one named for that part.

    See Also
    --------
    journey.repeat_rate, journey.inter_purchase_times, journey.survival

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"customer_id": ["b", "a", "a"], "amount": [5.0, 7.5, 2.0],
    ...                     "timestamp": ["2025-01-02T10:00Z", "2025-01-03T09:00+01:00", "2025-01-01T08:00Z"]})
    >>> read_orders(raw)
      user                      time  amount  user_code
    0    a 2025-01-01 08:00:00+00:00     2.0          0
    1    a 2025-01-03 08:00:00+00:00     7.5          0
    2    b 2025-01-02 10:00:00+00:00     5.0          1
    """
    check_separator(sep)
    check_time_options(None, time_format)
    if _already_read(orders, user, time):  # read_orders' own output, passed on to an analysis
        assert isinstance(orders, pd.DataFrame)
        orders = orders.drop(columns="user_code")
        user, time = "user", "time"
        order_id = "order" if order_id is None and "order" in orders.columns else order_id
    # The fallback customer column is named too, so that a CSV file's customer ids are read as text.
    given = {
        "user": user,
        "time": time,
        "event": order_id,
        "customer": CUSTOMER_FALLBACK if user == "user_id" else None,
    }
    raw, description = load_table(orders, given, encoding, sep)
    refuse_duplicate_columns(raw.columns, description)
    names = {"user": user_column(user, raw.columns), "time": resolve_column("time", time, raw.columns, "time")}
    if order_id is not None:
        names["order"] = resolve_column("event", order_id, raw.columns, "order_id")
    _refuse_clashes(names, raw.columns)
    if not len(raw):
        raise JourneyError("the orders table holds no rows")
    problems: list = []
    who = raw[names["user"]]
    if who.dtype == object and pd.api.types.infer_dtype(who, skipna=True).startswith("mixed"):
        refuse_mixed_types(who, names["user"])  # 1 and "1" would silently be two customers
    if who.isna().any():
        rows = np.flatnonzero(who.isna().to_numpy())
        problems.append((rows, names["user"], "missing values", who.iloc[rows]))
    when = parse_times(raw[names["time"]], names["time"], tz, None, problems, time_format)
    if problems:
        rows, column, reason, values = problems[0]
        raise InvalidValuesError(column, reason, rows.tolist(), values.tolist())
    frame = pd.DataFrame({"user": who.array, "time": when.array}, copy=False)
    if "order" in names:
        frame["order"] = raw[names["order"]].array
    for column in raw.columns:
        if column not in names.values():
            frame[column] = raw[column].array
    frame = frame.sort_values(["user", "time"], kind="stable", ignore_index=True)
    codes = frame["user"].to_numpy()
    frame["user_code"] = np.cumsum(np.r_[True, codes[1:] != codes[:-1]]) - 1
    return frame


def _already_read(orders: object, user: str, time: str) -> bool:
    """Whether ``orders`` is a table :func:`read_orders` returned, named with the default column names.

    It has ``user``, ``time`` (UTC) and ``user_code`` and none of the default input names, so reading it
    again with its own names changes nothing but the order of ties (none: it is sorted already).
    """
    return (
        isinstance(orders, pd.DataFrame)
        and user == "user_id"
        and time == "timestamp"
        and {"user", "time", "user_code"} <= set(orders.columns)
        and not {"user_id", "timestamp", CUSTOMER_FALLBACK} & set(orders.columns)
        and isinstance(orders["time"].dtype, pd.DatetimeTZDtype)
    )


def _refuse_clashes(names: dict[str, str], columns: Sequence) -> None:
    """An input column called like a column the result adds must be the one named for that part."""
    added = [*names, "user_code"]
    for canonical in added:
        if canonical in columns and names.get(canonical) != canonical:
            keyword = {"user": "user", "time": "time", "order": "order_id"}.get(canonical)
            part = f"the {keyword} column ({names[canonical]!r} is)" if keyword else "a column of journey's"
            raise JourneyError(
                f"column {canonical!r} is in the orders but is not {part}; journey stores the "
                f"{'user code' if keyword is None else keyword} as {canonical!r}, so rename the "
                f"input column first"
            )
