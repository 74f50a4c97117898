"""The whole grading pipeline on a made-up class, start to finish, in a scratch folder.

Builds the release, writes submissions for a small class (the reference solutions, the blank
release, and copies of the solutions with typical mistakes planted in them), collects them with
the earlier assignments their notebooks load answers from, grades the chosen ones in parallel, writes feedback pages and the CSV, and prints the grade table: what a TA sees, without
a real class. Everything goes to one folder (``./grading-demo/`` by default), emptied at the start of
each run, so demos never pile up.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import cells, sandbox
from .autograde import grade_class
from .collect import collect
from .export import export_csv
from .feedback import CLASS_FOLDER, write_all_feedback
from .records import Limits
from .status import format_table, status_rows
from .workspace import Workspace, assignments_in


@dataclass(frozen=True)
class PlantedBug:
    """A typical mistake: in ``notebook``'s answer cell ``grade_id``, ``correct`` becomes ``mistaken``."""

    student: str
    notebook: str  # "03_backprop/1_layers.ipynb"
    grade_id: str
    correct: str
    mistaken: str
    description: str


BUGS = [
    PlantedBug("off_by_batch", "03_backprop/1_layers.ipynb", "affine_backward",
               "dw = x.T @ dout", "dw = x.T @ dout / x.shape[0]", "dw divided by the batch size"),
    PlantedBug("transposed_dw", "03_backprop/1_layers.ipynb", "affine_backward",
               "dw = x.T @ dout", "dw = dout.T @ x", "dw transposed"),
    PlantedBug("no_relu_mask", "03_backprop/1_layers.ipynb", "relu_backward",
               "dx = xp.where(x > 0, dout, 0.0)", "dx = dout", "ReLU backward without the mask"),
    PlantedBug("overwrite_conv", "06_convnets/1_conv_pool.ipynb", "conv_backward_naive",
               "dx_padded[n, :, rows, cols] += ", "dx_padded[n, :, rows, cols] = ",
               "`=` instead of `+=` in conv backward"),
]
DEFAULT_ASSIGNMENTS = ("03_backprop", "06_convnets")
DEFAULT_FOLDER = Path("grading-demo")


def plant(notebook: dict, bug: PlantedBug) -> bool:
    """Plant ``bug`` in ``notebook`` (in place); False when its answer cell no longer has the line."""
    for cell in notebook["cells"]:
        if cells.grade_id(cell) == bug.grade_id and cells.is_answer_cell(cell):
            source = cells.source_of(cell)
            if bug.correct in source:
                cell["source"] = source.replace(bug.correct, bug.mistaken, 1)
                return True
    return False


def write_class(source_root: Path, release_root: Path, assignments: list[str], where: Path) -> list[str]:
    """One folder per student and assignment under ``where``; returns notes on bugs that were skipped."""
    notes = []
    for assignment in assignments:
        for notebook_path in sorted((source_root / assignment).glob("*.ipynb")):
            reference = json.loads(notebook_path.read_text())
            name = f"{assignment}/{notebook_path.name}"
            versions = {"reference": reference}
            released = release_root / assignment / notebook_path.name
            if released.is_file():
                versions["blank"] = json.loads(released.read_text())
            for bug in BUGS:
                notebook = copy.deepcopy(reference)
                if bug.notebook == name and not plant(notebook, bug):
                    notes.append(f"{bug.student}: could not plant '{bug.description}' (the answer changed)")
                versions[bug.student] = notebook
            for student, notebook in versions.items():
                folder = where / assignment / student
                folder.mkdir(parents=True, exist_ok=True)
                (folder / notebook_path.name).write_text(json.dumps(notebook))
    return notes


def earlier_assignments(source_root: Path, assignments: list[str]) -> list[str]:
    """The source's assignments that come before the last of ``assignments`` and are not among them."""
    return [name for name in assignments_in(source_root) if name < max(assignments) and name not in assignments]


def run_demo(source_root: Path, workspace_root: Path | None = None, assignments: list[str] | None = None,
             workers: int | None = None, limits: Limits | None = None, release_root: Path | None = None) -> str:
    """Run the pipeline; return the report it prints (grade table and where everything went)."""
    assignments = list(assignments or DEFAULT_ASSIGNMENTS)
    os.environ.setdefault("BACKPROPKIT_QUICK", "1")  # the notebooks' short training runs
    scratch = Path(workspace_root or DEFAULT_FOLDER).resolve()
    if workspace_root is None and scratch.exists():
        shutil.rmtree(scratch)  # the previous demo's class, not a real one: ours to replace
    workspace = Workspace(scratch / "grading", source_root)
    if release_root is None:
        from ..release.release import release

        release_root = scratch / "release"
        release(output=release_root)
    inbox = scratch / "inbox"
    # later notebooks load the student's answers from earlier assignments: the class handed those in too
    handed_in = sorted(set(assignments) | set(earlier_assignments(source_root, assignments)))
    notes = write_class(source_root, release_root, handed_in, inbox)
    for assignment in handed_in:
        collect(workspace, assignment, inbox / assignment)
    class_pages = []
    for assignment in assignments:
        grade_class(workspace, assignment, workers=workers, limits=limits or Limits(cell_timeout=60, notebook_timeout=600))
        class_pages += [page for page in write_all_feedback(workspace, assignment) if page.parent.name == CLASS_FOLDER]
    csv_path = workspace.root / "grades.csv"
    export_csv(workspace, csv_path)
    rows = [row for assignment in assignments for row in status_rows(workspace, assignment)]
    report = [format_table(rows, sandbox.missing_walls()), ""]
    report += [_first_failure_lines(workspace), ""]
    report += [f"note: {n}" for n in notes]
    pages = sorted(workspace.feedback.rglob("*.html"))
    report += [f"feedback pages: {workspace.feedback} ({len(pages)}, each opens in a browser)"]
    report += [f"the class at a glance: {page.as_uri()}" for page in class_pages]
    report += [f"grades: {csv_path}", f"gradebook: {workspace.db_url}"]
    return "\n".join(report)


def _first_failure_lines(workspace: Workspace) -> str:
    """For each planted bug, the first line the feedback shows about it."""
    lines = ["What the feedback says about each planted mistake:"]
    for bug in BUGS:
        assignment = bug.notebook.split("/")[0]
        result = workspace.result(bug.student, assignment)
        if result is None:
            continue
        failures = [t for n in result.notebooks for t in n.tests if t.failure]
        said = failures[0].failure.strip().splitlines() if failures else ["(no test failed)"]
        lines.append(f"  {bug.description:40s} -> {said[0][:150]}")
        lines += [f"  {'':40s}    {line.strip()[:150]}" for line in said[1:] if "Likely mistake" in line]
    return "\n".join(lines)
