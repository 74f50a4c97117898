"""Build the nbgrader source notebooks of assignment 06_convnets.

    python tools/notebooks/06_convnets.py

writes solutions/06_convnets/1_conv_pool.ipynb and 2_convnet.ipynb with outputs cleared. Answer
cells take their code from the library, so their solution regions equal the library's.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nbcells import REPOSITORY, Notebook, library_source, write_notebooks

from backpropkit.layers import conv, pool

ASSIGNMENT = REPOSITORY / "solutions" / "06_convnets"

# The answer cells of 1_conv_pool.ipynb use these helpers; 2_convnet.ipynb runs this same cell
# before it replays those answers, so the two notebooks cannot disagree about it.
CONV_POOL_SETUP = r"""
import os

import matplotlib.pyplot as plt
import numpy as np

from backpropkit.backend import Array, check_array, device_of, namespace
from backpropkit.layers._checks import check_upstream
from backpropkit.layers.conv import check_conv_inputs, conv_output_shape, zero_pad
from backpropkit.layers.pool import pool_output_shape

QUICK = os.environ.get("BACKPROPKIT_QUICK") == "1"  # smaller runs for continuous integration
"""


def conv_pool_notebook() -> Notebook:
    nb = Notebook()
    nb.md(r"""
    # Convolution and max pooling, forward and backward

    A fully connected layer treats an image as a flat list of numbers. Even an 8×8 digit has 64
    inputs, and a 224×224 colour photograph has 150,528: a hidden layer of 1,000 units on such a
    photograph needs 150 million weights, each learned separately, and it learns nothing it could
    reuse when the object moves by one pixel.

    Images have structure that a better layer can exploit:

    * **Locality.** Edges, corners and strokes are made of nearby pixels. A unit can look at a small
      window (its *receptive field*) instead of the whole image.
    * **Stationarity.** A detector for a vertical edge is as useful in the top-left corner as in the
      middle. So every position can use the *same* weights: **parameter sharing**.

    A unit that computes $w \cdot x + b$ on a window, slid over all positions with the same $w$, is
    a **convolution** (strictly a cross-correlation, which is what every deep-learning library calls
    convolution). Stacking a few of them, with **max pooling** in between to shrink the maps and
    tolerate small shifts, gives the convolutional network.

    You write four functions, with plain loops: `conv_forward_naive`, `conv_backward_naive`,
    `max_pool_forward_naive` and `max_pool_backward_naive`. The next notebook checks the library's
    fast versions against yours and trains a convnet.
    """)
    nb.locked("setup", CONV_POOL_SETUP)
    nb.md(r"""
    ## 1. The convolution layer

    Shapes follow the convention of every course and library: a batch of images `x` is
    $(N, C, H, W)$ (examples, channels, height, width) and a bank of filters `w` is
    $(F, C, HH, WW)$: $F$ filters, each spanning all $C$ input channels of an $HH \times WW$
    window, plus one bias per filter, `b` of shape $(F,)$. The input is first surrounded by `pad`
    rows and columns of zeros; the window then moves `stride` pixels at a time. Writing $\tilde x$
    for the padded input and $s$ for the stride, output channel $f$ at position $(i, j)$ is

    $$\text{out}[n, f, i, j] = b_f + \sum_{c=0}^{C-1} \sum_{k=0}^{HH-1} \sum_{l=0}^{WW-1}
    \tilde x[n, c,\; i s + k,\; j s + l]\; w[f, c, k, l].$$

    The output has $F$ channels and spatial size

    $$H' = 1 + \frac{H + 2\,\text{pad} - HH}{\text{stride}}, \qquad
    W' = 1 + \frac{W + 2\,\text{pad} - WW}{\text{stride}} .$$

    Both must be whole numbers, or the windows do not tile the input. For an 8×8 digit and a 3×3
    filter: `pad=1, stride=1` keeps 8×8 ("same" padding, $\text{pad} = (HH-1)/2$); `pad=0, stride=1`
    gives 6×6; `pad=1, stride=2` gives $1 + 7/2$, which does not fit. The library's
    `conv_output_shape` checks this and says which size fails:
    """)
    nb.code(r"""
print(conv_output_shape((1, 1, 8, 8), (4, 1, 3, 3), stride=1, pad=1))
print(conv_output_shape((1, 1, 8, 8), (4, 1, 3, 3), stride=1, pad=0))
try:
    conv_output_shape((1, 1, 8, 8), (4, 1, 3, 3), stride=2, pad=1)
