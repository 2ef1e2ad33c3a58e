"""``journey report``: the standard analysis of an analyst's own files, as a document, a notebook and CSV.

A template notebook shipped in the package (``journey/report/templates/report.ipynb``) is executed with papermill
(its ``parameters`` cell receives the settings: file paths, column names, goal), then converted to HTML with
the ``journey`` nbconvert template (``journey/report/templates/journey/``): a document with a title, the
findings in sentences with their intervals, pictures with alt text and formatted tables, code hidden, nothing
fetched from the network. The wording lives in :mod:`journey.report.document`. The notebook writes
``journey_map.png`` and the main tables as CSV.

Output is safe to open: names are escaped in HTML (every table and display escapes its text), and CSV
cells that a spreadsheet would run as a formula are neutralised (see :func:`safe_csv`).
"""

from __future__ import annotations

import os
import re
import textwrap
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import JourneyError, JourneyWarning, MissingColumnError, SourceError, UnknownEventError, option
from ..io.aliases import Duration, Unit
from ..io.events import EventLog, OnInvalid, TimeUnit

__all__ = [
    "run_report",
    "read_inputs",
    "report_title",
    "to_html",
    "safe_csv",
    "ReportError",
    "ReportInputs",
    "TEMPLATE",
    "FORMULA_STARTS",
]

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = TEMPLATES / "report.ipynb"
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
    funnel: Sequence[str] | None = None,
    user: str = "user_id",
    time: str = "timestamp",
    event: str = "event",
    tz: str = "UTC",
    time_unit: TimeUnit | None = None,
    time_format: str | None = None,
    encoding: str = "utf-8",
    sep: str | None = None,
    on_invalid: OnInvalid = "raise",
    unit: Unit = "user",
    gap: Duration = "30min",
    min_share: float | None = 0.1,
    survey_user: str | None = None,
    survey_time: str | None = None,
    score: str = "nps",
    orders_user: str | None = None,
    orders_time: str | None = None,
    order_id: str | None = None,
    repeat_within: Duration | None = "90D",
    stages: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] = "report",
    progress: bool = True,
) -> Path:
    """Run the standard report and return the folder it wrote.

    Parameters
    ----------
    events, survey, orders : str or path, optional
        The event log, survey answers and orders files (``.csv``, ``.csv.gz`` or ``.parquet``). With none of
        them the bundled sample is analysed (all three files, goal ``purchase``); a survey or orders file
        without an event log is refused rather than reported next to the sample.
    goal : str, optional
        The conversion event; the conversion, drop-offs, the funnel and the Markov model need one.
    funnel : sequence of str, optional
        The funnel's steps; by default the commonest converting path from its most visited touchpoint.
    user, time, event : str
        Column names of the event log.
    tz, time_unit, time_format, encoding, sep, on_invalid
        How the files are read, as in :func:`journey.read_events` (``tz``, ``encoding`` and ``on_invalid``
        apply to the survey and the orders too; ``sep`` to the log only, theirs is recognised).
    unit : {"user", "session"}
        What one journey is; ``gap`` ends a session when the log has no session ids.
    gap : str or pandas.Timedelta
        Inactivity that ends a session with ``unit="session"``.
    min_share : float or None
        The journey map leaves out transitions below this share of their source's out-flow (None: none).
    survey_user, survey_time, score : str, optional
        The survey's customer, answer time and 0-10 score columns (default: as ``user``, ``timestamp``
        when present, ``nps``).
    orders_user, orders_time, order_id : str, optional
        The orders' customer, time and order id columns (default: as ``user`` and ``time``; ``customer_id``
        is recognised when ``user_id`` is absent; without ``order_id`` each row is one order).
    repeat_within : str or pandas.Timedelta or None
        Window after an order in which a next order counts as a repeat (default 90 days; None: ever).
    stages : mapping of str to list of str, or path, optional
        The journey's stages, in order, each with its touchpoints (as :func:`journey.experience_map` takes
        them), or a JSON or YAML file holding that mapping (see :func:`read_stages`). With stages the
        report gains a section "The journey in stages": reach, progression, time, NPS per stage and the
        pain points, with the swimlane picture.
    out : str or path
        The folder to write: new, empty, or one an earlier ``journey report`` wrote (its earlier files are
        replaced; files it did not write are left alone).
    progress : bool
        Show papermill's progress bar.

    Returns
    -------
    pathlib.Path
        The folder, holding ``report.html`` (a document: code hidden, pictures embedded, nothing fetched
        from the network), ``report.ipynb``, ``journey_map.png`` and CSV tables (``nodes``, ``edges``,
        ``path_variants``, ``churn``, ``retention``; with a goal ``drop_off``, ``markov``, ``funnel``; with
        a survey ``nps_by_touchpoint``; with orders ``repeat_rate``).

    Raises
    ------
    JourneyError
        Inputs are read and validated here first, so bad input raises before any notebook starts; papermill
        or nbconvert missing (the ``notebooks`` extra: ``pip install 'journey[notebooks]'``) is named in one line.
    ReportError
        ``out`` holds files ``journey report`` did not write, or a cell of the notebook failed (or its kernel
        died): the message names the cell and the error, and the notebook written so far shows the traceback.

    Warns
    -----
    JourneyWarning
        When fewer than half of the survey's respondents or of the orders' customers are in the event log
        (a wrong customer column, or files of different customers), and for rows dropped at read.
    """
    from ..extras import require

    papermill = require("papermill", "notebooks", "journey report")
    require("nbconvert", "notebooks", "journey report")
    from nbclient.exceptions import DeadKernelError  # installed with nbconvert and papermill

    if events is None:
        given = [name for name, path in (("survey", survey), ("orders", orders)) if path is not None]
        if given:
            raise JourneyError(
                f"{' and '.join(option(n) for n in given)} given without an event log: name the events file "
                f"too (the bundled sample is reported only when no file is given)"
            )
        from ..datasets import sample_path

        events, survey, orders = (str(sample_path(table)) for table in ("events", "survey", "orders"))
        goal = "purchase" if goal is None else goal
    settings: dict[str, Any] = {
        "events": str(Path(events).resolve()),
        "survey": _resolved(survey),
        "orders": _resolved(orders),
        "goal": goal,
        "funnel": None if funnel is None else list(funnel),
        "user": user,
        "time": time,
        "event": event,
        "tz": tz,
        "time_unit": time_unit,
        "time_format": time_format,
        "encoding": encoding,
        "sep": sep,
        "on_invalid": on_invalid,
        "unit": unit,
        "gap": str(gap),
        "min_share": min_share,
        "survey_user": survey_user or user,
        "survey_time": survey_time,
        "score": score,
        "orders_user": orders_user or user,
        "orders_time": orders_time or time,
        "order_id": order_id,
        "repeat_within": None if repeat_within is None else str(repeat_within),
        "stages": None if stages is None else read_stages(stages),
    }
    read_inputs(settings, warn=True)  # validates every file: errors surface here, in one line
    out = Path(out)
    folder = ReportFolder(out)
    folder.prepare()
    notebook = out / "report.ipynb"
    try:
        with _same_journey():
            papermill.execute_notebook(
                str(TEMPLATE),
                str(notebook),
                parameters={"settings": settings, "out_dir": str(out.resolve())},
                kernel_name="python3",
                progress_bar=progress,
                cwd=str(out.resolve()),
                # ipykernel warns on stderr that its local TCP sockets are unencrypted: noise to a reader.
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
        (out / "report.html").write_text(to_html(notebook, title=report_title(settings["events"])), encoding="utf-8")
    except papermill.PapermillExecutionError as exc:  # a cell failed: its error, not the kernel's traceback
        raise ReportError(_stopped(exc, notebook)) from None
    except DeadKernelError:  # the kernel was killed, most often for lack of memory
        raise ReportError(
            f"the report's Python kernel died while running {notebook} (out of memory?); {_LIGHTER}"
        ) from None
    finally:
        folder.seal()
    return out


@contextmanager
def _same_journey() -> Iterator[None]:
    """The report's kernel imports this very ``journey`` (a checkout run with ``python -m``, not another
    copy installed in the environment): its folder goes first on the kernel's ``PYTHONPATH``.
    """
    root = str(Path(__file__).resolve().parents[2])
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([root, *([before] if before else [])])
    try:
        yield
    finally:
        if before is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = before


def report_title(events: str | os.PathLike[str]) -> str:
    """The report's title: the events file by its name, never its folder.

    Examples
    --------
    >>> report_title("/home/ana/exports/shop events.csv")
    'Customer journeys: shop events.csv'
    """
    return f"Customer journeys: {Path(events).name}"


def to_html(notebook: str | os.PathLike[str], *, title: str) -> str:
    """The executed notebook as the report's HTML document, with the ``journey`` nbconvert template.

    Code, prompts and stderr are left out; pictures are embedded with their alt text; the page loads no
    script and fetches nothing (no require.js, MathJax or Mermaid from a CDN).
    """
    import nbformat
    from nbconvert import HTMLExporter

    book = nbformat.read(str(notebook), as_version=4)
    book.metadata["title"] = title
    for cell in book.cells:  # warnings are collected as the report's notes; stray stderr is not for readers
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")]
    exporter = HTMLExporter(
        template_name="journey",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(book)
    return body


@dataclass(frozen=True)
class ReportInputs:
    """The files of a report, read and validated: the log, the survey answers (as :func:`journey.read_survey`
    returns them) and the orders (as :func:`journey.read_orders` does, times in UTC: columns ``user``,
    ``time`` and, with an order id, ``order``), with each file's name.
    """

    log: EventLog
    survey: pd.DataFrame | None
    orders: pd.DataFrame | None
    names: dict[str, str | None]
    #: The settings with each column as found (``customer_id`` for ``orders_user`` when it stood in).
    settings: dict[str, Any]

    @property
    def order_columns(self) -> dict[str, str | None]:
        """The keywords that name the columns of :attr:`orders` (for :func:`journey.repeat_rate`)."""
        has_id = self.orders is not None and "order" in self.orders.columns
        return {"user": "user", "time": "time", "order_id": "order" if has_id else None}


#: Below this share of respondents or customers found in the event log, the report warns.
MIN_OVERLAP = 0.5


def read_stages(source: Mapping[str, Any] | str | os.PathLike[str]) -> dict[str, list[str]]:
    """The stages of a journey map: a mapping, or a JSON or YAML file of one, as ``{stage: [touchpoints]}``.

    The file holds one object whose keys are the stage names in the journey's order and whose values are a
    touchpoint or a list of them, e.g. ``{"discover": ["ad_click", "search"], "buy": ["cart", "purchase"]}``
    (JSON) or the same as YAML lines ``discover: [ad_click, search]`` (``.yaml``/``.yml``, read with PyYAML,
    which JupyterLab installs). The rules are :func:`journey.experience_map`'s: non-blank stage names, at
    least one touchpoint each, no touchpoint in two stages.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "stages.json"
    >>> _ = path.write_text(json.dumps({"discover": ["ad_click", "search"], "buy": "purchase"}))
    >>> read_stages(path)
    {'discover': ['ad_click', 'search'], 'buy': ['purchase']}
    """
    from ..analysis.experience import _checked_stages

    where = ""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        where = f"{option('stages', path.name)}: "
        if not path.is_file():
            raise JourneyError(f"{where}file does not exist (working directory: {Path.cwd()})")
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() in (".yaml", ".yml"):
            try:
                import yaml  # type: ignore[import-untyped]  # PyYAML comes with JupyterLab; its stubs do not
            except ImportError:
                raise JourneyError(
                    f"{where}reading YAML needs PyYAML: pip install pyyaml, or write the stages as JSON"
                ) from None
            try:
                source = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                line = f" at line {mark.line + 1}" if mark is not None else ""
                raise JourneyError(f"{where}not readable YAML{line} ({getattr(exc, 'problem', exc)})") from None
        else:
            import json

            try:
                source = json.loads(text)
            except json.JSONDecodeError as exc:
                raise JourneyError(f"{where}not readable JSON at line {exc.lineno} ({exc.msg})") from None
    if not isinstance(source, Mapping):
        raise JourneyError(
            f"{where}the stages are one mapping of stage names, in order, to their touchpoints, such as "
            f'{{"discover": ["ad_click", "search"], "buy": ["cart", "purchase"]}}; not {type(source).__name__}'
        )
    try:
        checked = _checked_stages(source)
    except JourneyError as exc:
        raise JourneyError(f"{where}{exc}") from None
    return {name: list(touchpoints) for name, touchpoints in checked}


def read_inputs(settings: dict[str, Any], *, warn: bool = False) -> ReportInputs:
    """Read the report's files as ``settings`` (see :func:`run_report`) names them; errors name the options.

    With ``warn``, a :class:`~journey.errors.JourneyWarning` says when fewer than half of the survey's
    respondents or of the orders' customers are in the event log.
    """
    from ..io.events import load_table, read_events
    from ..io.orders import CUSTOMER_FALLBACK, read_orders, user_column
    from ..io.survey import read_survey

    _check_options(settings)
    log = read_events(
        settings["events"],
        user=settings["user"],
        time=settings["time"],
        event=settings["event"],
        tz=settings["tz"],
        time_unit=settings["time_unit"],
        time_format=settings["time_format"],
        encoding=settings["encoding"],
        sep=settings["sep"],
        on_invalid=settings["on_invalid"],
    )
    assert isinstance(log, EventLog), "a file is read with the pandas engine"
    goal = settings["goal"]
    if goal is not None and goal not in log.events:
        raise UnknownEventError("goal", goal, log.events)
    for step in settings["funnel"] or []:
        if step not in log.events:
            raise UnknownEventError("funnel", step, log.events)
    if settings["funnel"] is not None and len(settings["funnel"]) < 2:
        raise JourneyError(f"{option('funnel')}: give at least two steps, not {settings['funnel']!r}")
    for touchpoints in (settings.get("stages") or {}).values():
        for touchpoint in touchpoints:
            if touchpoint not in log.events:
                raise UnknownEventError("stages", touchpoint, log.events)
    users = set(log.frame["user"].unique())
    survey = orders = None
    found = dict(settings)
    if settings["survey"] is not None:
        with _in_file("survey", settings["survey"], {"user": "survey_user", "time": "survey_time"}):
            survey = read_survey(
                settings["survey"],
                user=settings["survey_user"],
                score=settings["score"],
                time=settings["survey_time"] or "timestamp",
                tz=settings["tz"],
                on_invalid=settings["on_invalid"],
                encoding=settings["encoding"],
            )
        if warn:
            _warn_overlap(survey["user"], users, "survey respondents", settings["survey"], "survey_user")
    if settings["orders"] is not None:
        keywords = {"user": "orders_user", "time": "orders_time", "event": "order_id"}
        with _in_file("orders", settings["orders"], keywords):
            given = {"user": settings["orders_user"], "time": settings["orders_time"], "event": settings["order_id"]}
            if settings["orders_user"] == "user_id":
                given["customer"] = CUSTOMER_FALLBACK
            raw, _ = load_table(settings["orders"], given, settings["encoding"])  # --sep is the log's
            orders = read_orders(
                raw,
                user=settings["orders_user"],
                time=settings["orders_time"],
                order_id=settings["order_id"],
                tz=settings["tz"],
            ).drop(columns="user_code")
            found["orders_user"] = user_column(settings["orders_user"], raw.columns)
        if warn:
            _warn_overlap(orders["user"], users, "customers with orders", settings["orders"], "orders_user")
    names = {key: None if settings[key] is None else Path(settings[key]).name for key in ("events", "survey", "orders")}
    return ReportInputs(log, survey, orders, names, found)


def _check_options(settings: dict[str, Any]) -> None:
    """The options that are not files, checked before any file is read."""
    if settings["unit"] not in ("user", "session"):
        raise JourneyError(f"{option('unit', settings['unit'])}: use user or session")
    for keyword in ("gap", "repeat_within"):
        value = settings[keyword]
        if value is None:
            continue
        try:
            delta = pd.Timedelta(value)
        except ValueError:
            delta = None
        if delta is None or pd.isna(delta) or delta <= pd.Timedelta(0):
            raise JourneyError(f"{option(keyword, value)}: not a positive duration; write one such as 30min or 90D")
    share = settings["min_share"]
    if share is not None and (isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share < 1):
        raise JourneyError(f"{option('min_share', share)}: give a share between 0 and 1, such as 0.1")


@contextmanager
def _in_file(what: str, path: str, keywords: dict[str, str]) -> Iterator[None]:
    """Errors while reading the survey or orders name that file and the report's own options for its columns."""
    try:
        yield
    except MissingColumnError as exc:
        renamed = MissingColumnError(keywords.get(exc.keyword, exc.keyword), exc.column, exc.available, exc.role)
        raise JourneyError(f"the {what} file {Path(path).name}: {renamed}") from None
    except SourceError:  # names the path already
        raise
    except JourneyError as exc:
        raise JourneyError(f"the {what} file {Path(path).name}: {exc}") from None


def _warn_overlap(ids: pd.Series, users: set, what: str, path: str, keyword: str) -> None:
    distinct = pd.unique(ids.dropna())
    if not len(distinct):
        return
    found = sum(1 for i in distinct if i in users)
    if found / len(distinct) < MIN_OVERLAP:
        warnings.warn(
            f"only {found:,} of the {len(distinct):,} {what} in {Path(path).name} ({found / len(distinct):.0%}) "
            f"are in the event log: check {option(keyword)} and that both files cover the same customers",
            JourneyWarning,
            stacklevel=3,
        )


#: The file in a report folder that says ``journey report`` made it, and which files it wrote.
MARKER = ".journey-report"


class ReportFolder:
    """The output folder: refused when it holds files ``journey report`` did not write; its own earlier
    files are removed before a new run, so no table or picture of an earlier run survives.

    The marker file lists the files a run wrote; it is written before the run starts (so a run that fails
    half-way still leaves a folder it may clear) and completed at the end.
    """

    def __init__(self, path: Path):
        self.path = path
        self.foreign: set[str] = set()

    def _written(self) -> set[str]:
        marker = self.path / MARKER
        return set(marker.read_text(encoding="utf-8").splitlines()[1:]) if marker.is_file() else set()

    def prepare(self) -> None:
        """Check the folder, clear this command's earlier files, and mark it."""
        if self.path.exists() and not self.path.is_dir():
            raise ReportError(f"{option('out')} {self.path}: is a file, not a folder")
        present = {p.name for p in self.path.iterdir()} if self.path.is_dir() else set()
        if present and MARKER not in present:
            shown = ", ".join(sorted(present)[:5]) + (f" and {len(present) - 5} more" if len(present) > 5 else "")
            raise ReportError(
                f"{option('out')} {self.path}: the folder holds files journey report did not write ({shown}); "
                f"choose a new or empty folder"
            )
        earlier = self._written()
        for name in earlier & present:
            target = self.path / name
            if target.is_file() or target.is_symlink():
                target.unlink()
        self.foreign = present - earlier - {MARKER}
        self.path.mkdir(parents=True, exist_ok=True)
        self._mark(set())

    def seal(self) -> None:
        """Record every file this run wrote (all but the files someone else put there before)."""
        if self.path.is_dir():
            self._mark({p.name for p in self.path.iterdir()} - self.foreign - {MARKER})

    def _mark(self, names: set[str]) -> None:
        lines = ["written by journey report; the files below are replaced by its next run", *sorted(names)]
        (self.path / MARKER).write_text("\n".join(lines) + "\n", encoding="utf-8")


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
