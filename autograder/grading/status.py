"""Where grading stands: one line per submission, graded / pending / failed, with the reason."""

from __future__ import annotations

from dataclasses import dataclass

from . import sandbox
from .results import summarize_reasons
from .workspace import Workspace


@dataclass
class Row:
    student: str
    assignment: str
    state: str  # "graded", "pending" or "failed"
    points: str
    reason: str


def status_rows(workspace: Workspace, assignment: str | None = None) -> list[Row]:
    rows = []
    problems = {(p["student"], p["assignment"]): p["reason"] for p in workspace.problems()}
    for student, name in workspace.submissions(assignment):
        result = workspace.result(student, name)
        if result is None:
            reason = problems.get((student, name), "")
            rows.append(Row(student, name, "pending", "", reason))
            continue
        reasons = summarize_reasons(result)
        state = "failed" if reasons else "graded"
        rows.append(Row(student, name, state, f"{result.points:g}/{result.max_points:g}",
                        "; ".join(f"{nb}: {why}" for nb, why in reasons.items())))
    return rows


def format_table(rows: list[Row]) -> str:
    """A plain-text table, widest cells first, reasons cut to one line."""
    header = Row("student", "assignment", "state", "points", "reason")
    table = [header] + rows
    widths = [max(len(getattr(r, f)) for r in table) for f in ("student", "assignment", "state", "points")]
    lines = []
    for row in table:
        reason = row.reason.splitlines()[0][:100] if row.reason else ""
        cells = [row.student, row.assignment, row.state, row.points]
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths)) + "  " + reason)
    counts = {state: sum(r.state == state for r in rows) for state in ("graded", "failed", "pending")}
    done, total = counts["graded"] + counts["failed"], len(rows)
    filled = round(30 * done / total) if total else 30
    lines.append(f"\n[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} graded "
                 f"({counts['failed']} with problems, {counts['pending']} pending; a running `grade` fills this in)")
    lines += [f"warning: {wall}" for wall in sandbox.missing_walls()]
    return "\n".join(lines)
