"""journey beside DuckDB, Polars and pm4py on one GA4-shaped log, in one run (issue 12).

Every case reads the same Parquet file (benchmarks/ga4_log.py: 10M events, ~1M users with GA4-style
``user_pseudo_id`` strings, a skewed number of events per user, 40 touchpoints from a Markov walk with a
shop funnel, microsecond UTC times over 90 days, ties, rows shuffled) and computes the same figures:

* graph: ``read_events`` + ``journey_graph``; DuckDB SQL and Polars (two threads each) computing per
  transition the count, distinct users and median seconds, per touchpoint entries and exits; pm4py's
  ``format_dataframe`` + ``discover_dfg`` (counts only);
* funnel ``product -> cart -> checkout -> purchase`` (loose order, deepest attempt per customer);
* drop_off with goal ``purchase``: journeys, exits and conversions per touchpoint;
* path_variants, top 20: sequence, journeys, median duration;
* retention, monthly cohorts, mode "on": cohort sizes and every observable cell.

A user's events are ordered by time, ties in file order, by every tool (see benchmarks/peers.py). The run
CHECKS the figures: counts must be equal, medians equal to 1e-6 s; it prints "agree: True/False" per case.

Each case runs in its own subprocess (measure.py), twice, the tools of one analysis taking turns; the faster
run is reported (its seconds, CPU seconds and peak resident memory). With each table: the largest share of
the cores that other processes (not the case) kept busy during any of its runs, from /proc/stat, so a
table measured on a busy machine says so. journey runs with this interpreter and only its public API; the
peers run in a benchmark-only virtual environment, benchmarks/out/peers-venv, made on first use by pip
(never a dependency of journey). Imports of the tool itself are outside the clock; everything from opening the file
to the figures in Python is inside it (networkx, loaded by journey_graph on first use, counts).

Run: `make bench` or `python benchmarks/engine.py [--rows 10000000] [--runs 2] [--cases graph funnel ...]`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from measure import OUT, measure_split
from peers import THREADS, peer_environment, peers_python

SCRIPT = Path(__file__).resolve()
PEERS = SCRIPT.with_name("peers.py")
STEPS = ["product", "cart", "checkout", "purchase"]
GOAL = "purchase"
TOP = 20
GB = 3e9  # issue 12: "at most 3 GB" for journey's graph, read as 3,000,000,000 bytes
TOLERANCE = 1e-6  # seconds, for medians


# ---------------------------------------------------------------------------------------------------
# the log


def make_log(rows: int) -> Path:
    """Path of the seeded GA4-shaped log of ``rows`` events, written on first use by a child process
    (Linux carries a parent's peak memory into the children it starts: the driver must stay small).
    """
    path = OUT / f"ga4_{rows}.parquet"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        print(f"writing {path.name} (once) ...", flush=True)
        subprocess.run([sys.executable, str(SCRIPT.with_name("ga4_log.py")), str(rows), str(path)], check=True)
    return path


# ---------------------------------------------------------------------------------------------------
# journey's cases: the public API only (read_events, journey_graph, funnel, drop_off, path_variants,
# retention, START, END), so they keep working while the package's internals move.


def journey_graph(path: str):
    import journey

    return journey.journey_graph(journey.read_events(path))


def journey_graph_figures(graph) -> dict:
    import journey

    ends = (journey.START, journey.END)
    edges = [
        [a, b, d["count"], d["journeys"], d["median_seconds"]]
        for a, b, d in graph.edges(data=True)
        if a not in ends and b not in ends
    ]
    nodes = [[n, d["entries"], d["exits"]] for n, d in graph.nodes(data=True) if n not in ends]
    return {"edges": edges, "nodes": sorted(nodes)}


def journey_funnel(path: str):
    import journey

    return journey.funnel(journey.read_events(path), STEPS)


def journey_funnel_figures(result) -> dict:
    import pandas as pd

    table = result.to_frame()
    return {
        "steps": [
            [e, int(n), None if pd.isna(c) else int(c), None if pd.isna(m) else float(m)]
            for e, n, c, m in table[["touchpoint", "entered", "converted", "median_seconds_to_next"]].itertuples(
                index=False
            )
        ]
    }


def journey_drop_off(path: str):
    import journey

    return journey.drop_off(journey.read_events(path), goal=GOAL)


def journey_drop_off_figures(result) -> dict:
    table = result.to_frame()
    return {
        "rows": sorted(
            [str(t), int(j), int(e), int(c)]
            for t, j, e, c in table[["touchpoint", "journeys", "exits", "conversions"]].itertuples(index=False)
        )
    }


def journey_path_variants(path: str):
    import journey

    return journey.path_variants(journey.read_events(path), top=TOP)


def journey_path_variants_figures(result) -> dict:
    table = result.to_frame()
    return {
        "rows": [
            [",".join(s), int(j), float(m)]
            for s, j, m in table[["sequence", "journeys", "median_seconds"]].itertuples(index=False)
        ]
    }


def journey_retention(path: str):
    import journey

    return journey.retention(journey.read_events(path))


def journey_retention_figures(result) -> dict:
    import pandas as pd

    counts = result.counts
    cells = {}
    for cohort, row in counts.iterrows():
        for k, n in row.items():
            cells[f"{cohort:%Y-%m}|{k}"] = None if pd.isna(n) else int(n)
    return {"sizes": {f"{c:%Y-%m}": int(n) for c, n in result.sizes.items()}, "counts": cells}


JOURNEY_CASES = {
    name: (globals()[f"journey_{name}"], globals()[f"journey_{name}_figures"])
    for name in ("graph", "funnel", "drop_off", "path_variants", "retention")
}

# (label, runner, case name) per analysis; runner "journey" is this interpreter, "peers" the peers' venv.
PLAN = {
    "graph": [
        ("journey read_events + journey_graph", "journey", "graph"),
        (f"DuckDB SQL ({THREADS} threads)", "peers", "duckdb-graph"),
        (f"Polars lazy ({THREADS} threads)", "peers", "polars-graph"),
        ("pm4py format_dataframe + discover_dfg", "peers", "pm4py-graph"),
    ],
    "funnel": [
        ("journey read_events + funnel", "journey", "funnel"),
        (f"DuckDB SQL ({THREADS} threads)", "peers", "duckdb-funnel"),
    ],
    "drop_off": [
        ("journey read_events + drop_off", "journey", "drop_off"),
        (f"DuckDB SQL ({THREADS} threads)", "peers", "duckdb-drop_off"),
    ],
    "path_variants": [
        (f"journey read_events + path_variants(top={TOP})", "journey", "path_variants"),
        (f"DuckDB SQL ({THREADS} threads)", "peers", "duckdb-path_variants"),
    ],
    "retention": [
        ("journey read_events + retention", "journey", "retention"),
        (f"DuckDB SQL ({THREADS} threads)", "peers", "duckdb-retention"),
    ],
}


# ---------------------------------------------------------------------------------------------------
# running and checking


def command(runner: str, case: str, path: Path) -> tuple[list[str], dict | None]:
    if runner == "journey":
        return [sys.executable, str(SCRIPT), "--case", case, str(path)], None
    return [peers_python(), str(PEERS), "--case", case, str(path)], peer_environment()


def busy_seconds() -> float:
    """CPU time the whole machine has spent busy since boot (all processes, all cores), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


def children_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(runner: str, case: str, path: Path) -> dict:
    """One fresh subprocess of one case: its seconds, CPU seconds, peak MiB and figures, and ``others``:
    the share of the machine's cores that other processes kept busy while it ran (0: a quiet machine).
    """
    args, env = command(runner, case, path)
    busy, mine, start = busy_seconds(), children_seconds(), time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=SCRIPT.parent)
    wall, busy, mine = time.perf_counter() - start, busy_seconds() - busy, children_seconds() - mine
    if done.returncode != 0:
        raise RuntimeError(f"case {case} failed:\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["others"] = max(0.0, busy - mine) / (wall * os.cpu_count())
    return result


def run_plan(plan: list[tuple[str, str, str]], path: Path, runs: int) -> list[tuple[str, dict]]:
    """Every tool of one analysis, ``runs`` rounds interleaved (so a busy moment of the machine hits all the
    tools alike, not one); per tool the fastest run.
    """
    best: dict[str, dict] = {}
    others = 0.0
    for _ in range(runs):
        for label, runner, case in plan:
            result = run_once(runner, case, path)
            others = max(others, result["others"])
            if label not in best or result["seconds"] < best[label]["seconds"]:
                best[label] = result
    return [(label, {**best[label], "others": others}) for label, _, _ in plan]


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a))


