"""Calibration: turn validation logits into honest probabilities, and measure how honest.

Fit a calibrator on validation rows only (``make_calibrator(spec).fit(val_logits, val_y)``),
save it with ``to_dict()`` in the model bundle, and judge it with :func:`ece`.
"""

from tradewind.calibration.calibration_error import adaptive_ece, ece, reliability_curve
from tradewind.calibration.functional import log_softmax, nll, softmax
from tradewind.calibration.outcome import CalibrationOutcome
from tradewind.calibration.scalers import IdentityCalibrator, TemperatureScaler, VectorScaler
from tradewind.calibration.spec import (
    CalibrationSpec,
    Calibrator,
    calibrator_from_dict,
    fit_temperature,
    make_calibrator,
)

__all__ = [
    "CalibrationOutcome",
    "CalibrationSpec",
    "Calibrator",
    "IdentityCalibrator",
    "TemperatureScaler",
    "VectorScaler",
    "adaptive_ece",
    "calibrator_from_dict",
    "ece",
    "fit_temperature",
    "log_softmax",
    "make_calibrator",
    "nll",
    "reliability_curve",
    "softmax",
]
