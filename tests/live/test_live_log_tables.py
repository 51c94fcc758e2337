"""The signal log keeps the candles the loop saw and the outcomes of its signals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradewind.data import synthetic_market
from tradewind.data.canonical import check_canonical
from tradewind.live import SignalLog


def test_live_log_stores_candles_once_and_reads_them_back_canonical(tmp_path):
    candles = synthetic_market("random_walk", bars=50, seed=2, timeframe="5m").candles
    with SignalLog(tmp_path / "log.sqlite") as log:
        assert log.store_candles("BTC/USDT", "5m", candles.iloc[:30]) == 30
        assert log.store_candles("BTC/USDT", "5m", candles.iloc[20:]) == 20  # overlap kept once
        assert log.store_candles("ETH/USDT", "5m", candles.iloc[:5]) == 5
    with SignalLog(tmp_path / "log.sqlite") as log:  # survives a restart
        back = log.candles("BTC/USDT", "5m")
        since = log.candles("BTC/USDT", "5m", since=candles.index[45])
        assert log.candles("BTC/USDT", "1h").empty
    check_canonical(back, "stored candles")
    pd.testing.assert_frame_equal(back, candles, check_freq=False, check_names=False)
    assert list(since.index) == list(candles.index[45:])
    assert "BTC/USDT 5m" in back.attrs["source"]


def test_live_log_records_each_outcome_once(tmp_path):
    bar = pd.Timestamp("2024-01-01T00:05:00Z")
    with SignalLog(tmp_path / "log.sqlite") as log:
        assert log.outcomes("BTC/USDT", "5m").empty
        assert log.record_outcome("BTC/USDT", "5m", bar, label="up", forward_return=0.002,
                                  trade_return=0.0011)
        assert not log.record_outcome("BTC/USDT", "5m", bar, label="down", forward_return=-1.0)
        assert log.record_outcome("BTC/USDT", "5m", bar + pd.Timedelta("5min"), label="down",
                                  forward_return=-0.001)
        out = log.outcomes("BTC/USDT", "5m")
    assert list(out["label"]) == ["up", "down"]
    assert out["forward_return"].iloc[0] == 0.002
    assert out["trade_return"].iloc[0] == 0.0011 and np.isnan(out["trade_return"].iloc[1])
    assert out.index[0] == bar and str(out.index.tz) == "UTC"
