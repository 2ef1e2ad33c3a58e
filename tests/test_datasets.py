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


@pytest.mark.parametrize("name", ["events", "survey", "orders"])
def test_bundled_files_are_byte_identical_to_the_generator_output(generated, name):
    # The CSV bytes inside the gzip container are compared: the container's compressed bytes depend on
    # the zlib build, the content does not.
    stored = gzip.decompress(datasets.sample_path(name).read_bytes())
    assert stored == datasets.csv_bytes(getattr(generated, name)), (
        f"run `make data` to regenerate journey/datasets/data/{datasets.FILES[name]}"
    )


def test_bundled_data_stays_small():
    assert sum(datasets.sample_path(name).stat().st_size for name in datasets.FILES) < 5 * 2**20


def test_the_sample_files_live_inside_the_package():
    assert datasets.sample_path("orders") == Path(datasets.__file__).parent / "data" / "orders.csv.gz"
    with pytest.raises(JourneyError, match="table must be one of 'events', 'survey', 'orders', not 'order'"):
        datasets.sample_path("order")


def test_load_sample_reads_the_shipped_files_and_never_simulates(monkeypatch):
    def no_simulation(*args, **kwargs):
        raise AssertionError("load_sample simulated")

    monkeypatch.setattr(datasets, "simulate", no_simulation)
    sample = datasets.load_sample()
    assert len(sample.events) == 133_972 and sample.survey["nps"].dtype == "Int64"


def test_a_folder_without_the_files_is_an_error_naming_them(tmp_path):
    (tmp_path / "events.csv.gz").write_bytes(datasets.sample_path("events").read_bytes())
    with pytest.raises(SourceError, match=r"sample files survey.csv.gz, orders.csv.gz not found in .*write_sample"):
        datasets.load_sample(tmp_path)


def test_write_sample_writes_where_it_is_told_and_load_sample_reads_it_back(tmp_path):
    written = datasets.write_sample(tmp_path / "new", n_customers=40, seed=3)
    assert [p.parent for p in written] == [tmp_path / "new"] * 3
    pd.testing.assert_frame_equal(
        datasets.load_sample(tmp_path / "new").orders, datasets.simulate(40, seed=3).orders, check_dtype=False
    )


def test_regenerating_needs_a_folder_so_an_installed_package_is_never_written_to():
    with pytest.raises(TypeError):
        datasets.write_sample()
    run = subprocess.run([sys.executable, "-m", "journey.datasets"], capture_output=True, text=True)
    assert run.returncode == 2 and "FOLDER" in run.stderr


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
