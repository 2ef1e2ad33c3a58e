"""XES (IEEE 1849): read into the same journeys as the tidy table, typed attributes kept, header honoured,
bad elements named by file and line, and logs written back out exactly."""

import gzip
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

import journey
from journey.errors import InvalidValuesError, JourneyError, MixedTimezoneError, SourceError
from journey.io.formats import xes
from journey.io.formats.read_report import report_of
from journey.io.formats.xes import write_xes  # journey.write_xes once exported

# The tidy equivalent of every fixture below: three cases, one with a repeated step.
TIDY = pd.DataFrame(
    {
        "user_id": ["c1", "c1", "c1", "c2", "c2", "c3"],
        "timestamp": [
            "2025-03-01T09:00:00.000Z",
            "2025-03-01T09:05:00.250Z",
            "2025-03-01T09:07:00.000Z",
            "2025-03-02T10:00:00.000Z",
            "2025-03-02T10:30:00.000Z",
            "2025-03-03T08:00:00.000Z",
        ],
        "event": ["register", "check", "check", "register", "approve", "register"],
    }
)


def attribute(tag, key, value):
    return f'<{tag} key="{key}" value="{value}"/>'


def xes_document(frame=TIDY, header="", event_extra=None, trace_extra=None, prefix="concept"):
    """An XES file written by hand from the standard's schema (not by journey): one trace per user."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">',
        f'<extension name="Concept" prefix="{prefix}" uri="http://www.xes-standard.org/concept.xesext"/>',
        '<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>',
        header,
    ]
    for user, rows in frame.groupby("user_id", sort=False):
        parts.append(f"<trace>{attribute('string', f'{prefix}:name', user)}{(trace_extra or {}).get(user, '')}")
        for i, row in rows.iterrows():
            parts.append(
                "<event>"
                + attribute("string", f"{prefix}:name", row["event"])
                + attribute("date", "time:timestamp", row["timestamp"])
                + (event_extra or {}).get(i, "")
                + "</event>"
            )
        parts.append("</trace>")
    parts.append("</log>")
    return "\n".join(parts)


@pytest.fixture
def write(tmp_path):
    def write(text, name="log.xes"):
        path = tmp_path / name
        if name.endswith(".gz"):
            with gzip.open(path, "wt", encoding="utf-8") as out:
                out.write(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write


def edges(log):
    return journey.to_frames(journey.journey_graph(log))[1]


# --- the same journeys as the tidy table ------------------------------------------------------------


@pytest.mark.parametrize("name", ["log.xes", "log.xes.gz"])
def test_an_xes_file_gives_the_journey_graph_of_its_tidy_equivalent(write, name):
    log = journey.read_events(write(xes_document(), name), format="xes")
    pd.testing.assert_frame_equal(edges(log), edges(journey.read_events(TIDY)))
    assert log.frame["user"].tolist() == ["c1", "c1", "c1", "c2", "c2", "c3"]
    assert log.frame["time"].iloc[1] == pd.Timestamp("2025-03-01T09:05:00.250Z")


def test_typed_trace_and_event_attributes_become_columns_of_their_type(write):
    extra = {
        0: attribute("int", "cost", 12)
        + attribute("float", "share", 0.25)
        + attribute("boolean", "ok", "true")
        + attribute("id", "ref", "A-1")
        + attribute("date", "due", "2025-04-01T00:00:00+02:00")
        + attribute("string", "org:resource", "Ann")
        + attribute("string", "lifecycle:transition", "complete")
    }
    extra.update(
        {
            i: attribute("int", "cost", i)
            + attribute("float", "share", 1)
            + attribute("boolean", "ok", "false")
            + attribute("id", "ref", f"B-{i}")
            + attribute("date", "due", "2025-04-02T00:00:00Z")
            + attribute("string", "org:resource", "Bob")
            + attribute("string", "lifecycle:transition", "start")
            for i in range(1, 6)
        }
    )
    frame = xes.read(
        write(
            xes_document(
                event_extra=extra,
                trace_extra={"c1": attribute("string", "segment", "vip"), "c2": attribute("string", "segment", "new")},
            )
        )
    )
    assert frame["cost"].tolist() == [12, 1, 2, 3, 4, 5] and frame["cost"].dtype == np.int64
    assert frame["share"].dtype == np.float64 and frame["ok"].tolist() == [True] + [False] * 5
    assert frame["ref"].iloc[0] == "A-1" and frame["org:resource"].iloc[0] == "Ann"
    assert frame["lifecycle:transition"].tolist()[:2] == ["complete", "start"]
    assert frame["due"].iloc[0] == pd.Timestamp("2025-03-31T22:00Z")
    assert frame["case:segment"].tolist()[:5] == ["vip", "vip", "vip", "new", "new"]
    assert pd.isna(frame["case:segment"].iloc[5])  # c3 has no segment


def test_nested_attributes_are_dotted_columns_and_lists_are_tuples(write):
    nested = (
        '<float key="cost:total" value="10.5"><string key="currency" value="EUR"/></float>'
        '<list key="items"><values><string key="item" value="pen"/><int key="item" value="2"/></values></list>'
    )
    frame = xes.read(write(xes_document(event_extra={0: nested})))
    assert frame["cost:total"].iloc[0] == 10.5 and frame["cost:total.currency"].iloc[0] == "EUR"
    assert frame["items"].iloc[0] == ("pen", 2) and pd.isna(frame["items"].iloc[1])
    assert journey.read_events(frame, user="user", time="time").n_duplicates == 0  # tuples hash, as columns must


def test_a_standard_extension_under_another_prefix_is_read_under_its_standard_prefix(write):
    frame = xes.read(write(xes_document(prefix="cn")))
    assert frame["event"].tolist()[:2] == ["register", "check"] and frame["user"].iloc[0] == "c1"


def test_globals_fill_missing_attributes_but_never_invent_a_name_or_a_time(write):
    header = (
        '<global scope="event"><string key="lifecycle:transition" value="complete"/>'
        '<string key="concept:name" value="__INVALID__"/>'
        '<date key="time:timestamp" value="1970-01-01T00:00:00Z"/></global>'
        '<global scope="trace"><string key="concept:name" value="__INVALID__"/>'
        '<string key="channel" value="web"/></global>'
    )
    extra = {0: attribute("string", "lifecycle:transition", "start")}
    frame = xes.read(write(xes_document(header=header, event_extra=extra)))
    assert frame["lifecycle:transition"].tolist() == ["start"] + ["complete"] * 5
    assert frame["case:channel"].eq("web").all()
    log = journey.read_events(write(xes_document(header=header)), format="xes")
    assert "__INVALID__" not in log.events


def test_a_classifier_of_the_file_names_the_events(write):
    header = '<classifier name="Activity and transition" keys="concept:name lifecycle:transition"/>'
    extra = {i: attribute("string", "lifecycle:transition", "start" if i % 2 else "complete") for i in range(6)}
    path = write(xes_document(header=header, event_extra=extra))
    log = journey.read_events(path, format="xes", classifier="Activity and transition")
    assert log.frame["event"].tolist()[:2] == ["register+complete", "check+start"]
    assert log.frame["concept:name"].tolist()[:2] == ["register", "check"]
    assert report_of(xes.read(path)).details["classifiers"] == {
        "Activity and transition": ["concept:name", "lifecycle:transition"]
    }
    with pytest.raises(JourneyError, match=r"classifier='Resource'.*'Activity and transition'"):
        xes.read(path, classifier="Resource")


def test_the_report_counts_traces_and_keeps_log_attributes_and_event_lines(write):
    frame = xes.read(write(xes_document(header=attribute("string", "source", "ERP"))))
    report = report_of(frame)
    assert (report.records, report.rows, report.details["traces"]) == (6, 6, 3)
    assert report.details["log_attributes"] == {"source": "ERP"}
    assert report.lines.tolist() == [7, 8, 9, 12, 13, 16]


def test_user_time_and_event_may_name_other_columns_of_the_reader(write):
    extra = {i: attribute("string", "org:resource", r) for i, r in enumerate("AABBCC")}
    log = journey.read_events(write(xes_document(event_extra=extra)), format="xes", user="org:resource")
    assert log.n_users == 3 and "case:concept:name" in log.columns


# --- bad input: file, line and field named ------------------------------------------------------------


def test_malformed_xml_names_the_file_line_and_column(write):
    text = xes_document().replace("<event>", "<event", 1)
    with pytest.raises(SourceError, match=r"log\.xes, line 7, column 7: not well-formed XML"):
        xes.read(write(text))


def test_a_file_that_is_not_xes_is_refused(write):
    with pytest.raises(SourceError, match=r"line 1: not an XES file \(the root element is <html>"):
        xes.read(write("<html><body/></html>"))
    with pytest.raises(SourceError, match="does not exist"):
        xes.read(write("<log/>").with_name("missing.xes"))


def test_an_attribute_without_key_or_value_names_its_line(write):
    with pytest.raises(JourneyError, match=r"log\.xes, line 8: <int> without a key attribute"):
        xes.read(write(xes_document(event_extra={1: '<int value="3"/>'})))
    with pytest.raises(JourneyError, match=r"line 9: <int key='cost'> without a value attribute"):
        xes.read(write(xes_document(event_extra={2: '<int key="cost"/>'})))


def test_a_value_not_of_its_type_names_the_line_key_and_value(write):
    with pytest.raises(JourneyError, match=r"line 12: <int key='cost' value='twelve'>: the value is not an integer"):
        xes.read(write(xes_document(event_extra={3: attribute("int", "cost", "twelve")})))


def test_missing_names_and_times_name_the_line_of_the_element(write):
    no_name = xes_document(trace_extra={}).replace(attribute("string", "concept:name", "c2"), "")
    with pytest.raises(JourneyError, match=r"line 11 \(a <trace> without concept:name, with 2 events\)"):
        xes.read(write(no_name))
    no_time = xes_document().replace(attribute("date", "time:timestamp", TIDY["timestamp"][4]), "")
    with pytest.raises(JourneyError, match=r"line 13: an <event> without time:timestamp"):
        xes.read(write(no_time))
    bad_time = xes_document().replace(TIDY["timestamp"][5], "tomorrow")
    with pytest.raises(
        JourneyError, match=r"line 16: <date key='time:timestamp' value='tomorrow'>: not an xs:dateTime"
    ):
        xes.read(write(bad_time))
    naive = xes_document().replace(TIDY["timestamp"][5], "2025-03-03T08:00:00")
    with pytest.raises(MixedTimezoneError, match=r"line 16 of .*log\.xes is the first"):
        xes.read(write(naive))


def test_lenient_mode_drops_bad_events_and_lists_them_with_their_lines(write):
    text = (
        xes_document(event_extra={3: attribute("int", "cost", "twelve")})
        .replace(TIDY["timestamp"][5], "tomorrow")
        .replace(attribute("string", "concept:name", "approve"), "")
    )
    with pytest.warns(journey.JourneyWarning, match="dropped 3 of 6 rows"):
        log = journey.read_events(write(text), format="xes", on_invalid="drop")
    assert log.n_events == 3
    dropped = log.dropped
    assert dropped[["row", "line", "column"]].values.tolist() == [
        [3, 12, "cost"],
        [4, 13, "concept:name"],
        [5, 16, "time:timestamp"],
    ]
    assert dropped["value"].tolist()[::2] == ["twelve", "tomorrow"]  # as written in the file, listed once


# --- writing ------------------------------------------------------------------------------------------


@pytest.fixture
def rich_log():
    df = TIDY.assign(
        timestamp=pd.to_datetime(TIDY["timestamp"], format="ISO8601"),
        amount=[1, 2, 3, 4, 5, 6],
        share=[0.5, np.nan, 1e-300, 2.0, np.inf, 3.25],
        ok=[True, False] * 3,
        note=["tab\there", "line\nbreak & <tag>", 'quote "x"', "é ü 😀", None, "   spaced  "],
        due=pd.to_datetime(["2025-04-01", None, "2025-04-02", None, None, "2025-04-03"], utc=True),
        **{"case:segment": ["vip"] * 3 + ["new"] * 2 + [None]},
    )
    return journey.read_events(df)


def _same(a, b):
    return a.astype(object).where(a.notna(), None).tolist() == b.astype(object).where(b.notna(), None).tolist()


@pytest.mark.parametrize("name", ["out.xes", "out.xes.gz"])
def test_write_xes_round_trips_events_times_and_typed_attributes(rich_log, tmp_path, name):
    path = write_xes(rich_log, tmp_path / name)
    back = journey.read_events(path, format="xes")
    for column in rich_log.columns:
        assert _same(rich_log.frame[column], back.frame[column]), column
    assert back.frame["amount"].dtype == np.int64 and back.frame["ok"].dtype == bool
    pd.testing.assert_frame_equal(edges(back), edges(rich_log))


def test_written_xes_is_xml_that_elementtree_parses_as_the_standard_describes(rich_log, tmp_path):
    root = ET.parse(write_xes(rich_log, tmp_path / "out.xes")).getroot()
    ns = {"x": "http://www.xes-standard.org/"}
    assert root.tag == "{http://www.xes-standard.org/}log" and root.get("xes.version") == "1849-2016"
    traces = root.findall("x:trace", ns)
    assert [t.find("x:string[@key='concept:name']", ns).get("value") for t in traces] == ["c1", "c2", "c3"]
    first = traces[0].find("x:event", ns)
    assert first.find("x:date[@key='time:timestamp']", ns).get("value") == "2025-03-01T09:00:00.000+00:00"
    assert first.find("x:string[@key='note']", ns).get("value") == "tab\there"
    assert {e.get("prefix") for e in root.findall("x:extension", ns)} == {"concept", "time"}


def test_times_are_written_to_the_precision_the_log_holds(tmp_path):
    for stamp, written in [
        ("2025-01-01T10:00:00Z", "10:00:00.000+00:00"),
        ("2025-01-01T10:00:00.123456Z", "10:00:00.123456+00:00"),
        ("2025-01-01T10:00:00.123456789Z", "10:00:00.123456789+00:00"),
    ]:
        log = journey.read_events(pd.DataFrame({"user_id": ["a"], "event": ["x"], "timestamp": [stamp]}))
        path = write_xes(log, tmp_path / "t.xes")
        assert written in path.read_text()
        assert journey.read_events(path, format="xes").frame["time"].iloc[0] == pd.Timestamp(stamp)


def test_control_characters_are_refused_naming_the_column_and_row(tmp_path):
    df = TIDY.assign(event=["ok", "bell\x07", "ok", "ok", "ok", "ok"])
    with pytest.raises(InvalidValuesError, match=r"column 'event': values holding characters XML 1\.0 cannot"):
        write_xes(df, tmp_path / "bad.xes")
    with pytest.raises(InvalidValuesError, match=r"row 0 \('null\\x00'\)"):
        write_xes(TIDY.assign(note=["null\x00"] + ["x"] * 5), tmp_path / "bad.xes")
    assert not (tmp_path / "bad.xes").exists()  # refused before a byte is written


def test_an_event_outside_any_trace_has_no_case_and_is_named_by_its_line(write):
    text = xes_document().replace(
        "</log>",
        "<event>"
        + attribute("string", "concept:name", "stray")
        + attribute("date", "time:timestamp", "2025-03-04T00:00:00Z")
        + "</event>\n</log>",
    )
    with pytest.raises(
        JourneyError, match=r"line 18 \(an <event>; 1 such events in all\): case:concept:name is missing"
    ):
        xes.read(write(text))
    with pytest.warns(journey.JourneyWarning, match="dropped 1 of 7 rows"):
        log = journey.read_events(write(text), format="xes", on_invalid="drop")
    assert log.dropped[["row", "line", "column"]].values.tolist() == [[6, 18, "case:concept:name"]]


def test_process_mining_formats_and_sql_are_read_by_the_default_engine_only(write):
    with pytest.raises(JourneyError, match=r"format='xes' reads in memory; engine='dask' reads tidy Parquet"):
        journey.read_events(write(xes_document()), format="xes", engine="dask")
    with pytest.raises(JourneyError, match=r"engine='dask' does not read query=\.\.\. or table=\.\.\. yet"):
        journey.read_events("sqlite://", query="select 1", engine="dask")
