"""One contract every feature set, user indicator and multi-timeframe spec must keep.

Finite after warm-up, fixed column order, warm-up reported and predicted, scale-free in
price and volume, and causal: changing, dropping or appending bars after ``t`` never
changes a feature at a row ``<= t`` (a hypothesis property test).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from features_helpers import contract_specs, make_candles, scaled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradewind.exceptions import DataError
from tradewind.features import FEATURE_SETS, Features, FeatureSpec, compute, warmup_bars


def _freq(timeframe: str) -> str:
    return timeframe.replace("m", "min")


def _expected_names(spec: FeatureSpec) -> tuple[list[str], list[str]]:
    names = [f for s in spec.sets for f in FEATURE_SETS[s].names]
    names += [ind.column for ind in spec.indicators]
    for higher in spec.higher_timeframes:
        names += [higher.prefix + f for s in higher.sets for f in FEATURE_SETS[s].names]
    side = [f for s in spec.side_sets for f in FEATURE_SETS[s].names]
    return names, side


def _case_candles(spec: FeatureSpec, timeframe: str, extra: int, seed: int, **kw) -> pd.DataFrame:
    n = warmup_bars(spec, timeframe) + extra
    return make_candles(n, seed, freq=_freq(timeframe), **kw)


def test_finite_ordered_and_warmup_reported(contract_case) -> None:
    _, spec, timeframe = contract_case
    candles = _case_candles(spec, timeframe, 150, seed=3, flat=0.05, zero_volume=0.1)
    feats = compute(candles, spec, timeframe=timeframe)
    names, side_names = _expected_names(spec)
    assert isinstance(feats, Features)
    assert feats.names == names == list(feats.frame.columns)
    assert len(set(names)) == len(names), "duplicate column names"
    assert feats.side_names == side_names
    assert feats.frame.dtypes.eq(np.float64).all()
    assert np.isfinite(feats.frame.to_numpy()).all()
    assert feats.frame.index.equals(candles.index[feats.warmup_rows :])
    if side_names:
        assert feats.side is not None and list(feats.side.columns) == side_names
        assert feats.side.index.equals(feats.frame.index)
        assert np.isfinite(feats.side.to_numpy()).all()
    else:
        assert feats.side is None
    bound = warmup_bars(spec, timeframe)
    if spec.higher_timeframes:
        assert 0 < feats.warmup_rows <= bound
    else:
        assert feats.warmup_rows == bound


def test_warmup_bars_is_enough_history_for_one_row(contract_case) -> None:
    """Worst-case start inside a higher bar: ``warmup_bars + 1`` bars give >= 1 row."""
    _, spec, timeframe = contract_case
    minutes = int(timeframe[:-1])
    start = pd.Timestamp("2024-01-01 00:00") + pd.Timedelta(minutes=minutes)
    need = warmup_bars(spec, timeframe)
    candles = make_candles(need + 1, 5, freq=_freq(timeframe), start=str(start))
    feats = compute(candles, spec, timeframe=timeframe)
    assert len(feats.frame) >= 1
    if not spec.higher_timeframes:
        assert len(feats.frame) == 1
        with pytest.raises(DataError, match=f"at least {need + 1}"):
            compute(candles.iloc[:need], spec, timeframe=timeframe)


@pytest.mark.parametrize(
    ("price", "volume"), [(1000.0, 1.0), (1e-6, 1.0), (1.0, 1000.0), (1000.0, 1e-3)]
)
def test_scale_free(contract_case, price: float, volume: float) -> None:
    name, spec, timeframe = contract_case
    candles = _case_candles(spec, timeframe, 120, seed=11, flat=0.03, zero_volume=0.1)
    base = compute(candles, spec, timeframe=timeframe)
    other = compute(scaled(candles, price, volume), spec, timeframe=timeframe)
    assert other.names == base.names and other.warmup_rows == base.warmup_rows
    if not all(FEATURE_SETS[s].scale_free for s in spec.sets):
        # raw levels must move with the price: that is what the set is for
        ratio = other.frame["raw_close"].to_numpy() / base.frame["raw_close"].to_numpy()
        np.testing.assert_allclose(ratio, price, rtol=1e-9)
        return
    np.testing.assert_allclose(
        other.frame.to_numpy(), base.frame.to_numpy(), rtol=1e-9, atol=1e-9, err_msg=name
    )
    if base.side is not None:
        np.testing.assert_allclose(
            other.side.to_numpy(), base.side.to_numpy(), rtol=1e-9, atol=1e-9, err_msg=name
        )


def _future_changed(candles: pd.DataFrame, t: int, mode: str, seed: int, freq: str) -> pd.DataFrame:
    """Candles equal to ``candles`` up to row ``t`` and anything after it."""
    head = candles.iloc[: t + 1]
    if mode == "truncate":
        return head
    n_new = len(candles) - t - 1 + (25 if mode == "append" else 0)
    if mode == "extend":
        n_new = 25
        head = candles
    if n_new == 0:
        return head
    level = float(head["close"].iloc[-1]) * np.exp(np.random.default_rng(seed).normal(0, 0.05))
    start = head.index[-1] + pd.Timedelta(freq)
    tail = make_candles(n_new, seed, freq=freq, start=str(start.tz_convert(None)), price=level)
    return pd.concat([head, tail])


def _assert_same_upto(a: Features, b: Features, cutoff: pd.Timestamp) -> None:
    for left, right in ((a.frame, b.frame), (a.side, b.side)):
        if left is None:
            assert right is None
            continue
        x, y = left.loc[:cutoff], right.loc[:cutoff]
        assert x.index.equals(y.index)
        np.testing.assert_allclose(y.to_numpy(), x.to_numpy(), rtol=0.0, atol=1e-12)


@st.composite
def _scenarios(draw: st.DrawFn) -> dict:
    return {
        "seed": draw(st.integers(0, 2**31 - 1)),
        "extra": draw(st.integers(1, 60)),
        "cuts": draw(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6)),
        "mode": draw(st.sampled_from(["truncate", "replace", "append", "extend"])),
        "flat": draw(st.sampled_from([0.0, 0.1, 0.5])),
        "zero_volume": draw(st.sampled_from([0.0, 0.3, 1.0])),
        "vol": draw(st.sampled_from([0.002, 0.02])),
    }


@pytest.mark.parametrize("case", sorted(contract_specs()))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=_scenarios())
def test_no_lookahead(case: str, scenario: dict) -> None:
    """Changing, dropping or appending bars after t leaves every row <= t unchanged.

    Each example checks several cut points ``t``: the first with the drawn change,
    the others by dropping every bar after ``t`` (what a live loop sees).
    """
    spec, timeframe = contract_specs()[case]
    freq = _freq(timeframe)
    need = warmup_bars(spec, timeframe)
    candles = make_candles(
        need + scenario["extra"],
        scenario["seed"],
        freq=freq,
        flat=scenario["flat"],
        zero_volume=scenario["zero_volume"],
        vol=scenario["vol"],
    )
    before = compute(candles, spec, timeframe=timeframe)
    for k, cut in enumerate(scenario["cuts"]):
        t = need + int(cut * (scenario["extra"] - 1))
        mode = scenario["mode"] if k == 0 else "truncate"
        changed = _future_changed(candles, t, mode, scenario["seed"] + 1, freq)
        assert changed.iloc[: t + 1].equals(candles.iloc[: t + 1])
        after = compute(changed, spec, timeframe=timeframe)
        assert after.names == before.names and after.warmup_rows == before.warmup_rows
        _assert_same_upto(before, after, candles.index[t])
