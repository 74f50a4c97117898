"""Planted bugs in the graded layers: affine, activations, batch norm, dropout, convolution, pooling.

Each entry is the solution's function with its answer region rewritten the way a student gets it
wrong, one mistake at a time (a few also change the line after the region, e.g. what the forward
pass caches). ``mistake`` is a phrase of the description the check gives when it reproduces the
mistake (autograder/references/layer_mistakes.py, or the check's own probes); entries with the same
``mistake`` are the same kind of mistake in different functions.
"""

from __future__ import annotations

import ast
import json
import re
import textwrap

from tests.accuracy.corpus import SOLUTIONS, PlantedBug

LAYERS = "03_backprop/1_layers.ipynb"
BATCHNORM = "05_regularization/2_batchnorm.ipynb"
DROPOUT = "05_regularization/1_dropout.ipynb"
CONV_POOL = "06_convnets/1_conv_pool.ipynb"

_REGION = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION\n", re.MULTILINE | re.DOTALL)


def _solution_definition(notebook: str, function: str) -> str:
    """The source of ``function``'s definition in the answer cell of the solution notebook."""
    for cell in json.loads((SOLUTIONS / notebook).read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or not cell["metadata"].get("nbgrader", {}).get("solution"):
            continue
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef) and node.name == function:
                return ast.get_source_segment(source, node)
    raise KeyError(f"no answer cell of {notebook} defines {function}")


def with_region(notebook: str, function: str, region: str, *, edits: tuple[tuple[str, str], ...] = ()) -> str:
    """The solution's ``function`` with its answer region written as ``region`` (the markers gone,
    as in a student's notebook), then each ``(old, new)`` of ``edits`` applied once."""
    definition = _solution_definition(notebook, function)
    match = _REGION.search(definition)
    body = textwrap.indent(textwrap.dedent(region).strip("\n") + "\n", match["indent"])
    source = definition[: match.start()] + body + definition[match.end() :]
    for old, new in edits:
        if old not in source:
            raise ValueError(f"{function}: {old!r} is not in the solution")
        source = source.replace(old, new, 1)
    return source


def _bug(label: str, notebook: str, function: str, mistake: str, region: str, **options) -> PlantedBug:
    return PlantedBug(label, notebook, function, with_region(notebook, function, region, **options), mistake)


_CONV_BACKWARD_LOOP = """
    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_padded = np.zeros_like(x_padded)
    dw = np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for n in range(num_images):
        for f in range(num_filters):
            for i in range({rows}):
                for j in range({cols}):
                    top, left = {top}, {left}
                    dw[f] += dout[n, f, i, j] * {source}[n, :, top : top + kernel_height, left : left + kernel_width]
                    dx_padded[n, :, top : top + kernel_height, left : left + kernel_width] {accumulate} dout[n, f, i, j] * w[f]
    dx = dx_padded[:, :, pad : pad + height, pad : pad + width]
"""


def _conv_backward(rows="out_height", cols="out_width", top="i * stride", left="j * stride", source="x_padded", accumulate="+=") -> str:
    return _CONV_BACKWARD_LOOP.format(rows=rows, cols=cols, top=top, left=left, source=source, accumulate=accumulate)


_POOL_BACKWARD_LOOP = """
    dx = np.zeros_like(x)
    for n in range(num_images):
        for c in range(channels):
            for i in range(out_height):
                for j in range(out_width):
                    top, left = {top}, {left}
                    window = x[n, c, top : top + pool_height, left : left + pool_width]
{route}
"""
_TO_THE_MAX = """\
                    row, col = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, {row}, {col}] {accumulate} dout[n, c, i, j]"""


def _pool_backward(top="i * stride", left="j * stride", row="top + row", col="left + col", accumulate="+=", route=None) -> str:
    route = route or _TO_THE_MAX.format(row=row, col=col, accumulate=accumulate)
    return _POOL_BACKWARD_LOOP.format(top=top, left=left, route=route)


_POOL_FORWARD_LOOP = """
    out = np.zeros((num_images, channels, out_height, out_width))
    for n in range(num_images):
        for c in range(channels):
            for i in range(out_height):
                for j in range(out_width):
                    top, left = {top}, {left}
                    out[n, c, i, j] = {reduce}(x[n, c, top : top + pool_height, left : left + pool_width])
"""

