"""Bundled sample data: a seeded simulation of an online shop's customer journeys.

The tables ship inside the package (``journey/datasets/data/``, described in its ``README.md``) and
:func:`load_sample` reads them with :mod:`importlib.resources`, so an installed wheel has them too; nothing
is simulated unless :func:`simulate` is called. The generative model plants truths that the analyses must
recover:

* **Mobile customers drop off at payment far more often**: from ``payment`` a desktop visit goes on to
  ``purchase`` with probability 0.85, a mobile visit with 0.55 (and exits with 0.11 vs 0.37).
* **Customers who contacted support are more often detractors**: contacting support lowers the latent
  satisfaction behind the NPS answer by 2.5 points on the 0-10 scale.
* **Email brings the most committed customers**: from ``cart``, email customers reach ``checkout`` with
  probability 0.75, others with 0.62.
* **Trackers double-fire**: 0.2% of events are recorded twice (same row, same second), as web trackers
  do; ``read_events`` keeps them and counts them as exact duplicates.
* **Buyers come back**: after a visit with a purchase a customer returns with probability 0.55 (0.35
  otherwise, +0.10 for email customers), after an exponential gap of mean 14 days, so the orders table
  has repeat purchases.

Customers arrive uniformly over 180 days from 2025-01-06; observation ends on 2025-09-30, so late
journeys, returns and survey answers after that are cut off (censored), as in a real export.

Randomness comes only from :meth:`random.Random.random` with an integer seed, whose sequence Python
guarantees across versions, so the shipped files are reproducible anywhere: ``make data`` (``python -m
journey.datasets journey/datasets/data`` in a checkout) writes them again, identical to the byte.
"""

from __future__ import annotations

import gzip
import io
import math
import random
from collections.abc import Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal, NamedTuple

import pandas as pd

from ..errors import JourneyError, SourceError

__all__ = ["simulate", "load_sample", "write_sample", "sample_path", "Sample", "DEFAULT_SEED", "FILES"]

DEFAULT_SEED = 20250106
#: The file of each table, in the package's ``data`` folder (or a folder written by :func:`write_sample`).
FILES = {"events": "events.csv.gz", "survey": "survey.csv.gz", "orders": "orders.csv.gz"}
SampleTable = Literal["events", "survey", "orders"]

FIRST_DAY = pd.Timestamp("2025-01-06", tz="UTC")
ARRIVAL_DAYS = 180
OBSERVATION_END = pd.Timestamp("2025-10-01", tz="UTC")  # exclusive: the data ends on 2025-09-30
DAY = 86_400

CHANNELS = (("ad", 0.40), ("search", 0.35), ("email", 0.25))
DEVICES = (("mobile", 0.58), ("desktop", 0.42))
ENTRY = {"ad": "ad_click", "search": "search", "email": "email_click"}
RETURN_ENTRY = (("email_click", 0.50), ("ad_click", 0.20), ("search", 0.15), ("home", 0.15))
EXIT = None

# Next touchpoint within a visit: {touchpoint: ((next, probability), ...)}; None ends the visit.
FLOW = {
    "ad_click": (("product", 0.55), ("home", 0.30), (EXIT, 0.15)),
    "email_click": (("product", 0.50), ("home", 0.35), (EXIT, 0.15)),
    "search": (("product", 0.45), ("category", 0.40), (EXIT, 0.15)),
    "home": (("category", 0.55), ("product", 0.20), ("support", 0.03), (EXIT, 0.22)),
    "category": (("product", 0.65), ("category", 0.10), ("home", 0.05), (EXIT, 0.20)),
    "product": (("product", 0.20), ("cart", 0.30), ("category", 0.15), ("support", 0.03), (EXIT, 0.32)),
    "cart": (("checkout", 0.62), ("product", 0.15), (EXIT, 0.23)),
    "checkout": (("payment", 0.80), ("cart", 0.05), ("support", 0.04), (EXIT, 0.11)),
    "payment": (("purchase", 0.85), ("support", 0.04), (EXIT, 0.11)),
    "purchase": ((EXIT, 0.85), ("product", 0.15)),
    "support": (("checkout", 0.30), ("home", 0.20), (EXIT, 0.50)),
}
MOBILE_PAYMENT = (("purchase", 0.55), ("support", 0.08), (EXIT, 0.37))
EMAIL_CART = (("checkout", 0.75), ("product", 0.10), (EXIT, 0.15))
# Median seconds spent before arriving at a touchpoint (log-normal, sigma 0.8).
MEDIAN_SECONDS = {
    "home": 15,
    "category": 25,
    "product": 40,
    "cart": 20,
    "checkout": 60,
    "payment": 90,
    "purchase": 30,
    "support": 240,
}
MAX_STEPS = 60
DOUBLE_FIRE = 0.002


class Sample(NamedTuple):
    """The three tables of the sample, as they are stored in the package's ``data`` folder."""

    events: pd.DataFrame
    survey: pd.DataFrame
    orders: pd.DataFrame


