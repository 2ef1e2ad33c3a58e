"""Nested export records made flat, in Arrow and without a Python loop per record.

* struct fields become dotted columns: ``device.category``, ``geo.country``, ``context.page.url``;
* key/value lists (GA4's ``event_params``, ``user_properties``) become one column per key, typed by the
  value field the key uses (``string_value``, ``int_value``, ``float_value``, ``double_value``);
* a prefix is taken off (``properties.plan`` becomes ``plan``) unless the shorter name is taken.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = ["flatten", "key_values", "hoist", "drop_columns", "column_or_none", "RESERVED"]

#: Names journey gives its own columns: a source field of that name keeps its prefix.
RESERVED = frozenset({"user", "time", "event", "session"})


def flatten(table: Any) -> Any:
    """Struct columns split into dotted columns, recursively (``device.web_info.browser``); lists stay."""
    import pyarrow as pa

    while any(pa.types.is_struct(f.type) for f in table.schema):
        empty = [f.name for f in table.schema if pa.types.is_struct(f.type) and f.type.num_fields == 0]
        table = table.drop_columns(empty).flatten()
    return table


def key_values(column: Any, n_rows: int, value_fields: Sequence[str]) -> dict[str, Any]:
    """One Arrow array of ``n_rows`` values per key of a ``list<struct<key, value: struct<...>>>`` column.

    Each key's values come from the value fields it uses: one field gives its type; integers and floats
    together give floats; text among numbers gives text (numbers written as text). A row without the key
    holds null; a key given twice in one row keeps the last. Numeric fields that arrive as text (BigQuery
    writes INT64 as text in JSON) are read as numbers.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    # Chunk by chunk as read (combining the chunks of a nested column would copy it): parent indices of a
    # chunked list count from the start of the whole column, and the key dictionaries are unified once.
    lists = column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])
    flat = pc.list_flatten(lists)
    if len(flat) == 0:
        return {}
    parents = pc.list_parent_indices(lists).to_numpy()
    names = flat.type.names

    def child(name: str, within: Any = None) -> Any:
        chunks = [(c if within is None else c.field(names.index(within))) for c in flat.chunks]
        return pa.chunked_array([c.field(c.type.get_field_index(name)) for c in chunks])

    keys = child("key")
    if not pa.types.is_dictionary(keys.type):
        keys = pc.dictionary_encode(keys)
    keys = keys.unify_dictionaries()
    dictionary = keys.chunk(0).dictionary if keys.num_chunks else pa.array([], pa.string())
    codes = np.concatenate([c.indices.fill_null(-1).to_numpy(zero_copy_only=False) for c in keys.chunks])
    value_type = flat.type.field("value").type if "value" in names else None
    fields = {
        f: _numeric(child(f, "value"), f)
        for f in value_fields
        if value_type is not None and value_type.get_field_index(f) >= 0
    }
    fields = {f: a for f, a in fields.items() if a.null_count < len(a)} or dict(list(fields.items())[:1])
    n_keys = len(dictionary)
    # Which value fields each key uses, counted in one hash aggregation: only those are taken for it.
    used = {f: np.zeros(n_keys, dtype=np.int64) for f in fields}
    if fields:
        counted = (
            pa.table({"k": pa.array(codes), **{f"v{i}": a for i, a in enumerate(fields.values())}})
            .group_by("k")
            .aggregate([(f"v{i}", "count") for i in range(len(fields))])
        )
        k_of = counted.column("k").to_numpy()
        valid = k_of >= 0
        for i, f in enumerate(fields):
            used[f][k_of[valid]] = counted.column(f"v{i}_count").to_numpy()[valid]
    # Arrow's take on a chunked array joins its chunks on every call: join each used field once.
    fields = {f: _whole(a) for f, a in fields.items() if used[f].any()} or {
        f: _whole(a) for f, a in list(fields.items())[:1]
    }
    entries = _entries_by_key(codes, n_keys)
    result: dict[str, Any] = {}
    for k, name in enumerate(dictionary.to_pylist()):
        chosen = entries(k)
        if not len(chosen) or name is None:
            continue
        # One take per field straight from the flat entries to the rows (a row without the key: null).
        where = np.full(n_rows, -1, dtype=np.int64)
        where[parents[chosen]] = chosen
        index = pa.array(where, mask=where < 0)
        present = [a for f, a in fields.items() if used[f][k]] or list(fields.values())[:1]
        result[name] = _one_type([a.take(index) for a in present]) if present else pa.nulls(n_rows, pa.string())
    return result


def _whole(array: Any) -> Any:
    """One Arrow array of a chunked one (the columns built here are one chunk each)."""
    import pyarrow as pa

    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _entries_by_key(codes: np.ndarray, n_keys: int) -> Any:
    """A function giving the entries (positions in ``codes``) of each key, in order.

    Few keys (GA4 events carry a handful of parameters): one comparison pass per key. Many: one sort.
    """
    if n_keys <= 32:
        return lambda k: np.flatnonzero(codes == k)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n_keys + 1))
    return lambda k: order[bounds[k] : bounds[k + 1]]


def _numeric(array: Any, name: str) -> Any:
    """A value field in its type: ``int_value`` as int64, ``float_value``/``double_value`` as float64."""
    import pyarrow as pa
    import pyarrow.compute as pc

    target = pa.int64() if name == "int_value" else pa.float64() if name in ("float_value", "double_value") else None
    if target is None or array.type == target:
        return array
    try:
        return pc.cast(array, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return array  # text that is not a number stays text; _one_type then keeps the key as text


def _one_type(arrays: list[Any]) -> Any:
    """The first non-null value of each position across ``arrays``, in one type (see :func:`key_values`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    used = [a for a in arrays if a.null_count < len(a)]
    if not used:
        return pa.nulls(len(arrays[0]) if arrays else 0, type=pa.string())
    kinds = {
        (
            "text"
            if pa.types.is_string(a.type) or pa.types.is_large_string(a.type)
            else "int"
            if pa.types.is_integer(a.type)
            else "float"
        )
        for a in used
    }
    target = pa.string() if "text" in kinds else pa.float64() if "float" in kinds else pa.int64()
    cast = [a if a.type == target else pc.cast(a, target) for a in used]
    return cast[0] if len(cast) == 1 else pc.coalesce(*cast)


def hoist(table: Any, prefix: str, taken: Iterable[str] = ()) -> Any:
    """Columns ``prefix.name`` renamed ``name``, unless ``name`` is a column already, reserved or in ``taken``."""
    start = prefix + "."
    names = list(table.column_names)
    existing = set(names) | RESERVED | set(taken)
    renamed = []
    for name in names:
        short = name[len(start) :] if name.startswith(start) else None
        if short and short not in existing:
            existing.add(short)
            renamed.append(short)
        else:
            renamed.append(name)
    return table.rename_columns(renamed)


def drop_columns(table: Any, prefixes: Iterable[str]) -> Any:
    """``table`` without the columns named ``p`` or starting ``p.`` for each of ``prefixes``."""
    prefixes = tuple(prefixes)
    drop = [c for c in table.column_names if any(c == p or c.startswith(p + ".") for p in prefixes)]
    return table.drop_columns(drop)


def column_or_none(table: Any, name: str) -> Any:
    """The column ``name`` of ``table``, or None when the table has no such column."""
    return table.column(name) if name in table.column_names else None
