"""Cheap, untrained bundles (random-weight LSTM + fitted normaliser + temperature).

Shared by tests/signals and tests/live (loaded by path from their conftest files).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from tradewind import __version__
from tradewind.artifacts.bundle import Bundle, BundleManifest, data_fingerprint
from tradewind.calibration import TemperatureScaler
from tradewind.data import load
from tradewind.dataset import Normalizer
from tradewind.features import FeatureSpec, compute, warmup_bars
from tradewind.labels import LabelSpec
from tradewind.models import build, parse_model_spec

LOOKBACK = 12
MODEL = {"name": "lstm", "hidden_size": 8, "num_layers": 1, "bidirectional": False, "dropout": 0.0}


def build_bundle(candles: pd.DataFrame, *, seed: int = 0, kind: str = "direction",
                 name: str = "unit") -> Bundle:
    """A bundle whose probabilities vary by bar, built without training."""
    classes = ["DOWN", "UP"] if kind == "direction" else ["SELL", "HOLD", "BUY"]
    spec = FeatureSpec(sets=["core15"])
    feats = compute(candles, spec)
    normalizer = Normalizer(kind="robust", clip=5.0).fit(feats.frame.to_numpy(), feats.names)
    torch.manual_seed(seed)
    model = build(parse_model_spec(MODEL), len(feats.names), len(classes), verbose=False).eval()
    calibrator = TemperatureScaler.from_dict(
        {"method": "temperature", "temperature": 1.0, "n_classes": len(classes)}
    )
    manifest = BundleManifest(
        tradewind_version=__version__, name=name, model=MODEL,
        features=spec.model_dump(mode="json"),
        labels=LabelSpec(kind=kind, horizon=1).model_dump(mode="json"),
        lookback=LOOKBACK, warmup_bars=warmup_bars(spec), classes=classes,
        feature_names=feats.names, normalizer=normalizer.to_dict(),
        calibration=calibrator.to_dict(),
        data={"fingerprint": data_fingerprint(candles), "timeframe": "1h"},
        gate={"passed": True, "checks": []},  # serve/signal/live refuse a refused bundle
    )
    bundle = Bundle(manifest=manifest, model=model, normalizer=normalizer, side_normalizer=None,
                    calibrator=calibrator)
    # Random weights give near-equal logits; a temperature matched to their spread makes
    # the probabilities (and so the directions) vary from bar to bar.
    # Centre the output layer's bias first so that no class wins every bar.
    logits = bundle.predict_logits(feats)
    head = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        head.bias -= torch.from_numpy(logits.mean(axis=0)).to(head.bias.dtype)
    logits = bundle.predict_logits(feats)
    spread = float(np.std(logits - logits.mean(axis=1, keepdims=True)))
    calibrator.temperature_ = max(spread, 1e-6) / 1.5
    bundle.manifest.calibration = calibrator.to_dict()
    return bundle


def market_fixtures(bars: int) -> tuple[Any, Any, Any]:
    """Session fixtures ``candles`` (a planted synthetic market of ``bars`` hourly bars),
    ``make_bundle`` (seed, kind, name → an untrained bundle on it) and ``bundle``.

    A conftest binds them by name: ``candles, make_bundle, bundle = market_fixtures(260)``.
    """

    @pytest.fixture(scope="session")
    def candles() -> pd.DataFrame:
        return load(f"synthetic:planted?bars={bars}&seed=3&timeframe=1h")

    @pytest.fixture(scope="session")
    def make_bundle(candles: pd.DataFrame) -> Callable[..., Bundle]:
        def make(seed: int = 0, kind: str = "direction", name: str = "unit") -> Bundle:
            return build_bundle(candles, seed=seed, kind=kind, name=name)

        return make

    @pytest.fixture(scope="session")
    def bundle(make_bundle: Callable[..., Bundle]) -> Bundle:
        return make_bundle()

    return candles, make_bundle, bundle
