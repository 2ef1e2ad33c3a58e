"""Event-log ingestion: :func:`read_events` and the validated :class:`EventLog` it returns.

The ordering rule
-----------------
``EventLog.frame`` is sorted by user, then by UTC time; events of one user at the same instant keep the
order in which they were given (a stable sort). Every analysis in `journey` reads events in this order:
it is what "directly follows" means in the journey graph.

Ingestion validates once; analyses trust the EventLog and do not validate again.
"""

from __future__ import annotations

import csv
import gzip
import html
import os
import re
import warnings
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, overload

import numpy as np
import pandas as pd

from ..errors import (
    SHOWN_ROWS,
    EmptyLogError,
    EncodingError,
    InvalidValuesError,
    JourneyError,
    JourneyWarning,
    MissingColumnError,
    MixedTimezoneError,
    SourceError,
    TimeUnitError,
    option,
    shorten,
)
from .aliases import Duration, Period
from .parallel import map_parallel, row_halves, take

if TYPE_CHECKING:
    from .dask_log import DaskEventLog
    from .formats.report import ReadReport
    from .identities import Identities

#: What every log analysis accepts: an :class:`EventLog`, a DataFrame with the default column names
#: (validated on the way in), or a log on Dask (a DaskEventLog or a Dask DataFrame, see
#: :func:`journey.partition_by_user`).
LogLike: TypeAlias = "EventLog | DaskEventLog | pd.DataFrame"
#: What a reader reads: a file path (CSV, gzipped CSV, Parquet) or a pandas DataFrame.
Source: TypeAlias = "str | os.PathLike[str] | pd.DataFrame"
#: Units of numeric epoch timestamps.
TimeUnit: TypeAlias = Literal["s", "ms", "us", "ns"]
#: What to do with invalid rows: refuse them (raise) or drop and list them.
OnInvalid: TypeAlias = Literal["raise", "drop"]

__all__ = ["read_events", "EventLog", "LogLike", "START", "END", "as_event_log", "drop_advice"]

#: Synthetic node where every journey begins. ``read_events`` refuses events with this name, so it can
#: never clash with a real touchpoint.
START = "[start]"
#: Synthetic node where every journey ends (reserved like :data:`START`).
END = "[end]"

# Column names of the XES/pm4py convention, recognised when the default names are absent.
PM4PY_NAMES = {"user": "case:concept:name", "time": "time:timestamp", "event": "concept:name"}
DEFAULT_NAMES = {"user": "user_id", "time": "timestamp", "event": "event"}
#: Formats whose readers return a tidy table (journey.io.formats.read_report), then read as one.
TIDY_FORMATS = ("xes", "ocel", "sql")
TIME_UNITS = ("s", "ms", "us", "ns")
FILE_KINDS = {".csv": "csv", ".csv.gz": "csv", ".parquet": "parquet", ".pq": "parquet"}

# A trailing "Z" or numeric UTC offset after a clock time: "...T10:00Z", "... 10:00:00+02:00", "+0530".
# A plain date ("2025-01-01") has no clock time, so its "-01" is a day, not an offset.
_OFFSET = re.compile(r"[Tt ]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$")
_NUMBER = re.compile(r"^\s*[+-]?\d+(?:\.\d*)?\s*$")


def drop_advice(listed_in: str = "log.dropped") -> str:
    """What to do about invalid rows, in the words of the interface being called."""
    return f"Fix them, or pass {option('on_invalid', 'drop')} to drop them and list them in {listed_in}."


@overload
def read_events(
    source: Source,
    *,
    format: str | None = ...,
    user: str | None = ...,
    time: str | None = ...,
    event: str | None = ...,
    tz: str = ...,
    time_unit: TimeUnit | None = ...,
    time_format: str | None = ...,
    on_invalid: OnInvalid = ...,
    encoding: str = ...,
    sep: str | None = ...,
    identities: Identities | None = ...,
    engine: Literal["pandas"] = ...,
    query: str | None = ...,
    table: str | None = ...,
    **options: Any,
) -> EventLog: ...


@overload
def read_events(
    source: Source,
    *,
    format: str | None = ...,
    user: str | None = ...,
    time: str | None = ...,
    event: str | None = ...,
    tz: str = ...,
    time_unit: TimeUnit | None = ...,
    time_format: str | None = ...,
    on_invalid: OnInvalid = ...,
    encoding: str = ...,
    sep: str | None = ...,
    identities: Identities | None = ...,
    engine: Literal["dask"],
    query: str | None = ...,
    table: str | None = ...,
    **options: Any,
) -> DaskEventLog: ...


def read_events(
    source: Source,
    *,
    format: str | None = None,
    user: str | None = None,
    time: str | None = None,
    event: str | None = None,
    tz: str = "UTC",
    time_unit: TimeUnit | None = None,
    time_format: str | None = None,
    on_invalid: OnInvalid = "raise",
    encoding: str = "utf-8",
    sep: str | None = None,
    identities: Identities | None = None,
    engine: Literal["pandas", "dask"] = "pandas",
    query: str | None = None,
    table: str | None = None,
    **options: Any,
) -> EventLog | DaskEventLog:
    """Read an event log and validate it once, for every analysis that follows.

    Parameters
    ----------
    source : str, os.PathLike or pandas.DataFrame
        A ``.csv``, ``.csv.gz`` or ``.parquet`` file, or a DataFrame (which is never modified). With
        ``format=``, also a folder or glob of export files (``"exports/*.json.gz"``); gzip is read
        transparently.
    format : {"ga4", "segment", "amplitude", "mixpanel", "posthog", "xes", "ocel"}, optional
        The export the source is (see :mod:`journey.io.formats` for the list and for what becomes the
        user, the time, the event and the session in each). None (default): a tidy table, one row per
        event. An unknown name is a :class:`~journey.errors.SourceError` listing the formats.
    user, time, event : str, optional
        Names of the columns holding the customer id, the timestamp and the touchpoint. Defaults:
        ``user_id``, ``timestamp`` and ``event`` for a tidy table (when they are absent, pm4py's
        ``case:concept:name``, ``time:timestamp`` and ``concept:name`` are used if present); the
        format's own fields with ``format=`` (GA4: ``user_pseudo_id``, or ``user="user_id"`` for
        logged-in ids stitched to their devices).
    tz : str
        Time zone of timestamps that carry no offset (naive). Timestamps with an offset or ``Z`` are
        converted to UTC; the stored time is always timezone-aware UTC. Exports (``format=``) write
        their times in UTC, and are read so.
    time_unit : {"s", "ms", "us", "ns"}, optional
        Numeric timestamps are read as epoch times in this unit. Without it, numbers are refused:
        seconds and milliseconds are easy to confuse. Numbers that are dates in disguise (``20250101``,
        Excel's ``45658``) are refused too: they need ``time_format``.
    time_format : str, optional
        Read timestamps with this format instead of as ISO 8601: a ``datetime.strptime`` format such as
        ``"%Y%m%d"`` (for ``20250101``, text or number) or ``"%d/%m/%Y %H:%M"``, or ``"excel"`` for Excel
        serial day numbers (days since 1899-12-30, the fraction the time of day; ``45658.5`` is
        2025-01-01 12:00). Times without an offset are read in ``tz``. Values that do not match are
        invalid rows. Not with ``time_unit``.
    on_invalid : {"raise", "drop"}
        ``"raise"`` (default): a missing user or event, or an unreadable timestamp, raises
        :class:`~journey.errors.InvalidValuesError`. ``"drop"``: such rows are dropped with a
        :class:`~journey.errors.JourneyWarning`, and ``log.dropped`` lists each one and why.
    encoding : str
        Text encoding of CSV (and JSON) files.
    identities : pandas.DataFrame, pandas.Series or dict, optional
        Links from anonymous ids to user ids: a two-column table (anonymous id, then user id), or a
        mapping. Every event of a linked anonymous id is given to its user (see
        :mod:`journey.io.identities`); links the export holds itself (Segment ``identify``, ...) are added
        after these. ``log.report`` counts the events stitched.
    sep : str, optional
        Delimiter of CSV files. By default the one of ``","``, ``";"``, tab and ``"|"`` that splits the
        header into the named columns (then into the most columns), so European Excel exports
        (``;``) and tab-separated files are read as they are.
    engine : {"pandas", "dask"}
        ``"dask"`` reads a path or glob (``"events/*.parquet"``) or a Dask DataFrame lazily as a
        :class:`~journey.io.dask_log.DaskEventLog`: each partition is validated the same way when first
        computed, and the first analysis shuffles it by user once for every later one. With a vendor
        ``format=`` (not XES, OCEL or SQL), each export shard is read, stitched across shards and
        validated in the cluster when ``read_events`` is called (:mod:`journey.io.formats.shards`).
    format : "xes" or "ocel" (process-mining logs), as well
        Read a process-mining log (the readers of ``journey.io.formats``): ``"xes"`` (IEEE 1849
        XML, ``.xes.gz`` too; option ``classifier=``), ``"ocel"`` (OCEL 2.0 JSON, XML or SQLite; option
        ``object_type=``, required: the objects that become the users). Their user, time and event are the
        format's own (see each reader); ``user=``, ``time=`` or ``event=`` name another column of the
        reader's frame instead.
    query, table : str, optional
        Read the result of an SQL query, or a whole table, from ``source``: a database URL
        (``"postgresql://..."``, ``"sqlite:///events.db"``) or an SQLAlchemy Engine or Connection. Rows are
        streamed in chunks (option ``chunksize=``, default 100,000) with progress on long reads (option
        ``progress=``), and the columns returned are validated as a tidy table. Needs ``journey[sql]``.
    **options
        Options of the format reader (above); an option the reader does not take is refused.

    Returns
    -------
    EventLog
        ``frame`` holds ``user``, ``time`` (UTC), ``event`` (categorical) and the other input columns
        unchanged, sorted by user then time; events of one user at the same instant keep input order.
        With ``engine="dask"``, a :class:`~journey.io.dask_log.DaskEventLog`. Read with ``format=``, the
        log also holds the source's sessions in ``session`` where it defines them (``unit="session"``
        journeys then follow them) and ``log.report`` says what was dropped, de-duplicated and stitched.

    Raises
    ------
    SourceError
        A file that does not exist or cannot be read, or a format journey does not read.
    RecordError
        With ``format=``: a malformed JSON line or a record missing a required field, naming the file, the
        line (from 1) and the field (unless ``on_invalid="drop"``, which lists them in ``log.dropped``).
    MissingColumnError
        A user, time or event column that is not in the input (the message lists the columns and
        suggests the closest name).
    InvalidValuesError
        Missing users or events, unreadable timestamps or ones outside the years 1677-2262 (a
        ``9999-12-31`` "never" date), reserved touchpoint names: every offending row is counted and the
        first few are quoted with their values (unless ``on_invalid="drop"``).
    TimeUnitError
        Numeric timestamps without ``time_unit``, or numbers that look like dates (YYYYMMDD, Excel serial
        days) with it.
    EmptyLogError
        No rows, or none left after dropping invalid ones.

    See Also
    --------
    EventLog.sessions : cut each user's events into sessions.
    EventLog.with_period : add a calendar-period column to compare periods.
    partition_by_user : a log on Dask, shuffled once for every analysis.

    Notes
    -----
    Every analysis relies on what is checked here once: one row per event, a user and a touchpoint on
    each, a UTC time, sorted by user then time with ties in input order. Duplicated rows are kept and
    counted (``log.n_duplicates``): the same event sent twice is a question for the source.

    In CSV files the user and event columns are text, and only an empty cell is missing there: a
    customer id or touchpoint written ``NA``, ``None``, ``null`` or ``N/A`` is that text (other columns
    keep pandas' missing-value words). A header that names a column twice is refused.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["b", "a", "a"],
    ...                    "timestamp": ["2025-01-01T10:00:00Z", "2025-01-01T09:30:00+01:00", "2025-01-01T08:00Z"],
    ...                    "event": ["home", "cart", "home"]})
    >>> log = journey.read_events(df)
    >>> log.frame["event"].tolist()
    ['home', 'cart', 'home']
    >>> log.n_users
    2

    An export is read the same way; its report accounts for every record:

    >>> segment = pd.DataFrame({"type": ["page", "identify", "track"], "anonymousId": ["c1", "c1", "c1"],
    ...                         "userId": [None, "ann", "ann"], "name": ["Home", None, None],
    ...                         "event": [None, None, "Signed Up"], "messageId": ["m1", "m2", "m3"],
    ...                         "timestamp": ["2025-01-01T10:00Z", "2025-01-01T10:01Z", "2025-01-01T10:02Z"]})
    >>> log = journey.read_events(segment, format="segment")
    >>> log.frame[["user", "event"]].values.tolist()
    [['ann', 'page:Home'], ['ann', 'Signed Up']]
    >>> log.report.not_events, log.report.stitched_events
    ({'identify': 1}, 1)
    """
    if on_invalid not in ("raise", "drop"):
        raise JourneyError(f'on_invalid must be "raise" or "drop", not {on_invalid!r}')
    from .formats.loading import DEFAULT_NAMES, check_format_options, dropped_rows, load_source, read_report, refuse

    check_format_options(format, engine, identities)
    if engine == "dask" and (query is not None or table is not None):
        raise JourneyError(
            f"{option('engine', 'dask')} does not read {option('query')} or {option('table')} yet; "
            "read with the default engine, then journey.partition_by_user(log)"
        )
    if engine == "dask":
        from .dask_log import read_events_dask

        return read_events_dask(
            source,
            format=format,
            identities=identities,
            user=user,
            time=time,
            event=event,
            tz=tz,
            time_unit=time_unit,
            time_format=time_format,
            on_invalid=on_invalid,
            encoding=encoding,
            sep=sep,
        )
    if engine != "pandas":
        raise JourneyError(f'engine must be "pandas" or "dask", not {engine!r}')
    check_time_options(time_unit, time_format)
    _check_tz(tz)
    # XES, OCEL and SQL readers return a tidy frame with their own report (journey.io.formats.read_report);
    # that frame is then read, stitched and validated as any tidy table is.
    check_separator(sep)
    reader_report = None
    if format in TIDY_FORMATS or query is not None or table is not None:
        from dataclasses import replace

        from .formats.read_report import read_source

        named = {
            role: value or DEFAULT_NAMES[role] for role, value in {"user": user, "time": time, "event": event}.items()
        }
        tidy, tidy_description, tidy_names, reader_report = read_source(
            source, format=format, query=query, table=table, options=options, given=named, tz=tz, on_invalid=on_invalid
        )
        loaded, stitching = load_source(tidy, None, tidy_names, encoding, on_invalid, identities, sep)
        loaded = replace(loaded, description=tidy_description)
    else:
        if options:
            from .formats.read_report import refuse_options

            refuse_options(options)
        loaded, stitching = load_source(
            source, format, {"user": user, "time": time, "event": event}, encoding, on_invalid, identities, sep
        )
    raw, description, given = loaded.frame, loaded.description, loaded.names
    time_unit = time_unit or loaded.time_unit  # type: ignore[assignment]
    refuse_duplicate_columns(raw.columns, description)
    names = {role: resolve_column(role, name, raw.columns) for role, name in given.items()}
    if len(raw) == 0:
        lost = f" ({sum(len(p.records) for p in loaded.problems):,} records unreadable)" if loaded.problems else ""
        columns = _short_list(list(map(shorten, raw.columns)))
        raise EmptyLogError(f"{description} holds no rows{lost} (columns: {columns})")
    check_clashes(names, raw.columns)

    problems: list[tuple[np.ndarray, str, str, pd.Series]] = []  # (rows, column, reason, values)
    users, events, times = _validate_columns(raw, names, tz, time_unit, time_format, problems)
    if reader_report is not None:  # the reader's own problems, each row listed once
        from .formats.read_report import merge_problems

        problems = merge_problems(reader_report, problems)

    keep = None
    dropped = empty_dropped()
    if problems or loaded.problems:
        if problems and on_invalid == "raise":
            raise refuse(loaded, *problems[0])
        invalid = dropped_table(problems) if problems else empty_dropped()
        keep = np.ones(len(raw), dtype=bool)
        keep[invalid["row"].to_numpy()] = False
        dropped = dropped_rows(loaded, invalid)
        if not keep.any():
            raise EmptyLogError(f"{description}: every row was invalid; log.dropped would list all {len(raw):,}")
        found = [(len(r), col, reason) for r, col, reason, _ in problems]
        found += [(len(p.records), p.field or "(record)", p.reason) for p in loaded.problems]
        unread = sum(len(p.records) for p in loaded.problems)
        warnings.warn(
            f"dropped {len(raw) - int(keep.sum()) + unread:,} of "
            f"{loaded.counts.records if loaded.format else len(raw):,} {'records' if loaded.format else 'rows'} of "
            f"{description}: "
            + "; ".join(f"{reason} in {col!r} ({n:,})" for n, col, reason in found)
            + ". log.dropped lists each one.",
            JourneyWarning,
            stacklevel=2,
        )

    if isinstance(users[0], UserRanges) and keep is not None:
        users = (users[0].placed(), users[1])
    frame, user_codes = _canonical_frame(raw, names, users, times, events, keep)
    tiebreak = tuple(k if keep is None else k[keep] for k in loaded.tiebreak)
    order, user_codes, sorted_time = _sort_by_user_and_time(frame, user_codes, tiebreak)
    n_invalid = 0 if keep is None else len(raw) - int(keep.sum())
    report = read_report(loaded, stitching, len(frame), n_invalid, identities is not None)
    if reader_report is not None:  # lines of dropped rows, and a warning for what a flattening changed
        from .formats.read_report import finish

        dropped = finish(reader_report, dropped)
    return EventLog(
        frame,
        dropped=dropped,
        source=description,
        input_names=names,
        _user_codes=user_codes,
        _order=order,
        _time_ns=sorted_time,
        session_source=loaded.session_field,
        report=report,
    )


