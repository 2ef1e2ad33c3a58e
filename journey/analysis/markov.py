"""An absorbing Markov model of journeys: conversion probabilities and removal effects, solved exactly.

The model
---------
Journeys are cut at their first goal event (what happens after a conversion does not count). A state is
the last ``order`` touchpoints (the first ones padded with START), so ``order=1`` is the touchpoint
itself. Transition probabilities are the observed transition shares. The goal and the end of a journey
(``journey.END``, "exit") are absorbing. With ``Q`` the transitions among transient states and ``R`` those
into the absorbing ones, the absorption probabilities solve ``(I - Q) B = R`` — a linear solve, no
simulation — so the numbers are the same on every run.

* ``conversion_probability[t]``: probability of reaching the goal from touchpoint ``t`` (for
  ``order > 1``, averaged over the states ending at ``t``, weighted by how often they occur).
* ``removal_effect[t]``: relative drop of the overall conversion probability when ``t`` is removed and
  every transition into it goes to exit instead (Anderl et al. 2016), solved exactly for each ``t``.
* ``expected_steps``: expected transitions until a journey converts or exits, from each state.

For a first-order model the overall conversion probability equals the observed share of converting
journeys exactly: the fitted chain reproduces the flows it was estimated from.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import numpy as np
import pandas as pd

from ..errors import JourneyError, UnknownEventError
from ..io.events import END, START
from ..engine.core import Facts, run
from ..engine.journeys import JourneyAnalysis, Journeys, goal_codes
from ..engine.partials import Keyed
from .variants import _variant_ids

__all__ = ["markov", "MarkovModel", "MarkovAnalysis"]

MAX_ORDER = 3


def markov(log_or_graph, *, goal, order: int = 1, by: str = "user", gap="30min") -> MarkovModel:
    """Fit the absorbing Markov model of the journeys toward ``goal``.

    Parameters
    ----------
    log_or_graph : EventLog, pandas.DataFrame or networkx.DiGraph
        The events, or a journey graph. From a log, journeys are cut at their first goal event exactly:
        prefer it. A graph no longer knows which transitions came after a conversion, so those still count
        as non-converting flow and conversion probabilities come out biased low; from a graph only a
        first-order model can be built and :meth:`MarkovModel.bootstrap` is not available.
    goal : str or list of str
        The conversion event(s).
    order : {1, 2, 3}
        How many past touchpoints a state remembers.
    by, gap
        What a journey is, as in :func:`journey.journey_graph` (for a log).

    Returns
    -------
    MarkovModel

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
    """
    if order not in range(1, MAX_ORDER + 1):
        raise JourneyError(f"order must be 1, 2 or 3, not {order!r}")
    if isinstance(log_or_graph, nx.DiGraph):
        if order != 1:
            raise JourneyError("a journey graph holds first-order transitions only; pass the log for order > 1")
        return MarkovModel(_chain_from_graph(log_or_graph, goal), goal=goal, order=order)
    return run(MarkovAnalysis(goal=goal, order=order, by=by, gap=gap), log_or_graph, argument="log_or_graph")


class MarkovAnalysis(JourneyAnalysis):
    """Distinct paths cut at their first goal, with how many journeys take each: the chain is built from
    them in ``finish``, and the bootstrap resamples journeys through them."""

    def __init__(self, *, goal, order: int, by: str, gap):
        super().__init__(goal=goal, by=by, gap=gap)
        if not self.goals:
            raise JourneyError("markov needs a goal")
        self.order = order

    def partial(self, log, facts: Facts) -> Keyed:
        journeys, goals = self.journeys(log)
        cut = journeys.until_first(goals)
        variant, sequences = _variant_ids(cut)
        index = pd.Index([tuple(cut.names[c] for c in seq) for seq in sequences], dtype=object, tupleize_cols=False)
        return Keyed(index, {"journeys": np.bincount(variant, minlength=len(index))})

    def finish(self, total: Keyed, facts: Facts) -> MarkovModel:
        names = list(facts.touchpoints)
        journeys, weights = _paths_as_journeys(total, names)
        chain = _chain_from_journeys(journeys, goal_codes(self.goals, names), self.order, weights)
        return MarkovModel(chain, goal=self.goal, order=self.order)


def _paths_as_journeys(paths: Keyed, names: list[str]) -> tuple[Journeys, np.ndarray]:
    """One journey per distinct path, in the order of the paths' names (the same whatever the backend)."""
    order = sorted(range(len(paths.index)), key=lambda i: paths.index[i])
    code = {name: i for i, name in enumerate(names)}
    sequences = [paths.index[i] for i in order]
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    events = np.fromiter((code[name] for s in sequences for name in s), dtype=np.int32, count=int(lengths.sum()))
    starts = np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64)
    journey = np.repeat(np.arange(len(sequences), dtype=np.int64), lengths)
    journeys = Journeys(events=events, starts=starts, journey=journey, time=np.zeros(len(events), dtype=np.int64),
                        names=names)
    return journeys, paths.values["journeys"][order].astype(np.int64)


