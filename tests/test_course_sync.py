"""One source of truth: the solution notebooks' answers are the library's reference answers."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.release.regions import find_regions
from autograder.release.sync_solutions import sync


def test_solution_notebooks_match_the_library():
    drifts, _ = sync(check_only=True)
    report = "\n\n".join(f"{drift.notebook}: {drift.owner}\n{drift.diff}" for drift in drifts)
    assert not drifts, f"run `python -m autograder.release.sync_solutions`:\n{report}"


LIBRARY_SOURCE = '''
def double(x):
    """Twice x."""
    ### BEGIN SOLUTION
    y = 2 * x
    ### END SOLUTION
    return y


class Node:
    def grow(self):
        def inner():
            ### BEGIN SOLUTION
            self.size += 1
            ### END SOLUTION
        return inner
'''


def _toy_course(tmp_path: Path, notebook_body: str) -> tuple[Path, Path]:
    library = tmp_path / "lib"
    library.mkdir()
    (library / "toy.py").write_text(LIBRARY_SOURCE)
    solutions = tmp_path / "solutions" / "00_toy"
    solutions.mkdir(parents=True)
    notebook = new_notebook(cells=[new_code_cell(notebook_body)])
    nbformat.write(notebook, solutions / "toy.ipynb")
    return library, solutions.parent


def test_sync_reports_drift_then_copies_the_library_region(tmp_path):
    body = "def double(x):\n    ### BEGIN SOLUTION\n    y = x + x\n    ### END SOLUTION\n    return y"
    library, solutions = _toy_course(tmp_path, body)
    drifts, _ = sync(check_only=True, solutions=solutions, library_dir=library)
    assert [drift.owner for drift in drifts] == ["double"] and "y = x + x" in drifts[0].diff
    sync(check_only=False, solutions=solutions, library_dir=library)
    cell = nbformat.read(solutions / "00_toy" / "toy.ipynb", as_version=4).cells[0]
    assert "y = 2 * x" in cell.source and "x + x" not in cell.source
    assert sync(check_only=True, solutions=solutions, library_dir=library)[0] == []


def test_methods_are_matched_by_class_and_name_and_notebook_only_exercises_are_left_alone(tmp_path):
    body = (
        "class Node:\n    def grow(self):\n        def inner():\n            ### BEGIN SOLUTION\n"
        "            pass\n            ### END SOLUTION\n        return inner\n\n\n"
        "def extra():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"
    )
    library, solutions = _toy_course(tmp_path, body)
    drifts, notes = sync(check_only=False, solutions=solutions, library_dir=library)
    assert [drift.owner for drift in drifts] == ["Node.grow"]
    assert any("extra is a notebook-only exercise" in note for note in notes)
    cell = nbformat.read(solutions / "00_toy" / "toy.ipynb", as_version=4).cells[0]
    assert "            self.size += 1" in cell.source and "return 1" in cell.source


def test_unbalanced_markers_are_reported_with_their_line():
    with pytest.raises(ValueError, match="line 2: ### BEGIN SOLUTION is never closed"):
        find_regions("def f():\n    ### BEGIN SOLUTION\n    pass\n")
