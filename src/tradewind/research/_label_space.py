"""The pieces of :func:`tradewind.research.search_labels`: the training period, the search
space and the two objectives (formulas in :mod:`tradewind.research.label_search`).

Rows here are feature rows (candles after the feature warm-up); ``test_start`` is the first
row of the experiment's first walk-forward test segment and nothing from it on is read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tradewind.config import Experiment
from tradewind.dataset import walk_forward
from tradewind.evaluation import lagged_features
from tradewind.exceptions import ConfigError, DataError
from tradewind.features import compute
from tradewind.labels import LabelSpec, forward_returns, make_labels

MODELS: tuple[str, ...] = ("logistic", "lightgbm")
_ATR_BOUNDS = (0.25, 6.0)
_MULTIPLIER_BOUNDS = (0.1, 4.0)


@dataclass(frozen=True)
class TrainingPart:
    """The training period, in feature rows, and what the objectives need from it."""

    candles: pd.DataFrame
    rows: np.ndarray  # candle position of each feature row
    first: int  # first feature row with a full window behind it
    test_start: int  # first feature row of the first test segment (exclusive end)
    val_start: int  # first validation row for val_mcc
    X: np.ndarray | None  # [T', F * (1 + lags)] lagged features (val_mcc only)


def training_part(exp: Experiment, candles: pd.DataFrame, with_features: bool) -> TrainingPart:
    feats = compute(candles, exp.features)
    rows = candles.index.get_indexer(feats.frame.index)
    y = make_labels(candles, exp.labels).y[rows]
    first = exp.lookback - 1
    ends = np.arange(first, len(rows), dtype=np.int64)
    samples = ends[y[ends] >= 0]
    if len(samples) == 0:
        raise DataError(
            f"labels search: no labelled windows in {len(candles)} candles; supply more data"
        )
    splits = walk_forward(len(samples), exp.split, exp.labels.horizon)
    test_start = int(samples[splits[0].test[0]])
    vf = exp.split.val_fraction if exp.split.val_fraction > 0 else 0.2
    val_start = first + round((1.0 - vf) * (test_start - first))
    X = None
    if with_features:
        parts = [feats.frame.to_numpy(dtype=np.float64)]
        if feats.side is not None:
            parts.append(feats.side.to_numpy(dtype=np.float64))
        X = lagged_features(np.concatenate(parts, axis=1), tuple(exp.baselines.lags))
    return TrainingPart(candles, rows, first, test_start, val_start, X)


def check_target(
    target: Sequence[float] | None, classes: tuple[str, ...], objective: str
) -> tuple[float, ...] | None:
    if objective != "balance":
        if target is not None:
            raise ConfigError(
                f"labels search: target is only used by objective 'balance' "
                f"(objective is {objective!r}); remove --target"
            )
        return None
    k = len(classes)
    if target is None:
        return tuple([1.0 / k] * k)
    values = tuple(float(v) for v in target)
    if len(values) != k:
        raise ConfigError(
            f"labels search: target {list(values)} has {len(values)} shares but the labels "
            f"have {k} classes {list(classes)}; give one share per class, e.g. "
            f"--target {','.join(['%.2f' % (1 / k)] * k)}"
        )
    if any(not (0.0 <= v <= 1.0) for v in values) or abs(sum(values) - 1.0) > 0.01:
        raise ConfigError(
            f"labels search: target {list(values)} must be shares in [0, 1] summing to 1 "
            f"(sum is {sum(values):.3f})"
        )
    total = sum(values)
    return tuple(v / total for v in values)


def search_bounds(
    exp: Experiment,
    part: TrainingPart,
    horizons: Sequence[int],
    given: Mapping[str, tuple[float, float]],
) -> dict[str, tuple[float, float]]:
    """Default search bounds per parameter, scaled by the training period's moves."""
    spec = exp.labels
    close = part.candles["close"].to_numpy(dtype=np.float64)[
        part.rows[part.first : part.test_start]
    ]

    def moves(h: int, q: float) -> float:
        fwd = np.abs(forward_returns(close, h))
        fwd = fwd[np.isfinite(fwd) & (fwd > 0)]
        if fwd.size == 0:
            raise DataError(
                "labels search: the training period has no price moves to set bounds from"
            )
        return float(np.quantile(fwd, q))

    lo_h, hi_h = min(horizons), max(horizons)
    out: dict[str, tuple[float, float]] = {}
    if spec.kind == "ternary" and spec.adaptive is None:
        out["threshold"] = (moves(lo_h, 0.02), moves(hi_h, 0.98))
    elif spec.kind == "ternary":
        out["multiplier"] = _MULTIPLIER_BOUNDS
        out["floor"] = (0.0, moves(hi_h, 0.5))
    elif spec.kind == "triple_barrier":
        assert spec.exits is not None
        span = _ATR_BOUNDS if spec.exits.unit == "atr" else (moves(lo_h, 0.05), moves(hi_h, 0.98))
        out["take_profit"] = span
        out["stop_loss"] = span
    unknown = sorted(set(given) - set(out))
    if unknown:
        raise ConfigError(
            f"labels search: bounds for {unknown} but labels of kind {spec.kind!r}"
            f"{' (adaptive)' if spec.adaptive else ''} search {sorted(out) or 'no threshold'}"
        )
    for name, (lo, hi) in given.items():
        if not (0 <= lo < hi) or (name != "floor" and lo <= 0):
            raise ConfigError(
                f"labels search: bounds {name}=({lo}, {hi}) need 0 < low < high "
                "(floor may start at 0)"
            )
        out[name] = (float(lo), float(hi))
    if len(horizons) > 1:
        out["horizon"] = (float(lo_h), float(hi_h))
    if not out:
        raise ConfigError(
            f"labels search: labels of kind {spec.kind!r} have no threshold to search; "
            "give several --horizons, or use kind ternary or triple_barrier"
        )
    return out


