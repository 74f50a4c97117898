"""Grade one submission: run each notebook in a sandboxed student process, check it, say why.

Cells run in the order of :func:`cells.graded_cells`: the submission's order, with given (locked)
cells restored from the instructor's source and nothing in the submission's metadata believed.
The student's own cells go to the student process; at each test cell the checker runs the
instructor's version of that cell; test cells the student deleted run at the end. When the
student process dies or hangs, the cell is recorded with the reason, a fresh process replays
the cells that worked (skipping the bad ones), and grading goes on until the notebook's time
limit, so one crash costs what it broke and no more.

This runs in a worker (a pool process or a Dask worker) and touches no shared state: it returns a
:class:`~.results.SubmissionResult`, and the parent alone writes the gradebook.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path, PurePosixPath

from . import cells, sandbox
from .results import CellOutput, NotebookJob, NotebookResult, SubmissionJob, SubmissionResult
from .sandbox import Limits
from .student_link import StudentCrashed, StudentSession, StudentTimeout, private_library
from .trusted_check import Checker, TestOutcome

MAX_RESTARTS = 3


def grade_submission(job: SubmissionJob) -> SubmissionResult:
    """Grade every notebook of ``job`` in a fresh temporary directory holding only its files."""
    sandbox.become_subreaper()
    timings = {"kernel_start": 0.0, "execution": 0.0, "checks": 0.0}
    private = Path(tempfile.mkdtemp(prefix="bpk-submission-"))  # the grader's: the student gets work/
    try:
        workdir = private / "work"
        workdir.mkdir()
        write_files(workdir, job.files)
        job = replace(job, library_path=private_library(job.library_path, private / "library"))
        notebooks = [grade_notebook(notebook, workdir, job, timings) for notebook in job.notebooks]
    finally:
        sandbox.remove_tree(private)  # TemporaryDirectory's cleanup would follow a student's links
    return SubmissionResult(job.student, job.assignment, notebooks, {k: round(v, 4) for k, v in timings.items()})


def write_files(workdir: Path, files: dict[str, bytes]) -> None:
    """Fill a new ``workdir`` with ``files`` and hand it to the student (before any student code runs)."""
    for name, content in files.items():
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts:
            continue  # a zip entry that points outside the submission
        target = workdir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    sandbox.hand_over(workdir)


def zero_notebook(notebook: NotebookJob, reason: str) -> NotebookResult:
    """Zero points for every test of ``notebook``, each with ``reason``."""
    tests = [
        TestOutcome(cells.grade_id(c) or "?", 0.0, cells.points(c), failure=reason, reason=reason)
        for c in cells.test_cells(notebook.source)
    ]
    return NotebookResult(notebook.name, tests, problem=reason)


class _Run:
    """One notebook's student process, restarted (replaying the good cells) when it dies."""

    def __init__(self, workdir: Path, job: SubmissionJob, graded_cells: list, timings: dict) -> None:
        self.workdir, self.job, self.cells, self.timings = workdir, job, graded_cells, timings
        self.limits: Limits = job.limits
        self.deadline = time.monotonic() + self.limits.notebook_timeout
        self.session: StudentSession | None = None
        self.done: list[int] = []  # cells that ran (with or without an error) and are replayed
        self.restarts = -1

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def budget(self) -> float:
        return max(0.01, min(self.limits.cell_timeout, self.remaining()))

    def ensure_session(self) -> StudentSession:
        if self.session is not None:
            return self.session
        self.restarts += 1
        if self.restarts > MAX_RESTARTS:
            raise StudentCrashed(f"the kernel failed {MAX_RESTARTS} times; the remaining tests could not run")
        started = time.monotonic()
        session = StudentSession(self.workdir, self.limits, self.job.library_path)
        try:
            session.start()
        except BaseException:
            session.close()
            raise
        self.timings["kernel_start"] += time.monotonic() - started
        self.session = session
        replay, self.done = self.done, []
        for index in replay:
            self.run_student_cell(index, record=None)
        return session

    def run_student_cell(self, index: int, record: list[CellOutput] | None) -> None:
        try:
            session = self.ensure_session()
        except StudentCrashed as crash:
            if record is not None:
                record.append(CellOutput(index, "", f"{crash}; this cell is skipped"))
            return
        started = time.monotonic()
        budget = self.budget()
        session.set_time_limit(budget)
        try:
            ran = session.run_cell(cells.source_of(self.cells[index]))
        except StudentTimeout:
            self.stop()
            message = f"this cell was stopped after {budget:.0f} s (time limit); it is skipped"
            if record is not None:
                record.append(CellOutput(index, "", message))
            return
        except StudentCrashed as crash:
            self.stop()
            if record is not None:
                record.append(CellOutput(index, "", f"{crash}; this cell is skipped"))
            return
        finally:
            self.timings["execution"] += time.monotonic() - started
        self.done.append(index)
        if record is not None:
            record.append(CellOutput(index, ran.output, ran.error))

    def stop(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


def grade_notebook(notebook: NotebookJob, workdir: Path, job: SubmissionJob, timings: dict) -> NotebookResult:
    """Run one notebook's cells and the instructor's tests; never raises for anything the student did."""
    if notebook.submitted is None:
        return zero_notebook(notebook, notebook.problem or "notebook missing from the submission")
    source_tests = {cells.grade_id(c): c for c in cells.test_cells(notebook.source)}
    graded = cells.graded_cells(notebook.source, notebook.submitted)  # exactly what the record shows
    steps: list[tuple[str, object]] = []
    for index, cell in enumerate(graded):
        if cells.is_test_cell(cell):  # its marks come from the source: a test the instructor wrote
            steps.append(("test", cells.grade_id(cell)))  # the instructor's version runs here, in the checker
        elif cell["cell_type"] == "code":
            steps.append(("student", index))  # the student's code, or a given cell restored from the source

    checker = Checker(notebook.source, Path(job.assignment_dir))
    run = _Run(workdir, job, graded, timings)
    outputs: list[CellOutput] = []
    outcomes: dict[str, TestOutcome] = {}
    try:
        for kind, what in steps:
            if kind == "student":
                if run.remaining() <= 0:
                    continue
                run.run_student_cell(what, outputs)
                continue
            cell = source_tests[what]
            if run.remaining() <= 0:
                reason = f"the notebook's time limit ({job.limits.notebook_timeout:.0f} s) ran out before this test"
                outcomes[what] = TestOutcome(what, 0.0, cells.points(cell), failure=reason, reason=reason)
                continue
            started = time.monotonic()
            try:
                session = run.ensure_session()
                session.set_time_limit(run.budget())
                outcomes[what] = checker.run(cell, session)
            except StudentTimeout as timeout:
                run.stop()
                reason = f"{timeout} while the tests called your code"
                outcomes[what] = TestOutcome(what, 0.0, cells.points(cell), failure=reason, reason=reason)
            except StudentCrashed as crash:
                run.stop()
                reason = f"{crash} while the tests called your code"
                outcomes[what] = TestOutcome(what, 0.0, cells.points(cell), failure=reason, reason=reason)
            finally:
                timings["checks"] += time.monotonic() - started
    finally:
        run.stop()
    tests = [outcomes[gid] for gid in source_tests]
    return NotebookResult(notebook.name, tests, outputs)
