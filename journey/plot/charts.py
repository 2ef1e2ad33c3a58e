"""Charts of `journey` results, each drawn on ``ax=`` (or a new figure) and returned as its Axes.

Every rate is drawn with its interval; names are shown literally (no mathtext).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import JourneyError
from .figures import axes_for, literal_text

__all__ = ["plot_sankey", "plot_funnel", "plot_drop_off", "plot_nps", "plot_retention", "plot_active_users"]

INTERVAL = {"fmt": "none", "ecolor": "#222222", "elinewidth": 1.2, "capsize": 3}


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


def plot_sankey(log, *, steps: int = 5, top: int = 6, ax=None):
    """Step-by-step flows of the first ``steps`` events of each journey (customers), as bands.

    At each step the ``top`` most common touchpoints get their own block (the rest are "other"); journeys
    that have ended by a step flow into "ended". Band widths are journeys.
    """
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    from ..engine.journeys import split_journeys
    from ..io.events import as_event_log

    if steps < 2:
        raise JourneyError(f"steps must be at least 2, not {steps}")
    journeys = split_journeys(as_event_log(log), by="user")
    n = journeys.n_journeys
    step_names = np.full((n, steps), "ended", dtype=object)
    for k in range(steps):
        has = journeys.lengths > k
        step_names[has, k] = np.asarray(journeys.names, dtype=object)[journeys.events[journeys.starts[has] + k]]
    for k in range(steps):
        counts = pd.Series(step_names[:, k]).value_counts()
        keep = [c for c in counts.index if c != "ended"][:top]
        step_names[:, k] = np.where(np.isin(step_names[:, k], keep + ["ended"]), step_names[:, k], "other")
    ax = axes_for(ax, figsize=(12, 6))
    gap = 0.02 * n
    blocks = {}
    colours = {}
    import matplotlib

    palette = matplotlib.colormaps["tab20"]
    for k in range(steps):
        order = pd.Series(step_names[:, k]).value_counts()
        order = order.reindex([c for c in order.index if c not in ("other", "ended")] +
                              [c for c in ("other", "ended") if c in order.index])
        y = 0.0
        for name, count in order.items():
            blocks[(k, name)] = [y, y + count, y]  # bottom, top, cursor for outgoing bands
            colours.setdefault(name, "#bbbbbb" if name in ("ended", "other") else palette(len(colours) % 20))
            ax.add_patch(matplotlib.patches.Rectangle((k - 0.04, y), 0.08, count, color=colours[name], zorder=3))
            if count > 0.03 * n:
                ax.text(k + 0.06, y + count / 2, f"{name} ({count:,})", va="center", fontsize=7, zorder=4,
                        parse_math=False)
            y += count + gap
    incoming = {key: block[0] for key, block in blocks.items()}
    for k in range(steps - 1):
        flows = pd.DataFrame({"a": step_names[:, k], "b": step_names[:, k + 1]})
        flows = flows[flows["a"] != "ended"].value_counts(sort=False).reset_index(name="n")
        flows["ra"] = flows["a"].map(lambda v: blocks[(k, v)][0])
        flows["rb"] = flows["b"].map(lambda v: blocks[(k + 1, v)][0])
        for _, f in flows.sort_values(["ra", "rb"]).iterrows():
            a0 = blocks[(k, f.a)][2]
            blocks[(k, f.a)][2] += f.n
            b0 = incoming[(k + 1, f.b)]
            incoming[(k + 1, f.b)] += f.n
            x0, x1 = k + 0.04, k + 1 - 0.04
            verts = [(x0, a0), (x0 + 0.4, a0), (x1 - 0.4, b0), (x1, b0), (x1, b0 + f.n), (x1 - 0.4, b0 + f.n),
                     (x0 + 0.4, a0 + f.n), (x0, a0 + f.n), (x0, a0)]
            codes = [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4, Path.LINETO, Path.CURVE4, Path.CURVE4,
                     Path.CURVE4, Path.CLOSEPOLY]
            ax.add_patch(PathPatch(Path(verts, codes), fc=colours[f.a], alpha=0.35, lw=0))
    ax.set_xlim(-0.2, steps - 0.2)
    ax.set_ylim(n * 1.25 + gap * top, 0)
    ax.set_xticks(range(steps), [f"step {k + 1}" for k in range(steps)])
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"The first {steps} steps of {n:,} journeys")
    return ax
