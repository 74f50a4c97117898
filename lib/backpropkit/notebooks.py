"""Bring a student's answers over from earlier notebooks.

Later notebooks train networks on the functions the student wrote before: the affine and ReLU
layers of ``03_backprop/1_layers.ipynb``, the softmax loss of notebook 2, the update rules of
notebook 4. :func:`answers_from` reads those notebooks from disk, runs their first code cell (the
imports), the given functions the answers build on (locked cells that only define functions,
like the two-layer net's forward pass) and their answer cells (the cells nbgrader marks
``solution``) in a fresh namespace, and returns the functions they define::

    yours = answers_from("1_layers.ipynb", "../02_linear_classifiers/1_linear_classifiers.ipynb")
    layers = LayerSet.from_namespace(yours, fallback=LayerSet.reference())

A notebook that is not there contributes nothing, so the fallback supplies the library's
functions. That is what happens under ``nbgrader autograde``, which grades one notebook at a time
in a folder of its own: the earlier notebook may not have been copied there yet.
"""

from __future__ import annotations

import ast
import functools
import json
import os
from pathlib import Path
from typing import Any, Callable

__all__ = ["answers_from"]


def answers_from(*notebook_paths: str | os.PathLike) -> dict[str, Callable]:
    """The functions defined by the answer cells of the notebooks at ``notebook_paths``, by name.

    Paths are relative to the working directory, which in Jupyter is the running notebook's
    folder. For each notebook, in order, its first code cell and then its answer cells and given
    function cells run in a namespace of their own (nothing else of it runs: no plots, no
    training, no checks); a function
    defined in a later notebook replaces one of the same name from an earlier one. Classes and
    other values are left out.

    An answer that is still the release stub raises ``NotImplementedError`` naming the notebook to
    write it in. A notebook that does not exist prints one line saying so and contributes
    nothing. Outside IPython, magic lines (``%matplotlib inline``) are skipped.

    Raises ``ValueError`` for a file that is not a notebook (invalid JSON, no cells) and
    ``RuntimeError`` when one of the notebook's cells fails to run, naming the notebook and cell.
    """
    if not notebook_paths:
        raise TypeError("answers_from needs at least one notebook path, e.g. answers_from('1_layers.ipynb')")
    functions: dict[str, Callable] = {}
    for notebook_path in notebook_paths:
        if not isinstance(notebook_path, (str, os.PathLike)):
            raise TypeError(f"notebook_paths must be paths (str or pathlib.Path), got {type(notebook_path).__name__}")
        functions.update(_answers_of(Path(notebook_path)))
    return functions


def _answers_of(path: Path) -> dict[str, Callable]:
    if not path.is_file():
        where = "next to this notebook" if len(path.parts) == 1 else "from this notebook's folder"
        print(f"{path.as_posix()} not found {where}: the library's functions are used instead")
        return {}
    code_cells = [cell for cell in _read_cells(path) if cell.get("cell_type") == "code"]
    chosen = code_cells[:1] + [cell for cell in code_cells[1:] if _is_answer(cell) or _is_given_function(cell)]
    module_name = f"answers of {path.name}"  # the __module__ of every function the cells define
    scope: dict[str, Any] = {"__name__": module_name}
    shell = _ipython_shell()
    if shell is not None:  # magics translate to get_ipython() calls
        scope["get_ipython"] = lambda: shell
    for cell in chosen:
        _run_cell(cell, scope, path, shell)
    functions = {
        name: _naming_the_notebook(value, path)
        for name, value in scope.items()
        if callable(value) and hasattr(value, "__code__") and value.__module__ == module_name
    }
    scope.update(functions)  # an answer that calls another answer meets the named version too
    return functions


def _read_cells(path: Path) -> list[dict]:
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not a readable notebook ({error}); open it in Jupyter and save it again") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
        raise ValueError(f"{path} is not a notebook: it has no list of cells")
    return cells


def _is_answer(cell: dict) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def _is_given_function(cell: dict) -> bool:
    """A locked cell that only defines functions (given code an answer may call), never a test."""
    nbgrader = cell.get("metadata", {}).get("nbgrader", {})
    if not nbgrader.get("locked") or nbgrader.get("grade"):
        return False
    source = cell.get("source", "")
    try:
        tree = ast.parse("".join(source) if isinstance(source, list) else source)
    except SyntaxError:
        return False
    return bool(tree.body) and all(isinstance(node, ast.FunctionDef) for node in tree.body)


def _run_cell(cell: dict, scope: dict[str, Any], path: Path, shell: Any) -> None:
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    label = f"cell {grade_id!r}" if grade_id else "its first code cell"
    try:
        exec(compile(_as_python(source, shell), f"{path.name}, {label}", "exec"), scope)
    except Exception as error:
        raise RuntimeError(
            f"{path}, {label} failed: {type(error).__name__}: {error}. "
            "Answer cells should only define functions: fix that cell, save the notebook and run this cell again"
        ) from error


def _ipython_shell() -> Any:
    """The running IPython shell (in Jupyter), or None in a plain Python process."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _as_python(source: str, shell: Any) -> str:
    """Cell source as plain Python: IPython's own translation when it runs, else magics dropped."""
    if shell is not None:
        return shell.transform_cell(source)
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))


def _naming_the_notebook(function: Callable, path: Path) -> Callable:
    """``function``, whose own NotImplementedError (the release stub) names the notebook to answer it in."""

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except NotImplementedError as error:
            if not _raised_by(function, error):
                raise  # an unanswered function it calls: that one's message says where
            raise NotImplementedError(
                f"{function.__name__}: not answered yet in {path.as_posix()}. Write it there, save that "
                "notebook, then run the cell that loads your answers again"
            ) from None

    return call


def _raised_by(function: Callable, error: BaseException) -> bool:
    """True when ``error`` was raised in ``function``'s own body (not in something it called)."""
    frame = error.__traceback__
    while frame.tb_next is not None:
        frame = frame.tb_next
    return frame.tb_frame.f_code is function.__code__
