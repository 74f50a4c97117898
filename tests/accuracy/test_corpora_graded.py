"""The corpora graded for real: every valid answer keeps full marks, and the three paths a
verdict reaches a student by (the notebook in the student's kernel, ``bpk-grade check``,
``bpk-grade grade``) agree on a sample of bugs and valid answers.

The whole bug corpora and the agreement of both corpora are measured by
``benchmarks/bench_diagnoses.py`` (minutes); these tests keep to a class run and one notebook.
"""

from __future__ import annotations

import pytest

from corpus import PlantedBug, ValidAnswer
from runner import PATHS, EntryReport, disagreements, grade_packed, grade_together, valid_corpus

pytestmark = pytest.mark.slow

LAYERS = "03_backprop/1_layers.ipynb"
# Bugs and valid answers of different functions of one notebook, planted together: one run per path.
SAMPLE = [
    PlantedBug("affine_backward/db_first_row", LAYERS, "affine_backward", """
def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout[0]
""", "not summed over the batch"),
    PlantedBug("sigmoid_backward/formula_on_input", LAYERS, "sigmoid_backward", """
def sigmoid_backward(dout, cache):
    out = cache
    s = 1 / (1 + np.exp(-out))
    return dout * s * (1 - s)
""", "instead of the cached output"),
    ValidAnswer("relu_backward/mask_multiply", LAYERS, "relu_backward", """
def relu_backward(dout, cache):
    return dout * (cache > 0)
"""),
    ValidAnswer("tanh_backward/expanded", LAYERS, "tanh_backward", """
def tanh_backward(dout, cache):
    return dout - dout * cache * cache
"""),
]


def test_every_valid_answer_keeps_full_marks_when_the_class_is_graded() -> None:
    short = {}
    for student, (entries, verdicts) in grade_packed(valid_corpus()).items():
        lost = [f"{test.grade_id} {test.points:g}/{test.max_points:g}: {test.message[-400:]}"
                for test in verdicts if test.failed]
        if lost:
            short[student] = ([entry.label for entry in entries], lost)
    assert not short, f"valid answers that lost points: {short}"


def test_notebook_check_and_class_grading_agree_on_bugs_and_valid_answers() -> None:
    verdicts = grade_together(SAMPLE)
    assert sorted(verdicts) == sorted(PATHS)
    problems = {entry.label: disagreements(EntryReport(entry, verdicts)) for entry in SAMPLE}
    assert not any(problems.values()), problems
    for path, tests in verdicts.items():
        points = {test.grade_id: (test.points, test.max_points) for test in tests}
        assert points["affine_backward_hidden"][0] == 0 and points["sigmoid_hidden"][0] == 0, path
        assert points["relu_hidden"] == (3, 3) and points["tanh_hidden"] == (3, 3), path
