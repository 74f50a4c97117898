"""bpk-grade: the TA's command line over nbgrader, and a student's self-check.

    bpk-grade release                       build the student release (course/)
    bpk-grade collect ASSIGNMENT FOLDER     import submissions (folders, zips or an nbgrader exchange)
    bpk-grade grade [ASSIGNMENT]            grade what is not graded yet, in parallel (--regrade: all)
    bpk-grade feedback [ASSIGNMENT]         an HTML page per student and notebook, and the class's page
    bpk-grade export [ASSIGNMENT]           grades.csv, points per notebook and per test
    bpk-grade status [ASSIGNMENT]           graded / pending / failed, with reasons
    bpk-grade check NOTEBOOK                grade one notebook for its author (no hidden code shown);
                                            --student ID: with the hidden cases grading drew for ID
    bpk-grade demo                          the whole pipeline on a made-up class

Everything grading writes goes to the workspace (--workspace, default ./grading/), and so does the
secret each student's hidden cases are drawn from (hidden_case_secret, made on the first grade).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_WORKSPACE = Path("grading")


def _default_source() -> Path:
    from .release.paths import SOLUTIONS

    return SOLUTIONS


def _limits(args: argparse.Namespace):
    from .grading.records import Limits

    return Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                  memory_bytes=args.memory_mb * 2**20)


def _workspace(args: argparse.Namespace):
    """The workspace, after checking that a named assignment exists (a typo must change nothing)."""
    from .grading.workspace import Workspace, require_assignment

    if getattr(args, "assignment", None):
        require_assignment(args.source, args.assignment)
    return Workspace(args.workspace, args.source)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bpk-grade", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("--workspace", type=Path, default=DEFAULT_WORKSPACE,
                        help="folder for submissions, results, feedback and the gradebook (default: ./grading)")
    parser.add_argument("--source", type=Path, default=None,
                        help="the instructor's assignments (default: the kit's solutions/)")
    commands = parser.add_subparsers(dest="command", required=True)

    def with_limits(command: argparse.ArgumentParser) -> None:
        command.add_argument("--cell-timeout", type=float, default=30.0,
                             help="CPU seconds per cell or test, 3x that in wall-clock time at most (default 30)")
        command.add_argument("--notebook-timeout", type=float, default=300.0, help="wall-clock seconds per notebook (default 300)")
        command.add_argument("--memory-mb", type=int, default=4096, help="memory limit per student process (default 4096)")

    commands.add_parser("release", help="build the student release into course/")
    collect = commands.add_parser("collect", help="import submissions")
    collect.add_argument("assignment")
    collect.add_argument("folder", type=Path, help="one subfolder or .zip per student, or an nbgrader exchange")
    grade = commands.add_parser("grade", help="grade submissions in parallel")
    grade.add_argument("assignment", nargs="?")
    grade.add_argument("--regrade", action="store_true", help="grade again what was already graded")
    grade.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    grade.add_argument("--scheduler", default=None, help="grade on a Dask cluster at this address instead")
    with_limits(grade)
    feedback = commands.add_parser("feedback", help="write HTML feedback pages")
    feedback.add_argument("assignment", nargs="?")
    export = commands.add_parser("export", help="write grades as CSV")
    export.add_argument("assignment", nargs="?")
    export.add_argument("--output", type=Path, default=None,
                        help="combined CSV path (default: WORKSPACE/grades.csv); one file per assignment beside it")
    export.add_argument("--force", action="store_true",
                        help="replace a CSV even when the new one lists fewer students")
    status = commands.add_parser("status", help="what is graded, pending or failed")
    status.add_argument("assignment", nargs="?")
    check = commands.add_parser("check", help="grade one notebook for its author")
    check.add_argument("notebook", type=Path)
    drawn_for = check.add_mutually_exclusive_group()
    drawn_for.add_argument("--student", default=None,
                           help="draw the hidden cases grading drew for this student (uses the workspace's secret)")
    drawn_for.add_argument("--case-salt", type=int, default=None,
                           help="draw the hidden cases with this salt (a grading.json's case_salt)")
    with_limits(check)
    demo = commands.add_parser("demo", help="the whole pipeline on a made-up class")
    demo.add_argument("--assignments", nargs="+", default=None, help="assignments to grade (default: 03_backprop 06_convnets)")
    demo.add_argument("--workers", type=int, default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .grading.workspace import WorkspaceBusy

    args = _parser().parse_args(argv)
    args.source = args.source or _default_source()
    try:
        return _run(args)
    except (FileNotFoundError, ValueError, WorkspaceBusy) as error:
        print(f"bpk-grade {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nbpk-grade {args.command}: interrupted. Every grade finished before this is kept; "
              "run the same command again to go on.", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    if args.command == "release":
        from .release.release import main as release_main

        return release_main([])
    if args.command == "collect":
        from .grading.collect import collect

        report = collect(_workspace(args), args.assignment, args.folder)
        print(f"collected {len(report.imported)} submission(s) of {args.assignment}")
        for problem in report.problems:
            print(f"  problem: {problem}")
        return 0
    if args.command == "grade":
        from .grading.autograde import grade_class

        workspace = _workspace(args)
        had_secret = workspace.case_secret_path.exists()
        run = grade_class(workspace, args.assignment, regrade=args.regrade, workers=args.workers,
                          scheduler=args.scheduler, limits=_limits(args))
        print(f"graded {len(run.graded)} submission(s); {run.skipped} already graded (use --regrade to redo)")
        if not had_secret and workspace.case_secret_path.exists():
            print(f"made {workspace.case_secret_path}, the secret each student's hidden cases are drawn from: "
                  "keep it private, and keep it to regrade with the same cases")
        return 0
    if args.command == "feedback":
        from .grading.feedback import CLASS_FOLDER, write_all_feedback

        pages = write_all_feedback(_workspace(args), args.assignment)
        print(f"wrote {len(pages)} feedback page(s) under {args.workspace / 'feedback'}")
        for page in pages:
            if page.parent.name == CLASS_FOLDER:
                print(f"the class at a glance: {page.resolve().as_uri()}")
        return 0
    if args.command == "export":
        from .grading.export import export_grades

        workspace = _workspace(args)
        written = export_grades(workspace, args.output or workspace.root / "grades.csv", args.assignment,
                                force=args.force)
        for path, rows in written.items():
            print(f"wrote {rows} row(s) to {path}")
        return 0
    if args.command == "status":
        from .grading.sandbox import missing_walls
        from .grading.status import format_table, status_rows

        print(format_table(status_rows(_workspace(args), args.assignment), missing_walls()))
        return 0
    if args.command == "check":
        from .grading.self_check import check_notebook, format_report, student_case_salt

        salt = args.case_salt
        if args.student is not None:
            salt = student_case_salt(args.notebook, args.source, args.workspace, args.student)
        result, hidden = check_notebook(args.notebook, args.source, _limits(args), salt)
        print(format_report(result, hidden, salt))
        return 0 if result.points >= result.max_points else 1
    if args.command == "demo":
        from .grading.demo import run_demo

        print(run_demo(args.source, assignments=args.assignments, workers=args.workers))
        return 0
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
