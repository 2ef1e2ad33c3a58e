"""Funnel, drop-off and path-comparison charts: every rate drawn with its interval.

These functions draw tables; the results of :func:`journey.funnel`, :func:`journey.drop_off` and
:func:`journey.compare_paths` call them from their ``plot()`` methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ..errors import JourneyError, option
from .figures import INTERVAL as _INTERVAL
from .figures import axes_for, axes_inches, literal_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "funnel_bars",
    "drop_off_bars",
    "path_forest",
    "FUNNEL_VIEWS",
    "DROP_OFF_ORDERS",
    "FunnelView",
    "DropOffOrder",
]

#: What a funnel's bars show: the share of step 1 reaching each step, or each step's conversion to the next.
FunnelView = Literal["cumulative", "step"]
FUNNEL_VIEWS = ("cumulative", "step")
FUNNEL_COLOUR = "#4c72b0"
#: Width of a character of the default font, in multiples of its size (DejaVu Sans digits, with a margin).
CHARACTER_WIDTH = 0.64
#: How the bars of a drop-off chart are ranked: by expected lost conversions (the table's order) or exit rate.
DropOffOrder = Literal["lost", "exit_rate"]
DROP_OFF_ORDERS = ("lost", "exit_rate")
#: One colour per segment, in the segments' order.
SEGMENT_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#8172b3", "#937860", "#da8bc3", "#8c8c8c", "#ccb974")

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
    bars: pd.DataFrame,
    *,
    segment: str | None,
    level: float,
    view: FunnelView = "cumulative",
    first: str = "step 1",
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Bars of a funnel with their intervals, each labelled with its share and "k of n".

    ``bars`` has one row per bar: ``segment`` (the segment's value, or None), ``label`` (the x position it
    belongs to: a step, or a step and the next), ``k``, ``n``, ``rate`` (``k / n``, NaN when ``n`` is 0),
    ``ci_low`` and ``ci_high``. Rows of one segment are consecutive, in x order; segments are drawn side by
    side in the order they come, coloured, with a legend titled ``segment``. ``view`` (``"cumulative"`` or
    ``"step"``) and ``first`` (the first step's name) say what the bars are, for the axis label and the
    title. ``kwargs`` go to :meth:`~matplotlib.axes.Axes.bar`.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> bars = pd.DataFrame({"segment": None, "label": ["1. home", "2. cart"], "k": [4, 1], "n": [4, 4],
    ...                      "rate": [1.0, 0.25], "ci_low": [0.51, 0.05], "ci_high": [1.0, 0.7]})
    >>> ax = funnel_bars(bars, segment=None, level=0.95, first="home")
    >>> [round(float(p.get_height()), 2) for p in ax.patches], [t.get_text() for t in ax.texts]
    ([1.0, 0.25], ['100%\\n4 of 4', '25%\\n1 of 4'])
    """
    labels = list(dict.fromkeys(bars["label"]))
    groups = [(None, bars)] if segment is None else list(bars.groupby("segment", sort=False, dropna=False))
    ax = axes_for(ax, figsize=(max(8.0, 1.3 * len(labels) * max(len(groups), 1) ** 0.5 + 2), 5.5))
    width = 0.8 / max(len(groups), 1)
    # One size for every label, the largest at which "k of n" fits the bar; below 7.5 pt "of n" goes under.
    room = 72 * axes_inches(ax)[0] * width / max(len(labels), 1)  # points per bar
    counts = [f"{int(k):,} of {int(n):,}" for k, n in zip(bars["k"], bars["n"])]
    fontsize = room / (CHARACTER_WIDTH * max(map(len, counts), default=1))
    stacked = fontsize < 7.5
    if stacked:
        fontsize = room / (CHARACTER_WIDTH * max((len(c.split(" of ")[1]) + 3 for c in counts), default=1))
    fontsize = float(np.clip(fontsize, 7, 10))
    for i, (name, rows) in enumerate(groups):
        x = np.array([labels.index(label) for label in rows["label"]]) + (i - (len(groups) - 1) / 2) * width
        rate = rows["rate"].to_numpy(dtype=float)
        low, high = rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float)
        style = {"color": FUNNEL_COLOUR if segment is None else SEGMENT_COLOURS[i % len(SEGMENT_COLOURS)], **kwargs}
        label = None if segment is None else "missing" if pd.isna(name) else str(name)
        ax.bar(x, np.nan_to_num(rate), width=width * 0.9, label=label, **style)
        known = ~np.isnan(rate)
        ax.errorbar(x[known], rate[known], yerr=[rate[known] - low[known], high[known] - rate[known]], **INTERVAL)
        for xi, r, top, k, n in zip(x, rate, np.nan_to_num(high), rows["k"], rows["n"]):
            share = "–" if np.isnan(r) else f"{r:.0%}"
            of = "\nof " if stacked else " of "
            ax.text(xi, top + 0.015, f"{share}\n{int(k):,}{of}{int(n):,}", ha="center", va="bottom", fontsize=fontsize)
    ax.set_xticks(np.arange(len(labels)), labels, fontsize=10)
    literal_text(ax.get_xticklabels())
    ax.set_ylim(0, 1.2)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.yaxis.set_major_formatter("{x:.0%}")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if view == "cumulative":
        ax.set_ylabel(f"share of those entering {first} ({_percent(level)} CI)", parse_math=False)
        ax.set_title(f"Funnel: how many of those entering {first} reach each step", parse_math=False)
    else:
        ax.set_ylabel(f"conversion to the next step ({_percent(level)} CI)")
        ax.set_title("Funnel: conversion from each step to the next")
    if segment is not None:
        legend = ax.legend(title=segment, fontsize=9, title_fontsize=9, loc="upper right", frameon=False)
        literal_text(legend.get_texts(), [legend.get_title()])
    return ax


