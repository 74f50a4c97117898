"""Checks for layers: forward against a reference, backward against numerical gradients.

A layer is a pair ``forward(*inputs, **params) -> (out, cache)`` and
``backward(dout, cache) -> gradients``. Where the instructor's reference pair is at hand
(:mod:`autograder.references`: the grader, and any instructor checkout), a backward check

- differentiates the REFERENCE forward numerically (kink screening included), in this process,
  so nothing the student's forward does can change or switch off what backward is judged by;
- hands the student's backward the cache of the student's own forward when that forward's output
  agrees with the reference to rounding (so a cache of any layout passes), else the reference
  forward's cache (the layout the notebook specifies): a wrong forward costs the forward's points only;
- compares the gradients with the numerical ones, then with the reference backward's at
  ``numeric.ANALYTIC_TOLERANCE``, which every derived backward pass meets and a finite difference
  does not: a backward computed by finite differences earns nothing (CONTRIBUTING.md "How a
  backward pass is graded" states the one limit: exactly linear layers).

A failure names a mistake only when the student's answer reproduces it: the hypotheses of
:mod:`autograder.references.layer_mistakes`, built from the reference on the same inputs, or a probe
that shows it (dout ignored, ``=`` for ``+=``). Otherwise it says which quantity is wrong and where.

Without references (the student edition, for self-study) the check pairs the student's backward with
the student's own forward and differentiates that forward, as a self-check. One exception keeps the
notebook's verdict the grader's: when the layer has an oracle (:mod:`autograder.checks.oracles`) and
the student's forward disagrees with it, the oracle's output is differentiated instead, and the
message says to fix the forward first. A wrong forward then costs the forward's points only, as in
the grader (the student's backward still gets their own cache, the only one there is).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from . import oracles
from .calling import StudentCall, as_float_array, forward_pair, function_name, unpack
from .compare import Mismatch, compare, fail_on_warnings, raise_mismatch, require_derived, warnings_note
from .diagnose import recognized_mistake
from .failures import CheckFailed, describe_case, passed, seed_words, student_facing
from .numeric import ANALYTIC_TOLERANCE, case_rng, make_inputs, normwise_error, numerical_gradient, sample_indices

try:
    from .. import references
    from ..references import layer_mistakes
except ImportError:  # the student edition and the grading sandbox ship without the references
    layer_mistakes = references = None

InputSpec = Mapping[str, Any]  # name -> shape tuple (random normals) or literal values


def _batch_size(arrays: dict[str, np.ndarray]) -> int | None:
    first = next(iter(arrays.values()), None)
    return int(first.shape[0]) if first is not None and first.ndim >= 2 else None


@student_facing
def check_forward(
    forward: Callable[..., Any],
    oracle: str | Callable[..., Any],
    inputs: InputSpec,
    params: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
    name: str | None = None,
    tolerance: float = 1e-7,
) -> None:
    """Check ``forward(*inputs, **params)[0]`` against a reference output.

    ``oracle`` is the name of a reference in :mod:`autograder.checks.oracles` (``"affine"``,
    ``"relu"``, ``"leaky_relu"``, ``"sigmoid"``, ``"tanh"``, ``"flatten"``, ``"conv"``,
    ``"max_pool"``) or a function taking the same arguments and returning the output. ``inputs``
    maps each array argument, in order, to a shape (float64 standard normals drawn from ``seed``) or
    to literal values. Example: ``check_forward(relu_forward, "relu", {"x": (4, 5)}, seed=1)``.
    """
    params = dict(params or {})
    check = function_name(forward, name)
    arrays = make_inputs(inputs, seed)
    case = describe_case(arrays, params, seed)
    reference = oracles.ORACLES[oracle] if isinstance(oracle, str) else oracle
    expected = np.asarray(reference(*arrays.values(), **params), dtype=np.float64)
    call = StudentCall(forward, check)
    out, _ = forward_pair(call(*arrays.values(), **params), check)
    out = as_float_array(out, check, "out", expected.shape)
    mismatch = compare("out", out, expected, tolerance=tolerance, batch_size=_batch_size(arrays))
    if mismatch is not None:
        diagnosis = None
        if layer_mistakes is not None and isinstance(oracle, str):
            diagnosis = recognized_mistake(out, layer_mistakes.forward_mistakes(oracle, tuple(arrays.values()), params))
        raise_mismatch(check, mismatch, case=case, tolerance=tolerance, diagnosis=diagnosis, note=warnings_note(call.warnings))
    fail_on_warnings(check, call.warnings, case)
    passed(check, f"the output matches the reference ({case}).")


@dataclass
class _ForwardPass:
    """What a backward check differentiates and hands to the student's backward.

    ``evaluate()`` recomputes the output from the (perturbed in place) inputs: the reference
    forward's when there is one. ``cache`` goes to the student's backward: their own forward's
    when its output agrees with the reference, else the reference forward's. ``expected`` holds
    the reference backward's gradients for ``dout`` (None without a reference).
    """

    out: np.ndarray
    cache: Any
    evaluate: Callable[[], np.ndarray]
    dout: np.ndarray
    expected: list[np.ndarray] | None = None
    note: str | None = None


def _layer_reference(backward: Callable[..., Any]) -> Any:
    """The instructor's reference pair for ``backward`` (looked up by its name), or None in the student edition."""
    if references is None:
        return None
    return references.layer_reference(function_name(backward))


