"""The journey map as a reader sees it: checked on the drawn artists, not on the code that placed them.

On the bundled sample, a 19-touchpoint shop and a 40-touchpoint site (seeded logs from tests/journey_logs.py),
after ``fig.canvas.draw()``: no text box overlaps another or a node disc, no edge passes through a disc
other than those of its own ends, every edge and self-loop touches its nodes; the colour is drop-off's exit
rate; image baselines at 6, 19 and 40 touchpoints. Regenerate the baselines with
`python tests/test_journey_map.py` and look at them before committing.
"""

import itertools
import json
import sys
import tempfile
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.patches import Circle, FancyArrowPatch
from matplotlib.testing.compare import compare_images

sys.path.insert(0, str(Path(__file__).parent))

import journey_logs

import journey
from journey.plot import layout
from journey.plot.journey_map import node_measure
from journey.plot.text import format_value

BASELINE = Path(__file__).parent / "baseline"
TOLERANCE = 6  # as tests/test_plots.py
SLACK = 0.5  # pixels: what antialiasing and rounding may add to a box


@cache
def graphs():
    sample = journey.read_events(journey.datasets.sample_path("events"))
    return {
        "sample": journey.journey_graph(sample, goal="purchase"),
        "small": journey.journey_graph(journey_logs.small_log(), goal="purchase"),
        "shop": journey.journey_graph(journey_logs.shop_log(), goal="purchase"),
        "site": journey.journey_graph(journey_logs.site_log(), goal="order_confirmed"),
    }


def drawn(draw):
    """The Axes ``draw()`` returns, after its figure is drawn (so every text has its final size)."""
    ax = draw()
    ax.figure.canvas.draw()
    return ax


def discs(ax):
    """{node name: (centre, radius)} in display pixels, from the node discs drawn on ``ax``."""
    out = {}
    for patch in ax.patches:
        if isinstance(patch, Circle) and (patch.get_gid() or "").startswith("node "):
            centre = ax.transData.transform(patch.center)
            edge = ax.transData.transform((patch.center[0] + patch.radius, patch.center[1]))
            out[json.loads(patch.get_gid()[5:])] = (centre, float(np.hypot(*(edge - centre))))
    return out


def arrows(ax):
    """[((source, target), polylines in display pixels, line width in pixels)] of every edge drawn on ``ax``."""
    out = []
    for patch in ax.patches:
        if isinstance(patch, FancyArrowPatch) and (patch.get_gid() or "").startswith("edge "):
            path = ax.transData.transform_path(patch.get_path())
            width = patch.get_linewidth() * ax.figure.dpi / 72
            out.append((tuple(json.loads(patch.get_gid()[5:])), path.to_polygons(closed_only=False), width))
    return out


def text_boxes(ax):
    renderer = ax.figure.canvas.get_renderer()
    return [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts if t.get_visible() and t.get_text()]


def segment_distance(p, a, b):
    """Distance from point ``p`` to the segments ``a[i]``-``b[i]``."""
    ab = b - a
    t = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-12), 0, 1)
    return np.hypot(*(a + t[:, None] * ab - p).T)


