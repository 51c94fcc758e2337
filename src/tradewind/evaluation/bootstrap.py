"""Paired moving-block bootstrap intervals for MCC and accuracy of several predictors.

Out-of-sample rows of a price series are autocorrelated (overlapping label horizons,
volatility regimes), so rows are resampled in contiguous blocks of at least the label
horizon. Every predictor is scored on the same resampled rows, which makes the interval of
the MCC difference model - baseline a paired one. The resamples are those of
:class:`tradewind.block_bootstrap.BlockBootstrap`, the one block bootstrap every interval uses.

Vectorised: MCC and accuracy need only hits, true-class and predicted-class counts; prefix
sums give those counts for every possible block, and a resample's counts are its
block-start multiplicities (one bincount) times the block counts (one matrix product), or
for long blocks a gather of block counts; 1,000 resamples of 50,000 rows take about a
second or less on two cores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tradewind.block_bootstrap import BlockBootstrap
from tradewind.calibration._checks import as_labels
from tradewind.evaluation._json import json_safe
from tradewind.evaluation.metrics import mcc_from_counts
from tradewind.exceptions import ConfigError, DataError, SchemaMismatchError

__all__ = ["BootstrapResult", "Interval", "PredictorIntervals", "moving_block_bootstrap_ci"]

_CHUNK_CELLS = 4_000_000  # resamples per chunk x block starts held in memory at once


@dataclass(frozen=True)
class Interval:
    """A point estimate on all rows and its bootstrap percentile interval."""

    point: float
    lower: float
    upper: float
    level: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return json_safe(vars(self))


@dataclass(frozen=True)
class PredictorIntervals:
    """MCC and accuracy intervals of one predictor."""

    mcc: Interval
    accuracy: Interval


@dataclass(frozen=True)
class BootstrapResult:
    """Intervals of every predictor and of ``model - baseline`` MCC for each baseline.

    ``block`` is the block length used, ``max(block_requested, horizon)``.
    ``share_diff_le_zero[name]`` is the share of resamples where the model's MCC did not
    exceed the baseline's.
    """

    model_key: str
    n_rows: int
    n_boot: int
    block: int
    block_requested: int
    horizon: int
    level: float
    seed: int
    predictors: dict[str, PredictorIntervals]
    mcc_difference: dict[str, Interval]
    share_diff_le_zero: dict[str, float]
    joint: bool = False  # blocks of timestamps, series resampled together (``time_keys``)

    @property
    def method(self) -> str:
        """How the intervals were made: block length used, resamples and level."""
        settings = BlockBootstrap(n_boot=self.n_boot, block=self.block, level=self.level)
        if self.joint:
            return settings.describe(self.block, "timestamps") + ", series resampled jointly"
        return settings.describe(self.block)

    @property
    def baselines(self) -> list[str]:
        """Names of the predictors other than the model."""
        return [k for k in self.predictors if k != self.model_key]

    def ci(self, name: str, metric: str = "mcc") -> tuple[float, float]:
        """``(lower, upper)`` of ``metric`` ("mcc", "accuracy" or "mcc_diff") for ``name``."""
        if metric == "mcc_diff":
            source = self.mcc_difference
        elif metric in ("mcc", "accuracy"):
            source = {k: getattr(v, metric) for k, v in self.predictors.items()}
        else:
            raise ConfigError(f"metric must be 'mcc', 'accuracy' or 'mcc_diff'; got {metric!r}.")
        if name not in source:
            raise ConfigError(f"no {metric} interval for {name!r}; have {sorted(source)}.")
        return source[name].lower, source[name].upper

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return json_safe(
            {
                "model_key": self.model_key,
                "n_rows": self.n_rows,
                "n_boot": self.n_boot,
                "block": self.block,
                "block_requested": self.block_requested,
                "horizon": self.horizon,
                "level": self.level,
                "seed": self.seed,
                "predictors": {
                    k: {"mcc": vars(v.mcc), "accuracy": vars(v.accuracy)}
                    for k, v in self.predictors.items()
                },
                "mcc_difference": {k: vars(v) for k, v in self.mcc_difference.items()},
                "share_diff_le_zero": self.share_diff_le_zero,
            }
        )


def _as_predictions(name: str, arr: np.ndarray, n_rows: int, n_classes: int | None) -> np.ndarray:
    a = np.asarray(arr)
    if a.ndim == 2:
        if n_classes is not None and a.shape[1] != n_classes:
            raise SchemaMismatchError(
                f"preds[{name!r}] has {a.shape[1]} columns; expected {n_classes}."
            )
        if not np.isfinite(a).all():
            raise DataError(f"preds[{name!r}] has NaN/inf probabilities; run diagnose() first.")
        a = a.argmax(axis=1)
    if a.ndim != 1 or a.shape[0] != n_rows:
        raise SchemaMismatchError(
            f"preds[{name!r}] must be probabilities [N, C] or class indices [N] with N = {n_rows} "
            f"(the rows of y); got shape {np.asarray(arr).shape}."
        )
    return a.astype(np.int64)


def _row_indicators(labels: np.ndarray, preds: list[np.ndarray], n_classes: int) -> np.ndarray:
    """Per-row 0/1 columns [N, C + P * (C + 1)]: true class, then per predictor hit + class.

    These are all MCC and accuracy need: a confusion matrix enters MCC only through its
    trace (hits), its row sums (true counts) and its column sums (predicted counts).
    """
    n = labels.shape[0]
    stride = n_classes + 1
    out = np.zeros((n, n_classes + len(preds) * stride), dtype=np.float32)
    rows = np.arange(n)
    out[rows, labels] = 1.0
    for i, pred in enumerate(preds):
        base = n_classes + i * stride
        out[:, base] = pred == labels
        out[rows, base + 1 + pred] = 1.0
    return out


def _resampled_sums(
    indicators: np.ndarray,
    block: int,
    resampler: BlockBootstrap,
    seed: int,
    method: str = "auto",
) -> np.ndarray:
    """Column sums [n_boot, K] of ``indicators`` [N, K] over moving-block resamples.

    The resamples are :meth:`BlockBootstrap.block_starts` (the one block bootstrap), each
    the last block cut so it has exactly N rows. Sums are exact (integers below 2**24 in
    float32). Few long blocks are summed by gathering block counts; many short ones by
    multiplying block-start multiplicities with the block counts (``method`` forces one,
    for tests).
    """
    n, width = indicators.shape
    cum = np.vstack([np.zeros((1, width)), np.cumsum(indicators, axis=0, dtype=np.float64)])
    n_starts = n - block + 1
    n_blocks = -(-n // block)
    tail = n - (n_blocks - 1) * block  # length of the last block, 1..block
    full = (cum[block : block + n_starts] - cum[:n_starts]).astype(np.float32)
    last = (cum[tail : tail + n_starts] - cum[:n_starts]).astype(np.float32)
    gather = method == "gather" or (method == "auto" and 16 * n_blocks < n_starts)
    per_row = n_blocks * width if gather else max(n_starts, n_blocks)
    chunk = max(1, _CHUNK_CELLS // per_row)
    out = np.empty((resampler.n_boot, width), dtype=np.float64)
    lo = 0
    for starts in resampler.block_starts(n, block, seed, max_cells=chunk * n_blocks):
        m = len(starts)
        if gather:
            body = full[starts[:, :-1]].sum(axis=1)
        else:
            flat = np.add(starts[:, :-1], (np.arange(m) * n_starts)[:, None]).ravel()
            mult = np.bincount(flat, minlength=m * n_starts).reshape(m, n_starts)
            body = mult.astype(np.float32) @ full
        out[lo : lo + m] = body + last[starts[:, -1]]
        lo += m
    return out


def _sum_per_time(indicators: np.ndarray, time_keys: np.ndarray) -> np.ndarray:
    """Indicator sums [n_times, K] of the rows at each distinct time, in time order."""
    keys = np.asarray(time_keys)
    if keys.shape != (indicators.shape[0],):
        raise SchemaMismatchError(
            f"time_keys must be 1-D with one time per row ({indicators.shape[0]}); got shape "
            f"{keys.shape}."
        )
    _, inverse = np.unique(keys, return_inverse=True)
    out = np.zeros((int(inverse.max(initial=-1)) + 1, indicators.shape[1]), dtype=np.float32)
    np.add.at(out, inverse.ravel(), indicators)
    return out


def _mcc_and_accuracy(
    sums: np.ndarray, n_classes: int, n_pred: int
) -> tuple[np.ndarray, np.ndarray]:
    """MCC and accuracy [..., P] from indicator column sums [..., K]."""
    stride = n_classes + 1
    true_counts = sums[..., :n_classes]
    per = sums[..., n_classes:].reshape(*sums.shape[:-1], n_pred, stride)
    hits, pred_counts = per[..., 0], per[..., 1:]
    total = true_counts.sum(axis=-1, keepdims=True)
    mcc = mcc_from_counts(hits, true_counts[..., None, :], pred_counts)
    return mcc, hits / total


def moving_block_bootstrap_ci(
    y: np.ndarray,
    preds: Mapping[str, np.ndarray],
    *,
    model_key: str = "model",
    block: int,
    horizon: int = 1,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    n_classes: int | None = None,
    time_keys: np.ndarray | None = None,
) -> BootstrapResult:
    """Paired moving-block bootstrap intervals of MCC and accuracy.

    Parameters
    ----------
    y:
        True class indices [N] of the out-of-sample rows, in time order (no -1 labels).
    preds:
        Predictor name -> probabilities [N, C] (argmax is the prediction) or class
        indices [N], all on the same rows as ``y``. Must contain ``model_key``.
    block:
        Requested block length in rows; the one used is ``max(block, horizon)``.
    horizon:
        Label horizon in bars: labels of neighbouring rows share future bars, so blocks
        shorter than this would understate the variance.
    n_boot, seed, level:
        Number of resamples, RNG seed, and the two-sided percentile interval level.
    n_classes:
        Number of classes; inferred from the probabilities or the largest index if None.
    time_keys:
        int [N] time of each row when the rows come from several series (any order). The
        blocks are then blocks of consecutive distinct times, and a resampled time brings
        the rows of every series at that time along: series are resampled jointly, so
        rows at one time are never counted as independent evidence. ``block`` counts
        times. None: each row is its own time (one series, rows in time order).

    Returns
    -------
    BootstrapResult
        Point estimates on all rows with percentile intervals, and for every baseline the
        interval of ``MCC(model) - MCC(baseline)`` over the same resamples.
    """
    if model_key not in preds:
        raise ConfigError(
            f"preds has no {model_key!r} entry (has {sorted(preds)}); pass model_key."
        )
    if block < 1 or horizon < 1 or n_boot < 2 or not 0 < level < 1:
        raise ConfigError(
            f"need block >= 1, horizon >= 1, n_boot >= 2 and 0 < level < 1; got block={block}, "
            f"horizon={horizon}, n_boot={n_boot}, level={level}."
        )
    resampler = BlockBootstrap(n_boot=int(n_boot), block=int(block), level=float(level))
    y_arr = np.asarray(y)
    if y_arr.ndim != 1:
        raise SchemaMismatchError(f"y must be 1-D [N] class indices; got shape {y_arr.shape}.")
    n = int(y_arr.shape[0])
    names = [model_key, *[k for k in preds if k != model_key]]
    if n_classes is None:
        widths = {np.asarray(preds[k]).shape[1] for k in names if np.asarray(preds[k]).ndim == 2}
        n_classes = max(widths) if widths else None
    pred_arrays = [_as_predictions(k, preds[k], n, n_classes) for k in names]
    if n_classes is None:
        n_classes = int(max(np.max(y_arr, initial=0), *(a.max(initial=0) for a in pred_arrays))) + 1
    labels = as_labels(y_arr, n_rows=n, n_classes=n_classes)
    for k, a in zip(names, pred_arrays, strict=True):
        if a.size and (a.min() < 0 or a.max() >= n_classes):
            raise DataError(f"preds[{k!r}] has class indices outside 0..{n_classes - 1}.")
    used_block = resampler.block_length(int(horizon))
    indicators = _row_indicators(labels, pred_arrays, n_classes)
    per_time = indicators if time_keys is None else _sum_per_time(indicators, time_keys)
    if used_block > per_time.shape[0]:
        unit = "rows" if time_keys is None else "distinct times"
        raise DataError(
            f"block length {used_block} exceeds the {per_time.shape[0]} out-of-sample {unit}; "
            "more test rows are needed for an interval (or a shorter label horizon)."
        )
    sums = _resampled_sums(per_time, used_block, resampler, seed)
    boot_mcc, boot_acc = _mcc_and_accuracy(sums, n_classes, len(names))  # [n_boot, P]
    point_mcc, point_acc = _mcc_and_accuracy(
        indicators.sum(axis=0, dtype=np.float64), n_classes, len(names)
    )
    def interval(point: float, samples: np.ndarray) -> Interval:
        lo, hi = resampler.interval(samples)
        return Interval(point=float(point), lower=float(lo), upper=float(hi), level=float(level))

    predictors = {
        k: PredictorIntervals(
            mcc=interval(point_mcc[i], boot_mcc[:, i]),
            accuracy=interval(point_acc[i], boot_acc[:, i]),
        )
        for i, k in enumerate(names)
    }
    diffs = {
        k: interval(point_mcc[0] - point_mcc[i], boot_mcc[:, 0] - boot_mcc[:, i])
        for i, k in enumerate(names)
        if i > 0
    }
    le_zero = {
        k: float(np.mean(boot_mcc[:, 0] - boot_mcc[:, i] <= 0))
        for i, k in enumerate(names)
        if i > 0
    }
    return BootstrapResult(
        model_key=model_key,
        n_rows=n,
        n_boot=int(n_boot),
        block=used_block,
        block_requested=int(block),
        horizon=int(horizon),
        level=float(level),
        seed=int(seed),
        predictors=predictors,
        mcc_difference=diffs,
        share_diff_le_zero=le_zero,
        joint=time_keys is not None,
    )
