"""experience_map: hand counts, the planted pain at support, interval coverage, validation and the swimlane picture."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection

import journey
from journey.analysis.experience import ExperienceMap, experience_map, median_interval_ranks
from journey.errors import JourneyError, JourneyWarning, UnknownEventError
from journey.io.combine import combine_logs

# --- a simulated shop in six stages -------------------------------------------------------------------
#
# Every customer starts in discover (85%) or consider, visits one touchpoint of each stage it reaches,
# chosen uniformly, and goes on with the stage's probability, so within a stage every touchpoint has the
# same exit rate. After each touchpoint a customer answers the survey with probability 0.3, five minutes
# later; with the planted pain, answers right after support are mostly detractors (NPS -60, else +30).

STAGES = {
    "discover": ["ad_click", "search", "social"],
    "consider": ["product", "reviews"],
    "buy": ["purchase"],
    "delivery": ["shipped", "tracking"],
    "service": ["support", "faq"],
    "advocacy": ["review", "referral"],
}
NAMES = list(STAGES)
#: Next stage, by a uniform draw: (stage, probability) in order; what is left over ends the journey.
NEXT = {0: [(1, 0.7)], 1: [(2, 0.5)], 2: [(3, 0.95)], 3: [(4, 0.35), (5, 0.35)], 4: [(5, 0.3)], 5: []}
START_IN_DISCOVER = 0.85
ANSWER = 0.3
BASE, HURT = (0.5, 0.3, 0.2), (0.1, 0.2, 0.7)  # promoter, passive, detractor shares


def true_reach():
    reach = np.zeros(6)
    reach[0], reach[1] = START_IN_DISCOVER, 1 - START_IN_DISCOVER
    for stage in range(6):
        for nxt, p in NEXT[stage]:
            reach[nxt] += reach[stage] * p
    return reach


def true_nps(pain=True):
    nps = np.full(6, 100 * (BASE[0] - BASE[2]))
    if pain:  # service: half its answers after support, half after faq
        nps[4] = 100 * ((BASE[0] + HURT[0]) / 2 - (BASE[2] + HURT[2]) / 2)
    return nps


def simulate(n=3000, seed=0, pain=True, prefix="c", leak=None):
    """Events and survey answers of ``n`` customers; customers at the touchpoint ``leak`` go on 40% less often."""
    rng = np.random.default_rng(seed)
    stage = np.where(rng.random(n) < START_IN_DISCOVER, 0, 1)
    alive = np.ones(n, dtype=bool)
    t = rng.uniform(0, 30 * 86400, n)
    events, answers = [], []
    users = np.array([f"{prefix}{i:05d}" for i in range(n)], dtype=object)
    current = np.full(n, "", dtype=object)
    while alive.any():
        who = np.flatnonzero(alive)
        for s in np.unique(stage[who]):
            here = who[stage[who] == s]
            options = STAGES[NAMES[s]]
            touchpoint = np.array(options, dtype=object)[rng.integers(0, len(options), len(here))]
            current[here] = touchpoint
            events.append(pd.DataFrame({"user_id": users[here], "event": touchpoint, "seconds": t[here]}))
            answering = rng.random(len(here)) < ANSWER
            hurt = (touchpoint == "support") & pain
            shares = np.where(hurt[:, None], np.array(HURT)[None, :], np.array(BASE)[None, :])
            category = (rng.random(len(here))[:, None] > np.cumsum(shares, axis=1)).sum(axis=1)
            score = np.choose(
                category, [rng.integers(9, 11, len(here)), rng.integers(7, 9, len(here)), rng.integers(0, 7, len(here))]
            )
            satisfied = rng.random(len(here)) < np.where(hurt, 0.3, 0.8)
            csat = np.where(satisfied, rng.integers(4, 6, len(here)), rng.integers(1, 4, len(here)))
            answers.append(
                pd.DataFrame({"user_id": users[here], "score": score, "csat": csat, "seconds": t[here] + 300})[
                    answering
                ]
            )
        u = rng.random(n) / np.where(current == leak, 0.6, 1.0)  # a leaky touchpoint: every move 40% rarer
        nxt = np.full(n, -1)
        for s, moves in NEXT.items():
            edge = 0.0
            for target, p in moves:
                take = (stage == s) & (u >= edge) & (u < edge + p)
                nxt[take] = target
                edge += p
        t = t + 3600 * rng.lognormal(1.5, 0.8, n) + 600  # at least ten minutes to the next touchpoint
        alive &= nxt >= 0
        stage = np.where(alive, nxt, stage)
    origin = pd.Timestamp("2025-01-01", tz="UTC")
    frames = []
    for table in (pd.concat(events, ignore_index=True), pd.concat(answers, ignore_index=True)):
        table["timestamp"] = origin + pd.to_timedelta(table.pop("seconds").round(), unit="s")
        frames.append(table)
    return frames[0], journey.read_survey(frames[1])


@pytest.fixture(scope="module")
def shop():
    events, survey = simulate()
    return events, survey, experience_map(events, stages=STAGES, survey=survey, goal="purchase")


# --- what the map says ---------------------------------------------------------------------------------


def paths_log(paths, hours=1):
    rows = [(f"u{i}", event) for i, path in enumerate(paths) for event in path]
    return pd.DataFrame(rows, columns=["user_id", "event"]).assign(
        timestamp=pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(np.arange(len(rows)) * hours, unit="h")
    )


HAND = [
    ["ad", "product", "buy"],
    ["ad", "product"],
    ["search", "product", "buy", "ship"],
    ["search"],
    ["product", "ad"],
    ["faq"],
]
HAND_STAGES = {"discover": ["ad", "search"], "consider": "product", "buy": ["buy"], "delivery": "ship"}


def test_reach_progression_and_time_equal_a_hand_count():
    table = experience_map(paths_log(HAND), stages=HAND_STAGES, goal="buy").to_frame().set_index("stage")
    # 6 customers; discover: u0, u1, u2, u3, u4 (ad after product still reaches it); consider: u0, u1, u2, u4.
    assert table["reach_n"].tolist() == [6, 6, 6, 6]
    assert table["reach"].tolist() == pytest.approx([5 / 6, 4 / 6, 2 / 6, 1 / 6])
    # From discover on: u0, u1, u2 go to a later stage; u3 stops; u4 entered discover after consider.
    assert table.loc["discover", ["progression", "progression_n"]].tolist() == [pytest.approx(3 / 5), 5]
    # From consider: u0 and u2 reach buy; u1 stops; u4 only goes back to discover.
    assert table.loc["consider", ["progression", "progression_n"]].tolist() == [0.5, 4]
    # buy holds the goal: entering it is reaching it. delivery comes after the goal's stage and is last:
    # nothing can follow it.
    assert table.loc["buy", "progression"] == 1.0 and np.isnan(table.loc["delivery", "progression"])
    assert table.loc["delivery", "progression_n"] == 1
    # Time in discover: u0 1h (ad -> product), u1 1h, u2 1h, u3 0 (journey ends there), u4 0 (ad is last).
    assert table.loc["discover", ["median_seconds", "median_seconds_n"]].tolist() == [3600.0, 5]
    low, high = table.loc["discover", ["reach_ci_low", "reach_ci_high"]]
    assert (low, high) == pytest.approx(tuple(journey.proportion(5, 6).confidence_interval()))


def test_without_a_goal_the_last_stage_has_no_progression():
    table = experience_map(paths_log(HAND), stages=HAND_STAGES).to_frame()
    assert np.isnan(table["progression"].iloc[-1]) and np.isnan(table["progression_ci_low"].iloc[-1])
    assert table["progression"].iloc[0] == pytest.approx(3 / 5)


def test_simulated_reach_and_progression_equal_a_count_of_the_events(shop):
    events, _, result = shop
    stage_of = {t: s for s, ts in STAGES.items() for t in ts}
    ev = events.assign(stage=events["event"].map(stage_of).map(NAMES.index)).sort_values(["user_id", "timestamp"])
    n = ev["user_id"].nunique()
    reached = ev.groupby("stage")["user_id"].nunique()
    later = {s: set() for s in range(6)}
    # Stages follow each other in time, so a later stage after entering one is any later stage at all, and
    # the purchase comes from entering discover, consider or buy on.
    stages_of = ev.groupby("user_id")["stage"].agg(set)
    bought = set(ev.loc[ev["event"] == "purchase", "user_id"])
    for user, seen in stages_of.items():
        for s in seen:
            if any(x > s for x in seen) or (user in bought and s <= 2):
                later[s].add(user)
    table = result.to_frame()
    assert table["reach_n"].tolist() == [n] * 6
    assert (table["reach"] * n).round().astype(int).tolist() == [int(reached[s]) for s in range(6)]
    assert table["progression_n"].tolist() == [int(reached[s]) for s in range(6)]
    progressed = (table["progression"] * table["progression_n"]).iloc[:5].round().astype(int)
    assert progressed.tolist() == [len(later[s]) for s in range(5)]
    assert np.isnan(table["progression"].iloc[5])  # advocacy: after the goal's stage, and last


def test_the_planted_pain_shows_at_support_and_only_there(shop):
    _, _, result = shop
    table = result.to_frame().set_index("stage")
    assert table["nps"].idxmin() == "service"
    others = table.drop(index="service")["nps"]
    low, high = table.loc["service", ["nps_ci_low", "nps_ci_high"]]
    assert (others > high).all() and low < table.loc["service", "nps"] < high
    pain = result.pain_points
    assert pain[["stage", "touchpoint", "measure"]].values.tolist() == [["service", "support", "NPS"]]
    row = pain.iloc[0]
    assert row["difference"] < -50 and row["difference_ci_high"] < 0 and row["p_adjusted"] < 1e-6
    assert row["compared_with"] == "rest of the map" and np.isnan(row["expected_lost_conversions"])  # after buying
    assert "1 pain point: support (NPS)" in repr(result)
    # Every touchpoint of a stage of two or more has its exit test, NPS tests for all: one BH family.
    tests = result.comparisons
    assert set(tests.loc[tests["measure"] == "exit rate", "touchpoint"]) == {
        t for ts in STAGES.values() if len(ts) > 1 for t in ts
    }
    assert set(tests.loc[tests["measure"] == "NPS", "touchpoint"]) == {t for ts in STAGES.values() for t in ts}


def test_without_a_planted_pain_nothing_is_flagged():
    events, survey = simulate(pain=False, seed=1)
    result = experience_map(events, stages=STAGES, survey=survey, goal="purchase")
    assert len(result.pain_points) == 0 and len(result.comparisons) == 23  # 11 exit tests, 12 NPS tests
    assert "no pain point (adjusted p < 0.05)" in repr(result)


def test_a_touchpoint_customers_leave_from_is_an_exit_pain_point_with_its_lost_conversions():
    events, survey = simulate(seed=2, leak="reviews")
    pain = experience_map(events, stages=STAGES, survey=survey, goal="purchase").pain_points
    assert sorted(map(tuple, pain[["touchpoint", "measure"]].values.tolist())) == [
        ("reviews", "exit rate"),
        ("support", "NPS"),
    ]
    row = pain.set_index("touchpoint").loc["reviews"]
    # Reviews' visitors leave 70% of the time (1 - 0.5 x 0.6), product's 50%.
    assert row["compared_with"] == "rest of the stage" and row["difference_ci_low"] > 0
    assert row["value"] == pytest.approx(0.7, abs=0.04) and row["other_value"] == pytest.approx(0.5, abs=0.04)
    assert row["expected_lost_conversions"] > 0


def test_csat_comes_with_its_interval_when_the_survey_has_it(shop):
    _, survey, result = shop
    table = result.to_frame()
    assert list(table.columns[:21]) == [
        "stage",
        "reach",
        "reach_ci_low",
        "reach_ci_high",
        "reach_n",
        "progression",
        "progression_ci_low",
        "progression_ci_high",
        "progression_n",
        "nps",
        "nps_ci_low",
        "nps_ci_high",
        "nps_n",
        "csat",
        "csat_ci_low",
        "csat_ci_high",
        "csat_n",
        "median_seconds",
        "median_seconds_ci_low",
        "median_seconds_ci_high",
        "median_seconds_n",
    ]
    service = table.set_index("stage").loc["service"]
    assert service["csat"] < table.set_index("stage").drop(index="service")["csat"].min()
    without = experience_map(shop[0], stages=STAGES, survey=survey.drop(columns="csat"), goal="purchase").to_frame()
    assert "csat" not in without.columns and without["nps"].equals(table["nps"])


def test_answers_belong_to_the_stage_of_the_last_touchpoint_before_them():
    events = paths_log([["ad", "product", "buy"], ["ad"]])  # u0 at 0h, 1h, 2h; u1 at 3h
    at = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta([0.5, 1.0, 1.2, 1.5, -1, 4], unit="h")
    survey = journey.read_survey(
        pd.DataFrame({"user_id": ["u0", "u0", "u0", "u0", "u0", "u1"], "score": [10, 2, 0, 3, 9, 9], "timestamp": at})
    )
    result = experience_map(events, stages={"discover": "ad", "consider": "product", "buy": "buy"}, survey=survey)
    table = result.to_frame().set_index("stage")
    # u0's answers at 0.5h and at 1h (the instant of product, which comes after it) are in discover, the
    # latest (2) counting; at 1.2h and 1.5h in consider, the latest (3) counting; the answer before any
    # touchpoint belongs to no stage; u1's at 4h is in discover.
    assert table["nps_n"].tolist() == [2, 1, 0]
    assert table.loc["discover", "nps"] == 0.0 and table.loc["consider", "nps"] == -100.0
    assert (result.n_answers, result.n_unplaced) == (3, 1)


def test_answers_kept_in_the_log_as_events_do_not_claim_themselves():
    events = paths_log([["ad", "product"]])  # u0 at 0h and 1h
    answered = pd.Timestamp("2025-01-01T01:30Z")
    survey = journey.read_survey(pd.DataFrame({"user_id": ["u0"], "score": [3], "timestamp": [answered]}))
    web = journey.read_events(events)
    answers = journey.read_events(
        pd.DataFrame({"user_id": ["u0"], "event": ["survey answer"], "timestamp": [answered]})
    )
    log = combine_logs({"web": web, "survey": answers})
    stages = {"discover": "ad", "consider": "product", "feedback": "survey answer"}
    table = experience_map(log, stages=stages, survey=survey).to_frame()
    assert table["nps_n"].tolist() == [0, 1, 0]


def test_respondents_missing_from_the_log_are_left_out_with_a_warning():
    events = paths_log([["ad"]])
    survey = journey.read_survey(
        pd.DataFrame({"user_id": ["u0", "zz"], "score": [9, 1], "timestamp": pd.Timestamp("2025-02-01", tz="UTC")})
    )
    with pytest.warns(JourneyWarning, match="1 survey respondents have no events"):
        result = experience_map(events, stages={"discover": "ad"}, survey=survey)
    assert result.to_frame()["nps_n"].tolist() == [1]


def test_the_median_interval_uses_the_published_order_statistics():
    # Conover (1999), table A3 / the binomial(n, 1/2) ranks: n = 20 at 95% is x(6) to x(15); n = 5 has none.
    low, high = median_interval_ranks(np.array([5, 6, 20]), 0.95)
    assert low.tolist() == [0, 1, 6] and high.tolist() == [0, 6, 15]
    events = paths_log([["ad", "product"]] * 20)
    table = experience_map(events, stages={"discover": "ad", "consider": "product"}).to_frame()
    assert table.loc[0, ["median_seconds", "median_seconds_ci_low", "median_seconds_ci_high"]].tolist() == [3600.0] * 3


# --- coverage -------------------------------------------------------------------------------------------


def test_reach_and_stage_nps_intervals_cover_the_truth_by_simulation():
    # One log of 40,000 customers, each put at random in one of 250 groups whose six stages have touchpoints
    # of their own ("support@17"): the 1,500 stages are 1,500 replicates in one call. A customer reaches a
    # stage of group g with probability true reach / 250 independently of every other customer, so each
    # stage's reached count is binomial over all customers, as reach is; stage NPS truths are unchanged.
    groups = 250
    events, survey = simulate(40_000, seed=7)
    group = np.random.default_rng(8).integers(0, groups, events["user_id"].nunique())
    codes = events["user_id"].str[1:].astype(int).to_numpy()
    events["event"] = events["event"] + "@" + group[codes].astype(str)
    stages = {
        f"{name}@{g}": [f"{t}@{g}" for t in touchpoints] for g in range(groups) for name, touchpoints in STAGES.items()
    }
    table = experience_map(events, stages=stages, survey=survey).to_frame()
    reach, nps = np.tile(true_reach() / groups, groups), np.tile(true_nps(), groups)
    covered = (table["reach_ci_low"] <= reach) & (reach <= table["reach_ci_high"])
    answered = table["nps_n"] > 0
    nps_covered = ((table["nps_ci_low"] <= nps) & (nps <= table["nps_ci_high"]))[answered]
    assert answered.mean() > 0.95
    assert 0.93 <= covered.mean() <= 0.97, covered.mean()
    assert 0.93 <= nps_covered.mean() <= 0.97, nps_covered.mean()


# --- arguments ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stages, error, message",
    [
        (
            {"discover": ["ad", "serch"]},
            UnknownEventError,
            r"event 'serch' \(stages\['discover'\]='serch'\).*Did you mean 'search'",
        ),
        (
            {"discover": ["ad", "product"], "consider": ["product"]},
            JourneyError,
            "touchpoint 'product' is in two stages, 'discover' and 'consider'",
        ),
        ({"discover": []}, JourneyError, "stage 'discover' has no touchpoints"),
        ({}, JourneyError, "not an empty mapping"),
        (["ad", "product"], JourneyError, "maps each stage name, in order, to its touchpoints"),
        ({"discover": 3.5}, JourneyError, "give its touchpoints as a name or a list of names"),
        ({" ": ["ad"]}, JourneyError, "non-blank"),
    ],
)
def test_stages_are_checked_before_any_work(stages, error, message):
    with pytest.raises(error, match=message):
        experience_map(paths_log(HAND), stages=stages)


def test_a_survey_must_say_when_each_answer_was_given():
    survey = pd.DataFrame({"user_id": ["u0"], "score": [9]})
    with pytest.raises(JourneyError, match="every answer needs its time"):
        experience_map(paths_log(HAND), stages=HAND_STAGES, survey=survey)
    with pytest.raises(JourneyError, match="read it with journey.read_survey\\(..., score=...\\)"):
        experience_map(paths_log(HAND), stages=HAND_STAGES, survey=pd.DataFrame({"user_id": ["u0"], "nps": [9]}))
    with pytest.raises(UnknownEventError, match="goal='buyy'"):
        experience_map(paths_log(HAND), stages=HAND_STAGES, goal="buyy")
    with pytest.raises(JourneyError, match="level must be"):
        experience_map(paths_log(HAND), stages=HAND_STAGES, level=95)


def test_the_result_follows_the_protocol(shop):
    _, _, result = shop
    assert isinstance(result, ExperienceMap) and len(result) == 6
    text, page = repr(result), result._repr_html_()
    assert text.startswith("ExperienceMap: 6 stages, 3,000 customers") and "0x" not in text
    assert page.startswith('<div class="journey-result">')
    low, high = result.confidence_interval()
    assert np.allclose(low, result.to_frame()["reach_ci_low"]) and np.allclose(high, result.to_frame()["reach_ci_high"])
    narrow = result.confidence_interval(0.8)
    assert (narrow.low >= low - 1e-12).all() and (narrow.high <= high + 1e-12).all()
    assert result.touchpoints.groupby("stage", sort=False)["share_of_stage_events"].sum().round(9).eq(1).all()
    assert result.to_frame().set_index("stage").loc["discover", "main_touchpoints"].count(",") == 2


# --- the swimlane picture ---------------------------------------------------------------------------------


def test_the_swimlane_picture_has_its_columns_lanes_band_and_pain(shop):
    _, _, result = shop
    fig, ax = plt.subplots(figsize=(14, 7))
    assert result.plot(ax=ax) is ax
    assert ax.get_title().startswith("Customer journey map: 3,000 customers")
    assert [t.get_text() for t in ax.get_xticklabels()] == NAMES
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Reach and progression",
        "Main touchpoints",
        "Time in stage",
        "Emotion (NPS)",
        "Pain points",
    ]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1 and "95% interval" in bands[0].get_label()
    curve = [line for line in ax.get_lines() if line.get_label().startswith("NPS of the answers")]
    assert len(curve) == 1 and len(curve[0].get_xdata()) == 6
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith("support: NPS -") for t in texts)
    assert sum(t == "none found" for t in texts) == 5
    assert any(t.startswith(("reach 100.0%", "reach 8")) for t in texts)
    assert any("CSAT" in t for t in texts) and any(t.startswith("median ") for t in texts)
    plt.close(fig)


@pytest.mark.parametrize("k", [4, 8])
def test_the_picture_stays_legible_with_four_to_eight_stages(k):
    names = [f"stage number {i}" for i in range(k)]
    stages = {name: [f"touchpoint_with_a_long_name_{i}_{j}" for j in range(4)] for i, name in enumerate(names)}
    paths = [[stages[names[s]][(i // k) % 4] for s in range(1 + i % k)] for i in range(8 * k)]
    ax = experience_map(paths_log(paths), stages=stages).plot()
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    to_data = ax.transData.inverted()
    for text in [t for t in ax.texts if t.get_gid() != "lane-note"]:  # every column's text stays inside it
        (x0, _), (x1, _) = to_data.transform(text.get_window_extent(renderer).get_points())
        column = np.floor(text.get_position()[0])
        assert column - 0.01 <= x0 and x1 <= column + 1.01, text.get_text()
    plt.close(fig)


def test_many_two_by_two_tests_at_once_are_the_tests_of_each_table():
    from journey.stats.significance import independence_test, two_by_two_tests

    rng = np.random.default_rng(1)
    n1, n2 = rng.integers(0, 60, 300), rng.integers(0, 60, 300)
    k1, k2 = rng.integers(0, n1 + 1), rng.integers(0, n2 + 1)
    each = [independence_test([[a, b - a], [c, d - c]])[0] for a, b, c, d in zip(k1, n1, k2, n2)]
    np.testing.assert_allclose(two_by_two_tests(k1, n1, k2, n2), each, rtol=1e-12)