def compare(reference: dict, other: dict) -> list[str]:
    """Differences between journey's figures and a peer's (empty: they agree). Only the figures the peer
    computes are compared (pm4py: counts of transitions between touchpoints).
    """
    problems = []
    if "edges" in other:
        ours = {(a, b): rest for a, b, *rest in reference["edges"]}
        theirs = {(a, b): rest for a, b, *rest in other["edges"]}
        if ours.keys() != theirs.keys():
            problems.append(
                f"transitions only in journey: {sorted(ours.keys() - theirs.keys())[:5]}, "
                f"only in the peer: {sorted(theirs.keys() - ours.keys())[:5]}"
            )
        for key in sorted(ours.keys() & theirs.keys()):
            (n, users, median), (n2, users2, median2) = ours[key], theirs[key]
            if (
                n != n2
                or (users2 is not None and users != users2)
                or (median2 is not None and not close(median, median2))
            ):
                problems.append(f"{key}: journey {ours[key]}, peer {theirs[key]}")
    if "nodes" in other:
        ours = {n: rest for n, *rest in reference["nodes"]}
        theirs = {n: rest for n, *rest in other["nodes"]}
        diff = [
            (n, ours.get(n, [0, 0]), theirs.get(n, [0, 0]))
            for n in sorted({*ours, *theirs})
            if ours.get(n, [0, 0]) != theirs.get(n, [0, 0])
        ]
        if diff:
            problems.append(f"entries/exits (journey, peer) differ at {len(diff)} touchpoints, e.g. {diff[:3]}")
    if "steps" in other:
        for a, b in zip(reference["steps"], other["steps"], strict=True):
            if a[:3] != b[:3] or not close(a[3], b[3]):
                problems.append(f"step {a[0]}: journey {a}, peer {b}")
    if "rows" in other:
        if len(reference["rows"]) != len(other["rows"]):
            problems.append(f"{len(reference['rows'])} rows in journey, {len(other['rows'])} in the peer")
        for a, b in zip(reference["rows"], other["rows"]):
            if (
                a[:-1] != b[:-1]
                or (isinstance(a[-1], float) and not close(a[-1], b[-1]))
                or (not isinstance(a[-1], float) and a[-1] != b[-1])
            ):
                problems.append(f"journey {a}, peer {b}")
    for key in ("sizes", "counts"):
        if key in other and other[key] != reference[key]:
            diff = {
                k: (reference[key].get(k), other[key].get(k))
                for k in {*reference[key], *other[key]}
                if reference[key].get(k) != other[key].get(k)
            }
            problems.append(f"{key} differ (journey, peer): {dict(sorted(diff.items())[:6])}")
    return problems


