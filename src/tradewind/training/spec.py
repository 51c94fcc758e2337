"""The training config: one pydantic object per concern, all ``extra="forbid"``.

Defaults are chosen so an imbalanced problem does not collapse to its majority class:
class-balanced loss weights, AdamW with weight decay, gradient clipping at 1.0, linear
warm-up into cosine decay, early stopping on validation MCC with the best weights
restored. Rules that need the data (quotas against the number of classes, ``bce`` with
two classes, SMOTE with window length 1) are checked by ``fit``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "DistillSpec",
    "EarlyStoppingSpec",
    "HardNegativeSpec",
    "LossSpec",
    "ReweightSpec",
    "SamplerSpec",
    "ScheduleSpec",
    "SmoteSpec",
    "TrainSpec",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_per_class(name: str, value: float | list[float], low: float, high: float) -> None:
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not value:
        raise ValueError(f"{name} is an empty list; give one value per class or a single number")
    for i, v in enumerate(values):
        if not low <= v < high:
            where = f"{name}[{i}]" if isinstance(value, list) else name
            raise ValueError(f"{where} must lie in [{low}, {high}), got {v}")


class ScheduleSpec(_Strict):
    """Learning-rate schedule, evaluated at fractional epochs (updated every batch).

    ``warmup_cosine``: linear warm-up over ``warmup_epochs`` then cosine decay to
    ``eta_min`` at the last epoch (a warm-up longer than half the run is cut to half,
    so a short refit still decays). ``cosine_restarts``: SGDR, first period ``t0``
    epochs, each next one ``t_mult`` times longer. ``plateau``: multiply the LR by
    ``factor`` after ``patience`` epochs without improvement of the early-stopping
    monitor, never below ``eta_min``.
    """

    kind: Literal["none", "warmup_cosine", "cosine_restarts", "plateau"] = "warmup_cosine"
    warmup_epochs: float = Field(2.0, ge=0.0)
    t0: float = Field(10.0, gt=0.0, description="First restart period in epochs (cosine_restarts).")
    t_mult: float = Field(2.0, ge=1.0, description="Period growth per restart (cosine_restarts).")
    eta_min: float = Field(1e-6, ge=0.0, description="Lowest learning rate.")
    factor: float = Field(0.5, gt=0.0, lt=1.0, description="LR multiplier on plateau.")
    patience: int = Field(3, ge=0, description="Epochs without improvement before a plateau cut.")


class EarlyStoppingSpec(_Strict):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs."""

    monitor: Literal["val_mcc", "val_loss"] = "val_mcc"
    patience: int = Field(7, ge=0)
    min_delta: float = Field(0.001, ge=0.0)
    restore_best: bool = True


class LossSpec(_Strict):
    """The per-example loss and the class weighting.

    ``class_weights="balanced"`` weighs class c by n / (C * n_c), counted on the training
    rows (after SMOTE when it is on). ``label_smoothing`` as a list is class-conditional:
    entry c is the smoothing applied to examples whose true class is c. ``focal_alpha``
    as one number means [1 - a, a] with two classes (Lin et al.) and ``a`` for every
    class otherwise; it replaces ``class_weights``. ``pos_weight`` (``bce`` only) scales
    the positive (index 1) term; ``"auto"`` is n_negative / n_positive. ``entropy_penalty``
    subtracts ``entropy_penalty * H(p)`` for examples predicted as one of
    ``entropy_classes`` (all classes when None), discouraging over-confident predictions.
    """

    kind: Literal["ce", "focal", "bce"] = "ce"
    class_weights: Literal["none", "balanced"] | list[float] = "balanced"
    pos_weight: float | Literal["auto"] | None = None
    focal_alpha: float | list[float] | None = None
    focal_gamma: float | list[float] = 2.0
    label_smoothing: float | list[float] = 0.0
    entropy_penalty: float = Field(0.0, ge=0.0)
    entropy_classes: list[int] | None = None

    @field_validator("class_weights")
    @classmethod
    def _weights_positive(cls, v: str | list[float]) -> str | list[float]:
        if isinstance(v, list):
            if not v:
                raise ValueError("class_weights is an empty list; give one weight per class")
            bad = [w for w in v if w < 0]
            if bad:
                raise ValueError(f"class_weights must be >= 0, got {v}")
        return v

    @field_validator("pos_weight")
    @classmethod
    def _pos_weight_positive(cls, v: float | str | None) -> float | str | None:
        if isinstance(v, float | int) and v <= 0:
            raise ValueError(f"pos_weight must be > 0 (or 'auto'), got {v}")
        return v

    @field_validator("focal_alpha")
    @classmethod
    def _alpha_range(cls, v: float | list[float] | None) -> float | list[float] | None:
        if v is not None:
            _check_per_class("focal_alpha", v, 0.0, float("inf"))
        return v

    @field_validator("focal_gamma")
    @classmethod
    def _gamma_range(cls, v: float | list[float]) -> float | list[float]:
        _check_per_class("focal_gamma", v, 0.0, float("inf"))
        return v

    @field_validator("label_smoothing")
    @classmethod
    def _smoothing_range(cls, v: float | list[float]) -> float | list[float]:
        _check_per_class("label_smoothing", v, 0.0, 1.0)
        return v

    @model_validator(mode="after")
    def _one_imbalance_remedy_per_term(self) -> LossSpec:
        weighted = self.class_weights != "none"
        if self.pos_weight is not None and self.kind != "bce":
            raise ValueError(
                f"pos_weight={self.pos_weight!r} only applies to kind='bce' (kind is {self.kind!r})"
            )
        if self.pos_weight is not None and weighted:
            raise ValueError(
                f"pos_weight={self.pos_weight!r} and class_weights={self.class_weights!r} would "
                "correct the imbalance twice; set class_weights: none"
            )
        if self.focal_alpha is not None and self.kind != "focal":
            raise ValueError(
                f"focal_alpha={self.focal_alpha!r} only applies to kind='focal' "
                f"(kind is {self.kind!r})"
            )
        if self.focal_alpha is not None and weighted:
            raise ValueError(
                f"focal_alpha={self.focal_alpha!r} replaces class_weights="
                f"{self.class_weights!r}; set class_weights: none"
            )
        return self


