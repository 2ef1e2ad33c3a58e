"""Export: tidy frames, and files whose numeric attributes stay numeric."""

import json

import networkx as nx
import pytest

import journey
from journey import END, START
from test_graph import log_of


@pytest.fixture
def graph():
    return journey.journey_graph(log_of([
        ("u1", "10:00:00", "home"), ("u1", "10:00:30", "Café <b>"), ("u1", "10:01:00", "buy"),
        ("u2", "10:00:00", "home"),
    ]), goal="buy")


def test_to_frames_holds_every_node_and_edge_with_its_attributes(graph):
    nodes, edges = journey.to_frames(graph)
    assert nodes["touchpoint"].iloc[0] == START and nodes["touchpoint"].iloc[-1] == END
    assert set(nodes["touchpoint"]) == set(graph.nodes) and len(edges) == graph.number_of_edges()
    assert list(edges.columns) == ["source", "target", "count", "journeys", "share", "median_seconds"]
    row = edges[(edges["source"] == "home") & (edges["target"] == "Café <b>")].iloc[0]
    assert (row["count"], row["journeys"], row["share"], row["median_seconds"]) == (1, 1, 0.5, 30.0)
    assert edges["count"].is_monotonic_decreasing


@pytest.mark.parametrize("writer, reader", [(journey.write_graphml, nx.read_graphml),
                                            (journey.write_gexf, nx.read_gexf)])
def test_files_read_back_with_numeric_attributes(graph, tmp_path, writer, reader, ):
    path = writer(graph, tmp_path / "g.out")
    back = reader(path)
    edge = back.edges["home", "Café <b>"]
    assert isinstance(edge["count"], int) and edge["count"] == 1
    assert isinstance(edge["share"], float) and edge["share"] == 0.5
    assert isinstance(back.nodes["home"]["visits"], int) and back.nodes["home"]["visits"] == 2
    assert set(map(str, graph.nodes)) == set(back.nodes)


def test_node_link_json_is_strict_json_with_null_for_missing_times(graph, tmp_path):
    path = journey.write_node_link(graph, tmp_path / "g.json")
    data = json.loads(path.read_text(encoding="utf-8"), parse_constant=lambda c: pytest.fail(f"bare {c}"))
    start_edge = next(e for e in data["edges"] if e["source"] == START)
    assert start_edge["median_seconds"] is None
    assert any(n["id"] == "Café <b>" for n in data["nodes"])
    assert nx.node_link_graph(data, edges="edges").number_of_edges() == graph.number_of_edges()
