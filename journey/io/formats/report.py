"""What reading an export did to its records, as ``log.report`` shows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import pandas as pd

from ...stats.results import Result

__all__ = ["ReadReport"]


@dataclass(frozen=True, repr=False)
class ReadReport(Result):
    """What :func:`journey.read_events` did to the records of a source, step by step, with exact counts.

    Every record read is accounted for: ``records = events + sum(not_events) + duplicates + unreadable +
    invalid``. ``log.report`` holds it for logs read with ``format=`` or ``identities=``; ``to_frame()``
    is the table its display shows.

    Attributes
    ----------
    format : str or None
        The format read (None for a tidy table).
    files : int
        Files (or archive members) read; 0 for a DataFrame.
    records : int
        Records in the source: lines of JSON, rows of Parquet or CSV, rows of a DataFrame.
    not_events : dict
        Records that are not events, by kind: ``{"identify": 30, "alias": 2}`` (they feed stitching).
    duplicates : int
        Repeated deliveries of an event dropped (the first delivery is kept), found by ``duplicate_key``.
    duplicate_key : str or None
        The fields that identify a delivery: ``"messageId"``; None where the format has none.
    unreadable : int
        Records that could not be read (malformed JSON, a required field missing), dropped with
        ``on_invalid="drop"`` and listed in ``log.dropped``.
    invalid : int
        Events refused by validation (a blank event name, ...), dropped and listed the same way.
    events : int
        Events in the log.
    stitched_events : int
        Events whose user changed by stitching: an anonymous id's events given to its user.
    stitched_ids : int
        Anonymous ids found in the events and linked to a user.
    stitched_users : int
        Users that received an anonymous id's events.
    ambiguous_ids : int
        Anonymous ids linked to more than one user; each went to the first link (see
        :mod:`journey.io.identities`).
    session_field : str or None
        The source's field the ``session`` column holds (``"ga_session_id"``), when sessions come from it.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["c1", "ann"], "event": ["home", "buy"],
    ...                    "timestamp": ["2025-01-01T10:00Z", "2025-01-01T10:05Z"]})
    >>> log = journey.read_events(df, identities={"c1": "ann"})
    >>> log.report.stitched_events, log.n_users
    (1, 1)
    """

    format: str | None = None
    files: int = 0
    records: int = 0
    not_events: dict = field(default_factory=dict)
    duplicates: int = 0
    duplicate_key: str | None = None
    unreadable: int = 0
    invalid: int = 0
    events: int = 0
    stitched_events: int = 0
    stitched_ids: int = 0
    stitched_users: int = 0
    ambiguous_ids: int = 0
    session_field: str | None = None

    _formats: ClassVar[dict[str, str]] = {"records": "count"}

    def to_frame(self) -> pd.DataFrame:
        """The steps of the read as a table: ``step``, ``records`` (a count) and ``detail``, in reading order."""
        kinds = ", ".join(f"{kind} {n:,}" for kind, n in sorted(self.not_events.items(), key=lambda kv: -kv[1]))
        where = f"{self.files:,} file{'s' if self.files != 1 else ''}" if self.files else "a DataFrame"
        linked = (
            f"{self.stitched_ids:,} anonymous id{'s' if self.stitched_ids != 1 else ''} given to "
            f"{self.stitched_users:,} user{'s' if self.stitched_users != 1 else ''}"
            if self.stitched_ids
            else "no anonymous id linked to a user"
        )
        if self.ambiguous_ids:
            linked += f"; {self.ambiguous_ids:,} linked to several users went to the first"
        rows = [
            ("records read", self.records, where if self.format else "rows of the table"),
            ("not events", sum(self.not_events.values()), kinds or "none"),
            (
                "duplicates dropped",
                self.duplicates,
                f"same {self.duplicate_key}" if self.duplicate_key else "no event id",
            ),
            ("unreadable records dropped", self.unreadable, "listed in log.dropped"),
            ("invalid events dropped", self.invalid, "listed in log.dropped"),
            ("events", self.events, f"sessions from {self.session_field}" if self.session_field else "in the log"),
            ("events stitched", self.stitched_events, linked),
        ]
        return pd.DataFrame(rows, columns=["step", "records", "detail"])

    def _headline(self) -> str:
        what = f"{self.format} export" if self.format else "table"
        return f"{self.events:,} events from {self.records:,} records of a {what}"

    def _shown(self) -> pd.DataFrame:
        return self.to_frame()
