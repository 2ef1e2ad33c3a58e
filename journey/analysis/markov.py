"""An absorbing Markov model of journeys: conversion probabilities and removal effects, solved exactly.

The definitions and their references are in :func:`markov`'s Notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, Literal

import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.linalg import solve_triangular
from scipy.sparse.csgraph import breadth_first_order
from scipy.sparse.linalg import splu

from ..engine.core import run
from ..engine.journeys import JourneyAnalysis, Journeys, distinct, goal_codes, goal_list
from ..engine.partials import Keyed
from ..errors import JourneyError, UnknownEventError, available_memory, check_memory
from ..io.aliases import Duration, Goal, Unit
from ..io.events import END, START, LogLike
from ..io.facts import Facts
from ..plot.intervals import draw_interval_bars
from ..stats.proportions import ProportionMethod, ProportionResult
from ..stats.resampling import MIN_BOOTSTRAP_JOURNEYS, warn_few
from ..stats.results import ConfidenceInterval, Result, TableResult, check_level
from .variants import _variant_ids

__all__ = ["markov", "MarkovModel", "MarkovBootstrap", "MarkovAnalysis"]

MAX_ORDER = 3


def markov(
    log_or_graph: LogLike | nx.DiGraph,
    *,
    goal: Goal,
    order: int = 1,
    unit: Unit = "user",
    gap: Duration = "30min",
    level: float = 0.95,
) -> MarkovModel:
    """Fit the absorbing Markov model of the journeys toward ``goal``.

    Parameters
    ----------
    log_or_graph : EventLog, pandas.DataFrame, a log on Dask, or networkx.DiGraph
        The events, or a journey graph. From a log, journeys are cut at their first goal event exactly:
        prefer it. A graph no longer knows which transitions came after a conversion, so those still count
        as non-converting flow and conversion probabilities come out biased low; from a graph only a
        first-order model can be built and :meth:`MarkovModel.bootstrap` is not available.
    goal : str or list of str
        The conversion event(s).
    order : {1, 2, 3}
        How many past touchpoints a state remembers (the order of the chain).
    unit : {"user", "session"}
        What one journey is (for a log), as in :func:`journey_graph`.
    gap : str or pandas.Timedelta
        With ``unit="session"``, the inactivity that ends a session when the source has no session ids
        (a log read from a GA4, Amplitude or PostHog export follows its own sessions).
    level : float
        Confidence level of the overall conversion's interval (0.95: 95%); also the default of
        :meth:`MarkovModel.bootstrap`.

    Returns
    -------
    MarkovModel

    Raises
    ------
    JourneyError
        No goal, a goal that never occurs, an order outside 1-3, a graph with ``order > 1``, or a chain in
        which no journey converts.

    See Also
    --------
    MarkovModel.bootstrap : intervals for every touchpoint.
    drop_off : where journeys end without converting, with intervals.

    Notes
    -----
    A state is the last ``order`` touchpoints (the first ones padded with START). Transition probabilities
    are the observed transition shares; the goal and the end of a journey (exit) are absorbing. With ``Q``
    the transitions among transient states and ``R`` those into the absorbing ones, the absorption
    probabilities solve ``(I - Q) B = R`` exactly (a sparse LU factorisation, no simulation).

    - ``conversion_probability[t]``: the probability of reaching the goal from touchpoint ``t`` (for
      ``order > 1``, averaged over the states ending at ``t``, weighted by how often they occur).
    - ``removal_effect[t]``: the relative drop of the overall conversion probability when ``t`` is removed
      and every transition into it goes to exit instead (Anderl, Becker, von Wangenheim and Schumann 2016,
      "Mapping the customer journey: lessons learned from graph-based online attribution modeling",
      *International Journal of Research in Marketing* 33(3)); every touchpoint's comes from one
      factorisation, by a rank update per touchpoint (the Woodbury identity).
    - ``expected_steps``: expected transitions until a journey converts or exits, from each state.

    For a first-order model fitted on a log, the overall conversion probability equals the observed share of
    converting journeys exactly.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> paths = [["ad", "buy"], ["ad", "cart", "buy"], ["ad"], ["email", "cart"]]
    >>> rows = [(f"u{i}", e) for i, p in enumerate(paths) for e in p]
    >>> df = pd.DataFrame(rows, columns=["user_id", "event"]).assign(
    ...     timestamp=pd.date_range("2025-01-01", periods=len(rows), freq="min", tz="UTC"))
    >>> m = journey.markov(df, goal="buy")
    >>> print(f"{m.overall_conversion:.2f} {m.conversion_probability['ad']:.3f} {m.removal_effect['ad']:.3f}")
    0.50 0.500 0.750
    >>> m
    MarkovModel: first-order, goal 'buy', 4 journeys: overall conversion 50.0% (95% CI 15.0% to 85.0%)
    touchpoint conversion_probability removal_effect attribution
            ad                  50.0%          75.0%       50.0%
          cart                  50.0%          50.0%       33.3%
         email                  50.0%          25.0%       16.7%
    """
    if order not in range(1, MAX_ORDER + 1):
        raise JourneyError(f"order must be 1, 2 or 3, not {order!r}")
    check_level(level)
    if isinstance(log_or_graph, nx.DiGraph):
        if order != 1:
            raise JourneyError("a journey graph holds first-order transitions only; pass the log for order > 1")
        return MarkovModel(_chain_from_graph(log_or_graph, goal), goal=goal, order=order, level=level)
    return run(
        MarkovAnalysis(goal=goal, order=order, unit=unit, gap=gap, level=level), log_or_graph, argument="log_or_graph"
    )


class MarkovAnalysis(JourneyAnalysis):
    """Distinct paths cut at their first goal, with how many journeys take each: the chain is built from
    them in ``finish``, and the bootstrap resamples journeys through them.
    """

    def __init__(self, *, goal: Goal, order: int, unit: Unit, gap: Duration, level: float = 0.95):
        super().__init__(goal=goal, unit=unit, gap=gap)
        if not self.goals:
            raise JourneyError("markov needs a goal")
        self.order, self.level = order, level

    def partial(self, log: Any, facts: Facts) -> Keyed:
        journeys, goals = self.journeys(log)
        cut = journeys.until_first(goals)
        variant, sequences = _variant_ids(cut)
        index = pd.Index([tuple(cut.names[c] for c in seq) for seq in sequences], dtype=object, tupleize_cols=False)
        return Keyed(index, {"journeys": np.bincount(variant, minlength=len(index))})

    def finish(self, total: Keyed, facts: Facts) -> MarkovModel:
        names = list(facts.touchpoints)
        journeys, weights = _paths_as_journeys(total, names)
        chain = _chain_from_journeys(journeys, goal_codes(self.goals, names), self.order, weights)
        return MarkovModel(chain, goal=self.goal, order=self.order, level=self.level)


def _paths_as_journeys(paths: Keyed, names: list[str]) -> tuple[Journeys, np.ndarray]:
    """One journey per distinct path, in the order of the paths' names (the same whatever the backend)."""
    order = sorted(range(len(paths.index)), key=lambda i: paths.index[i])
    code = {name: i for i, name in enumerate(names)}
    sequences = [paths.index[i] for i in order]
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    events = np.fromiter((code[name] for s in sequences for name in s), dtype=np.int32, count=int(lengths.sum()))
    starts = np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64)
    journey = np.repeat(np.arange(len(sequences), dtype=np.int64), lengths)
    journeys = Journeys(
        events=events, starts=starts, journey=journey, time=np.zeros(len(events), dtype=np.int64), names=names
    )
    return journeys, paths.values["journeys"][order].astype(np.int64)


