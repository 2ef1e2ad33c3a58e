"""read_events on a 5M-row Parquet file against pandas.read_parquet + a stable sort_values alone.

Target (issue 2): read_events within 2x of that pair. Run: `make bench` or
`python benchmarks/read_events.py [--rows 5000000]`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from measure import OUT, report, run_case, table

EVENTS = [f"touchpoint_{i:02d}" for i in range(20)]


def make_parquet(rows: int) -> Path:
    """Shuffled rows, ~10 events per user, 20 touchpoints, times over 90 days (seeded)."""
    path = OUT / f"events_{rows}.parquet"
    if path.exists():
        return path
    OUT.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    users = rng.integers(0, rows // 10, rows)
    seconds = rng.integers(0, 90 * 86_400, rows)
    pd.DataFrame({
        "user_id": pd.Series(users).map("u{:07d}".format),
        "timestamp": pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(seconds, unit="s"),
        "event": pd.Categorical.from_codes(rng.integers(0, len(EVENTS), rows), EVENTS).astype(str),
        "value": rng.random(rows),
    }).to_parquet(path, index=False)
    return path


def case(name: str, path: str) -> None:
    start = time.perf_counter()
    if name == "journey":
        import journey

        n = len(journey.read_events(path))
    else:
        df = pd.read_parquet(path)
        n = len(df.sort_values(["user_id", "timestamp"], kind="stable"))
    report(time.perf_counter() - start, rows=n)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--case")
    parser.add_argument("path", nargs="?")
    args = parser.parse_args()
    if args.case:
        return case(args.case, args.path)
    path = make_parquet(args.rows)
    script = Path(__file__)
    baseline = "pandas.read_parquet + stable sort_values"
    rows = [(baseline, run_case(script, "pandas", str(path))),
            ("journey.read_events (validate, UTC, sort)", run_case(script, "journey", str(path)))]
    print(f"read_events on {args.rows:,} rows of Parquet ({path.name})")
    print(table(rows, reference=baseline))


if __name__ == "__main__":
    main()
