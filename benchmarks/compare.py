"""compare_graphs against one journey graph on the 10M-event GA4-shaped log (issue 16: at most 3x).

The log is benchmarks/engine.py's (10M events, ~1M string user ids, 40 touchpoints, rows shuffled), read
once with ``read_events`` and given a two-valued segment per customer (``device``: ``mobile`` for about
half of them, from a hash of the id, so it is fixed per customer as a device or a plan is). Then, in the
same process and on the same EventLog, best of ``--runs``:

* ``journey_graph(log)``: one graph of all journeys;
* ``compare_graphs(log, by="device")``: both segments' shares of every touchpoint and transition, their
  differences with Newcombe intervals, p-values and Benjamini-Hochberg adjustment (a ``JourneyDiff``).

Reading is left out of both (it is the same for both and engine.py measures it). The ratio is the figure
the issue asks for.

Run: ``python benchmarks/compare.py [--rows 10000000] [--runs 2]``.
"""

from __future__ import annotations

import argparse
import time

from engine import make_log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()

    import numpy as np
    import pandas as pd

    import journey

    frame = pd.read_parquet(make_log(args.rows))
    # A segment fixed per customer: the parity of a hash of the id (about half each).
    codes = pd.util.hash_array(frame["user_id"].to_numpy(dtype=object))
    frame["device"] = np.where(codes % 2 == 0, "mobile", "desktop")
    log = journey.read_events(frame)
    print(f"log: {log.n_events:,} events, {log.n_users:,} users, {len(log.events)} touchpoints; segment device")

    def best(call) -> tuple[float, object]:
        times, result = [], None
        for _ in range(args.runs):
            start = time.perf_counter()
            result = call()
            times.append(time.perf_counter() - start)
        return min(times), result

    graph_s, graph = best(lambda: journey.journey_graph(log))
    diff_s, diff = best(lambda: journey.compare_graphs(log, by="device"))
    nodes, edges = diff.to_frames()
    print(f"journey_graph(log)                    {graph_s:7.2f} s  ({graph.number_of_edges():,} edges)")
    print(f"compare_graphs(log, by='device')      {diff_s:7.2f} s  ({len(edges):,} edges compared)")
    ratio = diff_s / graph_s
    print(f"ratio {ratio:.2f}x (issue 16: at most 3x) -> {'met' if ratio <= 3 else 'NOT met'}")


if __name__ == "__main__":
    main()
