"""Pictures: stored baselines, structure, byte-for-byte determinism and literal labels.

Baselines live in tests/baseline/; after an intended change of a picture, regenerate them with
`python tests/test_plots.py` and look at them before committing.
"""

import json
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import FancyArrowPatch
from matplotlib.testing.compare import compare_images

import journey

BASELINE = Path(__file__).parent / "baseline"
TOLERANCE = 6  # RMS on 0-255; absorbs small font-rendering differences between matplotlib builds


def small_log():
    return journey.read_events(small_frame())


def small_frame():
    rng = np.random.default_rng(4)
    rows = []
    for i in range(120):
        path = ["ad" if i % 3 else "search", "product"]
        path += ["product"] if rng.random() < 0.3 else []
        path += ["cart"] if rng.random() < 0.5 else []
        path += ["buy"] if path[-1] == "cart" and rng.random() < 0.6 else []
        rows += [(f"u{i:03d}", e, "mobile" if i % 2 else "desktop") for e in path]
    df = pd.DataFrame(rows, columns=["user_id", "event", "device"])
    df["timestamp"] = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(np.arange(len(df)) * 3600 * 7, unit="s")
    return df


def session_frame():
    """:func:`small_frame` with each user's events an hour apart, but two days before the third: two sessions."""
    df = small_frame()
    step = df.groupby("user_id").cumcount()
    hours = (
        pd.Series(np.where(step == 2, 48, np.where(step == 0, 0, 1)), index=df.index).groupby(df["user_id"]).cumsum()
    )
    user = df["user_id"].str[1:].astype(int)
    df["timestamp"] = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(user * 24 * 7 + hours, unit="h")
    return df


def small_survey():
    """One answer per user of :func:`small_log`, an hour after their last event; buyers score higher."""
    rows = (
        small_frame()
        .groupby("user_id", sort=True)
        .agg(time=("timestamp", "max"), bought=("event", lambda e: "buy" in set(e)))
    )
    scores = [(10 if bought else 7) - (i * 7) % 8 for i, bought in enumerate(rows["bought"])]
    survey = pd.DataFrame({"user_id": rows.index, "timestamp": rows["time"] + pd.Timedelta("1h"), "score": scores})
    return journey.read_survey(survey)


def scorecard():
    return journey.scorecard(
        [
            journey.kpi("CSAT", journey.proportion(160, 200), target=0.7),
            journey.kpi("churn", (0.2, 0.18, 0.22), target=0.1, higher_is_better=False),
            journey.kpi(
                "NPS", journey.nps_from_counts(promoters=50, passives=30, detractors=20), target=35, kind="KGI"
            ),
            journey.kpi("repeat rate", journey.proportion(30, 100), target=0.25),
        ]
    )


#: Durations (days) and whether the event happened: a small Kaplan-Meier curve with censoring and a median.
SURVIVAL = ([2, 3, 3, 5, 6, 8, 8, 9, 12, 14, 15, 20], [1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0])
STAGES = {"discover": ["ad", "search"], "consider": "product", "buy": ["cart", "buy"]}


