"""journey_graph against a bare numpy directly-follows count and the pandas groupby().shift() idiom.

Targets (issue 3), at 1M and 5M shuffled events (~10 per user, 20 touchpoints):
full graph (read_events + journey_graph) <= 2x the bare numpy count, >= 10x faster than the pandas
idiom, peak memory <= 3x the input frame. pm4py's format_dataframe + discover_dfg took 15 s at 5M on
this kind of machine when the issue was written; pass --pm4py-python (an interpreter with pm4py
installed; it is not a dependency) to measure it in the same run.

Run: `make bench` or `python benchmarks/graph.py [--rows 1000000 5000000] [--pm4py-python PATH]`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from measure import make_parquet, measure, run_case, table

import journey


def bare_numpy(path: str) -> dict:
    """Read, order by (user, time), count consecutive pairs within a user: the least any tool must do."""
    df = pd.read_parquet(path)
    users, _ = pd.factorize(df["user_id"])
    events, names = pd.factorize(df["event"])
    order = np.lexsort((df["timestamp"].array.asi8, users))
    users, events = users[order], events[order]
    same = users[1:] == users[:-1]
    k = len(names)
    counts = np.bincount(events[:-1][same] * k + events[1:][same], minlength=k * k)
    return {
        "transitions": int(counts.sum()),
        "pairs": int((counts > 0).sum()),
        "input_mib": round(df.memory_usage(deep=True).sum() / 2**20, 1),
    }


def pandas_idiom(path: str) -> dict:
    df = pd.read_parquet(path).sort_values(["user_id", "timestamp"], kind="stable")
    df["next"] = df.groupby("user_id")["event"].shift(-1)
    counts = df.dropna(subset=["next"]).groupby(["event", "next"]).size()
    return {"transitions": int(counts.sum()), "pairs": int(len(counts))}


def with_journey(path: str) -> dict:
    start = time.perf_counter()
    log = journey.read_events(path)
    middle = time.perf_counter()
    graph = journey.journey_graph(log)  # loads networkx on first use: that counts here too
    real = [d["count"] for a, b, d in graph.edges(data=True) if a != journey.START and b != journey.END]
    return {
        "transitions": int(sum(real)),
        "pairs": len(real),
        "read_seconds": round(middle - start, 3),
        "graph_seconds": round(time.perf_counter() - middle, 3),
    }


CASES = {"numpy": bare_numpy, "pandas": pandas_idiom, "journey": with_journey}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--case")
    parser.add_argument("--pm4py-python", help="an interpreter with pm4py installed: adds pm4py's discover_dfg")
    parser.add_argument("path", nargs="?")
    args = parser.parse_args()
    if args.case:
        return measure(CASES[args.case], args.path)
    script = Path(__file__)
    for size in args.rows:
        path = str(make_parquet(size))
        results = {name: run_case(script, name, path) for name in CASES}
        if args.pm4py_python:
            results["pm4py"] = run_case(script.with_name("pm4py_dfg.py"), "pm4py", path, python=args.pm4py_python)
        agree = len({(r["transitions"], r["pairs"]) for r in results.values()}) == 1
        j, n, p = results["journey"], results["numpy"], results["pandas"]
        print(f"\n{size:,} events: directly-follows counts agree across all cases: {agree}")
        rows = [
            ("bare numpy directly-follows count", n),
            ("pandas sort + groupby().shift()", p),
            ("journey read_events + journey_graph", j),
        ]
        if "pm4py" in results:
            rows.append(("pm4py format_dataframe + discover_dfg", results["pm4py"]))
        print(table(rows, reference="bare numpy directly-follows count"))
        print(
            f"journey: read_events {j['read_seconds']:.2f} s + journey_graph {j['graph_seconds']:.2f} s; "
            f"{p['seconds'] / j['seconds']:.1f}x faster than the pandas idiom; memory for the work "
            f"{j['work_mib'] / n['input_mib']:.1f}x the input frame of {n['input_mib']:.0f} MiB "
            f"(bare numpy: {n['work_mib'] / n['input_mib']:.1f}x; whole-process peak {j['peak_mib'] / n['input_mib']:.1f}x)"
        )
        if "pm4py" in results:
            print(f"journey is {results['pm4py']['seconds'] / j['seconds']:.1f}x faster than pm4py")


if __name__ == "__main__":
    main()
