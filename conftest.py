"""Settings for everything pytest collects here: the tests, the doctests in journey/ and the notebooks."""

import sys

import pytest


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test or doctest drew: pyplot keeps every open figure (and its memory) otherwise."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
