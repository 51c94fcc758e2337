"""``tradewind sweep``: many experiments over a search space on Ray Tune, resumable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tradewind.cli.common import QuietOption, SetOption, console

__all__ = ["sweep"]


def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep YAML file (experiment + search space).")],
    out: Annotated[
        Path | None, typer.Option(help="Sweep directory (ledger, trials, leaderboard); default out/sweeps/NAME.")
    ] = None,
    address: Annotated[
        str | None, typer.Option(help="Existing Ray cluster (ray://host:10001, host:6379 or auto); default: local cores.")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume/--no-resume", help="Skip trials already finished in the sweep directory.")
    ] = True,
    max_concurrent: Annotated[
        int | None, typer.Option(min=1, help="Trials at once (default: the sweep file's, else what resources allow).")
    ] = None,
    set_: SetOption = None,
    quiet: QuietOption = False,
) -> None:
    """Run the sweep's missing trials and print the leaderboard (ranked by MCC lower bound).

    --set overrides apply to the experiment of every trial.
    """
    from tradewind.sweep import leaderboard_table, load_sweep, run_sweep

    spec = load_sweep(sweep_file, set_ or [])
    result = run_sweep(spec, out_dir=out, address=address, resume=resume,
                       max_concurrent=max_concurrent, progress=not quiet)
    board = result.leaderboard
    console.print(leaderboard_table(board))
    winner = board.winner
    if winner is not None:
        dsr = ("n/a" if board.deflated_sharpe is None
               else f"{board.deflated_sharpe:.2f}")
        console.print(f"winner {winner.key}: deflated Sharpe ratio {dsr} (probability its Sharpe "
                      f"beats the best of {board.n_trials} skill-less trials)", highlight=False)
    if board.pbo is not None:
        pbo = board.pbo
        console.print(f"probability of backtest overfitting {pbo.pbo:.2f} over "
                      f"{pbo.n_combinations:,} splits of {pbo.n_blocks} blocks "
                      f"({pbo.n_strategies} trials)", highlight=False)
    for note in board.notes:
        console.print(f"note: {note}", highlight=False)
    if result.failed:
        console.print(f"[red]{len(result.failed)} trial(s) failed[/]; their errors are in "
                      f"{result.sweep_dir / 'failures'}; re-run to retry them", highlight=False)
    elif not result.complete:
        console.print("stopped before every trial ran; run the same command again to resume")
    console.print(f"leaderboard: {result.leaderboard_json} and {result.leaderboard_csv.name}",
                  highlight=False)
    if result.mlflow_parent_run_id:
        console.print(f"MLflow: parent run {result.mlflow_parent_run_id} in {result.tracking_uri}",
                      highlight=False)
