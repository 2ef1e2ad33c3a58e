"""Large allocations are refused with what to do, or avoided, never a bare MemoryError (issue 18)."""

import matplotlib
import numpy as np
import pytest
from scipy import sparse
from test_markov import HAND, log_from_paths

import journey
from journey import errors
from journey.analysis import markov
from journey.errors import JourneyError, TooLargeError

matplotlib.use("Agg")


@pytest.fixture
def little_memory(monkeypatch):
    """A machine with 1 MiB free."""
    monkeypatch.setattr(errors, "available_memory", lambda: 2**20)
    monkeypatch.setattr(markov, "available_memory", lambda: 2**20)


def test_check_memory_says_how_much_and_what_to_do(little_memory):
    with pytest.raises(
        TooLargeError,
        match=r"a big table would need 1.0 GiB of memory, more than the 1.0 MiB free on "
        r"this machine; make it smaller",
    ):
        errors.check_memory(2**30, "a big table", "make it smaller")
    assert issubclass(TooLargeError, JourneyError)


def test_a_dense_transition_matrix_too_large_for_memory_is_refused_with_advice(little_memory):
    wide = journey.markov(log_from_paths([[f"p{i}", "buy"] for i in range(400)]), goal="buy")
    assert len(wide.to_frame()) == 400  # the model itself is sparse and fits
    with pytest.raises(TooLargeError, match="transition matrix of 403 states.*to_frame"):
        _ = wide.transition_matrix
    assert journey.markov(log_from_paths(HAND), goal="buy").transition_matrix.shape == (6, 6)  # small: fine


def test_dense_factors_memory_cannot_hold_give_way_to_column_solves_with_the_same_answer(monkeypatch):
    rng = np.random.default_rng(0)
    t = 150  # fully coupled: the factors fill in, so dense ones would be used
    q = rng.random((t, t + 2))
    q /= q.sum(axis=1, keepdims=True) * 1.05
    p = sparse.csr_matrix(q)
    dense = markov._Factorised(p)
    monkeypatch.setattr(markov, "available_memory", lambda: 2**16)
    by_column = markov._Factorised(p)
    assert dense._dense and not by_column._dense
    cols = np.arange(0, t, 7)
    np.testing.assert_allclose(by_column.columns(cols), dense.columns(cols), rtol=1e-10, atol=1e-12)


def test_a_journey_map_too_large_to_lay_out_asks_for_fewer_touchpoints(little_memory):
    graph = journey.journey_graph(log_from_paths([[f"p{i}", "buy"] for i in range(400)]), goal="buy")
    with pytest.raises(TooLargeError, match="journey map of 403 nodes.*max_nodes=.*prune"):
        journey.plot_journey_map(graph, max_nodes=500)


def test_a_memory_error_on_the_command_line_is_one_line_and_status_2(monkeypatch, capsys, tmp_path):
    from journey import cli
    from journey.analysis import graph

    path = tmp_path / "e.csv"
    path.write_text("user_id,timestamp,event\na,2025-01-01T10:00Z,home\n")

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(graph, "journey_graph", exhausted)
    assert cli.main(["graph", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("journey: error: out of memory; analyse fewer touchpoints")


def test_a_report_cell_that_fails_is_one_line_naming_the_cell(monkeypatch, tmp_path, capsys):
    import nbformat

    from journey.report import run

    template = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    )
    template.cells = [
        nbformat.v4.new_code_cell("events_path = None", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("# the analysis\nbig = bytearray(2**62)"),
    ]
    nbformat.write(template, tmp_path / "t.ipynb")
    monkeypatch.setattr(run, "TEMPLATE", tmp_path / "t.ipynb")
    path = tmp_path / "e.csv"
    path.write_text("user_id,timestamp,event\na,2025-01-01T10:00Z,home\n")
    assert journey.cli.main(["report", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err  # papermill's progress bar comes first
    errors_shown = [line for line in err.splitlines() if "journey: error" in line]
    assert len(errors_shown) == 1 and "Traceback" not in err  # cell 3: papermill adds the parameters
    assert "journey: error: the report stopped at cell 3 (big = bytearray(2**62))" in errors_shown[0]
    assert errors_shown[0].endswith(
        "out of memory; analyse fewer touchpoints (group rare pages into one event) or a "
        "sample of customers, or run the analyses one by one in Python"
    )
