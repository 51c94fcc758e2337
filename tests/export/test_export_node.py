"""The Node.js client (clients/node/predict.mjs) gives the same probabilities as Python."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from export_bundles import make_bundle, raw_windows, synthetic_candles

from tradewind.artifacts.bundle import load_bundle
from tradewind.export import export_bundle

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "node"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("`node` is not on PATH: Node.js client test skipped")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    if version.returncode != 0:
        pytest.skip(f"`node --version` failed ({version.stderr.strip()}): Node.js client test skipped")
    if not (CLIENT / "node_modules" / "onnxruntime-node").is_dir():
        pytest.skip(
            f"{CLIENT}/node_modules/onnxruntime-node is absent (run `npm install` in "
            "clients/node): Node.js client test skipped"
        )
    return node


@pytest.mark.parametrize("family", ["gru", "fnn"])  # gru has a side input, fnn uses TTA
def test_node_client_matches_python(family: str, tmp_path: Path) -> None:
    node = _node()
    candles = synthetic_candles()
    bundle_path = make_bundle(tmp_path / "bundle", family, candles)
    export_bundle(bundle_path, tmp_path / "out", "onnx")
    bundle = load_bundle(bundle_path)
    feats = bundle.features(candles)
    n = 5
    window: dict[str, object] = {
        "features": raw_windows(feats.frame, bundle.lookback, n).tolist()
    }
    if bundle.manifest.side_names:
        window["side"] = feats.side.to_numpy()[-n:].tolist()
    window_path = tmp_path / "window.json"
    window_path.write_text(json.dumps(window), encoding="utf-8")
    result = subprocess.run(
        [node, str(CLIENT / "predict.mjs"), str(tmp_path / "out" / "model.onnx"), str(window_path)],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["classes"] == bundle.classes
    want = bundle.predict_proba(candles).to_numpy()[-n:]
    got = np.asarray(out["probabilities"])
    assert got.shape == want.shape
    diff = float(np.abs(got - want).max())
    print(f"{family}: node max |diff| = {diff:.3g}")
    assert diff <= 1e-5


def test_node_client_single_window_and_usage_error(tmp_path: Path) -> None:
    node = _node()
    candles = synthetic_candles()
    bundle_path = make_bundle(tmp_path / "bundle", "lstm", candles)
    export_bundle(bundle_path, tmp_path / "out", "onnx")
    bundle = load_bundle(bundle_path)
    feats = bundle.features(candles)
    single = raw_windows(feats.frame, bundle.lookback, 1)[0]  # [lookback, F], no batch axis
    window_path = tmp_path / "window.json"
    window_path.write_text(json.dumps({"features": single.tolist()}), encoding="utf-8")
    model = str(tmp_path / "out" / "model.onnx")
    result = subprocess.run([node, str(CLIENT / "predict.mjs"), model, str(window_path)],
                            capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    got = np.asarray(json.loads(result.stdout)["probabilities"])
    np.testing.assert_allclose(got, bundle.predict_proba(candles).to_numpy()[-1:], atol=1e-5)
    usage = subprocess.run([node, str(CLIENT / "predict.mjs"), model],
                           capture_output=True, text=True, check=False, timeout=60)
    assert usage.returncode == 2 and "usage" in usage.stderr
    window_path.write_text(json.dumps({"features": [[*single[0][:-1], None], *single[1:].tolist()]}),
                           encoding="utf-8")
    missing = subprocess.run([node, str(CLIENT / "predict.mjs"), model, str(window_path)],
                             capture_output=True, text=True, check=False, timeout=60)
    last = single.shape[1] - 1
    assert missing.returncode == 2, missing.stdout
    assert f'"features"[0][0][{last}] is null' in missing.stderr
