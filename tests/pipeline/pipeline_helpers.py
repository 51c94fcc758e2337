"""Small, fast experiments shared by the end-to-end tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from tradewind.config import Experiment, validate_section
from tradewind.data import parse_synthetic_source
from tradewind.evaluation import classification_metrics
from tradewind.pipeline.experiment import ExperimentResult


def small_experiment(source: str, **overrides: Any) -> Experiment:
    """A 3-fold LSTM experiment sized to run in seconds on two CPU cores."""
    raw: dict[str, Any] = {
        "name": "test",
        "seed": 3,
        "data": {"source": source, "symbol": "SYN/USD"},
        "features": {"sets": ["core15"]},
        "labels": {"kind": "direction", "horizon": 1},
        "lookback": 4,
        "split": {"n_folds": 3, "min_train": 0.4, "val_fraction": 0.2},
        "normalizer": {"kind": "robust"},
        "model": {"name": "lstm", "hidden_size": 64, "num_layers": 1, "bidirectional": False,
                  "dropout": 0.0},
        "training": {"epochs": 30, "batch_size": 256, "lr": 0.003,
                     "early_stopping": {"monitor": "val_loss", "patience": 8}},
        "bootstrap": {"n_boot": 500},
        "registry": {"enabled": False},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and value.get("name", raw.get(key, {}).get("name")) == raw.get(
            key, {}
        ).get("name"):
            value = {**raw.get(key, {}), **value}  # same section (same model family): merge
        raw[key] = value
    return validate_section(Experiment, raw, "test experiment")


def oracle_mcc(result: ExperimentResult, source: str) -> float:
    """MCC of the generator's exact probabilities on the model's out-of-sample rows."""
    market = parse_synthetic_source(source)
    up = market.oracle_up.reindex(result.index[result.oos.rows]).to_numpy()
    assert np.isfinite(up).all()
    probs = np.stack([1.0 - up, up], axis=1)
    return classification_metrics(result.oos.y, probs, ["DOWN", "UP"]).mcc
