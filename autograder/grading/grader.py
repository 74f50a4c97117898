"""Grade one submission: run each notebook in a sandboxed student process, check it, say why.

Cells run in the order of :func:`cells.graded_cells`: the submission's order, with given (locked)
cells restored from the instructor's source and nothing in the submission's metadata believed.
The student's own cells go to the student process; at each test cell the checker runs the
instructor's version of that cell; test cells the student deleted run at the end. When the
student process dies or hangs, the cell is recorded with the reason, a fresh process replays
the cells that worked (skipping the bad ones), and grading goes on until the notebook's time
limit, so one crash costs what it broke and no more.

This runs in a worker (a pool process or a Dask worker) and touches no shared state: it returns a
:class:`~.records.SubmissionResult`, and the parent alone writes the gradebook.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Iterable

from . import cells, sandbox
from .records import CellOutput, Limits, NotebookJob, NotebookResult, SubmissionJob, SubmissionResult, TestOutcome
from .student_link import WALL_CLOCK_FACTOR, StudentCrashed, StudentSession, StudentTimeout, private_library
from .trusted_check import Checker

MAX_RESTARTS = 3


def grade_submission(job: SubmissionJob) -> SubmissionResult:
    """Grade every notebook of ``job`` in a fresh temporary directory laid out as the student's
    course: ``course/<assignment>/`` holds the submission (its notebooks and files, writable), and
    beside it ``course/<other>/`` the student's notebooks of other assignments (readable only), so
    that a notebook loading earlier answers (``answers_from("1_layers.ipynb")``,
    ``answers_from("../02_linear_classifiers/...")``) finds the student's own."""
    sandbox.become_subreaper()
    timings = {"kernel_start": 0.0, "execution": 0.0, "checks": 0.0}
    private = Path(tempfile.mkdtemp(prefix="bpk-submission-"))  # the grader's: the student gets course/
    try:
        course = private / "course"
        workdir = course / job.assignment
        workdir.mkdir(parents=True)
        copy_into(workdir, submitted_notebooks(job).items())
        write_files(workdir, job.files, job.file_paths)
        read_only = write_other_assignments(course, job)
        job = replace(job, library_path=private_library(job.library_path, private / "library"))
        notebooks = [grade_notebook(notebook, workdir, job, timings, read_only) for notebook in job.notebooks]
    finally:
        sandbox.remove_tree(private)  # TemporaryDirectory's cleanup would follow a student's links
    return SubmissionResult(job.student, job.assignment, notebooks, {k: round(v, 4) for k, v in timings.items()},
                            case_salt=job.case_salt)


def submitted_notebooks(job: SubmissionJob) -> dict[str, bytes]:
    """The submission's notebooks as the student handed them in: name -> content."""
    return {notebook.name: json.dumps(notebook.submitted).encode()
            for notebook in job.notebooks if notebook.submitted is not None}


def write_other_assignments(course: Path, job: SubmissionJob) -> list[Path]:
    """Copy the student's notebooks of other assignments into ``course/<other>/``, which stay the
    grader's (the student may read them, never write them); returns those folders."""
    others = {name: content for name, content in job.other_assignments.items()
              if _assignment_of(name) not in (None, job.assignment)}
    copy_into(course, others.items())
    return sorted({course / _assignment_of(name) for name in others})


def _assignment_of(name: str) -> str | None:
    """The assignment of "<assignment>/<notebook>"; None for any other shape of name."""
    parts = PurePosixPath(name).parts
    if len(parts) != 2 or PurePosixPath(name).is_absolute() or ".." in parts:
        return None
    return parts[0]


def write_files(workdir: Path, files: dict[str, bytes], paths: dict[str, str] | None = None) -> None:
    """Fill a new ``workdir`` with ``files`` (name -> content) and ``paths`` (name -> file here), then
    hand it to the student (before any student code runs)."""
    copy_into(workdir, [*files.items(), *(paths or {}).items()])
    sandbox.hand_over(workdir)


def copy_into(folder: Path, files: Iterable[tuple[str, bytes | str]]) -> None:
    """Write each (relative name, content or path of a file here) under ``folder``.

    Copies stream through the kernel, so a large hand-in never sits in this process's memory.
    """
    for name, content in files:
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts:
            continue  # a zip entry that points outside the submission
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            shutil.copyfile(content, target)


def zero_notebook(notebook: NotebookJob, reason: str) -> NotebookResult:
    """Zero points for every test of ``notebook``, each with ``reason``."""
    tests = [
        TestOutcome(cells.grade_id(c) or "?", 0.0, cells.points(c), failure=reason, reason=reason)
        for c in cells.test_cells(notebook.source)
    ]
    return NotebookResult(notebook.name, tests, problem=reason)


