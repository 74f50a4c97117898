"""Find the solution regions (``### BEGIN SOLUTION`` ... ``### END SOLUTION``) in Python source.

A region is named after the function that holds it: a module-level function (``affine_backward``)
or a method (``Value.__add__``), whatever nested functions lie in between (a method's inner
``_backward`` closure still belongs to the method). The library and the notebooks are matched by
these names.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"


@dataclass(frozen=True)
class Region:
    """One solution region: its owner, the marker lines (0-based) and the code between them."""

    owner: str
    begin: int
    end: int
    body: tuple[str, ...]
    indent: str


def function_spans(tree: ast.Module) -> list[tuple[str, int, int]]:
    """(name, first line, last line) of every module-level function and method (``Class.name``),
    0-based; nested functions belong to the function around them."""
    spans = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            spans.append((node.name, node.lineno - 1, node.end_lineno - 1))
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    spans.append((f"{node.name}.{item.name}", item.lineno - 1, item.end_lineno - 1))
    return spans


def find_regions(source: str, where: str = "<source>") -> list[Region]:
    """Every solution region in ``source``, in order; regions outside any function are named ``<module>``."""
    lines = source.splitlines()
    try:
        spans = function_spans(ast.parse(source))
    except SyntaxError as error:
        raise ValueError(f"{where} is not valid Python: {error}") from None
    regions = []
    begin = None
    for number, line in enumerate(lines):
        marker = line.strip()
        if marker == BEGIN:
            if begin is not None:
                raise ValueError(f"{where}, line {number + 1}: a solution region opens inside another one")
            begin = number
        elif marker == END:
            if begin is None:
                raise ValueError(f"{where}, line {number + 1}: {END} without {BEGIN}")
            owner = next((name for name, first, last in spans if first <= begin <= last), "<module>")
            indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
            regions.append(Region(owner, begin, number, tuple(lines[begin + 1 : number]), indent))
            begin = None
    if begin is not None:
        raise ValueError(f"{where}, line {begin + 1}: {BEGIN} is never closed")
    return regions


def reindent(body: tuple[str, ...], old: str, new: str) -> tuple[str, ...]:
    """Move ``body`` from indentation ``old`` to ``new`` (blank lines stay blank)."""
    moved = []
    for line in body:
        if not line.strip():
            moved.append("")
        elif line.startswith(old):
            moved.append(new + line[len(old) :])
        else:
            moved.append(line)
    return tuple(moved)
