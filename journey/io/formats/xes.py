"""XES (IEEE 1849-2016) event logs: :func:`read` into a tidy frame, :func:`write_xes` out to process-mining tools.

What becomes what
-----------------
============================  =========================================================================
XES                           tidy frame
============================  =========================================================================
trace ``concept:name``        ``user`` (the case)
event ``concept:name``        ``event`` (or the event class of ``classifier=``, its keys' values joined
                              by ``+`` as ProM does; ``concept:name`` is then kept as a column too)
event ``time:timestamp``      ``time``, UTC; a timestamp without an offset is read in ``tz``
other event attributes        a column named by the key (``lifecycle:transition``, ``org:resource``, ...)
other trace attributes        a column ``case:<key>`` (pm4py's convention), repeated on the trace's events
log attributes                not columns: ``report.details["log_attributes"]``
============================  =========================================================================

Typed attributes keep their type: ``string`` and ``id`` as text, ``int`` as integers, ``float`` as floats,
``boolean`` as True/False, ``date`` as UTC timestamps. A nested (meta-)attribute becomes a column named by
the dotted path of keys (``cost:total.currency``); a ``list`` (or pre-standard ``container``) becomes one
column holding a Python list of its values, in order (dates inside a list stay text).

What the header changes: an ``<extension>`` that declares a standard extension under another prefix
(``<extension name="Concept" prefix="cn" uri=".../concept.xesext"/>``) has its keys read under the standard
prefix (``cn:name`` is ``concept:name``); a ``<global>`` attribute gives its value to every event (or trace)
that lacks the key, except for the case name, event name and timestamp, whose global values are the
placeholders tools write (``__INVALID__``, 1970) and would invent data; ``<classifier>`` definitions are
listed in ``report.details["classifiers"]`` and chosen with ``classifier=``.

The report
----------
The frame returned carries a :class:`~journey.io.formats.read_report.ReaderReport` as
``frame.attrs["journey_read"]``: ``records`` (events read), ``lines`` (the line of each event's ``<event>``
tag), ``problems`` (invalid events, with ``on_invalid="drop"``) and ``details`` (``traces``, ``classifiers``,
``extensions``, ``log_attributes``). Nothing is duplicated or dropped by design.

The file is streamed (expat, no tree is kept) and may be gzipped (``.xes.gz``).
"""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path
from typing import IO, Any, Literal, NoReturn

import numpy as np
import pandas as pd

from ...errors import InvalidValuesError, JourneyError, MixedTimezoneError, SourceError, option
from ..events import EventLog, LogLike, as_event_log, common_unit, parse_times, user_starts
from .read_report import Problem, ReaderReport, attach
from .xml_stream import check_file, local_name, stream_xml

__all__ = ["read", "write_xes", "STANDARD_EXTENSIONS"]

#: The standard extensions: prefix -> (name, URI). Keys under these prefixes are written with their declaration.
STANDARD_EXTENSIONS = {
    "concept": ("Concept", "http://www.xes-standard.org/concept.xesext"),
    "time": ("Time", "http://www.xes-standard.org/time.xesext"),
    "lifecycle": ("Lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
    "org": ("Organizational", "http://www.xes-standard.org/org.xesext"),
    "cost": ("Cost", "http://www.xes-standard.org/cost.xesext"),
    "identity": ("Identity", "http://www.xes-standard.org/identity.xesext"),
    "semantic": ("Semantic", "http://www.xes-standard.org/semantic.xesext"),
    "micro": ("Micro", "http://www.xes-standard.org/micro.xesext"),
    "software": ("Software", "http://www.xes-standard.org/swcomm.xesext"),
}
_PREFIX_OF_URI = {uri.rsplit("/", 1)[-1]: prefix for prefix, (_, uri) in STANDARD_EXTENSIONS.items()}

_SCALARS = {"string", "date", "int", "float", "boolean", "id"}
_TEXTS = {"string", "id", "date"}  # kept as written (dates are parsed a column at a time, afterwards)
_COLLECTIONS = {"list", "container"}
_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}
_ROLE_KEYS = {"trace": {"concept:name"}, "event": {"concept:name", "time:timestamp"}}
_CLASSIFIER_KEYS = re.compile(r"'([^']*)'|(\S+)")


