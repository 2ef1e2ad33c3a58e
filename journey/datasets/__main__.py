"""``python -m journey.datasets FOLDER``: write the sample tables from their seeded generator to FOLDER.

``make data`` runs it on the package's own folder in a checkout (``journey/datasets/data``); there is no
default folder, so an installed package is never written to.
"""

import argparse

from . import DEFAULT_SEED, write_sample

parser = argparse.ArgumentParser(
    prog="python -m journey.datasets",
    description="Write the six sample tables (events.csv.gz, survey.csv.gz, ...) to FOLDER.",
)
parser.add_argument(
    "folder", metavar="FOLDER", help="folder to write (journey/datasets/data regenerates the shipped files)"
)
parser.add_argument("--customers", type=int, default=20_000, help="customers to simulate (default: 20000)")
parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed of the generator (default: {DEFAULT_SEED})")
args = parser.parse_args()
for written in write_sample(args.folder, n_customers=args.customers, seed=args.seed):
    print(f"wrote {written} ({written.stat().st_size:,} bytes)")
