"""Comparisons between segments or periods: funnels and journey graphs, with journey-level inference.

Journeys are the independent units. A funnel step's conversion is a share of the journeys at risk of it;
a graph's touchpoint or transition is compared as the share of journeys that use it at least once (a
per-journey indicator), never as a count of transitions, which are not independent when customers loop.
Each comparison is two independent proportions: the difference (this segment minus the baseline) with
Newcombe's hybrid score interval, the two-sided p-value that inverts it, an adjustment over the whole table
(``adjust=``: Benjamini-Hochberg by default, Holm or Benjamini-Yekutieli) and ``significant`` (adjusted p below ``1 - level``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

import networkx as nx
import numpy as np
import pandas as pd

from ..engine.core import MISSING, run, segment_ranks, segment_value, span_codes
from ..engine.journeys import JourneyAnalysis
from ..engine.partials import BySegment
from ..errors import JourneyError, option
from ..io.aliases import Duration, Goal, StepOrder, Unit
from ..io.events import END, START, EventLog, LogLike
from ..io.facts import Facts
from ..stats.intervals import newcombe_interval, newcombe_pvalue, wilson_interval
from ..stats.proportions import DifferenceResult, compare_proportions
from ..stats.results import Result, TableResult, check_level, format_value
from ..stats.significance import Adjustment, adjust_pvalues, adjustment_label, check_adjust
from .funnels import Step, Windows, funnel
from .graph import JourneyGraph, _graph, summarize
from .variants import path_variants

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "compare_funnels",
    "FunnelComparison",
    "compare_graphs",
    "JourneyDiff",
    "compare_variants",
    "VariantComparison",
]

COMPARISON_COLUMNS = ["difference", "difference_ci_low", "difference_ci_high", "p_value", "p_adjusted", "significant"]


def _differences(
    k: np.ndarray, n: np.ndarray, k0: np.ndarray, n0: np.ndarray, level: float, adjust: Adjustment = "bh"
) -> pd.DataFrame:
    """``k/n - k0/n0`` per row with Newcombe's interval, the p-value that inverts it (as
    :func:`journey.compare_proportions` gives) and the ``adjust`` adjustment over the rows (NaN rows,
    where a group has no journeys, are left out of it).
    """
    k, n, k0, n0 = (np.asarray(x, dtype=float) for x in (k, n, k0, n0))
    tested = (n > 0) & (n0 > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        difference = np.where(tested, k / n - k0 / n0, np.nan)
    low, high = newcombe_interval(k, n, k0, n0, level)
    p = np.where(tested, newcombe_pvalue(k, n, k0, n0), np.nan)
    adjusted = adjust_pvalues(p, adjust)
    return pd.DataFrame(
        {
            "difference": difference,
            "difference_ci_low": np.where(tested, low, np.nan),
            "difference_ci_high": np.where(tested, high, np.nan),
            "p_value": p,
            "p_adjusted": adjusted,
            "significant": np.nan_to_num(adjusted, nan=1.0) < 1 - level,
        }
    )


def _pick_baseline(keys: list, sizes: list[int], baseline: Any, by: str) -> Any:
    """The baseline segment: as given (it must exist), else the one with the most journeys."""
    if baseline is None:
        order = np.lexsort((segment_ranks(keys), -np.asarray(sizes)))
        return keys[int(order[0])]
    for key in keys:
        if key is not MISSING and (key == baseline or str(key) == str(baseline)):
            return key
    shown = ", ".join(repr(segment_value(k)) if k is not MISSING else "(missing)" for k in keys)
    raise JourneyError(f"{option('baseline', baseline)}: no journey has {by} = {baseline!r}; the segments are {shown}")


def _same(key: Any, other: Any) -> bool:
    """Whether two segment keys are one segment (MISSING only equals itself)."""
    if key is MISSING or other is MISSING:
        return key is other
    return bool(key == other)


def _in_points(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` with its difference columns in percentage points, as the displays show them."""
    shown = table.copy()
    for column in ("difference", "difference_ci_low", "difference_ci_high"):
        shown[column] = shown[column] * 100
    return shown


def _largest(row: Any, what: str, level: float) -> str:
    """``; largest: <what> +12.3 points (95% CI +10.1 to +14.5)`` for a row of a comparison table."""
    return (
        f"; largest: {what} {row['difference'] * 100:+.1f} points ({level * 100:g}% CI "
        f"{row['difference_ci_low'] * 100:+.1f} to {row['difference_ci_high'] * 100:+.1f})"
    )


def _forest(result: Any, labels: list[str], xlabel: str, title: str, ax: Any, **kwargs: Any) -> Any:
    """The tested rows of a comparison as a forest of differences (points) with their intervals."""
    from ..plot.intervals import difference_forest

    rows = result._table[result._table["p_value"].notna()]
    return difference_forest(
        labels,
        rows["difference"].to_numpy(float) * 100,
        rows["difference_ci_low"].to_numpy(float) * 100,
        rows["difference_ci_high"].to_numpy(float) * 100,
        rows["significant"].to_numpy(bool),
        level=result.level,
        xlabel=xlabel,
        title=title,
        ax=ax,
        **kwargs,
    )


def _label(key: Any) -> str:
    return "(missing)" if key is MISSING else str(key)


