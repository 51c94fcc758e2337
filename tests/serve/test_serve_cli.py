"""Settings of ``tradewind serve`` (the command itself blocks, so its pieces are tested)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tradewind.cli.serve_cmds import build_settings, serve
from tradewind.exceptions import ConfigError
from tradewind.serve import ServeSettings


def test_options_and_overrides_become_settings() -> None:
    settings = build_settings("champion", "127.0.0.1", 8123, 5.0,
                              ["registry.root=elsewhere", "policy.threshold=0.6", "max_batch=8"])
    assert (settings.model, settings.port, settings.poll_seconds) == ("champion", 8123, 5.0)
    assert settings.registry.root == "elsewhere" and settings.policy == {"threshold": 0.6}
    assert settings.max_batch == 8 and not settings.is_path
    assert (settings.workers, settings.allow_refused) == (1, False)
    more = build_settings("champion", "127.0.0.1", 8000, 30.0, None, allow_refused=True, workers=3)
    assert (more.workers, more.allow_refused) == (3, True)
    with pytest.raises(ConfigError, match="workers"):
        build_settings("champion", "127.0.0.1", 8000, 30.0, None, workers=0)
    with pytest.raises(ConfigError, match="no_such_field"):
        build_settings("champion", "127.0.0.1", 8000, 30.0, ["no_such_field=1"])
    with pytest.raises(ConfigError, match="port"):
        build_settings("champion", "127.0.0.1", 70000, 30.0, None)


def test_bundle_paths_are_told_apart_from_registry_references(tmp_path: Path) -> None:
    assert ServeSettings(model=str(tmp_path)).is_path
    assert ServeSettings(model="./not-yet-there").is_path
    assert not ServeSettings(model="7").is_path


def test_command_help_lists_the_options() -> None:
    app = typer.Typer()
    app.command("serve")(serve)
    app.command("other")(lambda: None)
    result = CliRunner().invoke(app, ["serve", "--help"], env={"NO_COLOR": "1", "TERM": "dumb"})
    assert result.exit_code == 0
    for option in ("--model", "--host", "--port", "--poll-seconds", "--workers", "--allow-refused",
                   "--set"):
        assert option in result.output


def test_registry_flags_match_the_live_command() -> None:
    settings = build_settings("champion", "127.0.0.1", 8000, 30.0, None,
                              tracking_uri="sqlite:///x.db", registry_root=Path("elsewhere"))
    assert settings.registry.tracking_uri == "sqlite:///x.db"
    assert settings.registry.root == "elsewhere"
    assert build_settings("champion", "127.0.0.1", 8000, 30.0, None).registry.root == "runs"
