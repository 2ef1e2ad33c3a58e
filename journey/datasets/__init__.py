"""Bundled sample data: a seeded simulation of an online shop's customers across its contact points.

The shop's systems each export a table: the website's events, survey answers, orders, the support desk's
chats and tickets, the carrier's delivery scans and the follow-up e-mails. The tables ship inside the
package (``journey/datasets/data/``, described in its ``README.md``) and :func:`load_sample` reads them with
:mod:`importlib.resources`, so an installed wheel has them too; nothing is simulated unless :func:`simulate`
is called. The generative model plants truths that the analyses must recover:

* **Mobile customers drop off at payment far more often**: from ``payment`` a desktop visit goes on to
  ``purchase`` with probability 0.85, a mobile visit with 0.55 (and exits with 0.11 vs 0.37).
* **Customers who contacted support are more often detractors**: contacting support (the site's
  ``support`` page, a chat or a ticket) lowers the latent satisfaction behind every later NPS answer by 2.5
  points on the 0-10 scale.
* **Email brings the most committed customers**: from ``cart``, email customers reach ``checkout`` with
  probability 0.75, others with 0.62.
* **Trackers double-fire**: 0.2% of web events are recorded twice (same row, same second), as web
  trackers do; ``read_events`` keeps them and counts them as exact duplicates.
* **Buyers come back**: after a visit with a purchase a customer returns with probability 0.75 (0.62
  otherwise, +0.08 for email customers), after an exponential gap of mean 12 days, so the orders table
  has repeat purchases and monthly churn is that of a shop with regulars.
* **Late deliveries hurt** (the pain point of the journey map): 12% of orders arrive late; answers in
  the 30 days after a late delivery score 3.5 points lower, a late delivery gets no review request, and
  after one a customer returns with probability 0.30 only.

Customers arrive uniformly over the whole observation, from 2025-01-06 until it ends on 2025-09-30, so
every month acquires about as many new customers; journeys, deliveries and survey answers after the end
are cut off (censored), as in a real export.

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
FILES = {
    "events": "events.csv.gz",
    "survey": "survey.csv.gz",
    "orders": "orders.csv.gz",
    "support": "support.csv.gz",
    "deliveries": "deliveries.csv.gz",
    "followups": "followups.csv.gz",
}
SampleTable = Literal["events", "survey", "orders", "support", "deliveries", "followups"]

FIRST_DAY = pd.Timestamp("2025-01-06", tz="UTC")
OBSERVATION_END = pd.Timestamp("2025-10-01", tz="UTC")  # exclusive: the data ends on 2025-09-30
DAY = 86_400
HOUR = 3_600

ACQUISITION = (("ad", 0.40), ("search", 0.35), ("email", 0.25))
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

# Returning after a visit: the probability, and the mean of the exponential gap in days. A fifth of the
# customers are regulars, who come back after most visits.
RETURN_BOUGHT, RETURN_BROWSED, RETURN_EMAIL_BONUS, RETURN_AFTER_LATE = 0.70, 0.55, 0.08, 0.30
REGULAR, RETURN_REGULAR = 0.20, 0.92
RETURN_GAP_DAYS = 10
# The support desk: a visit to the support page becomes a chat or a ticket, a late parcel often a ticket.
SUPPORT_CONTACT, SUPPORT_CHAT, LATE_TICKET = 0.70, 0.60, 0.45
# The carrier: shipped 4-36 h after the order, delivered 1-3 days later, or late (5-9 days).
LATE_DELIVERY = 0.12
# Follow-up e-mails: a review request 5 days after an on-time delivery; some customers write a review.
REVIEW_REQUEST, REVIEW = 0.85, 0.25
# Survey: a third of customers answer every invitation they get (so response rates do not depend on the
# path); invitations follow each delivery, each support contact, a relationship survey 30 days after the
# last order, and a visit survey after the last visit of a customer who never bought.
RESPONDER = 0.35
SKIP_NPS, SKIP_CSAT = 0.06, 0.04
HURT_DAYS = 30


class Sample(NamedTuple):
    """The six tables of the sample, as they are stored in the package's ``data`` folder."""

    events: pd.DataFrame
    survey: pd.DataFrame
    orders: pd.DataFrame
    support: pd.DataFrame
    deliveries: pd.DataFrame
    followups: pd.DataFrame


