"""Realised performance of logged signals once their outcomes are known, with intervals.

A signal is *resolved* when the log's ``outcomes`` table holds its bar: the realised label
(compared with the argmax of the logged calibrated probabilities) and, when the policy
entered a paper trade there, that trade's after-cost return. Every interval is a
moving-block bootstrap (:class:`tradewind.block_bootstrap.BlockBootstrap`) over the window's
signals in time order (block ``max(block or 24, horizon)``, at most a quarter of the
window) or over its trades (block ``trade_block``): neighbouring signals share future bars.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from tradewind.block_bootstrap import BlockBootstrap
from tradewind.calibration import ece, reliability_curve
from tradewind.config import MonitorSpec
from tradewind.evaluation.metrics import mcc_from_counts
from tradewind.signals.model import Signal

__all__ = ["ECE_BINS", "Resolved", "WindowMetrics", "resolve", "rolling_metrics", "window_metrics"]

ECE_BINS = 15
"""Equal-width confidence bins of the realised ECE (as the run's ECE)."""


@dataclass(frozen=True)
class Resolved:
    """Logged signals joined with their outcomes, oldest first.

    ``y`` is the realised class index (-1: no outcome yet, or a label that is not a class,
    e.g. an exactly flat move); ``trade`` the paper trade's after-cost return (NaN: none).
    """

    timestamps: pd.DatetimeIndex
    probs: np.ndarray  # [N, C]
    resolved: np.ndarray  # [N] bool: an outcome row exists
    y: np.ndarray  # [N] int64
    trade: np.ndarray  # [N] float64
    classes: tuple[str, ...]
    other_labels: tuple[str, ...] = ()  # outcome labels that name no class

    def __len__(self) -> int:
        return len(self.timestamps)


def resolve(signals: list[Signal], outcomes: pd.DataFrame, classes: list[str]) -> Resolved:
    """Join ``signals`` with the ``outcomes`` frame of :meth:`SignalLog.outcomes`.

    Outcome labels match class names case-insensitively (``up`` is ``UP``).
    """
    index = pd.DatetimeIndex([pd.Timestamp(s.timestamp) for s in signals], name="timestamp")
    if index.tz is None:
        index = index.tz_localize("UTC")
    probs = np.array([[s.probabilities.get(c, np.nan) for c in classes] for s in signals],
                     dtype=np.float64).reshape(len(signals), len(classes))
    joined = outcomes.reindex(index)
    lookup = {c.lower(): i for i, c in enumerate(classes)}
    labels = joined["label"].to_numpy(dtype=object)
    has = np.array([isinstance(v, str) for v in labels], dtype=bool)
    y = np.array([lookup.get(v.lower(), -1) if isinstance(v, str) else -1 for v in labels],
                 dtype=np.int64)
    other = sorted({v for v in labels if isinstance(v, str) and v.lower() not in lookup})
    return Resolved(index, probs, has, y, joined["trade_return"].to_numpy(dtype=np.float64),
                    tuple(classes), tuple(other))


class Interval(BaseModel):
    """A value with its bootstrap interval (``ci`` null when too few rows)."""

    model_config = ConfigDict(extra="forbid")

    value: float | None
    ci: list[float] | None = None


class WindowMetrics(BaseModel):
    """Realised metrics of one window of resolved signals."""

    model_config = ConfigDict(extra="forbid")

    first: str | None = Field(description="Bar open time of the window's first signal (UTC).")
    last: str | None = Field(description="Bar open time of its last signal (UTC).")
    signals: int = Field(description="Resolved signals in the window.")
    labelled: int = Field(description="Of them, with a realised class label.")
    trades: int = Field(description="Of them, with a paper trade.")
    accuracy: Interval
    mcc: Interval
    ece: Interval
    trade_hit_rate: Interval
    return_per_trade_bp: Interval
    cumulative_return: Interval
    max_drawdown: Interval
    reliability: list[dict[str, float | int | None]] = Field(
        default_factory=list, description="Per confidence bin: confidence, accuracy, count.")


def _iso(ts: pd.Timestamp | None) -> str | None:
    return None if ts is None else pd.Timestamp(ts).isoformat()


def _ci(bb: BlockBootstrap, samples: np.ndarray) -> list[float] | None:
    lo, hi = bb.interval(samples)
    return [lo, hi] if np.isfinite(lo) and np.isfinite(hi) else None


def _classification(y: np.ndarray, probs: np.ndarray, bb: BlockBootstrap, block: int, seed: int
                    ) -> tuple[Interval, Interval, Interval, list[dict]]:
    n, k = probs.shape
    pred = probs.argmax(axis=1)
    conf = probs.max(axis=1)
    hit = (pred == y).astype(np.float64)
    cm_true = np.bincount(y, minlength=k)
    cm_pred = np.bincount(pred, minlength=k)
    mcc = float(mcc_from_counts(hit.sum(), cm_true, cm_pred))
    acc = float(hit.mean())
    ece_value = float(ece(probs, y, ECE_BINS))
    bconf, bacc, bcount = reliability_curve(probs, y, ECE_BINS)
    bins = [{"confidence": None if not np.isfinite(c) else float(c),
             "accuracy": None if not np.isfinite(a) else float(a), "count": int(m)}
            for c, a, m in zip(bconf, bacc, bcount, strict=True)]
    rows = bb.resample_rows(n, min(block, n), seed)
    b = rows.shape[0]
    off = np.arange(b)[:, None]
    yy, pp = y[rows], pred[rows]
    t = np.bincount((yy + off * k).ravel(), minlength=b * k).reshape(b, k)
    p = np.bincount((pp + off * k).ravel(), minlength=b * k).reshape(b, k)
    hits = (yy == pp).sum(axis=1)
    edges = np.linspace(0.0, 1.0, ECE_BINS + 1)[1:-1]
    bidx = (np.digitize(conf, edges, right=True)[rows] + off * ECE_BINS).ravel()
    gap = (np.bincount(bidx, weights=hit[rows].ravel(), minlength=b * ECE_BINS)
           - np.bincount(bidx, weights=conf[rows].ravel(), minlength=b * ECE_BINS))
    ece_boot = np.abs(gap.reshape(b, ECE_BINS)).sum(axis=1) / n
    return (Interval(value=acc, ci=_ci(bb, hits / n)),
            Interval(value=mcc, ci=_ci(bb, mcc_from_counts(hits, t, p))),
            Interval(value=ece_value, ci=_ci(bb, ece_boot)), bins)


def _drawdown(equity: np.ndarray) -> np.ndarray:
    """Largest fall from a running peak, per row of ``equity`` [..., T] (starts at 1)."""
    peak = np.maximum.accumulate(np.concatenate(
        [np.ones((*equity.shape[:-1], 1)), equity], axis=-1), axis=-1)[..., 1:]
    return (1.0 - equity / peak).max(axis=-1)


def _trades(r: np.ndarray, bb: BlockBootstrap, block: int, seed: int
            ) -> tuple[Interval, Interval, Interval, Interval]:
    m = r.size
    equity = np.cumprod(1.0 + r)
    values = (float((r > 0).mean()), float(r.mean() * 1e4), float(equity[-1] - 1.0),
              float(_drawdown(equity)))
    if m < 2:
        return tuple(Interval(value=v) for v in values)  # type: ignore[return-value]
    rows = bb.resample_rows(m, min(block, m), seed)
    rr = r[rows]
    paths = np.cumprod(1.0 + rr, axis=1)
    samples = ((rr > 0).mean(axis=1), rr.mean(axis=1) * 1e4, paths[:, -1] - 1.0, _drawdown(paths))
    return tuple(Interval(value=v, ci=_ci(bb, s))  # type: ignore[return-value]
                 for v, s in zip(values, samples, strict=True))


def window_metrics(res: Resolved, rows: np.ndarray, spec: MonitorSpec, *, horizon: int,
                   level: float) -> WindowMetrics:
    """Metrics of the resolved signals at positions ``rows`` of ``res`` (ascending)."""
    bb = BlockBootstrap(n_boot=spec.n_boot, block=spec.block, level=level)
    labelled = rows[res.y[rows] >= 0]
    traded = rows[np.isfinite(res.trade[rows])]
    empty = Interval(value=None)
    acc = mcc = ece_value = empty
    bins: list[dict] = []
    if labelled.size >= 2:
        block = min(bb.block_length(horizon), max(labelled.size // 4, 1))
        acc, mcc, ece_value, bins = _classification(res.y[labelled], res.probs[labelled], bb,
                                                    block, spec.seed)
    hit = ret = cum = dd = empty
    if traded.size:
        hit, ret, cum, dd = _trades(res.trade[traded], bb, spec.trade_block, spec.seed)
    return WindowMetrics(
        first=_iso(res.timestamps[rows[0]]) if rows.size else None,
        last=_iso(res.timestamps[rows[-1]]) if rows.size else None,
        signals=int(rows.size), labelled=int(labelled.size), trades=int(traded.size),
        accuracy=acc, mcc=mcc, ece=ece_value, trade_hit_rate=hit, return_per_trade_bp=ret,
        cumulative_return=cum, max_drawdown=dd, reliability=bins)


def rolling_metrics(res: Resolved, spec: MonitorSpec, *, horizon: int, level: float
                    ) -> list[WindowMetrics]:
    """Windows of ``spec.window`` resolved signals ending at up to ``spec.rolling_points``
    evenly spaced points, the last at the newest resolved signal."""
    done = np.flatnonzero(res.resolved)
    if done.size < spec.min_resolved:
        return []
    size = min(spec.window, done.size)
    ends = np.unique(np.linspace(size, done.size, min(spec.rolling_points, done.size - size + 1))
                     .round().astype(np.int64))
    return [window_metrics(res, done[end - size:end], spec, horizon=horizon, level=level)
            for end in ends]
