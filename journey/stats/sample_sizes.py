"""How many answers to collect, and how precise a number of answers makes an estimate.

The formulas and their references are in the Notes of :func:`sample_size`.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Literal

from ..errors import JourneyError
from .proportions import level_label
from .results import check_level

__all__ = ["sample_size", "margin_of_error", "Metric"]

#: What the margin is about: a proportion (percentage points) or an NPS (NPS points).
Metric = Literal["proportion", "nps"]


def sample_size(margin: float, *, metric: Metric = "proportion", level: float = 0.95, p: float = 0.5,
                shares: tuple[float, float, float] | None = None) -> int:
    """Answers needed for a margin of error of ``margin`` points.

    Parameters
    ----------
    margin : float
        Half-width of the interval, in points: percentage points for a proportion, NPS points for an NPS
        (5 for +/-5 points).
    metric : {"proportion", "nps"}
        What will be estimated.
    level : float
        Confidence level (0.95 for 95%).
    p : float
        Expected proportion, a share 0-1 (``metric="proportion"``); 0.5, the default, is the worst case.
    shares : (float, float, float), optional
        Expected shares of promoters, passives and detractors, summing to 1 (``metric="nps"``); by default
        the worst case, half promoters and half detractors.

    Returns
    -------
    int
        The smallest number of answers whose margin is at most ``margin``.

    Raises
    ------
    JourneyError
        For a margin that is not positive, a ``p`` or ``shares`` that are not shares, an unknown metric or a
        level outside (0, 1); and for answers without variance (``p`` of 0 or 1, all answers in one NPS
        category), for which the formula gives 0 answers: the message says how many answers the exact
        one-sided bound needs instead.

    See Also
    --------
    margin_of_error : the inverse, the margin of ``n`` answers.

    Notes
    -----
    The normal-approximation sample size of Cochran (1977), *Sampling Techniques*, 3rd ed., chapter 4, for
    a large population: n = z^2 v / d^2, with d the margin as a share, z the two-sided normal quantile of
    ``level`` and v the variance of one answer:

    * proportion: v = p (1 - p), at most 1/4 (p = 0.5);
    * NPS: each answer scores +1, 0 or -1, so v = p_promoters + p_detractors - (p_promoters - p_detractors)^2,
      at most 1 (half promoters, half detractors; Rocks 2016, "Interval estimation for the Net Promoter
      Score", The American Statistician 70). An NPS therefore needs about four times the answers of a
      proportion for the same margin in points.

    Examples
    --------
    The figures survey textbooks quote for a proportion at 95%: 385 answers for +/-5 points, 1,068 for +/-3,
    2,401 for +/-2 (Cochran's n = 1.96^2 x 0.25 / d^2, rounded up):

    >>> sample_size(5), sample_size(3), sample_size(2)
    (385, 1068, 2401)
    >>> sample_size(5, metric="nps"), sample_size(5, metric="nps", shares=(0.5, 0.3, 0.2))
    (1537, 938)
    """
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not margin > 0:
        raise JourneyError(f"margin must be a positive number of points, not {margin!r}")
    variance = _variance(metric, p, shares)
    if variance == 0:
        advice = ""
        if metric == "proportion" and margin < 100:
            # The exact one-sided bound from n answers none of which is a success: 1 - (1 - level)^(1/n).
            needed = math.ceil(math.log(1 - check_level(level)) / math.log(1 - margin / 100) - 1e-9)
            advice = (f"; to show that a share expected to be {p:g} is within {margin:g} points of it, {needed:,} "
                      f"answers all {'without' if p == 0 else 'with'} it suffice (where the exact one-sided "
                      f"{level_label(level)} bound, 1 - {1 - level:g}^(1/n), reaches the margin)")
        raise JourneyError(_no_variance(metric, p, shares) + advice)
    return math.ceil(_z(level) ** 2 * variance / (margin / 100) ** 2 - 1e-9)


def margin_of_error(n: int, *, metric: Metric = "proportion", level: float = 0.95, p: float = 0.5,
                    shares: tuple[float, float, float] | None = None) -> float:
    """Margin of error, in points, of an estimate from ``n`` answers.

    Parameters
    ----------
    n : int
        Answers, at least 1.
    metric : {"proportion", "nps"}
        What is estimated.
    level : float
        Confidence level.
    p : float
        Expected proportion, a share 0-1 (``metric="proportion"``); 0.5 is the worst case.
    shares : (float, float, float), optional
        Expected shares of promoters, passives and detractors (``metric="nps"``); the worst case by default.

    Returns
    -------
    float
        Half-width of the normal-approximation interval, z sqrt(v / n) x 100: percentage points for a
        proportion, NPS points for an NPS (v as in :func:`sample_size`).

    Raises
    ------
    JourneyError
        For ``n`` below 1, and as :func:`sample_size` (answers without variance have no normal margin).

    See Also
    --------
    sample_size

    Notes
    -----
    The margin is z sqrt(v / n) with z the normal quantile of the level and v the variance of one answer:
    p (1 - p) for a proportion, p + d - (p - d)^2 for an NPS with promoter and detractor shares p and d
    (Cochran 1977, *Sampling Techniques*, 3rd ed., ch. 4). It is the half-width of the Wald interval;
    the package's reported intervals (Wilson, adjusted Wald) are close to it for the n it is used for.

    Examples
    --------
    The textbook +/-4.9 points of 400 answers at 95% (1.96 x sqrt(0.25 / 400)), and +/-3.1 of 1,000:

    >>> round(margin_of_error(400), 1), round(margin_of_error(1000), 1)
    (4.9, 3.1)
    >>> round(margin_of_error(400, metric="nps"), 1), round(margin_of_error(400, level=0.9), 1)
    (9.8, 4.1)
    """
    if isinstance(n, bool) or not isinstance(n, (int, float)) or not n >= 1:
        raise JourneyError(f"n must be at least 1, not {n!r}")
    variance = _variance(metric, p, shares)
    if variance == 0:
        raise JourneyError(_no_variance(metric, p, shares))
    return _z(level) * math.sqrt(variance / n) * 100


def _variance(metric: str, p: float, shares: tuple[float, float, float] | None) -> float:
    """Variance of one answer (share scale) for ``metric``."""
    if metric == "proportion":
        if not 0 <= p <= 1:
            raise JourneyError(f"p must be a share between 0 and 1, not {p!r}")
        return p * (1 - p)
    if metric == "nps":
        promoters, passives, detractors = shares if shares is not None else (0.5, 0.0, 0.5)
        if min(promoters, passives, detractors) < 0 or abs(promoters + passives + detractors - 1) > 1e-9:
            raise JourneyError(f"shares must be three non-negative shares summing to 1, not {shares!r}")
        return promoters + detractors - (promoters - detractors) ** 2
    raise JourneyError(f'metric must be "proportion" or "nps", not {metric!r}')


def _no_variance(metric: str, p: float, shares: tuple[float, float, float] | None) -> str:
    """Why a margin cannot be computed for answers that would all be the same."""
    given = f"p={p!r}" if metric == "proportion" else f"shares={shares!r}"
    return (f"{given} means every answer is the same: with no variance the normal approximation gives a margin of "
            f"0 from any number of answers, which no interval keeps. Give the {'share' if metric == 'proportion' else 'shares'} "
            f"you expect to see ({'p=0.5' if metric == 'proportion' else 'the default'} is the worst case)")


def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + check_level(level) / 2)
