"""The paper ledger trades like `tradewind backtest`, survives restarts and kills, and the
loop records realised outcomes with the label code training uses."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradewind.artifacts.bundle import Bundle, save_bundle
from tradewind.backtest import BacktestConfig
from tradewind.backtest.of_bundle import backtest_bundle
from tradewind.labels import ExitSpec, make_labels
from tradewind.live import ReplaySource, SignalLog, run_live
from tradewind.live.ledger import paper_trades
from tradewind.policy import TradePolicy

TRADEWIND = Path(sys.executable).parent / "tradewind"
SOURCE = "synthetic:planted?bars=170&seed=3&timeframe=1h"
POLICY = TradePolicy(threshold=0.5, max_holding=4,
                     exits=ExitSpec(take_profit=1.5, stop_loss=1.0, max_holding=4))
COSTS = BacktestConfig(fee_bps=3.0, slippage_bps=1.0)
COMPARED = ["entry_time", "exit_time", "direction", "entry_price", "exit_price", "return",
            "exit_reason"]


@pytest.fixture(scope="module")
def policy_bundle(bundle: Bundle, candles: pd.DataFrame) -> Bundle:
    """The test bundle with a policy that trades, trained (as its manifest says) on the
    first 61 bars, which neither the backtest nor the paper ledger may trade."""
    data = {**bundle.manifest.data, "last": str(candles.index[60])}
    manifest = bundle.manifest.model_copy(update={
        "policy": POLICY.model_dump(mode="json"), "data": data})
    return Bundle(manifest=manifest, model=bundle.model, normalizer=bundle.normalizer,
                  side_normalizer=None, calibrator=bundle.calibrator)


def _backtest(bundle: Bundle, candles: pd.DataFrame) -> pd.DataFrame:
    done = backtest_bundle(bundle, candles, config=COSTS.model_copy(update={"close_at_end": False}))
    return done.result.trades


def _same_trades(paper: pd.DataFrame, backtest: pd.DataFrame) -> None:
    assert len(paper) == len(backtest) > 5
    left = paper[COMPARED].reset_index(drop=True)
    right = backtest[COMPARED].reset_index(drop=True)
    right["entry_time"] = pd.to_datetime(right["entry_time"], utc=True)
    right["exit_time"] = pd.to_datetime(right["exit_time"], utc=True)
    pd.testing.assert_frame_equal(left, right, check_dtype=False, rtol=1e-12)


def _replay(bundle: Bundle, candles: pd.DataFrame, path: Path, **kwargs: object):
    with SignalLog(path) as log:
        return run_live(bundle, source=ReplaySource(candles), log=log, symbol="X",
                        timeframe="1h", show=False, costs=COSTS, **kwargs)


def test_live_replay_through_the_cli_paper_trades_like_tradewind_backtest(
    policy_bundle: Bundle, candles: pd.DataFrame, tmp_path: Path
) -> None:
    path = save_bundle(tmp_path / "bundle", policy_bundle.model, policy_bundle.manifest)
    log = tmp_path / "signals.sqlite"
    costs = ["--set", "fee_bps=3", "--set", "slippage_bps=1"]
    live = subprocess.run(
        [str(TRADEWIND), "live", "--data", SOURCE, "--model", str(path), "--symbol", "X",
         "--timeframe", "1h", "--log", str(log), "--quiet", *costs],
        capture_output=True, text=True, timeout=600)
    assert live.returncode == 0, live.stderr + live.stdout
    assert "paper X 1h:" in live.stdout and "closed trade(s)" in live.stdout
    out = tmp_path / "bt"
    bt = subprocess.run(
        [str(TRADEWIND), "backtest", str(path), "--data", SOURCE, "--out", str(out), *costs,
         "--set", "close_at_end=false"], capture_output=True, text=True, timeout=600)
    assert bt.returncode == 0, bt.stderr + bt.stdout
    trades = paper_trades(log, "X", "1h")
    _same_trades(trades, pd.read_parquet(out / "trades.parquet"))
    assert trades["signal_bar"].min() > candles.index[60]  # nothing in-sample
    listed = subprocess.run([str(TRADEWIND), "paper", str(log), "--format", "json"],
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    doc = json.loads(listed.stdout)
    assert len(doc["trades"]) == len(paper_trades(log))
    assert {t["exit_reason"] for t in doc["trades"]} <= {"stop", "take_profit", "time", "signal"}


@pytest.mark.parametrize("first", [9, 40])
def test_a_restart_in_the_middle_gives_the_same_trades(
    policy_bundle: Bundle, candles: pd.DataFrame, tmp_path: Path, first: int
) -> None:
    path = tmp_path / "log.sqlite"
    _replay(policy_bundle, candles, path, max_bars=first)
    second = _replay(policy_bundle, candles, path)
    assert second.resumed_after is not None
    trades = paper_trades(path, "X", "1h")
    _same_trades(trades, _backtest(policy_bundle, candles))
    with sqlite3.connect(path) as conn:
        fills = conn.execute("SELECT kind, COUNT(*) FROM paper_fills GROUP BY kind").fetchall()
        open_rows = conn.execute("SELECT COUNT(*) FROM paper_positions").fetchone()[0]
        equity = conn.execute("SELECT COUNT(*) FROM paper_equity").fetchone()[0]
    assert dict(fills) == {"entry": len(trades) + open_rows, "exit": len(trades)}
    assert equity == len(candles)


def test_outcomes_are_the_training_labels_and_the_paper_trade_returns(
    policy_bundle: Bundle, candles: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "log.sqlite"
    result = _replay(policy_bundle, candles, path)
    with SignalLog(path) as log:
        outcomes = log.outcomes("X", "1h")
        signals = log.bar_timestamps("X", "1h")
    labels = make_labels(candles, policy_bundle.label_spec)
    rows = candles.index.get_indexer(outcomes.index)
    expected = [labels.classes[y] if y >= 0 else "NONE" for y in labels.y[rows]]
    assert list(outcomes["label"]) == expected
    np.testing.assert_allclose(outcomes["forward_return"], labels.forward_return[rows])
    assert result.outcomes == len(outcomes)
    # every signal but the newest (horizon 1) and one whose trade is still open is resolved
    assert len(signals) - 3 <= len(outcomes) <= len(signals) - 1
    trades = paper_trades(path, "X", "1h").set_index("signal_bar")
    traded = outcomes["trade_return"].dropna()
    assert len(traded) > 5
    np.testing.assert_allclose(traded, trades.loc[traded.index, "return"])
    untraded = outcomes.index[outcomes["trade_return"].isna()]
    assert not set(untraded) & set(trades.index)


_KILLER = """
import os, signal, sys
import pandas as pd
from tradewind.artifacts.bundle import load_bundle
from tradewind.backtest import BacktestConfig
from tradewind.live import ReplaySource, SignalLog, run_live
from tradewind.live.ledger import PaperLedger

