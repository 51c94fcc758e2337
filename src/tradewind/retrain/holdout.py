"""Score one bundle on the holdout: its predictions against the experiment's labels, and its
own trade policy after the experiment's costs.

The bundle predicts through :meth:`~tradewind.artifacts.Bundle.predict_proba` (the one
prediction path) on the holdout plus ``max(1000, 4 × min_candles)`` bars of history before
it, as the live loop hands it; the bars before the holdout only warm up features and the
exits' ATR and are never scored or traded. Trades come from the bundle's
:class:`~tradewind.policy.TradePolicy` through :func:`~tradewind.backtest.backtest_probabilities`,
the path ``tradewind backtest`` takes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tradewind.artifacts.bundle import Bundle
from tradewind.backtest import backtest_probabilities
from tradewind.block_bootstrap import BlockBootstrap
from tradewind.config import Experiment
from tradewind.exceptions import DataError, SchemaMismatchError
from tradewind.labels import class_names, make_labels
from tradewind.retrain.split import RetrainSplit

__all__ = ["HoldoutScore", "holdout_labels", "score_on_holdout"]

MIN_CONTEXT = 1000  # bars of history before the holdout, as the live loop's default


@dataclass(frozen=True)
class HoldoutScore:
    """One bundle on the holdout rows.

    ``pred`` [H] is the predicted class index of every holdout bar; ``bar_returns`` [H]
    the after-cost return of its policy's equity over each holdout bar (flat bars 0).
    """

    pred: np.ndarray
    bar_returns: np.ndarray
    n_trades: int
    policy: dict
    max_holding: int


def holdout_labels(exp: Experiment, candles: pd.DataFrame, split: RetrainSplit) -> np.ndarray:
    """The experiment's labels [H] of the holdout bars (-1: unknown, e.g. the newest ones)."""
    y = np.asarray(make_labels(candles, exp.labels).y, dtype=np.int64)
    return y[split.holdout_begin:]


def _check_classes(bundle: Bundle, exp: Experiment, who: str) -> None:
    want = list(class_names(exp.labels))
    if bundle.classes != want:
        raise SchemaMismatchError(
            f"retrain: the {who} bundle predicts classes {bundle.classes}, the experiment's "
            f"labels are {want}; the two cannot be scored on the same truth. Retrain with the "
            "champion's labels, or promote a model with these labels by hand first"
        )


def score_on_holdout(
    bundle: Bundle, candles: pd.DataFrame, split: RetrainSplit, exp: Experiment, *, who: str
) -> HoldoutScore:
    """Predict and trade the holdout with ``bundle`` (``who`` names it in errors)."""
    _check_classes(bundle, exp, who)
    context = max(MIN_CONTEXT, 4 * bundle.min_candles)
    begin = max(0, split.holdout_begin - context)
    window = candles.iloc[begin:]
    timeframe = str(bundle.check_timeframe(window, f"retrain ({who})"))
    frame = bundle.predict_proba(window)
    proba = np.full((len(window), len(bundle.classes)), np.nan)
    proba[window.index.get_indexer(frame.index)] = frame.to_numpy()
    start = split.holdout_begin - begin
    scored = proba[start:]
    if not np.isfinite(scored).all():
        missing = window.index[start + int(np.flatnonzero(~np.isfinite(scored).all(axis=1))[0])]
        raise DataError(
            f"retrain: the {who} cannot predict the holdout bar {missing}: it needs "
            f"{bundle.min_candles} bars of history (warm-up + lookback) and the data holds "
            f"{split.holdout_begin} before the holdout. Fix: more data, or a shorter holdout"
        )
    policy = bundle.policy
    result, _ = backtest_probabilities(
        window, proba, bundle.classes, policy, timeframe=timeframe, start=start,
        config=exp.backtest.costs(), seed=exp.seed,
        bootstrap=BlockBootstrap(**exp.bootstrap.model_dump()),
    )
    equity = np.asarray(result.equity, dtype=np.float64)
    previous = np.concatenate([[result.initial_equity], equity[:-1]])
    return HoldoutScore(
        pred=scored.argmax(axis=1).astype(np.int64),
        bar_returns=equity / previous - 1.0,
        n_trades=len(result.trades),
        policy=policy.model_dump(mode="json"),
        max_holding=int(policy.max_holding),
    )