class _Customer:
    """One simulated customer's contact points, appended to the shared tables as they happen."""

    def __init__(self, rng: random.Random, user: str, end: int, tables: dict[str, list]) -> None:
        self.rng, self.user, self.end, self.tables = rng, user, end, tables
        self.acquisition, self.device = _pick(rng, ACQUISITION), _pick(rng, DEVICES)
        self.regular = rng.random() < REGULAR
        self.purchases: list[int] = []
        self.contacts: list[int] = []
        self.late: list[int] = []
        self.invitations: list[int] = []

    def live(self, t: int) -> None:
        """Visits from arrival at second ``t`` until the customer stops coming back or the data ends."""
        rng, entry = self.rng, ENTRY[self.acquisition]
        last_visit = t
        while t < self.end:
            visit, t = _visit(rng, entry, t, self.acquisition, self.device)
            visit = [(when, what) for when, what in visit if when < self.end]
            late = False
            for when, what in visit:
                copies = 2 if rng.random() < DOUBLE_FIRE else 1
                self.tables["events"].extend([(self.user, when, what, self.device, self.acquisition)] * copies)
                if what == "support":
                    self._support_contact(when)
                elif what == "purchase":
                    late |= self._order(when)
                last_visit = when
            bought = any(what == "purchase" for _, what in visit)
            if late:
                p_return = RETURN_AFTER_LATE
            elif self.regular:
                p_return = RETURN_REGULAR
            else:
                p_return = (RETURN_BOUGHT if bought else RETURN_BROWSED) + (
                    RETURN_EMAIL_BONUS if self.acquisition == "email" else 0.0
                )
            if rng.random() >= p_return:
                break
            t += int(-RETURN_GAP_DAYS * DAY * math.log(1.0 - rng.random())) + HOUR
            entry = _pick(rng, RETURN_ENTRY)
        if self.purchases:
            self.invitations.append(self.purchases[-1] + HURT_DAYS * DAY)
        else:
            self.invitations.append(last_visit + int((1 + 2 * rng.random()) * DAY))
        self._answers()

    def _support_contact(self, t: int) -> None:
        self.contacts.append(t)
        if self.rng.random() < SUPPORT_CONTACT:
            what = "chat" if self.rng.random() < SUPPORT_CHAT else "ticket"
            self._desk(t + 30 + int(270 * self.rng.random()), what)

    def _desk(self, t: int, what: str) -> None:
        if t < self.end:
            self.tables["support"].append((self.user, t, what))
            self.contacts.append(t)
            self.invitations.append(t + int((0.5 + self.rng.random()) * DAY))

    def _order(self, t: int) -> bool:
        """The order, its delivery and the follow-up of a purchase at ``t``; True when it arrives late."""
        rng = self.rng
        amount = round(_lognormal(rng, 45.0 if self.device == "mobile" else 60.0, 0.6), 2)
        order = len(self.tables["orders"])
        self.tables["orders"].append((self.user, t, amount))
        self.purchases.append(t)
        shipped = t + int((4 + 32 * rng.random()) * HOUR)
        late = rng.random() < LATE_DELIVERY
        arrived = shipped + int(((5 + 4 * rng.random()) if late else (1 + 2 * rng.random())) * DAY)
        if late and rng.random() < LATE_TICKET:
            self._desk(shipped + int((3 + 2 * rng.random()) * DAY), "ticket")
        for when, what in ((shipped, "shipped"), (arrived, "late_delivery" if late else "delivered")):
            if when < self.end:
                self.tables["deliveries"].append((self.user, when, what, order))
        if arrived >= self.end:
            return late
        self.invitations.append(arrived + int((1 + 2 * rng.random()) * DAY))
        if late:
            self.late.append(arrived)
        elif rng.random() < REVIEW_REQUEST:
            asked = arrived + 5 * DAY + int(6 * HOUR * rng.random())
            if asked < self.end:
                self.tables["followups"].append((self.user, asked, "review_request"))
                written = asked + int((0.5 + 3 * rng.random()) * DAY)
                if rng.random() < REVIEW and written < self.end:
                    self.tables["followups"].append((self.user, written, "review"))
        return late

    def _answers(self) -> None:
        """A responder answers every invitation still observed; the latent score depends on what came before."""
        rng = self.rng
        if rng.random() >= RESPONDER:
            return
        for when in sorted(self.invitations):
            if when >= self.end:
                continue
            bought = any(t < when for t in self.purchases)
            contacted = any(t < when for t in self.contacts)
            hurt = any(when - HURT_DAYS * DAY <= t < when for t in self.late)
            latent = (8.3 if bought else 6.4) - (2.5 if contacted else 0.0) - (3.5 if hurt else 0.0)
            latent -= 0.3 if self.device == "mobile" else 0.0
            latent += 1.7 * _normal(rng)
            nps = min(10, max(0, round(latent)))
            csat = min(5, max(1, round(1 + 4 * latent / 10 + 0.6 * _normal(rng))))
            self.tables["survey"].append(
                (self.user, when, None if rng.random() < SKIP_NPS else nps, None if rng.random() < SKIP_CSAT else csat)
            )