def drop_off_bars(
    table: pd.DataFrame,
    *,
    segment: str | None,
    level: float,
    top: int = 15,
    order: DropOffOrder = "lost",
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Exit rates of a drop-off table as ranked horizontal bars with their intervals, the first on top.

    ``order="lost"`` keeps the table's order (most expected lost conversions first), ``"exit_rate"`` ranks
    by exit rate; the first ``top`` touchpoints are drawn. Each bar says "exits of journeys". With a
    ``segment`` column, each touchpoint has one bar per segment (coloured, with a legend) and the
    touchpoints whose exit rates differ significantly between segments are marked with a star and bold.
    ``kwargs`` go to :meth:`~matplotlib.axes.Axes.barh`.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> table = pd.DataFrame({"touchpoint": ["home", "cart"], "journeys": [20, 10], "exits": [2, 4],
    ...                       "exit_rate": [0.1, 0.4], "ci_low": [0.03, 0.17], "ci_high": [0.3, 0.69]})
    >>> ax = drop_off_bars(table, segment=None, level=0.95, order="exit_rate")
    >>> [t.get_text() for t in ax.get_yticklabels()]  # from the top
    ['cart', 'home']
    """
    if order not in DROP_OFF_ORDERS:
        raise JourneyError(
            f'{option("order")} must be "lost" (most expected lost conversions first) or "exit_rate", not {order!r}'
        )
    names = list(dict.fromkeys(table["touchpoint"]))
    if order == "exit_rate":
        totals = table.groupby("touchpoint", sort=False)[["exits", "journeys"]].sum()
        rate = (totals["exits"] / totals["journeys"].where(totals["journeys"] > 0)).fillna(-1)
        names = sorted(names, key=lambda name: (-rate[name], names.index(name)))
    names = names[: _shown_rows(top)]
    groups = [(None, table)] if segment is None else list(table.groupby(segment, sort=False, dropna=False))
    height = 0.8 / max(len(groups), 1)
    ax = axes_for(ax, figsize=(9, max(3.0, 0.32 * len(names) * max(len(groups), 1.6) + 1.6)))
    y_of = {name: len(names) - 1 - i for i, name in enumerate(names)}  # the first on top
    highest = 0.0
    for i, (value, rows) in enumerate(groups):
        rows = rows[rows["touchpoint"].isin(y_of)]
        y = rows["touchpoint"].map(y_of).to_numpy(dtype=float) + ((len(groups) - 1) / 2 - i) * height
        rate = rows["exit_rate"].to_numpy(dtype=float)
        low, high = rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float)
        colour = LOSS_COLOUR if segment is None else SEGMENT_COLOURS[i % len(SEGMENT_COLOURS)]
        label = None if segment is None else "missing" if pd.isna(value) else str(value)
        ax.barh(y, np.nan_to_num(rate), height=height * 0.9, label=label, **{"color": colour, **kwargs})
        known = ~np.isnan(rate)
        ax.errorbar(rate[known], y[known], xerr=[rate[known] - low[known], high[known] - rate[known]], **INTERVAL)
        for yi, hi, e, n in zip(y, np.nan_to_num(high), rows["exits"], rows["journeys"]):
            ax.text(hi + 0.008, float(yi), f"{int(e):,} of {int(n):,}", va="center", fontsize=8 if segment else 9)
        highest = max(highest, float(np.nanmax(high, initial=0.0)))
    flagged = set()
    if segment is not None and "significant" in table.columns:
        flagged = set(table.loc[table["significant"].astype(bool), "touchpoint"])
    ax.set_yticks(
        [y_of[name] for name in names], [f"{name} *" if name in flagged else str(name) for name in names], fontsize=10
    )
    for text, name in zip(ax.get_yticklabels(), names):
        text.set_fontweight("bold" if name in flagged else "normal")
    literal_text(ax.get_yticklabels())
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.set_xlabel(f"exit rate: journeys ending there without converting ({_percent(level)} CI)")
    ax.xaxis.set_major_formatter("{x:.0%}")
    ax.set_xlim(0, min(1.0, highest * 1.2 + 0.04))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ranked = "most conversions lost first" if order == "lost" else "highest exit rate first"
    ax.set_title(f"Where journeys end without converting ({ranked})")
    if segment is not None:
        p = f"adjusted p < {1 - level:.2g}"
        note = f"* exit rates differ ({p})" if flagged else f"no touchpoint differs ({p})"
        legend = ax.legend(title=f"{segment}\n{note}", fontsize=9, title_fontsize=9, loc="lower right", frameon=False)
        literal_text(legend.get_texts(), [legend.get_title()])
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