def read(
    source: str | os.PathLike[str],
    *,
    classifier: str | None = None,
    tz: str = "UTC",
    on_invalid: Literal["raise", "drop"] = "raise",
) -> pd.DataFrame:
    """Read an XES file (``.xes`` or gzipped ``.xes.gz``) into a tidy frame, one row per event.

    Parameters
    ----------
    source : str or os.PathLike
        The XES file.
    classifier : str, optional
        Name of a ``<classifier>`` of the file: the event is then its keys' values joined by ``+``
        (``"Activity+complete"``). Default: the event's ``concept:name``.
    tz : str
        Time zone of timestamps written without an offset.
    on_invalid : {"raise", "drop"}
        ``"raise"``: the first invalid event (no case name, no event name, no or an unreadable timestamp, a
        typed value that is not of its type) raises. ``"drop"``: such events are kept in the frame and
        listed in the report's ``problems`` for :func:`journey.read_events` to drop and list.

    Returns
    -------
    pandas.DataFrame
        ``user``, ``time`` (UTC), ``event``, then the event attributes and the ``case:`` trace attributes,
        in file order; ``frame.attrs["journey_read"]`` is the :class:`ReaderReport`.

    Raises
    ------
    SourceError
        No such file, XML that is not well-formed (with its line and column), a root element other than
        ``<log>``.
    JourneyError
        An attribute element without ``key`` or ``value``, a value not of its type, an event without a case
        name, event name or readable timestamp (``on_invalid="raise"``), an unknown ``classifier``: each
        message names the file and the line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "log.xes"
    >>> _ = path.write_text('''<log xes.version="1849-2016">
    ...   <trace><string key="concept:name" value="case-1"/>
    ...     <event><string key="concept:name" value="register"/>
    ...            <date key="time:timestamp" value="2025-01-01T10:00:00.000+01:00"/>
    ...            <int key="cost" value="12"/></event>
    ...   </trace>
    ... </log>''')
    >>> frame = read(path)
    >>> frame[["user", "event", "cost"]].values.tolist()
    [['case-1', 'register', 12]]
    >>> str(frame["time"].iloc[0])
    '2025-01-01 09:00:00+00:00'
    """
    path = check_file(source, "XES")
    parsed = _Parser(path, on_invalid)
    stream_xml(path, parsed)
    if not parsed.seen_log:
        raise SourceError(f"{path}: not an XES file (no <log> element)")
    return parsed.frame(classifier, tz)


