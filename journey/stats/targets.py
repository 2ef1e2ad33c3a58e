"""KPI/KGI scorecard: targets judged with their uncertainty, not with a bare number.

:func:`kpi` reads any result through the protocol of :mod:`journey.stats.results` (its ``overall`` when it
has one, then ``estimate``, ``unit`` and ``confidence_interval(level)``); the definitions of ``status`` and
``confidence_met`` are in the Notes of :class:`KPI`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ..errors import JourneyError
from .net_promoter import NPSResult, _wald_parts
from .proportions import ProportionResult, level_label
from .results import ConfidenceInterval, Result, Unit, check_level, format_value, formatted

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["kpi", "scorecard", "KPI", "Scorecard", "Status"]

#: Whether a target is met: the whole interval on the good side, wholly on the bad side, or neither.
Status = Literal["met", "missed", "inconclusive"]
#: Colour of each status in the HTML display and the chart.
STATUS_COLOURS = {"met": "#1a7f37", "missed": "#cf222e", "inconclusive": "#9a6700"}


def _shown_value(value: float, unit: str) -> str:
    """A KPI number in its unit: shares as percentages, NPS points signed, anything else as a number."""
    return format_value(value, unit if unit in ("share", "points", "days") else "")


@dataclass(frozen=True, repr=False)
class KPI(Result):
    """A measured indicator, its interval and its target.

    Build it with :func:`kpi`.

    Attributes
    ----------
    name : str
        What the indicator is called on the scorecard.
    estimate, low, high : float
        The estimate and its interval, in ``unit``.
    target : float
        The target, in ``unit``.
    higher_is_better : bool
        Whether the target is a floor (True) or a ceiling (False).
    kind : {"KPI", "KGI"}
        A key performance indicator, or a key goal indicator (listed first on a scorecard).
    level : float
        Confidence level of the interval.
    unit : {"share", "points", "days", ""}
        The unit of the numbers: a share 0-1, NPS points, days, or a plain number.
    confidence_met : float
        One-sided confidence (0-1) that the target is met, from the test the interval inverts (see Notes).

    See Also
    --------
    kpi, scorecard

    Notes
    -----
    ``status`` is ``"met"`` when the whole interval is on the good side of the target (the bound nearest the
    target may touch it), ``"missed"`` when the whole interval is strictly on the bad side, ``"inconclusive"``
    otherwise.

    ``confidence_met`` is the one-sided confidence that the target is met: the confidence ``c`` at which
    the one-sided bound on the good side of the estimate (the lower bound when higher is better) falls
    exactly on the target. It inverts the same test as the interval: a two-sided interval at level ``L``
    is made of the one-sided bounds at ``(1 + L) / 2``, so ``status`` is ``"met"`` exactly when
    ``confidence_met >= (1 + L) / 2`` (0.975 at 95%), ``"missed"`` exactly when
    ``confidence_met < (1 - L) / 2`` (0.025) and ``"inconclusive"`` in between; ``1 - confidence_met`` is
    the one-sided p-value of the hypothesis that the target is not met. It does not depend on ``level``.
    It is a confidence, not the probability that the target is met (which would need a prior). Per
    result, the test inverted is the one of the result's default interval:

    * a share (:class:`~journey.ProportionResult`: CSAT, repeat rate, a funnel's or graph's conversion):
      the Wilson score test, ``Phi((p - t) / sqrt(t (1 - t) / n))`` for ``k`` of ``n``, ``p = k / n``,
      target ``t`` strictly between 0 and 1 (Wilson 1927). The bounds never leave [0, 1]: a target at 0
      or below gives 1, at 1 or above 0, except a target of exactly 1 when ``k = n``, which every
      interval reaches and none clears: 0.5 (0 and ``k = 0`` alike when lower is better);
    * an NPS (:class:`~journey.NPSResult`): the adjusted Wald statistic ``Phi((c - t) / se)``, centre ``c``
      and standard error ``se`` with Rocks' pseudo-counts, the interval being clipped at -100 and +100;
    * any other result (a difference, churn, stickiness): found by bisection on the level of the result's
      ``confidence_interval(level)``, to 1e-13;
    * an ``(estimate, low, high)`` tuple: the interval is taken as a normal one, symmetric about its
      midpoint ``m`` with ``se = (high - low) / (2 z)``: ``Phi((m - t) / se)`` (1 or 0 for an interval of
      no width).

    With ``higher_is_better=False`` the sides swap: ``confidence_met`` is then the confidence that the
    true value is at or below the target.

    Examples
    --------
    >>> import journey
    >>> k = kpi("CSAT", journey.proportion(160, 200), target=0.7)
    >>> k
    KPI: CSAT 80.0% (95% CI 73.9% to 85.0%) against the target 70.0% (higher is better): met, one-sided confidence 99.9%
    >>> k.status, round(k.confidence_met, 5)
    ('met', 0.99899)
    >>> journey.kpi("uptime", journey.proportion(19, 20), target=0.995).confidence_met < 0.025   # missed
    True
    """

    name: str
    estimate: float
    low: float
    high: float
    target: float
    higher_is_better: bool
    kind: Literal["KPI", "KGI"]
    level: float
    unit: Unit
    confidence_met: float

    @property
    def status(self) -> Status:
        """``"met"``, ``"missed"`` or ``"inconclusive"``: where the interval lies against the target (see Notes)."""
        return _status(self.low, self.high, self.target, self.higher_is_better)

    @property
    def direction(self) -> str:
        """``"higher is better"`` or ``"lower is better"``."""
        return "higher is better" if self.higher_is_better else "lower is better"

    def confidence_interval(self, level: float | None = None, method: str | None = None) -> ConfidenceInterval:
        """The indicator's interval, at the level it was measured at.

        A KPI holds the interval of its result, not the result: for another level or method, call
        :func:`kpi` again with ``level=`` or with the interval of your choice.

        Parameters
        ----------
        level : float, optional
            Must be the KPI's own :attr:`level` when given.
        method : None
            Must not be given.

        Returns
        -------
        ConfidenceInterval
            ``low`` and ``high``, in :attr:`unit`.

        Raises
        ------
        JourneyError
            For another level, or any method.

        Examples
        --------
        >>> kpi("CSAT", (0.8, 0.75, 0.85), target=0.7).confidence_interval()
        ConfidenceInterval(low=0.75, high=0.85)
        """
        if (level is not None and check_level(level) != self.level) or method is not None:
            raise JourneyError(
                f"the KPI {self.name!r} holds its interval at {level_label(self.level)} only; "
                f"call journey.kpi(..., level=...) on the result for another level or method"
            )
        return ConfidenceInterval(self.low, self.high)

    def to_frame(self) -> pd.DataFrame:
        """One row, the columns of :meth:`Scorecard.to_frame`.

        Examples
        --------
        >>> list(kpi("CSAT", (0.8, 0.75, 0.85), target=0.7).to_frame().columns)
        ['kind', 'indicator', 'estimate', 'ci_low', 'ci_high', 'level', 'unit', 'target', 'direction', 'status', 'confidence_met']
        """
        return pd.DataFrame(
            [
                {
                    "kind": self.kind,
                    "indicator": self.name,
                    "estimate": self.estimate,
                    "ci_low": self.low,
                    "ci_high": self.high,
                    "level": self.level,
                    "unit": self.unit,
                    "target": self.target,
                    "direction": self.direction,
                    "status": self.status,
                    "confidence_met": self.confidence_met,
                }
            ]
        )

    def _numbers(self) -> tuple[str, str, str]:
        return (
            _shown_value(self.estimate, self.unit),
            f"{_shown_value(self.low, self.unit)} to {_shown_value(self.high, self.unit)}",
            _shown_value(self.target, self.unit),
        )

    def _headline(self) -> str:
        estimate, interval, target = self._numbers()
        return (
            f"{self.name} {estimate} ({level_label(self.level)} CI {interval}) against the target {target} "
            f"({self.direction}): {self.status}, one-sided confidence {_shown_confidence(self.confidence_met)}"
        )


def kpi(
    name: str,
    result: Any,
    *,
    target: float,
    higher_is_better: bool = True,
    kind: Literal["KPI", "KGI"] = "KPI",
    level: float = 0.95,
) -> KPI:
    """An indicator with a target, from any result with an estimate and an interval.

    Parameters
    ----------
    name : str
        What the indicator is called on the scorecard.
    result : result or (float, float, float)
        A result of ``journey`` with ``estimate``, ``unit`` and ``confidence_interval(level)`` (an NPS, a
        proportion, a difference), or a table result whose ``overall`` has them (a funnel's overall
        conversion, an NPS table's overall NPS); or a plain ``(estimate, low, high)`` tuple, unit-less.
    target : float
        The target, in the result's unit: NPS in points, proportions (CSAT, churn, repeat rate, conversion)
        as shares 0-1, so "churn below 5%" is ``target=0.05, higher_is_better=False``.
    higher_is_better : bool
        Whether the target is a floor (True) or a ceiling (False).
    kind : {"KPI", "KGI"}
        A key performance indicator or a key goal indicator.
    level : float
        Confidence level of the interval read from the result (ignored for a tuple, which is taken as an
        interval at this level).

    Returns
    -------
    KPI
        With its ``status`` and ``confidence_met`` (see :class:`KPI`).

    Raises
    ------
    JourneyError
        When ``result`` has neither the protocol's ``estimate``, ``unit`` and ``confidence_interval`` nor an
        ``overall`` that has them and is not a tuple of three numbers; when its estimate or interval is
        missing (no data) or the interval does not contain the estimate; for a bad ``kind``, ``target`` or
        ``level``.

    See Also
    --------
    scorecard

    Notes
    -----
    The status compares the whole interval with the target: ``met`` when it lies entirely on the good
    side, ``missed`` when entirely on the bad side, ``inconclusive`` when it straddles the target. This is
    the two one-sided tests reading of a confidence interval (Schuirmann 1987, "A comparison of the two
    one-sided tests procedure...", *Journal of Pharmacokinetics and Biopharmaceutics* 15): at level L,
    ``met`` and ``missed`` are each claimed with error at most (1 - L) / 2. ``confidence_met`` is the
    one-sided confidence of the same test, read where the interval's bound would touch the target
    (definitions per result in :class:`KPI`): ``met`` exactly when it is at least (1 + L) / 2.

    Examples
    --------
    >>> import journey
    >>> score = journey.nps_from_counts(promoters=50, passives=30, detractors=20)
    >>> journey.kpi("NPS", score, target=10)
    KPI: NPS +30.0 (95% CI +14.1 to +44.2) against the target +10.0 (higher is better): met, one-sided confidence 99.4%
    >>> journey.kpi("NPS", score, target=20).status
    'inconclusive'
    >>> journey.kpi("churn", journey.proportion(12, 200), target=0.05, higher_is_better=False).status
    'inconclusive'
    """
    if kind not in ("KPI", "KGI"):
        raise JourneyError(f'kind must be "KPI" or "KGI", not {kind!r}')
    level = check_level(level)
    if isinstance(target, bool) or not isinstance(target, (int, float)) or not math.isfinite(target):
        raise JourneyError(f"target must be a finite number in the result's unit, not {target!r}")
    estimate, low, high, unit = _reading(name, result, level)
    target, better = float(target), bool(higher_is_better)
    confidence = _confidence_met(getattr(result, "overall", result), low, high, target, better, level)
    return KPI(str(name), estimate, low, high, target, better, kind, level, unit, confidence)


def _shown_confidence(value: float) -> str:
    """A confidence as a percentage with one decimal, never rounded up to 100% or down to 0%."""
    if value > 0.999:
        return ">99.9%"
    if value < 0.001:
        return "<0.1%"
    return f"{value:.1%}"


def _phi(x: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    return np.asarray(ndtr(x), dtype=float)


def _share_confidence(k: ArrayLike, n: ArrayLike, target: ArrayLike, higher_is_better: bool) -> np.ndarray:
    """One-sided confidence that a share meets ``target``, inverting the Wilson score test (element-wise).

    With lower is better, the confidence that the share is at most ``target`` is the confidence that the
    complementary share ``(n - k) / n`` is at least ``1 - target``: the Wilson interval is symmetric so.
    """
    k, n, t = (np.asarray(x, dtype=float) for x in (k, n, target))
    if not higher_is_better:
        k, t = n - k, 1 - t
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (k / n - t) / np.sqrt(t * (1 - t) / n)
        inside = _phi(z)
    # At or beyond the ends the lower bound (never below 0, at most 1) settles it; a target of exactly 1
    # with every answer a success is inside every interval, as it is at the limit t -> 1.
    return np.select([t <= 0, (t == 1) & (k == n), t >= 1], [1.0, 0.5, 0.0], inside)


def _points_confidence(
    promoters: ArrayLike, passives: ArrayLike, detractors: ArrayLike, target: ArrayLike, higher_is_better: bool
) -> np.ndarray:
    """One-sided confidence that an NPS meets ``target`` (points), inverting its adjusted Wald interval.

    With lower is better, swapping promoters and detractors turns the NPS and its interval into their
    negatives (the pseudo-counts are symmetric), so the confidence is that of ``-target`` with them swapped.
    """
    p, a, d, t = (np.asarray(x, dtype=float) for x in (promoters, passives, detractors, target))
    if not higher_is_better:
        p, d, t = d, p, -t
    centre, se = _wald_parts(p, a, d, adjusted=True)
    inside = _phi((100 * centre - t) / (100 * se))
    # The interval is clipped to [-100, 100]: its lower bound is never below -100, never above +100.
    return np.select([t <= -100, t > 100], [1.0, 0.0], inside)


def _normal_confidence(low: float, high: float, target: float, higher_is_better: bool, level: float) -> float:
    """One-sided confidence that a normal interval symmetric about its midpoint meets ``target``."""
    if not higher_is_better:
        low, high, target = -high, -low, -target
    if high == low:
        return float(low >= target)
    se = (high - low) / (2 * NormalDist().inv_cdf(0.5 + level / 2))
    return float(_phi(np.asarray(((low + high) / 2 - target) / se)))


def _inverted(
    bounds: Callable[[float], tuple[float, float]], target: float, higher_is_better: bool, level: float
) -> float:
    """One-sided confidence that ``target`` is met, from an interval known at every level: ``bounds(L)``.

    The bound nearest the target is moved by bisection on the level until it touches the target. Every
    search starts from the KPI's own level on the side its status says, and returns the end of the
    bracket on that side, so the bisection's tolerance can never put the confidence across the status.
    """

    def near(lv: float) -> float:  # the bound on the good side, oriented so that "met" is near >= target
        low, high = bounds(lv)
        return float(low) if higher_is_better else -float(high)

    def far(lv: float) -> float:
        low, high = bounds(lv)
        return float(high) if higher_is_better else -float(low)

    goal = target if higher_is_better else -target
    smallest, largest = 1e-12, 1 - 1e-12
    if near(level) >= goal:  # met: c = (1 + L*) / 2 with L* >= level, where the near bound touches
        if near(largest) >= goal:
            return 1.0
        return (1 + _last(near, goal, level, largest)) / 2
    if far(level) < goal:  # missed: c = (1 - L*) / 2 with L* > level, where the far bound touches
        if far(largest) < goal:
            return 0.0
        return (1 - _first(far, goal, level, largest)) / 2
    if near(smallest) >= goal:  # inconclusive, the target below the interval's centre
        return (1 + _last(near, goal, smallest, level)) / 2
    if far(smallest) >= goal:
        return 0.5
    return (1 - _first(far, goal, smallest, level)) / 2


def _last(f: Callable[[float], float], goal: float, a: float, b: float) -> float:
    """The largest level found where ``f >= goal``, for ``f`` decreasing with ``f(a) >= goal > f(b)``."""
    for _ in range(45):  # the level to 3e-14
        middle = (a + b) / 2
        a, b = (middle, b) if f(middle) >= goal else (a, middle)
    return a


def _first(f: Callable[[float], float], goal: float, a: float, b: float) -> float:
    """The smallest level found where ``f >= goal``, for ``f`` increasing with ``f(a) < goal <= f(b)``."""
    for _ in range(45):  # the level to 3e-14
        middle = (a + b) / 2
        a, b = (a, middle) if f(middle) >= goal else (middle, b)
    return b


def _confidence_met(source: Any, low: float, high: float, target: float, higher_is_better: bool, level: float) -> float:
    """``KPI.confidence_met`` of the result (or tuple) ``source`` whose interval at ``level`` is (low, high)."""
    if isinstance(source, tuple):
        closed_form = _normal_confidence(low, high, target, higher_is_better, level)
    elif type(source) is ProportionResult:
        closed_form = float(_share_confidence(source.k, source.n, target, higher_is_better))
    elif type(source) is NPSResult:
        closed_form = float(
            _points_confidence(source.promoters, source.passives, source.detractors, target, higher_is_better)
        )
    else:
        return _inverted(lambda lv: tuple(source.confidence_interval(lv)), target, higher_is_better, level)
    return _on_the_side_of(closed_form, _status(low, high, target, higher_is_better), level)


def _on_the_side_of(confidence: float, status: Status, level: float) -> float:
    """A closed-form confidence kept on the side of its status.

    The closed forms are exact inversions, but a target lying on the interval's bound itself (where the
    confidence is exactly (1 + level) / 2 or (1 - level) / 2) is reached through other floating-point
    operations than the bound: rounding can put the confidence a hair across. Elsewhere this changes nothing.
    """
    met_from, missed_below = (1 + level) / 2, (1 - level) / 2
    if status == "met":
        return max(confidence, met_from)
    if status == "missed":
        return min(confidence, float(np.nextafter(missed_below, 0)))
    return min(max(confidence, missed_below), float(np.nextafter(met_from, 0)))


def _status(low: float, high: float, target: float, higher_is_better: bool) -> Status:
    """Where the interval lies against the target (see :class:`KPI`)."""
    good_low, good_high = (low, high) if higher_is_better else (-high, -low)
    goal = target if higher_is_better else -target
    if good_low >= goal:
        return "met"
    if good_high < goal:
        return "missed"
    return "inconclusive"


def _reading(name: str, result: Any, level: float) -> tuple[float, float, float, Unit]:
    """(estimate, low, high, unit) of ``result`` through the result protocol, or of a (value, low, high) tuple."""
    if isinstance(result, tuple):
        try:
            estimate, low, high = (float(x) for x in result)
        except (TypeError, ValueError):
            raise JourneyError(
                f"kpi {name!r}: a tuple must be three numbers (estimate, low, high), not {result!r}"
            ) from None
        unit: Unit = ""
    elif isinstance(result, (pd.DataFrame, pd.Series)):
        raise JourneyError(
            f"kpi {name!r} takes a result of journey (not its to_frame() table) or an (estimate, "
            f"low, high) tuple, not a {type(result).__name__}"
        )
    else:
        source = getattr(result, "overall", result)
        lacking = [a for a in ("estimate", "unit", "confidence_interval") if not hasattr(source, a)]
        if lacking:
            raise JourneyError(
                f"kpi {name!r} needs a result with estimate, unit and confidence_interval(level) (journey.nps, "
                f"journey.proportion, ...), a table result whose overall has them, or an (estimate, low, high) "
                f"tuple; {type(result).__name__} has no {', '.join(lacking)}"
            )
        low, high = source.confidence_interval(level)
        estimate, low, high, unit = float(source.estimate), float(low), float(high), source.unit
    if any(math.isnan(x) for x in (estimate, low, high)):
        raise JourneyError(f"kpi {name!r}: the result has no estimate or no interval (no data?)")
    if not low <= estimate <= high:
        raise JourneyError(f"kpi {name!r}: the interval {low:g} to {high:g} does not contain the estimate {estimate:g}")
    return estimate, low, high, unit


@dataclass(frozen=True, repr=False)
class Scorecard(Result):
    """KPIs and KGIs in one table, each judged against its target with its interval.

    Build it with :func:`scorecard`.

    Attributes
    ----------
    items : tuple of KPI
        The indicators: KGIs first, then KPIs, each in the order given.

    See Also
    --------
    scorecard, kpi

    Examples
    --------
    >>> import journey
    >>> card = scorecard([kpi("CSAT", journey.proportion(160, 200), target=0.7),
    ...                   kpi("NPS", (10.0, -4.0, 24.0), target=12, kind="KGI")])
    >>> card
    Scorecard: 2 indicators: 1 met, 0 missed, 1 inconclusive
    kind indicator estimate         95% CI target        direction       status confidence met
     KGI       NPS       10       -4 to 24     12 higher is better inconclusive          39.0%
     KPI      CSAT    80.0% 73.9% to 85.0%  70.0% higher is better          met          99.9%
    """

    items: tuple[KPI, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per indicator, KGIs first then KPIs in the order given.

        Columns: ``kind``, ``indicator``, ``estimate``, ``ci_low``, ``ci_high`` (in ``unit``), ``level``,
        ``unit``, ``target``, ``direction``, ``status`` and ``confidence_met`` (0-1, see :class:`KPI`).

        Examples
        --------
        >>> card = scorecard([kpi("CSAT", (0.8, 0.75, 0.85), target=0.7)])
        >>> card.to_frame()[["indicator", "estimate", "ci_low", "ci_high", "status"]]
          indicator  estimate  ci_low  ci_high status
        0      CSAT       0.8    0.75     0.85    met
        """
        return pd.concat([k.to_frame() for k in self.items], ignore_index=True)

    def _interval_header(self) -> str:
        levels = {k.level for k in self.items}
        return f"{level_label(levels.pop())} CI" if len(levels) == 1 else "CI (level)"

    def _shown(self) -> pd.DataFrame:
        mixed = len({k.level for k in self.items}) > 1
        rows = []
        for k in self.items:
            estimate, interval, target = k._numbers()
            rows.append(
                {
                    "kind": k.kind,
                    "indicator": k.name,
                    "estimate": estimate,
                    self._interval_header(): interval + (f" ({level_label(k.level)})" if mixed else ""),
                    "target": target,
                    "direction": k.direction,
                    "status": k.status,
                    "confidence met": _shown_confidence(k.confidence_met),
                }
            )
        return pd.DataFrame(rows)

    def _headline(self) -> str:
        statuses: list[str] = [k.status for k in self.items]
        return f"{len(self.items):,} indicator{'s' if len(self.items) != 1 else ''}: " + ", ".join(
            f"{statuses.count(s)} {s}" for s in STATUS_COLOURS
        )

    def _repr_html_(self) -> str:
        headline, table = self._headline(), formatted(self._shown(), self._formats)
        header = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
        body = "".join(
            "<tr>"
            + "".join(
                f"<td style='color:{STATUS_COLOURS[value]}'><b>{html.escape(value)}</b></td>"
                if column == "status"
                else f"<td>{html.escape(str(value))}</td>"
                for column, value in row.items()
            )
            + "</tr>"
            for row in table.to_dict("records")
        )
        return (
            f'<div class="journey-result"><p><b>Scorecard</b>: {html.escape(headline)}</p>'
            f'<table class="journey-table"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table></div>'
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Each indicator's interval against its target, one row each, coloured by status.

        Indicators have different units, so each row has its own scale, its target in the middle and the
        side that meets it shaded; the numbers and the status are written beside it.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when not given.
        **kwargs
            Passed to ``Axes.errorbar``.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> ax = scorecard([kpi("CSAT", (0.8, 0.75, 0.85), target=0.7)]).plot()
        >>> [t.get_text() for t in ax.get_yticklabels()]
        ['KPI CSAT']
        """
        from ..plot.nps import draw_targets

        texts = [
            f"{e} ({i}) vs {t}" + ("" if k.higher_is_better else ", lower is better")
            for k, (e, i, t) in ((k, k._numbers()) for k in self.items)
        ]
        return draw_targets(
            [f"{k.kind} {k.name}" for k in self.items],
            [k.estimate for k in self.items],
            [k.low for k in self.items],
            [k.high for k in self.items],
            [k.target for k in self.items],
            [k.status for k in self.items],
            texts,
            higher_is_better=[k.higher_is_better for k in self.items],
            ax=ax,
            title=f"Scorecard ({self._interval_header()})",
            **kwargs,
        )


def scorecard(items: Iterable[KPI]) -> Scorecard:
    """Gather :func:`kpi` results into a :class:`Scorecard`: KGIs first, then KPIs, each in the order given.

    Parameters
    ----------
    items : iterable of KPI
        At least one indicator.

    Returns
    -------
    Scorecard

    Raises
    ------
    JourneyError
        When ``items`` is empty or holds anything but :func:`kpi` results.

    See Also
    --------
    kpi

    Examples
    --------
    >>> card = scorecard([kpi("CSAT", (0.8, 0.75, 0.85), target=0.7),
    ...                   kpi("churn", (0.2, 0.18, 0.22), target=0.1, higher_is_better=False, kind="KGI")])
    >>> card.to_frame()["indicator"].tolist(), card.to_frame()["status"].tolist()
    (['churn', 'CSAT'], ['missed', 'met'])
    """
    listed = list(items)
    if not listed or not all(isinstance(i, KPI) for i in listed):
        raise JourneyError("scorecard takes a non-empty list of journey.kpi(...) results")
    return Scorecard(tuple(sorted(listed, key=lambda k: k.kind != "KGI")))
