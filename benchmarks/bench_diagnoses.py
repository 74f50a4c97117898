"""How well the checks diagnose: the planted-bug corpora and the valid-answer corpus, graded.

    python benchmarks/bench_diagnoses.py [--agreement] [--corpus NAME] [--only TEXT] [--workers N] [--json FILE]

Every ``tests/accuracy/bugs_*.py`` corpus and ``tests/accuracy/valid_answers.py`` are graded as one
class through ``bpk-grade collect`` and ``grade`` (one student per entry). Prints, per bug corpus
and overall: the bugs that lost points, the bugs whose message names the planted mistake (its
phrase is found in a failing test's message), and the bugs whose message names another corpus
bug's mistake that was not made (a wrong diagnosis); then the valid answers at full marks. The
lists after the table say which bugs went unnamed (with the message's first lines), which were
misdiagnosed, and which valid answers lost points.

``--agreement`` also grades each entry in the student's own kernel and with ``bpk-grade check``,
and prints where the three paths disagree on a test cell's points or pass/fail, or (bugs) on
whether the mistake is named. Grading takes minutes (about ten seconds per entry and path on two
busy cores): ``--corpus`` keeps one corpus (``bugs_layers``, ``valid``, ...), ``--only`` the
entries whose label contains TEXT.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the corpora import their format as `corpus` or as `tests.accuracy.corpus`, as pytest allows both
sys.path[:0] = [str(ROOT / "tests" / "accuracy"), str(ROOT)]

from corpus import PlantedBug  # noqa: E402
from runner import (  # noqa: E402
    PATHS,
    EntryReport,
    bug_corpora,
    disagreements,
    grade_entries,
    names_mistake,
    to_json,
    valid_corpus,
    wrong_diagnoses,
)

RATE_PATH = "grade"  # the verdict the rates count: the TA's grading of the class


def percent(count: int, total: int) -> str:
    return f"{count:>3} ({100 * count / total:3.0f}%)" if total else "  -"


def bug_table(corpora: dict[str, list[PlantedBug]], reports: dict[str, EntryReport], phrases: list[str]) -> list[str]:
    header = f"{'corpus':<24}{'bugs':>6}  {'lost points':>12}  {'named':>12}  {'wrong diagnosis':>16}"
    lines = [header, "-" * len(header)]
    for name, bugs in [*corpora.items(), ("overall", [bug for bugs in corpora.values() for bug in bugs])]:
        graded = [reports[bug.label] for bug in bugs if bug.label in reports]
        lost = sum(report.lost_points(RATE_PATH) for report in graded)
        named = sum(names_mistake(report.entry, report.verdicts[RATE_PATH]) for report in graded)
        wrong = sum(bool(wrong_diagnoses(report.entry, report.verdicts[RATE_PATH], phrases)) for report in graded)
        if name == "overall":
            lines.append("-" * len(header))
        lines.append(f"{name:<24}{len(graded):>6}  {percent(lost, len(graded)):>12}  "
                     f"{percent(named, len(graded)):>12}  {percent(wrong, len(graded)):>16}")
    return lines


def first_lines(report: EntryReport, count: int = 3) -> list[str]:
    """The start of each failing test's message on the rate path, indented."""
    lines = []
    for test in report.verdicts[RATE_PATH]:
        if test.failed:
            failure = [line.strip() for line in test.message.splitlines() if line.strip()]
            lines.append(f"      {test.grade_id}: " + " | ".join(failure[:count]))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agreement", action="store_true", help="also grade in the notebook and with check, and compare")
    parser.add_argument("--only", default="", help="grade only the entries whose label contains this text")
    parser.add_argument("--corpus", action="append", default=None,
                        help="grade only this corpus (a bugs_* module name, or valid); repeat for several")
    parser.add_argument("--workers", type=int, default=None, help="grading workers (default: one per core)")
    parser.add_argument("--json", type=Path, default=None, help="write every verdict to this file")
    args = parser.parse_args(argv)

    every_corpus = bug_corpora()
    chosen = set(args.corpus or [*every_corpus, "valid"])
    unknown = chosen - {*every_corpus, "valid"}
    if unknown:
        parser.error(f"no corpus {', '.join(sorted(unknown))} (known: {', '.join([*every_corpus, 'valid'])})")
    corpora = {name: [bug for bug in bugs if args.only in bug.label]
               for name, bugs in every_corpus.items() if name in chosen}
    valid = [answer for answer in valid_corpus() if args.only in answer.label and "valid" in chosen]
    bugs = [bug for bugs in corpora.values() for bug in bugs]
    phrases = sorted({bug.mistake for bugs in every_corpus.values() for bug in bugs})
    paths = PATHS if args.agreement else (RATE_PATH,)
    print(f"grading {len(bugs)} planted bugs in {len(corpora)} corpora and {len(valid)} valid answers "
          f"along {', '.join(paths)} ...", flush=True)
    reports = {report.entry.label: report for report in grade_entries([*bugs, *valid], paths, args.workers, progress=True)}
    if args.json:
        args.json.write_text(to_json(list(reports.values())))

    print(f"\nPlanted bugs, as `bpk-grade {RATE_PATH}` marks them")
    print("\n".join(bug_table(corpora, reports, phrases)))
    valid_reports = [reports[answer.label] for answer in valid]
    false_fails = [report for report in valid_reports if report.failed(RATE_PATH)]
    print(f"\nValid answers at full marks: {percent(len(valid_reports) - len(false_fails), len(valid_reports))} "
          f"of {len(valid_reports)} (false fails: {len(false_fails)})")

    unnamed = [reports[bug.label] for bug in bugs if not names_mistake(bug, reports[bug.label].verdicts[RATE_PATH])]
    if unnamed:
        print("\nBugs whose message does not name the planted mistake (expected phrase, then what was said):")
        for report in unnamed:
            caught = "lost points" if report.lost_points(RATE_PATH) else "FULL MARKS"
            print(f"  {report.entry.label} [{caught}]: expected {report.entry.mistake!r}")
            for line in first_lines(report):
                print(line)
    misdiagnosed = [(bug.label, wrong_diagnoses(bug, reports[bug.label].verdicts[RATE_PATH], phrases)) for bug in bugs]
    misdiagnosed = [(label, wrong) for label, wrong in misdiagnosed if wrong]
    if misdiagnosed:
        print("\nWrong diagnoses (a message names a mistake that was not made):")
        for label, wrong in misdiagnosed:
            print(f"  {label}: {', '.join(repr(phrase) for phrase in wrong)}")
    for report in false_fails:
        print(f"\nValid answer {report.entry.label} lost points:")
        for line in first_lines(report):
            print(line)

    if args.agreement:
        disagreeing = {label: disagreements(report) for label, report in reports.items()}
        disagreeing = {label: lines for label, lines in disagreeing.items() if lines}
        print(f"\nThe notebook, `bpk-grade check` and `bpk-grade grade` agree on "
              f"{len(reports) - len(disagreeing)} of {len(reports)} entries "
              f"({len(bugs) - sum(label in disagreeing for label in (b.label for b in bugs))} of {len(bugs)} bugs, "
              f"{len(valid) - sum(label in disagreeing for label in (v.label for v in valid))} of {len(valid)} valid answers)")
        for label, lines in disagreeing.items():
            print(f"  {label}:")
            for line in lines:
                print(f"      {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
