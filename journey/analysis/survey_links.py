"""Survey answers linked to journeys: what customers said, by where they went.

A customer's answer is their latest non-missing score (by answer time when the survey has one, otherwise
the last row). Respondents are customers with such an answer; a group's *response rate* is respondents /
customers in the group. When response rates differ a lot between the groups being compared, the
respondents may not stand for their groups: the functions say so with a :class:`~journey.JourneyWarning`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import JourneyError, JourneyWarning
from ..io.events import EventLog
from ..engine.journeys import distinct_pairs, goal_codes, split_journeys
from ..io.events import as_event_log
from ..stats.net_promoter import NPSDifference, NPSResult, nps
from ..stats.significance import adjust_pvalues

__all__ = ["nps_by_touchpoint", "nps_by_outcome"]

#: Response rates whose ratio lies outside [1/RATE_RATIO, RATE_RATIO] trigger a warning.
RATE_RATIO = 1.25


def _answers(log: EventLog, survey: pd.DataFrame) -> tuple[np.ndarray, pd.Series]:
    """Each log user's latest score (NaN for non-respondents), aligned with the log's user codes."""
    if not {"user", "score"} <= set(survey.columns):
        survey = read_survey(survey)
    answered = survey.dropna(subset=["score"])
    if "time" in answered.columns:
        answered = answered.sort_values("time", kind="stable")
    latest = answered.groupby("user", sort=False)["score"].last()
    users = log.column("user")[np.flatnonzero(np.r_[True, log.user_codes[1:] != log.user_codes[:-1]])]
    outside = ~latest.index.isin(users)
    if outside.any():
        warnings.warn(f"{int(outside.sum()):,} survey respondents have no events in the log and are left out "
                      f"(e.g. {', '.join(map(repr, latest.index[outside][:3]))})", JourneyWarning, stacklevel=3)
    return users, latest.reindex(users).to_numpy(dtype=float, na_value=np.nan)


def _nps_of(scores: np.ndarray) -> NPSResult:
    return nps(scores[~np.isnan(scores)])


def _compare(inside: np.ndarray, scores: np.ndarray, level: float) -> dict:
    a, b = _nps_of(scores[inside]), _nps_of(scores[~inside])
    answered = ~np.isnan(scores)
    rate_a = answered[inside].mean() if inside.any() else np.nan
    rate_b = answered[~inside].mean() if (~inside).any() else np.nan
    row = {"customers": int(inside.sum()), "respondents": a.n, "response_rate": rate_a, "nps": a.score,
           "other_respondents": b.n, "other_response_rate": rate_b, "other_nps": b.score}
    if a.n and b.n:
        diff = NPSDifference(a, b)
        low, high = diff.confidence_interval(level)
        row.update(difference=diff.difference, ci_low=low, ci_high=high, p_value=diff.pvalue)
    return row


def nps_by_touchpoint(log, survey, *, level: float = 0.95) -> pd.DataFrame:
    """NPS of respondents whose journey visited each touchpoint against those whose journey did not.

    Parameters
    ----------
    log : EventLog or pandas.DataFrame
        The events (journeys by customer).
    survey : pandas.DataFrame
        From :func:`read_survey` (or a DataFrame with its default columns).

    Returns
    -------
    pandas.DataFrame
        One row per touchpoint: ``customers`` visiting it, ``respondents``, ``response_rate``, ``nps``,
        the same for the other customers (``other_*``), ``difference`` (points) with the adjusted-Wald
        interval ``ci_low``, ``ci_high``, ``p_value``, Benjamini-Hochberg ``p_adjusted`` and
        ``significant``. Sorted by difference, most negative first.
    """
    log = as_event_log(log)
    users, scores = _answers(log, survey)
    journeys = split_journeys(log, unit="user")
    k = len(journeys.names)
    pairs = distinct_pairs(journeys.journey, journeys.events, k)
    visited = np.zeros((k, journeys.n_journeys), dtype=bool)
    visited[pairs % k, pairs // k] = True
    rows = [{"touchpoint": name, **_compare(visited[i], scores, level)} for i, name in enumerate(journeys.names)]
    table = _finish(pd.DataFrame(rows), level)
    _warn_on_response_rates(table, "touchpoint")
    return table.sort_values(["difference", "touchpoint"], kind="stable", na_position="last", ignore_index=True)


def nps_by_outcome(log, survey, *, goal, level: float = 0.95) -> pd.DataFrame:
    """NPS of converted and not-converted customers, and of those who left at each touchpoint.

    Returns
    -------
    pandas.DataFrame
        Rows ``outcome`` = "converted", "not converted", then "left at <touchpoint>" for each touchpoint
        where non-converting journeys ended; columns as in :func:`nps_by_touchpoint`, each group compared
        with everyone else.
    """
    log = as_event_log(log)
    users, scores = _answers(log, survey)
    journeys = split_journeys(log, unit="user")
    converted = journeys.converted(goal_codes(goal, journeys.names))
    last = journeys.events[journeys.ends]
    groups = [("converted", converted), ("not converted", ~converted)]
    groups += [(f"left at {name}", ~converted & (last == i)) for i, name in enumerate(journeys.names)
               if (~converted & (last == i)).any()]
    table = _finish(pd.DataFrame([{"outcome": label, **_compare(mask, scores, level)} for label, mask in groups]), level)
    _warn_on_response_rates(table.iloc[:2], "outcome")
    return table


def _finish(table: pd.DataFrame, level: float) -> pd.DataFrame:
    for column in ("difference", "ci_low", "ci_high", "p_value"):
        if column not in table.columns:
            table[column] = np.nan
    table["p_adjusted"] = adjust_pvalues(table["p_value"])
    table["significant"] = (table["p_adjusted"] < 1 - level).fillna(False).astype(bool)
    return table


def _warn_on_response_rates(table: pd.DataFrame, label: str) -> None:
    ratio = table["response_rate"] / table["other_response_rate"]
    uneven = table[(ratio > RATE_RATIO) | (ratio < 1 / RATE_RATIO)]
    if len(uneven):
        shown = "; ".join(f"{r[label]}: {r.response_rate:.1%} vs {r.other_response_rate:.1%}"
                          for _, r in uneven.head(5).iterrows())
        warnings.warn(f"response rates differ enough to bias the comparison ({shown}): respondents may not "
                      f"stand for their groups", JourneyWarning, stacklevel=3)
