"""The ``tradewind`` command: thin Typer shells over library functions.

Exceptions are mapped to exit codes here, in one place: each ``TradewindError``
subclass carries its own ``exit_code`` and a message that says what to do.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from tradewind.cli import (
    backtest_cmds,
    data_cmds,
    export_cmds,
    features_cmds,
    labels_cmds,
    live_cmds,
    models_cmds,
    run_cmds,
    serve_cmds,
    signal_cmds,
    sweep_cmds,
)
from tradewind.exceptions import TradewindError

__all__ = ["app", "main"]

app = typer.Typer(
    name="tradewind",
    help="Price-direction models for trading that do not fool their owners.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
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
app.command("backtest", help="Backtest a bundle after fees and slippage on bars it was not trained on.")(
    backtest_cmds.backtest
)
app.command("export", help="Export a bundle to ONNX (scaler and temperature folded in) or JSON.")(
    export_cmds.export
)
app.command("signal", help="Print the latest bar's signal for a bundle as JSON.")(signal_cmds.signal)
app.command("serve", help="Serve /v1/signal, /v1/predict, /v1/models, /healthz and /metrics.")(
    serve_cmds.serve
)
app.command("live", help="Emit, log and print a signal at every bar close (exchange or replay).")(
    live_cmds.live
)
app.command("sweep", help="Run a search space as resumable Ray Tune trials; rank by MCC lower bound.")(
    sweep_cmds.sweep
)
app.add_typer(data_cmds.app, name="data", help="Load, fetch, import, validate and resample candles.")
app.add_typer(features_cmds.app, name="features", help="List and compute causal feature sets.")
app.add_typer(labels_cmds.app, name="labels", help="Inspect label balance per year; search label thresholds.")
app.add_typer(models_cmds.app, name="models", help="List registered model versions and gate verdicts.")
app.add_typer(run_cmds.presets_app, name="presets", help="The seed systems as runnable experiment files.")


def main() -> None:
    """Entry point: run the app and map tradewind errors to exit codes."""
    err_console = Console(stderr=True)
    try:
        app(standalone_mode=False)
    except TradewindError as err:
        err_console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False)
        sys.exit(err.exit_code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except Exception as err:  # click usage errors and the like
        from click.exceptions import ClickException

        if isinstance(err, ClickException):
            err.show()
            sys.exit(err.exit_code)
        raise