def _student_forward(forward: StudentCall, arrays: dict[str, np.ndarray], params: dict[str, Any]) -> tuple[np.ndarray, Any]:
    out, cache = forward_pair(forward(*arrays.values(), **params), forward.name)
    return as_float_array(out, forward.name, "out"), cache


# backward's name -> the oracle of its forward, for the student edition's forward-first rule
_FORWARD_ORACLES = {
    "affine_backward": "affine",
    "relu_backward": "relu",
    "leaky_relu_backward": "leaky_relu",
    "sigmoid_backward": "sigmoid",
    "tanh_backward": "tanh",
    "elu_backward": "elu",
    "maxout_backward": "maxout",
}  # conv and pool checks name theirs


def _own_forward_pass(forward: StudentCall, arrays: dict, params: dict, seed: int, oracle: str | None) -> _ForwardPass:
    """Without a reference (the student edition): differentiate the student's own forward, unless
    it disagrees with the layer's ``oracle``; then differentiate the oracle's output instead."""
    out, cache = _student_forward(forward, arrays, params)
    if oracle is not None:
        reference = oracles.ORACLES[oracle]
        expected = np.asarray(reference(*(array.copy() for array in arrays.values()), **params), dtype=np.float64)
        if expected.shape != out.shape or not np.all(np.isfinite(out)) or normwise_error(out, expected) > ANALYTIC_TOLERANCE:

            def evaluate_oracle() -> np.ndarray:
                return np.asarray(reference(*arrays.values(), **params), dtype=np.float64)

            dout = case_rng(seed + 1).standard_normal(expected.shape)
            note = (
                f"{forward.name}'s output differs from the expected one, so backward was checked against "
                f"the expected forward (with your forward's cache): fix {forward.name} first"
            )
            return _ForwardPass(expected, cache, evaluate_oracle, dout, note=note)
    if not np.all(np.isfinite(out)):
        raise CheckFailed(f"{forward.name}: the output holds NaN or infinity on finite inputs.", {"check": forward.name})

    def evaluate() -> np.ndarray:
        value, _ = forward_pair(forward(*arrays.values(), **params), forward.name)
        return as_float_array(value, forward.name, "out", out.shape)

    return _ForwardPass(out, cache, evaluate, case_rng(seed + 1).standard_normal(out.shape))


def _reference_forward_pass(reference: Any, forward: StudentCall, arrays: dict, params: dict, wrt: list[str], seed: int) -> _ForwardPass:
    """With a reference: differentiate the reference forward, and judge against the reference backward.

    The student's forward runs once, only for its cache: when its output agrees with the reference
    to rounding, its cache (whatever its layout) goes to the student's backward; otherwise (wrong,
    crashing or missing forward) the reference forward's cache does, so a wrong forward costs the
    forward's points only.
    """
    out, reference_cache = reference.forward(*(array.copy() for array in arrays.values()), **params)
    out = np.asarray(out, dtype=np.float64)
    dout = case_rng(seed + 1).standard_normal(out.shape)
    expected = unpack(reference.backward(dout.copy(), reference_cache), "the reference backward", [f"d{n}" for n in wrt])
    expected = [np.asarray(gradient, dtype=np.float64) for gradient in expected]
    try:
        student_out, student_cache = _student_forward(forward, arrays, params)
        agrees = student_out.shape == out.shape and normwise_error(student_out, out) <= ANALYTIC_TOLERANCE
    except CheckFailed:
        agrees = False
    note = None
    if not agrees:
        note = f"{forward.name}'s output differs from the reference, so backward got the reference forward's cache"

    def evaluate() -> np.ndarray:
        return np.asarray(reference.forward(*arrays.values(), **params)[0], dtype=np.float64)

    return _ForwardPass(out, student_cache if agrees else reference_cache, evaluate, dout, expected, note)


