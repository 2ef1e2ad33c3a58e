"""Event logs from SQL databases through SQLAlchemy: a query's result, or a whole table, streamed in chunks.

``read_events("postgresql://...", query="select ...")`` (or ``table="events"``) reads the rows the database
returns and validates their columns exactly as a tidy table's: ``user=``, ``time=`` and ``event=`` name
columns of the result, a ``timestamptz`` arrives in UTC, a naive ``timestamp`` is read in ``tz``, epoch
numbers need ``time_unit``. The source is a database URL (any SQLAlchemy dialect whose driver is
installed: ``postgresql://`` with psycopg, ``sqlite:///file.db``, ``duckdb:///file.duckdb`` with
duckdb-engine) or an SQLAlchemy ``Engine`` or ``Connection`` (left open, as it was given).

Streaming: the rows come in chunks of ``chunksize`` (a server-side cursor where the driver has one), so the
database never has to hand over the whole result at once, and long reads show their progress. The log itself
is held in memory, as every EventLog is.

The report
----------
The frame returned carries a :class:`~journey.io.formats.read_report.ReaderReport` as
``frame.attrs["journey_read"]``: ``records`` and ``rows`` (rows read), ``source`` (the URL without its
password), ``details["query"]`` (the SQL sent) and ``details["chunks"]``. Nothing is duplicated or dropped
by the reader; invalid rows are the validation's to drop (``on_invalid="drop"``).

Needs the ``sql`` extra: ``pip install 'journey[sql]'`` (SQLAlchemy 2), and the database's own driver.
"""

from __future__ import annotations

import importlib
import sys
import time as clock
from collections.abc import Callable
from difflib import get_close_matches
from typing import Any

import pandas as pd

from ...errors import JourneyError, SourceError, option
from .read_report import ReaderReport, attach

__all__ = ["read"]

#: Seconds a read runs before it starts showing progress (with ``progress=None``), and between two updates.
PROGRESS_AFTER, PROGRESS_EVERY = 2.0, 1.0

Progress = bool | Callable[[int], None] | None


def _sqlalchemy() -> Any:
    # Imported by name: SQLAlchemy is optional, and the type checker must not require it to be installed.
    try:
        return importlib.import_module("sqlalchemy")
    except ImportError:
        raise SourceError("reading from a database needs SQLAlchemy 2: pip install 'journey[sql]'") from None


def read(
    source: Any,
    *,
    query: str | None = None,
    table: str | None = None,
    chunksize: int = 100_000,
    progress: Progress = None,
) -> pd.DataFrame:
    """Read a query's result (or a whole table) from a database, in chunks.

    Parameters
    ----------
    source : str, sqlalchemy.engine.Engine or sqlalchemy.engine.Connection
        A database URL (``"postgresql://user@host/db"``, ``"sqlite:///events.db"``) or an open engine or
        connection (a connection is used as it is and left open).
    query : str, optional
        The SQL to run, sent to the database as written (its own dialect: casts, quoting, ``%``).
    table : str, optional
        Read every row of this table (or view) instead; ``"schema.table"`` names one in another schema.
    chunksize : int
        Rows fetched at a time.
    progress : bool or callable, optional
        ``None`` (default): a line on standard error once the read has taken more than 2 seconds, updated
        every second. ``True``: from the first chunk. ``False``: silent. A callable is called with the
        number of rows read after every chunk.

    Returns
    -------
    pandas.DataFrame
        The rows, with the result's column names; ``frame.attrs["journey_read"]`` is the report.

    Raises
    ------
    SourceError
        SQLAlchemy or the driver missing, a URL it cannot use, a connection that fails, a query that fails
        (the message quotes the query and the database's error), an unknown table (the message lists the
        tables).
    JourneyError
        Neither or both of ``query`` and ``table``; a ``chunksize`` that is not a positive integer.

    Examples
    --------
    >>> import sqlite3, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "shop.db"
    >>> with sqlite3.connect(path) as db:
    ...     _ = db.execute("create table events (user_id text, timestamp text, event text)")
    ...     _ = db.execute("insert into events values ('a', '2025-01-01T10:00:00Z', 'home')")
    >>> frame = read(f"sqlite:///{path}", query="select * from events where event = 'home'")
    >>> frame.values.tolist()
    [['a', '2025-01-01T10:00:00Z', 'home']]
    """
    if (query is None) == (table is None):
        raise JourneyError(
            f"name what to read with {option('query')} (SQL) or {option('table')} (a table), one of them"
        )
    if not isinstance(chunksize, int) or isinstance(chunksize, bool) or chunksize < 1:
        raise JourneyError(
            f"{option('chunksize', chunksize)}: the number of rows fetched at a time must be a positive integer"
        )
    sa = _sqlalchemy()
    engine, connection, owned = _connect(sa, source)
    where = engine.url.render_as_string(hide_password=True)
    try:
        sql = query if query is not None else _select_all(sa, connection, table or "", where)
        frame, chunks = _fetch(sa, connection, sql, chunksize, progress, where)
    finally:
        if owned:
            connection.close()
            if isinstance(source, str):
                engine.dispose()
    report = ReaderReport(
        source=where, format="sql", records=len(frame), rows=len(frame), details={"query": sql, "chunks": chunks}
    )
    return attach(frame, report)


