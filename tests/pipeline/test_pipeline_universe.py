"""Experiments over several series end to end: pooled and per_symbol, per-symbol verdicts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from tradewind.artifacts import ENV_TRACKING_URI
from tradewind.artifacts.bundle import load_bundle
from tradewind.artifacts.universe import load_universe
from tradewind.config import Experiment, validate_section
from tradewind.evaluation import classification_metrics
from tradewind.exceptions import BundleError
from tradewind.pipeline.experiment import run_experiment
from universe_helpers import planted as _src
from universe_helpers import tiny_universe

TRADEWIND = Path(sys.executable).parent / "tradewind"


def _raw(**extra: Any) -> dict[str, Any]:
    return tiny_universe(None, **extra)


def _exp(sources: list[tuple[str, str]], mode: str, **extra: Any) -> Experiment:
    raw = _raw(data={"sources": [{"source": s, "symbol": n} for n, s in sources]},
               universe={"mode": mode}, **extra)
    return validate_section(Experiment, raw, "test")


@pytest.fixture(scope="module")
def pooled(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("pooled") / "run"
    exp = _exp([("AAA/USD", _src(1)), ("BBB/USD", _src(2, 1000)), ("CCC/USD", _src(3, 1100))],
               "pooled", importance={"enabled": True, "methods": ["permutation"]})
    return run_experiment(exp, out_dir=out, progress=False, html=False)


def test_a_pooled_run_judges_every_symbol_and_all_of_them(pooled: Any) -> None:
    report = json.loads(pooled.report_json.read_text())
    universe = report["universe"]
    assert universe["mode"] == "pooled"
    assert list(universe["symbols"]) == ["AAA/USD", "BBB/USD", "CCC/USD"]
    rows = 0
    for name, section in universe["symbols"].items():
        assert section["data"]["symbol"] == name
        assert isinstance(section["gate"]["passed"], bool) and section["gate"]["checks"]
        lo, hi = section["oos"]["mcc_ci"]
        assert lo <= section["oos"]["mcc"] <= hi
        # the symbol's own section is measured on its own rows (predictions.parquet)
        frame = pd.read_parquet(pooled.report_json.parent / "symbols" /
                                name.replace("/", "-") / "predictions.parquet")
        y = frame["label"].map({"DOWN": 0, "UP": 1}).to_numpy()
        probs = frame[["p_DOWN", "p_UP"]].to_numpy()
        assert classification_metrics(y, probs, ["DOWN", "UP"]).mcc == pytest.approx(
            section["oos"]["mcc"])
        assert len(frame) == section["oos"]["n_rows"]
        rows += section["oos"]["n_rows"]
    assert report["oos"]["n_rows"] == rows  # pooled = every symbol's rows
    assert "series resampled jointly" in report["oos"]["ci_method"]
    assert set(universe["passed"]) <= set(universe["symbols"])
    assert universe["headline"].startswith(f"{len(universe['passed'])} of 3 symbols")
    assert report["data"]["symbol"] == "AAA/USD, BBB/USD, CCC/USD"
    # the pooled model's importance is measured on all rows; no symbol has a model of its own
    assert report["importance"]["features"]
    assert all(s["importance"] is None for s in universe["symbols"].values())
    portfolio = report["backtest"]  # the pooled gate reads the equal-risk portfolio
    assert portfolio["kind"] == "portfolio"
    assert sum(portfolio["weights"].values()) == pytest.approx(1.0)
    assert portfolio["n_trades"] == sum(s["backtest"]["n_trades"]
                                        for s in universe["symbols"].values())
    assert {"sharpe_ci_low", "min_trades"} <= {c["name"] for c in report["gate"]["checks"]}


def test_a_pooled_run_bundles_one_model_with_each_symbols_normaliser(pooled: Any) -> None:
    bundles = {n: load_bundle(pooled.bundle_path / n) for n in ("AAA-USD", "BBB-USD", "CCC-USD")}
    weights = {n: [p.detach().numpy().copy() for p in b.model.parameters()]
               for n, b in bundles.items()}
    for name in ("BBB-USD", "CCC-USD"):
        for a, b in zip(weights["AAA-USD"], weights[name], strict=True):
            np.testing.assert_array_equal(a, b)  # one pooled model
        assert not np.allclose(bundles[name].normalizer.center_,
                               bundles["AAA-USD"].normalizer.center_)
    for name, bundle in bundles.items():
        assert bundle.manifest.data["symbol"] == name.replace("-", "/")
        assert bundle.manifest.training["pooled_symbols"] == ["AAA/USD", "BBB/USD", "CCC/USD"]


def test_the_universe_index_serves_each_symbol_its_own_bundle(pooled: Any) -> None:
    universe = load_universe(pooled.bundle_path)
    assert universe.mode == "pooled" and universe.timeframe == "1h"
    assert universe.symbols == ["AAA/USD", "BBB/USD", "CCC/USD"]
    for name in universe.symbols:
        bundle = universe.bundle(name)
        assert bundle.manifest.data["symbol"] == name
        assert bundle.path == pooled.bundle_path / name.replace("/", "-")
    with pytest.raises(BundleError, match=r"trained on AAA/USD, BBB/USD, CCC/USD, not 'DDD/USD'"):
        universe.bundle("DDD/USD")


def test_a_universe_index_naming_another_symbols_bundle_is_refused(pooled: Any,
                                                                   tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "bundle"
    shutil.copytree(pooled.bundle_path, copy)
    index = json.loads((copy / "universe.json").read_text())
    index["symbols"]["AAA/USD"] = "BBB-USD"
    (copy / "universe.json").write_text(json.dumps(index))
    with pytest.raises(BundleError, match=r"names it 'AAA/USD' but the bundle was trained on "
                                          r"'BBB/USD'"):
        load_universe(copy)
    index["symbols"]["AAA/USD"] = "../../elsewhere"
    (copy / "universe.json").write_text(json.dumps(index))
    with pytest.raises(BundleError, match="not inside the universe bundle"):
        load_universe(copy)


def test_a_per_symbol_model_is_the_run_of_that_symbol_alone(tmp_path: Path) -> None:
    """Same calendar (same bars), same seed: a per_symbol run's AAA section is a run on AAA."""
    exp = _exp([("AAA/USD", _src(1)), ("BBB/USD", _src(2))], "per_symbol")
    many = run_experiment(exp, out_dir=tmp_path / "many", progress=False, html=False)
    alone_exp = validate_section(
        Experiment, _raw(data={"source": _src(1), "symbol": "AAA/USD"}), "test")
    alone = run_experiment(alone_exp, out_dir=tmp_path / "alone", progress=False, html=False)
    section = many.report.universe.symbols["AAA/USD"]
    assert section.oos.mcc == alone.report.oos.mcc
    assert section.oos.mcc_ci == alone.report.oos.mcc_ci
    assert section.gate == alone.report.gate
    np.testing.assert_array_equal(many.symbols["AAA/USD"].oos.probs, alone.oos.probs)
    assert section.baselines == alone.report.baselines
    assert section.backtest == alone.report.backtest
    a, b = load_bundle(many.bundle_path / "AAA-USD"), load_bundle(alone.bundle_path)
    for p, q in zip(a.model.parameters(), b.model.parameters(), strict=True):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    assert many.report.universe.mode == "per_symbol"
    assert [f.history != [] for f in section.folds] == [True, True]


