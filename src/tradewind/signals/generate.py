"""Calibrated probabilities → :class:`~tradewind.signals.model.Signal`, one path for all callers.

``signal_from_bundle`` (the latest bar: CLI, server, live loop) and ``signals_for_bars``
(every bar with a full window: batch, parity checks) both run :func:`signals_from_proba`
on probabilities from :func:`predict_frame`, so a live signal equals the batch signal of
the same bar.

Levels, exactly (the live entry reference is the signal bar's **close** ``C``, because
the next open is not known when the signal is emitted; the backtester and the labels
measure from ``open[t+1]``, which for a liquid market is within a tick of ``C``):

* ``W`` = ATR(``exits.atr_period``, Wilder) at the signal bar with ``exits.unit="atr"``,
  or ``C`` with ``unit="pct"`` (distances are then fractions of the close); ATR(14) for
  the entry zone of a time-only policy (no stop, no targets).
* Long: stop ``C − stop_loss·W``, targets ``C + d·W`` for ``d`` in the policy's
  ``take_profit_ladder``, else ``[take_profit]``. Short: mirrored.
* Entry zone, half-width ``h = entry_zone_atr·W``: a MARKET order accepts
  ``[C − h, C + h]``; a LIMIT order waits on the favourable side only
  (long ``[C − h, C]``, short ``[C, C + h]``).
* ``risk_reward`` = final target distance / stop distance.
* ``valid_until`` = the signal bar's close time + ``valid_bars`` bars.

The direction and size are :func:`tradewind.policy.decide` of the trade policy (by default
the bundle's own, chosen on validation rows by its run; the same object the run's
out-of-sample backtest traded), FLAT when no level can be placed (ATR warm-up or zero ATR).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from tradewind.artifacts.bundle import Bundle
from tradewind.artifacts.digest import bundle_digest
from tradewind.artifacts.verdict import bundle_verdict
from tradewind.data.canonical import check_canonical
from tradewind.exceptions import ConfigError, DataError
from tradewind.labels.barriers import atr
from tradewind.labels.spec import ExitSpec
from tradewind.policy import TradePolicy, decide, state_features
from tradewind.signals.model import Direction, OrderType, Signal
from tradewind.timeframes import infer_timeframe, timeframe_to_offset

__all__ = [
    "bundle_fingerprint",
    "check_candles",
    "class_directions",
    "predict_frame",
    "resolve_timeframe",
    "signal_from_bundle",
    "signals_for_bars",
    "signals_from_proba",
]

_SIDES = {"UP": Direction.LONG, "BUY": Direction.LONG, "DOWN": Direction.SHORT,
          "SELL": Direction.SHORT, "HOLD": Direction.FLAT}


def class_directions(classes: Sequence[str]) -> list[Direction]:
    """The trade direction of each class name; DataError for a class with none."""
    unknown = [c for c in classes if c not in _SIDES]
    if unknown or not classes:
        raise DataError(
            f"signals: classes {list(classes)} include {unknown or 'nothing'} without a trade "
            "direction; signals need ('DOWN', 'UP') or ('SELL', 'HOLD', 'BUY') models"
        )
    return [_SIDES[c] for c in classes]


def bundle_fingerprint(bundle: Bundle) -> str:
    """sha256 of the model itself: its manifest and every weight
    (:func:`tradewind.artifacts.digest.bundle_digest`). Two models trained on the same
    candles share a data fingerprint (``Bundle.fingerprint``), never this one."""
    return bundle_digest(bundle)


def check_candles(candles: pd.DataFrame, where: str) -> None:
    """Raise DataError unless ``candles`` are canonical, ascending, unique and consistent."""
    check_canonical(candles, where)
    stamps = pd.DatetimeIndex(candles.index).as_unit("ns").asi8
    if len(stamps) > 1 and (np.diff(stamps) <= 0).any():
        row = int(np.argmax(np.diff(stamps) <= 0)) + 1
        raise DataError(
            f"{where}: bar open times must be ascending and unique; {candles.index[row]} "
            f"follows {candles.index[row - 1]}. Fix: load candles with tradewind.data.load, "
            "which refuses such files"
        )
    o, h, lo, c = (candles[k].to_numpy(dtype=np.float64) for k in ("open", "high", "low", "close"))
    values = np.stack([o, h, lo, c], axis=1)
    bad = ~np.isfinite(values).all(axis=1) | (values <= 0).any(axis=1)
    bad |= (h < np.maximum(o, c)) | (lo > np.minimum(o, c)) | (h < lo)
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            f"{where}: malformed candle at {candles.index[row]} (open, high, low, close = "
            f"{values[row].tolist()}): prices must be finite and > 0 with low <= open, close "
            "<= high. Fix the source or drop the bar"
        )


def predict_frame(
    bundle: Bundle, candles: pd.DataFrame, *, last_only: bool = False,
    references: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Calibrated probabilities by bar open time: :meth:`Bundle.predict_proba` (the one path)."""
    return bundle.predict_proba(candles, last_only=last_only, references=references)


