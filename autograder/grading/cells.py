"""What each cell of an nbgrader notebook is, read from its metadata.

nbgrader marks cells in ``metadata.nbgrader``: answer cells (``solution: true``), test cells
(``grade: true`` on a code cell that is not an answer), and read-only cells. The grader needs three
questions answered: which cells the student's process runs, which cells the checker runs, and
which names the answer cells define (the graded names the checker calls through proxies).
"""

from __future__ import annotations

import ast
from typing import Any

Cell = dict[str, Any]


def nbgrader_metadata(cell: Cell) -> dict[str, Any]:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def source_of(cell: Cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def grade_id(cell: Cell) -> str | None:
    return nbgrader_metadata(cell).get("grade_id")


def is_test_cell(cell: Cell) -> bool:
    """A code cell whose points come from running it (nbgrader's autograder tests)."""
    meta = nbgrader_metadata(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_answer_cell(cell: Cell) -> bool:
    meta = nbgrader_metadata(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("solution"))


def test_cells(notebook: dict) -> list[Cell]:
    return [cell for cell in notebook.get("cells", []) if is_test_cell(cell)]


def points(cell: Cell) -> float:
    return float(nbgrader_metadata(cell).get("points", 0) or 0)


def defined_names(source: str) -> set[str]:
    """Top-level names a cell defines (functions, classes, assignments); empty if it does not parse."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def graded_names(source_notebook: dict) -> set[str]:
    """Names defined by the answer cells of the instructor's notebook: the student's to write."""
    names: set[str] = set()
    for cell in source_notebook.get("cells", []):
        if is_answer_cell(cell):
            names |= defined_names(_without_magics(source_of(cell)))
    return names


def referenced_names(source: str) -> set[str]:
    """Every name a cell reads, anywhere in it."""
    try:
        tree = ast.parse(_without_magics(source))
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def import_statements(source_notebook: dict) -> str:
    """The top-level imports of the instructor's notebook, to run in the checker (trusted code)."""
    lines = []
    for cell in source_notebook.get("cells", []):
        if cell.get("cell_type") != "code" or is_test_cell(cell):
            continue
        try:
            tree = ast.parse(_without_magics(source_of(cell)))
        except SyntaxError:
            continue
        lines += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(dict.fromkeys(lines))


def _without_magics(source: str) -> str:
    """Comment out IPython magics and shell escapes so that ``ast`` can read the rest."""
    return "\n".join("#" + line if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
