"""pm4py's directly-follows graph on the same Parquet file, for comparison only.

pm4py is not a dependency of journey (AGPL): run this with an interpreter where it is installed, via
`python benchmarks/graph.py --pm4py-python /path/to/python`. Needs only pandas, pm4py and measure.py.
"""

import sys

import pandas as pd
import pm4py
from measure import measure


def pm4py_dfg(path: str) -> dict:
    df = pm4py.format_dataframe(
        pd.read_parquet(path), case_id="user_id", activity_key="event", timestamp_key="timestamp"
    )
    dfg, _, _ = pm4py.discover_dfg(df)
    return {"transitions": int(sum(dfg.values())), "pairs": len(dfg)}


if __name__ == "__main__":
    measure(pm4py_dfg, sys.argv[-1])
