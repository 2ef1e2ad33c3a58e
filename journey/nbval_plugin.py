"""pytest plugin: ``pytest --nbval --journey`` validates notebooks, pictures included.

nbval re-runs every notebook cell and compares its text, HTML and stream outputs with the stored ones,
but it skips ``image/png`` outputs (PNG bytes differ between runs of the same figure). With ``--journey``
this plugin, registered through the ``pytest11`` entry point and inactive otherwise, adds three things:

- journey's sanitizer (``journey/nbval_sanitize.cfg``) is applied without being located by hand; a file
  given with ``--nbval-sanitize-with`` is applied as well, after it, so its sections win;
- every stored ``image/png`` output is compared with the fresh one by the root mean square (RMS) of the
  decoded pixel differences, as :func:`matplotlib.testing.compare.compare_images` computes it (0–255
  scale); a fresh picture whose pixels are all one colour fails whatever the tolerance;
- a :class:`VaryingOutputWarning` when a fresh output shows something known to differ between machines
  or runs (a temporary path, a memory address, a timing), after sanitizing.

Options: ``--journey-tolerance`` (RMS, default 2.0), ``--journey-results`` (folder where a failing
picture's expected, actual and diff images are written, default ``nbval-images``). A cell tagged
``journey-skip-image`` keeps its text compared but its pictures are not. Text comparison is nbval's own,
unchanged: a cell whose text differs fails exactly as with plain nbval, and pictures are compared only
once the text agrees.

Examples
--------
::

    pytest --nbval --journey notebooks/
    pytest --nbval --journey --journey-tolerance 5 --journey-results failed-pictures notebooks/
"""

from __future__ import annotations

import base64
import re
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "SKIP_IMAGE_TAG",
    "DEFAULT_TOLERANCE",
    "DEFAULT_RESULTS",
    "VaryingOutputWarning",
    "sanitizer_path",
    "varying_output",
]

#: The cell tag that keeps a cell's pictures out of the comparison (its text is still compared).
SKIP_IMAGE_TAG = "journey-skip-image"
#: Default RMS tolerance, on the 0–255 colour scale of :func:`matplotlib.testing.compare.compare_images`.
DEFAULT_TOLERANCE = 2.0
#: Default folder, relative to the directory pytest was started in, for a failing picture's images.
DEFAULT_RESULTS = "nbval-images"

# What is known to vary between runs or machines; each is named in the warning.
_VARYING = {
    "a temporary path": re.compile(r"""(?<![\w.])(?:/tmp/|/private/var/folders/|/var/folders/)[^\s'"<>;,)]+"""),
    "a memory address": re.compile(r"\b0x[0-9a-fA-F]{8,}\b"),
    "a timing": re.compile(
        r"\btook \d+(?:\.\d+)? ?(?:s|ms|µs|us|seconds?|minutes?)\b|\bWall time\b"
        r"|\bCPU times\b",
        re.IGNORECASE,
    ),
}
# Output fields whose text an analyst reads; base64 pictures and metadata are not scanned.
_TEXT_FIELDS = ("text", "text/plain", "text/html", "text/markdown", "text/latex")


class VaryingOutputWarning(UserWarning):
    """A notebook cell printed something known to vary between runs (a path, an address, a timing)."""


@dataclass(frozen=True)
class _Settings:
    tolerance: float
    results: Path


def sanitizer_path() -> Path:
    """Return the path of the nbval sanitizer shipped with journey.

    Returns
    -------
    pathlib.Path
        ``nbval_sanitize.cfg`` inside the installed package (package data, so a real file: nbval opens it
        by name).

    Examples
    --------
    >>> sanitizer_path().name
    'nbval_sanitize.cfg'
    """
    return Path(str(resources.files("journey").joinpath("nbval_sanitize.cfg")))


