"""What the browser tests saw, kept for people: a PNG per step and a text summary per view.

Files go to tests/e2e/screenshots/ (gitignored; CI keeps the folder as an artifact), named
``<view>-<step>.png`` and ``<view>.txt``. Each run overwrites the previous one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from notebook_page import Cell, NotebookPage

if TYPE_CHECKING:
    from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


def write_summary(view: str, lines: list[str]) -> str:
    """Write ``<view>.txt`` and return its text (printed by the test, shown by pytest on failure)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    text = "\n".join(lines) + "\n"
    (SCREENSHOTS / f"{view}.txt").write_text(text)
    return text


def describe_notebook(notebook: NotebookPage, cells: list[Cell], console_errors: list[str]) -> list[str]:
    """A student's-eye account of one run: timings, where it stopped, errors, figures, noise."""
    code_cells = [cell for cell in cells if cell.kind == "code"]
    lines = [
        f"notebook: {notebook.path}",
        f"seconds until the kernel was idle after opening: {notebook.seconds_to_kernel:.1f}",
        "seconds per run (Run All, then each Run Selected Cell and All Below): "
        + ", ".join(f"{seconds:.1f}" for seconds in notebook.run_seconds),
        f"code cells: {len(code_cells)}, run: {sum(cell.executed for cell in code_cells)}",
        f"runs stopped at cells: {notebook.stops or 'none'}",
        f"cells with figures: {[cell.index for cell in cells if cell.images]}",
        f"dialogs: {notebook.dialogs or 'none'}",
    ]
    for cell in cells:
        for error in cell.errors:
            lines.append(f"error in cell {cell.index}: {error.last_line}")
        for message in cell.stderr:
            lines.append(f"stderr in cell {cell.index}: {message.text.strip()[:300]}")
    lines += [f"browser console: {message}" for message in console_errors]
    return lines