class _Parser:
    """The state of one pass over an XES file: what is open, and what has been read so far."""

    parser: Any  # expat's, set by stream_xml: its CurrentLineNumber is the line of the tag being read

    def __init__(self, path: Path, on_invalid: str):
        self.path, self.strict = path, on_invalid == "raise"
        self.seen_log = False
        self.log_attributes: dict[str, Any] = {}
        self.globals: dict[str, dict[str, Any]] = {"trace": {}, "event": {}}
        self.extensions: dict[str, str] = {}
        self.classifiers: dict[str, list[str]] = {}
        self.prefixes: dict[str, str] = {}  # declared prefix -> standard prefix, where they differ
        self.traces: list[dict[str, Any]] = []
        self.trace_lines: list[int] = []
        self.events: list[dict[str, Any]] = []
        self.event_lines: list[int] = []
        self.event_trace: list[int] = []
        self.dates: dict[str, set[str]] = {"trace": set(), "event": set(), "log": set()}
        self.bad: list[tuple[str, int, str, str, Any]] = []  # (scope, index, key, reason, raw value)
        # The open log/trace/event/global elements: (scope whose dates a <date> joins, its record).
        self.scopes: list[tuple[str, dict[str, Any]]] = []
        self.scope, self.record = "", self.log_attributes  # the innermost of them
        self.attributes: list[tuple[str | None, list | None]] = []  # open attributes: (key path, list filled)
        self.trace = -1
        self._keys: dict[str, str] = {}

    # -- expat callbacks: the hot path of the reader, kept flat ---------------------------------------
    def start(self, name: str, attrs: dict[str, str]) -> None:
        if ":" in name:
            name = local_name(name)
        if name in _SCALARS and not self.attributes and self.scopes:
            key, raw = attrs.get("key"), attrs.get("value")
            if key is not None and raw is not None:  # a plain attribute of a log, trace, event or global
                if self.prefixes:
                    key = self._key(key)
                if name == "date":
                    self.dates[self.scope].add(key)
                self.record[key] = raw if name in _TEXTS else self._convert(name, key, raw)
                self.attributes.append((key, None))
                return
        if name in _SCALARS or name in _COLLECTIONS:
            self._attribute(name, attrs)
        elif name == "event":
            record: dict[str, Any] = {}
            self.events.append(record)
            self.event_lines.append(self.parser.CurrentLineNumber)
            self.event_trace.append(self.trace)
            self._enter("event", record)
        elif name == "trace":
            record = {}
            self.trace = len(self.traces)
            self.traces.append(record)
            self.trace_lines.append(self.parser.CurrentLineNumber)
            self._enter("trace", record)
        elif name == "log":
            if self.seen_log:
                self._fail("a <log> inside the log")
            self.seen_log = True
            self._enter("log", self.log_attributes)
        elif not self.seen_log:
            raise SourceError(
                f"{self.path}, line {self.parser.CurrentLineNumber}: not an XES file (the root "
                f"element is <{name}>, not <log>)"
            )
        elif name == "global":
            scope = attrs.get("scope", "event")
            if scope not in self.globals:
                self._fail(f"<global scope={scope!r}>: the scope must be 'trace' or 'event'")
            self._enter(scope, self.globals[scope])
        elif name == "extension":
            self._extension(attrs)
        elif name == "classifier":
            keys = attrs.get("keys")
            if keys is None or "name" not in attrs:
                self._fail("<classifier> needs a name and keys")
            self.classifiers[attrs["name"]] = [self._key(a or b) for a, b in _CLASSIFIER_KEYS.findall(keys)]

    def end(self, name: str) -> None:
        if ":" in name:
            name = local_name(name)
        if name in _SCALARS or name in _COLLECTIONS:
            self.attributes.pop()
        elif name in ("event", "trace", "log", "global"):
            self.scopes.pop()
            self.scope, self.record = self.scopes[-1] if self.scopes else ("", self.log_attributes)
            if name == "trace":
                self.trace = -1

    # -- pieces -----------------------------------------------------------------------------------
    def _enter(self, scope: str, record: dict[str, Any]) -> None:
        self.scopes.append((scope, record))
        self.scope, self.record = scope, record

    def _attribute(self, tag: str, attrs: dict[str, str]) -> None:
        """An attribute inside another (a meta-attribute or a list element), a list, or a faulty one."""
        key = attrs.get("key")
        if key is None:
            self._fail(f"<{tag}> without a key attribute")
        key = self._key(key)
        value: Any
        if tag in _COLLECTIONS:
            value = []
        else:
            raw = attrs.get("value")
            if raw is None:
                self._fail(f"<{tag} key={key!r}> without a value attribute")
            value = raw if tag in _TEXTS else self._convert(tag, key, raw)
        outer_key, outer_list = self.attributes[-1] if self.attributes else (None, None)
        if outer_list is not None:  # an element of a list: its key only orders it
            outer_list.append(value)
            self.attributes.append((None, value if tag in _COLLECTIONS else None))
            return
        if not self.scopes:
            self._fail(f"<{tag} key={key!r}> outside the log")
        path = key if outer_key is None else f"{outer_key}.{key}"
        self.record[path] = value
        if tag == "date":
            self.dates[self.scope].add(path)
        self.attributes.append((path, value if tag in _COLLECTIONS else None))

    def _convert(self, tag: str, key: str, raw: str) -> Any:
        try:
            if tag == "int":
                return int(raw)
            if tag == "float":
                return float(raw)
            return _BOOLEANS[raw.strip().lower()]
        except (ValueError, KeyError):
            kind = {"int": "an integer", "float": "a number", "boolean": "true or false"}[tag]
            scope = self.scopes[-1][0] if self.scopes else ""
            if self.strict or self.record is not (
                self.events[-1] if scope == "event" else self.traces[-1] if scope == "trace" else None
            ):
                self._fail(f"<{tag} key={key!r} value={raw!r}>: the value is not {kind}")
            self.bad.append(
                (
                    scope,
                    len(self.events if scope == "event" else self.traces) - 1,
                    key,
                    f"<{tag}> values that are not {kind}",
                    raw,
                )
            )
            return None

    def _extension(self, attrs: dict[str, str]) -> None:
        prefix, uri = attrs.get("prefix"), attrs.get("uri", "")
        if prefix is None:
            self._fail("<extension> without a prefix attribute")
        self.extensions[prefix] = uri
        standard = _PREFIX_OF_URI.get(uri.rstrip("/").rsplit("/", 1)[-1])
        if standard is not None and standard != prefix:
            self.prefixes[prefix] = standard
            self._keys.clear()

    def _key(self, key: str) -> str:
        known = self._keys.get(key)
        if known is None:
            prefix, colon, rest = key.partition(":")
            known = f"{self.prefixes[prefix]}:{rest}" if colon and prefix in self.prefixes else key
            self._keys[key] = known
        return known

    def _fail(self, what: str) -> NoReturn:
        raise JourneyError(f"{self.path}, line {self.parser.CurrentLineNumber}: {what}")

    # -- the frame --------------------------------------------------------------------------------
    def frame(self, classifier: str | None, tz: str) -> pd.DataFrame:
        n = len(self.events)
        events = _records(self.events, self.globals["event"], _ROLE_KEYS["event"])
        traces = _records(self.traces, self.globals["trace"], _ROLE_KEYS["trace"])
        trace_of = np.asarray(self.event_trace, dtype=np.int64)
        lines = np.asarray(self.event_lines, dtype=np.int64)
        problems: list[Problem] = []
        self._record_bad(trace_of, problems)

        inside = trace_of >= 0
        users = pd.Series(np.full(n, None, dtype=object))
        if "concept:name" in traces.columns and inside.any():
            users[inside] = traces["concept:name"].to_numpy(dtype=object)[trace_of[inside]]
        self._require(
            users,
            "case:concept:name",
            "events outside any trace, or of a trace without concept:name",
            lines,
            problems,
            trace_of,
        )
        names = events.pop("concept:name") if "concept:name" in events.columns else pd.Series([None] * n)
        label = names if classifier is None else self._classify(classifier, events, names, traces, trace_of)
        self._require(
            label,
            "concept:name" if classifier is None else f"classifier {classifier!r}",
            "events without an event name",
            lines,
            problems,
            trace_of,
        )
        raw_times = events.pop("time:timestamp") if "time:timestamp" in events.columns else pd.Series([None] * n)
        times = self._times(raw_times, "time:timestamp", tz, lines, problems, required=True)

        data: dict[str, Any] = {"user": users.array, "time": times.array, "event": label.array}
        if classifier is not None:
            data["concept:name"] = names.array
        for key in events.columns:
            values = events[key]
            data[key] = (self._times(values, key, tz, lines, problems) if key in self.dates["event"] else values).array
        for key in traces.columns:
            if key == "concept:name":
                continue
            values = traces[key]
            if key in self.dates["trace"]:
                values = parse_times(values, f"case:{key}", tz, None, [])
            spread = values.take(np.maximum(trace_of, 0)).reset_index(drop=True)
            data[f"case:{key}"] = spread.where(pd.Series(inside)).array if not inside.all() else spread.array
        frame = pd.DataFrame(data, index=pd.RangeIndex(n))
        report = ReaderReport(
            source=str(self.path),
            format="xes",
            records=n,
            rows=n,
            problems=problems,
            lines=lines,
            names={
                "user": "case:concept:name",
                "time": "time:timestamp",
                "event": "concept:name" if classifier is None else classifier,
            },
            details={
                "traces": len(self.traces),
                "classifiers": dict(self.classifiers),
                "extensions": dict(self.extensions),
                "log_attributes": dict(self.log_attributes),
            },
        )
        return attach(frame, report)

    def _classify(
        self, classifier: str, events: pd.DataFrame, names: pd.Series, traces: pd.DataFrame, trace_of: np.ndarray
    ) -> pd.Series:
        keys = self.classifiers.get(classifier)
        if keys is None:
            known = ", ".join(map(repr, self.classifiers)) or "none"
            raise JourneyError(
                f"{self.path}: {option('classifier', classifier)} is not a classifier of the file; "
                f"its classifiers: {known}"
            )
        parts = []
        for key in keys:
            if key == "concept:name":
                parts.append(names)
            elif key in events.columns:
                parts.append(events[key])
            elif key in traces.columns:  # a trace-scope classifier key
                parts.append(traces[key].take(np.maximum(trace_of, 0)).reset_index(drop=True))
        text = [part.astype(object).where(part.notna(), None) for part in parts]
        joined = ["+".join(str(v) for v in values if v is not None) or None for values in zip(*text)]
        return pd.Series(joined if parts else [None] * len(names), dtype=object)

    def _require(
        self, values: pd.Series, column: str, reason: str, lines: np.ndarray, problems: list, trace_of: np.ndarray
    ) -> None:
        missing = values.isna().to_numpy()
        if not missing.any():
            return
        rows = np.flatnonzero(missing)
        if self.strict:
            first = int(rows[0])
            where = (
                f"line {self.trace_lines[trace_of[first]]} (a <trace> without concept:name, with "
                f"{int(np.isin(trace_of, trace_of[missing]).sum()):,} events)"
                if column == "case:concept:name" and trace_of[first] >= 0
                else f"line {lines[first]} (an <event>; {len(rows):,} such events in all)"
            )
            raise JourneyError(
                f"{self.path}, {where}: {column} is missing ({reason}). Fix the file, or pass "
                f"{option('on_invalid', 'drop')} to drop such events and list them in log.dropped."
            )
        problems.append((rows, column, reason, values.iloc[rows]))

    def _times(
        self, values: pd.Series, key: str, tz: str, lines: np.ndarray, problems: list, required: bool = False
    ) -> pd.Series:
        found: list = []
        try:
            parsed = parse_times(values, key, tz, None, found)
        except MixedTimezoneError as exc:  # refused as read_events refuses it, with the line of the first
            raise MixedTimezoneError(
                key, f"{exc.reason} (line {lines[exc.rows[0]]} of {self.path} is the first)", exc.rows, exc.values
            ) from None
        for rows, _, reason, raw in found:
            if reason == "missing values":
                if required:
                    self._missing_time(rows, key, lines, problems)
                continue
            if self.strict:
                raise JourneyError(
                    f"{self.path}, line {lines[rows[0]]}: <date key={key!r} "
                    f"value={raw.iloc[0]!r}>: not an xs:dateTime ({len(rows):,} such events in all)"
                )
            problems.append((rows, key, "<date> values that are not xs:dateTime", raw))
        return parsed

    def _missing_time(self, rows: np.ndarray, key: str, lines: np.ndarray, problems: list) -> None:
        if self.strict:
            raise JourneyError(
                f"{self.path}, line {lines[rows[0]]}: an <event> without {key} ({len(rows):,} such "
                f"events in all). Fix the file, or pass {option('on_invalid', 'drop')} to drop them "
                f"and list them in log.dropped."
            )
        problems.append((rows, key, f"events without {key}", pd.Series([None] * len(rows), dtype=object)))

    def _record_bad(self, trace_of: np.ndarray, problems: list) -> None:
        """Typed values that were not of their type (lenient mode), as problems of the events they touch."""
        grouped: dict[tuple[str, str], tuple[list[int], list[Any]]] = {}
        for scope, index, key, reason, raw in self.bad:
            rows = [index] if scope == "event" else np.flatnonzero(trace_of == index).tolist()
            column = key if scope == "event" else f"case:{key}"
            entry = grouped.setdefault((column, reason), ([], []))
            entry[0].extend(rows)
            entry[1].extend([raw] * len(rows))
        for (column, reason), (rows, raws) in grouped.items():
            problems.append((np.asarray(rows, dtype=np.int64), column, reason, pd.Series(raws, dtype=object)))


