"""The TA's way through a written answer: `bpk-grade grade` leaves it waiting, formgrader grades it,
`bpk-grade status` adds its points.

The kit is laid out as a TA has it (solutions/, and the workspace grading/ beside it), and the
workspace is served as a course root the way the README says: the kit's nbgrader_config.py
copied into it and solutions/ linked there, so formgrader opens the gradebook `grade` wrote.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from chromium_tab import BrowserTab
from course_workspace import REPO, SOLVED, CourseNotebook
from evidence import screenshot, write_summary
from lab_server import LabServer, free_port, running_lab

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def bpk_grade(root: Path, env: dict[str, str], *arguments: str) -> str:
    """Run `bpk-grade` on the workspace ``root`` (the kit's grading/); its output."""
    command = [str(Path(sys.executable).parent / "bpk-grade"), "--workspace", str(root),
               "--source", str(root.parent / "solutions"), *arguments]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"`bpk-grade {' '.join(arguments)}` failed:\n{(result.stdout + result.stderr)[-4000:]}"
    return result.stdout


def points_of(status: str, student: str) -> tuple[float, float]:
    """The points `status` shows for ``student``: '8/11' -> (8.0, 11.0)."""
    match = re.search(rf"^{re.escape(student)}\s+\S+\s+\S+\s+([\d.]+)/([\d.]+)", status, re.MULTILINE)
    assert match, f"`status` shows no points for {student}:\n{status}"
    return float(match[1]), float(match[2])


def written_question(notebook: CourseNotebook) -> str | None:
    """The grade id of the notebook's first written answer (a markdown cell graded by hand)."""
    source = json.loads((REPO / notebook.source_path).read_text())
    return next((cell["metadata"]["nbgrader"]["grade_id"] for cell in source["cells"]
                 if cell["cell_type"] == "markdown" and cell["metadata"].get("nbgrader", {}).get("grade")), None)


@pytest.fixture(scope="module")
def graded_root(course_notebook: CourseNotebook, course_env: dict[str, str],
                tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kit's grading workspace, served as a course root, with the solution handed in and graded."""
    if written_question(course_notebook) is None:
        pytest.skip(f"{course_notebook.source_path} has no written question")
    kit = tmp_path_factory.mktemp("kit")
    (kit / "solutions" / course_notebook.assignment).mkdir(parents=True)
    shutil.copy2(REPO / course_notebook.source_path, kit / course_notebook.source_path)
    root = kit / "grading"
    root.mkdir()
    shutil.copy2(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    (root / "solutions").symlink_to("../solutions")
    handed_in = root / "submitted" / SOLVED.id / course_notebook.assignment
    handed_in.mkdir(parents=True)
    shutil.copy2(REPO / course_notebook.source_path, handed_in / course_notebook.filename)
    bpk_grade(root, course_env, "grade", course_notebook.assignment, "--workers", "1")
    return root


@pytest.fixture(scope="module")
def workspace_lab(graded_root: Path, course_env: dict[str, str],
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab with formgrader on the bpk-grade workspace."""
    with running_lab(graded_root, free_port(), course_env, tmp_path_factory.mktemp("jupyter-state")) as server:
        yield server


def test_a_written_answer_graded_in_formgrader_joins_bpk_grade_status(
        tab: BrowserTab, workspace_lab: LabServer, graded_root: Path, course_notebook: CourseNotebook,
        course_env: dict[str, str]) -> None:
    page, assignment, stem = tab.page, course_notebook.assignment, course_notebook.stem
    question = written_question(course_notebook)
    before = bpk_grade(graded_root, course_env, "status", assignment)
    assert "1 written answer(s) in 1 submission(s) wait to be graded by hand" in before, before
    with Gradebook(f"sqlite:///{graded_root / 'gradebook.db'}") as gradebook:
        notebook_id = gradebook.find_submission_notebook(stem, assignment, SOLVED.id).id
        grade = gradebook.find_grade(question, stem, assignment, SOLVED.id)
        worth, waiting = grade.max_score, grade.needs_manual_grade
    assert waiting, f"`grade` did not leave {question} waiting for a TA"

    page.goto(workspace_lab.page_url("lab"))  # logs in with the token: formgrader's API calls need the cookie
    page.goto(workspace_lab.page_url(f"formgrader/submissions/{notebook_id}"))
    score = page.locator(f"input.score#{question}")
    score.wait_for()
    score.scroll_into_view_if_needed()
    score.fill(f"{worth:g}")
    score.press("Tab")  # formgrader saves a score when the field changes
    screenshot(page, "written-1-graded-in-formgrader")
    with Gradebook(f"sqlite:///{graded_root / 'gradebook.db'}") as gradebook:
        for _ in range(100):  # the save is an API call of the page: wait up to 10 s for it
            gradebook.db.expire_all()
            saved = gradebook.find_grade(question, stem, assignment, SOLVED.id).manual_score
            if saved is not None:
                break
            page.wait_for_timeout(100)
    after = bpk_grade(graded_root, course_env, "status", assignment)
    print(write_summary("written", [f"written answer {question}: {saved} / {worth:g}",
                                    "status before:", before, "status after:", after]))

    assert saved == pytest.approx(worth), f"formgrader saved {saved} for {question}, not {worth}"
    (got, maximum), (now, same_maximum) = points_of(before, SOLVED.id), points_of(after, SOLVED.id)
    assert same_maximum == maximum and now == pytest.approx(got + worth), (before, after)
    assert now == pytest.approx(maximum), "the graded solution is still short of full marks"
    assert "wait to be graded by hand" not in after, after
