"""OCEL 2.0 in JSON, XML and SQLite: flattened on the object type named, into the journeys of its tidy
equivalent, with every repeated or left-out event counted and bad input named by file, place and field."""

import gzip
import json
import sqlite3
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd
import pytest

import journey
from journey.errors import JourneyError, SourceError
from journey.io.formats import ocel
from journey.io.formats.read_report import report_of

# One shop, written from the OCEL 2.0 metamodel: three orders, two items, one customer.
EVENT_TYPES = {
    "place order": {"total": "float"},
    "pick item": {},
    "pay order": {"method": "string"},
    "ship order": {"parcels": "integer", "express": "boolean"},
}
OBJECT_TYPES = {"order": {"status": "string"}, "item": {"weight": "float"}, "customer": {}}
OBJECTS = [("o1", "order"), ("o2", "order"), ("o3", "order"), ("i1", "item"), ("i2", "item"), ("c1", "customer")]
# (id, type, time, attributes, relationships)
EVENTS = [
    (
        "e1",
        "place order",
        "2025-01-01T10:00:00Z",
        {"total": 30.5},
        [("o1", "placed"), ("i1", "contains"), ("i2", "contains"), ("c1", "by")],
    ),
    ("e2", "place order", "2025-01-01T10:30:00Z", {"total": 12.0}, [("o2", "placed"), ("c1", "by")]),
    ("e3", "pick item", "2025-01-01T11:00:00Z", {}, [("i1", "picked")]),
    ("e4", "pay order", "2025-01-01T12:00:00Z", {"method": "card"}, [("o1", "paid"), ("o2", "paid"), ("c1", "by")]),
    ("e5", "ship order", "2025-01-01T13:00:00Z", {"parcels": 2, "express": True}, [("o1", "shipped")]),
    ("e6", "place order", "2025-01-01T09:00:00Z", {"total": 5.0}, [("o3", "placed")]),
]
# Dynamic object attributes: (object, name, time, value).
CHANGES = [
    ("o1", "status", "1970-01-01T00:00:00Z", "open"),
    ("o1", "status", "2025-01-01T12:00:00Z", "paid"),
    ("o2", "status", "1970-01-01T00:00:00Z", "open"),
    ("i1", "weight", "1970-01-01T00:00:00Z", 1.5),
]
O2O = [("o1", "c1", "ordered by")]

# The same journeys, one row per order and event, as an analyst would write them by hand.
TIDY_ORDERS = pd.DataFrame(
    {
        "user_id": ["o1", "o2", "o1", "o2", "o1", "o3"],
        "timestamp": [
            "2025-01-01T10:00:00Z",
            "2025-01-01T10:30:00Z",
            "2025-01-01T12:00:00Z",
            "2025-01-01T12:00:00Z",
            "2025-01-01T13:00:00Z",
            "2025-01-01T09:00:00Z",
        ],
        "event": ["place order", "place order", "pay order", "pay order", "ship order", "place order"],
    }
)


def ocel_json(events=EVENTS):
    return {
        "eventTypes": [
            {"name": n, "attributes": [{"name": a, "type": t} for a, t in attrs.items()]}
            for n, attrs in EVENT_TYPES.items()
        ],
        "objectTypes": [
            {"name": n, "attributes": [{"name": a, "type": t} for a, t in attrs.items()]}
            for n, attrs in OBJECT_TYPES.items()
        ],
        "events": [
            {
                "id": i,
                "type": k,
                "time": t,
                "attributes": [{"name": a, "value": v} for a, v in attrs.items()],
                "relationships": [{"objectId": o, "qualifier": q} for o, q in rels],
            }
            for i, k, t, attrs, rels in events
        ],
        "objects": [
            {
                "id": o,
                "type": k,
                "attributes": [{"name": n, "time": t, "value": v} for oo, n, t, v in CHANGES if oo == o],
                "relationships": [{"objectId": b, "qualifier": q} for a, b, q in O2O if a == o],
            }
            for o, k in OBJECTS
        ],
    }


def _xml_value(value):
    return "1" if value is True else "0" if value is False else str(value)


