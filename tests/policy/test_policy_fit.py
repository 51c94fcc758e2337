"""Choosing a policy on validation rows: it finds a real edge, refuses noise, never reads tests."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backtest"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))

from backtest_helpers import random_candles
from pipeline_helpers import small_experiment

from tradewind.backtest import (
    BacktestConfig,
    fit_policy,
    signals_from_probabilities,
    trade_sizes,
)
from tradewind.data import parse_synthetic_source
from tradewind.exceptions import ConfigError, DataError
from tradewind.labels import ExitSpec
from tradewind.pipeline.policy import check_policy_rows, fit_fold_policy
from tradewind.pipeline.prepare import prepare
from tradewind.policy import (
    META_FEATURES,
    MetaSpec,
    PolicyExit,
    PolicySpec,
    TradePolicy,
    decide,
)

EXITS = ExitSpec(take_profit=3.0, stop_loss=2.0, max_holding=1)
COSTS = BacktestConfig(fee_bps=2.0, slippage_bps=1.0)
SPEC = PolicySpec(exits=[PolicyExit(kind="time"), PolicyExit(kind="labels")], min_trades=20)


def _probabilities(candles: pd.DataFrame, start: int, informed: float, seed: int) -> np.ndarray:
    """UP/DOWN probabilities from ``start`` on: a share ``informed`` of the rows know the next
    bar's move (p = 0.75 on its side), the rest are coin flips near 0.5."""
    rng = np.random.default_rng(seed)
    o = candles["open"].to_numpy()
    c = candles["close"].to_numpy()
    move = np.sign(np.concatenate([c[1:] - o[1:], [0.0]]))  # the bar a trade at t would hold
    p_up = 0.5 + rng.uniform(-0.04, 0.04, len(c))
    knows = rng.random(len(c)) < informed
    p_up = np.where(knows, 0.5 + 0.25 * move, p_up)
    proba = np.stack([1 - p_up, p_up], axis=1)
    proba[:start] = np.nan
    return proba


def test_a_real_edge_is_found_and_traded_only_where_it_lives() -> None:
    candles = random_candles(1500, seed=3)
    proba = _probabilities(candles, 100, informed=0.3, seed=1)
    fit = fit_policy(proba, ("DOWN", "UP"), candles, SPEC, labels_exits=EXITS, horizon=1,
                     costs=COSTS, train_rows=np.arange(20, 100), start=100)
    assert fit.reason == "chosen" and fit.policy.trade
    assert fit.objective is not None and fit.objective > 0
    # the confident rows are the informed ones: a threshold above the noise band is chosen
    assert (fit.policy.confidence == "margin" and fit.policy.threshold >= 0.1) or (
        fit.policy.confidence == "winner" and fit.policy.threshold >= 0.55)
    assert 20 <= fit.n_trades < 0.6 * 1400
    assert len(fit.candidates) == SPEC.n_candidates()
    curve = fit.curve()
    assert curve and all(c["exit"] == fit.policy.exit_name for c in curve)
    assert [c["threshold"] for c in curve] == sorted(c["threshold"] for c in curve)


def test_noise_is_not_traded_when_nothing_pays_after_costs() -> None:
    candles = random_candles(1500, seed=4)
    proba = _probabilities(candles, 100, informed=0.0, seed=2)
    fit = fit_policy(proba, ("DOWN", "UP"), candles, SPEC, labels_exits=EXITS, horizon=1,
                     costs=COSTS, train_rows=np.arange(20, 100), start=100)
    assert not fit.policy.trade
    assert "lower bound" in fit.reason or "reached" in fit.reason
    loose = SPEC.model_copy(update={"require_edge": False})
    fit = fit_policy(proba, ("DOWN", "UP"), candles, loose, labels_exits=EXITS, horizon=1,
                     costs=COSTS, train_rows=np.arange(20, 100), start=100)
    assert fit.policy.trade and fit.reason == "chosen"


def test_too_few_validation_trades_means_no_trade_and_says_why() -> None:
    candles = random_candles(200, seed=5)
    proba = _probabilities(candles, 150, informed=0.5, seed=3)
    spec = SPEC.model_copy(update={"min_trades": 200})
    fit = fit_policy(proba, ("DOWN", "UP"), candles, spec, labels_exits=EXITS, horizon=1,
                     costs=COSTS, train_rows=np.arange(20, 150), start=150)
    assert not fit.policy.trade and "no candidate reached 200 validation trades" in fit.reason


def test_ties_go_to_fewer_trades() -> None:
    """Identical lower bounds: the candidate with fewer trades wins."""
    candles = random_candles(800, seed=6)
    proba = _probabilities(candles, 100, informed=1.0, seed=4)  # every row informed: p = 0.75
    spec = SPEC.model_copy(update={"thresholds": [0.0, 0.6, 0.7], "confidence": ["winner"],
                                   "sides": ["both"], "expected_value": [False],
                                   "exits": [PolicyExit(kind="time")]})
    fit = fit_policy(proba, ("DOWN", "UP"), candles, spec, labels_exits=EXITS, horizon=1,
                     costs=COSTS, train_rows=np.arange(20, 100), start=100)
    # 0.0, 0.6 and 0.7 all trade the same rows (every p is 0.75): same bound, same trades,
    # so the first in grid order with that count stays
    objectives = {c["threshold"]: c["objective"] for c in fit.candidates}
    assert objectives[0.0] == objectives[0.6] == objectives[0.7]
    assert fit.policy.threshold == 0.0


