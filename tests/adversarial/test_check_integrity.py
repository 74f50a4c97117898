"""Check integrity: a backward pass is judged against the instructor's reference, and must be derived.

The plain-Python tests drive the real checks with ordinary functions named as the hidden tests
name them (the grader's proxies carry those names); the end-to-end ones grade small notebooks in
the sandbox, as a class would be graded.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from autograder import checks
from autograder.checks import layer_checks
from autograder.checks.failures import CheckFailed
from autograder.grading.records import Limits
from autograder.grading.self_check import check_notebook
from autograder.grading.student_library import build_student_library
from autograder.grading.student_link import StudentSession
from backpropkit.gradcheck import numerical_gradient
from backpropkit.layers import activations, affine, batchnorm, conv
from backpropkit.layers.conv_fast import conv_backward_fast, conv_forward_fast
from backpropkit.losses import softmax_loss

DERIVE = "must be derived, not differenced"
TWO_LAYER_CASE = {"X": (4, 5), "Y": [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]],
                  "W1": (5, 3), "b1": (3,), "W2": (3, 4), "b2": (4,)}


def named(function, name: str):
    """``function`` under the name a hidden test gives it (as the grader's proxies are named)."""
    function.__name__ = name
    return function


def centered_backward(forward, wrt: list[str], params: dict | None = None, h: float = 1e-5):
    """A "backward" that differentiates ``forward`` by centered differences, inputs taken from the cache."""
    params = params or {}

    def backward(dout, cache):
        inputs = dict(zip(wrt, cache["inputs"]))
        grads = []
        for name in wrt:
            def f(value, name=name):
                return float(np.sum(forward(*dict(inputs, **{name: value}).values(), **params)[0] * dout))

            grads.append(numerical_gradient(f, inputs[name].copy(), h=h))
        return tuple(grads) if len(grads) > 1 else grads[0]

    return backward


def caching_inputs(forward):
    """``forward`` with a cache that keeps its inputs, for the finite-difference "backward"."""

    def wrapped(*inputs, **params):
        out, _ = forward(*inputs, **params)
        return out, {"inputs": [np.array(value, dtype=float) for value in inputs]}

    return wrapped


# --- item 4: the numerical gradient comes from the reference forward -------------------------------


def test_a_forward_redefined_to_a_constant_does_not_pass_a_zero_backward():
    def two_layer_net_forward(X, Y, W1, b1, W2, b2, *, reg):
        return np.array(0.0), (X, Y, None, None, W1, W2, reg)

    def two_layer_net_backward(dJ, cache):
        _, _, _, _, W1, W2, _ = cache
        return np.zeros_like(W1), np.zeros(W1.shape[1]), np.zeros_like(W2), np.zeros(W2.shape[1])

    with pytest.raises(CheckFailed, match="dW1 is wrong"):
        checks.check_backward(two_layer_net_forward, two_layer_net_backward, inputs=TWO_LAYER_CASE,
                              params={"reg": 0.5}, wrt=["W1", "b1", "W2", "b2"], seed=143)


@pytest.mark.parametrize("on_repeat", [np.nan, 0.0])
def test_a_forward_that_changes_on_a_repeated_input_does_not_pass_a_missing_backward(on_repeat):
    seen = set()

    def relu_forward(x):
        key = np.round(x, 3).tobytes()  # a probe x +- h counts as seen again
        out = np.maximum(x, 0) if key not in seen else np.full(x.shape, on_repeat)
        seen.add(key)
        return out, x

    def relu_backward(dout, cache):
        return np.zeros_like(dout)

    with pytest.raises(CheckFailed, match="dx is wrong"):
        checks.check_backward(relu_forward, relu_backward, {"x": (9, 3)}, seed=41)


def test_without_references_a_check_that_compares_nothing_fails(monkeypatch):
    """The student edition differentiates the student's own forward: NaN probes leave nothing to compare."""
    monkeypatch.setattr(layer_checks, "references", None)
    calls = []

    def forward(x):
        calls.append(1)
        return (np.maximum(x, 0) if len(calls) == 1 else np.full(x.shape, np.nan)), x

    with pytest.raises(CheckFailed, match="compares nothing fails"):
        checks.check_backward(forward, lambda dout, x: np.zeros_like(dout), {"x": (4, 5)}, seed=0)


def test_a_correct_conv_backward_keeps_its_points_beside_a_forward_that_ignores_the_stride():
    def conv_forward_naive(x, w, b, stride=1, pad=0):
        out, cache = conv.conv_forward_naive(x, w, b, stride=1, pad=pad)  # the stride is ignored
        return out, (x, w, b, stride, pad)

    conv_backward_naive = named(lambda dout, cache: conv.conv_backward_naive(dout, cache), "conv_backward_naive")
    with pytest.raises(CheckFailed):
        checks.check_conv_forward(conv_forward_naive, (2, 2, 7, 5), (3, 2, 3, 3), stride=2, pad=1, seed=41)
    checks.check_conv_backward(conv_forward_naive, conv_backward_naive, (2, 2, 7, 5), (3, 2, 3, 3), stride=2, pad=1, seed=41)


def test_a_correct_dropout_backward_keeps_its_points_beside_a_forward_that_returns_zeros():
    from backpropkit.layers.dropout import dropout_backward

    def dropout_forward(x, keep_prob, *, train=True, rng=None):
        return (np.zeros_like(x), np.zeros_like(x)) if train else (x, None)

    zero_backward = named(lambda dout, cache: np.zeros_like(dout) if cache is not None else dout, "dropout_backward")
    with pytest.raises(CheckFailed, match="dx is wrong"):
        checks.check_dropout_backward(dropout_forward, zero_backward, (20, 30), 0.5, seed=0)
    checks.check_dropout_backward(dropout_forward, dropout_backward, (20, 30), 0.5, seed=0)


# --- item 5: a backward computed by finite differences earns nothing -------------------------------


LAYERS = {  # backward's name: (reference forward, inputs, params)
    "affine_backward": (affine.affine_forward, {"x": (4, 5), "w": (5, 3), "b": (3,)}, {}),
    "relu_backward": (activations.relu_forward, {"x": (4, 5)}, {}),
    "sigmoid_backward": (activations.sigmoid_forward, {"x": (4, 5)}, {}),
    "batchnorm_backward": (batchnorm.batchnorm_forward, {"x": (6, 4), "gamma": (4,), "beta": (4,)}, {"train": True}),
}


@pytest.mark.parametrize("backward_name", sorted(LAYERS))
def test_a_backward_by_centered_differences_of_the_own_forward_earns_nothing(backward_name):
    forward, inputs, params = LAYERS[backward_name]
    own_forward = caching_inputs(forward)
    backward = named(centered_backward(forward, list(inputs), params), backward_name)
    with pytest.raises(CheckFailed, match=DERIVE):
        checks.check_backward(own_forward, backward, inputs, params, seed=3)


def test_a_backward_by_differences_of_any_function_earns_nothing():
    """The sigmoid's derivative by centered differences of SciPy's expit, on the student's own cache."""
    from scipy.special import expit

    def sigmoid_backward(dout, out):
        x = np.log(out / (1 - out))  # the input, recovered from the cached output
        return dout * (expit(x + 1e-5) - expit(x - 1e-5)) / 2e-5

    with pytest.raises(CheckFailed, match=DERIVE):
        checks.check_backward(activations.sigmoid_forward, sigmoid_backward, {"x": (4, 5)}, seed=0)


def test_a_conv_backward_by_differences_earns_nothing():
    forward = caching_inputs(conv.conv_forward_naive)
    backward = named(centered_backward(conv.conv_forward_naive, ["x", "w", "b"], {"stride": 2, "pad": 1}),
                     "conv_backward_naive")
    with pytest.raises(CheckFailed, match=DERIVE):
        checks.check_conv_backward(forward, backward, (1, 2, 5, 5), (2, 2, 3, 3), stride=2, pad=1, seed=0)


def test_a_loss_gradient_by_differences_earns_nothing():
    def softmax_loss_differenced(scores, y):
        def value(s):
            shifted = s - s.max(axis=1, keepdims=True)
            return float(np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(len(y)), y]))

        return value(scores), numerical_gradient(value, scores.copy())

    with pytest.raises(CheckFailed, match=DERIVE):
        checks.check_softmax_loss(named(softmax_loss_differenced, "softmax_loss"), 5, 4, seed=3)


