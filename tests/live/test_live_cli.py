"""``tradewind live`` on a replayed file, and registry refs such as 'champion'."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import tradewind.artifacts
from tradewind.artifacts.bundle import Bundle, save_bundle
from tradewind.cli.live_cmds import live
from tradewind.live import SignalLog, resolve_model

SOURCE = "synthetic:planted?bars=170&seed=3&timeframe=1h"


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("live")(live)
    app.command("noop")(lambda: None)
    return app


def test_live_replay_logs_every_bar_and_resumes(
    bundle: Bundle, candles: pd.DataFrame, tmp_path: Path
) -> None:
    path = save_bundle(tmp_path / "bundle", bundle.model, bundle.manifest)
    log = tmp_path / "signals.sqlite"
    args = ["live", "--symbol", "X", "--timeframe", "1h", "--model", str(path),
            "--data", SOURCE, "--log", str(log), "--quiet"]
    first = CliRunner().invoke(_app(), [*args, "--max-bars", "5"])
    assert first.exit_code == 0, first.output
    assert "5 new signal(s)" in first.output
    second = CliRunner().invoke(_app(), args)
    assert second.exit_code == 0, second.output
    with SignalLog(log) as opened:
        stamps = opened.bar_timestamps("X", "1h")
    assert stamps == list(candles.index[bundle.min_candles - 1:])
    no_source = CliRunner().invoke(_app(), args[:7])  # neither --exchange nor --data: usage
    assert no_source.exit_code == 2 and "--exchange" in no_source.output, no_source.output


def test_champion_is_downloaded_through_the_registry(
    bundle: Bundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = save_bundle(tmp_path / "stored", bundle.model, bundle.manifest)
    calls: list[tuple[str, Path]] = []

    class FakeRegistry:
        def __init__(self, tracking_uri: str | None = None, *, root: Path = Path("runs")) -> None:
            self.root = root

        def download_bundle(self, version_or_alias: str, dst: Path) -> Path:
            calls.append((version_or_alias, dst))
            shutil.copytree(saved, dst)
            return dst

        def list_versions(self) -> list:
            return [type("Row", (), {"version": 4, "aliases": ["champion"], "run_id": "abc"})()]

    monkeypatch.setattr(tradewind.artifacts, "Registry", FakeRegistry)
    loaded, version = resolve_model("champion", download_dir=tmp_path / "dl")
    assert calls == [("champion", tmp_path / "dl")] and version == "4"
    assert loaded.manifest == bundle.manifest