def test_trade_sizes_measure_gross_wins_and_losses_on_the_given_rows() -> None:
    candles = random_candles(400, seed=7)
    win, loss = trade_sizes(candles, np.arange(20, 300), None, 1)
    o, c = candles["open"].to_numpy(), candles["close"].to_numpy()
    r = c[21:301] / o[21:301] - 1.0  # a one-bar time exit: open[t+1] → close[t+1]
    both = np.concatenate([r, -r])
    assert win == pytest.approx(both[both > 0].mean())
    assert loss == pytest.approx(-both[both < 0].mean())


def test_changing_test_bars_never_changes_the_chosen_policy() -> None:
    """Leakage: the policy of a fold is a function of its training and validation bars only."""
    source = "synthetic:planted?bars=3000&seed=5&timeframe=1h&regime=0.3&vol=0.002&edge=1"
    exp = small_experiment(source, backtest={"fee_bps": 2.0, "slippage_bps": 1.0})
    market = parse_synthetic_source(source).candles
    prep = prepare(exp, market)
    samples = prep.samples
    train, val, test = samples[:1500], samples[1510:2000], samples[2010:]
    rng = np.random.default_rng(0)
    val_probs = np.clip(0.5 + rng.normal(0, 0.1, len(val)), 0.01, 0.99)
    val_probs = np.stack([1 - val_probs, val_probs], axis=1)
    first_test = int(market.index.get_indexer(prep.index[test[:1]])[0])
    before = fit_fold_policy(exp, prep, val, val_probs, train, end_before=first_test)

    changed = market.copy()
    scale = np.exp(rng.normal(0, 0.05, len(changed) - first_test))
    for column in ("open", "high", "low", "close"):
        changed.iloc[first_test:, changed.columns.get_loc(column)] *= scale
    changed["high"] = changed[["open", "high", "low", "close"]].max(axis=1)
    changed["low"] = changed[["open", "high", "low", "close"]].min(axis=1)
    prep2 = prepare(exp, changed)
    assert not np.allclose(prep2.X[test], prep.X[test])  # the test rows really changed
    after = fit_fold_policy(exp, prep2, val, val_probs, train, end_before=first_test)
    assert after.policy == before.policy
    assert after.candidates == before.candidates


def test_a_policy_no_fold_can_satisfy_is_refused_before_training() -> None:
    exp = small_experiment("synthetic:random_walk?bars=2000", policy={"min_trades": 500})
    with pytest.raises(ConfigError, match=r"policy\.min_trades 500 exceeds the smallest validation"):
        check_policy_rows(exp, [300, 400])
    meta = small_experiment("synthetic:random_walk?bars=2000", policy={"meta": {"min_rows": 900}})
    with pytest.raises(ConfigError, match=r"policy\.meta\.min_rows 900"):
        check_policy_rows(meta, [300, 400])


def test_meta_labeling_is_fitted_on_validation_trades_and_travels_as_numbers() -> None:
    candles = random_candles(3000, seed=8)
    proba = _probabilities(candles, 100, informed=0.3, seed=5)
    spec = SPEC.model_copy(update={"meta": MetaSpec(min_rows=40)})
    fit = fit_policy(proba, ("DOWN", "UP"), candles, spec, labels_exits=EXITS, horizon=1,
                     costs=COSTS, train_rows=np.arange(20, 100), start=100)
    assert fit.policy.trade and fit.meta is not None and fit.meta["fitted"] is True
    assert fit.meta["fit_trades"] + fit.meta["holdout_trades"] <= fit.n_trades
    meta = fit.policy.meta
    assert meta is not None and len(meta.coef) == len(META_FEATURES)
    again = TradePolicy.model_validate_json(fit.policy.model_dump_json())
    assert again == fit.policy  # JSON round trip: no pickle, same filter
    plain = fit.policy.model_copy(update={"meta": None})
    with_meta = signals_from_probabilities(proba, ("DOWN", "UP"), candles, fit.policy)
    without = signals_from_probabilities(proba, ("DOWN", "UP"), candles, plain)
    assert (with_meta.direction != 0).sum() <= (without.direction != 0).sum()
    assert not (with_meta.direction[without.direction == 0]).any()  # it only removes trades
    with pytest.raises(DataError, match="meta-labeled policy needs the market state"):
        decide(proba[100:110], ("DOWN", "UP"), fit.policy)
    few = SPEC.model_copy(update={"meta": MetaSpec(min_rows=10_000)})
    fit = fit_policy(proba, ("DOWN", "UP"), candles, few, labels_exits=EXITS, horizon=1,
                     costs=COSTS, train_rows=np.arange(20, 100), start=100)
    assert fit.policy.meta is None and "fewer than policy.meta.min_rows" in fit.meta["reason"]
