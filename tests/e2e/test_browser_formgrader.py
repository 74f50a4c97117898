"""The TA's view: formgrader, opened from JupyterLab's Nbgrader menu, shows the autograded scores.

The course fixture has autograded two submissions of the chosen notebook with nbgrader: the
release left unanswered, and the instructor's solution. The pages must show the gradebook's
scores, the solution must earn every point and the unanswered release must not.
"""

from __future__ import annotations

import re

import pytest

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
    assert solved.score == pytest.approx(solved.max_score), "the instructor's solution does not earn full marks"
    assert unanswered.score < unanswered.max_score, "the unanswered release earns full marks"
