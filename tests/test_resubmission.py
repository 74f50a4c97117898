"""A student who hands in again gets the new hand-in graded, and no hand-in is ever lost."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from autograder.grading.autograde import grade_class
from autograder.grading.collect import collect
from autograder.grading.export import export_csv
from autograder.grading.records import Limits
from autograder.grading.status import status_rows
from autograder.grading.workspace import Workspace

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
SOURCE = Path(__file__).parent / "fixtures" / "grading_course" / "solutions"
LIMITS = Limits(cell_timeout=20, notebook_timeout=60)


def _hand_in(inbox: Path, student: str, notebook: dict) -> Path:
    (inbox / student).mkdir(parents=True, exist_ok=True)
    (inbox / student / "1_layers.ipynb").write_text(json.dumps(notebook))
    return inbox


def test_a_resubmission_is_kept_marked_stale_and_regraded(tmp_path: Path) -> None:
    solved = json.loads((SOURCE / "toy" / "1_layers.ipynb").read_text())
    blank = json.loads(json.dumps(solved).replace("dx = dout * (x > 0)", "dx = 0 * dout"))
    workspace = Workspace(tmp_path / "grading", SOURCE)
    collect(workspace, "toy", _hand_in(tmp_path / "first", "bob", blank))
    _hand_in(tmp_path / "first", "alice", solved)
    collect(workspace, "toy", tmp_path / "first")
    grade_class(workspace, "toy", workers=2, limits=LIMITS, progress=False)
    assert workspace.result("bob", "toy").points == 3.0  # relu lost its 2 points

    collect(workspace, "toy", _hand_in(tmp_path / "second", "bob", solved))
    versions = list(workspace.versions_dir("bob", "toy").iterdir())
    assert len(versions) == 1 and "dx = 0 * dout" in (versions[0] / "1_layers.ipynb").read_text()
    rows = {row.student: row for row in status_rows(workspace, "toy")}
    assert rows["bob"].state == "stale" and "handed in again" in rows["bob"].reason
    assert rows["alice"].state == "graded"
    export_csv(workspace, tmp_path / "stale.csv")
    flagged = {r["student"]: r["reason"] for r in csv.DictReader((tmp_path / "stale.csv").open())}
    assert flagged["bob"].startswith("handed in again after grading")

    run = grade_class(workspace, "toy", workers=2, limits=LIMITS, progress=False)  # no --regrade needed
    assert [r.student for r in run.graded] == ["bob"] and run.skipped == 1
    assert workspace.result("bob", "toy").points == 5.0
    assert {row.student: row.state for row in status_rows(workspace, "toy")} == {"alice": "graded", "bob": "graded"}

    collect(workspace, "toy", tmp_path / "second")  # the same hand-in again: nothing to keep or regrade
    assert len(list(workspace.versions_dir("bob", "toy").iterdir())) == 1
    assert workspace.pending("toy") == []


def test_a_late_hand_in_gets_the_penalty_of_nbgraders_plugin(tmp_path: Path) -> None:
    import shutil
    from datetime import datetime, timedelta, timezone

    course = tmp_path / "course"
    shutil.copytree(SOURCE, course / "solutions")
    (course / "nbgrader_config.py").write_text('c = get_config()\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    workspace = Workspace(tmp_path / "grading", course / "solutions")
    with workspace.gradebook() as gradebook:  # what `nbgrader db assignment add toy --duedate=...` records
        gradebook.update_or_create_assignment("toy", duedate=datetime.now(timezone.utc) - timedelta(hours=2))
    solved = json.loads((SOURCE / "toy" / "1_layers.ipynb").read_text())
    collect(workspace, "toy", _hand_in(tmp_path / "inbox", "late", solved))
    grade_class(workspace, "toy", workers=1, limits=LIMITS, progress=False)

    result = workspace.result("late", "toy")
    assert result.points == 5.0 and result.late_penalty == 5.0 and result.seconds_late > 7000
    (row,) = status_rows(workspace, "toy")
    assert row.points == "0/5" and row.lost[0].startswith("handed in 2h 00m after the due date")
    export_csv(workspace, tmp_path / "grades.csv")
    (exported,) = csv.DictReader((tmp_path / "grades.csv").open())
    assert float(exported["score"]) == 5.0 and float(exported["final_score"]) == 0.0
    assert float(exported["late_penalty"]) == 5.0 and "after the due date" in exported["reason"]
