"""Scheduled retraining: its own process at bar boundaries, failures logged, the loop goes
on, a new champion takes over at the next bar; and an exchange outage mid-loop."""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
from pathlib import Path

import pandas as pd
import pytest

import tradewind.artifacts
from tradewind.artifacts.bundle import Bundle, save_bundle
from tradewind.artifacts.digest import bundle_digest
from tradewind.backtest import BacktestConfig
from tradewind.backtest.of_bundle import backtest_bundle
from tradewind.exceptions import ConfigError, FetchError
from tradewind.live import ExchangeSource, ReplaySource, SignalLog, run_live
from tradewind.live.ledger import paper_trades
from tradewind.live.retrain import RetrainSchedule, parse_every
from tradewind.signals import signals_for_bars

STAND_IN = """
import json, pathlib, sys, time
record = pathlib.Path(sys.argv[0]).with_suffix(".calls")
with record.open("a") as out:
    out.write(json.dumps(sys.argv[1:]) + "\\n")
mode = pathlib.Path(sys.argv[0]).with_suffix(".mode").read_text().strip()
if mode == "fail":
    sys.stderr.write("retrain: the gate refused nothing, the data were bad\\n")
    sys.exit(1)
if mode == "crash":
    raise RuntimeError("boom in the retrain process")
if mode == "block":
    release = pathlib.Path(sys.argv[0]).with_suffix(".release")
    while not release.exists():
        time.sleep(0.05)
"""


def _stand_in(tmp_path: Path, mode: str) -> Path:
    script = tmp_path / "stand_in.py"
    script.write_text(STAND_IN)
    script.with_suffix(".mode").write_text(mode)
    return script


def _schedule(tmp_path: Path, script: Path, every: str = "1d") -> RetrainSchedule:
    experiment = tmp_path / "exp.yaml"
    experiment.write_text("{}\n")
    return RetrainSchedule(experiment=experiment, every=parse_every(every),
                           registry_root=tmp_path / "runs", tracking_uri="sqlite:///x.db",
                           program=[sys.executable, str(script)])


def _calls(script: Path) -> list[list[str]]:
    path = script.with_suffix(".calls")
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _retrains(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT bar_clock, exit_code, stderr_tail, ended_at FROM retrains "
                            "ORDER BY id").fetchall()


