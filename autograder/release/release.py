"""Regenerate the student release in course/ from the instructor source in solutions/.

    python -m autograder.release

Runs nbgrader's ``generate_assignment`` on every assignment in solutions/ (answers replaced by
stubs, hidden tests removed, outputs cleared), names the function in each stub, and adds the
student edition of the library and checks (see :mod:`autograder.release.edition`). course/ is
rebuilt from scratch each time and the output is deterministic, so a test can compare it with a
fresh build. Only notebooks and the files next to them are released: builder scripts live in
tools/notebooks/ and never reach course/.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from .edition import build_edition, generated_note
from .paths import COURSE, ROOT, SOLUTIONS
from .regions import function_spans

STUB = 'raise NotImplementedError("Write your answer here (replace this line), then run the check cell below.")'


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
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source  # not plain Python (a magic, say): leave the generic message
    spans = function_spans(tree)
    lines = source.splitlines()
    for number, line in enumerate(lines):
        owner = next((name for name, first, last in spans if first <= number <= last), None)
        if line.strip() == STUB and owner is not None:
            indent = line[: len(line) - len(line.lstrip())]
            message = f"{owner}: write your answer here (replace this line), then run the check cell below."
            lines[number] = indent + f"raise NotImplementedError({message!r})"
    return "\n".join(lines)


def _finish_notebooks(folder: Path) -> None:
    """Name the function in each stub, and mark each notebook as generated from its solutions
    notebook (in the notebook's metadata, where the builder's mark was)."""
    for path in sorted(folder.rglob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code" and STUB in cell.source:
                cell.source = name_the_stubs(cell.source)
        notebook.metadata["backpropkit"] = {"generated": generated_note(SOLUTIONS / path.relative_to(folder))}
        nbformat.write(notebook, path)


def release(output: Path = COURSE) -> list[str]:
    """Rebuild ``output`` (course/) entirely; returns the assignments released."""
    released = assignments()
    with tempfile.TemporaryDirectory(prefix="backpropkit-release-") as scratch:
        staging = Path(scratch) / "course"
        staging.mkdir()
        if released:
            _generate(staging)
        _finish_notebooks(staging)
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