def test_a_penalty_gradient_by_richardson_extrapolation_earns_nothing():
    """A finite difference of order h^6 still misses the exact derivative of a non-polynomial loss."""

    def binary_cross_entropy_loss(logits, y):
        def value(z):
            return float(np.mean(np.logaddexp(0.0, z) - y * z))

        def centered(h):
            return numerical_gradient(value, logits.copy(), h=h)

        d1, d2, d4 = centered(1e-2), centered(5e-3), centered(2.5e-3)
        return value(logits), (16 * (4 * d4 - d2) / 3 - (4 * d2 - d1) / 3) / 15

    with pytest.raises(CheckFailed, match=DERIVE):
        checks.check_binary_cross_entropy_loss(binary_cross_entropy_loss, 8, seed=4)


# --- every valid answer keeps full marks -------------------------------------------------------------


def affine_backward_loops(dout, cache):
    x, w = cache
    dx, dw, db = np.zeros_like(x), np.zeros_like(w), np.zeros(w.shape[1])
    for n in range(x.shape[0]):
        for m in range(w.shape[1]):
            dx[n] += dout[n, m] * w[:, m]
            dw[:, m] += x[n] * dout[n, m]
            db[m] += dout[n, m]
    return dx, dw, db


def affine_backward_einsum(dout, cache):
    x, w = cache
    return np.einsum("nm,dm->nd", dout, w), np.einsum("nd,nm->dm", x, dout), np.einsum("nm->m", dout)


