"""read_events(format=...): each export read into the same journeys as its tidy equivalent.

Every fixture is written here, from the vendors' published schemas (GA4's BigQuery export schema, the
Segment spec, Amplitude's Export API, Mixpanel's raw export, PostHog's events table): small, generated,
never copied from a vendor. Stitching and de-duplication are counted exactly; errors are checked with their
messages.
"""

import gzip
import json
import warnings
import zipfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import journey
from journey.errors import JourneyError, MissingColumnError, RecordError, SourceError
from journey.io.formats import READERS, known_formats

T0 = 1_735_725_600_000_000  # 2025-01-01T10:00:00Z in microseconds


def us(seconds, extra_us=0):
    """A GA4 timestamp: seconds after T0, plus microseconds."""
    return T0 + int(seconds * 1_000_000) + extra_us


def iso(micros):
    return pd.Timestamp(micros, unit="us", tz="UTC").isoformat().replace("+00:00", "Z")


def edges(log, **options):
    return journey.to_frames(journey.journey_graph(log, **options))[1]


def tidy(rows):
    """rows: (user, epoch microseconds, event) -> a tidy log."""
    return journey.read_events(
        pd.DataFrame(
            {
                "user_id": [r[0] for r in rows],
                "timestamp": pd.to_datetime([r[1] for r in rows], unit="us", utc=True),
                "event": [r[2] for r in rows],
            }
        )
    )


def write_lines(path, records, compress=False):
    text = "".join(json.dumps(r) + "\n" for r in records).encode()
    path.write_bytes(gzip.compress(text) if compress else text)
    return path


# ---------------------------------------------------------------------------------------------------
# GA4 BigQuery export


def param(key, value):
    """An event_params entry: the value in the typed field the export uses for its Python type."""
    field = {str: "string_value", int: "int_value", float: "double_value"}[type(value)]
    return {"key": key, "value": {field: value}}


PARAM = pa.struct(
    [
        ("key", pa.string()),
        (
            "value",
            pa.struct(
                [
                    ("string_value", pa.string()),
                    ("int_value", pa.int64()),
                    ("float_value", pa.float64()),
                    ("double_value", pa.float64()),
                ]
            ),
        ),
    ]
)
USER_PROPERTY = pa.struct(
    [
        ("key", pa.string()),
        (
            "value",
            pa.struct(
                [
                    ("string_value", pa.string()),
                    ("int_value", pa.int64()),
                    ("float_value", pa.float64()),
                    ("double_value", pa.float64()),
                    ("set_timestamp_micros", pa.int64()),
                ]
            ),
        ),
    ]
)
GA4_SCHEMA = pa.schema(
    [
        ("event_date", pa.string()),
        ("event_timestamp", pa.int64()),
        ("event_name", pa.string()),
        ("event_params", pa.list_(PARAM)),
        ("event_previous_timestamp", pa.int64()),
        ("event_bundle_sequence_id", pa.int64()),
        ("user_id", pa.string()),
        ("user_pseudo_id", pa.string()),
        ("user_properties", pa.list_(USER_PROPERTY)),
        ("user_first_touch_timestamp", pa.int64()),
        (
            "device",
            pa.struct(
                [
                    ("category", pa.string()),
                    ("operating_system", pa.string()),
                    ("web_info", pa.struct([("browser", pa.string()), ("hostname", pa.string())])),
                ]
            ),
        ),
        ("geo", pa.struct([("country", pa.string()), ("city", pa.string())])),
        ("traffic_source", pa.struct([("name", pa.string()), ("medium", pa.string()), ("source", pa.string())])),
        ("stream_id", pa.string()),
        ("platform", pa.string()),
        (
            "ecommerce",
            pa.struct(
                [
                    ("transaction_id", pa.string()),
                    ("purchase_revenue", pa.float64()),
                    ("total_item_quantity", pa.int64()),
                ]
            ),
        ),
        (
            "items",
            pa.list_(
                pa.struct(
                    [
                        ("item_id", pa.string()),
                        ("item_name", pa.string()),
                        ("price", pa.float64()),
                        ("quantity", pa.int64()),
                    ]
                )
            ),
        ),
        ("batch_event_index", pa.int64()),
        ("batch_page_id", pa.int64()),
        ("batch_ordering_id", pa.int64()),
    ]
)

