"""Choose a trade policy on validation rows only, by a lower confidence bound after costs.

Every candidate of a :class:`~tradewind.policy.PolicySpec` (confidence measure × threshold ×
sides × expected-value filter × exit) trades the validation bars' calibrated probabilities
through the same engine and costs as the out-of-sample backtest. A candidate is scored by
the one-sided lower confidence bound of its net return per trade (Student t over its
trades) or of its per-bar Sharpe ratio; it needs ``min_trades`` trades. The best bound wins,
ties go to fewer trades. When no bound is above zero and ``require_edge`` is set, the
chosen policy does not trade at all: validation showed nothing that pays after costs.

Nothing here reads a test row: the caller passes candles that end before the test segment
(a validation trade still open there is closed at the last validation-side bar).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numba import njit
from scipy import stats as sps

from tradewind.backtest.engine import BacktestConfig, run_backtest
from tradewind.backtest.signals_arrays import signals_from_probabilities
from tradewind.exceptions import ConfigError, DataError
from tradewind.labels.barriers import barrier_levels, first_touch
from tradewind.labels.spec import ExitSpec
from tradewind.policy import MetaFilter, PolicySpec, TradePolicy, decide, state_features

__all__ = ["PolicyFit", "fit_policy", "lower_bound", "round_trip_cost", "trade_sizes"]


@dataclass(frozen=True)
class PolicyFit:
    """The chosen policy and the evidence it was chosen on (validation rows only).

    ``candidates`` holds one dict per candidate: its parameters, ``n_trades``,
    ``mean_bp`` (net return per trade, basis points) and ``objective`` (the lower bound;
    None with fewer than ``min_trades`` trades).
    """

    policy: TradePolicy
    reason: str
    objective: float | None
    n_trades: int
    mean_bp: float | None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] | None = None  # how meta-labeling went (policy.meta set), else None

    def curve(self) -> list[dict[str, Any]]:
        """The validation curve of the chosen family: threshold → net bp per trade, trades."""
        p = self.policy
        keys = {"confidence": p.confidence, "sides": p.sides, "exit": p.exit_name,
                "expected_value": p.min_edge is not None}
        rows = [c for c in self.candidates if all(c[k] == v for k, v in keys.items())]
        return sorted(rows, key=lambda c: c["threshold"])


def round_trip_cost(config: BacktestConfig) -> float:
    """Fees and slippage of one round trip, as a fraction of the notional."""
    return 2.0 * (config.fee_bps + config.slippage_bps) / 1e4


def lower_bound(returns: np.ndarray, level: float) -> float:
    """One-sided Student-t lower confidence bound of the mean of ``returns``."""
    r = np.asarray(returns, dtype=np.float64)
    n = r.shape[0]
    if n < 2:
        return -math.inf
    sd = float(r.std(ddof=1))
    return float(r.mean() - sps.t.ppf(level, n - 1) * sd / math.sqrt(n))


def _sharpe_lower_bound(equity: np.ndarray, initial: float, level: float) -> float:
    """Lower bound of the per-bar Sharpe ratio (normal approximation, Lo 2002)."""
    prev = np.concatenate([[initial], equity[:-1]])
    r = equity / prev - 1.0
    sd = float(r.std(ddof=1)) if r.shape[0] > 1 else 0.0
    if sd == 0.0:
        return -math.inf
    s = float(r.mean()) / sd
    se = math.sqrt((1.0 + 0.5 * s * s) / r.shape[0])
    return s - float(sps.norm.ppf(level)) * se


@njit(cache=True)
def _gross_outcomes(open_, high, low, close, rows, up, down, holding, side):  # pragma: no cover
    out = np.full(rows.shape[0], np.nan)
    n = close.shape[0]
    for i in range(rows.shape[0]):
        t = rows[i]
        if t + 1 >= n or not np.isfinite(open_[t + 1]):
            continue
        tp, stop = up[t], down[t]
        if np.isnan(tp) or np.isnan(stop):
            continue
        _, _, price = first_touch(open_, high, low, close, t + 1, min(t + holding, n - 1), tp, stop, side)
        out[i] = side * (price / open_[t + 1] - 1.0)
    return out


def trade_sizes(
    candles: pd.DataFrame, rows: np.ndarray, exits: ExitSpec | None, holding: int
) -> tuple[float, float]:
    """Typical gross win and loss (fractions of the entry) of trades opened at ``rows``.

    Both sides are traded from every row (cost-free, entry at the next open, the same
    first-touch rule as the engine); ``win`` is the mean of the positive outcomes,
    ``loss`` the mean size of the negative ones. The caller passes training rows only.
    """
    o, h, lo, c = (candles[k].to_numpy(dtype=np.float64) for k in ("open", "high", "low", "close"))
    rows = np.asarray(rows, dtype=np.int64)
    outcomes = []
    for side, name in ((1, "long"), (-1, "short")):
        if exits is None:
            up = np.full(len(c), np.inf * side)
            down = np.full(len(c), -np.inf * side)
        else:
            up, down = barrier_levels(candles, exits, name)
        outcomes.append(_gross_outcomes(o, h, lo, c, rows, up, down, int(holding), side))
    r = np.concatenate(outcomes)
    r = r[np.isfinite(r)]
    wins, losses = r[r > 0], -r[r < 0]
    if wins.size == 0 or losses.size == 0:
        raise DataError(
            f"trade sizes: {r.size} training trades gave {wins.size} wins and {losses.size} "
            "losses; the expected-value filter needs both (more training rows, or set "
            "policy.expected_value: [false])"
        )
    return float(wins.mean()), float(losses.mean())


def _grid(spec: PolicySpec) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    for measure in spec.confidence:
        grid = spec.thresholds if measure == "winner" else spec.margins
        out.extend((measure, float(t)) for t in grid)
    return out


def fit_policy(
    proba: np.ndarray,
    classes: Sequence[str],
    candles: pd.DataFrame,
    spec: PolicySpec,
    *,
    labels_exits: ExitSpec,
    horizon: int,
    costs: BacktestConfig,
    train_rows: np.ndarray,
    start: int = 0,
    size_candles: pd.DataFrame | None = None,
) -> PolicyFit:
    """Choose the policy of ``spec``'s space that pays best on the validation bars.

    Parameters
    ----------
    proba:
        Calibrated probabilities [T, C] aligned with ``candles``; NaN outside the
        validation rows (only rows with probabilities can open a trade).
    candles:
        Bars from before the first validation row (the exits' ATR warm-up and the
        training rows) to the end of the validation segment; never a test bar.
    labels_exits, horizon:
        The exits and horizon of the labels (the ``labels`` exit candidate).
    costs:
        The fold's cost model (the run's ``backtest:`` section).
    train_rows:
        Rows of ``size_candles`` (default ``candles``) in the training segment: the typical
        win and loss of the expected-value filter and of Kelly sizing are measured there.
    start:
        First validation row; earlier rows only warm up.
    """
    if not 0 <= start < len(candles) - 1:
        raise DataError(f"fit_policy: start row {start} leaves no validation bars in "
                        f"{len(candles)} candles")
    cost = round_trip_cost(costs)
    base = dict(sizing=spec.sizing, fraction=spec.fraction, kelly_multiplier=spec.kelly_multiplier,
                cap=spec.cap, take_profit_ladder=spec.take_profit_ladder,
                partial_fractions=spec.partial_fractions, order_type=spec.order_type,
                entry_zone_atr=spec.entry_zone_atr, valid_bars=spec.valid_bars, cost=cost)
    window = candles.iloc[start:]
    candidates: list[dict[str, Any]] = []
    best: tuple[tuple[float, int, int], TradePolicy, dict[str, Any]] | None = None
    for exit_candidate in spec.exits:
        exits, holding = exit_candidate.resolve(labels_exits, horizon)
        if exits is None and spec.take_profit_ladder is not None:
            continue  # a ladder needs levels
        sizes = None
        if any(spec.expected_value) or spec.sizing == "kelly":
            sizes = trade_sizes(candles if size_candles is None else size_candles,
                                train_rows, exits, holding)
        for measure, threshold in _grid(spec):
            for sides in spec.sides:
                for use_ev in spec.expected_value:
                    policy = TradePolicy(
                        confidence=measure, threshold=threshold, sides=sides,
                        exit_name=exit_candidate.name, exits=exits, max_holding=holding,
                        min_edge=spec.min_edge_bps / 1e4 if use_ev else None,
                        win=None if sizes is None else sizes[0],
                        loss=None if sizes is None else sizes[1], **base,
                    )
                    row = _score(policy, proba, classes, candles, window, start, costs, spec)
                    row.update(confidence=measure, threshold=threshold, sides=sides,
                               exit=exit_candidate.name, expected_value=use_ev)
                    candidates.append(row)
                    if row["objective"] is None:
                        continue
                    key = (-row["objective"], row["n_trades"], len(candidates))
                    if best is None or key < best[0]:
                        best = (key, policy, row)
    if not candidates:
        raise ConfigError("policy: the grid is empty after dropping time exits for the ladder; "
                          "add an 'labels' or 'atr' exit")
    if best is None:
        most = max(c["n_trades"] for c in candidates)
        fallback = TradePolicy.model_validate({**_first_policy(spec, labels_exits, horizon, base),
                                               "trade": False})
        return PolicyFit(
            fallback, f"no candidate reached {spec.min_trades} validation trades (most: {most})",
            None, 0, None, candidates,
        )
    _, policy, row = best
    if spec.require_edge and row["objective"] <= 0:
        return PolicyFit(
            policy.model_copy(update={"trade": False}),
            f"no candidate's lower bound was above 0 after costs (best {row['objective']:+.3g})",
            row["objective"], row["n_trades"], row["mean_bp"], candidates,
        )
    meta = None
    if spec.meta is not None:
        policy, meta = _fit_meta(policy, proba, classes, candles, window, start, costs, spec)
    return PolicyFit(policy, "chosen", row["objective"], row["n_trades"], row["mean_bp"],
                     candidates, meta)


def _fit_meta(policy: TradePolicy, proba: np.ndarray, classes: Sequence[str],
              candles: pd.DataFrame, window: pd.DataFrame, start: int, costs: BacktestConfig,
              spec: PolicySpec) -> tuple[TradePolicy, dict[str, Any]]:
    """Fit the meta filter on the first validation trades, check it on the last ones."""
    from sklearn.linear_model import LogisticRegression

    assert spec.meta is not None
    meta = spec.meta
    trades = run_backtest(window, signals_from_probabilities(proba, classes, candles, policy)
                          .from_row(start), costs).trades
    signal_rows = start + trades["entry_bar"].to_numpy(dtype=np.int64) - 1
    p_side = decide(proba, classes, policy).p_side[signal_rows]
    x = np.column_stack([p_side, state_features(candles)[signal_rows]])
    net = trades["return"].to_numpy(dtype=np.float64)
    keep = np.isfinite(x).all(axis=1)
    x, net = x[keep], net[keep]
    if len(net) < meta.min_rows:
        return policy, {"fitted": False, "reason": f"{len(net)} validation trades, fewer than "
                        f"policy.meta.min_rows {meta.min_rows}"}
    n_fit = round(len(net) * (1.0 - meta.holdout))
    y = (net > 0).astype(np.int64)
    if len(np.unique(y[:n_fit])) < 2:
        return policy, {"fitted": False, "reason": "the first validation trades all won or all lost"}
    mean, scale = x[:n_fit].mean(axis=0), x[:n_fit].std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    model = LogisticRegression(max_iter=1000).fit((x[:n_fit] - mean) / scale, y[:n_fit])
    fitted = MetaFilter(mean=mean.tolist(), scale=scale.tolist(), coef=model.coef_[0].tolist(),
                        intercept=float(model.intercept_[0]), min_probability=meta.min_probability)
    held = net[n_fit:]
    allowed = fitted.allows(x[n_fit:])
    info = {
        "fitted": True, "fit_trades": n_fit, "holdout_trades": len(held),
        "holdout_kept": int(allowed.sum()),
        "holdout_bp_all": float(held.mean() * 1e4) if len(held) else None,
        "holdout_bp_kept": float(held[allowed].mean() * 1e4) if allowed.any() else None,
    }
    return policy.model_copy(update={"meta": fitted}), info


def _first_policy(spec: PolicySpec, labels_exits: ExitSpec, horizon: int,
                  base: dict[str, Any]) -> dict[str, Any]:
    exits, holding = spec.exits[0].resolve(labels_exits, horizon)
    return {**base, "exit_name": spec.exits[0].name, "exits": exits, "max_holding": holding}


def _score(policy: TradePolicy, proba: np.ndarray, classes: Sequence[str], candles: pd.DataFrame,
           window: pd.DataFrame, start: int, costs: BacktestConfig,
           spec: PolicySpec) -> dict[str, Any]:
    signals = signals_from_probabilities(proba, classes, candles, policy)
    result = run_backtest(window, signals.from_row(start), costs)
    returns = result.trades["return"].to_numpy(dtype=np.float64)
    n = int(returns.shape[0])
    objective = None
    if n >= spec.min_trades:
        if spec.objective == "return_lcb":
            objective = lower_bound(returns, spec.level) * 1e4
        else:
            objective = _sharpe_lower_bound(result.equity, costs.initial_equity, spec.level)
        objective = float(objective) if math.isfinite(objective) else None
    return {"n_trades": n, "mean_bp": float(returns.mean() * 1e4) if n else None,
            "objective": objective}
