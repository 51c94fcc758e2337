"""fetch through ccxt's fetch_ohlcv contract, against an offline fake exchange."""

from __future__ import annotations

import ccxt
import pandas as pd
import pytest

from tradewind.data import Store, fetch, make_exchange
from tradewind.exceptions import ConfigError, FetchError

STEP = 60_000  # 1m in ms
START = 1_704_067_200_000  # 2024-01-01 00:00 UTC
N = 95
NOW = START + N * STEP  # every bar is closed
SYMBOL = "BTC/USDT"


class Sleeps:
    """Records sleep calls instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def run(exchange, store, **kwargs):
    options = {"limit": 10, "progress": False, "sleep": Sleeps(), "now": NOW}
    options.update(kwargs)
    return fetch(exchange, SYMBOL, "1m", START, store, **options)


def stored_ms(store: Store) -> list[int]:
    df = store.read("fake", SYMBOL, "1m")
    return [int(t.value // 1_000_000) for t in df.index]


def expected_ms(count: int = N) -> list[int]:
    return [START + i * STEP for i in range(count)]


def test_data_fetch_partial_pages_get_everything(tmp_path, fake):
    exchange = fake.FakeExchange(fake.make_rows(START, N, STEP), page_size=7)
    store = Store(tmp_path)
    result = run(exchange, store)
    assert stored_ms(store) == expected_ms()
    assert result.rows_added == N == result.total_rows
    assert result.calls == len(exchange.calls) == 14  # ceil(95 / 7); no empty trailing call
    assert [since for since, _ in exchange.calls[:3]] == [
        START,
        START + 7 * STEP,
        START + 14 * STEP,
    ]
    assert result.last == pd.Timestamp(START + (N - 1) * STEP, unit="ms", tz="UTC")
    stored = store.read("fake", SYMBOL, "1m")
    row = fake.make_rows(START, N, STEP)[40]
    assert stored.iloc[40].tolist() == row[1:]


def test_data_fetch_dedups_overlapping_pages(tmp_path, fake):
    exchange = fake.FakeExchange(fake.make_rows(START, N, STEP), overlap=3)
    store = Store(tmp_path)
    result = run(exchange, store)
    assert stored_ms(store) == expected_ms()
    assert result.rows_added == N
    assert any(since is not None and since > START for since, _ in exchange.calls)


def test_data_fetch_error_midway_keeps_rows_and_rerun_resumes(tmp_path, fake):
    rows = fake.make_rows(START, N, STEP)
    broken = fake.FakeExchange(rows, page_size=10, fail_at={4: ccxt.ExchangeError("exchange down")})
    store = Store(tmp_path)
    with pytest.raises(FetchError) as err:
        run(broken, store)
    message = str(err.value)
    last_saved = pd.Timestamp(START + 29 * STEP, unit="ms", tz="UTC")
    assert "ExchangeError: exchange down" in message
    assert "Saved 30 new row(s)" in message
    assert "30 row(s) up to " + last_saved.isoformat() in message
    assert "Re-run" in message
    assert stored_ms(store) == expected_ms(30)
    healthy = fake.FakeExchange(rows, page_size=10)
    result = run(healthy, store)
    assert stored_ms(store) == expected_ms()
    assert result.rows_added == N - 30
    assert healthy.calls[0][0] == START + 30 * STEP  # starts right after the stored bar
    assert all(since >= START + 30 * STEP for since, _ in healthy.calls)
    again = fake.FakeExchange(rows, page_size=10)
    assert run(again, store).rows_added == 0
    assert again.calls == []  # nothing missing: no call at all


def test_data_fetch_retries_network_errors_with_backoff(tmp_path, fake):
    failures = {2: ccxt.NetworkError("reset"), 3: ccxt.RateLimitExceeded("429")}
    exchange = fake.FakeExchange(fake.make_rows(START, N, STEP), fail_at=failures)
    sleeps = Sleeps()
    result = run(exchange, Store(tmp_path), sleep=sleeps, limit=50)
    assert result.total_rows == N
    assert result.calls == 4  # page 1, two failures, page 2
    assert sleeps.calls == [0.25, 1.0, 0.25, 2.0, 0.25]  # rate pause / backoff 1 s, 2 s


def test_data_fetch_persistent_network_error_is_fetch_error(tmp_path, fake):
    exchange = fake.FakeExchange(
        fake.make_rows(START, N, STEP),
        fail_at={2: ccxt.RequestTimeout("timeout")},
        keep_failing=True,
    )
    store = Store(tmp_path)
    with pytest.raises(FetchError, match=r"3 retries .*RequestTimeout.*Saved 10 new row"):
        run(exchange, store, max_retries=3)
    assert len(exchange.calls) == 1 + 4
    assert store.count("fake", SYMBOL, "1m") == 10


def test_data_fetch_sleeps_rate_limit_between_calls(tmp_path, fake):
    exchange = fake.FakeExchange(fake.make_rows(START, 30, STEP), rate_limit=400)
    sleeps = Sleeps()
    run(exchange, Store(tmp_path), sleep=sleeps, now=START + 30 * STEP)
    assert len(exchange.calls) == 3
    assert sleeps.calls == [0.4, 0.4]


def test_data_fetch_leaves_throttling_to_ccxt_when_enabled(tmp_path, fake):
    exchange = fake.FakeExchange(fake.make_rows(START, 30, STEP), enable_rate_limit=True)
    sleeps = Sleeps()
    run(exchange, Store(tmp_path), sleep=sleeps, now=START + 30 * STEP)
    assert len(exchange.calls) == 3
    assert sleeps.calls == []


def test_data_fetch_drops_the_still_open_last_bar(tmp_path, fake):
    exchange = fake.FakeExchange(fake.make_rows(START, N, STEP))
    store = Store(tmp_path)
    now = START + (N - 1) * STEP + 30_000  # half-way through the last bar
    result = run(exchange, store, now=now)
    assert result.dropped_open_bar
    assert stored_ms(store) == expected_ms(N - 1)
    later = run(fake.FakeExchange(fake.make_rows(START, N, STEP)), store, now=NOW)
    assert later.rows_added == 1 and not later.dropped_open_bar


def test_data_fetch_until_is_exclusive(tmp_path, fake):
    exchange = fake.FakeExchange(fake.make_rows(START, N, STEP))
    store = Store(tmp_path)
    run(exchange, store, until=pd.Timestamp(START + 25 * STEP, unit="ms", tz="UTC"))
    assert stored_ms(store) == expected_ms(25)


def test_data_fetch_backfills_before_the_stored_range(tmp_path, fake):
    rows = fake.make_rows(START, N, STEP)
    store = Store(tmp_path)
    late = fake.FakeExchange(rows)
    fetch(
        late,
        SYMBOL,
        "1m",
        START + 50 * STEP,
        store,
        limit=10,
        progress=False,
        sleep=Sleeps(),
        now=NOW,
    )
    assert stored_ms(store) == expected_ms()[50:]
    early = fake.FakeExchange(rows)
    result = run(early, store)
    assert stored_ms(store) == expected_ms()
    assert result.rows_added == 50
    assert all(since < START + 50 * STEP for since, _ in early.calls)


def test_data_fetch_progress_bar_runs(tmp_path, fake):
    exchange = fake.FakeExchange(fake.make_rows(START, 20, STEP))
    result = run(exchange, Store(tmp_path), progress=True, now=START + 20 * STEP)
    assert result.total_rows == 20


def test_data_fetch_rejects_bad_arguments(tmp_path, fake):
    exchange = fake.FakeExchange([])
    with pytest.raises(ConfigError, match="limit"):
        run(exchange, Store(tmp_path), limit=0)
    with pytest.raises(ConfigError, match="not a time"):
        fetch(exchange, SYMBOL, "1m", "last tuesday", Store(tmp_path), progress=False)


def test_data_fetch_empty_exchange_stores_nothing(tmp_path, fake):
    store = Store(tmp_path)
    result = run(fake.FakeExchange([]), store)
    assert (result.rows_added, result.total_rows, result.calls) == (0, 0, 1)
    assert not store.exists("fake", SYMBOL, "1m")


def test_data_make_exchange_builds_real_ccxt_exchanges():
    exchange = make_exchange("binance")
    assert isinstance(exchange, ccxt.Exchange)
    assert exchange.id == "binance"
    assert exchange.enableRateLimit is True
    with pytest.raises(ConfigError, match="binance"):
        make_exchange("binanse")


def test_data_fetch_with_a_real_ccxt_exchange_object(tmp_path, fake, monkeypatch):
    exchange = make_exchange("kraken")
    offline = fake.FakeExchange(fake.make_rows(START, 30, STEP))
    monkeypatch.setattr(exchange, "fetch_ohlcv", offline.fetch_ohlcv)  # no network here
    sleeps = Sleeps()
    result = run(exchange, Store(tmp_path), sleep=sleeps, now=START + 30 * STEP)
    assert result.exchange == "kraken"
    assert result.path == tmp_path / "kraken" / "BTC-USDT" / "1m.parquet"
    assert result.total_rows == 30
    assert sleeps.calls == []  # enableRateLimit: ccxt throttles itself
