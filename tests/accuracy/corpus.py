"""The format of the accuracy corpora, and how an entry is planted into a notebook.

A corpus entry is a graded function of a solution notebook rewritten the way a student might
write it: ``PlantedBug`` with one realistic mistake and the phrase the grader's message must
contain to count as naming it, ``ValidAnswer`` a correct alternative that must keep full marks.
``plant`` puts an entry's source in place of the solution's definition (the rest of the notebook
stays the instructor's answer), so that the graded result reflects that one change.
"""

from __future__ import annotations

import ast
import copy
import json
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"


@dataclass(frozen=True)
class PlantedBug:
    """One realistic mistake in one graded function.

    ``notebook``: "<assignment>/<file>" under solutions/, e.g. "03_backprop/1_layers.ipynb".
    ``function``: the top-level def (or class) the source replaces, e.g. "affine_backward".
    ``source``: the whole replacement definition, as a student would write it.
    ``mistake``: a phrase (case-insensitive) that the failure message must contain to count as
    naming the planted mistake, e.g. "not summed over the batch".
    ``label``: a short unique name for reports, e.g. "affine_backward/db_first_row".
    """

    label: str
    notebook: str
    function: str
    source: str
    mistake: str


@dataclass(frozen=True)
class ValidAnswer:
    """A correct alternative to the solution of ``function`` that must keep full marks."""

    label: str
    notebook: str
    function: str
    source: str


def replace_definition(cell_source: str, name: str, replacement: str) -> str:
    """``cell_source`` with the top-level ``def``/``class`` called ``name`` replaced by ``replacement``."""
    tree = ast.parse(cell_source)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            lines = cell_source.splitlines(keepends=True)
            start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            new = textwrap.dedent(replacement).strip("\n") + "\n"
            return "".join(lines[:start]) + new + "".join(lines[node.end_lineno:])
    raise KeyError(f"no top-level definition of {name!r} in the cell")


def plant(entry: PlantedBug | ValidAnswer) -> dict:
    """The solution notebook of ``entry`` with its function replaced by the entry's source."""
    notebook = json.loads((SOLUTIONS / entry.notebook).read_text(encoding="utf-8"))
    planted = copy.deepcopy(notebook)
    for cell in planted["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or not cell["metadata"].get("nbgrader", {}).get("solution"):
            continue
        try:
            cell["source"] = replace_definition(source, entry.function, entry.source)
        except KeyError:
            continue
        return planted
    raise KeyError(f"{entry.label}: no answer cell of {entry.notebook} defines {entry.function}")


def write_course(entry: PlantedBug | ValidAnswer, folder: Path) -> Path:
    """A student's course tree under ``folder`` (every assignment answered as in the solutions)
    with ``entry`` planted; returns the planted notebook's path, ready for ``bpk-grade check``."""
    course = Path(folder) / "course"
    shutil.copytree(SOLUTIONS, course, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    path = course / entry.notebook
    path.write_text(json.dumps(plant(entry), indent=1), encoding="utf-8")
    return path
