"""compare_funnels and compare_graphs: hand-computed tables, a planted change, and the promised error rates.

The simulated journeys come from one absorbing chain with loops (a detour product -> help -> product that
can repeat, a cart that loops on itself), so a test that treated every transition as independent would
flag differences between identical variants. Journeys are the units here, and the tests check it.
"""

from __future__ import annotations

import re

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import journey
from journey.errors import JourneyError
from journey.stats.intervals import newcombe_interval

T0 = pd.Timestamp("2025-03-01", tz="UTC")


def _log(journeys: dict[str, list[list[str]]]) -> pd.DataFrame:
    """One row per event: segment -> list of journeys (each a list of touchpoints), one user per journey."""
    rows = []
    for segment, paths in journeys.items():
        for i, path in enumerate(paths):
            for step, event in enumerate(path):
                rows.append((f"{segment}-{i}", T0 + pd.Timedelta(minutes=step), event, segment))
    return pd.DataFrame(rows, columns=["user_id", "timestamp", "event", "variant"])


# ---------------------------------------------------------------------------------------------------
# compare_funnels


def test_compare_funnels_by_hand() -> None:
    log = _log({"A": [["home", "cart"]] * 5 + [["home"]] * 5, "B": [["home", "cart"]] * 6 + [["home"]] * 2})
    result = journey.compare_funnels(log, ["home", "cart"], by="variant")
    assert result.baseline == "A"  # more customers enter step 1
    table = result.to_frame()
    assert table[["variant", "measure", "at_risk", "converted"]].values.tolist() == [
        ["A", "step", 10, 5],
        ["A", "overall", 10, 5],
        ["B", "step", 8, 6],
        ["B", "overall", 8, 6],
    ]
    b = table[table["variant"] == "B"]
    low, high = newcombe_interval([6], [8], [5], [10])
    assert b["difference"].tolist() == pytest.approx([0.25, 0.25])
    assert b["difference_ci_low"].tolist() == pytest.approx([low[0]] * 2)
    assert b["difference_ci_high"].tolist() == pytest.approx([high[0]] * 2)
    p = journey.compare_proportions(6, 8, 5, 10).pvalue
    assert b["p_value"].tolist() == pytest.approx([p, p])
    assert b["p_adjusted"].tolist() == pytest.approx([p, p])  # BH over two equal p-values
    assert table.loc[table["variant"] == "A", "difference"].isna().all()
    assert table["baseline_rate"].tolist() == pytest.approx([0.5] * 4)
    assert not table["significant"].any()
    assert "0 of 2 conversions differ (Benjamini-Hochberg, false discovery rate 5%)" in repr(result)


def test_compare_funnels_rows_agree_with_each_segments_own_funnel() -> None:
    sample = journey.datasets.load_sample().events
    steps = ["product", "cart", "checkout", "payment", "purchase"]
    table = journey.compare_funnels(sample, steps, by="device", within="1D").to_frame()
    # A segment's windows are censored at the end of the whole log, not at its own last event: a visitor
    # who never enters the funnel, seen at the log's last instant, gives each segment alone the same end.
    last = sample.loc[[sample["timestamp"].idxmax()]].assign(user_id="watcher", event="home")
    for device in ("desktop", "mobile"):
        alone = journey.funnel(pd.concat([sample[sample["device"] == device], last]), steps, within="1D")
        rows = table[table["device"] == device]
        own = alone.to_frame().iloc[:-1]
        assert rows.loc[rows["measure"] == "step", "at_risk"].tolist() == own["at_risk"].astype(int).tolist()
        assert rows.loc[rows["measure"] == "step", "converted"].tolist() == own["converted"].astype(int).tolist()
        overall = rows[rows["measure"] == "overall"].iloc[0]
        assert (overall["converted"], overall["at_risk"]) == (alone.overall.k, alone.overall.n)


def test_compare_funnels_leaves_censored_customers_out_of_the_overall_conversion() -> None:
    log = _log({"A": [["home", "cart"]] * 3 + [["home"]] * 3, "B": [["home", "cart"]] * 2 + [["home"]] * 2})
    late = pd.DataFrame(
        {
            "user_id": ["B-late", "B-late", "z"],
            "event": ["home", "cart", "elsewhere"],
            "timestamp": [
                T0 + pd.Timedelta(hours=5),
                T0 + pd.Timedelta(hours=5, minutes=1),
                T0 + pd.Timedelta(hours=5, minutes=30),
            ],
            "variant": ["B", "B", None],
        }
    )
    # B-late bought within the hour, but its hour was still open when the data ended: censored, in neither
    # the numerator nor the denominator of B's step or overall rate.
    result = journey.compare_funnels(
        pd.concat([log, late], ignore_index=True), ["home", "cart"], by="variant", within="1h", baseline="A"
    )
    b = result.to_frame().query("variant == 'B'")
    assert b[["measure", "at_risk", "converted"]].values.tolist() == [["step", 4, 2], ["overall", 4, 2]]