#: (pseudo id, logged-in id or None, seconds after T0, extra µs, event, ga_session_id, batch ordering, batch index)
GA4_EVENTS = [
    ("p1", None, 0, 7, "session_start", 100, 1, 1),
    ("p1", None, 0, 7, "page_view", 100, 1, 2),  # same microsecond as session_start: GA4 batch order
    ("p1", None, 30, 1, "view_item", 100, 2, 1),
    ("p1", "ann", 60, 2, "login", 100, 3, 1),
    ("p1", "ann", 90, 3, "purchase", 100, 3, 2),
    ("p1", "ann", 300, 4, "page_view", 200, 1, 1),  # a new ga_session_id only 3.5 minutes later
    ("p2", None, 10, 0, "session_start", 300, 1, 1),
    ("p2", None, 10, 0, "page_view", 300, 1, 2),
    ("p2", None, 10 + 3600, 5, "page_view", 300, 2, 1),  # the same ga_session_id an hour later
    ("p3", "ann", 5000, 0, "page_view", 400, 1, 1),  # ann on a second device
]


def ga4_rows(events=GA4_EVENTS, shuffle=True):
    rows = []
    for i, (pseudo, user, sec, extra, name, session, ordering, index) in enumerate(events):
        params = [
            param("ga_session_id", session),
            param("page_location", f"https://shop.example/{name}"),
            param("engagement_time_msec", 100 + i),
            param("value", 1.5 if i % 2 else 2),
        ]
        rows.append(
            {
                "event_date": "20250101",
                "event_timestamp": us(sec, extra),
                "event_name": name,
                "event_params": params,
                "event_previous_timestamp": None,
                "event_bundle_sequence_id": i,
                "user_id": user,
                "user_pseudo_id": pseudo,
                "user_properties": [{"key": "plan", "value": {"string_value": "pro", "set_timestamp_micros": us(0)}}],
                "user_first_touch_timestamp": us(0),
                "device": {
                    "category": "mobile" if pseudo == "p1" else "desktop",
                    "operating_system": "Android",
                    "web_info": {"browser": "Chrome", "hostname": "shop.example"},
                },
                "geo": {"country": "France", "city": "Lyon"},
                "traffic_source": {"name": "(direct)", "medium": "(none)", "source": "(direct)"},
                "stream_id": "123",
                "platform": "WEB",
                "ecommerce": {"transaction_id": "T1", "purchase_revenue": 42.5, "total_item_quantity": 2}
                if name == "purchase"
                else None,
                "items": [{"item_id": "sku1", "item_name": "Mug", "price": 21.25, "quantity": 2}]
                if name == "purchase"
                else [],
                "batch_event_index": index,
                "batch_page_id": 1,
                "batch_ordering_id": ordering,
            }
        )
    if shuffle:  # BigQuery exports rows in no particular order
        rows = [rows[i] for i in np.random.default_rng(3).permutation(len(rows))]
    return rows


def ga4_parquet(path, rows=None):
    pq.write_table(pa.Table.from_pylist(rows or ga4_rows(), schema=GA4_SCHEMA), path)
    return path


def bigquery_json(row):
    """A row as BigQuery writes it to newline-delimited JSON: INT64 as text, null fields left out."""
    if isinstance(row, dict):
        return {k: bigquery_json(v) for k, v in row.items() if v is not None and v != []}
    if isinstance(row, list):
        return [bigquery_json(v) for v in row]
    if isinstance(row, int) and not isinstance(row, bool):
        return str(row)
    return row


def ga4_tidy(user="pseudo"):
    stitched = {"p1": "ann", "p3": "ann"}
    rows = [
        ((stitched.get(p, p) if user == "user_id" else p), us(sec, extra), name)
        for p, _, sec, extra, name, *_ in GA4_EVENTS
    ]
    return tidy(rows)


def test_ga4_parquet_reads_into_the_same_graph_as_its_tidy_equivalent(tmp_path):
    log = journey.read_events(ga4_parquet(tmp_path / "events_20250101.parquet"), format="ga4")
    pd.testing.assert_frame_equal(edges(log), edges(ga4_tidy()))
    assert log.input_names == {"user": "user_pseudo_id", "time": "event_timestamp", "event": "event_name"}


def test_ga4_events_at_one_microsecond_keep_the_batch_order_and_times_stay_exact(tmp_path):
    rows = ga4_rows(shuffle=False)
    rows[0], rows[1] = rows[1], rows[0]  # the file has page_view first; batch_event_index says otherwise
    log = journey.read_events(ga4_parquet(tmp_path / "e.parquet", rows), format="ga4")
    p1 = log.frame[log.frame["user"] == "p1"]
    assert p1["event"].tolist()[:2] == ["session_start", "page_view"]
    assert log.time_ns[:2].tolist() == [us(0, 7) * 1000] * 2
    assert (log.frame["time"].astype("int64") // 1000).tolist() == sorted(
        us(sec, extra) for p, _, sec, extra, *_ in GA4_EVENTS if p == "p1"
    ) + sorted(us(sec, extra) for p, _, sec, extra, *_ in GA4_EVENTS if p != "p1")


