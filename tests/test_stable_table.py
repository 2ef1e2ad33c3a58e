"""`stable_table`: tables whose text stays the same when their floats differ only in their last bits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import journey
from journey.errors import JourneyError


def test_floats_summed_in_another_order_read_the_same() -> None:
    # The same means computed in two summation orders (as two BLAS builds or two chunkings would) differ
    # in their last bits, which pandas shows; the stable text does not.
    rng = np.random.default_rng(7)
    values = rng.gamma(2.0, 1.7, size=(40, 997))
    forward = values.sum(axis=1) / values.shape[1]
    backward = np.array([np.sum(row[::-1].tolist()) for row in values]) / values.shape[1]
    assert (forward != backward).any()
    first = pd.DataFrame({"segment": [f"s{i}" for i in range(40)], "mean": forward})
    second = pd.DataFrame({"segment": [f"s{i}" for i in range(40)], "mean": backward})
    assert first.to_string() != second.to_string() or repr(first["mean"].tolist()) != repr(second["mean"].tolist())
    assert journey.stable_table(first).equals(journey.stable_table(second))


def test_every_kind_of_value_is_written_as_a_reader_expects() -> None:
    frame = pd.DataFrame(
        {
            "path": [("home", "cart"), ("home",)],
            "when": pd.to_datetime(["2025-01-31 00:00", "2025-02-01 13:05"]),
            "users": [1234567, 8],
            "rate": [0.123456, np.nan],
            "converted": [True, False],
            "p": [0.00042, 0.31],
        },
        index=pd.Index(["a", "b"], name="key"),
    )
    shown = journey.stable_table(frame, digits=3, formats={"p": "p"})
    assert shown.index.equals(frame.index) and list(shown.columns) == list(frame.columns)
    assert shown.loc["a"].tolist() == ["home → cart", "2025-01-31", "1,234,567", "0.123", "yes", "4.2e-04"]
    assert shown.loc["b"].tolist() == ["home", "2025-02-01 13:05", "8", "–", "no", "0.31"]


def test_a_result_is_shown_whole_in_its_own_formats() -> None:
    sample = journey.datasets.load_sample()
    funnel = journey.funnel(sample.events, ["product", "cart", "checkout"], by="device")
    shown = journey.stable_table(funnel)
    table = funnel.to_frame()
    assert len(shown) == len(table) and list(shown.columns) == list(table.columns)
    row = table.iloc[0]
    assert shown["ci_low"].iloc[0] == f"{row['ci_low']:.1%}"
    assert shown["entered"].iloc[0] == f"{int(row['entered']):,}"
    nps = journey.stable_table(journey.nps([10, 9, 9, 7, 3, 0, 10, 8]))
    assert nps[["nps", "ci_low"]].iloc[0].tolist()[0] == "+25.0"


def test_a_series_becomes_a_one_column_table() -> None:
    shown = journey.stable_table(pd.Series([1 / 3, 2 / 3], name="share"), formats={"share": "share"})
    assert shown["share"].tolist() == ["33.3%", "66.7%"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"digits": 0}, "digits=0"),
        ({"digits": 2.5}, "digits=2.5"),
        ({"digits": True}, "digits=True"),
        ({"formats": {"rate": "percent"}}, "unknown kind 'percent'"),
    ],
)
def test_bad_arguments_say_what_to_give(kwargs: dict, message: str) -> None:
    with pytest.raises(JourneyError, match=message):
        journey.stable_table(pd.DataFrame({"rate": [0.5]}), **kwargs)


def test_other_objects_are_refused_by_name() -> None:
    with pytest.raises(JourneyError, match="not list"):
        journey.stable_table([1, 2])  # type: ignore[arg-type]
