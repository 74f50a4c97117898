"""answers_from: a student's functions brought over from another notebook, and what happens when
that notebook is unanswered, missing or damaged."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from backpropkit.layers.activations import relu_forward as library_relu_forward
from backpropkit.layer_set import LayerSet
from backpropkit.notebooks import answers_from

SETUP = "%matplotlib inline\nimport numpy as np\nSCALE = 3.0"
TWICE = "def twice(x):\n    return 2 * x * SCALE / 3.0"
RELU = "def relu_forward(x):\n    return np.maximum(x, 0.0) + 1.0, x  # marked, so the test can tell it from the library's"
STUB = "def relu_forward(x):\n    raise NotImplementedError('relu_forward: write your answer here')"


def _answer(grade_id: str, source: str) -> nbformat.NotebookNode:
    meta = {"nbgrader": {"grade_id": grade_id, "schema_version": 3, "solution": True, "grade": False, "locked": False}}
    return new_code_cell(source, metadata=meta)


def _write(path: Path, *cells: nbformat.NotebookNode) -> Path:
    path.write_text(nbformat.writes(new_notebook(cells=list(cells))))
    return path


def test_answered_functions_come_back_by_name_with_the_first_cells_imports(tmp_path: Path) -> None:
    path = _write(tmp_path / "1_layers.ipynb", new_code_cell(SETUP), new_markdown_cell("text"),
                  new_code_cell("raise RuntimeError('a cell that is neither setup nor an answer must not run')"),
                  _answer("twice", TWICE), _answer("relu_forward", RELU))
    yours = answers_from(path)
    assert sorted(yours) == ["relu_forward", "twice"]  # np and SCALE are not functions
    assert yours["twice"](5) == 10
    out, _ = yours["relu_forward"](np.array([-1.0, 2.0]))
    np.testing.assert_array_equal(out, [1.0, 3.0])
    assert yours["relu_forward"].__name__ == "relu_forward"


def test_a_later_notebook_replaces_functions_of_the_same_name(tmp_path: Path) -> None:
    first = _write(tmp_path / "first.ipynb", new_code_cell("import numpy as np"), _answer("relu_forward", STUB))
    second = _write(tmp_path / "second.ipynb", new_code_cell(SETUP), _answer("relu_forward", RELU))
    assert answers_from(first, second)["relu_forward"](np.array([0.0]))[0][0] == 1.0


def test_an_unanswered_function_names_the_notebook_to_answer_it_in(tmp_path: Path) -> None:
    path = _write(tmp_path / "1_layers.ipynb", new_code_cell(SETUP), _answer("relu_forward", STUB))
    relu_forward = answers_from(path)["relu_forward"]
    with pytest.raises(NotImplementedError, match=r"^relu_forward: not answered yet in .*layers\.ipynb"):
        relu_forward(np.zeros(2))


def test_an_unanswered_function_called_inside_an_answer_keeps_its_own_message(tmp_path: Path) -> None:
    calls_a_stub = "def relu_twice(x):\n    return relu_forward(relu_forward(x)[0])"
    path = _write(tmp_path / "1_layers.ipynb", new_code_cell(SETUP), _answer("relu_forward", STUB),
                  _answer("relu_twice", calls_a_stub))
    with pytest.raises(NotImplementedError, match=r"^relu_forward: not answered yet"):
        answers_from(path)["relu_twice"](np.zeros(2))


def test_a_missing_notebook_prints_one_line_and_the_library_fills_in(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    yours = answers_from("1_layers.ipynb")
    assert yours == {}
    assert capsys.readouterr().out == "1_layers.ipynb not found next to this notebook: the library's functions are used instead\n"
    layers = LayerSet.from_namespace(yours, fallback=LayerSet.reference())
    assert layers.relu_forward is library_relu_forward


def test_a_missing_notebook_does_not_hide_the_answers_of_the_others(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "1_layers.ipynb", new_code_cell(SETUP), _answer("relu_forward", RELU))
    yours = answers_from("../elsewhere/1_linear_classifiers.ipynb", "1_layers.ipynb")
    assert list(yours) == ["relu_forward"]
    assert "../elsewhere/1_linear_classifiers.ipynb not found" in capsys.readouterr().out
    assert LayerSet.from_namespace(yours, fallback=LayerSet.reference()).relu_forward is yours["relu_forward"]


@pytest.mark.parametrize(
    ("content", "message"),
    [('{"cells": [', r"broken\.ipynb is not a readable notebook"), ('{"nbformat": 4}', r"broken\.ipynb is not a notebook")],
)
def test_a_file_that_is_not_a_notebook_is_named_in_the_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        answers_from(path)


def test_an_answer_cell_that_fails_to_run_is_named_in_the_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "1_layers.ipynb", new_code_cell(SETUP), _answer("relu_forward", RELU),
                  _answer("relu_backward", "def relu_backward(dout, cache)\n    return dout"))
    with pytest.raises(RuntimeError, match=r"layers\.ipynb, cell 'relu_backward' failed: SyntaxError"):
        answers_from(path)


@pytest.mark.parametrize("arguments", [(), (3,)])
def test_bad_arguments_are_refused_clearly(arguments: tuple) -> None:
    with pytest.raises(TypeError, match="answers_from needs|notebook_paths must be paths"):
        answers_from(*arguments)


def test_magics_run_through_ipython_when_it_is_running(tmp_path, monkeypatch) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.delenv("BACKPROPKIT_MAGIC_RAN", raising=False)
    path = _write(tmp_path / "1_layers.ipynb", new_code_cell("%env BACKPROPKIT_MAGIC_RAN=yes\nimport os"),
                  _answer("magic_ran", "def magic_ran():\n    return os.environ['BACKPROPKIT_MAGIC_RAN']"))
    InteractiveShell.instance()
    try:
        assert answers_from(path)["magic_ran"]() == "yes"
    finally:
        InteractiveShell.clear_instance()


def test_given_functions_in_locked_cells_come_back_but_locked_work_does_not_run(tmp_path: Path) -> None:
    def locked(grade_id: str, source: str, **flags: bool) -> nbformat.NotebookNode:
        meta = {"nbgrader": {"grade_id": grade_id, "schema_version": 3, "solution": False, "locked": True,
                             "grade": False, **flags}}
        return new_code_cell(source, metadata=meta)

    path = _write(tmp_path / "net.ipynb", new_code_cell(SETUP),
                  locked("given_forward", "def forward(x):\n    return x * SCALE"),
                  locked("training", "raise RuntimeError('a locked cell that does work must not run')"),
                  locked("a_test", "def check():\n    raise RuntimeError('tests are not given functions')", grade=True),
                  _answer("twice", TWICE))
    yours = answers_from(path)
    assert sorted(yours) == ["forward", "twice"]
    assert yours["forward"](2.0) == 6.0
