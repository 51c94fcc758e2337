"""read_candles: tolerant about shape, strict about content, never reorders rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradewind.data import COLUMNS, read_candles, validate
from tradewind.exceptions import ConfigError, DataError

GOOD = """
timestamp,open,high,low,close,volume
2024-01-01 00:00:00,100,101,99,100.5,10
2024-01-01 01:00:00,100.5,102,100,101.5,11
2024-01-01 02:00:00,101.5,103,101,102.5,12
"""


def test_data_read_good_csv_is_canonical(write_csv):
    df = read_candles(write_csv(GOOD))
    assert list(df.columns) == list(COLUMNS)
    assert all(df[c].dtype == np.float64 for c in COLUMNS)
    assert df.index.name == "timestamp"
    assert str(df.index.tz) == "UTC"
    assert df.index.unit == "ns"
    assert df.index[0] == pd.Timestamp("2024-01-01 00:00", tz="UTC")
    assert df["close"].tolist() == [100.5, 101.5, 102.5]
    assert df.attrs["naive_timezone"] is True


def test_data_read_missing_columns_lists_missing_and_found(write_csv):
    path = write_csv("timestamp,open,high,close\n2024-01-01,1,2,1.5\n", "partial.csv")
    with pytest.raises(DataError) as err:
        read_candles(path)
    message = str(err.value)
    assert "partial.csv" in message
    assert "['low', 'volume']" in message
    assert "found ['timestamp', 'open', 'high', 'close']" in message


def test_data_read_missing_time_column(write_csv):
    path = write_csv("open,high,low,close,volume\n1,2,0.5,1.5,3\n")
    with pytest.raises(DataError, match=r"timestamp \(or date/datetime/time"):
        read_candles(path)


def test_data_read_headerless_file_gets_a_hint(write_csv):
    path = write_csv("1672531200,1,2,0.5,1.5,3\n1672531260,1,2,0.5,1.5,3\n")
    with pytest.raises(DataError, match="no header row"):
        read_candles(path)


def test_data_read_text_in_numeric_column_names_column_row_value(write_csv):
    text = GOOD.replace("100,101.5,11", "100,abc,11")
    with pytest.raises(DataError) as err:
        read_candles(write_csv(text, "bad.csv"))
    message = str(err.value)
    assert "bad.csv" in message
    assert "column 'close'" in message
    assert "'abc'" in message
    assert "data row 2 (file line 3)" in message


def test_data_read_unparseable_timestamp_names_row_and_value(write_csv):
    text = GOOD.replace("2024-01-01 02:00:00", "yesterday noon")
    with pytest.raises(DataError) as err:
        read_candles(write_csv(text))
    message = str(err.value)
    assert "'yesterday noon'" in message
    assert "data row 3" in message


def test_data_read_empty_timestamp_cell_is_an_error(write_csv):
    text = GOOD.replace("2024-01-01 01:00:00", "")
    with pytest.raises(DataError, match="data row 2"):
        read_candles(write_csv(text))


def test_data_read_keeps_file_order_of_unsorted_and_duplicate_rows(write_csv):
    text = """
Date,Open,High,Low,Close,Volume
2024-01-01 02:00,1,2,0.5,1.5,1
2024-01-01 00:00,1,2,0.5,1.5,1
2024-01-01 01:00,1,2,0.5,1.5,1
2024-01-01 01:00,1,2,0.5,1.5,1
"""
    df = read_candles(write_csv(text))
    assert [t.hour for t in df.index] == [2, 0, 1, 1]
    rules = {f.rule: f for f in validate(df).errors}
    assert rules["unsorted"].count == 1
    assert rules["unsorted"].first == pd.Timestamp("2024-01-01 00:00", tz="UTC")
    assert rules["duplicate_timestamps"].count == 1
    assert rules["duplicate_timestamps"].first == pd.Timestamp("2024-01-01 01:00", tz="UTC")


def test_data_read_nan_and_inf_are_read_then_flagged(write_csv):
    text = GOOD.replace("100.5,10", ",10").replace("102,100,101.5", "inf,100,101.5")
    df = read_candles(write_csv(text))
    assert np.isnan(df["close"].iloc[0])
    assert np.isinf(df["high"].iloc[1])
    found = {(f.rule, f.column) for f in validate(df).errors}
    assert ("nan", "close") in found
    assert ("inf", "high") in found


def test_data_read_zero_price_is_a_validation_error(write_csv):
    df = read_candles(write_csv(GOOD.replace("100.5,102,100,101.5", "100.5,102,0,101.5")))
    finding = next(f for f in validate(df).errors if f.rule == "non_positive_price")
    assert finding.column == "low"
    assert finding.first == pd.Timestamp("2024-01-01 01:00", tz="UTC")


def test_data_read_naive_timestamps_use_tz_and_are_reported(write_csv):
    path = write_csv(GOOD)
    df = read_candles(path, tz="America/New_York")
    assert df.index[0] == pd.Timestamp("2024-01-01 05:00", tz="UTC")
    assert df.attrs["naive_timezone"] is True
    warning = next(f for f in validate(df).warnings if f.rule == "naive_timezone")
    assert "America/New_York" in warning.message
    assert warning.count == 3


def test_data_read_offsets_are_not_naive(write_csv):
    text = GOOD.replace("2024-01-01 00:00:00", "2024-01-01T01:00:00+01:00").replace(
        "2024-01-01 01:00:00", "2024-01-01T01:00:00Z"
    )
    text = text.replace("2024-01-01 02:00:00", "2024-01-01T03:00:00+01:00")
    df = read_candles(write_csv(text))
    assert df.attrs["naive_timezone"] is False
    assert [t.hour for t in df.index] == [0, 1, 2]
    assert "naive_timezone" not in {f.rule for f in validate(df).findings}


def test_data_read_unknown_tz_is_config_error(write_csv):
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        read_candles(write_csv(GOOD), tz="Mars/Olympus")


@pytest.mark.parametrize(
    "stamps",
    [
        ["1704067200", "1704070800", "1704074400"],
        ["1704067200000", "1704070800000", "1704074400000"],
        ["2024-01-01T00:00:00", "2024-01-01T01:00:00", "2024-01-01T02:00:00"],
        ["2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z", "2024-01-01T02:00:00Z"],
    ],
    ids=["seconds", "milliseconds", "iso-naive", "iso-utc"],
)
def test_data_read_seconds_ms_and_iso_give_the_same_index(write_csv, stamps):
    body = "\n".join(f"{s},1,2,0.5,1.5,3" for s in stamps)
    df = read_candles(write_csv("time,open,high,low,close,volume\n" + body))
    expected = pd.date_range("2024-01-01", periods=3, freq="1h", tz="UTC")
    assert (df.index == expected).all()
    is_unix = stamps[0].isdigit()
    assert df.attrs["naive_timezone"] is (stamps[0][-1] != "Z" and not is_unix)


def test_data_read_mixed_seconds_and_ms_is_an_error(write_csv):
    body = "1704067200,1,2,0.5,1.5,3\n1704070800000,1,2,0.5,1.5,3\n1704074400,1,2,0.5,1.5,3"
    with pytest.raises(
        DataError, match=r"data row 2 .*milliseconds while most rows are unix seconds"
    ):
        read_candles(write_csv("timestamp,open,high,low,close,volume\n" + body))


def test_data_read_capitalised_columns_extra_columns_and_semicolons(write_csv):
    text = """
