"""journey: customer journeys from event logs, with honest confidence intervals.

The public API is flat: ``journey.read_events``, ``journey.journey_graph``, ... Every name in
``__all__`` is importable from ``journey`` directly. Modules that pull in heavy libraries (networkx,
scipy, matplotlib) load on first use, so ``import journey`` stays quick.
"""

from importlib import import_module

from .errors import JourneyError, JourneyWarning
from .events import END, START, EventLog, read_events

__version__ = "0.1.0"

# Public name -> module that defines it, imported when the name is first used.
_LAZY = {
    "journey_graph": "graph", "prune": "graph", "JourneyGraph": "graph",
    "path_variants": "variants",
    "funnel": "funnels",
    "drop_off": "dropoff", "compare_paths": "dropoff",
    "markov": "markov_model", "MarkovModel": "markov_model",
    "nps": "net_promoter", "nps_from_counts": "net_promoter", "nps_compare": "net_promoter",
    "nps_by": "net_promoter", "NPSResult": "net_promoter",
    "proportion": "proportions", "csat": "proportions", "compare_proportions": "proportions",
    "sample_size": "sample_sizes", "margin_of_error": "sample_sizes",
    "read_survey": "survey", "nps_by_touchpoint": "survey", "nps_by_outcome": "survey",
    "active_users": "engagement", "stickiness": "engagement", "churn": "engagement", "retention": "engagement",
    "survival": "time_to_event", "kaplan_meier": "time_to_event",
    "repeat_rate": "orders", "inter_purchase_times": "orders",
    "kpi": "targets", "scorecard": "targets",
    "plot_journey_map": "journey_map", "plot_sankey": "plots", "plot_funnel": "plots", "plot_drop_off": "plots",
    "plot_nps": "plots", "plot_retention": "plots", "plot_active_users": "plots", "save_figure": "figures",
    "to_frames": "export", "write_graphml": "export", "write_gexf": "export",
    "to_node_link": "export", "write_node_link": "export",
}

__all__ = ["read_events", "EventLog", "START", "END", *_LAZY, "JourneyError", "JourneyWarning", "__version__"]


# Submodules reachable as attributes (``journey.datasets.load_sample()``) without importing them first.
_SUBMODULES = ("datasets",)


def __getattr__(name: str):
    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'journey' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
