"""Grade many submissions at once on this machine, writing each result the moment it is ready.

Workers (one per core by default) only grade; the parent alone writes the gradebook, one finished
submission at a time, so a killed worker or an interrupted run loses nothing that had finished,
and the next run grades only what is missing. A submission that kills its worker (something the
sandbox did not stop) is retried once in a fresh pool; if it kills that one too it is recorded
with zero points and the reason, and the rest of the class goes on.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterator

from .grader import grade_submission, zero_notebook
from .results import SubmissionJob, SubmissionResult

Finished = Callable[[SubmissionJob, SubmissionResult], None]


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def failed_result(job: SubmissionJob, reason: str) -> SubmissionResult:
    """Zero points for every test of every notebook, each with ``reason``."""
    return SubmissionResult(job.student, job.assignment, [zero_notebook(n, reason) for n in job.notebooks])


def grade_locally(jobs: list[SubmissionJob], workers: int | None = None) -> Iterator[tuple[SubmissionJob, SubmissionResult]]:
    """Yield (job, result) as each submission finishes, grading ``workers`` at a time."""
    workers = workers or default_workers()
    attempts = {id(job): 0 for job in jobs}
    waiting = list(jobs)
    # fork: workers start with the grader already imported (spawn would import it again in each)
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    while waiting:
        with ProcessPoolExecutor(max_workers=min(workers, len(waiting)), mp_context=context) as pool:
            running: dict[Future, SubmissionJob] = {}
            for job in waiting:
                attempts[id(job)] += 1
                running[pool.submit(grade_submission, job)] = job
            waiting = []
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    job = running.pop(future)
                    try:
                        yield job, future.result()
                    except BrokenProcessPool:
                        if attempts[id(job)] < 2:
                            waiting.append(job)
                        else:
                            yield job, failed_result(job, "grading this submission killed the grader's worker twice")
                    except Exception as error:  # a bug of ours must not stop the class
                        yield job, failed_result(job, f"the grader failed on this submission: {type(error).__name__}: {error}")
