"""Shared fixtures: every library test can run on NumPy and on a strict stand-in for a GPU."""

from __future__ import annotations

import pytest

from backends import BACKENDS, Backend


@pytest.fixture(params=list(BACKENDS), ids=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> Backend:
    return BACKENDS[request.param]


def _gpu_available() -> bool:
    try:
        import cupy

        return bool(cupy.cuda.is_available())
    except Exception:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _gpu_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU with CuPy (pip install '.[gpu]'); none found")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
