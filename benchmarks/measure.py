"""Run one benchmark case in a fresh Python process and report its wall time and peak memory.

Each case runs in its own subprocess so that peak resident memory (``ru_maxrss``) belongs to that
case alone; the figure covers the whole process (interpreter, imports, data).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def run_case(script: Path, case: str, *args: str) -> dict:
    """Run ``script --case CASE ARGS`` in a subprocess; it prints one JSON line with its figures."""
    done = subprocess.run([sys.executable, str(script), "--case", case, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"case {case} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(seconds: float, **extra) -> None:
    """Called inside a case: print its figures (seconds, peak MiB of this process) as one JSON line."""
    import resource

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(json.dumps({"seconds": round(seconds, 3), "peak_mib": round(peak_mib, 1), **extra}))


def table(rows: list[tuple[str, dict]], reference: str | None = None) -> str:
    """Rows of (label, figures) as an aligned text table, with times relative to the ``reference`` row."""
    ref = dict(rows).get(reference) if reference else None
    lines = [f"{'case':<46}{'seconds':>9}{'peak MiB':>10}" + (f"{'time / first':>14}" if ref else "")]
    for label, r in rows:
        rel = f"{r['seconds'] / ref['seconds']:>14.2f}" if ref else ""
        lines.append(f"{label:<46}{r['seconds']:>9.2f}{r['peak_mib']:>10.0f}{rel}")
    return "\n".join(lines)
