"""The swimlane picture of a customer journey map, from its tables: stages as columns, one lane per question.

Lanes from the top: reach and progression (bars with their intervals), the main touchpoints, the median
time in the stage, the emotion curve (NPS with its interval band, CSAT beside it) and the pain points. The
function takes the tables of :class:`journey.ExperienceMap` (plain DataFrames), never a log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import JourneyError
from .figures import axes_for
from .text import format_value

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["draw_swimlane", "LANES"]

#: Lane titles, top to bottom, and each lane's height (data units).
LANES = (
    ("Reach and progression", 1.0),
    ("Main touchpoints", 1.0),
    ("Time in stage", 0.6),
    ("Emotion (NPS)", 1.6),
    ("Pain points", 1.0),
)
REACH, PROGRESSION, EMOTION, PAIN, GRID = "#4c72b0", "#55a868", "#8172b2", "#c0392b", "#d0d0d0"
#: Longest touchpoint name shown in full; longer ones are cut with an ellipsis.
LONGEST_NAME = 22


def draw_swimlane(
    stages: pd.DataFrame,
    touchpoints: pd.DataFrame,
    pain: pd.DataFrame,
    *,
    level: float,
    top: int = 3,
    ax: Axes | None = None,
    title: str = "",
    **kwargs: Any,
) -> Axes:
    """Draw the journey map: one column per row of ``stages``, in order, and five lanes.

    Parameters
    ----------
    stages : pandas.DataFrame
        One row per stage with ``stage``, ``reach``, ``progression``, ``nps``, ``median_seconds`` (each with
        ``_ci_low``, ``_ci_high`` and ``_n``) and optionally ``csat``.
    touchpoints : pandas.DataFrame
        ``stage``, ``touchpoint``, ``events``, ordered by volume within each stage.
    pain : pandas.DataFrame
        The pain points: ``stage``, ``touchpoint``, ``measure``, ``value``, ``other_value``, ``p_adjusted``.
    level : float
        Confidence level of the intervals, for the legend.
    top : int
        Touchpoints named per stage.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure sized for the number of stages when not given.
    title : str
        The picture's title.
    **kwargs
        Passed to ``Axes.plot`` for the emotion curve.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise JourneyError(f"top must be a whole number of at least 1, not {top!r}")
    k = len(stages)
    ax = axes_for(ax, figsize=(max(8.0, 1.9 * k + 2.0), 7.0))
    bottoms = _lane_bottoms()
    ax.set_xlim(0, k)
    ax.set_ylim(0, sum(h for _, h in LANES))
    for i in range(k):
        if i % 2:
            ax.axvspan(i, i + 1, color="#f4f4f4", zorder=0)
    for x in range(1, k):
        ax.axvline(x, color=GRID, lw=0.8, zorder=1)
    for y in bottoms[:-1]:
        ax.axhline(y, color=GRID, lw=0.8, zorder=1)
    _reach_lane(ax, stages, bottoms[0], LANES[0][1])
    _touchpoint_lane(ax, stages, touchpoints, bottoms[1], LANES[1][1], top)
    _time_lane(ax, stages, bottoms[2], LANES[2][1])
    _emotion_lane(ax, stages, bottoms[3], LANES[3][1], level, **kwargs)
    _pain_lane(ax, stages, pain, bottoms[4], LANES[4][1])
    ax.set_yticks([b + h / 2 for b, (_, h) in zip(bottoms, LANES)], [name for name, _ in LANES], fontsize=9)
    ax.set_xticks(np.arange(k) + 0.5, [str(s) for s in stages["stage"]], fontsize=10, fontweight="bold")
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    for text in [*ax.get_xticklabels(), *ax.get_yticklabels()]:
        text.set_parse_math(False)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title(title, parse_math=False, fontsize=11, pad=22)
    return ax


def _lane_bottoms() -> list[float]:
    """Bottom of each lane, the first lane on top."""
    heights = [h for _, h in LANES]
    tops = np.cumsum(heights[::-1])[::-1]
    return [float(t - h) for t, h in zip(tops, heights)]


def _reach_lane(ax: Axes, stages: pd.DataFrame, bottom: float, height: float) -> None:
    """Two bars per stage, the column's width meaning 100%: reach, then progression, each with its interval."""
    for row, (name, colour, label) in enumerate([("reach", REACH, "reach"), ("progression", PROGRESSION, "go on")]):
        y = bottom + height * (0.7 - 0.4 * row)
        for i, (value, low, high) in enumerate(zip(stages[name], stages[f"{name}_ci_low"], stages[f"{name}_ci_high"])):
            left, width = i + 0.08, 0.84
            ax.barh(y, width, left=left, height=0.16 * height, color="#eeeeee", zorder=2)
            if np.isnan(value):
                ax.text(left, y, f"{label}: –", va="center", fontsize=7, zorder=4, parse_math=False)
                continue
            ax.barh(y, width * value, left=left, height=0.16 * height, color=colour, alpha=0.85, zorder=3)
            if not np.isnan(low):
                ax.errorbar(
                    left + width * value,
                    y,
                    xerr=[[width * (value - low)], [width * (high - value)]],
                    fmt="none",
                    ecolor="#222222",
                    elinewidth=1,
                    capsize=2,
                    zorder=4,
                )
            ax.text(
                left,
                y + 0.14 * height,
                f"{label} {format_value(value, 'share')} ({format_value(low, 'share')}–{format_value(high, 'share')})",
                fontsize=7,
                zorder=4,
                parse_math=False,
            )


