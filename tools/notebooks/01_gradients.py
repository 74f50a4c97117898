"""Build the nbgrader source notebooks of assignment 01_gradients.

    python tools/notebooks/01_gradients.py

writes solutions/01_gradients/1_gradients.ipynb and 2_autograd.ipynb with outputs cleared. The code
between the solution markers is the library's (lib/backpropkit/gradcheck.py and autograd.py);
``python -m autograder.release.sync_solutions`` keeps it in step.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nbcells import REPOSITORY, Notebook, library_source, write_notebooks

ASSIGNMENT = REPOSITORY / "solutions" / "01_gradients"
sys.path.insert(0, str(REPOSITORY / "lib"))

from backpropkit import autograd  # noqa: E402  (after the path is set)
from backpropkit.gradcheck import numerical_gradient, numerical_gradient_upstream, relative_error  # noqa: E402
from autograder.release.regions import find_regions  # noqa: E402


def region_of(function) -> str:
    """The library's solution region of ``function``, markers included, at four spaces."""
    source = library_source(function)
    (region,) = find_regions(source)
    lines = source.splitlines()[region.begin : region.end + 1]
    return "\n".join(line[len(region.indent) - 4 :] if line.strip() else "" for line in lines)


# --------------------------------------------------------------------------------------------
# 1_gradients.ipynb
# --------------------------------------------------------------------------------------------