bundle_path, log_path, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
original = PaperLedger._insert_trade

def insert_then_die(self, index, trade):
    original(self, index, trade)  # the fill is written inside the open transaction ...
    written = self._conn.execute("SELECT COUNT(*) FROM paper_trades").fetchone()[0]
    if written == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)  # ... and the process dies before the commit

PaperLedger._insert_trade = insert_then_die
with SignalLog(log_path) as log:
    run_live(load_bundle(bundle_path), source=ReplaySource(pd.read_parquet(sys.argv[4])),
             log=log, symbol="X", timeframe="1h", show=False,
             costs=BacktestConfig(fee_bps=3.0, slippage_bps=1.0))
"""


def test_a_kill_in_the_middle_of_a_fill_is_completed_once_on_restart(
    policy_bundle: Bundle, candles: pd.DataFrame, tmp_path: Path
) -> None:
    bundle_path = save_bundle(tmp_path / "bundle", policy_bundle.model, policy_bundle.manifest)
    frame = tmp_path / "candles.parquet"
    candles.to_parquet(frame)
    script = tmp_path / "killer.py"
    script.write_text(_KILLER)
    path = tmp_path / "log.sqlite"
    died = subprocess.run([sys.executable, str(script), str(bundle_path), str(path), "6",
                           str(frame)], capture_output=True, text=True, timeout=600)
    assert died.returncode == -9, died.stderr
    with sqlite3.connect(path) as conn:
        kept = conn.execute("SELECT COUNT(*) FROM paper_trades").fetchone()[0]
        exits = conn.execute("SELECT COUNT(*) FROM paper_fills WHERE kind = 'exit'").fetchone()[0]
        last_bar = conn.execute("SELECT last_bar FROM paper_state").fetchone()[0]
        last_signal = conn.execute("SELECT MAX(bar_timestamp) FROM signals").fetchone()[0]
    assert kept == exits == 5  # the sixth trade's fills were rolled back with it
    assert last_bar < last_signal  # the signal was logged, its fill not
    _replay(policy_bundle, candles, path)
    _same_trades(paper_trades(path, "X", "1h"), _backtest(policy_bundle, candles))
    with sqlite3.connect(path) as conn:
        dupes = conn.execute("SELECT COUNT(*) FROM (SELECT entry_time FROM paper_fills "
                             "GROUP BY entry_time, kind HAVING COUNT(*) > 1)").fetchone()[0]
    assert dupes == 0


def test_other_costs_on_a_running_ledger_are_refused(
    policy_bundle: Bundle, candles: pd.DataFrame, tmp_path: Path
) -> None:
    from tradewind.exceptions import LiveLogError

    path = tmp_path / "log.sqlite"
    _replay(policy_bundle, candles, path, max_bars=3)
    with SignalLog(path) as log, pytest.raises(LiveLogError, match="fee_bps"):
        run_live(policy_bundle, source=ReplaySource(candles), log=log, symbol="X",
                 timeframe="1h", show=False, costs=BacktestConfig(fee_bps=9.0))
