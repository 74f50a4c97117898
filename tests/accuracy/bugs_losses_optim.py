"""Planted bugs in the losses, penalties, update rules, schedules and the two-layer network.

Each entry is a whole graded function written as a student might, with one realistic mistake;
``mistake`` is a phrase of the diagnosis the grader's message must contain (see corpus.py).
Run them through ``bpk-grade check`` with the accuracy runner, or by hand with ``write_course``.
"""

from __future__ import annotations

from corpus import PlantedBug

LINEAR = "02_linear_classifiers/1_linear_classifiers.ipynb"
NETWORK = "03_backprop/2_two_layer_net.ipynb"
RULES = "04_optimization/1_update_rules.ipynb"
SCHEDULES = "04_optimization/2_schedules.ipynb"
DROPOUT = "05_regularization/1_dropout.ipynb"


def _bug(label: str, notebook: str, source: str, mistake: str) -> PlantedBug:
    """A bug in the function that ``source`` defines (its name is read from the ``def`` line)."""
    function = source.split("def ", 1)[1].split("(", 1)[0]
    return PlantedBug(label, notebook, function, source, mistake)


BUGS: list[PlantedBug] = [
    # --- SVM -------------------------------------------------------------------------------------
    _bug("svm_loss_loops/correct_class_minus_one", LINEAR, '''
def svm_loss_loops(scores, y, margin=1.0):
    check_array(scores, "scores", ndim=2)
    check_labels(y, "y", *scores.shape)
    xp = namespace(scores, y)
    num_examples, num_classes = scores.shape
    loss = 0.0
    dscores = xp.zeros_like(scores)
    for i in range(num_examples):
        label = int(y[i])
        for j in range(num_classes):
            if j == label:
                continue
            violation = scores[i, j] - scores[i, label] + margin
            if violation > 0:
                loss += violation
                dscores[i, j] += 1.0
                dscores[i, label] = -1.0
    return loss / num_examples, dscores / num_examples
''', "minus the number of classes whose margin is violated"),
    _bug("svm_loss_loops/counts_correct_class", LINEAR, '''
def svm_loss_loops(scores, y, margin=1.0):
    check_array(scores, "scores", ndim=2)
    check_labels(y, "y", *scores.shape)
    xp = namespace(scores, y)
    num_examples, num_classes = scores.shape
    loss = 0.0
    dscores = xp.zeros_like(scores)
    for i in range(num_examples):
        label = int(y[i])
        for j in range(num_classes):
            violation = scores[i, j] - scores[i, label] + margin
            if violation > 0:
                loss += violation
                dscores[i, j] += 1.0
                dscores[i, label] -= 1.0
    return loss / num_examples, dscores / num_examples
''', "includes the correct class"),
    _bug("svm_loss_loops/loss_summed", LINEAR, '''
def svm_loss_loops(scores, y, margin=1.0):
    check_array(scores, "scores", ndim=2)
    check_labels(y, "y", *scores.shape)
    xp = namespace(scores, y)
    num_examples, num_classes = scores.shape
    loss = 0.0
    dscores = xp.zeros_like(scores)
    for i in range(num_examples):
        label = int(y[i])
        for j in range(num_classes):
            if j == label:
                continue
            violation = scores[i, j] - scores[i, label] + margin
            if violation > 0:
                loss += violation
                dscores[i, j] += 1.0
                dscores[i, label] -= 1.0
    return loss, dscores / num_examples
''', "is summed over the batch"),
    _bug("svm_loss/correct_class_minus_one", LINEAR, '''
def svm_loss(scores, y, margin=1.0):
    check_array(scores, "scores", ndim=2)
    check_labels(y, "y", *scores.shape)
    xp = namespace(scores, y)
    num_examples, num_classes = scores.shape
    classes = xp.arange(num_classes, device=device_of(scores))
    onehot = xp.astype(y[:, None] == classes, scores.dtype)
    correct_scores = xp.sum(scores * onehot, axis=1, keepdims=True)
    margins = xp.maximum(scores - correct_scores + margin, 0.0) * (1.0 - onehot)
    loss = xp.sum(margins) / num_examples
    violated = xp.astype(margins > 0, scores.dtype)
    dscores = (violated - onehot) / num_examples
    return loss, dscores
''', "minus the number of classes whose margin is violated"),
    _bug("svm_loss/gradient_sign", LINEAR, '''
def svm_loss(scores, y, margin=1.0):
    check_array(scores, "scores", ndim=2)
    check_labels(y, "y", *scores.shape)
    xp = namespace(scores, y)
    num_examples, num_classes = scores.shape
    classes = xp.arange(num_classes, device=device_of(scores))
    onehot = xp.astype(y[:, None] == classes, scores.dtype)
    correct_scores = xp.sum(scores * onehot, axis=1, keepdims=True)
    margins = xp.maximum(scores - correct_scores + margin, 0.0) * (1.0 - onehot)
    loss = xp.sum(margins) / num_examples
    violated = xp.astype(margins > 0, scores.dtype)
    dscores = (onehot * xp.sum(violated, axis=1, keepdims=True) - violated) / num_examples
    return loss, dscores
''', "sign is flipped"),
    _bug("svm_loss/gradient_not_divided", LINEAR, '''
def svm_loss(scores, y, margin=1.0):
    check_array(scores, "scores", ndim=2)
    check_labels(y, "y", *scores.shape)
    xp = namespace(scores, y)
    num_examples, num_classes = scores.shape
    classes = xp.arange(num_classes, device=device_of(scores))
    onehot = xp.astype(y[:, None] == classes, scores.dtype)
    correct_scores = xp.sum(scores * onehot, axis=1, keepdims=True)
    margins = xp.maximum(scores - correct_scores + margin, 0.0) * (1.0 - onehot)
    loss = xp.sum(margins) / num_examples
    violated = xp.astype(margins > 0, scores.dtype)
    dscores = violated - onehot * xp.sum(violated, axis=1, keepdims=True)
    return loss, dscores
''', "not divided by N"),
    # --- softmax ---------------------------------------------------------------------------------
    _bug("softmax_loss/no_max_shift", LINEAR, '''
def softmax_loss(scores, y):
    check_array(scores, "scores", ndim=2)
    check_labels(y, "y", *scores.shape)
    xp = namespace(scores, y)
    num_examples, num_classes = scores.shape
    classes = xp.arange(num_classes, device=device_of(scores))
    exps = xp.exp(scores)
    probs = exps / xp.sum(exps, axis=1, keepdims=True)
    onehot = xp.astype(y[:, None] == classes, scores.dtype)
    loss = -xp.sum(xp.log(probs) * onehot) / num_examples
    dscores = (probs - onehot) / num_examples
    return loss, dscores
''', "subtract each row's maximum"),
    _bug("softmax_loss/gradient_not_divided", LINEAR, '''
def softmax_loss(scores, y):
    check_array(scores, "scores", ndim=2)
    check_labels(y, "y", *scores.shape)
    xp = namespace(scores, y)
    num_examples, num_classes = scores.shape
    classes = xp.arange(num_classes, device=device_of(scores))
    shifted = scores - xp.max(scores, axis=1, keepdims=True)
    log_probs = shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))
    onehot = xp.astype(y[:, None] == classes, scores.dtype)
    loss = -xp.sum(log_probs * onehot) / num_examples
    dscores = xp.exp(log_probs) - onehot
    return loss, dscores
''', "not divided by N"),
    _bug("softmax_loss/correct_class_term_missing", LINEAR, '''
def softmax_loss(scores, y):
    check_array(scores, "scores", ndim=2)
    check_labels(y, "y", *scores.shape)
    xp = namespace(scores, y)
    num_examples, num_classes = scores.shape
    classes = xp.arange(num_classes, device=device_of(scores))
    shifted = scores - xp.max(scores, axis=1, keepdims=True)
    log_probs = shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))
    onehot = xp.astype(y[:, None] == classes, scores.dtype)
    loss = -xp.sum(log_probs * onehot) / num_examples
    dscores = xp.exp(log_probs) / num_examples
    return loss, dscores
''', "-1 at the correct class is missing"),
    _bug("softmax_loss/normalized_over_batch", LINEAR, '''
def softmax_loss(scores, y):
    check_array(scores, "scores", ndim=2)
    check_labels(y, "y", *scores.shape)
    xp = namespace(scores, y)
    num_examples, num_classes = scores.shape
    classes = xp.arange(num_classes, device=device_of(scores))
    shifted = scores - xp.max(scores, axis=0, keepdims=True)
    probs = xp.exp(shifted) / xp.sum(xp.exp(shifted), axis=0, keepdims=True)
    onehot = xp.astype(y[:, None] == classes, scores.dtype)
    loss = -xp.sum(xp.log(probs) * onehot) / num_examples
    dscores = (probs - onehot) / num_examples
    return loss, dscores
''', "normalized over the batch"),
    # --- binary cross-entropy --------------------------------------------------------------------
    _bug("binary_cross_entropy_loss/gradient_sign", LINEAR, '''
def binary_cross_entropy_loss(logits, y):
    check_array(logits, "logits")
    xp = namespace(logits, y)
    y = xp.astype(y, logits.dtype)
    size = logits.size
    decay = xp.exp(-xp.abs(logits))
    loss = xp.sum(xp.maximum(logits, 0.0) - logits * y + xp.log1p(decay)) / size
    probs = xp.where(logits >= 0, 1.0 / (1.0 + decay), decay / (1.0 + decay))
    dlogits = (y - probs) / size
    return loss, dlogits
''', "sign is flipped"),
    _bug("binary_cross_entropy_loss/naive_log_sigmoid", LINEAR, '''
def binary_cross_entropy_loss(logits, y):
    check_array(logits, "logits")
    xp = namespace(logits, y)
    y = xp.astype(y, logits.dtype)
    size = logits.size
    probs = 1.0 / (1.0 + xp.exp(-logits))
    loss = -xp.sum(y * xp.log(probs) + (1 - y) * xp.log(1 - probs)) / size
    dlogits = (probs - y) / size
    return loss, dlogits
''', "overflows or hits log(0)"),
    _bug("binary_cross_entropy_loss/logits_for_probabilities", LINEAR, '''
def binary_cross_entropy_loss(logits, y):
    check_array(logits, "logits")
    xp = namespace(logits, y)
    y = xp.astype(y, logits.dtype)
    size = logits.size
    decay = xp.exp(-xp.abs(logits))
    loss = xp.sum(xp.maximum(logits, 0.0) - logits * y + xp.log1p(decay)) / size
    dlogits = (logits - y) / size
    return loss, dlogits
''', "uses the logits"),
    _bug("binary_cross_entropy_loss/sigmoid_derivative_again", LINEAR, '''
def binary_cross_entropy_loss(logits, y):
    check_array(logits, "logits")
    xp = namespace(logits, y)
    y = xp.astype(y, logits.dtype)
    size = logits.size
    decay = xp.exp(-xp.abs(logits))
    loss = xp.sum(xp.maximum(logits, 0.0) - logits * y + xp.log1p(decay)) / size
    probs = xp.where(logits >= 0, 1.0 / (1.0 + decay), decay / (1.0 + decay))
    dlogits = (probs - y) * probs * (1 - probs) / size
    return loss, dlogits
''', "sigmoid's derivative"),
    # --- MSE -------------------------------------------------------------------------------------
    _bug("mse_loss/factor_two_missing", LINEAR, '''
def mse_loss(pred, target):
    check_array(pred, "pred")
    check_array(target, "target")
    if pred.shape != target.shape:
        raise ValueError(f"pred has shape {pred.shape} but target has shape {target.shape}; they must match")
    xp = namespace(pred, target)
    size = pred.size
    diff = pred - target
    return xp.sum(diff * diff) / size, diff / size
''', "factor 2 is missing"),
    _bug("mse_loss/half_convention", LINEAR, '''
def mse_loss(pred, target):
    check_array(pred, "pred")
    check_array(target, "target")
    if pred.shape != target.shape:
        raise ValueError(f"pred has shape {pred.shape} but target has shape {target.shape}; they must match")
    xp = namespace(pred, target)
    size = pred.size
    diff = pred - target
    return 0.5 * xp.sum(diff * diff) / size, diff / size
''', "factor 1/2 too many"),
    _bug("mse_loss/mean_over_rows", LINEAR, '''
def mse_loss(pred, target):
    check_array(pred, "pred")
    check_array(target, "target")
    if pred.shape != target.shape:
        raise ValueError(f"pred has shape {pred.shape} but target has shape {target.shape}; they must match")
    xp = namespace(pred, target)
    n = pred.shape[0]
    diff = pred - target
    return xp.sum(diff * diff) / n, 2.0 * diff / n
''', "mean is taken over the rows"),
    # --- penalties -------------------------------------------------------------------------------
    _bug("l2_penalty/gradient_doubled", LINEAR, '''
def l2_penalty(w, reg):
    check_array(w, "w")
    xp = namespace(w)
    value = 0.5 * reg * xp.sum(w * w)
    dw = 2 * reg * w
    return value, dw
''', "dw is 2 * reg * w"),
    _bug("l2_penalty/no_half", LINEAR, '''
def l2_penalty(w, reg):
    check_array(w, "w")
    xp = namespace(w)
    value = reg * xp.sum(w * w)
    dw = 2 * reg * w
    return value, dw
''', "the penalty is reg * sum(w**2)"),
    _bug("l1_penalty/nan_at_zero", LINEAR, '''
def l1_penalty(w, reg):
    check_array(w, "w")
    xp = namespace(w)
    value = reg * xp.sum(xp.abs(w))
    dw = reg * w / xp.abs(w)
    return value, dw
''', "NaN where w is exactly 0"),
    _bug("l1_penalty/l2_gradient", LINEAR, '''
def l1_penalty(w, reg):
    check_array(w, "w")
    xp = namespace(w)
    value = reg * xp.sum(xp.abs(w))
    dw = reg * w
    return value, dw
''', "(the L2 gradient)"),
    _bug("l1_penalty/plus_one_at_zero", LINEAR, '''
def l1_penalty(w, reg):
    check_array(w, "w")
    xp = namespace(w)
    value = reg * xp.sum(xp.abs(w))
    dw = reg * xp.where(w >= 0, 1.0, -1.0)
    return value, dw
''', "not +1 or -1"),
    _bug("elastic_net_penalty/weights_swapped", LINEAR, '''
def elastic_net_penalty(w, reg, l1_ratio):
    check_array(w, "w")
    if not 0 <= l1_ratio <= 1:
        raise ValueError(f"l1_ratio must lie in [0, 1], got {l1_ratio!r}")
    l1_value, l1_dw = l1_penalty(w, reg)
    l2_value, l2_dw = l2_penalty(w, reg)
    value = (1 - l1_ratio) * l1_value + l1_ratio * l2_value
    dw = (1 - l1_ratio) * l1_dw + l1_ratio * l2_dw
    return value, dw
''', "are swapped"),
    _bug("elastic_net_penalty/nan_at_zero", LINEAR, '''
def elastic_net_penalty(w, reg, l1_ratio):
    check_array(w, "w")
    if not 0 <= l1_ratio <= 1:
        raise ValueError(f"l1_ratio must lie in [0, 1], got {l1_ratio!r}")
    xp = namespace(w)
    value = l1_ratio * reg * xp.sum(xp.abs(w)) + (1 - l1_ratio) * 0.5 * reg * xp.sum(w * w)
    dw = l1_ratio * reg * w / xp.abs(w) + (1 - l1_ratio) * reg * w
    return value, dw
''', "NaN where w is exactly 0"),
    _bug("elastic_net_penalty/unweighted", LINEAR, '''
def elastic_net_penalty(w, reg, l1_ratio):
    check_array(w, "w")
    if not 0 <= l1_ratio <= 1:
        raise ValueError(f"l1_ratio must lie in [0, 1], got {l1_ratio!r}")
    l1_value, l1_dw = l1_penalty(w, reg)
    l2_value, l2_dw = l2_penalty(w, reg)
    return l1_value + l2_value, l1_dw + l2_dw
''', "are not weighted"),

    # --- the two-layer network's backward pass -------------------------------------------------
    _bug("two_layer_net_backward/hidden_derivative_missing", NETWORK, '''
def two_layer_net_backward(dJ, cache):
    X, Y, A, Y_hat, W1, W2, reg = cache
    xp = namespace(X, A, W1, W2)
    m = X.shape[0]
    delta2 = dJ * (Y_hat - Y) / m
    dW2 = A.T @ delta2 + dJ * (reg / m) * W2
    db2 = xp.sum(delta2, axis=0)
    dA = delta2 @ W2.T
    delta1 = dA
    dW1 = X.T @ delta1 + dJ * (reg / m) * W1
    db1 = xp.sum(delta1, axis=0)
    return dW1, db1, dW2, db2
''', "sigmoid derivative is missing"),
    _bug("two_layer_net_backward/bias_penalty_db2", NETWORK, '''
def two_layer_net_backward(dJ, cache):
    X, Y, A, Y_hat, W1, W2, reg = cache
    xp = namespace(X, A, W1, W2)
    m = X.shape[0]
    delta2 = dJ * (Y_hat - Y) / m
    dW2 = A.T @ delta2 + dJ * (reg / m) * W2
    db2 = xp.sum(delta2, axis=0) + dJ * (reg / m) * xp.sum(W2, axis=0)
    dA = delta2 @ W2.T
    delta1 = dA * A * (1.0 - A)
    dW1 = X.T @ delta1 + dJ * (reg / m) * W1
    db1 = xp.sum(delta1, axis=0)
    return dW1, db1, dW2, db2
''', "penalty is added to a bias gradient"),
    _bug("two_layer_net_backward/bias_penalty_db1", NETWORK, '''
def two_layer_net_backward(dJ, cache):
    X, Y, A, Y_hat, W1, W2, reg = cache
    xp = namespace(X, A, W1, W2)
    m = X.shape[0]
    delta2 = dJ * (Y_hat - Y) / m
    dW2 = A.T @ delta2 + dJ * (reg / m) * W2
    db2 = xp.sum(delta2, axis=0)
    dA = delta2 @ W2.T
    delta1 = dA * A * (1.0 - A)
    dW1 = X.T @ delta1 + dJ * (reg / m) * W1
    db1 = xp.sum(delta1, axis=0) + dJ * reg / m
    return dW1, db1, dW2, db2
''', "penalty is added to a bias gradient"),
    _bug("two_layer_net_backward/output_derivative_again", NETWORK, '''
def two_layer_net_backward(dJ, cache):
    X, Y, A, Y_hat, W1, W2, reg = cache
    xp = namespace(X, A, W1, W2)
    m = X.shape[0]
    delta2 = dJ * (Y_hat - Y) * Y_hat * (1 - Y_hat) / m
    dW2 = A.T @ delta2 + dJ * (reg / m) * W2
    db2 = xp.sum(delta2, axis=0)
    dA = delta2 @ W2.T
    delta1 = dA * A * (1.0 - A)
    dW1 = X.T @ delta1 + dJ * (reg / m) * W1
    db1 = xp.sum(delta1, axis=0)
    return dW1, db1, dW2, db2
''', "output sigmoid's derivative"),
    _bug("two_layer_net_backward/penalty_missing", NETWORK, '''
def two_layer_net_backward(dJ, cache):
    X, Y, A, Y_hat, W1, W2, reg = cache
    xp = namespace(X, A, W1, W2)
    m = X.shape[0]
    delta2 = dJ * (Y_hat - Y) / m
    dW2 = A.T @ delta2
    db2 = xp.sum(delta2, axis=0)
    dA = delta2 @ W2.T
    delta1 = dA * A * (1.0 - A)
    dW1 = X.T @ delta1
    db1 = xp.sum(delta1, axis=0)
    return dW1, db1, dW2, db2
''', "penalty's gradient is missing"),
    _bug("two_layer_net_backward/penalty_not_divided", NETWORK, '''
def two_layer_net_backward(dJ, cache):
    X, Y, A, Y_hat, W1, W2, reg = cache
    xp = namespace(X, A, W1, W2)
    m = X.shape[0]
    delta2 = dJ * (Y_hat - Y) / m
    dW2 = A.T @ delta2 + dJ * reg * W2
    db2 = xp.sum(delta2, axis=0)
    dA = delta2 @ W2.T
    delta1 = dA * A * (1.0 - A)
    dW1 = X.T @ delta1 + dJ * reg * W1
    db1 = xp.sum(delta1, axis=0)
    return dW1, db1, dW2, db2
''', "penalty's gradient is reg * W"),
    # --- update rules ----------------------------------------------------------------------------
    _bug("sgd/in_place", RULES, '''
def sgd(w, dw, state, *, learning_rate, weight_decay=0.0):
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    w -= learning_rate * dw
    return w, {}
''', "changes its input in place"),
    _bug("sgd_momentum/velocity_sign_flipped", RULES, '''
def sgd_momentum(w, dw, state, *, learning_rate, momentum=0.9, weight_decay=0.0):
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, momentum=momentum, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    velocity = _state_array(state, "velocity", w)
    velocity = momentum * velocity - dw
    next_w = w - learning_rate * velocity
    return next_w, {"velocity": velocity}
''', "velocity's sign is flipped"),
    _bug("sgd_momentum/velocity_in_place", RULES, '''
def sgd_momentum(w, dw, state, *, learning_rate, momentum=0.9, weight_decay=0.0):
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, momentum=momentum, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    velocity = _state_array(state, "velocity", w)
    velocity *= momentum
    velocity += dw
    next_w = w - learning_rate * velocity
    return next_w, {"velocity": velocity}
''', "changes its input in place"),
    _bug("sgd_momentum/velocity_not_kept", RULES, '''
def sgd_momentum(w, dw, state, *, learning_rate, momentum=0.9, weight_decay=0.0):
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, momentum=momentum, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    velocity = _state_array(state, "velocity", w)
    velocity = momentum * velocity + dw
    next_w = w - learning_rate * velocity
    return next_w, {}
''', "velocity is not carried"),
    _bug("nesterov_momentum/plain_momentum", RULES, '''
def nesterov_momentum(w, dw, state, *, learning_rate, momentum=0.9, weight_decay=0.0):
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, momentum=momentum, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    velocity = _state_array(state, "velocity", w)
    velocity = momentum * velocity + dw
    next_w = w - learning_rate * velocity
    return next_w, {"velocity": velocity}
''', "this is plain momentum"),
    _bug("nesterov_momentum/old_velocity", RULES, '''
def nesterov_momentum(w, dw, state, *, learning_rate, momentum=0.9, weight_decay=0.0):
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, momentum=momentum, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    velocity = _state_array(state, "velocity", w)
    next_w = w - learning_rate * (dw + momentum * velocity)
    velocity = momentum * velocity + dw
    return next_w, {"velocity": velocity}
''', "this is plain momentum"),
    _bug("nesterov_momentum/velocity_not_kept", RULES, '''
def nesterov_momentum(w, dw, state, *, learning_rate, momentum=0.9, weight_decay=0.0):
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, momentum=momentum, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    velocity = _state_array(state, "velocity", w)
    velocity = momentum * velocity + dw
    next_w = w - learning_rate * (dw + momentum * velocity)
    return next_w, {}
''', "velocity is not carried"),
    _bug("adagrad/eps_inside_sqrt", RULES, '''
def adagrad(w, dw, state, *, learning_rate, eps=1e-7, weight_decay=0.0):
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, eps=eps, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    xp = namespace(w, dw)
    grad_squared = _state_array(state, "grad_squared", w)
    grad_squared = grad_squared + dw * dw
    next_w = w - learning_rate * dw / xp.sqrt(grad_squared + eps)
    return next_w, {"grad_squared": grad_squared}
''', "inside the square root"),
    _bug("adagrad/no_history", RULES, '''
def adagrad(w, dw, state, *, learning_rate, eps=1e-7, weight_decay=0.0):
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, eps=eps, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    xp = namespace(w, dw)
    grad_squared = dw * dw
    next_w = w - learning_rate * dw / (xp.sqrt(grad_squared) + eps)
    return next_w, {"grad_squared": grad_squared}
''', "summed over all steps"),
    _bug("rmsprop/decay_swapped", RULES, '''
def rmsprop(w, dw, state, *, learning_rate, decay_rate=0.99, eps=1e-8, weight_decay=0.0):
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, decay_rate=decay_rate, eps=eps, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    xp = namespace(w, dw)
    grad_squared = _state_array(state, "grad_squared", w)
    grad_squared = (1 - decay_rate) * grad_squared + decay_rate * dw * dw
    next_w = w - learning_rate * dw / (xp.sqrt(grad_squared) + eps)
    return next_w, {"grad_squared": grad_squared}
''', "are swapped"),
    _bug("rmsprop/eps_inside_sqrt", RULES, '''
def rmsprop(w, dw, state, *, learning_rate, decay_rate=0.99, eps=1e-8, weight_decay=0.0):
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, decay_rate=decay_rate, eps=eps, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    xp = namespace(w, dw)
    grad_squared = _state_array(state, "grad_squared", w)
    grad_squared = decay_rate * grad_squared + (1 - decay_rate) * dw * dw
    next_w = w - learning_rate * dw / xp.sqrt(grad_squared + eps)
    return next_w, {"grad_squared": grad_squared}
''', "inside the square root"),
    _bug("adam/only_m_corrected", RULES, '''
def adam(w, dw, state, *, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    xp = namespace(w, dw)
    m = _state_array(state, "m", w)
    v = _state_array(state, "v", w)
    t = int(state.get("t", 0)) + 1
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw * dw
    m_hat = m / (1 - beta1**t)
    next_w = w - learning_rate * m_hat / (xp.sqrt(v) + eps)
    return next_w, {"m": m, "v": v, "t": t}
''', "only m is bias-corrected"),
    _bug("adam/t_not_incremented", RULES, '''
def adam(w, dw, state, *, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    xp = namespace(w, dw)
    m = _state_array(state, "m", w)
    v = _state_array(state, "v", w)
    t = int(state.get("t", 0)) + 1
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw * dw
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    next_w = w - learning_rate * m_hat / (xp.sqrt(v_hat) + eps)
    return next_w, {"m": m, "v": v}
''', "t is not incremented"),
    _bug("adam/no_bias_correction", RULES, '''
def adam(w, dw, state, *, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    xp = namespace(w, dw)
    m = _state_array(state, "m", w)
    v = _state_array(state, "v", w)
    t = int(state.get("t", 0)) + 1
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw * dw
    next_w = w - learning_rate * m / (xp.sqrt(v) + eps)
    return next_w, {"m": m, "v": v, "t": t}
''', "bias correction is missing"),
    # --- schedules -------------------------------------------------------------------------------
    _bug("step_decay/counted_from_one", SCHEDULES, '''
def step_decay(step, *, base_lr, decay=0.1, every):
    _check_step(step)
    _check_rate(base_lr, "base_lr")
    _check_rate(decay, "decay")
    _check_positive_count(every, "every")
    learning_rate = base_lr * decay ** ((step + 1) // every)
    return float(learning_rate)
''', "counted from 1"),
    _bug("step_decay/rounded_up", SCHEDULES, '''
def step_decay(step, *, base_lr, decay=0.1, every):
    _check_step(step)
    _check_rate(base_lr, "base_lr")
    _check_rate(decay, "decay")
    _check_positive_count(every, "every")
    learning_rate = base_lr * decay ** math.ceil(step / every)
    return float(learning_rate)
''', "rounded-up count"),
    _bug("cosine_decay/final_lr_ignored", SCHEDULES, '''
def cosine_decay(step, *, base_lr, total_steps, final_lr=0.0):
    _check_step(step)
    _check_rate(base_lr, "base_lr")
    _check_rate(final_lr, "final_lr")
    _check_positive_count(total_steps, "total_steps")
    t = min(step, total_steps)
    learning_rate = base_lr * (1 + math.cos(math.pi * t / total_steps)) / 2
    return float(learning_rate)
''', "final_lr is ignored"),
    _bug("linear_decay/not_clamped", SCHEDULES, '''
def linear_decay(step, *, base_lr, total_steps, final_lr=0.0):
    _check_step(step)
    _check_rate(base_lr, "base_lr")
    _check_rate(final_lr, "final_lr")
    _check_positive_count(total_steps, "total_steps")
    learning_rate = final_lr + (base_lr - final_lr) * (1 - step / total_steps)
    return float(learning_rate)
''', "must stay at final_lr"),
    _bug("inverse_sqrt_decay/hold_steps_missing", SCHEDULES, '''
def inverse_sqrt_decay(step, *, base_lr, hold_steps=1):
    _check_step(step)
    _check_rate(base_lr, "base_lr")
    _check_positive_count(hold_steps, "hold_steps")
    learning_rate = base_lr / math.sqrt(max(step, hold_steps))
    return float(learning_rate)
''', "hold_steps is missing"),
    _bug("with_warmup/ramp_from_first_step", SCHEDULES, '''
def with_warmup(schedule, warmup_steps):
    if not callable(schedule):
        raise TypeError(f"schedule must be a function of the step, got {type(schedule).__name__}")
    _check_positive_count(warmup_steps, "warmup_steps")

    def warmed_up(step):
        _check_step(step)
        if step < warmup_steps:
            learning_rate = schedule(0) * (step + 1) / warmup_steps
        else:
            learning_rate = schedule(step - warmup_steps)
        return float(learning_rate)

    return warmed_up
''', "ramp starts at the first step"),
    _bug("with_warmup/schedule_not_shifted", SCHEDULES, '''
def with_warmup(schedule, warmup_steps):
    if not callable(schedule):
        raise TypeError(f"schedule must be a function of the step, got {type(schedule).__name__}")
    _check_positive_count(warmup_steps, "warmup_steps")

    def warmed_up(step):
        _check_step(step)
        if step < warmup_steps:
            learning_rate = schedule(0) * step / warmup_steps
        else:
            learning_rate = schedule(step)
        return float(learning_rate)

    return warmed_up
''', "schedule is not shifted"),
    # --- weight decay ----------------------------------------------------------------------------
    _bug("weight_decay/subtracted", DROPOUT, '''
def weight_decay(w, dw, reg):
    check_array(w, "w")
    check_array(dw, "dw")
    if reg < 0:
        raise ValueError(f"reg must be non-negative, got {reg!r}")
    return dw - reg * w
''', "decay term is subtracted"),
    _bug("weight_decay/doubled", DROPOUT, '''
def weight_decay(w, dw, reg):
    check_array(w, "w")
    check_array(dw, "dw")
    if reg < 0:
        raise ValueError(f"reg must be non-negative, got {reg!r}")
    return dw + 2 * reg * w
''', "factor 2 too many"),
]
