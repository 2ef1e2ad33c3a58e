"""Values that add: what an analysis's ``partial`` returns for one user-disjoint part of the data.

Every partial is keyed by *names* (touchpoints, segments, paths), never by codes local to a part, so the
partials of two parts add up whatever codes each part used. ``None`` is the partial of an empty part and
adds as zero.

* :class:`Parts`: named components added one by one (numbers, arrays over a global span, the classes below).
* :class:`Keyed`: count arrays keyed by an index of names; adding aligns the names.
* :class:`Samples` and :class:`LogHistogram`: times per key, from which medians are read. ``Samples`` keeps
  every value (exact medians, the local path); ``LogHistogram`` keeps counts on log-spaced bins (bounded size,
  a stated error bound: the distributed path). :func:`timings` picks one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "Parts",
    "BySegment",
    "Keyed",
    "Samples",
    "LogHistogram",
    "timings",
    "add",
    "aligned",
    "BIN_RATIO",
    "MEDIAN_RELATIVE_ERROR",
    "N_TIME_BINS",
]

BIN_RATIO = 1.01
LOWEST_SECONDS = 1e-9  # times are nanoseconds: below this there is only 0, which has its own exact bin
N_BINS = int(np.ceil(np.log(1e18) / np.log(BIN_RATIO)))  # 1 ns .. 1e9 s (about 31 years)
#: Bins of a time histogram: one for no time at all, then the log-spaced ones.
N_TIME_BINS = N_BINS + 1
#: Largest relative error of a median read from a :class:`LogHistogram` (half a bin on the log scale).
MEDIAN_RELATIVE_ERROR = float(np.sqrt(BIN_RATIO) - 1)


def add(a, b):
    """``a + b`` where ``None`` (the partial of an empty part) is zero."""
    if a is None:
        return b
    if b is None:
        return a
    return a + b


class Parts(dict):
    """Named components that add one by one: ``Parts(n=1, x=arr) + Parts(n=2, x=arr2)``."""

    def __add__(self, other):
        if other is None:
            return self
        return Parts({key: add(value, other[key]) for key, value in self.items()})

    __radd__ = __add__


class BySegment(dict):
    """One partial per segment key; adding takes the union of the segments, adding those both parts have.

    Parts of a log each see only the segments their users are in, so the keys differ between parts.
    """

    def __add__(self, other):
        if other is None:
            return self
        out = BySegment(self)
        for key, value in other.items():
            out[key] = add(out.get(key), value)
        return out

    __radd__ = __add__


def aligned(a: pd.Index, b: pd.Index) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """The union of two indexes of distinct names and where each one's entries sit in it."""
    if a.equals(b):
        positions = np.arange(len(a))
        return a, positions, positions
    union = a.append(b[~b.isin(a)])
    return union, np.arange(len(a)), union.get_indexer(b)


@dataclass
class Keyed:
    """Count arrays whose rows are keyed by distinct names (``index``); adding aligns the names.

    ``values`` maps a figure's name to an array with one row per key (extra dimensions are kept, so a
    row can hold a whole histogram or a row of a triangle).
    """

    index: pd.Index
    values: dict

    def __add__(self, other: Keyed | None) -> Keyed:
        if other is None:
            return self
        union, mine, theirs = aligned(self.index, other.index)
        out = {}
        for name, value in self.values.items():
            total = np.zeros((len(union), *value.shape[1:]), dtype=np.result_type(value, other.values[name]))
            total[mine] += value
            total[theirs] += other.values[name]
            out[name] = total
        return Keyed(union, out)

    __radd__ = __add__

    def __len__(self) -> int:
        return len(self.index)

    def frame(self) -> pd.DataFrame:
        """The one-dimensional figures as a DataFrame indexed by the keys."""
        return pd.DataFrame({k: v for k, v in self.values.items() if v.ndim == 1}, index=self.index)


