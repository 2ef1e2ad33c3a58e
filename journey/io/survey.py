"""Survey answers: read and validated with the same standards as event logs."""

from __future__ import annotations

import os
import warnings
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd

from ..errors import (
    EmptyLogError,
    InvalidValuesError,
    JourneyError,
    JourneyWarning,
    MissingColumnError,
    option,
    quote_rows,
)
from ..stats.proportions import check_scores, score_reason
from .events import (
    DEFAULT_NAMES,
    check_separator,
    check_time_options,
    dropped_table,
    empty_dropped,
    load_table,
    parse_times,
    refuse_duplicate_columns,
    resolve_column,
)

__all__ = ["read_survey", "survey_problems"]

#: What a survey may be read from: a CSV or Parquet file, or a DataFrame (never modified).
SurveySource: TypeAlias = "str | os.PathLike[str] | pd.DataFrame"


def read_survey(
    source: SurveySource,
    *,
    user: str = "user_id",
    score: str = "score",
    time: str | None = "timestamp",
    tz: str = "UTC",
    on_invalid: Literal["raise", "drop"] = "raise",
    encoding: str = "utf-8",
    sep: str | None = None,
    time_format: str | None = None,
) -> pd.DataFrame:
    """Read survey answers (0-10 scores) with the same standards as :func:`journey.read_events`.

    Parameters
    ----------
    source : str, os.PathLike or pandas.DataFrame
        A ``.csv``, ``.csv.gz`` or ``.parquet`` file, or a DataFrame (which is never modified).
    user : str
        The column of customer ids, matched with the ``user`` of the event log.
    score : str
        The column of 0-10 answers; empty cells are unanswered questions, kept as missing.
    time : str or None
        The column of answer times, used to find each customer's latest answer. The default ``"timestamp"``
        is used when the input has that column and ignored when it has not (answers then count in row
        order); any other name must be a column of the input. ``None`` ignores every time column.
    tz : str
        Time zone of answer times that carry no UTC offset.
    on_invalid : {"raise", "drop"}
        ``"raise"`` (default): a missing user, a score that is not a whole number from 0 to 10, or an
        unreadable time raises :class:`~journey.errors.InvalidValuesError`. ``"drop"``: such rows are
        dropped with a :class:`~journey.errors.JourneyWarning` that quotes the first few;
        :func:`survey_problems` lists every one.
    encoding : str
        Text encoding of CSV files.
    sep : str, optional
        The field separator of CSV files (``";"``, ``"\\t"``); by default it is detected from the header
        line, as :func:`journey.read_events` does.
    time_format : str, optional
        How answer times are written when they are not ISO 8601 (``"%d/%m/%Y %H:%M"``), as in
        :func:`journey.read_events`.

    Returns
    -------
    pandas.DataFrame
        The answers as data, not an analysis: ``user``, ``score`` (nullable integer; missing = unanswered),
        ``time`` (UTC; only when a time column was used) and the other input columns unchanged, in input
        order, indexed from 0.

    Raises
    ------
    MissingColumnError
        When ``user``, ``score`` or a named ``time`` column is not in the input.
    InvalidValuesError
        For invalid rows with ``on_invalid="raise"``, naming the column, the rows and their values.
    JourneyError
        When an input column other than the user, score or time column is named ``user``, ``score`` or
        ``time`` (it would be overwritten), or ``on_invalid`` is neither ``"raise"`` nor ``"drop"``.
    EmptyLogError
        When every row is invalid and ``on_invalid="drop"``.

    Warns
    -----
    JourneyWarning
        With ``on_invalid="drop"``, when rows are dropped.

    See Also
    --------
    survey_problems : every invalid row, with its column, reason and value.
    journey.nps_by_touchpoint, journey.nps_by_outcome : answers linked to journeys.

    Notes
    -----
    The dropped rows are not attached to the returned frame (``DataFrame.attrs`` does not survive most
    pandas operations); :func:`survey_problems` with the same arguments lists them, the table
    ``EventLog.dropped`` holds for events.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"user_id": ["a", "b"], "nps": ["9", None], "plan": ["pro", "free"]})
    >>> read_survey(answers, score="nps")
      user  score  plan
    0    a      9   pro
    1    b   <NA>  free
    """
    if on_invalid not in ("raise", "drop"):
        raise JourneyError(f'on_invalid must be "raise" or "drop", not {on_invalid!r}')
    raw, description, names, frame, problems = _validated(source, user, score, time, tz, encoding, sep, time_format)
    if not problems:
        return frame
    if on_invalid == "raise":
        rows, column, reason, values = problems[0]
        raise InvalidValuesError(
            column,
            reason,
            rows.tolist(),
            values.tolist(),
            f"Fix them, or pass {option('on_invalid', 'drop')} to drop them "
            f"(journey.survey_problems lists every invalid row).",
        )
    dropped = dropped_table(problems)
    kept = frame.drop(index=dropped["row"].unique()).reset_index(drop=True)
    if kept.empty:
        raise EmptyLogError(f"{description}: every one of the {len(raw):,} rows is invalid")
    warnings.warn(
        f"dropped {len(frame) - len(kept):,} of {len(frame):,} rows of {description}: "
        + "; ".join(
            f"{reason} in {column!r}: {quote_rows(rows.tolist(), values.tolist())}"
            for rows, column, reason, values in problems
        )
        + "; journey.survey_problems lists each one",
        JourneyWarning,
        stacklevel=2,
    )
    return kept


