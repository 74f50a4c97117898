"""Grade corpus entries the three ways a verdict reaches a student, and compare the verdicts.

A planted entry (see ``corpus.py``) is graded along three paths, each giving one verdict per
graded test cell (points, max points, whether it failed, and the message):

- ``notebook``: the planted notebook executed top to bottom in a real Jupyter kernel, as a student
  runs it: cwd in the planted course tree, the course edition (``course/lib`` and ``course/``, the
  student's install) ahead on the path, hidden tests included (in the solutions they are plain
  code between comment markers). A test cell that ends in an error scores zero, as in nbgrader.
- ``check``: ``bpk-grade check`` on the planted notebook (the sandboxed student process, the
  instructor's public and hidden tests in the grader).
- ``grade``: ``bpk-grade collect`` and ``bpk-grade grade`` on a class with one student per entry
  (or per ``packed`` group of entries), whose hand-in is the planted notebook alone.

The paths agree when every test cell has the same points and the same pass/fail on all three;
for a bug, ``check`` and ``grade`` must also agree on whether the planted mistake is named.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from tqdm import tqdm

from autograder.grading.records import NotebookResult
from corpus import ROOT, SOLUTIONS, PlantedBug, ValidAnswer, replace_definition, write_course
from valid_answers import VALID

ACCURACY = Path(__file__).resolve().parent
COURSE_EDITION = ROOT / "course"  # the committed student release (a test fails when it is stale)
PATHS = ("notebook", "check", "grade")
QUICK = {"BACKPROPKIT_QUICK": "1"}  # the notebooks' short training runs, as the course tests grade them
CELL_TIMEOUT = 300  # seconds a notebook cell may run before the kernel is given up

Entry = PlantedBug | ValidAnswer

# The first cell of a notebook run as a student: the course edition alone, as ``pip install
# course/`` gives it. The kit's development install maps every ``autograder.*`` name to this
# repository (an import hook), which would hand the course edition the instructor's references;
# a student's install has none, so the hook goes, and the guard fails loudly if anything else leaks.
STUDENT_INSTALL = f"""\
import importlib.util, sys
sys.meta_path[:] = [finder for finder in sys.meta_path if "__editable__" not in getattr(finder, "__module__", "")]
import autograder.checks, backpropkit
for module in (autograder.checks, backpropkit):
    assert module.__file__.startswith({str(COURSE_EDITION)!r}), module.__file__
assert importlib.util.find_spec("autograder.references") is None, "the instructor's references are importable"
"""


@dataclass(frozen=True)
class CellVerdict:
    """What one graded test cell gave on one path."""

    grade_id: str
    points: float
    max_points: float
    failed: bool
    message: str = ""


@dataclass
class EntryReport:
    """The verdicts of one corpus entry, per path ("notebook", "check", "grade")."""

    entry: Entry
    verdicts: dict[str, list[CellVerdict]] = field(default_factory=dict)

    def lost_points(self, path: str) -> bool:
        return any(test.points < test.max_points for test in self.verdicts[path])

    def failed(self, path: str) -> bool:
        return any(test.failed for test in self.verdicts[path])


# ------------------------------------------------------------------ the corpora


def bug_corpora(folder: Path = ACCURACY) -> dict[str, list[PlantedBug]]:
    """Every ``bugs_*.py`` module of ``folder``: module name -> its ``BUGS``.

    A corpus may import the format as ``corpus`` or ``tests.accuracy.corpus`` (both work under
    pytest), which makes two ``PlantedBug`` classes: each bug is taken over field by field."""
    corpora = {}
    for path in sorted(Path(folder).glob("bugs_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        corpora[path.stem] = [PlantedBug(bug.label, bug.notebook, bug.function, bug.source, bug.mistake)
                              for bug in module.BUGS]
    labels = [bug.label for bugs in corpora.values() for bug in bugs]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise ValueError(f"bug labels used more than once: {repeated}")
    return corpora


def valid_corpus() -> list[ValidAnswer]:
    return list(VALID)


# ------------------------------------------------------------------ what a message names


def names_mistake(bug: PlantedBug, verdicts: Iterable[CellVerdict]) -> bool:
    """Whether some failing test's message contains the bug's mistake phrase (any case)."""
    phrase = bug.mistake.lower()
    return any(test.failed and phrase in test.message.lower() for test in verdicts)


def wrong_diagnoses(bug: PlantedBug, verdicts: Iterable[CellVerdict], phrases: Iterable[str]) -> list[str]:
    """The other corpus mistakes' ``phrases`` that a failing message names although they were not
    made. A phrase inside the bug's own (e.g. "summed" in "not summed over the batch") is no wrong
    diagnosis: finding the own phrase finds it too."""
    own = bug.mistake.lower()
    messages = " ".join(test.message.lower() for test in verdicts if test.failed)
    return sorted({phrase for phrase in phrases if phrase.lower() not in own and phrase.lower() in messages})


# ------------------------------------------------------------------ path (a): the student's kernel


def grade_ids(notebook: dict) -> dict[int, tuple[str, float]]:
    """Cell index -> (grade id, points) for the graded test cells of a notebook."""
    graded = {}
    for index, cell in enumerate(notebook["cells"]):
        metadata = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] == "code" and metadata.get("grade") and not metadata.get("solution"):
            graded[index] = (metadata["grade_id"], float(metadata.get("points") or 0.0))
    return graded


def error_message(cell: dict) -> str | None:
    """The error a cell ended in ("Name: value"), or None when it ran cleanly."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output['ename']}: {output['evalue']}"
    return None


