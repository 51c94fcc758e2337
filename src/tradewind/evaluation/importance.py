"""Which features a model leans on, measured out of sample, inside each walk-forward fold.

Three measures, each on the same deterministic subsample of a fold's **test** rows
(:func:`importance_rows`: at most ``max_rows``, evenly spaced over the test period):

- **Permutation** (every model): shuffle one feature's *whole window* (all ``lookback``
  steps together) across the test windows, re-predict with the fold's trained model and
  calibrator, and record the increase in log-loss and the drop in MCC; mean over
  ``repeats`` shuffles. Shuffling whole windows keeps each window's own time structure
  and breaks only its link to the label.
- **Integrated gradients** (deep models): attributions of the predicted class's centred
  logit ``z_c − mean_k z_k`` with respect to the *normalised* input window, along the
  straight path from the all-zero window (the normaliser's centre: a typical training bar)
  to the input, by the midpoint rule with ``ig_steps`` steps; summed over time, mean |.|
  over rows. Chosen over gradient × input because recurrent gates saturate: a gradient at
  the input alone can be ~0 for a feature that moved the output, while integrated
  gradients add up to ``f(x) − f(0)`` (completeness) and so cannot hide it.
- **TreeSHAP** (the LightGBM baseline): LightGBM's own ``booster.predict(X,
  pred_contrib=True)`` *is* TreeSHAP (exact Shapley values for trees, no ``shap`` package
  needed). A base feature's contribution is the sum over its lag columns; mean |.| over
  rows and classes, in raw-margin (log-odds) units.

Importances of correlated features are shared between them and unstable: shuffling one of
two twins leaves the other to carry the signal, so both can look unimportant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from tradewind.evaluation.metrics import mcc_from_confusion
from tradewind.exceptions import ConfigError, SchemaMismatchError

if TYPE_CHECKING:
    import torch
    from torch import nn

    from tradewind.dataset import Windows

__all__ = [
    "FoldImportance",
    "ImportanceMethod",
    "ImportanceSpec",
    "fold_importance",
    "importance_rows",
    "integrated_gradients",
    "lightgbm_shap",
    "permutation_importance",
]

ImportanceMethod = Literal["permutation", "gradient", "shap"]
_EPS = 1e-12
_BATCH = 1024


class ImportanceSpec(BaseModel):
    """The ``importance:`` section: out-of-sample feature importance in every report.

    Cost per fold: ``(F + S) × repeats`` predictions of ``max_rows`` windows (permutation)
    plus ``ig_steps`` forward and backward passes of them (gradient); large models may
    lower ``max_rows`` or ``repeats``, or drop a method.
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    max_rows: int = Field(500, ge=10, description="Test rows per fold (evenly spaced subsample).")
    repeats: int = Field(2, ge=1, description="Shuffles per feature (permutation).")
    methods: list[ImportanceMethod] = Field(
        default_factory=lambda: ["permutation", "gradient", "shap"],
        description="permutation (every model), gradient (integrated gradients), "
        "shap (LightGBM baseline).",
    )
    ig_steps: int = Field(
        8, ge=1, le=256, description="Integrated-gradients path steps (midpoint rule)."
    )


@dataclass
class FoldImportance:
    """Importances of one fold, one entry per feature (main features, then side features).

    ``permutation_logloss`` / ``permutation_mcc``: mean over repeats of the log-loss increase
    and the MCC drop (positive = the feature helped); ``gradient``: mean |integrated
    gradient| (None when not computed); ``base_logloss`` / ``base_mcc``: scores of the
    unshuffled rows.
    """

    fold: int
    rows: np.ndarray
    features: list[str]
    base_logloss: float
    base_mcc: float
    permutation_logloss: np.ndarray | None
    permutation_mcc: np.ndarray | None
    gradient: np.ndarray | None


def importance_rows(test_rows: np.ndarray, max_rows: int) -> np.ndarray:
    """At most ``max_rows`` of ``test_rows``, evenly spaced (deterministic, whole period)."""
    rows = np.asarray(test_rows, dtype=np.int64)
    if len(rows) <= max_rows:
        return rows
    return rows[np.unique(np.linspace(0, len(rows) - 1, max_rows).round().astype(np.int64))]


