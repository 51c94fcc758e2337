"""load: sources, policy, slicing, the shipped samples and the real candle files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tradewind.data import (
    DataPolicy,
    Store,
    list_samples,
    load,
    read_source,
    resample,
    validate,
    write_parquet_atomic,
)
from tradewind.exceptions import ConfigError, DataError

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def test_data_load_file_attaches_validation_and_timeframe(tmp_path, candles):
    frame = candles(48)
    frame.loc[frame.index[5], "volume"] = 0.0
    path = tmp_path / "btc.parquet"
    frame.reset_index().to_parquet(path)
    df = load(path)
    assert df.attrs["timeframe"] == "1h"
    assert df.attrs["source"] == str(path)
    findings = df.attrs["validation"]
    assert [f["rule"] for f in findings] == ["zero_volume"]
    assert findings[0]["first"] == frame.index[5].isoformat()
    json.dumps(findings)
    assert load(str(path)).shape == (48, 5)


def test_data_load_refuses_hard_errors_naming_rule_timestamp_column_fix(tmp_path, candles):
    frame = candles(10)
    frame.loc[frame.index[7], "low"] = frame.loc[frame.index[7], "high"] + 1
    path = tmp_path / "bad.csv"
    frame.reset_index().to_csv(path, index=False)
    with pytest.raises(DataError) as err:
        load(path)
    message = str(err.value)
    for part in (
        "bad.csv",
        "low_above_open_close",
        frame.index[7].isoformat(),
        "column low",
        "Fix:",
    ):
        assert part in message


def test_data_load_policy_turns_soft_findings_into_errors(tmp_path, candles):
    frame = candles(10).drop(pd.Timestamp("2024-01-01 04:00", tz="UTC"))
    path = tmp_path / "gappy.parquet"
    frame.reset_index().to_parquet(path)
    assert load(path).attrs["validation"][0]["rule"] == "gaps"
    with pytest.raises(DataError, match=r"data\.policy\.gaps is 'error'"):
        load(path, policy=DataPolicy(gaps="error"))
    zero = tmp_path / "zero.parquet"
    candles(10).assign(volume=0.0).reset_index().to_parquet(zero)
    with pytest.raises(DataError, match="zero_volume"):
        load(zero, policy=DataPolicy(zero_volume="error"))
    with pytest.raises(ValueError, match="extra"):
        DataPolicy(gap="error")


def test_data_load_slices_inclusive_bounds(tmp_path, candles):
    path = tmp_path / "c.parquet"
    candles(72).reset_index().to_parquet(path)
    day = load(path, start="2024-01-02", end="2024-01-02")
    assert len(day) == 24 and day.index[0] == pd.Timestamp("2024-01-02", tz="UTC")
    bounded = load(
        path, start=pd.Timestamp("2024-01-01 10:00"), end=pd.Timestamp("2024-01-01 12:00")
    )
    assert len(bounded) == 3
    with pytest.raises(DataError, match="no bars between"):
        load(path, start="2030-01-01")


def test_data_load_unknown_scheme_and_sample_list_valid_ones():
    with pytest.raises(ConfigError, match=r"unknown source scheme 'ftp'.*sample:NAME"):
        load("ftp:somewhere/btc.csv")
    with pytest.raises(ConfigError, match="eurusd-1h, goog-1d"):
        load("sample:btc-1m")
    assert list_samples() == ["eurusd-1h", "goog-1d"]


@pytest.mark.parametrize(
    "name, timeframe, rows", [("eurusd-1h", "1h", 5000), ("goog-1d", "1d", 2148)]
)
def test_data_load_samples_are_real_and_valid(name, timeframe, rows):
    df = load(f"sample:{name}")
    assert df.shape == (rows, 5)
    assert df.attrs["timeframe"] == timeframe
    rules = {f["rule"]: f for f in df.attrs["validation"]}
    assert all(f["severity"] == "warning" for f in rules.values())
    assert rules["naive_timezone"]["count"] == rows  # the files have no zone: read as UTC
    assert rules["gaps"]["count"] > 0  # weekends
    assert df.index.is_monotonic_increasing and str(df.index.tz) == "UTC"
    with pytest.raises(ConfigError, match="resample"):
        load(f"sample:{name}", timeframe="4h")


def test_data_load_synthetic_source(tmp_path):
    df = load("synthetic:planted?bars=300&seed=3&edge=0.5&timeframe=15m")
    assert df.shape == (300, 5)
    assert df.attrs["timeframe"] == "15m"
    assert validate(df).ok
    same = load("synthetic:planted?bars=300&seed=3&edge=0.5", timeframe="15m")
    pd.testing.assert_frame_equal(df, same)
    with pytest.raises(ConfigError, match="'bras'"):
        load("synthetic:planted?bras=300")
    with pytest.raises(ConfigError, match="random_walk, planted"):
        load("synthetic:sine")


def test_data_load_store_source_from_root_or_env(tmp_path, candles, monkeypatch):
    Store(tmp_path / "s").write(candles(30, freq="1min"), "binance", "BTC/USDT", "1m")
    df = load("store:binance/BTC-USDT/1m", store_root=tmp_path / "s")
    assert len(df) == 30 and df.attrs["timeframe"] == "1m"
    monkeypatch.setenv("TRADEWIND_STORE", str(tmp_path / "s"))
    assert len(load("store:binance/BTC-USDT/1m")) == 30
    with pytest.raises(ConfigError, match="EXCHANGE/BASE-QUOTE/TIMEFRAME"):
        load("store:binance/BTC-USDT")
    with pytest.raises(DataError, match="no binance ETH-USDT 1m candles"):
        load("store:binance/ETH-USDT/1m")


def real_files() -> list[Path]:
    return sorted(SHARED_DATA.glob("*.parquet")) if SHARED_DATA.is_dir() else []


def test_data_load_every_real_file_without_hard_errors():
    files = real_files()
    if not files:
        pytest.skip(f"{SHARED_DATA} not present: real-candle test skipped")
    manifest = {e["file"]: e for e in json.loads((SHARED_DATA / "manifest.json").read_text())}
    for path in files:
        df = load(path)  # raises on any hard finding
        expected = manifest[path.name]
        counts = {f["rule"]: f["count"] for f in df.attrs["validation"]}
        assert all(f["severity"] == "warning" for f in df.attrs["validation"]), path.name
        assert len(df) == expected["rows"], path.name
        assert df.attrs["timeframe"] == expected["timeframe"], path.name
        assert counts.get("gaps", 0) == expected["gaps"], path.name  # counted independently
        assert counts.get("zero_volume", 0) == expected["zero_volume_bars"], path.name
        assert counts.get("flat_bars", 0) == expected["flat_bars"], path.name


def test_data_load_real_minutes_resample_to_valid_bars():
    path = SHARED_DATA / "kraken_BTC-USDC_1m.parquet"
    if not path.is_file():
        pytest.skip(f"{SHARED_DATA} not present: real-candle test skipped")
    minutes = load(path)
    hours = resample(minutes, "1h")
    report = validate(hours, timeframe="1h")
    assert report.ok, report
    assert hours["volume"].sum() == pytest.approx(
        minutes.loc[: hours.index[-1] + pd.Timedelta("59min"), "volume"].sum()
    )


def test_data_read_source_reads_bad_data_without_refusing_it(tmp_path, candles):
    frame = candles(10).iloc[[0, 2, 1, 3, 4, 5, 6, 7, 8, 9]]
    path = tmp_path / "unsorted.parquet"
    frame.reset_index().to_parquet(path)
    raw = read_source(path)
    assert raw.attrs["source"] == str(path) and raw.attrs["timeframe"] is None
    assert [f.rule for f in validate(raw).errors] == ["unsorted"]
    with pytest.raises(DataError, match="unsorted"):
        load(path)
    assert read_source("sample:goog-1d").attrs["timeframe"] == "1d"


def test_data_write_parquet_atomic_keeps_index_and_metadata(tmp_path, candles):
    frame = candles(6).assign(feature=1.5)
    path = write_parquet_atomic(frame, tmp_path / "deep" / "features.parquet", metadata={"k": 1})
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, frame, check_freq=False)
    assert json.loads(pq.read_schema(path).metadata[b"tradewind"]) == {"k": 1}
    assert [p.name for p in path.parent.iterdir()] == ["features.parquet"]
