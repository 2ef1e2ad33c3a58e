"""The journey map: a layered left-to-right drawing of a journey graph, as a process map draws it.

Where things go is :mod:`journey.plot.layout`'s work (layers by typical step position, crossing reduction,
edges routed through the gaps between nodes); this module measures the labels, asks for a layout with room
for them, and draws: discs coloured by a node measure, edges as smooth arrows with widths in proportion,
self-loops attached to the top of their node, counts and median times on the main transitions, a compact
colour bar and a legend that says what every number, width and colour means.

The drawing is made in points at its nominal size, with equal aspect: on a new figure, sized to the map,
every text has its nominal size. On a smaller Axes the whole map shrinks, its texts and lines with it, so
labels that do not overlap at the nominal size overlap at none. Names are drawn literally: ``$5 off$``
stays ``$5 off$``; long names are wrapped, and those still too long are shortened with their full name in
the legend.

Every disc and arrow carries a ``gid`` naming what it draws (``node "cart"``, ``edge ["cart", "checkout"]``,
names in JSON): SVG files keep them as ids, and tests find the artists by them.

The drawing reads a graph's attributes only (nodes' ``kind``, ``visits``, ``journeys``, ``exits``,
``conversions``, ``journeys_before_goal``, ``exits_without_goal``; edges' ``count``, ``journeys``,
``share``, ``median_seconds``): the public :func:`journey.plot_journey_map` and
:meth:`journey.JourneyGraph.plot` simplify a large graph first and call :func:`draw_journey_map`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from ..errors import JourneyError
from .layout import CURVE4, MapGeometry, arrange, ends, layers, layout
from .text import format_value

__all__ = [
    "draw_journey_map",
    "draw_diff_map",
    "layout",
    "node_measure",
    "COLOR_BY",
    "WIDTH_BY",
    "LABELS",
    "NODE_LABELS",
]

COLOR_BY = ("exit_rate", "conversion_rate", "visits")
WIDTH_BY = ("count", "journeys")
LABELS = ("count", "share", None)
NODE_LABELS = ("journeys", "visits")

_COLOURS = {
    "exit_rate": "colour: exit rate, as in drop_off: journeys ending\nthere without the goal ÷ journeys visiting",
    "exit": "colour: exit rate: journeys ending there\n÷ journeys visiting",
    "conversion_rate": "colour: conversion rate: converted journeys\nvisiting ÷ journeys visiting",
    "visits": "colour: visits (events)",
}
EDGE_COLOUR = "#5b6770"
BACK_COLOUR = "#9aa4ab"
GOAL_RING = "#d4a017"


def node_measure(graph: nx.DiGraph, color_by: str = "exit_rate") -> dict[Any, float]:
    """The value each touchpoint is coloured by on the map (START, END and goals are not coloured).

    ``exit_rate`` is :func:`journey.drop_off`'s: journeys ending at the touchpoint without reaching the
    goal, over journeys visiting it before (or without) reaching the goal; ``conversion_rate`` is
    converted journeys visiting it over journeys visiting it; ``visits`` counts events.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": list("aabbc"), "event": ["home", "buy", "home", "cart", "home"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=5, freq="min", tz="UTC")})
    >>> node_measure(journey.journey_graph(df, goal="buy"))
    {'cart': 1.0, 'home': 0.3333333333333333}
    """
    if color_by not in COLOR_BY:
        raise JourneyError(f"color_by must be one of {', '.join(map(repr, COLOR_BY))}, not {color_by!r}")
    values = {}
    for n, d in graph.nodes(data=True):
        if d.get("kind") in ("start", "end", "goal"):
            continue
        journeys = d.get("journeys", 0)
        if color_by == "exit_rate":
            # Graphs saved before these attributes existed: every exit counts.
            exits, journeys = d.get("exits_without_goal", d.get("exits", 0)), d.get("journeys_before_goal", journeys)
            values[n] = exits / journeys if journeys else 0.0
        elif color_by == "conversion_rate":
            values[n] = d.get("conversions", 0) / journeys if journeys else 0.0
        else:
            values[n] = float(d.get("visits", 0))
    return values


# ---------------------------------------------------------------------------------------------------
# sizes and text


@dataclass(frozen=True)
class _Style:
    """Sizes in points, shrinking from a map of 6 touchpoints to one of 40."""

    radius: float
    font: float
    edge_font: float
    max_width: float
    wrap: int

    @classmethod
    def for_size(cls, n_touchpoints: int) -> _Style:
        s = min(1.0, max(0.0, (40 - n_touchpoints) / 34))
        return cls(radius=10 + 4 * s, font=7.5 + 1.5 * s, edge_font=7 + s, max_width=4 + 5 * s, wrap=int(12 + 3 * s))

    def width(self, value: float, top: float) -> float:
        return 0.6 + (self.max_width - 0.6) * value / (top or 1)


_MEASURE: dict[str, Any] = {}


def _text_size(text: str, size: float, bold: bool = False) -> tuple[float, float]:
    """Width and height in points of ``text`` as matplotlib draws it (Agg at 72 dpi: a pixel is a point)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if "renderer" not in _MEASURE:
        figure = Figure(dpi=72)
        _MEASURE["renderer"] = FigureCanvasAgg(figure).get_renderer()
        _MEASURE["figure"] = figure
    probe = _MEASURE["figure"].text(
        0, 0, text, fontsize=size, fontweight="bold" if bold else "normal", parse_math=False, linespacing=1.15
    )
    box = probe.get_window_extent(_MEASURE["renderer"])
    probe.remove()
    return float(box.width), float(box.height)


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _wrap(name: str, width: int) -> list[str]:
    """``name`` on lines of about ``width`` characters, broken after ``_``, ``-``, ``/``, ``.`` or a space."""
    lines, line = [], ""
    for part in _parts(name):
        if line and len(line) + len(part.rstrip()) > width:
            lines.append(line)
            line = ""
        while len(part) > width + 2:  # a part too long for any line: cut it
            lines.append(part[:width])
            part = part[width:]
        line += part
    return [*lines, line] if line else lines


