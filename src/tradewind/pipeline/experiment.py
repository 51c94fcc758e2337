"""``run_experiment``: the main job, read top to bottom.

load → features/labels → purged walk-forward folds (normalise, train, calibrate, predict)
→ out-of-sample metrics with block-bootstrap intervals beside baselines on the same rows
→ diagnostics → gate → refit on all data → bundle → MLflow → report.json + report.html.

With several series (``data.sources``) the folds lie on one calendar of timestamps, each
symbol is judged on its own rows as a single series is, and all rows are judged pooled
(see "Many series" in docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError
from rich.console import Console

from tradewind.block_bootstrap import BlockBootstrap
from tradewind.calibration import ece, softmax
from tradewind.config import DataSpec, Experiment, SeriesSource, format_validation_error
from tradewind.dataset import Split, series_split, shared_walk_forward
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
from tradewind.exceptions import ConfigError
from tradewind.pipeline.backtesting import backtest_section, oos_trading, write_predictions
from tradewind.pipeline.evidence import GateSections, gate_evidence
from tradewind.pipeline.exporting import export_run_bundle
from tradewind.pipeline.final import refit_and_bundle, refit_pooled_and_bundle
from tradewind.pipeline.folds import FoldResult, run_fold
from tradewind.pipeline.outdir import RunFolder, open_run_folder
from tradewind.pipeline.policy import PolicyOutcome, check_policy_rows
from tradewind.pipeline.portfolio import portfolio_backtest, risk_of
from tradewind.pipeline.prepare import Prepared, load_universe, prepare_universe
from tradewind.pipeline.reporting import (
    build_report,
    gate_sections,
    importance_section,
    log_to_registry,
)
from tradewind.pipeline.requirements import check_optional_packages
from tradewind.pipeline.teacher import teacher_student_section
from tradewind.pipeline.universe import fold_for_series, merge_folds, symbol_dirname
from tradewind.pipeline.universe_report import (
    pooled_data_summary,
    symbol_section,
    universe_section,
)
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
    symbols: dict[str, Judgement] | None = None  # per-symbol judgements (several series)


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


def _classify(
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


def _judge(exp: Experiment, prep: Prepared, folds: list[FoldResult], console: Console) -> Judgement:
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
    oos = _collect(prep, folds, baselines)
    metrics, boot, block, diagnostics, ece_before, ece_after, baseline_metrics = _classify(
        exp, prep, folds, oos)
    trading = oos_trading(exp, prep, folds, console) if exp.backtest.enabled else None
    sections = gate_sections(  # judged here and written to report.json as they are
        metrics, boot, baseline_metrics, diagnostics, folds,
        backtest=None if trading is None else backtest_section(exp, trading.fitted),
    )
    verdict = evaluate_gate(exp.gate, gate_evidence(sections))
    return Judgement(oos, metrics, boot, block, baseline_metrics, fitted, diagnostics,
                     ece_before, ece_after, trading, sections, verdict)


def _judge_pooled(exp: Experiment, prep: Prepared, folds: list[FoldResult],
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
    metrics, boot, block, diagnostics, ece_before, ece_after, baseline_metrics = _classify(
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


def _with_data(exp: Experiment, data: str | Sequence[str] | None) -> Experiment:
    """``exp`` reading ``data`` (``--data``: one source, or several series) instead."""
    if data is None:
        return exp
    if isinstance(data, str) or len(data) == 1:
        source = data if isinstance(data, str) else data[0]
        return exp.model_copy(update={"data": exp.data.model_copy(
            update={"source": source, "sources": []})})
    raw = exp.data.model_dump(exclude={"source", "symbol", "sources"})
    raw["sources"] = [SeriesSource(source=d) for d in data]
    try:
        spec = DataSpec.model_validate(raw)
        return Experiment.model_validate({**dict(exp), "data": spec})
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, "--data")) from None


def _series_experiment(exp: Experiment, item: SeriesSource) -> Experiment:
    """``exp`` as if it read only ``item`` (the bundle and report of one symbol)."""
    data = exp.data.model_copy(update={"source": item.source, "symbol": item.name, "sources": []})
    return exp.model_copy(update={"data": data})


def _print_fold(console: Console, fold: FoldResult, symbol: str = "") -> None:
    who = f"{symbol} " if symbol else ""
    teacher = "" if fold.teacher is None else f" (teacher {fold.teacher.metrics['mcc']:+.3f})"
    console.print(f"{who}fold {fold.fold + 1}: test MCC {fold.metrics['mcc']:+.3f}{teacher} on "
                  f"{len(fold.test_rows):,} rows, best epoch {fold.best_epoch}")


def _train_folds(
    exp: Experiment, prep: Prepared, splits: list[Split], console: Console, progress: bool,
) -> tuple[list[FoldResult], list[list[FoldResult]]]:
    """Every fold's out-of-sample output over stacked rows, and per symbol over its own rows.

    One series, or ``universe.mode: pooled``: one model per fold on every series' windows.
    ``per_symbol``: one model per symbol and fold, on the calendar's fold of that symbol.
    """
    if prep.n_series == 1 or exp.universe.mode == "pooled":
        folds = []
        for split in splits:
            console.rule(f"fold {split.fold + 1}/{len(splits)}")
            fold = run_fold(prep, exp, split, progress=progress)
            _print_fold(console, fold)
            folds.append(fold)
        if prep.n_series == 1:
            return folds, [folds]
        return folds, [[fold_for_series(prep, f, s) for f in folds] for s in range(prep.n_series)]
    starts = np.searchsorted(prep.series[prep.samples], np.arange(prep.n_series + 1))
    by_symbol: list[list[FoldResult]] = []
    for s, symbol in enumerate(prep.symbols):
        own = []
        for split in splits:
            console.rule(f"{symbol}: fold {split.fold + 1}/{len(splits)}")
            fold = run_fold(prep.view(s), exp, series_split(split, starts, s), progress=progress)
            _print_fold(console, fold, symbol)
            own.append(fold)
        by_symbol.append(own)
    merged = [merge_folds(prep, [own[k] for own in by_symbol]) for k in range(len(splits))]
    return merged, by_symbol


def run_experiment(
    exp: Experiment,
    *,
    out_dir: str | Path = "out",
    data: str | Sequence[str] | None = None,
    progress: bool = True,
    console: Console | None = None,
    html: bool = True,
    overwrite: bool = False,
) -> ExperimentResult:
    """Run one walk-forward experiment and write its bundle and report into ``out_dir``.

    ``data`` replaces the experiment's data: one source, or several (a universe of
    series, as ``data.sources``). ``html=False`` skips drawing ``report.html`` (seconds of
    charts per write), e.g. for sweep trials; ``report.json`` holds the same evidence.
    ``out_dir`` must be new, empty or a previous run's (replaced only with ``overwrite``);
    the run appears there whole at the end (see :mod:`tradewind.pipeline.outdir`).
    """
    console = console or Console(stderr=True, quiet=not progress)
    exp = _with_data(exp, data)
    if len(exp.data.sources) == 1:  # one series, however it was listed
        exp = _series_experiment(exp, exp.data.sources[0])
    check_optional_packages(exp)
    folder = open_run_folder(out_dir, overwrite=overwrite)  # refuses a folder up front
    out_dir = folder.staging
    universe = load_universe(exp)
    for item, candles in universe:
        label = exp.data.source if len(universe) == 1 else f"{item.name} ({item.source})"
        console.print(f"[bold]data[/] {label}: {len(candles):,} candles "
                      f"{candles.index[0]} → {candles.index[-1]}")
    prep = prepare_universe(exp, universe)
    horizon = exp.labels.horizon
    splits = shared_walk_forward(prep.index[prep.samples].as_unit("ns").asi8,
                                 prep.series[prep.samples], exp.split, horizon, prep.symbols)
    starts = np.searchsorted(prep.series[prep.samples], np.arange(prep.n_series + 1))
    check_policy_rows(exp, [len(series_split(s, starts, k).val) for s in splits
                            for k in range(prep.n_series)])
    console.print(f"[bold]features[/] {prep.n_features} ({prep.features.warmup_rows} warm-up rows "
                  f"dropped), {len(prep.samples):,} labelled windows, {len(splits)} folds")

    folds, by_symbol = _train_folds(exp, prep, splits, console, progress)
    if prep.n_series == 1:
        return _finish_one(exp, prep, folds, folder, console, progress=progress, html=html)
    return _finish_many(exp, prep, folds, by_symbol, universe, folder, console,
                        progress=progress, html=html)


def _finish_one(exp: Experiment, prep: Prepared, folds: list[FoldResult], folder: RunFolder,
                console: Console, *, progress: bool, html: bool) -> ExperimentResult:
    """Judge, refit, bundle and report a run over one series."""
    out_dir = folder.staging
    judged = _judge(exp, prep, folds, console)
    oos, metrics, verdict, trading = judged.oos, judged.metrics, judged.verdict, judged.trading
    classes = list(prep.classes)

    console.rule("refit on all labelled data")
    bundle_path = refit_and_bundle(
        prep, exp, folds, out_dir / "bundle", metrics=metrics, boot=judged.boot,
        verdict=verdict, progress=progress,
    )
    report = build_report(
        exp, prep, folds, oos, sections=judged.sections, verdict=verdict,
        ece_before=judged.ece_before, ece_after=judged.ece_after,
        bundle_path=folder.final_path(bundle_path),
    )
    if trading is not None:
        report = report.model_copy(update={"policy": trading.section})
    if exp.importance.enabled:
        report = report.model_copy(
            update={"importance": importance_section(exp, prep, folds, judged.fitted)})
    distillation = teacher_student_section(exp, folds, oos.y, oos.probs, classes,
                                           block=judged.block)
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


def _finish_many(
    exp: Experiment, prep: Prepared, folds: list[FoldResult], by_symbol: list[list[FoldResult]],
    universe: list[tuple[SeriesSource, Any]], folder: RunFolder, console: Console, *,
    progress: bool, html: bool,
) -> ExperimentResult:
    """Judge every symbol on its own rows and all of them pooled; a bundle per symbol."""
    out_dir = folder.staging
    items = [item for item, _ in universe]
    own_exp = [_series_experiment(exp, item) for item in items]
    judged = []
    for s, item in enumerate(items):
        console.rule(f"{item.name}: out of sample")
        judged.append(_judge(own_exp[s], prep.view(s), by_symbol[s], console))
    pooled = _judge_pooled(exp, prep, folds, judged, by_symbol)

    bundles = {item.name: out_dir / "bundle" / symbol_dirname(item.name) for item in items}
    if exp.universe.mode == "per_symbol":
        for s, item in enumerate(items):
            console.rule(f"{item.name}: refit on all its labelled data")
            refit_and_bundle(prep.view(s), own_exp[s], by_symbol[s], bundles[item.name],
                             metrics=judged[s].metrics, boot=judged[s].boot,
                             verdict=judged[s].verdict, progress=progress)
    else:
        console.rule("refit on all labelled data of every symbol")
        refit_pooled_and_bundle(
            prep, exp, folds,
            [(own_exp[s], bundles[item.name], judged[s].metrics, judged[s].boot,
              judged[s].verdict) for s, item in enumerate(items)],
            progress=progress,
        )
    sections, own_reports = {}, []
    for s, item in enumerate(items):
        j = judged[s]
        report = build_report(
            own_exp[s], prep.view(s), by_symbol[s], j.oos, sections=j.sections,
            verdict=j.verdict, ece_before=j.ece_before, ece_after=j.ece_after,
            bundle_path=folder.final_path(bundles[item.name]),
        )
        update: dict[str, Any] = {}
        if j.trading is not None:
            update["policy"] = j.trading.section
        if exp.importance.enabled and exp.universe.mode == "per_symbol":
            update["importance"] = importance_section(own_exp[s], prep.view(s), by_symbol[s],
                                                      j.fitted)
        own_reports.append(report.model_copy(update=update))
        sections[item.name] = symbol_section(own_reports[-1])
        write_predictions(_mkdir(out_dir / "symbols" / symbol_dirname(item.name)),
                          prep.view(s), j.oos, j.trading)
    report = build_report(
        exp, prep, folds, pooled.oos, sections=pooled.sections, verdict=pooled.verdict,
        ece_before=pooled.ece_before, ece_after=pooled.ece_after,
        bundle_path=folder.final_path(out_dir / "bundle"),
    )
    update = {"data": pooled_data_summary(prep, universe, sections),
              "universe": universe_section(exp, sections, pooled.verdict)}
    if exp.importance.enabled and exp.universe.mode == "pooled":
        update["importance"] = importance_section(exp, prep, folds, {})
    report = report.model_copy(update=update)
    console.print(f"[bold]universe[/] {report.universe.headline}")
    json_path, html_path = write_report(report, out_dir, html=html)
    if exp.registry.enabled:  # after the report: each run logs it beside its symbol's bundle
        for s, item in enumerate(items):
            registry = exp.registry.model_copy(update={
                "model_name": f"{exp.registry.model_name}-{symbol_dirname(item.name)}"})
            record = log_to_registry(own_exp[s].model_copy(update={"registry": registry}),
                                     own_reports[s], by_symbol[s], out_dir, bundles[item.name])
            sections[item.name] = sections[item.name].model_copy(update={"registry": record})
        report = report.model_copy(update={"universe": universe_section(
            exp, sections, pooled.verdict)})
        json_path, html_path = write_report(report, out_dir, html=html)
    folder.commit()
    return ExperimentResult(
        report=report,
        report_json=folder.final_path(json_path),
        report_html=None if html_path is None else folder.final_path(html_path),
        bundle_path=folder.final_path(out_dir / "bundle"),
        gate_passed=bool(pooled.verdict.passed),
        registry=None,
        oos=pooled.oos,
        index=prep.index,
        symbols=dict(zip([item.name for item in items], judged, strict=True)),
    )


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
