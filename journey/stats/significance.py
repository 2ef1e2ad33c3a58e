"""Significance for many comparisons at once: one test per contingency table, adjusted p-values across them
(Benjamini-Hochberg by default, Holm or Benjamini-Yekutieli on request).
"""

from __future__ import annotations

from typing import Any, Literal, cast

import numpy as np
from scipy.stats import chi2_contingency, false_discovery_control, fisher_exact

from ..errors import JourneyError, option

__all__ = [
    "independence_test",
    "two_by_two_tests",
    "adjust_pvalues",
    "Adjustment",
    "ADJUSTMENTS",
    "check_adjust",
    "adjustment_label",
]

#: How the p-values of many comparisons are adjusted (``adjust=``): Benjamini-Hochberg (``"bh"``, the false
#: discovery rate, the default), Holm (``"holm"``, the family-wise error rate) or Benjamini-Yekutieli
#: (``"by"``, the false discovery rate under any dependence between the tests).
Adjustment = Literal["bh", "holm", "by"]
ADJUSTMENTS = ("bh", "holm", "by")
#: Each adjustment's name and the error rate it controls, for displays.
ADJUSTMENT_NAMES = {
    "bh": ("Benjamini-Hochberg", "false discovery rate"),
    "holm": ("Holm", "family-wise error rate"),
    "by": ("Benjamini-Yekutieli", "false discovery rate"),
}

#: Expected counts below this make the chi-square approximation unreliable: Fisher's exact test is used.
SMALL_EXPECTED = 5
#: Fisher's exact test on tables with more than two rows enumerates tables; above this many it is too slow.
EXACT_TABLES_LIMIT = 200_000


def independence_test(table: Any) -> tuple[float, str]:
    """p-value that the rows of a contingency table share one distribution, and the test's name.

    Parameters
    ----------
    table : array of int, shape (rows, columns)
        Counts; rows or columns that are all zero are left out.

    Returns
    -------
    (float, str)
        The two-sided p-value and ``"chi-square"``, ``"fisher"``, ``"chi-square (small expected counts)"``, or
        ``(nan, "none")`` when fewer than two rows and two columns remain.

    See Also
    --------
    adjust_pvalues : for many tables at once.

    Notes
    -----
    Pearson's chi-square (no continuity correction) when every expected count is at least 5; Fisher's
    exact test otherwise: scipy's for 2x2 tables, an exact enumeration for R x 2 tables (up to 200,000
    tables; beyond that, chi-square marked "small expected counts"). Cochran (1954), "Some methods for
    strengthening the common chi-square tests", Biometrics 10, is the source of the rule of 5.

    Examples
    --------
    >>> p, test = independence_test([[30, 70], [50, 50]])
    >>> test, round(p, 4)
    ('chi-square', 0.0039)
    >>> p, test = independence_test([[3, 1], [1, 3]])
    >>> test, round(p, 4)
    ('fisher', 0.4857)
    """
    table = np.asarray(table, dtype=np.int64)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return float("nan"), "none"
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    small = (expected < SMALL_EXPECTED).any()
    if small and table.shape == (2, 2):
        return float(fisher_exact(table).pvalue), "fisher"
    if small and table.shape[1] == 2:
        exact = _fisher_rows_by_two(table)
        if exact is not None:
            return exact, "fisher"
    result = chi2_contingency(table, correction=False)
    return float(result.pvalue), "chi-square" + (" (small expected counts)" if small else "")


def two_by_two_tests(k1: Any, n1: Any, k2: Any, n2: Any) -> np.ndarray:
    """:func:`independence_test` p-values of many 2x2 tables ``[[k1, n1 - k1], [k2, n2 - k2]]`` at once.

    The same test as :func:`independence_test` table by table (Pearson's chi-square without continuity
    correction, Fisher's exact test when an expected count is below 5, NaN when a row or a column is
    empty), with the chi-square tables computed together: a map of thousands of touchpoints tests fast.

    Examples
    --------
    >>> two_by_two_tests([30, 3, 0], [100, 4, 0], [50, 1, 5], [100, 4, 9]).round(4).tolist()
    [0.0039, 0.4857, nan]
    """
    k1, n1, k2, n2 = (np.atleast_1d(np.asarray(x, dtype=np.int64)) for x in (k1, n1, k2, n2))
    table = np.stack([k1, n1 - k1, k2, n2 - k2], axis=-1).reshape(-1, 2, 2).astype(float)
    rows, columns = table.sum(axis=2), table.sum(axis=1)
    total = rows.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = rows[:, :, None] * columns[:, None, :] / total[:, None, None]
        statistic = ((table - expected) ** 2 / expected).sum(axis=(1, 2))
    from scipy.stats import chi2

    pvalues = chi2.sf(statistic, 1)
    empty = (rows == 0).any(axis=1) | (columns == 0).any(axis=1)
    small = ~empty & (expected < SMALL_EXPECTED).any(axis=(1, 2))
    for i in np.flatnonzero(small):
        pvalues[i] = independence_test(table[i])[0]
    pvalues[empty] = np.nan
    return pvalues


