"""ONNX export: one graph from raw windows to calibrated probabilities, for every family."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pytest
import torch
from export_bundles import (
    FAMILY_CASES,
    make_bundle,
    ort_session,
    raw_windows,
    real_candles,
    synthetic_candles,
)

from tradewind.artifacts.bundle import Bundle, load_bundle
from tradewind.exceptions import BundleError
from tradewind.export import (
    ONNX_FILE,
    CalibratedModel,
    export_bundle,
    export_onnx,
    verify_onnx,
)
from tradewind.export import onnx_export as onnx_export_module

N_WINDOWS = 1000
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return synthetic_candles()


@pytest.fixture(scope="module", params=sorted(FAMILY_CASES))
def exported(request: pytest.FixtureRequest, candles: pd.DataFrame,
             tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    family = request.param
    root = tmp_path_factory.mktemp(f"onnx-{family}")
    bundle_path = make_bundle(root / "bundle", family, candles)
    files = export_bundle(bundle_path, root / "export", "onnx")
    session = ort_session(root / "export" / ONNX_FILE)
    return {"family": family, "bundle": load_bundle(bundle_path), "files": files,
            "session": session, "root": root}


def _parity(bundle: Bundle, session: ort.InferenceSession, candles: pd.DataFrame) -> float:
    """max |ONNX - Bundle.predict_proba| over the last N_WINDOWS windows of ``candles``."""
    want = bundle.predict_proba(candles).to_numpy()[-N_WINDOWS:]
    feats = bundle.features(candles)
    feeds = {"features": raw_windows(feats.frame, bundle.lookback, N_WINDOWS).astype(np.float32)}
    if bundle.manifest.side_names:
        feeds["side"] = feats.side.to_numpy(dtype=np.float32)[-N_WINDOWS:]
    probs, logits = session.run(["probabilities", "logits"], feeds)
    assert probs.shape == want.shape == (N_WINDOWS, len(bundle.classes))
    ends = np.arange(len(feats.frame) - N_WINDOWS, len(feats.frame))
    np.testing.assert_allclose(logits, bundle.predict_logits(feats, ends), atol=1e-4, rtol=0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    return float(np.abs(probs - want).max())


def test_parity_synthetic_candles(exported: dict[str, Any], candles: pd.DataFrame) -> None:
    diff = _parity(exported["bundle"], exported["session"], candles)
    print(f"{exported['family']}: synthetic max |diff| = {diff:.3g}")
    assert diff <= TOLERANCE


def test_parity_real_candles(exported: dict[str, Any]) -> None:
    diff = _parity(exported["bundle"], exported["session"], real_candles())
    print(f"{exported['family']}: real max |diff| = {diff:.3g}")
    assert diff <= TOLERANCE


def test_graph_signature_and_manifest(exported: dict[str, Any]) -> None:
    bundle: Bundle = exported["bundle"]
    names = [p.name for p in exported["files"]]
    assert names == ["model.onnx", "scalers.json", "manifest.json"]
    graph = onnx.load(str(exported["files"][0])).graph
    inputs = {i.name: i for i in graph.input}
    expected_inputs = ["features"] + (["side"] if bundle.manifest.side_names else [])
    assert list(inputs) == expected_inputs
    assert [o.name for o in graph.output] == ["probabilities", "logits"]
    dims = inputs["features"].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch"
    assert [d.dim_value for d in dims[1:]] == [bundle.lookback, len(bundle.manifest.feature_names)]
    manifest = json.loads(exported["files"][2].read_text(encoding="utf-8"))
    assert manifest["family"] == exported["family"]
    assert manifest["onnx"]["file"] == "model.onnx"
    assert [i["name"] for i in manifest["onnx"]["inputs"]] == expected_inputs
    assert manifest["onnx"]["verified_max_abs_diff"] <= TOLERANCE
    assert manifest["data_fingerprint"] == bundle.fingerprint and len(bundle.fingerprint) == 64


def test_dynamic_batch_sizes(exported: dict[str, Any]) -> None:
    bundle: Bundle = exported["bundle"]
    model = CalibratedModel(bundle)
    for batch in (1, 2, 7):
        feeds = onnx_export_module._probe_inputs(model, batch, seed=batch)
        probs = exported["session"].run(["probabilities"], feeds)[0]
        want = onnx_export_module._torch_outputs(model, feeds)[0]
        assert probs.shape == (batch, len(bundle.classes))
        np.testing.assert_allclose(probs, want, atol=TOLERANCE, rtol=0)


def test_dynamo_exporter_matches(candles: pd.DataFrame, tmp_path: Path) -> None:
    bundle = load_bundle(make_bundle(tmp_path / "bundle", "fnn", candles))
    info = export_onnx(bundle, tmp_path / "dyn.onnx", exporter="dynamo")
    assert info["exporter"] == "dynamo" and info["opset"] == 18
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle", "dyn.onnx"]  # no .data file
    session = ort_session(tmp_path / "dyn.onnx")
    assert _parity(bundle, session, candles) <= TOLERANCE


def test_unsupported_family_raises_bundle_error(candles: pd.DataFrame, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_bundle(tmp_path / "bundle", "tcn", candles)
    monkeypatch.setitem(onnx_export_module.ONNX_UNSUPPORTED, "tcn", "uses a custom op")
    with pytest.raises(BundleError, match=r"family 'tcn' cannot be exported to ONNX: uses a custom"):
        export_bundle(path, tmp_path / "out", "onnx")
    assert not (tmp_path / "out" / ONNX_FILE).exists()
    files = export_bundle(path, tmp_path / "out", "json")  # the JSON export still works
    assert [p.name for p in files] == ["scalers.json", "manifest.json"]


def test_exporter_failure_names_family(candles: pd.DataFrame, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = load_bundle(make_bundle(tmp_path / "bundle", "lstm", candles))

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("Exporting the operator 'aten::magic' is not supported")

    monkeypatch.setattr(torch.onnx, "export", broken)
    with pytest.raises(BundleError, match=r"family 'lstm' could not be exported.*aten::magic"):
        export_onnx(bundle, tmp_path / "m.onnx")
    assert list(tmp_path.glob("*.onnx*")) == []


def test_verify_catches_a_graph_that_disagrees(candles: pd.DataFrame, tmp_path: Path) -> None:
    bundle = load_bundle(make_bundle(tmp_path / "bundle", "fnn", candles))
    export_onnx(bundle, tmp_path / "m.onnx")
    model = CalibratedModel(bundle)
    assert verify_onnx(tmp_path / "m.onnx", model) <= TOLERANCE
    model.temperature.mul_(3.0)  # the graph no longer matches this model
    with pytest.raises(BundleError, match="disagree on probabilities"):
        verify_onnx(tmp_path / "m.onnx", model)


def test_unknown_format_and_missing_bundle(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="unknown export format 'pmml'"):
        export_bundle(tmp_path, tmp_path / "out", "pmml")  # type: ignore[arg-type]
    with pytest.raises(BundleError, match="no bundle directory"):
        export_bundle(tmp_path / "missing", tmp_path / "out", "onnx")
