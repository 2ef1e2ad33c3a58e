"""Engagement charts: active users over time and the retention heatmap."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import JourneyError
from .figures import INTERVAL, axes_for, literal_text

__all__ = ['plot_retention', 'plot_active_users']

def plot_retention(triangle, *, ax=None):
    """Heatmap of a retention triangle (a :func:`journey.retention` result or its shares); NaN cells blank."""
    shares = getattr(triangle, "shares", triangle)
    if not isinstance(shares, pd.DataFrame):
        raise JourneyError("plot_retention takes journey.retention(...) or its shares DataFrame")
    ax = axes_for(ax, figsize=(9, 0.45 * len(shares) + 1.5))
    values = np.ma.masked_invalid(shares.to_numpy(dtype=float))
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for (i, j), v in np.ndenumerate(shares.to_numpy(dtype=float)):
        if not np.isnan(v):
            ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=7, color="white" if v > 0.5 else "black")
    ax.set_xticks(range(shares.shape[1]), [str(c) for c in shares.columns])
    ax.set_yticks(range(shares.shape[0]), [pd.Timestamp(i).strftime("%Y-%m-%d") if isinstance(i, pd.Timestamp)
                                           else str(i) for i in shares.index])
    literal_text(ax.get_yticklabels())
    ax.set_xlabel("periods after joining")
    ax.set_ylabel("cohort")
    ax.figure.colorbar(image, ax=ax, fraction=0.03, format="{x:.0%}")
    ax.set_title("Retention (blank: not observable yet)")
    return ax


def plot_active_users(series: pd.Series, *, ax=None):
    """Active users over time; an unfinished last period (``attrs["unfinished"]``) is drawn dashed."""
    if not isinstance(series, pd.Series):
        raise JourneyError("plot_active_users takes the Series journey.active_users(...) returns")
    ax = axes_for(ax)
    x = series.index.tz_localize(None) if getattr(series.index, "tz", None) is not None else series.index
    unfinished = "unfinished" in series.attrs
    done = slice(None, -1) if unfinished else slice(None)
    ax.plot(x[done], series.to_numpy()[done], color="#1f77b4", marker="o" if len(series) < 40 else None, ms=3)
    if unfinished and len(series) > 1:
        ax.plot(x[-2:], series.to_numpy()[-2:], color="#1f77b4", ls="--", label="unfinished period")
        ax.legend(fontsize=8)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(series.name or "active users")
    ax.set_title(str(series.name or "Active users"), parse_math=False)
    return ax
