"""Build the nbgrader source notebooks of assignment 03_backprop.

    python tools/notebooks/03_backprop.py

writes solutions/03_backprop/1_layers.ipynb, 2_two_layer_net.ipynb, 3_deep_networks.ipynb and 4_sequential.ipynb with
outputs cleared. Every graded answer cell is the library function's own source (signature,
docstring, input checks, ``### BEGIN SOLUTION`` region, return), so the notebooks start out
identical to the library; ``python -m autograder.release.sync_solutions`` keeps the regions in step.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nbcells import REPOSITORY, Notebook, library_source, write_notebooks

ASSIGNMENT = REPOSITORY / "solutions" / "03_backprop"
sys.path.insert(0, str(REPOSITORY / "lib"))

from backpropkit.layers import activations, affine  # noqa: E402  (after the path is set)


def answer_from_library(nb: Notebook, function) -> None:
    """An exercise whose cell is the library function's own source, solution region included."""
    nb.answer(function.__name__, library_source(function))


# --------------------------------------------------------------------------------------------
# 1_layers.ipynb
# --------------------------------------------------------------------------------------------


def layers_notebook() -> Notebook:
    nb = Notebook()
    nb.md(r"""
# Layers: forward and backward, one piece at a time

A neural network is a chain of simple functions. Training it needs the gradient of the loss
with respect to every weight, and backpropagation gets all of them in one sweep from the loss
back to the input, using only two things per layer:

* a **forward** function that computes the layer's output and keeps in a *cache* whatever it
  will need later, and
* a **backward** function that receives $\partial L / \partial\,\text{out}$ (the *upstream*
  gradient, `dout`) and returns the gradient of the loss with respect to each input of the
  layer, by the chain rule:
  $\dfrac{\partial L}{\partial x} = \dfrac{\partial L}{\partial\,\text{out}}\,\dfrac{\partial\,\text{out}}{\partial x}$.

A layer never needs to know what comes after it: everything downstream arrives squeezed into
`dout`. That is why the same few layers compose into networks of any depth, and why every deep
learning framework is organised this way.

In this notebook you write the backward pass of the affine (fully connected) layer and the
forward and backward passes of the six activations of the lecture notes: ReLU, leaky ReLU,
sigmoid, tanh, ELU and maxout. The next notebooks build networks out of *your* functions.

| function | graded |
|---|---|
| `affine_backward` | ✔ |
| `relu_forward`, `relu_backward` | ✔ |
| `leaky_relu_forward`, `leaky_relu_backward` | ✔ |
| `sigmoid_forward`, `sigmoid_backward` | ✔ |
| `tanh_forward`, `tanh_backward` | ✔ |
| `elu_forward`, `elu_backward` | ✔ |
| `maxout_forward`, `maxout_backward` | ✔ |

Every check compares your backward pass with a numerical gradient (centered differences in
float64, as in notebook 1) on random inputs. If a check fails it tells you which gradient is
wrong, by how much, where, and often why.
""")
    nb.locked("setup", r"""
import os
from numbers import Real

import numpy as np

from backpropkit import plots
from backpropkit.backend import Array, check_array, namespace
from backpropkit.data import load_digits
from backpropkit.layers._checks import check_upstream
from backpropkit.layers.affine import affine_forward

QUICK = os.environ.get("BACKPROPKIT_QUICK") == "1"  # smaller runs for continuous integration
%matplotlib inline
""")
    nb.md(r"""
All code in this course takes its array module from its inputs (`xp = namespace(x)`) instead of
calling `np.` directly: the same function then runs on NumPy arrays on the CPU and on CuPy arrays
on a GPU (notebook 7). Inside your answers use `xp.` wherever you would write `np.`; most of the
time plain operators (`@`, `*`, `.T`, slicing) are all you need.

## 1. The affine layer

An affine layer maps each input row $x \in \mathbb{R}^D$ to $x W + b \in \mathbb{R}^M$. For a
minibatch of $N$ rows stacked in $X \in \mathbb{R}^{N \times D}$:

$$\text{out} = X W + b, \qquad W \in \mathbb{R}^{D \times M},\; b \in \mathbb{R}^{M}.$$

The forward pass is given (it is imported above; read it in
`lib/backpropkit/layers/affine.py`). It caches `(x, w)`.

**Deriving the backward pass.** Write one entry: $\text{out}_{nm} = \sum_d X_{nd} W_{dm} + b_m$.
Each weight $W_{dm}$ touches every example's output $m$, so its gradient sums over the batch;
each input $X_{nd}$ touches all $M$ outputs of its own row:

$$\frac{\partial L}{\partial W_{dm}} = \sum_n X_{nd}\, \text{dout}_{nm}
\;\Rightarrow\; dW = X^\top \text{dout}, \qquad
\frac{\partial L}{\partial X_{nd}} = \sum_m \text{dout}_{nm} W_{dm}
\;\Rightarrow\; dX = \text{dout}\, W^\top, \qquad
db = \sum_n \text{dout}_{n,:}.$$

A quick sanity test for formulas like these: **the gradient of a tensor has the shape of the
tensor.** $dW$ must be $D \times M$; the only product of $X$ ($N\times D$) and dout ($N\times M$)
with that shape is $X^\top\text{dout}$.

**The layer-vector view.** For a single example, let $v$ be the vector of values entering the
layer and $\bar\delta$ the vector of upstream gradients $\partial L/\partial\,\text{out}$. Then

$$\delta = W\,\bar\delta \quad(\text{gradient for the values below}),\qquad
\Delta W = v\,\bar\delta^{\top} \quad(\text{an outer product}).$$

(With the notes' convention of weights stored as $W^\top$ and column vectors, the first reads
$\delta_i = W_i^\top \bar\delta_{i+1}$.) Computing both costs one multiply-add per weight: the
backward pass of a whole network costs a small constant times the number of parameters, the
same order as the forward pass. The minibatch formula $X^\top \text{dout}$ is nothing but the
sum of the $N$ per-example outer products.

**Exercise.** Implement `affine_backward(dout, cache)`.
""")
    answer_from_library(nb, affine.affine_backward)
    nb.md("Run the public check. It compares your gradients with numerical ones on one small case.")
    nb.test("affine_backward_public", 0, r"""
from autograder.checks import check_backward

check_backward(affine_forward, affine_backward, inputs={"x": (4, 5), "w": (5, 3), "b": (3,)}, seed=0, name="affine")
""")
    nb.test("affine_backward_hidden", 3, r"""
from autograder.checks import check_backward

### BEGIN HIDDEN TESTS
check_backward(affine_forward, affine_backward, inputs={"x": (1, 7), "w": (7, 2), "b": (2,)}, seed=31, name="affine, one example")
check_backward(affine_forward, affine_backward, inputs={"x": (10, 6), "w": (6, 9), "b": (9,)}, seed=32, name="affine")
check_backward(affine_forward, affine_backward, inputs={"x": (3, 1), "w": (1, 1), "b": (1,)}, seed=33, name="affine, one unit")
### END HIDDEN TESTS
""")
    nb.md(r"""
The batch gradient is the sum of the per-example outer products $v\,\bar\delta^\top$: check it
with your function on a random example.
""")
    nb.code(r"""
rng = np.random.default_rng(0)
x, w, b = rng.normal(size=(6, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)
out, cache = affine_forward(x, w, b)
dout = rng.normal(size=out.shape)
_, dw, _ = affine_backward(dout, cache)

sum_of_outer_products = sum(np.outer(x[n], dout[n]) for n in range(len(x)))
print("dW equals the sum of per-example outer products:", np.allclose(dw, sum_of_outer_products))
""")
    nb.md(r"""
## 2. Activations

Without a non-linearity between them, two affine layers are one affine layer in disguise
($(XW_1 + b_1)W_2 + b_2 = X(W_1W_2) + (b_1W_2 + b_2)$), however many you stack. An activation
applied element-wise after each affine layer is what lets a network bend its decision boundary.
Because it acts element-wise, its backward pass is element-wise too:
$dx = \text{dout} \odot f'(x)$.

| activation | forward | local derivative |
|---|---|---|
| ReLU | $\max(0, x)$ | $1$ if $x > 0$, else $0$ |
| leaky ReLU | $x$ if $x>0$, else $\alpha x$ | $1$ if $x > 0$, else $\alpha$ |
| sigmoid | $\sigma(x) = \dfrac{1}{1+e^{-x}}$ | $\sigma(x)\,(1-\sigma(x))$ |
| tanh | $\tanh(x)$ | $1 - \tanh^2(x)$ |
| ELU | $x$ if $x>0$, else $\alpha(e^x - 1)$ | $1$ if $x > 0$, else $\alpha e^x$ |

(Maxout, the sixth activation of the notes, is not element-wise: it comes last, with weights of
its own.)

Two details matter:

* **What to cache.** ReLU needs the *input* (its sign decides where gradient flows). Sigmoid and
  tanh can express their derivatives through their *output*, so they cache the output and never
  evaluate an exponential again in the backward pass.
* **Overflow.** `1 / (1 + exp(-x))` overflows for $x = -1000$: `exp(1000)` is beyond float64,
  NumPy warns `overflow encountered in exp`, and the value comes out right only by luck
  ($1/(1+\infty) = 0$; the same overflow in `exp(x) / (1 + exp(x))` gives $\infty/\infty$ = NaN).
  So a graded function must run **without warnings** on every case its checks try: a check
  whose function warns fails and names the warning, here in the notebook and in grading alike,
  and the hidden tests try inputs such as $\pm 1000$ on purpose. Since $e^{-|x|} \le 1$ never
  overflows, compute $z = e^{-|x|}$ and use $\frac{1}{1+z}$ where $x \ge 0$ and the equal
  expression $\frac{z}{1+z}$ where $x < 0$.

At $x = 0$, ReLU has no derivative; any value in $[0, 1]$ is a valid choice and the checks never
sample exactly 0. Use $0$, like every framework.

### ReLU

ReLU is the *max gate* of notebook 1 with one input fixed at 0: it routes the upstream gradient
through unchanged where the input won, and blocks it elsewhere.
""")
    answer_from_library(nb, activations.relu_forward)
    answer_from_library(nb, activations.relu_backward)
    nb.test("relu_public", 0, r"""
from autograder.checks import check_backward, check_forward

check_forward(relu_forward, "relu", inputs={"x": (4, 5)}, seed=0, name="relu_forward")
check_backward(relu_forward, relu_backward, inputs={"x": (4, 5)}, seed=0, name="relu")
""")
    nb.test("relu_hidden", 3, r"""
from autograder.checks import check_backward, check_forward

### BEGIN HIDDEN TESTS
check_forward(relu_forward, "relu", inputs={"x": (3, 2, 5)}, seed=40, name="relu_forward")
check_backward(relu_forward, relu_backward, inputs={"x": (9, 3)}, seed=41, name="relu")
check_backward(relu_forward, relu_backward, inputs={"x": (2, 3, 4, 5)}, seed=42, name="relu, image-shaped input")
### END HIDDEN TESTS
""")
    nb.md(r"""
### Leaky ReLU

A ReLU whose input is negative for every example passes no gradient at all, so its weights never
change again: a *dead* unit (`3_deep_networks.ipynb` counts them). Leaky ReLU keeps a small slope
$\alpha$ (0.01 by default) on the negative side so that some gradient always flows.
""")
    answer_from_library(nb, activations.leaky_relu_forward)
    answer_from_library(nb, activations.leaky_relu_backward)
    nb.test("leaky_relu_public", 0, r"""
from autograder.checks import check_backward, check_forward

check_forward(leaky_relu_forward, "leaky_relu", inputs={"x": (4, 5)}, params={"alpha": 0.1}, seed=0, name="leaky_relu_forward")
check_backward(leaky_relu_forward, leaky_relu_backward, inputs={"x": (4, 5)}, params={"alpha": 0.1}, seed=0, name="leaky_relu")
""")
    nb.test("leaky_relu_hidden", 3, r"""
from autograder.checks import check_backward, check_forward

### BEGIN HIDDEN TESTS
check_forward(leaky_relu_forward, "leaky_relu", inputs={"x": (6, 4)}, seed=50, name="leaky_relu_forward, default alpha")
check_forward(leaky_relu_forward, "leaky_relu", inputs={"x": (2, 9)}, params={"alpha": 0.2}, seed=53, name="leaky_relu_forward")
check_backward(leaky_relu_forward, leaky_relu_backward, inputs={"x": (7, 6)}, seed=51, name="leaky_relu, default alpha")
check_backward(leaky_relu_forward, leaky_relu_backward, inputs={"x": (3, 2, 4)}, params={"alpha": 0.3}, seed=52, name="leaky_relu")
### END HIDDEN TESTS
""")
    nb.md(r"""
### Sigmoid

The sigmoid squashes any real number into $(0, 1)$. Its derivative
$\sigma'(x) = \sigma(x)(1-\sigma(x))$ is at most $\tfrac14$ (at $x = 0$) and almost zero once
$|x|$ is beyond 5: a *saturated* sigmoid lets hardly any gradient through. Remember that number
for `3_deep_networks.ipynb`.
""")
    answer_from_library(nb, activations.sigmoid_forward)
    answer_from_library(nb, activations.sigmoid_backward)
    nb.test("sigmoid_public", 0, r"""
from autograder.checks import check_backward, check_forward

check_forward(sigmoid_forward, "sigmoid", inputs={"x": (4, 5)}, seed=0, name="sigmoid_forward")
check_backward(sigmoid_forward, sigmoid_backward, inputs={"x": (4, 5)}, seed=0, name="sigmoid")
""")
    nb.test("sigmoid_hidden", 4, r"""
from autograder.checks import check_backward, check_forward

### BEGIN HIDDEN TESTS
check_forward(sigmoid_forward, "sigmoid", inputs={"x": (5, 6)}, seed=60, name="sigmoid_forward")
check_forward(sigmoid_forward, "sigmoid", inputs={"x": [[-1000.0, -40.0, 0.0, 40.0, 1000.0]]}, name="sigmoid_forward, large inputs")
check_backward(sigmoid_forward, sigmoid_backward, inputs={"x": (8, 3)}, seed=61, name="sigmoid")
check_backward(sigmoid_forward, sigmoid_backward, inputs={"x": (2, 2, 3)}, seed=62, name="sigmoid, 3-d input")
### END HIDDEN TESTS
""")
    nb.md(r"""
### Tanh

$\tanh(x) = 2\sigma(2x) - 1$ is a sigmoid stretched to $(-1, 1)$ and centred at zero, which
keeps the inputs of the next layer centred too. Its derivative $1 - \tanh^2(x)$ peaks at 1.
""")
    answer_from_library(nb, activations.tanh_forward)
    answer_from_library(nb, activations.tanh_backward)
    nb.test("tanh_public", 0, r"""
from autograder.checks import check_backward, check_forward

check_forward(tanh_forward, "tanh", inputs={"x": (4, 5)}, seed=0, name="tanh_forward")
check_backward(tanh_forward, tanh_backward, inputs={"x": (4, 5)}, seed=0, name="tanh")
""")
    nb.test("tanh_hidden", 3, r"""
from autograder.checks import check_backward, check_forward

### BEGIN HIDDEN TESTS
check_forward(tanh_forward, "tanh", inputs={"x": (4, 3, 2)}, seed=70, name="tanh_forward")
check_backward(tanh_forward, tanh_backward, inputs={"x": (6, 7)}, seed=71, name="tanh")
check_backward(tanh_forward, tanh_backward, inputs={"x": (1, 4)}, seed=72, name="tanh, one example")
### END HIDDEN TESTS
""")
    nb.md(r"""
### ELU

The exponential linear unit is the identity for positive inputs and bends smoothly towards
$-\alpha$ on the negative side, $\alpha(e^x - 1)$ for $x \le 0$. Its negative outputs pull the
mean activation towards zero, as tanh's do, and with $\alpha = 1$ its slope is continuous at 0.
On the negative side the slope is $\alpha e^x$: small far from 0, but never exactly zero. Cache
what backward needs: `(x, alpha)`.

**Overflow again.** `xp.where` evaluates both of its branches everywhere, so
`alpha * (xp.exp(x) - 1)` computes $e^{1000}$ for an input of 1000 and warns, even though
`where` throws that value away. Take the exponential of `xp.minimum(x, 0.0)` instead: the same
number wherever it is used, and never an overflow.
""")
    answer_from_library(nb, activations.elu_forward)
    answer_from_library(nb, activations.elu_backward)
    nb.test("elu_public", 0, r"""
from autograder.checks import check_backward, check_forward

check_forward(elu_forward, "elu", inputs={"x": (4, 5)}, seed=0, name="elu_forward")
check_backward(elu_forward, elu_backward, inputs={"x": (4, 5)}, seed=0, name="elu")
""")
    nb.test("elu_hidden", 3, r"""
from autograder.checks import check_backward, check_forward

### BEGIN HIDDEN TESTS
check_forward(elu_forward, "elu", inputs={"x": (3, 2, 5)}, seed=80, name="elu_forward, default alpha")
check_forward(elu_forward, "elu", inputs={"x": [[-1000.0, -40.0, 0.0, 40.0, 1000.0]]}, params={"alpha": 0.5}, name="elu_forward, large inputs")
check_backward(elu_forward, elu_backward, inputs={"x": (7, 6)}, seed=81, name="elu, default alpha")
check_backward(elu_forward, elu_backward, inputs={"x": (3, 2, 4)}, params={"alpha": 2.0}, seed=82, name="elu")
### END HIDDEN TESTS
""")
    nb.md(r"""
### Maxout

The notes' maxout unit is not an activation applied to one number: it takes the larger of two
affine functions of the whole input, $\max(x W_1 + b_1,\; x W_2 + b_2)$, and in general of $k$
*pieces*. For a minibatch $X$ ($N \times D$) and $M$ units:

$$\text{out}_{nm} = \max_{j = 1..k}\,\bigl(X W_j + b_j\bigr)_{nm},
\qquad W \in \mathbb{R}^{k \times D \times M},\; b \in \mathbb{R}^{k \times M}.$$

So a maxout layer replaces an affine layer *and* its activation. It contains both ReLUs: with
$W_1 = 0,\ b_1 = 0$ it is an affine layer followed by a ReLU, with $W_1 = \alpha W_2,\
b_1 = \alpha b_2$ one followed by a leaky ReLU. Like them it is piecewise linear and never
saturates; unlike ReLU, every output passes its gradient to one of its pieces, so a maxout unit
cannot die. The price is $k$ times the parameters of an affine layer.

**Backward.** Max routes the gradient (the max gate of notebook 1): each output's upstream
gradient goes to the piece that won it, and that piece backpropagates it like an affine layer.
Call $\text{dout}_j$ the upstream gradient masked to the outputs piece $j$ won; then
$dW_j = X^\top \text{dout}_j$, $db_j = \sum_n (\text{dout}_j)_{n,:}$ and
$dX = \sum_j \text{dout}_j W_j^\top$. When pieces tie, the whole gradient goes to the **first**
of them (the lowest $j$, what `argmax` returns), the rule max pooling follows in notebook 6; a
hidden test checks it with identical pieces. The cache is `(x, w, b)`: backward may recompute the
pieces from it.
""")
    answer_from_library(nb, activations.maxout_forward)
    answer_from_library(nb, activations.maxout_backward)
    nb.test("maxout_public", 0, r"""
from autograder.checks import check_backward, check_forward

check_forward(maxout_forward, "maxout", inputs={"x": (4, 5), "w": (2, 5, 3), "b": (2, 3)}, seed=0, name="maxout_forward")
check_backward(maxout_forward, maxout_backward, inputs={"x": (4, 5), "w": (2, 5, 3), "b": (2, 3)}, seed=0, name="maxout")
""")
    nb.test("maxout_hidden", 4, r"""
from autograder.checks import check_backward, check_forward, check_maxout_ties

### BEGIN HIDDEN TESTS
check_forward(maxout_forward, "maxout", inputs={"x": (6, 4), "w": (3, 4, 5), "b": (3, 5)}, seed=90, name="maxout_forward, 3 pieces")
check_forward(maxout_forward, "maxout", inputs={"x": (3, 2), "w": (1, 2, 4), "b": (1, 4)}, seed=91, name="maxout_forward, one piece")
check_backward(maxout_forward, maxout_backward, inputs={"x": (8, 6), "w": (2, 6, 4), "b": (2, 4)}, seed=92, name="maxout")
check_backward(maxout_forward, maxout_backward, inputs={"x": (5, 3), "w": (3, 3, 7), "b": (3, 7)}, seed=93, name="maxout, 3 pieces")
check_backward(maxout_forward, maxout_backward, inputs={"x": (1, 5), "w": (1, 5, 2), "b": (1, 2)}, seed=94, name="maxout, one piece and one example")
check_maxout_ties(maxout_forward, maxout_backward, seed=95)
### END HIDDEN TESTS
""")
    nb.md(r"""
## 3. Your activations, drawn

The figure below is drawn by *your* functions: the top row is each forward pass, the bottom row
is each backward pass called with `dout = 1`, which is exactly the local derivative. Look for the
kink of ReLU, the small slope of leaky ReLU, how quickly the sigmoid's derivative vanishes
compared with tanh's, and how ELU's slope fades smoothly on the negative side. The maxout unit
drawn has one input and two pieces, $x$ and $-0.5x$: its derivative is the slope of whichever
piece wins.
""")
    nb.code(r"""
two_pieces_w, two_pieces_b = np.array([[[1.0]], [[-0.5]]]), np.zeros((2, 1))  # max(x, -0.5 x)
pairs = {
    "ReLU": (relu_forward, relu_backward),
    "leaky ReLU (alpha=0.1)": (lambda v: leaky_relu_forward(v, alpha=0.1), leaky_relu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
    "ELU": (elu_forward, elu_backward),
    "maxout: max(x, -0.5 x)": (lambda v: maxout_forward(v[:, None], two_pieces_w, two_pieces_b), maxout_backward),
}
display(plots.activation_curves(pairs, x=np.linspace(-4, 4, 401)))
""")
    nb.md(r"""
## 4. Units that die, and units that cannot

A ReLU unit whose input is negative for every example outputs 0 and passes back no gradient, so
its weights never change again: it is *dead*. The notes warn that a large learning rate can kill
a good part of a network this way; a bad initialization does it from the first step. Below,
every hidden bias starts at $-3$, which puts about half of the 50 ReLU units on their negative
side for every digit. Four networks, 64 → 50 → 10 with a softmax loss, are trained by full-batch
gradient descent on your layers. A unit counts as dead when backward, given an upstream gradient
of 1 for every example, sends none of it to the unit's bias (for maxout, to any of its pieces'
biases).

`affine_then` chains `affine_forward` and an activation into a layer with maxout's signature,
`(x, w, b) -> (out, cache)` and `(dout, cache) -> (dx, dw, db)`, so one training loop serves all four.
""")
    nb.code(r"""
def affine_then(activation_forward, activation_backward):
    # An affine layer followed by an element-wise activation, called like a maxout layer.
    def layer_forward(x, w, b):
        z, affine_cache = affine_forward(x, w, b)
        out, activation_cache = activation_forward(z)
        return out, (affine_cache, activation_cache)

    def layer_backward(dout, cache):
        affine_cache, activation_cache = cache
        return affine_backward(activation_backward(dout, activation_cache), affine_cache)

    return layer_forward, layer_backward


def dead_units(hidden_forward, hidden_backward, w, b, X):
    # Hidden units to which no example sends any gradient.
    out, cache = hidden_forward(X, w, b)
    _, _, db = hidden_backward(np.ones_like(out), cache)
    return int(np.sum(np.all(db.reshape(-1, out.shape[1]) == 0, axis=0)))


def train(hidden_forward, hidden_backward, w, b, X, y, steps, learning_rate=0.5):
    # Full-batch gradient descent on hidden layer -> affine -> softmax loss; returns every weight.
    w2, b2 = np.random.default_rng(1).normal(scale=np.sqrt(1 / w.shape[-1]), size=(w.shape[-1], 10)), np.zeros(10)
    for _ in range(steps):
        hidden, hidden_cache = hidden_forward(X, w, b)
        scores, output_cache = affine_forward(hidden, w2, b2)
        probabilities = np.exp(scores - scores.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        dscores = (probabilities - np.eye(10)[y]) / len(y)  # the softmax loss's gradient (notebook 2)
        dhidden, dw2, db2 = affine_backward(dscores, output_cache)
        _, dw, db = hidden_backward(dhidden, hidden_cache)
        w, b = w - learning_rate * dw, b - learning_rate * db
        w2, b2 = w2 - learning_rate * dw2, b2 - learning_rate * db2
    return w, b, w2, b2


digits = load_digits()
hidden_layers = {
    "ReLU": affine_then(relu_forward, relu_backward),
    "leaky ReLU": affine_then(leaky_relu_forward, leaky_relu_backward),
    "ELU": affine_then(elu_forward, elu_backward),
    "maxout, 2 pieces": (maxout_forward, maxout_backward),
}
units, steps = 50, 50 if QUICK else 200
for name, (hidden_forward, hidden_backward) in hidden_layers.items():
    pieces = (2,) if name.startswith("maxout") else ()
    w = np.random.default_rng(0).normal(scale=np.sqrt(2 / 64), size=(*pieces, 64, units))  # He initialization
    b = np.full((*pieces, units), -3.0)  # the bad part
    dead_at_start = dead_units(hidden_forward, hidden_backward, w, b, digits.X_train)
    w, b, w2, b2 = train(hidden_forward, hidden_backward, w, b, digits.X_train, digits.y_train, steps)
    dead_after = dead_units(hidden_forward, hidden_backward, w, b, digits.X_train)
    hidden, _ = hidden_forward(digits.X_val, w, b)
    accuracy = np.mean(np.argmax(hidden @ w2 + b2, axis=1) == digits.y_val)
    print(f"{name:17} dead units: {dead_at_start:2} of {units} at the start, {dead_after:2} after {steps} steps; "
          f"validation accuracy {accuracy:.1%}")
""")
    nb.md(r"""
ReLU starts with 27 of its 50 units dead and ends with 29: no gradient ever reaches a dead unit,
so nothing revives it, and two more died on the way. The network makes do with the other 21
(about 95 % on validation), but more than half of its hidden layer is dead weight. Leaky ReLU,
ELU and maxout have no dead unit, at the start or later, and do as well or better (about 95 %,
97 % and 97 %): a leaky unit on its negative side still gets $\alpha$ times its gradient, an ELU
unit $\alpha e^x$ times, and a maxout unit passes every output's gradient to its winning piece.
Not dead is not the same as learning fast: with $\alpha = 0.01$ a leaky unit on its negative side
learns a hundred times more slowly, which is why leaky ReLU scores closer to ReLU here. The
notes' advice stands: use ReLU with a careful learning rate and initialization, watch the
fraction of dead units, and try leaky ReLU or maxout if it grows.
""")
    nb.md(r"""
## 5. Composing layers

Layers compose by passing outputs forward and `dout` backward, in reverse order. Here is a
two-layer network with a tanh in the middle, written entirely with your functions, checked
against a numerical gradient of the whole chain. Nothing new to write: if every layer above is
right, the chain is right.
""")
    nb.code(r"""
from backpropkit.gradcheck import numerical_gradient, relative_error

rng = np.random.default_rng(1)
x = rng.normal(size=(5, 4))
w1, b1 = rng.normal(size=(4, 6)), rng.normal(size=6)
w2, b2 = rng.normal(size=(6, 3)), rng.normal(size=3)
dout = rng.normal(size=(5, 3))


def chain(w1):
    hidden, cache1 = affine_forward(x, w1, b1)
    activated, cache2 = tanh_forward(hidden)
    out, cache3 = affine_forward(activated, w2, b2)
    return out, (cache1, cache2, cache3)


out, (cache1, cache2, cache3) = chain(w1)
dactivated, dw2, db2 = affine_backward(dout, cache3)
dhidden = tanh_backward(dactivated, cache2)
dx, dw1, db1 = affine_backward(dhidden, cache1)

dw1_numerical = numerical_gradient(lambda w: float(np.sum(chain(w)[0] * dout)), w1)
print(f"relative error of dW1 through the whole chain: {relative_error(dw1, dw1_numerical):.1e}")
""")
    nb.md(r"""
A relative error around $10^{-8}$ or smaller means the analytic and numerical gradients agree to
the precision finite differences can offer.

**Next:** `2_two_layer_net.ipynb` writes the backward pass of a whole small network by hand, and
`3_deep_networks.ipynb` trains networks of any depth on your layers.
""")
    return nb


