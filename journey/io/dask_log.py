"""Event logs and orders on Dask: read lazily, validated once, partitioned by user once.

``read_events(..., engine="dask")`` returns a :class:`DaskEventLog`: every partition is validated by the
same code as :func:`journey.read_events` when it is first computed. The first analysis (or
:func:`partition_by_user`) shuffles the events by user, once: each partition then holds whole users,
sorted by user and time with ties in input order, and stays in the cluster's memory (persisted) for every
later analysis, together with the log's global :class:`~journey.engine.core.Facts` (columns, touchpoints,
first and last event), computed in one pass. A plain Dask DataFrame given to an analysis is read with the
default columns and partitioned the same way; the partitioned log is remembered for the next analysis of
the same DataFrame.

Known limit: checks that compare rows run within a partition. A column whose timestamps carry a UTC offset
in one partition and none in another is not caught (each partition alone is consistent).
"""

from __future__ import annotations

import glob
import sys
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import JourneyError
from .events import (
    EventLog,
    check_clashes,
    csv_errors,
    csv_options,
    read_events,
    resolve_column,
)

__all__ = [
    "DaskEventLog",
    "DaskOrders",
    "read_events_dask",
    "as_dask_log",
    "as_dask_orders",
    "event_log_of",
    "compute",
]

CANONICAL = ("user", "time", "event")
DEFAULTS = (("user", "user_id"), ("time", "timestamp"), ("event", "event"))
SEQUENCE = "__journey_row__"
_ROW_BITS = 40  # rows per input partition, at most 2**40: the rest of the sequence number is the partition
_REMEMBERED = 4  # partitioned logs kept for plain Dask DataFrames given to analyses


def read_events_dask(source: Any, format: str | None = None, identities: Any = None, **options: Any) -> DaskEventLog:
    """A lazily read, validated :class:`DaskEventLog` of a Parquet or CSV path or glob, or a Dask DataFrame;
    with ``format=``, an export read shard by shard (:mod:`journey.io.formats.shards`).
    """
    from ..extras import require

    dd = require("dask.dataframe", "dask", 'engine="dask"')
    if format is not None:
        from .formats.shards import read_export_dask

        names = {role: options.pop(role, None) for role in CANONICAL}
        encoding, on_invalid = options.pop("encoding", "utf-8"), options.pop("on_invalid", "raise")
        options.pop("sep", None)
        return read_export_dask(
            source, format, **names, encoding=encoding, on_invalid=on_invalid, identities=identities, validation=options
        )
    options = {role: options.get(role) or default for role, default in DEFAULTS} | {
        k: v for k, v in options.items() if k not in CANONICAL
    }

    if isinstance(source, (str, Path)):
        source = str(source)
        parquet = source.lower().endswith((".parquet", ".pq")) or Path(source).is_dir()
        raw = dd.read_parquet(source, split_row_groups=True) if parquet else _read_csv(source, options)
    elif _is_dask_frame(source):
        raw = source
    else:
        raise JourneyError("engine='dask' reads a path or glob of Parquet/CSV files, or a Dask DataFrame")
    # The columns are checked once, up front, with the same messages as the pandas path.
    names = {role: resolve_column(role, options.get(role, default), raw.columns) for role, default in DEFAULTS}
    check_clashes(names, raw.columns)
    canonical = raw.map_partitions(_canonical, options, meta=_canonical(raw._meta, options))
    return DaskEventLog(canonical, input_names=names)


def _read_csv(source: str, options: dict) -> Any:
    """A lazy CSV read with the options of the pandas reader (delimiter, text ids, missing values), taken
    from the first file of the glob when it is local.
    """
    import dask.dataframe as dd

    given = {role: options.get(role, default) for role, default in DEFAULTS}
    encoding, sep = options.get("encoding", "utf-8"), options.get("sep")
    first = next(iter(sorted(glob.glob(source))), None)
    if first is None:  # a remote or missing path: Dask says what it is
        # In CSV only the named columns are read as text (ids stay "007"); the others keep their types.
        return dd.read_csv(source, dtype=dict.fromkeys(given.values(), "str"), sep=sep or ",", encoding=encoding)
    with csv_errors(first, encoding):
        return dd.read_csv(source, encoding=encoding, **csv_options(Path(first), given, encoding, sep))


def _is_dask_frame(obj: Any) -> bool:
    import dask

    return dask.is_dask_collection(obj) and hasattr(obj, "columns")


def _canonical(part: pd.DataFrame, options: dict) -> pd.DataFrame:
    """One partition, validated and canonical; an empty one (Dask's meta) gives the empty canonical frame."""
    if part.empty:
        names = {options.get(role, default) for role, default in DEFAULTS}
        empty = pd.DataFrame(
            {
                "user": pd.Series(dtype="str"),
                "time": pd.Series(dtype="datetime64[ns, UTC]"),
                "event": pd.Series(dtype="str"),
            }
        )
        return pd.concat([empty, part[[c for c in part.columns if c not in names]].iloc[:0]], axis=1)
    frame = read_events(part.reset_index(drop=True), **options).frame
    return frame.assign(event=frame["event"].astype("str"))


