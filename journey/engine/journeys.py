"""From an EventLog to journeys: integer arrays that every journey analysis works on.

A journey is everything one user did (``unit="user"``) or one session of a user (``unit="session"``).
Rows keep the EventLog order, so each journey is a contiguous run of rows in time order.

Sessions come from the source when it defines them: a log read from a GA4, Amplitude or PostHog export
keeps their ids in its ``session`` column (``log.session_source`` names the field, ``ga_session_id``), and
``unit="session"`` journeys follow those ids; ``gap=`` is then not used. Otherwise a session ends after
``gap`` of inactivity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import JourneyError, UnknownEventError
from ..io.aliases import Goal
from ..io.events import EventLog, as_event_log, duration_ns, session_starts, source_session_starts, user_starts
from ..io.facts import Facts
from ..io.parallel import in_parallel
from .core import Analysis

__all__ = [
    "Journeys",
    "split_journeys",
    "as_event_log",
    "goal_codes",
    "goal_list",
    "distinct",
    "distinct_pairs",
    "observed_codes",
    "JourneyAnalysis",
    "in_parallel",
]

JOURNEY_KINDS = ("user", "session")


@dataclass(frozen=True)
class Journeys:
    """A log cut into journeys, as arrays aligned with the EventLog rows.

    Attributes
    ----------
    events : numpy.ndarray
        Event code of each row (index into ``names``).
    starts : numpy.ndarray
        Row where each journey starts; journey ``j`` is rows ``starts[j]:starts[j + 1]``.
    journey : numpy.ndarray
        Journey index of each row (0, 0, 0, 1, 1, ...).
    time : numpy.ndarray
        UTC time of each row in nanoseconds.
    names : list of str
        Touchpoint names; code ``i`` is ``names[i]``.
    """

    events: np.ndarray
    starts: np.ndarray
    journey: np.ndarray
    time: np.ndarray
    names: list[str]

    @property
    def n_journeys(self) -> int:
        return len(self.starts)

    @property
    def ends(self) -> np.ndarray:
        """Last row of each journey (none when there is no journey)."""
        return np.append(self.starts[1:], len(self.events))[: len(self.starts)] - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(np.append(self.starts, len(self.events)))

    def inner(self) -> np.ndarray:
        """Mask of rows followed by another row of the same journey (where a transition starts)."""
        mask = np.ones(len(self.events), dtype=bool)
        mask[self.ends] = False
        return mask

    def halves(self) -> list[Journeys]:
        """The journeys cut in two at the journey boundary nearest the middle row (two when there are two)."""
        if self.n_journeys < 2:
            return [self]
        cut = int(np.clip(np.searchsorted(self.starts, len(self.events) // 2), 1, self.n_journeys - 1))
        row = int(self.starts[cut])
        return [
            Journeys(self.events[:row], self.starts[:cut], self.journey[:row], self.time[:row], self.names),
            Journeys(self.events[row:], self.starts[cut:] - row, self.journey[row:] - cut, self.time[row:], self.names),
        ]

    def subset(self, keep: np.ndarray) -> Journeys:
        """The same journeys with only the rows where ``keep`` is true.

        Journeys left empty disappear and the others are numbered 0, 1, ... again, so ``journey`` indexes
        per-journey arrays of the subset (as :meth:`converted` returns).
        """
        journey = self.journey[keep]
        begins = np.r_[True, journey[1:] != journey[:-1]] if len(journey) else np.zeros(0, dtype=bool)
        dense = np.cumsum(begins, dtype=journey.dtype) - 1
        return Journeys(
            events=self.events[keep],
            starts=np.flatnonzero(begins),
            journey=dense,
            time=self.time[keep],
            names=self.names,
        )

    def until_first(self, codes: np.ndarray) -> Journeys:
        """The journeys cut just after their first event among ``codes`` (journeys without one stay whole)."""
        hit = np.isin(self.events, codes)
        first_hit = np.full(self.n_journeys, np.iinfo(np.int64).max)
        np.minimum.at(first_hit, self.journey[hit], np.flatnonzero(hit))
        return self.subset(np.arange(len(self.events)) <= first_hit[self.journey])

    def converted(self, goals: np.ndarray) -> np.ndarray:
        """Boolean per journey: whether it reaches any of the goal codes."""
        if len(goals) == 0:
            return np.zeros(self.n_journeys, dtype=bool)
        hit = np.isin(self.events, goals)
        return np.bincount(self.journey[hit], minlength=self.n_journeys) > 0


def split_journeys(log: EventLog, unit: str = "user", gap: str | pd.Timedelta = "30min") -> Journeys:
    """Cut ``log`` into journeys by user, or by session: the source's sessions when the log has them
    (``log.session_source``), else a new session after ``gap`` of inactivity.
    """
    check_unit(unit)
    t = log.time_ns
    codes = log.user_codes
    if unit != "session":
        begins = user_starts(codes)
    elif getattr(log, "session_source", None) is not None:
        begins = source_session_starts(codes, log.column("session"))
    else:
        begins = session_starts(codes, t, duration_ns(gap, "gap"))
    if unit != "session":
        journey = codes  # a user's events are one journey: the dense user codes number them already
    else:
        journey = np.cumsum(begins, dtype=np.int32 if len(begins) < 2**31 else np.int64) - 1
    return Journeys(events=log.event_codes, starts=np.flatnonzero(begins), journey=journey, time=t, names=log.events)


def goal_codes(goal: Goal, names: list[str], argument: str = "goal") -> np.ndarray:
    """Codes of the goal event(s); an unknown name is an error (it is most often a typo)."""
    if goal is None:
        return np.array([], dtype=np.int32)
    # Touchpoint names are stored as text: a goal given as 3 means the touchpoint "3".
    wanted = [goal] if isinstance(goal, (str, int, float)) else list(goal)
    index = {name: i for i, name in enumerate(names)}
    for name in wanted:
        if str(name) not in index:
            raise UnknownEventError(argument, name, names)
    return np.array(sorted({index[str(name)] for name in wanted}), dtype=np.int32)


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a 1-D integer array: ``np.unique(values)`` by a sort.

    numpy 2's ``np.unique`` hashes when asked for the values alone, and on millions of integer keys that is
    many times slower than sorting them (10M (user, period) keys: 5.4 s against 0.3 s).
    """
    out = np.sort(values)
    return out[user_starts(out)]  # the first of each run of equal values