def test_compare_funnels_finds_the_planted_step_and_compares_periods() -> None:
    sample = journey.datasets.load_sample().events
    steps = ["product", "cart", "checkout", "payment", "purchase"]
    result = journey.compare_funnels(sample, steps, by="device", baseline="desktop")
    flagged = result.to_frame().query("significant")
    # The bundled sample's mobile payment step is broken (a planted bug): that step and the overall.
    assert flagged[["device", "measure", "touchpoint"]].values.tolist() == [
        ["mobile", "step", "payment"],
        ["mobile", "overall", "product"],
    ]
    months = journey.compare_funnels(journey.read_events(sample).with_period("M"), steps, by="period")
    assert months.by == "period" and months.to_frame()["period"].nunique() == 9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": "colour"}, "colour"),
        ({"by": "variant", "baseline": "C"}, r"baseline='C': no journey has variant = 'C'; the segments are 'A', 'B'"),
        ({"by": None}, "give by="),
    ],
)
def test_compare_funnels_errors(kwargs: dict, message: str) -> None:
    log = _log({"A": [["home", "cart"]], "B": [["home"]]})
    with pytest.raises(JourneyError, match=message):
        journey.compare_funnels(log, ["home", "cart"], **kwargs)
    with pytest.raises(JourneyError, match="every customer is in one segment"):
        journey.compare_funnels(log[log["variant"] == "A"], ["home", "cart"], by="variant")


# ---------------------------------------------------------------------------------------------------
# compare_graphs: a chain with loops


def simulate(n: int, rng: np.random.Generator, detour: float = 0.1, segment: str = "A") -> pd.DataFrame:
    """``n`` journeys of the chain; ``detour`` is P(product -> help), each time product is left.

    START -> home 0.6 | product 0.4; home -> product 0.7 | end; product -> help (detour) | cart | end (the
    rest split evenly); help -> product; cart -> cart 0.2 | purchase 0.5 | end; purchase -> end.
    """
    names = ["home", "product", "help", "cart", "purchase"]
    state = np.where(rng.random(n) < 0.6, 0, 1)
    alive = np.ones(n, dtype=bool)
    users, steps, events = [], [], []
    for step in range(200):
        idx = np.flatnonzero(alive)
        if not len(idx):
            break
        users.append(idx)
        steps.append(np.full(len(idx), step))
        events.append(state[idx])
        u = rng.random(len(idx))
        s = state[idx]
        nxt = np.full(len(idx), -1)
        nxt[(s == 0) & (u < 0.7)] = 1
        p = s == 1
        nxt[p & (u < detour)] = 2
        nxt[p & (u >= detour) & (u < detour + (1 - detour) / 2)] = 3
        nxt[s == 2] = 1
        c = s == 3
        nxt[c & (u < 0.2)] = 3
        nxt[c & (u >= 0.2) & (u < 0.7)] = 4
        state[idx] = np.maximum(nxt, 0)
        alive[idx[nxt < 0]] = False
    user, step, event = (np.concatenate(x) for x in (users, steps, events))
    return pd.DataFrame(
        {
            "user_id": [f"{segment}{u}" for u in user],
            "timestamp": T0 + pd.to_timedelta(step, unit="min"),
            "event": np.array(names)[event],
            "variant": segment,
        }
    )


