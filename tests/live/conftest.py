"""Fixtures: a small synthetic market, cheap untrained bundles built on it, and a
ccxt-like exchange that knows what time it is."""

from __future__ import annotations

import pandas as pd
import pytest

from signal_bundles import market_fixtures

candles, make_bundle, bundle = market_fixtures(bars=170)


class ClockedExchange:
    """ccxt-like ``fetch_ohlcv`` over ``candles`` that knows what time it is.

    Bars whose open time is after ``now_ms`` do not exist yet; the bar that contains
    ``now_ms`` is still forming and is served with partial values (close = open, as a
    bar looks just after it opened), exactly what a real exchange returns last.
    """

    id = "clocked"

    def __init__(self, candles: pd.DataFrame, now_ms: int, page_size: int = 50) -> None:
        self.candles = candles
        self.now_ms = now_ms
        self.page_size = page_size
        self.step_ms = int((candles.index[1] - candles.index[0]).total_seconds() * 1000)
        self.calls = 0

    def fetch_ohlcv(self, symbol: str, timeframe: str = "1h", since: int | None = None,
                    limit: int | None = None, params: dict | None = None) -> list[list[float]]:
        self.calls += 1
        rows = []
        for ts, (o, h, lo, c, v) in zip(self.candles.index, self.candles.to_numpy(), strict=True):
            ms = int(ts.value // 1_000_000)
            if ms > self.now_ms or (since is not None and ms < since):
                continue
            if ms + self.step_ms > self.now_ms:  # forming
                rows.append([ms, o, o, o, o, 0.0])
            else:
                rows.append([ms, o, h, lo, c, v])
        return rows[: min(limit or 500, self.page_size)]

    def sleep(self, seconds: float) -> None:
        """Passing time: the clock moves on by ``seconds``."""
        self.now_ms += int(seconds * 1000)


@pytest.fixture
def clocked() -> type[ClockedExchange]:
    return ClockedExchange