@dataclass
class _Chain:
    """Transition counts among transient states (START first) and into the absorbing states (goals, END)."""

    labels: list  # transient states: names (order 1) or tuples of names
    touchpoints: list[str]  # touchpoints the transient states end at, sorted
    ends_at: sparse.csr_matrix  # (touchpoints, T): 1 where state s ends at touchpoint i
    has: sparse.csr_matrix  # (touchpoints, T): 1 where state s contains touchpoint i
    absorbing: list[str]  # goal names, then END
    counts: sparse.csr_matrix  # (T, T + A): the observed transitions only
    n_journeys: int
    observed_conversions: int
    paths: tuple | None = None  # (journeys cut at the goal, owner journey of each transition, its counts.data slot)
    weights: np.ndarray | None = None  # how many journeys each of those stands for (None: one each)

    @cached_property
    def resampling(self) -> tuple:
        """(cells x variants) transition counts of one journey of each distinct path, and each journey's path.

        Cells are the stored entries of ``counts`` (``counts.data``). Built on first use: only the bootstrap
        needs it.
        """
        assert self.paths is not None, "only a chain fitted on journeys is resampled"
        cut, owner, cells = self.paths
        variant, _ = _variant_ids(cut)
        per_journey = variant if self.weights is None else np.repeat(variant, self.weights)
        return _per_variant(variant, owner, cells, self.counts.nnz), per_journey


