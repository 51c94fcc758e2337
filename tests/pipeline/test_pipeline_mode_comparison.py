"""universe.compare_modes: pooled and per-symbol models on the same rows, paired intervals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from sklearn.metrics import matthews_corrcoef

from tradewind.artifacts.universe import load_universe as load_universe_bundle
from tradewind.block_bootstrap import BlockBootstrap
from tradewind.config import Experiment, validate_section
from tradewind.exceptions import SchemaMismatchError
from tradewind.pipeline.experiment import run_experiment
from tradewind.pipeline.folds import FoldResult
from tradewind.pipeline.mode_comparison import compare_modes
from tradewind.pipeline.prepare import Prepared, load_universe, prepare_universe
from tradewind.report import render_html
from tradewind.report.schema import ExperimentReport
from universe_helpers import planted as _src
from universe_helpers import tiny_universe

TRADEWIND = Path(sys.executable).parent / "tradewind"
SYMBOLS = ("AAA/USD", "BBB/USD", "CCC/USD")


def _raw(mode: str = "pooled", compare: bool = True) -> dict[str, Any]:
    sources = dict(zip(SYMBOLS, [_src(1), _src(2, 1000), _src(3, 1100)], strict=True))
    return tiny_universe(sources, name="modes",
                         universe={"mode": mode, "compare_modes": compare})


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Any:
    exp = validate_section(Experiment, _raw("pooled"), "test")
    return run_experiment(exp, out_dir=tmp_path_factory.mktemp("modes") / "run",
                          progress=False, html=False)


def test_both_modes_are_scored_on_the_same_rows_and_the_primary_mode_is_the_reports(
        compared: Any) -> None:
    report = json.loads(compared.report_json.read_text())
    universe = report["universe"]
    comparison = universe["comparison"]
    assert comparison["primary"] == "pooled"
    assert list(comparison["symbols"]) == list(SYMBOLS)
    for name, diff in comparison["symbols"].items():
        own = universe["symbols"][name]["oos"]
        assert diff["n_rows"] == own["n_rows"]
        # the pooled model is the primary one: its figures are the symbol section's, and
        # with the run's seed its interval is the section's interval too
        assert diff["pooled_mcc"] == pytest.approx(own["mcc"])
        assert diff["pooled_mcc_ci"] == pytest.approx(own["mcc_ci"])
        assert diff["difference"] == pytest.approx(diff["pooled_mcc"] - diff["per_symbol_mcc"])
        lo, hi = diff["difference_ci"]
        assert lo <= hi
        assert diff["reading"] == ("pooled better" if lo > 0 else "per_symbol better" if hi < 0
                                   else "cannot be told apart")
    both = comparison["pooled"]
    assert both["n_rows"] == report["oos"]["n_rows"]
    assert both["pooled_mcc"] == pytest.approx(report["oos"]["mcc"])
    assert both["pooled_mcc_ci"] == pytest.approx(report["oos"]["mcc_ci"])  # joint time blocks
    assert "series resampled jointly" in comparison["method"]
    d, (lo, hi) = both["difference"], both["difference_ci"]
    assert f"ΔMCC (pooled − per_symbol) {d:+.3f} [{lo:+.3f}, {hi:+.3f}]" in comparison["answer"]
    assert comparison["answer"].startswith(("Pooling beat", "Per-symbol models beat",
                                            "Pooling and per-symbol models cannot"))
    # the per-symbol models were trained for the comparison only: the bundles are pooled
    assert load_universe_bundle(compared.bundle_path).mode == "pooled"


def test_the_report_html_shows_the_comparison_table(compared: Any) -> None:
    report = ExperimentReport.model_validate_json(compared.report_json.read_text())
    page = render_html(report)
    assert "Pooled vs per-symbol models" in page
    assert "pooled − per_symbol [paired CI]" in page
    assert page.count("<td>all symbols</td>") == 1
    bare = render_html(report.model_copy(update={
        "universe": report.universe.model_copy(update={"comparison": None})}))
    assert "Pooled vs per-symbol models" not in bare


# --- the comparison on given predictions ------------------------------------------------

@pytest.fixture(scope="module")
def prepared() -> tuple[Experiment, Prepared]:
    exp = validate_section(Experiment, _raw("pooled"), "test")
    return exp, prepare_universe(exp, load_universe(exp))


def _folds(prep: Prepared, seed: int, tail: int = 300) -> list[list[FoldResult]]:
    """One fake fold per symbol: its last ``tail`` samples with random probabilities."""
    rng = np.random.default_rng(seed)
    out = []
    for s in range(prep.n_series):
        rows = prep.view(s).samples[-tail:]
        p = rng.uniform(size=len(rows))
        empty = np.empty(0, dtype=np.int64)
        out.append([FoldResult(
            fold=0, train_rows=empty, val_rows=empty, test_rows=rows,
            logits=np.zeros((len(rows), 2)), probs=np.stack([p, 1 - p], axis=1),
            temperature=None, best_epoch=0, history=[], model_input=np.zeros((len(rows), 1)),
            val_probs=np.zeros((0, 2)))])
    return out


def test_a_mode_against_itself_differs_by_exactly_zero(
        prepared: tuple[Experiment, Prepared]) -> None:
    exp, prep = prepared
    folds = _folds(prep, seed=5)
    comparison = compare_modes(exp, prep, folds, folds)
    for diff in [*comparison.symbols.values(), comparison.pooled]:
        assert diff.difference == 0.0
        assert diff.difference_ci == (0.0, 0.0)  # paired: every resample scores both alike
        assert diff.pooled_mcc_ci == diff.per_symbol_mcc_ci
        assert diff.reading == "cannot be told apart"
    assert comparison.answer.startswith("Pooling and per-symbol models cannot be told apart")


def test_the_difference_interval_is_the_paired_one(prepared: tuple[Experiment, Prepared]) -> None:
    """Direct computation: both modes' MCC on each resample of the same rows, differenced."""
    exp, prep = prepared
    pooled, own = _folds(prep, seed=6), _folds(prep, seed=7)
    comparison = compare_modes(exp, prep, pooled, own)
    boot = BlockBootstrap(**exp.bootstrap.model_dump())
    block = boot.block_length(exp.labels.horizon)
    for s, name in enumerate(prep.symbols):
        rows = pooled[s][0].test_rows
        y = prep.view(s).y[rows]
        a, b = pooled[s][0].probs.argmax(axis=1), own[s][0].probs.argmax(axis=1)
        draws = boot.resample_rows(len(rows), block, exp.seed)
        deltas = [matthews_corrcoef(y[i], a[i]) - matthews_corrcoef(y[i], b[i]) for i in draws]
        diff = comparison.symbols[name]
        assert diff.difference == pytest.approx(matthews_corrcoef(y, a) - matthews_corrcoef(y, b))
        assert diff.difference_ci == pytest.approx(boot.interval(np.array(deltas)), abs=1e-6)
        assert diff.share_diff_le_zero == pytest.approx(np.mean(np.array(deltas) <= 1e-12))


