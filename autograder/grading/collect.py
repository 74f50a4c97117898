"""Import a class's submissions into the workspace, whatever shape they arrive in.

Accepted: a folder with one subfolder or one ``.zip`` per student (notebooks anywhere inside, at
any depth, as a course site's bulk download gives them), or an nbgrader exchange (its
``inbound/`` folder of ``student+assignment+timestamp+random`` submissions). Each lands in
``submitted/<student>/<assignment>/`` with the notebooks at the top, as nbgrader expects.

Student ids keep the names' letters in any script (``Zoë``, ``中文名字``). Nothing a student
sends can stop the import: a broken zip, an archive holding a file and a folder of the same name,
a notebook that is not JSON, a missing notebook, a path that tries to climb out of the folder,
two submissions claiming one id are each recorded with a reason (``collect_problems.json``) and
reported by ``status``; grading gives those notebooks zero with that reason.
"""

from __future__ import annotations

import json
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import groupby
from pathlib import Path, PurePosixPath

from dateutil.parser import parse as parse_timestamp

from .workspace import Workspace

MAX_UNZIPPED_BYTES = 200 * 2**20
MAX_STUDENT_ID_BYTES = 200  # under the 255 bytes a file name may have, in UTF-8
TIMESTAMP_FILE = "timestamp.txt"  # written by collect beside the notebooks


@dataclass
class CollectReport:
    imported: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def student_id(name: str) -> str:
    """A folder or zip name as a student id nbgrader and the filesystem both accept.

    The name is NFC-normalized (so the same name typed on different systems is one id), letters,
    marks and digits of every script are kept, as are ``_ . @ -``, and each run of any other
    characters (spaces, path separators, controls, ``+``, which nbgrader's exchange reserves)
    becomes one ``_``. Distinct names can still meet in one id (``a b`` and ``a_b``): ``collect``
    reports those as a clash.
    """
    stem = name[: -len(".zip")] if name.lower().endswith(".zip") else name
    normalized = unicodedata.normalize("NFC", stem)
    cleaned = "".join("".join(run) if safe else "_" for safe, run in groupby(normalized, key=_safe_in_id))
    cleaned = cleaned.encode("utf-8")[:MAX_STUDENT_ID_BYTES].decode("utf-8", "ignore").strip("._")
    if not cleaned:
        raise ValueError(f"cannot make a student id from {name!r}")
    return cleaned


def _safe_in_id(character: str) -> bool:
    return unicodedata.category(character)[0] in "LMN" or character in "_.@-"


def collect(workspace: Workspace, assignment: str, where: Path) -> CollectReport:
    """Import every student's submission of ``assignment`` found in ``where``.

    Every submission found is either imported or reported, whatever it holds. Submissions whose
    names give the same student id, or ids that differ only in case (``bob`` and ``bob.zip``,
    ``Bob`` and ``bob``, or ``Bob`` now and ``bob`` imported before), are a clash: none of the
    new ones is imported, and each of their ids is recorded with a reason naming them all, so
    that no one silently replaces anyone. Holds the workspace's grading lock: a hand-in never
    changes under a running ``grade``.
    """
    where = Path(where)
    if not where.is_dir():
        raise FileNotFoundError(f"submissions folder {where} does not exist")
    expected = list(workspace.source_notebooks(assignment))  # an unknown assignment raises here
    with workspace.grading_lock():
        return _collect(workspace, assignment, where, expected)


