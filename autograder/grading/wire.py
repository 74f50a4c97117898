"""Reading what a student process sends without trusting it.

``pickle.loads`` on bytes a student process wrote would let it run any code in the grader (an
object's ``__reduce__`` names a function to call). Messages are therefore read with an unpickler
that builds only builtin containers, numbers, strings and bytes, and refuses every global
(NumPy's included) with :class:`WireError`.

NumPy arrays do not cross as pickles: NumPy's own pickle trusts the shape and strides it is given,
so a reply could claim a billion elements over an eight-byte buffer and have the grader expand it.
The student process describes an array as ``(dtype, shape, bytes)`` instead, and
:func:`array_from_wire` checks that claim against the bytes actually received before it builds
anything. What one reply can make the grader hold is bounded by :data:`MAX_MESSAGE_BYTES`: the
frame is refused before it is read when larger, and every array is built from bytes inside it, so
decoding a reply takes at most about twice that (the frame's bytes, then the arrays built from
them; measured: 128 MiB at the peak for a 64 MiB array).
"""

from __future__ import annotations

import io
import math
import pickle

import numpy as np

MAX_MESSAGE_BYTES = 64 * 2**20
MAX_ARRAY_ELEMENTS = 2**23  # 64 MiB of float64; the checks exchange arrays of a few thousand numbers
MAX_ARRAY_DIMENSIONS = 32  # NumPy's own limit is 64; no layer of the kit goes past 4

_ALLOWED_GLOBALS = {("builtins", "complex")}
_PLAIN = (type(None), bool, int, float, complex, str, bytes)
_WIRE_DTYPES = frozenset(
    np.dtype(code).newbyteorder(order).str
    for code in "?" + np.typecodes["AllInteger"] + np.typecodes["AllFloat"]
    for order in "<>"
)


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


def check_plain(value: object) -> object:
    """Raise WireError unless ``value`` is a builtin leaf the grader may hold."""
    if type(value) in _PLAIN:
        return value
    raise WireError(f"the student process sent a {type(value).__name__} where plain data was expected")


def array_from_wire(dtype: object, shape: object, data: object) -> np.ndarray:
    """The array a student process described as ``(dtype, shape, bytes)``, after checking the claim.

    Guaranteed: ``dtype`` is a numeric type of NumPy, ``shape`` has at most
    :data:`MAX_ARRAY_DIMENSIONS` non-negative sizes whose product is at most
    :data:`MAX_ARRAY_ELEMENTS`, and ``data`` holds exactly that many elements; nothing is allocated
    before these checks pass. The result is a new, writable, C-contiguous array owning its memory.
    """
    if type(dtype) is not str or dtype not in _WIRE_DTYPES:
        raise WireError(f"the student process sent an array of an unknown type ({str(dtype)[:40]!r})")
    if (type(shape) is not tuple or len(shape) > MAX_ARRAY_DIMENSIONS
            or any(type(size) is not int or size < 0 for size in shape)):
        raise WireError("the student process sent an array with a malformed shape")
    count = math.prod(shape)
    if count > MAX_ARRAY_ELEMENTS:
        raise WireError(f"the student process sent an array of {count} numbers, more than the {MAX_ARRAY_ELEMENTS} "
                        "allowed (a huge or broadcast result)")
    if type(data) is not bytes or len(data) != count * np.dtype(dtype).itemsize:
        raise WireError(f"the student process sent an array whose bytes do not match its shape {shape}")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()
