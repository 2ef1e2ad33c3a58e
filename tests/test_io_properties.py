"""Hostile names through ingestion and every export (hypothesis): a round trip or a JourneyError, nothing else.

Names mix control characters, spreadsheet formula starts, CSV quotes and delimiters, the words pandas reads
as missing, and lone surrogates. Each property either reads back what went in (in the documented spelling
of the format) or stops with a :class:`journey.JourneyError`; any other exception fails the test.
"""

import csv
import json
import re
import xml.etree.ElementTree as ET

import networkx as nx
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import journey
from journey.errors import JourneyError
from journey.io.export import xml_text

NA_WORDS = ["NA", "N/A", "None", "null", "NULL", "nan", "NaN", "#N/A", "<NA>", "n/a", "-nan"]
TRICKY = [
    "=1+1",
    "\r=2+2",
    "+x",
    "-1",
    "@SUM(A1)",
    '"quoted"',
    "a,b",
    "a;b",
    "a\tb",
    "line\nbreak",
    "cr\rlf",
    " padded ",
    "007",
    "1e3",
    "\x00nul",
    "[start]",
    "",
    " ",
]
characters = st.characters(exclude_categories=())  # every code point, surrogates and controls included
odd = st.characters(categories=["Cc", "Cs", "Zs", "Zl"])  # controls, lone surrogates, spaces, line separators
names = st.one_of(
    st.sampled_from(NA_WORDS + TRICKY),
    st.text(characters, min_size=1, max_size=6),
    st.text(odd, min_size=1, max_size=3),
    st.builds(lambda a, b: a + b, st.sampled_from(NA_WORDS + TRICKY), st.text(odd, max_size=2)),
)
text_names = names.filter(lambda s: not re.search("[\ud800-\udfff]", s))  # what a UTF-8 file can hold

pytestmark = pytest.mark.filterwarnings("ignore::journey.JourneyWarning")
few = settings(max_examples=60)


@st.composite
def frames(draw, label=names):
    n = draw(st.integers(1, 8))
    users = draw(st.lists(label, min_size=1, max_size=3, unique=True))
    events = draw(st.lists(label, min_size=1, max_size=4, unique=True))
    return pd.DataFrame(
        {
            "user_id": pd.Series([draw(st.sampled_from(users)) for _ in range(n)], dtype=object),
            "timestamp": [f"2025-01-01T10:{i:02d}:00Z" for i in range(n)],
            "event": pd.Series([draw(st.sampled_from(events)) for _ in range(n)], dtype=object),
        }
    )


def read_or_refuse(source, **options):
    """The log, or None when journey refused the input with a JourneyError (any other exception fails)."""
    try:
        return journey.read_events(source, **options)
    except JourneyError:
        return None


def kept_rows(df, log):
    """The input rows the log kept, in input order."""
    dropped = set(log.dropped["row"])
    return df.drop(index=[i for i in df.index if i in dropped])


def assert_same_events(df, log):
    kept = kept_rows(df, log)
    got = sorted(zip(log.frame["user"].astype(str), log.frame["event"].astype(str)))
    assert got == sorted(zip(kept["user_id"], kept["event"]))


# --- ingestion -------------------------------------------------------------------------------------


@few
@given(frames())
def test_a_frame_of_hostile_names_is_read_as_it_is_or_refused(df):
    log = read_or_refuse(df)
    if log is not None:
        assert_same_events(df, log)
    lenient = read_or_refuse(df, on_invalid="drop")
    if lenient is not None:
        assert_same_events(df, lenient)
        assert len(lenient) + lenient.dropped["row"].nunique() == len(df)


def write_csv(df, path, lineterminator):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator=lineterminator)
        writer.writerow(df.columns)
        writer.writerows(df.itertuples(index=False))


@few
@given(frames(text_names), st.sampled_from(["\n", "\r\n"]))
def test_a_csv_file_of_hostile_names_reads_back_the_same_names_or_is_refused(tmp_path_factory, df, lineterminator):
    path = tmp_path_factory.mktemp("csv") / "e.csv"
    write_csv(df, path, lineterminator)
    log = read_or_refuse(path, on_invalid="drop")
    if log is not None:
        assert_same_events(df, log)


