"""The TA's view: formgrader, opened from JupyterLab's Nbgrader menu, shows the autograded scores.

The course fixture has autograded two submissions of the chosen notebook with nbgrader: the
release left unanswered, and the instructor's solution. The pages must show the gradebook's
scores, the solution must earn every autograded point and the unanswered release must not. A
written answer waits for the TA: graded on formgrader's grading page, its points join the total.
"""

from __future__ import annotations

import json
import re

import pytest
from nbgrader.api import Gradebook

from chromium_tab import BrowserTab
from course_workspace import SOLVED, UNANSWERED, CourseWorkspace
from evidence import screenshot, write_summary
from lab_server import LabServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

_SUBMISSION_ROWS = """() => Array.from(document.querySelectorAll('table tbody tr')).map(row => [
  row.querySelector('.student-id')?.textContent.trim() || '',
  row.querySelector('.score')?.textContent.trim() || '',
])"""


def parse_score(text: str) -> tuple[float, float]:
    """'12.5 / 16' -> (12.5, 16.0), as formgrader writes a score."""
    match = re.fullmatch(r"\s*([\d.]+)\s*/\s*([\d.]+)\s*", text)
    assert match, f"formgrader shows {text!r} where a score 'points / max' belongs"
    return float(match[1]), float(match[2])


def test_formgrader_shows_the_autograded_scores(tab: BrowserTab, lab: LabServer, course: CourseWorkspace) -> None:
    page, assignment = tab.page, course.notebook.assignment

    # The TA's way in: JupyterLab's Nbgrader menu opens formgrader in a tab.
    page.goto(lab.page_url("lab") + "&reset")
    page.get_by_role("menuitem", name="Nbgrader", exact=True).click()
    page.get_by_role("menuitem", name="Formgrader", exact=True).click()
    formgrader = page.frame_locator("iframe[src*='formgrader']")
    formgrader.get_by_role("link", name=assignment, exact=True).wait_for()
    screenshot(page, "formgrader-1-in-jupyterlab")
    # nbgrader_config.py keeps the exchange in the course root, which nbgrader can create, so
    # formgrader has no missing-exchange warning to show.
    warnings = formgrader.get_by_text(re.compile("exchange directory", re.IGNORECASE))
    assert warnings.count() == 0, f"formgrader warns: {' '.join(warnings.all_inner_texts())}"

    graded = course.graded()  # autograding started with the session; wait for it to finish
    page.goto(lab.page_url(f"formgrader/manage_submissions/{assignment}"))
    page.locator("td.student-id", has_text=SOLVED.id).wait_for()
    page.locator("td.score", has_text="/").first.wait_for()
    shown = {student: parse_score(score) for student, score in page.evaluate(_SUBMISSION_ROWS) if student}
    screenshot(page, "formgrader-2-submissions")

    page.goto(lab.page_url(f"formgrader/gradebook/{assignment}/{course.notebook.stem}"))
    page.get_by_text("Submission #2").wait_for()
    screenshot(page, "formgrader-3-gradebook")
    print(write_summary("formgrader", [
        f"assignment: {assignment}",
        *(f"gradebook {submission.student}: {submission.score:g} / {submission.max_score:g}" for submission in graded.values()),
        *(f"page {student}: {score:g} / {max_score:g}" for student, (score, max_score) in shown.items()),
        *(f"browser console: {message}" for message in tab.console_errors),
    ]))

    for student, submission in graded.items():
        assert student in shown, f"{student} is missing from formgrader's submissions page"
        assert shown[student] == pytest.approx((submission.score, submission.max_score), abs=0.01), student
    solved, unanswered = graded[SOLVED.id], graded[UNANSWERED.id]
    assert solved.max_score > 0, "the notebook has no graded test cell"
    assert solved.score == pytest.approx(solved.max_score - solved.written_max_score), (
        "the instructor's solution does not earn every autograded point")
    assert unanswered.score < unanswered.max_score, "the unanswered release earns full marks"


def written_questions(course: CourseWorkspace) -> list[str]:
    """The grade ids of the chosen notebook's written answers (markdown cells graded by hand)."""
    source = json.loads((course.root / course.notebook.source_path).read_text())
    return [cell["metadata"]["nbgrader"]["grade_id"] for cell in source["cells"]
            if cell["cell_type"] == "markdown" and cell["metadata"].get("nbgrader", {}).get("grade")]


def test_a_written_answer_graded_in_formgrader_joins_the_total(
        tab: BrowserTab, lab: LabServer, course: CourseWorkspace) -> None:
    page, assignment, stem = tab.page, course.notebook.assignment, course.notebook.stem
    questions = written_questions(course)
    if not questions:
        pytest.skip(f"{course.notebook.source_path} has no written question")
    question = questions[0]
    solved = course.graded()[SOLVED.id]
    url = f"sqlite:///{course.root / 'gradebook.db'}"
    with Gradebook(url) as gradebook:
        submitted = gradebook.find_submission_notebook(stem, assignment, SOLVED.id)
        notebook_id, grade = submitted.id, gradebook.find_grade(question, stem, assignment, SOLVED.id)
        worth, waiting = grade.max_score, grade.needs_manual_grade
    assert waiting, f"{question} of the solution is not waiting for a TA"

    try:
        # The TA opens the solved submission on formgrader's grading page and scores the answer.
        page.goto(lab.page_url(f"formgrader/submissions/{notebook_id}"))
        score = page.locator(f"input.score#{question}")
        score.wait_for()
        score.scroll_into_view_if_needed()
        screenshot(page, "formgrader-4-written-answer")
        score.fill(f"{worth:g}")
        score.press("Tab")  # formgrader saves a score when the field changes
        with Gradebook(url) as gradebook:
            for _ in range(100):  # the save is an API call of the page: wait up to 10 s for it
                gradebook.db.expire_all()
                saved = gradebook.find_grade(question, stem, assignment, SOLVED.id).manual_score
                if saved is not None:
                    break
                page.wait_for_timeout(100)
            submission = gradebook.find_submission(assignment, SOLVED.id)
            total, maximum = float(submission.score), float(submission.max_score)
        assert saved == pytest.approx(worth), f"formgrader saved {saved} for {question}, not {worth}"

        page.goto(lab.page_url(f"formgrader/manage_submissions/{assignment}"))
        page.locator("td.student-id", has_text=SOLVED.id).wait_for()
        page.locator("td.score", has_text="/").first.wait_for()
        shown = {student: parse_score(text) for student, text in page.evaluate(_SUBMISSION_ROWS) if student}
        screenshot(page, "formgrader-5-after-grading-by-hand")
        print(write_summary("formgrader-written", [
            f"written answer {question}: {saved:g} / {worth:g}",
            f"before: {solved.score:g} / {solved.max_score:g}; after: {total:g} / {maximum:g}",
            f"page {SOLVED.id}: {shown[SOLVED.id][0]:g} / {shown[SOLVED.id][1]:g}",
        ]))
        assert total == pytest.approx(solved.score + worth) and maximum == pytest.approx(solved.max_score)
        assert shown[SOLVED.id] == pytest.approx((total, maximum), abs=0.01), "formgrader's total did not change"
        assert total == pytest.approx(maximum), "the graded solution is still short of full marks"
    finally:  # the course is shared by the other browser tests: leave the answer waiting again
        with Gradebook(url) as gradebook:
            grade = gradebook.find_grade(question, stem, assignment, SOLVED.id)
            grade.manual_score, grade.needs_manual_grade = None, True
            gradebook.db.commit()
