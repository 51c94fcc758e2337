"""The run's out-of-sample trading: per-fold policies, the backtest section, predictions file.

Only bars with an out-of-sample prediction may open a trade; every other bar is flat.
The candles span the first to the last out-of-sample bar plus the holding period, so
buy-and-hold is measured over the same stretch of time.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from rich.console import Console

from tradewind.backtest import PolicyFit
from tradewind.config import Experiment
from tradewind.data.atomic import write_parquet_atomic
from tradewind.pipeline.policy import (
    PolicyOutcome,
    TradedPolicy,
    fit_fold_policy,
    run_policies,
)
from tradewind.policy import TradePolicy

if TYPE_CHECKING:
    from tradewind.pipeline.experiment import OutOfSample
    from tradewind.pipeline.folds import FoldResult
    from tradewind.pipeline.prepare import Prepared

__all__ = ["PREDICTIONS_NAME", "backtest_section", "fold_policy", "oos_trading",
           "write_predictions"]

PREDICTIONS_NAME = "predictions.parquet"
_MAX_CURVE_POINTS = 2000


def fold_policy(exp: Experiment, prep: Prepared, fold: FoldResult) -> PolicyFit:
    """The fold's trade policy: fitted on its validation rows, or every signal (``policy.fit``
    false)."""
    if not exp.policy.fit:
        every = TradePolicy.every_signal(exp.labels, exp.backtest.exit_spec(exp.labels))
        return PolicyFit(every, "policy.fit is false: every signal is traded", None, 0, None)
    first_test = int(prep.candles.index.get_indexer(prep.index[fold.test_rows[:1]])[0])
    return fit_fold_policy(exp, prep, fold.val_rows, fold.val_probs, fold.train_rows,
                           end_before=first_test)


def oos_trading(exp: Experiment, prep: Prepared, folds: list[FoldResult],
                console: Console) -> PolicyOutcome:
    """Fit each fold's policy on its validation rows, then trade every fold's test rows."""
    fits = []
    for fold in folds:
        fit = fold_policy(exp, prep, fold)
        val = "" if fit.mean_bp is None else f", validation {fit.n_trades} trades {fit.mean_bp:+.1f} bp"
        console.print(f"[bold]policy[/] fold {fold.fold + 1}: {fit.policy.describe()}{val}")
        fits.append(fit)
    outcome = run_policies(exp, prep, folds, fits)
    for name, row in outcome.section["results"].items():
        lo, hi = row["sharpe_ci"]
        span = "n/a" if lo is None or hi is None else f"[{lo:+.2f}, {hi:+.2f}]"
        console.print(f"  {name:<19} {row['n_trades']:>6} trades, Sharpe after costs "
                      f"{exp.bootstrap.level:.0%} {span}, return {row['total_return']:+.1%}")
    console.print(f"[bold]trading[/] {outcome.section['headline']}")
    return outcome


def backtest_section(exp: Experiment, traded: TradedPolicy) -> dict[str, Any]:
    """The report's ``backtest`` section: the fitted policy's statistics, costs, exits, equity."""
    result, stats = traded.result, traded.stats
    return {
        **stats.to_dict(),
        "policy": "fitted per fold on validation rows (see the policy section)",
        "costs": {"fee_bps": exp.backtest.fee_bps, "slippage_bps": exp.backtest.slippage_bps},
        "exits": TradePolicy.every_signal(exp.labels, exp.backtest.exit_spec(exp.labels))
        .exits.model_dump(mode="json"),  # the labels' exits, holding limit resolved
        "exit_reasons": result.trades["exit_reason"].value_counts().to_dict(),
        "equity": _curve(result.index, result.equity, result.close, result.initial_equity),
    }


def _curve(index: Any, equity: np.ndarray, close: np.ndarray, initial: float) -> dict[str, list]:
    step = max(len(equity) // _MAX_CURVE_POINTS, 1)
    keep = np.arange(0, len(equity), step)
    hold = initial * close / close[0]
    return {
        "timestamp": [index[i].isoformat() for i in keep],
        "value": equity[keep].round(6).tolist(),
        "buy_and_hold": hold[keep].round(6).tolist(),
    }


def write_predictions(out_dir: Path, prep: Prepared, oos: OutOfSample,
                      outcome: PolicyOutcome | None) -> Path:
    """``predictions.parquet``: one row per out-of-sample bar (schema in docs/REPORT.md)."""
    classes = list(prep.classes)
    frame = pd.DataFrame({"fold": oos.fold_ids.astype(np.int64),
                          "label": pd.array([classes[i] if i >= 0 else None for i in oos.y],
                                            dtype="string")},
                         index=pd.DatetimeIndex(prep.index[oos.rows], name="timestamp"))
    for k, name in enumerate(classes):
        frame[f"p_{name}"] = oos.probs[:, k]
    for k, name in enumerate(classes):
        frame[f"logit_{name}"] = oos.logits[:, k]
    for base, probs in oos.baselines.items():
        for k, name in enumerate(classes):
            frame[f"{base}_p_{name}"] = probs[:, k]
    if outcome is not None:
        for key, traded in outcome.traded.items():
            frame[f"position_{key}"] = traded.positions.astype(np.int8)
    return write_parquet_atomic(frame, out_dir / PREDICTIONS_NAME)