def _parts(name: str) -> list[str]:
    parts, current = [], ""
    for char in name:
        current += char
        if char in "_-/. ":
            parts.append(current)
            current = ""
    return [*parts, current] if current else parts


def _names(names: list[Any], width: int) -> tuple[dict[Any, str], list[tuple[str, str]]]:
    """Each name as it is shown (at most two lines) and the key of shortened ones: (mark, full name)."""
    shown: dict[Any, str] = {}
    key: list[tuple[str, str]] = []
    for name in names:
        text = str(name)
        lines = _wrap(text, width) if len(text) > width + 2 else [text]
        if len(lines) > 2:
            mark = str(len(key) + 1).translate(_SUPERSCRIPT)
            lines = [lines[0], lines[1][: width - 1].rstrip() + "…" + mark]
            key.append((mark, text))
        shown[name] = "\n".join(lines)
    return shown, key


def _points_per_unit(ax: Any) -> float:
    """Points per data unit of ``ax`` now (equal aspect: the same along x and y)."""
    a, b = ax.transData.transform([(0.0, 0.0), (1.0, 0.0)])
    return abs(float(b[0] - a[0])) * 72.0 / ax.figure.dpi


def _artists() -> tuple[type, type]:
    """Text and arrow classes whose sizes follow the map's scale when drawn (defined on first use, so the
    module imports without matplotlib).
    """
    if "classes" in _MEASURE:
        return _MEASURE["classes"]
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.text import Text

    class MapText(Text):
        """Text of the nominal size where a data unit is a point, smaller where the Axes shrink the map."""

        def __init__(self, *args: Any, points: float, **kwargs: Any) -> None:
            super().__init__(*args, fontsize=points, **kwargs)
            self._points = points
            self.set_in_layout(False)  # inside the Axes' limits by construction: no need to measure it

        def draw(self, renderer: Any) -> None:
            if self.axes is not None:
                self.set_fontsize(self._points * min(1.0, _points_per_unit(self.axes)))
            super().draw(renderer)

    class MapArrow(FancyArrowPatch):
        """An edge whose line width and arrow head shrink with the map."""

        def __init__(self, *args: Any, width: float, head: float, **kwargs: Any) -> None:
            super().__init__(*args, lw=width, mutation_scale=head, **kwargs)
            self._width, self._head = width, head
            self.set_in_layout(False)

        def draw(self, renderer: Any) -> None:
            if self.axes is not None:
                scale = min(1.0, _points_per_unit(self.axes))
                self.set_linewidth(self._width * scale)
                self.set_mutation_scale(self._head * scale)
            super().draw(renderer)

    _MEASURE["classes"] = (MapText, MapArrow)
    return MapText, MapArrow