def ocel_xml(events=EVENTS):
    def declare(kind, types):
        return "".join(
            f"<{kind} name={quoteattr(n)}><attributes>"
            + "".join(f"<attribute name={quoteattr(a)} type={quoteattr(t)}/>" for a, t in attrs.items())
            + f"</attributes></{kind}>"
            for n, attrs in types.items()
        )

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<log>",
        f"<event-types>{declare('event-type', EVENT_TYPES)}</event-types>",
        f"<object-types>{declare('object-type', OBJECT_TYPES)}</object-types>",
        "<events>",
    ]
    for i, k, t, attrs, rels in events:
        lines.append(
            f"<event id={quoteattr(i)} type={quoteattr(k)} time={quoteattr(t)}><attributes>"
            + "".join(f"<attribute name={quoteattr(a)}>{_xml_value(v)}</attribute>" for a, v in attrs.items())
            + "</attributes><objects>"
            + "".join(f"<relationship object-id={quoteattr(o)} qualifier={quoteattr(q)}/>" for o, q in rels)
            + "</objects></event>"
        )
    lines.append("</events><objects>")
    for o, k in OBJECTS:
        lines.append(
            f"<object id={quoteattr(o)} type={quoteattr(k)}><attributes>"
            + "".join(
                f"<attribute name={quoteattr(n)} time={quoteattr(t)}>{v}</attribute>"
                for oo, n, t, v in CHANGES
                if oo == o
            )
            + "</attributes><objects>"
            + "".join(f"<relationship object-id={quoteattr(b)} qualifier={quoteattr(q)}/>" for a, b, q in O2O if a == o)
            + "</objects></object>"
        )
    lines.append("</objects></log>")
    return "\n".join(lines)


def ocel_sqlite(path, events=EVENTS):
    """The relational layout of the OCEL 2.0 specification, table by table."""
    db = sqlite3.connect(path)
    sql_type = {"float": "REAL", "string": "TEXT", "integer": "INTEGER", "boolean": "BOOLEAN"}
    db.execute("create table event (ocel_id TEXT, ocel_type TEXT)")
    db.execute("create table event_object (ocel_event_id TEXT, ocel_object_id TEXT, ocel_qualifier TEXT)")
    db.execute("create table object (ocel_id TEXT, ocel_type TEXT)")
    db.execute("create table object_object (ocel_source_id TEXT, ocel_target_id TEXT, ocel_qualifier TEXT)")
    db.execute("create table event_map_type (ocel_type TEXT, ocel_type_map TEXT)")
    db.execute("create table object_map_type (ocel_type TEXT, ocel_type_map TEXT)")
    for kind, attrs in EVENT_TYPES.items():
        suffix = kind.title().replace(" ", "")
        db.execute("insert into event_map_type values (?, ?)", (kind, suffix))
        columns = "".join(f', "{a}" {sql_type[t]}' for a, t in attrs.items())
        db.execute(f'create table "event_{suffix}" (ocel_id TEXT, ocel_time TEXT{columns})')
    for kind, attrs in OBJECT_TYPES.items():
        suffix = kind.title()
        db.execute("insert into object_map_type values (?, ?)", (kind, suffix))
        columns = "".join(f', "{a}" {sql_type[t]}' for a, t in attrs.items())
        db.execute(f'create table "object_{suffix}" (ocel_id TEXT, ocel_time TEXT, ocel_changed_field TEXT{columns})')
    for i, k, t, attrs, rels in events:
        db.execute("insert into event values (?, ?)", (i, k))
        names = list(EVENT_TYPES[k])
        values = [attrs.get(n) for n in names]
        marks = ", ".join("?" * (2 + len(names)))
        db.execute(
            f'insert into "event_{k.title().replace(" ", "")}" values ({marks})',
            (i, t.replace("T", " ").rstrip("Z"), *values),
        )
        db.executemany("insert into event_object values (?, ?, ?)", [(i, o, q) for o, q in rels])
    for o, k in OBJECTS:
        db.execute("insert into object values (?, ?)", (o, k))
        mine = [c for c in CHANGES if c[0] == o]
        for n, (_, name, t, v) in enumerate(mine):
            row = [o, t.replace("T", " ").rstrip("Z"), None if n == 0 else name] + [
                v if a == name else None for a in OBJECT_TYPES[k]
            ]
            db.execute(f'insert into "object_{k.title()}" values ({", ".join("?" * len(row))})', row)
    db.executemany("insert into object_object values (?, ?, ?)", O2O)
    db.commit()
    db.close()
    return path


