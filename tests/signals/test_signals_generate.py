"""Signals from one bundle: direction, levels, JSON, and the shared latest/batch path."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import talib
from pydantic import ValidationError

from tradewind.artifacts.bundle import Bundle
from tradewind.exceptions import BundleError, DataError
from tradewind.labels import ExitSpec
from tradewind.policy import TradePolicy
from tradewind.signals import (
    Direction,
    OrderType,
    Signal,
    class_directions,
    signal_from_bundle,
    signals_for_bars,
)

ATR32 = ExitSpec(take_profit=3.0, stop_loss=2.0, unit="atr")


def test_latest_signal_is_the_last_batch_signal_and_round_trips_as_json(
    bundle: Bundle, candles: pd.DataFrame
) -> None:
    batch = signals_for_bars(bundle, candles, symbol="BTC/USDT", model_version="7")
    latest = signal_from_bundle(bundle, candles, symbol="BTC/USDT", model_version="7")
    assert len(batch) == len(candles) - bundle.min_candles + 1
    assert batch[-1].timestamp == latest.timestamp == candles.index[-1].to_pydatetime()
    assert latest.probabilities == pytest.approx(batch[-1].probabilities, abs=1e-6)
    assert latest.direction == batch[-1].direction
    assert latest.timeframe == "1h" and latest.model_version == "7"
    payload = json.loads(json.dumps(latest.model_dump(mode="json")))
    assert Signal.model_validate(payload) == latest
    with pytest.raises(ValidationError):
        Signal.model_validate({**payload, "surprise": 1})


def test_direction_follows_argmax_and_threshold(bundle: Bundle, candles: pd.DataFrame) -> None:
    sigs = signals_for_bars(bundle, candles, TradePolicy(threshold=0.0, exits=ATR32, max_holding=1), symbol="X")
    for s in sigs:
        p = s.probabilities
        assert s.confidence == max(p.values())
        assert sum(p.values()) == pytest.approx(1.0)
        assert s.direction == (Direction.LONG if p["UP"] > p["DOWN"] else Direction.SHORT)
    strict = signals_for_bars(bundle, candles, TradePolicy(threshold=0.8, exits=ATR32, max_holding=1), symbol="X")
    for s in strict:
        if s.confidence < 0.8:
            assert s.direction is Direction.FLAT
            assert (s.entry_zone, s.stop_loss, s.take_profits, s.risk_reward) == (None, None, [], None)
    assert {s.direction for s in strict} >= {Direction.FLAT}
    assert {s.direction for s in strict} - {Direction.FLAT}


def test_hold_is_flat_for_ternary_bundles(make_bundle, candles: pd.DataFrame) -> None:
    sigs = signals_for_bars(make_bundle(kind="ternary"), candles, TradePolicy(threshold=0.0, exits=ATR32, max_holding=1),
                            symbol="X")
    holds = [s for s in sigs if max(s.probabilities, key=s.probabilities.get) == "HOLD"]
    assert holds and all(s.direction is Direction.FLAT for s in holds)
    assert list(sigs[0].probabilities) == ["SELL", "HOLD", "BUY"]


def test_atr_levels_are_measured_from_the_signal_close(bundle: Bundle, candles: pd.DataFrame) -> None:
    spec = TradePolicy(threshold=0.0, exits=ExitSpec(take_profit=3.0, stop_loss=1.5, unit="atr"),
                       entry_zone_atr=0.5, take_profit_ladder=[1.0, 2.0, 3.0], valid_bars=3)
    reference_atr = talib.ATR(candles["high"].to_numpy(), candles["low"].to_numpy(),
                              candles["close"].to_numpy(), timeperiod=14)
    sigs = signals_for_bars(bundle, candles, spec, symbol="X")
    seen = set()
    for s in sigs[:40]:
        row = candles.index.get_loc(pd.Timestamp(s.timestamp))
        c, a = candles["close"].iloc[row], reference_atr[row]
        sign = 1.0 if s.direction is Direction.LONG else -1.0
        seen.add(s.direction)
        assert s.stop_loss == pytest.approx(c - sign * 1.5 * a, rel=1e-9)
        assert s.take_profits == pytest.approx([c + sign * k * a for k in (1.0, 2.0, 3.0)], rel=1e-9)
        assert s.entry_zone == pytest.approx((c - 0.5 * a, c + 0.5 * a), rel=1e-9)
        assert s.risk_reward == pytest.approx(2.0)
        assert s.valid_until == (pd.Timestamp(s.timestamp) + pd.Timedelta(hours=4)).to_pydatetime()
    assert seen == {Direction.LONG, Direction.SHORT}


def test_pct_levels_and_limit_zones_sit_on_the_favourable_side(
    bundle: Bundle, candles: pd.DataFrame
) -> None:
    spec = TradePolicy(threshold=0.0, exits=ExitSpec(take_profit=0.02, stop_loss=0.01, unit="pct"),
                       order_type="LIMIT", entry_zone_atr=0.002)
    for s in signals_for_bars(bundle, candles, spec, symbol="X"):
        c = candles["close"].loc[pd.Timestamp(s.timestamp)]
        assert s.order_type is OrderType.LIMIT
        if s.direction is Direction.LONG:
            assert s.entry_zone == pytest.approx((c * 0.998, c))
            assert (s.stop_loss, s.take_profits[-1]) == pytest.approx((c * 0.99, c * 1.02))
        else:
            assert s.entry_zone == pytest.approx((c, c * 1.002))
            assert (s.stop_loss, s.take_profits[-1]) == pytest.approx((c * 1.01, c * 0.98))


def test_malformed_or_short_candles_are_refused_with_the_bar_named(
    bundle: Bundle, candles: pd.DataFrame
) -> None:
    bad = candles.copy()
    bad.iloc[150, bad.columns.get_loc("high")] = bad["low"].iloc[150] * 0.5
    with pytest.raises(DataError, match=re.escape(f"malformed candle at {bad.index[150]}")):
        signal_from_bundle(bundle, bad, symbol="X")
    nan = candles.copy()
    nan.iloc[-1, nan.columns.get_loc("close")] = np.nan
    with pytest.raises(DataError, match="finite"):
        signals_for_bars(bundle, nan, symbol="X")
    with pytest.raises(DataError, match="ascending and unique"):
        signal_from_bundle(bundle, candles.iloc[::-1], symbol="X")
    with pytest.raises(DataError, match="missing column"):
        signal_from_bundle(bundle, candles.drop(columns="volume"), symbol="X")
    with pytest.raises(BundleError, match=f"need at least {bundle.min_candles} candles"):
        signal_from_bundle(bundle, candles.iloc[: bundle.min_candles - 1], symbol="X")


def test_spec_and_class_rules() -> None:
    with pytest.raises(ValidationError, match="strictly ascending"):
        TradePolicy(exits=ATR32, take_profit_ladder=[2.0, 1.0])
    with pytest.raises(ValidationError, match="needs exits"):
        TradePolicy(exits=None, take_profit_ladder=[1.0, 2.0])
    with pytest.raises(ValidationError):
        TradePolicy(threshold=0.5, surprise=True)
    with pytest.raises(DataError, match="without a trade direction"):
        class_directions(["DOWN", "SIDEWAYS"])
    assert class_directions(["SELL", "HOLD", "BUY"]) == [
        Direction.SHORT, Direction.FLAT, Direction.LONG]


def test_the_signal_fingerprint_is_the_model_not_its_data(make_bundle, candles: pd.DataFrame) -> None:
    from tradewind.artifacts.digest import bundle_digest

    a, b = make_bundle(seed=0, name="a"), make_bundle(seed=1, name="b")
    assert a.fingerprint == b.fingerprint  # trained on the same candles
    sig_a = signal_from_bundle(a, candles, symbol="X")
    sig_b = signal_from_bundle(b, candles, symbol="X")
    assert sig_a.bundle_fingerprint == bundle_digest(a) != sig_b.bundle_fingerprint
