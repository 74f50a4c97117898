"""The notebooks of assignments 03_backprop and 04_optimization.

The builder scripts are the source of these notebooks (test_builders.py checks that the committed
notebooks are exactly what they write). The test cells must be runnable by the grader, which
replaces the graded functions by proxies in another process: they may only import checks and call
them with literal arguments. And ``two_layer_net_backward``, the one exercise with no library
counterpart, is checked here the way the library's graded functions are checked in their own tests:
its reference answer passes the grading check, and typical mistakes fail it.

3_deep_networks.ipynb trains networks on the student's layers. The student edition of the library
leaves out every update rule until notebook 4, so the notebook must train with its own
gradient-descent step: the slow tests run the released notebook on the student edition, once with
the answers of notebooks 2 and 3 filled in (it must run without an error) and once with notebook
3 left blank (every error must name an exercise of notebook 3).
"""

from __future__ import annotations

import ast
import builtins
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.checks import CheckFailed, check_backward
from backpropkit.backend import namespace

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = {
    "03_backprop": ("1_layers", "2_two_layer_net", "3_deep_networks", "4_sequential"),
    "04_optimization": ("1_update_rules", "2_schedules"),
}
ALL_NOTEBOOKS = [(assignment, name) for assignment, names in NOTEBOOKS.items() for name in names]


def _read(assignment: str, name: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "solutions" / assignment / f"{name}.ipynb", as_version=4)


