"""Losses as pure functions over tensors, and ``make_loss`` that binds them to a ``LossSpec``.

Every function takes logits [B, C] (never probabilities) and int64 targets [B] and
returns per-example values (``reduction="none"``), their mean or their sum. Weights
multiply per-example losses and ``"mean"`` is the plain mean of ``w_i * l_i`` (torch's
``cross_entropy`` divides by the sum of the weights instead): balanced class weights
average to 1 over the training rows, so the scale matches the unweighted loss and does
not change from batch to batch with the batch's class mix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from tradewind.exceptions import ConfigError
from tradewind.training.spec import LossSpec

__all__ = [
    "Criterion",
    "binary_bce_loss",
    "cross_entropy",
    "distillation_kl",
    "distillation_loss",
    "entropy_penalty",
    "focal_loss",
    "make_loss",
]

Reduction = Literal["none", "mean", "sum"]
PerClass = float | torch.Tensor


def _reduce(per: torch.Tensor, weights: torch.Tensor | None, reduction: Reduction) -> torch.Tensor:
    if weights is not None:
        per = per * weights
    if reduction == "none":
        return per
    if reduction == "sum":
        return per.sum()
    return per.mean()


def _per_example(value: PerClass, targets: torch.Tensor) -> torch.Tensor | float:
    """A per-class value [C] looked up at each example's true class; scalars pass through."""
    if isinstance(value, torch.Tensor):
        return value.to(targets.device)[targets]
    return float(value)


def _soft_targets(targets: torch.Tensor, n_classes: int, smoothing: PerClass) -> torch.Tensor:
    """(1 - e_y) * one_hot(y) + e_y / C, with e_y the smoothing of the true class y."""
    one_hot = F.one_hot(targets, n_classes).float()
    eps = _per_example(smoothing, targets)
    if isinstance(eps, float):
        return one_hot if eps == 0.0 else one_hot * (1.0 - eps) + eps / n_classes
    eps = eps[:, None]
    return one_hot * (1.0 - eps) + eps / n_classes


