"""Errors and warnings that `journey` raises.

Every error is a :class:`JourneyError`, itself a :class:`ValueError`, so ``except ValueError`` keeps
working in analysts' code. Messages name the column, how many rows are affected and the first few
offending rows with their values; the command line prints that message on one line and exits 2.

Row numbers count input rows from 0 in the order they were given (for a CSV file, row 0 is the first
line after the header), which is also the position in the DataFrame pandas would read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from difflib import get_close_matches
from typing import Any

__all__ = [
    "JourneyError",
    "JourneyWarning",
    "SourceError",
    "EncodingError",
    "EmptyLogError",
    "MissingColumnError",
    "InvalidValuesError",
    "MixedTimezoneError",
    "TimeUnitError",
    "UnknownEventError",
    "RecordError",
    "TooLargeError",
    "option",
    "command_line",
    "shorten",
    "check_memory",
]

#: How many offending rows a message quotes before it says "and N more".
SHOWN_ROWS = 5


# Which interface the user is calling: messages spell arguments as that interface does.
_INTERFACE: ContextVar[str] = ContextVar("journey_interface", default="python")

#: Command-line spellings that are not the keyword with dashes followed by its value.
CLI_SPELLINGS = {
    ("on_invalid", "drop"): "--drop-invalid",
    ("on_invalid", "raise"): "(without --drop-invalid)",
    ("force", True): "--force",
}


def option(keyword: str, value: Any = None) -> str:
    """How the user passes ``keyword`` (with ``value``) in the interface they are calling.

    In Python ``time_unit='s'``; on the command line (inside :func:`command_line`) ``--time-unit s``.

    Examples
    --------
    >>> option("time_unit", "s"), option("by")
    ("time_unit='s'", 'by=...')
    >>> with command_line():
    ...     option("time_unit", "s"), option("on_invalid", "drop"), option("by")
    ('--time-unit s', '--drop-invalid', '--by')
    """
    if _INTERFACE.get() == "cli":
        special = CLI_SPELLINGS.get((keyword, value))
        if special:
            return special
        flag = "--" + keyword.replace("_", "-")
        return flag if value is None else f"{flag} {value}"
    return f"{keyword}=..." if value is None else f"{keyword}={value!r}"


@contextmanager
def command_line() -> Iterator[None]:
    """Within this block, messages spell arguments as command-line options (the CLI runs in it)."""
    token = _INTERFACE.set("cli")
    try:
        yield
    finally:
        _INTERFACE.reset(token)


class JourneyError(ValueError):
    """Base class of every error `journey` raises on bad input or bad arguments."""


class JourneyWarning(UserWarning):
    """Something was done on the user's request that they should know about (rows dropped, ...)."""


class SourceError(JourneyError):
    """The input cannot be read at all: no such file, unsupported format, unreadable file."""


class EncodingError(SourceError):
    """A text file is not in the encoding that was tried."""


class EmptyLogError(JourneyError):
    """The input holds no rows (or none left after dropping invalid ones)."""


class MissingColumnError(JourneyError):
    """A column the analysis needs is not in the input.

    ``keyword`` is the argument that names the column (``by``, ``user``, ...), ``role`` what the column
    holds (``"segment"``; the keyword itself when not given).
    """

    def __init__(self, keyword: str, name: str, available: Sequence[str], role: str | None = None):
        self.keyword, self.role, self.column, self.available = keyword, role or keyword, name, list(available)
        hint = _suggestion(name, self.available) + _delimiter_hint(self.available)
        shown = ", ".join(shorten(c) for c in self.available[:20])
        more = f" and {len(self.available) - 20} more" if len(self.available) > 20 else ""
        super().__init__(
            f"column {shorten(name)} (the {self.role} column) is not in the input; available columns: "
            f"{shown}{more}.{hint} Name it with {option(keyword)}."
        )


class InvalidValuesError(JourneyError):
    """Some rows of a column hold values that cannot be used (missing, unparseable, ...).

    Attributes
    ----------
    column : str
        The column, as named in the input.
    reason : str
        What is wrong, as a noun phrase: ``"missing values"``, ``"blank values"``, ...
    rows : list of int
        Every offending row number (counting input rows from 0).
    values : list
        The offending values, in the order of ``rows``.
    """

    def __init__(self, column: str, reason: str, rows: Sequence[int], values: Sequence, advice: str = ""):
        self.column, self.reason = column, reason
        self.rows, self.values = list(rows), list(values)
        super().__init__(
            f"column {column!r}: {reason} in {len(self.rows):,} row{'s' if len(self.rows) != 1 else ''}: "
            f"{quote_rows(self.rows, self.values)}.{(' ' + advice) if advice else ''}"
        )


