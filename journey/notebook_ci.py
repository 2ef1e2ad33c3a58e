"""``journey notebook-ci``: write a CI workflow that validates a project's notebooks, pictures included.

The workflow installs the project, runs ``pytest --nbval --nbval-current-env --journey`` on the notebooks
(journey's pytest plugin, :mod:`journey.nbval_plugin`: text compared by nbval, pictures by RMS at a
tolerance) and, when a notebook fails, uploads the folder where the plugin wrote each failing picture's
expected, actual and diff images. Two CI systems are written: GitHub Actions
(``.github/workflows/notebooks.yml``) and GitLab CI (``.gitlab-ci.yml``).

The notebooks must be committed with their outputs (that is what nbval compares); the command says which
ones have none.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .errors import JourneyError, option
from .nbval_plugin import DEFAULT_RESULTS, DEFAULT_TOLERANCE

__all__ = ["Workflow", "write_workflow", "DEFAULT_PATHS"]

#: Where each CI system reads its workflow, relative to the project folder.
DEFAULT_PATHS = {"github": ".github/workflows/notebooks.yml", "gitlab": ".gitlab-ci.yml"}

CI = Literal["github", "gitlab"]


@dataclass(frozen=True)
class Workflow:
    """What :func:`write_workflow` wrote: the file, the command CI runs, and notebooks to look at first."""

    path: Path
    ci: CI
    install: tuple[str, ...]
    command: str
    results: str
    notebooks: tuple[Path, ...]
    without_outputs: tuple[Path, ...]

    def __str__(self) -> str:
        lines = [f"wrote {self.path} ({self.ci}): {len(self.notebooks):,} notebook(s) checked by", f"  {self.command}"]
        if self.without_outputs:
            names = ", ".join(str(p) for p in self.without_outputs[:5])
            more = f" and {len(self.without_outputs) - 5:,} more" if len(self.without_outputs) > 5 else ""
            lines.append(
                f"note: {len(self.without_outputs):,} notebook(s) have no stored outputs, so nbval has "
                f"nothing to compare: {names}{more}. Execute them and commit their outputs."
            )
        return "\n".join(lines)


def write_workflow(
    notebooks: Sequence[str | Path] = ("notebooks",),
    *,
    ci: CI = "github",
    project: str | Path = ".",
    out: str | Path | None = None,
    python: str = "3.12",
    install: Sequence[str] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    results: str = DEFAULT_RESULTS,
    force: bool = False,
) -> Workflow:
    """Write a CI workflow that runs ``pytest --nbval --journey`` on ``notebooks`` and keeps failing pictures.

    Parameters
    ----------
    notebooks : sequence of str or Path, default ``("notebooks",)``
        Notebook files or folders holding them, relative to ``project`` (or absolute, inside it).
    ci : {"github", "gitlab"}, default "github"
        GitHub Actions or GitLab CI.
    project : str or Path, default "."
        The project's root folder: the repository the CI checks out.
    out : str or Path, optional
        The workflow file; by default ``.github/workflows/notebooks.yml`` or ``.gitlab-ci.yml`` in ``project``.
    python : str, default "3.12"
        Python version CI runs (pin the one your stored pictures were drawn with).
    install : sequence of str, optional
        The ``pip install`` arguments of the project's dependencies. By default ``-r requirements.txt``
        when the project has one, else ``.`` when it has a ``pyproject.toml``; ``journey`` (at least this
        version, unless your requirements name it), ``nbval`` and ``ipykernel`` are added.
    tolerance : float, default 2.0
        ``--journey-tolerance``: the RMS a picture may differ by (0-255 scale).
    results : str, default "nbval-images"
        ``--journey-results``: the folder of failing pictures, uploaded as an artifact when CI fails.
    force : bool, default False
        Overwrite an existing workflow file.

    Returns
    -------
    Workflow
        The file written, the install arguments, the pytest command, the notebooks it checks and those
        committed without outputs (nbval would have nothing to compare in them).

    Raises
    ------
    JourneyError
        An unknown ``ci``, a notebook path that does not exist, lies outside the project or holds no
        notebook, a negative tolerance, or an existing file without ``force``.

    Examples
    --------
    >>> import tempfile, nbformat
    >>> from pathlib import Path
    >>> project = Path(tempfile.mkdtemp())
    >>> (project / "notebooks").mkdir()
    >>> nbformat.write(nbformat.v4.new_notebook(), project / "notebooks" / "funnel.ipynb")
    >>> workflow = write_workflow(project=project)
    >>> workflow.path.relative_to(project).as_posix()
    '.github/workflows/notebooks.yml'
    >>> workflow.command
    'python -m pytest --nbval --nbval-current-env --journey --journey-tolerance 2.0 --journey-results nbval-images notebooks'
    """
    if ci not in DEFAULT_PATHS:
        raise JourneyError(f"{option('ci', ci)}: write a workflow for one of {sorted(DEFAULT_PATHS)}")
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not tolerance >= 0:
        raise JourneyError(f"{option('tolerance', tolerance)}: give an RMS difference of 0 or more")
    if not re.fullmatch(r"3\.\d{1,2}", str(python)):
        raise JourneyError(f"{option('python', python)}: give a Python version such as '3.12'")
    root = Path(project).resolve()
    if not root.is_dir():
        raise JourneyError(f"{option('project', str(project))}: no such folder")
    if not re.fullmatch(r"[\w.-]+(?:/[\w.-]+)*", results) or ".." in results.split("/"):
        raise JourneyError(f"{option('results', results)}: give a folder inside the project, such as 'nbval-images'")
    given = _given(root, notebooks)
    found, without = _notebooks(root, given)
    target = (root / DEFAULT_PATHS[ci]) if out is None else Path(out)
    target = target if target.is_absolute() else root / target
    if target.exists() and not force:
        raise JourneyError(
            f"{target} exists already: give {option('force', True)} to overwrite it"
            + (" (or include the job in your own .gitlab-ci.yml)" if ci == "gitlab" else "")
        )
    pip = tuple(install) if install is not None else _default_install(root)
    pip = pip + _tools(root, pip)
    relative = [p.relative_to(root).as_posix() or "." for p in given]
    command = " ".join(
        [
            "python -m pytest --nbval --nbval-current-env --journey",
            f"--journey-tolerance {float(tolerance)}",
            f"--journey-results {shlex.quote(results)}",
            *map(shlex.quote, relative),
        ]
    )
    text = (_github if ci == "github" else _gitlab)(python, pip, command, results)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return Workflow(target, ci, pip, command, results, found, without)


def _given(root: Path, notebooks: Sequence[str | Path]) -> list[Path]:
    if isinstance(notebooks, (str, Path)):
        notebooks = [notebooks]
    if not notebooks:
        raise JourneyError("no notebooks given: name notebook files or folders")
    paths = []
    for entry in notebooks:
        path = (root / entry).resolve()
        if not path.exists():
            raise JourneyError(f"notebooks: {str(entry)!r} does not exist in {root}")
        if not path.is_relative_to(root):
            raise JourneyError(
                f"notebooks: {str(entry)!r} is outside the project {root}; CI checks out the project only"
            )
        paths.append(path)
    return paths


def _notebooks(root: Path, given: Sequence[Path]) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    found: list[Path] = []
    for path in given:
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
            if not inside:
                raise JourneyError(f"notebooks: {path.relative_to(root).as_posix() or '.'!r} holds no .ipynb file")
            found += inside
        elif path.suffix == ".ipynb":
            found.append(path)
        else:
            raise JourneyError(f"notebooks: {path.relative_to(root).as_posix()!r} is not a notebook (.ipynb)")
    without = tuple(p.relative_to(root) for p in found if not _has_outputs(p))
    return tuple(p.relative_to(root) for p in found), without


def _has_outputs(path: Path) -> bool:
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, UnicodeDecodeError, ValueError, AttributeError) as exc:
        raise JourneyError(f"notebooks: {path} is not a readable notebook ({exc})") from None
    return any(cell.get("outputs") for cell in cells if isinstance(cell, dict))


def _default_install(root: Path) -> tuple[str, ...]:
    if (root / "requirements.txt").is_file():
        return ("-r", "requirements.txt")
    if (root / "pyproject.toml").is_file() or (root / "setup.py").is_file():
        return (".",)
    return ()


def _tools(root: Path, pip: tuple[str, ...]) -> tuple[str, ...]:
    """Journey (unless the project's own requirements name it), nbval and a kernel for the notebooks."""
    from . import __version__

    named = [" ".join(pip)]
    if "requirements.txt" in pip:
        named.append(_read(root / "requirements.txt"))
    if "." in pip:
        named.append(_read(root / "pyproject.toml"))
    listed = re.search(r"(?<![\w.-])journey(?![\w.-])", "\n".join(named))
    return (() if listed else (f"journey>={__version__}",)) + ("nbval", "ipykernel")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _pip(pip: Sequence[str]) -> str:
    return "python -m pip install " + " ".join(shlex.quote(a) for a in pip)


def _header() -> str:
    from . import __version__

    return (
        f"# Written by `journey notebook-ci` (journey {__version__}). It validates the notebooks with\n"
        "# `pytest --nbval --journey`: each cell is run again, its text must match the stored output and its\n"
        "# pictures must match within the tolerance. Failing pictures (expected, actual, diff) are uploaded.\n"
        "# Re-execute and commit a notebook after an intended change. Edit this file freely.\n"
    )


def _github(python: str, pip: Sequence[str], command: str, results: str) -> str:
    return (
        _header()
        + f"""name: notebooks
on:
  push:
  pull_request:
jobs:
  nbval:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "{python}"
          cache: pip
      - name: Install
        run: |
          python -m pip install --upgrade pip
          {_pip(pip)}
      - name: Validate notebooks, pictures included
        run: {command}
      - name: Upload failing pictures
        if: failure()
        uses: actions/upload-artifact@v4
        with:
          name: {results}
          path: {results}/
          if-no-files-found: ignore
"""
    )


def _gitlab(python: str, pip: Sequence[str], command: str, results: str) -> str:
    return (
        _header()
        + f"""notebooks:
  image: python:{python}
  script:
    - python -m pip install --upgrade pip
    - {_pip(pip)}
    - {command}
  artifacts:
    when: on_failure
    paths:
      - {results}/
"""
    )
