"""Statistics of a backtest: trades, returns, risk, and how much of the Sharpe is luck.

Bar returns are ``r_i = E_i / E_{i-1} − 1`` over the T bars, with ``E_{-1}`` the initial
equity. Annualisation uses ``bars_per_year(timeframe)`` (crypto: 365.25 days a year; pass
``trading_days`` for markets that close at weekends, as ``backtest_probabilities`` does when
the candles show it). Sharpe is ``mean(r) / std(r, ddof=1) ·
sqrt(bars_per_year)``; Sortino uses the downside deviation ``sqrt(mean(min(r, 0)²))``.
The Sharpe interval is a moving-block bootstrap (blocks of ``round(T^(1/3))`` bars, starts
drawn uniformly, the resampled series cut to T bars). The deflated Sharpe ratio (Bailey &
López de Prado, 2014) is the probability that the per-bar Sharpe beats the best of
``n_trials`` skill-less trials, correcting for skewness and kurtosis of the returns.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np

from tradewind.backtest.engine import BacktestResult
from tradewind.exceptions import DataError
from tradewind.timeframes import bars_per_year

__all__ = ["BacktestStats", "compute_stats", "deflated_sharpe_ratio"]

_EULER_GAMMA = 0.5772156649015329
_NORMAL = NormalDist()


@dataclass(frozen=True)
class BacktestStats:
    """Summary of one backtest; fractions (0.05 = 5 %) unless named otherwise.

    ``avg_win``/``avg_loss``/``expectancy`` are mean trade returns (pnl / entry notional);
    ``profit_factor`` is gross profit / gross loss in cash; ``exposure`` is the fraction of
    bars with a position at their close; ``turnover`` is traded notional (entries + exits)
    divided by mean equity; durations are in bars.
    """

    n_trades: int
    win_rate: float
    avg_win: float
    avg_loss: float
    profit_factor: float
    expectancy: float
    total_return: float
    cagr: float
    sharpe: float
    sortino: float
    max_drawdown: float
    max_drawdown_bars: int
    exposure: float
    turnover: float
    buy_and_hold_return: float
    sharpe_ci_low: float
    sharpe_ci_high: float
    deflated_sharpe: float
    n_trials: int
    bars: int
    bars_per_year: float

    def to_dict(self) -> dict[str, float | int | None]:
        """Plain JSON-safe dict; NaN and infinities become None."""
        out: dict[str, float | int | None] = {}
        for key, value in asdict(self).items():
            if isinstance(value, float) and not math.isfinite(value):
                out[key] = None
            else:
                out[key] = value
        return out


def _bar_returns(equity: np.ndarray, initial: float) -> np.ndarray:
    prev = np.concatenate([[initial], equity[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(prev > 0, equity / prev - 1.0, 0.0)
    return r


def _sharpe(r: np.ndarray) -> float:
    if len(r) < 2:
        return float("nan")
    sd = float(np.std(r, ddof=1))
    return float(np.mean(r)) / sd if sd > 0 else float("nan")


def _drawdown(equity: np.ndarray, initial: float) -> tuple[float, int]:
    curve = np.concatenate([[initial], equity])
    peak = np.maximum.accumulate(curve)
    dd = 1.0 - curve / peak
    below = dd > 0
    longest = run = 0
    for flag in below:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    return float(dd.max()), int(longest)


def _block_bootstrap_sharpe(
    r: np.ndarray, n_boot: int, block: int, seed: int
) -> tuple[float, float]:
    n = len(r)
    if n < 3 or n_boot < 1:
        return float("nan"), float("nan")
    block = max(1, min(block, n))
    n_blocks = -(-n // block)
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, n - block + 1, size=(n_boot, n_blocks))
    csum = np.concatenate([[0.0], np.cumsum(r)])
    csq = np.concatenate([[0.0], np.cumsum(r * r)])
    # full blocks except the last, which is cut so the series has exactly n bars
    last = n - (n_blocks - 1) * block
    s_full, s_last = starts[:, :-1], starts[:, -1]
    total = (csum[s_full + block] - csum[s_full]).sum(axis=1) + csum[s_last + last] - csum[s_last]
    total_sq = (csq[s_full + block] - csq[s_full]).sum(axis=1) + csq[s_last + last] - csq[s_last]
    mean = total / n
    var = np.maximum(total_sq - n * mean * mean, 0.0) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sr = np.where(var > 0, mean / np.sqrt(var), np.nan)
    sr = sr[np.isfinite(sr)]
    if len(sr) == 0:
        return float("nan"), float("nan")
    low, high = np.quantile(sr, [0.025, 0.975])
    return float(low), float(high)


def deflated_sharpe_ratio(
    returns: np.ndarray, n_trials: int, trials_sharpe_std: float | None = None
) -> float:
    """Deflated Sharpe ratio of per-bar ``returns`` given ``n_trials`` strategies tried.

    ``SR* = σ_SR · ((1−γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e)))`` is the expected best per-bar
    Sharpe of N skill-less trials (γ Euler–Mascheroni; ``σ_SR`` = ``trials_sharpe_std``, or
    ``1/sqrt(T−1)``, the null standard error, when unknown); ``DSR = Φ((SR − SR*)·sqrt(T−1) /
    sqrt(1 − skew·SR + (kurt − 1)/4·SR²))``. With one trial it is the probabilistic Sharpe
    ratio against zero. NaN with fewer than 3 returns or zero variance.
    """
    if n_trials < 1:
        raise DataError(f"deflated_sharpe_ratio: n_trials must be >= 1, got {n_trials}")
    r = np.asarray(returns, dtype=np.float64)
    n = len(r)
    sr = _sharpe(r)
    if n < 3 or not math.isfinite(sr):
        return float("nan")
    sd = float(np.std(r))
    z = (r - r.mean()) / sd
    skew = float(np.mean(z**3))
    kurt = float(np.mean(z**4))
    sigma = trials_sharpe_std if trials_sharpe_std is not None else 1.0 / math.sqrt(n - 1)
    if n_trials == 1:
        sr_star = 0.0
    else:
        sr_star = sigma * (
            (1 - _EULER_GAMMA) * _NORMAL.inv_cdf(1 - 1 / n_trials)
            + _EULER_GAMMA * _NORMAL.inv_cdf(1 - 1 / (n_trials * math.e))
        )
    denom = 1 - skew * sr + (kurt - 1) / 4 * sr * sr
    if denom <= 0:
        return float("nan")
    return _NORMAL.cdf((sr - sr_star) * math.sqrt(n - 1) / math.sqrt(denom))


def compute_stats(
    result: BacktestResult,
    timeframe: str,
    *,
    n_trials: int = 1,
    trading_days: float | None = None,
    n_boot: int = 1000,
    block: int | None = None,
    seed: int = 0,
) -> BacktestStats:
    """Statistics of ``result`` for bars of ``timeframe`` (e.g. ``"1h"``).

    ``n_trials`` is how many strategies/configurations were tried before this one (for the
    deflated Sharpe); ``block`` defaults to ``round(T^(1/3))`` bars.
    """
    equity = np.asarray(result.equity, dtype=np.float64)
    n = len(equity)
    if n == 0:
        raise DataError("compute_stats: the backtest has no bars; run it on at least 2 candles")
    bpy = bars_per_year(timeframe, trading_days=trading_days)
    e0 = result.initial_equity
    r = _bar_returns(equity, e0)
    trades = result.trades
    rets = trades["return"].to_numpy(dtype=np.float64)
    pnl = trades["pnl"].to_numpy(dtype=np.float64)
    wins, losses = rets[pnl > 0], rets[pnl <= 0]
    gross_win, gross_loss = float(pnl[pnl > 0].sum()), float(-pnl[pnl < 0].sum())
    nan = float("nan")
    total = float(equity[-1] / e0 - 1.0)
    years = n / bpy
    if equity[-1] > 0:
        growth = math.log(equity[-1] / e0) / years  # log growth per year; inf past ~e^709
        cagr = math.expm1(growth) if growth < 709 else math.inf
    else:
        cagr = -1.0
    sr_bar = _sharpe(r)
    downside = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2)))
    mdd, mdd_bars = _drawdown(equity, e0)
    notional = (trades["units"] * (trades["entry_price"] + trades["exit_price"])).sum()
    lo, hi = _block_bootstrap_sharpe(
        r, n_boot, block if block is not None else max(1, round(n ** (1 / 3))), seed
    )
    scale = math.sqrt(bpy)
    close = result.close
    return BacktestStats(
        n_trades=len(trades),
        win_rate=float(len(wins) / len(trades)) if len(trades) else nan,
        avg_win=float(wins.mean()) if len(wins) else nan,
        avg_loss=float(losses.mean()) if len(losses) else nan,
        profit_factor=gross_win / gross_loss if gross_loss > 0 else (math.inf if gross_win > 0 else nan),
        expectancy=float(rets.mean()) if len(rets) else nan,
        total_return=total,
        cagr=cagr,
        sharpe=sr_bar * scale,
        sortino=float(np.mean(r)) / downside * scale if downside > 0 else nan,
        max_drawdown=mdd,
        max_drawdown_bars=mdd_bars,
        exposure=float(np.mean(result.position != 0)),
        turnover=float(notional / np.mean(equity)) if np.mean(equity) > 0 else nan,
        buy_and_hold_return=float(close[-1] / close[0] - 1.0),
        sharpe_ci_low=lo * scale,
        sharpe_ci_high=hi * scale,
        deflated_sharpe=deflated_sharpe_ratio(r, n_trials),
        n_trials=int(n_trials),
        bars=n,
        bars_per_year=float(bpy),
    )
