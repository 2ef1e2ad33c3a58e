"""Optional dependencies: imported when a feature needs them, or named in one line with the extra to install.

The extras are those of ``pyproject.toml``: ``notebooks`` (papermill, nbconvert: ``journey report``) and
``dask`` (``read_events(..., engine="dask")``).
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from .errors import JourneyError

__all__ = ["require"]


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module`` for ``feature``; when it is missing, a one-line :class:`JourneyError` naming ``extra``.

    Examples
    --------
    >>> require("json", "notebooks", "journey report").__name__
    'json'
    >>> require("no_such_module", "dask", 'engine="dask"')
    Traceback (most recent call last):
    ...
    journey.errors.JourneyError: engine="dask" needs no_such_module, which is not installed: pip install 'journey[dask]'
    """
    try:
        return import_module(module)
    except ImportError as exc:  # a missing module, or one whose own dependency is missing (dask[dataframe])
        missing = exc.name or module
        raise JourneyError(
            f"{feature} needs {missing}, which is not installed: pip install 'journey[{extra}]'"
        ) from exc
