"""Optional dependencies: which pip extra provides which package, imported only when needed.

The core install runs experiments, backtests, serves and reports. Features with heavy
dependencies of their own live in extras (``pip install 'tradewind[sweep]'``):

======== ===================================== ==========================================
extra    packages                              needed by
======== ===================================== ==========================================
sweep    ray[tune,client], optuna              ``tradewind sweep``, ``tradewind labels search``
exchange ccxt                                  ``data fetch``, ``live --exchange``
onnx     onnx, onnxscript, onnxruntime         ``tradewind export --format onnx``, ``export.format: onnx``
smote    imbalanced-learn                      ``training.smote.enabled``
======== ===================================== ==========================================

Modules that use one of these packages import it through :func:`require` inside the
function that needs it, so ``import tradewind`` and every other command work without it,
and a missing package is reported as :class:`~tradewind.exceptions.MissingExtraError`
naming the extra to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from tradewind.exceptions import MissingExtraError

__all__ = ["EXTRAS", "require"]

# extra -> {import name: distribution name}
EXTRAS: dict[str, dict[str, str]] = {
    "sweep": {"ray": "ray", "optuna": "optuna"},
    "exchange": {"ccxt": "ccxt"},
    "onnx": {"onnx": "onnx", "onnxscript": "onnxscript", "onnxruntime": "onnxruntime"},
    "smote": {"imblearn": "imbalanced-learn"},
}


def _extra_of(module: str) -> tuple[str, str]:
    root = module.split(".")[0]
    for extra, packages in EXTRAS.items():
        if root in packages:
            return extra, packages[root]
    raise KeyError(f"{module!r} is not an optional dependency of tradewind")


def require(module: str, feature: str) -> ModuleType:
    """Import ``module`` (e.g. ``"ray.tune"``) for ``feature``, or say which extra installs it.

    Raises MissingExtraError (an import-time failure of the package, or its absence)
    with the ``pip install`` line, instead of a bare ``ModuleNotFoundError``.

    Examples
    --------
    >>> require("optuna", "labels search").__name__
    'optuna'
    """
    extra, dist = _extra_of(module)
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise MissingExtraError(
            f"{feature} needs the optional package {dist!r}, which is missing or broken "
            f"({err}); install it with: pip install 'tradewind[{extra}]'"
        ) from err
