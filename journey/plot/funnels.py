"""Funnel and drop-off charts: rates drawn as bars with their intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import JourneyError
from .figures import INTERVAL, axes_for, literal_text

__all__ = ['plot_funnel', 'plot_drop_off']

def _need(table: pd.DataFrame, columns, what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise JourneyError(f"{what} needs the columns {', '.join(map(repr, missing))}; pass the table "
                           f"that journey.{what.split('(')[0].replace('plot_', '')}(...) returns")


def plot_funnel(funnel_table: pd.DataFrame, *, ax=None):
    """Step-to-step conversion rates of a :func:`journey.funnel` table, with their Wilson intervals.

    One group of bars per step transition; one bar per segment when the table has one.
    """
    _need(funnel_table, ["step", "event", "conversion_rate", "ci_low", "ci_high", "entered"], "plot_funnel(funnel_table)")
    ax = axes_for(ax)
    table = funnel_table.dropna(subset=["conversion_rate"])
    known = {"step", "event", "entered", "converted", "censored", "dropped", "conversion_rate", "ci_low", "ci_high",
             "median_seconds_to_next"}
    segment = next((c for c in table.columns if c not in known), None)
    events = funnel_table.drop_duplicates("step").set_index("step")["event"]
    steps = sorted(table["step"].unique())
    groups = [(None, table)] if segment is None else list(table.groupby(segment, sort=True, dropna=False))
    width = 0.8 / len(groups)
    for i, (name, rows) in enumerate(groups):
        rows = rows.set_index("step").reindex(steps)
        x = np.arange(len(steps)) + (i - (len(groups) - 1) / 2) * width
        rate = rows["conversion_rate"].to_numpy(dtype=float)
        ax.bar(x, np.nan_to_num(rate), width=width * 0.9, label=None if name is None else str(name))
        ax.errorbar(x, rate, yerr=[rate - rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float) - rate],
                    **INTERVAL)
        at_risk = (rows["entered"].astype("Float64") - rows["censored"].astype("Float64").fillna(0)).fillna(0)
        for xi, n in zip(x, at_risk):  # a segment nobody reached at a step gets n=0 and no bar
            ax.text(xi, 0.02, f"n={int(n):,}", ha="center", fontsize=7, rotation=90, color="white" if n else "black")
    ax.set_xticks(np.arange(len(steps)), [f"{events[s]} →\n{events[s + 1]}" for s in steps])
    literal_text(ax.get_xticklabels())
    ax.set_ylim(0, 1)
    ax.set_ylabel("conversion to the next step (95% CI)")
    ax.yaxis.set_major_formatter("{x:.0%}")
    if segment is not None:
        literal_text(ax.legend(title=segment, fontsize=8).get_texts())
    ax.set_title("Funnel: step-to-step conversion")
    return ax


def plot_drop_off(drop_off_table: pd.DataFrame, *, ax=None, top: int = 15):
    """Exit rates of a :func:`journey.drop_off` table as ranked bars with Wilson intervals (table order)."""
    _need(drop_off_table, ["touchpoint", "exit_rate", "ci_low", "ci_high", "exits", "journeys"],
          "plot_drop_off(drop_off_table)")
    ax = axes_for(ax)
    rows = drop_off_table.head(top).iloc[::-1]
    segment = rows.columns[0] if rows.columns[0] != "touchpoint" else None  # drop_off(by=...) puts it first
    labels = [f"{t} · {s}" for t, s in zip(rows["touchpoint"], rows[segment])] if segment else list(rows["touchpoint"])
    y = np.arange(len(rows))
    rate = rows["exit_rate"].to_numpy()
    ax.barh(y, rate, color="#c44e52")
    ax.errorbar(rate, y, xerr=[rate - rows["ci_low"], rows["ci_high"] - rate], **INTERVAL)
    for yi, hi, e, n in zip(y, rows["ci_high"], rows["exits"], rows["journeys"]):
        ax.text(hi + 0.01, yi, f"{int(e):,} of {int(n):,}", va="center", fontsize=7)
    ax.set_yticks(y, [str(label) for label in labels])
    literal_text(ax.get_yticklabels())
    ax.set_xlabel("exit rate: journeys ending there without converting (95% CI)")
    ax.xaxis.set_major_formatter("{x:.0%}")
    ax.set_xlim(0, min(1.0, float(rows["ci_high"].max()) * 1.25 + 0.02))
    ax.set_title("Where journeys end without converting")
    return ax
