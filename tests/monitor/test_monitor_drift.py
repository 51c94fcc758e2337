"""Drift functions: PSI near 0 on the same distribution, a breach on a shifted one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradewind.monitor import (
    MonitorSpec,
    TrainingReference,
    bin_shares,
    feature_bins,
    feature_drift,
    ks_at_edges,
    promises_from_report,
    psi,
    training_reference,
)
from tradewind.monitor.checks import judge_drift, judge_shares
from tradewind.monitor.result import SharesSection


def _bins(seed: int = 0, n: int = 20_000):
    rng = np.random.default_rng(seed)
    return feature_bins(rng.normal(size=n), 10), rng


def test_bins_hold_a_tenth_each_and_ties_merge() -> None:
    ref, _ = _bins()
    assert len(ref.edges) == 9 and len(ref.shares) == 10
    assert np.allclose(ref.shares, 0.1, atol=1e-3) and sum(ref.shares) == pytest.approx(1.0)
    binary = feature_bins(np.r_[np.zeros(700), np.ones(300)], 10)
    assert binary.edges == [0.0, 1.0] and binary.shares == pytest.approx([0.7, 0.3, 0.0])
    assert feature_bins(np.array([np.nan, np.inf]), 10) is None


def test_psi_is_near_zero_on_the_same_distribution() -> None:
    ref, rng = _bins()
    live = rng.normal(size=2000)
    shares = bin_shares(live, ref.edges)
    assert psi(ref.shares, shares) < 0.02
    assert ks_at_edges(ref.shares, shares) < 0.05


def test_a_shifted_distribution_breaches_and_a_small_shift_warns() -> None:
    ref, rng = _bins()
    spec = MonitorSpec()
    live = pd.DataFrame({"same": rng.normal(size=2000), "shifted": rng.normal(1.0, 1.0, 2000),
                         "nudged": rng.normal(0.35, 1.0, 2000), "unknown": rng.normal(size=2000)})
    drift = feature_drift({"same": ref, "shifted": ref, "nudged": ref}, live)
    assert [d.feature for d in drift] == ["shifted", "nudged", "same"]  # largest PSI first
    judged, breaches = judge_drift(drift, spec)
    status = {d.feature: d.status for d in judged}
    assert status == {"shifted": "breach", "nudged": "warning", "same": "ok"}
    assert drift[0].psi > spec.psi_breach and drift[0].ks > 0.3
    assert [(b.level, b.subject) for b in breaches] == [("breach", "shifted"),
                                                         ("warning", "nudged")]
    assert "PSI" in breaches[0].reason and "shifted" in breaches[0].reason


def test_ks_threshold_is_off_by_default_and_breaches_when_set() -> None:
    ref, rng = _bins()
    drift = feature_drift({"x": ref}, pd.DataFrame({"x": rng.normal(0.3, 1.0, 2000)}))
    assert judge_drift(drift, MonitorSpec(psi_warn=5, psi_breach=5))[1] == []
    _, found = judge_drift(drift, MonitorSpec(psi_warn=5, psi_breach=5, ks_breach=0.05))
    assert [b.level for b in found] == ["breach"] and "KS" in found[0].reason


def test_psi_refuses_shares_of_other_bins() -> None:
    with pytest.raises(ValueError, match="same bins"):
        psi([0.5, 0.5], [0.2, 0.3, 0.5])


def test_a_collapse_to_one_class_is_a_breach() -> None:
    spec = MonitorSpec()
    collapsed = SharesSection(signals=400, recent={"DOWN": 0.04, "UP": 0.96},
                              training={"DOWN": 0.5, "UP": 0.5}, psi=1.2)
    judged, found = judge_shares(collapsed, spec)
    assert judged.status == "breach"
    assert {(b.check, b.level) for b in found} == {("class_share", "breach"),
                                                   ("prediction_drift", "warning")}
    assert "96%" in found[0].reason and "UP" in found[0].reason
    balanced = SharesSection(signals=400, recent={"DOWN": 0.48, "UP": 0.52}, psi=0.001)
    assert judge_shares(balanced, spec) == (balanced.model_copy(update={"status": "ok"}), [])


def test_monitor_settings_refuse_unordered_thresholds() -> None:
    with pytest.raises(ValueError, match="psi_warn"):
        MonitorSpec(psi_warn=0.3, psi_breach=0.2)


def test_training_reference_and_promises_from_a_report() -> None:
    rng = np.random.default_rng(1)
    X = np.c_[rng.normal(size=500), np.r_[np.zeros(400), np.ones(100)], np.full(500, np.nan)]
    oos = {"ci_level": 0.9, "ci_method": "m", "n_rows": 300, "accuracy": 0.6,
           "accuracy_ci": (0.55, 0.65), "mcc": 0.2, "mcc_ci": (0.1, 0.3), "ece": 0.02,
           "ece_ci": None, "pred_shares": {"DOWN": 0.5, "UP": 0.5},
           "label_shares": {"DOWN": 0.5, "UP": 0.5}}
    policy = {"results": {"fitted": {"n_trades": 40, "net_bp_per_trade": 12.0,
                                     "net_bp_ci": [2.0, 22.0], "hit_rate": 0.55,
                                     "max_drawdown": 0.1, "sharpe": 1.0,
                                     "sharpe_ci": [0.2, None]}}}
    promises = promises_from_report(oos, policy)
    assert promises.return_per_trade_bp_ci == [2.0, 22.0] and promises.level == 0.9
    assert promises_from_report(oos, None).return_per_trade_bp is None
    ref = training_reference(X, ["a", "b", "c"], classes=["DOWN", "UP"],
                             train_pred=np.r_[np.zeros(30), np.ones(10)], val_pred=np.ones(5),
                             bins=10, promises=promises, settings={"window": 300})
    assert set(ref.features) == {"a", "b"}  # an all-NaN feature has no bins
    assert ref.train_shares == {"DOWN": 0.75, "UP": 0.25} and ref.val_shares["UP"] == 1.0
    loaded = TrainingReference.model_validate(ref.model_dump(mode="json"))
    assert loaded == ref
