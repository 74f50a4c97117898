"""Hidden cases that do not repeat: each submission's hidden tests draw from a salt made of the
workspace's secret, the assignment and the student; public tests keep their fixed cases."""

from __future__ import annotations

import ast
import json
import stat
from pathlib import Path

import pytest

from autograder.cli import main as cli
from autograder.grading import cells, records
from autograder.grading.autograde import grade_class
from autograder.grading.feedback import write_all_feedback
from autograder.grading.records import Limits, NotebookResult, SubmissionResult
from autograder.grading.self_check import check_notebook, format_report, student_case_salt
from autograder.grading.trusted_check import Checker
from autograder.grading.workspace import CASE_SECRET_FILE, Workspace, hidden_case_salt, read_case_secret
from autograder.release.paths import COURSE, SOLUTIONS

TOY_SOURCE = Path(__file__).parent / "fixtures" / "grading_course" / "solutions"
LIMITS = Limits(cell_timeout=20, notebook_timeout=60)


class InProcessSession:
    """Stands in for a student process: the checker's lookups find these functions directly."""

    def __init__(self, names: dict) -> None:
        self.names = names

    def lookup(self, name: str):
        if name not in self.names:
            raise NameError(name)
        return self.names[name]


def _test_cell(source: str, points: float = 2.0) -> dict:
    return {"cell_type": "code", "source": source, "outputs": [], "execution_count": None,
            "metadata": {"nbgrader": {"grade": True, "grade_id": "tests", "points": points, "locked": True}}}


def _run_cell(source: str, salt: int | None) -> tuple[records.TestOutcome, dict]:
    checker = Checker({"cells": []}, None, salt)
    return checker.run(_test_cell(source), InProcessSession({})), checker.namespace


# ---------------------------------------------------------------- the salt
def test_the_salt_is_reproducible_and_differs_by_student_assignment_and_secret() -> None:
    salt = hidden_case_salt(b"course secret", "03_backprop", "alice")
    assert salt == hidden_case_salt(b"course secret", "03_backprop", "alice")
    assert 0 <= salt < 2**64
    others = {hidden_case_salt(b"course secret", "03_backprop", "bob"),
              hidden_case_salt(b"course secret", "04_optimization", "alice"),
              hidden_case_salt(b"next year's secret", "03_backprop", "alice")}
    assert salt not in others and len(others) == 3


def test_a_workspace_makes_one_private_secret_and_gives_each_job_its_students_salt(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "grading", TOY_SOURCE)
    assert read_case_secret(workspace.root) is None
    secret = workspace.case_secret()
    assert stat.S_IMODE(workspace.case_secret_path.stat().st_mode) == 0o600
    assert len(secret) == 64 and workspace.case_secret() == secret == read_case_secret(workspace.root)
    for student in ("alice", "bob"):
        workspace.submission_dir(student, "toy").mkdir(parents=True)
    jobs = {student: workspace.job(student, "toy", LIMITS) for student in ("alice", "bob")}
    assert jobs["alice"].case_salt == hidden_case_salt(secret, "toy", "alice") != jobs["bob"].case_salt


def test_an_emptied_secret_is_an_error_that_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / CASE_SECRET_FILE).write_text("\n")
    with pytest.raises(ValueError, match="is empty: delete it"):
        read_case_secret(tmp_path)


def test_a_ta_derives_a_students_salt_from_the_workspace_secret(tmp_path: Path) -> None:
    notebook = tmp_path / "mine" / "toy" / "1_layers.ipynb"
    with pytest.raises(ValueError, match="no hidden-case secret yet"):
        student_case_salt(notebook, TOY_SOURCE, tmp_path / "grading", "alice")
    secret = Workspace(tmp_path / "grading", TOY_SOURCE).case_secret()
    assert student_case_salt(notebook, TOY_SOURCE, tmp_path / "grading", "alice") == hidden_case_salt(secret, "toy", "alice")


