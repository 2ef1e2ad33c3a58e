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

Run: ``python benchmarks/vendors.py [--rows 1000000] [--repeat 3]`` (medians of the runs are shown) (from a checkout that is not the installed one:
``PYTHONPATH=. python benchmarks/vendors.py``, so the cases import this checkout's journey). Files go to
``benchmarks/out/`` (git-ignored).
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


def figures(log) -> dict:
    return {"rows": len(log), "columns": len(log.columns)}


CASES = {"ga4": with_ga4, "tidy": with_tidy}


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


def write(rows: int) -> None:
    """Write the GA4-shaped export and the tidy file of the same events."""
    import pyarrow.parquet as pq

    OUT.mkdir(exist_ok=True)
    export = ga4_export(rows)
    pq.write_table(export, OUT / f"ga4_export_{rows}.parquet", row_group_size=1_000_000)
    tidy = flat_twin(export)
    pq.write_table(tidy, OUT / f"ga4_tidy_{rows}.parquet", row_group_size=1_000_000)
    pq.write_table(tidy.drop_columns(["items"]), OUT / f"ga4_flat_{rows}.parquet", row_group_size=1_000_000)


def ga4_export(rows: int, seed: int = 15):
    """A pyarrow Table of ``rows`` events in the shape of GA4's BigQuery export schema."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from ga4_log import generate

    walk = generate(rows)  # user_id (pseudo ids), timestamp (us, UTC), event; rows shuffled
    rng = np.random.default_rng(seed)
    pseudo = walk.column("user_id").combine_chunks()
    t = walk.column("timestamp").combine_chunks().cast(pa.int64()).to_numpy()
    names = walk.column("event").combine_chunks()
    user_code = pc.dictionary_encode(pseudo).indices.to_numpy()
    n_users = int(user_code.max()) + 1

    # Sessions as GA4 cuts them (30 minutes of inactivity): ga_session_id is the session's start in seconds.
    order = np.lexsort((t, user_code))
    ts, us = t[order], user_code[order]
    starts = np.r_[True, (us[1:] != us[:-1]) | (np.diff(ts) > 1800 * 10**6)]
    counted = np.cumsum(starts)
    start_time = ts[np.flatnonzero(starts)][counted - 1]
    new_user = np.r_[True, us[1:] != us[:-1]]
    number = counted - counted[np.maximum.accumulate(np.where(new_user, np.arange(rows), 0))] + 1
    session_id, session_number = np.empty(rows, np.int64), np.empty(rows, np.int64)
    session_id[order], session_number[order] = start_time // 10**6, number
    # Batch numbers: events of one user at one instant were sent in one batch, in walk order.
    index = np.empty(rows, np.int64)
    run = np.r_[True, (us[1:] != us[:-1]) | (ts[1:] != ts[:-1])]
    position = np.arange(rows) - np.maximum.accumulate(np.where(run, np.arange(rows), 0))
    index[order] = position + 1
    ordering = (t // 10**6) % 1000 + 1

    event_names = names.to_numpy(zero_copy_only=False)
    purchase = event_names == "purchase"
    k = np.where(purchase, 7, 5)
    offsets = np.r_[0, np.cumsum(k)].astype(np.int32)
    n_params = int(offsets[-1])
    row_of = np.repeat(np.arange(rows), k)
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
    path_id = rng.integers(0, 2000, rows)
    locations = pc.binary_join_element_wise("https://shop.example/", names, pc.cast(pa.array(path_id), pa.string()), "")
    text = np.full(n_params, None, dtype=object)
    text[slot == 2] = locations.to_numpy(zero_copy_only=False)[row_of[slot == 2]]
    text[slot == 3] = event_names[row_of[slot == 3]]
    text[slot == 6] = "EUR"
    integers = np.zeros(n_params, np.int64)
    integers[slot == 0] = session_id[row_of[slot == 0]]
    integers[slot == 1] = session_number[row_of[slot == 1]]
    integers[slot == 4] = rng.integers(0, 60_000, int((slot == 4).sum()))
    revenue = np.round(rng.gamma(2.0, 30.0, rows), 2)
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

    plans = np.array(["free", "plus", "pro"], dtype=object)[rng.integers(0, 3, n_users)][user_code]
    one = np.arange(rows + 1, dtype=np.int32)
    user_value = pa.StructArray.from_arrays(
        [
            pa.array(plans, pa.string()),
            pa.nulls(rows, pa.int64()),
            pa.nulls(rows, pa.float64()),
            pa.nulls(rows, pa.float64()),
            pa.array(t, pa.int64()),
        ],
        names=["string_value", "int_value", "float_value", "double_value", "set_timestamp_micros"],
    )
    user_properties = pa.ListArray.from_arrays(
        pa.array(one),
        pa.StructArray.from_arrays(
            [pa.array(np.full(rows, "plan", dtype=object), pa.string()), user_value], names=["key", "value"]
        ),
    )

    def pick(choices: list[str], codes: np.ndarray) -> pa.Array:
        return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(choices)).cast(pa.string())

    per_user = rng.integers(0, 1 << 30, n_users)
    device = pa.StructArray.from_arrays(
        [
            pick(["mobile", "desktop", "tablet"], per_user[user_code] % 3),
            pick(["Android", "iOS", "Windows", "Macintosh"], per_user[user_code] % 4),
            pa.StructArray.from_arrays(
                [
                    pick(["Chrome", "Safari", "Firefox", "Edge"], per_user[user_code] // 7 % 4),
                    pa.array(np.full(rows, "shop.example", dtype=object), pa.string()),
                ],
                names=["browser", "hostname"],
            ),
        ],
        names=["category", "operating_system", "web_info"],
    )
    geo = pa.StructArray.from_arrays(
        [
            pick(["France", "Germany", "Spain", "Italy", "United States"], per_user[user_code] % 5),
            pick(["Paris", "Lyon", "Berlin", "Madrid", "Rome", "Boston"], per_user[user_code] % 6),
        ],
        names=["country", "city"],
    )
    traffic = pa.StructArray.from_arrays(
        [
            pick(["(direct)", "spring_sale", "newsletter"], per_user[user_code] % 3),
            pick(["(none)", "cpc", "email"], per_user[user_code] % 3),
            pick(["(direct)", "google", "mailchimp"], per_user[user_code] % 3),
        ],
        names=["name", "medium", "source"],
    )
    ecommerce = pa.StructArray.from_arrays(
        [
            pa.array(np.where(purchase, "T", None), pa.string()),
            pa.array(revenue, pa.float64(), mask=~purchase),
            pa.array(np.full(rows, 1), pa.int64(), mask=~purchase),
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
    logged_in = (per_user % 5 == 0)[user_code]  # a fifth of users log in
    return pa.table(
        {
            "event_date": pa.array(np.datetime_as_string(t.astype("datetime64[us]"), unit="D")).cast(pa.string()),
            "event_timestamp": pa.array(t, pa.int64()),
            "event_name": names,
            "event_params": params,
            "event_bundle_sequence_id": pa.array(rng.integers(1, 10**6, rows), pa.int64()),
            "user_id": pa.array(
                np.where(
                    logged_in, np.char.add("c", (per_user[user_code] % 100_000).astype("U6")).astype(object), None
                ),
                pa.string(),
            ),
            "user_pseudo_id": pseudo,
            "user_properties": user_properties,
            "device": device,
            "geo": geo,
            "traffic_source": traffic,
            "stream_id": pa.array(np.full(rows, "4178521913", dtype=object), pa.string()),
            "platform": pa.array(np.full(rows, "WEB", dtype=object), pa.string()),
            "ecommerce": ecommerce,
            "items": items,
            "batch_event_index": pa.array(index, pa.int64()),
            "batch_ordering_id": pa.array(ordering, pa.int64()),
            "batch_page_id": pa.array(np.ones(rows, np.int64)),
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
    parser.add_argument("--case")
    parser.add_argument("path", nargs="?")
    args = parser.parse_args()
    if args.case:
        import journey  # imported before the clock starts, as in a notebook

        del journey
        return measure_split(CASES[args.case], figures, args.path)
    export, tidy, flat = files(args.rows)
    script = Path(__file__)
    reference = "tidy Parquet, same events and columns"
    cases = [
        (reference, "tidy", tidy),
        ("tidy Parquet without the items lists", "tidy", flat),
        ("GA4 export, nested Parquet (format='ga4')", "ga4", export),
    ]
    runs: dict[str, list[dict]] = {label: [] for label, _, _ in cases}
    for _ in range(args.repeat):  # interleaved, so a busy spell on the machine slows every case alike
        for label, case, path in cases:
            runs[label].append(run_case(script, case, str(path)))
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


if __name__ == "__main__":
    main()
