"""Build the nbgrader source notebook of assignment 02_linear_classifiers.

    python tools/notebooks/02_linear_classifiers.py

writes solutions/02_linear_classifiers/1_linear_classifiers.ipynb with outputs cleared. The code
between the solution markers is the library's (lib/backpropkit/losses.py and
regularization.py); ``python -m autograder.release.sync_solutions`` keeps it in step.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nbcells import REPOSITORY, Notebook, library_source, write_notebooks

ASSIGNMENT = REPOSITORY / "solutions" / "02_linear_classifiers"
sys.path.insert(0, str(REPOSITORY / "lib"))

from backpropkit import losses, regularization  # noqa: E402  (after the path is set)
from autograder.release.regions import find_regions  # noqa: E402


def region_of(function) -> str:
    """The library's solution region of ``function``, markers included, at four spaces."""
    source = library_source(function)
    (region,) = find_regions(source)
    lines = source.splitlines()[region.begin : region.end + 1]
    return "\n".join(line[len(region.indent) - 4 :] if line.strip() else "" for line in lines)


def exercise(nb: Notebook, function, head: str, tail: str) -> None:
    """An answer cell: ``head`` (signature, docstring, checks), the library's region, ``tail``."""
    nb.answer(function.__name__, head.strip("\n") + "\n" + region_of(function) + "\n" + tail.strip("\n") + "\n")


def graded(nb: Notebook, name: str, points: int, public: str, visible: str, hidden: str) -> None:
    """A public check (0 points) and a graded test cell with a hidden part."""
    nb.test(f"{name}_public", 0, f"from autograder.checks import {public.split('(')[0]}\n\n{public}\n")
    check = visible.split("(")[0]
    nb.test(
        f"{name}_graded",
        points,
        f"from autograder.checks import {check}\n\n{visible}\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS\n",
    )


