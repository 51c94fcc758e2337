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

import numpy as np
import pandas as pd

from tradewind.exceptions import DataError
from tradewind.labels.barriers import barrier_levels
from tradewind.policy import TradePolicy, decide, state_features

__all__ = [
    "SignalArrays",
    "signals_from_probabilities",
]


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


def signals_from_probabilities(
    proba: np.ndarray,
    class_names: Sequence[str],
    candles: pd.DataFrame,
    policy: TradePolicy,
) -> SignalArrays:
    """Signals from calibrated class probabilities [T, C] aligned with ``candles`` rows.

    Direction and size are :func:`tradewind.policy.decide` of ``policy`` (NaN rows: no
    prediction, flat). Levels are :func:`barrier_levels` of ``policy.exits`` for the side
    taken (rows without levels, e.g. the ATR warm-up, stay flat); a time-only policy
    (``exits`` None) has no stop or target. The time exit is ``policy.max_holding``.

    With ``policy.take_profit_ladder`` each target ``m`` is placed as ``barrier_levels``
    places ``exits.take_profit`` (``m`` ATRs or ``m`` as a fraction from ``open[t+1]``); the
    ladder replaces the single take-profit (``take_profit`` then holds the last target).
    """
    proba = np.asarray(proba, dtype=np.float64)
    n = len(candles)
    if proba.ndim != 2 or proba.shape != (n, len(class_names)):
        raise DataError(
            f"signals_from_probabilities: proba has shape {proba.shape}, expected ({n}, "
            f"{len(class_names)}) (one row per candle, one column per class {tuple(class_names)})"
        )
    state = state_features(candles) if policy.meta is not None else None
    decision = decide(proba, class_names, policy, state)
    direction = decision.direction.copy()
    exits = policy.exits
    if exits is None:
        stop = take_profit = np.full(n, np.nan)
        direction[n - 1:] = 0  # no next open to enter at
        partial, ladder = None, None
    else:
        tp_long, stop_long = barrier_levels(candles, exits, "long")
        tp_short, stop_short = barrier_levels(candles, exits, "short")
        long_mask = direction > 0
        stop = np.where(long_mask, stop_long, stop_short)
        take_profit = np.where(long_mask, tp_long, tp_short)
        direction[~(np.isfinite(stop) & np.isfinite(take_profit))] = 0
        ladder = policy.ladder()
        partial = None
        if ladder is not None:
            levels = []
            for m in ladder[0]:
                spec_m = exits.model_copy(update={"take_profit": float(m)})
                tp_l, _ = barrier_levels(candles, spec_m, "long")
                tp_s, _ = barrier_levels(candles, spec_m, "short")
                levels.append(np.where(long_mask, tp_l, tp_s))
            partial = np.stack(levels, axis=1)
            take_profit = partial[:, -1]
    active = direction != 0
    return SignalArrays.build(
        direction,
        size=np.where(active, decision.size, policy.fraction),
        stop=np.where(active, stop, np.nan),
        take_profit=np.where(active, take_profit, np.nan),
        max_holding=policy.max_holding,
        partial_take_profit=None if partial is None else np.where(active[:, None], partial, np.nan),
        partial_fractions=None if ladder is None else ladder[1],
    )
