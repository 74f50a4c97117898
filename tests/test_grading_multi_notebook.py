"""Notebooks that load the student's earlier notebooks (``answers_from``) grade as the student sees
them: the grader lays out the student's course, so the loaded answers are the student's own, and
no page tells a student to write something they wrote."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from autograder.cli import main as cli
from autograder.grading.autograde import grade_class
from autograder.grading.collect import collect
from autograder.grading.feedback import write_all_feedback
from autograder.grading.records import Limits
from autograder.grading.workspace import Workspace

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
SOLUTIONS = Path(__file__).parents[1] / "solutions"
LOADED = ["02_linear_classifiers", "03_backprop"]  # deep_networks loads answers from both
UNANSWERED = ("NotImplementedError", "not answered yet", "Write it there")


@pytest.fixture(autouse=True)
def quick_training(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKPROPKIT_QUICK", "1")


def test_a_complete_submission_of_a_multi_notebook_assignment_shows_no_unanswered_tracebacks(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "grading", SOLUTIONS)
    for assignment in LOADED:
        inbox = tmp_path / "inbox" / assignment / "ada"
        shutil.copytree(SOLUTIONS / assignment, inbox)
        collect(workspace, assignment, inbox.parent)
    grade_class(workspace, "03_backprop", workers=1, progress=False,
                limits=Limits(cell_timeout=60, notebook_timeout=600))

    result = workspace.result("ada", "03_backprop")
    deep = next(notebook for notebook in result.notebooks if notebook.name == "3_deep_networks.ipynb")
    errors = [cell.error for cell in deep.cell_outputs if cell.error]
    assert not [error for error in errors if any(word in error for word in UNANSWERED)]
    write_all_feedback(workspace, "03_backprop")
    page = (workspace.feedback / "ada" / "03_backprop" / "3_deep_networks.html").read_text()
    assert not [word for word in UNANSWERED if word in page]


def test_check_loads_the_earlier_answers_from_the_students_course_tree(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    course = tmp_path / "course"
    for assignment in LOADED:
        shutil.copytree(SOLUTIONS / assignment, course / assignment)
    cli(["--source", str(SOLUTIONS), "check", str(course / "03_backprop" / "3_deep_networks.ipynb"),
         "--cell-timeout", "60"])
    report = capsys.readouterr().out
    assert "3_deep_networks.ipynb" in report
    assert not [word for word in UNANSWERED if word in report]