def test_ga4_ties_without_batch_fields_keep_the_export_order():
    rows = ga4_rows(shuffle=False)
    rows[0], rows[1] = rows[1], rows[0]  # page_view first in the file
    for row in rows:
        row.pop("batch_event_index"), row.pop("batch_ordering_id"), row.pop("batch_page_id")
    log = journey.read_events(pd.DataFrame(rows), format="ga4")
    assert log.frame["event"].tolist()[:2] == ["page_view", "session_start"]


def test_ga4_session_journeys_follow_ga_session_id_not_the_gap_rule(tmp_path):
    log = journey.read_events(ga4_parquet(tmp_path / "e.parquet"), format="ga4")
    assert log.session_source == "ga_session_id" and log.n_sessions == 4
    graph = journey.journey_graph(log, unit="session")
    # Four sessions: p1 has two (100, then 200 only minutes later), p2 one despite an hour's gap, p3 one.
    assert graph.graph["n_journeys"] == 4 and graph.graph["sessions"] == "ga_session_id" and graph.graph["gap"] is None
    by_gap = ga4_tidy()  # the same events without the source's sessions: cut at 30 minutes of inactivity
    assert journey.journey_graph(by_gap, unit="session").graph["n_journeys"] == 4  # four too, cut elsewhere:
    ends = "source == 'page_view' and target == '[end]'"
    assert edges(log, unit="session").query(ends)["count"].item() == 3
    assert edges(by_gap, unit="session").query(ends)["count"].item() == 4
    session_edges = {(a, b) for a, b in graph.edges}
    assert ("purchase", "page_view") not in session_edges  # the new session starts at that page_view
    assert ("page_view", "page_view") in session_edges  # p2's hour-long gap stays in one session


def test_ga4_parameters_become_typed_columns_and_structs_dotted(tmp_path):
    log = journey.read_events(ga4_parquet(tmp_path / "e.parquet"), format="ga4")
    frame = log.frame
    assert frame["page_location"].iloc[0] == "https://shop.example/session_start"
    assert pd.api.types.is_integer_dtype(frame["engagement_time_msec"])
    assert pd.api.types.is_float_dtype(frame["value"]) and set(frame["value"]) == {1.5, 2.0}  # int and double: float
    assert set(frame["device.category"]) == {"mobile", "desktop"} and set(frame["geo.country"]) == {"France"}
    assert frame["device.web_info.browser"].iloc[0] == "Chrome"
    assert frame.loc[frame["event"] == "purchase", "ecommerce.purchase_revenue"].tolist() == [42.5]
    assert frame["user_properties.plan"].iloc[0] == "pro"
    purchase = frame.loc[frame["event"] == "purchase", "items"].iloc[0]
    assert [item["item_name"] for item in purchase] == ["Mug"]
    assert "ga_session_id" not in frame.columns and frame["session"].dtype.kind == "i"
    assert log.n_duplicates == 0 and "items" in repr(log)  # nested lists are shown, not compared


def test_ga4_bigquery_json_with_int64_as_text_reads_like_the_parquet(tmp_path):
    path = write_lines(tmp_path / "events.json.gz", [bigquery_json(r) for r in ga4_rows()], compress=True)
    log = journey.read_events(path, format="ga4")
    parquet = journey.read_events(ga4_parquet(tmp_path / "e.parquet"), format="ga4")
    pd.testing.assert_frame_equal(edges(log), edges(parquet))
    assert log.time_ns.tolist() == parquet.time_ns.tolist()
    assert log.frame["session"].tolist() == parquet.frame["session"].tolist()
    assert pd.api.types.is_integer_dtype(log.frame["engagement_time_msec"])


def test_ga4_logged_in_users_are_stitched_across_devices(tmp_path):
    log = journey.read_events(ga4_parquet(tmp_path / "e.parquet"), format="ga4", user="user_id")
    pd.testing.assert_frame_equal(edges(log), edges(ga4_tidy("user_id")))
    # p1's three anonymous events go to ann; p3 was always logged in; p2 never logs in and stays.
    assert (log.report.stitched_events, log.report.stitched_ids, log.report.stitched_users) == (3, 1, 1)
    assert sorted(set(log.frame["user"])) == ["ann", "p2"]
    assert set(log.frame.loc[log.frame["user"] == "ann", "user_pseudo_id"]) == {"p1", "p3"}


