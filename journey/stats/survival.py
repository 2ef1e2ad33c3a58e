"""Kaplan-Meier curves with right censoring (``scipy.stats.ecdf``), pointwise intervals and the median.

Intervals are pointwise, from Greenwood's variance (``method="linear"``, the classic one) or on the log-log
scale (``"log-log"``, never outside [0, 1]).
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import JourneyError

__all__ = ["kaplan_meier", "SurvivalResult"]


@dataclass(frozen=True, repr=False)
class SurvivalResult:
    """A Kaplan-Meier curve. ``durations`` (days) and ``observed`` (True: the event happened) per subject."""

    durations: np.ndarray
    observed: np.ndarray
    what: str = "survival"
    level: float = 0.95
    method: str = "linear"

    @property
    def _ecdf(self):
        from scipy.stats import CensoredData, ecdf

        return ecdf(CensoredData(uncensored=self.durations[self.observed], right=self.durations[~self.observed]))

    def table(self) -> pd.DataFrame:
        """``time`` (days), ``at_risk``, ``events``, ``survival`` with ``ci_low``/``ci_high``: one row per event time."""
        sf = self._ecdf.sf
        with warnings.catch_warnings():
            # Greenwood's variance is undefined where the curve reaches 0: those bounds are NaN, as documented.
            warnings.filterwarnings("ignore", "The confidence interval is undefined", RuntimeWarning)
            ci = sf.confidence_interval(confidence_level=self.level, method=self.method)
        times = sf.quantiles
        events = np.array([np.sum(self.observed & (self.durations == x)) for x in times])
        at_risk = np.array([np.sum(self.durations >= x) for x in times])
        return pd.DataFrame({"time": times, "at_risk": at_risk, "events": events, "survival": sf.probabilities,
                             "ci_low": np.clip(ci.low.probabilities, 0, 1),
                             "ci_high": np.clip(ci.high.probabilities, 0, 1)})

    @property
    def median(self) -> float:
        """Median time (days): the first time the curve reaches 0.5 or below; NaN if it never does."""
        table = self.table()
        reached = table[table["survival"] <= 0.5]
        return float(reached["time"].iloc[0]) if len(reached) else float("nan")

    def plot_frame(self) -> pd.DataFrame:
        """The step curve ready to draw: starts at (0, 1) and repeats each value up to the next time."""
        table = self.table()
        return pd.concat([pd.DataFrame({"time": [0.0], "survival": [1.0], "ci_low": [1.0], "ci_high": [1.0]}),
                          table[["time", "survival", "ci_low", "ci_high"]]], ignore_index=True)

    def _text(self) -> str:
        median = self.median
        shown = f"{median:.1f} days" if median == median else "not reached"
        return (f"Kaplan-Meier {self.what}: {len(self.durations):,} subjects, {int(self.observed.sum()):,} events, "
                f"{int((~self.observed).sum()):,} censored; median {shown}")

    def __repr__(self) -> str:
        return f"SurvivalResult: {self._text()}"

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self._text())}</p>"


def kaplan_meier(durations, observed, *, level: float = 0.95, method: str = "linear",
                 what: str = "survival") -> SurvivalResult:
    """Kaplan-Meier estimate from durations and event flags (False: right-censored).

    Examples
    --------
    >>> km = kaplan_meier([1, 2, 2, 3], [True, True, False, True])
    >>> km.table()["survival"].round(4).tolist()
    [0.75, 0.5, 0.0]
    """
    durations = np.asarray(durations, dtype=float)
    observed = np.asarray(observed, dtype=bool)
    if durations.shape != observed.shape or durations.ndim != 1 or not len(durations):
        raise JourneyError("durations and observed must be two non-empty sequences of the same length")
    if (durations < 0).any() or np.isnan(durations).any():
        raise JourneyError("durations must be non-negative numbers")
    if method not in ("linear", "log-log"):
        raise JourneyError(f'method must be "linear" (Greenwood) or "log-log", not {method!r}')
    if not observed.any():
        raise JourneyError("no event was observed: every subject is censored, so there is no curve to estimate")
    return SurvivalResult(durations, observed, what, level, method)