def _records(records: list[dict[str, Any]], defaults: dict[str, Any], roles: set[str]) -> pd.DataFrame:
    """The records as columns in first-seen order, globals filling the keys a record lacks (not the roles)."""
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame(index=pd.RangeIndex(0))
    if len(frame) == 0 and records:
        frame = pd.DataFrame(index=pd.RangeIndex(len(records)))
    for key, value in defaults.items():
        if key in roles or isinstance(value, list):
            continue
        if key in frame.columns:
            frame[key] = frame[key].where(frame[key].notna(), value)
        else:
            frame[key] = value
    for key in frame.columns:  # columns of Python ints or floats with gaps come as object: give them their dtype
        if frame[key].dtype == object:
            frame[key] = _typed(frame[key])
    return frame


def _typed(values: pd.Series) -> pd.Series:
    kinds = pd.api.types.infer_dtype(values, skipna=True)
    if kinds == "integer":
        return values.astype("Int64") if values.isna().any() else values.astype(np.int64)
    if kinds in ("floating", "mixed-integer-float"):
        return values.astype(np.float64)
    if kinds == "boolean" and not values.isna().any():
        return values.astype(bool)
    if kinds == "mixed" and values.map(lambda v: isinstance(v, list)).any():
        return values.map(_frozen, na_action="ignore")  # lists become tuples: hashable, as every column must be
    return values


