"""Fixtures: a small synthetic market and cheap untrained bundles built on it."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from signal_bundles import build_bundle
from tradewind.artifacts.bundle import Bundle
from tradewind.data import load


@pytest.fixture(scope="session")
def candles() -> pd.DataFrame:
    return load("synthetic:planted?bars=170&seed=3&timeframe=1h")


@pytest.fixture(scope="session")
def make_bundle(candles: pd.DataFrame) -> Callable[..., Bundle]:
    def make(seed: int = 0, kind: str = "direction", name: str = "unit") -> Bundle:
        return build_bundle(candles, seed=seed, kind=kind, name=name)

    return make


@pytest.fixture(scope="session")
def bundle(make_bundle: Callable[..., Bundle]) -> Bundle:
    return make_bundle()


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
