"""How many answers to collect, and how precise a number of answers makes an estimate.

Margins are half-widths of the normal-approximation interval, in points (percentage points for a
proportion, NPS points for an NPS):

* proportion: margin = z x sqrt(p (1 - p) / n) x 100. At p = 0.5, 400 answers give +/-4.9 points and
  +/-2 points needs 2,401 answers.
* NPS: margin = z x sqrt(v / n) x 100 with v = p_promoters + p_detractors - (p_promoters - p_detractors)**2,
  at most 1 (half promoters, half detractors). That worst case needs 1,537 answers for +/-5 points, about
  four times as many as a proportion at the same margin (385), because an NPS answer varies on -1..1.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from ..errors import JourneyError

__all__ = ["sample_size", "margin_of_error"]

METRICS = ("proportion", "nps")


def sample_size(margin: float, *, metric: str = "proportion", level: float = 0.95, p: float = 0.5,
                shares: tuple[float, float, float] | None = None) -> int:
    """Answers needed for a margin of error of ``margin`` points.

    Parameters
    ----------
    margin : float
        Half-width of the interval, in points (e.g. 5 for +/-5 points).
    metric : {"proportion", "nps"}
    level : float
        Confidence level.
    p : float
        Expected proportion (``metric="proportion"``); 0.5 is the worst case.
    shares : (promoters, passives, detractors), optional
        Expected shares (``metric="nps"``); by default the worst case, half promoters and half detractors.

    Examples
    --------
    >>> sample_size(2), sample_size(5, metric="nps")
    (2401, 1537)
    """
    if not margin > 0:
        raise JourneyError(f"margin must be a positive number of points, not {margin!r}")
    variance = _variance(metric, p, shares)
    z = _z(level)
    return math.ceil(z**2 * variance / (margin / 100) ** 2 - 1e-9)


def margin_of_error(n: int, *, metric: str = "proportion", level: float = 0.95, p: float = 0.5,
                    shares: tuple[float, float, float] | None = None) -> float:
    """Margin of error, in points, of an estimate from ``n`` answers (see :func:`sample_size`).

    Examples
    --------
    >>> round(margin_of_error(400), 1), round(margin_of_error(400, metric="nps"), 1)
    (4.9, 9.8)
    """
    if not n >= 1:
        raise JourneyError(f"n must be at least 1, not {n!r}")
    return _z(level) * math.sqrt(_variance(metric, p, shares) / n) * 100


def _variance(metric: str, p: float, shares) -> float:
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


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise JourneyError(f"level must be between 0 and 1, not {level!r}")
    return NormalDist().inv_cdf(0.5 + level / 2)
