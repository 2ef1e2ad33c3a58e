"""The execution engine: every log analysis is declared once and runs on any backend.

An analysis is an object with three steps (DESIGN.md, "The engine"):

* ``prepare(facts)``: checks every argument against the global :class:`Facts` of the data (columns,
  touchpoint names, end of data) before any part of the data is analysed, so a typo in a goal is an error
  before any task runs;
* ``partial(part, facts)``: the analysis of one user-disjoint part of the data, a value that adds
  (see :mod:`journey.engine.partials`), keyed by names;
* ``finish(total, facts)``: the sum of the partials turned into the result.

Argument checks that need no data (types, durations, options) happen when the analysis object is built.
The local backend is the one-part case (``finish(partial(whole))``), so local and distributed answers are
the same by construction. :func:`run` is the one place that picks the backend: a Dask collection (or a log
partitioned with :func:`journey.partition_by_user`) goes to the Dask backend, looked up without importing
Dask when it is not loaded; anything else runs here, in this process.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import pandas as pd

from ..errors import JourneyError
from ..io.events import EventLog, as_event_log
from ..io.facts import Facts

__all__ = [
    "Analysis",
    "Facts",
    "run",
    "is_distributed",
    "local_facts",
    "span_codes",
    "segment_value",
    "segment_ranks",
    "MISSING",
]


class Analysis(ABC):
    """Base of every log analysis: ``prepare`` -> ``partial`` per part -> ``+`` -> ``finish``.

    ``source`` says what a part is: ``"events"`` (an :class:`~journey.EventLog` of whole users) or
    ``"orders"`` (a validated orders frame of whole customers, see :func:`journey.io.orders.read_orders`).
    """

    source = "events"

    def reader_options(self) -> dict[str, Any]:
        """Options for reading an orders table (analyses of ``source = "orders"`` say which columns)."""
        return {}

    def prepare(self, facts: Facts) -> None:  # noqa: B027 - optional: most analyses have nothing to check
        """Check the arguments against the data's global facts; raise before any part is analysed."""

    @abstractmethod
    def partial(self, part: Any, facts: Facts) -> Any:
        """The analysis of one user-disjoint part: a value that adds, keyed by names."""

    @abstractmethod
    def finish(self, total: Any, facts: Facts) -> Any:
        """The result, from the sum of every part's partial."""


def is_distributed(data: Any) -> bool:
    """Whether ``data`` is a Dask collection or a log partitioned by :func:`journey.partition_by_user`.

    Dask is looked up in ``sys.modules``: when it has not been imported, nothing can be a Dask collection,
    and it is not imported here (as networkx's dispatch does for its backends).
    """
    dask = sys.modules.get("dask")
    if dask is None:
        return False
    partitioned = sys.modules.get("journey.io.dask_log")
    if partitioned is not None and isinstance(data, (partitioned.DaskEventLog, partitioned.DaskOrders)):
        return True
    return bool(dask.is_dask_collection(data))


def run(analysis: Analysis, data: Any, *, argument: str = "log") -> Any:
    """Run ``analysis`` on ``data`` with the backend that suits it; the one dispatch point."""
    if is_distributed(data):
        from .dask_backend import run_distributed

        return run_distributed(analysis, data, argument=argument)
    part, facts = _local_part(analysis, data, argument)
    analysis.prepare(facts)
    return analysis.finish(analysis.partial(part, facts), facts)


def _local_part(analysis: Analysis, data: Any, argument: str) -> tuple[Any, Facts]:
    if analysis.source == "orders":
        from ..io.orders import read_orders

        orders = read_orders(data, **analysis.reader_options())
        return orders, orders_facts(orders)
    log = as_event_log(data, argument)
    return log, local_facts(log)


def local_facts(log: EventLog) -> Facts:
    """The facts of an in-memory :class:`~journey.EventLog` (one part: exact)."""
    t = log.time_ns
    return Facts(
        columns=tuple(log.columns),
        touchpoints=tuple(log.events),
        start_ns=int(t.min()) if len(t) else 0,
        end_ns=int(t.max()) if len(t) else 0,
        exact=True,
        input_names=getattr(log, "input_names", {}),
        sessions=getattr(log, "session_source", None),
    )


def orders_facts(orders: pd.DataFrame, exact: bool = True) -> Facts:
    """The facts of a validated orders frame."""
    t = orders["time"].array.as_unit("ns").asi8
    if not len(t):
        raise JourneyError("the orders table holds no rows")
    return Facts(
        columns=tuple(orders.columns), start_ns=int(t.min()), end_ns=int(t.max()), exact=exact, argument="orders"
    )


class _Missing:
    """The key of a missing segment value: equal to itself across processes (NaN is not, inside keys)."""

    def __repr__(self) -> str:
        return "<missing>"

    def __reduce__(self):
        return "MISSING"  # pickled by reference: the same object on every worker


#: Key of the segment of rows whose segment value is missing.
MISSING = _Missing()


def span_codes(values: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """Codes and the distinct values of a segment column, missing values kept as the segment MISSING."""
    codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=False)
    keys = [MISSING if _is_missing(v) else v for v in uniques]
    return codes, pd.Index(keys, dtype=object, tupleize_cols=False)


def segment_ranks(keys: list) -> np.ndarray:
    """Sort rank of each segment key: values in their natural order (as text when types are mixed), MISSING last.

    Parts of a distributed log each know only their own segments, so a finished table is ordered here.
    """
    distinct = list(dict.fromkeys(k for k in keys if k is not MISSING))
    try:
        ordered = sorted(distinct)
    except TypeError:
        ordered = sorted(distinct, key=str)
    rank = {k: i for i, k in enumerate(ordered)}
    return np.array([len(ordered) if k is MISSING else rank[k] for k in keys], dtype=np.int64)


def segment_value(key: Any) -> Any:
    """The segment value to show for a key (MISSING shows as a missing value)."""
    return np.nan if key is MISSING else key


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
