"""combine_logs: several systems' contact points as one log, one customer id, the sources report, errors by source."""

import warnings

import pandas as pd
import pytest

import journey
from journey.errors import InvalidValuesError, JourneyError, JourneyWarning, MissingColumnError
from journey.io.combine import CombinedLog, combine_logs


def frame(rows):
    return pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])


WEB = frame(
    [
        ("a", "home", "2025-01-01T10:00Z"),
        ("a", "cart", "2025-01-01T10:05Z"),
        ("b", "home", "2025-01-02T09:00Z"),
        ("d", "home", "2025-01-04T09:00Z"),
    ]
)
ORDERS = pd.DataFrame(
    {
        "customer_id": ["a", "b"],
        "order_id": ["o1", "o2"],
        "amount": [30.0, 12.5],
        "timestamp": ["2025-01-01T10:05Z", "2025-01-02T09:30Z"],
    }
)
TICKETS = frame([("T1", "support", "2025-01-01T11:00Z"), ("T2", "support", "2025-01-03T08:00Z")])


def three_sources(**options):
    orders = journey.read_events(ORDERS.assign(event="order"), user="customer_id")
    return combine_logs(
        WEB,
        orders,
        TICKETS,
        channel=["web", "orders", "support"],
        identities={"support": {"T1": "a", "T2": "c"}},
        **options,
    )


def test_sources_become_one_log_with_a_channel_column_and_common_ids():
    log = three_sources()
    assert isinstance(log, CombinedLog) and isinstance(log, journey.EventLog)
    shown = log.frame[["user", "event", "channel"]].astype(str).values.tolist()
    # a's cart (web) and order (orders) share an instant: the sources' order decides, web first.
    assert shown == [
        ["a", "home", "web"],
        ["a", "cart", "web"],
        ["a", "order", "orders"],
        ["a", "support", "support"],
        ["b", "home", "web"],
        ["b", "order", "orders"],
        ["c", "support", "support"],
        ["d", "home", "web"],
    ]
    assert log.frame.loc[2, "amount"] == 30.0 and pd.isna(log.frame.loc[0, "amount"])  # columns of one source only
    assert log.n_users == 4 and log.source == "combine_logs(web, orders, support)"


def test_the_sources_report_counts_customers_found_in_one_source_only():
    report = three_sources().sources
    assert report.columns.tolist() == ["channel", "events", "customers", "only_here", "only_here_share", "unmapped_ids"]
    assert report["channel"].tolist() == ["web", "orders", "support"]
    assert report["events"].tolist() == [4, 2, 2]
    assert report["customers"].tolist() == [3, 2, 2]
    # d is only on the web, c only in support; a and b are in two or three sources.
    assert report["only_here"].tolist() == [1, 0, 1]
    assert report["only_here_share"].tolist() == pytest.approx([1 / 3, 0, 0.5])
    assert report["unmapped_ids"].isna().tolist() == [True, True, False] and report["unmapped_ids"].iloc[2] == 0
    log = three_sources()
    assert log.only_in("web").tolist() == ["d"] and log.only_in("orders").tolist() == []
    with pytest.raises(JourneyError, match="Did you mean 'support'"):
        log.only_in("suport")


def test_a_dict_of_sources_names_the_channels_in_its_order():
    by_list = combine_logs(WEB, TICKETS, channel=["web", "support"])
    by_dict = combine_logs({"web": WEB, "support": TICKETS})
    pd.testing.assert_frame_equal(by_list.frame, by_dict.frame)
    pd.testing.assert_frame_equal(by_list.sources, by_dict.sources)


@pytest.mark.parametrize(
    "table",
    [
        {"T1": "a", "T2": "c"},
        pd.Series({"T1": "a", "T2": "c"}),
        pd.DataFrame({"ticket_user": ["T1", "T2", "T2"], "user_id": ["a", "c", "c"]}),  # repeated rows agree: fine
    ],
)
def test_identities_take_a_dict_a_series_or_a_two_column_frame(table):
    log = combine_logs(WEB, TICKETS, channel=["web", "support"], identities={"support": table})
    support = log.frame[log.frame["channel"] == "support"]
    assert support["user"].tolist() == ["a", "c"]