def test_ga4_folders_and_globs_of_daily_shards(tmp_path):
    rows = ga4_rows(shuffle=False)
    (tmp_path / "export").mkdir()
    ga4_parquet(tmp_path / "export" / "events_20250101.parquet", rows[:5])
    ga4_parquet(tmp_path / "export" / "events_20250102.parquet", rows[5:])
    whole = edges(ga4_tidy())
    pd.testing.assert_frame_equal(edges(journey.read_events(tmp_path / "export", format="ga4")), whole)
    log = journey.read_events(str(tmp_path / "export" / "events_*.parquet"), format="ga4")
    pd.testing.assert_frame_equal(edges(log), whole)
    assert log.report.files == 2 and log.report.records == len(rows)


# ---------------------------------------------------------------------------------------------------
# Segment


def segment_messages():
    """A visitor browses anonymously, signs up (identify), logs in on a second device (alias), and one
    message arrives twice (same messageId)."""

    def message(kind, i, anonymous, user, seconds, **fields):
        body = {
            "type": kind,
            "messageId": f"m{i}",
            "anonymousId": anonymous,
            "userId": user,
            "timestamp": iso(us(seconds)),
            "receivedAt": iso(us(seconds + 1)),
            "context": {"page": {"path": "/"}, "library": {"name": "analytics.js"}},
        }
        body.update(fields)
        return {k: v for k, v in body.items() if v is not None}

    return [
        message("page", 1, "a1", None, 0, name="Home", properties={"path": "/", "title": "Home"}),
        message("track", 2, "a1", None, 10, event="Product Viewed", properties={"product_id": "p9", "price": 9.5}),
        message("track", 2, "a1", None, 10, event="Product Viewed", properties={"product_id": "p9", "price": 9.5}),
        message("identify", 3, "a1", "u1", 20, traits={"email": "ann@example.com"}),
        message("track", 4, "a1", "u1", 30, event="Order Completed", properties={"revenue": 19.0}),
        message("page", 5, "a2", None, 100, name=None),  # a second device, anonymous...
        message("alias", 6, None, "u1", 110, previousId="a2"),  # ...linked by an alias call
        message("screen", 7, None, "u1", 120, name="Cart"),
        message("track", 8, "a3", None, 50, event="Product Viewed"),  # never identified
        message("group", 9, "a3", None, 55, groupId="g1"),
    ]


SEGMENT_TIDY = [
    ("u1", us(0), "page:Home"),
    ("u1", us(10), "Product Viewed"),
    ("u1", us(30), "Order Completed"),
    ("u1", us(100), "page"),
    ("u1", us(120), "screen:Cart"),
    ("a3", us(50), "Product Viewed"),
]


def test_segment_reads_into_the_same_graph_as_its_tidy_equivalent(tmp_path):
    log = journey.read_events(
        write_lines(tmp_path / "segment.json.gz", segment_messages(), compress=True), format="segment"
    )
    pd.testing.assert_frame_equal(edges(log), edges(tidy(SEGMENT_TIDY)))


def test_segment_stitching_and_deduplication_are_counted_exactly(tmp_path):
    log = journey.read_events(write_lines(tmp_path / "s.jsonl", segment_messages()), format="segment")
    report = log.report
    assert report.records == 10 and report.duplicates == 1 and report.duplicate_key == "messageId"
    assert report.not_events == {"identify": 1, "alias": 1, "group": 1}
    assert report.events == 6 == len(log)
    # a1's two anonymous events and a2's page go to u1; a3 stays anonymous.
    assert (report.stitched_events, report.stitched_ids, report.stitched_users) == (3, 2, 1)
    assert report.records == report.events + sum(report.not_events.values()) + report.duplicates
    table = report.to_frame().set_index("step")["records"]
    assert table["duplicates dropped"] == 1 and table["events stitched"] == 3
    assert log.summary()["duplicates dropped"] == 1 and log.summary()["events stitched"] == 3


def test_segment_properties_are_columns_and_context_dotted(tmp_path):
    log = journey.read_events(write_lines(tmp_path / "s.jsonl", segment_messages()), format="segment")
    frame = log.frame
    assert frame.loc[frame["event"] == "Order Completed", "revenue"].tolist() == [19.0]
    assert frame["context.page.path"].iloc[0] == "/"
    assert "traits.email" not in frame.columns and "previousId" not in frame.columns
    assert set(frame.loc[frame["user"] == "u1", "anonymousId"].dropna()) == {"a1", "a2"}


