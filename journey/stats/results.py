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
from ..plot.text import format_value

__all__ = [
    "ConfidenceInterval",
    "Result",
    "TableResult",
    "Unit",
    "format_value",
    "formatted",
    "check_level",
    "stable_table",
]

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


def formatted(frame: pd.DataFrame, formats: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` as text, each column formatted by its kind in ``formats`` (see :func:`format_value`)."""
    return pd.DataFrame(
        {column: [format_value(v, formats.get(str(column), "")) for v in frame[column]] for column in frame.columns},
        index=range(len(frame)),
    )


def stable_table(table: Any, *, digits: int = 4, formats: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A table as text that reads the same on every machine, for notebooks whose outputs are compared.

    A DataFrame's display shows floats to six decimals, so a figure that differs in its last bits between
    machines (another BLAS, another summation order, another numpy) changes a notebook's stored output and
    fails ``pytest --nbval``. This returns the table with every value already written as text: floats to
    ``digits`` significant digits, integers with thousands separators, timestamps as dates (and times when
    they have one), paths joined with arrows, missing values as an en dash. Such text changes only when the
    figure changes in its shown digits (or sits within rounding noise of a half-way value, which a seeded
    analysis all but never does).

    Parameters
    ----------
    table : pandas.DataFrame, pandas.Series or a journey result
        A result is shown as its display shows it (shares as percentages, counts, p-values), every row of
        its ``to_frame()``; a single estimate's figures in its unit (12.3% for a share, +4.5 NPS points).
    digits : int, default 4
        Significant digits of floats without a kind of their own.
    formats : mapping of str to str, optional
        Column name -> kind: ``"share"`` (12.3%), ``"points"`` (+4.5), ``"count"`` (1,234), ``"p"``,
        ``"days"``, ``"decimal"``, ``"seconds"`` (4m 05s). A result's own kinds apply unless overridden.

    Returns
    -------
    pandas.DataFrame
        The same rows, index and columns, every cell a string. For display only: compute on the original.

    Raises
    ------
    JourneyError
        ``digits`` outside 1..15, an unknown kind, or a table that is not a DataFrame, Series or result.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"device": ["mobile", "desktop"], "rate": [0.1 + 0.2, 1 / 3],
    ...                       "journeys": [12000, 800]})
    >>> stable_table(frame)
        device    rate journeys
    0   mobile     0.3   12,000
    1  desktop  0.3333      800
    >>> stable_table(frame, formats={"rate": "share"})["rate"].tolist()
    ['30.0%', '33.3%']
    >>> from journey import proportion
    >>> stable_table(proportion(81, 263))
        k    n n_missing proportion ci_low ci_high
    0  81  263         0      30.8%  25.5%   36.6%
    """
    if isinstance(digits, bool) or not isinstance(digits, (int, np.integer)) or not 1 <= digits <= 15:
        raise JourneyError(f"digits={digits!r}: give a whole number of significant digits from 1 to 15")
    kinds = {"share", "points", "count", "p", "days", "decimal", "seconds", ""}
    unknown = sorted(set((formats or {}).values()) - kinds)
    if unknown:
        raise JourneyError(f"formats: unknown kind {unknown[0]!r}; use one of {sorted(kinds - {''})}")
    if isinstance(table, Result):
        to_frame = getattr(table, "to_frame", None)
        frame = to_frame() if callable(to_frame) else table._shown()
        if frame is None:
            raise JourneyError(f"{type(table).__name__} has no table: show the result itself, its text is stable")
        shown = dict(table._formats)
        unit = getattr(table, "unit", "")  # a single estimate: its float columns are in its unit
        if unit in ("share", "points", "days"):
            shown.update(
                {str(c): unit for c in frame.columns if pd.api.types.is_float_dtype(frame[c]) and str(c) not in shown}
            )
        formats = {**shown, **(formats or {})}
    elif isinstance(table, pd.Series):
        frame = table.to_frame()
    elif isinstance(table, pd.DataFrame):
        frame = table
    else:
        raise JourneyError(
            f"stable_table() takes a DataFrame, a Series or a journey result, not {type(table).__name__}"
        )
    formats = dict(formats or {})

    def text(value: Any, kind: str) -> str:
        if not kind and isinstance(value, (float, np.floating)) and np.isfinite(value):
            return f"{float(value):.{int(digits)}g}"
        return format_value(value, kind)

    return pd.DataFrame(
        {column: [text(v, formats.get(str(column), "")) for v in frame[column]] for column in frame.columns},
        index=frame.index,
    )


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
        parts = [
            f'<div class="journey-result"><p><b>{html.escape(type(self).__name__)}</b>: {html.escape(headline)}</p>'
        ]
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
            return ConfidenceInterval(
                self._table["ci_low"].to_numpy(dtype=float), self._table["ci_high"].to_numpy(dtype=float)
            )
        from .intervals import proportion_interval

        low, high = proportion_interval(
            self._table[self._successes].to_numpy(dtype=float),
            self._table[self._trials].to_numpy(dtype=float),
            self.level if level is None else check_level(level),
            method or "wilson",
        )
        return ConfidenceInterval(low, high)
