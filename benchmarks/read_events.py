"""read_events on a 5M-row Parquet file against pandas.read_parquet + a stable sort_values alone.

Target (issue 2): read_events within 2x of that pair. Run: `make bench` or
`python benchmarks/read_events.py [--rows 5000000]`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from measure import make_parquet, measure, run_case, table

import journey


def with_journey(path: str) -> dict:
    return {"rows": len(journey.read_events(path))}


def with_pandas(path: str) -> dict:
    return {"rows": len(pd.read_parquet(path).sort_values(["user_id", "timestamp"], kind="stable"))}


CASES = {"journey": with_journey, "pandas": with_pandas}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--case")
    parser.add_argument("path", nargs="?")
    args = parser.parse_args()
    if args.case:
        return measure(CASES[args.case], args.path)
    path = make_parquet(args.rows)
    script = Path(__file__)
    baseline = "pandas.read_parquet + stable sort_values"
    rows = [
        (baseline, run_case(script, "pandas", str(path))),
        ("journey.read_events (validate, UTC, sort)", run_case(script, "journey", str(path))),
    ]
    print(f"read_events on {args.rows:,} rows of Parquet ({path.name})")
    print(table(rows, reference=baseline))


if __name__ == "__main__":
    main()