class _Partitioned:
    """What the Dask backend needs of a distributed input: parts of whole users, and the global facts."""

    kind = "events"

    def __init__(self) -> None:
        self._parts: list | None = None
        self._facts: Any = None

    def _partition(self) -> Any:
        """The input shuffled so that each partition holds whole users (each kind says how)."""
        raise NotImplementedError

    def partitions(self) -> list:
        """Persisted partitions (Dask delayed objects), each holding whole users (or customers)."""
        if self._parts is None:
            self._parts = self._partition().persist().to_delayed()
        return self._parts

    def summaries(self) -> list:
        """Per persisted partition, a delayed summary (first time, last time, touchpoints or columns) that adds."""
        import dask

        return [dask.delayed(_part_facts)(part, self.kind) for part in self.partitions()]


class DaskEventLog(_Partitioned):
    """An event log on Dask: validated partitions, shuffled by user once, reused by every analysis.

    Pass it wherever a function takes a log. ``frame`` is the canonical Dask DataFrame (``user``, ``time``,
    ``event`` and the other columns); ``columns`` its column names. Read from an export (``format=``),
    ``report``, ``dropped``, ``session_source`` and ``source`` mean what they mean on an
    :class:`~journey.EventLog`; otherwise ``report`` and ``session_source`` are None and ``dropped`` is empty
    (each partition is validated when it is computed, and raises or drops there).
    """

    def __init__(self, frame: Any, input_names: dict[str, str] | None = None):
        from .events import empty_dropped

        super().__init__()
        self.frame = frame
        self.input_names = {"user": "user", "time": "time", "event": "event", **(input_names or {})}
        self.session_source: str | None = None
        self.report: Any = None
        self.dropped: pd.DataFrame = empty_dropped()
        self.source = "Dask DataFrame"

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    @property
    def npartitions(self) -> int:
        return self.frame.npartitions

    def __repr__(self) -> str:
        state = "partitioned by user" if self._parts is not None else "not partitioned yet"
        return f"DaskEventLog: {self.frame.npartitions} partitions ({state}); columns {', '.join(self.columns)}"

    def _partition(self):
        numbered = self.frame.map_partitions(_with_sequence, meta=_with_sequence(self.frame._meta))
        # The peer-to-peer shuffle cannot carry nested Arrow columns (GA4's ``items``); the task shuffle can.
        method = "tasks" if _has_nested(self.frame._meta) else None
        shuffled = numbered.shuffle(on="user", npartitions=max(2, self.frame.npartitions), shuffle_method=method)
        return shuffled.map_partitions(_sorted_part, meta=self.frame._meta)

    def facts_from(self, summary):
        from .facts import Facts

        if summary is None:
            raise JourneyError("the log holds no events")
        start, end, events = summary.start, summary.end, summary.extra
        return Facts(
            columns=tuple(self.columns),
            touchpoints=tuple(sorted(events)),
            start_ns=start,
            end_ns=end,
            exact=False,
            input_names=self.input_names,
            sessions=self.session_source,
        )


class DaskOrders(_Partitioned):
    """An orders table on Dask, shuffled by user once and validated by :func:`read_orders` per partition."""

    kind = "orders"

    def __init__(self, frame: Any, options: dict):
        super().__init__()
        self.frame, self.options = frame, options

    def _partition(self):
        from .orders import user_column

        user = user_column(self.options["user"], list(self.frame.columns))
        shuffled = self.frame.shuffle(on=user, npartitions=max(2, self.frame.npartitions))
        return shuffled.map_partitions(_orders_part, self.options, meta=_orders_meta(self.frame._meta, self.options))

    def facts_from(self, summary):
        from .facts import Facts

        if summary is None:
            raise JourneyError("the orders table holds no rows")
        start, end, columns = summary.start, summary.end, summary.extra
        return Facts(columns=tuple(columns), start_ns=start, end_ns=end, exact=False, argument="orders")


def _has_nested(meta: pd.DataFrame) -> bool:
    """Whether a column holds Arrow lists, structs or maps."""
    import pyarrow as pa

    return any(
        isinstance(t, pd.ArrowDtype)
        and (
            pa.types.is_list(t.pyarrow_dtype) or pa.types.is_struct(t.pyarrow_dtype) or pa.types.is_map(t.pyarrow_dtype)
        )
        for t in meta.dtypes
    )


