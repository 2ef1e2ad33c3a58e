"""Step-by-step flows of the first steps of journeys, as bands (a Sankey diagram of paths).

The drawing takes paths and how many journeys follow each (the rows of a path-variants table); it knows
nothing of logs. :meth:`journey.PathVariants.plot` and :func:`journey.plot_sankey` call it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import JourneyError
from .figures import axes_for

__all__ = ["draw_sankey", "step_table"]

ENDED, OTHER = "ended", "other"


def step_table(paths: Sequence[tuple], weights: Sequence[int], steps: int, top: int) -> pd.DataFrame:
    """The touchpoint at each of the first ``steps`` steps of every path, with its weight.

    Columns ``0 .. steps-1`` and ``weight``. A path shorter than a step is ``"ended"`` there; at each step
    touchpoints beyond the ``top`` most common (by weight) become ``"other"``.

    Examples
    --------
    >>> step_table([("a", "b"), ("a",), ("c", "b")], [3, 2, 1], steps=2, top=1)
    ...    # doctest: +NORMALIZE_WHITESPACE
           0      1  weight
    0      a      b       3
    1      a  ended       2
    2  other      b       1
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise JourneyError(f"steps must be a whole number of at least 2, not {steps!r}")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise JourneyError(f"top must be a positive whole number, not {top!r}")
    table = pd.DataFrame({k: [str(p[k]) if len(p) > k else ENDED for p in paths] for k in range(steps)})
    table["weight"] = np.asarray(weights, dtype=np.int64)
    for k in range(steps):
        counts = table.groupby(k, sort=False)["weight"].sum()
        counts = counts.drop(ENDED, errors="ignore")
        keep = set(sorted(counts.index, key=lambda name: (-counts[name], name))[:top])
        table[k] = table[k].where(table[k].isin(keep | {ENDED}), OTHER)
    return table


def draw_sankey(table: pd.DataFrame, *, ax: Any = None, title: str | None = None) -> Any:
    """Draw a :func:`step_table` as blocks per step joined by bands whose widths are journeys; the Axes."""
    import matplotlib
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path

    steps = [c for c in table.columns if c != "weight"]
    n = int(table["weight"].sum())
    ax = axes_for(ax, figsize=(12, 6))
    gap = 0.02 * n
    blocks: dict[tuple[int, str], list[float]] = {}
    colours: dict[str, Any] = {}
    palette = matplotlib.colormaps["tab20"]
    most = 0
    for k in steps:
        sizes = table.groupby(k, sort=False)["weight"].sum()
        named = sorted((c for c in sizes.index if c not in (OTHER, ENDED)), key=lambda c: (-sizes[c], c))
        y = 0.0
        for name in [*named, *(c for c in (OTHER, ENDED) if c in sizes.index)]:
            count = float(sizes[name])
            blocks[(k, name)] = [y, y + count, y]  # bottom, top, cursor for outgoing bands
            colours.setdefault(name, "#bbbbbb" if name in (ENDED, OTHER) else palette(len(colours) % 20))
            ax.add_patch(Rectangle((k - 0.04, y), 0.08, count, color=colours[name], zorder=3))
            if count > 0.03 * n:
                ax.text(
                    k + 0.06,
                    y + count / 2,
                    f"{name} ({int(count):,})",
                    va="center",
                    fontsize=7,
                    zorder=4,
                    parse_math=False,
                )
            y += count + gap
        most = max(most, len(sizes))
    incoming = {key: block[0] for key, block in blocks.items()}
    for k in steps[:-1]:
        flows = table[table[k] != ENDED].groupby([k, k + 1], sort=False)["weight"].sum().reset_index()
        flows["from_rank"] = [blocks[(k, a)][0] for a in flows[k]]
        flows["to_rank"] = [blocks[(k + 1, b)][0] for b in flows[k + 1]]
        for a, b, w in flows.sort_values(["from_rank", "to_rank"])[[k, k + 1, "weight"]].itertuples(index=False):
            a0 = blocks[(k, a)][2]
            blocks[(k, a)][2] += w
            b0 = incoming[(k + 1, b)]
            incoming[(k + 1, b)] += w
            x0, x1 = k + 0.04, k + 1 - 0.04
            verts = [
                (x0, a0),
                (x0 + 0.4, a0),
                (x1 - 0.4, b0),
                (x1, b0),
                (x1, b0 + w),
                (x1 - 0.4, b0 + w),
                (x0 + 0.4, a0 + w),
                (x0, a0 + w),
                (x0, a0),
            ]
            codes = [
                Path.MOVETO,
                Path.CURVE4,
                Path.CURVE4,
                Path.CURVE4,
                Path.LINETO,
                Path.CURVE4,
                Path.CURVE4,
                Path.CURVE4,
                Path.CLOSEPOLY,
            ]
            ax.add_patch(PathPatch(Path(verts, codes), fc=colours[a], alpha=0.35, lw=0))
    ax.set_xlim(-0.2, len(steps) - 0.2)
    ax.set_ylim(n * 1.25 + gap * most, 0)
    ax.set_xticks(range(len(steps)), [f"step {k + 1}" for k in steps])
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_title(title or f"The first {len(steps)} steps of {n:,} journeys", parse_math=False)
    return ax
