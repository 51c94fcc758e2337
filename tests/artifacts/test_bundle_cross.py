"""A bundle with cross-asset features: its manifest keeps the references, and it predicts
only when given their candles (from Python, and `signal`/`backtest --reference`)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from bundle_factory import TINY_LSTM
from tradewind import __version__
from tradewind.artifacts.bundle import Bundle, BundleManifest, load_bundle, save_bundle
from tradewind.calibration import TemperatureScaler
from tradewind.data import synthetic_market
from tradewind.dataset import Normalizer
from tradewind.exceptions import ConfigError, DataError, SchemaMismatchError
from tradewind.features import FeatureSpec, compute, warmup_bars
from tradewind.features.cross import references_from_pairs
from tradewind.labels import LabelSpec
from tradewind.models import build, parse_model_spec

SOURCE = "synthetic:random_walk?bars=700&seed=2&start=2019-12-29"
SPEC = FeatureSpec.model_validate({
    "sets": ["core15"],
    "cross": [{"source": SOURCE, "name": "btc", "returns": [1, 3], "features": ["rsi"],
               "correlation": [12]}],
})


def _candles() -> tuple[pd.DataFrame, pd.DataFrame]:
    inst = synthetic_market("random_walk", bars=400, seed=1, start="2020-01-01").candles
    ref = synthetic_market("random_walk", bars=700, seed=2, start="2019-12-29").candles
    return inst, ref


def _bundle(inst: pd.DataFrame, ref: pd.DataFrame) -> Bundle:
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


def test_manifest_records_the_cross_spec(tmp_path: Path) -> None:
    inst, ref = _candles()
    path = save_bundle(tmp_path / "bundle", _bundle(inst, ref).model, _bundle(inst, ref).manifest)
    loaded = load_bundle(path)
    assert loaded.feature_spec.cross == SPEC.cross
    assert "btc_corr_12" in loaded.manifest.feature_names


def test_predict_proba_refuses_without_references_and_names_them() -> None:
    inst, ref = _candles()
    bundle = _bundle(inst, ref)
    with pytest.raises(SchemaMismatchError) as err:
        bundle.predict_proba(inst, last_only=True)
    assert f"'btc' (trained on {SOURCE})" in str(err.value)
    assert "references=" in str(err.value)
    with pytest.raises(SchemaMismatchError, match=r"features\.cross"):
        bundle.features(inst)


def test_predict_proba_with_references_matches_the_batch_path() -> None:
    inst, ref = _candles()
    bundle = _bundle(inst, ref)
    every = bundle.predict_proba(inst, references={"btc": ref})
    last = bundle.predict_proba(inst.iloc[-bundle.min_candles - 20:], last_only=True,
                                references={"btc": ref})
    assert last.index[-1] == inst.index[-1] == every.index[-1]
    np.testing.assert_allclose(last.to_numpy()[-1], every.to_numpy()[-1], atol=1e-6)


def test_last_only_refuses_when_the_newest_bar_lost_its_cross_features() -> None:
    inst, ref = _candles()
    bundle = _bundle(inst, ref)
    gappy = ref.drop(inst.index[-4])  # inside the newest bars' 12-bar correlation window
    with pytest.raises(DataError, match=re.escape(f"the newest bar {inst.index[-1]} has no")):
        bundle.predict_proba(inst, last_only=True, references={"btc": gappy})


# -- the commands: `signal` and `backtest` take --reference NAME=SOURCE ------------------

TRADEWIND = Path(sys.executable).parent / "tradewind"
INSTRUMENT = "synthetic:random_walk?bars=400&seed=1&start=2020-01-01"


def _saved(tmp_path: Path) -> Path:
    inst, ref = _candles()
    bundle = _bundle(inst, ref)
    return save_bundle(tmp_path / "bundle", bundle.model, bundle.manifest)


def _tradewind(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TRADEWIND), *args], capture_output=True, text=True, timeout=300)


def test_signal_takes_the_reference_candles(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    result = _tradewind("signal", str(path), "--data", INSTRUMENT, "--reference", f"btc={SOURCE}")
    assert result.returncode == 0, result.stdout + result.stderr
    signal = json.loads(result.stdout)
    inst, ref = _candles()
    expected = _bundle(inst, ref).predict_proba(inst, last_only=True, references={"btc": ref})
    assert pd.Timestamp(signal["timestamp"]) == inst.index[-1]
    assert signal["probabilities"]["UP"] == pytest.approx(float(expected["UP"].iloc[-1]), abs=1e-6)


def test_signal_and_backtest_refuse_a_missing_reference(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    for command in (["signal", str(path)], ["backtest", str(path), "--out", str(tmp_path / "bt")]):
        result = _tradewind(*command, "--data", INSTRUMENT)
        message = " ".join((result.stdout + result.stderr).split())
        assert result.returncode == 2, message
        assert f"missing --reference btc=SOURCE (trained on {SOURCE})" in message


@pytest.mark.parametrize(
    ("pairs", "words"),
    [
        ([f"btc={SOURCE}", f"eth={SOURCE}"], "unexpected ['eth']"),
        ([f"btc={SOURCE}", f"btc={SOURCE}"], "reference 'btc' given twice"),
        (["btc"], "expected NAME=SOURCE"),
    ],
)
def test_reference_pairs_are_checked(pairs: list[str], words: str) -> None:
    with pytest.raises(ConfigError) as err:
        references_from_pairs(SPEC.cross, pairs)
    assert words in str(err.value)


def test_backtest_takes_the_reference_candles(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    out = tmp_path / "bt"
    result = _tradewind("backtest", str(path), "--data", INSTRUMENT, "--reference",
                        f"btc={SOURCE}", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (out / "equity.parquet").is_file()
