"""The one writer of the gradebook: turns grading results into nbgrader's records.

Only the parent process writes, one submission at a time, as results come back from the workers.
For each submitted notebook it runs nbgrader's own preprocessors, as ``nbgrader autograde`` would:
``ClearOutput``, ``DeduplicateIds``, ``OverwriteCells`` (with ``add_missing_cells``, so deleted
test cells are back in the record), then fills in the outputs grading produced, ``LimitOutput``,
and ``SaveAutoGrades``. A test cell's output is what the checker said, shaped so that nbgrader
scores it with the checker's points: an ``error`` output for a failure, an ``execute_result``
holding the points for partial credit, plain text for a pass. Formgrader then shows the points
and the messages, and the gradebook holds the same numbers as ``grading.json``.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import shutil
import sys
import warnings
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbformat.corpus.words import generate_corpus_id
from nbformat.validator import normalize
from nbformat.warnings import MissingIDFieldWarning
from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning
from nbgrader.preprocessors import (
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    DeduplicateIds,
    LimitOutput,
    LockCells,
    OverwriteCells,
    SaveAutoGrades,
    SaveCells,
)

from . import cells
from .results import NotebookResult, SubmissionJob, SubmissionResult
from .workspace import Workspace

_quiet = logging.getLogger("backpropkit.grading.nbgrader")
_quiet.setLevel(logging.ERROR)  # nbgrader warns "checksum changed" for every hidden-test cell (#1961)


def _alembic_on_path() -> None:
    """nbgrader runs the ``alembic`` command when it creates a gradebook; it sits beside our Python."""
    if shutil.which("alembic") is None:
        os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")


class GradebookWriter:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._registered: set[str] = set()
        _alembic_on_path()

    def register_assignment(self, assignment: str) -> None:
        """Record the assignment's notebooks and cells from the instructor's source.

        The same steps as ``nbgrader generate_assignment`` up to its ``SaveCells``: the gradebook
        keeps the test cells with their hidden tests and the answer cells without answers.
        """
        if assignment in self._registered:
            return
        with Gradebook(self.workspace.db_url, self.workspace.course_id) as gradebook:
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

    def _resources(self, assignment: str, notebook: str, student: str | None = None) -> dict:
        info = {"db_url": self.workspace.db_url, "assignment": assignment, "notebook": Path(notebook).stem}
        if student is not None:
            info["student"] = student
        return {"nbgrader": info}

    def write(self, job: SubmissionJob, result: SubmissionResult) -> None:
        """Record ``result`` in the gradebook and on disk; ``grading.json`` is written last."""
        with warnings.catch_warnings():
            # nbgrader's own submission code trips SQLAlchemy's autoflush warning (harmless)
            warnings.simplefilter("ignore", SAWarning)
            self._write(job, result)

    def _write(self, job: SubmissionJob, result: SubmissionResult) -> None:
        self.register_assignment(job.assignment)
        with Gradebook(self.workspace.db_url, self.workspace.course_id) as gradebook:
            gradebook.update_or_create_student(job.student)
            stamp = self.workspace.submission_dir(job.student, job.assignment) / "timestamp.txt"
            timestamp = _read_timestamp(stamp)
            if timestamp is not None:
                gradebook.update_or_create_submission(job.assignment, job.student, timestamp=timestamp)
            else:
                gradebook.update_or_create_submission(job.assignment, job.student)
        out_dir = self.workspace.autograded / job.student / job.assignment
        out_dir.mkdir(parents=True, exist_ok=True)
        by_name = {n.name: n for n in job.notebooks}
        for notebook_result in result.notebooks:
            notebook_job = by_name[notebook_result.name]
            if notebook_job.submitted is None:
                self._record_missing(job, notebook_result)
                continue
            record = self._autograded_notebook(job, notebook_job.submitted, notebook_job.source, notebook_result)
            nbformat.write(record, str(out_dir / notebook_result.name))
        result.save(self.workspace.result_path(job.student, job.assignment))

    def _autograded_notebook(self, job: SubmissionJob, submitted: dict, source: dict,
                             result: NotebookResult) -> nbformat.NotebookNode:
        resources = self._resources(job.assignment, result.name, job.student)
        notebook = _as_notebook(submitted)
        notebook, resources = ClearOutput(log=_quiet).preprocess(notebook, resources)
        for output in result.cell_outputs:  # the student's own cells, by their index in the submission
            if output.index < len(notebook.cells):
                notebook.cells[output.index].outputs = _student_outputs(output.output, output.error)
        notebook, resources = DeduplicateIds(log=_quiet).preprocess(notebook, resources)
        try:
            notebook, resources = OverwriteCells(log=_quiet, add_missing_cells=True).preprocess(notebook, resources)
        except (KeyError, ValueError, IndexError):
            pass  # nbgrader cannot place a deleted cell next to a deleted neighbour; appended below
        present = {cells.grade_id(c) for c in notebook.cells}
        for cell in cells.test_cells(source):
            if cells.grade_id(cell) not in present:
                notebook.cells.append(nbformat.from_dict(copy.deepcopy(cell)))
        outcomes = {t.grade_id: t for t in result.tests}
        for cell in notebook.cells:
            if cells.is_test_cell(cell) and cells.grade_id(cell) in outcomes:
                cell.outputs = _test_outputs(outcomes[cells.grade_id(cell)])
            elif cells.is_test_cell(cell):
                cell.metadata["nbgrader"]["grade"] = False  # a test cell the instructor never wrote
        notebook, resources = LimitOutput(log=_quiet).preprocess(notebook, resources)
        notebook, resources = SaveAutoGrades(log=_quiet).preprocess(notebook, resources)
        return _with_cell_ids(notebook)  # cells nbgrader put back come without one

    def _record_missing(self, job: SubmissionJob, result: NotebookResult) -> None:
        """A missing or unreadable notebook: every test scores 0 (not "needs manual grade")."""
        notebook_id = Path(result.name).stem
        with Gradebook(self.workspace.db_url, self.workspace.course_id) as gradebook:
            for test in result.tests:
                try:
                    grade = gradebook.find_grade(test.grade_id, notebook_id, job.assignment, job.student)
                except MissingEntry:
                    continue
                grade.auto_score = 0.0
                grade.needs_manual_grade = False
            gradebook.db.commit()


def _as_notebook(submitted: dict) -> nbformat.NotebookNode:
    """The submission as an nbformat 4 notebook with string sources, however it was saved."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MissingIDFieldWarning)  # normalize() below adds the ids
            notebook = nbformat.reads(json.dumps(submitted), as_version=4)
        _, normalized = normalize(notebook)  # adds the cell ids older front ends leave out
        return nbformat.from_dict(normalized)
    except Exception:  # not valid nbformat: keep the cells that look like cells
        kept = []
        for cell in submitted.get("cells", []):
            if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
                continue
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            maker = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell,
                     "raw": nbformat.v4.new_raw_cell}[cell["cell_type"]]
            kept.append(maker(source, metadata=cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}))
        return nbformat.v4.new_notebook(cells=kept)


def _with_cell_ids(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``notebook`` with an id on every cell, as nbformat 4.5 requires (and will one day enforce)."""
    if (notebook.nbformat, notebook.nbformat_minor) >= (4, 5):
        for cell in notebook.cells:
            cell.setdefault("id", generate_corpus_id())
    return notebook


def _student_outputs(output: str, error: str | None) -> list:
    outputs = []
    if output:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=output))
    if error:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=error))
    return outputs


def _test_outputs(test) -> list:
    """Outputs from which nbgrader's ``determine_grade`` reads exactly the checker's points."""
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
