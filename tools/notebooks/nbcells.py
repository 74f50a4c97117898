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

    def written(self, grade_id: str, points: int, answer: str) -> None:
        """A written answer a TA grades by hand (nbgrader's manually graded markdown cell).

        ``answer`` is the model answer and rubric the TA reads in formgrader; the release shows
        "YOUR ANSWER HERE" in its place. Put the question in a markdown cell above it.
        """
        meta = self._meta(grade_id, grade=True, solution=True, locked=False, points=points)
        text = "### BEGIN SOLUTION\n" + textwrap.dedent(answer).strip() + "\n### END SOLUTION"
        self.cells.append(new_markdown_cell(text, metadata=meta))

    def write(self, path: Path) -> None:
        nb = new_notebook(cells=self.cells)
        nb.metadata = {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        }
        for index, cell in enumerate(nb.cells):  # stable ids keep the release deterministic
            cell["id"] = f"cell-{index:03d}"
        nbformat.validate(nb)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(nbformat.writes(nb) + "\n")
        print(f"wrote {os.path.relpath(path)}")


def write_notebooks(folder: Path, notebooks: dict[str, Callable[[], Notebook]]) -> None:
    """Build each notebook and write it into ``folder`` under its file name."""
    for name, build in notebooks.items():
        build().write(folder / name)
