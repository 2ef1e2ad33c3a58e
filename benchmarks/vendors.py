"""read_events on a GA4 BigQuery export (nested Parquet) against the same events as a tidy Parquet file.

Target (issue 15): the GA4 export read in at most 2x the time of the tidy file. The export is generated
(seeded) in the shape of GA4's export schema: ``event_params`` as a repeated key/value record (seven
keys on a purchase, five on other events), ``user_properties``, ``device`` (with ``web_info``), ``geo``,
``traffic_source``, ``ecommerce``, ``items``, the batch numbers, ``user_id`` for logged-in users; events
from the walk of ``ga4_log.py`` (skewed users, a shop funnel, 3% ties), rows in no order. The tidy file
holds the same events with the same columns already flat (``page_location``, ``device.category``, ...),
so the difference is the cost of the nesting; a second tidy file leaves out the ``items`` lists (which
pandas turns into Python objects), the stricter reference. Both are read with the journey user, time and event columns
and fully validated; each case runs in its own process.

A fourth case reads the same nested Parquet with DuckDB (in the peers' environment of ``peers.py``, both
cores): the flattening an analyst writes by hand in SQL (:func:`ga4_sql`), to the same columns in the
log's order, materialised as an Arrow table; it validates nothing. ``--no-duckdb`` leaves it out.

Run: ``python benchmarks/vendors.py [--rows 1000000] [--repeat 3]`` (medians of the runs are shown) (from a
checkout that is not the installed one: ``PYTHONPATH=. python benchmarks/vendors.py``, so the cases import
this checkout's journey). At 10M events: ``PYTHONPATH=. nice python benchmarks/vendors.py --rows 10000000
--repeat 3``; the files are written once, a million rows at a time (about 3 GB of memory), and reused.
Files go to ``benchmarks/out/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from measure import OUT, measure_split, run_case

TIDY_NAMES = {"user": "user_pseudo_id", "time": "event_timestamp", "event": "event_name"}


def with_ga4(path: str):
    import journey

    return journey.read_events(path, format="ga4")


def with_tidy(path: str):
    import journey

    return journey.read_events(path, **TIDY_NAMES)


#: GA4's event parameters in the generated export, with the value field each is written in.
PARAMETERS = {
    "ga_session_id": "int_value",
    "ga_session_number": "int_value",
    "page_location": "string_value",
    "page_title": "string_value",
    "engagement_time_msec": "int_value",
    "value": "double_value",
    "currency": "string_value",
}
STRUCT_FIELDS = (
    "device.category",
    "device.operating_system",
    "device.web_info.browser",
    "device.web_info.hostname",
    "geo.country",
    "geo.city",
    "traffic_source.name",
    "traffic_source.medium",
    "traffic_source.source",
    "ecommerce.transaction_id",
    "ecommerce.purchase_revenue",
    "ecommerce.total_item_quantity",
)


def ga4_sql(path: str) -> str:
    """The flattening an analyst writes by hand in DuckDB: the table format='ga4' gives, in the log's order.

    One column per parameter (taken from the list by its key, in its value field), the user property,
    structs dotted, ``items`` kept as a list, sorted by user, time, GA4's batch numbers and file order.
    Nothing is validated (journey also refuses missing users, events and times).
    """
    params = ",\n".join(
        f"list_filter(event_params, lambda p: p.key = '{key}')[1].value.{field} AS \"{key}\""
        for key, field in PARAMETERS.items()
    )
    structs = ",\n".join(f'{name} AS "{name}"' for name in STRUCT_FIELDS)
    return f"""
        SELECT user_pseudo_id AS "user", make_timestamp(event_timestamp) AS "time", event_name AS "event",
               event_date, event_bundle_sequence_id, user_id, stream_id, platform,
               {params},
               list_filter(user_properties, lambda p: p.key = 'plan')[1].value.string_value AS "user_properties.plan",
               {structs},
               items, batch_event_index, batch_ordering_id, batch_page_id
        FROM read_parquet('{path}', file_row_number = true)
        ORDER BY "user", event_timestamp, batch_page_id, batch_ordering_id, batch_event_index, file_row_number"""


def with_duckdb(path: str):
    """DuckDB (the peers' environment, both cores) reading the nested export into an Arrow table."""
    from peers import duckdb_connection

    return duckdb_connection().sql(ga4_sql(path)).to_arrow_table()


def figures(result) -> dict:
    if hasattr(result, "num_rows"):  # DuckDB's Arrow table
        return {"rows": result.num_rows, "columns": result.num_columns}
    return {"rows": len(result), "columns": len(result.columns)}


CASES = {"ga4": with_ga4, "tidy": with_tidy, "duckdb": with_duckdb}


def files(rows: int) -> tuple[Path, Path, Path]:
    """The export, its tidy twin and the twin without ``items``, made on first use (in a child process, so
    this one stays small).
    """
    export, tidy, flat = (OUT / f"ga4_{kind}_{rows}.parquet" for kind in ("export", "tidy", "flat"))
    if not (export.exists() and tidy.exists() and flat.exists()):
        import subprocess

        code = f"from vendors import write; write({rows})"
        subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent, check=True)
    return export, tidy, flat


