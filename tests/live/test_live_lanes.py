"""``run_live_many``: several symbols in one loop wait once per bar, and one symbol's
exchange outage neither loses nor duplicates the other symbols' bars."""

from __future__ import annotations

import pandas as pd
import pytest

from tradewind.artifacts.bundle import Bundle
from tradewind.exceptions import ConfigError, FetchError
from tradewind.live import ExchangeSource, LiveLane, ReplaySource, SignalLog, run_live_many


def test_replays_side_by_side_wait_once_per_bar(bundle: Bundle, candles: pd.DataFrame) -> None:
    waits: dict[str, list[float]] = {"A": [], "B": []}
    checked: list[tuple[str, int]] = []

    def monitor(symbol: str):
        def check(log: SignalLog, predictor: object) -> list[str]:
            checked.append((symbol, len(log.signals(symbol, "1h"))))
            return [f"{symbol} drifts"]
        return check

    lanes = [LiveLane("B", bundle, ReplaySource(candles.iloc[:-10], sleep=waits["B"].append),
                      monitor=monitor("B")),
             LiveLane("A", bundle, ReplaySource(candles, sleep=waits["A"].append),
                      monitor=monitor("A"))]
    with SignalLog(":memory:") as log:
        results = run_live_many(lanes, log=log, timeframe="1h", speed=3600, show=False,
                                paper=False, monitor_every=20)
        stamps = {s: log.bar_timestamps(s, "1h") for s in "AB"}
    n = len(candles) - bundle.min_candles + 1
    # each symbol's monitor checks its own rows every 20 of its own signals
    assert n > 60 and len(checked) == n // 20 + (n - 10) // 20
    assert sorted(c for s, c in checked if s == "A") == list(range(20, n + 1, 20))
    assert sorted(c for s, c in checked if s == "B") == list(range(20, n - 9, 20))
    assert set(results["A"].monitor_warnings) == {"A drifts"}
    assert [len(results["A"].logged), len(results["B"].logged)] == [n, n - 10]
    assert stamps["A"] == list(candles.index[bundle.min_candles - 1:])
    assert stamps["B"] == stamps["A"][:-10]
    # B (first) sleeps a bar for both while it lasts, then A sleeps for itself
    assert (len(waits["B"]), len(waits["A"])) == (n - 11, 10)


def test_an_outage_of_one_symbol_keeps_the_other_symbols_bars(
    bundle: Bundle, candles: pd.DataFrame, clocked
) -> None:
    import ccxt

    need = bundle.min_candles
    start = need + 5  # bars need-1 ... start-1 have closed, bar `start` is forming
    exchange = clocked(candles, now_ms=int(candles.index[start].value // 1_000_000) + 60_000)
    real, down = exchange.fetch_ohlcv, {"B"}
    retries: list[float] = []

    def fetch(symbol: str, *args: object, **kwargs: object) -> list[list[float]]:
        if symbol in down:
            raise ccxt.NetworkError("connection reset")
        return real(symbol, *args, **kwargs)

    exchange.fetch_ohlcv = fetch

    def lanes() -> list[LiveLane]:
        def source(symbol: str) -> ExchangeSource:
            return ExchangeSource(exchange, symbol, "1h", clock=lambda: exchange.now_ms,
                                  sleep=lambda s: (retries.append(s), exchange.sleep(s)),
                                  settle_seconds=1.0, max_retries=2)
        return [LiveLane("B", bundle, source("B")), LiveLane("A", bundle, source("A"))]

    with SignalLog(":memory:") as log:
        with pytest.raises(FetchError, match=r"clocked B 1h: NetworkError: connection reset "
                                             r"after 2 retries"):
            run_live_many(lanes(), log=log, timeframe="1h", history=500, show=False)
        closed = list(candles.index[need - 1: start])
        assert log.bar_timestamps("A", "1h") == closed  # handled although B failed first
        assert log.bar_timestamps("B", "1h") == []
        assert retries[:2] == [1.0, 2.0]  # B's own backoff, as with one symbol
        down.clear()  # the exchange is back: a restart resumes each symbol where it was
        results = run_live_many(lanes(), log=log, timeframe="1h", history=500, show=False,
                                max_bars=len(closed) + 2)
        assert results["A"].resumed_after == closed[-1] and results["B"].resumed_after is None
        assert log.bar_timestamps("B", "1h") == list(candles.index[need - 1: start + 2])
        assert log.bar_timestamps("A", "1h") == list(candles.index[need - 1: start + len(closed)
                                                                   + 2])


@pytest.mark.parametrize(("make", "message"), [
    (lambda b, c, r: [LiveLane("A", b, r(c)), LiveLane("A", b, r(c))], "A given twice"),
    (lambda b, c, r: [LiveLane("A", b, src := r(c)), LiveLane("B", b, src)],
     "share one candle source"),
    (lambda b, c, r: [LiveLane("A", b, r(c)),
                      LiveLane("B", b, ExchangeSource(object(), "B", "1h"))],
     "use one kind of source"),
    (lambda b, c, r: [], "no symbol to run"),
])
def test_lanes_that_cannot_share_a_loop_are_refused(bundle: Bundle, candles: pd.DataFrame,
                                                    make, message: str) -> None:
    with SignalLog(":memory:") as log:
        with pytest.raises(ConfigError, match=message):
            run_live_many(make(bundle, candles, ReplaySource), log=log, timeframe="1h",
                          show=False)
        assert log.signals() == []
