"""The benchmark harness is not run by the tests (`make bench` is), but it must stay importable:
a refactoring of node/ that breaks bench/ should fail here, not an hour into `make bench`."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import bench


@pytest.mark.parametrize("name", sorted(m.name for m in pkgutil.iter_modules(bench.__path__)))
def test_bench_module_imports(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    assert module.__name__ == f"bench.{name}"
