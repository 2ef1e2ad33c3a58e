"""funnel: known answers, censoring, the result it returns, and agreement with a plain reading of its definition."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest

import journey
from journey.analysis.funnels import Funnel
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
    f = journey.funnel(log, ["home", "cart", "buy"]).to_frame()
    assert f["touchpoint"].tolist() == ["home", "cart", "buy"]
    assert f["entered"].tolist() == [4, 2, 1]
    assert f["converted"].tolist()[:2] == [2, 1] and f["dropped"].tolist()[:2] == [2, 1]
    assert f["conversion_rate"].tolist()[:2] == [0.5, 0.5]
    assert f["median_seconds_to_next"].tolist()[:2] == [75.0, 180.0]  # a: 120 s, b: 30 s; a: 180 s
    assert pd.isna(f["converted"].iloc[-1]) and np.isnan(f["conversion_rate"].iloc[-1])


def test_strict_funnel_needs_the_very_next_event(log):
    f = journey.funnel(log, ["home", "cart"], step_order="strict")
    assert f.to_frame()["entered"].tolist() == [4, 1]  # only b goes straight from home to cart
    assert f.step_order == "strict"


def test_window_and_censoring():
    log = log_of([("a", "2025-01-01T10:00:00Z", "home"), ("a", "2025-01-03T10:00:00Z", "cart"),
                  ("b", "2025-01-05T10:00:00Z", "home"), ("c", "2025-01-05T11:00:00Z", "home"),
                  ("c", "2025-01-05T12:00:00Z", "cart")])
    result = journey.funnel(log, ["home", "cart"], within="1D")
    f = result.to_frame()
    # a: cart came after 2 days, too late (window closed): dropped. b: window still open at the end of the
    # data (2025-01-05 12:00): censored. c: converted.
    assert f["entered"].iloc[0] == 3 and f["converted"].iloc[0] == 1
    assert f["censored"].iloc[0] == 1 and f["dropped"].iloc[0] == 1
    assert f["at_risk"].iloc[0] == 2 and f["conversion_rate"].iloc[0] == 0.5
    # Overall: c completed, out of the three minus b, whose window is still open.
    assert (result.overall.k, result.overall.n) == (1, 2) and result.within == pd.Timedelta("1D")
    assert "1 censored" in repr(result)
    assert journey.funnel(log, ["home", "cart"], within="3D").to_frame()["converted"].iloc[0] == 2


def test_a_later_attempt_that_goes_deeper_counts():
    log = log_of([("a", "2025-01-01T10:00:00Z", "home"), ("a", "2025-01-03T10:00:00Z", "home"),
                  ("a", "2025-01-03T10:05:00Z", "cart")])
    assert journey.funnel(log, ["home", "cart"], within="1h").to_frame()["converted"].iloc[0] == 1


def test_segments_by_a_column():
    df = pd.DataFrame({"user_id": list("aabbc"), "event": ["home", "cart", "home", "cart", "home"],
                       "timestamp": pd.date_range("2025-01-01", periods=5, freq="min", tz="UTC"),
                       "device": ["mobile", "mobile", "desktop", "desktop", None]})
    result = journey.funnel(df, ["home", "cart"], by="device")
    f = result.to_frame()
    assert list(f.columns[:3]) == ["device", "step", "touchpoint"] and result.by == "device"
    assert f["device"].fillna("missing").tolist() == ["desktop"] * 2 + ["mobile"] * 2 + ["missing"] * 2  # missing last
    first = f[f["step"] == 1].set_index("device")
    assert first.loc["mobile", "converted"] == 1 and first.loc["desktop", "converted"] == 1
    assert f["device"].isna().sum() == 2  # the customer with no device is kept, not lost
    assert f["entered"][f["step"] == 1].sum() == 3
    assert (result.overall.k, result.overall.n) == (2, 3)  # over all segments


def test_bad_arguments_are_refused(log):
    with pytest.raises(JourneyError, match="at least two"):
        journey.funnel(log, ["home"])
    with pytest.raises(UnknownEventError, match="'crat'.*Did you mean 'cart'"):
        journey.funnel(log, ["home", "crat"])
    with pytest.raises(JourneyError, match=r"step_order=\.\.\. must be \"loose\".*not 'any'"):
        journey.funnel(log, ["home", "cart"], step_order="any")
    with pytest.raises(TypeError):
        journey.funnel(log, ["home", "cart"], order="strict")  # the old keyword is gone
    with pytest.raises(JourneyError, match="level"):
        journey.funnel(log, ["home", "cart"], level=95)
    with pytest.raises(MissingColumnError, match="'plan'"):
        journey.funnel(log, ["home", "cart"], by="plan")
    with pytest.raises(JourneyError, match="within"):
        journey.funnel(log, ["home", "cart"], within="a while")


def test_the_result_is_a_funnel_with_its_overall_conversion(log):
    f = journey.funnel(log, ["home", "cart", "buy"])
    assert isinstance(f, Funnel) and len(f) == 3
    assert f.steps == ("home", "cart", "buy") and f.by is None and f.level == 0.95 and f.within is None
    # a alone goes home -> cart -> buy; four customers start at home and none is censored.
    assert (f.overall.k, f.overall.n) == (1, 4) and f.overall.proportion == 0.25
    assert list(f.to_frame().columns) == ["step", "touchpoint", "entered", "censored", "at_risk", "converted", "dropped",
                                          "conversion_rate", "ci_low", "ci_high", "median_seconds_to_next"]
    assert repr(f).splitlines()[0] == ("Funnel: home → cart → buy: 25.0% of customers reach the last step "
                                       "(95% CI 4.6% to 69.9%, n = 4)")
    ci = binomtest(1, 4).proportion_ci(0.95, method="wilson")
    assert (f"{ci.low:.1%}", f"{ci.high:.1%}") == ("4.6%", "69.9%")


def test_level_sets_the_intervals_and_confidence_interval_recomputes_them(log):
    f = journey.funnel(log, ["home", "cart", "buy"], level=0.9)
    table = f.to_frame()
    for step, (k, n) in enumerate([(2, 4), (1, 2)]):
        expected = binomtest(k, n).proportion_ci(0.9, method="wilson")
        assert table.loc[step, ["ci_low", "ci_high"]].tolist() == pytest.approx([expected.low, expected.high])
    assert f.level == 0.9 and "90% CI" in repr(f)
    low, high = f.confidence_interval()
    assert low[:2] == pytest.approx(table["ci_low"][:2]) and np.isnan(low[2]) and np.isnan(high[2])
    low, high = f.confidence_interval(level=0.99, method="exact")
    expected = binomtest(2, 4).proportion_ci(0.99, method="exact")
    assert (low[0], high[0]) == pytest.approx((expected.low, expected.high))
    assert np.isnan(low[2]) and np.isnan(high[2])  # the last step has no next step, whatever the method


def test_repr_has_no_address_and_html_escapes_names():
    df = pd.DataFrame({"user_id": list("aab"), "event": ["<b>home", "cart", "<b>home"], "seg": ["<b>x", "<b>x", "y"],
                       "timestamp": pd.date_range("2025-01-01", periods=3, freq="min", tz="UTC")})
    f = journey.funnel(df, ["<b>home", "cart"], by="seg")
    assert "0x" not in repr(f) and "<b>home" in repr(f)
    page = f._repr_html_()
    assert "<b>home" not in page and "&lt;b&gt;home" in page and "&lt;b&gt;x" in page


def test_plot_draws_each_rate_with_its_interval(log):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.container import ErrorbarContainer

    plt.close("all")
    f = journey.funnel(log, ["home", "cart", "buy"])
    _, given_ax = plt.subplots()
    ax = f.plot(ax=given_ax)
    assert ax is given_ax
    (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    low, high = np.array([(s[0][1], s[1][1]) for s in bars.lines[2][0].get_segments()]).T
    table = f.to_frame()
    assert low == pytest.approx(table["ci_low"][:2]) and high == pytest.approx(table["ci_high"][:2])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["home →\ncart", "cart →\nbuy"]
    plt.close("all")


def test_plot_funnel_takes_only_a_funnel(log):
    with pytest.raises(JourneyError, match=r"journey\.funnel\(\.\.\.\), not a DataFrame"):
        journey.plot_funnel(journey.funnel(log, ["home", "cart"]).to_frame())


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
    f = journey.funnel(log, steps, within=within, step_order="strict" if strict else "loose").to_frame()
    depth, censored = reference_funnel(log, steps, within, strict)
    for k in range(len(steps)):
        assert f["entered"].iloc[k] == (depth >= k + 1).sum()
    for k in range(len(steps) - 1):
        assert f["converted"].iloc[k] == (depth >= k + 2).sum()
        assert f["censored"].iloc[k] == ((depth == k + 1) & censored).sum()
        assert f["entered"].iloc[k] == f["converted"].iloc[k] + f["censored"].iloc[k] + f["dropped"].iloc[k]
        assert f["at_risk"].iloc[k] == f["entered"].iloc[k] - f["censored"].iloc[k]
