"""Per-fold feature importances combined for the report: means over folds, the fold spread
(min, max) and ranks (1 = most important), with the note on what the numbers mean."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tradewind.evaluation.importance import FoldImportance, ImportanceSpec
from tradewind.exceptions import SchemaMismatchError

__all__ = ["ImportanceSummary", "summarize_importance"]


@dataclass
class ImportanceSummary:
    """Fold importances combined: means over folds, fold ranges, ranks (1 = most important).

    :meth:`to_dict` has the keys of the report's ``importance`` section.
    """

    methods: list[str]
    max_rows: int
    repeats: int
    rows_per_fold: list[int]
    base_logloss: float
    base_mcc: float
    gradient_method: str | None
    shap_model: str | None
    features: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        n_rows, k = sum(self.rows_per_fold), len(self.rows_per_fold)
        note = (
            f"Out of sample: measured on {n_rows:,} test rows ({k} folds, at most "
            f"{self.max_rows:,} "
            "per fold, evenly spaced over each test period), each fold with its own trained model "
            "and calibrator. Importances of correlated features are shared between them and "
            "unstable: shuffling one of two near-copies leaves the other to carry the signal, so "
            "both can look unimportant. Importance says what this model used, not what causes "
            "prices to move."
        )
        return {
            "methods": list(self.methods),
            "rows": n_rows,
            "rows_per_fold": list(self.rows_per_fold),
            "max_rows": self.max_rows,
            "repeats": self.repeats,
            "base_logloss": self.base_logloss,
            "base_mcc": self.base_mcc,
            "gradient_method": self.gradient_method,
            "shap_model": self.shap_model,
            "note": note,
            "features": self.features,
        }


def _ranks(values: np.ndarray | None) -> list[int | None]:
    if values is None:
        return []
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values), dtype=np.int64)
    ranks[order] = np.arange(1, len(values) + 1)
    return [int(r) for r in ranks]


def _stack(folds: Sequence[FoldImportance], name: str) -> np.ndarray | None:
    values = [getattr(f, name) for f in folds]
    return None if any(v is None for v in values) else np.stack(values)


def summarize_importance(
    folds: Sequence[FoldImportance],
    spec: ImportanceSpec,
    *,
    shap: Sequence[np.ndarray] | None = None,
) -> ImportanceSummary:
    """Combine per-fold importances; ``shap`` holds one [F_main] array per fold it was
    computed in (the first ``len(shap[0])`` features; side features get none)."""
    if not folds:
        raise SchemaMismatchError("summarize_importance: no fold importances to combine")
    names = folds[0].features
    if any(f.features != names for f in folds):
        raise SchemaMismatchError("summarize_importance: folds disagree on the feature names")
    ll, mcc, grad = (
        _stack(folds, n) for n in ("permutation_logloss", "permutation_mcc", "gradient")
    )
    shap_mean = np.mean(np.stack(list(shap)), axis=0) if shap else None
    methods = [
        m
        for m, v in (("permutation", ll), ("gradient", grad), ("shap", shap_mean))
        if v is not None
    ]
    padded = (
        None
        if shap_mean is None
        else np.concatenate([shap_mean, np.full(len(names) - len(shap_mean), -np.inf)])
    )
    ranks = {
        "permutation": _ranks(None if ll is None else ll.mean(axis=0)),
        "gradient": _ranks(None if grad is None else grad.mean(axis=0)),
        "shap": _ranks(padded),
    }
    rows = []
    for j, name in enumerate(names):
        row: dict[str, Any] = {"feature": name}
        if ll is not None and mcc is not None:
            row |= {
                "permutation_logloss": float(ll[:, j].mean()),
                "permutation_logloss_range": (float(ll[:, j].min()), float(ll[:, j].max())),
                "permutation_mcc": float(mcc[:, j].mean()),
                "permutation_mcc_range": (float(mcc[:, j].min()), float(mcc[:, j].max())),
                "permutation_rank": ranks["permutation"][j],
            }
        if grad is not None:
            row |= {"gradient": float(grad[:, j].mean()), "gradient_rank": ranks["gradient"][j]}
        if shap_mean is not None and j < len(shap_mean):
            row |= {"shap": float(shap_mean[j]), "shap_rank": ranks["shap"][j]}
        rows.append(row)
    key = next((f"{m}_rank" for m in methods), None)
    if key is not None:
        rows.sort(key=lambda r: r.get(key) or len(names) + 1)
    return ImportanceSummary(
        methods=methods,
        max_rows=spec.max_rows,
        repeats=spec.repeats,
        rows_per_fold=[len(f.rows) for f in folds],
        base_logloss=float(np.mean([f.base_logloss for f in folds])),
        base_mcc=float(np.mean([f.base_mcc for f in folds])),
        gradient_method=None
        if grad is None
        else (
            f"integrated gradients, {spec.ig_steps} steps, zero (normaliser-centre) baseline, "
            "predicted class's centred logit, summed over the window"
        ),
        shap_model=None
        if shap_mean is None
        else (
            "lightgbm baseline, TreeSHAP (LightGBM pred_contrib), summed over lags, mean |value| "
            "over rows and classes (log-odds)"
        ),
        features=rows,
    )
