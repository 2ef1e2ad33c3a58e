"""How many answers to collect, and how precise a number of answers makes an estimate.

The formulas and their references are in the Notes of :func:`sample_size`.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Literal, NamedTuple

from ..errors import JourneyError
from .proportions import level_label
from .results import check_level

__all__ = ["sample_size", "margin_of_error", "power", "sample_size_two_groups", "Metric"]

#: What the margin is about: a proportion (percentage points) or an NPS (NPS points).
Metric = Literal["proportion", "nps"]


def sample_size(
    margin: float,
    *,
    metric: Metric = "proportion",
    level: float = 0.95,
    p: float = 0.5,
    shares: tuple[float, float, float] | None = None,
) -> int:
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
    sample_size_two_groups : answers for comparing two groups.

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
            advice = (
                f"; to show that a share expected to be {p:g} is within {margin:g} points of it, {needed:,} "
                f"answers all {'without' if p == 0 else 'with'} it suffice (where the exact one-sided "
                f"{level_label(level)} bound, 1 - {1 - level:g}^(1/n), reaches the margin)"
            )
        raise JourneyError(_no_variance(metric, p, shares) + advice)
    return math.ceil(_z(level) ** 2 * variance / (margin / 100) ** 2 - 1e-9)


def margin_of_error(
    n: int,
    *,
    metric: Metric = "proportion",
    level: float = 0.95,
    p: float = 0.5,
    shares: tuple[float, float, float] | None = None,
) -> float:
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
    return (
        f"{given} means every answer is the same: with no variance the normal approximation gives a margin of "
        f"0 from any number of answers, which no interval keeps. Give the {'share' if metric == 'proportion' else 'shares'} "
        f"you expect to see ({'p=0.5' if metric == 'proportion' else 'the default'} is the worst case)"
    )


def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + check_level(level) / 2)


def power(
    n: int,
    difference: float,
    *,
    n2: int | None = None,
    metric: Metric = "proportion",
    level: float = 0.95,
    p: float = 0.5,
    shares: tuple[float, float, float] | None = None,
) -> float:
    """Power of comparing two groups: the probability of finding a true ``difference`` significant.

    Parameters
    ----------
    n : int
        Answers in the first group, at least 1.
    difference : float
        The true difference between the groups, in points (percentage points for a proportion, NPS points
        for an NPS), second group minus first; not 0.
    n2 : int, optional
        Answers in the second group; ``n`` when not given.
    metric : {"proportion", "nps"}
        What is compared: two proportions (:func:`journey.compare_proportions`) or two NPS
        (:func:`journey.nps_compare`).
    level : float
        Confidence level of the comparison: a difference is significant when its two-sided p-value is below
        ``1 - level`` (0.95: a test at 5%).
    p : float
        Expected share of the first group (``metric="proportion"``); the second group's is
        ``p + difference / 100``.
    shares : (float, float, float), optional
        Expected shares of promoters, passives and detractors of the first group (``metric="nps"``); by
        default half promoters, half detractors. The second group has ``difference / 2`` points more
        promoters and as many fewer detractors (its passives the same).

    Returns
    -------
    float
        The power, a probability 0-1 (``1 - level`` for a difference of 0, approaching 1 as ``n`` grows).

    Raises
    ------
    JourneyError
        For ``n`` or ``n2`` below 1, a difference of 0 or one the shares cannot reach, shares that are not
        shares, two groups without variance, an unknown metric or a level outside (0, 1).

    See Also
    --------
    sample_size_two_groups : the answers each group needs for a given power.
    sample_size : answers for a margin of error of one estimate.

    Notes
    -----
    The normal approximation of the two-sided test at ``alpha = 1 - level``. With ``d`` the difference as a
    share, ``z`` the ``1 - alpha / 2`` normal quantile, ``se1`` the standard error of the difference under
    the alternative and ``se0`` the one the test uses under the null hypothesis,
    ``power = Phi((|d| - z se0) / se1) + Phi((-|d| - z se0) / se1)``.

    * Proportions: ``se1 = sqrt(p1 q1 / n1 + p2 q2 / n2)`` and ``se0`` from the pooled share
      ``(n1 p1 + n2 p2) / (n1 + n2)`` (Fleiss, Levin and Paik 2003, *Statistical Methods for Rates and
      Proportions*, 3rd ed., section 4.2, without continuity correction; R's ``power.prop.test``). By
      simulation it matches the power of :func:`journey.compare_proportions`' p-value within 0.01 for groups
      of about 100 answers or more.
    * NPS: each answer scores +1, 0 or -1 with variance ``v = p + d - (p - d)^2`` (Rocks 2016, "Interval
      estimation for the Net Promoter Score", *The American Statistician* 70); the test of
      :func:`journey.nps_compare` uses each group's own variance, so ``se0 = se1 = sqrt(v1 / n1 + v2 / n2)``
      (the two-sample z-test of Chow, Shao and Wang 2008, *Sample Size Calculations in Clinical Research*,
      2nd ed., section 3.2).

    Examples
    --------
    50 answers a group, 50% against 75% (R: ``power.prop.test(n = 50, p1 = .5, p2 = .75)`` gives 0.7401659):

    >>> round(power(50, 25, p=0.5), 4)
    0.7402
    >>> round(power(1000, 10, metric="nps", shares=(0.4, 0.3, 0.3)), 3), round(power(200, 15, n2=100, p=0.3), 3)
    (0.777, 0.725)
    """
    groups = _two_groups(metric, difference, p, shares)
    first = _answers(n, "n")
    return _power(first, first if n2 is None else _answers(n2, "n2"), groups, check_level(level))


def sample_size_two_groups(
    difference: float,
    *,
    metric: Metric = "proportion",
    level: float = 0.95,
    power: float = 0.8,
    p: float = 0.5,
    shares: tuple[float, float, float] | None = None,
) -> int:
    """Answers needed in each of two equal groups to find a true ``difference`` significant with ``power``.

    Parameters
    ----------
    difference : float
        The difference to detect, in points (percentage points for a proportion, NPS points for an NPS),
        second group minus first; not 0.
    metric : {"proportion", "nps"}
        What is compared: two proportions or two NPS.
    level : float
        Confidence level of the comparison (0.95: a two-sided test at 5%).
    power : float
        The probability of finding the difference significant, between ``1 - level`` and 1 (0.8 by custom).
    p : float
        Expected share of the first group (``metric="proportion"``); the second group's is
        ``p + difference / 100``.
    shares : (float, float, float), optional
        Expected shares of promoters, passives and detractors of the first group (``metric="nps"``); by
        default half promoters, half detractors. The second group has ``difference / 2`` points more
        promoters and as many fewer detractors.

    Returns
    -------
    int
        The smallest number of answers per group whose :func:`power` reaches ``power``. For unequal groups,
        compute :func:`power` with ``n2``.

    Raises
    ------
    JourneyError
        As :func:`power`, and for a ``power`` outside (1 - level, 1).

    See Also
    --------
    power : the power of given group sizes.
    sample_size : answers for a margin of error of one estimate.

    Notes
    -----
    The test, its standard errors and references are those of :func:`power`. For equal groups the normal
    approximation solves to ``n = ((z_a s0 + z_b s1) / d)^2`` with ``z_a`` the ``1 - alpha / 2`` and ``z_b``
    the ``power`` normal quantiles, ``s1^2 = v1 + v2`` (the variances of one answer in each group) and
    ``s0^2 = 2 pbar (1 - pbar)`` for proportions (``pbar`` the mean of the two shares; ``s0 = s1`` for an NPS):
    Fleiss, Levin and Paik (2003), equation 4.14 without continuity correction. That ``n``, rounded up, is
    checked against :func:`power` and lowered while one answer fewer still reaches ``power``.

    Examples
    --------
    40% against 60% at 95% and 80% power needs the textbook 97 answers a group; 50% against 75% at 90%
    power 77 (R's ``power.prop.test(p1 = .5, p2 = .75, power = .9)``: n = 76.65):

    >>> sample_size_two_groups(20, p=0.4), sample_size_two_groups(25, p=0.5, power=0.9)
    (97, 77)
    >>> sample_size_two_groups(10, metric="nps", shares=(0.4, 0.3, 0.3))
    1060
    """
    groups = _two_groups(metric, difference, p, shares)
    level = check_level(level)
    if isinstance(power, bool) or not isinstance(power, (int, float)) or not 1 - level < power < 1:
        raise JourneyError(
            f"power must be a probability between {1 - level:g} (the test's false-positive rate "
            f"at level={level:g}) and 1, such as 0.8, not {power!r}"
        )
    alternative = sum(groups.variances)
    null = alternative
    if groups.shares is not None:
        pooled = sum(groups.shares) / 2
        null = 2 * pooled * (1 - pooled)
    z_a, z_b = _z(level), NormalDist().inv_cdf(power)
    n = max(1, math.ceil(((z_a * math.sqrt(null) + z_b * math.sqrt(alternative)) / groups.difference) ** 2 - 1e-9))
    while n > 1 and _power(n - 1, n - 1, groups, level) >= power:
        n -= 1
    return n


def _answers(n: int, keyword: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, float)) or not n >= 1:
        raise JourneyError(f"{keyword} must be a number of answers of at least 1, not {n!r}")
    return int(n)


class _Groups(NamedTuple):
    """Two groups as the power calculation sees them."""

    difference: float  # |difference|, share scale
    variances: tuple[float, float]  # of one answer, in each group
    shares: tuple[float, float] | None  # proportions: the two shares, for the pooled variance of the null


def _two_groups(metric: str, difference: float, p: float, shares: tuple[float, float, float] | None) -> _Groups:
    """The two groups of a comparison of proportions (shares ``p`` and ``p + difference``) or of NPS."""
    _variance(metric, p, shares)  # refuses an unknown metric, and a p or shares that are not shares
    if (
        isinstance(difference, bool)
        or not isinstance(difference, (int, float))
        or not difference
        or math.isnan(difference)
    ):
        raise JourneyError(f"difference must be a non-zero number of points, not {difference!r}")
    d = difference / 100
    if metric == "proportion":
        if not 0 <= p + d <= 1:
            raise JourneyError(
                f"difference={difference!r} points from p={p!r} puts the second group's share outside 0-1"
            )
        groups = _Groups(abs(d), (p * (1 - p), (p + d) * (1 - p - d)), (p, p + d))
    else:
        promoters, passives, detractors = shares if shares is not None else (0.5, 0.0, 0.5)
        more, fewer = promoters + d / 2, detractors - d / 2  # detractors turned promoters, passives the same
        if not (0 <= more <= 1 and 0 <= fewer <= 1):
            raise JourneyError(
                f"difference={difference!r} NPS points cannot be reached from shares "
                f"{(promoters, passives, detractors)!r} by turning detractors into promoters"
            )
        groups = _Groups(
            abs(d), (_variance("nps", 0.5, (promoters, passives, detractors)), more + fewer - (more - fewer) ** 2), None
        )
    if max(groups.variances) == 0:
        raise JourneyError(
            "neither group has any variance (every answer in each group the same): there is nothing for a test to weigh"
        )
    return groups


def _power(n1: int, n2: int, groups: _Groups, level: float) -> float:
    """Normal-approximation power of the two-sided test (see :func:`power`'s Notes)."""
    v1, v2 = groups.variances
    se1 = math.sqrt(v1 / n1 + v2 / n2)
    se0 = se1
    if groups.shares is not None:
        pooled = (n1 * groups.shares[0] + n2 * groups.shares[1]) / (n1 + n2)
        se0 = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z, phi, d = _z(level), NormalDist().cdf, groups.difference
    return phi((d - z * se0) / se1) + phi((-d - z * se0) / se1)
