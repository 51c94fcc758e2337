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

from cross_bundle import SOURCE, SPEC
from cross_bundle import cross_bundle as _bundle
from cross_bundle import cross_candles as _candles
from tradewind.artifacts.bundle import load_bundle, save_bundle
from tradewind.exceptions import ConfigError, DataError, SchemaMismatchError
from tradewind.features.cross import references_from_pairs


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
