"""journey: customer journeys from event logs, with honest confidence intervals.

The public API is flat: ``journey.read_events``, ``journey.journey_graph``, ... Every name in
``__all__`` is importable from ``journey`` directly. Modules that pull in heavy libraries (networkx,
scipy, matplotlib) load on first use, so ``import journey`` stays quick.
"""

from importlib import import_module

from .errors import JourneyError, JourneyWarning
from .io.events import END, START, EventLog, read_events

__version__ = "0.1.0"

# Public name -> module that defines it, imported when the name is first used.
_LAZY = {
    "journey_graph": "analysis.graph",
    "prune": "analysis.graph",
    "JourneyGraph": "analysis.graph",
    "path_variants": "analysis.variants",
    "PathVariants": "analysis.variants",
    "funnel": "analysis.funnels",
    "Funnel": "analysis.funnels",
    "Step": "analysis.funnels",
    "TimeToConvert": "analysis.conversion_time",
    "drop_off": "analysis.dropoff",
    "compare_paths": "analysis.dropoff",
    "DropOff": "analysis.dropoff",
    "PathComparison": "analysis.dropoff",
    "plot_compare_paths": "analysis.dropoff",
    "markov": "analysis.markov",
    "MarkovModel": "analysis.markov",
    "MarkovBootstrap": "analysis.markov",
    "nps": "stats.net_promoter",
    "nps_from_counts": "stats.net_promoter",
    "nps_compare": "stats.net_promoter",
    "nps_by": "stats.net_promoter",
    "NPSResult": "stats.net_promoter",
    "NPSDifference": "stats.net_promoter",
    "NPSTable": "stats.net_promoter",
    "plot_nps": "stats.net_promoter",
    "ProportionResult": "stats.proportions",
    "DifferenceResult": "stats.proportions",
    "proportion": "stats.proportions",
    "csat": "stats.proportions",
    "compare_proportions": "stats.proportions",
    "sample_size": "stats.sample_sizes",
    "margin_of_error": "stats.sample_sizes",
    "read_survey": "io.survey",
    "survey_problems": "io.survey",
    "nps_by_touchpoint": "analysis.survey_links",
    "nps_by_outcome": "analysis.survey_links",
    "active_users": "analysis.engagement",
    "stickiness": "analysis.engagement",
    "churn": "analysis.engagement",
    "retention": "analysis.engagement",
    "ActiveUsers": "analysis.engagement",
    "Stickiness": "analysis.engagement",
    "Churn": "analysis.engagement",
    "ChurnRate": "analysis.engagement",
    "Retention": "analysis.engagement",
    "survival": "analysis.survival",
    "kaplan_meier": "stats.survival",
    "SurvivalResult": "stats.survival",
    "repeat_rate": "analysis.repeat_purchase",
    "inter_purchase_times": "analysis.repeat_purchase",
    "RepeatRate": "analysis.repeat_purchase",
    "plot_repeat_rate": "analysis.repeat_purchase",
    "read_orders": "io.orders",
    "kpi": "stats.targets",
    "scorecard": "stats.targets",
    "KPI": "stats.targets",
    "Scorecard": "stats.targets",
    "plot_journey_map": "analysis.graph",
    "plot_sankey": "analysis.variants",
    "plot_funnel": "analysis.funnels",
    "plot_drop_off": "analysis.dropoff",
    "plot_retention": "analysis.engagement",
    "plot_active_users": "analysis.engagement",
    "save_figure": "plot.figures",
    "to_frames": "io.export",
    "write_graphml": "io.export",
    "write_gexf": "io.export",
    "to_node_link": "io.export",
    "write_node_link": "io.export",
    "partition_by_user": "engine.dask_backend",
    "ConfidenceInterval": "stats.results",
    "stable_table": "stats.results",
    "compare_funnels": "analysis.compare",
    "FunnelComparison": "analysis.compare",
    "compare_graphs": "analysis.compare",
    "JourneyDiff": "analysis.compare",
    "compare_variants": "analysis.compare",
    "VariantComparison": "analysis.compare",
    "power": "stats.sample_sizes",
    "sample_size_two_groups": "stats.sample_sizes",
    "write_xes": "io.formats.xes",
    "ReadReport": "io.formats.report",
    "combine_logs": "io.combine",
    "CombinedLog": "io.combine",
    "experience_map": "analysis.experience",
    "ExperienceMap": "analysis.experience",
}

__all__ = ["read_events", "EventLog", "START", "END", *_LAZY, "JourneyError", "JourneyWarning", "__version__"]


# Submodules reachable as attributes (``journey.datasets.load_sample()``) without importing them first.
_SUBMODULES = ("datasets",)


def __getattr__(name: str) -> object:
    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'journey' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