except ValueError as error:
    print("ValueError:", error)
""")
    nb.md(r"""
    **Exercise.** Implement the region of `conv_forward_naive`. The geometry is checked for you and
    `zero_pad(x, pad)` pads the input. Loops over examples, filters and output positions are
    expected here; inside them, one window times one filter, summed, is one output value.
    Create new arrays with `device=device_of(x)` so the same code runs on a GPU.
    """)
    nb.answer("conv_forward_naive", library_source(conv.conv_forward_naive))
    nb.md("The public check compares your output with SciPy's `correlate` on a small batch.")
    nb.locked("conv_forward_public", r"""
from autograder.checks import check_conv_forward

check_conv_forward(conv_forward_naive, x_shape=(2, 3, 5, 5), w_shape=(4, 3, 3, 3), stride=1, pad=1, seed=0)
""")
    nb.test("conv_forward_hidden", 3, r"""
from autograder.checks import check_conv_forward

### BEGIN HIDDEN TESTS
check_conv_forward(conv_forward_naive, x_shape=(3, 2, 7, 5), w_shape=(2, 2, 3, 1), stride=2, pad=1, seed=31)
check_conv_forward(conv_forward_naive, x_shape=(1, 1, 6, 6), w_shape=(3, 1, 2, 2), stride=2, pad=0, seed=32)
check_conv_forward(conv_forward_naive, x_shape=(2, 3, 4, 4), w_shape=(2, 3, 4, 4), stride=1, pad=2, seed=33)
### END HIDDEN TESTS
""")
    nb.md(r"""
    ### What a filter sees

    Before any learning, hand-made filters show what a convolution does. The difference of
    neighbouring columns responds to vertical strokes, the difference of neighbouring rows to
    horizontal strokes, and a constant filter blurs. Below they run through *your*
    `conv_forward_naive` on a few digits. The edge filters respond with a sign: red where the image
    gets brighter from left to right (or top to bottom), blue where it gets darker.
    """)
    nb.code(r"""
from backpropkit.data import load_digits

digits = load_digits(flatten=False, seed=0)
images = digits.X_train[:4] - digits.X_train.min()  # (4, 1, 8, 8), background 0 like the zero padding

filters = np.zeros((3, 1, 3, 3))
filters[0, 0] = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]  # vertical strokes (Sobel)
filters[1, 0] = filters[0, 0].T                       # horizontal strokes
filters[2, 0] = 1 / 9                                 # blur
feature_maps, _ = conv_forward_naive(images, filters, np.zeros(3), stride=1, pad=1)

fig, axes = plt.subplots(4, 4, figsize=(6, 6))
for row in range(4):
    panels = [images[row, 0]] + [feature_maps[row, f] for f in range(3)]
    for ax, panel, title in zip(axes[row], panels, ["digit", "vertical", "horizontal", "blur"]):
        if title in ("vertical", "horizontal"):  # signed responses: red and blue are edges of opposite direction
            limit = np.abs(panel).max()
            ax.imshow(panel, cmap="RdBu_r", vmin=-limit, vmax=limit)
        else:
            ax.imshow(panel, cmap="gray")
        ax.set_xticks([]); ax.set_yticks([])
        if row == 0:
            ax.set_title(title)
fig.suptitle("Hand-made 3x3 filters through conv_forward_naive")
plt.show()
""")
    nb.md(r"""
    ## 2. The convolution backward pass

    Every output value is a sum of products $\tilde x \cdot w$ plus a bias, so each factor receives
    the upstream gradient times the other factor, and shared weights *add up* the gradients from
    every position they were used at (the multivariate chain rule: a fork sums its branches).
    With $d$ standing for $\partial L / \partial(\cdot)$:

    $$db_f = \sum_{n, i, j} d\text{out}[n, f, i, j]$$

    $$dw[f, c, k, l] = \sum_{n, i, j} d\text{out}[n, f, i, j]\;\tilde x[n, c,\; i s + k,\; j s + l]$$

    $$d\tilde x[n, c,\; i s + k,\; j s + l] \mathrel{+}= d\text{out}[n, f, i, j]\; w[f, c, k, l]
    \quad\text{for every } f, i, j, k, l .$$

    The `+=` matters: when `stride` is smaller than the filter, windows overlap and one input pixel
    feeds several outputs. Finally, $dx$ is $d\tilde x$ with the padding cut off (padded zeros are
    constants; their gradient goes nowhere).

    A convenient way to write the loop: for each output position, take the same window the forward
    pass used and push `dout[n, f, i, j]` back into `dw[f]` (times the window) and into the window of
    `dx_padded` (times `w[f]`).

    **Exercise.** Implement the region of `conv_backward_naive`.
    """)
    nb.answer("conv_backward_naive", library_source(conv.conv_backward_naive))
    nb.md(r"""
    The check runs your forward pass, sends a random upstream gradient through your backward pass,
    and compares `dx`, `dw` and `db` with centered differences of your forward pass.
    """)
    nb.locked("conv_backward_public", r"""
