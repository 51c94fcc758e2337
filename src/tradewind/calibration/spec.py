"""Calibration config and the factory that turns it (or a saved dict) into a calibrator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol, Self

import numpy as np
from pydantic import BaseModel, ConfigDict

from tradewind.calibration.scalers import IdentityCalibrator, TemperatureScaler, VectorScaler
from tradewind.exceptions import BundleError

__all__ = [
    "CalibrationSpec",
    "Calibrator",
    "calibrator_from_dict",
    "fit_temperature",
    "make_calibrator",
]


class Calibrator(Protocol):
    """What every calibrator offers (see :mod:`tradewind.calibration.scalers`)."""

    method: str
    n_classes_: int | None

    def fit(self, logits: np.ndarray, y: np.ndarray) -> Self: ...

    def scale_logits(self, logits: np.ndarray) -> np.ndarray: ...

    def predict_proba(self, logits: np.ndarray) -> np.ndarray: ...

    def to_dict(self) -> dict[str, Any]: ...


class CalibrationSpec(BaseModel):
    """How validation logits become probabilities.

    ``temperature`` (default) fits one scalar by NLL and never changes the predicted class;
    ``vector`` fits a scale and bias per class; ``none`` keeps softmax(logits).
    """

    model_config = ConfigDict(extra="forbid")

    method: Literal["temperature", "vector", "none"] = "temperature"


_CLASSES: dict[str, type[TemperatureScaler] | type[VectorScaler] | type[IdentityCalibrator]] = {
    "temperature": TemperatureScaler,
    "vector": VectorScaler,
    "none": IdentityCalibrator,
}


def make_calibrator(spec: CalibrationSpec) -> Calibrator:
    """An unfitted calibrator for ``spec``; call ``fit(val_logits, val_y)`` on it."""
    return _CLASSES[spec.method]()


def calibrator_from_dict(d: Mapping[str, Any]) -> Calibrator:
    """Rebuild a fitted calibrator from its ``to_dict()`` (dispatches on ``d["method"]``)."""
    method = d.get("method")
    if method not in _CLASSES:
        raise BundleError(
            f"unknown calibrator method {method!r} in the saved dict; expected one of "
            f"{sorted(_CLASSES)}. The bundle was written by an incompatible version."
        )
    return _CLASSES[method].from_dict(d)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> TemperatureScaler:
    """Shortcut: ``TemperatureScaler().fit(logits, y)`` on validation rows."""
    return TemperatureScaler().fit(logits, y)
