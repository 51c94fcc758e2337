"""tradewind: price-direction models for trading that do not fool their owners.

The public surface is small and loaded lazily, so ``import tradewind`` is cheap::

    import tradewind
    exp = tradewind.load_experiment("examples/quickstart.yaml")
    result = tradewind.run_experiment(exp, out_dir="out/quickstart")
    bundle = tradewind.load_bundle(result.bundle_path)
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "load_bundle",
    "load_experiment",
    "run_experiment",
]

_LAZY = {
    "load_bundle": "tradewind.artifacts.bundle",
    "load_experiment": "tradewind.config",
    "run_experiment": "tradewind.pipeline.experiment",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tradewind' has no attribute {name!r}")