def test_ids_missing_from_an_identity_table_are_kept_with_a_warning():
    with pytest.warns(
        JourneyWarning, match=r"channel 'support': 1 of its 2 customer ids are not in identities\['support'\]"
    ):
        log = combine_logs(WEB, TICKETS, channel=["web", "support"], identities={"support": {"T1": "a"}})
    assert sorted(log.frame["user"].unique()) == ["T2", "a", "b", "d"]
    assert log.sources["unmapped_ids"].tolist()[1] == 1


def test_analyses_take_a_combined_log_and_compare_its_channels():
    log = three_sources()
    result = journey.drop_off(log, goal="order", by="channel")
    assert set(result.to_frame()["channel"]) <= {"web", "orders", "support"}
    sessions = log.sessions("30min")
    assert isinstance(sessions, CombinedLog) and sessions.sources.equals(log.sources)
    assert isinstance(log.with_period("M"), CombinedLog)
    assert "sources" in repr(log) and "support 2 customers (1 only there)" in repr(log)


def test_rows_dropped_by_a_sources_reader_are_listed_with_their_channel():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)
        web = journey.read_events(
            pd.concat([WEB, frame([("e", "home", "not a time")])], ignore_index=True), on_invalid="drop"
        )
    log = combine_logs(web, TICKETS, channel=["web", "support"])
    assert log.dropped["channel"].tolist() == ["web"] and log.dropped["row"].tolist() == [4]


# --- errors name the source by its channel, and the column ------------------------------------------


def test_invalid_values_in_a_source_name_its_channel_its_column_and_rows():
    bad = TICKETS.assign(timestamp=["2025-01-01T11:00Z", "yesterday"])
    with pytest.raises(
        InvalidValuesError, match=r"channel 'support': column 'timestamp': .* row 1 \('yesterday'\)"
    ) as err:
        combine_logs(WEB, bad, channel=["web", "support"])
    assert err.value.column == "timestamp" and err.value.rows == [1]


def test_a_missing_column_names_the_channel_and_says_how_to_read_the_source():
    with pytest.raises(
        MissingColumnError, match="channel 'orders': column 'user_id'.*read this source with journey.read_events"
    ):
        combine_logs(WEB, ORDERS.assign(event="order"), channel=["web", "orders"])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: combine_logs(WEB, TICKETS), "name each source's channel with channel="),
        (lambda: combine_logs(WEB, TICKETS, channel=["web"]), "names 1 channel for 2 sources"),
        (lambda: combine_logs(WEB, TICKETS, channel=["web", "web"]), "channel 'web' names two sources"),
        (lambda: combine_logs(WEB, TICKETS, channel=["web", " "]), "non-blank"),
        (lambda: combine_logs({"web": WEB}, channel=["web"]), "leave out channel="),
        (lambda: combine_logs(channel=[]), "at least one source"),
        (lambda: combine_logs(WEB, 3, channel=["web", "x"]), "channel 'x': a source is an EventLog"),
        (
            lambda: combine_logs(WEB, TICKETS, channel=["web", "support"], identities={"suport": {}}),
            "channel 'suport', which is not one of the sources .*Did you mean 'support'",
        ),
        (
            lambda: combine_logs(WEB.assign(channel="ad"), channel=["web"]),
            "channel 'web': the source has a column 'channel'",
        ),
        (
            lambda: combine_logs(WEB, TICKETS.assign(user_id=[1, 2]), channel=["web", "support"]),
            "text in 'web', whole numbers in 'support'",
        ),
        (
            lambda: combine_logs(
                WEB, TICKETS, channel=["web", "support"], identities={"support": {"T1": "a", "T2": None}}
            ),
            r"identities\['support'\]: 1 ids map to no customer",
        ),
        (
            lambda: combine_logs(
                WEB,
                TICKETS,
                channel=["web", "support"],
                identities={"support": pd.DataFrame({"t": ["T1", "T1"], "u": ["a", "b"]})},
            ),
            r"identities\['support'\]: 1 ids map to more than one customer, e.g. 'T1' to 'a', 'b'",
        ),
        (
            lambda: combine_logs(WEB, TICKETS, channel=["web", "support"], identities={"support": {1: "a"}}),
            "channel 'support': none of its 2 customer ids are in identities",
        ),
        (
            lambda: combine_logs(
                WEB,
                TICKETS,
                channel=["web", "support"],
                identities={"support": pd.DataFrame({"a": [1], "b": [2], "c": [3]})},
            ),
            "has two columns",
        ),
    ],
)
def test_mistakes_are_errors_that_say_which_source(call, message):
    with pytest.raises(JourneyError, match=message):
        call()
