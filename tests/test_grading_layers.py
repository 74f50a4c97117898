"""The grading package's layers: what reads results never loads what runs student code."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

EXECUTOR = {"sandbox", "trusted_check", "student_link", "student_process", "grader"}


def _grading_modules_loaded_by(module: str) -> set[str]:
    """The grading modules that importing ``autograder.grading.<module>`` loads, in a fresh interpreter."""
    code = (f"import json, sys, autograder.grading.{module}; "
            "print(json.dumps([name for name in sys.modules if name.startswith('autograder.grading.')]))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return {name.removeprefix("autograder.grading.") for name in json.loads(loaded)}


@pytest.mark.parametrize("module", ["records", "collect", "feedback", "export", "status"])
def test_readers_of_results_load_nothing_that_runs_student_code(module: str) -> None:
    assert _grading_modules_loaded_by(module) & EXECUTOR == set()