def assert_readable(ax):
    """The geometric promises of the map, on what was drawn."""
    nodes = discs(ax)
    boxes = text_boxes(ax)
    assert nodes and boxes
    for (s1, b1), (s2, b2) in itertools.combinations(boxes, 2):
        assert not _overlap(b1, b2), f"{s1!r} overlaps {s2!r}"
    for text, box in boxes:
        for name, (centre, r) in nodes.items():
            nearest = np.clip(centre, [box.x0 + SLACK, box.y0 + SLACK], [box.x1 - SLACK, box.y1 - SLACK])
            assert np.hypot(*(nearest - centre)) >= r - SLACK, f"text {text!r} sits on the disc of {name!r}"
    for (a, b), polylines, width in arrows(ax):
        ends = {a, b}
        points = np.concatenate(polylines)
        for name, (centre, r) in nodes.items():
            if name in ends:
                continue
            for line in polylines:
                if len(line) > 1:
                    closest = segment_distance(centre, line[:-1], line[1:]).min()
                    assert closest >= r - SLACK, f"edge {a} -> {b} passes through {name!r}"
        # It starts on its source's circle and its head touches the target's (the head's outline, drawn
        # with the line's width, reaches the circle: matplotlib sets the tip back by 0.5 width / sin(half
        # the head angle), 1.12 widths for "-|>").
        for name, end in ((a, points[0]), (b, None)):
            centre, r = nodes[name]
            distance = np.hypot(*(points - centre).T)
            here = distance[0] if end is not None else distance.min()
            assert -1.0 <= here - r <= 1.12 * width + 1.0, (
                f"edge {a} -> {b} does not touch {name!r} ({here:.1f} px from a {r:.1f} px disc)"
            )
        if a == b:  # a self-loop: attached, and outside its disc but where it meets it
            centre, r = nodes[a]
            line = polylines[0]
            assert abs(np.hypot(*(line[0] - centre)) - r) <= 1.0 and np.hypot(*(line - centre).T).max() > 1.5 * r


def _overlap(b1, b2):
    return b1.x0 + SLACK < b2.x1 and b2.x0 + SLACK < b1.x1 and b1.y0 + SLACK < b2.y1 and b2.y0 + SLACK < b1.y1


@pytest.mark.parametrize("name", ["sample", "shop", "site"])
def test_no_label_overlaps_and_no_edge_crosses_a_node(name):
    plt.close("all")
    graph = graphs()[name]
    ax = drawn(lambda: journey.plot_journey_map(graph))
    assert_readable(ax)
    assert len(discs(ax)) == len(graph)
    shown = {text.split("\n")[0] for text, _ in text_boxes(ax)}
    assert {str(n) for n in graph if len(str(n)) <= 12} <= shown  # short names whole, on one line
    plt.close("all")


@pytest.mark.parametrize("size", [(6, 4), (12, 3), (8, 8)])
def test_the_map_stays_readable_in_an_axes_of_any_size(size):
    plt.close("all")
    fig, (ax, other) = plt.subplots(1, 2, figsize=size, width_ratios=[3, 1])
    assert drawn(lambda: journey.plot_journey_map(graphs()["shop"], ax=ax)) is ax
    assert_readable(ax)
    plt.close("all")


def test_the_diff_map_follows_the_same_rules():
    plt.close("all")
    diff = journey.compare_graphs(journey_logs.shop_ab(), by="variant", baseline="A", goal="purchase")
    ax = drawn(lambda: journey.plot_journey_map(diff))
    assert_readable(ax)
    texts = [t for t, _ in text_boxes(ax)]
    bug = diff.edges["checkout", "checkout_bug"]
    assert bug["significant"] and f"{100 * bug['difference']:+.1f}" in texts  # the planted change, labelled
    assert f"checkout_bug\n{100 * diff.nodes['checkout_bug']['difference']:+.1f}" in texts
    plt.close("all")


def test_the_colour_is_drop_offs_exit_rate_on_the_sample():
    plt.close("all")
    log = journey.read_events(journey.datasets.sample_path("events"))
    graph = graphs()["sample"]
    table = journey.drop_off(log, goal="purchase").to_frame().set_index("touchpoint")
    measure = node_measure(graph)
    assert set(measure) == set(table.index)
    for touchpoint, rate in measure.items():
        assert rate == pytest.approx(table.loc[touchpoint, "exit_rate"], abs=1e-12), touchpoint
    # and the drawn discs: the colour scale runs from the lowest to the highest of drop-off's rates
    ax = journey.plot_journey_map(graph)
    faces = {
        json.loads(p.get_gid()[5:]): p.get_facecolor() for p in ax.patches if (p.get_gid() or "").startswith("node ")
    }
    low, high = table["exit_rate"].min(), table["exit_rate"].max()
    cmap = matplotlib.colormaps["YlOrRd"]
    for touchpoint, rate in table["exit_rate"].items():
        assert np.allclose(faces[touchpoint], cmap((rate - low) / (high - low))), touchpoint
    assert faces["purchase"] == faces["[start]"] == (1.0, 1.0, 1.0, 1.0)
    assert table.loc["product", "exit_rate"] == pytest.approx(0.3317, abs=1e-4)  # the sample's product, 33.2%
    plt.close("all")


