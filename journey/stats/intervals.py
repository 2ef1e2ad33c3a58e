"""Confidence intervals for proportions, vectorised for tables (one row per touchpoint or step)."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["wilson_interval", "newcombe_interval", "newcombe_pvalue", "proportion_interval", "PROPORTION_METHODS"]

#: Interval methods for a proportion: Wilson score (default), Clopper-Pearson ("exact"), Jeffreys.
PROPORTION_METHODS = ("wilson", "exact", "jeffreys")


def wilson_interval(k: ArrayLike, n: ArrayLike, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``k`` successes out of ``n``, element-wise; NaN where ``n`` is 0.

    The same interval as ``scipy.stats.binomtest(k, n).proportion_ci(level, method="wilson")``, computed
    for whole arrays at once. Bounds are shares in [0, 1].

    Examples
    --------
    >>> low, high = wilson_interval([8], [10])
    >>> print(f"{low[0]:.4f} {high[0]:.4f}")
    0.4902 0.9433
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level}")
    return _wilson(np.asarray(k, dtype=float), np.asarray(n, dtype=float), NormalDist().inv_cdf(0.5 + level / 2))


def _wilson(k: np.ndarray, n: np.ndarray, z: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Wilson bounds at normal quantile(s) ``z`` (broadcast with ``k`` and ``n``)."""
    z = np.asarray(z, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        low = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
        high = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    # At k = 0 or k = n the exact bound is 0 or 1; rounding must not move it off.
    low = np.where((k == 0) & (n > 0), 0.0, low)
    high = np.where((k == n) & (n > 0), 1.0, high)
    return low, high


def newcombe_interval(
    k1: ArrayLike, n1: ArrayLike, k2: ArrayLike, n2: ArrayLike, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe's hybrid score interval for the difference of two independent proportions ``k1/n1 - k2/n2``.

    Method 10 of Newcombe (1998), built from the Wilson intervals of each proportion; bounds are
    differences of shares in [-1, 1], element-wise.

    Examples
    --------
    >>> low, high = newcombe_interval([56], [70], [48], [80])   # Newcombe (1998), Table II, example (a)
    >>> print(f"{low[0]:.4f} {high[0]:.4f}")
    0.0524 0.3339
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level}")
    k1, n1, k2, n2 = (np.asarray(x, dtype=float) for x in (k1, n1, k2, n2))
    low, high = _newcombe(k1, n1, k2, n2, NormalDist().inv_cdf(0.5 + level / 2))
    return np.clip(low, -1, 1), np.clip(high, -1, 1)


def _newcombe(
    k1: np.ndarray, n1: np.ndarray, k2: np.ndarray, n2: np.ndarray, z: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe's bounds (unclipped) at normal quantile(s) ``z``."""
    l1, u1 = _wilson(k1, n1, z)
    l2, u2 = _wilson(k2, n2, z)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = k1 / n1, k2 / n2
        d = p1 - p2
        return d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


#: Largest normal quantile searched for the p-value: beyond it the p-value, 2 Phi(-40), is 0 in floating point.
_Z_MAX = 40.0


def newcombe_pvalue(k1: ArrayLike, n1: ArrayLike, k2: ArrayLike, n2: ArrayLike) -> np.ndarray:
    """Two-sided p-value that two independent proportions are equal, inverting Newcombe's interval.

    The smallest ``alpha`` at which the level ``1 - alpha`` interval of :func:`newcombe_interval` excludes 0:
    ``p < 1 - level`` exactly when that interval excludes 0, at every level. Element-wise; NaN where an ``n``
    is 0, 1 where the two shares are equal.

    Notes
    -----
    Each Wilson bound moves away from its share as the normal quantile ``z`` grows, so the lower Newcombe
    bound decreases in ``z`` (the upper one increases). For ``k1/n1 > k2/n2`` the p-value is ``2 (1 - Phi(z*))``
    with ``z*`` the root of ``lower(z) = 0`` (for ``k1/n1 < k2/n2``, of ``upper(z) = 0``), found for every
    element at once by bisection to double precision. This is the test-interval duality of Newcombe (1998),
    "Interval estimation for the difference between independent proportions: comparison of eleven methods",
    *Statistics in Medicine* 17; a chi-square or Fisher p-value disagrees with the interval in borderline tables.

    Examples
    --------
    >>> p = newcombe_pvalue([56, 9], [70, 10], [48, 3], [80, 10])
    >>> [round(float(x), 5) for x in p]
    [0.00813, 0.00496]
    >>> low, high = newcombe_interval([56], [70], [48], [80], level=1 - p[0])  # at level 1 - p it touches 0
    >>> print(f"{low[0]:.9f}")
    0.000000000
    """
    k1, n1, k2, n2 = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (k1, n1, k2, n2)))
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = k1 / n1, k2 / n2
    known = (n1 > 0) & (n2 > 0) & ~np.isnan(p1) & ~np.isnan(p2)
    p = np.where(known, 1.0, np.nan)
    # Ordered so that the first share is the larger: the root is then that of the lower bound. That share is
    # above 0 and the other below 1, so neither Wilson bound sits at its exact 0 or 1 and the formulas apply.
    differ = known & (p1 != p2)
    swap = (p1 < p2)[differ]
    a, b = np.where(swap, p2[differ], p1[differ]), np.where(swap, p1[differ], p2[differ])
    na, nb = np.where(swap, n2[differ], n1[differ]), np.where(swap, n1[differ], n2[differ])
    lo, hi = np.zeros(len(a)), np.full(len(a), _Z_MAX)
    for _ in range(64):  # halves [0, 40] to below 1e-17
        z = (lo + hi) / 2
        zz = z * z
        below_a = a - (a + zz / (2 * na) - z * np.sqrt(a * (1 - a) / na + zz / (4 * na * na))) / (1 + zz / na)
        above_b = (b + zz / (2 * nb) + z * np.sqrt(b * (1 - b) / nb + zz / (4 * nb * nb))) / (1 + zz / nb) - b
        excludes = a - b > np.sqrt(below_a**2 + above_b**2)  # the lower bound is still above 0: the root is beyond z
        lo, hi = np.where(excludes, z, lo), np.where(excludes, hi, z)
    from scipy.special import ndtr

    p[differ] = np.minimum(1.0, 2 * ndtr(-(lo + hi) / 2))
    return p