def _touchpoint_lane(
    ax: Axes, stages: pd.DataFrame, touchpoints: pd.DataFrame, bottom: float, height: float, top: int
) -> None:
    for i, stage in enumerate(stages["stage"]):
        rows = touchpoints[touchpoints["stage"] == stage]
        lines = [f"{_short(r.touchpoint)}  {int(r.events):,}" for r in rows.head(top).itertuples()]
        if len(rows) > top:
            lines.append(f"+ {len(rows) - top:,} more")
        ax.text(
            i + 0.08,
            bottom + height * 0.88,
            "\n".join(lines) or "–",
            va="top",
            fontsize=7,
            linespacing=1.4,
            parse_math=False,
        )


def _time_lane(ax: Axes, stages: pd.DataFrame, bottom: float, height: float) -> None:
    for i, row in enumerate(stages.itertuples()):
        text = f"median {format_value(row.median_seconds, 'seconds')}"
        if not np.isnan(row.median_seconds_ci_low):
            text += (
                f"\n({format_value(row.median_seconds_ci_low, 'seconds')} to "
                f"{format_value(row.median_seconds_ci_high, 'seconds')})"
            )
        ax.text(i + 0.5, bottom + height / 2, text, ha="center", va="center", fontsize=7, parse_math=False)


def _emotion_lane(ax: Axes, stages: pd.DataFrame, bottom: float, height: float, level: float, **kwargs: Any) -> None:
    """NPS at each column's centre, -100 to +100 mapped onto the lane, with its interval as a band."""

    def y(points: Any) -> Any:
        return bottom + height * (0.12 + 0.76 * (np.asarray(points, dtype=float) + 100) / 200)

    x = np.arange(len(stages)) + 0.5
    ax.plot([0, len(stages)], [y(0), y(0)], color="#999999", lw=0.8, ls="--", zorder=2)
    ax.text(0.02, y(0), "NPS 0", fontsize=6, color="#777777", va="bottom", parse_math=False)
    nps = stages["nps"].to_numpy(dtype=float)
    if np.isnan(nps).all():
        ax.text(
            len(stages) / 2,
            bottom + height / 2,
            "no survey answers in the stages",
            ha="center",
            va="center",
            fontsize=8,
            color="#777777",
            parse_math=False,
            gid="lane-note",
        )  # the lane's, not a column's
        return
    ax.fill_between(
        x,
        y(stages["nps_ci_low"]),
        y(stages["nps_ci_high"]),
        color=EMOTION,
        alpha=0.2,
        lw=0,
        label=f"{level * 100:g}% interval (adjusted Wald)",
        zorder=2,
    )
    style = {"color": EMOTION, "marker": "o", "lw": 2, "markersize": 5, **kwargs}
    ax.plot(x, y(nps), zorder=3, label="NPS of the answers given in the stage", **style)
    has_csat = "csat" in stages.columns
    for xi, row in zip(x, stages.itertuples()):
        if np.isnan(row.nps):
            ax.text(xi, y(0), "no answers", ha="center", va="top", fontsize=7, color="#777777", parse_math=False)
            continue
        text = f"{row.nps:+.0f} (n = {int(row.nps_n):,})"
        if has_csat and not np.isnan(row.csat):
            text += f"\nCSAT {format_value(row.csat, 'share')}"
        # Above the band, where neither the curve nor the band is, but inside the lane.
        above = min(
            float(y(row.nps_ci_high if not np.isnan(row.nps_ci_high) else row.nps)) + 0.04, bottom + height - 0.3
        )
        ax.text(xi, above, text, fontsize=7, ha="center", va="bottom", zorder=4, parse_math=False)
    legend = ax.legend(loc="lower left", bbox_to_anchor=(0, bottom / ax.get_ylim()[1]), fontsize=6, frameon=False)
    for label in legend.get_texts():
        label.set_parse_math(False)


def _pain_lane(ax: Axes, stages: pd.DataFrame, pain: pd.DataFrame, bottom: float, height: float) -> None:
    for i, stage in enumerate(stages["stage"]):
        rows = pain[pain["stage"] == stage]
        lines = [_pain_line(r) for r in rows.head(4).itertuples()]
        if len(rows) > 4:
            lines.append(f"+ {len(rows) - 4:,} more")
        ax.text(
            i + 0.08,
            bottom + height * 0.88,
            "\n".join(lines) or "none found",
            va="top",
            fontsize=7,
            linespacing=1.4,
            color=PAIN if lines else "#777777",
            parse_math=False,
        )


def _pain_line(row: Any) -> str:
    if row.measure == "NPS":
        return f"{_short(row.touchpoint)}: NPS {row.value:+.0f} vs {row.other_value:+.0f}"
    return (
        f"{_short(row.touchpoint)}: exits {format_value(row.value, 'share')} vs "
        f"{format_value(row.other_value, 'share')}"
    )


def _short(name: str) -> str:
    name = str(name)
    return name if len(name) <= LONGEST_NAME else name[: LONGEST_NAME - 1] + "…"
