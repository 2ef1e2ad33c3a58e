"""Orders and survival: repeat purchases, Kaplan-Meier against published values, time to churn and to reorder."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.container import ErrorbarContainer
from scipy.stats import CensoredData, binomtest, ecdf

import journey
from journey.analysis.repeat_purchase import RepeatRate
from journey.errors import InvalidValuesError, JourneyError, MissingColumnError
from journey.io.orders import read_orders
from journey.stats.intervals import newcombe_interval
from journey.stats.survival import SurvivalResult


def orders_of(rows, **extra):
    return pd.DataFrame(rows, columns=["customer_id", "timestamp"]).assign(**extra)


# -- reading orders ----------------------------------------------------------------------------------------------


def test_orders_use_customer_id_when_the_default_user_id_is_absent():
    o = orders_of([("b", "2025-01-02T10:00Z"), ("a", "2025-01-01T10:00Z")], amount=[1.0, 2.0])
    frame = read_orders(o)
    assert frame["user"].tolist() == ["a", "b"] and frame["user_code"].tolist() == [0, 1]
    assert list(frame.columns) == ["user", "time", "amount", "user_code"]
    both = o.assign(user_id=["x", "x"])  # user_id present: it is the user, customer_id an ordinary column
    assert read_orders(both)["user"].tolist() == ["x", "x"]
    assert read_orders(o.rename(columns={"customer_id": "client"}), user="client")["user"].tolist() == ["a", "b"]


def test_orders_name_missing_columns_with_the_keyword_to_pass():
    with pytest.raises(MissingColumnError, match=r"'user_id'.*user="):
        read_orders(orders_of([("a", "2025-01-01T00:00Z")]).rename(columns={"customer_id": "client"}))
    with pytest.raises(MissingColumnError, match=r"'oid'.*order_id="):
        read_orders(orders_of([("a", "2025-01-01T00:00Z")]), order_id="oid")
    with pytest.raises(JourneyError, match="'user' is in the orders but is not the user column"):
        read_orders(orders_of([("a", "2025-01-01T00:00Z")], user="someone else"))


@pytest.mark.parametrize("columns", [["customer_id", "timestamp", "timestamp"], ["customer_id", "timestamp", "x", "x"]])
def test_orders_naming_a_column_twice_are_refused_naming_it(columns):
    o = pd.DataFrame([["a", "2025-01-01T00:00Z", "2025-01-01T00:00Z", 1][: len(columns)]], columns=columns)
    with pytest.raises(JourneyError, match=f"more than once: '{columns[-1]}'"):
        read_orders(o)


def test_customer_ids_in_a_csv_file_stay_text_even_when_they_read_like_missing(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,timestamp\n007,2025-01-01T10:00Z\nNA,2025-01-02T10:00Z\n")
    assert read_orders(path)["user"].tolist() == ["007", "NA"]


def test_orders_read_a_semicolon_file_with_day_first_times_in_another_encoding(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes("client;heure;montant\nbéa;03/02/2025 10:00;5\nbéa;01/02/2025 09:30;7\n".encode("latin-1"))
    orders = read_orders(path, user="client", time="heure", sep=";", time_format="%d/%m/%Y %H:%M", encoding="latin-1")
    assert orders["user"].tolist() == ["béa", "béa"]
    assert orders["time"].tolist() == [
        pd.Timestamp("2025-02-01 09:30", tz="UTC"),
        pd.Timestamp("2025-02-03 10:00", tz="UTC"),
    ]
    assert orders["montant"].tolist() == [7, 5]
    with pytest.raises(JourneyError, match="sep must be one character"):
        read_orders(path, sep=";;")


def test_a_table_read_orders_returned_is_read_as_it_is_by_the_order_analyses():
    raw = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "c", "c"],
            "order_id": [1, 1, 2, 3, 4, 5],
            "timestamp": ["2025-01-01", "2025-01-01", "2025-01-11", "2025-01-05", "2025-01-02", "2025-01-04"],
        }
    )
    read = read_orders(raw, order_id="order_id")
    pd.testing.assert_frame_equal(read_orders(read), read)
    # Orders, not order lines: a has two orders (1 and 2), b one, c two.
    assert journey.repeat_rate(read).overall.k == journey.repeat_rate(raw, order_id="order_id").overall.k == 2
    km = journey.survival(read, outcome="next_purchase").to_frame()
    assert km["time"].tolist() == [2.0, 6.0, 10.0] and km["events"].tolist() == [1, 0, 1]


def test_orders_refuse_mixed_ids_and_unreadable_times():
    with pytest.raises(InvalidValuesError, match="customer_id"):
        journey.repeat_rate(orders_of([(1, "2025-01-01T00:00Z"), ("1", "2025-01-02T00:00Z")]))
    with pytest.raises(InvalidValuesError, match="'timestamp'"):
        journey.repeat_rate(orders_of([("a", "someday")]))
    with pytest.raises(JourneyError, match="start="):
        journey.repeat_rate(orders_of([("a", "2025-01-01T00:00Z")]), start="garbage")


# -- repeat rate -------------------------------------------------------------------------------------------------


def test_repeat_rate_counts_orders_or_distinct_order_ids():
    o = orders_of(
        [("a", "2025-01-01T10:00Z"), ("a", "2025-01-01T10:00Z"), ("b", "2025-01-02T10:00Z")],
        order_id=["o1", "o1", "o2"],
    )
    assert journey.repeat_rate(o).overall.k == 1  # rows: a has two
    assert journey.repeat_rate(o, order_id="order_id").overall.k == 0  # one order in two rows


def test_repeat_rate_without_segments_is_one_row_for_all_customers():
    o = orders_of(
        [("a", "2025-01-01"), ("a", "2025-03-01"), ("b", "2025-01-05"), ("c", "2025-02-01"), ("c", "2025-02-10")]
    )
    r = journey.repeat_rate(o, level=0.9)
    assert isinstance(r, RepeatRate) and len(r) == 1 and r.by is None
    frame = r.to_frame()
    assert list(frame.columns) == ["customers", "repeaters", "repeat_rate", "ci_low", "ci_high"]
    ci = binomtest(2, 3).proportion_ci(0.9, method="wilson")
    assert frame.iloc[0].tolist() == pytest.approx([3, 2, 2 / 3, ci.low, ci.high])
    assert (r.overall.k, r.overall.n) == (2, 3) and r.confidence_interval().low[0] == pytest.approx(ci.low)
    assert repr(r).startswith("RepeatRate: repeat rate 66.7% (90% CI") and "0x" not in repr(r)


def test_repeat_rate_within_censors_customers_not_observed_long_enough():
    o = orders_of(
        [
            ("a", "2025-01-01T00:00Z"),
            ("a", "2025-01-20T00:00Z"),  # repeats within 30 days
            ("b", "2025-01-05T00:00Z"),
            ("b", "2025-03-01T00:00Z"),  # repeats, but after 30 days
            ("c", "2025-03-20T00:00Z"),  # first order 12 days before the end
            ("d", "2025-04-01T00:00Z"),
        ]
    )
    r = journey.repeat_rate(o, within="30D").overall
    assert (r.k, r.n) == (1, 2)  # a yes, b no; c and d censored
    windowed = journey.repeat_rate(o, start="2025-01-03", end="2025-04-02").overall  # a's Jan 1 order is outside
    assert (windowed.k, windowed.n) == (1, 4)  # b has two orders in the window


def test_an_end_date_without_a_time_includes_that_whole_day():
    o = orders_of([("a", "2025-01-01T09:00Z"), ("a", "2025-01-31T18:00Z"), ("b", "2025-01-10T00:00Z")])
    assert journey.repeat_rate(o, end="2025-01-31").overall.k == 1  # a's order at 18:00 on the 31st counts
    assert journey.repeat_rate(o, end="2025-01-31T00:00Z").overall.k == 0  # an instant is an instant
    import datetime as dt

    for day in (
        "2025/01/31",
        "20250131",
        "2025-1-31",
        " 2025-01-31 ",
        dt.date(2025, 1, 31),
        np.datetime64("2025-01-31"),
    ):
        assert journey.repeat_rate(o, end=day).overall.k == 1, day
    for instant in (pd.Timestamp("2025-01-31", tz="UTC"), np.datetime64("2025-01-31T00:00"), "2025-01-31 00:00"):
        assert journey.repeat_rate(o, end=instant).overall.k == 0, instant
    # A start date is the start of its day; with within= the window of first orders ends after the end date too.
    assert journey.repeat_rate(o, start="2025/01/31").overall.n == 1
    assert journey.repeat_rate(o, end="2025-01-10", within="5D").overall.n == 2  # a, and b first ordering on the 10th
    assert journey.repeat_rate(o, end="2025-01-09", within="5D").overall.n == 1


def test_repeat_rate_by_segment_compares_each_segment_with_the_other_customers():
    o = orders_of(
        [(c, f"2025-01-0{i}T00:00Z") for i, c in enumerate("aabbccd", start=1)],
        plan=["pro", "pro", "pro", "pro", "free", "free", "free"],
    )
    r = journey.repeat_rate(o, by="plan")
    frame = r.to_frame()
    assert isinstance(r, RepeatRate) and r.by == "plan"
    assert list(frame.columns) == [
        "plan",
        "customers",
        "repeaters",
        "repeat_rate",
        "ci_low",
        "ci_high",
        "difference",
        "difference_ci_low",
        "difference_ci_high",
        "p_value",
        "p_adjusted",
        "significant",
    ]
    t = frame.set_index("plan")
    assert t.loc["pro", "repeat_rate"] == 1.0 and t.loc["free", "repeat_rate"] == 0.5
    # free (c repeats, d does not) against pro (a, b both repeat): 1/2 - 2/2.
    low, high = newcombe_interval([1], [2], [2], [2])
    assert t.loc["free", ["difference", "difference_ci_low", "difference_ci_high"]].tolist() == pytest.approx(
        [-0.5, low[0], high[0]]
    )
    assert not t["significant"].any() and (r.overall.k, r.overall.n) == (3, 4)
    assert "2 segments of plan" in repr(r)


def test_segment_is_the_value_on_the_first_order_even_when_missing():
    orders = pd.DataFrame(
        {
            "customer_id": list("aabccd"),
            "channel": [np.nan, "web", "web", "shop", "shop", np.nan],
            "timestamp": pd.to_datetime(
                ["2025-01-01", "2025-01-03", "2025-01-05", "2025-01-02", "2025-01-22", "2025-01-07"], utc=True
            ),
        }
    )
    t = journey.repeat_rate(orders, by="channel").to_frame()
    assert t["channel"].tolist()[:2] == ["shop", "web"] and pd.isna(t["channel"].iloc[2])  # missing last
    assert t["customers"].tolist() == [1, 1, 2]


def test_repeat_rate_errors_name_the_keyword():
    o = orders_of([("a", "2025-01-01T00:00Z")])
    with pytest.raises(MissingColumnError, match="by="):
        journey.repeat_rate(o, by="plann")
    with pytest.raises(JourneyError, match="no customer"):
        journey.repeat_rate(o, start="2030-01-01")


def test_repeat_rate_picture_draws_each_segment_with_its_interval():
    plt.close("all")
    o = orders_of([(c, f"2025-01-0{i}T00:00Z") for i, c in enumerate("aabbccd", start=1)], plan=list("ppppffx"))
    r = journey.repeat_rate(o, by="plan")
    _, ax = plt.subplots()
    assert journey.plot_repeat_rate(r, ax=ax) is ax
    (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars.lines[2][0].get_segments()) == len(r) == 3  # one interval per segment
    assert [t.get_text() for t in ax.get_yticklabels()] == ["f", "p", "x"]
    assert [t.get_text() for t in ax.texts] == ["1 of 1", "2 of 2", "0 of 1"]
    with pytest.raises(JourneyError, match="journey.repeat_rate"):
        journey.plot_repeat_rate(r.to_frame())


def test_inter_purchase_times_in_days():
    o = orders_of(
        [
            ("a", "2025-01-01T00:00Z"),
            ("a", "2025-01-03T12:00Z"),
            ("b", "2025-01-01T00:00Z"),
            ("a", "2025-01-04T12:00Z"),
        ],
        order_id=["1", "2", "3", "2"],
    )
    assert journey.inter_purchase_times(o).tolist() == [2.5, 1.0]
    assert journey.inter_purchase_times(o, order_id="order_id").tolist() == [2.5]  # order 2's second line


def test_the_sample_repeat_rate_and_interval():
    sample = journey.datasets.load_sample()
    r = journey.repeat_rate(sample.orders).overall
    low, high = r.confidence_interval()
    assert 0.27 < low < r.proportion < high < 0.31 and r.n == sample.orders["customer_id"].nunique()


# -- Kaplan-Meier ------------------------------------------------------------------------------------------------


# Freireich EJ et al. (1963), 6-MP arm of the acute leukaemia remission trial (weeks in remission; + censored),
# as tabulated with Kaplan-Meier estimates and Greenwood standard errors in Klein JP & Moeschberger ML (2003),
# Survival Analysis, 2nd ed., Table 4.1A.
SIX_MP = [
    6,
    6,
    6,
    7,
    10,
    13,
    16,
    22,
    23,
    (6,),
    (9,),
    (10,),
    (11,),
    (17,),
    (19,),
    (20,),
    (25,),
    (32,),
    (32,),
    (34,),
    (35,),
]
PUBLISHED = {
    6: (0.857, 0.0764),
    7: (0.807, 0.0869),
    10: (0.753, 0.0963),
    13: (0.690, 0.1068),
    16: (0.627, 0.1141),
    22: (0.538, 0.1282),
    23: (0.448, 0.1346),
}
DURATIONS = [x[0] if isinstance(x, tuple) else x for x in SIX_MP]
OBSERVED = [not isinstance(x, tuple) for x in SIX_MP]


def test_kaplan_meier_and_greenwood_match_the_published_6mp_table():
    km = journey.kaplan_meier(DURATIONS, OBSERVED)
    table = km.to_frame().set_index("time")
    assert list(km.to_frame().columns) == ["time", "at_risk", "events", "censored", "survival", "ci_low", "ci_high"]
    z = 1.959964
    for time, (s, se) in PUBLISHED.items():
        assert round(table.loc[time, "survival"], 3) == s
        # Greenwood ("linear") bounds are S -/+ z SE; the upper one is clipped at 1, so read SE from the lower.
        assert (table.loc[time, "survival"] - table.loc[time, "ci_low"]) / z == pytest.approx(se, abs=6e-5)
    assert table.loc[6].tolist()[:3] == [21, 3, 1] and table.loc[32, "censored"] == 2
    assert (km.n, km.n_events, km.n_censored) == (21, 9, 12)


def test_the_median_and_its_interval_where_the_band_crosses_one_half():
    km = journey.kaplan_meier(DURATIONS, OBSERVED)
    assert km.median == 23.0
    # From the published table: the lower bound first drops to 0.5 at 13 weeks (0.690 - 1.96 x 0.1068 = 0.481;
    # at 10 weeks 0.753 - 1.96 x 0.0963 = 0.564), and the upper bound never does (0.448 + 1.96 x 0.1346 > 0.5).
    low, high = km.median_confidence_interval()
    assert low == 13.0 and np.isnan(high)
    assert "median 23.0 days (95% CI 13.0 to not reached; 21 subjects, 9 events, 12 censored)" in repr(km)


def test_intervals_at_another_level_or_method_are_scipys():
    km = journey.kaplan_meier(DURATIONS, OBSERVED, level=0.9, method="log-log")
    reference = ecdf(
        CensoredData(
            uncensored=np.array(DURATIONS, float)[OBSERVED], right=np.array(DURATIONS, float)[~np.array(OBSERVED)]
        )
    ).sf
    ci = reference.confidence_interval(confidence_level=0.9, method="log-log")
    low, high = km.confidence_interval()
    assert low == pytest.approx(ci.low.probabilities) and high == pytest.approx(ci.high.probabilities)
    other = km.confidence_interval(level=0.99, method="linear")
    ci = reference.confidence_interval(confidence_level=0.99, method="linear")
    assert other.low == pytest.approx(np.clip(ci.low.probabilities, 0, 1))
    with pytest.raises(JourneyError, match="log-log"):
        km.confidence_interval(method="plain")


def test_kaplan_meier_refuses_what_it_cannot_estimate():
    with pytest.raises(JourneyError, match="same length"):
        journey.kaplan_meier([1, 2], [True])
    with pytest.raises(JourneyError, match="non-negative"):
        journey.kaplan_meier([1, -2], [True, True])
    with pytest.raises(JourneyError, match="every subject is censored"):
        journey.kaplan_meier([1, 2], [False, False])


def test_survival_picture_is_a_step_curve_with_its_band():
    plt.close("all")
    km = journey.kaplan_meier(DURATIONS, OBSERVED, outcome="relapse")
    _, ax = plt.subplots()
    assert km.plot(ax=ax) is ax
    assert ax.lines[0].get_drawstyle() == "steps-post" and ax.lines[0].get_ydata()[0] == 1.0
    assert any(isinstance(c, PolyCollection) for c in ax.collections)  # the pointwise band
    assert ax.get_title() == "Time to relapse" and "relapse" in repr(km) and "0x" not in repr(km)
    assert "&lt;b&gt;" in journey.kaplan_meier([1.0], [True], outcome="<b>")._repr_html_()


# -- survival from logs and orders -------------------------------------------------------------------------------


def test_time_to_churn_censors_customers_still_active():
    log = journey.read_events(
        pd.DataFrame(
            {
                "user_id": ["a", "a", "b"],
                "event": "visit",
                "timestamp": ["2025-01-01T00:00Z", "2025-01-11T00:00Z", "2025-02-25T00:00Z"],
            }
        )
    )
    km = journey.survival(log, inactive_after="30D")
    # a: active from Jan 1, lapses Feb 10 (40 days, observed); b: lapse Mar 27 is after the data end (censored).
    assert isinstance(km, SurvivalResult) and km.outcome == "churn"
    assert sorted(zip(km.durations.tolist(), km.observed.tolist())) == [(0.0, False), (40.0, True)]


def test_time_to_next_purchase_with_order_lines():
    o = orders_of(
        [
            ("a", "2025-01-01T00:00Z"),
            ("a", "2025-01-01T00:00Z"),
            ("a", "2025-01-11T00:00Z"),
            ("b", "2025-01-05T00:00Z"),
            ("c", "2025-01-02T00:00Z"),
            ("c", "2025-01-04T00:00Z"),
        ],
        order_id=["1", "1", "2", "3", "4", "5"],
    )
    km = journey.survival(o, outcome="next_purchase", order_id="order_id")
    # a: 10 days to the second order (its first order has two lines); b: censored at the data's end (6 days); c: 2.
    assert km.outcome == "next_purchase" and "time to next purchase" in repr(km)
    assert sorted(zip(km.durations.tolist(), km.observed.tolist())) == [(2.0, True), (6.0, False), (10.0, True)]
    lines = journey.survival(o, outcome="next_purchase")  # without order ids a's two lines are two orders
    assert sorted(lines.durations.tolist()) == [0.0, 2.0, 6.0]


def test_survival_arguments_are_named():
    log = journey.read_events(pd.DataFrame({"user_id": ["a"], "event": "visit", "timestamp": ["2025-01-01T00:00Z"]}))
    with pytest.raises(JourneyError, match="outcome"):
        journey.survival(log, outcome="purchase")
    with pytest.raises(JourneyError, match="user="):
        journey.survival(log, user="customer")
    with pytest.raises(JourneyError, match="inactive_after"):
        journey.survival(log, inactive_after="a while")


def test_scorecard_statuses_and_probabilities():
    met = journey.kpi("CSAT", (0.8, 0.75, 0.85), target=0.7)
    missed = journey.kpi("churn", (0.2, 0.18, 0.22), target=0.1, higher_is_better=False)
    unsure = journey.kpi("NPS", (10.0, -4.0, 24.0), target=12, kind="KGI")
    assert (met.status, missed.status, unsure.status) == ("met", "missed", "inconclusive")
    # A tuple is read as a normal interval about its midpoint (10): se = 14 / 1.96, one-sided confidence of > 12.
    from statistics import NormalDist

    assert unsure.confidence_met == pytest.approx(1 - NormalDist(10, 14 / 1.959964).cdf(12), abs=1e-6)
    card = journey.scorecard([met, missed, unsure])
    assert card.to_frame()["indicator"].tolist() == ["NPS", "CSAT", "churn"]  # KGIs first
    assert "missed" in card._repr_html_() and "0x" not in repr(card)
    with pytest.raises(JourneyError):
        journey.kpi("x", object(), target=1)
