"""Funnel options (optional steps, exclusions, windows per step, step orders, many steps) and time to convert.

Each option is checked against a plain-Python reading of the rules in funnel's Notes over hypothesis logs:
``reference_attempts`` below walks every attempt event by event, the slow obvious way.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_graph import event_logs, log_of

import journey
from journey.analysis.funnels import Step
from journey.errors import JourneyError, UnknownEventError
from journey.stats.survival import kaplan_meier

# ---------------------------------------------------------------------------------------------------
# the reference: funnel's documented rules, read literally


def _ns(value):
    return None if value is None else pd.Timedelta(value).value


def reference_funnel(log, steps, within=None, step_order="sequential", exclude=()):
    """Per customer (counted attempt): steps reached, when (ns), the start (ns) and whether censored; the horizon."""
    names = [s.touchpoint for s in steps]
    optional = [s.optional for s in steps]
    overall = _ns(within)
    windows = [_ns(s.within) for s in steps]
    excluded = [set(exclude) | ({s.exclude} if isinstance(s.exclude, str) else set(s.exclude)) for s in steps]
    required = [k for k, o in enumerate(optional) if not o]
    chained = [windows[k] for k in required[1:]]
    horizon = sum(chained) if all(w is not None for w in chained) else None
    if overall is not None:
        horizon = overall if horizon is None else min(horizon, overall)
    end = log.frame["time"].max().value
    customers = []
    for _, rows in log.frame.groupby("user", sort=False):
        ev = rows["event"].astype(str).tolist()
        t = [x.value for x in rows["time"]]
        attempts = (
            [_any_attempt(ev, t, i, names, overall, excluded[-1]) for i in range(len(ev)) if ev[i] in names]
            if step_order == "any"
            else [
                _ordered_attempt(ev, t, i, names, optional, overall, windows, excluded, step_order == "strict")
                for i in range(len(ev))
                if ev[i] == names[0]
            ]
        )
        attempts = [a for a in attempts if 0 in a["when"]]  # with "any": an attempt without step 1 is none
        if not attempts:
            continue
        closed = [a for a in attempts if horizon is None or a["start"] + horizon <= end]
        pool = closed or attempts
        deepest = max(a["depth"] for a in pool)
        chosen = next(a for a in pool if a["depth"] == deepest)
        customers.append({**chosen, "censored": not closed})
    return customers, horizon, end


def _ordered_attempt(ev, t, start, names, optional, overall, windows, excluded, strict):
    def in_time(j, since, window):
        return (overall is None or t[j] <= t[start] + overall) and (window is None or t[j] <= since + window)

    def first_after(row, wanted, before=None):
        stop = len(ev) if before is None else before
        return next((j for j in range(row + 1, stop) if ev[j] in wanted), None)

    when = {0: t[start]}
    here = start
    required = [k for k, o in enumerate(optional) if not o]
    for p, q in zip(required, required[1:]):
        since = t[here]
        if strict:
            cursor = here
            for o in range(p + 1, q):
                j = cursor + 1
                if j < len(ev) and ev[j] == names[o] and in_time(j, since, windows[o]):
                    when[o], cursor = t[j], j
            j = cursor + 1
            ok = j < len(ev) and ev[j] == names[q] and in_time(j, since, windows[q])
        else:
            j = first_after(here, {names[q]})
            ok = j is not None and in_time(j, since, windows[q])
            x = first_after(here, excluded[q]) if excluded[q] else None
            if ok and x is not None and x < j:
                ok = False
            limit = j if ok else (x if x is not None else len(ev))
            cursor = here
            for o in range(p + 1, q):
                c = first_after(cursor, {names[o]}, before=limit)
                if c is not None and in_time(c, since, windows[o]):
                    when[o], cursor = t[c], c
        if not ok:
            break
        when[q], here = t[j], j
    depth = 0
    for k in required:
        if k not in when:
            break
        depth += 1
    return {"start": t[start], "when": when, "depth": depth}


def _any_attempt(ev, t, start, names, overall, excluded):
    cap = next((j for j in range(start, len(ev)) if ev[j] in excluded), len(ev))
    when, latest = {}, None
    for k, name in enumerate(names):
        j = next((j for j in range(start, cap) if ev[j] == name), None)
        if j is None or (overall is not None and t[j] > t[start] + overall):
            break
        latest = t[j] if latest is None else max(latest, t[j])
        when[k] = latest
    return {"start": t[start], "when": when, "depth": len(when)}


def expected_table(customers, steps):
    n = len(steps)
    required = [k for k, s in enumerate(steps) if not s.optional]
    following = [next((q for q in required if q > k), k) for k in range(n)]
    rows = []
    for k in range(n):
        at = [c for c in customers if k in c["when"]]
        rows.append(
            {
                "entered": len(at),
                "censored": sum(c["censored"] for c in at),
                "at_risk": sum(not c["censored"] for c in at),
                "converted": sum(not c["censored"] and following[k] in c["when"] for c in at),
            }
        )
    return rows


@st.composite
def funnel_options(draw):
    order = draw(st.sampled_from(["sequential", "strict", "any"]))
    n = draw(st.integers(2, 3 if order == "any" else 4))
    names = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n, unique=order == "any"))
    steps = []
    for k, name in enumerate(names):
        inner = 0 < k < n - 1
        optional = order != "any" and inner and draw(st.booleans())
        window = draw(st.sampled_from([None, "10min", "40min"])) if order != "any" and k else None
        own = "d" if order == "sequential" and k and not optional and draw(st.booleans()) else ()
        steps.append(Step(name, optional=optional, within=window, exclude=own))
    within = draw(st.sampled_from([None, "20min", "1h"]))
    exclude = ("d",) if order != "strict" and draw(st.booleans()) else ()
    return steps, within, order, exclude


@settings(max_examples=300, deadline=None)
@given(event_logs(), funnel_options())
def test_every_option_agrees_with_a_plain_reading_of_its_rules(log, options):
    steps, within, order, exclude = options
    used = {s.touchpoint for s in steps} | set(exclude) | {e for s in steps for e in s.exclude}
    if not used <= set(log.events):
        return
    result = journey.funnel(log, steps, within=within, step_order=order, exclude=list(exclude))
    table = result.to_frame()
    customers, horizon, end = reference_funnel(log, steps, within, order, exclude)
    expected = expected_table(customers, steps)
    for k, row in enumerate(expected):
        assert table["entered"].iloc[k] == row["entered"], (k, table)
        assert table["censored"].iloc[k] == row["censored"], (k, table)
        if k < len(steps) - 1:
            assert table["at_risk"].iloc[k] == row["at_risk"], (k, table)
            assert table["converted"].iloc[k] == row["converted"], (k, table)
    done = [c for c in customers if not c["censored"]]
    assert (result.overall.k, result.overall.n) == (sum(len(steps) - 1 in c["when"] for c in done), len(done))
    # Time to convert: every customer who entered, from the attempt's start to the step, censored where
    # the reference says; the curve is the Kaplan-Meier of exactly those durations.
    waits = result.time_to_convert()
    for k in range(1, len(steps)):
        seen = [(end - c["start"]) if horizon is None else min(horizon, end - c["start"]) for c in customers]
        durations = [(c["when"][k] - c["start"] if k in c["when"] else s) / 1e9 for c, s in zip(customers, seen)]
        observed = [k in c["when"] for c in customers]
        curve = waits.curve(k + 1)
        if not any(observed):
            assert curve is None
            continue
        truth = kaplan_meier(durations, observed).to_frame()
        columns = ["time", "at_risk", "events", "censored"]
        assert curve.to_frame()[columns].to_numpy(float).ravel() == pytest.approx(
            truth[columns].to_numpy(float).ravel()
        )
        assert curve.to_frame()["survival"].to_numpy() == pytest.approx(truth["survival"].to_numpy())


# ---------------------------------------------------------------------------------------------------
# each option by hand


def test_an_optional_step_is_counted_without_holding_anyone_back():
    log = log_of(
        [
            ("a", "10:00:00", "home"),
            ("a", "10:01:00", "coupon"),
            ("a", "10:02:00", "buy"),
            ("b", "10:00:00", "home"),
            ("b", "10:05:00", "buy"),
            ("c", "10:00:00", "home"),
            ("c", "10:01:00", "coupon"),
            ("d", "10:00:00", "home"),
            ("d", "10:01:00", "buy"),
            ("d", "10:02:00", "coupon"),  # after buy: not taken between home and buy
        ]
    )
    result = journey.funnel(log, ["home", Step("coupon", optional=True), "buy"])
    table = result.to_frame()
    assert table["entered"].tolist() == [4, 2, 3]  # coupon: a and c; buy: a, b and d, with or without a coupon
    assert table["next"].tolist()[:2] == ["buy", "buy"]
    assert table["converted"].tolist()[:2] == [3, 1]  # home -> buy 3 of 4; coupon -> buy: a, not c
    assert table["median_seconds_to_next"].tolist()[:2] == [120.0, 60.0]  # a 120, b 300, d 60; a's coupon 60
    assert (result.overall.k, result.overall.n) == (3, 4) and result.optional == (False, True, False)
    assert "next" in repr(result).splitlines()[1].split()  # shown when a step is optional
    assert "next" not in repr(journey.funnel(log, ["home", "buy"])).splitlines()[1].split()


def test_an_excluded_event_between_two_steps_is_a_drop_off_at_the_first():
    log = log_of(
        [
            ("a", "10:00:00", "home"),
            ("a", "10:01:00", "help"),
            ("a", "10:02:00", "cart"),
            ("a", "10:03:00", "buy"),
            ("b", "10:00:00", "home"),
            ("b", "10:01:00", "cart"),
            ("b", "10:02:00", "help"),
            ("b", "10:03:00", "buy"),
            ("c", "10:00:00", "home"),
            ("c", "10:01:00", "cart"),
            ("c", "10:02:00", "buy"),
            ("c", "10:03:00", "help"),  # after the last step: harmless
        ]
    )
    everywhere = journey.funnel(log, ["home", "cart", "buy"], exclude="help").to_frame()
    assert everywhere["entered"].tolist() == [3, 2, 1]  # a stops at home, b at cart, c converts
    # Only between cart and buy: a's help before cart no longer counts.
    own = journey.funnel(log, ["home", "cart", Step("buy", exclude=["help"])]).to_frame()
    assert own["entered"].tolist() == [3, 3, 2]
    # A later attempt without the excluded event counts, as any deeper attempt does.
    again = log_of(
        [("a", "10:00:00", "home"), ("a", "10:01:00", "help"), ("a", "10:02:00", "home"), ("a", "10:03:00", "buy")]
    )
    assert journey.funnel(again, ["home", "buy"], exclude="help").to_frame()["entered"].tolist() == [1, 1]


def test_a_window_per_step_runs_from_the_previous_step():
    log = log_of(
        [
            ("a", "10:00:00", "home"),
            ("a", "10:50:00", "cart"),
            ("a", "10:55:00", "buy"),
            ("b", "10:00:00", "home"),
            ("b", "10:10:00", "cart"),
            ("b", "11:20:00", "buy"),
            ("z", "23:00:00", "x"),
        ]
    )
    steps = ["home", "cart", "buy"]
    # cart within 1 hour of home, buy within 10 minutes of cart: a converts, b's buy is late.
    for within in (["1h", "10min"], {"cart": "1h", "buy": "10min"}, {2: "1h", 3: "10min"}):
        table = journey.funnel(log, steps, within=within).to_frame()
        assert table["entered"].tolist() == [2, 2, 1], within
    stepped = journey.funnel(log, ["home", Step("cart", within="1h"), Step("buy", within="10min")])
    assert stepped.to_frame()["entered"].tolist() == [2, 2, 1]
    assert stepped.step_within == (None, pd.Timedelta("1h"), pd.Timedelta("10min"))
    # Per step and overall at once: 50 minutes in all leaves a (55 minutes) out too.
    both = journey.funnel(log, ["home", Step("cart", within="1h"), Step("buy", within="10min")], within="50min")
    assert both.to_frame()["entered"].tolist() == [2, 2, 0]


def test_the_horizon_of_windows_per_step_censors_open_attempts():
    log = log_of(
        [
            ("a", "10:00:00", "home"),
            ("a", "10:10:00", "cart"),
            ("a", "10:20:00", "buy"),
            ("b", "11:30:00", "home"),
            ("b", "11:35:00", "cart"),
            ("z", "12:00:00", "x"),
        ]
    )
    steps = ["home", "cart", "buy"]
    # cart has no window: an attempt may take for ever, so none is ever known to be over: nobody censored.
    assert journey.funnel(log, steps, within=[None, "30min"]).n_censored == 0
    # Two windows of 30 minutes: the horizon is an hour; b started 30 minutes before the end: censored.
    result = journey.funnel(log, steps, within=["30min", "30min"])
    assert result.n_censored == 1 and (result.overall.k, result.overall.n) == (1, 1)
    assert result.to_frame()["censored"].tolist() == [1, 1, 0]
    # An overall window shorter than the chain of step windows is the horizon.
    assert journey.funnel(log, steps, within=["30min", "30min"]).n_censored == 1
    assert (
        journey.funnel(log, ["home", Step("cart", within="1h"), Step("buy", within="1h")], within="20min").n_censored
        == 0
    )


def test_any_order_needs_every_step_and_times_the_last_of_them():
    log = log_of(
        [
            ("a", "10:00:00", "cart"),
            ("a", "10:01:00", "home"),
            ("a", "10:02:00", "buy"),
            ("b", "10:00:00", "buy"),
            ("b", "10:05:00", "home"),
            ("c", "10:00:00", "cart"),
            ("c", "10:01:00", "buy"),
        ]
    )
    table = journey.funnel(log, ["home", "cart", "buy"], step_order="any").to_frame()
    # a did all three; b home but no cart; c no home at all.
    assert table["entered"].tolist() == [2, 1, 1]
    assert table["median_seconds_to_next"].iloc[1] == 60.0  # a: home and cart by 10:01, buy at 10:02
    sequential = journey.funnel(log, ["home", "cart", "buy"]).to_frame()
    assert sequential["entered"].tolist() == [2, 0, 0]


def test_strict_order_with_an_optional_step_takes_it_only_as_the_very_next_event():
    log = log_of(
        [
            ("a", "10:00:00", "home"),
            ("a", "10:01:00", "coupon"),
            ("a", "10:02:00", "buy"),
            ("b", "10:00:00", "home"),
            ("b", "10:01:00", "buy"),
            ("c", "10:00:00", "home"),
            ("c", "10:01:00", "faq"),
            ("c", "10:02:00", "buy"),
        ]
    )
    table = journey.funnel(log, ["home", Step("coupon", optional=True), "buy"], step_order="strict").to_frame()
    assert table["entered"].tolist() == [3, 1, 2]


def test_twenty_five_steps_and_more():
    names = [f"s{i:02d}" for i in range(30)]
    rows = [(f"u{u}", f"10:{i:02d}:00", name) for u in range(4) for i, name in enumerate(names[: 20 + 2 * u])]
    log = log_of(rows)
    table = journey.funnel(log, names[:25]).to_frame()
    assert len(table) == 25 and table["step"].tolist() == list(range(1, 26))
    assert table["entered"].tolist() == [4] * 20 + [3, 3, 2, 2, 1]  # u0 has 20 steps, u1 22, u2 24, u3 26
    assert journey.funnel(log, names[:26]).to_frame()["entered"].tolist()[-3:] == [2, 1, 1]


def test_loose_is_the_old_name_of_sequential():
    log = log_of([("a", "10:00:00", "home"), ("a", "10:01:00", "faq"), ("a", "10:02:00", "cart")])
    with pytest.warns(DeprecationWarning, match='"sequential"'):
        old = journey.funnel(log, ["home", "cart"], step_order="loose")
    assert old.step_order == "sequential" and old.to_frame()["entered"].tolist() == [1, 1]


def test_options_that_cannot_be_honoured_are_refused_by_name():
    log = log_of([("a", "10:00:00", "home"), ("a", "10:01:00", "help"), ("a", "10:02:00", "cart")])
    cases = [
        ({"steps": [Step("home", optional=True), "cart"]}, "first and the last step cannot be optional"),
        ({"steps": ["home", Step("cart", optional=True)]}, "first and the last step cannot be optional"),
        ({"steps": ["home", "cart"], "exclude": "cart"}, "'cart' is a step"),
        ({"steps": ["home", "cart"], "exclude": "help", "step_order": "strict"}, "no event between two steps"),
        ({"steps": ["home", Step("cart", within="1h")], "step_order": "any"}, 'step_order="any" takes one overall'),
        ({"steps": ["home", "home"], "step_order": "any"}, "each step must be another touchpoint"),
        ({"steps": ["home", "cart"], "within": ["1h", "2h"]}, "one window per step after the first"),
        ({"steps": ["home", "cart"], "within": {"home": "1h"}}, "'home' is not a step after the first"),
        ({"steps": ["home", "cart"], "within": {7: "1h"}}, "step 7 is not a step after the first"),
        ({"steps": ["home", Step("cart", within="1h")], "within": {"cart": "2h"}}, "both in Step"),
        ({"steps": [Step("home", within="1h"), "cart"]}, "first step has no previous step"),
        ({"steps": ["home", Step("help", optional=True, exclude="x"), "cart"]}, "an optional step cannot end"),
        ({"steps": ["home", "cart"], "within": ["soon"]}, r"within\[0\]"),
    ]
    for kwargs, message in cases:
        steps = kwargs.pop("steps")
        with pytest.raises(JourneyError, match=message):
            journey.funnel(log, steps, **kwargs)
    with pytest.raises(UnknownEventError, match=r"exclude='hlep'.*Did you mean 'help'"):
        journey.funnel(log, ["home", "cart"], exclude="hlep")
    with pytest.raises(JourneyError, match=r"optional=\.\.\.\) is True or False"):
        Step("cart", optional="yes")


def test_compare_funnels_takes_the_same_options():
    rows = []
    for u in range(40):
        device = "app" if u % 2 else "web"
        path = ["home", "help", "buy"] if u % 4 == 1 else ["home", "buy"]
        rows += [
            (f"u{u}", pd.Timestamp("2025-01-01", tz="UTC") + pd.Timedelta(minutes=i), e, device)
            for i, e in enumerate(path)
        ]
    df = pd.DataFrame(rows, columns=["user_id", "timestamp", "event", "device"])
    table = journey.compare_funnels(df, ["home", "buy"], by="device", exclude="help", baseline="web").to_frame()
    app = table[(table["device"] == "app") & (table["measure"] == "step")].iloc[0]
    assert (app["converted"], app["at_risk"], app["next"]) == (10, 20, "buy")
    assert app["difference"] == pytest.approx(-0.5) and app["significant"]
