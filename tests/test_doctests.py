"""Every worked example in the package's docstrings runs and prints what it shows."""

import doctest
import importlib
import pkgutil

import pytest

import msc_frailty

MODULES = sorted(m.name for m in pkgutil.iter_modules(msc_frailty.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"msc_frailty.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in msc_frailty.{name} fail"

