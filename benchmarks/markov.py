"""The exact Markov model: removal effects on a 50-touchpoint graph from 5M events; 1,000 bootstrap
replicates on 100k journeys (issue 4). Synthetic logs with uniform touchpoints; the goal is one of them.

Run: `make bench` or `python benchmarks/markov.py`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import journey
from measure import make_parquet, measure, run_case, table

GOAL = "touchpoint_00"


def fit(path: str) -> dict:
    log = journey.read_events(path)
    start = time.perf_counter()
    model = journey.markov(log, goal=GOAL)
    return {"markov_seconds": round(time.perf_counter() - start, 3), "states": len(model.touchpoints),
            "journeys": model.n_journeys}


def bootstrap(path: str) -> dict:
    model = journey.markov(journey.read_events(path), goal=GOAL)
    start = time.perf_counter()
    frame = model.bootstrap(n_boot=1000, seed=0)
    return {"bootstrap_seconds": round(time.perf_counter() - start, 3), "replicates": int(frame["replicates"].iloc[0]),
            "journeys": model.n_journeys}


CASES = {"fit": fit, "bootstrap": bootstrap}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--case")
    parser.add_argument("path", nargs="?")
    args = parser.parse_args()
    if args.case:
        return measure(CASES[args.case], args.path)
    script = Path(__file__)
    big = run_case(script, "fit", str(make_parquet(5_000_000, touchpoints=51)))
    small = run_case(script, "bootstrap", str(make_parquet(1_000_000, touchpoints=51)))
    print(table([("read_events + markov, 5M events, 50 touchpoints", big),
                 ("markov + 1,000 bootstraps, 100k journeys", small)]))
    print(f"markov (chain, exact probabilities, 50 removal solves) on {big['journeys']:,} journeys: "
          f"{big['markov_seconds']:.2f} s; bootstrap of {small['replicates']:,} replicates on "
          f"{small['journeys']:,} journeys: {small['bootstrap_seconds']:.2f} s")


if __name__ == "__main__":
    main()