# --------------------------------------------------------------------------------------------
# 2_two_layer_net.ipynb
# --------------------------------------------------------------------------------------------

TWO_LAYER_CASE = '"X": (5, 4), "Y": [[1, 0], [0, 1], [1, 1], [0, 0], [1, 0]], "W1": (4, 3), "b1": (3,), "W2": (3, 2), "b2": (2,)'


def two_layer_net_notebook() -> Notebook:
    nb = Notebook()
    nb.md(r"""
# A two-layer network, backpropagated by hand

Before networks become stacks of interchangeable layers (`3_deep_networks.ipynb`), it pays to work
through one small network completely, with pencil and paper first. This notebook takes the
network of the lecture notes: inputs $x \in \mathbb{R}^D$, one hidden layer of sigmoid units,
and $K$ sigmoid outputs, each the network's probability that the example belongs to class $k$:

$$a = g\bigl(\Theta^{(1)} x\bigr), \qquad h_\Theta(x) = g\bigl(\Theta^{(2)} a\bigr) \in (0,1)^K,
\qquad g(z) = \frac{1}{1+e^{-z}}.$$

You will write its backward pass by hand, check it numerically, train it on a data set that no
linear classifier can solve, and see why the non-linearity $g$ is what makes that possible.

**Code conventions.** As everywhere in this course, examples are *rows*: a minibatch is
$X \in \mathbb{R}^{m \times D}$, and the biases are separate vectors instead of a constant-1 input
folded into $\Theta$:

$$A = \sigma(X W_1 + b_1) \;\;(m \times H), \qquad \hat Y = \sigma(A W_2 + b_2) \;\;(m \times K).$$

$W_1$ is $\Theta^{(1)}$ transposed, minus its bias column; same for $W_2$.
""")
    nb.locked("setup", r"""
import os

import matplotlib.pyplot as plt
import numpy as np

from backpropkit.backend import namespace

QUICK = os.environ.get("BACKPROPKIT_QUICK") == "1"  # smaller runs for continuous integration
%matplotlib inline
""")
    nb.md(r"""
## 1. The cost $J(\Theta)$

Each output is a yes/no question ("is this a 3?"), so each is scored with the binary
cross-entropy, summed over the $K$ outputs, averaged over the $m$ examples, plus an L2 penalty on
the weights:

$$J(\Theta) = -\frac{1}{m}\sum_{i=1}^{m}\sum_{k=1}^{K}\Bigl[y^{(i)}_k \log \hat y^{(i)}_k
+ \bigl(1-y^{(i)}_k\bigr)\log\bigl(1-\hat y^{(i)}_k\bigr)\Bigr]
+ \frac{\lambda}{2m}\Bigl(\lVert W_1\rVert^2 + \lVert W_2\rVert^2\Bigr).$$

$Y$ is the $m \times K$ matrix of targets in $\{0, 1\}$ (for classification, a one-hot row per
example). The sum of squares runs over every weight but **not over the biases**: the penalty is
there to keep the network from reacting strongly to small changes of its input, which large
weights do; a bias only shifts a unit's threshold and does not make it more sensitive, so
penalizing it would only pull the thresholds towards zero for no benefit.

**Computing it safely.** With $z$ the output unit's input (its *logit*) and $\hat y = \sigma(z)$,
a little algebra turns the bracket into $-(\log(1+e^{z}) - y z)$. `logaddexp(0, z)` computes
$\log(1 + e^z)$ without overflow, and we never take the log of a probability that has rounded
to 0. The forward pass below is given; read it, then derive the backward pass.
""")
    nb.locked("two_layer_net_forward", r'''
def two_layer_net_forward(X, Y, W1, b1, W2, b2, *, reg):
    """The cost J of the two-layer sigmoid network, and the cache its backward pass needs.

    Shapes: X (m, D), Y (m, K) targets in {0, 1}, W1 (D, H), b1 (H,), W2 (H, K), b2 (K,);
    reg is lambda. Returns J (a 0-d array) and cache (X, Y, A, Y_hat, W1, W2, reg) with
    A (m, H) the hidden activations and Y_hat (m, K) the output probabilities.
    """
    xp = namespace(X, Y, W1, b1, W2, b2)
    m = X.shape[0]
    A = 1.0 / (1.0 + xp.exp(-(X @ W1 + b1)))
    logits = A @ W2 + b2
    Y_hat = 1.0 / (1.0 + xp.exp(-logits))
    data_cost = xp.sum(xp.logaddexp(0.0, logits) - Y * logits) / m
    penalty = reg / (2 * m) * (xp.sum(W1 * W1) + xp.sum(W2 * W2))
    return data_cost + penalty, (X, Y, A, Y_hat, W1, W2, reg)
''')
    nb.md(r"""
## 2. Backpropagation, by hand

Go backwards, one node at a time, each step multiplying the gradient that has arrived so far by a
local derivative. The function receives `dJ`, the upstream gradient of $J$ (it is 1 when $J$ is
the final cost; multiply by it anyway, exactly as every layer multiplies by `dout`).

**Output layer.** For one output unit,
$\frac{\partial}{\partial z}\bigl[-y\log\sigma(z) - (1-y)\log(1-\sigma(z))\bigr]
= -y(1-\sigma(z)) + (1-y)\sigma(z) = \sigma(z) - y$: the derivative of the sigmoid cancels against
the derivative of the log, and the gradient at the logits is simply *prediction minus target*,
divided by $m$ for the average:

$$\delta_2 = \frac{\partial J}{\partial\,\text{logits}} = \frac{1}{m}(\hat Y - Y) \qquad (m \times K).$$

**Output weights.** The logits are an affine layer of $A$: the weight gradient is the outer
product of the layer's input with the arriving $\delta$, summed over the examples, plus the
derivative of the penalty:

$$dW_2 = A^\top \delta_2 + \frac{\lambda}{m} W_2, \qquad
db_2 = \textstyle\sum_i \delta_{2,i}\quad(\text{column sums; no penalty term}).$$

**Into the hidden layer.** Back through the weights, then through the sigmoid, whose derivative
is $A \odot (1-A)$:

$$dA = \delta_2 W_2^\top, \qquad \delta_1 = dA \odot A \odot (1 - A) \qquad (m \times H).$$

**Hidden weights.** Same pattern as the output weights:

$$dW_1 = X^\top \delta_1 + \frac{\lambda}{m} W_1, \qquad db_1 = \textstyle\sum_i \delta_{1,i}.$$

Finally multiply every gradient by `dJ` (or start with $\delta_2$ already multiplied by it).

**Exercise.** Implement `two_layer_net_backward(dJ, cache)`, returning `(dW1, db1, dW2, db2)`.
Use only the cache: no exponentials are needed, since the forward pass kept the activations.
""")
    nb.answer("two_layer_net_backward", r'''
def two_layer_net_backward(dJ, cache):
    """Gradients of the two-layer network's cost J with respect to its parameters.

    Shapes: dJ a scalar (0-d array or float); cache (X (m, D), Y (m, K), A (m, H), Y_hat (m, K),
    W1 (D, H), W2 (H, K), reg) from two_layer_net_forward -> dW1 (D, H), db1 (H,), dW2 (H, K),
    db2 (K,), each already multiplied by dJ.
    """
    X, Y, A, Y_hat, W1, W2, reg = cache
    xp = namespace(X, A, W1, W2)
    m = X.shape[0]
    ### BEGIN SOLUTION
    delta2 = dJ * (Y_hat - Y) / m
    dW2 = A.T @ delta2 + dJ * (reg / m) * W2
    db2 = xp.sum(delta2, axis=0)
    dA = delta2 @ W2.T
    delta1 = dA * A * (1.0 - A)
    dW1 = X.T @ delta1 + dJ * (reg / m) * W1
    db1 = xp.sum(delta1, axis=0)
    ### END SOLUTION
    return dW1, db1, dW2, db2
''')
    nb.md(r"""
## 3. Checked numerically

The check below perturbs each parameter by $\pm h$, re-evaluates the forward pass and compares
$\frac{J(\theta + h) - J(\theta - h)}{2h}$ with your gradient, element by element (notebook 1).
If `dW1` fails but `dW2` passes, the mistake is in the second half of your derivation: the check
tells you which gradient and where the largest error sits. A common slip: adding the penalty
gradient to the biases.
""")
    nb.test("two_layer_net_public", 0, f"""
from autograder.checks import check_two_layer_net_backward

check_two_layer_net_backward(two_layer_net_forward, two_layer_net_backward, inputs={{{TWO_LAYER_CASE}}}, params={{"reg": 0.1}}, seed=0, name="two_layer_net")
""")
    nb.test("two_layer_net_hidden", 6, r"""
from autograder.checks import check_two_layer_net_backward

### BEGIN HIDDEN TESTS
check_two_layer_net_backward(two_layer_net_forward, two_layer_net_backward, inputs={"X": (1, 3), "Y": [[0, 1, 1]], "W1": (3, 4), "b1": (4,), "W2": (4, 3), "b2": (3,)}, params={"reg": 0.0}, seed=141, name="two_layer_net, one example, no penalty")
check_two_layer_net_backward(two_layer_net_forward, two_layer_net_backward, inputs={"X": (7, 2), "Y": [[1], [0], [0], [1], [1], [0], [1]], "W1": (2, 6), "b1": (6,), "W2": (6, 1), "b2": (1,)}, params={"reg": 2.0}, seed=142, name="two_layer_net, one output, strong penalty")
check_two_layer_net_backward(two_layer_net_forward, two_layer_net_backward, inputs={"X": (4, 5), "Y": [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], "W1": (5, 3), "b1": (3,), "W2": (3, 4), "b2": (4,)}, params={"reg": 0.5}, seed=143, name="two_layer_net, one-hot targets")
### END HIDDEN TESTS
""")
    nb.md(r"""
## 4. A problem no straight line solves

Two concentric rings of points: the inner ring is class 1, the outer ring class 0. A linear
classifier draws one straight line through the plane, so it cannot do much better than
guessing. Train your network on it with plain full-batch gradient descent: one output unit
($K = 1$), ten hidden units.
""")
    nb.code(r"""
from backpropkit.data import make_circles

X_rings, y_rings = make_circles(300, noise=0.08, seed=0)
Y_rings = y_rings[:, None].astype(float)  # (m, 1) targets for the one output unit


def train_two_layer_net(X, Y, hidden, *, steps, learning_rate, reg, seed=0):
    # Full-batch gradient descent on J with your backward pass; returns the parameters and the costs.
    rng = np.random.default_rng(seed)
    D, K = X.shape[1], Y.shape[1]
    params = {"W1": rng.normal(0, 1 / np.sqrt(D), (D, hidden)), "b1": np.zeros(hidden),
              "W2": rng.normal(0, 1 / np.sqrt(hidden), (hidden, K)), "b2": np.zeros(K)}
    costs = []
    for _ in range(steps):
        cost, cache = two_layer_net_forward(X, Y, **params, reg=reg)
        grads = dict(zip(["W1", "b1", "W2", "b2"], two_layer_net_backward(1.0, cache)))
        params = {name: value - learning_rate * grads[name] for name, value in params.items()}
        costs.append(float(cost))
    return params, costs


def probabilities(params, X):
    # The network's output probabilities (m, K): the forward pass with dummy targets.
    _, cache = two_layer_net_forward(X, np.zeros((len(X), params["b2"].shape[0])), **params, reg=0.0)
    return cache[3]

""")
    nb.md(r"""
The next cell trains it and draws the result: the background colour is the network's
probability of class 1 at every point of the plane, with the decision boundary ($\hat y = 0.5$) in black. Beside it, the best *linear*
classifier (scikit-learn's logistic regression: the same cross-entropy with no hidden layer).
""")
    nb.code(r"""
from sklearn.linear_model import LogisticRegression


def draw_probability_map(probability_of_class_1, X, y, ax, title):
    grid = np.linspace(-1.5, 1.5, 200)
    xx, yy = np.meshgrid(grid, grid)
    p = probability_of_class_1(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    ax.contourf(xx, yy, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
    ax.contour(xx, yy, p, levels=[0.5], colors="black", linewidths=1.5)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolors="k", s=15)
    ax.set_title(title)
    ax.set_aspect("equal")


ring_params, ring_costs = train_two_layer_net(
    X_rings, Y_rings, hidden=10, steps=1500 if QUICK else 3000, learning_rate=2.0, reg=1e-3
)
ring_accuracy = np.mean((probabilities(ring_params, X_rings)[:, 0] > 0.5) == y_rings)
print(f"cost {ring_costs[0]:.3f} -> {ring_costs[-1]:.3f}; training accuracy {ring_accuracy:.1%}")
linear = LogisticRegression().fit(X_rings, y_rings)
fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
draw_probability_map(lambda P: linear.predict_proba(P)[:, 1], X_rings, y_rings, axes[0],
                     f"linear classifier: {linear.score(X_rings, y_rings):.0%} correct")
draw_probability_map(lambda P: probabilities(ring_params, P)[:, 0], X_rings, y_rings, axes[1],
                     f"your two-layer net: {ring_accuracy:.0%} correct")
axes[2].plot(ring_costs)
axes[2].set_xlabel("gradient-descent step")
axes[2].set_ylabel("J")
axes[2].set_yscale("log")
axes[2].set_title("cost during training")
fig.tight_layout()
plt.show()
""")
    nb.md(r"""
## 5. Why the non-linearity matters

Remove $g$ from the hidden layer and the network computes

$$(X W_1 + b_1) W_2 + b_2 = X \underbrace{(W_1 W_2)}_{W} + \underbrace{(b_1 W_2 + b_2)}_{b},$$

one affine map: exactly a linear classifier, whatever $H$ is, and however many such layers are
stacked. Depth buys nothing without a non-linearity between the layers. The cell below confirms
the algebra numerically.
""")
    nb.code(r"""
rng = np.random.default_rng(1)
X_any = rng.normal(size=(6, 4))
W1, b1, W2, b2 = rng.normal(size=(4, 5)), rng.normal(size=5), rng.normal(size=(5, 3)), rng.normal(size=3)
two_linear_layers = (X_any @ W1 + b1) @ W2 + b2
one_linear_layer = X_any @ (W1 @ W2) + (b1 @ W2 + b2)
print("two linear layers == one linear layer:", np.allclose(two_linear_layers, one_linear_layer))
""")
    nb.md(r"""
With the sigmoid in between, each hidden unit draws its own soft line through the plane and the
output unit combines those half-planes: ten of them are plenty to fence in the inner ring. Look
at the map above: the boundary is a closed curve made of gently bent pieces.

## 6. The digits, ten outputs at once

The same network with $K = 10$ outputs (one yes/no unit per digit) and one-hot targets classifies
the 8×8 digits. It predicts the class whose output unit is most confident.
""")
    nb.code(r"""
from backpropkit.data import load_digits

digits = load_digits()
Y_train = np.eye(digits.num_classes)[digits.y_train]  # one-hot rows
digit_params, digit_costs = train_two_layer_net(
    digits.X_train, Y_train, hidden=30, steps=60 if QUICK else 400, learning_rate=2.0, reg=1.0
)
val_accuracy = np.mean(probabilities(digit_params, digits.X_val).argmax(axis=1) == digits.y_val)
print(f"cost {digit_costs[0]:.3f} -> {digit_costs[-1]:.3f}; validation accuracy {val_accuracy:.1%}")
""")
    nb.md(r"""
A few hundred full-batch steps reach about 95 % on validation digits the network has never seen.
`3_deep_networks.ipynb` builds the same kind of network from interchangeable layers, adds depth,
and trains on minibatches.
""")
    return nb


