"""Path variants: the distinct sequences of touchpoints journeys take, most common first."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import JourneyError
from ..stats.intervals import wilson_interval
from ..engine.core import run
from ..io.facts import Facts
from ..engine.journeys import JourneyAnalysis, Journeys
from ..engine.partials import Keyed, Parts, timings

__all__ = ["path_variants", "VariantsAnalysis"]


def path_variants(log, *, top: int | None = 20, collapse_repeats: bool = False, goal=None,
                  unit: str = "user", gap="30min") -> pd.DataFrame:
    """The most common paths (sequences of touchpoints) and how their journeys fare.

    Parameters
    ----------
    log : EventLog or pandas.DataFrame
        The events (a DataFrame is read with the default columns).
    top : int or None
        How many variants to return (None: all).
    collapse_repeats : bool
        Merge immediate repeats (``product, product, cart`` becomes ``product, cart``) before comparing.
    goal : str or list of str, optional
        Conversion event(s): adds ``conversions``, ``conversion_rate`` and its Wilson 95% interval.
    unit, gap
        What a journey is, as in :func:`journey.journey_graph`.

    Returns
    -------
    pandas.DataFrame
        One row per variant: ``sequence`` (tuple of touchpoints), ``steps``, ``journeys``, ``share`` (of all
        journeys, 0-1), [``conversions``, ``conversion_rate``, ``ci_low``, ``ci_high``], ``median_seconds``
        (median journey duration, first to last event). Sorted by ``journeys`` (descending), then by
        sequence, so ties come out in the same order every time.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": list("aabbc"), "event": ["home", "cart", "home", "cart", "home"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=5, freq="min", tz="UTC")})
    >>> journey.path_variants(df)[["sequence", "journeys"]].values.tolist()
    [[('home', 'cart'), 2], [('home',), 1]]
    """
    return run(VariantsAnalysis(top=top, collapse_repeats=collapse_repeats, goal=goal, unit=unit, gap=gap), log)


class VariantsAnalysis(JourneyAnalysis):
    """Path variants: journeys and conversions per distinct sequence (keyed by the sequence of names)."""

    def __init__(self, *, top, collapse_repeats: bool, goal, unit: str, gap):
        if top is not None and (isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1):
            raise JourneyError(f"top must be a positive whole number or None, not {top!r}")
        super().__init__(goal=goal, unit=unit, gap=gap)
        self.top, self.collapse_repeats = top, bool(collapse_repeats)

    def partial(self, log, facts: Facts) -> Parts:
        journeys, goals = self.journeys(log)
        converted = journeys.converted(goals)
        durations = journeys.time[journeys.ends] - journeys.time[journeys.starts]
        if self.collapse_repeats:
            journeys = _collapse(journeys)
        variant, sequences = _variant_ids(journeys)
        names = journeys.names
        index = pd.Index([tuple(names[c] for c in seq) for seq in sequences], dtype=object, tupleize_cols=False)
        counts = Keyed(index, {"journeys": np.bincount(variant, minlength=len(index)),
                               "conversions": np.bincount(variant[converted], minlength=len(index))})
        return Parts(variants=counts, durations=timings(index, variant, durations, facts.exact))

    def finish(self, total: Parts, facts: Facts) -> pd.DataFrame:
        counts = total["variants"].frame()
        table = pd.DataFrame({"sequence": list(counts.index), "steps": [len(s) for s in counts.index],
                              "journeys": counts["journeys"].to_numpy(),
                              "conversions": counts["conversions"].to_numpy().astype(np.int64)})
        durations = total["durations"]
        medians = pd.Series(durations.medians(), index=durations.index)
        table["median_seconds"] = medians.reindex(counts.index).to_numpy()
        return _finish(table, int(table["journeys"].sum()), self.goal is not None, self.top)


def _finish(table: pd.DataFrame, n_journeys: int, with_goal: bool, top) -> pd.DataFrame:
    table = table.assign(share=table["journeys"] / n_journeys)
    columns = ["sequence", "steps", "journeys", "share"]
    if with_goal:
        table["conversion_rate"] = table["conversions"] / table["journeys"]
        table["ci_low"], table["ci_high"] = wilson_interval(table["conversions"], table["journeys"])
        columns += ["conversions", "conversion_rate", "ci_low", "ci_high"]
    table = table.assign(_key=table["sequence"].map(lambda s: "\x00".join(s)))
    table = table.sort_values(["journeys", "_key"], ascending=[False, True], kind="stable")
    return (table if top is None else table.head(top))[columns + ["median_seconds"]].reset_index(drop=True)


def _collapse(journeys: Journeys) -> Journeys:
    repeat = np.zeros(len(journeys.events), dtype=bool)
    repeat[1:] = (journeys.events[1:] == journeys.events[:-1]) & (journeys.journey[1:] == journeys.journey[:-1])
    return journeys.subset(~repeat)


def _variant_ids(journeys: Journeys) -> tuple[np.ndarray, list[np.ndarray]]:
    """Variant index of each journey and the code sequence of each variant, exactly (no hashing).

    Journeys of equal length are stacked into a matrix whose distinct rows are the variants.
    """
    lengths = journeys.lengths
    variant = np.empty(journeys.n_journeys, dtype=np.int64)
    sequences: list[np.ndarray] = []
    for length in np.unique(lengths):
        members = np.flatnonzero(lengths == length)
        matrix = journeys.events[journeys.starts[members, None] + np.arange(length)]
        distinct, inverse = np.unique(matrix, axis=0, return_inverse=True)
        variant[members] = len(sequences) + inverse.reshape(-1)
        sequences.extend(distinct)
    return variant, sequences
