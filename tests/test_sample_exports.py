"""journey.datasets.exports: the sample shop written as GA4, Segment and Mixpanel exports, read back exactly."""

import gzip
import json

import pandas as pd
import pytest

import journey
from journey.datasets import simulate
from journey.datasets.exports import LOGIN, PAGES, write_exports


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    return write_exports(tmp_path_factory.mktemp("exports"), n_customers=120, seed=3)


@pytest.fixture(scope="module")
def truth():
    return journey.read_events(simulate(120, seed=3).events)


def edges(log):
    return journey.to_frames(journey.journey_graph(log))[1].drop(columns=["median_seconds"], errors="ignore")


def lines(folder, pattern):
    return [
        json.loads(line)
        for path in sorted(folder.glob(pattern))
        for line in gzip.decompress(path.read_bytes()).splitlines()
    ]


@pytest.mark.parametrize("format", ["segment", "mixpanel"])
def test_stitched_exports_give_every_customer_their_simulated_journeys(exports, truth, format):
    log = journey.read_events(exports[format], format=format)
    assert log.n_users == truth.n_users and log.n_events == truth.n_events
    # Users are relabelled (anonymous ids, user ids), journeys are the same; Segment names pages page:<Name>.
    names = {page: f"page:{page.title()}" for page in PAGES} if format == "segment" else {}
    expected = journey.read_events(simulate(120, seed=3).events.replace({"event": names}))
    pd.testing.assert_frame_equal(edges(log), edges(expected))
    customers_who_log_in = truth.frame.loc[truth.frame["event"] == LOGIN, "user"].nunique()
    assert log.report.stitched_ids == customers_who_log_in


def test_segment_redeliveries_and_identify_calls_are_counted_exactly(exports):
    messages = lines(exports["segment"], "*.jsonl.gz")
    ids = pd.Series([m["messageId"] for m in messages])
    log = journey.read_events(exports["segment"], format="segment")
    assert log.report.records == len(messages)
    assert log.report.duplicates == int(ids.duplicated().sum()) > 0
    assert log.report.not_events == {"identify": sum(m["type"] == "identify" for m in messages)}


def test_ga4_sessions_start_at_the_microsecond_of_their_first_event_in_batch_order(exports, truth):
    log = journey.read_events(exports["ga4"], format="ga4", user="user_id")
    frame = log.frame
    starts = frame[frame["event"] == "session_start"]
    months = pd.to_datetime(truth.frame["time"]).dt.strftime("%Y%m").nunique()
    assert log.report.files == months and log.n_events == truth.n_events + len(starts)
    after = frame.iloc[starts.index + 1]  # session_start comes first at its instant, then the page it starts on
    assert (after["time"].to_numpy() == starts["time"].to_numpy()).all() and (after["event"] != "session_start").all()
    assert log.n_sessions == len(starts) == frame.groupby(["user", "session"]).ngroups
    assert log.n_users == truth.n_users  # pseudo ids of customers who log in are stitched to them


def test_the_same_seed_writes_the_same_files(tmp_path):
    first, second = write_exports(tmp_path / "a", 30, seed=9), write_exports(tmp_path / "b", 30, seed=9)
    for format in first:
        a = sorted(p for p in first[format].parent.rglob("*") if p.is_file())
        b = sorted(p for p in second[format].parent.rglob("*") if p.is_file())
        assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


def test_customers_who_log_in_come_back_on_a_second_device(exports, truth):
    frame = truth.frame
    sessions = journey.read_events(simulate(120, seed=3).events).sessions("30min").frame
    login = sessions[sessions["event"] == LOGIN].groupby("user")["session"].min()
    later = sessions.groupby("user")["session"].max().reindex(login.index) > login
    browsers = journey.read_events(exports["segment"], format="segment", user="anonymousId")
    devices = journey.read_events(exports["ga4"], format="ga4")  # user_pseudo_id: one user per browser
    assert browsers.n_users == devices.n_users == frame["user"].nunique() + int(later.sum())
    assert later.sum() > 0
