"""Judging out-of-sample rows: one series' (or one symbol's) and every symbol's pooled.

``judge`` is the single-series evaluation: baselines fitted on the same folds, metrics
with moving-block bootstrap intervals, diagnostics, the per-fold trading policy and the
gate. ``judge_pooled`` judges the rows of several symbols together: each row keeps its
symbol's baselines, intervals resample time blocks jointly across symbols, and the
backtest is the equal-risk portfolio of the symbols' fitted policies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.console import Console

from tradewind.block_bootstrap import BlockBootstrap
from tradewind.calibration import ece, softmax
from tradewind.config import Experiment
from tradewind.evaluation import (
    BootstrapResult,
    ClassificationMetrics,
    Diagnostics,
    DiagnosticThresholds,
    GateVerdict,
    classification_metrics,
    diagnose,
    evaluate_gate,
    input_scale_audit,
    moving_block_bootstrap_ci,
    run_baselines,
)
from tradewind.pipeline.backtesting import backtest_section, oos_trading
from tradewind.pipeline.evidence import GateSections, gate_evidence
from tradewind.pipeline.folds import FoldResult
from tradewind.pipeline.policy import PolicyOutcome
from tradewind.pipeline.portfolio import portfolio_backtest, risk_of
from tradewind.pipeline.prepare import Prepared
from tradewind.pipeline.reporting import gate_sections

__all__ = ["Judgement", "OutOfSample", "classify", "collect_oos", "judge", "judge_pooled"]


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
class Judgement:
    """Everything one set of out-of-sample rows was judged on, and the verdict."""

    oos: OutOfSample
    metrics: ClassificationMetrics
    boot: BootstrapResult
    block: int
    baseline_metrics: dict[str, ClassificationMetrics]
    fitted: dict[str, list[Any]]  # per-fold baseline models, for TreeSHAP
    diagnostics: Diagnostics
    ece_before: float
    ece_after: float
    trading: PolicyOutcome | None
    sections: GateSections
    verdict: GateVerdict


def collect_oos(prep: Prepared, folds: list[FoldResult], baselines: dict[str, np.ndarray]) -> OutOfSample:
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


def classify(
    exp: Experiment, prep: Prepared, folds: list[FoldResult], oos: OutOfSample,
    time_keys: np.ndarray | None = None,
) -> tuple[ClassificationMetrics, BootstrapResult, int, Diagnostics, float, float,
           dict[str, ClassificationMetrics]]:
    """Metrics, bootstrap intervals (joint over series when ``time_keys``), diagnostics."""
    horizon = exp.labels.horizon
    classes = list(prep.classes)
    metrics = classification_metrics(oos.y, oos.probs, classes)
    preds = {"model": oos.pred, **{k: v.argmax(axis=1) for k, v in oos.baselines.items()}}
    block = BlockBootstrap(**exp.bootstrap.model_dump()).block_length(horizon)
    boot = moving_block_bootstrap_ci(
        oos.y, preds, model_key="model", block=block, horizon=horizon,
        n_boot=exp.bootstrap.n_boot, seed=exp.seed, level=exp.bootstrap.level,
        time_keys=time_keys,
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
        name: classification_metrics(oos.y, probs, classes) for name, probs in oos.baselines.items()
    }
    return metrics, boot, block, diagnostics, ece_before, ece_after, baseline_metrics


def judge(exp: Experiment, prep: Prepared, folds: list[FoldResult], console: Console) -> Judgement:
    """Judge one series' out-of-sample rows: baselines on the same folds, metrics with
    intervals, diagnostics, the fitted trading policy, the gate."""
    baseline_folds = [
        (np.concatenate([f.train_rows, f.val_rows]), f.test_rows) for f in folds
    ]
    fitted: dict[str, list[Any]] = {}  # per-fold baseline models, for TreeSHAP
    baselines = run_baselines(
        prep.X, prep.last_return, prep.y, baseline_folds, len(prep.classes),
        lags=tuple(exp.baselines.lags), include=tuple(exp.baselines.include), seed=exp.seed,
        fitted=fitted,
    )
    oos = collect_oos(prep, folds, baselines)
    metrics, boot, block, diagnostics, ece_before, ece_after, baseline_metrics = classify(
        exp, prep, folds, oos)
    trading = oos_trading(exp, prep, folds, console) if exp.backtest.enabled else None
    sections = gate_sections(  # judged here and written to report.json as they are
        metrics, boot, baseline_metrics, diagnostics, folds,
        backtest=None if trading is None else backtest_section(exp, trading.fitted),
    )
    verdict = evaluate_gate(exp.gate, gate_evidence(sections))
    return Judgement(oos, metrics, boot, block, baseline_metrics, fitted, diagnostics,
                     ece_before, ece_after, trading, sections, verdict)


def judge_pooled(exp: Experiment, prep: Prepared, folds: list[FoldResult],
                  symbols: list[Judgement], by_symbol: list[list[FoldResult]]) -> Judgement:
    """Judge the rows of every symbol together: each row keeps its symbol's baselines, the
    intervals resample time blocks jointly across symbols, and the backtest is the
    equal-risk portfolio of the symbols' fitted policies."""
    rows = np.concatenate([j.oos.rows + prep.offsets[s] for s, j in enumerate(symbols)])
    times = prep.index[rows].as_unit("ns").asi8
    order = np.lexsort((prep.series[rows], times))  # time order, then series

    def cat(get: Any) -> np.ndarray:
        return np.concatenate([get(j) for j in symbols])[order]

    oos = OutOfSample(
        rows=rows[order],
        y=cat(lambda j: j.oos.y),
        logits=cat(lambda j: j.oos.logits),
        probs=cat(lambda j: j.oos.probs),
        fold_ids=cat(lambda j: j.oos.fold_ids),
        baselines={name: cat(lambda j, n=name: j.oos.baselines[n])
                   for name in symbols[0].oos.baselines},
    )
    metrics, boot, block, diagnostics, ece_before, ece_after, baseline_metrics = classify(
        exp, prep, folds, oos, time_keys=times[order])
    backtest = None
    if exp.backtest.enabled:
        traded = [j.trading.fitted for j in symbols if j.trading is not None]
        risk = [risk_of(prep.view(s).last_return, own[0].train_rows, prep.symbols[s])
                for s, own in enumerate(by_symbol)]
        backtest = portfolio_backtest(exp, prep.symbols, traded, risk, prep.timeframe)
    sections = gate_sections(metrics, boot, baseline_metrics, diagnostics, folds,
                             backtest=backtest)
    verdict = evaluate_gate(exp.gate, gate_evidence(sections))
    return Judgement(oos, metrics, boot, block, baseline_metrics, {}, diagnostics,
                     ece_before, ece_after, None, sections, verdict)
