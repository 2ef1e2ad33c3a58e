"""One keyword, one meaning (DESIGN.md, "Public vocabulary"): the same name, meaning and default everywhere.

Each test reads the signatures of every public function and result method, so a keyword that drifts
(a new ``freq=`` beside ``period=``, a ``by=`` that means a journey unit again) fails here.
"""

import inspect
import sys
import typing

import pandas as pd
import pytest

import journey
from journey.errors import JourneyError, MissingColumnError


def _functions():
    for name in journey.__all__:
        value = getattr(journey, name)
        if inspect.isfunction(value):
            yield name, value


def _methods():
    for name in journey.__all__:
        value = getattr(journey, name)
        if isinstance(value, type) and not issubclass(value, BaseException):
            for attr, member in vars(value).items():
                if not attr.startswith("_") and inspect.isfunction(member):
                    yield f"{name}.{attr}", member


def _uses(keyword, where=None):
    """{function name: parameter} for every public function (or method) taking ``keyword``."""
    found = {}
    for name, function in (where or _functions)():
        parameter = inspect.signature(function).parameters.get(keyword)
        if parameter is not None:
            found[name] = parameter
    return found


def _defaults(uses):
    return {name: p.default for name, p in uses.items() if p.default is not inspect.Parameter.empty}


@pytest.mark.parametrize(
    "keyword, default",
    [
        ("user", "user_id"),
        ("time", "timestamp"),
        ("event", "event"),
        ("unit", "user"),
        ("gap", "30min"),
        ("level", 0.95),
        ("seed", 0),
    ],
)
def test_a_keyword_has_one_default_wherever_it_appears(keyword, default):
    # A picture of a result draws it at the result's own level unless told otherwise: None there.
    uses = {name: p for name, p in _uses(keyword).items() if not (name.startswith("plot_") and p.default is None)}
    # read_events reads exports too: None there means "the format's own field", which for a tidy table is
    # the default below (test_read_events_defaults_are_the_vocabulary_defaults_for_a_tidy_table).
    assert uses, f"no public function takes {keyword}="
    uses = {name: p for name, p in uses.items() if not (name == "read_events" and p.default is None)}
    assert set(map(repr, _defaults(uses).values())) <= {repr(default)}, _defaults(uses)


def test_read_events_defaults_are_the_vocabulary_defaults_for_a_tidy_table():
    df = pd.DataFrame({"user_id": ["a"], "timestamp": ["2025-01-01T10:00Z"], "event": ["home"]})
    assert journey.read_events(df).input_names == {"user": "user_id", "time": "timestamp", "event": "event"}


def _options(parameter):
    """The Literal options of a parameter's annotation (annotations are text: ``from __future__ import annotations``)."""
    import journey.io.aliases

    annotation = parameter.annotation
    return typing.get_args(eval(annotation, vars(journey.io.aliases)) if isinstance(annotation, str) else annotation)


def test_unit_is_what_one_journey_is_and_nothing_else():
    uses = _uses("unit")
    assert {"journey_graph", "path_variants", "markov", "drop_off", "compare_paths"} <= set(uses)
    for name, parameter in uses.items():
        assert _options(parameter) == ("user", "session"), name


def test_by_is_always_a_segment_column_and_never_required():
    uses = _uses("by")
    assert {"drop_off", "funnel", "path_variants", "repeat_rate", "nps_by"} <= set(uses)
    # Segments are the point of nps_by and of the comparisons: there by= is required.
    required = {"nps_by", "compare_funnels", "compare_graphs", "compare_variants"}
    assert all(p.default is None for name, p in uses.items() if name not in required), _defaults(uses)
    assert all(uses[name].default is inspect.Parameter.empty for name in required)


def test_period_is_a_calendar_period_with_the_same_options_everywhere():
    uses = _uses("period")
    assert {"active_users", "churn", "retention"} <= set(uses)
    for name, parameter in uses.items():
        assert _options(parameter) == ("D", "W", "M"), name
    assert _options(inspect.signature(journey.EventLog.with_period).parameters["period"]) == ("D", "W", "M")


def test_adjust_is_how_many_p_values_are_adjusted_with_the_same_options_and_default_everywhere():
    uses = _uses("adjust")
    assert {
        "nps_by",
        "nps_by_touchpoint",
        "nps_by_outcome",
        "repeat_rate",
        "compare_funnels",
        "compare_graphs",
        "compare_variants",
        "drop_off",
        "compare_paths",
    } <= set(uses)
    for name, parameter in uses.items():
        function = getattr(journey, name)
        # Only this parameter's annotation, resolved in its module (others may name types kept for checkers).
        annotation = parameter.annotation
        if isinstance(annotation, str):
            annotation = eval(annotation, vars(sys.modules[function.__module__]))
        assert typing.get_args(annotation) == ("bh", "holm", "by") and parameter.default == "bh", name


