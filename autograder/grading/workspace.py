"""The TA's grading workspace: one folder holding everything grading produces.

    <root>/                       (default ./grading/, created private to the TA: mode 0700)
      gradebook.db                nbgrader's gradebook
      submitted/<student>/<assignment>/...      what ``collect`` imported
      autograded/<student>/<assignment>/*.ipynb  nbgrader's record of each graded notebook
      autograded/<student>/<assignment>/grading.json   points, messages and reasons (records.py)
      versions/<student>/<assignment>/<timestamp>/      every earlier hand-in, kept when a new one came
      feedback/<student>/<assignment>/*.html     the pages students get back
      collect_problems.json       submissions that could not be imported, with the reason
      hidden_case_secret          the course secret each student's hidden cases are drawn from (mode 0600)

The instructor's source notebooks stay where they are (``solutions/`` by default) and are only read.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import socket
import time
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from .records import Limits, NotebookJob, SubmissionJob, SubmissionResult

if TYPE_CHECKING:
    from nbgrader.api import Gradebook

MAX_HANDED_IN_FILE_BYTES = 20 * 2**20
MAX_NOTEBOOK_BYTES = 32 * 2**20  # parsed, a notebook takes several times its size in memory
IGNORED_FILES = {"timestamp.txt", ".DS_Store"}
IGNORED_FOLDERS = {".ipynb_checkpoints", "__pycache__"}  # editor and interpreter leftovers
CASE_SECRET_FILE = "hidden_case_secret"


class WorkspaceBusy(RuntimeError):
    """Another process is grading in this workspace."""


@dataclass
class Workspace:
    root: Path
    source_root: Path
    course_id: str = "backpropkit"

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self.source_root = Path(self.source_root).resolve()
        if not self.source_root.is_dir():
            raise FileNotFoundError(f"source_root {self.source_root} is not a folder of assignments")
        # the release (course/ beside the sources, see nbgrader_config.py) is published, built from
        # the sources and deleted by each release: grades and the hidden-case secret stay out of both
        for inside in (self.source_root, self.source_root.parent / "course"):
            if self.root == inside or inside in self.root.parents:
                raise ValueError(f"the grading workspace {self.root} must not lie inside {inside}")
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        ignore = self.root / ".gitignore"
        if not ignore.exists():  # grades and submissions never end up in a commit by accident
            ignore.write_text("*\n")

    # -------------------------------------------------------------- paths
    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded(self) -> Path:
        return self.root / "autograded"

    @property
    def feedback(self) -> Path:
        return self.root / "feedback"

    def submission_dir(self, student: str, assignment: str) -> Path:
        return self.submitted / student / assignment

    def result_path(self, student: str, assignment: str) -> Path:
        return self.autograded / student / assignment / "grading.json"

    @property
    def case_secret_path(self) -> Path:
        return self.root / CASE_SECRET_FILE

    def case_secret(self) -> bytes:
        """The secret this workspace draws hidden cases from, created (random, private) on first use.

        It lives here, never in the course's files: ``nbgrader_config.py`` and ``solutions/`` are
        published with the kit, and the release is built from them. Grading again with the same
        secret draws the same cases; copy the file to give another workspace the same ones.
        """
        secret = read_case_secret(self.root)
        if secret is None:
            descriptor = os.open(self.case_secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
            secret = read_case_secret(self.root)
        return secret

    def gradebook(self) -> "Gradebook":
        """nbgrader's gradebook of this workspace, created on first use (a context manager)."""
        from nbgrader.api import Gradebook

        # Creating it runs the ``alembic`` command, which sits beside our Python, on PATH only when
        # the virtual environment is activated.
        if shutil.which("alembic") is None:
            os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
        return Gradebook(self.db_url, self.course_id)

    @contextlib.contextmanager
    def grading_lock(self) -> Iterator[None]:
        """Hold the workspace's grading lock, or raise WorkspaceBusy naming who holds it.

        ``flock`` is released by the kernel when its holder dies, so a lock left by a killed run is
        simply taken over; the file's text only says who holds it.
        """
        path = self.root / ".grading.lock"
        handle = open(path, "a+")
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise WorkspaceBusy(f"{self.root} is being graded by {holder}; wait for it to finish "
                                    "(or stop it: finished grades are kept)") from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}")
            handle.flush()
            yield
        finally:
            handle.close()  # closing releases the lock

    # -------------------------------------------------------------- what exists
    def assignments(self) -> list[str]:
        return assignments_in(self.source_root)

    def require_assignment(self, assignment: str) -> str:
        return require_assignment(self.source_root, assignment)

    def source_notebooks(self, assignment: str) -> dict[str, Path]:
        folder = self.source_root / self.require_assignment(assignment)
        return {p.name: p for p in sorted(folder.glob("*.ipynb"))}

    def students(self) -> list[str]:
        if not self.submitted.is_dir():
            return []
        return sorted(p.name for p in self.submitted.iterdir() if p.is_dir())

    def submissions(self, assignment: str | None = None) -> list[tuple[str, str]]:
        """Every (student, assignment) pair that was collected, sorted."""
        pairs = []
        for student in self.students():
            for folder in sorted((self.submitted / student).iterdir()):
                if folder.is_dir() and (assignment is None or folder.name == assignment):
                    pairs.append((student, folder.name))
        return pairs

    def versions_dir(self, student: str, assignment: str) -> Path:
        return self.root / "versions" / student / assignment

    def is_graded(self, student: str, assignment: str) -> bool:
        return self.result_path(student, assignment).is_file()

    def submission_digest(self, student: str, assignment: str) -> str:
        """A fingerprint of the hand-in as it is now: every file's path and content, not when it came."""
        digest = hashlib.sha256()
        folder = self.submission_dir(student, assignment)
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "timestamp.txt"):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            with path.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
            digest.update(b"\0")
        return digest.hexdigest()

    def is_stale(self, student: str, assignment: str) -> bool:
        """Graded, but the hand-in is no longer the one that was graded (the student resubmitted)."""
        result = self.result(student, assignment)
        return result is not None and result.submission_digest != self.submission_digest(student, assignment)

    def archive_submission(self, student: str, assignment: str) -> Path | None:
        """Move the current hand-in to ``versions/``, named by when it came; return where it went."""
        current = self.submission_dir(student, assignment)
        if not current.is_dir():
            return None
        stamp_file = current / "timestamp.txt"
        stamp = stamp_file.read_text().strip() if stamp_file.is_file() else "undated"
        name = "".join(c if c.isalnum() or c in "-_." else "-" for c in stamp)[:64] or "undated"
        target, copy = self.versions_dir(student, assignment) / name, 1
        while target.exists():  # two hand-ins with one timestamp: keep both
            copy += 1
            target = self.versions_dir(student, assignment) / f"{name}-{copy}"
        target.parent.mkdir(parents=True, exist_ok=True)
        current.rename(target)
        return target

    def result(self, student: str, assignment: str) -> SubmissionResult | None:
        path = self.result_path(student, assignment)
        return SubmissionResult.load(path) if path.is_file() else None

    def pending(self, assignment: str | None = None, regrade: bool = False) -> list[tuple[str, str]]:
        """What ``grade`` grades: never graded, or resubmitted since (everything with ``regrade``)."""
        return [pair for pair in self.submissions(assignment)
                if regrade or not self.is_graded(*pair) or self.is_stale(*pair)]

    # -------------------------------------------------------------- problems found while collecting
    @property
    def problems_path(self) -> Path:
        return self.root / "collect_problems.json"

    def problems(self) -> list[dict[str, str]]:
        if not self.problems_path.is_file():
            return []
        return json.loads(self.problems_path.read_text())

    def record_problem(self, student: str, assignment: str, notebook: str | None, reason: str) -> None:
        problems = [p for p in self.problems() if (p["student"], p["assignment"], p["notebook"]) != (student, assignment, notebook)]
        problems.append({"student": student, "assignment": assignment, "notebook": notebook, "reason": reason})
        self.problems_path.write_text(json.dumps(problems, indent=1))

    def clear_problems(self, student: str, assignment: str) -> None:
        problems = [p for p in self.problems() if (p["student"], p["assignment"]) != (student, assignment)]
        self.problems_path.write_text(json.dumps(problems, indent=1))

    # -------------------------------------------------------------- the job a worker grades
    def job(self, student: str, assignment: str, limits: Limits, library_path: str | None = None) -> SubmissionJob:
        folder = self.submission_dir(student, assignment)
        problems = {p["notebook"]: p["reason"] for p in self.problems() if (p["student"], p["assignment"]) == (student, assignment)}
        notebooks = []
        for name, source_path in self.source_notebooks(assignment).items():
            source = json.loads(source_path.read_text())
            submitted, problem = None, problems.get(name) or problems.get(None)
            path = folder / name
            if path.is_file() and path.stat().st_size > MAX_NOTEBOOK_BYTES:
                submitted, problem = None, (f"{name} is {path.stat().st_size / 2**20:.0f} MiB, more than the "
                                            f"{MAX_NOTEBOOK_BYTES // 2**20} MiB a notebook may be (clear its outputs)")
            elif path.is_file():
                try:
                    submitted = json.loads(path.read_text(encoding="utf-8"))
                    if not isinstance(submitted, dict) or not isinstance(submitted.get("cells"), list):
                        raise ValueError("it has no list of cells")
                    problem = None
                except (ValueError, UnicodeDecodeError) as error:
                    submitted, problem = None, f"{name} is not a readable notebook ({error})"
            elif problem is None:
                problem = f"{name} is missing from the submission"
            notebooks.append(NotebookJob(name, source, submitted, problem))
        paths = handed_in_paths(folder)
        paths.update(handed_in_paths(self.source_root / assignment))  # the assignment's own files win
        # the files travel as paths: the worker copies them, so no job holds a hand-in in memory
        return SubmissionJob(student, assignment, notebooks, {}, str(self.source_root / assignment),
                             library_path, limits, file_paths=paths,
                             submission_digest=self.submission_digest(student, assignment),
                             other_assignments=self.other_notebooks(student, assignment),
                             case_salt=hidden_case_salt(self.case_secret(), assignment, student))

    def other_notebooks(self, student: str, assignment: str) -> dict[str, str]:
        """The notebooks ``student`` handed in for the course's other assignments, which a later
        notebook loads earlier answers from: "<assignment>/<notebook>" -> absolute path."""
        notebooks = {}
        for other in self.assignments():
            if other == assignment:
                continue
            for path in sorted(self.submission_dir(student, other).glob("*.ipynb")):
                if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_NOTEBOOK_BYTES:
                    notebooks[f"{other}/{path.name}"] = str(path)
        return notebooks