class EventLog:
    """A validated event log: one row per event, sorted by user then UTC time (ties in input order).

    Build it with :func:`read_events`; the constructor trusts its input.

    The log keeps the columns as they were read and, beside them, the order that sorts them: analyses read
    integer arrays in log order (:attr:`user_codes`, :attr:`event_codes`, :attr:`time_ns`,
    :meth:`column`), and the sorted :attr:`frame` is only made when it is asked for.

    Attributes
    ----------
    frame : pandas.DataFrame
        Columns ``user``, ``time`` (UTC), ``event`` (categorical), then the other input columns, sorted.
        Treat it as read-only: every analysis relies on its order.
    dropped : pandas.DataFrame
        Rows dropped by ``on_invalid="drop"``: ``row`` (input row from 0), ``column``, ``reason``, ``value``.
    source : str
        Where the events came from.
    input_names : dict
        The input's names of the ``user``, ``time`` and ``event`` columns (``{"user": "user_id", ...}``).
    session_source : str or None
        The source's field that the ``session`` column holds (``"ga_session_id"``) when the source defines
        sessions: ``unit="session"`` journeys then follow it, not the ``gap=`` rule. None otherwise.
    report : ReadReport or None
        For a log read with ``format=`` or ``identities=``: what reading did to the records (records
        read, not events, duplicates dropped, unreadable, events stitched), with exact counts.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        dropped: pd.DataFrame | None = None,
        source: str = "DataFrame",
        session_gap: pd.Timedelta | None = None,
        input_names: dict[str, str] | None = None,
        _user_codes: np.ndarray | None = None,
        _order: np.ndarray | None = None,
        _time_ns: np.ndarray | None = None,
        session_source: str | None = None,
        report: ReadReport | None = None,
    ):
        # ``frame`` is in input order and ``_order`` sorts it; None means it is sorted already.
        self._data, self._order = frame, _order
        self.dropped = empty_dropped() if dropped is None else dropped
        self.source = source
        self.session_gap = session_gap
        # The user's own names of the user, time and event columns, so messages speak in them.
        self.input_names = {"user": "user", "time": "time", "event": "event", **(input_names or {})}
        self.session_source, self.report = session_source, report
        if _user_codes is not None:
            self.__dict__["user_codes"] = _user_codes
        if _time_ns is not None:  # the sort by user and time gives them in log order already
            self.__dict__["time_ns"] = _time_ns

    @classmethod
    def from_sorted(cls, frame: pd.DataFrame, *, source: str = "DataFrame") -> EventLog:
        """A log of a canonical frame already sorted by user and time (one part of a partitioned log).

        The frame is trusted: columns ``user``, ``time`` (UTC), ``event`` (categorical), sorted. Build logs
        from your data with :func:`journey.read_events`, which validates them.
        """
        return cls(frame.reset_index(drop=True), source=source)

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The events sorted by user, then time (ties in input order): made on first use."""
        if self._order is None:
            return self._data
        return self._data.take(self._order).reset_index(drop=True)

    def column(self, name: str) -> np.ndarray:
        """The values of one column, in log order (a segment column, for instance).

        Parameters
        ----------
        name : str
            A column of :attr:`frame` (``user``, ``time``, ``event`` or one of the other input columns).

        Returns
        -------
        numpy.ndarray
            One value per event, in the order of :attr:`frame`, without building the sorted frame.

        Examples
        --------
        >>> import pandas as pd, journey
        >>> df = pd.DataFrame({"user_id": ["b", "a"], "event": ["home", "cart"], "device": ["app", "web"],
        ...                    "timestamp": ["2025-01-01T10:00Z", "2025-01-01T09:00Z"]})
        >>> journey.read_events(df).column("device").tolist()
        ['web', 'app']
        """
        values = self._data[name].to_numpy()
        if self._order is None:
            return values
        return values[self._order] if values.dtype == object else take(values, self._order)

    def column_at(self, name: str, rows: np.ndarray) -> np.ndarray:
        """The values of one column at some rows of the log (positions in log order), such as journey starts.

        Same as ``log.column(name)[rows]``, but only those rows are taken from the column: a journey's
        segment on a log of 10M events and 1M journeys converts 1M values, not 10M.

        Examples
        --------
        >>> import pandas as pd, journey
        >>> df = pd.DataFrame({"user_id": ["b", "a", "a"], "event": ["home", "cart", "buy"],
        ...                    "device": ["app", "web", "web"],
        ...                    "timestamp": ["2025-01-01T10:00Z", "2025-01-01T09:00Z", "2025-01-01T09:30Z"]})
        >>> journey.read_events(df).column_at("device", [0, 2]).tolist()
        ['web', 'app']
        """
        rows = np.asarray(rows, dtype=np.int64)
        raw = rows if self._order is None else self._order[rows]
        return self._data[name].take(raw).to_numpy()

    @property
    def columns(self) -> list[str]:
        """Columns of :attr:`frame`: ``user``, ``time``, ``event``, then the other input columns."""
        return [str(c) for c in self._data.columns]

    @cached_property
    def event_codes(self) -> np.ndarray:
        """Touchpoint code of each event in log order (an index into :attr:`events`), int32."""
        codes = self._data["event"].cat.codes.to_numpy()  # int8 for up to 127 touchpoints: gathered before widening
        return codes.astype(np.int32, copy=False) if self._order is None else take(codes, self._order, np.int32)

    @cached_property
    def time_ns(self) -> np.ndarray:
        """UTC time of each event in log order, nanoseconds since the epoch (int64)."""
        t = time_ns(self._data["time"])
        return t if self._order is None else take(t, self._order)

    # -- figures -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._data)

    @property
    def n_events(self) -> int:
        """Number of events (rows)."""
        return len(self._data)

    @cached_property
    def user_codes(self) -> np.ndarray:
        """Integer code of each row's user: 0, 0, 1, 1, 1, 2, ... (non-decreasing, in log order)."""
        users = self.column("user")
        change = np.empty(len(users), dtype=bool)
        change[:1] = True
        change[1:] = users[1:] != users[:-1]
        return np.cumsum(change, dtype=np.int64) - 1

    @cached_property
    def n_users(self) -> int:
        """Number of distinct users."""
        return int(self.user_codes[-1]) + 1 if len(self) else 0

    @property
    def events(self) -> list[str]:
        """Distinct touchpoints (event names), sorted."""
        return [str(c) for c in self._data["event"].cat.categories]

    @property
    def start(self) -> pd.Timestamp:
        """Time of the first event (UTC)."""
        return self._data["time"].min()

    @property
    def end(self) -> pd.Timestamp:
        """Time of the last event (UTC)."""
        return self._data["time"].max()

    @cached_property
    def n_duplicates(self) -> int:
        """Rows identical in every column to an earlier row (kept, never dropped).

        Columns of nested values (a GA4 event's ``items``, Arrow lists) are not compared.
        """
        flat = [
            c
            for c in self._data.columns
            if not (isinstance(self._data[c].dtype, pd.ArrowDtype) and self._data[c].dtype.pyarrow_dtype.num_fields)
        ]
        return int(self._data[flat].duplicated().sum())

    @cached_property
    def n_sessions(self) -> int | None:
        """Sessions defined by the source (``session_source``): journeys with ``unit="session"``; else None."""
        if self.session_source is None or not len(self):
            return None
        return int(source_session_starts(self.user_codes, self.column("session")).sum())

    def summary(self) -> pd.Series:
        """The figures of the log as a Series: rows, users, event types, time span, duplicates, dropped.

        Returns
        -------
        pandas.Series
            Named by the log's source; the values mix counts, timestamps and a duration.

        Examples
        --------
        >>> import pandas as pd, journey
        >>> df = pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["home", "cart", "home"],
        ...                    "timestamp": ["2025-01-01T10:00Z", "2025-01-01T10:05Z", "2025-01-02T08:00Z"]})
        >>> journey.read_events(df).summary()[["events", "users", "event types"]].tolist()
        [3, 2, 2]
        """
        per_user = np.bincount(self.user_codes) if len(self) else np.array([0])
        return pd.Series(
            {
                "events": self.n_events,
                "users": self.n_users,
                "event types": len(self.events),
                "first event": self.start,
                "last event": self.end,
                "time span": self.end - self.start,
                "events per user (median)": float(np.median(per_user)),
                "events per user (max)": int(per_user.max()),
                "exact duplicates (kept)": self.n_duplicates,
                "rows dropped at read": len(self.dropped),
                **self._read_figures(),
            },
            name=self.source,
            dtype=object,
        )

    def _read_figures(self) -> dict[str, Any]:
        """The figures of the read report and of the source's sessions, for :meth:`summary`."""
        figures: dict[str, Any] = {}
        if self.report is not None:
            r = self.report
            figures.update(
                {
                    "records read": r.records,
                    "not events": sum(r.not_events.values()),
                    "duplicates dropped": r.duplicates,
                    "events stitched": r.stitched_events,
                    "anonymous ids stitched": r.stitched_ids,
                }
            )
        if self.session_source is not None:
            figures[f"sessions (from {self.session_source})"] = self.n_sessions
        return figures

    # -- derived logs ------------------------------------------------------------------------------
    def sessions(self, gap: str | pd.Timedelta = "30min") -> EventLog:
        """Split each user's events into sessions at every inactivity gap longer than ``gap``.

        Parameters
        ----------
        gap : str or pandas.Timedelta
            Inactivity that ends a session (``"30min"``, GA's default).

        Returns
        -------
        EventLog
            The same events with a ``session`` column: 1, 2, ... numbering each user's sessions in time
            order, so a session is identified by ``(user, session)``.

        Raises
        ------
        JourneyError
            A gap that is not a positive duration, or a ``session`` column already in the input.

        See Also
        --------
        journey_graph : ``unit="session"`` cuts journeys the same way without adding a column.

        Notes
        -----
        Sessions follow the Google Analytics and PostHog definition: a new session starts when more than
        ``gap`` passes without an event from that user. Sessions are not cut at midnight.

        Examples
        --------
        >>> import pandas as pd, journey
        >>> df = pd.DataFrame({"user_id": ["a"] * 3, "event": ["home", "cart", "home"],
        ...                    "timestamp": ["2025-01-01T10:00Z", "2025-01-01T10:10Z", "2025-01-01T12:00Z"]})
        >>> journey.read_events(df).sessions("30min").frame["session"].tolist()
        [1, 1, 2]
        """
        gap_ns = duration_ns(gap, "gap")
        if self.session_source is not None:
            raise JourneyError(
                f"this log's sessions come from the source ({self.session_source!r}, in column 'session'), and "
                f"unit='session' journeys follow them; to cut sessions at inactivity gaps instead, read its frame "
                f"without them: read_events(log.frame.drop(columns='session'), user='user', time='time', "
                f"event='event')"
            )
        if "session" in self._data.columns and self.session_gap is None:
            raise JourneyError(
                "column 'session' is already in the log (from the input); rename it before calling "
                "sessions(), which would overwrite it"
            )
        starts = session_starts(self.user_codes, self.time_ns, gap_ns)
        numbered = np.cumsum(starts, dtype=np.int64)
        first_of_user = numbered[np.flatnonzero(user_starts(self.user_codes))]
        session = numbered - np.repeat(first_of_user, np.bincount(self.user_codes)) + 1
        if self._order is not None:  # back to input order, where the columns are kept
            in_input_order = np.empty_like(session)
            in_input_order[self._order] = session
            session = in_input_order
        return EventLog(
            self._data.assign(session=session),
            dropped=self.dropped,
            source=self.source,
            session_gap=pd.Timedelta(gap_ns),
            input_names=self.input_names,
            _user_codes=self.user_codes,
            _order=self._order,
            _time_ns=self.__dict__.get("time_ns"),
            report=self.report,
        )

    def with_period(self, period: Period = "M", *, name: str = "period") -> EventLog:
        """The same events with a column naming each event's calendar period, to compare periods with ``by=``.

        Parameters
        ----------
        period : {"D", "W", "M"}
            Day (``"2025-01-31"``), ISO week starting Monday (``"2025-W05"``) or month (``"2025-01"``), in UTC.
        name : str
            Name of the new column; it must not be in the log already.

        Returns
        -------
        EventLog
            A new log (this one is unchanged) whose ``name`` column is an ordered categorical of the period
            labels, which sort in time order.

        Raises
        ------
        JourneyError
            An unknown period, or a column of that name already in the log.

        See Also
        --------
        drop_off, funnel, path_variants : take ``by=name`` to compare the periods.

        Notes
        -----
        A journey's segment is the value at its first event, so with ``unit="user"`` a customer belongs to the
        period in which they were first seen; with ``unit="session"`` each session to the period it started in.

        Examples
        --------
        >>> import pandas as pd, journey
        >>> df = pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["home", "buy", "home"],
        ...                    "timestamp": ["2025-01-31T23:00Z", "2025-02-01T08:00Z", "2025-02-03T10:00Z"]})
        >>> log = journey.read_events(df)
        >>> log.with_period("M").frame["period"].tolist()
        ['2025-01', '2025-02', '2025-02']
        >>> log.with_period("W").frame["period"].tolist()
        ['2025-W05', '2025-W05', '2025-W06']
        """
        if period not in PERIODS:
            raise JourneyError(
                f"period must be one of {', '.join(map(repr, PERIODS))} (day, week, month), not {period!r}"
            )
        if name in self._data.columns:
            shown = self.input_names.get(name, name)
            raise JourneyError(
                f"column {shown!r} is already in the log; give the period column another name with {option('name')}"
            )
        labels = period_labels(self._data["time"].array.as_unit("ns").asi8, period)
        return EventLog(
            self._data.assign(**{name: labels}),
            dropped=self.dropped,
            source=self.source,
            session_gap=self.session_gap,
            input_names=self.input_names,
            _user_codes=self.user_codes,
            _order=self._order,
            _time_ns=self.__dict__.get("time_ns"),
            session_source=self.session_source,
            report=self.report,
        )

    # -- display -----------------------------------------------------------------------------------
    def _summary_lines(self) -> list[tuple[str, str]]:
        s = self.summary()
        span = f"{_fmt_time(s['first event'])} → {_fmt_time(s['last event'])} ({s['time span']})"
        extra = [c for c in self.columns if c not in ("user", "time", "event")]
        return (
            [
                ("events", f"{s['events']:,}"),
                ("users", f"{s['users']:,}"),
                ("event types", f"{s['event types']:,}: {_short_list(self.events)}"),
                ("time span", span),
                ("events per user", f"median {s['events per user (median)']:g}, max {s['events per user (max)']:,}"),
                ("exact duplicates", f"{s['exact duplicates (kept)']:,} (kept)"),
                ("rows dropped at read", f"{s['rows dropped at read']:,}"),
                ("other columns", ", ".join(map(str, extra)) or "none"),
            ]
            + ([("sessions", f"split at gaps > {self.session_gap}")] if self.session_gap is not None else [])
            + (
                [("sessions", f"{self.n_sessions:,} from the source's {self.session_source}")]
                if self.session_source is not None
                else []
            )
            + ([("read", self._read_line())] if self.report is not None else [])
        )

    def _read_line(self) -> str:
        r = self.report
        assert r is not None
        parts = [f"{r.records:,} records"]
        if r.not_events:
            parts.append(f"{sum(r.not_events.values()):,} not events")
        if r.duplicates:
            parts.append(f"{r.duplicates:,} duplicates dropped ({r.duplicate_key})")
        if r.unreadable:
            parts.append(f"{r.unreadable:,} unreadable")
        if r.stitched_events:
            parts.append(f"{r.stitched_events:,} events stitched from {r.stitched_ids:,} anonymous ids")
        return ", ".join(parts) + " (log.report has the details)"

    def __repr__(self) -> str:
        lines = self._summary_lines()
        width = max(len(k) for k, _ in lines)
        return f"EventLog from {self.source}\n" + "\n".join(f"  {k:<{width}}  {v}" for k, v in lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in self._summary_lines()
        )
        return f"<p><b>EventLog</b> from {html.escape(self.source)}</p><table>{rows}</table>"


