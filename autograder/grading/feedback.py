"""Feedback pages: one self-contained HTML file per student and notebook, and pages that sum them up.

A notebook's page lists the points of every test and, for each one that failed, what the check
said (which gradient, how wrong, where, the likely mistake) or why it could not run (a crash, a
timeout), with a heat map of the elementwise relative error where the check measured one. It never
shows the hidden tests' code: only their messages, which the checks write for students. Images are
inline PNGs, styles are inline, so every page opens anywhere, offline.

Beside the notebook pages (``feedback/<student>/<assignment>/<notebook>.html``) each student gets an
assignment page (``feedback/<student>/<assignment>.html``: the total and a link per notebook), and
the TA a class page per assignment (``feedback/_class/<assignment>.html``): the grade table, a
histogram of the scores, and per check the share of the class that lost points on it with the most
common mistakes, so the TA sees what to teach again. ``_class`` cannot be a student's folder:
student ids never start with ``_`` (``collect.student_id``). Written answers show the TA's score
and comment from nbgrader's gradebook, or that they wait to be graded; totals add the written
points graded so far.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from . import written
from .records import NotebookResult, SubmissionResult, TestOutcome, WrittenAnswer, first_line, lost_points
from .status import Row, status_rows
from .workspace import Workspace

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.5rem;margin-bottom:.2rem} .sub{color:#555;margin-top:0}
table{border-collapse:collapse;width:100%;margin:1rem 0} td,th{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left}
th{background:#f4f4f6} .pass{color:#17703a;font-weight:600} .fail{color:#b3261e;font-weight:600} .part{color:#9a6700;font-weight:600}
section{border:1px solid #ddd;border-radius:8px;padding:.8rem 1rem;margin:1rem 0}
pre{background:#f7f7f9;padding:.6rem;border-radius:6px;white-space:pre-wrap;word-break:break-word;font-size:.85rem}
.reason{background:#fff4e5;border-left:4px solid #f0a020;padding:.5rem .8rem} img{max-width:100%}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums} .bar{background:#e8e8ee;border-radius:3px;height:.6rem;width:6rem;display:inline-block}
.bar span{background:#b3261e;border-radius:3px;height:100%;display:block} ul.causes{margin:0;padding-left:1.1rem}
"""
CLASS_FOLDER = "_class"  # the TA's pages; no student id starts with "_"
TOP_CAUSES = 3  # mistakes listed per check on the class page


def write_feedback(workspace: Workspace, student: str, assignment: str) -> list[Path]:
    """Write the pages for one graded submission; return their paths."""
    result = workspace.result(student, assignment)
    if result is None:
        raise FileNotFoundError(f"{student}/{assignment} has not been graded yet; run `grade` first")
    written.with_hand_grades(workspace, [result])
    folder = workspace.feedback / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    pages = []
    for notebook in result.notebooks:
        path = folder / (Path(notebook.name).stem + ".html")
        path.write_text(render_page(result, notebook), encoding="utf-8")
        pages.append(path)
    return pages


def write_all_feedback(workspace: Workspace, assignment: str | None = None) -> list[Path]:
    """Every graded submission's pages and assignment page, then one class page per assignment."""
    pages = []
    assignments = []
    for student, name in workspace.submissions(assignment):
        if name not in assignments:
            assignments.append(name)
        if workspace.is_graded(student, name):
            pages += write_feedback(workspace, student, name)
            pages.append(write_assignment_page(workspace, student, name))
    return pages + [write_class_page(workspace, name) for name in assignments]


def class_page_path(workspace: Workspace, assignment: str) -> Path:
    return workspace.feedback / CLASS_FOLDER / f"{assignment}.html"


def assignment_page_path(workspace: Workspace, student: str, assignment: str) -> Path:
    """Beside the notebook pages' folder, so no notebook's name can clash with it."""
    return workspace.feedback / student / f"{assignment}.html"


def write_assignment_page(workspace: Workspace, student: str, assignment: str) -> Path:
    result = workspace.result(student, assignment)
    if result is None:
        raise FileNotFoundError(f"{student}/{assignment} has not been graded yet; run `grade` first")
    written.with_hand_grades(workspace, [result])
    path = assignment_page_path(workspace, student, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_assignment_page(result), encoding="utf-8")
    return path


