"""Layer diagnoses: every planted layer bug loses points and is named, valid alternatives pass.

Each entry of ``tests/accuracy/bugs_layers.py`` is defined among the solution notebook's other
functions, and the notebook's own test cells for that function (public and hidden) run here, in
this process, on those plain functions: the checks, references and hypotheses the grader uses,
without the notebook round trip (``bpk-grade check`` on a planted copy is the end-to-end path).
"""

from __future__ import annotations

import json
import re

import pytest

from autograder import checks, references
from autograder.checks import CheckFailed
from autograder.checks.diagnose import shape_mistake
from autograder.release.paths import CHECKS, COURSE
from backpropkit.layers import affine
from tests.accuracy.bugs_layers import BUGS, CONV_POOL, LAYERS, with_region
from tests.accuracy.corpus import SOLUTIONS, PlantedBug, ValidAnswer


AFFINE_CASE = {"x": (5, 4), "w": (4, 3), "b": (3,)}


def _test_cells(notebook: str, function: str) -> list[tuple[bool, str]]:
    """(graded, source) of each test cell of ``notebook`` that calls ``function``."""
    cells = []
    for cell in json.loads((SOLUTIONS / notebook).read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and "autograder.checks" in source and re.search(rf"\b{function}\b", source):
            cells.append((bool(cell["metadata"].get("nbgrader", {}).get("grade")), source))
    return cells


def run_planted(entry: PlantedBug | ValidAnswer) -> tuple[list[str], bool]:
    """The failure messages of the test cells that call ``entry``'s function, with ``entry``
    planted among the notebook's solution functions, and whether a graded cell failed."""
    namespace = dict(references._notebook_definitions(entry.notebook))
    exec(compile(entry.source, f"<{entry.label}>", "exec"), namespace)
    messages, graded_failed = [], False
    for graded, source in _test_cells(entry.notebook, entry.function):
        try:
            exec(compile(source, f"<test cell of {entry.function}>", "exec"), dict(namespace))
        except CheckFailed as failure:
            messages.append(str(failure))
            graded_failed |= graded
    return messages, graded_failed


def test_the_corpus_is_large_and_labelled_once():
    labels = [bug.label for bug in BUGS]
    assert len(BUGS) >= 32 and len(labels) == len(set(labels))


@pytest.mark.parametrize("bug", BUGS, ids=lambda bug: bug.label)
def test_a_planted_layer_bug_loses_points_and_is_named(bug: PlantedBug):
    messages, graded_failed = run_planted(bug)
    assert graded_failed, f"{bug.label} kept its points"
    said = "\n".join(messages)
    assert bug.mistake.lower() in said.lower(), said
    others = {other.mistake for other in BUGS if other.mistake.lower() not in bug.mistake.lower()}
    named_wrongly = [phrase for phrase in others if phrase.lower() in said.lower()]
    assert not named_wrongly, f"{bug.label} was told {named_wrongly}:\n{said}"


def _affine_backward_scaling_dw(factor: float):
    def affine_backward(dout, cache):
        dx, dw, db = affine.affine_backward(dout, cache)
        return dx, factor * dw, db

    return affine_backward


def test_a_mistake_that_no_hypothesis_reproduces_gets_where_and_no_guess():
    with pytest.raises(CheckFailed) as caught:
        checks.check_backward(affine.affine_forward, _affine_backward_scaling_dw(4.041), AFFINE_CASE, seed=3)
    message = str(caught.value)
    assert "dw is wrong" in message and "Largest error at dw[" in message
    assert "Likely mistake" not in message and "factor" not in message and "4.04" not in message


def test_a_factor_with_a_meaning_is_stated_as_a_fact():
    with pytest.raises(CheckFailed) as caught:
        checks.check_backward(affine.affine_forward, _affine_backward_scaling_dw(-1.0), AFFINE_CASE, seed=3)
    assert "Yours is exactly -1 times the expected values: the sign is flipped" in str(caught.value)
    with pytest.raises(CheckFailed) as caught:
        checks.check_backward(affine.affine_forward, _affine_backward_scaling_dw(5.0), AFFINE_CASE, seed=3)
    assert "exactly N = 5 times" in str(caught.value)


def test_a_sum_missing_over_some_axes_names_them():
    assert "a sum is missing (sum over axes (2, 3) as well, to get shape (2,))" in shape_mistake((2, 4, 5), (2,), (3, 2, 4, 5))
    assert "a sum is missing (sum over axis 0, to get shape (3,))" in shape_mistake((4, 3), (3,), (4, 3))


def _valid(label: str, notebook: str, function: str, region: str) -> ValidAnswer:
    return ValidAnswer(label, notebook, function, with_region(notebook, function, region))


VALID = [
    _valid("affine_backward/einsum", LAYERS, "affine_backward", """
        dx = np.einsum("nm,dm->nd", dout, w)
        dw = np.einsum("nd,nm->dm", x, dout)
        db = np.einsum("nm->m", dout)
    """),
    _valid("relu_forward/mask_multiply", LAYERS, "relu_forward", "out = x * (x > 0)"),
    _valid("relu_backward/mask_at_zero_included", LAYERS, "relu_backward", "dx = dout * (x >= 0)"),
    _valid("leaky_relu_forward/maximum", LAYERS, "leaky_relu_forward", "out = np.maximum(x, alpha * x)"),
    _valid("leaky_relu_backward/slope_array", LAYERS, "leaky_relu_backward", "dx = dout * np.where(x > 0, 1.0, alpha)"),
    _valid("sigmoid_backward/expanded", LAYERS, "sigmoid_backward", "dx = dout * out - dout * out**2"),
    _valid("tanh_backward/expanded", LAYERS, "tanh_backward", "dx = dout - dout * out * out"),
    _valid("max_pool_backward_naive/first_max_mask", CONV_POOL, "max_pool_backward_naive", """
        dx = np.zeros_like(x)
        for n in range(num_images):
            for c in range(channels):
                for i in range(out_height):
                    for j in range(out_width):
                        window = x[n, c, i * stride : i * stride + pool_height, j * stride : j * stride + pool_width]
                        first = np.zeros(window.size)
                        first[np.argmax(window)] = 1.0
                        dx[n, c, i * stride : i * stride + pool_height, j * stride : j * stride + pool_width] += (
                            first.reshape(window.shape) * dout[n, c, i, j]
                        )
    """),
    _valid("conv_backward_naive/sliding_windows", CONV_POOL, "conv_backward_naive", """
        from numpy.lib.stride_tricks import sliding_window_view

        x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        windows = sliding_window_view(x_padded, (kernel_height, kernel_width), axis=(2, 3))[:, :, ::stride, ::stride]
        dw = np.einsum("nfij,ncijkl->fckl", dout, windows)
        db = dout.sum(axis=(0, 2, 3))
        dx_padded = np.zeros_like(x_padded)
        for i in range(out_height):
            for j in range(out_width):
                dx_padded[:, :, i * stride : i * stride + kernel_height, j * stride : j * stride + kernel_width] += np.einsum(
                    "nf,fckl->nckl", dout[:, :, i, j], w
                )
        dx = dx_padded[:, :, pad : pad + height, pad : pad + width]
    """),
]


@pytest.mark.parametrize("answer", VALID, ids=lambda answer: answer.label)
def test_a_valid_alternative_passes_every_test_cell(answer: ValidAnswer):
    messages, _ = run_planted(answer)
    assert not messages, "\n".join(messages)


def test_the_mistaken_variants_stay_out_of_the_student_edition():
    """They are nearly the answers (a conv backward loop with one thing changed), like the references."""
    assert (CHECKS / "layer_checks.py").exists()
    assert not list(CHECKS.rglob("layer_mistakes.py"))
    assert (COURSE / "autograder" / "checks" / "layer_checks.py").exists()
    assert not list((COURSE / "autograder").rglob("layer_mistakes.py"))
