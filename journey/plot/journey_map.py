"""The journey map: a layered left-to-right drawing of a journey graph with matplotlib alone.

Layout
------
Each touchpoint's layer is its *typical step position*: the expected number of steps from START at which
journeys reach it, solved exactly from the graph's flows (for every node, the in-flow-weighted mean of its
predecessors' positions plus one). START is on the left, END on the right, goal touchpoints in the last
layer before END. Within a layer, touchpoints are ordered by visits. Edges are drawn with widths in
proportion to ``width_by``; edges that go back (to the same or an earlier layer) arc above the nodes, and
loops (a -> a) are drawn as small circles, so neither hides the forward flow. Names are drawn literally:
``$5 off$`` stays ``$5 off$``.

The drawing reads a graph's attributes only (nodes' ``kind``, ``visits``, ``journeys``, ``exits``,
``conversions``; edges' ``count``, ``journeys``, ``share``): the public :func:`journey.plot_journey_map`
and :meth:`journey.JourneyGraph.plot` simplify a large graph first and call :func:`draw_journey_map`.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from ..errors import JourneyError, check_memory, option
from .figures import axes_for

__all__ = ["draw_journey_map", "draw_diff_map", "layout", "COLOR_BY", "WIDTH_BY", "LABELS"]

COLOR_BY = ("exit_rate", "conversion_rate", "visits")
WIDTH_BY = ("count", "journeys")
LABELS = ("count", "share", None)


def _ends(graph: nx.DiGraph) -> tuple[Any, Any]:
    """The START and END nodes, found by their ``kind`` (this module knows no log names)."""
    kinds = {d.get("kind"): n for n, d in graph.nodes(data=True) if d.get("kind") in ("start", "end")}
    if "start" not in kinds or "end" not in kinds:
        raise JourneyError(
            "the journey map draws a graph from journey.journey_graph (or journey.prune): "
            "it needs its start and end nodes"
        )
    return kinds["start"], kinds["end"]


def layout(graph: nx.DiGraph) -> dict[Any, tuple[float, float]]:
    """``{node: (x, y)}`` for a journey graph: x is the layer, y the rank within it (0 at the top)."""
    START, END = _ends(graph)
    nodes = list(graph.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    size = len(nodes)
    check_memory(
        3 * 8 * size * size,
        f"the layout of a journey map of {size:,} nodes",
        f"draw fewer touchpoints: a smaller {option('max_nodes')}, or journey.prune(graph, min_share=...) first",
    )
    # position(v) = sum_u w(u->v) (position(u) + 1) / sum_u w(u->v), position(START) = 0.
    a = np.eye(size)
    b = np.zeros(size)
    for v in nodes:
        if v == START:
            continue
        incoming = [(u, d["count"]) for u, _, d in graph.in_edges(v, data=True) if u != v]
        total = sum(w for _, w in incoming)
        if not total:
            continue
        for u, w in incoming:
            a[index[v], index[u]] -= w / total
        b[index[v]] = 1.0
    position = np.linalg.lstsq(a, b, rcond=None)[0]
    goals = [n for n, d in graph.nodes(data=True) if d.get("kind") == "goal"]
    inner = [n for n in nodes if n not in (START, END, *goals)]
    ranks = sorted({int(round(position[index[n]])) for n in inner})
    layer = {n: ranks.index(int(round(position[index[n]]))) + 1 for n in inner}
    last = (max(layer.values()) if layer else 0) + 1
    layer |= {START: 0, END: last + (1 if goals else 0)} | dict.fromkeys(goals, last)
    placed = {}
    for x in sorted(set(layer.values())):
        members = sorted((n for n in nodes if layer[n] == x), key=lambda n: (-graph.nodes[n].get("visits", 0), str(n)))
        for y, n in enumerate(members):
            placed[n] = (float(x), y - (len(members) - 1) / 2)
    return placed


def draw_journey_map(
    graph: nx.DiGraph,
    *,
    ax: Any = None,
    color_by: str = "exit_rate",
    width_by: str = "count",
    label: str | None = "count",
    title: str | None = None,
    note: str = "",
) -> Any:
    """Draw a journey graph as a map on ``ax`` (or a new figure) and return the Axes.

    The options are those of :func:`journey.plot_journey_map`; ``note`` is appended to the default title.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    if color_by not in COLOR_BY:
        raise JourneyError(f"color_by must be one of {', '.join(map(repr, COLOR_BY))}, not {color_by!r}")
    if width_by not in WIDTH_BY:
        raise JourneyError(f"width_by must be one of {', '.join(map(repr, WIDTH_BY))}, not {width_by!r}")
    if label not in LABELS:
        raise JourneyError(f'label must be "count", "share" or None, not {label!r}')
    START, END = _ends(graph)
    ax = axes_for(ax, figsize=(12, 6.5))
    pos = layout(graph)
    weights = {(a, b): d[width_by] for a, b, d in graph.edges(data=True)}
    top = max(weights.values()) if weights else 1
    edge_color = "#5b6770"
    for (a, b), w in sorted(weights.items(), key=lambda item: item[1]):
        lw = 0.5 + 9 * w / top
        (x1, y1), (x2, y2) = pos[a], pos[b]
        if a == b:
            ax.add_patch(plt.Circle((x1, y1 + 0.32), 0.12, fill=False, lw=lw, color=edge_color, alpha=0.6))
            continue
        backward = x2 <= x1
        arrow = FancyArrowPatch(
            (x1, y1),
            (x2, y2),
            arrowstyle="-|>",
            mutation_scale=8 + lw,
            lw=lw,
            color=edge_color,
            alpha=0.35 if backward else 0.6,
            connectionstyle=f"arc3,rad={-0.45 if backward else 0.08}",
            linestyle="--" if backward else "-",
            shrinkA=18,
            shrinkB=18,
        )
        ax.add_patch(arrow)
    _edge_labels(ax, graph, pos, weights, label)
    values, cmap, vmin, vmax, bar_label = _node_colours(graph, color_by)
    for n, (x, y) in pos.items():
        is_goal = graph.nodes[n].get("kind") == "goal"
        # START, END and goals are not where journeys drop off: they stay outside the colour scale.
        colour = "#ffffff" if n in (START, END) or is_goal else cmap((values[n] - vmin) / (vmax - vmin or 1))
        ax.scatter(
            [x],
            [y],
            s=900,
            c=[colour],
            edgecolors="#d4a017" if is_goal else "#333333",
            linewidths=3.5 if is_goal else 1.0,
            zorder=3,
        )
        visits = graph.nodes[n].get("visits", 0)
        ax.text(
            x,
            y - 0.3,
            f"{n}\n{visits:,}",
            ha="center",
            va="top",
            fontsize=8,
            zorder=4,
            parse_math=False,
            fontweight="bold" if is_goal else "normal",
        )
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    bar = ax.figure.colorbar(ScalarMappable(Normalize(vmin, vmax), cmap), ax=ax, fraction=0.03, pad=0.01)
    bar.set_label(bar_label)
    _width_legend(ax, top, width_by, edge_color)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 1.0, max(ys) + 0.8)
    ax.invert_yaxis()
    ax.set_axis_off()
    n_journeys = graph.graph.get("n_journeys", 0)
    goal = graph.graph.get("goal")
    ax.set_title(
        title or (f"Journey map: {n_journeys:,} journeys" + (f", goal {goal}" if goal else "") + note), parse_math=False
    )
    return ax


