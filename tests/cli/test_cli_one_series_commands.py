"""Commands that read one series (`labels inspect`, `features compute`, `labels search`)
given an experiment over ``data.sources``: one entry is that series; several are refused
naming them unless ``--data`` picks one, never falling back to the default source."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tradewind.config import Experiment, validate_section
from tradewind.data import load
from tradewind.exceptions import ConfigError
from tradewind.pipeline.prepare import load_candles
from universe_helpers import planted

TRADEWIND = Path(sys.executable).parent / "tradewind"
SOURCES = [{"source": planted(1, bars=500), "symbol": "AAA/USD"},
           {"source": planted(2, bars=600), "symbol": "BBB/USD"}]


def _experiment(sources: list[dict[str, str]]) -> Experiment:
    return validate_section(Experiment, {"data": {"sources": sources}}, "test")


def test_load_candles_reads_the_one_series_or_refuses_to_guess() -> None:
    one = load_candles(_experiment(SOURCES[1:]))
    assert len(one) == 600 and one.equals(load(SOURCES[1]["source"]))
    with pytest.raises(ConfigError, match=r"lists 2 in data\.sources \(AAA/USD, BBB/USD\)"):
        load_candles(_experiment(SOURCES))
    assert len(load_candles(_experiment(SOURCES), SOURCES[0]["source"])) == 500


def test_the_installed_script_refuses_a_universe_without_data(tmp_path: Path) -> None:
    path = tmp_path / "universe.yaml"
    path.write_text(yaml.safe_dump({"data": {"sources": SOURCES}}))
    env = {**os.environ, "COLUMNS": "200"}
    refused = subprocess.run([str(TRADEWIND), "labels", "inspect", str(path)],
                             capture_output=True, text=True, env=env, timeout=300)
    assert refused.returncode == ConfigError.exit_code, refused.stderr
    assert "AAA/USD, BBB/USD" in refused.stderr and "--data" in refused.stderr
    picked = subprocess.run([str(TRADEWIND), "labels", "inspect", str(path), "--data",
                             SOURCES[1]["source"], "--format", "json"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert picked.returncode == 0, picked.stderr
    (overall,) = [row for row in json.loads(picked.stdout)["balance"] if row["period"] == "all"]
    assert overall["labelled"] + overall["unlabelled"] == 600  # BBB/USD's bars, not AAA/USD's