def test_the_number_under_a_node_is_named_and_chosen():
    plt.close("all")
    graph = graphs()["small"]
    for choice, words in (("journeys", "journeys visiting it"), ("visits", "visits (events) at it")):
        ax = journey.plot_journey_map(graph, node_label=choice)
        texts = {t.get_text() for t in ax.texts}
        assert f"cart\n{graph.nodes['cart'][choice]:,}" in texts
        assert any(words in t.get_text() for t in ax.get_legend().get_texts())
    assert graph.nodes["cart"]["journeys"] != graph.nodes["cart"]["visits"]
    with pytest.raises(journey.JourneyError, match="node_label must be"):
        journey.plot_journey_map(graph, node_label="people")
    plt.close("all")


def test_the_command_line_chooses_the_number_under_a_node(tmp_path):
    from journey.cli import main

    out = tmp_path / "map.svg"
    events = str(journey.datasets.sample_path("events"))
    assert main(["map", events, "--goal", "purchase", "--node-label", "visits", "--out", str(out)]) == 0
    svg = out.read_text(encoding="utf-8")
    assert "number under a touchpoint: visits (events) at it" in svg
    assert f"{graphs()['sample'].nodes['product']['visits']:,}" in svg
    plt.close("all")


def test_main_edges_carry_their_count_and_median_time():
    plt.close("all")
    graph = graphs()["sample"]
    ax = journey.plot_journey_map(journey.prune(graph, min_share=0.1))
    texts = {t.get_text() for t in ax.texts}
    edge = graph.edges["product", "cart"]
    assert f"{edge['count']:,}\n{format_value(edge['median_seconds'], 'seconds')}" in texts
    start = graph.edges["[start]", "ad_click"]  # START edges have no time
    assert f"{start['count']:,}" in texts
    on_edges = [t for t in ax.texts if t.get_text().split("\n")[0].replace(",", "").isdigit()]
    assert len(on_edges) >= 12
    assert all(t.get_fontsize() >= 7 for t in on_edges)  # readable: no 5-point labels
    plt.close("all")


def test_long_names_are_shortened_with_their_full_name_in_the_legend():
    plt.close("all")
    ax = drawn(lambda: journey.plot_journey_map(graphs()["site"]))
    texts = [t.get_text() for t in ax.texts]
    assert not any("newsletter_signup_confirmation_page" in t for t in texts)
    shortened = next(t for t in texts if t.startswith("newsletter_"))
    mark = shortened.split("\n")[1][-1]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"{mark} newsletter_signup_confirmation_page" in legend
    assert any(t.startswith("order_\nconfirmed") for t in texts)  # wrapped, not cut
    plt.close("all")


def test_sizes_adapt_and_the_colour_bar_is_compact():
    plt.close("all")
    small = drawn(lambda: journey.plot_journey_map(graphs()["small"]))
    radius_small = next(iter(discs(small).values()))[1] / small.figure.dpi * 72
    large = drawn(lambda: journey.plot_journey_map(graphs()["site"]))
    radius_large = next(iter(discs(large).values()))[1] / large.figure.dpi * 72
    assert radius_large < radius_small
    assert large.figure.get_size_inches()[0] > small.figure.get_size_inches()[0]
    for ax in (small, large):
        bar = next(a for a in ax.figure.axes if a is not ax)
        assert bar.get_position().height < 0.5 * ax.get_position().height
    plt.close("all")


def render(draw) -> bytes:
    plt.close("all")
    with tempfile.TemporaryDirectory() as folder, matplotlib.rc_context({"font.family": "DejaVu Sans"}):
        data = journey.save_figure(draw(), Path(folder) / "map.png").read_bytes()
    plt.close("all")
    return data