def test_check_for_a_student_needs_the_workspace_that_graded_them(tmp_path: Path, capsys) -> None:
    notebook = tmp_path / "toy" / "1_layers.ipynb"
    notebook.parent.mkdir()
    notebook.write_text(json.dumps(json.loads((TOY_SOURCE / "toy" / "1_layers.ipynb").read_text())))
    assert cli(["--workspace", str(tmp_path / "grading"), "--source", str(TOY_SOURCE),
                "check", str(notebook), "--student", "alice"]) == 2
    assert "has no hidden-case secret yet" in capsys.readouterr().err


def test_grading_json_records_the_salt() -> None:
    result = SubmissionResult("alice", "toy", [NotebookResult("1_layers.ipynb", [])], case_salt=2**63 + 5)
    assert json.loads(result.to_json())["case_salt"] == 2**63 + 5
    assert SubmissionResult.from_json(result.to_json()).case_salt == 2**63 + 5
    assert SubmissionResult.from_json(SubmissionResult("bob", "toy", []).to_json()).case_salt is None


# ---------------------------------------------------------------- where the salt applies
SALT_PER_REGION = """from autograder.checks.numeric import case_salt, make_inputs
public = (case_salt.get(), make_inputs({"x": (3,)}, 7)["x"])
### BEGIN HIDDEN TESTS
hidden = (case_salt.get(), make_inputs({"x": (3,)}, 7)["x"])
### END HIDDEN TESTS
after = case_salt.get()
"""


def test_only_the_hidden_tests_of_a_cell_draw_with_the_salt() -> None:
    _, fixed = _run_cell(SALT_PER_REGION, None)
    outcome, salted = _run_cell(SALT_PER_REGION, 1234)
    assert outcome.points == outcome.max_points
    assert fixed["public"][0] is fixed["hidden"][0] is salted["public"][0] is salted["after"] is None
    assert salted["hidden"][0] == 1234
    assert (salted["public"][1] == fixed["public"][1]).all() and (fixed["hidden"][1] == fixed["public"][1]).all()
    assert not (salted["hidden"][1] == fixed["hidden"][1]).any()


def test_a_hidden_last_expression_still_scores_the_cell() -> None:
    source = ("from autograder.checks.numeric import case_salt\n### BEGIN HIDDEN TESTS\n"
              "1.5 if case_salt.get() == 99 else 0.5\n### END HIDDEN TESTS\n")
    assert _run_cell(source, 99)[0].points == 1.5
    assert _run_cell(source, None)[0].points == 0.5


def test_a_message_about_a_salted_case_does_not_name_a_seed_that_reproduces_it() -> None:
    source = ("from autograder.checks.failures import describe_case\nprint(describe_case({}, seed=3))\n"
              "### BEGIN HIDDEN TESTS\nprint(describe_case({}, seed=31))\n### END HIDDEN TESTS\n")
    assert _run_cell(source, 5)[0].messages == ["seed 3", "seed 31, drawn for you"]
    assert _run_cell(source, None)[0].messages == ["seed 3", "seed 31"]


def test_the_self_check_report_says_which_hidden_cases_it_drew() -> None:
    result = NotebookResult("1_layers.ipynb", [records.TestOutcome("tests", 2.0, 2.0)])
    assert "hidden tests ran on their fixed cases; the TA's grading draws other" in format_report(result, True)
    assert "case salt 77" in format_report(result, True, 77)
    assert "fixed cases" not in format_report(result, False)


# ---------------------------------------------------------------- the course's hidden tests
def _solution_definitions(notebook: dict) -> dict:
    """The imports, functions and classes of a solution notebook's code cells (no training, no tests)."""
    namespace: dict = {"__name__": "solution"}
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code" or cells.is_test_cell(cell):
            continue
        tree = ast.parse(cells._without_magics(cells.source_of(cell)))
        kept = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))]
        exec(compile(ast.Module(body=kept, type_ignores=[]), "<solution>", "exec"), namespace)
    return namespace


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(SOLUTIONS.glob("*/*.ipynb")), ids=lambda path: path.stem)
def test_the_solutions_earn_full_marks_on_the_hidden_cases_of_any_student(path: Path) -> None:
    notebook = json.loads(path.read_text())
    hidden = [cell for cell in cells.test_cells(notebook) if "### BEGIN HIDDEN TESTS" in cells.source_of(cell)]
    session = InProcessSession(_solution_definitions(notebook))
    for student in range(20):
        salt = hidden_case_salt(b"a secret for this test", path.parent.name, f"student{student}")
        checker = Checker(notebook, path.parent, salt)
        for cell in hidden:
            outcome = checker.run(cell, session)
            assert outcome.points == outcome.max_points, f"student{student} (salt {salt}): {outcome.failure}"


