"""Where the journey map puts things: layers, the order within them, and edge routes through the gaps.

The drawing is layered in the manner of Sugiyama, Tagawa and Toda (1981, "Methods for visual
understanding of hierarchical system structures", IEEE SMC 11(2)), the method of process-mining maps:

1. **Layers.** A touchpoint's layer is its *typical step position*: the expected number of steps from
   START at which journeys reach it, solved exactly from the flows (for every node, the in-flow-weighted
   mean of its predecessors' positions plus one), rounded. START is first, END last, goals just before END.
2. **Dummy points.** An edge spanning layers gets one point in every layer it crosses (back edges too, in
   the layers between their ends), so it is routed *through the gaps between nodes*, never across one.
3. **Crossing reduction.** Weighted barycentre sweeps, down and up, keep the order with the fewest
   crossings weighted by the flows crossing (heavy flows cross least).
4. **Coordinates.** Every item holds a vertical slot (a node: its disc, label and self-loop; a dummy: its
   line), and is pulled towards the flow-weighted mean height of its neighbours; the slots are then packed
   without overlap by weighted isotonic regression (pool adjacent violators), so main flows run straight.
5. **Routes.** Edges leave a node's side at ports ordered by where they go, run level through a layer's
   band (where the nodes and their labels sit) and curve only in the gaps between bands, with horizontal
   tangents: a smooth path that meets no disc but those of its own ends.

Lengths are in points of the drawing at its nominal size (the map's y axis points down). This module knows
no matplotlib: it returns vertices and Bezier codes, which the drawing wraps in ``matplotlib.path.Path``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from ..errors import JourneyError, check_memory, option

__all__ = ["layers", "layout", "arrange", "MapGeometry", "MOVETO", "LINETO", "CURVE4"]

#: Path codes, as matplotlib.path.Path numbers them.
MOVETO, LINETO, CURVE4 = 1, 2, 4


def ends(graph: nx.DiGraph) -> tuple[Any, Any]:
    """The START and END nodes, found by their ``kind`` (this module knows no log names)."""
    kinds = {d.get("kind"): n for n, d in graph.nodes(data=True) if d.get("kind") in ("start", "end")}
    if "start" not in kinds or "end" not in kinds:
        raise JourneyError(
            "the journey map draws a graph from journey.journey_graph (or journey.prune): "
            "it needs its start and end nodes"
        )
    return kinds["start"], kinds["end"]


def layers(graph: nx.DiGraph) -> dict[Any, int]:
    """``{node: layer}``: START 0, touchpoints by typical step position, goals next to last, END last."""
    START, END = ends(graph)
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
    return layer | {START: 0, END: last + (1 if goals else 0)} | dict.fromkeys(goals, last)


def layout(graph: nx.DiGraph) -> dict[Any, tuple[float, float]]:
    """``{node: (x, y)}`` of the journey map at its default sizes, in points (y down, 0 at the top).

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.DiGraph()
    >>> g.add_nodes_from([("s", {"kind": "start"}), ("a", {}), ("e", {"kind": "end"})])
    >>> g.add_edges_from([("s", "a", {"count": 2}), ("a", "e", {"count": 2})])
    >>> [x for x, _ in layout(g).values()] == sorted(x for x, _ in layout(g).values())
    True
    """
    return arrange(graph).pos


class _Dummy:
    """Where an edge crosses a layer it does not end in (hashed by identity: each is one of a kind)."""

    __slots__ = ("edge", "layer")

    def __init__(self, edge: int, layer: int) -> None:
        self.edge, self.layer = edge, layer


@dataclass
class MapGeometry:
    """Everything the drawing needs, in points (y down).

    ``pos``: node centres; ``layer``: node layers; ``x`` and ``half``: each layer's centre and half-width
    of its band; ``paths``: per edge ``(source, target)`` (loops excluded), ``(vertices, codes)`` of its
    route from the source's disc to the target's; ``gaps``: per layer, the x range of the gap on its right;
    ``extent``: ``(x0, y0, x1, y1)`` of everything placed.
    """

    pos: dict[Any, tuple[float, float]]
    layer: dict[Any, int]
    x: list[float]
    half: list[float]
    paths: dict[tuple[Any, Any], tuple[np.ndarray, list[int]]] = field(default_factory=dict)
    gaps: list[tuple[float, float]] = field(default_factory=list)
    extent: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)


def arrange(
    graph: nx.DiGraph,
    *,
    radius: float = 14.0,
    above: dict[Any, float] | None = None,
    below: dict[Any, float] | None = None,
    half_width: dict[Any, float] | None = None,
    thickness: dict[tuple[Any, Any], float] | None = None,
    gap: float = 60.0,
    rounds: int = 12,
) -> MapGeometry:
    """Lay out a journey graph: layers, order, coordinates and edge routes (see the module's notes).

    Parameters
    ----------
    graph : networkx.DiGraph
        A journey graph (edges with ``count``; START and END by ``kind``).
    radius : float
        Node disc radius, points.
    above, below : dict, optional
        Per node, how far its slot reaches above and below its centre (its loop, its label), points;
        ``radius`` plus a margin by default.
    half_width : dict, optional
        Per node, the half-width it needs in its layer's band (its label), points; the band of a layer is
        as wide as its widest node needs, and at least ``radius`` plus a stub for arrow heads.
    thickness : dict, optional
        Per edge, the drawn line width, points: the room a dummy point takes in a layer.
    gap : float
        Width of the gaps between bands, where edges curve and their labels sit, points.
    rounds : int
        Sweeps of crossing reduction and of coordinate assignment.

    Returns
    -------
    MapGeometry
    """
    layer = layers(graph)
    nodes = sorted(graph.nodes, key=lambda n: (layer[n], -graph.nodes[n].get("visits", 0), str(n)))
    above = above or {}
    below = below or {}
    half_width = half_width or {}
    thickness = thickness or {}
    edges = [(a, b, d["count"]) for a, b, d in graph.edges(data=True) if a != b]
    edges.sort(key=lambda e: (-e[2], str(e[0]), str(e[1])))
    n_layers = max(layer.values()) + 1

    # Each edge as the chain of items it passes, from source to target.
    chains: list[list[Any]] = []
    for i, (a, b, _) in enumerate(edges):
        la, lb = layer[a], layer[b]
        step = 1 if lb > la else -1
        chains.append([a, *[_Dummy(i, lay) for lay in range(la + step, lb, step)], b] if la != lb else [a, b])
    order: list[list[Any]] = [[] for _ in range(n_layers)]
    for n in nodes:
        order[layer[n]].append(n)
    for chain in chains:
        for item in chain[1:-1]:
            order[item.layer].append(item)
    item_layer = {item: lay for lay, items in enumerate(order) for item in items}
    # Links between adjacent layers, (left item, right item, weight), by the left layer.
    links: list[list[tuple[Any, Any, float]]] = [[] for _ in range(n_layers)]
    for chain, (*_, w) in zip(chains, edges):
        for u, v in zip(chain, chain[1:]):
            lu, lv = item_layer[u], item_layer[v]
            if lu == lv:
                continue
            left, right = (u, v) if lu < lv else (v, u)
            links[min(lu, lv)].append((left, right, float(w)))
    order = _reduce_crossings(order, links, rounds)
    size = {
        item: thickness.get(edges[item.edge][:2], 1.0) / 2 + 2.0
        for lay in order
        for item in lay
        if isinstance(item, _Dummy)
    }
    top = {
        item: above.get(item, radius + 4.0) if not isinstance(item, _Dummy) else size[item]
        for lay in order
        for item in lay
    }
    bottom = {
        item: below.get(item, radius + 4.0) if not isinstance(item, _Dummy) else size[item]
        for lay in order
        for item in lay
    }
    y = _coordinates(order, links, top, bottom, rounds)

    half = [
        max([radius + 10.0] + [max(half_width.get(n, 0.0), radius + 10.0) for n in lay if not isinstance(n, _Dummy)])
        for lay in order
    ]
    xs = [0.0]
    for lay in range(1, n_layers):
        xs.append(xs[-1] + half[lay - 1] + gap + half[lay])
    pos = {n: (xs[layer[n]], y[n]) for n in graph.nodes}
    geometry = MapGeometry(pos=pos, layer=layer, x=xs, half=half)
    geometry.gaps = [(xs[lay] + half[lay], xs[lay + 1] - half[lay + 1]) for lay in range(n_layers - 1)]
    ports = _ports(graph, chains, edges, pos, layer, y, radius)
    for i, (a, b, _) in enumerate(edges):
        geometry.paths[(a, b)] = _route(chains[i], ports[i], y, xs, half, gap, layer)
    x0 = xs[0] - half[0]
    x1 = xs[-1] + half[-1]
    y0 = min(y[i] - top[i] for i in y)
    y1 = max(y[i] + bottom[i] for i in y)
    geometry.extent = (x0, y0, x1, y1)
    return geometry


def _crossings(order: list[list[Any]], links: list[list[tuple[Any, Any, float]]]) -> float:
    """Crossings between adjacent layers, each weighted by the product of the two flows' weights."""
    total = 0.0
    rank = {item: i for lay in order for i, item in enumerate(lay)}
    for pairs in links:
        if len(pairs) < 2:
            continue
        u = np.array([rank[a] for a, _, _ in pairs])
        v = np.array([rank[b] for _, b, _ in pairs])
        w = np.array([w for *_, w in pairs])
        cross = (u[:, None] < u[None, :]) & (v[:, None] > v[None, :])
        total += float(w @ cross @ w)
    return total


def _reduce_crossings(
    order: list[list[Any]], links: list[list[tuple[Any, Any, float]]], rounds: int
) -> list[list[Any]]:
    """Weighted barycentre sweeps (down, then up); the order with the fewest weighted crossings."""
    left_of: dict[Any, list[tuple[Any, float]]] = {}
    right_of: dict[Any, list[tuple[Any, float]]] = {}
    for pairs in links:
        for a, b, w in pairs:
            right_of.setdefault(a, []).append((b, w))
            left_of.setdefault(b, []).append((a, w))
    best, best_cost = [list(lay) for lay in order], _crossings(order, links)
    current = [list(lay) for lay in order]
    for _ in range(rounds):
        for sweep, neighbours, side in (
            (range(1, len(current)), left_of, -1),
            (range(len(current) - 2, -1, -1), right_of, 1),
        ):
            for lay in sweep:
                rank = {item: i for i, item in enumerate(current[lay + side])}
                keyed = [(_barycentre(neighbours.get(item, []), rank, i), item) for i, item in enumerate(current[lay])]
                current[lay] = [item for _, item in sorted(keyed, key=lambda k: k[0])]
            cost = _crossings(current, links)
            if cost < best_cost:
                best, best_cost = [list(lay) for lay in current], cost
    return best


def _barycentre(near: list[tuple[Any, float]], rank: dict[Any, int], i: int) -> tuple[float, int]:
    """Sort key of an item at position ``i``: the weighted mean position of its neighbours (``i`` if none)."""
    total = sum(w for _, w in near)
    return (sum(rank[o] * w for o, w in near) / total if total else float(i), i)


def _isotonic(target: np.ndarray, weight: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """The y closest to ``target`` (weighted least squares) with ``y[i + 1] - y[i] >= gaps[i]``.

    With ``offset`` the running sum of the gaps, ``z = y - offset`` must not decrease: weighted isotonic
    regression of ``target - offset``, solved by pooling adjacent violators.
    """
    offset = np.concatenate([[0.0], np.cumsum(gaps)])
    values: list[float] = []
    weights: list[float] = []
    counts: list[int] = []
    for t, w in zip(target - offset, weight):
        values.append(float(t))
        weights.append(float(w))
        counts.append(1)
        while len(values) > 1 and values[-2] > values[-1]:
            w2 = weights[-2] + weights[-1]
            values[-2] = (values[-2] * weights[-2] + values[-1] * weights[-1]) / w2
            weights[-2] = w2
            counts[-2] += counts[-1]
            del values[-1], weights[-1], counts[-1]
    z = np.repeat(values, counts)
    return z + offset


def _coordinates(
    order: list[list[Any]],
    links: list[list[tuple[Any, Any, float]]],
    top: dict[Any, float],
    bottom: dict[Any, float],
    rounds: int,
) -> dict[Any, float]:
    """Heights (y down) of every item: packed slots, each pulled towards its neighbours' mean height."""
    near: dict[Any, list[tuple[Any, float]]] = {}
    for pairs in links:
        for a, b, w in pairs:
            near.setdefault(a, []).append((b, w))
            near.setdefault(b, []).append((a, w))
    y: dict[Any, float] = {}
    for lay in order:
        gaps = [bottom[a] + top[b] for a, b in zip(lay, lay[1:])]
        stacked = np.concatenate([[0.0], np.cumsum(gaps)]) if lay else np.zeros(0)
        y.update(zip(lay, stacked - stacked[-1] / 2 if lay else stacked))
    sweeps = [*range(len(order)), *range(len(order) - 1, -1, -1)]
    for _ in range(rounds):
        for lay in sweeps:
            items = order[lay]
            if not items:
                continue
            target, weight = [], []
            for item in items:
                others = near.get(item, [])
                total = sum(w for _, w in others)
                target.append(sum(y[o] * w for o, w in others) / total if total else y[item])
                weight.append(total or 1e-6)
            between = np.array([bottom[a] + top[b] for a, b in zip(items, items[1:])])
            placed = _isotonic(np.array(target), np.array(weight), between)
            y.update(zip(items, placed.tolist()))
    lowest = min(y[i] - top[i] for i in y)
    return {item: value - lowest for item, value in y.items()}


def _ports(
    graph: nx.DiGraph,
    chains: list[list[Any]],
    edges: list[tuple[Any, Any, float]],
    pos: dict,
    layer: dict,
    y: dict,
    radius: float,
) -> list[list[tuple[float, float]]]:
    """Per edge, its (start, end) points on the discs: each side of a node spreads its edges in the order
    of the heights they go to, so edges meeting at a node do not cross there.
    """
    sides: dict[tuple[Any, int], list[tuple[float, str, int, int]]] = {}
    for i, chain in enumerate(chains):
        a, b = chain[0], chain[-1]
        la, lb = layer[a], layer[b]
        # Forward edges leave on the right and arrive on the left; back edges the other way round; edges
        # within a layer leave and arrive on the right, curving out into the gap.
        out_side = 1 if lb >= la else -1
        in_side = -1 if lb > la else 1
        sides.setdefault((a, out_side), []).append((y[chain[1]], str(b), i, 0))
        sides.setdefault((b, in_side), []).append((y[chain[-2]], str(a), i, 1))
    ports: list[list[tuple[float, float]]] = [[(0.0, 0.0), (0.0, 0.0)] for _ in chains]
    for (node, side), entries in sides.items():
        entries.sort()
        x, cy = pos[node]
        m = len(entries)
        spread = 0.55 * radius if m > 1 else 0.0
        for k, (*_, i, end) in enumerate(entries):
            dy = -spread + 2 * spread * k / (m - 1) if m > 1 else 0.0
            ports[i][end] = (x + side * float(np.sqrt(radius**2 - dy**2)), cy + dy)
    return ports


def _route(
    chain: list[Any],
    ports: list[tuple[float, float]],
    y: dict,
    xs: list[float],
    half: list[float],
    gap: float,
    layer: dict,
) -> tuple[np.ndarray, list[int]]:
    """The path of one edge: level through bands, an S-curve with horizontal tangents in each gap."""
    (sx, sy), (ex, ey) = ports
    la, lb = layer[chain[0]], layer[chain[-1]]
    vertices: list[tuple[float, float]] = [(sx, sy)]
    codes = [MOVETO]
    if la == lb:  # within a layer: out into the gap on the right and back
        edge = xs[la] + half[la]
        bulge = min(0.6 * gap, 12.0 + 0.3 * abs(ey - sy))
        vertices += [(edge, sy), (edge + bulge, sy), (edge + bulge, ey), (edge, ey), (ex, ey)]
        codes += [LINETO, CURVE4, CURVE4, CURVE4, LINETO]
        return np.array(vertices), codes
    step = 1 if lb > la else -1
    here = xs[la] + step * half[la]
    vertices.append((here, sy))
    codes.append(LINETO)
    level = sy
    for item in [*chain[1:-1], None]:
        lay = item.layer if item is not None else lb
        height = y[item] if item is not None else ey
        there = xs[lay] - step * half[lay]
        middle = (here + there) / 2
        vertices += [(middle, level), (middle, height), (there, height)]
        codes += [CURVE4, CURVE4, CURVE4]
        here, level = xs[lay] + step * half[lay], height
        if item is not None:
            vertices.append((here, height))
            codes.append(LINETO)
    vertices.append((ex, ey))
    codes.append(LINETO)
    return np.array(vertices), codes