@dataclass
class _Chain:
    """Transition counts among transient states (START first) and into the absorbing states (goals, END)."""

    labels: list            # transient states: names (order 1) or tuples of names
    last: list[str | None]  # touchpoint each transient state ends at (None for START)
    members: list[set]      # touchpoints each transient state contains
    absorbing: list[str]    # goal names, then END
    counts: np.ndarray      # (T, T + A)
    n_journeys: int
    observed_conversions: int
    paths: tuple | None = None  # (journeys cut at the goal, owner journey and cell of each transition)
    weights: np.ndarray | None = None  # how many journeys each of those stands for (None: one each)

    @cached_property
    def resampling(self) -> tuple:
        """(cells x variants) transition counts of one journey of each distinct path, and each journey's path.

        Built on first use: only the bootstrap needs it.
        """
        cut, owner, cells = self.paths
        variant, _ = _variant_ids(cut)
        per_journey = variant if self.weights is None else np.repeat(variant, self.weights)
        return _per_variant(variant, owner, cells, self.counts.size), per_journey


def _chain_from_journeys(journeys: Journeys, goals: np.ndarray, order: int,
                         weights: np.ndarray | None = None) -> _Chain:
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
    transient_codes = np.unique(np.r_[start_code, code[~is_goal]])
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
    cells = src * (t + a) + dst
    weights = np.ones(cut.n_journeys, dtype=np.int64) if weights is None else weights
    counts = np.bincount(cells, weights=weights[owner], minlength=t * (t + a)).astype(np.int64).reshape(t, t + a)

    labels, last, members = _state_labels(transient_codes, start_code, k, base, order, cut.names)
    return _Chain(labels=labels, last=last, members=members,
                  absorbing=[cut.names[g] for g in goals] + [END], counts=counts, n_journeys=int(weights.sum()),
                  observed_conversions=int(weights[is_goal[ends]].sum()), paths=(cut, owner, cells), weights=weights)


