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

from tradewind.artifacts.universe import write_universe_index
from tradewind.config import DataSpec, Experiment, SeriesSource, format_validation_error
from tradewind.dataset import Split, series_split, shared_walk_forward
from tradewind.exceptions import ConfigError
from tradewind.monitor.reference import Promises, promises_from_report
from tradewind.pipeline.backtesting import write_predictions
from tradewind.pipeline.exporting import export_run_bundle
from tradewind.pipeline.final import refit_and_bundle, refit_pooled_and_bundle
from tradewind.pipeline.folds import FoldResult, run_fold
from tradewind.pipeline.judging import Judgement, OutOfSample, judge, judge_pooled
from tradewind.pipeline.mode_comparison import compare_modes
from tradewind.pipeline.outdir import RunFolder, open_run_folder
from tradewind.pipeline.policy import check_policy_rows
from tradewind.pipeline.prepare import Prepared, load_universe, prepare_universe
from tradewind.pipeline.reporting import (
    build_report,
    importance_section,
    log_to_registry,
)
from tradewind.pipeline.requirements import check_optional_packages
from tradewind.pipeline.symbol_tasks import check_address, train_symbols_on_ray
from tradewind.pipeline.teacher import teacher_student_section
from tradewind.pipeline.universe import (
    fold_for_series,
    merge_folds,
    series_experiment,
    symbol_dirname,
    symbol_model_name,
)
from tradewind.pipeline.universe_report import (
    pooled_data_summary,
    symbol_section,
    universe_section,
)
from tradewind.report import write_report

__all__ = ["ExperimentResult", "OutOfSample", "run_experiment"]


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


def _check_folder_names(sources: Sequence[SeriesSource]) -> None:
    """Refuse two symbols whose bundle folders would be one (``A/B`` and ``A-B``)."""
    seen: dict[str, str] = {}
    for item in sources:
        folder = symbol_dirname(item.name)
        if folder in seen:
            raise ConfigError(
                f"data.sources: symbols {seen[folder]!r} and {item.name!r} would share the "
                f"bundle folder bundle/{folder}; rename one of them"
            )
        seen[folder] = item.name


def _check_embedding(exp: Experiment) -> None:
    """Refuse ``universe.embedding`` for a run over one series (one symbol: one vector)."""
    if exp.universe.embedding and len(exp.data.sources) < 2:
        raise ConfigError(
            f"universe.embedding={exp.universe.embedding} needs several series (data.sources or "
            f"--data given twice or more), and this run reads one ({exp.data.source}); set "
            "universe.embedding: 0 or add symbols"
        )


def _print_fold(console: Console, fold: FoldResult, symbol: str = "") -> None:
    who = f"{symbol} " if symbol else ""
    teacher = "" if fold.teacher is None else f" (teacher {fold.teacher.metrics['mcc']:+.3f})"
    console.print(f"{who}fold {fold.fold + 1}: test MCC {fold.metrics['mcc']:+.3f}{teacher} on "
                  f"{len(fold.test_rows):,} rows, best epoch {fold.best_epoch}")


def _train_folds(
    exp: Experiment, prep: Prepared, splits: list[Split], console: Console, progress: bool,
    address: str | None = None, anchor: Path | None = None,
) -> tuple[list[FoldResult], list[list[FoldResult]]]:
    """Every fold's out-of-sample output over stacked rows, and per symbol over its own rows.

    One series, or ``universe.mode: pooled``: one model per fold on every series' windows.
    ``per_symbol``: one model per symbol and fold, on the calendar's fold of that symbol;
    with ``address`` each of those is a Ray task (:mod:`~tradewind.pipeline.symbol_tasks`).
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
    if address is not None:  # each (symbol, fold) a Ray task: the folds of the loop below
        on_ray = train_symbols_on_ray(prep, exp, splits, address, anchor or Path("."))
        for symbol, own in zip(prep.symbols, on_ray, strict=True):
            for fold in own:
                _print_fold(console, fold, symbol)
        return [merge_folds(prep, [own[k] for own in on_ray]) for k in range(len(splits))], on_ray
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
    address: str | None = None,
) -> ExperimentResult:
    """Run one walk-forward experiment and write its bundle and report into ``out_dir``.

    ``data`` replaces the experiment's data: one source, or several (a universe of
    series, as ``data.sources``). ``html=False`` skips drawing ``report.html`` (seconds of
    charts per write), e.g. for sweep trials; ``report.json`` holds the same evidence.
    ``out_dir`` must be new, empty or a previous run's (replaced only with ``overwrite``);
    the run appears there whole at the end (see :mod:`tradewind.pipeline.outdir`).
    ``address`` trains a ``per_symbol`` universe's symbols as Ray tasks: ``local`` (Ray on
    this machine's cores) or a cluster (``ray://host:10001``, ``host:6379``, ``auto``).
    """
    console = console or Console(stderr=True, quiet=not progress)
    exp = _with_data(exp, data)
    if len(exp.data.sources) == 1:  # one series, however it was listed
        exp = series_experiment(exp, exp.data.sources[0])
    _check_folder_names(exp.data.sources)
    _check_embedding(exp)
    check_optional_packages(exp)
    check_address(exp, address)
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

    folds, by_symbol = _train_folds(exp, prep, splits, console, progress, address,
                                    folder.final)
    if prep.n_series == 1:
        return _finish_one(exp, prep, folds, folder, console, progress=progress, html=html)
    other = _train_other_mode(exp, prep, splits, console, progress)
    return _finish_many(exp, prep, folds, by_symbol, universe, folder, console,
                        progress=progress, html=html, other=other)


def _train_other_mode(exp: Experiment, prep: Prepared, splits: list[Split], console: Console,
                      progress: bool) -> list[list[FoldResult]] | None:
    """With ``universe.compare_modes``: the other mode's folds per symbol, on the same splits
    (for the comparison only; no importance, no bundle, no verdict)."""
    if not exp.universe.compare_modes:
        return None
    mode = "per_symbol" if exp.universe.mode == "pooled" else "pooled"
    console.rule(f"comparison: {mode} model{'s' if mode == 'per_symbol' else ''} on the same folds")
    other = exp.model_copy(update={
        "universe": exp.universe.model_copy(update={"mode": mode}),
        "importance": exp.importance.model_copy(update={"enabled": False})})
    return _train_folds(other, prep, splits, console, progress)[1]


def _finish_one(exp: Experiment, prep: Prepared, folds: list[FoldResult], folder: RunFolder,
                console: Console, *, progress: bool, html: bool) -> ExperimentResult:
    """Judge, refit, bundle and report a run over one series."""
    out_dir = folder.staging
    judged = judge(exp, prep, folds, console)
    oos, metrics, verdict, trading = judged.oos, judged.metrics, judged.verdict, judged.trading
    classes = list(prep.classes)

    console.rule("refit on all labelled data")
    bundle_path = refit_and_bundle(
        prep, exp, folds, out_dir / "bundle", metrics=metrics, boot=judged.boot,
        verdict=verdict, progress=progress,
        promises=promises_from_report(judged.sections.oos,
                                      None if trading is None else trading.section),
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


def _promises(judged: Judgement) -> Promises:
    """What a symbol's bundle promises its monitor: its own out-of-sample figures."""
    return promises_from_report(judged.sections.oos,
                                None if judged.trading is None else judged.trading.section)


