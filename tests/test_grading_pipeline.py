"""The TA's pipeline on the toy assignment: collect, grade in parallel, gradebook, feedback, export, status.

A small class is collected once (folders, a nested zip, a broken zip, a missing notebook) and
graded with two workers; the tests read what each step left behind.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

from autograder.cli import main as cli
from autograder.grading.autograde import grade_class
from autograder.grading.collect import collect
from autograder.grading.export import export_csv
from autograder.grading.feedback import write_all_feedback
from autograder.grading.records import Limits
from autograder.grading.status import format_table, status_rows
from autograder.grading.workspace import Workspace

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
SOURCE = Path(__file__).parent / "fixtures" / "grading_course" / "solutions"
NOTEBOOK = "1_layers.ipynb"
LIMITS = Limits(cell_timeout=20, notebook_timeout=60)
HIDDEN_LINES = ["check_affine_backward(affine_backward, seed=1)", "relu_score(relu_backward, points=2)"]
EXPECTED = {  # student -> (affine points, relu points)
    "alice": (3.0, 2.0),
    "bob": (0.0, 0.0),
    "carol": (0.0, 2.0),
    "dave": (3.0, 2.0),
    "eve": (0.0, 0.0),
    "frank": (0.0, 0.0),
}


def reference() -> dict:
    return json.loads((SOURCE / "toy" / NOTEBOOK).read_text())


def blank_release() -> dict:
    notebook = nbformat.reads(json.dumps(reference()), as_version=4)
    notebook, _ = ClearSolutions().preprocess(notebook, {})
    notebook, _ = ClearHiddenTests().preprocess(notebook, {})
    return json.loads(nbformat.writes(notebook))


def with_batch_size_bug() -> dict:
    notebook = copy.deepcopy(reference())
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        cell["source"] = source.replace("dw = x.T @ dout", "dw = x.T @ dout / x.shape[0]")
    return notebook


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    inbox = tmp_path_factory.mktemp("inbox")
    for student, notebook in [("alice", reference()), ("bob", blank_release()), ("carol", with_batch_size_bug())]:
        (inbox / student).mkdir()
        (inbox / student / NOTEBOOK).write_text(json.dumps(notebook))
    with zipfile.ZipFile(inbox / "dave.zip", "w") as archive:  # nested folders, as course sites zip them
        archive.writestr(f"dave/ps/toy/{NOTEBOOK}", json.dumps(reference()))
        archive.writestr("dave/ps/toy/notes.txt", "my notes")
        archive.writestr("../../escape.txt", "outside")
    (inbox / "eve.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    (inbox / "frank").mkdir()
    (inbox / "frank" / "README.txt").write_text("I forgot the notebook")
    return inbox


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory, inbox: Path) -> Workspace:
    workspace = Workspace(tmp_path_factory.mktemp("course") / "grading", SOURCE)
    report = collect(workspace, "toy", inbox)
    assert sorted(report.imported) == sorted(set(EXPECTED) - {"eve"})
    assert any(problem.startswith("eve:") for problem in report.problems)
    run = grade_class(workspace, "toy", workers=2, limits=LIMITS, progress=False)
    assert len(run.graded) == len(EXPECTED)
    return workspace


def test_collect_flattens_nested_zips_and_records_what_it_could_not_import(graded: Workspace) -> None:
    assert (graded.submission_dir("dave", "toy") / NOTEBOOK).is_file()
    assert (graded.submission_dir("dave", "toy") / "notes.txt").read_text() == "my notes"
    assert not list(graded.root.rglob("escape.txt"))
    reasons = {p["student"]: p["reason"] for p in graded.problems()}
    assert "could not be opened" in reasons["eve"]
    assert "missing" in reasons["frank"]


def test_every_test_cell_gets_the_checkers_points_in_nbgraders_gradebook(graded: Workspace) -> None:
    with Gradebook(graded.db_url, graded.course_id) as gradebook:
        for student, (affine, relu) in EXPECTED.items():
            submission = gradebook.find_submission("toy", student)
            grades = {g.name: g for nb in submission.notebooks for g in nb.grades}
            assert grades["affine_backward_tests"].score == affine, student
            assert grades["relu_backward_tests"].score == relu, student
            assert not any(g.needs_manual_grade for g in grades.values()), student
            result = graded.result(student, "toy")
            assert result.points == submission.score


def test_a_wrong_gradient_is_explained_with_a_heat_map_and_no_hidden_code(graded: Workspace) -> None:
    pages = write_all_feedback(graded, "toy")
    assert sum(page.name == NOTEBOOK.replace(".ipynb", ".html") for page in pages) == len(EXPECTED)
    page = (graded.feedback / "carol" / "toy" / "1_layers.html").read_text()
    assert "dw is wrong" in page
    assert "data:image/png;base64," in page
    assert "http" not in page.replace("http-equiv", "")  # self-contained: no external assets
    for student in EXPECTED:
        text = (graded.feedback / student / "toy" / "1_layers.html").read_text()
        assert not any(line in text for line in HIDDEN_LINES)


def test_export_has_points_per_notebook_and_test_and_a_reason_for_every_point_lost(graded: Workspace, tmp_path: Path) -> None:
    assert export_csv(graded, tmp_path / "grades.csv") == len(EXPECTED)
    rows = {r["student"]: r for r in csv.DictReader((tmp_path / "grades.csv").open())}
    assert float(rows["carol"]["1_layers/affine_backward_tests"]) == 0.0
    assert float(rows["carol"]["1_layers/relu_backward_tests"]) == 2.0
    assert float(rows["alice"]["1_layers"]) == 5.0
    assert rows["alice"]["reason"] == ""
    assert rows["carol"]["reason"].startswith("1_layers/affine_backward_tests (0/3): ") and "dw is wrong" in rows["carol"]["reason"]
    assert "\n" not in rows["carol"]["reason"]
    assert "missing" in rows["frank"]["reason"]
    assert "could not be opened" in rows["eve"]["reason"]


def test_status_separates_clean_grades_from_grades_with_problems(graded: Workspace) -> None:
    rows = {row.student: row for row in status_rows(graded, "toy")}
    assert {s: r.state for s, r in rows.items()} == {"alice": "graded", "bob": "graded", "carol": "graded",
                                                     "dave": "graded", "eve": "failed", "frank": "failed"}
    assert rows["alice"].lost == []
    assert len(rows["carol"].lost) == 1 and "dw is wrong" in rows["carol"].lost[0]
    table = format_table(list(rows.values()))
    assert rows["carol"].lost[0] in table  # whole, not cut
    assert "2 with problems" in table


def test_rerunning_grades_only_what_is_missing_and_leaves_finished_grades_alone(graded: Workspace) -> None:
    untouched = {s: graded.result_path(s, "toy").stat().st_mtime_ns for s in EXPECTED if s != "alice"}
    graded.result_path("alice", "toy").unlink()  # as if the run had died before alice's result was written
    run = grade_class(graded, "toy", workers=2, limits=LIMITS, progress=False)
    assert [r.student for r in run.graded] == ["alice"]
    assert run.skipped == len(EXPECTED) - 1
    assert {s: graded.result_path(s, "toy").stat().st_mtime_ns for s in untouched} == untouched
    assert graded.result("alice", "toy").points == 5.0


def test_grading_on_a_dask_cluster_gives_the_same_grades(graded: Workspace) -> None:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        run = grade_class(graded, "toy", regrade=True, scheduler=cluster.scheduler_address, limits=LIMITS, progress=False)
    assert len(run.graded) == len(EXPECTED)
    for result in run.graded:
        points = {t.grade_id: t.points for n in result.notebooks for t in n.tests}
        assert (points["affine_backward_tests"], points["relu_backward_tests"]) == EXPECTED[result.student]


def test_check_prints_the_feedback_messages_without_hidden_code(inbox: Path, capsys: pytest.CaptureFixture) -> None:
    code = cli(["--source", str(SOURCE), "check", str(inbox / "carol" / NOTEBOOK), "--cell-timeout", "20"])
    printed = capsys.readouterr().out
    assert code == 1
    assert "2 / 5 points" in printed and "dw is wrong" in printed
    assert not any(line in printed for line in HIDDEN_LINES)


def test_check_passes_a_correct_notebook(inbox: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli(["--source", str(SOURCE), "check", str(inbox / "alice" / NOTEBOOK)]) == 0
    assert "5 / 5 points" in capsys.readouterr().out


def test_workspace_refuses_to_live_inside_the_sources(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must not lie inside"):
        Workspace(SOURCE / "grading", SOURCE)
    workspace = Workspace(tmp_path / "grading", SOURCE)
    assert oct(workspace.root.stat().st_mode & 0o777) == oct(0o700)
    assert (workspace.root / ".gitignore").read_text() == "*\n"


def test_collect_names_a_missing_folder(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "grading", SOURCE)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        collect(workspace, "toy", tmp_path / "nowhere")
    with pytest.raises(ValueError, match="not in"):
        collect(workspace, "no_such_assignment", tmp_path)
    assert os.listdir(workspace.root) == [".gitignore"]


KILL_MARKER: list[Path] = []  # set by the test below; forked workers inherit it


def _grade_but_die_once_on_carol(job):
    """Stands in for the worker's grading function: the first time carol comes, the worker dies."""
    from autograder.grading.grader import grade_submission

    if job.student == "carol" and not KILL_MARKER[0].exists():
        KILL_MARKER[0].write_text("")
        os._exit(1)  # the worker process dies as if the machine had killed it
    return grade_submission(job)


