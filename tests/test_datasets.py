"""The bundled sample: reproducible from its generator, and telling the story it promises."""

import gzip
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import journey
from journey import datasets
from journey.errors import JourneyError, SourceError


@pytest.fixture(scope="module")
def generated():
    return datasets.simulate()


@pytest.mark.parametrize("name", list(datasets.FILES))
def test_bundled_files_are_byte_identical_to_the_generator_output(generated, name):
    # The CSV bytes inside the gzip container are compared: the container's compressed bytes depend on
    # the zlib build, the content does not.
    stored = gzip.decompress(datasets.sample_path(name).read_bytes())
    assert stored == datasets.csv_bytes(getattr(generated, name)), (
        f"run `make data` to regenerate journey/datasets/data/{datasets.FILES[name]}"
    )


def test_bundled_data_stays_small():
    # 2.2 MB for the six tables of 20,000 customers; the web events are three quarters of it.
    assert sum(datasets.sample_path(name).stat().st_size for name in datasets.FILES) < 3 * 2**20


def test_the_sample_files_live_inside_the_package():
    assert datasets.sample_path("orders") == Path(datasets.__file__).parent / "data" / "orders.csv.gz"
    with pytest.raises(JourneyError, match="table must be one of 'events', 'survey', 'orders', .*, not 'order'"):
        datasets.sample_path("order")


def test_load_sample_reads_the_shipped_files_and_never_simulates(monkeypatch):
    def no_simulation(*args, **kwargs):
        raise AssertionError("load_sample simulated")

    monkeypatch.setattr(datasets, "simulate", no_simulation)
    sample = datasets.load_sample()
    assert len(sample.events) == 261_916 and sample.survey["nps"].dtype == "Int64"
    assert [len(t) for t in sample[1:]] == [10_683, 9_088, 3_724, 17_997, 8_062]


def test_a_folder_without_the_files_is_an_error_naming_them(tmp_path):
    (tmp_path / "events.csv.gz").write_bytes(datasets.sample_path("events").read_bytes())
    with pytest.raises(
        SourceError, match=r"sample files survey.csv.gz, orders.csv.gz, .*followups.csv.gz not found in .*write_sample"
    ):
        datasets.load_sample(tmp_path)


def test_write_sample_writes_where_it_is_told_and_load_sample_reads_it_back(tmp_path):
    written = datasets.write_sample(tmp_path / "new", n_customers=40, seed=3)
    assert [p.parent for p in written] == [tmp_path / "new"] * len(datasets.FILES)
    read, made = datasets.load_sample(tmp_path / "new"), datasets.simulate(40, seed=3)
    for name in datasets.FILES:
        pd.testing.assert_frame_equal(getattr(read, name), getattr(made, name), check_dtype=False)


def test_regenerating_needs_a_folder_so_an_installed_package_is_never_written_to():
    with pytest.raises(TypeError):
        datasets.write_sample()
    run = subprocess.run([sys.executable, "-m", "journey.datasets"], capture_output=True, text=True)
    assert run.returncode == 2 and "FOLDER" in run.stderr


def test_the_same_seed_gives_the_same_tables_and_another_seed_does_not():
    a, b, c = datasets.simulate(300, seed=7), datasets.simulate(300, seed=7), datasets.simulate(300, seed=8)
    pd.testing.assert_frame_equal(a.events, b.events)
    assert not a.events.equals(c.events)


def test_load_sample_returns_six_tables_that_read_cleanly():
    sample = datasets.load_sample()
    log = journey.read_events(sample.events)
    assert log.n_users == 20_000 and len(log.dropped) == 0
    assert sample.survey["nps"].dropna().between(0, 10).all() and sample.survey["csat"].dropna().between(1, 5).all()
    customers = set(sample.events["user_id"])
    assert set(sample.orders["customer_id"]) <= customers
    for name in ("survey", "support", "deliveries", "followups"):
        assert set(getattr(sample, name)["user_id"]) <= customers, name
        assert getattr(sample, name)["timestamp"].is_monotonic_increasing, name  # an export, in time order
    assert set(sample.deliveries["order_id"]) <= set(sample.orders["order_id"])


