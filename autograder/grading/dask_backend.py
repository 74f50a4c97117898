"""Grade on a Dask distributed cluster when a class outgrows one machine (``--scheduler ADDRESS``).

The jobs carry everything a worker needs (notebooks, files as content, limits), so workers need the
project installed and nothing else; results come back to the parent, the only writer of the
gradebook. Jobs are built and sent only as results come back (two per worker thread in flight),
so the parent never holds the whole class's files. Dask reschedules a task whose worker died; a
task that kills workers repeatedly comes back as ``KilledWorker`` and is recorded with zero points
and the reason.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from .grader import grade_submission
from .pool import failed_result
from .records import SubmissionJob, SubmissionResult


def grade_on_cluster(jobs: Iterable[SubmissionJob], scheduler: str) -> Iterator[tuple[SubmissionJob, SubmissionResult]]:
    """Yield (job, result) as each submission finishes on the cluster at ``scheduler``."""
    from distributed import Client, as_completed

    with Client(scheduler) as client:
        in_flight = max(1, 2 * sum(client.nthreads().values()))
        pending = iter(jobs)
        futures: dict = {}

        def submit_next() -> object | None:
            job = next(pending, None)
            if job is None:
                return None
            future = client.submit(grade_submission, job.with_file_contents(), pure=False, retries=1)
            futures[future] = job
            return future

        started = [f for f in (submit_next() for _ in range(in_flight)) if f is not None]
        finished = as_completed(started)
        for future in finished:
            job = futures.pop(future)
            try:
                result = future.result()
            except Exception as error:  # KilledWorker, or a bug of ours: the class goes on
                result = failed_result(job, f"the cluster could not grade this submission: {type(error).__name__}: {error}")
            following = submit_next()
            if following is not None:
                finished.add(following)
            yield job, result
