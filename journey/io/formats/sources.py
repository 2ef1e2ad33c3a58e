"""From what the user passed to Arrow tables: files, folders, globs, zip archives, gzip, DataFrames.

Every reader reads through here, so every format accepts the same kinds of source, reads gzip
transparently, numbers records the same way (:class:`~journey.io.formats.reader.Origin`) and reports a
malformed JSON line the same way. JSON lines are parsed by ``pyarrow.json`` (vectorised, multi-threaded);
only a file it refuses is read line by line, to name the bad lines and keep the good ones.
"""

from __future__ import annotations

import glob
import gzip
import json
import os
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...errors import EncodingError, SourceError, option
from .reader import Origin, Problem, Problems

__all__ = ["Piece", "pieces", "read_piece", "table_of_frame", "concat_tables", "to_pandas", "JSON_KINDS"]

#: File name endings (before an optional ``.gz``) and what they hold.
JSON_KINDS = {".json": "json", ".jsonl": "json", ".ndjson": "json"}
_GZIP = b"\x1f\x8b"
_ZIP = b"PK\x03\x04"
_PARQUET = b"PAR1"
_GLOB_CHARS = set("*?[")
_JSON_NAMES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}
#: pyarrow.json parses blocks of this size in parallel; a single line longer than that is read line by line.
_BLOCK = 8 << 20


@dataclass(frozen=True)
class Piece:
    """One file to read: a path, or a member of a zip archive. ``name`` is how messages call it."""

    name: str
    kind: str
    path: Path
    member: str | None = None

    def data(self) -> bytes:
        """The file's bytes, decompressed when they are gzip."""
        if self.member is not None:
            with zipfile.ZipFile(self.path) as archive:
                raw = archive.read(self.member)
        else:
            raw = self.path.read_bytes()
        if raw[:2] == _GZIP:
            try:
                return gzip.decompress(raw)
            except (OSError, EOFError) as exc:
                raise SourceError(f"{self.name}: a damaged gzip file ({exc})") from None
        return raw


def pieces(source: Any, kinds: Mapping[str, str], what: str) -> list[Piece]:
    """The files ``source`` names (a file, a folder, a glob), each with the kind its name or bytes say.

    ``kinds`` maps name endings (``".parquet"``) to kinds (``"parquet"``, ``"json"``, ``"csv"``, ``"zip"``);
    ``what`` names the format in messages. Folders are searched recursively; files are read in sorted
    order, zip members in archive order.
    """
    if isinstance(source, Piece):  # one shard of a source, read on its own (engine="dask")
        return [source]
    if not isinstance(source, (str, os.PathLike)):
        raise SourceError(
            f"source must be a file, a folder, a glob of files or a pandas DataFrame, not {type(source).__name__}"
        )
    text = os.fspath(source)
    if _GLOB_CHARS & set(text) and not Path(text).exists():
        paths = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        found = [p for p in paths if _kind(p.name, kinds)]
        if not found:
            raise SourceError(
                f"{text}: no {_accepted(kinds)} file matches this pattern"
                + (f" ({len(paths):,} other files do)" if paths else "")
            )
        return [piece for p in found for piece in _expand(p, _kind(p.name, kinds) or "", kinds, what)]
    path = Path(text)
    if path.is_dir():
        found = sorted(
            (p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".") and _kind(p.name, kinds)),
            key=lambda p: p.relative_to(path).as_posix(),
        )
        if not found:
            raise SourceError(f"{path}: the folder holds no {_accepted(kinds)} file")
        return [piece for p in found for piece in _expand(p, _kind(p.name, kinds) or "", kinds, what)]
    if not path.is_file():
        raise SourceError(f"{path}: file does not exist (working directory: {Path.cwd()})")
    kind = _sniff(path) or _kind(path.name, kinds)
    if kind is None or kind not in set(kinds.values()):
        raise SourceError(
            f"{path}: not a file the {what} reader reads; it reads {_accepted(kinds)} files "
            f"(gzipped too), folders and globs of them"
        )
    return _expand(path, kind, kinds, what)


