"""Orders: validated order tables for repeat-purchase and time-to-next-purchase analyses."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InvalidValuesError, JourneyError
from .events import load_table, parse_times, refuse_mixed_types, resolve_column

__all__ = ["read_orders"]


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
