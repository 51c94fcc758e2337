"""Scale-free arithmetic shared by the feature sets: guarded ratios, positions, z-scores.

Rolling mean and standard deviation come from TA-Lib (running sums, O(T)); only
z-scores and return volatilities use them, where a residue over a residue is harmless.
"""

from __future__ import annotations

import numpy as np
import talib

__all__ = [
    "ATR_CLIP",
    "EPS_PRICE",
    "RETURN_STD_FLOOR",
    "centered_position",
    "ratio",
    "rolling_mean_std",
    "shift",
    "sign",
    "zscore",
]

EPS_PRICE = 1e-9
"""Price denominators are floored at ``EPS_PRICE * close`` (a floor that scales with price)."""

RETURN_STD_FLOOR = 1e-9
"""A standard deviation of returns at or below this is rounding noise (a flat stretch)."""

ATR_CLIP = 50.0
"""ATR-scaled distances are clipped to ±ATR_CLIP (ATR decays towards 0 on flat bars)."""


def shift(x: np.ndarray, k: int) -> np.ndarray:
    """``x`` delayed by ``k`` rows (row t holds x[t-k]); the first ``k`` rows are NaN."""
    out = np.empty_like(x)
    out[:k] = np.nan
    out[k:] = x[: len(x) - k]
    return out


def ratio(num: np.ndarray, den: np.ndarray, default: float) -> np.ndarray:
    """``num / den`` where ``den > 0``, else ``default`` (NaN inputs stay NaN)."""
    out = np.full_like(num, default)
    np.divide(num, den, out=out, where=den > 0)
    out[np.isnan(num) | np.isnan(den)] = np.nan
    return out


def centered_position(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Position of ``x`` in ``[low, high]`` mapped to ``[-1, 1]``; 0 when the range is empty."""
    return ratio(2.0 * x - high - low, high - low, 0.0)


def sign(x: np.ndarray) -> np.ndarray:
    """Sign of ``x`` (-1, 0, 1); NaN stays NaN."""
    return np.sign(x)


def rolling_mean_std(x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and population standard deviation of the last ``n`` values (TA-Lib SMA, VAR).

    TA-Lib keeps running sums (O(T)); its variance is clamped at 0, so a window of
    identical values has std 0 or rounding noise far below the values' own scale.
    """
    mean = talib.SMA(x, timeperiod=n)
    std = np.sqrt(np.maximum(talib.VAR(x, timeperiod=n, nbdev=1.0), 0.0))
    return mean, std


def zscore(x: np.ndarray, n: int, clip: float = 10.0) -> np.ndarray:
    """``(x - mean_n) / std_n`` over the last ``n`` rows, clipped to ±clip.

    A window whose spread is rounding noise (std <= 1e-9 of its scale) gives 0, so
    constant stretches (e.g. zero volume) read as "normal", never as ±clip.
    """
    mean, std = rolling_mean_std(x, n)
    scale = np.abs(mean) + std
    out = np.zeros_like(x)
    ok = std > 1e-9 * scale
    np.divide(x - mean, std, out=out, where=ok)
    out[np.isnan(std)] = np.nan
    return np.clip(out, -clip, clip)
