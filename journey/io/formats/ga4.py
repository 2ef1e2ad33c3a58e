"""Google Analytics 4 BigQuery export: Parquet, or BigQuery's newline-delimited JSON.

One row of the export (a table ``events_YYYYMMDD``) is one event:

========================  ==============================================================================
user                      ``user_pseudo_id`` (the browser or app instance); ``user="user_id"``: the
                          logged-in id, and a pseudo id seen with a user id anywhere in the export belongs
                          to that user on every event (stitched); pseudo ids never seen logged in stay
time                      ``event_timestamp``, microseconds since the epoch, UTC, kept exact
event                     ``event_name``
session                   ``ga_session_id`` (a parameter): the log's ``session`` column
order at one instant      ``batch_page_id``, ``batch_ordering_id``, ``batch_event_index`` where present,
                          then the export's own order (GA4 logs ``session_start`` and the first
                          ``page_view`` at the same microsecond)
``event_params``          one column per key (``page_location``, ``engagement_time_msec``), typed by the
                          value field used (``string_value``, ``int_value``, ``float_value``,
                          ``double_value``); a key clashing with a column is ``event_params.<key>``
``user_properties``       ``user_properties.<key>``, typed the same way
structs                   dotted: ``device.category``, ``geo.country``, ``traffic_source.source``,
                          ``ecommerce.purchase_revenue``, ``device.web_info.browser``
``items``                 kept as a list per event (Arrow-backed), for ``explode``
========================  ==============================================================================

In JSON, BigQuery writes INT64 values as text (``"event_timestamp": "1736121473123456"``): they are read
as integers. Nothing is de-duplicated: GA4 gives events no id.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import MissingColumnError
from .nested import RESERVED, flatten, key_values
from .reader import Counts, Loaded, Request
from .records import epoch_times, identity_pairs, loaded, require
from .sources import JSON_KINDS, gather

__all__ = ["read_ga4"]

KINDS = {".parquet": "parquet", ".pq": "parquet", **JSON_KINDS}
VALUE_FIELDS = ("string_value", "int_value", "float_value", "double_value")
#: INT64 fields of the export schema (written as text in BigQuery's JSON).
INTEGERS = (
    "event_timestamp",
    "event_previous_timestamp",
    "event_bundle_sequence_id",
    "event_server_timestamp_offset",
    "user_first_touch_timestamp",
    "batch_event_index",
    "batch_ordering_id",
    "batch_page_id",
    "device.time_zone_offset_seconds",
    "ecommerce.total_item_quantity",
    "ecommerce.unique_items",
)
#: GA4 gives events no id: nothing is de-duplicated.
DUPLICATE_KEY: tuple[str, ...] = ()
TIEBREAK = ("batch_page_id", "batch_ordering_id", "batch_event_index")
SESSION = "ga_session_id"
#: Text that repeats, read from Parquet dictionary-encoded: parameter and property keys, event names.
DICTIONARY = ("event_params.list.element.key", "user_properties.list.element.key", "event_name")


def read_ga4(source: Any, request: Request) -> Loaded:
    """Read a GA4 BigQuery export (see the module docstring for what becomes what).

    Parameters
    ----------
    source : str, os.PathLike or pandas.DataFrame
        A Parquet or JSON-lines file (gzipped too), a folder or glob of daily shards, or a DataFrame of
        the export's rows (``event_params`` as lists of ``{"key": ..., "value": {...}}``).
    request : Request
        ``user=None`` reads ``user_pseudo_id``; ``user="user_id"`` stitches pseudo ids to logged-in ids.

    Returns
    -------
    Loaded
        The events, one column per parameter, with ``session`` from ``ga_session_id``.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> export = pd.DataFrame({
    ...     "event_timestamp": [1736121473000001, 1736121473000001], "event_name": ["session_start", "page_view"],
    ...     "user_pseudo_id": ["1.1", "1.1"], "batch_event_index": [1, 2],
    ...     "event_params": [[{"key": "ga_session_id", "value": {"int_value": 17}}]] * 2})
    >>> journey.read_events(export, format="ga4").frame[["event", "session"]].values.tolist()
    [['session_start', 17], ['page_view', 17]]
    """
    g = gather(source, request.on_invalid, KINDS, "GA4", _flat, request.encoding, dictionary=DICTIONARY)
    time = request.time or "event_timestamp"
    _require_column(g.table.column_names, time, "time")
    epoch_times(g, time, lambda values: np.zeros(len(values), dtype=np.int64) + 6)
    user = request.user or "user_pseudo_id"
    identities = None
    if user == "user_id" and "user_pseudo_id" in g.table.column_names:
        identities, g.table = _stitchable(g.table, time)
    require(g, user)
    columns = g.table.column_names
    tiebreak = tuple(_integers(g.table.column(c)) for c in TIEBREAK if c in columns)
    if SESSION in columns and "session" not in columns:
        g.table = g.table.rename_columns(["session" if c == SESSION else c for c in columns])
    session = SESSION if "session" in g.table.column_names and SESSION not in g.table.column_names else None
    names = {"user": user, "time": time, "event": request.event or "event_name"}
    return loaded(g, names, "ga4", Counts(), session_field=session, identities=identities, tiebreak=tiebreak)


def _flat(table: Any) -> Any:
    """One file's rows with parameters as columns, structs dotted and INT64 text read as integers."""
    import pyarrow as pa
    import pyarrow.compute as pc

    lists = {name: table.column(name) for name in ("event_params", "user_properties") if name in table.column_names}
    table = flatten(table.drop_columns(list(lists)))
    taken = set(table.column_names) | RESERVED
    for name, column in lists.items():
        for key, values in key_values(column, table.num_rows, VALUE_FIELDS).items():
            label = key if name == "event_params" and key not in taken else f"{name}.{key}"
            if label not in table.column_names:
                table = table.append_column(label, values)
    for name in INTEGERS:
        if name in table.column_names and not pa.types.is_integer(table.column(name).type):
            column = table.column(name)
            try:
                table = table.set_column(table.column_names.index(name), name, pc.cast(column, pa.int64()))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass  # left as text: the time column's bad values are then refused line by line
    return table


def _require_column(columns: list[str], name: str, role: str) -> None:
    if name not in columns:
        raise MissingColumnError(role, name, columns)


def _stitchable(table: Any, time: str) -> tuple[Any, Any]:
    """Links pseudo id -> user id from events carrying both, and ``user_id`` filled with the pseudo id."""
    import pyarrow.compute as pc

    pseudo, logged = (
        table.column("user_pseudo_id"),
        table.column("user_id") if "user_id" in table.column_names else None,
    )
    if logged is None:
        raise MissingColumnError("user", "user_id", table.column_names)
    pairs = identity_pairs(
        pseudo.to_numpy(zero_copy_only=False), logged.to_numpy(zero_copy_only=False), table.column(time).to_pandas()
    )
    filled = pc.coalesce(logged, pc.cast(pseudo, logged.type))
    return pairs, table.set_column(table.column_names.index("user_id"), "user_id", filled)


def _integers(column: Any) -> np.ndarray:
    """An integer column as int64, missing values first (-1): the order of events at one instant."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_integer(column.type):
        column = pc.cast(column, pa.int64(), safe=False)
    return np.asarray(column.fill_null(-1).to_numpy(), dtype=np.int64)
