"""Funnel, drop-off and path-comparison charts: every rate drawn with its interval.

These functions draw tables; the results of :func:`journey.funnel`, :func:`journey.drop_off` and
:func:`journey.compare_paths` call them from their ``plot()`` methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import JourneyError, option
from .figures import INTERVAL as _INTERVAL
from .figures import axes_for, literal_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["funnel_bars", "plot_drop_off"]

#: Colour of exit rates (a loss) and of transitions that differ significantly.
LOSS_COLOUR = "#c44e52"
MUTED_COLOUR = "#8c8c8c"

# The shared interval style, typed for matplotlib's keyword arguments.
INTERVAL: dict[str, Any] = dict(_INTERVAL)


def _percent(level: float) -> str:
    return f"{level * 100:g}%"


def _shown_rows(top: int) -> int:
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise JourneyError(f"{option('top')} must be a whole number of rows, at least 1, not {top!r}")
    return int(top)


def funnel_bars(table: pd.DataFrame, *, segment: str | None, level: float, ax: Axes | None = None,
                **kwargs: Any) -> Axes:
    """Step-to-step conversion rates of a funnel table as bars with their intervals.

    One group of bars per step transition, one bar per value of the ``segment`` column when given; each
    bar is labelled with its ``n`` (customers at risk). ``kwargs`` go to :meth:`~matplotlib.axes.Axes.bar`.
    """
    ax = axes_for(ax)
    names = table.drop_duplicates("step").set_index("step")["touchpoint"]
    transitions = table[table["at_risk"].notna()]  # the last step has no next one
    steps = sorted(transitions["step"].unique())
    groups = [(None, transitions)] if segment is None else list(transitions.groupby(segment, sort=True, dropna=False))
    width = 0.8 / max(len(groups), 1)
    for i, (name, rows) in enumerate(groups):
        rows = rows.set_index("step").reindex(steps)
        x = np.arange(len(steps)) + (i - (len(groups) - 1) / 2) * width
        rate = rows["conversion_rate"].to_numpy(dtype=float)
        label = None if segment is None else "missing" if pd.isna(name) else str(name)
        ax.bar(x, np.nan_to_num(rate), width=width * 0.9, label=label, **kwargs)
        ax.errorbar(x, rate, yerr=[rate - rows["ci_low"].to_numpy(dtype=float),
                                   rows["ci_high"].to_numpy(dtype=float) - rate], **INTERVAL)
        for xi, n in zip(x, rows["at_risk"].astype("Float64").fillna(0)):  # nobody at risk: n=0 and no bar
            ax.text(xi, 0.02, f"n={int(n):,}", ha="center", fontsize=7, rotation=90, color="white" if n else "black")
    ax.set_xticks(np.arange(len(steps)), [f"{names[s]} →\n{names[s + 1]}" for s in steps])
    literal_text(ax.get_xticklabels())
    ax.set_ylim(0, 1)
    ax.set_ylabel(f"conversion to the next step ({_percent(level)} CI)")
    ax.yaxis.set_major_formatter("{x:.0%}")
    if segment is not None:
        legend = ax.legend(title=segment, fontsize=8)
        literal_text(legend.get_texts(), [legend.get_title()])
    ax.set_title("Funnel: step-to-step conversion")
    return ax


def _need(table: pd.DataFrame, columns, what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise JourneyError(f"{what} needs the columns {', '.join(map(repr, missing))}; pass the table "
                           f"that journey.{what.split('(')[0].replace('plot_', '')}(...) returns")



def plot_drop_off(drop_off_table: pd.DataFrame, *, ax=None, top: int = 15):
    """Exit rates of a :func:`journey.drop_off` table as ranked bars with Wilson intervals (table order)."""
    _need(drop_off_table, ["touchpoint", "exit_rate", "ci_low", "ci_high", "exits", "journeys"],
          "plot_drop_off(drop_off_table)")
    ax = axes_for(ax)
    rows = drop_off_table.head(top).iloc[::-1]
    segment = rows.columns[0] if rows.columns[0] != "touchpoint" else None  # drop_off(by=...) puts it first
    labels = [f"{t} · {s}" for t, s in zip(rows["touchpoint"], rows[segment])] if segment else list(rows["touchpoint"])
    y = np.arange(len(rows))
    rate = rows["exit_rate"].to_numpy()
    ax.barh(y, rate, color="#c44e52")
    ax.errorbar(rate, y, xerr=[rate - rows["ci_low"], rows["ci_high"] - rate], **INTERVAL)
    for yi, hi, e, n in zip(y, rows["ci_high"], rows["exits"], rows["journeys"]):
        ax.text(hi + 0.01, yi, f"{int(e):,} of {int(n):,}", va="center", fontsize=7)
    ax.set_yticks(y, [str(label) for label in labels])
    literal_text(ax.get_yticklabels())
    ax.set_xlabel("exit rate: journeys ending there without converting (95% CI)")
    ax.xaxis.set_major_formatter("{x:.0%}")
    ax.set_xlim(0, min(1.0, float(rows["ci_high"].max()) * 1.25 + 0.02))
    ax.set_title("Where journeys end without converting")
    return ax
