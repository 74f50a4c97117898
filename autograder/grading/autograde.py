"""Grade a class: build the jobs as workers free up, write each result as it arrives, show progress."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from tqdm import tqdm

from .dask_backend import grade_on_cluster
from .gradebook_writer import GradebookWriter
from .pool import grade_locally
from .records import Limits, SubmissionResult
from .student_library import build_student_library
from .workspace import Workspace


@dataclass
class GradingRun:
    """What one ``grade`` call did."""

    graded: list[SubmissionResult] = field(default_factory=list)
    skipped: int = 0  # already graded, left alone
    writing_seconds: float = 0.0  # spent by the parent writing gradebook, notebooks and results


def grade_class(
    workspace: Workspace,
    assignment: str | None = None,
    *,
    regrade: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    limits: Limits | None = None,
    progress: bool = True,
) -> GradingRun:
    """Grade every collected submission that has no result yet (all of them with ``regrade``).

    One ``grade`` at a time per workspace: a second one raises ``WorkspaceBusy`` naming the first.
    """
    with workspace.grading_lock():
        return _grade(workspace, assignment, regrade, workers, scheduler, limits or Limits(), progress)


def _grade(workspace: Workspace, assignment: str | None, regrade: bool, workers: int | None,
           scheduler: str | None, limits: Limits, progress: bool) -> GradingRun:
    pending = workspace.pending(assignment, regrade=regrade)
    run = GradingRun(skipped=len(workspace.submissions(assignment)) - len(pending))
    if not pending:
        return run
    library = build_student_library(workspace.root / ".student-library")
    writer = GradebookWriter(workspace)
    for name in sorted({a for _, a in pending}):
        writer.register_assignment(name)
    # built one at a time as workers free up: the parent never holds the whole class's notebooks
    jobs = (workspace.job(student, name, limits, library) for student, name in pending)
    results = grade_on_cluster(jobs, scheduler) if scheduler else grade_locally(jobs, workers)
    with tqdm(total=len(pending), desc="grading", unit="submission", disable=not progress) as bar:
        for job, result in results:
            started = time.perf_counter()
            result = writer.write(job, result)  # a zero with the reason if it could not be recorded
            run.writing_seconds += time.perf_counter() - started
            run.graded.append(result)
            bar.set_postfix_str(f"{job.student}/{job.assignment} {result.points:g}/{result.max_points:g}")
            bar.update()
    return run
