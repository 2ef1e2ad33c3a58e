"""Significance for many comparisons at once: one test per contingency table, Benjamini-Hochberg across them."""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2_contingency, false_discovery_control, fisher_exact

__all__ = ["independence_test", "adjust_pvalues"]

#: Expected counts below this make the chi-square approximation unreliable: Fisher's exact test is used.
SMALL_EXPECTED = 5
#: Fisher's exact test on tables with more than two rows enumerates tables; above this total it is too slow.
EXACT_TOTAL_LIMIT = 2_000


def independence_test(table) -> tuple[float, str]:
    """p-value that the rows of a contingency table share one distribution, and the test's name.

    Pearson's chi-square (no continuity correction) when every expected count is at least 5; Fisher's
    exact test otherwise (any table size, as ``scipy.stats.fisher_exact`` allows, up to 2,000 observations
    beyond 2x2). Rows or columns that are all zero are left out. Returns ``(nan, "none")`` when fewer than
    two rows and two columns remain.

    Examples
    --------
    >>> p, test = independence_test([[30, 70], [50, 50]])
    >>> test, round(p, 4)
    ('chi-square', 0.0039)
    """
    table = np.asarray(table, dtype=np.int64)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return float("nan"), "none"
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    small = (expected < SMALL_EXPECTED).any()
    if small and (table.shape == (2, 2) or table.sum() <= EXACT_TOTAL_LIMIT):
        return float(fisher_exact(table).pvalue), "fisher"
    result = chi2_contingency(table, correction=False)
    return float(result.pvalue), "chi-square" + (" (small expected counts)" if small else "")


def adjust_pvalues(pvalues) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (``scipy.stats.false_discovery_control``); NaN stays NaN."""
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    valid = ~np.isnan(p)
    if valid.any():
        adjusted[valid] = false_discovery_control(p[valid], method="bh")
    return adjusted