def distinct_pairs(group: np.ndarray, item: np.ndarray, n_items: int) -> np.ndarray:
    """Distinct ``group * n_items + item`` keys, sorted, for ``group`` already non-decreasing.

    A sort of values (numpy's vectorised quicksort): on 10M keys already in group order it takes half the
    time of the timsort that could use those runs.
    """
    key = group.astype(np.int64) * n_items
    key += item
    key.sort()
    return key[user_starts(key)]


def observed_codes(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct codes that occur (sorted) and each code's position among them.

    A count over all ``size`` possible codes when that is small beside the data; otherwise a sort of the
    codes themselves, so a log with tens of thousands of touchpoints costs what its observed edges cost.
    """
    if size <= max(1 << 20, len(codes)):
        seen = np.zeros(size, dtype=bool)
        seen[codes] = True
        observed = np.flatnonzero(seen)
        position = np.zeros(size, dtype=np.int64)
        position[observed] = np.arange(len(observed))
        return observed, position[codes]
    observed, ids = np.unique(codes, return_inverse=True)
    return observed, ids.reshape(-1)


def check_unit(unit: str) -> None:
    """``unit`` says what one journey is: everything a ``"user"`` did, or one ``"session"``."""
    if unit not in JOURNEY_KINDS:
        raise JourneyError(
            f'unit must be "user" or "session" (what one journey is), not {unit!r}; a segment column goes in by='
        )


def goal_list(goal: Goal) -> list[str]:
    """The goal event(s) as a list of names (touchpoint names are text: a goal given as 3 is "3")."""
    if goal is None:
        return []
    return [str(goal)] if isinstance(goal, (str, int, float)) else [str(g) for g in goal]


class JourneyAnalysis(Analysis):
    """An analysis of journeys (by user or by session) toward optional goal events."""

    def __init__(self, *, goal: Goal = None, unit: str = "user", gap: str | pd.Timedelta = "30min"):
        check_unit(unit)
        duration_ns(gap, "gap")
        self.goal, self.goals, self.unit, self.gap = goal, goal_list(goal), unit, gap

    def prepare(self, facts: Facts) -> None:
        facts.require_events(self.goals, "goal")

    def journeys(self, log: EventLog) -> tuple[Journeys, np.ndarray]:
        """The part's journeys and the codes of the goals that occur in it (a part may lack one)."""
        journeys = split_journeys(log, unit=self.unit, gap=self.gap)
        present = [g for g in self.goals if g in set(journeys.names)]
        return journeys, goal_codes(present, journeys.names) if present else np.array([], dtype=np.int32)
