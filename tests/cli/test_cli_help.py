"""The console script: every command listed with one-line help; errors map to exit codes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradewind.cli import app
from tradewind.exceptions import ConfigError

runner = CliRunner()

TOP_LEVEL = ["run", "report", "gate", "promote", "backtest", "export", "signal", "serve", "live",
             "paper", "retrain", "monitor", "data", "features", "labels", "models", "presets",
             "sweep", "sign"]
SUBCOMMANDS = {
    "data": ["fetch", "import", "validate", "info", "resample"],
    "features": ["list", "compute"],
    "labels": ["inspect", "search"],
    "models": ["list"],
    "presets": ["list"],
}


def test_help_lists_every_command_with_help() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    for name in TOP_LEVEL:
        line = next((ln for ln in result.output.splitlines() if f" {name} " in ln), None)
        assert line is not None, f"{name} missing from --help:\n{result.output}"
        assert len(line.split(name, 1)[1].strip(" │")) > 10, f"{name} has no help line"


@pytest.mark.parametrize("group", sorted(SUBCOMMANDS))
def test_group_help_lists_subcommands(group: str) -> None:
    result = runner.invoke(app, [group, "--help"])
    assert result.exit_code == 0, result.output
    for name in SUBCOMMANDS[group]:
        assert f" {name} " in result.output, f"{group} {name} missing:\n{result.output}"


def test_console_script_maps_config_error_to_exit_code(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("training:\n  epochz: 3\n")
    proc = subprocess.run(
        [sys.executable, "-c", "from tradewind.cli import main; main()", "labels", "inspect",
         str(bad)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == ConfigError.exit_code == 2, proc.stderr + proc.stdout
    assert "training.epochz" in proc.stderr and str(bad) in proc.stderr.replace("\n", "")


def test_features_list_shows_core15() -> None:
    result = runner.invoke(app, ["features", "list"])
    assert result.exit_code == 0, result.output
    assert "core15" in result.output


READS_CONFIG = [["run"], ["gate"], ["promote"], ["backtest"], ["signal"], ["serve"], ["live"],
                ["features", "compute"], ["labels", "inspect"], ["labels", "search"], ["sweep"],
                ["models", "list"], ["presets", "list"]]
READS_NO_CONFIG = [["report"], ["export"], ["data", "fetch"], ["data", "import"],
                   ["data", "validate"], ["data", "info"], ["data", "resample"],
                   ["features", "list"], ["paper"]]


@pytest.mark.parametrize("command", READS_CONFIG, ids=" ".join)
def test_commands_that_read_a_config_accept_set_overrides(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "--set" in result.output, f"`tradewind {' '.join(command)}` has no --set option"


@pytest.mark.parametrize("command", READS_NO_CONFIG, ids=" ".join)
def test_commands_that_read_no_config_offer_no_set(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert not re.search(r"--set(?![\w-])", result.output), f"`{' '.join(command)}` offers --set"


@pytest.mark.parametrize("narrow", [["--sets", "smc"], ["--set", "sets=[smc]"]], ids=" ".join)
def test_features_list_can_be_narrowed(narrow: list[str]) -> None:
    result = runner.invoke(app, ["features", "list", *narrow], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "bos_up" in result.output and "rsi" not in result.output
