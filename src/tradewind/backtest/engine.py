"""The numba backtest loop: one instrument, one position at a time, costs on every fill.

Conventions (bar ``t`` is the row of a candle; its timestamp is the bar's open time):

- **Signals** are read at the close of bar ``t`` and act on bar ``t+1``. A market entry fills
  at ``open[t+1]``; this is the entry :class:`~tradewind.labels.ExitSpec` and the
  triple-barrier labels assume, so a label at ``t`` is the outcome of the trade the signal at
  ``t`` opens (without costs).
- **Limit entries** (``limit_price`` finite): the order is live on bars ``t+1 … t+limit_valid``;
  a long fills when ``low ≤ limit`` at ``min(open, limit)``, a short when ``high ≥ limit`` at
  ``max(open, limit)``. An order that never fills expires and no trade happens. On the bar a
  limit fills *inside* the bar only the stop is checked (the path after the fill is unknown;
  assuming the target was reached after the fill would be optimistic); when it fills at the
  open both levels are checked, as for a market entry.
- **Exits**, checked on every bar the position is open, including the entry bar, in this order:
  stop-loss, take-profit, maximum holding time, opposite signal. **When one bar touches both
  the stop and the take-profit, the stop is taken** (conservative: the intrabar path is unknown).
  **Gaps**: a bar opening beyond a level fills at its open. The level test is
  :func:`tradewind.labels.first_touch` itself (touch within a relative 1e-9).
  The time exit is at the **close of bar** ``entry_bar + max_holding − 1`` (the vertical barrier
  of the labels: bars ``t+1 … t+max_holding``). ``max_holding ≤ 0`` means no time exit.
- **Partial take-profits** (``SignalArrays.partial_take_profit``/``partial_fractions``): the
  row's ladder replaces its single target. Target ``k`` closes ``partial_fractions[k]`` of the
  *original* units (rounded down to whole units with ``"integer_units"``; a fill of zero
  units is skipped); the row's last finite target closes what remains. Each bar, the stop
  is checked first **for the whole remaining size** (a bar touching the stop and any target
  takes the stop only); otherwise every next target the bar touches fills, in order, at its
  level, or at the open when the bar opens beyond it. Each partial fill pays its own
  slippage and fee. The time, end and signal exits close the remaining units. The trade
  list keeps **one row per trade** (so trade counts and win rates count trades): ``units``
  is the original size, ``exit_price`` the unit-weighted mean of its exit fills, ``fees`` and
  ``pnl`` the sums over all fills, ``exit_bar``/``exit_reason`` those of the fill that
  closed the rest, ``exit_fills`` how many exit fills it had and ``partial_units`` the units
  closed by partial targets before that last fill.
- **Opposite signal**: closes the position at the next open; with ``on_opposite="reverse"``
  the same open also enters the new side, with ``"close"`` it stays flat. A signal in the
  direction already held is ignored (no pyramiding). With ``long_only`` a ``-1`` signal only
  closes a long. A new signal while flat replaces a pending limit order.
- **Costs**, per side, in basis points: slippage worsens every fill (buy at ``price × (1+s)``,
  sell at ``price × (1−s)``, stops and targets included); the fee is ``fee × units × fill``.
- **Sizing**: ``"fraction"`` buys ``size × equity / fill`` units (fractional); ``"integer_units"``
  mimics backtesting.py: ``units = (equity × size) // (fill + size × fill × fee / size)``,
  rounded down to whole units, skipped when zero.
- **Equity** ``[T]`` is marked at each bar's close: cash plus the open position's gain at that
  close (the exit fee is paid when the position closes). At the end of the data an open
  position is closed at the last close (reason ``"end"``) unless ``close_at_end=False``, which
  leaves it open and marked (as backtesting.py does without ``finalize_trades``).

Parity with backtesting.py 0.6 (tested in ``tests/backtest``): market entries, ``spread=0``,
``commission=fee``, ``exclusive_orders=True`` (reverse) or ``position.close()`` (close),
``finalize_trades=False``, sizing ``"integer_units"``, no slippage (their ``spread`` is charged
on entry only), no time exit (their market close fills at the next open, ours at the close).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numba import njit
from pydantic import BaseModel, ConfigDict, Field

from tradewind.backtest.signals_arrays import SignalArrays
from tradewind.exceptions import DataError
from tradewind.labels.barriers import first_touch

__all__ = [
    "EXIT_REASONS",
    "BacktestConfig",
    "BacktestResult",
    "run_backtest",
]

EXIT_REASONS: tuple[str, ...] = ("stop", "take_profit", "time", "signal", "end")
"""Exit reason names, indexed by the codes the numba loop writes."""
_STOP, _TARGET, _TIME, _SIGNAL, _END = 0, 1, 2, 3, 4


class BacktestConfig(BaseModel):
    """Costs, sizing and rules of one backtest (the ``backtest:`` section of an experiment)."""

    model_config = ConfigDict(extra="forbid")

    initial_equity: float = Field(10_000.0, gt=0, description="Starting cash.")
    fee_bps: float = Field(0.0, ge=0, description="Fee per side, basis points of the notional.")
    slippage_bps: float = Field(0.0, ge=0, description="Adverse price move per fill, basis points.")
    long_only: bool = Field(False, description="Never open shorts; a -1 signal only closes a long.")
    on_opposite: Literal["reverse", "close"] = Field(
        "reverse", description="An opposite signal closes and reverses, or only closes."
    )
    sizing: Literal["fraction", "integer_units"] = Field(
        "fraction", description="Fractional units, or whole units as backtesting.py rounds them."
    )
    close_at_end: bool = Field(True, description="Close an open position at the last close.")


@dataclass(frozen=True)
class BacktestResult:
    """What a backtest produced.

    Attributes
    ----------
    trades:
        One row per closed trade: ``entry_bar``, ``exit_bar`` (row indices), ``entry_time``,
        ``exit_time`` (bar open times), ``direction`` (+1/-1), ``units``, ``fraction`` (the
        signal's size), ``entry_price``, ``exit_price`` (fills, costs included), ``fees``,
        ``pnl`` (cash, after fees), ``return`` (pnl / entry notional), ``exit_reason``,
        ``exit_fills`` (1 unless partial take-profits split the exit) and ``partial_units``
        (units closed at partial targets before the final fill; see the module notes).
    equity:
        float64 [T], equity at each bar's close.
    position:
        int8 [T], the side held at each bar's close (0 flat).
    initial_equity:
        The starting cash.
    close:
        float64 [T], the close prices (for buy-and-hold and statistics).
    index:
        The candles' DatetimeIndex (bar open times).
    """

    trades: pd.DataFrame
    equity: np.ndarray
    position: np.ndarray
    initial_equity: float
    close: np.ndarray
    index: pd.Index

    @property
    def final_equity(self) -> float:
        """Equity at the last bar's close."""
        return float(self.equity[-1]) if len(self.equity) else self.initial_equity


@njit(cache=True)
def _enter_units(equity: float, frac: float, fill: float, fee: float, integer_units: bool) -> float:
    if integer_units:
        return float(int((equity * frac) // (fill + (frac * fill * fee) / frac)))
    return equity * frac / fill


@njit(cache=True)
def _partial_units(share: float, units0: float, integer_units: bool) -> float:
    q = share * units0
    return float(np.floor(q + 1e-9)) if integer_units else q


@njit(cache=True)
def _ladder_len(ladder: np.ndarray, row: int) -> int:
    # the row's finite targets come first; 0 means it uses its single take_profit
    k = 0
    while k < ladder.shape[1] and np.isfinite(ladder[row, k]):
        k += 1
    return k


@njit(cache=True)
def _close_trade(
    trades: tuple, k: int, j: int, px: float, reason: int, side: int, units: float,
    units0: float, entry_fill: float, entry_fee: float, fills: int, acc_gross: float,
    acc_xfee: float, acc_xnot: float, slip: float, fee: float,
) -> float:
    """Close the trade's remaining ``units`` at ``px`` on bar ``j``, fill in trade row ``k``.

    Partial take-profit fills already taken (``acc_*``) are folded into the row: the exit
    price is the units-weighted mean of every exit fill. Returns the cash the close adds.
    """
    t_exit, t_pout, t_fees, t_pnl, t_reason, t_fills, t_part = trades
    xf = px * (1.0 - side * slip)
    xfee = units * xf * fee
    gross = side * units * (xf - entry_fill)
    t_exit[k] = j
    t_pout[k] = xf if fills == 0 else (acc_xnot + units * xf) / units0
    t_fees[k] = entry_fee + (acc_xfee + xfee)
    t_pnl[k] = (acc_gross + gross) - entry_fee - (acc_xfee + xfee)
    t_reason[k] = reason
    t_fills[k] = fills + 1
    t_part[k] = units0 - units
    return gross - xfee


@njit(cache=True)
def _simulate(
    open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray,
    direction: np.ndarray, size: np.ndarray, stop: np.ndarray, take_profit: np.ndarray,
    max_holding: np.ndarray, limit_price: np.ndarray, limit_valid: np.ndarray,
    ladder: np.ndarray, shares: np.ndarray, initial_equity: float, fee: float, slip: float, long_only: bool, reverse: bool,
    integer_units: bool, close_at_end: bool,
) -> tuple[np.ndarray, ...]:  # pragma: no cover - compiled
    """Bar loop; returns equity, position and the trade columns (see :func:`run_backtest`)."""
    n = close.shape[0]
    equity = np.empty(n)
    position = np.zeros(n, dtype=np.int8)
    t_entry = np.empty(n, dtype=np.int64)
    t_exit = np.empty(n, dtype=np.int64)
    t_dir = np.empty(n, dtype=np.int8)
    t_units = np.empty(n)
    t_frac = np.empty(n)
    t_pin = np.empty(n)
    t_pout = np.empty(n)
    t_fees = np.empty(n)
    t_pnl = np.empty(n)
    t_reason = np.empty(n, dtype=np.int8)
    t_fills = np.empty(n, dtype=np.int64)
    t_part = np.empty(n)
    k = 0
    cash = initial_equity
    side = 0
    units = 0.0
    entry_fill = 0.0
    entry_fee = 0.0
    entry_bar = 0
    frac = 0.0
    p_stop = np.nan
    p_tp = np.nan
    p_hold = 0
    check_tp = True
    # partial take-profits of the open trade: its signal row, ladder length, next target
    p_src = 0
    p_ntg = 0
    p_next = 0
    units0 = 0.0
    acc_gross = 0.0
    acc_xfee = 0.0
    acc_xnot = 0.0
    fills = 0
    # orders scheduled by the signal of the previous bar
    pend_close = False
    pend_side = 0
    pend_src = -1
    # live limit order
    lim_side = 0
    lim_src = -1
    lim_last = -1
    trades = (t_exit, t_pout, t_fees, t_pnl, t_reason, t_fills, t_part)
    for j in range(n):
        if pend_close and side != 0:
            cash += _close_trade(trades, k, j, open_[j], _SIGNAL, side, units, units0, entry_fill,
                                 entry_fee, fills, acc_gross, acc_xfee, acc_xnot, slip, fee)
            k += 1
            side = 0
        pend_close = False
        if pend_side != 0:
            s = pend_src
            if np.isfinite(limit_price[s]):
                lim_side = pend_side
                lim_src = s
                lim_last = s + max(limit_valid[s], 1)
            elif cash > 0:
                fill = open_[j] * (1.0 + pend_side * slip)
                u = _enter_units(cash, size[s], fill, fee, integer_units)
                if u > 0:
                    side, units, entry_fill, entry_bar, frac = pend_side, u, fill, j, size[s]
                    entry_fee = units * fill * fee
                    cash -= entry_fee
                    p_stop, p_tp, p_hold = stop[s], take_profit[s], max_holding[s]
                    check_tp = True
                    p_src, p_next, p_ntg, units0, fills = s, 0, _ladder_len(ladder, s), u, 0
                    acc_gross, acc_xfee, acc_xnot = 0.0, 0.0, 0.0
                    t_entry[k], t_dir[k], t_units[k], t_frac[k], t_pin[k] = j, side, u, frac, fill
            pend_side = 0
        if lim_side != 0 and side == 0:
            if j > lim_last or cash <= 0:
                lim_side = 0
            else:
                lp = limit_price[lim_src]
                hit = low[j] <= lp if lim_side > 0 else high[j] >= lp
                if hit:
                    at_open = open_[j] <= lp if lim_side > 0 else open_[j] >= lp
                    px = open_[j] if at_open else lp
                    fill = px * (1.0 + lim_side * slip)
                    s = lim_src
                    u = _enter_units(cash, size[s], fill, fee, integer_units)
                    if u > 0:
                        side, units, entry_fill, entry_bar, frac = lim_side, u, fill, j, size[s]
                        entry_fee = units * fill * fee
                        cash -= entry_fee
                        p_stop, p_tp, p_hold = stop[s], take_profit[s], max_holding[s]
                        check_tp = at_open
                        p_src, p_next, p_ntg, units0, fills = s, 0, _ladder_len(ladder, s), u, 0
                        acc_gross, acc_xfee, acc_xnot = 0.0, 0.0, 0.0
                        t_entry[k], t_dir[k], t_units[k], t_frac[k], t_pin[k] = j, side, u, frac, fill
                    lim_side = 0
        if side != 0:
            reason = -1
            while True:
                tp_level = np.nan
                if check_tp:
                    tp_level = ladder[p_src, p_next] if p_ntg > 0 else p_tp
                _, outcome, px = first_touch(open_, high, low, close, j, j, tp_level, p_stop, side)
                if outcome < 0:
                    reason = _STOP
                    break
                if outcome == 0:
                    break
                q = units
                if p_ntg > 0 and p_next < p_ntg - 1:
                    q = min(units, _partial_units(shares[p_next], units0, integer_units))
                if q >= units:
                    reason = _TARGET
                    break
                p_next += 1
                if q > 0:
                    xf = px * (1.0 - side * slip)
                    xfee = q * xf * fee
                    gross = side * q * (xf - entry_fill)
                    cash += gross - xfee
                    acc_gross += gross
                    acc_xfee += xfee
                    acc_xnot += q * xf
                    units -= q
                    fills += 1
            if reason < 0 and p_hold > 0 and j >= entry_bar + p_hold - 1:
                reason = _TIME
                px = close[j]
            elif reason < 0 and close_at_end and j == n - 1:
                reason = _END
                px = close[j]
            if reason >= 0:
                cash += _close_trade(trades, k, j, px, reason, side, units, units0, entry_fill,
                                     entry_fee, fills, acc_gross, acc_xfee, acc_xnot, slip, fee)
                k += 1
                side = 0
            check_tp = True
        if side != 0:
            equity[j] = cash + side * units * (close[j] - entry_fill)
        else:
            equity[j] = cash
        position[j] = side
        d = direction[j]
        if j == n - 1 or d == 0 or not (size[j] > 0):
            continue
        if side == 0:
            if d > 0 or not long_only:
                pend_side = d
                pend_src = j
                lim_side = 0
        elif side == -d:
            pend_close = True
            if reverse and (d > 0 or not long_only):
                pend_side = d
                pend_src = j
    return (
        equity, position, t_entry[:k], t_exit[:k], t_dir[:k], t_units[:k], t_frac[:k],
        t_pin[:k], t_pout[:k], t_fees[:k], t_pnl[:k], t_reason[:k], t_fills[:k], t_part[:k],
    )


def _plain(a: np.ndarray) -> np.ndarray:
    # contiguous and writeable: numba compiles read-only arrays as another type (a recompile)
    return np.require(a, requirements=["C_CONTIGUOUS", "WRITEABLE"])


def _prices(candles: pd.DataFrame) -> tuple[np.ndarray, ...]:
    for column in ("open", "high", "low", "close"):
        if column not in candles.columns:
            raise DataError(
                f"run_backtest: candles have no {column!r} column; canonical candles have "
                "open, high, low, close, volume"
            )
    arrays = tuple(_plain(candles[c].to_numpy(dtype=np.float64)) for c in ("open", "high", "low", "close"))
    bad = ~np.isfinite(np.vstack(arrays)).all(axis=0)
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            f"run_backtest: candles row {row} ({candles.index[row]}) has a non-finite price; "
            "drop or fill it before backtesting"
        )
    return arrays


def run_backtest(
    candles: pd.DataFrame, signals: SignalArrays, config: BacktestConfig | None = None
) -> BacktestResult:
    """Simulate ``signals`` over ``candles`` with the costs and rules of ``config``.

    Parameters
    ----------
    candles:
        Canonical candles (T rows, bar open times, ``open, high, low, close`` float64).
    signals:
        Per-bar signal arrays of length T (see :class:`SignalArrays`); row ``t`` acts on
        bar ``t+1``.
    config:
        Costs and rules; defaults to :class:`BacktestConfig` ``()`` (no costs, fraction sizing).
    """
    cfg = config if config is not None else BacktestConfig()
    o, h, lo, c = _prices(candles)
    signals.check_length(len(c))
    if signals.partial_take_profit is None or signals.partial_fractions is None:
        ladder, shares = np.empty((len(c), 0)), np.empty(0)
    else:
        ladder, shares = _plain(signals.partial_take_profit), _plain(signals.partial_fractions)
    out = _simulate(
        o, h, lo, c,
        *(_plain(getattr(signals, name)) for name in (
            "direction", "size", "stop", "take_profit", "max_holding", "limit_price", "limit_valid"
        )),
        ladder, shares, float(cfg.initial_equity), cfg.fee_bps / 1e4, cfg.slippage_bps / 1e4,
        cfg.long_only, cfg.on_opposite == "reverse", cfg.sizing == "integer_units",
        cfg.close_at_end,
    )
    equity, position, entry, exit_, side, units, frac, pin, pout, fees, pnl, reason, fills, part = out
    index = candles.index
    trades = pd.DataFrame(
        {
            "entry_bar": entry,
            "exit_bar": exit_,
            "entry_time": index[entry] if len(entry) else pd.DatetimeIndex([], tz="UTC"),
            "exit_time": index[exit_] if len(exit_) else pd.DatetimeIndex([], tz="UTC"),
            "direction": side.astype(np.int64),
            "units": units,
            "fraction": frac,
            "entry_price": pin,
            "exit_price": pout,
            "fees": fees,
            "pnl": pnl,
            "return": pnl / (units * pin) if len(units) else np.empty(0),
            "exit_reason": np.asarray(EXIT_REASONS, dtype=object)[reason.astype(np.int64)],
            "exit_fills": fills,
            "partial_units": part,
        }
    )
    return BacktestResult(
        trades=trades,
        equity=equity,
        position=position,
        initial_equity=float(cfg.initial_equity),
        close=c,
        index=index,
    )
