"""Build the nbgrader source notebooks of assignment 04_optimization.

    python tools/notebooks/04_optimization.py

writes solutions/04_optimization/1_update_rules.ipynb and 2_schedules.ipynb with outputs cleared.
Every graded answer cell is the library function's own source (signature, docstring, input
checks, ``### BEGIN SOLUTION`` region, return), so the notebooks start out identical to the
library; ``python -m autograder.release.sync_solutions`` keeps the regions in step.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nbcells import REPOSITORY, Notebook, library_source, write_notebooks

ASSIGNMENT = REPOSITORY / "solutions" / "04_optimization"
sys.path.insert(0, str(REPOSITORY / "lib"))

from backpropkit import optim, schedules  # noqa: E402  (after the path is set)


def rule_tests(nb: Notebook, rule: str, points: int, public: str, hidden: list[str]) -> None:
    """A public check (0 points) and a hidden test cell for one update rule or schedule."""
    nb.test(f"{rule}_public", 0, f"""
from autograder.checks import check_update_rule

{public}
""")
    hidden_lines = "\n".join(hidden)
    nb.test(f"{rule}_hidden", points, f"""
from autograder.checks import check_update_rule

### BEGIN HIDDEN TESTS
{hidden_lines}
### END HIDDEN TESTS
""")


def answer_from_library(nb: Notebook, function) -> None:
    """An exercise whose cell is the library function's own source, solution region included."""
    nb.answer(function.__name__, library_source(function))


# --------------------------------------------------------------------------------------------
# 1_update_rules.ipynb
# --------------------------------------------------------------------------------------------


