"""Grading a class: this kit's parallel pipeline against plain sequential ``nbgrader autograde``.

    python benchmarks/bench_grading.py [--students 12] [--workers N] [--source DIR --assignment NAME]

Both grade the same N identical submissions of one assignment (by default the toy assignment of
the tests, whose notebooks run in a blink, so the comparison measures the grading machinery) on
this machine, each into its own fresh course folder and gradebook. Prints both wall times, their
ratio, and where our time goes per submission: starting student processes, executing the
student's cells, running the checks, and the parent's gradebook writes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.grading.autograde import grade_class  # noqa: E402
from autograder.grading.collect import collect  # noqa: E402
from autograder.grading.gradebook_writer import GradebookWriter  # noqa: E402
from autograder.grading.pool import default_workers  # noqa: E402
from autograder.grading.records import Limits  # noqa: E402
from autograder.grading.workspace import Workspace  # noqa: E402

TOY = ROOT / "tests" / "fixtures" / "grading_course" / "solutions"


def make_class(source: Path, assignment: str, students: int, inbox: Path) -> None:
    for index in range(students):
        folder = inbox / f"student{index:03d}"
        folder.mkdir(parents=True)
        for notebook in (source / assignment).glob("*.ipynb"):
            shutil.copy(notebook, folder / notebook.name)


def nbgrader_sequential(source: Path, assignment: str, inbox: Path, scratch: Path) -> float:
    """Seconds for ``nbgrader autograde`` (one command, students one after another)."""
    course = scratch / "nbgrader_course"
    shutil.copytree(source / assignment, course / "source" / assignment)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'bench'\n"
    )
    for student in sorted(inbox.iterdir()):
        shutil.copytree(student, course / "submitted" / student.name / assignment)
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    nbgrader = [sys.executable, "-m", "nbgrader"]
    subprocess.run(nbgrader + ["generate_assignment", assignment, "--force"], cwd=course, env=env,
                   check=True, capture_output=True)
    started = time.perf_counter()
    done = subprocess.run(nbgrader + ["autograde", assignment], cwd=course, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader autograde failed:\n{done.stderr[-3000:]}")
    return elapsed


def ours(source: Path, assignment: str, inbox: Path, scratch: Path, workers: int) -> tuple[float, dict[str, float], float]:
    """Seconds for ``bpk-grade grade`` (a fresh command, like nbgrader's), then a second, in-process
    run with the same pipeline for the per-stage breakdown, and the mean score."""
    workspace = Workspace(scratch / "ours", source)
    collect(workspace, assignment, inbox)
    GradebookWriter(workspace).register_assignment(assignment)  # the gradebook exists, as after generate_assignment
    command = [sys.executable, "-m", "autograder.cli", "--workspace", str(workspace.root), "--source", str(source),
               "grade", assignment, "--workers", str(workers)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"bpk-grade grade failed:\n{done.stderr[-3000:]}")
    run = grade_class(workspace, assignment, regrade=True, workers=workers, limits=Limits(), progress=False)
    count = len(run.graded)
    stages = {stage: sum(r.timings.get(stage, 0.0) for r in run.graded) / count
              for stage in ("kernel_start", "execution", "checks")}
    stages["gradebook_writes"] = run.writing_seconds / count
    mean_points = sum(r.points for r in run.graded) / count
    return elapsed, stages, mean_points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=12)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--source", type=Path, default=TOY, help="folder of assignments (default: the toy one)")
    parser.add_argument("--assignment", default="toy")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as scratch_name:
        scratch = Path(scratch_name)
        inbox = scratch / "inbox"
        make_class(args.source, args.assignment, args.students, inbox)
        reference = nbgrader_sequential(args.source, args.assignment, inbox, scratch)
        parallel, stages, mean_points = ours(args.source, args.assignment, inbox, scratch, args.workers)
    print(f"{args.students} submissions of {args.assignment}, {args.workers} worker(s), {os.cpu_count()} core(s)")
    print(f"nbgrader autograde (sequential): {reference:7.1f} s  ({reference / args.students:.2f} s per submission)")
    print(f"bpk-grade (parallel, sandboxed): {parallel:7.1f} s  ({parallel / args.students:.2f} s per submission)")
    print(f"speed-up: {reference / parallel:.2f}x")
    print("our time per submission, by stage (worker seconds; stages overlap across workers):")
    for stage, seconds in stages.items():
        print(f"  {stage:17s} {seconds:6.2f} s")
    print(f"mean score of the identical submissions: {mean_points:g} (all must be equal)")
    print(json.dumps({"nbgrader_s": round(reference, 2), "ours_s": round(parallel, 2),
                      "ratio": round(reference / parallel, 2), **{k: round(v, 3) for k, v in stages.items()}}))


if __name__ == "__main__":
    main()