def batchnorm_backward_staged(dout, cache):
    """The computational-graph derivation, node by node, from a cache of the student's own layout."""
    x, gamma, eps = cache
    n = x.shape[0]
    mu = x.mean(axis=0)
    xc = x - mu
    std = np.sqrt((xc**2).mean(axis=0) + eps)
    xhat = xc / std
    dxhat = dout * gamma
    dvar = -(dxhat * xc).sum(axis=0) / std**2 / (2 * std)
    dxc = dxhat / std + 2 * xc * dvar / n
    return dxc - dxc.mean(axis=0), (dout * xhat).sum(axis=0), dout.sum(axis=0)


def batchnorm_forward_own_cache(x, gamma, beta, *, train=True, eps=1e-5):
    out, _ = batchnorm.batchnorm_forward(x, gamma, beta, train=train, eps=eps)
    return out, (x, gamma, eps)


def test_valid_alternatives_keep_full_marks(capsys):
    inputs = {"x": (10, 6), "w": (6, 9), "b": (9,)}
    for backward in (affine_backward_loops, affine_backward_einsum, affine.affine_backward):
        checks.check_backward(affine.affine_forward, named(backward, "affine_backward"), inputs, seed=32)
    checks.check_backward(batchnorm_forward_own_cache, named(batchnorm_backward_staged, "batchnorm_backward"),
                          {"x": (9, 5), "gamma": (5,), "beta": (5,)}, {"train": True}, seed=61)
    im2col_backward = named(lambda dout, cache: conv_backward_fast(dout, cache), "conv_backward_naive")
    checks.check_conv_backward(conv_forward_fast, im2col_backward, (2, 3, 5, 5), (4, 3, 3, 3), stride=1, pad=1, seed=0)
    sigmoid_from_input = named(lambda dout, x: dout * np.exp(-x) / (1 + np.exp(-x)) ** 2, "sigmoid_backward")
    checks.check_backward(lambda x: (1 / (1 + np.exp(-x)), x), sigmoid_from_input, {"x": (8, 3)}, seed=61)
    checks.check_softmax_loss(softmax_loss, 8, 10, seed=31)
    assert capsys.readouterr().out.count("\u2714") == 7


