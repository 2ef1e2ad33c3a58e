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


def make_parquet(rows: int, touchpoints: int = 20) -> Path:
    """Path of a synthetic log (seeded), made on first use: shuffled rows, ~10 events per user, uniform
    touchpoints named ``touchpoint_00``, ``touchpoint_01``, ..., times over 90 days.
    """
    path = OUT / (f"events_{rows}.parquet" if touchpoints == 20 else f"events_{rows}_{touchpoints}tp.parquet")
    if not path.exists():
        # In a child process: Linux carries a parent's peak memory into the children it starts, so the
        # process that launches the cases must stay small.
        code = f"from measure import write_parquet; write_parquet({rows}, {touchpoints}, {str(path)!r})"
        subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent, check=True)
    return path


def write_parquet(rows: int, touchpoints: int, path: str) -> None:
    import numpy as np
    import pandas as pd

    OUT.mkdir(exist_ok=True)
    names = [f"touchpoint_{i:02d}" for i in range(touchpoints)]
    rng = np.random.default_rng(0)
    users = rng.integers(0, rows // 10, rows)
    seconds = rng.integers(0, 90 * 86_400, rows)
    pd.DataFrame(
        {
            "user_id": pd.Series(users).map("u{:07d}".format),
            "timestamp": pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(seconds, unit="s"),
            "event": pd.Categorical.from_codes(rng.integers(0, touchpoints, rows), names).astype(str),
            "value": rng.random(rows),
        }
    ).to_parquet(path, index=False)


def run_case(script: Path, case: str, *args: str, python: str = sys.executable) -> dict:
    """Run ``script --case CASE ARGS`` in a subprocess; it prints one JSON line with its figures."""
    done = subprocess.run([python, str(script), "--case", case, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"case {case} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def peak_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def measure(work, *args) -> None:
    """Called inside a case: run ``work(*args)`` and print its figures as one JSON line.

    ``peak_mib`` is the whole process's peak; ``work_mib`` is that peak less the process's size before the
    work (interpreter and imports), i.e. the memory the work itself needed at its height.
    """
    import time

    before = peak_mib()
    start = time.perf_counter()
    figures = work(*args) or {}
    seconds = time.perf_counter() - start
    peak = peak_mib()
    print(
        json.dumps(
            {"seconds": round(seconds, 3), "peak_mib": round(peak, 1), "work_mib": round(peak - before, 1), **figures}
        )
    )


def table(rows: list[tuple[str, dict]], reference: str | None = None) -> str:
    """Rows of (label, figures) as an aligned text table, with times relative to the ``reference`` row."""
    ref = dict(rows).get(reference) if reference else None
    lines = [f"{'case':<42}{'seconds':>9}{'peak MiB':>10}{'work MiB':>10}" + (f"{'time / first':>14}" if ref else "")]
    for label, r in rows:
        rel = f"{r['seconds'] / ref['seconds']:>14.2f}" if ref else ""
        lines.append(f"{label:<42}{r['seconds']:>9.2f}{r['peak_mib']:>10.0f}{r['work_mib']:>10.0f}{rel}")
    return "\n".join(lines)


def measure_split(compute, extract, *args) -> None:
    """Like :func:`measure`, but only ``compute(*args)`` is timed; ``extract(result)`` then turns its result
    into JSON-ready figures (for checks across tools) outside the clock, so the conversion costs no tool time.

    ``cpu_seconds`` is the user + system time of all the process's threads during ``compute``: above
    ``seconds`` when a tool works on several cores.
    """
    import resource
    import time

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    before = peak_mib()
    cpu_start, start = cpu(), time.perf_counter()
    result = compute(*args)
    seconds, cpu_seconds = time.perf_counter() - start, cpu() - cpu_start
    peak = peak_mib()
    figures = extract(result) or {}
    print(
        json.dumps(
            {
                "seconds": round(seconds, 3),
                "cpu_seconds": round(cpu_seconds, 3),
                "peak_mib": round(peak, 1),
                "work_mib": round(peak - before, 1),
                **figures,
            }
        )
    )
