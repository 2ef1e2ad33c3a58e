"""Step-by-step flows of the first steps of each journey, as bands."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import JourneyError
from .figures import INTERVAL, axes_for, literal_text

__all__ = ['plot_sankey']

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
    journeys = split_journeys(as_event_log(log), unit="user")
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
