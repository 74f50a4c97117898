"""The mutation check: every behaviour-changing mutant of the autograd loses points."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import mutation_check  # noqa: E402


def test_mutants_are_one_change_each_and_named_by_it():
    cells = [{"cell_type": "code", "metadata": {"nbgrader": {"solution": True}}, "source":
              "def step(w, dw):\n    total = 0\n    for i in range(3):\n        total += w[i] > dw[i]\n    return w - dw.T\n"}]
    changes = {mutant.change for mutant in mutation_check.mutants_of("x.ipynb", cells)}
    assert changes == {
        "stops `range(3)` one early", "stops `range(3)` one late", "= for += in `total += w[i] > dw[i]`",
        "flips `w[i] > dw[i]` to `w[i] >= dw[i]`", "flips `w[i] > dw[i]` to `w[i] < dw[i]`",
        "negates `w - dw.T`", "doubles `w - dw.T`", "- -> + in `w - dw.T`", "drops .T in `dw.T`",
    }


@pytest.mark.slow
def test_no_mutant_of_notebook_one_survives_unexplained():
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "mutation_check.py"), "01_gradients/2_autograd.ipynb", "01_gradients/1_gradients.ipynb"],
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 unexplained survivors" in run.stdout
