"""TradePolicy: the decision rule, its validation, overrides, and the policy: section's errors."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from tradewind.config import load_experiment
from tradewind.exceptions import ConfigError, DataError
from tradewind.labels import ExitSpec, LabelSpec
from tradewind.policy import PolicyExit, PolicySpec, TradePolicy, decide, kelly_fraction

EXITS = ExitSpec(take_profit=2.0, stop_loss=1.0)
TERNARY = ("SELL", "HOLD", "BUY")


def test_winner_confidence_threshold_and_sides() -> None:
    proba = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1], [0.3, 0.4, 0.3], [np.nan] * 3,
                      [0.1, 0.1, 0.8]])
    every = decide(proba, TERNARY, TradePolicy(exits=EXITS))
    np.testing.assert_array_equal(every.direction, [1, -1, 0, 0, 1])  # HOLD and NaN: flat
    np.testing.assert_allclose(every.confidence[[0, 1, 4]], [0.5, 0.6, 0.8])
    strict = decide(proba, TERNARY, TradePolicy(exits=EXITS, threshold=0.55))
    np.testing.assert_array_equal(strict.direction, [0, -1, 0, 0, 1])
    longs = decide(proba, TERNARY, TradePolicy(exits=EXITS, sides="long"))
    np.testing.assert_array_equal(longs.direction, [1, 0, 0, 0, 1])
    shorts = decide(proba, TERNARY, TradePolicy(exits=EXITS, sides="short"))
    np.testing.assert_array_equal(shorts.direction, [0, -1, 0, 0, 0])
    never = decide(proba, TERNARY, TradePolicy(exits=EXITS, trade=False))
    assert not never.direction.any() and not never.size.any()


def test_margin_confidence_is_long_minus_short() -> None:
    proba = np.array([[0.30, 0.25, 0.45], [0.45, 0.40, 0.15], [0.35, 0.30, 0.35]])
    out = decide(proba, TERNARY, TradePolicy(exits=EXITS, confidence="margin", threshold=0.1))
    np.testing.assert_allclose(out.confidence, [0.15, 0.30, 0.0])
    # HOLD wins row 1 by argmax, but the margin says short; row 2 has no margin at all
    np.testing.assert_array_equal(out.direction, [1, -1, 0])
    assert out.p_side[1] == pytest.approx(0.45)


def test_expected_value_filter_needs_the_probability_to_pay_the_costs() -> None:
    # win 30 bp, loss 20 bp, round trip 4 bp: EV(p) = 0.003 p - 0.002 (1 - p) - 0.0004 > 0
    # exactly when p > 0.48
    policy = TradePolicy(exits=EXITS, min_edge=0.0, win=0.003, loss=0.002, cost=0.0004)
    proba = np.array([[0.53, 0.47], [0.49, 0.51], [0.475, 0.525]])
    np.testing.assert_array_equal(decide(proba, ("DOWN", "UP"), policy).direction, [-1, 1, 1])
    tighter = policy.model_copy(update={"min_edge": 0.0002})  # needs p > 0.52
    np.testing.assert_array_equal(decide(proba, ("DOWN", "UP"), tighter).direction, [-1, 0, 1])
    with pytest.raises(ValidationError, match="min_edge needs win and loss"):
        TradePolicy(exits=EXITS, min_edge=0.0)


def test_kelly_sizes_by_the_measured_payoff() -> None:
    f = kelly_fraction(np.array([0.6, 0.9, 0.3, np.nan]), payoff=2.0, multiplier=0.5, cap=0.25)
    np.testing.assert_allclose(f, [0.2, 0.25, 0.0, 0.0])
    policy = TradePolicy(exits=EXITS, sizing="kelly", kelly_multiplier=1.0, cap=1.0,
                         win=0.004, loss=0.002)
    assert policy.payoff() == pytest.approx(2.0)  # measured sizes win over the exits' ratio
    out = decide(np.array([[0.3, 0.7], [0.6, 0.4], [0.7, 0.3]]), ("DOWN", "UP"), policy)
    np.testing.assert_allclose(out.size, [0.55, 0.4, 0.55])
    assert TradePolicy(exits=EXITS).payoff() == pytest.approx(2.0)
    assert TradePolicy(exits=None).payoff() == 1.0
    with pytest.raises(DataError):
        kelly_fraction(np.array([0.5]), payoff=0.0, multiplier=0.5, cap=0.25)


def test_bad_probabilities_and_classes_are_named() -> None:
    with pytest.raises(DataError, match=r"shape \(2, 3\)"):
        decide(np.zeros((2, 3)), ("DOWN", "UP"), TradePolicy())
    with pytest.raises(DataError, match="without a trade direction"):
        decide(np.zeros((2, 2)), ("A", "B"), TradePolicy())


def test_overrides_are_validated_and_name_the_key() -> None:
    base = TradePolicy.every_signal(LabelSpec(kind="direction", horizon=4))
    assert base.max_holding == 4 and base.exits is not None and base.exits.max_holding == 4
    changed = base.with_overrides({"threshold": 0.6, "policy.sides": "long",
                                   "exits.stop_loss": 1.5})
    assert (changed.threshold, changed.sides, changed.exits.stop_loss) == (0.6, "long", 1.5)
    assert base.with_overrides({}) is base
    with pytest.raises(ConfigError, match="threshold"):
        base.with_overrides({"threshold": 1.5})
    with pytest.raises(ConfigError, match="treshold: unknown policy key"):
        base.with_overrides({"treshold": 0.6})


def test_policy_section_refuses_bad_grids_by_key() -> None:
    with pytest.raises(ValidationError, match="at least one value"):
        PolicySpec(sides=[])
    with pytest.raises(ValidationError, match=r"must lie in \[0, 1\]"):
        PolicySpec(thresholds=[0.5, 1.2])
    with pytest.raises(ValidationError, match="margins is empty"):
        PolicySpec(confidence=["margin"], margins=[])
    with pytest.raises(ValidationError, match="needs take_profit and stop_loss"):
        PolicyExit(kind="atr", take_profit=2.0)
    with pytest.raises(ValidationError, match="takes no take_profit"):
        PolicyExit(kind="time", stop_loss=1.0)
    assert PolicySpec().n_candidates() == (7 + 6) * 3 * 2 * 4


def test_experiment_file_errors_name_the_policy_key(tmp_path) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text("policy:\n  thresholds: [0.5, 2.0]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"exp.yaml: policy.thresholds"):
        load_experiment(path)
    with pytest.raises(ConfigError, match=r"backtest\.fee_bps"):
        load_experiment(path, ["policy.thresholds=[0.5]", "backtest.fee_bps=-1"])


def test_exit_candidates_resolve_against_the_labels() -> None:
    labels_exits = ExitSpec(take_profit=3.0, stop_loss=2.0, atr_period=10)
    exits, hold = PolicyExit(kind="labels").resolve(labels_exits, horizon=6)
    assert hold == 6 and exits.take_profit == 3.0 and exits.max_holding == 6
    exits, hold = PolicyExit(kind="time", max_holding=2).resolve(labels_exits, horizon=6)
    assert exits is None and hold == 2
    exits, hold = PolicyExit(kind="atr", take_profit=1.0, stop_loss=1.0).resolve(labels_exits, 6)
    assert (exits.take_profit, exits.stop_loss, exits.atr_period, hold) == (1.0, 1.0, 10, 6)


def test_the_engine_rules_are_set_from_the_backtest_section(tmp_path) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text("backtest:\n  on_opposite: close\n  sizing: integer_units\n"
                    "  close_at_end: false\n  fee_bps: 1.0\n", encoding="utf-8")
    costs = load_experiment(path).backtest.costs()
    assert (costs.on_opposite, costs.sizing, costs.close_at_end) == ("close", "integer_units", False)
    assert costs.fee_bps == 1.0
    with pytest.raises(ConfigError, match=r"backtest\.on_opposite"):
        load_experiment(path, ["backtest.on_opposite=flip"])