def _with_sequence(part: pd.DataFrame, partition_info: dict | None = None) -> pd.DataFrame:
    """The partition with each row's input position, so ties keep input order after the shuffle."""
    number = 0 if partition_info is None else int(partition_info["number"])
    return part.assign(**{SEQUENCE: (np.int64(number) << _ROW_BITS) + np.arange(len(part), dtype=np.int64)})


def _sorted_part(part: pd.DataFrame) -> pd.DataFrame:
    """Whole users sorted by user, time and input position."""
    part = part.sort_values(["user", "time", SEQUENCE], kind="stable", ignore_index=True)
    return part.drop(columns=SEQUENCE)


def _orders_part(part: pd.DataFrame, options: dict) -> pd.DataFrame:
    """Validated orders of whole users (see :func:`journey.io.orders.read_orders`)."""
    from .orders import read_orders

    if part.empty:
        return _orders_meta(part, options)
    return read_orders(part.reset_index(drop=True), **options)


def _orders_meta(meta: pd.DataFrame, options: dict) -> pd.DataFrame:
    """The empty frame of validated orders, with the columns read_orders gives."""
    from .orders import user_column

    user = user_column(options["user"], list(meta.columns))
    named = {user, options["time"], options.get("order_id")}
    columns = {"user": meta[user].iloc[:0].array, "time": pd.Series(dtype="datetime64[ns, UTC]").array}
    if options.get("order_id") is not None:
        columns["order"] = meta[options["order_id"]].iloc[:0].array
    for column in meta.columns:
        if column not in named:
            columns[column] = meta[column].iloc[:0].array
    columns["user_code"] = np.array([], dtype=np.int64)
    return pd.DataFrame(columns)


def _part_facts(part: pd.DataFrame, kind: str) -> Any:
    """(first time, last time, touchpoints or columns) of one partition, as a value that adds."""
    if part is None or part.empty:
        return None
    t = part["time"].array.as_unit("ns").asi8
    extra = part["event"].unique().tolist() if kind == "events" else list(part.columns)
    return _Span(int(t.min()), int(t.max()), extra)


@dataclass(frozen=True)
class _Span:
    """(first, last, union) that adds as min, max and union."""

    start: int
    end: int
    extra: list

    def __add__(self, other):
        if other is None:
            return self
        return _Span(min(self.start, other.start), max(self.end, other.end), _union(self.extra, other.extra))

    __radd__ = __add__


def _union(a: list, b: list) -> list:
    """Distinct values in first-seen order (columns stay in the order they were given)."""
    seen = set(a)
    return list(a) + [v for v in b if v not in seen]


def event_log_of(part: pd.DataFrame, session_source: str | None = None) -> EventLog:
    """An EventLog of one partition (whole users, already sorted and validated): nothing is checked again.

    ``session_source`` names the source's session field when the log keeps its sessions (``session``).
    """
    frame = part.assign(event=pd.Categorical(part["event"]))
    log = EventLog.from_sorted(frame, source="Dask partition")
    log.session_source = session_source
    return log


_remembered: OrderedDict = OrderedDict()


def as_dask_log(data: Any) -> DaskEventLog:
    """``data`` as a DaskEventLog: as it is, or a Dask DataFrame read with the default columns (remembered,
    so the next analysis of the same DataFrame reuses its shuffle).
    """
    if isinstance(data, DaskEventLog):
        return data
    return _remember(getattr(data, "_name", None), lambda: read_events_dask(data))


def as_dask_orders(data: Any, options: dict) -> DaskOrders:
    """A Dask DataFrame of orders as a DaskOrders for these reader options (remembered like logs)."""
    if isinstance(data, DaskOrders) and data.options == options:
        return data
    frame = data.frame if isinstance(data, DaskOrders) else data
    name = getattr(frame, "_name", None)
    key = None if name is None else (name, tuple(sorted(options.items(), key=lambda kv: kv[0])))
    return _remember(key, lambda: DaskOrders(frame, options))


def _remember(key, make):
    """The partitioned input made earlier for ``key`` (a Dask graph name), or a new one, remembered."""
    if key is not None and key in _remembered:
        _remembered.move_to_end(key)
        return _remembered[key]
    made = make()
    if key is not None:
        _remembered[key] = made
        while len(_remembered) > _REMEMBERED:
            _remembered.popitem(last=False)
    return made


def compute(*tasks: Any) -> tuple:
    """``dask.compute(*tasks)``, with a progress bar when a person is watching a terminal.

    On a ``dask.distributed`` client, ``distributed.progress``; otherwise Dask's local ``ProgressBar``.
    """
    import dask

    try:
        from distributed import get_client, progress

        client = get_client()
    except (ImportError, ValueError):
        client = None
    if not sys.stderr.isatty():
        return dask.compute(*tasks)
    if client is not None:
        futures = client.compute(list(tasks))
        progress(futures)
        return tuple(client.gather(futures))
    from dask.diagnostics import ProgressBar

    with ProgressBar():
        return dask.compute(*tasks)