def cases():
    """name -> Axes, one per chart, from small fixed data."""
    log = small_log()
    graph = journey.journey_graph(log, goal="buy")
    survey = pd.DataFrame({"score": [10, 9, 3, 8, 7, 0, 10, 6], "plan": ["pro"] * 4 + ["free"] * 4})
    return {
        "journey_map": lambda ax=None: journey.plot_journey_map(graph, ax=ax),
        "sankey": lambda ax=None: journey.plot_sankey(journey.path_variants(log), steps=4, ax=ax),
        "funnel": lambda ax=None: journey.plot_funnel(
            journey.funnel(log, ["product", "cart", "buy"], by="device"), ax=ax
        ),
        "drop_off": lambda ax=None: journey.plot_drop_off(journey.drop_off(log, goal="buy"), ax=ax),
        "nps": lambda ax=None: journey.plot_nps(journey.nps_by(survey, by="plan"), ax=ax),
        "retention": lambda ax=None: journey.plot_retention(
            journey.retention(log, cohort_period="W", period="W"), ax=ax
        ),
        "active_users": lambda ax=None: journey.plot_active_users(journey.active_users(log, period="W"), ax=ax),
        "funnel_step": lambda ax=None: journey.plot_funnel(
            journey.funnel(log, ["product", "cart", "buy"], by="device"), view="step", ax=ax
        ),
        "funnel_one": lambda ax=None: journey.funnel(log, ["ad", "product", "cart", "buy"]).plot(ax=ax),
        "drop_off_by": lambda ax=None: journey.drop_off(log, goal="buy", by="device").plot(ax=ax),
        "nps_touchpoint": lambda ax=None: journey.plot_nps(journey.nps_by_touchpoint(log, small_survey()), ax=ax),
        "nps_stage": lambda ax=None: journey.plot_nps(
            journey.experience_map(log, stages=STAGES, goal="buy", survey=small_survey()), ax=ax
        ),
        "experience_map": lambda ax=None: journey.experience_map(
            log, stages=STAGES, goal="buy", survey=small_survey()
        ).plot(ax=ax),
        "retention_monthly": lambda ax=None: journey.retention(log, period="M").plot(ax=ax),
        "survival": lambda ax=None: journey.kaplan_meier(*SURVIVAL, outcome="churn").plot(ax=ax),
        "scorecard": lambda ax=None: scorecard().plot(ax=ax),
        "sankey_end": lambda ax=None: journey.path_variants(log, end_at="cart").plot(steps=3, ax=ax),
        "repeat_rate": lambda ax=None: journey.plot_repeat_rate(
            journey.repeat_rate(
                small_frame()
                .query("event in ('cart', 'buy')")
                .assign(plan=lambda f: np.where(f["device"] == "mobile", "m", "d")),
                by="plan",
            ),
            ax=ax,
        ),
        "churn": lambda ax=None: journey.churn(log, period="W").plot(ax=ax),
        "compare_paths": lambda ax=None: journey.plot_compare_paths(journey.compare_paths(log, goal="buy"), ax=ax),
        "markov": lambda ax=None: journey.markov(log, goal="buy").bootstrap(200, seed=1).plot(ax=ax),
        "sankey_sessions": lambda ax=None: journey.path_variants(
            session_frame(), start_at="product", unit="session", gap="1D"
        ).plot(steps=3, ax=ax),
    }


def render(draw, suffix=".png") -> bytes:
    plt.close("all")
    with tempfile.TemporaryDirectory() as folder, matplotlib.rc_context({"font.family": "DejaVu Sans"}):
        path = journey.save_figure(draw(), Path(folder) / f"picture{suffix}")
        data = path.read_bytes()
    plt.close("all")
    return data


@pytest.mark.parametrize("name", list(cases()))
def test_chart_matches_its_baseline(name, tmp_path):
    expected = BASELINE / f"{name}.png"
    assert expected.exists(), "no baseline: run `python tests/test_plots.py` and look at the pictures"
    actual = tmp_path / f"{name}.png"
    actual.write_bytes(render(cases()[name]))
    result = compare_images(str(expected), str(actual), tol=TOLERANCE)
    assert result is None, result


@pytest.mark.parametrize("name", ["journey_map", "sankey", "funnel"])
def test_the_same_input_gives_the_same_bytes(name):
    draw = cases()[name]
    assert render(draw) == render(draw)
    assert render(draw, ".svg") == render(draw, ".svg")


def test_map_structure_every_touchpoint_labelled_and_widest_edge_most_frequent():
    plt.close("all")
    graph = journey.journey_graph(small_log(), goal="buy")
    ax = journey.plot_journey_map(graph)
    labels = {t.get_text().split("\n")[0] for t in ax.texts}
    assert set(map(str, graph.nodes)) <= labels
    arrows = {tuple(json.loads(p.get_gid()[5:])): p for p in ax.patches if isinstance(p, FancyArrowPatch)}
    assert set(arrows) == set(graph.edges)  # every transition drawn, self-loops included
    widest = max(arrows.values(), key=lambda p: p.get_linewidth())
    top = max(graph.edges, key=lambda e: graph.edges[e]["count"])
    assert arrows[top] is widest
    assert ax.get_images() == [] and len(ax.figure.axes) == 2  # the map and its colour bar


def test_a_large_graph_is_simplified_and_the_title_says_so():
    plt.close("all")
    rows = [(f"u{i}", f"page {i % 60}") for i in range(600)] + [(f"u{i}", f"page {(i * 7) % 60}") for i in range(600)]
    df = pd.DataFrame(rows, columns=["user_id", "event"]).assign(
        timestamp=pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(np.arange(len(rows)), unit="min")
    )
    ax = journey.plot_journey_map(journey.journey_graph(df), max_nodes=20)
    assert "simplified" in ax.get_title() and "of 60 touchpoints" in ax.get_title()