def test_retired_keywords_are_gone_from_every_public_signature():
    retired = {"customer": "user", "freq": "period", "cohort": "cohort_period", "window": "rolling", "what": "outcome"}
    for old, new in retired.items():
        assert _uses(old) == {} and _uses(old, _methods) == {}, f"{old}= is now {new}="
    # "order" keeps one meaning, the order of a Markov chain; funnel steps and order ids have their own words.
    assert set(_uses("order")) == {"markov"}
    assert set(_uses("step_order")) == {"funnel", "compare_funnels"}
    assert {"read_orders", "repeat_rate", "inter_purchase_times", "survival"} <= set(_uses("order_id"))
    # "event" is a column name of the input, only in readers.
    assert set(_uses("event")) == {"read_events"}


def test_result_methods_default_to_the_level_the_result_was_made_with():
    for name, parameter in _uses("level", _methods).items():
        if name.endswith("confidence_interval") or name.endswith("bootstrap"):
            assert parameter.default is None, name


def test_interval_columns_follow_one_naming_everywhere():
    log = journey.read_events(journey.datasets.load_sample().events)
    segmented = log.with_period("M")
    tables = {
        "drop_off": journey.drop_off(segmented, goal="purchase", by="period").to_frame(),
        "funnel": journey.funnel(segmented, ["product", "cart", "purchase"], by="period").to_frame(),
        "compare_paths": journey.compare_paths(log, goal="purchase").to_frame(),
        "path_variants": journey.path_variants(log, goal="purchase").to_frame(),
    }
    for name, table in tables.items():
        for column in table.columns:
            assert not column.startswith(("diff_", "conversion_low", "removal_low")), (name, column)
            if column.endswith("_ci_low"):
                assert (
                    column.removesuffix("_ci_low") in table.columns
                    or column == "difference_ci_low"
                    or column.removesuffix("_ci_low") + "_rate" in table.columns
                ), (name, column)
        if "ci_low" in table.columns:
            assert "ci_high" in table.columns, name
        if "difference" in table.columns:
            assert {"difference_ci_low", "difference_ci_high", "p_value", "p_adjusted", "significant"} <= set(
                table.columns
            ), name


def test_with_period_lets_every_by_analysis_compare_periods():
    log = journey.read_events(journey.datasets.load_sample().events).with_period("M")
    table = journey.drop_off(log, goal="purchase", by="period").to_frame()
    # Touchpoints are ranked by expected loss; within each, the periods come in time order.
    assert table.groupby("touchpoint")["period"].apply(lambda s: s.is_monotonic_increasing).all()
    assert sorted(table["period"].unique())[0] == "2025-01"
    assert journey.path_variants(log, by="period").to_frame()["period"].iloc[0] == "2025-01"
    with pytest.raises(JourneyError, match="already in the log"):
        log.with_period("W")
    with pytest.raises(JourneyError, match="period must be one of"):
        log.with_period("Q", name="quarter")


def test_errors_name_columns_as_the_user_named_them():
    df = pd.DataFrame(
        {
            "uid": ["a", "a"],
            "ts": ["2025-01-01T10:00Z", "2025-01-01T10:05Z"],
            "step": ["home", "buy"],
            "platform": ["web", "web"],
        }
    )
    log = journey.read_events(df, user="uid", time="ts", event="step")
    with pytest.raises(MissingColumnError) as caught:
        journey.drop_off(log, goal="buy", by="plattform")
    message = str(caught.value)
    assert "'uid', 'ts', 'step', 'platform'" in message and "'user'" not in message
    assert "Did you mean 'platform'?" in message and "by=..." in message


def test_the_command_line_speaks_in_options_not_keywords(tmp_path, capsys):
    from journey.cli import main

    path = tmp_path / "epoch.csv"
    path.write_text("user_id,timestamp,event\na,1735725600,home\n")
    assert main(["summary", str(path)]) == 2
    message = capsys.readouterr().err
    assert "--time-unit s" in message and "time_unit=" not in message
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,timestamp,event\na,not a time,home\n")
    assert main(["summary", str(bad)]) == 2
    message = capsys.readouterr().err
    assert "--drop-invalid" in message and "on_invalid" not in message
    assert main(["graph", str(tmp_path / "epoch.csv"), "--time-unit", "s", "--goal", "hom"]) == 2
    message = capsys.readouterr().err
    assert "(--goal hom)" in message and "Did you mean 'home'?" in message