def test_a_worker_killed_mid_class_loses_no_submission(tmp_path: Path, inbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from autograder.grading import pool

    KILL_MARKER[:] = [tmp_path / "killed-once"]
    monkeypatch.setattr(pool, "grade_submission", _grade_but_die_once_on_carol)
    workspace = Workspace(tmp_path / "grading", SOURCE)
    collect(workspace, "toy", inbox)
    run = grade_class(workspace, "toy", workers=2, limits=LIMITS, progress=False)
    assert KILL_MARKER[0].exists()
    assert sorted(r.student for r in run.graded) == sorted(EXPECTED)
    for student, expected in EXPECTED.items():
        points = {t.grade_id: t.points for n in workspace.result(student, "toy").notebooks for t in n.tests}
        assert (points["affine_backward_tests"], points["relu_backward_tests"]) == expected, student


def test_the_notebook_time_limit_zeroes_only_the_tests_it_cut_off(tmp_path: Path) -> None:
    from autograder.grading.grader import grade_submission
    from autograder.grading.records import NotebookJob, SubmissionJob

    slow = copy.deepcopy(reference())
    index = next(i for i, c in enumerate(slow["cells"]) if c["metadata"].get("nbgrader", {}).get("grade_id") == "relu_backward")
    slow["cells"].insert(index, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                                 "source": "import time\ntime.sleep(2.5)"})
    slow["cells"].insert(index, copy.deepcopy(slow["cells"][index]))
    job = SubmissionJob("slow", "toy", [NotebookJob(NOTEBOOK, reference(), slow)],
                        {"toy_checks.py": (SOURCE / "toy" / "toy_checks.py").read_bytes()}, str(SOURCE / "toy"),
                        limits=Limits(cell_timeout=3, notebook_timeout=4))
    (notebook,) = grade_submission(job).notebooks
    points = {t.grade_id: t for t in notebook.tests}
    assert points["affine_backward_tests"].points == 3.0  # ran before the time was up
    assert points["relu_backward_tests"].points == 0.0
    assert "time limit" in points["relu_backward_tests"].reason