def as_event_log(data: Any, argument: str = "log") -> EventLog:
    """An EventLog as it is, or a DataFrame read with the default columns."""
    if isinstance(data, EventLog):
        return data
    if isinstance(data, pd.DataFrame):
        return read_events(data)
    raise JourneyError(
        f"{argument} must be an EventLog (from journey.read_events) or a pandas DataFrame, not {type(data).__name__}"
    )


# ---------------------------------------------------------------------------------------------------
# helpers shared with the analyses


#: Calendar periods: day, ISO week (starting Monday), month; in UTC.
PERIODS = ("D", "W", "M")
_DAY_NS = 86_400 * 10**9


def period_labels(t_ns: np.ndarray, period: str) -> pd.Categorical:
    """Label of each time's calendar period (``2025-01-31``, ``2025-W05``, ``2025-01``), as an ordered categorical.

    Only the distinct periods are formatted, so a long log costs a few integer passes.
    """
    days = t_ns // _DAY_NS
    if period == "M":
        keys = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        starts = keys.astype("datetime64[M]").astype("datetime64[D]")
    elif period == "W":
        keys = (days - 4) // 7  # 1970-01-05 was a Monday: weeks counted from it
        starts = (keys * 7 + 4).astype("datetime64[D]")
    else:
        keys, starts = days, days.astype("datetime64[D]")
    distinct, inverse = np.unique(keys, return_inverse=True)
    first = pd.DatetimeIndex(np.unique(starts))
    if period == "M":
        names = first.strftime("%Y-%m")
    elif period == "W":
        iso = first.isocalendar()
        names = pd.Index([f"{y}-W{w:02d}" for y, w in zip(iso["year"], iso["week"])])
    else:
        names = first.strftime("%Y-%m-%d")
    return pd.Categorical.from_codes(inverse.reshape(-1), categories=list(names), ordered=True)