def _frozen(value: Any) -> Any:
    return tuple(_frozen(v) for v in value) if isinstance(value, list) else value


# ---------------------------------------------------------------------------------------------------
# writing


# Characters XML 1.0 cannot carry at all, not even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# Tab, newline and carriage return would be read back as spaces (attribute-value normalisation): referenced.
_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
)


def write_xes(log: LogLike, path: str | os.PathLike[str]) -> Path:
    """Write an event log as an XES file (IEEE 1849-2016) for process-mining tools (ProM, Disco, pm4py).

    Parameters
    ----------
    log : EventLog or pandas.DataFrame
        The log (a DataFrame is read with the default columns first).
    path : str or os.PathLike
        The file to write; a name ending in ``.gz`` is gzipped. An existing file is replaced.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InvalidValuesError
        A name or value holding a control character that XML 1.0 cannot carry (``"\\x01"``, ...): the
        message names the column and the rows. Tabs and line breaks are written as character references.

    See Also
    --------
    read_events : ``format="xes"`` reads the file back.

    Notes
    -----
    Each user is a trace (its ``concept:name``); each event has ``concept:name`` (the event) and
    ``time:timestamp``. A column ``case:<key>`` becomes the trace attribute ``<key>`` (its first value in the
    trace); every other column becomes an event attribute typed by its values: ``boolean``, ``int``,
    ``float``, ``date`` or ``string``. Missing values are left out. Times are written in UTC with 3
    fractional digits (milliseconds), or 6 or 9 when the log holds finer times, so reading the file back
    gives the same times exactly.

    Examples
    --------
    >>> import pandas as pd, journey, tempfile, pathlib
    >>> from journey.io.formats.xes import write_xes  # also journey.write_xes
    >>> df = pd.DataFrame({"user_id": ["a", "a"], "event": ["home", "cart"],
    ...                    "timestamp": ["2025-01-01T10:00:00.250Z", "2025-01-01T10:05:00Z"]})
    >>> path = write_xes(df, pathlib.Path(tempfile.mkdtemp()) / "log.xes")
    >>> back = journey.read_events(path, format="xes")
    >>> back.frame["event"].tolist(), str(back.frame["time"].iloc[0])
    (['home', 'cart'], '2025-01-01 10:00:00.250000+00:00')
    """
    log = as_event_log(log)
    frame = log.frame
    target = Path(path)
    keys = [c for c in frame.columns if c not in ("user", "time", "event")]
    trace_keys = [c for c in keys if str(c).startswith("case:") and str(c) != "case:concept:name"]
    event_keys = [c for c in keys if c not in trace_keys]
    _refuse_unwritable(
        pd.Series([str(k) for k in keys], dtype=object), "the column names", list(range(len(keys))), "(column names)"
    )

    starts = np.flatnonzero(user_starts(log.user_codes))  # log.user_codes number the users 0, 0, 1, ...
    head = _trace_heads(frame, starts, trace_keys, log)
    body = _event_lines(frame, event_keys)
    prefixes = {str(k).split(":", 1)[0] for k in keys if ":" in str(k)} | {"concept", "time"}
    prefixes |= {str(k)[5:].split(":", 1)[0] for k in trace_keys if ":" in str(k)[5:]}
    opener: Any = gzip.open if target.name.endswith(".gz") else open
    with opener(target, "wt", encoding="utf-8", newline="\n") as out:
        _write_header(out, prefixes)
        bounds = list(starts) + [len(frame)]
        for t in range(len(starts)):
            out.write(head[t])
            out.write("".join(body[bounds[t] : bounds[t + 1]]))
            out.write("\t</trace>\n")
        out.write("</log>\n")
    return target


