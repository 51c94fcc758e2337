"""The bundle's timeframe is part of its contract: every consumer refuses other bar lengths."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from tradewind.artifacts.bundle import Bundle
from tradewind.backtest.of_bundle import backtest_bundle
from tradewind.data import load
from tradewind.exceptions import SchemaMismatchError
from tradewind.live import ReplaySource, SignalLog, run_live
from tradewind.signals import Ensemble, signal_from_bundle, signals_for_bars


@pytest.fixture(scope="module")
def daily() -> pd.DataFrame:
    return load("synthetic:planted?bars=260&seed=3&timeframe=1d")


def _names_both(err: pytest.ExceptionInfo[SchemaMismatchError], got: str) -> None:
    message = str(err.value)
    assert f"trained on 1h bars, but the candles are {got}" in message or (
        f"trained on 1h bars, but the timeframe given is {got}" in message), message


def test_check_timeframe_accepts_the_bundle_timeframe_and_refuses_others(
    bundle: Bundle, candles: pd.DataFrame, daily: pd.DataFrame
) -> None:
    assert bundle.check_timeframe(candles, "here") == "1h"
    assert bundle.check_timeframe("60m", "here") == "1h"  # same bar length, other spelling
    with pytest.raises(SchemaMismatchError, match="here: the model was trained on 1h") as err:
        bundle.check_timeframe(daily, "here")
    _names_both(err, "1d")
    with pytest.raises(SchemaMismatchError) as err:
        bundle.check_timeframe(candles, "here", declared="1d")
    _names_both(err, "1d")


def test_a_bundle_without_a_recorded_timeframe_takes_what_the_candles_say(
    bundle: Bundle, daily: pd.DataFrame
) -> None:
    data = {k: v for k, v in bundle.manifest.data.items() if k != "timeframe"}
    old = Bundle(manifest=bundle.manifest.model_copy(update={"data": data}), model=bundle.model,
                 normalizer=bundle.normalizer, side_normalizer=None, calibrator=bundle.calibrator)
    assert old.check_timeframe(daily, "here") == "1d"


def test_signals_refuse_candles_of_another_timeframe(bundle: Bundle, candles: pd.DataFrame,
                                                     daily: pd.DataFrame) -> None:
    with pytest.raises(SchemaMismatchError, match="signals for X") as err:
        signal_from_bundle(bundle, daily, symbol="X")
    _names_both(err, "1d")
    with pytest.raises(SchemaMismatchError) as err:
        signals_for_bars(bundle, candles, symbol="X", timeframe="1d")
    _names_both(err, "1d")
    assert signal_from_bundle(bundle, candles, symbol="X").timeframe == "1h"


def test_an_ensemble_refuses_them_too(make_bundle: Callable[..., Bundle],
                                      daily: pd.DataFrame) -> None:
    ensemble = Ensemble([make_bundle(seed=0, name="a"), make_bundle(seed=1, name="b")])
    with pytest.raises(SchemaMismatchError, match="ensemble signals for X") as err:
        ensemble.signal(daily, symbol="X")
    _names_both(err, "1d")


def test_backtest_refuses_them_and_annualises_with_the_bundle_timeframe(
    bundle: Bundle, candles: pd.DataFrame, daily: pd.DataFrame
) -> None:
    with pytest.raises(SchemaMismatchError, match="backtest: the model was trained on 1h") as err:
        backtest_bundle(bundle, daily)
    _names_both(err, "1d")
    done = backtest_bundle(bundle, candles)
    assert done.stats.to_dict()["bars_per_year"] == pytest.approx(8766.0, rel=1e-3)


def test_the_live_loop_refuses_another_timeframe_before_its_first_bar(
    bundle: Bundle, daily: pd.DataFrame
) -> None:
    with SignalLog(":memory:") as log:
        with pytest.raises(SchemaMismatchError, match="live: the model was trained on 1h") as err:
            run_live(bundle, source=ReplaySource(daily), log=log, symbol="X", timeframe="1d",
                     show=False)
        _names_both(err, "1d")
        assert log.signals() == []
