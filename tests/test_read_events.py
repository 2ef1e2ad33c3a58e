"""read_events: what it keeps, how it orders, and how it refuses bad input."""

import gzip
import warnings

import numpy as np
import pandas as pd
import pytest

import journey
from journey.errors import (
    EmptyLogError,
    EncodingError,
    InvalidValuesError,
    JourneyError,
    MissingColumnError,
    MixedTimezoneError,
    SourceError,
    TimeUnitError,
)


def events(**columns):
    base = {"user_id": ["a", "a", "b"], "timestamp": ["2025-03-01T10:00:00Z"] * 3, "event": ["home", "cart", "home"]}
    return pd.DataFrame({**base, **columns})


# --- what is kept and how it is ordered -----------------------------------------------------------


def test_sorted_by_user_then_utc_time_with_ties_in_input_order():
    df = pd.DataFrame(
        {
            "user_id": ["b", "a", "a", "a", "a"],
            "timestamp": [
                "2025-01-01T09:00Z",
                "2025-01-01T12:00+02:00",
                "2025-01-01T10:00Z",
                "2025-01-01T09:00Z",
                "2025-01-01T10:00Z",
            ],
            "event": ["x", "first-at-10", "second-at-10", "at-9", "third-at-10"],
        }
    )
    log = journey.read_events(df)
    # 12:00+02:00 is 10:00 UTC: three events of "a" tie at 10:00 and keep input order.
    assert log.frame["event"].tolist() == ["at-9", "first-at-10", "second-at-10", "third-at-10", "x"]
    assert log.frame["user"].tolist() == ["a", "a", "a", "a", "b"]


def test_offsets_are_converted_to_utc_and_stored_tz_aware():
    log = journey.read_events(
        events(timestamp=["2025-03-01T10:00:00+01:00", "2025-03-01T10:00:00Z", "2025-03-01T04:00:00-05:00"])
    )
    assert str(log.frame["time"].dt.tz) == "UTC"
    assert log.frame["time"].tolist() == [
        pd.Timestamp("2025-03-01 09:00", tz="UTC"),
        pd.Timestamp("2025-03-01 10:00", tz="UTC"),
        pd.Timestamp("2025-03-01 09:00", tz="UTC"),
    ]


def test_naive_timestamps_are_read_in_the_given_zone():
    log = journey.read_events(events(timestamp=["2025-07-01 12:00:00"] * 3), tz="Europe/Paris")
    assert log.frame["time"].iloc[0] == pd.Timestamp("2025-07-01 10:00", tz="UTC")  # CEST is UTC+2


def test_naive_pandas_datetimes_are_read_in_the_given_zone_and_aware_ones_converted():
    naive = events(timestamp=pd.to_datetime(["2025-01-15 12:00"] * 3))
    assert journey.read_events(naive, tz="America/New_York").frame["time"].iloc[0] == pd.Timestamp(
        "2025-01-15 17:00", tz="UTC"
    )
    aware = events(timestamp=pd.to_datetime(["2025-01-15 12:00"] * 3).tz_localize("Asia/Tokyo"))
    assert journey.read_events(aware).frame["time"].iloc[0] == pd.Timestamp("2025-01-15 03:00", tz="UTC")


@pytest.mark.parametrize("unit, value", [("s", 1_735_725_600), ("ms", 1_735_725_600_000)])
def test_epoch_numbers_are_read_in_the_unit_given(unit, value):
    log = journey.read_events(events(timestamp=[value] * 3), time_unit=unit)
    assert log.frame["time"].iloc[0] == pd.Timestamp("2025-01-01 10:00", tz="UTC")


def test_pm4py_column_names_are_recognised_when_defaults_are_absent():
    df = pd.DataFrame(
        {
            "case:concept:name": ["c1", "c1"],
            "concept:name": ["register", "pay"],
            "time:timestamp": pd.to_datetime(["2025-01-01 10:00", "2025-01-01 11:00"], utc=True),
        }
    )
    log = journey.read_events(df)
    assert log.frame[["user", "event"]].astype(str).values.tolist() == [["c1", "register"], ["c1", "pay"]]


