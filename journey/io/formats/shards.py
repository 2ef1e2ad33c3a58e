"""Exports read shard by shard on Dask: ``read_events(source, format=..., engine="dask")``.

A vendor export arrives as shards (GA4's daily ``events_YYYYMMDD`` files, a folder of Segment or Mixpanel
JSON-lines files, the members of an Amplitude zip). Each shard is one partition of the log, read in the
cluster by the same reader and validated by the same code as :func:`journey.read_events` reads it in
memory. What needs the whole export is computed across the shards before any partition is final:

1. every shard is read by its format's reader (in the cluster, kept in its memory) and hands back only
   its identity links and its counts;
2. the links of all shards are put together in reading order, so an anonymous id seen in one shard and
   logged in in another is stitched on every shard (the identity map is global), and repeated deliveries
   are looked for across shards by their format's key (a small shuffle of 64-bit hashes of the key), the
   first delivery in reading order kept, as the local reader keeps it;
3. every shard is stitched, stripped of its repeated deliveries and validated; its rows become one
   partition of a :class:`~journey.io.dask_log.DaskEventLog`, whose ``report`` adds the shards' counts
   and whose ``dropped`` lists, in lenient mode, the records dropped with their file and line.

The log then holds the same events, users, sessions and report as the local read of the same source.

Reading is eager: the shards are read when ``read_events`` is called and stay in the cluster's memory
(the identity map and the report need all of them); the first analysis then shuffles them by user once.

Known limits, each small and named: repeated deliveries are found across shards by a 64-bit hash of
their key (two different keys colliding is a chance of about n²/2⁶⁵ for n keyed records); events of one
user at one instant in two different shards keep the shards' order before GA4's ``batch_*`` order; a
column typed differently in two shards holds Python objects (the local reader makes it text), unless
both are numbers (then floats, as locally); a shard
whose every event is invalid in lenient mode is counted in ``log.report`` but its rows are not listed
in ``log.dropped``.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from dataclasses import dataclass, field, replace
from importlib import import_module
from typing import Any, cast

import numpy as np
import pandas as pd

from ...errors import EmptyLogError, JourneyError, JourneyWarning, SourceError, option
from ..identities import identity_table, resolve, stitch
from .reader import Counts, Loaded, Origin, Request
from .report import ReadReport
from .sources import Piece, pieces

__all__ = ["read_export_dask"]

#: The formats read shard by shard, and how messages name them.
NAMES = {"ga4": "GA4", "segment": "Segment", "amplitude": "Amplitude", "mixpanel": "Mixpanel", "posthog": "PostHog"}
_KEY, _SHARD, _ROW = "key", "shard", "row"


def read_export_dask(
    source: Any,
    format: str,
    *,
    user: str | None,
    time: str | None,
    event: str | None,
    encoding: str,
    on_invalid: str,
    identities: Any,
    validation: dict[str, Any],
) -> Any:
    """The export at ``source`` (a file, a folder or a glob of shards) as a DaskEventLog, one partition per
    shard; ``validation`` holds :func:`journey.read_events`'s options that apply to every shard (``tz``,
    ``time_unit``, ``time_format``).
    """
    import dask

    from ..dask_log import DaskEventLog, compute

    module = _module(format)
    if isinstance(source, pd.DataFrame) or not isinstance(source, (str, os.PathLike)):
        raise SourceError(
            f"{option('engine', 'dask')} with {option('format', format)} reads export files: a file, a folder "
            'or a glob of shards ("exports/*.json.gz"); read a DataFrame with the default engine'
        )
    shards = pieces(source, module.KINDS, NAMES[format])
    request = Request(format, user, time, event, encoding, "drop" if on_invalid == "drop" else "raise")
    read = dask.persist(*[dask.delayed(_read_shard)(piece, request) for piece in shards])
    infos = compute(*[dask.delayed(_info)(shard) for shard in read])
    keys = tuple(getattr(module, "DUPLICATE_KEY", ()))
    repeated = _repeated_across_shards(read, keys) if keys and len(read) > 1 else {}
    links = [identity_table(identities)] if identities is not None else []
    found = [info.links for info in infos if info.links is not None and len(info.links)]
    if found:  # every shard's links in reading order, each pair once (its first appearance), as read locally
        links.append(pd.concat(found, ignore_index=True).drop_duplicates(["anonymous", "user"], ignore_index=True))
    offsets = np.cumsum([0] + [info.records for info in infos])[:-1]
    done = dask.persist(
        *[
            dask.delayed(_finish_shard)(shard, links, repeated.get(i, ()), int(offsets[i]), on_invalid, validation)
            for i, shard in enumerate(read)
        ]
    )
    finished = compute(*[dask.delayed(_summary)(shard) for shard in done])
    report = _report(format, infos, finished)
    if not report.events:
        raise EmptyLogError(f"{_description(source, shards)} holds no events ({report.records:,} records read)")
    dropped = _dropped(finished)
    if len(dropped):
        warnings.warn(
            f"dropped {report.unreadable + report.invalid:,} of {report.records:,} records of "
            f"{_description(source, shards)}; log.dropped lists each one, log.report counts them",
            JourneyWarning,
            stacklevel=3,
        )
    columns = _union([s.columns for s in finished])
    meta = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})
    parts = [dask.delayed(_conform)(shard, columns) for shard in done]
    import dask.dataframe as dd

    # Columns keep the types the local read gives: Dask would otherwise make every text column, and any
    # column of Python objects (Amplitude's sessions, ints with gaps), Arrow strings.
    with dask.config.set({"dataframe.convert-string": False}):
        frame = dd.from_delayed(parts, meta=meta, verify_meta=False)
    first = next(s for s in finished if s.input_names)
    log = DaskEventLog(frame, input_names=first.input_names)
    log.session_source, log.report, log.dropped = report.session_field, report, dropped
    log.source = _description(source, shards)
    return log


def _module(format: str) -> Any:
    if format not in NAMES:
        from . import TIDY_FORMATS, read_format

        if format in TIDY_FORMATS:
            raise JourneyError(
                f"{option('format', format)} reads in memory; {option('engine', 'dask')} reads tidy Parquet "
                f"or CSV files and the exports {', '.join(map(repr, NAMES))}: read it with the default "
                "engine, then journey.partition_by_user(log)"
            )
        read_format(format, None, Request(format))  # raises the unknown-format error, listing the formats
    return import_module(f".{format}", __package__)


def _description(source: Any, shards: list[Piece]) -> str:
    return shards[0].name if len(shards) == 1 else f"{source} ({len(shards):,} files)"


# ---------------------------------------------------------------------------------------------------
# in the cluster: one shard


@dataclass
class _Read:
    """One shard read by its format's reader: the Loaded (before stitching) and its rows' key hashes."""

    loaded: Loaded
    keys: np.ndarray  # uint64 hash of the duplicate key per row, 0 where the key is incomplete
    other_keys: np.ndarray  # the same for the records that are not events (loaded.not_event_keys)


@dataclass
class _Info:
    """What the client needs of a read shard: its links and its record count."""

    links: pd.DataFrame | None
    records: int


def _read_shard(piece: Piece, request: Request) -> _Read:
    from . import READERS

    loaded = READERS[request.format](piece, request)
    key = tuple(getattr(_module(request.format), "DUPLICATE_KEY", ()))
    others = loaded.not_event_keys if loaded.not_event_keys is not None else pd.DataFrame()
    return _Read(loaded, _key_hashes(loaded.frame, key), _key_hashes(others, key))


def _info(shard: _Read) -> _Info:
    return _Info(shard.loaded.identities, shard.loaded.counts.records)


def _key_hashes(frame: pd.DataFrame, keys: tuple[str, ...]) -> np.ndarray:
    """A 64-bit hash of each row's duplicate key (0: incomplete, never a repeat), comparable across shards.

    Values are hashed as text (times as nanoseconds), so that a key typed differently in two shards
    (Arrow text here, Python strings there) hashes alike.
    """
    if not keys or any(k not in frame.columns for k in keys) or not len(frame):
        return np.zeros(len(frame), dtype=np.uint64)
    columns = {}
    for k in keys:
        values = frame[k]
        if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(values.dtype):
            columns[k] = values.array.as_unit("ns").asi8.astype(str)
        else:
            columns[k] = values.astype(object).where(values.notna(), None).map(str, na_action="ignore")
    keyed = pd.DataFrame(columns)
    complete = frame[list(keys)].notna().all(axis=1).to_numpy()
    hashes = pd.util.hash_pandas_object(keyed, index=False).to_numpy(dtype=np.uint64)
    return np.where(complete, np.maximum(hashes, np.uint64(1)), np.uint64(0))


def _keys_table(shard: _Read, number: int) -> pd.DataFrame:
    """The shard's key hashes: events by their row (from 0), records that are not events by -1, -2, ..."""
    rows = np.flatnonzero(shard.keys)
    others = np.flatnonzero(shard.other_keys)
    return pd.DataFrame(
        {
            _KEY: np.r_[shard.keys[rows], shard.other_keys[others]].astype(np.uint64),
            _SHARD: np.full(len(rows) + len(others), number, dtype=np.int64),
            _ROW: np.r_[rows, -1 - others].astype(np.int64),
        }
    )


