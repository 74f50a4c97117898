"""Run `scripts/lab.sh` on a localhost port for the browser tests, and always stop it after.

The server is started in a process group of its own. Stopping it sends SIGTERM to the group
(Jupyter then shuts its kernels down), waits, and SIGKILLs whatever is left: the group, and the
kernels, which Jupyter starts in sessions of their own and so are tracked by parent process.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from course_workspace import REPO


class PortInUse(RuntimeError):
    """The port the server was asked to listen on is taken."""


class ServerFailed(RuntimeError):
    """The server exited or never answered; the message ends with its log."""


@dataclass(frozen=True)
class LabServer:
    url: str  # http://127.0.0.1:<port>, no trailing slash
    token: str
    root: Path
    log_path: Path

    def page_url(self, path: str) -> str:
        """A browser URL for ``path`` (e.g. ``lab/tree/course/x.ipynb``) that logs in with the token."""
        return f"{self.url}/{quote(path.lstrip('/'))}?token={self.token}"

    def api(self, path: str) -> Any:
        """GET a JSON answer from the server's REST API (``path`` like ``api/contents/x.ipynb``)."""
        request = urllib.request.Request(
            f"{self.url}/{quote(path.lstrip('/'), safe='/?=&')}",
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def exists(self, path: str) -> bool:
        """Whether ``path`` (relative to the server's root) is a file or folder it can serve."""
        try:
            self.api(f"api/contents/{path}?content=0")
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return False
            raise
        return True

    def log_tail(self, characters: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-characters:]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@contextmanager
def running_lab(
    root: Path, port: int, env: dict[str, str], state_dir: Path, startup_timeout: float = 180.0
) -> Iterator[LabServer]:
    """Start JupyterLab through scripts/lab.sh on ``root`` and yield it once it answers.

    Jupyter's own settings, workspaces and runtime files go to ``state_dir``, so a user's
    configuration neither leaks into the test nor is touched by it.
    """
    token = secrets.token_hex(16)
    server_env = {
        **env,
        "JUPYTER_TOKEN": token,
        "LAB_SKIP_SETUP": "1",
        "JUPYTER_CONFIG_DIR": str(state_dir / "config"),
        "JUPYTER_DATA_DIR": str(state_dir / "data"),
        "JUPYTER_RUNTIME_DIR": str(state_dir / "runtime"),
        "IPYTHONDIR": str(state_dir / "ipython"),
    }
    state_dir.mkdir(parents=True, exist_ok=True)
    server = LabServer(f"http://127.0.0.1:{port}", token, root, state_dir / "lab.log")
    with open(server.log_path, "wb") as log:
        process = subprocess.Popen(
            ["bash", str(REPO / "scripts" / "lab.sh"), str(port), str(root)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=server_env,
            start_new_session=True,
        )
    try:
        _wait_until_answering(server, process, startup_timeout)
        yield server
    finally:
        _stop(process)


def _wait_until_answering(server: LabServer, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = server.log_tail()
            if "already in use" in log:
                raise PortInUse(f"port {server.url.rsplit(':', 1)[1]} is already in use")
            raise ServerFailed(f"scripts/lab.sh exited with {process.returncode}:\n{log}")
        try:
            server.api("api/status")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise ServerFailed(f"JupyterLab did not answer on {server.url} within {timeout:.0f} s:\n{server.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    kernels = _descendants(process.pid)
    _signal_group(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        _signal_group(process.pid, signal.SIGKILL)
        process.wait(timeout=20)
    for pid, started in kernels:
        if _start_time(pid) == started:  # still the same process, not a reused pid
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _signal_group(group: int, signal_number: int) -> None:
    try:
        os.killpg(group, signal_number)
    except ProcessLookupError:
        pass


def _descendants(pid: int) -> list[tuple[int, int]]:
    """(pid, start time) of every process below ``pid``, read from /proc (Linux only)."""
    children: dict[int, list[int]] = {}
    if not Path("/proc").is_dir():
        return []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat_fields(int(entry.name))
            if stat:
                children.setdefault(int(stat[1]), []).append(int(entry.name))
    found, pending = [], list(children.get(pid, []))
    while pending:
        child = pending.pop()
        started = _start_time(child)
        if started is not None:
            found.append((child, started))
        pending.extend(children.get(child, []))
    return found


def _start_time(pid: int) -> int | None:
    stat = _stat_fields(pid)
    return int(stat[19]) if stat else None


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name: state, ppid, ... (None if gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return text.rsplit(")", 1)[1].split()
