"""The grader's own resources: what a submission sends, prints or hands in cannot make the grader
hold unbounded memory, a crash followed by a hang is survived, and a neighbour's load costs
nobody points.
"""

from __future__ import annotations

import copy
import pickle
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from adversarial_corpus import FIXTURE_SOURCE, FULL, NOTEBOOK, _append_cell, reference
from autograder.grading import pool, wire
from autograder.grading.grader import grade_submission
from autograder.grading.records import Limits, NotebookJob, NotebookResult, SubmissionJob, SubmissionResult
from autograder.grading.student_link import StudentSession, StudentTimeout
from autograder.grading.records import TestOutcome as Outcome
from autograder.grading.workspace import Workspace

pytestmark = pytest.mark.timeout(300)
TOY = FIXTURE_SOURCE / "toy"
ONE_MEGABYTE = 2**20


class _ZeroStrideArray:
    """Pickles as NumPy's ndarray constructor: a billion float64 over one 8-byte buffer."""

    def __reduce__(self):
        return (np.ndarray, ((10**9,), np.dtype("f8"), b"\0" * 8, 0, (0,)))


class _HugeEmptyArray:
    """Pickles as NumPy's array reconstruction with a claimed shape and no data at all."""

    def __reduce__(self):
        from numpy.core.multiarray import _reconstruct

        return (_reconstruct, (np.ndarray, (10**9,), b"d"))


def _peak_allocation(action) -> int:
    tracemalloc.start()
    try:
        action()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("crafted", [_ZeroStrideArray(), _HugeEmptyArray()], ids=["zero_strides", "reconstruct"])
def test_numpys_own_array_pickles_are_refused_on_the_wire(crafted) -> None:
    message = pickle.dumps(("value", ("v", crafted)), protocol=4)

    def receive() -> None:
        with pytest.raises(wire.WireError, match="refused"):
            wire.loads(message)

    assert _peak_allocation(receive) < ONE_MEGABYTE


def test_an_array_claiming_more_than_its_bytes_or_the_cap_is_refused_before_allocation() -> None:
    def receive() -> None:
        with pytest.raises(wire.WireError, match="more than"):
            wire.array_from_wire("<f8", (10**9,), b"\0" * 8)
        with pytest.raises(wire.WireError, match="more than"):
            wire.array_from_wire("<f8", (10**5, 10**5), b"")
        with pytest.raises(wire.WireError, match="do not match"):
            wire.array_from_wire("<f8", (1000,), b"\0" * 8)
        with pytest.raises(wire.WireError, match="unknown type"):
            wire.array_from_wire("|O", (1,), b"\0" * 8)
        with pytest.raises(wire.WireError, match="malformed shape"):
            wire.array_from_wire("<f8", (-1,), b"")

    assert _peak_allocation(receive) < ONE_MEGABYTE
    built = wire.array_from_wire("<f8", (2, 3), np.arange(6.0).tobytes())
    assert built.flags.c_contiguous and built.flags.owndata and built.flags.writeable


def test_a_crafted_reply_from_the_student_process_is_refused_with_a_reason(tmp_path: Path) -> None:
    with StudentSession(tmp_path, Limits(cell_timeout=20, memory_bytes=2**31)) as session:
        session.set_time_limit(60)
        ran = session.run_cell(
            "import gc, os, numpy as np\n"
            "def lie():\n"
            "    server = next(o for o in gc.get_objects() if type(o).__name__ == 'StudentServer')\n"
            "    server.send(('value', ('a', '<f8', (10**9,), b'\\0' * 8), []))\n"
            "    os._exit(0)\n"
            "def broadcast():\n"
            "    return np.broadcast_to(np.ones(1), (10**6,))\n"
        )
        assert ran.ok, ran.error
        lie, broadcast = session.lookup("lie"), session.lookup("broadcast")
        result = broadcast()  # a view in the student process arrives as an ordinary array
        assert result.shape == (10**6,) and result.flags.c_contiguous and result.flags.owndata

        def call_the_liar() -> None:
            with pytest.raises(wire.WireError, match="1000000000 numbers, more than"):
                lie()

        assert _peak_allocation(call_the_liar) < ONE_MEGABYTE


