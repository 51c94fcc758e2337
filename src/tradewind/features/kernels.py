"""Compiled (numba) loops for what TA-Lib and numpy cannot do in one vectorised pass.

Every kernel is causal: output row ``t`` reads input rows ``<= t`` only. Window sums
are recomputed per row (O(n·T)) rather than carried as running totals, so a window of
zeros sums to exactly zero and a ratio of two window sums is never a ratio of rounding
residues. This module is imported on first use, so ``import tradewind.features`` does
not pay for importing numba.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["bars_since", "gaps", "rolling_sum", "structure", "swings"]

OB_SEARCH = 50
"""An order block is searched for in the bars before a break of structure, this far back."""


@njit(cache=True, nogil=True)
def rolling_sum(x: np.ndarray, n: int) -> np.ndarray:
    """Sum of the last ``n`` values ending at each row; NaN for the first ``n - 1`` rows."""
    size = x.shape[0]
    out = np.full(size, np.nan)
    for i in range(n - 1, size):
        total = 0.0
        for j in range(i - n + 1, i + 1):
            total += x[j]
        out[i] = total
    return out


@njit(cache=True, nogil=True)
def bars_since(event: np.ndarray, cap: int) -> np.ndarray:
    """Bars since the last row where ``event`` is true (0 on the event row), capped at ``cap``.

    Before the first event the count starts at ``cap``, so the value never depends on
    where the series begins once ``cap`` bars have passed.
    """
    size = event.shape[0]
    out = np.empty(size)
    count = cap
    for i in range(size):
        if event[i]:
            count = 0
        elif count < cap:
            count += 1
        out[i] = count
    return out


@njit(cache=True, nogil=True)
def swings(high: np.ndarray, low: np.ndarray, k: int, memory: int) -> tuple[np.ndarray, np.ndarray]:
    """Bar index of the last confirmed swing high / low at each bar (-1: none).

    Bar ``s`` is a swing high when its high is above the ``k`` highs before it and not
    below the ``k`` after it; that is known at bar ``s + k``. A swing older than
    ``memory`` bars is forgotten, so the output depends on the last ``memory + k`` bars.
    """
    size = high.shape[0]
    last_high = np.full(size, -1, dtype=np.int64)
    last_low = np.full(size, -1, dtype=np.int64)
    sh = -1
    sl = -1
    for t in range(2 * k, size):
        s = t - k
        is_high = True
        is_low = True
        for j in range(s - k, s):
            if high[j] >= high[s]:
                is_high = False
            if low[j] <= low[s]:
                is_low = False
        for j in range(s + 1, t + 1):
            if high[j] > high[s]:
                is_high = False
            if low[j] < low[s]:
                is_low = False
        if is_high:
            sh = s
        if is_low:
            sl = s
        last_high[t] = sh if sh >= 0 and t - sh <= memory else -1
        last_low[t] = sl if sl >= 0 and t - sl <= memory else -1
    return last_high, last_low


@njit(cache=True, nogil=True)
def structure(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    last_high: np.ndarray,
    last_low: np.ndarray,
    memory: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Break-of-structure flags and the active order-block edges (NaN: none).

    ``last_high`` / ``last_low`` are :func:`swings` output. A BOS up is the first close
    above the current swing high (down: below the swing low). Its order block is the
    last down-close bar (up-close for a BOS down) within ``OB_SEARCH`` bars before the
    break; the block's top (bottom) is reported until the next BOS of that direction or
    until the break is older than ``memory`` bars.
    """
    size = close.shape[0]
    bos_up = np.zeros(size)
    bos_down = np.zeros(size)
    ob_bull_top = np.full(size, np.nan)
    ob_bear_bottom = np.full(size, np.nan)
    broken_high = -1
    broken_low = -1
    bull_top = np.nan
    bear_bottom = np.nan
    bull_at = -1
    bear_at = -1
    for t in range(size):
        sh = last_high[t]
        sl = last_low[t]
        if sh >= 0 and sh != broken_high and close[t] > high[sh]:
            bos_up[t] = 1.0
            broken_high = sh
            bull_top = np.nan
            bull_at = t
            for j in range(t - 1, max(-1, t - 1 - OB_SEARCH), -1):
                if close[j] < open_[j]:
                    bull_top = high[j]
                    break
        if sl >= 0 and sl != broken_low and close[t] < low[sl]:
            bos_down[t] = 1.0
            broken_low = sl
            bear_bottom = np.nan
            bear_at = t
            for j in range(t - 1, max(-1, t - 1 - OB_SEARCH), -1):
                if close[j] > open_[j]:
                    bear_bottom = low[j]
                    break
        if bull_at >= 0 and t - bull_at <= memory:
            ob_bull_top[t] = bull_top
        if bear_at >= 0 and t - bear_at <= memory:
            ob_bear_bottom[t] = bear_bottom
    return bos_up, bos_down, ob_bull_top, ob_bear_bottom


@njit(cache=True, nogil=True)
def gaps(high: np.ndarray, low: np.ndarray, memory: int) -> tuple[np.ndarray, np.ndarray]:
    """Top of the nearest open bullish FVG and bottom of the nearest open bearish FVG.

    A bullish gap ``low[t] > high[t-2]`` spans ``[high[t-2], low[t]]``; later lows trade
    into it (its top moves down to them) until one reaches its bottom (filled). Bearish
    gaps mirror this. Gaps older than ``memory`` bars are forgotten; NaN: no open gap.
    """
    size = high.shape[0]
    bull_near = np.full(size, np.nan)
    bear_near = np.full(size, np.nan)
    cap = memory + 1
    bull_top = np.empty(cap)
    bull_bottom = np.empty(cap)
    bull_born = np.empty(cap, dtype=np.int64)
    bear_top = np.empty(cap)
    bear_bottom = np.empty(cap)
    bear_born = np.empty(cap, dtype=np.int64)
    n_bull = 0
    n_bear = 0
    for t in range(size):
        keep = 0
        best = np.nan
        for g in range(n_bull):
            if low[t] > bull_bottom[g] and t - bull_born[g] <= memory:
                top = min(bull_top[g], low[t])
                bull_top[keep] = top
                bull_bottom[keep] = bull_bottom[g]
                bull_born[keep] = bull_born[g]
                keep += 1
                if np.isnan(best) or top > best:
                    best = top
        n_bull = keep
        if t >= 2 and low[t] > high[t - 2]:
            bull_top[n_bull] = low[t]
            bull_bottom[n_bull] = high[t - 2]
            bull_born[n_bull] = t
            n_bull += 1
            if np.isnan(best) or low[t] > best:
                best = low[t]
        bull_near[t] = best
        keep = 0
        best = np.nan
        for g in range(n_bear):
            if high[t] < bear_top[g] and t - bear_born[g] <= memory:
                bottom = max(bear_bottom[g], high[t])
                bear_bottom[keep] = bottom
                bear_top[keep] = bear_top[g]
                bear_born[keep] = bear_born[g]
                keep += 1
                if np.isnan(best) or bottom < best:
                    best = bottom
        n_bear = keep
        if t >= 2 and high[t] < low[t - 2]:
            bear_top[n_bear] = low[t - 2]
            bear_bottom[n_bear] = high[t]
            bear_born[n_bear] = t
            n_bear += 1
            if np.isnan(best) or high[t] < best:
                best = high[t]
        bear_near[t] = best
    return bull_near, bear_near
