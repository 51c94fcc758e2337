"""The live loop applies the bundle's data policy to each window: gaps refused naming the
first missing bar, or filled and noted in the logged signal's warnings."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tradewind.artifacts.bundle import Bundle
from tradewind.data.gaps import fill_gaps
from tradewind.exceptions import DataError
from tradewind.live import ReplaySource, SignalLog, run_live
from tradewind.signals import signal_from_bundle


def _with_policy(bundle: Bundle, gaps: str) -> Bundle:
    data = {**bundle.manifest.data, "policy": {"gaps": gaps, "zero_volume": "allow"}}
    return Bundle(manifest=bundle.manifest.model_copy(update={"data": data}), model=bundle.model,
                  normalizer=bundle.normalizer, side_normalizer=None, calibrator=bundle.calibrator)


def test_live_refuses_or_fills_gaps_as_the_bundle_policy_says(
    bundle: Bundle, candles: pd.DataFrame, tmp_path: Path
) -> None:
    gappy = candles.drop(candles.index[150:153])
    first_missing = candles.index[150].isoformat()
    with SignalLog(tmp_path / "error.sqlite") as log:
        with pytest.raises(DataError, match=re.escape(f"first missing bar opening at {first_missing}")):
            run_live(_with_policy(bundle, "error"), source=ReplaySource(gappy), log=log,
                     symbol="X", timeframe="1h", show=False)
        before_gap = log.signals("X", "1h")
    assert before_gap and before_gap[-1].timestamp == candles.index[149]
    with SignalLog(tmp_path / "fill.sqlite") as log:
        run_live(_with_policy(bundle, "fill"), source=ReplaySource(gappy), log=log, symbol="X",
                 timeframe="1h", show=False)
        logged = log.signals("X", "1h")
    after = [s for s in logged if s.timestamp > candles.index[150]]
    assert after and all("filled with flat bars" in s.warnings[0] for s in after)
    assert all(s.warnings == [] for s in logged if s.timestamp < candles.index[150])
    filled, n = fill_gaps(gappy, 3600)
    assert n == 3
    want = signal_from_bundle(bundle, filled, symbol="X", timeframe="1h")
    assert logged[-1].probabilities == pytest.approx(want.probabilities, abs=1e-9)
