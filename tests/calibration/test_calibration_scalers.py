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
from tradewind.exceptions import (
    BundleError,
    ConfigError,
    DataError,
    NotFittedError,
    SchemaMismatchError,
)


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


def test_seed_004_scale_logits_hit_the_bound_instead_of_being_hidden() -> None:
    # logits of tens of thousands (raw BTC prices through a network) with ~random labels:
    # calibration clips T at its bound and says so; the diagnostics and the gate refuse them
    rng = np.random.default_rng(2)
    logits = rng.normal(0, 1, size=(2_000, 2)) * 30_000
    y = rng.integers(0, 2, size=2_000)
    scaler = fit_temperature(logits, y)
    assert scaler.temperature_ == pytest.approx(20.0)
    assert scaler.outcome_.status == "bounded"
    assert scaler.outcome_.nll_gain_lower > 0
    assert np.isfinite(scaler.predict_proba(logits)).all()


def test_a_calibrated_model_keeps_the_identity() -> None:
    """The fit on noise (T = 0.9 or 1.2 on a small validation set) is not kept: T = 1."""
    statuses = []
    for seed in range(5):
        z, y = _calibrated_sample(400, 2, seed=100 + seed)
        scaler = TemperatureScaler().fit(z, y)
        statuses.append(scaler.outcome_.status)
        if scaler.outcome_.status == "kept_identity":
            assert scaler.temperature_ == 1.0
            assert scaler.outcome_.fitted_value != 1.0
            assert scaler.outcome_.nll_gain_lower <= 0
            np.testing.assert_allclose(scaler.predict_proba(z), softmax(z))
    assert statuses.count("kept_identity") >= 4


def test_without_require_gain_the_fit_is_applied() -> None:
    z, y = _calibrated_sample(400, 2, seed=100)
    kept = TemperatureScaler().fit(z, y)
    forced = TemperatureScaler(require_gain=False).fit(z, y)
    assert kept.outcome_.status == "kept_identity"
    assert forced.outcome_.status == "fitted"
    assert forced.temperature_ == forced.outcome_.fitted_value == kept.outcome_.fitted_value


def test_a_real_miscalibration_is_fitted_and_stays_inside_the_bounds() -> None:
    z, y = _calibrated_sample(3_000, 2, seed=11)
    for factor, bound in ((80.0, 20.0), (1 / 80, 0.05)):
        scaler = TemperatureScaler().fit(z * factor, y)
        assert scaler.outcome_.status == "bounded"
        assert scaler.temperature_ == pytest.approx(bound)
    scaler = TemperatureScaler().fit(z * 3, y)
    assert scaler.outcome_.status == "fitted"
    assert scaler.temperature_ == pytest.approx(3.0, rel=0.15)


def test_temperature_bounds_must_contain_one() -> None:
    with pytest.raises(ConfigError, match="0 < min <= 1 <= max"):
        TemperatureScaler(min_temperature=1.5, max_temperature=20)
    with pytest.raises(ValidationError, match="min_temperature"):
        CalibrationSpec(min_temperature=1.0, max_temperature=1.0)
    z, y = _calibrated_sample(300, 2, seed=9)
    cal = make_calibrator(CalibrationSpec(max_temperature=5.0), block=12, n_boot=200, level=0.9)
    saved = cal.fit(z * 40, y).to_dict()
    assert (saved["max_temperature"], saved["temperature"]) == (5.0, pytest.approx(5.0))
    assert (saved["block"], saved["n_boot"], saved["level"]) == (12, 200, 0.9)
    assert saved["outcome"]["block"] == 12


def test_vector_scaling_follows_the_same_rule() -> None:
    z, y = _calibrated_sample(400, 2, seed=100)
    vec = VectorScaler().fit(z, y)
    assert vec.outcome_.status == "kept_identity"
    np.testing.assert_array_equal(vec.weights_, [1.0, 1.0])
    np.testing.assert_array_equal(vec.bias_, [0.0, 0.0])
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 1, size=(2_000, 2)) * 1_000
    flat = VectorScaler().fit(noise, rng.integers(0, 2, 2_000))
    assert flat.outcome_.status == "bounded"
    assert flat.weights_.min() == pytest.approx(0.05)


def test_a_bundle_written_before_the_outcome_existed_still_loads() -> None:
    old = {"method": "temperature", "temperature": 1.7, "n_classes": 2,
           "min_temperature": 1e-3, "max_temperature": 1e6}
    cal = calibrator_from_dict(old)
    assert cal.temperature_ == 1.7 and cal.outcome_ is None
    with pytest.raises(BundleError, match="outcome"):
        calibrator_from_dict({**old, "outcome": {"status": "fitted"}})


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
    assert restored.outcome_ == cal.outcome_
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
