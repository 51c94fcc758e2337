"""A data policy's ``gaps`` applied to a window: refused naming the first missing bar,
filled with flat bars, or allowed with a warning."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradewind.data import DataPolicy, load, validate
from tradewind.data.gaps import apply_gap_policy, fill_gaps
from tradewind.exceptions import DataError


def _with_gap(candles: Callable[..., pd.DataFrame]) -> pd.DataFrame:
    frame = candles(12)
    return frame.drop(frame.index[[4, 5, 9]])  # 2 bars missing from 04:00, 1 from 09:00


def test_fill_inserts_flat_bars_at_the_previous_close(candles) -> None:
    gappy = _with_gap(candles)
    filled, n = fill_gaps(gappy, 3600)
    assert n == 3
    pd.testing.assert_index_equal(filled.index, candles(12).index)
    before = float(gappy.loc[pd.Timestamp("2024-01-01 03:00", tz="UTC"), "close"])
    for ts in ("2024-01-01 04:00", "2024-01-01 05:00"):
        row = filled.loc[pd.Timestamp(ts, tz="UTC")]
        assert row[["open", "high", "low", "close"]].tolist() == [before] * 4
        assert row["volume"] == 0.0
    pd.testing.assert_frame_equal(filled.loc[gappy.index], gappy)
    assert filled.dtypes.to_dict() == gappy.dtypes.to_dict()
    full = candles(5)
    same, none = fill_gaps(full, 3600)
    assert none == 0 and same is full


def test_each_mode_of_the_policy(candles) -> None:
    gappy = _with_gap(candles)
    with pytest.raises(DataError, match=r"first missing bar opening at 2024-01-01T04:00:00\+00:00"):
        apply_gap_policy(gappy, 3600, "error", where="/v1/signal")
    kept, allow_notes = apply_gap_policy(gappy, 3600, "allow", where="x")
    assert kept is gappy
    assert allow_notes[0].startswith("3 bar(s) missing in 2 gap(s)") and "'allow'" in allow_notes[0]
    filled, fill_notes = apply_gap_policy(gappy, 3600, "fill", where="x")
    assert len(filled) == 12 and "'fill'" in fill_notes[0]
    full = candles(12)
    for mode in ("error", "fill", "allow"):
        assert apply_gap_policy(full, 3600, mode, where="x") == (full, [])


def test_load_fills_gaps_when_the_policy_says_so(tmp_path: Path, candles) -> None:
    path = tmp_path / "gappy.csv"
    _with_gap(candles).to_csv(path)
    loaded = load(path, policy=DataPolicy(gaps="fill"))
    assert len(loaded) == 12 and np.isfinite(loaded.to_numpy()).all()
    report = validate(loaded, timeframe="1h")
    assert report.ok and not [f for f in report.findings if f.rule == "gaps"]
    assert loaded.attrs["validation"][0]["rule"] == "gaps"  # what the file held is still reported
    assert len(load(path)) == 9
