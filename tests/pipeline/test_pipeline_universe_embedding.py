"""A pooled run with a learned symbol embedding (``universe.embedding``): one set of
weights in every symbol's bundle, each bundle reading its own symbol's row."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml

from tradewind.artifacts import ENV_TRACKING_URI
from tradewind.artifacts.bundle import load_bundle
from tradewind.config import Experiment, validate_section
from tradewind.data import load
from tradewind.exceptions import BundleError, ConfigError
from tradewind.models import build, parse_model_spec
from tradewind.models.specs import SymbolEmbeddingSpec
from tradewind.models.symbol_embedding import SymbolEmbedding
from tradewind.pipeline.experiment import run_experiment
from universe_helpers import planted as _src
from universe_helpers import tiny_universe

TRADEWIND = Path(sys.executable).parent / "tradewind"
SYMBOLS = ["AAA/USD", "BBB/USD", "CCC/USD"]
FOLDERS = ["AAA-USD", "BBB-USD", "CCC-USD"]


SOURCES = [_src(1), _src(2, 1000), _src(3, 1100)]


def _raw(**extra: Any) -> dict[str, Any]:
    return tiny_universe(None, **extra)


def _exp(mode: str = "pooled", embedding: int = 2, **extra: Any) -> Experiment:
    raw = _raw(data={"sources": [{"source": s, "symbol": n} for n, s in zip(SYMBOLS, SOURCES,
                                                                            strict=True)]},
               universe={"mode": mode, "embedding": embedding}, **extra)
    return validate_section(Experiment, raw, "test")


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("embedded") / "run"
    exp = _exp(importance={"enabled": True, "methods": ["permutation", "gradient"],
                           "max_rows": 100, "repeats": 1, "ig_steps": 2})
    return run_experiment(exp, out_dir=out, progress=False, html=False)


@pytest.fixture(scope="module")
def bundles(embedded: Any) -> dict[str, Any]:
    return {name: load_bundle(embedded.bundle_path / folder)
            for name, folder in zip(SYMBOLS, FOLDERS, strict=True)}


def test_the_run_records_the_embedding(embedded: Any, bundles: dict[str, Any]) -> None:
    report = json.loads(embedded.report_json.read_text())
    assert report["experiment"]["config"]["universe"] == {
        "mode": "pooled", "embedding": 2, "compare_modes": False}
    assert report["universe"]["mode"] == "pooled"
    for index, (name, bundle) in enumerate(bundles.items()):
        assert bundle.manifest.symbol_embedding == {"dim": 2, "symbols": SYMBOLS, "index": index}
        assert bundle.manifest.training["symbol_embedding"] == 2
        assert bundle.manifest.data["symbol"] == name
        assert isinstance(bundle.model, SymbolEmbedding)
        assert bundle.model.symbol_index == index


def test_every_bundle_holds_the_same_weights_and_reads_its_own_row(
        bundles: dict[str, Any]) -> None:
    states = [b.model.state_dict() for b in bundles.values()]
    assert states[0]["embedding.weight"].shape == (3, 2)
    for state in states[1:]:
        assert state.keys() == states[0].keys()
        for key, value in state.items():
            torch.testing.assert_close(value, states[0][key], rtol=0, atol=0)
    # the same normalised windows, three symbols: three answers, from the row alone
    x = torch.randn(64, 4, len(bundles["AAA/USD"].manifest.feature_names),
                    generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        logits = [b.model(x) for b in bundles.values()]
        pooled = next(iter(bundles.values())).model
        for index, got in enumerate(logits):  # what the row feeds the inner model
            row = pooled.embedding.weight[index].expand(64, 4, 2)
            torch.testing.assert_close(got, pooled.inner(torch.cat([x, row], dim=-1)))
    assert not torch.allclose(logits[0], logits[1], atol=1e-4)
    assert not torch.allclose(logits[1], logits[2], atol=1e-4)


def test_the_embedding_was_trained(embedded: Any, bundles: dict[str, Any]) -> None:
    """The refit builds the model after ``torch.manual_seed(seed)``: rebuilt so, its
    embedding is the initial one, and the trained one has moved away from it."""
    bundle = bundles["AAA/USD"]
    torch.manual_seed(2)  # the experiment's seed
    initial = build(parse_model_spec(bundle.manifest.model), len(bundle.manifest.feature_names),
                    2, verbose=False, symbol_embedding=SymbolEmbeddingSpec(dim=2, symbols=SYMBOLS))
    start = initial.embedding.weight.detach()
    trained = bundle.model.embedding.weight.detach()
    for index in range(3):
        assert not torch.allclose(trained[index], start[index], atol=1e-5)


def test_each_symbols_bundle_predicts_its_candles(bundles: dict[str, Any]) -> None:
    for name, source in zip(SYMBOLS, SOURCES, strict=True):
        bundle = bundles[name]
        probs = bundle.predict_proba(load(source)).dropna()
        assert len(probs) > 500
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-9)
        last = bundle.predict_proba(load(source), last_only=True)
        np.testing.assert_allclose(last.to_numpy()[-1], probs.to_numpy()[-1], atol=1e-9)


def test_importance_measures_the_symbol_by_permutation_only(embedded: Any) -> None:
    features = {f["feature"]: f for f in embedded.report.model_dump(mode="json")
                ["importance"]["features"]}
    assert "symbol" in features and len(features) == 16  # core15 and the symbol
    assert features["symbol"]["permutation_logloss"] is not None
    assert features["symbol"]["gradient"] == 0.0  # a code has no path to integrate along
    assert any(f["gradient"] for name, f in features.items() if name != "symbol")


def test_an_onnx_export_of_a_symbols_bundle_matches_pytorch(embedded: Any,
                                                            bundles: dict[str, Any],
                                                            tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    import onnxruntime as ort

    from tradewind.export import ONNX_FILE, export_bundle

    bundle = bundles["BBB/USD"]
    export_bundle(bundle.path, tmp_path / "export", "onnx")
    document = json.loads((tmp_path / "export" / "manifest.json").read_text())
    assert document["symbol_embedding"] == {"dim": 2, "symbols": SYMBOLS, "index": 1}
    session = ort.InferenceSession(str(tmp_path / "export" / ONNX_FILE),
                                   providers=["CPUExecutionProvider"])
    feats = bundle.features(load(SOURCES[1]))
    matrix = feats.frame.to_numpy(dtype=np.float64)
    windows = np.lib.stride_tricks.sliding_window_view(matrix, 4, axis=0).transpose(0, 2, 1)
    n = 200
    probs, = session.run(["probabilities"], {"features": windows[-n:].astype(np.float32)})
    want = bundle.predict_proba(load(SOURCES[1])).to_numpy()[-n:]
    np.testing.assert_allclose(probs, want, atol=1e-5, rtol=0)
    other = bundles["CCC/USD"].calibrator.predict_proba(
        bundles["CCC/USD"].predict_logits(feats, np.arange(len(matrix) - n, len(matrix))))
    assert not np.allclose(probs, other, atol=1e-4)  # another symbol's row answers otherwise


def test_a_manifest_without_the_symbols_index_is_refused(embedded: Any, tmp_path: Path) -> None:
    from tradewind.artifacts.bundle import save_bundle

    bundle = load_bundle(embedded.bundle_path / "AAA-USD")
    for entry, message in (({"dim": 2, "symbols": SYMBOLS, "index": None}, "names no symbol"),
                           ({"dim": 2, "symbols": SYMBOLS, "index": 3}, "index 3 names no")):
        broken = bundle.manifest.model_copy(update={"symbol_embedding": entry})
        path = save_bundle(tmp_path / f"bundle-{entry['index']}", bundle.model, broken)
        with pytest.raises(BundleError, match=message):
            load_bundle(path)


def test_an_embedding_needs_a_pooled_model_and_no_smote() -> None:
    with pytest.raises(ConfigError, match=r"universe.embedding=2 needs universe.mode: pooled"):
        _exp("per_symbol")
    with pytest.raises(ConfigError, match="SMOTE would interpolate"):
        _exp(lookback=1, training={"epochs": 2, "smote": {"enabled": True}})
    assert _exp("per_symbol", embedding=0).universe.embedding == 0


def test_an_embedding_over_one_series_is_refused(tmp_path: Path) -> None:
    exp = _exp()
    with pytest.raises(ConfigError, match=r"needs several series .* reads one"):
        run_experiment(exp, out_dir=tmp_path / "out", data=[_src(1)], progress=False, html=False)
    assert not (tmp_path / "out").exists()


def test_the_run_command_refuses_an_embedding_per_symbol(tmp_path: Path) -> None:
    raw = _raw(universe={"mode": "per_symbol", "embedding": 4})
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump(raw))
    env = {k: v for k, v in os.environ.items() if k != ENV_TRACKING_URI}
    env.update(OMP_NUM_THREADS="1", COLUMNS="200")
    done = subprocess.run(
        [str(TRADEWIND), "run", "exp.yaml", "--data", _src(4), "--data", _src(5),
         "--out", "out", "--quiet", "--no-html"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
    )
    assert done.returncode == 2, done.stderr
    assert "universe.embedding=4 needs universe.mode: pooled" in done.stderr
    assert "Traceback" not in done.stderr
