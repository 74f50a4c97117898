"""Build the nbgrader source notebook of assignment 07_gpus.

    python tools/notebooks/07_gpus.py

writes solutions/07_gpus/1_gpus.ipynb with outputs cleared. Nothing in it is graded: it measures.
On a machine without a CUDA GPU every GPU step explains itself and is skipped, and the parts
that only need "a second device" run on array_api_strict's stand-in device instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nbcells import REPOSITORY, Notebook, write_notebooks

ASSIGNMENT = REPOSITORY / "solutions" / "07_gpus"


def gpus_notebook() -> Notebook:
    nb = Notebook()
    nb.md(r"""
    # The same network on a GPU

    Training a network is mostly matrix products and element-wise arithmetic on large arrays: the
    same few operations on millions of numbers, independent of each other. A CPU has a handful of
    fast, general cores; a GPU has thousands of simple ones and a memory system built to feed them,
    which is exactly what such work needs. When NVIDIA opened its GPUs to general computing with
    CUDA in 2007, cheap parallel linear algebra became one of the reasons deep networks took off.

    You do not have to rewrite anything to use one. Every function in this course, including the
    layers you wrote, takes its array functions from its inputs (`xp = namespace(x)`) and creates
    new arrays where its inputs live (`device=device_of(x)`). Give it [CuPy](https://cupy.dev)
    arrays, which live in GPU memory and mirror NumPy's interface, and the same code runs on the
    GPU. This notebook covers the four things that do change:

    1. moving arrays between the CPU ("host") and the GPU ("device"),
    2. using float32,
    3. synchronizing before reading a clock,
    4. measuring the speedup, first on single operations and then on training.

    **No GPU?** The notebook runs anyway: it tells you what each GPU cell would do and skips it.
    The parts about moving arrays run on a stand-in, the second device of `array_api_strict`, which
    refuses mixed devices the same way a GPU does (it is not faster, so nothing is timed on it).
    To use a GPU, install CuPy for your CUDA version, e.g. `pip install cupy-cuda12x`, or run this
    notebook on a hosted notebook service that offers one.
    """)
    nb.locked("setup", r"""
import os
import time

import matplotlib.pyplot as plt
import numpy as np

from backpropkit.backend import namespace, to_numpy

QUICK = os.environ.get("BACKPROPKIT_QUICK") == "1"  # smaller runs for continuous integration


def find_gpu():
    # CuPy may be missing, or installed without a working CUDA driver: either way, no GPU.
    try:
        import cupy

        if cupy.cuda.is_available():
            return cupy
    except Exception:
        pass
    return None


cp = find_gpu()
GPU = cp is not None
if GPU:
    properties = cp.cuda.runtime.getDeviceProperties(cp.cuda.Device().id)
    print(f"GPU found: {properties['name'].decode()}, {properties['totalGlobalMem'] / 2**30:.0f} GiB, CuPy {cp.__version__}")
else:
    print("No CUDA GPU found (or CuPy is not installed): GPU cells will explain and skip.")
""")
    nb.md(r"""
    ## 1. Host and device

    An array lives in one memory. `cupy.asarray(x)` copies a NumPy array into GPU memory and
    `x_gpu.get()` (or the library's `to_numpy`, which accepts any backend) copies it back. Each
    copy crosses the PCIe bus, which is slow next to the GPU's own memory, so the rule is: move the
    data once, compute everything on the device, and bring back only the few numbers you want to
    print or plot (a loss, an accuracy).

    Arithmetic between arrays in different memories is refused rather than silently copied. The
    library's `namespace` reports it with a message that says what to do:
    """)
    nb.code(r"""
if GPU:
    device_module, to_device = cp, cp.asarray
else:
    import array_api_strict

    device_module = array_api_strict
    stand_in = array_api_strict.Device("device1")
    to_device = lambda array: array_api_strict.asarray(array, device=stand_in)
    print("(using array_api_strict's second device as a stand-in for a GPU)")

x_host = np.arange(6.0).reshape(2, 3)
x_device = to_device(x_host)
print("on the device:", type(x_device).__module__, getattr(x_device, "device", ""))
print("back on the host:", to_numpy(x_device * 2))
try:
    namespace(x_host, x_device)
except TypeError as error:
    print("mixing them:", error)
""")
    nb.md(r"""
    Library code runs unchanged on device arrays. Here is the affine layer on the device, compared
    with the same computation on the host (your own layers from earlier notebooks behave the same
    way, as long as they use `xp` and `device=`):
    """)
    nb.code(r"""
from backpropkit.layers.affine import affine_forward

rng = np.random.default_rng(0)
x, w, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
out_device, _ = affine_forward(to_device(x), to_device(w), to_device(b))
out_host, _ = affine_forward(x, w, b)
print("largest difference device vs host:", float(np.max(np.abs(to_numpy(out_device) - out_host))))
""")
    nb.md(r"""
    ## 2. float32

    NumPy defaults to float64 (about 16 significant digits); deep learning on GPUs uses float32
    (about 7), and often less. Three reasons:

    * **Memory.** float32 halves every array, so twice the batch or model fits in GPU memory.
    * **Bandwidth.** Most layers other than matrix products are limited by how fast memory can
      deliver the numbers, so half the bytes is nearly half the time.
    * **Arithmetic.** Many GPUs compute float32 far faster than float64 (consumer cards by a factor
      of 32 to 64; data-centre cards by 2), and tensor cores speed up float32 matrix products further
      with reduced-precision inputs (TF32).

    Training is robust to float32 rounding: stochastic gradients are noisy anyway. **Gradient
    checks are not**: a centered difference divides a difference of two nearly equal losses by a
    tiny $2h$, and float32 rounding of the losses (around $10^{-7}$ relative) swamps the signal. That
    is why every gradient check in this course runs in float64 and refuses float32.

    The library creates parameters with the dtype of the data, so casting the data is the only
    change: `X.astype(np.float32)` before moving it.
    """)
    nb.code(r"""
rng = np.random.default_rng(0)
a = rng.standard_normal((500, 500))
exact = a @ a
rounded = (a.astype(np.float32) @ a.astype(np.float32)).astype(np.float64)
print(f"float32 matrix product, largest relative difference: {np.max(np.abs(rounded - exact)) / np.max(np.abs(exact)):.1e}")
print(f"memory of a (500, 500) array: float64 {a.nbytes / 1e6:.1f} MB, float32 {a.astype(np.float32).nbytes / 1e6:.1f} MB")
""")
    nb.md(r"""
    ## 3. Synchronize before you read the clock

    A CuPy call only *queues* work on the GPU and returns at once; the GPU runs the queue in the
    background. A timer around the call therefore measures the launch (microseconds), not the
    computation. Before reading the clock, wait for the queue to drain with
    `cp.cuda.Device().synchronize()`. Also skip the first call: it compiles kernels and allocates
    memory, so it can be far slower than the rest. (Reading a result back with `.get()` or `float()`
    synchronizes too, which is why a training loop that prints its loss every step is slower than
    one that does not.)
    """)
    nb.code(r"""
def gpu_time(function, repeats=5):
    # Median seconds per call on the GPU: one warm-up call, then synchronized repeats.
    function()
    cp.cuda.Device().synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        cp.cuda.Device().synchronize()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def cpu_time(function, repeats=5):
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


if GPU:
    a_gpu = cp.asarray(np.random.default_rng(0).standard_normal((4096, 4096), dtype=np.float32))
    a_gpu @ a_gpu  # warm-up
    cp.cuda.Device().synchronize()
    start = time.perf_counter()
    a_gpu @ a_gpu
    launch = time.perf_counter() - start
    cp.cuda.Device().synchronize()
    print(f"4096x4096 product, timer without synchronizing: {launch * 1e3:.3f} ms (only the launch)")
    print(f"4096x4096 product, synchronized:                {gpu_time(lambda: a_gpu @ a_gpu) * 1e3:.3f} ms")
else:
    print("No GPU: skipped. On a GPU, the unsynchronized timer reads far less than the synchronized one.")
""")
    nb.md(r"""
    ## 4. Measured speedup

    ### Single operations

    Matrix products of growing size in float32, on the CPU with NumPy and on the GPU with CuPy.
    Small products do not keep a GPU busy (launching a kernel costs a few microseconds whatever its
    size), so the speedup grows with the size until the GPU's arithmetic units are saturated.
    """)
    nb.code(r"""
sizes = [128, 256, 512, 1024] if QUICK else [128, 256, 512, 1024, 2048, 4096]
if GPU:
    speedups = []
    for size in sizes:
        a_host = np.random.default_rng(size).standard_normal((size, size), dtype=np.float32)
        a_gpu = cp.asarray(a_host)
        cpu = cpu_time(lambda: a_host @ a_host, repeats=3)
        gpu = gpu_time(lambda: a_gpu @ a_gpu)
        speedups.append(cpu / gpu)
        print(f"{size:>5}x{size:<5} CPU {cpu * 1e3:9.2f} ms   GPU {gpu * 1e3:7.3f} ms   speedup {cpu / gpu:7.1f}x")
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.loglog(sizes, speedups, "o-")
    ax.set_xlabel("matrix size n (n x n, float32)")
    ax.set_ylabel("GPU speedup over CPU")
    ax.set_title("Matrix product: speedup grows with size")
    plt.show()
else:
    print("No GPU: skipped. For a float32 4096x4096 product a data-centre GPU is typically tens to")
    print("hundreds of times faster than a few CPU cores; for 128x128 it can be slower.")
""")
    nb.md(r"""
    ### The course's fast convolution

    The fast convolution you checked in notebook 6 is written with array-API operations only, so it
    runs on CuPy unchanged. Forward and backward, float32, on a convnet-sized batch:
    """)
    nb.code(r"""
from backpropkit.layers.conv_fast import conv_backward_fast, conv_forward_fast


def conv_step(x, w, b):
    out, cache = conv_forward_fast(x, w, b, stride=1, pad=1)
    return conv_backward_fast(out, cache)


rng = np.random.default_rng(0)
batch = 16 if QUICK else 64
x_host = rng.standard_normal((batch, 16, 32, 32), dtype=np.float32)
w_host = rng.standard_normal((32, 16, 3, 3), dtype=np.float32) * 0.1
b_host = np.zeros(32, dtype=np.float32)
cpu = cpu_time(lambda: conv_step(x_host, w_host, b_host), repeats=3)
print(f"conv 3x3, 16 -> 32 channels, batch {batch} of 32x32, forward + backward: CPU {cpu * 1e3:.1f} ms")
if GPU:
    x_gpu, w_gpu, b_gpu = cp.asarray(x_host), cp.asarray(w_host), cp.asarray(b_host)
    gpu = gpu_time(lambda: conv_step(x_gpu, w_gpu, b_gpu))
    print(f"{'':>66}GPU {gpu * 1e3:.2f} ms, speedup {cpu / gpu:.1f}x")
else:
    print("No GPU: skipped the GPU run of the same function.")
""")
    nb.md(r"""
    ### Training

    Finally the whole loop: the same model, the same trainer, the same data, once with NumPy arrays
    and once with the data moved to the GPU. The model creates its parameters where the data lives,
    so moving `X` and `y` is the only change.

    The network is the convnet of notebook 6, a little wider, built from your own affine, ReLU,
    softmax and Adam (collected from the earlier notebooks by the next cell; whatever it cannot find
    comes from the library) and the library's fast convolution and pooling. Your functions run on
    the GPU if they take `xp` from their inputs and create arrays with `device=`; a stray `np.`
    call usually shows up here as an error, since CuPy refuses to turn a GPU array into a NumPy one
    behind your back.
    """)
    nb.locked("your_network", r"""
from backpropkit.data import load_digits
from backpropkit.layers.pool_fast import max_pool_backward_fast, max_pool_forward_fast
from backpropkit.layer_set import LayerSet
from backpropkit.networks import ConvNet
from backpropkit.notebooks import answers_from
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
    nb.code(r"""
digits = load_digits(flatten=False, seed=0, dtype=np.float32)
epochs = 2 if QUICK else 10


def train(X_train, y_train, X_test, y_test):
    # The same network, seed and trainer whatever the arrays are; returns seconds per epoch and test accuracy.
    model = ConvNet(num_filters=(32, 64), hidden_dims=(256,), seed=0, layers=layers, like=X_train)
    trainer = Trainer(model, update_rule, learning_rate=1e-3, batch_size=128, epochs=epochs, seed=0, progress=False)
    start = time.perf_counter()
    trainer.fit(X_train, y_train)
    seconds = time.perf_counter() - start  # fit reads the loss back every step, which synchronizes
    return seconds / epochs, model.accuracy(X_test, y_test)


cpu_epoch, cpu_accuracy = train(digits.X_train, digits.y_train, digits.X_test, digits.y_test)
print(f"CPU (NumPy, float32): {cpu_epoch:.3f} s per epoch, test accuracy {cpu_accuracy:.3f}")
if GPU:
    on_gpu = [cp.asarray(array) for array in (digits.X_train, digits.y_train, digits.X_test, digits.y_test)]
    train(*on_gpu)  # warm-up: compiles the GPU kernels once
    gpu_epoch, gpu_accuracy = train(*on_gpu)
    print(f"GPU (CuPy, float32):  {gpu_epoch:.3f} s per epoch, test accuracy {gpu_accuracy:.3f}; speedup {cpu_epoch / gpu_epoch:.1f}x")
else:
    print("No GPU: skipped the GPU run.")
""")
    nb.md(r"""
    **Reading the numbers.** The digits are tiny: a minibatch of 128 8×8 images is far too little
    work to keep a GPU busy, and each step launches dozens of small kernels and reads the loss back
    to the host. So on this data set the GPU gains little, or even loses: launch and transfer
    overheads dominate. Its advantage appears when each operation is large, as the matrix-product
    and convolution measurements above show: bigger images (CIFAR-10 is 3×32×32), wider layers,
    bigger batches. The two accuracies differ a little, as two training runs do: on the GPU the
    initial weights are drawn by CuPy's own random generator, so it trains a different draw of the
    same network.

    **Checklist for your own GPU code.**

    * Move the data once (`cp.asarray`), build the model on it (`like=X`), and read back only
      scalars.
    * Use float32 for training and keep gradient checks on the CPU in float64.
    * Take `xp = namespace(x)` and create arrays with `device=device_of(x)`: then the same function
      serves both devices.
    * Synchronize before reading a clock, and never time the first call.
    """)
    return nb


def main(folder: Path = ASSIGNMENT) -> int:
    """Write this assignment's solution notebooks into ``folder``."""
    write_notebooks(__file__, folder, {
        "1_gpus.ipynb": gpus_notebook,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
