"""The graded parts of the notebooks of assignments 05 (regularization), 06 (convnets) and 07 (GPUs).

Without starting a kernel, each test runs a notebook's import cell, its answer cells and its
test cells in one namespace, the way the grader's test cells meet a student's functions:

* with the reference answers every test cell passes,
* with every answer left as the release stub every graded cell fails with a message that says
  what to implement (a blank notebook scores zero),
* test cells only import from ``autograder.checks`` and pass literals or the notebook's functions
  (the grader re-runs them where the graded names are proxies, so nothing else would resolve).

That the builder scripts reproduce these notebooks is tested in test_builders.py.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
GRADED = [
    ROOT / "solutions" / "05_regularization" / "1_dropout.ipynb",
    ROOT / "solutions" / "05_regularization" / "2_batchnorm.ipynb",
    ROOT / "solutions" / "06_convnets" / "1_conv_pool.ipynb",
]
SOLUTION_REGION = re.compile(r"^(\s*)### BEGIN SOLUTION\n.*?^\s*### END SOLUTION\n?", re.MULTILINE | re.DOTALL)
HIDDEN_MARKERS = re.compile(r"^\s*### (BEGIN|END) HIDDEN TESTS\s*$", re.MULTILINE)


def _nbgrader(cell: nbformat.NotebookNode) -> dict:
    return cell.metadata.get("nbgrader", {})


def _code_cells(path: Path, *, setup: bool = False, answers: bool = False, tests: bool = False) -> list[str]:
    chosen = []
    for cell in nbformat.read(path, as_version=4).cells:
        meta = _nbgrader(cell)
        if cell.cell_type != "code":
            continue
        if (setup and meta.get("grade_id") == "setup") or (answers and meta.get("solution")) or (
            tests and meta.get("grade") and meta.get("points", 0) > 0
        ):
            chosen.append(cell.source)
    return chosen


def _python(source: str) -> str:
    """Cell source as plain Python: IPython magics dropped, hidden-test markers kept as comments."""
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("%"))


def _run(sources: list[str], scope: dict, where: Path) -> None:
    for source in sources:
        exec(compile(_python(source), str(where), "exec"), scope)


def _stubbed(source: str) -> str:
    """An answer cell as the student receives it: each solution region replaced by a stub."""
    return SOLUTION_REGION.sub(lambda match: f"{match.group(1)}raise NotImplementedError('stub')\n", source)


@pytest.mark.parametrize("path", GRADED, ids=lambda p: p.stem)
def test_graded_cells_pass_with_the_reference_answers(path: Path, capsys: pytest.CaptureFixture) -> None:
    scope: dict = {}
    _run(_code_cells(path, setup=True, answers=True), scope, path)
    tests = _code_cells(path, tests=True)
    assert tests, f"{path.name} has no graded test cells"
    _run(tests, scope, path)
    assert "✔" in capsys.readouterr().out  # the checks report success


@pytest.mark.parametrize("path", GRADED, ids=lambda p: p.stem)
def test_unanswered_exercises_fail_every_graded_cell(path: Path) -> None:
    scope: dict = {}
    _run(_code_cells(path, setup=True), scope, path)
    _run([_stubbed(source) for source in _code_cells(path, answers=True)], scope, path)
    for source in _code_cells(path, tests=True):
        with pytest.raises(AssertionError, match="implement"):
            _run([source], scope, path)


def _literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
        return True
    except ValueError:
        return False


@pytest.mark.parametrize("path", GRADED, ids=lambda p: p.stem)
def test_test_cells_import_only_checks_and_pass_literals(path: Path) -> None:
    answer_names = {
        node.name
        for source in _code_cells(path, answers=True)
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef)
    }
    imported_names = {  # provided functions the notebook imports, e.g. a forward pass that is not an exercise
        alias.asname or alias.name
        for source in _code_cells(path, setup=True)
        for node in ast.parse(_python(source)).body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    for source in _code_cells(path, tests=True):
        tree = ast.parse(source)
        assert HIDDEN_MARKERS.search(source), f"a graded cell of {path.name} has no hidden tests:\n{source}"
        for statement in tree.body:
            if isinstance(statement, ast.ImportFrom):
                assert statement.module == "autograder.checks", f"{path.name}: test cells import only from autograder.checks"
                continue
            assert isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call), (
                f"{path.name}: test cells only call checks, found: {ast.unparse(statement)}"
            )
            call = statement.value
            for argument in [*call.args, *(keyword.value for keyword in call.keywords)]:
                is_function = isinstance(argument, ast.Name) and argument.id in answer_names | imported_names
                assert is_function or _literal(argument), (
                    f"{path.name}: {ast.unparse(argument)} in {ast.unparse(call)} is neither a literal "
                    "nor a function the notebook defines or imports"
                )

