"""`journey notebook-ci`: the workflow it writes is valid YAML and its command really validates notebooks.

The end-to-end tests take the pytest command out of the written workflow and run it, as CI would, on a
project holding an executed notebook: it passes as committed, and after the stored picture is replaced it
fails and leaves the three images in the folder the workflow uploads.
"""

from __future__ import annotations

import base64
import importlib.metadata
import io
import shlex
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pytest
import yaml
from nbclient import NotebookClient

from journey.cli import main
from journey.errors import JourneyError
from journey.notebook_ci import write_workflow

DRAW = """\
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(2, 2), dpi=50)
_ = ax.plot([0, 1], [0, 1], color="tab:blue", linewidth=8)
print("drawn")
"""


def _project(tmp_path: Path, *, executed: bool = True, requirements: str | None = "pandas\n") -> Path:
    (tmp_path / "analysis").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%matplotlib inline"), nbformat.v4.new_code_cell(DRAW)]
    if executed:
        NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    nbformat.write(nb, tmp_path / "analysis" / "funnel.ipynb")
    if requirements is not None:
        (tmp_path / "requirements.txt").write_text(requirements)
    return tmp_path


def _steps(path: Path) -> list[dict]:
    workflow = yaml.safe_load(path.read_text())
    return workflow["jobs"]["nbval"]["steps"]