def notebook_verdicts(planted: Path) -> list[CellVerdict]:
    """Execute the planted notebook in a fresh kernel with the course edition installed, and score
    each graded test cell: full points unless it ended in an error."""
    notebook = nbformat.read(planted, as_version=4)
    graded = grade_ids(notebook)
    guard = nbformat.v4.new_code_cell(STUDENT_INSTALL)
    notebook.cells.insert(0, guard)
    environment = {"PYTHONPATH": f"{COURSE_EDITION / 'lib'}:{COURSE_EDITION}", **QUICK}
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(planted.parent)}})
    stopped = None
    try:
        with _environment(environment):
            client.execute()
    except (CellTimeoutError, DeadKernelError) as error:
        stopped = f"the notebook stopped: {type(error).__name__}: {error}"
    guard_error = error_message(notebook.cells[0])
    if guard_error:
        raise RuntimeError(f"the course edition is not what the kernel imports: {guard_error}")
    verdicts = []
    for index, (grade_id, points) in graded.items():
        cell = notebook.cells[index + 1]
        ran = cell.get("execution_count") is not None
        message = error_message(cell) or ("" if ran else stopped or "the cell did not run")
        failed = bool(message)
        verdicts.append(CellVerdict(grade_id, 0.0 if failed else points, points, failed, message))
    return verdicts


@contextlib.contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    """``variables`` set in os.environ (which kernels and student processes inherit) for the duration."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# ------------------------------------------------------------------ path (b): bpk-grade check


def outcome_verdicts(result: NotebookResult) -> list[CellVerdict]:
    """The grader's NotebookResult as verdicts; the message is why a test failed (what a passing
    call printed is left out, so that a phrase is only ever found in a failure)."""
    verdicts = []
    for test in result.tests:
        message = "\n".join(part for part in (test.failure, test.reason) if part)
        failed = bool(message) or test.points < test.max_points
        verdicts.append(CellVerdict(test.grade_id, float(test.points), float(test.max_points), failed, message))
    return verdicts


def check_verdicts(planted: Path) -> list[CellVerdict]:
    """``bpk-grade check`` on the planted notebook, with the instructor's (hidden) tests."""
    from autograder.grading.self_check import check_notebook

    result, hidden_tests_used = check_notebook(planted, SOLUTIONS)
    if not hidden_tests_used:
        raise RuntimeError(f"check found no instructor source for {planted.name}")
    return outcome_verdicts(result)


# ------------------------------------------------------------------ path (c): bpk-grade grade, a class


def student_of(entry: Entry) -> str:
    """The student id an entry hands in under: its label, in the characters collect keeps."""
    return "".join(c if c.isalnum() or c in "-." else "_" for c in entry.label)


