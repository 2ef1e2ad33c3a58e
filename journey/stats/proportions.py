"""Proportions with honest intervals: any share, CSAT, and the difference between two groups.

Results follow ``scipy.stats``: named fields, ``confidence_interval(level, method)`` returning a
``ConfidenceInterval(low, high)`` named tuple, a plain-text and an HTML display, and ``to_frame()``.
Shares are 0-1; displays show percentages.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..errors import InvalidValuesError, JourneyError
from .intervals import newcombe_interval

__all__ = ["ConfidenceInterval", "ProportionResult", "DifferenceResult", "proportion", "csat", "compare_proportions"]

PROPORTION_METHODS = ("wilson", "exact", "jeffreys")


class ConfidenceInterval(NamedTuple):
    """A confidence interval: ``low`` and ``high``, in the unit of the estimate."""

    low: float
    high: float


@dataclass(frozen=True, repr=False)
class ProportionResult:
    """``k`` successes out of ``n`` (and ``n_missing`` answers left out as missing).

    Examples
    --------
    >>> r = proportion(81, 263)
    >>> r
    ProportionResult: 30.8% (81 of 263); 95% CI (Wilson) 25.5% to 36.6%
    >>> print(f"{r.confidence_interval(method='exact').low:.4f}")
    0.2527
    """

    k: int
    n: int
    n_missing: int = 0
    label: str = "proportion"

    @property
    def proportion(self) -> float:
        """k / n, a share (0-1); NaN when n is 0."""
        return self.k / self.n if self.n else float("nan")

    def confidence_interval(self, level: float = 0.95, method: str = "wilson") -> ConfidenceInterval:
        """Interval for the share: ``"wilson"`` (score, default), ``"exact"`` (Clopper-Pearson) or
        ``"jeffreys"`` (equal-tailed Beta(k + 1/2, n - k + 1/2)). Bounds are shares in [0, 1]."""
        _check_level(level)
        if method not in PROPORTION_METHODS:
            raise JourneyError(f"method must be one of {', '.join(map(repr, PROPORTION_METHODS))}, not {method!r}")
        if self.n == 0:
            return ConfidenceInterval(float("nan"), float("nan"))
        if method == "jeffreys":
            from scipy.stats import beta

            tail = (1 - level) / 2
            low = 0.0 if self.k == 0 else float(beta.ppf(tail, self.k + 0.5, self.n - self.k + 0.5))
            high = 1.0 if self.k == self.n else float(beta.ppf(1 - tail, self.k + 0.5, self.n - self.k + 0.5))
            return ConfidenceInterval(low, high)
        from scipy.stats import binomtest

        ci = binomtest(self.k, self.n).proportion_ci(confidence_level=level, method=method)
        return ConfidenceInterval(float(ci.low), float(ci.high))

    def to_frame(self, level: float = 0.95, method: str = "wilson") -> pd.DataFrame:
        low, high = self.confidence_interval(level, method)
        return pd.DataFrame([{"k": self.k, "n": self.n, "n_missing": self.n_missing, self.label: self.proportion,
                              "ci_low": low, "ci_high": high}])

    def _text(self) -> str:
        low, high = self.confidence_interval()
        missing = f", {self.n_missing:,} missing" if self.n_missing else ""
        return (f"{self.proportion:.1%} ({self.k:,} of {self.n:,}{missing}); "
                f"95% CI (Wilson) {low:.1%} to {high:.1%}")

    def __repr__(self) -> str:
        return f"ProportionResult: {self._text()}"

    def _repr_html_(self) -> str:
        return f"<p><b>{html.escape(self.label)}</b>: {html.escape(self._text())}</p>"


@dataclass(frozen=True, repr=False)
class DifferenceResult:
    """The difference ``k1/n1 - k2/n2`` between two independent proportions (a share, -1 to 1).

    Examples
    --------
    >>> d = compare_proportions(56, 70, 48, 80)
    >>> print(f"{d.difference:.2f}", [round(x, 4) for x in d.confidence_interval()])
    0.20 [0.0524, 0.3339]
    """

    k1: int
    n1: int
    k2: int
    n2: int

    @property
    def difference(self) -> float:
        return self.k1 / self.n1 - self.k2 / self.n2

    @property
    def pvalue(self) -> float:
        """Two-sided p-value that the proportions are equal (chi-square, or Fisher's exact for small counts)."""
        from .significance import independence_test

        return independence_test([[self.k1, self.n1 - self.k1], [self.k2, self.n2 - self.k2]])[0]

    def confidence_interval(self, level: float = 0.95, method: str = "newcombe") -> ConfidenceInterval:
        """Newcombe's hybrid score interval (default; Newcombe 1998, method 10) or ``"wald"``."""
        _check_level(level)
        if method == "newcombe":
            low, high = newcombe_interval([self.k1], [self.n1], [self.k2], [self.n2], level)
            return ConfidenceInterval(float(low[0]), float(high[0]))
        if method == "wald":
            from statistics import NormalDist

            p1, p2 = self.k1 / self.n1, self.k2 / self.n2
            half = NormalDist().inv_cdf(0.5 + level / 2) * np.sqrt(p1 * (1 - p1) / self.n1 + p2 * (1 - p2) / self.n2)
            return ConfidenceInterval(max(-1.0, self.difference - half), min(1.0, self.difference + half))
        raise JourneyError(f'method must be "newcombe" or "wald", not {method!r}')

    def __repr__(self) -> str:
        low, high = self.confidence_interval()
        return (f"DifferenceResult: {self.difference * 100:+.1f} points ({self.k1:,}/{self.n1:,} vs "
                f"{self.k2:,}/{self.n2:,}); 95% CI (Newcombe) {low * 100:+.1f} to {high * 100:+.1f}; "
                f"p = {self.pvalue:.3g}")

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>"


def proportion(k: int, n: int) -> ProportionResult:
    """A proportion ``k`` out of ``n`` with its intervals (see :class:`ProportionResult`)."""
    k, n = _count(k, "k"), _count(n, "n")
    if k > n:
        raise JourneyError(f"k ({k}) cannot exceed n ({n})")
    return ProportionResult(k, n)


def compare_proportions(k1: int, n1: int, k2: int, n2: int) -> DifferenceResult:
    """Compare two independent proportions ``k1/n1`` and ``k2/n2`` (see :class:`DifferenceResult`)."""
    for k, n, name in ((k1, n1, "1"), (k2, n2, "2")):
        proportion(k, n)
        if _count(n, f"n{name}") == 0:
            raise JourneyError(f"n{name} must be positive")
    return DifferenceResult(int(k1), int(n1), int(k2), int(n2))


def csat(ratings, *, scale: tuple[int, int] = (1, 5), satisfied: tuple[int, ...] = (4, 5)) -> ProportionResult:
    """Customer satisfaction: the share of ratings among ``satisfied`` (by default 4 and 5 on a 1-5 scale).

    Ratings must be whole numbers on the scale (``4.0`` and ``"4"`` are accepted); anything else raises
    :class:`~journey.errors.InvalidValuesError` listing the values and their positions. Missing ratings
    (NaN) are unanswered: left out and counted in ``n_missing``.

    Examples
    --------
    >>> csat([5, 4, 3, None, 5])
    ProportionResult: 75.0% (3 of 4, 1 missing); 95% CI (Wilson) 30.1% to 95.4%
    """
    low, high = scale
    if not set(satisfied) <= set(range(low, high + 1)):
        raise JourneyError(f"satisfied={satisfied!r} must be ratings on the scale {scale!r}")
    values, missing = whole_scores(ratings, low, high, "ratings")
    return ProportionResult(int(np.isin(values, satisfied).sum()), len(values), int(missing), label="CSAT")


def whole_scores(values, low: int, high: int, name: str) -> tuple[np.ndarray, int]:
    """Validated whole-number scores in [low, high] (missing ones dropped) and how many were missing.

    Accepts numbers and numeric text; refuses fractions, values off the scale and non-numbers, naming each
    with its position. Nothing is clipped or rounded.
    """
    series, numbers, bad, missing = check_scores(values, low, high)
    if bad.any():
        rows = np.flatnonzero(bad)
        raise InvalidValuesError(name, score_reason(low, high), rows.tolist(), series.iloc[rows].tolist(),
                                 "Fix or remove them; missing answers may be left empty.")
    return numbers[~missing].astype(np.int64), int(missing.sum())


def check_scores(values, low: int, high: int) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """(values as a Series, their numbers, mask of invalid values, mask of missing ones)."""
    series = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values.reset_index(drop=True)
    missing = series.isna().to_numpy()
    numbers = pd.to_numeric(series.where(~missing), errors="coerce").to_numpy(dtype=float)
    bad = ~missing & (np.isnan(numbers) | (numbers != np.round(numbers)) | (numbers < low) | (numbers > high))
    return series, numbers, bad, missing


def score_reason(low: int, high: int) -> str:
    return f"values that are not whole numbers from {low} to {high}"


def _count(value, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not float(value).is_integer() or value < 0:
        raise JourneyError(f"{name} must be a non-negative whole number, not {value!r}")
    return int(value)


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise JourneyError(f"level must be between 0 and 1, not {level!r}")