def _state_labels(codes, start_code, k, base, order, names):
    labels, last, members = [], [], []
    for c in codes:
        digits = [(int(c) // base**b) % base for b in range(order)][::-1]  # oldest first
        parts = [START if d == k else names[d] for d in digits]
        if c == start_code:
            labels.append(START), last.append(None), members.append(set())
            continue
        labels.append(parts[-1] if order == 1 else tuple(parts))
        last.append(parts[-1])
        members.append({p for p in parts if p != START})
    return labels, last, members


def _per_variant(variant, owner, cells, width):
    """Transition counts of one journey of each variant, as a sparse (variants x cells) matrix."""
    from scipy.sparse import csr_matrix

    sizes = np.bincount(variant)
    v = variant[owner]
    totals = csr_matrix((np.ones(len(cells)), (v, cells)), shape=(len(sizes), width))
    totals.sum_duplicates()
    totals.data /= np.repeat(sizes, np.diff(totals.indptr))
    return totals.T.tocsr()  # (cells x variants): one product with the resampled variant counts per replicate


def _chain_from_graph(graph: nx.DiGraph, goal) -> _Chain:
    goals = [goal] if isinstance(goal, str) else list(goal)
    for g in goals:
        if g not in graph:
            raise UnknownEventError("goal", g, [str(n) for n in graph.nodes if n not in (START, END)])
    if START not in graph or END not in graph:
        raise JourneyError("markov needs a journey graph with journey.START and journey.END nodes")
    touchpoints = sorted((n for n in graph.nodes if n not in (START, END, *goals)), key=str)
    labels = [START, *touchpoints]
    absorbing = [*goals, END]
    position = {n: i for i, n in enumerate(labels)} | {n: len(labels) + i for i, n in enumerate(absorbing)}
    counts = np.zeros((len(labels), len(labels) + len(absorbing)), dtype=np.int64)
    for a, b, d in graph.edges(data=True):
        if a in goals or a == END:
            continue  # after a conversion: not part of the path to it
        counts[position[a], position[b]] += d["count"]
    conversions = int(counts[:, [position[g] for g in goals]].sum())
    return _Chain(labels=labels, last=[None, *touchpoints], members=[set(), *({t} for t in touchpoints)],
                  absorbing=absorbing, counts=counts, n_journeys=int(counts[0].sum()),
                  observed_conversions=conversions)


# ---------------------------------------------------------------------------------------------------
# solving


def _probabilities(counts: np.ndarray) -> np.ndarray:
    out = counts.sum(axis=1, keepdims=True).astype(float)
    p = np.divide(counts, out, out=np.zeros(counts.shape), where=out > 0)
    p[out[:, 0] == 0, -1] = 1.0  # a state never left in this sample: send it to exit (it is never reached)
    return p


def _solve(p: np.ndarray, n_goals: int, removed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Absorption probability into any goal, and expected steps, from every transient state.

    ``removed`` (optional, shape (m, T)) lists sets of states to remove, one system each: traffic into
    them goes to exit. The m systems are solved in one batched call; the result then has a leading axis.
    """
    t = p.shape[0]
    q, r = p[:, :t], p[:, t:]
    if removed is None:
        a = np.eye(t) - q
        rhs = np.column_stack([r[:, :n_goals].sum(axis=1), np.ones(t)])
        solution = np.linalg.solve(a, rhs)
        return solution[:, 0], solution[:, 1]
    keep = ~removed[:, None, :] & ~removed[:, :, None]  # (m, T, T): transitions between kept states
    a = np.eye(t) - q[None] * keep
    goal = np.where(removed, 0.0, r[:, :n_goals].sum(axis=1)[None])  # removed states never convert
    solution = np.linalg.solve(a, goal[..., None])[..., 0]
    return solution, None


def _check_absorbing(chain: _Chain) -> None:
    t = len(chain.labels)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(t + len(chain.absorbing)))
    rows, cols = np.nonzero(chain.counts)
    graph.add_edges_from(zip(rows.tolist(), cols.tolist()))
    can_finish = set().union(*(nx.ancestors(graph, t + i) | {t + i} for i in range(len(chain.absorbing))))
    stuck = [chain.labels[i] for i in range(t) if i not in can_finish]
    if stuck:
        raise JourneyError(f"touchpoints that never lead to the goal or an exit (the chain cannot be solved): "
                           f"{', '.join(map(repr, stuck[:10]))}")
    if chain.observed_conversions == 0:
        raise JourneyError(f"no journey reaches the goal {chain.absorbing[:-1]!r}: conversion probabilities "
                           f"and removal effects are undefined")


class MarkovModel:
    """Result of :func:`journey.markov`: exact conversion probabilities, removal effects and steps.

    Attributes
    ----------
    transition_matrix : pandas.DataFrame
        Transition probabilities, rows and columns START, touchpoints (or states), goals, END (exit).
    conversion_probability : pandas.Series
        Probability of reaching the goal, by touchpoint (START: the overall probability).
    removal_effect : pandas.Series
        Relative drop (0-1) of the overall conversion probability when the touchpoint is removed.
    expected_steps : pandas.Series
        Expected transitions until conversion or exit, by state.
    overall_conversion : float
        Probability of converting from START.
    """

    def __init__(self, chain: _Chain, *, goal, order: int):
        _check_absorbing(chain)
        self._chain, self.goal, self.order = chain, goal, order
        self.n_journeys = chain.n_journeys
        p = _probabilities(chain.counts)
        n_goals = len(chain.absorbing) - 1
        conversion, steps = _solve(p, n_goals)
        self.overall_conversion = float(conversion[0])
        names = [_label(s) for s in chain.labels] + chain.absorbing
        self.transition_matrix = pd.DataFrame(
            np.vstack([p, np.hstack([np.zeros((len(chain.absorbing), len(chain.labels))), np.eye(len(chain.absorbing))])]),
            index=names, columns=names)
        self.expected_steps = pd.Series(steps, index=names[: len(chain.labels)], name="expected_steps")
        self.touchpoints = sorted({t for t in chain.last if t is not None})
        # ends_at[i, s]: state s ends at touchpoint i; has[i, s]: state s contains touchpoint i.
        shape = (len(self.touchpoints), len(chain.labels))  # (0, T) when journeys go straight to the goal
        self._ends_at = np.array([[x == tp for x in chain.last] for tp in self.touchpoints], dtype=bool).reshape(shape)
        self._has = np.array([[tp in m for m in chain.members] for tp in self.touchpoints], dtype=bool).reshape(shape)
        self.conversion_probability = pd.Series(
            self._by_touchpoint(conversion, chain.counts.sum(axis=1)),
            index=[START, *self.touchpoints], name="conversion_probability")
        self.removal_effect = self._removal_effects(p, n_goals)

    def _by_touchpoint(self, probability: np.ndarray, visits: np.ndarray) -> np.ndarray:
        """Overall probability, then each touchpoint's: its states' probabilities weighted by visits."""
        weight = self._ends_at @ visits
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.r_[probability[0], (self._ends_at @ (probability * visits)) / weight]

    def _removals(self, p: np.ndarray, n_goals: int, base: float) -> np.ndarray:
        if not len(self._has):
            return np.array([])
        return np.clip(1 - _solve(p, n_goals, self._has)[0][:, 0] / base, 0, 1)

    def _removal_effects(self, p: np.ndarray, n_goals: int) -> pd.Series:
        effects = self._removals(p, n_goals, self.overall_conversion)
        return pd.Series(effects, index=self.touchpoints, name="removal_effect")

    @property
    def attribution(self) -> pd.Series:
        """Share of conversions credited to each touchpoint: removal effects normalised to sum to 1."""
        total = self.removal_effect.sum()
        return (self.removal_effect / total).rename("attribution") if total > 0 else self.removal_effect * np.nan

    def to_frame(self) -> pd.DataFrame:
        """One row per touchpoint: conversion probability, removal effect, attribution; by removal effect."""
        frame = pd.DataFrame({"conversion_probability": self.conversion_probability.drop(START),
                              "removal_effect": self.removal_effect, "attribution": self.attribution})
        frame.index.name = "touchpoint"
        return frame.sort_values(["removal_effect"], ascending=False, kind="stable")

    def bootstrap(self, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> pd.DataFrame:
        """Percentile intervals for conversion probabilities and removal effects, resampling journeys.

        Each replicate draws ``n_journeys`` journeys with replacement, adds up their transitions (through
        the distinct journey paths, so it stays fast) and solves the chain again. The same
        ``seed`` gives the same digits every time. Replicates in which no journey converts are skipped
        and counted in ``replicates``.

        Returns
        -------
        pandas.DataFrame
            Index ``touchpoint`` (START first: overall conversion); columns ``conversion_probability``,
            ``conversion_low``, ``conversion_high``, ``removal_effect``, ``removal_low``,
            ``removal_high``, ``replicates``.
        """
        chain = self._chain
        if chain.paths is None:
            raise JourneyError("bootstrap resamples journeys: fit the model on the log, not on a graph")
        if n_boot < 1:
            raise JourneyError(f"n_boot must be at least 1, not {n_boot}")
        rng = np.random.default_rng(seed)
        t, width = len(chain.labels), chain.counts.shape[1]
        n_goals = len(chain.absorbing) - 1
        per_variant, variant_of = chain.resampling
        conv, removal = [], []
        for _ in range(n_boot):
            drawn = variant_of[rng.integers(0, chain.n_journeys, chain.n_journeys)]
            weights = np.bincount(drawn, minlength=per_variant.shape[1])
            counts = np.rint(per_variant @ weights).reshape(t, width)
            if counts[:, t:t + n_goals].sum() == 0:
                continue
            p = _probabilities(counts)
            probability = _solve(p, n_goals)[0]
            conv.append(self._by_touchpoint(probability, counts.sum(axis=1)))
            removal.append(self._removals(p, n_goals, probability[0]))
        tail = (1 - level) / 2 * 100
        conv, removal = np.array(conv), np.array(removal)
        frame = pd.DataFrame({
            "conversion_probability": self.conversion_probability,
            "conversion_low": np.nanpercentile(conv, tail, axis=0),
            "conversion_high": np.nanpercentile(conv, 100 - tail, axis=0),
        }, index=self.conversion_probability.index)
        frame["removal_effect"] = self.removal_effect
        frame.loc[self.touchpoints, "removal_low"] = np.nanpercentile(removal, tail, axis=0)
        frame.loc[self.touchpoints, "removal_high"] = np.nanpercentile(removal, 100 - tail, axis=0)
        frame["replicates"] = len(conv)
        frame.index.name = "touchpoint"
        return frame

    # -- display ---------------------------------------------------------------------------------------
    def _header(self) -> str:
        kind = {1: "first", 2: "second", 3: "third"}[self.order]
        return (f"MarkovModel ({kind}-order, goal {self.goal!r}, {self.n_journeys:,} journeys): "
                f"overall conversion {self.overall_conversion:.1%}")

    def __repr__(self) -> str:
        top = self.to_frame().head(10)
        width = max(len(str(t)) for t in top.index)
        lines = [f"  {'touchpoint':<{width}}  conversion  removal effect  attribution"]
        lines += [f"  {str(t):<{width}}  {r.conversion_probability:>10.1%}  {r.removal_effect:>14.1%}  "
                  f"{r.attribution:>11.1%}" for t, r in top.iterrows()]
        return self._header() + "\ntouchpoints by removal effect:\n" + "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(str(t))}</td><td>{r.conversion_probability:.1%}</td>"
                       f"<td>{r.removal_effect:.1%}</td><td>{r.attribution:.1%}</td></tr>"
                       for t, r in self.to_frame().head(10).iterrows())
        return (f"<p><b>{html.escape(self._header())}</b></p><table><thead><tr><th>touchpoint</th>"
                f"<th>conversion probability</th><th>removal effect</th><th>attribution</th></tr></thead>"
                f"<tbody>{rows}</tbody></table>")


def _label(state) -> str:
    return " > ".join(state) if isinstance(state, tuple) else state
