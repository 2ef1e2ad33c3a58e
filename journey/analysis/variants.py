"""Path variants: the distinct sequences of touchpoints journeys take, most common first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from ..engine.core import run, segment_ranks, segment_value, span_codes
from ..engine.journeys import JourneyAnalysis, Journeys
from ..engine.partials import Keyed, Parts, timings
from ..errors import JourneyError
from ..io.aliases import Duration, Goal, Unit
from ..io.events import LogLike
from ..io.facts import Facts
from ..plot.sankey import Align, Family, draw_sankey, step_table
from ..stats.intervals import proportion_interval
from ..stats.results import ConfidenceInterval, TableResult, check_level

__all__ = ["path_variants", "PathVariants", "plot_sankey", "VariantsAnalysis"]

_ALL = "all journeys"


def path_variants(
    log: LogLike,
    *,
    top: int | None = 20,
    collapse_repeats: bool = False,
    goal: Goal = None,
    by: str | None = None,
    unit: Unit = "user",
    gap: Duration = "30min",
    level: float = 0.95,
    start_at: str | None = None,
    end_at: str | None = None,
) -> PathVariants:
    """The most common paths (sequences of touchpoints) and how their journeys fare.

    Parameters
    ----------
    log : EventLog, pandas.DataFrame or a log on Dask
        The events (a DataFrame is read with :func:`journey.read_events` and its default columns).
    top : int or None
        How many variants :meth:`PathVariants.to_frame` lists (per segment with ``by``); None: all. The
        result keeps every variant for its picture.
    collapse_repeats : bool
        Merge immediate repeats (``product, product, cart`` becomes ``product, cart``) before comparing.
    goal : str or list of str, optional
        Conversion event(s): adds each variant's conversions and conversion rate with its interval.
    by : str, optional
        A segment column: variants are counted per segment (a journey's segment is the value at its first
        event; missing values form their own segment), shares are within the segment.
    unit : {"user", "session"}
        What one journey is: everything a user did, or one session.
    gap : str or pandas.Timedelta
        With ``unit="session"``, the inactivity that ends a session when the source has no session ids
        (a log read from a GA4, Amplitude or PostHog export follows its own sessions).
    level : float
        Confidence level of the intervals (0.95: 95%).
    start_at : str, optional
        Paths *from* this touchpoint: each journey starts at its first event there, what came before is
        dropped. Journeys that never reach it are left out (counted in ``n_left_out``).
    end_at : str, optional
        Paths *to* this touchpoint: each journey ends at its first event there (after the start with
        ``start_at``), what came after is dropped. Journeys that never reach it are left out (counted in
        ``n_left_out``).

    Returns
    -------
    PathVariants
        ``to_frame()``: one row per variant (per segment): [segment], ``sequence`` (tuple of touchpoints),
        ``steps``, ``journeys``, ``n`` (journeys of the segment), ``share`` (journeys / n, 0-1) with
        ``ci_low``/``ci_high``,
        [``conversions``, ``conversion_rate``, ``conversion_ci_low``, ``conversion_ci_high``],
        ``median_seconds`` (median journey duration, first to last event). Sorted by segment, then journeys
        (descending), then sequence, so ties come out in the same order every time.

    Raises
    ------
    JourneyError
        A ``top`` that is not a positive whole number, an unknown ``unit``, a segment column that is not in
        the log.
    UnknownEventError
        A ``goal``, ``start_at`` or ``end_at`` that never occurs in the log.

    See Also
    --------
    journey_graph : the same journeys as a graph of transitions.
    plot_sankey : the first steps of these variants as flows.

    Notes
    -----
    Journeys are the independent units: a variant's share is the number of journeys that take exactly
    that path out of all journeys (of the segment), and its interval is the Wilson score interval of that
    proportion (Wilson 1927, "Probable inference, the law of succession, and statistical inference");
    likewise its conversion rate, out of the journeys taking it. A journey converts when it reaches a goal
    anywhere on its path (with ``start_at`` or ``end_at``: on the part kept).

    ``start_at`` and ``end_at`` read journeys as PostHog's paths do: from the first event at ``start_at``
    to the first event at ``end_at`` after it. Shares are then out of the journeys that have such a path;
    the others are left out of every count and only ``n_left_out`` says how many they are.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": list("aabbc"), "event": ["home", "cart", "home", "cart", "home"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=5, freq="min", tz="UTC")})
    >>> variants = journey.path_variants(df)
    >>> variants.to_frame()[["sequence", "journeys", "share"]].values.tolist()
    [[('home', 'cart'), 2, 0.6666666666666666], [('home',), 1, 0.3333333333333333]]
    >>> variants
    PathVariants: 2 distinct paths of 3 journeys by user; the most common, home → cart, is taken by 66.7% (95% CI 20.8% to 93.9%)
       sequence steps journeys n share ci_low ci_high median_seconds
    home → cart     2        2 3 66.7%  20.8%   93.9%         1m 00s
           home     1        1 3 33.3%   6.1%   79.2%             0s
    >>> to_cart = journey.path_variants(df, end_at="cart")
    >>> to_cart.to_frame()["sequence"].tolist(), to_cart.n_journeys, to_cart.n_left_out
    ([('home', 'cart')], 2, 1)
    """
    analysis = VariantsAnalysis(
        top=top,
        collapse_repeats=collapse_repeats,
        goal=goal,
        by=by,
        unit=unit,
        gap=gap,
        level=level,
        start_at=start_at,
        end_at=end_at,
    )
    return run(analysis, log)


@dataclass(frozen=True, repr=False)
class PathVariants(TableResult):
    """The distinct paths journeys take, from :func:`path_variants`.

    Attributes
    ----------
    n_journeys : int
        Journeys in all (every segment), those left out by ``start_at``/``end_at`` not counted.
    n_variants : int
        Distinct paths (per segment, summed), of which ``to_frame()`` lists the ``top`` most common.
    goal, by, unit : the arguments the table was made with.
    level : float
        Confidence level of the intervals in the table.
    start_at, end_at : str or None
        The touchpoints the paths start and end at, or None.
    n_left_out : int
        Journeys left out because they never reach ``start_at`` (or ``end_at`` after it); 0 without them.
    """

    _table: pd.DataFrame
    _every: pd.DataFrame = field(compare=False)
    n_journeys: int
    n_variants: int
    goal: Goal
    by: str | None
    unit: str
    level: float
    start_at: str | None = None
    end_at: str | None = None
    n_left_out: int = 0
    _successes: ClassVar[str] = "journeys"
    _trials: ClassVar[str] = "n"
    _formats: ClassVar[dict[str, str]] = {
        "journeys": "count",
        "n": "count",
        "steps": "count",
        "conversions": "count",
        "share": "share",
        "ci_low": "share",
        "ci_high": "share",
        "conversion_rate": "share",
        "conversion_ci_low": "share",
        "conversion_ci_high": "share",
        "median_seconds": "seconds",
    }

    def confidence_interval(
        self,
        level: float | None = None,
        method: str | None = None,
        *,
        estimate: Literal["share", "conversion_rate"] = "share",
    ) -> ConfidenceInterval:
        """Interval of each listed variant's ``share`` (or ``conversion_rate``), aligned with :meth:`to_frame`.

        Parameters
        ----------
        level : float, optional
            Confidence level; the result's ``level`` when not given.
        method : {"wilson", "exact", "jeffreys"}, optional
            Wilson score (default), Clopper-Pearson or Jeffreys.
        estimate : {"share", "conversion_rate"}
            Which proportion: the share of journeys, or (with a goal) the conversion rate.
        """
        if estimate == "share":
            return super().confidence_interval(level, method)
        if estimate != "conversion_rate":
            raise JourneyError(f'estimate must be "share" or "conversion_rate", not {estimate!r}')
        if self.goal is None:
            raise JourneyError("these variants were counted without a goal: pass goal=... to path_variants")
        low, high = proportion_interval(
            self._table["conversions"].to_numpy(dtype=float),
            self._table["journeys"].to_numpy(dtype=float),
            self.level if level is None else check_level(level),
            method or "wilson",
        )
        return ConfidenceInterval(low, high)

    def plot(
        self,
        ax: Any = None,
        *,
        steps: int = 5,
        top: int = 6,
        title: str | None = None,
        family: Family = None,
    ) -> Any:
        """The first ``steps`` steps of every journey as flows (a Sankey diagram); returns the Axes.

        Every variant counts, not only the listed ones; segments are drawn together. At each step the
        ``top`` most common touchpoints get their own block, the rest are "other"; journeys that have ended
        flow into "ended". Band widths are journeys (sessions with ``unit="session"``). Paths made with
        ``end_at`` alone are lined up at their end: the last column is ``end_at``, the columns before it
        the steps that led there ("not begun" for shorter paths).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when not given.
        steps : int
            How many steps to draw (at least 2).
        top : int
            Touchpoints with their own block at each step.
        title : str, optional
            The title; by default it says what is drawn, of how many journeys, and how many were left out.
        family : mapping or callable, optional
            The colour group of each touchpoint: a mapping name -> family (a name it leaves out is a family
            of its own), or a function of the name. By default the name up to its first ``_`` or ``/``
            (``checkout_payment`` is in ``checkout``).

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import pandas as pd, journey
        >>> df = pd.DataFrame({"user_id": list("aabbc"), "event": ["home", "cart", "ad", "cart", "home"],
        ...                    "timestamp": pd.date_range("2025-01-01", periods=5, freq="min", tz="UTC")})
        >>> ax = journey.path_variants(df, end_at="cart").plot(steps=2)
        >>> ax.get_title(), [t.get_text() for t in ax.get_xticklabels()]
        ('The last 2 steps to cart of 2 journeys (1 that never reach cart left out)', ['last − 1', 'cart'])
        """
        align: Align = "end" if self.end_at is not None and self.start_at is None else "start"
        table = step_table(list(self._every["sequence"]), self._every["journeys"].to_numpy(), steps, top, align=align)
        unit = "journeys" if self.unit == "user" else "sessions"
        return draw_sankey(
            table,
            ax=ax,
            title=title or self._sankey_title(steps, unit),
            family=family,
            align=align,
            unit=unit,
            columns=self._sankey_columns(steps, align),
        )

    def _sankey_title(self, steps: int, unit: str) -> str:
        if self.start_at is None and self.end_at is None:
            return f"The first {steps} steps of {self.n_journeys:,} {unit}"
        which = "last" if self.start_at is None else "first"
        left_out = f"{self.n_left_out:,} {self._left_out_clause()}"
        return f"The {which} {steps} steps{self._between_words()} of {self.n_journeys:,} {unit} ({left_out})"

    def _sankey_columns(self, steps: int, align: Align) -> list[str]:
        if align == "end":
            return [f"last − {steps - 1 - k}" for k in range(steps - 1)] + [str(self.end_at)]
        first = "step 1" if self.start_at is None else str(self.start_at)
        return [first] + [f"step {k + 1}" for k in range(1, steps)]

    def _headline(self) -> str:
        left_out = self._left_out_words()
        if not len(self._table):
            return f"no journeys (unit {self.unit})" + (f"; {left_out}" if left_out else "")
        first = self._table.iloc[0]
        where = f" in segment {first[self.by]!r}" if self.by is not None else ""
        return (
            f"{self.n_variants:,} distinct paths of {self.n_journeys:,} journeys by {self.unit}"
            f"{self._between_words()}; the most common"
            f"{where}, {' → '.join(map(str, first['sequence']))}, is taken by {first['share']:.1%} "
            f"({self.level:.0%} CI {first['ci_low']:.1%} to {first['ci_high']:.1%})"
            + (f"; {left_out}" if left_out else "")
        )

    def _between_words(self) -> str:
        """What the paths are cut to: `` from X``, `` to Y`` or both."""
        return (f" from {self.start_at}" if self.start_at is not None else "") + (
            f" to {self.end_at}" if self.end_at is not None else ""
        )

    def _left_out_words(self) -> str:
        """How many journeys were left out by ``start_at``/``end_at``, and why; empty without them."""
        if self.start_at is None and self.end_at is None:
            return ""
        return f"{self.n_left_out:,} journeys {self._left_out_clause()}"

    def _left_out_clause(self) -> str:
        if self.start_at is not None and self.end_at is not None:
            return f"without a path{self._between_words()} left out"
        return f"that never reach {self.start_at or self.end_at} left out"


def plot_sankey(variants: PathVariants, *, steps: int = 5, top: int = 6, ax: Any = None, family: Family = None) -> Any:
    """Step-by-step flows of the first ``steps`` steps of each journey, as bands; returns the Axes.

    Parameters
    ----------
    variants : PathVariants
        From :func:`path_variants` (every variant counts, whatever its ``top``); made with ``start_at`` or
        ``end_at``, the paths from or to that touchpoint.
    steps : int
        How many steps to draw (at least 2).
    top : int
        Touchpoints with their own block at each step; the rest are "other".
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure otherwise.
    family : mapping or callable, optional
        The colour group of each touchpoint (see :meth:`PathVariants.plot`).

    Returns
    -------
    matplotlib.axes.Axes

    See Also
    --------
    PathVariants.plot : the same, as a method.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd, journey
    >>> df = pd.DataFrame({"user_id": list("aabbc"), "event": ["home", "cart", "home", "buy", "home"],
    ...                    "timestamp": pd.date_range("2025-01-01", periods=5, freq="min", tz="UTC")})
    >>> journey.plot_sankey(journey.path_variants(df), steps=2).get_title()
    'The first 2 steps of 3 journeys'
    """
    if not isinstance(variants, PathVariants):
        raise JourneyError(f"plot_sankey draws the result of journey.path_variants(log), not {type(variants).__name__}")
    return variants.plot(ax=ax, steps=steps, top=top, family=family)


class VariantsAnalysis(JourneyAnalysis):
    """Path variants: journeys and conversions per (segment, distinct sequence), keyed by names."""

    def __init__(
        self,
        *,
        top: int | None,
        collapse_repeats: bool,
        goal: Goal,
        by: str | None,
        unit: Unit,
        gap: Duration,
        level: float,
        start_at: str | None = None,
        end_at: str | None = None,
    ):
        if top is not None and (isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1):
            raise JourneyError(f"top must be a positive whole number or None, not {top!r}")
        super().__init__(goal=goal, unit=unit, gap=gap)
        self.top, self.collapse_repeats, self.by, self.level = top, bool(collapse_repeats), by, check_level(level)
        self.start_at, self.end_at = _touchpoint_name(start_at, "start_at"), _touchpoint_name(end_at, "end_at")

    def prepare(self, facts: Facts) -> None:
        facts.require_column(self.by, "by", "segment")
        super().prepare(facts)
        for keyword in ("start_at", "end_at"):
            name = getattr(self, keyword)
            if name is not None:
                facts.require_events([name], keyword)

    def partial(self, log: Any, facts: Facts) -> Parts:
        journeys, goals = self.journeys(log)
        everyone = journeys.n_journeys
        if self.start_at is not None or self.end_at is not None:
            journeys = between(journeys, self.start_at, self.end_at)
        converted = journeys.converted(goals)
        durations = journeys.time[journeys.ends] - journeys.time[journeys.starts]
        if self.by is None:
            labels, segments = np.zeros(journeys.n_journeys, dtype=np.int64), pd.Index([_ALL], dtype=object)
        else:
            labels, segments = span_codes(log.column_at(self.by, journeys.starts))
        if self.collapse_repeats:
            journeys = _collapse(journeys)
        variant, sequences = _variant_ids(journeys)
        cells, cell = np.unique(labels * max(1, len(sequences)) + variant, return_inverse=True)
        names = journeys.names
        paths = [tuple(names[c] for c in seq) for seq in sequences]
        keys = [(segments[c // max(1, len(sequences))], paths[c % max(1, len(sequences))]) for c in cells.tolist()]
        index = pd.Index(keys, dtype=object, tupleize_cols=False)
        counts = Keyed(
            index,
            {
                "journeys": np.bincount(cell, minlength=len(index)),
                "conversions": np.bincount(cell[converted], minlength=len(index)),
            },
        )
        return Parts(
            variants=counts,
            durations=timings(index, cell, durations, facts.exact),
            left_out=everyone - journeys.n_journeys,
        )

    def finish(self, total: Parts, facts: Facts) -> PathVariants:
        counts = total["variants"].frame()
        durations = total["durations"]
        medians = pd.Series(durations.medians(), index=durations.index).reindex(counts.index).to_numpy()
        segment_keys = [key[0] for key in counts.index]
        table = pd.DataFrame(
            {
                "_segment": segment_keys,
                "sequence": [key[1] for key in counts.index],
                "journeys": counts["journeys"].to_numpy(),
                "conversions": counts["conversions"].to_numpy().astype(np.int64),
                "median_seconds": medians,
            }
        )
        return _result(table, self, int(total["left_out"]))


def _touchpoint_name(name: Any, keyword: str) -> str | None:
    """A touchpoint named by ``start_at``/``end_at`` as text (names are text: 3 means the touchpoint "3")."""
    if name is None:
        return None
    if not isinstance(name, (str, int, np.integer)) or isinstance(name, bool):
        raise JourneyError(f"{keyword} must name one touchpoint, not {name!r}")
    return str(name)


def between(journeys: Journeys, start_at: str | None, end_at: str | None) -> Journeys:
    """Each journey from its first event at ``start_at`` to its first event at ``end_at`` after it.

    Journeys without such a stretch disappear (a part of the log may lack either touchpoint: then every
    journey of that part does). None means the journey's own start or end.
    """
    rows = np.arange(len(journeys.events))
    none = np.iinfo(np.int64).max
    index = {name: code for code, name in enumerate(journeys.names)}
    first = journeys.starts.astype(np.int64)
    if start_at is not None:
        first = _first_at(journeys, index.get(start_at), rows >= 0)
    last = np.append(journeys.starts[1:], len(journeys.events)).astype(np.int64) - 1
    if end_at is not None:
        found = first < none
        after = rows > first[journeys.journey] if start_at is not None else rows >= 0
        last = np.where(found, _first_at(journeys, index.get(end_at), after), none)
    keep = (rows >= first[journeys.journey]) & (rows <= last[journeys.journey])
    return journeys.subset(keep & (first[journeys.journey] < none) & (last[journeys.journey] < none))


def _first_at(journeys: Journeys, code: int | None, allowed: np.ndarray) -> np.ndarray:
    """Row of each journey's first event with ``code`` among the ``allowed`` rows; int64 max when none."""
    first = np.full(journeys.n_journeys, np.iinfo(np.int64).max, dtype=np.int64)
    if code is not None:
        hit = np.flatnonzero((journeys.events == code) & allowed)
        np.minimum.at(first, journeys.journey[hit], hit)
    return first