NAMES = ["$5 off$", "a_b^c", "100% {x}", "<script>"]


def test_labels_are_shown_literally_and_escaped_in_svg():
    plt.close("all")
    df = pd.DataFrame(
        {
            "user_id": ["u"] * 4 + ["v"] * 2,
            "event": NAMES + NAMES[:2],
            "timestamp": pd.date_range("2025-01-01", periods=6, freq="min", tz="UTC"),
        }
    )
    log = journey.read_events(df)
    ax = journey.plot_journey_map(journey.journey_graph(log, goal="<script>"))
    shown = {t.get_text().split("\n")[0]: t for t in ax.texts}
    for name in NAMES:
        assert name in shown and not shown[name].get_parse_math()
    svg = render(lambda: journey.plot_journey_map(journey.journey_graph(log, goal="<script>")), ".svg")
    assert b"<script>" not in svg and b"&lt;script&gt;" in svg
    bars = journey.plot_drop_off(journey.drop_off(log, goal="<script>"))
    assert all(not t.get_parse_math() for t in bars.get_yticklabels())


def test_every_chart_draws_on_the_axes_it_is_given():
    for name, draw in cases().items():
        plt.close("all")
        _, ax = plt.subplots()
        assert draw(ax=ax) is ax, name


def test_the_readme_map_is_up_to_date(tmp_path):
    from journey.cli import main

    out = tmp_path / "map.png"
    assert (
        main(
            [
                "map",
                str(journey.datasets.sample_path("events")),
                "--goal",
                "purchase",
                "--min-share",
                "0.1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    result = compare_images("docs/journey_map.png", str(out), tol=TOLERANCE)
    assert result is None, f"{result}: run `make demo` to refresh docs/journey_map.png"


def test_the_readme_19_touchpoint_map_is_its_baseline():
    shown, baseline = (BASELINE.parent.parent / "docs" / "journey_map_19.png", BASELINE / "journey_map_19.png")
    assert shown.read_bytes() == baseline.read_bytes(), "copy tests/baseline/journey_map_19.png to docs/"


def test_bad_input_to_plots_is_named():
    with pytest.raises(journey.JourneyError, match=r"plot_funnel draws the result of journey\.funnel"):
        journey.plot_funnel(pd.DataFrame({"step": [1]}))
    with pytest.raises(journey.JourneyError, match="color_by"):
        journey.plot_journey_map(journey.journey_graph(small_log()), color_by="mood")


if __name__ == "__main__":
    BASELINE.mkdir(exist_ok=True)
    wanted = set(sys.argv[1:])  # names to regenerate; all when none is given
    for name, draw in cases().items():
        if wanted and name not in wanted:
            continue
        (BASELINE / f"{name}.png").write_bytes(render(draw))
        print(f"wrote {BASELINE / name}.png", file=sys.stderr)


def test_a_segment_nobody_reaches_at_a_step_gets_an_empty_bar():
    plt.close("all")
    df = pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "b"],
            "event": ["home", "cart", "buy", "home"],
            "seg": list("xxxy"),
            "timestamp": pd.date_range("2025-01-01", periods=4, freq="min", tz="UTC"),
        }
    )
    ax = journey.plot_funnel(journey.funnel(df, ["home", "cart", "buy"], by="seg"), view="step")
    assert any(t.get_text() == "–\n0 of 0" for t in ax.texts)


def interval_segments(ax):
    """(x low, x high, y) of every horizontal interval drawn by errorbar on ``ax``."""
    from matplotlib.container import ErrorbarContainer

    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    return [(s[0][0], s[1][0], s[0][1]) for c in bars for s in c.lines[2][0].get_segments()]