def _expand(path: Path, kind: str, kinds: Mapping[str, str], what: str) -> list[Piece]:
    if kind != "zip":
        return [Piece(str(path), kind, path)]
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m.filename for m in archive.infolist() if not m.is_dir()]
    except zipfile.BadZipFile as exc:
        raise SourceError(f"{path}: not a readable zip archive ({exc})") from None
    inner = {end: k for end, k in kinds.items() if k != "zip"}
    found = [(m, _kind(m, inner)) for m in members if not Path(m).name.startswith(".")]
    found = [(m, k) for m, k in found if k]
    if not found:
        raise SourceError(f"{path}: the archive holds no {_accepted(inner)} file for the {what} reader")
    return [Piece(f"{path}:{m}", k or "", path, m) for m, k in found]


def _kind(name: str, kinds: Mapping[str, str]) -> str | None:
    lower = name.lower()
    lower = lower[:-3] if lower.endswith(".gz") else lower
    return next((k for end, k in kinds.items() if lower.endswith(end)), None)


def _sniff(path: Path) -> str | None:
    """The kind of a file by its first bytes (gzip looked inside), or None when they say nothing."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head == _PARQUET:
        return "parquet"
    if head == _ZIP:
        return "zip"
    if head[:2] == _GZIP:
        try:
            with gzip.open(path, "rb") as handle:
                head = handle.read(64).lstrip()
        except (OSError, EOFError):
            return None
        return "json" if head[:1] in (b"{", b"[") else None
    return None


def _accepted(kinds: Mapping[str, str]) -> str:
    return ", ".join(kinds)


# ---------------------------------------------------------------------------------------------------
# reading one piece


def read_piece(
    piece: Piece,
    problems: Problems,
    first_record: int,
    encoding: str = "utf-8",
    schema: Any = None,
    dictionary: Sequence[str] = (),
) -> tuple[Any, Origin, int]:
    """The Arrow table of one file, where each row was read, and how many records the file held.

    Malformed JSON lines are reported to ``problems`` (raised, or kept for ``log.dropped``) and skipped;
    ``schema`` (a ``pyarrow.Schema``) fixes the type of the fields it names in JSON files; Parquet columns
    named in ``dictionary`` (paths such as ``event_params.list.element.key``) are read dictionary-encoded,
    which spares decoding and hashing text that repeats.
    """
    if piece.kind == "parquet":
        import pyarrow.parquet as pq

        try:
            source = piece.path if piece.member is None else _buffer(piece.data())
            table = pq.read_table(source, read_dictionary=list(dictionary) or None)
        except Exception as exc:  # pyarrow raises several unrelated types for a damaged file
            raise SourceError(f"{piece.name}: not a readable Parquet file ({type(exc).__name__}: {exc})") from None
        lines = np.arange(1, table.num_rows + 1)
        return table, Origin.of_file(piece.name, "record", lines, first_record), table.num_rows
    if piece.kind == "csv":
        return _read_csv(piece, first_record, encoding)
    return json_lines(piece.data(), piece.name, problems, first_record, encoding, schema)


def _buffer(data: bytes) -> Any:
    import pyarrow as pa

    return pa.BufferReader(data)


def json_lines(
    data: bytes, name: str, problems: Problems, first_record: int = 0, encoding: str = "utf-8", schema: Any = None
) -> tuple[Any, Origin, int]:
    """Newline-delimited JSON (or one JSON array of objects) as an Arrow table, with each row's line."""
    import pyarrow as pa
    import pyarrow.json as pj

    if encoding.lower().replace("-", "") not in ("utf8", "ascii"):
        data = _recode(data, name, encoding)
    if data.lstrip()[:1] != b"[":
        try:
            table = pj.read_json(
                pa.BufferReader(data),
                read_options=pj.ReadOptions(block_size=_BLOCK),
                parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer"),
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            table = None
        if table is not None:
            lines = _record_lines(data, table.num_rows)
            if lines is not None:
                return table, Origin.of_file(name, "line", lines, first_record), table.num_rows
    return _careful(data, name, problems, first_record, schema)


def _recode(data: bytes, name: str, encoding: str) -> bytes:
    try:
        return data.decode(encoding).encode("utf-8")
    except UnicodeDecodeError as exc:
        raise EncodingError(
            f"{name}: cannot be decoded as {encoding!r} (byte {exc.object[exc.start : exc.start + 1]!r} "
            f"at offset {exc.start}); pass the file's encoding with {option('encoding', 'utf-8')}"
        ) from None
    except LookupError:
        raise EncodingError(f"{option('encoding', encoding)}: not an encoding Python knows") from None


def _record_lines(data: bytes, n_rows: int) -> np.ndarray | None:
    """1-based line of each record: cheap when every line holds one (no blank lines), exact otherwise."""
    n_lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    if n_lines == n_rows:
        return np.arange(1, n_rows + 1, dtype=np.int64)
    buf = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    starts = np.r_[0, ends + 1]
    ends = np.r_[ends, len(buf)]
    solid = np.cumsum(~np.isin(buf, (9, 10, 13, 32)), dtype=np.int64)
    solid = np.r_[0, solid]
    lines = np.flatnonzero(solid[ends] - solid[starts] > 0) + 1
    return lines if len(lines) == n_rows else None  # a record spread over lines: read line by line


def _careful(data: bytes, name: str, problems: Problems, first_record: int, schema: Any) -> tuple[Any, Origin, int]:
    """Line by line: name each malformed line, keep the others (pyarrow refused the file as a whole)."""
    records: list[dict] = []
    lines: list[int] = []
    bad: list[tuple[int, str]] = []
    text = data.lstrip()
    if text[:1] == b"[":  # one JSON array of objects rather than one object per line
        try:
            values = json.loads(text)
        except ValueError as exc:
            raise SourceError(f"{name}: starts like a JSON array but is not valid JSON ({exc})") from None
        numbered: Iterator[tuple[int, Any]] = enumerate(values, start=1)
        noun = "record"
    else:
        numbered = _parsed_lines(data, bad)
        noun = "line"
    for number, value in numbered:
        if isinstance(value, dict):
            records.append(value)
            lines.append(number)
        else:
            bad.append((number, f"a JSON {_JSON_NAMES.get(type(value), 'value')}, not an object"))
    n_records = len(records) + len(bad)
    if bad:
        bad.sort()
        where = np.array([b[0] for b in bad], dtype=np.int64)
        order = np.argsort(np.r_[np.array(lines, dtype=np.int64), where], kind="stable")
        record_of = np.empty(n_records, dtype=np.int64)
        record_of[order] = np.arange(first_record, first_record + n_records)
        problems.add(Problem(name, noun, where, None, "malformed JSON", [b[1] for b in bad], record_of[len(lines) :]))
        good_records = record_of[: len(lines)]
    else:
        good_records = np.arange(first_record, first_record + len(lines), dtype=np.int64)
    table = table_of_records(records, schema)
    line_array = np.array(lines, dtype=np.int64)
    origin = Origin((name,), (noun,), np.zeros(len(lines), dtype=np.int32), line_array, good_records)
    return table, origin, n_records


def _parsed_lines(data: bytes, bad: list[tuple[int, str]]) -> Iterator[tuple[int, Any]]:
    for number, raw in enumerate(data.split(b"\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            yield number, json.loads(line)
        except UnicodeDecodeError as exc:
            bad.append((number, f"not UTF-8 text (byte {exc.object[exc.start : exc.start + 1]!r})"))
        except ValueError as exc:
            column = getattr(exc, "colno", None)
            bad.append((number, f"{getattr(exc, 'msg', exc)}" + (f" at column {column}" if column else "")))


def table_of_records(records: list[dict], schema: Any = None) -> Any:
    """Python records as an Arrow table; a field whose values mix types becomes text (JSON for objects)."""
    import pyarrow as pa
    import pyarrow.json as pj

    if not records:
        return pa.table({})
    # The records are fine one by one; pyarrow refused them together only for mixed types or long lines.
    # Re-serialised, the fields that agree keep Arrow's inference; the others are made text below.
    try:
        payload = "\n".join(json.dumps(r, separators=(",", ":")) for r in records).encode()
        return pj.read_json(
            pa.BufferReader(payload),
            read_options=pj.ReadOptions(block_size=max(_BLOCK, len(payload) + 1)),
            parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer"),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    flat = pd.json_normalize(records)
    return table_of_frame(flat)


def table_of_frame(frame: pd.DataFrame) -> Any:
    """A DataFrame as an Arrow table; a column Arrow cannot type (mixed values) becomes text."""
    import pyarrow as pa

    columns = {}
    for name in frame.columns:
        values = frame[name]
        try:
            columns[str(name)] = pa.array(values, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            columns[str(name)] = pa.array([None if _missing(v) else _text(v) for v in values], type=pa.string())
    return pa.table(columns)


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text(value: Any) -> str:
    return (
        value
        if isinstance(value, str)
        else json.dumps(value, default=str)
        if isinstance(value, (dict, list))
        else str(value)
    )


def _read_csv(piece: Piece, first_record: int, encoding: str) -> tuple[Any, Origin, int]:
    """A CSV file with every column as text (ids stay ``007``; the reader types what it needs)."""
    import csv
    import io

    import pyarrow as pa
    import pyarrow.csv as pcsv

    data = piece.data()
    if encoding.lower().replace("-", "") not in ("utf8", "ascii"):
        data = _recode(data, piece.name, encoding)
    try:
        header = next(csv.reader(io.StringIO(data[: 1 << 20].decode("utf-8", "replace").split("\n", 1)[0])))
    except StopIteration:
        raise SourceError(f"{piece.name}: the file is empty (no header, no rows)") from None
    try:
        table = pcsv.read_csv(
            pa.BufferReader(data),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(
                column_types={c: pa.string() for c in header}, strings_can_be_null=True
            ),
        )
    except pa.ArrowInvalid as exc:
        raise SourceError(f"{piece.name}: not a well-formed CSV file ({exc})") from None
    # Line numbers as an editor shows them when no quoted value spans lines (the header is line 1).
    lines = np.arange(2, table.num_rows + 2, dtype=np.int64)
    return table, Origin.of_file(piece.name, "line", lines, first_record), table.num_rows


# ---------------------------------------------------------------------------------------------------
# putting tables together


def concat_tables(tables: list[Any]) -> Any:
    """Tables read from several files, one after the other; columns missing from some are null there.

    A column typed differently in two files (a number here, text there) becomes text in all of them.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    tables = [t for t in tables if t.num_columns] or tables[:1]
    if len(tables) == 1:
        return tables[0]
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    types: dict[str, set] = {}
    for t in tables:
        for f in t.schema:
            types.setdefault(f.name, set()).add(f.type)
    mixed = {name for name, seen in types.items() if len(seen) > 1}
    fixed = []
    for t in tables:
        for name in mixed & set(t.column_names):
            i = t.column_names.index(name)
            column = t.column(i)
            if not pa.types.is_string(column.type):
                try:
                    column = pc.cast(column, pa.string())
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    column = pa.array(
                        [None if v is None else json.dumps(v, default=str) for v in column.to_pylist()],
                        type=pa.string(),
                    )
            t = t.set_column(i, name, column)
        fixed.append(t)
    return pa.concat_tables(fixed, promote_options="permissive")


def to_pandas(table: Any) -> pd.DataFrame:
    """An Arrow table as a DataFrame: text stays Arrow-backed, nested values (lists, structs) stay Arrow."""
    import pyarrow as pa

    def mapper(kind: Any) -> Any:
        nested = (
            pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_struct(kind) or pa.types.is_map(kind)
        )
        return pd.ArrowDtype(kind) if nested else None

    return table.to_pandas(types_mapper=mapper)


# ---------------------------------------------------------------------------------------------------
# a whole source


@dataclass
class Gathered:
    """Every file of a source read and put together: the table, where each row came from, what went wrong."""

    table: Any
    origin: Origin
    problems: Problems
    description: str
    files: int
    records: int


def gather(
    source: Any,
    on_invalid: str,
    kinds: Mapping[str, str],
    what: str,
    prepare: Any = None,
    encoding: str = "utf-8",
    schema: Any = None,
    dictionary: Sequence[str] = (),
) -> Gathered:
    """Read every file of ``source`` (or a DataFrame), ``prepare`` each table (flattening it), and concatenate.

    ``prepare(table)`` runs on each file's table before they are put together, so files whose nested
    fields differ (JSON leaves out empty fields) meet as flat columns.
    """
    problems = Problems(on_invalid)
    prepare = prepare or (lambda table: table)
    if isinstance(source, pd.DataFrame):
        table = table_of_frame(source)
        origin = Origin.of_file("DataFrame", "row", np.arange(len(source)))
        return Gathered(prepare(table), origin, problems, "DataFrame", 0, len(source))
    found = pieces(source, kinds, what)
    tables, origins, n = [], [], 0
    for piece in found:
        table, origin, held = read_piece(piece, problems, n, encoding, schema, dictionary)
        tables.append(prepare(table))
        del table  # the nested columns are not needed once flat
        origins.append(origin)
        n += held
    description = found[0].name if len(found) == 1 else f"{os.fspath(source)} ({len(found):,} files)"
    return Gathered(concat_tables(tables), Origin.concat(origins), problems, description, len(found), n)


def parse_json_column(g: Gathered, name: str) -> None:
    """The text column ``name`` of JSON objects (PostHog's ``properties``) replaced by their fields, dotted
    (``name.field``). All rows are parsed at once by ``pyarrow.json``; only when it refuses them are they
    parsed one by one, so that a malformed value is refused with its file, line and field.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj

    from .nested import flatten

    column = g.table.column(name)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return
    texts = pc.cast(column, pa.large_string())
    blank = pc.or_(pc.is_null(texts), pc.equal(pc.utf8_trim_whitespace(texts.fill_null("")), ""))
    texts = pc.if_else(blank, pa.scalar("{}", pa.large_string()), texts)
    texts = pc.if_else(pc.equal(texts, "null"), pa.scalar("{}", pa.large_string()), texts)
    n = len(texts)
    parsed = None
    if n:
        joined = _joined_lines(texts)
        try:
            parsed = pj.read_json(
                pa.BufferReader(joined),
                read_options=pj.ReadOptions(block_size=_BLOCK),
                parse_options=pj.ParseOptions(newlines_in_values=True),
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            parsed = None
        if parsed is not None and parsed.num_rows != n:
            parsed = None
    if parsed is None:
        parsed = _json_rows(g, name, texts.to_pylist())
    fields = flatten(parsed)
    table = g.table.drop_columns([name])
    for field_name in fields.column_names:
        table = table.append_column(f"{name}.{field_name}", fields.column(field_name))
    g.table = table


def _joined_lines(texts: Any) -> Any:
    """One buffer of the texts, a newline after each: the values buffer of the texts with newlines added."""
    import pyarrow as pa
    import pyarrow.compute as pc

    newline, nothing = pa.scalar("\n", pa.large_string()), pa.scalar("", pa.large_string())
    lines = pc.binary_join_element_wise(texts, newline, nothing)
    lines = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
    return lines.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0]))


def _json_rows(g: Gathered, name: str, texts: list) -> Any:
    """The values parsed one by one: a malformed one is refused (file, line, field) and its record dropped."""
    from .records import keep_rows

    records: list[dict] = []
    bad = np.zeros(len(texts), dtype=bool)
    reasons: list[str] = []
    for i, value in enumerate(texts):
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            bad[i] = True
            reasons.append(f"{getattr(exc, 'msg', exc)} at column {getattr(exc, 'colno', '?')}")
            continue
        if not isinstance(parsed, dict):
            bad[i] = True
            reasons.append(f"a JSON {_JSON_NAMES.get(type(parsed), 'value')}, not an object")
            continue
        records.append(parsed)
    if bad.any():
        g.problems.at(g.origin, bad, name, "malformed JSON", reasons)
        keep_rows(g, ~bad)
    return table_of_records(records) if records else _empty(len(records))


def _empty(n: int) -> Any:
    import pyarrow as pa

    return pa.table({"__empty__": pa.nulls(n)}).drop_columns(["__empty__"])
