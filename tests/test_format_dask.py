"""read_events(format=..., engine="dask") on a LocalCluster: the same log, report and journeys as local.

The exports are seeded simulations in the vendors' published shapes (GA4's BigQuery export schema, the
Segment spec, Mixpanel's raw export), cut into shards that split users: a person browses anonymously in
one shard and logs in in a later one, and some deliveries are repeated in another shard. The local read
of the same files is the truth each Dask read must equal, to the last count.
"""

import gzip
import json
import zipfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dask.distributed import Client, LocalCluster
from test_formats import GA4_SCHEMA, T0, amplitude_events, iso, param, posthog_events, write_lines

import journey
from journey.errors import JourneyError, RecordError, SourceError

pytestmark = pytest.mark.filterwarnings("ignore:Sending large graph")

EVENTS = ("home", "search", "view_item", "add_to_cart", "purchase")


@pytest.fixture(scope="module")
def client():
    # ":0": a free port for the scheduler's HTTP server, which None does not turn off (8787 may be taken by
    # another test file's cluster on the next pytest-xdist worker).
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    with Client(cluster) as c:
        yield c
    cluster.close()


def visits(seed, people=60, days=3):
    """Seeded visits: (person, day, seconds into the day, event, session); a person visits on several days."""
    rng = np.random.default_rng(seed)
    rows = []
    for person in range(people):
        for day in sorted(rng.choice(days, size=rng.integers(1, days + 1), replace=False)):
            start = int(rng.integers(0, 80_000))
            for k in range(int(rng.integers(2, 7))):
                # Every third event shares its instant with the one before: ties that keep the export's order.
                start += 0 if k and k % 3 == 0 else int(rng.integers(1, 900))
                rows.append(
                    (person, int(day), start, EVENTS[min(k, int(rng.integers(0, 5)))], 1000 * person + int(day))
                )
    return rows


def micros(day, seconds):
    return T0 + (day * 86_400 + seconds) * 1_000_000


def local_and_dask(path, format, **options):
    local = journey.read_events(path, format=format, **options)
    remote = journey.read_events(path, format=format, engine="dask", **options)
    return local, remote


def canonical(frame):
    """Rows in the log's order (user, then time, ties in reading order), events as text, a plain index."""
    frame = frame.assign(event=frame["event"].astype(str))
    return frame.sort_values("user", kind="stable", ignore_index=True)


def assert_same_log(local, remote, **graph_options):
    assert remote.report == local.report
    partitioned = journey.partition_by_user(remote)
    rows = pd.concat([part.compute() for part in partitioned.partitions()], ignore_index=True)
    pd.testing.assert_frame_equal(canonical(rows), canonical(local.frame))
    for unit in ("user", "session"):
        ours = journey.to_frames(journey.journey_graph(partitioned, unit=unit, **graph_options))
        truth = journey.to_frames(journey.journey_graph(local, unit=unit, **graph_options))
        for a, b in zip(ours, truth):
            counts = [c for c in a.columns if not c.startswith("median")]  # medians merge approximately
            pd.testing.assert_frame_equal(a[counts], b[counts])


# ---------------------------------------------------------------------------------------------------
# GA4: daily shards, a pseudo id logged in on a later day than its first visit


#: Every third person logs in, on day 2 or day 3.
LOGGED_IN_ON = {person: 1 + person % 2 for person in range(0, 60, 3)}


def ga4_shards(folder, seed=15):
    folder.mkdir()
    rows = visits(seed)
    by_day: dict[int, list] = {}
    for i, (person, day, seconds, name, session) in enumerate(rows):
        login = LOGGED_IN_ON.get(person)
        by_day.setdefault(day, []).append(
            {
                "event_date": f"2025010{day + 1}",
                "event_timestamp": micros(day, seconds),
                "event_name": name,
                "event_params": [param("ga_session_id", session), param("page_location", f"/{name}")],
                "user_id": f"member{person}" if login is not None and day >= login else None,
                "user_pseudo_id": f"{person}.{seed}",
                "device": {"category": ["mobile", "desktop"][person % 2], "operating_system": None, "web_info": None},
                "batch_page_id": 1,
                "batch_ordering_id": 1,
                "batch_event_index": i,
            }
        )
    rng = np.random.default_rng(seed)
    for day, day_rows in by_day.items():  # BigQuery writes rows in no order
        day_rows = [day_rows[i] for i in rng.permutation(len(day_rows))]
        pq.write_table(pa.Table.from_pylist(day_rows, schema=GA4_SCHEMA), folder / f"events_2025010{day + 1}.parquet")
    return folder