def test_a_cells_output_is_cut_in_the_student_process(tmp_path: Path) -> None:
    with StudentSession(tmp_path, Limits(cell_timeout=20, memory_bytes=2**31)) as session:
        session.set_time_limit(60)
        ran = session.run_cell("print('x' * 50_000)", output_limit=1000)
    assert ran.output.count("x") == 1000
    assert "[... 49001 more characters of output dropped" in ran.output  # the student process's own count


def test_time_limits_count_the_students_cpu_time_not_the_wait(tmp_path: Path) -> None:
    with StudentSession(tmp_path, Limits(cell_timeout=20, memory_bytes=2**31)) as session:
        session.set_time_limit(0.5, wall_seconds=60)
        ran = session.run_cell("import time\ntime.sleep(1.5)")  # waiting costs no CPU time
        assert ran.ok, ran.error
        session.set_time_limit(0.5, wall_seconds=60)
        with pytest.raises(StudentTimeout, match="CPU time"):
            session.run_cell("while True:\n    pass")


def test_processes_that_left_the_students_session_count_against_the_student_and_die_with_it(tmp_path: Path) -> None:
    import psutil

    from autograder.grading import sandbox

    if sandbox.student_identity() is None:
        sandbox.become_subreaper()  # without a uid of its own, the orphans are caught as a worker catches them
    with StudentSession(tmp_path, Limits(cell_timeout=20, memory_bytes=2**31)) as session:
        session.set_time_limit(20, wall_seconds=60)
        ran = session.run_cell(
            "import os\n"
            "for _ in range(4):\n"
            "    if os.fork() == 0:\n"
            "        os.setsid()\n"
            "        while True:\n"
            "            pass\n"
        )
        assert ran.ok, ran.error
        session.set_time_limit(1.0, wall_seconds=120)
        with pytest.raises(StudentTimeout, match="CPU time"):  # the student process itself only sleeps
            session.run_cell("import time\ntime.sleep(120)")
    spinners = [p for p in psutil.process_iter(["cwd"]) if p.info["cwd"] == str(tmp_path)]
    assert spinners == []


def _toy_job(notebook: dict, limits: Limits, student: str = "student") -> SubmissionJob:
    return SubmissionJob(student, "toy", [NotebookJob(NOTEBOOK, reference(), notebook)], {}, str(TOY),
                         limits=limits, file_paths={"toy_checks.py": str(TOY / "toy_checks.py")})


def _points(result: SubmissionResult) -> dict[str, float]:
    return {t.grade_id: t.points for n in result.notebooks for t in n.tests}


def test_an_output_flood_is_capped_per_notebook() -> None:
    notebook = reference()
    for _ in range(60):
        notebook = _append_cell(notebook, "print('y' * 20_000)", after="setup")
    limits = Limits(cell_timeout=20, notebook_timeout=120, max_output_chars=20_000, max_notebook_output_chars=50_000)
    result = grade_submission(_toy_job(notebook, limits))
    assert _points(result) == FULL
    kept = sum(len(c.output) + len(c.error or "") for n in result.notebooks for c in n.cell_outputs)
    assert kept <= 50_000 + 200  # the allowance, and one note of what was dropped
    assert any("output allowance is spent" in c.output for n in result.notebooks for c in n.cell_outputs)


def test_a_cell_that_hangs_when_replayed_after_a_crash_is_skipped_with_a_reason() -> None:
    hangs_the_second_time = (
        "import os\n"
        "if os.path.exists('ran-once'):\n"
        "    while True:\n"
        "        pass\n"
        "open('ran-once', 'w').close()"
    )
    notebook = _append_cell(reference(), hangs_the_second_time, after="setup")
    notebook = _append_cell(notebook, "import os\nos._exit(1)", after="affine_backward")
    result = grade_submission(_toy_job(notebook, Limits(cell_timeout=2, notebook_timeout=120)))
    assert _points(result) == FULL
    assert result.timed_out
    notes = [c.error for n in result.notebooks for c in n.cell_outputs if c.error]
    assert any("when replayed after a crash" in note and "time limit" in note for note in notes), notes


