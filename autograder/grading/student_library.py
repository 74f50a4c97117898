"""The library a student process may import: the student edition, without reference answers.

The grader's own installation is the instructor edition, whose graded functions hold the answers.
A student process that could import it would only have to write
``from backpropkit.layers.affine import affine_backward``. It gets the student edition instead
(:func:`autograder.release.edition.build_edition`: every answer replaced by
``raise NotImplementedError``), and the sandbox keeps the instructor's files out of reach. Its
``autograder`` package holds only a stand-in ``checks`` module (:data:`CHECKS_STAND_IN`): test
cells run in the grader, and the real checks import ``autograder.checks.oracles``, reference
forwards that a "backward" could differentiate numerically. A cell of the student's own that calls
a check, as the notebooks invite, then runs without error instead of failing on an import.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from ..release.edition import build_edition
from ..release.paths import AUTOGRADER, LIBRARY


CHECKS_STAND_IN = '''"""Stand-in for the course checks while grading: every check_* does nothing.

The grader runs the instructor's test cells itself, with the real checks; a check that one of
your own cells calls has nothing to add here, so it returns None.
"""


class CheckFailed(AssertionError):
    """The error a failed check raises (never raised here)."""


def _skipped(*args, **kwargs):
    return None


def __getattr__(name):
    if name.startswith("check_"):
        return _skipped
    raise AttributeError(f"module 'autograder.checks' has no attribute {name!r}")
'''


def _fingerprint() -> str:
    digest = hashlib.sha256(b"library with the checks stand-in")  # older builds carried the checks: rebuild them
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
        stand_in = destination / "lib" / "autograder"
        stand_in.mkdir()
        (stand_in / "__init__.py").write_text('"""Only the checks stand-in: the grading sandbox holds no grader code."""\n')
        (stand_in / "checks.py").write_text(CHECKS_STAND_IN)
        stamp.write_text(fingerprint)
    return str(destination / "lib")