def _later_copies(part: pd.DataFrame) -> pd.DataFrame:
    """Rows whose key an earlier shard holds (each shard's own repeats are already gone)."""
    part = part.sort_values([_SHARD, _ROW], kind="stable")
    return part.loc[part.duplicated(_KEY, keep="first"), [_SHARD, _ROW]]


def _repeated_across_shards(read: tuple, keys: tuple[str, ...]) -> dict[int, np.ndarray]:
    """Per shard, the rows that repeat a delivery of an earlier shard: found by a shuffle of key hashes."""
    import dask
    import dask.dataframe as dd

    from ..dask_log import compute

    meta = pd.DataFrame(
        {_KEY: pd.Series(dtype=np.uint64), _SHARD: pd.Series(dtype=np.int64), _ROW: pd.Series(dtype=np.int64)}
    )
    tables = dd.from_delayed(
        [dask.delayed(_keys_table)(s, i) for i, s in enumerate(read)], meta=meta, verify_meta=False
    )
    shuffled = tables.shuffle(on=_KEY, npartitions=max(1, len(read)))
    (later,) = compute(shuffled.map_partitions(_later_copies, meta=meta[[_SHARD, _ROW]]))
    return {int(s): np.sort(rows[_ROW].to_numpy()) for s, rows in later.groupby(_SHARD)}


