"""Work on both cores of a large log: numpy and Arrow release the GIL in their loops, so threads share it.

Only whole-array kernels (sorts, gathers, element-wise arithmetic, hashing) run on the threads; Python
code in between stays on one. Results never depend on the split: each thread writes its own rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

#: Threads a large log's work is split over.
THREADS = 2


def in_parallel(*tasks: Callable[[], Any]) -> list:
    """Results of the ``tasks`` (callables), in order, run on :data:`THREADS` threads."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(THREADS) as pool:
        return [future.result() for future in [pool.submit(task) for task in tasks]]


def map_parallel(work: Callable[[T], Any], items: Iterable[T]) -> list:
    """``[work(item) for item in items]``, the items taken in turn by :data:`THREADS` threads (a single
    item on this thread).
    """
    from concurrent.futures import ThreadPoolExecutor

    items = list(items)
    if len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(work, items))


def row_halves(n: int) -> list[slice]:
    """``range(n)`` cut into one slice per thread."""
    cuts = [n * i // THREADS for i in range(THREADS + 1)]
    return [slice(begin, end) for begin, end in zip(cuts[:-1], cuts[1:])]


def take(values: np.ndarray, rows: np.ndarray, dtype: Any = None) -> np.ndarray:
    """``values[rows].astype(dtype)``: each thread gathers a slice of ``rows`` (a large log only).

    A gather through a permutation of a large log misses the cache on almost every row; two threads wait
    on memory together, in about half the time.
    """
    out = np.empty(len(rows), dtype=values.dtype if dtype is None else dtype)
    if len(rows) <= 1_000_000:
        out[:] = values[rows]
        return out

    def gather(part: slice) -> None:
        out[part] = values[rows[part]]

    map_parallel(gather, row_halves(len(rows)))
    return out