def time_ns(times: pd.Series) -> np.ndarray:
    """Nanoseconds since the epoch of a tz-aware time column, as int64."""
    return times.array.as_unit("ns").asi8


def session_starts(user_codes: np.ndarray, t_ns: np.ndarray, gap_ns: int) -> np.ndarray:
    """Boolean mask of rows that open a session: a new user, or more than ``gap_ns`` since the last event."""
    starts = user_starts(user_codes)
    starts[1:] |= np.diff(t_ns) > gap_ns
    return starts


def source_session_starts(user_codes: np.ndarray, sessions: np.ndarray) -> np.ndarray:
    """Rows that open a session when the source defines them: a new user, or another session id.

    A row without a session id continues the session before it (GA4 leaves a few events without
    ``ga_session_id``); at a user's start, such rows form a session of their own until the first id. A
    session whose events interleave with another's (two devices of one stitched user at once) opens again
    at each return to it: journeys are runs of rows in time order.
    """
    codes = pd.factorize(sessions)[0]
    starts = user_starts(user_codes)
    where = np.where((codes >= 0) | starts, np.arange(len(codes)), 0)
    np.maximum.accumulate(where, out=where)
    filled = codes[where]
    starts[1:] |= filled[1:] != filled[:-1]
    return starts


def user_starts(user_codes: np.ndarray) -> np.ndarray:
    """Boolean mask of rows that begin a user's events (the code changes)."""
    starts = np.empty(len(user_codes), dtype=bool)
    starts[:1] = True
    starts[1:] = user_codes[1:] != user_codes[:-1]
    return starts


def duration_ns(value: Duration, argument: str) -> int:
    """A positive duration (``"30min"``, ``"7D"``, a Timedelta) in nanoseconds; ``argument`` names it in errors."""
    try:
        td = pd.Timedelta(value)
    except (ValueError, TypeError) as exc:
        raise JourneyError(f"{argument}={value!r} is not a duration such as '30min', '24h' or '7D' ({exc})") from None
    if td <= pd.Timedelta(0):
        raise JourneyError(f"{argument} must be a positive duration, not {value!r}")
    return int(td.value)


# ---------------------------------------------------------------------------------------------------
# loading


def load_table(
    source: Source, given: Mapping[str, str | None], encoding: str, sep: str | None = None
) -> tuple[pd.DataFrame, str]:
    """A DataFrame from a file or DataFrame, and a description of where it came from (for messages).

    ``given`` maps roles to the column names the caller was given (None: not named); in CSV files those
    columns are read as text, and the id columns (:data:`ID_ROLES`) without pandas' missing-value words.
    """
    if isinstance(source, pd.DataFrame):
        return source, "DataFrame"
    if isinstance(source, EventLog):
        raise JourneyError("source is already an EventLog; pass it straight to the analysis")
    if not isinstance(source, (str, os.PathLike)):
        raise SourceError(f"source must be a file path or a pandas DataFrame, not {type(source).__name__}")
    path = Path(source)
    name = path.name.lower()
    kind = next((k for ext, k in FILE_KINDS.items() if name.endswith(ext)), None)
    if kind is None:
        raise SourceError(
            f"{path}: unsupported file type {''.join(path.suffixes) or '(no extension)'!r}; "
            f"journey reads {', '.join(FILE_KINDS)} files (or a pandas DataFrame)"
        )
    if not path.is_file():
        where = "is a directory" if path.is_dir() else "does not exist"
        raise SourceError(f"{path}: file {where} (working directory: {Path.cwd()})")
    if kind == "parquet":
        return _read_parquet(path, given), str(path)
    return _read_csv(path, given, encoding, sep), str(path)


def _read_parquet(path: Path, given: Mapping[str, str | None]) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        # Touchpoints become categorical anyway: reading them dictionary-encoded skips a pass over the text.
        name = given.get("event")
        event = resolve_column("event", name, schema.names) if name is not None else None
        text = event is not None and (
            pa.types.is_string(schema.field(event).type) or pa.types.is_large_string(schema.field(event).type)
        )
        return pd.read_parquet(path, read_dictionary=[event] if text else None)
    except MissingColumnError:
        raise
    except Exception as exc:  # pyarrow raises several unrelated types for a damaged file
        raise SourceError(f"{path}: not a readable Parquet file ({type(exc).__name__}: {exc})") from None


#: Roles whose columns hold ids or names: in CSV, ``NA``, ``None``, ``null``... are text there, and only an
#: empty cell is missing (the customer called "NA" and the touchpoint "None" exist).
ID_ROLES = ("user", "event", "customer")
#: The words pandas reads as missing by default (pandas.read_csv, ``na_values``): still missing elsewhere.
PANDAS_NA_WORDS = (
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
)
#: Delimiters recognised in a CSV header when ``sep`` is not given, comma first.
DELIMITERS = (",", ";", "\t", "|")
#: Characters of a file read to recognise its delimiter.
_SNIFF_CHARS = 1 << 16


def csv_options(path: Path, given: Mapping[str, str | None], encoding: str, sep: str | None) -> dict[str, Any]:
    """The ``pandas.read_csv`` options for ``path``: its delimiter and line ends, text and missing values
    per column.

    In a file whose lines end in LF, a carriage return is text, not a line break: pandas' own ``to_csv``
    writes one unquoted inside a field. Raises a :class:`~journey.errors.JourneyError` naming a column that
    the header holds twice (pandas would silently rename the second one ``event.1``).
    """
    start = _start(path, encoding)
    line = start.splitlines()[0] if start.strip() else ""
    sep = sniff_delimiter(line, given) if sep is None else sep
    breaks = start[len(line) : len(line) + 2]
    lf_only = breaks[:1] == "\n" and "\r\n" not in start
    lines = {"lineterminator": "\n"} if lf_only else {}  # CRLF and CR files: pandas' default
    header = (
        pd.read_csv(path, sep=sep, header=None, nrows=1, dtype="str", keep_default_na=False, encoding=encoding, **lines)
        .iloc[0]
        .tolist()
    )
    refuse_duplicate_columns(pd.Index([h for h in header if h != ""]), str(path))
    # pandas names an empty header cell "Unnamed: <position>".
    header = [h if h != "" else f"Unnamed: {i}" for i, h in enumerate(header)]
    roles = {}
    for role, name in given.items():
        if name is not None:
            try:
                roles[resolve_column(role, name, header)] = role
            except MissingColumnError:  # reported by the reader that knows its own fallbacks
                continue
    # Named columns are read as text (ids stay "007"); they are parsed and validated afterwards.
    return {
        "sep": sep,
        **lines,
        "dtype": dict.fromkeys(roles, "str"),
        "keep_default_na": False,
        "na_values": {c: [""] if roles.get(c) in ID_ROLES else list(PANDAS_NA_WORDS) for c in header},
    }


def sniff_delimiter(line: str, given: Mapping[str, str | None]) -> str:
    """The delimiter of a CSV header ``line``: of :data:`DELIMITERS`, the one that splits it into the most
    of the named columns, then into the most columns; a comma when they tie.

    Examples
    --------
    >>> given = {"user": "user_id", "event": "event"}
    >>> sniff_delimiter("user_id;timestamp;event", given), sniff_delimiter("user_id,amount (EUR; net),event", given)
    (';', ',')
    >>> sniff_delimiter("customer\\tts\\taction", given)
    '\\t'
    """
    wanted = {n for n in given.values() if n is not None} | set(PM4PY_NAMES.values())

    def fit(delimiter: str) -> tuple[int, int]:
        fields = next(csv.reader([line], delimiter=delimiter), [])
        return len(wanted.intersection(fields)), len(fields)

    return max(DELIMITERS, key=fit)


def _start(path: Path, encoding: str) -> str:
    """The first :data:`_SNIFF_CHARS` characters of a text file, gzip or not, line ends as written."""
    opener: Any = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding=encoding, errors="replace", newline="") as f:
        return f.read(_SNIFF_CHARS).lstrip("\ufeff")


def _read_csv(path: Path, given: Mapping[str, str | None], encoding: str, sep: str | None) -> pd.DataFrame:
    with csv_errors(path, encoding):
        return pd.read_csv(path, encoding=encoding, **csv_options(path, given, encoding, sep))


