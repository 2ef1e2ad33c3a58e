"""The global facts of a log or an orders table: what every analysis may check its arguments against.

They are computed once per log (on the local path from the EventLog itself; on Dask in one pass over the
partitioned log) and handed to every analysis's ``prepare``, ``partial`` and ``finish``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import MissingColumnError, UnknownEventError

__all__ = ["Facts"]


@dataclass(frozen=True)
class Facts:
    """Global facts of the data an analysis runs on, computed once per log.

    Attributes
    ----------
    columns : tuple of str
        Columns of the canonical frame (``user``, ``time``, ``event`` and the others, as given).
    touchpoints : tuple of str
        Distinct touchpoints, sorted (empty for orders).
    start_ns, end_ns : int
        First and last event (or order) time, nanoseconds since the epoch, UTC: the end of the data,
        where censoring starts.
    input_names : dict
        The user's names of the canonical ``user``, ``time`` and ``event`` columns, for messages.
    exact : bool
        True when the whole data is one part (the local path): medians are exact. On a distributed log
        they merge as log-spaced histograms with a stated error bound.
    sessions : str or None
        The source field that defines the log's sessions (``"ga_session_id"``), when ``unit="session"``
        journeys follow the source rather than ``gap=``.
    """

    columns: tuple
    touchpoints: tuple = ()
    start_ns: int = 0
    end_ns: int = 0
    exact: bool = True
    argument: str = field(default="log", compare=False)
    input_names: dict = field(default_factory=dict, compare=False)
    sessions: str | None = None

    def shown_columns(self) -> list[str]:
        """The columns as the user named them (``user_id`` rather than the canonical ``user``)."""
        return [self.input_names.get(str(c), str(c)) for c in self.columns]

    def require_column(self, name: str | None, keyword: str, role: str | None = None) -> None:
        """A column the analysis reads (``keyword`` names it, ``role`` says what it holds) must be in the data."""
        if name is not None and name not in self.columns:
            raise MissingColumnError(keyword, name, self.shown_columns(), role)

    def require_events(self, names: Iterable[Any], keyword: str) -> None:
        """Touchpoints an analysis names (goal, steps) must occur; an unknown one is most often a typo."""
        known = set(self.touchpoints)
        for name in names:
            if str(name) not in known:
                raise UnknownEventError(keyword, name, list(self.touchpoints))