def write_planted_course(entries: list[Entry], folder: Path) -> Path:
    """``corpus.write_course`` with several entries of one notebook (each for a different function)
    planted together; returns the planted notebook's path."""
    (notebook,) = {entry.notebook for entry in entries}
    path = write_course(entries[0], folder)
    planted = json.loads(path.read_text(encoding="utf-8"))
    for entry in entries[1:]:
        replaced = False
        for cell in planted["cells"]:
            if cell["cell_type"] == "code" and cell["metadata"].get("nbgrader", {}).get("solution"):
                with contextlib.suppress(KeyError):
                    cell["source"] = replace_definition("".join(cell["source"]), entry.function, entry.source)
                    replaced = True
                    break
        if not replaced:
            raise KeyError(f"{entry.label}: no answer cell of {notebook} defines {entry.function}")
    path.write_text(json.dumps(planted, indent=1), encoding="utf-8")
    return path


def packed(entries: list[Entry]) -> dict[str, list[Entry]]:
    """``entries`` as few students as possible: each student plants entries of one notebook, at most
    one per function. For corpora that must score full marks (a packed student scores full marks
    only if each of its entries would), a class of a dozen students instead of one per entry."""
    students: dict[str, list[Entry]] = {}
    for entry in entries:
        stem = Path(entry.notebook).stem
        number = 0
        while any(other.function == entry.function for other in students.get(f"{stem}-{number}", [])):
            number += 1
        students.setdefault(f"{stem}-{number}", []).append(entry)
    return students


def grade_class_verdicts(hand_ins: dict[str, list[Entry]], folder: Path,
                         workers: int | None = None) -> dict[str, list[CellVerdict]]:
    """Grade a class through ``bpk-grade collect`` and ``grade`` in a workspace under ``folder``:
    each student of ``hand_ins`` hands in one notebook with its entries planted. Returns
    student -> the verdicts of that notebook."""
    from autograder.cli import main as bpk_grade
    from autograder.grading.workspace import Workspace

    folder = Path(folder)
    workspace = folder / "grading"
    inboxes: dict[str, Path] = {}
    for student, entries in hand_ins.items():
        assignment, notebook = entries[0].notebook.split("/")
        planted = write_planted_course(entries, folder / "planted" / student)
        inboxes.setdefault(assignment, folder / "inbox" / assignment)
        hand_in = inboxes[assignment] / student
        hand_in.mkdir(parents=True)
        shutil.copyfile(planted, hand_in / notebook)
        shutil.rmtree(planted.parents[1])  # the hand-in is copied; the rest of the tree is not needed
    base = ["--workspace", str(workspace), "--source", str(SOLUTIONS)]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for assignment, inbox in sorted(inboxes.items()):
            if bpk_grade([*base, "collect", assignment, str(inbox)]) != 0:
                raise RuntimeError(f"bpk-grade collect {assignment} failed: {printed.getvalue()}")
        if bpk_grade([*base, "grade"] + (["--workers", str(workers)] if workers else [])) != 0:
            raise RuntimeError(f"bpk-grade grade failed: {printed.getvalue()}")
    graded = Workspace(workspace, SOLUTIONS)
    verdicts = {}
    for student, entries in hand_ins.items():
        assignment, notebook = entries[0].notebook.split("/")
        result = graded.result(student, assignment)
        if result is None:
            raise RuntimeError(f"{student}: no result after grading")
        (notebook_result,) = [n for n in result.notebooks if n.name == notebook]
        verdicts[student] = outcome_verdicts(notebook_result)
    return verdicts


# ------------------------------------------------------------------ the three paths together


