"""Feature importance out of sample: permutation and integrated gradients find the planted
feature and not the noise, TreeSHAP adds up to LightGBM's margin, and the report shows it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from lightgbm import LGBMClassifier
from torch import nn

from tradewind.config import Experiment, validate_section
from tradewind.dataset import walk_forward
from tradewind.evaluation import (
    ImportanceSpec,
    importance_rows,
    integrated_gradients,
    lagged_features,
    lightgbm_shap,
    permutation_importance,
    summarize_importance,
)
from tradewind.pipeline.folds import run_fold
from tradewind.pipeline.prepare import load_candles, prepare

PLANTED = "synthetic:planted?bars=3000&seed=2&timeframe=1h&edge=1.0"


def _experiment(**changes: Any) -> Experiment:
    raw: dict[str, Any] = {
        "name": "importance-test",
        "seed": 1,
        "data": {"source": PLANTED, "symbol": "SYN/USD"},
        "features": {"sets": ["core15"]},
        "labels": {"kind": "direction", "horizon": 1},
        "lookback": 4,
        "split": {"n_folds": 2, "min_train": 0.5, "val_fraction": 0.2},
        "normalizer": {"kind": "robust"},
        "model": {
            "name": "lstm",
            "hidden_size": 32,
            "num_layers": 1,
            "bidirectional": False,
            "dropout": 0.0,
        },
        "training": {
            "epochs": 8,
            "batch_size": 256,
            "lr": 0.005,
            "early_stopping": {"monitor": "val_loss", "patience": 3},
        },
        "bootstrap": {"n_boot": 100},
        "backtest": {"enabled": False},
        "registry": {"enabled": False},
        "importance": {"max_rows": 300},
    }
    for key, value in changes.items():
        raw[key] = {**raw.get(key, {}), **value} if isinstance(value, dict) else value
    return validate_section(Experiment, raw, "importance test")


def test_importance_rows_are_an_even_deterministic_subsample() -> None:
    rows = np.arange(1000, 3000, dtype=np.int64)
    picked = importance_rows(rows, 500)
    assert len(picked) == 500 and picked[0] == 1000 and picked[-1] == 2999
    assert np.array_equal(picked, importance_rows(rows, 500))
    assert np.all(np.diff(picked) > 0)
    assert np.array_equal(importance_rows(rows[:100], 500), rows[:100])


def test_permutation_drops_only_the_feature_the_model_reads() -> None:
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(400, 5, 3)).astype(np.float32))
    side = torch.from_numpy(rng.normal(size=(400, 2)).astype(np.float32))
    y = (x[:, :, 1].sum(dim=1) + side[:, 0] > 0).numpy().astype(np.int64)

    def predict_proba(xb: torch.Tensor, sb: torch.Tensor | None) -> np.ndarray:
        z = (2.0 * (xb[:, :, 1].sum(dim=1) + sb[:, 0])).numpy()
        p = 1.0 / (1.0 + np.exp(-z))
        return np.stack([1.0 - p, p], axis=1)

    before_x, before_s = x.clone(), side.clone()
    ll, mcc, _, base_mcc = permutation_importance(predict_proba, x, y, side=side, repeats=2)
    assert torch.equal(x, before_x) and torch.equal(side, before_s), "inputs must be restored"
    assert base_mcc == pytest.approx(1.0)
    assert ll.shape == mcc.shape == (5,)  # 3 window features, then 2 side features
    assert ll[1] > 0.5 and mcc[1] > 0.3 and ll[3] > 0.1 and mcc[3] > 0.1
    assert ll[[0, 2, 4]] == pytest.approx(0.0) and mcc[[0, 2, 4]] == pytest.approx(0.0)


class _SideModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(3, 8, batch_first=True)
        self.head = nn.Linear(8 + 2, 3)

    def forward(self, x: torch.Tensor, side: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.head(torch.cat([torch.tanh(out[:, -1]), side], dim=1))


def test_integrated_gradients_add_up_to_the_change_in_output() -> None:
    torch.manual_seed(0)
    model = _SideModel().train()
    x, side = torch.randn(64, 6, 3) * 2, torch.randn(64, 2)
    ax, aside = integrated_gradients(model, x, side=side, steps=32)
    assert model.training, "the model's mode is restored"
    assert ax.shape == x.shape and aside.shape == side.shape
    with torch.no_grad():
        model.eval()
        z, z0 = model(x, side), model(torch.zeros_like(x), torch.zeros_like(side))
    c = z.argmax(dim=1, keepdim=True)
    change = (z - z.mean(1, keepdim=True)).gather(1, c) - (z0 - z0.mean(1, keepdim=True)).gather(
        1, c
    )
    total = ax.sum(dim=(1, 2)) + aside.sum(dim=1)
    assert torch.allclose(total, change.squeeze(1), atol=2e-3)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_treeshap_values_add_up_to_the_raw_margin(n_classes: int) -> None:
    rng = np.random.default_rng(n_classes)
    x = rng.normal(size=(1500, 4))
    score = 1.5 * x[:, 2] + 0.3 * rng.normal(size=1500)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    features = lagged_features(x, (1, 2))
    model = LGBMClassifier(n_estimators=40, num_leaves=7, verbose=-1, random_state=0, n_jobs=1)
    model.fit(features, y)
    contrib = model.booster_.predict(features[:200], pred_contrib=True)
    margin = model.booster_.predict(features[:200], raw_score=True).reshape(200, -1)
    width = features.shape[1] + 1
    sums = contrib.reshape(200, -1, width).sum(axis=2)  # inputs + expected value, per class
    assert np.allclose(sums, margin, atol=1e-6)
    mean_abs = lightgbm_shap(model, features[:200], n_base=4)
    assert mean_abs.shape == (4,) and int(np.argmax(mean_abs)) == 2


@pytest.fixture(scope="module")
def planted_folds():
    """Folds trained on the planted market with three real features and one of pure noise."""
    exp = _experiment()
    prep = prepare(exp, load_candles(exp))
    keep = ["log_returns", "volume_ratio", "atr_norm"]
    cols = [prep.features.names.index(k) for k in keep]
    noise = np.random.default_rng(0).normal(size=len(prep.X))
    frame = prep.features.frame.iloc[:, cols].assign(noise=noise)
    features = dataclasses.replace(prep.features, frame=frame, names=[*keep, "noise"])
    prep = dataclasses.replace(prep, X=frame.to_numpy(dtype=np.float64), features=features)
    splits = walk_forward(len(prep.samples), exp.split, exp.labels.horizon)
    return exp, [run_fold(prep, exp, split, progress=False) for split in splits]


def test_planted_feature_ranks_first_and_noise_does_not(planted_folds) -> None:
    exp, folds = planted_folds
    assert all(f.metrics["mcc"] > 0.05 for f in folds), [f.metrics["mcc"] for f in folds]
    summary = summarize_importance([f.importance for f in folds], exp.importance)
    rows = {r["feature"]: r for r in summary.features}
    assert summary.features[0]["feature"] == "log_returns"
    assert rows["log_returns"]["permutation_rank"] == 1
    assert rows["log_returns"]["gradient_rank"] == 1
    assert rows["noise"]["permutation_rank"] > 1 and rows["noise"]["gradient_rank"] > 1
    assert rows["log_returns"]["permutation_logloss_range"][0] > 0  # every fold agrees
    assert (
        abs(rows["noise"]["permutation_logloss"]) < 0.2 * rows["log_returns"]["permutation_logloss"]
    )
    assert all(len(f.importance.rows) <= exp.importance.max_rows for f in folds)
    assert all(np.isin(f.importance.rows, f.test_rows).all() for f in folds), "out of sample only"


@pytest.fixture(scope="module")
def report_run(tmp_path_factory: pytest.TempPathFactory):
    from tradewind.pipeline.experiment import run_experiment

    out = tmp_path_factory.mktemp("importance_report")
    return run_experiment(_experiment(), out_dir=out, progress=False), out


def test_report_has_the_importance_section_and_chart(report_run) -> None:
    result, out = report_run
    imp = result.report.importance
    assert imp is not None and imp.methods == ["permutation", "gradient", "shap"]
    assert len(imp.features) == 15 and imp.rows == sum(imp.rows_per_fold)
    assert all(n <= 300 for n in imp.rows_per_fold)
    assert "out of sample" in imp.note.lower() and "correlated" in imp.note
    assert all(f.shap is not None and f.shap_rank is not None for f in imp.features)
    ranks = [f.permutation_rank for f in imp.features]
    assert ranks == sorted(ranks) == list(range(1, 16))
    saved = json.loads((out / "report.json").read_text())["importance"]
    assert saved["features"][0]["feature"] == imp.features[0].feature
    html = (out / "report.html").read_text()
    assert '<section id="importance">' in html
    assert 'alt="Feature importance out of sample"' in html
    assert "correlated features are shared" in html


def test_importance_disabled_means_no_section_and_no_cost(tmp_path: Path, monkeypatch) -> None:
    import tradewind.pipeline.folds as folds_module
    from tradewind.pipeline.experiment import run_experiment

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("fold_importance ran although importance is disabled")

    monkeypatch.setattr(folds_module, "fold_importance", refuse)
    exp = _experiment(
        importance={"enabled": False},
        training={"epochs": 2},
        baselines={"include": ["majority", "persistence"]},  # no learned baselines: faster
    )
    result = run_experiment(exp, out_dir=tmp_path, progress=False)
    assert result.report.importance is None
    assert json.loads((tmp_path / "report.json").read_text())["importance"] is None
    assert 'id="importance"' not in (tmp_path / "report.html").read_text()


def test_importance_spec_rejects_unknown_methods() -> None:
    with pytest.raises(ValueError, match="methods"):
        ImportanceSpec(methods=["lime"])
    assert "importance" in Experiment.model_fields