def simulate(n_customers: int = 20_000, seed: int = DEFAULT_SEED) -> Sample:
    """Simulate the sample shop: events, survey answers and orders for ``n_customers`` customers.

    Parameters
    ----------
    n_customers : int
        Customers to simulate (each has at least one visit).
    seed : int
        Seed of the generator; the same seed gives the same tables, to the byte, on any machine.

    Returns
    -------
    Sample
        ``events`` (user_id, timestamp, event, device, channel), ``survey`` (user_id, timestamp,
        nps 0-10, csat 1-5; missing where the question was skipped) and ``orders`` (customer_id,
        order_id, timestamp, amount in EUR). Timestamps are ISO-8601 text in UTC, as in a CSV export.

    Examples
    --------
    >>> from journey.datasets import simulate
    >>> sample = simulate(n_customers=50, seed=1)
    >>> sorted(sample.events["event"].unique())[:3]
    ['ad_click', 'cart', 'category']
    """
    if n_customers < 1:
        raise ValueError(f"n_customers must be at least 1, not {n_customers}")
    rng = random.Random(seed)
    end = int((OBSERVATION_END - FIRST_DAY).total_seconds())
    events, survey, orders = [], [], []
    for i in range(n_customers):
        user = f"C{i + 1:06d}"
        channel, device = _pick(rng, CHANNELS), _pick(rng, DEVICES)
        t = int(rng.random() * ARRIVAL_DAYS * DAY)
        entry = ENTRY[channel]
        bought_any = contacted = False
        while t < end:
            visit, t = _visit(rng, entry, t, channel, device)
            visit = [(when, what) for when, what in visit if when < end]
            for when, what in visit:
                events.extend([(user, when, what, device, channel)] * (2 if rng.random() < DOUBLE_FIRE else 1))
            bought = any(what == "purchase" for _, what in visit)
            contacted |= any(what == "support" for _, what in visit)
            for when, what in visit:
                if what == "purchase":
                    amount = round(_lognormal(rng, 45.0 if device == "mobile" else 60.0, 0.6), 2)
                    orders.append((user, when, amount))
            bought_any |= bought
            p_return = (0.55 if bought else 0.35) + (0.10 if channel == "email" else 0.0)
            if rng.random() >= p_return:
                break
            t += int(-14 * DAY * math.log(1.0 - rng.random())) + 3600
            entry = _pick(rng, RETURN_ENTRY)
        answer = _survey_answer(rng, t, end, bought_any, contacted, device)
        if answer is not None:
            survey.append((user, *answer))
    return Sample(_events_table(events), _survey_table(survey), _orders_table(orders))


def write_sample(directory: str | Path, n_customers: int = 20_000, seed: int = DEFAULT_SEED) -> list[Path]:
    """Simulate the sample and write its tables to ``directory`` as gzip-compressed CSV.

    The gzip headers are fixed (no file name, no time), so the same arguments give the same bytes.

    Parameters
    ----------
    directory : str or path
        Folder to write ``events.csv.gz``, ``survey.csv.gz`` and ``orders.csv.gz`` to (created if needed).
        There is no default: the shipped files are regenerated in a checkout with ``make data``, never in
        an installed package.
    n_customers, seed : int
        As for :func:`simulate`.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order events, survey, orders.

    Examples
    --------
    >>> import tempfile
    >>> from journey.datasets import load_sample, write_sample
    >>> folder = tempfile.mkdtemp()
    >>> [p.name for p in write_sample(folder, n_customers=30, seed=1)]
    ['events.csv.gz', 'survey.csv.gz', 'orders.csv.gz']
    >>> load_sample(folder).events["user_id"].nunique()
    30
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in simulate(n_customers, seed)._asdict().items():
        path = directory / FILES[name]
        with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(csv_bytes(table))
        written.append(path)
    return written


def csv_bytes(table: pd.DataFrame) -> bytes:
    """The exact CSV text the sample files hold for ``table`` (UTF-8, LF line ends)."""
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def _shipped(name: str) -> Traversable:
    """A file of the package's ``data`` folder, wherever and however the package is installed."""
    return resources.files(__name__).joinpath("data", FILES[name])


def sample_path(table: SampleTable = "events") -> Path:
    """The path of a shipped sample file, for functions and commands that take a file name.

    Parameters
    ----------
    table : {"events", "survey", "orders"}
        Which table's file.

    Returns
    -------
    pathlib.Path
        ``.../journey/datasets/data/events.csv.gz`` (or ``survey.csv.gz``, ``orders.csv.gz``) in the
        installed package.

    Raises
    ------
    JourneyError
        ``table`` is not one of the three, or the package is not installed as files on disk (a zip
        archive): use :func:`load_sample` then.

    Examples
    --------
    >>> import journey
    >>> from journey.datasets import sample_path
    >>> sample_path("events").name
    'events.csv.gz'
    >>> journey.read_events(sample_path("events")).n_users
    20000
    """
    if table not in FILES:
        raise JourneyError(f"table must be one of {', '.join(map(repr, FILES))}, not {table!r}")
    resource = _shipped(table)
    if not isinstance(resource, Path):
        raise SourceError(
            f"the sample file {FILES[table]} is inside an archive ({resource}), not on disk; "
            "read it with journey.datasets.load_sample()"
        )
    return resource