def gradients_notebook() -> Notebook:
    nb = Notebook()
    nb.md(r"""
# Numerical gradients: the ruler every backward pass is measured with

Training a network means following the gradient of a loss downhill. Backpropagation computes
that gradient exactly and fast, but it is also easy to get wrong: a transposed matrix, a
forgotten factor, a sign. A wrong gradient rarely crashes anything; the network just learns
badly and you will not know why.

The remedy is to compute the same gradient a second, *dumb* way, straight from the definition
of the derivative, and compare. The dumb way is slow (two evaluations of the function per
parameter) but it is hard to get wrong, so it makes an excellent ruler. Every check in this
course, including the ones that grade your later notebooks, is built on the three functions you
write here:

| function | what it does | points |
|---|---|---|
| `numerical_gradient(f, x)` | the gradient of a scalar function by centered differences | 3 |
| `numerical_gradient_upstream(f, x, dout)` | the same for a function with an array output, given an upstream gradient | 3 |
| `relative_error(a, b)` | how far apart two gradients are, independent of their size | 2 |

**How every notebook of the course works.** Each exercise is an answer cell that raises
`NotImplementedError` until you replace that line with your code. The cell under it checks your
answer and, when it is wrong, says which value, where, and the likely mistake. When grading,
hidden tests of the same kind run on other shapes and seeds. Run All stops at the first cell that
raises, usually the first exercise you have not written yet: write it, or carry on from the
next cell with *Run > Run Selected Cell and All Below*. nbgrader's *Validate* button runs the
whole notebook and lists every cell that failed.
""")
    nb.locked("setup", r"""
import os

import matplotlib.pyplot as plt
import numpy as np

from backpropkit.backend import namespace
from backpropkit.gradcheck import SCALE_FLOOR, TINY, every_index, require_float64

QUICK = os.environ.get("BACKPROPKIT_QUICK") == "1"  # smaller runs for continuous integration
%matplotlib inline
""")
    nb.md(r"""
## 1. The derivative as a limit

For a function of one number, the derivative is the slope of the secant as its two points
merge:

$$f'(x) = \lim_{h \to 0} \frac{f(x + h) - f(x)}{h}.$$

On a computer we cannot take the limit, so we pick a small $h$ and stop there. How small, and
which formula? Expand $f$ around $x$ (Taylor):

$$f(x \pm h) = f(x) \pm h f'(x) + \tfrac{h^2}{2} f''(x) \pm \tfrac{h^3}{6} f'''(x) + \dots$$

* The **forward difference** $\dfrac{f(x+h) - f(x)}{h} = f'(x) + \tfrac{h}{2} f''(x) + \dots$
  is off by a term proportional to $h$: error $O(h)$.
* The **centered difference** $\dfrac{f(x+h) - f(x-h)}{2h} = f'(x) + \tfrac{h^2}{6} f'''(x) + \dots$
  cancels the $f''$ term: error $O(h^2)$. Halve $h$ and the error drops four times.

That argues for a tiny $h$, but floating point pushes back: $f(x+h)$ and $f(x-h)$ are each
rounded to about 16 significant digits in float64 (about 7 in float32), and subtracting two
nearly equal numbers keeps only the digits in which they differ. The rounding error of the
quotient grows like $\varepsilon / h$, where $\varepsilon$ is the machine precision. The
picture below measures both effects for $f = \sin$ at $x = 1$.
""")
    nb.code(r"""
def difference_errors(dtype, steps):
    x = dtype(1.0)
    exact = np.cos(1.0)
    forward, centered = [], []
    for h in steps:
        h = dtype(h)
        forward.append(abs(float((np.sin(x + h) - np.sin(x)) / h) - exact))
        centered.append(abs(float((np.sin(x + h) - np.sin(x - h)) / (2 * h)) - exact))
    return np.array(forward), np.array(centered)


steps = np.logspace(-14, -1, 60)
fig, ax = plt.subplots(figsize=(7, 4.5))
for dtype, style in ((np.float64, "-"), (np.float32, ":")):
    forward, centered = difference_errors(dtype, steps)
    name = dtype.__name__
    ax.loglog(steps, np.maximum(forward, 1e-17), style, color="tab:orange", label=f"forward, {name}")
    ax.loglog(steps, np.maximum(centered, 1e-17), style, color="tab:blue", label=f"centered, {name}")
ax.axvline(1e-5, color="gray", lw=0.8)
ax.text(1.3e-5, 1e-11, "h = 1e-5", color="gray")
ax.set_xlabel("step h")
ax.set_ylabel("|numerical - exact| derivative of sin at 1")
ax.set_title("Truncation error falls with h, rounding error grows as h shrinks")
ax.legend(loc="lower left", fontsize=8)
plt.show()
""")
    nb.md(r"""
Read the picture from right to left. For large $h$ the truncation error dominates: slope 1 on
the log-log axes for the forward difference, slope 2 for the centered one. For small $h$ the
rounding error takes over and the curves climb again. In float64 the centered difference is
best around $h \approx 10^{-5}$, where it is accurate to about $10^{-10}$-$10^{-11}$; the forward
difference never does better than about $10^{-8}$. In float32 the best you can get is around
$10^{-5}$, too coarse to tell a correct gradient from a slightly wrong one.

So the rules for gradient checking are: **centered differences, $h = 10^{-5}$, float64**.

## 2. The numerical gradient of a function of an array

A loss depends on whole arrays of weights. Its gradient has one entry per weight: the
derivative with respect to that entry with all others held fixed. So we nudge one entry at a
time, up and down by $h$, evaluate the function twice, and put the centered difference in the
matching entry of the result:

$$\frac{\partial f}{\partial x_{i}} \approx \frac{f(x + h\,e_i) - f(x - h\,e_i)}{2h},$$

where $e_i$ is 1 at entry $i$ and 0 elsewhere. Two practical points:

* perturb `x` **in place** and **restore** the entry afterwards (exactly, by storing the
  original value), so the function always sees the other entries unchanged;
* `x` can have any shape; `every_index(x.shape)` yields every index tuple, like `(2, 0, 1)`.

**Exercise.** Write `numerical_gradient(f, x, h)`.
""")
    nb.answer("numerical_gradient", '''
def numerical_gradient(f, x, h=1e-5):
    """Centered-difference gradient of a scalar function ``f`` at ``x``.

    Shapes: x any shape (float64) -> gradient of the same shape as ``x``.
    ``f(x)`` returns a number. Each element of ``x`` is nudged by +h and -h in place and then
    restored exactly. Costs 2 * x.size evaluations of ``f``.
    """
    require_float64(x, "x")
    xp = namespace(x)
''' + region_of(numerical_gradient) + '''
    return grad
''')
    nb.test("numerical_gradient_public", 0, r"""
from autograder.checks import check_numerical_gradient

check_numerical_gradient(numerical_gradient, (5,), seed=0)
""")
    nb.test("numerical_gradient_graded", 3, r"""
from autograder.checks import check_numerical_gradient

check_numerical_gradient(numerical_gradient, (2, 3), seed=1)
### BEGIN HIDDEN TESTS
check_numerical_gradient(numerical_gradient, (2, 3, 2), seed=17)
check_numerical_gradient(numerical_gradient, (1,), seed=5)
### END HIDDEN TESTS
""")
    nb.md(r"""
## 3. Functions with an array output: the upstream gradient

A layer maps an array to another array: `out = f(x)`. Its backward pass does not return the
whole Jacobian $\partial\,\text{out} / \partial x$ (far too big); it receives the gradient of
the loss with respect to the output, `dout` $= \partial L / \partial\,\text{out}$, and returns
$\partial L / \partial x$. By the chain rule that is the gradient of the scalar

$$g(x) = \sum_{k} f(x)_k \,\text{dout}_k ,$$

because $\partial g / \partial x_i = \sum_k \text{dout}_k\, \partial f(x)_k / \partial x_i$. So
to check a backward pass we take the numerical gradient of $g$, with `dout` a random array of
the output's shape. Subtract the two outputs *before* weighting them with `dout`
(`sum((f(x + h) - f(x - h)) * dout)`) rather than after: the difference of two big sums loses
more digits.

One trap: `f` may return an array that shares memory with `x` (a view); copy each output before
you change `x` again.

**Exercise.** Write `numerical_gradient_upstream(f, x, dout, h)`.
""")
    nb.answer("numerical_gradient_upstream", '''
def numerical_gradient_upstream(f, x, dout, h=1e-5):
    """Centered-difference gradient of ``sum(f(x) * dout)`` with respect to ``x``.

    Shapes: x any shape (float64); f(x) and dout the same shape as each other -> gradient
    shaped like ``x``. Costs 2 * x.size evaluations of ``f``.
    """
    require_float64(x, "x")
    require_float64(dout, "dout")
    xp = namespace(x, dout)
''' + region_of(numerical_gradient_upstream) + '''
    return grad
''')
    nb.test("upstream_public", 0, r"""
from autograder.checks import check_numerical_gradient_upstream

check_numerical_gradient_upstream(numerical_gradient_upstream, (4,), seed=0)
""")
    nb.test("upstream_graded", 3, r"""
from autograder.checks import check_numerical_gradient_upstream

check_numerical_gradient_upstream(numerical_gradient_upstream, (3, 4), seed=2)
### BEGIN HIDDEN TESTS
check_numerical_gradient_upstream(numerical_gradient_upstream, (2, 3, 5), seed=23)
### END HIDDEN TESTS
""")
    nb.md(r"""
## 4. Relative error: how close is close enough?

Two gradients never agree to the last digit, so we need a tolerance, and an absolute one does
not work: a difference of $10^{-4}$ is alarming between gradients of size $10^{-3}$ and
harmless between gradients of size $10^{3}$. Divide by their size instead:

$$\text{rel}(a, b) = \max_i \frac{|a_i - b_i|}{\max(|a_i| + |b_i|,\ s)},
\qquad s = \max\big(10^{-3} \max_j (|a_j| + |b_j|),\ \text{tiny}\big).$$

Taking the maximum rather than the mean means a single wrong entry is not hidden by thousands
of right ones. The floor $s$ of the denominator does two jobs:

* An entry that is tiny next to the others is judged against a thousandth of the array's scale
  (`SCALE_FLOOR` $= 10^{-3}$), not against itself. A numerical gradient carries rounding errors
  of about $10^{-11}$ times the size of the function, whatever the entry: on an entry of
  $10^{-9}$ among entries of size 1 that is 1% of the entry, though the gradient as a whole is
  right to eleven digits.
* `TINY` $= 10^{-12}$ keeps two arrays of exact zeros from giving $0/0$; they count as equal.

This is the one definition of the course. The checks that grade every later notebook judge a
gradient or an output by these errors, element by element (the library's
`relative_error_array`; your `relative_error` returns their maximum), with the same verdict when
you run a check in your notebook, when you run `bpk-grade check`, and when the TA grades. Rough
reading in float64:

| relative error | verdict |
|---|---|
| below $10^{-7}$ | the gradient is right |
| $10^{-7}$ to $10^{-4}$ | suspicious, unless the function has kinks (ReLU, max) near the point |
| above $10^{-4}$ | wrong: look for a transpose, a missing factor, a sign |

The checks pass an output within $10^{-7}$ of the reference, and a gradient within $10^{-6}$ of
the numerical one: a little room for the kinks.

**Exercise.** Write `relative_error(a, b)`; return a Python float.
""")
    nb.answer("relative_error", '''
def relative_error(a, b):
    """The largest elementwise relative error ``|a - b| / max(|a| + |b|, floor)``, as a float.

    ``floor`` is SCALE_FLOOR times the largest ``|a| + |b|``, and at least TINY.
    Shapes: a and b the same (any) shape -> a float. Two exact zeros count as equal.
    """
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    xp = namespace(a, b)
''' + region_of(relative_error) + '''
    return float(worst)
''')
    nb.test("relative_error_public", 0, r"""
from autograder.checks import check_relative_error

check_relative_error(relative_error, seed=0)
""")
    nb.test("relative_error_graded", 2, r"""
from autograder.checks import check_relative_error

check_relative_error(relative_error, seed=3)
### BEGIN HIDDEN TESTS
check_relative_error(relative_error, seed=31)
### END HIDDEN TESTS
""")
    nb.md(r"""
## 5. A gradient check, end to end

Here is the whole procedure on a small function whose gradient we derive by hand:
$f(W) = \sum_{i} \tanh\big((XW)_i\big)$ for a fixed matrix $X$. The chain rule gives
$\nabla_W f = X^\top (1 - \tanh^2(XW))$. Below, a correct analytic gradient and one that forgets
the tanh's local gradient (a broken link in the chain rule) are both compared with your
numerical gradient.
""")
    nb.code(r"""
rng = np.random.default_rng(0)
X = rng.standard_normal((5, 4))
W = rng.standard_normal((4, 3))


def f(W):
    return np.sum(np.tanh(X @ W))


def gradient_right(W):
    return X.T @ (1 - np.tanh(X @ W) ** 2)


def gradient_wrong(W):  # forgets the local gradient of tanh: a broken link in the chain rule
    return X.T @ np.ones((5, 3))


numerical = numerical_gradient(f, W.copy())
print(f"right gradient: relative error {relative_error(gradient_right(W), numerical):.1e}")
print(f"wrong gradient: relative error {relative_error(gradient_wrong(W), numerical):.1e}")
""")
    nb.md(r"""
The right gradient agrees to about ten digits; the wrong one is off in the first. That is
the size of the gap you should expect: real mistakes are not subtle in relative error.

## 6. What it costs, and what the library does for big arrays

Your `numerical_gradient` evaluates `f` twice per entry of `x`. For a layer with a million
weights that is two million forward passes: fine for a test on a tiny layer, hopeless for a
real network. That is exactly why we use backpropagation for training and numerical gradients
only for checking, on small inputs. For larger arrays the library (`backpropkit.gradcheck`)
also offers two cheaper variants: checking a random sample of entries, and comparing the
*directional* derivative along a few random directions $u$, which needs two evaluations per
direction: $(f(x + hu) - f(x - hu)) / 2h \approx \langle \nabla f(x), u\rangle$.

From the next notebook on, every backward pass you write is checked this way.
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

**Question 1 (3 points).** A classmate runs the gradient check of section 2 with every array in
float32 on a backward pass you know is correct, and sees relative errors between $10^{-4}$ and
$10^{-2}$. Making $h$ smaller makes them *worse*. Explain (a) the two errors of a centered
difference and how each depends on $h$, (b) why a smaller $h$ hurt, and why float32 reaches this
wall so much earlier than float64, and (c) how the check should be run instead.
""")
    nb.written("float32_gradient_check", 3, r"""
**Model answer.** (a) The *truncation* error of the centered difference is about
$\tfrac{h^2}{6} |f^{(3)}|$: it shrinks as $h$ shrinks. The *rounding* error comes from subtracting
two nearly equal values $f(x+h)$ and $f(x-h)$, each rounded to the machine precision
$\varepsilon$: about $\varepsilon |f| / h$, which grows as $h$ shrinks. (b) Below the best step,
rounding dominates, so a smaller $h$ only adds error. The best $h$ balances the two, near
$\varepsilon^{1/3}$, with an error near $\varepsilon^{2/3}$. In float32
$\varepsilon \approx 1.2\cdot 10^{-7}$ (about 7 digits): the best error is around $10^{-5}$, and at
$h = 10^{-5}$ the rounding alone is about $\varepsilon/h \approx 10^{-2}$. In float64
$\varepsilon \approx 2.2\cdot 10^{-16}$, so the same check reaches $10^{-10}$ or better. A float32
check cannot tell a correct gradient from one that is slightly wrong. (c) Check in float64 (cast
the inputs), with centered differences and $h \approx 10^{-5}$; float32 is for training speed, not
for checking.

**Rubric (3 points).** 1 point: both errors named with their dependence on $h$ (truncation
$\propto h^2$, rounding $\propto \varepsilon/h$). 1 point: small $h$ makes rounding dominate, and
float32's $\varepsilon$ is about $5\cdot 10^8$ times larger than float64's, so its floor is near
$10^{-5}$ or worse. 1 point: the remedy (float64, centered, $h \approx 10^{-5}$). Half a point off
for an answer that blames "float32 bugs" without the rounding argument.
""")