def _finish_many(
    exp: Experiment, prep: Prepared, folds: list[FoldResult], by_symbol: list[list[FoldResult]],
    universe: list[tuple[SeriesSource, Any]], folder: RunFolder, console: Console, *,
    progress: bool, html: bool, other: list[list[FoldResult]] | None = None,
) -> ExperimentResult:
    """Judge every symbol on its own rows and all of them pooled; a bundle per symbol.

    ``other``: the other mode's folds per symbol, compared with ``by_symbol`` on the same rows.
    """
    out_dir = folder.staging
    items = [item for item, _ in universe]
    own_exp = [series_experiment(exp, item) for item in items]
    judged = []
    for s, item in enumerate(items):
        console.rule(f"{item.name}: out of sample")
        judged.append(judge(own_exp[s], prep.view(s), by_symbol[s], console))
    pooled = judge_pooled(exp, prep, folds, judged, by_symbol)
    comparison = None if other is None else compare_modes(
        exp, prep, *((by_symbol, other) if exp.universe.mode == "pooled" else (other, by_symbol)))

    bundles = {item.name: out_dir / "bundle" / symbol_dirname(item.name) for item in items}
    if exp.universe.mode == "per_symbol":
        for s, item in enumerate(items):
            console.rule(f"{item.name}: refit on all its labelled data")
            refit_and_bundle(prep.view(s), own_exp[s], by_symbol[s], bundles[item.name],
                             metrics=judged[s].metrics, boot=judged[s].boot,
                             verdict=judged[s].verdict, progress=progress,
                             promises=_promises(judged[s]))
    else:
        console.rule("refit on all labelled data of every symbol")
        refit_pooled_and_bundle(
            prep, exp, folds,
            [(own_exp[s], bundles[item.name], judged[s].metrics, judged[s].boot,
              judged[s].verdict, _promises(judged[s])) for s, item in enumerate(items)],
            progress=progress,
        )
    write_universe_index(out_dir / "bundle", exp.universe.mode, prep.timeframe,
                         {item.name: symbol_dirname(item.name) for item in items})
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
        data=pooled_data_summary(prep, universe, sections),
    )
    update = {"universe": universe_section(exp, sections, pooled.verdict, comparison)}
    if exp.importance.enabled and exp.universe.mode == "pooled":
        update["importance"] = importance_section(exp, prep, folds, {})
    report = report.model_copy(update=update)
    console.print(f"[bold]universe[/] {report.universe.headline}")
    if comparison is not None:
        console.print(f"[bold]pooled vs per_symbol[/] {comparison.answer}")
    json_path, html_path = write_report(report, out_dir, html=html)
    if exp.registry.enabled:  # after the report: each run logs it beside its symbol's bundle
        for s, item in enumerate(items):
            registry = exp.registry.model_copy(update={
                "model_name": symbol_model_name(exp.registry.model_name, item.name)})
            record = log_to_registry(own_exp[s].model_copy(update={"registry": registry}),
                                     own_reports[s], by_symbol[s], out_dir, bundles[item.name])
            sections[item.name] = sections[item.name].model_copy(update={"registry": record})
        report = report.model_copy(update={"universe": universe_section(
            exp, sections, pooled.verdict, comparison)})
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