def _gradient_mismatches(
    backward: StudentCall,
    forward_pass: _ForwardPass,
    arrays: dict[str, np.ndarray],
    wrt: list[str],
    *,
    seed: int,
    tolerance: float,
    max_elements: int | None,
) -> tuple[dict[str, np.ndarray], list[Mismatch]]:
    """Run backward once, then compare each gradient with the numerical one.

    Returns the student's gradients and the mismatches (empty when all agree).
    """
    names = [f"d{name}" for name in wrt]
    returned = unpack(backward(forward_pass.dout, forward_pass.cache), backward.name, names)
    grads = {
        name: as_float_array(value, backward.name, f"d{name}", arrays[name].shape, reduced_from=forward_pass.out.shape)
        for name, value in zip(wrt, returned)
    }
    mismatches = []
    for offset, name in enumerate(wrt):
        indices = sample_indices(arrays[name].shape, max_elements, seed + 2 + offset)
        numerical = numerical_gradient(forward_pass.evaluate, arrays[name], indices, forward_pass.dout)
        mismatch = compare(
            f"d{name}",
            grads[name],
            numerical.gradient,
            compared=numerical.compared,
            tolerance=tolerance,
            batch_size=_batch_size(arrays),
        )
        if mismatch is not None:
            mismatches.append(mismatch)
    return grads, mismatches


def _ignores_dout(backward: StudentCall, forward_pass: _ForwardPass, wrt: list[str], grads: dict) -> bool:
    """True when doubling dout leaves the gradients unchanged: backward forgot to multiply by dout."""
    doubled = unpack(backward(2 * forward_pass.dout, forward_pass.cache), backward.name, [f"d{n}" for n in wrt])
    return all(
        np.allclose(as_float_array(value, backward.name, f"d{name}"), grads[name], rtol=1e-9, atol=0)
        and np.any(grads[name])
        for name, value in zip(wrt, doubled)
    )


def _reproduced_mistake(
    backward: Callable[..., Any], forward_pass: _ForwardPass, arrays: dict, params: dict, wrt: list[str], grads: dict
) -> str | None:
    """The layer mistake (:mod:`autograder.references.layer_mistakes`) the student's gradients
    reproduce, or None (always None without the references, which the hypotheses are built from)."""
    if layer_mistakes is None or forward_pass.expected is None:
        return None
    case = layer_mistakes.LayerCase(
        inputs=tuple(arrays.values()),
        params=params,
        dout=forward_pass.dout,
        out=forward_pass.out,
        expected=tuple(forward_pass.expected),
    )
    mistakes = layer_mistakes.backward_mistakes(function_name(backward), case)
    return recognized_mistake(tuple(grads[name] for name in wrt), mistakes)