@few
@given(frames(names))
def test_a_file_that_is_not_utf8_is_an_encoding_error_or_reads(tmp_path_factory, df):
    path = tmp_path_factory.mktemp("csv") / "e.csv"
    path.write_bytes(df.to_csv(index=False).encode("utf-8", "surrogatepass"))  # lone surrogates: invalid UTF-8
    read_or_refuse(path, on_invalid="drop")


# --- exports -----------------------------------------------------------------------------------------


@st.composite
def graphs(draw):
    """A journey graph whose touchpoints are then renamed with hostile names (lone surrogates too)."""
    k = draw(st.integers(1, 4))
    paths = draw(st.lists(st.lists(st.integers(0, k - 1), min_size=1, max_size=4), min_size=1, max_size=5))
    rows = [(f"u{u}", f"2025-01-01T10:{i:02d}:00Z", f"t{e}") for u, p in enumerate(paths) for i, e in enumerate(p)]
    graph = journey.journey_graph(pd.DataFrame(rows, columns=["user_id", "timestamp", "event"]))
    hostile = draw(
        st.lists(names.filter(lambda s: s not in (journey.START, journey.END)), min_size=k, max_size=k, unique=True)
    )
    return nx.relabel_nodes(graph, {f"t{i}": hostile[i] for i in range(k)})


def combined(name):
    """``name`` as json.load gives it back: a high and a low surrogate in a row pair into one character."""
    return name.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")


@few
@given(graphs())
def test_graphml_and_gexf_are_valid_xml_with_visible_names_or_refused(tmp_path_factory, graph):
    folder = tmp_path_factory.mktemp("xml")
    for writer, reader in ((journey.write_graphml, nx.read_graphml), (journey.write_gexf, nx.read_gexf)):
        try:
            path = writer(graph, folder / "g.xml")
        except JourneyError:
            assert len({xml_text(str(n)) for n in graph}) < len(graph)  # refused only when names would merge
            continue
        ET.parse(path)
        back = reader(path)
        assert set(back.nodes) == {xml_text(str(n)) for n in graph}
        assert back.number_of_edges() == graph.number_of_edges()


@few
@given(graphs())
def test_node_link_json_is_utf8_and_reads_back_every_name(tmp_path_factory, graph):
    path = journey.write_node_link(graph, tmp_path_factory.mktemp("json") / "g.json")
    data = json.loads(path.read_bytes().decode("utf-8"))
    assert {node["id"] for node in data["nodes"]} == {combined(str(n)) for n in graph}
    assert len(data["edges"]) == graph.number_of_edges()


FORMULA_AFTER_BREAK = re.compile("(^|[\r\n])'(?=[=+\\-@\t\r])")


@few
@given(graphs())
def test_csv_frames_never_start_a_line_with_a_formula_and_read_back_their_names(tmp_path_factory, graph):
    from journey.report import safe_csv

    folder = tmp_path_factory.mktemp("frames")
    try:
        nodes, edges = journey.to_frames(graph)
    except JourneyError:
        assert any(re.search("[\ud800-\udfff]", str(n)) for n in graph)  # refused only for lone surrogates
        return
    for frame, name, columns in ((nodes, "nodes.csv", ["touchpoint"]), (edges, "edges.csv", ["source", "target"])):
        path = safe_csv(frame, folder / name)
        text = path.read_bytes().decode("utf-8")
        for line in re.split("[\r\n]", text):
            assert not any(cell.lstrip('"').startswith(("=", "+", "-", "@")) for cell in line.split(","))
        back = pd.read_csv(path, keep_default_na=False, dtype=str)
        for column in columns:
            restored = [FORMULA_AFTER_BREAK.sub(r"\1", v) for v in back[column]]
            assert restored == [str(v) for v in frame[column]]
