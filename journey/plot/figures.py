"""What every `journey` picture shares: its Axes, literal text, and byte-stable files."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["axes_for", "axes_inches", "literal_text", "save_figure", "INTERVAL"]

#: How an interval is drawn on every chart: a thin dark bar with caps.
INTERVAL = {"fmt": "none", "ecolor": "#222222", "elinewidth": 1.2, "capsize": 3}

#: Fixed salt for the ids matplotlib writes into SVG files, so the same picture gives the same bytes.
SVG_SALT = "journey"


def axes_for(ax: Any, figsize: tuple[float, float] = (8, 5)) -> Any:
    """``ax`` itself, or the Axes of a new figure (constrained layout) of ``figsize`` inches."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def axes_inches(ax: Any) -> tuple[float, float]:
    """Width and height of ``ax`` in inches, as laid out now: what sizes text and marks to fit."""
    dpi = float(ax.figure.dpi)
    return float(ax.bbox.width) / dpi, float(ax.bbox.height) / dpi


def literal_text(*groups: Iterable[Any]) -> None:
    """Show text exactly as written: no mathtext for ``$...$``, ``_`` or ``^`` (tick labels, legends, ...)."""
    for group in groups:
        for text in group:
            text.set_parse_math(False)


def save_figure(figure: Any, path: str | os.PathLike[str], *, dpi: int = 100) -> Path:
    """Save a Figure (or the figure of an Axes) so the same picture always gives the same bytes.

    Parameters
    ----------
    figure : matplotlib.figure.Figure or matplotlib.axes.Axes
        What to save; for an Axes, its whole figure.
    path : str or path
        The file; its suffix chooses the format (``.png``, ``.svg``, ``.pdf``, or any matplotlib knows).
    dpi : int
        Resolution of raster formats, dots per inch.

    Returns
    -------
    pathlib.Path
        The file written.

    Notes
    -----
    PNG is written without the software version, SVG with a fixed hash salt and no date, PDF without
    dates, so a picture that did not change is byte-identical and version control sees no difference.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, tempfile, pathlib
    >>> fig, ax = plt.subplots()
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.svg"
    >>> save_figure(ax, path) == path
    True
    """
    import matplotlib

    figure = getattr(figure, "figure", figure) if not hasattr(figure, "savefig") else figure
    path = Path(path)
    suffix = path.suffix.lower()
    metadata = {
        ".png": {"Software": None},
        ".svg": {"Date": None, "Creator": None},
        ".pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
    }.get(suffix)
    with matplotlib.rc_context({"svg.hashsalt": SVG_SALT}):
        figure.savefig(path, dpi=dpi, metadata=metadata)
    return path
