"""Submission intake: nothing in a submission's metadata is believed, and no submission stops the class.

One small class of the toy assignment is collected and graded once: an honest student, the
metadata attacks of the corpus (and text UTF-8 cannot hold), students who edit or delete the
given cells, names in other scripts, two submissions that claim one id, and archives holding a
file and a folder of one name. Every view of a grade (gradebook, ``grading.json``, CSV,
``status``, feedback, nbgrader reading the record) must agree. The other tests are quicker: they
collect without grading, or hand the gradebook writer results made up on the spot.
"""

from __future__ import annotations

import copy
import csv
import html
import json
import unicodedata
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.preprocessors import GetGrades

from adversarial_corpus import ADVERSARIES, FIXTURE_SOURCE, FULL, NOTEBOOK, WRONG_AFFINE, WRONG_RELU, reference
from autograder.grading import cells
from autograder.grading.autograde import grade_class
from autograder.grading.collect import collect
from autograder.grading.export import export_csv
from autograder.grading.feedback import write_feedback
from autograder.grading.gradebook_writer import GradebookWriter
from autograder.grading.records import Limits, NotebookResult, SubmissionResult
from autograder.grading.status import status_rows
from autograder.grading.records import TestOutcome as Outcome  # not collected as a test class
from autograder.grading.workspace import Workspace

pytestmark = pytest.mark.timeout(600)
LIMITS = Limits(cell_timeout=10, notebook_timeout=40)
METADATA_ATTACKS = [a for a in ADVERSARIES if a.student in {
    "claims_1000_points", "nbgrader_metadata_is_a_string", "grade_id_is_a_list", "points_are_null_and_text",
    "answer_cell_marked_grade", "extra_graded_answer_cell", "unusual_cells", "lone_surrogates"}]
EDITED_SETUP = "import numpy as np\nprint('the edited setup ran')"
STUDENT_CELL = "np = np  # a given name, redefined by the student\nprint('the student cell ran')"
ZOE_DIAERESIS, ZOE_ACUTE = unicodedata.normalize("NFC", "Zoë Li"), unicodedata.normalize("NFC", "Zoé Li")
CHINESE = "中文名字"


def _grade_id(cell: dict) -> str | None:
    return (cell.get("metadata") or {}).get("nbgrader", {}).get("grade_id")


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def with_wrong_answers() -> dict:
    notebook = reference()
    for cell in notebook["cells"]:
        cell["source"] = {"affine_backward": WRONG_AFFINE, "relu_backward": WRONG_RELU}.get(_grade_id(cell), cell["source"])
    return notebook


def with_edited_setup() -> dict:
    """The locked setup cell edited, and a cell of the student's own right after it."""
    notebook = reference()
    index = next(i for i, c in enumerate(notebook["cells"]) if _grade_id(c) == "setup")
    notebook["cells"][index]["source"] = EDITED_SETUP
    notebook["cells"].insert(index + 1, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                                         "source": STUDENT_CELL})
    return notebook


def without_given_cells() -> dict:
    notebook = reference()
    notebook["cells"] = [c for c in notebook["cells"] if _grade_id(c) not in ("intro", "setup")]
    return notebook


def write_notebook(folder: Path, notebook: dict) -> None:
    folder.mkdir(parents=True)
    (folder / NOTEBOOK).write_text(json.dumps(notebook))


