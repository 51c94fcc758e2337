"""Sweeps on a local Ray started once for the module: trials, ledger, MLflow, leaderboard.

The fast path of what ``test_sweep_resume.py`` proves with eight trials and a
SIGKILL: a second run over a larger space runs only the trial the first did not.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from sweep_helpers import write_sweep

from tradewind.sweep import load_sweep, run_sweep
from tradewind.sweep.runner import _scratch_dir, ray_session
from tradewind.timeframes import bars_per_year


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One local Ray for every sweep of the module (``run_sweep`` uses it as it is)."""
    with ray_session(None, tmp_path_factory.mktemp("ray-owner")):
        yield


def _children(tracking_uri: str, parent: str) -> list:
    import mlflow

    client = mlflow.MlflowClient(tracking_uri)
    experiment = client.get_experiment_by_name("sweep")
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    return [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent]


def test_a_grown_space_runs_only_its_new_trial_on_ray(local_ray: None, tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    path = write_sweep(tmp_path / "cfg", space={"lookback": [4]}, registry_root=tmp_path / "runs")
    first = run_sweep(load_sweep(path), out_dir=out, progress=False)
    assert first.ran == 1 and first.complete and not first.failed
    (key4,) = [r.key for r in first.leaderboard.rows]
    report4 = out / "trials" / key4 / "report.json"
    mtime = report4.stat().st_mtime_ns
    assert not (report4.parent / "report.html").exists()  # trials skip the HTML by default

    path = write_sweep(tmp_path / "cfg", space={"lookback": [4, 6]}, registry_root=tmp_path / "runs",
                       trial_html=True)  # not part of the fingerprint: resuming is allowed
    console = Console(record=True, width=200)
    second = run_sweep(load_sweep(path), out_dir=out, console=console)
    assert "1 finished, 1 to run" in console.export_text()
    assert second.finished_before == 1 and second.ran == 1 and second.complete
    assert report4.stat().st_mtime_ns == mtime  # not run again

    rows = second.leaderboard.rows
    assert {r.overrides["lookback"] for r in rows} == {4, 6}
    (key6,) = [r.key for r in rows if r.key != key4]
    assert (out / "trials" / key6 / "report.html").exists()
    lows = [r.mcc_ci_low for r in rows if r.mcc_ci_high - r.mcc_ci_low > 1e-12]
    assert lows == sorted(lows, reverse=True)
    board = json.loads(second.leaderboard_json.read_text())
    assert [r["key"] for r in board["rows"]] == [r.key for r in rows]

    assert second.mlflow_parent_run_id == first.mlflow_parent_run_id
    children = _children(second.tracking_uri, second.mlflow_parent_run_id)
    assert sorted(c.data.tags["tradewind.trial_key"] for c in children) == sorted(r.key for r in rows)
    assert {c.data.params["lookback"] for c in children} == {"4", "6"}

    for record in rows:  # the replayed returns are the backtest the report measured
        report = json.loads((out / record.report).read_text())
        returns = pd.read_parquet(out / record.returns)["return"].to_numpy()
        sharpe = np.mean(returns) / np.std(returns, ddof=1) * math.sqrt(bars_per_year("1h"))
        assert sharpe == pytest.approx(report["backtest"]["sharpe"], rel=1e-9)
    assert not any(out.rglob("*.pkl"))
    assert not _scratch_dir(out).exists()


@pytest.mark.slow
def test_a_tpe_sweep_on_ray_asks_optuna_and_stops_at_n_trials(local_ray: None, tmp_path: Path) -> None:
    import optuna

    space = {"training.lr": {"low": 0.0005, "high": 0.005, "log": True},
             "model": [{"name": "fnn", "hidden": [8]}, {"name": "fnn", "hidden": [16, 8]}]}
    path = write_sweep(tmp_path / "cfg", space=space, registry_root=tmp_path / "runs",
                       search={"method": "tpe", "n_trials": 3, "seed": 2, "startup_trials": 2})
    result = run_sweep(load_sweep(path), out_dir=tmp_path / "sweep", progress=False)
    assert result.ran == 3 and result.complete and result.leaderboard.n_trials == 3
    study = optuna.load_study(study_name="sweep",
                              storage=f"sqlite:///{tmp_path / 'sweep' / 'optuna.db'}")
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert {t.user_attrs["key"] for t in complete} == {r.key for r in result.leaderboard.rows}
    again = run_sweep(load_sweep(path), out_dir=tmp_path / "sweep", progress=False)
    assert again.ran == 0 and again.finished_before == 3
