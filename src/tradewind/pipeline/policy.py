"""The run's trading question: does *any* sensible way of trading the probabilities pay?

Per fold, :func:`tradewind.backtest.fit_policy` chooses a policy on the fold's validation
rows (candles cut before the test segment); the choice trades that fold's test rows
unchanged. On the concatenated out-of-sample rows, side by side and after the same costs:

* ``every_signal``: every bar's argmax side with the labels' exits (the naive policy);
* ``fitted``: the model's per-fold fitted policies (what the gate judges);
* ``logistic_fitted``: the same fitting procedure on the logistic baseline's probabilities
  (fitted on each fold's training rows, so its validation probabilities are out of sample);
* buy-and-hold over the same stretch.

A fitted policy's statistics describe a **trading** edge; the MCC in the rest of the report
describes a **classification** edge. They are different claims and are labelled so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from tradewind.backtest import (
    BacktestResult,
    BacktestStats,
    PolicyFit,
    SignalArrays,
    compute_stats,
    fit_policy,
    run_backtest,
    signals_from_probabilities,
)
from tradewind.block_bootstrap import BlockBootstrap
from tradewind.config import Experiment
from tradewind.evaluation import run_baselines
from tradewind.exceptions import ConfigError
from tradewind.policy import TradePolicy
from tradewind.timeframes import trading_days_per_year

if TYPE_CHECKING:
    from tradewind.pipeline.folds import FoldResult
    from tradewind.pipeline.prepare import Prepared

__all__ = ["PolicyOutcome", "TradedPolicy", "check_policy_rows", "fit_fold_policy",
           "run_policies"]

_MAX_CURVE_POINTS = 2000
_SIZE_ROWS = 50_000  # newest training rows used to measure typical trade sizes


@dataclass(frozen=True)
class TradedPolicy:
    """One way of trading the out-of-sample rows: its trades, statistics and positions."""

    name: str
    result: BacktestResult
    stats: BacktestStats
    positions: np.ndarray  # int8 per OOS row: the side the policy asked for at that bar

    def summary(self, level: float) -> dict[str, Any]:
        """Report row: Sharpe with interval, trades, exposure, net bp per trade with interval."""
        r = self.result.trades["return"].to_numpy(dtype=np.float64) * 1e4
        s = self.stats
        bp_ci = _t_interval(r, level)
        return {
            "n_trades": int(s.n_trades),
            "sharpe": _finite(s.sharpe),
            "sharpe_ci": [_finite(s.sharpe_ci_low), _finite(s.sharpe_ci_high)],
            "total_return": _finite(s.total_return),
            "net_bp_per_trade": _finite(float(r.mean())) if r.size else None,
            "net_bp_ci": bp_ci,
            "hit_rate": _finite(s.win_rate),
            "exposure": _finite(s.exposure),
            "turnover": _finite(s.turnover),
            "max_drawdown": _finite(s.max_drawdown),
            "long_share": float((self.positions > 0).mean()) if self.positions.size else None,
            "short_share": float((self.positions < 0).mean()) if self.positions.size else None,
        }


@dataclass(frozen=True)
class PolicyOutcome:
    """The fitted policies per fold and the three ways of trading the out-of-sample rows."""

    fits: list[PolicyFit]
    traded: dict[str, TradedPolicy]
    section: dict[str, Any]

    @property
    def fitted(self) -> TradedPolicy:
        return self.traded["fitted"]


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def _t_interval(r: np.ndarray, level: float) -> list[float] | None:
    if r.size < 2:
        return None
    half = float(sps.t.ppf(0.5 + level / 2, r.size - 1) * r.std(ddof=1) / math.sqrt(r.size))
    return [float(r.mean() - half), float(r.mean() + half)]


def _candle_rows(prep: Prepared, rows: np.ndarray) -> np.ndarray:
    return prep.candles.index.get_indexer(prep.index[rows])


def check_policy_rows(exp: Experiment, val_sizes: Sequence[int]) -> None:
    """Refuse a policy section no fold can satisfy, naming the key (before any training)."""
    if not exp.backtest.enabled or not exp.policy.fit:
        return
    smallest = min(val_sizes)
    if exp.policy.min_trades > smallest:
        raise ConfigError(
            f"policy.min_trades {exp.policy.min_trades} exceeds the smallest validation slice "
            f"({smallest} rows): no candidate could qualify. Lower policy.min_trades or raise "
            "split.val_fraction"
        )
    meta = exp.policy.meta
    if meta is not None and meta.min_rows > smallest:
        raise ConfigError(
            f"policy.meta.min_rows {meta.min_rows} exceeds the smallest validation slice "
            f"({smallest} rows): meta-labeling cannot be fitted. Lower it or raise "
            "split.val_fraction"
        )


def fit_fold_policy(
    exp: Experiment,
    prep: Prepared,
    val_rows: np.ndarray,
    val_probs: np.ndarray,
    train_rows: np.ndarray,
    *,
    end_before: int | None = None,
) -> PolicyFit:
    """Choose a policy on ``val_rows`` (feature rows) with their calibrated probabilities.

    The candles end at ``end_before`` (a candle row; the first test bar) or after the last
    validation bar's holding period, whichever is earlier: no test bar is ever read.
    """
    holding = max(e.resolve(exp.backtest.exit_spec(exp.labels), exp.labels.horizon)[1]
                  for e in exp.policy.exits)
    exits = exp.backtest.exit_spec(exp.labels)
    val_c = _candle_rows(prep, val_rows)
    first, last = int(val_c[0]), int(val_c[-1])
    stop = min(last + holding + 2, len(prep.candles))
    if end_before is not None:
        stop = min(stop, end_before)
    warm = max(first - 4 * exits.atr_period, 0)
    candles = prep.candles.iloc[warm:stop]
    proba = np.full((len(candles), len(prep.classes)), np.nan)
    proba[val_c - warm] = val_probs
    train_c = _candle_rows(prep, train_rows[-_SIZE_ROWS:])
    return fit_policy(
        proba, prep.classes, candles, exp.policy, labels_exits=exits,
        horizon=exp.labels.horizon, costs=exp.backtest.costs(), train_rows=train_c,
        start=first - warm, size_candles=prep.candles,
    )


def _trade(
    exp: Experiment, prep: Prepared, name: str, parts: list[tuple[np.ndarray, np.ndarray, TradePolicy]],
) -> TradedPolicy:
    """Trade per-fold ``(feature rows, probabilities, policy)`` parts over one candle span."""
    rows = np.concatenate([p[0] for p in parts])
    crow = _candle_rows(prep, rows)
    holding = max(p[2].max_holding for p in parts)
    atr_period = exp.backtest.exit_spec(exp.labels).atr_period
    first, stop = int(crow[0]), min(int(crow[-1]) + holding + 2, len(prep.candles))
    warm = max(first - 4 * atr_period, 0)
    candles = prep.candles.iloc[warm:stop]
    n = len(candles)
    merged: dict[str, Any] = {}
    ladder = None
    for fold_rows, probs, policy in parts:
        proba = np.full((n, len(prep.classes)), np.nan)
        at = _candle_rows(prep, fold_rows) - warm
        proba[at] = probs
        sig = signals_from_probabilities(proba, prep.classes, candles, policy)
        if not merged:
            merged = {k: np.zeros(n, dtype=getattr(sig, k).dtype) for k in
                      ("direction", "size", "max_holding")}
            merged.update(stop=np.full(n, np.nan), take_profit=np.full(n, np.nan))
            merged["size"][:] = 1.0
        for key in merged:
            merged[key][at] = getattr(sig, key)[at]
        if sig.partial_take_profit is not None:
            if ladder is None:
                ladder = (np.full((n, sig.partial_take_profit.shape[1]), np.nan), sig.partial_fractions)
            ladder[0][at] = sig.partial_take_profit[at]
    signals = SignalArrays.build(
        merged["direction"], size=merged["size"], stop=merged["stop"],
        take_profit=merged["take_profit"], max_holding=merged["max_holding"],
        partial_take_profit=None if ladder is None else ladder[0],
        partial_fractions=None if ladder is None else ladder[1],
    )
    start = first - warm
    result = run_backtest(candles.iloc[start:], signals.from_row(start), exp.backtest.costs())
    stats = compute_stats(result, prep.timeframe, trading_days=trading_days_per_year(candles.index),
                          seed=exp.seed, bootstrap=BlockBootstrap(**exp.bootstrap.model_dump()),
                          horizon=holding)
    positions = signals.direction[_candle_rows(prep, rows) - warm]
    return TradedPolicy(name, result, stats, positions)


def _logistic_parts(exp: Experiment, prep: Prepared, folds: Sequence[FoldResult]
                    ) -> tuple[list[PolicyFit], list[tuple[np.ndarray, np.ndarray, TradePolicy]]]:
    fits, parts = [], []
    for f in folds:
        probs = run_baselines(
            prep.X, prep.last_return, prep.y, [(f.train_rows, np.concatenate([f.val_rows, f.test_rows]))],
            len(prep.classes), lags=tuple(exp.baselines.lags), include=("logistic",),
            seed=exp.seed,
        )["logistic"]
        val_p, test_p = probs[: len(f.val_rows)], probs[len(f.val_rows):]
        fit = fit_fold_policy(exp, prep, f.val_rows, val_p, f.train_rows,
                              end_before=int(_candle_rows(prep, f.test_rows[:1])[0]))
        fits.append(fit)
        parts.append((f.test_rows, test_p, fit.policy))
    return fits, parts


def run_policies(exp: Experiment, prep: Prepared, folds: Sequence[FoldResult],
                 fits: Sequence[PolicyFit]) -> PolicyOutcome:
    """Trade the out-of-sample rows three ways and build the report's ``policy`` section."""
    every = TradePolicy.every_signal(exp.labels, exp.backtest.exit_spec(exp.labels))
    traded = {
        "every_signal": _trade(exp, prep, "every_signal",
                               [(f.test_rows, f.probs, every) for f in folds]),
        "fitted": _trade(exp, prep, "fitted",
                         [(f.test_rows, f.probs, fit.policy) for f, fit in zip(folds, fits, strict=True)]),
    }
    if any(fit.policy.meta is not None for fit in fits):
        traded["fitted_without_meta"] = _trade(
            exp, prep, "fitted_without_meta",
            [(f.test_rows, f.probs, fit.policy.model_copy(update={"meta": None}))
             for f, fit in zip(folds, fits, strict=True)])
    baseline_fits: list[PolicyFit] = []
    if "logistic" in exp.baselines.include:
        baseline_fits, parts = _logistic_parts(exp, prep, folds)
        traded["logistic_fitted"] = _trade(exp, prep, "logistic_fitted", parts)
    section = _section(exp, folds, fits, baseline_fits, traded)
    return PolicyOutcome(list(fits), traded, section)


