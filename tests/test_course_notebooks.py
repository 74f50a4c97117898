"""End to end with the real nbgrader: the solutions earn full marks, the blank release earns zero.

Two throwaway course roots in a temporary folder (never the repository: no gradebook.db or
submitted/ is left behind), each with its own gradebook, are autograded at the same time:

- a student who handed in the solution notebooks: every notebook must run top to bottom
  without an error and score full marks;
- a student who handed in the release unchanged, with the student edition of the library ahead
  of the full one on PYTHONPATH: every error must come from an unanswered exercise
  (NotImplementedError, or a check saying what to implement) and every graded test scores 0.

One `nbgrader autograde` call per root covers every assignment, with BACKPROPKIT_QUICK=1; the
tests then read the gradebooks and the autograded notebooks, one test per notebook. To grade only
some assignments while working on them, set COURSE_ASSIGNMENTS (e.g. "01_gradients,02_linear_classifiers").
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.release.paths import ROOT, SOLUTIONS

pytestmark = pytest.mark.slow

UNANSWERED = ("NotImplementedError",)
SELECTED = [name for name in os.environ.get("COURSE_ASSIGNMENTS", "").split(",") if name]
ASSIGNMENTS = sorted(
    path.name for path in SOLUTIONS.iterdir()
    if path.is_dir() and any(path.glob("*.ipynb")) and (not SELECTED or path.name in SELECTED)
)
NOTEBOOKS = [f"{a}/{p.stem}" for a in ASSIGNMENTS for p in sorted((SOLUTIONS / a).glob("*.ipynb"))]


def _course_root(base: Path, student: str) -> Path:
    """A course root holding a copy of the source notebooks and the nbgrader configuration."""
    root = base / student
    for assignment in ASSIGNMENTS:
        shutil.copytree(
            SOLUTIONS / assignment, root / "solutions" / assignment,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
    shutil.copyfile(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    return root


def _nbgrader(root: Path, *arguments: str, environment: dict | None = None) -> subprocess.Popen:
    env = {**os.environ, **(environment or {})}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return subprocess.Popen(
        [sys.executable, "-m", "nbgrader", *arguments, "--log-level=ERROR"],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def _wait(process: subprocess.Popen, what: str) -> None:
    output, _ = process.communicate(timeout=1500)
    assert process.returncode == 0, f"{what} failed:\n{output[-4000:]}"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("course-roots")
    roots = {student: _course_root(base, student) for student in ("solution", "blank")}
    generating = [_nbgrader(root, "generate_assignment", "*", "--force", "--create") for root in roots.values()]
    for process in generating:
        _wait(process, "generate_assignment")
    for student, root in roots.items():
        handed_in = SOLUTIONS if student == "solution" else ROOT / "course"  # the committed release
        for assignment in ASSIGNMENTS:
            target = root / "submitted" / student / assignment
            target.mkdir(parents=True)
            for notebook in (handed_in / assignment).glob("*.ipynb"):
                shutil.copyfile(notebook, target / notebook.name)
    student_edition = os.pathsep.join([str(ROOT / "course" / "lib"), str(ROOT / "course")])
    environments = {
        "solution": {"BACKPROPKIT_QUICK": "1"},
        "blank": {"BACKPROPKIT_QUICK": "1", "PYTHONPATH": student_edition},
    }
    grading = {
        student: _nbgrader(root, "autograde", "*", "--create", "--force", environment=environments[student])
        for student, root in roots.items()
    }
    for student, process in grading.items():
        _wait(process, f"autograde of the {student} student")
    return roots


def _scores(root: Path, student: str) -> dict[str, tuple[float, float, list]]:
    """notebook -> (score, max score, [(grade id, score, max score)]) of the autograded test cells,
    from the gradebook (the written answers, markdown cells, wait for a TA)."""
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        for assignment in gradebook.assignments:
            for notebook in assignment.notebooks:
                submitted = gradebook.find_submission_notebook(notebook.name, assignment.name, student)
                tests = [grade for grade in submitted.grades if grade.cell_type == "code"]
                grades = [(grade.name, grade.score, grade.max_score) for grade in tests]
                scores[f"{assignment.name}/{notebook.name}"] = (sum(g.score for g in tests), sum(g.max_score for g in tests), grades)
    return scores


def _errors(root: Path, student: str) -> list[tuple[str, int, str, str]]:
    """(notebook, cell, exception name, message) for every error output of the autograded notebooks."""
    found = []
    for path in sorted((root / "autograded" / student).rglob("*.ipynb")):
        for number, cell in enumerate(nbformat.read(path, as_version=4).cells):
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    found.append((path.relative_to(root / "autograded" / student).as_posix(), number, output.ename, output.evalue))
    return found


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_solution_notebook_runs_cleanly_and_earns_full_marks(graded, notebook):
    root = graded["solution"]
    errors = [error for error in _errors(root, "solution") if error[0] == f"{notebook}.ipynb"]
    assert not errors, f"errors in the solution notebook: {errors}"
    score, maximum, grades = _scores(root, "solution")[notebook]
    short = [(grade, earned, worth) for grade, earned, worth in grades if earned != worth]
    assert score == maximum, f"{score} of {maximum} points; short on {short}"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_blank_release_fails_only_where_an_exercise_is_unanswered(graded, notebook):
    errors = [error for error in _errors(graded["blank"], "blank") if error[0] == f"{notebook}.ipynb"]
    unexpected = [
        error
        for error in errors
        if not (error[2] in UNANSWERED or (error[2] == "CheckFailed" and error[3].startswith("implement ")))
    ]
    assert not unexpected, f"errors that are not about an unanswered exercise: {unexpected}"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_blank_release_scores_zero_on_every_graded_test(graded, notebook):
    _, _, grades = _scores(graded["blank"], "blank")[notebook]
    earned = [(grade, score) for grade, score, worth in grades if worth and score]
    assert not earned, f"points earned without answering: {earned}"
