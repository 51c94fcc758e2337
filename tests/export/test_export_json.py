"""scalers.json + manifest.json: a client re-implements normalisation and calibration from them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from export_bundles import FAMILY_CASES, make_bundle, raw_windows, synthetic_candles

from tradewind import __version__
from tradewind.artifacts.bundle import load_bundle
from tradewind.export import EXPORT_FORMAT, SCALERS_FORMAT, export_bundle
from tradewind.features import FeatureSpec


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return synthetic_candles()


def _numpy_normalise(x: np.ndarray, section: dict[str, Any]) -> np.ndarray:
    """Normalisation exactly as docs/EXPORT.md describes it, from the JSON alone."""
    scaled = (x - np.asarray(section["center"])) / np.asarray(section["scale"])
    if section["clip"] is not None:
        scaled = np.clip(scaled, -section["clip"], section["clip"])
    return scaled.astype(np.float32)


def _numpy_calibrate(logits: np.ndarray, section: dict[str, Any]) -> np.ndarray:
    z = logits.astype(np.float64)
    if section["method"] == "temperature":
        z = z / section["temperature"]
    elif section["method"] == "vector":
        z = z * np.asarray(section["weights"]) + np.asarray(section["bias"])
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("family", ["lstm", "gru", "transformer_lite"])
def test_numpy_client_matches_bundle(family: str, candles: pd.DataFrame, tmp_path: Path) -> None:
    # lstm: standard + temperature; gru: robust + vector + side; transformer_lite: none + none
    bundle_path = make_bundle(tmp_path / "bundle", family, candles)
    files = export_bundle(bundle_path, tmp_path / "out", "json")
    assert [p.name for p in files] == ["scalers.json", "manifest.json"]
    doc = json.loads(files[0].read_text(encoding="utf-8"))
    bundle = load_bundle(bundle_path)
    feats = bundle.features(candles)
    assert doc["features"]["names"] == feats.names
    assert doc["features"]["kind"] == FAMILY_CASES[family]["norm"][0]
    assert doc["features"]["clip"] == FAMILY_CASES[family]["norm"][1]
    raw = feats.frame.to_numpy(dtype=np.float64)
    ours = _numpy_normalise(raw, doc["features"])
    np.testing.assert_allclose(ours, bundle.normalizer.transform(raw), atol=1e-6, rtol=0)
    if doc["side"] is not None:
        side_raw = feats.side.to_numpy(dtype=np.float64)
        np.testing.assert_allclose(_numpy_normalise(side_raw, doc["side"]),
                                   bundle.side_normalizer.transform(side_raw), atol=1e-6, rtol=0)
    ends = np.arange(doc["lookback"] - 1, len(feats.frame))
    probs = _numpy_calibrate(bundle.predict_logits(feats, ends), doc["calibration"])
    want = bundle.predict_proba(candles)
    assert list(want.columns) == doc["classes"]
    np.testing.assert_allclose(probs, want.to_numpy(), atol=1e-6, rtol=0)


def test_clipping_is_exercised(candles: pd.DataFrame, tmp_path: Path) -> None:
    """The robust/clip-3 bundle really clips some values, so the test above checks clip."""
    bundle_path = make_bundle(tmp_path / "bundle", "gru", candles)
    doc = json.loads(export_bundle(bundle_path, tmp_path / "out", "json")[0].read_text("utf-8"))
    raw = load_bundle(bundle_path).features(candles).frame.to_numpy()
    windows = raw_windows(pd.DataFrame(raw), doc["lookback"], 10)
    assert windows.shape == (10, doc["lookback"], len(doc["features"]["names"]))
    scaled = (raw - np.asarray(doc["features"]["center"])) / np.asarray(doc["features"]["scale"])
    assert (np.abs(scaled) > doc["features"]["clip"]).any()


def test_manifest_fields(candles: pd.DataFrame, tmp_path: Path) -> None:
    bundle_path = make_bundle(tmp_path / "bundle", "xlstm", candles)
    scalers_path, manifest_path = export_bundle(bundle_path, tmp_path / "out", "json")
    scalers = json.loads(scalers_path.read_text(encoding="utf-8"))
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    bundle = load_bundle(bundle_path)
    assert scalers["format"] == SCALERS_FORMAT and scalers["version"] == 1
    assert manifest["format"] == EXPORT_FORMAT and manifest["version"] == 1
    assert manifest["family"] == "xlstm" and manifest["onnx"] is None
    assert manifest["tradewind_version"] == manifest["exported_with"] == __version__
    assert manifest["feature_names"] == bundle.manifest.feature_names == scalers["features"]["names"]
    assert manifest["side_names"] == bundle.manifest.side_names == scalers["side"]["names"]
    assert manifest["classes"] == scalers["classes"] == ["SELL", "HOLD", "BUY"]
    assert manifest["lookback"] == scalers["lookback"] == bundle.lookback
    assert manifest["warmup_bars"] == scalers["warmup_bars"] == bundle.manifest.warmup_bars
    assert scalers["min_candles"] == bundle.min_candles
    assert FeatureSpec.model_validate(manifest["feature_spec"]) == bundle.feature_spec
    assert manifest["data_fingerprint"] == bundle.fingerprint
    assert scalers["calibration"]["method"] == "vector"
    assert len(scalers["calibration"]["weights"]) == 3
    assert manifest["files"] == {
        "scalers.json": hashlib.sha256(scalers_path.read_bytes()).hexdigest()
    }


def test_export_replaces_previous_files(candles: pd.DataFrame, tmp_path: Path) -> None:
    bundle_path = make_bundle(tmp_path / "bundle", "fnn", candles)
    out = tmp_path / "out"
    first = export_bundle(bundle_path, out, "json")[0].read_text(encoding="utf-8")
    make_bundle(bundle_path, "fnn", candles.iloc[:2500])  # refit normaliser on fewer rows
    second = export_bundle(bundle_path, out, "json")[0].read_text(encoding="utf-8")
    assert first != second
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "scalers.json"]
