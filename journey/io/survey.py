"""Survey answers: read and validated with the same standards as event logs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import InvalidValuesError, JourneyError, JourneyWarning
from ..stats.proportions import check_scores, score_reason
from .events import drop_advice, dropped_table, empty_dropped, load_table, parse_times, resolve_column

__all__ = ["read_survey"]


def read_survey(source, *, user: str = "user_id", score: str = "score", time: str | None = None,
                tz: str = "UTC", on_invalid: str = "raise", encoding: str = "utf-8") -> pd.DataFrame:
    """Read survey answers (0-10 scores) with the same standards as :func:`journey.read_events`.

    Returns
    -------
    pandas.DataFrame
        ``user``, ``score`` (nullable integer; missing = unanswered), [``time`` (UTC)] and the other
        columns unchanged, in input order. With ``on_invalid="drop"``, rows with a missing user, a score
        that is not a whole number from 0 to 10, or an unreadable time are dropped with a warning and listed
        in ``result.attrs["dropped"]``.

    Examples
    --------
    >>> import pandas as pd
    >>> read_survey(pd.DataFrame({"user_id": ["a", "b"], "nps": ["9", None]}), score="nps")["score"].tolist()
    [9, <NA>]
    """
    if on_invalid not in ("raise", "drop"):
        raise JourneyError(f'on_invalid must be "raise" or "drop", not {on_invalid!r}')
    raw, description = load_table(source, {"user": user, "score": score, "time": time}, encoding)
    names = {role: resolve_column(role, name, raw.columns) for role, name in
             (("user", user), ("score", score), ("time", time)) if name is not None}
    problems: list = []
    users = raw[names["user"]]
    if users.isna().any():
        rows = np.flatnonzero(users.isna().to_numpy())
        problems.append((rows, names["user"], "missing values", users.iloc[rows]))
    scores = _scores(raw[names["score"]], names["score"], problems)
    frame = pd.DataFrame({"user": users.array, "score": scores.array}, copy=False)
    if time is not None:
        frame["time"] = parse_times(raw[names["time"]], names["time"], tz, None, problems).array
    for column in raw.columns:
        if column not in names.values():
            frame[column] = raw[column].array
    frame.attrs["dropped"] = dropped_table(problems) if problems else empty_dropped()
    if not problems:
        return frame
    if on_invalid == "raise":
        rows, column, reason, values = problems[0]
        raise InvalidValuesError(column, reason, rows.tolist(), values.tolist(),
                                 drop_advice('.attrs["dropped"]'))
    dropped = frame.attrs["dropped"]
    kept = frame.drop(index=dropped["row"].unique()).reset_index(drop=True)
    kept.attrs["dropped"] = dropped
    warnings.warn(f"dropped {len(frame) - len(kept):,} of {len(frame):,} rows of {description}; "
                  f'.attrs["dropped"] lists each one', JourneyWarning, stacklevel=2)
    return kept


def _scores(values: pd.Series, column: str, problems: list) -> pd.Series:
    series, numbers, bad, _ = check_scores(values, 0, 10)
    if bad.any():
        rows = np.flatnonzero(bad)
        problems.append((rows, column, score_reason(0, 10), series.iloc[rows]))
    return pd.Series(np.where(bad, np.nan, numbers)).astype("Int64")
