"""Several symbols of a universe bundle in one live loop: replay parity and a paper ledger
per symbol, stop and resume, unknown symbols refused by name."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from tradewind.artifacts.digest import predictor_digest
from tradewind.artifacts.universe import UniverseBundle, load_universe
from tradewind.backtest.of_bundle import backtest_bundle
from tradewind.cli.live_cmds import live
from tradewind.config import BacktestSpec, Experiment, validate_section
from tradewind.data import load
from tradewind.live import SignalLog
from tradewind.pipeline.experiment import run_experiment
from tradewind.policy import TradePolicy
from tradewind.signals import signals_for_bars
from universe_helpers import tiny_universe

TRADEWIND = Path(sys.executable).parent / "tradewind"
SYMBOLS = ("AAA/BTC", "BBB/BTC")
# The fitted policies of a two-epoch model never trade; these keys make the paper ledgers work.
POLICY_KEYS = {"trade": True, "threshold": 0.5}
SETTINGS = ["--set", "trade=true", "--set", "threshold=0.5", "--set", "fee_bps=3"]
COMPARED = ["entry_time", "exit_time", "direction", "entry_price", "exit_price", "return",
            "exit_reason"]


@dataclass
class Universe:
    """A pooled two-symbol run's bundle and the candles each symbol is replayed on."""

    path: Path
    bundles: UniverseBundle
    replays: dict[str, Path]
    candles: dict[str, pd.DataFrame]

    def data_args(self) -> list[str]:
        return [a for s in SYMBOLS for a in ("--data", f"{s}={self.replays[s]}")]

    def policy(self, symbol: str) -> TradePolicy:
        return self.bundles.bundle(symbol).policy.with_overrides(POLICY_KEYS, "test")


def _raw(sources: list[dict[str, str]]) -> dict[str, Any]:
    return tiny_universe(None, data={"sources": sources})


@pytest.fixture(scope="module")
def universe(tmp_path_factory: pytest.TempPathFactory) -> Universe:
    """Trained on bars 0-599 of each symbol, replayed on bars 400-699: the last 100 bars
    are after the training data, so the paper ledgers trade them."""
    root = tmp_path_factory.mktemp("universe")
    sources, replays, candles = [], {}, {}
    for seed, symbol in enumerate(SYMBOLS, start=1):
        frame = load(f"synthetic:planted?bars=700&seed={seed}&timeframe=1h")
        name = symbol.replace("/", "-")
        frame.iloc[:600].to_parquet(root / f"{name}-train.parquet")
        frame.iloc[400:].to_parquet(root / f"{name}-replay.parquet")
        sources.append({"source": str(root / f"{name}-train.parquet"), "symbol": symbol})
        replays[symbol] = root / f"{name}-replay.parquet"
        candles[symbol] = load(replays[symbol])
    exp = validate_section(Experiment, _raw(sources), "test")
    run = run_experiment(exp, out_dir=root / "run", progress=False, html=False)
    return Universe(run.bundle_path, load_universe(run.bundle_path), replays, candles)


