"""Cells with nbgrader metadata, for the scripts that build the solution notebooks.

A builder script collects cells in a :class:`Notebook` and writes it with outputs cleared and
stable cell ids, so rebuilding an unchanged notebook changes nothing. Answer cells can take
their code straight from the library (:func:`library_source`), which keeps the notebook's
solution region identical to the library's by construction.
"""

from __future__ import annotations

import inspect
import os
import textwrap
from pathlib import Path
from typing import Callable

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPOSITORY = Path(__file__).resolve().parents[2]


def library_source(function: Callable) -> str:
    """The source of a library function, as it reads in its module (decorators included)."""
    return textwrap.dedent(inspect.getsource(function))


class Notebook:
    """Collects cells with the nbgrader metadata each kind of cell needs."""

    def __init__(self) -> None:
        self.cells: list = []
        self._ids: set[str] = set()

    def _meta(self, grade_id: str, **flags: object) -> dict:
        if grade_id in self._ids:
            raise ValueError(f"grade_id {grade_id!r} used twice")
        self._ids.add(grade_id)
        return {"nbgrader": {"grade_id": grade_id, "schema_version": 3, "task": False, **flags}}

    def md(self, text: str) -> None:
        self.cells.append(new_markdown_cell(textwrap.dedent(text).strip()))

    def code(self, source: str) -> None:
        """A cell the student runs (and may change)."""
        self.cells.append(new_code_cell(source.strip()))

    def locked(self, grade_id: str, source: str) -> None:
        """A cell the student runs but cannot change (nbgrader restores it when grading)."""
        meta = self._meta(grade_id, grade=False, solution=False, locked=True)
        self.cells.append(new_code_cell(source.strip(), metadata=meta))

    def answer(self, grade_id: str, source: str) -> None:
        """An exercise: the release replaces its solution region with a stub."""
        meta = self._meta(grade_id, grade=False, solution=True, locked=False)
        self.cells.append(new_code_cell(source.strip(), metadata=meta))

    def test(self, grade_id: str, points: int, source: str) -> None:
        """An autograded test cell worth ``points`` (0 for a public check that only informs)."""
        meta = self._meta(grade_id, grade=True, solution=False, locked=True, points=points)
        self.cells.append(new_code_cell(source.strip(), metadata=meta))

    def write(self, path: Path) -> None:
        nb = new_notebook(cells=self.cells)
        nb.metadata = {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        }
        for index, cell in enumerate(nb.cells):  # stable ids keep the release deterministic
            cell["id"] = f"cell-{index:03d}"
        nbformat.validate(nb)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(nbformat.writes(nb) + "\n")
        print(f"wrote {os.path.relpath(path)}")


# A notebook cell that gathers the functions a student wrote in earlier notebooks, so that the
# networks trained later run on the student's own code. Answer cells are plain ``def``s that
# rely only on the notebook's first code cell (its imports), so running those two is enough.
EARLIER_ANSWERS = r'''
import functools
import json
from pathlib import Path

from IPython.core.inputtransformer2 import TransformerManager


def answers_from(notebook_path):
    # Run another notebook's first code cell (its imports) and its answer cells in a fresh
    # namespace; return the functions the answer cells define, by name.
    path = Path(notebook_path)
    if not path.exists():
        print(f"{notebook_path}: not found, so the library's version of its functions is used")
        return {}
    cells = [cell for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "code"]
    answer_cells = [cell for cell in cells if cell["metadata"].get("nbgrader", {}).get("solution")]
    scope = {"__name__": "answers"}
    for cell in cells[:1] + answer_cells:
        exec(TransformerManager().transform_cell("".join(cell["source"])), scope)
    functions = {name: value for name, value in scope.items() if callable(value) and getattr(value, "__module__", "") == "answers"}
    return {name: _saying_where(function, notebook_path) for name, function in functions.items()}


def _saying_where(function, notebook_path):
    # An unanswered exercise names the notebook it lives in, not "the cell below".
    @functools.wraps(function)
    def call(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except NotImplementedError:
            raise NotImplementedError(f"{function.__name__} is not written yet: answer it in {notebook_path}") from None

    return call
'''
