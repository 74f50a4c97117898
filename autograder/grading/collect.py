"""Import a class's submissions into the workspace, whatever shape they arrive in.

Accepted: a folder with one subfolder or one ``.zip`` per student (notebooks anywhere inside, at
any depth, as a course site's bulk download gives them), or an nbgrader exchange (its
``inbound/`` folder of ``student+assignment+timestamp+random`` submissions). Each lands in
``submitted/<student>/<assignment>/`` with the notebooks at the top, as nbgrader expects.

Nothing a student sends can stop the import: a broken zip, a notebook that is not JSON, a
missing notebook, a path that tries to climb out of the folder are each recorded with a reason
(``collect_problems.json``) and reported by ``status``; grading gives those notebooks zero with
that reason.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from dateutil.parser import parse as parse_timestamp

from .workspace import Workspace

MAX_UNZIPPED_BYTES = 200 * 2**20
_STUDENT_ID = re.compile(r"[^A-Za-z0-9_.@-]+")


@dataclass
class CollectReport:
    imported: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def student_id(name: str) -> str:
    """A folder or zip name as a student id nbgrader and the filesystem both accept."""
    cleaned = _STUDENT_ID.sub("_", Path(name).stem if name.endswith(".zip") else name).strip("._")
    if not cleaned:
        raise ValueError(f"cannot make a student id from {name!r}")
    return cleaned


def collect(workspace: Workspace, assignment: str, where: Path) -> CollectReport:
    """Import every student's submission of ``assignment`` found in ``where``."""
    where = Path(where)
    if not where.is_dir():
        raise FileNotFoundError(f"submissions folder {where} does not exist")
    expected = list(workspace.source_notebooks(assignment))
    report = CollectReport()
    inbound = where / "inbound" if (where / "inbound").is_dir() else where
    exchange = [p for p in sorted(inbound.iterdir()) if p.is_dir() and p.name.count("+") >= 2]
    if exchange:
        entries = _latest_exchange_submissions(exchange, assignment)
    else:
        entries = [(p.name, p, None) for p in sorted(where.iterdir()) if p.is_dir() or p.suffix == ".zip"]
    for name, path, timestamp in entries:
        try:
            student = student_id(name)
        except ValueError as error:
            report.problems.append(str(error))
            continue
        target = workspace.submission_dir(student, assignment)
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        workspace.clear_problems(student, assignment)
        try:
            files = _read_zip(path) if path.suffix == ".zip" else _read_folder(path)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            reason = f"the submission could not be opened ({error})"
            workspace.record_problem(student, assignment, None, reason)
            report.problems.append(f"{student}: {reason}")
            continue
        _place(files, expected, target, student, assignment, workspace, report)
        (target / "timestamp.txt").write_text((timestamp or datetime.now(timezone.utc)).isoformat())
        report.imported.append(student)
    return report


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
            if info.is_dir() or name.is_absolute() or ".." in name.parts or "__MACOSX" in name.parts:
                continue
            total += info.file_size
            if total > MAX_UNZIPPED_BYTES:
                raise ValueError(f"it unpacks to more than {MAX_UNZIPPED_BYTES // 2**20} MiB")
            files[name.as_posix()] = archive.read(info)
    return files


def _place(files: dict[str, bytes], expected: list[str], target: Path, student: str, assignment: str,
           workspace: Workspace, report: CollectReport) -> None:
    """Put each expected notebook at the top of ``target``; keep the student's other files beside."""
    notebooks = {n: p for n, p in ((PurePosixPath(p).name, p) for p in sorted(files, key=len)
                                   if p.endswith(".ipynb") and ".ipynb_checkpoints" not in p)}
    base = PurePosixPath(notebooks[expected[0]]).parent if expected and expected[0] in notebooks else None
    for name in expected:
        if name not in notebooks:
            reason = f"{name} is missing from the submission"
            workspace.record_problem(student, assignment, name, reason)
            report.problems.append(f"{student}: {reason}")
            continue
        content = files[notebooks[name]]
        try:
            notebook = json.loads(content.decode("utf-8"))
            if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
                raise ValueError("no list of cells")
        except (ValueError, UnicodeDecodeError) as error:
            reason = f"{name} is not a valid notebook ({str(error)[:120]})"
            workspace.record_problem(student, assignment, name, reason)
            report.problems.append(f"{student}: {reason}")
            continue
        (target / name).write_bytes(content)
    for relative, content in files.items():
        path = PurePosixPath(relative)
        if path.suffix == ".ipynb" or (base is not None and base not in path.parents and base != PurePosixPath(".")):
            continue
        inside = path.relative_to(base) if base is not None and base != PurePosixPath(".") else path
        destination = target / inside
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(content)
