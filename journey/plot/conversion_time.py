"""Time to convert: each funnel step's Kaplan-Meier curve of the share of customers who have reached it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .figures import axes_for, literal_text
from .text import format_value

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["conversion_curves"]


def _time_unit(seconds: float) -> tuple[float, str]:
    """The unit that reads best for times up to ``seconds``: (seconds per unit, its name)."""
    for size, name in ((86_400.0, "days"), (3_600.0, "hours"), (60.0, "minutes")):
        if seconds >= 2 * size:
            return size, name
    return 1.0, "seconds"


def conversion_curves(
    curves: pd.DataFrame, medians: pd.DataFrame, *, first: str, level: float, ax: Axes | None = None, **kwargs: Any
) -> Axes:
    """Step curves from (0, 0) of ``converted_share`` over ``seconds``, one per step, each with its pointwise
    band (``ci_low``/``ci_high``) and a dotted drop line at its median when it has one.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> curves = pd.DataFrame({"step": [2, 2], "touchpoint": ["buy", "buy"], "seconds": [60.0, 120.0],
    ...                        "converted_share": [0.5, 1.0], "ci_low": [0.1, 1.0], "ci_high": [0.9, 1.0]})
    >>> medians = pd.DataFrame({"step": [2], "touchpoint": ["buy"], "median_seconds": [60.0]})
    >>> ax = conversion_curves(curves, medians, first="home", level=0.95)
    >>> [line.get_label() for line in ax.lines]
    ['buy', 'median buy: 1m 00s']
    """
    ax = axes_for(ax)
    longest = float(curves["seconds"].max()) if len(curves) else 1.0
    size, unit = _time_unit(longest)
    for step, rows in curves.groupby("step", sort=True):
        name = str(rows["touchpoint"].iloc[0])
        t = np.r_[0.0, rows["seconds"].to_numpy(dtype=float)] / size
        share, low, high = (np.r_[0.0, rows[c].to_numpy(dtype=float)] for c in ("converted_share", "ci_low", "ci_high"))
        (line,) = ax.plot(t, share, drawstyle="steps-post", lw=1.5, label=name, **kwargs)
        colour = line.get_color()
        ax.fill_between(
            t, np.nan_to_num(low, nan=0.0), np.nan_to_num(high, nan=1.0), step="post", color=colour, alpha=0.2, lw=0
        )
        median = medians.loc[medians["step"] == step, "median_seconds"]
        if len(median) and np.isfinite(median.iloc[0]):
            m = float(median.iloc[0]) / size
            ax.plot(
                [0, m, m],
                [0.5, 0.5, 0],
                color=colour,
                ls=":",
                lw=1,
                label=f"median {name}: {format_value(float(median.iloc[0]), 'seconds')}",
            )
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.yaxis.set_major_formatter("{x:.0%}")
    ax.set_xlabel(f"{unit} since {first}")
    ax.set_ylabel(f"share of customers who reached the step ({level * 100:g}% pointwise CI)")
    ax.set_title(f"Time to convert from {first}", parse_math=False)
    if len(curves):
        legend = ax.legend(fontsize=8)
        literal_text(legend.get_texts())
    return ax
