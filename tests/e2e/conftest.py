"""Fixtures for the browser tests: a graded throwaway course, JupyterLab on it, headless Chromium.

The browser is Debian's Chromium (scripts/setup-browser.sh installs it), driven by the Python
package playwright; playwright's own browser download is never used. Without the browser or
playwright the tests skip, except in CI (CI=true), which installs both, where they fail.

Environment:
    BACKPROPKIT_E2E_NOTEBOOK  which notebook to open, e.g. 03_backprop/1_layers.ipynb
    BACKPROPKIT_E2E_PORT      a fixed port for the server (default: any free one)
    BACKPROPKIT_CHROMIUM      the browser executable (default: /usr/bin/chromium)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

from chromium_tab import CHROMIUM_ARGS, VIEWPORT, BrowserTab, open_tab
from course_workspace import (
    NOTEBOOK_VARIABLE,
    CourseNotebook,
    CourseWorkspace,
    autograde,
    choose_notebook,
    lay_out_course,
)
from lab_server import LabServer, PortInUse, free_port, port_is_free, running_lab

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

CHROMIUM_VARIABLE = "BACKPROPKIT_CHROMIUM"
PORT_VARIABLE = "BACKPROPKIT_E2E_PORT"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
HERE = Path(__file__).resolve().parent


# The course's order: the student first, then the solution, then the TA, which leaves autograding
# (started in the background by the `course` fixture) the most time to finish.
VIEW_ORDER = ("test_browser_student.py", "test_browser_solution.py", "test_browser_formgrader.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = Path(str(item.path))
        return VIEW_ORDER.index(path.name) if path.parent == HERE and path.name in VIEW_ORDER else -1

    items.sort(key=rank)  # stable: every other test keeps its place, ahead of these


def unavailable(reason: str) -> NoReturn:
    """Skip on a developer's machine; fail in CI, which installs everything these tests need."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run here)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of the Chromium executable, once playwright is known to be importable."""
    path = os.environ.get(CHROMIUM_VARIABLE, DEFAULT_CHROMIUM)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        unavailable(
            f"no Chromium at {path}: run `sudo bash scripts/setup-browser.sh` (Debian/Ubuntu) "
            f"or set {CHROMIUM_VARIABLE} to a Chromium executable"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("the Python package playwright is missing: `.venv/bin/pip install playwright` (no browser download needed)")
    return path


@pytest.fixture(scope="session")
def course_notebook() -> CourseNotebook:
    try:
        return choose_notebook()
    except LookupError as missing:
        if os.environ.get(NOTEBOOK_VARIABLE):
            pytest.fail(str(missing), pytrace=False)
        unavailable(str(missing))


@pytest.fixture(scope="session")
def course_env() -> dict[str, str]:
    """The environment of nbgrader and of the server: small runs, the venv's tools on PATH."""
    env = dict(os.environ)
    env["BACKPROPKIT_QUICK"] = "1"
    # nbgrader runs `alembic` by name to set up its gradebook.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture(scope="session")
def course(
    chromium: str, course_notebook: CourseNotebook, course_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CourseWorkspace]:
    """A temporary course root with the chosen notebook released; autograding runs meanwhile."""
    root = tmp_path_factory.mktemp("course-root")
    lay_out_course(root, course_notebook, course_env)
    with ThreadPoolExecutor(max_workers=1) as background:  # leaving waits for the grading
        yield CourseWorkspace(root, course_notebook, background.submit(autograde, root, course_notebook, course_env))


@pytest.fixture(scope="session")
def lab_port() -> int:
    """$BACKPROPKIT_E2E_PORT, or a free port; checked before any course is built."""
    requested = os.environ.get(PORT_VARIABLE)
    port = int(requested) if requested else free_port()
    if not port_is_free(port):
        pytest.skip(f"port {port} is already in use: free it, or unset {PORT_VARIABLE} to let the test pick one")
    return port


@pytest.fixture(scope="session")
def lab(
    lab_port: int, course: CourseWorkspace, course_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LabServer]:
    """scripts/lab.sh serving the temporary course on localhost; stopped at the end, whatever happens."""
    try:
        with running_lab(course.root, lab_port, course_env, tmp_path_factory.mktemp("jupyter-state")) as server:
            yield server
    except PortInUse as taken:
        pytest.skip(f"{taken}: free it, or unset {PORT_VARIABLE} to let the test pick one")


@pytest.fixture(scope="session")
def browser(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """Headless Chromium with a fresh profile of its own."""
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=chromium, headless=True, args=CHROMIUM_ARGS, viewport=VIEWPORT
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def tab(browser: BrowserContext) -> Iterator[BrowserTab]:
    """A new tab that records the browser console's errors; closed after the test."""
    tab = open_tab(browser)
    try:
        yield tab
    finally:
        tab.page.close()
