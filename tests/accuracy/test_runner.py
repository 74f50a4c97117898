"""The accuracy runner's pieces: corpus discovery, what counts as naming a mistake, how paths are
compared, and how entries are planted and packed into a class (no grading here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from corpus import SOLUTIONS, PlantedBug, ValidAnswer
from runner import (
    EntryReport,
    CellVerdict,
    bug_corpora,
    disagreements,
    error_message,
    grade_ids,
    names_mistake,
    packed,
    student_of,
    valid_corpus,
    write_planted_course,
    wrong_diagnoses,
)
from autograder.grading.collect import student_id

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_diagnoses.py"

LAYERS = "03_backprop/1_layers.ipynb"
DB_FIRST_ROW = PlantedBug("affine_backward/db_first_row", LAYERS, "affine_backward", """
def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout[0]
""", "not summed over the batch")
RELU_MASK = ValidAnswer("relu_backward/mask_multiply", LAYERS, "relu_backward", """
def relu_backward(dout, cache):
    return dout * (cache > 0)
""")
TANH_EXPANDED = ValidAnswer("tanh_backward/expanded", LAYERS, "tanh_backward", """
def tanh_backward(dout, cache):
    return dout - dout * cache * cache
""")
RELU_WHERE = ValidAnswer("relu_backward/where", LAYERS, "relu_backward", """
def relu_backward(dout, cache):
    return np.where(cache > 0, dout, 0.0)
