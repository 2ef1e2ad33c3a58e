"""Where customers drop off: exit rates with intervals, segment tests with FDR, converters vs the rest.

Definitions (a journey is a customer's whole path, by user)
------------------------------------------------------------
* ``journeys`` at a touchpoint: journeys that visit it at least once.
* ``exits``: journeys whose last event is at the touchpoint and that never converted (reached the goal).
* ``exit_rate`` = exits / journeys, with a Wilson interval.
* ``conversion_rate`` = converted journeys through the touchpoint / journeys through it.
* ``expected_lost_conversions`` = exits x conversions / (journeys - exits): the conversions the exiting
  journeys would have brought had they gone on like the journeys that did not end there. It ranks
  touchpoints by what their drop-off costs, not by its raw size: many exits from a touchpoint whose
  other visitors rarely buy cost little. NaN when every journey through the touchpoint ended there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.core import run, segment_value, span_codes
from ..io.facts import Facts
from ..engine.partials import Keyed, Parts
from ..errors import JourneyError
from ..io.events import END, START
from ..stats.intervals import newcombe_interval, wilson_interval
from ..engine.journeys import JourneyAnalysis, distinct_pairs, observed_codes
from ..stats.proportions import _check_level as check_level
from ..stats.significance import adjust_pvalues, independence_test

__all__ = ["drop_off", "compare_paths", "DropOffAnalysis", "ComparePathsAnalysis"]


def drop_off(log, *, goal, by: str | None = None, level: float = 0.95) -> pd.DataFrame:
    """Rank touchpoints by the conversions lost where journeys end there.

    Parameters
    ----------
    log : EventLog or pandas.DataFrame
        The events; one journey per user.
    goal : str or list of str
        The conversion event(s); goal touchpoints themselves are not listed.
    by : str, optional
        A column to segment by (a journey's segment is its value at the journey's first event). Each
        touchpoint then gets a test that its exit rate is the same in every segment (Pearson chi-square,
        or Fisher's exact test for small counts), ``p_value``, the Benjamini-Hochberg ``p_adjusted``
        across touchpoints, and ``significant`` (``p_adjusted < 1 - level``).
    level : float
        Confidence level of the intervals and of the significance flag.

    Returns
    -------
    pandas.DataFrame
        One row per touchpoint (and segment): [segment], ``touchpoint``, ``journeys``, ``exits``,
        ``exit_rate``, ``ci_low``, ``ci_high``, ``conversions``, ``conversion_rate``,
        ``conversion_ci_low``, ``conversion_ci_high``, ``expected_lost_conversions`` [, ``p_value``,
        ``p_adjusted``, ``significant``, ``test``]. Rates are shares (0-1). Sorted by expected lost
        conversions (of the touchpoint over all segments), largest first; segments in sorted order.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": list("aaabbcc"),
    ...                    "event": ["home", "cart", "buy", "home", "cart", "home", "cart"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=7, freq="min", tz="UTC")})
    >>> d = journey.drop_off(df, goal="buy")
    >>> d[["touchpoint", "journeys", "exits", "expected_lost_conversions"]].values.tolist()
    [['cart', 3, 2, 2.0], ['home', 3, 0, 0.0]]
    """
    return run(DropOffAnalysis(goal=goal, by=by, level=level), log)


class DropOffAnalysis(JourneyAnalysis):
    """Journeys, exits and conversions per (segment, touchpoint), keyed by names."""

    def __init__(self, *, goal, by: str | None, level: float):
        super().__init__(goal=goal)
        if not self.goals:
            raise JourneyError("drop_off needs a goal")
        check_level(level)
        self.segment, self.level = by, level

    def prepare(self, facts: Facts) -> None:
        facts.require_column(self.segment, "by", "segment")
        super().prepare(facts)

    def partial(self, log, facts: Facts) -> Keyed:
        journeys, codes = self.journeys(log)
        converted = journeys.converted(codes)
        if self.segment is None:
            labels, segments = np.zeros(journeys.n_journeys, dtype=np.int64), pd.Index([_ALL], dtype=object)
        else:
            labels, segments = span_codes(log.column(self.segment)[journeys.starts])
        k, s = len(journeys.names), len(segments)
        visited = distinct_pairs(journeys.journey, journeys.events, k)
        cell = labels[visited // k] * k + visited % k
        counts = {
            "journeys": np.bincount(cell, minlength=s * k),
            "conversions": np.bincount(cell[converted[visited // k]], minlength=s * k),
            "exits": np.bincount((labels * k + journeys.events[journeys.ends])[~converted], minlength=s * k),
        }
        index = pd.MultiIndex.from_product([segments, pd.Index(journeys.names, dtype=object)])
        return Keyed(index, counts)

    def finish(self, total: Keyed, facts: Facts) -> pd.DataFrame:
        counts = total.frame()
        table = counts.assign(touchpoint=counts.index.get_level_values(1))
        if self.segment is not None:
            table.insert(0, self.segment, [segment_value(v) for v in counts.index.get_level_values(0)])
        table = table[(table["journeys"] > 0) & ~table["touchpoint"].isin(self.goals)]
        keys = ([self.segment] if self.segment else []) + ["touchpoint"]
        table = table.sort_values(keys, kind="stable", na_position="last")
        columns = keys + ["journeys", "exits", "conversions"]
        return _finish(table[columns].reset_index(drop=True), self.segment, self.level)


_ALL = "all journeys"


def _finish(table: pd.DataFrame, by: str | None, level: float) -> pd.DataFrame:
    table = _with_rates(table, level)
    if by is not None:
        table = _with_segment_tests(table, by, level)
    return _by_loss(table, by)


RATE_COLUMNS = ["touchpoint", "journeys", "exits", "exit_rate", "ci_low", "ci_high", "conversions",
                "conversion_rate", "conversion_ci_low", "conversion_ci_high", "expected_lost_conversions"]


def _with_rates(table: pd.DataFrame, level: float) -> pd.DataFrame:
    n, exits, conv = (table[c].to_numpy() for c in ("journeys", "exits", "conversions"))
    table["exit_rate"] = exits / n
    table["ci_low"], table["ci_high"] = wilson_interval(exits, n, level)
    table["conversion_rate"] = conv / n
    table["conversion_ci_low"], table["conversion_ci_high"] = wilson_interval(conv, n, level)
    stayed = n - exits
    with np.errstate(invalid="ignore", divide="ignore"):
        table["expected_lost_conversions"] = np.where(stayed > 0, exits * conv / np.maximum(stayed, 1), np.nan)
    segment = [c for c in table.columns if c not in RATE_COLUMNS]
    return table[segment + RATE_COLUMNS]


def _with_segment_tests(table: pd.DataFrame, by: str, level: float) -> pd.DataFrame:
    tests = {}
    for touchpoint, rows in table.groupby("touchpoint", sort=False):
        contingency = np.column_stack([rows["exits"], rows["journeys"] - rows["exits"]])
        tests[touchpoint] = independence_test(contingency)
    names = list(tests)
    pvalues = np.array([tests[t][0] for t in names])
    adjusted = dict(zip(names, adjust_pvalues(pvalues)))
    table["p_value"] = table["touchpoint"].map({t: tests[t][0] for t in names})
    table["p_adjusted"] = table["touchpoint"].map(adjusted)
    table["significant"] = (table["p_adjusted"] < 1 - level).fillna(False).astype(bool)
    table["test"] = table["touchpoint"].map({t: tests[t][1] for t in names})
    return table


def _by_loss(table: pd.DataFrame, by: str | None) -> pd.DataFrame:
    loss = table.groupby("touchpoint")["expected_lost_conversions"].sum(min_count=1)
    order = table.assign(_loss=table["touchpoint"].map(loss).fillna(-1))
    keys = ["_loss", "touchpoint"] + ([by] if by else [])
    ascending = [False, True] + ([True] if by else [])
    return order.sort_values(keys, ascending=ascending, kind="stable", na_position="last").drop(
        columns="_loss").reset_index(drop=True)


def compare_paths(log, *, goal, level: float = 0.95) -> pd.DataFrame:
    """Transitions that converting journeys use more (or less) often than the others.

    Journeys are cut at their first goal event, so what happens after a purchase does not count, and
    transitions into the goal or to the end (which only say whether a journey converted) are left out.
    For each remaining transition: the share of converting journeys that make it, the share of the other
    journeys that do, their difference (effect size, in shares) with Newcombe's hybrid score interval,
    the ratio of the shares, a test (chi-square, or Fisher's exact test for small counts) and its
    Benjamini-Hochberg adjusted p-value across transitions.

    Returns
    -------
    pandas.DataFrame
        ``source``, ``target``, ``converted_share``, ``other_share``, ``difference``, ``ci_low``,
        ``ci_high``, ``ratio``, ``p_value``, ``p_adjusted``, ``significant``, ``direction`` ("more" or
        "less" among converters) and the counts ``converted_journeys``, ``other_journeys`` (journeys
        making the transition) and ``n_converted``, ``n_other``. Sorted by adjusted p-value, then by the
        size of the difference.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> rows = [("u%d" % i, e) for i in range(40) for e in (["ad", "cart", "buy"] if i % 2 else ["ad", "faq"])]
    >>> df = pd.DataFrame(rows, columns=["user_id", "event"]).assign(
    ...     timestamp=pd.date_range("2025-01-01", periods=len(rows), freq="min", tz="UTC"))
    >>> c = journey.compare_paths(df, goal="buy")
    >>> c.loc[c["significant"], ["source", "target", "direction"]].values.tolist()
    [['ad', 'cart', 'more'], ['ad', 'faq', 'less']]
    """
    return run(ComparePathsAnalysis(goal=goal, level=level), log)


class ComparePathsAnalysis(JourneyAnalysis):
    """Journeys making each transition (before their first goal), converting and not, keyed by names."""

    def __init__(self, *, goal, level: float):
        super().__init__(goal=goal)
        if not self.goals:
            raise JourneyError("compare_paths needs a goal")
        check_level(level)
        self.level = level

    def partial(self, log, facts: Facts) -> Parts:
        journeys, goals = self.journeys(log)
        converted = journeys.converted(goals)
        journeys = journeys.until_first(goals)
        k = len(journeys.names)
        width = k + 2
        step = journeys.inner()[:-1]
        edge = np.concatenate([journeys.events[:-1][step].astype(np.int64) * width + journeys.events[1:][step],
                               k * width + journeys.events[journeys.starts].astype(np.int64)])
        owner = np.concatenate([journeys.journey[:-1][step], np.arange(journeys.n_journeys)])
        observed, ids = observed_codes(edge, width * width)
        order = np.argsort(owner, kind="stable")
        pairs = distinct_pairs(owner[order], ids[order], len(observed))
        used_by, code = pairs // len(observed), pairs % len(observed)
        names = np.array([*journeys.names, START, END], dtype=object)
        index = pd.MultiIndex(levels=[names, names], codes=[observed // width, observed % width],
                              names=["source", "target"], verify_integrity=False)
        return Parts(edges=Keyed(index, {"converted": np.bincount(code[converted[used_by]], minlength=len(observed)),
                                         "other": np.bincount(code[~converted[used_by]], minlength=len(observed))}),
                     n_converted=int(converted.sum()), n_other=int((~converted).sum()))

    def finish(self, total: Parts, facts: Facts) -> pd.DataFrame:
        edges = total["edges"].frame()
        edges = edges[~edges.index.get_level_values(1).isin(self.goals)]
        rank = {name: i for i, name in enumerate([*facts.touchpoints, START, END])}
        sources, targets = edges.index.get_level_values(0), edges.index.get_level_values(1)
        edges = edges.iloc[np.lexsort((targets.map(rank).to_numpy(), sources.map(rank).to_numpy()))]
        return _compare_table(edges, int(total["n_converted"]), int(total["n_other"]), self.level)


def _compare_table(edges: pd.DataFrame, n_conv: int, n_other: int, level: float) -> pd.DataFrame:
    k1, k2 = edges["converted"].to_numpy(), edges["other"].to_numpy()
    low, high = newcombe_interval(k1, n_conv, k2, n_other, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        table = pd.DataFrame({
            "source": list(edges.index.get_level_values(0)), "target": list(edges.index.get_level_values(1)),
            "converted_share": k1 / n_conv, "other_share": k2 / n_other,
        })
        table["difference"] = table["converted_share"] - table["other_share"]
        table["ci_low"], table["ci_high"] = low, high
        table["ratio"] = table["converted_share"] / table["other_share"]
    table["p_value"] = [independence_test([[a, n_conv - a], [b, n_other - b]])[0] for a, b in zip(k1, k2)]
    table["p_adjusted"] = adjust_pvalues(table["p_value"])
    table["significant"] = (table["p_adjusted"] < 1 - level).fillna(False).astype(bool)
    table["direction"] = np.where(table["difference"] >= 0, "more", "less")
    table["converted_journeys"], table["other_journeys"] = k1, k2
    table["n_converted"], table["n_other"] = n_conv, n_other
    order = table.assign(_size=-table["difference"].abs())
    return order.sort_values(["p_adjusted", "_size", "source", "target"], kind="stable", na_position="last").drop(
        columns="_size").reset_index(drop=True)