def varying_output(text: str) -> list[str]:
    """Name what in ``text`` is known to vary between runs or machines.

    Parameters
    ----------
    text : str
        A cell output, after sanitizing.

    Returns
    -------
    list of str
        One ``"<kind> '<match>'"`` entry per kind found (temporary path, memory address, timing), first
        match of each; empty when nothing varies.

    Examples
    --------
    >>> varying_output("saved to /tmp/tmpab12/map.png in 0.3 s")
    ["a temporary path '/tmp/tmpab12/map.png'"]
    >>> varying_output("<Graph at 0x7f3a2b1c9d00>, took 1.23 s")
    ["a memory address '0x7f3a2b1c9d00'", "a timing 'took 1.23 s'"]
    >>> varying_output("conversion 12.5%")
    []
    """
    found = []
    for kind, pattern in _VARYING.items():
        match = pattern.search(text)
        if match:
            found.append(f"{kind} '{match.group(0)}'")
    return found


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--journey``, ``--journey-tolerance`` and ``--journey-results`` (see the module docstring)."""
    group = parser.getgroup("journey", "journey: notebook pictures and sanitizer for nbval")
    group.addoption(
        "--journey",
        action="store_true",
        default=False,
        help="with --nbval: apply journey's sanitizer, compare image/png outputs, warn about outputs that vary",
    )
    group.addoption(
        "--journey-tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        metavar="RMS",
        help=f"largest RMS pixel difference (0-255) a picture may show (default {DEFAULT_TOLERANCE})",
    )
    group.addoption(
        "--journey-results",
        default=DEFAULT_RESULTS,
        metavar="DIR",
        help=f"folder for failing pictures' expected, actual and diff images (default {DEFAULT_RESULTS})",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Refuse ``--journey`` without nbval, which it extends."""
    if not config.getoption("journey"):
        return
    if not (_option(config, "nbval") or _option(config, "nbval_lax")):
        raise pytest.UsageError("--journey extends nbval: give it with --nbval or --nbval-lax (pip install nbval)")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Extend every collected nbval cell and notebook when ``--journey`` is given."""
    if not config.getoption("journey"):
        return
    from nbval.plugin import IPyNbCell

    tolerance = float(config.getoption("journey_tolerance"))
    if tolerance < 0:
        raise pytest.UsageError(f"--journey-tolerance must be 0 or more, got {tolerance}")
    settings = _Settings(tolerance, config.invocation_params.dir / str(config.getoption("journey_results")))
    notebooks = set()
    for item in items:
        if isinstance(item, IPyNbCell):
            _extend_cell(item, settings)
            if item.parent not in notebooks:
                notebooks.add(item.parent)
                _extend_sanitizer(item.parent)


# nbval offers no hook for either extension: the sanitizer files and the output comparison are methods
# of its notebook (IPyNbFile) and cell (IPyNbCell) items. Each is wrapped on the collected instance, so
# classes are untouched, plain `pytest --nbval` runs are unaffected, and nbval's own comparison still
# decides the text before pictures are looked at.


def _extend_sanitizer(notebook: Any) -> None:
    given: Callable[[], list[str]] = notebook.get_sanitize_files

    def get_sanitize_files() -> list[str]:
        # journey's first: patterns are keyed by regex, so a user's section for the same regex wins.
        return [str(sanitizer_path()), *given()]

    notebook.get_sanitize_files = get_sanitize_files


def _extend_cell(cell: Any, settings: _Settings) -> None:
    compare_text: Callable[..., bool] = cell.compare_outputs

    def compare_outputs(test: list[Any], ref: list[Any], skip_compare: Any = None) -> bool:
        _warn_varying(cell, test)
        if not compare_text(test, ref, skip_compare):
            return False
        if SKIP_IMAGE_TAG in _tags(cell.cell):
            return True
        failures = _compare_pictures(_name(cell), _pngs(ref), _pngs(test), settings)
        cell.comparison_traceback.extend(failures)
        return not failures

    cell.compare_outputs = compare_outputs


def _tags(cell: Any) -> Sequence[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return tags if isinstance(tags, list) else []


def _name(cell: Any) -> str:
    return f"{Path(str(cell.path)).name}, Cell {cell.cell_num}"


def _pngs(outputs: Iterable[Any]) -> list[bytes]:
    return [
        base64.b64decode(output["data"]["image/png"]) for output in outputs if "image/png" in output.get("data", {})
    ]


def _texts(outputs: Iterable[Any]) -> Iterable[str]:
    for output in outputs:
        for field in _TEXT_FIELDS:
            value = output.get(field, output.get("data", {}).get(field))
            if isinstance(value, list):
                value = "".join(value)
            if isinstance(value, str):
                yield value


def _warn_varying(cell: Any, outputs: list[Any]) -> None:
    found = [kind for text in _texts(outputs) for kind in varying_output(cell.sanitize(text))]
    if found:
        warnings.warn(
            VaryingOutputWarning(
                f"{_name(cell)} prints what varies between runs: {'; '.join(dict.fromkeys(found))}. Print "
                f"stable text, or add a section to a --nbval-sanitize-with file."
            ),
            stacklevel=2,
        )


def _compare_pictures(name: str, expected: list[bytes], actual: list[bytes], settings: _Settings) -> list[str]:
    if len(expected) != len(actual):
        return [f"journey: {name}: {len(expected)} stored picture(s), {len(actual)} fresh"]
    failures = []
    for number, pair in enumerate(zip(expected, actual), start=1):
        failure = _compare_picture(f"{name}, picture {number}", *pair, settings)
        if failure:
            failures.append(failure)
    return failures


def _compare_picture(name: str, expected: bytes, actual: bytes, settings: _Settings) -> str | None:
    from matplotlib.image import imread
    from matplotlib.testing.compare import compare_images
    from matplotlib.testing.exceptions import ImageComparisonFailure

    with tempfile.TemporaryDirectory() as folder:
        paths = {"expected": Path(folder, "expected.png"), "actual": Path(folder, "actual.png")}
        paths["expected"].write_bytes(expected)
        paths["actual"].write_bytes(actual)
        pixels = imread(paths["actual"])
        height, width = imread(paths["expected"]).shape[:2]
        if (pixels == pixels.reshape(-1, *pixels.shape[2:])[0]).all():
            problem = "the fresh picture is blank (every pixel one colour)"
        elif pixels.shape[:2] != (height, width):
            problem = f"fresh size {pixels.shape[1]}x{pixels.shape[0]} pixels, stored {width}x{height}"
        else:
            try:
                result = compare_images(
                    str(paths["expected"]), str(paths["actual"]), settings.tolerance, in_decorator=True
                )
            except ImageComparisonFailure as error:  # colour channels that cannot be compared
                result = {"problem": str(error)}
            if result is None:
                return None
            if "diff" in result:
                problem = f"RMS {result['rms']:.3f} exceeds tolerance {settings.tolerance:g}"
                paths["diff"] = Path(str(result["diff"]))
            else:
                problem = str(result["problem"])
        written = _keep(name, paths, settings.results)
    return f"journey: {name}: {problem}; images written: {', '.join(written)}"


def _keep(name: str, paths: dict[str, Path], results: Path) -> list[str]:
    results.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "-", name.replace(".ipynb", "")).strip("-").lower()
    written = []
    for kind, path in paths.items():
        target = results / f"{stem}-{kind}.png"
        shutil.copyfile(path, target)
        written.append(str(target))
    return written


def _option(config: pytest.Config, name: str) -> Any:
    # nbval's options exist only when nbval is installed.
    return getattr(config.option, name, None)
