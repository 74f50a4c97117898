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
"""

from __future__ import annotations

import copy
import json
import logging
import shutil
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nbformat
from nbgrader.api import Gradebook
from nbgrader.plugins import BasePlugin
from nbgrader.preprocessors import (AssignLatePenalties, ClearOutput, ClearSolutions, ComputeChecksums, LimitOutput,
                                    LockCells, SaveCells)
from sqlalchemy.exc import SAWarning
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from . import cells, written
from .grader import zero_notebook
from .records import NotebookJob, NotebookResult, SubmissionJob, SubmissionResult
from .workspace import Workspace

_quiet = logging.getLogger("backpropkit.grading.nbgrader")
_quiet.setLevel(logging.ERROR)  # nbgrader's preprocessors log their routine steps; only errors matter here


class GradebookWriter:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._registered: set[str] = set()
        self.late_policy = late_submission_plugin(workspace.source_root.parent)

    def register_assignment(self, assignment: str) -> None:
        """Record the assignment's notebooks and cells from the instructor's source.

        The same steps as ``nbgrader generate_assignment`` up to its ``SaveCells``: the gradebook
        keeps the test cells with their hidden tests and the answer cells without answers.
        """
        if assignment in self._registered:
            return
        with self.workspace.gradebook() as gradebook:
            gradebook.update_or_create_assignment(assignment)
        for name, path in self.workspace.source_notebooks(assignment).items():
            notebook = nbformat.read(str(path), as_version=4)
            resources = self._resources(assignment, name)
            for step in (LockCells, ClearSolutions, ClearOutput, ComputeChecksums):
                notebook, resources = step(log=_quiet).preprocess(notebook, resources)
            try:
                SaveCells(log=_quiet).preprocess(notebook, resources)
            except RuntimeError:
                pass  # already recorded, and submissions exist: the cells did not change
        self._registered.add(assignment)

    def _resources(self, assignment: str, notebook: str) -> dict:
        return {"nbgrader": {"db_url": self.workspace.db_url, "assignment": assignment, "notebook": Path(notebook).stem}}

    def write(self, job: SubmissionJob, result: SubmissionResult) -> SubmissionResult:
        """Record ``result`` in the gradebook and on disk; ``grading.json`` is written last.

        Returns what was recorded: ``result``, or, when recording it failed, zero points for the
        submission with the reason, so that one submission never stops the others.
        """
        with warnings.catch_warnings():
            # nbgrader's own submission code trips SQLAlchemy's autoflush warning (harmless)
            warnings.simplefilter("ignore", SAWarning)
            result.submission_digest = job.submission_digest  # what `pending` compares a resubmission with
            earlier = self._earlier_answers(job)  # read before this grading replaces grading.json
            try:
                result = _writable(result)
                _add_written_answers(job, result)
                self._write(job, result, earlier)
                return result
            except Exception as error:  # a bug of ours, or a submission nbgrader cannot hold
                reason = f"the grader could not record this submission ({type(error).__name__}: {error})"
                return self._write_failure(job, reason, earlier)

    def _earlier_answers(self, job: SubmissionJob) -> dict[tuple[str, str], str]:
        """The written answers' digests as the last grading of this submission recorded them."""
        try:
            return written.earlier_digests(self.workspace.result(job.student, job.assignment))
        except (OSError, ValueError, KeyError, TypeError):  # an unreadable record: no answer is known
            return {}

    def _write(self, job: SubmissionJob, result: SubmissionResult, earlier: dict[tuple[str, str], str]) -> None:
        self.register_assignment(job.assignment)
        by_name = {n.name: n for n in job.notebooks}
        records = {r.name: _autograded_notebook(by_name[r.name], r)
                   for r in result.notebooks if by_name[r.name].submitted is not None}
        out_dir = self.workspace.autograded / job.student / job.assignment
        shutil.rmtree(out_dir, ignore_errors=True)  # no record of an earlier grading outlives this one
        with self.workspace.gradebook() as gradebook:
            self._save_scores(gradebook, job, result, earlier)
        out_dir.mkdir(parents=True)
        for name, record in records.items():
            nbformat.write(record, str(out_dir / name))
        result.save(self.workspace.result_path(job.student, job.assignment))

    def _save_scores(self, gradebook: Gradebook, job: SubmissionJob, result: SubmissionResult,
                     earlier: dict[tuple[str, str], str]) -> None:
        """Each test's points from ``result``, straight into its grade; the maximum is the source's.

        Each written answer is left to the TA: no automatic score, and waiting unless the TA graded
        this very answer before (``earlier``: the digests the last grading recorded)."""
        gradebook.update_or_create_student(job.student)
        stamp = self.workspace.submission_dir(job.student, job.assignment) / "timestamp.txt"
        timestamp = _read_timestamp(stamp)
        if timestamp is not None:
            gradebook.update_or_create_submission(job.assignment, job.student, timestamp=timestamp)
        else:
            gradebook.update_or_create_submission(job.assignment, job.student)
        for notebook in result.notebooks:
            for test in notebook.tests:
                grade = gradebook.find_grade(test.grade_id, Path(notebook.name).stem, job.assignment, job.student)
                grade.auto_score = test.points
                grade.needs_manual_grade = grade.manual_score is not None  # as nbgrader: a TA's override is reviewed
            handed_in = next(n for n in job.notebooks if n.name == notebook.name).submitted is not None
            for answer in notebook.written:
                grade = gradebook.find_grade(answer.grade_id, Path(notebook.name).stem, job.assignment, job.student)
                if earlier.get((notebook.name, answer.grade_id), answer.answer_digest) != answer.answer_digest:
                    grade.manual_score = grade.extra_credit = None  # the TA graded an answer that is gone
                grade.auto_score = None if handed_in else 0.0  # a notebook never handed in holds no answer
                grade.needs_manual_grade = grade.auto_score is None and grade.manual_score is None
        gradebook.db.commit()
        self._assign_late_penalties(gradebook, job, result)

    def _assign_late_penalties(self, gradebook: Gradebook, job: SubmissionJob, result: SubmissionResult) -> None:
        """What ``AssignLatePenalties`` does in ``nbgrader autograde``: per notebook, the plugin's
        penalty for this lateness, kept between 0 and the notebook's score; noted in ``result``."""
        submission = gradebook.find_submission(job.assignment, job.student)
        result.seconds_late, result.late_penalty = float(submission.total_seconds_late), 0.0
        for notebook in submission.notebooks:
            notebook.late_submission_penalty = None
            if result.seconds_late > 0:
                penalty = self.late_policy.late_submission_penalty(job.student, notebook.score, result.seconds_late)
                if penalty is not None:
                    notebook.late_submission_penalty = min(max(float(penalty), 0.0), notebook.score)
                    result.late_penalty += notebook.late_submission_penalty
        gradebook.db.commit()

    def _write_failure(self, job: SubmissionJob, reason: str, earlier: dict[tuple[str, str], str]) -> SubmissionResult:
        """Zero for every test of the submission, with ``reason``, wherever a grade is shown;
        its written answers still wait for the TA."""
        failed = SubmissionResult(job.student, job.assignment, [zero_notebook(n, reason) for n in job.notebooks],
                                  submission_digest=job.submission_digest)
        shutil.rmtree(self.workspace.autograded / job.student / job.assignment, ignore_errors=True)
        try:
            _add_written_answers(job, failed)
            with self.workspace.gradebook() as gradebook:
                self._save_scores(gradebook, job, failed, earlier)
        except Exception:  # grading.json below still carries the zero and the reason
            logging.getLogger(__name__).exception("could not record %s/%s in the gradebook", job.student, job.assignment)
        failed.save(self.workspace.result_path(job.student, job.assignment))
        return failed