def test_extra_columns_are_kept_untouched_and_the_input_is_not_mutated():
    df = events(amount=[1.5, 2.5, np.nan], device=["mobile", "desktop", None])
    before = df.copy(deep=True)
    log = journey.read_events(df)
    pd.testing.assert_frame_equal(df, before)
    assert list(log.frame.columns) == ["user", "time", "event", "amount", "device"]
    assert log.frame["amount"].dtype == np.float64
    assert log.frame["amount"].tolist()[:2] == [1.5, 2.5] and np.isnan(log.frame["amount"].iloc[2])
    assert isinstance(log.frame["event"].dtype, pd.CategoricalDtype)


def test_csv_ids_stay_text(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("user_id,timestamp,event\n007,2025-01-01T10:00Z,home\n7,2025-01-01T10:00Z,home\n")
    assert sorted(journey.read_events(path).frame["user"].tolist()) == ["007", "7"]


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_every_file_format_gives_the_same_log(tmp_path, suffix):
    df = events(timestamp=["2025-03-01T10:00:00Z", "2025-03-01T10:05:00Z", "2025-03-01T09:00:00Z"])
    path = tmp_path / f"events{suffix}"
    if suffix == ".parquet":
        df.to_parquet(path)
    else:
        df.to_csv(path, index=False)
    from_file = journey.read_events(path).frame
    from_frame = journey.read_events(df).frame
    pd.testing.assert_frame_equal(from_file.astype({"user": object}), from_frame.astype({"user": object}))


def test_exact_duplicates_are_kept_and_counted():
    df = pd.concat([events(), events().iloc[[0]]], ignore_index=True)
    log = journey.read_events(df)
    assert len(log) == 4 and log.n_duplicates == 1


def test_summary_and_reprs_carry_the_figures_and_no_address():
    log = journey.read_events(events())
    text, page = repr(log), log._repr_html_()
    assert "events                3" in text and "users                 2" in text
    assert "0x" not in text and "0x" not in page
    s = log.summary()
    assert (s["events"], s["users"], s["event types"]) == (3, 2, 2)


def test_html_repr_escapes_event_names():
    log = journey.read_events(events(event=["<script>", "a&b", "home"]))
    assert "<script>" not in log._repr_html_() and "&lt;script&gt;" in log._repr_html_()


# --- sessions --------------------------------------------------------------------------------------


def test_sessions_split_after_a_gap_longer_than_gap_and_number_per_user():
    df = pd.DataFrame(
        {
            "user_id": ["a"] * 4 + ["b"] * 2,
            "timestamp": [
                "2025-01-01T23:50Z",
                "2025-01-02T00:20Z",  # exactly 30 min later: same session
                "2025-01-02T00:50:01Z",  # 30 min 1 s later: new session
                "2025-01-02T00:55Z",
                "2025-01-01T08:00Z",
                "2025-01-01T09:00Z",
            ],
            "event": list("pqrsxy"),
        }
    )
    s = journey.read_events(df).sessions("30min").frame
    assert s["session"].tolist() == [1, 1, 2, 2, 1, 2]


def test_sessions_are_not_cut_at_midnight():
    df = events(user_id=["a"] * 3, timestamp=["2025-01-01T23:55Z", "2025-01-02T00:05Z", "2025-01-02T00:15Z"])
    assert journey.read_events(df).sessions("30min").frame["session"].tolist() == [1, 1, 1]


def test_sessions_refuse_a_bad_gap_and_an_input_session_column():
    log = journey.read_events(events())
    with pytest.raises(JourneyError, match="gap"):
        log.sessions("soon")
    with pytest.raises(JourneyError, match="session"):
        journey.read_events(events(session=[1, 2, 3])).sessions()


# --- bad input: each case names the column ----------------------------------------------------------


def test_missing_column_lists_the_available_ones_and_suggests_a_close_match():
    with pytest.raises(MissingColumnError) as err:
        journey.read_events(events().rename(columns={"user_id": "userid"}))
    message = str(err.value)
    assert "'user_id'" in message and "'userid'" in message and "Did you mean 'userid'?" in message


@pytest.mark.parametrize(
    "column, values, reason",
    [
        ("user_id", ["a", None, "b"], "missing"),
        ("user_id", ["a", "  ", "b"], "blank"),
        ("event", ["home", None, "cart"], "missing"),
        ("event", ["home", "", "cart"], "blank"),
        ("event", ["home", journey.START, "cart"], "reserves"),
        ("timestamp", ["2025-01-01T10:00Z", "yesterday", "2025-13-01T10:00Z"], "ISO-8601"),
        ("timestamp", ["2025-01-01T10:00Z", None, "2025-01-01T10:00Z"], "missing"),
    ],
)
def test_invalid_values_name_the_column_count_rows_and_values(column, values, reason):
    with pytest.raises(InvalidValuesError) as err:
        journey.read_events(events(**{column: values}))
    e = err.value
    assert e.column == column and f"column {column!r}" in str(e) and reason in str(e)
    bad_rows = [
        i
        for i, v in enumerate(values)
        if v is None or str(v).strip() in ("", "yesterday", journey.START) or v == "2025-13-01T10:00Z"
    ]
    assert e.rows == bad_rows and f"row {bad_rows[0]}" in str(e)


def test_mixed_naive_and_offset_timestamps_are_refused():
    with pytest.raises(MixedTimezoneError, match="'timestamp'.*row 1"):
        journey.read_events(events(timestamp=["2025-01-01T10:00Z", "2025-01-01T10:00", "2025-01-01T11:00+01:00"]))


def test_numeric_timestamps_need_a_time_unit():
    with pytest.raises(TimeUnitError, match="'timestamp'.*time_unit"):
        journey.read_events(events(timestamp=[1_735_725_600] * 3))


def test_numeric_text_timestamps_need_a_time_unit(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("user_id,timestamp,event\na,1735725600,home\n")
    with pytest.raises(TimeUnitError, match="'timestamp'"):
        journey.read_events(path)
    assert journey.read_events(path, time_unit="s").frame["time"].iloc[0] == pd.Timestamp("2025-01-01 10:00", tz="UTC")


def test_local_times_that_do_not_exist_are_reported():
    # 2025-03-30 02:30 does not exist in Paris: clocks jump from 02:00 to 03:00.
    with pytest.raises(InvalidValuesError, match="'timestamp'.*daylight-saving"):
        journey.read_events(
            events(timestamp=["2025-03-30 02:30:00", "2025-03-30 01:00:00", "2025-03-30 04:00:00"]), tz="Europe/Paris"
        )


def test_empty_file_and_header_only_file_are_refused(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(EmptyLogError, match="empty"):
        journey.read_events(empty)
    header = tmp_path / "header.csv"
    header.write_text("user_id,timestamp,event\n")
    with pytest.raises(EmptyLogError, match="no rows"):
        journey.read_events(header)


def test_missing_file_and_unsupported_extension_are_refused(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        journey.read_events(tmp_path / "nope.csv")
    xlsx = tmp_path / "events.xlsx"
    xlsx.write_bytes(b"PK")
    with pytest.raises(SourceError, match="unsupported file type '.xlsx'"):
        journey.read_events(xlsx)


def test_undecodable_text_names_the_encoding_tried_and_encoding_option_reads_it(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("user_id,timestamp,event\na,2025-01-01T10:00Z,caf\xe9\n".encode("latin-1"))
    with pytest.raises(EncodingError, match="'utf-8'.*encoding="):
        journey.read_events(path)
    assert journey.read_events(path, encoding="latin-1").events == ["café"]


def test_damaged_gzip_and_parquet_files_are_source_errors(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(SourceError, match="Parquet"):
        journey.read_events(bad)


def test_errors_are_value_errors():
    assert issubclass(JourneyError, ValueError)


# --- lenient mode ----------------------------------------------------------------------------------


def test_drop_mode_drops_warns_and_records_exactly_what_and_why():
    df = pd.DataFrame(
        {
            "user_id": ["a", None, "b", "c"],
            "timestamp": ["2025-01-01T10:00Z", "2025-01-01T10:00Z", "soon", "2025-01-01T10:00Z"],
            "event": ["home", "home", "cart", None],
        }
    )
    with pytest.warns(journey.JourneyWarning, match="dropped 3 of 4 rows"):
        log = journey.read_events(df, on_invalid="drop")
    assert log.frame["user"].tolist() == ["a"]
    assert log.dropped[["row", "column"]].values.tolist() == [[1, "user_id"], [2, "timestamp"], [3, "event"]]
    assert log.dropped["value"].tolist()[1] == "soon"
    assert "rows dropped at read  3" in repr(log)


def test_drop_mode_with_every_row_bad_is_an_empty_log():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(EmptyLogError):
            journey.read_events(events(event=[None, None, None]), on_invalid="drop")


def test_bad_arguments_are_refused():
    with pytest.raises(JourneyError, match="on_invalid"):
        journey.read_events(events(), on_invalid="ignore")
    with pytest.raises(JourneyError, match="time_unit"):
        journey.read_events(events(), time_unit="days")
    with pytest.raises(JourneyError, match="tz="):
        journey.read_events(events(), tz="Mars/Olympus")


def test_a_gzip_csv_is_read(tmp_path):
    path = tmp_path / "e.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write("user_id,timestamp,event\na,2025-01-01T10:00Z,home\n")
    assert len(journey.read_events(path)) == 1


def test_a_user_column_mixing_numbers_and_text_is_refused():
    with pytest.raises(
        InvalidValuesError, match=r"'user_id': values of type str among values of type int in 1 row: row 1 \('a'\)"
    ):
        journey.read_events(events(user_id=[1, "a", 2]))


def test_categorical_and_numeric_label_columns_are_read():
    with pytest.raises(InvalidValuesError, match="blank"):
        journey.read_events(events(user_id=pd.Categorical(["a", " ", "b"])))
    log = journey.read_events(events(user_id=[10, 10, 7], event=[1, 2, 1]))
    assert log.frame["user"].tolist() == [7, 10, 10] and log.events == ["1", "2"]


def test_categorical_touchpoints_keep_sorted_text_names_and_lose_unused_categories():
    cats = pd.Categorical(["cart", "home", "cart"], categories=["home", "cart", "never"])
    log = journey.read_events(events(event=cats))
    assert log.events == ["cart", "home"] and log.frame["event"].astype(str).tolist() == ["cart", "home", "cart"]


def test_plain_dates_are_naive_and_read_in_tz():
    log = journey.read_events(events(timestamp=["2025-01-01", "2025-01-02", "2025-01-03"]), tz="Europe/Paris")
    assert log.frame["time"].iloc[0] == pd.Timestamp("2024-12-31 23:00", tz="UTC")
    mixed = journey.read_events(events(timestamp=["2025-01-01", "2025-01-01 12:00", "2025-01-02"]))
    assert len(mixed) == 3


def test_drop_mode_keeps_good_epoch_rows():
    with pytest.warns(journey.JourneyWarning, match="dropped 1 of 3"):
        log = journey.read_events(
            events(timestamp=["1735689600", "1735689700", "abc"]), time_unit="s", on_invalid="drop"
        )
    assert len(log) == 2 and log.dropped["row"].tolist() == [2]


def test_duplicate_column_names_are_refused():
    df = events()
    df.insert(3, "dup", 1)
    df.columns = ["user_id", "timestamp", "event", "event"]
    with pytest.raises(JourneyError, match="more than once: 'event'"):
        journey.read_events(df)


# --- damaged files, odd CSV dialects and dates in disguise (issue 18) -------------------------------


def _gzip_csv(tmp_path, damage):
    body = "user_id,timestamp,event\n" + "".join(
        f"u{i % 7},2025-01-01T10:{i % 60:02d}Z,e{i % 5}\n" for i in range(3000)
    )
    packed = gzip.compress(body.encode())
    path = tmp_path / "events.csv.gz"
    path.write_bytes(
        {
            "truncated": packed[: len(packed) // 2],
            "corrupt": packed[:20] + b"\0" * 50 + packed[70:],
            "not gzip": body.encode(),
        }[damage]
    )
    return path


@pytest.mark.parametrize(
    "damage, says",
    [("truncated", "truncated"), ("corrupt", "not a readable gzip file"), ("not gzip", "not a readable gzip file")],
)
def test_a_truncated_or_damaged_gzip_file_is_a_source_error_naming_it(tmp_path, damage, says):
    path = _gzip_csv(tmp_path, damage)
    with pytest.raises(SourceError, match=f"events.csv.gz: .*{says}"):
        journey.read_events(path)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_a_line_break_inside_a_quoted_field_is_part_of_the_field(tmp_path, newline):
    path = tmp_path / "e.csv"
    rows = [
        "user_id,timestamp,event",
        'a,2025-01-01T10:00Z,"\r=2+2"',
        'a,2025-01-01T10:01Z,"two\r\nlines"',
        "a,2025-01-01T10:02Z,home",
    ]
    path.write_bytes((newline.join(rows) + newline).encode())
    assert journey.read_events(path).frame["event"].tolist() == ["\r=2+2", "two\r\nlines", "home"]


def test_na_words_are_ids_and_touchpoints_in_csv_and_only_an_empty_cell_is_missing(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text(
        "user_id,timestamp,event,device\nNA,2025-01-01T10:00Z,None,NA\nnull,2025-01-01T10:01Z,N/A,web\n"
        "None,2025-01-01T10:02Z,NULL,\n"
    )
    log = journey.read_events(path)
    assert sorted(log.frame["user"]) == ["NA", "None", "null"] and log.events == ["N/A", "NULL", "None"]
    assert log.frame["device"].isna().tolist() == [True, True, False]  # other columns keep pandas' words
    path.write_text("user_id,timestamp,event\n,2025-01-01T10:00Z,home\n")
    with pytest.raises(InvalidValuesError, match="'user_id': missing values in 1 row"):
        journey.read_events(path)


def test_a_csv_header_naming_a_column_twice_is_refused_not_renamed(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("user_id,timestamp,event,event\na,2025-01-01T10:00Z,home,cart\n")
    with pytest.raises(JourneyError, match="e.csv: column names appear more than once: 'event'"):
        journey.read_events(path)


def test_a_huge_header_gives_a_short_message(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text('user_id,timestamp,"' + "x" * 5_000_000 + '"\na,2025-01-01T10:00Z,home\n')
    with pytest.raises(MissingColumnError) as caught:
        journey.read_events(path)
    assert len(str(caught.value)) < 500 and "(5,000,000 characters)" in str(caught.value)


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_semicolon_tab_and_pipe_delimited_files_are_recognised_from_their_header(tmp_path, sep):
    path = tmp_path / "e.csv"
    path.write_text(
        sep.join(["user_id", "timestamp", "event", "amount"])
        + "\n"
        + sep.join(["a", "2025-01-01T10:00Z", "home", "1,5"])
        + "\n"
    )
    log = journey.read_events(path)
    assert log.events == ["home"] and log.frame["amount"].tolist() == ["1,5"]
    assert journey.read_events(path, sep=sep).events == ["home"]


def test_a_header_read_as_one_column_says_which_delimiter_it_seems_to_use(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("user_id#timestamp#event\na#2025-01-01T10:00Z#home\n")
    with pytest.raises(MissingColumnError, match="read as one column: its names seem separated by '#'; pass sep='#'"):
        journey.read_events(path)
    assert journey.read_events(path, sep="#").events == ["home"]
    with pytest.raises(JourneyError, match="sep must be one character"):
        journey.read_events(path, sep="##")


def test_a_carriage_return_in_a_field_of_a_file_with_lf_line_ends_is_part_of_the_field(tmp_path):
    # pandas' to_csv writes a lone carriage return unquoted; read as a line break it split the row in two.
    path = tmp_path / "e.csv"
    events(event=["\r=2+2", "x\ry", "home"]).to_csv(path, index=False)
    assert b"\r=2+2" in path.read_bytes() and b'"' not in path.read_bytes()
    assert journey.read_events(path).frame["event"].tolist() == ["\r=2+2", "x\ry", "home"]


NEVER = {
    "ISO text": ["2025-01-01T10:00Z", "9999-12-31", "2025-01-01T11:00Z"],
    "naive text": ["2025-01-01 10:00", "9999-12-31 00:00", "2025-01-01 11:00"],
    "datetimes": pd.to_datetime(["2025-01-01 10:00", "9999-12-31 00:00", "2025-01-01 11:00"]).as_unit("s"),
    "python datetimes": pd.Series(
        [
            pd.Timestamp("2025-01-01 10:00").to_pydatetime(),
            __import__("datetime").datetime(9999, 12, 31),
            pd.Timestamp("2025-01-01 11:00").to_pydatetime(),
        ],
        dtype=object,
    ),
}


@pytest.mark.parametrize("kind", NEVER)
def test_a_never_sentinel_date_is_a_bad_row_that_lenient_mode_drops(kind):
    df = events(timestamp=NEVER[kind])
    with pytest.raises(InvalidValuesError, match=r"'timestamp': timestamps outside the years 1677-2262.* row 1 "):
        journey.read_events(df)
    with pytest.warns(journey.JourneyWarning, match="dropped 1 of 3"):
        log = journey.read_events(df, on_invalid="drop")
    assert log.dropped["row"].tolist() == [1] and len(log) == 2


def test_an_epoch_sentinel_beyond_2262_is_a_bad_row_and_a_wrong_unit_is_named():
    df = events(timestamp=[1_735_725_600, 253_402_214_400, 1_735_725_660])  # the middle one is 9999-12-31
    with pytest.raises(InvalidValuesError, match=r"outside the years 1677-2262 .* in 1 row: row 1 \(253402214400\)"):
        journey.read_events(df, time_unit="s")
    with pytest.warns(journey.JourneyWarning):
        assert len(journey.read_events(df, time_unit="s", on_invalid="drop")) == 2
    with pytest.raises(JourneyError, match="is time_unit='ns' right"):
        journey.read_events(events(timestamp=[1e20] * 3), time_unit="ns")


@pytest.mark.parametrize(
    "values, advice",
    [
        (["20250101", "20250102", "20250103"], "YYYYMMDD.*time_format='%Y%m%d'"),
        (["45658", "45658.5", "45659"], "Excel serial day.*time_format='excel'"),
    ],
)
def test_dates_in_disguise_are_not_read_as_1970_epoch_times(tmp_path, values, advice):
    path = tmp_path / "e.csv"
    path.write_text("user_id,timestamp,event\n" + "".join(f"a,{v},home\n" for v in values))
    with pytest.raises(TimeUnitError, match=f"'timestamp'.*{advice}"):
        journey.read_events(path, time_unit="s")
    with pytest.raises(TimeUnitError, match=advice):  # without a unit, the advice is the same
        journey.read_events(events(timestamp=[float(v) for v in values]))


def test_time_format_reads_yyyymmdd_and_excel_serial_days_in_tz():
    log = journey.read_events(events(timestamp=[20250101, 20250102, 20250103]), time_format="%Y%m%d", tz="Europe/Paris")
    assert log.frame["time"].iloc[0] == pd.Timestamp("2024-12-31 23:00", tz="UTC")
    excel = journey.read_events(events(timestamp=["45658.5", "45658.75", "45659"]), time_format="excel")
    assert excel.frame["time"].tolist()[:2] == [
        pd.Timestamp("2025-01-01 12:00", tz="UTC"),
        pd.Timestamp("2025-01-01 18:00", tz="UTC"),
    ]
    with pytest.warns(journey.JourneyWarning, match="dropped 1 of 3"):
        day_first = journey.read_events(
            events(timestamp=["31/01/2025 10:00", "01/02/2025 10:00", "x"]),
            time_format="%d/%m/%Y %H:%M",
            on_invalid="drop",
        )
    assert day_first.frame["time"].dt.month.tolist() == [1, 2]
    assert day_first.dropped["reason"].tolist() == ["values that do not match time_format='%d/%m/%Y %H:%M'"]


def test_time_format_and_time_unit_exclude_each_other():
    with pytest.raises(JourneyError, match="time_unit='s'.*time_format='excel'.*one of them"):
        journey.read_events(events(timestamp=[45658] * 3), time_unit="s", time_format="excel")


def test_a_lone_surrogate_in_a_user_or_touchpoint_is_a_bad_row_and_in_another_column_an_error():
    df = pd.DataFrame(
        {
            "user_id": pd.Series(["a\ud800", "a", "b"], dtype=object),
            "event": pd.Series(["home", "cart\udcff", "home"], dtype=object),
            "timestamp": ["2025-01-01T10:00Z"] * 3,
        }
    )
    with pytest.raises(InvalidValuesError, match=r"'user_id': text holding a lone surrogate.* row 0 \('a\\ud800'\)"):
        journey.read_events(df)
    with pytest.warns(journey.JourneyWarning, match="dropped 2 of 3"):
        log = journey.read_events(df, on_invalid="drop")
    assert log.events == ["home"] and log.dropped[["row", "column"]].values.tolist() == [[0, "user_id"], [1, "event"]]
    with pytest.raises(JourneyError, match="column 'note' holds text with a lone surrogate"):
        journey.read_events(events(note=pd.Series(["ok", "n\ud800", "x"], dtype=object)))
