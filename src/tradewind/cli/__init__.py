"""The ``tradewind`` command: thin Typer shells over library functions.

Exceptions are mapped to exit codes in one place, ``tradewind.cli.exits``: each
``TradewindError`` subclass carries its own ``exit_code`` and a message that says what to
do; ``tradewind.exceptions.EXIT_CODES`` is the documented contract.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from tradewind.cli import (
    backtest_cmds,
    data_cmds,
    export_cmds,
    features_cmds,
    labels_cmds,
    live_cmds,
    models_cmds,
    monitor_cmds,
    paper_cmds,
    retrain_cmds,
    run_cmds,
    serve_cmds,
    sign_cmds,
    signal_cmds,
    sweep_cmds,
)
from tradewind.cli.exits import exit_code_epilog, run_app
from tradewind.exceptions import EXIT_CODES

__all__ = ["app", "main"]

app = typer.Typer(
    name="tradewind",
    help="Price-direction models for trading that do not fool their owners.",
    epilog=exit_code_epilog(EXIT_CODES),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from tradewind import __version__

        typer.echo(f"tradewind {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", help="Print the version and exit.",
                     callback=_print_version, is_eager=True),
    ] = False,
) -> None:
    """Price-direction models for trading that do not fool their owners."""


app.command("run", help="Run a walk-forward experiment: metrics with intervals, gate, bundle, report.")(
    run_cmds.run
)
app.command("report", help="Draw report.html from a run's report.json.")(run_cmds.report_html)
app.command("gate", help="Judge a finished run's evidence again under a changed gate (--set gate.*).")(
    run_cmds.gate
)
app.command("promote", help="Move the registry alias 'champion' to a version whose gate passed.")(
    models_cmds.promote
)
app.command("retrain", help="Retrain on the newest data; promote only a challenger not shown worse.")(retrain_cmds.retrain)
app.command("backtest", help="Backtest a bundle after fees and slippage on bars it was not trained on.")(
    backtest_cmds.backtest
)
app.command("export", help="Export a bundle to ONNX (scaler and temperature folded in) or JSON.")(
    export_cmds.export
)
app.command("sign", help="Sign a bundle with an Ed25519 key (--new-key makes a key pair).")(
    sign_cmds.sign
)
app.command("signal", help="Print the latest bar's signal for a bundle as JSON.")(signal_cmds.signal)
app.command("serve", help="Serve /v1/signal, /v1/predict, /v1/models, /healthz and /metrics.")(
    serve_cmds.serve
)
app.command("live", help="Emit, log and print a signal at every bar close (exchange or replay).")(
    live_cmds.live
)
app.command("paper", help="List the paper trades a live loop recorded in its signal log.")(paper_cmds.paper)
app.command("monitor", help="Check a live signal log: realised vs promised, drift, class shares.")(
    monitor_cmds.monitor
)
app.command("sweep", help="Run a search space as resumable Ray Tune trials; rank by MCC lower bound.")(
    sweep_cmds.sweep
)
app.add_typer(data_cmds.app, name="data", help="Load, fetch, import, validate and resample candles.")
app.add_typer(features_cmds.app, name="features", help="List and compute causal feature sets.")
app.add_typer(labels_cmds.app, name="labels", help="Inspect label balance per year; search label thresholds.")
app.add_typer(models_cmds.app, name="models", help="List registered model versions and gate verdicts.")
app.add_typer(run_cmds.presets_app, name="presets", help="The seed systems as runnable experiment files.")



def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``tradewind`` script: run the app, exit with the contract's code."""
    sys.exit(run_app(app, argv))
