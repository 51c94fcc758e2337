"""Sweeps: many experiments over a search space, run as Ray Tune trials, resumable.

A sweep file names an experiment, fixed overrides and a search space (grid, or Optuna
TPE) over any dotted config key. :func:`run_sweep` runs the trials the sweep directory's
ledger does not hold yet, logs them to MLflow from the driver (one parent run, a child per
trial), and ranks them by the lower bound of their MCC interval, with the winner's deflated
Sharpe ratio and the probability of backtest overfitting beside the ranking.

>>> sweep = load_sweep("examples/sweep_quickstart.yaml")  # doctest: +SKIP
>>> result = run_sweep(sweep, out_dir="out/sweeps/quickstart")  # doctest: +SKIP
"""

from tradewind.sweep.leaderboard import (
    Leaderboard,
    build_leaderboard,
    leaderboard_table,
    rank_trials,
    write_leaderboard,
)
from tradewind.sweep.ledger import Ledger, SweepManifest, TrialRecord
from tradewind.sweep.runner import SweepResult, run_sweep
from tradewind.sweep.space import grid_points, trial_key
from tradewind.sweep.spec import (
    RangeSpec,
    SearchSpec,
    SweepFile,
    SweepSpec,
    TrialResources,
    load_sweep,
)

__all__ = [
    "Leaderboard",
    "Ledger",
    "RangeSpec",
    "SearchSpec",
    "SweepFile",
    "SweepManifest",
    "SweepResult",
    "SweepSpec",
    "TrialRecord",
    "TrialResources",
    "build_leaderboard",
    "grid_points",
    "leaderboard_table",
    "load_sweep",
    "rank_trials",
    "run_sweep",
    "trial_key",
    "write_leaderboard",
]