def late_submission_plugin(course_root: Path) -> BasePlugin:
    """nbgrader's late-submission plugin as ``course_root/nbgrader_config.py`` configures it
    (``c.AssignLatePenalties.plugin_class``, ``c.LateSubmissionPlugin.penalty_method``); without
    that file, nbgrader's default, which takes nothing off."""
    config = Config()
    if (Path(course_root) / "nbgrader_config.py").is_file():
        config = PyFileConfigLoader("nbgrader_config.py", path=str(course_root)).load_config()
    return AssignLatePenalties(config=config).plugin_class(config=config, log=_quiet)


def _add_written_answers(job: SubmissionJob, result: SubmissionResult) -> None:
    """Note in ``result`` each notebook's written answers, which the worker does not grade."""
    by_name = {n.name: n for n in job.notebooks}
    for notebook in result.notebooks:
        notebook.written = written.answers_in(by_name[notebook.name])


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
    record, _ = LimitOutput(log=_quiet).preprocess(record, {})
    return record


def _writable(result: SubmissionResult) -> SubmissionResult:
    """``result`` with text every view can write: what a student prints may hold lone surrogates."""
    def valid(value: Any) -> Any:
        if isinstance(value, str):
            return cells.valid_text(value)
        if isinstance(value, list):
            return [valid(item) for item in value]
        if isinstance(value, dict):
            return {key: valid(item) for key, item in value.items()}
        return value

    return SubmissionResult.from_json(json.dumps(valid(json.loads(result.to_json()))))


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
