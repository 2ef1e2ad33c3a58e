"""Drawing of NPS charts: estimates with their intervals, from plain arrays.

The public functions that take results (:func:`journey.plot_nps`, ``NPSTable.plot``) live next to their
result classes and call these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .figures import axes_for, literal_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["draw_forest"]

#: Colour of an estimate and its interval.
ESTIMATE = "#1f77b4"


def draw_forest(labels: Sequence[str], estimates: Sequence[float], lows: Sequence[float], highs: Sequence[float],
                ns: Sequence[int], *, ax: Axes | None = None, reference: float | None = None,
                reference_label: str = "", xlabel: str, title: str, **kwargs: Any) -> Axes:
    """Forest plot of NPS values in points: one row per label, top to bottom, each with its interval.

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
    xlabel, title : str
        Axis label (saying the level and method of the intervals) and title.
    **kwargs
        Passed to ``Axes.errorbar`` (``color``, ``marker``, ...).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_for(ax)
    x, low, high = (np.asarray(v, dtype=float) for v in (estimates, lows, highs))
    y = np.arange(len(labels))[::-1]
    style: dict[str, Any] = {"fmt": "o", "color": ESTIMATE, "ecolor": ESTIMATE, "capsize": 3} | kwargs
    ax.errorbar(x, y, xerr=[x - low, high - x], **style)
    ax.axvline(0, color="#999999", lw=0.8)
    if reference is not None and not np.isnan(reference):
        ax.axvline(reference, color="#555555", lw=1, ls="--", label=reference_label)
        literal_text(ax.legend(loc="best", fontsize="small").get_texts())
    ax.set_yticks(y, [f"{label} (n={int(n):,})" for label, n in zip(labels, ns)])
    literal_text(ax.get_yticklabels())
    ax.set_xlim(-100, 100)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    literal_text([ax.title])
    return ax

