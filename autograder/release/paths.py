"""Where things live in the repository: the one module that knows the layout.

The release tools, the references, the command line and the tests find the library, the
instructor's notebooks and the student release through these constants.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "lib" / "backpropkit"  # the instructor edition of the library (answers in place)
SOLUTIONS = ROOT / "solutions"  # nbgrader's source: the instructor's notebooks, one folder per assignment
COURSE = ROOT / "course"  # the student release, rebuilt by python -m autograder.release
AUTOGRADER = ROOT / "autograder"
CHECKS = AUTOGRADER / "checks"  # what ships to students: the edition copies this folder as it is