# --------------------------------------------------------------------------------------------
# 3_deep_networks.ipynb
# --------------------------------------------------------------------------------------------


def deep_networks_notebook() -> Notebook:
    nb = Notebook()
    nb.md(r"""
# Deep networks from your own layers

`1_layers.ipynb` gave you the pieces: an affine layer and four activations, each a forward/backward
pair. Because every layer only talks to its neighbours through `out` and `dout`, those pieces
snap together into networks of any depth without writing one more derivative. This notebook
trains such networks **on your functions** and uses them to look inside training:

1. a fully connected network on the digits, and on a spiral that no linear classifier can separate;
2. what a backward pass costs compared with a forward pass, measured;
3. why deep sigmoid networks barely learn in their first layers (vanishing gradients), how the
   scale of the initial weights can make gradients vanish or explode, and what Xavier and He
   initialization do about it;
4. dead ReLUs;
5. capacity vs regularization.

Nothing here is graded: it is the payoff for `1_layers.ipynb`.
""")
    nb.locked("setup", r"""
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from threadpoolctl import threadpool_limits

from backpropkit import plots
from backpropkit.data import load_digits, make_spiral
from backpropkit.layer_set import LayerSet
from backpropkit.networks import FullyConnectedNet
from backpropkit.notebooks import answers_from
from backpropkit.trainer import Trainer

QUICK = os.environ.get("BACKPROPKIT_QUICK") == "1"  # smaller runs for continuous integration
%matplotlib inline
""")
    nb.md(r"""
## 0. Your layers, brought over

The next cell runs the setup cell and the answer cells of `1_layers.ipynb` (nothing else from it),
so that your functions are defined here too. A network also needs a loss at the top, and section 6
an L2 penalty: your `softmax_loss` and `l2_penalty` come over the same way from
`02_linear_classifiers/1_linear_classifiers.ipynb`. A notebook the cell cannot find contributes
nothing: the library's functions stand in for its answers, and the table below says which is which.
`LayerSet.from_namespace` then collects the functions by name for the models. If you change a
function in `1_layers.ipynb`, save that notebook and run this cell again.
""")
    nb.locked("load_your_layers", r"""
yours = answers_from("../02_linear_classifiers/1_linear_classifiers.ipynb", "1_layers.ipynb")
layers = LayerSet.from_namespace(yours, fallback=LayerSet.reference())
for role in ("affine_backward", "relu_forward", "relu_backward", "sigmoid_forward", "sigmoid_backward",
             "tanh_forward", "tanh_backward", "softmax_loss", "l2_penalty"):
    print(f"{role:<18} {'yours' if getattr(layers, role) is yours.get(role) else 'library'}")
""")
    nb.md(r"""
**Skipping ahead?** If you have not finished `1_layers.ipynb` yet, every cell below stops with
`NotImplementedError` naming the function to write. To run the rest of the notebook on the
library's reference layers instead, set the flag below to `True`. That works only with the
instructor edition of the library: the student edition does not include the reference answers,
so there the flag gives the same errors.
""")
    nb.code(r"""
USE_LIBRARY_REFERENCE = False
if USE_LIBRARY_REFERENCE:
    layers = LayerSet.reference()
""")
    nb.md(r"""
## 1. A fully connected network on the digits

`FullyConnectedNet(input_dim, hidden_dims, num_classes, layers=layers)` stacks
`affine → activation` once per entry of `hidden_dims`, then a last affine layer producing the class
scores and the softmax loss. Its `loss(X, y)` runs the forward functions in order, keeping each
cache, and then the backward functions in reverse order: exactly what you did by hand in
`1_layers.ipynb`, in a loop.

`Trainer` feeds the model shuffled minibatches and, after each one, moves every parameter with an
*update rule* `(w, dw, state) -> (w, state)`. Here that is the plain gradient-descent step of
`02_linear_classifiers`, $w \leftarrow w - \eta\, dw$; `state` is for rules that remember earlier
steps, and this one keeps none. Notebook 4 builds better rules (momentum, Adam): once you have
written them there, come back and pass yours to `Trainer` in place of `gradient_step`.
""")
    nb.locked("gradient_step", r"""
def gradient_step(w, dw, state, *, learning_rate):
    # One step of plain gradient descent against the gradient of this minibatch's loss.
    return w - learning_rate * dw, state
""")
    nb.code(r"""
digits = load_digits()
model = FullyConnectedNet(64, [100], 10, layers=layers, seed=0)
trainer = Trainer(model, gradient_step, learning_rate=0.1, batch_size=50, epochs=5 if QUICK else 20, progress=False)
history = trainer.fit(digits.X_train, digits.y_train, digits.X_val, digits.y_val)
print(f"{sum(p.size for p in model.params.values())} parameters; validation accuracy {history.val_accuracy[-1]:.1%}, "
      f"test accuracy {model.accuracy(digits.X_test, digits.y_test):.1%}")
display(plots.history_curves(history, title="64 → 100 → 10 on the digits, your layers"))
""")
    nb.md(r"""
After 20 epochs of plain gradient descent, about 97 % of digits the network has never seen are
classified correctly, by a network you can write down in a few lines.

## 2. Bending the decision boundary

Three arms of a spiral, one class each: no straight line separates any arm from the others. A
network with no hidden layer (`hidden_dims=[]`) *is* a linear (softmax) classifier; each hidden
layer of ReLUs lets it fold the plane once more.
""")
    nb.code(r"""
X_spiral, y_spiral = make_spiral(100, 3, seed=0)
epochs = 60 if QUICK else 200
for hidden_dims in ([], [50], [50, 50]):
    spiral_model = FullyConnectedNet(2, hidden_dims, 3, layers=layers, seed=0)
    Trainer(spiral_model, gradient_step, learning_rate=0.3, batch_size=50, epochs=epochs, progress=False).fit(
        X_spiral, y_spiral)
    accuracy = spiral_model.accuracy(X_spiral, y_spiral)
    display(plots.decision_boundary(spiral_model, X_spiral, y_spiral, title=f"hidden layers {hidden_dims}: {accuracy:.0%} correct"))
""")
    nb.md(r"""
The linear model cuts the plane into three wedges and gets about half the points right. One
hidden layer of 50 ReLUs already follows the arms (about 99 % correct): each ReLU contributes one fold along a line,
and the output layer combines the pieces into a boundary that is piecewise linear (look closely at
its straight segments and corners).

## 3. What does a backward pass cost?

For an affine layer with a batch of $N$ rows, $D$ inputs and $M$ outputs, the forward pass is one
matrix product $XW$: $NDM$ multiply-adds. The backward pass needs two products of the same size,
$dX = \text{dout}\,W^\top$ and $dW = X^\top\text{dout}$: $2NDM$. The activations cost about the same
both ways, and they are cheap next to the products. So a backward pass should cost about **twice** a
forward pass, and a training step about three forward passes. That is the deep reason
backpropagation made neural networks practical: the gradient with respect to *every* parameter
costs a small constant times evaluating the network once, where finite differences would need
two evaluations *per parameter*.

Measure it on a wide network (the matrix products dominate) with your layers:
""")
    nb.code(r"""
wide = FullyConnectedNet(64, [512, 512], 10, layers=layers, seed=0)
X_batch = np.concatenate([digits.X_train] * 2)[:2000]


def forward_pass(X):
    # affine -> relu -> affine -> relu -> affine with your layers; returns the scores and every cache.
    out, caches = X, []
    for i in range(1, wide.num_layers + 1):
        out, affine_cache = layers.affine_forward(out, wide.params[f"W{i}"], wide.params[f"b{i}"])
        relu_cache = None
        if i < wide.num_layers:
            out, relu_cache = layers.relu_forward(out)
        caches.append((affine_cache, relu_cache))
    return out, caches


def backward_pass(dscores, caches):
    # The same layers in reverse order; returns the weight gradients.
    dout, grads = dscores, {}
    for i in range(wide.num_layers, 0, -1):
        affine_cache, relu_cache = caches[i - 1]
        if relu_cache is not None:
            dout = layers.relu_backward(dout, relu_cache)
        dout, grads[f"W{i}"], grads[f"b{i}"] = layers.affine_backward(dout, affine_cache)
    return grads


def median_seconds(work, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


scores, caches = forward_pass(X_batch)
dscores = np.random.default_rng(0).normal(size=scores.shape)
repeats = 5 if QUICK else 20
with threadpool_limits(limits=1):  # one BLAS thread: count work, not how well it parallelizes
    forward_time = median_seconds(lambda: forward_pass(X_batch), repeats)
    backward_time = median_seconds(lambda: backward_pass(dscores, caches), repeats)
print(f"forward  {forward_time * 1e3:7.1f} ms")
print(f"backward {backward_time * 1e3:7.1f} ms")
print(f"backward / forward = {backward_time / forward_time:.1f}")
""")
    nb.md(r"""
Expect a ratio near 2. The first layer's $dX$ is work nobody needs (frameworks skip it), which
can push the ratio a little above 2; element-wise work and memory traffic move it too. Timings
on a busy machine wobble: run the cell again if the ratio looks odd.

## 4. Vanishing and exploding gradients

The gradient that reaches layer $i$ is a product of one factor per layer above it: the upstream
gradient is multiplied by $W^\top$ and by the activation's derivative, layer after layer,

$$\frac{\partial L}{\partial h_i} = \frac{\partial L}{\partial h_n}\,
\frac{\partial h_n}{\partial h_{n-1}}\cdots\frac{\partial h_{i+1}}{\partial h_i}.$$

If each factor shrinks vectors, the product vanishes geometrically with depth; if each grows them,
it explodes. Two things set the size of a factor:

* **the activation's derivative**: the sigmoid's is at most $\tfrac14$, so the sigmoid *alone*
  shrinks the gradient by at least a factor of 4 per layer; tanh's is 1 at the origin and ReLU's
  is 1 for every active unit;
* **the scale of the weights**: the factor $W^\top$ multiplies the gradient too. With $D$ inputs of
  unit variance and weights of variance $s^2$, a unit's input has variance $D s^2$, and $W^\top$
  scales a gradient by about $\sqrt{D}\,s$. Too small and every layer shrinks the signal (forward)
  and the gradient (backward); too large and both grow, enough to outweigh the sigmoid's
  $\tfrac14$, or sigmoid and tanh saturate.

Whether a layer shrinks or grows the gradient is the product of the two: neither alone decides.

**Xavier initialization** (Glorot and Bengio) picks $s^2 = 2/(D_\text{in} + D_\text{out})$. The
forward pass alone would want $1/D_\text{in}$ (each unit sums $D_\text{in}$ inputs), the backward
pass alone $1/D_\text{out}$ (each input's gradient sums $D_\text{out}$ contributions); their
harmonic mean is a compromise, and equals both when the layer is square, as the 64-unit layers
below are. **He initialization** picks $s^2 = 2/D_\text{in}$: a ReLU zeroes half of its inputs on
average, halving the variance, and the factor 2 makes up for it. `FullyConnectedNet` uses He for
ReLU and Xavier otherwise unless `weight_scale` fixes the standard deviation.

Below: a network with 8 hidden layers of 64 units, one backward pass on 200 digits, and the norm of
each layer's weight gradient $\lVert dW_i\rVert$ (layer 1 is nearest the input), for three
activations and three initializations.
""")
    nb.code(r"""
initializations = {"std 0.01": 0.01, "Xavier / He": None, "std 1.0": 1.0}
fig, axes = plt.subplots(1, 3, figsize=(15, 4), sharey=True)
for ax, activation in zip(axes, ("sigmoid", "tanh", "relu")):
    for label, weight_scale in initializations.items():
        deep = FullyConnectedNet(64, [64] * 8, 10, activation=activation, weight_scale=weight_scale, layers=layers, seed=0)
        _, grads = deep.loss(digits.X_train[:200], digits.y_train[:200])
        norms = [np.linalg.norm(grads[f"W{i}"]) for i in range(1, deep.num_layers + 1)]
        ax.semilogy(range(1, deep.num_layers + 1), norms, "o-", label=label)
    ax.set_title(f"{activation}, 8 hidden layers")
    ax.set_xlabel("layer (1 = nearest the input)")
axes[0].set_ylabel("norm of dW")
axes[0].legend()
fig.tight_layout()
plt.show()
""")
    nb.md(r"""
Read the three panels:

* **sigmoid**: with Xavier initialization the gradient shrinks by roughly a factor of 4 per layer
  towards the input (the $W^\top$ factors are about 1, so the sigmoid's $\tfrac14$ shows), and the
  first layers learn thousands of times more slowly than the last. This is why deep networks were
  long thought untrainable, and why ReLU took over. With std 1.0 the curve is almost flat: each
  $W^\top$ now multiplies the gradient by about $\sqrt{64} = 8$, which nearly cancels the sigmoid's
  $\tfrac14$, at the price of saturated units (an input of variance 64 puts most of them on the flat
  tails, where they barely learn).
* **tanh**: with Xavier the norms stay level; with std 0.01 they are tiny everywhere (the signal
  itself died on the way forward); with std 1.0 the units saturate and the gradients grow
  towards the input.
* **ReLU**: with He initialization the norms are flat across depth. Std 0.01 kills the signal,
  std 1.0 multiplies it by about $\sqrt{64/2} \approx 5.7$ per layer: the gradients explode into
  the millions, and a single update would wreck the weights.

## 5. Dead ReLUs

A ReLU unit whose input is negative for *every* example outputs 0 everywhere and receives no
gradient, so no update will ever revive it: the unit is dead. One large update is enough to push
a unit's weights and bias there. Train the same network with a sensible learning rate and with one
that is too large, then count the hidden units that never activate on the training set.
""")
    nb.code(r"""
def dead_fraction_per_layer(model, X):
    # The fraction of each hidden layer's units that output 0 for every example in X.
    h, fractions = X, []
    for i in range(1, model.num_layers):
        z, _ = layers.affine_forward(h, model.params[f"W{i}"], model.params[f"b{i}"])
        h, _ = layers.relu_forward(z)
        fractions.append(float(np.mean(np.all(h == 0, axis=0))))
    return fractions


epochs = 4 if QUICK else 10
for learning_rate in (0.1, 2.0):
    relu_net = FullyConnectedNet(64, [100, 100], 10, layers=layers, seed=0)
    Trainer(relu_net, gradient_step, learning_rate=learning_rate, batch_size=50, epochs=epochs, progress=False).fit(
        digits.X_train, digits.y_train)
    dead = ", ".join(f"{fraction:.0%}" for fraction in dead_fraction_per_layer(relu_net, digits.X_train))
    print(f"learning rate {learning_rate}: dead units per hidden layer {dead}; "
          f"validation accuracy {relu_net.accuracy(digits.X_val, digits.y_val):.1%}")
""")
    nb.md(r"""
At 0.1 hardly a unit dies. At 2.0 nearly all of them do within the first epochs (about 95 % of
the first hidden layer and all of the second), and the accuracy collapses to chance, 10 %, with
them. Remedies: a smaller learning rate (or a warmup, notebook 4), careful initialization, and
leaky ReLU, whose small negative slope keeps a trickle of gradient flowing to a unit that has been
pushed to the negative side (`1_layers.ipynb`, section 4: leaky ReLU, ELU and maxout keep every unit
alive where ReLU loses half of them).

## 6. Capacity vs regularization

How big should the network be? A small network cannot represent a complicated boundary; a large
one can represent the noise of its training set too. The lecture notes' advice: do **not** use the
size of the network to control overfitting; use a large enough network and control it with
regularization (the L2 penalty `reg` here, dropout in notebook 5), tuned on validation data.

Below, a small spiral (40 points per arm) with **wrong labels**: a fifth of the training points
carry the label of another arm, the kind of noise a large enough network can memorize. It is fit
by networks with 5, 50 and 300 hidden units, each with three penalty strengths; the title gives
training / validation accuracy. The validation points (900 fresh ones from the same spiral) are
labelled correctly, so validation accuracy measures how close the learned boundary comes to the
true arms.
""")
    nb.code(r"""
from tqdm.auto import tqdm

X_small, y_arm = make_spiral(40, 3, noise=0.2, seed=0)
rng = np.random.default_rng(0)
wrong = rng.random(len(y_arm)) < 0.2  # a fifth of the labels name another arm
y_small = np.where(wrong, (y_arm + rng.integers(1, 3, len(y_arm))) % 3, y_arm)
X_fresh, y_fresh = make_spiral(300, 3, noise=0.2, seed=1)
print(f"{wrong.sum()} of {len(y_small)} training labels are wrong")
grid = np.linspace(-1.3, 1.3, 150)
xx, yy = np.meshgrid(grid, grid)
plane = np.column_stack([xx.ravel(), yy.ravel()])

epochs = 150 if QUICK else 1500
hidden_sizes, strengths = (5, 50, 300), (0.0, 1e-3, 1e-2)
colours = ["tab:blue", "tab:orange", "tab:green"]  # one per class: pale region, strong points
fig, axes = plt.subplots(len(hidden_sizes), len(strengths), figsize=(12, 12), sharex=True, sharey=True)
progress = tqdm(total=len(hidden_sizes) * len(strengths), desc="networks trained")
for row, hidden in enumerate(hidden_sizes):
    for column, reg in enumerate(strengths):
        net = FullyConnectedNet(2, [hidden], 3, reg=reg, layers=layers, seed=0)
        Trainer(net, gradient_step, learning_rate=0.3, batch_size=30, epochs=epochs, progress=False).fit(X_small, y_small)
        progress.update()
        ax = axes[row, column]
        ax.contourf(xx, yy, net.predict(plane).reshape(xx.shape), levels=[-0.5, 0.5, 1.5, 2.5], colors=colours, alpha=0.25)
        ax.scatter(X_small[:, 0], X_small[:, 1], c=[colours[label] for label in y_small], s=14, edgecolors="k", linewidths=0.4)
        ax.set_title(f"{hidden} units, reg {reg:g}: "
                     f"{net.accuracy(X_small, y_small):.0%} / {net.accuracy(X_fresh, y_fresh):.0%}", fontsize=10)
progress.close()
fig.tight_layout()
plt.show()
""")
    nb.md(r"""
Without a penalty, the 300-unit network bends its boundary around the mislabelled points (small
islands of one class inside another): it fits about 81 % of the training labels, more than the
80 % that are right, and scores about 93 % on validation. A moderate penalty (0.001) takes the
islands away and lifts it to about 96 %, the best of the grid: the penalty, not the size, is what
stopped it memorizing the noise. Too strong a penalty (0.01) flattens every boundary until it
underfits, about 75 % whatever the size. The 5-unit network follows the arms only coarsely (about
89 % at best), and the 50-unit one, which has less room to memorize, gains little from the penalty
(both near 96 %). Capacity is cheap, regularization is the knob: take a network large enough and
tune the penalty, on validation data, never on the test set. (With `BACKPROPKIT_QUICK=1` the
networks train a tenth as long and these numbers do not apply.)

**Next:** notebook 4 writes faster update rules than `gradient_step` (momentum, RMSProp, Adam) and
learning-rate schedules; once yours pass their checks, try them in the `Trainer` calls above.
""")
    written_questions(nb)
    return nb


