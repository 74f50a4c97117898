"""Where grading stands: one line per submission, graded / pending / failed, and under it one line
for every point lost (the check's first line, or why the test could not run) and for every written
answer that waits for a TA. Points are the tests' plus the written answers graded so far, read
from nbgrader's gradebook, where formgrader writes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from . import written
from .records import lost_points, summarize_reasons
from .workspace import Workspace


@dataclass
class Row:
    student: str
    assignment: str
    state: str  # "graded", "pending", "stale" (handed in again since) or "failed" (a zero not of their logic)
    points: str
    reason: str  # why the submission failed or is stuck (a crash, a missing notebook, ...)
    lost: list[str] = field(default_factory=list)  # one line per test that lost points
    written_waiting: int = 0  # written answers not graded by a TA yet


def status_rows(workspace: Workspace, assignment: str | None = None) -> list[Row]:
    rows = []
    problems = {(p["student"], p["assignment"]): p["reason"] for p in workspace.problems()}
    submissions = workspace.submissions(assignment)
    results = {pair: workspace.result(*pair) for pair in submissions}
    written.with_hand_grades(workspace, [r for r in results.values() if r is not None])
    for student, name in submissions:
        result = results[(student, name)]
        if result is None:
            reason = problems.get((student, name), "")
            rows.append(Row(student, name, "pending", "", reason))
            continue
        reasons = summarize_reasons(result)
        if workspace.is_stale(student, name):
            rows.append(Row(student, name, "stale", f"{result.total_points:g}/{result.total_max_points:g}",
                            "handed in again after grading: these points are for the earlier hand-in; "
                            "`grade` regrades it", written_waiting=result.written_waiting))
            continue
        state = "failed" if reasons else "graded"
        rows.append(Row(student, name, state,
                        f"{result.total_points - result.late_penalty:g}/{result.total_max_points:g}",
                        "; ".join(f"{nb}: {why}" for nb, why in reasons.items()),
                        lost_points(result) + written.lost_lines(result), result.written_waiting))
    return rows


def format_table(rows: list[Row], warnings: Iterable[str] = ()) -> str:
    """A plain-text table; under each submission, its lost points, each on one uncut line; then
    ``warnings``: the command passes the sandbox's missing walls, which this module, a reader of
    results, does not load."""
    header = Row("student", "assignment", "state", "points", "")
    table = [header] + rows
    widths = [max(len(getattr(r, f)) for r in table) for f in ("student", "assignment", "state", "points")]
    lines = []
    for row in table:
        cells = [row.student, row.assignment, row.state, row.points]
        note = row.reason.splitlines()[0] if row.reason and not row.lost else ""
        lines.append(("  ".join(c.ljust(w) for c, w in zip(cells, widths)) + "  " + note).rstrip())
        lines += [f"    - {line}" for line in row.lost]
    counts = {state: sum(r.state == state for r in rows) for state in ("graded", "failed", "pending", "stale")}
    stuck = sum(r.state == "pending" and bool(r.reason) for r in rows)
    done, total = counts["graded"] + counts["failed"], len(rows)
    filled = round(30 * done / total) if total else 30
    lines.append(f"\n[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} graded "
                 f"({counts['failed'] + stuck} with problems, {counts['pending']} pending, "
                 f"{counts['stale']} handed in again since; "
                 "a running `grade` fills this in)")
    waiting = sum(r.written_waiting for r in rows)
    if waiting:
        lines.append(f"{waiting} written answer(s) in {sum(r.written_waiting > 0 for r in rows)} submission(s) "
                     "wait to be graded by hand in formgrader (Manual Grading)")
    lines += [f"warning: {warning}" for warning in warnings]
    return "\n".join(lines)
