"""Seeded event logs of a given shape for the journey map's tests: a 19-touchpoint shop and a 40-touchpoint site.

Each journey walks a Markov chain over the touchpoints (forward steps most likely, some loops, some steps
back, an exit probability at every touchpoint), so the graphs have the long edges, back edges and
self-loops of real clickstreams.
"""

import numpy as np
import pandas as pd

SHOP = {
    # touchpoint: [(next, weight), ...]; "" ends the journey
    "ad_click": [("product", 5), ("home", 2), ("category", 2), ("", 2)],
    "email_click": [("product", 4), ("home", 3), ("account_login", 1), ("", 1)],
    "search": [("category", 3), ("product", 5), ("", 1)],
    "home": [("category", 5), ("search_results", 3), ("product", 2), ("", 2)],
    "search_results": [("product", 6), ("search_results", 2), ("", 2)],
    "category": [("product", 6), ("category", 2), ("home", 1), ("", 2)],
    "product": [
        ("product", 3),
        ("cart", 4),
        ("product_reviews", 2),
        ("size_guide", 1),
        ("wishlist", 1),
        ("category", 2),
        ("", 4),
    ],
    "product_reviews": [("product", 3), ("cart", 2), ("", 1)],
    "size_guide": [("product", 3), ("cart", 1), ("", 1)],
    "wishlist": [("product", 2), ("cart", 1), ("", 2)],
    "cart": [("checkout", 5), ("product", 2), ("", 2)],
    "checkout": [("account_login", 2), ("shipping", 5), ("checkout_bug", 1), ("", 1)],
    "account_login": [("shipping", 3), ("product", 1), ("", 1)],
    "shipping": [("payment_details", 6), ("", 1)],
    "checkout_bug": [("support", 2), ("checkout", 1), ("", 3)],
    "payment_details": [("purchase", 6), ("payment_error", 2), ("", 1)],
    "payment_error": [("payment_details", 3), ("support", 2), ("", 2)],
    "support": [("checkout", 1), ("", 3)],
    "purchase": [("", 5), ("product", 1)],
}
SMALL = {
    "ad_click": [("product", 5), ("", 1)],
    "search": [("product", 4), ("search", 1), ("", 1)],
    "product": [("product", 2), ("cart", 3), ("search", 1), ("", 3)],
    "cart": [("checkout", 4), ("product", 1), ("", 2)],
    "checkout": [("purchase", 4), ("cart", 1), ("", 2)],
    "purchase": [("", 1)],
}
SMALL_STARTS = [("ad_click", 3), ("search", 2)]
SHOP_STARTS = [("ad_click", 4), ("email_click", 2), ("search", 3), ("home", 3)]


def chain_log(transitions, starts, n_users, seed, max_steps=30):
    """Events of ``n_users`` users walking ``transitions`` (see SHOP), one minute or so apart."""
    rng = np.random.default_rng(seed)
    names = list(transitions)
    rows = []
    start_names = [s for s, _ in starts]
    start_p = np.array([w for _, w in starts], dtype=float)
    start_p /= start_p.sum()
    for u in range(n_users):
        here = start_names[rng.choice(len(start_names), p=start_p)]
        t = pd.Timestamp("2025-01-01", tz="UTC").value + int(rng.integers(0, 90 * 86400)) * 10**9
        for _ in range(max_steps):
            rows.append((f"u{u:05d}", t, here))
            options = transitions[here]
            p = np.array([w for _, w in options], dtype=float)
            here = options[rng.choice(len(options), p=p / p.sum())][0]
            if not here:
                break
            t += int(rng.gamma(2.0, 30.0) * 10**9) + 10**9
    df = pd.DataFrame(rows, columns=["user_id", "timestamp", "event"])
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    assert set(df["event"]) <= set(names)
    return df


def small_log(n_users=1500, seed=6):
    """A 6-touchpoint shop, goal ``purchase``."""
    return chain_log(SMALL, SMALL_STARTS, n_users, seed)


def shop_log(n_users=4000, seed=19):
    """A 19-touchpoint e-commerce clickstream, goal ``purchase``."""
    return chain_log(SHOP, SHOP_STARTS, n_users, seed)


def site_log(n_touchpoints=40, n_users=5000, seed=40):
    """A site of ``n_touchpoints`` pages in stages (some with long names), goal ``order_confirmed``."""
    rng = np.random.default_rng(seed)
    stems = ["landing", "category", "product", "reviews", "compare", "offers", "help_centre", "account"]
    names = [f"{stems[i % len(stems)]}_{i:02d}" for i in range(n_touchpoints - 4)]
    names[5] = "newsletter_signup_confirmation_page"
    names[17] = "international_shipping_information"
    names += ["cart", "checkout", "payment", "order_confirmed"]
    k = len(names)
    transitions = {}
    for i, name in enumerate(names[:-1]):
        ahead = [(names[j], float(rng.uniform(1, 6))) for j in range(i + 1, min(k, i + 4))]
        back = [
            (names[int(j)], float(rng.uniform(0.2, 1.0))) for j in rng.choice(max(i, 1), size=min(i, 2), replace=False)
        ]
        loop = [(name, 1.0)] if rng.random() < 0.3 else []
        to_cart = [("cart", 1.5)] if i < k - 4 and rng.random() < 0.3 else []
        transitions[name] = ahead + back + loop + to_cart + [("", float(rng.uniform(0.5, 2.5)))]
    transitions["order_confirmed"] = [("", 1.0)]
    starts = [(names[i], 6 - i) for i in range(5)]
    return chain_log(transitions, starts, n_users, seed)


def shop_ab(n_users=3000, seed=21):
    """Two variants of the shop: in ``B`` more checkouts hit the bug and more payments fail."""
    worse = dict(SHOP)
    worse["checkout"] = [("account_login", 2), ("shipping", 4), ("checkout_bug", 3), ("", 1)]
    worse["payment_details"] = [("purchase", 5), ("payment_error", 4), ("", 1)]
    a = chain_log(SHOP, SHOP_STARTS, n_users, seed).assign(variant="A")
    b = chain_log(worse, SHOP_STARTS, n_users, seed + 1).assign(variant="B")
    b["user_id"] = "b" + b["user_id"]
    return pd.concat([a, b], ignore_index=True)
