"""The benchmark scripts still run: one quick pass of the conv/pool suite (timings are not checked)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_conv_pool_benchmark_prints_its_tables():
    run = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_conv_pool.py"), "--repeats", "1", "--pause", "0"],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "Convolution 3x3, fast vs naive loops" in run.stdout
    assert "Max pooling, fast vs naive loops" in run.stdout
    assert "slices/reshape" in run.stdout
    if importlib.util.find_spec("torch") is None:
        assert "PyTorch is not importable" in run.stdout
    else:
        assert "median matmuls/torch, float32" in run.stdout
        assert "median fast/torch im2col, float64" in run.stdout
