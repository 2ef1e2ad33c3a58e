"""A seeded synthetic web-shop log shaped like a GA4 export, for benchmarks/engine.py.

* ``user_id``: GA4 ``user_pseudo_id``-style strings, ``"<random 10 digits>.<first visit, epoch seconds>"``
  (e.g. ``"1482719305.1736121473"``); about one user per 10 events.
* events per user: skewed (a per-user engagement drawn lognormally scales the chance of leaving at each
  step), so most users do a few things and a few do hundreds;
* ``event``: 40 touchpoints visited by a Markov walk with entry channels, a shop funnel
  ``category -> product -> cart -> checkout -> payment -> purchase`` with real drop-off at every step,
  and a touchpoint-dependent chance of leaving (so exits and drop-offs differ between touchpoints);
* ``timestamp``: UTC with microseconds over 90 days from 2025-01-01 (later events are outside the export); gaps within a visit of seconds to
  minutes, new visits hours to days later; about 3% of events share their predecessor's microsecond
  (GA4 batches hits), so ties are present;
* rows shuffled (arbitrary file order), one Parquet file; ties are resolved by that file order.

Run in a child process (``python ga4_log.py ROWS PATH``) so the benchmark driver stays small.
"""

from __future__ import annotations

import sys

import numpy as np

TOUCHPOINTS = [
    # entry channels
    "ad_search",
    "ad_social",
    "ad_display",
    "email_open",
    "email_click",
    "push_open",
    "affiliate",
    "organic_search",
    # browsing
    "home",
    "search",
    "category",
    "product",
    "reviews",
    "size_guide",
    "compare",
    "wishlist",
    "promo",
    "blog",
    "store_locator",
    # shop funnel
    "cart",
    "coupon",
    "login",
    "signup",
    "checkout",
    "shipping_info",
    "payment",
    "payment_error",
    "purchase",
    # after purchase and service
    "order_status",
    "returns",
    "faq",
    "help_center",
    "chat",
    "contact",
    "account",
    "newsletter",
    "survey",
    "app_install",
    "referral",
    "unsubscribe",
]
assert len(TOUCHPOINTS) == 40 and len(set(TOUCHPOINTS)) == 40
IX = {name: i for i, name in enumerate(TOUCHPOINTS)}
START = "2025-01-01T00:00:00"
DAYS = 90