@dataclass
class _Stitched:
    """What stitching did to one shard: its anonymous ids given to a user, those users, the events moved."""

    linked: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    targets: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    events: int = 0
    ambiguous: int = 0


@dataclass
class _Finished:
    """One shard stitched and validated: its canonical rows and what it adds to the log's report."""

    frame: pd.DataFrame
    counts: Counts
    stitched: _Stitched
    unreadable: int = 0
    invalid: int = 0
    dropped: pd.DataFrame = field(default_factory=lambda: _no_rows())
    session_field: str | None = None
    input_names: dict = field(default_factory=dict)
    columns: dict = field(default_factory=dict)
    events: int = 0


def _finish_shard(
    shard: _Read, links: list, repeated: np.ndarray, offset: int, on_invalid: str, validation: dict
) -> _Finished:
    """The shard without the deliveries an earlier shard holds, stitched with every shard's links, then
    validated by :func:`journey.read_events` (its errors name the shard's file and line).
    """
    from ..events import read_events

    repeated = np.asarray(repeated, dtype=np.int64)
    loaded = _without(shard.loaded, repeated[repeated >= 0])
    if len(repeated) and getattr(_module(loaded.format or ""), "DROPS_EMPTY_COLUMNS", False):
        # A column only the repeated deliveries filled is empty now, as it is in the local read.
        roles = set(loaded.names.values())
        frame = loaded.frame
        loaded.frame = frame.drop(columns=[c for c in frame.columns if c not in roles and frame[c].isna().all()])
    not_events = Counter(loaded.counts.not_events)
    if loaded.not_event_keys is not None:  # records that are not events, delivered again in this shard
        not_events.subtract(loaded.not_event_keys["kind"].to_numpy()[-1 - repeated[repeated < 0]].tolist())
    loaded.counts = replace(
        loaded.counts,
        duplicates=loaded.counts.duplicates + len(repeated),
        not_events={kind: n for kind, n in not_events.items() if n},
    )
    stitched = _stitch(loaded, links)
    unreadable = sum(len(p.records) for p in loaded.problems)
    if not len(loaded.frame):
        return _Finished(_empty_rows(), loaded.counts, stitched, unreadable)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)  # the client warns once for every shard
        try:
            # read_events takes a Loaded as its source: the shard is validated as it was read, not read again
            log = read_events(cast(Any, loaded), format=loaded.format, on_invalid=cast(Any, on_invalid), **validation)
        except EmptyLogError:  # every event of the shard invalid, in lenient mode
            if on_invalid != "drop":
                raise
            return _Finished(_empty_rows(), loaded.counts, stitched, unreadable, len(loaded.frame))
    frame = log.frame
    frame = frame.assign(event=frame["event"].astype("str"))
    dropped = log.dropped.assign(row=log.dropped["row"] + offset) if len(log.dropped) else log.dropped
    columns = {str(c): frame[c].dtype for c in frame.columns}
    invalid = log.report.invalid if log.report is not None else 0
    return _Finished(
        frame, loaded.counts, stitched, unreadable, invalid, dropped, log.session_source, log.input_names, columns
    )


def _stitch(loaded: Loaded, links: list) -> _Stitched:
    """Stitch the shard's user column in place with every shard's links (the global identity map)."""
    user = loaded.names["user"]
    loaded.identities = None
    if not links or user not in loaded.frame.columns or not len(loaded.frame):
        return _Stitched()
    users = loaded.frame[user]
    resolved = resolve(users, links)
    if resolved is None:
        return _Stitched()
    mapping, ambiguous = resolved
    present = mapping.reindex(pd.unique(users.dropna()))
    present = present[present.notna()]
    stitched, done = stitch(users, links)
    loaded.frame = loaded.frame.assign(**{user: stitched})
    return _Stitched(present.index.to_numpy(dtype=object), present.to_numpy(dtype=object), done.events, ambiguous)


