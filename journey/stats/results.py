"""The result protocol every `journey` analysis follows, and its one display implementation.

A result is a small object in the style of ``scipy.stats`` results:

- named fields (or properties) for the headline numbers and their ``n``;
- ``confidence_interval(level=None, method=None)`` returning :class:`ConfidenceInterval` — floats for a
  single estimate, arrays aligned with the rows of ``to_frame()`` for a table;
- ``to_frame()``: a tidy DataFrame with stable column names and a documented sort order;
- a plain-text repr (no memory addresses) and an HTML repr for Jupyter, both made here from the result's
  ``_headline()`` and ``_shown()``, so every result is displayed the same way;
- ``plot(ax=None, **kwargs)`` returning the Axes, where a picture exists.

Results with one headline estimate (an NPS, a proportion) expose it as ``estimate`` with its ``unit``
(``"share"``, ``"points"``, ``"days"``) and a scalar ``confidence_interval()``. A table result whose rows
add up to one headline number (a funnel's overall conversion, the average churn, the repeat rate of all
customers) exposes that number as ``overall``, itself a single-estimate result. That is all
:func:`journey.kpi` needs: it takes ``result.overall`` when there is one, else the result itself.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, NamedTuple

import numpy as np
import pandas as pd

from ..errors import JourneyError

__all__ = ["ConfidenceInterval", "Result", "TableResult", "Unit", "format_value", "formatted", "check_level"]

#: What the numbers of an estimate are: shares 0-1, NPS points (-100 to 100), days, or plain numbers.
Unit = Literal["share", "points", "days", ""]

#: How many rows the text and HTML displays show before "... and N more rows".
SHOWN_ROWS = 15


class ConfidenceInterval(NamedTuple):
    """A confidence interval in the unit of its estimate: floats for one estimate, arrays for a table."""

    low: Any
    high: Any


def check_level(level: float) -> float:
    """A confidence level strictly between 0 and 1 (0.95 for 95%), or a :class:`JourneyError`."""
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) or not 0 < level < 1:
        raise JourneyError(f"level must be a number between 0 and 1 (0.95 for 95%), not {level!r}")
    return float(level)


def format_value(value: Any, kind: str = "") -> str:
    """One value as a reader should see it: ``"share"`` 12.3%, ``"points"`` +4.5, ``"count"`` 1,234,
    ``"p"`` 0.0123, ``"days"`` 3.2, ``"decimal"`` 1,234.5, ``"seconds"`` 4m 05s; paths joined with arrows;
    missing as an en dash.

    Examples
    --------
    >>> format_value(0.1234, "share"), format_value(4.5, "points"), format_value(1234, "count")
    ('12.3%', '+4.5', '1,234')
    >>> format_value(("home", "cart")), format_value(float("nan"), "share")
    ('home → cart', '–')
    """
    if isinstance(value, tuple):
        return " → ".join(map(str, value))
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, pd.Period):
        return str(value)
    if not isinstance(value, (int, float, np.integer, np.floating)):
        return str(value)
    if kind == "share":
        return f"{value:.1%}"
    if kind == "points":
        return f"{value:+.1f}"
    if kind == "count":
        return f"{int(value):,}"
    if kind == "p":
        return f"{value:.3g}" if value >= 0.001 else f"{value:.1e}"
    if kind == "days":
        return f"{value:.1f}"
    if kind == "decimal":
        return f"{value:,.1f}"
    if kind == "seconds":
        return _duration(float(value))
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    return f"{value:.4g}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m {int(seconds % 60):02d}s"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h {int(seconds % 3600 // 60):02d}m"
    return f"{seconds / 86400:.1f}d"


def formatted(frame: pd.DataFrame, formats: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` as text, each column formatted by its kind in ``formats`` (see :func:`format_value`)."""
    return pd.DataFrame({column: [format_value(v, formats.get(str(column), "")) for v in frame[column]]
                         for column in frame.columns}, index=range(len(frame)))


class Result:
    """Base of every result: the shared text and HTML display.

    Subclasses give ``_headline()``, one line of what the result says, and may give ``_shown()``, the
    table to display under it, with ``_formats`` naming each column's kind (``"share"``, ``"points"``,
    ``"count"``, ``"p"``, ``"days"``, ``"seconds"``).
    """

    _formats: ClassVar[dict[str, str]] = {}

    def _headline(self) -> str:
        raise NotImplementedError

    def _shown(self) -> pd.DataFrame | None:
        return None

    def _display(self) -> tuple[str, pd.DataFrame | None, int]:
        table = self._shown()
        if table is None:
            return self._headline(), None, 0
        more = max(0, len(table) - SHOWN_ROWS)
        return self._headline(), formatted(table.head(SHOWN_ROWS), self._formats), more

    def __repr__(self) -> str:
        headline, table, more = self._display()
        text = f"{type(self).__name__}: {headline}"
        if table is not None and len(table) and len(table.columns):
            text += "\n" + table.to_string(index=False)
        if more:
            text += f"\n... and {more:,} more rows (to_frame() has them all)"
        return text

    def _repr_html_(self) -> str:
        headline, table, more = self._display()
        parts = [f'<div class="journey-result"><p><b>{html.escape(type(self).__name__)}</b>: '
                 f"{html.escape(headline)}</p>"]
        if table is not None and len(table) and len(table.columns):
            parts.append(table.to_html(index=False, escape=True, border=0, classes="journey-table"))
        if more:
            parts.append(f"<p><i>... and {more:,} more rows (to_frame() has them all)</i></p>")
        parts.append("</div>")
        return "".join(parts)


class TableResult(Result):
    """A result whose rows are a table: one estimate per row, with ``ci_low``/``ci_high`` when it has one.

    ``to_frame()`` returns a copy of the table; ``len(result)`` is its number of rows. Subclasses that hold
    proportions name their count columns in ``_successes`` and ``_trials``, so intervals at another level
    or by another method are recomputed from the counts.
    """

    _table: pd.DataFrame
    level: float
    _successes: ClassVar[str | None] = None
    _trials: ClassVar[str | None] = None

    def to_frame(self) -> pd.DataFrame:
        """The result as a tidy table (a copy: changing it does not change the result)."""
        return self._table.copy()

    def __len__(self) -> int:
        return len(self._table)

    def _shown(self) -> pd.DataFrame | None:
        return self._table

    def confidence_interval(self, level: float | None = None, method: str | None = None) -> ConfidenceInterval:
        """Interval of each row's estimate, as arrays aligned with the rows of :meth:`to_frame`.

        Parameters
        ----------
        level : float, optional
            Confidence level; the result's own ``level`` when not given.
        method : {"wilson", "exact", "jeffreys"}, optional
            Interval for a proportion; Wilson score (the default), Clopper-Pearson or Jeffreys.
        """
        if self._successes is None or self._trials is None:
            raise JourneyError(f"{type(self).__name__} has no interval")
        if (level is None or level == self.level) and method in (None, "wilson"):
            return ConfidenceInterval(self._table["ci_low"].to_numpy(dtype=float),
                                      self._table["ci_high"].to_numpy(dtype=float))
        from .intervals import proportion_interval

        low, high = proportion_interval(self._table[self._successes].to_numpy(dtype=float),
                                        self._table[self._trials].to_numpy(dtype=float),
                                        self.level if level is None else check_level(level), method or "wilson")
        return ConfidenceInterval(low, high)