def _pair(n: int, seed: int, detour_b: float = 0.1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.concat([simulate(n, rng, 0.1, "A"), simulate(n, rng, detour_b, "B")], ignore_index=True)


def test_compare_graphs_flags_the_planted_detour_and_controls_false_discoveries() -> None:
    # Variant B takes the help detour more often (0.25 against 0.1 each time product is left); nothing
    # else changes in distribution. Over replicate logs the detour (node help, product -> help, help ->
    # product) is always flagged, and the share of flagged rows that are not the detour (the false
    # discovery proportion) averages at most about the promised 5%.
    planted = {("node", "help"), ("edge", ("product", "help")), ("edge", ("help", "product"))}
    replicates, false_share = 30, []
    for seed in range(replicates):
        diff = journey.compare_graphs(_pair(2000, seed=seed, detour_b=0.25), by="variant", goal="purchase")
        flagged = {("node", n) for n, d in diff.nodes(data=True) if d.get("significant")}
        flagged |= {("edge", (a, b)) for a, b, d in diff.edges(data=True) if d["significant"]}
        assert planted <= flagged, seed
        false_share.append(len(flagged - planted) / len(flagged))
    assert np.mean(false_share) <= 0.05 + 2.5 * np.std(false_share) / np.sqrt(replicates), np.mean(false_share)

    diff = journey.compare_graphs(_pair(4000, seed=1, detour_b=0.25), by="variant", goal="purchase")
    assert isinstance(diff, nx.DiGraph) and diff.graph["baseline"] == "A" and diff.graph["versus"] == "B"
    # The truth: P(reach product) = 0.4 + 0.6 * 0.7 = 0.82; P(at least one detour | product) = detour.
    detour = diff.edges["product", "help"]
    assert detour["difference"] == pytest.approx(0.82 * 0.15, abs=0.02)
    assert detour["difference_ci_low"] < 0.82 * 0.15 < detour["difference_ci_high"]
    assert detour["versus_journeys"] == diff.versus_graph.edges["product", "help"]["journeys"]
    assert diff.graph["units"].startswith("journeys")
    assert diff.baseline_graph.graph["n_journeys"] == 4000
    nodes, edges = diff.to_frames()
    assert nodes["p_adjusted"].is_monotonic_increasing and edges["p_adjusted"].is_monotonic_increasing


def test_identical_variants_with_loops_rarely_flag_anything_and_intervals_cover() -> None:
    # Under identical variants every difference is 0: BH at 5% keeps the share of replicates with any
    # flagged touchpoint or transition near or below 5%, and each interval covers 0 about 95% of the time.
    replicates, any_flagged, covered, intervals = 80, 0, 0, 0
    for seed in range(replicates):
        diff = journey.compare_graphs(_pair(300, seed=100 + seed), by="variant", baseline="A")
        nodes, edges = diff.to_frames()
        both = pd.concat([nodes, edges])
        any_flagged += bool(both["significant"].any())
        tested = both[both["p_value"].notna()]
        covered += int(((tested["difference_ci_low"] <= 0) & (tested["difference_ci_high"] >= 0)).sum())
        intervals += len(tested)
    error = np.sqrt(0.05 * 0.95 / replicates)
    assert any_flagged / replicates <= 0.05 + 2.5 * error, any_flagged
    assert 0.93 <= covered / intervals <= 0.99, covered / intervals


def test_coverage_of_the_planted_difference_at_the_journey_level() -> None:
    # The detour share differs by 0.82 * (0.2 - 0.1) = 0.082: its interval covers that in about 95% of logs.
    hits, replicates = 0, 200
    truth = 0.82 * 0.1
    for seed in range(replicates):
        diff = journey.compare_graphs(_pair(250, seed=5000 + seed, detour_b=0.2), by="variant", baseline="A")
        d = diff.edges["product", "help"]
        hits += d["difference_ci_low"] <= truth <= d["difference_ci_high"]
    assert 0.93 <= hits / replicates <= 0.985, hits / replicates


def test_compare_graphs_on_periods_and_its_pictures() -> None:
    import matplotlib

    matplotlib.use("Agg")
    log = journey.read_events(journey.datasets.load_sample().events).with_period("M")
    with pytest.raises(JourneyError, match="has 9 segments .*give baseline=... and versus="):
        journey.compare_graphs(log, by="period")
    diff = journey.compare_graphs(log, by="period", baseline="2025-01", versus="2025-02", goal="purchase")
    assert (diff.graph["baseline"], diff.graph["versus"]) == ("2025-01", "2025-02")
    ax = journey.plot_journey_map(diff)
    assert ax.get_title() == "Journey map of changes: period 2025-02 against 2025-01 (baseline)"
    assert "JourneyDiff: period 2025-02" in repr(diff) and str(diff) == repr(diff)
    assert not re.search(r"0x[0-9a-f]{6,}", repr(diff))
    html = diff._repr_html_()
    assert "journey-result" in html
    forest = journey.compare_funnels(log, ["product", "cart"], by="period", baseline="2025-01").plot()
    assert forest.get_title() == "Funnel by period: difference from 2025-01"


def test_compare_graphs_errors_name_the_segments() -> None:
    log = _log({"A": [["home", "cart"]], "B": [["home"]]})
    with pytest.raises(JourneyError, match="versus='A' is the baseline too"):
        journey.compare_graphs(log, by="variant", baseline="A", versus="A")
    with pytest.raises(JourneyError, match="no journey has variant = 'Z'"):
        journey.compare_graphs(log, by="variant", baseline="Z")
    with pytest.raises(JourneyError, match="every journey is in one segment"):
        journey.compare_graphs(log[log["variant"] == "B"], by="variant")
    with pytest.raises(JourneyError, match="goal"):
        journey.compare_graphs(log, by="variant", goal="purchse")


# ---------------------------------------------------------------------------------------------------
# compare_variants


def test_compare_variants_by_hand() -> None:
    log = _log(
        {"A": [["home", "cart"]] * 3 + [["home"]] * 7, "B": [["home", "cart"]] * 6 + [["home"]] * 2 + [["help"]] * 2}
    )
    result = journey.compare_variants(log, by="variant", goal="cart")
    table = result.to_frame()
    assert result.baseline == "A"  # ten journeys each: the first in sort order
    assert table[["variant", "sequence", "journeys", "n", "conversions"]].values.tolist() == [
        ["A", ("home",), 7, 10, 0],
        ["A", ("home", "cart"), 3, 10, 3],
        ["A", ("help",), 0, 10, 0],
        ["B", ("home",), 2, 10, 0],
        ["B", ("home", "cart"), 6, 10, 6],
        ["B", ("help",), 2, 10, 0],
    ]
    b = table[table["variant"] == "B"]
    assert b["difference"].tolist() == pytest.approx([-0.5, 0.3, 0.2])
    low, high = newcombe_interval([2, 6, 2], [10] * 3, [7, 3, 0], [10] * 3)
    assert b["difference_ci_low"].tolist() == pytest.approx(low.tolist())
    assert b["difference_ci_high"].tolist() == pytest.approx(high.tolist())
    p = [journey.compare_proportions(k, 10, k0, 10).pvalue for k, k0 in ((2, 7), (6, 3), (2, 0))]
    assert b["p_value"].tolist() == pytest.approx(p)
    assert table["conversion_rate"].iloc[1] == 1.0 and np.isnan(table["conversion_rate"].iloc[2])
    top = journey.compare_variants(log, by="variant", top=1).to_frame()
    assert top["sequence"].tolist() == [("home",), ("home",)]
    with pytest.raises(JourneyError, match="top=0"):
        journey.compare_variants(log, by="variant", top=0)


def test_compare_variants_finds_where_mobile_paths_differ() -> None:
    sample = journey.datasets.load_sample().events
    result = journey.compare_variants(sample, by="device", goal="purchase", top=10)
    table = result.to_frame()
    assert len(table) == 20 and table["p_value"].notna().sum() == 10
    assert repr(result).startswith("VariantComparison: device, baseline mobile")
    # Shares within a segment never exceed 1 and the interval holds its estimate.
    assert ((table["ci_low"] <= table["share"]) & (table["share"] <= table["ci_high"])).all()
    assert table.groupby("device")["share"].sum().le(1).all()


def test_holm_and_by_adjust_the_same_p_values() -> None:
    from journey.stats.significance import adjust_pvalues

    sample = journey.datasets.load_sample().events
    steps = ["product", "cart", "checkout", "payment", "purchase"]
    tables = {
        a: journey.compare_funnels(sample, steps, by="acquisition", baseline="search", adjust=a).to_frame()
        for a in ("bh", "holm", "by")
    }
    p = tables["bh"]["p_value"]
    for method, table in tables.items():
        assert table["p_value"].equals(p)
        assert table["p_adjusted"].to_numpy() == pytest.approx(adjust_pvalues(p, method), nan_ok=True)
    assert (tables["holm"]["p_adjusted"].dropna() >= tables["bh"]["p_adjusted"].dropna()).all()
    diff = journey.compare_graphs(sample, by="device", adjust="holm")
    assert "Holm, family-wise error rate 5%" in repr(diff) and diff.graph["adjust"] == "holm"
    with pytest.raises(JourneyError, match="adjust"):
        journey.compare_variants(sample, by="device", adjust="fdr")
