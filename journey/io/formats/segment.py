"""Segment (and RudderStack, which follows the same spec): messages as JSON lines, one message per line.

=========================  =============================================================================
events                     ``track`` (named by ``event``), ``page`` and ``screen`` calls (named
                           ``page:<name>`` and ``screen:<name>``, or ``page`` and ``screen`` without a name)
not events                 ``identify``, ``alias``, ``group`` (and any other type): they feed stitching
                           and are counted in ``log.report.not_events``
user                       ``userId``; a message with only an ``anonymousId`` belongs to the user that
                           anonymous id is linked to (by a message carrying both, an ``identify``, or an
                           ``alias`` from ``previousId``), else to the anonymous id itself.
                           ``user="anonymousId"`` reads the anonymous ids as they are.
time                       ``timestamp`` (ISO 8601; Segment's own estimate of when the call happened)
duplicates                 a ``messageId`` seen before: the same delivery again, dropped
columns                    ``properties`` by name (``plan``, ``revenue``); ``context`` dotted
                           (``context.page.url``); a property named like a column keeps its prefix
=========================  =============================================================================
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .nested import drop_columns, flatten, hoist
from .reader import Counts, Loaded, Request
from .records import duplicated, identity_pairs, keep_rows, loaded, require, text, utc_times
from .sources import JSON_KINDS, gather

__all__ = ["read_segment"]

KINDS = JSON_KINDS
DUPLICATE_KEY = ("messageId",)
#: Columns no event fills are left out (see ``_columns``).
DROPS_EMPTY_COLUMNS = True
EVENT_TYPES = ("track", "page", "screen")
#: Fields only calls that are not events carry, and routing settings: not event columns.
NOT_EVENT_FIELDS = ("traits", "previousId", "groupId", "integrations")


def read_segment(source: Any, request: Request) -> Loaded:
    """Read Segment messages (see the module docstring for what becomes what).

    Parameters
    ----------
    source : str, os.PathLike or pandas.DataFrame
        JSON-lines files (gzipped too; a JSON array of messages works as well), a folder or glob of them,
        or a DataFrame of messages.
    request : Request
        ``user=None`` (or ``"userId"``) stitches anonymous ids to users; ``"anonymousId"`` does not.

    Returns
    -------
    Loaded
        Track, page and screen calls, de-duplicated, with the links for stitching.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> messages = pd.DataFrame({"type": ["track", "track", "alias"], "messageId": ["m1", "m1", "m2"],
    ...     "anonymousId": ["c1", "c1", None], "userId": [None, None, "ann"], "previousId": [None, None, "c1"],
    ...     "event": ["Viewed", "Viewed", None], "timestamp": ["2025-01-01T10:00:00Z"] * 3})
    >>> log = journey.read_events(messages, format="segment")
    >>> log.frame["user"].tolist(), log.report.duplicates, log.report.not_events
    (['ann'], 1, {'alias': 1})
    """
    import pyarrow.compute as pc

    g = gather(source, request.on_invalid, KINDS, "Segment", flatten, request.encoding)
    require(g, "type")
    time = request.time or "timestamp"
    require(g, time)
    utc_times(g, time)
    event = request.event
    if event is None:  # before de-duplication, so that a complete delivery stands in for a broken one
        require(g, "event", rows=_kinds(g) == "track")
    counts = Counts(duplicate_key=", ".join(DUPLICATE_KEY))
    repeated = duplicated(g, list(DUPLICATE_KEY))
    counts.duplicates = int(repeated.sum())
    keep_rows(g, ~repeated)

    kind = _kinds(g)
    links = _links(g, kind, time)
    is_event = np.isin(kind, EVENT_TYPES)
    not_event_keys = _keys_of(g, ~is_event, kind)
    for name, n in zip(*np.unique(kind[~is_event].astype(str), return_counts=True)):
        counts.not_events[str(name)] = int(n)
    keep_rows(g, is_event)
    if event is None:
        g.table = _with_names(g.table, kind[is_event])
        event = "event"
    user = request.user or "userId"
    if user == "userId":
        anonymous = g.table.column("anonymousId") if "anonymousId" in g.table.column_names else None
        named = g.table.column("userId") if "userId" in g.table.column_names else None
        if named is None and anonymous is not None:
            g.table = g.table.append_column("userId", anonymous)
        elif named is not None and anonymous is not None:
            filled = pc.coalesce(named, pc.cast(anonymous, named.type))
            g.table = g.table.set_column(g.table.column_names.index("userId"), "userId", filled)
        require(g, "userId", label="userId (and anonymousId)")
    g.table = _columns(g.table, (user, time, event))
    return loaded(
        g,
        {"user": user, "time": time, "event": event},
        "segment",
        counts,
        identities=links if user == "userId" else None,
        not_event_keys=not_event_keys,
    )


def _keys_of(g: Any, rows: np.ndarray, kind: np.ndarray) -> Any:
    """The duplicate keys and kinds of the records ``rows`` (for repeats found across shards)."""
    import pandas as pd

    ids = text(g, DUPLICATE_KEY[0])
    if ids is None:
        return None
    return pd.DataFrame({DUPLICATE_KEY[0]: ids[rows], "kind": kind[rows]})


def _kinds(g: Any) -> np.ndarray:
    import pyarrow.compute as pc

    return np.asarray(pc.utf8_lower(g.table.column("type")).to_numpy(zero_copy_only=False), dtype=object)


def _links(g: Any, kind: np.ndarray, time: str) -> Any:
    """AnonymousId -> userId from every message carrying both, and previousId -> userId from aliases."""
    import pandas as pd

    anonymous, user = text(g, "anonymousId"), text(g, "userId")
    times = g.table.column(time).to_pandas().reset_index(drop=True)
    parts = []
    if anonymous is not None and user is not None:
        parts.append(identity_pairs(anonymous, user, times))
    previous = text(g, "previousId")
    if previous is not None and user is not None:
        alias = kind == "alias"
        parts.append(identity_pairs(previous[alias], user[alias], times[alias]))
    return pd.concat(parts, ignore_index=True) if parts else None


def _with_names(table: Any, kind: np.ndarray) -> Any:
    """The ``event`` column: a track's event, ``page:<name>`` / ``screen:<name>`` for pages and screens."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = table.num_rows
    named = [table.column(c) for c in ("name", "properties.name") if c in table.column_names]
    name = pc.coalesce(*[pc.cast(c, pa.string()) for c in named]) if named else pa.nulls(n, pa.string())
    event = table.column("event") if "event" in table.column_names else pa.nulls(n, pa.string())
    event = pc.cast(event, pa.string())
    result = event
    for call in ("page", "screen"):
        titled = pc.coalesce(pc.binary_join_element_wise(call + ":", name, ""), pa.scalar(call))
        result = pc.if_else(pa.array(kind == call), titled, result)
    if "event" in table.column_names:
        return table.set_column(table.column_names.index("event"), "event", result)
    return table.append_column("event", result)


def _columns(table: Any, roles: tuple[str, ...]) -> Any:
    """Properties by their own name, context dotted, fields of non-event calls and empty columns left out."""
    table = hoist(drop_columns(table, NOT_EVENT_FIELDS), "properties")
    empty = [
        c
        for c in table.column_names
        if c not in roles and table.num_rows and table.column(c).null_count == table.num_rows
    ]
    return table.drop_columns(empty)