# --------------------------------------------------------------------------------------------
# 4_sequential.ipynb
# --------------------------------------------------------------------------------------------


def sequential_notebook() -> Notebook:
    nb = Notebook()
    nb.md(r"""
# Keras-style networks, on your own layers

The lecture notes end their tour of libraries with Keras, where a network is three statements:
*define* a stack of layers, *compile* it with a loss and an optimizer, *fit* it to the data.

`backpropkit.sequential.Sequential` offers the same three statements. Nothing about it is magic: its
`fit` runs exactly the loop you wrote in `2_two_layer_net.ipynb` (forward through each layer keeping
its cache, the loss, backward through each layer in reverse, an update per parameter), and every
layer it calls is **one of your functions**. This notebook

1. builds and trains a network on a synthetic 2-D set,
2. trains the notes' network (a sigmoid hidden layer) on the digits, or on MNIST if you have the files,
3. rebuilds the hand-written network of `2_two_layer_net.ipynb` with `Sequential` and shows that the
   two compute the same numbers, to the last few digits, with a tenth of the code.

Nothing here is graded: it runs on the answers you wrote in the earlier notebooks.
""")
    nb.locked("setup", r"""
import json
import os

import matplotlib.pyplot as plt
import numpy as np

from backpropkit.data import load_digits, make_spiral
from backpropkit.layer_set import LayerSet
from backpropkit.sequential import Dense, ReLU, Sequential, Sigmoid
from backpropkit.notebooks import answers_from
from backpropkit.plots import decision_boundary, history_curves

QUICK = os.environ.get("BACKPROPKIT_QUICK") == "1"  # smaller runs for continuous integration
%matplotlib inline
""")
    nb.md(r"""
## 0. Your layers

The cell below collects the functions you wrote in `1_layers.ipynb` (affine, activations),
`2_two_layer_net.ipynb` (the hand-written network) and `02_linear_classifiers` (the softmax loss and
the L2 penalty). Where a notebook is missing, the library's function stands in, and the table says so.
""")
    nb.locked("load_your_layers", r"""
yours = answers_from("../02_linear_classifiers/1_linear_classifiers.ipynb", "1_layers.ipynb", "2_two_layer_net.ipynb")
layers = LayerSet.from_namespace(yours, fallback=LayerSet.reference())
for role in ("affine_backward", "relu_forward", "relu_backward", "sigmoid_forward", "sigmoid_backward",
             "softmax_loss", "l2_penalty"):
    print(f"{role:<18} {'yours' if getattr(layers, role) is yours.get(role) else 'library'}")
""")
    nb.md(r"""
Keras's `compile` also takes the optimizer. The update rules with memory (momentum, Adam) are
notebook 4's exercises, not written yet, so the models here train with plain gradient descent,
given below in the `(w, dw, state) -> (w, state)` form every rule takes. Once you have written
`adam` in notebook 4, `optimizer=adam` trains with yours.
""")
    nb.locked("gradient_step", r"""
def gradient_step(w, dw, state, *, learning_rate):
    # One step of plain gradient descent against the gradient of this minibatch's loss.
    return w - learning_rate * dw, state
""")
    nb.md(r"""
## 1. Define, compile, fit

Three interleaved spiral arms, one per class: no straight line separates them. In Keras the notes
write `model.add(Dense(units=nh, activation=...))` once per layer; here the activation is a layer
of its own, and the list is passed at once:

| Keras | here |
|---|---|
| `Dense(units=64, activation="relu")` | `Dense(64), ReLU()` |
| last layer `Dense(3, activation="softmax")` + `loss="categorical_crossentropy"` | `Dense(3)` + `compile(loss="softmax")` |
| `Dropout(rate=0.2)` (the fraction dropped) | `Dropout(0.8)` (the fraction **kept**, as in the notes) |
| `model.compile(loss, optimizer)` | `compile(loss, optimizer, lr)`: a loss name or function, an update rule |
| `model.fit(X, y, epochs, batch_size, validation_data)` | the same |

The softmax sits inside the loss rather than in the last layer for the reason of notebook 2: combined
with the cross-entropy, its gradient is simply `probabilities - one_hot(y)` (divided by N), and
the scores never pass through an exponential that could overflow.
""")
    nb.code(r"""
X_spiral, y_spiral = make_spiral(150, 3, noise=0.15, seed=0)
order = np.random.default_rng(0).permutation(len(X_spiral))
train, val = order[:360], order[360:]

model = Sequential([Dense(64), ReLU(), Dense(64), ReLU(), Dense(3)], layers=layers, seed=0)
model.compile(loss="softmax", optimizer=gradient_step, lr=0.3)
history = model.fit(X_spiral[train], y_spiral[train], epochs=30 if QUICK else 100, batch_size=60,
                    validation_data=(X_spiral[val], y_spiral[val]), progress=False)
print(model.summary())
print(f"validation accuracy {history.val_accuracy[-1]:.1%}")
display(decision_boundary(model, X_spiral, y_spiral, title="Sequential on the spiral: predicted class"))
display(history_curves(history, title="Sequential on the spiral"))
""")
    nb.md(r"""
`fit` keeps the parameters of the epoch with the best validation accuracy (Keras's
`restore_best_weights`), so the curves may end a little after the model you are using.

## 2. The notes' network on the digits

The notes define a network with one sigmoid hidden layer of `nh` units and train it for 30 epochs
in minibatches of 100. The same, on the 8×8 digits that ship with scikit-learn. If you have the
MNIST files, point `MNIST_FOLDER` at the folder holding the four official `.gz` files and the
cell trains on MNIST instead (a few minutes: 60 000 images of 784 pixels).
""")
    nb.code(r"""
MNIST_FOLDER = os.environ.get("BACKPROPKIT_MNIST")  # e.g. "~/data/mnist"; None: use the digits

if MNIST_FOLDER:
    from backpropkit.data import load_mnist

    data = load_mnist(os.path.expanduser(MNIST_FOLDER), flatten=True, dtype=np.float64)
else:
    data = load_digits()
nh = 64
net = Sequential([Dense(nh), Sigmoid(), Dense(data.num_classes)], layers=layers, seed=0)
net.compile(loss="softmax", optimizer=gradient_step, lr=1.0)
hist = net.fit(data.X_train, data.y_train, epochs=5 if QUICK else 30, batch_size=100,
               validation_data=(data.X_val, data.y_val), progress=not QUICK)
test_loss, test_accuracy = net.evaluate(data.X_test, data.y_test)
print(f"test accuracy {test_accuracy:.1%} after {hist.epochs} epochs")
display(history_curves(hist, title=f"{nh} sigmoid units, gradient descent"))
""")
    nb.md(r"""
## 3. The same network as `2_two_layer_net.ipynb`, in a tenth of the code

In `2_two_layer_net.ipynb` you derived by hand the backward pass of a network with one sigmoid hidden
layer and $K$ sigmoid outputs, trained on the cost

$$J = -\frac{1}{m}\sum_{i}\sum_{k}\Bigl[y_k \log \hat y_k + (1-y_k)\log(1-\hat y_k)\Bigr]
+ \frac{\lambda}{2m}\bigl(\lVert W_1\rVert^2 + \lVert W_2\rVert^2\bigr).$$

`Sequential` builds the same network from layers: `Dense(H), Sigmoid(), Dense(K)`. Two details
make the costs identical:

* **The loss.** `compile` accepts any function `(scores, y) -> (loss, dscores)`; below is the data
  part of $J$ on the output logits, with the targets one-hot.
* **The penalty.** `Sequential` adds $\frac{r}{2}\sum W^2$; with $r = \lambda / m$ that is the
  penalty of $J$ (on a full batch of $m$ examples).

Then the cost and every gradient of one model must equal the other's, and so must a whole
training run from the same starting point.
""")
    nb.code(r"""
def sigmoid_outputs_cost(logits, y):
    # The data part of J: each of the K outputs answers "is it class k?", scored by cross-entropy.
    m, K = logits.shape
    Y = np.eye(K)[y]
    cost = np.sum(np.logaddexp(0.0, logits) - Y * logits) / m
    return cost, (1.0 / (1.0 + np.exp(-logits)) - Y) / m


HAND_WRITTEN = "two_layer_net_forward" in yours  # False when 2_two_layer_net.ipynb is not beside this notebook
if not HAND_WRITTEN:
    print("2_two_layer_net.ipynb is not next to this notebook, so there is nothing to compare with: skip this section")
else:
    two_layer_net_forward = yours["two_layer_net_forward"]  # given in 2_two_layer_net.ipynb
    two_layer_net_backward = yours["two_layer_net_backward"]  # your answer there

    digits = load_digits()
    X, y = digits.X_train, digits.y_train
    m, D, H, K, lam = X.shape[0], X.shape[1], 30, 10, 1.0
    keras_style = Sequential([Dense(H), Sigmoid(), Dense(K)], layers=layers, seed=0)
    keras_style.compile(loss=sigmoid_outputs_cost, optimizer=gradient_step, lr=2.0, reg=lam / m)
    keras_style.build((D,))
    print("Sequential names the parameters", list(keras_style.params), "(W3: the Dense layer at position 3)")
    params = {"W1": keras_style.params["W1"], "b1": keras_style.params["b1"],
              "W2": keras_style.params["W3"], "b2": keras_style.params["b3"]}  # the same starting point

    J, cache = two_layer_net_forward(X, np.eye(K)[y], **params, reg=lam)
    dW1, db1, dW2, db2 = two_layer_net_backward(1.0, cache)
    loss, grads = keras_style.loss(X, y)
    print(f"cost: by hand {float(J):.15f}, Sequential {loss:.15f}")
    for name, mine, theirs in (("W1", dW1, grads["W1"]), ("b1", db1, grads["b1"]), ("W2", dW2, grads["W3"]), ("b2", db2, grads["b3"])):
        print(f"d{name}: largest difference {np.max(np.abs(mine - theirs)):.1e} (largest element {np.max(np.abs(mine)):.1e})")
""")
    nb.md(r"""
Both compute the same cost and gradients: the differences are rounding, at the sixteenth digit.
Now a training run: full-batch gradient descent with step 2.0, as in `2_two_layer_net.ipynb`, from the
same starting weights. With `batch_size=m` every epoch is one step on the whole set.
""")
    nb.code(r"""
if HAND_WRITTEN:
    steps = 30 if QUICK else 200
    hand_costs = []
    for _ in range(steps):
        cost, cache = two_layer_net_forward(X, np.eye(K)[y], **params, reg=lam)
        grads_by_hand = dict(zip(["W1", "b1", "W2", "b2"], two_layer_net_backward(1.0, cache)))
        params = {name: value - 2.0 * grads_by_hand[name] for name, value in params.items()}
        hand_costs.append(float(cost))

    keras_history = keras_style.fit(X, y, epochs=steps, batch_size=m, progress=False)
    difference = np.max(np.abs(np.array(hand_costs) - np.array(keras_history.step_loss)))
    print(f"largest difference between the two cost curves over {steps} steps: {difference:.1e}")

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(hand_costs, lw=4, alpha=0.4, label="by hand (2_two_layer_net.ipynb)")
    ax.plot(keras_history.step_loss, "k--", label="Sequential")
    ax.set_xlabel("gradient-descent step")
    ax.set_ylabel("J")
    ax.set_yscale("log")
    ax.legend()
    plt.show()

    cells = json.loads(open("2_two_layer_net.ipynb", encoding="utf-8").read())["cells"]
    by_hand = [cell for cell in cells
               if cell["metadata"].get("nbgrader", {}).get("grade_id") in ("two_layer_net_forward", "two_layer_net_backward")]
    by_hand_lines = sum(len("".join(cell["source"]).splitlines()) for cell in by_hand)
    print(f"by hand: {by_hand_lines} lines of forward and backward pass, written for this one architecture")
    print("Sequential: 1 line to define, 1 to compile, 1 to fit, for any stack of layers")
""")
    nb.md(r"""
The curves lie on top of each other. What differs is the amount of code: the hand-written pass
is some thirty lines for this one architecture, `Sequential` three lines for any stack of layers.
The hand-written version was worth writing once: it is how you know what `fit` does. Each new
architecture written by hand, though, means a new backward pass to derive and check; with layers,
a new architecture is a new list, and every derivative in it is one you have already checked.
`06_convnets` builds convolutional networks the same way.
""")
    return nb


