"""The live log records which model wrote each row and never mixes two models silently."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest

import tradewind.artifacts
from tradewind.artifacts.bundle import Bundle, load_bundle, save_bundle
from tradewind.artifacts.digest import bundle_digest, predictor_digest
from tradewind.exceptions import LiveLogError
from tradewind.labels import ExitSpec
from tradewind.live import ReplaySource, SignalLog, run_live
from tradewind.policy import TradePolicy
from tradewind.signals import Ensemble, signals_for_bars

SPEC = TradePolicy(threshold=0.5, max_holding=1, exits=ExitSpec(take_profit=3.0, stop_loss=2.0))
TRADEWIND = Path(sys.executable).parent / "tradewind"
SOURCE = "synthetic:planted?bars=170&seed=3&timeframe=1h"

_OLD_SCHEMA = """
CREATE TABLE signals (
    id INTEGER PRIMARY KEY AUTOINCREMENT, symbol TEXT NOT NULL, timeframe TEXT NOT NULL,
    bar_timestamp TEXT NOT NULL, direction TEXT NOT NULL, confidence REAL NOT NULL,
    payload TEXT NOT NULL, logged_at TEXT NOT NULL, UNIQUE(symbol, timeframe, bar_timestamp))
"""


def _live(model: Bundle | str, candles: pd.DataFrame, path: Path, **kwargs: object):
    with SignalLog(path) as log:
        return run_live(model, source=ReplaySource(candles), log=log, policy=SPEC, symbol="X",
                        timeframe="1h", show=False, **kwargs)


def _row_bundles(path: Path) -> list[str | None]:
    with sqlite3.connect(path) as conn:
        return [b for (b,) in conn.execute("SELECT bundle FROM signals ORDER BY bar_timestamp")]


def test_digest_is_the_model_not_the_data_or_the_path(make_bundle, bundle: Bundle,
                                                      tmp_path: Path) -> None:
    other = make_bundle(seed=1)
    assert other.fingerprint == bundle.fingerprint  # same candles, same data fingerprint
    assert bundle_digest(other) != bundle_digest(bundle)
    saved = load_bundle(save_bundle(tmp_path / "b", bundle.model, bundle.manifest))
    assert bundle_digest(saved) == bundle_digest(bundle)
    pair = Ensemble([bundle, other])
    assert predictor_digest(pair) != predictor_digest(Ensemble([bundle, other], [2.0, 1.0]))


def test_resuming_with_another_bundle_is_refused_naming_both_then_segmented(
    make_bundle, bundle: Bundle, candles: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "log.sqlite"
    other = make_bundle(seed=1)
    first = _live(bundle, candles, path, max_bars=5)
    old, new = bundle_digest(bundle), bundle_digest(other)
    with pytest.raises(LiveLogError, match=rf"model {old[:16]}.*this bundle {new[:16]}.*"
                                           r"--new-segment"):
        _live(other, candles, path)
    assert _row_bundles(path) == [old] * 5  # nothing written by the refused start

    second = _live(other, candles, path, max_bars=3, new_segment=True)
    assert second.resumed_after == pd.Timestamp(first.logged[-1].timestamp)
    assert _row_bundles(path) == [old] * 5 + [new] * 3
    with SignalLog(path) as log:
        assert log.segments("X", "1h") == [(old, None), (new, first.logged[-1].timestamp)]
    _live(other, candles, path, max_bars=1)  # the same bundle resumes without a word
    with pytest.raises(LiveLogError):
        _live(bundle, candles, path)  # and the first one is now the stranger


def test_a_log_without_the_bundle_column_is_migrated_and_resumed(
    bundle: Bundle, candles: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "old.sqlite"
    sig = signals_for_bars(bundle, candles.iloc[:120], policy=SPEC, symbol="X")[-1]
    with sqlite3.connect(path) as conn:
        conn.execute(_OLD_SCHEMA)
        conn.execute(
            "INSERT INTO signals (symbol, timeframe, bar_timestamp, direction, confidence, "
            "payload, logged_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            ("X", "1h", pd.Timestamp(sig.timestamp).strftime("%Y-%m-%dT%H:%M:%SZ"),
             sig.direction.value, sig.confidence, sig.model_dump_json(), "2026-01-01T00:00:00Z"))
    result = _live(bundle, candles, path, max_bars=2)
    assert result.resumed_after == pd.Timestamp(sig.timestamp)
    assert _row_bundles(path) == [None, bundle_digest(bundle), bundle_digest(bundle)]


def test_live_command_refuses_another_bundle_with_its_exit_code(
    make_bundle, bundle: Bundle, tmp_path: Path
) -> None:
    first = save_bundle(tmp_path / "a", bundle.model, bundle.manifest)
    other = make_bundle(seed=1)
    second = save_bundle(tmp_path / "b", other.model, other.manifest)
    log = tmp_path / "signals.sqlite"

    def live(model: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        args = ["live", "--symbol", "X", "--timeframe", "1h", "--model", str(model),
                "--replay", SOURCE, "--log", str(log), "--quiet", "--max-bars", "2", *extra]
        return subprocess.run([str(TRADEWIND), *args], capture_output=True, text=True,
                              timeout=300, env={**os.environ, "COLUMNS": "200"})

    assert live(first).returncode == 0
    refused = live(second)
    assert refused.returncode == LiveLogError.exit_code, refused.stderr
    assert "--new-segment" in refused.stderr and "Traceback" not in refused.stderr
    assert live(second, "--new-segment").returncode == 0
    assert len(set(_row_bundles(log))) == 2


def test_a_registry_reference_leaves_no_bundle_copy_behind(
    bundle: Bundle, candles: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = save_bundle(tmp_path / "stored", bundle.model, bundle.manifest)

    class FakeRegistry:
        def __init__(self, tracking_uri: str | None = None, *, root: Path = Path("runs")) -> None:
            self.root = root

        def download_bundle(self, version_or_alias: str, dst: Path) -> Path:
            shutil.copytree(saved, dst)
            return dst

        def list_versions(self) -> list:
            return []

    monkeypatch.setattr(tradewind.artifacts, "Registry", FakeRegistry)
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    result = _live("champion", candles, tmp_path / "log.sqlite", max_bars=2)
    assert len(result.logged) == 2
    assert list(temp.iterdir()) == []
