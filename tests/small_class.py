"""A small graded class written by hand, as `grade` would have left it, without grading anything.

Five graded submissions of the toy assignment and one still pending, for the tests of the pages
that sum a class up (tests/test_feedback_index.py and the browser test of the class page).
"""

from __future__ import annotations

from pathlib import Path

from autograder.grading.records import NotebookResult, SubmissionResult, TestOutcome
from autograder.grading.workspace import Workspace

SOURCE = Path(__file__).parent / "fixtures" / "grading_course" / "solutions"
ASSIGNMENT = "toy"
NOTEBOOK = "1_layers.ipynb"
FORGOT_SUM = ("check_affine_backward: db is wrong (relative error 9.8e-01, tolerance 1e-06).\n"
              "  Largest error at db[0]: yours 0.25, expected 1.\n"
              "  Likely mistake: forgot to sum db over the batch.\n"
              "  Case: seed 1.")
HOSTILE = "ValueError: <script>alert('pwned')</script>"
RELU_WRONG = "relu_backward: dx is wrong (relative error 1.0e+00, tolerance 1e-06).\n  Case: seed 3."


def affine(points: float, failure: str | None = None, reason: str | None = None) -> TestOutcome:
    return TestOutcome("affine_backward_tests", points, 3.0, failure=failure, reason=reason)


def relu(points: float, failure: str | None = None) -> TestOutcome:
    return TestOutcome("relu_backward_tests", points, 2.0, failure=failure)


GRADED = {  # student -> (tests, seconds late, late penalty)
    "alice": ([affine(3.0), relu(2.0)], 0.0, 0.0),
    "carol": ([affine(0.0, FORGOT_SUM), relu(0.0, RELU_WRONG)], 0.0, 0.0),
    "dave": ([affine(0.0, reason="timeout: the test ran past its time limit (20 s)"), relu(2.0)], 7500.0, 1.0),
    "mallory": ([affine(0.0, HOSTILE), relu(2.0)], 0.0, 0.0),
    "zoë": ([affine(0.0, FORGOT_SUM), relu(2.0)], 0.0, 0.0),
}
PENDING = ["erin"]


def small_class(root: Path) -> Workspace:
    workspace = Workspace(root, SOURCE)
    for student in [*GRADED, *PENDING]:
        folder = workspace.submission_dir(student, ASSIGNMENT)
        folder.mkdir(parents=True)
        (folder / NOTEBOOK).write_text("{}")
    for student, (tests, seconds_late, late_penalty) in GRADED.items():
        result = SubmissionResult(student, ASSIGNMENT, [NotebookResult(NOTEBOOK, tests)],
                                  submission_digest=workspace.submission_digest(student, ASSIGNMENT),
                                  seconds_late=seconds_late, late_penalty=late_penalty)
        result.save(workspace.result_path(student, ASSIGNMENT))
    return workspace
