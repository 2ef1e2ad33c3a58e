"""Drawing of NPS and scorecard charts: estimates with their intervals, from plain arrays.

The public functions that take results (:func:`journey.plot_nps`, ``NPSTable.plot``, ``Scorecard.plot``)
live next to their result classes and call these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import JourneyError
from .figures import axes_for, literal_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["draw_forest", "draw_targets"]

#: Colour of an estimate and its interval, and of one that differs significantly from the rest.
ESTIMATE = "#1f77b4"
FLAGGED = "#c0392b"
#: Colour of a scorecard row by status.
STATUS_COLOURS = {"met": "#1a7f37", "missed": "#cf222e", "inconclusive": "#9a6700"}
#: Shade of the side of a target that meets it.
MEETS = "#e6f4ea"


def draw_forest(
    labels: Sequence[str],
    estimates: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    ns: Sequence[int],
    *,
    ax: Axes | None = None,
    reference: float | None = None,
    reference_label: str = "",
    flagged: Sequence[bool] | None = None,
    flagged_label: str = "",
    xlabel: str,
    title: str,
    **kwargs: Any,
) -> Axes:
    """Forest plot of NPS values in points: one row per label, top to bottom, each with its interval.

    Each row is named with its ``n`` and its numbers are written at the right; the x axis spans the
    intervals (and 0, and the reference), within -100 to 100.

    Parameters
    ----------
    labels : sequence of str
        Row names, shown literally with their ``n``.
    estimates, lows, highs : sequence of float
        NPS and interval bounds, in points (-100 to 100); NaN rows are drawn without a marker.
    ns : sequence of int
        Answers behind each row.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.
    reference : float, optional
        A value drawn as a dashed vertical line (the overall NPS), named ``reference_label`` in the legend.
    flagged : sequence of bool, optional
        Rows drawn in colour (those that differ significantly from the rest), named ``flagged_label``.
    xlabel, title : str
        Axis label (saying the level and method of the intervals) and title.
    **kwargs
        Passed to ``Axes.errorbar`` (``color``, ``marker``, ...).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = draw_forest(["web", "app"], [20.0, -5.0], [5.0, -25.0], [35.0, 15.0], [80, 40],
    ...                  reference=10.0, reference_label="overall +10.0", xlabel="NPS", title="NPS")
    >>> [t.get_text() for t in ax.get_yticklabels()], [t.get_text() for t in ax.texts]
    (['web (n=80)', 'app (n=40)'], ['+20.0 (+5.0 to +35.0)', '-5.0 (-25.0 to +15.0)'])
    """
    x, low, high = (np.asarray(v, dtype=float) for v in (estimates, lows, highs))
    ax = axes_for(ax, figsize=(9, max(3.0, 0.42 * len(labels) + 1.6)))
    y = np.arange(len(labels))[::-1]
    marked = np.zeros(len(x), dtype=bool) if flagged is None else np.asarray(flagged, dtype=bool)
    for mask, colour, label in ((~marked, ESTIMATE, None), (marked, FLAGGED, flagged_label or None)):
        if mask.any():
            style: dict[str, Any] = {"fmt": "o", "color": colour, "ecolor": colour, "capsize": 3, "ms": 6} | kwargs
            ax.errorbar(x[mask], y[mask], xerr=[x[mask] - low[mask], high[mask] - x[mask]], label=label, **style)
    ax.axvline(0, color="#999999", lw=0.8)
    if reference is not None and not np.isnan(reference):
        ax.axvline(reference, color="#555555", lw=1, ls="--", label=reference_label)
    for row, value, a, b, n in zip(y, x, low, high, ns):
        words = f"{value:+.1f} ({a:+.1f} to {b:+.1f})" if not np.isnan(value) else "no answers" if n == 0 else "–"
        ax.text(1.01, row, words, va="center", fontsize=9, transform=ax.get_yaxis_transform(), parse_math=False)
    ax.set_yticks(y, [f"{label} (n={int(n):,})" for label, n in zip(labels, ns)], fontsize=10)
    literal_text(ax.get_yticklabels())
    seen = np.r_[low[~np.isnan(low)], high[~np.isnan(high)], 0.0, [] if reference is None else [reference]]
    seen = seen[~np.isnan(seen)]
    span = max(float(seen.max() - seen.min()), 10.0)
    ax.set_xlim(max(-100.0, float(seen.min()) - 0.08 * span), min(100.0, float(seen.max()) + 0.08 * span))
    ax.set_ylim(-0.7, len(labels) - 0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if ax.get_legend_handles_labels()[1]:
        literal_text(
            ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, fontsize=9, frameon=False).get_texts()
        )
    ax.set_xlabel(xlabel)
    ax.set_title(title, pad=24 if ax.get_legend() is not None else 6)
    literal_text([ax.title])
    return ax


def draw_targets(
    labels: Sequence[str],
    estimates: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    targets: Sequence[float],
    statuses: Sequence[str],
    texts: Sequence[str],
    *,
    higher_is_better: Sequence[bool] | None = None,
    ax: Axes | None = None,
    title: str = "Scorecard",
    **kwargs: Any,
) -> Axes:
    """Each indicator's interval against its target, one row each, every row on its own scale.

    Indicators have different units (shares, NPS points), so each row has its own scale: its target in the
    middle (a black tick), its interval (a bar coloured by status) at its distance from the target, scaled
    by the larger of the distances of its two bounds; the side of the target that meets it is shaded.
    ``texts`` give the numbers; the x axis has none. A legend names the colours.

    Parameters
    ----------
    labels : sequence of str
        Indicator names, shown literally.
    estimates, lows, highs, targets : sequence of float
        Each indicator's estimate, interval and target, in its own unit.
    statuses : sequence of str
        ``"met"``, ``"missed"`` or ``"inconclusive"``: the colour of each row.
    texts : sequence of str
        The numbers written at the right of each row (estimate, interval and target, formatted).
    higher_is_better : sequence of bool, optional
        Which side of each target meets it (shaded); all True when not given.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.
    title : str
        Title of the chart.
    **kwargs
        Passed to ``Axes.errorbar``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = draw_targets(["CSAT"], [0.8], [0.75], [0.85], [0.7], ["met"], ["80% (75% to 85%) vs 70%"])
    >>> [t.get_text() for t in ax.texts]
    ['80% (75% to 85%) vs 70%: met']
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    unknown = sorted(set(statuses) - set(STATUS_COLOURS))
    if unknown:
        raise JourneyError(f"unknown status {unknown[0]!r}; statuses are {', '.join(map(repr, STATUS_COLOURS))}")
    better = [True] * len(labels) if higher_is_better is None else [bool(b) for b in higher_is_better]
    ax = axes_for(ax, figsize=(10, 0.65 * len(labels) + 1.8))
    y = np.arange(len(labels))[::-1]
    for row, estimate, low, high, target, status, up in zip(y, estimates, lows, highs, targets, statuses, better):
        reach = max(abs(low - target), abs(high - target)) * 1.15 or 1.0
        x = 0.5 + (np.array([estimate, low, high, target], dtype=float) - target) / (2 * reach)
        ax.add_patch(Rectangle((0.5 if up else 0.0, row - 0.38), 0.5, 0.76, color=MEETS, lw=0, zorder=0))
        colour = STATUS_COLOURS[status]
        style: dict[str, Any] = {
            "fmt": "o",
            "color": colour,
            "ecolor": colour,
            "capsize": 4,
            "elinewidth": 2.5,
        } | kwargs
        ax.errorbar([x[0]], [row], xerr=[[x[0] - x[1]], [x[2] - x[0]]], ms=7, **style)
        ax.plot([x[3], x[3]], [row - 0.3, row + 0.3], color="black", lw=2)
    ax.set_yticks(y, list(labels), fontsize=10)
    for row, text, status in zip(y, texts, statuses):
        ax.text(
            1.02,
            row,
            f"{text}: {status}",
            va="center",
            fontsize=9.5,
            color=STATUS_COLOURS[status],
            fontweight="bold",
            transform=ax.get_yaxis_transform(),
        )
    literal_text(ax.get_yticklabels(), ax.texts)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.set_xticks([])
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    handles = [
        *(Line2D([], [], color=c, marker="o", lw=2.5) for c in STATUS_COLOURS.values()),
        Line2D([], [], color="black", lw=2, marker="|", ls="none", ms=10),
        Patch(color=MEETS),
    ]
    ax.legend(
        handles,
        [*STATUS_COLOURS, "target", "meets the target"],
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncol=len(handles),
        fontsize=9,
        frameon=False,
    )
    ax.set_xlabel("each row on its own scale, its target in the middle; bar: the interval, dot: the estimate")
    ax.set_title(title, pad=26)
    return ax
