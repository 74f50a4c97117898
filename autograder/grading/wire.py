"""Reading what a student process sends without trusting it.

``pickle.loads`` on bytes a student process wrote would let it run any code in the grader (an
object's ``__reduce__`` names a function to call). Messages are therefore read with an unpickler
that builds only builtin containers, numbers, strings and NumPy arrays of numbers, and refuses
everything else with :class:`WireError`.
"""

from __future__ import annotations

import io
import pickle

import numpy as np

MAX_MESSAGE_BYTES = 512 * 2**20

_ALLOWED_GLOBALS = {
    ("builtins", "complex"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
}
_PLAIN = (type(None), bool, int, float, complex, str, bytes)


class WireError(Exception):
    """A student process sent something that is not plain data."""


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):  # noqa: D102 - see the module docstring
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise WireError(f"refused to rebuild {module}.{name} sent by the student process")


def loads(data: bytes) -> object:
    """Unpickle ``data`` from a student process, allowing plain data only."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise WireError(f"the student process sent {len(data)} bytes, more than the {MAX_MESSAGE_BYTES} allowed")
    try:
        return _PlainUnpickler(io.BytesIO(data)).load()
    except WireError:
        raise
    except Exception as error:
        raise WireError(f"unreadable message from the student process: {error}") from None


def check_plain(value: object, depth: int = 0) -> object:
    """Raise WireError unless ``value`` is a leaf the grader may hold (no object arrays, no subclasses)."""
    if type(value) in _PLAIN:
        return value
    if type(value) is np.ndarray and value.dtype.kind in "biufc" and value.dtype.fields is None:
        return value
    if isinstance(value, np.generic) and type(value).__module__ == "numpy" and value.dtype.kind in "biufc":
        return value
    raise WireError(f"the student process sent a {type(value).__name__} where plain data was expected")
