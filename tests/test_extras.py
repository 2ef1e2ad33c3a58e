"""Optional dependencies: a feature whose extra is not installed says, in one line, which extra to install."""

import sys

import pandas as pd
import pytest

import journey
from journey.cli import main
from journey.errors import JourneyError
from journey.report import run_report


@pytest.mark.parametrize("module", ["papermill", "nbconvert"])
def test_report_without_the_notebooks_extra_names_it(monkeypatch, tmp_path, module):
    monkeypatch.setitem(sys.modules, module, None)  # import of a None entry fails as if it were not installed
    with pytest.raises(
        JourneyError,
        match=rf"^journey report needs {module}, which is not installed: "
        r"pip install 'journey\[notebooks\]'$",
    ):
        run_report(out=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_the_command_line_prints_the_extra_in_one_line_and_exits_2(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "papermill", None)
    assert main(["report", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err == (
        "journey: error: journey report needs papermill, which is not installed: pip install 'journey[notebooks]'\n"
    )


def test_the_dask_engine_without_the_dask_extra_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    frame = pd.DataFrame({"user_id": ["a"], "timestamp": ["2025-01-01T00:00Z"], "event": ["home"]})
    with pytest.raises(
        JourneyError,
        match=r"^engine=\"dask\" needs dask.dataframe, which is not installed: "
        r"pip install 'journey\[dask\]'$",
    ):
        journey.read_events(frame, engine="dask")
