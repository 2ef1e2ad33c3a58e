"""Type aliases of the public surface: what a log, a goal, a duration or an option may be."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias

import pandas as pd

__all__ = ["Goal", "Duration", "Unit", "Period", "StepOrder"]

# What a log may be (LogLike) is defined beside EventLog, in journey.io.events.

#: One conversion event, several (any of them converts), or none.
Goal: TypeAlias = str | Sequence[str] | None

#: A length of time: ``"30min"``, ``"7D"``, a ``pandas.Timedelta``.
Duration: TypeAlias = str | pd.Timedelta

#: What one journey is: everything a user did, or one session.
Unit: TypeAlias = Literal["user", "session"]

#: A calendar period: day, week (starting Monday) or month.
Period: TypeAlias = Literal["D", "W", "M"]

#: How funnel steps must follow each other: in order with anything between (``"sequential"``), in order
#: and directly (``"strict"``), or in any order (``"any"``). ``"loose"``, the old name of ``"sequential"``,
#: is still accepted with a ``DeprecationWarning``.
StepOrder: TypeAlias = Literal["sequential", "strict", "any"]