def _width(candles: pd.DataFrame, exits: ExitSpec | None) -> np.ndarray:
    """Distance unit per bar: ATR (``unit="atr"``, and for the entry zone of a time-only
    policy) or the close (``unit="pct"``)."""
    close = candles["close"].to_numpy(dtype=np.float64)
    if exits is not None and exits.unit == "pct":
        return close
    period = 14 if exits is None else exits.atr_period
    w = atr(candles["high"].to_numpy(dtype=np.float64), candles["low"].to_numpy(dtype=np.float64),
            close, period)
    return np.where(w > 0, w, np.nan)


def resolve_timeframe(timeframe: str | None, candles: pd.DataFrame, manifest_data: dict[str, Any]) -> str:
    """``timeframe``, else ``candles.attrs["timeframe"]``, the bundle's, or the index spacing."""
    tf = timeframe or candles.attrs.get("timeframe") or manifest_data.get("timeframe")
    tf = tf or infer_timeframe(pd.DatetimeIndex(candles.index))
    if not tf:
        raise ConfigError("signals: the timeframe is unknown; pass timeframe='1h' (or similar)")
    timeframe_to_offset(str(tf))
    return str(tf)


def signals_from_proba(
    proba: pd.DataFrame,
    candles: pd.DataFrame,
    policy: TradePolicy,
    *,
    symbol: str,
    timeframe: str,
    model_name: str,
    model_version: str | None,
    fingerprint: str,
    members: int = 1,
    agreement: Sequence[float] | None = None,
    gate_passed: bool = False,
) -> list[Signal]:
    """One :class:`Signal` per row of ``proba`` (columns: class names, index: bar open times
    present in ``candles``) by ``policy``; ``agreement`` is per row, for ensembles;
    ``gate_passed`` is the bundle's verdict (:func:`tradewind.artifacts.verdict.bundle_verdict`)."""
    classes = [str(c) for c in proba.columns]
    class_directions(classes)
    rows = candles.index.get_indexer(proba.index)
    if (rows < 0).any():
        missing = proba.index[rows < 0][0]
        raise DataError(f"signals: probability row {missing} has no candle with that open time")
    values = proba.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"signals: non-finite probabilities {values[i].tolist()} at {proba.index[i]}")
    state = None if policy.meta is None else state_features(candles)[rows]
    decision = decide(values, classes, policy, state)
    exits = policy.exits
    width = _width(candles, exits)
    close = candles["close"].to_numpy(dtype=np.float64)
    bar = timeframe_to_offset(timeframe)
    order = OrderType(policy.order_type)
    ladder = policy.ladder()
    distances = list(ladder[0]) if ladder else [] if exits is None else [exits.take_profit]
    out: list[Signal] = []
    for i, (ts, row) in enumerate(zip(proba.index, rows, strict=True)):
        p = values[i]
        side = int(decision.direction[i])
        ref, w = float(close[row]), float(width[row])
        if not np.isfinite(w):
            side = 0
        direction = Direction.LONG if side > 0 else Direction.SHORT if side < 0 else Direction.FLAT
        zone: tuple[float, float] | None = None
        stop: float | None = None
        targets: list[float] = []
        rr: float | None = None
        if side != 0:
            sign = float(side)
            half = policy.entry_zone_atr * w
            if order is OrderType.MARKET:
                zone = (ref - half, ref + half)
            else:
                zone = (ref - half, ref) if sign > 0 else (ref, ref + half)
            if exits is not None:
                stop = ref - sign * exits.stop_loss * w
                targets = [ref + sign * d * w for d in distances]
                rr = distances[-1] / exits.stop_loss
        stamp: datetime = pd.Timestamp(ts).tz_convert("UTC").to_pydatetime()
        out.append(Signal(
            symbol=symbol, timeframe=timeframe, timestamp=stamp, direction=direction,
            probabilities={c: float(v) for c, v in zip(classes, p, strict=True)},
            confidence=float(decision.confidence[i]), order_type=order, entry_zone=zone,
            stop_loss=stop, take_profits=targets, risk_reward=rr,
            size=float(decision.size[i]) if side != 0 else 0.0,
            valid_until=(pd.Timestamp(ts) + bar * (1 + policy.valid_bars)).to_pydatetime(),
            max_holding_bars=policy.max_holding, policy=policy.describe(),
            model_name=model_name, model_version=model_version, bundle_fingerprint=fingerprint,
            members=members, agreement=None if agreement is None else float(agreement[i]),
            gate_passed=gate_passed,
        ))
    return out


