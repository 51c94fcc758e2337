"""Per-bar signal arrays for the backtester, and how calibrated probabilities become them.

Row ``t`` of every array is decided at the close of bar ``t`` and acts on bar ``t+1`` (see
:mod:`tradewind.backtest.engine`). Stops and take-profits are absolute price levels; for a
market entry they come from :func:`tradewind.labels.barrier_levels`, i.e. they are measured
from ``open[t+1]``, the same reference the triple-barrier labels use. With slippage the
entry fill is worse than ``open[t+1]`` but the levels stay where the labels put them, so a
cost-free backtest reproduces the labels exactly and a costly one differs only by costs.

**Partial take-profits** (optional): ``partial_take_profit`` [T, K] holds up to K target
levels per row, nearest first, and ``partial_fractions`` (K,) the share of the *original*
position each closes (one vector for the whole run, so the numba loop sees two plain
arrays). A row uses its ladder when its first level is finite (its ``take_profit`` is then
not used); the last finite level of a row closes whatever remains. Without them every row
has its single ``take_profit``, exactly as before.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

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
    partial_take_profit:
        float64 [T, K] take-profit ladder, or None. Per row the finite levels come first
        (NaN only after them) and move away from the entry: ascending for a long,
        descending for a short. A row whose first level is NaN uses ``take_profit``.
    partial_fractions:
        float64 [K], each > 0, summing to 1: target ``k`` closes ``partial_fractions[k]``
        of the original units (whole units, rounded down, with ``sizing="integer_units"``);
        a row's last finite target closes the remainder. Present exactly when
        ``partial_take_profit`` is.
    """

    direction: np.ndarray
    size: np.ndarray
    stop: np.ndarray
    take_profit: np.ndarray
    max_holding: np.ndarray
    limit_price: np.ndarray
    limit_valid: np.ndarray
    partial_take_profit: np.ndarray | None = None
    partial_fractions: np.ndarray | None = None

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
        partial_take_profit: np.ndarray | None = None,
        partial_fractions: Sequence[float] | np.ndarray | None = None,
    ) -> SignalArrays:
        """Arrays with the right dtypes from ``direction`` [T] and scalars or arrays [T].

        ``partial_take_profit`` is [T, K] (or [K], the same ladder on every row);
        ``partial_fractions`` defaults to ``1/K`` each when a ladder is given.
        """
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

        ladder = fractions = None
        if partial_take_profit is not None:
            levels = np.asarray(partial_take_profit, dtype=np.float64)
            levels = levels[None, :] if levels.ndim == 1 else levels
            if levels.ndim != 2 or levels.shape[1] == 0:
                raise DataError(
                    f"SignalArrays.build: partial_take_profit has shape {levels.shape}; "
                    "expected [T, K] or [K] with K >= 1 target levels"
                )
            k = levels.shape[1]
            ladder = np.ascontiguousarray(np.broadcast_to(levels, (n, k)))
            fractions = (
                np.full(k, 1.0 / k) if partial_fractions is None
                else np.asarray(partial_fractions, dtype=np.float64)
            )
        elif partial_fractions is not None:
            raise DataError(
                "SignalArrays.build: partial_fractions given without partial_take_profit; "
                "pass the target levels too, or neither"
            )
        out = cls(
            direction=np.ascontiguousarray(d, dtype=np.int8),
            size=_f(size, 1.0),
            stop=_f(stop, np.nan),
            take_profit=_f(take_profit, np.nan),
            max_holding=_i(max_holding),
            limit_price=_f(limit_price, np.nan),
            limit_valid=_i(limit_valid),
            partial_take_profit=ladder,
            partial_fractions=None if fractions is None else np.ascontiguousarray(fractions),
        )
        out.check_length(n)
        return out

    def from_row(self, start: int) -> SignalArrays:
        """The signals of rows ``start …`` (the per-row arrays cut, the fractions kept)."""
        ladder = self.partial_take_profit
        return SignalArrays(
            direction=self.direction[start:], size=self.size[start:], stop=self.stop[start:],
            take_profit=self.take_profit[start:], max_holding=self.max_holding[start:],
            limit_price=self.limit_price[start:], limit_valid=self.limit_valid[start:],
            partial_take_profit=None if ladder is None else ladder[start:],
            partial_fractions=self.partial_fractions,
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
        self._check_ladder(n)

    def _check_ladder(self, n: int) -> None:
        ladder, fractions = self.partial_take_profit, self.partial_fractions
        if ladder is None and fractions is None:
            return
        if ladder is None or fractions is None:
            raise DataError(
                "SignalArrays: partial_take_profit and partial_fractions go together; "
                "give both (SignalArrays.build fills equal fractions) or neither"
            )
        if ladder.ndim != 2 or ladder.shape[0] != n or ladder.dtype != np.float64:
            raise DataError(
                f"SignalArrays.partial_take_profit: shape {ladder.shape} dtype {ladder.dtype}, "
                f"expected ({n}, K) float64"
            )
        k = ladder.shape[1]
        if fractions.shape != (k,) or fractions.dtype != np.float64 or k == 0:
            raise DataError(
                f"SignalArrays.partial_fractions: shape {fractions.shape} dtype {fractions.dtype}, "
                f"expected ({k},) float64 with K >= 1 (one fraction per target column)"
            )
        if not (np.isfinite(fractions).all() and (fractions > 0).all()) or not math.isclose(
            float(fractions.sum()), 1.0, abs_tol=1e-9
        ):
            raise DataError(
                f"SignalArrays.partial_fractions {fractions.tolist()} must be > 0 and sum to 1 "
                "(shares of the original position closed at each target)"
            )
        finite = np.isfinite(ladder)
        gap = finite[:, 1:] & ~finite[:, :-1]
        if gap.any():
            row = int(np.argmax(gap.any(axis=1)))
            raise DataError(
                f"SignalArrays.partial_take_profit row {row} {ladder[row].tolist()}: a level "
                "follows a NaN; put the finite targets first, NaN only after them"
            )
        step = np.diff(ladder, axis=1) * self.direction[:, None]
        bad = finite[:, 1:] & ~(step > 0) & (self.direction != 0)[:, None]
        if bad.any():
            row = int(np.argmax(bad.any(axis=1)))
            raise DataError(
                f"SignalArrays.partial_take_profit row {row} {ladder[row].tolist()} "
                f"(direction {int(self.direction[row])}): targets must move away from the "
                "entry, ascending for a long and descending for a short, nearest first"
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
    take_profit_ladder: list[float] | None = Field(
        None,
        description="Take-profit ladder in the exits' unit (ATRs or fractions), nearest first; "
        "replaces exits.take_profit. None: one take-profit.",
    )
    partial_fractions: list[float] | None = Field(
        None,
        description="Share of the original position closed at each partial target (sum 1); "
        "None: equal shares.",
    )

    @model_validator(mode="after")
    def _check_ladder(self) -> SignalConfig:
        targets, fractions = self.take_profit_ladder, self.partial_fractions
        if targets is None:
            if fractions is not None:
                raise ValueError(
                    f"partial_fractions {fractions} without take_profit_ladder; give the targets "
                    "too, or drop the fractions"
                )
            return self
        if not targets or any(not v > 0 for v in targets) or any(
            b <= a for a, b in pairwise(targets)
        ):
            raise ValueError(
                f"take_profit_ladder {targets} must be non-empty, positive and strictly ascending "
                "(nearest target first)"
            )
        if fractions is not None and (
            len(fractions) != len(targets)
            or any(not f > 0 for f in fractions)
            or not math.isclose(sum(fractions), 1.0, abs_tol=1e-9)
        ):
            raise ValueError(
                f"partial_fractions {fractions} must have one value > 0 per target "
                f"({len(targets)}) and sum to 1"
            )
        return self

    def ladder(self) -> tuple[list[float], list[float]] | None:
        """``(targets, fractions)`` of the partial take-profits (equal shares by default)."""
        if self.take_profit_ladder is None:
            return None
        k = len(self.take_profit_ladder)
        fractions = self.partial_fractions or [1.0 / k] * k
        return list(self.take_profit_ladder), list(fractions)


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

    With ``config.take_profit_ladder`` each target ``m`` is placed as ``barrier_levels`` places
    ``exit_spec.take_profit`` (``m`` ATRs or ``m`` as a fraction from ``open[t+1]``); the
    ladder replaces the single take-profit (``take_profit`` then holds the last target) and
    Kelly's payoff is ``b = Σ fraction_k · m_k / stop_loss``.
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
    ladder = cfg.ladder()
    partial = None
    if ladder is not None:
        levels = []
        for m in ladder[0]:
            spec_m = exit_spec.model_copy(update={"take_profit": float(m)})
            tp_l, _ = barrier_levels(candles, spec_m, "long")
            tp_s, _ = barrier_levels(candles, spec_m, "short")
            levels.append(np.where(long_mask, tp_l, tp_s))
        partial = np.stack(levels, axis=1)
        take_profit = partial[:, -1]
    if cfg.sizing == "kelly":
        reward = exit_spec.take_profit if ladder is None else float(np.dot(*ladder))
        payoff = reward / exit_spec.stop_loss
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
        partial_take_profit=None if partial is None else np.where(direction[:, None] != 0, partial, np.nan),
        partial_fractions=None if ladder is None else ladder[1],
    )