def update_rules_notebook() -> Notebook:
    nb = Notebook()
    nb.md(r"""
# Update rules: how to step once you have the gradient

Backpropagation hands you $\nabla L(w)$, the direction in which the loss grows fastest. *How far*
and *exactly where* to step is a separate question, and the answer matters as much as the
gradient. Plain gradient descent,

$$w_{t+1} = w_t - \alpha\, \nabla L(w_t),$$

has three well-known troubles:

1. **Ill-conditioning.** When the loss is steep in one direction and flat in another (the
   Hessian has a large *condition number*, the ratio of its largest to smallest eigenvalue), a
   learning rate small enough not to blow up along the steep direction crawls along the flat one.
   The iterates zig-zag across the valley and make slow progress along it.
2. **Saddle points and plateaus.** Where the gradient is (nearly) zero, gradient descent
   (nearly) stops, even though the point is not a minimum. In high dimensions saddle points are
   far more common than local minima.
3. **Noise.** Minibatch gradients are noisy estimates of the full gradient.

This notebook implements the rules that address them, then races them on three small 2-D
surfaces where you can *see* every step.

| function | what it adds | graded |
|---|---|---|
| `sgd` | the baseline | ✔ |
| `sgd_momentum` | a velocity that averages gradients | ✔ |
| `nesterov_momentum` | a gradient evaluated one step ahead | ✔ |
| `adagrad` | per-parameter step sizes from the sum of squared gradients | ✔ |
| `rmsprop` | the same with a leaky average | ✔ |
| `adam` | momentum + RMSProp + bias correction | ✔ |

**The contract.** Every rule has the signature `rule(w, dw, state, *, hyperparameters) -> (w, state)`.
`w` is one parameter array, `dw` its gradient, and `state` a dict the rule keeps between steps for
this parameter (`{}` at the first step). A rule returns a **new** array and a **new** dict and
never modifies its inputs in place, so the caller can keep old weights (to plot a path, or to
restore the best epoch). The argument checks and the reading of the state are written for you;
you fill in the update itself.
""")
    nb.locked("setup", r"""
import os

import matplotlib.pyplot as plt
import numpy as np

from IPython.display import display

from backpropkit import plots
from backpropkit.backend import Array, namespace
from backpropkit.optim import _check_step_inputs, _state_array, _with_weight_decay

QUICK = os.environ.get("BACKPROPKIT_QUICK") == "1"  # smaller runs for continuous integration
%matplotlib inline
""")
    nb.md(r"""
The three helpers imported above are the library's: `_check_step_inputs` turns wrong shapes and
bad hyperparameters into clear errors, `_state_array(state, key, w)` returns `state[key]` or zeros
shaped like `w` at the first step, and `_with_weight_decay` adds the L2 term
$\lambda w$ to the gradient when `weight_decay` is not zero (notebook 5 is about that term).

## 1. Stochastic gradient descent

$$w \leftarrow w - \alpha\, dw$$

Write it without `-=`: `w -= ...` would change the caller's array in place.
""")
    answer_from_library(nb, optim.sgd)
    nb.md(r"""
The check runs your rule for a few steps on random arrays and compares every iterate with the
formula. It hands your rule `w`, `dw` and the arrays in `state` **read-only**, so a rule that
changes its inputs in place (`w -= ...`, `np.add(w, ..., out=w)`, `state["velocity"] *= ...`)
fails right where it does so, with a `ValueError` about a read-only array: build new arrays
instead (`w = w - ...`, or work on a `.copy()`).
""")
    rule_tests(nb, "sgd", 1,
        'check_update_rule(sgd, "sgd", hyperparameters={"learning_rate": 0.1}, shape=(3, 4), steps=3, seed=0)',
        ['check_update_rule(sgd, "sgd", hyperparameters={"learning_rate": 0.03}, shape=(7,), steps=4, seed=81)',
         'check_update_rule(sgd, "sgd", hyperparameters={"learning_rate": 1.5}, shape=(2, 3, 2), steps=2, seed=82)'])
    nb.md(r"""
## 2. Momentum

Picture a ball rolling down the loss surface. It does not turn instantly with every change of
slope: it keeps a **velocity** that accumulates gradients and forgets old ones at a rate set by
the friction $\rho$ (typically 0.9 or 0.99):

$$v_{t+1} = \rho\, v_t + \nabla L(w_t), \qquad w_{t+1} = w_t - \alpha\, v_{t+1}.$$

Across a narrow valley the gradient flips sign from step to step, so those components cancel in
the velocity; along the valley floor the gradient keeps its sign, so those components add up, to
as much as $1/(1-\rho)$ times a single step (10 times for $\rho = 0.9$). Momentum also carries the
ball across flat regions and saddle points where the gradient alone is tiny.

**Exercise.** Implement `sgd_momentum` in this "velocity with friction" form; the state key is
`"velocity"`.
""")
    answer_from_library(nb, optim.sgd_momentum)
    rule_tests(nb, "sgd_momentum", 2,
        'check_update_rule(sgd_momentum, "sgd_momentum", hyperparameters={"learning_rate": 0.1, "momentum": 0.9}, shape=(3, 4), steps=3, seed=0)',
        ['check_update_rule(sgd_momentum, "sgd_momentum", hyperparameters={"learning_rate": 0.05, "momentum": 0.5}, shape=(6,), steps=5, seed=91)',
         'check_update_rule(sgd_momentum, "sgd_momentum", hyperparameters={"learning_rate": 0.2, "momentum": 0.99}, shape=(2, 5), steps=4, seed=92)'])
    nb.md(r"""
### Three ways to write momentum

Libraries write momentum in three ways (the notes use a fourth, below):

| | velocity | step |
|---|---|---|
| **A** friction (yours) | $v \leftarrow \rho v + g$ | $w \leftarrow w - \alpha v$ |
| **B** velocity holds the step | $u \leftarrow \rho u - \alpha g$ | $w \leftarrow w + u$ |
| **C** exponential average | $p \leftarrow \mu g + (1 - \mu) p$ | $w \leftarrow w - \lambda p$ |

**A and B give the same iterates.** Multiply A's velocity update by $-\alpha$: with a constant
$\alpha$, $u = -\alpha v$ satisfies B's update exactly, and B's step $w + u$ is A's step
$w - \alpha v$. (They part ways only when $\alpha$ changes during training, for instance under a
schedule: B keeps the old steps' sizes in its velocity, A rescales everything at once.)

**C is A with a rescaled learning rate.** Set $\rho = 1 - \mu$ in A. Then $p = \mu v$ satisfies
C's update ($\mu v_{t+1} = (1-\mu)\,\mu v_t + \mu g$), so C's step $\lambda p = (\lambda \mu) v$ is
A's step with learning rate $\alpha = \lambda\mu$. An exponential average keeps the velocity at the
size of one gradient, while A lets it grow up to $1/(1-\rho)$ gradients: to move at the same
speed, C needs a learning rate $1/\mu$ times larger.

The cell below runs all three on the same sequence of random "gradients" (the comparison of the
paths does not depend on where gradients come from) with your `sgd_momentum` as A.
""")
    nb.code(r"""
rng = np.random.default_rng(0)
gradients = rng.normal(size=(20, 3))
alpha, rho = 0.1, 0.9

w_a, state = np.zeros(3), {}
w_b, u = np.zeros(3), np.zeros(3)
w_c, p = np.zeros(3), np.zeros(3)
mu = 1 - rho
w_c_rescaled, p_rescaled = np.zeros(3), np.zeros(3)
for g in gradients:
    w_a, state = sgd_momentum(w_a, g, state, learning_rate=alpha, momentum=rho)
    u = rho * u - alpha * g
    w_b = w_b + u
    p = mu * g + (1 - mu) * p
    w_c = w_c - alpha * p  # same learning rate as A
    p_rescaled = mu * g + (1 - mu) * p_rescaled
    w_c_rescaled = w_c_rescaled - (alpha / mu) * p_rescaled  # learning rate alpha / mu

print("A and B, same iterates:                 ", np.allclose(w_a, w_b))
print("A and C with the same learning rate:    ", np.allclose(w_a, w_c), f"(C moved {np.linalg.norm(w_c) / np.linalg.norm(w_a):.2f} times as far)")
print("A and C with learning rate alpha / mu:  ", np.allclose(w_a, w_c_rescaled))
""")
    nb.md(r"""
### A fourth form: one step of memory

The lecture notes write momentum differently again: the step adds a fraction $\alpha$ of the
*previous* gradient to the current one,

$$\theta_{t+1} = \theta_t - \gamma\bigl(\alpha\, g_{t-1} + g_t\bigr).$$

Unroll A's velocity and the difference shows: $v_t = g_t + \rho\, g_{t-1} + \rho^2 g_{t-2} + \dots$
weighs *every* earlier gradient, each by a power of $\rho$, while this form **D** stops after one
term. It remembers one step, not a decaying history. Two consequences:

* along a valley floor, where the gradient keeps the same value $g$, A's step grows to
  $\alpha g/(1-\rho)$ (ten plain steps for $\rho = 0.9$) while D's never exceeds $(1+\alpha)\gamma g$:
  at most double;
* across a valley, where the gradient flips sign each step, D's step is $(1-\alpha)\gamma g$, which
  damps the zigzag strongly for $\alpha$ near 1, while A's settles at $\alpha g/(1+\rho)$.

So D smooths the zigzag but gives up most of the acceleration that makes momentum worth having.
The cell measures both effects and draws how much each form weighs the gradient of $k$ steps ago.
""")
    nb.code(r"""
def one_step_memory(gradients, *, learning_rate, alpha):
    # Form D: theta <- theta - gamma * (alpha * g_{t-1} + g_t), with g_{-1} = 0. Returns the steps taken.
    previous, steps = np.zeros_like(gradients[0]), []
    for g in gradients:
        steps.append(-learning_rate * (alpha * previous + g))
        previous = g
    return np.array(steps)


def velocity_steps(gradients, *, learning_rate, rho):
    # Form A, with your sgd_momentum. Returns the steps taken.
    w, state, steps = np.zeros_like(gradients[0]), {}, []
    for g in gradients:
        w_next, state = sgd_momentum(w, g, state, learning_rate=learning_rate, momentum=rho)
        steps.append(w_next - w)
        w = w_next
    return np.array(steps)


constant = np.ones((60, 1))                                 # a valley floor: the same gradient every step
alternating = np.array([[(-1.0) ** t] for t in range(60)])  # across a valley: the sign flips each step
for name, g in (("constant gradient", constant), ("alternating gradient", alternating)):
    a = velocity_steps(g, learning_rate=0.1, rho=0.9)[-1, 0]
    d = one_step_memory(g, learning_rate=0.1, alpha=0.9)[-1, 0]
    print(f"{name:<21} step size: plain SGD 0.100 | A (rho 0.9) {abs(a):.3f} | D (alpha 0.9) {abs(d):.3f}")

k = np.arange(12)
fig, ax = plt.subplots(figsize=(7, 3.2))
ax.bar(k - 0.27, 0.9 ** k, width=0.27, label=r"A: velocity, $\rho^k$ ($\rho$ = 0.9)")
ax.bar(k, 0.1 * 0.9 ** k, width=0.27, label=r"C: exponential average, $\mu(1-\mu)^k$ ($\mu$ = 0.1)")
ax.bar(k + 0.27, np.where(k == 0, 1.0, np.where(k == 1, 0.9, 0.0)), width=0.27,
       label=r"D: one step of memory ($\alpha$ = 0.9)")
ax.set_xlabel("k: how many steps ago the gradient was computed")
ax.set_ylabel("its weight in this step")
ax.legend(fontsize="small")
plt.show()
""")
    nb.md(r"""
A and C weigh the past the same way (C's weights are A's times $\mu$, which is why C needs a larger
learning rate); D gives full weight to this step's gradient, $\alpha$ to the previous one and
nothing before. On the constant gradient the velocity form moves ten times as far per step as plain
SGD, the one-step form less than twice; on the alternating one both shrink the zigzag, D far more.
""")
    nb.md(r"""
## 3. Nesterov momentum

Momentum computes the gradient where the ball *is* and adds it to the velocity. But whatever that
gradient is, the ball is about to move by $\alpha\rho v$ anyway (the step $\alpha v_{t+1}$ carries
the old velocity $\rho v_t$ along, scaled by the learning rate), so a better-informed correction
uses the gradient where it is *about to be*, the look-ahead point $w - \alpha\rho v$:

$$v_{t+1} = \rho\, v_t + \nabla L(w_t - \alpha\rho\, v_t), \qquad w_{t+1} = w_t - \alpha\, v_{t+1}.$$

If the velocity is about to carry the ball past the bottom of a valley, the look-ahead gradient
already points back and brakes it: less overshoot than plain momentum.

Update rules, however, receive the gradient at the current weights, not at a look-ahead point.
Change variables to the look-ahead point itself, $\tilde w_t = w_t - \alpha\rho\, v_t$, and keep
$\tilde w$ as "the weights". Substituting gives an update that needs only $\nabla L(\tilde w_t)$:

$$v_{t+1} = \rho\, v_t + \nabla L(\tilde w_t), \qquad
\tilde w_{t+1} = \tilde w_t - \alpha\,\bigl(\nabla L(\tilde w_t) + \rho\, v_{t+1}\bigr).$$

(Check: $\tilde w_{t+1} = w_{t+1} - \alpha\rho v_{t+1} = w_t - \alpha v_{t+1} - \alpha\rho v_{t+1}$
and $w_t = \tilde w_t + \alpha\rho v_t$; use $\rho v_t = v_{t+1} - \nabla L(\tilde w_t)$.) The step
is the current gradient plus the velocity *one step further along* than plain momentum uses.

**Exercise.** Implement `nesterov_momentum` in this form, with `dw` as $\nabla L(\tilde w_t)$.
""")
    answer_from_library(nb, optim.nesterov_momentum)
    rule_tests(nb, "nesterov_momentum", 2,
        'check_update_rule(nesterov_momentum, "nesterov_momentum", hyperparameters={"learning_rate": 0.1, "momentum": 0.9}, shape=(3, 4), steps=3, seed=0)',
        ['check_update_rule(nesterov_momentum, "nesterov_momentum", hyperparameters={"learning_rate": 0.05, "momentum": 0.7}, shape=(8,), steps=5, seed=101)',
         'check_update_rule(nesterov_momentum, "nesterov_momentum", hyperparameters={"learning_rate": 0.3, "momentum": 0.95}, shape=(3, 2, 2), steps=3, seed=102)'])
    nb.md(r"""
## 4. AdaGrad: a step size for every parameter

In an ill-conditioned valley the steep coordinate sees large gradients and the flat coordinate
small ones. AdaGrad divides each coordinate's step by the root of the sum of all its squared
gradients so far:

$$G \leftarrow G + dw \odot dw, \qquad w \leftarrow w - \alpha\, \frac{dw}{\sqrt{G} + \varepsilon}.$$

Steep coordinates get damped, flat ones amplified: every coordinate moves at a similar pace.
$\varepsilon$ (`eps`) only prevents a division by zero. Because $G$ only grows, the steps shrink
for good: fine for convex problems, often too early a stop for deep networks.

**Exercise.** Implement `adagrad`; the state key is `"grad_squared"`.
""")
    answer_from_library(nb, optim.adagrad)
    rule_tests(nb, "adagrad", 2,
        'check_update_rule(adagrad, "adagrad", hyperparameters={"learning_rate": 0.1}, shape=(3, 4), steps=3, seed=0)',
        ['check_update_rule(adagrad, "adagrad", hyperparameters={"learning_rate": 0.5, "eps": 1e-4}, shape=(5,), steps=6, seed=111)',
         'check_update_rule(adagrad, "adagrad", hyperparameters={"learning_rate": 0.01, "eps": 1e-3}, shape=(4, 3), steps=3, seed=112)'])
    nb.md(r"""
## 5. RMSProp: AdaGrad that forgets

RMSProp replaces AdaGrad's sum by a leaky average with decay rate $\beta$ (`decay_rate`, 0.99
by default), so the step size follows the *recent* gradient scale instead of shrinking forever:

$$G \leftarrow \beta\, G + (1 - \beta)\, dw \odot dw, \qquad
w \leftarrow w - \alpha\, \frac{dw}{\sqrt{G} + \varepsilon}.$$

**Exercise.** Implement `rmsprop`; the state key is `"grad_squared"`.
""")
    answer_from_library(nb, optim.rmsprop)
    rule_tests(nb, "rmsprop", 2,
        'check_update_rule(rmsprop, "rmsprop", hyperparameters={"learning_rate": 0.01, "decay_rate": 0.9}, shape=(3, 4), steps=3, seed=0)',
        ['check_update_rule(rmsprop, "rmsprop", hyperparameters={"learning_rate": 0.001}, shape=(6, 2), steps=5, seed=121)',
         'check_update_rule(rmsprop, "rmsprop", hyperparameters={"learning_rate": 0.1, "decay_rate": 0.5, "eps": 1e-6}, shape=(7,), steps=4, seed=122)'])
    nb.md(r"""
## 6. Adam

Adam keeps both: a momentum-like average $m$ of the gradients (first moment) and an RMSProp-like
average $v$ of their squares (second moment), and steps along $m$ scaled by $1/\sqrt{v}$. At step
$t = 1, 2, \dots$:

$$m \leftarrow \beta_1 m + (1-\beta_1)\, dw, \qquad v \leftarrow \beta_2 v + (1-\beta_2)\, dw\odot dw,$$
$$\hat m = \frac{m}{1-\beta_1^t}, \qquad \hat v = \frac{v}{1-\beta_2^t}, \qquad
w \leftarrow w - \alpha\,\frac{\hat m}{\sqrt{\hat v} + \varepsilon}.$$

**Why the bias correction.** Both averages start at zero. After the first step
$m = (1-\beta_1)\,dw$ is a tenth of the gradient and $v = (1-\beta_2)\,dw^2$ a thousandth of its
square (for the defaults $\beta_1 = 0.9$, $\beta_2 = 0.999$): without correction, the first step
would be $\frac{0.1}{\sqrt{0.001}} \approx 3.2$ times too large, and the imbalance lasts for
hundreds of steps. Dividing by $1-\beta^t$, the total weight the average has collected so far,
makes $\hat m$ and $\hat v$ unbiased from the very first step: at $t = 1$ the step is
$\alpha\,\mathrm{sign}(dw)$, whatever the scale of the gradient.

$\beta_1 = 0.9$, $\beta_2 = 0.999$ and $\alpha = 10^{-3}$ (or $5\cdot 10^{-4}$) are a good start
for most networks.

**Exercise.** Implement `adam`. The state holds `"m"`, `"v"` and `"t"`; `t` is already incremented
for you (it is 1 at the first step).
""")
    answer_from_library(nb, optim.adam)
    rule_tests(nb, "adam", 3,
        'check_update_rule(adam, "adam", hyperparameters={"learning_rate": 0.01}, shape=(3, 4), steps=3, seed=0)',
        ['check_update_rule(adam, "adam", hyperparameters={"learning_rate": 0.001, "beta1": 0.5, "beta2": 0.9}, shape=(5, 2), steps=6, seed=131)',
         'check_update_rule(adam, "adam", hyperparameters={"learning_rate": 0.1, "eps": 1e-4}, shape=(9,), steps=4, seed=132)'])
    nb.md(r"""
## 7. The race: three surfaces, six rules, and L-BFGS

Each surface below is a function of two weights, returning the loss and its gradient:

* an **ill-conditioned quadratic** $\tfrac12(x^2 + 50y^2)$: condition number 50, a long narrow valley;
* a **saddle** $x^2 - y^2 + \tfrac12 y^4$: the origin is a saddle point, the minima sit at
  $(0, \pm 1)$; we start on the ridge, a hair's breadth away from $y = 0$;
* the **Rosenbrock** function $(1-x)^2 + 100(y - x^2)^2$: a curved, flat-bottomed banana valley
  with its minimum at $(1, 1)$.
""")
    nb.code(r"""
def ill_conditioned(w):
    x, y = w
    return 0.5 * (x**2 + 50 * y**2), np.array([x, 50 * y])


def saddle(w):
    x, y = w
    return x**2 - y**2 + 0.5 * y**4, np.array([2 * x, -2 * y + 2 * y**3])


def rosenbrock(w):
    x, y = w
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2, np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


def follow(rule, surface, start, steps, **hyperparameters):
    # Run an update rule from start; return the path, an array (steps + 1, 2).
    w, state = np.array(start, dtype=float), {}
    path = [w]
    for _ in range(steps):
        _, dw = surface(w)
        w, state = rule(w, dw, state, **hyperparameters)
        path.append(w)
    return np.array(path)
""")
    nb.md(r"""
Each rule gets its own learning rate, picked by hand to be roughly the largest that behaves on
that surface: comparing rules at one shared learning rate would mostly measure which rule that
rate happens to suit. The momentum rules take a fifth to a tenth of SGD's rate, since their
velocity grows to as much as ten gradients.

For comparison we add **L-BFGS**, a quasi-Newton method: from the last few gradients it builds an
estimate of the curvature and steps towards the minimum of a local quadratic model, with a line
search choosing the step length. It needs exact, full-batch gradients (minibatch noise ruins its
curvature estimate), which is why deep learning rarely uses it, but on a small smooth problem it
is hard to beat. `backpropkit.optim.lbfgs_minimize` wraps SciPy's implementation and records
the path.
""")
    nb.code(r"""
from backpropkit.optim import lbfgs_minimize

races = {
    "ill-conditioned quadratic": dict(surface=ill_conditioned, start=(-4.5, 1.0), steps=60, extent=(-5, 5, -1.5, 1.5), rates={
        "sgd": 0.038, "sgd_momentum": 0.01, "nesterov_momentum": 0.01, "adagrad": 1.0, "rmsprop": 0.1, "adam": 0.3}),
    "saddle": dict(surface=saddle, start=(-1.8, 1e-3), steps=60, extent=(-2, 2, -1.6, 1.6), rates={
        "sgd": 0.05, "sgd_momentum": 0.01, "nesterov_momentum": 0.01, "adagrad": 0.3, "rmsprop": 0.05, "adam": 0.1}),
    "Rosenbrock": dict(surface=rosenbrock, start=(-1.2, 1.0), steps=2000, extent=(-1.6, 1.6, -0.6, 1.6), rates={
        "sgd": 1e-3, "sgd_momentum": 2e-4, "nesterov_momentum": 2e-4, "adagrad": 0.3, "rmsprop": 3e-3, "adam": 0.05}),
}
rules = {"sgd": sgd, "sgd_momentum": sgd_momentum, "nesterov_momentum": nesterov_momentum,
         "adagrad": adagrad, "rmsprop": rmsprop, "adam": adam}

paths = {}
for surface_name, race in races.items():
    paths[surface_name] = {
        rule_name: follow(rules[rule_name], race["surface"], race["start"], race["steps"], learning_rate=rate)
        for rule_name, rate in race["rates"].items()
    }
    paths[surface_name]["L-BFGS"] = lbfgs_minimize(race["surface"], np.array(race["start"]), max_iter=race["steps"]).path

for surface_name, race in races.items():
    print(f"{surface_name} after {race['steps']} steps:")
    for rule_name, path in paths[surface_name].items():
        loss, _ = race["surface"](path[-1])
        print(f"    {rule_name:18s} loss {loss: .2e}   at ({path[-1][0]: .3f}, {path[-1][1]: .3f})   {len(path) - 1} steps")


for surface_name, race in races.items():
    x0, x1, y0, y1 = race["extent"]
    loss_on_grid = lambda x, y, surface=race["surface"]: surface(np.stack([x, y]))[0]
    display(plots.optimizer_trajectories(loss_on_grid, paths[surface_name], xlim=(x0, x1), ylim=(y0, y1),
                                         log_levels=True, title=surface_name))
""")
    nb.md(r"""
What to look for:

* **Ill-conditioned quadratic.** SGD at its largest stable rate bounces between the valley walls
  (the steep $y$ direction) while creeping along the valley floor. Momentum's velocity cancels the
  bouncing and accumulates the consistent pull along $x$; it overshoots and swings back, like a
  ball. Nesterov brakes earlier and overshoots less. AdaGrad and RMSProp rescale each coordinate and
  head almost straight for the minimum. L-BFGS needs a handful of steps.
* **Saddle.** The gradient along $y$ starts at about $10^{-3}$ of the gradient along $x$. SGD and
  the momentum rules slide down to the saddle point and linger there before the instability grows
  enough to carry them off. The adaptive rules divide by the tiny gradient scale along $y$, so
  they turn towards the minimum at once.
* **Rosenbrock.** Everyone finds the valley quickly; following its curved flat floor is the hard
  part. Compare the final losses printed above.
""")
    nb.md(r"""
### Noisy gradients

Real training never sees the exact gradient: a minibatch gradient is the full gradient plus
noise. Simulate that on the ill-conditioned quadratic by adding Gaussian noise to every gradient,
and follow the loss over time. With noise, no rule with a constant learning rate settles exactly
at the minimum: each ends up hovering in a noise-dominated region whose size depends on the step
size (the schedules notebook is about shrinking it).
""")
    nb.code(r"""
def noisy(surface, scale, seed):
    rng = np.random.default_rng(seed)

    def surface_with_noise(w):
        loss, dw = surface(w)
        return loss, dw + scale * rng.normal(size=dw.shape)

    return surface_with_noise


steps = 150 if QUICK else 400
seeds = range(10)  # average over several noise draws so the curves are readable
fig, ax = plt.subplots(figsize=(7, 4))
for rule_name, rate in races["ill-conditioned quadratic"]["rates"].items():
    mean_losses = np.mean([
        [ill_conditioned(w)[0] for w in follow(rules[rule_name], noisy(ill_conditioned, scale=2.0, seed=seed), (-4.5, 1.0), steps, learning_rate=rate)]
        for seed in seeds
    ], axis=0)
    ax.semilogy(mean_losses, label=rule_name, linewidth=1.2)
ax.set_xlabel("step")
ax.set_ylabel("true loss (mean of 10 runs)")
ax.set_title("Ill-conditioned quadratic, noisy gradients")
ax.legend(fontsize=8)
plt.show()
""")
    nb.md(r"""
## Summary

* Momentum averages gradients over time: consistent directions accelerate, oscillating ones
  cancel. Nesterov evaluates the correction one step ahead.
* AdaGrad, RMSProp and Adam give each parameter its own step size from the scale of its recent
  gradients, which fixes much of the ill-conditioning and helps at saddle points.
* Adam is a good default that often works with a constant learning rate; SGD with momentum can
  generalize better but needs more tuning of its learning rate and schedule.
* When the problem is small and full-batch, L-BFGS is excellent; turn off every source of noise
  first.

**Next:** `2_schedules.ipynb` changes the learning rate during training.
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

**Question 1 (2 points).** Take Adam with $\beta_1 = 0.9$, $\beta_2 = 0.999$ and suppose you left
out the bias correction. (a) How large is the first step compared with the corrected one, and
where does the factor come from? (b) Roughly how many steps pass before the uncorrected step is
within 10 % of the corrected one, and which of the two averages is responsible for the long wait?
""")
    nb.written("adam_bias_correction", 2, r"""
**Model answer.** (a) Uncorrected, the step is $\alpha\, m/\sqrt{v}$; corrected, it is
$\alpha\, \hat m/\sqrt{\hat v}$. Their ratio is $(1-\beta_1^t)/\sqrt{1-\beta_2^t}$. At $t = 1$,
$m = 0.1\,dw$ and $v = 0.001\,dw^2$, so the ratio is $0.1/\sqrt{0.001} \approx 3.2$: about three
times too large, because $v$ is biased towards 0 far more than $m$ is. (b) $1-\beta_1^t$ is within 1 %
of 1 after about 44 steps, but $\sqrt{1-\beta_2^t} \ge 1/1.1$ needs $0.999^t \le 0.17$, that is
$t \approx 1750$ steps. The second-moment average $v$, with its long memory ($\beta_2$ close to 1), is
responsible; the correction removes the distortion from the first step on.

**Rubric (2 points).** 1 point: the factor $\approx 3.2$ with its origin ($v$ starts at 0 and
collects only $1-\beta_2$ of the squared gradient). 1 point: an estimate of the order of a thousand
or more steps (anything from several hundred to a few thousand with a reason), blamed on
$\beta_2$ / the second moment.
""")