@contextmanager
def csv_errors(path: Path | str, encoding: str) -> Iterator[None]:
    """Within this block, what pandas and gzip raise on an unreadable CSV file becomes a JourneyError naming it."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise EncodingError(
            f"{path}: cannot be decoded as {encoding!r} (byte {exc.object[exc.start : exc.start + 1]!r} at offset "
            f"{exc.start} of a block); pass the file's encoding, e.g. {option('encoding', 'latin-1')} or "
            f"{option('encoding', 'cp1252')}"
        ) from None
    except LookupError:
        raise EncodingError(f"{option('encoding', encoding)}: not an encoding Python knows") from None
    except pd.errors.EmptyDataError:
        raise EmptyLogError(f"{path}: the file is empty (no header, no rows)") from None
    except pd.errors.ParserError as exc:
        raise SourceError(f"{path}: not a well-formed CSV file ({shorten(str(exc).strip(), 200)})") from None
    except EOFError:
        raise SourceError(
            f"{path}: the gzip data ends early, so the file is truncated (copy or download it again)"
        ) from None
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise SourceError(f"{path}: not a readable gzip file, damaged or not gzip-compressed ({exc})") from None


def resolve_column(role: str, name: str, columns: Iterable[Any], argument: str | None = None) -> str:
    """The column for ``role``: ``name``, or pm4py's name when the default is absent. ``argument`` is the
    keyword the caller names it with (for the error message), when it is not ``role``.
    """
    if name in columns:
        return name
    fallback = PM4PY_NAMES.get(role)
    if fallback is not None and name == DEFAULT_NAMES[role] and fallback in columns:
        return fallback
    raise MissingColumnError(argument or role, name, [str(c) for c in columns])


def refuse_duplicate_columns(columns: pd.Index, description: str) -> None:
    """Two columns of one name would make every lookup of it ambiguous: refuse, naming the column."""
    duplicated = sorted({str(c) for c in columns[columns.duplicated()]})
    if duplicated:
        raise JourneyError(
            f"{description}: column names appear more than once: "
            f"{', '.join(map(shorten, duplicated[:SHOWN_ROWS]))}; rename them so each column "
            f"has its own name"
        )


def check_clashes(names: dict[str, str], columns: Iterable[Any]) -> None:
    used = set(names.values())
    for role in ("user", "time", "event"):
        if role in columns and role not in used:
            raise JourneyError(
                f"column {role!r} is in the input but is not the {role} column ({names[role]!r} is); "
                f"journey stores the {role} as {role!r}, so rename the input column first"
            )


def check_separator(sep: str | None) -> None:
    """``sep``, when given, is the one character that separates CSV fields."""
    if sep is not None and (not isinstance(sep, str) or len(sep) != 1):
        raise JourneyError(f"sep must be one character, such as ',' or ';' or '\\t', not {sep!r}")


def check_time_options(time_unit: str | None, time_format: str | None) -> None:
    """``time_unit`` (epoch numbers) and ``time_format`` (dates written some way) exclude each other."""
    if time_unit is not None and time_unit not in TIME_UNITS:
        raise JourneyError(f"time_unit must be one of {', '.join(map(repr, TIME_UNITS))}, not {time_unit!r}")
    if time_format is not None and not isinstance(time_format, str):
        raise JourneyError(f"time_format must be a date format such as '%Y%m%d', or 'excel', not {time_format!r}")
    if time_unit is not None and time_format is not None:
        raise JourneyError(
            f"{option('time_unit', time_unit)} reads epoch numbers and "
            f"{option('time_format', time_format)} dates written another way: pass one of them"
        )


def _check_tz(tz: str) -> None:
    try:
        pd.Timestamp(0).tz_localize(tz)
    except Exception:
        raise JourneyError(f"tz={tz!r} is not a time zone name such as 'UTC' or 'Europe/Paris'") from None


# ---------------------------------------------------------------------------------------------------
# validation


def _validate_columns(
    raw: pd.DataFrame, names: dict, tz: str, time_unit: Any, time_format: str | None, problems: list
) -> tuple[tuple[np.ndarray, pd.Index], tuple[np.ndarray, pd.Index], pd.Series]:
    """Codes of the user and event columns and the parsed times, their bad rows recorded in ``problems``.

    On a large log the user ids (a million distinct strings: hashing them, then sorting the distinct ones,
    is the costliest step of reading) are coded on a thread of their own while this one codes the events
    and parses the times; Arrow and numpy release the GIL, so both cores work. Problems and errors come in
    the same order either way: the user column's first.
    """
    user, event, time = raw[names["user"]], raw[names["event"]], raw[names["time"]]
    if len(raw) <= PARALLEL_ROWS:
        users = _labels(user, names["user"], problems)
        events = _labels(event, names["event"], problems, reserved=True)
        return users, events, parse_times(time, names["time"], tz, time_unit, problems, time_format)
    from concurrent.futures import ThreadPoolExecutor

    user_problems: list = []
    rest: list = []
    with ThreadPoolExecutor(1) as pool:
        coding = pool.submit(_labels, user, names["user"], user_problems, ranged=True)
        try:
            events = _labels(event, names["event"], rest, reserved=True)
            times = parse_times(time, names["time"], tz, time_unit, rest, time_format)
        except BaseException:
            coding.result()  # the user column's error, if it has one, is the one to raise
            raise
        users = coding.result()
    problems.extend(user_problems + rest)
    return users, events, times


def _labels(
    values: pd.Series, column: str, problems: list, reserved: bool = False, ranged: bool = False
) -> tuple[Any, pd.Index]:
    """Codes and sorted distinct values of a user or touchpoint column; bad labels go to ``problems``.

    Missing or blank labels are invalid, and touchpoints may not use the START/END names. The checks run
    on the distinct values, not on every row. ``ranged``: the codes of a large column of customer ids may
    come as :class:`UserRanges`, when none of its values is bad.
    """
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True).startswith("mixed"):
        refuse_mixed_types(values, column)
    if isinstance(values.dtype, pd.CategoricalDtype):
        # Work on the few categories, not the rows: as text (for touchpoints), deduplicated and sorted.
        categories = values.cat.categories.astype("str") if reserved else values.cat.categories
        remap, uniques = pd.factorize(categories, sort=True)
        codes = values.cat.codes.to_numpy()
        codes = np.where(codes >= 0, remap[codes], -1)
    else:
        codes, uniques = factorize_sorted(values, ranged)
    if isinstance(codes, UserRanges):
        # Arrow text (no surrogates): only missing and blank ids are bad, and those need every row's code.
        if not values.hasnans and not len(blank_positions(uniques)):
            return codes, uniques
        codes = codes.placed()
    if reserved and not pd.api.types.is_string_dtype(uniques.dtype):
        # Touchpoint names are text: 3 and "3" are one touchpoint.
        codes, uniques = factorize_sorted(values.astype("str").where(values.notna()))
    _record(codes == -1, values, column, "missing values", problems)
    if values.dtype == object:
        uniques = _refuse_lone_surrogates(codes, uniques, values, column, problems)
    # Text read from Parquet or CSV is a string dtype already: no million Python objects to make to say so.
    text = isinstance(uniques.dtype, pd.StringDtype) or (
        pd.api.types.infer_dtype(pd.Series(np.asarray(uniques, dtype=object), dtype=object), skipna=True) == "string"
    )
    if text:
        _record_codes(codes, blank_positions(uniques), values, column, "blank values", problems)
        if reserved:
            _record_codes(
                codes,
                np.flatnonzero(pd.Index(uniques).isin([START, END])),
                values,
                column,
                f"names journey reserves for its own use ({START!r}, {END!r})",
                problems,
            )
    return codes, uniques


def blank_positions(uniques: pd.Index) -> np.ndarray:
    """Positions of the empty or all-whitespace texts among ``uniques`` (Python's ``str.strip`` rule).

    A text holding an ASCII letter or digit is not blank: Arrow's regex finds those among a million
    customer ids in a tenth of a second, and only the few others are stripped in Python, so the rule stays
    exactly Python's (Arrow's own whitespace differs from it for a few control characters).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arrow = pa.array(uniques, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):  # lone surrogates: Python's way
        return np.flatnonzero(np.fromiter((str(v).strip() == "" for v in uniques), dtype=bool, count=len(uniques)))
    # A million texts: each thread matches its own half of them (Arrow frees the GIL).
    halves = row_halves(len(arrow)) if len(arrow) > 100_000 else [slice(0, len(arrow))]
    plain = np.concatenate(
        [np.zeros(0, dtype=bool)]
        + map_parallel(
            lambda rows: pc.match_substring_regex(arrow[rows], "[0-9A-Za-z]").to_numpy(zero_copy_only=False), halves
        )
    )
    maybe = np.flatnonzero(~plain.astype(bool))
    return maybe[[str(uniques[i]).strip() == "" for i in maybe]] if len(maybe) else maybe


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogate(values: Any) -> bool:
    return any(isinstance(v, str) and _SURROGATE.search(v) for v in values)


def _refuse_lone_surrogates(
    codes: np.ndarray, uniques: pd.Index, values: pd.Series, column: str, problems: list
) -> pd.Index:
    """Record the rows whose text holds a lone surrogate, which no text column (nor UTF-8) can hold.

    Python text decoded with ``errors="surrogateescape"`` carries them. Their distinct values are replaced
    by their ASCII spelling in the returned ``uniques``, so that the log's touchpoint names stay text;
    the rows themselves are refused or dropped.
    """
    bad = [i for i, v in enumerate(uniques) if isinstance(v, str) and not v.isascii() and _SURROGATE.search(v)]
    if not bad:
        return uniques
    _record_codes(
        codes,
        np.array(bad),
        values,
        column,
        "text holding a lone surrogate, which is not a character (bytes decoded with errors='surrogateescape'?)",
        problems,
    )
    spelled = np.asarray(uniques, dtype=object).copy()
    spelled[bad] = [ascii(v) for v in spelled[bad]]
    return pd.Index(spelled, dtype=object)


def factorize_sorted(values: Any, ranged: bool = False) -> tuple[Any, pd.Index]:
    """Codes ranking ``values`` in sorted order (-1 where missing) and the sorted distinct values.

    One hash pass and a sort of the distinct values only: much less work than sorting while factorising
    when ids repeat, as customer ids do. Large Arrow-backed text (customer ids read from Parquet) is split
    in two by its leading bytes and each half coded and sorted on a thread of its own (see
    :func:`_split_factorize`; with ``ranged``, its codes may come as :class:`UserRanges`).
    """
    arrow = _arrow_text(values)
    if arrow is not None and len(arrow) > PARALLEL_ROWS:
        split = _split_factorize(arrow, ranged)
        if split is not None:
            return split
    codes, uniques = pd.factorize(values, sort=False)
    order = np.asarray(uniques.argsort())
    if (order[1:] > order[:-1]).all():
        return codes, uniques
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return np.where(codes >= 0, rank[np.maximum(codes, 0)], -1), uniques.take(order)


def _arrow_text(values: Any) -> Any:
    """The Arrow array behind a column of Arrow-backed text, or None for any other column."""
    if not isinstance(values, pd.Series) or not isinstance(values.array, pd.arrays.ArrowStringArray):
        return None
    import pyarrow as pa

    return pa.array(values.array)


#: How many leading 8-byte words :func:`_split_factorize` looks at for a byte where the ids differ.
_SPLIT_WORDS = 4
#: Rows per part in :func:`_split_factorize`: parts of a few tens of thousands of distinct ids keep each
#: hash table in the CPU's cache, where one table of a million ids misses it on every row (three times
#: slower on 10M GA4 ids).
_ROWS_PER_PART = 300_000
_MAX_PARTS = 64