@pytest.mark.parametrize("user", [None, "user_id"])
def test_ga4_daily_shards_on_dask_equal_the_local_read(client, tmp_path, user):
    folder = ga4_shards(tmp_path / "ga4")
    local, remote = local_and_dask(folder, "ga4", user=user)
    assert remote.npartitions == 3 and remote.session_source == "ga_session_id"
    if user == "user_id":  # a member's pseudo id, seen before the login (an earlier shard), is stitched
        days = pd.DataFrame(visits(15), columns=["person", "day", "seconds", "event", "session"])
        days = days[days["person"].isin(list(LOGGED_IN_ON))].assign(login=lambda d: d["person"].map(LOGGED_IN_ON))
        before = days[days["day"] < days["login"]]
        after = set(days.loc[days["day"] >= days["login"], "person"])
        stitched = before[before["person"].isin(after)]
        assert (local.report.stitched_ids, local.report.stitched_events) == (
            stitched["person"].nunique(),
            len(stitched),
        )
    assert_same_log(local, remote, goal="purchase")


def test_ga4_sessions_on_dask_follow_ga_session_id(client, tmp_path):
    remote = journey.read_events(ga4_shards(tmp_path / "ga4"), format="ga4", engine="dask")
    local = journey.read_events(ga4_shards(tmp_path / "again"), format="ga4")
    sessions = journey.journey_graph(remote, unit="session").graph["n_journeys"]
    assert (
        sessions
        == local.frame.groupby(["user", "session"]).ngroups
        == journey.journey_graph(local, unit="session").graph["n_journeys"]
    )


# ---------------------------------------------------------------------------------------------------
# Segment: anonymous browsing in one shard, identify in another, redeliveries across shards


def segment_shards(folder, seed=7, shards=4):
    folder.mkdir()
    rng = np.random.default_rng(seed)
    messages = []
    for person, day, seconds, name, _ in visits(seed):
        stamp = iso(micros(day, seconds))
        message = {"messageId": f"m{len(messages)}", "anonymousId": f"anon-{person}-{day}", "timestamp": stamp}
        if day >= 1 and person % 2:
            message["userId"] = f"user{person}"
        if name == "home":
            message |= {"type": "page", "name": "Home", "context": {"page": {"path": "/"}}}
        else:
            message |= {"type": "track", "event": name, "properties": {"plan": "pro", "step": EVENTS.index(name)}}
        messages.append(message)
        if "userId" in message and rng.random() < 0.3:
            messages.append(
                {
                    "type": "identify",
                    "messageId": f"i{len(messages)}",
                    "anonymousId": f"anon-{person}-0",
                    "userId": message["userId"],
                    "timestamp": stamp,
                    "traits": {"plan": "pro"},
                }
            )
    # Redeliveries (a page, a track and an identify among them) land in other shards: Segment's at-least-once.
    again = [dict(messages[i], receivedAt=iso(T0)) for i in rng.choice(len(messages), 25, replace=False)]
    again.append(next(dict(m) for m in messages if m["type"] == "identify"))
    messages += again
    for k, part in enumerate(np.array_split(np.arange(len(messages)), shards)):
        write_lines(folder / f"segment-{k}.jsonl.gz", [messages[i] for i in part], compress=True)
    return folder


def test_segment_shards_on_dask_equal_the_local_read_with_stitching_and_redeliveries(client, tmp_path):
    folder = segment_shards(tmp_path / "segment")
    local, remote = local_and_dask(str(folder / "*.jsonl.gz"), "segment")
    assert local.report.duplicates == 26 and local.report.stitched_ids > 0 and local.report.not_events["identify"] > 0
    assert_same_log(local, remote, goal="purchase")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_cut_of_the_messages_into_shards_reads_like_the_whole(client, tmp_path, seed):
    # Random orders and cuts (2-6 shards): logins, identify calls and redeliveries land anywhere.
    messages = [
        json.loads(line)
        for path in sorted(segment_shards(tmp_path / "segment", seed=seed).glob("*.gz"))
        for line in gzip.decompress(path.read_bytes()).splitlines()
    ]
    rng = np.random.default_rng(seed)
    messages = [messages[i] for i in rng.permutation(len(messages))]
    cuts = np.sort(rng.choice(np.arange(1, len(messages)), size=int(rng.integers(1, 6)), replace=False))
    folder = tmp_path / "cut"
    folder.mkdir()
    for k, part in enumerate(np.split(np.arange(len(messages)), cuts)):
        write_lines(folder / f"part-{k}.jsonl", [messages[i] for i in part])
    local, remote = local_and_dask(folder, "segment")
    assert remote.report == local.report and remote.npartitions == len(cuts) + 1
    rows = pd.concat([p.compute() for p in journey.partition_by_user(remote).partitions()], ignore_index=True)
    pd.testing.assert_frame_equal(canonical(rows), canonical(local.frame))


def test_identities_given_stitch_every_shard_on_dask(client, tmp_path):
    folder = segment_shards(tmp_path / "segment")
    links = pd.DataFrame({"anonymous": ["anon-0-0", "anon-0-1", "anon-2-2"], "user": ["zoe", "zoe", "zoe"]})
    local, remote = local_and_dask(folder, "segment", identities=links)
    assert local.report.stitched_ids >= 2
    assert_same_log(local, remote)


# ---------------------------------------------------------------------------------------------------
# Mixpanel: devices merged with $identify, seconds and milliseconds, repeated deliveries


