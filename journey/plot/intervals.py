"""Estimates with their intervals as ranked horizontal bars: the chart of any table of rates or effects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .figures import INTERVAL, axes_for, literal_text

__all__ = ["draw_interval_bars", "difference_forest"]


def draw_interval_bars(
    labels: Sequence[str],
    estimate: Sequence[float],
    low: Sequence[float],
    high: Sequence[float],
    *,
    ax: Any = None,
    xlabel: str = "",
    title: str = "",
    notes: Sequence[str] | None = None,
    percent: bool = True,
    colour: str = "#4c72b0",
    reference: float | None = None,
) -> Any:
    """One bar per row, first row on top, each with its interval; ``notes`` written beside the bars.

    Missing bounds draw no interval (a row whose interval is unknown); ``reference`` draws a vertical line
    (0 for differences). Returns the Axes.
    """
    ax = axes_for(ax, figsize=(8, 0.35 * len(labels) + 1.5))
    y = np.arange(len(labels))[::-1]
    value = np.asarray(estimate, dtype=float)
    lo, hi = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    ax.barh(y, np.nan_to_num(value), color=colour, alpha=0.85)
    ax.errorbar(value, y, xerr=[np.clip(value - lo, 0, None), np.clip(hi - value, 0, None)], **INTERVAL)
    if notes is not None:
        right = np.where(np.isnan(hi), value, hi)
        span = float(np.nanmax(np.abs(np.r_[right, value, 0.0]))) or 1.0
        for yi, x, note in zip(y, right, notes):
            ax.text(float(np.nan_to_num(x)) + 0.01 * span, yi, note, va="center", fontsize=9, parse_math=False)
    if reference is not None:
        ax.axvline(reference, color="#999999", lw=0.8)
    ax.set_yticks(y, [str(label) for label in labels])
    literal_text(ax.get_yticklabels())
    if percent:
        ax.xaxis.set_major_formatter("{x:.0%}")
    ax.set_xlabel(xlabel, parse_math=False)
    ax.set_title(title, parse_math=False)
    return ax


def difference_forest(
    labels: Sequence[str],
    difference: Sequence[float],
    low: Sequence[float],
    high: Sequence[float],
    significant: Sequence[bool],
    *,
    level: float,
    ax: Any = None,
    xlabel: str = "",
    title: str = "",
    **kwargs: Any,
) -> Any:
    """Differences as points with their intervals, first row on top, a line at 0; significant rows in colour.

    ``kwargs`` go to :meth:`matplotlib.axes.Axes.errorbar`. A legend names the two kinds of row. Returns the Axes.
    """
    from matplotlib.lines import Line2D

    ax = axes_for(ax, figsize=(8, 0.35 * len(labels) + 1.5))
    y = np.arange(len(labels))[::-1]
    value = np.asarray(difference, dtype=float)
    lo, hi = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    flagged = np.asarray(significant, dtype=bool)
    ax.axvline(0, color="#999999", lw=0.8)
    style = {"fmt": "o", "capsize": 3, "markersize": 5, **kwargs}
    for mask, colour in ((~flagged, "#9aa5ad"), (flagged, "#c0392b")):
        if mask.any():
            ax.errorbar(
                value[mask],
                y[mask],
                xerr=[np.clip(value[mask] - lo[mask], 0, None), np.clip(hi[mask] - value[mask], 0, None)],
                color=colour,
                ecolor=colour,
                **style,
            )
    ax.set_yticks(y, [str(label) for label in labels])
    literal_text(ax.get_yticklabels())
    ax.set_xlabel(xlabel, parse_math=False)
    ax.set_title(title, parse_math=False)
    handles = [
        Line2D([], [], color="#c0392b", marker="o", ls="none"),
        Line2D([], [], color="#9aa5ad", marker="o", ls="none"),
    ]
    ax.legend(
        handles,
        [f"differs (adjusted p < {1 - level:.2g})", "no clear difference"],
        fontsize=7,
        loc="best",
        frameon=False,
        title=f"{level * 100:g}% intervals",
        title_fontsize=7,
    )
    return ax