#: Rows written per Parquet row group, and built in memory at a time: 10M events are written in ten pieces.
CHUNK = 1_000_000


def write(rows: int) -> None:
    """Write the GA4-shaped export and the tidy files of the same events, one chunk of rows at a time.

    What needs every row (sessions, batch numbers, users) is computed once for the whole walk as integer
    arrays; the nested columns are then built and written chunk by chunk, and each chunk's tidy twin is
    made by read_events, so 10M events never stand in memory as nested Arrow and pandas objects at once.
    """
    import pyarrow.parquet as pq

    OUT.mkdir(exist_ok=True)
    walk = Walk(rows)
    paths = {kind: OUT / f"ga4_{kind}_{rows}.parquet" for kind in ("export", "tidy", "flat")}
    partial = {kind: path.with_suffix(".partial") for kind, path in paths.items()}
    writers: dict = {}
    try:
        for start in range(0, rows, CHUNK):
            export = walk.table(np.arange(start, min(start + CHUNK, rows)))
            tidy = flat_twin(export)
            for kind, table in (("export", export), ("tidy", tidy), ("flat", tidy.drop_columns(["items"]))):
                if kind not in writers:
                    writers[kind] = pq.ParquetWriter(partial[kind], table.schema)
                writers[kind].write_table(table.cast(writers[kind].schema), row_group_size=CHUNK)
            del export, tidy
    finally:
        for writer in writers.values():
            writer.close()
    for kind, path in paths.items():
        partial[kind].replace(path)


def ga4_export(rows: int, seed: int = 15):
    """A pyarrow Table of ``rows`` events in the shape of GA4's BigQuery export schema (in memory at once)."""
    return Walk(rows, seed).table(np.arange(rows))