def _graded_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The autograded test cells (written answers, graded by hand, are markdown)."""
    return [cell for cell in notebook.cells if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")]


def _answer_cells(notebook: nbformat.NotebookNode) -> dict[str, str]:
    return {
        cell.metadata["nbgrader"]["grade_id"]: cell.source
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }


@pytest.mark.parametrize(("assignment", "name"), ALL_NOTEBOOKS)
def test_solution_notebooks_are_stored_without_outputs(assignment: str, name: str) -> None:
    for cell in _read(assignment, name).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize(("assignment", "name"), ALL_NOTEBOOKS)
def test_test_cells_only_call_checks_with_literal_arguments(assignment: str, name: str) -> None:
    notebook = _read(assignment, name)
    graded_names = set(_answer_cells(notebook)) | {"affine_forward", "two_layer_net_forward"}
    for cell in _graded_cells(notebook):
        where = f"{name}.ipynb, test cell {cell.metadata['nbgrader']['grade_id']}"
        tree = ast.parse(cell.source)
        for statement in tree.body:
            if isinstance(statement, ast.ImportFrom):
                assert statement.module == "autograder.checks", f"{where} imports from {statement.module}"
                continue
            assert isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call), (
                f"{where}: only calls of checks are allowed, found {ast.dump(statement)[:80]}"
            )
            call = statement.value
            assert isinstance(call.func, ast.Name) and call.func.id.startswith("check_"), f"{where}: calls {ast.unparse(call.func)}"
            for argument in [*call.args, *(keyword.value for keyword in call.keywords)]:
                names = {node.id for node in ast.walk(argument) if isinstance(node, ast.Name)}
                assert names <= graded_names, f"{where}: an argument refers to {sorted(names - graded_names)}"


@pytest.mark.parametrize(("assignment", "name"), ALL_NOTEBOOKS)
def test_every_hidden_test_cell_is_worth_points(assignment: str, name: str) -> None:
    for cell in _graded_cells(_read(assignment, name)):
        meta = cell.metadata["nbgrader"]
        if "### BEGIN HIDDEN TESTS" in cell.source:
            assert meta["points"] > 0, f"{meta['grade_id']} hides tests but is worth no points"
        else:
            assert meta["points"] == 0, f"{meta['grade_id']} is a public check; its points belong to the hidden cell"


def _names_defined_by(source: str) -> set[str]:
    """Names a cell binds at top level: imports, functions, assignments."""
    names = set()
    for statement in ast.parse(source).body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in statement.names}
        elif isinstance(statement, (ast.FunctionDef, ast.ClassDef)):
            names.add(statement.name)
        elif isinstance(statement, ast.Assign):
            names |= {node.id for target in statement.targets for node in ast.walk(target) if isinstance(node, ast.Name)}
    return names


def _free_names(function: ast.FunctionDef) -> set[str]:
    """Global names a function reads: loaded names that are not its parameters or its own variables."""
    arguments = function.args
    local = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
    local |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
    loaded = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else local).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.arg)) and node is not function:
            local.add(node.name if isinstance(node, ast.FunctionDef) else node.arg)
    return loaded - local - set(dir(builtins))


@pytest.mark.parametrize(("assignment", "name"), ALL_NOTEBOOKS)
def test_answer_cells_use_only_names_the_notebook_defines(assignment: str, name: str) -> None:
    # Answer cells are the library's functions: every helper they call must be imported in the
    # notebook, or the student's copy fails with a NameError the library never shows.
    defined: set[str] = set()
    for cell in _read(assignment, name).cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        if cell.metadata.get("nbgrader", {}).get("solution"):
            for function in ast.parse(source).body:
                if isinstance(function, ast.FunctionDef):
                    missing = _free_names(function) - defined - {function.name}
                    assert not missing, f"{name}.ipynb: {function.name} uses {sorted(missing)}, which no earlier cell defines"
        defined |= _names_defined_by(source)


# --- the two-layer network exercise -----------------------------------------------------------


def _two_layer_functions(answer_source: str | None = None) -> tuple:
    """two_layer_net_forward and two_layer_net_backward as defined by the solution notebook."""
    notebook = _read("03_backprop", "2_two_layer_net")
    forward_source = next(
        cell.source for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "two_layer_net_forward"
    )
    names: dict = {"namespace": namespace}
    exec(forward_source, names)
    exec(answer_source or _answer_cells(notebook)["two_layer_net_backward"], names)
    return names["two_layer_net_forward"], names["two_layer_net_backward"]


CASE = {
    "X": (6, 4),
    "Y": [[1, 0, 1], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 0, 0], [1, 0, 0]],
    "W1": (4, 5),
    "b1": (5,),
    "W2": (5, 3),
    "b2": (3,),
}


def _check(forward, backward) -> None:
    check_backward(forward, backward, inputs=CASE, params={"reg": 0.7}, wrt=["W1", "b1", "W2", "b2"], seed=3, name="two_layer_net")


def test_two_layer_net_reference_answer_passes_the_check() -> None:
    _check(*_two_layer_functions())


@pytest.mark.parametrize(
    ("right", "wrong", "mistake"),
    [
        ("db2 = xp.sum(delta2, axis=0)", "db2 = xp.sum(delta2, axis=0) + dJ * (reg / m) * b2_like(delta2)", "penalized bias"),
        ("delta2 = dJ * (Y_hat - Y) / m", "delta2 = (Y_hat - Y) / m", "forgotten upstream gradient"),
        ("delta2 = dJ * (Y_hat - Y) / m", "delta2 = dJ * (Y_hat - Y)", "sum instead of mean"),
        ("delta1 = dA * A * (1.0 - A)", "delta1 = dA * (1.0 - A)", "wrong sigmoid derivative"),
        ("dW1 = X.T @ delta1 + dJ * (reg / m) * W1", "dW1 = X.T @ delta1", "missing penalty gradient"),
    ],
)
def test_two_layer_net_check_catches_mistakes(right: str, wrong: str, mistake: str) -> None:
    source = _answer_cells(_read("03_backprop", "2_two_layer_net"))["two_layer_net_backward"]
    assert right in source, f"the reference answer no longer contains {right!r}"
    planted = source.replace(right, wrong).replace("b2_like(delta2)", "xp.ones_like(delta2[0])")
    forward, backward = _two_layer_functions(planted)
    with pytest.raises(CheckFailed):
        _check(forward, backward)


def test_two_layer_net_forward_is_stable_for_large_logits() -> None:
    forward, _ = _two_layer_functions()
    X = np.array([[50.0, -50.0]])
    W1, b1 = np.eye(2) * 10, np.zeros(2)
    W2, b2 = np.array([[100.0], [-100.0]]), np.zeros(1)
    with np.errstate(all="raise"):
        cost, _ = forward(X, np.array([[0.0]]), W1, b1, W2, b2, reg=0.0)
    assert np.isfinite(cost) and float(cost) > 50  # confidently wrong: a large but finite cost


# --- 3_deep_networks.ipynb on the student edition -----------------------------------------------


def test_deep_networks_trains_only_with_update_rules_it_defines() -> None:
    # A rule named by string ("adam") comes from the library, where students only get a stub.
    notebook = _read("03_backprop", "3_deep_networks")
    defined: set[str] = set()
    trainer_calls = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Trainer":
                trainer_calls += 1
                rule = node.args[1] if len(node.args) > 1 else next(k.value for k in node.keywords if k.arg == "update_rule")
                assert isinstance(rule, ast.Name) and rule.id in defined, (
                    f"3_deep_networks.ipynb trains with {ast.unparse(rule)}, which is not a function the notebook defines"
                )
        defined |= _names_defined_by(source)
    assert trainer_calls > 0


def _run_deep_networks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, answered: set[str]) -> nbformat.NotebookNode:
    return _run_released(tmp_path, monkeypatch, "3_deep_networks", ["1_linear_classifiers", "1_layers"], answered=answered)


def _run_released(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, earlier: list[str], *,
                  answered: set[str]) -> nbformat.NotebookNode:
    """Execute the released 03_backprop notebook ``name`` with the student edition of the library, in
    a copy of course/ holding the ``earlier`` notebooks it loads answers from, where those named in
    ``answered`` are replaced by their solutions."""
    from nbclient import NotebookClient

    course = tmp_path / "course"
    for notebook_name in [*earlier, name]:
        assignment = "02_linear_classifiers" if notebook_name == "1_linear_classifiers" else "03_backprop"
        source = ROOT / ("solutions" if notebook_name in answered else "course") / assignment / f"{notebook_name}.ipynb"
        (course / assignment).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, course / assignment / f"{notebook_name}.ipynb")
    notebook = nbformat.read(course / "03_backprop" / f"{name}.ipynb", as_version=4)
    student_edition = ROOT / "course" / "lib"
    notebook.cells.insert(0, nbformat.v4.new_code_cell(
        f"import backpropkit\nassert backpropkit.__file__.startswith({str(student_edition)!r}), backpropkit.__file__"
    ))
    monkeypatch.setenv("PYTHONPATH", str(student_edition))
    monkeypatch.setenv("BACKPROPKIT_QUICK", "1")
    NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(course / "03_backprop")}}).execute()
    return notebook


def _outputs(notebook: nbformat.NotebookNode, output_type: str) -> list[nbformat.NotebookNode]:
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
            if output.output_type == output_type]


@pytest.mark.slow
def test_deep_networks_runs_on_the_student_edition_once_notebooks_2_and_3_are_answered(tmp_path, monkeypatch) -> None:
    notebook = _run_deep_networks(tmp_path, monkeypatch, answered={"1_linear_classifiers", "1_layers"})
    errors = [f"{error.ename}: {error.evalue}" for error in _outputs(notebook, "error")]
    assert not errors, f"3_deep_networks.ipynb failed for a student who answered notebooks 2 and 3: {errors}"
    stderr = [stream.text for stream in _outputs(notebook, "stream") if stream.name == "stderr"]
    assert not stderr, f"3_deep_networks.ipynb wrote to stderr: {stderr}"
    printed = "".join(stream.text for stream in _outputs(notebook, "stream") if stream.name == "stdout")
    assert "test accuracy" in printed and "dead units per hidden layer" in printed


@pytest.mark.slow
def test_sequential_reproduces_the_hand_written_two_layer_net_on_the_students_answers(tmp_path, monkeypatch) -> None:
    notebook = _run_released(tmp_path, monkeypatch, "4_sequential", ["1_linear_classifiers", "1_layers", "2_two_layer_net"],
                             answered={"1_linear_classifiers", "1_layers", "2_two_layer_net"})
    errors = [f"{error.ename}: {error.evalue}" for error in _outputs(notebook, "error")]
    assert not errors, f"4_sequential.ipynb failed for a student who answered notebooks 2 and 3: {errors}"
    printed = "".join(stream.text for stream in _outputs(notebook, "stream") if stream.name == "stdout")
    assert printed.count("yours") == 7, printed  # every layer it trains is the student's
    differences = [float(line.split(":")[-1]) for line in printed.splitlines()
                   if line.startswith("largest difference between the two cost curves")]
    assert differences and differences[0] < 1e-12, printed
    gradient_gaps = [float(line.split("largest difference ")[1].split(" ")[0]) for line in printed.splitlines()
                     if line.startswith("d") and "largest difference" in line]
    assert len(gradient_gaps) == 4 and max(gradient_gaps) < 1e-12, printed


@pytest.mark.slow
def test_deep_networks_with_notebook_3_blank_fails_only_on_its_exercises(tmp_path, monkeypatch) -> None:
    notebook = _run_deep_networks(tmp_path, monkeypatch, answered={"1_linear_classifiers"})
    exercises = set(_answer_cells(_read("03_backprop", "1_layers")))
    errors = _outputs(notebook, "error")
    assert errors, "the blank release of 1_layers.ipynb should leave 3_deep_networks.ipynb unable to train"
    for error in errors:
        named = error.evalue.split(":")[0]
        assert error.ename == "NotImplementedError" and named in exercises, (
            f"expected only unanswered exercises of 1_layers.ipynb, got {error.ename}: {error.evalue}"
        )
