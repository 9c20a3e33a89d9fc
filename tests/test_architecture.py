"""The layout holds: no module of ours imports another of ours from inside a function (the
import-linter contracts see only what a module imports as it loads, and such an import is
how a cycle hides), and no two modules import each other, directly or round a loop. The
layers themselves are import-linter's contracts in pyproject.toml (``make lint``)."""

from __future__ import annotations

import ast

import grimp

from tests.conftest import ROOT

OURS = ("metrics", "dashboard")
DEFERRED_FOR_START_UP = {"metrics/cli.py"}
"""The command line imports what each command needs when it runs, so that ``outcomes
--help`` and quick commands start without loading the whole stack."""


def _nested_imports(path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and (inner.module or "").split(".")[0] in OURS:
                found.append(f"{path.relative_to(ROOT)}:{inner.lineno} from {inner.module}")
            elif isinstance(inner, ast.Import):
                found += [
                    f"{path.relative_to(ROOT)}:{inner.lineno} import {a.name}"
                    for a in inner.names
                    if a.name.split(".")[0] in OURS
                ]
    return found


def test_no_module_of_ours_is_imported_inside_a_function():
    nested = [
        line
        for top in OURS
        for path in sorted((ROOT / top).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in DEFERRED_FOR_START_UP
        for line in _nested_imports(path)
    ]
    assert nested == []


def _cycles(graph, modules: set[str]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in graph.find_modules_directly_imported_by(module) & modules:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles():
    graph = grimp.build_graph(*OURS)
    modules = {m for m in graph.modules if m.split(".")[0] in OURS}
    assert _cycles(graph, modules) == []


def test_the_cycle_finder_finds_a_cycle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

    class Graph:
        def find_modules_directly_imported_by(self, module):
            return edges[module]

    assert _cycles(Graph(), {"a", "b", "c", "d"}) == [["a", "b", "c"]]
