"""Turn an experiment's results into the ``report.json`` schema and log it to MLflow.

Everything here is bookkeeping: no number is computed that the evaluation modules did not
already measure out of sample, except the rolling class shares drawn over time.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tradewind.artifacts import Registry
from tradewind.calibration import CalibrationOutcome, reliability_curve, softmax
from tradewind.config import Experiment
from tradewind.data.validate import Finding as DataFinding
from tradewind.evaluation import (
    BootstrapResult,
    ClassificationMetrics,
    Diagnostics,
    GateVerdict,
    lagged_features,
    lightgbm_shap,
    summarize_importance,
)
from tradewind.exceptions import DataError
from tradewind.pipeline.evidence import GateSections
from tradewind.report.schema import (
    BaselineResult,
    Calibration,
    DataSummary,
    EpochRecord,
    ExperimentInfo,
    ExperimentReport,
    Finding,
    FoldCalibration,
    FoldReport,
    OOSMetrics,
    RegistryInfo,
    ReliabilityBin,
    ShareWindow,
)
from tradewind.report.schema import Diagnostics as DiagnosticsSection
from tradewind.report.schema import GateCheck as GateCheckSection
from tradewind.report.schema import GateVerdict as GateVerdictSection
from tradewind.report.schema import Importance as ImportanceSection

if TYPE_CHECKING:
    from tradewind.pipeline.experiment import OutOfSample
    from tradewind.pipeline.folds import FoldResult
    from tradewind.pipeline.prepare import Prepared

__all__ = [
    "build_report",
    "data_findings",
    "gate_sections",
    "importance_section",
    "log_to_registry",
    "share_windows",
]

_N_SHARE_POINTS = 60


def _pair(interval: Any) -> tuple[float, float] | None:
    lo, hi = float(interval.lower), float(interval.upper)
    return (lo, hi) if np.isfinite(lo) and np.isfinite(hi) else None


def _oos_section(metrics: ClassificationMetrics, boot: BootstrapResult) -> OOSMetrics:
    model = boot.predictors[boot.model_key]
    d = metrics.to_dict()
    return OOSMetrics(
        n_rows=metrics.n_rows,
        classes=list(metrics.classes),
        ci_level=boot.level,
        ci_method=boot.method,
        mcc=metrics.mcc,
        mcc_ci=_pair(model.mcc),
        accuracy=metrics.accuracy,
        accuracy_ci=_pair(model.accuracy),
        balanced_accuracy=metrics.balanced_accuracy,
        macro_f1=metrics.macro_f1,
        log_loss=metrics.log_loss,
        brier=metrics.brier,
        ece=metrics.ece,
        adaptive_ece=metrics.adaptive_ece,
        roc_auc=metrics.roc_auc,
        per_class=d["per_class"],
        confusion=[list(row) for row in metrics.confusion],
        pred_shares=metrics.predicted_shares,
        label_shares=metrics.label_shares,
    )


def _baseline_sections(
    baseline_metrics: dict[str, ClassificationMetrics], boot: BootstrapResult
) -> dict[str, BaselineResult]:
    out = {}
    for name, m in baseline_metrics.items():
        intervals = boot.predictors.get(name)
        diff = boot.mcc_difference.get(name)
        out[name] = BaselineResult(
            mcc=m.mcc,
            mcc_ci=None if intervals is None else _pair(intervals.mcc),
            accuracy=m.accuracy,
            accuracy_ci=None if intervals is None else _pair(intervals.accuracy),
            mcc_diff_ci=None if diff is None else _pair(diff),
        )
    return out


def flat_calibration_finding(outcomes: list[CalibrationOutcome | None]) -> Finding | None:
    """A finding for folds whose calibration flattened the probabilities towards 1/C.

    Temperature scaling runs to its upper bound (``calibration.max_temperature``) when
    the model's confidence carries no information on the fold's validation rows: NLL
    keeps falling as T grows. Such a fit is kept (status ``bounded``, fitted value above
    1) because it is better than the raw confidence. Argmax, and so MCC, is unchanged;
    the probabilities, and any threshold on them, are not.
    """
    flat = [i for i, o in enumerate(outcomes)
            if o is not None and o.status == "bounded" and o.fitted_value > 1.0]
    if not flat:
        return None
    highest = max(outcomes[i].fitted_value for i in flat)  # type: ignore[union-attr]
    return Finding(
        level="warning", code="flat_calibration",
        message=f"fold(s) {flat}: calibration ran to its temperature bound ({highest:.3g}), so "
                "the model's probabilities there are flattened towards 1/C: on those folds' "
                "validation rows its confidence carried no information.",
    )


def identity_calibration_finding(outcomes: list[CalibrationOutcome | None]) -> Finding | None:
    """An info finding for folds where the fit did not beat T = 1 beyond bootstrap noise."""
    kept = [i for i, o in enumerate(outcomes) if o is not None and o.status == "kept_identity"]
    if not kept:
        return None
    return Finding(
        level="info", code="identity_calibration",
        message=f"fold(s) {kept}: the fitted calibration did not lower validation NLL by a "
                "margin its block bootstrap supports (lower bound <= 0), so the identity "
                "(T = 1) was applied there.",
    )


def _diagnostics_section(diagnostics: Diagnostics, folds: list[FoldResult]) -> DiagnosticsSection:
    values = diagnostics.to_dict()
    values.pop("findings", None)
    findings = [Finding(level="warning", code="diagnostic", message=m) for m in diagnostics.findings]
    outcomes = [f.calibration for f in folds]
    extra = [f for f in (flat_calibration_finding(outcomes), identity_calibration_finding(outcomes))
             if f is not None]
    return DiagnosticsSection(values=values, findings=[*findings, *extra])


def gate_sections(
    metrics: ClassificationMetrics,
    boot: BootstrapResult,
    baseline_metrics: dict[str, ClassificationMetrics],
    diagnostics: Diagnostics,
    folds: list[FoldResult],
    backtest: dict[str, Any] | None = None,
) -> GateSections:
    """The report sections the gate judges, made before the report (which holds the verdict).

    Every predictor must have been scored on the same out-of-sample rows: a mismatch raises
    :class:`DataError` (baselines scored elsewhere prove nothing).
    """
    counts = {"metrics": metrics.n_rows, "bootstrap": boot.n_rows}
    counts.update({f"baseline {k}": m.n_rows for k, m in baseline_metrics.items()})
    if len(set(counts.values())) > 1:
        raise DataError(
            f"gate evidence covers different rows: {counts}; score every predictor on the same rows."
        )
    return GateSections(
        oos=_oos_section(metrics, boot),
        baselines=_baseline_sections(baseline_metrics, boot),
        diagnostics=_diagnostics_section(diagnostics, folds),
        backtest=backtest,
    )


def _fold_calibrations(folds: list[FoldResult]) -> list[FoldCalibration]:
    return [
        FoldCalibration(fold=f.fold, status=f.calibration.status, temperature=f.temperature,
                        fitted_value=f.calibration.fitted_value, nll_gain=f.calibration.nll_gain,
                        nll_gain_lower=f.calibration.nll_gain_lower)
        for f in folds if f.calibration is not None
    ]


def _gate_section(verdict: GateVerdict) -> GateVerdictSection:
    return GateVerdictSection(
        passed=verdict.passed, checks=[GateCheckSection(**c.to_dict()) for c in verdict.checks]
    )


def _fold_section(prep: Prepared, fold: FoldResult, classes: list[str]) -> FoldReport:
    history = []
    for row in fold.history:
        shares = row.get("pred_shares")
        history.append(EpochRecord(
            epoch=int(row["epoch"]),
            train_loss=row.get("train_loss"),
            val_loss=row.get("val_loss"),
            val_mcc=row.get("val_mcc"),
            lr=row.get("lr"),
            pred_shares=None if not shares else dict(zip(classes, shares, strict=True)),
            mean_max_prob=row.get("mean_max_prob"),
        ))
    return FoldReport(
        fold=fold.fold,
        train_rows=len(fold.train_rows),
        val_rows=len(fold.val_rows),
        test_rows=len(fold.test_rows),
        test_start=prep.index[fold.test_rows[0]].to_pydatetime(),
        test_end=prep.index[fold.test_rows[-1]].to_pydatetime(),
        mcc=fold.metrics["mcc"],
        accuracy=fold.metrics["accuracy"],
        temperature=fold.temperature,
        best_epoch=fold.best_epoch,
        history=history,
    )


def _bins(probs: np.ndarray, y: np.ndarray) -> list[ReliabilityBin]:
    conf, acc, count = reliability_curve(probs, y)
    return [ReliabilityBin(confidence=c, accuracy=a, count=int(n))
            for c, a, n in zip(conf, acc, count, strict=True)]


def share_windows(
    index: Any, y: np.ndarray, pred: np.ndarray, classes: list[str], points: int = _N_SHARE_POINTS
) -> list[ShareWindow]:
    """Predicted vs label class shares in consecutive windows of out-of-sample rows."""
    n = len(y)
    if n == 0:
        return []
    size = max(n // points, 20)
    out = []
    for start in range(0, n, size):
        stop = min(start + size, n)
        if stop - start < size // 2 and out:
            break
        k = len(classes)
        p = np.bincount(pred[start:stop], minlength=k) / (stop - start)
        t = np.bincount(y[start:stop], minlength=k) / (stop - start)
        out.append(ShareWindow(
            timestamp=index[stop - 1].to_pydatetime(),
            pred_shares=dict(zip(classes, p.tolist(), strict=True)),
            label_shares=dict(zip(classes, t.tolist(), strict=True)),
        ))
    return out


def data_findings(validation: list[dict[str, Any]]) -> list[Finding]:
    """The findings ``data.load`` recorded for the run's candles, as report findings."""
    found = [DataFinding.from_dict(item) for item in validation]
    return [Finding(level=f.severity, code=f.rule, message=f.describe()) for f in found]