def _chain_from_journeys(
    journeys: Journeys, goals: np.ndarray, order: int, weights: np.ndarray | None = None
) -> _Chain:
    if len(goals) == 0:
        raise JourneyError("markov needs a goal")
    cut = journeys.until_first(goals)
    k, base = len(cut.names), len(cut.names) + 1  # code k is START padding
    ev = cut.events.astype(np.int64)
    # State of each row: its last `order` touchpoints, START-padded, packed in base (k + 1).
    code = np.zeros(len(ev), dtype=np.int64)
    for back in range(order):
        shifted = np.full(len(ev), k, dtype=np.int64)
        if back == 0:
            shifted = ev.copy()
        else:
            same = np.zeros(len(ev), dtype=bool)
            same[back:] = cut.journey[back:] == cut.journey[:-back]
            shifted[back:] = np.where(same[back:], ev[:-back], k)
        code += shifted * base**back
    start_code = sum(k * base**b for b in range(order))
    is_goal = np.isin(ev, goals)
    transient_codes = distinct(np.r_[start_code, code[~is_goal]])
    transient_codes = np.r_[start_code, transient_codes[transient_codes != start_code]]
    t, a = len(transient_codes), len(goals) + 1
    state = pd.Index(transient_codes).get_indexer(code)  # -1 on goal rows
    goal_slot = np.zeros(k, dtype=np.int64)
    goal_slot[goals] = np.arange(len(goals))

    # Each row is entered from the previous row's state (START for a journey's first row) and leads to its
    # own state, or to the absorbing goal it reaches. Journeys that do not convert then go to exit.
    target = np.where(is_goal, t + goal_slot[ev], state)
    source = np.zeros(len(ev), dtype=np.int64)
    source[1:] = state[:-1]
    source[cut.starts] = 0
    ends = cut.ends
    open_end = ~is_goal[ends]
    src = np.r_[source, state[ends[open_end]]]
    dst = np.r_[target, np.full(int(open_end.sum()), t + a - 1)]
    owner = np.r_[cut.journey, cut.journey[ends[open_end]]]
    weights = np.ones(cut.n_journeys, dtype=np.int64) if weights is None else weights
    counts, slot = _count_transitions(src, dst, (t, t + a), weights[owner])

    labels, touchpoints, ends_at, has = _states(transient_codes, k, base, order, cut.names)
    return _Chain(
        labels=labels,
        touchpoints=touchpoints,
        ends_at=ends_at,
        has=has,
        absorbing=[cut.names[g] for g in goals] + [END],
        counts=counts,
        n_journeys=int(weights.sum()),
        observed_conversions=int(weights[is_goal[ends]].sum()),
        paths=(cut, owner, slot),
        weights=weights,
    )


