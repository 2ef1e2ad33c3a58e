"""Engagement charts: active users, rates over time, retention triangles and survival curves.

Every function takes arrays, frames and scalars (never a result, never a log), draws on ``ax`` (or a new
figure) and returns the Axes. Rates are drawn with their intervals; names are shown literally.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .figures import INTERVAL, axes_for, axes_inches, literal_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["draw_active_users", "draw_rate_series", "draw_retention", "draw_survival"]

COLOUR = "#1f77b4"
#: Colours of Kaplan-Meier curves drawn one after the other on the same Axes.
SURVIVAL_COLOURS = ("#1f77b4", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")
#: The shared interval style, typed for matplotlib's keyword arguments.
BARS: dict[str, Any] = dict(INTERVAL)
#: Above this many points a rate over time is drawn as a band rather than as error bars.
BAND_FROM = 40


def _naive(x: Any) -> Any:
    """Times without their time zone (matplotlib's date axis), the UTC wall clock kept."""
    index = pd.DatetimeIndex(x)
    return index.tz_localize(None) if index.tz is not None else index


def draw_active_users(
    periods: Any,
    counts: np.ndarray,
    complete: np.ndarray,
    *,
    ax: Axes | None = None,
    ylabel: str = "active users",
    title: str = "Active users",
    **kwargs: Any,
) -> Axes:
    """Counts over time as a line; the stretch to an unfinished period (``complete`` False) dashed.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import pandas as pd
    >>> ax = draw_active_users(pd.date_range("2025-01-01", periods=3, tz="UTC"), [3, 4, 1], [True, True, False])
    >>> [line.get_linestyle() for line in ax.lines]
    ['-', '--']
    """
    ax = axes_for(ax)
    x, y, done = _naive(periods), np.asarray(counts), np.asarray(complete, dtype=bool)
    style = {"color": COLOUR, "marker": "o" if len(y) < BAND_FROM else None, "ms": 3, **kwargs}
    last_done = int(np.flatnonzero(done)[-1]) if done.any() else -1
    ax.plot(x[: last_done + 1], y[: last_done + 1], **style)
    if last_done < len(y) - 1:
        rest = slice(max(last_done, 0), None)
        ax.plot(x[rest], y[rest], **{**style, "ls": "--"}, label="unfinished period")
        ax.legend(fontsize=8)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(ylabel)
    ax.set_title(title, parse_math=False)
    return ax


def draw_rate_series(
    times: Any,
    rate: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    complete: np.ndarray,
    *,
    ax: Axes | None = None,
    ylabel: str = "rate",
    title: str = "",
    average: tuple[float, float, float] | None = None,
    average_label: str = "average",
    excluded_label: str = "unfinished period",
    **kwargs: Any,
) -> Axes:
    """A rate per period with its interval: error bars for few periods, a band for many.

    Periods with ``complete`` False are drawn hollow and grey (dashed grey for many periods), labelled
    ``excluded_label``. ``average``, (estimate, low, high), adds a horizontal line with its interval as a
    shaded band.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import pandas as pd
    >>> ax = draw_rate_series(pd.date_range("2025-01-01", periods=2, freq="MS", tz="UTC"), [0.2, 0.3],
    ...                       [0.1, 0.2], [0.3, 0.4], [True, False], average=(0.2, 0.1, 0.3))
    >>> len(ax.containers), len(ax.collections) >= 1
    (2, True)
    """
    ax = axes_for(ax)
    x = _naive(times)
    rate, low, high = (np.asarray(a, dtype=float) for a in (rate, low, high))
    done = np.asarray(complete, dtype=bool)
    if len(rate) > BAND_FROM:
        ax.fill_between(x, low, high, color=COLOUR, alpha=0.25, lw=0, label="interval of each")
        if (~done).any():
            ax.plot(x, rate, color="#888888", lw=1, ls="--", label=excluded_label)
        ax.plot(x, np.where(done, rate, np.nan), color=COLOUR, lw=1, **kwargs)
    else:
        for part, face, colour in ((done, COLOUR, COLOUR), (~done, "white", "#888888")):
            if part.any():
                style = {**BARS, "fmt": "o", "color": colour, "mfc": face, "ms": 5, **kwargs}
                ax.errorbar(
                    x[part],
                    rate[part],
                    yerr=[rate[part] - low[part], high[part] - rate[part]],
                    **style,
                    label=None if part is done else excluded_label,
                )
    if average is not None:
        value, a_low, a_high = average
        ax.axhline(value, color="#c44e52", lw=1, label=average_label)
        ax.axhspan(a_low, a_high, color="#c44e52", alpha=0.12, lw=0)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter("{x:.0%}")
    ax.set_ylabel(ylabel)
    ax.set_title(title, parse_math=False)
    if ax.get_legend_handles_labels()[1]:
        literal_text(ax.legend(fontsize=8).get_texts())
    return ax


def draw_retention(
    shares: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    cohorts: Sequence[str],
    periods_after: Sequence[Any],
    *,
    ax: Axes | None = None,
    title: str = "Retention",
    xlabel: str = "periods after joining",
    ylabel: str = "cohort",
    **kwargs: Any,
) -> Axes:
    """A retention triangle as a heatmap, each cell with its share and, under it, its interval.

    NaN cells (not observable yet) stay blank. The text is sized to the cells; when cells are too small
    for two lines, only the share is written (the intervals are in the result's table).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> ax = draw_retention(np.array([[1.0, 0.5]]), np.array([[0.7, 0.2]]), np.array([[1.0, 0.8]]), ["2025-01"], [0, 1])
    >>> [t.get_text() for t in ax.texts]
    ['100%\\n70–100', '50%\\n20–80']
    """
    shares = np.asarray(shares, dtype=float)
    rows, columns = shares.shape
    ax = axes_for(ax, figsize=(max(7.0, 0.62 * columns + 3.2), max(3.0, 0.5 * rows + 1.8)))
    image = ax.imshow(np.ma.masked_invalid(shares), cmap="Blues", vmin=0, vmax=1, aspect="auto", **kwargs)
    width, height = axes_inches(ax)
    cell_w, cell_h = 0.85 * width * 72 / max(columns, 1), 0.9 * height * 72 / max(rows, 1)  # points
    two_lines = min(cell_w / 3.8, cell_h / 2.4)  # "68–100" is about 6 characters of 0.6 em
    both = two_lines >= 6.5
    fontsize = min(9.0, two_lines) if both else min(9.0, cell_w / 2.6, cell_h / 1.3)
    for (i, j), v in np.ndenumerate(shares):
        if not np.isnan(v):
            text = f"{v:.0%}\n{low[i, j] * 100:.0f}–{high[i, j] * 100:.0f}" if both else f"{v:.0%}"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=fontsize,
                color="white" if v > 0.5 else "black",
                linespacing=1.0,
            )
    ax.set_xticks(range(columns), [str(c) for c in periods_after])
    ax.set_yticks(range(rows), [str(c) for c in cohorts])
    literal_text(ax.get_yticklabels())
    ax.tick_params(length=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.figure.colorbar(image, ax=ax, fraction=0.03, format="{x:.0%}", shrink=0.6)
    ax.set_title(title if both else f"{title}; intervals in to_frame()", parse_math=False)
    return ax


def draw_survival(
    time: np.ndarray,
    survival: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    *,
    ax: Axes | None = None,
    xlabel: str = "days",
    ylabel: str = "share without the event",
    title: str = "",
    median: float | None = None,
    median_interval: tuple[float, float] | None = None,
    censored: np.ndarray | None = None,
    label: str | None = None,
    band_label: str = "pointwise interval",
    **kwargs: Any,
) -> Axes:
    """A Kaplan-Meier step curve from (0, 1) with its pointwise band, censoring ticks and the median.

    ``censored`` (counts aligned with ``time``) puts a ``+`` on the curve at each time where subjects were
    censored; ``median`` draws a dotted line from 50% to the curve and down, its interval
    (``median_interval``, NaN for a bound not reached) a bar along 50%. Curves drawn on the same Axes
    take the next colour, so several curves (``label`` each) share one picture.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = draw_survival([1.0, 2.0], [0.5, 0.0], [0.1, 0.0], [0.9, 0.0], median=1.0, censored=[0, 1])
    >>> ax.lines[0].get_drawstyle(), len(ax.collections), ax.lines[1].get_marker()
    ('steps-post', 1, '+')
    """
    ax = axes_for(ax)
    drawn = sum(1 for line in ax.lines if line.get_gid() == "kaplan-meier")
    colour = kwargs.pop("color", SURVIVAL_COLOURS[drawn % len(SURVIVAL_COLOURS)])
    t = np.r_[0.0, np.asarray(time, dtype=float)]
    s, lo, hi = (np.r_[1.0, np.asarray(a, dtype=float)] for a in (survival, low, high))
    ax.fill_between(
        t,
        np.nan_to_num(lo, nan=0.0),
        np.nan_to_num(hi, nan=1.0),
        step="post",
        color=colour,
        alpha=0.2,
        lw=0,
        label=band_label if drawn == 0 else None,
    )
    ax.plot(t, s, drawstyle="steps-post", color=colour, lw=1.8, label=label, gid="kaplan-meier", **kwargs)
    if censored is not None:
        marks = np.asarray(censored, dtype=float) > 0
        ax.plot(
            t[1:][marks],
            s[1:][marks],
            ls="none",
            marker="+",
            ms=7 if marks.sum() <= 60 else 4,
            mew=1.2,
            color=colour,
            label="censored" if drawn == 0 else None,
        )
    if median is not None and np.isfinite(median):
        words = f"median {median:.1f} {xlabel}"
        if median_interval is not None:
            a, b = median_interval
            words += f" ({a:.1f} to {'not reached' if np.isnan(b) else f'{b:.1f}'})"
            right = float(t[-1]) if np.isnan(b) else b
            ax.plot([a, right], [0.5, 0.5], color=colour, lw=3, alpha=0.5, solid_capstyle="butt")
        ax.plot([0, median, median], [0.5, 0.5, 0], color=colour, ls=":", lw=1.2, label=words)
        ax.plot([median], [0.5], "o", color=colour, ms=5)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.yaxis.set_major_formatter("{x:.0%}")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, parse_math=False)
    literal_text(ax.legend(fontsize=9, frameon=False).get_texts())
    return ax
