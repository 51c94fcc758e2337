"""Champion/challenger retraining end to end against one real MLflow SQLite registry.

Two planted markets share their first 3,300 bars (same seed, same shocks): in ``EDGE_OFF``
the planted edge is gone after them, in ``PERSISTS`` it goes on. One registry lives through
the whole module, in this order:

1. first retrain, on the early bars (edge on): no champion, the gate passes → promoted;
2. on ``EDGE_OFF`` with a window after the switch: the challenger's gate refuses it, the
   champion (trained while the edge existed) stays, and the registry records why;
3. on ``PERSISTS``: a challenger that passes and is not shown worse → promoted;
4. a crippled challenger (one epoch at a tiny learning rate, gate switched off) is shown
   worse than that champion on the holdout → refused although its gate passed;
5. a holdout reaching into the champion's training data → refused before any training;
6. ``tradewind retrain --dry-run`` through the installed script: judged, alias unmoved.

The gate is the default one with ``max_ece`` 0.08 and no learned-baseline check: a
few-thousand-bar market is too small for the default ECE bound to be stable.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from tradewind.artifacts import Registry
from tradewind.cli import app
from tradewind.cli.exits import run_app
from tradewind.config import Experiment, validate_section
from tradewind.data import synthetic_market
from tradewind.exceptions import LeakageError
from tradewind.retrain import DECISION_FILE, retrain_experiment

BARS = 6000
EDGE_UNTIL = 0.55  # the edge of EDGE_OFF ends at bar 3,300


def _market(edge_until: float) -> pd.DataFrame:
    return synthetic_market("planted", bars=BARS, seed=5, edge=1.0,
                            edge_until=edge_until).candles


def _config(root: Path) -> dict[str, Any]:
    return {
        "name": "retrain-test",
        "seed": 3,
        "data": {"source": str(root / "early.parquet"), "symbol": "SYN/USD"},
        "features": {"sets": ["core15"]},
        "labels": {"kind": "direction", "horizon": 1},
        "lookback": 4,
        "split": {"n_folds": 2, "min_train": 0.5, "val_fraction": 0.2},
        "normalizer": {"kind": "robust"},
        "model": {"name": "lstm", "hidden_size": 16, "num_layers": 1, "bidirectional": False,
                  "dropout": 0.0},
        "training": {"epochs": 15, "batch_size": 128, "lr": 0.005,
                     "early_stopping": {"monitor": "val_loss", "patience": 5}},
        "baselines": {"include": ["majority", "persistence"]},
        "bootstrap": {"n_boot": 200},
        "gate": {"max_ece": 0.08, "not_worse_than_learned": False},
        "backtest": {"fee_bps": 1.0, "slippage_bps": 1.0},
        "importance": {"enabled": False},
        "registry": {"root": str(root / "runs")},
        "retrain": {"holdout": 600},
    }


def _experiment(root: Path, **sections: Any) -> Experiment:
    raw = _config(root)
    for key, value in sections.items():
        raw[key] = {**raw[key], **value} if isinstance(value, dict) else value
    return validate_section(Experiment, raw, "retrain test")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("retrain")
    off, persists = _market(EDGE_UNTIL), _market(1.0)
    off.iloc[:2000].to_parquet(root / "early.parquet")
    off.to_parquet(root / "edge_off.parquet")
    persists.iloc[:3600].to_parquet(root / "persists.parquet")
    registry = Registry(root=root / "runs", model_name="tradewind")
    exp = _experiment(root)
    first = retrain_experiment(exp, out_dir=root / "first", progress=False)
    champion_after_first = registry.alias_version("champion")
    edge_off = retrain_experiment(
        _experiment(root, retrain={"window": "60d"}), data=str(root / "edge_off.parquet"),
        out_dir=root / "edge_off", progress=False)
    champion_after_edge_off = registry.alias_version("champion")
    persisting = retrain_experiment(exp, data=str(root / "persists.parquet"),
                                    out_dir=root / "persists", progress=False)
    return {"root": root, "registry": registry, "first": first, "edge_off": edge_off,
            "persists": persisting, "champion_after_first": champion_after_first,
            "champion_after_edge_off": champion_after_edge_off}


def _tags(registry: Registry, version: str) -> dict[str, str]:
    return registry.client.get_model_version(registry.model_name, version).tags


def test_a_first_retrain_without_champion_promotes_a_challenger_that_passes(world) -> None:
    first, registry = world["first"], world["registry"]
    assert first.champion_version is None and first.gate_passed, first.gate_failing
    assert first.decision.decision == "promote" and first.promoted
    assert world["champion_after_first"] == first.challenger_version == "1"
    tags = _tags(registry, "1")
    assert tags["retrain.decision"] == "promote" and tags["retrain.champion_version"] == "none"
    assert "first champion" in tags["retrain.reason"] and tags["promoted_by"]
    assert "retrain.mcc_diff" not in tags and json.loads(tags["retrain.mcc_challenger_ci"])
    # the challenger never saw the holdout: its bundle ends before it, after the purge
    split = first.split
    assert first.document["challenger"]["trained_until"] == split.train_end.isoformat()
    assert split.holdout_start - split.train_end == pd.Timedelta(hours=2)


def test_b_where_the_edge_persists_a_passing_challenger_replaces_the_champion(world) -> None:
    result, registry = world["persists"], world["registry"]
    assert result.champion_version == world["champion_after_edge_off"] == "1"
    assert result.gate_passed, result.gate_failing
    assert result.decision.decision == "promote" and result.promoted, result.decision.reasons
    assert registry.alias_version("champion") == result.challenger_version != "1"
    tags = _tags(registry, result.challenger_version)
    assert tags["retrain.decision"] == "promote" and tags["retrain.champion_version"] == "1"
    lower, upper = json.loads(tags["retrain.mcc_diff_ci"])
    assert upper >= 0 and lower <= float(tags["retrain.mcc_diff"]) <= upper
    assert json.loads(tags["retrain.return_diff_ci"])[1] >= 0
    assert tags["retrain.holdout_bars"] == "600"
    for metric in ("mcc", "return"):
        comparison = result.comparisons[metric]
        assert set(comparison.models) == {"challenger", "champion"}
        assert comparison.models["challenger"].point > 0  # the edge is still there to find


def test_c_after_the_edge_is_gone_the_champion_stays_and_the_reason_is_recorded(world) -> None:
    result, registry = world["edge_off"], world["registry"]
    split = result.split
    edge_end = _market(EDGE_UNTIL).index[int(EDGE_UNTIL * BARS)]
    assert split.train_start > edge_end  # the challenger only saw the market without an edge
    assert result.champion_version == "1"
    assert not result.gate_passed and result.gate_failing
    assert result.decision.decision == "reject" and not result.promoted
    assert world["champion_after_edge_off"] == "1"
    tags = _tags(registry, result.challenger_version)
    assert tags["retrain.decision"] == "reject" and tags["retrain.promoted"] == "false"
    assert "gate refused it" in tags["retrain.reason"] and "Champion version 1 stays" in tags["retrain.reason"]
    # the champion, trained while the edge existed, shows no edge on the holdout either
    assert result.comparisons["mcc"].models["champion"].lower < 0.05
    document = json.loads((world["root"] / "edge_off" / DECISION_FILE).read_text())
    assert document["decision"] == "reject" and document["champion"]["version"] == "1"
    assert document["gate"]["failing"] == result.gate_failing
    run_id = document["challenger"]["run_id"]
    stored = [a.path for a in registry.client.list_artifacts(run_id, "retrain")]
    assert stored == [f"retrain/{DECISION_FILE}"]


def test_c_a_challenger_shown_worse_is_refused_although_its_gate_passed(
    world, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Through the command (in-process, ``--format json``): the document is the output."""
    root, registry = world["root"], world["registry"]
    champion = registry.alias_version("champion")
    config = root / "crippled.yaml"
    config.write_text(yaml.safe_dump(_config(root)))
    open_gate = ["gate.min_mcc_lower=-1.0", "gate.beat_baselines=[]", "gate.max_ece=null",
                 "gate.max_overconfident_share=null", "gate.max_abs_logit=null",
                 "gate.class_share_ratio=null", "gate.min_oos_rows=1",
                 "gate.min_sharpe_lower=null", "gate.min_trades=null"]
    crippled = ["training.epochs=1", "training.lr=1e-7", "training.early_stopping.patience=2"]
    argv = ["retrain", str(config), "--data", str(root / "persists.parquet"), "--out",
            str(root / "crippled"), "--format", "json",
            *(arg for pair in open_gate + crippled for arg in ("--set", pair))]
    capsys.readouterr()
    assert run_app(app, argv) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["gate"]["passed"] and document["champion"]["version"] == champion
    assert document["decision"] == "reject" and document["promoted"] is False
    assert registry.alias_version("champion") == champion
    assert document["metrics"]["mcc"]["difference"]["upper"] < 0
    assert document["decision_file"] == str(root / "crippled" / DECISION_FILE)
    reasons = " ".join(document["reasons"])
    assert "On MCC the challenger is shown worse than the champion" in reasons
    assert f"Champion version {champion} stays" in reasons and "shown worse on MCC" in reasons
    assert _tags(registry, document["challenger"]["version"])["retrain.decision"] == "reject"


