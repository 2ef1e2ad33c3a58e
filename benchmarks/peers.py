"""The peers of benchmarks/engine.py: DuckDB SQL, Polars and pm4py computing journey's figures.

None of these is a dependency of journey (pm4py is AGPL; DuckDB and Polars are engines we compare with,
not build on). They live in a benchmark-only virtual environment, ``benchmarks/out/peers-venv``, made on
first use by :func:`peers_python`; the cases here run with that interpreter, one subprocess per case:
``peers-venv/bin/python benchmarks/peers.py --case duckdb-graph events.parquet``.

This file imports only the standard library and ``measure`` at module level, so the driver (run by the
project interpreter) can import :func:`peers_python` without duckdb, polars or pm4py installed.

Every case reads the Parquet file itself and returns the same figures as the journey case of that name
(see engine.py for the comparison). The order of a user's events is by timestamp, ties in file order:
each case carries the Parquet row number (DuckDB ``file_row_number``, Polars ``with_row_index`` on the
scan, pm4py's own index column) and sorts by (timestamp, row number), never trusting an unordered
``row_number() over ()``.

Timing covers the work from reading the file to the figures in Python; ``import duckdb`` (``polars``,
``pm4py``) happens before the clock starts, as ``import journey`` does in the journey cases.
"""

from __future__ import annotations

import os
import subprocess
import sys

from measure import OUT, measure_split

VENV = OUT / "peers-venv"
# Pinned so that a re-run measures the same peers; bump deliberately.
REQUIREMENTS = [
    "duckdb==2.0.1",
    "polars==2.1.0",
    "pm4py==2.7.23.11",
    "pyarrow==26.0.1",
]  # pyarrow: pandas.read_parquet for pm4py
THREADS = 2  # both cores: DuckDB `SET threads`, Polars POLARS_MAX_THREADS


def peers_python() -> str:
    """The interpreter of the peers' virtual environment, created (and filled by pip) on first use."""
    python = VENV / "bin" / "python"
    stamp = VENV / "requirements.txt"
    if python.exists() and stamp.exists() and stamp.read_text().split() == REQUIREMENTS:
        return str(python)
    print(f"creating {VENV} with {', '.join(REQUIREMENTS)} (once) ...", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *REQUIREMENTS], check=True)
    stamp.write_text("\n".join(REQUIREMENTS) + "\n")
    return str(python)


def peer_environment() -> dict:
    """Environment of a peer case: Polars limited to the two cores (read when polars is imported)."""
    return {**os.environ, "POLARS_MAX_THREADS": str(THREADS)}


# ---------------------------------------------------------------------------------------------------
# DuckDB: one in-memory connection per case, both cores, UTC calendar for months.

STEPS = ["product", "cart", "checkout", "purchase"]
GOAL = "purchase"


def duckdb_connection():
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {THREADS}; SET TimeZone = 'UTC'")
    return con


def events_sql(path: str) -> str:
    """The log with its Parquet row number (file order, for ties) and the time in epoch microseconds."""
    return (
        f"SELECT user_id, event, epoch_us(timestamp) AS t, file_row_number AS rn "
        f"FROM read_parquet('{path}', file_row_number = true)"
    )


def duckdb_graph(path: str):
    # One window pass: the next event of the same user (by time, ties in file order), whether the row is the
    # user's first; one aggregation by (event, next event) gives transitions, and with next = NULL the exits.
    return (
        duckdb_connection()
        .sql(f"""
        WITH ev AS ({events_sql(path)}),
        steps AS (
            SELECT user_id, event,
                   lead(event) OVER w AS next_event,
                   lead(t) OVER w - t AS dt,
                   lag(event) OVER w IS NULL AS is_first
            FROM ev WINDOW w AS (PARTITION BY user_id ORDER BY t, rn))
        SELECT event, next_event, count(*) AS n,
               count(DISTINCT user_id) FILTER (WHERE next_event IS NOT NULL) AS users,
               median(dt) / 1e6 AS median_seconds,
               count(*) FILTER (WHERE is_first) AS entries
        FROM steps GROUP BY event, next_event""")
        .fetchall()
    )


def duckdb_graph_figures(rows) -> dict:
    edges, entries, exits = [], {}, {}
    for event, nxt, n, users, median, first in rows:
        entries[event] = entries.get(event, 0) + first
        if nxt is None:
            exits[event] = n
        else:
            edges.append([event, nxt, n, users, median])
    return {"edges": edges, "nodes": [[e, entries.get(e, 0), exits.get(e, 0)] for e in sorted({*entries, *exits})]}


