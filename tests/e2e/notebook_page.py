"""Drive one notebook in JupyterLab the way a student does, and read back what the page shows.

A student opens the notebook, picks Run > Run All Cells, and JupyterLab stops at the first cell
that raises (every later cell stays ``[ ]``). They fix it, or move past it and pick
Run > Run Selected Cell and All Below. `NotebookPage.run_like_a_student` does that second thing
until every code cell has run, so the test sees every exercise's message, not only the first.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lab_server import LabServer

if TYPE_CHECKING:
    from playwright.sync_api import Page

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
STDERR = "application/vnd.jupyter.stderr"

# Everything the test reads, in one pass over the DOM. JupyterLab's default "contentVisibility"
# windowing keeps every cell in the DOM, so cells scrolled out of view are read too.
_READ_CELLS = """(panel) => Array.from(document.querySelectorAll(panel + ' .jp-Notebook .jp-Cell')).map(cell => ({
  kind: cell.classList.contains('jp-CodeCell') ? 'code'
      : cell.classList.contains('jp-MarkdownCell') ? 'markdown' : 'raw',
  prompt: (cell.querySelector('.jp-InputArea-prompt')?.textContent || '').trim(),
  outputs: Array.from(cell.querySelectorAll('.jp-OutputArea-output')).map(output => ({
    mime: output.getAttribute('data-mime-type') || '',
    text: output.textContent || '',
    images: Array.from(output.querySelectorAll('img')).map(img => [img.naturalWidth, img.naturalHeight]),
  })),
  links: Array.from(cell.querySelectorAll('.jp-RenderedMarkdown a[href]')).map(a => a.getAttribute('href')),
}))"""

# The toolbar's indicator says "idle" before any kernel is connected, so also require the
# status bar's "<kernel name> | Idle" and a kernel name in the toolbar.
_KERNEL_IDLE = """(panel) => {
  const status = document.querySelector(panel + ' .jp-Notebook-ExecutionIndicator')?.getAttribute('data-status');
  const kernel = document.querySelector(panel + ' .jp-KernelName')?.textContent.trim() || '';
  const statusBar = document.querySelector('#jp-main-statusbar')?.textContent || '';
  return status === 'idle' && kernel !== '' && kernel !== 'No Kernel' && statusBar.includes(kernel + ' | Idle');
}"""

# Idle, nothing queued, and every figure decoded.
_RUN_SETTLED = """(panel) => {
  const prompts = Array.from(document.querySelectorAll(panel + ' .jp-InputArea-prompt'), p => p.textContent);
  const images = Array.from(document.querySelectorAll(panel + ' .jp-OutputArea-output img'));
  return (KERNEL_IDLE)(panel) && !prompts.some(p => p.includes('*')) && images.every(img => img.complete);
}""".replace("KERNEL_IDLE", _KERNEL_IDLE)

_RUN_STARTED = """(panel) => {
  const status = document.querySelector(panel + ' .jp-Notebook-ExecutionIndicator')?.getAttribute('data-status');
  return status === 'busy'
      || Array.from(document.querySelectorAll(panel + ' .jp-InputArea-prompt')).some(p => p.textContent.includes('*'));
}"""

_ASKING = "() => document.querySelector('.jp-Dialog') !== null"

_ERROR_LINE = re.compile(r"^\s*(\w+(Error|Exception|Failed|Interrupt)|Traceback)\b", re.MULTILINE)


@dataclass(frozen=True)
class Output:
    mime: str
    text: str
    images: list[tuple[int, int]]  # natural (width, height) of each <img>; (0, 0) means broken

    @property
    def is_error(self) -> bool:
        """A traceback (JupyterLab shows errors and stderr with the same mime type)."""
        return self.mime == STDERR and _ERROR_LINE.search(self.text) is not None

    @property
    def last_line(self) -> str:
        lines = [line for line in self.text.strip().splitlines() if line.strip()]
        return lines[-1].strip() if lines else ""


@dataclass(frozen=True)
class Cell:
    index: int
    kind: str  # "code", "markdown" or "raw"
    prompt: str  # "[3]:" once run, "[*]:" queued or running, "[ ]:" never run
    outputs: list[Output]
    links: list[str]

    @property
    def executed(self) -> bool:
        return re.fullmatch(r"\[\d+\]:", self.prompt) is not None

    @property
    def errors(self) -> list[Output]:
        return [output for output in self.outputs if output.is_error]

    @property
    def stderr(self) -> list[Output]:
        """Messages on stderr that are not tracebacks: warnings, progress bars."""
        return [output for output in self.outputs if output.mime == STDERR and not output.is_error]

    @property
    def images(self) -> list[tuple[int, int]]:
        return [size for output in self.outputs for size in output.images]


@dataclass
class NotebookPage:
    """One notebook open in a browser tab, with what happened on the way kept for the report."""

    page: Page
    server: LabServer
    path: str  # relative to the server's root
    seconds_to_kernel: float = 0.0
    run_seconds: list[float] = field(default_factory=list)
    stops: list[int] = field(default_factory=list)  # cells whose error ended a run
    dialogs: list[str] = field(default_factory=list)

    def open(self, timeout_s: float = 120.0) -> None:
        """Load JupyterLab on the notebook and wait until its kernel is idle."""
        started = time.monotonic()
        # `reset` starts from an empty workspace: no tabs left open by an earlier test.
        self.page.goto(self.server.page_url(f"lab/tree/{self.path}") + "&reset")
        self.page.wait_for_selector(f"{PANEL} .jp-Notebook .jp-Cell", timeout=timeout_s * 1000)
        deadline = time.monotonic() + timeout_s
        while not self.page.evaluate(_KERNEL_IDLE, PANEL):
            if self.page.evaluate(_ASKING):
                self._accept_dialogs()
            if time.monotonic() > deadline:
                raise TimeoutError(f"the kernel of {self.path} was not idle {timeout_s:.0f} s after opening")
            self.page.wait_for_timeout(250)
        self.seconds_to_kernel = time.monotonic() - started

    def run_like_a_student(self, timeout_s: float = 600.0) -> None:
        """Run All Cells, then after every stop run from the next cell down, until all have run."""
        deadline = time.monotonic() + timeout_s
        self._run_from_menu("Run All Cells", deadline)
        while True:
            cells = self.cells()
            stopped_at = next((cell.index for cell in cells if cell.errors and cell.index not in self.stops), None)
            if stopped_at is None:
                return
            self.stops.append(stopped_at)
            never_run = [cell for cell in cells[stopped_at + 1 :] if cell.kind == "code" and not cell.executed]
            if not never_run:
                return
            self._select_cell(never_run[0].index)
            self._run_from_menu("Run Selected Cell and All Below", deadline)

    def cells(self) -> list[Cell]:
        raw_cells = self.page.evaluate(_READ_CELLS, PANEL)
        return [
            Cell(
                index=index,
                kind=raw["kind"],
                prompt=raw["prompt"],
                outputs=[Output(o["mime"], o["text"], [tuple(size) for size in o["images"]]) for o in raw["outputs"]],
                links=raw["links"],
            )
            for index, raw in enumerate(raw_cells)
        ]

    def broken_links(self) -> list[str]:
        """Relative links in the Markdown that point at no file the server can serve."""
        folder = Path(self.path).parent
        broken = []
        for cell in self.cells():
            for href in cell.links:
                if re.match(r"^([a-z][a-z0-9+.-]*:|#|//)", href, re.IGNORECASE):
                    continue  # web links and anchors: nothing to check offline
                target = (folder / href.split("#")[0].split("?")[0]).as_posix()
                if not self.server.exists(target):
                    broken.append(href)
        return broken

    def screenshot_cell(self, index: int, path: Path) -> None:
        """Scroll cell ``index`` into view and save the browser window as a PNG."""
        cell = self.page.locator(f"{PANEL} .jp-Notebook .jp-Cell").nth(index)
        cell.scroll_into_view_if_needed()
        self.page.wait_for_timeout(300)  # let MathJax and images settle after the scroll
        self.page.screenshot(path=str(path))

    def _run_from_menu(self, item: str, deadline: float) -> None:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        started = time.monotonic()
        self.page.get_by_role("menuitem", name="Run", exact=True).click()
        self.page.get_by_role("menuitem", name=item, exact=True).click()
        try:
            self.page.wait_for_function(_RUN_STARTED, arg=PANEL, timeout=5000)
        except PlaywrightTimeout:
            pass  # cells that finish at once may never look busy
        remaining_ms = max(1.0, deadline - time.monotonic()) * 1000
        self.page.wait_for_function(_RUN_SETTLED, arg=PANEL, timeout=remaining_ms, polling=250)
        self.run_seconds.append(time.monotonic() - started)

    def _select_cell(self, index: int) -> None:
        """Select a cell in command mode by clicking its prompt, as a student would."""
        prompt = self.page.locator(f"{PANEL} .jp-Notebook .jp-Cell").nth(index).locator(".jp-InputPrompt")
        prompt.click()
        self.page.keyboard.press("Escape")

    def _accept_dialogs(self) -> None:
        """Record and accept dialogs (a kernel chooser, for one): a student would have to as well."""
        while self.page.evaluate(_ASKING):
            self.dialogs.append(self.page.locator(".jp-Dialog").first.inner_text().strip())
            self.page.locator(".jp-Dialog .jp-mod-accept").first.click()
            self.page.wait_for_timeout(500)
