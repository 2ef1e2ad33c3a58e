"""The bundled sample: reproducible from its generator, and telling the story it promises."""

import gzip

import pandas as pd
import pytest

import journey
from journey import datasets


@pytest.fixture(scope="module")
def generated():
    return datasets.simulate()


@pytest.mark.parametrize("name", ["events", "survey", "orders"])
def test_bundled_files_are_byte_identical_to_the_generator_output(generated, name):
    # The CSV bytes inside the gzip container are compared: the container's compressed bytes depend on
    # the zlib build, the content does not.
    stored = gzip.decompress((datasets.DATA_DIR / datasets.FILES[name]).read_bytes())
    assert stored == datasets.csv_bytes(getattr(generated, name)), f"run `make data` to regenerate data/{name}"


def test_bundled_data_stays_small():
    assert sum((datasets.DATA_DIR / f).stat().st_size for f in datasets.FILES.values()) < 5 * 2**20


def test_the_same_seed_gives_the_same_tables_and_another_seed_does_not():
    a, b, c = datasets.simulate(300, seed=7), datasets.simulate(300, seed=7), datasets.simulate(300, seed=8)
    pd.testing.assert_frame_equal(a.events, b.events)
    assert not a.events.equals(c.events)


def test_load_sample_returns_three_tables_that_read_cleanly():
    sample = datasets.load_sample()
    log = journey.read_events(sample.events)
    assert log.n_users == 20_000 and len(log.dropped) == 0
    assert sample.survey["nps"].dropna().between(0, 10).all() and sample.survey["csat"].dropna().between(1, 5).all()
    assert set(sample.orders["customer_id"]) <= set(sample.events["user_id"])


def test_mobile_customers_leave_at_payment_more_often(generated):
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