def written_questions(nb: Notebook) -> None:
    """The notebook's closing question, graded by hand."""
    nb.md(r"""
## Questions

Answer in the cell under each question, in your own words: a few sentences, formulas welcome.
A TA grades these answers by hand, so the checks above do not score them; their points join your
grade once they are graded.

**Question 1 (3 points).** Section 5 trained the same ReLU network with learning rates 0.1 and
2.0. (a) What is a dead ReLU unit, and why can gradient descent never revive it? (b) How can a
single update with a large learning rate kill a unit that was alive? (c) Give two remedies and say
why a leaky ReLU helps.
""")
    nb.written("dead_relu", 3, r"""
**Model answer.** (a) A unit whose pre-activation $w^\top x + b$ is negative for every example of
the training set outputs 0 everywhere. The ReLU's local gradient is 0 wherever its input is
negative, so no gradient reaches $w$ or $b$: the update is zero, the unit stays negative, and it
stays dead for the rest of training. (b) The update is $-\alpha\,\nabla$. With a large $\alpha$ one
step can move $w$ and $b$ far, for example push the bias to a large negative value or turn $w$
against the data, so that the pre-activation becomes negative on every example. A small step
changes the unit only a little, so it rarely crosses to "negative everywhere" at once. (c) A
smaller learning rate or a warmup that starts small; careful (He) initialization; leaky ReLU (or
maxout, ELU), whose negative side has a small slope $\alpha$, so a unit pushed to the negative side
still gets a gradient of $\alpha$ times the upstream gradient and can recover.

**Rubric (3 points).** 1 point: dead = zero output on every example, and zero local gradient so no
update can change it. 1 point: a large step moves the weights or bias so far that the unit is
negative on all inputs. 1 point: two sensible remedies, including why the leaky slope keeps
gradient flowing.
""")


def main(folder: Path = ASSIGNMENT) -> int:
    """Write this assignment's solution notebooks into ``folder``."""
    write_notebooks(__file__, folder, {
        "1_layers.ipynb": layers_notebook,
        "2_two_layer_net.ipynb": two_layer_net_notebook,
        "3_deep_networks.ipynb": deep_networks_notebook,
        "4_sequential.ipynb": sequential_notebook,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
