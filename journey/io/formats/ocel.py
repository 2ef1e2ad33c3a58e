"""OCEL 2.0 object-centric event logs (JSON, XML or SQLite), flattened on one object type.

In an object-centric log an event relates to any number of objects of several types (an order, its items,
the customer). A customer journey follows one kind of object, so the log is *flattened* on the type the
user names with ``object_type=``: every object of that type is a user, and each event becomes one row per
related object of that type.

What becomes what
-----------------
=====================================  ====================================================================
OCEL 2.0                               tidy frame
=====================================  ====================================================================
an object of ``object_type``           ``user`` (its id)
the event's ``time``                   ``time``, UTC; a time without an offset is read in ``tz``
the event's type (activity)            ``event``
the event's id                         ``ocel:eid``
the qualifier(s) of the relationship   ``ocel:qualifier`` (several qualifiers of one pair joined by ``", "``)
event attributes                       a column named by the attribute, typed by the declared type
object attributes                      a column ``case:<name>`` holding the object's value *at the event's
                                       time* (the last change at or before it; dynamic values are honoured)
=====================================  ====================================================================

What the flattening changes, in the report
------------------------------------------
The frame carries a :class:`~journey.io.formats.read_report.ReaderReport` as ``frame.attrs["journey_read"]``:
``records`` (events in the file), ``duplicated`` (events related to several objects of the type: they are
repeated, once per object), ``extra_rows`` (the rows that repetition added), ``dropped`` (events related to no
object of the type: left out), ``details`` (``serialisation``, ``object_types`` with their object counts,
``event_types``, ``object_type``, ``unknown_objects``: relationships to ids that are not among the objects,
ignored; ``object_relationships``: object-to-object relationships, not used by the flattening) and, for XML,
``lines`` (the line of each row's ``<event>``). :func:`journey.read_events` warns when events were repeated
or left out. The same (event, object) pair listed twice counts once.

The serialisation is recognised by content, not name: SQLite's header, ``{`` for JSON, ``<`` for XML;
gzipped JSON and XML are read transparently. JSON is parsed whole (the standard's layout has no streaming
form); XML is streamed.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ...errors import JourneyError, MixedTimezoneError, SourceError, option
from ..events import parse_times
from .read_report import Problem, ReaderReport, attach
from .xml_stream import check_file, local_name, open_source, stream_xml

__all__ = ["read"]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_TRUE, _FALSE = {"1", "true", "True", "TRUE"}, {"0", "false", "False", "FALSE"}
# Columns the flattening writes itself: an attribute of the same name is renamed "attribute:<name>".
_OWN = ("user", "time", "event", "ocel:eid", "ocel:qualifier")


@dataclass
class _Log:
    """An OCEL 2.0 log as flat tables, whatever its serialisation."""

    path: Path
    serialisation: str
    events: pd.DataFrame  # id, type, time (as written), then the attributes (as written)
    where: list[str]  # where each event is, for messages: "line 12", "events[3]", "event row 4"
    relations: pd.DataFrame  # event (position), object (id), qualifier
    objects: pd.DataFrame  # id, type
    changes: pd.DataFrame  # object, name, time, value: every (timed) object attribute value
    event_types: dict[str, dict[str, str]] = field(default_factory=dict)  # type -> attribute -> declared type
    object_types: dict[str, dict[str, str]] = field(default_factory=dict)
    lines: np.ndarray | None = None
    object_relations: int = 0


def read(
    source: str | os.PathLike[str],
    *,
    object_type: str | None = None,
    tz: str = "UTC",
    on_invalid: Literal["raise", "drop"] = "raise",
) -> pd.DataFrame:
    """Read an OCEL 2.0 log (JSON, XML or SQLite) flattened on ``object_type``: one row per event and object.

    Parameters
    ----------
    source : str or os.PathLike
        The OCEL 2.0 file (``.json``/``.jsonocel``, ``.xml``/``.xmlocel``, ``.sqlite``; gzipped JSON or XML
        too). The serialisation is recognised by content.
    object_type : str
        The object type whose objects become the users (``"order"``, ``"customer"``). Required: without
        it, or with a type the log does not hold, the error lists the log's object types.
    tz : str
        Time zone of times written without an offset.
    on_invalid : {"raise", "drop"}
        ``"raise"``: an event without a type or time, or with an unreadable time or attribute value, raises.
        ``"drop"``: its rows are kept and listed in the report's ``problems`` for
        :func:`journey.read_events` to drop and list in ``log.dropped``.

    Returns
    -------
    pandas.DataFrame
        ``user``, ``time`` (UTC), ``event``, ``ocel:eid``, ``ocel:qualifier``, the event attributes, then
        the ``case:`` object attributes; in file order of the events. ``frame.attrs["journey_read"]`` is
        the :class:`ReaderReport` (duplicated and dropped events).

    Raises
    ------
    SourceError
        No such file, malformed JSON or XML (with the line), not an OCEL 2.0 layout (a missing table or
        key is named).
    JourneyError
        ``object_type`` missing or unknown; a required field missing (the event or object and the field
        are named, with the line in XML).

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> log = {"eventTypes": [{"name": "place", "attributes": []}, {"name": "pay", "attributes": []}],
    ...        "objectTypes": [{"name": "order", "attributes": []}, {"name": "item", "attributes": []}],
    ...        "objects": [{"id": "o1", "type": "order"}, {"id": "o2", "type": "order"},
    ...                    {"id": "i1", "type": "item"}],
    ...        "events": [{"id": "e1", "type": "place", "time": "2025-01-01T10:00:00Z",
    ...                    "relationships": [{"objectId": "o1", "qualifier": "placed"},
    ...                                      {"objectId": "o2", "qualifier": "placed"},
    ...                                      {"objectId": "i1", "qualifier": "contains"}]},
    ...                   {"id": "e2", "type": "pay", "time": "2025-01-01T11:00:00Z",
    ...                    "relationships": [{"objectId": "o1", "qualifier": "paid"}]}]}
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "log.json"
    >>> _ = path.write_text(json.dumps(log))
    >>> frame = read(path, object_type="order")
    >>> frame[["user", "event", "ocel:eid"]].values.tolist()
    [['o1', 'place', 'e1'], ['o2', 'place', 'e1'], ['o1', 'pay', 'e2']]
    >>> report = frame.attrs["journey_read"]
    >>> report.duplicated, report.extra_rows, report.dropped
    (1, 1, 0)
    """
    path = check_file(source, "OCEL")
    log = _load(path)
    return _flatten(log, object_type, tz, on_invalid == "raise")


def _load(path: Path) -> _Log:
    with open(path, "rb") as probe:
        if probe.read(16) == _SQLITE_MAGIC:
            return _load_sqlite(path)
    with open_source(path) as handle:
        try:
            head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        except (OSError, EOFError) as exc:
            raise SourceError(f"{path}: cannot be read ({type(exc).__name__}: {exc})") from None
    if head.startswith(b"{"):
        return _load_json(path)
    if head.startswith(b"<"):
        return _load_xml(path)
    raise SourceError(f"{path}: not an OCEL 2.0 file (neither JSON, XML nor SQLite)")


# ---------------------------------------------------------------------------------------------------
# the three serialisations


def _load_json(path: Path) -> _Log:
    with open_source(path) as handle:
        try:
            data = json.load(handle)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{path}, line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})") from None
        except UnicodeDecodeError as exc:
            raise SourceError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not isinstance(data, dict) or "events" not in data or "objects" not in data:
        raise SourceError(f"{path}: not an OCEL 2.0 JSON log (no top-level 'events' and 'objects')")
    events, where, relations = [], [], []
    for i, item in enumerate(_list(data, "events", path)):
        spot = f"events[{i}]"
        _need(item, ("id",), path, spot)
        record = {"id": item.get("id"), "type": item.get("type"), "time": item.get("time")}
        for attribute in _list(item, "attributes", path, spot):
            _need(attribute, ("name",), path, f"{spot}.attributes")
            record[f"a:{attribute['name']}"] = attribute.get("value")
        for relation in _list(item, "relationships", path, spot):
            _need(relation, ("objectId",), path, f"{spot}.relationships")
            relations.append((i, str(relation["objectId"]), relation.get("qualifier")))
        events.append(record)
        where.append(spot)
    objects, changes, o2o = [], [], 0
    for i, item in enumerate(_list(data, "objects", path)):
        spot = f"objects[{i}]"
        _need(item, ("id", "type"), path, spot)
        objects.append((str(item["id"]), item["type"]))
        for attribute in _list(item, "attributes", path, spot):
            _need(attribute, ("name",), path, f"{spot}.attributes")
            changes.append((str(item["id"]), attribute["name"], attribute.get("time"), attribute.get("value")))
        o2o += len(_list(item, "relationships", path, spot))
    return _Log(
        path,
        "json",
        _events_frame(events),
        where,
        _relations(relations),
        _objects(objects),
        _changes(changes),
        _types(data.get("eventTypes")),
        _types(data.get("objectTypes")),
        object_relations=o2o,
    )


def _list(container: Any, key: str, path: Path, spot: str = "") -> list:
    if not isinstance(container, dict):
        raise JourneyError(f"{path}: {spot or 'the log'} is not a JSON object")
    value = container.get(key, [])
    if not isinstance(value, list):
        raise JourneyError(f"{path}: {spot + '.' if spot else ''}{key} is not a list")
    return value


def _need(item: Any, keys: Sequence[str], path: Path, spot: str) -> None:
    if not isinstance(item, dict):
        raise JourneyError(f"{path}: {spot} is not a JSON object")
    for key in keys:
        if item.get(key) is None:
            raise JourneyError(f"{path}: {spot} has no {key!r} (OCEL 2.0 requires it)")


def _types(declared: Any) -> dict[str, dict[str, str]]:
    types: dict[str, dict[str, str]] = {}
    for item in declared if isinstance(declared, list) else []:
        if isinstance(item, dict) and "name" in item:
            types[item["name"]] = {
                a["name"]: a.get("type", "string")
                for a in item.get("attributes") or []
                if isinstance(a, dict) and "name" in a
            }
    return types


def _load_xml(path: Path) -> _Log:
    state = _XmlState(path)
    stream_xml(path, state, state.text.append)
    if not state.seen_log:
        raise SourceError(f"{path}: not an OCEL 2.0 XML log (no <log> element)")
    return _Log(
        path,
        "xml",
        _events_frame(state.events),
        [f"line {n}" for n in state.lines],
        _relations(state.relations),
        _objects(state.objects),
        _changes(state.changes),
        state.event_types,
        state.object_types,
        lines=np.asarray(state.lines, dtype=np.int64),
        object_relations=state.o2o,
    )


class _XmlState:
    """What one pass over an OCEL 2.0 XML file has read so far, and where it is."""

    parser: Any  # expat's, set by stream_xml: its CurrentLineNumber is the line of the tag being read

    def __init__(self, path: Path):
        self.path = path
        self.text: list[str] = []  # character data since the last tag
        self.seen_log = False
        self.stack: list[str] = []
        self.events: list[dict[str, Any]] = []
        self.lines: list[int] = []
        self.relations: list[tuple[int, str, Any]] = []
        self.objects: list[tuple[str, str]] = []
        self.changes: list[tuple[str, str, Any, Any]] = []
        self.event_types: dict[str, dict[str, str]] = {}
        self.object_types: dict[str, dict[str, str]] = {}
        self.o2o = 0
        self.declaring: dict[str, str] | None = None
        self.attribute: tuple[str, Any, int] | None = None  # name, time, line of the open <attribute>

    def start(self, name: str, attrs: dict[str, str]) -> None:
        name = local_name(name)
        line = self.parser.CurrentLineNumber
        self.text.clear()
        parent = self.stack[-1] if self.stack else None
        self.stack.append(name)
        if parent is None:
            if name != "log":
                raise SourceError(
                    f"{self.path}, line {line}: not an OCEL 2.0 XML log (the root element is <{name}>, not <log>)"
                )
            self.seen_log = True
        elif name == "event" and parent == "events":
            self._require(attrs, ("id",), "event", line)  # a missing type or time is a row-level problem
            self.events.append({"id": attrs["id"], "type": attrs.get("type"), "time": attrs.get("time")})
            self.lines.append(line)
        elif name == "object" and parent == "objects" and self._inside("log", 2):
            self._require(attrs, ("id", "type"), "object", line)
            self.objects.append((attrs["id"], attrs["type"]))
        elif name in ("event-type", "object-type"):
            self._require(attrs, ("name",), name, line)
            self.declaring = {}
            (self.event_types if name == "event-type" else self.object_types)[attrs["name"]] = self.declaring
        elif name == "attribute":
            self._require(attrs, ("name",), "attribute", line)
            if self.declaring is not None:
                self.declaring[attrs["name"]] = attrs.get("type", "string")
            else:
                self.attribute = (attrs["name"], attrs.get("time"), line)
        elif name in ("relationship", "object") and parent == "objects":
            self._require(attrs, ("object-id",), "relationship", line)
            if self._inside("event", 2):
                qualifier = attrs.get("qualifier", attrs.get("relationship"))
                self.relations.append((len(self.events) - 1, attrs["object-id"], qualifier))
            else:
                self.o2o += 1

    def end(self, name: str) -> None:
        name = local_name(name)
        if name == "attribute" and self.attribute is not None:
            attribute, when, _ = self.attribute
            text = "".join(self.text)
            if self._inside("event", 2):
                self.events[-1][f"a:{attribute}"] = text
            elif self._inside("object", 2):
                self.changes.append((self.objects[-1][0], attribute, when, text))
            self.attribute = None
        elif name in ("event-type", "object-type"):
            self.declaring = None
        self.stack.pop()

    def _inside(self, name: str, depth: int) -> bool:
        """Whether the element ``depth`` levels above the current one is ``name``."""
        return len(self.stack) > depth and self.stack[-1 - depth] == name

    def _require(self, attrs: dict[str, str], keys: Sequence[str], element: str, line: int) -> None:
        for key in keys:
            if key not in attrs:
                raise JourneyError(
                    f"{self.path}, line {line}: <{element}> without its {key!r} attribute (OCEL 2.0 requires it)"
                )


def _load_sqlite(path: Path) -> _Log:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise SourceError(f"{path}: cannot be opened as SQLite ({exc})") from None
    try:
        return _read_sqlite(path, db)
    except sqlite3.DatabaseError as exc:
        raise SourceError(f"{path}: not a readable OCEL 2.0 SQLite log ({exc})") from None
    finally:
        db.close()


def _read_sqlite(path: Path, db: sqlite3.Connection) -> _Log:
    tables = {row[0] for row in db.execute("select name from sqlite_master where type = 'table'")}
    for table in ("event", "event_object", "object", "event_map_type", "object_map_type"):
        if table not in tables:
            raise SourceError(
                f"{path}: not an OCEL 2.0 SQLite log (no table {table!r}; tables: "
                f"{', '.join(sorted(map(repr, tables))) or 'none'})"
            )

    def query(sql: str) -> pd.DataFrame:
        return pd.read_sql_query(sql, db)

    def quoted(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    kinds = query("select rowid as position, ocel_id as id, ocel_type as type from event order by rowid")
    event_types: dict[str, dict[str, str]] = {}
    timed = []
    for kind, suffix in query("select ocel_type, ocel_type_map from event_map_type").itertuples(index=False):
        table = f"event_{suffix}"
        if table not in tables:
            raise SourceError(f"{path}: no table {table!r} for event type {kind!r} (event_map_type names it)")
        columns = db.execute(f"pragma table_info({quoted(table)})").fetchall()
        event_types[kind] = {c[1]: _sql_type(c[2]) for c in columns if c[1] not in ("ocel_id", "ocel_time")}
        part = query(f"select * from {quoted(table)}").rename(columns={"ocel_id": "id", "ocel_time": "time"})
        timed.append(part.rename(columns={c: f"a:{c}" for c in part.columns if c not in ("id", "time")}))
    details = pd.concat(timed, ignore_index=True) if timed else pd.DataFrame({"id": [], "time": []})
    events = kinds.merge(details.drop_duplicates("id"), on="id", how="left").sort_values("position", kind="stable")
    where = [f"event {eid!r} (row {int(p)} of table 'event')" for eid, p in zip(events["id"], events["position"])]
    events = events.drop(columns="position").reset_index(drop=True)

    position = pd.Series(np.arange(len(events)), index=events["id"].astype(str))
    position = position[~position.index.duplicated()]
    links = query("select ocel_event_id, ocel_object_id, ocel_qualifier from event_object")
    known = links["ocel_event_id"].astype(str).isin(position.index)
    relations = pd.DataFrame(
        {
            "event": position.reindex(links["ocel_event_id"].astype(str)[known]).to_numpy(),
            "object": links["ocel_object_id"].astype(str)[known].to_numpy(),
            "qualifier": links["ocel_qualifier"][known].to_numpy(),
        }
    )
    relations = relations.sort_values("event", kind="stable", ignore_index=True)

    objects = query("select ocel_id as id, ocel_type as type from object")
    object_types: dict[str, dict[str, str]] = {}
    changes: list[tuple[str, str, Any, Any]] = []
    for kind, suffix in query("select ocel_type, ocel_type_map from object_map_type").itertuples(index=False):
        table = f"object_{suffix}"
        if table not in tables:
            continue  # an object type without attributes may have no table
        columns = db.execute(f"pragma table_info({quoted(table)})").fetchall()
        names = [c[1] for c in columns if c[1] not in ("ocel_id", "ocel_time", "ocel_changed_field")]
        object_types[kind] = {c[1]: _sql_type(c[2]) for c in columns if c[1] in names}
        values = query(f"select * from {quoted(table)}")
        changed = values["ocel_changed_field"] if "ocel_changed_field" in values.columns else None
        for name in names:
            # The first row of an object holds every attribute; a later row holds the field it changes.
            mine = values[name].notna() if changed is None else (changed.isna() | (changed == name))
            part = values.loc[mine & values[name].notna(), ["ocel_id", "ocel_time", name]]
            changes.extend(zip(part["ocel_id"].astype(str), [name] * len(part), part["ocel_time"], part[name]))
    o2o = int(db.execute("select count(*) from object_object").fetchone()[0]) if "object_object" in tables else 0
    return _Log(
        path,
        "sqlite",
        events,
        where,
        relations,
        _objects(objects.itertuples(index=False)),
        _changes(changes),
        event_types,
        object_types,
        object_relations=o2o,
    )


def _sql_type(declared: str) -> str:
    declared = (declared or "").upper()
    return {"INTEGER": "integer", "REAL": "float", "BOOLEAN": "boolean", "TIMESTAMP": "time"}.get(declared, "string")


def _events_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame(columns=["id", "type", "time"])
    for column in ("id", "type", "time"):
        if column not in frame.columns:
            frame[column] = None
    return frame


def _relations(rows: list[tuple[int, str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["event", "object", "qualifier"]).astype({"event": np.int64})


def _objects(rows: Any) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=["id", "type"])
    return frame.astype({"id": str}) if len(frame) else frame


def _changes(rows: list[tuple[str, str, Any, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["object", "name", "time", "value"])


# ---------------------------------------------------------------------------------------------------
# flattening


def _flatten(log: _Log, object_type: str | None, tz: str, strict: bool) -> pd.DataFrame:
    counts = log.objects["type"].value_counts(sort=False)
    available = ", ".join(f"{kind!r} ({int(n):,} objects)" for kind, n in counts.items()) or "none"
    if object_type is None:
        raise JourneyError(
            f"{log.path}: name the objects whose journeys to follow with "
            f"{option('object_type', str(counts.index[0]) if len(counts) else 'order')}; "
            f"object types: {available}"
        )
    if object_type not in counts.index:
        close = get_close_matches(str(object_type), [str(k) for k in counts.index], n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise JourneyError(
            f"{log.path}: {option('object_type', object_type)} is not an object type of the log; "
            f"object types: {available}.{hint}"
        )

    ids = set(log.objects.loc[log.objects["type"] == object_type, "id"])
    all_ids = set(log.objects["id"])
    relations = log.relations
    unknown = int((~relations["object"].isin(all_ids)).sum())
    mine = relations[relations["object"].isin(ids)]
    pairs = (
        mine.assign(qualifier=mine["qualifier"].astype(object))
        .groupby(["event", "object"], sort=False)["qualifier"]
        .agg(lambda q: ", ".join(dict.fromkeys(str(v) for v in q if pd.notna(v))) or None)
        .reset_index()
        .sort_values("event", kind="stable", ignore_index=True)
    )
    event_of_row = pairs["event"].to_numpy(dtype=np.int64)
    per_event = np.bincount(event_of_row, minlength=len(log.events))
    events = log.events.iloc[event_of_row].reset_index(drop=True)

    problems: list[Problem] = []
    where = [log.where[i] for i in event_of_row]
    kinds = events["type"]
    _required(kinds, "type", where, log.path, strict, problems)
    times = _times(events["time"], "time", where, log.path, tz, strict, problems, required=True)
    data: dict[str, Any] = {
        "user": pairs["object"].array,
        "time": times.array,
        "event": kinds.array,
        "ocel:eid": events["id"].astype(object).array,
        "ocel:qualifier": pairs["qualifier"].array,
    }
    declared = _declared(log.event_types, kinds)
    for column in [c for c in events.columns if c.startswith("a:")]:
        name = column[2:]
        values = _typed(events[column], declared.get(name, ""), name, where, log.path, tz, strict, problems)
        data[f"attribute:{name}" if name in _OWN else name] = values.array
    frame = pd.DataFrame(data)
    _object_attributes(frame, log, ids, object_type, tz)

    report = ReaderReport(
        source=str(log.path),
        format="ocel",
        records=len(log.events),
        rows=len(frame),
        duplicated=int((per_event > 1).sum()),
        extra_rows=int(np.maximum(per_event - 1, 0).sum()),
        dropped=int((per_event == 0).sum()),
        problems=problems,
        lines=None if log.lines is None else log.lines[event_of_row],
        names={"user": f"{object_type} id", "time": "time", "event": "type"},
        details={
            "serialisation": log.serialisation,
            "object_type": object_type,
            "object_types": {str(k): int(n) for k, n in counts.items()},
            "event_types": sorted(set(log.event_types) | set(log.events["type"].dropna().astype(str))),
            "unknown_objects": unknown,
            "object_relationships": log.object_relations,
        },
    )
    return attach(frame, report)


def _declared(types: dict[str, dict[str, str]], kinds: pd.Series) -> dict[str, str]:
    """Declared type of each attribute name over the event types present (the first declaration wins)."""
    declared: dict[str, str] = {}
    for kind in kinds.dropna().unique():
        for name, kind_of_value in types.get(kind, {}).items():
            declared.setdefault(name, kind_of_value)
    return declared


def _required(values: pd.Series, field_name: str, where: list[str], path: Path, strict: bool, problems: list) -> None:
    missing = values.isna().to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing)
        if strict:
            raise JourneyError(
                f"{path}: {where[rows[0]]} has no {field_name!r} (OCEL 2.0 requires it; "
                f"{len(rows):,} rows in all). Fix the file, or pass {option('on_invalid', 'drop')} "
                f"to drop them and list them in log.dropped."
            )
        problems.append((rows, field_name, f"events without {field_name!r}", values.iloc[rows]))


def _times(
    values: pd.Series,
    name: str,
    where: list[str],
    path: Path,
    tz: str,
    strict: bool,
    problems: list,
    required: bool = False,
) -> pd.Series:
    found: list = []
    try:
        parsed = parse_times(values.astype(object), name, tz, None, found)
    except MixedTimezoneError as exc:
        raise MixedTimezoneError(
            name, f"{exc.reason} ({where[exc.rows[0]]} of {path} is the first)", exc.rows, exc.values
        ) from None
    for rows, _, reason, raw in found:
        if reason == "missing values":
            if required:
                _required(values, name, where, path, strict, problems)
            continue
        if strict:
            raise JourneyError(
                f"{path}: {where[rows[0]]}: {name} {raw.iloc[0]!r} is not an ISO 8601 time ({len(rows):,} rows in all)"
            )
        problems.append((rows, name, "times that are not ISO 8601", raw))
    return parsed


def _typed(
    values: pd.Series, declared: str, name: str, where: list[str], path: Path, tz: str, strict: bool, problems: list
) -> pd.Series:
    """Attribute values converted to their declared type (OCEL's string, time, integer, float, boolean)."""
    if declared == "time":
        return _times(values, name, where, path, tz, strict, problems)
    if declared in ("integer", "float"):
        numbers = pd.to_numeric(values, errors="coerce")
        if declared == "integer":
            whole = numbers.notna() & (numbers % 1 == 0)
            numbers = numbers.where(whole).astype("Int64")
    elif declared == "boolean":
        numbers = values.map(_boolean, na_action="ignore")
    else:
        return values
    bad = (numbers.isna() & values.notna()).to_numpy()
    if bad.any():
        rows = np.flatnonzero(bad)
        if strict:
            raise JourneyError(
                f"{path}: {where[rows[0]]}: attribute {name!r} = {values.iloc[rows[0]]!r} is not "
                f"{'an' if declared == 'integer' else 'a'} {declared} (as declared)"
            )
        problems.append((rows, name, f"values that are not {declared} (as declared)", values.iloc[rows]))
    if declared == "boolean":
        return numbers.astype(bool) if not numbers.isna().any() else numbers.astype(object)
    return numbers


def _boolean(value: Any) -> bool | None:
    """OCEL's booleans: JSON true/false, XML and SQLite 1/0 (SQLite's column may come back as 1.0)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.number)):
        return bool(value) if value in (0, 1) else None
    text = str(value).strip()
    return True if text in _TRUE else False if text in _FALSE else None


def _object_attributes(frame: pd.DataFrame, log: _Log, ids: set[str], object_type: str, tz: str) -> None:
    """Add ``case:<name>``: each object's attribute value at the event's time (the last change before it)."""
    changes = log.changes[log.changes["object"].isin(ids)]
    if changes.empty or frame.empty:
        return
    declared = log.object_types.get(object_type, {})
    when = parse_times(changes["time"].fillna("1970-01-01T00:00:00Z").astype(object), "time", tz, None, [])
    changes = changes.assign(time=when).dropna(subset=["time"])
    rows = (
        pd.DataFrame({"object": frame["user"].astype(object), "time": frame["time"], "row": np.arange(len(frame))})
        .dropna(subset=["time"])
        .sort_values("time", kind="stable")
    )
    for name, group in changes.groupby("name", sort=False):
        history = group[["object", "time", "value"]].astype({"object": object}).sort_values("time", kind="stable")
        at = pd.merge_asof(rows, history, on="time", by="object", direction="backward")
        values = at.set_index("row")["value"].reindex(np.arange(len(frame))).reset_index(drop=True)  # NaT rows: none
        column = f"case:{name}"
        frame[column] = _typed(
            values.astype(object), declared.get(str(name), ""), column, [""] * len(values), log.path, tz, False, []
        ).array