def _run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The workflow's command as CI runs it, with this interpreter as ``python``."""
    args = shlex.split(command)
    assert args[:3] == ["python", "-m", "pytest"]
    installed = any(ep.value == "journey.nbval_plugin" for ep in importlib.metadata.entry_points(group="pytest11"))
    plugin = [] if installed else ["-p", "journey.nbval_plugin"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *plugin, *args[3:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _inverted(picture: str) -> str:
    """The same picture, same size, its colours inverted: a change far beyond any tolerance."""
    pixels = plt.imread(io.BytesIO(base64.b64decode(picture)), format="png")
    pixels[..., :3] = 1 - pixels[..., :3]
    buffer = io.BytesIO()
    plt.imsave(buffer, pixels, format="png")
    return base64.b64encode(buffer.getvalue()).decode()


def test_the_github_workflow_installs_runs_the_plugin_and_uploads_the_failing_pictures(tmp_path: Path) -> None:
    project = _project(tmp_path)
    workflow = write_workflow(["analysis"], project=project, tolerance=3, results="failed-pictures")
    assert workflow.path == project / ".github" / "workflows" / "notebooks.yml"
    steps = _steps(workflow.path)
    assert steps[1]["with"]["python-version"] == "3.12"
    install = steps[2]["run"].splitlines()[-1]
    assert shlex.split(install) == [
        "python",
        "-m",
        "pip",
        "install",
        "-r",
        "requirements.txt",
        "journey>=0.1.0",
        "nbval",
        "ipykernel",
    ]
    assert steps[3]["run"] == (
        "python -m pytest --nbval --nbval-current-env --journey --journey-tolerance 3.0 "
        "--journey-results failed-pictures analysis"
    )
    assert steps[4]["if"] == "failure()" and steps[4]["with"]["path"] == "failed-pictures/"
    assert workflow.notebooks == (Path("analysis/funnel.ipynb"),) and workflow.without_outputs == ()


def test_the_written_command_passes_on_committed_notebooks_and_keeps_a_changed_picture(tmp_path: Path) -> None:
    project = _project(tmp_path)
    workflow = write_workflow(["analysis"], project=project)
    command = _steps(workflow.path)[3]["run"]
    passed = _run(command, project)
    assert passed.returncode == 0, passed.stdout[-2000:]
    assert "2 passed" in passed.stdout

    path = project / "analysis" / "funnel.ipynb"
    nb = nbformat.read(path, as_version=4)
    picture = next(o for o in nb.cells[1].outputs if "image/png" in o.get("data", {}))
    picture["data"]["image/png"] = _inverted(picture["data"]["image/png"])
    nbformat.write(nb, path)
    failed = _run(command, project)
    assert failed.returncode == 1
    assert "picture" in failed.stdout and "RMS" in failed.stdout, failed.stdout[-3000:]
    kept = sorted(p.name.rsplit("-", 1)[-1] for p in (project / "nbval-images").iterdir())
    assert kept == ["actual.png", "diff.png", "expected.png"]


def test_the_gitlab_job_runs_the_same_command_and_keeps_the_pictures_on_failure(tmp_path: Path) -> None:
    project = _project(tmp_path, requirements=None)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "shop-analysis"\ndependencies = ["journey[dask]>=0.1"]\n'
    )
    workflow = write_workflow(["analysis/funnel.ipynb"], ci="gitlab", project=project, python="3.11")
    job = yaml.safe_load(workflow.path.read_text())["notebooks"]
    assert workflow.path == project / ".gitlab-ci.yml"
    assert job["image"] == "python:3.11"
    # The project installs itself and names journey already: only nbval and a kernel are added.
    assert shlex.split(job["script"][1]) == ["python", "-m", "pip", "install", ".", "nbval", "ipykernel"]
    assert job["script"][2].endswith("--journey-results nbval-images analysis/funnel.ipynb")
    assert job["artifacts"] == {"when": "on_failure", "paths": ["nbval-images/"]}


@pytest.mark.parametrize(
    ("requirements", "added"),
    [
        ("journey[notebooks]>=0.1\n", False),
        ("pandas\njourney==0.1.0  # pinned\n", False),
        ("customer-journey-tools\npandas\n", True),
        ("journey_helpers\n", True),
    ],
)
def test_journey_is_added_unless_the_requirements_name_it(tmp_path: Path, requirements: str, added: bool) -> None:
    project = _project(tmp_path, executed=False, requirements=requirements)
    workflow = write_workflow(["analysis"], project=project)
    assert ("journey>=0.1.0" in workflow.install) is added
    assert workflow.install[:2] == ("-r", "requirements.txt")


def test_notebooks_without_outputs_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _project(tmp_path, executed=False)
    assert main(["notebook-ci", "analysis", "--project", str(project)]) == 0
    out = capsys.readouterr().out
    assert "1 notebook(s) have no stored outputs" in out and "analysis/funnel.ipynb" in out


def test_an_existing_workflow_is_kept_unless_forced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _project(tmp_path, executed=False)
    target = project / ".github" / "workflows" / "notebooks.yml"
    target.parent.mkdir(parents=True)
    target.write_text("name: mine\n")
    assert main(["notebook-ci", "analysis", "--project", str(project)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists already: give --force to overwrite it" in err
    assert target.read_text() == "name: mine\n"
    with pytest.raises(JourneyError, match="force=True"):
        write_workflow(["analysis"], project=project)
    assert main(["notebook-ci", "analysis", "--project", str(project), "--force"]) == 0
    assert "journey --journey-tolerance" in target.read_text()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"notebooks": ["missing"]}, "'missing' does not exist"),
        ({"notebooks": [".."]}, "outside the project"),
        ({"notebooks": ["requirements.txt"]}, "is not a notebook"),
        ({"ci": "jenkins"}, "ci='jenkins'"),
        ({"tolerance": -1}, "tolerance=-1"),
        ({"python": "latest"}, "python='latest'"),
        ({"results": "../up"}, "results='../up'"),
    ],
)
def test_bad_arguments_name_themselves(tmp_path: Path, kwargs: dict, message: str) -> None:
    project = _project(tmp_path, executed=False)
    (project / "empty").mkdir()
    kwargs = {"notebooks": ["analysis"], **kwargs}
    with pytest.raises(JourneyError, match=message.replace("(", r"\(").replace(".", r"\.")):
        write_workflow(project=project, **kwargs)
    with pytest.raises(JourneyError, match="holds no .ipynb file"):
        write_workflow(["empty"], project=project)
