"""The checker: runs the instructor's test cells, in a process where no student code ever runs.

Each test cell comes from the SOURCE notebook in ``solutions/`` (never from the submission, so a
deleted or edited test cell changes nothing). Before a cell runs, the names it reads that the
student defines are bound to proxies into the student process (``student_link.RemoteObject``),
or to plain copies for data; the notebook's own imports run here from the instructor's source, so
``np`` is the grader's NumPy whatever the student did to theirs.

Scoring follows nbgrader's rule for test cells: a cell that raises earns 0; a cell whose last
expression is a number earns that many points (partial credit); any other cell earns all of them.
nbgrader also scores zero a cell that printed anything on stderr; here what a cell prints, stderr
included, is shown and costs nothing. A graded function that warns loses points all the same,
and with a reason: the checks record the warnings of the functions they call (the student
process sends them back with each result) and fail, naming the warning
(``compare.fail_on_warnings``), exactly as they do in the student's own kernel.

Hidden cases differ between students: the code between ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS`` runs with the submission's salt in ``numeric.case_salt``, so every case a
check draws there comes from the seed the cell names and the salt (``workspace.hidden_case_salt``).
The rest of the cell, the public checks the student ran in the notebook, keeps its fixed cases.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import math
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..checks.numeric import case_salt
from . import cells
from .records import TestOutcome
from .student_link import RemoteObject, StudentCrashed, StudentSession, StudentTimeout

MAX_HEATMAP_SIDE = 128


class Checker:
    """Runs one notebook's test cells against one student process."""

    def __init__(self, source_notebook: dict, assignment_dir: Path | None = None, hidden_case_salt: int | None = None) -> None:
        self.assignment_dir = assignment_dir
        self.hidden_case_salt = hidden_case_salt  # None: hidden tests draw the cases their seeds name
        self.graded = cells.graded_names(source_notebook)
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        if assignment_dir is not None and str(assignment_dir) not in sys.path:
            sys.path.insert(0, str(assignment_dir))  # helper modules handed out with the assignment
        with self._in_assignment_dir():
            for line in cells.import_statements(source_notebook).splitlines():
                with contextlib.suppress(Exception):
                    exec(compile(line, "<imports>", "exec"), self.namespace)
        for name in self.graded:
            self.namespace.pop(name, None)  # never grade the reference answer an import may bring in

    def run(self, cell: cells.Cell, session: StudentSession) -> TestOutcome:
        """Run one test cell; StudentCrashed and StudentTimeout propagate to the caller."""
        outcome = TestOutcome(cells.grade_id(cell) or "?", 0.0, cells.points(cell))
        source = cells.source_of(cell)
        self._bind_student_names(source, session)
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed), self._in_assignment_dir():
                value = _exec_returning_last_value(source, self.namespace, self.hidden_case_salt)
        except (StudentCrashed, StudentTimeout):
            raise
        except BaseException as error:  # any failure of a check is a zero for this cell, with its message
            outcome.failure = _explain(error)
            outcome.heatmaps = _heatmaps(error)
        else:
            outcome.points = _points_from_value(value, outcome.max_points)
        outcome.messages = [line for line in printed.getvalue().splitlines() if line.strip()][:200]
        return outcome

    def _bind_student_names(self, source: str, session: StudentSession) -> None:
        for name in sorted(cells.referenced_names(source)):
            if name in self.graded:
                self.namespace.pop(name, None)
            elif name in self.namespace or hasattr(builtins, name):
                continue
            try:
                value = session.lookup(name)
            except NameError:
                continue  # the cell will report the missing name itself
            except Exception:
                continue
            if isinstance(value, RemoteObject) and object.__getattribute__(value, "_type_name") == "module":
                continue  # modules come from the instructor's imports, never from the student
            self.namespace[name] = value

    @contextlib.contextmanager
    def _in_assignment_dir(self):
        if self.assignment_dir is None:
            yield
            return
        with contextlib.chdir(self.assignment_dir):
            yield