def _scores(probs: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(log-loss, MCC) of probabilities [N, C] against labels [N]."""
    k = probs.shape[1]
    logloss = float(-np.log(np.clip(probs[np.arange(len(y)), y], _EPS, 1.0)).mean())
    confusion = np.bincount(y * k + probs.argmax(axis=1), minlength=k * k).reshape(k, k)
    return logloss, float(mcc_from_confusion(confusion))


def permutation_importance(
    predict_proba: Callable[[torch.Tensor, torch.Tensor | None], np.ndarray],
    x: torch.Tensor,
    y: np.ndarray,
    *,
    side: torch.Tensor | None = None,
    repeats: int = 2,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Log-loss increase and MCC drop per feature when its whole window is shuffled.

    Parameters
    ----------
    predict_proba:
        ``(x [N, L, F], side [N, S] | None) -> probabilities [N, C]``.
    x, side:
        Test windows and side vectors (left unchanged on return).
    y:
        Labels [N] (int class indices).

    Returns
    -------
    (logloss_increase [F + S], mcc_drop [F + S], base_logloss, base_mcc)
    """
    if repeats < 1:
        raise ConfigError(f"permutation importance: repeats must be >= 1, got {repeats}")
    y = np.asarray(y, dtype=np.int64)
    base_ll, base_mcc = _scores(predict_proba(x, side), y)
    n, f = int(x.shape[0]), int(x.shape[2])
    s = 0 if side is None else int(side.shape[1])
    rng = np.random.default_rng(seed)
    d_ll, d_mcc = np.zeros(f + s), np.zeros(f + s)
    for j in range(f + s):
        main = j < f
        column = x[:, :, j].clone() if main else side[:, j - f].clone()
        for _ in range(repeats):
            perm = rng.permutation(n)
            if main:
                x[:, :, j] = column[perm]
            else:
                side[:, j - f] = column[perm]
            ll, mcc = _scores(predict_proba(x, side), y)
            d_ll[j] += (ll - base_ll) / repeats
            d_mcc[j] += (base_mcc - mcc) / repeats
        if main:
            x[:, :, j] = column
        else:
            side[:, j - f] = column
    return d_ll, d_mcc, base_ll, base_mcc


def integrated_gradients(
    model: nn.Module,
    x: torch.Tensor,
    *,
    side: torch.Tensor | None = None,
    steps: int = 8,
    categorical_side: int = 0,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Integrated gradients of the predicted class's centred logit, zero baseline.

    ``attr = x · mean_k ∇f((k + ½)/steps · x)`` with ``f = z_c − mean(z)`` and ``c`` the
    class predicted at ``x``; ``attr.sum() ≈ f(x) − f(0)`` per row. Runs the model in eval
    mode (restored afterwards) and in batches; cuDNN is switched off for the backward pass
    (cuDNN RNNs cannot run backward in eval mode). The last ``categorical_side`` side
    columns are codes (a pooled model's symbol id): they keep their value along the path
    and are attributed 0, since a scaled code would name another symbol.

    Returns
    -------
    (attributions [N, L, F], side attributions [N, S] or None)
    """
    import torch

    if steps < 1:
        raise ConfigError(f"integrated gradients: steps must be >= 1, got {steps}")
    was_training = model.training
    model.eval()
    out_x, out_s = torch.zeros_like(x), None if side is None else torch.zeros_like(side)
    try:
        with torch.backends.cudnn.flags(enabled=False):
            for start in range(0, int(x.shape[0]), _BATCH):
                xb = x[start : start + _BATCH]
                sb = None if side is None else side[start : start + _BATCH]
                with torch.no_grad():
                    target = _call(model, xb, sb).argmax(dim=1, keepdim=True)
                gx, gs = torch.zeros_like(xb), None if sb is None else torch.zeros_like(sb)
                for k in range(steps):
                    alpha = (k + 0.5) / steps
                    xi = (alpha * xb).requires_grad_(True)
                    si = None if sb is None else _scaled_side(sb, alpha, categorical_side)
                    z = _call(model, xi, si).float()
                    picked = (z - z.mean(dim=1, keepdim=True)).gather(1, target).sum()
                    grads = torch.autograd.grad(picked, [xi] if si is None else [xi, si],
                                                allow_unused=si is not None)
                    gx += grads[0]
                    if gs is not None and grads[1] is not None:  # None: no side column reached the logits
                        gs += grads[1]
                out_x[start : start + _BATCH] = xb * gx / steps
                if out_s is not None and gs is not None:
                    out_s[start : start + _BATCH] = sb * gs / steps
                    if categorical_side:
                        out_s[start : start + _BATCH, -categorical_side:] = 0.0
    finally:
        model.train(was_training)
    return out_x.detach(), None if out_s is None else out_s.detach()


def _scaled_side(side: torch.Tensor, alpha: float, categorical: int) -> torch.Tensor:
    """``alpha * side`` (requiring grad), its last ``categorical`` columns left as they are."""
    import torch

    if not categorical:
        return (alpha * side).requires_grad_(True)
    cut = side.shape[1] - categorical
    return torch.cat([alpha * side[:, :cut], side[:, cut:]], dim=1).requires_grad_(True)


def _call(model: nn.Module, x: torch.Tensor, side: torch.Tensor | None) -> torch.Tensor:
    return model(x) if side is None else model(x, side)


def fold_importance(
    model: nn.Module,
    windows: Windows,
    test_rows: np.ndarray,
    y: np.ndarray,
    calibrate: Callable[[np.ndarray], np.ndarray],
    names: Sequence[str],
    spec: ImportanceSpec,
    *,
    side: torch.Tensor | None = None,
    side_names: Sequence[str] = (),
    tta: Sequence[str] = (),
    fold: int = 0,
    seed: int = 0,
    categorical_side: int = 0,
) -> FoldImportance:
    """Permutation and gradient importance of one fold's trained model on its test rows.

    Parameters
    ----------
    model, windows, side:
        The fold's trained model, its normalised windows [T, F] and side vectors [T, S].
    test_rows:
        The fold's test rows (window end rows); :func:`importance_rows` subsamples them.
    y:
        Labels [T] (indexed by row).
    calibrate:
        The fold's calibrator, logits [N, C] → probabilities [N, C].
    names, side_names:
        Feature names of the columns of ``windows`` and ``side``.
    tta:
        The test-time augmentations the fold's predictions use (permutation only).
    categorical_side:
        Trailing side columns that are codes, not measurements (a pooled model's symbol
        id): permutation shuffles them like any column, integrated gradients leaves them
        fixed and attributes them 0.
    """
    import torch

    from tradewind.training.predict import model_device
    from tradewind.training.tta import tta_log_probs

    if len(names) != windows.n_features or len(side_names) != (
        0 if side is None else side.shape[1]
    ):
        raise SchemaMismatchError(
            f"fold importance: {len(names)} feature names for {windows.n_features} window columns "
            f"and {len(side_names)} side names for {0 if side is None else side.shape[1]} side "
            "columns; pass Features.names and Features.side_names"
        )
    rows = importance_rows(test_rows, spec.max_rows)
    device = model_device(model)
    ends = torch.from_numpy(rows)
    x = windows.gather(ends.to(windows.matrix.device)).to(device, dtype=torch.float32).clone()
    s = None if side is None else side[ends.to(side.device)].to(device, dtype=torch.float32).clone()
    labels = np.asarray(y, dtype=np.int64)[rows]

    def predict_proba(xb: torch.Tensor, sb: torch.Tensor | None) -> np.ndarray:
        was_training = model.training
        model.eval()
        outs = []
        try:
            with torch.inference_mode():
                for i in range(0, int(xb.shape[0]), _BATCH):
                    part = xb[i : i + _BATCH]
                    sp = None if sb is None else sb[i : i + _BATCH]

                    def forward(inp: torch.Tensor, sp: torch.Tensor | None = sp) -> torch.Tensor:
                        return _call(model, inp, sp)

                    out = tta_log_probs(forward, part, tta) if tta else forward(part)
                    outs.append(out.float().cpu())
        finally:
            model.train(was_training)
        return calibrate(torch.cat(outs).numpy())

    ll = mcc = None
    if "permutation" in spec.methods:
        ll, mcc, base_ll, base_mcc = permutation_importance(
            predict_proba, x, labels, side=s, repeats=spec.repeats, seed=seed
        )
    else:
        base_ll, base_mcc = _scores(predict_proba(x, s), labels)
    gradient = None
    if "gradient" in spec.methods:
        gx, gs = integrated_gradients(model, x, side=s, steps=spec.ig_steps,
                                      categorical_side=categorical_side)
        parts = [gx.sum(dim=1).abs().mean(dim=0)] + ([] if gs is None else [gs.abs().mean(dim=0)])
        gradient = torch.cat(parts).double().cpu().numpy()
    return FoldImportance(
        fold=fold,
        rows=rows,
        features=[*names, *side_names],
        base_logloss=base_ll,
        base_mcc=base_mcc,
        permutation_logloss=ll,
        permutation_mcc=mcc,
        gradient=gradient,
    )


def lightgbm_shap(model: Any, features: np.ndarray, n_base: int) -> np.ndarray:
    """Mean |TreeSHAP| per base feature of a fitted LightGBM classifier.

    ``features`` [N, n_base × (1 + lags)] are the lagged rows the model was fitted on
    (:func:`~tradewind.evaluation.lagged_features` order: all base features, then each lag's
    copy). ``booster.predict(pred_contrib=True)`` gives, per class, one column per input
    plus the expected value, summing to the raw margin; a base feature's value is the sum of
    its columns over lags, and the result is mean |value| over rows and classes [n_base].
    """
    booster = model.booster_ if hasattr(model, "booster_") else model
    x = np.asarray(features, dtype=np.float64)
    width = x.shape[1]
    if width % n_base:
        raise SchemaMismatchError(
            f"lightgbm_shap: {width} columns are not a multiple of {n_base} base features"
        )
    contrib = np.asarray(booster.predict(x, pred_contrib=True), dtype=np.float64)
    n_classes = contrib.shape[1] // (width + 1)
    per_class = contrib.reshape(x.shape[0], n_classes, width + 1)[:, :, :width]
    per_base = per_class.reshape(x.shape[0], n_classes, width // n_base, n_base).sum(axis=2)
    return np.abs(per_base).mean(axis=(0, 1))
