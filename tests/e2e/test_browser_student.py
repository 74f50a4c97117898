"""A student's first look: the untouched release of a notebook, run in JupyterLab in Chromium.

Every exercise is unanswered, so every error the student meets must say which function to
write; nothing else may fail, every code cell must run, and the figures must show.
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


def functions_to_write(notebook_json: dict) -> set[str]:
    """Names defined in the notebook's answer cells (nbgrader ``solution`` cells)."""
    names = set()
    for cell in notebook_json["cells"]:
        if cell["cell_type"] == "code" and cell["metadata"].get("nbgrader", {}).get("solution"):
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            names.update(re.findall(r"^\s*(?:def|class)\s+(\w+)", source, re.MULTILINE))
    return names


def test_unanswered_release_says_what_to_implement_and_nothing_else_fails(
    tab: BrowserTab, lab: LabServer, course: CourseWorkspace
) -> None:
    path = course.notebook.release_path
    notebook = NotebookPage(tab.page, lab, path)
    notebook.open()
    screenshot(tab.page, "student-1-opened")
    has_validate_button = tab.page.get_by_role("button", name="Validate").count() > 0

    notebook.run_like_a_student()
    cells = notebook.cells()
    if notebook.stops:
        notebook.screenshot_cell(notebook.stops[0], screenshot_path("student-2-first-exercise"))
    figures = [cell.index for cell in cells if cell.images]
    if figures:
        notebook.screenshot_cell(figures[0], screenshot_path("student-3-first-figure"))
    notebook.screenshot_cell(len(cells) - 1, screenshot_path("student-4-end"))
    print(write_summary("student", describe_notebook(notebook, cells, tab.console_errors)))

    expected_names = functions_to_write(lab.api(f"api/contents/{path}")["content"])
    assert expected_names, f"{path} has no answer cell defining a function"
    assert notebook.stops, f"{path} ran without a single error although no exercise is answered"
    for cell in cells:
        for error in cell.errors:
            assert "NotImplementedError" in error.text and any(
                re.search(rf"\b{name}\b", error.text) for name in expected_names
            ), f"cell {cell.index} fails for another reason than an unanswered exercise:\n{error.text[-1500:]}"
    never_run = [cell.index for cell in cells if cell.kind == "code" and not cell.executed]
    assert not never_run, f"cells {never_run} never ran"
    broken_images = [cell.index for cell in cells if any(width == 0 for width, _ in cell.images)]
    assert not broken_images, f"images in cells {broken_images} did not load"
    assert not notebook.broken_links(), f"links to missing files: {notebook.broken_links()}"
    assert not notebook.dialogs, f"a student has to answer dialogs first: {notebook.dialogs}"
    assert has_validate_button, "nbgrader's Validate button is missing from the notebook toolbar"