class _Run:
    """One notebook's student process, restarted (replaying the good cells) when it dies.

    Guarantees: :meth:`ensure_session` returns a live session or raises StudentCrashed; a cell
    that fails when replayed is skipped with a note in :attr:`notes`; at most ``MAX_RESTARTS``
    fresh processes are started; the student's cells keep at most
    ``Limits.max_notebook_output_chars`` characters of output between them.
    """

    def __init__(self, workdir: Path, job: SubmissionJob, graded_cells: list, timings: dict,
                 read_only: list[Path]) -> None:
        self.workdir, self.job, self.cells, self.timings = workdir, job, graded_cells, timings
        self.read_only = read_only
        self.limits: Limits = job.limits
        self.deadline = time.monotonic() + self.limits.notebook_timeout
        self.session: StudentSession | None = None
        self.done: list[int] = []  # cells that ran (with or without an error) and are replayed
        self.restarts = -1
        self.output_left = self.limits.max_notebook_output_chars
        self.notes: list[CellOutput] = []  # cells that failed when replayed, and why
        self.skipped: list[str] = []  # why each skipped cell of the student was skipped
        self.timed_out = False

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def budget(self) -> float:
        """The CPU seconds the next cell or test may use."""
        return max(0.01, min(self.limits.cell_timeout, self.remaining()))

    def wall_budget(self) -> float:
        """The wall-clock seconds the next cell or test may take: more than its CPU time, so that
        a busy machine costs nothing, but never past the notebook's time limit."""
        return max(0.01, min(WALL_CLOCK_FACTOR * self.limits.cell_timeout, self.remaining()))

    def ensure_session(self) -> StudentSession:
        while self.session is None:
            self._restart()
        return self.session

    def _restart(self) -> None:
        """Start a fresh process and replay the cells that worked; a cell that fails now is dropped."""
        self.restarts += 1
        if self.restarts > MAX_RESTARTS:
            raise StudentCrashed(f"the kernel failed {MAX_RESTARTS} times; the remaining tests could not run")
        started = time.monotonic()
        session = StudentSession(self.workdir, self.limits, self.job.library_path, self.read_only)
        try:
            session.start()
        except BaseException:
            session.close()
            raise
        self.timings["kernel_start"] += time.monotonic() - started
        self.session = session
        replay, self.done = self.done, []
        for position, index in enumerate(replay):
            problem = self._execute(index, None)
            if problem is not None:  # the process is gone: the next restart replays the rest without it
                self.notes.append(CellOutput(index, "", f"when replayed after a crash, {problem}"))
                self.done += replay[position + 1:]
                return

    def run_student_cell(self, index: int, record: list[CellOutput] | None) -> None:
        try:
            self.ensure_session()
        except StudentCrashed as crash:
            self.skipped.append(str(crash))
            if record is not None:
                record.append(CellOutput(index, "", f"{crash}; this cell is skipped"))
            return
        problem = self._execute(index, record)
        if problem is not None:
            self.skipped.append(problem)
            if record is not None:
                record.append(CellOutput(index, "", problem))

    def _execute(self, index: int, record: list[CellOutput] | None) -> str | None:
        """Run cell ``index`` in the live session; None when it ran, else why it was skipped
        (the session is then closed)."""
        started = time.monotonic()
        self.session.set_time_limit(self.budget(), self.wall_budget())
        try:
            # numbered as the feedback page numbers it, so the traceback's <cell N> is that cell
            ran = self.session.run_cell(cells.source_of(self.cells[index]), self.output_left, number=index + 1)
        except StudentTimeout as timeout:
            self.stop()
            self.timed_out = True
            return f"this cell was stopped: {timeout}; it is skipped"
        except StudentCrashed as crash:
            self.stop()
            return f"{crash}; this cell is skipped"
        finally:
            self.timings["execution"] += time.monotonic() - started
        self.done.append(index)
        if record is not None:
            output = ran.output if self.output_left else ""  # the cell that spent the allowance said so
            self.output_left = max(0, self.output_left - len(output) - len(ran.error or ""))
            record.append(CellOutput(index, output, ran.error))
        return None

    def stop(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


def grade_notebook(notebook: NotebookJob, workdir: Path, job: SubmissionJob, timings: dict,
                   read_only: list[Path] | None = None) -> NotebookResult:
    """Run one notebook's cells and the instructor's tests in ``workdir``, where the student process
    may also read the folders ``read_only``; never raises for anything the student did."""
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

    checker = Checker(notebook.source, Path(job.assignment_dir), job.case_salt)
    run = _Run(workdir, job, graded, timings, read_only or [])
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
                run.timed_out = True
                reason = f"the notebook's time limit ({job.limits.notebook_timeout:.0f} s) ran out before this test"
                outcomes[what] = TestOutcome(what, 0.0, cells.points(cell), failure=reason, reason=reason)
                continue
            started = time.monotonic()
            try:
                session = run.ensure_session()
                session.set_time_limit(run.budget(), run.wall_budget())
                outcomes[what] = checker.run(cell, session)
            except StudentTimeout as timeout:
                run.stop()
                run.timed_out = True
                reason = f"{timeout} while the tests called your code"
                outcomes[what] = TestOutcome(what, 0.0, cells.points(cell), failure=reason, reason=reason)
            except StudentCrashed as crash:
                run.stop()
                reason = f"{crash} while the tests called your code"
                outcomes[what] = TestOutcome(what, 0.0, cells.points(cell), failure=reason, reason=reason)
            finally:
                timings["checks"] += time.monotonic() - started
            _explain_with_skipped_cells(outcomes[what], run.skipped)
    finally:
        run.stop()
    tests = [outcomes[gid] for gid in source_tests]
    return NotebookResult(notebook.name, tests, outputs + run.notes, timed_out=run.timed_out)


def _explain_with_skipped_cells(outcome: TestOutcome, skipped: list[str]) -> None:
    """A test that scored zero after cells of the student were skipped says so: the failure may
    come from what those cells would have defined, not from the answer itself."""
    if outcome.points == 0 and outcome.max_points > 0 and outcome.reason is None and skipped:
        more = f" (and {len(skipped) - 1} more)" if len(skipped) > 1 else ""
        outcome.reason = f"an earlier cell of yours did not run: {skipped[0]}{more}"
