"""The main job tells an edge from an illusion: planted edges pass, random walks and
un-normalised BTC-scale prices are refused, every figure out of sample."""

from __future__ import annotations

import json
from dataclasses import MISSING, fields
from pathlib import Path

import numpy as np
import pytest
from pipeline_helpers import oracle_mcc, small_experiment

from tradewind.data import load
from tradewind.evaluation import GateEvidence, GateSpec, classification_metrics, evaluate_gate
from tradewind.exceptions import ConfigError
from tradewind.pipeline.evidence import gate_evidence
from tradewind.pipeline.experiment import run_experiment
from tradewind.pipeline.rejudge import rejudge
from tradewind.report import SECTION_IDS, load_report

PLANTED = "synthetic:planted?bars=12000&seed=1&timeframe=1h"


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("planted")
    return run_experiment(small_experiment(PLANTED), out_dir=out, progress=False), out


def test_planted_edge_passes_the_gate_near_the_oracle(planted) -> None:
    result, _ = planted
    oos = result.report.oos
    oracle = oracle_mcc(result, PLANTED)
    assert oracle > 0.1  # the generator really planted something
    assert result.gate_passed, result.report.gate.failing
    assert oos.mcc >= 0.8 * oracle, f"model MCC {oos.mcc:.3f} < 80 % of oracle {oracle:.3f}"
    assert oos.mcc_ci[0] > 0
    # persistence is built to miss this edge: the report must show the model beating it
    assert result.report.baselines["persistence"].mcc < 0 < oos.mcc


def test_metrics_are_out_of_sample_and_folds_are_disjoint(planted) -> None:
    result, _ = planted
    rows = result.oos.rows
    assert np.all(np.diff(rows) > 0), "out-of-sample rows must be unique and in time order"
    folds = result.report.folds
    assert sum(f.test_rows for f in folds) == len(rows) == result.report.oos.n_rows
    for fold in folds:
        assert fold.history, "every fold keeps its epoch history"


def test_report_files_have_the_documented_keys_and_every_section(planted) -> None:
    result, out = planted
    report = json.loads((out / "report.json").read_text())
    for key in ("mcc", "mcc_ci", "accuracy", "ece", "brier"):
        assert key in report["oos"], key
    assert {"majority", "persistence", "logistic", "lightgbm"} <= set(report["baselines"])
    assert report["gate"]["passed"] is True and report["gate"]["checks"]
    assert report["bundle"] == str(result.bundle_path)
    assert report["diagnostics"]["values"]["max_abs_logit"] < 20
    backtest = report["backtest"]
    assert backtest["n_trades"] > 0 and backtest["costs"]["fee_bps"] > 0
    assert backtest["sharpe_ci_low"] <= backtest["sharpe"] <= backtest["sharpe_ci_high"]
    assert len(backtest["equity"]["value"]) == len(backtest["equity"]["buy_and_hold"])
    html = (out / "report.html").read_text()
    for section in (*SECTION_IDS, "backtest"):
        assert f'<section id="{section}">' in html, section


def test_the_report_holds_all_the_gate_reads(planted) -> None:
    """Judged again from report.json alone, the run gets the verdict it recorded."""
    _, out = planted
    recorded = json.loads((out / "report.json").read_text())["gate"]
    again = rejudge(out)
    assert again.recorded_passed is True and again.verdict.passed is True
    checks = [c.to_dict() for c in again.verdict.checks]
    assert [c["name"] for c in checks] == [c["name"] for c in recorded["checks"]]
    for mine, theirs in zip(checks, recorded["checks"], strict=True):
        assert mine["passed"] == theirs["passed"] and mine["detail"] == theirs["detail"]
        assert mine["value"] == pytest.approx(theirs["value"]), mine["name"]
    strict = rejudge(out, ["gate.max_ece=0.0001", "gate.min_oos_rows=1000000"])
    assert [c.name for c in strict.verdict.failing()] == ["oos_rows", "ece"]
    with pytest.raises(ConfigError, match="only gate"):
        rejudge(out, ["training.epochs=3"])
    with pytest.raises(ConfigError, match="max_ec"):
        rejudge(out, ["gate.max_ec=0.1"])


def _default(f):  # a field's dataclass default; None for the fields that must be given
    if f.default_factory is not MISSING:
        return f.default_factory()
    return None if f.default is MISSING else f.default


