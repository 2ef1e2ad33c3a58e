"""The exact Markov model: removal effects on a 50-touchpoint graph from 5M events; 1,000 bootstrap
replicates on 100k journeys (issue 4); a wide log, 3,000 touchpoints in 1M events (issue 12: sparse
solve). Synthetic logs with uniform touchpoints; the goal is one of them. Uniform traffic is the
worst case for the sparse solver: over 3,000 touchpoints its LU factors fill in completely.

Run: `make bench` or `python benchmarks/markov.py`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from measure import make_parquet, measure, peak_mib, run_case, table

import journey

GOAL = "touchpoint_00"


def fit(path: str) -> dict:
    log = journey.read_events(path)
    before = peak_mib()
    start = time.perf_counter()
    model = journey.markov(log, goal=GOAL)
    # How far the fit raised the process's peak above what reading the log needed.
    return {
        "markov_seconds": round(time.perf_counter() - start, 3),
        "markov_mib": round(peak_mib() - before, 1),
        "states": len(model.touchpoints),
        "journeys": model.n_journeys,
    }


def bootstrap(path: str) -> dict:
    model = journey.markov(journey.read_events(path), goal=GOAL)
    start = time.perf_counter()
    result = model.bootstrap(n_boot=1000, seed=0)
    return {
        "bootstrap_seconds": round(time.perf_counter() - start, 3),
        "replicates": result.replicates,
        "journeys": model.n_journeys,
    }


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
    wide = run_case(script, "fit", str(make_parquet(1_000_000, touchpoints=3001)))
    print(
        table(
            [
                ("read_events + markov, 5M events, 50 touchpoints", big),
                ("markov + 1,000 bootstraps, 100k journeys", small),
                ("read_events + markov, 1M events, 3,000 tp", wide),
            ]
        )
    )
    print(
        f"markov (chain, exact probabilities, 50 removal effects) on {big['journeys']:,} journeys: "
        f"{big['markov_seconds']:.2f} s; bootstrap of {small['replicates']:,} replicates on "
        f"{small['journeys']:,} journeys: {small['bootstrap_seconds']:.2f} s; markov with "
        f"{wide['states']:,} touchpoints on {wide['journeys']:,} journeys: {wide['markov_seconds']:.2f} s, "
        f"{wide['markov_mib']:.0f} MiB above reading the log"
    )


if __name__ == "__main__":
    main()
