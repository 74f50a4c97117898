"""The grader's link to a sandboxed student process: proxies, callbacks, and what may cross the wire."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest

from autograder import checks
from autograder.checks.failures import CheckFailed
from autograder.grading import wire
from autograder.grading.collect import collect
from autograder.grading.records import Limits
from autograder.grading.student_link import RemoteObject, StudentCrashed, StudentSession, StudentTimeout
from autograder.grading.trusted_check import _heatmaps, _points_from_value
from autograder.grading.workspace import Workspace

SOURCE = Path(__file__).parent / "fixtures" / "grading_course" / "solutions"

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def session(tmp_path: Path):
    with StudentSession(tmp_path, Limits(cell_timeout=10, memory_bytes=2**31)) as student:
        student.set_time_limit(60)
        yield student


class _Evil:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned",))


def test_the_wire_refuses_anything_but_plain_data() -> None:
    with pytest.raises(wire.WireError, match="refused"):
        wire.loads(pickle.dumps(_Evil()))
    array = np.arange(6.0).reshape(2, 3)
    with pytest.raises(wire.WireError, match="refused"):  # arrays cross as (dtype, shape, bytes), never as pickles
        wire.loads(pickle.dumps(("value", ("v", array)), protocol=4))
    message = wire.loads(pickle.dumps(("a", array.dtype.str, array.shape, array.tobytes()), protocol=4))
    assert np.array_equal(wire.array_from_wire(*message[1:]), array)
    with pytest.raises(wire.WireError):
        wire.check_plain(np.array([object()], dtype=object))


def test_functions_arrays_and_caches_cross_as_proxies_and_copies(session: StudentSession) -> None:
    ran = session.run_cell(
        "import numpy as np\n"
        "class Node:\n    def __init__(self, v):\n        self.v = v\n"
        "    def __add__(self, other):\n        return Node(self.v + (other.v if isinstance(other, Node) else other))\n"
        "def forward(x):\n    return 2 * x, (x, Node(1.0))\n"
        "def backward(dout, cache):\n    x, node = cache\n    return 2 * dout * node.v\n"
    )
    assert ran.ok, ran.error
    forward, backward = session.lookup("forward"), session.lookup("backward")
    assert isinstance(forward, RemoteObject)
    assert forward.__name__ == "forward"  # failed checks name the student's function
    out, cache = forward(np.ones(3))
    assert np.array_equal(out, 2 * np.ones(3))
    assert isinstance(cache[1], RemoteObject)  # an object stays in the student process: a handle
    assert np.array_equal(backward(np.ones(3), cache), 2 * np.ones(3))
    node = session.lookup("Node")(2.0)
    assert (node + 3).v == 5.0 and (node + node).v == 4.0


def test_a_student_function_can_call_back_a_function_of_the_checker(session: StudentSession) -> None:
    session.run_cell(
        "import numpy as np\n"
        "def numerical_gradient(f, x, h=1e-5):\n"
        "    grad = np.zeros_like(x)\n"
        "    for i in range(x.size):\n"
        "        step = np.zeros_like(x); step.flat[i] = h\n"
        "        grad.flat[i] = (f(x + step) - f(x - step)) / (2 * h)\n"
        "    return grad\n"
    )
    x = np.array([1.0, -2.0, 3.0])
    gradient = session.lookup("numerical_gradient")(lambda v: float(np.sum(v**2)), x)
    assert np.allclose(gradient, 2 * x)


def test_student_exceptions_arrive_as_the_same_builtin_type_with_the_line(session: StudentSession) -> None:
    session.run_cell("def f(x):\n    return x.reshape(7)\n")
    with pytest.raises(ValueError, match=r"in f, line 2: return x.reshape\(7\)"):
        session.lookup("f")(np.ones(3))
    with pytest.raises(NameError):
        session.lookup("not_defined_anywhere")


def test_a_hang_is_a_timeout_and_a_crash_says_how_it_died(session: StudentSession) -> None:
    session.run_cell("import os\ndef hang():\n    while True:\n        pass\ndef leave():\n    os._exit(7)\n")
    hang, leave = session.lookup("hang"), session.lookup("leave")
    session.set_time_limit(1.0)
    with pytest.raises(StudentTimeout):
        hang()
    session.close()
    session.start()
    session.set_time_limit(30)
    session.run_cell("import os\ndef leave():\n    os._exit(7)\n")
    with pytest.raises(StudentCrashed, match="status 7"):
        session.lookup("leave")()


NAIVE_SIGMOID = "import numpy as np\ndef sigmoid_forward(x):\n    out = 1 / (1 + np.exp(-x))\n    return out, out\n"


def test_a_warning_in_the_student_process_fails_a_check_as_it_does_in_the_notebook(session: StudentSession) -> None:
    """The values of a naive sigmoid are right even at -1000, but exp overflows on the way there."""
    in_notebook: dict = {}
    exec(NAIVE_SIGMOID, in_notebook)
    assert session.run_cell(NAIVE_SIGMOID).ok
    verdicts = []
    for sigmoid_forward in (in_notebook["sigmoid_forward"], session.lookup("sigmoid_forward")):
        with pytest.raises(CheckFailed) as failure:
            checks.check_forward(sigmoid_forward, "sigmoid", inputs={"x": [[-1000.0, 0.0, 1000.0]]}, name="sigmoid_forward")
        verdicts.append(str(failure.value))
    assert verdicts[0] == verdicts[1]
    assert "RuntimeWarning: overflow encountered in exp" in verdicts[0]


@pytest.mark.slow
def test_bpk_grade_check_takes_the_hidden_points_of_a_sigmoid_that_overflows(tmp_path: Path) -> None:
    """The hidden sigmoid test tries x = +-1000, where the naive formula overflows: the points of that
    test go, with the warning named, as they would in the notebook; the public test still passes."""
    from accuracy.corpus import SOLUTIONS, PlantedBug, write_course

    from autograder.grading.self_check import check_notebook

    naive = PlantedBug("sigmoid_forward/naive_exp", "03_backprop/1_layers.ipynb", "sigmoid_forward",
                       NAIVE_SIGMOID.split("\n", 1)[1], "overflow encountered in exp")
    result, hidden = check_notebook(write_course(naive, tmp_path), SOLUTIONS, Limits(cell_timeout=60, notebook_timeout=300))
    tests = {test.grade_id: test for test in result.tests}
    assert hidden and tests["sigmoid_public"].failure is None
    assert tests["sigmoid_hidden"].points == 0 and naive.mistake in tests["sigmoid_hidden"].failure


def test_a_warning_of_a_category_the_grader_does_not_know_keeps_its_name(session: StudentSession) -> None:
    session.run_cell("import warnings\nclass SlowWarning(Warning):\n    pass\n"
                     "def f():\n    warnings.warn('this is slow', SlowWarning)\n    return 1\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert session.lookup("f")() == 1
    assert [str(warning.message) for warning in caught] == ["SlowWarning: this is slow"]


def test_the_sandbox_sees_only_its_own_folder(session: StudentSession, tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("mine")
    assert session.run_cell("print(open('mine.txt').read())").output == "mine\n"
    blocked = session.run_cell(f"open({str(SOURCE / 'toy' / '1_layers.ipynb')!r}).read()")
    assert not blocked.ok and "PermissionError" in blocked.error
    assert not session.run_cell("import socket\nsocket.create_connection(('127.0.0.1', 22), timeout=1)").ok


def test_points_follow_nbgraders_rule_for_partial_credit() -> None:
    assert _points_from_value(None, 3.0) == 3.0
    assert _points_from_value(np.float64(0.5), 3.0) == 0.5  # nbgrader itself gave full credit here
    assert _points_from_value(7, 3.0) == 3.0 and _points_from_value(-1.0, 3.0) == 0.0
    assert _points_from_value(float("nan"), 3.0) == 0.0


def test_heat_maps_come_from_the_checks_details_and_keep_uncompared_elements_blank() -> None:
    class CheckFailed(AssertionError):
        details = {"quantity": "dw", "relative_error": np.array([[0.1, np.nan], [1e-9, 0.5]]), "worst_index": (1, 1)}

    (heatmap,) = _heatmaps(CheckFailed("dw is wrong"))
    assert heatmap["title"] == "dw" and heatmap["grid"] == [[0.1, None], [1e-9, 0.5]]
    assert _heatmaps(AssertionError("plain")) == []
    images = type("F", (AssertionError,), {"details": {"relative_error": np.ones((2, 3, 4, 5))}})
    assert np.array(_heatmaps(images("x"))[0]["grid"]).shape == (4, 5)


def test_collect_takes_the_latest_submission_from_an_nbgrader_exchange(tmp_path: Path) -> None:
    inbound = tmp_path / "exchange" / "course" / "inbound"
    notebook = (SOURCE / "toy" / "1_layers.ipynb").read_text()
    for stamp, text in [("2026-01-01 10:00:00.000000 UTC", "old"), ("2026-01-02 10:00:00.000000 UTC", "new")]:
        folder = inbound / f"ana+toy+{stamp}+abc{text}"
        folder.mkdir(parents=True)
        (folder / "1_layers.ipynb").write_text(notebook)
        (folder / "which.txt").write_text(text)
    (inbound / "ana+other+2026-01-03 10:00:00.000000 UTC+xyz").mkdir()
    workspace = Workspace(tmp_path / "grading", SOURCE)
    report = collect(workspace, "toy", tmp_path / "exchange" / "course")
    assert report.imported == ["ana"]
    assert (workspace.submission_dir("ana", "toy") / "which.txt").read_text() == "new"


def test_a_traceback_names_the_cell_by_its_number_and_no_path_of_the_grading_machine(session, tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("def halve(x):\n    raise ValueError('odd length')\n")
    in_numpy = session.run_cell("import numpy as np\ndef square(x):\n    return np.reshape(x, (4, 4))\nsquare(np.ones(3))",
                                number=7)
    in_a_file = session.run_cell("import helper\nhelper.halve([1, 2, 3])", number=9)
    with_magic = session.run_cell("%time x = 1\n1 / 0", number=4)
    assert '<cell 7>", line 4' in in_numpy.error and '<cell 7>", line 3, in square' in in_numpy.error
    assert "numpy/" in in_numpy.error  # library frames keep their package-relative name
    assert '<cell 9>", line 2' in in_a_file.error and 'File "helper.py", line 2, in halve' in in_a_file.error
    assert "<cell 4>" in with_magic.error and "ZeroDivisionError" in with_magic.error
    for error in (in_numpy.error, in_a_file.error, with_magic.error):
        assert "site-packages" not in error and "/root" not in error and str(tmp_path) not in error
        assert "student_process" not in error and 'File "/' not in error


def _check_cells(tmp_path: Path, *sources: str):
    """``bpk-grade check`` of a notebook without an instructor source: a source starting with "#"
    is a markdown cell, any other a code cell."""
    import nbformat

    from autograder.grading.self_check import check_notebook

    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(source) if source.startswith("#") else nbformat.v4.new_code_cell(source)
        for source in sources
    ])
    path = tmp_path / "warmup.ipynb"
    path.write_text(nbformat.writes(notebook))
    return check_notebook(path, tmp_path / "no_source", Limits(cell_timeout=20, memory_bytes=2**31))


def test_feedback_and_the_traceback_give_a_failing_cell_the_same_number(tmp_path: Path) -> None:
    result, _ = _check_cells(tmp_path, "# Warm-up", "x = 1", "# Now a function", "def f():\n    raise ValueError('boom')\nf()")
    [failed] = [cell for cell in result.cell_outputs if cell.error]
    assert failed.index + 1 == 4  # the number the feedback page shows
    assert '<cell 4>", line 3' in failed.error and '<cell 4>", line 2, in f' in failed.error


def test_check_shows_a_failing_public_checks_whole_message(tmp_path: Path) -> None:
    from autograder.grading.self_check import format_report

    result, hidden = _check_cells(tmp_path, "raise AssertionError('dx is wrong\\nlargest error at [0, 2]')")
    report = format_report(result, hidden)
    assert "dx is wrong" in report and "largest error at [0, 2]" in report