def proportion_interval(
    k: ArrayLike, n: ArrayLike, level: float = 0.95, method: str = "wilson"
) -> tuple[np.ndarray, np.ndarray]:
    """Interval for ``k`` successes out of ``n``, element-wise, by ``method``; NaN where ``n`` is 0.

    ``"wilson"``: the Wilson score interval. ``"exact"``: Clopper-Pearson, from the Beta quantiles.
    ``"jeffreys"``: the equal-tailed interval of Beta(k + 1/2, n - k + 1/2), with the bound at 0 (k = 0)
    or 1 (k = n) fixed there, as Brown, Cai and DasGupta (2001) recommend.

    Examples
    --------
    >>> low, high = proportion_interval([81], [263], method="exact")
    >>> print(f"{low[0]:.4f} {high[0]:.4f}")
    0.2527 0.3676
    """
    from ..errors import JourneyError

    if method not in PROPORTION_METHODS:
        raise JourneyError(f"method must be one of {', '.join(map(repr, PROPORTION_METHODS))}, not {method!r}")
    if method == "wilson":
        return wilson_interval(k, n, level)
    from scipy.stats import beta

    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    tail = (1 - level) / 2
    shift = 1.0 if method == "exact" else 0.5
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k > 0, beta.ppf(tail, k + (0 if method == "exact" else 0.5), n - k + shift), 0.0)
        high = np.where(k < n, beta.ppf(1 - tail, k + shift, n - k + (0 if method == "exact" else 0.5)), 1.0)
    unknown = ~(n > 0) | np.isnan(k)  # no trials, or counts that are not known
    return np.where(unknown, np.nan, low), np.where(unknown, np.nan, high)
