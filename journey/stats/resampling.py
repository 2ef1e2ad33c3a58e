"""When a percentile bootstrap interval can be trusted: the counts below which `journey` warns.

A percentile bootstrap resamples what was observed, so with few independent units its replicates cannot
reach values the sample did not show, and its interval is too narrow. The minimums here come from the
coverage measured in the package's tests (exact enumeration for the NPS, simulation for the Markov model):
below them the interval covers the truth clearly less often than its level promises, and the analysis
says so with a :class:`~journey.errors.JourneyWarning` naming what is short of units and its count.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from ..errors import JourneyWarning

__all__ = ["MIN_BOOTSTRAP_ANSWERS", "MIN_BOOTSTRAP_JOURNEYS", "warn_few"]

#: Answers an NPS needs before its percentile bootstrap interval holds its level. Exact coverage of the
#: 95% interval, averaged over true shares on a grid of 0.05: 0.88 at n = 10, 0.93 at 20, 0.94 at 30,
#: 0.95 at 40 (tests/test_nps.py).
MIN_BOOTSTRAP_ANSWERS = 30

#: Journeys through a touchpoint that its Markov bootstrap intervals need. In simulated chains the 95%
#: interval of the conversion probability covered the truth for 61% of touchpoints visited by at most 5
#: journeys, 91% for 6-20 and 95% above 20 (tests/test_markov.py).
MIN_BOOTSTRAP_JOURNEYS = 20

#: How many short groups a warning names before "and N more".
SHOWN = 5


def warn_few(
    counts: Sequence[int],
    minimum: int,
    units: str,
    what: str,
    *,
    names: Sequence[str] | None = None,
    kind: str = "groups",
    stacklevel: int = 3,
) -> None:
    """Warn when a count of independent ``units`` behind a bootstrap interval is below ``minimum``.

    ``what`` says whose interval it is (``"the NPS bootstrap interval"``). With ``names``, one count per
    named group (of ``kind``, e.g. ``"touchpoints"``), the warning names each group that is short, with its
    count. Nothing happens when every count reaches the minimum.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_few([12], 30, "answers", "the NPS bootstrap interval")
    ...     warn_few([12, 400], 30, "journeys", "the Markov bootstrap intervals", names=["help", "ad"],
    ...              kind="touchpoints")
    >>> for w in caught:
    ...     print(w.message)
    the NPS bootstrap interval rests on 12 answers, fewer than 30: a percentile bootstrap interval covers the truth less often than its level promises below that
    the Markov bootstrap intervals: 1 of 2 touchpoints have fewer than 30 journeys: 'help' (n = 12); a percentile bootstrap interval covers the truth less often than its level promises below that
    """
    short = [(i, int(count)) for i, count in enumerate(counts) if count < minimum]
    if not short:
        return
    why = "a percentile bootstrap interval covers the truth less often than its level promises below that"
    if names is None:
        found = ", ".join(f"{count:,}" for _, count in short)
        text = f"{what} rests on {found} {units}, fewer than {minimum}: {why}"
    else:
        shown = ", ".join(f"{names[i]!r} (n = {count:,})" for i, count in short[:SHOWN])
        more = f" and {len(short) - SHOWN:,} more" if len(short) > SHOWN else ""
        text = (
            f"{what}: {len(short):,} of {len(counts):,} {kind} have fewer than {minimum} {units}: {shown}{more}; {why}"
        )
    warnings.warn(text, JourneyWarning, stacklevel=stacklevel)
