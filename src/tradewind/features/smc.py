"""``smc``: market-structure ("smart money concepts") features, strictly causal.

- A swing high at bar ``s`` has a high above the ``k`` bars to its left and at least
  as high as the ``k`` bars to its right, so it is only *known* at bar ``s + k``; every
  feature at bar ``t`` uses the swings confirmed by ``t`` (``k = params.swing``).
- A break of structure (BOS) up is the first close above the last confirmed swing high
  (down: below the last swing low). The order block of a BOS up is the last down-close
  bar in the 50 bars before the break (of a BOS down, the last up-close bar).
- A bullish fair-value gap (FVG) is ``low[t] > high[t-2]``, known at the close of bar
  ``t``; it stays open, shrinking as price trades into it, until a low reaches its
  bottom. Bearish gaps mirror this.
- Swings, order blocks and gaps older than ``params.smc_memory`` bars (default 100)
  are forgotten, and ``bars_since_bos_*`` counts up to that many bars, so every
  value depends on a bounded stretch of history: after the warm-up, features computed
  from a short live window equal those computed from years of history (up to the ATR,
  which settles like every Wilder average).

"No such level" reads as far away (``FAR`` ATRs), never as NaN.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tradewind.features.arith import centered_position
from tradewind.features.bars import Bars, atr_warmup

if TYPE_CHECKING:
    from tradewind.features.spec import CoreParams

__all__ = ["DESCRIPTION", "FEATURES", "compute", "warmup"]

DESCRIPTION = "Market structure: swings, breaks of structure, fair-value gaps, order blocks."

FAR = 10.0
"""Distances (in ATR) are clipped to [-FAR, FAR]; a missing level reads FAR."""

FEATURES: tuple[tuple[str, str], ...] = (
    ("swing_high_dist_atr", "(last swing high - close) / ATR, ±10; 10 if none remembered"),
    ("swing_low_dist_atr", "(close - last swing low) / ATR, ±10; 10 if none remembered"),
    ("premium_discount", "close in the last swing low..high range: -1 low, +1 high, ±3"),
    ("bos_up", "1 on the bar whose close first breaks above the last swing high"),
    ("bos_down", "1 on the bar whose close first breaks below the last swing low"),
    ("bars_since_bos_up", "bars since the last BOS up / smc_memory, capped at 1"),
    ("bars_since_bos_down", "bars since the last BOS down / smc_memory, capped at 1"),
    ("fvg_bull_dist_atr", "(close - top of nearest open bullish FVG) / ATR in [0, 10]"),
    ("fvg_bear_dist_atr", "(bottom of nearest open bearish FVG - close) / ATR in [0, 10]"),
    ("ob_bull_dist_atr", "(close - top of last bullish order block) / ATR, ±10; 10 if none"),
    ("ob_bear_dist_atr", "(bottom of last bearish order block - close) / ATR, ±10; 10 if none"),
)


def warmup(params: CoreParams) -> int:
    """Rows before the ATR is settled and every remembered level is fully in view.

    A break at bar ``b`` needs the swing it breaks (at most ``smc_memory + swing`` bars
    back); order blocks and ``bars_since_bos_*`` look back at breaks up to
    ``smc_memory`` bars earlier still.
    """
    return max(atr_warmup(params), 2 * params.smc_memory + params.swing)


def _distance(bars: Bars, diff: np.ndarray, low: float) -> np.ndarray:
    """``diff`` in ATRs clipped to [low, FAR]; NaN (no level yet) reads FAR."""
    out = np.clip(diff / bars.atr(), low, FAR)
    out[np.isnan(diff)] = FAR
    out[np.isnan(bars.atr())] = np.nan
    return out


def compute(bars: Bars) -> dict[str, np.ndarray]:
    """Every smc feature as a float64 array [T] aligned with ``bars``."""
    from tradewind.features import kernels  # numba: imported on first use

    open_, high, low, close = bars.open, bars.high, bars.low, bars.close
    memory = bars.params.smc_memory
    high_idx, low_idx = kernels.swings(high, low, bars.params.swing, memory)
    bos_up, bos_down, ob_bull_top, ob_bear_bottom = kernels.structure(
        open_, high, low, close, high_idx, low_idx, memory
    )
    last_high = np.where(high_idx >= 0, high[high_idx], np.nan)
    last_low = np.where(low_idx >= 0, low[low_idx], np.nan)
    bull_near, bear_near = kernels.gaps(high, low, memory)
    out: dict[str, np.ndarray] = {}
    out["swing_high_dist_atr"] = _distance(bars, last_high - close, -FAR)
    out["swing_low_dist_atr"] = _distance(bars, close - last_low, -FAR)
    premium = np.clip(centered_position(close, last_low, last_high), -3.0, 3.0)
    premium[np.isnan(premium)] = 0.0
    out["premium_discount"] = premium
    out["bos_up"] = bos_up
    out["bos_down"] = bos_down
    out["bars_since_bos_up"] = kernels.bars_since(bos_up > 0, memory) / memory
    out["bars_since_bos_down"] = kernels.bars_since(bos_down > 0, memory) / memory
    out["fvg_bull_dist_atr"] = _distance(bars, close - bull_near, 0.0)
    out["fvg_bear_dist_atr"] = _distance(bars, bear_near - close, 0.0)
    out["ob_bull_dist_atr"] = _distance(bars, close - ob_bull_top, -FAR)
    out["ob_bear_dist_atr"] = _distance(bars, ob_bear_bottom - close, -FAR)
    return out
