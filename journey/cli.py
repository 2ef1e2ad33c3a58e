"""The ``journey`` command line.

Bad input never ends in a traceback: any :class:`~journey.errors.JourneyError` is printed as one line,
``journey: error: ...``, on standard error, and the command exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .errors import JourneyError, command_line

if TYPE_CHECKING:
    import pandas as pd

    from .io.events import EventLog

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 success, 2 bad input or usage)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        with command_line():  # messages name --options, not Python keywords
            return args.run(args)
    except JourneyError as exc:
        print(f"journey: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except OSError as exc:  # an output path that cannot be written (missing folder, no permission, ...)
        print(f"journey: error: {exc.strerror or exc}: {exc.filename}", file=sys.stderr)
        return 2
    except MemoryError:  # what check_memory did not foresee: still one line and what to do
        print(
            "journey: error: out of memory; analyse fewer touchpoints (--min-share, or group rare pages into one "
            "event) or a sample of customers",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("journey: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="journey",
        description="Customer journeys from event logs, with confidence intervals.",
        epilog="Run 'journey COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"journey {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    summary = commands.add_parser(
        "summary",
        help="print the summary of an event log",
        description="Read an event log, validate it and print its summary.",
    )
    _add_source_arguments(summary)
    summary.set_defaults(run=_summary)

    graph = commands.add_parser(
        "graph",
        help="build the journey graph, print its summary, optionally export it",
        description="Build the journey graph of an event log and print its summary. "
        "--out writes it as GraphML (.graphml), GEXF (.gexf) or node-link JSON (.json).",
    )
    _add_source_arguments(graph)
    graph.add_argument("--goal", action="append", help="conversion event (repeat for several)")
    graph.add_argument(
        "--unit", choices=["user", "session"], default="user", help="what one journey is (default: user)"
    )
    graph.add_argument(
        "--gap", default="30min", help="inactivity that ends a session with --unit session (default: 30min)"
    )
    graph.add_argument("--min-share", type=float, help="prune transitions below this share of their source's out-flow")
    graph.add_argument("--out", help="write the graph to this .graphml, .gexf or .json file")
    graph.set_defaults(run=_graph)

    drawing = commands.add_parser(
        "map",
        help="draw the journey map of an event log to an image",
        description="Draw the journey map (matplotlib, no graphviz) to a .png, .svg or .pdf file.",
    )
    _add_source_arguments(drawing)
    drawing.add_argument("--out", required=True, help="image file to write: .png, .svg or .pdf")
    drawing.add_argument("--goal", action="append", help="conversion event (repeat for several)")
    drawing.add_argument(
        "--unit", choices=["user", "session"], default="user", help="what one journey is (default: user)"
    )
    drawing.add_argument(
        "--gap", default="30min", help="inactivity that ends a session with --unit session (default: 30min)"
    )
    drawing.add_argument(
        "--min-share", type=float, help="leave out transitions below this share of their source's out-flow"
    )
    drawing.add_argument(
        "--max-nodes", type=int, default=40, help="simplify larger graphs to about this many touchpoints"
    )
    drawing.add_argument(
        "--node-label",
        choices=["journeys", "visits"],
        default="journeys",
        help="the number under each touchpoint: journeys visiting it or visits (default: journeys)",
    )
    drawing.set_defaults(run=_map)

    report = commands.add_parser(
        "report",
        help="run the standard analysis and write a document (HTML), a notebook, the map and CSV tables",
        description="Run the standard journey analysis on your files (or, with no file at all, on the bundled "
        "sample) and write report.html, report.ipynb, journey_map.png and CSV tables to --out. Survey and "
        "orders columns are named with their own options (--survey-user, --orders-time, ...).",
    )
    report.add_argument("events", nargs="?", metavar="EVENTS", help="event log: .csv, .csv.gz or .parquet")
    _add_reading_arguments(report)
    report.add_argument("--goal", help="conversion event")
    report.add_argument(
        "--funnel",
        type=_steps,
        help="funnel steps, comma-separated (default: the commonest converting path from its most visited step)",
    )
    report.add_argument(
        "--unit", choices=["user", "session"], default="user", help="what one journey is (default: user)"
    )
    report.add_argument(
        "--gap", default="30min", help="inactivity that ends a session with --unit session (default: 30min)"
    )
    report.add_argument(
        "--min-share",
        type=float,
        default=0.1,
        help="the map leaves out transitions below this share of their source's out-flow (default: 0.1; 0: none)",
    )
    survey = report.add_argument_group("survey answers")
    survey.add_argument("--survey", help="survey answers (0-10 scores) file")
    survey.add_argument("--survey-user", help="survey column with the customer id (default: as --user)")
    survey.add_argument("--survey-time", help="survey column with the answer time (default: timestamp, if present)")
    survey.add_argument("--score", default="nps", help="survey column with the 0-10 score (default: nps)")
    orders = report.add_argument_group("orders")
    orders.add_argument("--orders", help="orders file")
    orders.add_argument(
        "--orders-user",
        help="orders column with the customer id (default: as --user; customer_id is recognised when user_id is "
        "absent)",
    )
    orders.add_argument("--orders-time", help="orders column with the order time (default: as --time)")
    orders.add_argument("--order-id", help="orders column with the order id, when an order spans several rows")
    orders.add_argument(
        "--repeat-within",
        default="90D",
        help="window after an order in which another order counts as a repeat, e.g. 30D (default: 90D; 'ever': "
        "no window)",
    )
    report.add_argument(
        "--stages",
        metavar="FILE",
        help="JSON or YAML file mapping the journey's stages, in order, to their touchpoints: adds the journey "
        'map in stages (reach, progression, time, NPS, pain points), e.g. {"discover": ["ad_click", "search"], ...}',
    )
    report.add_argument(
        "--out", default="report", help="folder to write: new, empty or an earlier report's (default: report)"
    )
    report.set_defaults(run=_report)

    ci = commands.add_parser(
        "notebook-ci",
        help="write a CI workflow that validates your notebooks, pictures included",
        description="Write a GitHub Actions (or GitLab CI) workflow that installs your project, runs "
        "'pytest --nbval --journey' on your notebooks (text compared, pictures compared at a "
        "tolerance) and uploads the failing pictures. Commit the notebooks with their outputs.",
    )
    ci.add_argument(
        "notebooks",
        nargs="*",
        default=["notebooks"],
        metavar="NOTEBOOKS",
        help="notebook files or folders, relative to --project (default: notebooks)",
    )
    ci.add_argument("--ci", choices=["github", "gitlab"], default="github", help="CI system (default: github)")
    ci.add_argument("--project", default=".", help="the repository's root folder (default: .)")
    ci.add_argument("--out", help="workflow file (default: .github/workflows/notebooks.yml or .gitlab-ci.yml)")
    ci.add_argument("--python", default="3.12", help="Python version CI runs (default: 3.12)")
    ci.add_argument(
        "--install",
        help="pip install arguments of your dependencies, quoted (default: "
        "-r requirements.txt, else the project itself)",
    )
    ci.add_argument("--tolerance", type=float, default=2.0, help="RMS a picture may differ by, 0-255 (default: 2.0)")
    ci.add_argument("--results", default="nbval-images", help="folder of failing pictures (default: nbval-images)")
    ci.add_argument("--force", action="store_true", help="overwrite an existing workflow file")
    ci.set_defaults(run=_notebook_ci)
    return parser


#: The exports --format names (journey.io.formats), listed in --help; a misspelt one is refused by the reader.
FORMATS = "ga4, segment, amplitude, mixpanel, posthog, xes, ocel, sql"


def _add_source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        metavar="FILE",
        help="event log: .csv, .csv.gz or .parquet; with --format, an export file, folder or glob "
        "(quote it: 'exports/*.json.gz'); with --query or --table, a database URL",
    )
    parser.add_argument(
        "--format",
        help=f"the export FILE is: {FORMATS} (default: a tidy table, one row per event)",
    )
    parser.add_argument(
        "--identities",
        metavar="LINKS",
        help="CSV or Parquet file of links: anonymous id, then user id (a third column 'time' may order them); "
        "every event of a linked anonymous id is given to its user",
    )
    parser.add_argument("--object-type", help="with --format ocel: the object type whose objects are the customers")
    parser.add_argument("--classifier", help="with --format xes: the classifier that names the events")
    parser.add_argument("--query", help="SQL query whose rows are the events (FILE is the database URL)")
    parser.add_argument("--table", help="database table whose rows are the events (FILE is the database URL)")
    _add_reading_arguments(parser, formats=True)


def _add_reading_arguments(parser: argparse.ArgumentParser, *, formats: bool = False) -> None:
    """The options that say how an event log is read: its columns, times, encoding and invalid rows."""
    own = ", or the format's own with --format" if formats else ""
    parser.add_argument("--user", help=f"column with the customer id (default: user_id{own})")
    parser.add_argument("--time", help=f"column with the timestamp (default: timestamp{own})")
    parser.add_argument("--event", help=f"column with the touchpoint (default: event{own})")
    parser.add_argument("--tz", default="UTC", help="time zone of timestamps without an offset (default: UTC)")
    parser.add_argument("--time-unit", choices=["s", "ms", "us", "ns"], help="unit of numeric epoch timestamps")
    parser.add_argument(
        "--time-format",
        help="format of timestamps that are not ISO 8601: a strptime format such "
        "as %%Y%%m%%d or '%%d/%%m/%%Y %%H:%%M', or 'excel' for Excel serial days",
    )
    parser.add_argument("--encoding", default="utf-8", help="text encoding of CSV files (default: utf-8)")
    parser.add_argument(
        "--sep", type=_delimiter, help="CSV delimiter, e.g. ';' or tab (default: recognised from the header: , ; tab |)"
    )
    parser.add_argument(
        "--drop-invalid",
        action="store_true",
        help="drop rows with a missing user or event or an unreadable time, and list them",
    )


def _read(args: argparse.Namespace) -> EventLog:
    import warnings

    from .errors import JourneyWarning
    from .io.events import read_events

    identities = _identities(args.identities) if args.identities else None
    # Options of one format's reader are passed only when given: another reader refuses them by name.
    options = {k: getattr(args, k) for k in ("object_type", "classifier") if getattr(args, k) is not None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)  # the dropped rows are printed below instead
        return read_events(
            args.file,
            format=args.format,
            user=args.user,
            time=args.time,
            event=args.event,
            **_reading(args),
            identities=identities,
            query=args.query,
            table=args.table,
            **options,
        )


def _reading(args: argparse.Namespace) -> dict[str, Any]:
    """How the log is read, from the options :func:`_add_reading_arguments` adds (as read_events names them)."""
    return {
        "tz": args.tz,
        "time_unit": args.time_unit,
        "time_format": args.time_format,
        "encoding": args.encoding,
        "sep": args.sep,
        "on_invalid": "drop" if args.drop_invalid else "raise",
    }


def _identities(path: str) -> pd.DataFrame:
    """The links file of --identities: CSV (every value text, so ids stay as written) or Parquet."""
    from pathlib import Path

    import pandas as pd

    file = Path(path)
    if not file.is_file():
        raise JourneyError(f"--identities {path}: file does not exist (working directory: {Path.cwd()})")
    try:
        if file.name.lower().endswith((".parquet", ".pq")):
            return pd.read_parquet(file)
        return pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""])
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise JourneyError(f"--identities {path}: not a readable CSV or Parquet file ({exc})") from None


def _delimiter(text: str) -> str:
    """A delimiter as typed in a shell: ``;``, or ``tab`` / ``\\t`` for a tab (hard to type as such)."""
    return "\t" if text in ("tab", "\\t") else text


def _summary(args: argparse.Namespace) -> int:
    log = _read(args)
    print(log)
    if log.report is not None:
        print("\nRead report:")
        print(log.report.to_frame().to_string(index=False))
    if len(log.dropped):
        print(f"\nDropped rows ({len(log.dropped):,}):")
        print(log.dropped.head(20).to_string(index=False))
    return 0


def _graph(args: argparse.Namespace) -> int:
    from .analysis.graph import journey_graph, prune
    from .io import export

    writers = {".graphml": export.write_graphml, ".gexf": export.write_gexf, ".json": export.write_node_link}
    if args.out and not any(args.out.endswith(ext) for ext in writers):
        raise JourneyError(f"--out {args.out!r}: use a .graphml, .gexf or .json file name")
    goal = args.goal[0] if args.goal and len(args.goal) == 1 else args.goal
    graph = journey_graph(_read(args), goal=goal, unit=args.unit, gap=args.gap)
    if args.min_share is not None:
        graph = prune(graph, min_share=args.min_share)
    print(graph)
    if args.out:
        path = next(w for ext, w in writers.items() if args.out.endswith(ext))(graph, args.out)
        print(f"\nwrote {path}")
    return 0


def _map(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from .analysis.graph import journey_graph, plot_journey_map, prune
    from .plot.figures import save_figure

    if not any(args.out.lower().endswith(ext) for ext in (".png", ".svg", ".pdf")):
        raise JourneyError(f"--out {args.out!r}: use a .png, .svg or .pdf file name")
    goal = args.goal[0] if args.goal and len(args.goal) == 1 else args.goal
    graph = journey_graph(_read(args), goal=goal, unit=args.unit, gap=args.gap)
    if args.min_share is not None:
        graph = prune(graph, min_share=args.min_share)
    path = save_figure(plot_journey_map(graph, max_nodes=args.max_nodes, node_label=args.node_label), args.out)
    print(f"wrote {path}")
    return 0


def _report(args: argparse.Namespace) -> int:
    import warnings

    from .errors import JourneyWarning
    from .report.run import run_report

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", JourneyWarning)
        try:
            out = run_report(
                args.events,
                survey=args.survey,
                orders=args.orders,
                goal=args.goal,
                funnel=args.funnel,
                user=args.user or "user_id",
                time=args.time or "timestamp",
                event=args.event or "event",
                **_reading(args),
                unit=args.unit,
                gap=args.gap,
                min_share=args.min_share or None,
                survey_user=args.survey_user,
                survey_time=args.survey_time,
                score=args.score,
                orders_user=args.orders_user,
                orders_time=args.orders_time,
                order_id=args.order_id,
                repeat_within=None if args.repeat_within.lower() in ("ever", "none") else args.repeat_within,
                stages=args.stages,
                out=args.out,
            )
        finally:  # a warning is worth reading even when the report then stops
            for warning in caught:
                if issubclass(warning.category, JourneyWarning):
                    print(f"journey: warning: {' '.join(str(warning.message).split())}", file=sys.stderr)
    print(f"wrote {out / 'report.html'}, {out / 'report.ipynb'}, {out / 'journey_map.png'} and CSV tables in {out}")
    return 0


def _steps(text: str) -> list[str]:
    """Funnel steps as typed: ``product,cart,purchase`` (spaces around the commas ignored)."""
    return [step.strip() for step in text.split(",") if step.strip()]


def _notebook_ci(args: argparse.Namespace) -> int:
    import shlex

    from .notebook_ci import write_workflow

    install = None if args.install is None else shlex.split(args.install)
    workflow = write_workflow(
        args.notebooks,
        ci=args.ci,
        project=args.project,
        out=args.out,
        python=args.python,
        install=install,
        tolerance=args.tolerance,
        results=args.results,
        force=args.force,
    )
    print(workflow)
    return 0


if __name__ == "__main__":
    sys.exit(main())
