"""Store: layout, atomic writes, merge with de-duplication, import."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tradewind.data import Store, import_file
from tradewind.exceptions import ConfigError, DataError


def test_data_store_path_layout(tmp_path):
    store = Store(tmp_path)
    assert (
        store.path("binance", "BTC/USDT", "1m") == tmp_path / "binance" / "BTC-USDT" / "1m.parquet"
    )
    assert store.path("bybit", "BTC/USDT:USDT", "1h").parent.name == "BTC-USDT-USDT"
    with pytest.raises(ConfigError, match="store folder"):
        store.path("../etc", "BTC/USDT", "1m")
    with pytest.raises(ConfigError, match="timeframe"):
        store.path("binance", "BTC/USDT", "1 minute")


def test_data_store_write_read_round_trip_and_entries(tmp_path, candles):
    store = Store(tmp_path)
    df = candles(30, freq="1min")
    assert not store.exists("binance", "BTC/USDT", "1m")
    assert store.last_timestamp("binance", "BTC/USDT", "1m") is None
    path = store.write(df, "binance", "BTC/USDT", "1m")
    assert path.is_file()
    back = store.read("binance", "BTC/USDT", "1m")
    pd.testing.assert_frame_equal(back, df, check_freq=False)
    assert back.attrs["source"] == "store:binance/BTC-USDT/1m"
    assert store.last_timestamp("binance", "BTC/USDT", "1m") == df.index[-1]
    assert store.count("binance", "BTC/USDT", "1m") == 30
    (entry,) = store.entries()
    assert (entry.exchange, entry.symbol, entry.timeframe, entry.n_rows) == (
        "binance",
        "BTC/USDT",
        "1m",
        30,
    )
    assert (entry.first, entry.last) == (df.index[0], df.index[-1])


def test_data_store_read_missing_series_says_how_to_get_it(tmp_path):
    with pytest.raises(DataError, match="fetch them"):
        Store(tmp_path).read("kraken", "ETH/USD", "1h")


def test_data_store_write_refuses_unsorted_rows(tmp_path, candles):
    df = candles(5).iloc[[1, 0, 2, 3, 4]]
    with pytest.raises(DataError, match="ascending and unique"):
        Store(tmp_path).write(df, "x", "A/B", "1h")


def test_data_store_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path, candles, monkeypatch):
    store = Store(tmp_path)
    old = candles(10)
    path = store.write(old, "binance", "BTC/USDT", "1h")
    before = path.read_bytes()
    real_write = pq.write_table

    def failing_write(table, where, **kwargs):
        real_write(table.slice(0, 3), where, **kwargs)  # some bytes land, then the disk "fills"
        raise OSError("No space left on device")

    monkeypatch.setattr(pq, "write_table", failing_write)
    with pytest.raises(OSError, match="No space left"):
        store.write(candles(20), "binance", "BTC/USDT", "1h")
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["1h.parquet"]
    monkeypatch.undo()
    pd.testing.assert_frame_equal(store.read("binance", "BTC/USDT", "1h"), old, check_freq=False)


def test_data_store_append_merges_and_existing_rows_win(tmp_path, candles):
    store = Store(tmp_path)
    first = candles(10)
    assert store.append(first, "ex", "A/B", "1h") == 10
    second = candles(10, start="2024-01-01 05:00")  # 5 overlapping bars, 5 new
    second = second.assign(close=second["close"] + 1000.0, high=second["high"] + 1000.0)
    assert store.append(second, "ex", "A/B", "1h") == 5
    merged = store.read("ex", "A/B", "1h")
    assert len(merged) == 15
    assert merged.index.is_monotonic_increasing and merged.index.is_unique
    overlap = merged.index[5:10]
    assert (merged.loc[overlap, "close"] == first.loc[overlap, "close"]).all()
    assert (merged["close"].iloc[10:] > 1000).all()
    assert store.append(first, "ex", "A/B", "1h") == 0  # nothing new


def test_data_store_append_overwrite_lets_new_rows_win(tmp_path, candles):
    store = Store(tmp_path)
    store.append(candles(10), "ex", "A/B", "1h")
    fixed = candles(3, start="2024-01-01 02:00").assign(volume=0.5)
    assert store.append(fixed, "ex", "A/B", "1h", overwrite=True) == 0
    merged = store.read("ex", "A/B", "1h")
    assert merged["volume"].iloc[2:5].tolist() == [0.5, 0.5, 0.5]
    assert len(merged) == 10


def test_data_store_append_dedups_within_the_incoming_frame(tmp_path, candles):
    store = Store(tmp_path)
    df = candles(5)
    doubled = pd.concat([df, df.iloc[[1, 3]]])
    assert store.append(doubled, "ex", "A/B", "1h") == 5
    assert len(store.read("ex", "A/B", "1h")) == 5


def test_data_store_import_file_validates_first(tmp_path, candles):
    store = Store(tmp_path / "store")
    good = tmp_path / "good.csv"
    candles(12).reset_index().to_csv(good, index=False)
    path = import_file(good, store, "kraken", "ETH/USD", "1h")
    assert path == store.path("kraken", "ETH/USD", "1h")
    assert store.count("kraken", "ETH/USD", "1h") == 12
    bad = tmp_path / "bad.csv"
    frame = candles(12, start="2024-02-01").reset_index()
    frame.loc[4, "high"] = 1.0
    frame.to_csv(bad, index=False)
    with pytest.raises(DataError, match="high_below_open_close"):
        import_file(bad, store, "kraken", "ETH/USD", "1h")
    assert store.count("kraken", "ETH/USD", "1h") == 12
