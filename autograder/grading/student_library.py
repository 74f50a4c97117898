"""The library a student process may import: backpropkit without its reference answers.

The grader's own installation is the instructor edition, whose graded functions hold the answers
between ``### BEGIN SOLUTION`` and ``### END SOLUTION``. A student process that could import it
would only have to write ``from backpropkit.layers.affine import affine_backward``. It gets a copy
in which every such region is replaced by ``raise NotImplementedError``, as students have it, and
the sandbox keeps the original out of reach.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import backpropkit

_REGION = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION[ \t]*\n", re.M | re.S)


def strip_solutions(code: str) -> str:
    """``code`` with each solution region replaced by ``raise NotImplementedError``."""
    return _REGION.sub(lambda m: f"{m.group(1)}raise NotImplementedError\n", code)


def build_student_library(destination: Path) -> Path:
    """Write the student edition under ``destination`` (rebuilt only when the library changed).

    Returns the folder to put on the student process's ``sys.path``.
    """
    package = Path(backpropkit.__file__).parent
    sources = sorted(p for p in package.rglob("*.py"))
    fingerprint = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()
    stamp = destination / ".fingerprint"
    if stamp.is_file() and stamp.read_text() == fingerprint:
        return destination
    if destination.exists():
        shutil.rmtree(destination)
    for path in package.rglob("*"):
        if "__pycache__" in path.parts or path.is_dir():
            continue
        target = destination / "backpropkit" / path.relative_to(package)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".py":
            target.write_text(strip_solutions(path.read_text()))
        else:
            shutil.copy2(path, target)
    stamp.write_text(fingerprint)
    return destination