def grade_entries(entries: list[Entry], paths: Iterable[str] = PATHS, workers: int | None = None,
                  progress: bool = False) -> list[EntryReport]:
    """Each entry's verdicts along ``paths``; one class run covers every entry's ``grade`` path."""
    paths = list(paths)
    reports = [EntryReport(entry) for entry in entries]
    with tempfile.TemporaryDirectory(prefix="bpk-accuracy-") as scratch, _environment(QUICK):
        scratch = Path(scratch)
        per_entry = [path for path in paths if path != "grade"]
        if per_entry:
            for number, report in enumerate(tqdm(reports, desc=" + ".join(per_entry), unit="entry",
                                                 disable=not progress)):
                folder = scratch / f"entry-{number}"
                planted = write_course(report.entry, folder)
                if "notebook" in paths:
                    report.verdicts["notebook"] = notebook_verdicts(planted)
                if "check" in paths:
                    report.verdicts["check"] = check_verdicts(planted)
                shutil.rmtree(folder)
        if "grade" in paths and entries:
            if progress:
                print(f"grading {len(entries)} entries as one class ...", flush=True)
            students = {student_of(entry): [entry] for entry in entries}
            if len(students) < len(entries):
                raise ValueError("two labels give one student id: make the labels differ in letters or digits")
            by_student = grade_class_verdicts(students, scratch / "class", workers)
            for report in reports:
                report.verdicts["grade"] = by_student[student_of(report.entry)]
    return reports


def grade_together(entries: list[Entry], paths: Iterable[str] = PATHS, workers: int | None = None) -> dict[str, list[CellVerdict]]:
    """One notebook with every entry planted (each for a different function) graded along
    ``paths``: path -> the notebook's verdicts. Cheaper than an entry at a time where only
    agreement matters, since test cells of different functions judge those functions alone."""
    paths = list(paths)
    verdicts = {}
    with tempfile.TemporaryDirectory(prefix="bpk-accuracy-") as scratch, _environment(QUICK):
        planted = write_planted_course(entries, Path(scratch) / "student")
        if "notebook" in paths:
            verdicts["notebook"] = notebook_verdicts(planted)
        if "check" in paths:
            verdicts["check"] = check_verdicts(planted)
        if "grade" in paths:
            verdicts["grade"] = grade_class_verdicts({"student": entries}, Path(scratch) / "class", workers)["student"]
    return verdicts


def grade_packed(entries: list[Entry], workers: int | None = None) -> dict[str, tuple[list[Entry], list[CellVerdict]]]:
    """``entries`` graded as one class of ``packed`` students: student -> (its entries, verdicts)."""
    students = packed(entries)
    with tempfile.TemporaryDirectory(prefix="bpk-accuracy-") as scratch, _environment(QUICK):
        verdicts = grade_class_verdicts(students, Path(scratch), workers)
    return {student: (students[student], verdicts[student]) for student in students}


def disagreements(report: EntryReport) -> list[str]:
    """How the paths of one entry disagree, one line each; empty when they agree."""
    paths = [path for path in PATHS if path in report.verdicts]
    if len(paths) < 2:
        return []
    first, *others = paths
    problems = []
    by_path = {path: {test.grade_id: test for test in report.verdicts[path]} for path in paths}
    for other in others:
        if by_path[other].keys() != by_path[first].keys():
            problems.append(f"{first} graded tests {sorted(by_path[first])}, {other} {sorted(by_path[other])}")
    for grade_id in by_path[first]:
        seen = {path: by_path[path][grade_id] for path in paths if grade_id in by_path[path]}
        outcomes = {(test.points, test.failed) for test in seen.values()}
        if len(outcomes) > 1:
            described = ", ".join(f"{path} {test.points:g}/{test.max_points:g}{' failed' if test.failed else ''}"
                                  for path, test in seen.items())
            problems.append(f"{grade_id}: {described}")
    if isinstance(report.entry, PlantedBug) and {"check", "grade"} <= set(paths):
        named = {path: names_mistake(report.entry, report.verdicts[path]) for path in ("check", "grade")}
        if named["check"] != named["grade"]:
            problems.append(f"the mistake {report.entry.mistake!r} is named by "
                            f"{'check' if named['check'] else 'grade'} only")
    return problems


def to_json(reports: list[EntryReport]) -> str:
    """The reports as JSON, for saving a long run."""
    return json.dumps([{"label": r.entry.label, "notebook": r.entry.notebook,
                        "verdicts": {p: [t.__dict__ for t in v] for p, v in r.verdicts.items()}} for r in reports],
                      indent=1)
