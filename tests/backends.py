"""The array backends every library test runs on (imported by conftest.py and by tests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from backpropkit.backend import to_numpy


@dataclass(frozen=True)
class Backend:
    """How a test puts its NumPy-made inputs onto one backend and reads results back."""

    name: str
    put: Callable[[np.ndarray], Any]

    def __call__(self, array: np.ndarray) -> Any:
        return self.put(np.asarray(array))

    @staticmethod
    def get(array: Any) -> np.ndarray:
        return to_numpy(array)


def _strict_device1(array: np.ndarray) -> Any:
    import array_api_strict as xs

    return xs.asarray(array, device=xs.Device("device1"))


BACKENDS = {
    "numpy": Backend("numpy", lambda a: a),
    # array_api_strict on its non-default device fails on every stray NumPy call or host array,
    # the same way CuPy would, so CI without a GPU still proves the code is device-clean.
    "strict-device1": Backend("strict-device1", _strict_device1),
}
