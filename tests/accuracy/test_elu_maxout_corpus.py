"""The ELU and maxout corpus against the notebook's own test cells, run in this process.

Each entry is planted into 1_layers.ipynb (tests/accuracy/corpus.py), its answer cells are executed,
and then every public and hidden test cell of the ELU and maxout exercises runs as it would in the
student's notebook: a planted bug must fail a cell with a message naming its mistake, a valid
answer must pass them all. ``bpk-grade check`` grades the same cells through the sandbox.
"""

from __future__ import annotations

import pytest

from corpus import plant
from bugs_elu_maxout import BUGS
from valid_answers import VALID as ALL_VALID
from autograder.checks import CheckFailed

EXERCISES = ("elu", "maxout")
VALID = [answer for answer in ALL_VALID if answer.function.startswith(EXERCISES)]


def _cell_source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _failures(entry) -> list[str]:
    """The messages of the ELU and maxout test cells that fail with ``entry`` planted."""
    cells = plant(entry)["cells"]
    namespace: dict = {}
    for cell in cells:
        grading = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] == "code" and (grading.get("solution") or grading.get("grade_id") == "setup"):
            exec("\n".join(line for line in _cell_source(cell).splitlines() if not line.startswith("%")), namespace)
    failures = []
    for cell in cells:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        if cell["metadata"].get("nbgrader", {}).get("grade") and grade_id.startswith(EXERCISES):
            try:
                exec(_cell_source(cell), dict(namespace))
            except CheckFailed as failure:
                failures.append(f"{grade_id}: {failure}")
    return failures


@pytest.mark.parametrize("bug", BUGS, ids=[bug.label for bug in BUGS])
def test_each_planted_bug_fails_a_cell_that_names_it(bug):
    failures = _failures(bug)
    assert failures, f"{bug.label} passed every test cell"
    assert any(bug.mistake.lower() in message.lower() for message in failures), failures


@pytest.mark.parametrize("answer", VALID, ids=[answer.label for answer in VALID])
def test_each_valid_answer_passes_every_cell(answer):
    assert _failures(answer) == []
