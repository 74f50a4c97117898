"""The pages that sum a class up: the TA's class page per assignment and each student's assignment page."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from autograder.cli import main as cli
from autograder.grading.feedback import (
    assignment_page_path,
    class_page_path,
    render_class_page,
    write_all_feedback,
)
from autograder.grading.records import NotebookResult, SubmissionResult
from autograder.grading.status import Row
from autograder.grading.workspace import Workspace
from small_class import ASSIGNMENT, GRADED, HOSTILE, NOTEBOOK, PENDING, SOURCE, affine, relu, small_class


class Page(HTMLParser):
    """A page's links, and the text of each table row, by the class of its table."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.rows: dict[str, list[str]] = {}
        self._table = ""
        self._row: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "a":
            self.hrefs.append(attributes["href"] or "")
        elif tag == "table":
            self._table = attributes.get("class") or ""
        elif tag == "tr":
            self._row = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._row is not None:
            self.rows.setdefault(self._table, []).append(" ".join(self._row))
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._row is not None and data.strip():
            self._row.append(data.strip())


def resolves(page: Path, href: str) -> bool:
    return (page.parent / unquote(href)).resolve().is_file()


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return small_class(tmp_path / "grading")


def test_the_class_page_lists_every_student_linked_to_their_assignment_page(workspace: Workspace) -> None:
    pages = write_all_feedback(workspace, ASSIGNMENT)
    index = class_page_path(workspace, ASSIGNMENT)
    assert index in pages and index.parent.name == "_class"
    page = Page(index.read_text())
    grades = page.rows["grades"][1:]  # after the header
    assert [row.split()[0] for row in grades] == sorted([*GRADED, *PENDING])
    assert "pending" in next(row for row in grades if row.startswith("erin"))
    assert "2h 05m" in next(row for row in grades if row.startswith("dave"))
    students = [href for href in page.hrefs if href.startswith("../")]
    assert len(students) == len(GRADED)  # the pending one has no page yet
    assert all(resolves(index, href) for href in students)
    assert any("zo%C3%AB" in href for href in students)  # a Unicode id, quoted in its link


def test_the_class_page_shows_a_histogram_and_what_share_of_the_class_lost_each_check(workspace: Workspace) -> None:
    write_all_feedback(workspace, ASSIGNMENT)
    text = class_page_path(workspace, ASSIGNMENT).read_text()
    assert "<img alt='histogram of the scores' src='data:image/png;base64," in text
    assert "http" not in text  # self-contained
    affine_row, relu_row = Page(text).rows["checks"][1:]  # the most lost first
    assert affine_row.startswith("affine_backward_tests 1_layers.ipynb 4 of 5 (80%)")
    assert "2 (40%): forgot to sum db over the batch" in affine_row  # the same mistake, counted once per student
    assert "1 (20%): timeout: the test ran past its time limit (20 s)" in affine_row
    assert relu_row.startswith("relu_backward_tests 1_layers.ipynb 1 of 5 (20%)")
    assert "1 (20%): relu_backward: dx is wrong." in relu_row  # numbers that differ per student left out


def test_a_students_assignment_page_has_the_total_and_links_to_each_notebook(workspace: Workspace) -> None:
    pages = write_all_feedback(workspace, ASSIGNMENT)
    path = assignment_page_path(workspace, "dave", ASSIGNMENT)
    assert path in pages
    text = path.read_text()
    assert "toy: 1 / 5 points" in text  # 2 points, less the late penalty of 1
    assert "2h 05m" in text
    page = Page(text)
    assert page.hrefs == ["toy/1_layers.html"] and resolves(path, page.hrefs[0])
    assert "1_layers.ipynb 2 / 5 1 of 2" in page.rows["notebooks"]
    assert "<li>1_layers/affine_backward_tests (0/3): timeout: the test ran past its time limit (20 s)</li>" in text
    assert "<li>handed in" not in text  # the late penalty is said once, above the table


