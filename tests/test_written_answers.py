"""Written answers are graded by hand: `grade` leaves them waiting, a TA's grade in the gradebook
(as formgrader writes it) joins the tests' points everywhere, and a regrade keeps it while the
answer is unchanged.

The toy assignment gets a written question at the end of its source; the submissions' test
results are written by hand, so the gradebook writer, status, the CSV and feedback run on them
without grading anything.
"""

from __future__ import annotations

import copy
import csv
import json
import shutil
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.grading.autograde import grade_class
from autograder.grading.export import export_csv
from autograder.grading.feedback import write_all_feedback
from autograder.grading.gradebook_writer import GradebookWriter
from autograder.grading.records import Limits, NotebookResult, SubmissionResult
from autograder.grading.status import format_table, status_rows
from autograder.grading.records import TestOutcome
from autograder.grading.workspace import Workspace

FIXTURE = Path(__file__).parent / "fixtures" / "grading_course" / "solutions"
ASSIGNMENT, NOTEBOOK, QUESTION = "toy", "1_layers.ipynb", "explain_relu"
MODEL_ANSWER = "A unit whose input is negative for every example passes no gradient, so it never learns again."
WRITTEN_CELL = {
    "cell_type": "markdown",
    "id": "written-question",
    "metadata": {"nbgrader": {"grade": True, "solution": True, "locked": False, "points": 2,
                              "grade_id": QUESTION, "schema_version": 3}},
    "source": f"### BEGIN SOLUTION\n{MODEL_ANSWER}\n### END SOLUTION",
}


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A grading workspace over a copy of the toy source with a 2-point written question at its end."""
    source = tmp_path / "solutions"
    shutil.copytree(FIXTURE, source)
    path = source / ASSIGNMENT / NOTEBOOK
    notebook = json.loads(path.read_text())
    notebook["cells"].append(copy.deepcopy(WRITTEN_CELL))
    path.write_text(json.dumps(notebook))
    return Workspace(tmp_path / "grading", source)


def hand_in(workspace: Workspace, student: str, answer: str | None) -> None:
    """The source notebook as ``student``'s hand-in, with ``answer`` as the written answer (None: no notebook)."""
    folder = workspace.submission_dir(student, ASSIGNMENT)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if answer is None:
        return
    notebook = json.loads((workspace.source_root / ASSIGNMENT / NOTEBOOK).read_text())
    notebook["cells"][-1]["source"] = answer
    (folder / NOTEBOOK).write_text(json.dumps(notebook))


def record(workspace: Workspace, student: str, affine: float = 3.0, relu: float = 2.0) -> SubmissionResult:
    """What `grade` writes for ``student`` when the checks gave these points."""
    tests = [TestOutcome("affine_backward_tests", affine, 3.0), TestOutcome("relu_backward_tests", relu, 2.0)]
    job = workspace.job(student, ASSIGNMENT, Limits())
    result = SubmissionResult(student, ASSIGNMENT, [NotebookResult(NOTEBOOK, tests)])
    return GradebookWriter(workspace).write(job, result)


def grade_by_hand(workspace: Workspace, student: str, score: float, comment: str = "") -> None:
    """What formgrader does when a TA scores the written answer (its grade and comment API)."""
    with Gradebook(workspace.db_url, workspace.course_id) as gradebook:
        grade = gradebook.find_grade(QUESTION, Path(NOTEBOOK).stem, ASSIGNMENT, student)
        grade.manual_score = score
        grade.needs_manual_grade = False
        gradebook.find_comment(QUESTION, Path(NOTEBOOK).stem, ASSIGNMENT, student).manual_comment = comment
        gradebook.db.commit()


def hand_grade(workspace: Workspace, student: str):
    with Gradebook(workspace.db_url, workspace.course_id) as gradebook:
        grade = gradebook.find_grade(QUESTION, Path(NOTEBOOK).stem, ASSIGNMENT, student)
        return grade.auto_score, grade.manual_score, grade.needs_manual_grade


