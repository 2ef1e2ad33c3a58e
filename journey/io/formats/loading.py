"""The steps :func:`journey.read_events` takes around its validation for every format, tidy included.

Before validation: read the source (with the format's reader, or as a tidy table) and stitch identities.
After: say where an invalid row was read (file and line), list what was dropped, and write the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...errors import InvalidValuesError, JourneyError, RecordError, option
from ..identities import Identities, Stitching, identity_table, stitch
from .reader import Loaded, Problem, Request
from .report import ReadReport

__all__ = ["load_source", "refuse", "dropped_rows", "read_report", "check_format_options", "DEFAULT_NAMES"]

DEFAULT_NAMES = {"user": "user_id", "time": "timestamp", "event": "event"}


def load_source(
    source: Any,
    format: str | None,
    given: Mapping[str, str | None],
    encoding: str,
    on_invalid: str,
    identities: Identities | None,
    sep: str | None = None,
) -> tuple[Loaded, Stitching]:
    """The source read by its format's reader (or as a tidy table), with identities stitched."""
    from ..events import load_table
    from . import read_format

    if format is None:
        names = {role: given.get(role) or default for role, default in DEFAULT_NAMES.items()}
        raw, description = load_table(source, names, encoding, sep)
        loaded = Loaded(raw, names, description)
    else:
        request = Request(
            format,
            user=given.get("user"),
            time=given.get("time"),
            event=given.get("event"),
            encoding=encoding,
            on_invalid="drop" if on_invalid == "drop" else "raise",
        )
        loaded = read_format(format, source, request)
    links = [identity_table(identities)] if identities is not None else []
    links += [loaded.identities] if loaded.identities is not None else []
    user = loaded.names["user"]
    if not links or user not in loaded.frame.columns:
        return loaded, Stitching()
    users, done = stitch(loaded.frame[user], links)
    if done.events:
        loaded.frame = loaded.frame.assign(**{user: users})
    return loaded, done


def refuse(loaded: Loaded, rows: np.ndarray, column: str, reason: str, values: pd.Series) -> JourneyError:
    """The error for invalid rows: with the file and line they were read at, when they come from files."""
    from ..events import drop_advice

    if loaded.origin is None:
        return InvalidValuesError(column, reason, rows.tolist(), values.tolist(), drop_advice())
    where = loaded.origin.take(rows)
    first = where.file == where.file[0]
    return RecordError(
        where.files[where.file[0]],
        where.line[first].tolist(),
        column,
        reason,
        values.to_numpy()[first].tolist(),
        where.record[first].tolist(),
        where.nouns[where.file[0]],
        drop_advice(),
    )


def dropped_rows(loaded: Loaded, table: pd.DataFrame) -> pd.DataFrame:
    """``log.dropped``: the rows validation dropped (``table``, frame rows) and the records the reader could
    not read; for files, with ``file`` and ``line`` and ``row`` counting records across the source.
    """
    if loaded.origin is None:
        return table
    where = loaded.origin.take(table["row"].to_numpy())
    files = np.asarray(where.files, dtype=object)
    rows = [
        pd.DataFrame(
            {
                "row": where.record,
                "file": files[where.file] if len(where.files) else [],
                "line": where.line,
                "column": table["column"].to_numpy(),
                "reason": table["reason"].to_numpy(),
                "value": table["value"].to_numpy(),
            }
        )
    ]
    rows += [_problem_rows(p) for p in loaded.problems]
    out = pd.concat(rows, ignore_index=True)
    out = out.astype({"row": np.int64, "line": np.int64})
    return out.sort_values("row", kind="stable", ignore_index=True)


def _problem_rows(problem: Problem) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": problem.records,
            "file": problem.file,
            "line": problem.lines,
            "column": problem.field,
            "reason": problem.reason,
            "value": pd.Series(problem.values, dtype=object),
        }
    )


def read_report(
    loaded: Loaded, stitching: Stitching, n_events: int, n_invalid: int, identities_given: bool
) -> ReadReport | None:
    """The log's report, for reads with a format or with identities (None for a plain tidy read)."""
    if loaded.format is None and not identities_given:
        return None
    c = loaded.counts
    unreadable = sum(len(p.records) for p in loaded.problems)
    records = c.records if loaded.format is not None else n_events + n_invalid
    return ReadReport(
        format=loaded.format,
        files=c.files,
        records=records,
        not_events=dict(c.not_events),
        duplicates=c.duplicates,
        duplicate_key=c.duplicate_key,
        unreadable=unreadable,
        invalid=n_invalid,
        events=n_events,
        stitched_events=stitching.events,
        stitched_ids=stitching.ids,
        stitched_users=stitching.users,
        ambiguous_ids=stitching.ambiguous,
        session_field=loaded.session_field,
    )


def check_format_options(format: str | None, engine: str, identities: Any) -> None:
    """Options that do not go together (yet): a tidy table is stitched in memory only.

    On Dask, the vendor exports are read shard by shard and stitched across shards
    (:mod:`journey.io.formats.shards`, which also refuses the formats read in memory).
    """
    if engine == "dask" and format is None and identities is not None:
        raise JourneyError(
            f"{option('identities')} stitches a tidy table in memory; with {option('engine', 'dask')}, map the "
            f"user column before reading (exports read with {option('format')} are stitched on Dask)"
        )
