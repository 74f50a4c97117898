"""Accuracy corpus of the ELU and maxout exercises (03_backprop/1_layers.ipynb).

``BUGS``: mistakes students make in these functions, each with the phrase the grader's message
must contain to name it. Their valid alternatives are in valid_answers.py.
"""

from __future__ import annotations

from corpus import PlantedBug

NOTEBOOK = "03_backprop/1_layers.ipynb"

BUGS = [
    PlantedBug(
        label="elu_forward/exp_of_large_inputs",
        notebook=NOTEBOOK,
        function="elu_forward",
        source='''
def elu_forward(x, alpha=1.0):
    xp = namespace(x)
    out = xp.where(x > 0, x, alpha * (xp.exp(x) - 1.0))  # exp(1000) overflows, though where discards it
    return out, (x, alpha)
''',
        mistake="take exp only of numbers at most 0",
    ),
    PlantedBug(
        label="elu_backward/local_gradient_only",
        notebook=NOTEBOOK,
        function="elu_backward",
        source='''
def elu_backward(dout, cache):
    x, alpha = cache
    xp = namespace(dout, x)
    return xp.where(x > 0, 1.0, alpha * xp.exp(xp.minimum(x, 0.0)))  # dout never multiplied in
''',
        mistake="multiply the local gradient by the upstream gradient dout",
    ),
    PlantedBug(
        label="maxout_backward/every_tied_piece",
        notebook=NOTEBOOK,
        function="maxout_backward",
        source='''
def maxout_backward(dout, cache):
    x, w, b = cache
    xp = namespace(dout, x, w, b)
    scores = xp.stack([x @ w[j, ...] + b[j, :] for j in range(w.shape[0])])
    best = xp.max(scores, axis=0)
    dx, dw, db = xp.zeros_like(x), xp.zeros_like(w), xp.zeros_like(b)
    for j in range(w.shape[0]):
        routed = xp.where(scores[j, ...] == best, dout, 0.0)  # every piece equal to the maximum
        dx = dx + routed @ w[j, ...].T
        dw[j, ...] = x.T @ routed
        db[j, :] = xp.sum(routed, axis=0)
    return dx, dw, db
''',
        mistake="every tied piece gets the gradient",
    ),
    PlantedBug(
        label="maxout_backward/ties_to_the_last_piece",
        notebook=NOTEBOOK,
        function="maxout_backward",
        source='''
def maxout_backward(dout, cache):
    x, w, b = cache
    xp = namespace(dout, x, w, b)
    dx, dw, db = xp.zeros_like(x), xp.zeros_like(w), xp.zeros_like(b)
    best = x @ w[0, ...] + b[0, :]
    for j in range(1, w.shape[0]):
        best = xp.maximum(best, x @ w[j, ...] + b[j, :])
    taken = xp.zeros_like(best)
    for j in reversed(range(w.shape[0])):  # the last piece that reaches the maximum wins
        won = (x @ w[j, ...] + b[j, :] == best) & (taken == 0)
        taken = xp.where(won, 1.0, taken)
        routed = xp.where(won, dout, 0.0)
        dx = dx + routed @ w[j, ...].T
        dw[j, ...] = x.T @ routed
        db[j, :] = xp.sum(routed, axis=0)
    return dx, dw, db
''',
        mistake="the lowest piece index",
    ),
]
