"""Values written as a reader should see them: one formatting for displays, tables and pictures.

It lives with the pictures, the lowest layer that draws text, so every layer above (results, analyses, the
report) formats a share, a count or a duration the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["format_value"]


def format_value(value: Any, kind: str = "") -> str:
    """One value as a reader should see it: ``"share"`` 12.3%, ``"points"`` +4.5, ``"count"`` 1,234,
    ``"p"`` 0.0123, ``"days"`` 3.2, ``"decimal"`` 1,234.5, ``"seconds"`` 4m 05s; paths joined with arrows;
    missing as an en dash.

    Examples
    --------
    >>> format_value(0.1234, "share"), format_value(4.5, "points"), format_value(1234, "count")
    ('12.3%', '+4.5', '1,234')
    >>> format_value(("home", "cart")), format_value(float("nan"), "share")
    ('home → cart', '–')
    """
    if isinstance(value, tuple):
        return " → ".join(map(str, value))
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, pd.Period):
        return str(value)
    if not isinstance(value, (int, float, np.integer, np.floating)):
        return str(value)
    if kind == "share":
        return f"{value:.1%}"
    if kind == "points":
        return f"{value:+.1f}"
    if kind == "count":
        return f"{int(value):,}"
    if kind == "p":
        return f"{value:.3g}" if value >= 0.001 else f"{value:.1e}"
    if kind == "days":
        return f"{value:.1f}"
    if kind == "decimal":
        return f"{value:,.1f}"
    if kind == "seconds":
        return _duration(float(value))
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    return f"{value:.4g}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m {int(seconds % 60):02d}s"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h {int(seconds % 3600 // 60):02d}m"
    return f"{seconds / 86400:.1f}d"