def run_backward_check(
    forward: Callable[..., Any],
    backward: Callable[..., Any],
    inputs: InputSpec,
    params: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
    name: str | None = None,
    wrt: list[str] | None = None,
    tolerance: float = 1e-6,
    max_elements: int | None = 100,
    extra_diagnosis: Callable[[str], str | None] | None = None,
    oracle: str | None = None,
) -> None:
    """The body of :func:`check_backward`; ``extra_diagnosis(quantity)`` may name a layer-specific
    mistake; ``oracle`` names the forward's oracle (default: found by the backward's name)."""
    params = dict(params or {})
    check = function_name(backward, name)
    forward_call = StudentCall(forward, function_name(forward))
    backward_call = StudentCall(backward, check)
    arrays = make_inputs(inputs, seed)
    wrt = list(wrt or arrays)
    case = describe_case(arrays, params, seed)
    reference = _layer_reference(backward)
    if reference is None:
        forward_pass = _own_forward_pass(forward_call, arrays, params, seed, oracle or _FORWARD_ORACLES.get(check))
    else:
        forward_pass = _reference_forward_pass(reference, forward_call, arrays, params, wrt, seed)
    grads, mismatches = _gradient_mismatches(
        backward_call, forward_pass, arrays, wrt, seed=seed, tolerance=tolerance, max_elements=max_elements
    )
    warned = forward_call.warnings + backward_call.warnings
    if mismatches:
        first = mismatches[0]
        diagnosis = _reproduced_mistake(backward, forward_pass, arrays, params, wrt, grads)
        if diagnosis is None and _ignores_dout(backward_call, forward_pass, wrt, grads):
            diagnosis = "the gradient does not change with dout: multiply the local gradient by the upstream gradient dout (chain rule)"
        if diagnosis is None and extra_diagnosis is not None:
            try:
                diagnosis = extra_diagnosis(first.quantity)
            except CheckFailed:  # the probe runs the student's forward too; a wrong one names nothing
                diagnosis = None
        notes = [note for note in (forward_pass.note, warnings_note(warned)) if note]
        raise_mismatch(
            check,
            first,
            case=case,
            tolerance=tolerance,
            expected_label="numerical",
            diagnosis=diagnosis,
            also_wrong=[m.quantity for m in mismatches[1:]],
            note="; ".join(notes) or None,
        )
    if forward_pass.expected is not None:
        require_derived(check, grads, forward_pass.expected, case)
    # with a reference, the student's forward only lent its cache: its warnings cost the forward's check
    fail_on_warnings(check, backward_call.warnings if reference is not None else warned, case)
    names = ", ".join(f"d{n}" for n in wrt)
    verb = "matches" if len(wrt) == 1 else "match"
    aside = f"; {forward_pass.note}" if forward_pass.note else ""
    passed(check, f"{names} {verb} the numerical gradients ({case}){aside}.")


@student_facing
def check_backward(
    forward: Callable[..., Any],
    backward: Callable[..., Any],
    inputs: InputSpec,
    params: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
    name: str | None = None,
    wrt: list[str] | None = None,
    tolerance: float = 1e-6,
    max_elements: int | None = 100,
) -> None:
    """Check a backward pass against centered-difference gradients of the student's own forward.

    Runs ``out, cache = forward(*inputs, **params)``, draws a random upstream gradient ``dout``,
    runs ``backward(dout, cache)`` and compares each returned gradient (one per name in ``wrt``,
    default every input, in order) with the numerical gradient of ``sum(out * dout)``. Arrays
    with more than ``max_elements`` entries are probed at a seeded random sample of elements.
    Example: ``check_backward(affine_forward, affine_backward, {"x": (4, 5), "w": (5, 3), "b": (3,)}, seed=1)``.
    """
    run_backward_check(
        forward, backward, inputs, params, seed=seed, name=name, wrt=wrt, tolerance=tolerance, max_elements=max_elements
    )


# --- convolution and pooling -------------------------------------------------------------------


@student_facing
def check_conv_forward(
    conv_forward: Callable[..., Any],
    x_shape: tuple[int, int, int, int],
    w_shape: tuple[int, int, int, int],
    stride: int = 1,
    pad: int = 0,
    *,
    seed: int = 0,
) -> None:
    """Check ``conv_forward(x, w, b, stride=..., pad=...)`` against SciPy's cross-correlation.

    Shapes: x (N, C, H, W), w (F, C, HH, WW); b has F entries.
    """
    check_forward.__wrapped__(
        conv_forward,
        "conv",
        {"x": tuple(x_shape), "w": tuple(w_shape), "b": (w_shape[0],)},
        {"stride": stride, "pad": pad},
        seed=seed,
    )


