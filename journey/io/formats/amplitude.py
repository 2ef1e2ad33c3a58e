"""Amplitude Export API: a zip archive of gzipped JSON lines, one event per line (or the files themselves).

=========================  =============================================================================
user                       ``user_id``; an event with only a ``device_id`` belongs to the user that device
                           is seen with on any event of the export (stitched), else to the device itself.
                           ``user="device_id"`` or ``user="amplitude_id"`` reads those ids as they are.
time                       ``event_time`` (UTC, as the export writes it)
event                      ``event_type``
session                    ``session_id`` (the session's start in epoch milliseconds); ``-1``, Amplitude's
                           "no session", is a missing session
not events                 ``$identify`` and ``$groupidentify`` (property updates)
duplicates                 an ``$insert_id`` seen before on the same ``device_id``, as Amplitude drops them
columns                    ``event_properties`` by name; ``user_properties.<name>``, ``group_properties``,
                           ``data`` and other objects dotted
=========================  =============================================================================
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .nested import flatten, hoist
from .reader import Counts, Loaded, Request
from .records import duplicated, identity_pairs, keep_rows, loaded, require, text, utc_times
from .sources import JSON_KINDS, gather

__all__ = ["read_amplitude"]

KINDS = {".zip": "zip", **JSON_KINDS}
NOT_EVENTS = ("$identify", "$groupidentify")
DUPLICATE_KEY = ("device_id", "$insert_id")


def read_amplitude(source: Any, request: Request) -> Loaded:
    """Read an Amplitude export (see the module docstring for what becomes what).

    Parameters
    ----------
    source : str, os.PathLike or pandas.DataFrame
        The Export API's zip archive, its JSON-lines files (gzipped or not), a folder or glob of them, or
        a DataFrame of events.
    request : Request
        ``user=None`` (or ``"user_id"``) stitches devices to users; another column is read as it is.

    Returns
    -------
    Loaded
        The events, de-duplicated, with ``session`` from ``session_id``.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> events = pd.DataFrame({"event_type": ["view", "view", "buy"], "device_id": ["d1", "d1", "d1"],
    ...     "user_id": [None, None, "ann"], "$insert_id": ["i1", "i1", "i2"], "session_id": [1, 1, 1],
    ...     "event_time": ["2025-01-01 10:00:00.000000", "2025-01-01 10:00:00.000000", "2025-01-01 10:01:00.000000"]})
    >>> log = journey.read_events(events, format="amplitude")
    >>> log.frame[["user", "event"]].values.tolist(), log.report.duplicates
    ([['ann', 'view'], ['ann', 'buy']], 1)
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    g = gather(source, request.on_invalid, KINDS, "Amplitude", flatten, request.encoding)
    counts = Counts(duplicate_key=", ".join(DUPLICATE_KEY))
    event = request.event or "event_type"
    require(g, event)
    kinds = text(g, "event_type")
    not_event = np.isin(kinds, NOT_EVENTS) if kinds is not None else np.zeros(g.table.num_rows, dtype=bool)
    for name, n in zip(*np.unique(kinds[not_event].astype(str), return_counts=True)) if kinds is not None else ():
        counts.not_events[str(name)] = int(n)
    time = request.time or "event_time"
    user = request.user or "user_id"
    stitched = user == "user_id" and "device_id" in g.table.column_names
    links = identity_pairs(text(g, "device_id"), text(g, "user_id")) if stitched else None
    keep_rows(g, ~not_event)
    repeated = duplicated(g, list(DUPLICATE_KEY))
    counts.duplicates = int(repeated.sum())
    keep_rows(g, ~repeated)
    require(g, time)
    utc_times(g, time)
    if stitched:
        device = g.table.column("device_id")
        if "user_id" in g.table.column_names:
            named = g.table.column("user_id")
            filled = pc.coalesce(pc.cast(named, pa.string()), pc.cast(device, pa.string()))
            g.table = g.table.set_column(g.table.column_names.index("user_id"), "user_id", filled)
        else:
            g.table = g.table.append_column("user_id", pc.cast(device, pa.string()))
        require(g, "user_id", label="user_id (and device_id)")
    session = None
    if "session_id" in g.table.column_names:
        ids = g.table.column("session_id")
        ids = (
            pc.if_else(pc.equal(ids, pc.cast(pa.scalar(-1), ids.type)), pa.nulls(len(ids), ids.type), ids)
            if pa.types.is_integer(ids.type)
            else ids
        )
        g.table = g.table.set_column(g.table.column_names.index("session_id"), "session", ids)
        session = "session_id"
    g.table = hoist(g.table, "event_properties")
    return loaded(
        g, {"user": user, "time": time, "event": event}, "amplitude", counts, session_field=session, identities=links
    )