def _write_header(out: IO[str], prefixes: set[str]) -> None:
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">\n'
    )
    for prefix in sorted(p for p in prefixes if p in STANDARD_EXTENSIONS):
        name, uri = STANDARD_EXTENSIONS[prefix]
        out.write(f'\t<extension name="{name}" prefix="{prefix}" uri="{uri}"/>\n')
    out.write('\t<classifier name="Activity" keys="concept:name"/>\n')


def _trace_heads(frame: pd.DataFrame, starts: np.ndarray, trace_keys: list, log: EventLog) -> list[str]:
    """``<trace>`` and its attributes, one string per trace."""
    users = frame["user"].iloc[starts].reset_index(drop=True) if len(starts) else frame["user"].iloc[:0]
    lines = np.full(len(starts), "\t<trace>\n", dtype=object)
    lines = lines + _attribute_column(users.astype(str), "concept:name", "\t\t", "user", rows=starts)
    for key in trace_keys:
        values = frame[key]
        first = values.groupby(log.user_codes).first()  # the first value present in each trace
        lines = lines + _attribute_column(first.reset_index(drop=True), str(key)[5:], "\t\t", str(key), rows=starts)
    return lines.tolist()


def _event_lines(frame: pd.DataFrame, event_keys: list) -> list[str]:
    """``<event>...</event>`` for every event, in log order."""
    lines = np.full(len(frame), "\t\t<event>\n", dtype=object)
    lines = lines + _attribute_column(frame["event"].astype(str), "concept:name", "\t\t\t", "event")
    lines = lines + _dates(frame["time"], "time:timestamp", "\t\t\t")
    for key in event_keys:
        lines = lines + _attribute_column(frame[key], str(key), "\t\t\t", str(key))
    return (lines + "\t\t</event>\n").tolist()


