"""Hostile and broken submissions of the toy assignment, each with the grade it must get.

Each entry rewrites the reference notebook (tests/fixtures/grading_course/solutions/toy) the way a
careless or malicious student might. ``expected`` maps each test cell to the points it must earn:
the grader must neither be fooled into giving more nor lose points the student did earn, and every
zero that is not the student's own logic must come with a reason containing ``reason``.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

FIXTURE_SOURCE = Path(__file__).resolve().parents[1] / "fixtures" / "grading_course" / "solutions"
NOTEBOOK = "1_layers.ipynb"
FULL = {"affine_backward_tests": 3.0, "relu_backward_tests": 2.0}
ZERO = {"affine_backward_tests": 0.0, "relu_backward_tests": 0.0}

WRONG_AFFINE = '''def affine_backward(dout, cache):
    x, w = cache
    return np.zeros((dout.shape[0], w.shape[0])), np.zeros(w.shape), np.zeros(w.shape[1])'''
WRONG_RELU = '''def relu_backward(dout, x):
    return np.zeros_like(dout)'''


@dataclass(frozen=True)
class Adversary:
    student: str
    make: Callable[[dict, dict], bytes]  # (reference notebook, context) -> the submitted file's bytes
    expected: dict[str, float]
    reason: str | None = None  # a fragment every zero's recorded reason must contain
    notes: str = ""
    extra_files: dict[str, bytes] = field(default_factory=dict)


def reference() -> dict:
    return json.loads((FIXTURE_SOURCE / "toy" / NOTEBOOK).read_text())


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _grade_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _replace_answer(notebook: dict, grade_id: str, code: str) -> dict:
    notebook = copy.deepcopy(notebook)
    for cell in notebook["cells"]:
        if _grade_id(cell) == grade_id:
            cell["source"] = code
    return notebook


def _append_cell(notebook: dict, code: str, after: str | None = None) -> dict:
    notebook = copy.deepcopy(notebook)
    cell = {"cell_type": "code", "metadata": {}, "source": code, "outputs": [], "execution_count": None}
    if after is None:
        notebook["cells"].append(cell)
    else:
        index = next(i for i, c in enumerate(notebook["cells"]) if _grade_id(c) == after)
        notebook["cells"].insert(index + 1, cell)
    return notebook


def _dump(notebook: dict) -> bytes:
    return json.dumps(notebook).encode()


def _with_wrong_answers(notebook: dict) -> dict:
    return _replace_answer(_replace_answer(notebook, "affine_backward", WRONG_AFFINE), "relu_backward", WRONG_RELU)


def _without_test_cells(notebook: dict) -> dict:
    notebook = copy.deepcopy(notebook)
    notebook["cells"] = [c for c in notebook["cells"] if not (_grade_id(c) or "").endswith("_tests")]
    return notebook


def _edited_test_cells(notebook: dict) -> dict:
    notebook = copy.deepcopy(notebook)
    for cell in notebook["cells"]:
        if (_grade_id(cell) or "").endswith("_tests"):
            cell["source"] = "pass  # nothing to see here"
    return notebook


ADVERSARIES = [
    Adversary("honest", lambda nb, ctx: _dump(nb), FULL),
    Adversary("loops_forever_at_top", lambda nb, ctx: _dump(_append_cell(nb, "while True:\n    pass", after="setup")),
              FULL, notes="the looping cell is stopped and skipped; the answers after it still count"),
    Adversary("loops_forever_when_called",
              lambda nb, ctx: _dump(_replace_answer(nb, "affine_backward", "def affine_backward(dout, cache):\n    while True:\n        pass")),
              {"affine_backward_tests": 0.0, "relu_backward_tests": 2.0}, reason="time limit"),
    Adversary("exits_when_called",
              lambda nb, ctx: _dump(_replace_answer(nb, "affine_backward", "import os\ndef affine_backward(dout, cache):\n    os._exit(3)")),
              {"affine_backward_tests": 0.0, "relu_backward_tests": 2.0}, reason="exited with status 3"),
    Adversary("exits_at_top", lambda nb, ctx: _dump(_append_cell(nb, "import os\nos._exit(0)")),
              FULL, notes="a cell that ends the kernel is skipped; the answers defined before it still count"),
    Adversary("segfaults_when_called",
              lambda nb, ctx: _dump(_replace_answer(nb, "relu_backward", "import ctypes\ndef relu_backward(dout, x):\n    return ctypes.string_at(0)")),
              {"affine_backward_tests": 3.0, "relu_backward_tests": 0.0}, reason="segmentation fault"),
    Adversary("allocates_without_bound",
              lambda nb, ctx: _dump(_replace_answer(nb, "affine_backward",
                                                    "def affine_backward(dout, cache):\n    hoard = []\n    while True:\n        hoard.append(np.empty(2**27))")),
              {"affine_backward_tests": 0.0, "relu_backward_tests": 2.0}, notes="MemoryError inside the sandbox"),
    Adversary("fork_bomb", lambda nb, ctx: _dump(_append_cell(nb, "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass", after="setup")),
              FULL, notes="the forking cell is stopped, its processes killed, the answers still count"),
    Adversary("deletes_test_cells", lambda nb, ctx: _dump(_without_test_cells(_with_wrong_answers(nb))), ZERO),
    Adversary("deletes_test_cells_right_answers", lambda nb, ctx: _dump(_without_test_cells(nb)), FULL),
    Adversary("edits_test_cells", lambda nb, ctx: _dump(_edited_test_cells(_with_wrong_answers(nb))), ZERO),
    Adversary("patches_numpy", lambda nb, ctx: _dump(_append_cell(_with_wrong_answers(nb),
              "import numpy\nnumpy.allclose = lambda *a, **k: True\nnumpy.abs = lambda a: a * 0\nnumpy.argmax = lambda *a, **k: 0")), ZERO),
    Adversary("patches_the_checks", lambda nb, ctx: _dump(_append_cell(_with_wrong_answers(nb),
              "import toy_checks\ntoy_checks._compare = lambda *a, **k: None\ntoy_checks.relu_score = lambda f, points: points\n"
              "import builtins\nbuiltins.float = lambda *a: 1e9")), ZERO),
    Adversary("reads_the_source_notebook", lambda nb, ctx: _dump(_append_cell(_with_wrong_answers(nb),
              "import json\n"
              f"source = json.load(open({str(FIXTURE_SOURCE / 'toy' / NOTEBOOK)!r}))\n"
              "for cell in source['cells']:\n    if cell['cell_type'] == 'code' and 'def ' in ''.join(cell['source']):\n"
              "        exec(''.join(cell['source']))")), ZERO,
              notes="the source is out of reach: the stealing cell fails and the wrong answers stay"),
    Adversary("reads_another_student", lambda nb, ctx: _dump(_append_cell(_with_wrong_answers(nb),
              "import json\n"
              f"theirs = json.load(open({str(ctx['submitted'] / 'honest' / 'toy' / NOTEBOOK)!r}))\n"
              "for cell in theirs['cells']:\n    if cell['cell_type'] == 'code' and 'def ' in ''.join(cell['source']):\n        exec(''.join(cell['source']))")), ZERO),
    Adversary("imports_the_reference_library", lambda nb, ctx: _dump(_append_cell(_with_wrong_answers(nb),
              "from backpropkit.layers.affine import affine_backward as reference\n"
              "def affine_backward(dout, cache):\n    return reference(dout, cache)")), ZERO,
              notes="the sandbox imports the student edition, whose answers raise NotImplementedError"),
    Adversary("prints_megabytes", lambda nb, ctx: _dump(_append_cell(nb, "print('x' * 20_000_000)\nimport sys\nsys.__stdout__.write('y' * 5_000_000)")), FULL),
    Adversary("malformed_json", lambda nb, ctx: b'{"cells": [ this is not json', ZERO, reason="not a valid notebook"),
    Adversary("missing_notebook", lambda nb, ctx: b"", ZERO, reason="missing"),
    Adversary("links_the_font_cache_to_the_gradebook",
              lambda nb, ctx: _dump(_append_cell(_append_cell(nb, "import os\nos._exit(0)", after="setup"),
                                                 _link_font_cache_to(ctx["submitted"].parent / "gradebook.db"), after="setup")),
              FULL, notes="the kernel restart seeds a new home; the grader follows no link the student left"),
]


def _link_font_cache_to(target: Path) -> str:
    """A cell that points matplotlib's font list, where the grader once copied it, at ``target``."""
    return (
        "import glob, os\n"
        "names = [os.path.basename(p) for p in glob.glob(os.path.join(os.environ['MPLCONFIGDIR'], 'fontlist-*.json'))]\n"
        "for folder in (os.environ['MPLCONFIGDIR'], os.path.join(os.getcwd(), '.home', 'matplotlib')):\n"
        "    os.makedirs(folder, exist_ok=True)\n"
        "    for name in names or ['fontlist-v390.json']:\n"
        "        path = os.path.join(folder, name)\n"
        "        if os.path.lexists(path):\n"
        "            os.remove(path)\n"
        f"        os.symlink({str(target)!r}, path)\n"
    )


