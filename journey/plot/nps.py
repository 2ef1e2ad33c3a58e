"""NPS forest plot: each score with its interval."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import JourneyError
from .figures import INTERVAL, axes_for, literal_text

__all__ = ['plot_nps']

def _need(table: pd.DataFrame, columns, what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise JourneyError(f"{what} needs the columns {', '.join(map(repr, missing))}; pass the table "
                           f"that journey.{what.split('(')[0].replace('plot_', '')}(...) returns")


def plot_nps(results_or_table, *, ax=None, level: float = 0.95):
    """Forest plot of NPS with intervals: a dict ``{label: NPSResult}`` or a :func:`journey.nps_by` table."""
    ax = axes_for(ax)
    if isinstance(results_or_table, pd.DataFrame):
        table = results_or_table
        _need(table, ["nps", "ci_low", "ci_high", "n"], "plot_nps(nps_by table)")
        label_col = table.columns[0]
        rows = [(str(r[label_col]), r["nps"], r["ci_low"], r["ci_high"], int(r["n"])) for _, r in table.iterrows()]
    elif isinstance(results_or_table, dict):
        rows = []
        for name, result in results_or_table.items():
            low, high = result.confidence_interval(level)
            rows.append((str(name), result.score, low, high, result.n))
    else:
        raise JourneyError("plot_nps takes a dict {label: NPSResult} or the table journey.nps_by(...) returns")
    y = np.arange(len(rows))[::-1]
    scores = np.array([r[1] for r in rows])
    ax.errorbar(scores, y, xerr=[scores - [r[2] for r in rows], [r[3] for r in rows] - scores], fmt="o",
                color="#1f77b4", ecolor="#1f77b4", capsize=3)
    ax.axvline(0, color="#999999", lw=0.8)
    ax.set_yticks(y, [f"{r[0]} (n={r[4]:,})" for r in rows])
    literal_text(ax.get_yticklabels())
    ax.set_xlim(-100, 100)
    ax.set_xlabel(f"NPS, points ({level:.0%} CI, adjusted Wald)")
    ax.set_title("Net Promoter Score")
    return ax
