"""Net Promoter Score with honest confidence intervals, comparisons and per-segment tables.

The definition of the score and of its interval methods is in the Notes of :func:`nps` and
:func:`nps_interval`; the results follow the protocol of :mod:`journey.stats.results`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd

from ..errors import JourneyError, JourneyWarning, MissingColumnError, option
from .proportions import _count, level_label, whole_scores
from .resampling import MIN_BOOTSTRAP_ANSWERS, warn_few
from .results import ConfidenceInterval, Result, TableResult, Unit, check_level, format_value
from .significance import Adjustment, adjust_pvalues, adjustment_label, check_adjust

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "NPSResult",
    "NPSDifference",
    "NPSTable",
    "nps",
    "nps_from_counts",
    "nps_compare",
    "nps_by",
    "plot_nps",
    "nps_interval",
    "nps_coverage",
    "NPS_METHODS",
    "NPSMethod",
    "NPSDifferenceMethod",
]

#: Interval for an NPS: adjusted Wald (default), Wald, Tango score, bootstrap, Bayesian (Dirichlet).
NPSMethod = Literal["adjusted-wald", "wald", "score", "bootstrap", "bayes"]
#: Interval for a difference of two NPS: adjusted Wald on each group (default), Wald, bootstrap.
NPSDifferenceMethod = Literal["adjusted-wald", "wald", "bootstrap"]

NPS_METHODS = ("adjusted-wald", "wald", "score", "bootstrap", "bayes")
DIFFERENCE_METHODS = ("adjusted-wald", "wald", "bootstrap")
METHOD_NAMES = {
    "adjusted-wald": "adjusted-Wald",
    "wald": "Wald",
    "score": "Tango score",
    "bootstrap": "bootstrap",
    "bayes": "Bayesian (Jeffreys prior)",
}


def _method(method: str | None, allowed: tuple[str, ...]) -> str:
    if method is None:
        return allowed[0]
    if method not in allowed:
        raise JourneyError(f"method must be one of {', '.join(map(repr, allowed))}, not {method!r}")
    return method


def nps_interval(
    promoters: Any,
    passives: Any,
    detractors: Any,
    level: float = 0.95,
    method: NPSMethod = "adjusted-wald",
    *,
    n_boot: int = 10_000,
    seed: int = 0,
    prior: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """NPS interval bounds in points for counts of promoters, passives and detractors, element-wise.

    Parameters
    ----------
    promoters, passives, detractors : int or array of int
        Counts of answers 9-10, 7-8 and 0-6 (arrays of one shape for a table of groups).
    level : float
        Confidence level (0.95 for 95%).
    method : {"adjusted-wald", "wald", "score", "bootstrap", "bayes"}
        The interval; see Notes.
    n_boot : int
        Resamples (``"bootstrap"``) or posterior draws (``"bayes"``).
    seed : int
        Seed of the resampling methods: the same seed gives the same digits.
    prior : float
        Dirichlet pseudo-count per category of ``"bayes"``, positive (1/2: Jeffreys).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper bounds in points, clipped to [-100, 100]; NaN for a group with no answers.

    Raises
    ------
    JourneyError
        For a level outside (0, 1), an unknown method, ``n_boot`` below 1 or a ``prior`` that is not positive.

    Warns
    -----
    JourneyWarning
        With ``"bootstrap"``, for groups of fewer than 30 answers.

    See Also
    --------
    nps_coverage : the exact coverage of each method.

    Notes
    -----
    Each answer scores +1 (promoter), 0 (passive) or -1 (detractor); NPS = 100 x their mean. Methods, after
    Rocks (2016), "Interval estimation for the Net Promoter Score", The American Statistician 70(4):

    * ``"adjusted-wald"`` (default): Wald on counts with pseudo-counts 3/4 promoter, 3/2 passive, 3/4
      detractor (n + 3). Holds its level even at small n and near the boundaries.
    * ``"wald"``: estimate +/- z x standard error. Too narrow at small n and near +/-100: for comparison.
    * ``"score"``: Tango's score interval for a difference of paired proportions (promoter and detractor
      are two outcomes of one answer), found by solving the score equation (Tango 1998, "Equivalence test
      and confidence interval for the difference in proportions for the paired-sample design", Statistics
      in Medicine 17).
    * ``"bootstrap"``: percentile interval of ``n_boot`` multinomial resamples of the three counts. It
      needs answers: its exact coverage at 95%, averaged over true shares, is 0.88 at n = 10, 0.93 at 20,
      0.94 at 30 and 0.95 at 40, so below :data:`~journey.stats.resampling.MIN_BOOTSTRAP_ANSWERS` (30)
      answers it warns (:class:`~journey.errors.JourneyWarning`, naming n).
    * ``"bayes"``: credible interval of the Dirichlet posterior of the three shares under the prior
      Dirichlet(``prior``, ``prior``, ``prior``) (1/2: Jeffreys' prior for a multinomial), from ``n_boot``
      posterior draws of promoter share - detractor share. Equal-tailed, except where the posterior piles
      up at a boundary: when every answer is a promoter the upper bound is +100 (and when every answer is a
      detractor the lower bound is -100), the other bound staying the equal-tailed quantile; as the Jeffreys
      interval of a proportion is modified at k = 0 and k = n (Brown, Cai and DasGupta 2001, "Interval
      estimation for a binomial proportion", Statistical Science 16). A true NPS of +100 or -100 gives such
      samples only, so it is always covered; elsewhere the exact coverage averages 0.95 over true shares.

    Examples
    --------
    >>> low, high = nps_interval([45, 3], [30, 10], [25, 7])
    >>> [round(float(x), 1) for x in low], [round(float(x), 1) for x in high]
    ([3.8, -45.4], [35.1, 10.6])
    """
    return _interval(promoters, passives, detractors, level, method, n_boot, seed, prior)


def _interval(
    promoters: Any,
    passives: Any,
    detractors: Any,
    level: float,
    method: str,
    n_boot: int,
    seed: int,
    prior: float,
    names: list[str] | None = None,
    stacklevel: int = 4,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`nps_interval`, with the groups' ``names`` for the bootstrap's warning when there are any."""
    level = check_level(level)
    _method(method, NPS_METHODS)
    p, a, d = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (promoters, passives, detractors))
    if method == "bootstrap":
        n = p + a + d
        answered = n > 0
        warn_few(
            n[answered],
            MIN_BOOTSTRAP_ANSWERS,
            "answers",
            "the NPS bootstrap interval",
            names=None if names is None else [names[i] for i in np.flatnonzero(answered)],
            stacklevel=stacklevel,
        )
    z = NormalDist().inv_cdf(0.5 + level / 2)
    answered = p + a + d > 0
    if method in ("wald", "adjusted-wald"):
        centre, se = _wald_parts(p, a, d, adjusted=method == "adjusted-wald")
        low, high = centre - z * se, centre + z * se
        low, high = np.where(answered, low, np.nan), np.where(answered, high, np.nan)  # no answers: no interval
    elif method == "score":
        low, high = _tango(p, d, p + a + d, z)
    else:
        low, high = _resampled(p, a, d, level, method, n_boot, seed, prior)
    return np.clip(low * 100, -100, 100), np.clip(high * 100, -100, 100)


def nps_coverage(
    n: int, method: NPSMethod = "adjusted-wald", *, level: float = 0.95, step: float = 0.05
) -> pd.DataFrame:
    """Exact coverage of an NPS interval method at sample size ``n``, over a grid of true shares.

    For every true (promoter, detractor) share on a grid of ``step`` (boundaries included), every possible
    outcome of ``n`` answers is enumerated with its multinomial probability, and the probabilities of the
    outcomes whose interval contains the true NPS are summed. No simulation: the figures are exact.

    Parameters
    ----------
    n : int
        Answers per survey.
    method : {"adjusted-wald", "wald", "score", "bootstrap", "bayes"}
        The interval (see :func:`nps_interval`); the resampling methods are slow here.
    level : float
        Confidence level the method promises.
    step : float
        Spacing of the grid of true shares (0-1).

    Returns
    -------
    pandas.DataFrame
        ``promoter_share``, ``detractor_share``, ``true_nps`` (points) and ``coverage`` (0-1), one row per
        grid point, by promoter share then detractor share.

    See Also
    --------
    nps_interval

    Examples
    --------
    >>> c = nps_coverage(20)
    >>> print(f"{c['coverage'].mean():.3f} {c['coverage'].min():.3f}")
    0.951 0.908
    """
    from scipy.special import gammaln

    counts_p, counts_d = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    possible = counts_p + counts_d <= n
    p, d = counts_p[possible], counts_d[possible]
    a = n - p - d
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)  # small n is what is being measured here
        low, high = nps_interval(p, a, d, level, method)
    log_ways = gammaln(n + 1) - gammaln(p + 1) - gammaln(a + 1) - gammaln(d + 1)
    shares = np.round(np.arange(0, 1 + 1e-9, step), 10)
    rows = []
    for sp in shares:
        for sd in shares[shares <= 1 - sp + 1e-9]:
            sa = max(0.0, 1 - sp - sd)
            with np.errstate(divide="ignore", invalid="ignore"):
                log_prob = log_ways + sum(np.where(k > 0, k * np.log(s), 0.0) for k, s in ((p, sp), (d, sd), (a, sa)))
            impossible = ((p > 0) & (sp == 0)) | ((d > 0) & (sd == 0)) | ((a > 0) & (sa == 0))
            probability = np.where(impossible, 0.0, np.exp(log_prob))
            truth = 100 * (sp - sd)
            covered = (low <= truth + 1e-9) & (truth - 1e-9 <= high)
            rows.append((sp, sd, truth, float(probability[covered].sum())))
    return pd.DataFrame(rows, columns=["promoter_share", "detractor_share", "true_nps", "coverage"])


