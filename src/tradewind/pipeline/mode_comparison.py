"""Pooled against per-symbol models on the same out-of-sample rows (``universe.compare_modes``).

Both modes are trained on the one walk-forward calendar, so every symbol's test rows are
the same in both. Both are scored on every resample of the same blocks, which makes the
interval of pooled − per_symbol MCC a paired one (the one bootstrap,
:func:`~tradewind.evaluation.moving_block_bootstrap_ci`, with the run's ``bootstrap:``
settings and seed): per symbol over blocks of its own rows, and over all symbols over
blocks of timestamps resampled jointly across symbols, as the run's pooled intervals are.
With the same seed the primary mode's intervals here are those of its own report sections.
"""

from __future__ import annotations

import numpy as np

from tradewind.block_bootstrap import BlockBootstrap
from tradewind.config import Experiment
from tradewind.evaluation import BootstrapResult, moving_block_bootstrap_ci
from tradewind.evaluation.bootstrap import Interval
from tradewind.exceptions import SchemaMismatchError
from tradewind.pipeline.folds import FoldResult
from tradewind.pipeline.prepare import Prepared
from tradewind.report.schema import ModeComparison, ModeDifference

__all__ = ["PER_SYMBOL", "POOLED", "compare_modes", "mode_answer"]

POOLED, PER_SYMBOL = "pooled", "per_symbol"
_READINGS = {1: "pooled better", -1: "per_symbol better", 0: "cannot be told apart"}


def _predictions(folds: list[FoldResult]) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-sample rows (ascending) and the predicted class of each."""
    rows = np.concatenate([f.test_rows for f in folds])
    pred = np.concatenate([f.probs for f in folds]).argmax(axis=1)
    order = np.argsort(rows, kind="stable")
    return rows[order], pred[order]


def _ci(iv: Interval) -> tuple[float, float] | None:
    return (iv.lower, iv.upper) if np.isfinite([iv.lower, iv.upper]).all() else None


def _sign(ci: tuple[float, float] | None) -> int:
    if ci is None:
        return 0
    return 1 if ci[0] > 0 else -1 if ci[1] < 0 else 0


def _difference(result: BootstrapResult) -> ModeDifference:
    pooled, per_symbol = result.predictors[POOLED].mcc, result.predictors[PER_SYMBOL].mcc
    diff = result.mcc_difference[PER_SYMBOL]
    return ModeDifference(
        n_rows=result.n_rows, pooled_mcc=pooled.point, pooled_mcc_ci=_ci(pooled),
        per_symbol_mcc=per_symbol.point, per_symbol_mcc_ci=_ci(per_symbol),
        difference=diff.point, difference_ci=_ci(diff),
        share_diff_le_zero=result.share_diff_le_zero[PER_SYMBOL],
        reading=_READINGS[_sign(_ci(diff))],
    )


def mode_answer(pooled: ModeDifference, symbols: dict[str, ModeDifference]) -> str:
    """One sentence: did pooling beat the per-symbol models, over all rows and per symbol."""
    verb = {1: "pooling beat per-symbol models", -1: "per-symbol models beat pooling",
            0: "pooling and per-symbol models cannot be told apart"}[_sign(pooled.difference_ci)]
    interval = ("" if pooled.difference_ci is None else
                f" [{pooled.difference_ci[0]:+.3f}, {pooled.difference_ci[1]:+.3f}]")
    diff = "undefined" if pooled.difference is None else f"{pooled.difference:+.3f}"
    ahead = sum(d.reading == "pooled better" for d in symbols.values())
    behind = sum(d.reading == "per_symbol better" for d in symbols.values())
    return (f"{verb[0].upper()}{verb[1:]}: ΔMCC (pooled − per_symbol) {diff}{interval} on "
            f"{pooled.n_rows:,} out-of-sample rows of {len(symbols)} symbols; per symbol, "
            f"pooling ahead on {ahead}, behind on {behind}, no clear difference on "
            f"{len(symbols) - ahead - behind}")


def compare_modes(
    exp: Experiment, prep: Prepared, pooled: list[list[FoldResult]],
    per_symbol: list[list[FoldResult]],
) -> ModeComparison:
    """The ``universe.comparison`` section.

    Parameters
    ----------
    pooled, per_symbol:
        Per series ``s``, the folds of each mode over the rows of ``prep.view(s)`` (the
        pooled model's folds cut per symbol, and each symbol's own models' folds).
    """
    settings = BlockBootstrap(**exp.bootstrap.model_dump())
    block = settings.block_length(exp.labels.horizon)
    n_classes = len(prep.classes)

    def paired(y: np.ndarray, preds: dict[str, np.ndarray],
               time_keys: np.ndarray | None = None) -> BootstrapResult:
        return moving_block_bootstrap_ci(
            y, preds, model_key=POOLED, block=block, horizon=exp.labels.horizon,
            n_boot=settings.n_boot, seed=exp.seed, level=settings.level, n_classes=n_classes,
            time_keys=time_keys,
        )

    symbols: dict[str, ModeDifference] = {}
    stacked: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for s, symbol in enumerate(prep.symbols):
        rows, pred_pooled = _predictions(pooled[s])
        rows_own, pred_own = _predictions(per_symbol[s])
        if not np.array_equal(rows, rows_own):
            raise SchemaMismatchError(
                f"universe.compare_modes: {symbol}'s pooled and per_symbol out-of-sample rows "
                f"differ ({len(rows)} vs {len(rows_own)}); both modes must share the calendar"
            )
        y = prep.view(s).y[rows]
        symbols[symbol] = _difference(paired(y, {POOLED: pred_pooled, PER_SYMBOL: pred_own}))
        stacked.append((rows + prep.offsets[s], pred_pooled, pred_own))
    rows = np.concatenate([r for r, _, _ in stacked])
    both = _difference(paired(
        prep.y[rows],
        {POOLED: np.concatenate([p for _, p, _ in stacked]),
         PER_SYMBOL: np.concatenate([q for _, _, q in stacked])},
        time_keys=prep.index[rows].as_unit("ns").asi8,
    ))
    method = (f"{settings.describe(block)} per symbol; over all symbols blocks of "
              f"timestamps, series resampled jointly; both modes scored on every resample")
    return ModeComparison(primary=exp.universe.mode, method=method, symbols=symbols,
                          pooled=both, answer=mode_answer(both, symbols))