def _count_transitions(
    src: np.ndarray, dst: np.ndarray, shape: tuple, weights: np.ndarray
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Counts of the observed (source, target) pairs as csr (each transition counting ``weights`` journeys),
    and the ``data`` slot of each transition.

    Only distinct observed cells are stored: a log over thousands of touchpoints never makes states².
    """
    cells, slot = np.unique(src * shape[1] + dst, return_inverse=True)
    # Packed keys sort row-major, which is csr order: slot i of `data` is cell i.
    indptr = np.searchsorted(cells // shape[1], np.arange(shape[0] + 1))
    counts = sparse.csr_matrix(
        (np.bincount(slot.ravel(), weights=weights, minlength=len(cells)).astype(np.int64), cells % shape[1], indptr),
        shape=shape,
    )
    return counts, slot.ravel()


def _states(codes: np.ndarray, k: int, base: int, order: int, names: list[str]) -> tuple:
    """Labels of the states (START first), their touchpoints sorted, and which ones they end at or contain.

    Returns ``labels``, ``touchpoints`` and two sparse (touchpoints x states) indicator matrices:
    ``ends_at`` and ``has``.
    """
    digits = codes[:, None] // base ** np.arange(order) % base  # column b: b steps back; k = START padding
    touchpoint_codes = sorted(np.unique(digits[1:, 0]).tolist(), key=names.__getitem__)
    row_of = np.full(base, -1)
    row_of[touchpoint_codes] = np.arange(len(touchpoint_codes))
    shape = (len(touchpoint_codes), len(codes))
    ends_at = _indicator(row_of[digits[1:, 0]], np.arange(1, len(codes)), shape)
    # Every earlier touchpoint of a state is the last one of an earlier state, so row_of knows it.
    real = digits[1:] != k
    has = _indicator(row_of[digits[1:][real]], np.nonzero(real)[0] + 1, shape)
    text = [*names, START]
    oldest_first = digits[1:, ::-1].tolist()
    labels = [START, *(text[d[-1]] if order == 1 else tuple(text[x] for x in d) for d in oldest_first)]
    return labels, [names[c] for c in touchpoint_codes], ends_at, has


def _indicator(rows: np.ndarray, cols: np.ndarray, shape: tuple) -> sparse.csr_matrix:
    """A 0/1 csr matrix with ones at the distinct (row, col) pairs."""
    cells = distinct(rows.astype(np.int64) * shape[1] + cols)
    indptr = np.searchsorted(cells // shape[1], np.arange(shape[0] + 1))
    return sparse.csr_matrix((np.ones(len(cells)), cells % shape[1], indptr), shape=shape)


def _per_variant(variant, owner, cells, width):
    """Transition counts of one journey of each variant, as a sparse (variants x cells) matrix."""
    sizes = np.bincount(variant)
    v = variant[owner]
    totals = sparse.csr_matrix((np.ones(len(cells)), (v, cells)), shape=(len(sizes), width))
    totals.sum_duplicates()
    totals.data /= np.repeat(sizes, np.diff(totals.indptr))
    return totals.T.tocsr()  # (cells x variants): one product with the resampled variant counts per replicate


def _chain_from_graph(graph: nx.DiGraph, goal: Goal) -> _Chain:
    goals = goal_list(goal)
    if not goals:
        raise JourneyError("markov needs a goal")
    for g in goals:
        if g not in graph:
            raise UnknownEventError("goal", g, [str(n) for n in graph.nodes if n not in (START, END)])
    if START not in graph or END not in graph:
        raise JourneyError("markov needs a journey graph with journey.START and journey.END nodes")
    touchpoints = sorted((n for n in graph.nodes if n not in (START, END, *goals)), key=str)
    labels = [START, *touchpoints]
    absorbing = [*goals, END]
    position = {n: i for i, n in enumerate(labels)} | {n: len(labels) + i for i, n in enumerate(absorbing)}
    # After a conversion: not part of the path to it.
    edges = [
        (position[a], position[b], d["count"]) for a, b, d in graph.edges(data=True) if a not in goals and a != END
    ]
    rows, cols, n = np.array(edges, dtype=np.int64).reshape(-1, 3).T
    counts = sparse.csr_matrix((n, (rows, cols)), shape=(len(labels), len(labels) + len(absorbing)))
    counts.eliminate_zeros()  # an edge counted 0 times is no transition
    conversions = int(counts[:, [position[g] for g in goals]].sum())
    own = _indicator(np.arange(len(touchpoints)), np.arange(1, len(labels)), (len(touchpoints), len(labels)))
    return _Chain(
        labels=labels,
        touchpoints=touchpoints,
        ends_at=own,
        has=own,
        absorbing=absorbing,
        counts=counts,
        n_journeys=int(counts[0].sum()),
        observed_conversions=conversions,
    )


# ---------------------------------------------------------------------------------------------------
# solving

# Columns of (I - Q)^-1 are solved in blocks of at most this many bytes, so memory stays bounded on wide
# chains (3,000 states: ~700 columns at a time; 300,000 states: 6).
_BLOCK_BYTES = 16 * 2**20
# SuperLU's triangular solves walk sparse columns; when its factors are at least half full and hold
# 10,000 numbers or more (~100 states), a dense copy and BLAS-3 triangular solves give the same numbers
# many times faster (8x at 1,600 states). Below that, the dense route's fixed costs win.
_DENSE_FILL = 0.5
_DENSE_MIN = 10_000
_SLAB = 256  # columns of the factors densified at a time
_CANCELLED = 1e-12  # relative size below which a conversion left after a removal is rounding residue


def _probabilities(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """Transition shares of each row; a state never left in this sample goes to exit (it is never reached)."""
    out = np.asarray(counts.sum(axis=1), dtype=float).ravel()
    row_out = np.repeat(out, np.diff(counts.indptr))
    shares = np.divide(counts.data, row_out, out=np.zeros(len(row_out)), where=row_out > 0)
    p = sparse.csr_matrix((shares, counts.indices, counts.indptr), shape=counts.shape)
    never = np.flatnonzero(out == 0)
    if len(never):
        p = p + sparse.csr_matrix(
            (np.ones(len(never)), (never, np.full(len(never), counts.shape[1] - 1))), shape=counts.shape
        )
    return p


def _goal_rate(p: sparse.csr_matrix, n_goals: int) -> np.ndarray:
    """Probability of stepping straight into any goal, from each transient state."""
    t = p.shape[0]
    return np.asarray(p[:, t : t + n_goals].sum(axis=1)).ravel()


def _visits(counts: sparse.csr_matrix) -> np.ndarray:
    """How often each transient state is left (= entered: every visit ends in one transition)."""
    return np.asarray(counts.sum(axis=1)).ravel()


class _Factorised:
    """``A = I - Q`` factorised once with ``scipy.sparse.linalg.splu``, for every solve the model needs."""

    def __init__(self, p: sparse.csr_matrix):
        t = p.shape[0]
        self.lu = splu(sparse.identity(t, format="csc") - p[:, :t].tocsc())
        # Dense factors pay when they are mostly filled anyway, and if memory holds them (else: slower).
        free = available_memory()
        self._dense = self.lu.nnz >= max(_DENSE_MIN, _DENSE_FILL * t * t) and (free is None or 8 * t * t < free / 2)

    def solve(self, b: np.ndarray) -> np.ndarray:
        """``A^-1 b`` for a vector or a few columns."""
        return self.lu.solve(b)

    def columns(self, cols: np.ndarray) -> np.ndarray:
        """Columns ``cols`` of ``A^-1``, as a dense (T, len(cols)) array."""
        t = self.lu.shape[0]
        if not self._dense:
            # One column at a time: given a block, SuperLU calls multithreaded BLAS-3 kernels whose start-up
            # dominates on small systems (a bootstrap on 51 states ran 3x slower on a busy machine).
            out, unit = np.empty((t, len(cols))), np.zeros(t)
            for j, col in enumerate(cols):
                unit[col] = 1.0
                out[:, j] = self.lu.solve(unit)
                unit[col] = 0.0
            return out
        # Pr A Pc = L U, so A^-1 b = Pc U^-1 L^-1 Pr b; Fortran order lets LAPACK solve in place.
        b = np.zeros((t, len(cols)), order="F")
        b[self.lu.perm_r[cols], np.arange(len(cols))] = 1.0
        b = solve_triangular(self._dense_lu, b, lower=True, unit_diagonal=True, overwrite_b=True, check_finite=False)
        return solve_triangular(self._dense_lu, b, overwrite_b=True, check_finite=False)[self.lu.perm_c]

    @cached_property
    def _dense_lu(self) -> np.ndarray:
        """The factors L and U in one dense array, as LAPACK keeps them.

        L lies strictly below the diagonal (its unit diagonal implied), U on and above it: each triangular
        solve reads only its own triangle. Filled in slabs of columns, so that no dense temporary of the
        full size is made.
        """
        t = self.lu.shape[0]
        lower, upper = self.lu.L, self.lu.U
        dense = np.empty((t, t), order="F")
        for j in range(0, t, _SLAB):
            cols = slice(j, min(t, j + _SLAB))
            # Disjoint triangles: the sum adds exact zeros only.
            dense[:, cols] = upper[:, cols].toarray() + np.tril(lower[:, cols].toarray(), -j - 1)
        return dense


def _removed_conversion(factor: _Factorised, x: np.ndarray, has: sparse.csr_matrix) -> np.ndarray:
    """Conversion from START with the states of each row of ``has`` removed, all from one factorisation.

    Removing states S zeroes the columns S of Q (traffic into them goes to exit; their own rows then do not
    matter at START). By the Woodbury identity, with ``N = A^-1`` and ``x = N r``, the conversion from START
    becomes ``x[0] - N[0, S] N[S, S]^-1 x[S]``: only the columns of ``N`` at S are needed. They are solved
    in blocks of rows of ``has`` holding at most ``_BLOCK_BYTES`` of columns (at least one row each).
    """
    n, t = has.shape
    width = max(1, _BLOCK_BYTES // (8 * t))
    out = np.empty(n)
    first = 0
    while first < n:
        last = min(n, max(first + 1, int(np.searchsorted(has.indptr, has.indptr[first] + width, "right")) - 1))
        states = has.indices[has.indptr[first] : has.indptr[last]]
        cols, where = np.unique(states, return_inverse=True)
        out[first:last] = _woodbury(
            factor.columns(cols), states, where.ravel(), has.indptr[first : last + 1] - has.indptr[first], x
        )
        first = last
    return out


def _woodbury(
    inverse: np.ndarray, states: np.ndarray, where: np.ndarray, indptr: np.ndarray, x: np.ndarray
) -> np.ndarray:
    """``x[0] - N[0, S] N[S, S]^-1 x[S]`` for each set S = ``states[indptr[i]:indptr[i + 1]]``.

    ``inverse[:, where[j]]`` is the column of N at ``states[j]``. Sets of equal size are solved as one
    batch of small dense systems (order 1: every set is one state, a division).
    """
    sizes = np.diff(indptr)
    out = np.empty(len(sizes))
    for size in np.unique(sizes):
        sets = np.flatnonzero(sizes == size)
        at = indptr[sets, None] + np.arange(size)  # (m, size) positions in states / where
        s, col = states[at], where[at]
        block = inverse[s[:, :, None], col[:, None, :]]  # (m, size, size): N[S, S]
        y = np.linalg.solve(block, x[s][..., None])[..., 0]  # N[S, S]^-1 x[S]
        out[sets] = x[0] - (inverse[0, col] * y).sum(axis=1)
    return out


def _check_absorbing(chain: _Chain) -> None:
    t, a = chain.counts.shape[0], len(chain.absorbing)
    # Every observed edge reversed, plus a hub (node t + a) pointing at the absorbing states: one
    # breadth-first search from the hub reaches exactly the states that can finish. Linear in the edges.
    edges = chain.counts.tocoo()
    rows = np.r_[edges.col, np.full(a, t + a)]
    cols = np.r_[edges.row, np.arange(t, t + a)]
    backwards = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(t + a + 1, t + a + 1))
    can_finish = np.zeros(t + a + 1, dtype=bool)
    can_finish[breadth_first_order(backwards, t + a, directed=True, return_predecessors=False)] = True
    stuck = [chain.labels[i] for i in np.flatnonzero(~can_finish[:t])[:10]]
    if stuck:
        raise JourneyError(
            f"touchpoints that never lead to the goal or an exit (the chain cannot be solved): "
            f"{', '.join(map(repr, stuck))}"
        )
    if chain.observed_conversions == 0:
        raise JourneyError(
            f"no journey reaches the goal {chain.absorbing[:-1]!r}: conversion probabilities "
            f"and removal effects are undefined"
        )


class MarkovModel(Result):
    """Result of :func:`journey.markov`: exact conversion probabilities, removal effects and steps.

    Attributes
    ----------
    overall_conversion : float
        Probability of converting from START (0-1); for a chain fitted on a log it equals the observed share
        of converting journeys, :attr:`overall`.
    conversion_probability : pandas.Series
        Probability of reaching the goal, by touchpoint (START: the overall probability).
    removal_effect : pandas.Series
        Relative drop (0-1) of the overall conversion probability when the touchpoint is removed.
    expected_steps : pandas.Series
        Expected transitions until conversion or exit, by state.
    n_journeys : int
        Journeys the chain was fitted on.
    goal, order, level : the arguments of :func:`journey.markov`.

    See Also
    --------
    MarkovModel.bootstrap : intervals for every conversion probability and removal effect.
    """

    _formats: ClassVar[dict[str, str]] = {
        "conversion_probability": "share",
        "removal_effect": "share",
        "attribution": "share",
    }

    def __init__(self, chain: _Chain, *, goal: Goal, order: int, level: float = 0.95):
        _check_absorbing(chain)
        self._chain, self.goal, self.order, self.level = chain, goal, order, check_level(level)
        self.n_journeys = chain.n_journeys
        self.touchpoints = chain.touchpoints
        self._p = _probabilities(chain.counts)
        factor = _Factorised(self._p)
        t = len(chain.labels)
        conversion, steps = factor.solve(np.column_stack([_goal_rate(self._p, len(chain.absorbing) - 1), np.ones(t)])).T
        self.overall_conversion = float(conversion[0])
        self.expected_steps = pd.Series(steps, index=[_label(s) for s in chain.labels], name="expected_steps")
        self.conversion_probability = pd.Series(
            self._by_touchpoint(conversion, _visits(chain.counts)),
            index=[START, *self.touchpoints],
            name="conversion_probability",
        )
        self.removal_effect = pd.Series(
            self._removals(factor, conversion), index=self.touchpoints, name="removal_effect"
        )

    @cached_property
    def transition_matrix(self) -> pd.DataFrame:
        """Transition probabilities, rows and columns START, touchpoints (or states), goals, END (exit).

        Dense, (states + absorbing)² numbers: built on first use, so fitting a wide chain never allocates it.
        """
        t, a = len(self._chain.labels), len(self._chain.absorbing)
        check_memory(
            8 * (t + a) ** 2,
            f"the transition matrix of {t + a:,} states",
            "read the results per touchpoint (to_frame(), removal_effect), or model fewer touchpoints",
        )
        matrix = np.zeros((t + a, t + a))
        matrix[:t] = self._p.toarray()
        matrix[t:, t:] = np.eye(a)
        names = [*self.expected_steps.index, *self._chain.absorbing]
        return pd.DataFrame(matrix, index=names, columns=names)

    def _by_touchpoint(self, probability: np.ndarray, visits: np.ndarray) -> np.ndarray:
        """Overall probability, then each touchpoint's: its states' probabilities weighted by visits."""
        ends_at = self._chain.ends_at
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.r_[probability[0], (ends_at @ (probability * visits)) / (ends_at @ visits)]

    def _removals(self, factor: _Factorised, conversion: np.ndarray) -> np.ndarray:
        """Removal effect of each touchpoint, from the factorised chain and its conversion probabilities."""
        without = _removed_conversion(factor, conversion, self._chain.has)
        # When every conversion passes through the removed states, the Woodbury subtraction cancels to a
        # rounding residue of order eps * conversion[0]: that is no conversion, an effect of exactly 1.
        without[without < _CANCELLED * conversion[0]] = 0.0
        return np.clip(1 - without / conversion[0], 0, 1)

    @property
    def attribution(self) -> pd.Series:
        """Share of conversions credited to each touchpoint: removal effects normalised to sum to 1."""
        total = self.removal_effect.sum()
        return (self.removal_effect / total).rename("attribution") if total > 0 else self.removal_effect * np.nan

    @property
    def overall(self) -> ProportionResult:
        """The journeys that converted out of all journeys, with its Wilson interval at the model's level."""
        return ProportionResult(self._chain.observed_conversions, self.n_journeys, label="conversion", level=self.level)

    def confidence_interval(
        self, level: float | None = None, method: ProportionMethod | None = None
    ) -> ConfidenceInterval:
        """Interval of the overall conversion (:attr:`overall`); :meth:`bootstrap` gives every touchpoint's."""
        return self.overall.confidence_interval(level, method)

    def to_frame(self) -> pd.DataFrame:
        """One row per touchpoint: ``touchpoint``, ``conversion_probability``, ``removal_effect``,
        ``attribution`` (all 0-1); by removal effect (largest first), then touchpoint name.
        """
        frame = pd.DataFrame(
            {
                "touchpoint": self.touchpoints,
                "conversion_probability": self.conversion_probability.drop(START).to_numpy(),
                "removal_effect": self.removal_effect.to_numpy(),
                "attribution": self.attribution.to_numpy(),
            }
        )
        order = np.lexsort((frame["touchpoint"].astype(str).to_numpy(), -frame["removal_effect"].to_numpy()))
        return frame.take(order).reset_index(drop=True)

    def bootstrap(self, n_boot: int = 1000, *, seed: int = 0, level: float | None = None) -> MarkovBootstrap:
        """Percentile intervals for every conversion probability and removal effect, resampling journeys.

        Parameters
        ----------
        n_boot : int
            Replicates. Each draws ``n_journeys`` journeys with replacement, adds up their transitions
            (through the distinct journey paths, so it stays fast) and solves the chain again.
        seed : int
            Seed of the random draws: the same seed gives the same digits every time.
        level : float, optional
            Confidence level; the model's ``level`` when not given.

        Returns
        -------
        MarkovBootstrap
            Replicates in which no journey converts are skipped and counted out of ``n_boot``; ``journeys`` in
            its table is each touchpoint's n.

        Raises
        ------
        JourneyError
            When the model was fitted on a graph (there are no journeys to resample), or ``n_boot < 1``.

        Warns
        -----
        JourneyWarning
            Naming the touchpoints that fewer than 20 journeys visit, with their counts.

        Notes
        -----
        Journeys are the independent units, so the bootstrap resamples whole journeys (Efron and Tibshirani
        1993, *An Introduction to the Bootstrap*, ch. 13: percentile intervals); transitions within a
        journey are never resampled apart.

        A touchpoint's intervals rest on the journeys that visit it (before the goal), its n. With few of
        them the replicates cannot show what the sample did not, and the percentile interval is too narrow:
        in simulated chains, 95% intervals of the conversion probability covered the truth for 61% of
        touchpoints visited by at most 5 journeys, 91% for 6-20, and 95% above 20
        (:data:`~journey.stats.resampling.MIN_BOOTSTRAP_JOURNEYS`), hence the warning below 20.

        Examples
        --------
        >>> import pandas as pd, journey
        >>> paths = [["ad", "buy"], ["ad", "cart", "buy"], ["ad"], ["email", "cart"]] * 5
        >>> rows = [(f"u{i}", e) for i, p in enumerate(paths) for e in p]
        >>> df = pd.DataFrame(rows, columns=["user_id", "event"]).assign(
        ...     timestamp=pd.date_range("2025-01-01", periods=len(rows), freq="min", tz="UTC"))
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     boot = journey.markov(df, goal="buy").bootstrap(200, seed=1)
        >>> print(caught[0].message)  # doctest: +ELLIPSIS
        the Markov bootstrap intervals: 3 of 3 touchpoints have fewer than 20 journeys: 'ad' (n = 15), 'cart' (n = 10), 'email' (n = 5); ...
        >>> boot.to_frame()[["touchpoint", "journeys", "removal_effect", "removal_ci_low", "removal_ci_high"]].round(3)
          touchpoint  journeys  removal_effect  removal_ci_low  removal_ci_high
        0         ad        15            0.75           0.560            0.933
        1       cart        10            0.50           0.200            0.800
        2      email         5            0.25           0.067            0.440
        """
        chain = self._chain
        level = self.level if level is None else check_level(level)
        if chain.paths is None:
            raise JourneyError("bootstrap resamples journeys: fit the model on the log, not on a graph")
        if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
            raise JourneyError(f"n_boot must be a whole number of at least 1, not {n_boot!r}")
        rng = np.random.default_rng(seed)
        t, n_goals = len(chain.labels), len(chain.absorbing) - 1
        per_variant, variant_of = chain.resampling
        # A replicate's counts fill the stored cells of the fitted chain (a journey drawn again adds no new
        # transition), so each one reuses its sparsity pattern.
        pattern = chain.counts
        goal_cells = (pattern.indices >= t) & (pattern.indices < t + n_goals)
        conv, removal = [], []
        for _ in range(n_boot):
            drawn = variant_of[rng.integers(0, chain.n_journeys, chain.n_journeys)]
            weights = np.bincount(drawn, minlength=per_variant.shape[1])
            data = np.rint(per_variant @ weights)
            if data[goal_cells].sum() == 0:
                continue
            counts = sparse.csr_matrix((data, pattern.indices, pattern.indptr), shape=pattern.shape)
            p = _probabilities(counts)
            factor = _Factorised(p)
            probability = factor.solve(_goal_rate(p, n_goals))
            conv.append(self._by_touchpoint(probability, _visits(counts)))
            removal.append(self._removals(factor, probability))
        tail = (1 - level) / 2 * 100
        conversions, removals = np.array(conv), np.array(removal)
        frame = self.to_frame()[["touchpoint", "conversion_probability", "removal_effect"]]
        position = [self.touchpoints.index(name) for name in frame["touchpoint"]]
        frame.insert(1, "journeys", _journeys_through(chain)[position])
        frame.insert(3, "ci_low", np.nanpercentile(conversions[:, 1:], tail, axis=0)[position])
        frame.insert(4, "ci_high", np.nanpercentile(conversions[:, 1:], 100 - tail, axis=0)[position])
        warn_few(
            frame["journeys"].tolist(),
            MIN_BOOTSTRAP_JOURNEYS,
            "journeys",
            "the Markov bootstrap intervals",
            names=frame["touchpoint"].tolist(),
            kind="touchpoints",
            stacklevel=3,
        )
        frame["removal_ci_low"] = np.nanpercentile(removals, tail, axis=0)[position]
        frame["removal_ci_high"] = np.nanpercentile(removals, 100 - tail, axis=0)[position]
        overall = ConfidenceInterval(
            float(np.nanpercentile(conversions[:, 0], tail)), float(np.nanpercentile(conversions[:, 0], 100 - tail))
        )
        return MarkovBootstrap(frame, self.overall_conversion, overall, len(conversions), int(n_boot), seed, level)

    def _headline(self) -> str:
        kind = {1: "first", 2: "second", 3: "third"}[self.order]
        low, high = self.confidence_interval()
        text = (
            f"{kind}-order, goal {self.goal!r}, {self.n_journeys:,} journeys: overall conversion "
            f"{self.overall_conversion:.1%} ({self.level:.0%} CI {low:.1%} to {high:.1%})"
        )
        return text if self.touchpoints else f"{text}; {_NO_TOUCHPOINTS}"

    def _shown(self) -> pd.DataFrame | None:
        return self.to_frame() if self.touchpoints else None


def _journeys_through(chain: _Chain) -> np.ndarray:
    """Journeys that visit each of the chain's touchpoints before the goal (its n), in ``chain.touchpoints`` order."""
    assert chain.paths is not None, "only a chain fitted on journeys has them"
    cut = chain.paths[0]
    k = len(cut.names)
    visits = distinct(cut.journey.astype(np.int64) * k + cut.events)  # each (journey, touchpoint) once
    weights = np.ones(cut.n_journeys, dtype=np.int64) if chain.weights is None else chain.weights
    per_code = np.bincount(visits % k, weights=weights[visits // k], minlength=k).astype(np.int64)
    code = {name: i for i, name in enumerate(cut.names)}
    return per_code[[code[name] for name in chain.touchpoints]]


@dataclass(frozen=True, repr=False)
class MarkovBootstrap(TableResult):
    """Bootstrap intervals of a :class:`MarkovModel`, from :meth:`MarkovModel.bootstrap`.

    ``to_frame()``: one row per touchpoint, in the model's order (removal effect, largest first):
    ``touchpoint``, ``journeys`` (the journeys that visit it before the goal: its n),
    ``conversion_probability`` with ``ci_low``/``ci_high``, ``removal_effect`` with
    ``removal_ci_low``/``removal_ci_high`` (percentile intervals, 0-1).

    Attributes
    ----------
    overall_conversion : float
        The model's overall conversion probability, with its bootstrap interval ``overall_interval``.
    replicates : int
        Replicates used (those in which some journey converted) out of ``n_boot``.
    seed, level : the arguments of the bootstrap.
    """

    _table: pd.DataFrame
    overall_conversion: float
    overall_interval: ConfidenceInterval
    replicates: int
    n_boot: int
    seed: int
    level: float
    _formats: ClassVar[dict[str, str]] = {
        "journeys": "count",
        **dict.fromkeys(
            ("conversion_probability", "ci_low", "ci_high", "removal_effect", "removal_ci_low", "removal_ci_high"),
            "share",
        ),
    }

    def confidence_interval(
        self,
        level: float | None = None,
        method: str | None = None,
        *,
        estimate: Literal["conversion_probability", "removal_effect"] = "conversion_probability",
    ) -> ConfidenceInterval:
        """Percentile intervals of each row's conversion probability (or removal effect), as arrays.

        Percentiles are those of the stored replicates, at the bootstrap's level; run
        :meth:`MarkovModel.bootstrap` with another ``level`` for another one.
        """
        if level is not None and check_level(level) != self.level:
            raise JourneyError(f"these intervals are at level {self.level}; call bootstrap(level={level}) for others")
        if method not in (None, "percentile"):
            raise JourneyError(
                f'the bootstrap intervals are percentile intervals (method="percentile"), not {method!r}'
            )
        if estimate == "conversion_probability":
            return ConfidenceInterval(self._table["ci_low"].to_numpy(), self._table["ci_high"].to_numpy())
        if estimate == "removal_effect":
            return ConfidenceInterval(
                self._table["removal_ci_low"].to_numpy(), self._table["removal_ci_high"].to_numpy()
            )
        raise JourneyError(f'estimate must be "conversion_probability" or "removal_effect", not {estimate!r}')

    def plot(
        self,
        ax: Any = None,
        *,
        estimate: Literal["removal_effect", "conversion_probability"] = "removal_effect",
        top: int = 15,
    ) -> Any:
        """The ``top`` touchpoints' removal effects (or conversion probabilities) with their intervals; the Axes."""
        rows = self._table.head(top)
        columns = {
            "removal_effect": (
                "removal_effect",
                "removal_ci_low",
                "removal_ci_high",
                "removal effect: relative loss of conversions without the touchpoint",
            ),
            "conversion_probability": (
                "conversion_probability",
                "ci_low",
                "ci_high",
                "probability of converting from the touchpoint",
            ),
        }
        if estimate not in columns:
            raise JourneyError(f'estimate must be "removal_effect" or "conversion_probability", not {estimate!r}')
        value, low, high, label = columns[estimate]
        return draw_interval_bars(
            rows["touchpoint"].tolist(),
            rows[value],
            rows[low],
            rows[high],
            ax=ax,
            xlabel=f"{label} ({self.level:.0%} bootstrap CI)",
            title=f"Markov model: {estimate.replace('_', ' ')} by touchpoint",
        )

    def _headline(self) -> str:
        low, high = self.overall_interval
        return (
            f"{self.replicates:,} of {self.n_boot:,} replicates (seed {self.seed}); overall conversion "
            f"{self.overall_conversion:.1%} ({self.level:.0%} CI {low:.1%} to {high:.1%})"
        )


# The goal is every journey's first event: there is nothing before it to credit.
_NO_TOUCHPOINTS = "no touchpoints: every journey reaches the goal at its first event"


def _label(state: Any) -> str:
    return " > ".join(state) if isinstance(state, tuple) else state
