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

from ..errors import MissingColumnError, UnknownEventError
from ..io.events import END, START
from ..stats.intervals import newcombe_interval, wilson_interval
from ..engine.journeys import as_event_log, distinct_pairs, goal_codes, split_journeys
from ..stats.significance import adjust_pvalues, independence_test

__all__ = ["drop_off", "compare_paths"]


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
    from ..engine.dask import is_dask

    goals = [goal] if isinstance(goal, (str, int, float)) else list(goal)
    if is_dask(log):
        from ..engine.dask import map_user_partitions

        columns = list(log.columns)
        if by is not None and by not in columns:
            raise MissingColumnError("segment (by=)", by, [str(c) for c in columns])
        parts = [p for p in map_user_partitions(log, _counts, goals, by, False) if p is not None]
        keys = ([by] if by else []) + ["touchpoint"]
        table = pd.concat(parts, ignore_index=True).groupby(keys, dropna=False, sort=True).sum().reset_index()
        touched = set(table["touchpoint"]) | set().union(*(p.attrs["goals_seen"] for p in parts))
        for g in goals:
            if str(g) not in touched:
                raise UnknownEventError("goal", g, sorted(touched))
        table = table[~table["touchpoint"].isin([str(g) for g in goals])]
    else:
        log = as_event_log(log)
        if by is not None and by not in log.frame.columns:
            raise MissingColumnError("segment (by=)", by, [str(c) for c in log.frame.columns])
        table = _counts(log, goals, by, True)
    return _finish(table.reset_index(drop=True), by, level)


def _counts(log, goals: list, by: str | None, strict: bool) -> pd.DataFrame:
    """journeys, exits, conversions per (segment,) touchpoint; additive over user-disjoint parts of a log.

    ``strict``: an unknown goal is an error (one part of a distributed log may just not have it).
    """
    journeys = split_journeys(log, by="user")
    present = goals if strict else [g for g in goals if str(g) in journeys.names]
    codes = goal_codes(present, journeys.names) if present else np.array([], dtype=np.int32)
    converted = journeys.converted(codes)
    if by is None:
        labels, segments = np.zeros(journeys.n_journeys, dtype=np.int64), [None]
    else:
        labels, segments = pd.factorize(log.frame[by].to_numpy()[journeys.starts], sort=True, use_na_sentinel=False)
    k, s = len(journeys.names), len(segments)
    visited, _ = distinct_pairs(journeys.journey, journeys.events, k)
    cell = labels[visited // k] * k + visited % k
    counts = {
        "journeys": np.bincount(cell, minlength=s * k),
        "conversions": np.bincount(cell[converted[visited // k]], minlength=s * k),
        "exits": np.bincount((labels * k + journeys.events[journeys.ends])[~converted], minlength=s * k),
    }
    table = pd.DataFrame({name: c.reshape(s, k).ravel() for name, c in counts.items()})
    table.insert(0, "touchpoint", np.tile(journeys.names, s))
    if by is not None:
        table.insert(0, by, np.repeat(np.asarray(segments, dtype=object), k))
    goal_names = [journeys.names[g] for g in codes]
    table = table[(table["journeys"] > 0) & (~table["touchpoint"].isin(goal_names) if strict else True)]
    table.attrs["goals_seen"] = set(goal_names)
    return table


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
    journeys = split_journeys(as_event_log(log), by="user")
    goals = goal_codes(goal, journeys.names)
    converted = journeys.converted(goals)
    journeys = journeys.until_first(goals)
    k = len(journeys.names)
    width = k + 2
    step = journeys.inner()[:-1]
    edge = np.concatenate([journeys.events[:-1][step].astype(np.int64) * width + journeys.events[1:][step],
                           k * width + journeys.events[journeys.starts].astype(np.int64)])
    owner = np.concatenate([journeys.journey[:-1][step], np.arange(journeys.n_journeys)])
    pairs, _ = distinct_pairs(owner, edge, width * width)
    used_by, code = pairs // (width * width), pairs % (width * width)
    with_conv = np.bincount(code[converted[used_by]], minlength=width * width)
    with_other = np.bincount(code[~converted[used_by]], minlength=width * width)
    n_conv, n_other = int(converted.sum()), int((~converted).sum())

    names = [*journeys.names, START, END]
    codes = np.flatnonzero(with_conv + with_other)
    codes = codes[~np.isin(codes % width, goals)]
    k1, k2 = with_conv[codes], with_other[codes]
    low, high = newcombe_interval(k1, n_conv, k2, n_other, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        table = pd.DataFrame({
            "source": [names[c // width] for c in codes], "target": [names[c % width] for c in codes],
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
