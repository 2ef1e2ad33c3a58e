"""The customer journey map of CX practice, from data: stages, what customers do, what they feel, where it hurts.

:func:`experience_map` takes stages (awareness, consideration, purchase, delivery, ...) as lists of the
touchpoints that belong to them and returns, per stage, its reach, its progression, its main touchpoints,
the time customers spend in it and the NPS (and CSAT) of the answers given there, each with its interval,
and the pain points: touchpoints whose exit rate or NPS stands out, after Benjamini-Hochberg across the map.
The definitions are in the Notes of :func:`experience_map`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..engine.core import Analysis, run
from ..engine.journeys import distinct, distinct_pairs, goal_list
from ..engine.partials import LogHistogram, Parts, Samples, timings
from ..errors import JourneyError, JourneyWarning, MissingColumnError, option
from ..io.aliases import Goal
from ..io.events import EventLog, LogLike
from ..io.facts import Facts
from ..io.survey import read_survey
from ..stats.intervals import newcombe_interval, proportion_interval, wilson_interval
from ..stats.net_promoter import NPSDifference, NPSResult, nps_interval
from ..stats.proportions import level_label, whole_scores
from ..stats.results import ConfidenceInterval, TableResult, check_level, format_value
from ..stats.significance import adjust_pvalues, two_by_two_tests
from .dropoff import expected_lost_conversions

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["experience_map", "ExperienceMap", "ExperienceAnalysis", "Stages", "median_interval_ranks"]

#: Stage name -> the touchpoints that belong to it (one name or several), in the order of the journey.
Stages = Mapping[str, "str | Sequence[str]"]

#: How many touchpoints of a stage the table names (by volume), and how many the picture shows by default.
MAIN_TOUCHPOINTS = 3
#: CSAT of a ``csat`` survey column: ratings 1-5, satisfied 4 and 5.
CSAT_SCALE, CSAT_SATISFIED = (1, 5), (4, 5)
#: What a pain-point row compares.
EXIT, NPS = "exit rate", "NPS"
REST_OF_STAGE, REST_OF_MAP = "rest of the stage", "rest of the map"


def experience_map(
    log: LogLike, *, stages: Stages, survey: pd.DataFrame | None = None, goal: Goal = None, level: float = 0.95
) -> ExperienceMap:
    """The customer journey map in stages: reach, progression, touchpoints, time, emotion and pain points.

    Parameters
    ----------
    log : EventLog, pandas.DataFrame or a log on Dask
        The events, one journey per customer (a :func:`journey.combine_logs` log brings web, orders,
        support, deliveries and surveys together).
    stages : mapping of str to str or list of str
        Stage names, in the order of the journey, each with the touchpoints that belong to it, e.g.
        ``{"discover": ["ad_click", "search"], "consider": ["product", "cart"], "buy": ["purchase"]}``.
        A touchpoint belongs to one stage at most; touchpoints of no stage are left out of the map.
    survey : pandas.DataFrame, optional
        Answers with their times, as :func:`journey.read_survey` returns them (``user``, ``score`` 0-10,
        ``time``), or a DataFrame it reads with its defaults; a ``csat`` column (ratings 1-5) adds CSAT.
        Without it the map has no emotion curve (``nps`` is missing, ``nps_n`` 0).
    goal : str or list of str, optional
        The conversion event(s): a customer who reaches one after entering a stage has progressed from it,
        and exits are journeys that end without one.
    level : float
        Confidence level of every interval; a pain point has ``p_adjusted < 1 - level``.

    Returns
    -------
    ExperienceMap
        One row per stage (see :class:`ExperienceMap`), with :attr:`~ExperienceMap.touchpoints`,
        :attr:`~ExperienceMap.pain_points` and :meth:`~ExperienceMap.plot`.

    Raises
    ------
    JourneyError
        ``stages`` that is not a mapping of stage names to touchpoints, a stage without touchpoints, a
        touchpoint in two stages, a ``level`` outside (0, 1), a survey that is not a DataFrame, lacks its
        user or score column or its answer times, or holds ratings off the scale.
    UnknownEventError
        A touchpoint of a stage, or a goal, that never occurs in the log (with the closest name).

    Warns
    -----
    JourneyWarning
        When survey respondents have no events in the log (their answers are left out).

    See Also
    --------
    combine_logs : contact points of several systems as one log.
    drop_off : exit rates and expected lost conversions per touchpoint.
    nps_by_touchpoint : NPS of the customers who visited each touchpoint.

    Notes
    -----
    Customers are the independent units. For each stage:

    * **reach**: customers with at least one touchpoint of the stage, out of all customers of the log
      (``reach_n``), with the Wilson score interval [1]_;
    * **progression**: of the customers who reached the stage (``progression_n``), the share who, after
      first touchpoint of it, have a touchpoint of a later stage or reach the goal (from that touchpoint on:
      a stage entered through the goal has progressed). The goal counts for the stages up to the last one
      that holds a goal touchpoint (for every stage when a goal is in none): buying again after delivery
      is not moving on from delivery. Wilson interval; missing for the last stage when nothing can follow it;
    * **main touchpoints**: the stage's touchpoints by number of events (:attr:`ExperienceMap.touchpoints`);
    * **time in the stage**: a customer is in the stage of their last touchpoint that belongs to a stage;
      a stay lasts from its first touchpoint to the first touchpoint of another stage, and the last stay
      of a journey until the customer's last event (so it is a lower bound where journeys end). Each
      customer's stays in a stage add up; ``median_seconds`` is the median over the customers who reached
      the stage, with the distribution-free interval between two order statistics whose ranks come from
      the binomial(n, 1/2) distribution [2]_ (at least the level; missing below 6 customers at 95%). On
      a Dask log the times merge as log-spaced histograms, within 0.5% of the exact values;
    * **sentiment**: an answer belongs to the stage of the customer's last staged touchpoint before the
      answer (strictly: a touchpoint at the answer's instant comes after it; answers before any staged
      touchpoint belong to none). When the answers are in the log as events too (from
      :func:`journey.combine_logs`), leave their touchpoint out of the stages, or a customer's second
      answer would belong to their first. Each customer's latest answer in a stage counts, so respondents
      are independent; ``nps`` is in points with the adjusted-Wald interval [3]_, ``csat`` the share of
      ratings 4-5 with the Wilson interval.

    **Pain points** are touchpoints where it hurts, tested two ways, with Benjamini-Hochberg adjusted
    p-values [4]_ across every test of the map:

    * exit rate, against the rest of the stage: the share of the touchpoint's visitors whose journey ends
      there, against the share of the stage's other customers (who never visited it) whose journey ends at
      another of its touchpoints; Newcombe's interval for the difference and Pearson's chi-square (Fisher's
      exact test for small counts). Up to the goal's stage (see progression) a journey that reached the
      goal has not exited, as in :func:`journey.drop_off`; after it every journey's end is an exit. Stages
      of one touchpoint have no such test;
    * NPS, against the rest of the map: the answers belonging to the touchpoint (the customer's last
      staged touchpoint before answering) against every other answer of customers who gave none there;
      adjusted-Wald interval for the difference and its test.

    A row is a pain point when it is significant and worse (a higher exit rate, a lower NPS);
    ``expected_lost_conversions`` is :func:`journey.drop_off`'s: exits x conversions / (visitors - exits),
    missing after the goal's stage (those customers have converted) and without a goal.
    Visiting a touchpoint is not assigned at random: a pain point says where the unhappy or leaving
    customers are, not that the touchpoint caused it.

    References
    ----------
    .. [1] E. B. Wilson (1927), "Probable inference, the law of succession, and statistical inference",
       JASA 22(158), 209-212.
    .. [2] W. J. Conover (1999), *Practical Nonparametric Statistics*, 3rd ed., Wiley, section 3.2.
    .. [3] B. Rocks (2016), "Interval estimation for the Net Promoter Score", The American Statistician 70(4).
    .. [4] Y. Benjamini and Y. Hochberg (1995), "Controlling the false discovery rate", JRSS B 57(1), 289-300.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> rows = [("a", "ad"), ("a", "product"), ("a", "buy"), ("b", "ad"), ("b", "product"),
    ...         ("c", "search"), ("c", "product"), ("c", "buy"), ("d", "search")]
    >>> events = pd.DataFrame(rows, columns=["user_id", "event"]).assign(
    ...     timestamp=pd.date_range("2025-01-01", periods=len(rows), freq="h", tz="UTC"))
    >>> stages = {"discover": ["ad", "search"], "consider": "product", "buy": "buy"}
    >>> survey = journey.read_survey(pd.DataFrame({"user_id": ["a", "b", "c"], "score": [10, 4, 9],
    ...     "timestamp": ["2025-01-01T02:30Z", "2025-01-01T04:30Z", "2025-01-01T09:00Z"]}))
    >>> m = journey.experience_map(events, stages=stages, survey=survey, goal="buy")
    >>> m.to_frame()[["stage", "reach", "reach_n", "progression", "progression_n"]]
          stage  reach  reach_n  progression  progression_n
    0  discover   1.00        4     0.750000              4
    1  consider   0.75        4     0.666667              3
    2       buy   0.50        4     1.000000              2

    Answers belong to the stage of the customer's last touchpoint before them (b answered after product,
    a and c after buy); a customer spends an hour in discover and in consider:

    >>> m.to_frame()[["stage", "nps", "nps_n", "median_seconds"]]
          stage    nps  nps_n  median_seconds
    0  discover    NaN      0          3600.0
    1  consider -100.0      1          3600.0
    2       buy  100.0      2             0.0
    """
    return run(ExperienceAnalysis(stages=stages, survey=survey, goal=goal, level=level), log)


@dataclass(frozen=True, repr=False, eq=False)
class ExperienceMap(TableResult):
    """The result of :func:`journey.experience_map`: the journey map in stages, with intervals.

    Attributes
    ----------
    stages : tuple of (str, tuple of str)
        The stages in order, each with its touchpoints.
    goal : tuple of str
        The conversion event(s), empty without a goal.
    level : float
        Confidence level of every interval and of the pain points.
    n_customers : int
        Customers in the log (the ``reach_n`` of every stage).
    n_answers : int
        Survey answers that belong to a stage and count (each customer's latest per stage).
    n_unplaced : int
        Answers of customers in the log given before any touchpoint of a stage (they belong to none).

    Notes
    -----
    :meth:`to_frame` has one row per stage, in order: ``stage``, ``reach``, ``reach_ci_low``,
    ``reach_ci_high``, ``reach_n``, ``progression`` (with ``_ci_low``, ``_ci_high``, ``_n``), ``nps`` (points,
    with ``_ci_low``, ``_ci_high``, ``_n``), ``csat`` (with the same, only when the survey has a ``csat``
    column), ``median_seconds`` (with ``_ci_low``, ``_ci_high``, ``_n``) and ``main_touchpoints`` (the three
    with the most events, as text). Shares are 0-1. :meth:`confidence_interval` is the reach's.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> rows = [("a", "ad"), ("a", "product"), ("a", "buy"), ("b", "ad"), ("b", "product")]
    >>> events = pd.DataFrame(rows, columns=["user_id", "event"]).assign(
    ...     timestamp=pd.date_range("2025-01-01", periods=len(rows), freq="h", tz="UTC"))
    >>> m = journey.experience_map(events, stages={"discover": "ad", "consider": "product"}, goal="buy")
    >>> print(repr(m).splitlines()[0])
    ExperienceMap: 2 stages, 2 customers, no survey; largest drop after consider: 50.0% go on (95% CI 9.5% to 90.5%, n = 2); no pain point (adjusted p < 0.05)
    """

    _table: pd.DataFrame
    _touchpoints: pd.DataFrame
    _comparisons: pd.DataFrame
    stages: tuple[tuple[str, tuple[str, ...]], ...]
    goal: tuple[str, ...]
    level: float
    n_customers: int
    n_answers: int
    n_unplaced: int

    _formats = {
        "reach": "share",
        "reach_ci_low": "share",
        "reach_ci_high": "share",
        "reach_n": "count",
        "progression": "share",
        "progression_ci_low": "share",
        "progression_ci_high": "share",
        "progression_n": "count",
        "nps": "points",
        "nps_ci_low": "points",
        "nps_ci_high": "points",
        "nps_n": "count",
        "csat": "share",
        "csat_ci_low": "share",
        "csat_ci_high": "share",
        "csat_n": "count",
        "median_seconds": "seconds",
        "median_seconds_ci_low": "seconds",
        "median_seconds_ci_high": "seconds",
        "median_seconds_n": "count",
    }

    @property
    def touchpoints(self) -> pd.DataFrame:
        """The touchpoints of every stage by volume (a copy).

        One row per touchpoint of a stage: ``stage``, ``touchpoint``, ``events``, ``customers`` (who visited
        it), ``share_of_stage_events`` (0-1); stages in order, then most events first, then by name.

        Examples
        --------
        >>> import pandas as pd, journey
        >>> rows = [("a", "ad"), ("a", "search"), ("b", "ad"), ("b", "ad")]
        >>> events = pd.DataFrame(rows, columns=["user_id", "event"]).assign(
        ...     timestamp=pd.date_range("2025-01-01", periods=4, freq="h", tz="UTC"))
        >>> journey.experience_map(events, stages={"discover": ["search", "ad"]}).touchpoints
              stage touchpoint  events  customers  share_of_stage_events
        0  discover         ad       3          2                   0.75
        1  discover     search       1          1                   0.25
        """
        return self._touchpoints.copy()

    @property
    def comparisons(self) -> pd.DataFrame:
        """Every pain-point test of the map (a copy), pain points or not; see :attr:`pain_points` for the columns.

        Examples
        --------
        >>> import pandas as pd, journey
        >>> rows = [("a", "ad"), ("a", "search"), ("b", "ad")]
        >>> events = pd.DataFrame(rows, columns=["user_id", "event"]).assign(
        ...     timestamp=pd.date_range("2025-01-01", periods=3, freq="h", tz="UTC"))
        >>> journey.experience_map(events, stages={"discover": ["search", "ad"]}).comparisons[
        ...     ["touchpoint", "measure", "value", "other_value"]]
          touchpoint    measure  value  other_value
        0     search  exit rate    1.0          1.0
        1         ad  exit rate    0.5          NaN
        """
        return self._comparisons.copy()

    @property
    def pain_points(self) -> pd.DataFrame:
        """The touchpoints where it hurts: a significantly higher exit rate or lower NPS (a copy).

        Columns: ``stage``, ``touchpoint``, ``measure`` (``"exit rate"`` or ``"NPS"``), ``compared_with``
        (``"rest of the stage"`` or ``"rest of the map"``), ``value`` and ``other_value`` (shares 0-1 for an
        exit rate, points for NPS), ``difference`` with ``difference_ci_low`` and ``difference_ci_high`` (in
        the same unit), ``n`` and ``other_n`` (customers or answers), ``p_value``, ``p_adjusted``
        (Benjamini-Hochberg across every test of the map), ``significant``, ``pain`` and
        ``expected_lost_conversions`` (of the touchpoint's exits; missing without a goal). Sorted by
        adjusted p-value, then by expected lost conversions, largest first.

        Examples
        --------
        >>> import pandas as pd, journey
        >>> rows = [("a", "ad"), ("a", "search"), ("b", "ad")]
        >>> events = pd.DataFrame(rows, columns=["user_id", "event"]).assign(
        ...     timestamp=pd.date_range("2025-01-01", periods=3, freq="h", tz="UTC"))
        >>> len(journey.experience_map(events, stages={"discover": ["search", "ad"]}).pain_points)
        0
        """
        pain = self._comparisons[self._comparisons["pain"]]
        return pain.sort_values(
            ["p_adjusted", "expected_lost_conversions"], ascending=[True, False], kind="stable", na_position="last"
        ).reset_index(drop=True)

    def confidence_interval(self, level: float | None = None, method: str | None = None) -> ConfidenceInterval:
        """Interval of each stage's reach, as arrays aligned with the rows of :meth:`to_frame`.

        Parameters
        ----------
        level : float, optional
            Confidence level; the result's own ``level`` when not given.
        method : {"wilson", "exact", "jeffreys"}, optional
            Wilson score (the default), Clopper-Pearson or Jeffreys.

        Returns
        -------
        ConfidenceInterval
            ``low`` and ``high``, shares.

        Raises
        ------
        JourneyError
            An unknown ``method`` or a ``level`` outside (0, 1).

        Examples
        --------
        >>> import pandas as pd, journey
        >>> events = pd.DataFrame({"user_id": ["a", "b"], "event": ["ad", "home"],
        ...                        "timestamp": pd.date_range("2025-01-01", periods=2, freq="h", tz="UTC")})
        >>> low, high = journey.experience_map(events, stages={"discover": "ad"}).confidence_interval(0.9)
        >>> print(f"{low[0]:.4f} {high[0]:.4f}")
        0.1209 0.8791
        """
        chosen = self.level if level is None else check_level(level)
        low, high = proportion_interval(
            self._table["progression_n"].to_numpy(dtype=float),
            self._table["reach_n"].to_numpy(dtype=float),
            chosen,
            method or "wilson",
        )
        return ConfidenceInterval(low, high)

    def plot(self, ax: Axes | None = None, *, top: int = MAIN_TOUCHPOINTS, **kwargs: Any) -> Axes:
        """The swimlane picture: stages as columns; reach and progression, touchpoints, time, emotion, pain.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure sized for the number of stages when not given.
        top : int
            How many touchpoints of each stage to name, by volume.
        **kwargs
            Passed to :meth:`matplotlib.axes.Axes.plot` for the emotion curve (``color``, ``marker``, ...).

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        JourneyError
            ``top`` is not a whole number of at least 1.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import pandas as pd, journey
        >>> rows = [("a", "ad"), ("a", "product"), ("b", "ad")]
        >>> events = pd.DataFrame(rows, columns=["user_id", "event"]).assign(
        ...     timestamp=pd.date_range("2025-01-01", periods=3, freq="h", tz="UTC"))
        >>> ax = journey.experience_map(events, stages={"discover": "ad", "consider": "product"}).plot()
        >>> [t.get_text() for t in ax.get_xticklabels()]
        ['discover', 'consider']
        """
        from ..plot.experience import draw_swimlane

        title = (
            f"Customer journey map: {self.n_customers:,} customers"
            + (f", {self.n_answers:,} survey answers" if self.n_answers else ", no survey answers")
            + f" ({level_label(self.level)} intervals)"
        )
        return draw_swimlane(
            self._table, self._touchpoints, self.pain_points, level=self.level, top=top, ax=ax, title=title, **kwargs
        )

    def _shown(self) -> pd.DataFrame:
        shown = [
            "stage",
            "reach",
            "reach_ci_low",
            "reach_ci_high",
            "progression",
            "progression_ci_low",
            "progression_ci_high",
            "nps",
            "nps_ci_low",
            "nps_ci_high",
            "nps_n",
            "csat",
            "median_seconds",
            "main_touchpoints",
        ]
        return self._table[[c for c in shown if c in self._table.columns]]

    def _headline(self) -> str:
        table = self._table
        text = f"{len(table):,} stages, {self.n_customers:,} customers, " + (
            f"{self.n_answers:,} survey answers in stages" if self.n_answers else "no survey"
        )
        going = table.dropna(subset=["progression"])
        if len(going):
            row = going.loc[going["progression"].idxmin()]
            text += (
                f"; largest drop after {row['stage']}: {format_value(row['progression'], 'share')} go on "
                f"({level_label(self.level)} CI {format_value(row['progression_ci_low'], 'share')} to "
                f"{format_value(row['progression_ci_high'], 'share')}, n = {int(row['progression_n']):,})"
            )
        felt = table.dropna(subset=["nps"])
        if len(felt):
            row = felt.loc[felt["nps"].idxmin()]
            text += (
                f"; lowest NPS at {row['stage']}: {row['nps']:+.1f} ({level_label(self.level)} CI "
                f"{row['nps_ci_low']:+.1f} to {row['nps_ci_high']:+.1f}, n = {int(row['nps_n']):,})"
            )
        pain = self.pain_points
        if not len(pain):
            return text + f"; no pain point (adjusted p < {1 - self.level:.2g})"
        names = ", ".join(f"{r.touchpoint} ({r.measure})" for r in pain.head(3).itertuples())
        more = f" and {len(pain) - 3:,} more" if len(pain) > 3 else ""
        return text + f"; {len(pain):,} pain point{'s' if len(pain) != 1 else ''}: {names}{more}"


def median_interval_ranks(n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Ranks (from 1) of the order statistics that bound a distribution-free interval for a median.

    With ``l`` the smallest ``k`` whose binomial(n, 1/2) cdf reaches ``(1 - level) / 2``, the interval
    ``[x(l), x(n - l + 1)]`` covers the median with probability at least ``level`` (Conover 1999, section
    3.2). Ranks are 0 where no such interval reaches the level (fewer than 6 values at 95%).

    Examples
    --------
    >>> low, high = median_interval_ranks(np.array([5, 6, 20, 100]), 0.95)
    >>> low.tolist(), high.tolist()
    ([0, 1, 6, 40], [0, 6, 15, 61])
    """
    from scipy.stats import binom

    n = np.asarray(n, dtype=np.int64)
    low = binom.ppf((1 - level) / 2, n, 0.5).astype(np.int64)
    low = np.where(np.isnan(binom.ppf((1 - level) / 2, n, 0.5)), 0, low)
    low = np.where(low >= 1, low, 0)
    return low, np.where(low >= 1, n - low + 1, 0)


class ExperienceAnalysis(Analysis):
    """Per stage and per touchpoint of a stage: reach, progression, exits, stays and placed answers, by name."""

    def __init__(self, *, stages: Stages, survey: pd.DataFrame | None, goal: Goal, level: float) -> None:
        self.level = check_level(level)
        self.stages = _checked_stages(stages)
        self.stage_names = [name for name, _ in self.stages]
        self.touchpoints = [t for _, tps in self.stages for t in tps]
        self.stage_of = np.array([i for i, (_, tps) in enumerate(self.stages) for _ in tps], dtype=np.int64)
        self.goal, self.goals = goal, goal_list(goal)
        # The goal counts as progress from the stages up to the last one holding a goal touchpoint (all of
        # them when a goal is in no stage): buying again after delivery is not moving on from delivery.
        owner = {t: i for i, (_, tps) in enumerate(self.stages) for t in tps}
        last = (
            len(self.stages) - 1
            if any(g not in owner for g in self.goals)
            else max((owner[g] for g in self.goals), default=-1)
        )
        self.goal_counts = np.arange(len(self.stages)) <= last
        self.answers = None if survey is None else _survey_answers(survey)

    def prepare(self, facts: Facts) -> None:
        for name, touchpoints in self.stages:
            facts.require_events(touchpoints, f"stages[{name!r}]")
        facts.require_events(self.goals, "goal")

    def partial(self, log: EventLog, facts: Facts) -> Parts:
        s, k = len(self.stages), len(self.touchpoints)
        user, time = log.user_codes, log.time_ns
        position = {name: i for i, name in enumerate(self.touchpoints)}
        staged_code = np.array([position.get(name, -1) for name in log.events], dtype=np.int64)
        tp = staged_code[log.event_codes]
        stage = np.where(tp >= 0, self.stage_of[np.maximum(tp, 0)], -1)
        n_users = log.n_users
        starts = np.flatnonzero(np.r_[True, user[1:] != user[:-1]]) if len(user) else np.zeros(0, dtype=np.int64)
        ends = np.append(starts[1:], len(user)) - 1
        goal = np.isin(log.events, self.goals)[log.event_codes] if self.goals else np.zeros(len(user), dtype=bool)
        converted = np.bincount(user[goal], minlength=n_users) > 0

        rows = np.flatnonzero(tp >= 0)
        r_user, r_stage, r_tp = user[rows], stage[rows], tp[rows]
        reached_pairs = distinct_pairs(r_user, r_stage, s)
        reached = np.bincount(reached_pairs % s, minlength=s)
        progressed = self._progressed(rows, user, stage, goal, s)
        visits = distinct_pairs(r_user, r_tp, k)
        visit_user, visit_tp = visits // k, visits % k
        last_tp, last_stage = tp[ends], stage[ends]
        # Before the goal, a journey that ends without it is lost; after the goal's stage every end is an exit.
        left = (last_tp >= 0) & (~converted | ~self.goal_counts[np.maximum(last_stage, 0)])
        left_in_own = left[visit_user] & (last_stage[visit_user] == self.stage_of[visit_tp])
        parts = Parts(
            n_customers=n_users,
            reached=reached,
            progressed=progressed,
            stage_exits=np.bincount(last_stage[left], minlength=s),
            events=np.bincount(r_tp, minlength=k),
            visitors=np.bincount(visit_tp, minlength=k),
            conversions=np.bincount(visit_tp[converted[visit_user]], minlength=k),
            exits=np.bincount(last_tp[left], minlength=k),
            visitors_left_in_stage=np.bincount(visit_tp[left_in_own], minlength=k),
            time=self._stays(rows, user, time, stage, ends, s, facts.exact),
        )
        parts.update(self._sentiment(log, rows, user, time, tp, starts))
        return parts

    def _progressed(
        self, rows: np.ndarray, user: np.ndarray, stage: np.ndarray, goal: np.ndarray, s: int
    ) -> np.ndarray:
        """Per stage, customers with a later stage's touchpoint, or the goal, from their first touchpoint of it on."""
        later_stage = _max_from(stage + 1, user)  # 0: nothing staged from here on; i + 1: stage i
        later_goal = _max_from(goal.astype(np.int64), user) > 0
        key = user[rows].astype(np.int64) * s + stage[rows]
        _, first = np.unique(key, return_index=True)
        entry = rows[first]
        went_on = (later_stage[entry] > stage[entry] + 1) | (later_goal[entry] & self.goal_counts[stage[entry]])
        return np.bincount(stage[entry][went_on], minlength=s)

    def _stays(
        self,
        rows: np.ndarray,
        user: np.ndarray,
        time: np.ndarray,
        stage: np.ndarray,
        ends: np.ndarray,
        s: int,
        exact: bool,
    ) -> Samples | LogHistogram:
        """Each customer's time in each stage they reached (their stays there added up), by stage name."""
        index = pd.Index(self.stage_names, dtype=object)
        if not len(rows):
            return timings(index, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), exact)
        r_user, r_stage, r_time = user[rows], stage[rows], time[rows]
        opens = np.r_[True, (r_user[1:] != r_user[:-1]) | (r_stage[1:] != r_stage[:-1])]
        stay_user, stay_stage, stay_start = r_user[opens], r_stage[opens], r_time[opens]
        same_user_next = np.r_[stay_user[1:] == stay_user[:-1], False]
        stay_end = np.where(same_user_next, np.r_[stay_start[1:], 0], time[ends][stay_user])
        key, where = np.unique(stay_user.astype(np.int64) * s + stay_stage, return_inverse=True)
        total = np.zeros(len(key), dtype=np.int64)
        np.add.at(total, where.reshape(-1), stay_end - stay_start)
        return timings(index, key % s, total, exact)

    def _sentiment(
        self, log: EventLog, rows: np.ndarray, user: np.ndarray, time: np.ndarray, tp: np.ndarray, starts: np.ndarray
    ) -> dict[str, Any]:
        """Answers of this part's customers placed at their last staged touchpoint, as counts by stage and touchpoint."""
        s, k = len(self.stages), len(self.touchpoints)
        if self.answers is None:
            return {}
        answers = self.answers
        users = pd.Index(log.column("user")[starts])
        who = users.get_indexer(answers["user"].to_numpy()) if len(users) else np.full(len(answers), -1)
        mine = np.flatnonzero(who >= 0)
        placed_row = _last_before(user[rows], time[rows], who[mine], answers["time"].to_numpy()[mine])
        placed = placed_row >= 0
        a_index, a_row = mine[placed], rows[placed_row[placed]]
        a_user, a_tp = who[a_index], tp[a_row]
        a_stage = self.stage_of[a_tp]
        out: dict[str, Any] = {"respondents": len(np.unique(who[mine])), "answers_unplaced": int((~placed).sum())}
        nps_scores = answers["score"].to_numpy()[a_index]
        kept = _latest_per(a_user, a_stage, s, answers["time"].to_numpy()[a_index], ~np.isnan(nps_scores))
        category = _nps_category(nps_scores[kept])
        u, t, g = a_user[kept], a_tp[kept], a_stage[kept]
        out["stage_nps"] = _counts(g, category, s)
        out["touchpoint_nps"] = _counts(t, category, k)
        # Per touchpoint, every kept answer of the customers who answered there: the rest of the map leaves them out.
        per_customer = _counts(u, category, len(users))
        answered_at = distinct(u.astype(np.int64) * k + t)
        out["customers_answering_at"] = np.zeros((k, 3), dtype=np.int64)
        np.add.at(out["customers_answering_at"], answered_at % k, per_customer[answered_at // k])
        out["all_nps"] = np.bincount(category, minlength=3)
        if "csat" in answers.columns:
            ratings = answers["csat"].to_numpy()[a_index]
            rated = _latest_per(a_user, a_stage, s, answers["time"].to_numpy()[a_index], ~np.isnan(ratings))
            satisfied = np.isin(ratings[rated], CSAT_SATISFIED)
            out["csat_satisfied"] = np.bincount(a_stage[rated][satisfied], minlength=s)
            out["csat_n"] = np.bincount(a_stage[rated], minlength=s)
        return out

    def finish(self, total: Parts, facts: Facts) -> ExperienceMap:
        n = int(total["n_customers"])
        table = self._stage_table(total, n)
        touchpoints = self._touchpoint_table(total)
        main = touchpoints.groupby("stage", sort=False)["touchpoint"].agg(
            lambda t: ", ".join(t.iloc[:MAIN_TOUCHPOINTS])
        )
        table["main_touchpoints"] = main.reindex(self.stage_names).to_numpy()
        comparisons = self._comparisons(total)
        n_answers, unplaced = 0, 0
        if self.answers is not None:
            n_answers, unplaced = int(total["stage_nps"].sum()), int(total["answers_unplaced"])
            outside = int(self.answers["user"].nunique()) - int(total["respondents"])
            if outside:
                warnings.warn(
                    f"{outside:,} survey respondents have no events in the log and are left out",
                    JourneyWarning,
                    stacklevel=4,
                )
        return ExperienceMap(
            table, touchpoints, comparisons, self.stages, tuple(self.goals), self.level, n, n_answers, unplaced
        )

    def _stage_table(self, total: Parts, n: int) -> pd.DataFrame:
        level = self.level
        reached, progressed = total["reached"], total["progressed"]
        table = pd.DataFrame({"stage": self.stage_names, "reach": reached / n})  # a log has customers
        table["reach_ci_low"], table["reach_ci_high"] = wilson_interval(reached, np.full(len(reached), n), level)
        table["reach_n"] = n
        with np.errstate(invalid="ignore", divide="ignore"):
            share = progressed / reached
        low, high = wilson_interval(progressed, reached, level)
        if not self.goal_counts[-1]:  # nothing can come after the last stage
            share[-1], low[-1], high[-1] = np.nan, np.nan, np.nan
        table["progression"], table["progression_ci_low"], table["progression_ci_high"] = share, low, high
        table["progression_n"] = reached
        counts = total["stage_nps"] if self.answers is not None else np.zeros((len(reached), 3), dtype=np.int64)
        p, a, d = counts.T
        answered = p + a + d
        with np.errstate(invalid="ignore", divide="ignore"):
            table["nps"] = 100 * (p - d) / answered
        table["nps_ci_low"], table["nps_ci_high"] = nps_interval(p, a, d, level)
        table["nps_n"] = answered
        if self.answers is not None and "csat_n" in total:
            k, m = total["csat_satisfied"], total["csat_n"]
            with np.errstate(invalid="ignore", divide="ignore"):
                table["csat"] = k / m
            table["csat_ci_low"], table["csat_ci_high"] = wilson_interval(k, m, level)
            table["csat_n"] = m
        times = total["time"]
        sizes = times.sizes()
        low_rank, high_rank = median_interval_ranks(sizes, level)
        table["median_seconds"] = times.medians()
        table["median_seconds_ci_low"] = times.values_at(low_rank)
        table["median_seconds_ci_high"] = times.values_at(high_rank)
        table["median_seconds_n"] = sizes
        return table

    def _touchpoint_table(self, total: Parts) -> pd.DataFrame:
        events = total["events"]
        stage_events = np.bincount(self.stage_of, weights=events, minlength=len(self.stages))
        with np.errstate(invalid="ignore", divide="ignore"):
            share = events / stage_events[self.stage_of]
        table = pd.DataFrame(
            {
                "stage": [self.stage_names[i] for i in self.stage_of],
                "touchpoint": self.touchpoints,
                "events": events,
                "customers": total["visitors"],
                "share_of_stage_events": share,
                "_stage": self.stage_of,
            }
        )
        table = table.sort_values(["_stage", "events", "touchpoint"], ascending=[True, False, True], kind="stable")
        return table.drop(columns="_stage").reset_index(drop=True)

    def _comparisons(self, total: Parts) -> pd.DataFrame:
        frames = [self._exit_tests(total)]
        if self.answers is not None:
            frames.append(self._nps_tests(total))
        table = pd.concat(frames, ignore_index=True).sort_values("_tp", kind="stable", ignore_index=True)
        table["p_adjusted"] = adjust_pvalues(table["p_value"])
        table["significant"] = (table["p_adjusted"] < 1 - self.level).fillna(False).astype(bool)
        worse = np.where(table["measure"] == EXIT, table["difference"] > 0, table["difference"] < 0)
        table["pain"] = table["significant"] & worse
        lost = expected_lost_conversions(total["exits"], total["conversions"], total["visitors"])
        lost[~self.goal_counts[self.stage_of]] = np.nan  # once customers converted, leaving loses no conversion
        table["expected_lost_conversions"] = lost[table.pop("_tp").to_numpy(dtype=np.int64)] if self.goals else np.nan
        return table

    def _exit_tests(self, total: Parts) -> pd.DataFrame:
        """Each touchpoint's exit rate against the stage's other customers', for stages of two touchpoints or more."""
        sizes = np.bincount(self.stage_of, minlength=len(self.stages))
        tested = np.flatnonzero((sizes[self.stage_of] > 1) & (total["visitors"] > 0))
        n1, k1 = total["visitors"][tested], total["exits"][tested]
        stage = self.stage_of[tested]
        n2 = total["reached"][stage] - n1
        k2 = total["stage_exits"][stage] - total["visitors_left_in_stage"][tested]
        low, high = newcombe_interval(k1, n1, k2, n2, self.level)
        with np.errstate(invalid="ignore", divide="ignore"):
            value, other = k1 / n1, np.where(n2 > 0, k2 / np.maximum(n2, 1), np.nan)
        p = two_by_two_tests(k1, n1, k2, n2)
        return self._rows(tested, EXIT, REST_OF_STAGE, value, other, low, high, n1, n2, p)

    def _nps_tests(self, total: Parts) -> pd.DataFrame:
        """Each touchpoint's NPS against every other answer of the customers who gave none there."""
        inside = total["touchpoint_nps"]
        rest = total["all_nps"][None, :] - total["customers_answering_at"]
        tested = np.flatnonzero(inside.sum(axis=1) > 0)
        rows = []
        for i in tested:
            a = NPSResult(int(inside[i, 0]), int(inside[i, 1]), int(inside[i, 2]), level=self.level)
            b = NPSResult(int(rest[i, 0]), int(rest[i, 1]), int(rest[i, 2]), level=self.level)
            if not b.n:
                rows.append((a.score, np.nan, np.nan, np.nan, a.n, 0, np.nan))
                continue
            diff = NPSDifference(a, b, self.level)
            low, high = diff.confidence_interval()
            rows.append((a.score, b.score, low, high, a.n, b.n, diff.pvalue))
        value, other, low, high, n1, n2, p = (
            (np.array(c, dtype=float) for c in zip(*rows)) if rows else [np.zeros(0)] * 7
        )
        return self._rows(tested, NPS, REST_OF_MAP, value, other, low, high, n1, n2, p)

    def _rows(
        self,
        tested: np.ndarray,
        measure: str,
        compared_with: str,
        value: Any,
        other: Any,
        low: Any,
        high: Any,
        n1: Any,
        n2: Any,
        p: Any,
    ) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "stage": [self.stage_names[self.stage_of[i]] for i in tested],
                "touchpoint": [self.touchpoints[i] for i in tested],
                "measure": measure,
                "compared_with": compared_with,
                "value": np.asarray(value, dtype=float),
                "other_value": np.asarray(other, dtype=float),
                "difference": np.asarray(value, dtype=float) - np.asarray(other, dtype=float),
                "difference_ci_low": np.asarray(low, dtype=float),
                "difference_ci_high": np.asarray(high, dtype=float),
                "n": np.asarray(n1, dtype=np.int64),
                "other_n": np.asarray(n2, dtype=np.int64),
                "p_value": np.asarray(p, dtype=float),
                "_tp": tested,
            }
        )


def _checked_stages(stages: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The stages as (name, touchpoints) pairs in order; every touchpoint as text, in one stage only."""
    if not isinstance(stages, Mapping) or not stages:
        raise JourneyError(
            f"{option('stages')} maps each stage name, in order, to its touchpoints, e.g. "
            f"{{'discover': ['ad_click', 'search'], 'buy': ['purchase']}}; not "
            f"{'an empty mapping' if isinstance(stages, Mapping) else 'a ' + type(stages).__name__}"
        )
    checked: list[tuple[str, tuple[str, ...]]] = []
    owner: dict[str, str] = {}
    for name, given in stages.items():
        if not isinstance(name, str) or not name.strip():
            raise JourneyError(f"stage names are non-blank text, not {name!r}")
        names = [given] if isinstance(given, (str, int)) else list(given) if isinstance(given, Sequence) else None
        if names is None:
            raise JourneyError(
                f"stage {name!r}: give its touchpoints as a name or a list of names, not a {type(given).__name__}"
            )
        touchpoints = tuple(dict.fromkeys(str(t) for t in names))  # touchpoint names are text, as in the log
        if not touchpoints:
            raise JourneyError(f"stage {name!r} has no touchpoints: list the touchpoints that belong to it")
        for touchpoint in touchpoints:
            if touchpoint in owner:
                raise JourneyError(
                    f"touchpoint {touchpoint!r} is in two stages, {owner[touchpoint]!r} and {name!r}: "
                    f"each touchpoint belongs to one stage"
                )
            owner[touchpoint] = name
        checked.append((name, touchpoints))
    return tuple(checked)


def _survey_answers(survey: Any) -> pd.DataFrame:
    """The answers as ``user``, ``time`` (ns), ``score`` (0-10, NaN unanswered) and ``csat`` (1-5) when present."""
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
    times = survey["time"] if "time" in survey.columns else None
    if times is None or not isinstance(times.dtype, pd.DatetimeTZDtype) or times.isna().any():
        raise JourneyError(
            "experience_map places each answer in the stage the customer was in when answering, so "
            "every answer needs its time: read the survey with journey.read_survey(..., "
            "time=...) naming the column of answer times"
        )
    answers = pd.DataFrame(
        {
            "user": survey["user"].to_numpy(dtype=object),
            "time": times.array.as_unit("ns").asi8,
            "score": _scores(survey["score"], (0, 10), "score"),
        }
    )
    if "csat" in survey.columns:
        answers["csat"] = _scores(survey["csat"], CSAT_SCALE, "csat")
    return answers


def _scores(values: pd.Series, scale: tuple[int, int], column: str) -> np.ndarray:
    """Validated whole-number answers on ``scale`` (an error names the column and rows), NaN where unanswered."""
    whole_scores(values, *scale, column)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def _max_from(values: np.ndarray, user: np.ndarray) -> np.ndarray:
    """Per row, the largest of ``values`` (non-negative) on this and the same user's later rows.

    Users are non-decreasing: read backwards, each user's values are lifted above every later user's by an
    offset, so one running maximum never carries a value from one user to another.
    """
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    width = int(values.max()) + 1
    lift = (int(user[-1]) - user[::-1]).astype(np.int64) * width
    return (np.maximum.accumulate(lift + values[::-1]) - lift)[::-1]


def _last_before(
    row_user: np.ndarray, row_time: np.ndarray, answer_user: np.ndarray, answer_time: np.ndarray
) -> np.ndarray:
    """For each answer, the last row (index into the rows) of its user before its time; -1 if none."""
    found = np.full(len(answer_user), -1, dtype=np.int64)
    if not len(answer_user) or not len(row_user):
        return found
    n = len(row_user)
    users = np.r_[row_user, answer_user]
    # At the same instant the answer comes first: a survey answer kept in the log as an event (from
    # combine_logs) does not claim itself.
    order = np.lexsort((np.r_[np.ones(n), np.zeros(len(answer_user))], np.r_[row_time, answer_time], users))
    is_row = order < n
    last = np.maximum.accumulate(np.where(is_row, np.arange(len(order)), -1))
    at = np.flatnonzero(~is_row)
    before = last[at]
    row = np.where(before >= 0, order[np.maximum(before, 0)], -1)
    same = (row >= 0) & (users[np.maximum(row, 0)] == users[order[at]])
    found[order[at] - n] = np.where(same, row, -1)
    return found


def _latest_per(user: np.ndarray, stage: np.ndarray, s: int, time: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Indices of each (customer, stage)'s latest valid answer (the later row on a tie)."""
    candidates = np.flatnonzero(valid)
    key = user[candidates].astype(np.int64) * s + stage[candidates]
    order = candidates[np.lexsort((candidates, time[candidates], key))]
    sorted_key = user[order].astype(np.int64) * s + stage[order]
    last = np.r_[sorted_key[1:] != sorted_key[:-1], True] if len(order) else np.zeros(0, dtype=bool)
    return order[last]


def _nps_category(scores: np.ndarray) -> np.ndarray:
    """0 for a promoter (9-10), 1 for a passive (7-8), 2 for a detractor (0-6)."""
    return np.where(scores >= 9, 0, np.where(scores >= 7, 1, 2)).astype(np.int64)


def _counts(group: np.ndarray, category: np.ndarray, size: int) -> np.ndarray:
    """Promoters, passives and detractors per group: an array of ``size`` x 3."""
    return np.bincount(group.astype(np.int64) * 3 + category, minlength=size * 3).reshape(size, 3)
