"""A session of 50M events through Dask on this machine: graph, drop-off and funnel on one shuffle.

Target (issue 12): one session on a two-worker LocalCluster with 2 GiB per worker partitions the log by
user once and runs the journey graph, the drop-off table and a funnel on it; the whole process tree
(client, scheduler, workers) stays under 4 GB. Memory is the sum of the resident memory of this process
and all its children, polled every 0.2 s. Beside it, the single-machine path on 10M events. Data: ten
Parquet files of 5M synthetic events each (seeded, ~10 events per user, 20 touchpoints).

Run: `python benchmarks/dask_graph.py [--rows 50000000] [--local-rows 10000000] [--worker-memory 2GiB]`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import psutil
from measure import OUT

FILE_ROWS = 5_000_000


def make_dataset(rows: int) -> Path:
    folder = OUT / f"dask_{rows}"
    files = rows // FILE_ROWS
    if folder.exists() and len(list(folder.glob("*.parquet"))) == files:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):  # one process per file keeps this runner small
        code = f"""
import numpy as np, pandas as pd
rng = np.random.default_rng({i})
n = {FILE_ROWS}
users = rng.integers(0, {rows // 10}, n)
pd.DataFrame({{"user_id": pd.Series(users).map("u{{:08d}}".format),
              "timestamp": pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 90 * 86400, n), unit="s"),
              "event": pd.Categorical.from_codes(rng.integers(0, 20, n), [f"touchpoint_{{k:02d}}" for k in range(20)]).astype(str)
              }}).to_parquet("{folder}/part-{i:03d}.parquet", index=False)
"""
        subprocess.run([sys.executable, "-c", code], check=True)
    return folder


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_watched(command: list[str]) -> dict:
    """Run a command, polling the resident memory of its whole process tree; return its JSON line + peak."""
    start = time.perf_counter()
    log = open(OUT / "dask_graph.stderr.log", "w")
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
    watched = psutil.Process(child.pid)
    peak = 0
    while child.poll() is None:
        peak = max(peak, tree_rss(watched))
        time.sleep(0.2)
    output = child.stdout.read().strip().splitlines()
    if child.returncode != 0 or not output:
        raise RuntimeError(f"{command} failed with status {child.returncode}; see {OUT / 'dask_graph.stderr.log'}")
    return {
        **json.loads(output[-1]),
        "wall_seconds": round(time.perf_counter() - start, 1),
        "peak_tree_gib": round(peak / 2**30, 2),
    }


def dask_case(folder: str, worker_memory: str) -> None:
    import logging

    from dask.distributed import Client, LocalCluster

    import journey

    steps = ["touchpoint_00", "touchpoint_01", "touchpoint_02"]
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            memory_limit=worker_memory,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster),
    ):
        start = time.perf_counter()
        log = journey.partition_by_user(journey.read_events(f"{folder}/*.parquet", engine="dask"))
        shuffled = time.perf_counter()
        graph = journey.journey_graph(log)
        graphed = time.perf_counter()
        drop = journey.drop_off(log, goal="touchpoint_00")
        dropped = time.perf_counter()
        steps_table = journey.funnel(log, steps)
        done = time.perf_counter()
    print(
        json.dumps(
            {
                "partition_seconds": round(shuffled - start, 1),
                "graph_seconds": round(graphed - shuffled, 1),
                "drop_off_seconds": round(dropped - graphed, 1),
                "funnel_seconds": round(done - dropped, 1),
                "graph_seconds_total": round(done - start, 1),
                "events": graph.graph["n_events"],
                "journeys": graph.graph["n_journeys"],
                "drop_off_rows": len(drop),
                "funnel_entered": int(steps_table.to_frame()["entered"].iloc[0]),
            }
        )
    )


def local_case(folder: str, rows: int) -> None:
    import pandas as pd

    import journey

    files = sorted(Path(folder).glob("*.parquet"))[: rows // FILE_ROWS]
    start = time.perf_counter()
    frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    graph = journey.journey_graph(journey.read_events(frame))
    print(
        json.dumps(
            {
                "graph_seconds": round(time.perf_counter() - start, 1),
                "events": graph.graph["n_events"],
                "journeys": graph.graph["n_journeys"],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--local-rows", type=int, default=10_000_000)
    parser.add_argument("--worker-memory", default="2GiB")
    parser.add_argument("--case")
    parser.add_argument("args", nargs="*")
    args = parser.parse_args()
    if args.case == "dask":
        return dask_case(args.args[0], args.args[1])
    if args.case == "local":
        return local_case(args.args[0], int(args.args[1]))
    folder = make_dataset(args.rows)
    script = str(Path(__file__))
    local = run_watched([sys.executable, script, "--case", "local", str(folder), str(args.local_rows)])
    print(
        f"single machine, {local['events']:,} events: {local['wall_seconds']} s wall "
        f"(graph {local['graph_seconds']} s), peak {local['peak_tree_gib']} GiB"
    )
    distributed = run_watched([sys.executable, script, "--case", "dask", str(folder), args.worker_memory])
    d = distributed
    print(
        f"Dask LocalCluster (2 workers x {args.worker_memory}), {d['events']:,} events: {d['wall_seconds']} s wall; "
        f"partition by user once {d['partition_seconds']} s, then graph {d['graph_seconds']} s, drop_off "
        f"{d['drop_off_seconds']} s, funnel {d['funnel_seconds']} s; peak {d['peak_tree_gib']} GiB for the whole "
        f"process tree (target < 4 GB)"
    )


if __name__ == "__main__":
    main()
