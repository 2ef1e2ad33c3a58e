"""Export a journey graph: tidy DataFrames, GraphML (yEd, Gephi), GEXF (Gephi) and node-link JSON.

Numeric attributes stay numeric in every format: counts are written as integers, shares and times as
floating-point numbers, so Gephi and yEd can size and colour by them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import networkx as nx
import pandas as pd

from .events import END, START

__all__ = ["to_frames", "write_graphml", "write_gexf", "to_node_link", "write_node_link"]


def to_frames(graph: nx.DiGraph) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The graph as two tidy DataFrames: nodes and edges.

    Returns
    -------
    nodes : pandas.DataFrame
        ``touchpoint`` and every node attribute; START first, END last, touchpoints by visits (descending).
    edges : pandas.DataFrame
        ``source``, ``target`` and every edge attribute, by ``count`` (descending), then source and target.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["a", "a"], "event": ["home", "cart"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=2, freq="min", tz="UTC")})
    >>> nodes, edges = journey.to_frames(journey.journey_graph(df))
    >>> edges[["source", "target", "count"]].values.tolist()
    [['[start]', 'home', 1], ['cart', '[end]', 1], ['home', 'cart', 1]]
    """
    nodes = pd.DataFrame([{"touchpoint": n, **d} for n, d in graph.nodes(data=True)])
    rank = nodes["touchpoint"].map({START: 0, END: 2}).fillna(1)
    order = pd.DataFrame({"rank": rank, "visits": -nodes.get("visits", 0), "name": nodes["touchpoint"].astype(str)})
    nodes = nodes.loc[order.sort_values(["rank", "visits", "name"], kind="stable").index].reset_index(drop=True)
    edges = pd.DataFrame([{"source": a, "target": b, **d} for a, b, d in graph.edges(data=True)],
                         columns=["source", "target", "count", "journeys", "share", "median_seconds"])
    key = edges.assign(_c=-edges["count"], _s=edges["source"].astype(str), _t=edges["target"].astype(str))
    edges = edges.loc[key.sort_values(["_c", "_s", "_t"], kind="stable").index].reset_index(drop=True)
    return nodes, edges


def write_graphml(graph: nx.DiGraph, path: str | Path) -> Path:
    """Write GraphML with typed attributes (``long`` counts, ``double`` shares and seconds)."""
    path = Path(path)
    nx.write_graphml(_portable(graph), path)
    return path


def write_gexf(graph: nx.DiGraph, path: str | Path) -> Path:
    """Write GEXF 1.2 for Gephi; node labels are the touchpoint names."""
    path = Path(path)
    portable = _portable(graph)
    for node, data in portable.nodes(data=True):
        data["label"] = str(node)
    nx.write_gexf(portable, path)
    return path


def to_node_link(graph: nx.DiGraph) -> dict:
    """The graph as node-link data (``nodes``, ``edges``), ready for ``json.dumps`` (NaN becomes null)."""
    data = nx.node_link_data(graph, edges="edges")
    return _json_safe(data)


def write_node_link(graph: nx.DiGraph, path: str | Path) -> Path:
    """Write node-link JSON (UTF-8, names as written)."""
    path = Path(path)
    path.write_text(json.dumps(to_node_link(graph), ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _portable(graph: nx.DiGraph) -> nx.DiGraph:
    """A plain copy whose attributes every writer accepts: no None, no lists, NaN left out."""
    copy = nx.DiGraph()
    copy.graph.update({k: _scalar(v) for k, v in graph.graph.items() if _scalar(v) is not None})
    copy.add_nodes_from((str(n), _clean(d)) for n, d in graph.nodes(data=True))
    copy.add_edges_from((str(a), str(b), _clean(d)) for a, b, d in graph.edges(data=True))
    return copy


def _clean(data: dict) -> dict:
    return {k: _scalar(v) for k, v in data.items() if _scalar(v) is not None}


def _scalar(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (list, tuple, set)):
        return ", ".join(map(str, value))
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _json_safe(value):
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
