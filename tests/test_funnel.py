"""funnel: known answers, censoring, and agreement with a plain-Python reading of its definition."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import journey
from journey.errors import JourneyError, MissingColumnError, UnknownEventError
from test_graph import event_logs, log_of


@pytest.fixture
def log():
    return log_of([
        ("a", "10:00:00", "home"), ("a", "10:01:00", "faq"), ("a", "10:02:00", "cart"), ("a", "10:05:00", "buy"),
        ("b", "10:00:00", "home"), ("b", "10:00:30", "cart"),
        ("c", "10:00:00", "cart"), ("c", "10:01:00", "home"),
        ("d", "10:00:00", "home"),
    ])


def test_loose_funnel_known_answer(log):
    f = journey.funnel(log, ["home", "cart", "buy"])
    assert f["entered"].tolist() == [4, 2, 1]
    assert f["converted"].tolist()[:2] == [2, 1] and f["dropped"].tolist()[:2] == [2, 1]
    assert f["conversion_rate"].tolist()[:2] == [0.5, 0.5]
    assert f["median_seconds_to_next"].tolist()[:2] == [75.0, 180.0]  # a: 120 s, b: 30 s; a: 180 s
    assert pd.isna(f["converted"].iloc[-1]) and np.isnan(f["conversion_rate"].iloc[-1])


def test_strict_funnel_needs_the_very_next_event(log):
    f = journey.funnel(log, ["home", "cart"], order="strict")
    assert f["entered"].tolist() == [4, 1]  # only b goes straight from home to cart


def test_window_and_censoring():
    log = log_of([("a", "2025-01-01T10:00:00Z", "home"), ("a", "2025-01-03T10:00:00Z", "cart"),
                  ("b", "2025-01-05T10:00:00Z", "home"), ("c", "2025-01-05T11:00:00Z", "home"),
                  ("c", "2025-01-05T12:00:00Z", "cart")])
    f = journey.funnel(log, ["home", "cart"], within="1D")
    # a: cart came after 2 days, too late (window closed): dropped. b: window still open at the end of the
    # data (2025-01-05 12:00): censored. c: converted.
    assert f["entered"].iloc[0] == 3 and f["converted"].iloc[0] == 1
    assert f["censored"].iloc[0] == 1 and f["dropped"].iloc[0] == 1
    assert f["conversion_rate"].iloc[0] == 0.5
    assert journey.funnel(log, ["home", "cart"], within="3D")["converted"].iloc[0] == 2


def test_a_later_attempt_that_goes_deeper_counts():
    log = log_of([("a", "2025-01-01T10:00:00Z", "home"), ("a", "2025-01-03T10:00:00Z", "home"),
                  ("a", "2025-01-03T10:05:00Z", "cart")])
    assert journey.funnel(log, ["home", "cart"], within="1h")["converted"].iloc[0] == 1


def test_segments_by_a_column():
    df = pd.DataFrame({"user_id": list("aabbc"), "event": ["home", "cart", "home", "cart", "home"],
                       "timestamp": pd.date_range("2025-01-01", periods=5, freq="min", tz="UTC"),
                       "device": ["mobile", "mobile", "desktop", "desktop", None]})
    f = journey.funnel(df, ["home", "cart"], by="device")
    first = f[f["step"] == 1].set_index("device")
    assert first.loc["mobile", "converted"] == 1 and first.loc["desktop", "converted"] == 1
    assert f["device"].isna().sum() == 2  # the customer with no device is kept, not lost
    assert f["entered"][f["step"] == 1].sum() == 3


def test_bad_arguments_are_refused(log):
    with pytest.raises(JourneyError, match="at least two"):
        journey.funnel(log, ["home"])
    with pytest.raises(UnknownEventError, match="'crat'.*Did you mean 'cart'"):
        journey.funnel(log, ["home", "crat"])
    with pytest.raises(JourneyError, match="order"):
        journey.funnel(log, ["home", "cart"], order="any")
    with pytest.raises(MissingColumnError, match="'plan'"):
        journey.funnel(log, ["home", "cart"], by="plan")
    with pytest.raises(JourneyError, match="within"):
        journey.funnel(log, ["home", "cart"], within="a while")


def reference_funnel(log, steps, within, strict):
    """Each customer's deepest attempt, the slow obvious way, following funnel's documented rules."""
    end = log.frame["time"].max()
    depths, censored = [], []
    for _, rows in log.frame.groupby("user", sort=False):
        ev, t = rows["event"].astype(str).tolist(), rows["time"].tolist()
        best, best_open = 0, False
        for start in [i for i, e in enumerate(ev) if e == steps[0]]:
            depth, here = 1, start
            for step in steps[1:]:
                candidates = [here + 1] if strict else range(here + 1, len(ev))
                found = next((i for i in candidates if i < len(ev) and ev[i] == step
                              and (within is None or t[i] <= t[start] + pd.Timedelta(within))), None)
                if found is None:
                    break
                depth, here = depth + 1, found
            still_open = within is not None and t[start] + pd.Timedelta(within) > end and depth < len(steps)
            if depth > best:
                best, best_open = depth, still_open
            elif depth == best:
                best_open |= still_open
        depths.append(best)
        censored.append(best_open)
    return np.array(depths), np.array(censored)


@given(event_logs(), st.lists(st.sampled_from(["a", "b", "c"]), min_size=2, max_size=3),
       st.sampled_from([None, "10min", "1h"]), st.booleans())
def test_funnel_agrees_with_its_definition(log, steps, within, strict):
    steps = [s for s in steps if s in log.events]
    if len(steps) < 2:
        return
    f = journey.funnel(log, steps, within=within, order="strict" if strict else "loose")
    depth, censored = reference_funnel(log, steps, within, strict)
    for k in range(len(steps)):
        assert f["entered"].iloc[k] == (depth >= k + 1).sum()
    for k in range(len(steps) - 1):
        assert f["converted"].iloc[k] == (depth >= k + 2).sum()
        assert f["censored"].iloc[k] == ((depth == k + 1) & censored).sum()
        assert f["entered"].iloc[k] == f["converted"].iloc[k] + f["censored"].iloc[k] + f["dropped"].iloc[k]
