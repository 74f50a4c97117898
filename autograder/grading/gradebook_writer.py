"""The one writer of the gradebook: turns grading results into nbgrader's records.

Only the parent process writes, one submission at a time, as results come back from the workers.
Everything it writes comes from one record, the :class:`~.records.SubmissionResult` that becomes
``grading.json``: each test's points go straight into the test's nbgrader grade (whose maximum
nbgrader took from the instructor's source when the assignment was registered), a hand-in after
the assignment's due date (``nbgrader db assignment add NAME --duedate=...``) gets the penalty of
nbgrader's late-submission plugin as the course's ``nbgrader_config.py`` sets it up, and the
autograded notebook is the graded notebook of :func:`cells.graded_cells` with the outputs grading
produced. Nothing in a submitted notebook's metadata reaches the gradebook, so the gradebook,
``grading.json``, the CSV, ``status`` and feedback show the same points, and formgrader opens the
record with the instructor's test cells and ids. Written answers (see :mod:`.written`) get no
score: each is recorded as waiting for a TA, whose grade of an unchanged answer a regrade keeps.

Registering an assignment and recording a submission are lists of named steps, nbgrader's
preprocessors and ours in the order they run, as nbgrader's converters declare theirs:
REGISTER_STEPS, RECORD_STEPS, and FAILURE_STEPS for a submission that could not be recorded.
Points go into the gradebook through nbgrader's API (``find_grade``, ``auto_score``), never as
outputs parsed back, so nbgrader's SaveAutoGrades has no place here: ``update_or_create_submission``
creates the submission's notebooks, grades and comments, and the steps fill in the grades.
"""

from __future__ import annotations

import copy
import json
import logging
import shutil
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import nbformat
from nbgrader.api import Gradebook
from nbgrader.plugins import BasePlugin
from nbgrader.preprocessors import (AssignLatePenalties, ClearOutput, ClearSolutions, ComputeChecksums, LimitOutput,
                                    LockCells, NbGraderPreprocessor, SaveCells)
from sqlalchemy.exc import SAWarning
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from . import cells, written
from .grader import zero_notebook
from .records import NotebookJob, NotebookResult, SubmissionJob, SubmissionResult
from .workspace import Workspace

_quiet = logging.getLogger("backpropkit.grading.nbgrader")
_quiet.setLevel(logging.ERROR)  # nbgrader's preprocessors log their routine steps; only errors matter here


class _SaveCellsOnce(SaveCells):
    """nbgrader's SaveCells, which refuses to touch cells once submissions exist: then they are
    already recorded, and did not change."""

    def preprocess(self, nb: nbformat.NotebookNode, resources: dict) -> tuple[nbformat.NotebookNode, dict]:
        try:
            return super().preprocess(nb, resources)
        except RuntimeError:
            return nb, resources


# What ``nbgrader generate_assignment`` does to a source notebook up to its SaveCells: the gradebook
# keeps the test cells with their hidden tests, the answer cells without answers, and their checksums.
REGISTER_STEPS = [LockCells, ClearSolutions, ClearOutput, ComputeChecksums, _SaveCellsOnce]


