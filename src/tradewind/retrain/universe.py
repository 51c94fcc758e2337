"""Retraining a run over several symbols: each symbol's challenger against its own champion.

A ``per_symbol`` universe registers one model per symbol (``<model_name>-<SYMBOL>``), each
promoted on its own verdict, as seed 003 retrains BTC, ETH and SOL side by side. Its
retrain is therefore one :func:`~tradewind.retrain.run.retrain_experiment` per symbol, on
that symbol's own newest candles and holdout, against that symbol's champion, with its own
decision. The symbols run in the experiment's order; each decision is recorded in its
registry as soon as it is made, so a symbol that fails (too little data, a champion trained
on the holdout) stops the retrain with an error naming it and loses none of the decisions
before it. ``retrain_summary.json`` lists every symbol's decision at the end.

A ``pooled`` universe is refused: its challenger is one model for every symbol, and judging
it against champions that may come from different runs is a different question from the
one the per-symbol rule answers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from tradewind import __version__
from tradewind.config import Experiment
from tradewind.data.atomic import write_json_atomic
from tradewind.exceptions import ConfigError, TradewindError
from tradewind.pipeline.universe import series_experiment, symbol_dirname, symbol_model_name
from tradewind.retrain.run import RetrainResult, retrain_experiment

__all__ = ["SUMMARY_FILE", "retrain_universe"]

SUMMARY_FILE = "retrain_summary.json"


def _check_universe(exp: Experiment) -> None:
    if exp.universe.mode != "per_symbol":
        raise ConfigError(
            "retrain: universe.mode is 'pooled': a pooled challenger is one model for every "
            "symbol and is not retrained here. Set universe.mode: per_symbol (each symbol's "
            "challenger against its own champion), or retrain each symbol alone"
        )
    if not exp.registry.enabled:
        raise ConfigError("retrain: registry.enabled is false; a retrain judges against each "
                          "symbol's champion in the registry. Set it to true")


def retrain_universe(
    exp: Experiment,
    *,
    out_dir: str | Path = "out/retrain",
    dry_run: bool = False,
    progress: bool = True,
    console: Console | None = None,
    html: bool = False,
) -> dict[str, RetrainResult]:
    """Retrain every symbol of a ``per_symbol`` experiment over ``data.sources``; return
    symbol → its :class:`RetrainResult` (in the experiment's order).

    Symbol ``S`` is retrained as :func:`retrain_experiment` would retrain an experiment
    reading only ``S``, with the registry model ``<registry.model_name>-<S>`` that the
    universe run registered, into ``out_dir/<S>/``.

    Raises
    ------
    ConfigError
        A pooled universe, or the registry switched off.
    TradewindError
        What :func:`retrain_experiment` raises for a symbol, with the symbol named; the
        decisions of the symbols before it stand.
    """
    _check_universe(exp)
    console = console or Console(stderr=True, quiet=not progress)
    out_dir = Path(out_dir)
    results: dict[str, RetrainResult] = {}
    for item in exp.data.series():
        registry = exp.registry.model_copy(
            update={"model_name": symbol_model_name(exp.registry.model_name, item.name)})
        own = series_experiment(exp, item).model_copy(update={"registry": registry})
        console.rule(f"[bold]{item.name}[/] ({registry.model_name})")
        try:
            results[item.name] = retrain_experiment(
                own, out_dir=out_dir / symbol_dirname(item.name), dry_run=dry_run,
                progress=progress, console=console, html=html)
        except TradewindError as err:
            done = ", ".join(results) or "none"
            raise type(err)(f"retrain {item.name}: {err} (symbols already decided and "
                            f"recorded: {done})") from err
    write_json_atomic(out_dir / SUMMARY_FILE, {
        "tradewind_version": __version__,
        "created_at": datetime.now(UTC).isoformat(),
        "experiment": exp.name,
        "dry_run": dry_run,
        "symbols": {symbol: {
            "model_name": result.document["model_name"],
            "decision": result.decision.decision,
            "promoted": result.promoted,
            "challenger_version": result.challenger_version,
            "champion_version": result.champion_version,
            "gate_passed": result.gate_passed,
            "decision_file": str(result.decision_path),
        } for symbol, result in results.items()},
    })
    return results
