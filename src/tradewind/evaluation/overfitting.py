"""Probability of backtest overfitting (PBO) by combinatorially symmetric cross-validation.

Bailey, Borwein, López de Prado & Zhu (2017), "The probability of backtest overfitting".
Given the per-period returns of N strategies (the trials of a sweep) over the same T
periods, CSCV cuts the T rows into S contiguous blocks and, for each of the C(S, S/2) ways
of calling half of the blocks in-sample (IS) and the other half out-of-sample (OOS):

1. picks the strategy with the best IS Sharpe ratio;
2. finds its rank among the N strategies by OOS Sharpe (1 = worst, N = best, ties
   averaged) and its relative rank ``ω = rank / (N + 1)``;
3. records the logit ``λ = ln(ω / (1 − ω))``: positive when the IS winner is above the
   OOS median, negative when below.

PBO is the share of splits with ``λ ≤ 0``: how often picking the best-looking configuration
picks one no better than the median out of sample. It is ~0.5 when no strategy has skill
(the IS winner is a random draw OOS) and ~0 when one strategy truly dominates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from tradewind.exceptions import DataError

__all__ = ["OverfittingResult", "probability_of_backtest_overfitting"]

_MAX_COMBINATIONS = 200_000


@dataclass(frozen=True)
class OverfittingResult:
    """What CSCV found.

    ``logits`` [C] holds ``λ`` of every IS/OOS split; ``prob_oos_loss`` is the share of
    splits where the IS winner's OOS Sharpe ratio is below zero.
    """

    pbo: float
    logits: np.ndarray
    prob_oos_loss: float
    n_blocks: int
    n_combinations: int
    n_strategies: int
    n_periods: int

    def to_dict(self) -> dict[str, float | int]:
        """Plain JSON summary (the logits as their median, not the whole array)."""
        return {
            "pbo": float(self.pbo),
            "median_logit": float(np.median(self.logits)),
            "prob_oos_loss": float(self.prob_oos_loss),
            "n_blocks": self.n_blocks,
            "n_combinations": self.n_combinations,
            "n_strategies": self.n_strategies,
            "n_periods": self.n_periods,
        }


def _sharpe(count: np.ndarray, total: np.ndarray, total_sq: np.ndarray) -> np.ndarray:
    """Per-period Sharpe ratio [C, N] from row counts [C, 1] and sums [C, N].

    A strategy with no variance on the rows (never in the market) scores 0.
    """
    mean = total / count
    var = np.maximum(total_sq - count * mean * mean, 0.0) / np.maximum(count - 1, 1)
    scale = np.maximum(total_sq / count, np.finfo(np.float64).tiny)
    flat = var <= 1e-12 * scale
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(flat, 0.0, mean / np.sqrt(np.where(flat, 1.0, var)))


def probability_of_backtest_overfitting(
    returns: np.ndarray, *, n_blocks: int = 16
) -> OverfittingResult:
    """PBO of choosing the best of N strategies by their in-sample Sharpe ratio.

    Parameters
    ----------
    returns
        float [T, N]: row t is period t (time order), column n is strategy n's return in
        that period. Periods where a strategy is flat hold 0, not NaN.
    n_blocks
        S, the even number of contiguous blocks the T rows are cut into (each at least 2
        rows); there are C(S, S/2) splits (12,870 for S = 16).

    Returns
    -------
    OverfittingResult
        ``pbo`` in [0, 1] and the split-by-split logits.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> noise = rng.normal(0, 0.01, size=(2000, 20))
    >>> 0.2 < probability_of_backtest_overfitting(noise, n_blocks=10).pbo < 0.8
    True
    """
    r = np.asarray(returns, dtype=np.float64)
    if r.ndim != 2:
        raise DataError(f"returns must be [T periods, N strategies]; got shape {r.shape}")
    n_periods, n_strategies = r.shape
    if n_strategies < 2:
        raise DataError(f"PBO compares strategies: need at least 2 columns, got {n_strategies}")
    if n_blocks < 2 or n_blocks % 2:
        raise DataError(f"n_blocks must be an even number >= 2, got {n_blocks}")
    if n_periods < 2 * n_blocks:
        raise DataError(
            f"{n_periods} periods cannot fill {n_blocks} blocks of at least 2 rows; "
            f"use fewer blocks (at most {max(n_periods // 2 // 2 * 2, 0)}) or longer series"
        )
    if not np.isfinite(r).all():
        bad = np.argwhere(~np.isfinite(r))[0]
        raise DataError(
            f"returns has a non-finite value at period {bad[0]}, strategy {bad[1]}; "
            "fill periods without a position with 0"
        )
    n_comb = math.comb(n_blocks, n_blocks // 2)
    if n_comb > _MAX_COMBINATIONS:
        raise DataError(f"n_blocks={n_blocks} gives {n_comb:,} splits; use at most 20 blocks")

    edges = np.linspace(0, n_periods, n_blocks + 1).round().astype(np.int64)
    csum = np.vstack([np.zeros((1, n_strategies)), np.cumsum(r, axis=0)])
    csq = np.vstack([np.zeros((1, n_strategies)), np.cumsum(r * r, axis=0)])
    block_sum = csum[edges[1:]] - csum[edges[:-1]]  # [S, N]
    block_sq = csq[edges[1:]] - csq[edges[:-1]]
    block_len = (edges[1:] - edges[:-1]).astype(np.float64)[:, None]  # [S, 1]

    mask = np.zeros((n_comb, n_blocks), dtype=np.float64)
    for row, chosen in enumerate(combinations(range(n_blocks), n_blocks // 2)):
        mask[row, list(chosen)] = 1.0
    rest = 1.0 - mask
    is_sr = _sharpe(mask @ block_len, mask @ block_sum, mask @ block_sq)  # [C, N]
    oos_sr = _sharpe(rest @ block_len, rest @ block_sum, rest @ block_sq)

    best = is_sr.argmax(axis=1)
    rows = np.arange(n_comb)
    best_oos = oos_sr[rows, best][:, None]
    below = (oos_sr < best_oos).sum(axis=1)
    equal = (oos_sr == best_oos).sum(axis=1)  # includes the winner itself
    rank = below + (equal + 1) / 2.0  # 1 = worst .. N = best, ties averaged
    omega = rank / (n_strategies + 1)
    logits = np.log(omega / (1.0 - omega))
    return OverfittingResult(
        pbo=float(np.mean(logits <= 0)),
        logits=logits,
        prob_oos_loss=float(np.mean(best_oos[:, 0] < 0)),
        n_blocks=int(n_blocks),
        n_combinations=int(n_comb),
        n_strategies=int(n_strategies),
        n_periods=int(n_periods),
    )
