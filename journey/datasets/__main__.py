"""``python -m journey.datasets``: regenerate the bundled sample from its seeded generator."""

from . import write_sample

for written in write_sample():
    print(f"wrote {written} ({written.stat().st_size:,} bytes)")
