"""Retraining a per_symbol universe: each symbol's challenger against its own champion.

Two symbols, one MLflow SQLite registry. The gate is switched to its loosest settings so
that a first retrain promotes both (the decision rule, not the gate, is under test here;
test_retrain_flow covers the gate's refusals). Then a second retrain through the installed
script finds each symbol's own champion, and a third, where one symbol's file is too short,
stops naming that symbol while the symbol before it stays decided and recorded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tradewind.artifacts import Registry
from tradewind.config import Experiment, validate_section
from tradewind.data import load
from tradewind.exceptions import ConfigError, DataError
from tradewind.retrain import DECISION_FILE, SUMMARY_FILE, retrain_experiment, retrain_universe
from universe_helpers import planted, tiny_universe

TRADEWIND = Path(sys.executable).parent / "tradewind"
SYMBOLS = {"AAA/USD": "AAA-USD", "BBB/USD": "BBB-USD"}
LOOSE_GATE = {"min_mcc_lower": -1.0, "beat_baselines": [], "not_worse_than_learned": False,
              "max_ece": None, "max_overconfident_share": None, "max_abs_logit": None,
              "class_share_ratio": None, "min_oos_rows": 1, "min_sharpe_lower": None,
              "min_trades": None}


def _raw(root: Path, files: dict[str, Path], mode: str = "per_symbol") -> dict[str, Any]:
    sources = {symbol: str(path) for symbol, path in files.items()}
    return tiny_universe(sources, name="uni", mode=mode, gate=LOOSE_GATE,
                         registry={"root": str(root / "runs")}, retrain={"holdout": 200})


def _files(root: Path, name: str, bars: dict[str, int]) -> dict[str, Path]:
    out = {}
    for seed, (symbol, n) in enumerate(bars.items(), start=1):
        path = root / f"{name}-{SYMBOLS[symbol]}.parquet"
        load(planted(seed)).iloc[:n].to_parquet(path)
        out[symbol] = path
    return out


def _registry(root: Path, symbol: str) -> Registry:
    return Registry(root=root / "runs", model_name=f"tradewind-{SYMBOLS[symbol]}")


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"}
    return subprocess.run([str(TRADEWIND), *args], capture_output=True, text=True, env=env,
                          timeout=600)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("retrain-universe")
    early = _files(root, "early", {"AAA/USD": 900, "BBB/USD": 1000})  # champions differ
    exp = validate_section(Experiment, _raw(root, early), "test")
    first = retrain_universe(exp, out_dir=root / "first", progress=False)
    return {"root": root, "first": first}


def test_a_first_retrain_promotes_each_symbol_in_its_own_registry_model(world) -> None:
    root, first = world["root"], world["first"]
    assert list(first) == list(SYMBOLS)
    ends = {symbol: result.document["challenger"]["trained_until"] for symbol, result in first.items()}
    assert ends["AAA/USD"] != ends["BBB/USD"]
    for symbol, folder in SYMBOLS.items():
        result = first[symbol]
        assert result.promoted and result.champion_version is None, result.decision.reasons
        assert result.document["model_name"] == f"tradewind-{folder}"
        assert _registry(root, symbol).alias_version("champion") == result.challenger_version
        assert result.decision_path == root / "first" / folder / DECISION_FILE
        assert result.run.report.data.symbol == symbol
    summary = json.loads((root / "first" / SUMMARY_FILE).read_text())
    assert {s: v["promoted"] for s, v in summary["symbols"].items()} == {
        "AAA/USD": True, "BBB/USD": True}


def test_the_next_retrain_judges_each_challenger_against_its_own_champion(world) -> None:
    root = world["root"]
    full = _files(root, "full", {"AAA/USD": 1200, "BBB/USD": 1200})
    path = root / "full.yaml"
    path.write_text(yaml.safe_dump(_raw(root, full)))
    done = _script("retrain", str(path), "--out", str(root / "second"), "--format", "json")
    assert done.returncode == 0, done.stderr
    documents = json.loads(done.stdout)
    assert list(documents) == list(SYMBOLS)
    for symbol, folder in SYMBOLS.items():
        doc = documents[symbol]
        assert doc["model_name"] == f"tradewind-{folder}"
        first = world["first"][symbol].document["challenger"]
        assert doc["champion"]["version"] == first["version"]
        assert doc["champion"]["trained_until"] == first["trained_until"]  # its own champion
        assert set(doc["metrics"]["mcc"]["models"]) == {"challenger", "champion"}
        assert doc["split"]["holdout_bars"] == 200
        assert doc["decision_file"] == str(root / "second" / folder / DECISION_FILE)

    for symbol in SYMBOLS:  # each symbol's registered model, by the experiment and the symbol
        listed = _script("models", "list", str(path), "--symbol", symbol, "--format", "json")
        assert listed.returncode == 0, listed.stderr
        rows = {row["version"]: row for row in json.loads(listed.stdout)}
        assert "champion" in rows[world["first"][symbol].challenger_version]["aliases"] or \
            documents[symbol]["promoted"]
        assert documents[symbol]["challenger"]["version"] in rows

    refused = _script("retrain", str(path), "--data", str(full["AAA/USD"]))
    assert refused.returncode == ConfigError.exit_code, refused.stderr
    assert "data.sources" in refused.stderr and "Traceback" not in refused.stderr


def test_a_failing_symbol_is_named_and_the_ones_before_it_stay_decided(world) -> None:
    root = world["root"]
    files = _files(root, "short", {"AAA/USD": 1200, "BBB/USD": 150})
    exp = validate_section(Experiment, _raw(root, files), "test")
    before = len(_registry(root, "AAA/USD").list_versions())
    with pytest.raises(DataError, match=r"retrain BBB/USD: .*already decided and recorded: "
                                        r"AAA/USD"):
        retrain_universe(exp, out_dir=root / "third", progress=False)
    assert len(_registry(root, "AAA/USD").list_versions()) == before + 1
    assert (root / "third" / "AAA-USD" / DECISION_FILE).is_file()
    assert not (root / "third" / SUMMARY_FILE).exists()


def test_a_pooled_universe_and_a_universe_given_to_the_one_series_retrain_are_refused(
    world, tmp_path: Path
) -> None:
    root = world["root"]
    files = {symbol: root / f"early-{folder}.parquet" for symbol, folder in SYMBOLS.items()}
    pooled = validate_section(Experiment, _raw(root, files, mode="pooled"), "test")
    with pytest.raises(ConfigError, match=r"universe\.mode is 'pooled'"):
        retrain_universe(pooled, out_dir=tmp_path, progress=False)
    per_symbol = validate_section(Experiment, _raw(root, files), "test")
    with pytest.raises(ConfigError, match="retrain_universe"):
        retrain_experiment(per_symbol, out_dir=tmp_path, progress=False)
