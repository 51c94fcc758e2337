"""``tradewind retrain``: champion/challenger retraining on the newest data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tradewind.cli.common import (
    ExperimentArgument,
    FormatOption,
    QuietOption,
    SetOption,
    console,
    print_json,
    print_table,
)

__all__ = ["retrain"]


def retrain(
    experiment: ExperimentArgument,
    data: Annotated[
        str | None, typer.Option(help="Data source overriding data.source (path, sample:, synthetic:, store:).")
    ] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Judge and record, but never move the 'champion' alias.")] = False,
    out: Annotated[Path, typer.Option(
        help="Folder for the challenger's run (OUT/challenger, replaced by the next retrain) and "
        "retrain_decision.json.")] = Path("out/retrain"),
    tracking_uri: Annotated[str | None, typer.Option(
        help="MLflow tracking URI (default: registry.tracking_uri, $TRADEWIND_TRACKING_URI, "
        "or the embedded store).")] = None,
    registry_root: Annotated[Path | None, typer.Option(
        help="Embedded registry folder (default: registry.root).")] = None,
    set_: SetOption = None,
    format_: FormatOption = "table",
    quiet: QuietOption = False,
) -> None:
    """Train a challenger on the newest data and promote it only if it holds up.

    Both the challenger and the current champion are scored on the newest rows neither
    was trained on (retrain.holdout); the challenger becomes champion when its gate passes
    and it is not shown worse (retrain.require). A per_symbol experiment over several
    data.sources retrains each symbol against its own champion, each decided on its own.
    Exit 0 whatever the decision (it is in the output and retrain_decision.json); 2
    config, 3 data, 5 a champion trained on the holdout, 6 a champion with other classes,
    8 bundle/registry.
    """
    from tradewind.config import load_experiment
    from tradewind.exceptions import ConfigError
    from tradewind.retrain import retrain_experiment, retrain_universe

    exp = load_experiment(experiment, set_ or [])
    updates: dict[str, Any] = {}
    if tracking_uri is not None:
        updates["tracking_uri"] = tracking_uri
    if registry_root is not None:
        updates["root"] = str(registry_root)
    if updates:
        exp = exp.model_copy(update={"registry": exp.registry.model_copy(update=updates)})
    progress = not quiet and format_ != "json"
    if len(exp.data.series()) > 1:
        if data is not None:
            raise ConfigError("retrain --data replaces one series; this experiment lists "
                              f"{len(exp.data.series())} in data.sources: change them there")
        results = retrain_universe(exp, out_dir=out, dry_run=dry_run, progress=progress)
        if format_ == "json":
            print_json({symbol: {**r.document, "decision_file": str(r.decision_path)}
                        for symbol, r in results.items()})
            return
        for symbol, result in results.items():
            console.rule(f"{symbol} ({result.document['model_name']})")
            _print_result(result)
        return
    result = retrain_experiment(exp, data=data, out_dir=out, dry_run=dry_run, progress=progress)
    if format_ == "json":
        print_json({**result.document, "decision_file": str(result.decision_path)})
        return
    _print_result(result)


def _bp(value: float | None) -> str:
    return "" if value is None else f"{value * 1e4:+.2f} bp"


def _mcc(value: float | None) -> str:
    return "" if value is None else f"{value:+.3f}"


def _ci(interval: dict | None, fmt: Any) -> str:
    if interval is None or interval.get("lower") is None:
        return ""
    return f"[{fmt(interval['lower'])}, {fmt(interval['upper'])}]"


def _print_result(result: Any) -> None:
    doc = result.document
    mcc, ret = doc["metrics"]["mcc"], doc["metrics"]["return"]
    rows = []
    for who in ("challenger", "champion"):
        m, r = mcc["models"].get(who), ret["models"].get(who)
        if m is None:
            continue
        version = doc[who]["version"]
        rows.append((who, version, _mcc(m["point"]), _ci(m, _mcc), _bp(r["point"]), _ci(r, _bp),
                     doc[who].get("holdout_trades", "")))
    if mcc["difference"] is not None:
        m, r = mcc["difference"], ret["difference"]
        rows.append(("challenger − champion", "", _mcc(m["point"]), _ci(m, _mcc), _bp(r["point"]),
                     _ci(r, _bp), ""))
    level = f"{mcc['models']['challenger']['level'] * 100:g}"
    split = doc["split"]
    columns = ["model", "version", "MCC", f"MCC {level}% CI", "return/bar", f"return {level}% CI",
               "trades"]
    print_table(f"Holdout {split['holdout_start']} → {split['holdout_end']}: {mcc['rows']:,} "
                f"labelled rows, {ret['rows']:,} bars, after costs ({mcc['method']})",
                columns, rows, no_wrap=("model", "version"))
    gate = doc["gate"]
    console.print("gate: " + ("[bold green]PASSED[/]" if gate["passed"] else
                              f"[bold red]REFUSED[/] ({', '.join(gate['failing'])})"))
    verdict = "PROMOTE" if result.decision.promote else "REJECT"
    moved = ("champion → version " + result.challenger_version if result.promoted else
             "champion alias not moved" + (" (dry run)" if result.dry_run and result.decision.promote
                                           else ""))
    console.print(f"decision: [bold]{verdict}[/] ({moved})", highlight=False)
    for reason in result.decision.reasons:
        console.print(f"  - {reason}", highlight=False)
    console.print(f"decision file: {result.decision_path}", highlight=False)