from autograder.checks import check_conv_backward

check_conv_backward(conv_forward_naive, conv_backward_naive, x_shape=(2, 3, 5, 5), w_shape=(4, 3, 3, 3), stride=1, pad=1, seed=0)
""")
    nb.test("conv_backward_hidden", 4, r"""
from autograder.checks import check_conv_backward

### BEGIN HIDDEN TESTS
check_conv_backward(conv_forward_naive, conv_backward_naive, x_shape=(2, 2, 7, 5), w_shape=(3, 2, 3, 3), stride=2, pad=1, seed=41)
check_conv_backward(conv_forward_naive, conv_backward_naive, x_shape=(1, 3, 4, 6), w_shape=(2, 3, 2, 4), stride=1, pad=0, seed=42)
check_conv_backward(conv_forward_naive, conv_backward_naive, x_shape=(2, 1, 3, 3), w_shape=(2, 1, 3, 3), stride=1, pad=2, seed=43)
### END HIDDEN TESTS
""")
    nb.md(r"""
    ## 3. Parameter sharing and receptive fields

    **Parameters.** A 3×3 convolution from $C$ to $F$ channels has $F(9C + 1)$ parameters, whatever
    the image size. A fully connected layer producing the same number of outputs from the same
    input needs one weight per (input, output) pair:
    """)
    nb.code(r"""
def conv_parameters(channels_in, channels_out, kernel):
    return channels_out * (channels_in * kernel * kernel + 1)

def dense_parameters(inputs, outputs):
    return (inputs + 1) * outputs

for height, channels_in, channels_out in [(8, 1, 16), (32, 3, 32), (224, 3, 64)]:
    conv_count = conv_parameters(channels_in, channels_out, 3)
    dense_count = dense_parameters(channels_in * height * height, channels_out * height * height)
    print(f"{height:>3}x{height:<3} image, {channels_in} -> {channels_out} channels: conv 3x3 {conv_count:>9,} "
          f"parameters, fully connected {dense_count:>17,} ({dense_count / conv_count:,.0f}x more)")
""")
    nb.md(r"""
    **Receptive field.** One output of a 3×3 convolution depends on a 3×3 patch of its input. Stack
    a second 3×3 convolution on it and each of its outputs sees 3×3 outputs of the first, which
    together cover 5×5 input pixels. In general, layer $L$ with kernel $k_L$ on top of layers with
    strides $s_1, \dots, s_{L-1}$ has receptive field

    $$r_L = r_{L-1} + (k_L - 1) \prod_{i < L} s_i, \qquad r_0 = 1 .$$

    Strides (and pooling) make the field grow much faster. Your backward pass can *show* the
    receptive field: the input pixels that can influence one output are exactly those where the
    gradient of that output is nonzero. Below, a gradient of 1 at the centre output of a stack of
    3×3 convolutions (all weights 1, so nothing cancels) is sent back to the input.
    """)
    nb.code(r"""
def receptive_field(strides, size=17):
    # Forward through a stack of 3x3 convolutions with weights 1, then backward from one output.
    activations, caches = np.zeros((1, 1, size, size)), []
    for stride in strides:
        activations, cache = conv_forward_naive(activations, np.ones((1, 1, 3, 3)), np.zeros(1), stride=stride, pad=1)
        caches.append(cache)
    grad = np.zeros_like(activations)
    centre = activations.shape[-1] // 2
    grad[0, 0, centre, centre] = 1.0
    for cache in reversed(caches):
        grad, _, _ = conv_backward_naive(grad, cache)
    return grad[0, 0]

