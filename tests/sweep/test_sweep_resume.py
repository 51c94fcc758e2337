"""An 8-trial sweep on local Ray, SIGKILLed mid-way and re-run: only missing trials run again.

The sweep CLI runs in its own session (process group and Ray's workers alike); once the
ledger holds three trials every process of that session is SIGKILLed, as a crash or an
OOM killer would. The re-run must say how many finished and how many are left, leave the
finished trials' files untouched, finish the rest, log one MLflow parent run with exactly
eight children, and rank the trials by the lower bound of their MCC interval.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sweep_helpers import write_sweep

from tradewind.timeframes import bars_per_year

# Two Ray starts and eight trials: about a minute on two quiet cores, more on busy ones.

CLI = "import typer; from tradewind.cli.sweep_cmds import sweep; typer.run(sweep)"
ENV = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}


def _session_pids(sid: int) -> list[int]:
    """Processes of session ``sid`` (the CLI started with start_new_session: sid = its pid)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # state ppid pgrp session ...
        if int(fields[3]) == sid and fields[0] != "Z":  # zombies are dead already
            pids.append(int(entry.name))
    return pids


def _kill_session(sid: int) -> None:
    for _ in range(20):
        pids = _session_pids(sid)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.25)
    raise AssertionError(f"processes of session {sid} survive SIGKILL: {_session_pids(sid)}")


def _ledger(out: Path) -> list[Path]:
    folder = out / "ledger"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("resume")
    sweep_file = write_sweep(root / "cfg", registry_root=root / "runs")
    out = root / "sweep"
    command = [sys.executable, "-c", CLI, str(sweep_file), "--out", str(out), "--max-concurrent", "2"]
    first_log = root / "first.log"
    with first_log.open("w") as log:
        proc = subprocess.Popen(command, cwd=root, env=ENV, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            deadline = time.monotonic() + 600
            while len(_ledger(out)) < 3:
                if proc.poll() is not None:
                    raise AssertionError(f"sweep exited early:\n{first_log.read_text()[-4000:]}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"no 3 trials in time:\n{first_log.read_text()[-4000:]}")
                time.sleep(0.2)
        finally:
            _kill_session(proc.pid)
            proc.wait(timeout=30)
    finished = {p.stem: (out / "trials" / p.stem / "report.json").stat().st_mtime_ns
                for p in _ledger(out)}
    second = subprocess.run(command, cwd=root, env=ENV, capture_output=True, text=True, timeout=900)
    return {"root": root, "out": out, "finished": finished, "second": second,
            "first_log": first_log.read_text()}


def test_the_rerun_runs_only_the_missing_trials(killed_and_resumed: dict) -> None:
    second = killed_and_resumed["second"]
    log = second.stdout + second.stderr
    assert second.returncode == 0, log[-4000:]
    out, finished = killed_and_resumed["out"], killed_and_resumed["finished"]
    n = len(finished)
    assert 3 <= n < 8, f"the kill came too late to test a resume ({n} finished)"
    assert f"{n} finished, {8 - n} to run" in log
    assert len(_ledger(out)) == 8
    for key, mtime in finished.items():  # finished trials were not run again
        assert (out / "trials" / key / "report.json").stat().st_mtime_ns == mtime, key
    assert not any(out.rglob("*.pkl")), "no pickle in the sweep directory"


def test_the_leaderboard_ranks_all_eight_by_the_mcc_lower_bound(killed_and_resumed: dict) -> None:
    out = killed_and_resumed["out"]
    board = json.loads((out / "leaderboard.json").read_text())
    rows = board["rows"]
    assert len(rows) == 8 == board["n_trials"] and board["ranked_by"] == "mcc_ci_low"
    assert len({r["key"] for r in rows}) == 8
    real = [r for r in rows if r["mcc_ci_high"] - r["mcc_ci_low"] > 1e-12]
    assert rows[: len(real)] == real  # one-class (zero-width) intervals rank last
    lows = [r["mcc_ci_low"] for r in real]
    assert lows == sorted(lows, reverse=True)
    assert board["winner"]["key"] == rows[0]["key"]
    assert board["winner"]["deflated_sharpe_n_trials"] == 8
    assert 0.0 <= board["pbo"]["pbo"] <= 1.0 and board["pbo"]["n_strategies"] == 8
    csv = (out / "leaderboard.csv").read_text().splitlines()
    assert len(csv) == 9 and csv[1].split(",")[1] == rows[0]["key"]


def test_each_trial_kept_its_report_bundle_and_the_returns_behind_its_sharpe(
    killed_and_resumed: dict,
) -> None:
    out = killed_and_resumed["out"]
    for path in _ledger(out):
        record = json.loads(path.read_text())
        trial = out / "trials" / record["key"]
        report = json.loads((trial / "report.json").read_text())
        assert (trial / "bundle" / "manifest.json").is_file()
        assert report["oos"]["mcc"] == pytest.approx(record["mcc"])
        returns = pd.read_parquet(out / record["returns"])["return"].to_numpy()
        sharpe = np.mean(returns) / np.std(returns, ddof=1) * math.sqrt(bars_per_year("1h"))
        assert sharpe == pytest.approx(report["backtest"]["sharpe"], rel=1e-9)
        assert record["sharpe"] == pytest.approx(report["backtest"]["sharpe"])


def test_mlflow_has_one_parent_and_one_child_per_trial(killed_and_resumed: dict) -> None:
    import mlflow

    root, out = killed_and_resumed["root"], killed_and_resumed["out"]
    client = mlflow.MlflowClient(f"sqlite:///{(root / 'runs' / 'mlflow.db').as_posix()}")
    experiment = client.get_experiment_by_name("sweep")
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(parents) == 1 and len(children) == 8
    parent = parents[0]
    assert parent.info.status == "FINISHED" and parent.data.metrics["n_trials"] == 8
    assert json.loads((out / "sweep.json").read_text())["mlflow_parent_run_id"] == parent.info.run_id
    ledger = {p.stem: json.loads(p.read_text()) for p in _ledger(out)}
    assert {c.data.tags["tradewind.trial_key"] for c in children} == set(ledger)
    for child in children:
        record = ledger[child.data.tags["tradewind.trial_key"]]
        assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert child.data.params["training.lr"] == json.dumps(record["overrides"]["training.lr"])
        assert child.data.metrics["mcc_ci_low"] == pytest.approx(record["mcc_ci_low"])
        assert child.data.metrics["gate_passed"] in (0.0, 1.0)
