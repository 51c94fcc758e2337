"""A regime-limited edge: trading every signal loses after costs, the fitted policy does not.

The planted edge exists on 30 % of the bars only (a regime the volume shows). Every-signal
trading pays costs on the other 70 % and loses; a policy chosen on validation rows trades
where the model is confident and earns after the same costs, and the gate passes on that.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from pipeline_helpers import small_experiment

import tradewind
from tradewind.backtest import signals_from_probabilities
from tradewind.data import parse_synthetic_source
from tradewind.live import ReplaySource, SignalLog, run_live
from tradewind.pipeline.experiment import run_experiment
from tradewind.policy import TradePolicy, decide
from tradewind.serve.inference import latest_signal
from tradewind.signals import Direction, bundle_fingerprint, signals_for_bars

REGIME = "synthetic:planted?bars=12000&seed=1&timeframe=1h&regime=0.3&vol=0.002&edge=1"
COSTS = {"fee_bps": 2.0, "slippage_bps": 1.0}


@pytest.fixture(scope="module")
def regime(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("regime")
    exp = small_experiment(REGIME, backtest=COSTS)
    return run_experiment(exp, out_dir=out, progress=False), out


def test_every_signal_loses_while_the_fitted_policy_passes_the_gate(regime) -> None:
    result, out = regime
    report = json.loads((out / "report.json").read_text())
    results = report["policy"]["results"]
    assert results["every_signal"]["sharpe_ci"][1] < 0, results["every_signal"]
    assert results["fitted"]["sharpe_ci"][0] > 0, results["fitted"]
    assert results["fitted"]["n_trades"] < results["every_signal"]["n_trades"]
    assert results["fitted"]["net_bp_ci"][0] > 0
    assert report["policy"]["tradable_edge"] is True
    assert report["policy"]["headline"].startswith("Trading edge after costs SHOWN")
    assert result.gate_passed, [c.name for c in result.report.gate.failing]
    checks = {c["name"]: c for c in report["gate"]["checks"]}
    assert checks["sharpe_ci_low"]["value"] == pytest.approx(results["fitted"]["sharpe_ci"][0])
    assert checks["min_trades"]["value"] == results["fitted"]["n_trades"]
    assert report["backtest"]["n_trades"] == results["fitted"]["n_trades"]
    for fold in report["policy"]["folds"]:
        assert fold["curve"] and fold["description"]
    html = (out / "report.html").read_text()
    assert '<section id="policy">' in html and "every signal (naive)" in html


def test_predictions_file_holds_every_out_of_sample_row(regime) -> None:
    result, out = regime
    frame = pd.read_parquet(out / "predictions.parquet")
    assert len(frame) == len(result.oos.rows) == result.report.oos.n_rows
    assert frame.index.name == "timestamp" and frame.index.is_monotonic_increasing
    assert (frame.index == result.index[result.oos.rows]).all()
    for column in ("fold", "label", "p_DOWN", "p_UP", "logit_DOWN", "logit_UP",
                   "logistic_p_UP", "lightgbm_p_DOWN", "majority_p_UP", "persistence_p_UP",
                   "position_every_signal", "position_fitted", "position_logistic_fitted"):
        assert column in frame.columns, column
    np.testing.assert_allclose(frame[["p_DOWN", "p_UP"]].to_numpy(), result.oos.probs)
    assert set(frame["label"].dropna()) <= {"DOWN", "UP"}
    # the run's positions are decide() of each fold's own policy on the file's probabilities
    report = json.loads((out / "report.json").read_text())
    for fold in report["policy"]["folds"]:
        rows = frame[frame["fold"] == fold["fold"]]
        policy = TradePolicy.model_validate(fold["policy"])
        want = decide(rows[["p_DOWN", "p_UP"]].to_numpy(), ("DOWN", "UP"), policy).direction
        got = rows["position_fitted"].to_numpy()
        placed = got != 0
        np.testing.assert_array_equal(got[placed], want[placed])
        assert (want[~placed] == 0).mean() > 0.95  # only the ATR warm-up may flatten a decision


def test_the_bundle_carries_its_policy_and_every_consumer_applies_it(regime, tmp_path) -> None:
    result, _ = regime
    bundle = tradewind.load_bundle(result.bundle_path)
    policy = bundle.policy
    assert bundle.manifest.policy == policy.model_dump(mode="json")
    assert bundle.manifest.training["policy"]
    candles = parse_synthetic_source(REGIME).candles.iloc[-700:]
    candles.attrs["timeframe"] = "1h"
    every_bar = signals_for_bars(bundle, candles, symbol="SYN/USD")

    # backtest path: the bundle's probabilities through the engine's signal arrays
    proba = bundle.predict_proba(candles)
    rows = candles.index.get_indexer(proba.index)
    full = np.full((len(candles), 2), np.nan)
    full[rows] = proba.to_numpy()
    arrays = signals_from_probabilities(full, bundle.classes, candles, policy)
    side = {Direction.LONG: 1, Direction.SHORT: -1, Direction.FLAT: 0}
    from_signals = np.array([side[s.direction] for s in every_bar])
    np.testing.assert_array_equal(arrays.direction[rows][:-1], from_signals[:-1])

    # live replay, bar by bar, gives the same decisions as the batch
    history = 300
    with SignalLog(tmp_path / "log.sqlite") as log:
        live = run_live(bundle, source=ReplaySource(candles.iloc[-(history + 40):]), log=log,
                        symbol="SYN/USD", timeframe="1h", history=history, show=False)
    batch = {s.timestamp: s for s in signals_for_bars(bundle, candles.iloc[-(history + 40):],
                                                      symbol="SYN/USD")}
    assert live.logged
    for sig in live.logged:
        assert sig.direction == batch[sig.timestamp].direction
        assert sig.policy == policy.describe()

    # the server's path: the newest bar, the bundle's policy unless overridden
    served = latest_signal(bundle, candles, policy, symbol="SYN/USD", timeframe="1h",
                           model_version=None, fingerprint=bundle_fingerprint(bundle))
    assert served.direction == every_bar[-1].direction
    assert served.size == every_bar[-1].size


@pytest.mark.parametrize("source", ["sample:goog-1d", "synthetic:random_walk?bars=6000&seed=21&timeframe=1h"])
def test_daily_stock_candles_and_a_random_walk_are_still_refused(source: str, tmp_path) -> None:
    """Policy fitting searches many candidates on validation rows; out of sample it must not
    turn a market without an edge into a passed gate."""
    exp = small_experiment(source, backtest=COSTS,
                           training={"epochs": 10, "early_stopping": {"monitor": "val_loss",
                                                                      "patience": 4}})
    result = run_experiment(exp, out_dir=tmp_path, progress=False, html=False)
    assert not result.gate_passed
    failing = {c.name for c in result.report.gate.failing}
    assert failing & {"mcc_ci_low", "sharpe_ci_low", "min_trades"}, failing