# --------------------------------------------------------------------------------------------
# 2_autograd.ipynb
# --------------------------------------------------------------------------------------------


def value_class_source() -> str:
    """The library's Value class, solution regions included, with the notebook's imports."""
    return "from __future__ import annotations\n\n\n" + library_source(autograd.Value)


def autograd_notebook() -> Notebook:
    nb = Notebook()
    nb.md(r"""
# Computational graphs and a tiny autograd

Any formula a computer evaluates is a sequence of small steps: additions, multiplications,
exponentials. Drawn as a graph, each step is a node whose inputs are arrows from earlier nodes.
Backpropagation walks this graph backwards and needs only one fact per node: the derivative of
its output with respect to each of its inputs (its *local gradient*). The chain rule stitches
the local gradients together.

In this notebook you work the chain rule by hand on the graph of the lecture, recognise the
patterns that make gradients easy to reason about, and then build a scalar automatic
differentiation engine, `Value`, in about forty lines: the same idea that PyTorch and JAX
implement for whole arrays.

| what you write | points |
|---|---|
| the backward rule of each operation of `Value` (`+`, `*`, `**`, `exp`, `tanh`, `sigmoid`, `relu`) | 4 |
| `Value.backward`: the traversal of the graph | 3 |
| the lecture example through your `Value` | 1 |
""")
    nb.locked("setup", r"""
import math
import os
from numbers import Real
from typing import Callable, Union

import matplotlib.pyplot as plt
import numpy as np

Number = Union[int, float]
QUICK = os.environ.get("BACKPROPKIT_QUICK") == "1"  # smaller runs for continuous integration
%matplotlib inline
""")
    nb.md(r"""
## 1. The chain rule on a graph

Take $f(x, y, z) = (x + y)\,z$ at $x = -2$, $y = 5$, $z = -4$. Name the intermediate result
$q = x + y$, so $f = q z$.

**Forward**, from inputs to output: $q = 3$, $f = -12$.

**Backward**, from output to inputs, one node at a time. Start with
$\partial f / \partial f = 1$. The multiply node has local gradients
$\partial f / \partial q = z = -4$ and $\partial f / \partial z = q = 3$. The add node has local
gradients $\partial q / \partial x = \partial q / \partial y = 1$, and the chain rule multiplies
what arrives from above (the *upstream* gradient) by the local gradient:

$$\frac{\partial f}{\partial x} = \underbrace{\frac{\partial f}{\partial q}}_{\text{upstream}}\;\underbrace{\frac{\partial q}{\partial x}}_{\text{local}} = -4 \cdot 1 = -4, \qquad \frac{\partial f}{\partial y} = -4, \qquad \frac{\partial f}{\partial z} = 3.$$

Each node needs to know nothing about the rest of the graph: it takes the upstream gradient,
multiplies by its own local gradient, and passes the result to its inputs.

## 2. Patterns that make it easy

A few gates appear everywhere, and each has a simple behaviour in the backward pass:

* **add** distributes: both inputs receive the upstream gradient unchanged;
* **multiply** swaps: each input receives the upstream gradient times the *other* input;
* **max** routes: the larger input receives the whole upstream gradient, the other gets 0;
* **a fork** (one value used in two places) sums: its gradient is the sum of the gradients
  flowing back along each use. This is the multivariate chain rule,
  $\frac{\partial f}{\partial x} = \sum_j \frac{\partial f}{\partial u_j}\frac{\partial u_j}{\partial x}$.

The cell below checks each pattern numerically on plain Python numbers.
""")
    nb.code(r"""
def slope(function, point, index, h=1e-6):
    # Centered difference of function(*point) with respect to argument number `index`.
    up, down = list(point), list(point)
    up[index] += h
    down[index] -= h
    return (function(*up) - function(*down)) / (2 * h)


upstream = 2.0
patterns = {
    "add:      g = upstream * (a + b)": (lambda a, b: upstream * (a + b), "both get 2.0"),
    "multiply: g = upstream * (a * b)": (lambda a, b: upstream * (a * b), "a gets 2*b = -6, b gets 2*a = 8"),
    "max:      g = upstream * max(a, b)": (lambda a, b: upstream * max(a, b), "the larger (a) gets 2.0, b gets 0"),
    "fork:     g = upstream * (a * a + a)": (lambda a, b: upstream * (a * a + a), "a gets 2*(2a + 1) = 18, b 0"),
}
for name, (function, expected) in patterns.items():
    da, db = slope(function, (4.0, -3.0), 0), slope(function, (4.0, -3.0), 1)
    print(f"{name}   da = {da:6.2f}, db = {db:6.2f}   ({expected})")
""")
    nb.md(r"""
## 3. The sigmoid gate

The sigmoid $\sigma(x) = \dfrac{1}{1 + e^{-x}}$ could be built from four gates (negate, exp,
add 1, reciprocal) and backpropagated through each. But its derivative has a neat closed form,

$$\sigma'(x) = \frac{e^{-x}}{(1 + e^{-x})^2} = \sigma(x)\,\big(1 - \sigma(x)\big),$$

so it can be one node whose local gradient only needs its own output. The lecture's neuron
$f(w, x) = \sigma(w_0 x_0 + w_1 x_1 + w_2)$ at $w = (2, -3, -3)$, $x = (-1, -2)$ has input
$1$ to the sigmoid, output $\sigma(1) \approx 0.73$ and local gradient
$0.73 \cdot 0.27 \approx 0.20$. Everything below the sigmoid is adds and multiplies, so
$\partial f / \partial x_0 = w_0 \cdot 0.20 \approx 0.39$, $\partial f / \partial w_0 = x_0 \cdot 0.20 \approx -0.20$,
and so on. You will reproduce these numbers with your `Value` below.

## 4. A tiny autograd: `Value`

A `Value` holds one number (`data`), the gradient of the final output with respect to it
(`grad`), the nodes it was computed from (`children`), and a function `_backward` that, once
`out.grad` is known, adds each child's share: upstream times local gradient. Gradients are
*added* (`+=`), never assigned: that is the fork rule, and it is what makes a node used twice
come out right.

`backward()` on the output then has to call every node's `_backward` in the right order: a node
may pass its gradient on only after *every* node that uses it has added its contribution. A
**topological order** (each node after all of its children) read in reverse guarantees that.
Build it with a depth-first search: visit the children first, then append the node.

**Exercise.** Fill in every `_backward` rule and the traversal in `backward()`. The arithmetic
operators that are not listed (`-`, `/`, negation, and the reflected versions such as `2 * x`)
are built from `+`, `*` and `**`, so they need no rule of their own.
""")
    nb.answer("value", value_class_source() + r'''


def as_value(x):
    """``x`` itself when it is a Value, else a new leaf holding the number ``x``."""
    return x if isinstance(x, Value) else Value(x)
''')
    nb.test("value_public", 0, r"""
from autograder.checks import check_value_lecture_example, check_value_rules

check_value_rules(Value, seed=0)
check_value_lecture_example(Value)
""")
    nb.test("value_rules_graded", 4, r"""
from autograder.checks import check_value_rules

check_value_rules(Value, seed=1)
### BEGIN HIDDEN TESTS
check_value_rules(Value, seed=12)
### END HIDDEN TESTS
""")
    nb.test("value_backward_graded", 3, r"""
from autograder.checks import check_value_backward

check_value_backward(Value, seed=0)
### BEGIN HIDDEN TESTS
from autograder.checks import check_value_operators

check_value_backward(Value, seed=9)
check_value_operators(Value, seed=9)
### END HIDDEN TESTS
""")
    nb.test("value_lecture_example_graded", 1, r"""
from autograder.checks import check_value_lecture_example

check_value_lecture_example(Value)
""")
    nb.md(r"""
## 5. Seeing the graph

The function below draws the graph behind a `Value`: one box per node with its operation, its
value and its gradient, arrows from inputs to outputs. Here is the lecture's example after
`backward()`.
""")
    nb.locked("draw_graph", r'''
def draw_graph(output, ax=None):
    """Draw the computational graph that produced ``output``: op, data and grad in each box."""
    depth, order = {}, []

    def visit(node):
        if id(node) in depth:
            return depth[id(node)]
        depth[id(node)] = 1 + max((visit(child) for child in node.children), default=-1)
        order.append(node)
        return depth[id(node)]

    visit(output)
    columns = {}
    for node in order:
        columns.setdefault(depth[id(node)], []).append(node)
    place = {}
    for column, nodes in columns.items():
        for row, node in enumerate(nodes):
            place[id(node)] = (column, row - (len(nodes) - 1) / 2)
    ax = ax or plt.subplots(figsize=(2.2 * (len(columns) + 1), 1.4 * max(map(len, columns.values())) + 1.5))[1]
    for node in order:
        for child in node.children:
            ax.annotate("", xy=place[id(node)], xytext=place[id(child)],
                        arrowprops=dict(arrowstyle="->", color="gray", shrinkA=28, shrinkB=28))
    for node in order:
        x, y = place[id(node)]
        name = node.label or node.op or "input"
        ax.text(x, y, f"{name}\ndata {node.data:.3g}\ngrad {node.grad:.3g}", ha="center", va="center",
                fontsize=9, bbox=dict(boxstyle="round", facecolor="#e8f0fe" if node.children else "#fff4d6"))
    ax.set_xlim(-0.7, max(columns) + 0.7)
    ax.set_ylim(-1 - max(map(len, columns.values())) / 2, 1 + max(map(len, columns.values())) / 2)
    ax.axis("off")
    return ax


x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
q = x + y
q.label = "q = x + y"
f = q * z
f.label = "f = q * z"
f.backward()
draw_graph(f)
plt.show()
''')
    nb.md(r"""
And the lecture's sigmoid neuron, once with the sigmoid as a single node and once built from
elementary gates: the gradients agree, the first graph is just smaller.
""")
    nb.code(r"""
w0, w1, w2 = Value(2.0, label="w0"), Value(-3.0, label="w1"), Value(-3.0, label="w2")
x0, x1 = Value(-1.0, label="x0"), Value(-2.0, label="x1")
neuron = (w0 * x0 + w1 * x1 + w2).sigmoid()
neuron.backward()
print(f"output {neuron.data:.3f}")
print(f"gradients: x0 {x0.grad:.3f}, x1 {x1.grad:.3f}, w0 {w0.grad:.3f}, w1 {w1.grad:.3f}, w2 {w2.grad:.3f}")
single = [x0.grad, x1.grad, w0.grad, w1.grad, w2.grad]

gates = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
gates.backward()
print("built from gates, same gradients:", np.allclose(single, [x0.grad, x1.grad, w0.grad, w1.grad, w2.grad]))
draw_graph(neuron)
plt.show()
""")
    nb.md(r"""
## 6. Training with your autograd

With `Value`, gradient descent needs no derivative written by hand: build the loss from the
parameters, call `backward()`, and step each parameter against its `grad`. Below, one sigmoid
neuron learns to separate two clouds of points. A classifier with a probability output would
normally minimize the logistic loss $-\frac{1}{N}\sum_i \big[y_i \log p_i + (1 - y_i)\log(1 - p_i)\big]$,
but `Value` has no `log`, so this neuron minimizes the mean squared error of its probability,
$\frac{1}{N}\sum_i (p_i - y_i)^2$, which also pulls each $p_i$ towards its label. Every scalar
operation creates a node, so this is slow (the array version in later notebooks does the same work
in a few matrix products), but every gradient comes from your code.

No gradient is zeroed in the loop: `backward()` clears the `grad` of every node in the graph before
filling it, so each step starts from zero. (PyTorch's `backward` *adds* to the existing gradients
instead, which is why its training loops call `zero_grad()` first.)
""")
    nb.code(r"""
rng = np.random.default_rng(1)
num_points = 20 if QUICK else 40
points = np.concatenate([rng.normal(-1.0, 0.8, (num_points // 2, 2)), rng.normal(1.0, 0.8, (num_points // 2, 2))])
labels = np.array([0.0] * (num_points // 2) + [1.0] * (num_points // 2))

a, b, c = Value(0.0, label="a"), Value(0.0, label="b"), Value(0.0, label="c")
learning_rate = 2.0
losses = []
for step in range(20 if QUICK else 80):
    loss = Value(0.0)
    for (p0, p1), label in zip(points, labels):
        prob = (a * float(p0) + b * float(p1) + c).sigmoid()
        loss = loss + (prob - label) ** 2
    loss = loss / num_points
    loss.backward()  # clears every grad in the graph (a, b and c included), then fills them in
    for parameter in (a, b, c):
        parameter.data -= learning_rate * parameter.grad
    losses.append(loss.data)

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
left.plot(losses)
left.set_xlabel("step")
left.set_ylabel("mean squared error")
left.set_title("Loss, with every gradient from your Value")
right.scatter(points[:, 0], points[:, 1], c=labels, cmap="coolwarm", edgecolors="k")
line = np.linspace(-3, 3, 2)
right.plot(line, -(a.data * line + c.data) / b.data, "k--", label="a x + b y + c = 0")
right.set_xlim(-3, 3)
right.set_ylim(-3, 3)
right.legend()
right.set_title("The learned boundary")
plt.show()
""")
    nb.md(r"""
To train it on the logistic loss instead, add a `log` operation to `Value` (local gradient
$1/a$): a good way to test your understanding.
""")
    return nb


def main(folder: Path = ASSIGNMENT) -> int:
    """Write this assignment's solution notebooks into ``folder``."""
    write_notebooks(__file__, folder, {
        "1_gradients.ipynb": gradients_notebook,
        "2_autograd.ipynb": autograd_notebook,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
