"""The sample shop's events as the vendors' exports write them: GA4, Segment and Mixpanel files to read.

:func:`write_exports` turns the events of :func:`~journey.datasets.simulate` into small export files in
the shapes the vendors publish (GA4's BigQuery export schema, the Segment spec, Mixpanel's raw export), so
that the readers of :func:`journey.read_events` can be tried, and their reports checked, on files whose
truth is known. Each export plants what its vendor's real exports hold:

* **GA4** (``ga4/events_YYYYMM.parquet``, one file per month: shards): parameters nested in
  ``event_params``, ``device`` and ``traffic_source`` structs, a ``session_start`` at the same microsecond
  as the first event of every session (ordered by ``batch_event_index``), ``ga_session_id`` sessions, and
  ``user_id`` on the events of customers once they log in at ``checkout``; after that visit they come
  back on a second device (a new ``user_pseudo_id``), as logged-in customers do.
* **Segment** (``segment/messages-N.jsonl.gz``): ``page`` calls for pages and ``track`` calls for actions,
  an ``anonymousId`` per device (the second after the login visit, as in GA4), an ``identify`` call when the customer logs in at ``checkout`` and a
  ``userId`` from then on, and about 1% of messages delivered twice (same ``messageId``, later
  ``receivedAt``).
* **Mixpanel** (``mixpanel/export.json.gz``): ``distinct_id`` ``$device:<id>`` before the login and the user
  id after, with ``$device_id`` and ``$user_id`` on identified events (Simplified ID Merge), times in
  seconds, and about 1% of events repeated with the same ``$insert_id``.

Nothing here is copied from a vendor; the files are generated, seeded and small (a few hundred customers
make some tens of kilobytes). ``python -m journey.datasets.exports FOLDER`` writes them.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import DEFAULT_SEED, simulate

__all__ = ["write_exports", "LOGIN", "PAGES"]

#: Touchpoints that are pages (Segment ``page`` calls, GA4 ``page_view`` with a ``page_location``); the
#: others are actions (Segment ``track`` calls, GA4 events of their own name).
PAGES = ("home", "category", "product")
#: The touchpoint at which a customer logs in: from it on, events carry the customer's user id.
LOGIN = "checkout"
_REDELIVERED = 0.01
_GAP_US = 30 * 60 * 1_000_000


def write_exports(folder: str | Path, n_customers: int = 300, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Write the sample's events for ``n_customers`` as GA4, Segment and Mixpanel exports in ``folder``.

    Parameters
    ----------
    folder : str or pathlib.Path
        Where to write; ``ga4/``, ``segment/`` and ``mixpanel/`` are made in it.
    n_customers : int
        Customers of :func:`~journey.datasets.simulate` (the same seed gives the same files).
    seed : int
        Seed of the simulation and of the repeated deliveries.

    Returns
    -------
    dict
        ``{"ga4": folder/"ga4", "segment": folder/"segment", "mixpanel": folder/"mixpanel/export.json.gz"}``:
        what to give :func:`journey.read_events` with ``format=`` the key.

    Examples
    --------
    >>> import journey, tempfile
    >>> from journey.datasets.exports import write_exports
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = write_exports(folder, n_customers=50)
    ...     log = journey.read_events(paths["segment"], format="segment")
    >>> log.n_users, log.report.duplicates
    (50, 5)
    """
    folder = Path(folder)
    events = _events(n_customers, seed)
    rng = random.Random(seed)
    return {
        "ga4": _write_ga4(events, folder / "ga4"),
        "segment": _write_segment(events, folder / "segment", rng),
        "mixpanel": _write_mixpanel(events, folder / "mixpanel" / "export.json.gz", rng),
    }


def _events(n_customers: int, seed: int) -> pd.DataFrame:
    """The simulated events in time order, with each customer's login and GA4-style session numbers."""
    events = simulate(n_customers, seed).events
    events = events.assign(micros=pd.to_datetime(events["timestamp"], utc=True).dt.as_unit("us").astype("int64"))
    events = events.sort_values(["user_id", "micros"], kind="stable", ignore_index=True)
    first_login = events["micros"].where(events["event"] == LOGIN).groupby(events["user_id"]).transform("min")
    events["logged_in"] = events["micros"] >= first_login  # NaN (never logged in) compares False
    new_session = events["user_id"].ne(events["user_id"].shift()) | events["micros"].diff().gt(_GAP_US)
    events["session_start"] = new_session.to_numpy()
    events["session_number"] = new_session.astype(int).groupby(events["user_id"]).cumsum()
    events["session_id"] = events["user_id"].str[1:].astype(int) * 1000 + events["session_number"]
    # After the session in which they log in, customers come back on a second device (a new browser id).
    login_session = events["session_number"].where(events["micros"] == first_login).groupby(events["user_id"])
    events["device_number"] = np.where(events["session_number"] > login_session.transform("max"), 2, 1)
    return events.sort_values("micros", kind="stable", ignore_index=True)


def _pseudo_id(user: str, device: int = 1) -> str:
    """A browser id of the customer's first or second device, in GA4's ``<random>.<first visit>`` form."""
    return f"{(int(user[1:]) * 7919 + (device - 1) * 104_729) % 1_000_003}.1736121473"


