"""Statistics of a backtest: trades, returns, risk, and how much of the Sharpe is luck.

Bar returns are ``r_i = E_i / E_{i-1} − 1`` over the T bars, with ``E_{-1}`` the initial
equity. Annualisation uses ``bars_per_year(timeframe)`` (crypto: 365.25 days a year; pass
``trading_days`` for markets that close at weekends, as ``backtest_probabilities`` does when
the candles show it). Sharpe is ``mean(r) / std(r, ddof=1) ·
sqrt(bars_per_year)``; Sortino uses the downside deviation ``sqrt(mean(min(r, 0)²))``.
The Sharpe interval is the moving-block bootstrap of :mod:`tradewind.block_bootstrap` (the
one every interval uses) over the bar returns: ``bootstrap.n_boot`` resamples, blocks of
``max(bootstrap.block or 24, horizon)`` bars (``horizon``: the longest a trade is held;
never more than T), at ``bootstrap.level``. The deflated Sharpe ratio (Bailey &
López de Prado, 2014) is the probability that the per-bar Sharpe beats the best of
``n_trials`` skill-less trials, correcting for skewness and kurtosis of the returns.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np

from tradewind.backtest.engine import BacktestResult
from tradewind.block_bootstrap import BlockBootstrap
from tradewind.exceptions import DataError
from tradewind.timeframes import bars_per_year

__all__ = ["BacktestStats", "compute_stats", "deflated_sharpe_ratio", "sharpe_interval"]

_EULER_GAMMA = 0.5772156649015329
_NORMAL = NormalDist()


@dataclass(frozen=True)
class BacktestStats:
    """Summary of one backtest; fractions (0.05 = 5 %) unless named otherwise.

    ``avg_win``/``avg_loss``/``expectancy`` are mean trade returns (pnl / entry notional);
    ``profit_factor`` is gross profit / gross loss in cash; ``exposure`` is the share of
    the T bars during which a position was held for any part of the bar (a trade entered
    at a bar's open and stopped out, taken profit or timed out before its close counts that
    bar; one closed at a bar's open on an opposite signal does not); ``turnover`` is traded
    notional (entries + exits) divided by mean equity; durations are in bars.
    ``mean_bars_held``/``max_bars_held`` are over closed trades, a trade's bars held being
    the bars it was exposed to (from its entry bar to its exit bar, that one included
    unless it closed at the bar's open): a time exit after ``max_holding`` bars holds
    exactly ``max_holding`` bars. The Sharpe interval ``[sharpe_ci_low, sharpe_ci_high]``
    is at ``sharpe_ci_level``, made as ``sharpe_ci_method`` says (block ``sharpe_ci_block``
    bars, ``sharpe_ci_n_boot`` resamples).
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
    mean_bars_held: float
    max_bars_held: int
    turnover: float
    buy_and_hold_return: float
    sharpe_ci_low: float
    sharpe_ci_high: float
    sharpe_ci_level: float
    sharpe_ci_block: int
    sharpe_ci_n_boot: int
    sharpe_ci_method: str
    deflated_sharpe: float
    n_trials: int
    bars: int
    bars_per_year: float

    def to_dict(self) -> dict[str, float | int | str | None]:
        """Plain JSON-safe dict; NaN and infinities become None."""
        out: dict[str, float | int | str | None] = {}
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
    r: np.ndarray, resampler: BlockBootstrap, block: int, seed: int
) -> tuple[float, float]:
    """Percentile interval of the per-bar Sharpe over the moving-block resamples of ``r``."""
    n = len(r)
    if n < 3:
        return float("nan"), float("nan")
    csum = np.concatenate([[0.0], np.cumsum(r)])
    csq = np.concatenate([[0.0], np.cumsum(r * r)])
    # full blocks except the last, which is cut so the series has exactly n bars
    last = n - (-(-n // block) - 1) * block
    ratios = []
    for starts in resampler.block_starts(n, block, seed):
        s_full, s_last = starts[:, :-1], starts[:, -1]
        total = (csum[s_full + block] - csum[s_full]).sum(axis=1) + csum[s_last + last] - csum[s_last]
        total_sq = ((csq[s_full + block] - csq[s_full]).sum(axis=1)
                    + csq[s_last + last] - csq[s_last])
        mean = total / n
        var = np.maximum(total_sq - n * mean * mean, 0.0) / (n - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios.append(np.where(var > 0, mean / np.sqrt(var), np.nan))
    return resampler.interval(np.concatenate(ratios))


def sharpe_interval(
    returns: np.ndarray, bootstrap: BlockBootstrap, block: int, seed: int
) -> tuple[float, float, float]:
    """Per-bar Sharpe of bar ``returns`` and its moving-block percentile interval
    ``(sharpe, lower, upper)``, not annualised; blocks of ``block`` bars."""
    r = np.asarray(returns, dtype=np.float64)
    lo, hi = _block_bootstrap_sharpe(r, bootstrap, block, seed)
    return _sharpe(r), lo, hi


def _bars_held(result: BacktestResult) -> np.ndarray:
    """Bars each closed trade was exposed to: entry bar … exit bar, the exit bar only when the
    position was still held after its open (every exit but an opposite signal's)."""
    trades = result.trades
    missing = {"entry_bar", "exit_bar", "exit_reason"} - set(trades.columns)
    if missing:
        raise DataError(f"compute_stats: the trades have no {sorted(missing)} column(s); pass "
                        "the BacktestResult run_backtest made")
    entry = trades["entry_bar"].to_numpy(dtype=np.int64)
    exit_ = trades["exit_bar"].to_numpy(dtype=np.int64)
    at_open = (trades["exit_reason"] == "signal").to_numpy()
    return exit_ - entry + np.where(at_open, 0, 1)


def _exposure(result: BacktestResult, held: np.ndarray) -> float:
    """Share of bars during which a position was held (see :class:`BacktestStats`)."""
    n = len(result.equity)
    exposed = np.zeros(n + 1, dtype=np.int64)
    entry = result.trades["entry_bar"].to_numpy(dtype=np.int64)
    np.add.at(exposed, entry, 1)
    np.add.at(exposed, np.minimum(entry + held, n), -1)
    during = np.cumsum(exposed[:n]) > 0
    return float(np.mean(during | (np.asarray(result.position) != 0)))


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
    bootstrap: BlockBootstrap | None = None,
    horizon: int = 1,
    seed: int = 0,
) -> BacktestStats:
    """Statistics of ``result`` for bars of ``timeframe`` (e.g. ``"1h"``).

    ``n_trials`` is how many strategies/configurations were tried before this one (for the
    deflated Sharpe). ``bootstrap`` (the experiment's ``bootstrap:`` settings; default
    :class:`BlockBootstrap` ``()``) and ``seed`` make the Sharpe interval, in blocks of at
    least ``horizon`` bars (the longest a trade is held) and at most T.
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
    resampler = bootstrap if bootstrap is not None else BlockBootstrap()
    block = min(resampler.block_length(horizon), n)
    lo, hi = _block_bootstrap_sharpe(r, resampler, block, seed)
    held = _bars_held(result)
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
        exposure=_exposure(result, held),
        mean_bars_held=float(held.mean()) if len(held) else nan,
        max_bars_held=int(held.max()) if len(held) else 0,
        turnover=float(notional / np.mean(equity)) if np.mean(equity) > 0 else nan,
        buy_and_hold_return=float(close[-1] / close[0] - 1.0),
        sharpe_ci_low=lo * scale,
        sharpe_ci_high=hi * scale,
        sharpe_ci_level=resampler.level,
        sharpe_ci_block=block,
        sharpe_ci_n_boot=resampler.n_boot,
        sharpe_ci_method=resampler.describe(block, "bars"),
        deflated_sharpe=deflated_sharpe_ratio(r, n_trials),
        n_trials=int(n_trials),
        bars=n,
        bars_per_year=float(bpy),
    )
