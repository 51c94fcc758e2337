"""Calibration config and the factory that turns it (or a saved dict) into a calibrator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol, Self

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradewind.calibration.outcome import CalibrationOutcome
from tradewind.calibration.scalers import (
    MAX_TEMPERATURE,
    MIN_TEMPERATURE,
    IdentityCalibrator,
    TemperatureScaler,
    VectorScaler,
)
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
    outcome_: CalibrationOutcome | None

    def fit(self, logits: np.ndarray, y: np.ndarray) -> Self: ...

    def scale_logits(self, logits: np.ndarray) -> np.ndarray: ...

    def predict_proba(self, logits: np.ndarray) -> np.ndarray: ...

    def to_dict(self) -> dict[str, Any]: ...


class CalibrationSpec(BaseModel):
    """How validation logits become probabilities.

    ``temperature`` (default) fits one scalar by NLL and never changes the predicted class;
    ``vector`` fits a scale and bias per class; ``none`` keeps softmax(logits). The
    temperature (or each inverse per-class scale) is bounded to ``[min_temperature,
    max_temperature]``, and with ``require_gain`` a fit whose validation NLL gain has a
    block-bootstrap lower bound <= 0 is replaced by the identity (T = 1). The bootstrap
    uses the experiment's ``bootstrap`` block, resamples and level.
    """

    model_config = ConfigDict(extra="forbid")

    method: Literal["temperature", "vector", "none"] = "temperature"
    min_temperature: float = Field(MIN_TEMPERATURE, gt=0, le=1.0,
                                   description="Lowest temperature (strongest sharpening).")
    max_temperature: float = Field(MAX_TEMPERATURE, ge=1.0,
                                   description="Highest temperature (strongest flattening).")
    require_gain: bool = Field(
        True, description="Keep T = 1 unless the fit lowers validation NLL beyond bootstrap noise."
    )

    @model_validator(mode="after")
    def _bounds_differ(self) -> CalibrationSpec:
        if self.min_temperature >= self.max_temperature:
            raise ValueError(
                f"calibration.min_temperature ({self.min_temperature}) must be below "
                f"calibration.max_temperature ({self.max_temperature})."
            )
        return self


_CLASSES: dict[str, type[TemperatureScaler] | type[VectorScaler] | type[IdentityCalibrator]] = {
    "temperature": TemperatureScaler,
    "vector": VectorScaler,
    "none": IdentityCalibrator,
}


def make_calibrator(
    spec: CalibrationSpec, *, block: int = 24, n_boot: int = 1000, level: float = 0.95,
    seed: int = 0,
) -> Calibrator:
    """An unfitted calibrator for ``spec``; call ``fit(val_logits, val_y)`` on it.

    ``block``, ``n_boot``, ``level`` and ``seed`` set the bootstrap that decides whether a
    fit is kept (see :mod:`tradewind.calibration.outcome`).
    """
    if spec.method == "none":
        return IdentityCalibrator()
    return _CLASSES[spec.method](
        min_temperature=spec.min_temperature, max_temperature=spec.max_temperature,
        require_gain=spec.require_gain, block=block, n_boot=n_boot, level=level, seed=seed,
    )


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