def _write_ga4(events: pd.DataFrame, folder: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    for e in events.itertuples(index=False):
        common = {
            "event_date": pd.Timestamp(e.micros, unit="us").strftime("%Y%m%d"),
            "event_timestamp": int(e.micros),
            "user_id": e.user_id if e.logged_in else None,
            "user_pseudo_id": _pseudo_id(e.user_id, e.device_number),
            "device": {"category": e.device, "operating_system": "Android" if e.device == "mobile" else "Windows"},
            "traffic_source": {"medium": e.acquisition, "source": e.acquisition},
        }
        page = e.event in PAGES
        params = [
            _param("ga_session_id", int(e.session_id)),
            _param("ga_session_number", int(e.session_number)),
            _param("page_location", f"https://shop.example/{e.event if page else 'app'}"),
        ]
        if e.session_start:  # GA4 logs session_start at the microsecond of the session's first event
            rows.append({**common, "event_name": "session_start", "event_params": params, "batch_event_index": 1})
        name = "page_view" if page else e.event
        params = params + [_param("page_type", e.event)] if page else params
        rows.append({**common, "event_name": name, "event_params": params, "batch_event_index": 2})
    table = pa.Table.from_pylist(rows, schema=_ga4_schema())
    months = np.array([r["event_date"][:6] for r in rows])
    for month in sorted(set(months)):
        pq.write_table(table.filter(pa.array(months == month)), folder / f"events_{month}.parquet")
    return folder


def _param(key: str, value: Any) -> dict[str, Any]:
    field = "int_value" if isinstance(value, int) else "string_value"
    return {"key": key, "value": {field: value}}


def _ga4_schema() -> Any:
    import pyarrow as pa

    value = pa.struct([("string_value", pa.string()), ("int_value", pa.int64()), ("double_value", pa.float64())])
    return pa.schema(
        [
            ("event_date", pa.string()),
            ("event_timestamp", pa.int64()),
            ("event_name", pa.string()),
            ("event_params", pa.list_(pa.struct([("key", pa.string()), ("value", value)]))),
            ("user_id", pa.string()),
            ("user_pseudo_id", pa.string()),
            ("device", pa.struct([("category", pa.string()), ("operating_system", pa.string())])),
            ("traffic_source", pa.struct([("medium", pa.string()), ("source", pa.string())])),
            ("batch_event_index", pa.int64()),
        ]
    )


def _iso(micros: int) -> str:
    return pd.Timestamp(micros, unit="us", tz="UTC").strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _write_segment(events: pd.DataFrame, folder: Path, rng: random.Random) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    messages: list[dict[str, Any]] = []
    logged_in: set[str] = set()
    for i, e in enumerate(events.itertuples(index=False)):
        stamp = _iso(int(e.micros))
        base = {
            "anonymousId": f"anon-{_pseudo_id(e.user_id, e.device_number)}",
            "timestamp": stamp,
            "receivedAt": stamp,
        }
        if e.logged_in and e.user_id not in logged_in:
            logged_in.add(e.user_id)
            messages.append({"type": "identify", "messageId": f"id-{i}", "userId": e.user_id, **base})
        message: dict[str, Any] = {"messageId": f"msg-{i}", **base}
        if e.logged_in:
            message["userId"] = e.user_id
        if e.event in PAGES:
            message |= {"type": "page", "name": e.event.title(), "properties": {"path": f"/{e.event}"}}
        else:
            message |= {"type": "track", "event": e.event, "properties": {"channel": e.acquisition}}
        message["context"] = {"device": {"type": e.device}}
        messages.append(message)
        if rng.random() < _REDELIVERED:  # at-least-once delivery: the same message again, received later
            messages.append({**message, "receivedAt": _iso(int(e.micros) + 60_000_000)})
    for k, part in enumerate(np.array_split(np.arange(len(messages)), 2)):
        lines = "".join(json.dumps(messages[j], separators=(",", ":")) + "\n" for j in part)
        (folder / f"messages-{k}.jsonl.gz").write_bytes(gzip.compress(lines.encode(), mtime=0))
    return folder


def _write_mixpanel(events: pd.DataFrame, path: Path, rng: random.Random) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, e in enumerate(events.itertuples(index=False)):
        device = _pseudo_id(e.user_id, e.device_number)
        properties: dict[str, Any] = {
            "time": int(e.micros) // 1_000_000,
            "distinct_id": e.user_id if e.logged_in else f"$device:{device}",
            "$device_id": device,
            "$insert_id": f"ins-{i:06d}",
            "mp_country_code": "FR",
            "$os": "Android" if e.device == "mobile" else "Windows",
            "channel": e.acquisition,
        }
        if e.logged_in:
            properties["$user_id"] = e.user_id
        line = json.dumps({"event": e.event, "properties": properties}, separators=(",", ":"))
        lines.append(line)
        if rng.random() < _REDELIVERED:
            lines.append(line)
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    return path


def main(argv: list[str] | None = None) -> None:
    """``python -m journey.datasets.exports FOLDER``: write the exports and say what was written."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m journey.datasets.exports", description="Write GA4, Segment and Mixpanel exports to FOLDER."
    )
    parser.add_argument("folder", metavar="FOLDER", help="folder to write")
    parser.add_argument("--customers", type=int, default=300, help="customers to simulate (default: 300)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed (default: {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    for format, path in write_exports(args.folder, n_customers=args.customers, seed=args.seed).items():
        files = sorted(p for p in ([path] if path.is_file() else path.iterdir()))
        print(f"{format}: {len(files)} file(s), {sum(f.stat().st_size for f in files):,} bytes in {path}")


if __name__ == "__main__":
    main()
