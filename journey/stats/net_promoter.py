"""Net Promoter Score with honest confidence intervals, comparisons and per-segment tables.

NPS = % promoters (9-10) - % detractors (0-6), in points from -100 to 100. Each answer scores +1
(promoter), 0 (passive) or -1 (detractor), and NPS is 100 x their mean, so its variance per respondent is
``p_promoters + p_detractors - (p_promoters - p_detractors)**2`` (times 100**2 in points).

Interval methods (Rocks 2016, "Interval Estimation for the Net Promoter Score", The American Statistician)
---------------------------------------------------------------------------------------------------------
* ``"adjusted-wald"`` (default): Wald on counts with pseudo-counts 3/4 promoter, 3/2 passive, 3/4
  detractor (n + 3). Holds its level even at small n and near the boundaries.
* ``"wald"``: estimate +/- z x standard error. Too narrow at small n and near +/-100: shown for comparison.
* ``"score"``: Tango's score interval for a difference of paired proportions (promoter and detractor are
  two outcomes of one answer), found by solving the score equation (Tango 1998).
* ``"bootstrap"``: percentile interval from ``n_boot`` multinomial resamples of the three counts, seeded.
* ``"bayes"``: equal-tailed credible interval under a Dirichlet posterior (Jeffreys prior, 1/2 per
  category, by default), from ``n_boot`` seeded posterior draws.

Every interval is clipped to [-100, 100].
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from ..errors import JourneyError, MissingColumnError
from .proportions import ConfidenceInterval, _check_level, _count, whole_scores
from .significance import adjust_pvalues

__all__ = ["NPSResult", "NPSDifference", "nps", "nps_from_counts", "nps_compare", "nps_by", "nps_interval",
           "nps_coverage", "NPS_METHODS"]

NPS_METHODS = ("adjusted-wald", "wald", "score", "bootstrap", "bayes")
METHOD_NAMES = {"adjusted-wald": "adjusted Wald", "wald": "Wald", "score": "Tango score", "bootstrap": "bootstrap",
                "bayes": "Bayesian, Jeffreys prior"}


def nps_interval(promoters, passives, detractors, level: float = 0.95, method: str = "adjusted-wald",
                 *, n_boot: int = 10_000, seed: int = 0, prior: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """NPS interval bounds in points for arrays of counts (element-wise). See the module notes."""
    _check_level(level)
    if method not in NPS_METHODS:
        raise JourneyError(f"method must be one of {', '.join(map(repr, NPS_METHODS))}, not {method!r}")
    p, a, d = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (promoters, passives, detractors))
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


def nps_coverage(n: int, method: str = "adjusted-wald", *, level: float = 0.95, step: float = 0.05) -> pd.DataFrame:
    """Exact coverage of an NPS interval method at sample size ``n``, over a grid of true shares.

    For every true (promoter, detractor) share on a grid of ``step`` (boundaries included), every possible
    outcome of ``n`` answers is enumerated with its multinomial probability, and the probabilities of the
    outcomes whose interval contains the true NPS are summed. No simulation: the figures are exact.

    Returns
    -------
    pandas.DataFrame
        ``promoter_share``, ``detractor_share``, ``true_nps`` (points) and ``coverage`` (0-1), one row per
        grid point.

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


