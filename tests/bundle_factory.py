"""Small untrained bundles for tests: real model, normaliser and temperature, no training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from tradewind import __version__
from tradewind.artifacts.bundle import Bundle, BundleManifest, data_fingerprint
from tradewind.calibration import TemperatureScaler
from tradewind.dataset import Normalizer
from tradewind.features import FeatureSpec, compute, warmup_bars
from tradewind.labels import LabelSpec
from tradewind.models import build, parse_model_spec

TINY_LSTM = {"name": "lstm", "hidden_size": 16, "num_layers": 1, "bidirectional": True,
             "dropout": 0.0}


def make_bundle(candles: pd.DataFrame, *, lookback: int = 16, seed: int = 0,
                trained_until: pd.Timestamp | None = None) -> Bundle:
    """A bundle whose normaliser is fitted on ``candles`` up to ``trained_until``."""
    spec = FeatureSpec(sets=["core15"])
    train = candles if trained_until is None else candles.loc[:trained_until]
    feats = compute(train, spec)
    normalizer = Normalizer(kind="robust", clip=5.0).fit(feats.frame.to_numpy(), feats.names)
    torch.manual_seed(seed)
    model = build(parse_model_spec(TINY_LSTM), len(feats.names), 2, verbose=False).eval()
    rng = np.random.default_rng(seed)
    calibrator = TemperatureScaler().fit(rng.normal(size=(300, 2)) * 3, rng.integers(0, 2, 300))
    manifest = BundleManifest(
        tradewind_version=__version__, name="unit", model=TINY_LSTM,
        features=spec.model_dump(mode="json"),
        labels=LabelSpec(kind="direction", horizon=1).model_dump(mode="json"),
        lookback=lookback, warmup_bars=warmup_bars(spec), classes=["DOWN", "UP"],
        feature_names=feats.names, normalizer=normalizer.to_dict(),
        calibration=calibrator.to_dict(),
        data={"fingerprint": data_fingerprint(train), "timeframe": "1h",
              "first": str(train.index[0]), "last": str(train.index[-1])},
        gate={"passed": True, "checks": []},  # serve/signal/live refuse a refused bundle
    )
    return Bundle(manifest=manifest, model=model, normalizer=normalizer, side_normalizer=None,
                  calibrator=calibrator)
