"""``retrain_experiment``: champion/challenger retraining, read top to bottom.

load the candles → split (training window | purge | newest holdout) → the champion, refused
if it trained on the holdout → ``run_experiment`` on the training window only (gate, bundle,
registry version = the challenger) → both bundles predict and trade the holdout → paired
block-bootstrap intervals of challenger − champion → decision → the ``champion`` alias moves
(only when promoting, never in a dry run) → ``retrain_decision.json`` and ``retrain.*`` tags.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console

from tradewind import __version__
from tradewind.artifacts.bundle import Bundle, data_fingerprint, load_bundle
from tradewind.artifacts.registry import Registry
from tradewind.block_bootstrap import BlockBootstrap
from tradewind.config import Experiment
from tradewind.exceptions import ConfigError, DataError
from tradewind.labels import class_names
from tradewind.pipeline.experiment import ExperimentResult, run_experiment
from tradewind.pipeline.prepare import load_candles
from tradewind.pipeline.universe import series_experiment
from tradewind.retrain.champion import (
    Champion,
    check_champion_before_holdout,
    load_champion,
    training_end,
)
from tradewind.retrain.compare import CHALLENGER, CHAMPION, MetricComparison, compare_on_holdout
from tradewind.retrain.decide import Decision, decide
from tradewind.retrain.holdout import HoldoutScore, holdout_labels, score_on_holdout
from tradewind.retrain.record import record_decision
from tradewind.retrain.split import RetrainSplit, split_candles

__all__ = ["RetrainResult", "retrain_experiment"]

CHALLENGER_DIR = "challenger"


@dataclass(frozen=True)
class RetrainResult:
    """What a retrain decided and where it left the evidence."""

    decision: Decision
    promoted: bool  # the champion alias moved to the challenger
    dry_run: bool
    challenger_version: str
    champion_version: str | None
    gate_passed: bool
    gate_failing: list[str]
    split: RetrainSplit
    comparisons: dict[str, MetricComparison]
    decision_path: Path
    run: ExperimentResult
    document: dict[str, Any]


def _training_experiment(exp: Experiment, split: RetrainSplit) -> Experiment:
    """The experiment restricted to the training window (``data.start``/``data.end``)."""
    data = exp.data.model_copy(update={"start": split.train_start.isoformat(),
                                       "end": split.train_end.isoformat()})
    return exp.model_copy(update={"data": data})


def _check_trained_on(bundle: Bundle, candles: pd.DataFrame, split: RetrainSplit) -> None:
    """The challenger's manifest must record exactly the training window's candles."""
    window = candles.iloc[split.train_begin:split.train_stop]
    if bundle.fingerprint != data_fingerprint(window):
        raise DataError(
            f"retrain: the challenger was trained on other candles than the window "
            f"{split.train_start} to {split.train_end} ({split.train_bars} bars) read at the "
            "start: the data source changed while it trained. Run the retrain again"
        )


def _check_holdout_rows(y: np.ndarray, block: int) -> None:
    """Refuse, before any training, a holdout too short for one bootstrap block of labels."""
    labelled = int((y >= 0).sum())
    if labelled < block:
        raise DataError(
            f"retrain: the holdout has {labelled} labelled rows, fewer than one bootstrap block "
            f"({block} rows); lengthen retrain.holdout"
        )


def _iso(value: str | None) -> str | None:
    return None if not value else pd.Timestamp(value).isoformat()


def _model_entry(version: str | None, bundle: Bundle | None, score: HoldoutScore | None,
                 **extra: Any) -> dict[str, Any]:
    if bundle is None or score is None:
        return {"version": version}
    return {
        "version": version, "trained_from": _iso(bundle.manifest.data.get("first")),
        "trained_until": training_end(bundle).isoformat(),
        "holdout_trades": score.n_trades, "policy": score.policy, **extra,
    }


def retrain_experiment(
    exp: Experiment,
    *,
    data: str | None = None,
    out_dir: str | Path = "out/retrain",
    dry_run: bool = False,
    progress: bool = True,
    console: Console | None = None,
    html: bool = False,
) -> RetrainResult:
    """Train a challenger on the newest data, judge it against the champion, maybe promote it.

    The challenger's run goes to ``out_dir/challenger`` (a previous retrain's run there is
    replaced; ``tradewind report`` draws its HTML later unless ``html``), the decision to
    ``out_dir/retrain_decision.json``. ``dry_run`` records everything but never moves the
    ``champion`` alias. See ``docs/RETRAIN.md`` for the rule and the registry tags.

    Raises
    ------
    ConfigError
        The experiment's registry is off (a retrain needs a champion alias to judge against).
    LeakageError
        The champion's training data reaches into the holdout.
    DataError
        Too little data for the holdout, the purge and a training window.
    """
    console = console or Console(stderr=True, quiet=not progress)
    if not exp.registry.enabled:
        raise ConfigError("retrain: registry.enabled is false; a retrain judges against the "
                          "registry's champion and records its decision there. Set it to true")
    series = exp.data.series()
    if len(series) > 1:
        raise ConfigError(
            f"retrain_experiment reads one series and this experiment lists {len(series)} in "
            "data.sources; retrain_universe retrains each symbol against its own champion "
            "(`tradewind retrain` calls it)")
    if exp.data.sources:  # one series listed under data.sources
        exp = series_experiment(exp, series[0])
    if data is not None:
        exp = exp.model_copy(update={"data": exp.data.model_copy(update={"source": data})})
    out_dir = Path(out_dir)
    candles = load_candles(exp)
    horizon = exp.labels.horizon
    split = split_candles(candles, exp.retrain, horizon)
    y = holdout_labels(exp, candles, split)
    bootstrap = BlockBootstrap(**exp.bootstrap.model_dump())
    _check_holdout_rows(y, bootstrap.block_length(horizon))
    spec = exp.registry
    registry = Registry(spec.tracking_uri, root=Path(spec.root), model_name=spec.model_name)
    champion: Champion | None = load_champion(registry)
    if champion is not None:
        check_champion_before_holdout(champion, split)
    console.print(f"[bold]retrain[/] training window {split.train_start} → {split.train_end} "
                  f"({split.train_bars:,} bars), purge {split.purge}, holdout "
                  f"{split.holdout_start} → {split.holdout_end} ({split.holdout_bars:,} bars); "
                  + (f"champion version {champion.version}" if champion else "no champion yet"))

    run = run_experiment(_training_experiment(exp, split), out_dir=out_dir / CHALLENGER_DIR,
                         progress=progress, console=console, html=html, overwrite=True)
    assert run.registry is not None  # the registry is on (checked above)
    challenger = load_bundle(run.bundle_path)
    _check_trained_on(challenger, candles, split)

    scores = {CHALLENGER: score_on_holdout(challenger, candles, split, exp, who=CHALLENGER)}
    if champion is not None:
        scores[CHAMPION] = score_on_holdout(champion.bundle, candles, split, exp,
                                            who=f"champion (version {champion.version})")
    comparisons = compare_on_holdout(
        y, scores, n_classes=len(class_names(exp.labels)), horizon=horizon,
        bootstrap=bootstrap, seed=exp.seed,
    )
    failing = [c.name for c in run.report.gate.failing]
    decision = decide(exp.retrain, gate_passed=run.gate_passed, gate_failing=failing,
                      comparisons=comparisons,
                      champion=None if champion is None else champion.version)
    version = str(run.registry.version)
    promoted = decision.promote and not dry_run
    if promoted:
        registry.promote(version)
    document = {
        "tradewind_version": __version__,
        "created_at": datetime.now(UTC).isoformat(),
        "experiment": exp.name,
        "data_source": exp.data.source,
        "decision": decision.decision,
        "promoted": promoted,
        "dry_run": dry_run,
        "reasons": decision.reasons,
        "require": exp.retrain.require,
        "decide_on": list(exp.retrain.decide_on),
        "window": exp.retrain.window,
        "holdout": exp.retrain.holdout,
        "split": split.to_dict(),
        "gate": {"passed": run.gate_passed, "failing": failing},
        "challenger": _model_entry(version, challenger, scores[CHALLENGER],
                                   run_id=run.registry.run_id, run_dir=str(out_dir / CHALLENGER_DIR)),
        "champion": _model_entry(None if champion is None else champion.version,
                                 None if champion is None else champion.bundle,
                                 scores.get(CHAMPION)),
        "metrics": {name: c.to_dict() for name, c in comparisons.items()},
        "model_name": registry.model_name,
        "tracking_uri": registry.tracking_uri,
    }
    path = record_decision(registry, version, document, out_dir)
    return RetrainResult(
        decision=decision, promoted=promoted, dry_run=dry_run, challenger_version=version,
        champion_version=None if champion is None else champion.version,
        gate_passed=run.gate_passed, gate_failing=failing, split=split,
        comparisons=comparisons, decision_path=path, run=run, document=document,
    )
