"""Bundles: the model travels with its normaliser and temperature, verified on load."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bundle_factory import make_bundle
from tradewind import load_bundle
from tradewind.artifacts.bundle import Bundle, save_bundle
from tradewind.data import load
from tradewind.exceptions import BundleError, SchemaMismatchError


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return load("synthetic:planted?bars=800&seed=2&timeframe=1h")


@pytest.fixture
def bundle(candles: pd.DataFrame) -> Bundle:
    return make_bundle(candles)


def test_reloaded_bundle_predicts_exactly_what_it_predicted_before_saving(
    bundle: Bundle, candles: pd.DataFrame, tmp_path: Path
) -> None:
    before = bundle.predict_proba(candles)
    path = save_bundle(tmp_path / "b", bundle.model, bundle.manifest)
    after = load_bundle(path).predict_proba(candles)
    pd.testing.assert_frame_equal(before, after, check_exact=True)
    assert np.allclose(after.sum(axis=1), 1.0)
    assert sorted(p.name for p in path.iterdir()) == [
        "checksums.sha256", "manifest.json", "weights.safetensors"]
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["normalizer"]["kind"] == "robust"
    assert manifest["calibration"]["method"] == "temperature"


def test_tampered_or_incomplete_bundles_are_refused(bundle: Bundle, tmp_path: Path) -> None:
    path = save_bundle(tmp_path / "b", bundle.model, bundle.manifest)
    weights = path / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:-8] + b"\0" * 8)
    with pytest.raises(BundleError, match="checksum mismatch"):
        load_bundle(path)
    (path / "checksums.sha256").unlink()
    with pytest.raises(BundleError, match=r"checksums\.sha256 is missing"):
        load_bundle(path)
    with pytest.raises(BundleError, match="no bundle directory"):
        load_bundle(tmp_path / "nothing")


def test_saving_over_a_bundle_replaces_it_whole(bundle: Bundle, tmp_path: Path) -> None:
    path = save_bundle(tmp_path / "b", bundle.model, bundle.manifest)
    renamed = bundle.manifest.model_copy(update={"name": "second"})
    save_bundle(path, bundle.model, renamed)
    assert load_bundle(path).manifest.name == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["b"]  # no temp or old directory left


def test_features_that_do_not_match_are_named(bundle: Bundle) -> None:
    names = list(bundle.manifest.feature_names)
    with pytest.raises(SchemaMismatchError, match=r"missing \['rsi'\], unexpected \['rsi_14'\]"):
        bundle.check_features([n if n != "rsi" else "rsi_14" for n in names])
    with pytest.raises(SchemaMismatchError, match="different order"):
        bundle.check_features(names[::-1])


def test_too_few_candles_say_how_many_are_needed(bundle: Bundle, candles: pd.DataFrame) -> None:
    with pytest.raises(BundleError, match=f"need at least {bundle.min_candles} candles"):
        bundle.predict_proba(candles.iloc[: bundle.manifest.warmup_bars + 5])
