"""Grade many submissions at once on this machine, writing each result the moment it is ready.

Workers (one per core by default) only grade; the parent alone writes the gradebook, one finished
submission at a time, so a killed worker or an interrupted run loses nothing that had finished,
and the next run grades only what is missing. Jobs are built only as workers free up, so the
parent holds at most one job per worker whatever the size of the class.

A submission that kills its worker (something the sandbox did not stop) is retried once in a
fresh pool; if it kills that one too it is recorded with zero points and the reason, and the rest
of the class goes on. A submission that lost points to a time limit while others were graded
beside it is graded again alone once the others are done, and that result is the one recorded: a
neighbour hogging the machine must not cost it anything.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterable, Iterator

from .grader import grade_submission, zero_notebook
from .records import SubmissionJob, SubmissionResult

Finished = Callable[[SubmissionJob, SubmissionResult], None]


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def failed_result(job: SubmissionJob, reason: str) -> SubmissionResult:
    """Zero points for every test of every notebook, each with ``reason``."""
    return SubmissionResult(job.student, job.assignment, [zero_notebook(n, reason) for n in job.notebooks])


def grade_locally(jobs: Iterable[SubmissionJob], workers: int | None = None) -> Iterator[tuple[SubmissionJob, SubmissionResult]]:
    """Yield (job, result) once per job, grading ``workers`` at a time.

    ``jobs`` is read lazily: a job is taken only when a worker is free for it. A result that
    timed out and lost points in a parallel run is held back and replaced by a grading of that
    submission alone (``retried_alone`` set), after every other submission is done.
    """
    workers = workers or default_workers()
    timed_out: list[SubmissionJob] = []
    for job, result in _grade_in_pools(iter(jobs), workers):
        if workers > 1 and result.timed_out and result.points < result.max_points:
            timed_out.append(job)
        else:
            yield job, result
    for job, result in _grade_in_pools(iter(timed_out), 1):
        result.retried_alone = True
        yield job, result


def _grade_in_pools(jobs: Iterator[SubmissionJob], workers: int) -> Iterator[tuple[SubmissionJob, SubmissionResult]]:
    """Grade ``jobs`` with at most ``workers`` in flight, starting a fresh pool when one breaks."""
    # fork: workers start with the grader already imported (spawn would import it again in each)
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    attempts: dict[tuple[str, str], int] = {}
    again: list[SubmissionJob] = []  # their worker died: graded once more in the next pool
    broken = True
    while broken:
        broken = False
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            running: dict[Future, SubmissionJob] = {}
            while True:
                while not broken and len(running) < workers:
                    job = again.pop() if again else next(jobs, None)
                    if job is None:
                        break
                    try:
                        running[pool.submit(grade_submission, job)] = job
                    except BrokenProcessPool:
                        again.append(job)
                        broken = True
                        break
                    key = (job.student, job.assignment)
                    attempts[key] = attempts.get(key, 0) + 1
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    job = running.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        broken = True
                        if attempts[(job.student, job.assignment)] < 2:
                            again.append(job)
                            continue
                        result = failed_result(job, "grading this submission killed the grader's worker twice")
                    except Exception as error:  # a bug of ours must not stop the class
                        result = failed_result(job, f"the grader failed on this submission: {type(error).__name__}: {error}")
                    yield job, result
