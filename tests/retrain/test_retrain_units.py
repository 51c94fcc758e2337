"""The pieces of a retrain without training anything: the split, the decision rule, the
tags, the paired intervals and the config section."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import tradewind.retrain
from public_surface import surface_problems
from tradewind.block_bootstrap import BlockBootstrap
from tradewind.config import Experiment, RetrainSpec, validate_section
from tradewind.evaluation.bootstrap import Interval
from tradewind.exceptions import ConfigError, DataError
from tradewind.retrain import (
    HoldoutScore,
    MetricComparison,
    compare_on_holdout,
    decide,
    decision_tags,
    split_candles,
)


def _candles(n: int, freq: str = "1h") -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=n, freq=freq, tz="UTC")
    return pd.DataFrame({"close": np.arange(n, dtype=float)}, index=index)


def test_split_holds_out_the_newest_bars_and_purges_the_horizon() -> None:
    split = split_candles(_candles(100), RetrainSpec(holdout=20), horizon=3)
    assert (split.holdout_begin, split.train_stop, split.train_begin) == (80, 77, 0)
    assert split.holdout_bars == 20 and split.train_bars == 77 and split.purge == 3
    assert split.train_end < split.holdout_start
    assert split.to_dict()["holdout_start"] == "2024-01-04T08:00:00+00:00"


def test_split_by_durations() -> None:
    split = split_candles(_candles(24 * 30), RetrainSpec(holdout="2d", window="5d"), horizon=1)
    assert split.holdout_bars == 48  # bars opening within 2 days of the newest one
    assert split.train_bars == 5 * 24  # the newest 5 days before the purge
    assert split.train_stop == split.holdout_begin - 1


def test_split_refuses_a_holdout_that_leaves_nothing_to_train() -> None:
    with pytest.raises(DataError, match=r"retrain.holdout.*more data"):
        split_candles(_candles(50), RetrainSpec(holdout=49), horizon=2)
    with pytest.raises(DataError, match="longer holdout"):
        split_candles(_candles(50), RetrainSpec(holdout="30m"), horizon=1)


def test_config_section_validates_with_named_keys() -> None:
    exp = validate_section(Experiment, {"retrain": {"window": "60d", "holdout": "14d"}}, "x.yaml")
    assert exp.retrain.require == "not_worse" and exp.retrain.decide_on == ["mcc", "return"]
    assert Experiment().retrain.window == "all" and Experiment().retrain.holdout == 1000
    for bad, key in (({"window": "60x"}, "retrain.window"), ({"holdout": 1}, "retrain.holdout"),
                     ({"require": "best"}, "retrain.require"), ({"windw": "all"}, "retrain.windw")):
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            validate_section(Experiment, {"retrain": bad}, "x.yaml")


def _comparison(metric: str, lower: float, upper: float) -> MetricComparison:
    mid = (lower + upper) / 2
    return MetricComparison(metric=metric, models={}, difference=Interval(mid, lower, upper, 0.95),
                            rows=100, method="test")


def test_decision_rule_not_worse_and_better() -> None:
    worse = {"mcc": _comparison("mcc", -0.2, -0.05), "return": _comparison("return", -1e-4, 2e-4)}
    spec = RetrainSpec()
    refused = decide(spec, gate_passed=True, gate_failing=[], comparisons=worse, champion="3")
    assert refused.decision == "reject"
    assert any("shown worse than the champion" in r and "lies below zero" in r for r in refused.reasons)
    assert "Champion version 3 stays" in refused.reasons[-1] and "shown worse on MCC" in refused.reasons[-1]
    # deciding on the return alone, the same evidence promotes
    only_return = RetrainSpec(decide_on=["return"])
    assert decide(only_return, gate_passed=True, gate_failing=[], comparisons=worse,
                  champion="3").promote
    tied = {"mcc": _comparison("mcc", -0.05, 0.05), "return": _comparison("return", -1e-4, 1e-4)}
    assert decide(spec, gate_passed=True, gate_failing=[], comparisons=tied, champion="3").promote
    better = RetrainSpec(require="better")
    assert not decide(better, gate_passed=True, gate_failing=[], comparisons=tied,
                      champion="3").promote
    shown = {"mcc": _comparison("mcc", 0.01, 0.2), "return": _comparison("return", 1e-5, 1e-4)}
    assert decide(better, gate_passed=True, gate_failing=[], comparisons=shown, champion="3").promote
    gated = decide(better, gate_passed=False, gate_failing=["ece"], comparisons=shown, champion="3")
    assert not gated.promote and "failing checks: ece" in gated.reasons[0]
    assert "because its gate refused it" in gated.reasons[-1]


def test_without_a_champion_the_gate_decides() -> None:
    spec = RetrainSpec()
    first = decide(spec, gate_passed=True, gate_failing=[], comparisons={}, champion=None)
    assert first.promote and "first champion" in first.reasons[-1]
    refused = decide(spec, gate_passed=False, gate_failing=["mcc_ci_low"], comparisons={},
                     champion=None)
    assert not refused.promote and "mcc_ci_low" in refused.reasons[0]


def _score(pred: np.ndarray, returns: np.ndarray) -> HoldoutScore:
    return HoldoutScore(pred=pred, bar_returns=returns, n_trades=1, policy={}, max_holding=1)


def test_paired_intervals_resample_the_same_rows_for_both_models() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    noise = rng.normal(0, 1e-3, 400)
    good = _score(np.where(rng.random(400) < 0.8, y, 1 - y), noise + 1e-4)
    bad = _score(rng.integers(0, 2, 400), noise)  # same noise: the difference is exactly 1e-4
    y_with_unknown = y.copy()
    y_with_unknown[-3:] = -1
    result = compare_on_holdout(y_with_unknown, {"challenger": good, "champion": bad}, n_classes=2,
                                horizon=1, bootstrap=BlockBootstrap(n_boot=200), seed=0)
    mcc, ret = result["mcc"], result["return"]
    assert mcc.rows == 397 and ret.rows == 400
    assert mcc.difference.lower > 0.4 and mcc.models["challenger"].point > 0.5
    # paired: the shared noise cancels, so the difference's interval is a point
    assert ret.difference.lower == pytest.approx(1e-4) and ret.difference.upper == pytest.approx(1e-4)
    assert ret.models["champion"].upper - ret.models["champion"].lower > 1e-4


def test_tags_name_every_number_of_the_decision() -> None:
    document = {
        "decision": "reject", "promoted": False, "dry_run": True, "require": "not_worse",
        "decide_on": ["mcc", "return"], "champion": {"version": "2"},
        "reasons": ["One.", "Two."],
        "split": {"train_start": "a", "train_end": "b", "holdout_start": "c",
                  "holdout_end": "d", "holdout_bars": 10},
        "metrics": {m: {"models": {"challenger": {"point": 0.1, "lower": 0.0, "upper": 0.2},
                                   "champion": {"point": 0.3, "lower": None, "upper": 0.4}},
                        "difference": {"point": -0.2, "lower": -0.3, "upper": -0.1}}
                    for m in ("mcc", "return")},
    }
    tags = decision_tags(document)
    assert tags["retrain.decision"] == "reject" and tags["retrain.dry_run"] == "true"
    assert tags["retrain.champion_version"] == "2" and tags["retrain.reason"] == "One. Two."
    assert json.loads(tags["retrain.mcc_diff_ci"]) == [-0.3, -0.1]
    assert json.loads(tags["retrain.return_champion_ci"]) == [None, 0.4]
    assert tags["retrain.holdout_span"] == "c/d" and tags["retrain.mcc_diff"] == "-0.2"


def test_public_surface() -> None:
    assert surface_problems(tradewind.retrain) == []
    assert "retrain_experiment" in tradewind.retrain.__all__


def test_a_holdout_shorter_than_one_block_is_refused_before_training(tmp_path) -> None:
    from tradewind.retrain import retrain_experiment

    exp = validate_section(Experiment, {
        "data": {"source": "synthetic:planted?bars=600&seed=1"},
        "registry": {"root": str(tmp_path / "runs")}, "retrain": {"holdout": 12},
    }, "x.yaml")
    with pytest.raises(DataError, match=r"11 labelled rows, fewer than one bootstrap block \(24"):
        retrain_experiment(exp, out_dir=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists() and not (tmp_path / "runs").exists()
    off = exp.model_copy(update={"registry": exp.registry.model_copy(update={"enabled": False})})
    with pytest.raises(ConfigError, match=r"registry\.enabled is false"):
        retrain_experiment(off, out_dir=tmp_path / "out", progress=False)