def test_one_builder_fills_every_gate_evidence_field(planted) -> None:
    """A field the builder leaves at its default would be judged "not measured" on re-judging."""
    result, out = planted
    report = load_report(out)
    values = report.diagnostics.values  # the planted run's inputs are clean: flag one
    flagged = {**values, "input_stats": {**values["input_stats"], "ok": False,
                                         "issues": [{"name": "close"}]}}
    report = report.model_copy(update={"diagnostics": report.diagnostics.model_copy(
        update={"values": flagged})})
    evidence = gate_evidence(report)
    for f in fields(GateEvidence):
        value = getattr(evidence, f.name)
        assert value is not None and value != _default(f), f"{f.name} is not filled: {value!r}"
    assert evidence.input_scale_issues == ("close",) and evidence.input_scale_ok is False
    assert evidence.n_trades == result.trading.fitted.stats.n_trades > 0
    # the recorded verdict came from this builder too, on the sections written to report.json
    again = evaluate_gate(GateSpec.model_validate(report.experiment.config["gate"]),
                          gate_evidence(result.report))
    assert [c.to_dict() for c in again.checks] == [c.model_dump() for c in result.report.gate.checks]


def test_a_policy_that_never_traded_is_judged_as_such(planted) -> None:
    _, out = planted
    report = load_report(out)
    never = report.model_copy(update={"backtest": {**report.backtest, "sharpe_ci_low": None,
                                                   "n_trades": 0}})
    checks = {c.name: c for c in evaluate_gate(GateSpec(), gate_evidence(never)).checks}
    assert not checks["sharpe_ci_low"].passed and "never traded" in checks["sharpe_ci_low"].detail
    assert not checks["min_trades"].passed and checks["min_trades"].value == 0
    off = report.model_copy(update={"backtest": None})
    checks = {c.name: c for c in evaluate_gate(GateSpec(), gate_evidence(off)).checks}
    assert "no backtest was run" in checks["sharpe_ci_low"].detail
    assert checks["min_trades"].value is None


def test_bundle_reloads_and_predicts_what_the_run_saw(planted) -> None:
    import tradewind

    result, _ = planted
    bundle = tradewind.load_bundle(result.bundle_path)
    assert bundle.manifest.gate["passed"] is True
    assert bundle.manifest.normalizer["kind"] == "robust"
    assert bundle.manifest.calibration
    probs = bundle.predict_proba(load(PLANTED))
    assert list(probs.columns) == ["DOWN", "UP"]
    seen = probs.reindex(result.index[result.oos.rows]).to_numpy()
    assert np.isfinite(seen).all(), "the bundle predicts every row the run scored"
    assert np.allclose(seen.sum(axis=1), 1.0)
    # the deployed model (refit on these rows) finds the planted edge the run measured
    mcc = classification_metrics(result.oos.y, seen, ["DOWN", "UP"]).mcc
    assert mcc >= 0.8 * oracle_mcc(result, PLANTED) > 0


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_random_walk_is_refused(seed: int, tmp_path: Path) -> None:
    source = f"synthetic:random_walk?bars=6000&seed={seed}&timeframe=1h"
    exp = small_experiment(source, training={"epochs": 12, "early_stopping": {"monitor": "val_loss",
                                                                              "patience": 4}})
    result = run_experiment(exp, out_dir=tmp_path, progress=False)
    assert not result.gate_passed
    failing = {c.name for c in result.report.gate.failing}
    assert failing & {"mcc_ci_low", "beats_majority", "beats_persistence"}, failing


def test_btc_scale_prices_without_normalisation_are_flagged(tmp_path: Path) -> None:
    source = "synthetic:random_walk?bars=4000&seed=4&timeframe=1h&price=79568&volume=250"
    exp = small_experiment(
        source,
        features={"sets": ["raw_ohlcv", "core15"]},
        normalizer={"kind": "none"},
        training={"epochs": 3},
    )
    result = run_experiment(exp, out_dir=tmp_path, progress=False)
    assert not result.gate_passed
    checks = {c.name: c for c in result.report.gate.checks}
    assert not checks["input_scale"].passed
    findings = " ".join(f.message for f in result.report.diagnostics.findings)
    assert "raw_close" in findings and "not normalised" in findings
