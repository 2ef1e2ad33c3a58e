"""Step-by-step flows of journeys, as bands (a Sankey diagram of paths).

The drawing takes paths and how many journeys follow each (the rows of a path-variants table); it knows
nothing of logs. :meth:`journey.PathVariants.plot` and :func:`journey.plot_sankey` call it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import JourneyError
from .figures import axes_for, axes_inches, literal_text

__all__ = ["draw_sankey", "step_table", "default_family", "Family", "Align"]

#: Blocks that are not touchpoints: a path that has ended, one not begun yet (paths aligned at their end),
#: and the touchpoints beyond the ``top`` of a step.
ENDED, NOT_BEGUN, OTHER = "ended", "not begun", "other"
SPECIAL = (OTHER, NOT_BEGUN, ENDED)
GREY = "#bbbbbb"

#: How touchpoints are grouped into colours: a mapping name -> family, or a function of the name.
Family = Mapping[str, str] | Callable[[str], str] | None
#: Paths lined up at their first step (``"start"``) or at their last (``"end"``).
Align = Literal["start", "end"]

LABEL_POINTS = 8.0
#: Space a label takes vertically, in multiples of its font size.
LABEL_LINE = 1.35


def default_family(name: str) -> str:
    """The family of a touchpoint: its name up to the first ``_`` or ``/`` (a leading ``/`` skipped).

    Examples
    --------
    >>> default_family("checkout_payment"), default_family("/products/42"), default_family("home")
    ('checkout', 'products', 'home')
    """
    stem = name.lstrip("/")
    return re.split(r"[_/]", stem, maxsplit=1)[0] or name


def step_table(
    paths: Sequence[tuple], weights: Sequence[int], steps: int, top: int, *, align: Align = "start"
) -> pd.DataFrame:
    """The touchpoint at each of the first (or last) ``steps`` steps of every path, with its weight.

    Columns ``0 .. steps-1`` and ``weight``. With ``align="start"`` column 0 is each path's first step and a
    path shorter than a step is ``"ended"`` there; with ``align="end"`` the last column is each path's last
    step and a path that has not begun yet is ``"not begun"``. At each step touchpoints beyond the ``top``
    most common (by weight) become ``"other"``.

    Examples
    --------
    >>> step_table([("a", "b"), ("a",), ("c", "b")], [3, 2, 1], steps=2, top=1)
    ...    # doctest: +NORMALIZE_WHITESPACE
           0      1  weight
    0      a      b       3
    1      a  ended       2
    2  other      b       1
    >>> step_table([("a", "b"), ("b",)], [3, 2], steps=2, top=2, align="end")
    ...    # doctest: +NORMALIZE_WHITESPACE
               0  1  weight
    0          a  b       3
    1  not begun  b       2
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise JourneyError(f"steps must be a whole number of at least 2, not {steps!r}")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise JourneyError(f"top must be a positive whole number, not {top!r}")
    if align == "start":
        table = pd.DataFrame({k: [str(p[k]) if len(p) > k else ENDED for p in paths] for k in range(steps)})
    elif align == "end":
        table = pd.DataFrame(
            {k: [str(p[len(p) - steps + k]) if len(p) >= steps - k else NOT_BEGUN for p in paths] for k in range(steps)}
        )
    else:
        raise JourneyError(f'align must be "start" or "end", not {align!r}')
    table["weight"] = np.asarray(weights, dtype=np.int64)
    for k in range(steps):
        counts = table.groupby(k, sort=False)["weight"].sum()
        counts = counts.drop([ENDED, NOT_BEGUN], errors="ignore")
        keep = set(sorted(counts.index, key=lambda name: (-counts[name], name))[:top])
        table[k] = table[k].where(table[k].isin(keep | {ENDED, NOT_BEGUN}), OTHER)
    return table


def _family_of(family: Family) -> Callable[[str], str]:
    if family is None:
        return default_family
    if isinstance(family, Mapping):
        return lambda name: str(family.get(name, name))
    if callable(family):
        return lambda name: str(family(name))
    raise JourneyError(f"family must be a mapping of touchpoint to family or a function, not {type(family).__name__}")


def _colours(sizes: dict[str, float], family: Family) -> tuple[dict[str, Any], dict[str, Any]]:
    """A colour per touchpoint, one per family (largest family first), and the colour of each family."""
    import matplotlib

    of = _family_of(family)
    totals: dict[str, float] = {}
    for name, size in sizes.items():
        if name not in SPECIAL:
            totals[of(name)] = totals.get(of(name), 0.0) + size
    order = sorted(totals, key=lambda f: (-totals[f], f))
    # The palette's greys are left out: grey means "ended", "not begun" and "other".
    if len(order) <= 9:
        palette = [matplotlib.colormaps["tab10"](i) for i in range(10) if i != 7]
    else:
        palette = [matplotlib.colormaps["tab20"](i) for i in range(20) if i not in (14, 15)]
    families = {f: palette[i % len(palette)] for i, f in enumerate(order)}
    colours = {name: GREY if name in SPECIAL else families[of(name)] for name in sizes}
    return colours, families


def spread(wanted: Sequence[float], height: float, low: float, high: float) -> np.ndarray:
    """Label centres as near to ``wanted`` (increasing) as they can be while ``height`` apart, within limits.

    Examples
    --------
    >>> spread([0.0, 0.1, 0.2, 5.0], 1.0, 0.0, 10.0).tolist()
    [0.5, 1.5, 2.5, 5.0]
    """
    y = np.asarray(wanted, dtype=float).copy()
    if not len(y):
        return y
    y[0] = max(y[0], low + height / 2)
    for i in range(1, len(y)):
        y[i] = max(y[i], y[i - 1] + height)
    y[-1] = min(y[-1], high - height / 2)
    for i in range(len(y) - 2, -1, -1):
        y[i] = min(y[i], y[i + 1] - height)
    return y


