"""Written answers: markdown answer cells worth points, which a TA grades by hand in formgrader.

The grader never scores them: ``grade`` records each one in nbgrader's gradebook as a grade that
needs manual grading, with no automatic score, and nbgrader's gradebook is where the TA's score
and comment live from then on. Status, feedback and the CSV read them back from there
(:func:`with_hand_grades`), so they add the written points to the tests' points as soon as a TA
has graded an answer, and count the answers still waiting.

A regrade (a resubmission, or ``grade --regrade``) keeps the TA's score of every answer whose
text is unchanged. When the text changed, the score and extra credit are cleared and the answer
waits again: the TA graded words the hand-in no longer holds (the earlier hand-in stays in
``versions/``). A notebook that was not handed in has no answer to wait for: its written
answers score 0, like its tests.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from . import cells
from .records import NotebookJob, SubmissionResult, WrittenAnswer, first_line
from .workspace import Workspace


def is_written_answer(cell: Any) -> bool:
    """A markdown cell the source marks as both an answer and graded: nbgrader's manually graded answer."""
    if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
        return False
    marks = cells.nbgrader_metadata(cell)
    return bool(marks.get("solution")) and bool(marks.get("grade"))


def answers_in(notebook: NotebookJob) -> list[WrittenAnswer]:
    """The written answers of one notebook of a submission, in the source's order, each with a
    digest of the student's text ("" text when the notebook or the cell is missing)."""
    questions = [cell for cell in notebook.source.get("cells", []) if is_written_answer(cell)]
    texts: dict[str, str] = {}
    if notebook.submitted is not None and questions:
        for cell in cells.graded_cells(notebook.source, notebook.submitted):
            if is_written_answer(cell):  # only a cell matched to the source's keeps these marks
                texts[cells.grade_id(cell)] = cells.source_of(cell)
    return [WrittenAnswer(cells.grade_id(cell) or "?", cells.points(cell), digest(texts.get(cells.grade_id(cell), "")))
            for cell in questions]


def digest(text: str) -> str:
    """A fingerprint of an answer's text; blank lines and spaces around it do not count."""
    return hashlib.sha256(text.strip().encode()).hexdigest()


def earlier_digests(result: SubmissionResult | None) -> dict[tuple[str, str], str]:
    """(notebook, grade_id) -> the digest of the answer an earlier grading recorded."""
    if result is None:
        return {}
    return {(n.name, a.grade_id): a.answer_digest for n in result.notebooks for a in n.written}


def with_hand_grades(workspace: Workspace, results: list[SubmissionResult]) -> list[SubmissionResult]:
    """``results`` with each written answer's score and comment from nbgrader's gradebook (opened
    once for all); an answer nobody graded yet keeps ``points`` None."""
    from nbgrader.api import MissingEntry

    with_answers = [r for r in results if any(n.written for n in r.notebooks)]
    if not with_answers or not (workspace.root / "gradebook.db").is_file():
        return results
    with workspace.gradebook() as gradebook:
        for result in with_answers:
            try:
                with_grades_of(result, gradebook.find_submission(result.assignment, result.student))
            except MissingEntry:
                continue  # graded before the gradebook was replaced: nothing recorded to read
    return results


def with_grades_of(result: SubmissionResult, submission: Any) -> SubmissionResult:
    """``result`` with each written answer's score and comment from ``submission``, nbgrader's
    ``SubmittedAssignment`` of it: a score once the TA gave one (or the 0 of a notebook never
    handed in), else None."""
    grades, comments = {}, {}
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            if grade.cell_type == "markdown" and (grade.manual_score is not None or grade.auto_score is not None):
                grades[(notebook.name, grade.name)] = float(grade.score)
        for comment in notebook.comments:
            if comment.manual_comment and comment.manual_comment.strip():
                comments[(notebook.name, comment.name)] = comment.manual_comment
    for notebook in result.notebooks:
        for answer in notebook.written:
            key = (Path(notebook.name).stem, answer.grade_id)
            answer.points, answer.comment = grades.get(key), comments.get(key)
    return result


def lost_lines(result: SubmissionResult) -> list[str]:
    """One line per written answer that waits or lost points: ``notebook/question (got/max): why``."""
    lines = []
    for notebook in result.notebooks:
        for answer in notebook.written:
            where = f"{Path(notebook.name).stem}/{answer.grade_id}"
            if answer.points is None:
                lines.append(f"{where} (?/{answer.max_points:g}): written answer, waiting to be graded by hand")
            elif answer.points < answer.max_points:
                lines.append(f"{where} ({answer.points:g}/{answer.max_points:g}): written answer"
                             + (f": {first_line(answer.comment)}" if answer.comment else ""))
    return lines
