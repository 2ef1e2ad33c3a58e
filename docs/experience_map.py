"""Draw docs/experience_map.png: the customer journey map in stages of the bundled sample (README, docs).

Run from the repository root with ``.venv/bin/python docs/experience_map.py``. The log and the stages are
those of ``notebooks/08_customer_journey_map.ipynb``: the shop's five systems put together with
:func:`journey.combine_logs`, six stages, the survey answers placed in the stage each customer was in.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

import journey
from journey.datasets import load_sample

OUT = Path(__file__).resolve().parent / "experience_map.png"

#: The stages of the shop's journey, in order, with their touchpoints (as in notebook 08).
STAGES = {
    "discover": ["ad_click", "email_click", "search"],
    "browse": ["home", "category", "product", "cart"],
    "buy": ["checkout", "payment", "purchase"],
    "delivery": ["shipped", "delivered", "late_delivery"],
    "service": ["support", "chat", "ticket"],
    "advocacy": ["review_request", "review"],
}


def combined_log(sample):
    """The contact points of the shop's five systems as one log, each event naming its channel."""
    orders = journey.read_events(sample.orders.assign(event="order"), user="customer_id")
    return journey.combine_logs(
        {
            "web": sample.events,
            "orders": orders,
            "support": sample.support,
            "delivery": sample.deliveries,
            "follow-up": sample.followups,
        }
    )


def main(out: Path = OUT) -> Path:
    """Draw the map of the bundled sample to ``out`` (a PNG, 110 dpi) and return its path."""
    matplotlib.use("Agg")
    sample = load_sample()
    survey = journey.read_survey(sample.survey, score="nps")
    result = journey.experience_map(combined_log(sample), stages=STAGES, survey=survey, goal="purchase")
    ax = result.plot()
    ax.figure.savefig(out, dpi=110, bbox_inches="tight")
    return out


if __name__ == "__main__":
    print(f"wrote {main()}")
