"""``journey report``: the standard analysis of an analyst's own files, as a notebook, HTML and CSV.

A template notebook shipped in the package (``journey/report/templates/report.ipynb``) is executed with papermill
(its ``parameters`` cell receives the file paths, column names and goal), then converted to HTML with the
code hidden and pictures embedded. The notebook writes ``journey_map.png`` and the main tables as CSV.

Output is safe to open: names are escaped in HTML (every table and display escapes its text), and CSV
cells that a spreadsheet would run as a formula are neutralised (see :func:`safe_csv`).
"""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import JourneyError

__all__ = ["run_report", "safe_csv", "ReportError", "TEMPLATE", "FORMULA_STARTS"]

TEMPLATE = Path(__file__).parent / "templates" / "report.ipynb"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    r"""Write ``frame`` as CSV that no spreadsheet or line-based reader takes for a formula.

    A text cell, column name or index label whose text starts with one of :data:`FORMULA_STARTS` (``=``,
    ``+``, ``-``, ``@``, a tab, a carriage return) gets a ``'`` in front, as OWASP advises; so does each
    line inside a cell, since a reader that splits at carriage returns would start a row there. Text and
    categorical columns are checked; numbers are left alone (a negative number is data, not a formula).
    Lines end in CRLF (RFC 4180), so that a cell holding a line break of either kind is quoted.

    To read a name back exactly, remove the ``'`` before a formula character at the start of the cell or
    just after a line break in it. A lone surrogate (not a character; UTF-8 cannot hold it) is written as
    U+FFFD.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> path = safe_csv(pd.DataFrame({"name": ["=HYPERLINK(1)", "home", "a\r=2+2"], "x": [-1, 2, 3]}),
    ...                 pathlib.Path(tempfile.mkdtemp()) / "t.csv")
    >>> path.read_bytes().split(b"\r\n")
    [b'name,x', b"'=HYPERLINK(1),-1", b'home,2', b'"a\r\'=2+2",3', b'']
    """
    path = Path(path)
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            safe[column] = values.map(_neutralise)
    safe.columns = _neutral_index(safe.columns)
    keep_index = not isinstance(safe.index, pd.RangeIndex)
    if keep_index:
        safe.index = _neutral_index(safe.index)
    safe.to_csv(path, index=keep_index, lineterminator="\r\n")
    return path


def _neutral_index(index: pd.Index) -> pd.Index:
    """Labels and names of an index (or of the columns) neutralised like cells."""
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples(
            [tuple(map(_neutralise, labels)) for labels in index], names=[_neutralise(n) for n in index.names]
        )
    return pd.Index([_neutralise(v) for v in index], name=_neutralise(index.name), tupleize_cols=False)


# Half of a UTF-16 pair, which UTF-8 cannot hold: written as U+FFFD.
_SURROGATE = re.compile("[\ud800-\udfff]")
# A formula character at the start of the text or just after a line break inside it.
_FORMULA_AT_LINE_START = re.compile("(^|[\r\n])(?=[" + re.escape("".join(FORMULA_STARTS)) + "])")