def _fold_rows(folds: Sequence[FoldResult], fits: Sequence[PolicyFit]) -> list[dict[str, Any]]:
    out = []
    for f, fit in zip(folds, fits, strict=True):
        out.append({
            "fold": f.fold, "description": fit.policy.describe(), "reason": fit.reason,
            "policy": fit.policy.model_dump(mode="json"), "val_trades": fit.n_trades,
            "val_mean_bp": fit.mean_bp, "val_objective": fit.objective, "meta": fit.meta,
            "curve": [{"threshold": c["threshold"], "n_trades": c["n_trades"],
                       "mean_bp": c["mean_bp"]} for c in fit.curve()],
        })
    return out


def _section(exp: Experiment, folds: Sequence[FoldResult], fits: Sequence[PolicyFit],
             baseline_fits: Sequence[PolicyFit], traded: dict[str, TradedPolicy]) -> dict[str, Any]:
    level = exp.bootstrap.level
    results = {name: t.summary(level) for name, t in traded.items()}
    fitted = traded["fitted"].stats
    hold = float(fitted.buy_and_hold_return)
    tradable = bool(math.isfinite(fitted.sharpe_ci_low) and fitted.sharpe_ci_low > 0
                    and fitted.n_trades >= (exp.gate.min_trades or 0))
    beats = None
    if "logistic_fitted" in traded:
        base = traded["logistic_fitted"].stats
        if fitted.n_trades or base.n_trades:
            beats = bool(fitted.n_trades and fitted.sharpe_ci_low > max(
                base.sharpe if base.n_trades else 0.0, 0.0))
    return {
        "objective": exp.policy.objective,
        "level": exp.policy.level,
        "min_trades": exp.policy.min_trades,
        "candidates": exp.policy.n_candidates(),
        "folds": _fold_rows(folds, fits),
        "baseline_folds": _fold_rows(folds, baseline_fits) if baseline_fits else [],
        "results": results,
        "buy_and_hold_return": hold,
        "tradable_edge": tradable,
        "beats_baseline": beats,
        "headline": _headline(results, tradable, beats, level),
        "equity": _curves(traded),
    }