def test_e_a_champion_trained_on_the_holdout_is_refused_naming_both_times(world) -> None:
    root, registry = world["root"], world["registry"]
    before = len(registry.list_versions())
    champion = registry.alias_version("champion")
    exp = _experiment(root, retrain={"holdout": 1000})
    with pytest.raises(LeakageError) as err:
        retrain_experiment(exp, data=str(root / "persists.parquet"), out_dir=root / "overlap",
                           progress=False)
    message = str(err.value)
    trained_until = world["persists"].split.train_end
    holdout_start = _market(1.0).index[2600]
    assert f"champion version {champion} trained on bars up to {trained_until}" in message
    assert f"holdout starts at {holdout_start}" in message and "shorter retrain.holdout" in message
    assert len(registry.list_versions()) == before  # nothing was trained or registered


def test_d_f_dry_run_through_the_installed_script_never_moves_the_alias(world) -> None:
    root, registry = world["root"], world["registry"]
    champion = registry.alias_version("champion")
    config = root / "exp.yaml"
    config.write_text(yaml.safe_dump(_config(root)))
    script = Path(sys.executable).parent / "tradewind"
    out = root / "dry"
    proc = subprocess.run(
        [str(script), "retrain", str(config), "--data", str(root / "persists.parquet"),
         "--dry-run", "--out", str(out), "--registry-root", str(root / "runs"), "--quiet"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert registry.alias_version("champion") == champion
    document = json.loads((out / DECISION_FILE).read_text())
    assert document["dry_run"] is True and document["promoted"] is False
    # the same experiment on the same data retrains the champion's twin: it would be promoted
    assert document["decision"] == "promote", document["reasons"]
    table = proc.stdout
    for text in ("challenger − champion", "MCC 95% CI", "return/bar", "decision: PROMOTE",
                 "champion alias not moved (dry run)", "gate: PASSED"):
        assert text in table, table
    tags = _tags(registry, document["challenger"]["version"])
    assert tags["retrain.dry_run"] == "true" and tags["retrain.promoted"] == "false"
    assert "promoted_by" not in tags
