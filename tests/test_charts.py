"""Charts draw the numbers of their result: bar heights, interval ends and labels read back from the Axes.

The stored pictures are compared in tests/test_plots.py (one baseline per chart); here each chart is read
back and checked against its result's table, and ``path_variants(start_at=, end_at=)`` against a reading
of the same journeys in plain Python.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.container import BarContainer, ErrorbarContainer
from test_plots import SURVIVAL, cases, render, scorecard, session_frame, small_frame, small_log

import journey
from journey.errors import UnknownEventError
from journey.plot.sankey import ENDED, NOT_BEGUN, default_family, step_table
from journey.stats.intervals import wilson_interval


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def bars(ax):
    """Every bar drawn by ``bar``/``barh``, in drawing order."""
    return [patch for c in ax.containers if isinstance(c, BarContainer) for patch in c.patches]


def vertical_intervals(ax):
    """(x, low, high) of every vertical interval drawn by errorbar, in drawing order."""
    found = []
    for c in ax.containers:
        if isinstance(c, ErrorbarContainer) and c.lines[2]:
            found += [(s[0][0], s[0][1], s[1][1]) for s in c.lines[2][0].get_segments() if len(s)]
    return found


def horizontal_intervals(ax):
    """(y, low, high) of every horizontal interval drawn by errorbar, in drawing order."""
    found = []
    for c in ax.containers:
        if isinstance(c, ErrorbarContainer) and c.lines[2]:
            found += [(s[0][1], s[0][0], s[1][0]) for s in c.lines[2][0].get_segments() if len(s)]
    return found


# -- funnel --------------------------------------------------------------------------------------------


def test_the_cumulative_funnel_draws_the_share_of_step_one_reaching_each_step():
    result = journey.funnel(small_log(), ["ad", "product", "cart", "buy"])
    table = result.to_frame()
    ax = result.plot()
    base = table.loc[0, "at_risk"]
    reached = np.r_[base, table["converted"].to_numpy(dtype=float)[:-1]]
    heights = [p.get_height() for p in bars(ax)]
    assert heights == pytest.approx(reached / base)
    assert heights == sorted(heights, reverse=True)  # falling bars
    assert heights[-1] == pytest.approx(result.overall.proportion)
    low, high = wilson_interval(reached, np.full(4, base), 0.95)
    drawn = vertical_intervals(ax)
    assert [d[1] for d in drawn] == pytest.approx(low) and [d[2] for d in drawn] == pytest.approx(high)
    assert [t.get_text() for t in ax.texts] == [f"{r / base:.0%}\n{int(r):,} of {int(base):,}" for r in reached]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1. ad", "2. product", "3. cart", "4. buy"]
    assert min(t.get_fontsize() for t in ax.texts) >= 7


def test_the_step_funnel_draws_each_conversion_rate_with_its_interval_per_segment():
    result = journey.funnel(small_log(), ["product", "cart", "buy"], by="device")
    table = result.to_frame().dropna(subset=["at_risk"])
    ax = result.plot(view="step")
    assert [p.get_height() for p in bars(ax)] == pytest.approx(table["conversion_rate"].to_numpy(dtype=float))
    drawn = vertical_intervals(ax)
    assert [d[1] for d in drawn] == pytest.approx(table["ci_low"].to_numpy(dtype=float))
    assert [d[2] for d in drawn] == pytest.approx(table["ci_high"].to_numpy(dtype=float))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["desktop", "mobile"]
    assert {t.get_text().split("\n")[1] for t in ax.texts} == {
        f"{int(k)} of {int(n)}" for k, n in zip(table["converted"], table["at_risk"])
    }


def test_the_cumulative_funnel_leaves_censored_customers_out_of_every_bar():
    frame = small_frame()
    result = journey.funnel(frame, ["product", "cart", "buy"], within="2D")
    table = result.to_frame()
    assert result.n_censored > 0
    ax = result.plot()
    base = table.loc[0, "entered"] - table.loc[0, "censored"]
    assert bars(ax)[-1].get_height() == pytest.approx(result.overall.proportion)
    assert ax.texts[0].get_text() == f"100%\n{base:,} of {base:,}"


def test_a_funnel_view_that_does_not_exist_is_named():
    result = journey.funnel(small_log(), ["product", "cart"])
    with pytest.raises(journey.JourneyError, match=r"view=\.\.\. must be \"cumulative\".*not 'steps'"):
        result.plot(view="steps")
    with pytest.raises(journey.JourneyError, match="view"):
        journey.plot_funnel(result, view="total")


# -- drop-off ------------------------------------------------------------------------------------------


def segmented_log():
    """Mobile journeys leave at the cart four times as often as desktop ones; elsewhere they are alike."""
    rows = []
    for i in range(400):
        device = "mobile" if i % 2 else "desktop"
        path = ["home", "cart"] if (i % 5 == 0 or (device == "mobile" and i % 5 in (1, 3))) else ["home", "cart", "buy"]
        path = ["home"] if i % 7 == 0 else path
        rows += [(f"u{i:03d}", e, device) for e in path]
    df = pd.DataFrame(rows, columns=["user_id", "event", "device"])
    df["timestamp"] = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(np.arange(len(df)), unit="min")
    return df


def test_the_drop_off_chart_draws_the_exit_rates_in_the_order_asked():
    result = journey.drop_off(small_log(), goal="buy")
    table = result.to_frame()
    ax = result.plot()
    assert [p.get_width() for p in bars(ax)] == pytest.approx(table["exit_rate"].to_numpy(dtype=float))
    assert [t.get_text() for t in ax.get_yticklabels()] == list(table["touchpoint"])
    ys = [p.get_y() + p.get_height() / 2 for p in bars(ax)]
    assert ys == sorted(ys, reverse=True)  # the table's first row on top
    drawn = horizontal_intervals(ax)
    assert [d[1] for d in drawn] == pytest.approx(table["ci_low"].to_numpy(dtype=float))
    assert [d[2] for d in drawn] == pytest.approx(table["ci_high"].to_numpy(dtype=float))
    by_rate = result.plot(ax=plt.subplots()[1], order="exit_rate", top=2)
    expected = table.sort_values("exit_rate", ascending=False, kind="stable")["touchpoint"].head(2)
    assert [t.get_text() for t in by_rate.get_yticklabels()] == list(expected)
    with pytest.raises(journey.JourneyError, match=r"order=\.\.\. must be \"lost\""):
        result.plot(order="rate")


def test_the_drop_off_chart_stars_the_touchpoints_whose_segments_differ():
    result = journey.drop_off(segmented_log(), goal="buy", by="device")
    table = result.to_frame()
    flagged = set(table.loc[table["significant"], "touchpoint"])
    assert flagged == {"cart"}  # the planted difference, and only it
    ax = result.plot()
    labels = {t.get_text(): t for t in ax.get_yticklabels()}
    assert set(labels) == {"cart *", "home"}
    assert labels["cart *"].get_fontweight() == "bold" and labels["home"].get_fontweight() == "normal"
    widths = sorted(p.get_width() for p in bars(ax))
    assert widths == pytest.approx(sorted(table["exit_rate"].to_numpy(dtype=float)))
    assert "* exit rates differ" in ax.get_legend().get_title().get_text()


# -- NPS -----------------------------------------------------------------------------------------------


def test_the_nps_forest_writes_each_rows_numbers_and_marks_the_rows_that_differ():
    from test_plots import small_survey

    table = journey.nps_by_touchpoint(small_log(), small_survey())
    frame = table.to_frame()
    ax = table.plot()
    assert [t.get_text() for t in ax.texts] == [
        f"{v:+.1f} ({lo:+.1f} to {hi:+.1f})" for v, lo, hi in zip(frame["nps"], frame["ci_low"], frame["ci_high"])
    ]
    points = {}
    for c in ax.containers:
        if isinstance(c, ErrorbarContainer):
            for x, y in zip(*c.lines[0].get_data()):
                points[round(y)] = (x, c.lines[0].get_color())
    rows = len(frame)
    for i, row in enumerate(frame.itertuples()):
        x, colour = points[rows - 1 - i]
        assert x == pytest.approx(row.nps)
        assert colour == ("#c0392b" if row.significant else "#1f77b4")
    reference = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert reference[0].get_xdata()[0] == pytest.approx(table.overall.score)
    assert f"(n={table.overall.n:,})" in ax.get_legend().get_texts()[0].get_text()


def test_plot_nps_draws_the_nps_of_each_stage_of_a_journey_map():
    from test_plots import STAGES, small_survey

    result = journey.experience_map(small_log(), stages=STAGES, goal="buy", survey=small_survey())
    frame = result.to_frame()
    ax = journey.plot_nps(result)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        f"{s} (n={int(n):,})" for s, n in zip(frame["stage"], frame["nps_n"].fillna(0))
    ]
    known = frame.dropna(subset=["nps"])
    drawn = sorted(horizontal_intervals(ax), key=lambda d: -d[0])
    assert [d[1] for d in drawn] == pytest.approx(list(known["nps_ci_low"]))
    assert [d[2] for d in drawn] == pytest.approx(list(known["nps_ci_high"]))
    assert ax.get_title() == "NPS by stage of the journey"
    assert [t.get_text() for t in ax.texts][0] == "no answers"  # nobody answered while discovering
    with pytest.raises(journey.JourneyError, match=r"at 95%.*level=0\.9"):
        journey.plot_nps(result, level=0.9)


# -- retention -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "period, labels",
    [("M", ["2025-01 (n=37)", "2025-02 (n=34)"]), ("W", ["2025-W01 (n=7)", "2025-W02 (n=9)"]), ("D", None)],
)
def test_retention_cohorts_are_named_by_their_period(period, labels):
    result = journey.retention(small_log(), period=period)
    shown = [t.get_text() for t in result.plot().get_yticklabels()]
    sizes = [f"(n={int(n):,})" for n in result.sizes]
    assert [s.split(" ")[1] for s in shown] == sizes
    if labels is not None:
        assert shown[:2] == labels
    else:
        assert shown[0] == f"{pd.Timestamp(result.sizes.index[0]):%Y-%m-%d} {sizes[0]}"


def test_retention_cells_say_their_share_and_interval_readably():
    result = journey.retention(small_log(), period="M")
    ax = result.plot()
    shares = result.shares.to_numpy()
    low, high = wilson_interval(
        result.counts.astype("Float64").to_numpy(dtype=float, na_value=np.nan), result.sizes.to_numpy()[:, None]
    )
    expected = [
        f"{v:.0%}\n{low[i, j] * 100:.0f}–{high[i, j] * 100:.0f}"
        for (i, j), v in np.ndenumerate(shares)
        if not np.isnan(v)
    ]
    assert [t.get_text() for t in ax.texts] == expected
    assert min(t.get_fontsize() for t in ax.texts) >= 7


def test_retention_cells_too_small_for_two_lines_keep_the_share():
    from journey.plot.engagement import draw_retention

    shares = np.full((40, 40), 0.5)
    _, ax = plt.subplots(figsize=(4, 3))
    draw_retention(shares, shares - 0.1, shares + 0.1, [str(i) for i in range(40)], list(range(40)), ax=ax)
    assert {t.get_text() for t in ax.texts} == {"50%"} and "intervals in to_frame()" in ax.get_title()


# -- Kaplan-Meier --------------------------------------------------------------------------------------


def test_the_kaplan_meier_chart_draws_the_curve_its_band_censoring_and_median():
    km = journey.kaplan_meier(*SURVIVAL, outcome="churn")
    table = km.to_frame()
    ax = km.plot()
    curve = next(line for line in ax.lines if line.get_gid() == "kaplan-meier")
    assert list(curve.get_xdata()) == [0.0, *table["time"]]
    assert list(curve.get_ydata()) == pytest.approx([1.0, *table["survival"]])
    ticks = next(line for line in ax.lines if line.get_marker() == "+")
    censored = table[table["censored"] > 0]
    assert list(ticks.get_xdata()) == list(censored["time"])
    assert list(ticks.get_ydata()) == pytest.approx(list(censored["survival"]))
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(np.nanmin(table["ci_low"]))
    low, high = km.median_confidence_interval()
    assert np.isnan(high)  # the upper band never reaches 50%
    median = next(line for line in ax.lines if line.get_linestyle() == ":")
    assert median.get_xdata()[1] == km.median == 12.0
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"median 12.0 days ({low:.1f} to not reached)" in legend
    assert "12 subjects, 5 censored" in legend


def test_kaplan_meier_curves_on_one_axes_take_their_own_colours():
    _, ax = plt.subplots()
    journey.kaplan_meier(*SURVIVAL).plot(ax=ax, label="all")
    journey.kaplan_meier(SURVIVAL[0][:6], SURVIVAL[1][:6]).plot(ax=ax, label="early")
    curves = [line for line in ax.lines if line.get_gid() == "kaplan-meier"]
    assert len({line.get_color() for line in curves}) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts() if ":" in t.get_text()] == [
        "all: 12 subjects, 5 censored",
        "early: 6 subjects, 2 censored",
    ]


# -- scorecard -----------------------------------------------------------------------------------------


def test_the_scorecard_shades_the_side_of_each_target_that_meets_it():
    from matplotlib.patches import Rectangle

    card = scorecard()
    ax = card.plot()
    shades = [p for p in ax.patches if isinstance(p, Rectangle)]
    sides = ["right" if p.get_x() == 0.5 else "left" for p in shades]
    assert sides == ["right" if k.higher_is_better else "left" for k in card.items]
    assert [t.get_text().rsplit(": ", 1)[1] for t in ax.texts] == [k.status for k in card.items]
    assert [t.get_text() for t in ax.get_legend().get_texts()][:3] == ["met", "missed", "inconclusive"]


# -- Sankey --------------------------------------------------------------------------------------------


def block_labels(ax):
    """{(column, name): count} of every block label of a Sankey."""
    shown = {}
    for text in ax.texts:
        name, count = text.get_text().rsplit(" (", 1)
        shown[(round(text.get_position()[0]), name)] = int(count.rstrip(")").replace(",", ""))
    return shown


def test_every_sankey_block_is_labelled_with_its_count():
    variants = journey.path_variants(small_log())
    ax = variants.plot(steps=4)
    table = step_table(list(variants._every["sequence"]), variants._every["journeys"], 4, 6)
    expected = {(k, name): int(w) for k in range(4) for name, w in table.groupby(k)["weight"].sum().items()}
    assert block_labels(ax) == expected


def many_small_touchpoints():
    """Journeys over 24 touchpoints of four families, most of them rare: labels that would pile up."""
    rng = np.random.default_rng(7)
    names = [f"{family}_{i}" for family in ("shop", "help", "account", "blog") for i in range(6)]
    rows = []
    for u in range(300):
        length = int(rng.integers(1, 6))
        for step in range(length):
            rows.append((f"u{u}", names[int(rng.zipf(1.6)) % len(names)], step))
    df = pd.DataFrame(rows, columns=["user_id", "event", "step"])
    df["timestamp"] = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(np.arange(len(df)), unit="min")
    return df


def test_sankey_labels_do_not_overlap_even_for_small_blocks():
    ax = journey.path_variants(many_small_touchpoints()).plot(steps=4, top=10)
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert len(boxes) >= 30
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), "two block labels overlap"


def test_sankey_colours_follow_the_touchpoint_families():
    from matplotlib.patches import Rectangle

    def colours(ax):
        """{block name: colour}: each block is a Rectangle whose gid is "sankey block <step> <name>"."""
        return {
            p.get_gid().split(" ", 3)[3]: p.get_facecolor()
            for p in ax.patches
            if isinstance(p, Rectangle) and (p.get_gid() or "").startswith("sankey block ")
        }

    variants = journey.path_variants(many_small_touchpoints())
    by_default = colours(variants.plot(steps=3, top=10))
    named = [n for n in by_default if n not in ("other", "ended")]
    for a in named:
        for b in named:
            same = default_family(a) == default_family(b)
            assert (by_default[a] == by_default[b]) == same, (a, b)
    assert by_default["ended"] == by_default["other"]  # both grey
    one_family = colours(variants.plot(ax=plt.subplots()[1], steps=3, top=10, family=lambda name: "all"))
    assert len({one_family[n] for n in named}) == 1
    a, b = [n for n in named if default_family(n) == default_family(named[0])][:2]
    assert by_default[a] == by_default[b]
    mapped = colours(variants.plot(ax=plt.subplots()[1], steps=3, top=10, family={a: "x"}))
    assert mapped[a] != mapped[b]
    with pytest.raises(journey.JourneyError, match="family must be a mapping"):
        variants.plot(steps=3, family=3)


def test_a_sankey_to_an_event_is_lined_up_at_its_end():
    variants = journey.path_variants(small_log(), end_at="cart")
    ax = variants.plot(steps=4)
    labels = block_labels(ax)
    assert {name for (k, name) in labels if k == 3} == {"cart"}
    assert labels[(3, "cart")] == variants.n_journeys == 49
    assert labels[(0, NOT_BEGUN)] == int(variants._every.loc[variants._every["steps"] < 4, "journeys"].sum()) > 0
    assert [t.get_text() for t in ax.get_xticklabels()] == ["last − 3", "last − 2", "last − 1", "cart"]
    assert ax.get_title() == "The last 4 steps to cart of 49 journeys (71 that never reach cart left out)"


def test_a_sankey_of_sessions_counts_sessions():
    df = session_frame()
    sessions = sum(1 + (n > 2) for n in df.groupby("user_id").size())
    variants = journey.path_variants(df, unit="session", gap="1D")
    ax = variants.plot(steps=2)
    assert variants.n_journeys == sessions  # a long pause after the second event starts another session
    assert ax.get_title() == f"The first 2 steps of {variants.n_journeys:,} sessions"
    first = {name: n for (k, name), n in block_labels(ax).items() if k == 0}
    assert sum(first.values()) == variants.n_journeys


# -- path_variants(start_at=, end_at=) against plain Python ------------------------------------------


def cut(path, start_at, end_at):
    """The stretch of ``path`` from its first ``start_at`` to the first ``end_at`` after it, or None."""
    begin = 0
    if start_at is not None:
        if start_at not in path:
            return None
        begin = path.index(start_at)
    if end_at is None:
        return tuple(path[begin:])
    after = begin + 1 if start_at is not None else begin
    rest = path[after:]
    if end_at not in rest:
        return None
    return tuple(path[begin : after + rest.index(end_at) + 1])


journeys_strategy = st.lists(st.lists(st.sampled_from("abcd"), min_size=1, max_size=6), min_size=1, max_size=12)


@given(
    paths=journeys_strategy,
    start_at=st.sampled_from([None, "a", "b"]),
    end_at=st.sampled_from([None, "b", "c"]),
    goal=st.sampled_from([None, "d"]),
)
def test_start_at_and_end_at_cut_journeys_as_plain_python_does(paths, start_at, end_at, goal):
    rows = [(f"u{i:02d}", e) for i, p in enumerate(paths) for e in p]
    df = pd.DataFrame(rows, columns=["user_id", "event"])
    df["timestamp"] = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(np.arange(len(df)), unit="s")
    present = set(df["event"])
    if (start_at is not None and start_at not in present) or (end_at is not None and end_at not in present):
        with pytest.raises(UnknownEventError):
            journey.path_variants(df, start_at=start_at, end_at=end_at)
        return
    if goal is not None and goal not in present:
        goal = None
    result = journey.path_variants(df, start_at=start_at, end_at=end_at, goal=goal, top=None)
    kept = [c for c in (cut(p, start_at, end_at) for p in paths) if c is not None]
    expected = pd.Series(kept, dtype=object).value_counts().to_dict() if kept else {}
    got = dict(zip(result.to_frame()["sequence"], result.to_frame()["journeys"]))
    assert got == expected
    assert result.n_journeys == len(kept) and result.n_left_out == len(paths) - len(kept)
    if goal is not None and kept:
        conversions = dict(zip(result.to_frame()["sequence"], result.to_frame()["conversions"]))
        assert conversions == {s: (n if goal in s else 0) for s, n in expected.items()}


def test_start_at_and_end_at_say_what_was_left_out():
    variants = journey.path_variants(small_log(), start_at="product", end_at="buy")
    assert variants.n_left_out == 120 - 27 and variants.n_journeys == 27
    assert repr(variants).splitlines()[0].endswith("93 journeys without a path from product to buy left out")
    assert variants.to_frame()["sequence"].map(lambda s: s[0] == "product" and s[-1] == "buy").all()
    with pytest.raises(UnknownEventError, match="start_at"):
        journey.path_variants(small_log(), start_at="prodct")
    with pytest.raises(journey.JourneyError, match="end_at must name one touchpoint"):
        journey.path_variants(small_log(), end_at=["buy"])


def test_start_at_on_dask_gives_the_local_answer():
    dd = pytest.importorskip("dask.dataframe")
    df = small_frame()
    local = journey.path_variants(df, start_at="product", end_at="buy", top=None)
    distributed = journey.path_variants(
        dd.from_pandas(df, npartitions=3, sort=False), start_at="product", end_at="buy", top=None
    )
    exact = ["sequence", "steps", "journeys", "n", "share", "ci_low", "ci_high"]  # medians merge approximately
    pd.testing.assert_frame_equal(distributed.to_frame()[exact], local.to_frame()[exact])
    assert distributed.n_left_out == local.n_left_out


# -- every chart ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["funnel_one", "drop_off_by", "nps_touchpoint", "retention_monthly", "survival", "scorecard", "sankey_end"]
)
def test_the_new_charts_give_the_same_bytes_every_time(name):
    assert render(cases()[name]) == render(cases()[name])


def test_sankey_names_are_shown_literally_and_escaped_in_svg():
    names = ["$5 off$", "a_b^c", "<script>"]
    df = pd.DataFrame({"user_id": ["u", "u", "u", "v"], "event": [*names, names[0]]})
    df["timestamp"] = pd.date_range("2025-01-01", periods=4, freq="min", tz="UTC")
    ax = journey.path_variants(df).plot(steps=3)
    assert {t.get_text().rsplit(" (", 1)[0] for t in ax.texts} == {*names, ENDED}
    assert all(not t.get_parse_math() for t in ax.texts)
    svg = render(lambda: journey.path_variants(df).plot(steps=3), ".svg")
    assert b"<script>" not in svg and b"&lt;script&gt;" in svg


def test_ended_and_not_begun_are_not_touchpoint_colours():
    variants = journey.path_variants(small_log(), end_at="buy")
    table = step_table(list(variants._every["sequence"]), variants._every["journeys"], 5, 6, align="end")
    assert NOT_BEGUN in set(table[0]) and ENDED not in set(table[0])


def test_funnel_labels_of_large_counts_do_not_run_into_each_other():
    from journey.plot.funnels import funnel_bars

    n = np.array([64_110, 41_550, 57_620])
    frame = pd.DataFrame(
        {
            "segment": np.repeat(["ad", "email", "search"], 5),
            "label": [f"{s}. step" for s in range(1, 6)] * 3,
            "n": np.repeat(n, 5),
        }
    )
    frame["k"] = (frame["n"] * np.tile([1.0, 0.53, 0.37, 0.32, 0.22], 3)).round()
    frame["rate"] = frame["k"] / frame["n"]
    frame["ci_low"], frame["ci_high"] = wilson_interval(frame["k"], frame["n"])
    ax = funnel_bars(frame, segment="channel", level=0.95)
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert all(not a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert min(t.get_fontsize() for t in ax.texts) >= 7
    assert ax.texts[0].get_text() == "100%\n64,110\nof 64,110"  # too wide for one line: "of n" goes under


@given(
    wanted=st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=30).map(sorted),
    height=st.floats(0.1, 3.0),
)
def test_spread_labels_keep_their_order_a_label_apart_and_inside_when_they_fit(wanted, height):
    from journey.plot.sankey import spread

    placed = spread(wanted, height, 0.0, 100.0)
    assert np.all(np.diff(placed) >= height - 1e-9)  # never closer than a label
    if height * len(wanted) <= 100.0:
        assert placed[0] >= height / 2 - 1e-9 and placed[-1] <= 100.0 - height / 2 + 1e-9
    alone = [
        w
        for i, w in enumerate(wanted)
        if all(abs(w - o) >= 2 * height * len(wanted) for j, o in enumerate(wanted) if j != i)
    ]
    for w in alone:  # a label far from every other stays where it is wanted (when inside the limits)
        if height / 2 <= w <= 100.0 - height / 2:
            assert w in placed