def _with_marks(notebook: dict, grade_ids: set[str | None], **marks) -> dict:
    """``notebook`` with ``marks`` written into the nbgrader metadata of the cells in ``grade_ids``."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook["cells"]:
        if _grade_id(cell) in grade_ids:
            cell["metadata"].setdefault("nbgrader", {}).update(marks)
    return notebook


def _with_metadata(notebook: dict, make: Callable[[dict], object]) -> dict:
    """``notebook`` with every cell's ``metadata.nbgrader`` replaced by ``make(that metadata)``."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook["cells"]:
        cell["metadata"]["nbgrader"] = make(cell["metadata"].get("nbgrader") or {})
    return notebook


def _with_unusual_cells(notebook: dict) -> dict:
    notebook = copy.deepcopy(notebook)
    notebook["cells"][0]["metadata"] = ["not", "a", "dict"]
    notebook["cells"] += ["a string where a cell should be", {"cell_type": "code", "source": [1, 2], "metadata": {}},
                          {"cell_type": "widget", "source": "x = 1", "metadata": {}}]
    return notebook


def _with_extra_graded_answer(notebook: dict) -> dict:
    notebook = _append_cell(notebook, "bonus = 1")
    notebook["cells"][-1]["metadata"]["nbgrader"] = {"grade": True, "solution": True, "grade_id": "bonus", "points": 100}
    return notebook


