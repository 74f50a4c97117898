"""The plain records of grading: what one submission may use, what a test scored, the job a
worker grades and the result it sends back.

Plain dataclasses of strings, numbers, lists and dicts, importing nothing of the grader's: they
pickle to a pool worker or a Dask worker on another machine, and a result is stored as JSON next
to the autograded notebooks (``grading.json``), where collect, feedback, export and status read it
back without loading the sandbox or the checker.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Limits:
    """What one submission may use.

    ``cell_timeout`` is CPU seconds of the student's processes per cell or test (with a
    wall-clock ceiling a few times longer, see ``student_link``); ``notebook_timeout`` is
    wall-clock seconds.
    """

    cell_timeout: float = 30.0
    notebook_timeout: float = 300.0
    memory_bytes: int = 4 * 2**30
    max_processes: int = 64
    max_file_bytes: int = 64 * 2**20
    max_output_chars: int = 20_000  # per cell
    max_notebook_output_chars: int = 200_000  # all the cells of one notebook together

    def __post_init__(self) -> None:
        for name in ("cell_timeout", "notebook_timeout", "memory_bytes", "max_processes",
                     "max_file_bytes", "max_output_chars", "max_notebook_output_chars"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Limits.{name} must be positive, got {getattr(self, name)}")


@dataclass
class TestOutcome:
    """The result of one test cell: points, and what the student should read about it."""

    __test__ = False  # a record, not a pytest test class (its name starts with Test)
    grade_id: str
    points: float
    max_points: float
    messages: list[str] = field(default_factory=list)
    failure: str | None = None
    reason: str | None = None  # set when the zero comes from a crash, a timeout or a missing notebook
    heatmaps: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class NotebookJob:
    """One notebook of a submission: the instructor's source and what the student handed in."""

    name: str  # path relative to the assignment folder, e.g. "affine.ipynb"
    source: dict
    submitted: dict | None  # None when missing or unreadable
    problem: str | None = None  # why ``submitted`` is None


@dataclass
class SubmissionJob:
    """One submission to grade. Its other files travel as content (``files``) or, to a worker on
    this machine, as paths the worker copies from (``file_paths``), so that a job stays small
    however much a student handed in; where both name a file, ``file_paths`` wins."""

    student: str
    assignment: str
    notebooks: list[NotebookJob]
    files: dict[str, bytes]  # the student's other files, then the assignment's own files over them
    assignment_dir: str  # the instructor's assignment folder: helper modules for the checker
    library_path: str | None = None  # the student edition of the library (os.pathsep-separated)
    limits: Limits = field(default_factory=Limits)
    file_paths: dict[str, str] = field(default_factory=dict)  # name in the submission -> absolute path
    submission_digest: str = ""  # of the hand-in graded (Workspace.submission_digest)
    # the student's notebooks of their other assignments, which a notebook may load its earlier
    # answers from: "<assignment>/<notebook>" -> absolute path here, or the content itself
    other_assignments: dict[str, str | bytes] = field(default_factory=dict)
    # mixed into the seeds of the hidden tests' cases (Workspace.job); None: the fixed cases
    case_salt: int | None = None

    def with_file_contents(self) -> "SubmissionJob":
        """This job with every file as content, for a worker that does not share this filesystem."""
        files = dict(self.files)
        files.update((name, Path(path).read_bytes()) for name, path in self.file_paths.items())
        others = {name: Path(path).read_bytes() if isinstance(path, str) else path
                  for name, path in self.other_assignments.items()}
        return replace(self, files=files, file_paths={}, other_assignments=others)


@dataclass
class CellOutput:
    """What one of the student's own cells printed, and the error it raised, if any."""

    index: int  # the cell's place in the graded notebook (cells.graded_cells), which the record keeps
    output: str
    error: str | None


@dataclass
class WrittenAnswer:
    """A written answer (a markdown answer cell worth points), graded by hand in formgrader.

    The grader never scores it. ``points`` and ``comment`` live in nbgrader's gradebook, where the
    TA writes them; grading.json stores them empty, and ``written.with_hand_grades`` fills them in
    when a result is read for status, feedback or the CSV.
    """

    grade_id: str
    max_points: float
    answer_digest: str  # of the student's text: a regrade keeps the TA's score while it is unchanged
    points: float | None = None  # the TA's score; None while the answer waits to be graded
    comment: str | None = None  # the TA's comment, if any


