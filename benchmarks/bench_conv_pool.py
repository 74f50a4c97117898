"""Time the fast convolution and max pooling against the loop versions and against PyTorch (CPU).

Every figure is a ratio of median times measured in this process: ``fast / naive`` (how much the
im2col and strided-slice tricks buy) and ``fast / torch`` (how close plain array code gets to a
tuned framework; below 1.0 means faster than PyTorch). Each timing is forward plus backward, as
in training: ``torch.nn.functional.conv2d`` / ``max_pool2d`` with autograd. The contenders are
timed in alternating blocks (see ``median_times``), so a burst of load on a shared machine hits both.

The convolution table also times ``matmuls``: the matrix products of the fast layer alone, without
the copies around them. That is the floor for an im2col convolution on this BLAS. PyTorch's
float32 convolution (oneDNN) never builds the column matrix, so in float32 that floor alone can
sit near PyTorch's whole forward and backward pass; in float64 PyTorch runs an im2col of its own.
For a like-for-like figure in both dtypes, ``torch im2col`` times PyTorch with oneDNN switched
off, which leaves its own im2col convolution: ``fast / torch im2col`` compares the same algorithm.

    python benchmarks/bench_conv_pool.py              # the full suite
    python benchmarks/bench_conv_pool.py --repeats 5  # quicker, noisier
    python benchmarks/bench_conv_pool.py --threads 1  # both sides on one thread
    python benchmarks/bench_conv_pool.py --pause 0    # no rest between blocks (faster, and biased)

PyTorch is only needed for the torch columns (``pip install torch``); without it they are
skipped. Both sides get the same number of threads (2 unless ``--threads`` says otherwise):
PyTorch through ``torch.set_num_threads``, NumPy's BLAS through threadpoolctl (installed with
scikit-learn). NumPy's element-wise copies run on one
thread whatever the setting. On a machine busy with other work the absolute times are
meaningless and the ratios noisy; the header prints the load average for that reason.

On Linux with glibc, the script first tells malloc to keep freed memory in the process
(``mallopt``). By default glibc hands large freed blocks back to the OS on heuristics that
depend on the order of earlier allocations, and each 4 KiB page taken back later costs a page
fault: measured here, up to 2000 faults, and three times the run time, in one call of either
library, landing on one contender or the other depending on what ran before it.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import time
from typing import Any, Callable

import numpy as np

from backpropkit.layers import (
    conv_backward_fast,
    conv_backward_naive,
    conv_forward_fast,
    conv_forward_naive,
    im2col,
    max_pool_backward_fast,
    max_pool_backward_naive,
    max_pool_forward_fast,
    max_pool_forward_naive,
)

try:
    from threadpoolctl import threadpool_limits
except ImportError:
    threadpool_limits = None
try:
    import torch
    import torch.nn.functional as functional
except ImportError:
    torch = None

# (N, C, H, W, F, stride, pad) with 3x3 kernels: a small convnet's layers. Stride 2 needs odd
# sizes with pad 1, so that the windows fit exactly (the layers refuse a fractional output size).
CONV_SHAPES = [
    (32, 3, 32, 32, 16, 1, 1),
    (64, 16, 16, 16, 32, 1, 1),
    (64, 32, 8, 8, 32, 1, 1),
    (32, 16, 31, 31, 16, 2, 1),
    (64, 8, 15, 15, 16, 2, 1),
    (64, 1, 8, 8, 8, 1, 1),
]
# (N, C, H, W, pool, stride): windows that tile, and overlapping 3x3 windows with stride 2.
POOL_SHAPES = [
    (32, 16, 32, 32, 2, 2),
    (64, 32, 16, 16, 2, 2),
    (64, 32, 8, 8, 2, 2),
    (32, 16, 31, 31, 3, 2),
]
# The loop versions take seconds on the shapes above; they race the fast ones on these.
NAIVE_CONV_SHAPES = [(4, 3, 8, 8, 8, 1, 1), (4, 8, 9, 9, 8, 2, 1)]
NAIVE_POOL_SHAPES = [(4, 8, 8, 8, 2, 2), (4, 8, 9, 9, 3, 2)]


def median_times(
    contenders: dict[str, Callable[[], Any]], repeats: int, pause: float, block: int = 5
) -> dict[str, float]:
    """Median wall time of each contender in seconds.

    Contenders take turns in blocks of ``block`` timed runs, each block after a pause of
    ``pause`` seconds and one untimed run. The pause is there because NumPy's BLAS and PyTorch's
    OpenMP threads keep spinning for up to a few hundred milliseconds after they finish: on a
    machine with few cores, a contender timed right after the other library competes with its
    idle threads, which no user training with one library sees. Measured here, on two cores,
    that competition slowed PyTorch's float32 convolution up to threefold. Taking turns still
    spreads a burst of load from elsewhere over all contenders.
    """
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    while any(len(times) < repeats for times in samples.values()):
        for name, run in contenders.items():
            time.sleep(pause)
            run()  # untimed: first-call allocations, lazy imports, wakes this library's threads
            for _ in range(min(block, repeats - len(samples[name]))):
                start = time.perf_counter()
                run()
                samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in samples.items()}


def conv_contenders(shape: tuple[int, ...], dtype: Any, with_naive: bool) -> dict[str, Callable[[], Any]]:
    n, c, h, w, f, stride, pad = shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    weights = rng.standard_normal((f, c, 3, 3)).astype(dtype)
    bias = rng.standard_normal(f).astype(dtype)
    dout = rng.standard_normal(conv_forward_fast(x, weights, bias, stride, pad)[0].shape).astype(dtype)

    def fast() -> Any:
        return conv_backward_fast(dout, conv_forward_fast(x, weights, bias, stride, pad)[1])

    def naive() -> Any:
        return conv_backward_naive(dout, conv_forward_naive(x, weights, bias, stride, pad)[1])

    # The matrix products the fast layer performs, alone: the floor for any im2col convolution
    # on this BLAS, whatever the copies around them cost.
    columns = im2col(x, 3, 3, stride, pad)
    w_rows = weights.reshape(f, -1)
    dout_rows = np.ascontiguousarray(dout.transpose(1, 2, 3, 0)).reshape(f, -1)

    def matmuls() -> Any:
        w_kernel_rows = [weights[:, :, i, :].transpose(2, 1, 0).reshape(-1, f) for i in range(3)]
        return w_rows @ columns, columns @ dout_rows.T, [rows @ dout_rows for rows in w_kernel_rows]

    contenders = {"fast": fast, "matmuls": matmuls}
    if with_naive:
        contenders["naive"] = naive
    if torch is not None:
        x_t, w_t, b_t = (torch.tensor(a, requires_grad=True) for a in (x, weights, bias))
        dout_t = torch.tensor(dout)

        def torch_cpu() -> Any:
            x_t.grad = w_t.grad = b_t.grad = None
            functional.conv2d(x_t, w_t, b_t, stride=stride, padding=pad).backward(dout_t)

        contenders["torch"] = torch_cpu

        def torch_im2col() -> Any:
            # With oneDNN off, PyTorch's CPU convolution is its own im2col and BLAS products:
            # the same algorithm as the fast layer, in C++.
            torch.backends.mkldnn.enabled = False
            try:
                torch_cpu()
            finally:
                torch.backends.mkldnn.enabled = True

        contenders["torch im2col"] = torch_im2col
    return contenders


def pool_contenders(shape: tuple[int, ...], dtype: Any, with_naive: bool) -> dict[str, Callable[[], Any]]:
    n, c, h, w, size, stride = shape
    x = np.random.default_rng(0).standard_normal((n, c, h, w)).astype(dtype)
    dout = np.random.default_rng(1).standard_normal(max_pool_forward_fast(x, size, size, stride)[0].shape).astype(dtype)

    def fast() -> Any:
        return max_pool_backward_fast(dout, max_pool_forward_fast(x, size, size, stride)[1])

    def naive() -> Any:
        return max_pool_backward_naive(dout, max_pool_forward_naive(x, size, size, stride)[1])

    contenders = {"fast": fast}
    if with_naive:
        contenders["naive"] = naive
    if torch is not None:
        x_t = torch.tensor(x, requires_grad=True)
        dout_t = torch.tensor(dout)

        def torch_cpu() -> Any:
            x_t.grad = None
            functional.max_pool2d(x_t, size, stride).backward(dout_t)

        contenders["torch"] = torch_cpu
    return contenders


def reshape_pool_forward(x: np.ndarray, size: int) -> np.ndarray:
    """The classic reshape trick for tiling windows, for comparison with the strided slices."""
    n, c, h, w = x.shape
    return x.reshape(n, c, h // size, size, w // size, size).max(axis=(3, 5))


# The ratios each table prints, where both contenders ran: (numerator, denominator).
RATIOS = [("fast", "naive"), ("fast", "torch"), ("fast", "torch im2col"), ("matmuls", "torch")]


def report(title: str, shapes: list, make: Callable, repeats: int, pause: float, with_naive: bool) -> None:
    """Print one table of median times and ratios, then each ratio's median per dtype."""
    print(f"\n{title}")
    ratios: dict[tuple[str, str, str], list[float]] = {}  # (dtype, numerator, denominator) -> per shape
    for dtype in (np.float32, np.float64):
        for shape in shapes:
            times = median_times(make(shape, dtype, with_naive), repeats, pause)
            line = f"  {np.dtype(dtype).name:8} {str(shape):30}"
            line += "".join(f"  {name} {seconds * 1e3:.2f} ms" for name, seconds in times.items())
            for top, bottom in RATIOS:
                if top in times and bottom in times:
                    ratio = times[top] / times[bottom]
                    ratios.setdefault((np.dtype(dtype).name, top, bottom), []).append(ratio)
                    line += f"  {top}/{bottom} {ratio:.3g}"
            print(line)
    for (dtype_name, top, bottom), values in ratios.items():
        print(f"  median {top}/{bottom}, {dtype_name}: {statistics.median(values):.2f}")


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory instead of returning it to the OS; False if not glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
    # Blocks up to 32 MiB (glibc's ceiling) come from the heap, and the heap is never trimmed.
    return bool(libc.mallopt(m_mmap_threshold, 32 << 20)) and bool(libc.mallopt(m_trim_threshold, 1 << 30))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats per contender (median taken)")
    parser.add_argument(
        "--pause", type=float, default=0.3, help="seconds of rest before each block, so idle threads stop spinning"
    )
    parser.add_argument("--threads", type=int, default=2, help="threads for PyTorch and for NumPy's BLAS")
    args = parser.parse_args()
    if threadpool_limits is not None:
        threadpool_limits(limits=args.threads, user_api="blas")
    if torch is not None:
        torch.set_num_threads(args.threads)
    print(f"Load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.")
    if not keep_freed_memory():
        print("Not glibc: freed memory may go back to the OS, and page faults add noise to the times.")
    if torch is None:
        print("PyTorch is not importable: skipping the torch columns (pip install torch to get them).")
    else:
        print(f"PyTorch {torch.__version__} on the CPU with {torch.get_num_threads()} threads; NumPy {np.__version__}.")
    print("Times are medians of forward + backward; ratios below 1 mean the fast layer is faster.")

    report("Convolution 3x3, fast vs naive loops (N, C, H, W, F, stride, pad)", NAIVE_CONV_SHAPES, conv_contenders, 3, 0.0, True)
    report("Max pooling, fast vs naive loops (N, C, H, W, pool, stride)", NAIVE_POOL_SHAPES, pool_contenders, 3, 0.0, True)
    if torch is not None:
        report("Convolution 3x3, fast vs PyTorch (N, C, H, W, F, stride, pad)", CONV_SHAPES, conv_contenders, args.repeats, args.pause, False)
        report("Max pooling, fast vs PyTorch (N, C, H, W, pool, stride)", POOL_SHAPES, pool_contenders, args.repeats, args.pause, False)

    print("\nMax pooling forward only, tiling windows: strided slices vs reshape-and-reduce")
    for n, c, h, w, size, stride in POOL_SHAPES:
        if size != stride or h % size or w % size:
            continue
        x = np.random.default_rng(0).standard_normal((n, c, h, w))
        times = median_times(
            {"slices": lambda: max_pool_forward_fast(x, size, size, stride), "reshape": lambda: reshape_pool_forward(x, size)},
            args.repeats,
            args.pause,
        )
        print(f"  float64  {str((n, c, h, w, size, stride)):34} slices/reshape {times['slices'] / times['reshape']:.2f}")


if __name__ == "__main__":
    main()
