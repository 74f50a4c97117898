"""The library a student process may import: the student edition, without reference answers.

The grader's own installation is the instructor edition, whose graded functions hold the answers.
A student process that could import it would only have to write
``from backpropkit.layers.affine import affine_backward``. It gets the student edition instead
(:func:`autograder.edition.build_edition`: every answer replaced by ``raise NotImplementedError``),
and the sandbox keeps the instructor's files out of reach. It gets no ``autograder`` package at
all: test cells run in the grader, and ``autograder.oracles`` holds reference forwards that a
"backward" could differentiate numerically.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from ..edition import AUTOGRADER, LIBRARY, build_edition


def _fingerprint() -> str:
    digest = hashlib.sha256(b"library without autograder")  # older builds carried the checks: rebuild them
    for folder in (LIBRARY, AUTOGRADER):
        for path in sorted(folder.rglob("*.py")):
            if "grading" not in path.relative_to(folder).parts:
                digest.update(path.read_bytes())
    return digest.hexdigest()


def build_student_library(destination: Path) -> str:
    """Build the student edition under ``destination`` unless it is up to date.

    Returns the folder to put on the student process's ``sys.path``.
    """
    destination = Path(destination)
    stamp = destination / ".fingerprint"
    fingerprint = _fingerprint()
    if not (stamp.is_file() and stamp.read_text() == fingerprint):
        if destination.exists():
            shutil.rmtree(destination)
        destination.mkdir(parents=True)
        build_edition(destination, with_checks=False)
        stamp.write_text(fingerprint)
    return str(destination / "lib")
