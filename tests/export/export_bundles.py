"""Bundles for export tests: random-weight models with fitted normalisers, no training."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
import torch

from tradewind import __version__
from tradewind.artifacts.bundle import BundleManifest, data_fingerprint, save_bundle
from tradewind.calibration import calibrator_from_dict
from tradewind.data import load
from tradewind.dataset import Normalizer
from tradewind.features import FeatureSpec, compute, warmup_bars
from tradewind.labels import LabelSpec
from tradewind.models import build, parse_model_spec

LOOKBACK = 24
REAL_FILE = "bittrex_ETH-BTC_5m.parquet"

# One row per family; each varies the normaliser, calibration, classes, side input or TTA
# so that every path of the wrapper is exported by some family.
FAMILY_CASES: dict[str, dict[str, Any]] = {
    "lstm": {"model": {"name": "lstm", "hidden_size": 12, "num_layers": 2},
             "norm": ("standard", 5.0), "calibration": "temperature", "classes": 2},
    "gru": {"model": {"name": "gru", "hidden_size": 12, "num_layers": 2},
            "norm": ("robust", 3.0), "calibration": "vector", "classes": 3, "side": True},
    "bilstm_attention": {"model": {"name": "bilstm_attention", "hidden_size": 8, "num_layers": 1,
                                   "n_heads": 4, "multitask": True},
                         "norm": ("standard", None), "calibration": "temperature", "classes": 3},
    "transformer_lite": {"model": {"name": "transformer_lite", "d_model": 16, "n_heads": 2,
                                   "n_layers": 2, "dim_feedforward": 32, "pooling": "cls"},
                         "norm": ("none", 5.0), "calibration": "none", "classes": 2},
    "fnn": {"model": {"name": "fnn", "hidden": [32, 16]}, "norm": ("standard", 5.0),
            "calibration": "temperature", "classes": 2, "tta": ["identity", "smooth", "zscore"]},
    "xlstm": {"model": {"name": "xlstm", "blocks": "ms", "hidden_size": 16, "n_heads": 2},
              "norm": ("standard", 4.0), "calibration": "vector", "classes": 3, "side": True},
    "tcn": {"model": {"name": "tcn", "channels": [8, 8, 8], "kernel_size": 3},
            "norm": ("robust", 5.0), "calibration": "temperature", "classes": 2},
}


def synthetic_candles() -> pd.DataFrame:
    return load("synthetic:planted?bars=3000&seed=1")


def real_candles() -> pd.DataFrame:
    """ETH/BTC 5m real candles, or skip when the shared data folder is absent."""
    path = Path(__file__).resolve().parents[2].parent / "shared" / "data" / REAL_FILE
    if not path.is_file():
        pytest.skip(f"{path.parent} not present: real-candle test skipped")
    return pd.read_parquet(path).set_index("timestamp").astype("float64")


def _calibration(method: str, n_classes: int) -> dict[str, Any]:
    if method == "temperature":
        return {"method": "temperature", "temperature": 0.37, "n_classes": n_classes}
    if method == "vector":
        weights = np.linspace(0.6, 2.1, n_classes)
        bias = np.linspace(-0.3, 0.5, n_classes)
        state = {"method": "vector", "weights": weights.tolist(),
                 "bias": (bias - bias.mean()).tolist(), "n_classes": n_classes}
        return calibrator_from_dict(state).to_dict()
    return {"method": "none", "n_classes": n_classes}


def make_bundle(path: Path, family: str, candles: pd.DataFrame, seed: int = 7) -> Path:
    """Save a bundle of ``family`` (see FAMILY_CASES) with normalisers fitted on ``candles``."""
    case = FAMILY_CASES[family]
    spec = FeatureSpec(sets=["core15"], side_sets=["strategy"] if case.get("side") else [])
    feats = compute(candles, spec)
    n_fit = int(len(feats.frame) * 0.7)
    kind, clip = case["norm"]
    norm = Normalizer(kind, clip).fit(feats.frame.to_numpy()[:n_fit], feats.names)
    side_norm = None
    if feats.side is not None:
        side_norm = Normalizer("standard", 5.0).fit(feats.side.to_numpy()[:n_fit], feats.side_names)
    n_classes = case["classes"]
    classes = ["DOWN", "UP"] if n_classes == 2 else ["SELL", "HOLD", "BUY"]
    labels = LabelSpec(kind="direction") if n_classes == 2 else LabelSpec(kind="ternary",
                                                                           threshold=0.002)
    torch.manual_seed(seed)
    model = build(parse_model_spec(case["model"]), len(feats.names), n_classes,
                  side_dim=len(feats.side_names), verbose=False).eval()
    manifest = BundleManifest(
        tradewind_version=__version__,
        name=f"export-test-{family}",
        model=parse_model_spec(case["model"]).model_dump(mode="json"),
        features=spec.model_dump(mode="json"),
        labels=labels.model_dump(mode="json"),
        lookback=LOOKBACK,
        warmup_bars=int(warmup_bars(spec)),
        classes=classes,
        feature_names=list(feats.names),
        side_names=list(feats.side_names),
        normalizer=norm.to_dict(),
        side_normalizer=side_norm.to_dict() if side_norm is not None else None,
        calibration=_calibration(case["calibration"], n_classes),
        tta=list(case.get("tta", [])),
        data={"source": "synthetic:planted?bars=3000&seed=1", "symbol": "SYN/USD",
              "timeframe": "1h", "rows": len(candles), "fingerprint": data_fingerprint(candles)},
    )
    return save_bundle(path, model, manifest)


def ort_session(path: Path) -> ort.InferenceSession:
    """A single-threaded CPU session (the test machine is small and shared)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def raw_windows(feats_frame: pd.DataFrame, lookback: int, n_last: int) -> np.ndarray:
    """The last ``n_last`` raw windows [n, lookback, F] (float64), oldest row first."""
    matrix = feats_frame.to_numpy(dtype=np.float64)
    views = np.lib.stride_tricks.sliding_window_view(matrix, lookback, axis=0)
    return np.ascontiguousarray(views.transpose(0, 2, 1)[-n_last:])