# ---------------------------------------------------------------------------------------------------
# one map, whatever it shows


@dataclass
class _Node:
    text: str
    face: Any
    ring: str = "#333333"
    ring_width: float = 1.0
    bold: bool = False


@dataclass
class _Edge:
    colour: Any
    width: float
    alpha: float = 0.6
    dashed: bool = False
    zorder: float = 1.0
    label: str | None = None  # drawn where it fits, in the order edges are given


@dataclass
class _Drawing:
    graph: nx.DiGraph
    style: _Style
    nodes: dict[Any, _Node]
    edges: dict[tuple[Any, Any], _Edge]
    labelled: list[tuple[Any, Any]]  # edges to label, most important first
    title: str
    legend: list[tuple[Any, str]] = field(default_factory=list)
    legend_title: str = ""
    colours: tuple[Any, Any, str] | None = None  # norm, colour map and title of the colour bar


def _loop_top(radius: float, width: float) -> float:
    """How far a self-loop reaches above its node's centre."""
    return 2.05 * radius + width / 2


def _loop_path(x: float, y: float, radius: float) -> Any:
    """A loop from the disc's top left to its top right (y down): starts and ends on the circle."""
    from matplotlib.path import Path

    a, b = math.radians(120), math.radians(60)
    start = (x + radius * math.cos(a), y - radius * math.sin(a))
    end = (x + radius * math.cos(b), y - radius * math.sin(b))
    return Path(
        [start, (x - 0.9 * radius, y - 2.4 * radius), (x + 0.9 * radius, y - 2.4 * radius), end],
        [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4],
    )