class SamplerSpec(_Strict):
    """How each epoch's batches are drawn from the training windows.

    ``shuffle``: every window once per epoch. ``weighted``: windows drawn with
    replacement with probability proportional to 1 / (count of their class).
    ``class_balanced``: every batch holds exactly round(quota_c * batch_size) windows of
    class c (uniform quotas when None), minority windows repeating as needed.
    """

    kind: Literal["shuffle", "weighted", "class_balanced"] = "shuffle"
    quotas: list[float] | None = None

    @model_validator(mode="after")
    def _quotas_sum_to_one(self) -> SamplerSpec:
        if self.quotas is None:
            return self
        if self.kind != "class_balanced":
            raise ValueError(
                f"quotas={self.quotas} only apply to kind='class_balanced' (kind is {self.kind!r})"
            )
        if any(q <= 0 for q in self.quotas):
            raise ValueError(f"quotas must all be > 0, got {self.quotas}")
        if abs(sum(self.quotas) - 1.0) > 1e-6:
            raise ValueError(f"quotas must sum to 1, got {self.quotas} (sum {sum(self.quotas):g})")
        return self


class ReweightSpec(_Strict):
    """Prediction-aware reweighting: after each epoch, scale class c's loss weight by at
    most ``1 ± step`` toward making validation predicted shares match training label
    shares; the accumulated factor stays within [1 / max_factor, max_factor]."""

    enabled: bool = False
    step: float = Field(0.05, gt=0.0, lt=1.0)
    max_factor: float = Field(2.0, ge=1.0)


class HardNegativeSpec(_Strict):
    """Hard-example mining: each epoch, the ``fraction`` highest-loss training windows of
    ``classes`` (all when None), by their loss in the previous epoch, replace as many
    randomly chosen same-class slots of the epoch's batches (class counts per batch stay)."""

    enabled: bool = False
    classes: list[int] | None = None
    fraction: float = Field(0.1, gt=0.0, le=1.0)


class SmoteSpec(_Strict):
    """SMOTE oversampling of minority classes, ``chunk_size`` rows at a time (window length 1 only)."""

    enabled: bool = False
    chunk_size: int = Field(50_000, ge=2)
    k_neighbors: int = Field(5, ge=1)


class DistillSpec(_Strict):
    """Loss = alpha * hard loss + (1 - alpha) * T^2 * KL(teacher_T || student_T)."""

    alpha: float = Field(0.8, ge=0.0, le=1.0)
    temperature: float = Field(1.0, gt=0.0)


class TrainSpec(_Strict):
    """Everything ``fit`` needs besides the model and the data."""

    epochs: int = Field(30, ge=1)
    batch_size: int = Field(256, ge=1)
    optimizer: Literal["adam", "adamw"] = "adamw"
    lr: float = Field(1e-3, gt=0.0)
    weight_decay: float = Field(1e-4, ge=0.0)
    grad_clip: float | None = Field(1.0, gt=0.0, description="Max global grad norm; None = off.")
    schedule: ScheduleSpec = Field(default_factory=ScheduleSpec)
    early_stopping: EarlyStoppingSpec = Field(default_factory=EarlyStoppingSpec)
    loss: LossSpec = Field(default_factory=LossSpec)
    sampler: SamplerSpec = Field(default_factory=SamplerSpec)
    reweighting: ReweightSpec = Field(default_factory=ReweightSpec)
    hard_negatives: HardNegativeSpec = Field(default_factory=HardNegativeSpec)
    smote: SmoteSpec = Field(default_factory=SmoteSpec)
    distillation: DistillSpec | None = None
    tta: list[Literal["identity", "zscore", "smooth"]] = Field(default_factory=list)
    seed: int = Field(0, ge=0)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    amp: bool = Field(True, description="bf16 autocast on CUDA (ignored on the CPU).")
    compile: bool = Field(False, description="torch.compile the model for training.")
    aux_weight: float = Field(
        0.3, ge=0.0, description="Weight of the auxiliary return-regression loss (aux-head models)."
    )

    @model_validator(mode="after")
    def _no_double_rebalancing(self) -> TrainSpec:
        if self.sampler.kind != "shuffle" and self.loss.class_weights == "balanced":
            raise ValueError(
                f"sampler.kind={self.sampler.kind!r} already rebalances the classes; "
                "loss.class_weights='balanced' would correct the imbalance twice: "
                "set loss.class_weights: none"
            )
        return self
