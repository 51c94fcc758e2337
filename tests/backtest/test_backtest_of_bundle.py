"""`tradewind backtest`: a bundle is judged on bars after its training data, after costs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from bundle_factory import make_bundle
from tradewind.artifacts.bundle import save_bundle
from tradewind.backtest import BacktestConfig
from tradewind.backtest.of_bundle import backtest_bundle
from tradewind.cli import app
from tradewind.data import load
from tradewind.exceptions import DataError

SOURCE = "synthetic:random_walk?bars=1500&seed=9&timeframe=1h"


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return load(SOURCE)


def test_default_trades_only_bars_after_training(candles: pd.DataFrame) -> None:
    trained_until = candles.index[999]
    bundle = make_bundle(candles, trained_until=trained_until)
    done = backtest_bundle(bundle, candles, config=BacktestConfig(fee_bps=5, slippage_bps=2))
    assert done.in_sample_bars == 0 and done.start == candles.index[1000]
    trades = done.result.trades
    assert len(trades) > 0 and (trades["entry_time"] > trained_until).all()
    assert done.stats.bars == len(candles) - 1000
    free = backtest_bundle(bundle, candles)
    assert done.result.final_equity < free.result.final_equity  # costs cost something


def test_in_sample_bars_are_refused_unless_asked_for(candles: pd.DataFrame) -> None:
    bundle = make_bundle(candles, trained_until=candles.index[999])
    with pytest.raises(DataError, match="in-sample"):
        backtest_bundle(bundle, candles, start=candles.index[900])
    done = backtest_bundle(bundle, candles, start=candles.index[900], allow_in_sample=True)
    assert done.in_sample_bars == 100
    with pytest.raises(DataError, match="no bars to backtest"):
        backtest_bundle(bundle, candles.iloc[:1000])


def test_cli_writes_equity_trades_chart_and_stats(candles: pd.DataFrame, tmp_path: Path) -> None:
    bundle = make_bundle(candles, trained_until=candles.index[999])
    path = save_bundle(tmp_path / "bundle", bundle.model, bundle.manifest)
    out = tmp_path / "bt"
    result = CliRunner().invoke(app, ["backtest", str(path), "--data", SOURCE, "--out", str(out),
                                      "--set", "fee_bps=10", "--set", "policy.threshold=0.5"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {
        "equity.parquet", "trades.parquet", "trades.csv", "equity.png", "stats.json"}
    stats = json.loads((out / "stats.json").read_text())
    assert stats["in_sample_bars"] == 0 and stats["n_trades"] > 0
    equity = pd.read_parquet(out / "equity.parquet")
    assert list(equity.columns) == ["equity", "buy_and_hold"] and len(equity) == stats["bars"]
