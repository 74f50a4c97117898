"""The student edition: the library without its reference answers, plus the checks.

Every solution region of the library (``### BEGIN SOLUTION`` ... ``### END SOLUTION``) becomes a
``raise NotImplementedError`` naming the notebook where the student writes that function. One
file keeps its regions on purpose: ``gradcheck.py`` holds the numerical-gradient instruments
(numerical_gradient, numerical_gradient_upstream, relative_error) that every later notebook uses
to check its own work; notebook 1 asks students to write them, but withholding them would break
every check after it. The course edition also carries the checks (``autograder.checks`` and the
modules it imports, nothing of the TA's tools, and never ``autograder.references``, the
instructor's reference backward passes) and a pyproject.toml, so a class runs
``pip install ./course``.

The grading sandbox gets the library alone (``with_checks=False``): test cells run in the grader,
so a student process needs no checks, and it must not import ``autograder.oracles``, whose
reference forwards a "backward" could differentiate numerically.
"""

from __future__ import annotations

import ast
import shutil
import tomllib
from pathlib import Path

import nbformat

from .regions import find_regions
from .sync_solutions import LIBRARY, ROOT, SOLUTIONS, solution_notebooks

# Files whose solution regions stay in the student edition (see the module docstring).
KEEP_SOLUTIONS = frozenset({"gradcheck.py"})
AUTOGRADER = ROOT / "autograder"
# Modules the checks use only where they exist: the instructor's reference answers, and the
# mistaken variants of them that name a layer mistake.
INSTRUCTOR_ONLY = frozenset({"references", "layer_mistakes"})


def exercise_locations(solutions: Path = SOLUTIONS) -> dict[str, str]:
    """Function name -> the notebook (``03_backprop/1_layers.ipynb``) where students write it."""
    locations: dict[str, str] = {}
    for path in solution_notebooks(solutions):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code" and "### BEGIN SOLUTION" in cell.source:
                for region in find_regions(cell.source, str(path)):
                    locations.setdefault(region.owner, path.relative_to(solutions).as_posix())
    return locations


def strip_solutions(source: str, where: str, locations: dict[str, str]) -> str:
    """``source`` with each solution region replaced by a NotImplementedError saying where to write it."""
    lines = source.splitlines()
    for region in reversed(find_regions(source, where)):
        notebook = locations.get(region.owner)
        place = f"in the notebook {notebook}" if notebook else "in the course notebooks"
        message = (
            f"{region.owner} is an exercise: write it {place}. "
            "The student edition of backpropkit leaves its reference answer out."
        )
        lines[region.begin : region.end + 1] = [f"{region.indent}raise NotImplementedError({message!r})"]
    return "\n".join(lines) + "\n"


def _copy_library(target: Path, locations: dict[str, str]) -> None:
    for path in sorted(LIBRARY.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        destination = target / path.relative_to(LIBRARY)
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".py" and path.name not in KEEP_SOLUTIONS and "### BEGIN SOLUTION" in path.read_text():
            destination.write_text(strip_solutions(path.read_text(), str(path), locations))
        else:
            shutil.copyfile(path, destination)


def check_modules(start: str = "checks") -> list[str]:
    """The autograder modules ``autograder.<start>`` needs, found by following its imports
    (never one of ``INSTRUCTOR_ONLY``, which the checks import only where it exists)."""
    needed: list[str] = []
    pending = [start]
    while pending:
        module = pending.pop()
        if module in needed or module in INSTRUCTOR_ONLY:
            continue
        needed.append(module)
        tree = ast.parse((AUTOGRADER / f"{module}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level == 1 and node.module:
                    pending.append(node.module.split(".")[0])
                elif node.level == 1:
                    pending.extend(alias.name for alias in node.names)
                elif node.module and node.module.startswith("autograder."):
                    pending.append(node.module.split(".")[1])
    return sorted(needed)


def _copy_checks(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    (target / "__init__.py").write_text('"""The checks the course notebooks call (student edition)."""\n')
    for module in check_modules():
        shutil.copyfile(AUTOGRADER / f"{module}.py", target / f"{module}.py")


def _pyproject() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    dependencies = "".join(f'    "{dependency}",\n' for dependency in project["dependencies"])
    return (
        "# The student edition of the course library; generated by `python -m autograder.release`.\n"
        "[build-system]\n"
        'requires = ["setuptools>=68"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        "[project]\n"
        'name = "backpropkit"\n'
        f'version = "{project["version"]}+student"\n'
        'description = "Student edition of backpropkit: the library without reference answers, and the notebook checks"\n'
        f'requires-python = "{project["requires-python"]}"\n'
        f"dependencies = [\n{dependencies}]\n\n"
        "[tool.setuptools.packages.find]\n"
        'where = ["lib", "."]\n'
        'include = ["backpropkit*", "autograder*"]\n'
    )


def build_edition(target: Path, *, with_checks: bool = True) -> None:
    """Write the student edition under ``target``: lib/backpropkit/, and with ``with_checks`` also
    autograder/ (the checks) and pyproject.toml. Without it, no ``autograder`` module is written."""
    locations = exercise_locations()
    _copy_library(target / "lib" / "backpropkit", locations)
    if with_checks:
        _copy_checks(target / "autograder")
        (target / "pyproject.toml").write_text(_pyproject())
