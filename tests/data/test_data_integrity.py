"""Input integrity: absurd magnitudes, mixed time zones, declared timeframes, market sizes."""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tradewind.cli import app, common
from tradewind.data import Store, import_file, load, read_candles, read_source, validate
from tradewind.exceptions import ConfigError, DataError
from tradewind.features import FeatureSpec, compute

TRADEWIND = Path(sys.executable).parent / "tradewind"
Candles = Callable[..., pd.DataFrame]
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _market(bars: int = 400) -> pd.DataFrame:
    return load(f"synthetic:planted?bars={bars}&seed=4&timeframe=1h").copy()


def test_a_candle_of_1e300_is_an_error_naming_the_row() -> None:
    frame = _market()
    frame.iloc[250, :4] = 1e300
    report = validate(frame)
    assert not report.ok
    (finding,) = [f for f in report.errors if f.rule == "absurd_magnitude"]
    assert finding.first == frame.index[250]
    assert "row 251: close 1e+300" in finding.message
    with pytest.raises(DataError, match="absurd_magnitude"):
        report.raise_for_errors("test")


def test_an_absurd_low_alone_is_caught_by_the_range() -> None:
    frame = _market()
    frame.iloc[120, frame.columns.get_loc("low")] = 1e-4  # among prices around 100
    (finding,) = [f for f in validate(frame).errors if f.rule == "absurd_magnitude"]
    assert finding.first == frame.index[120] and finding.count == 1


def test_a_close_a_hundred_times_off_in_a_quiet_market_is_absurd() -> None:
    frame = load("synthetic:random_walk?bars=400&seed=4&vol=0.001").copy()
    frame.iloc[300, :4] /= 100.0  # 1.0850 written as 0.010850
    (finding,) = [f for f in validate(frame).errors if f.rule == "absurd_magnitude"]
    assert finding.first == frame.index[300] and finding.count == 2  # the drop and the way back


def test_a_real_crash_is_not_absurd() -> None:
    frame = _market()
    frame.iloc[200:, :4] *= 0.7  # a 30 % drop within one bar
    frame.iloc[200, frame.columns.get_loc("open")] = frame["close"].iloc[199]
    frame.iloc[200, frame.columns.get_loc("high")] = frame["close"].iloc[199]
    assert "absurd_magnitude" not in {f.rule for f in validate(frame).findings}


@pytest.mark.parametrize("source", ["sample:eurusd-1h", "sample:goog-1d"])
def test_real_samples_have_no_absurd_bars(source: str) -> None:
    assert "absurd_magnitude" not in {f.rule for f in validate(read_source(source)).findings}


def test_shared_real_candles_have_no_absurd_bars() -> None:
    files = sorted(SHARED_DATA.glob("*.parquet"))
    if not files:
        pytest.skip(f"no shared candles under {SHARED_DATA}")
    flagged = [p.name for p in files
               if "absurd_magnitude" in {f.rule for f in validate(read_source(p)).findings}]
    assert flagged == []


def test_data_validate_reports_the_absurd_bar(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _market(200)
    frame.iloc[150, :4] = 1e300
    path = tmp_path / "spike.parquet"
    frame.to_parquet(path)
    monkeypatch.setattr(common.console, "width", 400)  # one table row per line
    result = CliRunner().invoke(app, ["data", "validate", "--data", str(path)])
    assert result.exit_code == 3, result.output
    assert "absurd_magnitude" in result.output and "row 151" in result.output


def test_overflowing_features_name_the_feature_and_the_absurd_bar() -> None:
    frame = _market()
    frame.iloc[300, :4] = 1e300
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning on the way
        with pytest.raises(DataError) as err:
            compute(frame, FeatureSpec(sets=["core15"]))
    message = str(err.value)
    assert message.startswith("feature '")
    assert f"at {frame.index[300]} (row 300: high 1e+300" in message
    assert "tradewind bug" not in message and "absurd_magnitude" in message


def test_mixed_naive_and_offset_timestamps_are_refused_naming_a_row_of_each(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        "timestamp,open,high,low,close,volume\n"
        "2024-01-01 00:00:00,1,2,1,1,5\n"
        "2024-01-01 01:00:00,1,2,1,1,5\n"
        "2024-01-01 02:00:00+01:00,1,2,1,1,5\n"
    )
    with pytest.raises(DataError) as err:
        read_candles(path, tz="Europe/Berlin")
    message = str(err.value)
    assert "'2024-01-01 00:00:00' at data row 1 (file line 2)" in message
    assert "'2024-01-01 02:00:00+01:00' at data row 3 (file line 4)" in message


def test_offsets_that_change_with_daylight_saving_are_still_read(tmp_path: Path) -> None:
    path = tmp_path / "dst.csv"
    path.write_text(
        "timestamp,open,high,low,close,volume\n"
        "2024-03-31 01:00:00+01:00,1,2,1,1,5\n"
        "2024-03-31 03:00:00+02:00,1,2,1,1,5\n"
    )
    frame = read_candles(path)
    assert list(frame.index.strftime("%H:%M")) == ["00:00", "01:00"]


def test_import_refuses_a_declared_timeframe_the_data_does_not_have(tmp_path: Path,
                                                                   candles: Candles) -> None:
    path = tmp_path / "hourly.csv"
    candles(48, freq="1h").to_csv(path)
    store = Store(tmp_path / "store")
    with pytest.raises(DataError) as err:
        import_file(path, store, "binance", "BTC/USDT", "1m")
    assert "declared timeframe '1m', but the bars are 1h apart" in str(err.value)
    assert not (tmp_path / "store").exists() or store.list() == []
    assert import_file(path, store, "binance", "BTC/USDT", "1h").is_file()


def _script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TRADEWIND), *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd)


def _flat(text: str) -> str:
    return " ".join(text.split())  # rich wraps long messages at the terminal width


def test_the_installed_script_refuses_a_mislabelled_import(tmp_path: Path,
                                                           candles: Candles) -> None:
    path = tmp_path / "hourly.csv"
    candles(48, freq="1h").to_csv(path)
    done = _script("data", "import", "--data", str(path), "--exchange", "binance", "--symbol", "BTC/USDT",
                   "--timeframe", "1m", "--store", str(tmp_path / "store"), cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr and "declare --timeframe 1h" in _flat(done.stderr)


def test_a_synthetic_market_too_large_for_memory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="exceed the maximum of 10,000,000"):
        load("synthetic:planted?bars=10000000000")
    done = _script("data", "info", "--data", "synthetic:planted?bars=10000000000", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "ask for fewer bars" in _flat(done.stderr)


def test_a_negative_synthetic_seed_is_refused() -> None:
    with pytest.raises(ConfigError, match="seed"):
        load("synthetic:planted?bars=100&seed=-1")


def test_mostly_flat_candles_are_judged_by_the_moves_they_make(candles: Candles) -> None:
    frame = candles(300)
    rng = np.random.default_rng(0)
    moves = np.where(rng.random(300) < 0.3, rng.normal(0, 0.002, 300), 0.0)  # 70 % flat
    close = 100.0 * np.exp(np.cumsum(moves))
    frame["open"] = np.concatenate([[100.0], close[:-1]])
    frame["close"] = close
    frame["high"] = frame[["open", "close"]].max(axis=1)
    frame["low"] = frame[["open", "close"]].min(axis=1)
    assert "absurd_magnitude" not in {f.rule for f in validate(frame).findings}
    frame.iloc[120, :4] = 1e4  # a price two orders of magnitude off
    (finding,) = [f for f in validate(frame).errors if f.rule == "absurd_magnitude"]
    assert finding.first == frame.index[120]