def _attribute_column(
    values: pd.Series, key: str, indent: str, column: str, rows: np.ndarray | None = None
) -> np.ndarray:
    """One XES attribute element per value (an empty string where the value is missing)."""
    values = values.reset_index(drop=True)
    escaped_key = _escape_text(key)
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        return _dates(values, key, indent)
    if pd.api.types.is_bool_dtype(dtype):
        text = values.map({True: "true", False: "false"})
        return _elements(text, "boolean", escaped_key, indent)
    if pd.api.types.is_integer_dtype(dtype):
        return _elements(values.astype("Int64").astype(str).where(values.notna()), "int", escaped_key, indent)
    if pd.api.types.is_float_dtype(dtype):
        return _elements(values.map(_float_text, na_action="ignore"), "float", escaped_key, indent)
    if dtype == object:  # noqa: E721 - a numpy dtype compared with object, not a type check
        kinds = pd.api.types.infer_dtype(values, skipna=True)
        if kinds in ("integer", "floating", "boolean", "datetime"):
            return _attribute_column(
                pd.Series(values.dropna().tolist(), index=values.dropna().index).reindex(values.index).infer_objects(),
                key,
                indent,
                column,
                rows,
            )
    codes, uniques = pd.factorize(values)
    texts = pd.Series(np.asarray(uniques, dtype=object)).map(str)
    bad = texts.map(lambda t: _NOT_XML.search(t) is not None).to_numpy(dtype=bool)
    if bad.any():
        offending = np.flatnonzero(np.isin(codes, np.flatnonzero(bad)))
        _refuse_unwritable(
            values.iloc[offending], f"column {column!r}", (rows[offending] if rows is not None else offending), column
        )
    escaped = np.asarray(texts.map(lambda t: t.translate(_ESCAPES)), dtype=object)
    element = np.asarray([f'{indent}<string key="{escaped_key}" value="{v}"/>\n' for v in escaped], dtype=object)
    return np.where(codes >= 0, element[np.maximum(codes, 0)] if len(element) else "", "").astype(object)