def test_segment_anonymous_ids_read_as_they_are_on_request(tmp_path):
    path = write_lines(tmp_path / "s.jsonl", segment_messages())
    with pytest.raises(RecordError, match=r"field 'anonymousId': missing values in 1 line: line 8"):
        journey.read_events(path, format="segment", user="anonymousId")  # the screen call has a userId only
    with pytest.warns(journey.JourneyWarning, match="dropped 1 of 10 records"):
        log = journey.read_events(path, format="segment", user="anonymousId", on_invalid="drop")
    assert log.report.stitched_events == 0 and set(log.frame["user"]) == {"a1", "a2", "a3"}


# ---------------------------------------------------------------------------------------------------
# Amplitude


def amplitude_events():
    def event(i, kind, device, user, seconds, session, insert=None, **properties):
        return {
            "$insert_id": insert or f"ins{i}",
            "event_type": kind,
            "device_id": device,
            "user_id": user,
            "event_time": pd.Timestamp(us(seconds), unit="us").strftime("%Y-%m-%d %H:%M:%S.%f"),
            "client_event_time": pd.Timestamp(us(seconds), unit="us").strftime("%Y-%m-%d %H:%M:%S.%f"),
            "session_id": session,
            "amplitude_id": 1000 + (device == "d2"),
            "uuid": f"uuid-{i}",
            "event_properties": properties,
            "user_properties": {"plan": "free"},
            "platform": "Web",
            "country": "France",
            "data": {},
            "groups": {},
        }

    return [
        event(1, "Viewed Home", "d1", None, 0, us(0) // 1000),
        event(2, "Viewed Item", "d1", None, 20, us(0) // 1000, item="mug"),
        event(2, "Viewed Item", "d1", None, 20, us(0) // 1000, insert="ins2", item="mug"),  # delivered twice
        event(3, "$identify", "d1", "ann", 25, -1),
        event(4, "Purchased", "d1", "ann", 40, us(0) // 1000, price=12.5),
        event(5, "Viewed Home", "d1", "ann", 5000, us(5000) // 1000),
        event(6, "Viewed Home", "d2", None, 10, -1),  # no session
        event(7, "Viewed Item", "d2", None, 30, -1),
    ]


def amplitude_zip(path, events):
    """The Export API's archive: one folder per project, gzipped JSON lines per hour."""
    with zipfile.ZipFile(path, "w") as archive:
        for hour, part in (("10", events[:5]), ("11", events[5:])):
            text = "".join(json.dumps(e) + "\n" for e in part).encode()
            archive.writestr(f"187520/187520_2025-01-01_{hour}#0.json.gz", gzip.compress(text))
    return path


def test_amplitude_export_zip_reads_into_the_same_graph_as_its_tidy_equivalent(tmp_path):
    log = journey.read_events(amplitude_zip(tmp_path / "export.zip", amplitude_events()), format="amplitude")
    expected = tidy(
        [
            ("ann", us(0), "Viewed Home"),
            ("ann", us(20), "Viewed Item"),
            ("ann", us(40), "Purchased"),
            ("ann", us(5000), "Viewed Home"),
            ("d2", us(10), "Viewed Home"),
            ("d2", us(30), "Viewed Item"),
        ]
    )
    pd.testing.assert_frame_equal(edges(log), edges(expected))
    report = log.report
    assert (report.records, report.duplicates, report.not_events, report.events) == (8, 1, {"$identify": 1}, 6)
    assert (report.stitched_events, report.stitched_ids) == (2, 1)
    assert report.files == 2 and report.duplicate_key == "device_id, $insert_id"


def test_amplitude_sessions_come_from_session_id_and_minus_one_is_none(tmp_path):
    log = journey.read_events(amplitude_zip(tmp_path / "export.zip", amplitude_events()), format="amplitude")
    assert log.session_source == "session_id"
    ann = log.frame[log.frame["user"] == "ann"]
    assert ann["session"].tolist() == [us(0) // 1000] * 3 + [us(5000) // 1000]
    assert log.frame.loc[log.frame["user"] == "d2", "session"].isna().all()
    assert journey.journey_graph(log, unit="session").graph["n_journeys"] == 3
    assert log.frame.loc[log.frame["event"] == "Purchased", "price"].tolist() == [12.5]
    assert log.frame["user_properties.plan"].iloc[0] == "free"


def test_amplitude_insert_id_duplicates_are_per_device(tmp_path):
    events = amplitude_events()
    events[-1]["$insert_id"] = "ins1"  # d2 reuses d1's insert id: another device, not a duplicate
    log = journey.read_events(amplitude_zip(tmp_path / "export.zip", events), format="amplitude")
    assert log.report.duplicates == 1 and len(log) == 6


# ---------------------------------------------------------------------------------------------------
# Mixpanel


def mixpanel_export():
    seconds = T0 // 1_000_000

    def event(name, distinct, t, insert, **properties):
        return {
            "event": name,
            "properties": {
                "time": t,
                "distinct_id": distinct,
                "$insert_id": insert,
                "mp_processing_time_ms": (seconds + 5) * 1000,
                **properties,
            },
        }

    return [
        event("Viewed", "$device:d1", seconds, "i1", **{"$device_id": "d1", "$browser": "Firefox"}),
        event("Viewed", "$device:d1", seconds, "i1", **{"$device_id": "d1", "$browser": "Firefox"}),  # duplicate
        event("Viewed", "$device:d1", seconds + 1, "i1", **{"$device_id": "d1"}),  # another time: kept
        event("Signed Up", "ann", (seconds + 30) * 1000, "i2", **{"$device_id": "d1", "$user_id": "ann"}),  # ms
        event("$identify", "bob", seconds + 40, "i3", **{"$anon_distinct_id": "anon7", "$identified_id": "bob"}),
        event("Viewed", "anon7", seconds + 35, "i4"),
        event("Paid", "bob", seconds + 50, "i5"),
    ]


def test_mixpanel_reads_into_the_same_graph_as_its_tidy_equivalent_with_seconds_and_milliseconds(tmp_path):
    log = journey.read_events(write_lines(tmp_path / "export.json", mixpanel_export()), format="mixpanel")
    expected = tidy(
        [
            ("ann", us(0), "Viewed"),
            ("ann", us(1), "Viewed"),
            ("ann", us(30), "Signed Up"),
            ("bob", us(35), "Viewed"),
            ("bob", us(50), "Paid"),
        ]
    )
    pd.testing.assert_frame_equal(edges(log), edges(expected))
    assert log.frame.loc[log.frame["event"] == "Signed Up", "time"].item() == pd.Timestamp(us(30), unit="us", tz="UTC")


def test_mixpanel_deduplication_and_stitching_are_counted_exactly(tmp_path):
    log = journey.read_events(write_lines(tmp_path / "export.json", mixpanel_export()), format="mixpanel")
    report = log.report
    assert report.duplicates == 1 and report.duplicate_key == "event, distinct_id, time, $insert_id"
    assert report.not_events == {"$identify": 1} and report.records == 7 and report.events == 5
    # $device:d1's two views go to ann ($device_id/$user_id); anon7's view goes to bob ($identify).
    assert (report.stitched_events, report.stitched_ids, report.stitched_users) == (3, 2, 2)
    assert log.frame["$browser"].iloc[0] == "Firefox" and "properties.time" not in log.frame.columns


# ---------------------------------------------------------------------------------------------------
# PostHog


def posthog_events():
    def event(i, name, distinct, person, seconds, session, **properties):
        return {
            "uuid": f"0190-{i}",
            "event": name,
            "distinct_id": distinct,
            "person_id": person,
            "timestamp": pd.Timestamp(us(seconds), unit="us", tz="UTC").strftime("%Y-%m-%d %H:%M:%S.%f"),
            "properties": json.dumps({"$session_id": session, **properties}) if session else json.dumps(properties),
            "elements_chain": "",
        }

    return [
        event(1, "$pageview", "anon1", "P1", 0, "s1", **{"$current_url": "https://example.com/"}),
        event(2, "$pageview", "anon1", "P1", 15, "s1", **{"$current_url": "https://example.com/pricing"}),
        event(2, "$pageview", "anon1", "P1", 15, "s1", **{"$current_url": "https://example.com/pricing"}),  # again
        event(3, "$identify", "ann", "P1", 20, "s1", **{"$anon_distinct_id": "anon1"}),
        event(4, "signed_up", "ann", "P1", 25, "s1", plan="pro"),
        event(5, "$pageview", "ann", "P1", 4000, "s2"),
        event(6, "$pageview", "visitor", None, 10, None),
    ]


POSTHOG_TIDY = [
    ("P1", us(0), "$pageview"),
    ("P1", us(15), "$pageview"),
    ("P1", us(25), "signed_up"),
    ("P1", us(4000), "$pageview"),
    ("visitor", us(10), "$pageview"),
]


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_posthog_exports_read_into_the_same_graph_as_their_tidy_equivalent(tmp_path, kind):
    frame = pd.DataFrame(posthog_events())
    path = tmp_path / f"events.{kind}"
    if kind == "csv":
        frame.to_csv(path, index=False)
    elif kind == "jsonl":
        write_lines(path, [{k: v for k, v in r.items() if v is not None} for r in posthog_events()])
    else:
        frame.to_parquet(path, index=False)
    log = journey.read_events(path, format="posthog")
    pd.testing.assert_frame_equal(edges(log), edges(tidy(POSTHOG_TIDY)))
    assert log.report.duplicates == 1 and log.report.not_events == {"$identify": 1}
    assert log.session_source == "$session_id" and log.n_sessions == 3
    assert log.frame["$current_url"].iloc[0] == "https://example.com/"
    assert log.frame.loc[log.frame["event"] == "signed_up", "plan"].tolist() == ["pro"]


def test_posthog_distinct_ids_are_stitched_by_identify_events():
    log = journey.read_events(pd.DataFrame(posthog_events()), format="posthog", user="distinct_id")
    assert sorted(set(log.frame["user"])) == ["ann", "visitor"]
    assert log.report.stitched_events == 2 and log.report.stitched_ids == 1


# ---------------------------------------------------------------------------------------------------
# identities=, for any format


def test_identities_stitch_a_tidy_table():
    df = pd.DataFrame(
        {
            "user_id": ["c1", "c1", "ann", "c2"],
            "event": ["home", "cart", "buy", "home"],
            "timestamp": ["2025-01-01T10:00Z", "2025-01-01T10:01Z", "2025-01-01T10:05Z", "2025-01-01T11:00Z"],
        }
    )
    links = pd.DataFrame({"cookie": ["c1", "c9"], "customer": ["ann", "zoe"]})
    log = journey.read_events(df, identities=links)
    assert log.frame["user"].tolist() == ["ann", "ann", "ann", "c2"]
    assert (log.report.stitched_events, log.report.stitched_ids, log.report.stitched_users) == (2, 1, 1)
    assert journey.read_events(df, identities={"c1": "ann"}).n_users == 2
    assert journey.read_events(df, identities=pd.Series({"c2": "c1", "c1": "ann"})).n_users == 1  # chains


def test_identities_given_come_before_the_sources_links(tmp_path):
    path = write_lines(tmp_path / "s.jsonl", segment_messages())
    log = journey.read_events(path, format="segment", identities={"a3": "u1", "a1": "zoe"})
    assert set(log.frame["user"]) == {"u1", "zoe"}
    assert log.report.ambiguous_ids == 1  # a1: the user's table says zoe, the source says u1


def test_an_anonymous_id_linked_to_two_users_goes_to_the_first_link_in_time():
    links = pd.DataFrame(
        {
            "anonymous": ["c1", "c1"],
            "user": ["bob", "ann"],
            "time": pd.to_datetime(["2025-01-02", "2025-01-01"], utc=True),
        }
    )
    df = pd.DataFrame({"user_id": ["c1"], "event": ["home"], "timestamp": ["2025-01-01T10:00Z"]})
    log = journey.read_events(df, identities=links)
    assert log.frame["user"].tolist() == ["ann"] and log.report.ambiguous_ids == 1


def test_identities_of_another_shape_are_refused():
    df = pd.DataFrame({"user_id": ["c1"], "event": ["home"], "timestamp": ["2025-01-01T10:00Z"]})
    with pytest.raises(JourneyError, match=r"identities=\.\.\. takes a table of two columns"):
        journey.read_events(df, identities=pd.DataFrame({"a": [1], "b": [2], "c": [3], "d": [4]}))
    with pytest.raises(JourneyError, match="not list"):
        journey.read_events(df, identities=["c1", "ann"])


# ---------------------------------------------------------------------------------------------------
# bad input


def test_an_unknown_format_is_an_error_listing_the_known_ones():
    with pytest.raises(
        SourceError,
        match=r"format='ga5' is not a format journey reads\. Did you mean 'ga4'\? "
        r"Formats: 'amplitude', 'ga4', 'mixpanel', 'ocel', 'posthog', 'segment', 'sql', 'xes'",
    ):
        journey.read_events(pd.DataFrame(), format="ga5")
    from journey.io.formats import TIDY_FORMATS

    assert set(known_formats()) == set(READERS) | set(TIDY_FORMATS)


def test_a_malformed_json_line_names_the_file_and_the_line(tmp_path):
    path = tmp_path / "export.json"
    lines = [json.dumps(r) for r in mixpanel_export()]
    lines[2] = lines[2][:-5]  # cut short
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(RecordError, match=r"export\.json: malformed JSON in 1 line: line 3 \(.*column") as info:
        journey.read_events(path, format="mixpanel")
    assert info.value.lines == [3] and info.value.field is None
    assert "on_invalid='drop'" in str(info.value)


def test_lenient_mode_lists_each_unreadable_record_in_log_dropped(tmp_path):
    lines = [json.dumps(r) for r in segment_messages()]
    lines.insert(3, "{not json")
    broken = json.loads(lines[1])
    broken.pop("event")  # a track call without its event name
    lines[1] = json.dumps(broken)
    path = tmp_path / "segment.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(RecordError, match=r"segment\.jsonl: malformed JSON in 1 line: line 4 \('Expecting property"):
        journey.read_events(path, format="segment")  # the file is parsed before its records are checked
    lines.pop(3)
    path.with_name("valid.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(RecordError, match=r"valid\.jsonl: field 'event': missing values in 1 line: line 2"):
        journey.read_events(path.with_name("valid.jsonl"), format="segment")
    with pytest.warns(journey.JourneyWarning, match="dropped 2 of 11 records"):
        log = journey.read_events(path, format="segment", on_invalid="drop")
    dropped = log.dropped
    assert dropped[["file", "line", "column", "reason"]].values.tolist() == [
        [str(path), 2, "event", "missing values"],
        [str(path), 4, None, "malformed JSON"],
    ]
    assert dropped["row"].tolist() == [1, 3]
    assert log.report.unreadable == 2 and log.report.records == 11
    # The dropped track was the first delivery of m2; the second delivery is now the one kept.
    assert log.report.duplicates == 0 and len(log) == 6


def test_a_missing_required_field_names_file_line_and_field(tmp_path):
    rows = [bigquery_json(r) for r in ga4_rows(shuffle=False)]
    rows[4].pop("event_timestamp")
    path = write_lines(tmp_path / "events_20250101.json", rows)
    with pytest.raises(
        RecordError,
        match=r"events_20250101\.json: field 'event_timestamp': missing values in 1 line: "
        r"line 5 \(missing\)",
    ):
        journey.read_events(path, format="ga4")
    rows[4]["event_timestamp"] = "soon"
    write_lines(path, rows)
    with pytest.raises(
        RecordError,
        match=r"field 'event_timestamp': values that are not epoch numbers in 1 line: "
        r"line 5 \('soon'\)",
    ):
        journey.read_events(path, format="ga4")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", journey.JourneyWarning)
        log = journey.read_events(path, format="ga4", on_invalid="drop")
    assert log.dropped[["line", "column"]].values.tolist() == [[5, "event_timestamp"]] and len(log) == 9


def test_a_parquet_record_is_named_by_its_position_from_one(tmp_path):
    rows = ga4_rows(shuffle=False)
    rows[2]["event_name"] = " "
    with pytest.raises(RecordError, match=r"e\.parquet: field 'event_name': blank values in 1 record: record 3"):
        journey.read_events(ga4_parquet(tmp_path / "e.parquet", rows), format="ga4")


def test_a_missing_column_names_the_keyword(tmp_path):
    with pytest.raises(MissingColumnError, match=r"column 'user_id' \(the user column\)"):
        journey.read_events(pd.DataFrame(ga4_rows()).drop(columns="user_id"), format="ga4", user="user_id")


def test_sources_that_hold_no_export_file_are_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(SourceError, match="the folder holds no .parquet, .pq, .json"):
        journey.read_events(tmp_path, format="ga4")
    with pytest.raises(SourceError, match="no .json, .jsonl, .ndjson file matches this pattern"):
        journey.read_events(str(tmp_path / "*.zz"), format="segment")
    with pytest.raises(SourceError, match="file does not exist"):
        journey.read_events(tmp_path / "nope.json", format="segment")


def test_source_sessions_are_not_recut_by_gap():
    log = journey.read_events(pd.DataFrame(posthog_events()), format="posthog")
    with pytest.raises(JourneyError, match=r"sessions come from the source \('\$session_id'"):
        log.sessions("30min")
    again = journey.read_events(log.frame.drop(columns="session"), user="user", time="time", event="event")
    assert again.sessions("30min").frame["session"].tolist() == [1, 1, 1, 2, 1]  # what the message says works
    assert "sessions" in repr(log) and "3 from the source's $session_id" in repr(log)
