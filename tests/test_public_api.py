"""The flat public API: every name resolves to what it promises, whatever was imported before."""

import importlib
import inspect
import pkgutil
import re
import types

import numpy as np
import pandas as pd
import pytest

import journey


def test_every_public_name_is_a_function_or_class_even_after_importing_every_module():
    for module in pkgutil.iter_modules(journey.__path__):
        importlib.import_module(f"journey.{module.name}")  # a submodule named like a function would shadow it
    for name in journey.__all__:
        value = getattr(journey, name)
        assert not isinstance(value, types.ModuleType), f"journey.{name} is a module"


def test_importing_journey_stays_light():
    import subprocess
    import sys

    code = "import journey, sys; print(' '.join(m for m in ('networkx', 'scipy', 'matplotlib') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []


# --- every public callable: typed, documented with an example ------------------------------------


def _public_callables():
    """Every public function and class of ``journey``, and the public methods of its classes."""
    for name in journey.__all__:
        value = getattr(journey, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            continue
        if callable(value):
            yield name, value
        if isinstance(value, type):
            for attr, member in vars(value).items():
                if not attr.startswith("_") and callable(member) and not isinstance(member, type):
                    yield f"{name}.{attr}", member


def _unannotated(function):
    signature = inspect.signature(function)
    missing = [
        p.name
        for p in signature.parameters.values()
        if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty
    ]
    if signature.return_annotation is inspect.Signature.empty and function.__name__ != "__init__":
        missing.append("return")
    return missing


def test_every_public_function_and_method_is_annotated():
    gaps = {}
    for name, value in _public_callables():
        target = value.__init__ if isinstance(value, type) else value
        if not getattr(target, "__module__", "").startswith("journey"):
            continue  # inherited from another library (a JourneyGraph is built like any networkx DiGraph)
        missing = _unannotated(target)
        if missing:
            gaps[name] = missing
    assert gaps == {}


def test_every_public_function_has_a_numpydoc_docstring_with_a_runnable_example():
    gaps = {}
    for name in journey.__all__:
        value = getattr(journey, name)
        if not inspect.isfunction(value):
            continue
        doc = inspect.getdoc(value) or ""
        has_parameters = any(p.name not in ("self", "cls") for p in inspect.signature(value).parameters.values())
        wanted = ["Returns", "Examples"] + (["Parameters"] if has_parameters else [])
        missing = [section for section in wanted if f"\n{section}\n---" not in f"\n{doc}"]
        if ">>>" not in doc:
            missing.append(">>>")
        if missing:
            gaps[name] = missing
    assert gaps == {}


def test_every_public_class_and_method_is_documented():
    undocumented = [name for name, value in _public_callables() if not (inspect.getdoc(value) or "").strip()]
    assert undocumented == []


# --- every analysis returns a result on the protocol ---------------------------------------------


def _sample():
    from journey.datasets import load_sample

    sample = load_sample()
    return journey.read_events(sample.events), sample


def _analyses():
    log, sample = _sample()
    survey = journey.read_survey(sample.survey, score="nps")
    return {
        "journey_graph": journey.journey_graph(log, goal="purchase"),
        "path_variants": journey.path_variants(log, goal="purchase"),
        "funnel": journey.funnel(log, ["product", "cart", "purchase"]),
        "drop_off": journey.drop_off(log, goal="purchase"),
        "compare_paths": journey.compare_paths(log, goal="purchase"),
        "markov": journey.markov(log, goal="purchase"),
        "markov.bootstrap": journey.markov(log, goal="purchase").bootstrap(20),
        "active_users": journey.active_users(log, period="W"),
        "stickiness": journey.stickiness(log),
        "churn": journey.churn(log),
        "retention": journey.retention(log),
        "survival": journey.survival(log),
        "repeat_rate": journey.repeat_rate(sample.orders),
        "repeat_rate(by=)": journey.repeat_rate(sample.orders.assign(big=sample.orders["amount"] > 60), by="big"),
        "nps_by": journey.nps_by(survey, by="csat"),
        "nps_by_touchpoint": journey.nps_by_touchpoint(log, survey),
        "nps_by_outcome": journey.nps_by_outcome(log, survey, goal="purchase"),
        "nps": journey.nps(survey["score"]),
        "csat": journey.csat([5, 4, 3, 2]),
        "proportion": journey.proportion(3, 10),
        "compare_proportions": journey.compare_proportions(3, 10, 5, 10),
        "kpi": journey.kpi("NPS", journey.nps(survey["score"]), target=0),
        "scorecard": journey.scorecard([journey.kpi("NPS", journey.nps(survey["score"]), target=0)]),
        "compare_funnels": journey.compare_funnels(log, ["product", "cart", "purchase"], by="device"),
        "compare_graphs": journey.compare_graphs(log, by="device", goal="purchase"),
        "compare_variants": journey.compare_variants(log, by="device", top=5),
        "experience_map": journey.experience_map(
            log,
            stages={
                "arrive": ["ad_click", "search", "email_click"],
                "browse": ["home", "category", "product"],
                "buy": ["cart", "checkout", "payment", "purchase"],
            },
            survey=survey,
            goal="purchase",
        ),
    }


@pytest.fixture(scope="module")
def analyses():
    import matplotlib

    matplotlib.use("Agg")
    return _analyses()


def test_every_analysis_returns_a_result_with_a_table_and_displays_without_addresses(analyses):
    for name, result in analyses.items():
        assert not isinstance(result, (pd.DataFrame, pd.Series, tuple)), name
        frame = result.to_frame()
        assert isinstance(frame, pd.DataFrame) and not frame.attrs, name
        text, page = repr(result), result._repr_html_()
        assert re.search(r"0x[0-9a-f]{6,}", text + page) is None, name
        assert text.split(":")[0] == type(result).__name__, name
        assert page.startswith('<div class="journey-result">'), name
        assert type(result).__name__ in journey.__all__, name


def test_every_result_with_a_rate_gives_its_interval_at_any_level(analyses):
    rates = [
        "journey_graph",
        "path_variants",
        "funnel",
        "drop_off",
        "compare_paths",
        "markov",
        "markov.bootstrap",
        "stickiness",
        "churn",
        "retention",
        "survival",
        "repeat_rate",
        "repeat_rate(by=)",
        "nps_by",
        "nps_by_touchpoint",
        "nps_by_outcome",
        "nps",
        "csat",
        "proportion",
        "compare_proportions",
    ]
    for name in rates:
        result = analyses[name]
        interval = result.confidence_interval()
        assert isinstance(interval, journey.ConfidenceInterval), name
        low, high = (np.atleast_1d(np.asarray(x, dtype=float)) for x in interval)
        known = ~np.isnan(low) & ~np.isnan(high)
        assert known.any() and (low[known] <= high[known]).all(), name
        if name != "markov.bootstrap":  # percentile intervals come from the replicates at their own level
            narrower = [np.atleast_1d(np.asarray(x, dtype=float)) for x in result.confidence_interval(0.8)]
            both = known & ~np.isnan(narrower[0])
            assert (narrower[0][both] >= low[both] - 1e-12).all() and (narrower[1][both] <= high[both] + 1e-12).all(), (
                name
            )


def test_every_result_with_a_picture_draws_it_on_the_axes_it_is_given(analyses):
    import matplotlib.pyplot as plt

    for name in [
        "journey_graph",
        "path_variants",
        "funnel",
        "drop_off",
        "markov.bootstrap",
        "active_users",
        "churn",
        "retention",
        "survival",
        "nps_by",
        "nps_by_touchpoint",
        "nps_by_outcome",
    ]:
        fig, ax = plt.subplots()
        assert analyses[name].plot(ax=ax) is ax, name
        assert ax.has_data() or ax.patches or ax.collections, name
        plt.close(fig)


def test_kpi_takes_any_result_with_an_estimate_through_the_protocol(analyses):
    for name in [
        "journey_graph",
        "funnel",
        "markov",
        "churn",
        "repeat_rate",
        "repeat_rate(by=)",
        "nps",
        "csat",
        "proportion",
    ]:
        result = analyses[name]
        indicator = journey.kpi(name, result, target=0.5)
        headline = getattr(result, "overall", result)
        assert indicator.estimate == pytest.approx(headline.estimate), name