def _collect(workspace: Workspace, assignment: str, where: Path, expected: list[str]) -> CollectReport:
    report = CollectReport()
    claimants: dict[str, list[tuple[str, str, Path, datetime | None]]] = {}  # casefolded id -> claims
    for name, path, timestamp in _submissions_in(where, assignment, report):
        try:
            student = student_id(name)
        except ValueError as error:
            report.problems.append(str(error))
            continue
        claimants.setdefault(student.casefold(), []).append((student, name, path, timestamp))
    imported_before = [s for s, _ in workspace.submissions(assignment)
                       if (workspace.submission_dir(s, assignment) / TIMESTAMP_FILE).is_file()]
    for key, claims in claimants.items():
        earlier = [s for s in imported_before if s.casefold() == key and s not in {c[0] for c in claims}]
        if len(claims) > 1 or earlier:
            names = ", ".join([repr(name) for _, name, _, _ in claims] + [f"{s!r} (imported before)" for s in earlier])
            for student in dict.fromkeys(student for student, _, _, _ in claims):
                _reject(workspace, student, assignment, report,
                        f"{names} give the student id {student!r} or one differing only in case; "
                        "this one was not imported: rename them apart and collect again")
            continue
        student, _, path, timestamp = claims[0]
        try:
            unusable = _import(workspace, student, assignment, path, timestamp, expected)
        except Exception as error:  # anything in one submission stops only that submission
            _reject(workspace, student, assignment, report, f"the submission could not be opened ({error})")
            continue
        for notebook, reason in unusable.items():
            workspace.record_problem(student, assignment, notebook, reason)
            report.problems.append(f"{student}: {reason}")
        report.imported.append(student)
    return report


def _submissions_in(where: Path, assignment: str, report: CollectReport) -> list[tuple[str, Path, datetime | None]]:
    """(name, path, timestamp) of each submission in ``where``; anything else there is reported."""
    inbound = where / "inbound" if (where / "inbound").is_dir() else where
    exchange = [p for p in sorted(inbound.iterdir()) if p.is_dir() and p.name.count("+") >= 2]
    if exchange:
        return _latest_exchange_submissions(exchange, assignment)
    entries = []
    for path in sorted(where.iterdir()):
        if path.is_dir() or path.suffix.lower() == ".zip":
            entries.append((path.name, path, None))
        elif not path.name.startswith("."):
            report.problems.append(f"{path.name}: not a folder or a .zip, so not a submission; skipped")
    return entries


def _import(workspace: Workspace, student: str, assignment: str, path: Path, timestamp: datetime | None,
            expected: list[str]) -> dict[str, str]:
    """Place one submission in the workspace; return why each unusable expected notebook is.

    A hand-in identical to the one already there is left as it was (with the time it first came);
    a different one replaces it, and the earlier one moves to ``versions/``.
    """
    files = _read_zip(path) if path.suffix.lower() == ".zip" and path.is_file() else _read_folder(path)
    placed, unusable = _arrange(files, expected)
    current = workspace.submission_dir(student, assignment)
    if (current / TIMESTAMP_FILE).is_file() and _same_files(current, placed):
        workspace.clear_problems(student, assignment)
        return unusable
    target = _start_submission(workspace, student, assignment)
    for relative, content in placed.items():
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        (target / relative).write_bytes(content)
    (target / TIMESTAMP_FILE).write_text((timestamp or datetime.now(timezone.utc)).isoformat())
    return unusable


def _reject(workspace: Workspace, student: str, assignment: str, report: CollectReport, reason: str) -> None:
    """An empty submission for ``student`` with ``reason``: grading gives it zero, ``status`` says why."""
    _start_submission(workspace, student, assignment)
    workspace.record_problem(student, assignment, None, reason)
    report.problems.append(f"{student}: {reason}")


def _same_files(folder: Path, files: dict[str, bytes]) -> bool:
    """True when ``folder`` holds exactly ``files`` (its timestamp aside)."""
    present = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file() and p.name != TIMESTAMP_FILE}
    return present.keys() == files.keys() and all(present[name].read_bytes() == files[name] for name in files)


def _start_submission(workspace: Workspace, student: str, assignment: str) -> Path:
    """An empty ``submitted/<student>/<assignment>/``, with the problems of an earlier collect cleared;
    an earlier hand-in there is kept in ``versions/``, never deleted."""
    target = workspace.submission_dir(student, assignment)
    workspace.archive_submission(student, assignment)
    target.mkdir(parents=True)
    workspace.clear_problems(student, assignment)
    return target