@dataclass
class NotebookResult:
    name: str
    tests: list[TestOutcome]
    cell_outputs: list[CellOutput] = field(default_factory=list)
    problem: str | None = None
    timed_out: bool = False  # a cell or a test of this notebook hit a time limit
    written: list[WrittenAnswer] = field(default_factory=list)  # answers a TA grades by hand

    @property
    def points(self) -> float:
        return sum(t.points for t in self.tests)

    @property
    def max_points(self) -> float:
        return sum(t.max_points for t in self.tests)

    @property
    def total_points(self) -> float:
        """The tests' points plus the written answers a TA graded so far."""
        return self.points + sum(answer.points or 0.0 for answer in self.written)

    @property
    def total_max_points(self) -> float:
        return self.max_points + sum(answer.max_points for answer in self.written)


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    notebooks: list[NotebookResult]
    timings: dict[str, float] = field(default_factory=dict)  # kernel start, execution, checks (s)
    retried_alone: bool = False  # timed out beside other submissions, so graded again on its own
    submission_digest: str = ""  # of the hand-in graded: a different one now means it was resubmitted
    seconds_late: float = 0.0  # after the assignment's due date in the gradebook
    late_penalty: float = 0.0  # points nbgrader's late-submission plugin took off for it
    # the salt its hidden cases were drawn with (None: the fixed ones); `bpk-grade check NOTEBOOK
    # --case-salt N` draws the same cases again
    case_salt: int | None = None

    @property
    def timed_out(self) -> bool:
        return any(n.timed_out for n in self.notebooks)

    @property
    def points(self) -> float:
        return sum(n.points for n in self.notebooks)

    @property
    def max_points(self) -> float:
        return sum(n.max_points for n in self.notebooks)

    @property
    def written_waiting(self) -> int:
        """How many written answers wait for a TA's grade."""
        return sum(answer.points is None for n in self.notebooks for answer in n.written)

    @property
    def total_points(self) -> float:
        """The tests' points plus the written answers a TA graded so far."""
        return sum(n.total_points for n in self.notebooks)

    @property
    def total_max_points(self) -> float:
        return sum(n.total_max_points for n in self.notebooks)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> "SubmissionResult":
        data = json.loads(text)
        notebooks = [
            NotebookResult(
                name=n["name"],
                tests=[TestOutcome(**t) for t in n["tests"]],
                cell_outputs=[CellOutput(**c) for c in n["cell_outputs"]],
                problem=n.get("problem"),
                timed_out=n.get("timed_out", False),
                written=[WrittenAnswer(**w) for w in n.get("written", [])],
            )
            for n in data["notebooks"]
        ]
        return cls(data["student"], data["assignment"], notebooks, data.get("timings", {}),
                   data.get("retried_alone", False), data.get("submission_digest", ""),
                   data.get("seconds_late", 0.0), data.get("late_penalty", 0.0), data.get("case_salt"))

    def save(self, path: Path) -> None:
        """Write atomically: a crash mid-write must not leave a result that looks finished."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_text(self.to_json())
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> "SubmissionResult":
        return cls.from_json(path.read_text())


def summarize_reasons(result: SubmissionResult) -> dict[str, Any]:
    """Per notebook, the first reason a test scored zero for a cause other than its own check."""
    reasons: dict[str, Any] = {}
    for notebook in result.notebooks:
        reason = notebook.problem or next((t.reason for t in notebook.tests if t.reason), None)
        if reason:
            reasons[notebook.name] = reason
    return reasons


def first_line(text: str | None) -> str:
    """The first non-blank line of ``text`` (a check's headline), or ""."""
    return next((line.strip() for line in (text or "").splitlines() if line.strip()), "")


def lost_points(result: SubmissionResult) -> list[str]:
    """One line per test that lost points: ``notebook/test (got/max): why``, the why on one line;
    first, the late penalty, if any."""
    lines = []
    if result.seconds_late > 0:
        hours, minutes = divmod(round(result.seconds_late / 60), 60)
        lines.append(f"handed in {hours}h {minutes:02d}m after the due date: "
                     f"late penalty {result.late_penalty:g} point(s)")
    for notebook in result.notebooks:
        if notebook.problem:  # the whole notebook: one line, not one per test
            lines.append(f"{Path(notebook.name).stem} ({notebook.points:g}/{notebook.max_points:g}): "
                         f"{first_line(notebook.problem)}")
            continue
        for test in notebook.tests:
            if test.points < test.max_points:
                why = first_line(test.reason or test.failure) or "no points (no message)"
                lines.append(f"{Path(notebook.name).stem}/{test.grade_id} "
                             f"({test.points:g}/{test.max_points:g}): {why}")
    return lines
