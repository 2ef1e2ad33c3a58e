"""`pytest --nbval --journey`: pictures compared at a tolerance, text exactly as plain nbval.

Each test writes a small notebook, executes it to store its outputs, optionally edits a cell's source
(the stored outputs stay: that is the change nbval must notice), then runs pytest on it with pytester.
Pictures are drawn with the Agg backend at a fixed size and dpi and shown as PNG bytes.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

# Imported here, once: pytester's in-process runs restore sys.modules afterwards, and numpy (which journey
# imports) cannot be imported a second time in one process.
import journey.nbval_plugin  # noqa: F401

pytest_plugins = ["pytester"]

DRAW = """\
import io
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from IPython.display import Image, display

def show(colour, blank=False):
    fig, ax = plt.subplots(figsize=(2, 2), dpi=50)
    if blank:
        ax.set_axis_off()
    else:
        ax.plot([0, 1], [0, 1], color=colour, linewidth=8)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=50)
    plt.close(fig)
    display(Image(data=buffer.getvalue()))
"""

Notebook = Callable[..., Path]


def _plugin_args() -> list[str]:
    # Installed with its entry point the plugin loads itself (and `-p` would register it twice); an
    # editable install made before the entry point existed needs it named.
    entry_points = importlib.metadata.entry_points(group="pytest11")
    installed = any(ep.value == "journey.nbval_plugin" for ep in entry_points)
    return [] if installed else ["-p", "journey.nbval_plugin"]


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # The plugin is imported already (see above), so pytest warns it cannot rewrite its asserts.
    return pytester.runpytest(
        "--nbval",
        "--nbval-current-env",
        "-p",
        "no:cacheprovider",
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        *_plugin_args(),
        *args,
    )


@pytest.fixture
def notebook(pytester: pytest.Pytester) -> Notebook:
    """Write, execute and store ``cells``, then replace sources by ``edit`` (index -> new source)."""

    def make(
        *cells: str,
        edit: dict[int, str] | None = None,
        tags: dict[int, list[str]] | None = None,
        name: str = "figures.ipynb",
    ) -> Path:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(DRAW), *(nbformat.v4.new_code_cell(c) for c in cells)]
        for index, cell_tags in (tags or {}).items():
            nb.cells[index + 1].metadata["tags"] = cell_tags
        NotebookClient(nb, timeout=60, kernel_name="python3").execute()
        for index, source in (edit or {}).items():
            nb.cells[index + 1].source = source
        path = pytester.path / name
        nbformat.write(nb, path)
        return path

    return make


def test_a_stored_figure_that_matches_passes(pytester: pytest.Pytester, notebook: Notebook) -> None:
    notebook('show("tab:blue")')
    result = run(pytester, "--journey")
    result.assert_outcomes(passed=2)
    assert not (pytester.path / "nbval-images").exists()


def test_a_changed_picture_fails_naming_the_cell_and_writes_three_images(
    pytester: pytest.Pytester, notebook: Notebook
) -> None:
    notebook('show("tab:blue")', edit={0: 'show("tab:red")'})
    result = run(pytester, "--journey", "--journey-results", "pictures")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*journey: figures.ipynb, Cell 1, picture 1: RMS * exceeds tolerance 2;*"])
    written = sorted(p.name for p in (pytester.path / "pictures").iterdir())
    assert written == [
        "figures-cell-1-picture-1-actual.png",
        "figures-cell-1-picture-1-diff.png",
        "figures-cell-1-picture-1-expected.png",
    ]


def test_the_tolerance_is_an_option(pytester: pytest.Pytester, notebook: Notebook) -> None:
    notebook('show("tab:blue")', edit={0: 'show("tab:red")'})
    run(pytester, "--journey", "--journey-tolerance", "255").assert_outcomes(passed=2)


def test_a_blank_fresh_figure_fails(pytester: pytest.Pytester, notebook: Notebook) -> None:
    notebook('show("tab:blue")', edit={0: 'show("tab:blue", blank=True)'})
    result = run(pytester, "--journey", "--journey-tolerance", "255")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*Cell 1, picture 1: the fresh picture is blank*"])


def test_a_cell_tagged_journey_skip_image_keeps_its_picture_out(pytester: pytest.Pytester, notebook: Notebook) -> None:
    notebook('show("tab:blue")', edit={0: 'show("tab:red")'}, tags={0: ["journey-skip-image"]})
    run(pytester, "--journey").assert_outcomes(passed=2)


def test_pictures_are_not_compared_without_journey(pytester: pytest.Pytester, notebook: Notebook) -> None:
    notebook('show("tab:blue")', edit={0: 'show("tab:red")'})
    run(pytester).assert_outcomes(passed=2)


def test_a_text_difference_fails_exactly_as_plain_nbval(pytester: pytest.Pytester, notebook: Notebook) -> None:
    notebook('print("conversion 12.5%")', edit={0: 'print("conversion 12.6%")'})
    plain, journey = run(pytester), run(pytester, "--journey")
    plain.assert_outcomes(passed=1, failed=1)
    journey.assert_outcomes(passed=1, failed=1)

    def failure(result: pytest.RunResult) -> list[str]:
        lines = result.outlines
        start = next(i for i, line in enumerate(lines) if "Cell outputs differ" in line)
        end = next(i for i, line in enumerate(lines) if line.startswith("=") and i > start)
        return lines[start:end]

    assert failure(journey) == failure(plain)
    assert any("mismatch 'stdout'" in line for line in failure(plain))


def test_journeys_sanitizer_is_applied(pytester: pytest.Pytester, notebook: Notebook) -> None:
    notebook('print("100%|##| 2/2 [00:01<00:00]")', edit={0: 'print("100%|##| 2/2 [00:07<00:00]")'})
    run(pytester).assert_outcomes(passed=1, failed=1)
    run(pytester, "--journey").assert_outcomes(passed=2)


def test_output_that_varies_between_runs_is_warned_about(pytester: pytest.Pytester, notebook: Notebook) -> None:
    notebook('print("saved /tmp/tmpq1w2/map.png; took 1.23 s")')
    result = run(pytester, "--journey")
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*VaryingOutputWarning: figures.ipynb, Cell 1 prints what varies between "
            "runs: a temporary path '/tmp/tmpq1w2/map.png'; a timing 'took 1.23 s'*"
        ]
    )


def test_journey_needs_nbval(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--journey", *_plugin_args())
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--journey extends nbval*"])


def test_pictures_are_compared_by_pixels_not_by_png_encoding(pytester: pytest.Pytester, notebook: Notebook) -> None:
    import base64
    import io

    from PIL import Image

    path = notebook('show("tab:blue")')
    nb = nbformat.read(path, as_version=4)
    output = next(o for o in nb.cells[1].outputs if "image/png" in o.get("data", {}))
    picture = Image.open(io.BytesIO(base64.b64decode(output.data["image/png"]))).convert("RGB")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=1)  # other bytes, other channels, same pixels
    output.data["image/png"] = base64.b64encode(buffer.getvalue()).decode()
    nbformat.write(nb, path)
    run(pytester, "--journey", "--journey-tolerance", "0").assert_outcomes(passed=2)