""")


def verdict(grade_id: str, points: float, max_points: float, message: str = "") -> CellVerdict:
    return CellVerdict(grade_id, points, max_points, failed=bool(message), message=message)


def test_every_bugs_module_is_discovered_and_a_label_may_not_repeat(tmp_path: Path) -> None:
    bug = "from corpus import PlantedBug\nBUGS = [PlantedBug({!r}, 'a/b.ipynb', 'f', 'def f(): pass', 'm')]\n"
    (tmp_path / "bugs_layers.py").write_text(bug.format("one"))
    (tmp_path / "bugs_losses.py").write_text(bug.format("two"))
    (tmp_path / "helpers.py").write_text("BUGS = ['not a corpus']\n")
    corpora = bug_corpora(tmp_path)
    assert list(corpora) == ["bugs_layers", "bugs_losses"]
    assert [bug.label for bug in corpora["bugs_losses"]] == ["two"]

    (tmp_path / "bugs_more.py").write_text(bug.format("one"))
    with pytest.raises(ValueError, match="'one'"):
        bug_corpora(tmp_path)


def test_a_mistake_is_named_only_by_a_failing_message_in_any_case() -> None:
    named = [verdict("public", 0, 0, "db is wrong.\n  Likely mistake: db Not Summed Over The Batch (dout[0]).")]
    assert names_mistake(DB_FIRST_ROW, named)
    passing = [CellVerdict("hidden", 3, 3, failed=False, message="not summed over the batch")]
    assert not names_mistake(DB_FIRST_ROW, passing)
    assert not names_mistake(DB_FIRST_ROW, [verdict("hidden", 0, 3, "db is wrong.")])


def test_a_wrong_diagnosis_is_another_bugs_phrase_but_not_a_part_of_the_own() -> None:
    message = [verdict("hidden", 0, 3, "db is wrong. Likely mistake: transposed; also not summed over the batch")]
    phrases = ["transposed", "summed", "not summed over the batch", "sign flipped"]
    assert wrong_diagnoses(DB_FIRST_ROW, message, phrases) == ["transposed"]
    assert wrong_diagnoses(DB_FIRST_ROW, [verdict("hidden", 0, 3, "db is wrong.")], phrases) == []


def test_paths_that_agree_report_nothing() -> None:
    tests = [verdict("public", 0, 0, "db is wrong: not summed over the batch"), verdict("hidden", 0, 3, "db is wrong")]
    report = EntryReport(DB_FIRST_ROW, {"notebook": tests, "check": tests, "grade": tests})
    assert disagreements(report) == []


def test_a_disagreement_names_the_test_and_each_paths_verdict() -> None:
    report = EntryReport(RELU_MASK, {
        "notebook": [verdict("relu_public", 0, 0, "RuntimeWarning: overflow"), verdict("relu_hidden", 0, 3, "boom")],
        "check": [verdict("relu_public", 0, 0), verdict("relu_hidden", 3, 3)],
        "grade": [verdict("relu_public", 0, 0), verdict("relu_hidden", 3, 3)],
    })
    problems = disagreements(report)
    assert len(problems) == 2
    assert problems[0].startswith("relu_public: notebook 0/0 failed, check 0/0, grade 0/0")
    assert problems[1].startswith("relu_hidden: notebook 0/3 failed, check 3/3, grade 3/3")


def test_a_mistake_named_by_check_but_not_by_grade_is_a_disagreement() -> None:
    named = [verdict("hidden", 0, 3, "Likely mistake: not summed over the batch")]
    unnamed = [verdict("hidden", 0, 3, "db is wrong")]
    report = EntryReport(DB_FIRST_ROW, {"check": named, "grade": unnamed})
    assert disagreements(report) == ["the mistake 'not summed over the batch' is named by check only"]


def test_a_missing_test_on_one_path_is_a_disagreement() -> None:
    report = EntryReport(RELU_MASK, {"check": [verdict("a", 1, 1), verdict("b", 1, 1)], "grade": [verdict("a", 1, 1)]})
    assert disagreements(report) == ["check graded tests ['a', 'b'], grade ['a']"]


def test_graded_cells_and_their_errors_are_read_from_the_notebook() -> None:
    notebook = {"cells": [
        {"cell_type": "code", "metadata": {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 2}},
         "outputs": [{"output_type": "error", "ename": "CheckFailed", "evalue": "dx is wrong"}]},
        {"cell_type": "code", "metadata": {"nbgrader": {"grade": False, "solution": True, "grade_id": "answer"}},
         "outputs": []},
        {"cell_type": "code", "metadata": {"nbgrader": {"grade": True, "solution": False, "grade_id": "public"}},
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "fine"}]},
    ]}
    assert grade_ids(notebook) == {0: ("t", 2.0), 2: ("public", 0.0)}
    assert error_message(notebook["cells"][0]) == "CheckFailed: dx is wrong"
    assert error_message(notebook["cells"][2]) is None


def test_student_ids_are_the_labels_as_collect_keeps_them() -> None:
    labels = [DB_FIRST_ROW.label, "Value/iterative topological sort", "sgd/in-place.copy"]
    ids = [student_of(ValidAnswer(label, LAYERS, "f", "")) for label in labels]
    assert ids == [student_id(i) for i in ids]
    assert len(set(ids)) == len(ids)


def test_entries_of_one_notebook_are_planted_together(tmp_path: Path) -> None:
    path = write_planted_course([DB_FIRST_ROW, RELU_MASK], tmp_path)
    assert path == tmp_path / "course" / LAYERS
    answers = "\n".join("".join(cell["source"]) for cell in json.loads(path.read_text())["cells"]
                        if cell["metadata"].get("nbgrader", {}).get("solution"))
    assert "dout[0]" in answers and "dout * (cache > 0)" in answers
    assert "def sigmoid_backward" in answers  # the other answers stay the solution's
    assert (tmp_path / "course" / "02_linear_classifiers" / "1_linear_classifiers.ipynb").is_file()


def test_packing_never_puts_two_answers_to_one_function_in_one_notebook() -> None:
    students = packed([RELU_MASK, TANH_EXPANDED, RELU_WHERE, DB_FIRST_ROW])
    assert sorted(map(len, students.values())) == [1, 3]
    for entries in students.values():
        functions = [entry.function for entry in entries]
        assert len(functions) == len(set(functions))
        assert len({entry.notebook for entry in entries}) == 1


def test_the_valid_corpus_covers_every_graded_function_of_every_notebook() -> None:
    valid = valid_corpus()
    assert len({answer.label for answer in valid}) == len(valid) >= 25
    answered = {(answer.notebook, answer.function) for answer in valid}
    graded = set()
    for path in sorted(SOLUTIONS.glob("*/*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code" and cell["metadata"].get("nbgrader", {}).get("solution"):
                source = "".join(cell["source"])
                graded |= {(path.relative_to(SOLUTIONS).as_posix(), line.split()[1].split("(")[0].rstrip(":"))
                           for line in source.splitlines() if line.startswith(("def ", "class "))}
    graded.discard(("01_gradients/2_autograd.ipynb", "as_value"))  # given, not an exercise
    assert graded - answered == set()


def test_the_benchmark_prints_its_tables_for_an_empty_selection() -> None:
    run = subprocess.run([sys.executable, str(BENCHMARK), "--only", "no entry is labelled this"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "grading 0 planted bugs" in run.stdout
    assert "lost points" in run.stdout and "wrong diagnosis" in run.stdout
    assert "Valid answers at full marks" in run.stdout


def test_the_benchmark_refuses_a_corpus_it_does_not_know() -> None:
    run = subprocess.run([sys.executable, str(BENCHMARK), "--corpus", "bugs_nowhere"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 2
    assert "no corpus bugs_nowhere" in run.stderr and "valid" in run.stderr


def test_bugs_built_with_another_import_of_the_format_become_this_formats_bugs(tmp_path: Path) -> None:
    (tmp_path / "bugs_elsewhere.py").write_text(
        "from dataclasses import dataclass\n\n\n"
        "@dataclass(frozen=True)\n"
        "class PlantedBug:  # as `tests.accuracy.corpus` gives it: the same fields, another class\n"
        "    label: str\n    notebook: str\n    function: str\n    source: str\n    mistake: str\n\n\n"
        "BUGS = [PlantedBug('f/one', 'a/b.ipynb', 'f', 'def f(): pass', 'a mistake')]\n")
    (bug,) = bug_corpora(tmp_path)["bugs_elsewhere"]
    assert bug == PlantedBug("f/one", "a/b.ipynb", "f", "def f(): pass", "a mistake")