def _conv_counts(x_shape: tuple, w_shape: tuple, stride: int, pad: int) -> dict[str, np.ndarray]:
    """The conv gradients for x = 1, w = 1, dout = 1: how many terms each gradient entry sums."""
    n, c, h, w = x_shape
    f, _, kh, kw = w_shape
    out_h, out_w = 1 + (h + 2 * pad - kh) // stride, 1 + (w + 2 * pad - kw) // stride
    covered = np.zeros((h + 2 * pad, w + 2 * pad))
    for i in range(out_h):
        for j in range(out_w):
            covered[i * stride : i * stride + kh, j * stride : j * stride + kw] += 1
    inside = np.zeros((h + 2 * pad, w + 2 * pad))
    inside[pad : pad + h, pad : pad + w] = 1
    weight_terms = np.zeros((kh, kw))
    for i in range(out_h):
        for j in range(out_w):
            weight_terms += inside[i * stride : i * stride + kh, j * stride : j * stride + kw]
    return {
        "dx": np.broadcast_to(f * covered[pad : pad + h, pad : pad + w], x_shape),
        "dw": np.broadcast_to(n * weight_terms, w_shape),
        "db": np.full((f,), float(n * out_h * out_w)),
    }


def _overwrites(gradient: np.ndarray, counts: np.ndarray) -> bool:
    """True when a gradient that should sum several terms holds at most one: ``=`` where ``+=`` belongs."""
    rounded = np.round(gradient, 9)
    return bool(counts.max() > 1 and np.all(np.isin(rounded, (0.0, 1.0))) and np.any(rounded == 1.0))


@student_facing
def check_conv_backward(
    conv_forward: Callable[..., Any],
    conv_backward: Callable[..., Any],
    x_shape: tuple[int, int, int, int],
    w_shape: tuple[int, int, int, int],
    stride: int = 1,
    pad: int = 0,
    *,
    seed: int = 0,
    max_elements: int | None = 100,
) -> None:
    """Check dx, dw, db of a convolution against numerical gradients; recognizes ``=`` for ``+=``."""
    params = {"stride": stride, "pad": pad}

    def overwrite_probe(quantity: str) -> str | None:
        ones = {"x": np.ones(x_shape), "w": np.ones(w_shape), "b": np.zeros(w_shape[0])}
        forward_call = StudentCall(conv_forward, function_name(conv_forward))
        out, cache = forward_pair(forward_call(*ones.values(), **params), forward_call.name)
        grads = unpack(StudentCall(conv_backward, function_name(conv_backward))(np.ones(np.shape(out)), cache), "backward", ["dx", "dw", "db"])
        counts = _conv_counts(tuple(x_shape), tuple(w_shape), stride, pad)
        got = dict(zip(["dx", "dw", "db"], grads))
        if quantity in got and _overwrites(np.asarray(got[quantity], dtype=float), counts[quantity]):
            return (
                f"{quantity} keeps only one contribution where several overlap: accumulate with += "
                "(each input pixel and each weight is used by many output positions)"
            )
        return None

    run_backward_check(
        conv_forward,
        conv_backward,
        {"x": tuple(x_shape), "w": tuple(w_shape), "b": (w_shape[0],)},
        params,
        seed=seed,
        max_elements=max_elements,
        extra_diagnosis=overwrite_probe,
        oracle="conv",
    )


@student_facing
def check_pool_forward(
    pool_forward: Callable[..., Any],
    x_shape: tuple[int, int, int, int],
    pool_height: int = 2,
    pool_width: int = 2,
    stride: int = 2,
    *,
    seed: int = 0,
) -> None:
    """Check ``pool_forward(x, pool_height=..., pool_width=..., stride=...)`` against sliding-window maxima."""
    check_forward.__wrapped__(
        pool_forward,
        "max_pool",
        {"x": tuple(x_shape)},
        {"pool_height": pool_height, "pool_width": pool_width, "stride": stride},
        seed=seed,
    )


@student_facing
def check_pool_backward(
    pool_forward: Callable[..., Any],
    pool_backward: Callable[..., Any],
    x_shape: tuple[int, int, int, int],
    pool_height: int = 2,
    pool_width: int = 2,
    stride: int = 2,
    *,
    seed: int = 0,
    max_elements: int | None = 100,
) -> None:
    """Check max pooling's dx against numerical gradients; recognizes ``=`` for ``+=`` in overlapping windows."""
    params = {"pool_height": pool_height, "pool_width": pool_width, "stride": stride}

    def overwrite_probe(quantity: str) -> str | None:
        x = case_rng(seed + 7).standard_normal(x_shape)
        forward_call = StudentCall(pool_forward, function_name(pool_forward))
        out, cache = forward_pair(forward_call(x, **params), forward_call.name)
        dout = np.ones(np.shape(out))
        got = np.asarray(unpack(StudentCall(pool_backward, "backward")(dout, cache), "backward", ["dx"])[0], dtype=float)
        counts = oracles.max_pool_routing(x, pool_height, pool_width, stride, dout)
        if got.shape == counts.shape and _overwrites(got, counts):
            return "an input that wins several overlapping windows gets only one of their gradients: accumulate with +="
        return None

    run_backward_check(
        pool_forward,
        pool_backward,
        {"x": tuple(x_shape)},
        params,
        seed=seed,
        max_elements=max_elements,
        extra_diagnosis=overwrite_probe,
        oracle="max_pool",
    )