class Walk:
    """The walk of ``ga4_log.py`` with every per-row and per-user number the export needs, for all rows.

    :meth:`table` builds the export's nested columns for a selection of rows.
    """

    def __init__(self, rows: int, seed: int = 15):
        import pyarrow as pa
        import pyarrow.compute as pc
        from ga4_log import generate

        walk = generate(rows)  # user_id (pseudo ids), timestamp (us, UTC), event; rows shuffled
        rng = np.random.default_rng(seed)
        self.pseudo = walk.column("user_id").combine_chunks()
        t = walk.column("timestamp").combine_chunks().cast(pa.int64()).to_numpy()
        self.names = walk.column("event").combine_chunks()
        del walk
        user_code = pc.dictionary_encode(self.pseudo).indices.to_numpy()
        n_users = int(user_code.max()) + 1

        # Sessions as GA4 cuts them (30 minutes of inactivity): ga_session_id is the session's start in seconds.
        order = np.lexsort((t, user_code))
        ts, us = t[order], user_code[order]
        starts = np.r_[True, (us[1:] != us[:-1]) | (np.diff(ts) > 1800 * 10**6)]
        counted = np.cumsum(starts)
        start_time = ts[np.flatnonzero(starts)][counted - 1]
        new_user = np.r_[True, us[1:] != us[:-1]]
        number = counted - counted[np.maximum.accumulate(np.where(new_user, np.arange(rows), 0))] + 1
        self.session_id, self.session_number = np.empty(rows, np.int64), np.empty(rows, np.int64)
        self.session_id[order], self.session_number[order] = start_time // 10**6, number
        # Batch numbers: events of one user at one instant were sent in one batch, in walk order.
        self.index = np.empty(rows, np.int64)
        run = np.r_[True, (us[1:] != us[:-1]) | (ts[1:] != ts[:-1])]
        position = np.arange(rows) - np.maximum.accumulate(np.where(run, np.arange(rows), 0))
        self.index[order] = position + 1
        del order, ts, us, starts, counted, start_time, new_user, number, run, position
        self.t, self.user_code = t, user_code
        self.ordering = (t // 10**6) % 1000 + 1
        self.path_id = rng.integers(0, 2000, rows)
        self.engagement = rng.integers(0, 60_000, rows)
        self.revenue = np.round(rng.gamma(2.0, 30.0, rows), 2)
        self.plans = np.array(["free", "plus", "pro"], dtype=object)[rng.integers(0, 3, n_users)]
        self.per_user = rng.integers(0, 1 << 30, n_users)
        self.bundle = rng.integers(1, 10**6, rows)

    def table(self, rows: np.ndarray):
        """The export's rows ``rows`` (indices into the walk) as a pyarrow Table."""
        import pyarrow as pa
        import pyarrow.compute as pc

        n = len(rows)
        t, user_code = self.t[rows], self.user_code[rows]
        names = self.names.take(pa.array(rows))
        event_names = names.to_numpy(zero_copy_only=False)
        purchase = event_names == "purchase"
        revenue = self.revenue[rows]
        per_user = self.per_user[user_code]

        k = np.where(purchase, 7, 5)
        offsets = np.r_[0, np.cumsum(k)].astype(np.int32)
        n_params = int(offsets[-1])
        row_of = np.repeat(np.arange(n), k)
        slot = np.arange(n_params) - offsets[:-1][row_of]
        keys = np.array(
            [
                "ga_session_id",
                "ga_session_number",
                "page_location",
                "page_title",
                "engagement_time_msec",
                "value",
                "currency",
            ],
            dtype=object,
        )[slot]
        locations = pc.binary_join_element_wise(
            "https://shop.example/", names, pc.cast(pa.array(self.path_id[rows]), pa.string()), ""
        )
        text = np.full(n_params, None, dtype=object)
        text[slot == 2] = locations.to_numpy(zero_copy_only=False)[row_of[slot == 2]]
        text[slot == 3] = event_names[row_of[slot == 3]]
        text[slot == 6] = "EUR"
        integers = np.zeros(n_params, np.int64)
        integers[slot == 0] = self.session_id[rows][row_of[slot == 0]]
        integers[slot == 1] = self.session_number[rows][row_of[slot == 1]]
        integers[slot == 4] = self.engagement[rows][row_of[slot == 4]]
        doubles = np.zeros(n_params)
        doubles[slot == 5] = revenue[row_of[slot == 5]]
        is_int, is_double = np.isin(slot, (0, 1, 4)), slot == 5
        value = pa.StructArray.from_arrays(
            [
                pa.array(text, pa.string()),
                pa.array(integers, pa.int64(), mask=~is_int),
                pa.nulls(n_params, pa.float64()),
                pa.array(doubles, pa.float64(), mask=~is_double),
            ],
            names=["string_value", "int_value", "float_value", "double_value"],
        )
        params = pa.ListArray.from_arrays(
            pa.array(offsets), pa.StructArray.from_arrays([pa.array(keys, pa.string()), value], names=["key", "value"])
        )

        one = np.arange(n + 1, dtype=np.int32)
        user_value = pa.StructArray.from_arrays(
            [
                pa.array(self.plans[user_code], pa.string()),
                pa.nulls(n, pa.int64()),
                pa.nulls(n, pa.float64()),
                pa.nulls(n, pa.float64()),
                pa.array(t, pa.int64()),
            ],
            names=["string_value", "int_value", "float_value", "double_value", "set_timestamp_micros"],
        )
        user_properties = pa.ListArray.from_arrays(
            pa.array(one),
            pa.StructArray.from_arrays(
                [pa.array(np.full(n, "plan", dtype=object), pa.string()), user_value], names=["key", "value"]
            ),
        )

        def pick(choices: list[str], codes: np.ndarray) -> pa.Array:
            return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(choices)).cast(pa.string())

        device = pa.StructArray.from_arrays(
            [
                pick(["mobile", "desktop", "tablet"], per_user % 3),
                pick(["Android", "iOS", "Windows", "Macintosh"], per_user % 4),
                pa.StructArray.from_arrays(
                    [
                        pick(["Chrome", "Safari", "Firefox", "Edge"], per_user // 7 % 4),
                        pa.array(np.full(n, "shop.example", dtype=object), pa.string()),
                    ],
                    names=["browser", "hostname"],
                ),
            ],
            names=["category", "operating_system", "web_info"],
        )
        geo = pa.StructArray.from_arrays(
            [
                pick(["France", "Germany", "Spain", "Italy", "United States"], per_user % 5),
                pick(["Paris", "Lyon", "Berlin", "Madrid", "Rome", "Boston"], per_user % 6),
            ],
            names=["country", "city"],
        )
        traffic = pa.StructArray.from_arrays(
            [
                pick(["(direct)", "spring_sale", "newsletter"], per_user % 3),
                pick(["(none)", "cpc", "email"], per_user % 3),
                pick(["(direct)", "google", "mailchimp"], per_user % 3),
            ],
            names=["name", "medium", "source"],
        )
        ecommerce = pa.StructArray.from_arrays(
            [
                pa.array(np.where(purchase, "T", None), pa.string()),
                pa.array(revenue, pa.float64(), mask=~purchase),
                pa.array(np.full(n, 1), pa.int64(), mask=~purchase),
            ],
            names=["transaction_id", "purchase_revenue", "total_item_quantity"],
            mask=pa.array(~purchase),
        )
        item_offsets = np.r_[0, np.cumsum(purchase)].astype(np.int32)
        n_items = int(purchase.sum())
        items = pa.ListArray.from_arrays(
            pa.array(item_offsets),
            pa.StructArray.from_arrays(
                [
                    pa.array(np.full(n_items, "sku", dtype=object), pa.string()),
                    pa.array(revenue[purchase], pa.float64()),
                    pa.array(np.ones(n_items, np.int64)),
                ],
                names=["item_id", "price", "quantity"],
            ),
        )
        logged_in = per_user % 5 == 0  # a fifth of users log in
        return pa.table(
            {
                "event_date": pa.array(np.datetime_as_string(t.astype("datetime64[us]"), unit="D")).cast(pa.string()),
                "event_timestamp": pa.array(t, pa.int64()),
                "event_name": names,
                "event_params": params,
                "event_bundle_sequence_id": pa.array(self.bundle[rows], pa.int64()),
                "user_id": pa.array(
                    np.where(logged_in, np.char.add("c", (per_user % 100_000).astype("U6")).astype(object), None),
                    pa.string(),
                ),
                "user_pseudo_id": self.pseudo.take(pa.array(rows)),
                "user_properties": user_properties,
                "device": device,
                "geo": geo,
                "traffic_source": traffic,
                "stream_id": pa.array(np.full(n, "4178521913", dtype=object), pa.string()),
                "platform": pa.array(np.full(n, "WEB", dtype=object), pa.string()),
                "ecommerce": ecommerce,
                "items": items,
                "batch_event_index": pa.array(self.index[rows], pa.int64()),
                "batch_ordering_id": pa.array(self.ordering[rows], pa.int64()),
                "batch_page_id": pa.array(np.ones(n, np.int64)),
            }
        )


def flat_twin(export):
    """The same events as a tidy table: one column per parameter, structs dotted, time as a timestamp."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    import journey

    # read_events takes a path or a DataFrame: the table goes through a scratch Parquet file.
    scratch = OUT / "ga4_scratch.parquet"
    pq.write_table(export, scratch)
    log = journey.read_events(scratch, format="ga4")
    scratch.unlink()
    frame = log.frame.rename(
        columns={"user": "user_pseudo_id", "time": "event_timestamp", "event": "event_name", "session": "ga_session_id"}
    )
    frame["event_name"] = frame["event_name"].astype(str)
    rows = np.random.default_rng(1).permutation(len(frame))  # no order, like the export
    # Without pandas' metadata: pandas cannot read back its own note of an Arrow-backed list column.
    return pa.Table.from_pandas(frame.take(rows), preserve_index=False).replace_schema_metadata(None)


def _median(runs: list[dict]) -> dict:
    seconds = [r["seconds"] for r in runs]
    return {
        "seconds": float(np.median(seconds)),
        "min": min(seconds),
        "max": max(seconds),
        "cpu_seconds": float(np.median([r["cpu_seconds"] for r in runs])),
        "peak_mib": max(r["peak_mib"] for r in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each case; the medians are shown")
    parser.add_argument("--no-duckdb", action="store_true", help="leave out the DuckDB case (no peers environment)")
    parser.add_argument("--case")
    parser.add_argument("path", nargs="?")
    args = parser.parse_args()
    if args.case:
        import importlib  # the tool is imported before the clock starts, as in a notebook

        importlib.import_module("duckdb" if args.case == "duckdb" else "journey")
        return measure_split(CASES[args.case], figures, args.path)
    export, tidy, flat = files(args.rows)
    script = Path(__file__)
    reference = "tidy Parquet, same events and columns"
    cases = [
        (reference, "tidy", tidy),
        ("tidy Parquet without the items lists", "tidy", flat),
        ("GA4 export, nested Parquet (format='ga4')", "ga4", export),
    ]
    if not args.no_duckdb:
        cases.append(("DuckDB flattening the same nested Parquet", "duckdb", export))
        from peers import peers_python

        python = {"duckdb": peers_python()}
    else:
        python = {}
    runs: dict[str, list[dict]] = {label: [] for label, _, _ in cases}
    for _ in range(args.repeat):  # interleaved, so a busy spell on the machine slows every case alike
        for label, case, path in cases:
            runs[label].append(run_case(script, case, str(path), python=python.get(case, sys.executable)))
    shapes = {(r["rows"], r["columns"]) for label, _, _ in cases[2:] for r in runs[label]}
    if len({rows for rows, _ in shapes}) != 1:
        raise RuntimeError(f"the GA4 cases disagree on the number of events: {sorted(shapes)}")
    results = [(label, _median(runs[label])) for label, _, _ in cases]
    print(
        f"read_events on {args.rows:,} GA4 events, median of {args.repeat} runs ({export.name}: {export.stat().st_size / 2**20:.0f} MiB, "
        f"{tidy.name}: {tidy.stat().st_size / 2**20:.0f} MiB)"
    )
    # CPU seconds beside wall seconds: on a busy machine the wall clock also counts waiting for a core.
    # Every figure is a median over the runs (wall and CPU each), min-max of the wall time in brackets.
    first = results[0][1]
    print(
        f"{'case':<44}{'seconds':>9}{'(min-max)':>14}{'cpu s':>8}{'peak MiB':>10}{'time / first':>14}"
        f"{'cpu / first':>13}"
    )
    for label, r in results:
        spread = f"({r['min']:.2f}-{r['max']:.2f})"
        print(
            f"{label:<44}{r['seconds']:>9.2f}{spread:>14}{r['cpu_seconds']:>8.2f}{r['peak_mib']:>10.0f}"
            f"{r['seconds'] / first['seconds']:>14.2f}{r['cpu_seconds'] / first['cpu_seconds']:>13.2f}"
        )
    ga4, same, flat_only = (r[1]["seconds"] for r in (results[2], results[0], results[1]))
    print(f"GA4 export / tidy: {ga4 / same:.2f}x; / tidy without items: {ga4 / flat_only:.2f}x (target: at most 2x)")
    if len(results) > 3:
        print(f"GA4 export with journey / with DuckDB: {ga4 / results[3][1]['seconds']:.2f}x")


if __name__ == "__main__":
    main()