DATE;OPEN;High;low;Close;VOLUME;Trades
2024-01-01;1;2;0.5;1.5;3;7
2024-01-02;1.5;2.5;1;2;4;8
"""
    df = read_candles(write_csv(text))
    assert list(df.columns) == list(COLUMNS)
    assert df["close"].tolist() == [1.5, 2.0]
    assert df.attrs["dropped_columns"] == ["Trades"]


def test_data_read_unnamed_index_column_like_backtesting_csv(write_csv):
    text = """
,Open,High,Low,Close,Volume
2017-04-19 09:00:00,1.0716,1.0722,1.07083,1.07219,1413
2017-04-19 10:00:00,1.07214,1.07296,1.07214,1.0726,1241
"""
    df = read_candles(write_csv(text))
    assert df.index[1] == pd.Timestamp("2017-04-19 10:00", tz="UTC")
    assert df["volume"].tolist() == [1413.0, 1241.0]


def test_data_read_separate_date_and_time_columns(write_csv):
    text = "Date,Time,Open,High,Low,Close,Volume\n2024-01-01,09:30,1,2,0.5,1.5,3\n"
    df = read_candles(write_csv(text))
    assert df.index[0] == pd.Timestamp("2024-01-01 09:30", tz="UTC")


def test_data_read_yyyymmdd_integers_are_dates_not_1970(write_csv):
    text = "date,open,high,low,close,volume\n20240101,1,2,0.5,1.5,3\n20240102,1,2,0.5,1.5,3\n"
    df = read_candles(write_csv(text))
    assert df.index[1] == pd.Timestamp("2024-01-02", tz="UTC")


def test_data_read_parquet_round_trip_with_column_and_with_index(tmp_path, candles):
    original = candles(24)
    as_column = tmp_path / "column.parquet"
    original.reset_index().to_parquet(as_column)
    as_index = tmp_path / "index.parquet"
    original.to_parquet(as_index)
    as_feather = tmp_path / "column.feather"
    original.reset_index().to_feather(as_feather)
    for path in (as_column, as_index, as_feather):
        back = read_candles(path)
        pd.testing.assert_frame_equal(back, original, check_freq=False)
        assert back.attrs["naive_timezone"] is False


def test_data_read_parquet_text_in_numeric_column(tmp_path, candles):
    frame = candles(5).reset_index()
    frame["volume"] = frame["volume"].astype(str)
    frame.loc[3, "volume"] = "12 BTC"
    path = tmp_path / "text.parquet"
    frame.to_parquet(path)
    with pytest.raises(DataError, match=r"column 'volume' has text '12 BTC' at row 4"):
        read_candles(path)


def test_data_read_parquet_naive_datetimes_are_reported(tmp_path, candles):
    frame = candles(5).reset_index()
    frame["timestamp"] = frame["timestamp"].dt.tz_localize(None)
    path = tmp_path / "naive.parquet"
    frame.to_parquet(path)
    df = read_candles(path)
    assert df.attrs["naive_timezone"] is True
    assert str(df.index.tz) == "UTC"


def test_data_read_missing_and_unsupported_files(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_candles(tmp_path / "nope.csv")
    odd = tmp_path / "candles.xlsx"
    odd.write_bytes(b"x")
    with pytest.raises(DataError, match="unsupported file type"):
        read_candles(odd)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="empty"):
        read_candles(empty)


def test_data_read_bad_cell_among_unix_numbers_is_named(write_csv):
    body = "1704067200,1,2,0.5,1.5,3\n1704070800,1,2,0.5,1.5,3\nsoon,1,2,0.5,1.5,3"
    with pytest.raises(DataError, match=r"timestamp 'soon' at data row 3"):
        read_candles(write_csv("timestamp,open,high,low,close,volume\n" + body))


def test_data_read_header_only_file_is_empty_and_refused_by_validate(write_csv):
    df = read_candles(write_csv("timestamp,open,high,low,close,volume"))
    assert df.shape == (0, 5)
    assert [f.rule for f in validate(df).errors] == ["empty"]