def _neutralise(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", _FORMULA_AT_LINE_START.sub(r"\1'", value))
    if isinstance(value, tuple):
        return _neutralise(" > ".join(map(str, value)))
    return value


def run_report(
    events: str | os.PathLike[str] | None = None,
    *,
    survey: str | os.PathLike[str] | None = None,
    orders: str | os.PathLike[str] | None = None,
    goal: str | None = None,
    user: str = "user_id",
    time: str = "timestamp",
    event: str = "event",
    score: str = "nps",
    orders_user: str | None = None,
    out: str | os.PathLike[str] = "report",
    progress: bool = True,
) -> Path:
    """Run the standard report and return the folder it wrote.

    Parameters
    ----------
    events, survey, orders : str or path, optional
        The event log, survey answers and orders files. With no ``events`` the bundled sample is analysed
        (all three files, goal ``purchase``).
    goal : str, optional
        The conversion event; drop-offs and the Markov model need one.
    user, time, event : str
        Column names of the event log (``user`` and ``time`` are also used for the survey and the orders).
    score : str
        The survey's 0-10 score column.
    orders_user : str, optional
        The orders' customer column when it is not named like the log's (default: ``user``; ``customer_id``
        is recognised when ``user_id`` is absent).
    out : str or path
        The folder to write (created if needed).
    progress : bool
        Show papermill's progress bar.

    Returns
    -------
    pathlib.Path
        The folder, holding ``report.ipynb``, ``report.html`` (code hidden, pictures embedded),
        ``journey_map.png`` and CSV tables (``nodes``, ``edges``, ``path_variants``, and with a goal
        ``drop_off``, ``markov``; with a survey ``nps_by_touchpoint``; with orders ``repeat_rate``).

    Raises
    ------
    JourneyError
        Inputs are read and validated here first, so bad input raises before any notebook starts; papermill
        or nbconvert missing (the ``notebooks`` extra: ``pip install 'journey[notebooks]'``) is named in one line.
    ReportError
        A cell of the notebook failed (or its kernel died): the message names the cell and the error,
        and the notebook written so far shows the traceback.
    """
    from ..extras import require
    from ..io.events import read_events

    papermill = require("papermill", "notebooks", "journey report")
    HTMLExporter = require("nbconvert", "notebooks", "journey report").HTMLExporter
    from nbclient.exceptions import DeadKernelError  # installed with nbconvert and papermill

    out = Path(out)
    if events is None:
        from ..datasets import sample_path

        events, survey, orders = (str(sample_path(table)) for table in ("events", "survey", "orders"))
        goal = "purchase" if goal is None else goal
        user, time, event, score, orders_user = "user_id", "timestamp", "event", "nps", None
    log = read_events(events, user=user, time=time, event=event)  # validates: errors surface here, in one line
    if goal is not None and goal not in log.events:
        from ..errors import UnknownEventError

        raise UnknownEventError("goal", goal, log.events)
    if survey is not None:
        from ..io.survey import read_survey

        read_survey(survey, user=user, score=score)
    if orders is not None:
        from ..io.orders import read_orders

        read_orders(orders, user=orders_user or user, time=time)
    out.mkdir(parents=True, exist_ok=True)
    parameters = {
        "events_path": str(Path(events).resolve()),
        "survey_path": _resolved(survey),
        "orders_path": _resolved(orders),
        "goal": goal,
        "user": user,
        "time": time,
        "event": event,
        "score": score,
        "orders_user": orders_user or user,
        "out_dir": str(out.resolve()),
    }
    notebook = out / "report.ipynb"
    try:
        papermill.execute_notebook(
            str(TEMPLATE),
            str(notebook),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=progress,
            cwd=str(out.resolve()),
        )
    except papermill.PapermillExecutionError as exc:  # a cell failed: its error, not the kernel's traceback
        raise ReportError(_stopped(exc, notebook)) from None
    except DeadKernelError:  # the kernel was killed, most often for lack of memory
        raise ReportError(
            f"the report's Python kernel died while running {notebook} (out of memory?); {_LIGHTER}"
        ) from None
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_filename(str(notebook))
    (out / "report.html").write_text(body, encoding="utf-8")
    return out


class ReportError(JourneyError):
    """The report notebook stopped: which cell, why, and what to do."""


_LIGHTER = (
    "analyse fewer touchpoints (group rare pages into one event) or a sample of customers, or run the "
    "analyses one by one in Python"
)


def _stopped(exc: Any, notebook: Path) -> str:
    """One line for a failed report cell: where, the error, what to do (a JourneyError already says it)."""
    first = next((line for line in str(exc.source).splitlines() if line.strip() and not line.startswith("#")), "")
    where = f"the report stopped at cell {exc.exec_count} ({textwrap.shorten(first, 80)}) of {notebook}"
    if exc.ename == "MemoryError":
        return f"{where}: out of memory; {_LIGHTER}"
    return f"{where}: {exc.ename}: {textwrap.shorten(str(exc.evalue), 400)}"


def _resolved(path: str | os.PathLike[str] | None) -> str | None:
    return None if path is None else str(Path(path).resolve())
