"""Clickstreams whose touchpoints are page URLs: the journey graph with 30,000 distinct touchpoints.

Target (issue 12): 300k events with 30,000 distinct touchpoints to the journey graph in <= 3 s and
<= 1.5 GB (the whole process's peak). The log is synthetic and seeded: ~10 events per user, URLs drawn
from a Zipf-like popularity so a few pages are common and most are rare, as on a real site.

Run: `make bench` or `python benchmarks/wide.py [--rows 300000] [--touchpoints 30000]`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from measure import OUT, measure, run_case, table


def make_wide(rows: int, touchpoints: int) -> Path:
    import numpy as np
    import pandas as pd

    path = OUT / f"wide_{rows}_{touchpoints}.parquet"
    if path.exists():
        return path
    OUT.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    popularity = 1 / np.arange(1, touchpoints + 1)
    pages = rng.choice(touchpoints, size=rows, p=popularity / popularity.sum())
    pages[:touchpoints] = np.arange(touchpoints)  # every URL occurs at least once
    pd.DataFrame(
        {
            "user_id": pd.Series(rng.integers(0, rows // 10, rows)).map("u{:07d}".format),
            "timestamp": pd.Timestamp("2025-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 90 * 86_400, rows), unit="s"),
            "event": pd.Series(pages).map("/products/item-{:05d}".format),
        }
    ).sample(frac=1, random_state=0).to_parquet(path, index=False)
    return path


def graph(path: str) -> dict:
    import journey

    start = time.perf_counter()
    log = journey.read_events(path)
    middle = time.perf_counter()
    g = journey.journey_graph(log)
    return {
        "read_seconds": round(middle - start, 3),
        "graph_seconds": round(time.perf_counter() - middle, 3),
        "touchpoints": len(log.events),
        "edges": g.number_of_edges(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--touchpoints", type=int, default=30_000)
    parser.add_argument("--case")
    parser.add_argument("path", nargs="?")
    args = parser.parse_args()
    if args.case:
        return measure(graph, args.path)
    path = str(make_wide(args.rows, args.touchpoints))
    result = run_case(Path(__file__), "graph", path)
    print(table([(f"read_events + journey_graph, {args.touchpoints:,} tp", result)]))
    print(
        f"{args.rows:,} events, {result['touchpoints']:,} touchpoints, {result['edges']:,} edges: "
        f"read {result['read_seconds']:.2f} s + graph {result['graph_seconds']:.2f} s; whole-process peak "
        f"{result['peak_mib']:.0f} MiB (target: <= 3 s and <= 1,500 MiB)"
    )


if __name__ == "__main__":
    main()