def exported(workspace: Workspace, path: Path) -> dict[str, dict[str, str]]:
    export_csv(workspace, path)
    with path.open(newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def test_grade_leaves_a_written_answer_waiting_and_status_and_csv_count_it(workspace: Workspace, tmp_path: Path) -> None:
    hand_in(workspace, "alice", MODEL_ANSWER)
    hand_in(workspace, "bob", "YOUR ANSWER HERE")  # unanswered: still the TA's to grade, never a zero
    record(workspace, "alice")
    record(workspace, "bob", affine=0.0)

    for student in ("alice", "bob"):
        assert hand_grade(workspace, student) == (None, None, True)
    with Gradebook(workspace.db_url, workspace.course_id) as gradebook:
        submission = gradebook.find_submission(ASSIGNMENT, "alice")
        assert submission.needs_manual_grade  # formgrader lists it under "needs manual grade"
        assert (submission.score, submission.max_score) == (5.0, 7.0)
    recorded = json.loads((workspace.autograded / "alice" / ASSIGNMENT / NOTEBOOK).read_text())
    answer = [cell for cell in recorded["cells"] if cell["metadata"].get("nbgrader", {}).get("grade_id") == QUESTION]
    assert len(answer) == 1 and answer[0]["cell_type"] == "markdown" and "".join(answer[0]["source"]) == MODEL_ANSWER

    rows = {row.student: row for row in status_rows(workspace, ASSIGNMENT)}
    assert (rows["alice"].points, rows["alice"].written_waiting) == ("5/7", 1)
    assert (rows["bob"].points, rows["bob"].written_waiting) == ("2/7", 1)
    assert any("1_layers/explain_relu (?/2): written answer, waiting" in line for line in rows["alice"].lost)
    assert "2 written answer(s) in 2 submission(s) wait to be graded by hand" in format_table(list(rows.values()))

    table = exported(workspace, tmp_path / "grades.csv")
    assert table["alice"]["written_waiting"] == "1" and table["alice"][f"1_layers/{QUESTION}"] == "waiting"
    assert (float(table["alice"]["score"]), float(table["alice"]["max_score"])) == (5.0, 7.0)


def test_a_grade_given_in_the_gradebook_joins_status_csv_and_feedback(workspace: Workspace, tmp_path: Path) -> None:
    hand_in(workspace, "alice", MODEL_ANSWER)
    record(workspace, "alice", relu=0.0)
    grade_by_hand(workspace, "alice", 1.5, "Right idea; say what the learning rate has to do with it.")

    row = status_rows(workspace, ASSIGNMENT)[0]
    assert (row.points, row.written_waiting) == ("4.5/7", 0)
    assert "written answer(s)" not in format_table([row])
    assert "1_layers/explain_relu (1.5/2): written answer: Right idea" in "\n".join(row.lost)
    table = exported(workspace, tmp_path / "grades.csv")["alice"]
    assert (float(table["score"]), float(table["final_score"]), table["written_waiting"]) == (4.5, 4.5, "0")
    assert float(table[f"1_layers/{QUESTION}"]) == 1.5

    write_all_feedback(workspace, ASSIGNMENT)
    summary = (workspace.feedback / "alice" / f"{ASSIGNMENT}.html").read_text()
    page = (workspace.feedback / "alice" / ASSIGNMENT / "1_layers.html").read_text()
    assert "4.5 / 7 points" in summary and "wait to be graded" not in summary
    assert "1_layers.ipynb: 4.5 / 7 points" in page
    assert "Right idea; say what the learning rate has to do with it." in page


def test_a_regrade_keeps_the_grade_of_an_unchanged_answer_and_clears_a_changed_one(workspace: Workspace) -> None:
    hand_in(workspace, "alice", MODEL_ANSWER)
    hand_in(workspace, "bob", "Dead units.")
    for student in ("alice", "bob"):
        record(workspace, student)
        grade_by_hand(workspace, student, 2.0)

    hand_in(workspace, "alice", MODEL_ANSWER + "\n\n")  # the same words: only the code changed
    hand_in(workspace, "bob", "Dead units: their input is negative for every example.")
    for student in ("alice", "bob"):
        record(workspace, student)

    assert hand_grade(workspace, "alice") == (None, 2.0, False)
    assert hand_grade(workspace, "bob") == (None, None, True)
    rows = {row.student: row for row in status_rows(workspace, ASSIGNMENT)}
    assert (rows["alice"].points, rows["alice"].written_waiting) == ("7/7", 0)
    assert (rows["bob"].points, rows["bob"].written_waiting) == ("5/7", 1)


def test_a_notebook_never_handed_in_has_no_written_answer_to_wait_for(workspace: Workspace) -> None:
    hand_in(workspace, "frank", None)
    result = record(workspace, "frank", affine=0.0, relu=0.0)
    assert [answer.grade_id for notebook in result.notebooks for answer in notebook.written] == [QUESTION]
    assert hand_grade(workspace, "frank") == (0.0, None, False)
    row = status_rows(workspace, ASSIGNMENT)[0]
    assert (row.points, row.written_waiting) == ("0/7", 0)


def test_grading_json_keeps_the_written_answers_without_their_scores(workspace: Workspace) -> None:
    hand_in(workspace, "alice", MODEL_ANSWER)
    record(workspace, "alice")
    grade_by_hand(workspace, "alice", 2.0)
    stored = json.loads(workspace.result_path("alice", ASSIGNMENT).read_text())["notebooks"][0]["written"]
    assert [(w["grade_id"], w["max_points"], w["points"]) for w in stored] == [(QUESTION, 2.0, None)]
    result = workspace.result("alice", ASSIGNMENT)
    assert (result.total_points, result.total_max_points, result.written_waiting) == (5.0, 7.0, 1)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_grading_a_class_runs_the_code_and_leaves_the_written_answer_to_the_ta(workspace: Workspace) -> None:
    hand_in(workspace, "alice", MODEL_ANSWER)
    grade_class(workspace, ASSIGNMENT, workers=1, limits=Limits(cell_timeout=20, notebook_timeout=60), progress=False)
    assert hand_grade(workspace, "alice") == (None, None, True)
    row = status_rows(workspace, ASSIGNMENT)[0]
    assert (row.state, row.points, row.written_waiting) == ("graded", "5/7", 1)


def test_check_lists_a_written_answer_as_left_to_the_ta(workspace: Workspace, tmp_path: Path) -> None:
    """A student running `bpk-grade check` learns the question exists and who grades it."""
    from autograder.grading.self_check import check_notebook, format_report

    hand_in(workspace, "alice", MODEL_ANSWER)
    notebook = workspace.submission_dir("alice", ASSIGNMENT) / NOTEBOOK
    result, hidden = check_notebook(notebook, tmp_path / "solutions", Limits(cell_timeout=20, notebook_timeout=60))
    report = format_report(result, hidden)
    assert report.splitlines()[0] == f"{NOTEBOOK}: 5 / 5 points"
    assert f"{QUESTION}: ? / 2  written answer, graded by hand by your TA (not counted above)" in report