def _split_factorize(arrow: Any, ranged: bool = False) -> tuple[np.ndarray | UserRanges, pd.Index] | None:
    """:func:`factorize_sorted` of Arrow text in parts on two threads, or None when the text does not split.

    Every text is keyed by one 8-byte word of its UTF-8 bytes (the first word where the texts differ, the
    words before it being equal for all), zero past its end and read big-endian. Keys keep the sorted
    order (a smaller key means a smaller text, as bytes and as Python ``str``), so cutting at quantiles
    of the keys of a sample splits the texts into ranges with no text in two of them. Each range is then
    dictionary-coded and its distinct values sorted on its own (Arrow releases the GIL: the threads take
    the ranges in turn), and each range's codes follow the previous one's: no dictionaries to unify, no
    sort of all distinct values. The keys, the ranges of the rows and the codes are made on the threads
    too, each on its own rows. ``ranged``: the codes are returned as the :class:`UserRanges` they come in.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    probe = arrow.take(pa.array(np.arange(0, len(arrow), max(len(arrow) // 10_001, 1))))
    if pc.count_distinct(probe).as_py() < len(probe) // 20:
        return None  # few distinct texts (touchpoints, segments): one pass with a small hash table is cheaper
    valid = None if not arrow.null_count else arrow.is_valid().to_numpy(zero_copy_only=False)
    n_parts = min(max(len(arrow) // _ROWS_PER_PART, 2), _MAX_PARTS)
    for word in range(_SPLIT_WORDS):
        keys = _text_word(arrow, word)
        present = keys if valid is None else keys[valid]
        if not len(present):
            return None
        lowest, highest = present.min(), present.max()
        if lowest == highest:  # every text has these bytes: the next word may tell them apart
            continue
        # Every key lies between the lowest and the highest, so all share the leading bits those two share;
        # the next 16 bits place a key among 65,536 ordered slots, and ranges are runs of slots.
        common = np.uint64(64 - int(lowest ^ highest).bit_length())
        sample = np.sort((present[:: max(len(present) // (1000 * n_parts), 1)] << common) >> np.uint64(48))
        cuts = np.unique(sample[np.arange(1, n_parts) * len(sample) // n_parts])
        cuts = cuts[cuts > (lowest << common) >> np.uint64(48)]  # the first range holds the lowest key
        if not len(cuts):  # most texts share the lowest slot: split the others off
            cuts = np.array([(highest << common) >> np.uint64(48)], dtype=np.uint64)
        range_of_slot = np.searchsorted(cuts, np.arange(1 << 16, dtype=np.uint64), side="right").astype(np.uint8)
        break
    else:
        return None
    del present
    n_ranges = len(cuts) + 1

    pieces = map_parallel(partial(_range_rows, keys, common, range_of_slot, valid, n_ranges), row_halves(len(arrow)))
    del keys
    bounds = [np.r_[0, np.cumsum(counts)] for _, counts in pieces]

    def encode(i: int) -> tuple[np.ndarray, Any, np.ndarray, Any]:
        """Range ``i``'s rows, its codes among its own distinct values, each code's rank among those values
        (sorted) and the values in that order.
        """
        rows = np.concatenate([grouped[b[i] : b[i + 1]] for (grouped, _), b in zip(pieces, bounds)])
        encoded = pc.dictionary_encode(arrow.take(pa.array(rows)))
        order = pc.sort_indices(encoded.dictionary).to_numpy()
        rank = np.empty(len(order) + 1, dtype=np.int64)
        rank[order] = np.arange(len(order))
        rank[-1] = -1  # missing values (code -1 below) stay -1
        return rows, encoded.indices, rank, encoded.dictionary.take(order)

    coded = map_parallel(encode, range(n_ranges))
    pieces.clear()
    # Each range's codes follow the distinct values of the ranges before it; missing values keep -1.
    offsets = np.cumsum([0] + [len(values) for *_, values in coded[:-1]])

    def range_codes(i: int) -> np.ndarray:
        rows, indices, rank, _ = coded[i]
        rank[:-1] += offsets[i]
        return rank[indices.fill_null(-1).to_numpy(zero_copy_only=False)]  # numpy frees the GIL

    uniques = pd.Index(pa.concat_arrays([values for *_, values in coded]).to_pandas())
    ranges = UserRanges(len(arrow), [rows for rows, *_ in coded], map_parallel(range_codes, range(n_ranges)))
    coded.clear()
    return (ranges if ranged else ranges.placed()), uniques


@dataclass
class UserRanges:
    """User codes as :func:`_split_factorize` makes them: the rows of each range of ids (in input order) and
    their codes, each range's codes following the previous range's.

    Sorting the log by user then needs no sort of all its rows: each range is sorted on its own, in the
    CPU's cache, and the ranges follow each other (:func:`_ordering_by_ranges`). :meth:`placed` gives the
    codes in input order, for everything else.
    """

    n: int
    rows: list[np.ndarray]
    codes: list[np.ndarray]

    def placed(self) -> np.ndarray:
        """The code of every row, in input order (-1 where the id is missing)."""
        codes = np.empty(self.n, dtype=np.int64)

        def place(i: int) -> None:
            codes[self.rows[i]] = self.codes[i]

        map_parallel(place, range(len(self.rows)))
        return codes


def _range_rows(
    keys: np.ndarray, common: Any, range_of_slot: np.ndarray, valid: np.ndarray | None, n_ranges: int, rows: slice
) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` grouped by the range of their keys (a radix sort: input order within a range), and each
    range's count.
    """
    slot = keys[rows] << common
    slot >>= np.uint64(48)
    part = range_of_slot[slot]
    if valid is not None:
        part[~valid[rows]] = 0  # missing values go with the first range and keep code -1
    grouped = np.argsort(part, kind="stable")
    grouped += rows.start
    return grouped, np.bincount(part, minlength=n_ranges)


#: Texts :func:`_text_word` reads at a time.
_WORD_CHUNK = 1 << 20


def _text_word(arrow: Any, word: int) -> np.ndarray:
    """The ``word``-th 8 bytes of each text of a (large) string array, zero past its end, big-endian uint64.

    Read straight from Arrow's buffers: one unaligned 8-byte load per text, no Python objects; a million
    texts at a time, so the temporaries stay small beside the log, the chunks shared by the threads.
    """
    import pyarrow as pa

    wide = pa.types.is_large_string(arrow.type)
    offsets_buffer, data_buffer = arrow.buffers()[1:3]
    offsets = np.frombuffer(
        offsets_buffer,
        dtype=np.int64 if wide else np.int32,
        count=len(arrow) + 1,
        offset=arrow.offset * (8 if wide else 4),
    )
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, dtype=np.uint8)
    # Loads that would run past the data's end read a small zero-padded copy of its last bytes instead.
    base = max(len(data) - 8, 0)
    tail = np.zeros(8 * (word + 3), dtype=np.uint8)
    tail[: len(data) - base] = data[base:]
    tail_loads = np.ndarray(shape=(len(tail) - 7,), dtype=">u8", buffer=tail, strides=(1,))
    loads = np.ndarray(shape=(len(data) - 7,), dtype=">u8", buffer=data, strides=(1,)) if len(data) >= 8 else None
    values = np.zeros(len(arrow), dtype=np.uint64)

    def read(first: int) -> None:
        bounds = offsets[first : first + _WORD_CHUNK + 1].astype(np.int64)
        begin = bounds[:-1] + 8 * word
        left = np.clip(bounds[1:] - begin, 0, 8)  # bytes of the text inside this word
        chunk = values[first : first + len(begin)]
        late = begin > base if loads is not None else np.ones(len(begin), dtype=bool)
        if loads is not None:
            chunk[:] = loads[np.minimum(begin, base)]
        if late.any():
            chunk[late] = tail_loads[begin[late] - base]
        short = np.flatnonzero(left < 8)
        shift = ((8 - left[short]) * 8).astype(np.uint64)
        chunk[short] = np.where(left[short] > 0, (chunk[short] >> shift) << shift, 0)

    map_parallel(read, range(0, len(arrow), _WORD_CHUNK))  # each chunk of texts writes its own values
    return values


def _record_codes(
    codes: np.ndarray, bad: np.ndarray, values: pd.Series, column: str, reason: str, problems: list
) -> None:
    """Record the rows whose code is one of the ``bad`` distinct values (none: nothing to scan)."""
    if len(bad):
        _record(np.isin(codes, bad), values, column, reason, problems)


def refuse_mixed_types(values: pd.Series, column: str) -> None:
    """1 and "1" would silently be two customers: refuse, naming the rows of the rarer type."""
    kinds = values.map(lambda v: type(v).__name__ if pd.notna(v) else None)
    counts = kinds.value_counts()
    rows = np.flatnonzero((kinds == counts.index[-1]).to_numpy())
    raise InvalidValuesError(
        column,
        f"values of type {counts.index[-1]} among values of type {counts.index[0]}",
        rows.tolist(),
        values.iloc[rows].tolist(),
        "Convert the column to one type first, e.g. df[col].astype(str).",
    )


def _record(bad: np.ndarray, values: pd.Series, column: str, reason: str, problems: list) -> None:
    if bad.any():
        rows = np.flatnonzero(bad)
        problems.append((rows, column, reason, values.iloc[rows]))


def parse_times(
    values: pd.Series, column: str, tz: str, time_unit: str | None, problems: list, time_format: str | None = None
) -> pd.Series:
    """Parse a timestamp column to UTC; record unparseable rows in ``problems``. NaT marks bad rows."""
    missing = values.isna().to_numpy()
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(values.cat.categories.dtype)
    if pd.api.types.is_bool_dtype(values.dtype):
        raise InvalidValuesError(column, "true/false values instead of timestamps", [0], [values.iloc[0]])
    if time_format is not None:
        parsed = _with_format(values, column, tz, time_format, missing, problems)
    elif isinstance(values.dtype, pd.DatetimeTZDtype):
        parsed = values.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        parsed = _localize(values, column, tz, missing, problems)
    elif pd.api.types.is_numeric_dtype(values.dtype):
        parsed = _from_epoch(values, column, time_unit, missing, problems)
    else:
        kinds = pd.api.types.infer_dtype(values, skipna=True)
        if kinds in ("datetime", "datetime64", "date"):
            parsed = _from_objects(values, column, tz, missing, problems)
        else:
            text = values.astype("str")
            first = text[~missing].iloc[0] if (~missing).any() else ""
            numbers = pd.to_numeric(text, errors="coerce") if time_unit is not None or _NUMBER.match(first) else None
            if numbers is not None and time_unit is not None:
                bad = numbers.isna().to_numpy() & ~missing
                if bad.any():
                    rows = np.flatnonzero(bad)
                    problems.append(
                        (
                            rows,
                            column,
                            f"values that are not numbers ({option('time_unit', time_unit)})",
                            values.iloc[rows],
                        )
                    )
                return _flag_missing(
                    _from_epoch(numbers, column, time_unit, missing | bad, problems), values, column, missing, problems
                )
            if numbers is not None and not (numbers.isna().to_numpy() & ~missing).any():
                _from_epoch(numbers, column, time_unit, missing, problems)  # all numbers, no unit: refused there
            parsed = _from_iso(text, column, tz, missing, problems)
    return _flag_missing(parsed, values, column, missing, problems)


def _flag_missing(parsed: pd.Series, values: pd.Series, column: str, missing: np.ndarray, problems: list) -> pd.Series:
    if missing.any():
        rows = np.flatnonzero(missing)
        problems.append((rows, column, "missing values", values.iloc[rows]))
    return _outside_range(parsed, values, column, problems)[0].dt.as_unit("ns")


#: The times journey holds: pandas' nanosecond range, 1677-09-21 to 2262-04-11 (UTC).
EARLIEST, LATEST = pd.Timestamp.min.tz_localize("UTC"), pd.Timestamp.max.tz_localize("UTC")
OUTSIDE_RANGE = "timestamps outside the years 1677-2262 (a 'never' date such as 9999-12-31?)"