def _span(ci: list) -> str:
    return "n/a" if ci[0] is None or ci[1] is None else f"[{ci[0]:+.2f}, {ci[1]:+.2f}]"


def _headline(results: dict[str, dict[str, Any]], tradable: bool, beats: bool | None,
              level: float) -> str:
    fit, every = results["fitted"], results["every_signal"]
    verdict = f"Trading edge after costs {'SHOWN' if tradable else 'NOT shown'}: "
    if fit["n_trades"] == 0:
        verdict += ("the fitted policy never traded (no candidate paid after costs on the "
                    "validation rows).")
    else:
        verdict += (f"the fitted policy made {fit['n_trades']} out-of-sample trades, Sharpe "
                    f"{level:.0%} interval {_span(fit['sharpe_ci'])}.")
    verdict += f" Every-signal trading: Sharpe {_span(every['sharpe_ci'])}."
    base = results.get("logistic_fitted")
    if base is None:
        return verdict
    if beats is None:
        return verdict + (" The same fitting on the logistic baseline's probabilities found "
                          "nothing to trade either.")
    return verdict + (" It beats the same fitting on the logistic baseline's probabilities."
                      if beats else " It does not beat the same fitting on the logistic "
                      "baseline's probabilities.")


def _curves(traded: dict[str, TradedPolicy]) -> dict[str, list]:
    fitted = traded["fitted"].result
    n = len(fitted.equity)
    step = max(n // _MAX_CURVE_POINTS, 1)
    keep = np.arange(0, n, step)
    out: dict[str, list] = {"timestamp": [pd.Timestamp(fitted.index[i]).isoformat() for i in keep]}
    for name, t in traded.items():
        if len(t.result.equity) == n:
            out[name] = t.result.equity[keep].round(6).tolist()
    out["buy_and_hold"] = (fitted.initial_equity * fitted.close[keep] / fitted.close[0]).round(6).tolist()
    return out