def draw_diff_map(graph: nx.DiGraph, *, ax: Any = None, title: str | None = None, note: str = "") -> Any:
    """Draw a comparison of two journey graphs (``kind="difference"``) on the journey map's layout.

    Reads nodes' and edges' ``difference`` (a share), ``significant`` and ``count``/``visits`` (both
    segments, for the layout and widths). Colour: the difference, on a diverging scale centred on 0 (blue:
    more of the ``versus`` segment's journeys use it, red: fewer); significant edges are drawn solid and
    wide, the others thin and grey, and the twelve largest significant changes are labelled in points;
    significant touchpoints are filled with their colour, ringed and labelled, the others left pale.
    """
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    START, END = _ends(graph)
    ax = axes_for(ax, figsize=(12, 6.5))
    pos = layout(graph)
    cmap = matplotlib.colormaps["RdBu"]
    changes = [abs(d.get("difference", 0.0)) for *_, d in graph.edges(data=True)]
    changes += [abs(d.get("difference", 0.0)) for n, d in graph.nodes(data=True) if n not in (START, END)]
    span = max([c for c in changes if c == c] or [0.0]) * 100 or 1.0
    norm = Normalize(-span, span)
    top = max([d["count"] for *_, d in graph.edges(data=True)] or [1])
    edges = sorted(graph.edges(data=True), key=lambda e: (bool(e[2].get("significant")), e[2]["count"]))
    # Labels on the twelve largest significant changes only, so they stay legible.
    ranked = sorted(
        (e for e in edges if e[2].get("significant") and e[0] != e[1]),
        key=lambda e: (-abs(float(np.nan_to_num(e[2].get("difference", 0.0)))), str(e[0]), str(e[1])),
    )
    labelled = {(a, b) for a, b, _ in ranked[:12]}
    for a, b, d in edges:
        flagged = bool(d.get("significant"))
        points = float(np.nan_to_num(d.get("difference", 0.0))) * 100
        colour = cmap(norm(points)) if flagged else "#b8c0c6"
        lw = (1.5 + 7 * d["count"] / top) if flagged else 0.4 + 2 * d["count"] / top
        (x1, y1), (x2, y2) = pos[a], pos[b]
        if a == b:
            ax.add_patch(
                plt.Circle((x1, y1 + 0.32), 0.12, fill=False, lw=lw, color=colour, alpha=0.9 if flagged else 0.5)
            )
            continue
        backward = x2 <= x1
        ax.add_patch(
            FancyArrowPatch(
                (x1, y1),
                (x2, y2),
                arrowstyle="-|>",
                mutation_scale=8 + lw,
                lw=lw,
                color=colour,
                alpha=0.95 if flagged else 0.45,
                linestyle="--" if backward else "-",
                connectionstyle=f"arc3,rad={-0.45 if backward else 0.08}",
                shrinkA=18,
                shrinkB=18,
                zorder=2 if flagged else 1,
            )
        )
        if (a, b) in labelled:
            ax.text(
                (x1 + x2) / 2,
                (y1 + y2) / 2 - 0.08,
                f"{points:+.1f}",
                fontsize=7,
                ha="center",
                zorder=5,
                parse_math=False,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
            )
    for n, (x, y) in pos.items():
        d = graph.nodes[n]
        flagged = bool(d.get("significant"))
        points = float(np.nan_to_num(d.get("difference", 0.0))) * 100
        colour = cmap(norm(points)) if flagged else "#ffffff" if n in (START, END) else "#f2f2f2"
        ax.scatter(
            [x],
            [y],
            s=900,
            c=[colour],
            edgecolors="#111111" if flagged else "#777777",
            linewidths=2.8 if flagged else 0.8,
            zorder=3,
        )
        text = str(n) if n in (START, END) else f"{n}\n{points:+.1f}" if flagged else str(n)
        ax.text(
            x,
            y - 0.3,
            text,
            ha="center",
            va="top",
            fontsize=8,
            zorder=4,
            parse_math=False,
            fontweight="bold" if flagged else "normal",
        )
    bar = ax.figure.colorbar(ScalarMappable(norm, cmap), ax=ax, fraction=0.03, pad=0.01)
    versus, baseline = graph.graph.get("versus"), graph.graph.get("baseline")
    bar.set_label(f"change in share of journeys, points ({versus} minus {baseline})")
    level = graph.graph.get("level", 0.95)
    ax.legend(
        [Line2D([], [], color=cmap(norm(span)), lw=4), Line2D([], [], color="#b8c0c6", lw=1.5)],
        [f"differs (adjusted p < {1 - level:.2g}), labelled in points", "no clear difference"],
        loc="lower left",
        fontsize=7,
        frameon=False,
        title="transitions (width: both segments)",
        title_fontsize=7,
    )
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 1.0, max(ys) + 0.8)
    ax.invert_yaxis()
    ax.set_axis_off()
    by = graph.graph.get("by")
    ax.set_title(
        title or f"Journey map of changes: {by} {versus} against {baseline} (baseline){note}", parse_math=False
    )
    return ax