def _exec_returning_last_value(source: str, namespace: dict, hidden_case_salt: int | None = None) -> Any:
    """Execute ``source``; return the value of its last line when that is an expression.

    Top-level statements on a line of the hidden-tests region run with ``hidden_case_salt`` as the
    case salt, the others without one.
    """
    tree = ast.parse(source)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body.pop()
    hidden = _hidden_lines(source)
    for statements in _runs(tree.body, hidden):
        with _salted(hidden_case_salt if _is_hidden(statements[0], hidden) else None):
            exec(compile(ast.Module(body=statements, type_ignores=[]), "<hidden test>", "exec"), namespace)
    if last is None:
        return None
    with _salted(hidden_case_salt if _is_hidden(last, hidden) else None):
        return eval(compile(ast.Expression(last.value), "<hidden test>", "eval"), namespace)


def _hidden_lines(source: str) -> set[int]:
    """The line numbers (from 1) between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``."""
    hidden, inside = set(), False
    for number, line in enumerate(source.splitlines(), start=1):
        if line.strip() == "### BEGIN HIDDEN TESTS":
            inside = True
        elif line.strip() == "### END HIDDEN TESTS":
            inside = False
        elif inside:
            hidden.add(number)
    return hidden


def _is_hidden(statement: ast.stmt, hidden: set[int]) -> bool:
    """Whether any line of ``statement`` is hidden (a statement holding the markers counts as hidden)."""
    return any(number in hidden for number in range(statement.lineno, statement.end_lineno + 1))


def _runs(statements: list[ast.stmt], hidden: set[int]) -> list[list[ast.stmt]]:
    """``statements`` in consecutive runs that are all hidden or all public."""
    runs: list[list[ast.stmt]] = []
    for statement in statements:
        if runs and _is_hidden(runs[-1][0], hidden) == _is_hidden(statement, hidden):
            runs[-1].append(statement)
        else:
            runs.append([statement])
    return runs


@contextlib.contextmanager
def _salted(salt: int | None):
    token = case_salt.set(salt)
    try:
        yield
    finally:
        case_salt.reset(token)


def _points_from_value(value: Any, max_points: float) -> float:
    """nbgrader's partial credit: a number as the last expression is the score (clipped)."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return max_points
    if isinstance(value, (int, float, np.integer, np.floating)):
        score = float(value)
        if math.isnan(score):
            return 0.0
        return min(max(score, 0.0), max_points)
    return max_points


def _explain(error: BaseException) -> str:
    """A failure in words, without a line of the hidden test's code."""
    message = str(error).strip()
    kind = type(error).__name__
    student_traceback = getattr(error, "student_traceback", None)
    if student_traceback:
        headline = f"Your code raised {kind}" + (f": {message}" if message and message != kind else "")
        return f"{headline}\n\n{student_traceback.strip()}"
    if kind == "CheckFailed" or (isinstance(error, AssertionError) and message):
        return message
    if isinstance(error, AssertionError):
        return "A hidden check failed (no further detail)."
    if isinstance(error, NameError):
        return f"{message}: define it in your notebook (did you rename or delete a function?)"
    return f"{kind}: {message}" if message else kind


def _heatmaps(error: BaseException) -> list[dict[str, Any]]:
    """The elementwise relative error a check attached to its failure, as a small 2-D grid.

    ``CheckFailed.details["relative_error"]`` is shaped like the wrong gradient, NaN where an
    element was not compared; NaN stays "not compared" (None in the grid) on the page.
    """
    details = getattr(error, "details", None)
    if not isinstance(details, dict) or details.get("relative_error") is None:
        return []
    try:
        grid = np.abs(np.asarray(details["relative_error"], dtype=float))
    except (TypeError, ValueError):
        return []
    if grid.ndim == 0 or grid.size == 0:
        return []
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices: nothing compared there
        while grid.ndim > 2:  # images (N, C, H, W): the worst over examples and channels per pixel
            grid = np.nanmax(grid, axis=0)
    if grid.ndim == 1:
        grid = grid[None, :]
    grid = grid[:MAX_HEATMAP_SIDE, :MAX_HEATMAP_SIDE]
    title = str(details.get("quantity") or details.get("check") or "gradient")
    worst = details.get("worst_index")
    return [{
        "title": title,
        "grid": [[None if not np.isfinite(v) else float(v) for v in row] for row in grid],
        "worst_index": [int(i) for i in worst] if isinstance(worst, (tuple, list)) else None,
        "diagnosis": str(details["diagnosis"]) if details.get("diagnosis") else None,
    }]
