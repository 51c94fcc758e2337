"""Several series in one run: folds per symbol and pooled, and the pooled judgement.

The stacked :class:`~tradewind.pipeline.prepare.Prepared` holds every series; a
:class:`~tradewind.pipeline.folds.FoldResult` over stacked rows (a pooled model's fold)
is cut into one per symbol over that symbol's own rows (:func:`fold_for_series`), and the
per-symbol models' folds are put together over stacked rows (:func:`merge_folds`), so
that every symbol is judged by the single-series evaluation on its own rows and all rows
are judged together.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from tradewind.config import Experiment, SeriesSource
from tradewind.evaluation import classification_metrics
from tradewind.pipeline.folds import FoldResult
from tradewind.pipeline.prepare import Prepared

__all__ = ["fold_for_series", "merge_folds", "series_experiment", "symbol_dirname",
           "symbol_model_name"]


def series_experiment(exp: Experiment, item: SeriesSource) -> Experiment:
    """``exp`` as if it read only ``item`` (the bundle and report of one symbol)."""
    data = exp.data.model_copy(update={"source": item.source, "symbol": item.name, "sources": []})
    return exp.model_copy(update={"data": data})


def symbol_model_name(model_name: str, symbol: str) -> str:
    """The registered model of ``symbol``'s bundles in a run over several symbols (each
    symbol is promoted on its own verdict): ``tradewind`` and ``BTC/USDT`` →
    ``tradewind-BTC-USDT``."""
    return f"{model_name}-{symbol_dirname(symbol)}"


def _mask(prep: Prepared, rows: np.ndarray, s: int) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.int64)
    return (rows >= prep.offsets[s]) & (rows < prep.offsets[s + 1])


def fold_for_series(prep: Prepared, fold: FoldResult, s: int) -> FoldResult:
    """The part of ``fold`` (over stacked rows) that belongs to series ``s``, over the rows of
    ``prep.view(s)``; its metrics are recomputed on that series' test rows."""
    off = int(prep.offsets[s])
    test = _mask(prep, fold.test_rows, s)
    val = _mask(prep, fold.val_rows, s)
    view = prep.view(s)
    test_rows = fold.test_rows[test] - off
    probs = fold.probs[test]
    return replace(
        fold,
        train_rows=fold.train_rows[_mask(prep, fold.train_rows, s)] - off,
        val_rows=fold.val_rows[val] - off,
        test_rows=test_rows,
        logits=fold.logits[test],
        probs=probs,
        model_input=fold.model_input[test],
        val_probs=fold.val_probs[val],
        metrics=classification_metrics(view.y[test_rows], probs, list(prep.classes)).to_dict(),
        teacher=None,
        importance=None,
    )


def merge_folds(prep: Prepared, per_series: list[FoldResult]) -> FoldResult:
    """One fold over stacked rows from the same fold of each series' own model.

    Training history, temperature and calibration differ per model; the merged fold keeps
    the median best epoch and no history (each symbol's own are in its section).
    """
    off = prep.offsets

    def cat(name: str, shift: bool = False) -> np.ndarray:
        return np.concatenate([getattr(f, name) + (off[s] if shift else 0)
                               for s, f in enumerate(per_series)])

    test_rows = cat("test_rows", True)
    probs = cat("probs")
    return FoldResult(
        fold=per_series[0].fold,
        train_rows=cat("train_rows", True),
        val_rows=cat("val_rows", True),
        test_rows=test_rows,
        logits=cat("logits"),
        probs=probs,
        temperature=None,
        best_epoch=int(np.median([f.best_epoch for f in per_series])),
        history=[],
        model_input=cat("model_input"),
        val_probs=cat("val_probs"),
        metrics=classification_metrics(prep.y[test_rows], probs, list(prep.classes)).to_dict(),
        n_params=sum(f.n_params for f in per_series),
    )


def symbol_dirname(symbol: str) -> str:
    """A folder name for ``symbol`` (``BTC/USDT`` → ``BTC-USDT``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", symbol).strip("-.") or "series"
