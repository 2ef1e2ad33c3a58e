"""Proportions with honest intervals: any share, CSAT, and the difference between two groups.

Shares are 0-1 throughout; displays show percentages, and a difference of shares is shown in percentage
points. The results follow the protocol of :mod:`journey.stats.results`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from ..errors import InvalidValuesError, JourneyError
from .intervals import PROPORTION_METHODS, newcombe_interval, newcombe_pvalue, proportion_interval
from .results import ConfidenceInterval, Result, Unit, check_level, format_value

__all__ = [
    "ConfidenceInterval",
    "ProportionResult",
    "DifferenceResult",
    "proportion",
    "csat",
    "compare_proportions",
    "ProportionMethod",
    "DifferenceMethod",
    "level_label",
]

#: Interval for one proportion: Wilson score (default), Clopper-Pearson ("exact") or Jeffreys.
ProportionMethod = Literal["wilson", "exact", "jeffreys"]
#: Interval for a difference of two independent proportions: Newcombe's hybrid score (default) or Wald.
DifferenceMethod = Literal["newcombe", "wald"]

DIFFERENCE_METHODS = ("newcombe", "wald")
METHOD_NAMES = {
    "wilson": "Wilson",
    "exact": "Clopper-Pearson",
    "jeffreys": "Jeffreys",
    "newcombe": "Newcombe",
    "wald": "Wald",
}


def level_label(level: float) -> str:
    """A confidence level as readers write it: ``0.95`` is ``"95%"``, ``0.975`` is ``"97.5%"``.

    Examples
    --------
    >>> level_label(0.95), level_label(0.975), level_label(0.8)
    ('95%', '97.5%', '80%')
    """
    return f"{round(level * 100, 6):g}%"


def _method(method: str | None, allowed: tuple[str, ...], default: str) -> str:
    if method is None:
        return default
    if method not in allowed:
        raise JourneyError(f"method must be one of {', '.join(map(repr, allowed))}, not {method!r}")
    return method


@dataclass(frozen=True, repr=False)
class ProportionResult(Result):
    """``k`` successes out of ``n`` answers or customers, a share with its interval.

    Build it with :func:`proportion` or :func:`csat`; analyses (repeat rate, churn) return it too.

    Attributes
    ----------
    k : int
        Successes (satisfied answers, repeat buyers, ...).
    n : int
        Trials counted; missing answers are not among them.
    n_missing : int
        Answers left out because they were missing.
    label : str
        What the share is, for displays (``"CSAT"``, ``"repeat rate"``).
    level : float
        Confidence level of :meth:`confidence_interval` when none is given (0.95 for 95%).
    unit : str
        ``"share"``: the estimate and its bounds are shares 0-1.

    See Also
    --------
    proportion, csat, compare_proportions

    Examples
    --------
    >>> r = proportion(81, 263)
    >>> r
    ProportionResult: proportion 30.8% (95% CI 25.5% to 36.6%, 81 of 263)
    >>> print(f"{r.estimate:.4f} {r.confidence_interval(method='exact').low:.4f}")
    0.3080 0.2527
    """

    k: int
    n: int
    n_missing: int = 0
    label: str = "proportion"
    level: float = 0.95
    unit: ClassVar[Unit] = "share"

    def __post_init__(self) -> None:
        check_level(self.level)

    @property
    def proportion(self) -> float:
        """K / n, a share (0-1); NaN when n is 0."""
        return self.k / self.n if self.n else float("nan")

    @property
    def estimate(self) -> float:
        """The share k / n (the protocol's name for :attr:`proportion`)."""
        return self.proportion

    def confidence_interval(
        self, level: float | None = None, method: ProportionMethod | None = None
    ) -> ConfidenceInterval:
        """Interval for the share, bounds in [0, 1]; NaN bounds when ``n`` is 0.

        Parameters
        ----------
        level : float, optional
            Confidence level (0.95 for 95%); the result's :attr:`level` when not given.
        method : {"wilson", "exact", "jeffreys"}, optional
            Wilson score (the default), Clopper-Pearson exact, or the equal-tailed Jeffreys interval
            Beta(k + 1/2, n - k + 1/2) with its bound fixed at 0 when k = 0 and at 1 when k = n.

        Returns
        -------
        ConfidenceInterval
            ``low`` and ``high``, shares.

        Raises
        ------
        JourneyError
            For a level outside (0, 1) or an unknown method.

        Notes
        -----
        Wilson (1927), "Probable inference, the law of succession, and statistical inference", JASA 22;
        Clopper and Pearson (1934), Biometrika 26; Brown, Cai and DasGupta (2001), "Interval estimation for a
        binomial proportion", Statistical Science 16, who recommend Wilson or Jeffreys over Wald.

        Examples
        --------
        >>> [round(x, 4) for x in proportion(15, 148).confidence_interval()]   # Newcombe (1998), Table I
        [0.0624, 0.1605]
        >>> [round(x, 4) for x in proportion(15, 148).confidence_interval(0.99, "exact")]
        [0.0477, 0.1819]
        """
        level = self.level if level is None else check_level(level)
        chosen = _method(method, PROPORTION_METHODS, "wilson")
        low, high = proportion_interval([self.k], [self.n], level, chosen)
        return ConfidenceInterval(float(low[0]), float(high[0]))

    def to_frame(self) -> pd.DataFrame:
        """One row: ``k``, ``n``, ``n_missing``, ``proportion`` and its default interval ``ci_low``, ``ci_high``.

        Examples
        --------
        >>> proportion(1, 4).to_frame().round(4).to_dict("records")
        [{'k': 1, 'n': 4, 'n_missing': 0, 'proportion': 0.25, 'ci_low': 0.0456, 'ci_high': 0.6994}]
        """
        low, high = self.confidence_interval()
        return pd.DataFrame(
            [
                {
                    "k": self.k,
                    "n": self.n,
                    "n_missing": self.n_missing,
                    "proportion": self.proportion,
                    "ci_low": low,
                    "ci_high": high,
                }
            ]
        )

    def _headline(self) -> str:
        missing = f", {self.n_missing:,} missing" if self.n_missing else ""
        if not self.n:
            return f"{self.label}: no answers{missing}"
        low, high = self.confidence_interval()
        return (
            f"{self.label} {self.proportion:.1%} ({level_label(self.level)} CI {low:.1%} to {high:.1%}, "
            f"{self.k:,} of {self.n:,}{missing})"
        )


@dataclass(frozen=True, repr=False)
class DifferenceResult(Result):
    """The difference ``k1/n1 - k2/n2`` between two independent proportions, a share from -1 to 1.

    Attributes
    ----------
    k1, n1, k2, n2 : int
        Successes and trials of the first and of the second group.
    level : float
        Confidence level of :meth:`confidence_interval` when none is given.
    unit : str
        ``"share"``: the difference and its bounds are differences of shares (0.05 is 5 percentage points).

    See Also
    --------
    compare_proportions

    Notes
    -----
    The estimate is k1/n1 - k2/n2. The default interval is Newcombe's hybrid score interval, built from the
    Wilson interval of each share (Newcombe 1998, "Interval estimation for the difference between independent
    proportions: comparison of eleven methods", *Statistics in Medicine* 17, method 10), and :attr:`pvalue`
    inverts it: the p-value is below 1 - level exactly when the interval at that level excludes 0.

    Examples
    --------
    >>> d = compare_proportions(56, 70, 48, 80)
    >>> d
    DifferenceResult: difference +20.0 percentage points (95% CI +5.2 to +33.4, p = 0.00813): 80.0% of 70 vs 60.0% of 80
    >>> print(f"{d.estimate:.2f}", [round(x, 4) for x in d.confidence_interval()])
    0.20 [0.0524, 0.3339]
    """

    k1: int
    n1: int
    k2: int
    n2: int
    level: float = 0.95
    unit: ClassVar[Unit] = "share"

    def __post_init__(self) -> None:
        check_level(self.level)

    @property
    def difference(self) -> float:
        """k1/n1 - k2/n2, a difference of shares."""
        return self.k1 / self.n1 - self.k2 / self.n2

    @property
    def estimate(self) -> float:
        """The protocol's name for :attr:`difference`."""
        return self.difference

    @property
    def pvalue(self) -> float:
        """Two-sided p-value that the proportions are equal, inverting the default (Newcombe) interval.

        The smallest ``alpha`` whose level ``1 - alpha`` Newcombe interval excludes 0
        (:func:`journey.stats.intervals.newcombe_pvalue`), so the p-value and the interval never disagree
        about 0: ``pvalue < 1 - level`` exactly when the Newcombe interval at ``level`` excludes 0, at any level.
        (Pearson's chi-square and Fisher's exact test, tests of the same hypothesis, disagree with the interval
        in a few percent of small tables.)
        """
        return float(newcombe_pvalue(self.k1, self.n1, self.k2, self.n2))

    def confidence_interval(
        self, level: float | None = None, method: DifferenceMethod | None = None
    ) -> ConfidenceInterval:
        """Interval for the difference of shares, bounds in [-1, 1].

        Parameters
        ----------
        level : float, optional
            Confidence level; the result's :attr:`level` when not given.
        method : {"newcombe", "wald"}, optional
            Newcombe's hybrid score interval (the default), or the Wald interval
            d +/- z sqrt(p1 (1 - p1) / n1 + p2 (1 - p2) / n2), too narrow for small or extreme counts.

        Returns
        -------
        ConfidenceInterval
            ``low`` and ``high``, differences of shares.

        Raises
        ------
        JourneyError
            For a level outside (0, 1) or an unknown method.

        Notes
        -----
        Newcombe (1998), "Interval estimation for the difference between independent proportions: comparison
        of eleven methods", Statistics in Medicine 17, method 10: built from the Wilson interval of each share.

        Examples
        --------
        >>> [round(x, 4) for x in compare_proportions(9, 10, 3, 10).confidence_interval()]  # Newcombe, Table II (b)
        [0.1705, 0.809]
        """
        level = self.level if level is None else check_level(level)
        if _method(method, DIFFERENCE_METHODS, "newcombe") == "newcombe":
            low, high = newcombe_interval([self.k1], [self.n1], [self.k2], [self.n2], level)
            return ConfidenceInterval(float(low[0]), float(high[0]))
        p1, p2 = self.k1 / self.n1, self.k2 / self.n2
        half = NormalDist().inv_cdf(0.5 + level / 2) * np.sqrt(p1 * (1 - p1) / self.n1 + p2 * (1 - p2) / self.n2)
        return ConfidenceInterval(max(-1.0, self.difference - half), min(1.0, self.difference + half))

    def to_frame(self) -> pd.DataFrame:
        """One row: each group's ``k``, ``n`` and share, the ``difference`` with its default interval
        ``difference_ci_low``, ``difference_ci_high``, and ``p_value``.

        Examples
        --------
        >>> compare_proportions(56, 70, 48, 80).to_frame().round(4).iloc[0].tolist()
        [56.0, 70.0, 0.8, 48.0, 80.0, 0.6, 0.2, 0.0524, 0.3339, 0.0081]
        """
        low, high = self.confidence_interval()
        return pd.DataFrame(
            [
                {
                    "k1": self.k1,
                    "n1": self.n1,
                    "proportion1": self.k1 / self.n1,
                    "k2": self.k2,
                    "n2": self.n2,
                    "proportion2": self.k2 / self.n2,
                    "difference": self.difference,
                    "difference_ci_low": low,
                    "difference_ci_high": high,
                    "p_value": self.pvalue,
                }
            ]
        )

    def _headline(self) -> str:
        low, high = self.confidence_interval()
        return (
            f"difference {self.difference * 100:+.1f} percentage points ({level_label(self.level)} CI "
            f"{low * 100:+.1f} to {high * 100:+.1f}, p = {format_value(self.pvalue, 'p')}): "
            f"{self.k1 / self.n1:.1%} of {self.n1:,} vs {self.k2 / self.n2:.1%} of {self.n2:,}"
        )


def proportion(k: int, n: int, *, level: float = 0.95) -> ProportionResult:
    """A proportion ``k`` out of ``n`` with its confidence interval.

    Parameters
    ----------
    k : int
        Successes, a whole number from 0 to ``n``.
    n : int
        Trials, a non-negative whole number.
    level : float
        Confidence level of the result's interval (0.95 for 95%).

    Returns
    -------
    ProportionResult
        ``proportion`` (= ``estimate``, a share 0-1), ``k``, ``n``, and ``confidence_interval()`` (Wilson).

    Raises
    ------
    JourneyError
        When ``k`` or ``n`` is not a non-negative whole number, ``k`` exceeds ``n``, or ``level`` is not in (0, 1).

    See Also
    --------
    csat : the share of satisfied ratings.
    compare_proportions : the difference between two proportions.

    Examples
    --------
    >>> proportion(81, 263)           # Newcombe (1998), Table I: Wilson 0.2553 to 0.3662
    ProportionResult: proportion 30.8% (95% CI 25.5% to 36.6%, 81 of 263)
    >>> [round(x, 4) for x in proportion(81, 263, level=0.9).confidence_interval()]
    [0.2633, 0.3566]
    """
    k, n = _count(k, "k"), _count(n, "n")
    if k > n:
        raise JourneyError(f"k ({k}) cannot exceed n ({n})")
    return ProportionResult(k, n, level=check_level(level))


def compare_proportions(k1: int, n1: int, k2: int, n2: int, *, level: float = 0.95) -> DifferenceResult:
    """Compare two independent proportions ``k1/n1`` and ``k2/n2``.

    Parameters
    ----------
    k1, n1 : int
        Successes and trials of the first group (``n1`` positive).
    k2, n2 : int
        Successes and trials of the second group (``n2`` positive).
    level : float
        Confidence level of the result's interval.

    Returns
    -------
    DifferenceResult
        ``difference`` (= ``estimate``, k1/n1 - k2/n2, a share), Newcombe's ``confidence_interval()`` and a
        two-sided ``pvalue``.

    Raises
    ------
    JourneyError
        When a count is not a whole number, a ``k`` exceeds its ``n``, an ``n`` is 0, or ``level`` is not in (0, 1).

    See Also
    --------
    proportion

    Notes
    -----
    The difference k1/n1 - k2/n2 of two independent proportions, with Newcombe's hybrid score interval
    built from each group's Wilson interval (Newcombe 1998, "Interval estimation for the difference
    between independent proportions: comparison of eleven methods", *Statistics in Medicine* 17, method
    10). The two-sided p-value inverts that interval: it is the smallest ``alpha`` at which the level
    ``1 - alpha`` interval excludes 0, so "p < 0.05" and "the 95% interval excludes 0" always agree.

    Examples
    --------
    >>> d = compare_proportions(56, 70, 48, 80)         # Newcombe (1998), Table II (a): 0.0524 to 0.3339
    >>> [round(x, 4) for x in d.confidence_interval()], round(d.pvalue, 4)
    ([0.0524, 0.3339], 0.0081)
    """
    for k, n, name in ((k1, n1, "1"), (k2, n2, "2")):
        proportion(k, n)
        if _count(n, f"n{name}") == 0:
            raise JourneyError(f"n{name} must be positive")
    return DifferenceResult(int(k1), int(n1), int(k2), int(n2), level=check_level(level))


def csat(
    ratings: Iterable[Any], *, scale: tuple[int, int] = (1, 5), satisfied: tuple[int, ...] = (4, 5), level: float = 0.95
) -> ProportionResult:
    """Customer satisfaction: the share of answered ratings that are among ``satisfied``.

    Parameters
    ----------
    ratings : sequence of numbers or numeric text
        One rating per answer; missing values (NaN, None) are unanswered.
    scale : (int, int)
        Lowest and highest rating of the scale, both included.
    satisfied : tuple of int
        Ratings that count as satisfied (4 and 5 on the default 1-5 scale).
    level : float
        Confidence level of the result's interval.

    Returns
    -------
    ProportionResult
        Labelled ``"CSAT"``: ``k`` satisfied of ``n`` answered, ``n_missing`` unanswered, a share 0-1.

    Raises
    ------
    InvalidValuesError
        For ratings that are not whole numbers on the scale (``4.0`` and ``"4"`` are accepted), naming each
        with its position. Nothing is clipped or rounded.
    JourneyError
        When ``satisfied`` holds ratings off the scale.

    See Also
    --------
    proportion

    Notes
    -----
    CSAT = satisfied answers / answered ratings ("top-two-box" on a 1-5 scale). Its interval is Wilson's, as
    for any proportion (Brown, Cai and DasGupta 2001, "Interval estimation for a binomial proportion").

    Examples
    --------
    >>> csat([5, 4, 3, None, 5])
    ProportionResult: CSAT 75.0% (95% CI 30.1% to 95.4%, 3 of 4, 1 missing)
    """
    low, high = scale
    if not set(satisfied) <= set(range(low, high + 1)):
        raise JourneyError(f"satisfied={satisfied!r} must be ratings on the scale {scale!r}")
    values, missing = whole_scores(ratings, low, high, "ratings")
    return ProportionResult(
        int(np.isin(values, satisfied).sum()), len(values), int(missing), label="CSAT", level=check_level(level)
    )


def whole_scores(values: Iterable[Any], low: int, high: int, name: str) -> tuple[np.ndarray, int]:
    """Validated whole-number scores in [low, high] (missing ones dropped) and how many were missing.

    Accepts numbers and numeric text; refuses fractions, values off the scale and non-numbers, naming each
    with its position under the column or argument ``name``. Nothing is clipped or rounded.
    """
    shape = getattr(values, "shape", ())
    if len(shape) > 1:
        raise JourneyError(
            f"{name} must hold one answer per respondent (one dimension), not an array of shape "
            f"{shape}: pass one column or row"
        )
    series, numbers, bad, missing = check_scores(values, low, high)
    if bad.any():
        rows = np.flatnonzero(bad)
        raise InvalidValuesError(
            name,
            score_reason(low, high),
            rows.tolist(),
            series.iloc[rows].tolist(),
            "Fix or remove them; missing answers may be left empty.",
        )
    return numbers[~missing].astype(np.int64), int(missing.sum())


def check_scores(values: Iterable[Any], low: int, high: int) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """(values as a Series, their numbers, mask of invalid values, mask of missing ones)."""
    series = values.reset_index(drop=True) if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    missing = series.isna().to_numpy()
    numbers = pd.to_numeric(series.where(~missing), errors="coerce").to_numpy(dtype=float)
    bad = ~missing & (np.isnan(numbers) | (numbers != np.round(numbers)) | (numbers < low) | (numbers > high))
    # True and False are no answers on a scale, though pandas would count them as 1 and 0.
    if pd.api.types.is_bool_dtype(series.dtype):
        bad |= ~missing
    elif series.dtype == object:
        bad |= series.map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool)
    return series, numbers, bad, missing


def score_reason(low: int, high: int) -> str:
    """The reason quoted for scores off the scale ``low``..``high``."""
    return f"values that are not whole numbers from {low} to {high}"


def _count(value: Any, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not float(value).is_integer() or value < 0:
        raise JourneyError(f"{name} must be a non-negative whole number, not {value!r}")
    return int(value)