def test_every_graded_backward_in_the_solutions_has_a_reference():
    """A hidden test whose backward has no reference would fall back to the student's forward."""
    from autograder import references
    from autograder.release.paths import SOLUTIONS

    graded = set()
    for path in SOLUTIONS.rglob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            for line in source.splitlines():
                for check in ("check_backward(", "check_two_layer_net_backward(", "check_conv_backward(", "check_pool_backward(", "check_dropout_backward("):
                    if line.startswith(check):
                        graded.add(line[len(check):].split(",")[1].strip())
    assert graded >= {"affine_backward", "two_layer_net_backward", "conv_backward_naive", "batchnorm_backward"}
    assert all(references.layer_reference(name) is not None for name in graded), graded
    for name in ["svm_loss_loops", "svm_loss", "softmax_loss", "binary_cross_entropy_loss", "mse_loss",
                 "l2_penalty", "l1_penalty", "elastic_net_penalty"]:
        assert references.loss_reference(name) is not None


def test_the_two_layer_net_reference_comes_from_the_instructor_notebook():
    from autograder import references

    reference = references.layer_reference("two_layer_net_backward")
    arrays = layer_checks.make_inputs(TWO_LAYER_CASE, 0)
    cost, cache = reference.forward(*arrays.values(), reg=0.1)
    assert np.ndim(cost) == 0 and len(reference.backward(1.0, cache)) == 4


# --- in the sandbox -----------------------------------------------------------------------------------


def test_reference_forwards_are_not_importable_in_the_grading_student_process(tmp_path: Path):
    library = build_student_library(tmp_path / "library")
    workdir = tmp_path / "work"
    workdir.mkdir()
    with StudentSession(workdir, Limits(cell_timeout=20, memory_bytes=2**31), library) as session:
        session.set_time_limit(120)
        assert not session.run_cell("import autograder.checks.oracles").ok
        assert not session.run_cell("import autograder.references").ok
        # a student's own cell may call a check, as the notebooks invite: the stand-in does nothing
        own_check = session.run_cell("from autograder.checks import check_backward\n"
                                     "assert check_backward(None, None, inputs={}) is None")
        assert own_check.ok, own_check.error
        stubbed = session.run_cell(
            "import numpy as np\nfrom backpropkit.layers.activations import sigmoid_forward\n"
            "sigmoid_forward(np.ones((2, 3)))"
        )
        assert not stubbed.ok and "NotImplementedError" in stubbed.error


def _cell(kind: str, grade_id: str, source: str, points: int = 0) -> dict:
    meta = {"grade": kind == "test", "grade_id": grade_id, "locked": kind != "answer",
            "schema_version": 3, "solution": kind == "answer"}
    if kind == "test":
        meta["points"] = points
    return {"cell_type": "code", "metadata": {"nbgrader": meta}, "source": source, "outputs": [], "execution_count": None}


AFFINE_FORWARD = "def affine_forward(x, w, b):\n    return x @ w + b, (x, w)\n"
AFFINE_BACKWARD = "def affine_backward(dout, cache):\n    x, w = cache\n    return dout @ w.T, x.T @ dout, dout.sum(axis=0)\n"
CONV_FORWARD = '''def conv_forward_naive(x, w, b, stride=1, pad=0):
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    kh, kw = w.shape[2:]
    oh, ow = 1 + (xp.shape[2] - kh) // stride, 1 + (xp.shape[3] - kw) // stride
    out = np.zeros((x.shape[0], w.shape[0], oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[:, :, i, j] = np.einsum("nchw,fchw->nf", window, w) + b
    return out, (x, w, b, stride, pad)
'''
CONV_BACKWARD = '''def conv_backward_naive(dout, cache):
    x, w, b, stride, pad = cache
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    kh, kw = w.shape[2:]
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows, cols = slice(i * stride, i * stride + kh), slice(j * stride, j * stride + kw)
            dxp[:, :, rows, cols] += np.einsum("nf,fchw->nchw", dout[:, :, i, j], w)
            dw += np.einsum("nf,nchw->fchw", dout[:, :, i, j], xp[:, :, rows, cols])
    return dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]], dw, dout.sum(axis=(0, 2, 3))
'''
TESTS = {
    "affine_backward_tests": (3, 'from autograder.checks import check_backward\n'
                                 'check_backward(affine_forward, affine_backward, inputs={"x": (4, 5), "w": (5, 3), "b": (3,)}, seed=1)'),
    "conv_forward_tests": (2, "from autograder.checks import check_conv_forward\n"
                              "check_conv_forward(conv_forward_naive, (2, 2, 7, 5), (3, 2, 3, 3), stride=2, pad=1, seed=41)"),
    "conv_backward_tests": (4, "from autograder.checks import check_conv_backward\n"
                               "check_conv_backward(conv_forward_naive, conv_backward_naive, (2, 2, 7, 5), (3, 2, 3, 3), stride=2, pad=1, seed=41)"),
}