def _wald_parts(p: np.ndarray, a: np.ndarray, d: np.ndarray, adjusted: bool) -> tuple[np.ndarray, np.ndarray]:
    """Centre (share scale) and standard error of the NPS, with Rocks' pseudo-counts when ``adjusted``."""
    if adjusted:
        p, a, d = p + 0.75, a + 1.5, d + 0.75
    n = p + a + d
    with np.errstate(invalid="ignore", divide="ignore"):
        pp, pd_ = p / n, d / n
        centre = pp - pd_
        return centre, np.sqrt((pp + pd_ - centre**2) / n)


def _tango(b: np.ndarray, c: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Tango's (1998) score interval for (b - c) / n, by bisection on the score statistic (element-wise).

    The statistic T(delta) = (b - c - n delta) / sqrt(n (2 q + delta (1 - delta))), with q the restricted
    maximum-likelihood estimate of the second discordant probability, decreases in delta; the lower bound
    solves T = z and the upper bound T = -z.
    """

    def statistic(delta: np.ndarray) -> np.ndarray:
        two_n = 2 * n
        slope = -b - c + (2 * n - b + c) * delta
        const = -c * delta * (1 - delta)
        q = (np.sqrt(np.maximum(slope**2 - 4 * two_n * const, 0)) - slope) / (2 * two_n)
        var = np.maximum(n * (2 * q + delta * (1 - delta)), 1e-300)
        return (b - c - n * delta) / np.sqrt(var)

    estimate = np.where(n > 0, (b - c) / np.maximum(n, 1), np.nan)
    bounds = []
    for target, (lo, hi) in (
        (z, (np.full_like(estimate, -1.0), estimate)),
        (-z, (estimate, np.full_like(estimate, 1.0))),
    ):
        lo, hi = lo.copy(), hi.copy()
        for _ in range(64):  # bisection to double precision
            mid = (lo + hi) / 2
            above = statistic(mid) > target  # T decreases: the root lies above mid
            lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
        bounds.append((lo + hi) / 2)
    low = np.where(estimate <= -1, -1.0, bounds[0])
    high = np.where(estimate >= 1, 1.0, bounds[1])
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def _resampled(
    p: np.ndarray, a: np.ndarray, d: np.ndarray, level: float, method: str, n_boot: int, seed: int, prior: float
) -> tuple[np.ndarray, np.ndarray]:
    if n_boot < 1:
        raise JourneyError(f"n_boot must be at least 1, not {n_boot}")
    if method == "bayes" and not prior > 0:
        raise JourneyError(f"prior must be a positive pseudo-count (0.5: Jeffreys), not {prior!r}")
    tail = (1 - level) / 2
    bounds = []
    for counts in zip(p, a, d):
        rng = np.random.default_rng(seed)
        total = int(sum(counts))
        if total == 0:
            bounds.append((np.nan, np.nan))
            continue
        if method == "bootstrap":
            draws = rng.multinomial(total, np.asarray(counts) / total, size=n_boot)
            values = (draws[:, 0] - draws[:, 2]) / total
        else:
            shares = rng.dirichlet(np.asarray(counts) + prior, size=n_boot)
            values = shares[:, 0] - shares[:, 2]
        bounds.append((float(np.quantile(values, tail)), float(np.quantile(values, 1 - tail))))
    low, high = np.array(bounds, dtype=float).reshape(-1, 2).T
    if method == "bayes":
        # All promoters (or all detractors): the posterior piles up at the boundary, which the interval includes.
        answered = p + a + d > 0
        high = np.where(answered & (a + d == 0), 1.0, high)
        low = np.where(answered & (p + a == 0), -1.0, low)
    return low, high


@dataclass(frozen=True, repr=False)
class NPSResult(Result):
    """Net Promoter Score of a set of answers, in points from -100 to 100.

    Build it with :func:`nps` (from 0-10 answers) or :func:`nps_from_counts`.

    Attributes
    ----------
    promoters, passives, detractors : int
        Answers 9-10, 7-8 and 0-6.
    n_missing : int
        Unanswered (missing) scores, left out.
    level : float
        Confidence level of :meth:`confidence_interval` when none is given.
    unit : str
        ``"points"``: the score and its bounds are NPS points.

    See Also
    --------
    nps, nps_from_counts, nps_compare

    Examples
    --------
    >>> r = nps_from_counts(promoters=45, passives=30, detractors=25)
    >>> r
    NPSResult: NPS +20.0 points (95% CI +3.8 to +35.1, n = 100): 45.0% promoters, 30.0% passives, 25.0% detractors
    >>> print(f"{r.standard_error:.2f}", [round(x, 2) for x in r.confidence_interval(method="wald")])
    8.12 [4.08, 35.92]
    """

    promoters: int
    passives: int
    detractors: int
    n_missing: int = 0
    level: float = 0.95
    unit: ClassVar[Unit] = "points"

    def __post_init__(self) -> None:
        check_level(self.level)

    @property
    def n(self) -> int:
        """Answers counted (missing ones excluded)."""
        return self.promoters + self.passives + self.detractors

    @property
    def promoter_share(self) -> float:
        """Promoters / n, a share (0-1); NaN without answers."""
        return self.promoters / self.n if self.n else float("nan")

    @property
    def passive_share(self) -> float:
        """Passives / n, a share (0-1); NaN without answers."""
        return self.passives / self.n if self.n else float("nan")

    @property
    def detractor_share(self) -> float:
        """Detractors / n, a share (0-1); NaN without answers."""
        return self.detractors / self.n if self.n else float("nan")

    @property
    def score(self) -> float:
        """NPS in points (-100 to 100): 100 x (promoter share - detractor share)."""
        return 100 * (self.promoter_share - self.detractor_share)

    @property
    def estimate(self) -> float:
        """The protocol's name for :attr:`score`, in points."""
        return self.score

    @property
    def variance(self) -> float:
        """Variance of one answer's score (+100, 0, -100), in points squared."""
        p, d = self.promoter_share, self.detractor_share
        return 100**2 * (p + d - (p - d) ** 2)

    @property
    def standard_error(self) -> float:
        """Standard error of the NPS, in points: sqrt(variance / n)."""
        return float(np.sqrt(self.variance / self.n)) if self.n else float("nan")

    def confidence_interval(
        self,
        level: float | None = None,
        method: NPSMethod | None = None,
        *,
        n_boot: int = 10_000,
        seed: int = 0,
        prior: float = 0.5,
    ) -> ConfidenceInterval:
        """Interval for the NPS in points, clipped to [-100, 100]; NaN bounds without answers.

        Parameters
        ----------
        level : float, optional
            Confidence level; the result's :attr:`level` when not given.
        method : {"adjusted-wald", "wald", "score", "bootstrap", "bayes"}, optional
            Adjusted Wald by default; every method is defined in :func:`nps_interval` (``"bootstrap"`` warns
            below 30 answers).
        n_boot, seed : int
            Resamples and seed of ``"bootstrap"`` and ``"bayes"`` (the same seed gives the same digits).
        prior : float
            Dirichlet pseudo-count per category of ``"bayes"`` (1/2: Jeffreys).

        Returns
        -------
        ConfidenceInterval
            ``low`` and ``high``, in points.

        Raises
        ------
        JourneyError
            For a level outside (0, 1) or an unknown method.

        Examples
        --------
        >>> r = nps_from_counts(promoters=45, passives=30, detractors=25)
        >>> [round(x, 1) for x in r.confidence_interval()], [round(x, 1) for x in r.confidence_interval(0.9, "score")]
        ([3.8, 35.1], [6.3, 32.9])
        """
        low, high = _interval(
            self.promoters,
            self.passives,
            self.detractors,
            self.level if level is None else level,
            method or "adjusted-wald",
            n_boot,
            seed,
            prior,
        )
        return ConfidenceInterval(float(low[0]), float(high[0]))

    def to_frame(self) -> pd.DataFrame:
        """One row: ``n``, ``n_missing``, the three counts, ``nps``, ``standard_error`` (points) and the
        default interval ``ci_low``, ``ci_high``.

        Examples
        --------
        >>> nps_from_counts(promoters=45, passives=30, detractors=25).to_frame().round(1).iloc[0].tolist()
        [100.0, 0.0, 45.0, 30.0, 25.0, 20.0, 8.1, 3.8, 35.1]
        """
        low, high = self.confidence_interval()
        return pd.DataFrame(
            [
                {
                    "n": self.n,
                    "n_missing": self.n_missing,
                    "promoters": self.promoters,
                    "passives": self.passives,
                    "detractors": self.detractors,
                    "nps": self.score,
                    "standard_error": self.standard_error,
                    "ci_low": low,
                    "ci_high": high,
                }
            ]
        )

    def _headline(self) -> str:
        missing = f", {self.n_missing:,} missing" if self.n_missing else ""
        if not self.n:
            return f"NPS: no answers{missing}"
        low, high = self.confidence_interval()
        return (
            f"NPS {self.score:+.1f} points ({level_label(self.level)} CI {low:+.1f} to {high:+.1f}, "
            f"n = {self.n:,}{missing}): {self.promoter_share:.1%} promoters, {self.passive_share:.1%} passives, "
            f"{self.detractor_share:.1%} detractors"
        )


@dataclass(frozen=True, repr=False)
class NPSDifference(Result):
    """NPS of group ``a`` minus NPS of group ``b`` (two independent groups), in points from -200 to 200.

    Attributes
    ----------
    a, b : NPSResult
        The two groups.
    level : float
        Confidence level of :meth:`confidence_interval` when none is given.
    unit : str
        ``"points"``.

    See Also
    --------
    nps_compare

    Examples
    --------
    >>> d = nps_compare(nps_from_counts(promoters=60, passives=20, detractors=20),
    ...                 nps_from_counts(promoters=30, passives=30, detractors=40))
    >>> d
    NPSDifference: difference +50.0 points (95% CI +26.3 to +70.8, p = 1.9e-05): NPS +40.0 (n = 100) vs -10.0 (n = 100)
    """

    a: NPSResult
    b: NPSResult
    level: float = 0.95
    unit: ClassVar[Unit] = "points"

    def __post_init__(self) -> None:
        check_level(self.level)

    @property
    def difference(self) -> float:
        """NPS of ``a`` minus NPS of ``b``, in points."""
        return self.a.score - self.b.score

    @property
    def estimate(self) -> float:
        """The protocol's name for :attr:`difference`."""
        return self.difference

    @property
    def standard_error(self) -> float:
        """Standard error of the difference in points, from the plain (unadjusted) shares."""
        return float(np.hypot(self.a.standard_error, self.b.standard_error))

    def _wald(self, adjusted: bool) -> tuple[float, float]:
        """Centre and standard error of the difference (share scale), with Rocks' pseudo-counts if ``adjusted``."""
        parts = [
            _wald_parts(
                np.array([g.promoters], dtype=float),
                np.array([g.passives], dtype=float),
                np.array([g.detractors], dtype=float),
                adjusted,
            )
            for g in (self.a, self.b)
        ]
        (ca, sa), (cb, sb) = parts
        return float(ca[0] - cb[0]), float(np.hypot(sa[0], sb[0]))

    @property
    def pvalue(self) -> float:
        """Two-sided test that the two NPS are equal, on the adjusted-Wald scale of the default interval.

        The same pseudo-counts as the interval, so the test rejects at level 1 - L exactly when the level-L
        adjusted-Wald interval of the difference excludes 0 (a plain Wald test would call an all-promoter
        group of two "significant", its standard error being 0).
        """
        centre, se = self._wald(adjusted=True)
        if not se or np.isnan(se):
            return float("nan")
        return 2 * (1 - NormalDist().cdf(abs(centre) / se))

    def confidence_interval(
        self,
        level: float | None = None,
        method: NPSDifferenceMethod | None = None,
        *,
        n_boot: int = 10_000,
        seed: int = 0,
    ) -> ConfidenceInterval:
        """Interval for the difference in points, clipped to [-200, 200].

        Parameters
        ----------
        level : float, optional
            Confidence level; the result's :attr:`level` when not given.
        method : {"adjusted-wald", "wald", "bootstrap"}, optional
            ``"adjusted-wald"`` (default): Rocks' pseudo-counts on each group, standard errors added in
            quadrature. ``"wald"``: the same without pseudo-counts. ``"bootstrap"``: percentile interval of
            ``n_boot`` independent multinomial resamples of each group, seeded by ``seed``; it warns
            (:class:`~journey.errors.JourneyWarning`) when a group has fewer than 30 answers, where percentile
            intervals fall short of their level (see :func:`nps_interval`).
        n_boot, seed : int
            Resamples and seed of ``"bootstrap"``.

        Returns
        -------
        ConfidenceInterval
            ``low`` and ``high``, in points.

        Raises
        ------
        JourneyError
            For a level outside (0, 1) or an unknown method.

        Notes
        -----
        Rocks (2016), "Interval estimation for the Net Promoter Score", The American Statistician 70(4),
        section 4: the adjusted-Wald interval of a difference of two independent NPS.

        Examples
        --------
        >>> d = nps_compare(nps_from_counts(promoters=60, passives=20, detractors=20),
        ...                 nps_from_counts(promoters=30, passives=30, detractors=40))
        >>> [round(x, 1) for x in d.confidence_interval(0.99)]
        [19.3, 77.8]
        """
        level = self.level if level is None else check_level(level)
        chosen = _method(method, DIFFERENCE_METHODS)
        z = NormalDist().inv_cdf(0.5 + level / 2)
        if chosen != "bootstrap":
            centre, se = self._wald(adjusted=chosen == "adjusted-wald")
            return ConfidenceInterval(max(-200.0, 100 * (centre - z * se)), min(200.0, 100 * (centre + z * se)))
        warn_few(
            [self.a.n, self.b.n],
            MIN_BOOTSTRAP_ANSWERS,
            "answers",
            "the bootstrap interval of the NPS difference",
            names=["a", "b"],
            stacklevel=3,
        )
        rng = np.random.default_rng(seed)
        values: Any = 0.0
        for group, sign in ((self.a, 1), (self.b, -1)):
            draws = rng.multinomial(
                group.n, [group.promoter_share, group.passive_share, group.detractor_share], size=n_boot
            )
            values = values + sign * (draws[:, 0] - draws[:, 2]) / group.n * 100
        tail = (1 - level) / 2
        return ConfidenceInterval(float(np.quantile(values, tail)), float(np.quantile(values, 1 - tail)))

    def to_frame(self) -> pd.DataFrame:
        """One row: ``n`` and ``nps`` of ``a``, ``other_n`` and ``other_nps`` of ``b``, the ``difference`` with
        its default interval ``difference_ci_low``, ``difference_ci_high``, and ``p_value``.

        Examples
        --------
        >>> d = nps_compare(nps_from_counts(promoters=6, passives=2, detractors=2),
        ...                 nps_from_counts(promoters=3, passives=3, detractors=4))
        >>> list(d.to_frame().columns)
        ['n', 'nps', 'other_n', 'other_nps', 'difference', 'difference_ci_low', 'difference_ci_high', 'p_value']
        """
        low, high = self.confidence_interval()
        return pd.DataFrame(
            [
                {
                    "n": self.a.n,
                    "nps": self.a.score,
                    "other_n": self.b.n,
                    "other_nps": self.b.score,
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
            f"difference {self.difference:+.1f} points ({level_label(self.level)} CI {low:+.1f} to {high:+.1f}, "
            f"p = {format_value(self.pvalue, 'p')}): NPS {self.a.score:+.1f} (n = {self.a.n:,}) vs "
            f"{self.b.score:+.1f} (n = {self.b.n:,})"
        )


#: Columns every NPSTable has, after its group column.
TABLE_COLUMNS = [
    "n",
    "promoters",
    "passives",
    "detractors",
    "nps",
    "ci_low",
    "ci_high",
    "other_n",
    "other_nps",
    "difference",
    "difference_ci_low",
    "difference_ci_high",
    "p_value",
    "p_adjusted",
    "significant",
]


@dataclass(frozen=True, repr=False, eq=False)
class NPSTable(TableResult):
    """NPS per group (segment, touchpoint visited, outcome), each group against the rest.

    Returned by :func:`nps_by`, :func:`journey.nps_by_touchpoint` and :func:`journey.nps_by_outcome`.

    Attributes
    ----------
    group : str
        The column of :meth:`to_frame` that names each row's group: the ``by`` column of :func:`nps_by`,
        ``"touchpoint"`` or ``"outcome"``.
    level : float
        Confidence level of the intervals and of ``significant``.
    overall : NPSResult
        The NPS of every answer in the table (the respondents of all groups together).
    description : str
        What each row compares, in words (for displays).
    adjust : {"bh", "holm", "by"}
        How ``p_adjusted`` adjusts the p-values across the rows (see
        :func:`journey.stats.significance.adjust_pvalues`): Benjamini-Hochberg by default.
    unit : str
        ``"points"``.

    Notes
    -----
    Every table has the group column, then ``n`` (answers in the group), ``promoters``, ``passives``,
    ``detractors``, ``nps`` with its adjusted-Wald interval ``ci_low``, ``ci_high`` (points), ``other_n`` and
    ``other_nps`` (the answers outside the group), ``difference`` = ``nps`` - ``other_nps`` with its interval
    ``difference_ci_low``, ``difference_ci_high`` and two-sided ``p_value`` (see :class:`NPSDifference`),
    ``p_adjusted`` across the rows (Benjamini-Hochberg, Holm or Benjamini-Yekutieli, as ``adjust`` says), and
    ``significant`` = ``p_adjusted < 1 - level``: a false discovery rate of ``1 - level`` (``"bh"``, ``"by"``)
    or a family-wise error rate of ``1 - level`` (``"holm"``). The functions that build it add their own
    columns and say how rows are sorted.

    Benjamini and Hochberg (1995), "Controlling the false discovery rate: a practical and powerful approach
    to multiple testing", JRSS B 57; Holm (1979), "A simple sequentially rejective multiple test procedure",
    Scandinavian Journal of Statistics 6; Benjamini and Yekutieli (2001), "The control of the false discovery
    rate in multiple testing under dependency", Annals of Statistics 29.

    Examples
    --------
    >>> import pandas as pd
    >>> table = nps_by(pd.DataFrame({"score": [10, 9, 9, 3, 8, 6, 0, 7], "plan": list("ppppffff")}), by="plan")
    >>> table.group, len(table), [round(float(x), 1) for x in table.confidence_interval(0.9).low]
    ('plan', 2, [-68.8, -23.6])
    """

    _table: pd.DataFrame
    group: str
    level: float
    overall: NPSResult
    description: str = field(default="each group against the rest")
    adjust: Adjustment = "bh"
    unit: ClassVar[Unit] = "points"
    _formats: ClassVar[dict[str, str]] = {
        "n": "count",
        "n_missing": "count",
        "customers": "count",
        "promoters": "count",
        "passives": "count",
        "detractors": "count",
        "nps": "points",
        "ci_low": "points",
        "ci_high": "points",
        "other_n": "count",
        "other_nps": "points",
        "difference": "points",
        "difference_ci_low": "points",
        "difference_ci_high": "points",
        "p_value": "p",
        "p_adjusted": "p",
        "response_rate": "share",
        "other_response_rate": "share",
    }

    def confidence_interval(  # type: ignore[override]  # NPS methods, not the proportion methods of the base
        self,
        level: float | None = None,
        method: NPSMethod | None = None,
        *,
        n_boot: int = 10_000,
        seed: int = 0,
        prior: float = 0.5,
    ) -> ConfidenceInterval:
        """Interval of each row's NPS, in points, as arrays aligned with the rows of :meth:`to_frame`.

        Recomputed from each row's counts, so any level or method of :func:`nps_interval` is available.

        Parameters
        ----------
        level : float, optional
            Confidence level; the table's :attr:`level` when not given.
        method : {"adjusted-wald", "wald", "score", "bootstrap", "bayes"}, optional
            Adjusted Wald by default (the ``ci_low``/``ci_high`` columns).
        n_boot, seed : int
            Resamples and seed of ``"bootstrap"`` and ``"bayes"``.
        prior : float
            Dirichlet pseudo-count of ``"bayes"``.

        Returns
        -------
        ConfidenceInterval
            Arrays ``low`` and ``high``, NaN for a group without answers.
        """
        if (level is None or level == self.level) and method in (None, "adjusted-wald"):
            return ConfidenceInterval(
                self._table["ci_low"].to_numpy(dtype=float), self._table["ci_high"].to_numpy(dtype=float)
            )
        counts = self._table
        return ConfidenceInterval(
            *_interval(
                counts["promoters"].to_numpy(dtype=float),
                counts["passives"].to_numpy(dtype=float),
                counts["detractors"].to_numpy(dtype=float),
                self.level if level is None else level,
                method or "adjusted-wald",
                n_boot,
                seed,
                prior,
                names=[str(g) for g in counts[self.group]],
            )
        )

    def plot(self, ax: Axes | None = None, *, level: float | None = None, **kwargs: Any) -> Axes:
        """Forest plot: each group's NPS with its adjusted-Wald interval, the overall NPS dashed.

        Groups that differ significantly from the rest (``significant``) are drawn in red.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when not given.
        level : float, optional
            Level of the intervals drawn; the table's :attr:`level` when not given.
        **kwargs
            Passed to ``Axes.errorbar``.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from ..plot.nps import draw_forest

        level = self.level if level is None else check_level(level)
        low, high = self.confidence_interval(level)
        return draw_forest(
            [str(v) for v in self._table[self.group]],
            self._table["nps"],
            low,
            high,
            self._table["n"],
            ax=ax,
            reference=self.overall.score,
            reference_label=f"overall {self.overall.score:+.1f} (n={self.overall.n:,})",
            flagged=self._table["significant"].fillna(False).to_numpy(dtype=bool),
            flagged_label=f"differs from the rest ({adjustment_label(self.adjust, self.level)})",
            xlabel=f"NPS, points ({level_label(level)} CI, adjusted Wald)",
            title=f"NPS by {self.group}",
            **kwargs,
        )

    def _shown(self) -> pd.DataFrame:
        shown = [
            self.group,
            "customers",
            "n",
            "response_rate",
            "nps",
            "ci_low",
            "ci_high",
            "difference",
            "difference_ci_low",
            "difference_ci_high",
            "p_adjusted",
            "significant",
        ]
        return self._table[[c for c in shown if c in self._table.columns]]

    def _headline(self) -> str:
        significant = int(self._table["significant"].sum())
        overall = self.overall
        low, high = overall.confidence_interval()
        return (
            f"NPS by {self.group}, {self.description}: {significant:,} of {len(self):,} differ from the rest "
            f"({adjustment_label(self.adjust, self.level)}); overall NPS "
            f"{overall.score:+.1f} points ({level_label(self.level)} CI {low:+.1f} to {high:+.1f}, "
            f"n = {overall.n:,})"
        )


def group_row(inside: NPSResult, rest: NPSResult) -> dict[str, Any]:
    """The common columns of one NPSTable row: a group's NPS and its difference from the ``rest``."""
    low, high = inside.confidence_interval()
    row: dict[str, Any] = {
        "n": inside.n,
        "promoters": inside.promoters,
        "passives": inside.passives,
        "detractors": inside.detractors,
        "nps": inside.score,
        "ci_low": low,
        "ci_high": high,
        "other_n": rest.n,
        "other_nps": rest.score,
    }
    if inside.n and rest.n:
        diff = NPSDifference(inside, rest, inside.level)
        d_low, d_high = diff.confidence_interval()
        row.update(difference=diff.difference, difference_ci_low=d_low, difference_ci_high=d_high, p_value=diff.pvalue)
    return row


def nps_table(
    rows: list[dict[str, Any]],
    columns: list[str],
    *,
    group: str,
    level: float,
    overall: NPSResult,
    description: str,
    adjust: Adjustment = "bh",
) -> NPSTable:
    """An NPSTable from rows of :func:`group_row` (plus the builder's own columns), in the order of ``columns``
    (those of :data:`TABLE_COLUMNS` with the builder's own among them), with the adjusted p-values.
    """
    table = pd.DataFrame(rows, columns=[c for c in columns if c not in ("p_adjusted", "significant")])
    table["p_adjusted"] = adjust_pvalues(table["p_value"], adjust)
    table["significant"] = (table["p_adjusted"] < 1 - level).fillna(False).astype(bool)
    return NPSTable(table[columns], group, level, overall, description, adjust)


def nps(scores: Iterable[Any], *, level: float = 0.95) -> NPSResult:
    """The Net Promoter Score of 0-10 answers.

    Parameters
    ----------
    scores : sequence of numbers or numeric text
        One answer per respondent, whole numbers from 0 to 10; missing values (NaN, None) are unanswered.
    level : float
        Confidence level of the result's interval (0.95 for 95%).

    Returns
    -------
    NPSResult
        ``score`` (= ``estimate``, points), the counts, ``n``, ``n_missing`` and ``confidence_interval()``.

    Raises
    ------
    InvalidValuesError
        For answers that are not whole numbers from 0 to 10 (``9.0`` and ``"9"`` are accepted; ``9.5``, ``11``,
        ``-1`` and ``"ten"`` are not), listing the values and positions. Nothing is clipped or coerced.

    See Also
    --------
    nps_from_counts, nps_compare, nps_by

    Notes
    -----
    NPS = % promoters (9-10) - % detractors (0-6), in points from -100 to 100 (Reichheld 2003, "The one
    number you need to grow", Harvard Business Review). Each answer scores +1, 0 or -1 and the NPS is 100 x
    their mean, so the variance of one answer is ``p_promoters + p_detractors - (p_promoters - p_detractors)**2``
    (times 100**2 in points). The default interval is Rocks' (2016) adjusted Wald, see :func:`nps_interval`.

    Examples
    --------
    >>> r = nps([10, 9, 8, 7, 6, 0, None])
    >>> r.score, r.n, r.n_missing
    (0.0, 6, 1)
    >>> r
    NPSResult: NPS +0.0 points (95% CI -51.1 to +51.1, n = 6, 1 missing): 33.3% promoters, 33.3% passives, 33.3% detractors
    """
    values, missing = whole_scores(scores, 0, 10, "scores")
    return _counted(values, missing, check_level(level))


def _counted(values: np.ndarray, missing: int, level: float) -> NPSResult:
    """The NPSResult of valid answers ``values`` (none missing) and ``missing`` unanswered ones."""
    return NPSResult(
        int((values >= 9).sum()), int(((values >= 7) & (values <= 8)).sum()), int((values <= 6).sum()), missing, level
    )


def _from_values(answers: np.ndarray, level: float) -> NPSResult:
    """The NPSResult of validated answers as floats, NaN where unanswered."""
    answered = ~np.isnan(answers)
    return _counted(answers[answered], int((~answered).sum()), level)


def nps_from_counts(*, promoters: int, passives: int, detractors: int, level: float = 0.95) -> NPSResult:
    """An NPS from counts of promoters, passives and detractors.

    Parameters
    ----------
    promoters, passives, detractors : int
        Counts of answers 9-10, 7-8 and 0-6 (non-negative whole numbers).
    level : float
        Confidence level of the result's interval.

    Returns
    -------
    NPSResult

    Raises
    ------
    JourneyError
        When a count is negative or not whole, or ``level`` is not in (0, 1).

    See Also
    --------
    nps

    Notes
    -----
    NPS = 100 x (promoters - detractors) / n, in points from -100 to 100 (Reichheld 2003, "The one number
    you need to grow", *Harvard Business Review* 81(12)). Its default interval is the adjusted Wald
    interval with pseudo-counts 3/4, 3/2, 3/4 (Rocks 2016, "Interval estimation for the net promoter
    score", *The American Statistician* 70); :func:`nps` has the other methods.

    Examples
    --------
    >>> nps_from_counts(promoters=45, passives=30, detractors=25, level=0.9)
    NPSResult: NPS +20.0 points (90% CI +6.3 to +32.5, n = 100): 45.0% promoters, 30.0% passives, 25.0% detractors
    """
    return NPSResult(
        _count(promoters, "promoters"),
        _count(passives, "passives"),
        _count(detractors, "detractors"),
        level=check_level(level),
    )


def nps_compare(a: NPSResult, b: NPSResult, *, level: float = 0.95) -> NPSDifference:
    """Compare the NPS of two independent groups: ``a`` minus ``b``, in points.

    Parameters
    ----------
    a, b : NPSResult
        The two groups (from :func:`nps` or :func:`nps_from_counts`), each with at least one answer.
    level : float
        Confidence level of the result's interval.

    Returns
    -------
    NPSDifference
        ``difference`` (= ``estimate``, points), adjusted-Wald ``confidence_interval()`` and ``pvalue``.

    Raises
    ------
    JourneyError
        When ``a`` or ``b`` is not an NPSResult or has no answers.

    See Also
    --------
    nps_by : every segment against the rest.

    Notes
    -----
    The difference of two independent NPS, in points (-200 to 200). The default interval adds the
    adjusted-Wald pseudo-counts to each group and combines their variances (Rocks 2016, "Interval
    estimation for the net promoter score", *The American Statistician* 70); the p-value inverts the
    same interval, so it is below 1 - level exactly when the interval excludes 0.

    Examples
    --------
    >>> d = nps_compare(nps_from_counts(promoters=60, passives=20, detractors=20),
    ...                 nps_from_counts(promoters=30, passives=30, detractors=40))
    >>> d.difference, round(d.pvalue, 5)
    (50.0, 2e-05)
    """
    if not isinstance(a, NPSResult) or not isinstance(b, NPSResult):
        raise JourneyError("nps_compare takes two NPSResult objects (from journey.nps or journey.nps_from_counts)")
    if not a.n or not b.n:
        raise JourneyError("both groups need at least one answer to compare their NPS")
    return NPSDifference(a, b, check_level(level))


def nps_by(
    df: pd.DataFrame, *, score: str = "score", by: str, level: float = 0.95, adjust: Adjustment = "bh"
) -> NPSTable:
    """NPS per segment, each segment against the rest, with p-values adjusted across segments.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per answer.
    score : str
        The column of 0-10 answers (missing values are unanswered).
    by : str
        The segment column; missing values form their own segment.
    level : float
        Confidence level of every interval, and ``significant`` means ``p_adjusted < 1 - level``.
    adjust : {"bh", "holm", "by"}
        How the p-values are adjusted across segments: Benjamini-Hochberg (the false discovery rate, the
        default), Holm (the family-wise error rate) or Benjamini-Yekutieli (the false discovery rate under any
        dependence).

    Returns
    -------
    NPSTable
        One row per segment, sorted by segment (the missing segment last); ``group`` is ``by``. Columns:
        ``by``, ``n``, ``n_missing`` (unanswered in the segment), then those of :class:`NPSTable` from
        ``promoters`` on; ``other_*`` and ``difference`` compare the segment with every other answer.

    Raises
    ------
    MissingColumnError
        When ``score`` or ``by`` is not a column of ``df``.
    InvalidValuesError
        For answers that are not whole numbers from 0 to 10, named by row.
    JourneyError
        When ``by`` is the name of a column of the result (``"n"``, ``"nps"``, ...), or for an unknown ``adjust``.

    See Also
    --------
    journey.nps_by_touchpoint, journey.nps_by_outcome, plot_nps

    Notes
    -----
    Each segment's NPS and interval are those of :func:`nps`; its difference from the rest is an
    :class:`NPSDifference` (adjusted Wald, Rocks 2016). The p-values are adjusted across segments by
    Benjamini and Hochberg (1995), "Controlling the false discovery rate", JRSS B 57, by default; see
    :func:`journey.stats.significance.adjust_pvalues` for Holm and Benjamini-Yekutieli.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"score": [10, 9, 9, 3, 8, 6, 0, 7, None], "plan": list("ppppffffp")})
    >>> table = nps_by(df, by="plan")
    >>> table.to_frame()[["plan", "n", "n_missing", "nps", "difference"]]
      plan  n  n_missing   nps  difference
    0    f  4          0 -50.0      -100.0
    1    p  4          1  50.0       100.0
    """
    if not isinstance(df, pd.DataFrame):
        raise JourneyError(f"nps_by takes a pandas DataFrame of answers, not {type(df).__name__}")
    for column, keyword, role in ((score, "score", "score"), (by, "by", "segment")):
        if column not in df.columns:
            raise MissingColumnError(keyword, column, [str(c) for c in df.columns], role)
    if by in TABLE_COLUMNS or by == "n_missing":
        raise JourneyError(
            f"the segment column {by!r} has the name of a column of the result; rename it first, "
            f"e.g. df.rename(columns={{{by!r}: 'segment'}})"
        )
    level, adjust = check_level(level), check_adjust(adjust)
    whole_scores(df[score], 0, 10, str(score))  # refuses bad answers, naming the user's column and rows
    answers = pd.to_numeric(df[score], errors="coerce").to_numpy(dtype=float)  # all valid now; NaN: unanswered
    labels, segments = pd.factorize(df[by], sort=True, use_na_sentinel=False)
    every = _from_values(answers, level)
    rows = []
    for i, segment in enumerate(segments):
        inside = _from_values(answers[labels == i], level)
        rest = NPSResult(
            every.promoters - inside.promoters,
            every.passives - inside.passives,
            every.detractors - inside.detractors,
            level=level,
        )
        rows.append({by: segment, "n_missing": inside.n_missing, **group_row(inside, rest)})
    columns = [by, "n", "n_missing", *TABLE_COLUMNS[1:]]
    return nps_table(
        rows,
        columns,
        group=by,
        level=level,
        overall=every,
        description=f"each value of {by!r} against the rest",
        adjust=adjust,
    )


def plot_nps(
    result: NPSTable | Mapping[str, NPSResult] | TableResult,
    *,
    ax: Axes | None = None,
    level: float | None = None,
    **kwargs: Any,
) -> Axes:
    """Forest plot of NPS with intervals, from any table of NPS: by segment, touchpoint, outcome or stage.

    Parameters
    ----------
    result : NPSTable, ExperienceMap or dict of str to NPSResult
        What :func:`nps_by`, :func:`journey.nps_by_touchpoint` or :func:`journey.nps_by_outcome` returns
        (the overall NPS dashed, groups that differ from the rest in red), a
        :func:`journey.experience_map` (the NPS of each stage, in order), or named results of :func:`nps`
        (drawn in the order of the dict).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when not given.
    level : float, optional
        Level of the intervals drawn; by default the results' own level.
    **kwargs
        Passed to ``Axes.errorbar``.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    JourneyError
        For anything else (a DataFrame, a list), a dict whose results have different levels and no
        ``level`` is given, or a ``level`` other than an experience map's own (its stage intervals are
        computed with the map).

    See Also
    --------
    NPSTable.plot

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_nps({"web": nps([10, 9, 3, 8]), "app": nps([6, 0, 9, 10, 7])})
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['web (n=4)', 'app (n=5)']
    """
    if isinstance(result, NPSTable):
        return result.plot(ax, level=level, **kwargs)
    if isinstance(result, TableResult) and STAGE_COLUMNS <= set(result.to_frame().columns):
        return _stage_forest(result, ax=ax, level=level, **kwargs)
    if not isinstance(result, Mapping) or not all(isinstance(r, NPSResult) for r in result.values()) or not result:
        raise JourneyError(
            f"plot_nps draws the result of journey.nps_by(...), journey.nps_by_touchpoint(...), "
            f"journey.nps_by_outcome(...) or journey.experience_map(...), or a dict {{label: NPSResult}}, "
            f"not a {type(result).__name__}"
        )
    from ..plot.nps import draw_forest

    levels = {r.level for r in result.values()}
    if level is None and len(levels) > 1:
        raise JourneyError(f"the results have different confidence levels; say which to draw with {option('level')}")
    level = levels.pop() if level is None else check_level(level)
    bounds = [r.confidence_interval(level) for r in result.values()]
    return draw_forest(
        [str(k) for k in result],
        [r.score for r in result.values()],
        [b.low for b in bounds],
        [b.high for b in bounds],
        [r.n for r in result.values()],
        ax=ax,
        xlabel=f"NPS, points ({level_label(level)} CI, adjusted Wald)",
        title="Net Promoter Score",
        **kwargs,
    )


#: The columns of a table of NPS per stage (a journey map's): what :func:`plot_nps` draws from it.
STAGE_COLUMNS = {"stage", "nps", "nps_ci_low", "nps_ci_high", "nps_n"}


def _stage_forest(result: TableResult, *, ax: Axes | None, level: float | None, **kwargs: Any) -> Axes:
    """The NPS of each stage of a journey map, in order, with the intervals the map computed."""
    from ..plot.nps import draw_forest

    own = float(getattr(result, "level", 0.95))
    if level is not None and check_level(level) != own:
        raise JourneyError(
            f"the stage intervals of this map are at {level_label(own)}; draw them without {option('level')} "
            f"or make the map with {option('level', level)}"
        )
    table = result.to_frame()
    return draw_forest(
        [str(s) for s in table["stage"]],
        table["nps"].to_numpy(dtype=float),
        table["nps_ci_low"].to_numpy(dtype=float),
        table["nps_ci_high"].to_numpy(dtype=float),
        table["nps_n"].fillna(0).to_numpy(),
        ax=ax,
        xlabel=f"NPS, points ({level_label(own)} CI, adjusted Wald)",
        title="NPS by stage of the journey",
        **kwargs,
    )
