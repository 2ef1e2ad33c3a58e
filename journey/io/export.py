"""Export a journey graph: tidy DataFrames, GraphML (yEd, Gephi), GEXF (Gephi) and node-link JSON.

Numeric attributes stay numeric in every format: counts are written as integers, shares and times as
floating-point numbers, so Gephi and yEd can size and colour by them.

Names are written as they are, except where a format cannot hold a character: XML 1.0 (GraphML, GEXF)
forbids most control characters, and no UTF-8 file can hold a lone surrogate (half of a UTF-16 pair,
which Python strings may carry after ``errors="surrogateescape"``). See :func:`xml_text` and
:func:`write_node_link`.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from ..errors import JourneyError, shorten
from .events import END, START

__all__ = ["to_frames", "write_graphml", "write_gexf", "to_node_link", "write_node_link", "xml_text"]

# What XML 1.0 cannot hold: C0 controls but tab, LF and CR; surrogates; U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Control Pictures: U+2400 + code shows a C0 control character (U+2401 for U+0001).
CONTROL_PICTURES = 0x2400


def xml_text(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot hold replaced by visible ones, so the file stays valid.

    A C0 control character becomes its Unicode control picture (``"\\x01"`` becomes ``"\u2401"``, shown as
    ␁), which :func:`chr` ``(ord(c) - 0x2400)`` reverses; tab, line feed and carriage return are kept (XML
    holds them). A lone surrogate, U+FFFE and U+FFFF, which are not characters, become U+FFFD (�): that
    step is not reversible.

    Examples
    --------
    >>> xml_text("home\\x01"), xml_text("a\\tb")
    ('home␁', 'a\\tb')
    """
    return _NOT_XML.sub(_visible, text)


def _visible(match: re.Match) -> str:
    char = match.group()
    return chr(CONTROL_PICTURES + ord(char)) if char < " " else "\ufffd"


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

    Raises
    ------
    JourneyError
        A touchpoint name holding a lone surrogate (not a character), which pandas text cannot hold.

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
    odd = next((n for n in graph if isinstance(n, str) and _SURROGATE.search(n)), None)
    if odd is not None:  # pandas' text columns cannot hold one
        raise JourneyError(
            f"touchpoint {shorten(odd)} holds a lone surrogate, which is not a character and no "
            f"table can hold; rename it (write_node_link keeps such names)"
        )
    nodes = pd.DataFrame([{"touchpoint": n, **d} for n, d in graph.nodes(data=True)])
    rank = nodes["touchpoint"].map({START: 0, END: 2}).fillna(1)
    order = pd.DataFrame({"rank": rank, "visits": -nodes.get("visits", 0), "name": nodes["touchpoint"].astype(str)})
    nodes = nodes.loc[order.sort_values(["rank", "visits", "name"], kind="stable").index].reset_index(drop=True)
    edges = pd.DataFrame(
        [{"source": a, "target": b, **d} for a, b, d in graph.edges(data=True)],
        columns=["source", "target", "count", "journeys", "share", "median_seconds"],
    )
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

    Raises
    ------
    JourneyError
        Two touchpoints whose names differ only by characters XML cannot hold (see :func:`xml_text`)
        would become one node.

    Notes
    -----
    Missing values (the median time of START and END edges) are left out, as GraphML has no NaN; lists
    (several goals) are written as comma-separated text. Nodes are named by their touchpoint, with the
    characters XML 1.0 forbids made visible by :func:`xml_text`; carriage returns in attribute text are
    written as ``&#13;``, which XML readers keep (a raw one would be read as a line feed).

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
    return _write_xml(nx.write_graphml, _portable(graph), Path(path))


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

    Raises
    ------
    JourneyError
        Two touchpoints whose names differ only by characters XML cannot hold would become one node.

    See Also
    --------
    write_graphml, write_node_link : the other formats.

    Notes
    -----
    Names are written as for :func:`write_graphml` (characters XML 1.0 forbids made visible by
    :func:`xml_text`).

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
    portable = _portable(graph)
    for node, data in portable.nodes(data=True):
        data["label"] = str(node)
    return _write_xml(nx.write_gexf, portable, Path(path))


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

    A lone surrogate in a name, which UTF-8 cannot hold, is written as its ``\\uXXXX`` escape, which
    ``json.load`` reads back as it was (a high and a low surrogate in a row are read as the character
    they pair into).

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
    text = json.dumps(to_node_link(graph), ensure_ascii=False, indent=1)
    # Surrogates only occur inside JSON strings, where an escape stands for any character.
    path.write_text(_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text), encoding="utf-8")
    return path


_SURROGATE = re.compile("[\ud800-\udfff]")


def _write_xml(writer: Callable[[nx.DiGraph, Any], None], graph: nx.DiGraph, path: Path) -> Path:
    buffer = io.BytesIO()
    writer(graph, buffer)
    # Raw CRs are only in text nodes (attributes escape theirs): as &#13; they survive XML line-end handling.
    path.write_bytes(buffer.getvalue().replace(b"\r", b"&#13;"))
    return path


def _portable(graph: nx.DiGraph) -> nx.DiGraph:
    """A plain copy every writer accepts: names and text XML can hold, no None, no lists, NaN left out."""
    names = {n: xml_text(str(n)) for n in graph.nodes}
    if len(set(names.values())) < len(names):
        by_name: dict = {}
        for node, name in names.items():
            by_name.setdefault(name, []).append(node)
        clash = next(nodes for nodes in by_name.values() if len(nodes) > 1)
        raise JourneyError(
            f"touchpoints {' and '.join(map(shorten, clash[:2]))} differ only by characters XML "
            f"cannot hold, so they would be one node; rename one of them, or export node-link "
            f"JSON (a .json file), which keeps every name"
        )
    copy = nx.DiGraph()
    copy.graph.update(_clean(graph.graph))
    copy.add_nodes_from((names[n], _clean(d)) for n, d in graph.nodes(data=True))
    copy.add_edges_from((names[a], names[b], _clean(d)) for a, b, d in graph.edges(data=True))
    return copy


def _clean(data: dict) -> dict:
    return {k: _scalar(v) for k, v in data.items() if _scalar(v) is not None}


def _scalar(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (list, tuple, set)):
        return xml_text(", ".join(map(str, value)))
    if isinstance(value, str):
        return xml_text(value)
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