def survey_problems(
    source: SurveySource,
    *,
    user: str = "user_id",
    score: str = "score",
    time: str | None = "timestamp",
    tz: str = "UTC",
    encoding: str = "utf-8",
    sep: str | None = None,
    time_format: str | None = None,
) -> pd.DataFrame:
    """Every row of a survey that :func:`read_survey` refuses or drops, and why.

    Parameters
    ----------
    source, user, score, time, tz, encoding
        As for :func:`read_survey`.

    Returns
    -------
    pandas.DataFrame
        ``row`` (input row from 0), ``column`` (as named in the input), ``reason`` and ``value``, one line per
        problem (a row with two problems has two), sorted by row. Empty when every row is valid.

    Raises
    ------
    MissingColumnError
        When ``user``, ``score`` or a named ``time`` column is not in the input.

    See Also
    --------
    read_survey

    Examples
    --------
    >>> import pandas as pd
    >>> survey_problems(pd.DataFrame({"user_id": ["a", None, "c"], "score": [9, 8, 11]}))
       row   column                                          reason value
    0    1  user_id                                  missing values   NaN
    1    2    score  values that are not whole numbers from 0 to 10    11
    """
    *_, problems = _validated(source, user, score, time, tz, encoding, sep, time_format)
    return dropped_table(problems) if problems else empty_dropped()


def _validated(
    source: SurveySource,
    user: str,
    score: str,
    time: str | None,
    tz: str,
    encoding: str,
    sep: str | None = None,
    time_format: str | None = None,
) -> tuple[pd.DataFrame, str, dict[str, str], pd.DataFrame, list]:
    """(input, its description, role -> input column, the answers with bad values blanked, the problems)."""
    check_separator(sep)
    check_time_options(None, time_format)
    # The time column is optional, so it is resolved after loading, not by the loader that insists on it.
    raw, description = load_table(source, {"user": user, "score": score, "time": None}, encoding, sep)
    refuse_duplicate_columns(raw.columns, description)
    names = {"user": resolve_column("user", user, raw.columns), "score": resolve_column("score", score, raw.columns)}
    chosen = _time_column(time, raw.columns)
    if chosen is not None:
        names["time"] = chosen
    for role in ("user", "score", "time"):
        if role in raw.columns and names.get(role) != role:
            raise JourneyError(
                f"column {role!r} is in the input but is not the {role} column; read_survey stores "
                f"the {role} as {role!r}, so rename the input column first"
            )
    problems: list = []
    users = raw[names["user"]]
    if users.isna().any():
        rows = np.flatnonzero(users.isna().to_numpy())
        problems.append((rows, names["user"], "missing values", users.iloc[rows]))
    scores = _scores(raw[names["score"]], names["score"], problems)
    frame = pd.DataFrame({"user": users.array, "score": scores.array}, copy=False)
    if chosen is not None:
        frame["time"] = parse_times(raw[chosen], chosen, tz, None, problems, time_format).array
    for column in raw.columns:
        if column not in names.values():
            frame[column] = raw[column].array
    return raw, description, names, frame, problems


def _time_column(time: str | None, columns: pd.Index) -> str | None:
    """The time column to use: ``time`` when present; the default name may be absent (then none is used)."""
    if time is None:
        return None
    try:
        return resolve_column("time", time, columns)
    except MissingColumnError:
        if time == DEFAULT_NAMES["time"]:
            return None
        raise


def _scores(values: pd.Series, column: str, problems: list) -> pd.Series:
    series, numbers, bad, _ = check_scores(values, 0, 10)
    if bad.any():
        rows = np.flatnonzero(bad)
        problems.append((rows, column, score_reason(0, 10), series.iloc[rows]))
    return pd.Series(np.where(bad, np.nan, numbers)).astype("Int64")
