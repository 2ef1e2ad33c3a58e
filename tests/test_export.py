"""Export: tidy frames, and files whose numeric attributes stay numeric."""

import json

import networkx as nx
import pytest
from test_graph import log_of

import journey
from journey import END, START
from journey.errors import JourneyError
from journey.io import export


@pytest.fixture
def graph():
    return journey.journey_graph(
        log_of(
            [
                ("u1", "10:00:00", "home"),
                ("u1", "10:00:30", "Café <b>"),
                ("u1", "10:01:00", "buy"),
                ("u2", "10:00:00", "home"),
            ]
        ),
        goal="buy",
    )


def test_to_frames_holds_every_node_and_edge_with_its_attributes(graph):
    nodes, edges = journey.to_frames(graph)
    assert nodes["touchpoint"].iloc[0] == START and nodes["touchpoint"].iloc[-1] == END
    assert set(nodes["touchpoint"]) == set(graph.nodes) and len(edges) == graph.number_of_edges()
    assert list(edges.columns) == ["source", "target", "count", "journeys", "share", "median_seconds"]
    row = edges[(edges["source"] == "home") & (edges["target"] == "Café <b>")].iloc[0]
    assert (row["count"], row["journeys"], row["share"], row["median_seconds"]) == (1, 1, 0.5, 30.0)
    assert edges["count"].is_monotonic_decreasing


@pytest.mark.parametrize(
    "writer, reader", [(journey.write_graphml, nx.read_graphml), (journey.write_gexf, nx.read_gexf)]
)
def test_files_read_back_with_numeric_attributes(
    graph,
    tmp_path,
    writer,
    reader,
):
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


# --- names that XML or UTF-8 cannot hold (issue 18) -------------------------------------------------

CONTROLS = [chr(c) for c in range(32)] + ["\x7f"]


@pytest.fixture
def control_graph():
    names = [f"p{c}" for c in CONTROLS]  # every C0 control character, and DEL
    rows = [("u1", f"10:00:{i:02d}", name) for i, name in enumerate(names)] + [("u1", "10:01:00", "buy\r")]
    return journey.journey_graph(log_of(rows), goal="buy\r")


@pytest.mark.parametrize(
    "writer, reader", [(journey.write_graphml, nx.read_graphml), (journey.write_gexf, nx.read_gexf)]
)
def test_control_characters_give_valid_xml_with_visible_names(control_graph, tmp_path, writer, reader):
    import xml.etree.ElementTree as ET

    path = writer(control_graph, tmp_path / "g.xml")
    ET.parse(path)  # well-formed XML 1.0
    back = reader(path)
    expected = {export.xml_text(n) for n in control_graph}
    assert set(back.nodes) == expected and len(back) == len(control_graph)
    assert {"p\t", "p\n", "p\r", "p\x7f", "p\u2401", "p\u2400", "buy\r"} <= set(back.nodes)  # kept or made visible
    assert back.number_of_edges() == control_graph.number_of_edges()


def test_a_carriage_return_in_graphml_attribute_text_is_read_back_as_written(control_graph, tmp_path):
    back = nx.read_graphml(journey.write_graphml(control_graph, tmp_path / "g.graphml"))
    assert back.graph["goal"] == "buy\r"


def test_names_that_only_differ_by_characters_xml_cannot_hold_are_refused(tmp_path):
    graph = journey.journey_graph(log_of([("u1", "10:00:00", "x\x01"), ("u2", "10:00:00", "x\u2401")]))
    with pytest.raises(JourneyError, match=r"touchpoints 'x\\x01' and 'x␁' differ only by characters XML"):
        journey.write_gexf(graph, tmp_path / "g.gexf")


def test_a_lone_surrogate_is_escaped_in_node_link_json_and_read_back(graph, tmp_path):
    odd = nx.relabel_nodes(graph, {"home": "home\ud800"})
    path = journey.write_node_link(odd, tmp_path / "g.json")
    path.read_bytes().decode("utf-8")  # valid UTF-8
    back = nx.node_link_graph(json.loads(path.read_text(encoding="utf-8")), edges="edges")
    assert set(back.nodes) == set(odd.nodes)
    assert export.xml_text("home\ud800") == "home\ufffd" and "home\ufffd" in nx.read_graphml(
        journey.write_graphml(odd, tmp_path / "g.graphml")
    )


def test_to_frames_refuses_a_lone_surrogate_naming_the_touchpoint(graph):
    with pytest.raises(JourneyError, match=r"touchpoint 'home\\ud800' holds a lone surrogate"):
        journey.to_frames(nx.relabel_nodes(graph, {"home": "home\ud800"}))