def duckdb_funnel(path: str):
    # Loose order, deepest attempt per customer (journey.funnel). Without a window the customer's earliest
    # step-1 event is always a deepest attempt (a later start can only match later steps), so the attempt is:
    # the first `product`, then the first `cart` after it, the first `checkout` after that, and so on.
    # "After" is by position in the user's (time, file row) order, so a tie in file order counts as after.
    steps = ", ".join(f"'{s}'" for s in STEPS)
    ctes = [
        f"""f AS (SELECT user_id, event, t, row_number() OVER (PARTITION BY user_id ORDER BY t, rn) AS pos
                      FROM ({events_sql(path)}) WHERE event IN ({steps}))""",
        f"s1 AS (SELECT user_id, min(pos) AS p1, arg_min(t, pos) AS t1 FROM f WHERE event = '{STEPS[0]}' GROUP BY user_id)",
    ]
    for k, step in enumerate(STEPS[1:], start=2):
        ctes.append(f"""s{k} AS (SELECT f.user_id, min(f.pos) AS p{k}, arg_min(f.t, f.pos) AS t{k}, any_value(t{k - 1}) AS t{k - 1}
                    FROM f JOIN s{k - 1} USING (user_id) WHERE f.event = '{step}' AND f.pos > p{k - 1} GROUP BY f.user_id)""")
    selects = ["SELECT 1 AS step, count(*) AS entered, NULL::DOUBLE AS median_from_previous FROM s1"]
    selects += [f"SELECT {k}, count(*), median(t{k} - t{k - 1}) / 1e6 FROM s{k}" for k in range(2, len(STEPS) + 1)]
    return duckdb_connection().sql("WITH " + ",\n".join(ctes) + "\n" + "\nUNION ALL ".join(selects)).fetchall()


def duckdb_funnel_figures(rows) -> dict:
    rows = sorted(rows)
    steps = []
    for i, (step, entered, _) in enumerate(rows):
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        steps.append([STEPS[step - 1], entered, nxt[1] if nxt else None, nxt[2] if nxt else None])
    return {"steps": steps}


def duckdb_drop_off(path: str):
    # journey.drop_off: journeys cut at their first goal event (by time then file row); journeys through a
    # touchpoint (distinct users visiting it before or without the goal), exits (users whose last event is
    # there and who never reached the goal), conversions (converted users visiting it before the goal);
    # the goal itself is not listed.
    return (
        duckdb_connection()
        .sql(f"""
        WITH ev AS (SELECT *, row_number() OVER (PARTITION BY user_id ORDER BY t, rn) AS pos FROM ({events_sql(path)})),
        per_user AS (SELECT user_id, last(event ORDER BY pos) AS last_event,
                            min(pos) FILTER (WHERE event = '{GOAL}') AS goal_pos
                     FROM ev GROUP BY user_id),
        visits AS (SELECT DISTINCT ev.user_id, ev.event FROM ev JOIN per_user u USING (user_id)
                   WHERE u.goal_pos IS NULL OR ev.pos <= u.goal_pos)
        SELECT v.event, count(*) AS journeys,
               count(*) FILTER (WHERE u.goal_pos IS NULL AND u.last_event = v.event) AS exits,
               count(*) FILTER (WHERE u.goal_pos IS NOT NULL) AS conversions
        FROM visits v JOIN per_user u USING (user_id)
        WHERE v.event <> '{GOAL}' GROUP BY v.event""")
        .fetchall()
    )


def duckdb_drop_off_figures(rows) -> dict:
    return {"rows": sorted([list(r) for r in rows])}


def duckdb_path_variants(path: str, top: int = 20):
    # journey.path_variants: a user's whole sequence (time, then file row), counted; ties in count broken by
    # the sequence text (',' sorts below every character of the touchpoint names, as journey's "\x00" does).
    return (
        duckdb_connection()
        .sql(f"""
        WITH ev AS ({events_sql(path)}),
        j AS (SELECT string_agg(event, ',' ORDER BY t, rn) AS sequence, (max(t) - min(t)) / 1e6 AS seconds
              FROM ev GROUP BY user_id)
        SELECT sequence, count(*) AS journeys, median(seconds) AS median_seconds
        FROM j GROUP BY sequence ORDER BY journeys DESC, sequence LIMIT {top}""")
        .fetchall()
    )


def duckdb_path_variants_figures(rows) -> dict:
    return {"rows": [list(r) for r in rows]}


def duckdb_retention(path: str):
    # journey.retention(log): monthly cohorts (UTC month of a user's first event), cell k = users of the cohort
    # active in calendar month cohort + k (mode "on").
    con = duckdb_connection()
    cells = con.sql(f"""
        WITH ev AS (SELECT user_id, date_trunc('month', timestamp) AS m FROM read_parquet('{path}')),
        firsts AS (SELECT user_id, min(m) AS cohort FROM ev GROUP BY user_id),
        active AS (SELECT DISTINCT user_id, m FROM ev)
        SELECT strftime(cohort, '%Y-%m') AS cohort, datediff('month', cohort, m) AS k, count(*) AS users
        FROM active JOIN firsts USING (user_id) GROUP BY ALL""").fetchall()
    end = con.execute(
        f"SELECT strftime(max(timestamp), '%Y-%m-%d %H:%M:%S.%f') FROM read_parquet('{path}')"
    ).fetchone()[0]
    return cells, end