def test_the_command_line_runs_the_whole_pipeline(tmp_path: Path, inbox: Path, capsys: pytest.CaptureFixture) -> None:
    base = ["--workspace", str(tmp_path / "grading"), "--source", str(SOURCE)]
    assert cli(base + ["collect", "toy", str(inbox)]) == 0
    assert "collected 5 submission(s)" in capsys.readouterr().out
    assert cli(base + ["grade", "toy", "--workers", "2", "--cell-timeout", "20"]) == 0
    assert "graded 6 submission(s)" in capsys.readouterr().out
    assert cli(base + ["grade", "toy"]) == 0
    assert "graded 0 submission(s); 6 already graded" in capsys.readouterr().out
    assert cli(base + ["feedback"]) == 0 and (tmp_path / "grading" / "feedback" / "carol" / "toy" / "1_layers.html").is_file()
    assert cli(base + ["export", "--output", str(tmp_path / "out.csv")]) == 0
    assert len(list(csv.DictReader((tmp_path / "out.csv").open()))) == len(EXPECTED)
    capsys.readouterr()
    assert cli(base + ["status", "toy"]) == 0
    table = capsys.readouterr().out
    assert "6/6 graded" in table and "frank" in table and "missing" in table
    assert cli(base + ["collect", "no_such_assignment", str(inbox)]) == 2
