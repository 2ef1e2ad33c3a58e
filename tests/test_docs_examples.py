"""The documentation's examples run, and the results they quote are what the code gives today.

Each page's ``python`` blocks run in order in one namespace (as a reader would type them); ``>>>`` blocks
run as doctests. When a ``text`` block follows a python block and starts with a result's headline
(``DropOff: ...``, ``KPI: ...``), that line must be one the block shows: a line it prints or the first
line of the repr of one of its expressions. Tables under a headline are illustrations (pages show parts of them)
and are not compared. A block right after a MyST comment ``% not run: why`` is an illustration on the
reader's own files and is skipped. The Dask page is left out: its examples start a cluster of their own, which
tests/test_distributed.py covers.
"""

from __future__ import annotations

import ast
import contextlib
import doctest
import io
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
FENCE = re.compile(r"```(\w+)\n(.*?)```", re.S)
HEADLINE = re.compile(r"^[A-Z]\w+: ")
PAGES = sorted(p for p in DOCS.rglob("*.md") if not {"_build", "notebooks"} & set(p.parts) and p.name != "dask.md")


def _line(text: str, position: int) -> int:
    return text[:position].count("\n") + 1


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_examples_run_and_quote_the_results_the_code_gives(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import matplotlib

    monkeypatch.chdir(tmp_path)  # examples that write files (graph.graphml, map.png) write them here

    matplotlib.use("Agg")
    text = page.read_text(encoding="utf-8")
    blocks = [(m.group(1), m.group(2), m.start()) for m in FENCE.finditer(text)]
    namespace: dict = {}
    problems = []
    for i, (language, code, position) in enumerate(blocks):
        if language != "python":
            continue
        where = f"{page.relative_to(DOCS)}:{_line(text, position)}"
        before = text[:position].rstrip("\n").rsplit("\n", 1)[-1]
        if before.startswith("% not run"):  # an illustration with the reader's own files (a MyST comment)
            continue
        if ">>>" in code:
            test = doctest.DocTestParser().get_doctest(code, namespace, where, str(page), _line(text, position))
            runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
            report = io.StringIO()
            runner.run(test, out=report.write, clear_globs=False)
            if runner.failures:
                problems.append(f"{where}: doctest\n{report.getvalue()[:2000]}")
            namespace.update(test.globs)
            continue
        printed = io.StringIO()
        shown: list[str] = []
        try:
            with contextlib.redirect_stdout(printed):
                for statement in ast.parse(code).body:
                    if isinstance(statement, ast.Expr):  # what a reader sees for each expression typed
                        value = eval(compile(ast.Expression(statement.value), where, "eval"), namespace)
                        if value is not None:
                            shown.append(repr(value))
                    else:
                        exec(compile(ast.Module([statement], type_ignores=[]), where, "exec"), namespace)
                        # Pages quote what an assigned result shows (``graph = journey_graph(...)``).
                        if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
                            shown.append(repr(namespace[statement.targets[0].id]))
        except Exception as exc:  # a documented example that fails is the finding
            problems.append(f"{where}: {type(exc).__name__}: {exc}")
            continue
        shown.append(printed.getvalue())
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        if following and following[0] == "text" and following[1].strip():
            quoted = following[1].splitlines()[0]
            if HEADLINE.match(quoted):
                lines = [line for output in shown for line in output.splitlines()]
                if quoted not in lines:
                    near = next((line for line in lines if line.split(":")[0] == quoted.split(":")[0]), "(nothing)")
                    problems.append(
                        f"{page.relative_to(DOCS)}:{_line(text, following[2])}: the page quotes\n"
                        f"  {quoted}\nbut the code gives\n  {near}"
                    )
    assert not problems, "\n".join(problems)