_CONV_FORWARD_LOOP = """
    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((num_images, num_filters, out_height, out_width))
    for n in range(num_images):
        for f in range(num_filters):
            for i in range(out_height):
                for j in range(out_width):
                    top, left = {top}, {left}
                    window = x_padded[n, :, top : top + kernel_height, left : left + kernel_width]
                    out[n, f, i, j] = {value}
"""

_BATCHNORM_DX = """
    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)
    dx_hat = dout * {dx_hat}
    dx = inv_std_b / count * ({terms})
"""


def _batchnorm(dx_hat="gamma_b", terms="count * dx_hat - dx_hat.sum(axis=axes, keepdims=True) - x_hat * (dx_hat * x_hat).sum(axis=axes, keepdims=True)") -> str:
    return _BATCHNORM_DX.format(dx_hat=dx_hat, terms=terms)


NO_DOUT = "multiply the local gradient by the upstream gradient dout"
IGNORES_STRIDE = "the windows ignore the stride"
SUM_MISSING = "a sum is missing"
ACCUMULATE = "accumulate with +="

BUGS: list[PlantedBug] = [
    # --- affine_backward
    _bug("affine_backward/db_first_row", LAYERS, "affine_backward", "db is not summed over the batch", """
        dx = dout @ w.T
        dw = x.T @ dout
        db = dout[0]
    """),
    _bug("affine_backward/dw_first_example", LAYERS, "affine_backward", "dw is not summed over the batch", """
        dx = dout @ w.T
        dw = np.outer(x[0], dout[0])
        db = dout.sum(axis=0)
    """),
    _bug("affine_backward/db_mean", LAYERS, "affine_backward", "db is averaged over the batch", """
        dx = dout @ w.T
        dw = x.T @ dout
        db = dout.mean(axis=0)
    """),
    _bug("affine_backward/dw_divided_by_batch", LAYERS, "affine_backward", "dw is divided by the batch size", """
        N = x.shape[0]
        dx = dout @ w.T
        dw = x.T @ dout / N
        db = dout.sum(axis=0)
    """),
    _bug("affine_backward/dw_transposed", LAYERS, "affine_backward", "it is transposed", """
        dx = dout @ w.T
        dw = dout.T @ x
        db = dout.sum(axis=0)
    """),
    _bug("affine_backward/db_wrong_axis", LAYERS, "affine_backward", "sum over axis 0 instead", """
        dx = dout @ w.T
        dw = x.T @ dout
        db = dout.sum(axis=1)
    """),
    # --- relu
    _bug("relu_backward/no_mask", LAYERS, "relu_backward", "missing mask", """
        dx = dout.copy()
    """),
    _bug("relu_backward/inverted_mask", LAYERS, "relu_backward", "the mask is inverted", """
        dx = dout * (x < 0)
    """),
    _bug("relu_backward/no_dout", LAYERS, "relu_backward", NO_DOUT, """
        dx = (x > 0).astype(float)
    """),
    _bug("relu_backward/times_output", LAYERS, "relu_backward", "dout times the output max(x, 0)", """
        dx = dout * np.maximum(x, 0)
    """),
    # --- leaky ReLU
    _bug("leaky_relu_forward/alpha_not_times_x", LAYERS, "leaky_relu_forward", "returns alpha; it must be alpha * x", """
        out = np.where(x > 0, x, alpha)
    """),
    _bug("leaky_relu_forward/sides_swapped", LAYERS, "leaky_relu_forward", "the two sides are swapped", """
        out = np.where(x > 0, alpha * x, x)
    """),
    _bug("leaky_relu_forward/default_alpha", LAYERS, "leaky_relu_forward", "instead of the alpha passed in", """
        out = np.where(x > 0, x, 0.01 * x)
    """),
    _bug("leaky_relu_backward/negative_side_without_dout", LAYERS, "leaky_relu_backward", "the negative side is alpha, not alpha * dout", """
        dx = np.where(x > 0, dout, alpha)
    """),
    _bug("leaky_relu_backward/negative_side_zero", LAYERS, "leaky_relu_backward", "the negative side's gradient is 0", """
        dx = dout * (x > 0)
    """),
    _bug("leaky_relu_backward/default_alpha", LAYERS, "leaky_relu_backward", "instead of the alpha kept in the cache", """
        dx = np.where(x > 0, dout, 0.01 * dout)
    """),
    _bug("leaky_relu_backward/slopes_swapped", LAYERS, "leaky_relu_backward", "the two slopes are swapped", """
        dx = np.where(x > 0, alpha * dout, dout)
    """),
    # --- sigmoid
    _bug("sigmoid_forward/caches_input", LAYERS, "sigmoid_forward", "out * (1 - out) is applied to the input x", """
        z = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    """, edits=(("return out, out", "return out, x"),)),
    _bug("sigmoid_forward/exp_sign", LAYERS, "sigmoid_forward", "the sign in the exponent is flipped", """
        z = np.exp(-np.abs(x))
        out = np.where(x >= 0, z / (1 + z), 1 / (1 + z))
    """),
    _bug("sigmoid_backward/sigmoid_twice", LAYERS, "sigmoid_backward", "the sigmoid is applied twice", """
        s = 1 / (1 + np.exp(-out))
        dx = dout * s * (1 - s)
    """),
    _bug("sigmoid_backward/missing_factor", LAYERS, "sigmoid_backward", "a factor of the derivative is missing", """
        dx = dout * (1 - out)
    """),
    _bug("sigmoid_backward/no_dout", LAYERS, "sigmoid_backward", NO_DOUT, """
        dx = out * (1 - out)
    """),
    # --- tanh
    _bug("tanh_forward/caches_input", LAYERS, "tanh_forward", "1 - out**2 is applied to the input x", """
        out = np.tanh(x)
    """, edits=(("return out, out", "return out, x"),)),
    _bug("tanh_backward/tanh_twice", LAYERS, "tanh_backward", "tanh is applied twice", """
        dx = dout * (1 - np.tanh(out) ** 2)
    """),
    _bug("tanh_backward/not_squared", LAYERS, "tanh_backward", "the local gradient is 1 - out;", """
        dx = dout * (1 - out)
    """),
    _bug("tanh_backward/square_of_difference", LAYERS, "tanh_backward", "square out, not the difference", """
        dx = dout * (1 - out) ** 2
    """),
    # --- batch normalization
    _bug("batchnorm_backward/statistics_constant", BATCHNORM, "batchnorm_backward", "treats the batch mean and variance as constants", """
        dbeta = dout.sum(axis=axes)
        dgamma = (dout * x_hat).sum(axis=axes)
        dx = dout * gamma_b * inv_std_b
    """),
    _bug("batchnorm_backward/no_mean_term", BATCHNORM, "batchnorm_backward", "misses the term from the batch mean",
         _batchnorm(terms="count * dx_hat - x_hat * (dx_hat * x_hat).sum(axis=axes, keepdims=True)")),
    _bug("batchnorm_backward/no_variance_term", BATCHNORM, "batchnorm_backward", "misses the term from the batch variance",
         _batchnorm(terms="count * dx_hat - dx_hat.sum(axis=axes, keepdims=True)")),
    _bug("batchnorm_backward/no_gamma", BATCHNORM, "batchnorm_backward", "missing the factor gamma", _batchnorm(dx_hat="1.0")),
    _bug("batchnorm_backward/dgamma_without_x_hat", BATCHNORM, "batchnorm_backward", "dgamma is missing the factor x_hat",
         _batchnorm().replace("(dout * x_hat).sum(axis=axes)", "dout.sum(axis=axes)")),
    _bug("batchnorm_backward/swapped", BATCHNORM, "batchnorm_backward", "dgamma and dbeta are swapped", _batchnorm(),
         edits=(("return dx, dgamma, dbeta", "return dx, dbeta, dgamma"),)),
    _bug("batchnorm_backward/batch_axis_only", BATCHNORM, "batchnorm_backward", SUM_MISSING,
         _batchnorm().replace("dout.sum(axis=axes)", "dout.sum(axis=0)").replace("(dout * x_hat).sum(axis=axes)", "(dout * x_hat).sum(axis=0)")),
    # --- dropout
    _bug("dropout_forward/not_inverted", DROPOUT, "dropout_forward", "must be divided by keep_prob", """
        if train:
            mask = (random.uniform(tuple(x.shape), like=x) < keep_prob).astype(x.dtype)
            out = x * mask
        else:
            mask = None
            out = x
    """),
    _bug("dropout_forward/drops_with_keep_prob", DROPOUT, "dropout_forward", "probability of KEEPING a unit", """
        if train:
            mask = (random.uniform(tuple(x.shape), like=x) > keep_prob) / keep_prob
            out = x * mask
        else:
            mask = None
            out = x
    """),
    _bug("dropout_forward/drops_at_test_time", DROPOUT, "dropout_forward", "dropout must return x unchanged", """
        mask = (random.uniform(tuple(x.shape), like=x) < keep_prob) / keep_prob
        out = x * mask
    """),
    _bug("dropout_backward/fresh_mask", DROPOUT, "dropout_backward", "reuse the forward's mask", """
        if mask is None:
            dx = dout
        else:
            keep_prob = 1 / mask.max()
            dx = dout * (np.random.rand(*dout.shape) < keep_prob) / keep_prob
    """),
    _bug("dropout_backward/unscaled_mask", DROPOUT, "dropout_backward", "divided by keep_prob in backward", """
        if mask is None:
            dx = dout
        else:
            dx = dout * (mask > 0)
    """),
    _bug("dropout_backward/no_mask", DROPOUT, "dropout_backward", "the dropped units must get no gradient", """
        dx = dout
    """),
    # --- convolution
    _bug("conv_forward_naive/no_bias", CONV_POOL, "conv_forward_naive", "the bias is not added",
         _CONV_FORWARD_LOOP.format(top="i * stride", left="j * stride", value="np.sum(window * w[f])")),
    _bug("conv_forward_naive/ignores_stride", CONV_POOL, "conv_forward_naive", IGNORES_STRIDE,
         _CONV_FORWARD_LOOP.format(top="i", left="j", value="np.sum(window * w[f]) + b[f]")),
    _bug("conv_forward_naive/flipped_filter", CONV_POOL, "conv_forward_naive", "the filter is flipped",
         _CONV_FORWARD_LOOP.format(top="i * stride", left="j * stride", value="np.sum(window * w[f, :, ::-1, ::-1]) + b[f]")),
    _bug("conv_backward_naive/loops_one_short", CONV_POOL, "conv_backward_naive", "stop one short",
         _conv_backward(rows="out_height - 1", cols="out_width - 1")),
    _bug("conv_backward_naive/dw_from_unpadded_input", CONV_POOL, "conv_backward_naive", "dw is taken from the unpadded input",
         _conv_backward(source="x")),
    _bug("conv_backward_naive/ignores_stride", CONV_POOL, "conv_backward_naive", IGNORES_STRIDE, _conv_backward(top="i", left="j")),
    _bug("conv_backward_naive/dx_assigned", CONV_POOL, "conv_backward_naive", ACCUMULATE, _conv_backward(accumulate="=")),
    _bug("conv_backward_naive/db_not_summed_over_positions", CONV_POOL, "conv_backward_naive", SUM_MISSING,
         _conv_backward().replace("db = dout.sum(axis=(0, 2, 3))", "db = dout.sum(axis=0)")),
    # --- max pooling
    _bug("max_pool_forward_naive/ignores_stride", CONV_POOL, "max_pool_forward_naive", IGNORES_STRIDE,
         _POOL_FORWARD_LOOP.format(top="i", left="j", reduce="np.max")),
    _bug("max_pool_forward_naive/average", CONV_POOL, "max_pool_forward_naive", "each window is averaged",
         _POOL_FORWARD_LOOP.format(top="i * stride", left="j * stride", reduce="np.mean")),
    _bug("max_pool_backward_naive/every_element", CONV_POOL, "max_pool_backward_naive", "every element of the window gets the gradient",
         _pool_backward(route="                    dx[n, c, top : top + pool_height, left : left + pool_width] += dout[n, c, i, j]")),
    _bug("max_pool_backward_naive/spread_evenly", CONV_POOL, "max_pool_backward_naive", "spread evenly over the window",
         _pool_backward(route="                    dx[n, c, top : top + pool_height, left : left + pool_width] += dout[n, c, i, j] / window.size")),
    _bug("max_pool_backward_naive/ignores_stride", CONV_POOL, "max_pool_backward_naive", IGNORES_STRIDE, _pool_backward(top="i", left="j")),
    _bug("max_pool_backward_naive/no_corner_offset", CONV_POOL, "max_pool_backward_naive", "without adding the window's corner",
         _pool_backward(row="row", col="col")),
    _bug("max_pool_backward_naive/assigned", CONV_POOL, "max_pool_backward_naive", ACCUMULATE, _pool_backward(accumulate="=")),
]
