"""Temperature and vector scaling: recovery of known parameters, NLL/ECE, JSON round trips."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pydantic import ValidationError

from tradewind.calibration import (
    CalibrationSpec,
    IdentityCalibrator,
    TemperatureScaler,
    VectorScaler,
    calibrator_from_dict,
    ece,
    fit_temperature,
    make_calibrator,
    nll,
    softmax,
)
from tradewind.exceptions import BundleError, DataError, NotFittedError, SchemaMismatchError


def _calibrated_sample(n: int, n_classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Logits of a calibrated model and labels drawn from its probabilities."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 1.5, size=(n, n_classes))
    p = softmax(z)
    y = (rng.random(n)[:, None] > p.cumsum(axis=1)).sum(axis=1)
    return z, np.minimum(y, n_classes - 1)


@pytest.mark.parametrize("true_t", [2.5, 0.5])
def test_temperature_scaling_recovers_known_temperature(true_t: float) -> None:
    z, y = _calibrated_sample(20_000, 3, seed=1)
    observed = z * true_t  # an over- (T > 1) or under-confident (T < 1) copy of the model
    scaler = TemperatureScaler().fit(observed, y)
    assert scaler.temperature_ == pytest.approx(true_t, rel=0.05)
    calibrated = scaler.predict_proba(observed)
    assert nll(observed / scaler.temperature_, y) < nll(observed, y)
    assert scaler.nll_after_ < scaler.nll_before_
    assert ece(calibrated, y) < ece(softmax(observed), y)
    assert ece(calibrated, y) < 0.02
    np.testing.assert_array_equal(calibrated.argmax(axis=1), observed.argmax(axis=1))


def test_temperature_tames_seed_004_scale_logits() -> None:
    # logits of tens of thousands (raw BTC prices through a network) with ~random labels
    rng = np.random.default_rng(2)
    logits = rng.normal(0, 1, size=(2_000, 2)) * 30_000
    y = rng.integers(0, 2, size=2_000)
    scaler = fit_temperature(logits, y)
    probs = scaler.predict_proba(logits)
    assert scaler.temperature_ > 1_000
    assert np.isfinite(probs).all()
    assert (probs.max(axis=1) > 0.99).mean() < 0.1


def test_vector_scaling_recovers_per_class_scale_and_bias() -> None:
    z, y = _calibrated_sample(30_000, 3, seed=3)
    w_true = np.array([0.5, 1.0, 2.0])
    b_true = np.array([0.6, -0.2, -0.4])  # mean zero, as the fitted bias is centred
    observed = (z - b_true) / w_true  # so that w_true * observed + b_true == z
    vec = VectorScaler().fit(observed, y)
    np.testing.assert_allclose(vec.weights_, w_true, rtol=0.08)
    np.testing.assert_allclose(vec.bias_, b_true, atol=0.06)
    temp = TemperatureScaler().fit(observed, y)
    assert vec.nll_after_ < temp.nll_after_ < temp.nll_before_
    assert vec.nll_after_ == pytest.approx(nll(z, y), abs=0.005)


def test_vector_scaling_fixes_a_class_bias_that_temperature_cannot() -> None:
    z, y = _calibrated_sample(20_000, 2, seed=4)
    biased = z + np.array([1.5, -1.5])  # pushes predictions towards class 0
    temp_pred = TemperatureScaler().fit(biased, y).predict_proba(biased).argmax(axis=1)
    vec_pred = VectorScaler().fit(biased, y).predict_proba(biased).argmax(axis=1)
    label_share = np.mean(y == 0)
    assert abs(np.mean(temp_pred == 0) - label_share) > 0.2
    assert abs(np.mean(vec_pred == 0) - label_share) < 0.05


def test_l2_shrinks_vector_scaling_towards_identity() -> None:
    z, y = _calibrated_sample(300, 3, seed=5)
    free = VectorScaler().fit(z * 3, y)
    shrunk = VectorScaler(l2=10.0).fit(z * 3, y)
    assert np.abs(shrunk.weights_ - 1).sum() < np.abs(free.weights_ - 1).sum()


@pytest.mark.parametrize("method", ["temperature", "vector", "none"])
def test_json_round_trip_gives_identical_probabilities(method: str) -> None:
    z, y = _calibrated_sample(2_000, 3, seed=6)
    cal = make_calibrator(CalibrationSpec(method=method)).fit(z * 2, y)
    restored = calibrator_from_dict(json.loads(json.dumps(cal.to_dict())))
    assert type(restored) is type(cal)
    np.testing.assert_allclose(restored.predict_proba(z), cal.predict_proba(z), rtol=0, atol=1e-15)
    np.testing.assert_allclose(restored.scale_logits(z), cal.scale_logits(z), rtol=0, atol=1e-15)


def test_identity_is_plain_softmax() -> None:
    z, y = _calibrated_sample(100, 2, seed=7)
    np.testing.assert_allclose(IdentityCalibrator().fit(z, y).predict_proba(z), softmax(z))


def test_softmax_is_stable_for_huge_logits() -> None:
    p = softmax(np.array([[33_503.0, -9_475.0], [1e300, 1e300], [-5.0, 5.0]]))
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[0], [1.0, 0.0])
    np.testing.assert_allclose(p[1], [0.5, 0.5])


@pytest.mark.parametrize("cls", [TemperatureScaler, VectorScaler, IdentityCalibrator])
def test_estimator_contract(cls: type) -> None:
    z, y = _calibrated_sample(200, 3, seed=8)
    cal = cls()
    with pytest.raises(NotFittedError, match="fit"):
        cal.predict_proba(z)
    with pytest.raises(NotFittedError):
        cal.to_dict()
    assert cal.fit(z, y) is cal
    with pytest.raises(SchemaMismatchError, match="3 classes"):
        cal.predict_proba(z[:, :2])
    bad = z.copy()
    bad[5, 1] = np.nan
    with pytest.raises(DataError, match="row 5"):
        cls().fit(bad, y)
    with pytest.raises(DataError, match="label -1"):
        cls().fit(z, np.where(np.arange(200) == 7, -1, y))


def test_spec_and_dict_validation() -> None:
    assert CalibrationSpec().method == "temperature"
    with pytest.raises(ValidationError):
        CalibrationSpec(method="platt")
    with pytest.raises(ValidationError):
        CalibrationSpec(methd="vector")
    with pytest.raises(BundleError, match="unknown calibrator method"):
        calibrator_from_dict({"method": "isotonic"})
    with pytest.raises(BundleError, match="lacks"):
        calibrator_from_dict({"method": "temperature"})
    with pytest.raises(BundleError, match="positive"):
        calibrator_from_dict({"method": "temperature", "temperature": -1.0, "n_classes": 2})