def test_the_secret_stays_out_of_what_the_release_publishes(tmp_path: Path) -> None:
    """The release is built from solutions/ (and the library), which a workspace may not lie in,
    and is deleted by each release, so a workspace may not lie in it either; course/ (which
    test_course_release keeps equal to a fresh release) holds no secret."""
    for inside in (SOLUTIONS / "grading", COURSE / "grading"):
        with pytest.raises(ValueError, match="must not lie inside"):
            Workspace(inside, SOLUTIONS)
    assert not [path for path in COURSE.rglob("*") if path.name == CASE_SECRET_FILE]


# ---------------------------------------------------------------- a class graded end to end
RECORDS_INPUTS = """def affine_backward(dout, cache):
    x, w = cache
    SEEN.append(round(float(x[0, 0]), 12))
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)
"""


def _recording_notebook() -> dict:
    """The toy solution, with an affine_backward that keeps the first input of each call it gets,
    and a last cell that prints them into the graded record."""
    notebook = json.loads((TOY_SOURCE / "toy" / "1_layers.ipynb").read_text())
    for cell in notebook["cells"]:
        if cells.grade_id(cell) == "affine_backward":
            cell["source"] = "SEEN = []\n" + RECORDS_INPUTS
    notebook["cells"][-1]["source"] = "print('seen:', SEEN)"
    return notebook


def _seen(outputs) -> list[float]:
    printed = next(o.output for o in outputs if o.output.startswith("seen:"))
    return ast.literal_eval(printed.removeprefix("seen:").strip())


@pytest.mark.slow
def test_two_students_get_the_same_public_case_and_different_hidden_cases(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "grading", TOY_SOURCE)
    for student in ("alice", "bob"):
        folder = workspace.submission_dir(student, "toy")
        folder.mkdir(parents=True)
        (folder / "1_layers.ipynb").write_text(json.dumps(_recording_notebook()))
    grade_class(workspace, "toy", workers=1, limits=LIMITS, progress=False)

    secret = workspace.case_secret()
    seen = {}
    for student in ("alice", "bob"):
        recorded = json.loads(workspace.result_path(student, "toy").read_text())
        assert recorded["case_salt"] == hidden_case_salt(secret, "toy", student)
        result = workspace.result(student, "toy")
        assert result.points == result.max_points == 5
        seen[student] = _seen(result.notebooks[0].cell_outputs)
        assert len(seen[student]) == 3  # one public case (seed 0), two hidden ones (seeds 1 and 2)
    assert seen["alice"][0] == seen["bob"][0]
    assert seen["alice"][1] != seen["bob"][1] and seen["alice"][2] != seen["bob"][2]

    # what students get back names neither the secret nor their salt
    assert write_all_feedback(workspace, "toy")
    salts = [str(hidden_case_salt(secret, "toy", student)).encode() for student in ("alice", "bob")]
    for path in [*workspace.feedback.rglob("*"), *workspace.autograded.rglob("*.ipynb")]:
        assert not path.is_file() or not any(text in path.read_bytes() for text in (secret, *salts)), path

    # the TA reruns alice's notebook on her very cases, with the salt grading.json recorded
    handed_in = workspace.submission_dir("alice", "toy") / "1_layers.ipynb"
    again, _ = check_notebook(handed_in, TOY_SOURCE, LIMITS, workspace.result("alice", "toy").case_salt)
    assert again.points == again.max_points and _seen(again.cell_outputs) == seen["alice"]