def cross_entropy(
    logits: torch.Tensor,
    targets: torch.Tensor,
    *,
    class_weights: torch.Tensor | None = None,
    label_smoothing: PerClass = 0.0,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """Cross-entropy with per-class weights and (class-conditional) label smoothing.

    ``label_smoothing`` as a tensor [C] smooths an example by the entry of its true class.
    Example i contributes ``w_{y_i} * sum_k q_ik * (-log p_ik)``.
    """
    log_p = F.log_softmax(logits.float(), dim=-1)
    q = _soft_targets(targets, logits.shape[-1], label_smoothing)
    per = -(q * log_p).sum(dim=-1)
    weights = None if class_weights is None else class_weights.to(per.device)[targets]
    return _reduce(per, weights, reduction)


def focal_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    *,
    alpha: torch.Tensor | None = None,
    gamma: PerClass = 2.0,
    label_smoothing: PerClass = 0.0,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """Asymmetric focal loss: ``alpha_y * sum_k q_k (1 - p_k)^gamma_k (-log p_k)``.

    ``gamma`` as a tensor [C] gives each class its own focusing (a larger gamma for an
    over-predicted class damps its easy examples harder). With ``gamma=0`` and no alpha
    this is exactly ``cross_entropy``; without smoothing it is Lin et al.'s
    ``-alpha_y (1 - p_y)^gamma_y log p_y``.
    """
    log_p = F.log_softmax(logits.float(), dim=-1)
    p = log_p.exp()
    if isinstance(gamma, torch.Tensor):
        gamma = gamma.to(log_p.device)[None, :]
    modulating = (1.0 - p).clamp_min(0.0) ** gamma
    q = _soft_targets(targets, logits.shape[-1], label_smoothing)
    per = -(q * modulating * log_p).sum(dim=-1)
    weights = None if alpha is None else alpha.to(per.device)[targets]
    return _reduce(per, weights, reduction)


def binary_bce_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    *,
    pos_weight: float | None = None,
    class_weights: torch.Tensor | None = None,
    label_smoothing: PerClass = 0.0,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """Binary cross-entropy on the 2-logit output through ``z = l_1 - l_0``.

    ``sigmoid(z)`` equals ``softmax(l)[1]``, so the model keeps its two-logit head and
    ``pos_weight`` multiplies the positive (class 1) term as in ``BCEWithLogitsLoss``.
    Smoothing pulls the target toward 1/2 by the true class's epsilon.
    """
    if logits.shape[-1] != 2:
        raise ConfigError(f"binary_bce_loss needs 2 logits per example, got {logits.shape[-1]}")
    logits = logits.float()
    z = logits[:, 1] - logits[:, 0]
    eps = _per_example(label_smoothing, targets)
    t = targets.float() * (1.0 - eps) + eps / 2.0
    pw = None if pos_weight is None else torch.tensor(float(pos_weight), device=z.device)
    per = F.binary_cross_entropy_with_logits(z, t, pos_weight=pw, reduction="none")
    weights = None if class_weights is None else class_weights.to(per.device)[targets]
    return _reduce(per, weights, reduction)


def entropy_penalty(
    logits: torch.Tensor,
    *,
    classes: Sequence[int] | None = None,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """Confidence penalty ``-H(p_i)`` for examples whose predicted class is in ``classes``.

    Added to a loss with a positive weight it rewards entropy, i.e. punishes over-confident
    predictions of the chosen classes (all classes when None); other examples give 0.
    """
    log_p = F.log_softmax(logits.float(), dim=-1)
    entropy = -(log_p.exp() * log_p).sum(dim=-1)
    per = -entropy
    if classes is not None:
        chosen = torch.as_tensor(list(classes), dtype=torch.long, device=logits.device)
        mask = torch.isin(logits.argmax(dim=-1), chosen)
        per = per * mask
    return _reduce(per, None, reduction)


def distillation_kl(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    *,
    temperature: float = 1.0,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """``T^2 * KL(softmax(teacher / T) || softmax(student / T))`` per example.

    The ``T^2`` keeps the soft-target gradients on the scale of the hard loss (Hinton et al.).
    """
    t = float(temperature)
    log_ps = F.log_softmax(student_logits.float() / t, dim=-1)
    log_pt = F.log_softmax(teacher_logits.float().to(student_logits.device) / t, dim=-1)
    per = (log_pt.exp() * (log_pt - log_ps)).sum(dim=-1) * (t * t)
    return _reduce(per, None, reduction)


def distillation_loss(
    student_logits: torch.Tensor,
    targets: torch.Tensor,
    teacher_logits: torch.Tensor,
    *,
    alpha: float = 0.8,
    temperature: float = 1.0,
    hard_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """``alpha * hard + (1 - alpha) * T^2 * KL(teacher_T || student_T)``.

    ``hard_loss(logits, targets)`` must return per-example values; plain cross-entropy
    when None. The teacher's logits are fixed targets (produced once, before training).
    """
    if hard_loss is None:
        hard = cross_entropy(student_logits, targets, reduction="none")
    else:
        hard = hard_loss(student_logits, targets)
    soft = distillation_kl(
        student_logits, teacher_logits.detach(), temperature=temperature, reduction="none"
    )
    return _reduce(alpha * hard + (1.0 - alpha) * soft, None, reduction)


@dataclass(frozen=True)
class Criterion:
    """A ``LossSpec`` bound to the class counts of one training set (see ``make_loss``)."""

    kind: Literal["ce", "focal", "bce"]
    n_classes: int
    class_weights: torch.Tensor | None
    label_smoothing: PerClass
    focal_gamma: PerClass
    pos_weight: float | None
    entropy_weight: float
    entropy_classes: tuple[int, ...] | None

    def per_example(
        self,
        logits: torch.Tensor,
        targets: torch.Tensor,
        *,
        class_factors: torch.Tensor | None = None,
        penalty: bool = True,
    ) -> torch.Tensor:
        """Weighted loss of each example [B]; ``class_factors`` [C] scale the class weights."""
        weights = self.class_weights
        if class_factors is not None:
            weights = class_factors if weights is None else weights * class_factors
        if self.kind == "focal":
            per = focal_loss(
                logits, targets, alpha=weights, gamma=self.focal_gamma,
                label_smoothing=self.label_smoothing, reduction="none",
            )
        elif self.kind == "bce":
            per = binary_bce_loss(
                logits, targets, pos_weight=self.pos_weight, class_weights=weights,
                label_smoothing=self.label_smoothing, reduction="none",
            )
        else:
            per = cross_entropy(
                logits, targets, class_weights=weights,
                label_smoothing=self.label_smoothing, reduction="none",
            )
        if penalty and self.entropy_weight > 0.0:
            per = per + self.entropy_weight * entropy_penalty(
                logits, classes=self.entropy_classes, reduction="none"
            )
        return per

    def __call__(
        self,
        logits: torch.Tensor,
        targets: torch.Tensor,
        *,
        class_factors: torch.Tensor | None = None,
        penalty: bool = True,
    ) -> torch.Tensor:
        """Mean of ``per_example``."""
        return self.per_example(
            logits, targets, class_factors=class_factors, penalty=penalty
        ).mean()

    def to(self, device: torch.device | str) -> Criterion:
        """The same criterion with its tensors on ``device``."""

        def move(v: PerClass | None) -> PerClass | None:
            return v.to(device) if isinstance(v, torch.Tensor) else v

        return replace(
            self,
            class_weights=move(self.class_weights),
            label_smoothing=move(self.label_smoothing),
            focal_gamma=move(self.focal_gamma),
        )


def _per_class_tensor(field: str, value: float | list[float], n_classes: int) -> PerClass:
    if not isinstance(value, list):
        return float(value)
    if len(value) != n_classes:
        raise ConfigError(
            f"training.loss.{field} has {len(value)} entries ({value}) but the data has "
            f"{n_classes} classes; give one value per class"
        )
    return torch.tensor(value, dtype=torch.float32)


def make_loss(
    spec: LossSpec, class_counts: Sequence[int] | np.ndarray | torch.Tensor, n_classes: int
) -> Criterion:
    """Bind ``spec`` to the training set's class counts [C] (for balanced weights, ``auto``).

    Raises ``ConfigError`` when a per-class list does not have ``n_classes`` entries,
    when ``bce`` meets more than two classes, or ``entropy_classes`` names a missing class.
    """
    counts = torch.as_tensor(np.asarray(class_counts, dtype=np.float64), dtype=torch.float64)
    if counts.numel() != n_classes:
        raise ConfigError(f"class_counts has {counts.numel()} entries for {n_classes} classes")
    if spec.kind == "bce" and n_classes != 2:
        raise ConfigError(
            f"training.loss.kind='bce' needs 2 classes, the labels have {n_classes}; "
            "use kind: ce or kind: focal"
        )
    weights: torch.Tensor | None = None
    if spec.class_weights == "balanced":
        total = counts.sum()
        weights = (total / (n_classes * counts.clamp_min(1.0))).float()
    elif isinstance(spec.class_weights, list):
        weights = _per_class_tensor("class_weights", spec.class_weights, n_classes)
    if spec.focal_alpha is not None:
        alpha = spec.focal_alpha
        if not isinstance(alpha, list):
            alpha = [1.0 - alpha, alpha] if n_classes == 2 else [alpha] * n_classes
        weights = _per_class_tensor("focal_alpha", alpha, n_classes)
    pos_weight: float | None = None
    if spec.pos_weight == "auto":
        pos_weight = float(counts[0] / counts[1].clamp_min(1.0))
    elif spec.pos_weight is not None:
        pos_weight = float(spec.pos_weight)
    classes = None
    if spec.entropy_classes is not None:
        bad = [c for c in spec.entropy_classes if not 0 <= c < n_classes]
        if bad:
            raise ConfigError(
                f"training.loss.entropy_classes={spec.entropy_classes} names classes {bad} "
                f"outside 0..{n_classes - 1}"
            )
        classes = tuple(spec.entropy_classes)
    return Criterion(
        kind=spec.kind,
        n_classes=n_classes,
        class_weights=weights,
        label_smoothing=_per_class_tensor("label_smoothing", spec.label_smoothing, n_classes),
        focal_gamma=_per_class_tensor("focal_gamma", spec.focal_gamma, n_classes),
        pos_weight=pos_weight,
        entropy_weight=float(spec.entropy_penalty),
        entropy_classes=classes,
    )