def _without(loaded: Loaded, rows: np.ndarray) -> Loaded:
    """A copy of ``loaded`` without the frame rows ``rows`` (and their origin and tiebreak)."""
    keep = np.ones(len(loaded.frame), dtype=bool)
    keep[np.asarray(rows, dtype=np.int64)] = False
    if keep.all():
        return replace(loaded)
    origin: Origin | None = loaded.origin.take(keep) if loaded.origin is not None else None
    return replace(
        loaded,
        frame=loaded.frame[keep].reset_index(drop=True),
        origin=origin,
        tiebreak=tuple(t[keep] for t in loaded.tiebreak),
    )


def _empty_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user": pd.Series(dtype="str"),
            "time": pd.Series(dtype="datetime64[ns, UTC]"),
            "event": pd.Series(dtype="str"),
        }
    )


def _no_rows() -> pd.DataFrame:
    from ..events import empty_dropped

    return empty_dropped()


def _summary(shard: _Finished) -> _Finished:
    """The shard's finished state without its rows: what the client adds up."""
    return replace(shard, frame=shard.frame.iloc[:0], events=len(shard.frame))


def _conform(shard: _Finished, columns: dict[str, Any]) -> pd.DataFrame:
    """The shard's rows with every column of the log, in the log's order and type (NA where it has none)."""
    frame = shard.frame
    out = {}
    for name, dtype in columns.items():
        if name in frame.columns:
            values = frame[name]
            out[name] = values if values.dtype == dtype else values.astype(dtype)
        else:
            out[name] = pd.Series([None] * len(frame), dtype=dtype, index=frame.index)
    return pd.DataFrame(out, index=frame.index)


# ---------------------------------------------------------------------------------------------------
# on the client: the shards put together


def _union(shards: list[dict[str, Any]]) -> dict[str, Any]:
    """Every shard's columns in order of first appearance, each with the type that holds all its shards'."""
    seen: dict[str, list] = {}
    for columns in shards:
        for name, dtype in columns.items():
            seen.setdefault(name, []).append(dtype)
    if not seen:
        return {"user": np.dtype(object), "time": pd.DatetimeTZDtype("ns", "UTC"), "event": np.dtype(object)}
    out: dict[str, Any] = {}
    for name, dtypes in seen.items():
        first = dtypes[0]
        same = all(d == first for d in dtypes)
        everywhere = len(dtypes) == sum(1 for s in shards if s)
        numeric = all(
            pd.api.types.is_numeric_dtype(d) and not pd.api.types.is_bool_dtype(d) and not isinstance(d, pd.ArrowDtype)
            for d in dtypes
        )
        if not same and numeric:  # integers in one shard, floats (integers with gaps) in another: floats
            out[name] = np.dtype(np.float64)
        elif not same:
            out[name] = np.dtype(object)
        elif everywhere:
            out[name] = first
        elif pd.api.types.is_integer_dtype(first) and not isinstance(first, pd.ArrowDtype):
            out[name] = np.dtype(np.float64)
        elif pd.api.types.is_bool_dtype(first) and not isinstance(first, pd.ArrowDtype):
            out[name] = np.dtype(object)
        else:
            out[name] = first
    return out


def _report(format: str, infos: tuple, finished: tuple) -> ReadReport:
    """The log's report: the shards' counts added up, stitching counted over the whole export."""
    not_events: Counter = Counter()
    for shard in finished:
        not_events.update(shard.counts.not_events)
    linked = pd.unique(np.concatenate([s.stitched.linked for s in finished]))
    targets = pd.unique(np.concatenate([s.stitched.targets for s in finished]))
    return ReadReport(
        format=format,
        files=len(infos),
        records=sum(info.records for info in infos),
        not_events=dict(not_events),
        duplicates=sum(s.counts.duplicates for s in finished),
        duplicate_key=finished[0].counts.duplicate_key,
        unreadable=sum(s.unreadable for s in finished),
        invalid=sum(s.invalid for s in finished),
        events=sum(s.events for s in finished),
        stitched_events=sum(s.stitched.events for s in finished),
        stitched_ids=len(linked),
        stitched_users=len(targets),
        ambiguous_ids=max((s.stitched.ambiguous for s in finished), default=0),
        session_field=next((s.session_field for s in finished if s.session_field), None),
    )


def _dropped(finished: tuple) -> pd.DataFrame:
    parts = [s.dropped for s in finished if len(s.dropped)]
    if not parts:
        return _no_rows()
    return pd.concat(parts, ignore_index=True).sort_values("row", kind="stable", ignore_index=True)