def _outside_range(parsed: pd.Series, values: pd.Series, column: str, problems: list) -> tuple[pd.Series, np.ndarray]:
    """``parsed`` with times outside :data:`EARLIEST`-:data:`LATEST` recorded in ``problems`` and made NaT,
    and the mask of those rows.
    """
    if parsed.dt.unit == "ns":  # a nanosecond time is in range by construction
        return parsed, np.zeros(len(parsed), dtype=bool)
    low, high = (EARLIEST, LATEST) if parsed.dt.tz is not None else (pd.Timestamp.min, pd.Timestamp.max)
    first, last = parsed.min(), parsed.max()
    if pd.isna(first) or (first >= low and last <= high):  # two reductions: the common case costs no mask
        return parsed, np.zeros(len(parsed), dtype=bool)
    outside = ((parsed < low) | (parsed > high)).to_numpy(dtype=bool)
    _record(outside, values, column, OUTSIDE_RANGE, problems)
    return parsed.where(~outside), outside


def _from_iso(text: pd.Series, column: str, tz: str, missing: np.ndarray, problems: list) -> pd.Series:
    has_offset = text.str.strip().str.contains(_OFFSET, regex=True).fillna(False).to_numpy(dtype=bool)
    parsed = pd.to_datetime(text, format="ISO8601", utc=bool(has_offset.any()), errors="coerce")
    bad = parsed.isna().to_numpy() & ~missing
    if bad.any():
        rows = np.flatnonzero(bad)
        problems.append((rows, column, "values not readable as ISO-8601 timestamps", text.iloc[rows]))
    parsed, outside = _outside_range(parsed, text, column, problems)
    bad |= outside  # a 'never' sentinel written without an offset is out of range, not naive
    if not has_offset.any():
        return _localize(parsed, column, tz, missing | bad, problems)
    naive = ~has_offset & ~missing & ~bad
    if naive.any():
        n_naive, n_offset = int(naive.sum()), int(has_offset.sum())
        few, reason = (
            (naive, f"timestamps without a UTC offset ({n_offset:,} other rows have one)")
            if n_naive <= n_offset
            else (has_offset, f"timestamps with a UTC offset ({n_naive:,} other rows have none)")
        )
        rows = np.flatnonzero(few)
        raise MixedTimezoneError(
            column,
            reason,
            rows.tolist(),
            text.iloc[rows].tolist(),
            "Give every timestamp an offset (e.g. 'Z' or '+02:00'), or none and say the zone with tz=...",
        )
    return parsed


def _localize(naive: pd.Series, column: str, tz: str, known_bad: np.ndarray, problems: list) -> pd.Series:
    local = naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    lost = local.isna().to_numpy() & ~known_bad & ~naive.isna().to_numpy()
    if lost.any():
        rows = np.flatnonzero(lost)
        problems.append(
            (
                rows,
                column,
                f"local times that are ambiguous or do not exist in {tz} (a daylight-saving change)",
                naive.iloc[rows].astype(str),
            )
        )
    return local.dt.tz_convert("UTC")


def _from_epoch(
    numbers: pd.Series, column: str, time_unit: str | None, missing: np.ndarray, problems: list
) -> pd.Series:
    if time_unit is None:
        sample = numbers[~missing].iloc[:3].tolist()
        raise TimeUnitError(
            f"column {column!r} holds numbers ({', '.join(map(str, sample))}, ...), not timestamps; if they are "
            f"epoch times, say their unit with {option('time_unit', 's')} or {option('time_unit', 'ms')} (or us, ns)"
            + _date_numbers_advice(numbers[~missing], column, None)
        )
    advice = _date_numbers_advice(numbers[~missing], column, time_unit)
    if advice:
        raise TimeUnitError(advice.strip())
    # A number beyond pandas' range (a 'never' sentinel) is a bad row, unless every number is: then the
    # unit is what is wrong.
    ns = numbers.to_numpy(dtype=float, na_value=np.nan) * _UNIT_NS[time_unit]
    outside = ~missing & ~((ns >= EARLIEST.value) & (ns <= LATEST.value))
    wrong_unit = JourneyError(
        f"column {column!r}: epoch numbers in unit {time_unit!r} fall outside the years "
        f"1677-2262; is {option('time_unit', time_unit)} right?"
    )
    if outside.any():
        if not (~missing & ~outside).any():
            raise wrong_unit
        _record(outside, numbers, column, OUTSIDE_RANGE, problems)
        numbers = numbers.where(~outside)
    try:
        return pd.to_datetime(numbers, unit=time_unit, utc=True)
    except (pd.errors.OutOfBoundsDatetime, OverflowError, ValueError):
        raise wrong_unit from None


_UNIT_NS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
#: Excel serial day numbers of 1950-01-01 and 2100-01-01: numbers that are all in between are dates.
_EXCEL_DAYS = (18_264, 73_051)


def _date_numbers_advice(numbers: pd.Series, column: str, time_unit: str | None) -> str:
    """Advice when every number is a date in disguise (YYYYMMDD, Excel serial days), which as epoch times
    would all fall in 1970; empty otherwise.
    """
    values = numbers.to_numpy(dtype=float, na_value=np.nan)
    values = values[~np.isnan(values)]
    if not len(values):
        return ""
    given = f"; read with {option('time_unit', time_unit)} they would all fall in 1970" if time_unit else ""
    whole = (values == np.round(values)).all()
    month, day = (values // 100) % 100, values % 100
    if (
        whole
        and (
            (values >= 1900_01_01) & (values <= 2100_12_31) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
        ).all()
    ):
        return (
            f" Column {column!r}: the numbers ({_number(values[0])}, ...) look like dates written YYYYMMDD{given}; "
            f"read them with {option('time_format', '%Y%m%d')}."
        )
    if ((values >= _EXCEL_DAYS[0]) & (values <= _EXCEL_DAYS[1])).all():
        return (
            f" Column {column!r}: the numbers ({_number(values[0])}, ...) look like Excel serial day numbers "
            f"(45658 is 2025-01-01){given}; read them with {option('time_format', 'excel')}."
        )
    return ""


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


#: Day 0 of Excel's (Windows, 1900) date system, right for every date from 1900-03-01.
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _with_format(
    values: pd.Series, column: str, tz: str, time_format: str, missing: np.ndarray, problems: list
) -> pd.Series:
    """Times read with ``time_format``: a strftime format such as ``"%Y%m%d"``, or ``"excel"`` for serial days."""
    if time_format == "excel":
        days = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)
        bad = np.isnan(days) & ~missing
        reason = f"values that are not Excel serial day numbers ({option('time_format', 'excel')})"
        low, high = ((bound.value - EXCEL_EPOCH.value) / _DAY_NS for bound in (EARLIEST, LATEST))
        outside = ~np.isnan(days) & ((days < low) | (days > high))
        _record(outside, values, column, OUTSIDE_RANGE, problems)
        days[outside] = np.nan
        naive = pd.Series(EXCEL_EPOCH + pd.to_timedelta(days, unit="D"), index=values.index)
    else:
        text = values
        if pd.api.types.is_numeric_dtype(values.dtype):  # 20250101 read as a number: back to its digits
            whole = values.dropna()
            text = (values.astype("Int64") if (whole == np.round(whole)).all() else values).astype("str")
        zone = "%z" in time_format or "%Z" in time_format
        try:
            naive = pd.to_datetime(text, format=time_format, errors="coerce", utc=zone)
        except ValueError as exc:
            raise JourneyError(
                f"{option('time_format', time_format)} is not a date format pandas reads ({exc}); "
                f"write it as for datetime.strptime, e.g. '%Y%m%d' or '%d/%m/%Y %H:%M'"
            ) from None
        bad = naive.isna().to_numpy() & ~missing
        reason = f"values that do not match {option('time_format', time_format)}"
        if zone:
            _record(bad, values, column, reason, problems)
            return naive
    _record(bad, values, column, reason, problems)
    return _localize(naive, column, tz, missing | bad, problems)


def _from_objects(values: pd.Series, column: str, tz: str, missing: np.ndarray, problems: list) -> pd.Series:
    aware = np.array([getattr(v, "tzinfo", None) is not None for v in values], dtype=bool) & ~missing
    naive = ~aware & ~missing
    if aware.any() and naive.any():
        rows = np.flatnonzero(naive)
        raise MixedTimezoneError(
            column,
            "timestamps without a time zone, while others have one",
            rows.tolist(),
            values.iloc[rows].tolist(),
            "Make them all aware or all naive.",
        )
    if aware.any():
        return pd.to_datetime(values, utc=True)
    return _localize(pd.to_datetime(values), column, tz, missing, problems)


def dropped_table(problems: list) -> pd.DataFrame:
    parts = [
        pd.DataFrame(
            {
                "row": rows.astype(np.int64),
                "column": column,
                "reason": reason,
                "value": pd.Series(list(values), dtype=object),
            }
        )
        for rows, column, reason, values in problems
    ]
    return pd.concat(parts, ignore_index=True).sort_values("row", kind="stable", ignore_index=True)


def empty_dropped() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": pd.Series(dtype=np.int64),
            "column": pd.Series(dtype=object),
            "reason": pd.Series(dtype=object),
            "value": pd.Series(dtype=object),
        }
    )


# ---------------------------------------------------------------------------------------------------
# canonical frame and order


def _canonical_frame(
    raw: pd.DataFrame, names: dict[str, str], users: tuple, times: pd.Series, events: tuple, keep: np.ndarray | None
) -> tuple[pd.DataFrame, np.ndarray]:
    """user, time, event and the other columns (as given), without the rows ``keep`` leaves out."""
    user_codes, event_codes = users[0], events[0]
    data = {
        "user": raw[names["user"]].array,
        "time": times.array,
        "event": pd.Categorical.from_codes(event_codes, events[1].astype("str"), validate=False),  # codes of ours
    }
    data.update({c: raw[c].array for c in raw.columns if c not in names.values()})
    if keep is not None:  # before the frame is made: a refused value may be one it could not hold
        data, user_codes = {c: values[keep] for c, values in data.items()}, user_codes[keep]
    try:
        frame = pd.DataFrame(data, copy=False)
    except UnicodeEncodeError:  # pandas' text columns cannot hold a lone surrogate: say where it is
        column = next(c for c, values in data.items() if _has_surrogate(values))
        raise JourneyError(
            f"column {shorten(column)} holds text with a lone surrogate, which is not a character "
            f"(bytes decoded with errors='surrogateescape'?); fix or drop that column"
        ) from None
    if not _all_used(frame["event"].cat.codes.to_numpy(), len(frame["event"].cat.categories)):
        frame["event"] = frame["event"].cat.remove_unused_categories()  # categorical input may carry unused ones
    return frame, user_codes


