"""The adversarial corpus, graded as one class: every hostile submission gets exactly its due.

The whole class (an honest student among the adversaries) is collected and graded once, two at a
time, with small limits; each test then reads one student's result from the gradebook and from
``grading.json``.
"""

from __future__ import annotations

import json
import time

import pytest
from nbgrader.api import Gradebook

from adversarial_corpus import ADVERSARIES, FIXTURE_SOURCE, NOTEBOOK, reference
from autograder.grading.autograde import grade_class
from autograder.grading.collect import collect
from autograder.grading.feedback import write_feedback
from autograder.grading.records import Limits
from autograder.grading.student_link import SERVER_SCRIPT
from autograder.grading.workspace import Workspace

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
STARTED = time.time()  # every student process of this module's grading starts after this
LIMITS = Limits(cell_timeout=4, notebook_timeout=40, memory_bytes=1536 * 2**20, max_output_chars=5_000)


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("adversarial")
    workspace = Workspace(root / "grading", FIXTURE_SOURCE)
    inbox = root / "inbox"
    context = {"submitted": workspace.submitted}
    for adversary in ADVERSARIES:
        folder = inbox / adversary.student
        folder.mkdir(parents=True)
        content = adversary.make(reference(), context)
        if content:
            (folder / NOTEBOOK).write_bytes(content)
        else:
            (folder / "notes.txt").write_text("forgot the notebook")
    collect(workspace, "toy", inbox)
    grade_class(workspace, "toy", workers=2, limits=LIMITS, progress=False)
    return workspace


@pytest.mark.parametrize("adversary", ADVERSARIES, ids=[a.student for a in ADVERSARIES])
def test_each_submission_gets_exactly_what_it_earned(graded_class: Workspace, adversary) -> None:
    result = graded_class.result(adversary.student, "toy")
    assert result is not None, f"{adversary.student} was not graded"
    points = {t.grade_id: t.points for n in result.notebooks for t in n.tests}
    assert points == adversary.expected, adversary.notes
    with Gradebook(graded_class.db_url, graded_class.course_id) as gradebook:
        submission = gradebook.find_submission("toy", adversary.student)
        recorded = {g.name: g.score for nb in submission.notebooks for g in nb.grades}
        assert recorded == adversary.expected
        assert not any(g.needs_manual_grade for nb in submission.notebooks for g in nb.grades)


@pytest.mark.parametrize("adversary", [a for a in ADVERSARIES if a.reason], ids=lambda a: a.student)
def test_zeros_not_caused_by_the_logic_carry_a_reason(graded_class: Workspace, adversary) -> None:
    result = graded_class.result(adversary.student, "toy")
    zeros = [t for n in result.notebooks for t in n.tests if t.points == 0 and adversary.expected[t.grade_id] == 0]
    assert zeros
    for test in zeros:
        assert test.reason and adversary.reason in test.reason, test


def test_feedback_never_shows_hidden_test_code(graded_class: Workspace) -> None:
    hidden_lines = ["check_affine_backward(affine_backward, seed=1)", "relu_score(relu_backward, points=2)"]
    for adversary in ADVERSARIES:
        for page in write_feedback(graded_class, adversary.student, "toy"):
            text = page.read_text()
            assert not any(line in text for line in hidden_lines), page


def test_output_flood_is_cut_in_the_record(graded_class: Workspace) -> None:
    record = graded_class.autograded / "prints_megabytes" / "toy" / NOTEBOOK
    assert record.stat().st_size < 200_000
    text = json.dumps(json.loads(record.read_text()))
    assert "characters of output dropped" in text


def test_deleted_test_cells_are_back_in_the_autograded_record(graded_class: Workspace) -> None:
    record = json.loads((graded_class.autograded / "deletes_test_cells" / "toy" / NOTEBOOK).read_text())
    ids = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in record["cells"]]
    assert "affine_backward_tests" in ids and "relu_backward_tests" in ids


def test_no_student_process_outlives_grading(graded_class: Workspace) -> None:
    # Only this checkout's student processes started by this class's grading: other gradings may be
    # running on the same machine.
    import psutil

    ours = str(SERVER_SCRIPT)
    leftovers = [
        p for p in psutil.process_iter(["cmdline", "create_time"])
        if ours in (p.info["cmdline"] or []) and p.info["create_time"] >= STARTED
    ]
    assert leftovers == []


def test_the_sandbox_kept_the_source_out_of_reach(graded_class: Workspace) -> None:
    result = graded_class.result("reads_the_source_notebook", "toy")
    errors = [c.error for n in result.notebooks for c in n.cell_outputs if c.error]
    assert any("PermissionError" in e for e in errors), errors
