"""Feedback pages: one self-contained HTML file per student and notebook.

A page lists the points of every test and, for each one that failed, what the check said (which
gradient, how wrong, where, the likely mistake) or why it could not run (a crash, a timeout), with
a heat map of the elementwise relative error where the check measured one. It never shows the
hidden tests' code: only their messages, which the checks write for students. Images are inline
PNGs, styles are inline, so the file opens anywhere, offline.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from .results import NotebookResult, SubmissionResult
from .trusted_check import TestOutcome
from .workspace import Workspace

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.5rem;margin-bottom:.2rem} .sub{color:#555;margin-top:0}
table{border-collapse:collapse;width:100%;margin:1rem 0} td,th{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left}
th{background:#f4f4f6} .pass{color:#17703a;font-weight:600} .fail{color:#b3261e;font-weight:600} .part{color:#9a6700;font-weight:600}
section{border:1px solid #ddd;border-radius:8px;padding:.8rem 1rem;margin:1rem 0}
pre{background:#f7f7f9;padding:.6rem;border-radius:6px;white-space:pre-wrap;word-break:break-word;font-size:.85rem}
.reason{background:#fff4e5;border-left:4px solid #f0a020;padding:.5rem .8rem} img{max-width:100%}
"""


def write_feedback(workspace: Workspace, student: str, assignment: str) -> list[Path]:
    """Write the pages for one graded submission; return their paths."""
    result = workspace.result(student, assignment)
    if result is None:
        raise FileNotFoundError(f"{student}/{assignment} has not been graded yet; run `grade` first")
    folder = workspace.feedback / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    pages = []
    for notebook in result.notebooks:
        path = folder / (Path(notebook.name).stem + ".html")
        path.write_text(render_page(result, notebook), encoding="utf-8")
        pages.append(path)
    return pages


def write_all_feedback(workspace: Workspace, assignment: str | None = None) -> list[Path]:
    pages = []
    for student, name in workspace.submissions(assignment):
        if workspace.is_graded(student, name):
            pages += write_feedback(workspace, student, name)
    return pages


def render_page(result: SubmissionResult, notebook: NotebookResult) -> str:
    """The HTML page for one notebook of one submission."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(notebook.name)}: feedback for {esc(result.student)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{esc(notebook.name)}: {notebook.points:g} / {notebook.max_points:g} points</h1>",
        f"<p class='sub'>{esc(result.student)} &middot; {esc(result.assignment)}</p>",
    ]
    if notebook.problem:
        parts.append(f"<p class='reason'>{esc(notebook.problem)}</p>")
    parts.append("<table><tr><th>Test</th><th>Points</th><th>Result</th></tr>")
    for test in notebook.tests:
        parts.append(f"<tr><td>{esc(test.grade_id)}</td><td>{test.points:g} / {test.max_points:g}</td>"
                     f"<td>{_verdict(test)}</td></tr>")
    parts.append("</table>")
    for test in notebook.tests:
        if test.points < test.max_points or test.failure:
            parts.append(_test_section(test))
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