TESTS = {"affine_backward_tests", "relu_backward_tests"}

ADVERSARIES += [
    Adversary("claims_1000_points",
              lambda nb, ctx: _dump(_with_marks(_with_marks(nb, TESTS, points=1000), {"setup"}, grade=True, points=1000)),
              FULL, notes="points and test cells come from the instructor's source, not the submission"),
    Adversary("nbgrader_metadata_is_a_string", lambda nb, ctx: _dump(_with_metadata(nb, lambda marks: "grade")), FULL),
    Adversary("grade_id_is_a_list",
              lambda nb, ctx: _dump(_with_metadata(nb, lambda marks: {**marks, "grade_id": [marks.get("grade_id")]})), FULL),
    Adversary("points_are_null_and_text",
              lambda nb, ctx: _dump(_with_marks(_with_marks(nb, {"affine_backward_tests"}, points=None),
                                                {"relu_backward_tests"}, points="abc")), FULL),
    Adversary("answer_cell_marked_grade", lambda nb, ctx: _dump(_with_marks(nb, {"affine_backward"}, grade=True, points=10)),
              FULL),
    Adversary("extra_graded_answer_cell", lambda nb, ctx: _dump(_with_extra_graded_answer(nb)), FULL,
              notes="a graded cell the instructor never wrote is student code, worth nothing"),
    Adversary("unusual_cells", lambda nb, ctx: _dump(_with_unusual_cells(nb)), FULL,
              notes="cells that are not cells, or have no readable source, are dropped or run as empty code"),
    Adversary("lone_surrogates", lambda nb, ctx: _dump(_append_cell(nb, "text = '\ud800'\nprint(chr(0xdc00), text)\n"
                                                                        "raise ValueError(chr(0xd800))")), FULL,
              notes="text UTF-8 cannot hold, in a cell and in what it prints, costs nothing"),
]
