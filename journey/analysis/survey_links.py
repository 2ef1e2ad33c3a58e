"""Survey answers linked to journeys: what customers said, by where they went and how their journey ended.

The definitions (latest answer, respondents, response rate) are in the Notes of :func:`nps_by_touchpoint`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from ..engine.journeys import Journeys, distinct_pairs, goal_codes, split_journeys
from ..errors import JourneyError, JourneyWarning, MissingColumnError
from ..io.aliases import Goal
from ..io.events import EventLog, as_event_log
from ..io.survey import read_survey
from ..stats.net_promoter import TABLE_COLUMNS, NPSResult, NPSTable, group_row, nps, nps_table
from ..stats.results import check_level
from ..stats.significance import Adjustment, check_adjust

__all__ = ["nps_by_touchpoint", "nps_by_outcome"]

#: Response rates whose ratio lies outside [1/RATE_RATIO, RATE_RATIO] trigger a warning.
RATE_RATIO = 1.25

#: Columns of both tables, after the group column: customers and response rates among the NPSTable columns.
COLUMNS = ["customers", "n", "response_rate", *TABLE_COLUMNS[1:7], "other_response_rate", *TABLE_COLUMNS[7:]]


def _answers(log: EventLog, survey: pd.DataFrame) -> np.ndarray:
    """Each log user's latest score (NaN for non-respondents), aligned with the log's user codes."""
    if not isinstance(survey, pd.DataFrame):
        raise JourneyError(f"survey must be a pandas DataFrame (from journey.read_survey), not {type(survey).__name__}")
    if not {"user", "score"} <= set(survey.columns):
        try:
            survey = read_survey(survey)
        except MissingColumnError as err:
            raise JourneyError(
                f"the survey has no {err.column!r} column; read it with journey.read_survey(..., "
                f"{err.keyword}=...) naming the column that holds the {err.role}"
            ) from None
    answered = survey.dropna(subset=["score"])
    if "time" in answered.columns:
        answered = answered.sort_values("time", kind="stable")
    latest = answered.groupby("user", sort=False)["score"].last()
    users = log.column("user")[np.flatnonzero(np.r_[True, log.user_codes[1:] != log.user_codes[:-1]])]
    outside = ~latest.index.isin(users)
    if outside.any():
        warnings.warn(
            f"{int(outside.sum()):,} survey respondents have no events in the log and are left out "
            f"(e.g. {', '.join(map(repr, latest.index[outside][:3]))})",
            JourneyWarning,
            stacklevel=3,
        )
    return latest.reindex(users).to_numpy(dtype=float, na_value=np.nan)


def _nps_of(scores: np.ndarray, level: float) -> NPSResult:
    return nps(scores[~np.isnan(scores)], level=level)


def _row(inside: np.ndarray, scores: np.ndarray, level: float) -> dict[str, Any]:
    """The group of customers ``inside`` against the others: NPS of each, response rates, difference."""
    a, b = _nps_of(scores[inside], level), _nps_of(scores[~inside], level)
    answered = ~np.isnan(scores)
    return {
        "customers": int(inside.sum()),
        **group_row(a, b),
        "response_rate": answered[inside].mean() if inside.any() else np.nan,
        "other_response_rate": answered[~inside].mean() if (~inside).any() else np.nan,
    }


def _visitors(journeys: Journeys, k: int) -> Iterator[np.ndarray]:
    """For each touchpoint in turn, which journeys visit it: one journey-long mask (the same array, valid
    until the next one), never the touchpoints x journeys matrix (50,000 pages x 1M customers: 50 GB).
    """
    pairs = distinct_pairs(journeys.journey, journeys.events, k)
    touchpoint = pairs % k
    order = np.argsort(touchpoint, kind="stable")
    pairs, bounds = pairs[order], np.searchsorted(touchpoint[order], np.arange(k + 1))
    inside = np.zeros(journeys.n_journeys, dtype=bool)
    for i in range(k):
        who = pairs[bounds[i] : bounds[i + 1]] // k
        inside[who] = True
        yield inside
        inside[who] = False


def nps_by_touchpoint(
    log: EventLog | pd.DataFrame, survey: pd.DataFrame, *, level: float = 0.95, adjust: Adjustment = "bh"
) -> NPSTable:
    """NPS of customers whose journey visited each touchpoint against the NPS of those whose journey did not.

    Parameters
    ----------
    log : EventLog or pandas.DataFrame
        The events; a customer's journey is everything they did. A log on Dask is not taken: survey links
        run on one machine: collect the log first.
    survey : pandas.DataFrame
        Answers as :func:`journey.read_survey` returns them (``user``, ``score``, optionally ``time``), or a
        DataFrame it reads with its defaults (``user_id``, ``score``, ``timestamp``).
    level : float
        Confidence level of every interval; ``significant`` means ``p_adjusted < 1 - level``.
    adjust : {"bh", "holm", "by"}
        How the p-values are adjusted across touchpoints: Benjamini-Hochberg (the default), Holm or
        Benjamini-Yekutieli (see :func:`journey.stats.significance.adjust_pvalues`).

    Returns
    -------
    NPSTable
        ``group`` is ``"touchpoint"``. One row per touchpoint: ``touchpoint``, ``customers`` who visited it,
        ``n`` respondents among them and their ``response_rate`` (share), their ``promoters``, ``passives``,
        ``detractors``, ``nps`` with ``ci_low``, ``ci_high``, then ``other_response_rate`` of the customers
        who did not visit it, ``other_n`` and ``other_nps`` of their respondents, and the ``difference``
        columns of :class:`~journey.stats.net_promoter.NPSTable`. Sorted by ``difference``, most negative
        first (touchpoints every customer visited, which have no difference, last), ties by touchpoint.

    Raises
    ------
    JourneyError
        When the survey is not a DataFrame or lacks its user or score column.

    Warns
    -----
    JourneyWarning
        When survey respondents have no events in the log (they are left out), or when the response rates
        of a touchpoint's visitors and non-visitors differ by more than a factor of 1.25: the respondents
        may then not stand for their groups.

    See Also
    --------
    nps_by_outcome, journey.nps_by, journey.plot_nps

    Notes
    -----
    A customer's answer is their latest non-missing score (by answer time when the survey has one, else the
    last row). Respondents are customers with such an answer; a group's response rate is respondents /
    customers. Each group's NPS and the difference from the others are those of :func:`journey.nps` and
    :func:`journey.nps_compare` (adjusted Wald, Rocks 2016); p-values are adjusted across touchpoints by
    Benjamini and Hochberg (1995) unless ``adjust`` says otherwise. Visiting a touchpoint is not assigned at random: a difference says who
    the visitors are, not what the touchpoint does to them.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> events = pd.DataFrame({"user_id": ["a", "a", "b", "c", "c", "d"],
    ...                        "event": ["home", "support", "home", "home", "support", "home"],
    ...                        "timestamp": pd.date_range("2025-01-01", periods=6, freq="h", tz="UTC")})
    >>> survey = pd.DataFrame({"user_id": ["a", "b", "c", "d"], "score": [2, 10, 5, 9]})
    >>> table = journey.nps_by_touchpoint(events, survey)
    >>> table.to_frame()[["touchpoint", "customers", "n", "nps", "other_nps", "difference"]]
      touchpoint  customers  n    nps  other_nps  difference
    0    support          2  2 -100.0      100.0      -200.0
    1       home          4  4    0.0        NaN         NaN
    """
    level, adjust = check_level(level), check_adjust(adjust)
    log = as_event_log(log)
    scores = _answers(log, survey)
    journeys = split_journeys(log, unit="user")
    k = len(journeys.names)
    rows = [
        {"touchpoint": name, **_row(inside, scores, level)}
        for name, inside in zip(journeys.names, _visitors(journeys, k))
    ]
    table = nps_table(
        rows,
        ["touchpoint", *COLUMNS],
        group="touchpoint",
        level=level,
        overall=_nps_of(scores, level),
        description="customers who visited each touchpoint against those who did not",
        adjust=adjust,
    )
    _warn_on_response_rates(table.to_frame(), "touchpoint")
    frame = table.to_frame().sort_values(
        ["difference", "touchpoint"], kind="stable", na_position="last", ignore_index=True
    )
    return NPSTable(frame, table.group, level, table.overall, table.description, adjust)


def nps_by_outcome(
    log: EventLog | pd.DataFrame, survey: pd.DataFrame, *, goal: Goal, level: float = 0.95, adjust: Adjustment = "bh"
) -> NPSTable:
    """NPS of converted and not-converted customers, and of those whose journey ended at each touchpoint.

    Parameters
    ----------
    log : EventLog or pandas.DataFrame
        The events; a customer's journey is everything they did.
    survey : pandas.DataFrame
        Answers, as for :func:`nps_by_touchpoint`.
    goal : str or list of str
        The conversion event(s): a customer converted when their journey holds any of them.
    level : float
        Confidence level of every interval; ``significant`` means ``p_adjusted < 1 - level``.
    adjust : {"bh", "holm", "by"}
        How the p-values are adjusted across the rows, as for :func:`nps_by_touchpoint`.

    Returns
    -------
    NPSTable
        ``group`` is ``"outcome"``. Rows ``"converted"``, ``"not converted"``, then ``"left at <touchpoint>"``
        for each touchpoint where journeys that did not convert ended, in the log's touchpoint order. Columns
        as in :func:`nps_by_touchpoint`; each group is compared with every other customer.

    Raises
    ------
    UnknownEventError
        When a goal never occurs in the log.

    Warns
    -----
    JourneyWarning
        As :func:`nps_by_touchpoint`, comparing the response rates of converted and not-converted customers.

    See Also
    --------
    nps_by_touchpoint

    Notes
    -----
    Definitions as in :func:`nps_by_touchpoint`; p-values are adjusted across all rows (Benjamini and
    Hochberg 1995 by default). The rows overlap, every "left at" group being part of "not converted", so
    their tests are dependent: ``adjust="by"`` or ``"holm"`` hold under any dependence.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> events = pd.DataFrame({"user_id": ["a", "a", "b", "c", "c", "d"],
    ...                        "event": ["home", "buy", "home", "home", "buy", "home"],
    ...                        "timestamp": pd.date_range("2025-01-01", periods=6, freq="h", tz="UTC")})
    >>> survey = pd.DataFrame({"user_id": ["a", "b", "c", "d"], "score": [10, 2, 9, 6]})
    >>> journey.nps_by_outcome(events, survey, goal="buy").to_frame()[["outcome", "n", "nps", "difference"]]
             outcome  n    nps  difference
    0      converted  2  100.0       200.0
    1  not converted  2 -100.0      -200.0
    2   left at home  2 -100.0      -200.0
    """
    level, adjust = check_level(level), check_adjust(adjust)
    log = as_event_log(log)
    scores = _answers(log, survey)
    journeys = split_journeys(log, unit="user")
    converted = journeys.converted(goal_codes(goal, journeys.names))
    last = journeys.events[journeys.ends]
    groups = [("converted", converted), ("not converted", ~converted)]
    groups += [
        (f"left at {name}", ~converted & (last == i))
        for i, name in enumerate(journeys.names)
        if (~converted & (last == i)).any()
    ]
    table = nps_table(
        [{"outcome": label, **_row(mask, scores, level)} for label, mask in groups],
        ["outcome", *COLUMNS],
        group="outcome",
        level=level,
        overall=_nps_of(scores, level),
        description="each outcome against every other customer",
        adjust=adjust,
    )
    _warn_on_response_rates(table.to_frame().iloc[:2], "outcome")
    return table


def _warn_on_response_rates(table: pd.DataFrame, label: str) -> None:
    ratio = table["response_rate"] / table["other_response_rate"]
    uneven = table[(ratio > RATE_RATIO) | (ratio < 1 / RATE_RATIO)]
    if len(uneven):
        shown = "; ".join(
            f"{r[label]}: {r.response_rate:.1%} vs {r.other_response_rate:.1%}" for _, r in uneven.head(5).iterrows()
        )
        warnings.warn(
            f"response rates differ enough to bias the comparison ({shown}): respondents may not "
            f"stand for their groups",
            JourneyWarning,
            stacklevel=3,
        )
