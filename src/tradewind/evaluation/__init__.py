"""Evaluation: out-of-sample metrics with intervals, baselines on the same rows,
diagnostics, and the promotion gate.

Typical flow: :func:`run_baselines` -> :func:`classification_metrics` ->
:func:`moving_block_bootstrap_ci` -> :func:`input_scale_audit` + :func:`diagnose` ->
``GateEvidence.from_results`` -> :func:`evaluate_gate`.
"""

from tradewind.evaluation.baselines import BASELINES, lagged_features, run_baselines
from tradewind.evaluation.bootstrap import (
    BootstrapResult,
    Interval,
    PredictorIntervals,
    moving_block_bootstrap_ci,
)
from tradewind.evaluation.diagnostics import Diagnostics, DiagnosticThresholds, diagnose
from tradewind.evaluation.gate import (
    LEARNED_BASELINES,
    GateCheck,
    GateEvidence,
    GateSpec,
    GateVerdict,
    evaluate_gate,
)
from tradewind.evaluation.input_audit import FeatureScaleIssue, InputStats, input_scale_audit
from tradewind.evaluation.metrics import (
    ClassificationMetrics,
    ClassScores,
    brier_score,
    classification_metrics,
    mcc_from_confusion,
    mcc_from_counts,
)

__all__ = [
    "BASELINES",
    "LEARNED_BASELINES",
    "BootstrapResult",
    "ClassScores",
    "ClassificationMetrics",
    "DiagnosticThresholds",
    "Diagnostics",
    "FeatureScaleIssue",
    "GateCheck",
    "GateEvidence",
    "GateSpec",
    "GateVerdict",
    "InputStats",
    "Interval",
    "PredictorIntervals",
    "brier_score",
    "classification_metrics",
    "diagnose",
    "evaluate_gate",
    "input_scale_audit",
    "lagged_features",
    "mcc_from_confusion",
    "mcc_from_counts",
    "moving_block_bootstrap_ci",
    "run_baselines",
]