def test_every_delivery_belongs_to_its_customers_order_and_comes_after_it(generated):
    d = generated.deliveries.merge(generated.orders, on="order_id", suffixes=("", "_order"))
    assert len(d) == len(generated.deliveries) and (d["user_id"] == d["customer_id"]).all()
    assert (pd.to_datetime(d["timestamp"]) > pd.to_datetime(d["timestamp_order"])).all()
    per_order = d.groupby("order_id")["event"].agg(list)
    assert per_order.map(lambda e: e[0] == "shipped" and len(e) <= 2).all()  # shipped, then one arrival at most
    assert (generated.deliveries.groupby("order_id").size() == 1).sum() < 0.02 * len(per_order)  # cut by the end


def test_the_acquisition_column_is_named_so_combine_logs_can_add_its_channel():
    sample = datasets.load_sample()
    assert "channel" not in sample.events.columns
    assert sample.events.groupby("user_id")["acquisition"].nunique().eq(1).all()  # fixed per customer
    share = sample.events.drop_duplicates("user_id")["acquisition"].value_counts(normalize=True)
    assert share["ad"] == pytest.approx(0.40, abs=0.02) and share["email"] == pytest.approx(0.25, abs=0.02)


def test_acquisition_is_steady_month_by_month(generated):
    first = pd.to_datetime(generated.events.groupby("user_id")["timestamp"].min())
    days = first.dt.tz_localize(None).dt.to_period("M").value_counts().sort_index()
    # Arrivals are uniform over the whole observation: new customers per day of each month, January's
    # 26 days (from the 6th) included, stay within 12% of 20,000 / 268 days; no month is a cliff.
    per_day = days / pd.Series(days.index.days_in_month, index=days.index).where(
        days.index != pd.Period("2025-01", "M"), 26
    )
    assert len(days) == 9 and (per_day / (20_000 / 268)).between(0.88, 1.12).all()


def test_monthly_churn_is_that_of_a_shop_with_regulars(generated):
    c = journey.churn(journey.read_events(generated.events))
    complete = c.to_frame().query("complete and customers_at_start > 0")
    assert len(complete) == 7  # February to August; September is still running when the data ends
    assert complete["churn_rate"].between(0.5, 0.65).all()
    low, high = c.overall.confidence_interval()
    assert 0.5 < low < c.overall.lost / c.overall.at_start < high < 0.62 and high - low < 0.02


def _combined(sample):
    orders = journey.read_events(sample.orders.assign(event="order"), user="customer_id")
    return journey.combine_logs(
        {
            "web": sample.events,
            "orders": orders,
            "support": sample.support,
            "delivery": sample.deliveries,
            "follow-up": sample.followups,
        }
    )


STAGES = {
    "discover": ["ad_click", "email_click", "search"],
    "browse": ["home", "category", "product", "cart"],
    "buy": ["checkout", "payment", "purchase"],
    "delivery": ["shipped", "delivered", "late_delivery"],
    "service": ["support", "chat", "ticket"],
    "advocacy": ["review_request", "review"],
}


@pytest.fixture(scope="module")
def journey_map(generated):
    return journey.experience_map(
        _combined(generated), stages=STAGES, survey=journey.read_survey(generated.survey, score="nps"), goal="purchase"
    )


def test_the_experience_map_finds_late_delivery_as_the_pain_of_the_delivery_stage(journey_map):
    pain = journey_map.pain_points.set_index(["touchpoint", "measure"])
    # Planted: most late deliveries end the journey (no review request, few returns), and the answers
    # after one score 3.5 points lower on the latent 0-10 scale.
    exits = pain.loc[("late_delivery", "exit rate")]
    assert exits["value"] > 0.6 > 0.15 > exits["other_value"] and exits["difference_ci_low"] > 0.5
    nps = pain.loc[("late_delivery", "NPS")]
    assert nps["value"] < -80 and nps["difference_ci_high"] < -40
    assert not any(t in ("delivered", "shipped") for t, _ in pain.index)
    # It is the strongest difference of its kind across the whole map.
    table = journey_map.pain_points
    assert (
        table.loc[table["measure"] == "exit rate", "difference"].idxmax()
        == table.index[(table["touchpoint"] == "late_delivery") & (table["measure"] == "exit rate")][0]
    )


