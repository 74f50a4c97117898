"""Every notebook builder in tools/notebooks/ writes exactly its committed solution notebooks.

The builders are the source of solutions/: a notebook edited by hand, or a library or builder
change that was not rebuilt, shows here as a difference.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from autograder.release.paths import ROOT

BUILDERS = ROOT / "tools" / "notebooks"


def _load(builder: Path) -> ModuleType:
    sys.path.insert(0, str(BUILDERS))  # the builders import their shared cell helpers from there
    try:
        spec = importlib.util.spec_from_file_location(f"builder_{builder.stem}", builder)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BUILDERS))
    return module


@pytest.mark.parametrize("builder", sorted(BUILDERS.glob("0*.py")), ids=lambda path: path.stem)
def test_builder_writes_exactly_its_committed_notebooks(builder: Path, tmp_path: Path) -> None:
    module = _load(builder)
    assert module.main(tmp_path) == 0
    committed_folder = module.ASSIGNMENT
    built = sorted(path.name for path in tmp_path.glob("*.ipynb"))
    committed = sorted(path.name for path in committed_folder.glob("*.ipynb"))
    rerun = f"run `.venv/bin/python {builder.relative_to(ROOT)}`"
    assert built == committed, f"{builder.name} writes {built}, {committed_folder.relative_to(ROOT)} holds {committed}: {rerun}"
    for name in built:
        assert (tmp_path / name).read_text() == (committed_folder / name).read_text(), (
            f"{(committed_folder / name).relative_to(ROOT)} differs from what {builder.name} builds: {rerun} "
            "(the library or the builder changed)"
        )
