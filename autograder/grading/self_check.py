"""``check``: grade one notebook for its author, with the same checks and messages as the TA's run.

The notebook runs in the same sandbox, in a copy of its folder with the course tree's other
assignment folders beside it (readable only, so that the earlier answers it loads are the
student's, as in the TA's grading), and its tests come from the instructor's source notebook of
the same name (when ``solutions/`` is at hand, as in a clone of the kit), so a student sees exactly
the points and messages the class grading will give, and never a line of hidden test code. Without
a source notebook, the notebook's own (public) test cells are run the same way.

A student has no course secret, so their hidden tests draw the fixed cases their seeds name, where
the TA's grading draws each student's own (``workspace.hidden_case_salt``); the report says so. A TA
reproduces one student's verdict with that student's salt: ``--case-salt N`` as ``grading.json``
records it, or ``--student ID``, which derives it from the workspace's secret.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path

from . import written
from .grader import copy_into, grade_notebook, write_files, write_other_assignments
from .records import Limits, NotebookJob, NotebookResult, SubmissionJob
from .sandbox import remove_tree
from .student_library import build_student_library
from .workspace import MAX_NOTEBOOK_BYTES, handed_in_files, hidden_case_salt, read_case_secret


def find_source(notebook: Path, source_root: Path) -> Path | None:
    """The instructor's notebook with the same file name, in any assignment of ``source_root``."""
    if not source_root.is_dir():
        return None
    matches = sorted(source_root.glob(f"*/{notebook.name}"))
    return matches[0] if matches else None


def course_notebooks(folder: Path) -> dict[str, str]:
    """The notebooks of the assignment folders beside ``folder`` (a student's course tree):
    "<assignment>/<notebook>" -> absolute path."""
    folder = Path(folder).resolve()
    return {f"{other.name}/{path.name}": str(path)
            for other in sorted(folder.parent.iterdir()) if other.is_dir() and other != folder
            for path in _notebooks_in(other)}


def _notebooks_in(folder: Path) -> list[Path]:
    return [path for path in sorted(Path(folder).glob("*.ipynb"))
            if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_NOTEBOOK_BYTES]


def student_case_salt(notebook: Path, source_root: Path, workspace_root: Path, student: str) -> int:
    """The salt the TA's grading in ``workspace_root`` draws ``student``'s hidden cases of this
    notebook's assignment with."""
    source_path = find_source(Path(notebook), Path(source_root))
    if source_path is None:
        raise ValueError(f"no instructor notebook named {Path(notebook).name} in {source_root}: "
                         "without hidden tests there are no hidden cases to draw")
    secret = read_case_secret(workspace_root)
    if secret is None:
        raise ValueError(f"the workspace {workspace_root} has no hidden-case secret yet (grading there makes one); "
                         "give --workspace, or --case-salt from the student's grading.json")
    return hidden_case_salt(secret, source_path.parent.name, student)


def check_notebook(notebook: Path, source_root: Path, limits: Limits | None = None,
                   case_salt: int | None = None) -> tuple[NotebookResult, bool]:
    """Grade ``notebook``; the flag says whether the hidden tests (from the source) were used.

    The hidden tests draw the fixed cases their seeds name, or with ``case_salt`` the cases the
    TA's grading drew for the student that salt belongs to.
    """
    notebook = Path(notebook)
    if not notebook.is_file():
        raise FileNotFoundError(f"notebook {notebook} does not exist")
    try:
        submitted = json.loads(notebook.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"{notebook} is not a readable notebook: {error}") from None
    source_path = find_source(notebook, Path(source_root))
    source = json.loads(source_path.read_text()) if source_path else submitted
    assignment_dir = source_path.parent if source_path else notebook.parent
    files = handed_in_files(notebook.parent)
    if source_path:
        files.update(handed_in_files(source_path.parent))
    scratch = Path(tempfile.mkdtemp(prefix="bpk-check-"))
    try:
        library = build_student_library(scratch / "library")
        # named as in the student's tree, so that "../03_backprop/1_layers.ipynb" finds its copy
        assignment = notebook.parent.resolve().name
        job = SubmissionJob("you", assignment, [NotebookJob(notebook.name, source, submitted)],
                            files, str(assignment_dir), library, limits or Limits(),
                            other_assignments=course_notebooks(notebook.parent), case_salt=case_salt)
        workdir = scratch / "course" / assignment
        workdir.mkdir(parents=True)
        copy_into(workdir, ((path.name, str(path)) for path in _notebooks_in(notebook.parent)))
        write_files(workdir, files)
        read_only = write_other_assignments(workdir.parent, job)
        result = grade_notebook(job.notebooks[0], workdir, job, {"kernel_start": 0.0, "execution": 0.0, "checks": 0.0},
                                read_only)
        result = replace(result, written=written.answers_in(job.notebooks[0]))
    finally:
        remove_tree(scratch)  # TemporaryDirectory's cleanup would follow links left in course/
    return result, source_path is not None


def format_report(result: NotebookResult, hidden_tests_used: bool, case_salt: int | None = None) -> str:
    """What ``check`` prints: a line per test, one per written answer (left to the TA), then the cells that raised."""
    lines = [f"{result.name}: {result.points:g} / {result.max_points:g} points"]
    if not hidden_tests_used:
        lines.append("(no instructor source found: only the notebook's own public tests were run)")
    elif case_salt is None:
        lines.append("(hidden tests ran on their fixed cases; the TA's grading draws other hidden cases for each student)")
    else:
        lines.append(f"(hidden tests ran on the cases drawn with case salt {case_salt}, as the TA's grading drew them)")
    for test in result.tests:
        mark = "\u2714" if test.points >= test.max_points and not test.failure else "\u2718"
        lines.append(f"  {mark} {test.grade_id}: {test.points:g} / {test.max_points:g}")
        for message in test.messages:
            lines.append(f"      {message}")
        if test.reason or test.failure:
            for line in (test.reason or test.failure).splitlines():
                lines.append(f"      {line}")
    for answer in result.written:
        lines.append(f"  \u270e {answer.grade_id}: ? / {answer.max_points:g}  written answer, graded by hand by your TA "
                     "(not counted above)")
    for cell in result.cell_outputs:
        if cell.error:  # whole: a public check's message spans lines, and the traceback is the student's own
            lines.append(f"  cell {cell.index + 1} raised:")
            lines.extend(f"      {line}" for line in cell.error.strip().splitlines())
    return "\n".join(lines)
