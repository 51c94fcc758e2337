"""Optional packages an experiment needs, checked before anything trains.

An experiment that exports to ONNX or oversamples with SMOTE needs a pip extra
(:mod:`tradewind.extras`); without it the run would fail only after training every fold.
"""

from __future__ import annotations

from tradewind.config import Experiment
from tradewind.extras import require

__all__ = ["check_optional_packages"]


def check_optional_packages(exp: Experiment) -> None:
    """Raise MissingExtraError naming the extra when ``exp`` needs one that is not installed."""
    if exp.export.format == "onnx":
        require("onnxruntime", "export.format: onnx")
        if exp.export.exporter == "dynamo":
            require("onnxscript", "export.exporter: dynamo")
    if exp.training.smote.enabled:
        require("imblearn.over_sampling", "training.smote.enabled")
