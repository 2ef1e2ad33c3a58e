"""Readers of the exports analysts hold, behind one dispatch point: ``read_events(source, format=...)``.

:data:`READERS` maps a format name to its reader. :func:`journey.read_events` calls the reader its
``format=`` names, then validates, stitches, orders and reports exactly as it does for a tidy table: a
reader only turns an export into a table, it never validates users, times or events itself beyond what it
needs to find them, and it never sorts.

The reader contract
-------------------
A reader is a function ``reader(source, request) -> Loaded``:

``source``
    What the user passed: a path (``str`` or ``os.PathLike``) to a file, a folder of export shards, a glob
    (``"exports/*.json.gz"``), or a pandas DataFrame. :func:`journey.io.formats.sources.pieces` expands it
    into the files to read, in a stable order (sorted paths; archive members in archive order), and opens
    gzip files transparently (by their magic bytes, whatever their name).
``request``
    A :class:`~journey.io.formats.reader.Request`: the user's ``user=``, ``time=`` and ``event=`` (None
    means "the format's default"), ``encoding`` and ``on_invalid``.

It returns a :class:`~journey.io.formats.reader.Loaded`:

``frame``
    One row per event, in the order the source holds them (ties at one instant keep that order unless
    ``tiebreak`` says otherwise). Records that are not events (Segment ``identify``, Mixpanel
    ``$identify``, ...) and repeated deliveries are already removed and counted in ``counts``.
``names``
    ``{"user": ..., "time": ..., "event": ...}``: the frame's columns holding each role. The user column
    holds the id before stitching (for Segment, ``userId`` filled with ``anonymousId`` where absent).
``session_field``
    When the source defines sessions, the frame has a ``session`` column and this names the field it came
    from (``"ga_session_id"``); ``unit="session"`` journeys then follow it instead of the ``gap=`` rule.
``identities``
    Links the source itself gives from an anonymous id to a user id (identify and alias calls, events that
    carry both), as a DataFrame with columns ``anonymous``, ``user`` and optionally ``time``.
    :func:`journey.read_events` merges them with the user's ``identities=`` and stitches once.
``time_unit``, ``tiebreak``
    The unit of a numeric time column, and arrays that order events of one user at one instant (GA4's
    ``batch_ordering_id`` then ``batch_event_index``) before source order.
``origin``, ``problems``
    Where each row was read (file and 1-based line, see :class:`~journey.io.formats.reader.Origin`), and the
    records that could not be read. A reader reports a bad record through
    :class:`~journey.io.formats.reader.Problems`, which raises :class:`~journey.errors.RecordError` (naming
    the file, the line and the field) unless ``on_invalid="drop"``, where it keeps the record for
    ``log.dropped``.
``counts``
    :class:`~journey.io.formats.reader.Counts`: records read, records that are not events (by kind),
    duplicates dropped and the key they were found by. They become the log's
    :class:`~journey.io.formats.report.ReadReport`.
``not_event_keys``
    For a format that de-duplicates records that are not events too (Segment: an ``identify`` delivered
    twice), their duplicate key columns and a ``kind`` column, so that a source read shard by shard
    (:mod:`journey.io.formats.shards`) finds their repeats across shards. None otherwise.

A format whose records carry an id names its key columns in its module's ``DUPLICATE_KEY``, and the
file kinds it reads in ``KINDS``; :mod:`journey.io.formats.shards` reads it shard by shard on Dask.

A new format is one module here with one reader function, and one line in :data:`READERS`.

Formats read into a tidy table
------------------------------
The XES, OCEL 2.0 and SQL readers (:data:`TIDY_FORMATS`; ``xes.read``, ``ocel.read``, ``sql.read``) take
``read(source, **options)`` and return a tidy DataFrame (columns ``user``, ``time``, ``event`` and the
attributes) with a :class:`~journey.io.formats.read_report.ReaderReport` attached: what the reading changed
(events an OCEL flattening repeated or left out), invalid rows found in lenient mode and the 1-based line of
each row of an XML file. :func:`journey.read_events` reads that table as it reads any tidy table
(stitching, validation, order), joins the reader's problems with its own and adds the lines to
``log.dropped``. Their options (``object_type=``, ``classifier=``, ``query=``, ``table=``, ...) are
keywords of ``read_events`` passed on to the reader; an option it does not take is refused by name.

Writing a reader
----------------
The GA4, Segment, Amplitude, Mixpanel and PostHog readers are built from the same steps, which a new
reader reuses rather than rewrites:

- :func:`~journey.io.formats.sources.gather` expands the source, reads each file (Parquet, CSV or JSON
  lines; a malformed JSON line is reported with its line), runs a per-file ``prepare`` (flattening with
  :mod:`~journey.io.formats.nested`) and concatenates, keeping each row's :class:`Origin`;
- :mod:`~journey.io.formats.records`: ``require`` (a field that must be there), ``duplicated`` (repeated
  deliveries), ``utc_times`` / ``epoch_times``, ``identity_pairs`` (links for stitching), and ``loaded``,
  which assembles the :class:`Loaded` result. Each drops refused rows together with their origin.

A reader that does not read files (a database) builds :class:`Loaded` itself: ``origin`` may then be
None, and invalid rows are reported by their row number as for a DataFrame.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from ...errors import SourceError, option
from .reader import Loaded, Origin, Request

__all__ = [
    "READERS",
    "TIDY_FORMATS",
    "Reader",
    "Loaded",
    "Origin",
    "Request",
    "read_format",
    "known_formats",
    "tidy_reader",
]

#: A reader: ``reader(source, request) -> Loaded`` (see the module docstring).
Reader = Callable[[Any, Request], Loaded]


def _lazy(module: str, function: str) -> Reader:
    """A reader imported on first use, so ``import journey`` does not load every format's code."""

    def reader(source: Any, request: Request) -> Loaded:
        return getattr(import_module(f".{module}", __name__), function)(source, request)

    reader.__name__ = reader.__qualname__ = function
    reader.__doc__ = f"The {module!r} reader (journey.io.formats.{module}.{function}), imported on first use."
    return reader