def mixpanel_shards(folder, seed=11, shards=3):
    folder.mkdir()
    rng = np.random.default_rng(seed)
    records = []
    for person, day, seconds, name, _ in visits(seed):
        t = (T0 // 1_000_000) + day * 86_400 + seconds
        known = day >= 1 and person % 3 == 0
        properties = {
            "time": t * 1000 if person % 2 else t,  # exports made with time_in_ms write milliseconds
            "distinct_id": f"u{person}" if known else f"$device:d{person}",
            "$insert_id": f"ins{len(records)}",
            "mp_country_code": "FR",
        }
        records.append({"event": name, "properties": properties})
        if known and rng.random() < 0.4:
            records.append(
                {
                    "event": "$identify",
                    "properties": {
                        "time": t,
                        "distinct_id": f"u{person}",
                        "$anon_distinct_id": f"$device:d{person}",
                        "$identified_id": f"u{person}",
                        "$insert_id": f"idf{len(records)}",
                    },
                }
            )
    again = [json.loads(json.dumps(records[i])) for i in rng.choice(len(records), 20, replace=False)]
    records += [r for r in again if r["event"] != "$identify"]
    for k, part in enumerate(np.array_split(rng.permutation(len(records)), shards)):
        write_lines(folder / f"export-{k}.json", [records[i] for i in part])
    return folder


def test_mixpanel_shards_on_dask_equal_the_local_read_with_merges_and_repeats(client, tmp_path):
    folder = mixpanel_shards(tmp_path / "mixpanel")
    local, remote = local_and_dask(str(folder / "export-*.json"), "mixpanel")
    assert local.report.duplicates > 0 and local.report.stitched_events > 0
    assert_same_log(local, remote, goal="purchase")


# ---------------------------------------------------------------------------------------------------
# Amplitude (the members of the Export API's zip are the shards) and PostHog


def test_amplitude_zip_members_on_dask_equal_the_local_read(client, tmp_path):
    events = amplitude_events()
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:  # the identify in one hour, a repeated event in the next
        for hour, part in (("10", events[:4]), ("11", events[4:] + [events[1]])):
            text = "".join(json.dumps(e) + "\n" for e in part).encode()
            archive.writestr(f"187520/187520_2025-01-01_{hour}#0.json.gz", gzip.compress(text))
    local, remote = local_and_dask(path, "amplitude")
    assert remote.npartitions == 2 and local.report.duplicates == 2 and local.report.stitched_ids == 1
    assert_same_log(local, remote)


@pytest.mark.parametrize("user", [None, "distinct_id"])
def test_posthog_csv_shards_on_dask_equal_the_local_read(client, tmp_path, user):
    frame = pd.DataFrame(posthog_events())
    folder = tmp_path / "posthog"
    folder.mkdir()
    frame.iloc[[0, 1, 6]].to_csv(folder / "events-0.csv", index=False)  # anon1 browses here
    frame.iloc[[2, 3, 4, 5]].to_csv(folder / "events-1.csv", index=False)  # a repeat, then $identify
    local, remote = local_and_dask(folder, "posthog", user=user)
    assert local.report.duplicates == 1 and remote.session_source == "$session_id"
    assert_same_log(local, remote)


def test_a_malformed_line_in_a_shard_names_its_file_and_line_on_dask(client, tmp_path):
    folder = mixpanel_shards(tmp_path / "mixpanel")
    shard = folder / "export-1.json"
    lines = shard.read_text().splitlines()
    lines[4] = '{"event": "view_item", "properties": {"time": 17'
    shard.write_text("\n".join(lines) + "\n")
    with pytest.raises(RecordError, match=r"export-1\.json.*line 5"):
        journey.read_events(folder, format="mixpanel", engine="dask")
    with pytest.warns(journey.JourneyWarning, match="dropped 1 of"):
        remote = journey.read_events(folder, format="mixpanel", engine="dask", on_invalid="drop")
    with pytest.warns(journey.JourneyWarning):
        local = journey.read_events(folder, format="mixpanel", on_invalid="drop")
    assert remote.report == local.report and remote.report.unreadable == 1
    pd.testing.assert_frame_equal(remote.dropped, local.dropped)
    assert remote.dropped[["file", "line"]].values.tolist() == [[str(shard), 5]]


def test_dask_reads_export_files_and_refuses_what_it_cannot_read_by_shard(client, tmp_path):
    with pytest.raises(SourceError, match=r"engine='dask' with format='segment' reads export files"):
        journey.read_events(pd.DataFrame({"type": ["track"]}), format="segment", engine="dask")
    with pytest.raises(JourneyError, match=r"format='xes' reads in memory"):
        journey.read_events(tmp_path / "log.xes", format="xes", engine="dask")
    with pytest.raises(SourceError, match=r"format='ga5' is not a format journey reads\. Did you mean 'ga4'\?"):
        journey.read_events(tmp_path, format="ga5", engine="dask")
    with pytest.raises(JourneyError, match=r"identities=\.\.\. stitches a tidy table in memory"):
        journey.read_events(tmp_path / "*.parquet", engine="dask", identities={"a": "b"})