def _notebook(answers: dict[str, str], extra: str | None = None) -> dict:
    cells = [_cell("setup", "setup", "import numpy as np\n")]
    for grade_id, source in answers.items():
        cells.append(_cell("answer", grade_id, source))
    if extra:  # before the tests, which run where they stand
        cells.append({"cell_type": "code", "metadata": {}, "source": extra, "outputs": [], "execution_count": None})
    for grade_id, (points, source) in TESTS.items():
        cells.append(_cell("test", grade_id, source, points))
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


REFERENCE = {"affine_forward": AFFINE_FORWARD, "affine_backward": AFFINE_BACKWARD,
             "conv_forward_naive": CONV_FORWARD, "conv_backward_naive": CONV_BACKWARD}
SUBMISSIONS = {  # student: (answers, a later cell, points per test)
    "reference": (REFERENCE, None, {"affine_backward_tests": 3, "conv_forward_tests": 2, "conv_backward_tests": 4}),
    "constant_forward_zero_backward": (
        REFERENCE,
        "def affine_forward(x, w, b):\n    return np.zeros((x.shape[0], w.shape[1])), (x, w)\n"
        "def affine_backward(dout, cache):\n    x, w = cache\n    return np.zeros_like(x), np.zeros_like(w), np.zeros(w.shape[1])\n",
        {"affine_backward_tests": 0, "conv_forward_tests": 2, "conv_backward_tests": 4},
    ),
    "forward_ignores_stride": (
        dict(REFERENCE, conv_forward_naive=CONV_FORWARD.replace("def conv_forward_naive(x, w, b, stride=1, pad=0):",
                                                                "def conv_forward_naive(x, w, b, stride=1, pad=0):\n    given_stride, stride = stride, 1")
             .replace("return out, (x, w, b, stride, pad)", "return out, (x, w, b, given_stride, pad)")),
        None,
        {"affine_backward_tests": 3, "conv_forward_tests": 0, "conv_backward_tests": 4},
    ),
    "differences_the_forward": (
        dict(REFERENCE, affine_backward=(
            "def affine_backward(dout, cache):\n    x, w = cache\n    b = np.zeros(w.shape[1])\n"
            "    def grad(i, value):\n        args = [x.copy(), w.copy(), b.copy()]\n        g = np.zeros_like(value)\n"
            "        for k in np.ndindex(value.shape):\n            up = [a.copy() for a in args]; up[i][k] += 1e-5\n"
            "            down = [a.copy() for a in args]; down[i][k] -= 1e-5\n"
            "            g[k] = np.sum((affine_forward(*up)[0] - affine_forward(*down)[0]) * dout) / 2e-5\n"
            "        return g\n    return grad(0, x), grad(1, w), grad(2, b)\n")),
        None,
        {"affine_backward_tests": 0, "conv_forward_tests": 2, "conv_backward_tests": 4},
    ),
}


@pytest.mark.timeout(600)
def test_graded_in_the_sandbox_each_backward_earns_what_its_own_code_earns(tmp_path: Path):
    source_root = tmp_path / "source"
    (source_root / "integrity").mkdir(parents=True)
    (source_root / "integrity" / "1_layers.ipynb").write_text(json.dumps(_notebook(REFERENCE)))
    for student, (answers, extra, expected) in SUBMISSIONS.items():
        (tmp_path / student).mkdir()
        submitted = tmp_path / student / "1_layers.ipynb"
        submitted.write_text(json.dumps(_notebook(answers, extra)))
        result, _ = check_notebook(submitted, source_root, Limits(cell_timeout=60, notebook_timeout=300))
        got = {test.grade_id: test.points for test in result.tests}
        assert got == expected, (student, [(t.grade_id, t.failure) for t in result.tests])
        if student == "differences_the_forward":
            failure = next(t.failure for t in result.tests if t.grade_id == "affine_backward_tests")
            assert DERIVE in failure
