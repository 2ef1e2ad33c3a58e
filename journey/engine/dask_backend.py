"""The Dask backend: an analysis's partials on every partition of a user-partitioned log, tree-reduced.

The log is partitioned by user once (:func:`journey.partition_by_user`, done by the first analysis of a
log otherwise) and stays persisted, with its global facts. Each analysis then checks its arguments against
those facts (``prepare``: before any of its tasks runs), computes one partial per partition on the
workers, adds the partials pairwise in a tree (never gathering per-user rows on the client) and finishes on
the client. Any ``dask.distributed`` cluster works: ``Client(LocalCluster())`` on one machine or
``Client("tcp://scheduler:8786")``; without a client, Dask's local scheduler runs. In a terminal a progress
bar shows; in notebooks and logs nothing is printed, so outputs stay the same run to run.

What stays single-machine, and why: ``nps_by_touchpoint`` and ``nps_by_outcome`` (they link survey
answers to each customer's path: collect the log first), ``inter_purchase_times`` (one value per repeat
order, not a sum), ``plot_sankey`` (it draws paths of a log), and the survey statistics, plots and
``prune`` (they take small tables or results, not logs).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

from ..io.dask_log import compute
from ..io.facts import Facts
from .partials import add

if TYPE_CHECKING:
    from ..io.dask_log import DaskEventLog

# An analysis (journey.engine.core.Analysis) is typed Any here: core dispatches to this module, and this
# module only calls the analysis's prepare, partial and finish.
Analysis = Any

__all__ = ["run_distributed", "partition_by_user", "global_facts", "compute", "tree_sum"]


def run_distributed(analysis: Analysis, data: Any, *, argument: str = "log") -> Any:
    """Run ``analysis`` on a Dask log (or orders): facts, prepare, partials, tree sum, finish."""
    import dask

    from ..io.dask_log import as_dask_log, as_dask_orders, event_log_of

    with _quiet():
        source: Any = (
            as_dask_orders(data, analysis.reader_options()) if analysis.source == "orders" else as_dask_log(data)
        )
        facts = global_facts(source)
        analysis.prepare(facts)
        to_part = partial(event_log_of, session_source=source.session_source) if source.kind == "events" else None
        partials = [dask.delayed(_partial)(analysis, part, facts, to_part) for part in source.partitions()]
        (total,) = compute(tree_sum(partials))
    return analysis.finish(total, facts)


def _partial(analysis: Analysis, part: Any, facts: Facts, to_part: Callable[[Any], Any] | None) -> Any:
    """One partition's partial; None (zero) for an empty partition."""
    if part is None or len(part) == 0:
        return None
    return analysis.partial(to_part(part) if to_part is not None else part, facts)


def tree_sum(items: Iterable[Any]) -> Any:
    """The sum of Dask delayed values, added pairwise in a tree of depth log2(n)."""
    import dask

    items = list(items)
    if not items:
        return dask.delayed(None)
    while len(items) > 1:
        paired = [dask.delayed(add)(items[i], items[i + 1]) for i in range(0, len(items) - 1, 2)]
        items = paired + ([items[-1]] if len(items) % 2 else [])
    return items[0]


def global_facts(source: Any) -> Facts:
    """The global facts of a partitioned log (or orders), computed once in one pass and kept on it."""
    if source._facts is None:
        source._facts = source.facts_from(compute(tree_sum(source.summaries()))[0])
    return source._facts


def partition_by_user(data: Any) -> DaskEventLog:
    """Shuffle a Dask log by user once and keep it in the cluster's memory for every later analysis.

    Parameters
    ----------
    data : DaskEventLog or dask.dataframe.DataFrame
        From ``read_events(..., engine="dask")``, or a Dask DataFrame with the default column names.

    Returns
    -------
    DaskEventLog
        The same log, partitioned: each partition holds whole users, sorted by user and time (ties in
        input order), and the global facts (touchpoints, first and last event) are known. Analyses given
        it run without another shuffle or validation.

    Raises
    ------
    JourneyError
        When ``data`` is not a Dask log, or lacks the user, time or event column.

    See Also
    --------
    read_events : ``engine="dask"`` reads Parquet or CSV files lazily.

    Notes
    -----
    Every later analysis on the returned log adds up partials of whole users (tree reduction), so its
    answer equals the in-memory one; medians merge as log-spaced histograms within a stated error bound.

    Examples
    --------
    >>> import dask.dataframe as dd, journey
    >>> events = journey.datasets.load_sample().events
    >>> log = journey.partition_by_user(dd.from_pandas(events, npartitions=4))
    >>> journey.journey_graph(log).graph["n_events"] == len(events)
    True
    """
    from ..io.dask_log import as_dask_log

    with _quiet():
        log = as_dask_log(data)
        global_facts(log)
    return log


@contextmanager
def _quiet() -> Iterator[None]:
    """Keep the scheduler's and the shuffle's chatter (warnings, log lines) out of the user's terminal."""
    loggers = [
        logging.getLogger(name)
        for name in (
            "distributed",
            "distributed.shuffle",
            "distributed.worker",
            "distributed.scheduler",
            "distributed.client",
        )
    ]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module="distributed")
            warnings.filterwarnings("ignore", module="dask")
            warnings.filterwarnings("ignore", message="Sending large graph")
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)