def simulate(n_customers: int = 20_000, seed: int = DEFAULT_SEED) -> Sample:
    """Simulate the sample shop: the six tables of its systems for ``n_customers`` customers.

    Parameters
    ----------
    n_customers : int
        Customers to simulate (each has at least one visit).
    seed : int
        Seed of the generator; the same seed gives the same tables, to the byte, on any machine.

    Returns
    -------
    Sample
        ``events`` (user_id, timestamp, event, device, acquisition: the website), ``survey`` (user_id,
        timestamp, nps 0-10, csat 1-5; missing where the question was skipped), ``orders`` (customer_id,
        order_id, timestamp, amount in EUR), ``support`` (user_id, timestamp, event ``chat`` or ``ticket``),
        ``deliveries`` (user_id, timestamp, event ``shipped``, ``delivered`` or ``late_delivery``, order_id)
        and ``followups`` (user_id, timestamp, event ``review_request`` or ``review``). Timestamps are
        ISO-8601 text in UTC, as in a CSV export; every table is in time order.

    Examples
    --------
    >>> from journey.datasets import simulate
    >>> sample = simulate(n_customers=50, seed=1)
    >>> sorted(sample.events["event"].unique())[:3]
    ['ad_click', 'cart', 'category']
    >>> sorted(sample.deliveries["event"].unique())
    ['delivered', 'late_delivery', 'shipped']
    """
    if n_customers < 1:
        raise ValueError(f"n_customers must be at least 1, not {n_customers}")
    rng = random.Random(seed)
    end = int((OBSERVATION_END - FIRST_DAY).total_seconds())
    tables: dict[str, list] = {name: [] for name in FILES}
    for i in range(n_customers):
        _Customer(rng, f"C{i + 1:06d}", end, tables).live(int(rng.random() * end))
    orders, order_ids = _orders_table(tables["orders"])
    return Sample(
        events=_table(tables["events"], ["user_id", "t", "event", "device", "acquisition"]),
        survey=_table(tables["survey"], ["user_id", "t", "nps", "csat"]).astype({"nps": "Int64", "csat": "Int64"}),
        orders=orders,
        support=_table(tables["support"], ["user_id", "t", "event"]),
        deliveries=_deliveries_table(tables["deliveries"], order_ids),
        followups=_table(tables["followups"], ["user_id", "t", "event"]),
    )