def test_a_class_page_before_anything_is_graded_lists_who_handed_in(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "grading", SOURCE)
    workspace.submission_dir("erin", ASSIGNMENT).mkdir(parents=True)
    assert write_all_feedback(workspace, ASSIGNMENT) == [class_page_path(workspace, ASSIGNMENT)]
    page = Page(class_page_path(workspace, ASSIGNMENT).read_text())
    assert page.rows["grades"][1:] == ["erin pending"] and page.rows["checks"][1:] == []
    assert "histogram" not in class_page_path(workspace, ASSIGNMENT).read_text()


def test_a_likely_mistake_counts_wherever_the_message_names_it_and_checks_nobody_failed_share_a_line() -> None:
    transposed = ("affine, one example: dw has shape (3, 5), expected (5, 3). "
                  "Likely mistake: it is transposed (swap the factors of the matrix product, or use .T).")
    results = [SubmissionResult(student, ASSIGNMENT, [NotebookResult(NOTEBOOK, [affine(0.0, transposed), relu(2.0)])])
               for student in ("ann", "ben")]
    rows = [Row(r.student, ASSIGNMENT, "graded", "0/5", "") for r in results]
    text = render_class_page(ASSIGNMENT, rows, results)
    page = Page(text)
    assert len(page.rows["checks"]) == 2  # the header and the one check someone lost points on
    assert "2 (100%): it is transposed (swap the factors of the matrix product, or use .T)" in page.rows["checks"][1]
    assert "Nobody lost points on relu_backward_tests." in text


def test_student_ids_and_messages_are_escaped_on_the_class_page(workspace: Workspace) -> None:
    write_all_feedback(workspace, ASSIGNMENT)
    assert HOSTILE not in class_page_path(workspace, ASSIGNMENT).read_text()
    assert HOSTILE not in assignment_page_path(workspace, "mallory", ASSIGNMENT).read_text()
    student = "<img src=x onerror=alert(1)>"
    result = SubmissionResult(student, ASSIGNMENT, [NotebookResult(NOTEBOOK, [affine(0.0, HOSTILE)])])
    text = render_class_page(ASSIGNMENT, [Row(student, ASSIGNMENT, "graded", "0/3", HOSTILE)], [result])
    assert "<script>" not in text and "<img src=x" not in text
    assert "&lt;script&gt;" in text and "&lt;img src=x onerror=alert(1)&gt;" in text


def test_feedback_prints_where_the_class_page_is(workspace: Workspace, capsys: pytest.CaptureFixture) -> None:
    assert cli(["--workspace", str(workspace.root), "--source", str(SOURCE), "feedback", ASSIGNMENT]) == 0
    assert f"the class at a glance: {class_page_path(workspace, ASSIGNMENT).as_uri()}" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_class_page_of_a_graded_class(tmp_path: Path) -> None:
    from autograder.grading.autograde import grade_class
    from autograder.grading.collect import collect
    from autograder.grading.records import Limits

    reference = (SOURCE / ASSIGNMENT / NOTEBOOK).read_text()
    wrong_dw = json.loads(reference)
    for cell in wrong_dw["cells"]:
        cell["source"] = "".join(cell["source"]).replace("dw = x.T @ dout", "dw = x.T @ dout / x.shape[0]")
    inbox = tmp_path / "inbox"
    for student, notebook in [("alice", reference), ("carol", json.dumps(wrong_dw))]:
        (inbox / student).mkdir(parents=True)
        (inbox / student / NOTEBOOK).write_text(notebook)
    workspace = Workspace(tmp_path / "grading", SOURCE)
    collect(workspace, ASSIGNMENT, inbox)
    grade_class(workspace, ASSIGNMENT, workers=2, limits=Limits(cell_timeout=20, notebook_timeout=60), progress=False)
    write_all_feedback(workspace, ASSIGNMENT)
    index = class_page_path(workspace, ASSIGNMENT)
    page = Page(index.read_text())
    assert [row.split()[0] for row in page.rows["grades"][1:]] == ["alice", "carol"]
    assert all(resolves(index, href) for href in page.hrefs)
    affine_row = page.rows["checks"][1]
    assert affine_row.startswith("affine_backward_tests 1_layers.ipynb 1 of 2 (50%)") and "dw is wrong" in affine_row
