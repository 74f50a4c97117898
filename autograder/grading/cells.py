"""What each cell of an nbgrader notebook is, read from the instructor's source alone.

nbgrader marks cells in ``metadata.nbgrader``: answer cells (``solution: true``), test cells
(``grade: true`` on a code cell that is not an answer), and locked cells (``locked: true``, given
code and text the student may not change). Only the SOURCE notebook's marks are believed. A
submitted notebook's metadata is read for one thing, to match a submitted cell to a source cell
by ``grade_id``, and is read defensively: any value of any type is accepted and means nothing
more. :func:`graded_cells` turns a submission into the notebook that is graded and recorded.
"""

from __future__ import annotations

import ast
import copy
import math
import re
from typing import Any

Cell = dict[str, Any]
CELL_TYPES = ("code", "markdown", "raw")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def nbgrader_metadata(cell: Any) -> dict[str, Any]:
    """The cell's ``metadata.nbgrader``, or ``{}`` when the cell or any level of it is not a dict."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    marks = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return marks if isinstance(marks, dict) else {}


def source_of(cell: Any) -> str:
    """The cell's code or text, valid UTF-8; ``""`` when ``source`` is not a string or a list of strings.

    A lone surrogate (JSON allows ``"\\ud800"``, UTF-8 does not) becomes U+FFFD, so the code that
    runs is the code the record can hold.
    """
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        source = "".join(source)
    return valid_text(source) if isinstance(source, str) else ""


def valid_text(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD, so that it can be written as UTF-8."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def grade_id(cell: Any) -> str | None:
    """The cell's ``grade_id`` when it is a non-empty string, else None."""
    value = nbgrader_metadata(cell).get("grade_id")
    return value if isinstance(value, str) and value else None


def _marked(cell: Any, flag: str) -> bool:
    return bool(nbgrader_metadata(cell).get(flag))  # as nbgrader reads the source it registers


def is_test_cell(cell: Cell) -> bool:
    """A code cell whose points come from running it (nbgrader's autograder tests)."""
    return cell.get("cell_type") == "code" and _marked(cell, "grade") and not _marked(cell, "solution")


def is_answer_cell(cell: Cell) -> bool:
    return cell.get("cell_type") == "code" and _marked(cell, "solution")


def is_locked_cell(cell: Cell) -> bool:
    """A cell the student may not change: given code or text (test cells are locked too)."""
    return _marked(cell, "locked") and not _marked(cell, "solution")


def test_cells(notebook: dict) -> list[Cell]:
    return [cell for cell in _cells(notebook) if is_test_cell(cell)]


def points(cell: Cell) -> float:
    """A test cell's points: a finite number of at least 0, or 0 for anything else."""
    value = nbgrader_metadata(cell).get("points", 0)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return 0.0
    try:
        number = float(value)
    except ValueError:
        return 0.0
    return number if math.isfinite(number) and number >= 0 else 0.0


def graded_cells(source: dict, submitted: dict) -> list[Cell]:
    """The notebook as it is graded and recorded: exactly the cells that run, in order.

    The submission's cells keep their order, each becoming a fresh cell whose metadata comes only
    from the source:

    - a cell whose ``grade_id`` names a locked or test cell of the source is replaced by that
      source cell (code, type and metadata), the first time the id appears;
    - a cell whose ``grade_id`` names an answer cell of the source, and has its type, keeps the
      student's code under the source's metadata, the first time the id appears;
    - every other code, markdown or raw cell keeps its code or text and loses all metadata, so
      whatever it claims it is student code; anything that is not such a cell is dropped.

    Locked cells the submission lacks are put back after the nearest earlier source cell that is
    present (first when none is), and test cells it lacks are appended at the end, so every test
    and every given cell of the source appears exactly once. Test cells are run by the checker
    from the source; all other code cells run in the student's process.
    """
    by_id: dict[str, Cell] = {}
    for cell in _cells(source):
        if grade_id(cell) is not None:
            by_id.setdefault(grade_id(cell), cell)
    graded: list[Cell] = []
    placed: set[str] = set()  # the source cells already matched: each is matched once
    for cell in _cells(submitted):
        cell_type, claimed = cell.get("cell_type"), grade_id(cell)
        if cell_type not in CELL_TYPES:
            continue
        mine = by_id.get(claimed) if claimed not in placed else None
        if mine is not None and (is_locked_cell(mine) or is_test_cell(mine)):
            graded.append(_restored(mine))
        elif mine is not None and _marked(mine, "solution") and mine.get("cell_type") == cell_type:
            graded.append(_new_cell(cell_type, source_of(cell), copy.deepcopy(mine.get("metadata", {}))))
        else:
            graded.append(_new_cell(cell_type, source_of(cell), {}))
            continue
        placed.add(claimed)
    _restore_missing_locked_cells(source, graded, placed)
    graded += [_restored(cell) for cell in test_cells(source) if grade_id(cell) not in placed]
    return graded


def _restore_missing_locked_cells(source: dict, graded: list[Cell], placed: set[str]) -> None:
    """Insert each locked cell of the source missing from ``graded`` after its nearest present predecessor."""
    anchor: str | None = None  # the last source cell seen that ``graded`` holds
    for cell in _cells(source):
        gid = grade_id(cell)
        if gid is not None and gid not in placed and is_locked_cell(cell) and not is_test_cell(cell):
            at = 0 if anchor is None else next(i for i, c in enumerate(graded) if grade_id(c) == anchor) + 1
            graded.insert(at, _restored(cell))
            placed.add(gid)
        if gid in placed:
            anchor = gid


def _cells(notebook: Any) -> list[Cell]:
    found = notebook.get("cells") if isinstance(notebook, dict) else None
    return [cell for cell in found if isinstance(cell, dict)] if isinstance(found, list) else []


def _restored(source_cell: Cell) -> Cell:
    return _new_cell(source_cell["cell_type"], source_of(source_cell), copy.deepcopy(source_cell.get("metadata", {})))


def _new_cell(cell_type: str, source: str, metadata: dict) -> Cell:
    cell: Cell = {"cell_type": cell_type, "metadata": metadata, "source": source}
    if cell_type == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


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
