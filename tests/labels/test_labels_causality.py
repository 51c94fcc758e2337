"""Labels only look forward and never past their horizon (property test), and the numba
triple-barrier labeller agrees with a plain-Python reading of the ExitSpec rules."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.labels import AdaptiveThreshold, ExitSpec, LabelSpec, barrier_levels, make_labels


def _spec(kind: str, horizon: int, unit: str) -> LabelSpec:
    if kind == "ternary":
        return LabelSpec(kind=kind, horizon=horizon,
                         adaptive=AdaptiveThreshold(multiplier=1.0, window=5, floor=0.001))
    if kind == "triple_barrier":
        exits = ExitSpec(take_profit=1.5 if unit == "atr" else 0.01,
                         stop_loss=1.0 if unit == "atr" else 0.008, unit=unit, atr_period=3)
        return LabelSpec(kind=kind, horizon=horizon, exits=exits)
    return LabelSpec(kind=kind, horizon=horizon)


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(["direction", "ternary", "triple_barrier", "forward_return"]),
    unit=st.sampled_from(["atr", "pct"]),
    horizon=st.integers(1, 6),
    n=st.integers(15, 50),
    seed=st.integers(0, 10_000),
    t_frac=st.floats(0.0, 1.0),
    scale=st.sampled_from([0.25, 4.0]),
)
def test_changing_bars_after_the_horizon_never_changes_label_t(
    market, kind, unit, horizon, n, seed, t_frac, scale
):
    bars = market(n, seed)
    t = int(t_frac * (n - 1))
    spec = _spec(kind, horizon, unit)
    before = make_labels(bars, spec)

    changed = bars.copy()
    future = market(n, seed + 1)
    cut = t + horizon + 1  # first bar label t may not read
    if cut < n:
        changed.iloc[cut:] = future.iloc[cut:].to_numpy() * scale
    after = make_labels(changed, spec)

    assert after.y[t] == before.y[t]
    np.testing.assert_array_equal(after.forward_return[t], before.forward_return[t])
    # Everything up to t is unchanged too (labels at s <= t read even fewer future bars).
    np.testing.assert_array_equal(after.y[: t + 1], before.y[: t + 1])


def _reference_triple_barrier(bars, exits: ExitSpec, horizon: int) -> list[int]:
    """Plain-Python reading of the ExitSpec rules for the long side."""
    upper, lower = barrier_levels(bars, exits, "long")
    high, low = bars["high"].to_numpy(), bars["low"].to_numpy()
    n, hold = len(bars), exits.holding_bars(horizon)
    out = []
    for t in range(n):
        if t + horizon > n - 1 or not (np.isfinite(upper[t]) and np.isfinite(lower[t])):
            out.append(-1)
            continue
        label = 1
        for i in range(t + 1, t + hold + 1):
            hit_stop = low[i] <= lower[t] * (1 + 1e-9)
            hit_target = high[i] >= upper[t] * (1 - 1e-9)
            if hit_stop:
                label = 0
                break
            if hit_target:
                label = 2
                break
        out.append(label)
    return out


@settings(max_examples=25, deadline=None)
@given(
    unit=st.sampled_from(["atr", "pct"]),
    horizon=st.integers(1, 8),
    hold_cut=st.integers(0, 3),
    seed=st.integers(0, 10_000),
)
def test_triple_barrier_matches_reference(market, unit, horizon, hold_cut, seed):
    bars = market(80, seed)
    exits = ExitSpec(
        take_profit=1.0 if unit == "atr" else 0.01,
        stop_loss=0.7 if unit == "atr" else 0.007,
        unit=unit,
        atr_period=4,
        max_holding=max(1, horizon - hold_cut),
    )
    labels = make_labels(bars, LabelSpec(kind="triple_barrier", horizon=horizon, exits=exits))
    assert labels.y.tolist() == _reference_triple_barrier(bars, exits, horizon)
