"""The two ways to install the kit (pip and conda) ask for the same packages."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _requirement_pairs(specs: list[str]) -> dict[str, str]:
    """Map a normalized package name to its version constraint, ignoring extras like [ctk]."""
    pairs = {}
    for spec in specs:
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$", spec)
        assert match, f"cannot read requirement {spec!r}"
        name = match.group(1).lower().replace("_", "-")
        pairs[name] = match.group(3).replace(" ", "")
    return pairs


def test_environment_yml_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_side = _requirement_pairs(project["dependencies"] + project["optional-dependencies"]["test"])

    conda = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_specs = [d for d in conda["dependencies"] if isinstance(d, str)]
    conda_side = _requirement_pairs(conda_specs)
    conda_side.pop("pip", None)
    assert conda_side.pop("python") == ">=" + project["requires-python"].removeprefix(">=")

    assert conda_side == pip_side


def test_readme_names_the_two_commands_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/run.sh" in readme
    assert "bash scripts/test.sh" in readme
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()
