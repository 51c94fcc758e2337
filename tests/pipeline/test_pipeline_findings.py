"""Findings the pipeline adds from per-fold results (beside the output diagnostics)."""

from __future__ import annotations

import numpy as np

from tradewind.calibration import TemperatureScaler, softmax
from tradewind.pipeline.reporting import FLAT_TEMPERATURE, flat_calibration_finding


def test_a_temperature_that_flattened_the_probabilities_is_named_by_fold() -> None:
    assert flat_calibration_finding([1.2, 0.8, None]) is None
    finding = flat_calibration_finding([4.2, 999_999.0, 999_999.0, 18.8])
    assert finding is not None and finding.code == "flat_calibration"
    assert finding.message.startswith("fold(s) [1, 2]: calibration set the temperature up to 1e+06")


def test_temperature_scaling_flattens_a_model_without_information() -> None:
    """What the finding reports: confident logits unrelated to the labels drive T to its bound."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 4_000)
    logits = rng.normal(0, 3, (4_000, 2))  # confident, and unrelated to y
    scaler = TemperatureScaler().fit(logits, y)
    assert scaler.temperature_ > FLAT_TEMPERATURE
    probs = softmax(logits / scaler.temperature_)
    assert np.abs(probs - 0.5).max() < 0.01