@pytest.mark.parametrize("mode", ["fail", "crash"])
def test_a_failing_retrain_is_logged_and_the_loop_goes_on(
    bundle: Bundle, candles: pd.DataFrame, tmp_path: Path, mode: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = _stand_in(tmp_path, mode)
    path = tmp_path / "log.sqlite"
    with SignalLog(path) as log:
        result = run_live(bundle, source=ReplaySource(candles), log=log, symbol="X",
                          timeframe="1h", show=False, retrain=_schedule(tmp_path, script))
        stamps = log.bar_timestamps("X", "1h")
    assert stamps == list(candles.index[bundle.min_candles - 1:])  # every bar, none lost
    rows = _retrains(path)
    days = candles.index[-1].normalize() - candles.index[0].normalize()
    assert 1 <= len(rows) <= days.days
    assert result.retrains_started == len(rows) and result.retrains_failed == len(rows)
    assert all(code == 1 and ended is not None for _, code, _, ended in rows)
    assert ("data were bad" if mode == "fail" else "boom in the retrain") in rows[0][2]
    assert "retrain exited 1" in capsys.readouterr().out
    calls = _calls(script)
    assert calls[0] == ["retrain", str(tmp_path / "exp.yaml"), "--data",
                        f"{path}.retrain.parquet", "--tracking-uri", "sqlite:///x.db",
                        "--registry-root", str(tmp_path / "runs"), "--out", f"{path}.retrain",
                        "--quiet"]
    clocks = [pd.Timestamp(r[0]) for r in rows]
    assert clocks[0] == clocks[0].normalize()  # the first at a day boundary of bar time
    days_started = [c.normalize() for c in clocks]  # the rest once a day at most (one at a
    assert days_started == sorted(set(days_started))  # time: a busy boundary waits a bar)
    exported = pd.read_parquet(f"{path}.retrain.parquet")
    assert exported.index[0] == candles.index[0] and exported.index[-1] < clocks[-1]


def test_at_most_one_retrain_runs_at_a_time(
    bundle: Bundle, candles: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tradewind.live.retrain import Retrainer

    script = _stand_in(tmp_path, "block")
    path = tmp_path / "log.sqlite"
    poll = Retrainer.poll

    def release_at_the_end(self: Retrainer, *, wait: bool = False):
        if wait:  # the replay has ended: only now may the blocked retrain finish
            script.with_suffix(".release").touch()
        return poll(self, wait=wait)

    monkeypatch.setattr(Retrainer, "poll", release_at_the_end)
    with SignalLog(path) as log:
        result = run_live(bundle, source=ReplaySource(candles), log=log, symbol="X",
                          timeframe="1h", show=False, retrain=_schedule(tmp_path, script))
    assert result.retrains_started == 1 and len(_calls(script)) == 1  # the rest were skipped
    assert [r[1] for r in _retrains(path)] == [0]
    with SignalLog(path) as log:  # a restart with no new bar starts none
        again = run_live(bundle, source=ReplaySource(candles), log=log, symbol="X",
                         timeframe="1h", show=False, retrain=_schedule(tmp_path, script))
    assert again.retrains_started == 0


def test_a_new_champion_takes_over_at_the_next_bar_as_a_new_segment(
    make_bundle, bundle: Bundle, candles: pd.DataFrame, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    newer = make_bundle(seed=7, name="newer")
    stored = {"champion": save_bundle(tmp_path / "old", bundle.model, bundle.manifest)}
    script = _stand_in(tmp_path, "ok")

    class FakeRegistry:
        def __init__(self, tracking_uri: str | None = None, *, root: Path = Path("runs")) -> None:
            pass

        def download_bundle(self, ref: str, dst: Path) -> Path:
            shutil.copytree(stored[ref], dst)
            return dst

        def list_versions(self) -> list:
            return [type("Row", (), {"version": 2, "aliases": ["champion"], "run_id": "r"})()]

        def override_reason(self, version: str) -> str | None:
            return None

    monkeypatch.setattr(tradewind.artifacts, "Registry", FakeRegistry)
    # the retrain "promotes" the newer model before the loop asks again
    stored["champion"] = save_bundle(tmp_path / "new", newer.model, newer.manifest)
    path = tmp_path / "log.sqlite"
    with SignalLog(path) as log:
        result = run_live(bundle, source=ReplaySource(candles), log=log, symbol="X",
                          timeframe="1h", show=False, follow_ref="champion",
                          retrain=_schedule(tmp_path, script, every="2d"))
        segments = log.segments("X", "1h")
        rows = log._conn.execute("SELECT bar_timestamp, bundle FROM signals ORDER BY 1").fetchall()
    old, new = bundle_digest(bundle), bundle_digest(newer)
    assert result.switched_to == [new]
    assert [s[0] for s in segments] == [old, new]
    switch = segments[1][1]
    assert {b for ts, b in rows if pd.Timestamp(ts) <= switch} == {old}
    assert {b for ts, b in rows if pd.Timestamp(ts) > switch} == {new}
    batch = signals_for_bars(newer, candles, symbol="X", timeframe="1h")
    after = [s for s in batch if pd.Timestamp(s.timestamp) > switch]
    logged = {pd.Timestamp(s.timestamp): s for s in SignalLog(path).signals("X", "1h")}
    assert all(logged[pd.Timestamp(s.timestamp)].direction == s.direction for s in after)


def test_a_refused_new_champion_is_not_taken_and_the_old_model_goes_on(
    make_bundle, bundle: Bundle, candles: pd.DataFrame, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    refused = make_bundle(seed=8, name="refused")
    refused.manifest.gate = {"passed": False, "checks": [{"name": "mcc_ci", "passed": False}]}
    saved = save_bundle(tmp_path / "refused", refused.model, refused.manifest)

    class FakeRegistry:
        def __init__(self, tracking_uri: str | None = None, *, root: Path = Path("runs")) -> None:
            pass

        def download_bundle(self, ref: str, dst: Path) -> Path:
            shutil.copytree(saved, dst)
            return dst

        def list_versions(self) -> list:
            return [type("Row", (), {"version": 3, "aliases": ["champion"], "run_id": "r"})()]

        def override_reason(self, version: str) -> str | None:
            return None

    monkeypatch.setattr(tradewind.artifacts, "Registry", FakeRegistry)
    path = tmp_path / "log.sqlite"
    with SignalLog(path) as log:
        result = run_live(bundle, source=ReplaySource(candles), log=log, symbol="X",
                          timeframe="1h", show=False, follow_ref="champion",
                          retrain=_schedule(tmp_path, _stand_in(tmp_path, "ok"), every="2d"))
        segments = log.segments("X", "1h")
    assert result.retrains_started >= 1 and result.switched_to == []
    assert [s[0] for s in segments] == [bundle_digest(bundle)]
    assert "gate refused it" in capsys.readouterr().out.replace("\n", " ")


def test_retrain_every_must_be_a_duration() -> None:
    with pytest.raises(ConfigError, match="--retrain-every 'daily'"):
        parse_every("daily")


class OutageExchange:
    """``FakeExchange`` (tests/data) with a clock: rows after now do not exist, and
    ``fetch_ohlcv`` raises ccxt NetworkError while an outage lasts."""

    def __init__(self, fake_module, candles: pd.DataFrame, now_ms: int) -> None:
        rows = [[int(ts.value // 1_000_000), *map(float, v)]
                for ts, v in zip(candles.index, candles.to_numpy(), strict=True)]
        self.inner = fake_module.FakeExchange(rows, page_size=60)
        self.id = "outage"
        self.now_ms = now_ms
        self.down_for = 0  # calls that fail

    def fetch_ohlcv(self, *args, **kwargs):
        import ccxt

        if self.down_for > 0:
            self.down_for -= 1
            raise ccxt.NetworkError("exchange unreachable")
        return [r for r in self.inner.fetch_ohlcv(*args, **kwargs) if r[0] <= self.now_ms]

    def sleep(self, seconds: float) -> None:
        self.now_ms += int(seconds * 1000)


def test_an_exchange_outage_mid_loop_neither_loses_nor_duplicates_bars_or_fills(
    bundle: Bundle, candles: pd.DataFrame, tmp_path: Path
) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "fake_exchange_for_live", Path(__file__).parents[1] / "data" / "fake_exchange.py")
    fake = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fake)
    costs = BacktestConfig(fee_bps=3.0, slippage_bps=1.0)
    start = bundle.min_candles + 3
    exchange = OutageExchange(fake, candles, int(candles.index[start].value // 1_000_000) + 1)
    path = tmp_path / "live.sqlite"

    def go(max_bars: int) -> None:
        source = ExchangeSource(exchange, "X", "1h", clock=lambda: exchange.now_ms,
                                sleep=exchange.sleep, settle_seconds=0.0, max_retries=2)
        with SignalLog(path) as log:
            run_live(bundle, source=source, log=log, symbol="X", timeframe="1h", history=500,
                     max_bars=max_bars, show=False, costs=costs)

    go(10)
    exchange.down_for = 2  # a short outage: retried and ridden out
    go(10)
    exchange.down_for = 50  # a long one: the loop stops with FetchError ...
    with pytest.raises(FetchError, match="restart the loop"):
        go(10)
    exchange.down_for = 0
    exchange.now_ms += 5 * 3_600_000  # ... and is restarted five bars later
    go(30)
    with SignalLog(path) as log:
        stamps = log.bar_timestamps("X", "1h")
        stored = log.candles("X", "1h")
    closed = candles.loc[: stamps[-1]]
    stored = stored.loc[: stamps[-1]]
    assert stamps == list(closed.index[bundle.min_candles - 1:])
    pd.testing.assert_frame_equal(stored, closed, check_freq=False, check_names=False)
    done = backtest_bundle(bundle, stored, config=costs.model_copy(update={"close_at_end": False}))
    trades = paper_trades(path, "X", "1h")
    assert len(trades) == len(done.result.trades) > 5
    assert list(trades["entry_time"]) == list(done.result.trades["entry_time"])
    assert list(trades["exit_price"]) == pytest.approx(list(done.result.trades["exit_price"]),
                                                       rel=1e-12)


def test_the_cli_wants_retrain_and_its_interval_together(tmp_path: Path) -> None:
    import subprocess

    experiment = tmp_path / "exp.yaml"
    experiment.write_text("{}\n")
    base = [str(Path(sys.executable).parent / "tradewind"), "live", "--data",
            "synthetic:planted?bars=170&seed=3&timeframe=1h", "--model", str(tmp_path),
            "--symbol", "X", "--timeframe", "1h", "--log", str(tmp_path / "l.sqlite")]
    alone = subprocess.run([*base, "--retrain", str(experiment)], capture_output=True,
                           text=True, timeout=120)
    assert alone.returncode == 2 and "--retrain-every" in alone.stderr, alone.stderr
    bad = subprocess.run([*base, "--retrain", str(experiment), "--retrain-every", "daily"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "not a duration" in bad.stderr, bad.stderr
