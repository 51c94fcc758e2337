"""resample and info on hand-made candles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradewind.data import info, resample, validate
from tradewind.exceptions import ConfigError, DataError


def minutes(rows: list[tuple[str, float, float, float, float, float]]) -> pd.DataFrame:
    index = pd.DatetimeIndex([pd.Timestamp(r[0], tz="UTC") for r in rows]).as_unit("ns")
    data = np.array([r[1:] for r in rows], dtype=np.float64)
    frame = pd.DataFrame(
        data, index=index.rename("timestamp"), columns=["open", "high", "low", "close", "volume"]
    )
    frame.attrs["timeframe"] = "1m"
    return frame


HAND = minutes(
    [
        ("2024-01-01 00:00", 10, 12, 9, 11, 1),
        ("2024-01-01 00:01", 11, 15, 10, 14, 2),
        ("2024-01-01 00:02", 14, 14, 8, 9, 3),
        # 00:03-00:04 has one bar; the 00:05 bin is empty (a gap), 00:06-00:08 is the last bin
        ("2024-01-01 00:04", 9, 10, 7, 8, 4),
        ("2024-01-01 00:09", 8, 9, 6, 7, 5),
        ("2024-01-01 00:10", 7, 20, 7, 19, 6),
        ("2024-01-01 00:11", 19, 19, 17, 18, 7),
    ]
)


def test_data_resample_ohlcv_by_hand():
    out = resample(HAND, "3m", drop_partial=False)
    assert list(out.index.strftime("%H:%M")) == ["00:00", "00:03", "00:09"]
    assert out.loc["2024-01-01 00:00"].tolist() == [10, 15, 8, 9, 6]
    assert out.loc["2024-01-01 00:03"].tolist() == [9, 10, 7, 8, 4]
    assert out.loc["2024-01-01 00:09"].tolist() == [8, 20, 6, 18, 18]
    assert out.index.name == "timestamp" and str(out.index.tz) == "UTC"
    assert (out.dtypes == np.float64).all()
    assert out.attrs["timeframe"] == "3m"
    assert validate(out, timeframe="3m").ok


def test_data_resample_drops_only_a_trailing_partial_bin():
    partial = HAND.iloc[:-1]  # the 00:09 bin now ends at 00:10 and misses 00:11
    out = resample(partial, "3m")
    assert list(out.index.strftime("%H:%M")) == ["00:00", "00:03"]
    assert len(resample(HAND, "3m")) == 3  # complete last bin is kept
    kept = resample(partial, "3m", drop_partial=False)
    assert kept.iloc[-1].tolist() == [8, 20, 6, 19, 11]


def test_data_resample_never_fills_empty_bins():
    out = resample(HAND, "1m")
    assert len(out) == len(HAND)
    out = resample(HAND, "2m", drop_partial=False)
    assert "00:06" not in set(out.index.strftime("%H:%M"))


def test_data_resample_aligns_weeks_to_monday_and_hours_to_the_clock(candles):
    hourly = candles(24 * 21, start="2024-01-03 00:00")  # a Wednesday
    weekly = resample(hourly, "1w", drop_partial=False)
    assert {t.day_name() for t in weekly.index} == {"Monday"}
    four = resample(candles(10, start="2024-01-01 01:00"), "4h", drop_partial=False)
    assert list(four.index.hour) == [0, 4, 8]


def test_data_resample_refuses_what_it_cannot_do(candles):
    with pytest.raises(ConfigError, match="whole multiple"):
        resample(candles(10, freq="2h"), "3h")
    with pytest.raises(ConfigError, match="whole multiple"):
        resample(candles(10), "30m")
    with pytest.raises(DataError, match="ascending"):
        resample(candles(10).iloc[::-1], "2h")
    nan = candles(10)
    nan.iloc[2, 0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        resample(nan, "2h")


def test_data_info_summarises_rows_and_gaps():
    summary = info(HAND)
    assert summary.n_rows == 7
    assert summary.first == pd.Timestamp("2024-01-01 00:00", tz="UTC")
    assert summary.last == pd.Timestamp("2024-01-01 00:11", tz="UTC")
    assert summary.timeframe == "1m"
    assert (summary.missing_bars, summary.gap_count, summary.largest_gap_bars) == (5, 2, 4)
    assert summary.largest_gap == pd.Timedelta(minutes=4)
    assert summary.largest_gap_at == pd.Timestamp("2024-01-01 00:05", tz="UTC")
    table = dict(summary.rows())
    assert table["rows"] == "7" and table["missing bars"] == "5"
