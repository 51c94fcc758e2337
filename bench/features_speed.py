"""How fast ``tradewind.features.compute`` runs on a million one-minute bars, one thread.

Aim: ``core15`` and ``strategy`` each under 2 s on one core (``smc`` is reported too).
Prints bars/second per set (best of ``--repeat`` runs, after one warm-up run that also
compiles the numba kernels); it never asserts. Run::

    .venv/bin/python bench/features_speed.py [--bars 1000000] [--repeat 3]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from tradewind.features import FeatureSpec, compute  # noqa: E402

AIM_SECONDS = 2.0
AIM_SETS = ("core15", "strategy")


def synthetic_minutes(n: int, seed: int = 7) -> pd.DataFrame:
    """``n`` one-minute OHLCV bars: a geometric random walk with volatility clusters."""
    rng = np.random.default_rng(seed)
    vol = 5e-4 * np.exp(np.convolve(rng.normal(0, 0.3, n), np.ones(60) / 60, mode="same") * 8)
    close = 30_000.0 * np.exp(np.cumsum(rng.normal(0.0, 1.0, n) * vol))
    open_ = np.concatenate([[close[0]], close[:-1]])
    wick = np.abs(rng.normal(0.0, 1.0, (2, n))) * vol * close
    high = np.maximum(open_, close) + wick[0]
    low = np.minimum(open_, close) - wick[1]
    volume = rng.lognormal(2.0, 1.0, n) * (rng.random(n) > 0.05)
    index = pd.date_range("2020-01-01", periods=n, freq="1min", tz="UTC", name="timestamp")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index
    )


def best_time(candles: pd.DataFrame, spec: FeatureSpec, repeat: int) -> float:
    compute(candles, spec)  # compile / warm caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        compute(candles, spec)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    candles = synthetic_minutes(args.bars)
    print(f"{args.bars:,} one-minute bars, best of {args.repeat} runs, one thread")
    for name in ("core15", "strategy", "smc"):
        seconds = best_time(candles, FeatureSpec(sets=[name]), args.repeat)
        rate = args.bars / seconds
        line = f"{name:>9}: {seconds:6.3f} s  {rate:>13,.0f} bars/s"
        if name in AIM_SETS:
            scaled = seconds * 1_000_000 / args.bars
            verdict = "aim met" if scaled < AIM_SECONDS else "AIM MISSED"
            line += f"  ({verdict}: < {AIM_SECONDS:.0f} s per million bars)"
        print(line)


if __name__ == "__main__":
    main()