def spec_for(base: LabelSpec, params: Mapping[str, float | int]) -> LabelSpec:
    raw = base.model_dump()
    if "horizon" in params:
        raw["horizon"] = int(params["horizon"])
    if "threshold" in params:
        raw["threshold"] = float(params["threshold"])
    for key in ("multiplier", "floor"):
        if key in params:
            raw["adaptive"][key] = float(params[key])
    for key in ("take_profit", "stop_loss"):
        if key in params:
            raw["exits"][key] = float(params[key])
    return LabelSpec.model_validate(raw)


def current_params(
    base: LabelSpec, bounds: Mapping[str, tuple[float, float]]
) -> dict[str, float | int] | None:
    """The experiment's own parameter values, if they lie inside the bounds."""
    values: dict[str, float | int] = {"horizon": base.horizon, "threshold": base.threshold}
    if base.adaptive is not None:
        values |= {"multiplier": base.adaptive.multiplier, "floor": base.adaptive.floor}
    if base.exits is not None:
        values |= {"take_profit": base.exits.take_profit, "stop_loss": base.exits.stop_loss}
    out = {k: values[k] for k in bounds}
    inside = all(bounds[k][0] <= float(v) <= bounds[k][1] for k, v in out.items())
    return out if inside else None


def balance_loss(shares: np.ndarray, target: tuple[float, ...], weight: float) -> float:
    distance = 0.5 * float(np.abs(shares - np.asarray(target)).sum())
    nonzero = shares[shares > 0]
    entropy = float(-(nonzero * np.log(nonzero)).sum() / math.log(len(shares)))
    return distance + weight * (1.0 - entropy)


def val_mcc(
    part: TrainingPart, y: np.ndarray, horizon: int, purge: int, model: str, seed: int
) -> float:
    from lightgbm import LGBMClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import matthews_corrcoef
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from tradewind.evaluation.baselines import thread_budget

    assert part.X is not None
    gap = max(horizon, purge)
    idx = np.arange(len(y))
    fit = idx[(idx >= part.first) & (idx < part.val_start - gap) & (y >= 0)]
    val = idx[(idx >= part.val_start) & (idx < part.test_start - horizon) & (y >= 0)]
    if len(np.unique(y[fit])) < 2 or len(val) == 0:
        return float("nan")
    if model == "logistic":
        est = make_pipeline(
            StandardScaler(), LogisticRegression(C=0.1, max_iter=500, class_weight="balanced")
        )
    else:
        est = LGBMClassifier(
            n_estimators=100,
            learning_rate=0.05,
            num_leaves=15,
            class_weight="balanced",
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.8,
            num_threads=thread_budget(),
            random_state=seed,
            verbose=-1,
        )
    est.fit(part.X[fit], y[fit])
    return float(matthews_corrcoef(y[val], est.predict(part.X[val])))