def _result(table: pd.DataFrame, analysis: VariantsAnalysis, left_out: int = 0) -> PathVariants:
    """Shares and intervals within each segment, sorted, the top listed; every variant kept for the picture."""
    level, by = analysis.level, analysis.by
    table = table.assign(steps=[len(s) for s in table["sequence"]])
    rank = segment_ranks(table["_segment"].tolist())
    table["n"] = table.groupby(rank, sort=False)["journeys"].transform("sum").to_numpy()
    table["share"] = table["journeys"] / table["n"]
    table["ci_low"], table["ci_high"] = proportion_interval(table["journeys"], table["n"], level)
    columns = ["sequence", "steps", "journeys", "n", "share", "ci_low", "ci_high"]
    if analysis.goal is not None:
        table["conversion_rate"] = table["conversions"] / table["journeys"]
        table["conversion_ci_low"], table["conversion_ci_high"] = proportion_interval(
            table["conversions"], table["journeys"], level
        )
        columns += ["conversions", "conversion_rate", "conversion_ci_low", "conversion_ci_high"]
    columns.append("median_seconds")
    order = np.lexsort((table["sequence"].map("\x00".join).to_numpy(), -table["journeys"].to_numpy(), rank))
    table, rank = table.take(order).reset_index(drop=True), rank[order]
    if by is not None:
        table.insert(0, by, [segment_value(v) for v in table["_segment"]])
        columns.insert(0, by)
    every = table[columns].copy()
    within = table.groupby(rank, sort=False).cumcount().to_numpy()
    shown = every if analysis.top is None else every[within < analysis.top].reset_index(drop=True)
    return PathVariants(
        shown,
        every,
        int(table["journeys"].sum()),
        len(table),
        analysis.goal,
        by,
        analysis.unit,
        level,
        start_at=analysis.start_at,
        end_at=analysis.end_at,
        n_left_out=left_out,
    )


def _collapse(journeys: Journeys) -> Journeys:
    repeat = np.zeros(len(journeys.events), dtype=bool)
    repeat[1:] = (journeys.events[1:] == journeys.events[:-1]) & (journeys.journey[1:] == journeys.journey[:-1])
    return journeys.subset(~repeat)


def _variant_ids(journeys: Journeys) -> tuple[np.ndarray, list[np.ndarray]]:
    """Variant index of each journey and the code sequence of each variant, exactly (no hashing).

    Journeys of equal length are stacked into a matrix whose distinct rows are the variants.
    """
    lengths = journeys.lengths
    variant = np.empty(journeys.n_journeys, dtype=np.int64)
    sequences: list[np.ndarray] = []
    for length in np.unique(lengths):
        members = np.flatnonzero(lengths == length)
        matrix = journeys.events[journeys.starts[members, None] + np.arange(length)]
        distinct, inverse = np.unique(matrix, axis=0, return_inverse=True)
        variant[members] = len(sequences) + inverse.reshape(-1)
        sequences.extend(distinct)
    return variant, sequences