#: Format name -> reader. One line per format.
READERS: dict[str, Reader] = {
    "ga4": _lazy("ga4", "read_ga4"),
    "segment": _lazy("segment", "read_segment"),
    "amplitude": _lazy("amplitude", "read_amplitude"),
    "mixpanel": _lazy("mixpanel", "read_mixpanel"),
    "posthog": _lazy("posthog", "read_posthog"),
}


#: Formats whose reader returns a tidy table with a ReaderReport (see "Formats read into a tidy table").
TIDY_FORMATS = ("xes", "ocel", "sql")


def tidy_reader(format: str) -> Callable[..., Any]:
    """The ``read(source, **options)`` function of a tidy-table format, imported on first use."""
    return import_module(f".{format}", __name__).read


def known_formats() -> list[str]:
    """The format names :func:`journey.read_events` accepts, sorted."""
    return sorted([*READERS, *TIDY_FORMATS])


def read_format(format: str, source: Any, request: Request) -> Loaded:
    """The reader of ``format`` applied to ``source``; an unknown format is a :class:`SourceError`."""
    reader = READERS.get(format) if isinstance(format, str) else None
    if reader is None:
        from ...errors import _suggestion

        hint = _suggestion(str(format), known_formats())
        raise SourceError(
            f"{option('format', format)} is not a format journey reads.{hint} Formats: "
            f"{', '.join(map(repr, known_formats()))}; without {option('format')}, a tidy table "
            f"(CSV, Parquet or DataFrame, one row per event)"
        )
    if isinstance(source, Loaded):  # a shard already read and stitched (journey.io.formats.shards)
        return source
    return reader(source, request)
