"""KPI/KGI scorecard: targets judged with their uncertainty, not with a bare number.

:func:`kpi` reads any result through the protocol of :mod:`journey.stats.results` (its ``overall`` when it
has one, then ``estimate``, ``unit`` and ``confidence_interval(level)``); the definitions of ``status`` and
``probability_met`` are in the Notes of :class:`KPI`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from ..errors import JourneyError
from .proportions import level_label
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

    See Also
    --------
    kpi, scorecard

    Notes
    -----
    ``status`` is ``"met"`` when the whole interval is on the good side of the target (the bound nearest the
    target may touch it), ``"missed"`` when the whole interval is strictly on the bad side, ``"inconclusive"``
    otherwise.

    ``probability_met`` is the normal approximation built from the interval alone: a normal distribution
    centred on ``estimate`` with standard deviation ``se = (high - low) / (2 z)``, ``z`` the two-sided normal
    quantile of ``level``, and ``probability_met`` = P(X >= target) when higher is better, P(X <= target)
    otherwise. With an interval of zero width it is 1 when the estimate is on the good side or at the target,
    else 0. Read it as the posterior probability under a flat prior of that normal approximation, not as a
    frequentist probability; it ignores any asymmetry of the interval (Wilson near 0 or 1, an NPS interval
    clipped at +/-100), so near the bounds it can disagree with ``status``.

    Examples
    --------
    >>> import journey
    >>> k = kpi("CSAT", journey.proportion(160, 200), target=0.7)
    >>> k
    KPI: CSAT 80.0% (95% CI 73.9% to 85.0%) against the target 70.0% (higher is better): met, P(target met) 100%
    >>> k.status, round(k.probability_met, 4)
    ('met', 0.9998)
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

    @property
    def status(self) -> Status:
        """``"met"``, ``"missed"`` or ``"inconclusive"``: where the interval lies against the target (see Notes)."""
        good_low, good_high = (self.low, self.high) if self.higher_is_better else (-self.high, -self.low)
        target = self.target if self.higher_is_better else -self.target
        if good_low >= target:
            return "met"
        if good_high < target:
            return "missed"
        return "inconclusive"

    @property
    def probability_met(self) -> float:
        """The normal approximation of P(target met), 0-1, from the estimate and the interval's width (see Notes)."""
        z = NormalDist().inv_cdf(0.5 + self.level / 2)
        se = (self.high - self.low) / (2 * z)
        if se <= 0:
            return float((self.estimate >= self.target) == self.higher_is_better or self.estimate == self.target)
        p_above = 1 - NormalDist(self.estimate, se).cdf(self.target)
        return p_above if self.higher_is_better else 1 - p_above

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
            raise JourneyError(f"the KPI {self.name!r} holds its interval at {level_label(self.level)} only; "
                               f"call journey.kpi(..., level=...) on the result for another level or method")
        return ConfidenceInterval(self.low, self.high)

    def to_frame(self) -> pd.DataFrame:
        """One row, the columns of :meth:`Scorecard.to_frame`.

        Examples
        --------
        >>> list(kpi("CSAT", (0.8, 0.75, 0.85), target=0.7).to_frame().columns)
        ['kind', 'indicator', 'estimate', 'ci_low', 'ci_high', 'level', 'unit', 'target', 'direction', 'status', 'probability_met']
        """
        return pd.DataFrame([{"kind": self.kind, "indicator": self.name, "estimate": self.estimate,
                              "ci_low": self.low, "ci_high": self.high, "level": self.level, "unit": self.unit,
                              "target": self.target, "direction": self.direction, "status": self.status,
                              "probability_met": self.probability_met}])

    def _numbers(self) -> tuple[str, str, str]:
        return (_shown_value(self.estimate, self.unit), f"{_shown_value(self.low, self.unit)} to "
                f"{_shown_value(self.high, self.unit)}", _shown_value(self.target, self.unit))

    def _headline(self) -> str:
        estimate, interval, target = self._numbers()
        return (f"{self.name} {estimate} ({level_label(self.level)} CI {interval}) against the target {target} "
                f"({self.direction}): {self.status}, P(target met) {self.probability_met:.0%}")