def write_zip(path: Path, entries: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("intake")
    inbox = root / "inbox"
    write_notebook(inbox / "honest", reference())
    for attack in METADATA_ATTACKS:
        (inbox / attack.student).mkdir(parents=True)
        (inbox / attack.student / NOTEBOOK).write_bytes(attack.make(reference(), {}))
    write_notebook(inbox / "edits_given_cell", with_edited_setup())
    write_notebook(inbox / "deletes_given_cells", without_given_cells())
    write_notebook(inbox / CHINESE, reference())
    write_notebook(inbox / ZOE_DIAERESIS, reference())
    write_notebook(inbox / ZOE_ACUTE, with_wrong_answers())
    write_notebook(inbox / "bob", reference())
    write_zip(inbox / "bob.zip", {NOTEBOOK: json.dumps(with_wrong_answers())})
    write_zip(inbox / "file_and_folder.zip", {NOTEBOOK: json.dumps(reference()), "notes": "a file", "notes/x.txt": "and a folder"})
    # a folder with collect's own file name, and an older copy of the notebook further down
    write_zip(inbox / "timestamp_folder.zip", {f"backup/{NOTEBOOK}": json.dumps(with_wrong_answers()),
                                               NOTEBOOK: json.dumps(reference()), "timestamp.txt/x": "collect's name"})
    write_notebook(inbox / "zz_sorted_last", reference())
    workspace = Workspace(root / "grading", FIXTURE_SOURCE)
    collect(workspace, "toy", inbox)
    grade_class(workspace, "toy", workers=2, limits=LIMITS, progress=False)
    return workspace


def points_everywhere(workspace: Workspace, student: str, tmp_path: Path) -> dict[str, object]:
    """The student's points as grading.json, the gradebook, the CSV, status and feedback show them."""
    result = workspace.result(student, "toy")
    with Gradebook(workspace.db_url, workspace.course_id) as gradebook:
        submission = gradebook.find_submission("toy", student)
        gradebook_view = (submission.score, submission.max_score,
                          {g.name: g.score for nb in submission.notebooks for g in nb.grades})
    export_csv(workspace, tmp_path / "grades.csv", "toy")
    row = next(r for r in csv.DictReader((tmp_path / "grades.csv").open(encoding="utf-8")) if r["student"] == student)
    status = next(r for r in status_rows(workspace, "toy") if r.student == student)
    (page,) = write_feedback(workspace, student, "toy")
    page_text = html.unescape(page.read_text(encoding="utf-8"))
    return {
        "grading.json": (result.points, result.max_points, {t.grade_id: t.points for n in result.notebooks for t in n.tests}),
        "gradebook": gradebook_view,
        "csv": (float(row["score"]), float(row["max_score"]),
                {t: float(row[f"1_layers/{t}"]) for t in FULL}),
        "status": status.points,
        "feedback": f"{result.points:g} / {result.max_points:g} points" in page_text,
        "reason": (status.reason, row["reason"], page_text),
    }


@pytest.mark.parametrize("student", ["honest"] + [a.student for a in METADATA_ATTACKS])
def test_submitted_metadata_changes_no_grade_anywhere(graded: Workspace, student: str, tmp_path: Path) -> None:
    seen = points_everywhere(graded, student, tmp_path)
    assert seen["grading.json"] == (5.0, 5.0, FULL)
    assert seen["gradebook"] == (5.0, 5.0, FULL)
    assert seen["csv"] == (5.0, 5.0, FULL)
    assert seen["status"] == "5/5"
    assert seen["feedback"]
    with Gradebook(graded.db_url, graded.course_id) as gradebook:
        submission = gradebook.find_submission("toy", student)
        assert not any(g.needs_manual_grade for nb in submission.notebooks for g in nb.grades)


def test_the_record_holds_only_the_sources_marks(graded: Workspace) -> None:
    record = json.loads((graded.autograded / "claims_1000_points" / "toy" / NOTEBOOK).read_text())
    source = {_grade_id(c): c["metadata"] for c in reference()["cells"] if _grade_id(c)}
    for cell in record["cells"]:
        assert cell["metadata"] in ({}, source.get(_grade_id(cell))), cell
    points = [c["metadata"]["nbgrader"].get("points") for c in record["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    assert points == [3, 2]


@pytest.mark.parametrize("student", ["honest"] + [a.student for a in METADATA_ATTACKS])
def test_nbgrader_reads_the_record_with_the_gradebooks_points(graded: Workspace, student: str) -> None:
    """What formgrader and ``nbgrader generate_feedback`` do with an autograded notebook."""
    record = nbformat.read(str(graded.autograded / student / "toy" / NOTEBOOK), as_version=4)
    resources = {"nbgrader": {"notebook": "1_layers", "assignment": "toy", "student": student, "db_url": graded.db_url}}
    record, resources = GetGrades().preprocess(record, resources)
    assert (resources["nbgrader"]["score"], resources["nbgrader"]["max_score"]) == (5.0, 5.0)
    marks = [c.metadata.get("nbgrader", {}) for c in record.cells]
    assert {m["grade_id"]: m["score"] for m in marks if "score" in m} == FULL


def test_an_edited_given_cell_is_restored_and_the_record_shows_what_ran(graded: Workspace) -> None:
    assert graded.result("edits_given_cell", "toy").points == 5.0
    record = json.loads((graded.autograded / "edits_given_cell" / "toy" / NOTEBOOK).read_text())
    submitted = json.loads((graded.submission_dir("edits_given_cell", "toy") / NOTEBOOK).read_text())
    ran = cells.graded_cells(reference(), submitted)
    assert [(c["cell_type"], _source(c)) for c in record["cells"]] == [(c["cell_type"], c["source"]) for c in ran]
    setup = next(i for i, c in enumerate(record["cells"]) if _grade_id(c) == "setup")
    assert _source(record["cells"][setup]) == next(_source(c) for c in reference()["cells"] if _grade_id(c) == "setup")
    assert not any(_source(c) == EDITED_SETUP for c in record["cells"])
    assert "the edited setup ran" not in json.dumps([c.get("outputs", []) for c in record["cells"]])
    assert _source(record["cells"][setup + 1]) == STUDENT_CELL
    assert "the student cell ran" in json.dumps(record["cells"][setup + 1]["outputs"])


def test_deleted_given_cells_are_put_back_where_the_source_has_them(graded: Workspace) -> None:
    assert graded.result("deletes_given_cells", "toy").points == 5.0
    record = json.loads((graded.autograded / "deletes_given_cells" / "toy" / NOTEBOOK).read_text())
    assert [_grade_id(c) for c in record["cells"][:3]] == ["intro", "setup", "affine_backward"]


def test_names_in_any_script_are_kept_and_kept_apart(graded: Workspace, tmp_path: Path) -> None:
    zoe, zoe_acute = ZOE_DIAERESIS.replace(" ", "_"), ZOE_ACUTE.replace(" ", "_")
    assert {CHINESE, zoe, zoe_acute} <= set(graded.students())
    assert points_everywhere(graded, CHINESE, tmp_path)["csv"] == (5.0, 5.0, FULL)
    assert points_everywhere(graded, zoe, tmp_path)["csv"] == (5.0, 5.0, FULL)
    assert points_everywhere(graded, zoe_acute, tmp_path)["csv"][0] == 0.0


def test_a_folder_and_a_zip_of_one_name_clash_and_neither_replaces_the_other(graded: Workspace, tmp_path: Path) -> None:
    assert not (graded.submission_dir("bob", "toy") / NOTEBOOK).exists()
    seen = points_everywhere(graded, "bob", tmp_path)
    assert seen["grading.json"][0] == 0.0 and seen["gradebook"][0] == 0.0
    for view in seen["reason"]:
        assert "'bob'" in view and "'bob.zip'" in view


def test_an_archive_with_a_file_and_a_folder_of_one_name_stops_only_itself(graded: Workspace, tmp_path: Path) -> None:
    seen = points_everywhere(graded, "file_and_folder", tmp_path)
    assert seen["grading.json"][0] == 0.0 and seen["gradebook"][0] == 0.0
    for view in seen["reason"]:
        assert "both a file and a folder named 'notes'" in view
    for student in ("timestamp_folder", "zz_sorted_last"):
        assert points_everywhere(graded, student, tmp_path)["gradebook"] == (5.0, 5.0, FULL)


def test_every_submission_is_collected_and_graded(graded: Workspace) -> None:
    assert graded.pending("toy") == []
    expected = {"honest", "edits_given_cell", "deletes_given_cells", CHINESE, "Zoë_Li", "Zoé_Li", "bob",
                "file_and_folder", "timestamp_folder", "zz_sorted_last"} | {a.student for a in METADATA_ATTACKS}
    assert {student for student, _ in graded.submissions("toy")} == {unicodedata.normalize("NFC", s) for s in expected}


def test_clashes_and_unreadable_notebooks_are_reported_and_the_rest_imported(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write_notebook(inbox / "Bob", reference())
    write_notebook(inbox / "bob", with_wrong_answers())
    write_notebook(inbox / unicodedata.normalize("NFC", "Zoë"), reference())
    write_notebook(inbox / unicodedata.normalize("NFD", "Zoë"), with_wrong_answers())
    write_notebook(inbox / "carol", reference())
    (inbox / "deep").mkdir()
    (inbox / "deep" / NOTEBOOK).write_text('{"cells": ' + "[" * 100_000)
    (inbox / "stray.ipynb").write_text("{}")
    workspace = Workspace(tmp_path / "grading", FIXTURE_SOURCE)
    report = collect(workspace, "toy", inbox)
    assert report.imported == ["carol", "deep"]
    assert sorted(p["student"] for p in workspace.problems()) == sorted(["Bob", "bob", "deep", unicodedata.normalize("NFC", "Zoë")])
    assert "deep: 1_layers.ipynb is not a valid notebook" in "\n".join(report.problems)
    assert any(problem.startswith("stray.ipynb:") for problem in report.problems)
    for student in ("Bob", "bob", unicodedata.normalize("NFC", "Zoë")):
        assert not (workspace.submission_dir(student, "toy") / NOTEBOOK).exists()


def test_a_later_submission_differing_only_in_case_replaces_no_one(tmp_path: Path) -> None:
    write_notebook(tmp_path / "first" / "carol", reference())
    write_notebook(tmp_path / "late" / "Carol", with_wrong_answers())
    workspace = Workspace(tmp_path / "grading", FIXTURE_SOURCE)
    assert collect(workspace, "toy", tmp_path / "first").imported == ["carol"]
    assert collect(workspace, "toy", tmp_path / "late").imported == []
    assert json.loads((workspace.submission_dir("carol", "toy") / NOTEBOOK).read_text()) == reference()
    (problem,) = workspace.problems()
    assert problem["student"] == "Carol" and "'carol' (imported before)" in problem["reason"]
    assert collect(workspace, "toy", tmp_path / "first").imported == ["carol"]  # collecting again is no clash


def test_one_record_that_cannot_be_written_costs_only_that_student(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from autograder.grading import gradebook_writer

    inbox = tmp_path / "inbox"
    for student in ("alice", "mallory", "trent"):
        write_notebook(inbox / student, reference())
    workspace = Workspace(tmp_path / "grading", FIXTURE_SOURCE)
    collect(workspace, "toy", inbox)
    writes_record, calls = gradebook_writer._autograded_notebook, []

    def fails_the_second_time(notebook, result):
        calls.append(notebook.name)
        if len(calls) == 2:
            raise RuntimeError("nbformat refused the record")
        return writes_record(notebook, result)

    monkeypatch.setattr(gradebook_writer, "_autograded_notebook", fails_the_second_time)
    writer = GradebookWriter(workspace)
    for student in ("alice", "mallory", "trent"):  # mallory's record is the one that fails
        job = workspace.job(student, "toy", Limits())
        tests = [Outcome(gid, points, points) for gid, points in FULL.items()]
        writer.write(job, SubmissionResult(student, "toy", [NotebookResult(NOTEBOOK, tests)]))
    with Gradebook(workspace.db_url, workspace.course_id) as gradebook:
        scores = {s: gradebook.find_submission("toy", s).score for s in ("alice", "mallory", "trent")}
    assert scores == {"alice": 5.0, "mallory": 0.0, "trent": 5.0}
    failed = workspace.result("mallory", "toy")
    assert failed.points == 0.0 and "could not record" in failed.notebooks[0].problem
    assert "nbformat refused the record" in next(r.reason for r in status_rows(workspace, "toy") if r.student == "mallory")


@pytest.mark.parametrize("attack", METADATA_ATTACKS, ids=lambda a: a.student)
def test_graded_cells_take_every_mark_from_the_source(attack) -> None:
    submitted = json.loads(attack.make(reference(), {}))
    graded = cells.graded_cells(reference(), submitted)
    assert [cells.grade_id(c) for c in graded if cells.is_test_cell(c)] == list(FULL)
    assert [cells.points(c) for c in graded if cells.is_test_cell(c)] == list(FULL.values())
    source = {_grade_id(c): c["metadata"] for c in copy.deepcopy(reference())["cells"] if _grade_id(c)}
    assert all(c["metadata"] in ({}, source.get(cells.grade_id(c))) for c in graded)


def test_a_regrade_leaves_no_record_of_the_earlier_grading(tmp_path: Path) -> None:
    write_notebook(tmp_path / "inbox" / "alice", reference())
    workspace = Workspace(tmp_path / "grading", FIXTURE_SOURCE)
    collect(workspace, "toy", tmp_path / "inbox")
    writer = GradebookWriter(workspace)
    job = workspace.job("alice", "toy", Limits())
    writer.write(job, SubmissionResult("alice", "toy", [NotebookResult(NOTEBOOK, [Outcome(g, p, p) for g, p in FULL.items()])]))
    assert (workspace.autograded / "alice" / "toy" / NOTEBOOK).is_file()
    (workspace.submission_dir("alice", "toy") / NOTEBOOK).unlink()  # collected again, without the notebook
    job = workspace.job("alice", "toy", Limits())
    writer.write(job, SubmissionResult("alice", "toy", [NotebookResult(NOTEBOOK, [Outcome(g, 0.0, p) for g, p in FULL.items()])]))
    assert not (workspace.autograded / "alice" / "toy" / NOTEBOOK).exists()
    assert workspace.result("alice", "toy").points == 0.0