class GradebookWriter:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._registered: set[str] = set()
        self.late_policy = late_submission_plugin(workspace.source_root.parent)

    def register_assignment(self, assignment: str) -> None:
        """Record the assignment's notebooks and cells from the instructor's source (REGISTER_STEPS)."""
        if assignment in self._registered:
            return
        with self.workspace.gradebook() as gradebook:
            gradebook.update_or_create_assignment(assignment)
        for name, path in self.workspace.source_notebooks(assignment).items():
            notebook = nbformat.read(str(path), as_version=4)
            resources = self._resources(assignment, name)
            for step in REGISTER_STEPS:
                notebook, resources = step(log=_quiet).preprocess(notebook, resources)
        self._registered.add(assignment)

    def _resources(self, assignment: str, notebook: str) -> dict:
        return {"nbgrader": {"db_url": self.workspace.db_url, "assignment": assignment, "notebook": Path(notebook).stem}}

    def write(self, job: SubmissionJob, result: SubmissionResult) -> SubmissionResult:
        """Record ``result`` in the gradebook and on disk (RECORD_STEPS); ``grading.json`` is written last.

        Returns what was recorded: ``result``, or, when recording it failed, zero points for the
        submission with the reason (FAILURE_STEPS), so that one submission never stops the others.
        """
        with warnings.catch_warnings():
            # nbgrader's own submission code trips SQLAlchemy's autoflush warning (harmless)
            warnings.simplefilter("ignore", SAWarning)
            result.submission_digest = job.submission_digest  # what `pending` compares a resubmission with
            recording = Recording(self, job, result, self._earlier_answers(job))  # before grading.json is replaced
            try:
                for step in RECORD_STEPS:
                    step(recording)
                return recording.result
            except Exception as error:  # a bug of ours, or a submission nbgrader cannot hold
                reason = f"the grader could not record this submission ({type(error).__name__}: {error})"
                failed = SubmissionResult(job.student, job.assignment, [zero_notebook(n, reason) for n in job.notebooks],
                                          submission_digest=job.submission_digest)
                recording = Recording(self, job, failed, recording.earlier)
                for step in FAILURE_STEPS:
                    step(recording)
                return recording.result

    def _earlier_answers(self, job: SubmissionJob) -> dict[tuple[str, str], str]:
        """The written answers' digests as the last grading of this submission recorded them."""
        try:
            return written.earlier_digests(self.workspace.result(job.student, job.assignment))
        except (OSError, ValueError, KeyError, TypeError):  # an unreadable record: no answer is known
            return {}


@dataclass
class Recording:
    """One submission on its way into the gradebook: what the steps below read and fill in."""

    writer: GradebookWriter
    job: SubmissionJob
    result: SubmissionResult
    earlier: dict[tuple[str, str], str]  # the written answers' digests as the last grading recorded them
    notebooks: dict[str, nbformat.NotebookNode] = field(default_factory=dict)  # the autograded records, by name
    gradebook: Gradebook | None = None  # open during the steps of :func:`in_gradebook`

    @property
    def workspace(self) -> Workspace:
        return self.writer.workspace

    @property
    def autograded_dir(self) -> Path:
        return self.workspace.autograded / self.job.student / self.job.assignment


Step = Callable[[Recording], None]


def clean_text(recording: Recording) -> None:
    """Text every view can write: what a student prints may hold lone surrogates."""
    def valid(value: Any) -> Any:
        if isinstance(value, str):
            return cells.valid_text(value)
        if isinstance(value, list):
            return [valid(item) for item in value]
        if isinstance(value, dict):
            return {key: valid(item) for key, item in value.items()}
        return value

    recording.result = SubmissionResult.from_json(json.dumps(valid(json.loads(recording.result.to_json()))))


def note_written_answers(recording: Recording) -> None:
    """Note in the result each notebook's written answers, which the worker does not grade."""
    by_name = {n.name: n for n in recording.job.notebooks}
    for notebook in recording.result.notebooks:
        notebook.written = written.answers_in(by_name[notebook.name])


def register_assignment(recording: Recording) -> None:
    recording.writer.register_assignment(recording.job.assignment)


def build_autograded_notebooks(recording: Recording) -> None:
    """The record of each notebook handed in (:func:`_autograded_notebook`)."""
    by_name = {n.name: n for n in recording.job.notebooks}
    recording.notebooks = {r.name: _autograded_notebook(by_name[r.name], r)
                           for r in recording.result.notebooks if by_name[r.name].submitted is not None}


def each_autograded_notebook(preprocessor: type[NbGraderPreprocessor]) -> Step:
    """A step that runs one of nbgrader's preprocessors on every autograded record."""
    def step(recording: Recording) -> None:
        for name, notebook in recording.notebooks.items():
            recording.notebooks[name], _ = preprocessor(log=_quiet).preprocess(notebook, {})
    step.__name__ = preprocessor.__name__
    return step


def remove_earlier_records(recording: Recording) -> None:
    """No record of an earlier grading outlives this one."""
    shutil.rmtree(recording.autograded_dir, ignore_errors=True)


