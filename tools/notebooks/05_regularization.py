"""Build the nbgrader source notebooks of assignment 05_regularization.

    python tools/notebooks/05_regularization.py

writes solutions/05_regularization/dropout.ipynb and batchnorm.ipynb with outputs cleared.
The code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is the library's solution
region; ``python -m autograder.sync_solutions`` keeps it identical to the library.
"""

from __future__ import annotations

import sys

from nbcells import REPOSITORY, Notebook, library_source

from backpropkit.layers import batchnorm, dropout

ASSIGNMENT = REPOSITORY / "solutions" / "05_regularization"


def dropout_notebook() -> Notebook:
    nb = Notebook()
    nb.md(r"""
# Regularization: weight decay, dropout, early stopping

A network with many more weights than training examples can learn its training set by heart:
training accuracy reaches 100 % while accuracy on new examples stays well below. This notebook
builds three remedies and watches each one work on the digits:

1. **Weight decay** pulls every weight towards zero a little at each step.
2. **Dropout** silences a random half (or other fraction) of the units on every minibatch.
3. **Early stopping** keeps the weights from the epoch with the best validation accuracy.

It ends with the idea dropout imitates cheaply: several networks trained from different random
starts, voting.

You write three functions: `weight_decay`, `dropout_forward` and `dropout_backward`. Every
network trained below runs on *your* versions.
""")
    nb.locked("setup", r"""
import os

import matplotlib.pyplot as plt
import numpy as np

from backpropkit.backend import Array, RandomState, as_random_state, check_array, namespace
from backpropkit.layers._checks import check_upstream

QUICK = os.environ.get("BACKPROPKIT_QUICK") == "1"  # smaller runs for continuous integration
%matplotlib inline
""")
    nb.md(r"""
## 1. Weight decay

Large weights make a network sensitive: a small change of the input moves the output a lot, so
the network can bend itself around every noisy training example. L2 regularization adds a cost
for large weights to the data loss $J_0$:

$$J(W) = J_0(W) + \frac{\lambda}{2} \sum_{w \in W} w^2,
\qquad
\frac{\partial J}{\partial W} = \frac{\partial J_0}{\partial W} + \lambda W .$$

Put that gradient into a gradient-descent step with learning rate $\eta$:

$$W \leftarrow W - \eta\left(\frac{\partial J_0}{\partial W} + \lambda W\right)
= (1 - \eta\lambda)\, W - \eta \frac{\partial J_0}{\partial W}.$$

Before the data gradient moves them, all weights shrink by the same factor $1 - \eta\lambda$: they
*decay*. Without a data gradient pushing back, a weight would fade geometrically to zero. In
code, weight decay is one line added to the gradient: $dW + \lambda W$. Biases are usually left
out, since shifting a unit's threshold does not make the network more sensitive to its input.

**Exercise.** Implement `weight_decay(w, dw, reg)`: return the gradient of the data loss `dw`
plus the gradient of the penalty $\frac{\lambda}{2}\sum w^2$, with `reg` as $\lambda$. Do not
modify `dw` in place.
""")
    nb.answer("weight_decay", r'''
def weight_decay(w, dw, reg):
    """The gradient ``dw`` of the data loss plus the gradient of the L2 penalty ``0.5 * reg * sum(w ** 2)``.

    Shapes: w and dw the same shape (any) -> the new gradient, same shape.
    ``reg`` is the regularization strength lambda (>= 0).
    """
    check_array(w, "w")
    check_array(dw, "dw")
    if tuple(dw.shape) != tuple(w.shape):
        raise ValueError(f"dw has shape {tuple(dw.shape)} but w has shape {tuple(w.shape)}; they must match")
    if reg < 0:
        raise ValueError(f"reg must be non-negative, got {reg!r}")
    ### BEGIN SOLUTION
    decayed = dw + reg * w
    ### END SOLUTION
    return decayed
''')

    nb.md("Run the public check. It compares your function with the formula on a few inputs.")
    nb.locked("weight_decay_public", r"""
from autograder.checks import check_weight_decay

check_weight_decay(weight_decay, shape=(4, 3), reg=0.1, seed=0)
""")
    nb.test("weight_decay_hidden", 1, r"""
from autograder.checks import check_weight_decay

### BEGIN HIDDEN TESTS
check_weight_decay(weight_decay, shape=(7, 2, 3), reg=2.5, seed=11)
check_weight_decay(weight_decay, shape=(5,), reg=0.0, seed=12)
### END HIDDEN TESTS
""")
    nb.md(r"""
The shrink factor $(1-\eta\lambda)^t$ after $t$ steps, when nothing else moves the weight:
""")
    nb.code(r"""
steps = np.arange(200)
fig, ax = plt.subplots(figsize=(5, 3))
for learning_rate, reg in [(0.1, 0.01), (0.1, 0.05), (0.5, 0.05)]:
    ax.plot(steps, (1 - learning_rate * reg) ** steps, label=f"$\\eta$={learning_rate}, $\\lambda$={reg}")
ax.set_xlabel("step")
ax.set_ylabel("weight / initial weight")
ax.set_title("Weight decay alone: geometric shrinking")
ax.legend()
plt.show()
""")
    nb.md(r"""
## 2. Inverted dropout

On every minibatch, dropout keeps each unit of a layer's input with probability $p$ (`keep_prob`)
and sets it to zero otherwise, independently for every unit and every example. A unit can then
never count on one particular neighbour being present, so the network learns features that are
useful in many combinations instead of fragile co-adaptations.

With a mask $m$ whose entries are $1$ with probability $p$ and $0$ otherwise, **inverted dropout**
computes

$$\text{train:}\quad \text{out} = \frac{m \odot x}{p}, \qquad\qquad \text{test:}\quad \text{out} = x .$$

Dividing by $p$ keeps the expected value unchanged: $\mathbb{E}[m_i x_i / p] = x_i$. The backward
pass is the backward pass of a multiplication by the constant $m/p$, with the **same** mask the
forward pass drew (so the forward pass must keep it in its cache):

$$\frac{\partial L}{\partial x} = \frac{m}{p} \odot \frac{\partial L}{\partial\,\text{out}}
\quad\text{(train)}, \qquad \frac{\partial L}{\partial x} = \frac{\partial L}{\partial\,\text{out}} \quad\text{(test)}.$$

**Why the division, and why it is the same as halving weights at test time.** The original recipe
trains with $\text{out} = m \odot x$ and no scaling. The next layer then sees, on average,
$W(p\,x)$ during training, so at test time, when every unit is present, its weights are multiplied
by $p$ (halved for $p = \tfrac12$) to keep the input of the next layer at the scale it was trained
on. Inverted dropout moves that factor into training: a network trained with inverted dropout and
weights $W$ computes during training exactly what an original-recipe network with weights $W/p$
computes, and at test time both use $W$. Same networks, but the test-time code needs no change at all.

**Exercise.** Implement the regions of `dropout_forward(x, keep_prob, *, train=True, rng=None)`
and `dropout_backward(dout, cache)`. Draw the random numbers with
`random.uniform(tuple(x.shape), like=x)` (uniform in $[0, 1)$, created where `x` lives, so the
same code runs on a GPU later); a unit is kept where its number is below `keep_prob`. Cache the
mask already divided by `keep_prob`, so backward is a single product. In test mode return `x`
itself and cache `None`.
""")
    nb.answer("dropout_forward", library_source(dropout.dropout_forward))
    nb.answer("dropout_backward", library_source(dropout.dropout_backward))
    nb.md(r"""
The check runs your pair in both modes and tests what every correct dropout satisfies, whatever
order your code draws random numbers in: each output is $0$ or $x/p$, about a fraction $p$ of
the units survive, the mean is preserved, backward uses the forward pass's mask, and test mode is
the identity.
""")
    nb.locked("dropout_public", r"""
from autograder.checks import check_dropout

check_dropout(dropout_forward, dropout_backward, shape=(50, 40), keep_prob=0.5, seed=0)
""")
    nb.test("dropout_forward_hidden", 2, r"""
from autograder.checks import check_dropout

### BEGIN HIDDEN TESTS
check_dropout(dropout_forward, dropout_backward, shape=(64, 3, 8, 8), keep_prob=0.8, seed=21)
check_dropout(dropout_forward, dropout_backward, shape=(300, 20), keep_prob=0.25, seed=22)
### END HIDDEN TESTS
""")
    nb.test("dropout_backward_hidden", 2, r"""
from autograder.checks import check_backward

### BEGIN HIDDEN TESTS
check_backward(dropout_forward, dropout_backward, inputs={"x": (6, 5)}, params={"keep_prob": 0.7, "train": True, "rng": 5}, seed=23, name="dropout")
check_backward(dropout_forward, dropout_backward, inputs={"x": (4, 9)}, params={"keep_prob": 0.6, "train": False}, seed=24, name="dropout (test mode)")
### END HIDDEN TESTS
""")
    return nb


