"""Grade on a Dask distributed cluster when a class outgrows one machine (``--scheduler ADDRESS``).

The jobs carry everything a worker needs (notebooks, files, limits), so workers need the project
installed and nothing else; results come back to the parent, the only writer of the gradebook.
Dask reschedules a task whose worker died; a task that kills workers repeatedly comes back as
``KilledWorker`` and is recorded with zero points and the reason.
"""

from __future__ import annotations

from typing import Iterator

from .grader import grade_submission
from .pool import failed_result
from .results import SubmissionJob, SubmissionResult


def grade_on_cluster(jobs: list[SubmissionJob], scheduler: str) -> Iterator[tuple[SubmissionJob, SubmissionResult]]:
    """Yield (job, result) as each submission finishes on the cluster at ``scheduler``."""
    from distributed import Client, as_completed

    with Client(scheduler) as client:
        futures = {client.submit(grade_submission, job, pure=False, retries=1): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                yield job, future.result()
            except Exception as error:  # KilledWorker, or a bug of ours: the class goes on
                yield job, failed_result(job, f"the cluster could not grade this submission: {type(error).__name__}: {error}")
