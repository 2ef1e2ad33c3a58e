"""journey: customer journeys from event logs, with honest confidence intervals.

The public API is flat: ``journey.read_events``, ``journey.journey_graph``, ... Every name below is
importable from ``journey`` directly.
"""

from .errors import JourneyError, JourneyWarning
from .events import END, START, EventLog, read_events
from .graph import JourneyGraph, journey_graph, prune
from .export import to_frames, to_node_link, write_gexf, write_graphml, write_node_link
from .funnel import funnel
from .variants import path_variants

__version__ = "0.1.0"

__all__ = [
    "read_events", "EventLog", "START", "END",
    "journey_graph", "prune", "JourneyGraph", "path_variants", "funnel",
    "to_frames", "write_graphml", "write_gexf", "to_node_link", "write_node_link",
    "JourneyError", "JourneyWarning", "__version__",
]
