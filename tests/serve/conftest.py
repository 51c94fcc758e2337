"""Small random-weight bundles (no training) and a server on a loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tradewind import __version__
from tradewind.artifacts.bundle import BundleManifest, save_bundle
from tradewind.calibration import TemperatureScaler
from tradewind.data import load
from tradewind.dataset import Normalizer
from tradewind.features import Features, FeatureSpec, compute, warmup_bars
from tradewind.labels import LabelSpec
from tradewind.models import build, parse_model_spec
from tradewind.serve import ServerThread, ServeSettings

LOOKBACK = 16
MODEL = {"name": "lstm", "hidden_size": 8, "num_layers": 1, "bidirectional": False, "dropout": 0.0}

BundleFactory = Callable[..., Path]


@pytest.fixture(scope="session")
def serve_candles() -> pd.DataFrame:
    return load("synthetic:planted?bars=400&seed=2&timeframe=1h")


@pytest.fixture(scope="session")
def make_bundle(serve_candles: pd.DataFrame) -> BundleFactory:
    """``make_bundle(path, seed=0, name="unit", side=False, tta=())`` writes a small bundle
    (``side``: the ``strategy`` set as side features) and returns its path."""
    cache: dict[bool, Features] = {}

    def make(path: Path, *, seed: int = 0, name: str = "unit", lookback: int = LOOKBACK,
             side: bool = False, tta: tuple[str, ...] = ()) -> Path:
        spec = FeatureSpec(sets=["core15"], side_sets=["strategy"] if side else [])
        if side not in cache:
            cache[side] = compute(serve_candles, spec)
        feats = cache[side]
        normalizer = Normalizer(kind="robust", clip=5.0).fit(feats.frame.to_numpy(), feats.names)
        side_norm = None
        if feats.side is not None:
            side_norm = Normalizer(kind="standard", clip=5.0).fit(feats.side.to_numpy(),
                                                                  feats.side_names)
        torch.manual_seed(seed)
        model = build(parse_model_spec(MODEL), len(feats.names), 2,
                      side_dim=len(feats.side_names), verbose=False).eval()
        rng = np.random.default_rng(seed)
        calibrator = TemperatureScaler().fit(rng.normal(size=(300, 2)) * 3, rng.integers(0, 2, 300))
        manifest = BundleManifest(
            tradewind_version=__version__, name=name, model=MODEL,
            features=spec.model_dump(mode="json"),
            labels=LabelSpec(kind="direction", horizon=1).model_dump(mode="json"),
            lookback=lookback, warmup_bars=warmup_bars(spec), classes=["DOWN", "UP"],
            feature_names=feats.names, side_names=feats.side_names,
            normalizer=normalizer.to_dict(),
            side_normalizer=None if side_norm is None else side_norm.to_dict(),
            calibration=calibrator.to_dict(), tta=list(tta),
            data={"fingerprint": f"{name}-{seed}-fingerprint", "timeframe": "1h"},
            gate={"passed": True, "checks": []},
        )
        return save_bundle(path, model, manifest)

    return make


@pytest.fixture(scope="session")
def bundle_dir(make_bundle: BundleFactory, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_bundle(tmp_path_factory.mktemp("bundles") / "unit", seed=0)


@pytest.fixture(scope="session")
def server(bundle_dir: Path) -> Iterator[ServerThread]:
    """One real uvicorn server on 127.0.0.1 (free port) serving ``bundle_dir``."""
    with ServerThread(ServeSettings(model=str(bundle_dir), port=0, poll_seconds=0)) as running:
        yield running


@pytest.fixture(scope="session")
def pooled_server(bundle_dir: Path) -> Iterator[ServerThread]:
    """The same bundle, every request answered in a worker thread (``inline_max_bytes=0``)
    and torch's thread count left alone (``torch_threads=0``)."""
    settings = ServeSettings(model=str(bundle_dir), port=0, poll_seconds=0, inline_max_bytes=0,
                             torch_threads=0)
    with ServerThread(settings) as running:
        yield running