def write_class_page(workspace: Workspace, assignment: str) -> Path:
    rows = status_rows(workspace, assignment)
    results = [r for r in (workspace.result(row.student, assignment) for row in rows) if r is not None]
    written.with_hand_grades(workspace, results)
    path = class_page_path(workspace, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_class_page(assignment, rows, results), encoding="utf-8")
    return path


def render_page(result: SubmissionResult, notebook: NotebookResult) -> str:
    """The HTML page for one notebook of one submission."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(notebook.name)}: feedback for {esc(result.student)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{esc(notebook.name)}: {notebook.total_points:g} / {notebook.total_max_points:g} points</h1>",
        f"<p class='sub'>{esc(result.student)} &middot; {esc(result.assignment)}</p>",
    ]
    if notebook.problem:
        parts.append(f"<p class='reason'>{esc(notebook.problem)}</p>")
    parts.append("<table><tr><th>Test</th><th>Points</th><th>Result</th></tr>")
    for test in notebook.tests:
        parts.append(f"<tr><td>{esc(test.grade_id)}</td><td>{test.points:g} / {test.max_points:g}</td>"
                     f"<td>{_verdict(test)}</td></tr>")
    for answer in notebook.written:
        got = "?" if answer.points is None else f"{answer.points:g}"
        parts.append(f"<tr><td>{esc(answer.grade_id)} (written)</td><td>{got} / {answer.max_points:g}</td>"
                     f"<td>{_written_verdict(answer)}</td></tr>")
    parts.append("</table>")
    for test in notebook.tests:
        if test.points < test.max_points or test.failure:
            parts.append(_test_section(test))
    for answer in notebook.written:
        if answer.comment:
            parts.append(f"<section><h3>{esc(answer.grade_id)} (written)</h3><p>Your grader wrote:</p>"
                         f"<pre>{esc(answer.comment)}</pre></section>")
    errors = [c for c in notebook.cell_outputs if c.error]
    if errors:
        parts.append("<h2>Your cells that raised errors</h2>")
        for cell in errors:
            parts.append(f"<section><p>Cell {cell.index + 1}</p><pre>{esc(cell.error)}</pre></section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _verdict(test: TestOutcome) -> str:
    if test.points >= test.max_points and not test.failure:
        return "<span class='pass'>passed</span>"
    if test.points > 0:
        return "<span class='part'>partly right</span>"
    return "<span class='fail'>could not run</span>" if test.reason else "<span class='fail'>failed</span>"


def _written_verdict(answer: WrittenAnswer) -> str:
    if answer.points is None:
        return "<span class='part'>waiting to be graded by hand</span>"
    if answer.points >= answer.max_points:
        return "<span class='pass'>graded by hand: full marks</span>"
    return "<span class='part'>graded by hand</span>"


def _test_section(test: TestOutcome) -> str:
    esc = html.escape
    parts = [f"<section><h3>{esc(test.grade_id)} &mdash; {test.points:g} / {test.max_points:g}</h3>"]
    if test.reason:
        parts.append(f"<p class='reason'>{esc(test.reason)}</p>")
    elif test.failure:
        parts.append(f"<pre>{esc(test.failure)}</pre>")
    if test.messages:
        parts.append("<p>What the checks printed:</p><pre>" + esc("\n".join(test.messages)) + "</pre>")
    for heatmap in test.heatmaps:
        parts.append(
            f"<p>Relative error of each element of <code>{esc(heatmap['title'])}</code> "
            "(darker is further from the numerical gradient; grey was not compared):</p>"
            f"<img alt='relative error of {esc(heatmap['title'])}' src='data:image/png;base64,{heatmap_png(heatmap)}'>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def heatmap_png(heatmap: dict) -> str:
    """A base64 PNG of ``heatmap['grid']`` on a log scale, the worst element circled."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np

    grid = np.array([[np.nan if v is None else v for v in row] for row in heatmap["grid"]], dtype=float)
    shown = np.log10(np.clip(grid, 1e-16, None))
    height, width = grid.shape
    figure, axis = plt.subplots(figsize=(min(8, 1.5 + 0.4 * width), min(6, 1.2 + 0.4 * height)), dpi=90)
    cmap = plt.get_cmap("magma_r").with_extremes(bad="#cccccc")
    image = axis.imshow(np.ma.masked_invalid(shown), cmap=cmap, vmin=-12, vmax=0, aspect="auto", interpolation="nearest")
    figure.colorbar(image, ax=axis, label="log10 relative error")
    if np.isfinite(grid).any():
        row, column = np.unravel_index(np.nanargmax(grid), grid.shape)
        axis.scatter([column], [row], s=160, facecolors="none", edgecolors="#00a0ff", linewidths=2)
    axis.set_title(f"relative error of {heatmap['title']}")
    axis.set_xlabel("column")
    axis.set_ylabel("row" if height > 1 else "")
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def render_assignment_page(result: SubmissionResult) -> str:
    """A student's page for one assignment: the total, and each notebook's points with its page."""
    esc = html.escape
    total = result.total_points - result.late_penalty
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(result.assignment)}: feedback for {esc(result.student)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{esc(result.assignment)}: {total:g} / {result.total_max_points:g} points</h1>",
        f"<p class='sub'>{esc(result.student)}</p>",
    ]
    if result.written_waiting:
        parts.append(f"<p class='reason'>{result.written_waiting} written answer(s) still wait to be graded by hand: "
                     "their points are not in this total yet.</p>")
    if result.late_penalty:
        parts.append(f"<p class='reason'>Handed in {_late(result)} after the due date: "
                     f"{result.late_penalty:g} point(s) off.</p>")
    parts.append("<table class='notebooks'><tr><th>Notebook</th><th class='num'>Points</th><th>Tests passed</th></tr>")
    for notebook in result.notebooks:
        link = f"{quote(result.assignment)}/{quote(Path(notebook.name).stem)}.html"
        passed = sum(t.points >= t.max_points and not t.failure for t in notebook.tests)
        tests = f"{passed} of {len(notebook.tests)}" if notebook.tests else "no graded tests"
        parts.append(f"<tr><td><a href='{esc(link)}'>{esc(notebook.name)}</a></td>"
                     f"<td class='num'>{notebook.total_points:g} / {notebook.total_max_points:g}</td><td>{tests}</td></tr>")
    parts.append("</table>")
    lost = lost_points(result)[1 if result.seconds_late > 0 else 0:]  # the late penalty is said above
    lost += written.lost_lines(result)
    if lost:
        parts.append("<h2>Where points were lost</h2><ul class='lost'>")
        parts += [f"<li>{esc(line)}</li>" for line in lost]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def render_class_page(assignment: str, rows: list[Row], results: list[SubmissionResult]) -> str:
    """The TA's page for one assignment: what each check cost the class, a histogram, the grades."""
    esc = html.escape
    scores = [r.total_points - r.late_penalty for r in results]
    max_points = max((r.total_max_points for r in results), default=0.0)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(assignment)}: the class at a glance</title><style>{_STYLE}</style></head><body>",
        f"<h1>{esc(assignment)}: the class at a glance</h1>",
        f"<p class='sub'>{len(rows)} student(s), {len(results)} graded"
        + (f" &middot; mean {sum(scores) / len(scores):.3g} / {max_points:g} points" if scores else "") + "</p>",
    ]
    if scores:
        parts.append(f"<img alt='histogram of the scores' src='data:image/png;base64,{score_histogram_png(scores, max_points)}'>")
    parts.append("<h2>What the class lost points on</h2>")
    parts.append("<table class='checks'><tr><th>Check</th><th>Notebook</th><th class='num'>Lost points</th>"
                 "<th>Most common causes</th></tr>")
    causes_per_check = _causes_per_check(results)
    for (notebook, grade_id), causes in causes_per_check.items():
        students = sum(causes.values())
        if not students:
            continue
        share = students / len(results)
        listed = "".join(f"<li>{count} ({count / len(results):.0%}): {esc(cause)}</li>"
                         for cause, count in causes.most_common(TOP_CAUSES))
        parts.append(
            f"<tr><td>{esc(grade_id)}</td><td>{esc(notebook)}</td>"
            f"<td class='num'>{students} of {len(results)} ({share:.0%}) "
            f"<span class='bar'><span style='width:{share:.0%}'></span></span></td>"
            f"<td><ul class='causes'>{listed}</ul></td></tr>"
        )
    parts.append("</table>")
    nobody = [grade_id for (_, grade_id), causes in causes_per_check.items() if not causes]
    if nobody:  # a line, not a table row each: the checks the class got right need no attention
        parts.append(f"<p class='nobody'>Nobody lost points on {esc(', '.join(nobody))}.</p>")
    parts.append("<h2>Grades</h2>")
    parts.append("<table class='grades'><tr><th>Student</th><th class='num'>Points</th><th>State</th>"
                 "<th>Late</th><th>Note</th></tr>")
    by_student = {r.student: r for r in results}
    for row in rows:
        result = by_student.get(row.student)
        name = esc(row.student)
        if result is not None:
            link = f"../{quote(row.student)}/{quote(assignment)}.html"
            name = f"<a href='{esc(link)}'>{name}</a>"
        late = f"{_late(result)} (&minus;{result.late_penalty:g})" if result and result.seconds_late > 0 else ""
        parts.append(f"<tr><td>{name}</td><td class='num'>{esc(row.points)}</td><td>{esc(row.state)}</td>"
                     f"<td>{late}</td><td>{esc(first_line(row.reason))}</td></tr>")
    parts.append("</table></body></html>")
    return "\n".join(parts)


