"""Per-bar signal arrays for the backtester, and how calibrated probabilities become them.

Row ``t`` of every array is decided at the close of bar ``t`` and acts on bar ``t+1`` (see
:mod:`tradewind.backtest.engine`). Stops and take-profits are absolute price levels; for a
market entry they come from :func:`tradewind.labels.barrier_levels`, i.e. they are measured
from ``open[t+1]``, the same reference the triple-barrier labels use. With slippage the
entry fill is worse than ``open[t+1]`` but the levels stay where the labels put them, so a
cost-free backtest reproduces the labels exactly and a costly one differs only by costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from tradewind.exceptions import DataError
from tradewind.labels.barriers import barrier_levels
from tradewind.labels.spec import ExitSpec

__all__ = [
    "SignalArrays",
    "SignalConfig",
    "kelly_fraction",
    "signals_from_probabilities",
]

_SHORT_NAMES = ("DOWN", "SELL")
_LONG_NAMES = ("UP", "BUY")
_FLAT_NAMES = ("HOLD",)


@dataclass(frozen=True)
class SignalArrays:
    """What to do after each bar; all arrays have length T.

    Attributes
    ----------
    direction:
        int8, ``+1`` long, ``-1`` short, ``0`` no signal.
    size:
        float64, fraction of equity to commit (``sizing="fraction"``), > 0 to act.
    stop, take_profit:
        float64 price levels, NaN for none.
    max_holding:
        int64 bars the trade may last (time exit at the close of its last bar); ``<= 0`` none.
    limit_price:
        float64 limit entry price; NaN means a market entry at the next open.
    limit_valid:
        int64 bars a limit order stays live (bars ``t+1 … t+limit_valid``; values below 1
        count as 1).
    """

    direction: np.ndarray
    size: np.ndarray
    stop: np.ndarray
    take_profit: np.ndarray
    max_holding: np.ndarray
    limit_price: np.ndarray
    limit_valid: np.ndarray

    @classmethod
    def build(
        cls,
        direction: np.ndarray,
        *,
        size: np.ndarray | float = 1.0,
        stop: np.ndarray | None = None,
        take_profit: np.ndarray | None = None,
        max_holding: np.ndarray | int = 0,
        limit_price: np.ndarray | None = None,
        limit_valid: np.ndarray | int = 1,
    ) -> SignalArrays:
        """Arrays with the right dtypes from ``direction`` [T] and scalars or arrays [T]."""
        d = np.asarray(direction)
        if d.ndim != 1 or not np.isin(d, (-1, 0, 1)).all():
            raise DataError("SignalArrays: direction must be 1-D with values in {-1, 0, +1}")
        n = d.shape[0]

        def _f(x: np.ndarray | float | None, fill: float) -> np.ndarray:
            if x is None:
                return np.full(n, fill)
            return np.ascontiguousarray(np.broadcast_to(np.asarray(x, dtype=np.float64), (n,)))

        def _i(x: np.ndarray | int) -> np.ndarray:
            return np.ascontiguousarray(np.broadcast_to(np.asarray(x, dtype=np.int64), (n,)))

        return cls(
            direction=np.ascontiguousarray(d, dtype=np.int8),
            size=_f(size, 1.0),
            stop=_f(stop, np.nan),
            take_profit=_f(take_profit, np.nan),
            max_holding=_i(max_holding),
            limit_price=_f(limit_price, np.nan),
            limit_valid=_i(limit_valid),
        )

    def check_length(self, n: int) -> None:
        """Raise DataError unless every array has length ``n`` and the expected dtype."""
        expected = {
            "direction": np.int8, "size": np.float64, "stop": np.float64,
            "take_profit": np.float64, "max_holding": np.int64,
            "limit_price": np.float64, "limit_valid": np.int64,
        }
        for name, dtype in expected.items():
            arr = getattr(self, name)
            if arr.shape != (n,) or arr.dtype != dtype:
                raise DataError(
                    f"SignalArrays.{name}: shape {arr.shape} dtype {arr.dtype}, expected "
                    f"({n},) {np.dtype(dtype)}; build the arrays with SignalArrays.build"
                )


class SignalConfig(BaseModel):
    """How calibrated probabilities become trades."""

    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(
        0.0, ge=0, le=1, description="Stay flat when the winning class's probability is below this."
    )
    sizing: Literal["fixed", "kelly"] = Field("fixed", description="Fixed fraction or fractional Kelly.")
    fraction: float = Field(1.0, gt=0, le=1, description="Equity fraction with sizing 'fixed'.")
    kelly_multiplier: float = Field(0.5, gt=0, le=1, description="k in f = k·(p·b − (1−p))/b.")
    cap: float = Field(0.25, gt=0, le=1, description="Largest Kelly fraction.")
    long_only: bool = Field(False, description="Drop short signals.")


def kelly_fraction(p: np.ndarray, payoff: float, multiplier: float, cap: float) -> np.ndarray:
    """Fractional Kelly ``f = k·(p·b − (1−p))/b`` clipped to ``[0, cap]``; ``b`` = win/loss size."""
    if payoff <= 0:
        raise DataError(f"kelly_fraction: payoff ratio must be > 0, got {payoff}")
    p = np.asarray(p, dtype=np.float64)
    f = multiplier * (p * payoff - (1.0 - p)) / payoff
    return np.clip(np.nan_to_num(f, nan=0.0), 0.0, cap)


def _class_sides(class_names: Sequence[str]) -> np.ndarray:
    sides = []
    for name in class_names:
        if name in _LONG_NAMES:
            sides.append(1)
        elif name in _SHORT_NAMES:
            sides.append(-1)
        elif name in _FLAT_NAMES:
            sides.append(0)
        else:
            raise DataError(
                f"signals_from_probabilities: class {name!r} has no trade direction; classes "
                "must be ('DOWN', 'UP') or ('SELL', 'HOLD', 'BUY')"
            )
    return np.asarray(sides, dtype=np.int8)


def signals_from_probabilities(
    proba: np.ndarray,
    class_names: Sequence[str],
    candles: pd.DataFrame,
    exit_spec: ExitSpec,
    *,
    horizon: int,
    config: SignalConfig | None = None,
) -> SignalArrays:
    """Signals from calibrated class probabilities [T, C] aligned with ``candles`` rows.

    Direction is the argmax class (DOWN/SELL → -1, UP/BUY → +1, HOLD → 0), flat when its
    probability is below ``config.threshold`` or the row has NaN probabilities (no
    prediction). Levels are :func:`barrier_levels` of ``exit_spec`` for the side taken
    (rows without levels, e.g. the ATR warm-up, stay flat); the time exit is
    ``exit_spec.holding_bars(horizon)``. Kelly sizing uses the winning probability and the
    payoff ratio ``b = take_profit / stop_loss`` of ``exit_spec``.
    """
    cfg = config if config is not None else SignalConfig()
    proba = np.asarray(proba, dtype=np.float64)
    n = len(candles)
    if proba.ndim != 2 or proba.shape != (n, len(class_names)):
        raise DataError(
            f"signals_from_probabilities: proba has shape {proba.shape}, expected ({n}, "
            f"{len(class_names)}) (one row per candle, one column per class {tuple(class_names)})"
        )
    sides = _class_sides(class_names)
    valid = np.isfinite(proba).all(axis=1)
    safe = np.where(valid[:, None], proba, 0.0)
    winner = safe.argmax(axis=1)
    p_win = safe[np.arange(n), winner]
    direction = np.where(valid & (p_win >= cfg.threshold), sides[winner], 0).astype(np.int8)
    if cfg.long_only:
        direction[direction < 0] = 0
    tp_long, stop_long = barrier_levels(candles, exit_spec, "long")
    tp_short, stop_short = barrier_levels(candles, exit_spec, "short")
    long_mask = direction > 0
    stop = np.where(long_mask, stop_long, stop_short)
    take_profit = np.where(long_mask, tp_long, tp_short)
    direction[~(np.isfinite(stop) & np.isfinite(take_profit))] = 0
    if cfg.sizing == "kelly":
        payoff = exit_spec.take_profit / exit_spec.stop_loss
        size = kelly_fraction(p_win, payoff, cfg.kelly_multiplier, cfg.cap)
        direction[size <= 0] = 0
    else:
        size = np.full(n, cfg.fraction)
    return SignalArrays.build(
        direction,
        size=size,
        stop=np.where(direction != 0, stop, np.nan),
        take_profit=np.where(direction != 0, take_profit, np.nan),
        max_holding=exit_spec.holding_bars(horizon),
    )