class RecordError(InvalidValuesError):
    """Records of an export file that cannot be read: malformed JSON, a required field missing or unreadable.

    The message names the file, the line (counted from 1, as editors do; ``record`` for Parquet rows, also
    from 1) and the field. ``rows`` counts records across the whole source from 0, in reading order.

    Attributes
    ----------
    file : str
        The file (or archive member) holding the first offending record.
    lines : list of int
        Line (or record) numbers in ``file`` of the offending records, from 1.
    field : str or None
        The field, as the export names it (``event_timestamp``, ``properties.time``); None for a line that
        is not JSON at all.
    """

    def __init__(
        self,
        file: str,
        lines: Sequence[int],
        field: str | None,
        reason: str,
        values: Sequence,
        rows: Sequence[int],
        noun: str = "line",
        advice: str = "",
    ):
        self.file, self.lines, self.field, self.noun = file, list(lines), field, noun
        ValueError.__init__(self)  # the message is this class's own, not InvalidValuesError's
        self.column, self.reason, self.rows, self.values = field or "", reason, list(rows), list(values)
        where = f"field {field!r}: " if field else ""
        shown = ", ".join(f"{noun} {n:,} ({_show(v)})" for n, v in zip(self.lines[:SHOWN_ROWS], self.values))
        more = len(self.lines) - SHOWN_ROWS
        count = f"{len(self.lines):,} {noun}{'s' if len(self.lines) != 1 else ''}"
        self.args = (
            f"{file}: {where}{reason} in {count}: {shown}"
            f"{f' and {more:,} more' if more > 0 else ''}.{(' ' + advice) if advice else ''}",
        )

    def __str__(self) -> str:
        return str(self.args[0])


class MixedTimezoneError(InvalidValuesError):
    """A timestamp column mixes values with a UTC offset and values without one."""


class TimeUnitError(JourneyError):
    """Timestamps are plain numbers and nothing says whether they count seconds or milliseconds."""


class UnknownEventError(JourneyError):
    """An analysis names an event (a goal, a funnel step) that never occurs in the log."""

    def __init__(self, argument: str, name: Any, available: Sequence[str]):
        self.argument, self.event = argument, name
        hint = _suggestion(str(name), [str(a) for a in available])
        shown = ", ".join(shorten(a) for a in list(available)[:20])
        more = f" and {len(available) - 20:,} more" if len(available) > 20 else ""
        super().__init__(
            f"event {shorten(name)} ({option(argument, name)}) does not occur in the log.{hint} Events: {shown}{more}."
        )


class TooLargeError(JourneyError):
    """A computation would need more memory than the machine has free; the message says what to reduce."""


def check_memory(n_bytes: float, what: str, advice: str) -> None:
    """Raise :class:`TooLargeError` before allocating ``n_bytes`` for ``what`` if the machine has not that free.

    A refusal that says what to do (``advice``) instead of a ``MemoryError`` deep inside numpy, or the
    kernel killing the process.

    Examples
    --------
    >>> check_memory(8 * 1000**2, "a 1,000 x 1,000 matrix", "use fewer touchpoints")  # 8 MB: fine
    """
    free = available_memory()
    if free is not None and n_bytes > free:
        raise TooLargeError(
            f"{what} would need {_bytes(n_bytes)} of memory, more than the {_bytes(free)} free on "
            f"this machine; {advice}"
        )


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``, else free pages), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _bytes(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB" if n >= 2**30 else f"{n / 2**20:,.1f} MiB"


def quote_rows(rows: Sequence[int], values: Sequence[Any]) -> str:
    """``row 3 ('x'), row 9 ('y') and 4 more`` — the first few offending rows with their values."""
    parts = [f"row {int(r)} ({_show(v)})" for r, v in zip(rows[:SHOWN_ROWS], values[:SHOWN_ROWS])]
    more = len(rows) - SHOWN_ROWS
    return ", ".join(parts) + (f" and {more:,} more" if more > 0 else "")


def _show(value: Any) -> str:
    # Missing values print as "missing" rather than nan/None/<NA>, which mean nothing to an analyst.
    try:
        import pandas as pd

        if pd.isna(value):
            return "missing"
    except (TypeError, ValueError):
        pass
    text = repr(value.item() if hasattr(value, "item") else value)
    return text if len(text) <= 60 else text[:57] + "..."


def shorten(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to about ``limit`` characters: a name quoted in a message stays a name.

    Examples
    --------
    >>> shorten("event"), shorten("x" * 100, limit=12)
    ("'event'", "'xxxxxxx...' (100 characters)")
    """
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f" ({len(value):,} characters)" if isinstance(value, str) else ""
    return text[: limit - 4] + "..." + text[0] + size


def _delimiter_hint(columns: Sequence[str]) -> str:
    """When a CSV header was read as one column, the character that seems to separate its names."""
    if len(columns) != 1 or not isinstance(columns[0], str):
        return ""
    separators = [c for c in columns[0][:10_000] if not (c.isalnum() or c in "_ -.:'\"")]
    if not separators:
        return ""
    found = max(sorted(set(separators)), key=separators.count)
    return (
        f" The header was read as one column: its names seem separated by {found!r}; pass "
        f"{option('sep', found)} if that is the file's delimiter."
    )


def _suggestion(name: str, candidates: Sequence[str]) -> str:
    folded = {c.casefold(): c for c in candidates}
    if name.casefold() in folded:
        return f" Did you mean {shorten(folded[name.casefold()])}?"
    close = get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f" Did you mean {shorten(close[0])}?" if close else ""