def write_sample(directory: str | Path, n_customers: int = 20_000, seed: int = DEFAULT_SEED) -> list[Path]:
    """Simulate the sample and write its tables to ``directory`` as gzip-compressed CSV.

    The gzip headers are fixed (no file name, no time), so the same arguments give the same bytes.

    Parameters
    ----------
    directory : str or path
        Folder to write the six files of :data:`FILES` to (created if needed).
        There is no default: the shipped files are regenerated in a checkout with ``make data``, never in
        an installed package.
    n_customers, seed : int
        As for :func:`simulate`.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of :data:`FILES` (events, survey, orders, support, deliveries,
        followups).

    Examples
    --------
    >>> import tempfile
    >>> from journey.datasets import load_sample, write_sample
    >>> folder = tempfile.mkdtemp()
    >>> [p.name for p in write_sample(folder, n_customers=30, seed=1)][:3]
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
    table : {"events", "survey", "orders", "support", "deliveries", "followups"}
        Which table's file.

    Returns
    -------
    pathlib.Path
        ``.../journey/datasets/data/events.csv.gz`` (or ``survey.csv.gz``, ``orders.csv.gz``, ...) in
        the installed package.

    Raises
    ------
    JourneyError
        ``table`` is not one of the six, or the package is not installed as files on disk (a zip
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
    """The sample as six DataFrames: the files shipped in the package, or those of ``directory``.

    Nothing is simulated here: a missing file is an error (:func:`simulate` makes new tables).

    Parameters
    ----------
    directory : str or path, optional
        A folder written by :func:`write_sample`. By default the files shipped inside the package are
        read (through :mod:`importlib.resources`, so an installed wheel reads its own copy).

    Returns
    -------
    Sample
        The six tables as :func:`simulate` describes them; ids are text, the survey's ``nps`` and
        ``csat`` nullable integers (``Int64``).

    Raises
    ------
    SourceError
        One of the six files is missing (the message names every missing file).

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


def _visit(rng: random.Random, entry: str, t: int, acquisition: str, device: str) -> tuple[list, int]:
    """One visit: a walk on FLOW from ``entry``; returns [(second, touchpoint)] and the time it ends."""
    steps, here = [(t, entry)], entry
    while len(steps) < MAX_STEPS:
        choices = FLOW[here]
        if here == "payment" and device == "mobile":
            choices = MOBILE_PAYMENT
        elif here == "cart" and acquisition == "email":
            choices = EMAIL_CART
        here = _pick(rng, choices)
        if here is EXIT:
            break
        t += max(1, int(_lognormal(rng, MEDIAN_SECONDS[here], 0.8)))
        steps.append((t, here))
    return steps, t


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


def _table(rows: list, columns: list[str]) -> pd.DataFrame:
    """Rows (with seconds in ``t``) as an export: in time order, not grouped by customer; ISO times."""
    df = pd.DataFrame(rows, columns=columns)
    df = df.sort_values(["t", columns[0]], kind="stable", ignore_index=True)
    df.insert(1, "timestamp", _iso(df.pop("t")))
    return df


def _orders_table(rows: list) -> tuple[pd.DataFrame, pd.Series]:
    """The orders in time order with their ids, and each id by the row's place in ``rows``."""
    df = pd.DataFrame(rows, columns=["customer_id", "t", "amount"])
    df = df.sort_values(["t", "customer_id"], kind="stable")
    ids = pd.Series([f"O{i + 1:07d}" for i in range(len(df))], index=df.index)
    df = df.reset_index(drop=True)
    df.insert(1, "order_id", ids.to_numpy())
    df.insert(2, "timestamp", _iso(df.pop("t")))
    return df, ids


def _deliveries_table(rows: list, order_ids: pd.Series) -> pd.DataFrame:
    df = _table(rows, ["user_id", "t", "event", "order"])
    df["order_id"] = order_ids.reindex(df.pop("order")).to_numpy()
    return df