def transition_matrix() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first-event distribution, row-stochastic transitions, base chance of leaving after each touchpoint)."""
    k = len(TOUCHPOINTS)
    popularity = 1.0 / np.arange(1, k + 1) ** 0.8  # Zipf-like background browsing
    rng = np.random.default_rng(12)
    popularity = popularity[rng.permutation(k)]
    p = np.tile(popularity, (k, 1)) * 0.3
    strong = {  # where people mostly go next
        "ad_search": {"product": 6, "search": 3, "home": 2, "category": 2},
        "ad_social": {"product": 4, "home": 3, "promo": 3},
        "ad_display": {"home": 4, "promo": 3, "product": 2},
        "email_open": {"email_click": 6, "home": 1},
        "email_click": {"promo": 4, "product": 4, "home": 2},
        "push_open": {"home": 3, "order_status": 3, "promo": 2},
        "affiliate": {"product": 6, "reviews": 2},
        "organic_search": {"product": 4, "home": 3, "blog": 3, "category": 2},
        "home": {"category": 6, "search": 4, "promo": 2, "login": 1, "account": 1},
        "search": {"product": 6, "search": 2, "category": 2},
        "category": {"product": 8, "category": 3, "search": 1, "compare": 1},
        "product": {
            "product": 4,
            "category": 3,
            "reviews": 2,
            "cart": 2.2,
            "size_guide": 1,
            "wishlist": 1,
            "compare": 1,
            "search": 1,
        },
        "reviews": {"product": 5, "cart": 1},
        "size_guide": {"product": 4, "cart": 1},
        "compare": {"product": 5},
        "wishlist": {"product": 3, "cart": 1},
        "promo": {"product": 4, "category": 3, "coupon": 1},
        "blog": {"product": 2, "blog": 2, "home": 1, "newsletter": 1},
        "cart": {"checkout": 5, "product": 3, "coupon": 1.5, "login": 1},
        "coupon": {"cart": 3, "checkout": 2},
        "login": {"checkout": 3, "account": 2, "home": 1},
        "signup": {"checkout": 3, "home": 1},
        "checkout": {"shipping_info": 3, "payment": 4, "login": 1, "signup": 1, "cart": 1},
        "shipping_info": {"payment": 4, "checkout": 1},
        "payment": {"purchase": 6, "payment_error": 1.2, "checkout": 0.5},
        "payment_error": {"payment": 4, "help_center": 1, "chat": 1},
        "purchase": {"order_status": 3, "survey": 2, "home": 2, "app_install": 1, "referral": 0.5},
        "order_status": {"returns": 1, "home": 1, "help_center": 1, "order_status": 1},
        "returns": {"help_center": 2, "chat": 1, "contact": 1},
        "faq": {"help_center": 2, "contact": 1, "home": 1},
        "help_center": {"faq": 2, "chat": 2, "contact": 1},
        "chat": {"home": 1, "product": 1},
        "contact": {"home": 1},
        "account": {"order_status": 2, "home": 1, "unsubscribe": 0.3},
        "newsletter": {"home": 1},
        "survey": {"home": 1},
        "app_install": {"home": 2},
        "referral": {"home": 1},
        "unsubscribe": {"home": 1},
        "store_locator": {"home": 1},
    }
    for a, targets in strong.items():
        for b, w in targets.items():
            p[IX[a], IX[b]] += w
    p /= p.sum(axis=1, keepdims=True)
    first = np.full(k, 0.05)
    for name, w in {
        "ad_search": 8,
        "ad_social": 5,
        "ad_display": 3,
        "email_open": 3,
        "email_click": 2,
        "push_open": 2,
        "affiliate": 2,
        "organic_search": 7,
        "home": 10,
        "product": 6,
        "category": 2,
        "blog": 2,
        "search": 1,
    }.items():
        first[IX[name]] += w
    first /= first.sum()
    leave = np.full(k, 0.10)
    for name, q in {
        "purchase": 0.35,
        "product": 0.09,
        "cart": 0.14,
        "checkout": 0.16,
        "payment": 0.10,
        "payment_error": 0.35,
        "home": 0.10,
        "blog": 0.30,
        "faq": 0.30,
        "contact": 0.40,
        "unsubscribe": 0.7,
        "survey": 0.5,
        "order_status": 0.25,
        "ad_display": 0.45,
        "ad_social": 0.30,
        "email_open": 0.25,
        "store_locator": 0.5,
        "help_center": 0.2,
    }.items():
        leave[IX[name]] = q
    return first, p, 0.7 * leave


def generate(rows: int, seed: int = 0):
    """The log as a pyarrow Table of exactly ``rows`` events (rows shuffled)."""
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    first, p, leave = transition_matrix()
    cumulative = np.cumsum(p, axis=1)
    cumulative[:, -1] = 1.0

    # Walk more users than needed, then keep whole users up to `rows` events (the last one cut short).
    n = int(rows / 8.5) + 1000
    engagement = rng.lognormal(mean=0.0, sigma=0.9, size=n)  # skew: a few users stay for very long
    engagement /= np.exp(0.9**2 / 2)  # mean 1
    state = rng.choice(len(TOUCHPOINTS), size=n, p=first)
    walk_user, walk_event = [np.arange(n)], [state]
    alive = np.arange(n)
    while len(alive):
        stay = rng.random(len(alive)) >= np.minimum(leave[state] / engagement[alive], 0.95)
        alive, state = alive[stay], state[stay]
        u = rng.random(len(alive))
        # next touchpoint: the first column whose cumulative probability exceeds u, row by row
        state = (u[:, None] >= cumulative[state]).sum(axis=1)
        state = np.minimum(state, len(TOUCHPOINTS) - 1)
        walk_user.append(alive)
        walk_event.append(state)
    user = np.concatenate(walk_user)
    event = np.concatenate(walk_event).astype(np.int8)
    order = np.argsort(user, kind="stable")  # user-major, each user's events in walk order
    user, event = user[order], event[order]

    # Times: the first visit uniform over the 90 days; then gaps within a visit (seconds to minutes,
    # lognormal), a new visit now and then (hours to days), and ~3% ties (same microsecond as the event before).
    m = len(user)
    begin_us = np.datetime64(START, "us").astype(np.int64)
    end_us = begin_us + DAYS * 86_400 * 10**6
    first_us = begin_us + rng.integers(0, DAYS * 86_400 * 10**6, n)
    gap = np.exp(rng.normal(np.log(35e6), 1.1, m)).astype(np.int64)  # median 35 s
    new_visit = rng.random(m) < 0.12
    gap[new_visit] = rng.exponential(1.5 * 86_400e6, int(new_visit.sum())).astype(np.int64) + 1800 * 10**6
    gap[rng.random(m) < 0.03] = 0
    starts = np.flatnonzero(np.r_[True, user[1:] != user[:-1]])
    gap[starts] = 0
    cum = np.cumsum(gap)
    t = first_us[user] + cum - np.repeat(cum[starts], np.diff(np.r_[starts, m]))
    # What happens after the export window is not in the export; then whole users up to `rows` events.
    inside = t < end_us
    user, event, t = user[inside][:rows], event[inside][:rows], t[inside][:rows]
    if len(user) < rows:
        raise RuntimeError(f"the walk made only {len(user):,} events; raise the number of users")
    kept, user = np.unique(user, return_inverse=True)
    first_us = first_us[kept]
    n_users = len(kept)

    # GA4-style pseudo ids: a random number of 10 digits and the first visit in epoch seconds; unique.
    random_part = 1_000_000_000 + rng.choice(1_147_483_647, size=n_users, replace=False)
    ids = np.char.add(np.char.add(random_part.astype("U10"), "."), (first_us // 10**6).astype("U10"))
    dictionary = pa.array(ids.tolist(), type=pa.string())

    shuffle = rng.permutation(rows)
    user, event, t = user[shuffle], event[shuffle], t[shuffle]
    return pa.table(
        {
            "user_id": pa.DictionaryArray.from_arrays(pa.array(user.astype(np.int32)), dictionary).cast(pa.string()),
            "timestamp": pa.array(t, type=pa.timestamp("us", tz="UTC")),
            "event": pa.DictionaryArray.from_arrays(pa.array(event.astype(np.int32)), pa.array(TOUCHPOINTS)).cast(
                pa.string()
            ),
        }
    )


def write(rows: int, path: str) -> None:
    import pyarrow.parquet as pq

    table = generate(rows)
    tmp = path + ".tmp"
    pq.write_table(table, tmp, row_group_size=1_000_000)
    import os

    os.replace(tmp, path)


if __name__ == "__main__":
    write(int(sys.argv[1]), sys.argv[2])