def _render(drawing: _Drawing, ax: Any) -> tuple[Any, MapGeometry]:
    """Lay out and draw ``drawing``; the Axes (a new figure sized to the map when ``ax`` is None)."""
    from matplotlib.patches import Circle
    from matplotlib.path import Path

    graph, style = drawing.graph, drawing.style
    MapText, MapArrow = _artists()
    r, pad = style.radius, 3.0
    sizes = {n: _text_size(node.text, style.font, node.bold) for n, node in drawing.nodes.items()}
    loops = {a: drawing.edges[(a, b)] for a, b in graph.edges if a == b}
    loop_sizes = {a: _text_size(e.label, style.edge_font) for a, e in loops.items() if e.label}
    above = {
        n: (_loop_top(r, loops[n].width) + pad + (loop_sizes[n][1] + pad if n in loop_sizes else 0.0))
        if n in loops
        else r + pad
        for n in graph.nodes
    }
    below = {n: r + pad + sizes[n][1] + pad for n in graph.nodes}
    half = {n: max(sizes[n][0], loop_sizes.get(n, (0.0, 0.0))[0]) / 2 + pad for n in graph.nodes}
    edge_sizes = {
        e: _text_size(drawing.edges[e].label or "", style.edge_font) for e in drawing.labelled if e[0] != e[1]
    }
    widest = max([w for w, _ in edge_sizes.values()] or [0.0])
    gap = max(40.0 + 2 * style.max_width, widest + 16.0)
    thickness = {e: edge.width for e, edge in drawing.edges.items()}
    geometry = arrange(graph, radius=r, above=above, below=below, half_width=half, thickness=thickness, gap=gap)
    x0, y0, x1, y1 = geometry.extent
    margin = 6.0
    map_w, map_h = x1 - x0 + 2 * margin, y1 - y0 + 2 * margin
    own = ax is None
    if own:
        import matplotlib.pyplot as plt

        # Shrink the map only where it would pass 32 x 20 inches; the figure is sized in _fit_figure.
        scale = min(1.0, (32 * 72 - 90) / map_w, (20 * 72 - 150) / map_h)
        ax = plt.figure(figsize=(map_w * scale / 72 + 1.2, map_h * scale / 72 + 2)).add_axes((0, 0, 1, 1))
    else:  # the map shrinks to fit the Axes; the legend (outside it) shrinks alike
        box = ax.get_position()
        width_in, height_in = ax.figure.get_size_inches()
        scale = min(1.0, box.width * width_in * 72 / map_w, box.height * height_in * 72 / map_h)

    for (a, b), edge in sorted(drawing.edges.items(), key=lambda item: (item[1].zorder, item[1].width)):
        if a == b:
            path = _loop_path(*geometry.pos[a], r)
        else:
            vertices, codes = geometry.paths[(a, b)]
            path = Path(vertices, codes)
        arrow = MapArrow(
            path=path,
            arrowstyle="-|>",
            width=edge.width,
            head=(5 + 0.6 * edge.width) if a == b else 6 + 1.2 * edge.width,  # a loop's head stays small
            color=edge.colour,
            alpha=edge.alpha,
            linestyle=(0, (4, 2)) if edge.dashed else "-",
            zorder=edge.zorder,
        )
        arrow.set_gid("edge " + json.dumps([str(a), str(b)], ensure_ascii=False))
        ax.add_artist(arrow)  # not add_patch: the limits are set once, from the layout

    boxes: list[tuple[float, float, float, float]] = []
    for n, node in drawing.nodes.items():
        x, y = geometry.pos[n]
        disc = Circle((x, y), r, facecolor=node.face, edgecolor=node.ring, lw=node.ring_width, zorder=3)
        disc.set_gid("node " + json.dumps(str(n), ensure_ascii=False))
        ax.add_artist(disc)
        boxes.append((x - r, y - r, x + r, y + r))
        w, h = sizes[n]
        top = y + r + pad
        text = MapText(
            x,
            top,
            node.text,
            points=style.font,
            ha="center",
            va="top",
            zorder=4,
            parse_math=False,
            fontweight="bold" if node.bold else "normal",
            linespacing=1.15,
        )
        ax.add_artist(text)
        boxes.append((x - w / 2, top, x + w / 2, top + h))
        if n in loop_sizes:
            lw, lh = loop_sizes[n]
            bottom = y - _loop_top(r, loops[n].width) - pad / 2
            ax.add_artist(
                MapText(
                    x,
                    bottom,
                    loops[n].label,
                    points=style.edge_font,
                    ha="center",
                    va="bottom",
                    zorder=5,
                    parse_math=False,
                    color="#1f3b57",
                    linespacing=1.15,
                )
            )
            boxes.append((x - lw / 2, bottom - lh, x + lw / 2, bottom))
    _edge_labels(ax, drawing, geometry, edge_sizes, boxes, MapText)

    ax.set_xlim(x0 - margin, x1 + margin)
    ax.set_ylim(y1 + margin, y0 - margin)  # y points down
    ax.set_aspect("equal", adjustable="box")
    ax.set_axis_off()
    ax.set_title(drawing.title, parse_math=False, fontsize=11 if own else max(6.0, 11 * scale))
    legend = None
    if drawing.legend:
        handles, labels = zip(*drawing.legend)
        legend = ax.legend(
            handles,
            labels,
            loc="upper left",
            bbox_to_anchor=(0.0, 0.0),
            ncols=2,
            fontsize=max(5.0, 7.5 * scale),
            frameon=False,
            title=drawing.legend_title or None,
            title_fontsize=max(5.0, 7.5 * scale),
            alignment="left",
            handlelength=2.4,
            columnspacing=1.6,
        )
        for text in legend.get_texts():
            text.set_parse_math(False)
    if own:
        _fit_figure(ax, map_w * scale, map_h * scale, legend, drawing.colours)
    elif drawing.colours is not None:
        _colour_bar(ax, *drawing.colours)
    return ax, geometry