def _wald_parts(p, a, d, adjusted: bool):
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
    def statistic(delta):
        two_n = 2 * n
        slope = -b - c + (2 * n - b + c) * delta
        const = -c * delta * (1 - delta)
        q = (np.sqrt(np.maximum(slope**2 - 4 * two_n * const, 0)) - slope) / (2 * two_n)
        var = np.maximum(n * (2 * q + delta * (1 - delta)), 1e-300)
        return (b - c - n * delta) / np.sqrt(var)

    estimate = np.where(n > 0, (b - c) / np.maximum(n, 1), np.nan)
    bounds = []
    for target, (lo, hi) in ((z, (np.full_like(estimate, -1.0), estimate)), (-z, (estimate, np.full_like(estimate, 1.0)))):
        lo, hi = lo.copy(), hi.copy()
        for _ in range(64):  # bisection to double precision
            mid = (lo + hi) / 2
            above = statistic(mid) > target  # T decreases: the root lies above mid
            lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
        bounds.append((lo + hi) / 2)
    low = np.where(estimate <= -1, -1.0, bounds[0])
    high = np.where(estimate >= 1, 1.0, bounds[1])
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def _resampled(p, a, d, level, method, n_boot, seed, prior):
    if n_boot < 1:
        raise JourneyError(f"n_boot must be at least 1, not {n_boot}")
    tail = (1 - level) / 2
    lows, highs = [], []
    for counts in zip(p, a, d):
        rng = np.random.default_rng(seed)
        total = int(sum(counts))
        if total == 0:
            lows.append(np.nan), highs.append(np.nan)
            continue
        if method == "bootstrap":
            draws = rng.multinomial(total, np.asarray(counts) / total, size=n_boot)
            values = (draws[:, 0] - draws[:, 2]) / total
        else:
            shares = rng.dirichlet(np.asarray(counts) + prior, size=n_boot)
            values = shares[:, 0] - shares[:, 2]
        lows.append(np.quantile(values, tail)), highs.append(np.quantile(values, 1 - tail))
    return np.array(lows), np.array(highs)


@dataclass(frozen=True, repr=False)
class NPSResult:
    """Net Promoter Score of a set of answers.

    Attributes
    ----------
    promoters, passives, detractors : int
        Answers 9-10, 7-8 and 0-6.
    n_missing : int
        Unanswered (missing) scores, left out.

    Examples
    --------
    >>> r = nps_from_counts(promoters=45, passives=30, detractors=25)
    >>> r
    NPSResult: NPS +20.0 points (n = 100: 45.0% promoters, 30.0% passives, 25.0% detractors); 95% CI (adjusted Wald) +3.8 to +35.1
    >>> print(f"{r.standard_error:.2f}", [round(x, 2) for x in r.confidence_interval(method="wald")])
    8.12 [4.08, 35.92]
    """

    promoters: int
    passives: int
    detractors: int
    n_missing: int = 0

    @property
    def n(self) -> int:
        """Answers counted (missing ones excluded)."""
        return self.promoters + self.passives + self.detractors

    @property
    def promoter_share(self) -> float:
        return self.promoters / self.n if self.n else float("nan")

    @property
    def passive_share(self) -> float:
        return self.passives / self.n if self.n else float("nan")

    @property
    def detractor_share(self) -> float:
        return self.detractors / self.n if self.n else float("nan")

    @property
    def score(self) -> float:
        """NPS in points (-100 to 100)."""
        return 100 * (self.promoter_share - self.detractor_share)

    @property
    def variance(self) -> float:
        """Variance of one answer's score (+100, 0, -100), in points squared."""
        p, d = self.promoter_share, self.detractor_share
        return 100**2 * (p + d - (p - d) ** 2)

    @property
    def standard_error(self) -> float:
        """Standard error of the NPS, in points: sqrt(variance / n)."""
        return float(np.sqrt(self.variance / self.n)) if self.n else float("nan")

    def confidence_interval(self, level: float = 0.95, method: str = "adjusted-wald", *, n_boot: int = 10_000,
                            seed: int = 0, prior: float = 0.5) -> ConfidenceInterval:
        """Interval for the NPS in points, clipped to [-100, 100]; methods in the module notes.

        ``n_boot`` and ``seed`` apply to ``"bootstrap"`` and ``"bayes"`` (the same seed gives the same
        digits every time); ``prior`` is the Dirichlet pseudo-count of ``"bayes"`` (1/2: Jeffreys).
        """
        low, high = nps_interval(self.promoters, self.passives, self.detractors, level, method,
                                 n_boot=n_boot, seed=seed, prior=prior)
        return ConfidenceInterval(float(low[0]), float(high[0]))

    def to_frame(self, level: float = 0.95, method: str = "adjusted-wald") -> pd.DataFrame:
        """One row: counts, shares, NPS, standard error and interval."""
        low, high = self.confidence_interval(level, method)
        return pd.DataFrame([{"n": self.n, "n_missing": self.n_missing, "promoters": self.promoters,
                              "passives": self.passives, "detractors": self.detractors, "nps": self.score,
                              "standard_error": self.standard_error, "ci_low": low, "ci_high": high}])

    def _text(self) -> str:
        if not self.n:
            return f"no answers ({self.n_missing:,} missing)"
        low, high = self.confidence_interval()
        missing = f", {self.n_missing:,} missing" if self.n_missing else ""
        return (f"NPS {self.score:+.1f} points (n = {self.n:,}{missing}: {self.promoter_share:.1%} promoters, "
                f"{self.passive_share:.1%} passives, {self.detractor_share:.1%} detractors); "
                f"95% CI (adjusted Wald) {low:+.1f} to {high:+.1f}")

    def __repr__(self) -> str:
        return f"NPSResult: {self._text()}"

    def _repr_html_(self) -> str:
        return f"<p><b>NPS</b>: {html.escape(self._text())}</p>"


