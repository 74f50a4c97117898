"""Export grades as CSV: one row per student and assignment, points per notebook and per test.

Points come from nbgrader's gradebook (so a TA's manual override in formgrader is exported); the
``reason`` column says why a zero is not the student's logic: a crash, a timeout, a missing or
unreadable notebook, a submission that could not be opened.
"""

from __future__ import annotations

import csv
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from .results import summarize_reasons
from .workspace import Workspace


def export_csv(workspace: Workspace, destination: Path, assignment: str | None = None) -> int:
    """Write the CSV to ``destination``; return the number of rows."""
    assignments = [assignment] if assignment else workspace.assignments()
    rows, columns = [], ["student", "assignment", "score", "max_score"]
    with Gradebook(workspace.db_url, workspace.course_id) as gradebook:
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
                row = {"student": student, "assignment": name, "score": submission.score,
                       "max_score": submission.max_score}
                for notebook in submission.notebooks:
                    row[notebook.name] = notebook.score
                    for grade in notebook.grades:
                        row[f"{notebook.name}/{grade.name}"] = grade.score
                result = workspace.result(student, name)
                reasons = summarize_reasons(result) if result else {}
                row["reason"] = "; ".join(f"{nb}: {why}" for nb, why in reasons.items())
                rows.append(row)
    columns.append("reason")
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with destination.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
