"""The check behind every "public surface is what was meant" test."""

from __future__ import annotations

import inspect
from types import ModuleType


def surface_problems(module: ModuleType) -> list[str]:
    """What is wrong with ``module.__all__``: names the module does not bind, and classes or
    functions it re-exports from outside its own package (a leaked or misplaced import)."""
    package = module.__name__
    problems = []
    for name in module.__all__:
        if name not in vars(module):
            problems.append(f"{name}: listed in __all__ but not bound in {package}")
            continue
        obj = vars(module)[name]
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        owner = obj.__module__
        if not (owner == package or owner.startswith(package + ".")):
            problems.append(f"{name}: defined in {owner}, outside {package}")
    return problems