@pytest.fixture(params=["json", "xml", "sqlite", "json.gz"])
def shop(request, tmp_path):
    return write_shop(tmp_path, request.param)


def write_shop(tmp_path, kind, events=EVENTS):
    path = tmp_path / f"shop.{kind}"
    if kind == "sqlite":
        return ocel_sqlite(path, events)
    text = json.dumps(ocel_json(events), indent=1) if kind.startswith("json") else ocel_xml(events)
    if kind.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as out:
            out.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def edges(log):
    return journey.to_frames(journey.journey_graph(log))[1]


# --- flattening -------------------------------------------------------------------------------------


def test_flattened_on_orders_the_log_gives_the_journeys_of_its_tidy_equivalent(shop):
    with pytest.warns(
        journey.JourneyWarning,
        match=r"1 events related to several 'order' objects were repeated "
        r"once per object \(\+1 rows\), 1 events related to no 'order'",
    ):
        log = journey.read_events(shop, format="ocel", object_type="order")
    pd.testing.assert_frame_equal(edges(log), edges(journey.read_events(TIDY_ORDERS)))
    assert log.frame[["user", "event"]].values.tolist() == [
        ["o1", "place order"],
        ["o1", "pay order"],
        ["o1", "ship order"],
        ["o2", "place order"],
        ["o2", "pay order"],
        ["o3", "place order"],
    ]


def test_the_report_counts_the_events_repeated_and_left_out_by_the_flattening(shop):
    report = report_of(ocel.read(shop, object_type="order"))
    assert (report.records, report.rows, report.duplicated, report.extra_rows, report.dropped) == (6, 6, 1, 1, 1)
    assert report.details["object_types"] == {"order": 3, "item": 2, "customer": 1}
    assert report.details["object_relationships"] == 1
    by_customer = report_of(ocel.read(shop, object_type="customer"))
    assert (by_customer.rows, by_customer.duplicated, by_customer.dropped) == (3, 0, 3)
    by_item = report_of(ocel.read(shop, object_type="item"))
    assert (by_item.rows, by_item.duplicated, by_item.extra_rows, by_item.dropped) == (3, 1, 1, 4)


def test_event_ids_qualifiers_and_typed_event_attributes_become_columns(shop):
    frame = ocel.read(shop, object_type="order").set_index(["ocel:eid", "user"])
    assert frame.loc[("e4", "o2"), "ocel:qualifier"] == "paid"
    assert frame.loc[("e1", "o1"), "total"] == 30.5 and frame["total"].dtype == np.float64
    assert frame.loc[("e4", "o1"), "method"] == "card"
    assert frame.loc[("e5", "o1"), "parcels"] == 2 and frame.loc[("e5", "o1"), "express"] is True
    assert frame["time"].dt.tz is not None and frame.loc[("e6", "o3"), "time"] == pd.Timestamp("2025-01-01T09:00Z")


def test_object_attributes_take_their_value_at_the_time_of_each_event(shop):
    frame = ocel.read(shop, object_type="order").set_index(["ocel:eid", "user"])
    assert frame.loc[("e1", "o1"), "case:status"] == "open"
    assert frame.loc[("e4", "o1"), "case:status"] == "paid"  # changed at the payment's own instant
    assert frame.loc[("e5", "o1"), "case:status"] == "paid"
    assert frame.loc[("e4", "o2"), "case:status"] == "open"
    assert pd.isna(frame.loc[("e6", "o3"), "case:status"])  # o3 never had a status
    items = ocel.read(shop, object_type="item")
    assert items.loc[items["user"] == "i1", "case:weight"].tolist() == [1.5, 1.5]


def test_the_same_event_and_object_listed_twice_make_one_row_with_both_qualifiers(tmp_path):
    twice = [("e1", "place order", "2025-01-01T10:00:00Z", {}, [("o1", "placed"), ("o1", "paid for")])]
    frame = ocel.read(write_shop(tmp_path, "json", twice), object_type="order")
    assert frame["ocel:qualifier"].tolist() == ["placed, paid for"]
    assert report_of(frame).duplicated == 0


