"""A run whose features include a higher timeframe bundles, with that timeframe's warm-up."""

from __future__ import annotations

from pathlib import Path

from pipeline_helpers import small_experiment

from tradewind.artifacts.bundle import load_bundle
from tradewind.features import warmup_bars
from tradewind.pipeline.experiment import run_experiment


def test_a_run_with_higher_timeframe_features_writes_a_bundle(tmp_path: Path) -> None:
    exp = small_experiment(
        "synthetic:planted?bars=1500&seed=4&timeframe=1h",
        features={"sets": ["core15"], "higher_timeframes": [{"timeframe": "4h"}]},
        training={"epochs": 1}, backtest={"enabled": False}, gate={"min_sharpe_lower": None},
        importance={"enabled": False})
    run_experiment(exp, out_dir=tmp_path / "out", progress=False, html=False)
    bundle = load_bundle(tmp_path / "out" / "bundle")
    assert any(name.startswith("htf_4h_") for name in bundle.manifest.feature_names)
    assert bundle.manifest.warmup_bars == warmup_bars(exp.features, "1h")
    assert bundle.manifest.warmup_bars > warmup_bars(exp.features.model_copy(
        update={"higher_timeframes": []}))
