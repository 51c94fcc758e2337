"""Reference candles for a live bundle with cross-asset features (``features.cross``).

Each reference has its own :class:`~tradewind.live.sources.CandleSource`: a replayed
file (its whole frame is read, then cut by time) or the same exchange's candles of
another symbol, fetched once per poll. Before a bar's signal every reference frame is
cut at that bar's **close**: only reference bars that had closed by then reach the
feature computation, whatever the source returned (a replay file runs past the bar, an
exchange poll may come a moment after the close). The as-of join itself is in
:mod:`tradewind.features.cross`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from tradewind.artifacts.bundle import Bundle
from tradewind.exceptions import ConfigError
from tradewind.features.cross import reference_warmup
from tradewind.features.cross_spec import CrossSpec
from tradewind.features.spec import CoreParams
from tradewind.live.sources import CandleSource, ReplaySource
from tradewind.signals.ensemble import Ensemble
from tradewind.timeframes import timeframe_seconds

__all__ = ["ReferenceFeed", "cross_of"]


def cross_of(predictor: Bundle | Ensemble, what: str) -> list[CrossSpec]:
    """The model's ``features.cross`` references; an ensemble with any is refused (its
    members each compute their own features, and take no reference candles)."""
    if isinstance(predictor, Ensemble):
        if any(b.feature_spec.cross for b in predictor.bundles):
            raise ConfigError(f"{what}: an ensemble whose members use cross-asset features "
                              "(features.cross) cannot run live; run the member bundle itself")
        return []
    return list(predictor.feature_spec.cross)


class ReferenceFeed:
    """The reference candles of one lane, refreshed each poll and cut at each bar's close.

    ``sources`` are the references' candle sources by name: exactly the names of
    ``cross`` (a bundle never reads its training sources); ``params`` the bundle's core
    feature parameters (for each reference's warm-up).
    """

    def __init__(self, cross: Sequence[CrossSpec], sources: Mapping[str, CandleSource] | None,
                 params: CoreParams | None, what: str) -> None:
        given = dict(sources or {})
        missing = [f"{s.name} (trained on {s.source})" for s in cross if s.name not in given]
        extra = sorted(n for n in given if n not in {s.name for s in cross})
        if missing or extra:
            names = [s.name for s in cross] or "none"
            raise ConfigError(
                f"{what}: the model's features.cross references are {names}: give each one's "
                "candles (tradewind live --reference NAME=SOURCE)"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unexpected {extra}" if extra else ""))
        self.specs = list(cross)
        self.sources = given
        self.warmup = {s.name: reference_warmup(s, params or CoreParams()) for s in cross}
        self.frames: dict[str, pd.DataFrame] = {}

    def __bool__(self) -> bool:
        return bool(self.specs)

    def poll(self, first_open: pd.Timestamp, last_close: pd.Timestamp) -> None:
        """Fetch each reference's closed bars reaching back over ``first_open`` (plus the
        reference's own warm-up) up to the newest one."""
        for spec in self.specs:
            source = self.sources[spec.name]
            if isinstance(source, ReplaySource):
                self.frames[spec.name] = source.frame
                continue
            length = pd.Timedelta(seconds=timeframe_seconds(source.timeframe))
            bars = int(np.ceil((last_close - first_open) / length)) + self.warmup[spec.name] + 2
            self.frames[spec.name] = source.closed_candles(bars)

    def upto(self, close: pd.Timestamp) -> dict[str, pd.DataFrame]:
        """Each reference's bars that had closed by ``close`` (open + length <= close)."""
        cut: dict[str, pd.DataFrame] = {}
        for spec in self.specs:
            frame = self.frames[spec.name]
            length = pd.Timedelta(seconds=timeframe_seconds(self.sources[spec.name].timeframe))
            cut[spec.name] = frame.loc[:close - length]
        return cut