stacks = {"one 3x3": [1], "two 3x3": [1, 1], "three 3x3": [1, 1, 1], "3x3 stride 2, then two 3x3": [2, 1, 1]}
fig, axes = plt.subplots(1, len(stacks), figsize=(12, 3.4))
for ax, (title, strides) in zip(axes, stacks.items()):
    field = receptive_field(strides)
    rows = np.flatnonzero(field.any(axis=1))
    ax.imshow(field, cmap="Blues", vmin=0)
    ax.set_title(f"{title}\nfield {rows[-1] - rows[0] + 1}x{rows[-1] - rows[0] + 1}")
    ax.set_xticks([]); ax.set_yticks([])
fig.suptitle("Gradient of one output with respect to a 17x17 input (darker: more paths)")
plt.show()
""")
    nb.md(r"""
    The fields are 3, 5 and 7 pixels wide for one, two and three stride-1 layers: each layer adds
    $k - 1 = 2$. With a stride of 2 in the first layer, the next two layers each add $2 \cdot 2 = 4$,
    giving $3 + 4 + 4 = 11$. The shading shows the number of paths from each input pixel to the
    output: pixels near the centre of the field reach it through many windows, those at the edge
    through one, so the centre of a receptive field has the most influence.

    ## 4. Max pooling

    Max pooling slides a window over each channel separately and keeps the largest value. With a
    window of $p_h \times p_w$ pixels (`pool_height` × `pool_width`) moved by $s$ (`stride`):

    $$\text{out}[n, c, i, j] = \max_{0 \le k < p_h,\; 0 \le l < p_w}
    x[n, c,\; i s + k,\; j s + l], \qquad
    H' = 1 + \frac{H - p_h}{s}, \qquad W' = 1 + \frac{W - p_w}{s} .$$

    It has no parameters. It shrinks the maps (2×2 windows with stride 2 keep a quarter of the
    values), so later layers see a larger part of the image at lower cost, and a feature that moves
    by a pixel inside a window gives the same output: a little tolerance to small shifts.

    **Backward: max routes the gradient.** The max of several inputs has derivative 1 with respect
    to the input that achieved it and 0 for the others, so each window sends its whole upstream
    gradient to its argmax, and every other input of the window gets nothing from it. When windows
    overlap, an input that wins in several windows collects all of those gradients (`+=` again).

    **Ties.** After a ReLU many values are exactly 0, so ties inside a window are common. The max is
    then not differentiable, and any split of the gradient among the tied inputs is a valid
    subgradient; this course (like the library's fast layer) routes the *whole* gradient to the
    *first* maximum in row-major order of the window, which is what `argmax` returns.

    **Exercise.** Implement the regions of `max_pool_forward_naive` and `max_pool_backward_naive`.
    """)
    nb.answer("max_pool_forward_naive", library_source(pool.max_pool_forward_naive))
    nb.answer("max_pool_backward_naive", library_source(pool.max_pool_backward_naive))
    nb.locked("pool_public", r"""
from autograder.checks import check_pool_backward, check_pool_forward, check_pool_ties

check_pool_forward(max_pool_forward_naive, x_shape=(2, 3, 4, 4), pool_height=2, pool_width=2, stride=2, seed=0)
check_pool_backward(max_pool_forward_naive, max_pool_backward_naive, x_shape=(2, 3, 4, 4), pool_height=2, pool_width=2, stride=2, seed=0)
check_pool_ties(max_pool_forward_naive, max_pool_backward_naive, pool_height=2, pool_width=2, stride=2)
""")
    nb.test("pool_forward_hidden", 2, r"""
from autograder.checks import check_pool_forward

### BEGIN HIDDEN TESTS
check_pool_forward(max_pool_forward_naive, x_shape=(3, 2, 6, 8), pool_height=3, pool_width=2, stride=1, seed=51)
check_pool_forward(max_pool_forward_naive, x_shape=(1, 4, 9, 9), pool_height=3, pool_width=3, stride=3, seed=52)
### END HIDDEN TESTS
""")
    nb.test("pool_backward_hidden", 3, r"""
from autograder.checks import check_pool_backward, check_pool_ties

### BEGIN HIDDEN TESTS
check_pool_backward(max_pool_forward_naive, max_pool_backward_naive, x_shape=(2, 2, 5, 7), pool_height=3, pool_width=3, stride=2, seed=53)
check_pool_backward(max_pool_forward_naive, max_pool_backward_naive, x_shape=(3, 1, 6, 4), pool_height=2, pool_width=2, stride=2, seed=54)
check_pool_ties(max_pool_forward_naive, max_pool_backward_naive, pool_height=3, pool_width=3, stride=3)
check_pool_ties(max_pool_forward_naive, max_pool_backward_naive, pool_height=3, pool_width=2, stride=1)
### END HIDDEN TESTS
""")
    nb.md(r"""
    Where does the gradient go? Below, a 4×4 input with 2×2 windows; the upstream gradient is 1 for
    every window. The bottom-right window holds a tie (two zeros, as after a ReLU): the whole
    gradient goes to the first one.
    """)
    nb.code(r"""
x = np.array([[1.0, 3.0, 2.0, 1.0],
              [4.0, 2.0, 0.5, 5.0],
              [0.0, 1.0, 0.0, -1.0],
              [2.0, 1.5, 0.0, -2.0]]).reshape(1, 1, 4, 4)
out, cache = max_pool_forward_naive(x, pool_height=2, pool_width=2, stride=2)
dx = max_pool_backward_naive(np.ones_like(out), cache)
print("input:\n", x[0, 0])
print("max pool output:\n", out[0, 0])
print("gradient reaching the input (upstream 1 everywhere):\n", dx[0, 0])
""")
    nb.md(r"""
    ## What's next

    Your loops are correct but slow: Python visits every output value one at a time. The next
    notebook, `2_convnet.ipynb`, checks the library's fast convolution and pooling against your loops,
    measures the difference, and trains a small convnet on the digits.
    """)
    return nb


def convnet_notebook() -> Notebook:
    nb = Notebook()
    nb.md(r"""
    # Fast layers and a small convnet

    Your loops in `1_conv_pool.ipynb` compute one output value per Python iteration. A convnet on even
    the small 8×8 digits evaluates hundreds of thousands of them per epoch, so training with loops
    would take minutes per epoch. The library's fast layers compute exactly the same numbers with a
    few large array operations. This notebook

    1. explains the trick behind the fast convolution (**im2col**: the convolution as one matrix
       product),
    2. checks the fast layers against *your* loops and times them side by side,
    3. trains a small convnet on the digits and looks inside it: the learned filters and the
       feature maps of one digit.

    Nothing here is graded: it runs on your answers from `1_conv_pool.ipynb`.
    """)
    nb.locked("setup", CONV_POOL_SETUP + r"""
import time

from backpropkit.layers import conv_backward_fast, conv_forward_fast, max_pool_backward_fast, max_pool_forward_fast
""")
    nb.md(r"""
    ## 1. Your loops, brought over

    The next cell runs the first code cell (the imports) and your answer cells of `1_conv_pool.ipynb`,
    and nothing else from it, so that your four functions are defined here too. If you change them
    there, save that notebook and run this cell again. Should it not find `1_conv_pool.ipynb` next to
    this notebook, the library's loops stand in for yours; the table says which ran.
    """)
    nb.locked("load_answers", r"""
from backpropkit.layers import conv, pool
from backpropkit.notebooks import answers_from

yours = answers_from("1_conv_pool.ipynb")
conv_forward_naive = yours.get("conv_forward_naive", conv.conv_forward_naive)
conv_backward_naive = yours.get("conv_backward_naive", conv.conv_backward_naive)
max_pool_forward_naive = yours.get("max_pool_forward_naive", pool.max_pool_forward_naive)
max_pool_backward_naive = yours.get("max_pool_backward_naive", pool.max_pool_backward_naive)
for name in ["conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive"]:
    print(f"{name:<24} {'yours' if name in yours else 'library'}")
""")
    nb.md(r"""
    ## 2. Convolution as one matrix product

    Take every window the filter visits, flatten it into a column of length $C \cdot HH \cdot WW$,
    and put the columns of all $N H' W'$ output positions side by side: that is the matrix
    $X_\text{col}$, of shape $(C\,HH\,WW,\; N H' W')$. Flatten each filter into a row of
    $W_\text{row}$, of shape $(F,\; C\,HH\,WW)$. Then every output value is a row times a column,
    and all of them together are one matrix product:

    $$\text{out}_\text{row} = W_\text{row}\, X_\text{col} + b \quad (F \times N H' W'),$$

    reshaped to $(N, F, H', W')$. The backward pass is the backward pass of an affine layer, which
    you know:

    $$dW_\text{row} = d\text{out}_\text{row}\, X_\text{col}^{\top}, \qquad
    dX_\text{col} = W_\text{row}^{\top}\, d\text{out}_\text{row}, \qquad
    db = \textstyle\sum_\text{columns} d\text{out}_\text{row},$$

    followed by **col2im**, which adds every column of $dX_\text{col}$ back onto the pixels of its
    window: the `+=` of your loop, where overlapping windows share pixels.

    Building $X_\text{col}$ does not need a loop over positions either. For a fixed offset $(k, l)$
    inside the filter, the pixels it sees at all output positions form one strided slice of the
    padded input, `x_padded[:, :, k : k + s*H' : s, l : l + s*W' : s]`. So im2col is a loop over
    the $HH \cdot WW$ offsets (9 for a 3×3 filter), each copying one slice, and col2im adds the
    slices back in the same order. The price is memory: every pixel is copied once per window that
    covers it (about $HH \cdot WW / s^2$ times).

    Two choices in the library's version are about speed, not maths. It orders the columns with the
    image index last, $(H', W', N)$, so that each slice it copies is a long run of neighbouring
    numbers in memory. And it never builds the whole of $dX_\text{col}$: the rows that belong to
    offset $(k, l)$ are $W[:, :, k, l]^{\top}\, d\text{out}_\text{row}$, so it computes them one
    filter row $k$ at a time (three offsets per product) and adds each offset's block back at once,
    holding a third of the matrix instead of all of it.

    Max pooling uses the same slices: the input at offset $(k, l)$ of every window is one strided
    slice, so the layer is a running maximum over the $\text{ph} \cdot \text{pw}$ slices that
    remembers which offset won. When the windows tile the input, a reshape to
    $(N, C, H', \text{ph}, W', \text{pw})$ and a `max` over two axes gives the same numbers, but
    NumPy reduces over those two axes several times more slowly than it compares slices.

    ### The fast layers agree with your loops
    """)
    nb.code(r"""
rng = np.random.default_rng(0)
x = rng.standard_normal((4, 3, 9, 7))
w = rng.standard_normal((5, 3, 3, 3))
b = rng.standard_normal(5)
for stride, pad in [(1, 1), (2, 1), (1, 0)]:
    out_naive, cache_naive = conv_forward_naive(x, w, b, stride=stride, pad=pad)
    out_fast, cache_fast = conv_forward_fast(x, w, b, stride=stride, pad=pad)
    dout = rng.standard_normal(out_naive.shape)
    grads_naive = conv_backward_naive(dout, cache_naive)
    grads_fast = conv_backward_fast(dout, cache_fast)
    differences = [np.max(np.abs(out_naive - out_fast))] + [np.max(np.abs(g - h)) for g, h in zip(grads_naive, grads_fast)]
    print(f"conv stride {stride} pad {pad}: largest difference out {differences[0]:.1e}, "
          f"dx {differences[1]:.1e}, dw {differences[2]:.1e}, db {differences[3]:.1e}")

x = rng.standard_normal((4, 3, 8, 8))
for size, stride in [(2, 2), (3, 1)]:
    out_naive, cache_naive = max_pool_forward_naive(x, pool_height=size, pool_width=size, stride=stride)
    out_fast, cache_fast = max_pool_forward_fast(x, pool_height=size, pool_width=size, stride=stride)
    dout = rng.standard_normal(out_naive.shape)
    dx_difference = np.max(np.abs(max_pool_backward_naive(dout, cache_naive) - max_pool_backward_fast(dout, cache_fast)))
    print(f"max pool {size}x{size} stride {stride}: largest difference out {np.max(np.abs(out_naive - out_fast)):.1e}, dx {dx_difference:.1e}")
""")
    nb.md(r"""
    Differences around $10^{-15}$ are rounding: the fast version adds the same products in a
    different order. Anything larger means the two disagree about the layer.

    ### How much faster?

    Timing rules: run each function a few times and keep the best run (the minimum is the least
    disturbed by whatever else the machine is doing), and time the forward and backward passes
    together, as training uses them.
    """)
    nb.code(r"""
def best_time(function, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)

def forward_backward(forward, backward, *inputs, **params):
    out, cache = forward(*inputs, **params)
    backward(np.ones_like(out), cache)

rng = np.random.default_rng(1)
x = rng.standard_normal((8 if QUICK else 32, 3, 16, 16))
w = rng.standard_normal((8, 3, 3, 3))
b = np.zeros(8)
timings = {
    "conv 3x3, pad 1": (
        best_time(lambda: forward_backward(conv_forward_naive, conv_backward_naive, x, w, b, stride=1, pad=1)),
        best_time(lambda: forward_backward(conv_forward_fast, conv_backward_fast, x, w, b, stride=1, pad=1)),
    ),
    "max pool 2x2, stride 2": (
        best_time(lambda: forward_backward(max_pool_forward_naive, max_pool_backward_naive, x)),
        best_time(lambda: forward_backward(max_pool_forward_fast, max_pool_backward_fast, x)),
    ),
}
print(f"input {x.shape}, forward + backward:")
for layer, (naive, fast) in timings.items():
    print(f"  {layer:<24} loops {naive * 1e3:8.1f} ms   fast {fast * 1e3:6.2f} ms   {naive / fast:6.0f}x faster")
""")
    nb.md(r"""
    ## 3. A small convnet on the digits

    The network: two blocks of 3×3 convolution (16, then 32 filters, "same" padding), ReLU and 2×2
    max pooling, which take an 8×8 digit to 32 maps of 2×2; then an affine layer of 64 ReLU units and
    the 10 class scores with a softmax loss:

    $$\text{8×8} \xrightarrow{\text{conv, relu, pool}} 16 \times \text{4×4}
    \xrightarrow{\text{conv, relu, pool}} 32 \times \text{2×2}
    \xrightarrow{\text{affine, relu}} 64 \xrightarrow{\text{affine}} 10 .$$

    The convolutions and pools are the library's fast ones; every other piece is yours: the affine
    and ReLU layers of `03_backprop/1_layers.ipynb`, the softmax loss of
    `02_linear_classifiers/1_linear_classifiers.ipynb` and Adam from
    `04_optimization/1_update_rules.ipynb`, collected by the next cell (a function it cannot find
    comes from the library; the table says which is which).
    """)
    nb.locked("your_network", r"""
from backpropkit.data import load_digits
from backpropkit.layer_set import LayerSet
from backpropkit.networks import ConvNet
from backpropkit.optim import adam
from backpropkit.trainer import Trainer

yours = answers_from("../02_linear_classifiers/1_linear_classifiers.ipynb", "../03_backprop/1_layers.ipynb",
                     "../04_optimization/1_update_rules.ipynb")
layers = LayerSet.from_namespace(yours, fallback=LayerSet.reference(), conv_forward=conv_forward_fast,
                                 conv_backward=conv_backward_fast, max_pool_forward=max_pool_forward_fast,
                                 max_pool_backward=max_pool_backward_fast)
update_rule = yours.get("adam", adam)
for role in ["affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss"]:
    print(f"{role:<16} {'yours' if getattr(layers, role) is yours.get(role) else 'library'}")
print(f"{'adam':<16} {'yours' if update_rule is yours.get('adam') else 'library'}")
""")
    nb.md(r"""
    First, one more agreement test, this time inside the network: the loss and every gradient of the
    model on a small batch, once with the fast layers and once with your loops.
    """)
    nb.code(r"""
digits = load_digits(flatten=False, seed=0)
X_batch, y_batch = digits.X_train[:2], digits.y_train[:2]
with_loops = layers.replace(conv_forward=conv_forward_naive, conv_backward=conv_backward_naive,
                            max_pool_forward=max_pool_forward_naive, max_pool_backward=max_pool_backward_naive)
loss_fast, grads_fast = ConvNet(seed=0, layers=layers).loss(X_batch, y_batch)
loss_loops, grads_loops = ConvNet(seed=0, layers=with_loops).loss(X_batch, y_batch)
print(f"loss: fast {loss_fast:.12f}, your loops {loss_loops:.12f}")
print("largest gradient difference:", max(float(np.max(np.abs(grads_fast[name] - grads_loops[name]))) for name in grads_fast))
""")
    nb.md(r"""
    Now train it with the fast layers. The trainer keeps the parameters of the epoch with the best
    validation accuracy; the test set is used once, at the end.
    """)
    nb.code(r"""
from backpropkit.plots import history_curves

model = ConvNet(input_shape=(1, 8, 8), num_filters=(16, 32), filter_size=3, hidden_dims=(64,), seed=0, layers=layers)
print(f"{model.num_parameters():,} parameters")
trainer = Trainer(model, update_rule, learning_rate=2e-3, batch_size=50, epochs=3 if QUICK else 20, seed=0, progress=not QUICK)
start = time.perf_counter()
history = trainer.fit(digits.X_train, digits.y_train, digits.X_val, digits.y_val)
print(f"trained {trainer.epochs} epochs in {time.perf_counter() - start:.1f} s; best validation accuracy "
      f"{trainer.best_val_accuracy:.3f} (epoch {trainer.best_epoch}); test accuracy {model.accuracy(digits.X_test, digits.y_test):.3f}")
history_curves(history, title="Convnet on the 8x8 digits")
""")
    nb.md(r"""
    ## 4. Inside the network

    **Filters.** The 16 filters of the first layer, each a 3×3 pattern of weights drawn on its own
    scale (light: its largest weights, dark: its smallest). On 8×8 digits they are tiny and hard to
    name, but look for light next to dark along a row or a column: differences between neighbouring
    pixels, which respond to the edges of strokes in one direction, like the hand-made filters of
    `1_conv_pool.ipynb`.
    """)
    nb.code(r"""
from backpropkit.plots import image_grid

image_grid(model.params["W1"], columns=8, suptitle="First-layer filters (3x3)")
""")
    nb.md(r"""
    **Feature maps.** One digit after the first convolution and ReLU: each map shows where its filter
    found its pattern. These 16 maps, not the pixels, are what the second layer looks at.
    """)
    nb.code(r"""
from IPython.display import display

digit = digits.X_test[:1]
maps, _ = conv_forward_fast(digit, model.params["W1"], model.params["b1"], stride=1, pad=1)
maps = np.maximum(maps, 0)
display(image_grid(digit[0], suptitle=f"A test digit (label {int(digits.y_test[0])})"))
display(image_grid(maps[0], columns=8, suptitle="Its 16 feature maps after the first convolution and ReLU"))
""")
    nb.md(r"""
    **Where the convnet stands.** With under 14,000 parameters it reaches a test accuracy in the
    high nineties in well under a minute on a laptop CPU. On 8×8 digits a fully connected network
    of similar size does about as well: with 64 pixels there is little to share. The convnet's
    advantage grows with the image, because its number of weights does not depend on the image
    size and a stroke detector learned at one position works at every other. Try the larger data
    sets of `backpropkit.data` (MNIST, CIFAR-10) to see the gap open.
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

**Question 1 (3 points).** Take a batch of 64 color images of $32\times32$ pixels (float64) and a
$3\times3$ convolution with stride 1 and padding 1. (a) What is the shape of $X_\text{col}$ and how
much memory does it take, compared with the input? (b) Why is the im2col convolution still much
faster than the loops over output positions, although it copies every pixel nine times? (c) When
does the copy become a problem, and what can be done about it?
""")
    nb.written("im2col_memory_for_speed", 3, r"""
**Model answer.** (a) $X_\text{col}$ has one row per (channel, filter offset) and one column per
(image, output position): $(3\cdot3\cdot3,\ 64\cdot32\cdot32) = (27,\ 65\,536)$, about 1.77 million
numbers, 14 MB in float64, nine times the 1.6 MB of the input ($HH\cdot WW/s^2 = 9$ copies of each
pixel). (b) The convolution becomes one large matrix product, which BLAS runs close to the
processor's peak (blocked for the caches, vectorized, on every core), while the loops run tiny
products at Python speed. Building $X_\text{col}$ is a few strided copies, cheap next to the
$F \cdot 27 \cdot 65\,536$ multiply-adds. (c) The copy grows with the image, the batch, the
channels and the filter size: 64 channels, $3\times3$ filters and a batch of 64 images of
$224\times224$ give $576 \times 3.2$ million numbers, about 15 GB. Remedies: smaller batches (or
chunks of the batch), float32, building the matrix in parts as the library's backward does (one
filter row of offsets at a time, a third of $dX_\text{col}$), or direct/FFT/Winograd convolutions.

**Rubric (3 points).** 1 point: the shape and the factor 9 (the megabytes need not be exact).
1 point: speed from one large BLAS matrix product instead of many small interpreted ones.
1 point: when memory explodes (large images, channels or batches) and one sensible remedy.
""")


def main(folder: Path = ASSIGNMENT) -> int:
    """Write this assignment's solution notebooks into ``folder``."""
    write_notebooks(__file__, folder, {
        "1_conv_pool.ipynb": conv_pool_notebook,
        "2_convnet.ipynb": convnet_notebook,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
