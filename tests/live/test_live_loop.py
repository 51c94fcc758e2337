"""The live loop: replay parity with batch signals, restarts, closed bars only."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradewind.artifacts.bundle import Bundle
from tradewind.data import load
from tradewind.exceptions import ConfigError, DataError
from tradewind.labels import ExitSpec
from tradewind.live import ExchangeSource, ReplaySource, SignalLog, run_live
from tradewind.policy import TradePolicy
from tradewind.signals import Ensemble, Signal, signals_for_bars

SPEC = TradePolicy(threshold=0.5, max_holding=1, exits=ExitSpec(take_profit=3.0, stop_loss=2.0))


def _same(live: list[Signal], batch: list[Signal]) -> None:
    assert [s.timestamp for s in live] == [s.timestamp for s in batch]
    for a, b in zip(live, batch, strict=True):
        assert a.probabilities == pytest.approx(b.probabilities, abs=1e-6)
        assert a.direction == b.direction
        assert a.stop_loss == pytest.approx(b.stop_loss, rel=1e-9)
        assert a.take_profits == pytest.approx(b.take_profits, rel=1e-9)


def test_replay_bar_by_bar_equals_the_batch_signals(
    bundle: Bundle, candles: pd.DataFrame, tmp_path: Path
) -> None:
    with SignalLog(tmp_path / "log.sqlite") as log:
        result = run_live(bundle, source=ReplaySource(candles), log=log, policy=SPEC,
                          symbol="BTC/USDT", timeframe="1h", show=False)
        logged = log.signals("BTC/USDT", "1h")
    batch = signals_for_bars(bundle, candles, SPEC, symbol="BTC/USDT", timeframe="1h")
    assert len(batch) == len(candles) - bundle.min_candles + 1
    _same(result.logged, batch)
    _same(logged, batch)
    assert {s.direction.value for s in logged} >= {"LONG", "SHORT"}


def test_an_ensemble_runs_live_like_its_batch(make_bundle, candles: pd.DataFrame) -> None:
    ens = Ensemble([make_bundle(seed=0, name="a"), make_bundle(seed=1, name="b")], [2.0, 1.0])
    with SignalLog(":memory:") as log:
        result = run_live(ens, source=ReplaySource(candles), log=log, policy=SPEC, symbol="X",
                          timeframe="1h", max_bars=6, show=False)
    batch = ens.signals(candles, SPEC, symbol="X", timeframe="1h")[:6]
    _same(result.logged, batch)
    assert [s.agreement for s in result.logged] == [s.agreement for s in batch]
    assert all(s.members == 2 for s in result.logged)


def test_kill_and_restart_logs_each_bar_exactly_once(
    bundle: Bundle, candles: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "log.sqlite"
    with SignalLog(path) as log:
        first = run_live(bundle, source=ReplaySource(candles), log=log, policy=SPEC,
                         symbol="X", timeframe="1h", max_bars=7, show=False)
    assert len(first.logged) == 7
    with SignalLog(path) as log:  # a new process: new source, same log
        second = run_live(bundle, source=ReplaySource(candles), log=log, policy=SPEC,
                          symbol="X", timeframe="1h", show=False)
        assert second.resumed_after == pd.Timestamp(first.logged[-1].timestamp)
        third = run_live(bundle, source=ReplaySource(candles), log=log, policy=SPEC,
                         symbol="X", timeframe="1h", show=False)
        stamps = log.bar_timestamps("X", "1h")
        rows = log._conn.execute("SELECT COUNT(*) FROM signals").fetchone()[0]
    expected = list(candles.index[bundle.min_candles - 1:])
    assert stamps == expected  # every bar, in order: no gap, no duplicate
    assert rows == len(expected)
    assert len(first.logged) + len(second.logged) == len(expected)
    assert third.logged == []
    assert second.logged[0].timestamp == expected[7].to_pydatetime()


def test_the_log_refuses_a_second_row_for_a_bar(bundle: Bundle, candles: pd.DataFrame) -> None:
    sig = signals_for_bars(bundle, candles, symbol="X")[-1]
    with SignalLog(":memory:") as log:
        assert log.append(sig) is True
        assert log.append(sig.model_copy(update={"confidence": 0.99})) is False
        assert log.signals() == [sig]
        assert log.last_timestamp("X", "1h") == pd.Timestamp(sig.timestamp)
        assert log.last_timestamp("Y", "1h") is None


def test_exchange_source_ignores_the_forming_bar(candles: pd.DataFrame, clocked) -> None:
    step = 3_600_000
    open_ms = int(candles.index[100].value // 1_000_000)
    exchange = clocked(candles, now_ms=open_ms + step // 3)  # bar 100 is a third done
    source = ExchangeSource(exchange, "X", "1h", page_limit=40, clock=lambda: exchange.now_ms,
                            sleep=exchange.sleep)
    got = source.closed_candles(60)
    pd.testing.assert_frame_equal(got, candles.iloc[40:100], check_freq=False)
    assert source.dropped_forming == 1 and exchange.calls > 1  # paged forward
    assert source.wait() is True  # sleeps to the close of bar 100 (+ settle time)
    assert source.closed_candles(60).index[-1] == candles.index[100]


def test_live_exchange_loop_matches_batch_and_catches_up_after_downtime(
    bundle: Bundle, candles: pd.DataFrame, clocked, tmp_path: Path
) -> None:
    step = 3_600_000
    start = bundle.min_candles + 5
    exchange = clocked(candles, now_ms=int(candles.index[start].value // 1_000_000) + 60_000)
    path = tmp_path / "live.sqlite"

    def source() -> ExchangeSource:
        return ExchangeSource(exchange, "X", "1h", clock=lambda: exchange.now_ms,
                              sleep=exchange.sleep, settle_seconds=1.0)

    with SignalLog(path) as log:
        run_live(bundle, source=source(), log=log, policy=SPEC, symbol="X", timeframe="1h",
                 max_bars=10, history=500, show=False)
    exchange.now_ms += 9 * step  # down for nine bars
    with SignalLog(path) as log:
        run_live(bundle, source=source(), log=log, policy=SPEC, symbol="X", timeframe="1h",
                 max_bars=15, history=500, show=False)
        logged = log.signals("X", "1h")
    closed = candles.iloc[: start + 10 + 9 + 5]
    batch = signals_for_bars(bundle, closed, SPEC, symbol="X", timeframe="1h")
    assert len(logged) == 25
    _same(logged, batch[: len(logged)])


def test_malformed_candles_are_refused_clearly(
    bundle: Bundle, candles: pd.DataFrame, clocked, tmp_path: Path
) -> None:
    bad = candles.copy()
    bad.iloc[50, bad.columns.get_loc("low")] = bad["high"].iloc[50] * 1.5
    with pytest.raises(DataError, match=re.escape(f"malformed candle at {bad.index[50]}")):
        ReplaySource(bad)
    exchange = clocked(bad, now_ms=int(bad.index[80].value // 1_000_000))
    source = ExchangeSource(exchange, "X", "1h", clock=lambda: exchange.now_ms)
    with pytest.raises(DataError, match=re.escape(f"malformed candle at {bad.index[50]}")):
        source.closed_candles(60)
    broken = ExchangeSource(type("E", (), {"id": "e", "fetch_ohlcv": lambda *a, **k: [
        [int(candles.index[3].value // 1_000_000), 1.0, "x", 1.0, 1.0, 1.0]]})(), "X", "1h",
        clock=lambda: int(candles.index[5].value // 1_000_000))
    with pytest.raises(DataError, match="malformed OHLCV row"):
        broken.closed_candles(3)
    with pytest.raises(ConfigError, match="4h bars"):
        run_live(bundle, source=ReplaySource(candles.iloc[::4], timeframe="4h"),
                 log=SignalLog(":memory:"), symbol="X", timeframe="1h", show=False)


def test_replay_speed_paces_bars_and_prints_signals(
    bundle: Bundle, candles: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    waits: list[float] = []
    source = ReplaySource(candles, sleep=waits.append)  # speed 0, overridden by run_live
    with SignalLog(":memory:") as log:
        result = run_live(bundle, source=source, log=log, symbol="X", timeframe="1h",
                          max_bars=3, speed=3600, show=True)
    assert len(result.logged) == 3 and np.allclose(waits, 1.0) and len(waits) == 2
    out = capsys.readouterr().out
    assert out.count(" X 1h ") == 3 and "conf=" in out


@pytest.mark.timeout(60)
def test_downtime_longer_than_the_history_window_is_still_caught_up(
    bundle: Bundle, clocked
) -> None:
    need = bundle.min_candles
    candles = load("synthetic:planted?bars=400&seed=5&timeframe=1h")
    exchange = clocked(candles, now_ms=int(candles.index[need].value // 1_000_000) + 1)
    log = SignalLog(":memory:")

    def go(bars: int) -> None:
        source = ExchangeSource(exchange, "X", "1h", clock=lambda: exchange.now_ms,
                                sleep=exchange.sleep, settle_seconds=0.0)
        run_live(bundle, source=source, log=log, symbol="X", timeframe="1h", max_bars=bars,
                 history=need, show=False)

    go(2)
    exchange.now_ms += (need + 20) * 3_600_000  # down for longer than the window
    go(need + 22)
    stamps = log.bar_timestamps("X", "1h")
    assert stamps == list(candles.index[need - 1: need - 1 + need + 24])  # no gap, no duplicate


def test_network_errors_are_retried_then_reported(candles: pd.DataFrame, clocked) -> None:
    import ccxt

    from tradewind.exceptions import FetchError

    exchange = clocked(candles, now_ms=int(candles.index[30].value // 1_000_000))
    real, failures, waits = exchange.fetch_ohlcv, [ccxt.NetworkError("reset")], []

    def flaky(*args, **kwargs):
        if failures:
            raise failures.pop()
        return real(*args, **kwargs)

    exchange.fetch_ohlcv = flaky
    source = ExchangeSource(exchange, "X", "1h", clock=lambda: exchange.now_ms,
                            sleep=waits.append, max_retries=1)
    assert len(source.closed_candles(10)) == 10 and waits == [1.0]
    failures.extend([ccxt.NetworkError("down"), ccxt.NetworkError("down")])
    with pytest.raises(FetchError, match="after 1 retries; restart the loop"):
        source.closed_candles(10)