def _node_colours(graph: nx.DiGraph, color_by: str) -> tuple[dict, Any, float, float, str]:
    import matplotlib

    START, END = _ends(graph)
    values = {}
    for n, d in graph.nodes(data=True):
        journeys = d.get("journeys", 0) or 1
        values[n] = {
            "exit_rate": d.get("exits", 0) / journeys,
            "conversion_rate": d.get("conversions", 0) / journeys,
            "visits": d.get("visits", 0),
        }[color_by]
    inner = [values[n] for n, d in graph.nodes(data=True) if n not in (START, END) and d.get("kind") != "goal"]
    inner = inner or [0.0, 1.0]
    cmap = matplotlib.colormaps["YlOrRd" if color_by == "exit_rate" else "YlGn"]
    label = {
        "exit_rate": "exit rate (journeys ending there)",
        "conversion_rate": "conversion rate of journeys through it",
        "visits": "visits",
    }[color_by]
    return values, cmap, min(inner), max(inner), label


def _edge_labels(ax: Any, graph: nx.DiGraph, pos: dict, weights: dict, label: str | None) -> None:
    if label is None:
        return
    strongest = sorted(weights, key=lambda e: (-weights[e], str(e[0]), str(e[1])))[:12]
    for a, b in strongest:
        if a == b:
            continue
        (x1, y1), (x2, y2) = pos[a], pos[b]
        d = graph.edges[a, b]
        text = f"{d['count']:,}" if label == "count" else f"{d['share']:.0%}"
        ax.text(
            (x1 + x2) / 2,
            (y1 + y2) / 2 - 0.08,
            text,
            fontsize=7,
            ha="center",
            color="#1f3b57",
            zorder=5,
            parse_math=False,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
        )


def _width_legend(ax: Any, top: float, width_by: str, colour: str) -> None:
    from matplotlib.lines import Line2D

    steps = [top, top / 2, top / 10]
    handles = [Line2D([], [], color=colour, lw=0.5 + 9 * s / top, alpha=0.6) for s in steps]
    ax.legend(
        handles,
        [f"{s:,.0f} {'transitions' if width_by == 'count' else 'journeys'}" for s in steps],
        loc="lower left",
        fontsize=7,
        frameon=False,
        title="edge width",
        title_fontsize=7,
    )
