"""MLflow bookkeeping: one parent, one child per trial, healed after a driver died mid-log."""

from __future__ import annotations

from pathlib import Path

from sweep_helpers import fake_record

from tradewind.artifacts import Registry
from tradewind.sweep.tracking import KEY_TAG, SweepTracker


def _children(tracker: SweepTracker) -> list:
    client = tracker.registry.client
    experiment = client.get_experiment_by_name("demo")
    return [r for r in client.search_runs([experiment.experiment_id])
            if r.data.tags.get("mlflow.parentRunId") == tracker.parent_run_id]


def test_sync_logs_each_trial_once_and_replaces_half_logged_children(tmp_path: Path) -> None:
    registry = Registry(root=tmp_path / "runs")
    tracker = SweepTracker(registry, "demo")
    parent = tracker.start("sweep-demo", {"tradewind.method": "grid"})
    a = fake_record("aaa", number=0, overrides={"lookback": 4, "model.hidden": [8]})
    b = fake_record("bbb", number=1, overrides={"lookback": 6, "model.hidden": [8]})
    tracker.log_trial(a, tmp_path)
    # a driver killed between create_run and the first log_batch leaves this behind
    client = registry.client
    experiment_id = client.get_experiment_by_name("demo").experiment_id
    client.create_run(experiment_id, tags={"mlflow.parentRunId": parent, KEY_TAG: "bbb"})

    again = SweepTracker(Registry(root=tmp_path / "runs"), "demo", parent)
    assert again.start("sweep-demo", {}) == parent  # the parent run is reused
    assert again.sync([a, b], tmp_path) == 1
    children = _children(again)
    assert sorted(c.data.tags[KEY_TAG] for c in children) == ["aaa", "bbb"]
    assert all(c.info.status == "FINISHED" for c in children)
    logged_b = next(c for c in children if c.data.tags[KEY_TAG] == "bbb")
    assert logged_b.data.params == {"lookback": "6", "model.hidden": "[8]", "trial_number": "1"}
    assert logged_b.data.metrics["mcc_ci_low"] == -0.05
    assert again.sync([a, b], tmp_path) == 0

    again.finish({"n_trials": 2, "pbo": None}, {"winner": "aaa"}, [], complete=True)
    run = client.get_run(parent)
    assert run.info.status == "FINISHED" and run.data.metrics["n_trials"] == 2
    assert "pbo" not in run.data.metrics and run.data.tags["winner"] == "aaa"
