"""Export grades as CSV: one row per student and assignment, points per notebook and per test.

Points come from nbgrader's gradebook (so a TA's manual override in formgrader is exported);
``score`` is before and ``final_score`` after the late penalty (``late_penalty``, for handing in
``seconds_late`` after the due date). A
public check (a test cell worth no points) reads ``pass`` or ``fail``, not a score. A written answer
reads the TA's score, or ``waiting`` until a TA grades it in formgrader; ``written_waiting`` counts
those per submission, and the scores include every written answer graded so far. The ``reason``
column gives one line for every point lost: the check's first line, or why the test could not run
(a crash, a timeout, a missing or unreadable notebook, a submission that could not be opened).

``export_grades`` writes one file per assignment (``grades-<assignment>.csv``) and a combined one
(``grades.csv``). Each file is replaced atomically, and never by one that lists fewer students than
it did (a typo'd or half-collected workspace must not wipe a class's grades) unless forced.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

from nbgrader.api import MissingEntry

from . import written
from .records import lost_points
from .workspace import Workspace


class ShrinkingExport(ValueError):
    """Writing the export would replace a file with one that lists fewer students."""


def export_grades(workspace: Workspace, destination: Path, assignment: str | None = None, *,
                  force: bool = False) -> dict[Path, int]:
    """Write ``grades-<assignment>.csv`` beside ``destination`` for each assignment in scope, and
    ``destination`` for every assignment; return each file written with its number of rows.

    Raises :class:`ShrinkingExport`, before writing anything, when a file would list fewer students
    than it does now and ``force`` is false.
    """
    destination = Path(destination)
    in_scope = [workspace.require_assignment(assignment)] if assignment else workspace.assignments()
    planned = {destination.with_name(f"{destination.stem}-{name}.csv"): [name] for name in in_scope}
    planned[destination] = workspace.assignments()
    tables = {path: _table(workspace, names) for path, names in planned.items()}
    if not force:
        for path, (_, rows) in tables.items():
            before, after = _students_in(path), {row["student"] for row in rows}
            if len(after) < len(before):
                raise ShrinkingExport(
                    f"{path} lists {len(before)} student(s); the new export would list {len(after)} "
                    f"(missing: {', '.join(sorted(before - after)[:5])}). Nothing was written; "
                    "pass --force to replace it anyway")
    for path, (columns, rows) in tables.items():
        _write_atomically(path, columns, rows)
    return {path: len(rows) for path, (_, rows) in tables.items()}


def export_csv(workspace: Workspace, destination: Path, assignment: str | None = None) -> int:
    """Write one CSV of ``assignment`` (every assignment when None) to ``destination``; return its rows."""
    columns, rows = _table(workspace, [assignment] if assignment else workspace.assignments())
    _write_atomically(Path(destination), columns, rows)
    return len(rows)


def _table(workspace: Workspace, assignments: list[str]) -> tuple[list[str], list[dict]]:
    """The columns and rows of an export of ``assignments``."""
    rows, columns = [], ["student", "assignment", "score", "max_score", "seconds_late", "late_penalty", "final_score",
                         "written_waiting"]
    with workspace.gradebook() as gradebook:
        for name in assignments:
            try:
                recorded = gradebook.find_assignment(name)
            except MissingEntry:
                continue
            layout = [(nb.name, [cell.name for cell in nb.grade_cells]) for nb in recorded.notebooks]
            for notebook, tests in layout:
                for column in [notebook] + [f"{notebook}/{t}" for t in tests]:
                    if column not in columns:
                        columns.append(column)
            for student, _ in workspace.submissions(name):
                try:
                    submission = gradebook.find_submission(name, student)
                except MissingEntry:
                    continue  # collected, not graded yet: `status` lists it
                penalty = submission.late_submission_penalty or 0.0
                row = {"student": student, "assignment": name, "score": submission.score,
                       "max_score": submission.max_score, "seconds_late": round(submission.total_seconds_late),
                       "late_penalty": penalty, "final_score": submission.score - penalty, "written_waiting": 0}
                result = workspace.result(student, name)
                public = _public_verdicts(result) if result else {}
                for notebook in submission.notebooks:
                    row[notebook.name] = notebook.score
                    for grade in notebook.grades:
                        column = f"{notebook.name}/{grade.name}"
                        row[column] = public.get(column, grade.score) if grade.max_score == 0 else grade.score
                        if _waits_for_a_ta(grade):
                            row[column] = "waiting"
                            row["written_waiting"] += 1
                if result:
                    written.with_grades_of(result, submission)
                lost = lost_points(result) + written.lost_lines(result) if result else []
                if workspace.is_stale(student, name):  # never publish the earlier hand-in's grade unflagged
                    lost.insert(0, "handed in again after grading: these points are for the earlier hand-in")
                row["reason"] = "; ".join(lost)
                rows.append(row)
    return columns + ["reason"], rows


def _waits_for_a_ta(grade) -> bool:
    """A written answer (a markdown grade cell) with no score yet: the TA's, or the 0 of a missing notebook."""
    return grade.cell_type == "markdown" and grade.manual_score is None and grade.auto_score is None


def _public_verdicts(result) -> dict[str, str]:
    """``notebook/test`` -> "pass" or "fail" for the checks worth no points."""
    return {f"{Path(n.name).stem}/{t.grade_id}": "fail" if t.failure else "pass"
            for n in result.notebooks for t in n.tests if t.max_points == 0}


def _students_in(path: Path) -> set[str]:
    """The students an earlier export at ``path`` lists (none when there is no readable file)."""
    try:
        with path.open(newline="") as handle:
            return {row["student"] for row in csv.DictReader(handle) if row.get("student")}
    except (OSError, csv.Error, KeyError, UnicodeDecodeError):
        return set()


def _write_atomically(path: Path, columns: list[str], rows: list[dict]) -> None:
    """Write the CSV to a temporary file beside ``path``, then rename it over ``path``."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, restval="")
    writer.writeheader()
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", newline="") as out:
            out.write(text.getvalue())
        os.replace(partial, path)
    except BaseException:
        os.unlink(partial)
        raise