def in_gradebook(*steps: Step) -> Step:
    """A step that runs ``steps`` in one open gradebook, then commits."""
    def step(recording: Recording) -> None:
        with recording.workspace.gradebook() as gradebook:
            recording.gradebook = gradebook
            try:
                for inner in steps:
                    inner(recording)
                gradebook.db.commit()
            finally:
                recording.gradebook = None
    step.__name__ = "in_gradebook"
    return step


def save_submission(recording: Recording) -> None:
    """The student and the submission, stamped with its hand-in time when collect recorded one;
    nbgrader creates the submission's notebooks, grades and comments with it."""
    job, gradebook = recording.job, recording.gradebook
    gradebook.update_or_create_student(job.student)
    timestamp = _read_timestamp(recording.workspace.submission_dir(job.student, job.assignment) / "timestamp.txt")
    if timestamp is not None:
        gradebook.update_or_create_submission(job.assignment, job.student, timestamp=timestamp)
    else:
        gradebook.update_or_create_submission(job.assignment, job.student)


def save_test_scores(recording: Recording) -> None:
    """Each test's points from the result, straight into its grade; the maximum is the source's."""
    job = recording.job
    for notebook in recording.result.notebooks:
        for test in notebook.tests:
            grade = recording.gradebook.find_grade(test.grade_id, Path(notebook.name).stem, job.assignment, job.student)
            grade.auto_score = test.points
            grade.needs_manual_grade = grade.manual_score is not None  # as nbgrader: a TA's override is reviewed


def leave_written_answers_to_ta(recording: Recording) -> None:
    """Each written answer gets no automatic score, and waits for the TA unless the TA graded this
    very answer before (``recording.earlier``: the digests the last grading recorded)."""
    job = recording.job
    for notebook in recording.result.notebooks:
        handed_in = next(n for n in job.notebooks if n.name == notebook.name).submitted is not None
        for answer in notebook.written:
            grade = recording.gradebook.find_grade(answer.grade_id, Path(notebook.name).stem, job.assignment, job.student)
            if recording.earlier.get((notebook.name, answer.grade_id), answer.answer_digest) != answer.answer_digest:
                grade.manual_score = grade.extra_credit = None  # the TA graded an answer that is gone
            grade.auto_score = None if handed_in else 0.0  # a notebook never handed in holds no answer
            grade.needs_manual_grade = grade.auto_score is None and grade.manual_score is None


def assign_late_penalties(recording: Recording) -> None:
    """What ``AssignLatePenalties`` does in ``nbgrader autograde``, with its plugin
    (:func:`late_submission_plugin`): per notebook, the plugin's penalty for this lateness, kept
    between 0 and the notebook's score; noted in the result."""
    gradebook, job, result = recording.gradebook, recording.job, recording.result
    gradebook.db.commit()  # a notebook's score is computed in SQL, from the grades committed
    submission = gradebook.find_submission(job.assignment, job.student)
    result.seconds_late, result.late_penalty = float(submission.total_seconds_late), 0.0
    for notebook in submission.notebooks:
        notebook.late_submission_penalty = None
        if result.seconds_late > 0:
            penalty = recording.writer.late_policy.late_submission_penalty(job.student, notebook.score,
                                                                           result.seconds_late)
            if penalty is not None:
                notebook.late_submission_penalty = min(max(float(penalty), 0.0), notebook.score)
                result.late_penalty += notebook.late_submission_penalty


def write_autograded_notebooks(recording: Recording) -> None:
    recording.autograded_dir.mkdir(parents=True)
    for name, notebook in recording.notebooks.items():
        nbformat.write(notebook, str(recording.autograded_dir / name))


def save_grading_json(recording: Recording) -> None:
    """Last: a grading.json on disk means the submission is recorded."""
    recording.result.save(recording.workspace.result_path(recording.job.student, recording.job.assignment))


def best_effort(*steps: Step) -> Step:
    """A step that runs ``steps`` and logs, rather than raises, what goes wrong."""
    def step(recording: Recording) -> None:
        try:
            for inner in steps:
                inner(recording)
        except Exception:
            logging.getLogger(__name__).exception("could not record %s/%s in the gradebook",
                                                  recording.job.student, recording.job.assignment)
    step.__name__ = "best_effort"
    return step


