"""examples/universe.yaml: the ten Bittrex BTC-quoted 5-minute pairs, both modes compared."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tradewind.config import load_experiment
from tradewind.pipeline.prepare import load_universe

TRADEWIND = Path(sys.executable).parent / "tradewind"
PAIRS = ["ADA", "DASH", "ETC", "ETH", "LTC", "NXT", "POWR", "XLM", "XMR", "ZEC"]


def test_the_example_names_the_ten_pairs_and_compares_the_modes(repo_root: Path) -> None:
    exp = load_experiment(repo_root / "examples" / "universe.yaml")
    assert [item.name for item in exp.data.sources] == [f"{p}/BTC" for p in PAIRS]
    assert [item.source for item in exp.data.sources] == [
        f"../shared/data/bittrex_{p}-BTC_5m.parquet" for p in PAIRS]
    assert exp.universe.mode == "pooled" and exp.universe.compare_modes
    assert (exp.data.start, exp.data.end) == ("2018-01-10", "2018-01-30")


def test_the_examples_candles_load_as_one_5m_universe(repo_root: Path, shared_data: Path) -> None:
    exp = load_experiment(repo_root / "examples" / "universe.yaml")
    local = [item.model_copy(update={"source": str(shared_data / Path(item.source).name)})
             for item in exp.data.sources]
    exp = exp.model_copy(update={"data": exp.data.model_copy(update={"sources": local})})
    universe = load_universe(exp)
    assert len(universe) == 10
    for item, candles in universe:
        assert candles.attrs.get("timeframe", "5m") == "5m", item.name
        assert (candles.index.to_series().diff().dropna() >= pd.Timedelta("5min")).all()
        assert candles.index[0] >= pd.Timestamp("2018-01-10", tz="UTC")
        assert candles.index[-1] < pd.Timestamp("2018-01-31", tz="UTC")
        assert len(candles) > 5_700, item.name  # 20 days of 5-minute bars, few gaps


@pytest.mark.slow
def test_the_example_runs_end_to_end_shrunk(repo_root: Path, shared_data: Path,
                                            tmp_path: Path) -> None:
    """The example through the CLI on four days with a tiny model: ten symbols, both modes."""
    out = tmp_path / "universe"
    shrink = ['data.end="2018-01-13"', "training.epochs=1", "model.hidden_size=8",
              "bootstrap.n_boot=100", "split.n_folds=2", "registry.enabled=false"]
    proc = subprocess.run(
        [str(TRADEWIND), "run", "examples/universe.yaml", "--out", str(out),
         *[arg for s in shrink for arg in ("--set", s)]],
        cwd=repo_root, capture_output=True, text=True, timeout=1800, check=False,
        env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    symbols = report["universe"]["symbols"]
    assert list(symbols) == [f"{p}/BTC" for p in PAIRS]
    for section in symbols.values():
        assert section["oos"]["mcc_ci"] is not None and isinstance(section["gate"]["passed"], bool)
    assert report["backtest"]["kind"] == "portfolio"
    assert list(report["universe"]["comparison"]["symbols"]) == list(symbols)
    page = (out / "report.html").read_text()
    assert "Per symbol" in page and "Pooled vs per-symbol models" in page