def _live(universe: Universe, log: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    args = [str(TRADEWIND), "live", "--model", str(universe.path), "--timeframe", "1h",
            *[a for s in SYMBOLS for a in ("--symbol", s)], *universe.data_args(),
            "--speed", "0", "--log", str(log), "--quiet", "--allow-refused", *SETTINGS, *extra]
    return subprocess.run(args, capture_output=True, text=True, timeout=600)


def _paper(log: Path, symbol: str) -> pd.DataFrame:
    done = subprocess.run([str(TRADEWIND), "paper", str(log), "--symbol", symbol, "--format",
                           "json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout
    frame = pd.DataFrame(json.loads(done.stdout)["trades"])
    for column in ("entry_time", "exit_time"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def _payloads(log: Path, symbol: str) -> list[tuple[str, str, str]]:
    with sqlite3.connect(log) as conn:
        return conn.execute("SELECT bar_timestamp, payload, bundle FROM signals WHERE symbol = ? "
                            "ORDER BY bar_timestamp", (symbol,)).fetchall()


@pytest.fixture(scope="module")
def full_log(universe: Universe, tmp_path_factory: pytest.TempPathFactory) -> Path:
    log = tmp_path_factory.mktemp("full") / "signals.sqlite"
    done = _live(universe, log)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "paper AAA/BTC 1h:" in done.stdout and "paper BBB/BTC 1h:" in done.stdout
    return log


def test_each_symbol_logs_the_batch_signals_of_its_own_bundle(universe: Universe,
                                                              full_log: Path) -> None:
    with SignalLog(full_log) as log:
        for symbol in SYMBOLS:
            bundle = universe.bundles.bundle(symbol)
            batch = signals_for_bars(bundle, universe.candles[symbol], universe.policy(symbol),
                                     symbol=symbol, timeframe="1h")
            live = log.signals(symbol, "1h")
            assert len(live) == len(universe.candles[symbol]) - bundle.min_candles + 1
            assert [s.timestamp for s in live] == [s.timestamp for s in batch]
            for a, b in zip(live, batch, strict=True):
                assert a.probabilities == pytest.approx(b.probabilities, abs=1e-6)
                assert (a.direction, a.size) == (b.direction, b.size)
            digest = predictor_digest(bundle)
            assert log.segments(symbol, "1h") == [(digest, None)]
            assert {row[2] for row in _payloads(full_log, symbol)} == {digest}
    # one pooled model, but each symbol's bundle has its own normaliser: two digests
    assert predictor_digest(universe.bundles.bundle(SYMBOLS[0])) != \
        predictor_digest(universe.bundles.bundle(SYMBOLS[1]))


def test_each_symbol_has_its_own_paper_ledger_trading_like_its_backtest(
    universe: Universe, full_log: Path
) -> None:
    # what `live --set fee_bps=3` trades with: the backtest: section's defaults otherwise
    costs = BacktestSpec(fee_bps=3.0).costs().model_copy(update={"close_at_end": False})
    for symbol in SYMBOLS:
        paper = _paper(full_log, symbol)
        assert set(paper["symbol"]) == {symbol}
        backtest = backtest_bundle(universe.bundles.bundle(symbol), universe.candles[symbol],
                                   policy=universe.policy(symbol), config=costs).result.trades
        assert len(paper) == len(backtest) > 10
        left = paper[COMPARED].reset_index(drop=True)
        right = backtest[COMPARED].reset_index(drop=True)
        for column in ("entry_time", "exit_time"):
            right[column] = pd.to_datetime(right[column], utc=True)
        pd.testing.assert_frame_equal(left, right, check_dtype=False, rtol=1e-9)


def test_stop_and_resume_with_two_symbols_logs_what_one_run_logs(
    universe: Universe, full_log: Path, tmp_path: Path
) -> None:
    log = tmp_path / "signals.sqlite"
    first = _live(universe, log, "--max-bars", "7")
    assert first.returncode == 0, first.stderr + first.stdout
    assert "14 new signal(s)" in first.stdout and "AAA/BTC: 7, BBB/BTC: 7" in first.stdout
    with SignalLog(log) as opened:
        assert [len(opened.bar_timestamps(s, "1h")) for s in SYMBOLS] == [7, 7]
    second = _live(universe, log)
    assert second.returncode == 0, second.stderr + second.stdout
    assert "resuming" not in second.stdout  # --quiet
    for symbol in SYMBOLS:
        resumed = [(ts, payload) for ts, payload, _ in _payloads(log, symbol)]
        once = [(ts, payload) for ts, payload, _ in _payloads(full_log, symbol)]
        assert resumed == once
        pd.testing.assert_frame_equal(_paper(log, symbol), _paper(full_log, symbol))


def test_a_symbol_outside_the_universe_is_refused_by_name(universe: Universe,
                                                          tmp_path: Path) -> None:
    log = tmp_path / "signals.sqlite"
    args = [str(TRADEWIND), "live", "--model", str(universe.path), "--timeframe", "1h",
            "--symbol", "AAA/BTC", "--symbol", "ZZZ/BTC", "--data",
            f"AAA/BTC={universe.replays['AAA/BTC']}", "--data",
            f"ZZZ/BTC={universe.replays['BBB/BTC']}", "--log", str(log), "--quiet"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 8, done.stderr + done.stdout  # BundleError
    assert "not 'ZZZ/BTC'" in done.stderr + done.stdout
    assert "AAA/BTC, BBB/BTC" in done.stderr + done.stdout
    assert not log.exists() or _payloads(log, "AAA/BTC") == []


@pytest.mark.parametrize(("change", "expected"), [
    ("single bundle", "several --symbol need a universe bundle"),
    ("unpaired data", "is not SYMBOL=SOURCE"),
    ("one data", "no --data for BBB/BTC"),
    ("retrain", "scheduled retraining follows one symbol"),
])
def test_bad_universe_command_lines_are_usage_errors(
    universe: Universe, tmp_path: Path, change: str, expected: str
) -> None:
    app = typer.Typer()
    app.command("live")(live)
    app.command("noop")(lambda: None)
    model = universe.path / "AAA-BTC" if change == "single bundle" else universe.path
    data = universe.data_args()
    if change == "unpaired data":
        data = ["--data", str(universe.replays["AAA/BTC"]), *data[2:]]
    elif change == "one data":
        data = data[:2]
    extra = []
    if change == "retrain":
        (tmp_path / "exp.yaml").write_text("name: x\n")
        extra = ["--retrain", str(tmp_path / "exp.yaml"), "--retrain-every", "1d"]
    done = CliRunner().invoke(app, [
        "live", "--model", str(model), "--timeframe", "1h", "--symbol", "AAA/BTC",
        "--symbol", "BBB/BTC", *data, "--quiet", "--log", str(tmp_path / "signals.sqlite"),
        *extra])
    assert done.exit_code == 2, done.output
    assert expected in re.sub(r"[\s│╭╮╰╯─]+", " ", done.output)
    assert not (tmp_path / "signals.sqlite").exists()


def test_monitor_judges_each_symbol_of_the_log_by_its_own_bundle(universe: Universe,
                                                                  full_log: Path) -> None:
    """`tradewind monitor LOG --model <universe folder> --symbol S`: S's signals against S's
    bundle (its digest, its promises); without --symbol a two-symbol log is refused."""
    for symbol in SYMBOLS:
        done = subprocess.run([str(TRADEWIND), "monitor", str(full_log), "--model",
                               str(universe.path), "--symbol", symbol, "--format", "json"],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["symbol"] == symbol
        assert result["model"]["digest"] == predictor_digest(universe.bundles.bundle(symbol))
        assert result["signals"] == len(_payloads(full_log, symbol))
    unnamed = subprocess.run([str(TRADEWIND), "monitor", str(full_log), "--model",
                              str(universe.path)], capture_output=True, text=True, timeout=300)
    assert unnamed.returncode == 2, unnamed.stderr
    assert "AAA/BTC 1h, BBB/BTC 1h" in unnamed.stderr and "--symbol" in unnamed.stderr
