"""Findings the pipeline adds from per-fold results (beside the output diagnostics)."""

from __future__ import annotations

import numpy as np

from tradewind.calibration import CalibrationOutcome, TemperatureScaler, softmax
from tradewind.pipeline.reporting import flat_calibration_finding, identity_calibration_finding


def _outcome(status: str, value: float) -> CalibrationOutcome:
    return CalibrationOutcome(status=status, fitted_value=value, nll_gain=0.01, nll_gain_lower=0.001,
                              block=24, n_boot=1000, level=0.95)


def test_a_temperature_that_flattened_the_probabilities_is_named_by_fold() -> None:
    outcomes = [_outcome("fitted", 4.2), _outcome("bounded", 20.0), _outcome("bounded", 20.0),
                _outcome("bounded", 0.05), _outcome("kept_identity", 0.22), None]
    finding = flat_calibration_finding(outcomes)
    assert finding is not None and finding.code == "flat_calibration"
    assert finding.message.startswith("fold(s) [1, 2]: calibration ran to its temperature bound (20)")
    assert flat_calibration_finding([_outcome("fitted", 18.0), _outcome("bounded", 0.05)]) is None


def test_folds_that_kept_the_identity_are_named() -> None:
    finding = identity_calibration_finding([_outcome("fitted", 1.2), _outcome("kept_identity", 0.22)])
    assert finding is not None and finding.code == "identity_calibration" and finding.level == "info"
    assert finding.message.startswith("fold(s) [1]:")
    assert identity_calibration_finding([_outcome("fitted", 1.2), None]) is None


def test_temperature_scaling_flattens_a_model_without_information() -> None:
    """What the finding reports: confident logits unrelated to the labels drive T to its bound."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 4_000)
    logits = rng.normal(0, 3, (4_000, 2))  # confident, and unrelated to y
    scaler = TemperatureScaler().fit(logits, y)
    assert scaler.outcome_.status == "bounded"
    assert scaler.temperature_ == scaler.max_temperature == 20.0
    assert flat_calibration_finding([scaler.outcome_]) is not None
    probs = softmax(logits / scaler.temperature_)
    assert np.abs(probs - 0.5).max() < 0.25
    assert np.abs(probs - 0.5).mean() < 0.05
