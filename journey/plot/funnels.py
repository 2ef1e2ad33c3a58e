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

__all__ = ["funnel_bars", "drop_off_bars", "path_forest"]

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


def funnel_bars(
    table: pd.DataFrame, *, segment: str | None, level: float, ax: Axes | None = None, **kwargs: Any
) -> Axes:
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
        ax.errorbar(
            x,
            rate,
            yerr=[rate - rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float) - rate],
            **INTERVAL,
        )
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


def drop_off_bars(
    table: pd.DataFrame, *, segment: str | None, level: float, top: int = 15, ax: Axes | None = None, **kwargs: Any
) -> Axes:
    """Exit rates of the first ``top`` rows of a drop-off table as ranked bars with their intervals.

    Rows keep the table's order (largest expected loss first, at the top); with a ``segment`` column each
    bar is labelled "touchpoint · segment". ``kwargs`` go to :meth:`~matplotlib.axes.Axes.barh`.
    """
    ax = axes_for(ax)
    rows = table.head(_shown_rows(top)).iloc[::-1]
    labels = (
        list(rows["touchpoint"])
        if segment is None
        else [f"{t} · {s}" for t, s in zip(rows["touchpoint"], rows[segment].astype(object).fillna("missing"))]
    )
    y = np.arange(len(rows))
    rate = rows["exit_rate"].to_numpy(dtype=float)
    low, high = rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float)
    ax.barh(y, rate, **{"color": LOSS_COLOUR, **kwargs})
    ax.errorbar(rate, y, xerr=[rate - low, high - rate], **INTERVAL)
    for yi, hi, e, n in zip(y, high, rows["exits"], rows["journeys"]):
        ax.text(hi + 0.01, float(yi), f"{int(e):,} of {int(n):,}", va="center", fontsize=7)
    ax.set_yticks(y, [str(label) for label in labels])
    literal_text(ax.get_yticklabels())
    ax.set_xlabel(f"exit rate: journeys ending there without converting ({_percent(level)} CI)")
    ax.xaxis.set_major_formatter("{x:.0%}")
    ax.set_xlim(0, min(1.0, float(np.nanmax(high, initial=0.0)) * 1.25 + 0.02))
    ax.set_title("Where journeys end without converting")
    return ax


def path_forest(table: pd.DataFrame, *, level: float, top: int = 15, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """The ``top`` largest differences of a path-comparison table as a forest plot with their intervals.

    One row per transition ("source → target"), the largest absolute difference at the top; a point at
    the difference in shares (converting minus other journeys) and a line for its interval. Significant
    differences are drawn in colour, the others in grey. ``kwargs`` go to the markers
    (:meth:`~matplotlib.axes.Axes.errorbar`).
    """
    ax = axes_for(ax)
    order = np.argsort(-table["difference"].abs().to_numpy(dtype=float), kind="stable")
    rows = table.iloc[order[: _shown_rows(top)]].iloc[::-1]
    y = np.arange(len(rows))
    difference = rows["difference"].to_numpy(dtype=float)
    low, high = rows["difference_ci_low"].to_numpy(dtype=float), rows["difference_ci_high"].to_numpy(dtype=float)
    significant = rows["significant"].to_numpy(dtype=bool)
    kinds = ((significant, LOSS_COLOUR, "significant"), (~significant, MUTED_COLOUR, "not significant"))
    for mask, colour, label in kinds:
        if mask.any():
            ax.errorbar(
                difference[mask],
                y[mask],
                xerr=[difference[mask] - low[mask], high[mask] - difference[mask]],
                **{**INTERVAL, "ecolor": colour, "fmt": "o", "color": colour, "label": label, **kwargs},
            )
    ax.axvline(0, color="#222222", linewidth=0.8)
    ax.set_yticks(y, [f"{s} → {t}" for s, t in zip(rows["source"], rows["target"])])
    literal_text(ax.get_yticklabels())
    ax.set_xlabel(f"share of converting minus share of other journeys making the transition ({_percent(level)} CI)")
    ax.xaxis.set_major_formatter("{x:+.0%}")
    if len(rows):
        ax.legend(fontsize=8, title=f"adjusted p < {1 - level:.2g}", loc="best")
    ax.set_title("Transitions converting journeys use more, or less")
    return ax
