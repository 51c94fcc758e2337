"""Paired block-bootstrap intervals of challenger and champion on the same holdout rows.

Both models are scored on every resample of the same rows (one
:class:`~tradewind.block_bootstrap.BlockBootstrap` draw per metric), so the interval of
challenger − champion is a paired one: it is narrower than the two models' own intervals
suggest when they err on the same bars. MCC uses the labelled holdout rows, in blocks of at
least the label horizon; the after-cost return per bar uses every holdout bar, in blocks
of at least the longest holding period of either policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tradewind.block_bootstrap import DEFAULT_BLOCK, BlockBootstrap
from tradewind.evaluation import moving_block_bootstrap_ci
from tradewind.evaluation.bootstrap import Interval
from tradewind.exceptions import DataError
from tradewind.retrain.holdout import HoldoutScore

__all__ = ["MetricComparison", "compare_on_holdout"]

CHALLENGER, CHAMPION = "challenger", "champion"


@dataclass(frozen=True)
class MetricComparison:
    """One metric: each model's value with its interval, and the paired difference."""

    metric: str
    models: dict[str, Interval]
    difference: Interval | None  # challenger − champion; None without a champion
    rows: int
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric, "rows": self.rows, "method": self.method,
            "models": {name: iv.to_dict() for name, iv in self.models.items()},
            "difference": None if self.difference is None else self.difference.to_dict(),
        }


def _mcc(y: np.ndarray, scores: dict[str, HoldoutScore], n_classes: int, horizon: int,
         boot: BlockBootstrap, seed: int) -> MetricComparison:
    known = y >= 0
    n = int(known.sum())
    block = boot.block_length(horizon)
    if n < block:
        raise DataError(
            f"retrain: the holdout has {n} labelled rows, fewer than one bootstrap block "
            f"({block} rows); lengthen retrain.holdout"
        )
    result = moving_block_bootstrap_ci(
        y[known], {k: s.pred[known] for k, s in scores.items()}, model_key=CHALLENGER,
        block=int(boot.block or DEFAULT_BLOCK), horizon=horizon, n_boot=boot.n_boot, seed=seed,
        level=boot.level, n_classes=n_classes,
    )
    return MetricComparison(
        metric="mcc", models={k: v.mcc for k, v in result.predictors.items()},
        difference=result.mcc_difference.get(CHAMPION), rows=n, method=result.method,
    )


def _resampled_means(values: np.ndarray, boot: BlockBootstrap, block: int, seed: int) -> np.ndarray:
    """Mean of each column of ``values`` [N, K] over every moving-block resample → [n_boot, K]."""
    n = len(values)
    cum = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
    n_blocks = -(-n // block)
    tail = n - (n_blocks - 1) * block
    starts_max = n - block + 1
    full = cum[block:block + starts_max] - cum[:starts_max]
    last = cum[tail:tail + starts_max] - cum[:starts_max]
    out = []
    for starts in boot.block_starts(n, block, seed):
        out.append(full[starts[:, :-1]].sum(axis=1) + last[starts[:, -1]])
    return np.vstack(out) / n


def _returns(scores: dict[str, HoldoutScore], horizon: int, boot: BlockBootstrap,
             seed: int) -> MetricComparison:
    names = list(scores)
    values = np.stack([scores[k].bar_returns for k in names], axis=1)
    n = len(values)
    holding = max([horizon, *(s.max_holding for s in scores.values())])
    block = min(boot.block_length(holding), n)
    samples = _resampled_means(values, boot, block, seed)
    points = values.mean(axis=0)

    def interval(point: float, draws: np.ndarray) -> Interval:
        lo, hi = boot.interval(draws)
        return Interval(point=float(point), lower=lo, upper=hi, level=boot.level)

    models = {k: interval(points[i], samples[:, i]) for i, k in enumerate(names)}
    difference = None
    if CHAMPION in scores:
        i, j = names.index(CHALLENGER), names.index(CHAMPION)
        difference = interval(points[i] - points[j], samples[:, i] - samples[:, j])
    return MetricComparison(metric="return", models=models, difference=difference, rows=n,
                            method=boot.describe(block, "bars"))


def compare_on_holdout(
    y: np.ndarray, scores: dict[str, HoldoutScore], *, n_classes: int, horizon: int,
    bootstrap: BlockBootstrap, seed: int,
) -> dict[str, MetricComparison]:
    """``{"mcc": ..., "return": ...}`` for ``scores`` (``challenger`` and, when there is
    one, ``champion``) against the holdout labels ``y`` [H] (-1 rows are skipped for MCC)."""
    return {
        "mcc": _mcc(y, scores, n_classes, horizon, bootstrap, seed),
        "return": _returns(scores, horizon, bootstrap, seed),
    }