def test_the_experience_map_shows_support_contact_as_the_low_point_of_the_emotion_curve(journey_map):
    t = journey_map.to_frame().set_index("stage")
    assert t["nps"].idxmin() == "service"
    assert t.loc["service", "nps_ci_high"] < t.drop(index="service")["nps"].min()
    pain = journey_map.pain_points
    assert {"support", "chat", "ticket"} <= set(pain.loc[pain["measure"] == "NPS", "touchpoint"])
    # The delivery stage as a whole is well liked: the late parcels are a minority of its answers.
    assert t.loc["delivery", "nps"] > t.loc["browse", "nps"] + 20


def test_the_experience_map_reach_equals_a_hand_count(generated, journey_map):
    t = journey_map.to_frame().set_index("stage")
    everything = pd.concat(
        [
            generated.events[["user_id", "event"]],
            generated.support[["user_id", "event"]],
            generated.deliveries[["user_id", "event"]],
            generated.followups[["user_id", "event"]],
        ]
    )
    for stage, touchpoints in STAGES.items():
        reached = everything.loc[everything["event"].isin(touchpoints), "user_id"].nunique()
        assert t.loc[stage, "reach"] * 20_000 == pytest.approx(reached) and t.loc[stage, "reach_n"] == 20_000


def test_survey_answers_follow_the_contact_points_that_invite_them(generated):
    answers = generated.survey.assign(t=pd.to_datetime(generated.survey["timestamp"]))
    # A responder is a trait of the customer, so the share answering hardly depends on the path: buyers
    # get more invitations but are not much more often respondents.
    buyers = set(generated.orders["customer_id"])
    users = generated.events.drop_duplicates("user_id")["user_id"]
    responded = users.isin(set(answers["user_id"]))
    rate_buyers, rate_others = responded[users.isin(buyers)].mean(), responded[~users.isin(buyers)].mean()
    assert 0.8 < rate_buyers / rate_others < 1.25 and 0.25 < responded.mean() < 0.4
    assert answers.groupby("user_id").size().max() > 1  # customers answer more than once, at different stages
    log = journey.read_events(generated.events)
    f = log.frame
    nxt = f["event"].astype(str).shift(-1).where(f["user"].shift(-1) == f["user"])
    at_payment = f[f["event"] == "payment"].assign(bought=nxt[f["event"] == "payment"] == "purchase")
    rate = at_payment.groupby("device")["bought"].mean()
    assert rate["desktop"] - rate["mobile"] > 0.2


def test_support_contact_makes_detractors_more_common(generated):
    contacted = set(generated.events.loc[generated.events["event"] == "support", "user_id"])
    s = generated.survey.dropna(subset=["nps"]).assign(support=lambda d: d["user_id"].isin(contacted))
    detractor_share = s.assign(detractor=s["nps"] <= 6).groupby("support")["detractor"].mean()
    assert detractor_share[True] - detractor_share[False] > 0.15


def test_some_customers_buy_more_than_once(generated):
    orders_per_customer = generated.orders.groupby("customer_id").size()
    assert 0.05 < (orders_per_customer >= 2).mean() < 0.5


def test_email_customers_go_from_cart_to_checkout_more_often(generated):
    f = journey.read_events(generated.events).frame
    nxt = f["event"].astype(str).shift(-1).where(f["user"].shift(-1) == f["user"])
    at_cart = f[f["event"] == "cart"].assign(on=nxt[f["event"] == "cart"] == "checkout")
    rate = at_cart.groupby("acquisition")["on"].mean()
    # Planted: 0.75 against 0.62 for the first step after cart (double-fired rows dilute both a little).
    assert rate["email"] - rate[["ad", "search"]].max() > 0.08 and abs(rate["ad"] - rate["search"]) < 0.03


def test_trackers_double_fire_one_event_in_five_hundred(generated):
    log = journey.read_events(generated.events)
    assert log.n_duplicates == generated.events.duplicated().sum()
    assert log.n_duplicates / len(generated.events) == pytest.approx(0.002, abs=0.0005)
    for name in ("orders", "support", "deliveries", "followups"):  # the other systems do not double-fire
        assert not getattr(generated, name).duplicated().any(), name