def month_number(label: str) -> int:
    year, month = label[:7].split("-")
    return int(year) * 12 + int(month) - 1


def duckdb_retention_figures(result) -> dict:
    cells, end = result
    counts = {(c, k): n for c, k, n in cells}
    cohorts = sorted({c for c, _ in counts})
    first, last_cohort, end_month = month_number(cohorts[0]), month_number(cohorts[-1]), month_number(end)

    # A cell is observable when its month has finished by the end of the data (the last event): month c + k
    # lies before the month of the last event. Unobservable cells are None (journey: NA, never 0).
    def label(m: int) -> str:
        return f"{m // 12:04d}-{m % 12 + 1:02d}"

    grid = {}
    for c in range(first, last_cohort + 1):
        for k in range(end_month - first + 1):
            grid[f"{label(c)}|{k}"] = counts.get((label(c), k), 0) if c + k < end_month else None
    sizes = {c: counts.get((c, 0), 0) for c in cohorts}
    return {"sizes": sizes, "counts": grid}


# ---------------------------------------------------------------------------------------------------
# Polars: the same graph figures with the lazy engine on two threads (POLARS_MAX_THREADS, set by the driver).


def polars_graph(path: str):
    import polars as pl

    ordered = (
        pl.scan_parquet(path)
        .with_row_index("rn")  # file order, taken before any sort
        .sort(["user_id", "timestamp", "rn"])
        .with_columns(
            next_event=pl.col("event").shift(-1),
            same=(pl.col("user_id").shift(-1) == pl.col("user_id")).fill_null(False),
            first=(pl.col("user_id").shift(1) != pl.col("user_id")).fill_null(True),
            dt=(pl.col("timestamp").shift(-1) - pl.col("timestamp")).dt.total_microseconds(),
        )
    )
    edges = (
        ordered.filter("same")
        .group_by("event", "next_event")
        .agg(n=pl.len(), users=pl.col("user_id").n_unique(), median_seconds=pl.col("dt").median() / 1e6)
    )
    entries = ordered.filter("first").group_by("event").agg(entries=pl.len())
    exits = ordered.filter(~pl.col("same")).group_by("event").agg(exits=pl.len())
    return pl.collect_all([edges, entries, exits])


def polars_graph_figures(frames) -> dict:
    edges, entries, exits = frames
    entries, exits = dict(entries.iter_rows()), dict(exits.iter_rows())
    return {
        "edges": [list(r) for r in edges.iter_rows()],
        "nodes": [[e, entries.get(e, 0), exits.get(e, 0)] for e in sorted({*entries, *exits})],
    }


# ---------------------------------------------------------------------------------------------------
# pm4py: its directly-follows graph (counts only), from pandas as pm4py documents it.


def pm4py_graph(path: str):
    import pandas as pd
    import pm4py

    df = pm4py.format_dataframe(
        pd.read_parquet(path), case_id="user_id", activity_key="event", timestamp_key="timestamp"
    )  # sorts by case, time, then input order
    dfg, _, _ = pm4py.discover_dfg(df)
    return dfg


def pm4py_graph_figures(dfg) -> dict:
    return {"edges": [[a, b, int(n), None, None] for (a, b), n in dfg.items()]}


CASES = {
    "duckdb-graph": (duckdb_graph, duckdb_graph_figures, "duckdb"),
    "polars-graph": (polars_graph, polars_graph_figures, "polars"),
    "pm4py-graph": (pm4py_graph, pm4py_graph_figures, "pm4py"),
    "duckdb-funnel": (duckdb_funnel, duckdb_funnel_figures, "duckdb"),
    "duckdb-drop_off": (duckdb_drop_off, duckdb_drop_off_figures, "duckdb"),
    "duckdb-path_variants": (duckdb_path_variants, duckdb_path_variants_figures, "duckdb"),
    "duckdb-retention": (duckdb_retention, duckdb_retention_figures, "duckdb"),
}


def main() -> None:
    if "--install" in sys.argv:
        print(peers_python())
        return
    case, path = sys.argv[sys.argv.index("--case") + 1], sys.argv[-1]
    compute, extract, module = CASES[case]
    import contextlib
    import importlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # pm4py greets on import; keep stdout for the JSON line
        importlib.import_module(module)
    measure_split(compute, extract, path)


if __name__ == "__main__":
    main()
