"""The student release: course/ is exactly what the release tool builds, and holds no answers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.release.edition import KEEP_SOLUTIONS
from autograder.release.paths import COURSE
from autograder.release.regions import find_regions
from autograder.release.release import STUB, name_the_stubs, release
from autograder.release.sync_solutions import library_regions, solution_notebooks


def _files(folder: Path) -> dict[str, bytes]:
    """The release's files, without what installing it (pip install ./course) or running it leaves behind."""
    def generated(path: Path) -> bool:
        parts = path.relative_to(folder).parts
        return any(part in ("__pycache__", "build", ".ipynb_checkpoints") or part.endswith(".egg-info") for part in parts)

    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not generated(path)
    }


def test_course_matches_a_fresh_release(tmp_path):
    release(output=tmp_path / "course")
    fresh, committed = _files(tmp_path / "course"), _files(COURSE)
    missing, extra = sorted(set(fresh) - set(committed)), sorted(set(committed) - set(fresh))
    assert not missing and not extra, f"run `python -m autograder.release`: missing {missing}, left over {extra}"
    changed = [name for name in fresh if fresh[name] != committed[name]]
    assert not changed, f"run `python -m autograder.release`: {changed} drifted from solutions/ or lib/"


def _normalized(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _student_texts() -> dict[str, str]:
    """Everything a student gets: the edition's Python files and the released notebooks' code."""
    texts = {
        str(path.relative_to(COURSE)): _normalized(path.read_text())
        for folder in (COURSE / "lib", COURSE / "autograder")
        for path in folder.rglob("*.py")
        if path.name not in KEEP_SOLUTIONS  # the documented exception, see below
    }
    for path in COURSE.rglob("*.ipynb"):
        cells = nbformat.read(path, as_version=4).cells
        texts[str(path.relative_to(COURSE))] = _normalized("\n".join(c.source for c in cells if c.cell_type == "code"))
    return texts


def test_nothing_students_get_contains_a_reference_answer():
    """No graded function's solution region appears in course/.

    The one documented exception: lib/backpropkit/gradcheck.py keeps its regions
    (numerical_gradient, numerical_gradient_upstream, relative_error), because every later
    notebook checks its work with them; see autograder/release/edition.py.
    """
    answers = {}
    for owner, (path, regions) in library_regions().items():
        if path.name not in KEEP_SOLUTIONS:
            answers.update({f"{owner} ({path.name})": _normalized("\n".join(r.body)) for r in regions})
    for path in solution_notebooks():
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and "### BEGIN SOLUTION" in cell.source:
                for region in find_regions(cell.source, str(path)):
                    answers.setdefault(f"{region.owner} ({path.name})", _normalized("\n".join(region.body)))
    texts = _student_texts()
    assert texts and answers
    leaks = [f"{owner} in {where}" for owner, body in answers.items() if body for where, text in texts.items() if body in text]
    assert not leaks, f"reference answers in the student release: {leaks}"


def test_the_student_edition_says_where_each_exercise_is_written():
    script = (
        "import numpy as np, autograder.checks, backpropkit.layers.activations as a\n"
        "assert autograder.checks.__file__.startswith(%r)\n"
        "try:\n    a.relu_backward(np.ones(3), np.ones(3))\n"
        "except NotImplementedError as error:\n    print(error)\n"
    ) % str(COURSE)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(COURSE / "lib"), str(COURSE)])}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment, cwd="/")
    assert result.returncode == 0, result.stderr
    assert "relu_backward is an exercise: write it in the notebook 03_backprop/1_layers.ipynb" in result.stdout


def test_stubs_name_the_function_they_stand_for():
    source = f"class Value:\n    def __mul__(self, other):\n        def _backward():\n            {STUB}\n        return out\n\ndef relu(x):\n    {STUB}\n"
    named = name_the_stubs(source)
    assert "'Value.__mul__: write your answer here" in named and "'relu: write your answer here" in named


def test_stubs_name_functions_whose_signature_spans_lines():
    source = f"def dropout_forward(\n    x, keep_prob,\n) -> tuple:\n    {STUB}\n    return x\n"
    assert "'dropout_forward: write your answer here" in name_the_stubs(source)


@pytest.mark.parametrize("name", ["autograder/cli.py", "autograder/release", "autograder/grading", "autograder/references"])
def test_the_ta_tools_stay_out_of_the_student_edition(name):
    assert not (COURSE / name).exists()
