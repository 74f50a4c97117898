"""Regenerate the student release in course/ from the instructor source in solutions/.

    python -m autograder.release

Runs nbgrader's ``generate_assignment`` on every assignment in solutions/ (answers replaced by
stubs, hidden tests removed, outputs cleared), names the function in each stub, and adds the
student edition of the library and checks (see :mod:`autograder.edition`). course/ is rebuilt
from scratch each time and the output is deterministic, so a test can compare it with a fresh
build. Only notebooks and the files next to them are released: builder scripts live in
tools/notebooks/ and never reach course/.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from .edition import build_edition
from .sync_solutions import ROOT, SOLUTIONS

COURSE = ROOT / "course"
STUB = 'raise NotImplementedError("Write your answer here (replace this line), then run the check cell below.")'
_DEF = re.compile(r"^(\s*)(def|class) (\w+)\b")


def assignments(solutions: Path = SOLUTIONS) -> list[str]:
    return sorted(path.name for path in solutions.iterdir() if path.is_dir() and any(path.glob("*.ipynb")))


def _generate(staging: Path) -> None:
    """nbgrader generate_assignment for every assignment, into ``staging``, with a throwaway gradebook."""
    command = [
        sys.executable, "-m", "nbgrader", "generate_assignment", "*",
        "--force", "--create", "--log-level=ERROR",
        f"--CourseDirectory.root={ROOT}",
        f"--CourseDirectory.release_directory={staging}",
        f"--CourseDirectory.db_url=sqlite:///{staging.parent / 'gradebook.db'}",
    ]
    # nbgrader runs `alembic` by name: put this interpreter's scripts folder on the PATH.
    environment = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    result = subprocess.run(command, cwd=staging.parent, capture_output=True, text=True, env=environment)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed:\n{result.stdout}\n{result.stderr}")


def name_the_stubs(source: str) -> str:
    """Make each stub inside a ``def`` say which function it belongs to."""
    lines = source.splitlines()
    owners: list[tuple[int, str, str]] = []  # (indentation, "def" or "class", name) of enclosing blocks
    for number, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        if line.strip():
            owners = [owner for owner in owners if owner[0] < indent]
        match = _DEF.match(line)
        if match:
            owners.append((len(match.group(1)), match.group(2), match.group(3)))
        elif line.strip() == STUB and any(kind == "def" for _, kind, _ in owners):
            # The outermost function, qualified by its class: "Value.__add__", "relu_backward".
            first_def = next(i for i, (_, kind, _) in enumerate(owners) if kind == "def")
            name = ".".join(name for _, _, name in owners[: first_def + 1])
            message = f"{name}: write your answer here (replace this line), then run the check cell below."
            lines[number] = line[:indent] + f"raise NotImplementedError({message!r})"
    return "\n".join(lines)


def _name_stubs_in(folder: Path) -> None:
    for path in sorted(folder.rglob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code" and STUB in cell.source:
                cell.source = name_the_stubs(cell.source)
        nbformat.write(notebook, path)


def release(output: Path = COURSE) -> list[str]:
    """Rebuild ``output`` (course/) entirely; returns the assignments released."""
    released = assignments()
    with tempfile.TemporaryDirectory(prefix="backpropkit-release-") as scratch:
        staging = Path(scratch) / "course"
        staging.mkdir()
        if released:
            _generate(staging)
        _name_stubs_in(staging)
        build_edition(staging)
        if output.exists():
            shutil.rmtree(output)
        shutil.copytree(staging, output)
    return released


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    released = release()
    print(f"released {len(released)} assignment(s) into {COURSE.relative_to(ROOT)}/: {', '.join(released)}")
    print("plus the student edition: course/lib/backpropkit, course/autograder, course/pyproject.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
