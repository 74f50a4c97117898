"""The instructor's notebook in JupyterLab in Chromium: one Run All, every check passes.

This is also what a student sees once every exercise is answered correctly.
"""

from __future__ import annotations

import re

import pytest

from chromium_tab import BrowserTab
from course_workspace import CourseWorkspace
from evidence import describe_notebook, screenshot, screenshot_path, write_summary
from lab_server import LabServer
from notebook_page import NotebookPage

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def draws_figures(notebook_json: dict) -> bool:
    """Whether any code cell uses matplotlib or the kit's plots."""
    for cell in notebook_json["cells"]:
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if cell["cell_type"] == "code" and re.search(r"\b(matplotlib|plt\.|plots\.)", source):
            return True
    return False


def test_solution_runs_clean_with_figures(tab: BrowserTab, lab: LabServer, course: CourseWorkspace) -> None:
    path = course.notebook.source_path
    notebook = NotebookPage(tab.page, lab, path)
    notebook.open()
    screenshot(tab.page, "solution-1-opened")

    notebook.run_like_a_student()
    cells = notebook.cells()
    figures = [cell.index for cell in cells if cell.images]
    if figures:
        notebook.screenshot_cell(figures[0], screenshot_path("solution-2-first-figure"))
    notebook.screenshot_cell(len(cells) - 1, screenshot_path("solution-3-end"))
    print(write_summary("solution", describe_notebook(notebook, cells, tab.console_errors)))

    errors = {cell.index: error.text[-1500:] for cell in cells for error in cell.errors}
    assert not errors, f"the solution notebook shows errors: {errors}"
    assert len(notebook.run_seconds) == 1, "Run All Cells did not get through in one go"
    never_run = [cell.index for cell in cells if cell.kind == "code" and not cell.executed]
    assert not never_run, f"cells {never_run} never ran"
    if draws_figures(lab.api(f"api/contents/{path}")["content"]):
        assert figures, "the notebook plots, but no figure appeared"
    broken_images = [cell.index for cell in cells if any(width == 0 for width, _ in cell.images)]
    assert not broken_images, f"images in cells {broken_images} did not load"
    assert not notebook.broken_links(), f"links to missing files: {notebook.broken_links()}"
    assert not notebook.dialogs, f"dialogs before the notebook could run: {notebook.dialogs}"