def _data_summary(exp: Experiment, prep: Prepared) -> DataSummary:
    candles = prep.candles
    return DataSummary(
        source=exp.data.source,
        symbol=exp.data.symbol or "unknown",
        timeframe=prep.timeframe,
        rows=len(candles),
        first=candles.index[0].to_pydatetime(),
        last=candles.index[-1].to_pydatetime(),
        fingerprint=prep.fingerprint,
        findings=data_findings(candles.attrs.get("validation", [])),
    )


def build_report(
    exp: Experiment,
    prep: Prepared,
    folds: list[FoldResult],
    oos: OutOfSample,
    *,
    sections: GateSections,
    verdict: GateVerdict,
    ece_before: float,
    ece_after: float,
    bundle_path: Path,
    data: DataSummary | None = None,
) -> ExperimentReport:
    """Assemble every section of ``report.json`` from measured results (``sections``: the
    ones the gate judged, see :func:`gate_sections`). ``data``: the data section, by
    default that of ``prep``'s one series (a universe passes its pooled summary)."""
    classes = list(prep.classes)
    return ExperimentReport(
        experiment=ExperimentInfo(name=exp.name, config=exp.model_dump(mode="json")),
        data=data or _data_summary(exp, prep),
        oos=sections.oos,
        baselines=sections.baselines,
        diagnostics=sections.diagnostics,
        backtest=sections.backtest,
        gate=_gate_section(verdict),
        folds=[_fold_section(prep, f, classes) for f in folds],
        calibration=Calibration(
            method=exp.calibration.method,
            ece_before=ece_before,
            ece_after=ece_after,
            reliability_before=_bins(softmax(oos.logits), oos.y),
            reliability_after=_bins(oos.probs, oos.y),
            folds=_fold_calibrations(folds),
        ),
        share_over_time=share_windows(prep.index[oos.rows], oos.y, oos.pred, classes),
        bundle=str(bundle_path),
    )


