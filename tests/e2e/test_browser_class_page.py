"""The TA's class page in a browser: every student in the grade table, the histogram drawn, and the
links down to a student's assignment page and on to a notebook's page followed by clicking."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.grading.feedback import class_page_path, write_all_feedback
from chromium_tab import BrowserTab
from small_class import ASSIGNMENT, GRADED, PENDING, small_class

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_the_class_page_renders_and_leads_to_a_students_pages(tab: BrowserTab, tmp_path: Path) -> None:
    workspace = small_class(tmp_path / "grading")
    write_all_feedback(workspace, ASSIGNMENT)
    page = tab.page
    page.goto(class_page_path(workspace, ASSIGNMENT).as_uri())
    page.screenshot(path=str(tmp_path / "class-page.png"), full_page=True)

    assert page.locator("table.grades tr").count() == 1 + len(GRADED) + len(PENDING)
    assert page.locator("table.checks tr").count() == 1 + 2  # a row per check of the toy notebook
    assert page.get_by_alt_text("histogram of the scores").evaluate("image => image.naturalWidth") > 0
    assert (tmp_path / "class-page.png").stat().st_size > 0

    page.get_by_role("link", name="dave", exact=True).click()
    assert page.locator("h1").inner_text() == "toy: 1 / 5 points"
    page.get_by_role("link", name="1_layers.ipynb").click()
    assert page.locator("h1").inner_text() == "1_layers.ipynb: 2 / 5 points"
    assert not tab.console_errors