def _all_used(codes: np.ndarray, n: int) -> bool:
    """Whether every one of the ``n`` categories has a row among ``codes``: a sample of the rows that has
    them all says so without counting every row.
    """
    sample = codes[:: max(len(codes) // 100_000, 1)]
    return bool(np.bincount(sample + 1, minlength=n + 1)[1:].all() or np.bincount(codes + 1, minlength=n + 1)[1:].all())


def _sort_by_user_and_time(
    frame: pd.DataFrame, codes: np.ndarray, tiebreak: tuple[np.ndarray, ...] = ()
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """The order that sorts ``frame`` by (user, time), ties in input order, with dense user codes and the
    times (ns) in that order.

    ``codes`` rank users in sorted order. The frame itself is not reordered (the log keeps the order and
    permutes only the arrays it needs); None when the rows are in order already. ``tiebreak`` (int64
    arrays, most significant first) orders a user's events at one instant before input order does: GA4's
    batch numbers.
    """
    t = time_ns(frame["time"])
    # A column held in microseconds (Parquet's, pandas' own) is whole microseconds: no need to check that.
    finest = {"s": 10**9, "ms": 10**6, "us": 10**3}.get(np.datetime_data(frame["time"].dtype.base)[0], 1)
    if isinstance(codes, UserRanges):
        by_ranges = None if tiebreak else _ordering_by_ranges(codes, t, finest)
        if by_ranges is not None:
            return by_ranges  # every range's codes are used: dense
        codes = codes.placed()
    order, codes, t = _ordering(codes, t, tiebreak, finest)
    codes = codes.astype(np.int64, copy=False)
    if len(codes) and codes[0] == 0 and all(map_parallel(partial(_steps_of_one, codes), row_parts(len(codes)))):
        return order, codes, t  # every code is used (no invalid row took a user's only events): dense already
    dense = np.zeros(len(codes), dtype=np.int64)
    np.cumsum(codes[1:] != codes[:-1], out=dense[1:])
    return order, dense, t


def _ordering_by_ranges(
    ranges: UserRanges, t: np.ndarray, finest: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`_ordering` of rows coded in ranges (no tiebreak): each range sorted on its own, the threads
    taking the ranges in turn; None when code and time do not pack into 63 bits.

    A range holds a few hundred thousand rows: its gathers and sorts stay in the CPU's cache, where those
    of the whole log miss it on almost every row, and its codes come after those of the ranges before it,
    so the sorted ranges simply follow each other.
    """
    n_codes = max((int(c.max()) + 1 for c in ranges.codes if len(c)), default=0)
    if not len(t) or min((int(c.min()) for c in ranges.codes if len(c)), default=0) < 0:
        return None
    origin = int(t.min())
    unit = common_unit(t, finest)
    time_bits = max(int((int(t.max()) - origin) // unit).bit_length(), 1)
    if max(n_codes - 1, 1).bit_length() + time_bits > 63:
        return None
    ends = np.cumsum([len(rows) for rows in ranges.rows])
    order, key = np.empty(len(t), dtype=np.int64), np.empty(len(t), dtype=np.int64)

    def sort(i: int) -> None:
        rows, codes = ranges.rows[i], ranges.codes[i]
        packed = codes << time_bits
        packed |= (t[rows] - origin) // unit
        within, ordered = _grouped_argsort(packed, codes, None)  # rows are in input order: ties keep it
        place = slice(int(ends[i]) - len(rows), int(ends[i]))
        order[place], key[place] = rows[within], ordered

    map_parallel(sort, range(len(ranges.rows)))
    return order, _unpacked(key, time_bits, unit, origin), key


def _unpacked(key: np.ndarray, time_bits: int, unit: int, origin: int) -> np.ndarray:
    """The codes of sorted ``code << time_bits | (t - origin) // unit`` keys; the keys become the times (ns)."""
    codes = np.empty(len(key), dtype=np.int64)

    def unpack(rows: slice) -> None:
        part = key[rows]
        np.right_shift(part, time_bits, out=codes[rows])
        part &= (1 << time_bits) - 1
        part *= unit
        part += origin

    map_parallel(unpack, row_parts(len(key)))
    return codes


def _stable_order(codes: np.ndarray, t: np.ndarray, tiebreak: tuple[np.ndarray, ...] = ()) -> np.ndarray | None:
    """Row order sorting by (code, t) with ties in input order; None when rows are in order already."""
    return _ordering(codes, t, tiebreak)[0]


def _ordering(
    codes: np.ndarray, t: np.ndarray, tiebreak: tuple[np.ndarray, ...] = (), finest: int = 1
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """The row order sorting by (code, t) with ties in input order (None when rows are in order already),
    and the codes and times in that order.

    When user code and time (in the coarsest unit that holds every timestamp exactly: s, ms, us or ns)
    pack into 63 bits, :func:`stable_argsort` of the packed key does it (split by user across two threads
    for large logs; runs of equal keys ordered by ``tiebreak`` first, when given), and the sorted keys
    give the codes and times back without gathering them through the order. Otherwise a stable argsort on
    time ranks the rows and a sort of ``code << bits | rank`` orders them by user.
    """
    if not len(t):
        return None, codes, t
    if not tiebreak and _in_order(codes[:4096], t[:4096]) and _in_order(codes, t):  # a shuffled log fails early
        return None, codes, t
    origin = int(t.min())
    unit = common_unit(t, finest)
    time_bits = max(int((int(t.max()) - origin) // unit).bit_length(), 1)
    if int(codes.max()).bit_length() + time_bits <= 63:
        key = np.empty(len(t), dtype=np.int64)

        def pack(rows: slice) -> None:
            """``code << time_bits | (t - origin) // unit`` of these rows, into ``key``."""
            part = key[rows]
            np.subtract(t[rows], origin, out=part)
            part //= unit
            part |= codes[rows].astype(np.int64) << time_bits

        map_parallel(pack, row_parts(len(t)))
        order, key = stable_argsort(key, codes, tiebreak, with_keys=True)
        return order, _unpacked(key, time_bits, unit, origin), key
    if tiebreak:  # ties are few, but this exact lexsort is slow: only for keys too wide to pack
        order = np.lexsort((np.arange(len(t)), *reversed(tiebreak), t, codes))
        return order, codes[order], t[order]
    by_time = np.argsort(t, kind="stable")
    bits = max(int(len(t)).bit_length(), 1)
    if int(codes.max()).bit_length() + bits > 63:  # too many users x rows to pack: slower but exact
        order = by_time[np.lexsort((np.arange(len(t)), codes[by_time]))]
        return order, codes[order], t[order]
    rank = np.empty(len(t), dtype=np.int64)
    rank[by_time] = np.arange(len(t), dtype=np.int64)
    rank |= codes.astype(np.int64) << bits
    rank.sort()
    rank &= (1 << bits) - 1
    order = by_time[rank]
    return order, codes[order], t[order]


def _in_order(codes: np.ndarray, t: np.ndarray) -> bool:
    """Whether rows are sorted by code, then time."""
    same_user = codes[1:] == codes[:-1]
    return bool((codes[1:] >= codes[:-1]).all() and (~same_user | (t[1:] >= t[:-1])).all())


def common_unit(t: np.ndarray, finest: int = 1) -> int:
    """The coarsest of 1 s, 1 ms, 1 us and 1 ns that every value of ``t`` (ns) is a whole number of;
    ``finest`` when none coarser than it is (the caller knows every value is a whole number of it).
    """
    # A few thousand evenly spaced values rule out most units at once: only a unit they all fit is checked
    # on every value (one pass for microsecond logs instead of three).
    sample = t[:: max(len(t) // 4096, 1)]
    halves = row_parts(len(t))
    for unit in (10**9, 10**6, 10**3):
        if unit <= finest:
            return finest
        if not (sample % unit).any() and not any(map_parallel(partial(_has_remainder, t, unit), halves)):
            return unit
    return 1


def _steps_of_one(codes: np.ndarray, rows: slice) -> bool:
    """Whether sorted ``codes`` rise by at most one from each row of ``rows`` to the next."""
    part = codes[rows.start : rows.stop + 1]
    return bool((part[1:] - part[:-1] <= 1).all())


def _has_remainder(t: np.ndarray, unit: int, rows: slice) -> bool:
    return bool((t[rows] % unit).any())


#: Logs larger than this are sorted in two halves (by user) on two threads.
PARALLEL_ROWS = 2_000_000


def row_parts(n: int) -> list[slice]:
    """``range(n)`` as one slice per thread for a large log (above :data:`PARALLEL_ROWS`), else one slice."""
    return row_halves(n) if n > PARALLEL_ROWS else [slice(0, n)]


def stable_argsort(
    key: np.ndarray, codes: np.ndarray, tiebreak: tuple[np.ndarray, ...] = (), *, with_keys: bool = False
) -> Any:
    """``np.argsort(key, kind="stable")`` for int64 keys whose high bits are the non-negative ``codes``
    (with ``with_keys``, also the keys in that order: ``(order, key[order])``).

    Rows are first grouped by code with a sort of values, not an argsort: ``code << row_bits | row`` packs
    the row into the key, and numpy sorts plain int64 values several times faster than it argsorts them.
    The keys in that order are then already sorted but for each code's short run, which a stable argsort
    (timsort) puts in order at little cost; ties keep input order. Large inputs are split at a code into
    two halves sorted on two threads (numpy releases the GIL while sorting): every key of the first half
    is below every key of the second, so each half is written straight into its place. Runs of equal keys are then
    ordered by the ``tiebreak`` arrays (most significant first) when given, input order after them.
    """
    if len(key) > PARALLEL_ROWS:
        low = codes <= int(codes.max()) // 2  # codes rank the users: half of them on each thread
        n_low = int(np.count_nonzero(low))
        order, ordered = np.empty(len(key), dtype=np.int64), np.empty(len(key), dtype=np.int64)

        def half(first: bool) -> None:
            """Sort one half's rows into its place: the first half's keys are all below the second's."""
            rows = np.flatnonzero(low if first else ~low)
            place = slice(0, n_low) if first else slice(n_low, len(key))
            order[place], ordered[place] = _grouped_argsort(key, codes, rows)

        map_parallel(half, [True, False])
        del low
    else:
        order, ordered = _grouped_argsort(key, codes, None)
    if tiebreak:
        tie = ordered[1:] == ordered[:-1]
        if tie.any():
            in_run = np.zeros(len(key), dtype=bool)
            in_run[1:] |= tie
            in_run[:-1] |= tie
            at = np.flatnonzero(in_run)
            run = np.cumsum(~np.r_[False, tie][at])  # a run starts where the key differs from the one before
            rows = order[at]
            order[at] = rows[np.lexsort((rows, *(k[rows] for k in reversed(tiebreak)), run))]
    return (order, ordered) if with_keys else order


def _grouped_argsort(key: np.ndarray, codes: np.ndarray, rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Stable argsort of ``key`` (at ``rows``, increasing, or every row): by code first, then the key; and
    the keys in that order.
    """
    row_bits = max(int(len(key) - 1).bit_length(), 1)
    if not len(key) or int(codes.max()).bit_length() + row_bits > 63:
        order = np.argsort(key, kind="stable") if rows is None else rows[np.argsort(key[rows], kind="stable")]
        return order, key[order]
    grouped = (codes if rows is None else codes[rows]).astype(np.int64) << row_bits
    grouped |= np.arange(len(key)) if rows is None else rows
    grouped.sort()
    grouped &= (1 << row_bits) - 1  # the rows, grouped by code, in input order within a code
    keys = key[grouped]
    within = np.argsort(keys, kind="stable")
    return grouped[within], keys[within]


def _fmt_time(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%S UTC")


def _short_list(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")
