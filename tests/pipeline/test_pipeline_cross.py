"""``prepare`` with cross-asset features: the references are loaded from their sources, or
taken as given (a run preparing several series loads them once); each bundle records them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tradewind.artifacts.bundle import data_fingerprint
from tradewind.artifacts.universe import bundle_for
from tradewind.config import Experiment, load_experiment, validate_section
from tradewind.data import load
from tradewind.features import load_references
from tradewind.pipeline.experiment import run_experiment
from tradewind.pipeline.prepare import load_candles, prepare
from universe_helpers import planted, tiny_universe

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


def test_a_cross_run_records_its_references_in_every_bundle(tmp_path: Path) -> None:
    """The bundle says which reference candles its cross features were trained on (their
    source and fingerprint), in a single-series run and per symbol in a universe."""
    reference = "synthetic:random_walk?bars=1600&seed=9&timeframe=1h&start=2019-12-20"
    cross = [{"source": reference, "name": "btc", "returns": [1]}]
    sources = {"AAA/USD": planted(1), "BBB/USD": planted(2)}
    raw = tiny_universe(sources, features={"sets": ["core15"], "cross": cross})
    result = run_experiment(validate_section(Experiment, raw, "test"), out_dir=tmp_path / "run",
                            progress=False, html=False)
    want = {"source": reference, "fingerprint": data_fingerprint(load(reference)),
            "first": "2019-12-20 00:00:00+00:00", "last": str(load(reference).index[-1])}
    for symbol in sources:
        bundle = bundle_for(result.bundle_path, symbol)
        assert bundle.manifest.data["references"] == {"btc": want}
        assert bundle.manifest.feature_names[-1] == "btc_logret_1"