# the gradebook's part of recording a submission, all in one open gradebook
GRADEBOOK_STEPS = [save_submission, save_test_scores, leave_written_answers_to_ta, assign_late_penalties]

# recording a graded submission: our steps and nbgrader's, in order
RECORD_STEPS: list[Step] = [
    clean_text,
    note_written_answers,
    register_assignment,  # nbgrader's REGISTER_STEPS, once per assignment
    build_autograded_notebooks,
    each_autograded_notebook(LimitOutput),
    remove_earlier_records,
    in_gradebook(*GRADEBOOK_STEPS),
    write_autograded_notebooks,
    save_grading_json,
]

# recording zero points for a submission that could not be recorded: grading.json carries the zero
# and the reason even when the gradebook cannot
FAILURE_STEPS: list[Step] = [
    remove_earlier_records,
    best_effort(note_written_answers, in_gradebook(*GRADEBOOK_STEPS)),
    save_grading_json,
]


def late_submission_plugin(course_root: Path) -> BasePlugin:
    """nbgrader's late-submission plugin as ``course_root/nbgrader_config.py`` configures it
    (``c.AssignLatePenalties.plugin_class``, ``c.LateSubmissionPlugin.penalty_method``); without
    that file, nbgrader's default, which takes nothing off."""
    config = Config()
    if (Path(course_root) / "nbgrader_config.py").is_file():
        config = PyFileConfigLoader("nbgrader_config.py", path=str(course_root)).load_config()
    return AssignLatePenalties(config=config).plugin_class(config=config, log=_quiet)


def _autograded_notebook(notebook: NotebookJob, result: NotebookResult) -> nbformat.NotebookNode:
    """The record of one graded notebook: exactly the cells that ran, in order, with their outputs.

    The cells and their nbgrader metadata are :func:`cells.graded_cells` (the source's marks,
    never the submission's), so formgrader shows the instructor's tests and ids. A test cell's
    outputs are what the checker said; the points themselves are in the gradebook.
    """
    printed = {output.index: output for output in result.cell_outputs}
    outcomes = {test.grade_id: test for test in result.tests}
    record = nbformat.v4.new_notebook(metadata=copy.deepcopy(notebook.source.get("metadata", {})))
    for index, cell in enumerate(cells.graded_cells(notebook.source, notebook.submitted)):
        if cell["cell_type"] == "code":
            made = nbformat.v4.new_code_cell(cell["source"], metadata=cell["metadata"])
            if cells.is_test_cell(cell) and cells.grade_id(cell) in outcomes:
                made.outputs = _test_outputs(outcomes[cells.grade_id(cell)])
            elif index in printed:
                made.outputs = _student_outputs(printed[index].output, printed[index].error)
        elif cell["cell_type"] == "markdown":
            made = nbformat.v4.new_markdown_cell(cell["source"], metadata=cell["metadata"])
        else:
            made = nbformat.v4.new_raw_cell(cell["source"], metadata=cell["metadata"])
        record.cells.append(made)
    return record


def _student_outputs(output: str, error: str | None) -> list:
    outputs = []
    if output:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=output))
    if error:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=error))
    return outputs


def _test_outputs(test) -> list:
    """What the checker said, shaped as nbgrader would show it: an error for a failure, the points for partial credit."""
    outputs = []
    text = "\n".join(test.messages)
    if text:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=text + "\n"))
    if test.failure is not None or test.points <= 0 < test.max_points:
        outputs.append(nbformat.v4.new_output(
            "error", ename="GradingFailure" if test.reason else "CheckFailed",
            evalue=test.failure or "no points", traceback=[test.failure or "no points"]))
    elif test.points < test.max_points:
        outputs.append(nbformat.v4.new_output(
            "execute_result", data={"text/plain": repr(float(test.points))}, execution_count=None))
    return outputs


def _read_timestamp(path: Path) -> datetime | None:
    if not path.is_file():
        return None
    try:
        from dateutil.parser import parse

        stamp = parse(path.read_text().strip())
    except (ValueError, OverflowError, ImportError):
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
