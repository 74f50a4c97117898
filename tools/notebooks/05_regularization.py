"""Build the nbgrader source notebooks of assignment 05_regularization.

    python tools/notebooks/05_regularization.py

writes solutions/05_regularization/1_dropout.ipynb and 2_batchnorm.ipynb with outputs cleared.
The code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is the library's solution
region; ``python -m autograder.release.sync_solutions`` keeps it identical to the library.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nbcells import REPOSITORY, Notebook, library_source, write_notebooks

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
from numbers import Real

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
from autograder.checks import check_dropout_backward, check_dropout_forward

check_dropout_forward(dropout_forward, shape=(50, 40), keep_prob=0.5, seed=0)
check_dropout_backward(dropout_forward, dropout_backward, shape=(20, 30), keep_prob=0.5, seed=0)
""")
    nb.test("dropout_forward_hidden", 2, r"""
from autograder.checks import check_dropout_forward

### BEGIN HIDDEN TESTS
check_dropout_forward(dropout_forward, shape=(64, 3, 8, 8), keep_prob=0.8, seed=21)
check_dropout_forward(dropout_forward, shape=(300, 20), keep_prob=0.25, seed=22)
check_dropout_forward(dropout_forward, shape=(10, 10), keep_prob=1.0, seed=23)
### END HIDDEN TESTS
""")
    nb.test("dropout_backward_hidden", 2, r"""
from autograder.checks import check_dropout_backward

### BEGIN HIDDEN TESTS
check_dropout_backward(dropout_forward, dropout_backward, shape=(6, 5, 4), keep_prob=0.7, seed=24)
check_dropout_backward(dropout_forward, dropout_backward, shape=(40, 9), keep_prob=0.3, seed=25)
### END HIDDEN TESTS
""")
    nb.md(r"""
    ### What a layer sees through dropout

    One digit, as the first layer of a network would see it on five different minibatches with
    `keep_prob=0.5`, and at test time. The kept pixels are doubled, so the total brightness stays
    about the same on average.
    """)
    nb.code(r"""
from backpropkit.data import load_digits

digits = load_digits(flatten=False, seed=0)
image = digits.X_train[0, 0] - digits.X_train[0, 0].min()  # shift so that dropped pixels (0) are the darkest

fig, axes = plt.subplots(1, 6, figsize=(11, 2.3))
for seed, ax in enumerate(axes[:5]):
    seen, _ = dropout_forward(image, 0.5, rng=seed)
    ax.imshow(seen, cmap="gray", vmin=0, vmax=2 * image.max())
    ax.set_title(f"minibatch {seed + 1}")
test_view, _ = dropout_forward(image, 0.5, train=False)
axes[5].imshow(test_view, cmap="gray", vmin=0, vmax=2 * image.max())
axes[5].set_title("test time")
for ax in axes:
    ax.set_xticks([]); ax.set_yticks([])
plt.show()
""")
    nb.md(r"""
    ### Inverted scaling and halved weights give the same expected input

    Below, a layer with weights $W$ follows dropout with $p = \tfrac12$. Averaged over many masks,
    inverted dropout feeds the next layer $Wx$, the input it gets at test time unchanged. The
    original recipe feeds it $pWx$ during training, which is what $(pW)x$, the halved weights,
    give at test time.
    """)
    nb.code(r"""
rng = np.random.default_rng(0)
x = rng.standard_normal(6)
W = rng.standard_normal((3, 6))
keep_prob, draws = 0.5, 20000
inverted = np.mean([W @ dropout_forward(x, keep_prob, rng=seed)[0] for seed in range(draws)], axis=0)
original = np.mean([W @ (x * (rng.uniform(size=6) < keep_prob)) for _ in range(draws)], axis=0)
print("inverted dropout, mean over masks:", np.round(inverted, 2), "  test time W x:      ", np.round(W @ x, 2))
print("original recipe, mean over masks: ", np.round(original, 2), "  test time (p W) x:  ", np.round(keep_prob * W @ x, 2))
""")
    nb.md(r"""
    ## 3. A network built from your functions

    The experiments below train fully connected networks whose every piece is code you wrote: the
    affine and ReLU layers of `03_backprop/1_layers.ipynb`, the softmax loss of
    `02_linear_classifiers/1_linear_classifiers.ipynb`, SGD with momentum from
    `04_optimization/1_update_rules.ipynb`, and the dropout and weight decay above. The next cell
    collects your answers from those notebooks (it runs their import cell and their answer cells,
    nothing else). A function it cannot find comes from the library instead; the table says which
    is which. Functions you have not written yet raise `NotImplementedError` naming the notebook
    that asks for them.
    """)
    nb.locked("your_network", r"""
from backpropkit.layer_set import LayerSet
from backpropkit.networks import FullyConnectedNet
from backpropkit.notebooks import answers_from
from backpropkit.optim import sgd_momentum
from backpropkit.trainer import Trainer

yours = answers_from("../02_linear_classifiers/1_linear_classifiers.ipynb", "../03_backprop/1_layers.ipynb",
                     "../04_optimization/1_update_rules.ipynb")
yours.update(dropout_forward=dropout_forward, dropout_backward=dropout_backward)
layers = LayerSet.from_namespace(yours, fallback=LayerSet.reference())
update_rule = yours.get("sgd_momentum", sgd_momentum)

for role in ["affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss", "dropout_forward", "dropout_backward"]:
    print(f"{role:<18} {'yours' if getattr(layers, role) is yours.get(role) else 'library'}")
print(f"{'sgd_momentum':<18} {'yours' if update_rule is yours.get('sgd_momentum') else 'library'}")
""")
    nb.md(r"""
    Weight decay enters through the update rule: `with_weight_decay` wraps any rule so that it sees
    `weight_decay(w, dw, reg)` instead of `dw`, for the weight matrices only (biases are the
    one-dimensional parameters, and they are left alone).
    """)
    nb.code(r"""
def with_weight_decay(rule, reg):
    def decayed_rule(w, dw, state, **hyperparameters):
        if w.ndim > 1:
            dw = weight_decay(w, dw, reg)
        return rule(w, dw, state, **hyperparameters)

    return decayed_rule
""")
    nb.md(r"""
    ## 4. Overfitting a small training set, and recovering

    Overfitting is easiest to *see* in two dimensions. Below, 80 training points of two noisy
    interleaved half-moons: the noise puts some points deep inside the other class's region, and no
    sensible boundary should chase them. A network with two hidden layers of 200 units (over 40,000
    weights for 80 points) is free to chase them all. A separate validation set of 1,000 points from
    the same distribution measures how well each network generalizes.

    Four versions are trained from the same initial weights: plain, with weight decay, with dropout
    (`keep_prob=0.5` after each hidden layer), and with both. The loop calls `fit` for one epoch at
    a time and measures the validation set itself, so that every network keeps its *last*
    weights (section 5 comes back to that choice).
    """)
    nb.code(r"""
from backpropkit.data import make_moons

X_train, y_train = make_moons(80, noise=0.35, seed=0)
X_val, y_val = make_moons(1000, noise=0.35, seed=1)
grid_x, grid_y = np.meshgrid(np.linspace(-1.8, 2.8, 200), np.linspace(-1.5, 2.0, 200))
grid = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)  # the plane, for drawing decision boundaries
epochs = 100 if QUICK else 400
""")
    nb.code(r"""
from tqdm.auto import tqdm

settings = {"plain": (1.0, 0.0), "weight decay": (1.0, 0.003), "dropout": (0.5, 0.0), "both": (0.5, 0.001)}
runs = {}
progress = tqdm(total=len(settings) * epochs, desc="training four networks", unit="epoch")
for name, (keep_prob, reg) in settings.items():
    model = FullyConnectedNet(2, [200, 200], 2, keep_prob=keep_prob, seed=0, layers=layers)
    rule = with_weight_decay(update_rule, reg) if reg else update_rule
    trainer = Trainer(model, rule, learning_rate=0.02, hyperparameters={"momentum": 0.9}, batch_size=20, epochs=1, seed=0, progress=False)
    curves = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    for epoch in range(epochs):
        trainer.fit(X_train, y_train)
        curves["train_loss"].append(model.evaluate(X_train, y_train)[0])
        val_loss, val_accuracy = model.evaluate(X_val, y_val)
        curves["val_loss"].append(val_loss)
        curves["val_accuracy"].append(val_accuracy)
        progress.update()
    runs[name] = (model, curves)
    best = int(np.argmax(curves["val_accuracy"]))
    print(f"{name:<13} training accuracy {model.accuracy(X_train, y_train):.3f}   validation accuracy: last {curves['val_accuracy'][-1]:.3f}, "
          f"best {curves['val_accuracy'][best]:.3f} (epoch {best + 1})")
progress.close()

fig, axes = plt.subplots(1, 4, figsize=(16, 3.8), sharey=True)
for ax, (name, (model, curves)) in zip(axes, runs.items()):
    probability = model.probabilities(grid)[:, 1].reshape(grid_x.shape)
    ax.contourf(grid_x, grid_y, probability, levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.7)
    ax.contour(grid_x, grid_y, probability, levels=[0.5], colors="k", linewidths=1)
    ax.scatter(X_train[:, 0], X_train[:, 1], c=y_train, cmap="RdBu", edgecolors="k", s=25)
    ax.set_title(f"{name}: validation {curves['val_accuracy'][-1]:.1%}")
fig.suptitle("After the last epoch: predicted probability of the blue class, boundary in black", y=1.03)
plt.show()

fig, ax = plt.subplots(figsize=(7, 3.8))
for name, (model, curves) in runs.items():
    line, = ax.plot(curves["val_loss"], label=f"{name}")
    ax.plot(curves["train_loss"], ":", color=line.get_color())
ax.set_yscale("log")
ax.set_xlabel("epoch"); ax.set_ylabel("loss")
ax.set_title("Validation loss (solid) and training loss (dotted)")
ax.legend()
plt.show()

fig, ax = plt.subplots(figsize=(5, 3))
for name in ["plain", "weight decay"]:
    ax.hist(np.ravel(runs[name][0].params["W2"]), bins=80, histtype="step", label=name)
ax.set_yscale("log")
ax.set_xlabel("weight value in W2"); ax.set_ylabel("count"); ax.legend()
ax.set_title("Second-layer weights after training")
plt.show()
""")
    nb.md(r"""
    The plain network bends its boundary around the noisy points to classify its training set
    (nearly) perfectly, and its predicted probability jumps from 0 to 1 across a razor-thin band: it
    is certain everywhere, also where it is wrong. It pays for that on new points. Its training loss
    keeps falling while its validation loss bottoms out early and then climbs steeply. Dropout, and
    more mildly at this strength weight decay, give softer boundaries that ignore some of the noisy
    points, a validation loss that stays low, and a few points more validation accuracy. Weight decay works by
    keeping the weights small, as the histogram of the second layer's weights shows. Try other
    values of `reg` and `keep_prob`: too much of either and the boundary gets too simple to follow
    the moons (underfitting).
    """)
    nb.md(r"""
    ## 5. Early stopping

    The validation curves of the plain network suggest a third remedy that costs nothing: stop when
    the validation accuracy stops improving or, simpler and just as good, keep training and
    remember the weights of the best epoch. The library's trainer does the second whenever it is
    given a validation set: after `fit`, the model holds the parameters of the epoch with the
    highest validation accuracy.

    The number of epochs has then been chosen on the validation set, like the weight-decay
    strength; so the validation accuracy of the kept epoch is an optimistic estimate. That is why a
    third set, the test set, stays untouched until the very end.
    """)
    nb.code(r"""
X_test, y_test = make_moons(1000, noise=0.35, seed=2)
model = FullyConnectedNet(2, [200, 200], 2, seed=0, layers=layers)
trainer = Trainer(model, update_rule, learning_rate=0.02, hyperparameters={"momentum": 0.9}, batch_size=20, epochs=epochs, seed=0, progress=False)
history = trainer.fit(X_train, y_train, X_val, y_val)

fig, (loss_ax, accuracy_ax) = plt.subplots(1, 2, figsize=(11, 3.5))
loss_ax.plot(history.val_loss, label="validation"); loss_ax.plot(history.train_loss, label="training")
accuracy_ax.plot(history.val_accuracy, label="validation"); accuracy_ax.plot(history.train_accuracy, label="training")
for ax, label in [(loss_ax, "loss"), (accuracy_ax, "accuracy")]:
    ax.axvline(trainer.best_epoch - 1, color="gray", linestyle="--", label=f"kept: epoch {trainer.best_epoch}")
    ax.set_xlabel("epoch"); ax.set_ylabel(label); ax.legend()
loss_ax.set_yscale("log")
fig.suptitle("Plain network: the epoch the trainer keeps")
plt.show()
print(f"kept epoch {trainer.best_epoch} of {epochs}: validation accuracy {trainer.best_val_accuracy:.3f} "
      f"(last epoch {history.val_accuracy[-1]:.3f}); test accuracy of the kept weights {model.accuracy(X_test, y_test):.3f}")
""")
    nb.md(r"""
    ## 6. Many networks voting, and what dropout imitates

    Train several networks and let them vote: an example is misclassified only when most of them get
    it wrong, so their individual mistakes partly cancel. The members must differ for this to help.
    Random initial weights and a random order of minibatches make them differ a little; training
    each on its own resample of the training set (drawn with replacement, so some points appear
    twice and others not at all: *bagging*) makes them differ more.
    """)
    nb.code(r"""
members = 3 if QUICK else 7
resample = np.random.default_rng(0)
votes = np.zeros((X_val.shape[0], 2), dtype=int)
member_accuracies, member_models = [], []
for seed in range(members):
    chosen = resample.integers(0, X_train.shape[0], X_train.shape[0])
    model = FullyConnectedNet(2, [50], 2, seed=seed, layers=layers)
    Trainer(model, update_rule, learning_rate=0.02, hyperparameters={"momentum": 0.9}, batch_size=20,
            epochs=epochs // 2, seed=seed, progress=False).fit(X_train[chosen], y_train[chosen])
    predictions = model.predict(X_val)
    votes[np.arange(X_val.shape[0]), predictions] += 1
    member_accuracies.append(float(np.mean(predictions == y_val)))
    member_models.append(model)
vote_accuracy = float(np.mean(np.argmax(votes, axis=1) == y_val))
print("members:", " ".join(f"{a:.3f}" for a in member_accuracies))
print(f"average member {np.mean(member_accuracies):.3f}, best member {max(member_accuracies):.3f}, majority vote {vote_accuracy:.3f}")

fig, ax = plt.subplots(figsize=(6, 4))
vote_share = np.zeros(grid_x.shape)
for model in member_models:
    ax.contour(grid_x, grid_y, model.probabilities(grid)[:, 1].reshape(grid_x.shape), levels=[0.5], colors="gray", linewidths=0.8)
    vote_share += model.predict(grid).reshape(grid_x.shape) / members
ax.contour(grid_x, grid_y, vote_share, levels=[0.5], colors="k", linewidths=2.5)
ax.scatter(X_train[:, 0], X_train[:, 1], c=y_train, cmap="RdBu", edgecolors="k", s=25)
ax.set_title("Members' boundaries (gray) and the majority vote (black)")
plt.show()
""")
    nb.md(r"""
    The vote is better than the average member. It need not beat the luckiest member, but which
    member is the luckiest is only known after looking at the validation set, and picking it there
    would make its score optimistic; the vote needs no such choice. Its boundary is also smoother
    than most of its members': where they disagree, the majority wins.

    Dropout gets much of this benefit from a single network. Every minibatch trains a different
    *thinned* network (the units that survived its mask), and all these thinned networks share one
    set of weights: with $n$ units that could be dropped there are $2^n$ of them. At test time,
    running the full network with the expected activations (which inverted dropout arranges)
    approximates averaging the predictions of that whole ensemble, at the cost of one forward pass.
    The sharing is what makes it cheap, and it also pushes every unit to be useful on its own,
    whatever subset of its neighbours survives.

    **Summary.**

    | remedy | what it changes | cost |
    |---|---|---|
    | weight decay | adds $\lambda W$ to each weight gradient; weights stay small | one hyperparameter $\lambda$ |
    | dropout | trains random thinned networks with shared weights | slower convergence, one hyperparameter $p$ |
    | early stopping | keeps the epoch with the best validation accuracy | none |
    | ensemble | averages several independently trained networks | $k$ times the training and prediction |

    More data is the best regularizer of all; data augmentation (shifted, rotated, rescaled copies of
    the training images) and pooling, which builds tolerance to small shifts into the network
    (notebook 6), are ways of getting some of its effect.
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

**Question 1 (2 points).** A classmate writes dropout with `keep_prob = 0.5` as
`out = x * mask` during training (no division) and `out = x` at test time. (a) On average, what
does the next layer receive at test time compared with training, and why does that hurt the
test accuracy although the weights were trained well? (b) Why do most libraries, and this course,
divide by `keep_prob` during training rather than multiply by it at test time?
""")
    nb.written("dropout_scaling", 2, r"""
**Model answer.** (a) In training the expected input of the next layer is $p\,x$, half of $x$;
at test time it gets all of $x$, twice as much. Its weights and biases were fitted to inputs of
the training scale, so at test time every pre-activation is off (about doubled, before the bias),
which shifts which ReLUs fire and how confident the softmax is: the test-time network is not the
one that was trained. The original recipe fixes this by multiplying the weights (or the inputs)
by $p$ at test time. (b) Inverted dropout divides by $p$ during training, so the expected output
equals $x$ in both modes: the test-time (prediction) code is the plain network, with no factor to
remember, and changing `keep_prob` or removing dropout never touches it. The work is done during
training, where a multiplication per unit is cheap.

**Rubric (2 points).** 1 point: the scale mismatch ($p\,x$ in training against $x$ at test time)
and why it breaks the trained network. 1 point: dividing during training keeps the expectation
unchanged so that prediction needs no change.
""")


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


def main(folder: Path = ASSIGNMENT) -> int:
    """Write this assignment's solution notebooks into ``folder``."""
    write_notebooks(__file__, folder, {
        "1_dropout.ipynb": dropout_notebook,
        "2_batchnorm.ipynb": batchnorm_notebook,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