# --------------------------------------------------------------------------------------------
# 2_schedules.ipynb
# --------------------------------------------------------------------------------------------


def schedule_tests(nb: Notebook, name: str, points: int, public: str, hidden: list[str]) -> None:
    nb.test(f"{name}_public", 0, f"""
from autograder.checks import check_schedule

{public}
""")
    hidden_lines = "\n".join(hidden)
    nb.test(f"{name}_hidden", points, f"""
from autograder.checks import check_schedule

### BEGIN HIDDEN TESTS
{hidden_lines}
### END HIDDEN TESTS
""")


def schedules_notebook() -> Notebook:
    nb = Notebook()
    nb.md(r"""
# Learning-rate schedules

A large learning rate makes fast progress early on, while the weights are far from any minimum.
Later the same rate becomes a problem: with noisy minibatch gradients, every step is partly
random, and a large step keeps the weights bouncing around the minimum instead of settling into
it. The cure is to **shrink the learning rate as training goes on**. A *schedule* is a function of
the step number $t$ (updates taken so far, from 0) that returns the learning rate for the next
update.

| function | formula ($\alpha_0$ = `base_lr`, $T$ = `total_steps`) | graded |
|---|---|---|
| `step_decay` | $\alpha_0 \cdot d^{\lfloor t / k \rfloor}$: multiply by $d$ every $k$ steps | ✔ |
| `cosine_decay` | $\alpha_T + \tfrac12(\alpha_0 - \alpha_T)(1 + \cos(\pi t / T))$ | ✔ |
| `linear_decay` | $\alpha_T + (\alpha_0 - \alpha_T)(1 - t/T)$ | ✔ |
| `inverse_sqrt_decay` | $\alpha_0 \sqrt{h / \max(t, h)}$: held at $\alpha_0$ for $h$ = `hold_steps` steps, $\alpha_0/\sqrt{t}$ for $h = 1$ | ✔ |
| `with_warmup` | a linear ramp from 0 in front of any schedule | ✔ |

Step decay is the classic (ResNets multiply the rate by 0.1 at epochs 30, 60 and 90). Cosine and
linear decay need only the total length of training, not a choice of milestones. The inverse
square root appeared with Transformers, where it follows a warmup.

Settings are keyword arguments, so a trainer, which wants a function of the step alone, receives
`functools.partial(cosine_decay, base_lr=0.1, total_steps=1000)`.
""")
    nb.locked("setup", r"""
import functools
import math
import os

import matplotlib.pyplot as plt
import numpy as np

from backpropkit.schedules import Schedule, _check_positive_count, _check_rate, _check_step

QUICK = os.environ.get("BACKPROPKIT_QUICK") == "1"  # smaller runs for continuous integration
%matplotlib inline
""")
    nb.md(r"""
The helpers `_check_step`, `_check_rate` and `_check_positive_count` come from the library and
turn a negative step or a zero `total_steps` into a clear error. Past `total_steps`, cosine and
linear decay stay at `final_lr` (the code clamps $t$ to $T$ for you).

## 1. Step decay
""")
    answer_from_library(nb, schedules.step_decay)
    schedule_tests(nb, "step_decay", 1,
        'check_schedule(step_decay, "step_decay", hyperparameters={"base_lr": 0.1, "decay": 0.5, "every": 10}, steps=[0, 9, 10, 25])',
        ['check_schedule(step_decay, "step_decay", hyperparameters={"base_lr": 1.0, "every": 3}, steps=[0, 1, 2, 3, 5, 6, 30])',
         'check_schedule(step_decay, "step_decay", hyperparameters={"base_lr": 0.02, "decay": 0.9, "every": 1}, steps=[0, 1, 7, 100])'])
    nb.md(r"""
## 2. Cosine decay

Half a period of a cosine: the rate stays near $\alpha_0$ for a while, falls fastest in the
middle, and flattens out as it reaches $\alpha_T$.
""")
    answer_from_library(nb, schedules.cosine_decay)
    schedule_tests(nb, "cosine_decay", 1,
        'check_schedule(cosine_decay, "cosine_decay", hyperparameters={"base_lr": 0.1, "total_steps": 100}, steps=[0, 25, 50, 100, 150])',
        ['check_schedule(cosine_decay, "cosine_decay", hyperparameters={"base_lr": 2.0, "total_steps": 7, "final_lr": 0.5}, steps=[0, 1, 3, 6, 7, 8])',
         'check_schedule(cosine_decay, "cosine_decay", hyperparameters={"base_lr": 0.001, "total_steps": 1}, steps=[0, 1, 2])'])
    nb.md("## 3. Linear decay")
    answer_from_library(nb, schedules.linear_decay)
    schedule_tests(nb, "linear_decay", 1,
        'check_schedule(linear_decay, "linear_decay", hyperparameters={"base_lr": 0.1, "total_steps": 100}, steps=[0, 25, 50, 100, 150])',
        ['check_schedule(linear_decay, "linear_decay", hyperparameters={"base_lr": 3.0, "total_steps": 9, "final_lr": 1.0}, steps=[0, 2, 4, 9, 12])',
         'check_schedule(linear_decay, "linear_decay", hyperparameters={"base_lr": 0.5, "total_steps": 1}, steps=[0, 1, 5])'])
    nb.md(r"""
## 4. Inverse square root

$\alpha_0/\sqrt{t}$ is undefined at $t = 0$ and huge relative to the rest for tiny $t$, so the
library's version holds $\alpha_0$ until step $h$ (`hold_steps`) and decays as
$\alpha_0\sqrt{h/t}$ from there; with $h = 1$ it is exactly $\alpha_0/\sqrt{t}$ for $t \ge 1$.
Holding is not warming up: the rate starts at full size. A warmup, a ramp up from 0, is the
next section's `with_warmup`, which can be put in front of this schedule.
""")
    answer_from_library(nb, schedules.inverse_sqrt_decay)
    schedule_tests(nb, "inverse_sqrt_decay", 1,
        'check_schedule(inverse_sqrt_decay, "inverse_sqrt_decay", hyperparameters={"base_lr": 0.1}, steps=[0, 1, 4, 100])',
        ['check_schedule(inverse_sqrt_decay, "inverse_sqrt_decay", hyperparameters={"base_lr": 1.0, "hold_steps": 16}, steps=[0, 8, 16, 64, 400])',
         'check_schedule(inverse_sqrt_decay, "inverse_sqrt_decay", hyperparameters={"base_lr": 0.3, "hold_steps": 3}, steps=[2, 3, 12, 27])'])
    nb.md(r"""
## 5. Linear warmup

At the start of training the weights are random, the gradients can be large and, for Adam, the
second-moment estimates rest on very few samples. A high initial learning rate can then throw the
weights somewhere the loss explodes. Warmup ramps the rate linearly from 0 up to the schedule's
starting value over the first `warmup_steps` updates, then hands over to the schedule, which starts
from its own step 0:

$$\alpha^{\text{warm}}_t = \begin{cases} \alpha_0 \dfrac{t}{w} & t < w \\[4pt] \text{schedule}(t - w) & t \ge w \end{cases}$$

with $\alpha_0 = \text{schedule}(0)$. `with_warmup` takes a schedule and returns a *new* function
of the step: fill in the body of the inner function.
""")
    answer_from_library(nb, schedules.with_warmup)
    nb.test("with_warmup_public", 0, r"""
from autograder.checks import check_warmup

check_warmup(with_warmup, warmup_steps=4)
""")
    nb.test("with_warmup_hidden", 2, r"""
from autograder.checks import check_warmup

### BEGIN HIDDEN TESTS
check_warmup(with_warmup, warmup_steps=1, steps=[0, 1, 2, 5])
check_warmup(with_warmup, warmup_steps=10, steps=[0, 3, 9, 10, 11, 15])
### END HIDDEN TESTS
""")
    nb.md(r"""
## 6. All schedules, drawn by your functions

One thousand steps with $\alpha_0 = 0.1$; the step decay multiplies by 0.1 at steps 300, 600 and
900 (the ResNet recipe, in steps instead of epochs).
""")
    nb.code(r"""
total = 1000
curves = {
    "step (x0.1 every 300)": functools.partial(step_decay, base_lr=0.1, decay=0.1, every=300),
    "cosine": functools.partial(cosine_decay, base_lr=0.1, total_steps=total),
    "linear": functools.partial(linear_decay, base_lr=0.1, total_steps=total),
    "inverse sqrt (hold 50)": functools.partial(inverse_sqrt_decay, base_lr=0.1, hold_steps=50),
    "warmup 100 + cosine": with_warmup(functools.partial(cosine_decay, base_lr=0.1, total_steps=total - 100), warmup_steps=100),
}
steps = np.arange(total + 1)
fig, axes = plt.subplots(1, 2, figsize=(13, 4))
for name, schedule in curves.items():
    rates = [schedule(int(t)) for t in steps]
    axes[0].plot(steps, rates, label=name)
    axes[1].semilogy(steps, np.maximum(rates, 1e-6), label=name)
axes[0].set_title("learning rate")
axes[1].set_title("learning rate, log scale")
for ax in axes:
    ax.set_xlabel("step")
axes[0].legend()
fig.tight_layout()
plt.show()
""")
    nb.md(r"""
## 7. The effect: settling into the minimum

Back to the ill-conditioned quadratic $\tfrac12(x^2 + 50y^2)$ with noisy gradients (the noise
stands in for minibatch sampling). With a constant learning rate the loss falls quickly and then
stalls at a *noise floor*: each step adds about as much random motion as the pull towards the
minimum removes. Decaying the rate shrinks the random part of the steps, and the loss keeps
falling. Plain SGD runs the same noisy gradients under each schedule.
""")
    nb.code(r"""
def quadratic_with_noise(w, rng, noise=2.0):
    gradient = np.array([w[0], 50 * w[1]])
    return 0.5 * (w[0] ** 2 + 50 * w[1] ** 2), gradient + noise * rng.normal(size=2)


def train_with(schedule, steps, seed=0):
    rng = np.random.default_rng(seed)
    w, losses = np.array([-4.5, 1.0]), []
    for step in range(steps):
        loss, dw = quadratic_with_noise(w, rng)
        losses.append(loss)
        w = w - schedule(step) * dw  # plain SGD: only the rate changes from step to step
    return np.array(losses)


steps = 600 if QUICK else 3000
base_lr = 0.035
compared = {
    "constant": lambda step: base_lr,
    "step (x0.3 every 1/4)": functools.partial(step_decay, base_lr=base_lr, decay=0.3, every=steps // 4),
    "cosine": functools.partial(cosine_decay, base_lr=base_lr, total_steps=steps),
    "linear": functools.partial(linear_decay, base_lr=base_lr, total_steps=steps),
    "inverse sqrt (hold 100)": functools.partial(inverse_sqrt_decay, base_lr=base_lr, hold_steps=100),
}
fig, ax = plt.subplots(figsize=(8, 4))
seeds = range(10)  # average over several noise draws so the curves are readable
for name, schedule in compared.items():
    losses = np.mean([train_with(schedule, steps, seed) for seed in seeds], axis=0)
    ax.semilogy(losses, label=name, linewidth=1.2)
    print(f"{name:24s} mean loss over the last 10% of steps: {losses[-steps // 10:].mean():.2e}")
ax.set_xlabel("step")
ax.set_ylabel("loss (mean of 10 runs)")
ax.set_title("SGD with noisy gradients: constant rate vs schedules")
ax.legend()
plt.show()
""")
    nb.md(r"""
The constant rate hovers at its noise floor; every decaying schedule ends several times lower,
since the size of the random wandering shrinks with the rate. Note what the schedules do *not*
change: the early phase, where the large rate does the useful work. That is the whole idea:
large steps while far away, small steps to settle. (Decay too early or too hard and the weights
freeze before they arrive: try `decay=0.01` for the step schedule.)

How much a schedule matters depends on how noisy the gradients are and how long training runs.
On a problem as easy as the digits, a network trained for 15 epochs with momentum SGD ends
within about one percentage point of validation accuracy whichever schedule it uses; on large
data sets trained for days, the schedule is one of the settings that matter most. In practice:
Adam often works with a constant rate; SGD with momentum usually needs a schedule, and cosine
with a short warmup is a strong default that needs only the length of training.
""")
    return nb


def main(folder: Path = ASSIGNMENT) -> int:
    """Write this assignment's solution notebooks into ``folder``."""
    write_notebooks(__file__, folder, {
        "1_update_rules.ipynb": update_rules_notebook,
        "2_schedules.ipynb": schedules_notebook,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
