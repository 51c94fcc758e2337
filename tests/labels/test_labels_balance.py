"""label_balance: counts and shares per class per year, plus overall."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradewind.exceptions import ConfigError
from tradewind.labels import LabelSet, label_balance


def _labels(y, classes=("SELL", "HOLD", "BUY"), fwd=None) -> LabelSet:
    index = pd.DatetimeIndex(
        ["2021-12-31 22:00", "2021-12-31 23:00", "2022-01-01 00:00", "2022-01-01 01:00",
         "2022-01-01 02:00", "2022-01-01 03:00"],
        tz="UTC", name="timestamp",
    )
    y = np.asarray(y, dtype=np.int64)
    fwd = np.zeros(len(y)) if fwd is None else np.asarray(fwd, dtype=np.float64)
    return LabelSet(index=index, y=y, classes=classes, forward_return=fwd, horizon=1)


def test_balance_per_year_and_overall():
    frame = label_balance(_labels([0, 2, 2, 2, 1, -1]), by="year")
    assert list(frame.index) == ["2021", "2022", "all"]
    assert frame.index.name == "period"
    assert list(frame.columns) == [
        "labelled", "unlabelled", "SELL", "HOLD", "BUY", "SELL_share", "HOLD_share", "BUY_share",
    ]
    assert frame.loc["2021", ["labelled", "unlabelled", "SELL", "HOLD", "BUY"]].tolist() == [2, 0, 1, 0, 1]
    assert frame.loc["2022", ["labelled", "unlabelled", "SELL", "HOLD", "BUY"]].tolist() == [3, 1, 0, 1, 2]
    assert frame.loc["all", ["labelled", "unlabelled", "SELL", "HOLD", "BUY"]].tolist() == [5, 1, 1, 1, 3]
    np.testing.assert_allclose(frame.loc["2022", ["SELL_share", "HOLD_share", "BUY_share"]], [0, 1 / 3, 2 / 3])
    np.testing.assert_allclose(frame.loc["all", ["SELL_share", "HOLD_share", "BUY_share"]], [0.2, 0.2, 0.6])


def test_balance_overall_only():
    frame = label_balance(_labels([1, 0, 1, 1, -1, -1], classes=("DOWN", "UP")), by="all")
    assert list(frame.index) == ["all"]
    assert frame.loc["all", ["DOWN", "UP", "unlabelled"]].tolist() == [1, 3, 2]
    assert frame.loc["all", "UP_share"] == 0.75


def test_balance_of_a_year_without_labels_has_nan_shares():
    frame = label_balance(_labels([-1, -1, 0, 1, 2, 2]))
    assert frame.loc["2021", "labelled"] == 0
    assert np.isnan(frame.loc["2021", "BUY_share"])


def test_balance_of_forward_returns():
    fwd = [0.01, -0.02, 0.03, 0.01, np.nan, np.nan]
    frame = label_balance(_labels([-1] * 6, classes=(), fwd=fwd))
    assert list(frame.columns) == ["labelled", "unlabelled", "mean", "std", "positive_share"]
    assert frame.loc["all", "labelled"] == 4
    np.testing.assert_allclose(frame.loc["all", "mean"], 0.0075)
    np.testing.assert_allclose(frame.loc["all", "positive_share"], 0.75)


def test_balance_refuses_unknown_grouping():
    with pytest.raises(ConfigError, match="by"):
        label_balance(_labels([0] * 6), by="month")  # type: ignore[arg-type]
