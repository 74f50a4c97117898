"""A throwaway nbgrader course root for the browser tests, with one notebook graded.

Everything lives in a temporary directory, never in the repository:

    nbgrader_config.py           the repository's (it puts the course root next to itself)
    solutions/<assignment>/      the chosen notebook and the assignment's other files
    course/<assignment>/         the committed student release of that notebook
    submitted/<student>/...      two submissions: the release left unanswered, and the solution
    autograded/, gradebook.db    written by `nbgrader autograde`

`lay_out_course` is quick and leaves the root ready to serve; `autograde` takes most of a minute
and touches only submitted/, autograded/ and the gradebook, so it can run while a browser test
works on the notebooks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PREFERRED_NOTEBOOK = "01_gradients/1_gradients.ipynb"
NOTEBOOK_VARIABLE = "BACKPROPKIT_E2E_NOTEBOOK"


@dataclass(frozen=True)
class CourseNotebook:
    """One notebook of one assignment, e.g. ``CourseNotebook("01_gradients", "1_gradients.ipynb")``."""

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
    written_max_score: float = 0.0  # of the answers a TA grades by hand (in max_score, not yet in score)


@dataclass(frozen=True)
class Student:
    id: str
    first_name: str
    last_name: str


UNANSWERED = Student("student_unanswered", "Una", "Answered")
SOLVED = Student("student_solved", "Sol", "Ved")


@dataclass(frozen=True)
class CourseWorkspace:
    root: Path
    notebook: CourseNotebook
    grading: Future[dict[str, GradedSubmission]]  # `autograde`, running in the background

    def graded(self) -> dict[str, GradedSubmission]:
        """Scores by student id, once autograding is done (its error, if it failed)."""
        return self.grading.result()


def choose_notebook() -> CourseNotebook:
    """The notebook the browser tests open.

    ``$BACKPROPKIT_E2E_NOTEBOOK`` (``<assignment>/<notebook>.ipynb``) when set, else
    01_gradients/1_gradients.ipynb, else the first notebook in solutions/ whose release is in
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


def lay_out_course(root: Path, notebook: CourseNotebook, env: dict[str, str]) -> None:
    """Fill ``root`` (a new directory) with the config, the notebook's source and its release.

    ``env`` is the environment nbgrader runs in.
    """
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    _copy_assignment(REPO / "solutions" / notebook.assignment, root / "solutions" / notebook.assignment, notebook)
    # generate_assignment records the assignment, its cells and their points in the gradebook.
    _nbgrader(["generate_assignment", notebook.assignment, "--force"], root, env)
    # Students open the committed release; a separate test keeps it in step with solutions/.
    shutil.copy2(REPO / notebook.release_path, root / notebook.release_path)


def autograde(root: Path, notebook: CourseNotebook, env: dict[str, str]) -> dict[str, GradedSubmission]:
    """Submit the release unanswered and the solution, autograde both, return their scores by student id."""
    from nbgrader.api import Gradebook

    submissions = {
        UNANSWERED: root / "course" / notebook.assignment,
        SOLVED: root / "solutions" / notebook.assignment,
    }
    with Gradebook(_gradebook_url(root)) as gradebook:
        for student in submissions:
            gradebook.update_or_create_student(student.id, first_name=student.first_name, last_name=student.last_name)
    for student, folder in submissions.items():
        submitted = root / "submitted" / student.id / notebook.assignment
        shutil.copytree(folder, submitted)
        (submitted / "timestamp.txt").write_text(datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    _nbgrader(["autograde", notebook.assignment], root, env)

    with Gradebook(_gradebook_url(root)) as gradebook:
        graded = {}
        for student in submissions:
            submission = gradebook.find_submission(notebook.assignment, student.id)
            written = sum(g.max_score for nb in submission.notebooks for g in nb.grades if g.cell_type == "markdown")
            graded[student.id] = GradedSubmission(student.id, float(submission.score), float(submission.max_score),
                                                  float(written))
        return graded


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


def _gradebook_url(root: Path) -> str:
    return f"sqlite:///{root / 'gradebook.db'}"
