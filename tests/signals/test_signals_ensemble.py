"""Ensembles: weighted mean of calibrated probabilities, members and agreement reported."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradewind.exceptions import ConfigError
from tradewind.policy import TradePolicy
from tradewind.signals import Ensemble, predict_frame, signals_for_bars


def test_weighted_mean_of_member_probabilities(make_bundle, candles: pd.DataFrame) -> None:
    a, b = make_bundle(seed=0, name="a"), make_bundle(seed=1, name="b")
    ens = Ensemble([a, b], weights=[3.0, 1.0])
    assert ens.weights == [0.75, 0.25] and ens.name == "ensemble(a+b)"
    pa, pb = predict_frame(a, candles), predict_frame(b, candles)
    expected = 0.75 * pa + 0.25 * pb
    pd.testing.assert_frame_equal(ens.predict_proba(candles), expected, check_exact=False,
                                  rtol=0, atol=1e-12)
    sigs = ens.signals(candles, TradePolicy(threshold=0.0, exits=None, max_holding=1), symbol="X")
    assert len(sigs) == len(expected)
    for s, (_, row) in zip(sigs, expected.iterrows(), strict=True):
        assert s.probabilities == pytest.approx(row.to_dict(), abs=1e-12)
        assert s.members == 2
        votes = [int(np.argmax(p.loc[row.name])) == int(np.argmax(row)) for p in (pa, pb)]
        assert s.agreement == pytest.approx(np.mean(votes))
        assert s.model_name == "ensemble(a+b)" and s.bundle_fingerprint == ens.fingerprint
    assert {s.agreement for s in sigs} == {0.5, 1.0}  # the members disagree on some bars
    latest = ens.signal(candles, TradePolicy(threshold=0.0, exits=None, max_holding=1), symbol="X")
    assert latest.timestamp == sigs[-1].timestamp
    assert latest.probabilities == pytest.approx(sigs[-1].probabilities, abs=1e-6)
    assert latest.agreement == sigs[-1].agreement


def test_one_member_ensemble_equals_the_bundle(bundle, candles: pd.DataFrame) -> None:
    alone = signals_for_bars(bundle, candles, symbol="X")
    ens = Ensemble([bundle]).signals(candles, symbol="X")
    assert [s.direction for s in ens] == [s.direction for s in alone]
    assert all(s.agreement == 1.0 and s.members == 1 for s in ens)


def test_mismatched_classes_and_bad_weights_are_refused(make_bundle) -> None:
    binary, ternary = make_bundle(name="bin"), make_bundle(kind="ternary", name="ter")
    with pytest.raises(ConfigError, match=r"\['SELL', 'HOLD', 'BUY'\].*\['DOWN', 'UP'\]"):
        Ensemble([binary, ternary])
    with pytest.raises(ConfigError, match="2 weight"):
        Ensemble([binary], weights=[1.0, 2.0])
    with pytest.raises(ConfigError, match="not all zero"):
        Ensemble([binary, binary], weights=[1.0, -1.0])
    with pytest.raises(ConfigError, match="at least one bundle"):
        Ensemble([])