@student_facing
def check_pool_ties(
    pool_forward: Callable[..., Any],
    pool_backward: Callable[..., Any],
    pool_height: int = 2,
    pool_width: int = 2,
    stride: int = 2,
) -> None:
    """Check that a window whose maximum is tied sends its whole gradient to the FIRST maximum (row-major).

    The input is mostly zeros (as after a ReLU), with a few windows holding two equal maxima.
    """
    size_h, size_w = pool_height + 2 * stride, pool_width + 2 * stride
    x = np.zeros((1, 2, size_h, size_w))
    x[0, 1, 0, pool_width - 1] = x[0, 1, pool_height - 1, 0] = 1.0  # a tie inside the first window
    x[0, 1, -1, -1] = x[0, 1, -1, -2] = 2.0  # a tie in the last window
    params = {"pool_height": pool_height, "pool_width": pool_width, "stride": stride}
    check = function_name(pool_backward)
    forward_call = StudentCall(pool_forward, function_name(pool_forward))
    out, cache = forward_pair(forward_call(x, **params), forward_call.name)
    out = as_float_array(out, forward_call.name, "out")
    dout = np.arange(1.0, out.size + 1).reshape(out.shape)
    dx = as_float_array(unpack(StudentCall(pool_backward, check)(dout, cache), check, ["dx"])[0], check, "dx", x.shape)
    expected = oracles.max_pool_routing(x, pool_height, pool_width, stride, dout)
    case = describe_case({"x": x}, params) + " with tied maxima"
    mismatch = compare("dx", dx, expected, tolerance=1e-12)
    if mismatch is not None:
        total_matches = np.isclose(dx.sum(), dout.sum())
        if not total_matches and dx.sum() > dout.sum():
            diagnosis = "every tied maximum gets the gradient: send it only to the first maximum of the window (argmax)"
        elif total_matches:
            diagnosis = "the gradient of a tied window must go to the FIRST maximum in row-major order (what argmax returns)"
        else:
            diagnosis = None
        raise_mismatch(check, mismatch, case=case, tolerance=1e-12, diagnosis=diagnosis)
    passed(check, "tied maxima send the gradient to the first maximum.")


@student_facing
def check_maxout_ties(maxout_forward: Callable[..., Any], maxout_backward: Callable[..., Any], *, seed: int = 0) -> None:
    """Check that an output whose pieces tie sends its whole gradient to the FIRST tied piece.

    Three pieces, four units: in unit 0 all three pieces are the same, in unit 1 pieces 1 and 2
    (piece 0 far below), in unit 2 pieces 0 and 2 (piece 1 far below); unit 3 has no tie.
    """
    rng = case_rng(seed)
    x, w, b = rng.standard_normal((5, 3)), rng.standard_normal((3, 3, 4)), rng.standard_normal((3, 4))
    w[1:, :, 0], b[1:, 0] = w[0, :, 0], b[0, 0]
    w[2, :, 1], b[2, 1], b[0, 1] = w[1, :, 1], b[1, 1], -100.0
    w[2, :, 2], b[2, 2], b[1, 2] = w[0, :, 2], b[0, 2], -100.0
    check = function_name(maxout_backward)
    forward_call = StudentCall(maxout_forward, function_name(maxout_forward))
    out, cache = forward_pair(forward_call(x, w, b), forward_call.name)
    as_float_array(out, forward_call.name, "out", (5, 4))
    dout = rng.standard_normal((5, 4))
    returned = unpack(StudentCall(maxout_backward, check)(dout, cache), check, ["dx", "dw", "db"])
    grads = {name: as_float_array(value, check, name, shape) for name, value, shape in
             zip(["dx", "dw", "db"], returned, [x.shape, w.shape, b.shape])}
    expected = dict(zip(["dx", "dw", "db"], oracles.maxout_routing(x, w, b, dout)))
    case = describe_case({"x": x, "w": w, "b": b}, {}, seed) + " with tied pieces"
    for name in ("db", "dw", "dx"):  # db first: it shows most plainly where the gradient went
        mismatch = compare(name, grads[name], expected[name], tolerance=1e-10)
        if mismatch is None:
            continue
        unit_totals = dout.sum(axis=0)
        if np.allclose(grads["db"][:, 0], unit_totals[0], rtol=1e-10):  # unit 0: a three-way tie
            diagnosis = "every tied piece gets the gradient: send it only to the first of them (argmax over the pieces)"
        elif np.allclose(grads["db"].sum(axis=0), unit_totals, rtol=1e-10):
            diagnosis = "the gradient of tied pieces must go to the FIRST of them, the lowest piece index (what argmax returns)"
        else:
            diagnosis = None
        raise_mismatch(check, mismatch, case=case, tolerance=1e-10, diagnosis=diagnosis)
    passed(check, "tied pieces send the gradient to the first of them.")


