"""Labels on real BTC/USDT minute candles: sane shapes, shares and seed-001 style settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradewind.labels import AdaptiveThreshold, ExitSpec, LabelSpec, label_balance, make_labels

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="module")
def btc() -> pd.DataFrame:
    path = DATA / "binanceus_BTC-USDT_1m.parquet"
    if not path.is_file():
        pytest.skip(f"{DATA} not present: real-candle test skipped")
    return pd.read_parquet(path).set_index("timestamp")


@pytest.mark.parametrize(
    "spec",
    [
        LabelSpec(kind="direction", horizon=15),
        # seed 001's settings: floor 0.3 %, multiplier 1.2 (threshold 1 % as the fixed variant)
        LabelSpec(kind="ternary", horizon=15, adaptive=AdaptiveThreshold(multiplier=1.2, floor=0.003)),
        LabelSpec(kind="ternary", horizon=15, threshold=0.010),
        LabelSpec(kind="triple_barrier", horizon=15, exits=ExitSpec(take_profit=2.0, stop_loss=1.0)),
    ],
    ids=["direction", "ternary-adaptive", "ternary-fixed", "triple-barrier"],
)
def test_real_candles(btc, spec):
    labels = make_labels(btc, spec)
    assert len(labels) == len(btc) == 30_240
    assert set(np.unique(labels.y)) <= {-1, *range(len(labels.classes))}
    assert (labels.y[-15:] == -1).all()
    known = labels.y[labels.y >= 0]
    assert known.size > 0.9 * len(btc)
    balance = label_balance(labels)
    assert list(balance.index) == ["2023", "all"]
    assert balance.loc["all", "labelled"] == known.size
    shares = balance.loc["all", [f"{c}_share" for c in labels.classes]].to_numpy(dtype=float)
    np.testing.assert_allclose(shares.sum(), 1.0)
