"""What a format reader tells :func:`journey.read_events` beside its tidy frame: the :class:`ReaderReport`.

A reader (``journey.io.formats.xes.read``, ``...ocel.read``, ``...sql.read``) returns a pandas DataFrame and
attaches a :class:`ReaderReport` to it as ``frame.attrs["journey_read"]`` (:func:`report_of` fetches it). The
report counts what was read and what the reading changed (events duplicated or left out by a flattening),
carries the row-level problems found in lenient mode (``on_invalid="drop"``) in the shape ``read_events``
validates with, and, for line-based files, the 1-based line where each row's element starts.

The second half of this module is the glue ``read_events`` calls for ``format=``, ``query=`` and ``table=``:
:func:`read_source` picks the reader, :func:`merge_problems` joins the reader's problems with the
validation's, :func:`finish` adds lines to ``log.dropped`` and warns about what a flattening changed.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any

import numpy as np
import pandas as pd

from ...errors import JourneyError, JourneyWarning, SourceError, option

__all__ = [
    "ReaderReport",
    "Problem",
    "report_of",
    "attach",
    "read_source",
    "merge_problems",
    "finish",
    "refuse_options",
    "ROLE_NAMES",
]

#: Key of the report in ``frame.attrs``.
ATTRS_KEY = "journey_read"

#: One row-level problem, as ``read_events`` records them: (row numbers, column, reason, offending values).
Problem = tuple[np.ndarray, str, str, pd.Series]

#: The columns a format reader produces for the three roles.
ROLE_NAMES = {"user": "user", "time": "time", "event": "event"}
_DEFAULT_GIVEN = {"user": "user_id", "time": "timestamp", "event": "event"}


@dataclass(eq=False)
class ReaderReport:
    """What a format reader read and what it changed on the way to a tidy frame.

    Attributes
    ----------
    source : str
        Where the events came from, as messages name it (a file path, a redacted database URL).
    format : str
        ``"xes"``, ``"ocel"`` or ``"sql"``.
    records : int
        Events (XES, OCEL) or result rows (SQL) read from the source.
    rows : int
        Rows of the frame returned.
    duplicated : int
        Events that became several rows (OCEL: related to several objects of the chosen type).
    extra_rows : int
        Rows added by that duplication (``rows = records - dropped + extra_rows``).
    dropped : int
        Events left out by design (OCEL: related to no object of the chosen type); not invalid rows.
    problems : list of (rows, column, reason, values)
        Invalid rows found while reading, recorded only with ``on_invalid="drop"`` (otherwise the reader
        raises at the first); ``read_events`` drops them and lists them in ``log.dropped``.
    lines : numpy.ndarray or None
        For XML files, the 1-based line where each row's element starts; None for other sources.
    names : dict
        The source's own names of the user, time and event (``{"user": "case:concept:name", ...}``).
    details : dict
        Format-specific facts: XES classifiers and log attributes, OCEL object types, SQL query, ...
    """

    source: str
    format: str
    records: int
    rows: int
    duplicated: int = 0
    extra_rows: int = 0
    dropped: int = 0
    problems: list[Problem] = field(default_factory=list)
    lines: np.ndarray | None = None
    names: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        changed = (
            f", duplicated={self.duplicated:,} (+{self.extra_rows:,} rows), dropped={self.dropped:,}"
            if self.duplicated or self.dropped
            else ""
        )
        invalid = sum(len(rows) for rows, *_ in self.problems)
        return (
            f"ReaderReport({self.format} from {self.source}: records={self.records:,}, rows={self.rows:,}"
            f"{changed}, invalid rows={invalid:,})"
        )


def attach(frame: pd.DataFrame, report: ReaderReport) -> pd.DataFrame:
    """Attach ``report`` to ``frame`` (in place) and return the frame."""
    frame.attrs[ATTRS_KEY] = report
    return frame


def report_of(frame: pd.DataFrame) -> ReaderReport | None:
    """The :class:`ReaderReport` a format reader attached to ``frame``, or None.

    Examples
    --------
    >>> import pandas as pd
    >>> report_of(pd.DataFrame()) is None
    True
    """
    report = frame.attrs.get(ATTRS_KEY)
    return report if isinstance(report, ReaderReport) else None


# ---------------------------------------------------------------------------------------------------
# the glue read_events calls (issue 15: format=, query=, table=)


def read_source(
    source: Any,
    *,
    format: str | None,
    query: str | None,
    table: str | None,
    options: Mapping[str, Any],
    given: Mapping[str, str],
    tz: str,
    on_invalid: str,
) -> tuple[pd.DataFrame, str, dict[str, str], ReaderReport]:
    """Read ``source`` with the reader ``format``, ``query`` or ``table`` ask for.

    Returns the frame to validate, its description for messages, the column names of the user, time and
    event in that frame (the roles a format reader produces, unless the user named other columns), and
    the reader's report.
    """
    from . import TIDY_FORMATS, tidy_reader

    if query is not None or table is not None or format == "sql":
        if format not in (None, "sql"):
            raise JourneyError(
                f"{option('format', format)} reads files, not database results; pass "
                f"{option('query')} or {option('table')} without {option('format')}"
            )
        frame = _call(tidy_reader("sql"), "sql", source, dict(options, query=query, table=table))
        report = report_of(frame)
        assert report is not None
        return frame, report.source, dict(given), report
    if format not in TIDY_FORMATS:
        known = ", ".join(repr(name) for name in TIDY_FORMATS if name != "sql")
        close = get_close_matches(str(format), list(TIDY_FORMATS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise SourceError(f"{option('format', format)}: not a format journey reads; formats: {known}.{hint}")
    frame = _call(tidy_reader(format), format, source, dict(options, tz=tz, on_invalid=on_invalid))
    report = report_of(frame)
    assert report is not None
    names = {role: (ROLE_NAMES[role] if given[role] == _DEFAULT_GIVEN[role] else given[role]) for role in given}
    # A column the user chose for a role displaces the reader's own column of that role to its source name.
    displaced = {
        ROLE_NAMES[role]: report.names.get(role, f"{format}:{role}")
        for role in names
        if names[role] != ROLE_NAMES[role] and ROLE_NAMES[role] in frame.columns
    }
    if displaced:
        frame = attach(frame.rename(columns=displaced), report)
    return frame, report.source, names, report


def _call(reader: Any, format: str, source: Any, options: dict[str, Any]) -> pd.DataFrame:
    """``reader(source, **options)``, refusing options the reader does not take in the user's words."""
    accepted = inspect.signature(reader).parameters
    unknown = [name for name, value in options.items() if name not in accepted and value is not None]
    if unknown:
        takes = [p for p in accepted if p not in ("source", "tz", "on_invalid")]
        close = get_close_matches(unknown[0], takes, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise JourneyError(
            f"{option(unknown[0])} is not an option of format {format!r}; it takes "
            f"{', '.join(option(p) for p in takes) or 'no options'}.{hint}"
        )
    return reader(source, **{name: value for name, value in options.items() if name in accepted})


def merge_problems(report: ReaderReport, problems: list) -> list:
    """The reader's problems, then the validation's on rows the reader has not reported already.

    A row the reader found unreadable (a date that is not a date) reaches the validation as missing; it is
    listed once, with the reader's reason and the value as written in the source.
    """
    if not report.problems:
        return problems
    reported = np.unique(np.concatenate([rows for rows, *_ in report.problems]))
    merged = list(report.problems)
    for rows, column, reason, values in problems:
        fresh = ~np.isin(rows, reported)
        if fresh.all():
            merged.append((rows, column, reason, values))
        elif fresh.any():
            merged.append((rows[fresh], column, reason, values[fresh]))
    return merged


def finish(report: ReaderReport, dropped: pd.DataFrame) -> pd.DataFrame:
    """``log.dropped`` with the line of each dropped row (XML sources); warns about what a flattening changed."""
    if report.duplicated or report.dropped:
        kind = report.details.get("object_type", "the chosen type")
        warnings.warn(
            f"{report.source}: flattening on object type {kind!r} gave {report.rows:,} rows from "
            f"{report.records:,} events: {report.duplicated:,} events related to several {kind!r} objects were "
            f"repeated once per object (+{report.extra_rows:,} rows), {report.dropped:,} events related to no "
            f"{kind!r} object were left out",
            JourneyWarning,
            stacklevel=3,
        )
    if report.lines is None or dropped.empty:
        return dropped
    return dropped.assign(line=report.lines[dropped["row"].to_numpy()].astype(np.int64))


def refuse_options(options: Mapping[str, Any]) -> None:
    """Format options given without a format: a misspelt keyword of ``read_events``, or a missing ``format=``."""
    from ..events import read_events

    name = next(iter(options))
    own = [p for p in inspect.signature(read_events).parameters if p not in ("source", "options")]
    close = get_close_matches(name, own, n=1)
    if close:
        raise JourneyError(f"{option(name)} is not an option of read_events. Did you mean {option(close[0])}?")
    raise JourneyError(
        f"{option(name)} is not an option of read_events; if it is an option of a format, name the "
        f"format with {option('format')} (or read a database with {option('query')} or "
        f"{option('table')})"
    )
