"""journey: customer journeys from event logs, with honest confidence intervals.

The public API is flat: ``journey.read_events``, ``journey.journey_graph``, ... Every name below is
importable from ``journey`` directly.
"""

from .errors import JourneyError, JourneyWarning
from .events import END, START, EventLog, read_events

__version__ = "0.1.0"

__all__ = ["read_events", "EventLog", "START", "END", "JourneyError", "JourneyWarning", "__version__"]