def read_case_secret(workspace_root: Path) -> bytes | None:
    """The hidden-case secret of the workspace at ``workspace_root``, or None when it has none yet."""
    path = Path(workspace_root) / CASE_SECRET_FILE
    if not path.is_file():
        return None
    secret = path.read_text(encoding="utf-8").strip()
    if not secret:
        raise ValueError(f"{path} is empty: delete it to have a new secret made, or restore the old one")
    return secret.encode()


def hidden_case_salt(secret: bytes, assignment: str, student: str) -> int:
    """The salt of one submission's hidden cases (see ``numeric.case_salt``).

    The first 8 bytes, big-endian, of HMAC-SHA256 keyed by the secret over the UTF-8 text
    ``"<assignment>/<student>"``: the same for every regrade of a submission, different between
    students, assignments and secrets, and telling nothing about the secret. A check seeded ``seed``
    then draws its hidden case from ``numpy.random.default_rng([seed, salt])``.
    """
    digest = hmac.new(secret, f"{assignment}/{student}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


def assignments_in(source_root: Path) -> list[str]:
    """The assignments of an instructor's source folder: its subfolders holding notebooks."""
    return sorted(p.name for p in Path(source_root).iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def require_assignment(source_root: Path, assignment: str) -> str:
    """``assignment`` itself when ``source_root`` has it; otherwise a ValueError listing the known ones."""
    known = assignments_in(source_root)
    if assignment not in known:
        raise ValueError(f"assignment {assignment!r} is not in {source_root} (known: {', '.join(known) or 'none'})")
    return assignment


def handed_in_paths(folder: Path) -> dict[str, str]:
    """The files of ``folder`` a submission keeps (no notebooks, links or oversized files):
    name relative to ``folder`` -> absolute path."""
    paths: dict[str, str] = {}
    if not folder.is_dir():
        return paths
    for path in sorted(folder.rglob("*")):
        if (path.is_file() and not path.is_symlink() and path.suffix != ".ipynb" and path.name not in IGNORED_FILES
                and not IGNORED_FOLDERS.intersection(path.parts) and path.stat().st_size <= MAX_HANDED_IN_FILE_BYTES):
            paths[path.relative_to(folder).as_posix()] = str(path)
    return paths


def handed_in_files(folder: Path) -> dict[str, bytes]:
    """Like :func:`handed_in_paths`, with each file's content."""
    return {name: Path(path).read_bytes() for name, path in handed_in_paths(folder).items()}
