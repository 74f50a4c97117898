"""bpk-grade's guard rails: an unknown assignment changes nothing, an export never shrinks silently."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from autograder import cli as cli_module
from autograder.cli import main as cli

SOURCE = Path(__file__).parent / "fixtures" / "grading_course" / "solutions"


@pytest.mark.parametrize("command", [["collect", "99_nope", "."], ["grade", "99_nope"], ["feedback", "99_nope"],
                                     ["export", "99_nope"], ["status", "99_nope"]])
def test_an_unknown_assignment_is_refused_with_the_known_list_and_changes_nothing(
        tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture) -> None:
    workspace = tmp_path / "grading"
    assert cli(["--workspace", str(workspace), "--source", str(SOURCE)] + command) == 2
    error = capsys.readouterr().err
    assert "'99_nope'" in error and "known: toy" in error
    assert not workspace.exists()


def _write_grades(path: Path, students: list[str]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["student", "assignment", "score"])
        writer.writeheader()
        writer.writerows({"student": s, "assignment": "toy", "score": 5} for s in students)


def test_export_never_replaces_a_file_with_fewer_students_unless_forced(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    workspace = tmp_path / "grading"
    workspace.mkdir()
    combined = workspace / "grades.csv"
    _write_grades(combined, ["alice", "bob"])
    before = combined.read_bytes()
    base = ["--workspace", str(workspace), "--source", str(SOURCE), "export"]

    assert cli(base) == 2  # nothing is graded in this workspace: the export would list no one
    error = capsys.readouterr().err
    assert "lists 2 student(s)" in error and "--force" in error
    assert combined.read_bytes() == before
    assert not (workspace / "grades-toy.csv").exists()  # nothing at all was written

    assert cli(base + ["--force"]) == 0
    assert list(csv.DictReader(combined.open())) == []
    assert (workspace / "grades-toy.csv").is_file()
    assert not list(workspace.glob(".grades*"))  # no temporary file left behind


def test_ctrl_c_says_what_was_kept_instead_of_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_module, "_run", interrupted)
    assert cli(["--workspace", str(tmp_path / "grading"), "--source", str(SOURCE), "grade"]) == 130
    error = capsys.readouterr().err
    assert "interrupted" in error and "Traceback" not in error


def test_one_grade_at_a_time_and_a_dead_holders_lock_is_taken_over(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import subprocess
    import sys

    from autograder.grading.workspace import Workspace

    workspace = Workspace(tmp_path / "grading", SOURCE)
    (workspace.root / ".grading.lock").write_text("pid 999999 on a machine that crashed")  # stale: no one holds it
    holder = subprocess.Popen(  # another process holding the lock, as a running `grade` would
        [sys.executable, "-c", "import sys, time\n"
         "from autograder.grading.workspace import Workspace\n"
         f"with Workspace({str(workspace.root)!r}, {str(SOURCE)!r}).grading_lock():\n"
         "    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert cli(["--workspace", str(workspace.root), "--source", str(SOURCE), "grade"]) == 2
        assert f"pid {holder.pid}" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    with workspace.grading_lock():  # the holder died: its lock is free again
        assert f"pid {os.getpid()}" in (workspace.root / ".grading.lock").read_text()


@pytest.mark.slow
def test_demo_reuses_one_folder_and_says_how_to_open_the_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from autograder.grading.demo import run_demo
    from autograder.grading.records import Limits

    monkeypatch.chdir(tmp_path)
    release = tmp_path / "release"  # the toy assignment has no student release: the source stands in
    (release / "toy").mkdir(parents=True)
    limits = Limits(cell_timeout=20, notebook_timeout=60)
    run_demo(SOURCE, assignments=["toy"], workers=2, limits=limits, release_root=release)
    leftover = tmp_path / "grading-demo" / "left-from-last-time"
    leftover.write_text("")
    report = run_demo(SOURCE, assignments=["toy"], workers=2, limits=limits, release_root=release)
    assert not leftover.exists()
    assert "file://" in report and (tmp_path / "grading-demo" / "grading" / "feedback").is_dir()
    class_page = (tmp_path / "grading-demo" / "grading" / "feedback" / "_class" / "toy.html").resolve()
    assert f"the class at a glance: {class_page.as_uri()}" in report and class_page.is_file()



def test_the_demo_class_hands_in_the_earlier_assignments_its_notebooks_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from autograder.grading import demo

    graded = []
    monkeypatch.setattr(demo, "grade_class", lambda workspace, assignment, **_: graded.append(assignment))
    solutions = Path(__file__).parents[1] / "solutions"
    demo.run_demo(solutions, tmp_path / "demo", assignments=["03_backprop"], release_root=tmp_path / "no_release")
    submitted = tmp_path / "demo" / "grading" / "submitted" / "reference"
    assert (submitted / "02_linear_classifiers" / "1_linear_classifiers.ipynb").is_file()  # deep_networks loads it
    assert graded == ["03_backprop"]

@pytest.mark.slow
def test_export_shows_public_checks_as_pass_or_fail(tmp_path: Path) -> None:
    import json
    import shutil

    from autograder.grading.autograde import grade_class
    from autograder.grading.collect import collect
    from autograder.grading.export import export_csv
    from autograder.grading.records import Limits
    from autograder.grading.workspace import Workspace

    source = tmp_path / "solutions"
    shutil.copytree(SOURCE, source)
    path = source / "toy" / "1_layers.ipynb"
    notebook = json.loads(path.read_text())
    public = {"cell_type": "code", "execution_count": None, "outputs": [], "id": "relu-public",
              "metadata": {"nbgrader": {"grade": True, "grade_id": "relu_public", "locked": True, "points": 0,
                                        "schema_version": 3, "solution": False}},
              "source": "import numpy as np\nassert np.allclose(relu_backward(np.ones(2), np.array([1.0, -1.0])), [1, 0])"}
    index = next(i for i, c in enumerate(notebook["cells"])
                 if c["metadata"].get("nbgrader", {}).get("grade_id") == "relu_backward_tests")
    notebook["cells"].insert(index, public)
    path.write_text(json.dumps(notebook))
    inbox = tmp_path / "inbox"
    wrong = json.loads(json.dumps(notebook).replace("dx = dout * (x > 0)", "dx = dout"))
    for student, handed_in in [("alice", notebook), ("bob", wrong)]:
        (inbox / student).mkdir(parents=True)
        (inbox / student / "1_layers.ipynb").write_text(json.dumps(handed_in))
    workspace = Workspace(tmp_path / "grading", source)
    collect(workspace, "toy", inbox)
    grade_class(workspace, "toy", workers=2, limits=Limits(cell_timeout=20, notebook_timeout=60), progress=False)
    export_csv(workspace, tmp_path / "grades.csv")
    rows = {r["student"]: r for r in csv.DictReader((tmp_path / "grades.csv").open())}
    assert rows["alice"]["1_layers/relu_public"] == "pass" and rows["bob"]["1_layers/relu_public"] == "fail"
    assert float(rows["alice"]["1_layers/relu_backward_tests"]) == 2.0
