"""Correct alternatives to the solutions, written the ways students write them: each must keep
full marks on every path (see ``runner.py``).

They cover every graded function of every notebook with a different but correct route: loops
where the solution vectorizes and the reverse, ``einsum``, ``where`` against a mask multiply,
``sliding_window_view``, other summation orders and algebra, closed forms against loops, and
in-place updates on copies. A forward a valid answer rewrites is the student's own, so a
backward may use its own cache layout only where its forward is planted with it: here every
backward keeps the cache layout its notebook specifies.
"""

from __future__ import annotations

import ast
import json

from corpus import SOLUTIONS, ValidAnswer


def _solution_source(notebook: str, name: str) -> str:
    """The solution's definition of ``name`` in ``notebook``, as written there."""
    for cell in json.loads((SOLUTIONS / notebook).read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or not cell["metadata"].get("nbgrader", {}).get("solution"):
            continue
        for node in ast.parse(source).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
                return ast.get_source_segment(source, node)
    raise KeyError(f"{notebook} defines no {name}")


def _edited_solution(notebook: str, name: str, old: str, new: str) -> str:
    """The solution of ``name`` with the text ``old`` (found exactly once) replaced by ``new``:
    for a long definition (the ``Value`` class) where a student rewrites one part."""
    source = _solution_source(notebook, name)
    if source.count(old) != 1:
        raise ValueError(f"{name}: the text to replace occurs {source.count(old)} times, not once")
    return source.replace(old, new)


AUTOGRAD = "01_gradients/2_autograd.ipynb"
GRADIENTS = "01_gradients/1_gradients.ipynb"
LINEAR = "02_linear_classifiers/1_linear_classifiers.ipynb"
LAYERS = "03_backprop/1_layers.ipynb"
TWO_LAYER = "03_backprop/2_two_layer_net.ipynb"
SCHEDULES = "04_optimization/2_schedules.ipynb"
RULES = "04_optimization/1_update_rules.ipynb"
BATCHNORM = "05_regularization/2_batchnorm.ipynb"
DROPOUT = "05_regularization/1_dropout.ipynb"
CONV_POOL = "06_convnets/1_conv_pool.ipynb"

_RECURSIVE_SORT = '''        order: list[Value] = []
        visited: set[Value] = set()

        def visit(node: Value) -> None:
            if node not in visited:
                visited.add(node)
                for child in node.children:
                    visit(child)
                order.append(node)

        visit(self)
'''

VALID: list[ValidAnswer] = [
    # ---------------------------------------------------------------- 01 gradients: autograd
    ValidAnswer("Value/iterative_topological_sort", AUTOGRAD, "Value", _edited_solution(AUTOGRAD, "Value", _RECURSIVE_SORT, '''\
        # An explicit stack instead of recursion: a node is appended once all its children are.
        order: list[Value] = []
        visited: set[Value] = set()
        stack = [(self, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                order.append(node)
            elif node not in visited:
                visited.add(node)
                stack.append((node, True))
                stack.extend((child, False) for child in node.children)
''')),
    ValidAnswer("Value/consumer_counting_order", AUTOGRAD, "Value", _edited_solution(AUTOGRAD, "Value", _RECURSIVE_SORT, '''\
        # Kahn's algorithm from the output: a node is ready once every node using it is done.
        consumers: dict[Value, int] = {}
        seen, frontier = {self}, [self]
        while frontier:
            node = frontier.pop()
            for child in node.children:
                consumers[child] = consumers.get(child, 0) + 1
                if child not in seen:
                    seen.add(child)
                    frontier.append(child)
        backward_order, ready = [], [self]
        while ready:
            node = ready.pop()
            backward_order.append(node)
            for child in node.children:
                consumers[child] -= 1
                if consumers[child] == 0:
                    ready.append(child)
        order = list(reversed(backward_order))
''')),
    ValidAnswer("Value/relu_with_if", AUTOGRAD, "Value", _edited_solution(
        AUTOGRAD, "Value", "self.grad += (self.data > 0) * out.grad", "if self.data > 0:\n                self.grad += out.grad")),
    # ---------------------------------------------------------------- 01 gradients: differences
    ValidAnswer("numerical_gradient/nditer", GRADIENTS, "numerical_gradient", '''
def numerical_gradient(f, x, h=1e-5):
    require_float64(x, "x")
    grad = np.zeros_like(x)
    iterator = np.nditer(x, flags=["multi_index"])
    while not iterator.finished:
        index = iterator.multi_index
        saved = x[index]
        x[index] = saved + h
        above = f(x)
        x[index] = saved - h
        below = f(x)
        x[index] = saved
        grad[index] = (above - below) / (2 * h)
        iterator.iternext()
    return grad
'''),
    ValidAnswer("numerical_gradient_upstream/ndindex", GRADIENTS, "numerical_gradient_upstream", '''
def numerical_gradient_upstream(f, x, dout, h=1e-5):
    require_float64(x, "x")
    require_float64(dout, "dout")
    grad = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        saved = x[index]
        x[index] = saved + h
        above = np.array(f(x))
        x[index] = saved - h
        below = np.array(f(x))
        x[index] = saved
        grad[index] = np.sum(dout * (above - below)) / (2 * h)
    return grad
'''),
    ValidAnswer("relative_error/loop", GRADIENTS, "relative_error", '''
def relative_error(a, b):
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    pairs = list(zip(a.ravel(), b.ravel()))
    floor = max(max((abs(x) + abs(y) for x, y in pairs), default=0.0) * SCALE_FLOOR, TINY)
    worst = 0.0
    for x, y in pairs:
        worst = max(worst, abs(x - y) / max(abs(x) + abs(y), floor))
    return float(worst)
'''),
    # ---------------------------------------------------------------- 02 linear classifiers
    ValidAnswer("svm_loss_loops/row_at_a_time", LINEAR, "svm_loss_loops", '''
def svm_loss_loops(scores, y, margin=1.0):
    check_array(scores, "scores", ndim=2)
    check_labels(y, "y", *scores.shape)
    num_examples = scores.shape[0]
    loss = 0.0
    dscores = np.zeros_like(scores)
    for i in range(num_examples):
        margins = np.maximum(0.0, scores[i] - scores[i, y[i]] + margin)
        margins[y[i]] = 0.0
        loss += margins.sum()
        violated = (margins > 0).astype(float)
        dscores[i] = violated
        dscores[i, y[i]] = -violated.sum()
    return loss / num_examples, dscores / num_examples
'''),
    ValidAnswer("svm_loss/fancy_indexing_mask", LINEAR, "svm_loss", '''
def svm_loss(scores, y, margin=1.0):
    check_array(scores, "scores", ndim=2)
    check_labels(y, "y", *scores.shape)
    rows = np.arange(scores.shape[0])
    margins = np.maximum(0.0, scores - scores[rows, y][:, None] + margin)
    margins[rows, y] = 0.0
    loss = margins.sum() / scores.shape[0]
    mask = (margins > 0).astype(scores.dtype)
    mask[rows, y] = -mask.sum(axis=1)
    return loss, mask / scores.shape[0]
'''),
    ValidAnswer("softmax_loss/logsumexp", LINEAR, "softmax_loss", '''
def softmax_loss(scores, y):
    from scipy.special import logsumexp

    check_array(scores, "scores", ndim=2)
    check_labels(y, "y", *scores.shape)
    num_examples = scores.shape[0]
    rows = np.arange(num_examples)
    log_norm = logsumexp(scores, axis=1, keepdims=True)
    loss = np.mean(log_norm[:, 0] - scores[rows, y])
    dscores = np.exp(scores - log_norm)
    dscores[rows, y] -= 1.0
    return loss, dscores / num_examples
'''),
    ValidAnswer("softmax_loss/row_loop", LINEAR, "softmax_loss", '''
def softmax_loss(scores, y):
    check_array(scores, "scores", ndim=2)
    check_labels(y, "y", *scores.shape)
    num_examples = scores.shape[0]
    loss = 0.0
    dscores = np.zeros_like(scores)
    for i in range(num_examples):
        shifted = scores[i] - scores[i].max()
        log_sum = np.log(np.sum(np.exp(shifted)))
        loss += log_sum - shifted[y[i]]  # -log p[y], never log(0): p underflows for large scores
        dscores[i] = np.exp(shifted - log_sum)
        dscores[i, y[i]] -= 1.0
    return loss / num_examples, dscores / num_examples
'''),
    ValidAnswer("binary_cross_entropy_loss/logaddexp_expit", LINEAR, "binary_cross_entropy_loss", '''
def binary_cross_entropy_loss(logits, y):
    from scipy.special import expit

    check_array(logits, "logits")
    y = y.astype(logits.dtype)
    loss = np.mean(np.logaddexp(0.0, logits) - y * logits)
    return loss, (expit(logits) - y) / logits.size
'''),
    ValidAnswer("mse_loss/mean", LINEAR, "mse_loss", '''
def mse_loss(pred, target):
    check_array(pred, "pred")
    check_array(target, "target")
    if pred.shape != target.shape:
        raise ValueError(f"pred has shape {pred.shape} but target has shape {target.shape}; they must match")
    error = pred - target
    return np.mean(error ** 2), error * (2.0 / error.size)
'''),
    ValidAnswer("l2_penalty/vdot", LINEAR, "l2_penalty", '''
def l2_penalty(w, reg):
    check_array(w, "w")
    return reg / 2 * np.vdot(w, w), w * reg
'''),
    ValidAnswer("l1_penalty/nested_where", LINEAR, "l1_penalty", '''
def l1_penalty(w, reg):
    check_array(w, "w")
    value = reg * np.abs(w).sum()
    dw = np.where(w > 0, reg, np.where(w < 0, -reg, 0.0))
    return value, dw
'''),
    ValidAnswer("elastic_net_penalty/written_out", LINEAR, "elastic_net_penalty", '''
def elastic_net_penalty(w, reg, l1_ratio):
    check_array(w, "w")
    if not 0 <= l1_ratio <= 1:
        raise ValueError(f"l1_ratio must lie in [0, 1], got {l1_ratio!r}")
    value = reg * (l1_ratio * np.sum(np.abs(w)) + (1 - l1_ratio) * 0.5 * np.sum(w ** 2))
    dw = reg * (l1_ratio * np.sign(w) + (1 - l1_ratio) * w)
    return value, dw
'''),
    # ---------------------------------------------------------------- 03 backprop: layers
    ValidAnswer("affine_backward/einsum", LAYERS, "affine_backward", '''
def affine_backward(dout, cache):
    x, w = cache
    dx = np.einsum("nm,dm->nd", dout, w)
    dw = np.einsum("nd,nm->dm", x, dout)
    db = np.einsum("nm->m", dout)
    return dx, dw, db
'''),
    ValidAnswer("affine_backward/outer_products_loop", LAYERS, "affine_backward", '''
def affine_backward(dout, cache):
    x, w = cache
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    db = np.zeros(w.shape[1])
    for n in range(x.shape[0]):
        dx[n] = w @ dout[n]
        dw += np.outer(x[n], dout[n])
        db += dout[n]
    return dx, dw, db
'''),
    ValidAnswer("relu_forward/mask_multiply", LAYERS, "relu_forward", '''
def relu_forward(x):
    check_array(x, "x")
    return x * (x > 0), x
'''),
    ValidAnswer("relu_backward/mask_multiply", LAYERS, "relu_backward", '''
def relu_backward(dout, cache):
    x = cache
    check_upstream(dout, x.shape)
    return dout * (x > 0)
'''),
    ValidAnswer("leaky_relu_forward/maximum", LAYERS, "leaky_relu_forward", '''
def leaky_relu_forward(x, alpha=0.01):
    check_array(x, "x")
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0 <= alpha < 1:
        raise ValueError(f"alpha must be a number in [0, 1), got {alpha!r}")
    return np.maximum(x, alpha * x), (x, alpha)  # alpha < 1: the larger of the two is the right one
'''),
    ValidAnswer("leaky_relu_backward/slope_array", LAYERS, "leaky_relu_backward", '''
def leaky_relu_backward(dout, cache):
    x, alpha = cache
    check_upstream(dout, x.shape)
    slope = np.where(x > 0, 1.0, alpha)
    return dout * slope
'''),
    ValidAnswer("sigmoid_forward/expit", LAYERS, "sigmoid_forward", '''
def sigmoid_forward(x):
    from scipy.special import expit

    check_array(x, "x")
    out = expit(x)
    return out, out
'''),
    ValidAnswer("sigmoid_backward/other_order", LAYERS, "sigmoid_backward", '''
def sigmoid_backward(dout, cache):
    out = cache
    check_upstream(dout, out.shape)
    return out * (1 - out) * dout
'''),
    ValidAnswer("tanh_forward/exp_of_minus_abs", LAYERS, "tanh_forward", '''
def tanh_forward(x):
    check_array(x, "x")
    decay = np.exp(-2 * np.abs(x))  # in (0, 1]: never overflows
    out = np.sign(x) * (1 - decay) / (1 + decay)
    return out, out
'''),
    ValidAnswer("tanh_backward/expanded", LAYERS, "tanh_backward", '''
def tanh_backward(dout, cache):
    out = cache
    check_upstream(dout, out.shape)
    return dout - dout * out * out
'''),
    # ---------------------------------------------------------------- 03 backprop: the network
    ValidAnswer("two_layer_net_backward/staged_then_scaled", TWO_LAYER, "two_layer_net_backward", '''
def two_layer_net_backward(dJ, cache):
    X, Y, A, Y_hat, W1, W2, reg = cache
    m = X.shape[0]
    # the gradients of J itself, stage by stage; dJ scales them all at the end
    dlogits = (Y_hat - Y) / m
    dW2 = A.T @ dlogits + reg / m * W2
    db2 = dlogits.sum(axis=0)
    dA = dlogits @ W2.T
    dhidden = dA * (A - A * A)
    dW1 = X.T @ dhidden + reg / m * W1
    db1 = dhidden.sum(axis=0)
    return dJ * dW1, dJ * db1, dJ * dW2, dJ * db2
'''),
    # ---------------------------------------------------------------- 04 optimization: schedules
    ValidAnswer("step_decay/loop", SCHEDULES, "step_decay", '''
def step_decay(step, *, base_lr, decay=0.1, every):
    _check_step(step)
    _check_rate(base_lr, "base_lr")
    _check_rate(decay, "decay")
    _check_positive_count(every, "every")
    learning_rate = base_lr
    for _ in range(step // every):
        learning_rate *= decay
    return float(learning_rate)
'''),
    ValidAnswer("cosine_decay/squared_cosine", SCHEDULES, "cosine_decay", '''
def cosine_decay(step, *, base_lr, total_steps, final_lr=0.0):
    _check_step(step)
    _check_rate(base_lr, "base_lr")
    _check_rate(final_lr, "final_lr")
    _check_positive_count(total_steps, "total_steps")
    progress = min(step, total_steps) / total_steps
    return float(final_lr + (base_lr - final_lr) * math.cos(math.pi * progress / 2) ** 2)
'''),
    ValidAnswer("linear_decay/from_the_start", SCHEDULES, "linear_decay", '''
def linear_decay(step, *, base_lr, total_steps, final_lr=0.0):
    _check_step(step)
    _check_rate(base_lr, "base_lr")
    _check_rate(final_lr, "final_lr")
    _check_positive_count(total_steps, "total_steps")
    if step >= total_steps:
        return float(final_lr)
    return float(base_lr + (final_lr - base_lr) * step / total_steps)
'''),
    ValidAnswer("inverse_sqrt_decay/branches", SCHEDULES, "inverse_sqrt_decay", '''
def inverse_sqrt_decay(step, *, base_lr, hold_steps=1):
    _check_step(step)
    _check_rate(base_lr, "base_lr")
    _check_positive_count(hold_steps, "hold_steps")
    if step <= hold_steps:
        return float(base_lr)
    return float(base_lr / math.sqrt(step / hold_steps))
'''),
    ValidAnswer("with_warmup/closed_form_ramp", SCHEDULES, "with_warmup", '''
def with_warmup(schedule, warmup_steps):
    if not callable(schedule):
        raise TypeError(f"schedule must be a function of the step, got {type(schedule).__name__}")
    _check_positive_count(warmup_steps, "warmup_steps")

    def warmed_up(step):
        _check_step(step)
        ramp = min(step / warmup_steps, 1.0)
        return float(ramp * schedule(max(step - warmup_steps, 0)))

    return warmed_up
'''),
    # ---------------------------------------------------------------- 04 optimization: update rules
    ValidAnswer("sgd/in_place_on_a_copy", RULES, "sgd", '''
def sgd(w, dw, state, *, learning_rate, weight_decay=0.0):
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    next_w = w.copy()
    next_w -= learning_rate * dw
    return next_w, {}
'''),
    ValidAnswer("sgd_momentum/other_order", RULES, "sgd_momentum", '''
def sgd_momentum(w, dw, state, *, learning_rate, momentum=0.9, weight_decay=0.0):
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, momentum=momentum, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    velocity = dw + momentum * state.get("velocity", np.zeros_like(w))
    return w - velocity * learning_rate, {"velocity": velocity}
'''),
    ValidAnswer("nesterov_momentum/two_steps", RULES, "nesterov_momentum", '''
def nesterov_momentum(w, dw, state, *, learning_rate, momentum=0.9, weight_decay=0.0):
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, momentum=momentum, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    velocity = _state_array(state, "velocity", w)
    velocity = momentum * velocity + dw
    next_w = w - learning_rate * dw  # the gradient step
    next_w = next_w - learning_rate * momentum * velocity  # and the look-ahead along the velocity
    return next_w, {"velocity": velocity}
'''),
    ValidAnswer("adagrad/square_and_sqrt", RULES, "adagrad", '''
def adagrad(w, dw, state, *, learning_rate, eps=1e-7, weight_decay=0.0):
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, eps=eps, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    grad_squared = _state_array(state, "grad_squared", w) + np.square(dw)
    step = learning_rate * dw / (np.sqrt(grad_squared) + eps)
    return w - step, {"grad_squared": grad_squared}
'''),
    ValidAnswer("rmsprop/moving_towards", RULES, "rmsprop", '''
def rmsprop(w, dw, state, *, learning_rate, decay_rate=0.99, eps=1e-8, weight_decay=0.0):
    _check_step_inputs(
        w, dw, state, learning_rate=learning_rate, decay_rate=decay_rate, eps=eps, weight_decay=weight_decay
    )
    dw = _with_weight_decay(w, dw, weight_decay)
    grad_squared = _state_array(state, "grad_squared", w)
    # the average moves a fraction (1 - decay_rate) of the way towards dw**2
    grad_squared = grad_squared + (1 - decay_rate) * (dw * dw - grad_squared)
    next_w = w - learning_rate * dw / (np.sqrt(grad_squared) + eps)
    return next_w, {"grad_squared": grad_squared}
'''),
    ValidAnswer("adam/in_place_on_copies", RULES, "adam", '''
def adam(w, dw, state, *, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    _check_step_inputs(
        w, dw, state, learning_rate=learning_rate, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay
    )
    dw = _with_weight_decay(w, dw, weight_decay)
    m = _state_array(state, "m", w).copy()
    v = _state_array(state, "v", w).copy()
    t = state.get("t", 0) + 1
    m *= beta1
    m += (1 - beta1) * dw
    v *= beta2
    v += (1 - beta2) * dw ** 2
    next_w = w.copy()
    next_w -= learning_rate * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return next_w, {"m": m, "v": v, "t": t}
'''),
    # ---------------------------------------------------------------- 05 regularization
    ValidAnswer("batchnorm_backward/staged_graph", BATCHNORM, "batchnorm_backward", '''
def batchnorm_backward(dout, cache):
    x_hat, gamma, inv_std, train = cache
    check_upstream(dout, tuple(x_hat.shape))
    axes = _reduction_axes(x_hat)
    count = _values_per_feature(x_hat)
    gamma_b = _per_feature(gamma, x_hat.ndim)
    inv_std_b = _per_feature(inv_std, x_hat.ndim)
    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)
    dx_hat = dout * gamma_b
    if not train:
        return dx_hat * inv_std_b, dgamma, dbeta
    # the graph node by node: x_hat = centered * inv_std, inv_std = (var + eps) ** -0.5
    centered = x_hat / inv_std_b
    dinv_std = (dx_hat * centered).sum(axis=axes, keepdims=True)
    dvar = dinv_std * -0.5 * inv_std_b ** 3
    dcentered = dx_hat * inv_std_b + dvar * 2.0 * centered / count
    dmean = -dcentered.sum(axis=axes, keepdims=True)
    dx = dcentered + dmean / count
    return dx, dgamma, dbeta
'''),
    ValidAnswer("weight_decay/add", DROPOUT, "weight_decay", '''
def weight_decay(w, dw, reg):
    check_array(w, "w")
    check_array(dw, "dw")
    if tuple(dw.shape) != tuple(w.shape):
        raise ValueError(f"dw has shape {tuple(dw.shape)} but w has shape {tuple(w.shape)}; they must match")
    if reg < 0:
        raise ValueError(f"reg must be non-negative, got {reg!r}")
    return np.add(dw, w * reg)
'''),
    ValidAnswer("dropout_forward/where_mask", DROPOUT, "dropout_forward", '''
def dropout_forward(x, keep_prob, *, train=True, rng=None):
    check_array(x, "x")
    if isinstance(keep_prob, bool) or not isinstance(keep_prob, Real) or not 0 < keep_prob <= 1:
        raise ValueError(f"keep_prob must be a probability in (0, 1], got {keep_prob!r}")
    random = as_random_state(rng)
    if not train:
        return x, None
    keep = random.uniform(tuple(x.shape), like=x) < keep_prob
    mask = np.where(keep, 1.0 / keep_prob, 0.0)
    return x * mask, mask
'''),
    ValidAnswer("dropout_backward/in_place_on_a_copy", DROPOUT, "dropout_backward", '''
def dropout_backward(dout, cache):
    mask = cache
    if mask is None:
        return dout
    check_upstream(dout, mask.shape)
    dx = dout.copy()
    dx *= mask
    return dx
'''),
    # ---------------------------------------------------------------- 06 convnets
    ValidAnswer("conv_forward_naive/sliding_window_view", CONV_POOL, "conv_forward_naive", '''
def conv_forward_naive(x, w, b, stride=1, pad=0):
    out_height, out_width = check_conv_inputs(x, w, b, stride, pad)
    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    kernel_height, kernel_width = w.shape[2:]
    windows = np.lib.stride_tricks.sliding_window_view(x_padded, (kernel_height, kernel_width), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride][:, :, :out_height, :out_width]  # (N, C, H_out, W_out, HH, WW)
    out = np.einsum("nchwij,fcij->nfhw", windows, w) + b[None, :, None, None]
    return out, (x, w, b, stride, pad)
'''),
    ValidAnswer("conv_backward_naive/einsum_per_position", CONV_POOL, "conv_backward_naive", '''
def conv_backward_naive(dout, cache):
    x, w, b, stride, pad = cache
    kernel_height, kernel_width = w.shape[2:]
    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_padded = np.zeros_like(x_padded)
    dw = np.zeros_like(w)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows = slice(i * stride, i * stride + kernel_height)
            cols = slice(j * stride, j * stride + kernel_width)
            upstream = dout[:, :, i, j]  # (N, F)
            dw += np.einsum("nf,ncij->fcij", upstream, x_padded[:, :, rows, cols])
            dx_padded[:, :, rows, cols] += np.einsum("nf,fcij->ncij", upstream, w)
    db = dout.sum(axis=(0, 2, 3))
    height, width = x.shape[2:]
    return dx_padded[:, :, pad : pad + height, pad : pad + width], dw, db
'''),
    ValidAnswer("max_pool_forward_naive/sliding_window_view", CONV_POOL, "max_pool_forward_naive", '''
def max_pool_forward_naive(x, pool_height=2, pool_width=2, stride=2):
    check_array(x, "x", ndim=4)
    out_height, out_width = pool_output_shape(tuple(x.shape), pool_height, pool_width, stride)
    windows = np.lib.stride_tricks.sliding_window_view(x, (pool_height, pool_width), axis=(2, 3))
    out = windows[:, :, ::stride, ::stride].max(axis=(4, 5))[:, :, :out_height, :out_width]
    return out, (x, pool_height, pool_width, stride)
'''),
    ValidAnswer("max_pool_backward_naive/argmax_add_at", CONV_POOL, "max_pool_backward_naive", '''
def max_pool_backward_naive(dout, cache):
    x, pool_height, pool_width, stride = cache
    num_images, channels = x.shape[:2]
    images, planes = np.meshgrid(np.arange(num_images), np.arange(channels), indexing="ij")
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            top, left = i * stride, j * stride
            window = x[:, :, top : top + pool_height, left : left + pool_width].reshape(num_images, channels, -1)
            row, col = np.divmod(window.argmax(axis=2), pool_width)  # argmax: the first maximum wins ties
            np.add.at(dx, (images, planes, top + row, left + col), dout[:, :, i, j])
    return dx
'''),
    ValidAnswer(
        label="elu_backward/one_local_slope",
        notebook=LAYERS,
        function="elu_backward",
        source='''
def elu_backward(dout, cache):
    x, alpha = cache
    xp = namespace(dout, x)
    slope = xp.where(x > 0, 1.0, alpha * xp.exp(xp.minimum(x, 0.0)))
    return dout * slope
''',
    ),
    ValidAnswer(
        label="maxout_forward/max_of_stacked_pieces",
        notebook=LAYERS,
        function="maxout_forward",
        source='''
def maxout_forward(x, w, b):
    xp = namespace(x, w, b)
    pieces = xp.stack([x @ w[j, ...] + b[j, :] for j in range(w.shape[0])])
    return xp.max(pieces, axis=0), (x, w, b)
''',
    ),
    ValidAnswer(
        label="maxout_backward/einsum_over_one_hot_winners",
        notebook=LAYERS,
        function="maxout_backward",
        source='''
def maxout_backward(dout, cache):
    import numpy as np

    x, w, b = cache
    pieces = np.einsum("nd,kdm->knm", x, w) + b[:, None, :]
    one_hot = np.arange(len(w))[:, None, None] == pieces.argmax(axis=0)  # first maximum on ties
    routed = one_hot * dout
    return np.einsum("knm,kdm->nd", routed, w), np.einsum("nd,knm->kdm", x, routed), routed.sum(axis=1)
''',
    ),
    ValidAnswer(
        label="elu_forward/positive_part_plus_negative_part",
        notebook=LAYERS,
        function="elu_forward",
        source='''
def elu_forward(x, alpha=1.0):
    xp = namespace(x)
    negative = xp.minimum(x, 0.0)
    out = xp.maximum(x, 0.0) + alpha * (xp.exp(negative) - 1.0)  # exp(0) - 1 = 0 on the positive side
    return out, (x, alpha)
''',
    ),
]