def test_a_zero_after_a_skipped_cell_says_why() -> None:
    notebook = copy.deepcopy(reference())
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "affine_backward":
            cell["source"] = "while True:\n    pass\n" + "".join(cell["source"])  # the answer is never defined
    result = grade_submission(_toy_job(notebook, Limits(cell_timeout=2, notebook_timeout=120)))
    (affine, relu) = [t for n in result.notebooks for t in n.tests]
    assert (affine.points, relu.points) == (0.0, 2.0)
    assert "an earlier cell of yours did not run" in affine.reason and "time limit" in affine.reason


# ------------------------------------------------------------------ the pool, with a stand-in grader
MARKERS: list[Path] = []  # set by the tests below; forked workers inherit it


def _stand_in_result(job: SubmissionJob, points: float, timed_out: bool = False) -> SubmissionResult:
    test = Outcome("t", points, 1.0, reason=None if points else "time limit exceeded")
    return SubmissionResult(job.student, job.assignment, [NotebookResult(NOTEBOOK, [test], timed_out=timed_out)])


def _grade_quickly(job: SubmissionJob) -> SubmissionResult:
    return _stand_in_result(job, 1.0)


def _time_out_once_when_crowded(job: SubmissionJob) -> SubmissionResult:
    """The first time ``crowded`` is graded it times out, as a starved submission would."""
    if job.student == "crowded" and not MARKERS[0].exists():
        MARKERS[0].write_text("")
        return _stand_in_result(job, 0.0, timed_out=True)
    return _stand_in_result(job, 1.0)


def _stand_in_job(student: str) -> SubmissionJob:
    return SubmissionJob(student, "toy", [NotebookJob(NOTEBOOK, reference(), reference())], {}, str(TOY))


def test_jobs_are_built_only_as_workers_free_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "grade_submission", _grade_quickly)
    built: list[str] = []

    def jobs():
        for number in range(10):
            built.append(f"s{number}")
            yield _stand_in_job(f"s{number}")

    in_flight = []
    finished = 0
    for _job, _result in pool.grade_locally(jobs(), workers=2):
        in_flight.append(len(built) - finished)
        finished += 1
    assert finished == 10
    assert max(in_flight) <= 2


def test_a_submission_that_timed_out_beside_others_is_graded_again_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    MARKERS[:] = [tmp_path / "timed-out-once"]
    monkeypatch.setattr(pool, "grade_submission", _time_out_once_when_crowded)
    students = ["a", "crowded", "b", "c"]
    results = list(pool.grade_locally((_stand_in_job(s) for s in students), workers=2))
    assert sorted(job.student for job, _ in results) == sorted(students)  # each recorded once
    job, result = results[-1]  # after everyone else
    assert job.student == "crowded" and result.retried_alone and result.points == 1.0
    assert not any(r.retried_alone for j, r in results if j.student != "crowded")


def test_a_job_copies_handed_in_files_from_disk_and_carries_no_content(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "grading", FIXTURE_SOURCE)
    folder = workspace.submission_dir("student", "toy")
    folder.mkdir(parents=True)
    (folder / NOTEBOOK).write_text((TOY / NOTEBOOK).read_text())
    (folder / "weights.npy").write_bytes(b"\0" * 5 * ONE_MEGABYTE)
    job = workspace.job("student", "toy", Limits())
    assert job.files == {}
    assert set(job.file_paths) == {"weights.npy", "toy_checks.py"}
    assert len(pickle.dumps(job)) < ONE_MEGABYTE
    assert job.with_file_contents().files["weights.npy"] == b"\0" * 5 * ONE_MEGABYTE
