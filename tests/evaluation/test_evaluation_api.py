"""The public surface of tradewind.evaluation and tradewind.calibration is what was meant."""

from __future__ import annotations

import importlib

import pytest

from public_surface import surface_problems


@pytest.mark.parametrize(
    ("package", "expected"),
    [
        (
            "tradewind.calibration",
            {
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
            },
        ),
        (
            "tradewind.evaluation",
            {
                "BASELINES",
                "LEARNED_BASELINES",
                "BootstrapResult",
                "ClassScores",
                "ClassificationMetrics",
                "DiagnosticThresholds",
                "Diagnostics",
                "FeatureScaleIssue",
                "FoldImportance",
                "GateCheck",
                "GateEvidence",
                "GateSpec",
                "GateVerdict",
                "ImportanceMethod",
                "ImportanceSpec",
                "ImportanceSummary",
                "InputStats",
                "Interval",
                "OverfittingResult",
                "PredictorIntervals",
                "brier_score",
                "classification_metrics",
                "diagnose",
                "evaluate_gate",
                "fold_importance",
                "importance_rows",
                "input_scale_audit",
                "integrated_gradients",
                "lagged_features",
                "lightgbm_shap",
                "mcc_from_confusion",
                "mcc_from_counts",
                "moving_block_bootstrap_ci",
                "permutation_importance",
                "probability_of_backtest_overfitting",
                "run_baselines",
                "summarize_importance",
            },
        ),
    ],
)
def test_public_names(package: str, expected: set[str]) -> None:
    module = importlib.import_module(package)
    assert set(module.__all__) == expected
    assert surface_problems(module) == []
    public = {n for n in vars(module) if not n.startswith("_")}
    assert public - set(module.__all__) <= {
        "annotations",
        "baselines",
        "bootstrap",
        "diagnostics",
        "gate",
        "metrics",
        "input_audit",
        "importance",
        "importance_summary",
        "overfitting",
        "calibration_error",
        "functional",
        "outcome",
        "scalers",
        "spec",
    }
