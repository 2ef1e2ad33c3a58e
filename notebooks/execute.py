"""Re-execute notebooks in place and strip what varies between runs (used by `make notebooks`).

Outputs are kept: nbval compares them on every `make test`. Execution timestamps and widget state are
removed so a re-run that changes no result changes no byte. The kernels import `journey` from the checkout
this script lives in (its folder is put first on their PYTHONPATH), not whichever copy the environment
has installed, so a second clone sharing one virtual environment shows its own code.
"""

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
    nbformat.write(nb, path)
    print(f"executed {path}")


if __name__ == "__main__":
    checkout = str(Path(__file__).resolve().parent.parent)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (checkout, os.environ.get("PYTHONPATH")) if p)
    for name in sys.argv[1:]:
        execute(Path(name))