def _latest_exchange_submissions(folders: list[Path], assignment: str) -> list[tuple[str, Path, datetime | None]]:
    """nbgrader's inbound folders for ``assignment``: the latest per student."""
    latest: dict[str, tuple[str, Path, datetime | None]] = {}
    for folder in folders:
        parts = folder.name.split("+")
        student, submitted_for, stamp = parts[0], parts[1], parts[2]
        if submitted_for != assignment:
            continue
        try:
            when = parse_timestamp(stamp)  # nbgrader writes e.g. "2026-01-02 10:00:00.000000 UTC"
            when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        except (ValueError, OverflowError):
            when = None
        current = latest.get(student)
        if current is None or (when and current[2] and when > current[2]):
            latest[student] = (student, folder, when)
    return list(latest.values())


def _read_folder(folder: Path) -> dict[str, bytes]:
    files, total = {}, 0
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
            if total > MAX_UNZIPPED_BYTES:
                raise ValueError(f"the submission holds more than {MAX_UNZIPPED_BYTES // 2**20} MiB")
            files[path.relative_to(folder).as_posix()] = path.read_bytes()
    return files


def _read_zip(path: Path) -> dict[str, bytes]:
    files, total = {}, 0
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = PurePosixPath(info.filename)
            if info.is_dir() or not name.parts or name.is_absolute() or ".." in name.parts or "__MACOSX" in name.parts:
                continue
            total += info.file_size
            if total > MAX_UNZIPPED_BYTES:
                raise ValueError(f"it unpacks to more than {MAX_UNZIPPED_BYTES // 2**20} MiB")
            files[name.as_posix()] = archive.read(info)
    return files


def _arrange(files: dict[str, bytes], expected: list[str]) -> tuple[dict[str, bytes], dict[str, str]]:
    """Where each file goes in the submission folder, and why an expected notebook is not there.

    Each expected notebook goes to the top (nbgrader's layout), the student's other files beside
    it, keeping their place relative to the first notebook's folder. Raises ValueError when two
    files would need one path as both a file and a folder (an archive holding ``notes`` and
    ``notes/x.txt``): nothing of such a submission is placed.
    """
    notebooks: dict[str, str] = {}  # file name -> its path nearest the top of the submission
    for path in sorted(files, key=lambda p: (len(PurePosixPath(p).parts), p)):
        if path.endswith(".ipynb") and ".ipynb_checkpoints" not in path:
            notebooks.setdefault(PurePosixPath(path).name, path)
    base = PurePosixPath(notebooks[expected[0]]).parent if expected and expected[0] in notebooks else None
    placed: dict[str, bytes] = {}
    unusable: dict[str, str] = {}
    for name in expected:
        if name not in notebooks:
            unusable[name] = f"{name} is missing from the submission"
            continue
        content = files[notebooks[name]]
        try:
            notebook = json.loads(content.decode("utf-8"))
            if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
                raise ValueError("no list of cells")
        except (ValueError, UnicodeDecodeError, RecursionError) as error:  # RecursionError: nested too deep
            unusable[name] = f"{name} is not a valid notebook ({str(error)[:120]})"
            continue
        placed[name] = content
    for relative, content in files.items():
        path = PurePosixPath(relative)
        if path.suffix == ".ipynb" or (base is not None and base not in path.parents and base != PurePosixPath(".")):
            continue
        inside = path.relative_to(base) if base is not None and base != PurePosixPath(".") else path
        if inside.parts[0] != TIMESTAMP_FILE:  # that name is collect's own
            placed[inside.as_posix()] = content
    paths = set(placed) | {TIMESTAMP_FILE}
    for path in sorted(paths):
        for folder in PurePosixPath(path).parents:
            if folder.as_posix() in paths:
                raise ValueError(f"it holds both a file and a folder named {folder.as_posix()!r}")
    return placed, unusable
