"""`tradewind run` through the installed script: every interval follows `bootstrap:`, the
report says what each used, and its backtest and diagnostics numbers agree with each other."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tradewind.report import load_report
from tradewind.report.sections import backtest, diagnostics

SCRIPT = Path(sys.executable).parent / "tradewind"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    tmp = tmp_path_factory.mktemp("intervals")
    config = {
        "name": "intervals",
        "data": {"source": "synthetic:random_walk?bars=3000&seed=4&timeframe=1h"},
        "lookback": 4,
        "split": {"n_folds": 2, "min_train": 0.5},
        "model": {"name": "lstm", "hidden_size": 8, "num_layers": 1, "bidirectional": False},
        "training": {"epochs": 2},
        "bootstrap": {"n_boot": 150, "block": 12, "level": 0.8},
        "policy": {"fit": False},  # trade every signal: a random walk's fitted policy may not trade
        "registry": {"enabled": False},
        "importance": {"enabled": False},
    }
    path = tmp / "exp.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp / "out"
    env = {**os.environ, "COLUMNS": "240", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [str(SCRIPT), "run", str(path), "--out", str(out), "--quiet", "--no-html"],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )
    return done, out


def test_a_changed_level_is_printed_and_stored_for_every_interval(run) -> None:
    done, out = run
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    printed = " ".join(done.stdout.split())
    assert "MCC 80% CI" in printed and "95% CI" not in printed and "95 %" not in printed
    assert "block 12 rows, 150 resamples, 80 % level" in printed
    report = json.loads((out / "report.json").read_text())
    oos, bt = report["oos"], report["backtest"]
    assert oos["ci_level"] == 0.8
    assert oos["ci_method"] == "moving-block bootstrap, block 12 rows, 150 resamples, 80 % level"
    holding = bt["exits"]["max_holding"]
    assert holding == report["experiment"]["config"]["labels"]["horizon"]
    assert (bt["sharpe_ci_level"], bt["sharpe_ci_n_boot"], bt["sharpe_ci_block"]) == (
        0.8, 150, max(12, holding))
    assert bt["sharpe_ci_method"] == (
        f"moving-block bootstrap, block {max(12, holding)} bars, 150 resamples, 80 % level")


def test_backtest_exposure_and_holding_agree_with_the_trades(run) -> None:
    _, out = run
    bt = json.loads((out / "report.json").read_text())["backtest"]
    assert bt["n_trades"] > 0 and bt["exposure"] > 0
    assert 1 <= bt["mean_bars_held"] <= bt["max_bars_held"] <= bt["exits"]["max_holding"]
    if bt["exit_reasons"].get("time"):
        assert bt["max_bars_held"] == bt["exits"]["max_holding"]
    html = backtest(load_report(out))
    assert "<td>max_holding</td><td>—</td>" not in html and "<td>exposure</td>" in html


def test_diagnostics_show_the_gates_thresholds_rounded(run) -> None:
    _, out = run
    report = load_report(out)
    gate = report.experiment.config["gate"]
    shown = report.diagnostics.values["thresholds"]
    assert shown["max_ece"] == gate["max_ece"]
    assert shown["max_overconfident_share"] == gate["max_overconfident_share"]
    html = diagnostics(report)
    assert "9999999" not in html and "0000001" not in html
