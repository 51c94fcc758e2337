"""The promotion gate: passes good evidence, refuses each failure mode naming the check."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from pydantic import ValidationError

from tradewind.calibration import softmax
from tradewind.evaluation import (
    GateEvidence,
    GateSpec,
    Interval,
    classification_metrics,
    diagnose,
    evaluate_gate,
    input_scale_audit,
    moving_block_bootstrap_ci,
)
from tradewind.exceptions import DataError, GateRefused
from tradewind.pipeline.evidence import gate_evidence
from tradewind.pipeline.reporting import gate_sections

CLASSES = ("DOWN", "UP")


def _iv(point: float, lower: float, upper: float) -> Interval:
    return Interval(point=point, lower=lower, upper=upper, level=0.95)


def _good() -> GateEvidence:
    return GateEvidence(
        classes=CLASSES,
        n_oos_rows=5_000,
        model_mcc=_iv(0.12, 0.08, 0.16),
        model_accuracy=_iv(0.56, 0.54, 0.58),
        baseline_mcc={"majority": 0.0, "persistence": 0.02, "logistic": 0.05, "lightgbm": 0.06},
        mcc_difference={
            "majority": _iv(0.12, 0.08, 0.16),
            "persistence": _iv(0.10, 0.05, 0.15),
            "logistic": _iv(0.07, 0.02, 0.12),
            "lightgbm": _iv(0.06, 0.01, 0.11),
        },
        ece=0.015,
        calibration_error=0.02,
        overconfident_share=0.0,
        max_abs_logit=4.2,
        predicted_shares={"DOWN": 0.47, "UP": 0.53},
        label_shares={"DOWN": 0.49, "UP": 0.51},
        n_nonfinite=0,
        input_scale_ok=True,
        sharpe_lower=0.6,
        n_trades=120,
    )


def _failing(ev: GateEvidence, spec: GateSpec | None = None) -> list[str]:
    return [c.name for c in evaluate_gate(spec or GateSpec(), ev).failing()]


def test_default_gate_passes_good_evidence() -> None:
    verdict = evaluate_gate(GateSpec(), _good())
    assert verdict.passed, verdict.summary()
    names = [c.name for c in verdict.checks]
    assert names == [
        "oos_rows",
        "finite_outputs",
        "input_scale",
        "mcc_ci_low",
        "beats_majority",
        "beats_persistence",
        "not_worse_than_learned",
        "ece",
        "overconfidence",
        "max_abs_logit",
        "class_share_ratio",
        "sharpe_ci_low",
        "min_trades",
    ]
    assert verdict.summary() == "PASSED: all 13 checks passed."
    verdict.raise_if_refused()
    d = verdict.to_dict()
    assert set(d) == {"passed", "checks"}
    assert set(d["checks"][0]) == {"name", "value", "threshold", "passed", "detail"}
    json.dumps(d, allow_nan=False)


@pytest.mark.parametrize(
    ("change", "check"),
    [
        ({"n_oos_rows": 120}, "oos_rows"),
        ({"n_nonfinite": 3}, "finite_outputs"),
        ({"input_scale_ok": False, "input_scale_issues": ("close",)}, "input_scale"),
        ({"input_scale_ok": None}, "input_scale"),
        ({"model_mcc": _iv(0.03, -0.01, 0.07)}, "mcc_ci_low"),
        ({"ece": 0.06}, "ece"),
        ({"overconfident_share": 0.4}, "overconfidence"),
        ({"max_abs_logit": 40_012.0}, "max_abs_logit"),
        ({"predicted_shares": {"DOWN": 0.9, "UP": 0.1}}, "class_share_ratio"),
        ({"n_nonfinite": None}, "finite_outputs"),
        ({"n_trades": 12}, "min_trades"),
        ({"n_trades": None}, "min_trades"),
        ({"sharpe_lower": float("nan")}, "sharpe_ci_low"),
        ({"ece": None}, "ece"),
        ({"sharpe_lower": -0.2}, "sharpe_ci_low"),
        ({"sharpe_lower": None}, "sharpe_ci_low"),
    ],
)
def test_each_failure_mode_is_refused_by_its_check(change: dict, check: str) -> None:
    ev = replace(_good(), **change)
    verdict = evaluate_gate(GateSpec(), ev)
    assert not verdict.passed
    assert check in [c.name for c in verdict.failing()]
    assert f"- {check}:" in verdict.summary()
    with pytest.raises(GateRefused, match=check):
        verdict.raise_if_refused()


def test_baselines_must_be_beaten_and_run() -> None:
    strong_persistence = replace(
        _good(), baseline_mcc={**_good().baseline_mcc, "persistence": 0.09}
    )
    assert _failing(strong_persistence) == ["beats_persistence"]
    no_majority = {k: v for k, v in _good().baseline_mcc.items() if k != "majority"}
    verdict = evaluate_gate(GateSpec(), replace(_good(), baseline_mcc=no_majority))
    (check,) = verdict.failing()
    assert check.name == "beats_majority" and "not run" in check.detail
    assert evaluate_gate(GateSpec(beat_baselines=["majority"]), strong_persistence).passed


def test_better_learned_baseline_is_named() -> None:
    ev = replace(
        _good(),
        baseline_mcc={**_good().baseline_mcc, "lightgbm": 0.25},
        mcc_difference={**_good().mcc_difference, "lightgbm": _iv(-0.13, -0.2, -0.05)},
    )
    verdict = evaluate_gate(GateSpec(), ev)
    assert [c.name for c in verdict.failing()] == ["not_worse_than_learned"]
    summary = verdict.summary()
    assert "lightgbm is better than the model" in summary
    assert "+0.250" in summary and "+0.120" in summary
    assert evaluate_gate(GateSpec(not_worse_than_learned=False), ev).passed


def test_learned_baseline_ahead_on_point_but_not_significantly_passes_with_a_note() -> None:
    ev = replace(
        _good(),
        baseline_mcc={**_good().baseline_mcc, "logistic": 0.14},
        mcc_difference={**_good().mcc_difference, "logistic": _iv(-0.02, -0.07, 0.03)},
    )
    verdict = evaluate_gate(GateSpec(), ev)
    assert verdict.passed
    (check,) = [c for c in verdict.checks if c.name == "not_worse_than_learned"]
    assert "logistic has the higher MCC point estimate" in check.detail


def test_every_learned_baseline_is_checked_not_only_the_top_scoring_one() -> None:
    ev = replace(
        _good(),
        baseline_mcc={**_good().baseline_mcc, "logistic": 0.13, "lightgbm": 0.14},
        mcc_difference={
            **_good().mcc_difference,
            "logistic": _iv(-0.01, -0.02, -0.001),  # tight: logistic is surely better
            "lightgbm": _iv(-0.02, -0.09, 0.05),  # wide: inconclusive
        },
    )
    (check,) = evaluate_gate(GateSpec(), ev).failing()
    assert check.name == "not_worse_than_learned"
    assert check.detail.startswith("logistic is better than the model")


def test_missing_learned_baselines_fail_unless_switched_off() -> None:
    ev = replace(_good(), baseline_mcc={"majority": 0.0, "persistence": 0.0}, mcc_difference={})
    assert _failing(ev) == ["not_worse_than_learned"]
    assert _failing(ev, GateSpec(not_worse_than_learned=False)) == []


def test_a_classification_edge_that_costs_eat_is_refused() -> None:
    """The default gate judges the backtest after costs too, unless switched off."""
    losing = replace(_good(), sharpe_lower=-1.31)
    (check,) = evaluate_gate(GateSpec(), losing).failing()
    assert check.name == "sharpe_ci_low" and check.value == -1.31 and check.threshold == 0.0
    assert "after costs -1.31 must exceed +0.00" in check.detail
    no_backtest = replace(_good(), sharpe_lower=None)
    (check,) = evaluate_gate(GateSpec(), no_backtest).failing()
    assert "no backtest was run" in check.detail and "min_sharpe_lower: null" in check.detail
    off = GateSpec(min_sharpe_lower=None)
    assert evaluate_gate(off, losing).passed and evaluate_gate(off, no_backtest).passed
    assert "sharpe_ci_low" not in [c.name for c in evaluate_gate(off, losing).checks]
    assert _failing(replace(_good(), sharpe_lower=0.5), GateSpec(min_sharpe_lower=0.5)) == [
        "sharpe_ci_low"  # strictly above the threshold
    ]


def test_seed_style_checks() -> None:
    spec = GateSpec(
        min_accuracy=0.68,
        max_calibration_error=0.05,
        class_share_bounds={"DOWN": (0.40, 0.60)},
    )
    verdict = evaluate_gate(spec, _good())
    assert [c.name for c in verdict.failing()] == ["min_accuracy"]  # 0.54 < 0.68
    good = replace(_good(), model_accuracy=_iv(0.72, 0.70, 0.74), sharpe_lower=0.4)
    assert evaluate_gate(spec, good).passed
    # accuracy judged on the interval's lower bound, not the point estimate
    assert _failing(replace(good, model_accuracy=_iv(0.70, 0.66, 0.74)), spec) == ["min_accuracy"]
    assert _failing(replace(good, sharpe_lower=-0.1), spec) == ["sharpe_ci_low"]
    assert _failing(replace(good, calibration_error=0.08), spec) == ["calibration_error"]
    all_down = replace(good, predicted_shares={"DOWN": 0.97, "UP": 0.03})
    assert set(_failing(all_down, spec)) == {"class_share_bounds", "class_share_ratio"}
    typo = GateSpec(class_share_bounds={"DWN": (0.4, 0.6)})
    (check,) = evaluate_gate(typo, _good()).failing()
    assert check.name == "class_share_bounds" and "DWN" in check.detail


def test_spec_validation() -> None:
    with pytest.raises(ValidationError):
        GateSpec(max_ece_=0.05)
    with pytest.raises(ValidationError, match="unknown"):
        GateSpec(beat_baselines=["majorty"])
    with pytest.raises(ValidationError):
        GateSpec(class_share_ratio=(1.5, 0.5))
    with pytest.raises(ValidationError):
        GateSpec(class_share_bounds={"DOWN": (0.6, 0.4)})
    assert GateSpec.model_validate(GateSpec().model_dump()) == GateSpec()


def _end_to_end(logits: np.ndarray, y: np.ndarray, x: np.ndarray, names: list[str]):
    probs = softmax(logits)
    rng = np.random.default_rng(1)
    preds = {
        "model": probs,
        "majority": np.zeros(len(y), dtype=np.int64),
        "persistence": rng.integers(0, 2, len(y)),
        "logistic": np.where(rng.random(len(y)) < 0.05, y, rng.integers(0, 2, len(y))),
        "lightgbm": np.where(rng.random(len(y)) < 0.05, y, rng.integers(0, 2, len(y))),
    }
    metrics = classification_metrics(y, probs, CLASSES)
    baselines = {k: classification_metrics(y, np.eye(2)[v], CLASSES)
                 for k, v in preds.items() if k != "model"}
    boot = moving_block_bootstrap_ci(y, preds, block=20, n_boot=300)
    diag = diagnose(logits, probs, y, classes=CLASSES, input_stats=input_scale_audit(x, names))
    return metrics, boot, baselines, diag


def test_end_to_end_from_real_results() -> None:
    rng = np.random.default_rng(0)
    n = 4_000
    y = rng.integers(0, 2, n)
    logits = np.column_stack([np.zeros(n), 0.8 * (2 * y - 1) + 1.2 * rng.normal(size=n)])
    x = rng.normal(size=(n, 2))
    metrics, boot, baselines, diag = _end_to_end(logits, y, x, ["ret_1", "rsi_z"])
    sections = gate_sections(metrics, boot, baselines, diag, [],
                             backtest={"sharpe_ci_low": 0.3, "n_trades": 40})
    ev = gate_evidence(sections)
    assert ev.baseline_mcc["lightgbm"] == pytest.approx(boot.predictors["lightgbm"].mcc.point)
    verdict = evaluate_gate(GateSpec(max_ece=0.05), ev)
    assert verdict.passed, verdict.summary()
    elsewhere = {**baselines, "majority": classification_metrics(y[1:], np.eye(2)[y[1:]], CLASSES)}
    with pytest.raises(DataError, match="different rows"):
        gate_sections(metrics, boot, elsewhere, diag, [])


def test_seed_004_model_is_refused_for_every_reason() -> None:
    rng = np.random.default_rng(2)
    n = 2_000
    y = rng.integers(0, 2, n)
    logits = np.column_stack([rng.uniform(15_684, 52_011, n), rng.uniform(-12_000, -7_000, n)])
    x = np.column_stack([79_568 + 50 * rng.normal(size=n), rng.normal(size=n)])
    metrics, boot, baselines, diag = _end_to_end(logits, y, x, ["close", "ret_1"])
    ev = gate_evidence(gate_sections(metrics, boot, baselines, diag, []))
    verdict = evaluate_gate(GateSpec(), ev)
    failing = {c.name for c in verdict.failing()}
    assert {
        "input_scale",
        "mcc_ci_low",
        "ece",
        "overconfidence",
        "max_abs_logit",
        "class_share_ratio",
    } <= failing
    assert "close" in verdict.summary()