def log_to_registry(
    exp: Experiment, report: ExperimentReport, folds: list[FoldResult], out_dir: Path,
    bundle_path: Path,
) -> RegistryInfo:
    """Log the run (params, epoch and OOS metrics, report, bundle) and register the bundle."""
    spec = exp.registry
    registry = Registry(spec.tracking_uri, root=Path(spec.root), model_name=spec.model_name)
    epochs = [{"fold": f.fold, **row} for f in folds for row in f.history]
    oos = report.oos
    oos_metrics = {
        key: getattr(oos, key)
        for key in ("mcc", "mcc_ci", "accuracy", "accuracy_ci", "balanced_accuracy", "macro_f1",
                    "log_loss", "brier", "ece", "adaptive_ece", "roc_auc")
        if getattr(oos, key) is not None
    }
    record = registry.log_run(
        experiment=exp.name,
        params=exp.model_dump(mode="json"),
        epoch_metrics=epochs,
        oos_metrics=oos_metrics,
        report_dir=out_dir,
        bundle_dir=bundle_path,
        gate=report.gate.model_dump(mode="json"),
        tags={"data_fingerprint": report.data.fingerprint, "data_source": report.data.source},
    )
    return RegistryInfo(
        run_id=record.run_id,
        version=record.version,
        alias="candidate",
        model_name=record.model_name,
        tracking_uri=registry.tracking_uri,
        artifact_uri=record.artifact_uri,
    )


def importance_section(
    exp: Experiment, prep: Prepared, folds: list[FoldResult], fitted: dict[str, list[Any]]
) -> ImportanceSection | None:
    """The report's ``importance`` section from each fold's out-of-sample importances.

    TreeSHAP explains the LightGBM baseline fitted in each fold (``fitted["lightgbm"]``, as
    :func:`~tradewind.evaluation.run_baselines` hands it back) on the same test rows the
    permutation used. None when no fold measured importance.
    """
    per_fold = [f.importance for f in folds if f.importance is not None]
    if not per_fold:
        return None
    shap = None
    models = fitted.get("lightgbm") or []
    if "shap" in exp.importance.methods and len(models) == len(per_fold):
        lagged = lagged_features(prep.X, tuple(exp.baselines.lags))
        shap = [lightgbm_shap(model, lagged[f.rows], prep.n_features)
                for model, f in zip(models, per_fold, strict=True) if model is not None]
    summary = summarize_importance(per_fold, exp.importance, shap=shap or None)
    return ImportanceSection.model_validate(summary.to_dict())