def _causes_per_check(results: list[SubmissionResult]) -> dict[tuple[str, str], Counter]:
    """Per (notebook, grade_id), those most lost first: how many students lost points for each cause.

    A check nobody lost points on has an empty Counter."""
    causes: dict[tuple[str, str], Counter] = {}
    for result in results:
        for notebook in result.notebooks:
            for test in notebook.tests:
                counter = causes.setdefault((notebook.name, test.grade_id), Counter())
                if test.points < test.max_points:
                    counter[_cause(notebook, test)] += 1
    return dict(sorted(causes.items(), key=lambda item: -sum(item[1].values())))


def _cause(notebook: NotebookResult, test: TestOutcome) -> str:
    """Why a test lost points, worded so that the same mistake reads the same for every student:
    the notebook's problem, the test's crash or timeout, the check's likely mistake, or else its
    headline without the numbers in parentheses (errors and tolerances differ per student)."""
    if notebook.problem:
        return first_line(notebook.problem)
    if test.reason:
        return first_line(test.reason)
    likely = re.search(r"Likely mistake: (.*?)\.?\s*$", test.failure or "", re.MULTILINE)
    if likely:
        return likely.group(1)
    diagnosis = next((h["diagnosis"] for h in test.heatmaps if h.get("diagnosis")), None)
    if diagnosis:
        return diagnosis
    headline = re.sub(r"\s*\([^()]*\d[^()]*\)", "", first_line(test.failure))
    return headline or "no points (no message)"


def _late(result: SubmissionResult) -> str:
    hours, minutes = divmod(round(result.seconds_late / 60), 60)
    return f"{hours}h {minutes:02d}m"


def score_histogram_png(scores: list[float], max_points: float) -> str:
    """A base64 PNG of how many students scored what: one bar per point up to 20 points, else 20 bins."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    top = max(max_points, max(scores), 1.0)
    edges = np.arange(-0.5, top + 1) if top <= 20 else np.linspace(0, top, 21)
    figure, axis = plt.subplots(figsize=(7, 2.8), dpi=90)
    axis.hist(np.clip(scores, edges[0], edges[-1]), bins=edges, color="#4a6fa5", edgecolor="white")
    axis.set_xlabel(f"points (of {max_points:g})")
    axis.set_ylabel("students")
    axis.set_title(f"scores of {len(scores)} graded student(s)")
    axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
