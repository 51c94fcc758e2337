"""A real bundle whose edge switches off half-way through its live replay.

The market has a planted edge that is gone after ``TRAIN + HALF`` bars. The experiment is
run on the first ``TRAIN`` bars (edge everywhere); the bars after it are replayed through
the live loop with that bundle, the log keeps the candles, and the outcomes are filled
from them. Signals of the first ``HALF`` replayed bars had the edge, the rest did not.
"""

from __future__ import annotations

import pytest
from monitor_helpers import (
    HALF,
    SOURCE,
    SYMBOL,
    TIMEFRAME,
    TRAIN,
    Decayed,
    experiment,
    fill_outcomes,
)

from tradewind.artifacts.bundle import load_bundle
from tradewind.data import parse_synthetic_source
from tradewind.live import ReplaySource, SignalLog, run_live
from tradewind.pipeline.experiment import run_experiment


@pytest.fixture(scope="session")
def decayed(tmp_path_factory: pytest.TempPathFactory) -> Decayed:
    root = tmp_path_factory.mktemp("decayed")
    candles = parse_synthetic_source(SOURCE).candles
    train = root / "train.parquet"
    candles.iloc[:TRAIN].to_parquet(train)
    result = run_experiment(experiment(str(train)), out_dir=root / "run", progress=False,
                            html=False)
    bundle = load_bundle(result.bundle_path)
    log_path = root / "signals.sqlite"
    with SignalLog(log_path) as log:
        replay = candles.iloc[TRAIN - bundle.min_candles + 1:]
        run_live(bundle, source=ReplaySource(replay), log=log, symbol=SYMBOL,
                 timeframe=TIMEFRAME, history=300, show=False, allow_refused=True)
        log.store_candles(SYMBOL, TIMEFRAME, replay)
        fill_outcomes(log, SYMBOL, TIMEFRAME, horizon=1)
    return Decayed(log_path, bundle, result.bundle_path, candles,
                   candles.index[TRAIN + HALF - 2])
