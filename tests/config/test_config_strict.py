"""Strict loading: empty files, duplicate keys, booleans for numbers, bad bytes, bad seeds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tradewind.cli.signal_cmds import policy_from_pairs
from tradewind.config import (
    BacktestSpec,
    apply_overrides,
    load_experiment,
    parse_overrides,
    validate_section,
)
from tradewind.exceptions import ConfigError
from tradewind.policy import TradePolicy

TRADEWIND = Path(sys.executable).parent / "tradewind"


def _write(tmp_path: Path, text: str | bytes, name: str = "exp.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_an_empty_experiment_file_is_refused_with_a_minimal_example(tmp_path: Path,
                                                                    text: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_experiment(path)
    message = str(err.value)
    assert str(path) in message and "empty" in message
    assert "data:\n      source: sample:eurusd-1h" in message


def test_an_explicit_empty_mapping_runs_the_defaults_on_purpose(tmp_path: Path) -> None:
    exp = load_experiment(_write(tmp_path, "{}\n"), ["training.epochs=2"])
    assert exp.training.epochs == 2 and exp.lookback == 32


def test_a_duplicate_key_is_refused_naming_the_key_and_both_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "lookback: 16\ntraining:\n  epochs: 3\nlookback: 8\n")
    with pytest.raises(ConfigError) as err:
        load_experiment(path)
    assert str(path) in str(err.value)
    assert "key 'lookback' appears twice in one mapping, at lines 1 and 4" in str(err.value)


def test_a_duplicate_nested_key_is_refused_too(tmp_path: Path) -> None:
    path = _write(tmp_path, "training:\n  epochs: 3\n  batch_size: 64\n  epochs: 30\n")
    with pytest.raises(ConfigError, match=r"key 'epochs' appears twice .* lines 2 and 4"):
        load_experiment(path)


def test_a_merge_key_may_be_overridden_without_counting_as_a_duplicate(tmp_path: Path) -> None:
    text = ("base: &base {epochs: 3, batch_size: 64}\n"
            "training:\n  <<: *base\n  epochs: 5\n")
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match="base: unknown key"):  # parsed; 'base' is no section
        load_experiment(path)


def test_a_duplicate_key_in_a_set_value_is_refused() -> None:
    with pytest.raises(ConfigError, match="key 'a' appears twice"):
        parse_overrides(["features.params={a: 1, a: 2}"])


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("lookback=true", "lookback"),
        ("training.epochs=true", "training.epochs"),
        ("model.hidden_size=true", "model.hidden_size"),
        ("gate.max_ece=true", "gate.max_ece"),
        ("backtest.fee_bps=true", "backtest.fee_bps"),
        ("bootstrap.n_boot=true", "bootstrap.n_boot"),
        ("baselines.lags=[1, true]", "baselines.lags[1]"),
    ],
)
def test_a_boolean_is_refused_where_a_number_is_expected(tmp_path: Path, override: str,
                                                         key: str) -> None:
    path = _write(tmp_path, "name: strict\nmodel:\n  name: lstm\n")
    with pytest.raises(ConfigError) as err:
        load_experiment(path, [override])
    assert f"{path}: {key}: a boolean" in str(err.value)


def test_booleans_stay_fine_where_a_boolean_is_expected(tmp_path: Path) -> None:
    path = _write(tmp_path, "backtest:\n  enabled: false\nregistry:\n  enabled: false\n")
    exp = load_experiment(path)
    assert exp.backtest.enabled is False and exp.registry.enabled is False


def test_command_sections_refuse_booleans_for_numbers_too() -> None:
    with pytest.raises(ConfigError, match="--set: fee_bps: a boolean"):
        validate_section(BacktestSpec, apply_overrides({}, {"fee_bps": True}), "--set")
    with pytest.raises(ConfigError, match="--set: threshold: a boolean"):
        policy_from_pairs(TradePolicy(), ["threshold=true"])


def test_a_file_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError) as err:
        load_experiment(path)
    assert str(path) in str(err.value) and "not UTF-8" in str(err.value)
    assert "0xe9" in str(err.value)


def test_a_negative_seed_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"seed: Input should be greater than or equal to 0"):
        load_experiment(_write(tmp_path, "name: s\n"), ["seed=-1"])


@pytest.mark.parametrize(
    ("content", "extra", "needle"),
    [
        ("name: x\n", ["--set", "lookback=true"], "lookback: a boolean"),
        ("name: x\n", ["--set", "seed=-1"], "seed"),
        ("", [], "the file is empty"),
        (b"name: caf\xe9\n", [], "not UTF-8"),
    ],
)
def test_the_installed_script_exits_2_without_a_traceback(tmp_path: Path, content: str | bytes,
                                                          extra: list[str], needle: str) -> None:
    path = _write(tmp_path, content)
    done = subprocess.run([str(TRADEWIND), "run", str(path), *extra, "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert needle in " ".join(done.stderr.split())
    assert not (tmp_path / "out").exists()