def build() -> Notebook:
    nb = Notebook()
    nb.md(r"""
# Linear classifiers and their losses

Before any hidden layer, a classifier can be a single matrix product: a score for each class,
$s = xW + b$, and the prediction is the class with the highest score. Training it already
needs everything the rest of the course builds on: a **loss** that says how bad the scores are,
the **gradient** of that loss with respect to the scores, a **penalty** that keeps the weights
small, and **gradient descent** to put them together. In this notebook you write the losses and
penalties (each returns its value and its gradient), then train linear classifiers on 8x8
images of handwritten digits with your own functions.

| function | points |
|---|---|
| `svm_loss_loops`: multiclass hinge loss with explicit loops | 2 |
| `svm_loss`: the same, vectorized | 3 |
| `softmax_loss`: softmax cross-entropy, numerically stable | 3 |
| `binary_cross_entropy_loss`: sigmoid output, two classes | 2 |
| `mse_loss`: mean squared error | 1 |
| `l2_penalty`, `l1_penalty`, `elastic_net_penalty` | 1 each |

Conventions: `scores` has shape `(N, C)` (one row per example), `y` holds integer labels in
`0..C-1`, and each loss returns `(loss, dscores)` where `loss` is the **mean** over the batch and
`dscores` is its gradient (so it already includes the $1/N$).
""")
    nb.locked("setup", r"""
import os
import time

import matplotlib.pyplot as plt
import numpy as np

from backpropkit.backend import check_array, check_labels, device_of, namespace
from backpropkit.data import load_digits

QUICK = os.environ.get("BACKPROPKIT_QUICK") == "1"  # smaller runs for continuous integration
%matplotlib inline
""")
    nb.md(r"""
## 1. The data and the score function

The digits come with scikit-learn: 1797 grayscale images of 8x8 pixels, split here into
training, validation and test sets and normalized with the training set's mean and standard
deviation. Each image is flattened into a row of 64 numbers.
""")
    nb.code(r"""
data = load_digits(seed=0)
X_train, y_train = data.X_train, data.y_train
X_val, y_val = data.X_val, data.y_val
X_test, y_test = data.X_test, data.y_test
print(f"train {X_train.shape}, validation {X_val.shape}, test {X_test.shape}, classes {data.num_classes}")

fig, axes = plt.subplots(1, 10, figsize=(10, 1.4))
for digit, ax in enumerate(axes):
    image = X_train[np.flatnonzero(y_train == digit)[0]].reshape(8, 8)
    ax.imshow(image, cmap="gray_r")
    ax.set_title(str(digit))
    ax.axis("off")
plt.show()
""")
    nb.md(r"""
A linear classifier maps an image $x$ (a row of $D = 64$ numbers) to $C = 10$ class scores,

$$s = f(x; W, b) = x W + b, \qquad W \in \mathbb{R}^{D \times C},\ b \in \mathbb{R}^{C},$$

and for a batch $X$ of $N$ rows, $S = XW + b$ has shape $(N, C)$. Three ways to read it:

* **algebraic**: each score is a weighted sum of the pixels plus a bias;
* **templates**: column $c$ of $W$ is an image-shaped template, and the score of class $c$ is
  how well $x$ matches it (a dot product). You will see the learned templates at the end;
* **geometric**: each class score is a linear function of $x$, so the boundary between two
  classes is a hyperplane in the 64-dimensional pixel space.

## 2. The multiclass SVM (hinge) loss

The SVM loss wants the correct class's score to beat every other score by a margin
$\Delta = 1$. For example $i$ with correct class $y_i$ and scores $s$,

$$L_i = \sum_{j \neq y_i} \max\big(0,\ s_j - s_{y_i} + \Delta\big), \qquad L = \frac{1}{N}\sum_i L_i .$$

A class $j$ contributes only when it *violates* the margin. Its gradient is then simple: each
violating $j$ adds $+1$ to $\partial L_i / \partial s_j$ and $-1$ to
$\partial L_i / \partial s_{y_i}$ (then divide by $N$ for the mean).

The lecture's example has three images (a cat, a car, a frog) and classes cat/car/frog:

| image (true class) | cat score | car score | frog score | $L_i$ |
|---|---|---|---|---|
| 1 (cat) | **3.2** | 5.1 | -1.7 | $\max(0, 5.1 - 3.2 + 1) + \max(0, -1.7 - 3.2 + 1) = 2.9$ |
| 2 (car) | 1.3 | **4.9** | 2.0 | $0 + 0 = 0$ |
| 3 (frog) | 2.2 | 2.5 | **-3.1** | $6.3 + 6.6 = 12.9$ |

so $L = (2.9 + 0 + 12.9) / 3 \approx 5.27$. The public check runs exactly this example.

**Exercise.** Write `svm_loss_loops` with explicit loops over examples and classes: the
clearest way to get the gradient right first.
""")
    exercise(nb, losses.svm_loss_loops, '''
def svm_loss_loops(scores, y, margin=1.0):
    """Multiclass hinge (SVM) loss with explicit loops.

    Shapes: scores (N, C) float, y (N,) integer labels -> loss (a number), dscores (N, C).
    The loss is the mean over the batch of sum over j != y[i] of max(0, s[j] - s[y[i]] + margin).
    """
    check_array(scores, "scores", ndim=2)
    check_labels(y, "y", *scores.shape)
    xp = namespace(scores, y)
    num_examples, num_classes = scores.shape
''', "    return loss, dscores")
    graded(
        nb, "svm_loss_loops", 2,
        "check_svm_lecture_example(svm_loss_loops)",
        "check_svm_loss(svm_loss_loops, 5, 4, seed=1)",
        "check_svm_loss(svm_loss_loops, 7, 3, seed=11)\ncheck_svm_loss(svm_loss_loops, 1, 6, seed=12)",
    )
    nb.md(r"""
## 3. The same loss without loops

Loops over examples run at Python speed. The vectorized version computes all margins at once:
the correct scores $s_{i, y_i}$ as a column (select them with a one-hot mask or fancy
indexing), the margin matrix $\max(0, S - s_{y} + \Delta)$ with the correct-class entries set
to 0, then the gradient: a 1 wherever a margin is violated, and in the correct-class column
minus the number of violations of that row.

**Exercise.** Write `svm_loss` without Python loops. It must give the same numbers as your loop
version.
""")
    exercise(nb, losses.svm_loss, '''
def svm_loss(scores, y, margin=1.0):
    """Multiclass hinge (SVM) loss, vectorized: the same numbers as svm_loss_loops.

    Shapes: scores (N, C) float, y (N,) integer labels -> loss (a number), dscores (N, C).
    """
    check_array(scores, "scores", ndim=2)
    check_labels(y, "y", *scores.shape)
    xp = namespace(scores, y)
    num_examples, num_classes = scores.shape
    classes = xp.arange(num_classes, device=device_of(scores))
''', "    return loss, dscores")
    graded(
        nb, "svm_loss", 3,
        "check_svm_lecture_example(svm_loss)",
        "check_svm_loss(svm_loss, 6, 4, seed=2)",
        "check_svm_loss(svm_loss, 9, 5, seed=21)\ncheck_svm_loss(svm_loss, 2, 10, seed=22)",
    )
    nb.md("How much faster is the vectorized version? Both run on the same 1000 x 10 scores:")
    nb.code(r"""
rng = np.random.default_rng(0)
scores = rng.standard_normal((1000, 10))
labels = rng.integers(0, 10, 1000)
start = time.perf_counter()
loss_loops, dscores_loops = svm_loss_loops(scores, labels)
loops_seconds = time.perf_counter() - start
start = time.perf_counter()
loss_vectorized, dscores_vectorized = svm_loss(scores, labels)
vectorized_seconds = time.perf_counter() - start
print(f"same loss: {np.isclose(loss_loops, loss_vectorized)}, same gradient: {np.allclose(dscores_loops, dscores_vectorized)}")
print(f"vectorized is {loops_seconds / vectorized_seconds:.0f}x faster")
""")
    nb.md(r"""
## 4. Softmax cross-entropy

The softmax classifier reads the scores as unnormalized log-probabilities:

$$p_{ij} = \frac{e^{s_{ij}}}{\sum_k e^{s_{ik}}}, \qquad L_i = -\log p_{i, y_i}, \qquad L = \frac{1}{N}\sum_i L_i .$$

Its gradient is remarkably tidy: with $Y$ the one-hot matrix of the labels,

$$\frac{\partial L}{\partial S} = \frac{1}{N}\,(P - Y).$$

The probabilities pull every score down in proportion to how much they believe in it, and the
correct class gets pulled up by 1.

**Numerical stability.** $e^{1000}$ overflows float64 (the largest is about $1.8 \times 10^{308}$).
Shifting each row by its maximum, $s_{ij} - \max_k s_{ik}$, changes no probability (the common
factor $e^{-\max}$ cancels in the fraction) and makes every exponent $\le 0$. Work with
log-probabilities, $\log p_{ij} = (s_{ij} - m_i) - \log \sum_k e^{s_{ik} - m_i}$, so that the
log of a probability that underflows to 0 never appears.
""")
    nb.code(r"""
big = np.array([[1000.0, 999.0, 990.0]])
with np.errstate(over="ignore", invalid="ignore"):  # silenced: this cell shows what goes wrong
    naive = np.exp(big) / np.exp(big).sum()
shifted = np.exp(big - big.max()) / np.exp(big - big.max()).sum()
print("naive:  ", naive)
print("shifted:", shifted)
""")
    nb.md("**Exercise.** Write `softmax_loss`, stable for scores of any size.")
    exercise(nb, losses.softmax_loss, '''
def softmax_loss(scores, y):
    """Softmax cross-entropy: the mean over the batch of -log p[i, y[i]], p = softmax(scores).

    Shapes: scores (N, C) float, y (N,) integer labels -> loss (a number), dscores (N, C)
    equal to (p - onehot(y)) / N.
    """
    check_array(scores, "scores", ndim=2)
    check_labels(y, "y", *scores.shape)
    xp = namespace(scores, y)
    num_examples, num_classes = scores.shape
    classes = xp.arange(num_classes, device=device_of(scores))
''', "    return loss, dscores")
    graded(
        nb, "softmax_loss", 3,
        "check_softmax_loss(softmax_loss, 4, 3, seed=0)",
        "check_softmax_loss(softmax_loss, 5, 4, seed=3)",
        "check_softmax_loss(softmax_loss, 8, 10, seed=31)\ncheck_softmax_loss(softmax_loss, 1, 2, seed=32)",
    )
    nb.md(r"""
## 5. Two classes: binary cross-entropy

With two classes a single score (a *logit*) $z$ suffices: $p = \sigma(z) = 1 / (1 + e^{-z})$ is
the probability of class 1, and with $y \in \{0, 1\}$

$$L = \frac{1}{N}\sum_i -\big[y_i \log p_i + (1 - y_i)\log(1 - p_i)\big], \qquad \frac{\partial L}{\partial z_i} = \frac{\sigma(z_i) - y_i}{N}.$$

Computed literally, $\log \sigma(z)$ hits $\log 0$ for $z \approx -800$ and $e^{-z}$ overflows.
Rewrite the loss of one element as $\max(z, 0) - z y + \log(1 + e^{-|z|})$: the exponent is
never positive, and `log1p` keeps the digits of small arguments. Evaluate $\sigma$ in a form
that never exponentiates a large positive number, too.

**Exercise.** Write `binary_cross_entropy_loss` (mean over all elements), stable for any logits.
""")
    exercise(nb, losses.binary_cross_entropy_loss, '''
def binary_cross_entropy_loss(logits, y):
    """Binary cross-entropy of a sigmoid output, averaged over all elements.

    Shapes: logits any shape (e.g. (N,)) float, y the same shape holding 0s and 1s
    -> loss (a number), dlogits like logits, equal to (sigmoid(logits) - y) / size.
    """
    check_array(logits, "logits")
    xp = namespace(logits, y)
    y = xp.astype(y, logits.dtype)
    size = logits.size
''', "    return loss, dlogits")
    graded(
        nb, "binary_cross_entropy_loss", 2,
        "check_binary_cross_entropy_loss(binary_cross_entropy_loss, 6, seed=0)",
        "check_binary_cross_entropy_loss(binary_cross_entropy_loss, 8, seed=4)",
        "check_binary_cross_entropy_loss(binary_cross_entropy_loss, 15, seed=41)",
    )
    nb.md(r"""
## 6. Regression: mean squared error

When the target is a number rather than a class, the usual loss is the mean of the squared
errors over all elements: $L = \frac{1}{M}\sum_k (\hat y_k - y_k)^2$ for $M$ elements, with
gradient $\partial L / \partial \hat y_k = 2(\hat y_k - y_k) / M$.

**Exercise.** Write `mse_loss`.
""")
    exercise(nb, losses.mse_loss, '''
def mse_loss(pred, target):
    """Mean squared error: the mean over all elements of (pred - target)**2.

    Shapes: pred and target the same (any) shape -> loss (a number), dpred like pred.
    """
    check_array(pred, "pred")
    check_array(target, "target")
    if pred.shape != target.shape:
        raise ValueError(f"pred has shape {pred.shape} but target has shape {target.shape}; they must match")
    xp = namespace(pred, target)
    size = pred.size
''', "    return loss, dpred")
    graded(
        nb, "mse_loss", 1,
        "check_mse_loss(mse_loss, (4,), seed=0)",
        "check_mse_loss(mse_loss, (6, 3), seed=5)",
        "check_mse_loss(mse_loss, (2, 3, 4), seed=51)",
    )
    nb.md(r"""
## 7. Regularization

A loss measured on the training data alone has many minimizers: if $W$ classifies every
training example with margin, so does $2W$, with an even smaller loss. A **penalty** on the
weights picks the simplest among them and makes the classifier rely on many pixels a little
rather than on a few a lot, which generalizes better. The full objective is
$\;L(W) = \frac{1}{N}\sum_i L_i + R(W)$, and the biases are not penalized (they only shift the
scores).

* **L2**: $R(W) = \tfrac{\lambda}{2}\sum W^2$, gradient $\lambda W$ (the $\tfrac12$ is there so
  that no factor 2 appears);
* **L1**: $R(W) = \lambda \sum |W|$, gradient $\lambda\,\mathrm{sign}(W)$: a constant pull toward
  0 that drives small weights to exactly 0 (sparse weights). At $W = 0$, $|W|$ has a kink and no
  derivative; use the subgradient $\mathrm{sign}(0) = 0$, which `np.sign` gives. Weights that are
  exactly 0 do occur (L1 puts them there), and the checks include some: `w / np.abs(w)` divides
  0 by 0 there and returns NaN;
* **elastic net**: a mix, $\alpha\,\text{L1} + (1 - \alpha)\,\text{L2}$ with $\alpha$ = `l1_ratio`
  (scikit-learn's convention; the same subgradient 0 at $W = 0$). The lecture notes write it as
  $R(W) = \sum \beta W^2 + |W|$; the two describe the same family. Expanding ours gives
  $\lambda\alpha \sum |W| + \tfrac{\lambda(1-\alpha)}{2}\sum W^2
  = \lambda\alpha\bigl(\sum |W| + \beta \sum W^2\bigr)$ with $\beta = \frac{1-\alpha}{2\alpha}$:
  the notes' $\beta$ is the weight of L2 relative to L1, and $\lambda\alpha$ the overall strength.
  For example `l1_ratio` 0.5 is $\beta = 0.5$.

**Exercise.** Write the three penalties; each returns `(value, dw)`. The elastic net can call
your other two.
""")
    exercise(nb, regularization.l2_penalty, '''
def l2_penalty(w, reg):
    """L2 penalty 0.5 * reg * sum(w**2) and its gradient reg * w.

    Shapes: w any shape -> value (a number), dw like w.
    """
    check_array(w, "w")
    xp = namespace(w)
''', "    return value, dw")
    graded(nb, "l2_penalty", 1, "check_l2_penalty(l2_penalty, (3,), 0.5, seed=0)",
           "check_l2_penalty(l2_penalty, (4, 3), 0.1, seed=6)", "check_l2_penalty(l2_penalty, (5, 2), 2.5, seed=61)")
    exercise(nb, regularization.l1_penalty, '''
def l1_penalty(w, reg):
    """L1 penalty reg * sum(|w|) and its (sub)gradient reg * sign(w), 0 where w is exactly 0.

    Shapes: w any shape -> value (a number), dw like w.
    """
    check_array(w, "w")
    xp = namespace(w)
''', "    return value, dw")
    graded(nb, "l1_penalty", 1, "check_l1_penalty(l1_penalty, (3,), 0.5, seed=0)",
           "check_l1_penalty(l1_penalty, (4, 3), 0.1, seed=7)", "check_l1_penalty(l1_penalty, (5, 2), 2.5, seed=71)")
    exercise(nb, regularization.elastic_net_penalty, '''
def elastic_net_penalty(w, reg, l1_ratio):
    """Elastic net: l1_ratio * L1 + (1 - l1_ratio) * L2, both of strength reg.

    Shapes: w any shape -> value (a number), dw like w.
    """
    check_array(w, "w")
    if not 0 <= l1_ratio <= 1:
        raise ValueError(f"l1_ratio must lie in [0, 1], got {l1_ratio!r}")
''', "    return value, dw")
    graded(nb, "elastic_net_penalty", 1, "check_elastic_net_penalty(elastic_net_penalty, (3,), 0.5, 0.5, seed=0)",
           "check_elastic_net_penalty(elastic_net_penalty, (4, 3), 0.1, 0.3, seed=8)",
           "check_elastic_net_penalty(elastic_net_penalty, (5, 2), 1.5, 0.8, seed=81)")
    nb.md("The penalties of a single weight $w$ with $\\lambda = 1$, and their gradients:")
    nb.code(r"""
w = np.linspace(-2, 2, 401)
fig, (values, slopes) = plt.subplots(1, 2, figsize=(10, 3.5))
for name, penalty in (("L2", lambda v: l2_penalty(v, 1.0)), ("L1", lambda v: l1_penalty(v, 1.0)),
                      ("elastic net, l1_ratio 0.5", lambda v: elastic_net_penalty(v, 1.0, 0.5))):
    per_weight = [penalty(np.array([v])) for v in w]
    values.plot(w, [float(value) for value, _ in per_weight], label=name)
    slopes.plot(w, [float(dw[0]) for _, dw in per_weight], label=name)
values.set_title("penalty R(w)")
slopes.set_title("gradient dR/dw")
for ax in (values, slopes):
    ax.set_xlabel("w")
    ax.legend()
plt.show()
""")
    nb.md(r"""
Near 0 the L2 gradient vanishes (a small weight is barely pushed), while the L1 gradient stays at
$\pm\lambda$ all the way in: that constant push is what makes L1 weights exactly zero.

## 8. Hinge and logistic losses are close cousins

With two classes written as $y \in \{-1, +1\}$ and a linear score $\langle x, \beta\rangle$, both
losses depend only on the *margin* $m = y\,\langle x, \beta\rangle$ (positive when the example is
on the right side): the hinge loss is $\max(0, 1 - m)$ and the logistic loss (binary
cross-entropy) is $\log(1 + e^{-m})$.
""")
    nb.code(r"""
margin = np.linspace(-3, 4, 300)
hinge = np.maximum(0, 1 - margin)
logistic = np.log1p(np.exp(-margin))
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot(margin, hinge, label="hinge: max(0, 1 - m)")
ax.plot(margin, logistic, label="logistic: log(1 + exp(-m))")
ax.plot(margin, logistic / np.log(2), "--", label="logistic / log 2 (equal at m = 0)")
ax.plot(margin, (margin < 0).astype(float), ":", color="gray", label="0-1 loss: misclassified")
ax.set_xlabel("margin m = y <x, beta>")
ax.set_ylabel("loss")
ax.legend()
plt.show()
""")
    nb.md(r"""
Both are convex upper bounds on the 0-1 loss (which counts mistakes but has no useful
gradient), both grow linearly for badly misclassified examples, and both fade out for well
classified ones: the hinge exactly at $m \ge 1$, the logistic smoothly. So the soft-margin SVM
($\frac{1}{N}\sum \max(0, 1 - m_i) + \lambda\lVert\beta\rVert^2$) and L2-regularized logistic
regression minimize nearly the same objective and usually find similar boundaries. The
practical difference: logistic outputs are probabilities, and every example keeps a (small)
gradient.

## 9. Random search versus following the slope

How do we find a good $W$? The strawman: try random matrices and keep the best. The cell below
gives random search the same budget of loss evaluations as gradient descent, both with your
`softmax_loss`. Gradient descent uses the gradient of the loss with respect to $W$, which the
chain rule gives from `dscores`: $\partial L / \partial W = X^\top\,\texttt{dscores}$ and
$\partial L / \partial b = \sum_i \texttt{dscores}_i$.
""")
    nb.code(r"""
def accuracy(W, b, X, y):
    return float(np.mean(np.argmax(X @ W + b, axis=1) == y))


budget = 30 if QUICK else 150
rng = np.random.default_rng(0)
num_features, num_classes = X_train.shape[1], data.num_classes

best_loss, random_search = np.inf, []
for trial in range(budget):
    W_try = 0.05 * rng.standard_normal((num_features, num_classes))
    loss, _ = softmax_loss(X_train @ W_try, y_train)
    if loss < best_loss:
        best_loss, W_random = float(loss), W_try
    random_search.append(best_loss)

W, b = np.zeros((num_features, num_classes)), np.zeros(num_classes)
descent = []
for step in range(budget):
    loss, dscores = softmax_loss(X_train @ W + b, y_train)
    W -= 0.5 * X_train.T @ dscores
    b -= 0.5 * dscores.sum(axis=0)
    descent.append(float(loss))

fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot(random_search, label=f"random search (best so far): val accuracy {accuracy(W_random, 0, X_val, y_val):.0%}")
ax.plot(descent, label=f"gradient descent: val accuracy {accuracy(W, b, X_val, y_val):.0%}")
ax.set_xlabel("loss evaluations")
ax.set_ylabel("training loss")
ax.legend()
plt.show()
""")
    nb.md(r"""
Random search improves ever more slowly: in 640 dimensions almost every random direction is a
bad one. The gradient points to the steepest descent at every step, so each evaluation buys a
real improvement.

## 10. Minibatch SGD on the digits

Computing the loss over the whole training set for every step is wasteful when the data set is
large: the gradient of a random **minibatch** of, say, 64 examples is a noisy but unbiased
estimate of the full gradient, at a fraction of the cost. One pass over the shuffled training set
is an **epoch**. The function below trains a linear classifier with any of your losses plus your
L2 penalty on $W$ (not on $b$).
""")
    nb.code(r"""
def train_linear_classifier(loss_function, learning_rate, reg, epochs, batch_size=64, seed=0):
    # Minibatch SGD on the training set; returns W, b and the history of losses and accuracies.
    rng = np.random.default_rng(seed)
    W = 0.01 * rng.standard_normal((num_features, num_classes))
    b = np.zeros(num_classes)
    history = {"loss": [], "train": [], "val": []}
    for epoch in range(epochs):
        order = rng.permutation(len(X_train))
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            data_loss, dscores = loss_function(X_train[batch] @ W + b, y_train[batch])
            penalty, dW_penalty = l2_penalty(W, reg)
            W = W - learning_rate * (X_train[batch].T @ dscores + dW_penalty)
            b = b - learning_rate * dscores.sum(axis=0)
            history["loss"].append(float(data_loss + penalty))
        history["train"].append(accuracy(W, b, X_train, y_train))
        history["val"].append(accuracy(W, b, X_val, y_val))
    return W, b, history


epochs = 5 if QUICK else 30
W_softmax, b_softmax, history = train_linear_classifier(softmax_loss, learning_rate=0.1, reg=1e-3, epochs=epochs)
W_svm, b_svm, svm_history = train_linear_classifier(svm_loss, learning_rate=0.02, reg=1e-3, epochs=epochs)
print(f"softmax: validation accuracy {history['val'][-1]:.1%}; SVM: {svm_history['val'][-1]:.1%}")

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
left.plot(history["loss"], lw=0.7)
left.set_xlabel("minibatch step")
left.set_ylabel("loss + penalty")
left.set_title("Softmax classifier: noisy minibatch losses")
right.plot(history["train"], label="train")
right.plot(history["val"], label="validation")
right.set_xlabel("epoch")
right.set_ylabel("accuracy")
right.legend()
plt.show()
""")
    nb.md(r"""
## 11. The learned templates

Each column of $W$ has one weight per pixel, so it can be shown as an 8x8 image: the template
that class's score matches the input against (the cell trains a fresh softmax classifier, so it
runs on its own). Warm colours are pixels whose ink raises the
score, cold ones lower it.
""")
    nb.code(r"""
W_templates, _, _ = train_linear_classifier(softmax_loss, learning_rate=0.1, reg=1e-3, epochs=epochs)
fig, axes = plt.subplots(1, 10, figsize=(12, 1.6))
limit = np.abs(W_templates).max()
for digit, ax in enumerate(axes):
    ax.imshow(W_templates[:, digit].reshape(8, 8), cmap="coolwarm", vmin=-limit, vmax=limit)
    ax.set_title(str(digit))
    ax.axis("off")
plt.show()
""")
    nb.md(r"""
## 12. Choosing hyperparameters on the validation set

The learning rate and the regularization strength are not learned by gradient descent: we pick
them by training with several values and comparing on the **validation** set. The test set is
touched once, at the very end, to report how well the chosen model does on data that influenced
no decision; tuning on it would make that number optimistic.
""")
    nb.code(r"""
learning_rates = [0.03, 0.3] if QUICK else [0.01, 0.03, 0.1, 0.3]
strengths = [1e-4, 1e-1] if QUICK else [1e-4, 1e-3, 1e-2, 1e-1]
search_epochs = 3 if QUICK else 15
results = {}
for learning_rate in learning_rates:
    for reg in strengths:
        W_candidate, b_candidate, run = train_linear_classifier(softmax_loss, learning_rate, reg, search_epochs)
        results[(learning_rate, reg)] = (run["val"][-1], W_candidate, b_candidate)
        print(f"learning rate {learning_rate:<5} reg {reg:<7g} validation accuracy {run['val'][-1]:.1%}")

(best_rate, best_reg), (best_val, W_best, b_best) = max(results.items(), key=lambda item: item[1][0])
print(f"\nbest: learning rate {best_rate}, reg {best_reg:g} (validation {best_val:.1%})")
print(f"test accuracy of that model, measured once: {accuracy(W_best, b_best, X_test, y_test):.1%}")
""")
    nb.md(r"""
A linear classifier gets roughly 95% of these digits right. The remaining errors need features
no single template can express; the next assignment stacks layers to learn them.
""")
    written_questions(nb)
    return nb


