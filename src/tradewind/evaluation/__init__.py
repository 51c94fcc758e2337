"""Evaluation: out-of-sample metrics with intervals, baselines on the same rows,
diagnostics, and the promotion gate.

Typical flow: :func:`run_baselines` -> :func:`classification_metrics` ->
:func:`moving_block_bootstrap_ci` -> :func:`input_scale_audit` + :func:`diagnose` ->
a :class:`GateEvidence` (built from the report sections by
``tradewind.pipeline.evidence.gate_evidence``) -> :func:`evaluate_gate`.
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
from tradewind.evaluation.importance import (
    FoldImportance,
    ImportanceMethod,
    ImportanceSpec,
    fold_importance,
    importance_rows,
    integrated_gradients,
    lightgbm_shap,
    permutation_importance,
)
from tradewind.evaluation.importance_summary import ImportanceSummary, summarize_importance
from tradewind.evaluation.input_audit import FeatureScaleIssue, InputStats, input_scale_audit
from tradewind.evaluation.metrics import (
    ClassificationMetrics,
    ClassScores,
    brier_score,
    classification_metrics,
    mcc_from_confusion,
    mcc_from_counts,
)
from tradewind.evaluation.overfitting import OverfittingResult, probability_of_backtest_overfitting

__all__ = [
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
]