# ---------------------------------------------------------------------------------------------------
# funnels


def compare_funnels(
    log: LogLike,
    steps: Iterable[str | Step],
    *,
    by: str,
    baseline: Any = None,
    within: Windows | None = None,
    step_order: StepOrder = "sequential",
    exclude: str | Iterable[str] | None = None,
    adjust: Adjustment = "bh",
    level: float = 0.95,
) -> FunnelComparison:
    """Each segment's funnel against a baseline segment's: per step, the difference with its interval and test.

    Parameters
    ----------
    log : EventLog, pandas.DataFrame or dask.dataframe.DataFrame
        The events.
    steps : iterable of str or Step
        The funnel's steps, in order (at least two; optional ones as ``journey.Step(..., optional=True)``),
        as for :func:`journey.funnel`.
    by : str
        The segment column (``log.with_period("M")`` adds ``period`` to compare months). A customer's
        segment is its value at the step-1 event of the customer's counted attempt.
    baseline : optional
        The segment the others are compared with; by default the one with the most customers entering
        step 1 (ties: the first in sort order).
    within : str, pandas.Timedelta, list or dict, optional
        Conversion window from step 1, or one per step, as for :func:`journey.funnel`; customers whose
        window is still open at the end of the log are censored, not counted as drop-offs.
    step_order : {"sequential", "strict", "any"}, default "sequential"
        How steps must follow each other, as for :func:`journey.funnel`.
    exclude : str or list of str, optional
        Events that end an attempt between two required steps, as for :func:`journey.funnel`.
    adjust : {"bh", "holm", "by"}, default "bh"
        How the p-values of the table are adjusted for their number: Benjamini-Hochberg (the false
        discovery rate), Holm (the family-wise error rate) or Benjamini-Yekutieli (the false discovery
        rate under any dependence between the tests).
    level : float, default 0.95
        Confidence level of every interval; a difference is ``significant`` when its adjusted p-value is
        below ``1 - level``.

    Returns
    -------
    FunnelComparison
        One row per segment and step (``measure`` "step", the conversion from this step to its next step) and one
        per segment for the whole funnel (``measure`` "overall", from step 1 to the last step), each with the
        conversion and its Wilson interval, the baseline's conversion, and for other segments the
        difference from the baseline with its Newcombe interval, p-value, adjusted p-value and
        ``significant``.

    Raises
    ------
    JourneyError
        A ``by`` column that is not in the log, a ``baseline`` no customer has, a single segment, or any
        error of :func:`journey.funnel`.

    See Also
    --------
    funnel : the funnel of one segment, or of every segment side by side.
    compare_graphs : where two segments' journeys differ, transition by transition.

    Notes
    -----
    Customers are the units (each counts once per step, in its segment), so two segments are independent
    samples and each difference is one of two independent proportions: Newcombe's hybrid score interval
    (Newcombe 1998, method 10) and the p-value of :func:`journey.compare_proportions`. The
    adjustment (Benjamini-Hochberg 1995 by default) runs over every tested row of the table, steps and overall.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> rows = [(u, t, e, "new" if u < 60 else "old") for u in range(100)
    ...         for t, e in enumerate(["home", "cart"] if u % 2 or u >= 60 else ["home"])]
    >>> df = pd.DataFrame(rows, columns=["user_id", "minute", "event", "who"])
    >>> df["timestamp"] = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(df["minute"], unit="min")
    >>> result = journey.compare_funnels(df, ["home", "cart"], by="who")
    >>> result.baseline
    'new'
    >>> row = result.to_frame().query("who == 'old' and measure == 'step'").iloc[0]
    >>> print(f"{row.conversion_rate:.2f} vs {row.baseline_rate:.2f}: {row.difference:+.2f}", row.significant)
    1.00 vs 0.50: +0.50 True
    """
    level, adjust = check_level(level), check_adjust(adjust)
    steps = list(steps)
    if by is None:
        raise JourneyError(f"compare_funnels compares segments: give {option('by')} (a segment column)")
    result = funnel(log, steps, within=within, step_order=step_order, exclude=exclude, by=by, level=level)
    table = result.to_frame()
    segments = list(dict.fromkeys(MISSING if pd.isna(v) else v for v in table[by]))
    key = table[by].map(lambda v: MISSING if pd.isna(v) else v)
    first = table[table["step"] == 1]
    sizes = [int(first.loc[key[first.index] == s, "entered"].sum()) for s in segments]
    if len(segments) < 2:
        raise JourneyError(
            f"{option('by', by)}: every customer is in one segment "
            f"({_label(segments[0]) if segments else 'none'}); there is nothing to compare"
        )
    base = _pick_baseline(segments, sizes, baseline, by)
    n_steps = len(result.steps)
    rows = []
    for segment in segments:
        part = table[key == segment].sort_values("step")
        for i in range(n_steps - 1):
            row = part.iloc[i]
            rows.append(
                {
                    by: row[by],
                    "measure": "step",
                    "step": int(row["step"]),
                    "touchpoint": row["touchpoint"],
                    "next": row["next"],
                    "at_risk": int(row["at_risk"]),
                    "converted": int(row["converted"]),
                }
            )
        first_step, last_step = part.iloc[0], part.iloc[-1]
        # Censored customers are out of every rate, the overall one too (funnel's Notes): out of both counts.
        rows.append(
            {
                by: first_step[by],
                "measure": "overall",
                "step": pd.NA,
                "touchpoint": first_step["touchpoint"],
                "next": last_step["touchpoint"],
                "at_risk": int(first_step["at_risk"]),
                "converted": int(last_step["entered"] - last_step["censored"]),
            }
        )
    out = pd.DataFrame(rows)
    out["step"] = out["step"].astype("Int64")
    k, n = out["converted"].to_numpy(float), out["at_risk"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["conversion_rate"] = np.where(n > 0, k / n, np.nan)
    low, high = wilson_interval(k, n, level)
    out["ci_low"], out["ci_high"] = np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)
    is_base = np.array([_same(v, base) for v in out[by].map(lambda v: MISSING if pd.isna(v) else v)], dtype=bool)
    reference = out[is_base].set_index(["measure", "touchpoint", "next"])
    ref = reference.reindex(pd.MultiIndex.from_frame(out[["measure", "touchpoint", "next"]]))
    k0, n0 = ref["converted"].to_numpy(float), ref["at_risk"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["baseline_rate"] = np.where(n0 > 0, k0 / n0, np.nan)
    k_t, n_t = np.where(is_base, 0, k), np.where(is_base, 0, n)  # baseline rows are not compared with themselves
    out = pd.concat([out, _differences(k_t, n_t, k0, n0, level, adjust)], axis=1)
    return FunnelComparison(
        out, by=by, baseline=segment_value(base), steps=tuple(result.steps), level=level, adjust=adjust
    )


class FunnelComparison(TableResult):
    """Funnels of segments against a baseline segment, from :func:`compare_funnels`.

    Attributes
    ----------
    by : str
        The segment column.
    baseline : object
        The baseline segment.
    steps : tuple of str
        The funnel's steps.
    level : float
        Confidence level of the intervals; ``significant`` means adjusted p below ``1 - level``.
    adjust : {"bh", "holm", "by"}
        How the p-values were adjusted.

    Notes
    -----
    :meth:`to_frame` has, per segment (sorted, missing last): one row per step but the last (``measure``
    "step", ``step`` 1, 2, ..., ``touchpoint`` and ``next``) and one ``measure`` "overall" row (step 1 to
    the last step, ``step`` missing). Columns: the ``by`` column, ``measure``, ``step``, ``touchpoint``,
    ``next``, ``at_risk`` and ``converted`` (customers), ``conversion_rate`` with ``ci_low``/``ci_high``
    (Wilson), ``baseline_rate``, ``difference`` (this segment minus the baseline, a share), its
    ``difference_ci_low``/``difference_ci_high`` (Newcombe), ``p_value``, ``p_adjusted``
    (``adjust`` over the table) and ``significant``; the baseline's own rows have no difference.
    """

    _successes = "converted"
    _trials = "at_risk"
    _formats: ClassVar[dict[str, str]] = {
        "at_risk": "count",
        "converted": "count",
        "conversion_rate": "share",
        "ci_low": "share",
        "ci_high": "share",
        "baseline_rate": "share",
        "difference": "points",
        "difference_ci_low": "points",
        "difference_ci_high": "points",
        "p_value": "p",
        "p_adjusted": "p",
    }

    def __init__(
        self,
        table: pd.DataFrame,
        *,
        by: str,
        baseline: Any,
        steps: tuple[str, ...],
        level: float,
        adjust: Adjustment = "bh",
    ):
        self._table, self.by, self.baseline, self.steps, self.level = table, by, baseline, steps, level
        self.adjust = adjust

    def _shown(self) -> pd.DataFrame:
        return _in_points(self._table)

    def _headline(self) -> str:
        tested = self._table[self._table["p_value"].notna()]
        flagged = tested[tested["significant"]]
        text = (
            f"{self.by}, baseline {self.baseline}: {len(flagged):,} of {len(tested):,} conversions differ "
            f"({adjustment_label(self.adjust, self.level)}); funnel {format_value(self.steps)}"
        )
        if len(tested):
            top = (flagged if len(flagged) else tested).loc[lambda t: t["difference"].abs().idxmax()]
            where = "overall" if top["measure"] == "overall" else f"{top['touchpoint']} → {top['next']}"
            text += _largest(top, f"{top[self.by]} {where}", self.level)
        return text

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Each segment's difference from the baseline, per step and overall, with its interval.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when not given.
        **kwargs
            Passed to :meth:`matplotlib.axes.Axes.errorbar` (``markersize``, ``capsize``, ...).

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import pandas as pd, journey
        >>> rows = [(u, t, e, "new" if u < 60 else "old") for u in range(100)
        ...         for t, e in enumerate(["home", "cart"] if u % 2 or u >= 60 else ["home"])]
        >>> df = pd.DataFrame(rows, columns=["user_id", "minute", "event", "who"])
        >>> df["timestamp"] = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(df["minute"], unit="min")
        >>> journey.compare_funnels(df, ["home", "cart"], by="who").plot().get_title()
        'Funnel by who: difference from new'
        """
        rows = self._table[self._table["p_value"].notna()]
        labels = [
            f"{segment_value(s)}: " + ("overall" if m == "overall" else f"{t} → {n}")
            for s, m, t, n in zip(rows[self.by], rows["measure"], rows["touchpoint"], rows["next"])
        ]
        return _forest(
            self,
            labels,
            xlabel=f"difference from {self.baseline}, percentage points",
            title=f"Funnel by {self.by}: difference from {self.baseline}",
            ax=ax,
            **kwargs,
        )


# ---------------------------------------------------------------------------------------------------
# path variants


def compare_variants(
    log: LogLike,
    *,
    by: str,
    baseline: Any = None,
    top: int | None = 20,
    collapse_repeats: bool = False,
    goal: Goal = None,
    unit: Unit = "user",
    gap: Duration = "30min",
    adjust: Adjustment = "bh",
    level: float = 0.95,
) -> VariantComparison:
    """How often each common path is taken in each segment, against a baseline segment, with tests.

    Parameters
    ----------
    log : EventLog, pandas.DataFrame or dask.dataframe.DataFrame
        The events.
    by : str
        The segment column; a journey's segment is its value at the journey's first event
        (``log.with_period("M")`` adds ``period``).
    baseline : optional
        The segment the others are compared with; by default the one with the most journeys.
    top : int or None, default 20
        Compare the ``top`` variants most common over all segments together (None: every variant).
    collapse_repeats : bool, default False
        Merge immediate repeats before comparing paths, as for :func:`journey.path_variants`.
    goal : str or list of str, optional
        Conversion event(s): each variant's conversion rate is shown per segment too.
    unit : {"user", "session"}, default "user"
        What one journey is.
    gap : str or pandas.Timedelta, default "30min"
        Inactivity that ends a session, with ``unit="session"``.
    adjust : {"bh", "holm", "by"}, default "bh"
        How the p-values of the table are adjusted for their number: Benjamini-Hochberg (the false
        discovery rate), Holm (the family-wise error rate) or Benjamini-Yekutieli (the false discovery
        rate under any dependence between the tests).
    level : float, default 0.95
        Confidence level; ``significant`` means an adjusted p-value below ``1 - level``.

    Returns
    -------
    VariantComparison
        One row per segment and variant: ``sequence``, ``journeys`` and ``n`` (journeys of the segment),
        ``share`` with ``ci_low``/``ci_high`` (Wilson), ``baseline_share``, and for the other segments
        ``difference`` (share minus the baseline's), its Newcombe interval, ``p_value``, ``p_adjusted`` and
        ``significant``; with a goal, ``conversions`` and ``conversion_rate``.

    Raises
    ------
    JourneyError
        A ``by`` column that is not in the log, a ``baseline`` no journey has, a single segment, or any
        error of :func:`journey.path_variants`.

    See Also
    --------
    path_variants : the variants of one log, or of each segment.
    compare_graphs : the same question transition by transition.

    Notes
    -----
    Each journey follows exactly one variant, so a variant's share is a per-journey indicator and two
    segments are independent samples of journeys: Newcombe's hybrid score interval (1998) and the p-value
    of :func:`journey.compare_proportions`, the adjustment over every tested row.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> rows = [(u, t, e, "app" if u % 2 else "web") for u in range(200)
    ...         for t, e in enumerate(["home", "cart"] if u % 2 or u % 10 == 0 else ["home", "help"])]
    >>> df = pd.DataFrame(rows, columns=["user_id", "minute", "event", "device"])
    >>> df["timestamp"] = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(df["minute"], unit="min")
    >>> table = journey.compare_variants(df, by="device", baseline="web").to_frame()
    >>> table.loc[table["device"] == "app", ["sequence", "share", "baseline_share", "significant"]]
           sequence  share  baseline_share  significant
    0  (home, cart)    1.0             0.2         True
    1  (home, help)    0.0             0.8         True
    """
    level, adjust = check_level(level), check_adjust(adjust)
    if by is None:
        raise JourneyError(f"compare_variants compares segments: give {option('by')} (a segment column)")
    if top is not None and (isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1):
        raise JourneyError(f"{option('top', top)}: give a positive whole number of variants, or None for all")
    variants = path_variants(
        log, top=None, collapse_repeats=collapse_repeats, goal=goal, by=by, unit=unit, gap=gap, level=level
    ).to_frame()
    key = variants[by].map(lambda v: MISSING if pd.isna(v) else v)
    segments = list(dict.fromkeys(key))
    if len(segments) < 2:
        raise JourneyError(
            f"{option('by', by)}: every journey is in one segment "
            f"({_label(segments[0]) if segments else 'none'}); there is nothing to compare"
        )
    n_of = {s: int(variants.loc[key == s, "n"].iloc[0]) for s in segments}
    base = _pick_baseline(segments, [n_of[s] for s in segments], baseline, by)
    pooled = variants.groupby("sequence", sort=False)["journeys"].sum()
    order = pd.DataFrame(
        {"sequence": pooled.index, "journeys": pooled.to_numpy(), "text": [format_value(s) for s in pooled.index]}
    )
    chosen = order.sort_values(["journeys", "text"], ascending=[False, True], kind="stable")["sequence"].tolist()
    chosen = chosen if top is None else chosen[: int(top)]
    conversions = variants["conversions"] if goal is not None else pd.Series(0, index=variants.index)
    lookup = {
        (s, q): (int(j), int(c)) for s, q, j, c in zip(key, variants["sequence"], variants["journeys"], conversions)
    }
    rows = []
    for segment in segments:
        for sequence in chosen:
            journeys_, converted = lookup.get((segment, sequence), (0, 0))
            rows.append(
                {
                    by: segment_value(segment),
                    "sequence": sequence,
                    "steps": len(sequence),
                    "journeys": journeys_,
                    "n": n_of[segment],
                    **({"conversions": converted} if goal is not None else {}),
                }
            )
    out = pd.DataFrame(rows)
    k, n = out["journeys"].to_numpy(float), out["n"].to_numpy(float)
    out["share"] = k / n
    low, high = wilson_interval(k, n, level)
    out["ci_low"], out["ci_high"] = low, high
    if goal is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            out["conversion_rate"] = np.where(k > 0, out["conversions"] / np.maximum(k, 1), np.nan)
    is_base = np.array([_same(s, base) for s in out[by].map(lambda v: MISSING if pd.isna(v) else v)], dtype=bool)
    in_base = {q: j for q, j, b in zip(out["sequence"], out["journeys"], is_base) if b}
    k0 = np.array([in_base[q] for q in out["sequence"]], dtype=float)
    n0 = np.full(len(out), float(n_of[base]))
    out["baseline_share"] = k0 / n0
    out = pd.concat(
        [out, _differences(np.where(is_base, 0, k), np.where(is_base, 0, n), k0, n0, level, adjust)], axis=1
    )
    return VariantComparison(out, by=by, baseline=segment_value(base), level=level, adjust=adjust)


class VariantComparison(TableResult):
    """Path variants of segments against a baseline segment, from :func:`compare_variants`.

    Attributes
    ----------
    by : str
        The segment column.
    baseline : object
        The baseline segment.
    level : float
        Confidence level of the intervals.
    adjust : {"bh", "holm", "by"}
        How the p-values were adjusted.

    Notes
    -----
    :meth:`to_frame` has one row per segment (sorted, missing last) and variant (most common over all
    segments first): the ``by`` column, ``sequence`` (a tuple), ``steps``, ``journeys``, ``n``, ``share``
    with ``ci_low``/``ci_high``, [``conversions``, ``conversion_rate``], ``baseline_share``,
    ``difference`` (a share), ``difference_ci_low``, ``difference_ci_high``, ``p_value``, ``p_adjusted``
    and ``significant``; the baseline's own rows have no difference.
    """

    _successes = "journeys"
    _trials = "n"
    _formats: ClassVar[dict[str, str]] = {
        "journeys": "count",
        "n": "count",
        "share": "share",
        "ci_low": "share",
        "ci_high": "share",
        "conversions": "count",
        "conversion_rate": "share",
        "baseline_share": "share",
        "difference": "points",
        "difference_ci_low": "points",
        "difference_ci_high": "points",
        "p_value": "p",
        "p_adjusted": "p",
    }

    def __init__(self, table: pd.DataFrame, *, by: str, baseline: Any, level: float, adjust: Adjustment = "bh"):
        self._table, self.by, self.baseline, self.level, self.adjust = table, by, baseline, level, adjust

    def _shown(self) -> pd.DataFrame:
        return _in_points(self._table)

    def _headline(self) -> str:
        tested = self._table[self._table["p_value"].notna()]
        flagged = tested[tested["significant"]]
        text = (
            f"{self.by}, baseline {self.baseline}: {len(flagged):,} of {len(tested):,} variant shares differ "
            f"({adjustment_label(self.adjust, self.level)}; journeys as units)"
        )
        if len(flagged):
            top = flagged.loc[flagged["difference"].abs().idxmax()]
            text += _largest(top, f"{top[self.by]} {format_value(top['sequence'])}", self.level)
        return text

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Each segment's difference in variant share from the baseline, with its interval.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when not given.
        **kwargs
            Passed to :meth:`matplotlib.axes.Axes.errorbar`.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import pandas as pd, journey
        >>> rows = [(u, t, e, "app" if u % 2 else "web") for u in range(200)
        ...         for t, e in enumerate(["home", "cart"] if u % 2 else ["home", "help"])]
        >>> df = pd.DataFrame(rows, columns=["user_id", "minute", "event", "device"])
        >>> df["timestamp"] = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(df["minute"], unit="min")
        >>> journey.compare_variants(df, by="device", baseline="web").plot().get_title()
        'Path variants by device: difference from web'
        """
        rows = self._table[self._table["p_value"].notna()]
        labels = [f"{segment_value(s)}: {format_value(q)}" for s, q in zip(rows[self.by], rows["sequence"])]
        return _forest(
            self,
            labels,
            xlabel=f"difference in share of journeys from {self.baseline}, percentage points",
            title=f"Path variants by {self.by}: difference from {self.baseline}",
            ax=ax,
            **kwargs,
        )


# ---------------------------------------------------------------------------------------------------
# graphs


class GraphDiffAnalysis(JourneyAnalysis):
    """Journey graphs of the segments of ``by`` (a journey's segment: its value at the journey's first event)."""

    def __init__(self, *, by: str, goal: Goal, unit: Unit, gap: Duration):
        super().__init__(goal=goal, unit=unit, gap=gap)
        self.by = by

    def prepare(self, facts: Facts) -> None:
        super().prepare(facts)
        facts.require_column(self.by, "by", "segment")

    def partial(self, log: EventLog, facts: Facts) -> BySegment:
        journeys, goals = self.journeys(log)
        codes, keys = span_codes(np.asarray(log.column_at(self.by, journeys.starts)))
        row_segment = codes[journeys.journey]
        return BySegment(
            {key: summarize(journeys.subset(row_segment == i), goals, exact=facts.exact) for i, key in enumerate(keys)}
        )

    def finish(self, total: BySegment, facts: Facts) -> dict[Any, JourneyGraph]:
        graphs = {}
        for key, parts in total.items():
            graph = _graph(parts, set(self.goals))
            graph.graph.update(
                goal=self.goal if self.goal is None or isinstance(self.goal, (str, int, float)) else list(self.goal),
                unit=self.unit,
                gap=str(self.gap) if self.unit == "session" else None,
            )
            graphs[key] = graph
        return graphs


def compare_graphs(
    log: LogLike,
    *,
    by: str,
    baseline: Any = None,
    versus: Any = None,
    goal: Goal = None,
    unit: Unit = "user",
    gap: Duration = "30min",
    adjust: Adjustment = "bh",
    level: float = 0.95,
) -> JourneyDiff:
    """Where two segments' journeys differ: every touchpoint and transition, with its interval and test.

    Parameters
    ----------
    log : EventLog, pandas.DataFrame or dask.dataframe.DataFrame
        The events.
    by : str
        The segment column (``log.with_period("M")`` adds ``period`` to compare months); a journey's segment
        is its value at the journey's first event.
    baseline, versus : optional
        The two segments, ``versus`` compared with ``baseline``. With exactly two segments both may be left
        out (the baseline is then the one with more journeys, ties broken by sort order, and ``versus`` the
        other); with more segments (months of ``period``, say) give both.
    goal : str or list of str, optional
        Conversion event(s), as for :func:`journey.journey_graph`; the conversion rates are compared too.
    unit : {"user", "session"}, default "user"
        What one journey is.
    gap : str or pandas.Timedelta, default "30min"
        Inactivity that ends a session, with ``unit="session"``.
    adjust : {"bh", "holm", "by"}, default "bh"
        How the p-values of the table are adjusted for their number: Benjamini-Hochberg (the false
        discovery rate), Holm (the family-wise error rate) or Benjamini-Yekutieli (the false discovery
        rate under any dependence between the tests).
    level : float, default 0.95
        Confidence level; ``significant`` means an adjusted p-value below ``1 - level``.

    Returns
    -------
    JourneyDiff
        A ``networkx.DiGraph`` with every touchpoint and transition of either segment; on each, the share of
        each segment's journeys that use it, the difference with its interval, p-value, adjusted p-value
        and ``significant``. ``to_frames()`` gives the node and edge tables; ``plot()`` the map of changes.

    Raises
    ------
    JourneyError
        A ``by`` column that is not in the log, a segment no journey has, a single segment, more than two
        segments without ``baseline`` and ``versus``, or any error of :func:`journey.journey_graph`.

    See Also
    --------
    journey_graph : the graph of one log.
    compare_funnels : segments compared step by step.
    compare_paths : transitions of converting journeys against the others.

    Notes
    -----
    Journeys are the units. For a touchpoint, the share is of the segment's journeys that visit it at
    least once; for a transition ``a → b``, of its journeys that make it at least once (``START → a``:
    journeys that begin at ``a``; ``a → END``: journeys that end at ``a``). A journey that loops through a
    transition ten times counts once, so the two segments are independent samples of journeys and each
    difference is one of two independent proportions: Newcombe's hybrid score interval (1998, method 10)
    and the p-value of :func:`journey.compare_proportions`. The adjustment (Benjamini-Hochberg 1995 by default) runs over every
    touchpoint and transition together. The graph attribute ``units`` states this.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> rows = [(u, t, e, "app" if u % 2 else "web") for u in range(200)
    ...         for t, e in enumerate(["home", "cart", "buy"] if u % 2 or u % 10 == 0 else ["home", "help"])]
    >>> df = pd.DataFrame(rows, columns=["user_id", "minute", "event", "device"])
    >>> df["timestamp"] = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(df["minute"], unit="min")
    >>> diff = journey.compare_graphs(df, by="device", goal="buy", baseline="web")
    >>> d = diff.edges["home", "cart"]
    >>> print(f"{d['versus_share']:.2f} vs {d['baseline_share']:.2f}: {d['difference']:+.2f}", d["significant"])
    1.00 vs 0.20: +0.80 True
    """
    level, adjust = check_level(level), check_adjust(adjust)
    if by is None:
        raise JourneyError(f"compare_graphs compares segments: give {option('by')} (a segment column)")
    if baseline is not None and versus is not None and str(baseline) == str(versus):
        raise JourneyError(f"{option('versus', versus)} is the baseline too: compare two different segments")
    graphs = run(GraphDiffAnalysis(by=by, goal=goal, unit=unit, gap=gap), log)
    keys = list(graphs)
    keys = [keys[i] for i in np.argsort(segment_ranks(keys), kind="stable")]
    if len(keys) < 2:
        raise JourneyError(
            f"{option('by', by)}: every journey is in one segment "
            f"({_label(keys[0]) if keys else 'none'}); there is nothing to compare"
        )
    sizes = [graphs[k].graph["n_journeys"] for k in keys]
    if len(keys) > 2 and (baseline is None or versus is None):
        shown = ", ".join(_label(k) for k in keys)
        raise JourneyError(
            f"{option('by', by)} has {len(keys)} segments ({shown}): give {option('baseline')} "
            f"and {option('versus')} to say which two to compare"
        )
    base = _pick_baseline(keys, sizes, baseline, by)
    if versus is None:
        other = next(k for k in keys if k is not base)
    else:
        other = _pick_baseline(list(keys), sizes, versus, by)
        if other is base:
            raise JourneyError(f"{option('versus', versus)} is the baseline too: compare two different segments")
    return JourneyDiff.from_graphs(
        graphs[base],
        graphs[other],
        by=by,
        baseline=segment_value(base),
        versus=segment_value(other),
        level=level,
        adjust=adjust,
    )


class JourneyDiff(Result, nx.DiGraph):
    """Two segments' journey graphs compared: a ``networkx.DiGraph`` that is also a `journey` result.

    Every touchpoint and transition of either segment is a node or an edge, with ``baseline_journeys`` and
    ``versus_journeys`` (journeys using it), ``baseline_share`` and ``versus_share`` (of each segment's
    journeys), ``difference`` (versus minus baseline, a share), ``difference_ci_low``,
    ``difference_ci_high``, ``p_value``, ``p_adjusted``, ``significant``, and ``count`` and ``visits`` (both
    segments together, for the layout). START and END are nodes without a test.

    Attributes
    ----------
    graph : dict
        ``by``, ``baseline``, ``versus``, ``n_baseline`` and ``n_versus`` (journeys), ``level``, ``adjust``, ``goal``,
        ``unit``, ``units`` (what the tests count) and, with a goal, ``conversion_difference``,
        ``conversion_ci_low``, ``conversion_ci_high`` and ``conversion_p_value`` (plain numbers, so the
        graph exports to GraphML, GEXF and JSON like any journey graph).
    baseline_graph, versus_graph : JourneyGraph
        Each segment's own journey graph.
    conversion : DifferenceResult or None
        With a goal, the difference in conversion rate (versus minus baseline) as a result.
    """

    _formats: ClassVar[dict[str, str]] = {
        "baseline_journeys": "count",
        "versus_journeys": "count",
        "baseline_share": "share",
        "versus_share": "share",
        "difference": "points",
        "difference_ci_low": "points",
        "difference_ci_high": "points",
        "p_value": "p",
        "p_adjusted": "p",
    }
    baseline_graph: JourneyGraph
    versus_graph: JourneyGraph
    conversion: DifferenceResult | None = None
    # networkx's DiGraph.__str__ would bypass the shared display.
    __str__ = Result.__repr__

    @classmethod
    def from_graphs(
        cls,
        base: JourneyGraph,
        other: JourneyGraph,
        *,
        by: str,
        baseline: Any,
        versus: Any,
        level: float,
        adjust: Adjustment = "bh",
    ) -> JourneyDiff:
        n0, n1 = int(base.graph["n_journeys"]), int(other.graph["n_journeys"])
        nodes = [n for n in dict.fromkeys([*base.nodes, *other.nodes]) if n not in (START, END)]
        nodes.sort(key=str)
        edges = list(dict.fromkeys([*base.edges, *other.edges]))

        def used(graph: nx.DiGraph, items: list, kind: str) -> np.ndarray:
            view = graph.nodes if kind == "node" else graph.edges
            return np.array([view[i]["journeys"] if i in view else 0 for i in items], dtype=float)

        k0 = np.r_[used(base, nodes, "node"), used(base, edges, "edge")]
        k1 = np.r_[used(other, nodes, "node"), used(other, edges, "edge")]
        tests = _differences(k1, np.full(len(k1), n1), k0, np.full(len(k0), n0), level, adjust)
        tests["baseline_journeys"], tests["versus_journeys"] = k0.astype(int), k1.astype(int)
        tests["baseline_share"], tests["versus_share"] = k0 / max(n0, 1), k1 / max(n1, 1)
        diff = cls()
        goal = base.graph.get("goal")
        diff.graph.update(
            by=by,
            baseline=baseline,
            versus=versus,
            n_baseline=n0,
            n_versus=n1,
            level=level,
            adjust=adjust,
            goal=goal,
            unit=base.graph.get("unit"),
            kind="difference",
            units="journeys: shares of each segment's journeys that use a touchpoint or transition",
        )
        diff.conversion = None
        if goal is not None and n0 and n1:
            diff.conversion = compare_proportions(
                int(other.graph["n_conversions"]), n1, int(base.graph["n_conversions"]), n0, level=level
            )
            low, high = diff.conversion.confidence_interval()
            diff.graph.update(
                conversion_difference=float(diff.conversion.estimate),
                conversion_ci_low=float(low),
                conversion_ci_high=float(high),
                conversion_p_value=float(diff.conversion.pvalue),
            )
        columns = ["baseline_journeys", "versus_journeys", "baseline_share", "versus_share", *COMPARISON_COLUMNS]
        records = tests[columns].to_dict("records")

        def kind(node: Any) -> str:
            kinds = {g.nodes[node].get("kind") for g in (base, other) if node in g.nodes}
            return "goal" if "goal" in kinds else "touchpoint"

        def total(node_or_edge: Any, field: str, view: str) -> int:
            return sum(
                int(getattr(g, view)[node_or_edge][field]) for g in (base, other) if node_or_edge in getattr(g, view)
            )

        diff.add_node(START, kind="start", visits=n0 + n1)
        for node, record in zip(nodes, records[: len(nodes)]):
            diff.add_node(node, kind=kind(node), visits=total(node, "visits", "nodes"), **_plain(record))
        diff.add_node(END, kind="end", visits=n0 + n1)
        for (a, b), record in zip(edges, records[len(nodes) :]):
            diff.add_edge(a, b, count=total((a, b), "count", "edges"), **_plain(record))
        diff.baseline_graph, diff.versus_graph = base, other
        return diff

    def to_frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The touchpoints and the transitions as two tidy tables, each sorted by adjusted p, then name.

        Returns
        -------
        tuple of pandas.DataFrame
            ``nodes`` (column ``touchpoint``) and ``edges`` (``source``, ``target``), each with the
            journeys and shares of both segments, ``difference``, its interval, ``p_value``, ``p_adjusted``
            and ``significant``.
        """
        columns = ["baseline_journeys", "versus_journeys", "baseline_share", "versus_share", *COMPARISON_COLUMNS]
        nodes = pd.DataFrame(
            [
                {"touchpoint": n, **{c: d[c] for c in columns}}
                for n, d in self.nodes(data=True)
                if n not in (START, END)
            ],
            columns=["touchpoint", *columns],
        )
        edges = pd.DataFrame(
            [{"source": a, "target": b, **{c: d[c] for c in columns}} for a, b, d in self.edges(data=True)],
            columns=["source", "target", *columns],
        )
        return _by_evidence(nodes, ["touchpoint"]), _by_evidence(edges, ["source", "target"])

    def to_frame(self) -> pd.DataFrame:
        """The transitions' table of :meth:`to_frames` (the touchpoints are its first table)."""
        return self.to_frames()[1]

    def _shown(self) -> pd.DataFrame:
        edges = self.to_frame()
        edges.insert(0, "transition", [f"{a} → {b}" for a, b in zip(edges["source"], edges["target"])])
        return _in_points(edges.drop(columns=["source", "target"]))

    def _headline(self) -> str:
        g = self.graph
        nodes, edges = self.to_frames()
        flagged_edges, flagged_nodes = int(edges["significant"].sum()), int(nodes["significant"].sum())
        text = (
            f"{g['by']} {g['versus']} ({g['n_versus']:,} journeys) against {g['baseline']} (baseline, "
            f"{g['n_baseline']:,}): {flagged_edges:,} of {len(edges):,} transitions and {flagged_nodes:,} of "
            f"{len(nodes):,} touchpoints differ ({adjustment_label(g.get('adjust', 'bh'), g['level'])}; "
            "journeys as units)"
        )
        conversion = self.conversion
        if conversion is not None:
            low, high = conversion.confidence_interval()
            text += (
                f"; conversion {conversion.estimate * 100:+.1f} points ({g['level'] * 100:g}% CI "
                f"{low * 100:+.1f} to {high * 100:+.1f})"
            )
        return text

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """The map of changes: the journey map's layout, coloured by each difference, significant ones bold.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when not given.
        **kwargs
            ``max_nodes`` (40: the touchpoints most visited in both segments together) and ``title``.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import pandas as pd, journey
        >>> rows = [(u, t, e, "app" if u % 2 else "web") for u in range(200)
        ...         for t, e in enumerate(["home", "cart"] if u % 2 else ["home", "help"])]
        >>> df = pd.DataFrame(rows, columns=["user_id", "minute", "event", "device"])
        >>> df["timestamp"] = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(df["minute"], unit="min")
        >>> journey.compare_graphs(df, by="device", baseline="web").plot().get_title()
        'Journey map of changes: device app against web (baseline)'
        """
        from .graph import plot_journey_map

        return plot_journey_map(self, ax=ax, **kwargs)


def _by_evidence(table: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Rows by adjusted p-value (untested last), then by name as text: the same order on every run."""
    key = pd.DataFrame({"p": table["p_adjusted"].fillna(2.0), "name": table[names].astype(str).agg(" ".join, axis=1)})
    order = key.sort_values(["p", "name"], kind="stable").index
    return table.loc[order].reset_index(drop=True)


def _plain(record: dict) -> dict:
    """Numbers as Python scalars (GraphML and JSON writers refuse numpy types); NaN stays NaN."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, (bool, np.bool_)):
            out[key] = bool(value)
        elif isinstance(value, (np.integer,)):
            out[key] = int(value)
        elif isinstance(value, (np.floating, float)):
            out[key] = float(value)
        else:
            out[key] = value
    return out
