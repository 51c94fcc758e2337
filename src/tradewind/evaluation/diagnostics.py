"""Diagnostics that catch the failures of seed 004: logits of 40,000, 100 % confidence,
every prediction the same class, and (through the input-scale audit) raw prices fed in.

:func:`diagnose` looks at what comes out of the model; ``Diagnostics.findings`` holds one
plain sentence per problem and is empty for a healthy model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from tradewind.calibration import ece, softmax
from tradewind.calibration._checks import as_logits
from tradewind.evaluation._json import json_safe
from tradewind.evaluation.input_audit import InputStats, readable_number
from tradewind.evaluation.metrics import mcc_from_confusion
from tradewind.exceptions import SchemaMismatchError

if TYPE_CHECKING:
    from tradewind.evaluation.gate import GateSpec

__all__ = ["DiagnosticThresholds", "Diagnostics", "diagnose"]


class DiagnosticThresholds(BaseModel):
    """Where a number becomes a finding. Defaults follow seed 004's targets; a run takes
    the thresholds its gate shares with them (:meth:`from_gate`), so the report never
    shows two different limits for one quantity."""

    model_config = ConfigDict(extra="forbid")

    max_abs_logit: float = Field(20.0, gt=0, description="Raw logits beyond this are a finding.")
    max_overconfident_share: float = Field(
        0.10, ge=0, le=1, description="Share of calibrated max probabilities above 0.99."
    )
    share_ratio: tuple[float, float] = Field(
        (0.5, 1.5), description="Each class's predicted share / label share must lie in here."
    )
    max_ece: float = Field(0.05, ge=0, description="Calibrated ECE above this is a finding.")
    max_fold_mcc_std: float = Field(0.10, ge=0, description="Fold-to-fold MCC std above this.")

    @classmethod
    def from_gate(cls, gate: GateSpec) -> DiagnosticThresholds:
        """The gate's ``max_abs_logit``, ``max_overconfident_share``, ``class_share_ratio``
        and ``max_ece``; the defaults where the gate switches that check off (None)."""
        shared = {"max_abs_logit": gate.max_abs_logit,
                  "max_overconfident_share": gate.max_overconfident_share,
                  "share_ratio": gate.class_share_ratio, "max_ece": gate.max_ece}
        return cls(**{k: v for k, v in shared.items() if v is not None})


@dataclass(frozen=True)
class Diagnostics:
    """What the model's outputs say about its health; ``findings`` lists every problem.

    Logit figures use the raw (uncalibrated) logits; confidence and class shares use the
    calibrated probabilities. Predicted shares count rows with finite probabilities, label
    shares count labelled rows (label >= 0). ``share_ratios[c]`` is predicted / label share
    (None where the class never occurs as a label).
    """

    classes: tuple[str, ...]
    n_rows: int
    n_nonfinite_logits: int
    n_nonfinite_probs: int
    max_abs_logit: float
    logit_min: float
    logit_max: float
    mean_logit: dict[str, float]
    overconfident_share: float
    raw_overconfident_share: float
    predicted_shares: dict[str, float]
    label_shares: dict[str, float]
    share_ratios: dict[str, float | None]
    constant_predictions: bool
    constant_folds: tuple[int, ...]
    fold_mcc: tuple[float, ...]
    fold_mcc_min: float | None
    fold_mcc_max: float | None
    fold_mcc_std: float | None
    ece_before: float | None
    ece_after: float | None
    input_stats: InputStats | None
    thresholds: DiagnosticThresholds
    findings: tuple[str, ...] = field(default=())

    @property
    def healthy(self) -> bool:
        """True when there are no findings."""
        return not self.findings

    @property
    def n_nonfinite(self) -> int:
        """NaN/inf values in logits and probabilities together."""
        return self.n_nonfinite_logits + self.n_nonfinite_probs

    @property
    def input_scale_ok(self) -> bool | None:
        """Result of the input-scale audit, None when no audit was passed in."""
        return None if self.input_stats is None else self.input_stats.ok

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["input_stats"] = None if self.input_stats is None else self.input_stats.to_dict()
        d["thresholds"] = self.thresholds.model_dump()
        d["healthy"] = self.healthy
        d["input_scale_ok"] = self.input_scale_ok
        return json_safe(d)


def _shares(idx: np.ndarray, n_classes: int) -> np.ndarray:
    if idx.size == 0:
        return np.zeros(n_classes)
    return np.bincount(idx, minlength=n_classes) / idx.size


def _fold_mcc(
    pred: np.ndarray, y: np.ndarray, ok: np.ndarray, fold_ids: np.ndarray, c: int
) -> list[float]:
    out = []
    for fold in np.unique(fold_ids):
        rows = ok & (fold_ids == fold) & (y >= 0)
        cm = np.zeros((c, c))
        np.add.at(cm, (y[rows], pred[rows]), 1)
        out.append(float(mcc_from_confusion(cm)))
    return out


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _findings(d: Diagnostics) -> list[str]:
    t = d.thresholds
    out = []
    if d.n_nonfinite:
        out.append(
            f"{d.n_nonfinite_logits} logit value(s) and {d.n_nonfinite_probs} probability value(s) "
            "are NaN/inf: the model gave no usable output for some rows (check input "
            "normalisation and the learning rate)."
        )
    if np.isfinite(d.max_abs_logit) and d.max_abs_logit > t.max_abs_logit:
        out.append(
            f"raw logits reach {readable_number(d.logit_min)} .. {readable_number(d.logit_max)} (largest |logit| allowed "
            f"{t.max_abs_logit:g}); logits this large saturate softmax to 0/1 and usually mean "
            "un-normalised inputs."
        )
    if d.overconfident_share > t.max_overconfident_share:
        out.append(
            f"{_pct(d.overconfident_share)} of predictions are above 99 % confidence (allowed "
            f"{_pct(t.max_overconfident_share)}): the probabilities are not believable."
        )
    if d.constant_predictions:
        only = max(d.predicted_shares, key=lambda k: d.predicted_shares[k])
        out.append(f"every prediction is {only}: the model has collapsed to one class.")
    lo, hi = t.share_ratio
    off = []
    for name in d.classes:
        ratio, pred, lab = d.share_ratios[name], d.predicted_shares[name], d.label_shares[name]
        if (ratio is None and pred > 0) or (ratio is not None and not lo <= ratio <= hi):
            ratio_text = "never a label" if ratio is None else f"ratio {ratio:.2f}"
            off.append(f"{name} predicted {_pct(pred)} vs {_pct(lab)} of labels ({ratio_text})")
    if off and not d.constant_predictions:
        out.append(
            f"predicted class shares do not follow the labels (allowed ratio {lo:g}-{hi:g}): "
            + "; ".join(off)
            + "."
        )
    if d.constant_folds and not d.constant_predictions:
        out.append(f"fold(s) {list(d.constant_folds)} predict a single class.")
    if d.fold_mcc_std is not None and d.fold_mcc_std > t.max_fold_mcc_std:
        out.append(
            f"MCC varies across folds from {d.fold_mcc_min:+.3f} to {d.fold_mcc_max:+.3f} "
            f"(std {d.fold_mcc_std:.3f} > {t.max_fold_mcc_std:g}): the edge is not stable."
        )
    negative = [i for i, m in enumerate(d.fold_mcc) if m < 0]
    if negative:
        out.append(f"fold(s) {negative} have negative MCC: the model is worse than chance there.")
    if d.ece_after is not None and d.ece_after > t.max_ece:
        out.append(f"calibrated ECE is {d.ece_after:.3f} (allowed {t.max_ece:g}).")
    if d.ece_before is not None and d.ece_after is not None and d.ece_after > d.ece_before + 0.005:
        out.append(
            f"calibration made ECE worse ({d.ece_before:.3f} -> {d.ece_after:.3f}): was it "
            "fitted on validation rows of the same model?"
        )
    for issue in d.input_stats.issues if d.input_stats is not None else ():
        out.append(
            f"feature {issue.name!r} reaches the model with mean {readable_number(issue.mean)} and std "
            f"{readable_number(issue.std)} ({issue.reason}): it is not normalised. Fit the normaliser on "
            "training rows and ship it inside the model bundle."
        )
    return out


def diagnose(
    logits: np.ndarray,
    probs: np.ndarray,
    y: np.ndarray,
    *,
    classes: Sequence[str],
    fold_ids: np.ndarray | None = None,
    fold_mcc: Sequence[float] = (),
    input_stats: InputStats | None = None,
    ece_before: float | None = None,
    ece_after: float | None = None,
    thresholds: DiagnosticThresholds | None = None,
) -> Diagnostics:
    """Health check of a model's out-of-sample outputs.

    Parameters
    ----------
    logits:
        Raw model logits [N, C] (before calibration); NaN/inf are counted, not rejected.
    probs:
        Calibrated probabilities [N, C] of the same rows.
    y:
        Labels [N], -1 where unknown.
    classes:
        C class names.
    fold_ids:
        Fold of each row [N]; used for per-fold single-class checks and, when
        ``fold_mcc`` is empty, to compute the per-fold MCC.
    fold_mcc:
        Test MCC per fold, if already computed.
    input_stats:
        Result of :func:`input_scale_audit` on the model's input.
    ece_before, ece_after:
        ECE of softmax(logits) and of ``probs``; computed on labelled finite rows if None.
    thresholds:
        Where numbers become findings (defaults: seed 004's targets).
    """
    names = tuple(str(c) for c in classes)
    z = as_logits(logits, allow_nonfinite=True)
    p = as_logits(probs, name="probs", allow_nonfinite=True)
    n, c = z.shape
    labels = np.asarray(y, dtype=np.int64)
    if p.shape != z.shape or len(names) != c or labels.shape != (n,):
        raise SchemaMismatchError(
            f"need logits and probs [N, C], y [N] and C class names; got {z.shape}, {p.shape}, "
            f"{labels.shape} and {len(names)} names."
        )
    th = thresholds or DiagnosticThresholds()
    z_ok = np.isfinite(z)
    ok = np.isfinite(p).all(axis=1)
    finite_logits = z[z_ok]
    pred = np.where(ok, np.nan_to_num(p).argmax(axis=1), 0)
    raw_probs = softmax(np.where(z_ok, z, 0.0))
    labelled = labels >= 0
    eval_rows = ok & labelled & z_ok.all(axis=1)
    if ece_after is None and eval_rows.any():
        ece_after = ece(p[eval_rows], labels[eval_rows])
    if ece_before is None and eval_rows.any():
        ece_before = ece(raw_probs[eval_rows], labels[eval_rows])
    pred_sh = _shares(pred[ok], c)
    label_sh = _shares(labels[labelled], c)
    constant_folds: tuple[int, ...] = ()
    if fold_ids is not None:
        folds = np.asarray(fold_ids)
        if folds.shape != (n,):
            raise SchemaMismatchError(
                f"fold_ids must have one entry per row ({n}); got {folds.shape}."
            )
        constant_folds = tuple(
            int(f) for f in np.unique(folds) if np.unique(pred[ok & (folds == f)]).size == 1
        )
        if not fold_mcc:
            fold_mcc = _fold_mcc(pred, labels, ok, folds, c)
    fm = np.asarray(list(fold_mcc), dtype=np.float64)
    d = Diagnostics(
        classes=names,
        n_rows=int(n),
        n_nonfinite_logits=int((~z_ok).sum()),
        n_nonfinite_probs=int((~np.isfinite(p)).sum()),
        max_abs_logit=float(np.abs(finite_logits).max()) if finite_logits.size else float("nan"),
        logit_min=float(finite_logits.min()) if finite_logits.size else float("nan"),
        logit_max=float(finite_logits.max()) if finite_logits.size else float("nan"),
        mean_logit={
            names[k]: float(z[z_ok[:, k], k].mean()) if z_ok[:, k].any() else float("nan")
            for k in range(c)
        },
        overconfident_share=float((p[ok].max(axis=1) > 0.99).mean()) if ok.any() else 0.0,
        raw_overconfident_share=float((raw_probs.max(axis=1) > 0.99).mean()) if n else 0.0,
        predicted_shares={names[k]: float(pred_sh[k]) for k in range(c)},
        label_shares={names[k]: float(label_sh[k]) for k in range(c)},
        share_ratios={
            names[k]: float(pred_sh[k] / label_sh[k]) if label_sh[k] > 0 else None for k in range(c)
        },
        constant_predictions=bool(ok.any() and np.unique(pred[ok]).size == 1),
        constant_folds=constant_folds,
        fold_mcc=tuple(float(v) for v in fm),
        fold_mcc_min=float(fm.min()) if fm.size else None,
        fold_mcc_max=float(fm.max()) if fm.size else None,
        fold_mcc_std=float(fm.std()) if fm.size else None,
        ece_before=None if ece_before is None else float(ece_before),
        ece_after=None if ece_after is None else float(ece_after),
        input_stats=input_stats,
        thresholds=th,
    )
    return replace(d, findings=tuple(_findings(d)))
