"""Training: the trainer, its losses, samplers, schedules, callbacks, TTA, SMOTE, distillation.

``fit(model, TrainingData, TrainSpec)`` trains any model returning logits [B, C] from
windows gathered on the training device; ``predict_logits`` runs batched inference
(optionally with test-time augmentation).
"""

from tradewind.training.callbacks import (
    Callback,
    EarlyStopping,
    PredictionReweighting,
    nudge_class_factors,
)
from tradewind.training.data import TrainingData
from tradewind.training.distill import teacher_logits
from tradewind.training.losses import (
    Criterion,
    binary_bce_loss,
    cross_entropy,
    distillation_kl,
    distillation_loss,
    entropy_penalty,
    focal_loss,
    make_loss,
)
from tradewind.training.metrics import mcc_from_confusion
from tradewind.training.predict import predict_logits
from tradewind.training.samplers import (
    EpochSampler,
    class_balanced_order,
    mix_hard_examples,
    quota_counts,
    select_hard_examples,
    shuffle_order,
    weighted_order,
)
from tradewind.training.schedules import LRSchedule, cosine_restarts_lr, warmup_cosine_lr
from tradewind.training.smote import chunked_smote, smote_chunks
from tradewind.training.spec import (
    DistillSpec,
    EarlyStoppingSpec,
    HardNegativeSpec,
    LossSpec,
    ReweightSpec,
    SamplerSpec,
    ScheduleSpec,
    SmoteSpec,
    TrainSpec,
)
from tradewind.training.state import EpochRecord, FitResult, TrainState
from tradewind.training.trainer import fit, resolve_device
from tradewind.training.tta import TTA_TRANSFORMS, gaussian_smooth, tta_log_probs, window_zscore

__all__ = [
    "TTA_TRANSFORMS",
    "Callback",
    "Criterion",
    "DistillSpec",
    "EarlyStopping",
    "EarlyStoppingSpec",
    "EpochRecord",
    "EpochSampler",
    "FitResult",
    "HardNegativeSpec",
    "LRSchedule",
    "LossSpec",
    "PredictionReweighting",
    "ReweightSpec",
    "SamplerSpec",
    "ScheduleSpec",
    "SmoteSpec",
    "TrainSpec",
    "TrainState",
    "TrainingData",
    "binary_bce_loss",
    "chunked_smote",
    "class_balanced_order",
    "cosine_restarts_lr",
    "cross_entropy",
    "distillation_kl",
    "distillation_loss",
    "entropy_penalty",
    "fit",
    "focal_loss",
    "gaussian_smooth",
    "make_loss",
    "mcc_from_confusion",
    "mix_hard_examples",
    "nudge_class_factors",
    "predict_logits",
    "quota_counts",
    "resolve_device",
    "select_hard_examples",
    "shuffle_order",
    "smote_chunks",
    "teacher_logits",
    "tta_log_probs",
    "warmup_cosine_lr",
    "weighted_order",
    "window_zscore",
]
