"""The sweep file: validation naming file and key, grid expansion, stable trial keys."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sweep_helpers import write_sweep

from tradewind.exceptions import ConfigError
from tradewind.sweep import grid_points, load_sweep, trial_key
from tradewind.sweep.space import check_space, grid_values
from tradewind.sweep.spec import RangeSpec


def _edit(path: Path, **changes: object) -> Path:
    raw = yaml.safe_load(path.read_text())
    raw.update(changes)
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def test_a_sweep_file_resolves_its_experiment_and_fixed_overrides(tmp_path: Path) -> None:
    sweep = load_sweep(write_sweep(tmp_path), ["bootstrap.n_boot=200"])
    assert sweep.name == "sweep"
    assert sweep.experiment_path == tmp_path / "exp.yaml"
    assert sweep.base["training"]["epochs"] == 1 and sweep.base["bootstrap"]["n_boot"] == 200
    exp = sweep.trial_experiment({"model.hidden": [8], "lookback": 6})
    assert exp.lookback == 6 and exp.model.hidden == [8]
    assert exp.registry.enabled is False  # the driver logs, never a trial
    assert len(check_space(sweep)) == 8


def test_the_fingerprint_follows_what_trials_compute_not_where_mlflow_is(tmp_path: Path) -> None:
    path = write_sweep(tmp_path)
    plain = load_sweep(path)
    assert load_sweep(path).fingerprint == plain.fingerprint
    assert load_sweep(path, ["training.epochs=3"]).fingerprint != plain.fingerprint
    assert load_sweep(path, ["registry.root=elsewhere"]).fingerprint == plain.fingerprint


def test_an_unknown_sweep_key_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = _edit(write_sweep(tmp_path), spaces={"lookback": [4]})
    with pytest.raises(ConfigError) as err:
        load_sweep(path)
    assert str(path) in str(err.value) and "spaces" in str(err.value)
    assert "unknown key" in str(err.value)


def test_a_misspelt_experiment_key_in_the_space_fails_before_anything_runs(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, space={"model.hiden": [[8]], "lookback": [4]})
    sweep = load_sweep(path)
    with pytest.raises(ConfigError) as err:
        check_space(sweep)
    message = str(err.value)
    assert str(path) in message and "model.hiden" in message and "unknown key" in message


def test_a_bad_fixed_override_fails_at_load_naming_the_key(tmp_path: Path) -> None:
    path = _edit(write_sweep(tmp_path), overrides={"training.epochs": "many"})
    with pytest.raises(ConfigError) as err:
        load_sweep(path)
    assert str(path) in str(err.value) and "training.epochs" in str(err.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"space": {"training.lr": {"low": 0.001, "high": 0.01}}}, "needs a list of values or a range with a step"),
        ({"search": {"method": "tpe"}}, "needs search.n_trials"),
        ({"search": {"method": "grid", "n_trials": 5}}, "n_trials is for tpe"),
        ({"space": {"lookback": [4]}, "overrides": {"lookback": 8}}, "same config value twice"),
        ({"space": {"model": [{"name": "fnn"}], "model.dropout": [0.1]}}, "same config value twice"),
        ({"space": {"registry.root": ["a", "b"]}}, "never log to the registry"),
        ({"space": {"lookback": []}}, "lists no values"),
        ({"space": {"training lr": [1]}}, "not a dotted config key"),
        ({"space": {"training.lr": {"low": 0.0, "high": 1.0, "log": True}}}, "log: true needs low > 0"),
        ({"space": {"lookback": {"low": 8, "high": 4, "step": 1}}}, "must be below high"),
        ({"pbo_blocks": 7}, "must be even"),
        ({"resources_per_trial": {"cpus": 0}}, "greater than 0"),
    ],
)
def test_sweep_rules_name_the_offending_value(tmp_path: Path, changes: dict, message: str) -> None:
    path = _edit(write_sweep(tmp_path), **changes)
    with pytest.raises(ConfigError, match=message):
        load_sweep(path)


def test_a_missing_experiment_file_is_named_with_where_it_was_looked_for(tmp_path: Path) -> None:
    path = _edit(write_sweep(tmp_path), experiment="nope.yaml")
    with pytest.raises(ConfigError, match=r"nope\.yaml.*relative to the sweep file"):
        load_sweep(path)


def test_the_grid_crosses_every_value_first_key_slowest(tmp_path: Path) -> None:
    points = grid_points(load_sweep(write_sweep(tmp_path)).spec.space)
    assert len(points) == 8
    assert points[0] == {"model.hidden": [8], "training.lr": 0.001, "lookback": 4}
    assert points[1] == {"model.hidden": [8], "training.lr": 0.001, "lookback": 6}
    assert points[-1] == {"model.hidden": [16], "training.lr": 0.003, "lookback": 6}
    assert grid_values("lr", RangeSpec(low=0.001, high=0.003, step=0.001)) == [0.001, 0.002, 0.003]
    assert grid_values("n", RangeSpec(low=1, high=7, step=3)) == [1, 4, 7]


def test_trial_keys_are_stable_and_ignore_key_order() -> None:
    a = trial_key({"training.lr": 0.001, "model.hidden": [8]})
    assert a == trial_key({"model.hidden": [8], "training.lr": 0.001})
    assert len(a) == 12 and int(a, 16) >= 0
    assert a != trial_key({"model.hidden": [8], "training.lr": 0.003})
    assert a != trial_key({"model.hidden": [8, 8], "training.lr": 0.001})
    # pinned: a key must not change between tradewind versions or resumes would re-run
    assert trial_key({"lookback": 4}) == "81f795aa4deb"


def test_tpe_spaces_are_probed_value_by_value(tmp_path: Path) -> None:
    space = {"training.lr": {"low": 0.0005, "high": 0.005, "log": True},
             "model": [{"name": "fnn", "hidden": [8]}, {"name": "fnn", "hiden": [8]}]}
    path = write_sweep(tmp_path, space=space, search={"method": "tpe", "n_trials": 4})
    with pytest.raises(ConfigError, match=r"model\.fnn\.hiden: unknown key"):
        check_space(load_sweep(path))


def test_a_trial_larger_than_the_cluster_is_refused_before_tune_waits_forever(tmp_path: Path) -> None:
    from tradewind.sweep.runner import _check_resources

    path = _edit(write_sweep(tmp_path), resources_per_trial={"cpus": 1, "gpus": 1})
    sweep = load_sweep(path)
    with pytest.raises(ConfigError, match=r"resources_per_trial\.gpus=1 but the Ray cluster has 0"):
        _check_resources(sweep, {"CPU": 2.0})
    _check_resources(sweep, {"CPU": 2.0, "GPU": 1.0})