def _bundle_signals(
    bundle: Bundle, candles: pd.DataFrame, policy: TradePolicy | None, *, symbol: str,
    timeframe: str | None, model_version: str | None, last_only: bool,
    references: Mapping[str, pd.DataFrame] | None = None,
) -> list[Signal]:
    check_candles(candles, f"signals for {symbol}")
    bundle.check_timeframe(candles, f"signals for {symbol}", declared=timeframe)
    proba = predict_frame(bundle, candles, last_only=last_only, references=references)
    return signals_from_proba(
        proba, candles, policy or bundle.policy, symbol=symbol,
        timeframe=resolve_timeframe(timeframe, candles, bundle.manifest.data),
        model_name=bundle.manifest.name, model_version=model_version,
        fingerprint=bundle_fingerprint(bundle), gate_passed=bundle_verdict(bundle).gate_passed,
    )


def signal_from_bundle(
    bundle: Bundle,
    candles: pd.DataFrame,
    policy: TradePolicy | None = None,
    *,
    symbol: str,
    timeframe: str | None = None,
    model_version: str | None = None,
    references: Mapping[str, pd.DataFrame] | None = None,
) -> Signal:
    """The signal of the newest bar of ``candles`` (which must be closed).

    ``policy`` defaults to the bundle's own (the one its run judged out of sample).
    ``candles`` needs at least ``bundle.min_candles`` rows; recursive features and the ATR
    depend on how much history is given, so pass the same history to compare runs.
    ``timeframe`` defaults to ``candles.attrs["timeframe"]``, then the bundle's, then the
    spacing of the index. ``references``: the candles of the bundle's ``features.cross``
    references by name (required when it has any).
    """
    return _bundle_signals(bundle, candles, policy, symbol=symbol, timeframe=timeframe,
                           model_version=model_version, last_only=True,
                           references=references)[0]


def signals_for_bars(
    bundle: Bundle,
    candles: pd.DataFrame,
    policy: TradePolicy | None = None,
    *,
    symbol: str,
    timeframe: str | None = None,
    model_version: str | None = None,
    references: Mapping[str, pd.DataFrame] | None = None,
) -> list[Signal]:
    """Signals for every bar of ``candles`` with a full window, oldest first (batch)."""
    return _bundle_signals(bundle, candles, policy, symbol=symbol, timeframe=timeframe,
                           model_version=model_version, last_only=False,
                           references=references)