def draw_sankey(
    table: pd.DataFrame,
    *,
    ax: Any = None,
    title: str | None = None,
    family: Family = None,
    align: Align = "start",
    unit: str = "journeys",
    columns: Sequence[str] | None = None,
) -> Any:
    """Draw a :func:`step_table` as blocks per step joined by bands whose widths are journeys; the Axes.

    Every block is labelled with its name and count (labels moved apart, with a leader line, where blocks
    are too small to hold them); blocks are coloured by touchpoint family (``family``: a mapping or a
    function of the name, by default :func:`default_family`), with a legend when families group several
    touchpoints. ``columns`` names the steps (``"step 1"``, ... by default).
    """
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path

    steps = [c for c in table.columns if c != "weight"]
    n = max(int(table["weight"].sum()), 1)
    ax = axes_for(ax, figsize=(12, 6.5))
    gap = 0.03 * n
    sizes_by_step = [table.groupby(k, sort=False)["weight"].sum() for k in steps]
    every: dict[str, float] = {}
    for sizes in sizes_by_step:
        for name, size in sizes.items():
            every[str(name)] = every.get(str(name), 0.0) + float(size)
    colours, families = _colours(every, family)
    blocks: dict[tuple[int, str], list[float]] = {}
    for k, sizes in zip(steps, sizes_by_step):
        named = sorted((c for c in sizes.index if c not in SPECIAL), key=lambda c: (-sizes[c], c))
        y = 0.0
        for name in [
            *(c for c in (NOT_BEGUN,) if c in sizes.index),
            *named,
            *(c for c in (OTHER, ENDED) if c in sizes.index),
        ]:
            count = float(sizes[name])
            blocks[(k, name)] = [y, y + count, y]  # top, bottom, cursor for outgoing bands
            ax.add_patch(
                Rectangle(
                    (k - 0.04, y), 0.08, count, color=colours[name], zorder=3, lw=0, gid=f"sankey block {k} {name}"
                )
            )
            y += count + gap
    bottom = max(block[1] for block in blocks.values())
    _bands(ax, table, steps, blocks, colours, PathPatch, Path)
    ax.set_xlim(-0.15, len(steps) - 0.35)
    ax.set_ylim(bottom * 1.02 + gap, -gap)
    _labels(ax, steps, blocks, -gap, bottom * 1.02 + gap)
    names = columns if columns is not None else [f"step {k + 1}" for k in steps]
    ax.set_xticks(range(len(steps)), list(names), fontsize=10)
    literal_text(ax.get_xticklabels())
    ax.tick_params(axis="x", length=0)
    ax.set_yticks([])
    for side in ("left", "right", "top", "bottom"):
        ax.spines[side].set_visible(False)
    grouped = [
        f for f in families if sum(1 for name in every if name not in SPECIAL and colours[name] == families[f]) > 1
    ]
    if grouped:
        from matplotlib.patches import Patch

        handles = [Patch(color=families[f]) for f in families]
        legend = ax.legend(
            handles,
            list(families),
            title="colour: touchpoint family",
            loc="upper center",
            bbox_to_anchor=(0.5, -0.06),
            ncol=min(len(families), 6),
            fontsize=9,
            title_fontsize=9,
            frameon=False,
        )
        literal_text(legend.get_texts())
    ax.set_title(title or f"The first {len(steps)} steps of {n:,} {unit}", parse_math=False, fontsize=12)
    return ax


def _bands(ax: Any, table: pd.DataFrame, steps: list, blocks: dict, colours: dict, PathPatch: Any, Path: Any) -> None:
    """The flows between consecutive steps, each as wide as its journeys, in the order of their blocks."""
    incoming = {key: block[0] for key, block in blocks.items()}
    codes = [Path.MOVETO, *[Path.CURVE4] * 3, Path.LINETO, *[Path.CURVE4] * 3, Path.CLOSEPOLY]
    for k in steps[:-1]:
        moving = table[(table[k] != ENDED) & (table[k + 1] != NOT_BEGUN)]
        flows = moving.groupby([k, k + 1], sort=False)["weight"].sum().reset_index()
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
            colour = colours[b] if a == NOT_BEGUN else colours[a]
            ax.add_patch(PathPatch(Path(verts, codes), fc=colour, alpha=0.35, lw=0, zorder=1))


def _labels(ax: Any, steps: list, blocks: dict, top: float, bottom: float) -> None:
    """Every block's name and count beside it; labels too close are spread apart, with a leader line."""
    figure_height = axes_inches(ax)[1] * 72  # points
    height = LABEL_POINTS * LABEL_LINE * (bottom - top) / max(figure_height, 1.0)
    for k in steps:
        column = sorted((block[0], name, block[1]) for (step, name), block in blocks.items() if step == k)
        wanted = [(upper + lower) / 2 for upper, _, lower in column]
        placed = spread(wanted, height, top, bottom)
        for (upper, name, lower), want, y in zip(column, wanted, placed):
            x = k + 0.06
            if abs(y - want) > height * 0.25:
                ax.plot([k + 0.04, x + 0.01, x + 0.03], [want, want, y], color="#666666", lw=0.6, zorder=4)
                x += 0.035
            ax.text(
                x,
                y,
                f"{name} ({round(lower - upper):,})",
                va="center",
                fontsize=LABEL_POINTS,
                zorder=5,
                parse_math=False,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
            )