def test_modes_on_different_rows_are_refused_by_symbol(
        prepared: tuple[Experiment, Prepared]) -> None:
    exp, prep = prepared
    own = _folds(prep, seed=1, tail=250)
    with pytest.raises(SchemaMismatchError, match=r"BBB/USD's pooled and per_symbol"):
        compare_modes(exp, prep, [own[0], *_folds(prep, seed=1)[1:]], own)


def test_cli_per_symbol_run_compares_with_a_pooled_model(tmp_path: Path) -> None:
    cfg = tmp_path / "modes.yaml"
    raw = _raw("per_symbol", compare=False)
    raw["data"]["sources"] = raw["data"]["sources"][:2]
    cfg.write_text(yaml.safe_dump(raw))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [str(TRADEWIND), "run", str(cfg), "--out", str(tmp_path / "run"), "--no-html",
         "--set", "universe.compare_modes=true"],
        capture_output=True, text=True, env=env, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]  # exit 0 whatever the verdicts
    assert "pooled vs per_symbol" in proc.stderr
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    comparison = report["universe"]["comparison"]
    assert comparison["primary"] == "per_symbol"
    for name, diff in comparison["symbols"].items():  # now the per-symbol models are primary
        assert diff["per_symbol_mcc"] == pytest.approx(report["universe"]["symbols"][name]
                                                       ["oos"]["mcc"])