def _connect(sa: Any, source: Any) -> tuple[Any, Any, bool]:
    """(engine, connection, whether this reader opened the connection and must close it)."""
    try:
        if isinstance(source, str):
            engine = sa.create_engine(source)
            return engine, engine.connect(), True
        if isinstance(source, sa.engine.Engine):
            return source, source.connect(), True
        if isinstance(source, sa.engine.Connection):
            return source.engine, source, False
    except sa.exc.ArgumentError as exc:
        raise SourceError(f"{source!r} is not a database URL SQLAlchemy can use ({exc})") from None
    except ImportError as exc:  # the dialect's driver
        raise SourceError(f"the database driver for {_redacted(sa, source)} is not installed ({exc})") from None
    except sa.exc.SQLAlchemyError as exc:
        raise SourceError(f"{_redacted(sa, source)}: cannot connect ({_reason(exc)})") from None
    raise SourceError(
        f"with {option('query')} or {option('table')}, the source must be a database URL or an "
        f"SQLAlchemy Engine or Connection, not {type(source).__name__}"
    )


def _select_all(sa: Any, connection: Any, table: str, where: str) -> str:
    schema, _, name = table.rpartition(".")
    inspector = sa.inspect(connection)
    known = inspector.get_table_names(schema=schema or None) + inspector.get_view_names(schema=schema or None)
    if name not in known:
        close = get_close_matches(name, known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        shown = ", ".join(map(repr, sorted(known)[:20])) or "none"
        raise SourceError(
            f"{where}: {option('table', table)} is not a table of the database"
            f"{' (schema ' + repr(schema) + ')' if schema else ''}; tables: {shown}.{hint}"
        )
    statement = sa.select(sa.text("*")).select_from(sa.table(name, schema=schema or None))
    return str(statement.compile(dialect=connection.dialect))


def _fetch(
    sa: Any, connection: Any, sql: str, chunksize: int, progress: Progress, where: str
) -> tuple[pd.DataFrame, int]:
    shown = _Progress(progress, where)
    frames = []
    try:
        # Sent as written; drivers that mark parameters with % (psycopg, PyMySQL) would read a literal % as one.
        sent = sql.replace("%", "%%") if connection.dialect.paramstyle in ("format", "pyformat") else sql
        result = connection.execution_options(stream_results=True, max_row_buffer=chunksize).exec_driver_sql(sent)
        columns = list(result.keys())
        rows = 0
        for part in result.partitions(chunksize):
            frames.append(pd.DataFrame.from_records(part, columns=columns, coerce_float=True))
            rows += len(part)
            shown(rows)
    except sa.exc.SQLAlchemyError as exc:
        if connection.in_transaction():
            connection.rollback()  # a connection that was given stays usable
        raise SourceError(f"{where}: the query failed: {_short(sql)} ({_reason(exc)})") from None
    finally:
        shown.done()
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns}), 0
    return (frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)), len(frames)


class _Progress:
    """Rows read so far: on standard error for a long read, or to the caller's function."""

    def __init__(self, progress: Progress, where: str):
        self.progress, self.where = progress, where
        self.started = self.last = clock.monotonic()
        self.shown, self.rows = False, 0

    def __call__(self, rows: int) -> None:
        self.rows = rows
        if callable(self.progress):
            self.progress(rows)
            return
        now = clock.monotonic()
        due = self.progress is True or (self.progress is None and now - self.started >= PROGRESS_AFTER)
        if due and (not self.shown or now - self.last >= PROGRESS_EVERY):
            self._show(now)

    def done(self) -> None:
        if self.shown:
            self._show(clock.monotonic())
            sys.stderr.write("\n")

    def _show(self, now: float) -> None:
        sys.stderr.write(f"\rjourney: read {self.rows:,} rows from {self.where} ({now - self.started:.1f} s)")
        sys.stderr.flush()
        self.shown, self.last = True, now


def _reason(exc: Exception) -> str:
    """The database's own words, without SQLAlchemy's background link and the statement echoed again."""
    original = getattr(exc, "orig", None)
    text = str(original if original is not None else exc)
    return " ".join(text.split("\n")[0].split()) or type(exc).__name__


def _short(sql: str) -> str:
    text = " ".join(sql.split())
    return repr(text if len(text) <= 200 else text[:197] + "...")


def _redacted(sa: Any, source: Any) -> str:
    try:
        return str(sa.engine.make_url(source).render_as_string(hide_password=True))
    except Exception:  # not even a URL: say what it was without echoing a possible password
        return type(source).__name__
