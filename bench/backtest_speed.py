"""Time tradewind's backtest engine against backtesting.py on synthetic candles.

Ours: 1,000,000 bars, a signal every 10 bars (random side, 1 % stop, 2 % take-profit,
10 bps fee, opposite signals reverse), timed after a compile warm-up, with fractional sizing
(whole units would stop trading once fees shrink the cash below one unit's price). backtesting.py: the same strategy on 50,000
bars (whole-unit sizing and ``exclusive_orders=True``, as in the parity test), and ours on
those 50,000 bars too with whole-unit sizing (the trade counts should match). Prints the
times and the per-bar ratio; never asserts. Run: ``.venv/bin/python bench/backtest_speed.py``.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from tradewind.backtest import BacktestConfig, SignalArrays, run_backtest
from tradewind.labels import ExitSpec, barrier_levels

FEE = 0.001


def synthetic(n: int, seed: int = 0) -> pd.DataFrame:
    """Random-walk candles with small gaps, canonical columns, 1-minute bars."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
    open_ = np.concatenate([[100.0], close[:-1]]) * np.exp(rng.normal(0, 0.0003, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.001, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.001, n)))
    index = pd.date_range("2020-01-01", periods=n, freq="1min", tz="UTC", name="timestamp")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": np.ones(n)}, index=index
    )


def signals(candles: pd.DataFrame, every: int = 10, seed: int = 1) -> SignalArrays:
    """A random long/short signal every ``every`` bars, bracketed by pct levels."""
    n = len(candles)
    rng = np.random.default_rng(seed)
    direction = np.zeros(n, dtype=np.int8)
    direction[1:-1:every] = rng.choice(np.array([-1, 1], dtype=np.int8), size=len(range(1, n - 1, every)))
    spec = ExitSpec(take_profit=0.02, stop_loss=0.01, unit="pct")
    tp_l, sl_l = barrier_levels(candles, spec, "long")
    tp_s, sl_s = barrier_levels(candles, spec, "short")
    stop = np.where(direction > 0, sl_l, sl_s)
    tp = np.where(direction > 0, tp_l, tp_s)
    close = candles["close"].to_numpy()
    ok = (np.minimum(stop, tp) < close) & (close < np.maximum(stop, tp))
    direction[~ok] = 0
    return SignalArrays.build(direction, size=0.5, stop=stop, take_profit=tp)


def time_ours(
    candles: pd.DataFrame, sig: SignalArrays, sizing: str, repeat: int = 3
) -> tuple[float, int]:
    cfg = BacktestConfig(fee_bps=FEE * 1e4, sizing=sizing, close_at_end=False)
    run_backtest(candles.iloc[:1000], _slice(sig, 1000), cfg)  # compile / load the cache
    best = float("inf")
    n_trades = 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = run_backtest(candles, sig, cfg)
        best = min(best, time.perf_counter() - start)
        n_trades = len(result.trades)
    return best, n_trades


def _slice(sig: SignalArrays, n: int) -> SignalArrays:
    """The first ``n`` rows (per-row arrays only; a run-wide fraction vector stays whole)."""
    parts = {}
    for name in SignalArrays.__dataclass_fields__:
        value = getattr(sig, name)
        per_row = isinstance(value, np.ndarray) and name != "partial_fractions"
        parts[name] = value[:n].copy() if per_row else value
    return SignalArrays(**parts)


def time_theirs(candles: pd.DataFrame, sig: SignalArrays) -> tuple[float, int]:
    from backtesting import Backtest, Strategy

    data = candles.rename(columns=str.capitalize)

    class Replay(Strategy):
        def init(self) -> None:
            pass

        def next(self) -> None:
            i = len(self.data) - 1
            d = int(sig.direction[i])
            if d == 0 or np.sign(self.position.size) == d:
                return
            order = self.buy if d > 0 else self.sell
            order(size=0.5, sl=float(sig.stop[i]), tp=float(sig.take_profit[i]))

    bt = Backtest(data, Replay, cash=10_000, commission=FEE, exclusive_orders=True)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = bt.run()
    return time.perf_counter() - start, len(stats._trades)


def main() -> None:
    big = synthetic(1_000_000)
    big_sig = signals(big)
    ours_s, ours_trades = time_ours(big, big_sig, "fraction")
    small = synthetic(50_000, seed=2)
    small_sig = signals(small)
    ours_small_s, ours_small_trades = time_ours(small, small_sig, "integer_units")
    theirs_s, theirs_trades = time_theirs(small, small_sig)
    ours_per_bar = ours_s / len(big)
    theirs_per_bar = theirs_s / len(small)
    print(f"tradewind     : {len(big):>9,d} bars {ours_s:8.3f} s  {ours_per_bar * 1e9:10.1f} ns/bar  "
          f"{ours_trades:,d} trades")
    print(f"tradewind     : {len(small):>9,d} bars {ours_small_s:8.3f} s  "
          f"{ours_small_s / len(small) * 1e9:10.1f} ns/bar  {ours_small_trades:,d} trades")
    print(f"backtesting.py: {len(small):>9,d} bars {theirs_s:8.3f} s  {theirs_per_bar * 1e9:10.1f} ns/bar  "
          f"{theirs_trades:,d} trades")
    print(f"per-bar speed-up (backtesting.py / tradewind): {theirs_per_bar / ours_per_bar:,.0f}x")


if __name__ == "__main__":
    main()
