"""Time to convert: Kaplan-Meier curves of the time from a funnel's first step to each later step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from ..engine.partials import Keyed
from ..errors import JourneyError
from ..stats.results import ConfidenceInterval, TableResult, check_level, format_value
from ..stats.survival import SurvivalResult, _check_method, kaplan_meier

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["TimeToConvert"]

CURVE_COLUMNS = [
    "step",
    "touchpoint",
    "seconds",
    "at_risk",
    "reached",
    "censored",
    "converted_share",
    "ci_low",
    "ci_high",
]


class TimeToConvert(TableResult):
    """Kaplan-Meier curves of the time from step 1 to each later step of a funnel, from
    :meth:`journey.Funnel.time_to_convert`.

    Attributes
    ----------
    steps : tuple of str
        The funnel's steps (the curves are of steps 2 and later).
    n : int
        Customers who entered step 1 (every segment), each counted once.
    level : float
        Confidence level of the pointwise intervals and of the medians' intervals.
    method : {"linear", "log-log"}
        The pointwise interval (Greenwood's variance on the curve, or on log(-log S)).

    Notes
    -----
    :meth:`to_frame` has one row per step and distinct time at which a customer reached the step or was
    censored, sorted by step then time: ``step`` (2, 3, ...), ``touchpoint``, ``seconds`` (from the
    attempt's start), ``at_risk`` (customers neither at the step nor censored just before), ``reached``,
    ``censored``, ``converted_share`` (the Kaplan-Meier estimate of the share of customers who have
    reached the step by then, 0-1) and its pointwise ``ci_low``, ``ci_high``. :meth:`medians` has one row
    per step with the median time and its interval. A step nobody reached has no curve rows.
    """

    _formats: ClassVar[dict[str, str]] = {
        "seconds": "seconds",
        "at_risk": "count",
        "reached": "count",
        "censored": "count",
        "converted_share": "share",
        "ci_low": "share",
        "ci_high": "share",
        "n": "count",
        "median_seconds": "seconds",
        "median_ci_low": "seconds",
        "median_ci_high": "seconds",
    }

    def __init__(
        self, curves: dict[int, SurvivalResult | None], steps: tuple[str, ...], n: int, level: float, method: str
    ) -> None:
        self._curves, self.steps, self.n, self.level, self.method = curves, steps, n, level, method
        frames = [self._curve_rows(k, curve) for k, curve in curves.items() if curve is not None]
        self._table = (
            pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=CURVE_COLUMNS)
        ).reset_index(drop=True)

    @classmethod
    def from_counts(cls, waits: Keyed, steps: tuple[str, ...], level: float, method: str) -> TimeToConvert:
        """The curves from the funnel's counts per (step, nanoseconds): customers reaching the step then
        and customers censored then.
        """
        method = _check_method(method)
        level = check_level(level)
        index = waits.index
        step = np.asarray(index.get_level_values(0), dtype=np.int64)
        ns = np.asarray(index.get_level_values(1), dtype=np.int64)
        order = np.lexsort((ns, step))  # the parts of a distributed log add in any order
        step, ns = step[order], ns[order]
        events, censored = waits.values["events"][order], waits.values["censored"][order]
        curves: dict[int, SurvivalResult | None] = {}
        n = 0
        for k in range(1, len(steps)):
            mine = step == k
            e, c, seconds = events[mine], censored[mine], ns[mine] / 1e9
            n = max(n, int(e.sum() + c.sum()))
            if not e.sum():
                curves[k] = None
                continue
            durations = np.concatenate([np.repeat(seconds, e), np.repeat(seconds, c)])
            observed = np.repeat([True, False], [int(e.sum()), int(c.sum())])
            curves[k] = kaplan_meier(durations, observed, level=level, method=method, outcome=steps[k])
        return cls(curves, steps, n, level, method)

    def _curve_rows(self, k: int, curve: SurvivalResult) -> pd.DataFrame:
        table = curve.to_frame()
        return pd.DataFrame(
            {
                "step": k + 1,
                "touchpoint": self.steps[k],
                "seconds": table["time"].to_numpy(),
                "at_risk": table["at_risk"].to_numpy(),
                "reached": table["events"].to_numpy(),
                "censored": table["censored"].to_numpy(),
                "converted_share": 1 - table["survival"].to_numpy(),
                "ci_low": 1 - table["ci_high"].to_numpy(),
                "ci_high": 1 - table["ci_low"].to_numpy(),
            }
        )

    def curve(self, step: int | str) -> SurvivalResult | None:
        """The Kaplan-Meier result of one step (its number from 2, or its touchpoint); None if nobody reached it.

        Raises
        ------
        JourneyError
            A step that is not one of the funnel's steps after the first.
        """
        if isinstance(step, str):
            at = [k for k, name in enumerate(self.steps) if name == step and k > 0]
            if not at:
                raise JourneyError(f"step {step!r} is not a step after the first of {list(self.steps)!r}")
            return self._curves[at[0]]
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or not 2 <= step <= len(self.steps):
            raise JourneyError(f"step must be a step number from 2 to {len(self.steps)}, or a touchpoint, not {step!r}")
        return self._curves[int(step) - 1]

    def medians(self, level: float | None = None) -> pd.DataFrame:
        """Per step after the first: customers, how many reached it and how many are censored, and the median
        time (seconds) with its interval.

        Parameters
        ----------
        level : float, optional
            Confidence level of the medians' intervals; the result's own ``level`` when not given.

        Returns
        -------
        pandas.DataFrame
            ``step``, ``touchpoint``, ``n``, ``reached``, ``censored``, ``median_seconds`` (NaN when fewer
            than half are ever seen to reach the step: not reached), ``median_ci_low``, ``median_ci_high``
            (NaN for a bound the band never reaches).
        """
        rows = []
        for k, curve in self._curves.items():
            median, low, high = np.nan, np.nan, np.nan
            reached = 0 if curve is None else curve.n_events
            if curve is not None:
                median = curve.median
                low, high = curve.median_confidence_interval(level)
            rows.append(
                {
                    "step": k + 1,
                    "touchpoint": self.steps[k],
                    "n": self.n,
                    "reached": reached,
                    "censored": self.n - reached,
                    "median_seconds": median,
                    "median_ci_low": low,
                    "median_ci_high": high,
                }
            )
        return pd.DataFrame(rows)

    def confidence_interval(self, level: float | None = None, method: str | None = None) -> ConfidenceInterval:
        """Pointwise interval of the share converted at each row of :meth:`to_frame` (arrays, shares 0-1).

        Parameters
        ----------
        level : float, optional
            Confidence level; the result's own ``level`` when not given.
        method : {"linear", "log-log"}, optional
            The pointwise interval; the result's own ``method`` when not given.
        """
        lows, highs = [], []
        for curve in self._curves.values():
            if curve is not None:
                low, high = curve.confidence_interval(level, method)
                lows.append(1 - np.asarray(high, dtype=float))
                highs.append(1 - np.asarray(low, dtype=float))
        if not lows:
            return ConfidenceInterval(np.zeros(0), np.zeros(0))
        return ConfidenceInterval(np.concatenate(lows), np.concatenate(highs))

    def _headline(self) -> str:
        last = self.medians().iloc[-1]
        what = f"time from {self.steps[0]} to {last['touchpoint']}"
        counts = f"{self.n:,} customers, {int(last['reached']):,} reach it, {int(last['censored']):,} censored"
        if np.isnan(last["median_seconds"]):
            return f"{what}: median not reached (fewer than half are seen to get there; {counts})"
        upper = "not reached" if np.isnan(last["median_ci_high"]) else format_value(last["median_ci_high"], "seconds")
        return (
            f"{what}: median {format_value(last['median_seconds'], 'seconds')} ({self.level * 100:g}% CI "
            f"{format_value(last['median_ci_low'], 'seconds')} to {upper}; {counts})"
        )

    def _shown(self) -> pd.DataFrame:
        return self.medians()

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """The share of customers who have reached each step by each time, with pointwise bands and medians.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when not given.
        **kwargs
            Passed to matplotlib's ``plot`` for every curve (``lw``, ...).

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import pandas as pd, journey
        >>> df = pd.DataFrame({"user_id": list("aabbc"), "event": ["home", "cart", "home", "cart", "home"],
        ...                    "timestamp": pd.date_range("2025-01-01", periods=5, freq="h", tz="UTC")})
        >>> ax = journey.funnel(df, ["home", "cart"]).time_to_convert().plot()
        >>> ax.get_title()
        'Time to convert from home'
        """
        from ..plot.conversion_time import conversion_curves

        return conversion_curves(self._table, self.medians(), first=self.steps[0], level=self.level, ax=ax, **kwargs)