def test_a_symbol_too_short_for_the_calendar_is_refused_by_name(tmp_path: Path) -> None:
    exp = _exp([("LONG/USD", _src(1, 1500)), ("SHORT/USD", _src(2, 300))], "pooled")
    from tradewind.exceptions import ConfigError

    with pytest.raises(ConfigError, match="symbol 'SHORT/USD' has no"):
        run_experiment(exp, out_dir=tmp_path / "out", progress=False, html=False)
    assert not (tmp_path / "out" / "report.json").exists()


def test_the_run_command_takes_data_twice(tmp_path: Path) -> None:
    raw = _raw(universe={"mode": "per_symbol"})
    raw["registry"] = {"root": str(tmp_path / "runs")}
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump(raw))
    env = {k: v for k, v in os.environ.items() if k != ENV_TRACKING_URI}
    env.update(OMP_NUM_THREADS="1", COLUMNS="200")
    done = subprocess.run(
        [str(TRADEWIND), "run", "exp.yaml", "--data", _src(4), "--data", _src(5, 1000),
         "--out", "out", "--quiet", "--no-html"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "Per symbol (per_symbol)" in done.stdout and "symbols pass their own gate" in done.stdout
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert list(report["universe"]["symbols"]) == [_src(4), _src(5, 1000)]
    for name, section in report["universe"]["symbols"].items():  # one model per symbol
        assert section["registry"]["model_name"] == "tradewind-" + name.replace(
            ":", "-").replace("?", "-").replace("=", "-").replace("&", "-")
        assert section["registry"]["version"] == "1"
    gate = subprocess.run([str(TRADEWIND), "gate", "out", "--format", "json"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert gate.returncode == 0, gate.stderr
    judged = json.loads(gate.stdout)
    assert {k: v["passed"] for k, v in judged["symbols"].items()} == {
        k: v["gate"]["passed"] for k, v in report["universe"]["symbols"].items()}
    twice = subprocess.run(
        [str(TRADEWIND), "run", "exp.yaml", "--data", _src(4), "--data", _src(4),
         "--out", "again", "--quiet", "--no-html"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
    )
    assert twice.returncode == 2 and "is listed twice" in twice.stderr
    assert "Traceback" not in twice.stderr


def test_report_html_has_a_per_symbol_table(pooled: Any) -> None:
    from tradewind.report.sections import render_html

    page = render_html(pooled.report)
    table = page[page.index('id="universe"'):page.index('id="baselines"')]
    for name, section in pooled.report.universe.symbols.items():
        assert name in table
        assert f"{section.oos.n_rows:,}" in table
    assert ("REFUSED" in table) == (len(pooled.report.universe.passed) < 3)


def test_rejudging_a_universe_judges_every_symbol_again(pooled: Any) -> None:
    from tradewind.pipeline.rejudge import rejudge

    same = rejudge(pooled.report_json)
    recorded = pooled.report.universe.symbols
    assert list(same.symbols) == list(recorded)
    for name, verdict in same.symbols.items():
        assert verdict.passed == recorded[name].gate.passed
        assert [c.name for c in verdict.checks] == [c.name for c in recorded[name].gate.checks]
    stricter = rejudge(pooled.report_json, ["gate.min_oos_rows=100000"])
    assert not any(v.passed for v in stricter.symbols.values())
    assert all(not c.passed for v in stricter.symbols.values() for c in v.checks
               if c.name == "oos_rows")


def test_symbols_sharing_a_bundle_folder_are_refused(tmp_path: Path) -> None:
    from tradewind.exceptions import ConfigError

    exp = _exp([("BTC/USD", _src(1)), ("BTC-USD", _src(2))], "pooled")
    with pytest.raises(ConfigError, match="'BTC/USD' and 'BTC-USD' would share"):
        run_experiment(exp, out_dir=tmp_path / "out", progress=False, html=False)
