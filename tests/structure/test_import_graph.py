"""Every module imports, and the packages import each other in one direction only.

The graph is read from the source with ``ast``: every ``import tradewind.X...`` anywhere
in a module (at the top, under ``TYPE_CHECKING`` or inside a function) is an arrow from the
module's package to package ``X``. A cycle among packages means two layers each assume
the other, which is how a research tool importing the experiment runner ended up below the
experiment's own configuration.
"""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import tradewind

SRC = Path(tradewind.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _package(module: str) -> str:
    """``tradewind.labels.make`` → ``labels``; top-level modules are their own package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def package_graph() -> dict[str, dict[str, list[str]]]:
    """package → imported package → the importing modules (for the failure message)."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for module, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module]
            else:
                continue
            for target in targets:
                if target.startswith("tradewind.") and _package(target) != _package(module):
                    graph[_package(module)][_package(target)].append(module)
    return graph


def find_cycle(graph: dict[str, dict[str, list[str]]]) -> list[str] | None:
    """One cycle ``[a, b, ..., a]`` of the graph, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_every_module_imports() -> None:
    for module in _modules():
        importlib.import_module(module)


def test_no_import_cycle_among_packages() -> None:
    graph = package_graph()
    cycle = find_cycle(graph)
    if cycle:
        arrows = [f"{a} -> {b} (in {', '.join(sorted(set(graph[a][b]))[:3])})"
                  for a, b in pairwise(cycle)]
        raise AssertionError("import cycle among packages:\n  " + "\n  ".join(arrows))


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b": ["x"]}, "b": {"c": ["y"]}, "c": {"a": ["z"]}}) == [
        "a", "b", "c", "a"]
    assert find_cycle({"a": {"b": ["x"]}, "b": {}}) is None


def test_label_search_sits_above_the_experiment() -> None:
    graph = package_graph()
    assert "research" not in graph["labels"] and "config" not in graph["labels"]
    assert {"config", "labels", "pipeline"} <= set(graph["research"])