# --- object_type ----------------------------------------------------------------------------------


def test_object_type_is_required_and_the_error_lists_the_types(shop):
    with pytest.raises(
        JourneyError,
        match=r"object_type='order'.*'order' \(3 objects\), 'item' \(2 objects\), "
        r"'customer' \(1 objects\)",
    ):
        journey.read_events(shop, format="ocel")


def test_an_unknown_object_type_is_refused_with_a_suggestion(shop):
    with pytest.raises(JourneyError, match=r"object_type='orders' is not an object type.*Did you mean 'order'\?"):
        ocel.read(shop, object_type="orders")


# --- bad input ------------------------------------------------------------------------------------


def test_malformed_json_names_the_line_and_column(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"events": [\n  {"id": "e1",\n   "type": }\n]}')
    with pytest.raises(SourceError, match=r"bad\.json, line 3, column 12: not valid JSON"):
        ocel.read(path, object_type="order")


def test_a_json_event_without_its_id_is_named_by_its_place(tmp_path):
    data = ocel_json()
    del data["events"][2]["id"]
    path = tmp_path / "log.json"
    path.write_text(json.dumps(data))
    with pytest.raises(JourneyError, match=r"log\.json: events\[2\] has no 'id'"):
        ocel.read(path, object_type="order")


def test_an_xml_element_without_a_required_attribute_names_its_line(tmp_path):
    path = tmp_path / "log.xml"
    path.write_text(
        ocel_xml().replace('<relationship object-id="o2" qualifier="placed"/>', '<relationship qualifier="placed"/>')
    )
    with pytest.raises(JourneyError, match=r"log\.xml, line 7: <relationship> without its 'object-id' attribute"):
        ocel.read(path, object_type="order")
    path.write_text(ocel_xml().replace("</events>", "</event>", 1))
    with pytest.raises(SourceError, match=r"log\.xml, line \d+, column \d+: not well-formed XML"):
        ocel.read(path, object_type="order")


def test_a_sqlite_file_without_the_standard_tables_is_refused_naming_the_table(tmp_path):
    path = tmp_path / "other.sqlite"
    db = sqlite3.connect(path)
    db.execute("create table event (ocel_id TEXT, ocel_type TEXT)")
    db.commit()
    db.close()
    with pytest.raises(SourceError, match=r"not an OCEL 2\.0 SQLite log \(no table 'event_object'"):
        ocel.read(path, object_type="order")


def test_a_bad_time_or_attribute_raises_naming_the_event(tmp_path):
    events = [EVENTS[0][:2] + ("soon",) + EVENTS[0][3:]] + EVENTS[1:]
    with pytest.raises(JourneyError, match=r"shop\.xml: line 6: time 'soon' is not an ISO 8601 time"):
        ocel.read(write_shop(tmp_path, "xml", events), object_type="order")
    events = EVENTS[:4] + [EVENTS[4][:3] + ({"parcels": "two"},) + EVENTS[4][4:]] + EVENTS[5:]
    with pytest.raises(JourneyError, match=r"events\[4\]: attribute 'parcels' = 'two' is not an integer"):
        ocel.read(write_shop(tmp_path, "json", events), object_type="order")


def test_lenient_mode_drops_the_rows_of_bad_events_and_lists_them_with_their_lines(tmp_path):
    events = (
        [EVENTS[0][:2] + ("soon",) + EVENTS[0][3:]]
        + EVENTS[1:3]
        + [EVENTS[3][:1] + ("REMOVED",) + EVENTS[3][2:]]
        + EVENTS[4:]
    )
    path = write_shop(tmp_path, "xml", events)
    path.write_text(path.read_text().replace(' type="REMOVED"', ""))
    with pytest.warns(journey.JourneyWarning):
        log = journey.read_events(path, format="ocel", object_type="order", on_invalid="drop")
    assert log.dropped[["row", "line", "column"]].values.tolist() == [[0, 6, "time"], [2, 9, "type"], [3, 9, "type"]]
    assert log.dropped["value"].iloc[0] == "soon"
    assert log.n_events == 3
