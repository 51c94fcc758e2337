"""The live loop runs its monitor check every N signals, warns, and never stops for it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tradewind.artifacts.bundle import Bundle
from tradewind.exceptions import ConfigError
from tradewind.live import ReplaySource, SignalLog, run_live


def test_the_monitor_hook_runs_every_n_signals_and_its_failures_are_warnings(
    bundle: Bundle, candles: pd.DataFrame, tmp_path: Path
) -> None:
    seen: list[int] = []

    def hook(log: SignalLog, model: object) -> list[str]:
        seen.append(len(log.signals("BTC/USDT", "1h")))
        if len(seen) == 2:
            raise RuntimeError("registry locked")
        return [f"breach: check {len(seen)}"]

    with SignalLog(tmp_path / "log.sqlite") as log:
        result = run_live(bundle, source=ReplaySource(candles), log=log, symbol="BTC/USDT",
                          timeframe="1h", show=False, paper=False, monitor=hook,
                          monitor_every=10, max_bars=35)
    assert len(result.logged) == 35  # the failing check did not stop the loop
    assert seen == [10, 20, 30]
    assert result.monitor_warnings[0] == "breach: check 1"
    assert "the monitor check failed (RuntimeError: registry locked)" in result.monitor_warnings[1]
    assert result.monitor_warnings[2] == "breach: check 3"


def test_monitor_every_must_be_positive(bundle: Bundle, candles: pd.DataFrame,
                                        tmp_path: Path) -> None:
    with SignalLog(tmp_path / "log.sqlite") as log, pytest.raises(ConfigError, match="monitor_every"):
        run_live(bundle, source=ReplaySource(candles), log=log, symbol="BTC/USDT",
                 timeframe="1h", show=False, monitor=lambda *_: [], monitor_every=0)
