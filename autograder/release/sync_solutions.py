"""Keep the solution notebooks' answers identical to the library's reference answers.

The library (lib/backpropkit) is the one source of truth for every graded function. Each
solution region in a notebook's answer cell is matched with the library's region of the same
function (or method, for the autograd ``Value``) and overwritten with it::

    python -m autograder.release.sync_solutions          # copy the library's regions in
    python -m autograder.release.sync_solutions --check  # report drift, exit 1 if there is any

Regions in notebooks with no library counterpart (a notebook-only exercise) are left alone and
listed.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .paths import LIBRARY, ROOT, SOLUTIONS
from .regions import BEGIN, Region, find_regions, reindent


def library_regions(library: Path = LIBRARY) -> dict[str, tuple[Path, list[Region]]]:
    """Function name -> (library file, its regions in order), for every graded function."""
    found: dict[str, tuple[Path, list[Region]]] = {}
    for path in sorted(library.rglob("*.py")):
        source = path.read_text()
        if BEGIN not in source:
            continue
        for region in find_regions(source, str(path)):
            if region.owner in found and found[region.owner][0] != path:
                raise ValueError(f"{region.owner} has solution regions in both {found[region.owner][0]} and {path}")
            found.setdefault(region.owner, (path, []))[1].append(region)
    return found


def solution_notebooks(solutions: Path = SOLUTIONS) -> list[Path]:
    return sorted(path for path in solutions.rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts)


@dataclass(frozen=True)
class Drift:
    """One notebook region that differs from the library's."""

    notebook: Path
    owner: str
    diff: str


def _sync_cell(source: str, where: str, library: dict[str, tuple[Path, list[Region]]]) -> tuple[str, list[str], list[str]]:
    """The cell's source with library regions copied in, the owners that changed, and notebook-only owners."""
    lines = source.splitlines()
    regions = find_regions(source, where)
    changed, orphans = [], []
    for region in reversed(regions):  # from the bottom, so earlier line numbers stay valid
        if region.owner not in library:
            orphans.append(region.owner)
            continue
        position = sum(1 for r in regions if r.owner == region.owner and r.begin < region.begin)
        reference = library[region.owner][1]
        if len(reference) != sum(1 for r in regions if r.owner == region.owner):
            raise ValueError(
                f"{where}: {region.owner} has {sum(1 for r in regions if r.owner == region.owner)} solution region(s), "
                f"the library has {len(reference)}"
            )
        wanted = reindent(reference[position].body, reference[position].indent, region.indent)
        if tuple(region.body) != wanted:
            lines[region.begin + 1 : region.end] = list(wanted)
            changed.append(region.owner)
    text = "\n".join(lines) + ("\n" if source.endswith("\n") else "")
    return text, sorted(set(changed)), sorted(set(orphans))


def sync(check_only: bool, solutions: Path = SOLUTIONS, library_dir: Path = LIBRARY) -> tuple[list[Drift], list[str]]:
    """Copy (or, with ``check_only``, compare) every region; returns the drifts and notebook-only regions."""
    library = library_regions(library_dir)
    drifts: list[Drift] = []
    notes: list[str] = []
    for path in solution_notebooks(solutions):
        notebook = nbformat.read(path, as_version=4)
        touched = False
        for number, cell in enumerate(notebook.cells):
            if cell.cell_type != "code" or BEGIN not in cell.source:
                continue
            where = f"{path.relative_to(solutions.parent)} cell {number}"
            new_source, changed, orphans = _sync_cell(cell.source, where, library)
            notes.extend(f"{where}: {owner} is a notebook-only exercise (no library region)" for owner in orphans if owner != "<module>")
            for owner in changed:
                diff = "\n".join(
                    difflib.unified_diff(cell.source.splitlines(), new_source.splitlines(), "notebook", "library", lineterm="", n=1)
                )
                drifts.append(Drift(path, owner, diff))
            if changed and not check_only:
                cell.source = new_source.rstrip("\n") if not cell.source.endswith("\n") else new_source
                touched = True
        if touched:
            nbformat.write(notebook, path)
    return drifts, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report drift; exit 1 if any region differs")
    args = parser.parse_args(argv)
    drifts, notes = sync(check_only=args.check)
    for note in notes:
        print(f"note: {note}")
    for drift in drifts:
        verb = "differs from" if args.check else "updated from"
        print(f"{drift.notebook.relative_to(ROOT)}: {drift.owner} {verb} the library")
        if args.check:
            print(drift.diff)
    if args.check and drifts:
        print(f"{len(drifts)} region(s) drifted; run `python -m autograder.release.sync_solutions` to copy the library's answers in.")
        return 1
    if not drifts:
        print("every solution region matches the library.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
