"""Diagnostics flag seed 004's failures (huge logits, 100 % confidence, one class, raw prices)
and stay quiet on a healthy model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tradewind.calibration import TemperatureScaler, softmax
from tradewind.evaluation import DiagnosticThresholds, GateSpec, diagnose, input_scale_audit
from tradewind.exceptions import SchemaMismatchError

CLASSES = ("DOWN", "UP")


def _healthy(
    n: int = 4_000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Modest logits, labels drawn from their softmax, four folds."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 1.0, size=(n, 2))
    y = (rng.random(n) < softmax(logits)[:, 1]).astype(np.int64)
    return logits, softmax(logits), y, np.repeat(np.arange(4), n // 4)


def _json_ok(d: object) -> None:
    json.dumps(d, allow_nan=False)


def test_healthy_model_has_no_findings() -> None:
    logits, probs, y, folds = _healthy()
    x = np.random.default_rng(1).normal(size=(4_000, 3))
    stats = input_scale_audit(x, ["ret_1", "rsi_z", "atr_z"])
    d = diagnose(logits, probs, y, classes=CLASSES, fold_ids=folds, input_stats=stats)
    assert d.findings == ()
    assert d.healthy and d.input_scale_ok
    assert d.max_abs_logit < 6
    assert d.overconfident_share < 0.01
    assert len(d.fold_mcc) == 4 and all(m > 0 for m in d.fold_mcc)
    assert d.ece_after is not None and d.ece_after < 0.03
    _json_ok(d.to_dict())


def test_seed_004_model_is_flagged_on_every_count() -> None:
    # seed 004, BTC: mean DOWN logit 33,503, mean UP logit -9,475, 100 % DOWN, raw prices in
    rng = np.random.default_rng(2)
    n = 2_000
    logits = np.column_stack([rng.uniform(15_684, 52_011, n), rng.uniform(-12_000, -7_000, n)])
    y = rng.integers(0, 2, n)
    x = np.column_stack([79_568 + 50 * rng.normal(size=n), rng.normal(size=n)])
    stats = input_scale_audit(x, ["close", "ret_1"])
    d = diagnose(logits, softmax(logits), y, classes=CLASSES, input_stats=stats)
    text = "\n".join(d.findings)
    assert d.max_abs_logit > 50_000 and d.mean_logit["DOWN"] > 30_000
    assert d.overconfident_share == 1.0 and d.raw_overconfident_share == 1.0
    assert d.constant_predictions and d.predicted_shares["DOWN"] == 1.0
    assert "raw logits reach" in text
    assert "above 99 % confidence" in text
    assert "every prediction is DOWN" in text
    assert "feature 'close'" in text and "'ret_1'" not in text
    assert not d.input_scale_ok
    _json_ok(d.to_dict())


def test_temperature_alone_does_not_hide_huge_logits() -> None:
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 1, size=(3_000, 2)) * 5_000
    y = rng.integers(0, 2, 3_000)
    probs = TemperatureScaler().fit(logits, y).predict_proba(logits)
    d = diagnose(logits, probs, y, classes=CLASSES)
    # the temperature is bounded (at most 20), so it cannot tame them: both findings show
    assert d.overconfident_share > 0.9
    assert any("raw logits" in f for f in d.findings)
    assert any("above 99 % confidence" in f for f in d.findings)


def test_partial_collapse_is_flagged_with_class_names() -> None:
    logits, _probs, y, _ = _healthy(seed=4)
    biased = logits + np.array([1.5, -1.5])  # most predictions DOWN, labels ~ 50/50
    d = diagnose(biased, softmax(biased), y, classes=CLASSES)
    assert not d.constant_predictions
    assert d.share_ratios["DOWN"] > 1.5 and d.share_ratios["UP"] < 0.5
    (finding,) = [f for f in d.findings if "class shares" in f]
    assert "DOWN predicted" in finding and "UP predicted" in finding


def test_constant_folds_and_fold_spread() -> None:
    logits, probs, y, folds = _healthy(seed=5)
    logits = logits.copy()
    logits[folds == 2] = [3.0, -3.0]  # fold 2 predicts DOWN only
    d = diagnose(logits, softmax(logits), y, classes=CLASSES, fold_ids=folds)
    assert d.constant_folds == (2,)
    assert any("fold(s) [2] predict a single class" in f for f in d.findings)
    spread = diagnose(logits, probs, y, classes=CLASSES, fold_mcc=[0.25, -0.1, 0.05, 0.3])
    assert spread.fold_mcc_min == -0.1 and spread.fold_mcc_max == 0.3
    assert spread.fold_mcc_std == pytest.approx(np.std([0.25, -0.1, 0.05, 0.3]))
    assert any("not stable" in f for f in spread.findings)
    assert any("negative MCC" in f for f in spread.findings)


def test_nan_and_inf_are_counted_not_raised() -> None:
    logits, probs, y, _ = _healthy(seed=6)
    logits, probs = logits.copy(), probs.copy()
    logits[:3] = np.nan
    logits[3, 0] = np.inf
    probs[:3] = np.nan
    d = diagnose(logits, probs, y, classes=CLASSES)
    assert d.n_nonfinite_logits == 7 and d.n_nonfinite_probs == 6 and d.n_nonfinite == 13
    assert np.isfinite(d.max_abs_logit)
    assert any("NaN/inf" in f for f in d.findings)
    _json_ok(d.to_dict())


def test_calibration_that_hurts_is_flagged() -> None:
    logits, _probs, y, _ = _healthy(seed=7)
    sharpened = softmax(logits * 4)
    d = diagnose(logits, sharpened, y, classes=CLASSES)
    assert d.ece_after > d.ece_before
    assert any("made ECE worse" in f for f in d.findings)
    assert any("calibrated ECE" in f for f in d.findings)


def test_thresholds_are_configurable_and_strict() -> None:
    logits, probs, y, _ = _healthy(seed=8)
    d = diagnose(
        logits, probs, y, classes=CLASSES, thresholds=DiagnosticThresholds(max_abs_logit=1.0)
    )
    assert any("raw logits" in f for f in d.findings)
    with pytest.raises(ValueError):
        DiagnosticThresholds(max_abs_logits=1.0)


def test_thresholds_follow_the_gate_so_the_report_shows_one_limit() -> None:
    gate = GateSpec()
    th = DiagnosticThresholds.from_gate(gate)
    assert (th.max_ece, th.max_overconfident_share) == (gate.max_ece, gate.max_overconfident_share)
    assert (th.max_abs_logit, th.share_ratio) == (gate.max_abs_logit, gate.class_share_ratio)
    assert th.max_ece != DiagnosticThresholds().max_ece  # the gate's 0.03, not the default 0.05
    custom = DiagnosticThresholds.from_gate(GateSpec(max_ece=0.02, max_overconfident_share=None))
    assert custom.max_ece == 0.02
    assert custom.max_overconfident_share == DiagnosticThresholds().max_overconfident_share
    logits, probs, y, _ = _healthy(seed=8)
    d = diagnose(logits, probs, y, classes=CLASSES, thresholds=th, ece_after=0.04)
    assert d.to_dict()["thresholds"]["max_ece"] == gate.max_ece
    assert any("calibrated ECE is 0.040 (allowed 0.03)" in f for f in d.findings)


def test_input_scale_audit() -> None:
    rng = np.random.default_rng(9)
    windows = rng.normal(size=(200, 30, 4))  # [B, L, F] windows are accepted
    windows[..., 1] *= 40  # std 40: un-normalised volume
    windows[..., 2] += 12  # mean 12
    windows[5, 3, 3] = np.nan
    windows[..., 0] = windows[..., 0] * 0 + 0.5  # constant, but in range
    stats = input_scale_audit(windows, ["flat", "volume", "shifted", "holey"])
    assert [i.name for i in stats.issues] == ["volume", "shifted", "holey"]
    assert "std" in stats.issues[0].reason and "|mean|" in stats.issues[1].reason
    assert stats.issues[2].n_nonfinite == 1
    assert stats.constant_features == ("flat",)
    assert stats.n_rows == 6_000
    _json_ok(stats.to_dict())
    with pytest.raises(SchemaMismatchError, match="feature names"):
        input_scale_audit(windows, ["a", "b"])


def test_shapes_are_checked() -> None:
    logits, probs, y, _ = _healthy(n=100, seed=10)
    with pytest.raises(SchemaMismatchError):
        diagnose(logits, probs[:, :1], y, classes=CLASSES)
    with pytest.raises(SchemaMismatchError):
        diagnose(logits, probs, y, classes=("SELL", "HOLD", "BUY"))