def test_plot_nps_draws_a_touchpoint_table_with_its_intervals():
    plt.close("all")
    sample = journey.datasets.load_sample()
    log, survey = journey.read_events(sample.events), journey.read_survey(sample.survey, score="nps")
    table = journey.nps_by_touchpoint(log, survey)
    ax = journey.plot_nps(table)
    frame = table.to_frame()
    drawn = sorted(interval_segments(ax), key=lambda s: -s[2])  # top row first
    assert np.allclose([(lo, hi) for lo, hi, _ in drawn], frame[["ci_low", "ci_high"]].to_numpy())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [f"{t} (n={n:,})" for t, n in zip(frame["touchpoint"], frame["n"])]
    assert ax.get_title() == "NPS by touchpoint" and "95% CI" in ax.get_xlabel()
    assert any(
        line.get_linestyle() == "--" and line.get_xdata()[0] == pytest.approx(table.overall.score)
        for line in ax.get_lines()
    )


def test_plot_nps_draws_intervals_at_the_level_asked():
    plt.close("all")
    table = journey.nps_by(
        pd.DataFrame({"score": [10, 9, 3, 8, 7, 0, 10, 6], "plan": ["pro"] * 4 + ["free"] * 4}), by="plan"
    )
    wide, narrow = (
        interval_segments(journey.plot_nps(table, ax=plt.subplots()[1], level=level)) for level in (0.99, 0.8)
    )
    low, high = table.confidence_interval(0.8)
    assert np.allclose(sorted((lo, hi) for lo, hi, _ in narrow), sorted(zip(low, high)))
    assert all(w[1] - w[0] > n[1] - n[0] for w, n in zip(sorted(wide), sorted(narrow)))
    assert "80% CI" in table.plot(level=0.8).get_xlabel()


def test_plot_nps_of_named_results_shows_names_literally():
    plt.close("all")
    results = {"$5 off$": journey.nps([10, 9, 3]), "a_b^c": journey.nps([0, 6, 10, 10])}
    _, given = plt.subplots()
    ax = journey.plot_nps(results, ax=given)
    assert ax is given and len(interval_segments(ax)) == 2
    assert all(not t.get_parse_math() for t in ax.get_yticklabels())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["$5 off$ (n=3)", "a_b^c (n=4)"]
    with pytest.raises(journey.JourneyError, match="different confidence levels"):
        journey.plot_nps({"a": journey.nps([10], level=0.9), "b": journey.nps([3])})


def test_plot_nps_takes_nps_results_only():
    table = journey.nps_by(pd.DataFrame({"score": [10, 3], "plan": ["a", "b"]}), by="plan")
    for wrong in (table.to_frame(), [journey.nps([10])], {"a": journey.proportion(1, 2)}, {}):
        with pytest.raises(
            journey.JourneyError,
            match=r"plot_nps draws the result of journey\.nps_by\(\.\.\.\), "
            r"journey\.nps_by_touchpoint",
        ):
            journey.plot_nps(wrong)


def test_scorecard_plot_draws_each_interval_against_its_target():
    plt.close("all")
    card = journey.scorecard(
        [
            journey.kpi("CSAT", journey.proportion(160, 200), target=0.7),
            journey.kpi("$churn$", (0.2, 0.18, 0.22), target=0.1, higher_is_better=False),
            journey.kpi(
                "NPS", journey.nps_from_counts(promoters=50, passives=30, detractors=20), target=35, kind="KGI"
            ),
        ]
    )
    _, given = plt.subplots()
    ax = card.plot(ax=given)
    assert ax is given and len(interval_segments(ax)) == 3
    assert [t.get_text() for t in ax.get_yticklabels()] == ["KGI NPS", "KPI CSAT", "KPI $churn$"]
    assert all(not t.get_parse_math() for t in [*ax.get_yticklabels(), *ax.texts])
    # Each row on its own scale: the target tick lies inside (met), across (inconclusive) or outside (missed).
    segments = sorted(interval_segments(ax), key=lambda s: -s[2])
    ticks = [line for line in ax.get_lines() if len(line.get_xdata()) == 2]  # the targets: short vertical lines
    target_x = {round(float(np.mean(t.get_ydata()))): t.get_xdata()[0] for t in ticks}
    nps_row, csat_row, churn_row = segments
    assert nps_row[0] < target_x[round(nps_row[2])] < nps_row[1]  # inconclusive: the target inside the interval
    assert target_x[round(csat_row[2])] <= csat_row[0]  # met: wholly above
    assert target_x[round(churn_row[2])] < churn_row[0]  # missed (lower is better): wholly above the ceiling
    assert [t.get_color() for t in ax.texts] == ["#9a6700", "#1a7f37", "#cf222e"]