def _edge_labels(
    ax: Any,
    drawing: _Drawing,
    geometry: MapGeometry,
    sizes: dict[tuple[Any, Any], tuple[float, float]],
    boxes: list[tuple[float, float, float, float]],
    MapText: Callable[..., Any],
) -> None:
    """Labels on the edges in ``drawing.labelled`` order, each in a gap on its own curve, where it overlaps
    no other label, disc or name; an edge with no such place goes unlabelled (its width still shows it).
    """
    pad = 0.2 * drawing.style.edge_font
    for edge in drawing.labelled:
        if edge[0] == edge[1]:
            continue
        label = drawing.edges[edge].label
        w, h = sizes[edge]
        w, h = w + 2 * pad, h + 2 * pad
        spot = next(
            (
                (x, y)
                for x, y in _candidates(geometry.paths[edge])
                if _inside_a_gap(geometry, x - w / 2, x + w / 2)
                and not any(_overlap((x - w / 2, y - h / 2, x + w / 2, y + h / 2), box) for box in boxes)
            ),
            None,
        )
        if spot is None:
            continue
        x, y = spot
        boxes.append((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
        ax.add_artist(
            MapText(
                x,
                y,
                label,
                points=drawing.style.edge_font,
                ha="center",
                va="center",
                color="#1f3b57",
                zorder=5,
                parse_math=False,
                linespacing=1.15,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
            )
        )


def _candidates(path: tuple[np.ndarray, list[int]]) -> list[tuple[float, float]]:
    """Points on the curved pieces of a route (the gaps), middle pieces and middles of pieces first."""
    vertices, codes = path
    pieces = [
        vertices[i - 1 : i + 3] for i in range(1, len(codes) - 2) if codes[i] == CURVE4 and codes[i - 1] != CURVE4
    ]
    middle = (len(pieces) - 1) / 2
    ranked = sorted(range(len(pieces)), key=lambda i: (abs(i - middle), i))
    points = []
    for t in (0.5, 0.38, 0.62, 0.26, 0.74):
        for i in ranked:
            p0, p1, p2, p3 = pieces[i]
            u = 1 - t
            point = u**3 * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t**3 * p3
            points.append((float(point[0]), float(point[1])))
    return points


def _inside_a_gap(geometry: MapGeometry, left: float, right: float) -> bool:
    return any(g0 + 1.0 <= left and right <= g1 - 1.0 for g0, g1 in geometry.gaps)


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] + 1.0 and b[0] < a[2] + 1.0 and a[1] < b[3] + 1.0 and b[1] < a[3] + 1.0


def _fit_figure(ax: Any, width: float, height: float, legend: Any, colours: tuple[Any, Any, str] | None) -> None:
    """Size the map's own figure to the map (``width`` x ``height`` points), the title above, the legend
    below and a short colour bar at the top right: every length known, so nothing is left to a layout engine
    that would shrink the map.
    """
    figure = ax.figure
    renderer = figure.canvas.get_renderer()
    to_points = 72 / figure.dpi
    legend_w, legend_h = (
        (legend.get_window_extent(renderer).width * to_points, legend.get_window_extent(renderer).height * to_points)
        if legend is not None
        else (0.0, 0.0)
    )
    left, right, top, bottom = 8.0, 80.0 if colours is not None else 12.0, 30.0, legend_h + 10.0
    total_w = max(left + width + right, left + legend_w + 8)
    total_h = top + height + bottom
    figure.set_size_inches(total_w / 72, total_h / 72)
    ax.set_position((left / total_w, bottom / total_h, width / total_w, height / total_h))
    if colours is not None:
        bar_h = min(max(60.0, 0.35 * height), 130.0)
        cax = figure.add_axes(
            ((left + width + 14) / total_w, (bottom + height - 14 - bar_h) / total_h, 9 / total_w, bar_h / total_h)
        )
        _colour_bar(ax, *colours, cax=cax)


def _colour_bar(ax: Any, norm: Any, cmap: Any, label: str, cax: Any = None) -> Any:
    """A short colour bar at the top right of the map (not its full height), in ``cax`` if given."""
    from matplotlib.cm import ScalarMappable

    if cax is not None:
        bar = ax.figure.colorbar(ScalarMappable(norm, cmap), cax=cax)
    else:
        bar = ax.figure.colorbar(ScalarMappable(norm, cmap), ax=ax, shrink=0.3, aspect=8, pad=0.01, anchor=(0.0, 1.0))
    bar.ax.set_title(label, fontsize=7.5, parse_math=False)
    bar.ax.tick_params(labelsize=7)
    return bar


def _main_edges(graph: nx.DiGraph, key: str, n_touchpoints: int) -> list[tuple[Any, Any]]:
    """The edges that get a label, most important first: the largest, at most two per touchpoint."""
    ranked = sorted(graph.edges(data=True), key=lambda e: (-e[2].get(key, 0), str(e[0]), str(e[1])))
    return [(a, b) for a, b, _ in ranked[: max(12, 2 * n_touchpoints)]]


# ---------------------------------------------------------------------------------------------------
# the two maps


def draw_journey_map(
    graph: nx.DiGraph,
    *,
    ax: Any = None,
    color_by: str = "exit_rate",
    width_by: str = "count",
    label: str | None = "count",
    node_label: str = "journeys",
    title: str | None = None,
    note: str = "",
) -> Any:
    """Draw a journey graph as a map on ``ax`` (or a new figure sized to the map) and return the Axes.

    The options are those of :func:`journey.plot_journey_map`; ``note`` is appended to the default title.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": list("aabb"), "event": ["home", "buy", "home", "home"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=4, freq="min", tz="UTC")})
    >>> ax = draw_journey_map(journey.journey_graph(df, goal="buy"), node_label="visits")
    >>> sorted(t.get_text() for t in ax.texts)  # touchpoints with their visits; transitions, median times
    ['1', '1', '1\\n1m 00s', '1\\n1m 00s', '2', '[end]\\n2', '[start]\\n2', 'buy\\n1', 'home\\n3']
    """
    import matplotlib
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    values = node_measure(graph, color_by)
    if width_by not in WIDTH_BY:
        raise JourneyError(f"width_by must be one of {', '.join(map(repr, WIDTH_BY))}, not {width_by!r}")
    if label not in LABELS:
        raise JourneyError(f'label must be "count", "share" or None, not {label!r}')
    if node_label not in NODE_LABELS:
        raise JourneyError(f'node_label must be "journeys" or "visits", not {node_label!r}')
    START, END = ends(graph)
    n_journeys, goal = graph.graph.get("n_journeys", 0), graph.graph.get("goal")
    n_touch = len(graph) - 2
    style = _Style.for_size(n_touch)
    shown, key = _names(list(graph.nodes), style.wrap)
    cmap = matplotlib.colormaps["YlOrRd" if color_by == "exit_rate" else "YlGn"]
    inner = list(values.values()) or [0.0, 1.0]
    low, high = min(inner), max(inner)
    spread = 0.0 if high > low else max(0.1 * abs(low), 0.01)  # one value for all: a scale around it
    norm = Normalize(max(0.0, low - spread), high + spread)  # rates and visits are never negative
    nodes = {}
    for n, d in graph.nodes(data=True):
        is_goal = d.get("kind") == "goal"
        nodes[n] = _Node(
            text=f"{shown[n]}\n{d.get(node_label, 0):,}",
            face=cmap(norm(values[n])) if n in values else "#ffffff",
            ring=GOAL_RING if is_goal else "#333333",
            ring_width=3.0 if is_goal else 1.0,
            bold=is_goal,
        )
    weights = {(a, b): d[width_by] for a, b, d in graph.edges(data=True)}
    top = max(weights.values()) if weights else 1
    main = _main_edges(graph, width_by, n_touch) if label is not None else []
    edges = {}
    layer = layers(graph)
    for a, b, d in graph.edges(data=True):
        back = a != b and layer[b] <= layer[a]
        text = None
        if (a, b) in main:
            text = format_value(d["count"], "count") if label == "count" else format_value(d["share"], "share")
            median = d.get("median_seconds")
            if median is not None and median == median and a != START and b != END:
                text += "\n" + format_value(median, "seconds")
        edges[(a, b)] = _Edge(
            colour=BACK_COLOUR if back else EDGE_COLOUR,
            width=style.width(weights[(a, b)], top),
            alpha=0.55 if back else 0.7,
            dashed=back,
            zorder=1.0 if back else 2.0,
            label=text,
        )
    unit = "transitions" if width_by == "count" else "journeys"
    legend = [
        (Line2D([], [], color=EDGE_COLOUR, lw=style.width(s, top), alpha=0.7), f"{format_value(s, 'count')} {unit}")
        for s in (top, top / 2, top / 10)
    ]
    legend.append((Line2D([], [], color=BACK_COLOUR, lw=1.5, ls=(0, (4, 2))), "back to an earlier step"))
    if any(d.get("kind") == "goal" for _, d in graph.nodes(data=True)):
        legend.append((Line2D([], [], ls="", marker="o", ms=9, mfc="white", mec=GOAL_RING, mew=2.5), "goal"))
    blank = Line2D([], [], ls="", marker="")
    legend.append((blank, _COLOURS[color_by] if goal is not None or color_by != "exit_rate" else _COLOURS["exit"]))
    counted = "journeys visiting it" if node_label == "journeys" else "visits (events) at it"
    legend.append((blank, f"number under a touchpoint: {counted}"))
    if label is not None:
        what = "transitions" if label == "count" else "share of the source's out-flow"
        legend.append((blank, f"on the main arrows: {what}, median time between the two events"))
    legend += [(blank, f"{mark} {full}") for mark, full in key]
    drawing = _Drawing(
        graph=graph,
        style=style,
        nodes=nodes,
        edges=edges,
        labelled=main,
        title=title or (f"Journey map: {n_journeys:,} journeys" + (f", goal {goal}" if goal else "") + note),
        legend=legend,
        legend_title=f"edge width: {unit}",
        colours=(norm, cmap, {"exit_rate": "exit rate", "conversion_rate": "conversion", "visits": "visits"}[color_by]),
    )
    ax, _ = _render(drawing, ax)
    return ax


def draw_diff_map(graph: nx.DiGraph, *, ax: Any = None, title: str | None = None, note: str = "") -> Any:
    """Draw a comparison of two journey graphs (``kind="difference"``) on the journey map's layout.

    Reads nodes' and edges' ``difference`` (a share), ``significant`` and ``count``/``visits`` (both
    segments, for the layout and widths). Colour: the difference, on a diverging scale centred on 0 (blue:
    more of the ``versus`` segment's journeys use it, red: fewer); significant edges are drawn solid and
    wide, the others thin and grey, and the largest significant changes are labelled in points where they
    fit; significant touchpoints are filled with their colour, ringed and labelled, the others left pale.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import journey
    >>> log = journey.read_events(journey.datasets.load_sample().events).with_period("M")
    >>> diff = journey.compare_graphs(log, by="period", baseline="2025-01", versus="2025-02")
    >>> draw_diff_map(diff).get_title()
    'Journey map of changes: period 2025-02 against 2025-01 (baseline)'
    """
    import matplotlib
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    START, END = ends(graph)
    n_touch = len(graph) - 2
    style = _Style.for_size(n_touch)
    shown, key = _names(list(graph.nodes), style.wrap)
    cmap = matplotlib.colormaps["RdBu"]

    def points(d: dict) -> float:
        return float(np.nan_to_num(d.get("difference", 0.0))) * 100

    changes = [abs(points(d)) for *_, d in graph.edges(data=True)]
    changes += [abs(points(d)) for n, d in graph.nodes(data=True) if n not in (START, END)]
    span = max(changes or [0.0]) or 1.0
    norm = Normalize(-span, span)
    top = max([d["count"] for *_, d in graph.edges(data=True)] or [1])
    nodes = {}
    for n, d in graph.nodes(data=True):
        flagged = bool(d.get("significant"))
        nodes[n] = _Node(
            text=f"{shown[n]}\n{points(d):+.1f}" if flagged and n not in (START, END) else shown[n],
            face=cmap(norm(points(d))) if flagged else "#ffffff" if n in (START, END) else "#f2f2f2",
            ring="#111111" if flagged else "#777777",
            ring_width=2.5 if flagged else 0.8,
            bold=flagged,
        )
    ranked = sorted(
        (e for e in graph.edges(data=True) if e[2].get("significant")),
        key=lambda e: (-abs(points(e[2])), str(e[0]), str(e[1])),
    )
    main = [(a, b) for a, b, _ in ranked[: max(12, 2 * n_touch)]]
    edges = {}
    for a, b, d in graph.edges(data=True):
        flagged = bool(d.get("significant"))
        share = d["count"] / top
        edges[(a, b)] = _Edge(
            colour=cmap(norm(points(d))) if flagged else "#b8c0c6",
            width=0.8 + (style.max_width - 0.8) * share if flagged else 0.4 + 1.6 * share,
            alpha=0.95 if flagged else 0.5,
            zorder=2.0 if flagged else 1.0,
            label=f"{points(d):+.1f}" if (a, b) in main else None,
        )
    level = graph.graph.get("level", 0.95)
    versus, baseline = graph.graph.get("versus"), graph.graph.get("baseline")
    blank = Line2D([], [], ls="", marker="")
    legend = [
        (Line2D([], [], color=cmap(norm(span)), lw=4), f"differs (adjusted p < {1 - level:.2g}), labelled in points"),
        (Line2D([], [], color="#b8c0c6", lw=1.5), "no clear difference"),
        (blank, f"colour: change in the share of journeys using it,\n{versus} minus {baseline}, points"),
        (blank, "width: transitions of both segments"),
        *[(blank, f"{mark} {full}") for mark, full in key],
    ]
    by = graph.graph.get("by")
    drawing = _Drawing(
        graph=graph,
        style=style,
        nodes=nodes,
        edges=edges,
        labelled=main,
        title=title or f"Journey map of changes: {by} {versus} against {baseline} (baseline){note}",
        legend=legend,
        legend_title="transitions",
        colours=(norm, cmap, "points"),
    )
    ax, _ = _render(drawing, ax)
    return ax
