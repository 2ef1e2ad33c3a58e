"""Significance for many comparisons at once: one test per contingency table, Benjamini-Hochberg across them."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import chi2_contingency, false_discovery_control, fisher_exact

__all__ = ["independence_test", "adjust_pvalues"]

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
    log_choose = [np.array([lgamma(n + 1) - lgamma(j + 1) - lgamma(n - j + 1) for j in range(int(n) + 1)]) for n in rows]
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


def adjust_pvalues(pvalues: Any) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values, for many comparisons at once; NaN stays NaN.

    Parameters
    ----------
    pvalues : array of float
        One p-value per comparison; NaN for a comparison that could not be made (left out of the count).

    Returns
    -------
    numpy.ndarray
        The adjusted p-values, in the order given: a comparison is significant at a false discovery rate
        ``q`` when its adjusted p-value is below ``q``.

    Notes
    -----
    Benjamini and Hochberg (1995), "Controlling the false discovery rate: a practical and powerful approach
    to multiple testing", JRSS B 57; computed by ``scipy.stats.false_discovery_control``.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, float("nan"), 0.03]).round(3).tolist()
    [0.03, 0.04, nan, 0.04]
    """
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    valid = ~np.isnan(p)
    if valid.any():
        adjusted[valid] = false_discovery_control(p[valid], method="bh")
    return adjusted