@dataclass(frozen=True, repr=False)
class NPSDifference:
    """NPS of ``a`` minus NPS of ``b`` (two independent groups), in points."""

    a: NPSResult
    b: NPSResult

    @property
    def difference(self) -> float:
        return self.a.score - self.b.score

    @property
    def standard_error(self) -> float:
        return float(np.hypot(self.a.standard_error, self.b.standard_error))

    def _wald(self, adjusted: bool) -> tuple[float, float]:
        """Centre and standard error of the difference (share scale), with Rocks' pseudo-counts if ``adjusted``."""
        (ca, sa), (cb, sb) = (_wald_parts(*(np.array([float(c)]) for c in (g.promoters, g.passives, g.detractors)),
                                          adjusted=adjusted) for g in (self.a, self.b))
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

    def confidence_interval(self, level: float = 0.95, method: str = "adjusted-wald", *, n_boot: int = 10_000,
                            seed: int = 0) -> ConfidenceInterval:
        """``"adjusted-wald"`` (pseudo-counts on each group), ``"wald"`` or ``"bootstrap"``; points, +/-200."""
        _check_level(level)
        z = NormalDist().inv_cdf(0.5 + level / 2)
        if method in ("wald", "adjusted-wald"):
            centre, se = self._wald(adjusted=method == "adjusted-wald")
            return ConfidenceInterval(max(-200.0, 100 * (centre - z * se)), min(200.0, 100 * (centre + z * se)))
        if method == "bootstrap":
            rng = np.random.default_rng(seed)
            values = 0.0
            for group, sign in ((self.a, 1), (self.b, -1)):
                draws = rng.multinomial(group.n, [group.promoter_share, group.passive_share, group.detractor_share],
                                        size=n_boot)
                values = values + sign * (draws[:, 0] - draws[:, 2]) / group.n * 100
            tail = (1 - level) / 2
            return ConfidenceInterval(float(np.quantile(values, tail)), float(np.quantile(values, 1 - tail)))
        raise JourneyError(f'method must be "adjusted-wald", "wald" or "bootstrap", not {method!r}')

    def __repr__(self) -> str:
        low, high = self.confidence_interval()
        return (f"NPSDifference: {self.difference:+.1f} points ({self.a.score:+.1f} vs {self.b.score:+.1f}, "
                f"n = {self.a.n:,} and {self.b.n:,}); 95% CI (adjusted Wald) {low:+.1f} to {high:+.1f}; "
                f"p = {self.pvalue:.3g}")

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>"


