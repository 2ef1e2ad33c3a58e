"""The documentation's API reference names every public name, and only public names."""

import re
from pathlib import Path

import journey

DOCS = Path(__file__).resolve().parent.parent / "docs"
API = DOCS / "api" / "index.md"


def autosummary_entries(text):
    """Names listed in the autosummary directives of a MyST page (indented lines after the options)."""
    names = []
    for block in re.findall(r"\.\. autosummary::\n((?:   .*\n|\n)*)", text):
        names += [line.strip() for line in block.splitlines() if line.strip() and not line.strip().startswith(":")]
    return names


def test_the_api_reference_lists_every_name_of_journey_all_once():
    text = API.read_text(encoding="utf-8")
    listed = autosummary_entries(text)
    constants = [name for name in journey.__all__ if not callable(getattr(journey, name))]
    assert sorted(constants) == ["END", "START", "__version__"]
    missing = [name for name in journey.__all__ if name not in listed and name not in constants]
    assert not missing, f"add to docs/api/index.md: {missing}"
    assert len(listed) == len(set(listed)), "a name is listed twice"
    assert not set(listed) - set(journey.__all__), "docs/api/index.md lists a name that is not public"


def test_every_constant_has_its_own_page_in_the_reference():
    text = API.read_text(encoding="utf-8")
    for name in ("START", "END", "__version__"):
        page = DOCS / "api" / f"journey.{name}.md"
        assert page.is_file() and f"journey.{name}" in text, name
        assert f"{{py:data}} journey.{name}" in page.read_text(encoding="utf-8"), name