def batchnorm_notebook() -> Notebook:
    nb = Notebook()
    nb.md(r"""
    # Batch normalization (extra)

    In a deep network every layer's input is the output of the layers below, and its scale depends
    on all their weights. Start with weights a little too small and the activations shrink layer
    after layer; a little too large and they blow up or saturate. Careful initialization (Xavier,
    He) sets the scale right at the start, but training moves the weights and the scales drift.

    **Batch normalization** fixes the scale by construction: it standardizes each feature over the
    minibatch to mean 0 and variance 1, then lets the network choose the scale it wants with two
    learned parameters per feature. Networks with it tolerate larger learning rates and worse
    initializations, and the batch-to-batch noise in the statistics acts as a mild regularizer.

    You write the backward pass, `batchnorm_backward`; the forward pass is provided.
    """)
    nb.locked("setup", r"""
import os

import matplotlib.pyplot as plt
import numpy as np

from backpropkit.backend import Array, namespace
from backpropkit.layers import affine_forward, batchnorm_forward
from backpropkit.layers._checks import check_upstream
from backpropkit.layers.batchnorm import _per_feature, _reduction_axes, _values_per_feature

QUICK = os.environ.get("BACKPROPKIT_QUICK") == "1"  # smaller runs for continuous integration
""")
    nb.md(r"""
    ## 1. Forward

    For a minibatch $x$ of shape $(N, D)$ and each feature $d$, with $m = N$ values per feature:

    $$\mu_d = \frac1m \sum_{n} x_{nd}, \qquad
    \sigma^2_d = \frac1m \sum_n (x_{nd} - \mu_d)^2, \qquad
    \hat x_{nd} = \frac{x_{nd} - \mu_d}{\sqrt{\sigma^2_d + \varepsilon}}, \qquad
    \text{out}_{nd} = \gamma_d\, \hat x_{nd} + \beta_d .$$

    $\gamma$ and $\beta$ are learned like weights; with $\gamma = \sqrt{\sigma^2 + \varepsilon}$ and
    $\beta = \mu$ the layer could even undo itself, so normalizing costs the network nothing it
    cannot learn back. For images $(N, C, H, W)$ the statistics run over the batch *and* both
    spatial axes, one mean and variance per channel ($m = N H W$): a channel is one feature seen at
    every position, the same parameter sharing as in a convolution.

    **Train and test.** At test time a prediction must not depend on which other examples happen to
    share its batch, so the layer uses running averages of $\mu$ and $\sigma^2$ collected during
    training instead of the batch's own statistics.

    The provided `batchnorm_forward` does all of this. Watch what it does to a deep stack of tanh
    layers whose weights are too small: without it the activations fade towards zero layer after
    layer; with it every layer works at the same scale.
    """)
    nb.code(r"""
rng = np.random.default_rng(0)
depth, width = 10, 100
activations = {"plain": rng.standard_normal((500, width))}
activations["batch-normalized"] = activations["plain"]
spreads = {name: [] for name in activations}
for layer in range(depth):
    w = rng.standard_normal((width, width)) * 0.05  # too small: Xavier would use 0.1
    for name in spreads:
        z, _ = affine_forward(activations[name], w, np.zeros(width))
        if name == "batch-normalized":
            z, _ = batchnorm_forward(z, np.ones(width), np.zeros(width))
        activations[name] = np.tanh(z)
        spreads[name].append(activations[name].std())

fig, ax = plt.subplots(figsize=(5, 3.2))
for name, values in spreads.items():
    ax.semilogy(range(1, depth + 1), values, "o-", label=name)
ax.set_xlabel("layer")
ax.set_ylabel("standard deviation of activations")
ax.set_title("tanh layers with weights scaled 0.05")
ax.legend()
plt.show()
""")
    nb.md(r"""
    ## 2. Backward

    Draw the forward pass as a graph and the gradient arrives at $\hat x$ as
    $d\hat x = \gamma \odot d\text{out}$, while $\gamma$ and $\beta$ get the usual sums over the batch:

    $$d\beta_d = \sum_n d\text{out}_{nd}, \qquad d\gamma_d = \sum_n d\text{out}_{nd}\, \hat x_{nd}.$$

    The hard part is $dx$. Each $x_{nd}$ reaches the loss along three paths: directly through
    $\hat x_{nd}$, through the mean $\mu_d$, and through the variance $\sigma_d^2$; and the mean and
    variance depend on *every* example of the batch. Adding up the three paths (a fork sums its
    branches) and simplifying gives, with $m$ values per feature,

    $$dx_{nd} = \frac{1}{m\sqrt{\sigma_d^2 + \varepsilon}}
    \left( m\, d\hat x_{nd} - \sum_k d\hat x_{kd} - \hat x_{nd} \sum_k d\hat x_{kd}\, \hat x_{kd} \right).$$

    Read it as: the direct gradient, minus its mean over the batch (shifting every input by the same
    amount changes nothing after normalization), minus its component along $\hat x$ (scaling every
    input changes nothing either). It is worth deriving once on paper, path by path: the derivative
    of $\sigma^2_d$ with respect to $x_{nd}$ is $\frac2m (x_{nd} - \mu_d)$, and the terms through
    $\mu_d$ in $\sigma^2_d$ sum to zero.

    In test mode the statistics are constants, so only the direct path remains:
    $dx = d\hat x / \sqrt{\sigma^2 + \varepsilon}$.

    **Exercise.** Implement the region of `batchnorm_backward`. The cache holds $\hat x$, $\gamma$,
    $1/\sqrt{\sigma^2 + \varepsilon}$ (`inv_std`) and the mode; `axes` and `count` are the axes the
    statistics run over and $m$, and `gamma_b`, `inv_std_b` are $\gamma$ and `inv_std` shaped to
    broadcast against `x` (for images, $(1, C, 1, 1)$). Sum with `xp.sum(..., axis=axes)`, adding
    `keepdims=True` where the sum must broadcast back against `x`.
    """)
    nb.answer("batchnorm_backward", library_source(batchnorm.batchnorm_backward))
    nb.locked("batchnorm_public", r"""
from autograder.checks import check_backward

check_backward(batchnorm_forward, batchnorm_backward, inputs={"x": (6, 4), "gamma": (4,), "beta": (4,)}, params={"train": True}, seed=0, name="batchnorm")
""")
    nb.test("batchnorm_features_hidden", 2, r"""
from autograder.checks import check_backward

### BEGIN HIDDEN TESTS
check_backward(batchnorm_forward, batchnorm_backward, inputs={"x": (9, 5), "gamma": (5,), "beta": (5,)}, params={"train": True}, seed=61, name="batchnorm")
check_backward(batchnorm_forward, batchnorm_backward, inputs={"x": (2, 3), "gamma": (3,), "beta": (3,)}, params={"train": True, "eps": 0.1}, seed=62, name="batchnorm, batch of 2")
### END HIDDEN TESTS
""")
    nb.test("batchnorm_images_hidden", 2, r"""
from autograder.checks import check_backward

### BEGIN HIDDEN TESTS
check_backward(batchnorm_forward, batchnorm_backward, inputs={"x": (3, 2, 4, 5), "gamma": (2,), "beta": (2,)}, params={"train": True}, seed=63, name="spatial batchnorm")
check_backward(batchnorm_forward, batchnorm_backward, inputs={"x": (1, 3, 3, 3), "gamma": (3,), "beta": (3,)}, params={"train": True}, seed=64, name="spatial batchnorm, one image")
### END HIDDEN TESTS
""")
    nb.md(r"""
    ## 3. Why the test mode matters

    In training mode an example's output depends on its batch-mates. The cell below normalizes the
    same example inside two different batches: the outputs differ. With the running statistics
    (test mode), they agree.
    """)
    nb.code(r"""
rng = np.random.default_rng(1)
example = rng.standard_normal((1, 4))
gamma, beta = np.ones(4), np.zeros(4)
running = {"mean": np.zeros(4), "var": np.ones(4)}
for _ in range(200):  # training batches update the running averages
    batch = rng.standard_normal((32, 4)) * 2.0 + 1.0
    batchnorm_forward(batch, gamma, beta, running=running)
for label, mates in [("batch A", rng.standard_normal((7, 4))), ("batch B", rng.standard_normal((7, 4)) * 3 + 2)]:
    train_out, _ = batchnorm_forward(np.concatenate([example, mates]), gamma, beta)
    test_out, _ = batchnorm_forward(np.concatenate([example, mates]), gamma, beta, train=False, running=running)
    print(f"{label}: train mode {np.round(train_out[0], 3)}   test mode {np.round(test_out[0], 3)}")
print("running mean", np.round(running["mean"], 2), " running var", np.round(running["var"], 2), "(data: mean 1, var 4)")
""")
    return nb


def main() -> int:
    dropout_notebook().write(ASSIGNMENT / "dropout.ipynb")
    batchnorm_notebook().write(ASSIGNMENT / "batchnorm.ipynb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
