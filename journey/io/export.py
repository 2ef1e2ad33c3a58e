"""Export a journey graph: tidy DataFrames, GraphML (yEd, Gephi), GEXF (Gephi) and node-link JSON.

Numeric attributes stay numeric in every format: counts are written as integers, shares and times as
floating-point numbers, so Gephi and yEd can size and colour by them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from .events import END, START

__all__ = ["to_frames", "write_graphml", "write_gexf", "to_node_link", "write_node_link"]


def to_frames(graph: nx.DiGraph) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The graph as two tidy DataFrames: nodes and edges.

    Parameters
    ----------
    graph : networkx.DiGraph
        A graph from :func:`journey.journey_graph` (or :func:`journey.prune`).

    Returns
    -------
    nodes : pandas.DataFrame
        ``touchpoint`` and every node attribute; START first, END last, touchpoints by visits (descending).
    edges : pandas.DataFrame
        ``source``, ``target`` and every edge attribute, by ``count`` (descending), then source and target.

    See Also
    --------
    JourneyGraph.to_frame : the edges alone.

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
    """Write GraphML (yEd, Gephi, Cytoscape) with typed attributes: ``long`` counts, ``double`` shares and seconds.

    Parameters
    ----------
    graph : networkx.DiGraph
        A graph from :func:`journey.journey_graph` (or :func:`journey.prune`).
    path : str or pathlib.Path
        The file to write; an existing file is replaced.

    Returns
    -------
    pathlib.Path
        The file written.

    See Also
    --------
    write_gexf, write_node_link : the other formats.

    Notes
    -----
    Missing values (the median time of START and END edges) are left out, as GraphML has no NaN; lists
    (several goals) are written as comma-separated text. Nodes are named by their touchpoint.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["a", "a"], "event": ["home", "cart"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=2, freq="min", tz="UTC")})
    >>> graph = journey.journey_graph(df)
    >>> import networkx as nx, tempfile, pathlib
    >>> path = journey.write_graphml(graph, pathlib.Path(tempfile.mkdtemp()) / "journeys.graphml")
    >>> nx.read_graphml(path).edges["home", "cart"]["count"]
    1
    """
    path = Path(path)
    nx.write_graphml(_portable(graph), path)
    return path


def write_gexf(graph: nx.DiGraph, path: str | Path) -> Path:
    """Write GEXF 1.2 for Gephi; node labels are the touchpoint names.

    Parameters
    ----------
    graph : networkx.DiGraph
        A graph from :func:`journey.journey_graph` (or :func:`journey.prune`).
    path : str or pathlib.Path
        The file to write; an existing file is replaced.

    Returns
    -------
    pathlib.Path
        The file written.

    See Also
    --------
    write_graphml, write_node_link : the other formats.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["a", "a"], "event": ["home", "cart"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=2, freq="min", tz="UTC")})
    >>> graph = journey.journey_graph(df)
    >>> import networkx as nx, tempfile, pathlib
    >>> path = journey.write_gexf(graph, pathlib.Path(tempfile.mkdtemp()) / "journeys.gexf")
    >>> sorted(nx.read_gexf(path).nodes)
    ['[end]', '[start]', 'cart', 'home']
    """
    path = Path(path)
    portable = _portable(graph)
    for node, data in portable.nodes(data=True):
        data["label"] = str(node)
    nx.write_gexf(portable, path)
    return path


def to_node_link(graph: nx.DiGraph) -> dict:
    """The graph as node-link data (``nodes``, ``edges``), ready for ``json.dumps`` (NaN becomes null).

    Parameters
    ----------
    graph : networkx.DiGraph
        A graph from :func:`journey.journey_graph` (or :func:`journey.prune`).

    Returns
    -------
    dict
        ``networkx.node_link_data`` with ``edges`` as the key of the links (d3, vis.js, Cytoscape.js).

    See Also
    --------
    write_node_link : the same, written to a file.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["a", "a"], "event": ["home", "cart"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=2, freq="min", tz="UTC")})
    >>> graph = journey.journey_graph(df)
    >>> sorted((e["source"], e["target"], e["median_seconds"]) for e in journey.to_node_link(graph)["edges"])
    [('[start]', 'home', None), ('cart', '[end]', None), ('home', 'cart', 60.0)]
    """
    data = nx.node_link_data(graph, edges="edges")
    return _json_safe(data)


def write_node_link(graph: nx.DiGraph, path: str | Path) -> Path:
    """Write node-link JSON (UTF-8, names as written; see :func:`to_node_link`).

    Parameters
    ----------
    graph : networkx.DiGraph
        A graph from :func:`journey.journey_graph` (or :func:`journey.prune`).
    path : str or pathlib.Path
        The file to write; an existing file is replaced.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": ["a", "a"], "event": ["home", "cart"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=2, freq="min", tz="UTC")})
    >>> graph = journey.journey_graph(df)
    >>> import json, tempfile, pathlib
    >>> path = journey.write_node_link(graph, pathlib.Path(tempfile.mkdtemp()) / "journeys.json")
    >>> len(json.loads(path.read_text(encoding="utf-8"))["edges"])
    3
    """
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


def _scalar(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (list, tuple, set)):
        return ", ".join(map(str, value))
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
