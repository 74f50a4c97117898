"""A throwaway nbgrader course root for the browser tests, with one notebook graded.

Everything lives in a temporary directory, never in the repository:

    nbgrader_config.py           the repository's (it puts the course root next to itself)
    solutions/<assignment>/      the chosen notebook and the assignment's other files
    course/<assignment>/         the committed student release of that notebook
    submitted/<student>/...      two submissions: the release left unanswered, and the solution
    autograded/, gradebook.db    written by `nbgrader autograde`
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PREFERRED_NOTEBOOK = "01_gradients/gradients.ipynb"
NOTEBOOK_VARIABLE = "BACKPROPKIT_E2E_NOTEBOOK"

UNANSWERED_STUDENT = "student_unanswered"
SOLVED_STUDENT = "student_solved"


@dataclass(frozen=True)
class CourseNotebook:
    """One notebook of one assignment, e.g. ``CourseNotebook("01_gradients", "gradients.ipynb")``."""

    assignment: str
    filename: str

    @property
    def stem(self) -> str:
        return Path(self.filename).stem

    @property
    def source_path(self) -> str:
        """Path of the instructor's notebook, relative to a course root."""
        return f"solutions/{self.assignment}/{self.filename}"

    @property
    def release_path(self) -> str:
        """Path of the student's notebook, relative to a course root."""
        return f"course/{self.assignment}/{self.filename}"


@dataclass(frozen=True)
class GradedSubmission:
    student: str
    score: float
    max_score: float


@dataclass(frozen=True)
class CourseWorkspace:
    root: Path
    notebook: CourseNotebook
    graded: dict[str, GradedSubmission]


def choose_notebook() -> CourseNotebook:
    """The notebook the browser tests open.

    ``$BACKPROPKIT_E2E_NOTEBOOK`` (``<assignment>/<notebook>.ipynb``) when set, else
    01_gradients/gradients.ipynb, else the first notebook in solutions/ whose release is in
    course/. Raises LookupError naming what is missing.
    """
    requested = os.environ.get(NOTEBOOK_VARIABLE, "").strip()
    if requested:
        candidates = [requested]
    else:
        found = sorted(p.relative_to(REPO / "solutions").as_posix() for p in REPO.glob("solutions/*/*.ipynb"))
        candidates = [PREFERRED_NOTEBOOK, *found]
    for candidate in candidates:
        parts = candidate.split("/")
        if len(parts) == 2 and (REPO / "solutions" / candidate).is_file() and (REPO / "course" / candidate).is_file():
            return CourseNotebook(*parts)
    if requested:
        raise LookupError(
            f"{NOTEBOOK_VARIABLE}={requested!r} names no notebook: expected both "
            f"solutions/{requested} and course/{requested} (form <assignment>/<notebook>.ipynb)"
        )
    raise LookupError("no notebook in solutions/<assignment>/ has its student release in course/<assignment>/")


def build_workspace(root: Path, notebook: CourseNotebook, env: dict[str, str]) -> CourseWorkspace:
    """Lay out a course root in ``root`` (an empty directory) and autograde two submissions.

    ``env`` is the environment nbgrader runs in (BACKPROPKIT_QUICK=1 keeps it short).
    """
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    _copy_assignment(REPO / "solutions" / notebook.assignment, root / "solutions" / notebook.assignment, notebook)

    # generate_assignment records the assignment, its cells and their points in the gradebook.
    _nbgrader(["generate_assignment", notebook.assignment, "--force"], root, env)
    # Students open the committed release; a separate test keeps it in step with solutions/.
    shutil.copy2(REPO / notebook.release_path, root / notebook.release_path)

    submissions = {
        UNANSWERED_STUDENT: root / "course" / notebook.assignment,
        SOLVED_STUDENT: root / "solutions" / notebook.assignment,
    }
    for student, folder in submissions.items():
        shutil.copytree(folder, root / "submitted" / student / notebook.assignment)
    _nbgrader(["autograde", notebook.assignment, "--create"], root, env)

    return CourseWorkspace(root, notebook, _read_scores(root, notebook.assignment, list(submissions)))


def _copy_assignment(source: Path, target: Path, notebook: CourseNotebook) -> None:
    """Copy an assignment folder with only the chosen notebook, so grading stays short."""

    def other_notebooks_and_caches(folder: str, names: list[str]) -> list[str]:
        return [
            name
            for name in names
            if (name.endswith(".ipynb") and name != notebook.filename)
            or name in {".ipynb_checkpoints", "__pycache__"}
        ]

    shutil.copytree(source, target, ignore=other_notebooks_and_caches)


def _nbgrader(arguments: list[str], root: Path, env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "nbgrader", *arguments]
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(
            f"`nbgrader {' '.join(arguments)}` failed in {root} (exit {result.returncode}):\n"
            + (result.stdout + result.stderr)[-4000:]
        )


def _read_scores(root: Path, assignment: str, students: list[str]) -> dict[str, GradedSubmission]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        scores = {}
        for student in students:
            submission = gradebook.find_submission(assignment, student)
            scores[student] = GradedSubmission(student, float(submission.score), float(submission.max_score))
        return scores
