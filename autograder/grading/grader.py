"""Grade one submission: run each notebook in a sandboxed student process, check it, say why.

Cells run in the order of :func:`cells.graded_cells`: the submission's order, with given (locked)
cells restored from the instructor's source and nothing in the submission's metadata believed.
Each code cell is one step (:func:`notebook_steps`): a :class:`StudentCell` runs in the student
process; an :class:`InstructorTest` runs the instructor's version of a test cell in the checker;
test cells the student deleted run at the end. When the
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
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, TypeVar

from . import cells, sandbox
from .records import CellOutput, Limits, NotebookJob, NotebookResult, SubmissionJob, SubmissionResult, TestOutcome
from .student_link import WALL_CLOCK_FACTOR, StudentCrashed, StudentSession, StudentTimeout, private_library
from .trusted_check import Checker

MAX_RESTARTS = 3

StudentStopped = StudentTimeout | StudentCrashed  # how a student process stops a step
T = TypeVar("T")


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


class _NotebookRun:
    """One notebook's grading: its student process, restarted (replaying the good cells) when it
    dies, and what the steps found so far.

    Guarantees: :meth:`ensure_session` returns a live session or raises StudentCrashed; a cell
    that fails when replayed is skipped with a note in :attr:`notes`; at most ``MAX_RESTARTS``
    fresh processes are started; the student's cells keep at most
    ``Limits.max_notebook_output_chars`` characters of output between them.
    """

    def __init__(self, workdir: Path, job: SubmissionJob, graded_cells: list, timings: dict,
                 read_only: list[Path], checker: Checker) -> None:
        self.workdir, self.job, self.cells, self.timings = workdir, job, graded_cells, timings
        self.read_only = read_only
        self.checker = checker
        self.limits: Limits = job.limits
        self.deadline = time.monotonic() + self.limits.notebook_timeout
        self.session: StudentSession | None = None
        self.done: list[int] = []  # cells that ran (with or without an error) and are replayed
        self.restarts = -1
        self.output_left = self.limits.max_notebook_output_chars
        self.outputs: list[CellOutput] = []  # what the student's cells printed
        self.outcomes: dict[str, TestOutcome] = {}  # by grade id
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

    def in_student_process(self, work: Callable[[StudentSession], T], clock: str) -> T | StudentStopped:
        """``work(session)`` on a live student process within the next step's time limits, its
        time added to ``timings[clock]``. When the process hangs or dies, it is stopped and the
        error is returned instead of raised: the one place a step meets a timeout or a crash."""
        started = time.monotonic()
        try:
            session = self.ensure_session()
            session.set_time_limit(self.budget(), self.wall_budget())
            return work(session)
        except (StudentTimeout, StudentCrashed) as stopped:
            self.stop()
            self.timed_out |= isinstance(stopped, StudentTimeout)
            return stopped
        finally:
            self.timings[clock] += time.monotonic() - started

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
            problem = self.execute(index, None)
            if problem is not None:  # the process is gone: the next restart replays the rest without it
                self.notes.append(CellOutput(index, "", f"when replayed after a crash, {problem}"))
                self.done += replay[position + 1:]
                return

    def execute(self, index: int, record: list[CellOutput] | None) -> str | None:
        """Run cell ``index`` in the student process; None when it ran, else why it was skipped
        (the process is then stopped)."""
        source = cells.source_of(self.cells[index])
        # numbered as the feedback page numbers it, so the traceback's <cell N> is that cell
        ran = self.in_student_process(lambda session: session.run_cell(source, self.output_left, number=index + 1),
                                      "execution")
        if isinstance(ran, StudentTimeout):
            return f"this cell was stopped: {ran}; it is skipped"
        if isinstance(ran, StudentCrashed):
            return f"{ran}; this cell is skipped"
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


@dataclass
class StudentCell:
    """A code cell the student process runs: the student's code, or a given cell restored from the source."""

    index: int  # in the graded notebook

    def run(self, grading: _NotebookRun) -> None:
        if grading.remaining() <= 0:
            return  # the notebook's time is up: the tests after this cell say so
        try:
            grading.ensure_session()
        except StudentCrashed as crash:  # no fresh process would start
            grading.skipped.append(str(crash))
            grading.outputs.append(CellOutput(self.index, "", f"{crash}; this cell is skipped"))
            return
        problem = grading.execute(self.index, grading.outputs)
        if problem is not None:
            grading.skipped.append(problem)
            grading.outputs.append(CellOutput(self.index, "", problem))


@dataclass
class InstructorTest:
    """A test cell: the instructor's version runs in the checker, against the student process."""

    grade_id: str
    cell: cells.Cell  # from the instructor's source

    def run(self, grading: _NotebookRun) -> None:
        if grading.remaining() <= 0:
            grading.timed_out = True
            grading.outcomes[self.grade_id] = self._zero(
                f"the notebook's time limit ({grading.limits.notebook_timeout:.0f} s) ran out before this test")
            return
        outcome = grading.in_student_process(lambda session: grading.checker.run(self.cell, session), "checks")
        if isinstance(outcome, StudentStopped):
            outcome = self._zero(f"{outcome} while the tests called your code")
        _explain_with_skipped_cells(outcome, grading.skipped)
        grading.outcomes[self.grade_id] = outcome

    def _zero(self, reason: str) -> TestOutcome:
        return TestOutcome(self.grade_id, 0.0, cells.points(self.cell), failure=reason, reason=reason)


def notebook_steps(graded: list[cells.Cell], source_tests: dict[str, cells.Cell]) -> list[StudentCell | InstructorTest]:
    """The graded notebook's code cells as steps, in its order: each test cell runs the
    instructor's test (its marks come from the source), every other code cell runs in the student
    process."""
    steps: list[StudentCell | InstructorTest] = []
    for index, cell in enumerate(graded):
        if cells.is_test_cell(cell):
            grade_id = cells.grade_id(cell)
            steps.append(InstructorTest(grade_id, source_tests[grade_id]))
        elif cell["cell_type"] == "code":
            steps.append(StudentCell(index))
    return steps


def grade_notebook(notebook: NotebookJob, workdir: Path, job: SubmissionJob, timings: dict,
                   read_only: list[Path] | None = None) -> NotebookResult:
    """Run one notebook's cells and the instructor's tests in ``workdir``, where the student process
    may also read the folders ``read_only``; never raises for anything the student did."""
    if notebook.submitted is None:
        return zero_notebook(notebook, notebook.problem or "notebook missing from the submission")
    source_tests = {cells.grade_id(c): c for c in cells.test_cells(notebook.source)}
    graded = cells.graded_cells(notebook.source, notebook.submitted)  # exactly what the record shows
    checker = Checker(notebook.source, Path(job.assignment_dir), job.case_salt)
    grading = _NotebookRun(workdir, job, graded, timings, read_only or [], checker)
    try:
        for step in notebook_steps(graded, source_tests):
            step.run(grading)
    finally:
        grading.stop()
    tests = [grading.outcomes[grade_id] for grade_id in source_tests]
    return NotebookResult(notebook.name, tests, grading.outputs + grading.notes, timed_out=grading.timed_out)


def _explain_with_skipped_cells(outcome: TestOutcome, skipped: list[str]) -> None:
    """A test that scored zero after cells of the student were skipped says so: the failure may
    come from what those cells would have defined, not from the answer itself."""
    if outcome.points == 0 and outcome.max_points > 0 and outcome.reason is None and skipped:
        more = f" (and {len(skipped) - 1} more)" if len(skipped) > 1 else ""
        outcome.reason = f"an earlier cell of yours did not run: {skipped[0]}{more}"
