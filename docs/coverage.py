"""Coverage of journey's 95% intervals: the figures quoted in docs/statistics.md.

Run from the repository root with ``.venv/bin/python docs/coverage.py`` (two to three minutes on two cores);
it prints the tables as Markdown. Where every outcome can be enumerated (one proportion, a difference of
two proportions, an NPS) the coverage is exact: the probabilities of the outcomes whose interval holds the
truth are summed, nothing is simulated. Elsewhere (churn, stickiness, Kaplan-Meier) it is simulated with
the fixed seeds below, so every run prints the same digits. Every interval comes from journey's own code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import beta as beta_function
from scipy.stats import binom

import journey
from journey.analysis.engagement import ChurnRate, _design_effect
from journey.stats.intervals import newcombe_interval, proportion_interval, wilson_interval
from journey.stats.net_promoter import nps_coverage

LEVEL = 0.95


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def mean_worst(coverage: np.ndarray) -> str:
    return f"{coverage.mean():.3f} / {coverage.min():.3f}"


def one_proportion() -> str:
    """Exact coverage over true shares 0.01, 0.02, ..., 0.99 for each n."""
    p = np.round(np.arange(0.01, 1.0, 0.01), 2)
    rows = []
    for n in (10, 30, 100, 300):
        k = np.arange(n + 1)
        pmf = binom.pmf(k[:, None], n, p[None, :])  # outcomes x true shares
        cells = [str(n)]
        for method in ("wilson", "exact", "jeffreys"):
            low, high = proportion_interval(k, np.full(n + 1, n), LEVEL, method)
            holds = (low[:, None] <= p[None, :]) & (p[None, :] <= high[:, None])
            cells.append(mean_worst((pmf * holds).sum(axis=0)))
        rows.append(cells)
    return table(["n", "Wilson (default)", "exact (Clopper-Pearson)", "Jeffreys"], rows)


def two_proportions() -> str:
    """Exact coverage of the difference over true shares 0.05, 0.10, ..., 0.95 in each group, n in each."""
    p = np.round(np.arange(0.05, 1.0, 0.05), 2)
    rows = []
    for n in (20, 50, 100):
        k1, k2 = (a.ravel() for a in np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij"))
        nn = np.full(len(k1), n)
        newcombe = newcombe_interval(k1, nn, k2, nn, LEVEL)
        wald = np.array(
            [
                journey.compare_proportions(int(a), n, int(b), n).confidence_interval(method="wald")
                for a, b in zip(k1, k2)
            ]
        ).T
        pmf = binom.pmf(np.arange(n + 1)[:, None], n, p[None, :])  # outcomes of one group x true shares
        cells = [str(n)]
        for low, high in (newcombe, wald):
            coverage = []
            for i, p1 in enumerate(p):
                for j, p2 in enumerate(p):
                    holds = (low <= p1 - p2 + 1e-12) & (p1 - p2 - 1e-12 <= high)
                    coverage.append((pmf[k1, i] * pmf[k2, j] * holds).sum())
            cells.append(mean_worst(np.array(coverage)))
        rows.append(cells)
    return table(["n in each group", "Newcombe hybrid score (default)", "Wald"], rows)


def nps() -> str:
    """Exact coverage over true (promoter, detractor) shares in steps of 0.05, boundaries included.

    The resampling methods draw 10,000 resamples for every possible outcome, so they are measured at the
    two smaller sizes only.
    """
    rows = []
    for n in (20, 50, 200):
        cells = [str(n)]
        for method in ("adjusted-wald", "wald", "score", "bootstrap", "bayes"):
            if method in ("bootstrap", "bayes") and n > 50:
                continue
            grid = nps_coverage(n, method, level=LEVEL)
            inner = grid["true_nps"].abs() < 100
            cells.append(f"{mean_worst(grid['coverage'].to_numpy())} ({grid.loc[inner, 'coverage'].min():.3f})")
        rows.append(cells)
    closed = table(["n", "adjusted Wald (default)", "Wald", "Tango score"], [row[:4] for row in rows])
    resampled = table(["n", "bootstrap", "Bayes (Dirichlet, Jeffreys prior)"], [row[:1] + row[4:] for row in rows[:2]])
    return f"{closed}\n\n{resampled}"


def churn() -> str:
    """Customers at the start of 1-12 periods, a personal churn probability q ~ Beta(1, 3): truth E[q] = 0.25."""
    rng = np.random.default_rng(7)
    runs, truth = 4000, 0.25
    rows = []
    for customers in (30, 60, 200):
        s = rng.integers(1, 13, size=(runs, customers))
        lost = rng.binomial(s, rng.beta(1, 3, size=(runs, customers)))
        clustered = naive = 0
        for k_u, n_u in zip(lost, s):
            k, n = int(k_u.sum()), int(n_u.sum())
            deff = _design_effect(k, n, customers, int(k_u @ k_u), int(k_u @ n_u), int(n_u @ n_u))
            low, high = ChurnRate(k, n, customers, deff).confidence_interval()
            clustered += low <= truth <= high
            low, high = wilson_interval([k], [n], LEVEL)
            naive += low[0] <= truth <= high[0]
        rows.append([str(customers), f"{clustered / runs:.3f}", f"{naive / runs:.3f}"])
    return table(["customers", "clustered (journey's overall churn)", "Wilson on customer-periods"], rows)


def stickiness() -> str:
    """Users active each day with a personal probability p ~ Beta(1, 4); truth E[p] / (1 - E[(1 - p)^7])."""
    days, window, a, b = 16, 7, 1.0, 4.0
    truth = (a / (a + b)) / (1 - beta_function(a, b + window) / beta_function(a, b))
    rng = np.random.default_rng(20250101)
    start = pd.Timestamp("2025-01-01T12:00Z")
    rows = []
    for users in (100, 400):
        hits, runs = 0, 200
        for run in range(runs):
            active = rng.random((users, days)) < rng.beta(a, b, users)[:, None]
            user, day = np.nonzero(active)
            frame = pd.DataFrame({"user_id": user, "event": "x", "timestamp": start + pd.to_timedelta(day, unit="D")})
            low, high = journey.stickiness(frame, mau_days=window, n_boot=400, seed=run).confidence_interval()
            hits += low <= truth <= high
        rows.append([str(users), str(runs), f"{hits / runs:.3f}"])
    return table(["users", "replicates", "coverage of the bootstrap interval"], rows)


def kaplan_meier() -> str:
    """Exponential times (mean 1 day), uniform censoring on 0-3 days; the curve at ln 2 days, where S = 0.5."""
    rng = np.random.default_rng(1958)
    t0, runs = np.log(2.0), 2000
    rows = []
    for n in (30, 100, 300):
        hits = {"linear": 0, "log-log": 0}
        for _ in range(runs):
            event, censor = rng.exponential(1.0, n), rng.uniform(0.0, 3.0, n)
            km = journey.kaplan_meier(np.minimum(event, censor), event <= censor)
            row = np.searchsorted(km.to_frame()["time"].to_numpy(), t0, side="right") - 1
            assert row >= 0, "a sample with no time before ln 2"
            for method in hits:
                low, high = km.confidence_interval(method=method)
                hits[method] += bool(low[row] <= 0.5 <= high[row])
        rows.append([str(n), f"{hits['linear'] / runs:.3f}", f"{hits['log-log'] / runs:.3f}"])
    return table(["subjects", "Greenwood, linear (default)", "Greenwood, log-log"], rows)


if __name__ == "__main__":
    for title, make in [
        ("One proportion: mean / worst over true shares 0.01-0.99 (exact)", one_proportion),
        ("Difference of two proportions: mean / worst over 19 x 19 true shares (exact)", two_proportions),
        ("NPS: mean / worst over the grid, (worst with true NPS strictly inside -100..100) (exact)", nps),
        ("Pooled churn rate, 4,000 simulated data sets each (seed 7)", churn),
        ("Stickiness (DAU/MAU over 7 days), seed 20250101", stickiness),
        ("Kaplan-Meier at the true median, 2,000 simulated samples each (seed 1958)", kaplan_meier),
    ]:
        print(f"### {title}\n\n{make()}\n", flush=True)
