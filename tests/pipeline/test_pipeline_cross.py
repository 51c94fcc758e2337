"""``prepare`` with cross-asset features: the references are loaded from their sources, or
taken as given (a run preparing several series loads them once)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tradewind.config import load_experiment
from tradewind.features import load_references
from tradewind.pipeline.prepare import load_candles, prepare

EXPERIMENT = """\
data:
  source: synthetic:random_walk?bars=500&seed=1&timeframe=1h&start=2020-01-05
features:
  sets: [core15]
  cross:
    - source: synthetic:random_walk?bars=700&seed=2&timeframe=1h&start=2020-01-01
      name: btc
      returns: [1]
      correlation: [24]
lookback: 8
"""


def test_prepare_loads_the_references_or_takes_them(tmp_path: Path) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text(EXPERIMENT)
    exp = load_experiment(path)
    candles = load_candles(exp)
    loaded = prepare(exp, candles)
    assert loaded.features.names[-2:] == ["btc_logret_1", "btc_corr_24"]
    refs = load_references(exp.features.cross)
    given = prepare(exp, candles, references=refs)
    np.testing.assert_array_equal(given.X, loaded.X)
    trend = refs["btc"].copy()
    prices = ["open", "high", "low", "close"]
    trend[prices] = trend[prices].mul(np.linspace(1.0, 2.0, len(trend)), axis=0)
    moved = prepare(exp, candles, references={"btc": trend})
    assert not np.allclose(moved.X[:, -2], loaded.X[:, -2])  # the given candles are used
