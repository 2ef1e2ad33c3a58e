"""Steps every reader takes on its records: required fields, repeated deliveries, UTC times, identity links.

They work on a :class:`~journey.io.formats.sources.Gathered` source (an Arrow table and where each row was
read), drop the rows they refuse together with their origin, and report each refusal with its file, line
and field through :class:`~journey.io.formats.reader.Problems`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .reader import Counts, Loaded
from .sources import Gathered, to_pandas

__all__ = ["keep_rows", "require", "duplicated", "utc_times", "epoch_times", "text", "identity_pairs", "loaded"]


def keep_rows(g: Gathered, keep: np.ndarray) -> None:
    """Keep only the rows ``keep`` (a boolean mask) of the table and of its origin."""
    import pyarrow as pa

    if not keep.all():
        g.table = g.table.filter(pa.array(keep))
        g.origin = g.origin.take(keep)


def text(g: Gathered, name: str) -> np.ndarray | None:
    """The column ``name`` as an object array of text (None where missing), or None when it is absent."""
    if name not in g.table.column_names:
        return None
    values = g.table.column(name).to_pandas()
    return values.astype(object).where(values.notna(), None).to_numpy() if len(values) else np.array([], dtype=object)


def missing(g: Gathered, name: str) -> np.ndarray:
    """Rows whose ``name`` is null or blank text (every row when the column is absent)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if name not in g.table.column_names:
        return np.ones(g.table.num_rows, dtype=bool)
    column = g.table.column(name)
    bad = column.is_null()
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        bad = pc.or_kleene(bad, pc.equal(pc.utf8_trim_whitespace(column), ""))
    return np.asarray(bad.to_numpy(zero_copy_only=False), dtype=bool)


def require(g: Gathered, name: str, rows: np.ndarray | None = None, label: str | None = None) -> None:
    """Refuse the records (among ``rows``, a mask; all by default) where the field ``name`` is missing or blank."""
    bad = missing(g, name)
    if rows is not None:
        bad &= rows
    if bad.any():
        values = (
            g.table.column(name).to_pandas().to_numpy()[bad]
            if name in g.table.column_names
            else [None] * int(bad.sum())
        )
        g.problems.at(g.origin, bad, label or name, "missing values", values)
        keep_rows(g, ~bad)


def duplicated(g: Gathered, keys: Sequence[str]) -> np.ndarray:
    """Rows repeating an earlier row in every one of ``keys``; a row missing one of them repeats nothing."""
    present = [k for k in keys if k in g.table.column_names]
    if len(present) < len(keys) or not g.table.num_rows:
        return np.zeros(g.table.num_rows, dtype=bool)
    frame = pd.DataFrame({k: g.table.column(k).to_pandas() for k in present})
    complete = frame.notna().all(axis=1).to_numpy()
    repeated = frame.duplicated(keep="first").to_numpy()
    return repeated & complete


def utc_times(g: Gathered, name: str) -> None:
    """The text column ``name`` (ISO 8601, UTC where it carries no offset, as exports write it) as UTC times.

    Values that are not timestamps are refused with their file, line and field.
    """
    import pyarrow as pa

    if name not in g.table.column_names:
        return
    column = g.table.column(name)
    if pa.types.is_timestamp(column.type):
        parsed = column.to_pandas()
        if parsed.dt.tz is None:
            parsed = parsed.dt.tz_localize("UTC")
    else:
        raw = column.to_pandas()
        parsed = pd.to_datetime(raw, format="ISO8601", utc=True, errors="coerce")
        bad = (parsed.isna() & raw.notna()).to_numpy()
        if bad.any():
            g.problems.at(g.origin, bad, name, "values that are not ISO 8601 timestamps", raw.to_numpy()[bad])
            keep_rows(g, ~bad)
            parsed = parsed[~bad]
    _set(g, name, pa.array(parsed.dt.as_unit("us"), type=pa.timestamp("us", tz="UTC")))


def epoch_times(g: Gathered, name: str, unit_of: Any) -> None:
    """The numeric column ``name`` (epoch numbers) as UTC times, exact for whole numbers.

    ``unit_of(values)`` gives each value's unit as a power of ten of seconds: 0 for s, 3 for ms, 6 for us.
    Text that is not a number is refused with its file, line and field.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if name not in g.table.column_names:
        return
    column = g.table.column(name)
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        raw = column.to_pandas()
        numbers = pd.to_numeric(raw, errors="coerce")
        bad = (numbers.isna() & raw.notna()).to_numpy()
        if bad.any():
            g.problems.at(g.origin, bad, name, "values that are not epoch numbers", raw.to_numpy()[bad])
            keep_rows(g, ~bad)
        try:  # whole numbers stay exact: text is read as int64 when every value is one
            column = pc.cast(pa.array(raw[~bad], type=pa.string()), pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            column = pa.array(numbers[~bad], type=pa.float64())
    missing_values = np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if pa.types.is_integer(column.type):
        whole = np.asarray(column.fill_null(0).to_numpy(), dtype=np.int64)
        micros = whole * 10 ** (6 - np.asarray(unit_of(whole), dtype=np.int64))
    else:
        values = np.asarray(column.fill_null(0).to_numpy(), dtype=np.float64)
        micros = np.round(values * 10.0 ** (6 - np.asarray(unit_of(values)))).astype(np.int64)
    _set(g, name, pa.array(micros, type=pa.timestamp("us", tz="UTC"), mask=missing_values))


def _set(g: Gathered, name: str, array: Any) -> None:
    i = g.table.column_names.index(name)
    g.table = g.table.set_column(i, name, array)


def identity_pairs(anonymous: Any, user: Any, time: Any = None) -> pd.DataFrame:
    """The links (anonymous id, user id[, time]) where both ids are present, as :func:`journey.read_events`
    stitches them (the first link of an anonymous id in time order wins).
    """
    frame = pd.DataFrame({"anonymous": pd.Series(anonymous, dtype=object), "user": pd.Series(user, dtype=object)})
    if time is not None:
        frame["time"] = pd.Series(time).reset_index(drop=True)
    frame = frame[frame["anonymous"].notna() & frame["user"].notna()]
    return frame.drop_duplicates(["anonymous", "user"]).reset_index(drop=True)


def loaded(g: Gathered, names: dict[str, str], format: str, counts: Counts, **fields: Any) -> Loaded:
    """The reader's result from what it gathered (see :class:`~journey.io.formats.reader.Loaded`)."""
    counts.files, counts.records = g.files, g.records
    return Loaded(
        to_pandas(g.table),
        names,
        g.description,
        format=format,
        origin=g.origin,
        problems=g.problems.found,
        counts=counts,
        **fields,
    )