def nps(scores) -> NPSResult:
    """The NPS of 0-10 answers.

    Scores must be whole numbers from 0 to 10 (``9.0`` and ``"9"`` are accepted); ``9.5``, ``11``, ``-1`` or
    ``"ten"`` raise :class:`~journey.errors.InvalidValuesError` listing the values and positions. Missing
    scores (NaN, None) are unanswered: excluded and counted in ``n_missing``. Nothing is clipped or coerced.

    Examples
    --------
    >>> r = nps([10, 9, 8, 7, 6, 0, None])
    >>> r.score, r.n, r.n_missing
    (0.0, 6, 1)
    """
    values, missing = whole_scores(scores, 0, 10, "scores")
    return NPSResult(int((values >= 9).sum()), int(((values >= 7) & (values <= 8)).sum()), int((values <= 6).sum()),
                     missing)


def nps_from_counts(*, promoters: int, passives: int, detractors: int) -> NPSResult:
    """An NPS from counts of promoters, passives and detractors."""
    return NPSResult(_count(promoters, "promoters"), _count(passives, "passives"), _count(detractors, "detractors"))


def nps_compare(a: NPSResult, b: NPSResult) -> NPSDifference:
    """Compare two independent NPS results: ``difference`` (points), ``confidence_interval()``, ``pvalue``.

    Examples
    --------
    >>> d = nps_compare(nps_from_counts(promoters=60, passives=20, detractors=20),
    ...                 nps_from_counts(promoters=30, passives=30, detractors=40))
    >>> d.difference, round(d.pvalue, 4)
    (50.0, 0.0)
    """
    if not isinstance(a, NPSResult) or not isinstance(b, NPSResult):
        raise JourneyError("nps_compare takes two NPSResult objects (from journey.nps or journey.nps_from_counts)")
    if not a.n or not b.n:
        raise JourneyError("both groups need at least one answer to compare their NPS")
    return NPSDifference(a, b)


def nps_by(df: pd.DataFrame, *, score: str = "score", by: str, level: float = 0.95) -> pd.DataFrame:
    """NPS per segment, each against the rest, with Benjamini-Hochberg-adjusted p-values.

    Returns
    -------
    pandas.DataFrame
        One row per value of ``by`` (missing values form their own segment): ``n``, ``n_missing``,
        ``promoters``, ``passives``, ``detractors``, ``nps``, ``ci_low``, ``ci_high`` (adjusted Wald),
        ``difference`` from the rest (points) with ``diff_ci_low``, ``diff_ci_high``, ``p_value``,
        ``p_adjusted`` and ``significant`` (``p_adjusted < 1 - level``). Sorted by segment.
    """
    for column, keyword, role in ((score, "score", "score"), (by, "by", "segment")):
        if column not in df.columns:
            raise MissingColumnError(keyword, column, [str(c) for c in df.columns], role)
    labels, segments = pd.factorize(df[by], sort=True, use_na_sentinel=False)
    every = nps(df[score])  # validates every answer once, naming bad rows by position
    rows = []
    for i, segment in enumerate(segments):
        inside = nps(df[score].to_numpy()[labels == i])
        rest = NPSResult(every.promoters - inside.promoters, every.passives - inside.passives,
                         every.detractors - inside.detractors)
        low, high = inside.confidence_interval(level)
        row = {by: segment, "n": inside.n, "n_missing": inside.n_missing, "promoters": inside.promoters,
               "passives": inside.passives, "detractors": inside.detractors, "nps": inside.score,
               "ci_low": low, "ci_high": high}
        if inside.n and rest.n:
            diff = NPSDifference(inside, rest)
            d_low, d_high = diff.confidence_interval(level)
            row.update(difference=diff.difference, diff_ci_low=d_low, diff_ci_high=d_high, p_value=diff.pvalue)
        rows.append(row)
    table = pd.DataFrame(rows).reindex(columns=[by, "n", "n_missing", "promoters", "passives", "detractors", "nps",
                                                "ci_low", "ci_high", "difference", "diff_ci_low", "diff_ci_high",
                                                "p_value"])
    table["p_adjusted"] = adjust_pvalues(table["p_value"])
    table["significant"] = (table["p_adjusted"] < 1 - level).fillna(False).astype(bool)
    return table
