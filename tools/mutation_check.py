"""Do the hidden tests catch small mistakes? Mutate each answer of the solutions and grade it.

For every answer cell of a solution notebook (the code a student writes; the library's solution
regions are the same code, kept so by ``autograder.release.sync_solutions``), this makes one
mutant per mutation site:

    negated or doubled return values (each element of a returned tuple on its own),
    ``=`` for ``+=`` or ``-=``, dropped ``.T`` and transposes, ``axis=0`` <-> ``axis=1``,
    flipped comparisons (``>`` <-> ``>=``, ``<`` <-> ``<=``, ``<`` <-> ``>``), ``+`` <-> ``-``,
    ranges that stop one early or one late,

and runs the notebook's graded test cells (public and hidden) on it in-process, the way the
notebook itself calls the checks. A mutant is killed when a test cell with points fails that
passed on the solution. The notebook's setup, answer and test cells run once (its other cells,
plots and training runs, are skipped); each mutant re-executes only the mutated definition and
the test cells, then the solution's definition is put back.

    .venv/bin/python tools/mutation_check.py                        # every notebook
    .venv/bin/python tools/mutation_check.py 01_gradients/2_autograd.ipynb

Prints the kill rate per notebook and every survivor; survivors listed in ``EQUIVALENT`` (with the
reason they cannot change a grade) are reported apart. Exits 1 when a survivor is unexplained.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import io
import json
import os
import signal
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
sys.path[:0] = [str(ROOT), str(ROOT / "lib")]

from autograder.grading.cells import is_answer_cell, is_locked_cell, is_test_cell, points, source_of  # noqa: E402

SECONDS_PER_MUTANT = 30  # a mutant that loops for longer counts as killed: the grader times it out too

# Survivors that cannot change a grade, by mutant id (see Mutant.id), with the reason.
_KINK = ("differs only where the input is exactly 0, a kink with no derivative: any value in [0, 1] is a valid "
         "choice there (notebook 03 says so) and the checks never sample exactly 0")
_SAME_AT_TIE = "at the tie both branches give the same value, so the result is unchanged"
EQUIVALENT: dict[str, str] = {
    "01_gradients/2_autograd.ipynb Value.__repr__: negates `f'Value({name}data={self.data:.6g}, grad={self.grad:.6g})'`":
        "repr is display only and never graded",
    "01_gradients/2_autograd.ipynb Value.__repr__: doubles `f'Value({name}data={self.data:.6g}, grad={self.grad:.6g})'`":
        "repr is display only and never graded (twice the text)",
    "01_gradients/2_autograd.ipynb Value.sigmoid: flips `self.data >= 0` to `self.data > 0`":
        _SAME_AT_TIE + ": at a = 0 both give 1 / (1 + 1) = 0.5",
    "01_gradients/2_autograd.ipynb Value.relu._backward: flips `self.data > 0` to `self.data >= 0`": _KINK,
    "02_linear_classifiers/1_linear_classifiers.ipynb svm_loss_loops: flips `violation > 0` to `violation >= 0`":
        _SAME_AT_TIE + " for the loss (a violation of 0 adds 0); the gradient differs only at a margin met "
        "exactly, a kink the checks never sample",
    "02_linear_classifiers/1_linear_classifiers.ipynb svm_loss_loops: = for += in `dscores[i, j] += 1.0`":
        "each (i, j) is visited once and starts at 0, so = and += give the same dscores",
    "02_linear_classifiers/1_linear_classifiers.ipynb binary_cross_entropy_loss: flips `logits >= 0` to `logits > 0`":
        _SAME_AT_TIE + ": at logit 0 both give 1 / (1 + 1) = 0.5",
    "03_backprop/1_layers.ipynb relu_forward: doubles `x`":
        "doubles the cache, which only the student's own relu_backward reads, through the sign of x",
    "03_backprop/1_layers.ipynb relu_backward: flips `x > 0` to `x >= 0`": _KINK,
    "03_backprop/1_layers.ipynb leaky_relu_forward: flips `x > 0` to `x >= 0`": _SAME_AT_TIE + ": x = alpha * x = 0",
    "03_backprop/1_layers.ipynb leaky_relu_backward: flips `x > 0` to `x >= 0`": _KINK,
    "03_backprop/1_layers.ipynb elu_forward: flips `x > 0` to `x >= 0`":
        _SAME_AT_TIE + ": x = alpha * (exp(0) - 1) = 0",
    "03_backprop/1_layers.ipynb elu_backward: flips `x > 0` to `x >= 0`":
        "differs only where the input is exactly 0, where ELU with alpha != 1 has a kink and no derivative "
        "(slope 1 on one side, alpha on the other), and the checks never sample exactly 0",
    "03_backprop/1_layers.ipynb elu_forward: flips `alpha > 0` to `alpha >= 0`":
        "the given argument check, outside the solution region: it changes only whether alpha = 0 is refused, "
        "an input no check passes (the exercise is the region between the solution markers)",
    "03_backprop/1_layers.ipynb sigmoid_forward: flips `x >= 0` to `x > 0`": _SAME_AT_TIE + ": at x = 0 both give 0.5",
    "03_backprop/1_layers.ipynb tanh_forward: negates `out` (#2)":
        "negates the cache, which only the student's own tanh_backward reads, squared (1 - out**2)",
    "04_optimization/2_schedules.ipynb with_warmup.warmed_up: flips `step < warmup_steps` to `step <= warmup_steps`":
        _SAME_AT_TIE + ": at step = warmup_steps, schedule(0) * step / warmup_steps = schedule(0)",
    "05_regularization/1_dropout.ipynb dropout_forward: flips `random.uniform(tuple(x.shape), like=x) < keep_prob` "
    "to `random.uniform(tuple(x.shape), like=x) <= keep_prob`":
        "a uniform draw equals keep_prob exactly with probability about 2**-53 per element",
}


@dataclass(frozen=True)
class Mutant:
    notebook: str  # "<assignment>/<file>" under solutions/
    cell: int  # index of the answer cell in the notebook
    definition: str  # the top-level name the mutated source defines
    where: str  # the function (or method, or nested function) holding the change
    change: str  # e.g. "= for += in `self.grad += out.grad`"
    source: str  # the mutated top-level definition

    @property
    def id(self) -> str:
        return f"{self.notebook} {self.where}: {self.change}"


# --- the mutation operators -----------------------------------------------------------------------

_FLIPS = {ast.Gt: (ast.GtE, ast.Lt), ast.GtE: (ast.Gt, ast.LtE), ast.Lt: (ast.LtE, ast.Gt), ast.LtE: (ast.Lt, ast.GtE)}
_SYMBOL = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Add: "+", ast.Sub: "-"}
_TRANSPOSES = {"transpose", "permute_dims", "swapaxes", "moveaxis"}


def _shown(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 70 else text[:67] + "..."


def _negated(node: ast.expr) -> ast.expr:
    return ast.UnaryOp(ast.USub(), node)


def _doubled(node: ast.expr) -> ast.expr:
    return ast.BinOp(ast.Constant(2), ast.Mult(), node)


def _variants(node: ast.AST) -> Iterator[tuple[str, Callable[[], ast.AST]]]:
    """Each mutation of ``node`` itself: a description and a function making the replacement."""
    if isinstance(node, ast.Return) and node.value is not None and not (
        isinstance(node.value, ast.Constant) and node.value.value is None
    ):
        elements = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
        for position, element in enumerate(elements):
            for verb, change in (("negates", _negated), ("doubles", _doubled)):
                def replace(position=position, change=change) -> ast.AST:
                    mutated = copy.deepcopy(node)
                    if isinstance(mutated.value, ast.Tuple):
                        mutated.value.elts[position] = change(mutated.value.elts[position])
                    else:
                        mutated.value = change(mutated.value)
                    return mutated
                yield f"{verb} `{_shown(element)}`", replace
    if isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Sub)):
        yield (f"= for {_SYMBOL[type(node.op)]}= in `{_shown(node)}`",
               lambda: ast.Assign(targets=[copy.deepcopy(node.target)], value=copy.deepcopy(node.value), lineno=node.lineno))
    if isinstance(node, ast.Attribute) and node.attr == "T":
        yield f"drops .T in `{_shown(node)}`", lambda: copy.deepcopy(node.value)
    if isinstance(node, ast.Call) and node.args:
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in _TRANSPOSES:
            method_call = isinstance(node.func, ast.Attribute) and not isinstance(node.func.value, ast.Name)
            kept = node.func.value if method_call else node.args[0]
            yield f"drops the transpose `{_shown(node)}`", lambda: copy.deepcopy(kept)
        if name == "range":
            stop = 1 if len(node.args) > 1 else 0
            for op, how in ((ast.Sub(), "one early"), (ast.Add(), "one late")):
                def replace(op=op) -> ast.AST:
                    mutated = copy.deepcopy(node)
                    mutated.args[stop] = ast.BinOp(mutated.args[stop], op, ast.Constant(1))
                    return mutated
                yield f"stops `{_shown(node)}` {how}", replace
    if isinstance(node, ast.keyword) and node.arg == "axis" and isinstance(node.value, ast.Constant) and node.value.value in (0, 1):
        swapped = 1 - node.value.value
        yield f"axis={node.value.value} -> axis={swapped}", lambda: ast.keyword(arg="axis", value=ast.Constant(swapped))
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _FLIPS:
        for flipped in _FLIPS[type(node.ops[0])]:
            def replace(flipped=flipped) -> ast.AST:
                mutated = copy.deepcopy(node)
                mutated.ops = [flipped()]
                return mutated
            yield f"flips `{_shown(node)}` to `{_shown(ast.Compare(node.left, [flipped()], node.comparators))}`", replace
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        other = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
        yield (f"{_SYMBOL[type(node.op)]} -> {_SYMBOL[type(other)]} in `{_shown(node)}`",
               lambda: ast.BinOp(copy.deepcopy(node.left), other, copy.deepcopy(node.right)))


class _Mutator(ast.NodeTransformer):
    """Walks one definition; numbers every mutation site and applies the one numbered ``target``."""

    def __init__(self, target: int | None) -> None:
        self.target = target
        self.sites: list[tuple[str, str]] = []  # (where, change) in walk order
        self.names: list[str] = []

    def visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            return node  # docstrings
        named = isinstance(node, (ast.FunctionDef, ast.ClassDef))
        if named:
            self.names.append(node.name)
        try:
            for change, replacement in _variants(node):
                if len(self.sites) == self.target:
                    self.sites.append((".".join(self.names), change))
                    return ast.copy_location(replacement(), node)
                self.sites.append((".".join(self.names), change))
            return self.generic_visit(node)
        finally:
            if named:
                self.names.pop()


def mutants_of(notebook: str, cells: list[dict]) -> list[Mutant]:
    """One mutant per mutation site in each top-level definition of each answer cell."""
    found = []
    for index, cell in enumerate(cells):
        if not is_answer_cell(cell):
            continue
        for definition in ast.parse(source_of(cell)).body:
            if not isinstance(definition, (ast.FunctionDef, ast.ClassDef)):
                continue
            counter = _Mutator(None)
            counter.visit(copy.deepcopy(definition))
            for target, (where, change) in enumerate(counter.sites):
                mutated = ast.fix_missing_locations(_Mutator(target).visit(copy.deepcopy(definition)))
                found.append(Mutant(notebook, index, definition.name, where, change, ast.unparse(mutated)))
    seen: dict[str, int] = {}
    unique = []
    for mutant in found:  # the same change twice in one function: number the repeats
        seen[mutant.id] = seen.get(mutant.id, 0) + 1
        if seen[mutant.id] > 1:
            mutant = Mutant(mutant.notebook, mutant.cell, mutant.definition, mutant.where,
                            f"{mutant.change} (#{seen[mutant.id]})", mutant.source)
        unique.append(mutant)
    return unique


# --- running a notebook's tests in-process --------------------------------------------------------


class _TimedOut(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    def stop(signum: int, frame: object) -> None:
        raise _TimedOut

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _without_magics(source: str) -> str:
    return "\n".join("pass  # " + line if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _runs(source: str, namespace: dict) -> bool:
    """Run ``source`` in ``namespace`` quietly; True when it raised nothing (a cell that passes)."""
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            exec(compile(_without_magics(source), "<cell>", "exec"), namespace)
    except (Exception, _TimedOut):
        return False
    return True


class NotebookUnderTest:
    """A solution notebook run once: its namespace, and the graded test cells that pass on it."""

    def __init__(self, notebook: str) -> None:
        self.notebook = notebook
        self.cells = json.loads((SOLUTIONS / notebook).read_text(encoding="utf-8"))["cells"]
        self.namespace: dict = {"__name__": "__main__"}
        self.graded: list[str] = []
        self.failing_on_solution: list[str] = []
        for cell in self.cells:
            if not (is_locked_cell(cell) or is_answer_cell(cell) or is_test_cell(cell)) or cell["cell_type"] != "code":
                continue
            ran = _runs(source_of(cell), self.namespace)
            if is_test_cell(cell) and points(cell) > 0:
                (self.graded if ran else self.failing_on_solution).append(source_of(cell))

    def kills(self, mutant: Mutant) -> bool:
        """True when some graded test cell that passes on the solution fails on ``mutant``."""
        saved = self.namespace.get(mutant.definition)
        try:
            with _time_limit(SECONDS_PER_MUTANT):
                if not _runs(mutant.source, self.namespace):
                    return True  # the definition itself fails to run
                return not all(_runs(test, self.namespace) for test in self.graded)
        except _TimedOut:
            return True
        finally:
            self.namespace[mutant.definition] = saved


def check_notebook(notebook: str) -> tuple[list[Mutant], list[Mutant], list[Mutant]]:
    """(killed, equivalent, unexplained survivors) among the mutants of ``notebook``."""
    os.chdir((SOLUTIONS / notebook).parent)
    under_test = NotebookUnderTest(notebook)
    if under_test.failing_on_solution:
        raise SystemExit(f"{notebook}: {len(under_test.failing_on_solution)} graded test cells fail on the solution itself")
    killed, equivalent, survivors = [], [], []
    for mutant in mutants_of(notebook, under_test.cells):
        if under_test.kills(mutant):
            killed.append(mutant)
        elif mutant.id in EQUIVALENT:
            equivalent.append(mutant)
        else:
            survivors.append(mutant)
    return killed, equivalent, survivors


def all_notebooks() -> list[str]:
    return sorted(str(path.relative_to(SOLUTIONS)) for path in SOLUTIONS.glob("*/*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="e.g. 01_gradients/2_autograd.ipynb (default: all)")
    notebooks = parser.parse_args(argv).notebooks or all_notebooks()
    os.environ["BACKPROPKIT_QUICK"] = "1"
    os.environ["MPLBACKEND"] = "Agg"
    warnings.simplefilter("ignore")
    unexplained = 0
    for notebook in notebooks:
        killed, equivalent, survivors = check_notebook(notebook)
        behaviour_changing = len(killed) + len(survivors)
        rate = len(killed) / behaviour_changing if behaviour_changing else 1.0
        print(f"{notebook}: killed {len(killed)} of {behaviour_changing} behaviour-changing mutants ({rate:.0%}); "
              f"{len(equivalent)} equivalent", flush=True)
        for mutant in survivors:
            print(f"  SURVIVOR {mutant.id}")
        for mutant in equivalent:
            print(f"  equivalent {mutant.id}: {EQUIVALENT[mutant.id]}")
        unexplained += len(survivors)
    print(f"{unexplained} unexplained survivors")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