def kpi(name: str, result: Any, *, target: float, higher_is_better: bool = True,
        kind: Literal["KPI", "KGI"] = "KPI", level: float = 0.95) -> KPI:
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
        With its ``status`` and ``probability_met``.

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
    ``met`` and ``missed`` are each claimed with error at most (1 - L) / 2. ``probability_met`` is a normal
    approximation read off the interval's width and is only a guide for asymmetric intervals.

    Examples
    --------
    >>> import journey
    >>> score = journey.nps_from_counts(promoters=50, passives=30, detractors=20)
    >>> journey.kpi("NPS", score, target=10)
    KPI: NPS +30.0 (95% CI +14.1 to +44.2) against the target +10.0 (higher is better): met, P(target met) 100%
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
    return KPI(str(name), estimate, low, high, float(target), bool(higher_is_better), kind, level, unit)


def _reading(name: str, result: Any, level: float) -> tuple[float, float, float, Unit]:
    """(estimate, low, high, unit) of ``result`` through the result protocol, or of a (value, low, high) tuple."""
    if isinstance(result, tuple):
        try:
            estimate, low, high = (float(x) for x in result)
        except (TypeError, ValueError):
            raise JourneyError(f"kpi {name!r}: a tuple must be three numbers (estimate, low, high), "
                               f"not {result!r}") from None
        unit: Unit = ""
    elif isinstance(result, (pd.DataFrame, pd.Series)):
        raise JourneyError(f"kpi {name!r} takes a result of journey (not its to_frame() table) or an (estimate, "
                           f"low, high) tuple, not a {type(result).__name__}")
    else:
        source = getattr(result, "overall", result)
        lacking = [a for a in ("estimate", "unit", "confidence_interval") if not hasattr(source, a)]
        if lacking:
            raise JourneyError(
                f"kpi {name!r} needs a result with estimate, unit and confidence_interval(level) (journey.nps, "
                f"journey.proportion, ...), a table result whose overall has them, or an (estimate, low, high) "
                f"tuple; {type(result).__name__} has no {', '.join(lacking)}")
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
    kind indicator estimate         95% CI target        direction       status P(target met)
     KGI       NPS       10       -4 to 24     12 higher is better inconclusive           39%
     KPI      CSAT    80.0% 73.9% to 85.0%  70.0% higher is better          met          100%
    """

    items: tuple[KPI, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per indicator, KGIs first then KPIs in the order given.

        Columns: ``kind``, ``indicator``, ``estimate``, ``ci_low``, ``ci_high`` (in ``unit``), ``level``,
        ``unit``, ``target``, ``direction``, ``status`` and ``probability_met`` (0-1, see :class:`KPI`).

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
            rows.append({"kind": k.kind, "indicator": k.name, "estimate": estimate,
                         self._interval_header(): interval + (f" ({level_label(k.level)})" if mixed else ""),
                         "target": target, "direction": k.direction, "status": k.status,
                         "P(target met)": f"{k.probability_met:.0%}"})
        return pd.DataFrame(rows)

    def _headline(self) -> str:
        statuses: list[str] = [k.status for k in self.items]
        return (f"{len(self.items):,} indicator{'s' if len(self.items) != 1 else ''}: "
                + ", ".join(f"{statuses.count(s)} {s}" for s in STATUS_COLOURS))

    def _repr_html_(self) -> str:
        headline, table = self._headline(), formatted(self._shown(), self._formats)
        header = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
        body = "".join(
            "<tr>" + "".join(
                f"<td style='color:{STATUS_COLOURS[value]}'><b>{html.escape(value)}</b></td>" if column == "status"
                else f"<td>{html.escape(str(value))}</td>" for column, value in row.items()) + "</tr>"
            for row in table.to_dict("records"))
        return (f'<div class="journey-result"><p><b>Scorecard</b>: {html.escape(headline)}</p>'
                f'<table class="journey-table"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table></div>')

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Each indicator's interval against its target, one row each, coloured by status.

        Indicators have different units, so each row has its own scale; the numbers are written beside it.

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

        texts = [f"{e} ({i}) vs {t}" + ("" if k.higher_is_better else ", lower is better")
                 for k, (e, i, t) in ((k, k._numbers()) for k in self.items)]
        return draw_targets([f"{k.kind} {k.name}" for k in self.items], [k.estimate for k in self.items],
                            [k.low for k in self.items], [k.high for k in self.items],
                            [k.target for k in self.items], [k.status for k in self.items], texts, ax=ax,
                            title=f"Scorecard ({self._interval_header()})", **kwargs)


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
