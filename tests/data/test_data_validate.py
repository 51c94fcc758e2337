"""validate: each rule on its own, with its count, first timestamp and column."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tradewind.data import HARD_RULES, SOFT_RULES, validate
from tradewind.exceptions import ConfigError, DataError


def ts(hour: int) -> pd.Timestamp:
    return pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(hours=hour)


def only(report, rule):
    found = [f for f in report.findings if f.rule == rule]
    assert len(found) == 1, report
    return found[0]


def test_data_validate_clean_frame_has_no_findings(candles):
    report = validate(candles(50), timeframe="1h")
    assert report.ok
    assert report.findings == ()
    assert report.timeframe == "1h"
    assert report.n_rows == 50


def test_data_validate_unsorted(candles):
    df = candles(10)
    df = df.iloc[[0, 1, 2, 5, 3, 4, 6, 7, 9, 8]]
    f = only(validate(df), "unsorted")
    assert (f.severity, f.count, f.first, f.column) == ("error", 2, ts(3), "timestamp")


def test_data_validate_duplicates(candles):
    df = candles(10)
    df = pd.concat([df.iloc[:6], df.iloc[[4, 5]], df.iloc[6:]])
    f = only(validate(df), "duplicate_timestamps")
    assert (f.count, f.first) == (2, ts(4))


@pytest.mark.parametrize("value, rule", [(np.nan, "nan"), (np.inf, "inf")])
def test_data_validate_nan_and_inf(candles, value, rule):
    df = candles(10)
    df.loc[ts(3), "volume"] = value
    df.loc[ts(6), "volume"] = value
    f = only(validate(df), rule)
    assert (f.count, f.first, f.column, f.severity) == (2, ts(3), "volume", "error")


def test_data_validate_non_positive_prices_per_column(candles):
    df = candles(10)
    df.loc[ts(2), "low"] = 0.0
    df.loc[ts(7), "low"] = -1.0
    report = validate(df)
    f = only(report, "non_positive_price")
    assert (f.count, f.first, f.column) == (2, ts(2), "low")


def test_data_validate_high_below_open_close(candles):
    df = candles(10)
    df.loc[ts(5), "high"] = df.loc[ts(5), "close"] - 0.1
    f = only(validate(df), "high_below_open_close")
    assert (f.count, f.first, f.column) == (1, ts(5), "high")


def test_data_validate_low_above_open_close(candles):
    df = candles(10)
    df.loc[ts(8), "low"] = df.loc[ts(8), "open"] + 0.1
    f = only(validate(df), "low_above_open_close")
    assert (f.count, f.first, f.column) == (1, ts(8), "low")


def test_data_validate_high_below_low(candles):
    df = candles(10)
    df.loc[ts(4), ["open", "close"]] = 100.0
    df.loc[ts(4), ["high", "low"]] = [99.0, 101.0]
    report = validate(df)
    f = only(report, "high_below_low")
    assert (f.count, f.first) == (1, ts(4))


def test_data_validate_negative_volume(candles):
    df = candles(10)
    df.loc[ts(9), "volume"] = -5.0
    f = only(validate(df), "negative_volume")
    assert (f.count, f.first, f.column) == (1, ts(9), "volume")


def test_data_validate_mixed_timeframes(candles):
    df = candles(10)
    shifted = df.index.to_series()
    shifted.iloc[6:] = shifted.iloc[6:] + pd.Timedelta(minutes=30)
    df.index = pd.DatetimeIndex(shifted).rename("timestamp")
    f = only(validate(df), "mixed_timeframe")
    assert (f.severity, f.count, f.first) == ("error", 1, ts(6) + pd.Timedelta(minutes=30))
    assert "1h" in f.message


def test_data_validate_declared_timeframe_that_does_not_fit(candles):
    df = candles(10, freq="1min")
    f = only(validate(df, timeframe="5m"), "mixed_timeframe")
    assert f.count == 9
    assert "most bars are 1m apart, not 5m" in f.message


def test_data_validate_gaps_count_missing_bars(candles):
    df = candles(20)
    df = df.drop([ts(3), ts(10), ts(11), ts(12)])
    report = validate(df, timeframe="1h")
    assert report.ok
    f = only(report, "gaps")
    assert (f.severity, f.count, f.first) == ("warning", 4, ts(3))
    assert "2 gap(s)" in f.message
    assert "largest misses 3 bar(s)" in f.message


def test_data_validate_zero_volume_and_flat_bars(candles):
    df = candles(10)
    df.loc[ts(2), "volume"] = 0.0
    df.loc[ts(5), ["open", "high", "low", "close"]] = 104.0
    report = validate(df)
    assert report.ok
    zero = only(report, "zero_volume")
    flat = only(report, "flat_bars")
    assert (zero.severity, zero.count, zero.first) == ("warning", 1, ts(2))
    assert (flat.severity, flat.count, flat.first) == ("warning", 1, ts(5))


def test_data_validate_naive_index_is_a_warning(candles):
    df = candles(5)
    df.index = df.index.tz_localize(None)
    f = only(validate(df), "naive_timezone")
    assert (f.severity, f.count) == ("warning", 5)


def test_data_validate_empty_frame(candles):
    report = validate(candles(3).iloc[:0])
    assert not report.ok
    assert report.errors[0].rule == "empty"


def test_data_validate_report_helpers_and_raise(candles):
    df = candles(10)
    df.loc[ts(3), "close"] = np.nan
    df.loc[ts(4), "volume"] = 0.0
    report = validate(df)
    assert not report.ok
    assert [f.rule for f in report.errors] == ["nan"]
    assert [f.rule for f in report.warnings] == ["zero_volume"]
    rows = report.rows()
    assert rows[0][:5] == ("error", "nan", 1, ts(3).isoformat(), "close")
    json.dumps(report.to_dicts())  # plain JSON
    with pytest.raises(DataError) as err:
        report.raise_for_errors("prices.csv")
    message = str(err.value)
    for part in ("prices.csv", "nan", ts(3).isoformat(), "column close", "Fix:"):
        assert part in message
    assert "zero_volume" not in message
    with pytest.raises(DataError, match=r"data\.policy\.zero_volume is 'error'"):
        validate(candles(10).assign(volume=0.0)).raise_for_errors("x", also={"zero_volume"})


def test_data_validate_errors_come_first_and_every_rule_has_a_fix():
    assert set(HARD_RULES).isdisjoint(SOFT_RULES)
    assert all(fix for fix in (*HARD_RULES.values(), *SOFT_RULES.values()))


def test_data_validate_rejects_non_frames_and_bad_timeframes(candles):
    with pytest.raises(DataError, match="missing column"):
        validate(candles(3).drop(columns="volume"))
    with pytest.raises(DataError, match="not a DatetimeIndex"):
        validate(candles(3).reset_index())
    with pytest.raises(ConfigError, match="timeframe"):
        validate(candles(3), timeframe="hourly")


def test_data_validate_microsecond_index_from_pandas_3(candles):
    df = candles(24)
    df.index = df.index.as_unit("us")  # pandas >= 3 builds these by default
    report = validate(df.drop(df.index[5]))
    assert report.timeframe == "1h"
    assert only(report, "gaps").count == 1