def load_sample(directory: str | Path | None = None) -> Sample:
    """The sample as three DataFrames: the files shipped in the package, or those of ``directory``.

    Nothing is simulated here: a missing file is an error (:func:`simulate` makes new tables).

    Parameters
    ----------
    directory : str or path, optional
        A folder written by :func:`write_sample`. By default the files shipped inside the package are
        read (through :mod:`importlib.resources`, so an installed wheel reads its own copy).

    Returns
    -------
    Sample
        ``events``, ``survey`` and ``orders`` as :func:`simulate` describes them; ids are text, the
        survey's ``nps`` and ``csat`` nullable integers (``Int64``).

    Raises
    ------
    SourceError
        One of the three files is missing (the message names every missing file).

    Examples
    --------
    >>> import journey
    >>> from journey.datasets import load_sample
    >>> sample = load_sample()
    >>> log = journey.read_events(sample.events)
    >>> log.n_users
    20000
    """
    files: dict[str, Traversable | Path]
    if directory is None:
        files = {name: _shipped(name) for name in FILES}
        where = "the installed package (journey/datasets/data); reinstall journey"
    else:
        files = {name: Path(directory) / f for name, f in FILES.items()}
        where = f"{directory}; write them with journey.datasets.write_sample({str(directory)!r})"
    missing = [FILES[name] for name, f in files.items() if not f.is_file()]
    if missing:
        raise SourceError(f"sample file{'s' if len(missing) > 1 else ''} {', '.join(missing)} not found in {where}")
    tables = {}
    for name, file in files.items():
        with file.open("rb") as raw:
            tables[name] = pd.read_csv(
                raw, compression="gzip", dtype={"user_id": "str", "customer_id": "str", "order_id": "str"}
            )
    for col in ("nps", "csat"):
        tables["survey"][col] = tables["survey"][col].astype("Int64")
    return Sample(**tables)


# ---------------------------------------------------------------------------------------------------
# the model


def _visit(rng: random.Random, entry: str, t: int, channel: str, device: str) -> tuple[list, int]:
    """One visit: a walk on FLOW from ``entry``; returns [(second, touchpoint)] and the time it ends."""
    steps, here = [(t, entry)], entry
    while len(steps) < MAX_STEPS:
        choices = FLOW[here]
        if here == "payment" and device == "mobile":
            choices = MOBILE_PAYMENT
        elif here == "cart" and channel == "email":
            choices = EMAIL_CART
        here = _pick(rng, choices)
        if here is EXIT:
            break
        t += max(1, int(_lognormal(rng, MEDIAN_SECONDS[here], 0.8)))
        steps.append((t, here))
    return steps, t


def _survey_answer(
    rng: random.Random, last: int, end: int, bought: bool, contacted: bool, device: str
) -> tuple[int, int | None, int | None] | None:
    """About a third answer the survey 1-3 days after their last visit, if that is still observed."""
    if rng.random() >= 0.35:
        return None
    when = last + int((1 + 2 * rng.random()) * DAY)
    if when >= end:
        return None
    latent = (8.3 if bought else 6.4) - (2.5 if contacted else 0.0) - (0.3 if device == "mobile" else 0.0)
    latent += 1.7 * _normal(rng)
    nps = min(10, max(0, round(latent)))
    csat = min(5, max(1, round(1 + 4 * latent / 10 + 0.6 * _normal(rng))))
    return when, (None if rng.random() < 0.06 else nps), (None if rng.random() < 0.04 else csat)


def _pick(rng: random.Random, choices: Sequence[tuple[Any, float]]) -> Any:
    u, total = rng.random(), 0.0
    for value, p in choices:
        total += p
        if u < total:
            return value
    return choices[-1][0]


def _normal(rng: random.Random) -> float:
    # Box-Muller from two uniforms, so only random() (stable across Python versions) is used.
    return math.sqrt(-2.0 * math.log(1.0 - rng.random())) * math.cos(2.0 * math.pi * rng.random())


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(sigma * _normal(rng))


def _iso(seconds: pd.Series) -> pd.Series:
    return (FIRST_DAY + pd.to_timedelta(seconds, unit="s")).dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _events_table(rows: list) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["user_id", "t", "event", "device", "channel"])
    # An export is in time order, not grouped by customer.
    df = df.sort_values(["t", "user_id"], kind="stable", ignore_index=True)
    df.insert(1, "timestamp", _iso(df.pop("t")))
    return df


def _survey_table(rows: list) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["user_id", "t", "nps", "csat"])
    df = df.sort_values(["t", "user_id"], kind="stable", ignore_index=True)
    df.insert(1, "timestamp", _iso(df.pop("t")))
    return df.astype({"nps": "Int64", "csat": "Int64"})


def _orders_table(rows: list) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["customer_id", "t", "amount"])
    df = df.sort_values(["t", "customer_id"], kind="stable", ignore_index=True)
    df.insert(1, "order_id", [f"O{i + 1:07d}" for i in range(len(df))])
    df.insert(2, "timestamp", _iso(df.pop("t")))
    return df