def _fisher_rows_by_two(table: np.ndarray) -> float | None:
    """Exact Fisher p-value of an R x 2 table by enumerating every table with the same margins.

    Under independence the first column's counts follow a multivariate hypergeometric law; the p-value sums
    the probabilities of all tables no more likely than the observed one. Exact and the same on every run
    (scipy's R x C Fisher test samples). None when there are too many tables to enumerate.
    """
    from math import lgamma

    rows, k = table.sum(axis=1), int(table[:, 0].sum())
    if np.prod([min(int(n), k) + 1 for n in rows[:-1]], dtype=float) > EXACT_TABLES_LIMIT:
        return None
    log_choose = [
        np.array([lgamma(n + 1) - lgamma(j + 1) - lgamma(n - j + 1) for j in range(int(n) + 1)]) for n in rows
    ]
    observed = sum(log_choose[i][int(table[i, 0])] for i in range(len(rows)))
    # Distribution of the sum of the first column over rows, as log-weights of each partial table.
    partial: dict[int, list[float]] = {0: [0.0]}
    for i, n in enumerate(rows):
        nxt: dict[int, list[float]] = {}
        for used, weights in partial.items():
            for j in range(0, min(int(n), k - used) + 1):
                nxt.setdefault(used + j, []).extend(w + log_choose[i][j] for w in weights)
        partial = nxt
    found = np.array(partial.get(k, []))
    total = np.exp(found - found.max()).sum()
    extreme = np.exp(found[found <= observed + 1e-7] - found.max()).sum()
    return float(min(1.0, extreme / total))


def check_adjust(adjust: str) -> Adjustment:
    """``adjust`` if it names an adjustment of :data:`ADJUSTMENTS`, else a :class:`JourneyError`."""
    if adjust not in ADJUSTMENTS:
        raise JourneyError(
            f'{option("adjust")} must be "bh" (Benjamini-Hochberg), "holm" or "by" '
            f"(Benjamini-Yekutieli), not {adjust!r}"
        )
    return cast(Adjustment, adjust)


def adjustment_label(adjust: str, level: float) -> str:
    """The adjustment in words with the error rate ``1 - level`` it controls, for displays.

    Examples
    --------
    >>> adjustment_label("bh", 0.95), adjustment_label("holm", 0.9)
    ('Benjamini-Hochberg, false discovery rate 5%', 'Holm, family-wise error rate 10%')
    """
    name, rate = ADJUSTMENT_NAMES[adjust]
    return f"{name}, {rate} {round((1 - level) * 100, 6):g}%"


def adjust_pvalues(pvalues: Any, method: Adjustment = "bh") -> np.ndarray:
    """Adjusted p-values, for many comparisons at once; NaN stays NaN (and is not counted).

    Parameters
    ----------
    pvalues : array of float
        One p-value per comparison; NaN for a comparison that could not be made (left out of the count).
    method : {"bh", "holm", "by"}
        Benjamini-Hochberg (the default), Holm, or Benjamini-Yekutieli.

    Returns
    -------
    numpy.ndarray
        The adjusted p-values, in the order given. A comparison is significant at a false discovery rate
        ``q`` (``"bh"``, ``"by"``) or a family-wise error rate ``q`` (``"holm"``) when its adjusted p-value is
        below ``q``.

    Raises
    ------
    JourneyError
        For an unknown method.

    Notes
    -----
    With ``m`` p-values sorted ``p_(1) <= ... <= p_(m)``:

    * ``"bh"``: ``min over j >= i of m p_(j) / j`` (Benjamini and Hochberg 1995, "Controlling the false
      discovery rate: a practical and powerful approach to multiple testing", JRSS B 57), for independent
      or positively dependent tests;
    * ``"by"``: the same times ``c(m) = 1 + 1/2 + ... + 1/m``, which holds under any dependence
      (Benjamini and Yekutieli 2001, "The control of the false discovery rate in multiple testing under
      dependency", Annals of Statistics 29); both by ``scipy.stats.false_discovery_control``;
    * ``"holm"``: ``max over j <= i of (m - j + 1) p_(j)`` (Holm 1979, "A simple sequentially rejective
      multiple test procedure", Scandinavian Journal of Statistics 6), the family-wise error rate under any
      dependence, uniformly more powerful than Bonferroni;

    each capped at 1.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, float("nan"), 0.03]).round(3).tolist()
    [0.03, 0.04, nan, 0.04]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "holm").round(3).tolist(), adjust_pvalues([0.01, 0.04, 0.03], "by").round(3).tolist()
    ([0.03, 0.06, 0.06], [0.055, 0.073, 0.073])
    """
    check_adjust(method)
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    valid = ~np.isnan(p)
    if not valid.any():
        return adjusted
    if method == "holm":
        given = p[valid]
        order = np.argsort(given, kind="stable")
        holm = np.empty(len(given))
        holm[order] = np.minimum(1.0, np.maximum.accumulate((len(given) - np.arange(len(given))) * given[order]))
        adjusted[valid] = holm
    else:
        adjusted[valid] = false_discovery_control(p[valid], method=method)
    return adjusted
