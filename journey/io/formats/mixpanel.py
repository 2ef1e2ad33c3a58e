"""Mixpanel raw event export: JSON lines ``{"event": ..., "properties": {...}}``, one event per line.

=========================  =============================================================================
user                       ``distinct_id``, stitched: an id linked to a user by an ``$identify`` event
                           (``$anon_distinct_id`` -> ``$identified_id``), a ``$create_alias`` (``alias`` ->
                           ``distinct_id``) or an event carrying both ``$device_id`` and ``$user_id``
                           (Simplified ID Merge: the device's events, ``$device:<id>`` or ``<id>``) belongs
                           to that user. ``user="$device_id"`` or another property reads it as it is.
time                       ``properties.time``, epoch seconds, or milliseconds (exports made with
                           ``time_in_ms``): a value of 10^11 or more is read as milliseconds, which no
                           date in seconds before the year 5000 reaches
event                      ``event``
not events                 ``$identify``, ``$create_alias``, ``$merge``
duplicates                 same ``event``, ``distinct_id``, ``time`` and ``$insert_id``, the key Mixpanel
                           de-duplicates on (the raw export is not de-duplicated)
columns                    properties by name (``$browser``, ``mp_country_code``); ``properties.time``
                           keeps its prefix (``time`` is journey's own column)
=========================  =============================================================================
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .nested import flatten, hoist
from .reader import Counts, Loaded, Request
from .records import duplicated, epoch_times, identity_pairs, keep_rows, loaded, require, text
from .sources import JSON_KINDS, gather

__all__ = ["read_mixpanel"]

KINDS = JSON_KINDS
NOT_EVENTS = ("$identify", "$create_alias", "$merge")
TIME = "properties.time"
DUPLICATE_KEY = ("event", "distinct_id", TIME, "$insert_id")
#: Epoch values from here on are milliseconds (10^11 s is in the year 5138; 10^11 ms in 1973).
MILLISECONDS = 10**11


def read_mixpanel(source: Any, request: Request) -> Loaded:
    """Read a Mixpanel raw export (see the module docstring for what becomes what).

    Parameters
    ----------
    source : str, os.PathLike or pandas.DataFrame
        JSON-lines files (gzipped too), a folder or glob of them, or a DataFrame with ``event`` and
        ``properties`` (dicts) or flattened ``properties.*`` columns.
    request : Request
        ``user=None`` (or ``"distinct_id"``) stitches ids to users.

    Returns
    -------
    Loaded
        The events, de-duplicated.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> export = pd.DataFrame({"event": ["Viewed", "Viewed", "Paid"], "properties": [
    ...     {"time": 1735725600, "distinct_id": "$device:d1", "$insert_id": "a"},
    ...     {"time": 1735725600, "distinct_id": "$device:d1", "$insert_id": "a"},
    ...     {"time": 1735725660000, "distinct_id": "ann", "$device_id": "d1", "$user_id": "ann", "$insert_id": "b"}]})
    >>> log = journey.read_events(export, format="mixpanel")
    >>> log.frame[["user", "event"]].values.tolist(), log.report.duplicates, log.report.stitched_events
    ([['ann', 'Viewed'], ['ann', 'Paid']], 1, 1)
    """
    g = gather(source, request.on_invalid, KINDS, "Mixpanel", flatten, request.encoding)
    g.table = hoist(g.table, "properties")
    event = request.event or "event"
    require(g, "event")
    counts = Counts(duplicate_key=", ".join(k.replace("properties.", "") for k in DUPLICATE_KEY))
    kinds = text(g, "event")
    assert kinds is not None  # required above
    user = request.user or "distinct_id"
    links = _links(g, kinds) if user == "distinct_id" else None
    not_event = np.isin(kinds, NOT_EVENTS)
    for name, n in zip(*np.unique(kinds[not_event].astype(str), return_counts=True)):
        counts.not_events[str(name)] = int(n)
    keep_rows(g, ~not_event)
    repeated = duplicated(g, list(DUPLICATE_KEY))
    counts.duplicates = int(repeated.sum())
    keep_rows(g, ~repeated)
    time = request.time or TIME
    require(g, time)
    epoch_times(g, time, lambda values: np.where(np.abs(values) >= MILLISECONDS, 3, 0))
    return loaded(g, {"user": user, "time": time, "event": event}, "mixpanel", counts, identities=links)


def _links(g: Any, kinds: np.ndarray) -> pd.DataFrame | None:
    """Links from anonymous ids to users, from identify and alias events and from events carrying both ids."""
    distinct = text(g, "distinct_id")
    parts = []
    device, user = text(g, "$device_id"), text(g, "$user_id")
    if device is not None and user is not None:
        ids = pd.Series(device, dtype=object)
        prefixed = ("$device:" + ids.where(ids.notna(), "")).where(ids.notna(), None)
        parts += [identity_pairs(prefixed.to_numpy(), user), identity_pairs(device, user)]
    anonymous, identified = text(g, "$anon_distinct_id"), text(g, "$identified_id")
    if anonymous is not None and identified is not None:
        identify = kinds == "$identify"
        parts.append(identity_pairs(anonymous[identify], identified[identify]))
    alias = text(g, "alias")
    if alias is not None and distinct is not None:
        created = kinds == "$create_alias"
        parts.append(identity_pairs(alias[created], distinct[created]))
    return pd.concat(parts, ignore_index=True) if parts else None
