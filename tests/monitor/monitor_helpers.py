"""Test helpers: the decayed-edge market and experiment, outcomes from stored candles."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tradewind.artifacts.bundle import Bundle
from tradewind.config import Experiment, validate_section
from tradewind.live import SignalLog

TRAIN, HALF = 1500, 800
BARS = TRAIN + 2 * HALF
SOURCE = (f"synthetic:planted?bars={BARS}&seed=5&edge=1.0"
          f"&edge_until={(TRAIN + HALF) / BARS:.6f}")
SYMBOL, TIMEFRAME = "SYN/USD", "1h"


@dataclass(frozen=True)
class Decayed:
    """The replayed log and what made it."""

    log: Path
    bundle: Bundle
    bundle_path: Path
    candles: pd.DataFrame
    mid: pd.Timestamp  # the last signal bar whose next bar still had the planted edge


def experiment(source: str) -> Experiment:
    """A small experiment that learns the planted edge in seconds."""
    return validate_section(Experiment, {
        "name": "monitored", "seed": 3, "data": {"source": source, "symbol": SYMBOL},
        "features": {"sets": ["core15"]}, "labels": {"kind": "direction", "horizon": 1},
        "lookback": 4, "split": {"n_folds": 3, "min_train": 0.4, "val_fraction": 0.2},
        "normalizer": {"kind": "robust"},
        "model": {"name": "fnn", "hidden": [32], "dropout": 0.0},
        "training": {"epochs": 15, "batch_size": 256, "lr": 0.003,
                     "early_stopping": {"monitor": "val_loss", "patience": 5}},
        "bootstrap": {"n_boot": 300}, "registry": {"enabled": False},
        "importance": {"enabled": False}, "baselines": {"include": ["majority", "logistic"]},
        "monitor": {"window": HALF, "drift_bars": 400},
    }, "monitor test experiment")


ROUND_TRIP = 14e-4  # 5 bp fee + 2 bp slippage per side, as the run's backtest


def fill_outcomes(log: SignalLog, symbol: str, timeframe: str, horizon: int) -> int:
    """Record each signal's realised direction label, forward return and the after-cost
    return of a trade in its direction held ``horizon`` bars (none when FLAT)."""
    candles = log.candles(symbol, timeframe)
    close = candles["close"]
    position = {ts: i for i, ts in enumerate(candles.index)}
    written = 0
    for sig in log.signals(symbol, timeframe):
        ts = pd.Timestamp(sig.timestamp)
        i = position.get(ts)
        if i is None or i + horizon >= len(close):
            continue
        fwd = float(close.iloc[i + horizon] / close.iloc[i] - 1.0)
        label = "up" if fwd > 0 else "down" if fwd < 0 else "flat"
        side = {"LONG": 1.0, "SHORT": -1.0}.get(sig.direction.value)
        trade = None if side is None else side * fwd - ROUND_TRIP
        written += log.record_outcome(symbol, timeframe, ts, label=label, forward_return=fwd,
                                      trade_return=trade)
    return written
