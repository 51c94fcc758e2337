"""Backtest a saved bundle on candles, refusing to pass in-sample bars off as a result.

The bundle's manifest records the last bar of its training data; by default only bars
after it are traded. Backtesting bars the model was fitted on must be asked for
(``allow_in_sample``) and is then labelled as such.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tradewind.artifacts.bundle import Bundle
from tradewind.backtest.engine import BacktestConfig, BacktestResult
from tradewind.backtest.from_probabilities import backtest_probabilities
from tradewind.backtest.stats import BacktestStats
from tradewind.block_bootstrap import BlockBootstrap
from tradewind.exceptions import ConfigError, DataError
from tradewind.policy import TradePolicy

__all__ = ["BundleBacktest", "backtest_bundle"]


@dataclass(frozen=True)
class BundleBacktest:
    """Trades, equity and statistics of a bundle; ``in_sample_bars`` > 0 taints them."""

    result: BacktestResult
    stats: BacktestStats
    policy: TradePolicy
    start: pd.Timestamp
    end: pd.Timestamp
    training_end: pd.Timestamp | None
    in_sample_bars: int


def _utc(value: str | pd.Timestamp, what: str = "time") -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except ValueError as err:
        raise ConfigError(
            f"backtest: {what}={value!r} is not a date or time ({err}); use ISO 8601, "
            "e.g. 2024-03-01 or 2024-03-01T12:00"
        ) from None
    if pd.isna(ts):
        raise ConfigError(f"backtest: {what}={value!r} is not a date or time")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _training_end(bundle: Bundle) -> pd.Timestamp | None:
    last = bundle.manifest.data.get("last")
    return None if last is None else _utc(last)


def backtest_bundle(
    bundle: Bundle,
    candles: pd.DataFrame,
    *,
    policy: TradePolicy | None = None,
    config: BacktestConfig | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    allow_in_sample: bool = False,
    seed: int = 0,
    bootstrap: BlockBootstrap | None = None,
    references: Mapping[str, pd.DataFrame] | None = None,
) -> BundleBacktest:
    """Trade the bundle's calibrated probabilities on ``candles[start:end]`` after costs.

    ``policy`` defaults to the bundle's own (the one the run judged out of sample).

    ``start`` defaults to the first bar after the bundle's training data. Earlier bars
    are refused unless ``allow_in_sample``; the warm-up before ``start`` is still used to
    compute features and ATR, never traded. ``bootstrap`` and ``seed`` make the Sharpe
    interval. ``references``: the candles of the bundle's ``features.cross`` references
    by name (required when it has any).
    """
    policy = policy or bundle.policy
    trained_until = _training_end(bundle)
    if allow_in_sample and start is None:
        raise ConfigError(
            "backtest: allow_in_sample (--allow-in-sample) needs a start (--from) inside the "
            f"training period (which ends at {trained_until}); without one the backtest "
            "starts after training, where there is nothing in-sample to allow"
        )
    index = candles.index
    if start is not None:
        first = _utc(start, "start (--from)")
    else:
        first = index[0] if trained_until is None else trained_until + pd.Timedelta(1, "ns")
    last = index[-1] if end is None else _utc(end, "end (--to)")
    candles = candles.loc[:last]
    begin = int(index.searchsorted(first))
    if begin >= len(candles) - 1:
        raise DataError(
            f"no bars to backtest from {first} to {last}: the candles end at {index[-1]}"
            + (f" and the bundle was trained on bars up to {trained_until}" if trained_until else "")
        )
    in_sample = 0 if trained_until is None else int((candles.index[begin:] <= trained_until).sum())
    if in_sample and not allow_in_sample:
        raise DataError(
            f"{in_sample} of the bars from {candles.index[begin]} are in the bundle's training "
            f"period (up to {trained_until}): results there are in-sample. Start after it, or "
            "pass allow_in_sample / --allow-in-sample to see them labelled in-sample"
        )
    proba_frame = bundle.predict_proba(candles, references=references)
    proba = np.full((len(candles), len(bundle.classes)), np.nan)
    proba[candles.index.get_indexer(proba_frame.index)] = proba_frame.to_numpy()
    timeframe = str(bundle.check_timeframe(candles, "backtest"))
    result, stats = backtest_probabilities(
        candles, proba, bundle.classes, policy, timeframe=timeframe, start=begin,
        config=config, seed=seed, bootstrap=bootstrap,
    )
    return BundleBacktest(result, stats, policy, candles.index[begin], candles.index[-1],
                          trained_until, in_sample)
