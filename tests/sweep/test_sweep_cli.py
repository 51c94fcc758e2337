"""``tradewind sweep`` prints the leaderboard, the deflated Sharpe and the PBO (no Ray needed
when every trial is already in the ledger)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer
from sweep_helpers import fake_record, write_returns, write_sweep
from typer.testing import CliRunner

from tradewind.cli.sweep_cmds import sweep
from tradewind.exceptions import ConfigError
from tradewind.sweep import Ledger, load_sweep, trial_key
from tradewind.sweep.space import check_space

app = typer.Typer()
app.command()(sweep)


def test_the_command_prints_the_ranking_and_what_it_is_worth(tmp_path: Path) -> None:
    path = write_sweep(tmp_path / "cfg", space={"lookback": [4, 6, 8]})
    out = tmp_path / "sweep"
    ledger = Ledger(out)
    rng = np.random.default_rng(2)
    for number, point in enumerate(check_space(load_sweep(path))):
        key = trial_key(point)
        rel = write_returns(out, key, rng.normal(0, 0.01, size=200))
        ledger.write(fake_record(key, number=number, overrides=point, returns=rel,
                                 mcc=0.01 * number, ci=(-0.05 + 0.02 * number, 0.1)))
    result = CliRunner().invoke(app, [str(path), "--out", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "3 trials ranked by the lower bound of the MCC 95% interval" in text
    best = trial_key({"lookback": 8})
    assert text.index(best) < text.index(trial_key({"lookback": 4}))
    assert f"winner {best}: deflated Sharpe ratio" in text and "best of 3" in text
    assert "probability of backtest overfitting" in text
    assert (out / "leaderboard.csv").is_file()


def test_set_overrides_reach_every_trial_and_bad_ones_name_the_key(tmp_path: Path) -> None:
    path = write_sweep(tmp_path / "cfg", space={"lookback": [4]})
    result = CliRunner().invoke(app, [str(path), "--set", "training.epochz=3"])
    assert isinstance(result.exception, ConfigError)
    assert "training.epochz" in str(result.exception) and str(path) in str(result.exception)


def test_help_shows_every_option() -> None:
    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    for option in ("--out", "--address", "--resume", "--no-resume", "--max-concurrent", "--set"):
        assert option in result.stdout, option
