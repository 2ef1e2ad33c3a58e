"""The ``journey`` command line.

Bad input never ends in a traceback: any :class:`~journey.errors.JourneyError` is printed as one line,
``journey: error: ...``, on standard error, and the command exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .errors import JourneyError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 success, 2 bad input or usage)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except JourneyError as exc:
        print(f"journey: error: {' '.join(str(exc).split())}", file=sys.stderr)
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

    summary = commands.add_parser("summary", help="print the summary of an event log",
                                  description="Read an event log, validate it and print its summary.")
    _add_source_arguments(summary)
    summary.set_defaults(run=_summary)
    return parser


def _add_source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="event log: .csv, .csv.gz or .parquet")
    parser.add_argument("--user", default="user_id", help="column with the customer id (default: user_id)")
    parser.add_argument("--time", default="timestamp", help="column with the timestamp (default: timestamp)")
    parser.add_argument("--event", default="event", help="column with the touchpoint (default: event)")
    parser.add_argument("--tz", default="UTC", help="time zone of timestamps without an offset (default: UTC)")
    parser.add_argument("--time-unit", choices=["s", "ms", "us", "ns"], help="unit of numeric epoch timestamps")
    parser.add_argument("--encoding", default="utf-8", help="text encoding of CSV files (default: utf-8)")
    parser.add_argument("--drop-invalid", action="store_true",
                        help="drop rows with a missing user or event or an unreadable time, and list them")


def _read(args: argparse.Namespace):
    import warnings

    from .events import read_events
    from .errors import JourneyWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)  # the dropped rows are printed below instead
        return read_events(args.file, user=args.user, time=args.time, event=args.event, tz=args.tz,
                           time_unit=args.time_unit, encoding=args.encoding,
                           on_invalid="drop" if args.drop_invalid else "raise")


def _summary(args: argparse.Namespace) -> int:
    log = _read(args)
    print(log)
    if len(log.dropped):
        print(f"\nDropped rows ({len(log.dropped):,}):")
        print(log.dropped.head(20).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