def _elements(text: pd.Series, tag: str, escaped_key: str, indent: str) -> np.ndarray:
    present = text.notna().to_numpy()
    out = np.full(len(text), "", dtype=object)
    out[present] = (f'{indent}<{tag} key="{escaped_key}" value="' + text[present].astype(str) + '"/>\n').to_numpy()
    return out


def _dates(values: pd.Series, key: str, indent: str) -> np.ndarray:
    times = values.reset_index(drop=True)
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    ns = times.array.as_unit("ns").asi8 if len(times) else np.array([], dtype=np.int64)
    present = times.notna().to_numpy()
    unit: Any = {10**9: "ms", 10**6: "ms", 10**3: "us", 1: "ns"}[common_unit(ns[present]) if present.any() else 10**9]
    text = np.datetime_as_string(ns[present].astype("datetime64[ns]"), unit=unit)
    out = np.full(len(times), "", dtype=object)
    out[present] = np.char.add(
        np.char.add(f'{indent}<date key="{_escape_text(key)}" value="', text), '+00:00"/>\n'
    ).astype(object)
    return out


def _float_text(value: float) -> str:
    if np.isinf(value):
        return "INF" if value > 0 else "-INF"
    return repr(float(value))


def _escape_text(text: str) -> str:
    return text.translate(_ESCAPES)


def _refuse_unwritable(values: pd.Series, what: str, rows: Any, column: str) -> None:
    bad = values.map(lambda v: _NOT_XML.search(str(v)) is not None).to_numpy(dtype=bool)
    if bad.any():
        raise InvalidValuesError(
            column,
            "values holding characters XML 1.0 cannot carry (control characters)",
            np.asarray(rows)[bad].tolist(),
            values[bad].tolist(),
            f"XES is XML: remove them first in {what}, e.g. "
            r"df[col].str.replace(r'[\x00-\x08\x0b\x0c\x0e-\x1f]', '', regex=True).",
        )