# --- dropout -------------------------------------------------------------------------------------


def _dropout_input(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Inputs away from 0, so a dropped unit (0) and a kept one (x / keep_prob) are told apart."""
    x = case_rng(seed).standard_normal(shape)
    return x + np.where(x >= 0, 0.5, -0.5)


@student_facing
def check_dropout_forward(
    dropout_forward: Callable[..., Any],
    shape: tuple[int, ...] = (100, 50),
    keep_prob: float = 0.7,
    *,
    seed: int = 0,
) -> None:
    """Check inverted dropout through its invariants, not its random draws.

    Train mode: every output is 0 or ``x / keep_prob`` and the fraction kept is keep_prob within
    sampling noise (so the mean is preserved). Test mode (``train=False``): the identity.
    Calls ``dropout_forward(x, keep_prob, train=..., rng=seed)``.
    """
    check = function_name(dropout_forward)
    call = StudentCall(dropout_forward, check)
    x = _dropout_input(tuple(shape), seed)
    case = f"x {tuple(shape)}, keep_prob={keep_prob}, {seed_words(seed)}"
    out, _ = forward_pair(call(x, keep_prob, train=True, rng=seed), check)
    out = as_float_array(out, check, "out (train mode)", x.shape)
    kept = out != 0
    scaled = np.isclose(out, x / keep_prob, rtol=1e-12, atol=0)
    if not np.all(kept == scaled) or not np.all(scaled | ~kept):
        if np.allclose(out[kept], x[kept], rtol=1e-12):
            reason = "kept units must be divided by keep_prob (inverted dropout scales at training time)"
        elif np.allclose(out[kept], x[kept] * keep_prob, rtol=1e-12):
            reason = "kept units are multiplied by keep_prob; inverted dropout divides by it"
        else:
            reason = "every output must be either 0 (dropped) or x / keep_prob (kept)"
        raise CheckFailed(f"{check}: in train mode, {reason}.\n  Case: {case}.", {"check": check, "diagnosis": reason})
    fraction = float(kept.mean())
    spread = 5 * np.sqrt(keep_prob * (1 - keep_prob) / x.size) + 1e-12
    if abs(fraction - keep_prob) > spread:
        reason = (
            "keep_prob is the probability of KEEPING a unit; yours drops units with that probability"
            if abs(fraction - (1 - keep_prob)) <= spread
            else f"it kept {fraction:.3f} of the units; about keep_prob = {keep_prob} of them should stay"
        )
        raise CheckFailed(f"{check}: {reason}.\n  Case: {case}.", {"check": check, "diagnosis": reason})
    test_out, _ = forward_pair(call(x, keep_prob, train=False, rng=seed), check)
    test_out = as_float_array(test_out, check, "out (test mode)", x.shape)
    if not np.array_equal(test_out, x):
        reason = "in test mode (train=False) dropout must return x unchanged: inverted dropout already scaled at training time"
        raise CheckFailed(f"{check}: {reason}.\n  Case: {case}.", {"check": check, "diagnosis": reason})
    fail_on_warnings(check, call.warnings, case)
    passed(check, f"outputs are 0 or x/keep_prob, {fraction:.3f} kept, identity in test mode ({case}).")


def _is_inverted_dropout(out: np.ndarray, x: np.ndarray, keep_prob: float) -> bool:
    """True when ``out`` could come from inverted dropout of ``x``: each unit 0 or ``x / keep_prob``,
    and about keep_prob of them kept (an all-zero output is no dropout)."""
    kept = out != 0
    if not np.all(np.isclose(out[kept], x[kept] / keep_prob, rtol=1e-12, atol=0)):
        return False
    return abs(float(kept.mean()) - keep_prob) <= 5 * np.sqrt(keep_prob * (1 - keep_prob) / x.size) + 1e-12


@student_facing
def check_dropout_backward(
    dropout_forward: Callable[..., Any],
    dropout_backward: Callable[..., Any],
    shape: tuple[int, ...] = (20, 30),
    keep_prob: float = 0.6,
    *,
    seed: int = 0,
) -> None:
    """Check that backward reuses the forward mask (dx = dout * out / x) and is the identity in test mode.

    The mask is the student's forward's when its output is a valid inverted dropout of x; otherwise
    the reference forward's (in the student edition, test mode's documented ``(x, None)``), so a
    wrong forward costs the forward's points only.
    """
    check = function_name(dropout_backward)
    forward_call = StudentCall(dropout_forward, function_name(dropout_forward))
    backward_call = StudentCall(dropout_backward, check)
    reference = _layer_reference(dropout_backward)
    x = _dropout_input(tuple(shape), seed)
    dout = case_rng(seed + 1).standard_normal(x.shape)
    case = f"x {tuple(shape)}, keep_prob={keep_prob}, {seed_words(seed)}"

    def forward_pass(train: bool) -> tuple[np.ndarray, Any]:
        """(out, cache) of the student's forward, or of the reference when the student's is no dropout."""
        try:
            out, cache = forward_pair(forward_call(x, keep_prob, train=train, rng=seed), forward_call.name)
            out = as_float_array(out, forward_call.name, "out", x.shape)
            valid = _is_inverted_dropout(out, x, keep_prob) if train else np.array_equal(out, x)
        except CheckFailed:
            if reference is None:
                raise
            valid = False
        if valid:
            return out, cache
        if reference is None:
            # the student edition: test mode's output and cache are known (x, and None as the
            # docstring specifies); a training mask is the student's alone
            return (x.copy(), None) if not train else (out, cache)
        out, cache = reference.forward(x.copy(), keep_prob, train=train, rng=seed)
        return np.asarray(out, dtype=np.float64), cache

    out, cache = forward_pass(train=True)
    dx = as_float_array(unpack(backward_call(dout, cache), check, ["dx"])[0], check, "dx", x.shape)
    expected = dout * out / x  # the mask backward was given: 0 or 1 / keep_prob
    mismatch = compare("dx", dx, expected, tolerance=1e-10)
    if mismatch is not None:
        if np.array_equal(dx != 0, out != 0) and np.allclose(dx, dout * (out != 0), rtol=1e-10):
            diagnosis = "kept units must also be divided by keep_prob in backward (the mask holds 1 / keep_prob)"
        elif np.allclose(dx, dout, rtol=1e-12):
            diagnosis = "dx equals dout: the dropped units must get no gradient (multiply by the mask from forward)"
        elif not np.array_equal(dx != 0, out != 0):
            diagnosis = "dx is zero at other units than the forward dropped: reuse the forward's mask from the cache, never draw a new one"
        else:
            diagnosis = None
        raise_mismatch(check, mismatch, case=case, tolerance=1e-10, diagnosis=diagnosis)
    if reference is not None:
        require_derived(check, {"x": dx}, [expected], case)
    _, test_cache = forward_pass(train=False)
    test_dx = as_float_array(unpack(backward_call(dout, test_cache), check, ["dx"])[0], check, "dx (test mode)", x.shape)
    if not np.array_equal(test_dx, dout):
        reason = "in test mode dropout is the identity, so backward must return dout unchanged"
        raise CheckFailed(f"{check}: {reason}.\n  Case: {case}.", {"check": check, "diagnosis": reason})
    warned = backward_call.warnings if reference is not None else forward_call.warnings + backward_call.warnings
    fail_on_warnings(check, warned, case)
    passed(check, f"dx reuses the forward mask and test mode passes dout through ({case}).")
