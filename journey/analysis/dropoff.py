"""Where journeys end without converting, and the transitions converting journeys use more or less."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..engine.core import MISSING, run, segment_value, span_codes
from ..engine.journeys import JourneyAnalysis, distinct_pairs, observed_codes
from ..engine.partials import Keyed, Parts
from ..errors import JourneyError, option
from ..io.aliases import Duration, Goal, Unit
from ..io.events import END, START, EventLog, LogLike
from ..io.facts import Facts
from ..stats.intervals import newcombe_interval, newcombe_pvalue, wilson_interval
from ..stats.results import ConfidenceInterval, TableResult, check_level, format_value
from ..stats.significance import Adjustment, adjust_pvalues, adjustment_label, check_adjust, independence_test

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..plot.funnels import DropOffOrder

__all__ = [
    "drop_off",
    "DropOff",
    "plot_drop_off",
    "compare_paths",
    "PathComparison",
    "plot_compare_paths",
    "DropOffAnalysis",
    "ComparePathsAnalysis",
    "expected_lost_conversions",
]


def drop_off(
    log: LogLike,
    *,
    goal: Goal,
    by: str | None = None,
    baseline: Any = None,
    unit: Unit = "user",
    gap: Duration = "30min",
    adjust: Adjustment = "bh",
    level: float = 0.95,
) -> DropOff:
    """Rank touchpoints by the conversions lost where journeys end there, with exit rates and intervals.

    Parameters
    ----------
    log : EventLog, pandas.DataFrame or a log on Dask
        The events.
    goal : str or list of str
        The conversion event(s): a journey converts when it reaches any of them. Goal touchpoints
        themselves are not listed.
    by : str, optional
        A segment column of the log; a journey's segment is its value at the journey's first event.
        Missing values form a segment of their own. Each touchpoint then gets a test that its exit rate
        is the same in every segment, and each segment's exit rate is compared with the baseline's
        (``log.with_period("M")`` adds ``period`` to compare months).
    baseline : optional
        With ``by``, the segment the others are compared with; by default the one with the most journeys
        (ties: the first in sort order).
    unit : {"user", "session"}
        What one journey is: everything a user did, or one session.
    gap : str or pandas.Timedelta
        With ``unit="session"``, the inactivity that ends a session when the source has no session ids.
    adjust : {"bh", "holm", "by"}
        How the p-values are adjusted for their number: Benjamini-Hochberg (the false discovery rate, the
        default), Holm (the family-wise error rate) or Benjamini-Yekutieli (the false discovery rate under
        any dependence between the tests).
    level : float
        Confidence level of the intervals and of the ``significant`` flag, a share (0.95 for 95%).

    Returns
    -------
    DropOff
        The table of exit rates (see :class:`DropOff`), ``n_journeys`` and ``n_converted``.

    Raises
    ------
    JourneyError
        No goal, an unknown ``unit``, a ``gap`` that is not a positive duration, a ``level`` outside (0, 1),
        a ``baseline`` without ``by`` or that no journey has.
    UnknownEventError
        A goal that never occurs in the log.
    MissingColumnError
        A ``by`` column that is not in the log.

    See Also
    --------
    compare_funnels : segments compared step by step through a fixed funnel, in the same columns.
    compare_paths : the transitions converting journeys use more or less often than the others.
    funnel : conversion through a fixed sequence of steps.
    markov : removal effects of an absorbing Markov model of the journeys.

    Notes
    -----
    Journeys are cut at their first goal event: what a journey does after converting (a help page, a
    second purchase) counts nowhere, neither as a visit nor as an exit. At each touchpoint other than the
    goal:

    * ``journeys``: journeys that visit it at least once (before their first goal event);
    * ``exits``: journeys whose last event is at the touchpoint and that never reached the goal;
    * ``exit_rate = exits / journeys``, with the Wilson score interval [1]_;
    * ``conversions``: of those journeys, the ones that reached the goal; ``conversion_rate`` is
      ``conversions / journeys``, with its Wilson interval;
    * ``expected_lost_conversions = exits * conversions / (journeys - exits)``.

    *Lost* is counterfactual: the conversions the exiting journeys would have brought had they gone on
    from the touchpoint instead of ending there, and then converted as often as the journeys that did go
    on from it (``journeys - exits``, among which are all the conversions, as an exit never converts).
    It supposes that ending there says nothing about a journey's chances had it gone on; journeys that
    leave may have been less likely to buy anyway, which makes it an upper figure. It ranks touchpoints by
    what their drop-off costs rather than its size: many exits from a touchpoint whose other visitors
    rarely buy cost little. It is 0 when no journey through the touchpoint converted, including when none
    went on from it (no conversion has gone through it: its Markov removal effect is 0 as well).
    ``expected_lost_conversions_ci_low`` and ``_ci_high`` are ``exits`` times the Wilson interval of the
    continuers' conversion rate (``conversions`` of ``journeys - exits`` journeys, each counted once): the
    exits are taken as they happened, and the interval is for what they would have brought. With nobody
    going on, that rate is unknown: 0 to ``exits``.

    With ``by``, the test per touchpoint is Pearson's chi-square on the segments x (exit, no exit)
    table, or Fisher's exact test when an expected count is below 5; ``p_adjusted`` is its adjustment
    across touchpoints (``adjust``: Benjamini-Hochberg [2]_ by default) and ``significant`` is
    ``p_adjusted < 1 - level``. Journeys are the independent units: each counts once per touchpoint.

    With ``by``, each row is also compared with the baseline segment's row of the same touchpoint, as
    :func:`journey.compare_funnels` compares steps: ``baseline_exit_rate``, ``difference`` (this segment's
    exit rate minus the baseline's, a share) with Newcombe's hybrid score interval
    (``difference_ci_low``, ``difference_ci_high``), the two-sided p-value that inverts it
    (``difference_p_value``), its adjustment over every compared row (``difference_p_adjusted``, with
    ``adjust``) and ``difference_significant`` (adjusted p below ``1 - level``). The baseline's own rows,
    and rows of a touchpoint the baseline's journeys never visit, have no difference. The p-value columns
    carry the ``difference_`` prefix because ``p_value`` is the test across all segments above.

    References
    ----------
    .. [1] E. B. Wilson (1927), "Probable inference, the law of succession, and statistical inference",
       Journal of the American Statistical Association 22(158), 209-212.
    .. [2] Y. Benjamini and Y. Hochberg (1995), "Controlling the false discovery rate: a practical and
       powerful approach to multiple testing", Journal of the Royal Statistical Society B 57(1), 289-300.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": list("aaabbcc"),
    ...                    "event": ["home", "cart", "buy", "home", "cart", "home", "cart"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=7, freq="min", tz="UTC")})
    >>> d = journey.drop_off(df, goal="buy")
    >>> d.to_frame()[["touchpoint", "journeys", "exits", "exit_rate", "expected_lost_conversions"]]
      touchpoint  journeys  exits  exit_rate  expected_lost_conversions
    0       cart         3      2   0.666667                        2.0
    1       home         3      0   0.000000                        0.0
    >>> d.n_journeys, d.n_converted
    (3, 1)

    Segments against a baseline:

    >>> df["device"] = ["app", "app", "app", "web", "web", "web", "web"]
    >>> by_device = journey.drop_off(df, goal="buy", by="device", baseline="app").to_frame()
    >>> by_device[["device", "touchpoint", "exit_rate", "baseline_exit_rate", "difference"]]
      device touchpoint  exit_rate  baseline_exit_rate  difference
    0    app       cart        0.0                 0.0         NaN
    1    web       cart        1.0                 0.0         1.0
    2    app       home        0.0                 0.0         NaN
    3    web       home        0.0                 0.0         0.0
    """
    analysis = DropOffAnalysis(goal=goal, by=by, baseline=baseline, unit=unit, gap=gap, adjust=adjust, level=level)
    return run(analysis, log)


@dataclass(frozen=True, repr=False, eq=False)
class DropOff(TableResult):
    """The result of :func:`journey.drop_off`: exit rates with intervals per touchpoint (and segment).

    Attributes
    ----------
    goal : tuple of str
        The conversion event(s).
    by : str or None
        The segment column, or None.
    unit : {"user", "session"}
        What one journey is.
    level : float
        Confidence level of the intervals and of ``significant``.
    n_journeys : int
        Journeys in the log (all segments).
    n_converted : int
        Of those, journeys that reached the goal.
    baseline : object or None
        With ``by``, the segment every other is compared with; None without ``by``.

    Notes
    -----
    :meth:`to_frame` has one row per touchpoint (and segment): [the ``by`` column], ``touchpoint``,
    ``journeys``, ``exits``, ``exit_rate``, ``ci_low``, ``ci_high`` (the exit rate's interval),
    ``conversions``, ``conversion_rate``, ``conversion_ci_low``, ``conversion_ci_high``,
    ``expected_lost_conversions`` with ``expected_lost_conversions_ci_low`` and
    ``expected_lost_conversions_ci_high`` (its interval, see :func:`drop_off`), and with ``by`` also ``p_value``,
    ``p_adjusted``, ``significant`` and ``test`` (the test across segments, the same on every row of a
    touchpoint), then ``baseline_exit_rate``, ``difference``, ``difference_ci_low``, ``difference_ci_high``,
    ``difference_p_value``, ``difference_p_adjusted`` and ``difference_significant`` (this row against the
    baseline segment's, see :func:`drop_off`). Rates are shares (0-1). Sorted by expected lost
    conversions of the touchpoint over all segments, largest first (NaN last), then by touchpoint name,
    then by segment (missing last). :meth:`confidence_interval` is the exit rate's.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": list("aaabbcc"),
    ...                    "event": ["home", "cart", "buy", "home", "cart", "home", "cart"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=7, freq="min", tz="UTC")})
    >>> d = journey.drop_off(df, goal="buy")
    >>> print(repr(d).splitlines()[0])
    DropOff: 3 journeys (one per user), 1 reach buy; most lost at cart: exit rate 66.7% (95% CI 20.8% to 93.9%, n = 3)
    >>> low, high = d.confidence_interval(level=0.9)
    >>> print(f"{low[0]:.4f} {high[0]:.4f}")
    0.2535 0.9217
    """

    _table: pd.DataFrame
    goal: tuple[str, ...]
    by: str | None
    unit: Unit
    level: float
    n_journeys: int
    n_converted: int
    adjust: Adjustment = "bh"
    baseline: Any = None

    _successes = "exits"
    _trials = "journeys"
    _formats = {
        "journeys": "count",
        "exits": "count",
        "conversions": "count",
        "exit_rate": "share",
        "ci_low": "share",
        "ci_high": "share",
        "conversion_rate": "share",
        "conversion_ci_low": "share",
        "conversion_ci_high": "share",
        "expected_lost_conversions": "decimal",
        "expected_lost_conversions_ci_low": "decimal",
        "expected_lost_conversions_ci_high": "decimal",
        "p_value": "p",
        "p_adjusted": "p",
        "baseline_exit_rate": "share",
        "difference": "points",
        "difference_ci_low": "points",
        "difference_ci_high": "points",
        "difference_p_value": "p",
        "difference_p_adjusted": "p",
    }

    def _shown(self) -> pd.DataFrame:
        if "difference" not in self._table:
            return self._table
        from .compare import _in_points

        return _in_points(self._table)

    def plot(self, ax: Axes | None = None, *, top: int = 15, order: DropOffOrder = "lost", **kwargs: Any) -> Axes:
        """The exit rates of the first ``top`` touchpoints as ranked bars with their intervals.

        With ``by``, one bar per segment at each touchpoint, and the touchpoints whose exit rates differ
        significantly between segments (``significant``) marked with a star.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when not given.
        top : int
            How many touchpoints to draw.
        order : {"lost", "exit_rate"}
            Rank by expected lost conversions (the table's order, the default) or by exit rate; the first
            is at the top.
        **kwargs
            Passed to :meth:`matplotlib.axes.Axes.barh` (``color``, ...).

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        JourneyError
            ``top`` is not a whole number of at least 1, or an unknown ``order``.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import pandas as pd, journey
        >>> df = pd.DataFrame({"user_id": list("aaabbcc"),
        ...                    "event": ["home", "cart", "buy", "home", "cart", "home", "cart"],
        ...                    "timestamp": pd.date_range("2025-01-01", periods=7, freq="min", tz="UTC")})
        >>> ax = journey.drop_off(df, goal="buy").plot(top=1)
        >>> [t.get_text() for t in ax.get_yticklabels()]
        ['cart']
        """
        from ..plot.funnels import drop_off_bars

        return drop_off_bars(self._table, segment=self.by, level=self.level, top=top, order=order, ax=ax, **kwargs)

    def _headline(self) -> str:
        unit = "user" if self.unit == "user" else "session"
        text = f"{self.n_journeys:,} journeys (one per {unit}), {self.n_converted:,} reach {' or '.join(self.goal)}"
        if not len(self._table):
            return text + "; no touchpoint other than the goal"
        top = self._table[self._table["touchpoint"] == self._table["touchpoint"].iloc[0]]
        row = top.loc[top["expected_lost_conversions"].fillna(-1).idxmax()]
        where = "" if self.by is None else f" ({self.by} = {format_value(_segment_label(row[self.by]))})"
        text += (
            f"; most lost at {row['touchpoint']}{where}: exit rate {format_value(row['exit_rate'], 'share')} "
            f"({self.level * 100:g}% CI {format_value(row['ci_low'], 'share')} to "
            f"{format_value(row['ci_high'], 'share')}, n = {int(row['journeys']):,})"
        )
        if self.by is not None:
            tested = self._table.drop_duplicates("touchpoint")
            text += (
                f"; exit rates differ by {self.by} at {int(tested['significant'].sum()):,} of "
                f"{int(tested['p_value'].notna().sum()):,} tested touchpoints "
                f"({adjustment_label(self.adjust, self.level)})"
            )
            compared = self._table[self._table["difference_p_value"].notna()]
            text += (
                f"; against {self.by} = {format_value(_segment_label(self.baseline))} (baseline), "
                f"{int(compared['difference_significant'].sum()):,} of {len(compared):,} exit rates differ"
            )
        return text


def _segment_label(value: Any) -> Any:
    """A segment value as shown in words: a missing one as "missing"."""
    return "missing" if pd.api.types.is_scalar(value) and pd.isna(value) else value


def plot_drop_off(result: DropOff, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Draw the exit rates of a :func:`journey.drop_off` result as ranked bars with their intervals.

    Parameters
    ----------
    result : DropOff
        What :func:`journey.drop_off` returns.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.
    **kwargs
        Passed to :meth:`DropOff.plot` (``top=``) and on to :meth:`matplotlib.axes.Axes.barh`.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    JourneyError
        ``result`` is not a :class:`DropOff` (a DataFrame, for instance).

    See Also
    --------
    DropOff.plot : the same picture, as a method.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": list("aabc"), "event": ["home", "buy", "home", "faq"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=4, freq="min", tz="UTC")})
    >>> journey.plot_drop_off(journey.drop_off(df, goal="buy")).get_title()
    'Where journeys end without converting (most conversions lost first)'
    """
    if not isinstance(result, DropOff):
        raise JourneyError(f"plot_drop_off draws the result of journey.drop_off(...), not a {type(result).__name__}")
    return result.plot(ax=ax, **kwargs)


class DropOffAnalysis(JourneyAnalysis):
    """Journeys, exits and conversions per (segment, touchpoint), keyed by names."""

    unit: Unit

    def __init__(
        self,
        *,
        goal: Goal,
        by: str | None,
        unit: Unit,
        gap: Duration,
        adjust: Adjustment,
        level: float,
        baseline: Any = None,
    ) -> None:
        super().__init__(goal=goal, unit=unit, gap=gap)
        if not self.goals:
            raise JourneyError(f"drop_off needs a goal: name the conversion event(s) with {option('goal')}")
        if baseline is not None and by is None:
            raise JourneyError(
                f"{option('baseline', baseline)} is a segment: give {option('by')} (a segment column) too"
            )
        self.segment, self.level, self.adjust = by, check_level(level), check_adjust(adjust)
        self.baseline = baseline

    def prepare(self, facts: Facts) -> None:
        facts.require_column(self.segment, "by", "segment")
        super().prepare(facts)

    def partial(self, log: EventLog, facts: Facts) -> Parts:
        journeys, codes = self.journeys(log)
        if self.segment is None:
            labels, segments = np.zeros(journeys.n_journeys, dtype=np.int64), pd.Index([_ALL], dtype=object)
        else:
            labels, segments = span_codes(log.column(self.segment)[journeys.starts])
        # What a journey does after converting is not a drop-off: cut it at its first goal event. Every
        # journey keeps its first event, so journey j is still journey j (and keeps its segment).
        journeys = journeys.until_first(codes)
        converted = journeys.converted(codes)
        k, s = len(journeys.names), len(segments)
        visited = distinct_pairs(journeys.journey, journeys.events, k)
        cell = labels[visited // k] * k + visited % k
        counts = {
            "journeys": np.bincount(cell, minlength=s * k),
            "conversions": np.bincount(cell[converted[visited // k]], minlength=s * k),
            "exits": np.bincount((labels * k + journeys.events[journeys.ends])[~converted], minlength=s * k),
        }
        index = pd.MultiIndex.from_product([segments, pd.Index(journeys.names, dtype=object)])
        return Parts(
            counts=Keyed(index, counts),
            segments=Keyed(segments, {"journeys": np.bincount(labels, minlength=s)}),
            n_journeys=journeys.n_journeys,
            n_converted=int(converted.sum()),
        )

    def finish(self, total: Parts, facts: Facts) -> DropOff:
        counts = total["counts"].frame()
        table = counts.assign(touchpoint=counts.index.get_level_values(1))
        if self.segment is not None:
            table.insert(0, self.segment, [segment_value(v) for v in counts.index.get_level_values(0)])
        table = table[(table["journeys"] > 0) & ~table["touchpoint"].isin(self.goals)]
        keys = ([self.segment] if self.segment else []) + ["touchpoint"]
        table = table.sort_values(keys, kind="stable", na_position="last")
        columns = keys + ["journeys", "exits", "conversions"]
        table = _drop_off_table(table[columns].reset_index(drop=True), self.segment, self.level, self.adjust)
        base = None
        if self.segment is not None:
            base = self._baseline(total["segments"])
            table = _with_baseline_differences(table, self.segment, base, self.level, self.adjust)
        return DropOff(
            table,
            tuple(self.goals),
            self.segment,
            self.unit,
            self.level,
            int(total["n_journeys"]),
            int(total["n_converted"]),
            self.adjust,
            None if base is None else segment_value(base),
        )

    def _baseline(self, segments: Keyed) -> Any:
        from .compare import _pick_baseline

        keys = list(segments.index)
        return _pick_baseline(keys, segments.values["journeys"].tolist(), self.baseline, self.segment or "")


_ALL = "all journeys"


def _drop_off_table(table: pd.DataFrame, by: str | None, level: float, adjust: Adjustment = "bh") -> pd.DataFrame:
    table = _with_rates(table, level)
    if by is not None:
        table = _with_segment_tests(table, level, adjust)
    return _by_loss(table, by)


RATE_COLUMNS = [
    "touchpoint",
    "journeys",
    "exits",
    "exit_rate",
    "ci_low",
    "ci_high",
    "conversions",
    "conversion_rate",
    "conversion_ci_low",
    "conversion_ci_high",
    "expected_lost_conversions",
    "expected_lost_conversions_ci_low",
    "expected_lost_conversions_ci_high",
]


def _with_rates(table: pd.DataFrame, level: float) -> pd.DataFrame:
    n, exits, conv = (table[c].to_numpy() for c in ("journeys", "exits", "conversions"))
    table["exit_rate"] = exits / n
    table["ci_low"], table["ci_high"] = wilson_interval(exits, n, level)
    table["conversion_rate"] = conv / n
    table["conversion_ci_low"], table["conversion_ci_high"] = wilson_interval(conv, n, level)
    low, high = wilson_interval(conv, n - exits, level)
    went_on = n - exits
    # The continuers' conversion rate's Wilson interval; with nobody going on, no conversion went through
    # the touchpoint (the estimate is 0) and the rate could be anything (0 to 1).
    table["expected_lost_conversions"] = expected_lost_conversions(exits, conv, n)
    table["expected_lost_conversions_ci_low"] = exits * np.where(went_on > 0, low, 0.0)
    table["expected_lost_conversions_ci_high"] = exits * np.where(went_on > 0, high, 1.0)
    segment = [c for c in table.columns if c not in RATE_COLUMNS]
    return table[segment + RATE_COLUMNS]


def expected_lost_conversions(exits: Any, conversions: Any, journeys: Any) -> np.ndarray:
    """Conversions the exiting journeys would have brought had they gone on like those that did not exit.

    ``exits * conversions / (journeys - exits)``, element-wise: the exits times the conversion rate of the
    journeys that went on (see the Notes of :func:`drop_off` for the counterfactual). 0 where no conversion
    went through the touchpoint, including where every journey exited there. :func:`journey.experience_map`
    ranks its pain points by the same figure.

    Examples
    --------
    >>> expected_lost_conversions([2, 1, 3], [2, 2, 0], [4, 5, 3]).tolist()
    [2.0, 0.5, 0.0]
    """
    exits, conversions, journeys = (np.asarray(x, dtype=float) for x in (exits, conversions, journeys))
    went_on = journeys - exits
    return exits * np.where(went_on > 0, conversions / np.maximum(went_on, 1), 0.0)


def _with_segment_tests(table: pd.DataFrame, level: float, adjust: Adjustment = "bh") -> pd.DataFrame:
    tests = {}
    for touchpoint, rows in table.groupby("touchpoint", sort=False):
        contingency = np.column_stack([rows["exits"], rows["journeys"] - rows["exits"]])
        tests[touchpoint] = independence_test(contingency)
    names = list(tests)
    pvalues = np.array([tests[t][0] for t in names])
    adjusted = dict(zip(names, adjust_pvalues(pvalues, adjust)))
    table["p_value"] = table["touchpoint"].map({t: tests[t][0] for t in names})
    table["p_adjusted"] = table["touchpoint"].map(adjusted)
    table["significant"] = (table["p_adjusted"] < 1 - level).fillna(False).astype(bool)
    table["test"] = table["touchpoint"].map({t: tests[t][1] for t in names})
    return table


def _with_baseline_differences(
    table: pd.DataFrame, by: str, base: Any, level: float, adjust: Adjustment = "bh"
) -> pd.DataFrame:
    """Each row's exit rate against the baseline segment's at the same touchpoint (Newcombe), adjusted over the table."""
    from .compare import _differences

    key = table[by].map(lambda v: MISSING if pd.isna(v) else v)
    is_base = np.array([k is base if k is MISSING or base is MISSING else bool(k == base) for k in key], dtype=bool)
    reference = table.loc[is_base, ["touchpoint", "exits", "journeys"]].set_index("touchpoint")
    ref = reference.reindex(table["touchpoint"])
    k0, n0 = ref["exits"].to_numpy(float), np.nan_to_num(ref["journeys"].to_numpy(float))
    k, n = table["exits"].to_numpy(float), table["journeys"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["baseline_exit_rate"] = np.where(n0 > 0, k0 / np.maximum(n0, 1), np.nan)
    # The baseline's own rows are not compared with themselves: no journeys on their side of the test.
    tests = _differences(np.where(is_base, 0, k), np.where(is_base, 0, n), np.nan_to_num(k0), n0, level, adjust)
    for column in tests.columns:
        name = column if column.startswith("difference") else f"difference_{column}"
        table[name] = tests[column].to_numpy()
    return table


def _by_loss(table: pd.DataFrame, by: str | None) -> pd.DataFrame:
    loss = table.groupby("touchpoint")["expected_lost_conversions"].sum(min_count=1)
    order = table.assign(_loss=table["touchpoint"].map(loss).fillna(-1))
    keys = ["_loss", "touchpoint"] + ([by] if by else [])
    ascending = [False, True] + ([True] if by else [])
    return (
        order.sort_values(keys, ascending=ascending, kind="stable", na_position="last")
        .drop(columns="_loss")
        .reset_index(drop=True)
    )


def compare_paths(
    log: LogLike,
    *,
    goal: Goal,
    unit: Unit = "user",
    gap: Duration = "30min",
    adjust: Adjustment = "bh",
    level: float = 0.95,
) -> PathComparison:
    """Transitions that converting journeys make more (or less) often than the other journeys.

    Parameters
    ----------
    log : EventLog, pandas.DataFrame or a log on Dask
        The events.
    goal : str or list of str
        The conversion event(s): a journey converts when it reaches any of them.
    unit : {"user", "session"}
        What one journey is: everything a user did, or one session.
    gap : str or pandas.Timedelta
        With ``unit="session"``, the inactivity that ends a session when the source has no session ids.
    adjust : {"bh", "holm", "by"}
        How the p-values are adjusted for their number: Benjamini-Hochberg (the false discovery rate, the
        default), Holm (the family-wise error rate) or Benjamini-Yekutieli (the false discovery rate under
        any dependence between the tests).
    level : float
        Confidence level of the intervals and of the ``significant`` flag, a share (0.95 for 95%).

    Returns
    -------
    PathComparison
        One row per transition (see :class:`PathComparison`), ``n_converted`` and ``n_other``.

    Raises
    ------
    JourneyError
        No goal, an unknown ``unit``, a ``gap`` that is not a positive duration, or a ``level`` outside (0, 1).
    UnknownEventError
        A goal that never occurs in the log.

    See Also
    --------
    drop_off : exit rates per touchpoint.
    markov : removal effects of an absorbing Markov model of the journeys.

    Notes
    -----
    Journeys are cut at their first goal event, so what happens after a conversion does not count, and
    transitions into the goal or to the end (which only say whether a journey converted) are left out.
    A journey's first touchpoint is the transition from ``journey.START``.

    For each remaining transition, the share of converting journeys that make it at least once and the
    share of the other journeys that do, each with its Wilson score interval; their ``difference`` (in
    shares, -1 to 1) with Newcombe's hybrid score interval [1]_; their ``ratio``; a two-sided test that
    the shares are equal, the p-value that inverts Newcombe's interval (``p_adjusted < 1 - level`` exactly
    when the interval excludes 0), and its adjustment across transitions (``adjust``, Benjamini-Hochberg
    [2]_ by default). Journeys are the units: a journey
    that makes a transition twice counts once, so the tests are on independent journeys.

    References
    ----------
    .. [1] R. G. Newcombe (1998), "Interval estimation for the difference between independent
       proportions: comparison of eleven methods", Statistics in Medicine 17(8), 873-890 (method 10).
    .. [2] Y. Benjamini and Y. Hochberg (1995), "Controlling the false discovery rate: a practical and
       powerful approach to multiple testing", Journal of the Royal Statistical Society B 57(1), 289-300.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> rows = [("u%d" % i, e) for i in range(40) for e in (["ad", "cart", "buy"] if i % 2 else ["ad", "faq"])]
    >>> df = pd.DataFrame(rows, columns=["user_id", "event"]).assign(
    ...     timestamp=pd.date_range("2025-01-01", periods=len(rows), freq="min", tz="UTC"))
    >>> c = journey.compare_paths(df, goal="buy")
    >>> c.to_frame()[["source", "target", "difference", "difference_ci_low", "significant"]].round(4)
        source target  difference  difference_ci_low  significant
    0       ad   cart         1.0             0.7721         True
    1       ad    faq        -1.0            -1.0000         True
    2  [start]     ad         0.0            -0.1611        False
    """
    return run(ComparePathsAnalysis(goal=goal, unit=unit, gap=gap, adjust=adjust, level=level), log)


@dataclass(frozen=True, repr=False, eq=False)
class PathComparison(TableResult):
    """The result of :func:`journey.compare_paths`: transition shares of converting and other journeys.

    Attributes
    ----------
    goal : tuple of str
        The conversion event(s).
    unit : {"user", "session"}
        What one journey is.
    level : float
        Confidence level of the intervals and of ``significant``.
    n_converted : int
        Converting journeys.
    n_other : int
        The other journeys.

    Notes
    -----
    :meth:`to_frame` has one row per transition: ``source``, ``target``, ``converted_share`` (of the
    converting journeys, the share making the transition) with ``converted_share_ci_low``,
    ``converted_share_ci_high``; ``other_share`` with ``other_share_ci_low``, ``other_share_ci_high``;
    ``difference`` (``converted_share - other_share``) with ``difference_ci_low``, ``difference_ci_high``; ``ratio``
    (``converted_share / other_share``); ``p_value``, ``p_adjusted``, ``significant``
    (``p_adjusted < 1 - level``); ``direction`` ("more" or "less" among converting journeys); the counts
    ``converted_journeys``, ``other_journeys`` (journeys making the transition), ``n_converted`` and
    ``n_other``. Shares are 0-1. Sorted by adjusted p-value (NaN last), then by the size of the
    difference, largest first, then by source and target. :meth:`confidence_interval` is the difference's.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> rows = [("u%d" % i, e) for i in range(40) for e in (["ad", "cart", "buy"] if i % 2 else ["ad", "faq"])]
    >>> df = pd.DataFrame(rows, columns=["user_id", "event"]).assign(
    ...     timestamp=pd.date_range("2025-01-01", periods=len(rows), freq="min", tz="UTC"))
    >>> c = journey.compare_paths(df, goal="buy")
    >>> print(repr(c).splitlines()[0])
    PathComparison: 20 converting and 20 other journeys (one per user); 2 of 3 transitions differ (Benjamini-Hochberg, false discovery rate 5%); largest: ad → cart +100.0 points (95% CI +77.2 to +100.0)
    """

    _table: pd.DataFrame
    goal: tuple[str, ...]
    unit: Unit
    level: float
    n_converted: int
    n_other: int
    adjust: Adjustment = "bh"

    _formats = {
        "converted_share": "share",
        "converted_share_ci_low": "share",
        "converted_share_ci_high": "share",
        "other_share": "share",
        "other_share_ci_low": "share",
        "other_share_ci_high": "share",
        "difference": "share",
        "difference_ci_low": "share",
        "difference_ci_high": "share",
        "p_value": "p",
        "p_adjusted": "p",
        "converted_journeys": "count",
        "other_journeys": "count",
        "n_converted": "count",
        "n_other": "count",
    }

    def confidence_interval(self, level: float | None = None, method: str | None = None) -> ConfidenceInterval:
        """Interval of each transition's difference in shares, as arrays aligned with :meth:`to_frame`.

        Parameters
        ----------
        level : float, optional
            Confidence level; the result's own ``level`` when not given.
        method : {"newcombe"}, optional
            Newcombe's hybrid score interval, the only one offered.

        Returns
        -------
        ConfidenceInterval
            ``low`` and ``high``, differences of shares (-1 to 1).

        Raises
        ------
        JourneyError
            Another ``method``, or a ``level`` outside (0, 1).

        Examples
        --------
        >>> import pandas as pd, journey
        >>> rows = [("u%d" % i, e) for i in range(40) for e in (["ad", "cart", "buy"] if i % 2 else ["ad", "faq"])]
        >>> df = pd.DataFrame(rows, columns=["user_id", "event"]).assign(
        ...     timestamp=pd.date_range("2025-01-01", periods=len(rows), freq="min", tz="UTC"))
        >>> low, high = journey.compare_paths(df, goal="buy").confidence_interval(level=0.99)
        >>> print(f"{low[0]:.4f} {high[0]:.4f}")
        0.6477 1.0000
        """
        if method not in (None, "newcombe"):
            raise JourneyError(f'{option("method")} must be "newcombe" for a difference of shares, not {method!r}')
        chosen = self.level if level is None else check_level(level)
        low, high = newcombe_interval(
            self._table["converted_journeys"], self.n_converted, self._table["other_journeys"], self.n_other, chosen
        )
        return ConfidenceInterval(np.asarray(low, dtype=float), np.asarray(high, dtype=float))

    def plot(self, ax: Axes | None = None, *, top: int = 15, **kwargs: Any) -> Axes:
        """The ``top`` largest differences as a forest plot: each difference with its interval.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when not given.
        top : int
            How many transitions to draw, the largest absolute differences.
        **kwargs
            Passed to :meth:`matplotlib.axes.Axes.errorbar` (``markersize``, ...).

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        JourneyError
            ``top`` is not a whole number of at least 1, or an unknown ``order``.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import pandas as pd, journey
        >>> rows = [("u%d" % i, e) for i in range(40) for e in (["ad", "cart", "buy"] if i % 2 else ["ad", "faq"])]
        >>> df = pd.DataFrame(rows, columns=["user_id", "event"]).assign(
        ...     timestamp=pd.date_range("2025-01-01", periods=len(rows), freq="min", tz="UTC"))
        >>> ax = journey.compare_paths(df, goal="buy").plot(top=2)
        >>> [t.get_text() for t in ax.get_yticklabels()]
        ['ad → faq', 'ad → cart']
        """
        from ..plot.funnels import path_forest

        return path_forest(self._table, level=self.level, top=top, ax=ax, **kwargs)

    def _headline(self) -> str:
        unit = "user" if self.unit == "user" else "session"
        text = f"{self.n_converted:,} converting and {self.n_other:,} other journeys (one per {unit})"
        tested = self._table["p_value"].notna()
        if not tested.any():
            return text + "; no transition could be compared"
        text += (
            f"; {int(self._table['significant'].sum()):,} of {int(tested.sum()):,} transitions differ "
            f"({adjustment_label(self.adjust, self.level)})"
        )
        row = self._table.loc[self._table["difference"].abs().idxmax()]
        low, high = _points(row["difference_ci_low"]), _points(row["difference_ci_high"])
        return (
            text + f"; largest: {row['source']} → {row['target']} {_points(row['difference'])} points "
            f"({self.level * 100:g}% CI {low} to {high})"
        )


def _points(share_difference: float) -> str:
    return f"{share_difference * 100:+.1f}"


def plot_compare_paths(result: PathComparison, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Draw the largest differences of a :func:`journey.compare_paths` result with their intervals.

    Parameters
    ----------
    result : PathComparison
        What :func:`journey.compare_paths` returns.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.
    **kwargs
        Passed to :meth:`PathComparison.plot` (``top=``) and on to :meth:`matplotlib.axes.Axes.errorbar`.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    JourneyError
        ``result`` is not a :class:`PathComparison` (a DataFrame, for instance).

    See Also
    --------
    PathComparison.plot : the same picture, as a method.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import pandas as pd, journey
    >>> rows = [("u%d" % i, e) for i in range(40) for e in (["ad", "cart", "buy"] if i % 2 else ["ad", "faq"])]
    >>> df = pd.DataFrame(rows, columns=["user_id", "event"]).assign(
    ...     timestamp=pd.date_range("2025-01-01", periods=len(rows), freq="min", tz="UTC"))
    >>> journey.plot_compare_paths(journey.compare_paths(df, goal="buy")).get_title()
    'Transitions converting journeys use more, or less'
    """
    if not isinstance(result, PathComparison):
        raise JourneyError(
            f"plot_compare_paths draws the result of journey.compare_paths(...), not a {type(result).__name__}"
        )
    return result.plot(ax=ax, **kwargs)


class ComparePathsAnalysis(JourneyAnalysis):
    """Journeys making each transition (before their first goal), converting and not, keyed by names."""

    unit: Unit

    def __init__(self, *, goal: Goal, unit: Unit, gap: Duration, adjust: Adjustment, level: float) -> None:
        super().__init__(goal=goal, unit=unit, gap=gap)
        if not self.goals:
            raise JourneyError(f"compare_paths needs a goal: name the conversion event(s) with {option('goal')}")
        self.level, self.adjust = check_level(level), check_adjust(adjust)

    def partial(self, log: EventLog, facts: Facts) -> Parts:
        journeys, goals = self.journeys(log)
        converted = journeys.converted(goals)
        journeys = journeys.until_first(goals)
        k = len(journeys.names)
        width = k + 2
        step = journeys.inner()[:-1]
        edge = np.concatenate(
            [
                journeys.events[:-1][step].astype(np.int64) * width + journeys.events[1:][step],
                k * width + journeys.events[journeys.starts].astype(np.int64),
            ]
        )
        owner = np.concatenate([journeys.journey[:-1][step], np.arange(journeys.n_journeys)])
        observed, ids = observed_codes(edge, width * width)
        order = np.argsort(owner, kind="stable")
        pairs = distinct_pairs(owner[order], ids[order], len(observed))
        used_by, code = pairs // len(observed), pairs % len(observed)
        names = np.array([*journeys.names, START, END], dtype=object)
        index = pd.MultiIndex(
            levels=[names, names],
            codes=[observed // width, observed % width],
            names=["source", "target"],
            verify_integrity=False,
        )
        return Parts(
            edges=Keyed(
                index,
                {
                    "converted": np.bincount(code[converted[used_by]], minlength=len(observed)),
                    "other": np.bincount(code[~converted[used_by]], minlength=len(observed)),
                },
            ),
            n_converted=int(converted.sum()),
            n_other=int((~converted).sum()),
        )

    def finish(self, total: Parts, facts: Facts) -> PathComparison:
        edges = total["edges"].frame()
        edges = edges[~edges.index.get_level_values(1).isin(self.goals)]
        rank = {name: i for i, name in enumerate([*facts.touchpoints, START, END])}
        sources, targets = edges.index.get_level_values(0), edges.index.get_level_values(1)
        edges = edges.iloc[np.lexsort((targets.map(rank).to_numpy(), sources.map(rank).to_numpy()))]
        n_converted, n_other = int(total["n_converted"]), int(total["n_other"])
        table = _compare_table(edges, n_converted, n_other, self.level, self.adjust)
        return PathComparison(table, tuple(self.goals), self.unit, self.level, n_converted, n_other, self.adjust)


def _compare_table(
    edges: pd.DataFrame, n_conv: int, n_other: int, level: float, adjust: Adjustment = "bh"
) -> pd.DataFrame:
    k1, k2 = edges["converted"].to_numpy(), edges["other"].to_numpy()
    converted_low, converted_high = wilson_interval(k1, n_conv, level)
    other_low, other_high = wilson_interval(k2, n_other, level)
    low, high = newcombe_interval(k1, n_conv, k2, n_other, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        table = pd.DataFrame(
            {
                "source": list(edges.index.get_level_values(0)),
                "target": list(edges.index.get_level_values(1)),
                "converted_share": k1 / n_conv,
                "converted_share_ci_low": converted_low,
                "converted_share_ci_high": converted_high,
                "other_share": k2 / n_other,
                "other_share_ci_low": other_low,
                "other_share_ci_high": other_high,
            }
        )
        table["difference"] = table["converted_share"] - table["other_share"]
        table["difference_ci_low"], table["difference_ci_high"] = low, high
        table["ratio"] = table["converted_share"] / table["other_share"]
    # The p-value that inverts the Newcombe interval shown beside it: p < 1 - level exactly when it excludes 0.
    table["p_value"] = newcombe_pvalue(k1, n_conv, k2, n_other)
    table["p_adjusted"] = adjust_pvalues(table["p_value"], adjust)
    table["significant"] = (table["p_adjusted"] < 1 - level).fillna(False).astype(bool)
    table["direction"] = np.where(table["difference"] >= 0, "more", "less")
    table["converted_journeys"], table["other_journeys"] = k1, k2
    table["n_converted"], table["n_other"] = n_conv, n_other
    order = table.assign(_size=-table["difference"].abs())
    return (
        order.sort_values(["p_adjusted", "_size", "source", "target"], kind="stable", na_position="last")
        .drop(columns="_size")
        .reset_index(drop=True)
    )