def written_questions(nb: Notebook) -> None:
    """The notebook's closing question, graded by hand."""
    nb.md(r"""
## Questions

Answer in the cell under each question, in your own words: a few sentences, formulas welcome.
A TA grades these answers by hand, so the checks above do not score them; their points join your
grade once they are graded.

**Question 1 (2 points).** For one example $x_i$ with correct class $y_i$, the gradient of the
SVM loss $L_i$ with respect to the correct class's weights $w_{y_i}$ is $-c\,x_i$ for a whole
number $c$. (a) What is $c$, and why does the gradient *count* something? (b) What is the gradient
of $L_i$ for an example whose correct score already beats every other score by the margin, and
how does that differ from the softmax loss?
""")
    nb.written("svm_gradient_counts_margins", 2, r"""
**Model answer.** (a) $c$ is the number of classes $j \neq y_i$ that violate the margin,
$s_j - s_{y_i} + \Delta > 0$. Each violating term $\max(0, s_j - s_{y_i} + \Delta)$ is linear in
the scores where it is positive, with derivative $-1$ with respect to $s_{y_i}$ (and $+1$ with
respect to $s_j$); the terms that do not violate contribute 0. Since $s_{y_i} = w_{y_i}^\top x_i$,
each violation adds $-x_i$ to the gradient of $w_{y_i}$, so the gradient counts the violations
(and $+x_i$ goes to each violating $w_j$). (b) Zero: once every margin is met the hinge is flat,
and the example no longer moves the weights. Softmax gives every example a nonzero gradient,
$p - \text{one-hot}$, because its probabilities never reach exactly 0 or 1: it keeps pushing the
correct score up, while the SVM is satisfied at the margin.

**Rubric (2 points).** 1 point: $c$ = the number of margin-violating classes, with the reason
(each active hinge term contributes $-x_i$). 1 point: zero gradient for an example that meets
every margin, contrasted with softmax, whose gradient is never zero.
""")


def main(folder: Path = ASSIGNMENT) -> int:
    """Write this assignment's solution notebooks into ``folder``."""
    write_notebooks(__file__, folder, {
        "1_linear_classifiers.ipynb": build,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
