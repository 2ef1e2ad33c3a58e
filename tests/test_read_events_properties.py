"""Properties of read_events that hold for any valid log (hypothesis)."""

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

import journey

OFFSETS = ["Z", "+00:00", "+01:00", "-05:30", "+14:00"]
labels = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=6).filter(
    lambda s: s.strip() and s not in (journey.START, journey.END)
)


@st.composite
def valid_logs(draw):
    n = draw(st.integers(1, 40))
    users = draw(st.lists(labels, min_size=1, max_size=5, unique=True))
    rows = []
    for i in range(n):
        minute = draw(st.integers(0, 3))  # few instants: many ties
        offset = draw(st.sampled_from(OFFSETS))
        hour = 10 + draw(st.integers(0, 2))
        rows.append(
            {
                "user_id": draw(st.sampled_from(users)),
                "timestamp": f"2025-06-01T{hour:02d}:{minute:02d}:00{offset}",
                "event": draw(labels),
                "input_row": i,
            }
        )
    return pd.DataFrame(rows)


@given(valid_logs())
def test_every_row_is_kept_and_ordered_as_a_stable_sort_by_user_and_utc_time(df):
    log = journey.read_events(df)
    expected = df.assign(utc=pd.to_datetime(df["timestamp"], format="ISO8601", utc=True)).sort_values(
        ["user_id", "utc"], kind="stable"
    )
    assert log.frame["input_row"].tolist() == expected["input_row"].tolist()
    assert log.frame["user"].tolist() == expected["user_id"].tolist()
    assert log.frame["event"].astype(str).tolist() == expected["event"].tolist()
    assert (log.frame["time"].to_numpy() == expected["utc"].to_numpy()).all()


@given(valid_logs(), st.integers(0, 2**32 - 1))
def test_the_order_of_the_input_rows_only_matters_for_ties(df, seed):
    shuffled = df.sample(frac=1, random_state=seed)
    a = journey.read_events(df).frame
    b = journey.read_events(shuffled).frame
    key = ["user", "time", "input_row"]
    pd.testing.assert_frame_equal(
        a.sort_values(key, ignore_index=True)[key], b.sort_values(key, ignore_index=True)[key]
    )
    assert a["user"].tolist() == b["user"].tolist() and a["time"].tolist() == b["time"].tolist()


@given(valid_logs(), st.sampled_from(["1min", "30min", "2h"]))
def test_sessions_number_each_user_from_one_without_gaps(df, gap):
    s = journey.read_events(df).sessions(gap).frame
    for _, group in s.groupby("user", sort=False):
        numbers = group["session"].tolist()
        assert numbers[0] == 1 and all(b - a in (0, 1) for a, b in zip(numbers, numbers[1:]))
        new = group["time"].diff() > pd.Timedelta(gap)
        assert (group["session"].diff().fillna(0).astype(int) == new.astype(int)).all()
