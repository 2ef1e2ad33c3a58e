"""Confidence intervals for proportions, vectorised for tables (one row per touchpoint or step)."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["wilson_interval", "newcombe_interval", "proportion_interval", "PROPORTION_METHODS"]

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
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    z = NormalDist().inv_cdf(0.5 + level / 2)
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


def newcombe_interval(k1: ArrayLike, n1: ArrayLike, k2: ArrayLike, n2: ArrayLike,
                      level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe's hybrid score interval for the difference of two independent proportions ``k1/n1 - k2/n2``.

    Method 10 of Newcombe (1998), built from the Wilson intervals of each proportion; bounds are
    differences of shares in [-1, 1], element-wise.

    Examples
    --------
    >>> low, high = newcombe_interval([56], [70], [48], [80])   # Newcombe (1998), Table II, example (a)
    >>> print(f"{low[0]:.4f} {high[0]:.4f}")
    0.0524 0.3339
    """
    k1, n1, k2, n2 = (np.asarray(x, dtype=float) for x in (k1, n1, k2, n2))
    l1, u1 = wilson_interval(k1, n1, level)
    l2, u2 = wilson_interval(k2, n2, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = k1 / n1, k2 / n2
        d = p1 - p2
        low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
        high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return np.clip(low, -1, 1), np.clip(high, -1, 1)


def proportion_interval(k: ArrayLike, n: ArrayLike, level: float = 0.95,
                        method: str = "wilson") -> tuple[np.ndarray, np.ndarray]:
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
