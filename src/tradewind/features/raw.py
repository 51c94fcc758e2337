"""Raw OHLCV levels, the inputs of seed 004's post-mortem.

These are *not* scale-free: BTC closes near 80,000 reach the network as 80,000 unless a
normaliser is fitted, and even then a trending price leaves the training range out of
sample. The set exists so users can reproduce that failure and watch the input-scale
audit and the promotion gate refuse it; prefer ``core15`` for real work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tradewind.features.bars import Bars

if TYPE_CHECKING:
    from tradewind.features.spec import CoreParams

__all__ = ["DESCRIPTION", "FEATURES", "compute", "warmup"]

DESCRIPTION = "Raw open/high/low/close/volume levels (not scale-free; for reproducing seed 004)."

FEATURES: tuple[tuple[str, str], ...] = (
    ("raw_open", "open price as traded"),
    ("raw_high", "high price as traded"),
    ("raw_low", "low price as traded"),
    ("raw_close", "close price as traded"),
    ("raw_volume", "volume as traded"),
)


def warmup(params: CoreParams) -> int:
    """No warm-up: every value is the bar itself."""
    return 0


def compute(bars: Bars) -> dict[str, np.ndarray]:
    """The bar's own levels, undoing the first-close scaling of :class:`Bars`."""
    return {
        "raw_open": bars.open * bars.price_unit,
        "raw_high": bars.high * bars.price_unit,
        "raw_low": bars.low * bars.price_unit,
        "raw_close": bars.close * bars.price_unit,
        "raw_volume": bars.volume * bars.volume_unit,
    }