@dataclass
class Samples:
    """Every value per key (``group`` codes into ``index``): exact medians; merging concatenates.

    ``runs``, where given, says the values are sorted: rows ``runs[i - 1]:runs[i]`` (from 0) are in order of
    group, then value. :func:`timings` sorts each part's values where the part is summarised (on its own
    thread when a large log is cut in halves), and a sum of two sorted parts is read without sorting all
    of it again: a key's k-th value is found by a binary search across the two runs.
    """

    index: pd.Index
    group: np.ndarray
    values: np.ndarray  # int64 nanoseconds
    runs: tuple[int, ...] | None = None

    @classmethod
    def sorted(cls, index: pd.Index, group: np.ndarray, values: np.ndarray) -> Samples:
        """The samples with their values sorted by group, then value (one run)."""
        group, values = sort_by_group(group, values, len(index))
        return cls(index, group, values, (len(values),))

    def __add__(self, other: Samples | None) -> Samples:
        if other is None:
            return self
        union, mine, theirs = aligned(self.index, other.index)
        runs = None
        if self.runs is not None and other.runs is not None:
            runs = (*self.runs, *(len(self.values) + end for end in other.runs))
        if union is self.index and len(other.index) == len(union):  # the same keys: no codes to move
            group = np.concatenate([self.group, other.group])
        else:
            group = np.concatenate([mine[self.group], theirs[other.group]])
            if not np.all(np.diff(theirs) > 0):  # the other's codes moved out of order: its run is not sorted
                runs = None
        return Samples(union, group, np.concatenate([self.values, other.values]), runs)

    __radd__ = __add__

    def medians(self) -> np.ndarray:
        """Median seconds per key (mean of the two middle values), NaN for a key without values."""
        if self.runs is None:
            return group_medians(self.group, self.values, len(self.index)) / 1e9
        counts = self.sizes()
        low, high = self._kth((counts + 1) // 2), self._kth(counts // 2 + 1)
        return (low.astype(np.float64) + high.astype(np.float64)) / 2 / 1e9

    def sizes(self) -> np.ndarray:
        """Values per key."""
        return np.bincount(self.group, minlength=len(self.index))

    def values_at(self, ranks: np.ndarray) -> np.ndarray:
        """Seconds of each key's ``ranks[key]``-th smallest value (from 1); NaN where the rank is outside 1..count."""
        counts = self.sizes()
        inside = (ranks >= 1) & (ranks <= counts)
        if self.runs is None:
            ordered = self.values[np.lexsort((self.values, self.group))]
            out = np.full(len(self.index), np.nan)
            out[inside] = ordered[(np.cumsum(counts) - counts + ranks - 1)[inside]] / 1e9
            return out
        return self._kth(np.where(inside, ranks, 0)) / 1e9

    def _kth(self, ranks: np.ndarray) -> np.ndarray:
        """Each key's ``ranks[key]``-th smallest value (ns, from 1) from the sorted runs; NaN for rank 0."""
        assert self.runs is not None
        n = len(self.index)
        bounds = (0, *self.runs)
        if len(self.runs) > 2:  # more than two sorted runs: sort them into one
            return Samples.sorted(self.index, self.group, self.values)._kth(ranks)
        runs = [slice(begin, end) for begin, end in zip(bounds[:-1], bounds[1:])]
        sizes = [np.bincount(self.group[run], minlength=n) for run in runs]
        starts = [bounds[i] + np.cumsum(size) - size for i, size in enumerate(sizes)]
        out = np.full(n, np.nan)
        if len(runs) == 1:
            has = (ranks >= 1) & (ranks <= sizes[0])
            out[has] = self.values[(starts[0] + ranks - 1)[has]]
            return out
        return _kth_of_two(self.values, starts, sizes, ranks, out)


def _kth_of_two(values: np.ndarray, starts: list, sizes: list, ranks: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Per key, the ``ranks``-th smallest of the union of two sorted runs of ``values`` (NaN for rank 0).

    For each key, the binary search looks for how many of the rank's smallest values come from the first
    run: the fewest ``i`` whose ``i``-th value of the first run is not below the ``(rank - i)``-th of the
    second. All keys are searched together, one step for all of them at a time.
    """
    (a_start, b_start), (m, n) = starts, sizes
    k = ranks.astype(np.int64)
    has = (k >= 1) & (k <= m + n)
    lo, hi = np.maximum(0, k - n), np.minimum(k, m)
    while True:
        active = has & (lo < hi)
        if not active.any():
            break
        i = (lo + hi) // 2
        j = k - i
        # Too few from the first run when its i-th value (from 0) is below the second run's (j - 1)-th.
        a_i = values[np.where(active, a_start + np.minimum(i, np.maximum(m - 1, 0)), 0)]
        b_j = values[np.where(active & (j > 0), b_start + j - 1, 0)]
        more = active & (i < m) & (j > 0) & (a_i < b_j)
        lo = np.where(more, i + 1, lo)
        hi = np.where(active & ~more, i, hi)
    j = k - lo
    from_a = np.where(has & (lo > 0), values[np.where(has & (lo > 0), a_start + lo - 1, 0)], np.iinfo(np.int64).min)
    from_b = np.where(has & (j > 0), values[np.where(has & (j > 0), b_start + j - 1, 0)], np.iinfo(np.int64).min)
    out[has] = np.maximum(from_a, from_b)[has]
    return out


def sort_by_group(group: np.ndarray, values: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """``group`` and non-negative int64 ``values`` sorted by group, then value.

    One sort of ``group << bits | value`` (values in the coarsest unit that holds them all) when that fits in
    63 bits, the groups and values then read back from it; otherwise a lexsort.
    """
    from ..io.events import common_unit

    if not len(values):
        return group.astype(np.int64), values.astype(np.int64)
    unit = common_unit(values)
    value_bits = max((int(values.max()) // unit).bit_length(), 1)
    if value_bits + max(int(n_groups - 1).bit_length(), 1) > 63:
        order = np.lexsort((values, group))
        return group[order].astype(np.int64), values[order].astype(np.int64)
    ordered = group.astype(np.int64) << value_bits
    ordered |= values // unit
    ordered.sort()
    sorted_group = ordered >> value_bits
    ordered &= (1 << value_bits) - 1
    ordered *= unit
    return sorted_group, ordered


@dataclass
class LogHistogram:
    """Counts of values per key on log-spaced bins (ratio :data:`BIN_RATIO`, plus an exact bin for 0).

    Its size is bounded by keys x bins whatever the number of values, so it merges cheaply across the
    parts of a distributed log; a median read from it is within :data:`MEDIAN_RELATIVE_ERROR` of the exact one.
    """

    index: pd.Index
    cells: np.ndarray  # distinct group * N_TIME_BINS + bin, sorted
    counts: np.ndarray

    @classmethod
    def of(cls, index: pd.Index, group: np.ndarray, values_ns: np.ndarray) -> LogHistogram:
        cells, counts = np.unique(group.astype(np.int64) * N_TIME_BINS + time_bins(values_ns / 1e9), return_counts=True)
        return cls(index, cells, counts)

    def __add__(self, other: LogHistogram | None) -> LogHistogram:
        if other is None:
            return self
        union, mine, theirs = aligned(self.index, other.index)
        moved = theirs[other.cells // N_TIME_BINS] * N_TIME_BINS + other.cells % N_TIME_BINS
        mine_cells = mine[self.cells // N_TIME_BINS] * N_TIME_BINS + self.cells % N_TIME_BINS
        cells, inverse = np.unique(np.concatenate([mine_cells, moved]), return_inverse=True)
        counts = np.bincount(inverse, weights=np.concatenate([self.counts, other.counts]), minlength=len(cells))
        return LogHistogram(union, cells, counts.astype(np.int64))

    __radd__ = __add__

    def medians(self) -> np.ndarray:
        """Median seconds per key from the merged bins (geometric middle of the median's bin); NaN if empty."""
        out = np.full(len(self.index), np.nan)
        total = np.bincount(self.cells // N_TIME_BINS, weights=self.counts, minlength=len(self.index)).astype(np.int64)
        has = total > 0
        # Cells are sorted by key, then bin: the running count over all cells reaches a key's k-th value in
        # the cell where it passes (values of earlier keys) + k.
        running = np.cumsum(self.counts)
        before = (np.cumsum(total) - total)[has]
        bins = self.cells % N_TIME_BINS
        low = bins[np.searchsorted(running, before + (total[has] + 1) // 2, side="left")]
        high = bins[np.searchsorted(running, before + total[has] // 2 + 1, side="left")]
        out[has] = (_bin_middle(low) + _bin_middle(high)) / 2
        return out

    def sizes(self) -> np.ndarray:
        """Values per key."""
        return np.bincount(self.cells // N_TIME_BINS, weights=self.counts, minlength=len(self.index)).astype(np.int64)

    def values_at(self, ranks: np.ndarray) -> np.ndarray:
        """Seconds of each key's ``ranks[key]``-th smallest value (from 1), read from its bin (within
        :data:`MEDIAN_RELATIVE_ERROR`); NaN where the rank is outside 1..count.
        """
        total = self.sizes()
        inside = (ranks >= 1) & (ranks <= total)
        out = np.full(len(self.index), np.nan)
        before = (np.cumsum(total) - total)[inside]
        at = np.searchsorted(np.cumsum(self.counts), before + ranks[inside], side="left")
        out[inside] = _bin_middle(self.cells[at] % N_TIME_BINS)
        return out


def timings(index: pd.Index, group: np.ndarray, values_ns: np.ndarray, exact: bool) -> Samples | LogHistogram:
    """Times per key: every value when ``exact`` (one part: exact medians), else a :class:`LogHistogram`."""
    if exact:
        return Samples.sorted(index, group.astype(np.int64, copy=False), values_ns.astype(np.int64, copy=False))
    return LogHistogram.of(index, group, values_ns)


def time_bins(seconds: np.ndarray) -> np.ndarray:
    """Histogram bin of each time (seconds): 0 for no time at all, then log-spaced bins of ratio BIN_RATIO."""
    with np.errstate(divide="ignore"):
        index = np.floor(np.log(np.maximum(seconds, LOWEST_SECONDS) / LOWEST_SECONDS) / np.log(BIN_RATIO))
    return np.where(seconds <= 0, 0, np.clip(index.astype(np.int64) + 1, 1, N_BINS))


def _bin_middle(b: np.ndarray) -> np.ndarray:
    return np.where(b == 0, 0.0, LOWEST_SECONDS * BIN_RATIO ** (b - 1 + 0.5))


def group_medians(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Exact median of non-negative int64 ``values`` per group (mean of the two middle values); NaN if empty.

    The values are put in order by :func:`sort_by_group` (one sort of packed values where they fit in 63
    bits, so any timestamp resolution stays exact), then each group's middle ones are read.
    """
    medians = np.full(n_groups, np.nan)
    if len(values) == 0:
        return medians
    _, ordered = sort_by_group(group, values, n_groups)
    counts = np.bincount(group, minlength=n_groups)
    _middle(ordered, counts, np.cumsum(counts) - counts, medians)
    return medians


def _middle(ordered: np.ndarray, counts: np.ndarray, first: np.ndarray, out: np.ndarray) -> None:
    """Into ``out``: the median of each group's run of ``ordered`` (starting at ``first``)."""
    has = counts > 0
    low = ordered[(first + (counts - 1) // 2)[has]].astype(np.float64)
    high = ordered[(first + counts // 2)[has]].astype(np.float64)
    out[has] = (low + high) / 2
