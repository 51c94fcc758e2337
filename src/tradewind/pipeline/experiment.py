"""``run_experiment``: the main job, read top to bottom.

load → features/labels → purged walk-forward folds (normalise, train, calibrate, predict)
→ out-of-sample metrics with block-bootstrap intervals beside baselines on the same rows
→ diagnostics → gate → refit on all data → bundle → MLflow → report.json + report.html.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from tradewind.block_bootstrap import BlockBootstrap
from tradewind.calibration import ece, softmax
from tradewind.config import Experiment
from tradewind.dataset import walk_forward
from tradewind.evaluation import (
    DiagnosticThresholds,
    classification_metrics,
    diagnose,
    evaluate_gate,
    input_scale_audit,
    moving_block_bootstrap_ci,
    run_baselines,
)
from tradewind.monitor.reference import promises_from_report
from tradewind.pipeline.backtesting import backtest_section, oos_trading, write_predictions
from tradewind.pipeline.evidence import gate_evidence
from tradewind.pipeline.exporting import export_run_bundle
from tradewind.pipeline.final import refit_and_bundle
from tradewind.pipeline.folds import FoldResult, run_fold
from tradewind.pipeline.outdir import open_run_folder
from tradewind.pipeline.policy import check_policy_rows
from tradewind.pipeline.prepare import Prepared, load_candles, prepare
from tradewind.pipeline.reporting import (
    build_report,
    gate_sections,
    importance_section,
    log_to_registry,
)
from tradewind.pipeline.requirements import check_optional_packages
from tradewind.pipeline.teacher import teacher_student_section
from tradewind.report import write_report

__all__ = ["ExperimentResult", "OutOfSample", "run_experiment"]


@dataclass
class OutOfSample:
    """Concatenated out-of-sample predictions of every fold, in time order."""

    rows: np.ndarray
    y: np.ndarray
    logits: np.ndarray
    probs: np.ndarray
    fold_ids: np.ndarray
    baselines: dict[str, np.ndarray]
    teacher_probs: np.ndarray | None = None  # the distillation teacher's, when there is one

    @property
    def pred(self) -> np.ndarray:
        return self.probs.argmax(axis=1)


@dataclass
class ExperimentResult:
    """What ``tradewind run`` produced, for notebooks and the CLI alike."""

    report: Any
    report_json: Path
    report_html: Path | None
    bundle_path: Path
    gate_passed: bool
    registry: Any
    oos: OutOfSample
    index: Any  # timestamps of the feature rows; ``index[oos.rows]`` dates each OOS row
    trading: Any = None  # PolicyOutcome: the per-fold policies and their out-of-sample trades


def _collect(prep: Prepared, folds: list[FoldResult], baselines: dict[str, np.ndarray]) -> OutOfSample:
    rows = np.concatenate([f.test_rows for f in folds])
    return OutOfSample(
        rows=rows,
        y=prep.y[rows],
        logits=np.concatenate([f.logits for f in folds]),
        probs=np.concatenate([f.probs for f in folds]),
        fold_ids=np.concatenate([np.full(len(f.test_rows), f.fold) for f in folds]),
        baselines=baselines,
        teacher_probs=(
            np.concatenate([f.teacher.probs for f in folds if f.teacher is not None])
            if all(f.teacher is not None for f in folds) else None
        ),
    )


def run_experiment(
    exp: Experiment,
    *,
    out_dir: str | Path = "out",
    data: str | None = None,
    progress: bool = True,
    console: Console | None = None,
    html: bool = True,
    overwrite: bool = False,
) -> ExperimentResult:
    """Run one walk-forward experiment and write its bundle and report into ``out_dir``.

    ``html=False`` skips drawing ``report.html`` (seconds of charts per write), e.g. for
    sweep trials; ``report.json`` holds the same evidence. ``out_dir`` must be new, empty or
    a previous run's (replaced only with ``overwrite``); the run appears there whole at the
    end (see :mod:`tradewind.pipeline.outdir`).
    """
    console = console or Console(stderr=True, quiet=not progress)
    check_optional_packages(exp)
    folder = open_run_folder(out_dir, overwrite=overwrite)  # refuses a folder up front
    out_dir = folder.staging
    if data is not None:
        exp = exp.model_copy(update={"data": exp.data.model_copy(update={"source": data})})
    candles = load_candles(exp)
    console.print(f"[bold]data[/] {exp.data.source}: {len(candles):,} candles "
                  f"{candles.index[0]} → {candles.index[-1]}")
    prep = prepare(exp, candles)
    horizon = exp.labels.horizon
    splits = walk_forward(len(prep.samples), exp.split, horizon)
    check_policy_rows(exp, [len(s.val) for s in splits])
    console.print(f"[bold]features[/] {prep.n_features} ({prep.features.warmup_rows} warm-up rows "
                  f"dropped), {len(prep.samples):,} labelled windows, {len(splits)} folds")

    folds: list[FoldResult] = []
    for split in splits:
        console.rule(f"fold {split.fold + 1}/{len(splits)}")
        fold = run_fold(prep, exp, split, progress=progress)
        teacher = "" if fold.teacher is None else f" (teacher {fold.teacher.metrics['mcc']:+.3f})"
        console.print(f"fold {split.fold + 1}: test MCC {fold.metrics['mcc']:+.3f}{teacher} on "
                      f"{len(fold.test_rows):,} rows, best epoch {fold.best_epoch}")
        folds.append(fold)

    baseline_folds = [
        (np.concatenate([f.train_rows, f.val_rows]), f.test_rows) for f in folds
    ]
    fitted: dict[str, list[Any]] = {}  # per-fold baseline models, for TreeSHAP
    baselines = run_baselines(
        prep.X, prep.last_return, prep.y, baseline_folds, len(prep.classes),
        lags=tuple(exp.baselines.lags), include=tuple(exp.baselines.include), seed=exp.seed,
        fitted=fitted,
    )
    oos = _collect(prep, folds, baselines)
    classes = list(prep.classes)
    metrics = classification_metrics(oos.y, oos.probs, classes)
    preds = {"model": oos.pred, **{k: v.argmax(axis=1) for k, v in baselines.items()}}
    block = BlockBootstrap(**exp.bootstrap.model_dump()).block_length(horizon)
    boot = moving_block_bootstrap_ci(
        oos.y, preds, model_key="model", block=block, horizon=horizon,
        n_boot=exp.bootstrap.n_boot, seed=exp.seed, level=exp.bootstrap.level,
    )
    ece_before = float(ece(softmax(oos.logits), oos.y))
    ece_after = float(ece(oos.probs, oos.y))
    audit = input_scale_audit(np.concatenate([f.model_input for f in folds]),
                              prep.features.names)
    diagnostics = diagnose(
        oos.logits, oos.probs, oos.y, classes=classes, fold_ids=oos.fold_ids,
        fold_mcc=[float(f.metrics["mcc"]) for f in folds], input_stats=audit,
        ece_before=ece_before, ece_after=ece_after,
        thresholds=DiagnosticThresholds.from_gate(exp.gate),
    )
    baseline_metrics = {
        name: classification_metrics(oos.y, probs, classes) for name, probs in baselines.items()
    }
    trading = oos_trading(exp, prep, folds, console) if exp.backtest.enabled else None
    sections = gate_sections(  # judged here and written to report.json as they are
        metrics, boot, baseline_metrics, diagnostics, folds,
        backtest=None if trading is None else backtest_section(exp, trading.fitted),
    )
    verdict = evaluate_gate(exp.gate, gate_evidence(sections))

    console.rule("refit on all labelled data")
    bundle_path = refit_and_bundle(
        prep, exp, folds, out_dir / "bundle", metrics=metrics, boot=boot,
        verdict=verdict, progress=progress,
        promises=promises_from_report(sections.oos, None if trading is None else trading.section),
    )
    report = build_report(
        exp, prep, folds, oos, sections=sections, verdict=verdict, ece_before=ece_before,
        ece_after=ece_after, bundle_path=folder.final_path(bundle_path),
    )
    if trading is not None:
        report = report.model_copy(update={"policy": trading.section})
    if exp.importance.enabled:
        report = report.model_copy(
            update={"importance": importance_section(exp, prep, folds, fitted)})
    distillation = teacher_student_section(exp, folds, oos.y, oos.probs, classes, block=block)
    if distillation is not None:
        report = report.model_copy(update={"distillation": distillation})
        console.print(f"[bold]teacher[/] MCC {distillation.teacher.mcc:+.3f} vs student "
                      f"{metrics.mcc:+.3f}: {distillation.reading}")
    json_path, html_path = write_report(report, out_dir, html=html)
    write_predictions(out_dir, prep, oos, trading)
    exported = export_run_bundle(exp, bundle_path, out_dir)  # before MLflow: a failed export
    if exported is not None:                                 # is never registered
        exported["dir"] = str(folder.final_path(exported["dir"]))
        console.print(f"[bold]export[/] {exported['format']}: {', '.join(exported['files'])} "
                      f"→ {exported['dir']}")
        report = report.model_copy(update={"export": exported})
        json_path, html_path = write_report(report, out_dir, html=html)
    record = None
    if exp.registry.enabled:
        record = log_to_registry(exp, report, folds, out_dir, bundle_path)
        report = report.model_copy(update={"registry": record})
        json_path, html_path = write_report(report, out_dir, html=html)
    folder.commit()
    return ExperimentResult(
        report=report,
        report_json=folder.final_path(json_path),
        report_html=None if html_path is None else folder.final_path(html_path),
        bundle_path=folder.final_path(bundle_path),
        gate_passed=bool(verdict.passed),
        registry=record,
        oos=oos,
        index=prep.index,
        trading=trading,
    )
