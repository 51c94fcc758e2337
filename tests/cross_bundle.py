"""A small untrained bundle with cross-asset features (reference ``btc``), for the tests of
every path that predicts with reference candles: Python, `signal`/`backtest`, serve, live."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from bundle_factory import TINY_LSTM
from tradewind import __version__
from tradewind.artifacts.bundle import Bundle, BundleManifest
from tradewind.calibration import TemperatureScaler
from tradewind.data import synthetic_market
from tradewind.dataset import Normalizer
from tradewind.features import FeatureSpec, compute, warmup_bars
from tradewind.labels import LabelSpec
from tradewind.models import build, parse_model_spec

SOURCE = "synthetic:random_walk?bars=700&seed=2&start=2019-12-29"
SPEC = FeatureSpec.model_validate({
    "sets": ["core15"],
    "cross": [{"source": SOURCE, "name": "btc", "returns": [1, 3], "features": ["rsi"],
               "correlation": [12]}],
})


def cross_candles() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(instrument, reference): 1h bars; the reference opens three days earlier."""
    inst = synthetic_market("random_walk", bars=400, seed=1, start="2020-01-01").candles
    ref = synthetic_market("random_walk", bars=700, seed=2, start="2019-12-29").candles
    return inst, ref


def cross_bundle(inst: pd.DataFrame, ref: pd.DataFrame) -> Bundle:
    """Random weights; normaliser fitted on the features of ``inst`` with ``ref`` as btc."""
    feats = compute(inst, SPEC, references={"btc": ref})
    normalizer = Normalizer(kind="robust", clip=5.0).fit(feats.frame.to_numpy(), feats.names)
    torch.manual_seed(0)
    model = build(parse_model_spec(TINY_LSTM), len(feats.names), 2, verbose=False).eval()
    rng = np.random.default_rng(0)
    calibrator = TemperatureScaler().fit(rng.normal(size=(300, 2)) * 3, rng.integers(0, 2, 300))
    manifest = BundleManifest(
        tradewind_version=__version__, name="cross", model=TINY_LSTM,
        features=SPEC.model_dump(mode="json"),
        labels=LabelSpec(kind="direction", horizon=1).model_dump(mode="json"),
        lookback=8, warmup_bars=warmup_bars(SPEC), classes=["DOWN", "UP"],
        feature_names=feats.names, normalizer=normalizer.to_dict(),
        calibration=calibrator.to_dict(), data={"timeframe": "1h"},
        gate={"passed": True, "checks": []},
    )
    return Bundle(manifest=manifest, model=model, normalizer=normalizer, side_normalizer=None,
                  calibrator=calibrator)
