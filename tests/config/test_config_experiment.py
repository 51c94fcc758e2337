"""The experiment file: unknown keys and wrong types name the key and the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradewind.config import Experiment, apply_overrides, load_experiment, parse_overrides
from tradewind.exceptions import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(text)
    return path


def test_quickstart_example_validates(repo_root: Path) -> None:
    exp = load_experiment(repo_root / "examples" / "quickstart.yaml")
    assert exp.data.source == "sample:eurusd-1h"
    assert exp.model.name == "lstm"


def test_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "training:\n  epochs: 3\n  learning_rate: 0.1\n")
    with pytest.raises(ConfigError) as err:
        load_experiment(path)
    message = str(err.value)
    assert "training.learning_rate" in message
    assert str(path) in message
    assert "unknown key" in message


def test_wrong_type_names_key_and_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "lookback: many\n")
    with pytest.raises(ConfigError) as err:
        load_experiment(path)
    assert "lookback" in str(err.value) and str(path) in str(err.value)


def test_unknown_model_key_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "model:\n  name: lstm\n  hidden: 12\n")
    with pytest.raises(ConfigError, match="hidden"):
        load_experiment(path)


def test_overrides_apply_before_validation(tmp_path: Path) -> None:
    path = _write(tmp_path, "training:\n  epochs: 3\n")
    exp = load_experiment(path, ["training.epochs=5", "model.name=fnn", "lookback=8"])
    assert exp.training.epochs == 5
    assert exp.model.name == "fnn"
    assert exp.lookback == 8


def test_override_with_bad_key_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "{}\n")
    with pytest.raises(ConfigError, match=r"training\.epoch"):
        load_experiment(path, ["training.epoch=5"])


def test_parse_overrides_types_and_errors() -> None:
    assert parse_overrides(["a.b=3", "c=[1, 2]", "d=null", "e=text"]) == {
        "a.b": 3, "c": [1, 2], "d": None, "e": "text"}
    with pytest.raises(ConfigError, match=r"dotted\.key=value"):
        parse_overrides(["novalue"])


def test_dates_stay_text_on_the_command_line_and_in_files(tmp_path: Path) -> None:
    assert parse_overrides(["data.end=2020-12-31", "data.start=2020-01-02 10:00"]) == {
        "data.end": "2020-12-31", "data.start": "2020-01-02 10:00"}
    path = _write(tmp_path, "data:\n  source: sample:eurusd-1h\n  start: 2020-01-02\n")
    exp = load_experiment(path, ["data.end=2020-12-31"])
    assert (exp.data.start, exp.data.end) == ("2020-01-02", "2020-12-31")


def test_apply_overrides_refuses_scalar_as_section() -> None:
    with pytest.raises(ConfigError, match="not a section"):
        apply_overrides({"lookback": 3}, {"lookback.x": 1})


def test_regression_labels_refused_for_an_experiment() -> None:
    with pytest.raises(ValueError, match="forward_return"):
        Experiment.model_validate({"labels": {"kind": "forward_return"}})


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_experiment(tmp_path / "nope.yaml")
