"""PostHog events exports: CSV, JSON lines or Parquet (batch exports), ``properties`` as JSON text or objects.

=========================  =============================================================================
user                       ``person_id`` (PostHog's merged person) where the export has it; an event
                           without one belongs to the person its ``distinct_id`` is seen with, else to the
                           distinct id. Without ``person_id``: ``distinct_id``, stitched by ``$identify``
                           events (``$anon_distinct_id`` -> ``distinct_id``). ``user="distinct_id"`` uses
                           distinct ids (stitched by ``$identify`` only).
time                       ``timestamp`` (ISO 8601; UTC where it has no offset, as PostHog writes it)
event                      ``event`` (``$pageview``, ``$autocapture``, your own events)
session                    ``$session_id`` (a property), or a ``session_id`` column
not events                 ``$identify``, ``$create_alias``, ``$merge_dangerously``, ``$set``,
                           ``$groupidentify``: they link ids or set properties
duplicates                 a ``uuid`` seen before: the same event delivered again
columns                    properties by name (``$current_url``, ``$browser``); ``person_properties``
                           dotted; a property named like a column keeps its ``properties.`` prefix
=========================  =============================================================================
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .nested import flatten, hoist
from .reader import Counts, Loaded, Request
from .records import duplicated, identity_pairs, keep_rows, loaded, require, text, utc_times
from .sources import JSON_KINDS, gather, parse_json_column

__all__ = ["read_posthog"]

DUPLICATE_KEY = ("uuid",)
KINDS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", **JSON_KINDS}
NOT_EVENTS = ("$identify", "$create_alias", "$merge_dangerously", "$set", "$groupidentify")
JSON_TEXT = ("properties", "person_properties")


def read_posthog(source: Any, request: Request) -> Loaded:
    """Read a PostHog events export (see the module docstring for what becomes what).

    Parameters
    ----------
    source : str, os.PathLike or pandas.DataFrame
        CSV, JSON-lines or Parquet files (gzipped CSV and JSON too), a folder or glob of them, or a
        DataFrame of the events table.
    request : Request
        ``user=None`` reads persons; ``user="distinct_id"`` distinct ids.

    Returns
    -------
    Loaded
        The events, with ``session`` from ``$session_id``.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> events = pd.DataFrame({"uuid": ["u1", "u2"], "event": ["$pageview", "signed_up"],
    ...     "distinct_id": ["anon", "ann"], "timestamp": ["2025-01-01T10:00:00Z", "2025-01-01T10:01:00Z"],
    ...     "properties": ['{"$session_id": "s1", "$current_url": "/"}', '{"$session_id": "s1"}'],
    ...     "person_id": ["p1", "p1"]})
    >>> log = journey.read_events(events, format="posthog")
    >>> log.frame[["user", "event", "session", "$current_url"]].values.tolist()
    [['p1', '$pageview', 's1', '/'], ['p1', 'signed_up', 's1', nan]]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    g = gather(source, request.on_invalid, KINDS, "PostHog", flatten, request.encoding)
    for name in JSON_TEXT:
        if name in g.table.column_names:
            parse_json_column(g, name)
    g.table = hoist(g.table, "properties")
    event = request.event or "event"
    require(g, "event")
    kinds = text(g, "event")
    assert kinds is not None  # required above
    counts = Counts(duplicate_key=", ".join(DUPLICATE_KEY))
    person = "person_id" in g.table.column_names
    user = request.user or ("person_id" if person else "distinct_id")
    links = _links(g, kinds, with_persons=user == "person_id") if user in ("person_id", "distinct_id") else None
    not_event = np.isin(kinds, NOT_EVENTS)
    for name, n in zip(*np.unique(kinds[not_event].astype(str), return_counts=True)):
        counts.not_events[str(name)] = int(n)
    keep_rows(g, ~not_event)
    repeated = duplicated(g, list(DUPLICATE_KEY))
    counts.duplicates = int(repeated.sum())
    keep_rows(g, ~repeated)
    time = request.time or "timestamp"
    require(g, time)
    utc_times(g, time)
    if user == "person_id" and person and "distinct_id" in g.table.column_names:
        filled = pc.coalesce(
            pc.cast(g.table.column("person_id"), pa.string()), pc.cast(g.table.column("distinct_id"), pa.string())
        )
        g.table = g.table.set_column(g.table.column_names.index("person_id"), "person_id", filled)
    require(g, user)
    session = next((s for s in ("$session_id", "session_id") if s in g.table.column_names), None)
    if session is not None and "session" not in g.table.column_names:
        g.table = g.table.rename_columns(["session" if c == session else c for c in g.table.column_names])
    else:
        session = None
    return loaded(
        g, {"user": user, "time": time, "event": event}, "posthog", counts, session_field=session, identities=links
    )


def _links(g: Any, kinds: np.ndarray, with_persons: bool) -> pd.DataFrame | None:
    """Distinct id -> person from events that carry both; anonymous id -> distinct id from ``$identify``."""
    distinct = text(g, "distinct_id")
    if distinct is None:
        return None
    parts = []
    persons = text(g, "person_id") if with_persons else None
    if persons is not None:
        parts.append(identity_pairs(distinct, persons))
    anonymous = text(g, "$anon_distinct_id")
    if anonymous is not None:
        identify = kinds == "$identify"
        parts.append(identity_pairs(anonymous[identify], distinct[identify]))
    return pd.concat(parts, ignore_index=True) if parts else None
