"""Synthetic markets: realistic candles, a known truth, an edge persistence cannot see."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from tradewind.data import SyntheticSpec, parse_synthetic_source, synthetic_market, validate
from tradewind.exceptions import ConfigError


def mcc(predicted_up: np.ndarray, actual_up: np.ndarray) -> float:
    tp = float(np.sum(predicted_up & actual_up))
    tn = float(np.sum(~predicted_up & ~actual_up))
    fp = float(np.sum(predicted_up & ~actual_up))
    fn = float(np.sum(~predicted_up & actual_up))
    denominator = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return 0.0 if denominator == 0 else (tp * tn - fp * fn) / denominator


@pytest.fixture(scope="module")
def planted():
    return parse_synthetic_source("synthetic:planted?bars=20000&seed=3&edge=0.5&timeframe=1h")


@pytest.fixture(scope="module")
def walk():
    return synthetic_market("random_walk", bars=20000, seed=3)


@pytest.mark.parametrize("which", ["planted", "walk"])
def test_data_synthetic_candles_are_consistent(which, request):
    market = request.getfixturevalue(which)
    df = market.candles
    report = validate(df, timeframe="1h")
    assert report.ok, report
    assert not report.warnings
    assert (df[["open", "high", "low", "close"]] > 0).all().all()
    assert (df["high"] >= df[["open", "close"]].max(axis=1)).all()
    assert (df["low"] <= df[["open", "close"]].min(axis=1)).all()
    gap = np.abs(np.log(df["open"].to_numpy()[1:] / df["close"].to_numpy()[:-1]))
    assert np.median(gap) < 0.1 * market.spec.vol  # open = previous close plus tiny noise


def test_data_synthetic_volatility_clusters_and_volume_follows_it(walk):
    close = walk.candles["close"].to_numpy()
    size = np.abs(np.diff(np.log(close)))
    clustered = np.corrcoef(size[:-1], size[1:])[0, 1]
    shuffled = np.random.default_rng(0).permutation(size)
    baseline = np.corrcoef(shuffled[:-1], shuffled[1:])[0, 1]
    assert clustered > 0.05 and clustered > baseline + 0.04, (clustered, baseline)
    volume = np.log(walk.candles["volume"].to_numpy()[1:])
    assert np.corrcoef(volume, size)[0, 1] > 0.3
    bar_range = np.log(walk.candles["high"] / walk.candles["low"]).to_numpy()[1:]
    assert np.corrcoef(bar_range[1:], size[:-1])[0, 1] > 0.1  # range scales with volatility


def test_data_synthetic_planted_edge_is_real_and_persistence_misses_it(planted):
    close = planted.candles["close"].to_numpy()
    up = close[1:] > close[:-1]
    oracle = planted.oracle_up.to_numpy()
    assert np.isnan(oracle[-1]) and not np.isnan(oracle[:-1]).any()
    oracle_mcc = mcc(oracle[:-1] > 0.5, up)
    last_up = up[:-1]  # persistence: the next move repeats the last one
    persistence_mcc = mcc(last_up, up[1:])
    message = f"oracle MCC {oracle_mcc:.3f}, persistence MCC {persistence_mcc:.3f} on 20,000 bars"
    assert oracle_mcc > 0.12, message
    assert persistence_mcc < 0.02, message
    assert oracle_mcc - persistence_mcc > 0.12, message


def test_data_synthetic_oracle_is_calibrated(planted):
    close = planted.candles["close"].to_numpy()
    up = (close[1:] > close[:-1]).astype(float)
    oracle = planted.oracle_up.to_numpy()[:-1]
    for lo, hi in ((0.3, 0.45), (0.55, 0.7)):
        sel = (oracle >= lo) & (oracle < hi)
        assert sel.sum() > 1000
        assert abs(up[sel].mean() - oracle[sel].mean()) < 0.03, (lo, hi)


def test_data_synthetic_random_walk_has_no_edge(walk):
    oracle = walk.oracle_up.to_numpy()
    assert np.all(oracle[:-1] == 0.5) and np.isnan(oracle[-1])
    assert "nothing is predictable" in walk.description


def test_data_synthetic_is_deterministic_per_seed():
    a = synthetic_market("planted", bars=200, seed=7)
    b = synthetic_market("planted", bars=200, seed=7)
    c = synthetic_market("planted", bars=200, seed=8)
    assert a.candles.equals(b.candles) and a.oracle_up.equals(b.oracle_up)
    assert not a.candles.equals(c.candles)
    assert a.candles.index[0].isoformat() == "2020-01-01T00:00:00+00:00"


def test_data_synthetic_source_errors_name_the_key():
    with pytest.raises(ConfigError, match=r"unknown key 'edg'.*valid keys are bars, seed"):
        parse_synthetic_source("synthetic:planted?edg=1")
    with pytest.raises(ConfigError, match="bars"):
        parse_synthetic_source("synthetic:planted?bars=lots")
    with pytest.raises(ConfigError, match="given twice"):
        parse_synthetic_source("synthetic:planted?seed=1&seed=2")
    with pytest.raises(ConfigError, match="alpha \\+ beta"):
        synthetic_market("random_walk", alpha=0.5, beta=0.6)


def test_data_synthetic_function_defaults_match_the_spec():
    params = inspect.signature(synthetic_market).parameters
    for name, field in SyntheticSpec.model_fields.items():
        if name != "kind":
            assert params[name].default == field.default, name
    assert set(params) == set(SyntheticSpec.model_fields)


def test_data_synthetic_edge_until_switches_the_edge_off_for_good():
    full = synthetic_market("planted", bars=4000, seed=5, edge=1.0)
    half = parse_synthetic_source("synthetic:planted?bars=4000&seed=5&edge=1&edge_until=0.5")
    oracle = half.oracle_up.to_numpy()
    # The first half is the same market bar for bar; the second has no drift at all.
    assert np.array_equal(oracle[:1999], full.oracle_up.to_numpy()[:1999])
    assert np.all(oracle[1999:-1] == 0.5)
    assert not np.all(full.oracle_up.to_numpy()[1999:-1] == 0.5)
    assert "edge_until=0.5" in half.candles.attrs["source"]
    assert "gone after the first 50%" in half.description
