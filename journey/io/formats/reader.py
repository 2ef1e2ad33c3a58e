"""What a format reader is given and what it returns (the contract of :mod:`journey.io.formats`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ...errors import RecordError

__all__ = ["Request", "Origin", "Problem", "Problems", "Counts", "Loaded"]


@dataclass(frozen=True)
class Request:
    """The user's options, as a reader sees them.

    ``user``, ``time`` and ``event`` are the user's keywords: None asks for the format's default column.
    """

    format: str
    user: str | None = None
    time: str | None = None
    event: str | None = None
    encoding: str = "utf-8"
    on_invalid: Literal["raise", "drop"] = "raise"


@dataclass(frozen=True)
class Origin:
    """Where each row of a table was read.

    Attributes
    ----------
    files : tuple of str
        The files (or archive members, ``export.zip:1/1_2025-01-01_5#0.json.gz``) in reading order.
    nouns : tuple of str
        What a position counts in each file: ``"line"`` (text files, from 1), ``"record"`` (Parquet rows,
        from 1) or ``"row"`` (DataFrame rows, from 0, as pandas counts).
    file : numpy.ndarray
        Index into ``files`` of each row (int32).
    line : numpy.ndarray
        Position of each row in its file, as the noun counts it (int64).
    record : numpy.ndarray
        Position of each row among every record read from the source, from 0 (int64): the ``row`` of
        ``log.dropped``.
    """

    files: tuple[str, ...]
    nouns: tuple[str, ...]
    file: np.ndarray
    line: np.ndarray
    record: np.ndarray

    @classmethod
    def of_file(cls, name: str, noun: str, lines: np.ndarray, first_record: int = 0) -> Origin:
        """The origin of the rows of one file, at ``lines`` in it; records numbered from ``first_record``."""
        lines = np.asarray(lines, dtype=np.int64)
        return cls(
            (name,),
            (noun,),
            np.zeros(len(lines), dtype=np.int32),
            lines,
            np.arange(first_record, first_record + len(lines), dtype=np.int64),
        )

    @classmethod
    def concat(cls, origins: Sequence[Origin]) -> Origin:
        """The origins of tables read one after the other."""
        offsets = np.cumsum([0] + [len(o.files) for o in origins])[:-1]
        return cls(
            tuple(f for o in origins for f in o.files),
            tuple(n for o in origins for n in o.nouns),
            np.concatenate([o.file + np.int32(k) for o, k in zip(origins, offsets)]).astype(np.int32),
            np.concatenate([o.line for o in origins]),
            np.concatenate([o.record for o in origins]),
        )

    def take(self, rows: np.ndarray) -> Origin:
        """The origin of the rows ``rows`` (indices or a boolean mask)."""
        return Origin(self.files, self.nouns, self.file[rows], self.line[rows], self.record[rows])

    def __len__(self) -> int:
        return len(self.file)


@dataclass(frozen=True)
class Problem:
    """Records of one file that cannot be read for one reason (kept for ``log.dropped`` in lenient mode)."""

    file: str
    noun: str
    lines: np.ndarray
    field: str | None
    reason: str
    values: list
    records: np.ndarray

    def error(self) -> RecordError:
        """The error that names this problem's file, lines and field."""
        from ..events import drop_advice

        return RecordError(
            self.file,
            self.lines.tolist(),
            self.field,
            self.reason,
            self.values,
            self.records.tolist(),
            self.noun,
            drop_advice(),
        )


class Problems:
    """The bad records a reader meets: each raises :class:`~journey.errors.RecordError` at once with
    ``on_invalid="raise"``; with ``"drop"`` they are kept and listed in ``log.dropped``.
    """

    def __init__(self, on_invalid: str):
        self.on_invalid = on_invalid
        self.found: list[Problem] = []

    def add(self, problem: Problem) -> None:
        if self.on_invalid == "raise":
            raise problem.error()
        self.found.append(problem)

    def at(self, origin: Origin, bad: np.ndarray, field: str | None, reason: str, values: Any) -> None:
        """Report the rows ``bad`` (a boolean mask over ``origin``) with their ``values``, file by file."""
        rows = np.flatnonzero(bad)
        if not len(rows):
            return
        values = np.asarray(values, dtype=object)
        if len(values) == len(origin) and len(values) != len(rows):
            values = values[rows]
        files = origin.file[rows]
        for f in np.unique(files):  # files in reading order: the first file's problem is raised first
            mine = files == f
            self.add(
                Problem(
                    origin.files[f],
                    origin.nouns[f],
                    origin.line[rows[mine]],
                    field,
                    reason,
                    list(values[mine]),
                    origin.record[rows[mine]],
                )
            )

    @property
    def n_records(self) -> int:
        return sum(len(p.records) for p in self.found)


@dataclass
class Counts:
    """What a reader did to the records: the start of the log's read report."""

    files: int = 0
    records: int = 0
    not_events: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    duplicate_key: str | None = None


@dataclass
class Loaded:
    """A reader's result: the events as a table, and what :func:`journey.read_events` needs to know of them.

    See :mod:`journey.io.formats` for the meaning of each field.
    """

    frame: pd.DataFrame
    names: dict[str, str]
    description: str
    format: str | None = None
    origin: Origin | None = None
    session_field: str | None = None
    time_unit: str | None = None
    identities: pd.DataFrame | None = None
    tiebreak: tuple[np.ndarray, ...] = ()
    problems: list[Problem] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    not_event_keys: pd.DataFrame | None = None
