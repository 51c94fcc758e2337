"""Parity with backtesting.py 0.6 on its own sample data.

Alignment (see :mod:`tradewind.backtest.engine`): market entries at the next open, fixed
percentage stop/take-profit levels measured from that open (passed to both as the same
absolute prices), ``commission`` = our ``fee_bps``, no spread/slippage, whole-unit sizing
(ours ``sizing="integer_units"``: ``units = (cash × f) // (price + f·price·fee / f)``, as
their broker computes it), no time exit, ``finalize_trades=False`` (ours
``close_at_end=False``). Reversals: theirs ``exclusive_orders=True`` (the new order closes
the open trade at the same open first), ours ``on_opposite="reverse"``. Their strategy
acts only when flat or on an opposite signal, as ours does. Their ``new_order`` refuses a
long whose stop/target do not bracket the last close, so such signals are dropped from both.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tradewind.backtest import BacktestConfig, SignalArrays, run_backtest
from tradewind.labels import ExitSpec, barrier_levels

backtesting = pytest.importorskip("backtesting")
from backtesting import Backtest, Strategy  # noqa: E402
from backtesting.test import EURUSD, GOOG  # noqa: E402


def _canonical(df: pd.DataFrame) -> pd.DataFrame:
    out = df[["Open", "High", "Low", "Close"]].astype(np.float64)
    out.columns = ["open", "high", "low", "close"]
    out["volume"] = 1.0
    return out


def _signals(candles: pd.DataFrame, seed: int, every: int, pct: float) -> SignalArrays:
    rng = np.random.default_rng(seed)
    n = len(candles)
    direction = np.zeros(n, dtype=np.int8)
    picks = np.arange(1, n - 1, every)
    direction[picks] = rng.choice(np.array([-1, 1], dtype=np.int8), size=len(picks))
    spec = ExitSpec(take_profit=2 * pct, stop_loss=pct, unit="pct")
    tp_l, sl_l = barrier_levels(candles, spec, "long")
    tp_s, sl_s = barrier_levels(candles, spec, "short")
    long_ = direction > 0
    stop = np.where(long_, sl_l, sl_s)
    tp = np.where(long_, tp_l, tp_s)
    close = candles["close"].to_numpy()
    low_level, high_level = np.minimum(stop, tp), np.maximum(stop, tp)
    ok = (low_level < close) & (close < high_level)
    direction[~ok] = 0
    keep = direction != 0
    return SignalArrays.build(
        direction, size=0.5, stop=np.where(keep, stop, np.nan), take_profit=np.where(keep, tp, np.nan)
    )


def _theirs(data: pd.DataFrame, sig: SignalArrays, fee: float, reverse: bool):
    class Replay(Strategy):
        def init(self) -> None:
            pass

        def next(self) -> None:
            i = len(self.data) - 1
            d = int(sig.direction[i])
            if d == 0:
                return
            held = np.sign(self.position.size)
            if held == d:
                return
            if held != 0 and not reverse:
                self.position.close()
                return
            order = self.buy if d > 0 else self.sell
            order(size=float(sig.size[i]), sl=float(sig.stop[i]), tp=float(sig.take_profit[i]))

    bt = Backtest(data, Replay, cash=10_000, commission=fee, exclusive_orders=reverse,
                  finalize_trades=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bt.run()


@pytest.mark.parametrize(
    ("name", "every", "reverse", "pct"),
    [("GOOG", 7, True, 0.01), ("GOOG", 5, False, 0.01), ("EURUSD", 9, True, 0.002)],
)
def test_same_trades_and_equity_as_backtesting_py(name: str, every: int, reverse: bool, pct: float):
    data = {"GOOG": GOOG, "EURUSD": EURUSD}[name]
    candles = _canonical(data)
    fee = 0.002
    sig = _signals(candles, seed=7, every=every, pct=pct)
    cfg = BacktestConfig(
        fee_bps=fee * 1e4, sizing="integer_units", close_at_end=False,
        on_opposite="reverse" if reverse else "close",
    )
    ours = run_backtest(candles, sig, cfg)
    stats = _theirs(data, sig, fee, reverse)
    theirs = stats._trades
    assert len(ours.trades) > 30
    assert len(ours.trades) == len(theirs)
    np.testing.assert_array_equal(ours.trades.entry_bar, theirs.EntryBar)
    np.testing.assert_array_equal(ours.trades.exit_bar, theirs.ExitBar)
    np.testing.assert_allclose(ours.trades.entry_price, theirs.EntryPrice, rtol=1e-12)
    np.testing.assert_allclose(ours.trades.exit_price, theirs.ExitPrice, rtol=1e-12)
    np.testing.assert_array_equal(ours.trades.units * ours.trades.direction, theirs.Size)
    np.testing.assert_allclose(ours.trades.pnl, theirs.PnL, rtol=1e-9, atol=1e-9)
    reasons = set(ours.trades.exit_reason)
    assert {"stop", "take_profit"} <= reasons
    np.testing.assert_allclose(ours.equity, stats._equity_curve["Equity"], rtol=1e-9)
    assert ours.final_equity == pytest.approx(stats["Equity Final [$]"], rel=1e-9)
