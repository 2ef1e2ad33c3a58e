"""Kaplan-Meier curves with right censoring (``scipy.stats.ecdf``), pointwise intervals and the median."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd

from ..errors import JourneyError
from .results import ConfidenceInterval, TableResult, check_level, format_value

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["kaplan_meier", "SurvivalResult", "SurvivalMethod"]

#: Pointwise interval of a Kaplan-Meier curve: Greenwood's variance on the curve itself, or on log(-log S).
SurvivalMethod = Literal["linear", "log-log"]
METHODS = ("linear", "log-log")

#: How an outcome reads in a sentence ("time to next purchase").
OUTCOME_WORDS = {"next_purchase": "next purchase"}


@dataclass(frozen=True, repr=False, eq=False)
class SurvivalResult(TableResult):
    """A Kaplan-Meier curve: the share of subjects without the event over time, with pointwise intervals.

    Attributes
    ----------
    durations : numpy.ndarray
        Days from each subject's start to the event, or to the end of observation when censored.
    observed : numpy.ndarray
        True where the event happened, False where the subject is censored.
    outcome : str
        What the event is (``"churn"``, ``"next_purchase"``, or any label given to :func:`kaplan_meier`).
    level : float
        Confidence level of ``ci_low``/``ci_high``.
    method : {"linear", "log-log"}
        The pointwise interval.

    Examples
    --------
    >>> km = kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False])
    >>> km
    SurvivalResult: time to event: median 3.0 days (95% CI 1.0 to not reached; 5 subjects, 3 events, 2 censored)
    time at_risk events censored survival ci_low ci_high
     1.0       5      1        0    80.0%  44.9%  100.0%
     2.0       4      1        1    60.0%  17.1%  100.0%
     3.0       2      1        0    30.0%   0.0%   76.8%
     4.0       1      0        1    30.0%   0.0%   76.8%
    """

    durations: np.ndarray
    observed: np.ndarray
    _table: pd.DataFrame
    outcome: str = "event"
    level: float = 0.95
    method: SurvivalMethod = "linear"

    _formats: ClassVar[dict[str, str]] = {
        "time": "days",
        "at_risk": "count",
        "events": "count",
        "censored": "count",
        "survival": "share",
        "ci_low": "share",
        "ci_high": "share",
    }

    @property
    def n(self) -> int:
        """Subjects (users or customers)."""
        return len(self.durations)

    @property
    def n_events(self) -> int:
        """Subjects whose event was observed."""
        return int(self.observed.sum())

    @property
    def n_censored(self) -> int:
        """Subjects censored: observed without the event until the end of the data."""
        return self.n - self.n_events

    def to_frame(self) -> pd.DataFrame:
        """One row per distinct time at which a subject had the event or was censored, in time order (a copy).

        Columns ``time`` (days), ``at_risk`` (subjects still observed without the event just before),
        ``events``, ``censored``, ``survival`` (share 0-1 without the event after that time), ``ci_low``,
        ``ci_high``.
        """
        return self._table.copy()

    def confidence_interval(self, level: float | None = None, method: str | None = None) -> ConfidenceInterval:
        """Pointwise interval of the curve at each row of :meth:`to_frame` (arrays, shares 0-1).

        Parameters
        ----------
        level : float, optional
            Confidence level; the result's own ``level`` when not given.
        method : {"linear", "log-log"}, optional
            Greenwood's variance on the curve (clipped to [0, 1]) or on log(-log S); the result's own
            ``method`` when not given.

        Returns
        -------
        ConfidenceInterval
            ``low`` and ``high`` arrays; NaN where Greenwood's variance is undefined (the curve at 0).
        """
        level = self.level if level is None else check_level(level)
        method = self.method if method is None else _check_method(method)
        if level == self.level and method == self.method:
            return ConfidenceInterval(self._table["ci_low"].to_numpy(), self._table["ci_high"].to_numpy())
        return ConfidenceInterval(*_band(self.durations, self.observed, level, method))

    @property
    def median(self) -> float:
        """Median time (days): the first time the curve is at 0.5 or below; NaN if it never is."""
        return _first_time_at_or_below_half(self._table["time"].to_numpy(), self._table["survival"].to_numpy())

    def median_confidence_interval(self, level: float | None = None, method: str | None = None) -> ConfidenceInterval:
        """Interval of the median time (days), where the pointwise band crosses 0.5.

        Parameters
        ----------
        level : float, optional
            Confidence level; the result's own ``level`` when not given.
        method : {"linear", "log-log"}, optional
            The pointwise band it is read from; the result's own ``method`` when not given.

        Returns
        -------
        ConfidenceInterval
            ``low``: the first time the lower band is at 0.5 or below; ``high``: the first time the upper
            band is. NaN for a bound the band never reaches (the median is not bounded above by the data).

        Notes
        -----
        The times whose pointwise interval holds 0.5, as Brookmeyer & Crowley (1982), "A confidence interval
        for the median survival time", and R's ``survfit`` compute it.
        """
        low, high = self.confidence_interval(level, method)
        times = self._table["time"].to_numpy()
        return ConfidenceInterval(_first_time_at_or_below_half(times, low), _first_time_at_or_below_half(times, high))

    def _headline(self) -> str:
        counts = f"{self.n:,} subjects, {self.n_events:,} events, {self.n_censored:,} censored"
        what = f"time to {OUTCOME_WORDS.get(self.outcome, self.outcome)}"
        if np.isnan(self.median):
            return f"{what}: median not reached (the curve stays above 50% up to the last time observed; {counts})"
        low, high = self.median_confidence_interval()  # the lower band reaches 0.5 no later than the curve
        upper = "not reached" if np.isnan(high) else format_value(high, "days")
        return (
            f"{what}: median {format_value(self.median, 'days')} days ({self.level:.0%} CI "
            f"{format_value(low, 'days')} to {upper}; {counts})"
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """The Kaplan-Meier step curve with its pointwise band, censoring ticks and the median marked.

        A ``+`` marks each time at which subjects were censored; the median is drawn at 50% with its
        interval as a bar along that line. Curves drawn on the same Axes (``label=`` each) take the next
        colour, so several results can share a picture.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when not given.
        **kwargs
            Passed to matplotlib's ``plot`` for the curve (``label``, ``color``, ...).

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> km = kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False])
        >>> ax = km.plot()
        >>> ax.get_title(), [text.get_text() for text in ax.get_legend().get_texts()]
        ('Time to event', ['pointwise 95% interval', '5 subjects, 2 censored', 'censored', 'median 3.0 days (1.0 to not reached)'])
        """
        from ..plot.engagement import draw_survival

        table = self._table
        words = OUTCOME_WORDS.get(self.outcome, self.outcome)
        low, high = self.median_confidence_interval()
        name = kwargs.pop("label", None)
        counts = f"{self.n:,} subjects, {self.n_censored:,} censored"
        return draw_survival(
            table["time"].to_numpy(),
            table["survival"].to_numpy(),
            table["ci_low"].to_numpy(),
            table["ci_high"].to_numpy(),
            ax=ax,
            xlabel="days",
            ylabel=f"share without {words}",
            title=f"Time to {words}",
            label=counts if name is None else f"{name}: {counts}",
            median=self.median,
            median_interval=(float(low), float(high)),
            censored=table["censored"].to_numpy(),
            band_label=f"pointwise {self.level:.0%} interval",
            **kwargs,
        )


def _check_method(method: str) -> SurvivalMethod:
    if method == "linear":
        return "linear"
    if method == "log-log":
        return "log-log"
    raise JourneyError(f'method must be "linear" (Greenwood) or "log-log", not {method!r}')


def _first_time_at_or_below_half(times: np.ndarray, curve: np.ndarray) -> float:
    reached = np.flatnonzero(np.asarray(curve, dtype=float) <= 0.5)
    return float(times[reached[0]]) if len(reached) else float("nan")


def _count_at(values: np.ndarray, times: np.ndarray) -> np.ndarray:
    """How many of ``values`` equal each of ``times``."""
    ordered = np.sort(values)
    return np.searchsorted(ordered, times, side="right") - np.searchsorted(ordered, times, side="left")


def _ecdf(durations: np.ndarray, observed: np.ndarray) -> Any:
    from scipy.stats import CensoredData, ecdf

    return ecdf(CensoredData(uncensored=durations[observed], right=durations[~observed]))


def _band(durations: np.ndarray, observed: np.ndarray, level: float, method: str) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        # Greenwood's variance is undefined where the curve reaches 0: those bounds are NaN, as documented.
        warnings.filterwarnings("ignore", "The confidence interval is undefined", RuntimeWarning)
        ci = _ecdf(durations, observed).sf.confidence_interval(confidence_level=level, method=method)
    return np.clip(ci.low.probabilities, 0, 1), np.clip(ci.high.probabilities, 0, 1)


def kaplan_meier(
    durations: Any, observed: Any, *, level: float = 0.95, method: SurvivalMethod = "linear", outcome: str = "event"
) -> SurvivalResult:
    """Kaplan-Meier estimate from durations and event flags, with pointwise intervals and the median.

    Parameters
    ----------
    durations : array-like of float
        Days from each subject's start to the event or to censoring (non-negative).
    observed : array-like of bool
        True where the event happened, False where the subject was censored (still without it when last
        observed).
    level : float
        Confidence level of the pointwise intervals (0.95 for 95%).
    method : {"linear", "log-log"}
        Greenwood's variance on the curve itself (the classic interval, clipped to [0, 1]) or on
        log(-log S) (never outside [0, 1]).
    outcome : str
        What the event is, for displays ("churn", "first order", ...).

    Returns
    -------
    SurvivalResult
        ``to_frame()`` with one row per distinct time, ``confidence_interval()``, ``median`` and
        ``median_confidence_interval()``, ``.plot()``.

    Raises
    ------
    JourneyError
        Sequences of different lengths or empty, negative or missing durations, an unknown ``method``, or
        no observed event at all.

    See Also
    --------
    journey.survival : the curve of time to churn or to the next purchase, from a log or orders.

    Notes
    -----
    The Kaplan-Meier estimator (Kaplan & Meier 1958, "Nonparametric estimation from incomplete
    observations") multiplies, over the event times *t*, the shares ``1 - d_t / n_t`` of subjects at risk
    ``n_t`` who did not have the event ``d_t`` then; censored subjects count as at risk up to their
    censoring time and never as events. Pointwise intervals use Greenwood's (1926) variance, computed by
    ``scipy.stats.ecdf``.

    Examples
    --------
    >>> km = kaplan_meier([1, 2, 2, 3], [True, True, False, True])
    >>> km.to_frame()[["time", "events", "censored", "survival"]]
       time  events  censored  survival
    0   1.0       1         0      0.75
    1   2.0       1         1      0.50
    2   3.0       1         0      0.00
    >>> km.median
    2.0
    """
    durations = np.asarray(durations, dtype=float)
    observed = np.asarray(observed, dtype=bool)
    if durations.shape != observed.shape or durations.ndim != 1 or not len(durations):
        raise JourneyError("durations and observed must be two non-empty sequences of the same length")
    if np.isnan(durations).any() or (durations < 0).any():
        raise JourneyError("durations must be non-negative numbers (days)")
    method = _check_method(method)
    level = check_level(level)
    if not observed.any():
        raise JourneyError("no event was observed: every subject is censored, so there is no curve to estimate")
    sf = _ecdf(durations, observed).sf
    times = sf.quantiles
    low, high = _band(durations, observed, level, method)
    # Subjects at risk at t: durations >= t; events (censorings) at t: observed (censored) durations equal to t.
    at_risk = len(durations) - np.searchsorted(np.sort(durations), times, side="left")
    events, censored = (_count_at(durations[which], times) for which in (observed, ~observed))
    table = pd.DataFrame(
        {
            "time": times,
            "at_risk": at_risk,
            "events": events,
            "censored": censored,
            "survival": sf.probabilities,
            "ci_low": low,
            "ci_high": high,
        }
    )
    return SurvivalResult(durations, observed, table, outcome=outcome, level=level, method=method)