BASELINES = {"journey_map_6": "small", "journey_map_19": "shop", "journey_map_40": "site"}


@pytest.mark.parametrize("name", list(BASELINES))
def test_the_map_matches_its_baseline(name, tmp_path):
    expected = BASELINE / f"{name}.png"
    assert expected.exists(), "no baseline: run `python tests/test_journey_map.py` and look at the pictures"
    actual = tmp_path / f"{name}.png"
    actual.write_bytes(render(lambda: journey.plot_journey_map(graphs()[BASELINES[name]])))
    result = compare_images(str(expected), str(actual), tol=TOLERANCE)
    assert result is None, result


def test_the_same_map_gives_the_same_bytes():
    draw = lambda: journey.plot_journey_map(graphs()["site"])  # noqa: E731
    assert render(draw) == render(draw)


# ---------------------------------------------------------------------------------------------------
# the layout alone, on any graph


def _bezier_points(vertices, codes, steps=12):
    """Points along a route: its line pieces as they are, its cubic pieces sampled."""
    points, i = [vertices[0]], 1
    while i < len(codes):
        if codes[i] == layout.CURVE4:
            p0, p1, p2, p3 = vertices[i - 1 : i + 3]
            for t in np.linspace(0, 1, steps)[1:]:
                u = 1 - t
                points.append(u**3 * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t**3 * p3)
            i += 3
        else:
            points.append(vertices[i])
            i += 1
    return np.array(points)


@st.composite
def journey_graphs(draw):
    n = draw(st.integers(1, 12))
    names = [f"t{i}" for i in range(n)]
    graph = nx.DiGraph()
    graph.add_node("S", kind="start", visits=100)
    graph.add_node("E", kind="end", visits=100)
    for i, name in enumerate(names):
        graph.add_node(name, kind="goal" if i == n - 1 and draw(st.booleans()) else "touchpoint", visits=n - i)
    graph.add_edge("S", names[0], count=draw(st.integers(1, 50)))
    graph.add_edge(names[-1], "E", count=draw(st.integers(1, 50)))
    for a, b in draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names + ["E"])), max_size=30)):
        graph.add_edge(a, b, count=draw(st.integers(1, 50)))
    for i, name in enumerate(names[1:]):  # every touchpoint reachable
        if not graph.in_degree(name):
            graph.add_edge(names[i], name, count=1)
    return graph


@given(journey_graphs())
def test_routes_never_enter_a_node_and_slots_never_overlap(graph):
    radius = 10.0
    above = dict.fromkeys(graph, 14.0)
    below = dict.fromkeys(graph, 30.0)
    geometry = layout.arrange(graph, radius=radius, above=above, below=below, gap=40.0)
    for (a, b), (vertices, codes) in geometry.paths.items():
        points = _bezier_points(vertices, codes)
        for n, centre in geometry.pos.items():
            distance = np.hypot(*(points - np.array(centre)).T)
            if n in (a, b):
                assert distance.min() >= radius - 1e-6  # it meets its ends on their circle, never inside
            else:
                assert distance.min() > radius + 1.0, (a, b, n)
        assert np.hypot(*(points[0] - geometry.pos[a])) == pytest.approx(radius)
        assert np.hypot(*(points[-1] - geometry.pos[b])) == pytest.approx(radius)
    by_layer = {}
    for n, lay in geometry.layer.items():
        by_layer.setdefault(lay, []).append(geometry.pos[n][1])
    for lay, heights in by_layer.items():
        heights.sort()
        assert all(b - a >= 44.0 - 1e-6 for a, b in zip(heights, heights[1:])), lay  # below + above
        assert all(geometry.pos[n][0] == geometry.x[lay] for n in graph if geometry.layer[n] == lay)


if __name__ == "__main__":
    BASELINE.mkdir(exist_ok=True)
    for name, graph in BASELINES.items():
        picture = render(lambda graph=graph: journey.plot_journey_map(graphs()[graph]))
        (BASELINE / f"{name}.png").write_bytes(picture)
        print(f"wrote {BASELINE / name}.png", file=sys.stderr)