def table(rows: list[tuple[str, dict]]) -> str:
    j = rows[0][1]
    lines = [f"  {'tool':<46}{'seconds':>9}{'CPU s':>8}{'peak MiB':>10}{'time / journey':>16}{'MiB / journey':>15}"]
    for label, r in rows:
        lines.append(
            f"  {label:<46}{r['seconds']:>9.2f}{r['cpu_seconds']:>8.1f}{r['peak_mib']:>10.0f}"
            f"{r['seconds'] / j['seconds']:>16.2f}{r['peak_mib'] / j['peak_mib']:>15.2f}"
        )
    return "\n".join(lines)


def describe(path: Path) -> str:
    code = (
        f"import pyarrow.parquet as pq, pyarrow.compute as pc; t = pq.read_table({str(path)!r}); "
        f"print(t.num_rows, pc.count_distinct(t['user_id']).as_py(), pc.count_distinct(t['event']).as_py(), "
        f"pc.min(t['timestamp']), pc.max(t['timestamp']), sep='|')"
    )
    rows, users, events, first, last = (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        .stdout.strip()
        .split("|")
    )
    return (
        f"{int(rows):,} events, {int(users):,} users, {events} touchpoints, {first} to {last} "
        f"({path.name}, {path.stat().st_size / 2**20:.0f} MiB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="events in the log (1000000 for a quick check)")
    parser.add_argument("--runs", type=int, default=2, help="runs per case; the fastest is reported")
    parser.add_argument("--cases", nargs="+", choices=list(PLAN), default=list(PLAN))
    parser.add_argument("--case", help=argparse.SUPPRESS)  # inside a subprocess: one journey case
    parser.add_argument("path", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        import journey  # noqa: F401  (outside the clock, as the peers' imports are)

        return measure_split(*JOURNEY_CASES[args.case], args.path)

    sys.stdout.reconfigure(line_buffering=True)  # each table as soon as it is measured, also into a file
    started = time.perf_counter()
    path = make_log(args.rows)
    python = peers_python()
    versions = subprocess.run(
        [
            python,
            "-c",
            "import duckdb, polars, importlib.metadata as m; "
            "print(duckdb.__version__, polars.__version__, m.version('pm4py'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    print(f"log: {describe(path)}")
    print(
        f"journey with {sys.executable}; peers with {python}: DuckDB {versions[0]}, Polars {versions[1]}, "
        f"pm4py {versions[2]}; best of {args.runs} interleaved runs, each case in its own process; "
        f"CPU s: user + system time of all threads"
    )
    results: dict[str, list[tuple[str, dict]]] = {}
    all_agree = True
    for name in args.cases:
        rows = run_plan(PLAN[name], path, args.runs)
        results[name] = rows
        reference = rows[0][1]
        others = max(r["others"] for _, r in rows)
        print(
            f"\n{name}  (other processes kept at most {others:.0%} of the {os.cpu_count()} cores busy during these runs)"
        )
        print(table(rows))
        for label, r in rows[1:]:
            problems = compare(reference, r)
            all_agree &= not problems
            what = "counts" if label.startswith("pm4py") else "figures"
            print(f"  agree: {not problems}  ({label} vs journey, {what})")
            for p in problems[:8]:
                print(f"    {p}")

    print(f"\ntargets of issue 12 ({args.rows:,} events)")
    if "graph" in results:
        g = {label.split()[0]: r for label, r in results["graph"]}
        j = g["journey"]
        for peer in ("DuckDB", "Polars"):
            ok = j["seconds"] < g[peer]["seconds"]
            print(
                f"  graph: journey faster than {peer}: {j['seconds']:.2f} s vs {g[peer]['seconds']:.2f} s "
                f"({g[peer]['seconds'] / j['seconds']:.2f}x) -> {'met' if ok else 'NOT met'}"
            )
        ratio = g["pm4py"]["seconds"] / j["seconds"]
        print(f"  graph: journey at least 10x faster than pm4py: {ratio:.1f}x -> {'met' if ratio >= 10 else 'NOT met'}")
        mib = GB / 2**20
        print(
            f"  graph: journey peak memory at most 3 GB ({mib:,.0f} MiB): {j['peak_mib']:,.0f} MiB -> "
            f"{'met' if j['peak_mib'] <= mib else 'NOT met'}"
        )
    for name in ("funnel", "drop_off", "path_variants", "retention"):
        if name in results:
            (_, j), (_, d) = results[name]
            print(
                f"  {name}: journey / DuckDB time = {j['seconds'] / d['seconds']:.2f} "
                f"({j['seconds']:.2f} s vs {d['seconds']:.2f} s; peak {j['peak_mib']:,.0f} vs {d['peak_mib']:,.0f} MiB)"
            )
    print(f"\nall figures agree: {all_agree}  (whole run {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
