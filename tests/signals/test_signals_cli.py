"""``tradewind signal``: the latest signal as JSON, through a tiny Typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer
from typer.testing import CliRunner

from tradewind.artifacts.bundle import Bundle, save_bundle
from tradewind.cli.signal_cmds import signal
from tradewind.exceptions import ConfigError
from tradewind.signals import signal_from_bundle

SOURCE = "synthetic:planted?bars=260&seed=3&timeframe=1h"


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("signal")(signal)
    app.command("noop")(lambda: None)  # two commands keep "signal" as a sub-command
    return app


def test_signal_prints_the_latest_signal_as_json(
    bundle: Bundle, candles: pd.DataFrame, tmp_path: Path
) -> None:
    path = save_bundle(tmp_path / "bundle", bundle.model, bundle.manifest)
    result = CliRunner().invoke(_app(), [
        "signal", str(path), "--data", SOURCE, "--symbol", "ETH/USDT",
        "--set", "threshold=0.0", "--set", "exits.unit=pct", "--set", "exits.take_profit=0.02",
        "--set", "exits.stop_loss=0.01"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["symbol"] == "ETH/USDT" and payload["timeframe"] == "1h"
    assert payload["timestamp"].startswith(candles.index[-1].strftime("%Y-%m-%dT%H:%M:%S"))
    expected = signal_from_bundle(bundle, candles, symbol="ETH/USDT")
    assert payload["probabilities"] == expected.probabilities
    close = candles["close"].iloc[-1]
    side = 1 if payload["direction"] == "LONG" else -1
    assert payload["direction"] != "FLAT"
    assert abs(payload["stop_loss"] - close * (1 - side * 0.01)) < 1e-9 * close


def test_a_bad_override_is_a_config_error(bundle: Bundle, tmp_path: Path) -> None:
    path = save_bundle(tmp_path / "bundle", bundle.model, bundle.manifest)
    result = CliRunner().invoke(_app(), ["signal", str(path), "--data", SOURCE,
                                         "--set", "treshold=0.6"])
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigError)
    assert "treshold" in str(result.exception)
