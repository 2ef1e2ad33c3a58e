"""The flat public API: every name resolves to what it promises, whatever was imported before."""

import importlib
import pkgutil
import types

import journey


def test_every_public_name_is_a_function_or_class_even_after_importing_every_module():
    for module in pkgutil.iter_modules(journey.__path__):
        importlib.import_module(f"journey.{module.name}")  # a submodule named like a function would shadow it
    for name in journey.__all__:
        value = getattr(journey, name)
        assert not isinstance(value, types.ModuleType), f"journey.{name} is a module"


def test_importing_journey_stays_light():
    import subprocess
    import sys

    code = "import journey, sys; print(' '.join(m for m in ('networkx', 'scipy', 'matplotlib') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []
